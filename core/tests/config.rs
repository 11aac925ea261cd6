//! The config in the facade: `CoreBuilder::config`, `Core::config`,
//! `ServiceRuntime::config`, the default environment prefix and the `config` command.

use corers::ServiceRuntime;
use corers::config::{Layer, Source};
use corers::prelude::*;
use corers::testing::run_cli;

// ---------------------------------------------------------------- CoreBuilder::config

#[test]
fn core_builder_config_sources_good() {
    let core = Core::builder()
        .name("workbench")
        .config(
            Config::builder()
                .default_value("cache.ttl", 300)
                .env_prefix("WORKBENCH")
                .env_vars([("WORKBENCH_CACHE__TTL", "60")]),
        )
        .build()
        .unwrap();
    assert_eq!(core.config().int("cache.ttl").unwrap(), 60);
    assert_eq!(
        core.config().provenance("cache.ttl"),
        Some(Source::Env {
            var: "WORKBENCH_CACHE__TTL".into()
        })
    );
}

#[test]
fn core_builder_config_reads_a_json_file_by_default_good() {
    let dir = std::env::temp_dir().join(format!("corers-json-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("workbench.json");
    std::fs::write(&file, r#"{"cache": {"ttl": 90}}"#).unwrap();
    let core = Core::builder()
        .name("workbench")
        .config(Config::builder().file(&file))
        .build()
        .unwrap();
    assert_eq!(core.config().int("cache.ttl").unwrap(), 90);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn core_builder_config_that_fails_fails_the_build_bad() {
    let err = Core::builder()
        .config(Config::builder().file("/nonexistent/corers/workbench.toml"))
        .build()
        .unwrap_err();
    // A setting to fix (78 at start, not retried), and the cause still says what it was.
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("[NOT_FOUND]"), "{err}");
    assert!(err.message().contains("read the config"), "{err}");
}

#[test]
fn core_builder_config_default_prefix_from_the_app_name_ugly() {
    // No config given: the environment under the name in upper case, other characters as
    // '_'. A child process carries the variables, so this process's environment stays as
    // it is.
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "config_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("WORK_BENCH_2_CACHE__TTL", "90")
        .env("WORKBENCH_CACHE__TTL", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("@@named=90"), "{stdout}");
    assert!(stdout.contains("@@unnamed=[]"), "{stdout}");
    assert!(stdout.contains("@@unicode=[]"), "{stdout}");
    assert!(stdout.contains("@@overridden=[\"cache.size\"]"), "{stdout}");
}

#[test]
fn core_builder_env_reaches_the_config_good() {
    let core = Core::builder()
        .name("workbench")
        .env("WORKBENCH_CACHE__TTL", "45")
        .build()
        .unwrap();
    assert_eq!(core.config().int("cache.ttl").unwrap(), 45);
    assert_eq!(core.env("WORKBENCH_CACHE__TTL").as_deref(), Some("45"));
}

// ---------------------------------------------------------------- CoreBuilder::config_with

/// A part of an application that brings its own config defaults.
fn search_module(builder: CoreBuilder) -> CoreBuilder {
    builder.config_with(|config| config.default_value("search.limit", 20))
}

#[test]
fn core_builder_config_with_adds_defaults_under_the_apps_sources_good() {
    let core = search_module(Core::builder().name("workbench"))
        .config(
            Config::builder()
                .default_value("cache.ttl", 300)
                .env_prefix("WORKBENCH")
                .env_vars([("WORKBENCH_SEARCH__LIMIT", "50")]),
        )
        .build()
        .unwrap();
    assert_eq!(core.config().int("cache.ttl").unwrap(), 300);
    assert_eq!(core.config().int("search.limit").unwrap(), 50);
}

#[test]
fn core_builder_config_with_a_source_that_fails_fails_the_build_bad() {
    let err = Core::builder()
        .config_with(|config| config.file("/nonexistent/corers/search.toml"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("[NOT_FOUND]"), "{err}");
}

#[test]
fn core_builder_config_with_an_edit_that_panics_fails_the_build_ugly() {
    // As a factory that panics: a build error naming which edit, not a raw panic.
    let err = Core::builder()
        .config_with(|config| config.default_value("search.limit", 20))
        .config_with(|_| panic!("search.toml template missing"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL), "{err}");
    let shown = format!("{err:#}");
    assert!(shown.contains("the 2nd config_with"), "{shown}");
    assert!(shown.contains("search.toml template missing"), "{shown}");
}

#[test]
fn core_builder_config_with_edits_apply_in_order_to_the_default_config_ugly() {
    // No `config` at all: the edits go to the default one; the later default wins.
    let core = search_module(Core::builder())
        .config_with(|config| config.default_value("search.limit", 40))
        .build()
        .unwrap();
    assert_eq!(core.config().int("search.limit").unwrap(), 40);
    assert_eq!(
        core.config().provenance("search.limit"),
        Some(Source::Default)
    );
}

/// Set in the child process of `core_builder_config_default_prefix_from_the_app_name_ugly`.
const CHILD: &str = "CORERS_CONFIG_CHILD";

/// Not a test of its own: the child that reads the process environment.
#[test]
fn config_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let named = Core::builder().name("work-bench.2").build().unwrap();
    println!("@@named={}", named.config().int("cache.ttl").unwrap());
    let unnamed = Core::builder().build().unwrap();
    println!("@@unnamed={:?}", unnamed.config().keys());
    // A name with no ASCII letter or digit reads no environment (and still builds).
    let unicode = Core::builder().name("工作台").build().unwrap();
    println!("@@unicode={:?}", unicode.config().keys());
    // The Core's overrides reach its config: one removed, one set.
    let overridden = Core::builder()
        .name("workbench")
        .env_remove("WORKBENCH_CACHE__TTL")
        .env("WORKBENCH_CACHE__SIZE", "64")
        .build()
        .unwrap();
    println!("@@overridden={:?}", overridden.config().keys());
}

// ---------------------------------------------------------------- Core::config

#[test]
fn core_config_set_at_runtime_good() {
    let core = Core::builder().build().unwrap();
    core.config().set("cache.ttl", 60).unwrap();
    assert_eq!(core.config().int("cache.ttl").unwrap(), 60);
    assert_eq!(
        core.config().provenance("cache.ttl").map(|s| s.layer()),
        Some(Layer::Runtime)
    );
}

#[test]
fn core_config_missing_key_bad() {
    let core = Core::builder().build().unwrap();
    assert_eq!(
        core.config().int("cache.ttl").unwrap_err().code(),
        Some(&ErrorCode::NOT_FOUND)
    );
}

#[test]
fn core_config_two_cores_do_not_share_settings_ugly() {
    let first = Core::builder().name("first").build().unwrap();
    let second = Core::builder().name("second").build().unwrap();
    first.config().enable("beta-ui").unwrap();
    assert!(first.config().enabled("beta-ui"));
    assert!(!second.config().enabled("beta-ui"));
}

// ---------------------------------------------------------------- ServiceRuntime::config

#[test]
fn service_runtime_config_shares_the_cores_good() {
    let core = Core::builder().build().unwrap();
    let runtime = ServiceRuntime::new(&core, ());
    runtime
        .config()
        .unwrap()
        .set("cache.capacity", 1024)
        .unwrap();
    assert_eq!(core.config().int("cache.capacity").unwrap(), 1024);
}

#[test]
fn service_runtime_config_after_the_core_is_gone_bad() {
    let core = Core::builder().build().unwrap();
    let runtime = ServiceRuntime::new(&core, ());
    drop(core);
    assert_eq!(
        runtime.config().unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
}

#[tokio::test]
async fn service_runtime_config_from_a_start_hook_ugly() {
    // A service reads its settings in its start hook and refuses to start without them.
    let core = Core::builder()
        .config(Config::builder().default_value("store.path", "/srv/workbench"))
        .service(|core| {
            let runtime = ServiceRuntime::new(core, "store");
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(move |_| {
                    let runtime = runtime.clone();
                    async move {
                        let path = runtime.config()?.string("store.path")?;
                        assert_eq!(path, "/srv/workbench");
                        runtime.config()?.int("store.shards").map(drop)
                    }
                }),
            ))
        })
        .build()
        .unwrap();
    let err = core.startup().await.unwrap_err();
    assert!(err.to_string().contains("store.shards"), "{err}");
    core.shutdown().await.unwrap();
}

// ---------------------------------------------------------------- the `config` command

/// Runs the built-in `config` command with `args` on a test Core holding a default and a
/// secret; returns its standard output.
async fn config_command(args: &[&str]) -> String {
    let (builder, _logs) = corers::testing::builder();
    let core = builder
        .config(Config::builder().default_value("cache.ttl", 300))
        .build()
        .unwrap();
    core.config().set("api.token", "ghp_live").unwrap();
    let run = run_cli(&core, args.iter().copied()).await;
    assert_eq!(run.exit_code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("ghp_live"), "{}", run.stdout);
    run.stdout
}

#[tokio::test]
async fn core_cli_config_prints_the_dump_with_secrets_hidden_good() {
    insta::assert_snapshot!(config_command(&["config"]).await, @r"
    api.token = [REDACTED]  # set at runtime
    cache.ttl = 300         # default
    ");
    let json = config_command(&["config", "--json"]).await;
    assert!(json.contains("\"layer\": \"default\""), "{json}");
}

// ---------------------------------------------------------------- `--set` on the command line

#[tokio::test]
async fn core_run_with_set_reaches_the_config_before_services_start_good() {
    let (builder, _logs) = corers::testing::builder();
    let core = builder
        .config(Config::builder().default_value("store.shards", 1))
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    assert_eq!(ctx.core().config().int("store.shards")?, 8);
                    Ok(())
                }),
            ))
        })
        .command(
            "shards",
            Command::new().action(|core: Core, _| async move {
                Ok(Value::from(core.config().int("store.shards")?))
            }),
        )
        .build()
        .unwrap();
    let exit = core
        .run_with(["--set", "store.shards=8", "shards"])
        .await
        .unwrap();
    assert_eq!(exit, std::process::ExitCode::SUCCESS);
}

#[tokio::test]
async fn core_run_with_malformed_set_exits_2_before_starting_bad() {
    let (builder, _logs) = corers::testing::builder();
    let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::clone(&started);
    let core = builder
        .service(move |_| {
            let seen = std::sync::Arc::clone(&seen);
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(move |_| {
                    seen.store(true, std::sync::atomic::Ordering::SeqCst);
                    async { Ok(()) }
                }),
            ))
        })
        .build()
        .unwrap();
    let exit = core.run_with(["--set", "no-equals-sign"]).await.unwrap();
    assert_eq!(exit, std::process::ExitCode::from(2));
    assert!(!started.load(std::sync::atomic::Ordering::SeqCst));
}

// ---------------------------------------------------------------- CoreBuilder::settings_from_args

/// The value of `key` a service factory read, building with `args` as the arguments.
fn read_by_the_factory(args: &[&str], key: &'static str) -> Option<i64> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let kept = std::sync::Arc::clone(&seen);
    corers::testing::builder()
        .0
        .config(Config::builder().default_value("store.shards", 1))
        .settings_from_args(args.iter().copied())
        .service(move |core| {
            *kept.lock().unwrap() = core.config().int(key).ok();
            Ok(Registration::new("store", Hooks::new()))
        })
        .build()
        .unwrap();
    *seen.lock().unwrap()
}

#[test]
fn core_builder_settings_from_args_reach_the_factories_good() {
    assert_eq!(
        read_by_the_factory(&["--set", "store.shards=8", "shards"], "store.shards"),
        Some(8)
    );
    assert_eq!(
        read_by_the_factory(&["shards", "--set=store.shards=4"], "store.shards"),
        Some(4)
    );
}

#[tokio::test]
async fn core_builder_settings_from_args_malformed_is_left_to_the_run_bad() {
    assert_eq!(
        read_by_the_factory(
            &["--set", "store.shards=8", "--set", "oops"],
            "store.shards"
        ),
        Some(1)
    );
    let core = corers::testing::builder()
        .0
        .settings_from_args(["--set", "oops"])
        .build()
        .unwrap();
    let exit = core.run_with(["--set", "oops"]).await.unwrap();
    assert_eq!(exit, std::process::ExitCode::from(2));
}

#[test]
fn core_builder_settings_from_args_after_double_dash_are_arguments_ugly() {
    assert_eq!(
        read_by_the_factory(&["exec", "--", "--set", "store.shards=8"], "store.shards"),
        Some(1)
    );
}
