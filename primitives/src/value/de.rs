//! Deserializing a [`Value`], and deserializing any type out of a [`Value`].

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{
    self, Deserialize, DeserializeOwned, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};

use super::{BYTES_KEY, Value};
use crate::{Error, ErrorCode, is_secret_name};

/// Why a [`Value`] did not fit the type asked for: serde's description, and the same with
/// the value itself left out, for a value under a secret-looking key.
#[derive(Debug)]
struct DeError {
    shown: String,
    /// `None` when the description holds no value.
    hidden: Option<String>,
}

impl DeError {
    /// The description to give when the value sits under a secret-looking key: no value.
    fn hide(self) -> DeError {
        match self.hidden {
            Some(hidden) => DeError {
                shown: hidden,
                hidden: None,
            },
            None => self,
        }
    }

    /// `what` (`invalid type`) of `found` against `expected`, shown and hidden.
    fn mismatch(what: &str, found: de::Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        let kind = match found {
            de::Unexpected::Bool(_) => Some("a boolean"),
            de::Unexpected::Unsigned(_) | de::Unexpected::Signed(_) => Some("an integer"),
            de::Unexpected::Float(_) => Some("a float"),
            de::Unexpected::Char(_) => Some("a character"),
            de::Unexpected::Str(_) => Some("a string"),
            de::Unexpected::Bytes(_) => Some("bytes"),
            _ => None,
        };
        DeError {
            shown: format!("{what}: {found}, expected {expected}"),
            hidden: kind.map(|kind| format!("{what}: {kind} (not shown), expected {expected}")),
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    /// A description from a type's own `Deserialize` (it may quote the value: hidden whole).
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            shown: msg.to_string(),
            hidden: Some("a value that does not fit (not shown)".to_owned()),
        }
    }

    fn invalid_type(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::mismatch("invalid type", found, expected)
    }

    fn invalid_value(found: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::mismatch("invalid value", found, expected)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let shown = de::value::Error::unknown_variant(variant, expected).to_string();
        let hidden = de::value::Error::unknown_variant("(not shown)", expected).to_string();
        DeError {
            shown,
            hidden: Some(hidden),
        }
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        DeError {
            shown: de::value::Error::invalid_length(len, expected).to_string(),
            hidden: None,
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            shown: de::value::Error::unknown_field(field, expected).to_string(),
            hidden: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            shown: de::value::Error::missing_field(field).to_string(),
            hidden: None,
        }
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError {
            shown: de::value::Error::duplicate_field(field).to_string(),
            hidden: None,
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        // Refused rather than rounded to a float: a large id or hash must not change.
        i64::try_from(v).map(Value::Int).map_err(|_| {
            E::custom(format!(
                "integer {v} is above i64::MAX, the largest a Value holds"
            ))
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if v.is_finite() {
            Ok(Value::Float(v))
        } else {
            Err(E::custom(format!("float {v} is not finite")))
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((key, item)) = map.next_entry::<String, Value>()? {
            // A second value for a key would silently replace the first, as no format
            // intends: refused, as serde refuses a struct field given twice.
            match entries.entry(key) {
                Entry::Occupied(taken) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key {:?}",
                        taken.key()
                    )));
                }
                Entry::Vacant(free) => {
                    free.insert(item);
                }
            }
        }
        // A TOML date or time (`since = 2024-06-01`), which the toml crate hands over as a
        // map under a private key: its text, as the config reads TOML files.
        if entries.len() == 1 && matches!(entries.get(TOML_DATETIME_KEY), Some(Value::String(_))) {
            return Ok(entries.into_values().next().unwrap_or(Value::Null));
        }
        Ok(bytes_from_marker(entries))
    }
}

/// The key under which the toml crate hands a datetime to a deserializer.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// Reads `{"$bytes": "<base64>"}` back as [`Value::Bytes`]; any other map stays a map.
/// Bytes are written in standard padded base64, and read in either alphabet (standard or
/// URL-safe: a text decodes the same in both unless it holds `+/` or `-_`), padded or not,
/// as other programs write them.
pub(super) fn bytes_from_marker(entries: BTreeMap<String, Value>) -> Value {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    if entries.len() == 1
        && let Some(Value::String(encoded)) = entries.get(BYTES_KEY)
        && let Ok(bytes) = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE.decode(encoded))
    {
        return Value::Bytes(bytes);
    }
    Value::Map(entries)
}

/// Converts a [`Value`] into any deserializable type.
///
/// Follows serde's usual rules (the same ones JSON follows): a [`Value::Map`] fills a struct,
/// a [`Value::String`] names a unit enum variant, integers fit any integer type that can hold
/// them. A mismatch is an error naming what was expected and what was found.
///
/// ```
/// use corers_primitives::{Value, from_value, options};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Endpoint { host: String, port: u16 }
///
/// let value = options! { "host" => "homelab", "port" => 8080 }.into_value();
/// let endpoint: Endpoint = from_value(value).unwrap();
/// assert_eq!(endpoint, Endpoint { host: "homelab".into(), port: 8080 });
/// ```
///
/// # Errors
/// [`ErrorCode::INVALID`] when the value does not have the shape `T` expects; the message
/// reads like `invalid type: string "eighty", expected u16`.
///
/// A value under a secret-looking map key ([`is_secret_name`]: `password`, `api_key`) is
/// never quoted in the message: `invalid type: a string (not shown), expected u32`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> crate::Result<T> {
    from_value_under(value, false)
}

/// [`from_value`], for a value that is itself under a secret-looking key when `secret`.
pub(crate) fn from_value_under<T: DeserializeOwned>(
    value: Value,
    secret: bool,
) -> crate::Result<T> {
    T::deserialize(De { value, secret }).map_err(|e| {
        Error::new("primitives.from_value", e.to_string()).with_code(ErrorCode::INVALID)
    })
}

impl Value {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::String(s) => de::Unexpected::Str(s),
            Value::Bytes(b) => de::Unexpected::Bytes(b),
            Value::List(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        }
    }
}

fn visit_list<'de, V: Visitor<'de>>(
    items: Vec<Value>,
    secret: bool,
    visitor: V,
) -> Result<V::Value, DeError> {
    let mut seq = SeqDeserializer::new(items.into_iter().map(|value| De { value, secret }));
    let out = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(out)
}

fn visit_entries<'de, V: Visitor<'de>>(
    entries: BTreeMap<String, Value>,
    secret: bool,
    visitor: V,
) -> Result<V::Value, DeError> {
    let mut map = MapDeserializer::new(entries.into_iter().map(|(key, value)| {
        let secret = secret || is_secret_name(&key);
        (Key(key), De { value, secret })
    }));
    let out = visitor.visit_map(&mut map)?;
    map.end()?;
    Ok(out)
}

/// The private deserializer over a [`Value`], so that serde's plumbing (and its error type)
/// stays out of the public API. `secret` when the value is under a secret-looking key: its
/// errors do not quote it.
struct De {
    value: Value,
    secret: bool,
}

impl De {
    /// `result`, its error hidden when this value is secret.
    fn hiding<T>(secret: bool, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| if secret { e.hide() } else { e })
    }
}

impl IntoDeserializer<'_, DeError> for De {
    type Deserializer = De;
    fn into_deserializer(self) -> De {
        self
    }
}

impl<'de> Deserializer<'de> for De {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let secret = self.secret;
        De::hiding(
            secret,
            match self.value {
                Value::Null => visitor.visit_unit(),
                Value::Bool(b) => visitor.visit_bool(b),
                Value::Int(i) => visitor.visit_i64(i),
                Value::Float(f) => visitor.visit_f64(f),
                Value::String(s) => visitor.visit_string(s),
                Value::Bytes(b) => visitor.visit_byte_buf(b),
                Value::List(items) => visit_list(items, secret, visitor),
                Value::Map(entries) => visit_entries(entries, secret, visitor),
            },
        )
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let secret = self.secret;
        match self.value {
            Value::Null => visitor.visit_none(),
            value => De::hiding(secret, visitor.visit_some(De { value, secret })),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let secret = self.secret;
        De::hiding(
            secret,
            match self.value {
                // `Vec<u8>` asks for a sequence: hand it the bytes one by one.
                Value::Bytes(b) => {
                    visit_list(b.into_iter().map(Value::from).collect(), secret, visitor)
                }
                Value::List(items) => visit_list(items, secret, visitor),
                other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
            },
        )
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let secret = self.secret;
        De::hiding(
            secret,
            match self.value {
                Value::Bytes(b) => visitor.visit_byte_buf(b),
                Value::String(s) => visitor.visit_string(s),
                Value::List(items) => visit_list(items, secret, visitor),
                other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
            },
        )
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let secret = self.secret;
        De::hiding(
            secret,
            match self.value {
                Value::String(variant) => visitor.visit_enum(variant.into_deserializer()),
                Value::Map(entries) if entries.len() == 1 => {
                    let (variant, content) = entries
                        .into_iter()
                        .next()
                        .expect("invariant: a map of length 1 has one entry");
                    visitor.visit_enum(VariantValue {
                        variant,
                        content: De {
                            value: content,
                            secret,
                        },
                    })
                }
                other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
            },
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

/// A map key: text, which reads as a number when a number is asked for (`{"8080": …}` into
/// a `BTreeMap<u16, _>`), as JSON map keys do.
struct Key(String);

impl IntoDeserializer<'_, DeError> for Key {
    type Deserializer = Key;
    fn into_deserializer(self) -> Key {
        self
    }
}

macro_rules! parse_key {
    ($($method:ident => $visit:ident: $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0.parse::<$t>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(de::Error::invalid_type(de::Unexpected::Str(&self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Key {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.0)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    parse_key! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
        deserialize_bool => visit_bool: bool
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// An externally tagged enum variant: `{"Variant": content}`.
struct VariantValue {
    variant: String,
    content: De,
}

impl<'de> EnumAccess<'de> for VariantValue {
    type Error = DeError;
    type Variant = De;

    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, De), DeError> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self.content))
    }
}

impl<'de> VariantAccess<'de> for De {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            Value::Null => Ok(()),
            other => De::hiding(
                self.secret,
                Err(de::Error::invalid_type(other.unexpected(), &"unit variant")),
            ),
        }
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let secret = self.secret;
        De::hiding(
            secret,
            match self.value {
                Value::Map(entries) => visit_entries(entries, secret, visitor),
                other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
            },
        )
    }
}
