//! Property tests: every value of an arbitrary nested table survives a round trip through
//! a TOML file and the file layer; key checks and env parsing never panic; a float from
//! the environment reads as written and as its float.

mod common;

use std::collections::BTreeMap;

use common::ConfigDir;
use corers_config::{Config, Source};
use corers_primitives::Value;
use proptest::prelude::*;

/// A scalar or a list of scalars, as TOML can hold them.
fn leaf() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        any::<String>().prop_map(Value::String),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => proptest::collection::vec(scalar, 0..4).prop_map(Value::List),
    ]
}

/// Key segments, including the awkward legal ones.
fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_][a-zA-Z0-9_-]{0,7}"
}

/// A nested table: maps of segments to leaves or non-empty tables, three levels deep.
fn table() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let value = leaf().prop_recursive(3, 24, 4, |inner| {
        proptest::collection::btree_map(segment(), inner, 1..4).prop_map(Value::Map)
    });
    proptest::collection::btree_map(segment(), value, 0..6)
}

fn to_toml(value: &Value) -> toml::Value {
    match value {
        Value::Int(i) => toml::Value::Integer(*i),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Float(f) => toml::Value::Float(*f),
        Value::String(s) => toml::Value::String(s.clone()),
        Value::List(items) => toml::Value::Array(items.iter().map(to_toml).collect()),
        Value::Map(entries) => toml::Value::Table(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_toml(v)))
                .collect(),
        ),
        other => unreachable!("the strategy makes no {}", other.kind()),
    }
}

/// The leaves of `table` by dotted key.
fn leaves(prefix: &str, table: &BTreeMap<String, Value>, out: &mut BTreeMap<String, Value>) {
    for (key, value) in table {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Map(nested) => leaves(&dotted, nested, out),
            leaf => {
                out.insert(dotted, leaf.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn config_file_toml_round_trip_preserves_every_value(table in table()) {
        let dir = ConfigDir::new();
        let text = toml::to_string(&to_toml(&Value::Map(table.clone()))).unwrap();
        let path = dir.write("round-trip.toml", &text);
        let config = Config::builder().file(&path).build().unwrap();

        let mut expected = BTreeMap::new();
        leaves("", &table, &mut expected);
        prop_assert_eq!(config.keys(), expected.keys().cloned().collect::<Vec<_>>());
        for (key, value) in &expected {
            prop_assert_eq!(config.get(key), Some(value.clone()), "{}", key);
            let line = match config.provenance(key) {
                Some(Source::File { line, .. }) => line,
                other => panic!("{key}: {other:?}"),
            };
            prop_assert!(line.is_some(), "{} has no line", key);
        }
        prop_assert_eq!(config.get(""), Some(Value::Map(table)).filter(|_| !expected.is_empty()));
    }

    #[test]
    fn config_set_arbitrary_keys_never_panics(key in any::<String>(), n in any::<i64>()) {
        let config = Config::new();
        if config.set(&key, n).is_ok() {
            prop_assert_eq!(config.int(&key).unwrap(), n);
        } else {
            prop_assert!(config.keys().is_empty());
        }
    }

    #[test]
    fn config_env_arbitrary_values_never_panic(raw in any::<String>()) {
        let config = Config::builder()
            .env_prefix("APP")
            .env_vars([("APP_PROBE", raw.clone())])
            .build()
            .unwrap();
        // Whatever the text, the variable yields a value (parsed, or the text itself).
        prop_assert!(config.get("probe").is_some());
    }

    #[test]
    fn config_env_float_reads_as_written_and_as_its_float(
        float in any::<f64>().prop_filter("finite", |f| f.is_finite()),
        exponent in any::<bool>(),
    ) {
        let raw = if exponent { format!("{float:e}") } else { format!("{float:?}") };
        let config = Config::builder()
            .env_prefix("APP")
            .env_vars([("APP_PROBE", raw.clone())])
            .build()
            .unwrap();
        prop_assert_eq!(config.get_as::<String>("probe").unwrap(), raw);
        prop_assert_eq!(config.float("probe").unwrap().to_bits(), float.to_bits());
        prop_assert_eq!(config.get_as::<f64>("probe").unwrap().to_bits(), float.to_bits());
    }
}
