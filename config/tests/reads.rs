//! Reading values: `get`, the strict typed getters, serde conversion of a key or a whole
//! section, provenance and the key list.

mod common;

use common::ConfigDir;
use corers_config::{Config, Source};
use corers_primitives::{ErrorCode, Value, options};
use serde::{Deserialize, Serialize};

/// A config with a file, an environment variable and a runtime value.
fn workbench(dir: &ConfigDir) -> Config {
    let file = dir.write(
        "workbench.toml",
        "[database]\nhost = \"db.homelab\"\nport = \"eighty\"\npassword = \"hunter2\"\n[cache]\nttl = 30\n",
    );
    let config = Config::builder()
        .default_value("database.pool", 4)
        .file(file)
        .env_prefix("APP")
        .env_vars([("APP_CACHE__ENABLED", "yes")])
        .build()
        .unwrap();
    config.set("workers", 8).unwrap();
    config
}

/// `message` with the temp dir replaced, for snapshots.
fn scrub(dir: &ConfigDir, message: &str) -> String {
    message.replace(&dir.path().display().to_string(), "<dir>")
}

// ---------------------------------------------------------------- Config::get

#[test]
fn config_get_leaf_and_table_good() {
    let config = Config::new();
    config
        .set(
            "database",
            options! { "host" => "db", "port" => 5432 }.into_value(),
        )
        .unwrap();
    assert_eq!(config.get("database.port"), Some(Value::Int(5432)));
    assert_eq!(
        config.get("database"),
        Some(options! { "host" => "db", "port" => 5432 }.into_value())
    );
}

#[test]
fn config_get_missing_and_partial_prefix_bad() {
    let config = Config::new();
    config.set("database.port", 5432).unwrap();
    config.set("database-replica.port", 5433).unwrap();
    assert_eq!(config.get("cache"), None);
    assert_eq!(
        config.get("data"),
        None,
        "a prefix of a segment is not a table"
    );
    assert_eq!(
        config.get("database"),
        Some(options! { "port" => 5432 }.into_value())
    );
}

#[test]
fn config_get_returns_a_copy_the_store_never_touches_ugly() {
    let config = Config::new();
    config.set("hosts", vec!["homelab"]).unwrap();
    let mut copy = config.get("hosts").unwrap();
    if let Value::List(items) = &mut copy {
        items.push("studio".into());
    }
    assert_eq!(
        config.get("hosts"),
        Some(Value::List(vec!["homelab".into()]))
    );
    assert_eq!(
        config.get(""),
        Some(options! { "hosts" => vec!["homelab"] }.into_value())
    );
}

// ---------------------------------------------------------------- Config::string

#[test]
fn config_path_relative_to_its_file_good() {
    let dir = ConfigDir::new();
    let file = dir.write(
        "workbench.toml",
        "[tls]\ncert = \"certs/server.pem\"\nkey = \"/etc/ssl/server.key\"\n",
    );
    let config = Config::builder().file(file).build().unwrap();
    assert_eq!(
        config.path("tls.cert").unwrap(),
        dir.path().join("certs/server.pem")
    );
    // Absolute paths stay as they are.
    assert_eq!(
        config.path("tls.key").unwrap(),
        std::path::Path::new("/etc/ssl/server.key")
    );
}

#[test]
fn config_path_not_text_or_empty_is_invalid_bad() {
    let config = Config::new();
    config.set("tls.cert", "").unwrap();
    config.set("tls.port", 8443).unwrap();
    for key in ["tls.cert", "tls.port", "tls"] {
        let err = config.path(key).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{key}");
        assert_eq!(err.operation(), "config.Config.path");
    }
    assert_eq!(
        config.path("tls.missing").unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
}

#[test]
fn config_path_overridden_by_env_is_as_written_ugly() {
    let dir = ConfigDir::new();
    let file = dir.write("workbench.toml", "[tls]\ncert = \"certs/server.pem\"\n");
    let config = Config::builder()
        .file(file)
        .env_prefix("APP")
        .env_vars([("APP_TLS__CERT", "../elsewhere/ü.pem")])
        .build()
        .unwrap();
    assert_eq!(
        config.path("tls.cert").unwrap(),
        std::path::Path::new("../elsewhere/ü.pem")
    );
}

#[test]
fn config_string_good() {
    let dir = ConfigDir::new();
    assert_eq!(
        workbench(&dir).string("database.host").unwrap(),
        "db.homelab"
    );
}

#[test]
fn config_string_wrong_type_names_key_value_and_source_bad() {
    let dir = ConfigDir::new();
    let err = workbench(&dir).string("workers").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.string: config key "workers" holds an int (8) (from set at runtime), expected text [INVALID]"#);
}

#[test]
fn config_string_of_a_number_the_environment_or_a_set_gave_is_its_text_ugly() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_WORKSPACE__FIRST", "2024"),
            ("APP_WORKSPACE__LAST", "007"),
            ("APP_FLAGS__BETA", "true"),
        ])
        .build()
        .unwrap();
    // A workspace named 2024: text read as a number, given back as written.
    assert_eq!(config.string("workspace.first").unwrap(), "2024");
    assert_eq!(config.string("workspace.last").unwrap(), "007");
    assert_eq!(config.string("flags.beta").unwrap(), "true");
    config
        .set_from_args(["--set", "workspace.first=1999"])
        .unwrap();
    assert_eq!(config.string("workspace.first").unwrap(), "1999");
    // Typed on purpose (in code, a file, a declared flag): not converted.
    config.set("workspace.first", 2024).unwrap();
    assert!(config.string("workspace.first").is_err());
}

#[test]
fn config_string_of_a_secret_hides_the_value_ugly() {
    let config = Config::new();
    config.set("api.token", 1234).unwrap();
    let err = config.string("api.token").unwrap_err();
    assert!(!err.message().contains("1234"), "{err}");
    assert!(
        config
            .string("api")
            .unwrap_err()
            .message()
            .contains("is a table")
    );
}

// ---------------------------------------------------------------- Config::int

#[test]
fn config_int_good() {
    let dir = ConfigDir::new();
    let config = workbench(&dir);
    assert_eq!(config.int("cache.ttl").unwrap(), 30);
    assert_eq!(config.int("database.pool").unwrap(), 4);
}

#[test]
fn config_int_never_coerces_text_bad() {
    let dir = ConfigDir::new();
    let err = workbench(&dir).int("database.port").unwrap_err();
    insta::assert_snapshot!(scrub(&dir, &err.to_string()), @r#"config.Config.int: config key "database.port" holds a string (from file <dir>/workbench.toml:3), expected an integer [INVALID]"#);
}

#[test]
fn config_int_missing_and_float_ugly() {
    let config = Config::new();
    config.set("ratio", 1.0).unwrap();
    assert_eq!(
        config.int("workers").unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
    assert_eq!(
        config.int("ratio").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
    assert_eq!(
        config.int("").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

// ---------------------------------------------------------------- Config::float

#[test]
fn config_float_good() {
    let config = Config::new();
    config.set("cache.ratio", 0.25).unwrap();
    assert!((config.float("cache.ratio").unwrap() - 0.25).abs() < f64::EPSILON);
}

#[test]
fn config_float_takes_an_int_and_a_decimal_numbers_text_good() {
    let config = Config::new();
    config.set("cache.ratio", 1).unwrap();
    assert!((config.float("cache.ratio").unwrap() - 1.0).abs() < f64::EPSILON);
    for (text, float) in [("0.50", 0.5), ("1e-3", 0.001), ("-2", -2.0), ("+1.5", 1.5)] {
        config.set("cache.ratio", text).unwrap();
        assert!(
            (config.float("cache.ratio").unwrap() - float).abs() < f64::EPSILON,
            "{text}"
        );
    }
}

#[test]
fn config_float_of_text_that_is_no_number_bad() {
    let config = Config::new();
    for text in ["fast", "inf", "NaN", "1_000", "0x10", " 0.5", ""] {
        config.set("cache.ratio", text).unwrap();
        let err = config.float("cache.ratio").unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{text:?}");
    }
    config.set("cache.ratio", true).unwrap();
    insta::assert_snapshot!(
        config.float("cache.ratio").unwrap_err(),
        @r#"config.Config.float: config key "cache.ratio" holds a bool (true) (from set at runtime), expected a float [INVALID]"#
    );
}

#[test]
fn config_float_extremes_ugly() {
    let config = Config::new();
    config.set("tiny", f64::MIN_POSITIVE).unwrap();
    config.set("huge", f64::MAX).unwrap();
    assert!(config.float("tiny").unwrap() > 0.0);
    assert!((config.float("huge").unwrap() - f64::MAX).abs() < f64::EPSILON);
    // An integer only where a float holds it exactly.
    config.set("count", 1_i64 << 60).unwrap();
    assert!((config.float("count").unwrap() - 2_f64.powi(60)).abs() < f64::EPSILON);
    for inexact in [(1_i64 << 53) + 1, i64::MAX, i64::MIN + 1] {
        config.set("count", inexact).unwrap();
        let err = config.float("count").unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{inexact}");
    }
    config.set("count", i64::MIN).unwrap();
    assert!((config.float("count").unwrap() + 2_f64.powi(63)).abs() < f64::EPSILON);
}

// ---------------------------------------------------------------- Config::bool

#[test]
fn config_bool_good() {
    let config = Config::new();
    config.set("cache.enabled", false).unwrap();
    assert!(!config.bool("cache.enabled").unwrap());
}

#[test]
fn config_bool_reads_the_switch_words_of_the_environment_good() {
    #[derive(Debug, Deserialize)]
    struct Cache {
        enabled: bool,
        compress: bool,
        warm: bool,
    }
    let dir = ConfigDir::new();
    // APP_CACHE__ENABLED=yes, as config-rs reads it.
    let config = workbench(&dir);
    assert!(config.bool("cache.enabled").unwrap());
    config
        .set_from_args(["--set", "cache.compress=OFF", "--set", "cache.warm=1"])
        .unwrap();
    assert!(!config.bool("cache.compress").unwrap());
    assert!(config.bool("cache.warm").unwrap());
    let cache: Cache = config.extract("cache").unwrap();
    assert!(cache.enabled && !cache.compress && cache.warm, "{cache:?}");
}

#[test]
fn config_bool_of_other_text_or_numbers_is_invalid_bad() {
    #[derive(Debug, Deserialize)]
    struct Cache {
        #[allow(dead_code, reason = "only its error is read")]
        enabled: bool,
    }
    let config = Config::new();
    config.set("cache.enabled", "maybe").unwrap();
    config.set("cache.warm", 2).unwrap();
    let err = config.bool("cache.enabled").unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.bool: config key "cache.enabled" holds a string (from set at runtime), expected a bool [INVALID]"#);
    assert!(config.bool("cache.warm").is_err());
    // Typed on purpose (in code), even a switch word is text, not a bool.
    config.set("cache.compress", "yes").unwrap();
    assert!(config.bool("cache.compress").is_err());
    let err = config.extract::<Cache>("cache").unwrap_err();
    assert!(err.message().contains("cache.enabled"), "{err}");
}

#[test]
fn config_bool_null_value_ugly() {
    let config = Config::new();
    config.set("cache.enabled", Value::Null).unwrap();
    assert_eq!(config.get("cache.enabled"), Some(Value::Null));
    assert_eq!(
        config.bool("cache.enabled").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

// ---------------------------------------------------------------- Config::get_as

#[test]
fn config_get_as_leaf_and_table_good() {
    let config = Config::new();
    config.set("database.port", 5432).unwrap();
    let port: u16 = config.get_as("database.port").unwrap();
    let table: std::collections::BTreeMap<String, u16> = config.get_as("database").unwrap();
    assert_eq!((port, table["port"]), (5432, 5432));
}

#[test]
fn config_get_as_out_of_range_bad() {
    let config = Config::new();
    config.set("database.port", 70_000).unwrap();
    let err = config.get_as::<u16>("database.port").unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.get_as: config key "database.port" (from set at runtime): invalid value: integer `70000`, expected u16 [INVALID]"#);
}

#[test]
fn config_get_as_missing_and_list_element_ugly() {
    let config = Config::new();
    assert_eq!(
        config.get_as::<u16>("database.port").unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
    config.set("ports", vec![80, -1]).unwrap();
    let err = config.get_as::<Vec<u16>>("ports").unwrap_err();
    assert!(err.message().contains("ports"), "{err}");
    assert!(err.message().contains("-1"), "{err}");
}

// ---------------------------------------------------------------- Config::extract

#[derive(Debug, Deserialize, PartialEq)]
struct Database {
    host: String,
    port: u16,
    pool: u8,
}

#[test]
fn config_extract_section_good() {
    let config = Config::builder()
        .default_value("database.pool", 4)
        .env_prefix("APP")
        .env_vars([
            ("APP_DATABASE__HOST", "db.homelab"),
            ("APP_DATABASE__PORT", "5432"),
        ])
        .build()
        .unwrap();
    let db: Database = config.extract("database").unwrap();
    assert_eq!(
        db,
        Database {
            host: "db.homelab".into(),
            port: 5432,
            pool: 4
        }
    );
}

#[test]
fn config_extract_wrong_type_names_key_and_source_bad() {
    let dir = ConfigDir::new();
    let err = workbench(&dir).extract::<Database>("database").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(scrub(&dir, &err.to_string()), @r#"config.Config.extract: config key "database.port" (from file <dir>/workbench.toml:3): invalid type: a string, expected u16 [INVALID]"#);
}

#[test]
fn config_extract_missing_field_bad() {
    let config = Config::new();
    config.set("database.host", "db.homelab").unwrap();
    config.set("database.port", 5432).unwrap();
    let err = config.extract::<Database>("database").unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.extract: config key "database": missing field `pool` [INVALID]"#);
}

#[test]
fn config_extract_absent_value_is_not_set_bad() {
    // Nothing under the key: a number or a list is "not set" (NOT_FOUND, as get_as says),
    // not "invalid type: map"; a struct still names the field it needs.
    let config = Config::new();
    config.set("database.host", "db.homelab").unwrap();
    let err = config.extract::<u16>("database.port").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.extract: config key "database.port" is not set [NOT_FOUND]"#);
    let err = config.extract::<Vec<String>>("cluster.hosts").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    let err = config.extract::<Database>("replica").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("missing field `host`"), "{err}");
}

#[test]
fn config_extract_absent_newtype_is_what_it_wraps_ugly() {
    // Decided by what the type asks for, not by the wording of serde's errors.
    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Cache {
        #[serde(default)]
        ttl: u32,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct Section(Cache);
    #[derive(Debug, Deserialize)]
    struct Port(u16);
    let config = Config::new();
    assert_eq!(
        config.extract::<Section>("cache").unwrap(),
        Section(Cache::default())
    );
    let err = config
        .extract::<Port>("server.port")
        .map(|port| port.0)
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn config_defaults_struct_with_empty_maps_extracts_whole_good() {
    // figment's Serialized::defaults(App::default()) then extract::<App>(): the same here,
    // an empty map included.
    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct App {
        workers: u8,
        upstreams: std::collections::BTreeMap<String, String>,
        headers: Option<std::collections::BTreeMap<String, String>>,
    }
    let app = App {
        workers: 4,
        upstreams: std::collections::BTreeMap::new(),
        headers: Some(std::collections::BTreeMap::new()),
    };
    let config = Config::builder().defaults(&app).build().unwrap();
    assert_eq!(config.extract::<App>("").unwrap(), app);
    // A stronger layer's key under the empty map takes its place.
    config
        .set("upstreams.alpha", "http://10.0.0.7:8080")
        .unwrap();
    let app = config.extract::<App>("").unwrap();
    assert_eq!(app.upstreams["alpha"], "http://10.0.0.7:8080");
    assert_eq!(app.headers, Some(std::collections::BTreeMap::new()));
}

#[test]
fn config_extract_secret_value_is_not_echoed_ugly() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Credentials {
        password: u32,
    }
    let dir = ConfigDir::new();
    let err = workbench(&dir)
        .extract::<Credentials>("database")
        .unwrap_err();
    assert!(!err.message().contains("hunter2"), "{err}");
    assert!(err.message().contains("\"database.password\""), "{err}");
}

#[test]
fn config_extract_number_or_bool_from_the_environment_into_text_fields_good() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Database {
        password: String,
        replica: Option<String>,
        tls: String,
    }
    // As `APP_DATABASE__PASSWORD=123456` and `APP_DATABASE__TLS=true` read from the
    // environment: an integer and a bool, which text fields still take as written.
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_DATABASE__PASSWORD", "123456"),
            ("APP_DATABASE__REPLICA", "2"),
            ("APP_DATABASE__TLS", "true"),
        ])
        .build()
        .unwrap();
    assert_eq!(config.int("database.password").unwrap(), 123_456);
    assert_eq!(
        config.extract::<Database>("database").unwrap(),
        Database {
            password: "123456".to_owned(),
            replica: Some("2".to_owned()),
            tls: "true".to_owned(),
        }
    );
    assert_eq!(
        config.get_as::<String>("database.password").unwrap(),
        "123456"
    );
}

#[test]
fn config_extract_number_fields_take_the_text_of_a_number_good() {
    // The environment keeps " 5", "+5" and "007" as text (a text field gets them as
    // written); a number field reads the number, as figment's does.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Index {
        files_per_char: u16,
        depth: i32,
        ratio: f64,
        code: String,
    }
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_INDEX__FILES_PER_CHAR", " 5"),
            ("APP_INDEX__DEPTH", "+007"),
            ("APP_INDEX__RATIO", " 0.25 "),
            ("APP_INDEX__CODE", "007"),
        ])
        .build()
        .unwrap();
    assert_eq!(
        config.extract::<Index>("index").unwrap(),
        Index {
            files_per_char: 5,
            depth: 7,
            ratio: 0.25,
            code: "007".to_owned(),
        }
    );
    // Out of range, or not a number: still refused, naming the key.
    config.set("index.files_per_char", "70000").unwrap();
    let err = config.extract::<Index>("index").unwrap_err();
    assert!(err.message().contains("index.files_per_char"), "{err}");
    config.set("index.files_per_char", "5 files").unwrap();
    assert!(config.extract::<Index>("index").is_err());
}

#[test]
fn config_extract_number_field_given_too_many_digits_says_out_of_range_ugly() {
    // The environment keeps digits too many for any integer as text: the message says
    // what is wrong with them, not that they are "a string".
    #[derive(Debug, Deserialize)]
    struct Index {
        #[allow(dead_code, reason = "read for its error")]
        files_per_char: usize,
    }
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_INDEX__FILES_PER_CHAR", "99999999999999999999999")])
        .build()
        .unwrap();
    let err = config.extract::<Index>("index").unwrap_err();
    assert_eq!(
        err.message(),
        "config key \"index.files_per_char\" (from env APP_INDEX__FILES_PER_CHAR): invalid value: an integer out of range, expected usize"
    );
}

#[test]
fn config_extract_map_keys_read_as_numbers_and_floats_are_not_text_bad() {
    let config = Config::new();
    config.set("ports.80", "http").unwrap();
    config.set("ports.443", "https").unwrap();
    let ports: std::collections::BTreeMap<u16, String> = config.extract("ports").unwrap();
    assert_eq!(ports[&443], "https");
    // A float is not taken as text: `1.10` would come back as "1.1".
    config.set("app.version", 1.10).unwrap();
    let err = config.get_as::<String>("app.version").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    // Text that is no decimal number is not taken as a float.
    config.set("cache.ratio", "half").unwrap();
    let err = config.get_as::<f64>("cache.ratio").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    config.set("cache.ratio", "inf").unwrap();
    assert!(config.get_as::<f32>("cache.ratio").is_err());
}

#[test]
fn config_extract_secret_number_is_not_echoed_ugly() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Database {
        password: u8,
    }
    // As `APP_DATABASE__PASSWORD=123456` reads from the environment: an integer, too
    // large for the field.
    let config = Config::new();
    config.set("database.password", 123_456).unwrap();
    let err = config.extract::<Database>("database").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(!err.message().contains("123456"), "{err}");
}

#[test]
fn config_extract_whole_config_and_empty_section_ugly() {
    #[derive(Debug, Deserialize, Default)]
    struct Cache {
        #[serde(default)]
        ttl: u32,
    }
    #[derive(Debug, Deserialize)]
    struct App {
        workers: u8,
    }
    let config = Config::new();
    config.set("workers", 8).unwrap();
    assert_eq!(config.extract::<App>("").unwrap().workers, 8);
    assert_eq!(config.extract::<Cache>("cache").unwrap().ttl, 0);
    let err = config.extract::<u8>("").unwrap_err();
    assert!(err.message().contains("<root>"), "{err}");
}

#[test]
fn config_extract_absent_section_into_an_option_is_none_ugly() {
    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(default)]
    struct Tls {
        cert: String,
        key: String,
    }
    let config = Config::new();
    // Not set: no TLS, not TLS with empty paths.
    assert_eq!(config.extract::<Option<Tls>>("tls").unwrap(), None);
    assert_eq!(config.extract::<Tls>("tls").unwrap(), Tls::default());
    config.set("tls.cert", "/etc/wb/server.pem").unwrap();
    assert_eq!(
        config.extract::<Option<Tls>>("tls").unwrap(),
        Some(Tls {
            cert: "/etc/wb/server.pem".into(),
            key: String::new()
        })
    );
    // A map: empty either way.
    let hosts: std::collections::BTreeMap<String, String> = config.extract("hosts").unwrap();
    assert!(hosts.is_empty());
}

// ---------------------------------------------------------------- Config::provenance

#[test]
fn config_provenance_of_each_layer_good() {
    let dir = ConfigDir::new();
    let config = workbench(&dir);
    config.set_flags(&options! { "cache.ttl" => 60 }).unwrap();
    assert_eq!(config.provenance("database.pool"), Some(Source::Default));
    assert_eq!(
        config.provenance("database.host"),
        Some(Source::File {
            path: dir.path().join("workbench.toml"),
            line: Some(2)
        })
    );
    assert_eq!(
        config.provenance("cache.enabled"),
        Some(Source::Env {
            var: "APP_CACHE__ENABLED".into()
        })
    );
    assert_eq!(
        config.provenance("cache.ttl"),
        Some(Source::Flag {
            name: "cache.ttl".into()
        })
    );
    assert_eq!(config.provenance("workers"), Some(Source::Runtime));
}

#[test]
fn config_provenance_missing_key_bad() {
    assert_eq!(Config::new().provenance("workers"), None);
}

#[test]
fn config_provenance_of_a_table_is_none_ugly() {
    let dir = ConfigDir::new();
    assert_eq!(workbench(&dir).provenance("database"), None);
}

// ---------------------------------------------------------------- Config::keys

#[test]
fn config_keys_sorted_good() {
    let dir = ConfigDir::new();
    assert_eq!(
        workbench(&dir).keys(),
        [
            "cache.enabled",
            "cache.ttl",
            "database.host",
            "database.password",
            "database.pool",
            "database.port",
            "workers"
        ]
    );
}

#[test]
fn config_keys_empty_bad() {
    assert!(Config::new().keys().is_empty());
}

#[test]
fn config_keys_byte_order_with_dashes_ugly() {
    let config = Config::new();
    for key in ["a.b", "a-b", "a_b", "A.b", "a"] {
        config.set(key, 1).unwrap();
    }
    // "a" replaced the table "a.b" set before it.
    assert_eq!(config.keys(), ["A.b", "a", "a-b", "a_b"]);
}

#[test]
fn config_extract_never_echoes_text_under_a_harmless_key_ugly() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Database {
        url: u32,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only the error matters")]
    enum Mode {
        Fast,
    }
    let config = Config::new();
    config
        .set("database.url", "postgres://ops:s3cret@db/app")
        .unwrap();
    let err = config.extract::<Database>("database").unwrap_err();
    assert!(!err.message().contains("s3cret"), "{err}");
    let err = config.int("database.url").unwrap_err();
    assert!(!err.message().contains("s3cret"), "{err}");
    config.set("mode", "postgres://ops:s3cret@db/app").unwrap();
    let err = config.get_as::<Mode>("mode").unwrap_err();
    assert!(!err.message().contains("s3cret"), "{err}");
    assert!(err.message().contains("expected"), "{err}");
}

#[test]
fn config_get_as_list_element_error_names_the_element_bad() {
    let config = Config::new();
    config.set("ports", vec![80, -1]).unwrap();
    let err = config.get_as::<Vec<u16>>("ports").unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r#"config.Config.get_as: config key "ports[1]" (from set at runtime): invalid value: integer `-1`, expected u16 [INVALID]"#);
}
