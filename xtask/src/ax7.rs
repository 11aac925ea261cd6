//! `cargo xtask ax7`: which public functions lack a `_good`, `_bad` or `_ugly` test.
//!
//! The public API is read with `syn` from each library crate's `src/`: free `pub fn`s,
//! `pub fn` methods of inherent impls, provided methods of `pub trait`s, and exported
//! `macro_rules!`. Items under `#[cfg(test)]`, `#[doc(hidden)]` or a restricted visibility
//! (`pub(crate)`) are not public.
//!
//! Tests are found by name in the crate's `src/` and `tests/`: any `fn` whose name ends in
//! `_good`, `_bad` or `_ugly`. A test belongs to the function whose key is the longest prefix
//! of its name, where a method's keys are `type_method` (the type in snake case) and, when
//! no other public function in the crate has the same name, the bare `method`; a free
//! function or macro is always known by its bare name. So
//! `registry_get_hit_good` covers `Registry::get`, and `get_as_missing_key_bad` covers
//! `Options::get_as`, never `get`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use syn::{Attribute, ImplItem, Item, TraitItem, Visibility};

use crate::cmd::cargo;

const HELP: &str = "\
cargo xtask ax7 — public functions lacking _good, _bad or _ugly tests

USAGE:
    cargo xtask ax7 [-p CRATE]... [--strict]

OPTIONS:
    -p, --package CRATE   Only this crate (repeatable); default: every library crate
    --strict              Exit non-zero when anything is missing";

const SUFFIXES: [&str; 3] = ["good", "bad", "ugly"];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut packages = Vec::new();
    let mut strict = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{HELP}");
                return Ok(());
            }
            "--strict" => strict = true,
            "-p" | "--package" => packages.push(
                args.next()
                    .ok_or_else(|| format!("{arg} needs a crate name\n\n{HELP}"))?
                    .clone(),
            ),
            other => return Err(format!("unknown option {other:?}\n\n{HELP}")),
        }
    }

    let crates = library_crates()?;
    for wanted in &packages {
        if !crates.iter().any(|(name, _)| name == wanted) {
            return Err(format!(
                "no library crate named {wanted:?} in the workspace"
            ));
        }
    }
    let mut missing_total = 0;
    for (name, dir) in &crates {
        if !packages.is_empty() && !packages.contains(name) {
            continue;
        }
        let report = report(dir)?;
        missing_total += report.missing.len();
        println!(
            "{name}: {}/{} public functions have good, bad and ugly tests ({:.1}%)",
            report.total - report.missing.len(),
            report.total,
            report.coverage()
        );
        for (function, lacking) in &report.missing {
            println!("    {function}: missing {}", lacking.join(", "));
        }
    }
    if strict && missing_total > 0 {
        return Err(format!("{missing_total} public functions lack tests"));
    }
    Ok(())
}

/// The workspace's library crates: `(package name, crate directory)`.
fn library_crates() -> Result<Vec<(String, PathBuf)>, String> {
    let output = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .map_err(|e| format!("cargo metadata could not start: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))?;
    let mut crates = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let is_lib = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| {
                t["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k == "lib")
            });
        let name = package["name"].as_str().unwrap_or_default();
        // The bench crate's library is only a doc placeholder for its benches.
        if !is_lib || name == "corers-bench" {
            continue;
        }
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        crates.push((name.to_owned(), dir));
    }
    crates.sort();
    Ok(crates)
}

struct Report {
    total: usize,
    /// `Type::method` → the suffixes it lacks.
    missing: BTreeMap<String, Vec<&'static str>>,
}

impl Report {
    fn coverage(&self) -> f64 {
        if self.total == 0 {
            return 100.0;
        }
        #[allow(clippy::cast_precision_loss, reason = "counts of functions are small")]
        let ratio = (self.total - self.missing.len()) as f64 / self.total as f64;
        ratio * 100.0
    }
}

/// A public function: its owner (type or trait, empty for free functions) and name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Function {
    owner: String,
    name: String,
}

impl Function {
    fn label(&self) -> String {
        if self.owner.is_empty() {
            self.name.clone()
        } else {
            format!("{}::{}", self.owner, self.name)
        }
    }
}

fn report(dir: &Path) -> Result<Report, String> {
    let mut functions = BTreeSet::new();
    for file in rust_files(&dir.join("src")) {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let parsed =
            syn::parse_file(&text).map_err(|e| format!("{}: parse error: {e}", file.display()))?;
        collect_items(&parsed.items, &mut functions);
    }

    let mut tests = Vec::new();
    for file in rust_files(&dir.join("src"))
        .into_iter()
        .chain(rust_files(&dir.join("tests")))
    {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        tests.extend(test_names(&text));
    }

    // Keys: `type_method` always; the bare name when it is unambiguous.
    let mut name_count: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &functions {
        *name_count.entry(f.name.as_str()).or_default() += 1;
    }
    let mut keys: BTreeMap<String, Vec<&Function>> = BTreeMap::new();
    for f in &functions {
        if !f.owner.is_empty() {
            keys.entry(format!("{}_{}", snake(&f.owner), f.name))
                .or_default()
                .push(f);
        }
        // Free functions and macros are known by their bare name, always.
        if f.owner.is_empty() || name_count[f.name.as_str()] == 1 {
            keys.entry(f.name.clone()).or_default().push(f);
        }
    }

    let mut covered: BTreeMap<&Function, BTreeSet<&str>> = BTreeMap::new();
    for test in &tests {
        let Some(suffix) = SUFFIXES.iter().find(|s| test.ends_with(&format!("_{s}"))) else {
            continue;
        };
        let owner = keys
            .iter()
            .filter(|(key, _)| test.starts_with(&format!("{key}_")))
            .max_by_key(|(key, _)| key.len());
        if let Some((_, owners)) = owner {
            for f in owners {
                covered.entry(f).or_default().insert(suffix);
            }
        }
    }

    let mut missing = BTreeMap::new();
    for f in &functions {
        let have = covered.get(f);
        let lacking: Vec<&'static str> = SUFFIXES
            .iter()
            .copied()
            .filter(|s| have.is_none_or(|h| !h.contains(s)))
            .collect();
        if !lacking.is_empty() {
            missing.insert(f.label(), lacking);
        }
    }
    Ok(Report {
        total: functions.len(),
        missing,
    })
}

fn collect_items(items: &[Item], out: &mut BTreeSet<Function>) {
    for item in items {
        match item {
            Item::Fn(f) if is_public(&f.vis) && !is_hidden(&f.attrs) => {
                out.insert(Function {
                    owner: String::new(),
                    name: f.sig.ident.to_string(),
                });
            }
            Item::Impl(imp) if imp.trait_.is_none() && !is_hidden(&imp.attrs) => {
                let owner = type_name(&imp.self_ty);
                for member in &imp.items {
                    if let ImplItem::Fn(f) = member
                        && is_public(&f.vis)
                        && !is_hidden(&f.attrs)
                    {
                        out.insert(Function {
                            owner: owner.clone(),
                            name: f.sig.ident.to_string(),
                        });
                    }
                }
            }
            Item::Trait(t) if is_public(&t.vis) && !is_hidden(&t.attrs) => {
                for member in &t.items {
                    if let TraitItem::Fn(f) = member
                        && f.default.is_some()
                        && !is_hidden(&f.attrs)
                    {
                        out.insert(Function {
                            owner: t.ident.to_string(),
                            name: f.sig.ident.to_string(),
                        });
                    }
                }
            }
            Item::Macro(m)
                if m.attrs.iter().any(|a| a.path().is_ident("macro_export"))
                    && !is_hidden(&m.attrs) =>
            {
                if let Some(ident) = &m.ident {
                    out.insert(Function {
                        owner: String::new(),
                        name: ident.to_string(),
                    });
                }
            }
            Item::Mod(m) if !is_test_only(&m.attrs) && !is_hidden(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    collect_items(inner, out);
                }
            }
            _ => {}
        }
    }
}

fn is_public(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn is_hidden(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("doc") && quote_tokens(a).replace(' ', "").contains("hidden"))
        || is_test_only(attrs)
}

/// `#[cfg(test)]`, or an `all(..)` with `test` among its terms: compiled only for tests.
/// Not `cfg(feature = "testing")`, `cfg(not(test))` nor `cfg(any(test, ..))`, whose items
/// are public API in some build.
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && cfg_is_test_only(&quote_tokens(a).replace(' ', "")))
}

/// [`is_test_only`] for a `cfg`'s tokens, spaces removed.
fn cfg_is_test_only(tokens: &str) -> bool {
    if tokens == "test" {
        return true;
    }
    let Some(terms) = tokens
        .strip_prefix("all(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return false;
    };
    // The terms at the top level of `all(..)`: commas inside nested parentheses are not.
    let mut depth = 0_i32;
    let mut start = 0;
    let mut found = false;
    for (at, c) in terms.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                found |= cfg_is_test_only(&terms[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    found || cfg_is_test_only(&terms[start..])
}

fn quote_tokens(attr: &Attribute) -> String {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.to_string(),
        _ => String::new(),
    }
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        syn::Type::Reference(r) => type_name(&r.elem),
        _ => String::new(),
    }
}

/// `ConfigVar` → `config_var`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Names following `fn ` in `text` that end in a test suffix (also inside macros such as
/// `proptest!`).
fn test_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("fn ") {
        let preceded_ok = at == 0
            || !rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + 3..];
        if !preceded_ok {
            continue;
        }
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if SUFFIXES.iter().any(|s| name.ends_with(&format!("_{s}"))) {
            names.push(name);
        }
    }
    names
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_good() {
        assert_eq!(snake("ConfigVar"), "config_var");
        assert_eq!(snake("Registry"), "registry");
    }

    #[test]
    fn test_names_good() {
        let text =
            "fn get_hit_good() {}\nfn helper() {}\nproptest! { fn set_len_ugly(x in 0..3) {} }";
        assert_eq!(test_names(text), ["get_hit_good", "set_len_ugly"]);
    }

    #[test]
    fn collect_items_skips_private_and_test_code_good() {
        let file: syn::File = syn::parse_str(
            "pub fn id() {}
             fn private() {}
             pub(crate) fn internal() {}
             pub struct Registry;
             impl Registry { pub fn get(&self) {} fn hidden(&self) {} }
             impl Clone for Registry { fn clone(&self) -> Self { Registry } }
             #[cfg(test)] mod tests { pub fn helper() {} }",
        )
        .unwrap();
        let mut out = BTreeSet::new();
        collect_items(&file.items, &mut out);
        let labels: Vec<String> = out.iter().map(Function::label).collect();
        assert_eq!(labels, ["id", "Registry::get"]);
    }

    #[test]
    fn cfg_is_test_only_test_and_all_with_test_good() {
        for cfg in [
            "test",
            "all(test,unix)",
            "all(feature=\"x\",test)",
            "all(unix,all(test,debug_assertions))",
        ] {
            assert!(cfg_is_test_only(cfg), "{cfg}");
        }
    }

    #[test]
    fn cfg_is_test_only_public_builds_bad() {
        for cfg in [
            "feature=\"testing\"",
            "not(test)",
            "any(test,feature=\"testing\")",
            "all(unix,not(test))",
        ] {
            assert!(!cfg_is_test_only(cfg), "{cfg}");
        }
    }

    #[test]
    fn cfg_is_test_only_degenerate_tokens_ugly() {
        for cfg in ["", "all()", "all(", "all(,)", "tests"] {
            assert!(!cfg_is_test_only(cfg), "{cfg}");
        }
    }
}
