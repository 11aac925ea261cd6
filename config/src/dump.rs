//! [`Dump`]: the effective config with provenance, secrets redacted, for people and tools.

use std::fmt;

use corers_primitives::{Value, escape_controls};

use crate::Source;

use crate::secret::REDACTED;

/// The widest a dump line is padded to for the `# source` column to line up.
const MAX_ALIGN: usize = 72;

/// The effective config at one moment: every key, its value (hidden for secret-looking
/// keys) and its source. `Display` gives the human form; [`to_json`](Dump::to_json) the
/// machine one. From [`Config::dump`](crate::Config::dump).
#[derive(Clone, Debug, PartialEq)]
pub struct Dump {
    pub(crate) entries: Vec<DumpEntry>,
}

/// One key of a [`Dump`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DumpEntry {
    pub(crate) key: String,
    /// `None` when redacted.
    pub(crate) value: Option<Value>,
    pub(crate) source: Source,
}

impl Dump {
    /// The dump as JSON: one object per key, in key order, with the value (or
    /// `"[REDACTED]"`), the layer and the place.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// config.set("database.password", "hunter2").unwrap();
    /// let json = config.dump().to_json();
    /// assert_eq!(json[0]["key"], "database.password");
    /// assert_eq!(json[0]["value"], "[REDACTED]");
    /// assert_eq!(json[1]["value"], 5432);
    /// assert_eq!(json[1]["layer"], "runtime");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.entries
                .iter()
                .map(|entry| {
                    let mut object = serde_json::Map::new();
                    object.insert("key".into(), entry.key.clone().into());
                    object.insert(
                        "value".into(),
                        entry.value.as_ref().map_or(REDACTED.into(), json_value),
                    );
                    object.insert("source".into(), entry.source.to_string().into());
                    let (layer, path, line, name) = match &entry.source {
                        Source::Default => ("default", None, None, None),
                        Source::File { path, line } => {
                            ("file", Some(path.display().to_string()), *line, None)
                        }
                        Source::Env { var } => ("env", None, None, Some(var.clone())),
                        Source::Flag { name } => ("flag", None, None, Some(name.clone())),
                        Source::Runtime => ("runtime", None, None, None),
                    };
                    object.insert("layer".into(), layer.into());
                    if let Some(path) = path {
                        object.insert("path".into(), path.into());
                    }
                    if let Some(line) = line {
                        object.insert("line".into(), line.into());
                    }
                    if let Some(name) = name {
                        object.insert("name".into(), name.into());
                    }
                    serde_json::Value::Object(object)
                })
                .collect(),
        )
    }
}

/// A config value as JSON; config values are always finite, so this cannot fail in
/// practice, and a value that somehow does not convert prints as `null`.
fn json_value(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl fmt::Display for Dump {
    /// One line per key, aligned: `database.port = 5432    # file /etc/app.toml:3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<(String, String)> = self
            .entries
            .iter()
            .map(|entry| {
                let value = entry
                    .value
                    .as_ref()
                    .map_or_else(|| REDACTED.to_owned(), |v| json_value(v).to_string());
                let line = format!("{} = {value}", entry.key);
                let source = entry.source.to_string();
                (
                    escape_controls(&line, |_| false).into_owned(),
                    escape_controls(&source, |_| false).into_owned(),
                )
            })
            .collect();
        // Aligned to the longest line, up to a limit: one very long value must not pad
        // every other line to its length.
        let width = rendered
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_ALIGN);
        for (line, source) in rendered {
            writeln!(f, "{line:width$}  # {source}")?;
        }
        Ok(())
    }
}
