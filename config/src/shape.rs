//! [`Shape`]: what a type asks a deserializer for, so that a section nobody set reads as
//! what the type can be without a value.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

/// What a type asks for first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An `Option`: nothing set is `None`.
    Option,
    /// A struct or a map: nothing set is an empty table (a struct of its defaults).
    Table,
    /// Anything else (a number, a list, text): nothing set is not set.
    Value,
}

/// The [`Shape`] of `T`, found by deserializing it from a probe that answers nothing.
pub(crate) fn shape_of<T: DeserializeOwned>() -> Shape {
    let asked = Cell::new(Shape::Value);
    let _ = T::deserialize(Probe(&asked));
    asked.get()
}

/// A deserializer that notes what it is asked for, and fails.
struct Probe<'a>(&'a Cell<Shape>);

/// The probe's failure: nothing is read from it.
#[derive(Debug)]
struct Probed;

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<M: fmt::Display>(_: M) -> Probed {
        Probed
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed)
    }

    fn deserialize_option<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        self.0.set(Shape::Option);
        Err(Probed)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        self.0.set(Shape::Table);
        Err(Probed)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        self.0.set(Shape::Table);
        Err(Probed)
    }

    // A newtype (`struct Port(u16)`, `struct Tls(TlsFields)`) is what it wraps.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Probed> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}
