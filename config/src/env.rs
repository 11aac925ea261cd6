//! The environment layer: `APP_DATABASE__PORT=5432` becomes `database.port = 5432`.

use corers_primitives::Value;

use crate::file::from_toml;
use crate::key::{check_key, flatten};

/// Where the environment layer reads its variables: the process, or a fixed list (tests,
/// embedding hosts).
#[derive(Clone, Debug, Default)]
pub(crate) enum EnvVars {
    #[default]
    Process,
    Fixed(Vec<(String, String)>),
}

impl EnvVars {
    fn read(&self) -> Vec<(String, String)> {
        match self {
            // Variables whose name or value is not UTF-8 cannot name a key or hold text.
            EnvVars::Process => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            EnvVars::Fixed(vars) => vars.clone(),
        }
    }
}

/// One leaf a variable sets (a variable holding an inline table sets several).
pub(crate) struct EnvValue {
    pub(crate) key: String,
    pub(crate) value: Value,
    pub(crate) var: String,
}

/// The variables under `prefix` (`APP` reads `APP_*`), as keys and parsed values, sorted by
/// key. A name that does not make a valid key (`APP___PORT`) is skipped with a warning.
pub(crate) fn read(prefix: &str, vars: &EnvVars) -> Vec<EnvValue> {
    let head = format!("{prefix}_");
    let mut out: Vec<EnvValue> = vars
        .read()
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
                &mut leaves,
            ) {
                tracing::warn!(var = %var, error = %err, "environment variable ignored");
                return None;
            }
            Some(leaves.into_iter().map(move |(key, value)| EnvValue {
                key,
                value,
                var: var.clone(),
            }))
        })
        .flatten()
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.var.cmp(&b.var)));
    out
}

/// Reads a variable's text as a TOML value where it is one written the plain way (`5432`
/// an integer, `true` a bool, `2.5` a float, `"quoted"` a string, `[1, 2]` a list), and as
/// the text itself otherwise: `1.10`, `0x10`, `1_000` and dates stay exactly as written,
/// and so do `inf` and `nan`.
pub(crate) fn parse_value(raw: &str) -> Value {
    let parsed = toml::de::ValueDeserializer::parse(raw)
        .ok()
        .and_then(|de| <toml::Value as serde::Deserialize>::deserialize(de).ok())
        .filter(|value| written_plainly(raw, value))
        .and_then(from_toml);
    parsed.unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// Reports whether `value` reads back as `raw`, for the scalars TOML would otherwise
/// rewrite; quoted strings, lists and tables were written as such on purpose.
fn written_plainly(raw: &str, value: &toml::Value) -> bool {
    match value {
        toml::Value::Integer(i) => i.to_string() == raw,
        toml::Value::Float(f) => format!("{f:?}") == raw,
        toml::Value::Datetime(_) => false,
        toml::Value::Boolean(_)
        | toml::Value::String(_)
        | toml::Value::Array(_)
        | toml::Value::Table(_) => true,
    }
}
