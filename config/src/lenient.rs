//! [`Lenient`]: reads a config value into the type asked for, taking an integer or a bool
//! where text is asked for, a decimal number's text where a float is, and the words a
//! shell user writes for a switch (`yes`, `on`, `TRUE`, `0`) where a bool is.
//!
//! The environment and `--set` have no types: `APP_DATABASE__PASSWORD=123456` is read as an
//! integer (the getters and `get_as::<i64>` want that), and a `password: String` field must
//! still take it. An integer's or a bool's text is exactly what was written (the
//! environment keeps `0123` as text). A float is not converted to text, as its text may
//! not be what was written (`1.10` reads back as `1.1`): the environment keeps a number
//! with a fraction as text instead, which a float field reads (`APP_CACHE__RATIO=0.50`)
//! and a text field takes as written (`APP_PYTHON__VERSION=3.10`). Map keys read as
//! `serde_json` reads them: `80` fills a `u16`. A field that wants a number takes text that
//! writes one, as figment's does: the environment keeps `007`, `+5` and ` 5` as text (a
//! text field gets them as written), and a `u16` field reads 7, 5 and 5.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde_json::{Error, Value};

/// A deserializer over a JSON value that gives a number's or a bool's text to a field that
/// wants a string; otherwise as `serde_json`'s own.
pub(crate) struct Lenient<'a>(pub(crate) &'a Value);

impl<'de> IntoDeserializer<'de, Error> for Lenient<'de> {
    type Deserializer = Lenient<'de>;
    fn into_deserializer(self) -> Lenient<'de> {
        self
    }
}

/// Integer fields that also take the text of an integer (spaces around it, a `+`, leading
/// zeros); the visitor checks the range (`300` is no `u8`). Digits too many for any integer
/// (which the environment keeps as text) say so, not "a string".
macro_rules! integer_from_text {
    ($($($method:ident)+ => $parsed:ty, $visit:ident;)+) => {$($(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0 {
                Value::String(text) => match text.trim().parse::<$parsed>() {
                    Ok(number) => visitor.$visit(number),
                    Err(err) if matches!(
                        err.kind(),
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                    ) => Err(de::Error::invalid_value(
                        de::Unexpected::Other("an integer out of range"),
                        &visitor,
                    )),
                    Err(_) => self.deserialize_any(visitor),
                },
                _ => self.deserialize_any(visitor),
            }
        }
    )+)+};
}

impl<'de> de::Deserializer<'de> for Lenient<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Lenient));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(entries) => {
                let mut map = MapDeserializer::new(
                    entries
                        .iter()
                        .map(|(key, value)| (Key(key), Lenient(value))),
                );
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
            scalar => de::Deserializer::deserialize_any(scalar, visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(number) if !number.is_f64() => visitor.visit_string(number.to_string()),
            Value::Bool(flag) => visitor.visit_string(flag.to_string()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match bool_word(self.0) {
            Some(flag) => visitor.visit_bool(flag),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(text) => match float_text(text.trim()) {
                Some(float) => visitor.visit_f64(float),
                None => self.deserialize_any(visitor),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    integer_from_text! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 => i64, visit_i64;
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 => u64, visit_u64;
        deserialize_i128 => i128, visit_i128;
        deserialize_u128 => u128, visit_u128;
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The float that `text` writes as a decimal number (`0.50`, `1e-3`, `-2`), finite; `None`
/// for any other text (`inf`, `nan`, `1_000`, `0.5 `).
pub(crate) fn float_text(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|float| float.is_finite())
}

/// The switch `value` writes: a bool; `true`, `yes`, `on` or `1` and `false`, `no`, `off`
/// or `0`, in any case, as text or (`1`, `0`) as an integer — what config-rs and shells
/// take (`APP_CACHE__ENABLED=yes`, `--set cache.enabled=ON`); `None` for anything else.
fn bool_word(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::Number(n) => n.as_i64().and_then(bool_int),
        Value::String(text) => bool_text(text),
        _ => None,
    }
}

/// The switch a config value writes (see [`bool_word`]): for `Config::bool` and feature
/// flags, of text whose type was guessed (from a variable, a `--set`).
pub(crate) fn switch(value: &corers_primitives::Value) -> Option<bool> {
    use corers_primitives::Value;
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => bool_text(text),
        Value::Int(n) => bool_int(*n),
        _ => None,
    }
}

/// The switch `text` writes (see [`bool_word`]).
fn bool_text(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The switch `1` or `0` writes.
fn bool_int(n: i64) -> Option<bool> {
    match n {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

/// A map key: text, which reads as a number or a bool when one is asked for (`80` into a
/// `u16`), as `serde_json`'s own map keys do.
struct Key<'a>(&'a str);

impl<'de> IntoDeserializer<'de, Error> for Key<'de> {
    type Deserializer = Key<'de>;
    fn into_deserializer(self) -> Key<'de> {
        self
    }
}

macro_rules! parse_key {
    ($($method:ident => $visit:ident: $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$t>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(de::Error::invalid_type(de::Unexpected::Str(self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    parse_key! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32, deserialize_f64 => visit_f64: f64,
        deserialize_bool => visit_bool: bool
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}
