//! Integration tests for [`Options`] and the [`options!`] literal: ordered unique keys (set
//! replaces in place, repeated keys keep first position and last value), non-coercing typed
//! getters, serde conversion with `get_as`/`extract`, and clones that share nothing.

use std::collections::{BTreeMap, HashMap};

use corers_primitives::{ErrorCode, Options, Value, options};
use serde::Deserialize;

#[derive(Deserialize, Debug, PartialEq)]
struct Deploy {
    target: String,
    replicas: u8,
}

fn keys(opts: &Options) -> Vec<&str> {
    opts.keys().collect()
}

// ---------------------------------------------------------------- new

#[test]
fn options_new_is_empty_good() {
    let opts = Options::new();
    assert!(opts.is_empty());
    assert_eq!(opts.len(), 0);
}

#[test]
fn options_new_has_no_keys_bad() {
    let opts = Options::new();
    assert_eq!(opts.get("name"), None);
    assert!(!opts.has(""));
}

#[test]
fn options_new_equals_default_and_empty_literal_ugly() {
    assert_eq!(Options::new(), Options::default());
    assert_eq!(Options::new(), options! {});
    assert_eq!(Options::new().into_value(), Value::Map(BTreeMap::new()));
}

// ---------------------------------------------------------------- get

#[test]
fn options_get_present_key_good() {
    let opts = options! { "name" => "brain", "port" => 8080 };
    assert_eq!(opts.get("port"), Some(&Value::Int(8080)));
}

#[test]
fn options_get_missing_key_bad() {
    let opts = options! { "name" => "brain" };
    assert_eq!(opts.get("host"), None);
}

#[test]
fn options_get_is_case_sensitive_bad() {
    let opts = options! { "port" => 8080 };
    assert_eq!(opts.get("Port"), None);
    assert_eq!(opts.get("port "), None);
}

#[test]
fn options_get_stored_null_is_some_ugly() {
    let opts = options! { "token" => Value::Null };
    assert_eq!(opts.get("token"), Some(&Value::Null));
}

#[test]
fn options_get_empty_unicode_and_nul_keys_ugly() {
    let opts = options! { "" => 1, "hôte 🏠" => 2, "a\0b" => 3 };
    assert_eq!(opts.get(""), Some(&Value::Int(1)));
    assert_eq!(opts.get("hôte 🏠"), Some(&Value::Int(2)));
    assert_eq!(opts.get("a\0b"), Some(&Value::Int(3)));
    assert_eq!(opts.get("a"), None);
}

// ---------------------------------------------------------------- has

#[test]
fn options_has_present_key_good() {
    assert!(options! { "verbose" => true }.has("verbose"));
}

#[test]
fn options_has_missing_key_bad() {
    assert!(!options! { "verbose" => true }.has("quiet"));
}

#[test]
fn options_has_key_with_null_value_ugly() {
    let opts = options! { "token" => None::<String> };
    assert!(opts.has("token"));
}

// ---------------------------------------------------------------- len

#[test]
fn options_len_counts_keys_good() {
    assert_eq!(options! { "name" => "brain", "port" => 8080 }.len(), 2);
}

#[test]
fn options_len_does_not_grow_on_replace_bad() {
    let mut opts = options! { "port" => 8080 };
    opts.set("port", 9090);
    assert_eq!(opts.len(), 1);
}

#[test]
fn options_len_matches_distinct_keys_of_repeated_pairs_ugly() {
    let opts: Options = (0..1000).map(|i| (format!("k{}", i % 10), i)).collect();
    assert_eq!(opts.len(), 10);
    assert_eq!(opts.iter().len(), opts.len());
    assert_eq!(opts.keys().len(), opts.len());
}

// ---------------------------------------------------------------- is_empty

#[test]
fn options_is_empty_for_new_good() {
    assert!(Options::new().is_empty());
}

#[test]
fn options_is_empty_false_with_null_value_bad() {
    assert!(!options! { "token" => Value::Null }.is_empty());
}

#[test]
fn options_is_empty_again_after_removing_last_key_ugly() {
    let mut opts = options! { "name" => "brain" };
    opts.remove("name");
    assert!(opts.is_empty());
}

// ---------------------------------------------------------------- set

#[test]
fn options_set_appends_new_key_good() {
    let mut opts = options! { "name" => "brain" };
    assert_eq!(opts.set("port", 8080), None);
    assert_eq!(keys(&opts), ["name", "port"]);
    assert_eq!(opts.int("port"), Some(8080));
}

#[test]
fn options_set_existing_key_replaces_in_place_bad() {
    let mut opts = options! { "port" => 8080, "host" => "homelab" };
    assert_eq!(opts.set("port", "9090"), Some(Value::Int(8080)));
    assert_eq!(keys(&opts), ["port", "host"]);
    assert_eq!(opts.string("port"), Some("9090"));
    assert_eq!(opts.len(), 2);
}

#[test]
fn options_set_same_key_many_times_keeps_one_entry_ugly() {
    let mut opts = Options::new();
    for port in 0..100 {
        opts.set("port", port);
    }
    assert_eq!(opts.len(), 1);
    assert_eq!(opts.int("port"), Some(99));
}

#[test]
fn options_set_empty_and_unicode_keys_are_distinct_ugly() {
    let mut opts = Options::new();
    opts.set("", "empty");
    opts.set("é", "precomposed");
    opts.set("e\u{301}", "combining");
    assert_eq!(opts.len(), 3);
    assert_eq!(opts.string("é"), Some("precomposed"));
}

// ---------------------------------------------------------------- remove

#[test]
fn options_remove_returns_value_good() {
    let mut opts = options! { "name" => "brain", "port" => 8080 };
    assert_eq!(opts.remove("name"), Some(Value::from("brain")));
    assert!(!opts.has("name"));
    assert_eq!(opts.len(), 1);
}

#[test]
fn options_remove_missing_key_bad() {
    let mut opts = options! { "name" => "brain" };
    assert_eq!(opts.remove("port"), None);
    assert_eq!(opts.len(), 1);
}

#[test]
fn options_remove_middle_keeps_order_and_twice_is_none_ugly() {
    let mut opts = options! { "name" => "brain", "host" => "homelab", "port" => 8080 };
    assert!(opts.remove("host").is_some());
    assert_eq!(opts.remove("host"), None);
    assert_eq!(keys(&opts), ["name", "port"]);
}

// ---------------------------------------------------------------- iter

#[test]
fn options_iter_yields_pairs_in_insertion_order_good() {
    let opts = options! { "port" => 8080, "name" => "brain" };
    let pairs: Vec<(&str, &Value)> = opts.iter().collect();
    assert_eq!(
        pairs,
        [("port", &Value::Int(8080)), ("name", &Value::from("brain"))]
    );
}

#[test]
fn options_iter_empty_yields_nothing_bad() {
    assert_eq!(Options::new().iter().next(), None);
}

#[test]
fn options_iter_agrees_with_get_after_replacements_ugly() {
    let mut opts = options! { "a" => 1, "b" => 2, "c" => 3 };
    opts.set("b", 20);
    opts.set("a", 10);
    opts.remove("c");
    opts.set("c", 30);
    for (key, value) in opts.iter() {
        assert_eq!(opts.get(key), Some(value));
    }
    let pairs: Vec<(&str, &Value)> = opts.iter().collect();
    assert_eq!(
        pairs,
        [
            ("a", &Value::Int(10)),
            ("b", &Value::Int(20)),
            ("c", &Value::Int(30))
        ]
    );
}

// ---------------------------------------------------------------- keys

#[test]
fn options_keys_in_insertion_order_good() {
    let opts = options! { "port" => 8080, "host" => "homelab", "name" => "brain" };
    assert_eq!(keys(&opts), ["port", "host", "name"]);
}

#[test]
fn options_keys_empty_for_new_bad() {
    assert_eq!(Options::new().keys().len(), 0);
}

#[test]
fn options_keys_unsorted_unicode_kept_as_given_ugly() {
    let opts = options! { "zeta" => 1, "" => 2, "ü" => 3, "Alpha" => 4 };
    assert_eq!(keys(&opts), ["zeta", "", "ü", "Alpha"]);
}

// ---------------------------------------------------------------- string / int / bool / float

#[test]
fn options_string_reads_text_good() {
    assert_eq!(options! { "name" => "brain" }.string("name"), Some("brain"));
}

#[test]
fn options_string_does_not_coerce_int_bad() {
    assert_eq!(options! { "port" => 8080 }.string("port"), None);
}

#[test]
fn options_string_missing_null_and_empty_ugly() {
    let opts = options! { "token" => Value::Null, "suffix" => "" };
    assert_eq!(opts.string("absent"), None);
    assert_eq!(opts.string("token"), None);
    assert_eq!(opts.string("suffix"), Some(""));
}

#[test]
fn options_int_reads_int_good() {
    assert_eq!(options! { "port" => 8080 }.int("port"), Some(8080));
}

#[test]
fn options_int_does_not_coerce_text_or_float_bad() {
    let opts = options! { "port" => "8080", "replicas" => 3.0 };
    assert_eq!(opts.int("port"), None);
    assert_eq!(opts.int("replicas"), None);
}

#[test]
fn options_int_extremes_and_missing_ugly() {
    let opts = options! { "min" => i64::MIN, "max" => i64::MAX };
    assert_eq!(opts.int("min"), Some(i64::MIN));
    assert_eq!(opts.int("max"), Some(i64::MAX));
    assert_eq!(opts.int("zero"), None);
}

#[test]
fn options_bool_reads_bool_good() {
    assert_eq!(options! { "verbose" => true }.bool("verbose"), Some(true));
}

#[test]
fn options_bool_does_not_coerce_text_or_int_bad() {
    let opts = options! { "verbose" => "true", "debug" => 1 };
    assert_eq!(opts.bool("verbose"), None);
    assert_eq!(opts.bool("debug"), None);
}

#[test]
fn options_bool_false_is_some_and_missing_is_none_ugly() {
    let opts = options! { "verbose" => false };
    assert_eq!(opts.bool("verbose"), Some(false));
    assert_eq!(opts.bool("quiet"), None);
}

#[test]
fn options_float_reads_float_good() {
    assert_eq!(options! { "ratio" => 0.75 }.float("ratio"), Some(0.75));
}

#[test]
fn options_float_does_not_widen_int_bad() {
    assert_eq!(options! { "ratio" => 1 }.float("ratio"), None);
}

#[test]
fn options_float_returns_stored_nan_ugly() {
    let opts = options! { "ratio" => f64::NAN };
    assert!(opts.float("ratio").unwrap().is_nan());
}

// ---------------------------------------------------------------- get_as

#[test]
fn get_as_converts_to_u16_good() {
    let port: u16 = options! { "port" => 8080 }.get_as("port").unwrap();
    assert_eq!(port, 8080);
}

#[test]
fn get_as_converts_list_to_vec_good() {
    let opts = options! { "hosts" => vec!["homelab", "studio"] };
    let hosts: Vec<String> = opts.get_as("hosts").unwrap();
    assert_eq!(hosts, ["homelab", "studio"]);
}

#[test]
fn get_as_missing_key_is_not_found_bad() {
    let err = options! { "name" => "brain" }
        .get_as::<u16>("port")
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.operation(), "primitives.Options.get_as");
    assert_eq!(err.message(), r#"options key "port" is missing"#);
}

#[test]
fn get_as_mismatch_is_invalid_and_names_key_bad() {
    let err = options! { "port" => "eighty" }
        .get_as::<u16>("port")
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn get_as_out_of_range_is_invalid_ugly() {
    let err = options! { "port" => 70_000 }
        .get_as::<u16>("port")
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().starts_with(r#"options key "port": "#),
        "{err}"
    );
}

#[test]
fn get_as_null_into_option_is_none_ugly() {
    let token: Option<String> = options! { "token" => Value::Null }.get_as("token").unwrap();
    assert_eq!(token, None);
}

#[test]
fn get_as_never_quotes_a_secret_value_ugly() {
    let opts = options! { "password" => "hunter2", "db_token" => 482_913, "port" => "eighty" };
    let err = opts.get_as::<u32>("password").unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(
        err.message().contains("a string (not shown), expected u32"),
        "{err}"
    );
    let err = opts.get_as::<bool>("db_token").unwrap_err();
    assert!(!err.to_string().contains("482913"), "{err}");
    // An ordinary key's value is still quoted: it helps, and it is not a secret.
    let err = opts.get_as::<u32>("port").unwrap_err();
    assert!(err.message().contains(r#"string "eighty""#), "{err}");
}

#[test]
fn options_extract_never_quotes_a_secret_field_or_what_is_under_it_ugly() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the failure is looked at")]
    enum Tier {
        Free,
        Paid,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the failure is looked at")]
    struct Client {
        api_key: u64,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the failure is looked at")]
    struct Vault {
        credentials: BTreeMap<String, Tier>,
    }
    let err = options! { "api_key" => "sk-live-4242" }
        .extract::<Client>()
        .unwrap_err();
    assert!(!err.to_string().contains("sk-live-4242"), "{err}");
    // Nested beneath a secret-looking key, and as an enum variant: not quoted either.
    let vault = options! { "credentials" => options! { "github" => "ghp_Secret" }.into_value() };
    let err = vault.extract::<Vault>().unwrap_err();
    assert!(!err.to_string().contains("ghp_Secret"), "{err}");
    assert!(err.message().contains("unknown variant"), "{err}");
}

#[test]
fn get_as_escapes_hostile_key_in_message_ugly() {
    let err = options! { "po\"rt\n" => "x" }
        .get_as::<u16>("po\"rt\n")
        .unwrap_err();
    assert!(
        err.message().starts_with(r#"options key "po\"rt\n": "#),
        "{err}"
    );
}

// ---------------------------------------------------------------- extract

#[test]
fn options_extract_fills_struct_good() {
    let deploy: Deploy = options! { "target" => "homelab", "replicas" => 3 }
        .extract()
        .unwrap();
    assert_eq!(
        deploy,
        Deploy {
            target: "homelab".into(),
            replicas: 3
        }
    );
}

#[test]
fn options_extract_missing_field_is_invalid_bad() {
    let err = options! { "target" => "homelab" }
        .extract::<Deploy>()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "primitives.Options.extract");
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn options_extract_wrong_type_is_invalid_bad() {
    let err = options! { "target" => "homelab", "replicas" => "three" }
        .extract::<Deploy>()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#"string "three""#), "{err}");
}

#[test]
fn options_extract_ignores_extra_keys_ugly() {
    let deploy: Deploy =
        options! { "replicas" => 3, "colour" => "blue", "target" => "homelab", "" => Value::Null }
            .extract()
            .unwrap();
    assert_eq!(deploy.replicas, 3);
}

#[test]
fn options_extract_empty_into_hash_map_ugly() {
    let all: HashMap<String, Value> = Options::new().extract().unwrap();
    assert!(all.is_empty());
}

#[test]
fn options_extract_leaves_options_untouched_ugly() {
    let opts = options! { "target" => "homelab", "replicas" => 3 };
    let before = opts.clone();
    let _: Deploy = opts.extract().unwrap();
    assert_eq!(opts, before);
}

// ---------------------------------------------------------------- into_value

#[test]
fn options_into_value_makes_map_good() {
    let value = options! { "host" => "homelab", "port" => 8080 }.into_value();
    let expected: Value = [("host", Value::from("homelab")), ("port", Value::Int(8080))]
        .into_iter()
        .collect();
    assert_eq!(value, expected);
}

#[test]
fn options_into_value_empty_is_map_not_null_bad() {
    let value = Options::new().into_value();
    assert!(!value.is_null());
    assert_eq!(value.as_map().map(BTreeMap::len), Some(0));
}

#[test]
fn options_into_value_sorts_keys_ugly() {
    let value = options! { "port" => 8080, "" => 0, "host" => "homelab" }.into_value();
    let sorted: Vec<&str> = value.as_map().unwrap().keys().map(String::as_str).collect();
    assert_eq!(sorted, ["", "host", "port"]);
}

// ---------------------------------------------------------------- options!

#[test]
fn options_macro_builds_in_order_good() {
    let opts = options! { "name" => "brain", "port" => 8080, "verbose" => true };
    assert_eq!(keys(&opts), ["name", "port", "verbose"]);
    assert_eq!(opts.string("name"), Some("brain"));
    assert_eq!(opts.int("port"), Some(8080));
    assert_eq!(opts.bool("verbose"), Some(true));
}

#[test]
fn options_macro_repeated_key_keeps_first_position_last_value_bad() {
    let opts = options! { "port" => 8080, "host" => "homelab", "port" => 9090 };
    assert_eq!(keys(&opts), ["port", "host"]);
    assert_eq!(opts.int("port"), Some(9090));
}

#[test]
fn options_macro_empty_trailing_comma_and_expression_keys_ugly() {
    assert!(options! {}.is_empty());
    let key = String::from("host");
    let opts = options! { key.clone() => "homelab", format!("{key}_port") => 8080u16, };
    assert_eq!(keys(&opts), ["host", "host_port"]);
    assert_eq!(opts.int("host_port"), Some(8080));
}

// ---------------------------------------------------------------- building, clones, serde

#[test]
fn options_from_iter_repeated_key_keeps_first_position_last_value_ugly() {
    let opts: Options = [("port", 8080), ("replicas", 3), ("port", 9090)]
        .into_iter()
        .collect();
    assert_eq!(keys(&opts), ["port", "replicas"]);
    assert_eq!(opts.int("port"), Some(9090));
    assert_eq!(opts.len(), 2);
}

#[test]
fn options_extend_replaces_and_appends_good() {
    let mut opts = options! { "name" => "brain", "port" => 8080 };
    opts.extend([("port", 9090), ("replicas", 3)]);
    assert_eq!(keys(&opts), ["name", "port", "replicas"]);
    assert_eq!(opts.int("port"), Some(9090));
}

#[test]
fn options_extend_many_keys_past_the_scanned_handful_ugly() {
    // A step's output of 50,000 entries piped on: every key once, in first position with
    // its last value, also for keys there before the extend and repeated in it.
    let mut opts = options! { "name" => "brain", "port" => 8080 };
    opts.extend((0..50_000).map(|n| (format!("file{}", n % 40_000), n)));
    opts.extend([("port", 9090), ("file7", -1)]);
    assert_eq!(opts.len(), 40_002);
    assert_eq!(keys(&opts)[..3], ["name", "port", "file0"]);
    assert_eq!(opts.int("port"), Some(9090));
    assert_eq!(opts.int("file7"), Some(-1));
    assert_eq!(opts.int("file39999"), Some(39_999));
    assert_eq!(opts.int("file0"), Some(40_000));
}

#[test]
fn options_clone_shares_nothing_good() {
    let original = options! { "hosts" => vec!["homelab"], "port" => 8080 };
    let mut copy = original.clone();
    copy.set("port", 9090);
    copy.set("hosts", vec!["studio"]);
    copy.set("name", "brain");
    assert_eq!(original.int("port"), Some(8080));
    assert_eq!(original.get("hosts"), Some(&Value::from(vec!["homelab"])));
    assert!(!original.has("name"));
}

#[test]
fn options_serde_json_round_trip_keeps_order_good() {
    let opts = options! { "port" => 8080, "host" => "homelab", "payload" => b"git.log".to_vec() };
    let text = serde_json::to_string(&opts).unwrap();
    assert_eq!(
        text,
        r#"{"port":8080,"host":"homelab","payload":{"$bytes":"Z2l0LmxvZw=="}}"#
    );
    let back: Options = serde_json::from_str(&text).unwrap();
    assert_eq!(back, opts);
}

#[test]
fn options_serde_json_repeated_key_keeps_first_position_last_value_ugly() {
    let opts: Options =
        serde_json::from_str(r#"{"port": 8080, "host": "homelab", "port": 9090}"#).unwrap();
    assert_eq!(keys(&opts), ["port", "host"]);
    assert_eq!(opts.int("port"), Some(9090));
    assert_eq!(opts.len(), opts.iter().count());
}

#[test]
fn options_serde_json_rejects_non_map_bad() {
    let err = serde_json::from_str::<Options>(r#"["port", 8080]"#).unwrap_err();
    assert!(err.to_string().contains("a map of options"), "{err}");
}

#[test]
fn options_serde_json_hundred_thousand_keys_keep_their_order_ugly() {
    let keys: Vec<String> = (0..100_000).map(|n| format!("k{n}")).collect();
    let json = format!(
        "{{{}}}",
        keys.iter()
            .map(|k| format!("\"{k}\": 1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let options: Options = serde_json::from_str(&json).unwrap();
    assert_eq!(options.len(), 100_000);
    assert!(options.keys().eq(keys.iter().map(String::as_str)));
}
