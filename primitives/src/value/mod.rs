//! [`Value`]: the dynamic value that crosses every boundary.

mod de;
mod ser;

use std::collections::BTreeMap;
use std::fmt;

pub use de::from_value;
pub(crate) use de::from_value_under;
pub use ser::to_value;

/// A dynamic value: what an [`Options`](crate::Options) entry, an Action input or an Action
/// output holds.
///
/// `Value` is serde-compatible in both directions, so it crosses a process or machine boundary
/// unchanged: `Value → JSON → Value` gives back an equal value for every variant. Two variants
/// need an encoding in JSON, and both are documented here:
///
/// - [`Value::Bytes`] is written as `{"$bytes": "<standard base64>"}` in human-readable formats
///   (JSON, TOML) and as native bytes in binary formats. A map with the single key `"$bytes"` and
///   a base64 string value (standard or URL-safe, padded or not, as other programs write
///   it) is read back as bytes: `"$bytes"` is a reserved key, so a map of
///   your own holding only that key (with valid base64) does not survive the round trip as a
///   map.
/// - [`Value::Float`] must be finite: JSON has no `NaN` or infinity, so serializing one is an
///   error instead of a silent `null`.
///
/// Integers that JSON carries beyond `i64` (up to `u64::MAX`) are refused when read, as
/// when written, rather than rounded to a float: a large id or hash must not change. A map
/// that gives one key twice is refused when read, as serde refuses a struct field given
/// twice, rather than keeping whichever came last.
///
/// ```
/// use corers_primitives::Value;
///
/// let port = Value::from(8080);
/// assert_eq!(port.as_i64(), Some(8080));
/// assert_eq!(port.as_str(), None); // no coercion: an int is not a string
///
/// let json = serde_json::to_string(&Value::from(vec![1, 2])).unwrap();
/// assert_eq!(json, "[1,2]");
/// ```
/// Its `Debug` is the usual one (`Map({"port": Int(8080)})`), with `[REDACTED]` for the
/// value of a secret-looking map key ([`is_secret_name`](crate::is_secret_name)), however
/// deep.
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// The absence of a value (JSON `null`).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float, which must be finite to cross a boundary: serializing or
    /// deserializing NaN or an infinity is an error (and so is storing one in a config);
    /// `Value::from(f64::NAN)` holds it, for a check to refuse.
    Float(f64),
    /// UTF-8 text.
    String(String),
    /// Raw bytes (see the type docs for their JSON encoding).
    Bytes(Vec<u8>),
    /// An ordered list.
    List(Vec<Value>),
    /// A map with string keys, sorted by key.
    Map(BTreeMap<String, Value>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Value::Int(n) => f.debug_tuple("Int").field(n).finish(),
            Value::Float(x) => f.debug_tuple("Float").field(x).finish(),
            Value::String(s) => f.debug_tuple("String").field(s).finish(),
            Value::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Value::List(items) => f.debug_tuple("List").field(items).finish(),
            Value::Map(entries) => f.debug_tuple("Map").field(&ShownMap(entries)).finish(),
        }
    }
}

/// A map's entries for `Debug`, secret-looking keys' values redacted.
struct ShownMap<'a>(&'a BTreeMap<String, Value>);

impl fmt::Debug for ShownMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(key, value)| (key, Shown { key, value })),
            )
            .finish()
    }
}

/// The value at `key` for `Debug`: `[REDACTED]` when the key looks secret.
pub(crate) struct Shown<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a Value,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::is_secret_name(self.key) {
            f.write_str(crate::REDACTED)
        } else {
            fmt::Debug::fmt(self.value, f)
        }
    }
}

/// The key that marks bytes in human-readable formats: `{"$bytes": "aGVsbG8="}`.
pub(crate) const BYTES_KEY: &str = "$bytes";

impl Value {
    /// Names the variant, for error messages: `"null"`, `"bool"`, `"int"`, `"float"`,
    /// `"string"`, `"bytes"`, `"list"` or `"map"`.
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from("homelab").kind(), "string");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// Reports whether this is [`Value::Null`].
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert!(Value::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, when this is a [`Value::String`]; `None` for every other variant.
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from("brain").as_str(), Some("brain"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when this is a [`Value::Int`]; `None` otherwise (a float or a numeric
    /// string is not an integer).
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from(8080).as_i64(), Some(8080));
    /// assert_eq!(Value::from("8080").as_i64(), None);
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, when this is a [`Value::Float`]; `None` otherwise (an integer is not
    /// widened).
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from(0.25).as_f64(), Some(0.25));
    /// assert_eq!(Value::from(1).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, when this is a [`Value::Bool`]; `None` otherwise (`"true"` is a string).
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from(true).as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The bytes, when this is a [`Value::Bytes`]; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::Value;
    /// assert_eq!(Value::from(b"\x00\xff".to_vec()).as_bytes(), Some(&[0u8, 255][..]));
    /// ```
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The items, when this is a [`Value::List`]; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::Value;
    /// let hosts = Value::from(vec!["homelab", "studio"]);
    /// assert_eq!(hosts.as_list().map(<[Value]>::len), Some(2));
    /// ```
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The entries, when this is a [`Value::Map`]; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::{Value, options};
    /// let value = options! { "port" => 8080 }.into_value();
    /// assert_eq!(value.as_map().and_then(|m| m.get("port")), Some(&Value::Int(8080)));
    /// ```
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
}

/// Writes the value as compact JSON, for logs, messages and a command's output that a
/// script parses: strings are quoted and escaped as JSON escapes them (control and
/// invisible characters as `\uXXXX` too), so a value can never break a line; bytes show as
/// they serialize, `{"$bytes":"<base64>"}`; a float JSON cannot hold (NaN, infinity) as
/// its name in quotes.
/// A map entry whose key looks secret ([`is_secret_name`](crate::is_secret_name)) shows as
/// `"[REDACTED]"`, at any depth, as in `Debug`; [`Value::revealed`] shows everything.
///
/// ```
/// use corers_primitives::options;
/// let login = options! { "user" => "ops", "password" => "hunter2" }.into_value();
/// assert_eq!(login.to_string(), r#"{"password":"[REDACTED]","user":"ops"}"#);
/// ```
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text(self, f, false)
    }
}

/// A [`Value`] shown whole, secrets included, from [`Value::revealed`].
#[derive(Clone, Copy, Debug)]
pub struct Revealed<'a>(&'a Value);

impl fmt::Display for Revealed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text(self.0, f, true)
    }
}

impl Value {
    /// The value in its `Display` form with nothing redacted: for output the user asked
    /// for (a command's result on standard output), never for logs.
    ///
    /// ```
    /// use corers_primitives::options;
    /// let token = options! { "token" => "ghp_4f2a" }.into_value();
    /// assert_eq!(token.revealed().to_string(), r#"{"token":"ghp_4f2a"}"#);
    /// ```
    pub fn revealed(&self) -> Revealed<'_> {
        Revealed(self)
    }
}

/// `value` as compact JSON; secret-looking keys' values redacted unless `reveal`.
fn write_text(value: &Value, f: &mut fmt::Formatter<'_>, reveal: bool) -> fmt::Result {
    match value {
        Value::Null => f.write_str("null"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Int(i) => write!(f, "{i}"),
        Value::Float(x) if x.is_finite() => write!(f, "{x:?}"),
        // JSON has no NaN or infinity: their names, as text.
        Value::Float(x) => crate::write_json_string(f, &x.to_string()),
        Value::String(s) => crate::write_json_string(f, s),
        // As the value serializes: `{"$bytes":"<base64>"}`.
        Value::Bytes(b) => write!(f, "{{\"$bytes\":\"{}\"}}", ser::encode_bytes(b)),
        Value::List(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write_text(item, f, reveal)?;
            }
            f.write_str("]")
        }
        Value::Map(map) => {
            f.write_str("{")?;
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                crate::write_json_string(f, key)?;
                f.write_str(":")?;
                if !reveal && crate::is_secret_name(key) {
                    crate::write_json_string(f, crate::REDACTED)?;
                } else {
                    write_text(item, f, reveal)?;
                }
            }
            f.write_str("}")
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::String(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(v: BTreeMap<String, Value>) -> Self {
        Value::Map(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

macro_rules! from_list {
    ($($t:ty),*) => {$(
        impl From<Vec<$t>> for Value {
            fn from(v: Vec<$t>) -> Self {
                Value::List(v.into_iter().map(Value::from).collect())
            }
        }
    )*};
}
from_list!(&str, String, i32, i64, bool, f64);

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Value {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Value::Map(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
