//! `cargo xtask new-service NAME`: a service crate that builds and passes its tests at once.
//!
//! The crate has the service (its state, start and health hooks), an `install` function
//! that adds it and one Action to an application's builder, and tests through the test
//! kit. It depends on this checkout's `corers` by path, with no default features (a
//! library takes only what it uses; the application chooses the rest), and is a workspace
//! of its own, so `cargo test` in it works wherever it was made.

use std::path::{Component, Path, PathBuf};

use crate::cmd::{self, cargo, workspace_root};

const HELP: &str = "\
cargo xtask new-service — scaffold a service crate that builds and passes its tests at once

USAGE:
    cargo xtask new-service NAME [--path DIR]

ARGUMENTS:
    NAME        the crate and service name: lower-case letters, digits and '-', starting
                with a letter (\"ledger\", \"mail-relay\")

OPTIONS:
    --path DIR  where to make the crate (default: ./NAME); it must not exist yet

The crate depends on this checkout's corers by path; `cd DIR && cargo test` runs its tests.";

/// `cargo xtask new-service …`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Some((name, dir)) = parse(args)? else {
        println!("{HELP}");
        return Ok(());
    };
    let dir = match dir {
        Some(dir) => dir,
        None => std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?
            .join(&name),
    };
    scaffold(&name, &dir)?;
    format(&dir);
    println!(
        "made the service crate {name} in {}: cd there and run `cargo test`",
        dir.display()
    );
    Ok(())
}

/// The name and the directory `args` ask for, or `None` for help.
fn parse(args: &[String]) -> Result<Option<(String, Option<PathBuf>)>, String> {
    let mut name = None;
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--path" => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--path needs a directory\n\n{HELP}"))?;
                dir = Some(PathBuf::from(value));
            }
            other if other.starts_with("--path=") => {
                dir = Some(PathBuf::from(&other["--path=".len()..]));
            }
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other:?}\n\n{HELP}"));
            }
            other if name.is_none() => name = Some(checked_name(other)?),
            other => return Err(format!("unexpected argument {other:?}\n\n{HELP}")),
        }
    }
    let name = name.ok_or_else(|| format!("new-service needs a NAME\n\n{HELP}"))?;
    Ok(Some((name, dir)))
}

/// Names a crate of the standard library or the framework would shadow, or a keyword the
/// crate's identifier could not be.
const TAKEN: [&str; 58] = [
    "std",
    "core",
    "alloc",
    "test",
    "proc-macro",
    "corers",
    "tokio",
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "gen",
    "macro",
    "override",
    "priv",
    "try",
    "typeof",
    "unsized",
    "virtual",
    "yield",
];

/// `name` when it makes a crate name, a Rust identifier (with `_` for `-`) and a type
/// name alike.
fn checked_name(name: &str) -> Result<String, String> {
    let well_formed = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(format!(
            "invalid service name {name:?}: use lower-case letters, digits and '-', starting with a letter (\"ledger\", \"mail-relay\")"
        ));
    }
    if TAKEN.contains(&name) || name.starts_with("corers-") {
        return Err(format!("invalid service name {name:?}: that name is taken"));
    }
    Ok(name.to_owned())
}

/// `mail-relay` as a type name: `MailRelay`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// `to` as a path relative to `from` (both absolute), for a manifest's `path =`.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    // Nothing in common but the root: the absolute path reads better.
    if common <= 1 {
        return to.iter().collect();
    }
    let mut path: PathBuf =
        std::iter::repeat_n(Component::ParentDir, from.len() - common).collect();
    path.extend(&to[common..]);
    path
}

/// Writes the crate `name` into `dir`, which must not exist: into a directory beside it
/// first, renamed into place once whole, so that a failure leaves nothing behind.
fn scaffold(name: &str, dir: &Path) -> Result<(), String> {
    if dir.exists() {
        return Err(format!(
            "{} already exists: choose another --path",
            dir.display()
        ));
    }
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent
        .canonicalize()
        .map_err(|e| format!("cannot use {}: {e}", parent.display()))?;
    let leaf = dir
        .file_name()
        .ok_or_else(|| format!("{} names no directory to make", dir.display()))?;
    let corers = workspace_root()
        .join("core")
        .canonicalize()
        .map_err(|e| format!("cannot find the corers crate: {e}"))?;
    let corers = relative(&parent.join(leaf), &corers);
    let corers = corers
        .to_str()
        .ok_or_else(|| format!("the path to corers is not UTF-8: {}", corers.display()))?
        // TOML basic strings take '/' on every platform.
        .replace('\\', "/");
    let staging = parent.join(format!(
        ".{}.new-service-{}",
        leaf.to_string_lossy(),
        std::process::id()
    ));
    let written = write_files(&staging, name, &corers)
        .and_then(|()| std::fs::rename(&staging, parent.join(leaf)));
    written.map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        format!("cannot make {}: {e}", dir.display())
    })
}

fn write_files(root: &Path, name: &str, corers: &str) -> std::io::Result<()> {
    let fill = |template: &str| {
        template
            .replace("__NAME__", name)
            .replace("__IDENT__", &name.replace('-', "_"))
            .replace("__TYPE__", &type_name(name))
            .replace("__CORERS__", corers)
            // The workspace's, which xtask inherits.
            .replace("__RUST_VERSION__", env!("CARGO_PKG_RUST_VERSION"))
    };
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::create_dir_all(root.join("tests"))?;
    std::fs::write(root.join("Cargo.toml"), fill(MANIFEST))?;
    std::fs::write(root.join(".gitignore"), "/target\n")?;
    std::fs::write(root.join("src/lib.rs"), fill(LIB))?;
    std::fs::write(
        root.join(format!("tests/{}.rs", name.replace('-', "_"))),
        fill(TESTS),
    )
}

const MANIFEST: &str = r#"[package]
name = "__NAME__"
version = "0.1.0"
edition = "2024"
rust-version = "__RUST_VERSION__"
publish = false

# A workspace of its own: `cargo test` here builds it, wherever it was made. Move it into an
# application's workspace by deleting this table and adding it to the members there.
[workspace]

[dependencies]
# A library takes only the features it uses; the application chooses the rest.
corers = { path = "__CORERS__", default-features = false }

[dev-dependencies]
corers = { path = "__CORERS__", features = ["testing"] }
tokio = { version = "1", features = ["macros", "rt"] }
"#;

const LIB: &str = r#"//! The `__NAME__` service, with its Action `__NAME__.status`.
//!
//! An application adds both with [`install`]:
//!
//! ```
//! use corers::prelude::*;
//!
//! let core = __IDENT__::install(Core::builder().name("app")).build().unwrap();
//! assert_eq!(core.services().names(), ["__NAME__"]);
//! ```
//!
//! Made by `cargo xtask new-service __NAME__`: replace the counter with the service's own
//! state, and the Action with its own.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use corers::prelude::*;

/// The service's state, shared by its hooks and its Actions.
#[derive(Debug, Default)]
pub struct __TYPE__ {
    /// How many times `__NAME__.status` was asked.
    asked: AtomicU64,
}

impl Service<Core> for __TYPE__ {
    /// Brings the service up: the place for I/O (connect, open files) and for the
    /// service's loops (`ctx.spawn`), not its factory, which runs while the Core is built.
    fn start(self: Arc<Self>, _ctx: ServiceCtx<Core>) -> BoxFuture<Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// How the service is doing, for `app health` and a readiness probe.
    fn health(self: Arc<Self>, _ctx: ServiceCtx<Core>) -> BoxFuture<Health> {
        Box::pin(async { Health::Healthy })
    }
}

/// Adds the `__NAME__` service and its Action `__NAME__.status` to `builder`.
pub fn install(builder: CoreBuilder) -> CoreBuilder {
    builder
        // By name: a test can replace it with `fake_service("__NAME__", ..)`.
        .service_named("__NAME__", |_core| {
            Ok(Registration::new("__NAME__", __TYPE__::default()))
        })
        .action(
            ActionSpec::new("__NAME__.status", |ctx: ActionCtx<Core>, _options| async move {
                let service = ctx
                    .core()
                    .service::<__TYPE__>("__NAME__")
                    .ok_or_else(|| {
                        Error::new("__NAME__.status", "the __NAME__ service is not there")
                            .with_code(ErrorCode::NOT_FOUND)
                    })?;
                let asked = service.asked.fetch_add(1, Ordering::Relaxed) + 1;
                Ok(Value::from(format!("__NAME__: asked {asked} times")))
            })
            .description("say how the __NAME__ service is doing"),
        )
}
"#;

const TESTS: &str = r#"//! The `__NAME__` service and its Action, in a test Core.

use corers::prelude::*;

#[tokio::test]
async fn status_counts_each_call_good() {
    let (builder, _log) = corers::testing::builder();
    let core = __IDENT__::install(builder).build().unwrap();
    core.startup().await.unwrap();
    for expected in ["__NAME__: asked 1 times", "__NAME__: asked 2 times"] {
        let status = core.run_action("__NAME__.status", Options::new()).await.unwrap();
        assert_eq!(status, Value::from(expected));
    }
    let report = core.services().health().await;
    assert!(report.ready, "{report:?}");
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn status_without_the_service_is_not_found_bad() {
    // The Action without its service (faked away): a NOT_FOUND error, not a panic.
    let (builder, _log) = corers::testing::builder();
    let core = __IDENT__::install(builder)
        .fake_service("__NAME__", |_| Ok(Registration::new("__NAME__", Hooks::new())))
        .build()
        .unwrap();
    let err = core
        .run_action("__NAME__.status", Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND), "{err}");
}

#[test]
fn install_twice_conflicts_ugly() {
    let (builder, _log) = corers::testing::builder();
    let err = __IDENT__::install(__IDENT__::install(builder)).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{err}");
}
"#;

/// Formats the crate in `dir` as rustfmt would (line breaks depend on the name's length);
/// without rustfmt it stays as written, which builds all the same.
fn format(dir: &Path) {
    let formatted = cargo()
        .args(["fmt", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .status()
        .is_ok_and(|status| status.success());
    if !formatted {
        eprintln!("xtask new-service: not formatted (cargo fmt failed or is not installed)");
    }
}

/// The CI's check: a crate made now builds and passes its tests, sharing the workspace's
/// lock file (the same versions) and target directory (what is built already is reused).
pub(crate) fn check() -> Result<(), String> {
    let root = workspace_root();
    let dir = root.join("target/xtask-new-service/demo-service");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.parent().unwrap_or(&root))
        .map_err(|e| format!("step \"new-service\": {e}"))?;
    scaffold("demo-service", &dir).map_err(|e| format!("step \"new-service\": {e}"))?;
    format(&dir);
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("step \"new-service\": cannot copy Cargo.lock: {e}"))?;
    cmd::run(
        "new-service",
        cargo()
            .args(["test", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", root.join("target")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn parse_name_and_path_good() {
        assert_eq!(
            parse(&args(&["ledger"])),
            Ok(Some(("ledger".to_owned(), None)))
        );
        assert_eq!(
            parse(&args(&["mail-relay", "--path", "services/mail"])),
            Ok(Some((
                "mail-relay".to_owned(),
                Some(PathBuf::from("services/mail"))
            )))
        );
        assert_eq!(
            parse(&args(&["--path=x", "ledger"])),
            Ok(Some(("ledger".to_owned(), Some(PathBuf::from("x")))))
        );
        assert_eq!(parse(&args(&["-h"])), Ok(None));
    }

    #[test]
    fn parse_malformed_refused_bad() {
        for bad in [
            &[][..],
            &["ledger", "ledger"],
            &["ledger", "--path"],
            &["ledger", "--force"],
            &["Ledger"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checked_name_hostile_and_taken_refused_ugly() {
        for bad in [
            "",
            "9lives",
            "-ledger",
            "ledger-",
            "mail--relay",
            "mail_relay",
            "lédger",
            "a b",
            "std",
            "corers",
            "corers-log",
            "type",
        ] {
            assert!(checked_name(bad).is_err(), "{bad:?}");
        }
        assert!(checked_name(&"a".repeat(65)).is_err());
        assert_eq!(checked_name("relay2"), Ok("relay2".to_owned()));
    }

    #[test]
    fn type_name_joins_the_words_good() {
        assert_eq!(type_name("ledger"), "Ledger");
        assert_eq!(type_name("mail-relay"), "MailRelay");
        assert_eq!(type_name("s3-sync2"), "S3Sync2");
    }

    #[test]
    fn relative_walks_up_to_the_common_part_good() {
        assert_eq!(
            relative(
                Path::new("/work/services/ledger"),
                Path::new("/work/main/core")
            ),
            PathBuf::from("../../main/core")
        );
        assert_eq!(
            relative(
                Path::new("/work/main/target/x/demo"),
                Path::new("/work/main/core")
            ),
            PathBuf::from("../../../core")
        );
        // Nothing in common but the root: absolute.
        assert_eq!(
            relative(Path::new("/srv/ledger"), Path::new("/work/main/core")),
            PathBuf::from("/work/main/core")
        );
    }

    #[test]
    fn scaffold_into_an_existing_directory_leaves_it_alone_bad() {
        let dir = std::env::temp_dir().join(format!("xtask-new-service-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keep.txt"), "mine").unwrap();
        let err = scaffold("ledger", &dir).unwrap_err();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
            "mine"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scaffold_writes_a_whole_crate_good() {
        let parent =
            std::env::temp_dir().join(format!("xtask-new-service-ok-{}", std::process::id()));
        std::fs::create_dir_all(&parent).unwrap();
        let dir = parent.join("mail-relay");
        scaffold("mail-relay", &dir).unwrap();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"mail-relay\""), "{manifest}");
        assert!(manifest.contains("default-features = false"), "{manifest}");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct MailRelay"), "{lib}");
        assert!(lib.contains("mail_relay::install"), "{lib}");
        assert!(!lib.contains("__"), "every placeholder filled");
        let tests = std::fs::read_to_string(dir.join("tests/mail_relay.rs")).unwrap();
        assert!(!tests.contains("__"), "every placeholder filled");
        // Nothing left beside it.
        let beside: Vec<_> = std::fs::read_dir(&parent).unwrap().collect();
        assert_eq!(beside.len(), 1);
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
