//! The effective config for people and tools: `Config::dump`, its `Display` and
//! `Dump::to_json`, with secrets redacted.

mod common;

use common::ConfigDir;
use corers_config::Config;
use corers_primitives::{Value, options};

/// A config with a value from every layer, two of them secret-looking.
fn workbench(dir: &ConfigDir) -> Config {
    let file = dir.write(
        "workbench.toml",
        "[database]\nhost = \"db.homelab\"\npassword = \"hunter2\"\n",
    );
    let config = Config::builder()
        .default_value("workers", 4)
        .file(file)
        .env_prefix("APP")
        .env_vars([("APP_GITHUB_TOKEN", "ghp_live_123"), ("APP_REGION", "eu")])
        .build()
        .unwrap();
    config
        .set_flags(&options! { "log.level" => "debug" })
        .unwrap();
    config.set("cache.hosts", vec!["a", "b"]).unwrap();
    config
}

fn scrub(dir: &ConfigDir, text: &str) -> String {
    text.replace(&dir.path().display().to_string(), "<dir>")
}

// ---------------------------------------------------------------- Config::dump

#[test]
fn config_dump_human_good() {
    let dir = ConfigDir::new();
    let dump = workbench(&dir).dump().to_string();
    insta::assert_snapshot!(scrub(&dir, &dump), @r#"
    cache.hosts = ["a","b"]         # set at runtime
    database.host = "db.homelab"    # file <dir>/workbench.toml:2
    database.password = [REDACTED]  # file <dir>/workbench.toml:3
    github_token = [REDACTED]       # env APP_GITHUB_TOKEN
    log.level = "debug"             # flag --log.level
    region = "eu"                   # env APP_REGION
    workers = 4                     # default
    "#);
}

#[test]
fn config_dump_never_contains_a_secret_bad() {
    let dir = ConfigDir::new();
    let config = workbench(&dir);
    config.set("api.Authorization", "Bearer abc.def").unwrap();
    config.set("smtp.passwd", "pw-9").unwrap();
    // A connection string under keys nobody thought secret, alone, in a list and a table.
    config
        .set("database.url", "postgres://app:s3cr3t-url@db.lan:5432/app")
        .unwrap();
    config
        .set(
            "mirrors",
            Value::List(vec![Value::from("https://ci:m1rr0r@mirror.lan/repo")]),
        )
        .unwrap();
    let human = config.dump().to_string();
    let json = config.dump().to_json().to_string();
    assert!(
        human.contains("postgres://app:[REDACTED]@db.lan:5432/app"),
        "{human}"
    );
    for secret in [
        "hunter2",
        "ghp_live_123",
        "Bearer abc.def",
        "pw-9",
        "s3cr3t-url",
        "m1rr0r",
    ] {
        assert!(!human.contains(secret), "{secret} in {human}");
        assert!(!json.contains(secret), "{secret} in {json}");
    }
}

#[test]
fn config_dump_empty_and_control_characters_ugly() {
    assert_eq!(Config::new().dump().to_string(), "");
    let config = Config::new();
    config.set("motd", "line one\n# forged = 1").unwrap();
    let dump = config.dump().to_string();
    assert_eq!(dump.lines().count(), 1, "{dump}");
    assert!(dump.contains(r"line one\n# forged = 1"), "{dump}");
}

#[test]
fn config_dump_escapes_terminal_controls_in_sources_and_values_ugly() {
    // A directory someone else named, a value with DEL, a C1 escape and a right-to-left
    // override: shown escaped, never sent to the terminal.
    let dir = ConfigDir::new();
    let nested = dir.path().join("ev\u{1b}]0;PWNED\u{7}dir");
    std::fs::create_dir(&nested).unwrap();
    let file = nested.join("app.toml");
    std::fs::write(&file, r#"motd = "a\u007fb\u009b2Jc\u202efdp.exe""#).unwrap();
    let config = Config::builder().file(&file).build().unwrap();
    let human = scrub(&dir, &config.dump().to_string());
    assert_eq!(
        human,
        "motd = \"a\\u{7f}b\\u{9b}2Jc\\u{202e}fdp.exe\"  # file <dir>/ev\\u{1b}]0;PWNED\\u{7}dir/app.toml:1\n"
    );
}

// ---------------------------------------------------------------- Dump::to_json

#[test]
fn dump_to_json_good() {
    let dir = ConfigDir::new();
    let json = workbench(&dir).dump().to_json();
    insta::assert_snapshot!(scrub(&dir, &serde_json::to_string_pretty(&json).unwrap()), @r#"
    [
      {
        "key": "cache.hosts",
        "layer": "runtime",
        "source": "set at runtime",
        "value": [
          "a",
          "b"
        ]
      },
      {
        "key": "database.host",
        "layer": "file",
        "line": 2,
        "path": "<dir>/workbench.toml",
        "source": "file <dir>/workbench.toml:2",
        "value": "db.homelab"
      },
      {
        "key": "database.password",
        "layer": "file",
        "line": 3,
        "path": "<dir>/workbench.toml",
        "source": "file <dir>/workbench.toml:3",
        "value": "[REDACTED]"
      },
      {
        "key": "github_token",
        "layer": "env",
        "name": "APP_GITHUB_TOKEN",
        "source": "env APP_GITHUB_TOKEN",
        "value": "[REDACTED]"
      },
      {
        "key": "log.level",
        "layer": "flag",
        "name": "log.level",
        "source": "flag --log.level",
        "value": "debug"
      },
      {
        "key": "region",
        "layer": "env",
        "name": "APP_REGION",
        "source": "env APP_REGION",
        "value": "eu"
      },
      {
        "key": "workers",
        "layer": "default",
        "source": "default",
        "value": 4
      }
    ]
    "#);
}

#[test]
fn dump_to_json_empty_bad() {
    assert_eq!(Config::new().dump().to_json(), serde_json::json!([]));
}

#[test]
fn dump_to_json_is_a_snapshot_not_a_live_view_ugly() {
    let config = Config::new();
    config.set("workers", 4).unwrap();
    let dump = config.dump();
    config.set("workers", 8).unwrap();
    assert_eq!(dump.to_json()[0]["value"], 4);
    assert_ne!(dump, config.dump());
}

#[test]
fn config_dump_hides_secrets_in_lists_of_tables_and_hyphenated_keys_ugly() {
    let dir = ConfigDir::new();
    let file = dir.write(
        "upstreams.toml",
        "[[upstreams]]\nhost = \"a\"\ntoken = \"tok-a\"\n[[upstreams]]\nhost = \"b\"\ntoken = \"tok-b\"\n[stripe]\napi-key = \"sk_live\"\n",
    );
    let config = Config::builder().file(&file).build().unwrap();
    let human = config.dump().to_string();
    let json = config.dump().to_json().to_string();
    for secret in ["tok-a", "tok-b", "sk_live"] {
        assert!(!human.contains(secret), "{secret} in {human}");
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(
        human.contains(r#"{"host":"a","token":"[REDACTED]"}"#),
        "{human}"
    );
    assert!(human.contains("stripe.api-key = [REDACTED]"), "{human}");
}

#[test]
fn config_dump_hides_a_key_named_key_under_a_table_ugly() {
    let dir = ConfigDir::new();
    let file = dir.write(
        "tls.toml",
        "[tls]\ncert = \"/etc/ssl/homelab.pem\"\nkey = \"-----BEGIN PRIVATE KEY-----\"\n",
    );
    let config = Config::builder().file(&file).build().unwrap();
    let human = config.dump().to_string();
    let json = config.dump().to_json().to_string();
    assert!(!human.contains("BEGIN PRIVATE KEY"), "{human}");
    assert!(!json.contains("BEGIN PRIVATE KEY"), "{json}");
    assert!(human.contains("tls.key = [REDACTED]"), "{human}");
    assert!(human.contains("/etc/ssl/homelab.pem"), "{human}");
}

#[test]
fn config_dump_of_a_json_file_has_no_line_ugly() {
    let dir = ConfigDir::new();
    let file = dir.write("app.json", r#"{"workers": 4}"#);
    let config = Config::builder().file(&file).build().unwrap();
    let human = scrub(&dir, &config.dump().to_string());
    assert_eq!(human, "workers = 4  # file <dir>/app.json\n");
    let json = config.dump().to_json();
    assert_eq!(json[0]["layer"], "file");
    assert!(json[0].get("line").is_none(), "{json}");
}

#[test]
fn config_dump_one_long_value_does_not_pad_every_line_ugly() {
    let config = Config::new();
    config.set("motd", "x".repeat(10_000)).unwrap();
    for n in 0..100 {
        config.set(&format!("workers.pool{n}"), n).unwrap();
    }
    let text = config.dump().to_string();
    let short = text
        .lines()
        .find(|l| l.starts_with("workers.pool7 "))
        .unwrap();
    assert!(short.len() < 120, "{short:?}");
    assert!(text.len() < 10_000 + 101 * 120, "{}", text.len());
}

#[test]
fn config_dump_hides_the_keys_its_logger_redacts_good() {
    let log = corers_log::Logger::builder()
        .level(corers_log::Level::Quiet)
        .redactor(corers_log::Redactor::new(["*dsn*", "*url*"]))
        .build();
    let config = Config::builder()
        .default_value("database.url", "postgres://admin:hunter2@db/prod")
        .default_value("database.password", "hunter2")
        .default_value("database.pool", 8)
        .logger(log)
        .build()
        .unwrap();
    let dump = config.dump().to_string();
    assert!(!dump.contains("hunter2"), "{dump}");
    assert!(dump.contains("database.url = [REDACTED]"), "{dump}");
    // The logger's patterns add to the defaults: the password stays hidden.
    assert!(dump.contains("database.password = [REDACTED]"), "{dump}");
    assert!(dump.contains("database.pool = 8"), "{dump}");
}

#[test]
fn config_dump_without_a_logger_shows_what_only_an_app_would_redact_bad() {
    let config = Config::builder()
        .default_value("database.url", "postgres://db/prod")
        .build()
        .unwrap();
    let dump = config.dump().to_string();
    assert!(dump.contains("postgres://db/prod"), "{dump}");
}
