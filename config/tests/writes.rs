//! Writing: runtime `set` / `set_many` / `unset`, the command-line layer, feature flags,
//! the atomicity of multi-key writes under concurrent readers, and the application's
//! checks (`ConfigBuilder::validate`) that every published config passes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use corers_config::{Config, Source};
use corers_primitives::{ErrorCode, Options, Value, options};

use common::ConfigDir;

// ---------------------------------------------------------------- Config::set

#[test]
fn config_set_overrides_every_other_layer_good() {
    let config = Config::builder()
        .default_value("workers", 4)
        .env_prefix("APP")
        .env_vars([("APP_WORKERS", "6")])
        .build()
        .unwrap();
    config.set_flags(&options! { "workers" => 7 }).unwrap();
    config.set("workers", 8).unwrap();
    assert_eq!(config.int("workers").unwrap(), 8);
    assert_eq!(config.provenance("workers"), Some(Source::Runtime));
}

#[test]
fn config_set_malformed_key_changes_nothing_bad() {
    let config = Config::new();
    for key in ["", "a..b", "a.", "has space", "tab\there", "emoji🙂"] {
        let err = config.set(key, 1).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{key:?}");
    }
    assert!(config.keys().is_empty());
}

#[test]
fn config_set_non_finite_numbers_invalid_bad() {
    let config = Config::new();
    let mut sub = config.subscribe("cache");
    let refused = [
        config.set("cache.ratio", f64::NAN),
        config.set("cache.ceiling", f64::INFINITY),
        config.set(
            "cache.weights",
            Value::List(vec![Value::Float(0.5), Value::Float(f64::NEG_INFINITY)]),
        ),
        config.set_flags(&options! { "cache.ratio" => f64::NAN }),
    ];
    for result in refused {
        assert_eq!(result.unwrap_err().code(), Some(&ErrorCode::INVALID));
    }
    config.set("workers", 4).unwrap();
    assert!(config.keys().iter().all(|k| !k.starts_with("cache")));
    assert!(sub.try_changed().is_none());
}

#[test]
fn config_set_key_too_deep_or_too_long_invalid_bad() {
    let config = Config::new();
    let deep = |segments: usize| vec!["a"; segments].join(".");
    config.set(&deep(64), 1).unwrap();
    for key in [deep(65), deep(200_000), "k".repeat(1025)] {
        let err = config.set(&key, 1).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        assert!(err.message().len() < 200, "the key is not repeated whole");
    }
    assert_eq!(config.keys(), [deep(64)]);
}

#[test]
fn config_file_with_a_key_of_a_million_segments_invalid_ugly() {
    let dir = common::ConfigDir::new();
    let key = vec!["a"; 1_000_000].join(".");
    let path = dir.write("deep.toml", &format!("\"{key}\" = 1\n"));
    let err = Config::builder().file(path).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn config_set_table_replaces_the_runtime_subtree_ugly() {
    let config = Config::builder()
        .default_value("database.host", "localhost")
        .build()
        .unwrap();
    config.set("database.port", 5432).unwrap();
    config.set("database.user", "ops").unwrap();
    config
        .set("database", options! { "port" => 6543 }.into_value())
        .unwrap();
    // The runtime layer's old subtree is gone; the default underneath still shows.
    assert_eq!(config.keys(), ["database.host", "database.port"]);
    // A map with a name that is no key is a table of data: one value, not split.
    let data = options! { "ok" => 1, "not ok" => 2 }.into_value();
    config.set("cache", data.clone()).unwrap();
    assert_eq!(config.get("cache"), Some(data));
    assert_eq!(config.get("cache.ok"), None);
    // At the top, such a name is refused whole.
    let bad = options! { "not ok" => 2 }.into_value();
    assert_eq!(
        config.set("", bad).unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

// ---------------------------------------------------------------- Config::set_many

#[test]
fn config_set_many_applies_all_good() {
    let config = Config::new();
    config
        .set_many([
            ("database.host", Value::from("db.homelab")),
            ("database.port", Value::from(5432)),
        ])
        .unwrap();
    assert_eq!(config.keys(), ["database.host", "database.port"]);
}

#[test]
fn config_set_many_one_bad_key_applies_none_bad() {
    let config = Config::new();
    let err = config
        .set_many([
            ("database.host", Value::from("db.homelab")),
            ("database..port", Value::from(5432)),
        ])
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(config.keys().is_empty());
}

#[test]
fn config_set_many_readers_never_see_a_mix_ugly() {
    // A writer keeps setting two keys to the same number in one set_many; readers on other
    // threads must always read the pair equal (a reader reads the whole table at once).
    let config = Config::new();
    config
        .set_many([("pair.left", Value::Int(0)), ("pair.right", Value::Int(0))])
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    // The writer starts once both readers are reading, so each read overlaps writes.
    let started = Arc::new(std::sync::Barrier::new(3));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (config, done) = (config.clone(), Arc::clone(&done));
            let started = Arc::clone(&started);
            thread::spawn(move || {
                let mut reads = 0_u64;
                started.wait();
                while reads == 0 || !done.load(Ordering::Relaxed) {
                    let pair = config.get("pair").unwrap();
                    let map = pair.as_map().unwrap();
                    assert_eq!(map["left"], map["right"], "a torn read: {pair:?}");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    started.wait();
    for n in 1..=2_000_i64 {
        config
            .set_many([("pair.left", Value::Int(n)), ("pair.right", Value::Int(n))])
            .unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    assert_eq!(config.int("pair.left").unwrap(), 2_000);
}

#[test]
fn config_set_many_empty_and_repeated_keys_ugly() {
    let config = Config::new();
    config.set_many(Vec::<(&str, Value)>::new()).unwrap();
    config
        .set_many([("workers", Value::Int(1)), ("workers", Value::Int(2))])
        .unwrap();
    assert_eq!(config.int("workers").unwrap(), 2);
}

// ---------------------------------------------------------------- Config::unset

#[test]
fn config_unset_lets_weaker_layers_show_good() {
    let config = Config::builder()
        .default_value("database.port", 5432)
        .build()
        .unwrap();
    config.set("database.port", 6543).unwrap();
    assert!(config.unset("database").unwrap());
    assert_eq!(config.int("database.port").unwrap(), 5432);
    assert_eq!(config.provenance("database.port"), Some(Source::Default));
}

#[test]
fn config_unset_key_from_another_layer_bad() {
    let config = Config::builder()
        .default_value("workers", 4)
        .build()
        .unwrap();
    assert!(
        !config.unset("workers").unwrap(),
        "defaults are not runtime values"
    );
    assert_eq!(config.int("workers").unwrap(), 4);
}

#[test]
fn config_unset_malformed_key_ugly() {
    let config = Config::new();
    assert_eq!(
        config.unset("..").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

// ---------------------------------------------------------------- Config::set_flags

#[test]
fn config_set_flags_replaces_the_whole_layer_good() {
    let config = Config::new();
    config
        .set_flags(&options! { "workers" => 4, "verbose" => true })
        .unwrap();
    config.set_flags(&options! { "workers" => 5 }).unwrap();
    assert_eq!(config.keys(), ["workers"]);
    assert_eq!(config.int("workers").unwrap(), 5);
}

#[test]
fn config_set_flags_bad_name_changes_nothing_bad() {
    let config = Config::new();
    config.set_flags(&options! { "workers" => 4 }).unwrap();
    let err = config
        .set_flags(&options! { "workers" => 5, "--dry-run" => true })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(config.int("workers").unwrap(), 4);
}

#[test]
fn config_set_flags_empty_clears_and_map_values_nest_ugly() {
    let config = Config::new();
    let mut flags = Options::new();
    flags.set("database", options! { "port" => 6543 }.into_value());
    config.set_flags(&flags).unwrap();
    assert_eq!(
        config.provenance("database.port"),
        Some(Source::Flag {
            name: "database".into()
        })
    );
    config.set_flags(&Options::new()).unwrap();
    assert!(config.keys().is_empty());
}

// ---------------------------------------------------------------- Config::enable

#[test]
fn config_enable_good() {
    let config = Config::new();
    config.enable("beta-ui").unwrap();
    assert!(config.enabled("beta-ui"));
    assert_eq!(config.get("features.beta-ui"), Some(Value::Bool(true)));
}

#[test]
fn config_enable_bad_names_bad() {
    let config = Config::new();
    for name in ["", "beta.ui", "beta ui"] {
        let err = config.enable(name).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
    }
    assert!(config.enabled_features().is_empty());
}

#[test]
fn config_enable_over_a_file_that_disabled_it_ugly() {
    let config = Config::builder()
        .default_value("features.metrics", false)
        .build()
        .unwrap();
    config.enable("metrics").unwrap();
    config.enable("metrics").unwrap();
    assert_eq!(config.enabled_features(), ["metrics"]);
}

// ---------------------------------------------------------------- Config::disable

#[test]
fn config_disable_good() {
    let config = Config::new();
    config.enable("metrics").unwrap();
    config.disable("metrics").unwrap();
    assert!(!config.enabled("metrics"));
    assert_eq!(config.get("features.metrics"), Some(Value::Bool(false)));
}

#[test]
fn config_disable_bad_name_bad() {
    assert_eq!(
        Config::new().disable("a.b").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

#[test]
fn config_disable_never_enabled_stays_listed_as_off_ugly() {
    let config = Config::new();
    config.disable("legacy-api").unwrap();
    assert!(config.enabled_features().is_empty());
    assert_eq!(config.keys(), ["features.legacy-api"]);
}

// ---------------------------------------------------------------- Config::enabled

#[test]
fn config_enabled_from_env_good() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([("APP_FEATURES__METRICS", "true")])
        .build()
        .unwrap();
    assert!(config.enabled("metrics"));
}

#[test]
fn config_enabled_switch_words_are_on_anything_else_off_bad() {
    let config = Config::new();
    // From the command line (or a variable), text says a switch as a shell user writes it.
    config
        .set_from_args([
            "--set",
            "features.metrics=true",
            "--set",
            "features.tracing=1",
            "--set",
            "features.audit=Yes",
            "--set",
            "features.beta=enabled",
            "--set",
            "features.dark=2",
            "--set",
            "features.sync=off",
        ])
        .unwrap();
    // Typed on purpose in code, text is no switch.
    config.set("features.typed", "true").unwrap();
    assert!(config.enabled("metrics"));
    assert!(config.enabled("tracing"));
    assert!(config.enabled("audit"));
    assert!(!config.enabled("beta"));
    assert!(!config.enabled("dark"));
    assert!(!config.enabled("sync"));
    assert!(!config.enabled("typed"));
    assert_eq!(config.enabled_features(), ["audit", "metrics", "tracing"]);
}

#[test]
fn config_enabled_flag_set_to_no_bool_is_warned_about_bad() {
    // `2` or `"enabled"` reads as off; the log says so, at build and at every reload.
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_FEATURES__BETA_UI", "2"),
            ("APP_FEATURES__METRICS", "true"),
        ])
        .logger(log)
        .build()
        .unwrap();
    assert!(!config.enabled("beta-ui"));
    let warned = sink.lines();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert!(
        warned[0].ends_with(
            "WARN  corers_config::config: a feature flag is a switch (true, yes, on, 1 or false, no, off, 0): this one is off key=features.beta_ui source=\"env APP_FEATURES__BETA_UI\" holds=int"
        ),
        "{}",
        warned[0]
    );
    config.reload().unwrap();
    assert_eq!(sink.lines().len(), 2);
}

#[test]
fn config_enabled_case_sensitive_and_garbage_names_ugly() {
    let config = Config::new();
    config.enable("Metrics").unwrap();
    assert!(config.enabled("Metrics"));
    assert!(!config.enabled("metrics"));
    assert!(!config.enabled(""));
    assert!(!config.enabled("..\n"));
}

// ---------------------------------------------------------------- Config::enabled_features

#[test]
fn config_enabled_features_sorted_across_layers_good() {
    let config = Config::builder()
        .default_value("features.zeta", true)
        .env_prefix("APP")
        .env_vars([("APP_FEATURES__ALPHA", "true")])
        .build()
        .unwrap();
    config.enable("mid").unwrap();
    assert_eq!(config.enabled_features(), ["alpha", "mid", "zeta"]);
}

#[test]
fn config_enabled_features_none_bad() {
    assert!(Config::new().enabled_features().is_empty());
}

#[test]
fn config_enabled_features_agrees_with_enabled_bad() {
    let config = Config::builder()
        .env_prefix("APP")
        .env_vars([
            ("APP_FEATURES__BETA_UI", "true"),
            ("APP_FEATURES__DARK_MODE", "true"),
        ])
        .build()
        .unwrap();
    config.disable("beta-ui").unwrap();
    config.enable("dark_mode").unwrap();
    assert!(!config.enabled("beta-ui"));
    assert_eq!(config.enabled_features(), ["dark_mode"]);
}

#[test]
fn config_enabled_features_both_spellings_listed_once_ugly() {
    let config = Config::new();
    config.enable("beta-ui").unwrap();
    config.enable("beta_ui").unwrap();
    assert_eq!(config.enabled_features(), ["beta-ui"]);
}

#[test]
fn config_enabled_features_ignores_lookalike_keys_ugly() {
    let config = Config::new();
    config.set("features-extra.x", true).unwrap();
    config.set("features.group.nested", true).unwrap();
    assert_eq!(config.enabled_features(), ["group.nested"]);
}

// ---------------------------------------------------------------- Config::set_from_args

#[test]
fn config_set_from_args_takes_set_pairs_good() {
    let config = Config::builder()
        .default_value("database.port", 5432)
        .env_prefix("APP")
        .env_vars([("APP_DATABASE__PORT", "6000")])
        .build()
        .unwrap();
    let rest = config
        .set_from_args([
            "workspace",
            "--set",
            "database.port=6543",
            "create",
            "--set=cache.enabled=true",
            "--name=alpha",
            "--",
            "--set",
            "kept=1",
        ])
        .unwrap();
    assert_eq!(
        rest,
        [
            "workspace",
            "create",
            "--name=alpha",
            "--",
            "--set",
            "kept=1"
        ]
    );
    assert_eq!(config.int("database.port").unwrap(), 6543);
    assert!(config.bool("cache.enabled").unwrap());
    assert_eq!(
        config.provenance("database.port"),
        Some(Source::Flag {
            name: "set database.port".into()
        })
    );
    assert_eq!(config.get("kept"), None);
}

#[test]
fn config_set_from_args_malformed_changes_nothing_bad() {
    let config = Config::new();
    config.set_from_args(["--set", "workers=4"]).unwrap();
    for args in [
        vec!["--set"],
        vec!["--set", "workers"],
        vec!["--set", "bad key=1"],
        vec!["--set=..=1"],
    ] {
        let err = config.set_from_args(args.clone()).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{args:?}");
    }
    assert_eq!(config.int("workers").unwrap(), 4);
}

#[test]
fn config_set_from_args_huge_malformed_pair_is_cut_in_the_error_ugly() {
    let config = Config::new();
    let huge = "x".repeat(1 << 20);
    let err = config.set_from_args(["--set", huge.as_str()]).unwrap_err();
    assert!(
        err.message()
            .starts_with(&format!("--set \"{}\"…: use key=value", "x".repeat(64))),
        "{}",
        &err.message()[..200]
    );
    assert!(err.message().len() < 1_000, "{}", err.message().len());
}

#[test]
fn config_set_from_args_without_equals_never_echoes_a_secret_ugly() {
    let config = Config::new();
    for (arg, shown) in [
        ("db.password:hunter2", "db.password:[REDACTED]"),
        ("api_token hunter2", "api_token [REDACTED]"),
        ("db.password\thunter2", "db.password\t[REDACTED]"),
        (
            "db.password\u{3000}hunter2",
            "db.password\u{3000}[REDACTED]",
        ),
        ("db.password:aGVsbG8=", "db.password:[REDACTED]"),
        // Joined some other way: nothing of it is shown.
        ("db.password-hunter2", "[REDACTED]"),
        ("db_password/hunter2", "[REDACTED]"),
        ("workers:4", "workers:4"),
    ] {
        let err = config.set_from_args(["--set", arg]).unwrap_err();
        assert!(err.message().contains(&format!("{shown:?}")), "{err}");
        let shown = err.to_string();
        assert!(
            !shown.contains("hunter2") && !shown.contains("aGVsbG8"),
            "{err}"
        );
    }
}

#[test]
fn config_set_from_args_values_keep_equals_and_replace_the_layer_ugly() {
    let config = Config::new();
    config
        .set_from_args(["--set", "database.url=postgres://db/app?sslmode=require"])
        .unwrap();
    assert_eq!(
        config.string("database.url").unwrap(),
        "postgres://db/app?sslmode=require"
    );
    // Arguments without `--set` leave the layer alone; another `--set` replaces it.
    assert!(
        config
            .set_from_args(Vec::<String>::new())
            .unwrap()
            .is_empty()
    );
    assert!(config.get("database.url").is_some());
    config.set_from_args(["--set", "workers=2"]).unwrap();
    assert_eq!(config.get("database.url"), None);
    assert_eq!(config.int("workers").unwrap(), 2);
    // An empty key or an empty table is refused.
    for pair in ["={workers=8}", "cache={}"] {
        let err = config.set_from_args(["--set", pair]).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{pair}");
    }
}

// ---------------------------------------------------------------- the audit trail

/// A config whose logger is quiet but keeps an audit output, and the keys that output
/// records as written, in order.
fn audited() -> (Config, impl Fn() -> Vec<String>) {
    // A value written must never reach the trail.
    let (log, written) = common::audit_keys("config.written", "db.homelab");
    let config = Config::builder()
        .default_value("workers", 4)
        .logger(log)
        .build()
        .unwrap();
    (config, written)
}

#[test]
fn config_set_many_each_key_audited_good() {
    let (config, written) = audited();
    config.set("workers", 8).unwrap();
    config
        .set_many([
            ("database.host", Value::from("db.homelab")),
            ("database.port", Value::from(6543)),
        ])
        .unwrap();
    assert!(config.unset("workers").unwrap());
    assert_eq!(
        written(),
        ["workers", "database.host", "database.port", "workers"]
    );
}

#[test]
fn config_set_many_refused_write_not_audited_bad() {
    let (config, written) = audited();
    assert!(
        config
            .set_many([("workers", Value::from(8)), ("bad..key", Value::from(1))])
            .is_err()
    );
    assert!(config.set("ratio", f64::NAN).is_err());
    // Nothing to remove: nothing written.
    assert!(!config.unset("database").unwrap());
    assert!(written().is_empty(), "{:?}", written());
}

#[test]
fn config_set_table_audited_by_the_key_written_ugly() {
    let (config, written) = audited();
    config
        .set(
            "database",
            options! { "host" => "db.homelab", "port" => 6543 }.into_value(),
        )
        .unwrap();
    // The same value again is still a write the application made.
    config.set("workers", 4).unwrap();
    assert_eq!(written(), ["database", "workers"]);
}

// ---------------------------------------------------------------- ConfigBuilder::validate

#[derive(Debug, serde::Deserialize)]
struct Index {
    #[allow(dead_code, reason = "only whether it reads is checked")]
    files_per_char: u32,
}

fn checked(dir: &ConfigDir, text: &str) -> (Config, std::path::PathBuf) {
    let path = dir.write("app.toml", text);
    let config = Config::builder()
        .default_value("index.files_per_char", 7)
        .file(&path)
        .validate(|view| view.extract::<Index>("index").map(drop))
        .build()
        .unwrap();
    (config, path)
}

#[test]
fn config_builder_validate_keeps_a_reload_that_does_not_fit_out_good() {
    let dir = ConfigDir::new();
    let (config, path) = checked(&dir, "[index]\nfiles_per_char = 3\n");
    let mut changes = config.subscribe("index");
    std::fs::write(&path, "[index]\nfiles_per_char = \"seven\"\n").unwrap();
    let err = config.reload().unwrap_err();
    assert!(err.to_string().contains("index.files_per_char"), "{err}");
    // What was there stays, and nobody is told of a change.
    assert_eq!(config.int("index.files_per_char").unwrap(), 3);
    assert!(changes.try_changed().is_none());
    // A reload that fits goes through.
    std::fs::write(&path, "[index]\nfiles_per_char = 5\n").unwrap();
    config.reload().unwrap();
    assert_eq!(config.int("index.files_per_char").unwrap(), 5);
    assert!(changes.try_changed().is_some());
}

#[test]
fn config_builder_validate_fails_the_build_of_a_config_that_does_not_fit_bad() {
    let dir = ConfigDir::new();
    let path = dir.write("app.toml", "[index]\nfiles_per_char = -1\n");
    let builder = || {
        Config::builder()
            .file(&path)
            .validate(|view| view.extract::<Index>("index").map(drop))
    };
    let err = builder().build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("index.files_per_char"), "{err}");
    // Lenient: built all the same, the failure left out.
    let (config, left_out) = builder().build_lenient();
    assert_eq!(config.int("index.files_per_char").unwrap(), -1);
    assert_eq!(left_out.len(), 1);
    // And a write that does not fit is refused, leaving the value.
    assert!(config.set("index.files_per_char", "many").is_err());
    assert_eq!(config.int("index.files_per_char").unwrap(), -1);
}

#[test]
fn config_builder_validate_check_that_writes_or_panics_publishes_nothing_ugly() {
    let writer: Arc<std::sync::OnceLock<Config>> = Arc::default();
    let inside = Arc::clone(&writer);
    let config = Config::builder()
        .default_value("workers", 4)
        .validate(move |view| {
            assert!(view.int("workers")? <= 64, "workers past the host's cores");
            if let Some(config) = inside.get() {
                // Writing from a check would wait on the write being checked.
                let refused = config.set("audited", true).unwrap_err();
                assert_eq!(refused.code(), Some(&ErrorCode::CONFLICT));
                let refused = config.reload().unwrap_err();
                assert_eq!(refused.code(), Some(&ErrorCode::CONFLICT));
            }
            Ok(())
        })
        .build()
        .unwrap();
    writer.set(config.clone()).unwrap();
    config.set("workers", 8).unwrap();
    assert_eq!(config.get("audited"), None);
    let err = config.set("workers", 128).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert!(
        err.to_string().contains("workers past the host's cores"),
        "{err}"
    );
    assert_eq!(config.int("workers").unwrap(), 8);
}
