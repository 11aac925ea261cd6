//! [`Schema`]: the declared input of an Action, checked before its handler runs.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use corers_primitives::{Error, ErrorCode, Options, Result, Value, shown_name};
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
    /// An integer; a whole float an `i64` holds is accepted too (JSON Schema's `integer`
    /// takes `5.0`, and some JSON writers send it), and a run hands it over as `5`.
    Int,
    /// A float; an integer is accepted too (`2` is a fine ratio), and a run hands it over
    /// as `2.0`.
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
    /// assert!(ValueKind::Int.accepts(&Value::from(5.0)));
    /// assert!(!ValueKind::Int.accepts(&Value::from(5.5)));
    /// assert!(ValueKind::Float.accepts(&Value::from(2)));
    /// ```
    ///
    /// The two number kinds take each other's whole numbers (TOML and JSON write `2` for
    /// `2.0`, and some JSON writers `5.0` for `5`); an Action's run converts such a value to
    /// the declared kind before its handler reads it, so
    /// [`Options::int`](corers_primitives::Options::int) and
    /// [`Options::float`](corers_primitives::Options::float) find it. A caller checking
    /// options of its own reads them with `options.get_as::<f64>(key)`, which takes both.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ValueKind::Any => true,
            ValueKind::Bool => value.as_bool().is_some(),
            ValueKind::Int => value.as_i64().is_some() || value.as_f64().and_then(whole).is_some(),
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Field {
    /// The key in the Action's `Options`.
    pub key: String,
    /// What kind of value it takes.
    pub kind: ValueKind,
    /// Whether a call must give it.
    pub required: bool,
    /// What it is for, in words for whoever fills it in: a person reading an Action's
    /// listing, a model reading the tool's [JSON Schema](Schema::to_json_schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The only values it takes, when it takes a few ([`one_of`](Field::one_of)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// What a run hands the handler when a call leaves the key out
    /// ([`default`](Field::default)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

impl Field {
    /// A key every call must give.
    ///
    /// ```
    /// use corers_messaging::{Field, ValueKind};
    /// let path = Field::required("path", ValueKind::String);
    /// assert!(path.required && path.description.is_none());
    /// ```
    pub fn required(key: impl Into<String>, kind: ValueKind) -> Field {
        Field {
            key: key.into(),
            kind,
            required: true,
            description: None,
            one_of: None,
            default: None,
        }
    }

    /// A key a call may give.
    ///
    /// ```
    /// use corers_messaging::{Field, ValueKind};
    /// assert!(!Field::optional("limit", ValueKind::Int).required);
    /// ```
    pub fn optional(key: impl Into<String>, kind: ValueKind) -> Field {
        Field {
            required: false,
            ..Field::required(key, kind)
        }
    }

    /// Says what the key is for.
    ///
    /// ```
    /// use corers_messaging::{Field, ValueKind};
    /// let limit = Field::optional("limit", ValueKind::Int).description("how many commits, newest first");
    /// assert_eq!(limit.description.as_deref(), Some("how many commits, newest first"));
    /// ```
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Field {
        self.description = Some(description.into());
        self
    }

    /// Takes only `values` (JSON Schema's `enum`): any other value of the key's kind is a
    /// [`Violation::NotAllowed`] naming them.
    ///
    /// ```
    /// use corers_messaging::{Field, Schema, ValueKind};
    /// use corers_primitives::options;
    /// let schema = Schema::new()
    ///     .field(Field::optional("order", ValueKind::String).one_of(["newest", "oldest"]));
    /// assert!(schema.check("git.log", &options! { "order" => "oldest" }).is_ok());
    /// let err = schema.check("git.log", &options! { "order" => "random" }).unwrap_err();
    /// assert_eq!(
    ///     err.message(),
    ///     r#"action "git.log": input "order" must be one of "newest", "oldest", found "random""#
    /// );
    /// ```
    #[must_use]
    pub fn one_of<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Field {
        self.one_of = Some(values.into_iter().map(Into::into).collect());
        self
    }

    /// What a run hands the handler when a call leaves the key out (or gives null), so the
    /// handler reads one value and a tool listing shows it (JSON Schema's `default`).
    /// [`Actions::register`](crate::Actions::register) refuses a default of another kind,
    /// one that [`one_of`](Field::one_of) does not list, and one for a required key.
    ///
    /// ```
    /// use corers_messaging::{Field, ValueKind};
    /// use corers_primitives::Value;
    /// let limit = Field::optional("limit", ValueKind::Int).default(20);
    /// assert_eq!(limit.default, Some(Value::from(20)));
    /// ```
    #[must_use]
    pub fn default(mut self, value: impl Into<Value>) -> Field {
        self.default = Some(value.into());
        self
    }

    /// Whether `value` (not null) is one this key takes: of its kind, and listed when
    /// [`one_of`](Field::one_of) lists values (a number compared as its kind reads it).
    fn allows(&self, value: &Value) -> bool {
        match &self.one_of {
            Some(values) => values.iter().any(|allowed| same(allowed, value)),
            None => true,
        }
    }
}

/// Whether `a` and `b` are the same value, an int and a whole float by their worth (`5`
/// and `5.0`: TOML and JSON write either), exactly (`2^53 + 1` is not `2^53` as a float).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => {
            whole(*f) == Some(*i)
        }
        _ => a == b,
    }
}

/// One way an input breaks a [`Schema`], as [`Schema::violations`] lists them: for a
/// program that answers its caller key by key (a tool server telling a model which
/// argument to fix) rather than with one message. It serializes tagged by `violation`, for
/// an error's structured data:
///
/// ```
/// use corers_messaging::{Schema, ValueKind};
/// use corers_primitives::options;
/// let schema = Schema::new().required("limit", ValueKind::Int);
/// let violations = schema.violations(&options! { "limit" => "ten" });
/// assert_eq!(
///     serde_json::to_string(&violations).unwrap(),
///     r#"[{"violation":"wrong_kind","key":"limit","expected":"int","found":"string","shown":"\"ten\""}]"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "violation", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Violation {
    /// A required key is absent, or null.
    Missing {
        /// The key.
        key: String,
        /// The kind it takes.
        expected: ValueKind,
    },
    /// A key's value is of another kind.
    WrongKind {
        /// The key.
        key: String,
        /// The kind it takes.
        expected: ValueKind,
        /// The kind given (`"string"`, see `Value::kind`).
        found: &'static str,
        /// The value as messages show it: a secret-looking key's hidden, a list or a map
        /// by its size, anything else cut at 64 characters.
        shown: String,
    },
    /// A key's value is of its kind but not one of the values it takes.
    NotAllowed {
        /// The key.
        key: String,
        /// The values it takes, as messages show them.
        allowed: Vec<String>,
        /// The value given, as messages show it.
        shown: String,
    },
    /// A [closed](Schema::closed) schema does not declare the key.
    Unknown {
        /// The key.
        key: String,
        /// The declared key it is closest to, when one is close.
        closest: Option<String>,
    },
}

impl Violation {
    /// The key at fault.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// use corers_primitives::options;
    /// let schema = Schema::new().required("path", ValueKind::String);
    /// assert_eq!(schema.violations(&options! {})[0].key(), "path");
    /// ```
    pub fn key(&self) -> &str {
        match self {
            Violation::Missing { key, .. }
            | Violation::WrongKind { key, .. }
            | Violation::NotAllowed { key, .. }
            | Violation::Unknown { key, .. } => key,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Missing { key, expected } => {
                write!(f, "missing required input {} ({expected})", shown_name(key))
            }
            Violation::WrongKind {
                key,
                expected,
                found,
                shown,
            } => write!(
                f,
                "input {} must be {expected}, found {found} {shown}",
                shown_name(key)
            ),
            Violation::NotAllowed {
                key,
                allowed,
                shown,
            } => write!(
                f,
                "input {} must be one of {}, found {shown}",
                shown_name(key),
                allowed.join(", ")
            ),
            Violation::Unknown { key, closest } => {
                write!(f, "unknown input {}", shown_name(key))?;
                match closest {
                    Some(close) => write!(f, " (did you mean {close:?}?)"),
                    None => Ok(()),
                }
            }
        }
    }
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
/// let err = schema.check("git.log", &options! { "limit" => 10 }).unwrap_err();
/// assert_eq!(err.message(), r#"action "git.log": missing required input "path" (string)"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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

    /// Declares `field`, with its description: the long form of
    /// [`required`](Schema::required) and [`optional`](Schema::optional). A key declared
    /// again is replaced where it stands.
    ///
    /// ```
    /// use corers_messaging::{Field, Schema, ValueKind};
    /// let schema = Schema::new()
    ///     .field(Field::required("path", ValueKind::String).description("the repository to read"))
    ///     .field(Field::optional("limit", ValueKind::Int).description("how many commits, newest first"));
    /// assert_eq!(schema.fields()[1].description.as_deref(), Some("how many commits, newest first"));
    /// ```
    #[must_use]
    pub fn field(mut self, field: Field) -> Schema {
        match self.fields.iter_mut().find(|f| f.key == field.key) {
            Some(declared) => *declared = field,
            None => self.fields.push(field),
        }
        self
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
    ///     r#"action "git.log": unknown input "paht" (did you mean "path"?); it takes path"#
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

    /// Checks `options` against the schema for the Action `action`: one error naming every
    /// [violation](Schema::violations), in declaration order, then the undeclared keys of a
    /// closed schema in the order given.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind};
    /// use corers_primitives::options;
    /// let schema = Schema::new().required("path", ValueKind::String).optional("limit", ValueKind::Int);
    /// let err = schema.check("git.log", &options! { "limit" => "ten" }).unwrap_err();
    /// assert_eq!(
    ///     err.message(),
    ///     r#"action "git.log": missing required input "path" (string); input "limit" must be int, found string "ten""#
    /// );
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when there is any violation; the message names each one,
    /// and for an undeclared key the keys the Action takes.
    pub fn check(&self, action: &str, options: &Options) -> Result<()> {
        /// The most violations the message names: input with 50,000 unknown keys gets a
        /// message of a few lines, not megabytes.
        const NAMED: usize = 10;
        let violations = self.violations(options);
        if violations.is_empty() {
            return Ok(());
        }
        let mut message = format!("action {action:?}: ");
        for (i, violation) in violations.iter().take(NAMED).enumerate() {
            if i > 0 {
                message.push_str("; ");
            }
            message.push_str(&violation.to_string());
        }
        if violations.len() > NAMED {
            let _ = write!(message, "; and {} more", violations.len() - NAMED);
        }
        if violations
            .iter()
            .any(|v| matches!(v, Violation::Unknown { .. }))
        {
            message.push_str("; ");
            if self.fields.is_empty() {
                message.push_str("it takes no input");
            } else {
                message.push_str("it takes ");
                message.push_str(&self.keys().collect::<Vec<_>>().join(", "));
            }
        }
        Err(Error::new("messaging.Schema.check", message).with_code(ErrorCode::INVALID))
    }

    /// Every way `options` breaks the schema: missing required keys and values of the
    /// wrong kind, in declaration order, then (for a [closed](Schema::closed) schema) the
    /// keys it does not declare, in the order given. Empty when `options` fits.
    ///
    /// ```
    /// use corers_messaging::{Schema, ValueKind, Violation};
    /// use corers_primitives::options;
    /// let schema = Schema::new().required("path", ValueKind::String).closed();
    /// let violations = schema.violations(&options! { "paht" => "/srv/repo" });
    /// assert_eq!(violations.len(), 2);
    /// assert!(matches!(&violations[1], Violation::Unknown { key, closest: Some(close) }
    ///     if key == "paht" && close == "path"));
    /// ```
    pub fn violations(&self, options: &Options) -> Vec<Violation> {
        let mut violations = Vec::new();
        for field in &self.fields {
            match options.get(&field.key) {
                None | Some(Value::Null) if field.required => {
                    violations.push(Violation::Missing {
                        key: field.key.clone(),
                        expected: field.kind,
                    });
                }
                Some(value) if !value.is_null() && !field.kind.accepts(value) => {
                    violations.push(Violation::WrongKind {
                        key: field.key.clone(),
                        expected: field.kind,
                        found: value.kind(),
                        shown: shown(&field.key, value),
                    });
                }
                Some(value) if !value.is_null() && !field.allows(value) => {
                    violations.push(Violation::NotAllowed {
                        key: field.key.clone(),
                        allowed: field
                            .one_of
                            .iter()
                            .flatten()
                            .map(|allowed| shown(&field.key, allowed))
                            .collect(),
                        shown: shown(&field.key, value),
                    });
                }
                _ => {}
            }
        }
        if self.closed {
            // Only a key not given already: with "path" given, "paths" is not it. (Found
            // once: input with many unknown keys is not a square of work.)
            let mut open = None;
            for (key, _) in options.iter() {
                if !self.declares(key) {
                    let open: &Vec<&str> = open.get_or_insert_with(|| {
                        self.keys()
                            .filter(|declared| !options.has(declared))
                            .collect()
                    });
                    violations.push(Violation::Unknown {
                        key: key.to_owned(),
                        closest: corers_primitives::closest(key, open.iter().copied())
                            .map(str::to_owned),
                    });
                }
            }
        }
        violations
    }

    /// The schema as a [JSON Schema](https://json-schema.org) object: what a tool listing
    /// (an MCP server's `inputSchema`, an LLM function's `parameters`) hands to a model.
    /// Each key's kind becomes its `type` (`any` none, but not null when required; `bytes`
    /// the `{"$bytes": "<base64>"}` form a `Value` takes in JSON), its description its
    /// `description`; `required` lists the required keys in declaration order, and a
    /// closed schema has `"additionalProperties": false`.
    ///
    /// ```
    /// use corers_messaging::{Field, Schema, ValueKind};
    /// let schema = Schema::new()
    ///     .field(Field::required("path", ValueKind::String).description("the repository to read"))
    ///     .optional("limit", ValueKind::Int)
    ///     .closed();
    /// let json = serde_json::to_string(&schema.to_json_schema()).unwrap();
    /// assert_eq!(
    ///     json,
    ///     r#"{"additionalProperties":false,"properties":{"limit":{"type":"integer"},"path":{"description":"the repository to read","type":"string"}},"required":["path"],"type":"object"}"#
    /// );
    /// ```
    pub fn to_json_schema(&self) -> Value {
        let properties = self
            .fields
            .iter()
            .map(|field| {
                let mut property = json_type(field.kind);
                // A required key must not be null (null is missing, as `check` reads it):
                // every other kind's `type` already says so.
                if field.required && field.kind == ValueKind::Any {
                    property.insert(
                        "not".to_owned(),
                        Value::from(BTreeMap::from([("type".to_owned(), Value::from("null"))])),
                    );
                }
                if let Some(description) = &field.description {
                    property.insert("description".to_owned(), Value::from(description));
                }
                if let Some(values) = &field.one_of {
                    property.insert("enum".to_owned(), Value::from(values.clone()));
                }
                if let Some(default) = &field.default {
                    property.insert("default".to_owned(), default.clone());
                }
                (field.key.clone(), Value::from(property))
            })
            .collect::<BTreeMap<_, _>>();
        let required = self
            .fields
            .iter()
            .filter(|field| field.required)
            .map(|field| Value::from(&field.key))
            .collect::<Vec<_>>();
        let mut schema = BTreeMap::from([
            ("type".to_owned(), Value::from("object")),
            ("properties".to_owned(), Value::from(properties)),
            ("required".to_owned(), Value::from(required)),
        ]);
        if self.closed {
            schema.insert("additionalProperties".to_owned(), Value::from(false));
        }
        Value::from(schema)
    }

    /// Checks `options` as [`check`](Schema::check) does, fills in the
    /// [default](Field::default) of each key left out, and leaves each declared number in
    /// its declared kind (`5.0` for an int key as `5`, `2` for a float key as `2.0`): what a
    /// run hands its handler.
    pub(crate) fn admit(&self, action: &str, options: &mut Options) -> Result<()> {
        // No key declared: nothing to check, fill or convert (but a closed schema's
        // refusal of any key at all).
        if self.fields.is_empty() && (!self.closed || options.is_empty()) {
            return Ok(());
        }
        self.check(action, options)?;
        for field in &self.fields {
            if let Some(default) = &field.default
                && options.get(&field.key).is_none_or(Value::is_null)
            {
                options.set(field.key.as_str(), default.clone());
            }
            if !matches!(field.kind, ValueKind::Int | ValueKind::Float) {
                continue;
            }
            let converted = match (field.kind, options.get(&field.key)) {
                (ValueKind::Int, Some(Value::Float(f))) => whole(*f).map(Value::Int),
                #[allow(clippy::cast_precision_loss)] // a float key takes a float's precision
                (ValueKind::Float, Some(Value::Int(i))) => Some(Value::Float(*i as f64)),
                _ => None,
            };
            if let Some(value) = converted {
                options.set(field.key.as_str(), value);
            }
        }
        Ok(())
    }

    /// Checks the schema itself, for [`Actions::register`](crate::Actions::register): each
    /// [default](Field::default) for an optional key, of its kind and among the values it
    /// [takes](Field::one_of); each listed value of the key's kind.
    pub(crate) fn declared_well(&self, action: &str) -> Result<()> {
        for field in &self.fields {
            if let Some(wrong) = field
                .one_of
                .iter()
                .flatten()
                .find(|v| !field.kind.accepts(v))
            {
                return Err(ill_declared(
                    action,
                    field,
                    &format!("lists {}, not {}", shown(&field.key, wrong), field.kind),
                ));
            }
            if let Some(default) = &field.default {
                if field.required {
                    return Err(ill_declared(
                        action,
                        field,
                        "is required: a default would never be used",
                    ));
                }
                if !field.kind.accepts(default) || default.is_null() {
                    return Err(ill_declared(
                        action,
                        field,
                        &format!(
                            "defaults to {}, not {}",
                            shown(&field.key, default),
                            field.kind
                        ),
                    ));
                }
                if !field.allows(default) {
                    return Err(ill_declared(
                        action,
                        field,
                        &format!(
                            "defaults to {}, which it does not take",
                            shown(&field.key, default)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether it is [closed](Schema::closed).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether it declares `key`.
    pub(crate) fn declares(&self, key: &str) -> bool {
        self.keys().any(|declared| declared == key)
    }

    /// The declared keys, in declaration order.
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|field| field.key.as_str())
    }

    fn with(mut self, key: String, kind: ValueKind, required: bool) -> Schema {
        match self.fields.iter_mut().find(|f| f.key == key) {
            Some(field) => {
                field.kind = kind;
                field.required = required;
            }
            None => self.fields.push(Field {
                required,
                ..Field::required(key, kind)
            }),
        }
        self
    }
}

/// The error for `field` of `action`'s schema, declared as `what` says.
fn ill_declared(action: &str, field: &Field, what: &str) -> Error {
    Error::new(
        "messaging.Schema.declared_well",
        format!(
            "action {}: input {} {what}",
            shown_name(action),
            shown_name(&field.key)
        ),
    )
    .with_code(ErrorCode::INVALID)
}

/// `f` as an `i64`, when it is a whole number one holds.
#[allow(clippy::cast_possible_truncation)] // whole and in range: the cast is exact
fn whole(f: f64) -> Option<i64> {
    // -2^63 is i64::MIN exactly; 2^63 is one past i64::MAX.
    const RANGE: std::ops::Range<f64> = -9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && RANGE.contains(&f)).then_some(f as i64)
}

/// The JSON Schema of one kind of value.
fn json_type(kind: ValueKind) -> BTreeMap<String, Value> {
    let typed = |name: &str| BTreeMap::from([("type".to_owned(), Value::from(name))]);
    match kind {
        ValueKind::Any => BTreeMap::new(),
        ValueKind::Bool => typed("boolean"),
        ValueKind::Int => typed("integer"),
        ValueKind::Float => typed("number"),
        ValueKind::String => typed("string"),
        ValueKind::List => typed("array"),
        ValueKind::Map => typed("object"),
        ValueKind::Bytes => {
            let mut bytes = typed("object");
            let mut base64 = typed("string");
            base64.insert("contentEncoding".to_owned(), Value::from("base64"));
            bytes.insert(
                "properties".to_owned(),
                Value::from(BTreeMap::from([("$bytes".to_owned(), Value::from(base64))])),
            );
            bytes.insert(
                "required".to_owned(),
                Value::from(vec![Value::from("$bytes")]),
            );
            bytes.insert("additionalProperties".to_owned(), Value::from(false));
            bytes
        }
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
        // The bytes form with text that does not decode: say so, not "a map".
        Value::Map(entries)
            if entries.len() == 1 && matches!(entries.get("$bytes"), Some(Value::String(_))) =>
        {
            return r#"{"$bytes"} whose text is not base64"#.to_owned();
        }
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
