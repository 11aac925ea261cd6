//! Reading one snapshot: the getters [`Config`](crate::Config) and
//! [`ConfigView`](crate::ConfigView) share, and the wording of their errors.

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::path::PathBuf;

use corers_primitives::{Error, ErrorCode, Result, Value};
use serde::de::DeserializeOwned;

use crate::Source;
use crate::key::nest;
use crate::secret::Secrets;
use crate::shape::{Shape, shape_of};
use crate::snapshot::{Entry, Snapshot};

/// The getters over one snapshot. `view` says whose methods they are, for the operation
/// named in errors.
pub(crate) struct Reader<'a> {
    snapshot: &'a Snapshot,
    secrets: &'a Secrets,
    view: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot, secrets: &'a Secrets, view: bool) -> Self {
        Reader {
            snapshot,
            secrets,
            view,
        }
    }

    /// `config`'s operation name, or `view`'s when reading through a view.
    fn op(&self, config: &'static str, view: &'static str) -> &'static str {
        if self.view { view } else { config }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Value> {
        value_at(self.snapshot, key)
    }

    pub(crate) fn string(&self, key: &str) -> Result<String> {
        let op = self.op("config.Config.string", "config.ConfigView.string");
        // An integer or a bool read from text reads back exactly as written.
        let guessed = self.guessed(key);
        self.typed(op, key, "text", |v| match v {
            Value::String(text) => Some(text.clone()),
            Value::Int(i) if guessed => Some(i.to_string()),
            Value::Bool(b) if guessed => Some(b.to_string()),
            _ => None,
        })
    }

    pub(crate) fn path(&self, key: &str) -> Result<PathBuf> {
        let op = self.op("config.Config.path", "config.ConfigView.path");
        let pick = |v: &Value| {
            v.as_str()
                .filter(|text| !text.is_empty())
                .map(PathBuf::from)
        };
        let path = self.typed(op, key, "a path (non-empty text)", pick)?;
        // Relative to the file that set it, wherever the program runs from; elsewhere (a
        // variable, a flag) as written.
        Ok(match self.snapshot.get(key).map(|entry| &entry.source) {
            Some(Source::File { path: file, .. }) if path.is_relative() => {
                file.parent().map_or(path.clone(), |dir| dir.join(&path))
            }
            _ => path,
        })
    }

    pub(crate) fn int(&self, key: &str) -> Result<i64> {
        let op = self.op("config.Config.int", "config.ConfigView.int");
        self.typed(op, key, "an integer", |v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })
    }

    pub(crate) fn float(&self, key: &str) -> Result<f64> {
        let op = self.op("config.Config.float", "config.ConfigView.float");
        self.typed(op, key, "a float", |v| match v {
            Value::Float(f) => Some(*f),
            // An integer a float holds exactly (`ratio = 1` in TOML); not 2^53 + 1.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            Value::Int(i) => Some(*i as f64).filter(|f| *f as i128 == i128::from(*i)),
            Value::String(text) => crate::lenient::float_text(text),
            _ => None,
        })
    }

    pub(crate) fn bool(&self, key: &str) -> Result<bool> {
        let op = self.op("config.Config.bool", "config.ConfigView.bool");
        let guessed = self.guessed(key);
        self.typed(op, key, "a bool", |v| switch(v, guessed))
    }

    /// Whether the value at `key` is text whose type was guessed: from a variable or a
    /// `--set` (`WORKBENCH_WORKSPACE__FIRST=2024`), not typed on purpose in code, a file
    /// or a declared flag. Only such a value is read as another type by the getters.
    fn guessed(&self, key: &str) -> bool {
        self.snapshot.get(key).is_some_and(guessed)
    }

    pub(crate) fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let op = self.op("config.Config.get_as", "config.ConfigView.get_as");
        let value = value_at(self.snapshot, key).ok_or_else(|| not_set(op, key))?;
        self.deserialize(op, key, &value)
    }

    pub(crate) fn extract<T: DeserializeOwned>(&self, prefix: &str) -> Result<T> {
        let op = self.op("config.Config.extract", "config.ConfigView.extract");
        match value_at(self.snapshot, prefix) {
            Some(value) => self.deserialize(op, prefix, &value),
            // Nothing set under it: `None` for an `Option`, an empty table for a struct
            // (its defaults; one that needs a field says which) or a map; anything else
            // (a number, a list) is not set.
            None => match shape_of::<T>() {
                Shape::Option => self.deserialize(op, prefix, &Value::Null),
                Shape::Table => self.deserialize(op, prefix, &Value::Map(BTreeMap::new())),
                Shape::Value => Err(not_set(op, prefix)),
            },
        }
    }

    pub(crate) fn provenance(&self, key: &str) -> Option<Source> {
        self.snapshot.get(key).map(|entry| entry.source.clone())
    }

    pub(crate) fn keys(&self) -> Vec<String> {
        self.snapshot
            .entries()
            .iter()
            .map(|(key, _)| key.clone())
            .collect()
    }

    pub(crate) fn enabled(&self, name: &str) -> bool {
        let flag = |name: &str| self.snapshot.get(&format!("features.{name}"));
        let dashed = flag(name);
        let underscored = name
            .contains('-')
            .then(|| flag(&name.replace('-', "_")))
            .flatten();
        let decides = match (dashed, underscored) {
            (Some(d), Some(u)) if u.source.layer() > d.source.layer() => Some(u),
            (Some(d), _) => Some(d),
            (None, u) => u,
        };
        decides.is_some_and(|entry| switch(&entry.value, guessed(entry)) == Some(true))
    }

    pub(crate) fn enabled_features(&self) -> Vec<String> {
        // `beta-ui` and `beta_ui` are one flag, decided as `enabled` decides it: the
        // stronger layer, the dashed spelling when both are in one layer.
        let mut flags: BTreeMap<String, (&str, &Entry)> = BTreeMap::new();
        for (key, entry) in self.snapshot.under("features") {
            let Some(name) = key.strip_prefix("features.") else {
                continue;
            };
            let decides = |(held, current): (&str, &Entry)| {
                entry.source.layer() > current.source.layer()
                    || (entry.source.layer() == current.source.layer()
                        && name.contains('-')
                        && !held.contains('-'))
            };
            match flags.entry(name.replace('_', "-")) {
                btree_map::Entry::Vacant(slot) => {
                    slot.insert((name, entry));
                }
                btree_map::Entry::Occupied(mut slot) => {
                    if decides(*slot.get()) {
                        slot.insert((name, entry));
                    }
                }
            }
        }
        let mut on: Vec<String> = flags
            .into_values()
            .filter(|(_, entry)| switch(&entry.value, guessed(entry)) == Some(true))
            .map(|(name, _)| name.to_owned())
            .collect();
        on.sort();
        on
    }

    fn typed<T>(
        &self,
        op: &'static str,
        key: &str,
        expected: &str,
        pick: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<T> {
        if let Some(entry) = self.snapshot.get(key) {
            if let Some(value) = pick(&entry.value) {
                return Ok(value);
            }
            let held = self.describe(key, &entry.value);
            return Err(Error::new(
                op,
                format!(
                    "config key {key:?} holds {held} (from {}), expected {expected}",
                    entry.source
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        if self.snapshot.under(key).next().is_some() {
            return Err(Error::new(
                op,
                format!("config key {key:?} is a table, expected {expected}"),
            )
            .with_code(ErrorCode::INVALID));
        }
        Err(not_set(op, key))
    }

    /// What a value is, for an error message: its kind, and the value itself only for
    /// numbers and bools under keys that do not look secret (text may hide a password in
    /// a URL, whatever its key).
    fn describe(&self, key: &str, value: &Value) -> String {
        let kind = with_article(value.kind());
        match value {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) if !self.secrets.is_secret(key) => {
                let shown = serde_json::to_string(value).unwrap_or_default();
                format!("{kind} ({shown})")
            }
            _ => kind,
        }
    }

    /// Deserializes `value` (found at `key`) into `T`, naming the exact key that failed.
    fn deserialize<T: DeserializeOwned>(
        &self,
        op: &'static str,
        key: &str,
        value: &Value,
    ) -> Result<T> {
        let json = serde_json::to_value(value).map_err(|e| {
            Error::new(op, format!("config key {key:?}: {e}")).with_code(ErrorCode::INVALID)
        })?;
        serde_path_to_error::deserialize(crate::lenient::Lenient(&json)).map_err(|err| {
            let path = err.path().to_string();
            let at = match path.as_str() {
                "." => key.to_owned(),
                path if key.is_empty() => path.to_owned(),
                path if path.starts_with('[') => format!("{key}{path}"),
                path => format!("{key}.{path}"),
            };
            // The source of the value that failed: the key itself, or the nearest key above
            // it that holds a value (a list's, for one of its elements).
            let source = std::iter::successors(Some(at.as_str()), |k| {
                k.rfind(['.', '[']).map(|end| &k[..end])
            })
            .find_map(|k| self.snapshot.get(k))
            .map(|entry| format!(" (from {})", entry.source))
            .unwrap_or_default();
            // Numbers and booleans stay in the message unless the key looks secret (a PIN
            // from `APP_DB__PASSWORD=123456` reads as an integer); text never does.
            let detail = without_text(&err.inner().to_string(), self.secrets.is_secret(&at));
            let shown = if at.is_empty() { "<root>" } else { at.as_str() };
            Error::new(op, format!("config key {shown:?}{source}: {detail}"))
                .with_code(ErrorCode::INVALID)
        })
    }
}

/// The value at `key` in `snapshot`: a leaf's, or a map of the leaves under a table key.
/// Whether `entry`'s type was guessed from text (see [`Reader::guessed`]).
pub(crate) fn guessed(entry: &Entry) -> bool {
    match &entry.source {
        Source::Env { .. } => true,
        Source::Flag { name } => name.starts_with("set "),
        _ => false,
    }
}

/// The switch `value` is: a bool, or, when its type was `guessed` from text, the words
/// and numbers a shell user writes for one (see [`crate::lenient::switch`]).
pub(crate) fn switch(value: &Value, guessed: bool) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        _ if guessed => crate::lenient::switch(value),
        _ => None,
    }
}

fn value_at(snapshot: &Snapshot, key: &str) -> Option<Value> {
    if let Some(entry) = snapshot.get(key) {
        return Some(entry.value.clone());
    }
    let mut under = snapshot.under(key).peekable();
    under.peek()?;
    Some(nest(key, under.map(|(k, e)| (k.as_str(), &e.value))))
}

/// A serde error message without the text it quotes (a string's, an unknown variant's
/// name): a config string may hold a password whatever its key is called. With
/// `hide_scalars`, numbers, booleans and characters go too (for a secret-looking key: an
/// environment variable holding `123456` reads as an integer).
fn without_text(message: &str, hide_scalars: bool) -> String {
    /// How serde quotes a value, and what is said instead.
    const QUOTED: [(&str, char, &str); 6] = [
        ("string \"", '"', "a string"),
        ("variant `", '`', "variant (not shown)"),
        ("integer `", '`', "an integer"),
        ("floating point `", '`', "a float"),
        ("boolean `", '`', "a boolean"),
        ("character `", '`', "a character"),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let quoted = if hide_scalars {
            &QUOTED[..]
        } else {
            &QUOTED[..2]
        };
        let next = quoted
            .iter()
            .filter_map(|&(opener, close, word)| {
                rest.find(opener).map(|at| (at, opener, close, word))
            })
            .min_by_key(|&(at, ..)| at);
        let Some((at, opener, close, word)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        out.push_str(word);
        // Skip to the unescaped closing quote.
        let mut escaped = false;
        let body = &rest[at + opener.len()..];
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                let closes = c == close && !escaped;
                escaped = c == '\\' && !escaped;
                closes
            })
            .map_or(body.len(), |(i, c)| i + c.len_utf8());
        rest = &body[end..];
    }
}

/// `"an int"`, `"a string"`: a value kind with its article, for messages.
pub(crate) fn with_article(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

fn not_set(op: &'static str, key: &str) -> Error {
    Error::new(op, format!("config key {key:?} is not set")).with_code(ErrorCode::NOT_FOUND)
}
