//! Live updates: subscriptions, `reload` of files and environment, and variables bound
//! to keys.

mod common;

use std::time::Duration;

use common::ConfigDir;
use corers_config::{Change, Config, Source};
use corers_primitives::{ErrorCode, Value};

fn keys(batch: &[Change]) -> Vec<&str> {
    batch.iter().map(|c| c.key.as_str()).collect()
}

fn summary(batch: &[Change]) -> Vec<(&str, Option<Value>, Option<Source>)> {
    batch
        .iter()
        .map(|c| (c.key.as_str(), c.value.clone(), c.source.clone()))
        .collect()
}

// ---------------------------------------------------------------- Config::subscribe

#[test]
fn config_subscribe_prefix_gets_only_its_keys_good() {
    let config = Config::new();
    let mut database = config.subscribe("database");
    let mut everything = config.subscribe("");
    config.set("database.port", 5432).unwrap();
    config.set("workers", 4).unwrap();
    let batch = database.try_changed().unwrap();
    assert_eq!(
        summary(&batch),
        [(
            "database.port",
            Some(Value::Int(5432)),
            Some(Source::Runtime)
        )]
    );
    assert!(database.try_changed().is_none());
    assert_eq!(keys(&everything.try_changed().unwrap()), ["database.port"]);
    assert_eq!(keys(&everything.try_changed().unwrap()), ["workers"]);
}

#[test]
fn config_subscribe_unchanged_value_sends_nothing_bad() {
    let config = Config::builder()
        .default_value("workers", 4)
        .build()
        .unwrap();
    let mut workers = config.subscribe("workers");
    config.set("workers", 4).unwrap(); // same value, another layer: not a change
    config.set("database.port", 1).unwrap();
    assert!(workers.try_changed().is_none());
    assert_eq!(config.provenance("workers"), Some(Source::Runtime));
}

#[test]
fn config_subscribe_removal_and_dropped_subscribers_ugly() {
    let config = Config::new();
    config.set("database.port", 5432).unwrap();
    let mut port = config.subscribe("database.port");
    let dropped = config.subscribe("database");
    drop(dropped);
    config.set("database", "postgres://db/app").unwrap();
    let batch = port.try_changed().unwrap();
    assert_eq!(summary(&batch), [("database.port", None, None)]);
    // A key that only shares a prefix of its name is not under the subscription.
    let mut data = config.subscribe("data");
    config.set("database-replica", 1).unwrap();
    assert!(data.try_changed().is_none());
}

#[test]
fn config_subscribe_and_bind_dropped_while_nothing_changes_are_not_kept_ugly() {
    // A server subscribing per connection (or binding per request) while the settings
    // stay as they are: what was dropped goes at the next subscription or binding.
    let config = Config::new();
    config.set("database.port", 5432).unwrap();
    for _ in 0..1_000 {
        drop(config.subscribe("database"));
        drop(config.bind::<i64>("database.port").unwrap());
    }
    let _kept = config.subscribe("database");
    let _bound = config.bind::<i64>("database.port").unwrap();
    assert_eq!(
        format!("{config:?}"),
        "Config { keys: 1, subscribers: 1, bindings: 1, .. }"
    );
}

// ---------------------------------------------------------------- Subscription::changed

#[tokio::test]
async fn subscription_changed_wakes_on_a_write_from_another_thread_good() {
    let config = Config::new();
    let mut cache = config.subscribe("cache");
    let writer = config.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        writer.set("cache.ttl", 30).unwrap();
    });
    let batch = tokio::time::timeout(Duration::from_secs(10), cache.changed())
        .await
        .expect("a change arrives")
        .unwrap();
    assert_eq!(keys(&batch), ["cache.ttl"]);
}

#[tokio::test]
async fn subscription_changed_none_once_the_config_is_gone_bad() {
    let config = Config::new();
    let mut cache = config.subscribe("cache");
    drop(config);
    assert!(cache.changed().await.is_none());
}

#[tokio::test]
async fn subscription_changed_batches_arrive_in_write_order_ugly() {
    let config = Config::new();
    let mut workers = config.subscribe("workers");
    for n in 1..=100 {
        config.set("workers", n).unwrap();
    }
    for n in 1..=100 {
        let batch = workers.changed().await.unwrap();
        assert_eq!(batch[0].value, Some(Value::Int(n)));
    }
    assert!(workers.try_changed().is_none());
}

// ---------------------------------------------------------------- Subscription::try_changed

#[test]
fn subscription_try_changed_good() {
    let config = Config::new();
    let mut features = config.subscribe("features");
    config.enable("metrics").unwrap();
    assert_eq!(keys(&features.try_changed().unwrap()), ["features.metrics"]);
}

#[test]
fn subscription_try_changed_nothing_waiting_bad() {
    let config = Config::new();
    let mut features = config.subscribe("features");
    assert!(features.try_changed().is_none());
}

#[test]
fn subscription_try_changed_after_the_config_is_gone_ugly() {
    let config = Config::new();
    let mut features = config.subscribe("features");
    config.enable("metrics").unwrap();
    drop(config);
    assert!(
        features.try_changed().is_some(),
        "queued batches survive the config"
    );
    assert!(features.try_changed().is_none());
}

// ---------------------------------------------------------------- Config::reload

#[test]
fn config_reload_notifies_exactly_the_changed_keys_good() {
    let dir = ConfigDir::new();
    let path = dir.write(
        "app.toml",
        "workers = 4\nregion = \"eu\"\n[database]\nport = 5432\nhost = \"db\"\n",
    );
    let config = Config::builder().file(&path).build().unwrap();
    let mut all = config.subscribe("");
    let mut database = config.subscribe("database");
    dir.write(
        "app.toml",
        "workers = 8\nregion = \"eu\"\n[database]\nport = 5432\nuser = \"ops\"\n",
    );
    let changes = config.reload().unwrap();
    assert_eq!(
        keys(&changes),
        ["database.host", "database.user", "workers"]
    );
    assert_eq!(keys(&all.try_changed().unwrap()), keys(&changes));
    assert_eq!(
        keys(&database.try_changed().unwrap()),
        ["database.host", "database.user"]
    );
    assert_eq!(config.int("workers").unwrap(), 8);
}

#[test]
fn config_reload_malformed_file_keeps_the_config_in_force_bad() {
    let dir = ConfigDir::new();
    let path = dir.write("app.toml", "workers = 4\n");
    let config = Config::builder().file(&path).build().unwrap();
    let mut all = config.subscribe("");
    dir.write("app.toml", "workers = 8\n[database\nport = 1\n");
    let err = config.reload().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "config.Config.reload");
    assert!(
        err.root()
            .to_string()
            .contains(&format!("{}:2:", path.display())),
        "{err}"
    );
    assert_eq!(config.int("workers").unwrap(), 4);
    assert!(all.try_changed().is_none());
    // Fixed on disk, the next reload applies it.
    dir.write("app.toml", "workers = 8\n");
    assert_eq!(keys(&config.reload().unwrap()), ["workers"]);
}

#[test]
fn config_reload_deleted_files_and_unchanged_sources_ugly() {
    let dir = ConfigDir::new();
    let required = dir.write("app.toml", "workers = 4\n");
    let optional = dir.write("user.toml", "workers = 6\n");
    let config = Config::builder()
        .file(&required)
        .optional_file(&optional)
        .env_prefix("APP")
        .env_vars([("APP_REGION", "eu")])
        .build()
        .unwrap();
    assert!(
        config.reload().unwrap().is_empty(),
        "nothing changed on disk"
    );
    std::fs::remove_file(&optional).unwrap();
    assert_eq!(config.reload().unwrap()[0].value, Some(Value::Int(4)));
    std::fs::remove_file(&required).unwrap();
    assert_eq!(
        config.reload().unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
    assert_eq!(config.int("workers").unwrap(), 4);
    assert_eq!(config.string("region").unwrap(), "eu");
}

// ---------------------------------------------------------------- Config::bind

#[test]
fn config_bind_follows_changes_good() {
    let config = Config::builder()
        .default_value("workers", 4)
        .build()
        .unwrap();
    let workers = config.bind::<u32>("workers").unwrap();
    assert_eq!((workers.get(), workers.is_set()), (4, true));
    config.set("workers", 16).unwrap();
    assert_eq!(workers.get(), 16);
    config.unset("workers").unwrap();
    assert_eq!(workers.get(), 4);
}

#[test]
fn config_bind_wrong_type_now_and_later_bad() {
    let config = Config::new();
    config.set("workers", "many").unwrap();
    assert_eq!(
        config.bind::<u32>("workers").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
    config.set("workers", 2).unwrap();
    let workers = config.bind::<u32>("workers").unwrap();
    config.set("workers", "many").unwrap();
    assert_eq!(
        workers.get(),
        2,
        "a value that does not fit leaves the variable"
    );
    assert_eq!(
        config.bind::<u32>("bad key").unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

#[test]
fn config_bind_table_missing_key_and_dropped_variable_ugly() {
    #[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
    struct Database {
        port: u16,
    }
    let config = Config::new();
    let database = config.bind::<Database>("database").unwrap();
    assert!(!database.is_set());
    config.set("database.port", 5432).unwrap();
    assert_eq!(database.get(), Database { port: 5432 });
    config.set("database", "postgres://db/app").unwrap();
    assert_eq!(database.get().port, 5432, "kept: a string is no Database");
    config.unset("database").unwrap();
    assert!(!database.is_set());
    drop(database);
    config.set("database.port", 1).unwrap(); // the binding of a dropped variable is forgotten
}

#[test]
fn config_bind_concurrent_writers_never_leave_a_stale_value_ugly() {
    // Four writers race; once they are done the variable holds what the config holds.
    let config = Config::new();
    let workers = config.bind::<i64>("workers").unwrap();
    let writers: Vec<_> = (0..4_i64)
        .map(|w| {
            let config = config.clone();
            std::thread::spawn(move || {
                for n in 0..500 {
                    config.set("workers", w * 1_000 + n).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(workers.get(), config.int("workers").unwrap());
}

#[test]
fn config_bind_panicking_deserialize_never_reaches_the_writer_ugly() {
    #[derive(Clone, Debug, Default)]
    struct Fragile(u32);
    impl<'de> serde::Deserialize<'de> for Fragile {
        fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            let n = u32::deserialize(de)?;
            assert!(n != 13, "unlucky");
            Ok(Fragile(n))
        }
    }
    let config = Config::new();
    let fragile = config.bind::<Fragile>("workers").unwrap();
    let workers = config.bind::<u32>("workers").unwrap();
    config.set("workers", 13).unwrap(); // the panic is caught and logged
    assert_eq!(workers.get(), 13, "the other variable is still updated");
    assert_eq!(fragile.get().0, 0);
    config.set("workers", 14).unwrap();
    assert_eq!(fragile.get().0, 14);
}

#[test]
fn config_reload_readers_never_see_a_mix_ugly() {
    // The file keeps two keys equal; readers during reloads always read them equal.
    let dir = ConfigDir::new();
    let write = |n: u32| dir.write("pair.toml", &format!("[pair]\nleft = {n}\nright = {n}\n"));
    let path = write(0);
    let config = Config::builder().file(&path).build().unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The reloads start once the reader reads, and the reader reads at least once.
    let started = std::sync::Arc::new(std::sync::Barrier::new(2));
    let reader = {
        let (config, done) = (config.clone(), std::sync::Arc::clone(&done));
        let started = std::sync::Arc::clone(&started);
        std::thread::spawn(move || {
            started.wait();
            let mut reads = 0_u64;
            while reads == 0 || !done.load(std::sync::atomic::Ordering::Relaxed) {
                let pair = config.get("pair").unwrap();
                let map = pair.as_map().unwrap();
                assert_eq!(map["left"], map["right"], "a torn read: {pair:?}");
                reads += 1;
            }
        })
    };
    started.wait();
    for n in 1..=200 {
        write(n);
        config.reload().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    assert_eq!(config.int("pair.left").unwrap(), 200);
}

#[test]
fn config_subscribe_change_debug_redacts_a_secret_value_ugly() {
    let config = Config::new();
    let mut api = config.subscribe("api");
    config.set("api.token", "tok-1f9c3e").unwrap();
    config.set("api.url", "https://api.example.com").unwrap();
    let token = format!("{:?}", api.try_changed().unwrap());
    assert!(!token.contains("tok-1f9c3e"), "{token}");
    assert!(token.contains("[REDACTED]"), "{token}");
    let url = format!("{:?}", api.try_changed().unwrap());
    assert!(url.contains("https://api.example.com"), "{url}");
}

#[test]
fn config_subscribe_change_debug_follows_the_loggers_redactions_ugly() {
    // The application's logger also hides `session_*`: a change of such a key is not shown
    // in a Debug print either, as its dump does not show it.
    let log = corers_log::Logger::builder()
        .level(corers_log::Level::Quiet)
        .redactor(corers_log::Redactor::new(["session_*"]))
        .build();
    let config = Config::builder().logger(log).build().unwrap();
    let mut web = config.subscribe("web");
    config.set("web.session_id", "7f3a9c2e").unwrap();
    let shown = format!("{:?}", web.try_changed().unwrap());
    assert!(!shown.contains("7f3a9c2e"), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    let dump = config.dump().to_string();
    assert!(!dump.contains("7f3a9c2e"), "{dump}");
}
