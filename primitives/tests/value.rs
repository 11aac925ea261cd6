//! Integration tests for [`Value`]: its non-coercing getters, the serde conversions
//! [`to_value`] / [`from_value`], and its JSON form (round trip of every variant, bytes as
//! `{"$bytes": base64}`, non-finite floats rejected, integers beyond `i64` refused).

use std::collections::{BTreeMap, HashMap};

use corers_primitives::{ErrorCode, Value, from_value, options, to_value};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Endpoint {
    host: String,
    port: u16,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Target {
    Local,
    Remote(String),
    Pool(String, u8),
    Cluster { name: String, nodes: u8 },
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// Serializes with `serde_json` and reads the text back.
fn json_round_trip(value: &Value) -> Value {
    let text = serde_json::to_string(value).unwrap();
    serde_json::from_str(&text).unwrap()
}

// ---------------------------------------------------------------- kind

#[test]
fn value_kind_names_every_variant_good() {
    let kinds: Vec<&str> = [
        Value::Null,
        Value::Bool(true),
        Value::Int(8080),
        Value::Float(0.25),
        Value::from("brain"),
        Value::Bytes(b"brain".to_vec()),
        Value::List(vec![]),
        Value::Map(BTreeMap::new()),
    ]
    .iter()
    .map(Value::kind)
    .collect();
    assert_eq!(
        kinds,
        [
            "null", "bool", "int", "float", "string", "bytes", "list", "map"
        ]
    );
}

#[test]
fn value_kind_does_not_sniff_numeric_text_bad() {
    assert_eq!(Value::from("8080").kind(), "string");
}

#[test]
fn value_kind_of_default_and_empty_containers_ugly() {
    assert_eq!(Value::default().kind(), "null");
    assert_eq!(Value::from(Vec::<Value>::new()).kind(), "list");
    assert_eq!(Value::from(Vec::<u8>::new()).kind(), "bytes");
    assert_eq!(Value::from(None::<i64>).kind(), "null");
}

// ---------------------------------------------------------------- is_null

#[test]
fn value_is_null_for_null_good() {
    assert!(Value::Null.is_null());
}

#[test]
fn value_is_null_false_for_falsy_values_bad() {
    for falsy in [
        Value::from(""),
        Value::from(0),
        Value::from(false),
        Value::from(0.0),
        Value::List(vec![]),
        Value::Map(BTreeMap::new()),
    ] {
        assert!(!falsy.is_null(), "{falsy} must not be null");
    }
}

#[test]
fn value_is_null_for_default_and_none_but_not_list_of_null_ugly() {
    assert!(Value::default().is_null());
    assert!(Value::from(None::<&str>).is_null());
    assert!(!Value::List(vec![Value::Null]).is_null());
}

// ---------------------------------------------------------------- as_str

#[test]
fn value_as_str_reads_string_good() {
    assert_eq!(Value::from("brain").as_str(), Some("brain"));
}

#[test]
fn value_as_str_does_not_coerce_bad() {
    assert_eq!(Value::from(8080).as_str(), None);
    assert_eq!(Value::from(true).as_str(), None);
    assert_eq!(Value::Bytes(b"brain".to_vec()).as_str(), None);
}

#[test]
fn value_as_str_keeps_empty_unicode_and_nul_text_ugly() {
    assert_eq!(Value::from("").as_str(), Some(""));
    assert_eq!(
        Value::from("höme\u{0}lab 🏠").as_str(),
        Some("höme\u{0}lab 🏠")
    );
}

// ---------------------------------------------------------------- as_i64

#[test]
fn value_as_i64_reads_int_good() {
    assert_eq!(Value::from(8080).as_i64(), Some(8080));
}

#[test]
fn value_as_i64_does_not_coerce_text_or_float_bad() {
    assert_eq!(Value::from("8080").as_i64(), None);
    assert_eq!(Value::from(8080.0).as_i64(), None);
}

#[test]
fn value_as_i64_reads_extremes_ugly() {
    assert_eq!(Value::from(i64::MIN).as_i64(), Some(i64::MIN));
    assert_eq!(Value::from(i64::MAX).as_i64(), Some(i64::MAX));
    assert_eq!(Value::from(u32::MAX).as_i64(), Some(i64::from(u32::MAX)));
}

// ---------------------------------------------------------------- as_f64

#[test]
fn value_as_f64_reads_float_good() {
    assert_eq!(Value::from(0.25).as_f64(), Some(0.25));
}

#[test]
fn value_as_f64_does_not_widen_int_bad() {
    assert_eq!(Value::from(1).as_f64(), None);
    assert_eq!(Value::from("0.25").as_f64(), None);
}

#[test]
fn value_as_f64_returns_stored_nan_and_negative_zero_ugly() {
    assert!(Value::from(f64::NAN).as_f64().unwrap().is_nan());
    let zero = Value::from(-0.0).as_f64().unwrap();
    assert!(zero == 0.0 && zero.is_sign_negative());
}

// ---------------------------------------------------------------- as_bool

#[test]
fn value_as_bool_reads_bool_good() {
    assert_eq!(Value::from(true).as_bool(), Some(true));
}

#[test]
fn value_as_bool_does_not_coerce_text_or_int_bad() {
    assert_eq!(Value::from("true").as_bool(), None);
    assert_eq!(Value::from(1).as_bool(), None);
}

#[test]
fn value_as_bool_false_is_some_not_none_ugly() {
    assert_eq!(Value::from(false).as_bool(), Some(false));
}

// ---------------------------------------------------------------- as_bytes

#[test]
fn value_as_bytes_reads_bytes_good() {
    assert_eq!(
        Value::from(b"git.log".to_vec()).as_bytes(),
        Some(&b"git.log"[..])
    );
}

#[test]
fn value_as_bytes_does_not_decode_text_or_lists_bad() {
    assert_eq!(Value::from("aGVsbG8=").as_bytes(), None);
    assert_eq!(Value::from(vec![104, 105]).as_bytes(), None);
}

#[test]
fn value_as_bytes_keeps_empty_and_nul_bytes_ugly() {
    assert_eq!(Value::from(Vec::<u8>::new()).as_bytes(), Some(&[][..]));
    assert_eq!(
        Value::from(vec![0u8, 0, 255]).as_bytes(),
        Some(&[0u8, 0, 255][..])
    );
}

// ---------------------------------------------------------------- as_list

#[test]
fn value_as_list_reads_items_in_order_good() {
    let hosts = Value::from(vec!["homelab", "studio"]);
    assert_eq!(
        hosts.as_list(),
        Some(&[Value::from("homelab"), Value::from("studio")][..])
    );
}

#[test]
fn value_as_list_rejects_bytes_and_maps_bad() {
    assert_eq!(Value::from(b"ab".to_vec()).as_list(), None);
    assert_eq!(map(&[("0", Value::from("homelab"))]).as_list(), None);
}

#[test]
fn value_as_list_reaches_deeply_nested_item_ugly() {
    let mut value = Value::from("brain");
    for _ in 0..200 {
        value = Value::List(vec![value]);
    }
    let mut cursor = &value;
    let mut depth = 0;
    while let Some(items) = cursor.as_list() {
        cursor = &items[0];
        depth += 1;
    }
    assert_eq!((depth, cursor.as_str()), (200, Some("brain")));
}

// ---------------------------------------------------------------- as_map

#[test]
fn value_as_map_reads_entries_good() {
    let value = options! { "host" => "homelab", "port" => 8080 }.into_value();
    let entries = value.as_map().unwrap();
    assert_eq!(entries.get("port"), Some(&Value::Int(8080)));
    assert_eq!(entries.get("host"), Some(&Value::from("homelab")));
}

#[test]
fn value_as_map_rejects_list_of_pairs_bad() {
    let pairs = Value::List(vec![Value::from(vec!["port", "8080"])]);
    assert_eq!(pairs.as_map(), None);
}

#[test]
fn value_as_map_sorts_empty_and_unicode_keys_ugly() {
    let value: Value = [("ü", 1), ("", 2), ("Z", 3), ("a", 4)]
        .into_iter()
        .collect();
    let keys: Vec<&str> = value.as_map().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["", "Z", "a", "ü"]);
}

// ---------------------------------------------------------------- to_value

#[test]
fn to_value_struct_becomes_map_good() {
    let value = to_value(&Endpoint {
        host: "homelab".into(),
        port: 8080,
    })
    .unwrap();
    assert_eq!(
        value,
        map(&[("host", Value::from("homelab")), ("port", Value::Int(8080))])
    );
}

#[test]
fn to_value_integer_above_i64_max_bad() {
    let err = to_value(&u64::MAX).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn to_value_non_string_map_key_bad() {
    let by_flag = BTreeMap::from([(true, "brain")]);
    let err = to_value(&by_flag).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "primitives.to_value");
    assert!(
        err.message()
            .contains("map key must be a string or an integer, found bool"),
        "{err}"
    );
}

#[test]
fn to_value_enum_variants_use_external_tagging_ugly() {
    assert_eq!(to_value(&Target::Local).unwrap(), Value::from("Local"));
    assert_eq!(
        to_value(&Target::Remote("homelab".into())).unwrap(),
        map(&[("Remote", Value::from("homelab"))])
    );
    assert_eq!(
        to_value(&Target::Pool("brain".into(), 3)).unwrap(),
        map(&[(
            "Pool",
            Value::List(vec![Value::from("brain"), Value::Int(3)])
        )])
    );
    assert_eq!(
        to_value(&Target::Cluster {
            name: "homelab".into(),
            nodes: 3
        })
        .unwrap(),
        map(&[(
            "Cluster",
            map(&[("name", Value::from("homelab")), ("nodes", Value::Int(3))])
        )])
    );
}

#[test]
fn to_value_unit_none_and_char_ugly() {
    assert_eq!(to_value(&()).unwrap(), Value::Null);
    assert_eq!(to_value(&None::<u16>).unwrap(), Value::Null);
    assert_eq!(to_value(&Some('λ')).unwrap(), Value::from("λ"));
}

#[test]
fn to_value_integer_map_keys_become_text_ugly() {
    let ports = BTreeMap::from([(8080, "brain"), (22, "git")]);
    assert_eq!(
        to_value(&ports).unwrap(),
        map(&[("22", Value::from("git")), ("8080", Value::from("brain"))])
    );
}

/// `to_value` documents "byte buffers [become] `Value::Bytes`", and a `Value` is a
/// serializable value, so converting one must give it back unchanged.
#[test]
fn to_value_of_value_bytes_is_identity_ugly() {
    let bytes = Value::Bytes(b"git.log".to_vec());
    assert_eq!(to_value(&bytes).unwrap(), bytes);
}

// ---------------------------------------------------------------- from_value

#[test]
fn from_value_map_fills_struct_good() {
    let value = options! { "host" => "homelab", "port" => 8080 }.into_value();
    let endpoint: Endpoint = from_value(value).unwrap();
    assert_eq!(
        endpoint,
        Endpoint {
            host: "homelab".into(),
            port: 8080
        }
    );
}

#[test]
fn from_value_type_mismatch_bad() {
    let err = from_value::<u16>(Value::from("eighty")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn from_value_int_out_of_range_bad() {
    let err = from_value::<u16>(Value::from(70_000)).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("70000"), "{err}");
}

#[test]
fn from_value_float_is_not_an_integer_bad() {
    let err = from_value::<u16>(Value::from(8080.0)).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn from_value_reads_every_enum_shape_ugly() {
    for target in [
        Target::Local,
        Target::Remote("homelab".into()),
        Target::Pool("brain".into(), 3),
        Target::Cluster {
            name: "homelab".into(),
            nodes: 3,
        },
    ] {
        let value = to_value(&target).unwrap();
        assert_eq!(from_value::<Target>(value).unwrap(), target);
    }
}

#[test]
fn from_value_null_is_none_and_bytes_fill_vec_u8_ugly() {
    assert_eq!(from_value::<Option<String>>(Value::Null).unwrap(), None);
    assert_eq!(
        from_value::<Vec<u8>>(Value::Bytes(vec![0, 255])).unwrap(),
        [0, 255]
    );
}

/// JSON reads `{"8080": "brain"}` into a `BTreeMap<u16, _>`; `from_value` claims to follow
/// "the same rules JSON follows", and `to_value` writes integer keys as text.
#[test]
fn from_value_integer_map_keys_round_trip_ugly() {
    let ports = BTreeMap::from([(8080_u16, "brain".to_owned())]);
    let via_json: BTreeMap<u16, String> = serde_json::from_str(r#"{"8080": "brain"}"#).unwrap();
    assert_eq!(via_json, ports);
    let value = to_value(&ports).unwrap();
    let back: BTreeMap<u16, String> = from_value(value).unwrap();
    assert_eq!(back, ports);
}

// ---------------------------------------------------------------- JSON form

#[test]
fn value_serde_json_round_trips_every_variant_good() {
    let every = [
        Value::Null,
        Value::Bool(false),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::Float(1.0),
        Value::Float(-0.25),
        Value::Float(1e300),
        Value::from("homelab"),
        Value::Bytes(vec![0, 1, 254, 255]),
        Value::List(vec![Value::Int(8080), Value::from("brain"), Value::Null]),
        map(&[
            ("host", Value::from("homelab")),
            ("payload", Value::Bytes(b"git.log".to_vec())),
            ("ports", Value::from(vec![22, 8080])),
        ]),
    ];
    for value in every {
        assert_eq!(json_round_trip(&value), value, "{value}");
    }
}

#[test]
fn value_serde_json_writes_bytes_as_base64_marker_good() {
    let json = serde_json::to_value(Value::Bytes(b"hello".to_vec())).unwrap();
    insta::assert_json_snapshot!(json, @r#"
    {
      "$bytes": "aGVsbG8="
    }
    "#);
}

#[test]
fn value_serde_json_float_one_stays_float_good() {
    let back = json_round_trip(&Value::Float(1.0));
    assert_eq!(back.kind(), "float");
}

#[test]
fn value_serde_json_rejects_non_finite_floats_bad() {
    for float in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = serde_json::to_string(&Value::Float(float)).unwrap_err();
        assert!(err.to_string().contains("not finite"), "{err}");
    }
}

#[test]
fn value_serde_json_rejects_nan_nested_in_map_bad() {
    let value = map(&[("ratio", Value::List(vec![Value::Float(f64::NAN)]))]);
    assert!(serde_json::to_string(&value).is_err());
}

#[test]
fn value_serde_json_u64_above_i64_max_is_refused_not_rounded_ugly() {
    let err = serde_json::from_str::<Value>("18446744073709551615").unwrap_err();
    assert!(err.to_string().contains("above i64::MAX"), "{err}");
    let just_fits: Value = serde_json::from_str("9223372036854775807").unwrap();
    assert_eq!(just_fits, Value::Int(i64::MAX));
}

#[test]
fn value_serde_json_duplicate_map_key_is_refused_not_replaced_bad() {
    let err = serde_json::from_str::<Value>(r#"{"db": {"port": 5432, "port": 6543}}"#).unwrap_err();
    assert!(err.to_string().contains("duplicate key \"port\""), "{err}");
    let distinct: Value = serde_json::from_str(r#"{"port": 5432, "Port": 6543}"#).unwrap();
    assert_eq!(distinct.kind(), "map");
}

#[test]
fn value_deserialize_non_finite_float_is_refused_ugly() {
    // Formats that can write nan and inf (TOML, YAML) hand them over like this.
    let nan = serde::de::IntoDeserializer::<serde::de::value::Error>::into_deserializer(f64::NAN);
    let err = <Value as serde::Deserialize>::deserialize(nan).unwrap_err();
    assert!(err.to_string().contains("not finite"), "{err}");
}

#[test]
fn value_serde_json_marker_needs_single_key_and_valid_base64_ugly() {
    let bad_base64: Value = serde_json::from_str(r#"{"$bytes": "not base64!"}"#).unwrap();
    assert_eq!(bad_base64, map(&[("$bytes", Value::from("not base64!"))]));
    let two_keys: Value =
        serde_json::from_str(r#"{"$bytes": "aGVsbG8=", "host": "homelab"}"#).unwrap();
    assert_eq!(two_keys.kind(), "map");
    let not_text: Value = serde_json::from_str(r#"{"$bytes": 8080}"#).unwrap();
    assert_eq!(not_text, map(&[("$bytes", Value::Int(8080))]));
}

#[test]
fn value_serde_json_marker_reads_unpadded_and_url_safe_base64_good() {
    // Other programs write bytes without padding, or in the URL-safe alphabet: both read.
    let unpadded: Value = serde_json::from_str(r#"{"$bytes": "aGVsbG8"}"#).unwrap();
    assert_eq!(unpadded, Value::Bytes(b"hello".to_vec()));
    let url_safe: Value = serde_json::from_str(r#"{"$bytes": "-_8="}"#).unwrap();
    assert_eq!(url_safe, Value::Bytes(vec![0xfb, 0xff]));
    let standard: Value = serde_json::from_str(r#"{"$bytes": "+/8="}"#).unwrap();
    assert_eq!(standard, Value::Bytes(vec![0xfb, 0xff]));
    // Written back, they are standard padded base64.
    assert_eq!(
        serde_json::to_string(&url_safe).unwrap(),
        r#"{"$bytes":"+/8="}"#
    );
}

#[test]
fn value_serde_json_marker_lookalike_map_reads_as_bytes_ugly() {
    // Documented collision: a map that looks exactly like the marker comes back as bytes.
    let lookalike = map(&[("$bytes", Value::from("aGVsbG8="))]);
    assert_eq!(json_round_trip(&lookalike), Value::Bytes(b"hello".to_vec()));
}

#[test]
fn value_serde_json_round_trips_empty_and_unicode_ugly() {
    for value in [
        Value::from(""),
        Value::from("homé\u{0}lab\n\"🏠\""),
        Value::Bytes(vec![]),
        Value::List(vec![]),
        Value::Map(BTreeMap::new()),
        map(&[("", Value::Null), ("ключ", Value::from("значение"))]),
    ] {
        assert_eq!(json_round_trip(&value), value, "{value}");
    }
}

#[test]
fn value_serde_json_round_trips_deep_nesting_ugly() {
    let mut value = Value::from("brain");
    for depth in 0..100 {
        value = if depth % 2 == 0 {
            Value::List(vec![value])
        } else {
            map(&[("inner", value)])
        };
    }
    assert_eq!(json_round_trip(&value), value);
}

#[test]
fn value_serde_json_reads_into_hash_map_of_values_good() {
    let read: HashMap<String, Value> =
        serde_json::from_str(r#"{"host": "homelab", "port": 8080, "ratio": 0.5}"#).unwrap();
    assert_eq!(read["port"], Value::Int(8080));
    assert_eq!(read["ratio"], Value::Float(0.5));
}

// ---------------------------------------------------------------- Display

#[test]
fn value_display_escapes_text_so_a_log_line_stays_one_line_ugly() {
    let value = map(&[
        ("msg", Value::from("line one\nline \"two\"")),
        ("raw", Value::Bytes(b"hello".to_vec())),
    ]);
    assert_eq!(
        value.to_string(),
        r#"{"msg":"line one\nline \"two\"","raw":{"$bytes":"aGVsbG8="}}"#
    );
    // Valid JSON whatever the text holds: an escape sequence, a NUL, a right-to-left
    // override, a float JSON cannot hold.
    let hostile = map(&[
        ("reason", Value::from("db: \u{1b}[31mdown\0 \u{202e}")),
        ("ratio", Value::Float(f64::NAN)),
    ]);
    assert_eq!(
        hostile.to_string(),
        r#"{"ratio":"NaN","reason":"db: \u001b[31mdown\u0000 \u202e"}"#
    );
    serde_json::from_str::<serde_json::Value>(&hostile.to_string()).unwrap();
}

#[test]
fn value_display_redacts_secret_keys_at_any_depth_good() {
    let value = map(&[
        ("user", Value::from("ops")),
        (
            "db",
            map(&[
                ("password", Value::from("hunter2")),
                ("port", Value::Int(5432)),
            ]),
        ),
        (
            "hooks",
            Value::List(vec![map(&[("apiKey", Value::from("k-19"))])]),
        ),
    ]);
    assert_eq!(
        value.to_string(),
        r#"{"db":{"password":"[REDACTED]","port":5432},"hooks":[{"apiKey":"[REDACTED]"}],"user":"ops"}"#
    );
}

#[test]
fn value_display_of_a_secret_looking_string_alone_is_shown_bad() {
    // Only a key says a value is secret: a bare string has none.
    assert_eq!(Value::from("hunter2").to_string(), r#""hunter2""#);
}

#[test]
fn value_revealed_shows_a_token_a_command_returned_good() {
    let value = map(&[
        ("name", Value::from("ci")),
        ("token", Value::from("ghp_4f2a")),
    ]);
    assert_eq!(
        value.revealed().to_string(),
        r#"{"name":"ci","token":"ghp_4f2a"}"#
    );
}

#[test]
fn value_revealed_without_secrets_is_the_display_form_bad() {
    let value = map(&[
        ("port", Value::Int(8080)),
        ("tags", Value::List(vec![Value::Null])),
    ]);
    assert_eq!(value.revealed().to_string(), value.to_string());
}

#[test]
fn value_revealed_shows_every_secret_ugly() {
    let value = map(&[("token", map(&[("secret", Value::from("s3"))]))]);
    assert_eq!(value.revealed().to_string(), r#"{"token":{"secret":"s3"}}"#);
    assert_eq!(value.to_string(), r#"{"token":"[REDACTED]"}"#);
}

#[test]
fn to_value_non_finite_float_field_is_invalid_bad() {
    #[derive(serde::Serialize)]
    struct Load {
        ratio: f64,
    }
    let err = to_value(&Load { ratio: f64::NAN }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("not finite"), "{err}");
}
