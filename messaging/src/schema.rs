//! [`Schema`]: the declared input of an Action, checked before its handler runs.

use std::fmt;

use corers_primitives::{Error, ErrorCode, Options, Result, Value};
use serde::{Deserialize, Serialize};

/// The kind of value an input key takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ValueKind {
    /// Any value at all.
    Any,
    /// `true` or `false`.
    Bool,
    /// An integer.
    Int,
    /// A float (an integer is accepted too: `2` is a fine ratio).
    Float,
    /// Text.
    String,
    /// Raw bytes.
    Bytes,
    /// A list.
    List,
    /// A map.
    Map,
}

impl ValueKind {
    /// Reports whether `value` is of this kind.
    ///
    /// ```
    /// use corers_messaging::ValueKind;
    /// use corers_primitives::Value;
    /// assert!(ValueKind::Int.accepts(&Value::from(8080)));
    /// assert!(!ValueKind::Int.accepts(&Value::from("8080")));
    /// assert!(ValueKind::Float.accepts(&Value::from(2)));
    /// ```
    ///
    /// [`ValueKind::Float`] accepts an int too (TOML and JSON write `2` for `2.0`): read such
    /// an input with `options.get_as::<f64>(key)`, which takes both, rather than
    /// [`Options::float`](corers_primitives::Options::float), which never converts.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ValueKind::Any => true,
            ValueKind::Bool => value.as_bool().is_some(),
            ValueKind::Int => value.as_i64().is_some(),
            ValueKind::Float => value.as_f64().is_some() || value.as_i64().is_some(),
            ValueKind::String => value.as_str().is_some(),
            ValueKind::Bytes => value.as_bytes().is_some(),
            ValueKind::List => value.as_list().is_some(),
            ValueKind::Map => value.as_map().is_some(),
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Any => "any",
            ValueKind::Bool => "bool",
            ValueKind::Int => "int",
            ValueKind::Float => "float",
            ValueKind::String => "string",
            ValueKind::Bytes => "bytes",
            ValueKind::List => "list",
            ValueKind::Map => "map",
        })
    }
}

/// One declared input key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Field {
    /// The key in the Action's `Options`.
    pub key: String,
    /// What kind of value it takes.
    pub kind: ValueKind,
    /// Whether a call must give it.
    pub required: bool,
}

/// The declared inputs of an Action. Keys that are not declared are passed through
/// unchecked, so a schema can describe the keys that matter without closing the door on
/// the rest — unless it is [`closed`](Schema::closed).
///
/// ```
/// use corers_messaging::{Schema, ValueKind};
/// use corers_primitives::options;
///
/// let schema = Schema::new()
///     .required("path", ValueKind::String)
///     .optional("limit", ValueKind::Int);
/// assert!(schema.check("git.log", &options! { "path" => "/srv/repo", "limit" => 10 }).is_ok());
/// let err = schema.check("git.log", &options! { "limit" => "ten" }).unwrap_err();
/// assert_eq!(err.message(), r#"action "git.log": missing required input "path" (string)"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    fields: Vec<Field>,
    /// Whether a key it does not declare is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    closed: bool,
}

impl Schema {
    /// An empty schema: every input is accepted.
    ///
    /// ```
    /// use corers_messaging::Schema;
    /// assert!(Schema::new().fields().is_empty());
    /// ```
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Declares a key every call must give.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// let schema = Schema::new().required("path", ValueKind::String);
    /// assert!(schema.fields()[0].required);
    /// ```
    #[must_use]
    pub fn required(self, key: impl Into<String>, kind: ValueKind) -> Schema {
        self.with(key.into(), kind, true)
    }

    /// Declares a key a call may give.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// let schema = Schema::new().optional("limit", ValueKind::Int);
    /// assert!(!schema.fields()[0].required);
    /// ```
    #[must_use]
    pub fn optional(self, key: impl Into<String>, kind: ValueKind) -> Schema {
        self.with(key.into(), kind, false)
    }

    /// Refuses a key it does not declare, naming the declared one it is closest to: an
    /// agent's `paht` for `path` is an error, not an input the handler never reads (JSON
    /// Schema's `additionalProperties: false`, serde's `deny_unknown_fields`).
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// use corers_primitives::options;
    /// let schema = Schema::new().optional("path", ValueKind::String).closed();
    /// let err = schema.check("git.log", &options! { "paht" => "/srv/repo" }).unwrap_err();
    /// assert_eq!(
    ///     err.message(),
    ///     r#"action "git.log": unknown input "paht" (did you mean "path"?; it takes path)"#
    /// );
    /// ```
    #[must_use]
    pub fn closed(mut self) -> Schema {
        self.closed = true;
        self
    }

    /// The declared keys, in declaration order.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// let schema = Schema::new().required("path", ValueKind::String).optional("limit", ValueKind::Int);
    /// let keys: Vec<&str> = schema.fields().iter().map(|f| f.key.as_str()).collect();
    /// assert_eq!(keys, ["path", "limit"]);
    /// ```
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Checks `options` against the schema for the Action `action`.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// use corers_primitives::options;
    /// let schema = Schema::new().optional("limit", ValueKind::Int);
    /// let err = schema.check("git.log", &options! { "limit" => "ten" }).unwrap_err();
    /// assert_eq!(err.message(), r#"action "git.log": input "limit" must be int, found string "ten""#);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] naming the first missing required key, or the first key whose
    /// value is of the wrong kind, with the expected kind; for a
    /// [closed](Schema::closed) schema, the first key it does not declare.
    pub fn check(&self, action: &str, options: &Options) -> Result<()> {
        const OP: &str = "messaging.Schema.check";
        for field in &self.fields {
            match options.get(&field.key) {
                None | Some(Value::Null) if field.required => {
                    return Err(Error::new(
                        OP,
                        format!(
                            "action {action:?}: missing required input {:?} ({})",
                            field.key, field.kind
                        ),
                    )
                    .with_code(ErrorCode::INVALID));
                }
                Some(value) if !value.is_null() && !field.kind.accepts(value) => {
                    return Err(Error::new(
                        OP,
                        format!(
                            "action {action:?}: input {:?} must be {}, found {} {}",
                            field.key,
                            field.kind,
                            value.kind(),
                            shown(&field.key, value)
                        ),
                    )
                    .with_code(ErrorCode::INVALID));
                }
                _ => {}
            }
        }
        if self.closed {
            self.check_declared(action, options)?;
        }
        Ok(())
    }

    /// The error for the first key `options` gives that a closed schema does not declare.
    fn check_declared(&self, action: &str, options: &Options) -> Result<()> {
        let declared = || self.fields.iter().map(|field| field.key.as_str());
        let Some((unknown, _)) = options
            .iter()
            .find(|(key, _)| !declared().any(|field| field == *key))
        else {
            return Ok(());
        };
        let hint = corers_primitives::closest(unknown, declared())
            .map(|close| format!("did you mean {close:?}?; "))
            .unwrap_or_default();
        let takes = if self.fields.is_empty() {
            "it takes no input".to_owned()
        } else {
            format!("it takes {}", declared().collect::<Vec<_>>().join(", "))
        };
        Err(Error::new(
            "messaging.Schema.check",
            format!("action {action:?}: unknown input {unknown:?} ({hint}{takes})"),
        )
        .with_code(ErrorCode::INVALID))
    }

    fn with(mut self, key: String, kind: ValueKind, required: bool) -> Schema {
        match self.fields.iter_mut().find(|f| f.key == key) {
            Some(field) => {
                field.kind = kind;
                field.required = required;
            }
            None => self.fields.push(Field {
                key,
                kind,
                required,
            }),
        }
        self
    }
}

/// A wrong value as an error message shows it: never a secret-looking key's, a list or a
/// map only by its size (a map may hold a secret under a key of its own, and a whole list
/// would flood the log), and no more than 64 characters of anything else. Only those
/// characters are rendered: a huge value costs no more than a small one.
fn shown(key: &str, value: &Value) -> String {
    /// Keeps the first `room` characters written to it, then refuses the rest.
    struct Bounded {
        text: String,
        room: usize,
        cut: bool,
    }
    impl fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                if self.room == 0 {
                    self.cut = true;
                    return Err(fmt::Error);
                }
                self.text.push(c);
                self.room -= 1;
            }
            Ok(())
        }
    }
    if corers_primitives::is_secret_name(key) {
        return corers_primitives::REDACTED.to_owned();
    }
    match value {
        Value::List(items) => return format!("of {} items", items.len()),
        Value::Map(entries) => return format!("of {} keys", entries.len()),
        _ => {}
    }
    let mut shown = Bounded {
        text: String::new(),
        room: 64,
        cut: false,
    };
    // Bytes are encoded whole before they are written: encode no more than can show.
    let head;
    let value = match value {
        Value::Bytes(bytes) if bytes.len() > 64 => {
            head = Value::Bytes(bytes[..64].to_vec());
            &head
        }
        value => value,
    };
    // An error here only means the value was longer than the room.
    let _ = fmt::Write::write_fmt(&mut shown, format_args!("{value}"));
    if shown.cut {
        shown.text.push('…');
    }
    shown.text
}
