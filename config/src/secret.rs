//! Which keys hold secrets, and values with their secrets hidden.

use corers_log::Redactor;
use corers_primitives::Value;

/// What a hidden value shows.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// The log redaction patterns applied to config keys: `database.password`,
/// `stripe.api-key` (`-` reads as `_`), and keys inside tables held in lists.
#[derive(Debug, Default)]
pub(crate) struct Secrets(Redactor);

impl Secrets {
    pub(crate) fn is_secret(&self, key: &str) -> bool {
        // The redactor reads `-` as `_` itself.
        self.0.is_secret(key)
    }

    /// `value` (at `key`) for display: `None` when the key itself is secret, otherwise the
    /// value with the entries of nested tables under secret keys replaced by `[REDACTED]`.
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
            other => other.clone(),
        }
    }
}
