//! [`Options`]: the one input shape, and the [`options!`](crate::options) literal.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Shown;
use crate::{Error, ErrorCode, Result, Value, from_value};

/// An ordered list of key → [`Value`] pairs: the input of commands, Actions and services.
///
/// Keys are unique: [`set`](Options::set) replaces the value of an existing key in place and
/// appends a new key at the end, so [`len`](Options::len), iteration and
/// [`get`](Options::get) always agree. Building from pairs that repeat a key keeps the key's
/// first position and its last value. An `Options` owns its values; a clone shares nothing.
///
/// Typed getters never coerce: `"8080"` is a string, not an integer, and
/// [`int`](Options::int) says `None` for it. [`get_as`](Options::get_as) converts through
/// serde and reports a mismatch as an error naming the key.
///
/// ```
/// use corers_primitives::options;
///
/// let opts = options! { "name" => "brain", "port" => 8080, "verbose" => true };
/// assert_eq!(opts.string("name"), Some("brain"));
/// assert_eq!(opts.int("port"), Some(8080));
/// assert_eq!(opts.string("port"), None); // no coercion
///
/// let port: u16 = opts.get_as("port").unwrap();
/// assert_eq!(port, 8080);
/// ```
///
/// Its `Debug` shows every key, and `[REDACTED]` for the value of a secret-looking one
/// ([`is_secret_name`](crate::is_secret_name)): options printed in a log line never carry
/// a password.
#[derive(Clone, Default, PartialEq)]
pub struct Options {
    items: Vec<(String, Value)>,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Options ")?;
        f.debug_map()
            .entries(
                self.items
                    .iter()
                    .map(|(key, value)| (key, Shown { key, value })),
            )
            .finish()
    }
}

impl Options {
    /// Makes empty options.
    ///
    /// ```
    /// use corers_primitives::Options;
    /// assert!(Options::new().is_empty());
    /// ```
    pub fn new() -> Options {
        Options::default()
    }

    /// The value stored under `key`, if any (a stored [`Value::Null`] is `Some`).
    ///
    /// ```
    /// use corers_primitives::{options, Value};
    /// let opts = options! { "port" => 8080 };
    /// assert_eq!(opts.get("port"), Some(&Value::Int(8080)));
    /// assert_eq!(opts.get("host"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Reports whether `key` is present, even with a null value.
    ///
    /// ```
    /// use corers_primitives::{options, Value};
    /// let opts = options! { "token" => Value::Null };
    /// assert!(opts.has("token"));
    /// ```
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The number of keys.
    ///
    /// ```
    /// use corers_primitives::options;
    /// assert_eq!(options! { "name" => "brain", "port" => 8080 }.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Reports whether there are no keys.
    ///
    /// ```
    /// use corers_primitives::Options;
    /// assert!(Options::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Stores `value` under `key`: replaces the value in place when the key exists, appends
    /// otherwise. Returns the previous value.
    ///
    /// ```
    /// use corers_primitives::{options, Value};
    /// let mut opts = options! { "port" => 8080, "host" => "homelab" };
    /// assert_eq!(opts.set("port", 9090), Some(Value::Int(8080)));
    /// assert_eq!(opts.keys().collect::<Vec<_>>(), ["port", "host"]);
    /// ```
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.items.push((key, value));
                None
            }
        }
    }

    /// Removes `key` and returns its value; the order of the other keys is kept.
    ///
    /// ```
    /// use corers_primitives::options;
    /// let mut opts = options! { "name" => "brain", "port" => 8080 };
    /// assert!(opts.remove("name").is_some());
    /// assert_eq!(opts.len(), 1);
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.items.iter().position(|(k, _)| k == key)?;
        Some(self.items.remove(index).1)
    }

    /// The pairs in order.
    ///
    /// ```
    /// use corers_primitives::options;
    /// let opts = options! { "name" => "brain", "port" => 8080 };
    /// let keys: Vec<&str> = opts.iter().map(|(k, _)| k).collect();
    /// assert_eq!(keys, ["name", "port"]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys in order.
    ///
    /// ```
    /// use corers_primitives::options;
    /// let opts = options! { "name" => "brain", "port" => 8080 };
    /// assert_eq!(opts.keys().collect::<Vec<_>>(), ["name", "port"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.items.iter().map(|(k, _)| k.as_str())
    }

    /// The text under `key`, when the value is a string; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::options;
    /// assert_eq!(options! { "name" => "brain" }.string("name"), Some("brain"));
    /// ```
    pub fn string(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The integer under `key`, when the value is an integer; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::options;
    /// assert_eq!(options! { "port" => 8080 }.int("port"), Some(8080));
    /// assert_eq!(options! { "port" => "8080" }.int("port"), None);
    /// ```
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }

    /// The boolean under `key`, when the value is a boolean; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::options;
    /// assert_eq!(options! { "verbose" => true }.bool("verbose"), Some(true));
    /// ```
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    /// The float under `key`, when the value is a float; `None` otherwise.
    ///
    /// ```
    /// use corers_primitives::options;
    /// assert_eq!(options! { "ratio" => 0.75 }.float("ratio"), Some(0.75));
    /// ```
    pub fn float(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    /// Converts the value under `key` into `T` through serde.
    ///
    /// ```
    /// use corers_primitives::options;
    /// let opts = options! { "hosts" => vec!["homelab", "studio"] };
    /// let hosts: Vec<String> = opts.get_as("hosts").unwrap();
    /// assert_eq!(hosts, ["homelab", "studio"]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `key` is absent; [`ErrorCode::INVALID`] when the value
    /// does not fit `T`, with a message naming the key, e.g.
    /// `options key "port": invalid type: string "eighty", expected u16`.
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let value = self.get(key).ok_or_else(|| {
            Error::new(
                "primitives.Options.get_as",
                format!("options key {key:?} is missing"),
            )
            .with_code(ErrorCode::NOT_FOUND)
        })?;
        crate::value::from_value_under(value.clone(), crate::is_secret_name(key)).map_err(|e| {
            Error::new(
                "primitives.Options.get_as",
                format!("options key {key:?}: {}", e.message()),
            )
            .with_code(ErrorCode::INVALID)
        })
    }

    /// Converts all the options into `T` (usually a struct whose fields are the keys).
    ///
    /// ```
    /// use corers_primitives::options;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Deploy { target: String, replicas: u8 }
    ///
    /// let deploy: Deploy = options! { "target" => "homelab", "replicas" => 3 }.extract().unwrap();
    /// assert_eq!((deploy.target.as_str(), deploy.replicas), ("homelab", 3));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when the options do not fit `T` (a missing field, a wrong
    /// type), with serde's description of the mismatch.
    pub fn extract<T: DeserializeOwned>(&self) -> Result<T> {
        from_value(self.clone().into_value()).map_err(|e| {
            Error::new("primitives.Options.extract", e.message().to_owned())
                .with_code(ErrorCode::INVALID)
        })
    }

    /// Turns the options into a [`Value::Map`] (keys sorted, as maps are).
    ///
    /// ```
    /// use corers_primitives::options;
    /// let value = options! { "port" => 8080 }.into_value();
    /// assert_eq!(value.kind(), "map");
    /// ```
    pub fn into_value(self) -> Value {
        Value::Map(self.items.into_iter().collect())
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Options {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut options = Options::new();
        options.extend(iter);
        options
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Options {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let mut filling = Filling::new(self);
        for (key, value) in iter {
            filling.set(key.into(), value.into());
        }
    }
}

/// Options being filled with many pairs (a step's output map piped on, a deserialized
/// map): past a handful of pairs added, the positions of the keys are kept by key, so that
/// n keys cost n, not n² (`set` scans the list, which suits the handful of options a call
/// passes).
struct Filling<'a> {
    options: &'a mut Options,
    added: usize,
    at: Option<std::collections::HashMap<String, usize>>,
}

impl<'a> Filling<'a> {
    /// How many pairs `set`'s scan suits.
    const SCANNED: usize = 16;

    fn new(options: &'a mut Options) -> Filling<'a> {
        Filling {
            options,
            added: 0,
            at: None,
        }
    }

    /// As [`Options::set`]: a repeated key keeps its first position and its last value.
    fn set(&mut self, key: String, value: Value) {
        self.added += 1;
        if self.at.is_none() && self.added <= Self::SCANNED {
            self.options.set(key, value);
            return;
        }
        let items = &mut self.options.items;
        let at = self.at.get_or_insert_with(|| {
            items
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect()
        });
        match at.get(&key) {
            Some(&i) => items[i].1 = value,
            None => {
                at.insert(key.clone(), items.len());
                items.push((key, value));
            }
        }
    }
}

impl IntoIterator for Options {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Serializes as a map, keys in order.
impl Serialize for Options {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Deserializes from a map; a repeated key keeps its first position and its last value.
impl<'de> Deserialize<'de> for Options {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct OptionsVisitor;
        impl<'de> serde::de::Visitor<'de> for OptionsVisitor {
            type Value = Options;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of options")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Options, A::Error> {
                let mut options = Options::new();
                let mut filling = Filling::new(&mut options);
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    filling.set(key, value);
                }
                Ok(options)
            }
        }
        deserializer.deserialize_map(OptionsVisitor)
    }
}

/// Builds [`Options`] from `key => value` pairs, in order.
///
/// ```
/// use corers_primitives::options;
/// let opts = options! { "name" => "brain", "port" => 8080, "debug" => false };
/// assert_eq!(opts.len(), 3);
/// let empty = options! {};
/// assert!(empty.is_empty());
/// ```
#[macro_export]
macro_rules! options {
    () => { $crate::Options::new() };
    ($($key:expr => $value:expr),+ $(,)?) => {{
        let mut options = $crate::Options::new();
        $( options.set($key, $value); )+
        options
    }};
}
