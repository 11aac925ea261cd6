//! Building a config from its sources: defaults, files, environment, flags and runtime
//! values, their precedence, and the provenance of every value.

mod common;

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt as _;

use common::ConfigDir;
use corers_config::{Config, Layer, Source};
use corers_primitives::{ErrorCode, Value, options};
use serde::Serialize;

#[derive(Serialize)]
struct Defaults {
    workers: u8,
    database: DatabaseDefaults,
}

#[derive(Serialize)]
struct DatabaseDefaults {
    host: String,
    port: u16,
}

fn defaults() -> Defaults {
    Defaults {
        workers: 4,
        database: DatabaseDefaults {
            host: "localhost".into(),
            port: 5432,
        },
    }
}

fn file_source(path: &std::path::Path, line: u32) -> Source {
    Source::File {
        path: path.to_path_buf(),
        line: Some(line),
    }
}

// ---------------------------------------------------------------- precedence

#[test]
fn config_layers_precedence_across_all_five_good() {
    let dir = ConfigDir::new();
    let file = dir.write(
        "app.toml",
        "workers = 8\n[database]\nhost = \"db.file\"\nport = 6000\npool = 2\n",
    );
    let config = Config::builder()
        .defaults(&defaults())
        .default_value("log.level", "info")
        .file(&file)
        .env_prefix("APP")
        .env_vars([("APP_DATABASE__PORT", "6001"), ("APP_DATABASE__POOL", "3")])
        .build()
        .unwrap();
    config
        .set_flags(&options! { "database.pool" => 4, "database.user" => "ops" })
        .unwrap();
    config.set("database.user", "admin").unwrap();

    let seen: Vec<(String, Value, Layer)> = config
        .keys()
        .into_iter()
        .map(|key| {
            let value = config.get(&key).unwrap();
            let layer = config.provenance(&key).unwrap().layer();
            (key, value, layer)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("database.host".into(), Value::from("db.file"), Layer::File),
            ("database.pool".into(), Value::Int(4), Layer::Flag),
            ("database.port".into(), Value::Int(6001), Layer::Env),
            ("database.user".into(), Value::from("admin"), Layer::Runtime),
            ("log.level".into(), Value::from("info"), Layer::Default),
            ("workers".into(), Value::Int(8), Layer::File),
        ]
    );
}

#[test]
fn config_layers_later_file_overrides_earlier_good() {
    let dir = ConfigDir::new();
    let system = dir.write("system.toml", "workers = 2\nregion = \"eu\"\n");
    let user = dir.write("user.toml", "\n\nworkers = 6\n");
    let config = Config::builder().file(&system).file(&user).build().unwrap();
    assert_eq!(config.int("workers").unwrap(), 6);
    assert_eq!(config.provenance("workers"), Some(file_source(&user, 3)));
    assert_eq!(config.provenance("region"), Some(file_source(&system, 2)));
}

#[test]
fn config_layers_leaf_replaces_a_weaker_table_ugly() {
    // A stronger layer's scalar at "database" hides the weaker table under it, and a
    // stronger key under a weaker scalar replaces that scalar.
    let config = Config::builder()
        .defaults(&defaults())
        .env_prefix("APP")
        .env_vars([
            ("APP_DATABASE", "postgres://db.homelab/app"),
            ("APP_WORKERS__MAX", "9"),
        ])
        .build()
        .unwrap();
    assert_eq!(
        config.string("database").unwrap(),
        "postgres://db.homelab/app"
    );
    assert_eq!(config.get("database.port"), None);
    assert_eq!(config.int("workers.max").unwrap(), 9);
    assert_eq!(config.provenance("workers"), None);
}

// ---------------------------------------------------------------- ConfigBuilder::defaults

#[test]
fn config_builder_defaults_from_a_struct_good() {
    let config = Config::builder().defaults(&defaults()).build().unwrap();
    assert_eq!(config.keys(), ["database.host", "database.port", "workers"]);
    assert_eq!(config.provenance("database.port"), Some(Source::Default));
}

#[test]
fn config_builder_defaults_not_a_map_bad() {
    let err = Config::builder().defaults(&42).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("not an int"), "{err}");
}

#[test]
fn config_builder_defaults_with_dotted_and_bad_map_keys_ugly() {
    // A dotted map key is a nested key; a key that is no key at all is refused.
    let mut map = BTreeMap::new();
    map.insert("database.port".to_owned(), 5432);
    let config = Config::builder().defaults(&map).build().unwrap();
    assert_eq!(
        config.get("database"),
        Some(options! { "port" => 5432 }.into_value())
    );
    map.insert("data base".to_owned(), 1);
    let err = Config::builder().defaults(&map).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("\"data base\""), "{err}");
}

// ---------------------------------------------------------------- ConfigBuilder::default_value

#[test]
fn config_builder_default_value_nested_map_good() {
    let table: Value = options! { "host" => "localhost", "port" => 5432 }.into_value();
    let config = Config::builder()
        .default_value("database", table)
        .build()
        .unwrap();
    assert_eq!(config.keys(), ["database.host", "database.port"]);
}

#[test]
fn config_builder_default_value_malformed_key_bad() {
    for key in [
        "",
        "database..port",
        ".port",
        "port.",
        "data base",
        "ポート",
    ] {
        let err = Config::builder().default_value(key, 1).build().unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{key:?}");
    }
}

#[test]
fn config_builder_default_value_first_error_wins_ugly() {
    let err = Config::builder()
        .default_value("bad key", 1)
        .default_value("also..bad", 2)
        .build()
        .unwrap_err();
    assert!(err.message().contains("\"bad key\""), "{err}");
}

// ---------------------------------------------------------------- ConfigBuilder::file

#[test]
fn config_builder_file_toml_with_lines_good() {
    let dir = ConfigDir::new();
    let path = dir.write(
        "workbench.toml",
        "# workbench\nname = \"workbench\"\n\n[database]\nport = 5432\nhosts = [\"a\", \"b\"]\n[database.pool]\nsize = 4\n",
    );
    let config = Config::builder().file(&path).build().unwrap();
    assert_eq!(config.provenance("name"), Some(file_source(&path, 2)));
    assert_eq!(
        config.provenance("database.port"),
        Some(file_source(&path, 5))
    );
    assert_eq!(
        config.provenance("database.hosts"),
        Some(file_source(&path, 6))
    );
    assert_eq!(
        config.provenance("database.pool.size"),
        Some(file_source(&path, 8))
    );
    assert_eq!(
        config.get("database.hosts"),
        Some(Value::List(vec!["a".into(), "b".into()]))
    );
}

#[cfg(unix)]
#[test]
fn config_builder_file_writable_by_anyone_is_warned_of_ugly() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = ConfigDir::new();
    let path = dir.write("workbench.toml", "workers = 4\n");
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let build = || {
        Config::builder()
            .file(&path)
            .logger(log.clone())
            .build()
            .unwrap()
    };
    // 0644: nothing to say.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    build();
    assert_eq!(sink.contents(), "");
    // 0666: read all the same, and said at build and at each reload.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let config = build();
    config.reload().unwrap();
    assert_eq!(config.int("workers").unwrap(), 4);
    let warned = sink.lines();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(warned[0].contains("writable by any user"), "{warned:?}");
}

#[test]
fn config_builder_file_relative_path_is_resolved_once_ugly() {
    // Resolved against the working directory when given, so a reload after the process
    // changed directory reads the same file; the error names the resolved path.
    let expected = std::env::current_dir()
        .unwrap()
        .join("absent-workbench.toml");
    let err = Config::builder()
        .file("absent-workbench.toml")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(
        err.message().contains(&expected.display().to_string()),
        "{err}"
    );
}

#[test]
fn config_builder_file_larger_than_16_mib_is_refused_ugly() {
    // A path given by mistake (a log, an image): refused, not read into memory whole.
    let dir = ConfigDir::new();
    let path = dir.write("workbench.toml", &"# padding\n".repeat(1_700_000));
    let err = Config::builder().file(&path).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("larger than 16 MiB"), "{err}");
}

#[cfg(unix)]
#[test]
fn config_builder_file_that_is_a_named_pipe_is_refused_ugly() {
    // Opening a FIFO waits for a writer: the start would hang there, and so would an
    // optional file's (it exists).
    let dir = ConfigDir::new();
    let path = dir.path().join("workbench.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let read = path.clone();
    std::thread::spawn(move || {
        let required = Config::builder().file(&read).build().map(drop);
        let optional = Config::builder().optional_file(&read).build().map(drop);
        let _ = tx.send((required, optional));
    });
    let Ok((required, optional)) = rx.recv_timeout(std::time::Duration::from_secs(10)) else {
        // Let the blocked open go before failing.
        drop(std::fs::OpenOptions::new().write(true).open(&path));
        panic!("reading the config blocked on the named pipe");
    };
    for err in [required.unwrap_err(), optional.unwrap_err()] {
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
        assert!(
            err.to_string().contains("a named pipe, not a file"),
            "{err}"
        );
    }
}

#[test]
fn config_builder_file_missing_required_bad() {
    let dir = ConfigDir::new();
    let err = Config::builder()
        .file(dir.path().join("absent.toml"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(err.message().contains("absent.toml"), "{err}");
}

#[test]
fn config_builder_file_malformed_toml_names_path_line_and_column_bad() {
    let dir = ConfigDir::new();
    let path = dir.write("broken.toml", "workers = 4\n[database]\nport = = 5432\n");
    let err = Config::builder().file(&path).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    let location = format!("{}:3:", path.display());
    assert!(err.message().starts_with(&location), "{err}");
    insta::assert_snapshot!(
        err.message().replace(&path.display().to_string(), "<dir>/broken.toml"),
        @"<dir>/broken.toml:3:8: extra `=`, expected nothing"
    );
}

#[test]
fn config_builder_file_toml_top_level_name_that_is_no_config_key_names_its_place_bad() {
    let dir = ConfigDir::new();
    // Quoted, "db.lan" is one name: read as `db.lan` it would nest silently.
    let path = dir.write("app.toml", "pool = 4\n\"db.lan\" = 5432\n");
    let err = Config::builder().file(&path).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    let message = err.message();
    assert!(message.contains("app.toml:2:1:"), "{message}");
    assert!(
        message.contains("\"db.lan\" cannot be a config key"),
        "{message}"
    );
}

#[test]
fn config_builder_file_toml_table_of_data_names_is_one_value_good() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Upstream {
        port: u16,
    }
    let dir = ConfigDir::new();
    let path = dir.write(
        "app.toml",
        "pool = 4\n[upstreams.\"db.lan\"]\nport = 5432\n[upstreams.\"cache.lan\"]\nport = 6379\n\
         [routes]\n\"/api\" = \"backend\"\n\"/health\" = \"probe\"\n",
    );
    let config = Config::builder().file(&path).build().unwrap();
    // Hosts and routes are data, not keys: each table is one value.
    assert_eq!(config.keys(), ["pool", "routes", "upstreams"]);
    let upstreams: std::collections::HashMap<String, Upstream> =
        config.extract("upstreams").unwrap();
    assert_eq!(upstreams["db.lan"], Upstream { port: 5432 });
    assert_eq!(upstreams["cache.lan"], Upstream { port: 6379 });
    let routes: std::collections::BTreeMap<String, String> = config.extract("routes").unwrap();
    assert_eq!(routes["/api"], "backend");
    assert_eq!(
        config.provenance("routes").unwrap().to_string(),
        format!("file {}:6", path.display())
    );
}

#[test]
fn config_builder_file_table_the_defaults_declare_is_no_table_of_data_bad() {
    let dir = ConfigDir::new();
    // A mistyped name in an ordinary section: a mistake, not a map of data that would
    // hide `database.port` from every read.
    let path = dir.write("app.toml", "[database]\nport = 5432\n\"pool.size\" = 10\n");
    let builder = || {
        Config::builder()
            .default_value("database.port", 5432)
            .file(&path)
    };
    let err = builder().build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    let message = err.message();
    assert!(message.contains("app.toml:1:"), "{message}");
    assert!(
        message.contains("\"pool.size\" cannot be a config key"),
        "{message}"
    );
    // A reload of the same mistake fails too, keeping what was read before.
    std::fs::write(&path, "[database]\nport = 6543\n").unwrap();
    let config = builder().build().unwrap();
    std::fs::write(&path, "[database]\nport = 7654\n\"pool.size\" = 10\n").unwrap();
    assert!(config.reload().is_err());
    assert_eq!(config.int("database.port").unwrap(), 6543);
}

#[test]
fn config_builder_file_table_of_data_is_replaced_whole_by_a_stronger_layer_ugly() {
    let dir = ConfigDir::new();
    let path = dir.write("app.toml", "[routes]\n\"/api\" = \"backend\"\n");
    let config = Config::builder()
        .default_value("routes./metrics", "exporter")
        .file(&path)
        .build();
    // A default cannot name a route: its key is no config key.
    assert!(config.is_err());
    let config = Config::builder()
        .default_value(
            "routes",
            Value::Map([("/metrics".to_owned(), Value::from("exporter"))].into()),
        )
        .file(&path)
        .build()
        .unwrap();
    let routes: std::collections::BTreeMap<String, String> = config.extract("routes").unwrap();
    assert_eq!(routes.keys().collect::<Vec<_>>(), ["/api"]);
    #[cfg(feature = "json")]
    {
        let json = dir.write("app.json", r#"{"routes": {"/api": "backend"}, "pool": 4}"#);
        let config = Config::builder().file(&json).build().unwrap();
        assert_eq!(config.keys(), ["pool", "routes"]);
        let bad = dir.write("bad.json", r#"{"db.lan": 1}"#);
        assert!(Config::builder().file(&bad).build().is_err());
    }
}

#[test]
fn config_builder_file_toml_dotted_keys_nest_ugly() {
    // Unquoted dots are TOML's own nesting, and a config key's.
    let dir = ConfigDir::new();
    let path = dir.write(
        "app.toml",
        "hosts.db.port = 5432\n[cache]\n\"ttl-s\" = 30\n",
    );
    let config = Config::builder().file(&path).build().unwrap();
    assert_eq!(config.keys(), ["cache.ttl-s", "hosts.db.port"]);
}

#[test]
fn config_builder_file_json_and_yaml_good() {
    let dir = ConfigDir::new();
    let json = dir.write("base.json", r#"{"database": {"port": 5432, "tls": true}}"#);
    let yaml = dir.write("override.yaml", "database:\n  port: 6543\nregion: eu\n");
    let config = Config::builder().file(&json).file(&yaml).build().unwrap();
    assert_eq!(config.int("database.port").unwrap(), 6543);
    assert!(config.bool("database.tls").unwrap());
    assert_eq!(
        config.provenance("database.tls"),
        Some(Source::File {
            path: json,
            line: None
        })
    );
    assert_eq!(config.string("region").unwrap(), "eu");
}

#[test]
fn config_builder_file_malformed_json_and_yaml_give_line_and_column_bad() {
    let dir = ConfigDir::new();
    let json = dir.write("bad.json", "{\n  \"port\": 5432,\n  oops\n}");
    let err = Config::builder().file(&json).build().unwrap_err();
    assert!(
        err.message().starts_with(&format!("{}:3:", json.display())),
        "{err}"
    );
    let yaml = dir.write("bad.yaml", "database:\n  port: [1, 2\n");
    let err = Config::builder().file(&yaml).build().unwrap_err();
    assert!(
        err.message().starts_with(&format!("{}:", yaml.display())),
        "{err}"
    );
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn config_builder_file_unsupported_format_and_non_map_documents_ugly() {
    let dir = ConfigDir::new();
    let ini = dir.write("app.ini", "[database]\nport=5432\n");
    let err = Config::builder().file(&ini).build().unwrap_err();
    assert!(
        err.message().contains("unsupported format \"ini\""),
        "{err}"
    );
    let list = dir.write("list.json", "[1, 2, 3]");
    let err = Config::builder().file(&list).build().unwrap_err();
    assert!(err.message().contains("must be a map"), "{err}");
    let inf = dir.write("inf.toml", "ratio = inf\n");
    let err = Config::builder().file(&inf).build().unwrap_err();
    assert!(err.message().contains("finite"), "{err}");
    let empty = dir.write("empty.toml", "");
    assert!(
        Config::builder()
            .file(&empty)
            .build()
            .unwrap()
            .keys()
            .is_empty()
    );
}

// ---------------------------------------------------------------- ConfigBuilder::optional_file

#[test]
fn config_builder_optional_file_present_is_read_good() {
    let dir = ConfigDir::new();
    let path = dir.write("user.toml", "workers = 3\n");
    let config = Config::builder().optional_file(&path).build().unwrap();
    assert_eq!(config.int("workers").unwrap(), 3);
}

#[test]
fn config_builder_optional_file_malformed_still_fails_bad() {
    let dir = ConfigDir::new();
    let path = dir.write("user.toml", "workers = \n");
    let err = Config::builder().optional_file(&path).build().unwrap_err();
    assert!(
        err.message().starts_with(&format!("{}:1:", path.display())),
        "{err}"
    );
}

#[test]
fn config_builder_optional_file_that_is_a_directory_ugly() {
    let dir = ConfigDir::new();
    let err = Config::builder()
        .optional_file(dir.path())
        .build()
        .unwrap_err();
    // The I/O error's own code, and the error itself as the cause (it was cut to text,
    // coded INTERNAL: a bug, which a directory in the way is not).
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{err}");
    let io = err.root().downcast_ref::<std::io::Error>().unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::IsADirectory);
}

// ---------------------------------------------------------------- ConfigBuilder::env_prefix

#[test]
fn config_builder_env_vars_bare_list_reads_as_a_list_good() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_CLUSTER__HOSTS", "[homelab, studio]"),
            ("APP_CLUSTER__PORTS", "[8080,8443]"),
            ("APP_CLUSTER__MIXED", " [ eu-west , 3, true ] "),
        ])
        .build()
        .unwrap();
    let hosts: Vec<String> = config.get_as("cluster.hosts").unwrap();
    assert_eq!(hosts, ["homelab", "studio"]);
    let ports: Vec<u16> = config.get_as("cluster.ports").unwrap();
    assert_eq!(ports, [8080, 8443]);
    assert_eq!(
        config.get("cluster.mixed"),
        Some(Value::List(vec![
            Value::from("eu-west"),
            Value::Int(3),
            Value::Bool(true)
        ]))
    );
}

#[test]
fn config_builder_env_vars_bracketed_text_that_is_no_list_stays_text_bad() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_A", "[a,,b]"),
            ("APP_B", "[a, ]"),
            ("APP_C", "[a, \"b]"),
            ("APP_D", "[a, [b]"),
            ("APP_E", "a, b"),
            ("APP_F", "[::1]"),
        ])
        .build()
        .unwrap();
    for (key, raw) in [
        ("a", "[a,,b]"),
        ("b", "[a, ]"),
        ("c", "[a, \"b]"),
        ("d", "[a, [b]"),
        ("e", "a, b"),
        ("f", "[::1]"),
    ] {
        assert_eq!(config.string(key).unwrap(), raw, "{key}");
    }
}

#[test]
fn config_set_from_args_bare_list_reads_as_a_list_ugly() {
    let config = Config::builder().build().unwrap();
    config
        .set_from_args(["--set", "cluster.hosts=[homelab, studio]"])
        .unwrap();
    let hosts: Vec<String> = config.get_as("cluster.hosts").unwrap();
    assert_eq!(hosts, ["homelab", "studio"]);
}

#[test]
fn config_builder_env_prefix_parses_toml_scalars_good() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_DATABASE__PORT", "5432"),
            ("APP_CACHE__ENABLED", "true"),
            ("APP_CACHE__RATIO", "0.75"),
            ("APP_LOG_LEVEL", "debug"),
            ("APP_GREETING", "\"quoted text\""),
            ("APP_HOSTS", "[\"homelab\", \"studio\"]"),
            ("APP_RELEASE", "2026-11-26"),
            ("APP_VERSION", "1.2.3"),
        ])
        .build()
        .unwrap();
    assert_eq!(config.int("database.port").unwrap(), 5432);
    assert!(config.bool("cache.enabled").unwrap());
    assert!((config.float("cache.ratio").unwrap() - 0.75).abs() < f64::EPSILON);
    assert_eq!(config.string("log_level").unwrap(), "debug");
    assert_eq!(config.string("greeting").unwrap(), "quoted text");
    let hosts: Vec<String> = config.get_as("hosts").unwrap();
    assert_eq!(hosts, ["homelab", "studio"]);
    assert_eq!(config.string("release").unwrap(), "2026-11-26");
    assert_eq!(config.string("version").unwrap(), "1.2.3");
    assert_eq!(
        config.provenance("log_level"),
        Some(Source::Env {
            var: "APP_LOG_LEVEL".into()
        })
    );
}

#[test]
fn config_builder_env_prefix_with_its_trailing_underscore_reads_the_same_ugly() {
    for prefix in ["APP", "APP_", "APP__"] {
        let config = Config::builder()
            .env_prefix(prefix)
            .env_vars([("APP_DATABASE__PORT", "6543")])
            .build()
            .unwrap();
        assert_eq!(config.int("database.port").unwrap(), 6543, "{prefix:?}");
    }
}

#[test]
fn config_builder_env_prefix_invalid_bad() {
    // Lower case would read nothing (variables are upper case): refused, not silent.
    for prefix in ["", "_", "APP-1", "APP_ ", "ÄPP", "app", "App", "app_"] {
        let err = Config::builder().env_prefix(prefix).build().unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{prefix:?}");
        // The message quotes the prefix as it was given.
        assert!(err.message().contains(&format!("{prefix:?}")), "{err}");
    }
}

#[test]
fn config_builder_env_prefix_hostile_names_and_values_ugly() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP___PORT", "1"),             // empty segment: skipped
            ("APP_", "2"),                   // no key: skipped
            ("APP_A__", "3"),                // trailing nesting: skipped
            ("APPX_PORT", "4"),              // another prefix
            ("app_port", "5"),               // prefixes are case-sensitive
            ("APP_NAN", "nan"),              // non-finite: stays text
            ("APP_TEXT", "1\nworkers = 99"), // not one TOML value: stays text
            ("APP_EMPTY", ""),
        ])
        .build()
        .unwrap();
    assert_eq!(config.keys(), ["empty", "nan", "text"]);
    assert_eq!(config.string("nan").unwrap(), "nan");
    assert_eq!(config.string("text").unwrap(), "1\nworkers = 99");
    assert_eq!(config.string("empty").unwrap(), "");
}

// ---------------------------------------------------------------- ConfigBuilder::env_vars

#[test]
fn config_builder_env_vars_inline_table_nests_good() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_DATABASE", "{ host = \"db\", port = 5432 }")])
        .build()
        .unwrap();
    assert_eq!(config.keys(), ["database.host", "database.port"]);
    assert_eq!(
        config.provenance("database.port"),
        Some(Source::Env {
            var: "APP_DATABASE".into()
        })
    );
}

#[test]
fn config_builder_env_vars_take_the_spelling_of_known_keys_good() {
    let dir = ConfigDir::new();
    let yaml = dir.write(
        "app.yaml",
        "retryPolicy:\n  maxAttempts: 3\n  backoff-ms: 100\n",
    );
    let config = Config::builder()
        .default_value("database.max-connections", 10)
        .file(&yaml)
        .env_prefix("APP")
        .env_vars([
            ("APP_DATABASE__MAX_CONNECTIONS", "50"),
            ("APP_RETRY_POLICY__MAX_ATTEMPTS", "5"),
            ("APP_RETRYPOLICY__BACKOFF_MS", "250"),
            ("APP_RETRY_POLICY", "{ jitter = true }"),
            ("APP_REGION", "eu"),
        ])
        .build()
        .unwrap();
    assert_eq!(
        config.keys(),
        [
            "database.max-connections",
            "region",
            "retryPolicy.backoff-ms",
            "retryPolicy.jitter",
            "retryPolicy.maxAttempts",
        ]
    );
    assert_eq!(config.int("database.max-connections").unwrap(), 50);
    assert_eq!(
        config.provenance("database.max-connections"),
        Some(Source::Env {
            var: "APP_DATABASE__MAX_CONNECTIONS".into()
        })
    );
    assert_eq!(config.int("retryPolicy.maxAttempts").unwrap(), 5);
    assert_eq!(config.int("retryPolicy.backoff-ms").unwrap(), 250);
}

#[test]
fn config_builder_env_vars_key_spelled_two_ways_keeps_its_own_with_a_warning_bad() {
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let config = Config::builder()
        .default_value("cache.max-size", 1)
        .default_value("cache.maxSize", 2)
        .default_value("cache.ttl_s", 60)
        .env_prefix("APP")
        .env_vars([("APP_CACHE__MAX_SIZE", "3"), ("APP_CACHE__TTL_S", "5")])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.int("cache.max-size").unwrap(), 1);
    assert_eq!(config.int("cache.maxSize").unwrap(), 2);
    assert_eq!(config.int("cache.max_size").unwrap(), 3);
    assert_eq!(config.int("cache.ttl_s").unwrap(), 5);
    let logged = sink.contents();
    assert!(logged.contains("APP_CACHE__MAX_SIZE"), "{logged}");
    assert!(logged.contains("more than one way"), "{logged}");
    assert!(!logged.contains("APP_CACHE__TTL_S"), "{logged}");
}

#[test]
fn config_reload_env_vars_take_the_spelling_of_a_key_a_file_gained_ugly() {
    let dir = ConfigDir::new();
    let toml = dir.write("app.toml", "workers = 2\n");
    let config = Config::builder()
        .file(&toml)
        .env_prefix("APP")
        .env_vars([("APP_HTTP__READ_TIMEOUT", "30")])
        .build()
        .unwrap();
    assert_eq!(config.int("http.read_timeout").unwrap(), 30);
    dir.write("app.toml", "workers = 2\n[http]\nread-timeout = 10\n");
    config.reload().unwrap();
    assert_eq!(config.int("http.read-timeout").unwrap(), 30);
    assert_eq!(config.get("http.read_timeout"), None);
}

#[test]
fn config_builder_file_key_spelled_otherwise_sets_the_defaults_key_good() {
    // The application's defaults say `files_per_char`; the file writes `files-per-char`.
    let dir = ConfigDir::new();
    let toml = dir.write(
        "workbench.toml",
        "[index]\nfiles-per-char = 2\nthreads = 4\n",
    );
    let config = Config::builder()
        .default_value("index.files_per_char", 7)
        .file(&toml)
        .build()
        .unwrap();
    assert_eq!(config.int("index.files_per_char").unwrap(), 2);
    assert_eq!(
        config.provenance("index.files_per_char"),
        Some(file_source(&toml, 2))
    );
    // A key the defaults do not have stays as written.
    assert_eq!(config.keys(), ["index.files_per_char", "index.threads"]);
    // And so on a reload.
    dir.write("workbench.toml", "[index]\nfiles-per-char = 3\n");
    config.reload().unwrap();
    assert_eq!(config.int("index.files_per_char").unwrap(), 3);
}

#[test]
fn config_builder_file_key_written_both_ways_keeps_the_declared_spelling_ugly() {
    let dir = ConfigDir::new();
    let toml = dir.write(
        "workbench.toml",
        "[index]\nfiles-per-char = 2\nfiles_per_char = 5\nFilesPerChar = 9\n",
    );
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let config = Config::builder()
        .default_value("index.files_per_char", 7)
        .file(&toml)
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.int("index.files_per_char").unwrap(), 5);
    assert_eq!(config.keys(), ["index.files_per_char"]);
    // The spellings left out are told, each once.
    let warned = sink.lines();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(
        warned
            .iter()
            .all(|line| line.contains("one key spelled two ways"))
    );
    assert!(
        warned
            .iter()
            .any(|line| line.contains("ignored=FilesPerChar")
                || line.contains("ignored=index.FilesPerChar")),
        "{warned:#?}"
    );
}

#[test]
fn config_set_from_args_takes_the_spelling_of_a_files_key_good() {
    let dir = ConfigDir::new();
    let toml = dir.write("workbench.toml", "[db]\nmax-connections = 5\n");
    let config = Config::builder().file(&toml).build().unwrap();
    config
        .set_from_args(["--set", "db.max_connections=9", "--set", "db.pool=2"])
        .unwrap();
    assert_eq!(config.int("db.max-connections").unwrap(), 9);
    // Also a leaf of a table given whole.
    let again = Config::builder().file(&toml).build().unwrap();
    again
        .set_from_args(["--set", "db={ max_connections = 12 }"])
        .unwrap();
    assert_eq!(again.keys(), ["db.max-connections"]);
    assert_eq!(again.int("db.max-connections").unwrap(), 12);
    assert_eq!(
        config.provenance("db.max-connections").unwrap().to_string(),
        "flag --set db.max_connections"
    );
    assert_eq!(config.keys(), ["db.max-connections", "db.pool"]);
}

#[test]
fn config_builder_env_vars_setting_one_key_are_warned_about_bad() {
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let config = Config::builder()
        .default_value("cache.max-size", 1)
        .env_prefix("APP")
        .env_vars([
            ("APP_CACHE__MAXSIZE", "2"),
            ("APP_CACHE__MAX_SIZE", "3"),
            ("APP_CACHE__TTL", "60"),
        ])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.int("cache.max-size").unwrap(), 3);
    let logged = sink.contents();
    assert!(logged.contains("set the same config key"), "{logged}");
    assert!(logged.contains("APP_CACHE__MAXSIZE"), "{logged}");
    assert!(!logged.contains("APP_CACHE__TTL"), "{logged}");
}

#[test]
fn config_builder_env_vars_secret_names_read_are_audited_good() {
    let (log, read) = common::audit_keys("env.secret_read", "hunter2");
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_DB__PASSWORD", "hunter2"),
            ("APP_WORKERS", "4"),
            ("APP_GITHUB_TOKEN", "ghp_not_a_real_token"),
            ("OTHER_API_KEY", "not read"),
        ])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.string("db.password").unwrap(), "hunter2");
    assert_eq!(read(), ["APP_DB__PASSWORD", "APP_GITHUB_TOKEN"]);
}

#[test]
fn config_builder_env_vars_without_prefix_are_ignored_bad() {
    let config = Config::builder()
        .env_vars([("APP_WORKERS", "8")])
        .build()
        .unwrap();
    assert!(config.keys().is_empty());
}

#[test]
fn config_builder_env_vars_from_the_process_ugly() {
    // Without a fixed list the layer reads the real process environment: a child process
    // gets a variable under a prefix unique to this run (no test here sets variables in
    // its own process).
    let prefix = format!("CORERS_T{}", std::process::id());
    assert!(
        Config::builder()
            .env_prefix(&prefix)
            .build()
            .unwrap()
            .keys()
            .is_empty()
    );
    let not_utf8 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env(format!("{prefix}_PROBE__DEPTH"), "7")
        .env(format!("{prefix}_PROBE__NAME"), not_utf8)
        .env(CHILD, &prefix)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    // A value that is not UTF-8 fails the build, naming it (the setting it was meant to
    // make is not left at its default quietly); a lenient build reads the others.
    assert!(
        stdout.contains(&format!(
            "@@build=config.ConfigBuilder.env_prefix: environment variable \"{prefix}_PROBE__NAME\" is not UTF-8 [INVALID]"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("@@probe.depth=7"), "{stdout}");
    assert!(stdout.contains("@@probe.name=None"), "{stdout}");
}

/// Names the prefix `env_child` reads, in the child process.
const CHILD: &str = "CORERS_CONFIG_ENV_CHILD";

/// Not a test of its own: the child process of
/// `config_builder_env_vars_from_the_process_ugly`.
#[test]
fn env_child() {
    let Ok(prefix) = std::env::var(CHILD) else {
        return;
    };
    let err = Config::builder().env_prefix(&prefix).build().unwrap_err();
    println!("@@build={err}");
    let (config, left_out) = Config::builder().env_prefix(&prefix).build_lenient();
    assert_eq!(left_out.len(), 1);
    println!("@@probe.depth={}", config.int("probe.depth").unwrap());
    println!("@@probe.name={:?}", config.get("probe.name"));
}

// ---------------------------------------------------------------- ConfigBuilder::build

#[test]
fn config_builder_build_empty_good() {
    let config = Config::builder().build().unwrap();
    assert!(config.keys().is_empty());
    assert!(config.dump().to_string().is_empty());
}

#[test]
fn config_builder_build_one_bad_file_fails_whole_build_bad() {
    let dir = ConfigDir::new();
    let good = dir.write("good.toml", "workers = 1\n");
    let bad = dir.write("bad.toml", "workers = [\n");
    let err = Config::builder()
        .file(&good)
        .file(&bad)
        .build()
        .unwrap_err();
    assert!(err.message().contains("bad.toml"), "{err}");
}

#[test]
fn config_builder_build_unicode_and_bom_file_ugly() {
    let dir = ConfigDir::new();
    let path = dir.write(
        "app.toml",
        "\u{feff}greeting = \"héllo — ホーム\"\nbad = [1,\n",
    );
    let err = Config::builder().file(&path).build().unwrap_err();
    assert!(
        err.message().starts_with(&format!("{}:2:", path.display())),
        "{err}"
    );
    let path = dir.write("ok.toml", "greeting = \"héllo — ホーム\"\n");
    let config = Config::builder().file(&path).build().unwrap();
    assert_eq!(config.string("greeting").unwrap(), "héllo — ホーム");
}

/// The defaults of `index` and `cache`, a file of `contents`, logging into the sink
/// returned.
fn declared_with_file(dir: &ConfigDir, contents: &str) -> (Config, corers_log::MemorySink) {
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    let file = dir.write("workbench.toml", contents);
    let config = Config::builder()
        .default_value("index.files_per_char", 7)
        .default_value("cache.ttl_secs", 60)
        .file(&file)
        .logger(log)
        .build()
        .unwrap();
    (config, sink)
}

#[test]
fn config_builder_build_warns_of_a_misspelt_key_from_a_file_bad() {
    // Kept (as any key is), but the declared setting stays at its default: said.
    let dir = ConfigDir::new();
    let (config, sink) = declared_with_file(&dir, "[index]\nfile_per_char = 3\n");
    assert_eq!(config.int("index.files_per_char").unwrap(), 7);
    let warned = sink.lines();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert!(
        warned[0].contains(
            "config key the defaults do not declare, close to one they do: did you mean index.files_per_char? key=index.file_per_char source=\"file "
        ),
        "{}",
        warned[0]
    );
    assert!(warned[0].ends_with("workbench.toml:2\""), "{}", warned[0]);
}

#[test]
fn config_builder_build_keys_of_the_applications_own_pass_quietly_good() {
    // Declared, or far from anything declared: no warning.
    let dir = ConfigDir::new();
    let (config, sink) = declared_with_file(
        &dir,
        "[index]\nfiles_per_char = 3\n[plugins.git]\nenabled = true\n",
    );
    assert_eq!(config.int("index.files_per_char").unwrap(), 3);
    assert_eq!(sink.contents(), "");
}

#[test]
fn config_builder_build_warns_to_the_applications_own_subscriber_ugly() {
    // An application with a subscriber of its own (a JSON pipeline) gets the config's
    // warnings there, not as lines of the config's logger on standard error.
    let dir = ConfigDir::new();
    let own = corers_log::MemorySink::new();
    let subscriber = corers_log::Logger::builder()
        .output(corers_log::Output::Memory(own.clone()))
        .build();
    let (config, sink) = subscriber.in_scope(|| {
        let built = declared_with_file(&dir, "[index]\nfile_per_char = 3\n");
        built.0.set_from_args(["--set", "cache.ttl_sec=5"]).unwrap();
        built
    });
    assert_eq!(config.int("cache.ttl_sec").unwrap(), 5);
    assert_eq!(sink.contents(), "");
    let warned = own.lines();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(
        warned[0].contains("did you mean index.files_per_char?"),
        "{}",
        warned[0]
    );
    assert!(
        warned[1].contains("did you mean cache.ttl_secs?"),
        "{}",
        warned[1]
    );
}

#[test]
fn config_set_from_args_warns_of_a_misspelt_key_once_ugly() {
    // The same arguments are taken twice by a run (for the factories, then the command):
    // each misspelling is said once, the file's at build, the flag's when first given.
    let dir = ConfigDir::new();
    let (config, sink) = declared_with_file(&dir, "[index]\nfile_per_char = 3\n");
    let args = ["--set", "cache.ttl_sec=5", "--set", "cache.ttl_secs=9"];
    config.set_from_args(args).unwrap();
    config.set_from_args(args).unwrap();
    assert_eq!(config.int("cache.ttl_secs").unwrap(), 9);
    let warned = sink.lines();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(
        warned[0].contains("key=index.file_per_char"),
        "{}",
        warned[0]
    );
    assert!(
        warned[1].contains(
            "did you mean cache.ttl_secs? key=cache.ttl_sec source=\"flag --set cache.ttl_sec\""
        ),
        "{}",
        warned[1]
    );
}

// ---------------------------------------------------------------- ConfigBuilder::build_lenient

#[test]
fn config_builder_build_lenient_leaves_out_the_bad_file_good() {
    let dir = ConfigDir::new();
    let good = dir.write("good.toml", "workers = 8\n");
    let bad = dir.write("bad.toml", "[database\nport = 6543\n");
    let (config, left_out) = Config::builder()
        .defaults(&defaults())
        .file(&good)
        .file(&bad)
        .build_lenient();
    assert_eq!(config.int("workers").unwrap(), 8);
    assert_eq!(config.int("database.port").unwrap(), 5432);
    assert_eq!(left_out.len(), 1);
    assert_eq!(left_out[0].code(), Some(&ErrorCode::INVALID));
    assert!(
        left_out[0].message().contains("bad.toml"),
        "{}",
        left_out[0]
    );
    // Left out, not forgotten: a reload fails while it does not read, and reads it once
    // it is mended, in its place after good.toml.
    assert!(config.reload().is_err());
    dir.write("bad.toml", "workers = 2\n[database]\nport = 6543\n");
    config.reload().unwrap();
    assert_eq!(config.int("workers").unwrap(), 2);
    assert_eq!(config.int("database.port").unwrap(), 6543);
}

#[test]
fn config_builder_build_lenient_missing_required_file_is_reported_bad() {
    let dir = ConfigDir::new();
    let (config, left_out) = Config::builder()
        .default_value("workers", 4)
        .file(dir.path().join("absent.toml"))
        .env_prefix("APP")
        .env_vars([("APP_WORKERS", "6")])
        .build_lenient();
    // The sources after the missing file are still read.
    assert_eq!(config.int("workers").unwrap(), 6);
    assert_eq!(left_out.len(), 1);
    assert_eq!(left_out[0].code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn config_builder_build_lenient_bad_default_and_prefix_ugly() {
    let (config, left_out) = Config::builder()
        .default_value("", 1)
        .default_value("workers", 4)
        .env_prefix("app")
        .env_vars([("app_WORKERS", "6"), ("APP_WORKERS", "7")])
        .build_lenient();
    // No variable is read under a prefix that was refused.
    assert_eq!(config.int("workers").unwrap(), 4);
    let codes: Vec<_> = left_out.iter().map(|e| e.code().cloned()).collect();
    assert_eq!(codes, [Some(ErrorCode::INVALID), Some(ErrorCode::INVALID)]);
    assert!(
        left_out[1].message().contains("environment prefix"),
        "{}",
        left_out[1]
    );
    // Nothing broken: nothing left out, the same config as build's.
    let (config, left_out) = Config::builder()
        .default_value("workers", 4)
        .build_lenient();
    assert!(left_out.is_empty());
    assert_eq!(config.keys(), ["workers"]);
}

// ---------------------------------------------------------------- Config::new / builder

#[test]
fn config_new_is_empty_good() {
    assert!(Config::new().keys().is_empty());
    assert!(Config::default().keys().is_empty());
}

#[test]
fn config_new_reads_no_environment_bad() {
    // Config::new has no env prefix: even a PATH-like variable never appears.
    assert_eq!(Config::new().get("path"), None);
}

#[test]
fn config_new_clones_share_everything_ugly() {
    let config = Config::new();
    let clone = config.clone();
    clone.set("workers", 4).unwrap();
    assert_eq!(config.int("workers").unwrap(), 4);
    assert!(format!("{config:?}").contains("keys: 1"));
}

#[test]
fn config_builder_starts_empty_good() {
    assert!(Config::builder().build().unwrap().keys().is_empty());
}

#[test]
fn config_builder_debug_shows_the_sources_bad() {
    let builder = Config::builder()
        .file("/etc/workbench.toml")
        .env_prefix("APP");
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("/etc/workbench.toml") && shown.contains("APP"),
        "{shown}"
    );
}

#[test]
fn config_builder_reused_sources_in_any_order_ugly() {
    // Defaults given twice: the later one wins, as with files.
    let config = Config::builder()
        .default_value("workers", 1)
        .defaults(&defaults())
        .default_value("workers", 2)
        .build()
        .unwrap();
    assert_eq!(config.int("workers").unwrap(), 2);
}

// ---------------------------------------------------------------- Source::layer

#[test]
fn source_layer_orders_weakest_first_good() {
    let sources = [
        Source::Runtime,
        Source::Flag {
            name: "workers".into(),
        },
        Source::Env {
            var: "APP_WORKERS".into(),
        },
        Source::File {
            path: "/etc/app.toml".into(),
            line: Some(1),
        },
        Source::Default,
    ];
    let mut layers: Vec<Layer> = sources.iter().map(Source::layer).collect();
    layers.sort();
    assert_eq!(
        layers,
        [
            Layer::Default,
            Layer::File,
            Layer::Env,
            Layer::Flag,
            Layer::Runtime
        ]
    );
}

#[test]
fn source_layer_display_of_a_file_without_line_bad() {
    let source = Source::File {
        path: "/etc/app.json".into(),
        line: None,
    };
    assert_eq!(source.layer(), Layer::File);
    assert_eq!(source.to_string(), "file /etc/app.json");
}

#[test]
fn source_layer_display_of_every_source_ugly() {
    let shown: Vec<String> = [
        Source::Default,
        Source::File {
            path: "/etc/app.toml".into(),
            line: Some(12),
        },
        Source::Env {
            var: "APP_DATABASE__PORT".into(),
        },
        Source::Flag {
            name: "database.port".into(),
        },
        Source::Runtime,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    insta::assert_snapshot!(shown.join("\n"), @r"
    default
    file /etc/app.toml:12
    env APP_DATABASE__PORT
    flag --database.port
    set at runtime
    ");
}

#[test]
fn config_builder_debug_never_shows_values_ugly() {
    let builder = Config::builder()
        .default_value("database.password", "hunter2")
        .env_prefix("APP")
        .env_vars([("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")]);
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("database.password") && shown.contains("AWS_SECRET_ACCESS_KEY"),
        "{shown}"
    );
    assert!(
        !shown.contains("hunter2") && !shown.contains("wJalrXUtnFEMI"),
        "{shown}"
    );
}

#[test]
fn config_builder_env_vars_keep_text_toml_would_rewrite_ugly() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_VERSION", "1.10"),
            ("APP_MASK", "0x10"),
            ("APP_BIG", "1_000"),
            ("APP_WHEN", "1979-05-27 07:32:00"),
            ("APP_PLUS", "+5"),
            ("APP_RATIO", "2.0"),
            ("APP_NEGATIVE", "-3"),
        ])
        .build()
        .unwrap();
    for (key, text) in [
        ("version", "1.10"),
        ("mask", "0x10"),
        ("big", "1_000"),
        ("when", "1979-05-27 07:32:00"),
        ("plus", "+5"),
    ] {
        assert_eq!(config.string(key).unwrap(), text, "{key}");
    }
    assert!((config.float("ratio").unwrap() - 2.0).abs() < f64::EPSILON);
    assert_eq!(config.int("negative").unwrap(), -3);
}

#[test]
fn config_builder_env_vars_number_with_a_fraction_fills_text_and_float_fields_good() {
    #[derive(serde::Deserialize)]
    struct Python {
        version: String,
        ratio: f64,
        share: f32,
    }
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_PYTHON__VERSION", "3.10"),
            ("APP_PYTHON__RATIO", "0.50"),
            ("APP_PYTHON__SHARE", "2.5"),
            ("APP_NODE__VERSION", "3.12"),
        ])
        .build()
        .unwrap();
    let python: Python = config.extract("python").unwrap();
    assert_eq!(python.version, "3.10");
    assert!((python.ratio - 0.5).abs() < f64::EPSILON);
    assert!((python.share - 2.5).abs() < f32::EPSILON);
    assert_eq!(config.get_as::<String>("node.version").unwrap(), "3.12");
    assert_eq!(config.string("node.version").unwrap(), "3.12");
    assert!((config.float("node.version").unwrap() - 3.12).abs() < f64::EPSILON);
    // Inside a TOML list a float is TOML's: it fills a float, not a text field.
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_WEIGHTS", "[0.25, 0.75]")])
        .build()
        .unwrap();
    assert_eq!(config.get_as::<Vec<f64>>("weights").unwrap(), [0.25, 0.75]);
}

#[test]
fn config_builder_file_json_errors_name_the_place_once_and_yaml_refuses_inf_bad() {
    let dir = ConfigDir::new();
    let json = dir.write("bad.json", "{\n  \"port\": 5432,\n  oops\n}");
    let err = Config::builder().file(&json).build().unwrap_err();
    assert!(!err.message().contains(" at line "), "{err}");
    let yaml = dir.write("inf.yaml", "ratio: .inf\n");
    let err = Config::builder().file(&yaml).build().unwrap_err();
    assert!(err.message().contains("finite"), "{err}");
}

#[test]
fn config_builder_file_yaml_empty_section_and_null_leave_weaker_values_good() {
    let dir = ConfigDir::new();
    // Every key of a section commented out: `database:` holds null, as TOML's empty
    // `[database]` holds nothing; neither wipes the defaults under it.
    let yaml = dir.write(
        "app.yaml",
        "database:\n  # host: db.lan\n  # port: 6543\nworkers: null\nregion: eu\n",
    );
    let config = Config::builder()
        .defaults(&defaults())
        .file(&yaml)
        .build()
        .unwrap();
    assert_eq!(config.string("database.host").unwrap(), "localhost");
    assert_eq!(config.int("database.port").unwrap(), 5432);
    assert_eq!(config.int("workers").unwrap(), 4);
    assert_eq!(config.string("region").unwrap(), "eu");
    let json = dir.write("app.json", r#"{"database": {"port": null}, "workers": 8}"#);
    let config = Config::builder()
        .defaults(&defaults())
        .file(&json)
        .build()
        .unwrap();
    assert_eq!(config.int("database.port").unwrap(), 5432);
    assert_eq!(config.int("workers").unwrap(), 8);
}

#[test]
fn config_builder_file_json_and_yaml_duplicate_and_dotted_keys_bad() {
    let dir = ConfigDir::new();
    let json = dir.write("dup.json", "{\n  \"port\": 5432,\n  \"port\": 6543\n}");
    let err = Config::builder().file(&json).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().starts_with(&format!("{}:", json.display())),
        "{err}"
    );
    assert!(err.message().contains("duplicate key \"port\""), "{err}");
    let yaml = dir.write("dup.yaml", "database:\n  port: 1\n  port: 2\n");
    let err = Config::builder().file(&yaml).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("duplicate"), "{err}");
    // "database.port" as one name would collide with database: {port}; TOML refuses a
    // quoted dotted key too.
    let dotted = dir.write(
        "dotted.json",
        r#"{"database.port": 5, "database": {"port": 6}}"#,
    );
    let err = Config::builder().file(&dotted).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("\"database.port\""), "{err}");
}

#[test]
fn config_builder_file_yaml_comments_only_and_json_null_are_empty_ugly() {
    let dir = ConfigDir::new();
    for (name, text) in [
        (
            "template.yaml",
            "# every setting is commented out\n# workers: 8\n",
        ),
        ("blank.yml", ""),
        ("null.json", "null"),
    ] {
        let file = dir.write(name, text);
        let config = Config::builder()
            .defaults(&defaults())
            .file(&file)
            .build()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(config.int("workers").unwrap(), 4, "{name}");
    }
}

// ---------------------------------------------------------------- ConfigBuilder::env_overlay

#[test]
fn config_builder_env_overlay_sets_and_removes_variables_good() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_WORKERS", "8"), ("APP_DEBUG", "true")])
        .env_overlay([("APP_WORKERS", Some("2")), ("APP_DEBUG", None)])
        .env_overlay([("APP_CACHE__TTL", Some("60"))])
        .build()
        .unwrap();
    assert_eq!(config.keys(), ["cache.ttl", "workers"]);
    assert_eq!(config.int("workers").unwrap(), 2);
    assert_eq!(
        config.provenance("workers"),
        Some(Source::Env {
            var: "APP_WORKERS".into()
        })
    );
}

#[test]
fn config_builder_env_overlay_outside_the_prefix_is_not_read_bad() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars(Vec::<(String, String)>::new())
        .env_overlay([("OTHER_WORKERS", Some("2")), ("APPWORKERS", Some("3"))])
        .build()
        .unwrap();
    assert!(config.keys().is_empty());
}

#[test]
fn config_builder_env_overlay_kept_across_reloads_last_given_wins_ugly() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_WORKERS", "8")])
        .env_overlay([("APP_WORKERS", None::<&str>)])
        .env_overlay([("APP_WORKERS", Some("4"))])
        .build()
        .unwrap();
    assert_eq!(config.int("workers").unwrap(), 4);
    config.reload().unwrap();
    assert_eq!(config.int("workers").unwrap(), 4);
}

// ---------------------------------------------------------------- ConfigBuilder::logger

/// A logger writing into a sink the test can read, at `level`.
fn sink_logger(level: corers_log::Level) -> (corers_log::Logger, corers_log::MemorySink) {
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(level)
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    (log, sink)
}

#[test]
fn config_builder_logger_gets_ignored_variables_good() {
    let (log, sink) = sink_logger(corers_log::Level::Info);
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP___PORT", "6543"), ("APP_WORKERS", "4")])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.int("workers").unwrap(), 4);
    let logged = sink.contents();
    assert!(logged.contains("environment variable ignored"), "{logged}");
    assert!(logged.contains("APP___PORT"), "{logged}");
}

#[test]
fn config_builder_logger_gets_a_bound_value_that_no_longer_fits_bad() {
    let (log, sink) = sink_logger(corers_log::Level::Info);
    let config = Config::builder()
        .default_value("workers", 4)
        .logger(log)
        .build()
        .unwrap();
    let workers = config.bind::<u32>("workers").unwrap();
    config.set("workers", "many").unwrap();
    assert_eq!(workers.get(), 4, "the bound value is kept");
    assert!(
        sink.contents().contains("bound config value kept"),
        "{}",
        sink.contents()
    );
}

#[test]
fn config_builder_logger_gets_a_variable_nesting_with_one_underscore_good() {
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let config = Config::builder()
        .default_value("index.files-per-char", 7)
        .env_prefix("APP")
        .env_vars([("APP_INDEX_FILES_PER_CHAR", "3")])
        .logger(log)
        .build()
        .unwrap();
    // Read as the key it names, and said: the default stays in force.
    assert_eq!(config.int("index.files-per-char").unwrap(), 7);
    let warned = sink.contents();
    assert!(
        warned.contains("did you mean APP_INDEX__FILES_PER_CHAR?")
            && warned.contains("meant=index.files-per-char"),
        "{warned}"
    );
}

#[test]
fn config_builder_logger_no_warning_for_a_key_of_the_environment_alone_bad() {
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    Config::builder()
        .default_value("index.files_per_char", 7)
        .env_prefix("APP")
        .env_vars([
            ("APP_INDEX__DEPTH", "3"),
            ("APP_REGION", "eu-west"),
            ("APP_INDEX__FILES_PER_CHAR", "3"),
        ])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(sink.contents(), "");
}

#[test]
fn config_builder_logger_level_filters_its_warnings_ugly() {
    let (log, sink) = sink_logger(corers_log::Level::Error);
    Config::builder()
        .env_prefix("APP")
        .env_vars([("APP___PORT", "6543")])
        .logger(log)
        .build()
        .unwrap();
    assert!(sink.contents().is_empty(), "{}", sink.contents());
}

#[test]
fn config_builder_env_vars_prefix_spelled_two_ways_settled_by_the_key_warns_nothing_ugly() {
    // `my-app` and `myApp` are two spellings of one section, but only `my-app` has a
    // `port`: the variable sets that, and there is nothing to warn about.
    let (log, sink) = sink_logger(corers_log::Level::Warn);
    let config = Config::builder()
        .default_value("my-app.port", 80)
        .default_value("myApp.host", "localhost")
        .env_prefix("APP")
        .env_vars([("APP_MY_APP__PORT", "8080")])
        .logger(log)
        .build()
        .unwrap();
    assert_eq!(config.int("my-app.port").unwrap(), 8080);
    let logged = sink.contents();
    assert!(!logged.contains("more than one way"), "{logged}");
}
