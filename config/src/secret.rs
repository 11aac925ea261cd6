//! Which keys hold secrets, and values with their secrets hidden.

use corers_log::{Redactor, without_url_passwords};
use corers_primitives::Value;

/// What a hidden value shows.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Which config keys hold secrets: those the default log redaction patterns match
/// (`database.password`, `stripe.api-key`: `-` reads as `_`), and those the application's
/// own logger redacts (the config's logger: a Core's); keys inside tables held in lists too.
/// A logger's patterns add to the defaults here, never take them away: a dump never shows
/// a password because the logger was told about DSNs only.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    defaults: Redactor,
    app: Option<Redactor>,
}

impl Secrets {
    pub(crate) fn new(app: Option<Redactor>) -> Secrets {
        Secrets {
            defaults: Redactor::default(),
            app,
        }
    }

    pub(crate) fn is_secret(&self, key: &str) -> bool {
        // The redactors read `-` as `_` themselves. The whole key, and its last segment: a
        // pattern written for a field name (`session_*`) names `web.session_id` too.
        let matches = |name: &str| {
            self.defaults.is_secret(name)
                || self.app.as_ref().is_some_and(|app| app.is_secret(name))
        };
        matches(key) || key.rsplit_once('.').is_some_and(|(_, last)| matches(last))
    }

    /// `value` (at `key`) for display: `None` when the key itself is secret, otherwise the
    /// value with the entries of nested tables under secret keys replaced by `[REDACTED]`,
    /// and the passwords of URLs in its text too.
    pub(crate) fn shown(&self, key: &str, value: &Value) -> Option<Value> {
        (!self.is_secret(key)).then(|| self.scrub(value))
    }

    fn scrub(&self, value: &Value) -> Value {
        match value {
            Value::List(items) => Value::List(items.iter().map(|v| self.scrub(v)).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let v = if self.is_secret(k) {
                            Value::String(REDACTED.to_owned())
                        } else {
                            self.scrub(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            // A connection string under a key nobody thought secret (`database.url`).
            Value::String(text) => Value::String(without_url_passwords(text).into_owned()),
            other => other.clone(),
        }
    }
}
