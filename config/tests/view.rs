//! `ConfigView`: every getter reads one snapshot held still, with the config's own rules.

use corers_config::{Config, ConfigView, Source};
use corers_primitives::{ErrorCode, Value, options};

/// A config with a default, an env value and a runtime value.
fn config() -> Config {
    let config = Config::builder()
        .default_value("database.port", 5432)
        .env_prefix("APP")
        .env_vars([("APP_DATABASE__HOST", "db.homelab")])
        .build()
        .unwrap();
    config.set("cache.ratio", 0.5).unwrap();
    config.set("cache.enabled", true).unwrap();
    config.enable("metrics").unwrap();
    config
}

/// A view taken before `config` is rewritten: every later read must ignore the rewrite.
fn stale_view(config: &Config) -> ConfigView {
    let view = config.view();
    config.set("database", "postgres://db/app").unwrap();
    config.set("cache.ratio", 0.9).unwrap();
    config.set("cache.enabled", false).unwrap();
    config.disable("metrics").unwrap();
    config.enable("beta-ui").unwrap();
    view
}

// ---------------------------------------------------------------- Config::view

#[test]
fn config_view_holds_the_moment_it_was_taken_good() {
    let config = config();
    let view = stale_view(&config);
    assert_eq!(view.int("database.port").unwrap(), 5432);
    assert_eq!(config.string("database").unwrap(), "postgres://db/app");
}

#[test]
fn config_view_of_an_empty_config_bad() {
    let view = Config::new().view();
    assert!(view.keys().is_empty());
    assert_eq!(view.get(""), None);
}

#[test]
fn config_view_outlives_the_config_and_clones_agree_ugly() {
    let config = config();
    let view = config.view();
    let clone = view.clone();
    drop(config);
    assert_eq!(clone.keys(), view.keys());
    assert!(format!("{view:?}").contains("keys: 5"), "{view:?}");
}

// ---------------------------------------------------------------- ConfigView::get

#[test]
fn config_view_get_table_good() {
    assert_eq!(
        config().view().get("database"),
        Some(options! { "host" => "db.homelab", "port" => 5432 }.into_value())
    );
}

#[test]
fn config_view_get_missing_bad() {
    assert_eq!(config().view().get("queue"), None);
}

#[test]
fn config_view_get_after_a_rewrite_ugly() {
    let config = config();
    assert_eq!(
        stale_view(&config).get("database.port"),
        Some(Value::Int(5432))
    );
}

// ---------------------------------------------------------------- ConfigView::string

#[test]
fn config_view_string_good() {
    assert_eq!(
        config().view().string("database.host").unwrap(),
        "db.homelab"
    );
}

#[test]
fn config_view_string_wrong_type_names_the_view_bad() {
    let err = config().view().string("database.port").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "config.ConfigView.string");
}

#[test]
fn config_view_string_after_a_rewrite_ugly() {
    let config = config();
    let err = stale_view(&config).string("database").unwrap_err();
    assert!(err.message().contains("is a table"), "{err}");
}

// ---------------------------------------------------------------- ConfigView::path

#[test]
fn config_view_path_good() {
    // From the environment: as written.
    assert_eq!(
        config().view().path("database.host").unwrap(),
        std::path::Path::new("db.homelab")
    );
}

#[test]
fn config_view_path_of_a_number_names_the_view_bad() {
    let err = config().view().path("database.port").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "config.ConfigView.path");
}

#[test]
fn config_view_path_after_a_rewrite_ugly() {
    let config = config();
    let view = stale_view(&config);
    config.set("database.host", "").unwrap();
    assert!(view.path("database.host").is_ok());
    let err = config.view().path("database.host").unwrap_err();
    assert!(err.message().contains("non-empty"), "{err}");
}

// ---------------------------------------------------------------- ConfigView::int

#[test]
fn config_view_int_good() {
    assert_eq!(config().view().int("database.port").unwrap(), 5432);
}

#[test]
fn config_view_int_missing_bad() {
    assert_eq!(
        config().view().int("workers").unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
}

#[test]
fn config_view_int_after_the_key_became_text_ugly() {
    let config = config();
    assert_eq!(stale_view(&config).int("database.port").unwrap(), 5432);
}

// ---------------------------------------------------------------- ConfigView::float

#[test]
fn config_view_float_good() {
    assert!((config().view().float("cache.ratio").unwrap() - 0.5).abs() < f64::EPSILON);
}

#[test]
fn config_view_float_of_text_bad() {
    assert_eq!(
        config().view().float("database.host").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

#[test]
fn config_view_float_after_a_rewrite_ugly() {
    let config = config();
    assert!((stale_view(&config).float("cache.ratio").unwrap() - 0.5).abs() < f64::EPSILON);
}

// ---------------------------------------------------------------- ConfigView::bool

#[test]
fn config_view_bool_good() {
    assert!(config().view().bool("cache.enabled").unwrap());
}

#[test]
fn config_view_bool_of_text_bad() {
    assert_eq!(
        config().view().bool("database.host").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

#[test]
fn config_view_bool_after_a_rewrite_ugly() {
    let config = config();
    assert!(stale_view(&config).bool("cache.enabled").unwrap());
}

// ---------------------------------------------------------------- ConfigView::get_as

#[test]
fn config_view_get_as_good() {
    let port: u16 = config().view().get_as("database.port").unwrap();
    assert_eq!(port, 5432);
}

#[test]
fn config_view_get_as_out_of_range_names_the_view_bad() {
    let err = config().view().get_as::<u8>("database.port").unwrap_err();
    assert_eq!(err.operation(), "config.ConfigView.get_as");
    assert!(err.message().contains("(from default)"), "{err}");
}

#[test]
fn config_view_get_as_after_a_rewrite_ugly() {
    let config = config();
    let port: u16 = stale_view(&config).get_as("database.port").unwrap();
    assert_eq!(port, 5432);
}

// ---------------------------------------------------------------- ConfigView::extract

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Database {
    host: String,
    port: u16,
}

#[test]
fn config_view_extract_good() {
    let db: Database = config().view().extract("database").unwrap();
    assert_eq!((db.host.as_str(), db.port), ("db.homelab", 5432));
}

#[test]
fn config_view_extract_missing_field_bad() {
    let err = config().view().extract::<Database>("cache").unwrap_err();
    assert_eq!(err.operation(), "config.ConfigView.extract");
    assert!(err.message().contains("missing field"), "{err}");
}

#[test]
fn config_view_extract_the_section_a_rewrite_replaced_ugly() {
    let config = config();
    let view = stale_view(&config);
    assert!(config.extract::<Database>("database").is_err());
    assert_eq!(view.extract::<Database>("database").unwrap().port, 5432);
}

// ---------------------------------------------------------------- ConfigView::provenance

#[test]
fn config_view_provenance_good() {
    assert_eq!(
        config().view().provenance("database.host"),
        Some(Source::Env {
            var: "APP_DATABASE__HOST".into()
        })
    );
}

#[test]
fn config_view_provenance_missing_bad() {
    assert_eq!(config().view().provenance("workers"), None);
}

#[test]
fn config_view_provenance_after_a_rewrite_ugly() {
    let config = config();
    assert_eq!(
        stale_view(&config).provenance("database.port"),
        Some(Source::Default)
    );
}

// ---------------------------------------------------------------- ConfigView::keys

#[test]
fn config_view_keys_good() {
    assert_eq!(
        config().view().keys(),
        [
            "cache.enabled",
            "cache.ratio",
            "database.host",
            "database.port",
            "features.metrics"
        ]
    );
}

#[test]
fn config_view_keys_empty_bad() {
    assert!(Config::new().view().keys().is_empty());
}

#[test]
fn config_view_keys_after_a_rewrite_ugly() {
    let config = config();
    let view = stale_view(&config);
    assert_ne!(view.keys(), config.keys());
    assert!(view.keys().contains(&"database.host".to_owned()));
}

// ---------------------------------------------------------------- ConfigView::enabled

#[test]
fn config_view_enabled_good() {
    assert!(config().view().enabled("metrics"));
}

#[test]
fn config_view_enabled_unknown_flag_bad() {
    assert!(!config().view().enabled("beta-ui"));
}

#[test]
fn config_view_enabled_after_a_rewrite_ugly() {
    let config = config();
    let view = stale_view(&config);
    assert!(view.enabled("metrics") && !view.enabled("beta-ui"));
}

// ---------------------------------------------------------------- ConfigView::enabled_features

#[test]
fn config_view_enabled_features_good() {
    assert_eq!(config().view().enabled_features(), ["metrics"]);
}

#[test]
fn config_view_enabled_features_none_bad() {
    assert!(Config::new().view().enabled_features().is_empty());
}

#[test]
fn config_view_enabled_features_after_a_rewrite_ugly() {
    let config = config();
    assert_eq!(stale_view(&config).enabled_features(), ["metrics"]);
    assert_eq!(config.enabled_features(), ["beta-ui"]);
}
