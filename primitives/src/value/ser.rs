//! Serializing a [`Value`], and serializing any type into a [`Value`].

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{BYTES_KEY, Value};
use crate::{Error, ErrorCode};

pub(crate) fn encode_bytes(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(f) => Err(ser::Error::custom(format_args!(
                "float {f} is not finite and has no JSON form"
            ))),
            Value::String(s) => serializer.serialize_str(s),
            Value::Bytes(b) if serializer.is_human_readable() => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(BYTES_KEY, &encode_bytes(b))?;
                map.end()
            }
            Value::Bytes(b) => serializer.serialize_bytes(b),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, item) in entries {
                    map.serialize_entry(key, item)?;
                }
                map.end()
            }
        }
    }
}

/// Converts any serializable value into a [`Value`].
///
/// Structs and maps become [`Value::Map`], sequences and tuples [`Value::List`], unit and
/// `None` [`Value::Null`], byte buffers [`Value::Bytes`]; enums use serde's externally tagged
/// form (`"Variant"` or `{"Variant": …}`), exactly as JSON would carry them.
///
/// ```
/// use corers_primitives::{Value, to_value};
///
/// #[derive(serde::Serialize)]
/// struct Endpoint { host: &'static str, port: u16 }
///
/// let value = to_value(&Endpoint { host: "homelab", port: 8080 }).unwrap();
/// assert_eq!(value.as_map().unwrap()["port"], Value::Int(8080));
/// ```
///
/// # Errors
/// [`ErrorCode::INVALID`] when the value has no `Value` form: a map key that is not a string
/// or integer, an integer above `i64::MAX`, or a custom `Serialize` that reports an error.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> crate::Result<Value> {
    value.serialize(ValueSerializer).map_err(|e| {
        Error::new(
            "primitives.to_value",
            format!("cannot convert to a value: {e}"),
        )
        .with_code(ErrorCode::INVALID)
    })
}

/// The error serde reports while building a [`Value`]; converted to [`Error`] at the boundary.
#[derive(Debug)]
pub(crate) struct SerdeError(pub(crate) String);

impl fmt::Display for SerdeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerdeError {}

impl ser::Error for SerdeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerdeError(msg.to_string())
    }
}

struct ValueSerializer;

type SerResult = Result<Value, SerdeError>;

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerdeError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, v: bool) -> SerResult {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> SerResult {
        Ok(Value::Int(v))
    }
    fn serialize_u8(self, v: u8) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> SerResult {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> SerResult {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| SerdeError(format!("integer {v} is above i64::MAX")))
    }
    fn serialize_f32(self, v: f32) -> SerResult {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> SerResult {
        if v.is_finite() {
            Ok(Value::Float(v))
        } else {
            Err(SerdeError(format!("float {v} is not finite")))
        }
    }
    fn serialize_char(self, v: char) -> SerResult {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> SerResult {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> SerResult {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> SerResult {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> SerResult {
        value.serialize(self)
    }
    fn serialize_unit(self) -> SerResult {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> SerResult {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> SerResult {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> SerResult {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> SerResult {
        let inner = value.serialize(ValueSerializer)?;
        Ok(Value::Map(BTreeMap::from([(variant.to_owned(), inner)])))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, SerdeError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, SerdeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, SerdeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, SerdeError> {
        Ok(VariantBuilder {
            variant,
            inner: SeqBuilder(Vec::with_capacity(len)),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, SerdeError> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapBuilder, SerdeError> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<VariantBuilder<MapBuilder>, SerdeError> {
        Ok(VariantBuilder {
            variant,
            inner: MapBuilder::default(),
        })
    }
}

struct SeqBuilder(Vec<Value>);

impl SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> SerResult {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> SerResult {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> SerResult {
        SerializeSeq::end(self)
    }
}

#[derive(Default)]
struct MapBuilder {
    entries: BTreeMap<String, Value>,
    key: Option<String>,
}

impl SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerdeError> {
        self.key = Some(match key.serialize(ValueSerializer)? {
            Value::String(s) => s,
            Value::Int(i) => i.to_string(),
            other => {
                return Err(SerdeError(format!(
                    "map key must be a string or an integer, found {}",
                    other.kind()
                )));
            }
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerdeError("map value serialized before its key".to_owned()))?;
        self.entries.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> SerResult {
        // `Value::Bytes` serializes as the `{"$bytes": …}` marker; read it back as bytes,
        // exactly as deserializing does.
        Ok(super::de::bytes_from_marker(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerdeError> {
        self.entries
            .insert(key.to_owned(), value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> SerResult {
        Ok(Value::Map(self.entries))
    }
}

struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl<B> VariantBuilder<B> {
    fn wrap(variant: &'static str, inner: Value) -> Value {
        Value::Map(BTreeMap::from([(variant.to_owned(), inner)]))
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> SerResult {
        Ok(Self::wrap(self.variant, SerializeSeq::end(self.inner)?))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Value;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerdeError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> SerResult {
        Ok(Self::wrap(self.variant, SerializeMap::end(self.inner)?))
    }
}
