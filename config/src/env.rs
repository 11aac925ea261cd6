//! The environment layer: `APP_DATABASE__PORT=5432` becomes `database.port = 5432`.

use std::collections::HashMap;

use corers_primitives::{Error, ErrorCode, Value, shown_name};

use crate::file::from_toml;
use crate::key::{EmptyTables, check_key, flatten};

/// Where the environment layer reads its variables: the process, or a fixed list (tests,
/// embedding hosts).
#[derive(Clone, Debug, Default)]
pub(crate) enum EnvSource {
    #[default]
    Process,
    Fixed(Vec<(String, String)>),
}

/// The environment layer's variables: its source, with an overlay of variables set
/// (`Some`) or removed (`None`) on top — a Core's overrides.
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvVars {
    pub(crate) source: EnvSource,
    pub(crate) overlay: Vec<(String, Option<String>)>,
}

impl EnvVars {
    /// The variables whose names start with `head`, the overlay applied.
    fn read(&self, head: &str) -> (Vec<(String, String)>, Option<Error>) {
        let (mut vars, refused) = self.source.read(head);
        for (var, value) in self.overlay.iter().filter(|(var, _)| var.starts_with(head)) {
            vars.retain(|(name, _)| name != var);
            if let Some(value) = value {
                vars.push((var.clone(), value.clone()));
            }
        }
        (vars, refused)
    }
}

impl EnvSource {
    /// The variables whose names start with `head`, and an
    /// [`ErrorCode::INVALID`] error for the first whose name or value is not UTF-8 (left
    /// out): it can name no key or hold no text, and the setting it was meant to make is
    /// not left at its default quietly (a flag's variable is refused alike).
    fn read(&self, head: &str) -> (Vec<(String, String)>, Option<Error>) {
        match self {
            EnvSource::Process => {
                let mut refused = None;
                let vars = std::env::vars_os()
                    .filter(|(var, _)| var.as_encoded_bytes().starts_with(head.as_bytes()))
                    .filter_map(
                        |(var, value)| match (var.into_string(), value.into_string()) {
                            (Ok(var), Ok(value)) => Some((var, value)),
                            (var, _) => {
                                let var =
                                    var.unwrap_or_else(|var| var.to_string_lossy().into_owned());
                                refused.get_or_insert_with(|| {
                                    Error::new(
                                        "config.ConfigBuilder.env_prefix",
                                        format!(
                                            "environment variable {} is not UTF-8",
                                            shown_name(&var)
                                        ),
                                    )
                                    .with_code(ErrorCode::INVALID)
                                });
                                None
                            }
                        },
                    )
                    .collect();
                (vars, refused)
            }
            EnvSource::Fixed(vars) => (
                vars.iter()
                    .filter(|(var, _)| var.starts_with(head))
                    .cloned()
                    .collect(),
                None,
            ),
        }
    }
}

/// One leaf a variable sets (a variable holding an inline table sets several).
pub(crate) struct EnvValue {
    pub(crate) key: String,
    pub(crate) value: Value,
    pub(crate) var: String,
}

/// How the weaker layers (defaults and files) spell their keys, so that a variable, which
/// can only spell `max_connections`, sets the `max-connections` or `maxConnections` they
/// have instead of a key of its own that nothing reads.
#[derive(Default)]
pub(crate) struct Spellings {
    /// Every key and key prefix, by its [`loose`] form: the spellings of it.
    by_loose: HashMap<String, Vec<String>>,
    /// The keys, by their [`loose`] form without the dots: what a variable that nests
    /// with `_` where `__` was meant (`APP_INDEX_FILES_PER_CHAR`) is held against.
    by_flat: HashMap<String, String>,
}

impl Spellings {
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Spellings {
        let mut by_loose: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_flat = HashMap::new();
        for key in keys {
            by_flat
                .entry(loose(key).replace('.', ""))
                .or_insert_with(|| key.to_owned());
            let ends = key.match_indices('.').map(|(at, _)| at).chain([key.len()]);
            for end in ends {
                let prefix = &key[..end];
                let spellings = by_loose.entry(loose(prefix)).or_default();
                if !spellings.iter().any(|s| s == prefix) {
                    spellings.push(prefix.to_owned());
                }
            }
        }
        Spellings { by_loose, by_flat }
    }

    /// The known key a variable's `key` meant, when none is spelled like it but one is
    /// spelled like it with the dots left out: `index.files_per_char` for the
    /// `index_files_per_char` of `APP_INDEX_FILES_PER_CHAR` (one `_` where `__` nests).
    pub(crate) fn meant(&self, key: &str) -> Option<&str> {
        if self.by_loose.contains_key(&loose(key)) {
            return None;
        }
        self.by_flat
            .get(&loose(key).replace('.', ""))
            .map(String::as_str)
    }

    /// `key` (set by `from`: `environment variable APP_DB__PORT`, `--set db.port`) spelled
    /// segment by segment as the known keys spell it; a segment no known key has, or that
    /// they spell two ways without `key`'s (a warning), keeps its own spelling.
    pub(crate) fn respell(&self, key: &str, from: &dyn std::fmt::Display) -> String {
        let mut out = String::with_capacity(key.len());
        // The spellings of the last prefix left in its own spelling for want of one, until
        // a longer prefix settles it.
        let mut unsettled: Option<&[String]> = None;
        for segment in key.split('.') {
            let literal = if out.is_empty() {
                segment.to_owned()
            } else {
                format!("{out}.{segment}")
            };
            out = match self.by_loose.get(&loose(&literal)).map(Vec::as_slice) {
                Some([one]) => {
                    unsettled = None;
                    one.clone()
                }
                Some(many) if !many.contains(&literal) => {
                    unsettled = Some(many);
                    literal
                }
                // Spelled as a known key spells it.
                Some(_) => {
                    unsettled = None;
                    literal
                }
                // Known nowhere: what was unsettled above it stays so.
                None => literal,
            };
        }
        if let Some(spellings) = unsettled {
            tracing::warn!(
                source = %from,
                spellings = ?spellings,
                "a setting matches config keys spelled more than one way: it sets {out:?}"
            );
        }
        out
    }
}

/// `key` with case, `-` and `_` left out: `max-connections`, `maxConnections` and
/// `max_connections` are one key to a variable.
fn loose(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The variables under `prefix` (`APP` reads `APP_*`), as keys and parsed values, sorted by
/// key, each key spelled as `known` spells it. A name that does not make a valid key
/// (`APP___PORT`) is skipped with a warning; one that is not UTF-8 is left out and
/// returned as the error (the first of them).
pub(crate) fn read(
    prefix: &str,
    vars: &EnvVars,
    known: &Spellings,
) -> (Vec<EnvValue>, Option<Error>) {
    let head = format!("{prefix}_");
    let (read, refused) = vars.read(&head);
    let mut out: Vec<EnvValue> = read
        .into_iter()
        .filter_map(|(var, raw)| {
            let rest = var.strip_prefix(&head)?;
            let key = rest
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(".");
            if let Err(err) = check_key("config.ConfigBuilder.env_prefix", &key) {
                tracing::warn!(var = %var, error = %err, "environment variable ignored");
                return None;
            }
            let mut leaves = Vec::new();
            if let Err(err) = flatten(
                "config.ConfigBuilder.env_prefix",
                &key,
                parse_value(&raw),
                EmptyTables::Drop,
                &mut leaves,
            ) {
                tracing::warn!(var = %var, error = %err, "environment variable ignored");
                return None;
            }
            if let Some(meant) = known.meant(&key) {
                let spelled = format!(
                    "{head}{}",
                    meant
                        .replace('.', "__")
                        .replace('-', "_")
                        .to_ascii_uppercase()
                );
                tracing::warn!(
                    var = %var,
                    key = %key,
                    meant = %meant,
                    "environment variable sets a key nothing else has: did you mean {spelled}?"
                );
            }
            Some(leaves.into_iter().map(move |(key, value)| EnvValue {
                key: known.respell(&key, &format_args!("environment variable {var}")),
                value,
                var: var.clone(),
            }))
        })
        .flatten()
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.var.cmp(&b.var)));
    for pair in out.windows(2) {
        if pair[0].key == pair[1].key {
            tracing::warn!(
                key = %pair[1].key,
                ignored = %pair[0].var,
                used = %pair[1].var,
                "environment variables set the same config key: the last by name is used"
            );
        }
    }
    (out, refused)
}

/// Reads a variable's text as a TOML value where it is one written the plain way (`5432`
/// an integer, `true` a bool, `"quoted"` a string, `[1, 2]` a list; also
/// `[homelab, studio]`, a list of the words), and as the text itself otherwise: `0x10`,
/// `1_000`, `[::1]` and dates stay exactly as written, and so do `inf` and `nan`. So does
/// a number with a fraction (`2.5`, `1.10`, `3.12`): it is read as a float where one is
/// asked for, and a text field gets it as written (`PYTHON_VERSION=3.10` is `"3.10"`,
/// never `"3.1"`). `Config::get` gives it as that text, and a float field inside a
/// `#[serde(flatten)]` or an enum's variant (which serde buffers first) does not take it.
pub(crate) fn parse_value(raw: &str) -> Value {
    let parsed = toml::de::ValueDeserializer::parse(raw)
        .ok()
        .and_then(|de| <toml::Value as serde::Deserialize>::deserialize(de).ok())
        .filter(|value| written_plainly(raw, value))
        .and_then(from_toml);
    parsed
        .or_else(|| bare_list(raw))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// A list written as a shell user writes one, `[homelab, studio]`: two or more items
/// separated by commas, each read as a value of its own (`[8080, 8443]` holds integers),
/// with no nesting or quoting to take apart (that is TOML's, read before this).
fn bare_list(raw: &str) -> Option<Value> {
    let inner = raw.trim().strip_prefix('[')?.strip_suffix(']')?;
    // Without a comma it is text in brackets (`[::1]`, `[beta]`), not a list.
    if !inner.contains(',') || inner.contains(['[', ']', '{', '}', '"', '\'']) {
        return None;
    }
    let items: Vec<&str> = inner.split(',').map(str::trim).collect();
    // `[a,,b]` and `[a, ]` are not lists; `[]` is TOML's.
    if items.iter().any(|item| item.is_empty()) {
        return None;
    }
    Some(Value::List(items.into_iter().map(parse_value).collect()))
}

/// Reports whether `value` reads back as `raw`, for the scalars TOML would otherwise
/// rewrite (a float never: `1.10` and `1.1` are one float, and a text field must get what
/// was written); quoted strings, lists and tables were written as such on purpose.
fn written_plainly(raw: &str, value: &toml::Value) -> bool {
    match value {
        toml::Value::Integer(i) => i.to_string() == raw,
        toml::Value::Float(_) | toml::Value::Datetime(_) => false,
        toml::Value::Boolean(_)
        | toml::Value::String(_)
        | toml::Value::Array(_)
        | toml::Value::Table(_) => true,
    }
}
