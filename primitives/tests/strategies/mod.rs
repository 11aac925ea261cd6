//! proptest strategies shared by the primitives tests.

use std::collections::BTreeMap;

use corers_primitives::Value;
use proptest::prelude::*;

/// Any `Value` that JSON can carry: floats are finite, and no map is the single-key
/// `{"$bytes": …}` marker (which reads back as bytes by design).
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("JSON floats are finite", |f| f.is_finite())
            .prop_map(Value::Float),
        ".{0,12}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::btree_map("[a-z_]{0,6}", inner, 0..6)
                .prop_map(|m: BTreeMap<String, Value>| Value::Map(m)),
        ]
    })
}

/// A short key from a small alphabet, so that generated operations collide often.
pub(crate) fn key() -> impl Strategy<Value = String> {
    "[abc]{1,2}"
}

/// Path-like strings built from the pieces that make paths dangerous.
pub(crate) fn hostile_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("/"),
            Just(".."),
            Just("."),
            Just("a"),
            Just("notes"),
            Just("\\"),
            Just("\0"),
            Just("\n"),
            Just("..foo"),
            Just("é"),
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}
