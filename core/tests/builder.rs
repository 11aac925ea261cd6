//! Building a Core: `Core::builder` and every `CoreBuilder` setting (name, version,
//! description, options, logger, bus, services, Actions, Tasks, commands, `build`), and the
//! accessors that read back what was built (`app`, `options`, `registry`, `service`,
//! `services`, `cli`, `log`), with two Cores side by side; `ServiceRuntime`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use corers::log::{Level, Logger, MemorySink, Output};
use corers::messaging::{ActionCtx, Bus};
use corers::prelude::*;
use corers::{ServiceRuntime, WeakCore};

fn sink_logger(sink: &MemorySink) -> Logger {
    Logger::builder()
        .level(Level::Debug)
        .output(Output::Memory(sink.clone()))
        .build()
}

struct Store {
    root: String,
}

impl Service<Core> for Store {}

struct Cache;

impl Service<Core> for Cache {}

async fn help(core: &Core) -> String {
    core.cli()
        .run(core.clone(), ["help"])
        .await
        .stdout()
        .to_owned()
}

// ---- Core::builder ----

#[test]
fn core_builder_defaults_good() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.app(), &App::default());
    assert_eq!(core.registry("services"), Some(Vec::new()));
    assert_eq!(
        core.registry("commands"),
        Some(vec!["config".to_owned(), "health".to_owned()])
    );
}

#[test]
fn core_builder_without_a_name_calls_the_program_app_bad() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.cli().name(), "app");
}

#[test]
fn core_builder_debug_counts_the_services_ugly() {
    let builder = Core::builder()
        .name("workbench")
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(|_| Ok(Registration::new("store", Hooks::new())));
    let text = format!("{builder:?}");
    assert!(text.contains("services: 2"), "{text}");
    assert!(text.contains(r#"name: "workbench""#), "{text}");
}

// ---- CoreBuilder::name ----

#[test]
fn core_builder_name_names_the_app_and_the_cli_good() {
    let core = Core::builder().name("workbench").build().unwrap();
    assert_eq!(core.app().name, "workbench");
    assert_eq!(core.cli().name(), "workbench");
}

#[test]
fn core_builder_name_empty_falls_back_to_app_bad() {
    let core = Core::builder().name("").build().unwrap();
    assert_eq!(core.app().name, "");
    assert_eq!(core.cli().name(), "app");
}

#[test]
fn core_builder_name_unicode_ugly() {
    let core = Core::builder().name("工作台").build().unwrap();
    assert_eq!(core.cli().name(), "工作台");
}

// ---- CoreBuilder::version ----

#[test]
fn core_builder_version_good() {
    let core = Core::builder().version("0.3.1").build().unwrap();
    assert_eq!(core.app().version, "0.3.1");
}

#[test]
fn core_builder_version_unset_is_empty_bad() {
    let core = Core::builder().name("workbench").build().unwrap();
    assert_eq!(core.app().version, "");
}

#[test]
fn core_builder_version_kept_verbatim_ugly() {
    let core = Core::builder()
        .version(" v2.0.0-rc.1+build.7 ")
        .build()
        .unwrap();
    assert_eq!(core.app().version, " v2.0.0-rc.1+build.7 ");
}

// ---- CoreBuilder::description ----

#[tokio::test]
async fn core_builder_description_is_the_help_banner_good() {
    let core = Core::builder()
        .name("workbench")
        .description("workspaces, indexed")
        .build()
        .unwrap();
    assert_eq!(core.app().description, "workspaces, indexed");
    let help = help(&core).await;
    assert!(
        help.starts_with("workbench — workspaces, indexed"),
        "{help}"
    );
}

#[test]
fn core_builder_description_set_twice_keeps_the_last_bad() {
    let core = Core::builder()
        .description("workspaces")
        .description("workspaces, indexed")
        .build()
        .unwrap();
    assert_eq!(core.app().description, "workspaces, indexed");
}

#[tokio::test]
async fn core_builder_description_without_a_name_bad() {
    let core = Core::builder()
        .description("workspaces, indexed")
        .build()
        .unwrap();
    let help = help(&core).await;
    assert!(help.starts_with("app — workspaces, indexed"), "{help}");
}

#[tokio::test]
async fn core_builder_description_unset_has_no_banner_ugly() {
    let core = Core::builder().name("workbench").build().unwrap();
    let help = help(&core).await;
    assert!(!help.contains(" — "), "{help}");
}

// ---- CoreBuilder::options ----

#[test]
fn core_builder_options_good() {
    let core = Core::builder()
        .options(options! { "workspace.root" => "/srv/workspaces", "index.threads" => 4 })
        .build()
        .unwrap();
    assert_eq!(
        core.options().string("workspace.root"),
        Some("/srv/workspaces")
    );
    assert_eq!(core.options().int("index.threads"), Some(4));
}

#[test]
fn core_builder_options_set_twice_keeps_the_last_bad() {
    let core = Core::builder()
        .options(options! { "workspace.root" => "/srv/workspaces" })
        .options(options! { "index.threads" => 4 })
        .build()
        .unwrap();
    assert_eq!(core.options().string("workspace.root"), None);
    assert_eq!(core.options().int("index.threads"), Some(4));
}

#[test]
fn core_builder_options_empty_ugly() {
    let core = Core::builder().options(Options::new()).build().unwrap();
    assert!(core.options().is_empty());
}

// ---- CoreBuilder::logger ----

#[test]
fn core_builder_logger_is_the_cores_log_good() {
    let sink = MemorySink::new();
    let core = Core::builder().logger(sink_logger(&sink)).build().unwrap();
    corers::log::info!(core.log(), workspace = "alpha", "workspace created");
    assert!(
        sink.contents()
            .contains("workspace created workspace=alpha"),
        "{}",
        sink.contents()
    );
}

#[test]
fn core_builder_logger_level_filters_bad() {
    let sink = MemorySink::new();
    let logger = Logger::builder()
        .level(Level::Warn)
        .output(Output::Memory(sink.clone()))
        .build();
    let core = Core::builder().logger(logger).build().unwrap();
    corers::log::info!(core.log(), "workspace created");
    assert_eq!(sink.contents(), "");
}

#[test]
fn core_builder_logger_default_is_info_ugly() {
    // An empty override hides the process's RUST_LOG, whatever it holds.
    let core = Core::builder().env("RUST_LOG", "").build().unwrap();
    assert_eq!(core.log().level(), Level::Info);
}

#[test]
fn core_builder_logger_default_follows_a_rust_log_level_good() {
    for (rust_log, level) in [
        ("debug", Level::Debug),
        ("WARN", Level::Warn),
        (" off ", Level::Quiet),
    ] {
        let core = Core::builder().env("RUST_LOG", rust_log).build().unwrap();
        assert_eq!(core.log().level(), level, "{rust_log:?}");
    }
}

#[test]
fn core_builder_logger_default_follows_rust_log_directives_good() {
    let core = Core::builder()
        .env("RUST_LOG", "warn,workbench::store=debug,hyper=off")
        .build()
        .unwrap();
    let filter = core.log().filter();
    assert_eq!(filter.to_string(), "warn,workbench::store=debug,hyper=off");
    assert!(core.log().enabled(Level::Debug));
}

#[test]
fn core_builder_logger_default_leaves_out_rust_log_directives_that_do_not_read_bad() {
    // As tracing's EnvFilter reads RUST_LOG lossily: the rest is kept.
    for (rust_log, kept) in [
        ("info,hyper=loud", "info"),
        ("workbench[request]=debug", "info"),
        ("my crate=debug", "info"),
        ("debug,corers_lifecycle=bogus", "debug"),
        ("hyper=loud,workbench=trace", "info,workbench=trace"),
    ] {
        let core = Core::builder().env("RUST_LOG", rust_log).build().unwrap();
        assert_eq!(core.log().filter().to_string(), kept, "{rust_log}");
    }
}

const RUST_LOG_PROBE: &str = "CORERS_BUILDER_RUST_LOG_PROBE";

/// Not a test of its own: builds a Core with the default logger, which reads the process's
/// `RUST_LOG` (set by the test that runs this) and warns on standard error of what it left
/// out.
#[test]
fn rust_log_probe() {
    if std::env::var_os(RUST_LOG_PROBE).is_none() {
        return;
    }
    let _core = Core::builder().global_logging(false).build().unwrap();
}

/// What the default logger warned of, given the process a `RUST_LOG` of `value`.
fn rust_log_warnings(value: &std::ffi::OsStr) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["rust_log_probe", "--exact", "--nocapture"])
        .env(RUST_LOG_PROBE, "1")
        .env("RUST_LOG", value)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn core_builder_logger_default_rust_log_hostile_said_briefly_ugly() {
    use std::os::unix::ffi::OsStrExt as _;
    // Not UTF-8: ignored, and said (not silently).
    let stderr = rust_log_warnings(std::ffi::OsStr::from_bytes(b"debug,\xff"));
    assert!(stderr.contains("RUST_LOG ignored: not UTF-8"), "{stderr}");
    // 1,000 directives that do not read, each 100 characters: three said (each cut), the
    // rest counted.
    let bad: Vec<String> = (0..1_000)
        .map(|n| format!("{n}{}=loud", "x".repeat(100)))
        .collect();
    let stderr = rust_log_warnings(std::ffi::OsStr::new(&bad.join(",")));
    assert_eq!(
        stderr.matches("RUST_LOG directive left out").count(),
        3,
        "{stderr}"
    );
    assert!(
        stderr.contains("more RUST_LOG directives left out more=997"),
        "{stderr}"
    );
    assert!(stderr.len() < 2_000, "{}", stderr.len());
}

// ---- CoreBuilder::log_level ----

#[test]
fn core_builder_log_level_is_the_default_rust_log_does_not_override_good() {
    let quiet = Core::builder()
        .log_level(Level::Warn)
        .env("RUST_LOG", "")
        .build()
        .unwrap();
    assert_eq!(quiet.log().filter().to_string(), "warn");
    // RUST_LOG names a target: the rest stays at the level given.
    let core = Core::builder()
        .log_level(Level::Warn)
        .env("RUST_LOG", "corers_lifecycle=debug")
        .build()
        .unwrap();
    assert_eq!(
        core.log().filter().to_string(),
        "warn,corers_lifecycle=debug"
    );
    // A level of its own wins.
    let chatty = Core::builder()
        .log_level(Level::Warn)
        .env("RUST_LOG", "debug")
        .build()
        .unwrap();
    assert_eq!(chatty.log().level(), Level::Debug);
}

#[test]
fn core_builder_log_level_with_a_logger_of_its_own_bad() {
    let err = Core::builder()
        .log_level(Level::Warn)
        .logger(Logger::builder().build())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("log_level"), "{err}");
}

#[test]
fn core_builder_log_level_quiet_with_a_rust_log_that_does_not_read_ugly() {
    let core = Core::builder()
        .log_level(Level::Quiet)
        .env("RUST_LOG", "[span]=debug,hyper=loud")
        .build()
        .unwrap();
    assert_eq!(core.log().filter().to_string(), "off");
    assert!(!core.log().enabled(Level::Error));
}

// ---- CoreBuilder::log_format ----

const LOG_FORMAT_PROBE: &str = "CORERS_BUILDER_LOG_FORMAT_PROBE";

/// Not a test of its own: logs one warning through a Core's default logger in the format
/// the probe names (none: the default), on standard error.
#[test]
fn log_format_probe() {
    let Ok(format) = std::env::var(LOG_FORMAT_PROBE) else {
        return;
    };
    let mut builder = Core::builder()
        .global_logging(false)
        .env("RUST_LOG", "info");
    match format.as_str() {
        "json" => builder = builder.log_format(corers::log::Format::Json),
        "human" => builder = builder.log_format(corers::log::Format::Human),
        _ => {}
    }
    let core = builder.build().unwrap();
    corers::log::warn!(core.log(), disk = "sda", "disk nearly full");
}

/// The line `log_format_probe` logged in `format`.
fn logged_in(format: &str) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["log_format_probe", "--exact", "--nocapture"])
        .env(LOG_FORMAT_PROBE, format)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr.lines().find(|l| l.contains("disk nearly full"));
    line.unwrap_or_else(|| panic!("{stderr}")).to_owned()
}

#[test]
fn core_builder_log_format_json_lines_good() {
    let line: serde_json::Value = serde_json::from_str(&logged_in("json")).unwrap();
    assert_eq!(
        (&line["level"], &line["fields"]["disk"]),
        (&serde_json::json!("WARN"), &serde_json::json!("sda"))
    );
}

#[test]
fn core_builder_log_format_with_a_logger_of_its_own_bad() {
    let err = Core::builder()
        .log_format(corers::log::Format::Json)
        .logger(Logger::builder().build())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("log_format"), "{err}");
}

#[test]
fn core_builder_log_format_not_given_is_human_text_ugly() {
    for format in ["default", "human"] {
        let line = logged_in(format);
        assert!(
            line.contains("WARN") && line.ends_with("disk nearly full disk=sda"),
            "{line}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&line).is_err(),
            "{line}"
        );
    }
}

#[test]
fn core_builder_logger_given_wins_over_rust_log_ugly() {
    let core = Core::builder()
        .env("RUST_LOG", "debug")
        .logger(Logger::builder().level(Level::Error).build())
        .build()
        .unwrap();
    assert_eq!(core.log().level(), Level::Error);
}

/// A quiet logger with an audit output, and a reader of that output: each event's name
/// and its fields after `event`, joined with `/`.
fn audited_logger() -> (Logger, impl Fn() -> Vec<String>) {
    let trail = MemorySink::new();
    let log = Logger::builder()
        .level(Level::Quiet)
        .audit_output(Output::Memory(trail.clone()))
        .build();
    let events = move || {
        trail
            .lines()
            .iter()
            .map(|line| {
                let line: serde_json::Value = serde_json::from_str(line).unwrap();
                let fields = line["fields"].as_object().unwrap();
                fields
                    .values()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect()
    };
    (log, events)
}

struct WorkspaceCreated;

#[test]
fn core_builder_logger_audits_services_handlers_and_config_writes_good() {
    let (log, events) = audited_logger();
    let core = Core::builder()
        .logger(log)
        .action(create_workspace())
        .service(|core| {
            core.bus().on(|_, _: &WorkspaceCreated| Ok(()));
            Ok(Registration::new("store", Hooks::new()))
        })
        .service(|_| Ok(Registration::new("cache", Hooks::new())))
        .build()
        .unwrap();
    core.config().set("workspace.root", "/srv/ws").unwrap();
    assert_eq!(
        events(),
        [
            "handler.added/action/workspace.create",
            "handler.added/broadcast/builder::WorkspaceCreated",
            "service.registered/store",
            "service.registered/cache",
            "config.written/workspace.root",
        ]
    );
}

#[test]
fn core_builder_logger_failed_service_not_audited_bad() {
    let (log, events) = audited_logger();
    let err = Core::builder()
        .logger(log)
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{err}");
    assert_eq!(events(), ["service.registered/store"]);
}

// ---- CoreBuilder::crash_file ----

/// A fresh directory for one test's crash file.
fn crash_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corers-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn core_builder_crash_file_records_a_panicking_task_good() {
    let dir = crash_dir("crash-file-good");
    let core = Core::builder()
        .name("workbench")
        .version("0.3.1")
        .crash_file(dir.join("crashes.json"))
        .build()
        .unwrap();
    let outcome = core
        .log()
        .crash()
        .spawn_task(async { panic!("index out of range") })
        .unwrap()
        .await
        .unwrap();
    assert!(outcome.is_err());
    let file = std::fs::read_to_string(dir.join("crashes.json")).unwrap();
    let reports: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(reports[0]["message"], "index out of range");
    assert_eq!(reports[0]["meta"]["app"], "workbench");
    assert_eq!(reports[0]["meta"]["version"], "0.3.1");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn core_builder_crash_file_with_own_logger_is_invalid_bad() {
    let err = Core::builder()
        .logger(Logger::builder().build())
        .crash_file(std::env::temp_dir().join("never-written.json"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.to_string()
            .contains("set them on that logger's builder"),
        "{err}"
    );
}

#[test]
fn core_builder_crash_file_under_a_file_is_unavailable_ugly() {
    let dir = crash_dir("crash-file-ugly");
    std::fs::write(dir.join("blocker"), "not a directory").unwrap();
    let core = Core::builder()
        .crash_file(dir.join("blocker").join("crashes.json"))
        .build()
        .unwrap();
    let report = core.log().crash().report_for("worker stopped responding");
    let err = core.log().crash().record(&report).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("blocker"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- CoreBuilder::on_crash ----

#[test]
fn core_builder_on_crash_sees_every_report_good() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let core = Core::builder()
        .on_crash(move |report| sink.lock().unwrap().push(report.message.clone()))
        .build()
        .unwrap();
    let crash = core.log().crash();
    crash.record(&crash.report_for("disk full")).unwrap();
    crash.record(&crash.report_for("index corrupt")).unwrap();
    assert_eq!(*seen.lock().unwrap(), ["disk full", "index corrupt"]);
}

#[test]
fn core_builder_on_crash_with_own_logger_is_invalid_bad() {
    let err = Core::builder()
        .logger(Logger::builder().build())
        .on_crash(|_| {})
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn core_builder_on_crash_panicking_callback_is_contained_ugly() {
    let core = Core::builder()
        .on_crash(|_| panic!("the alerting webhook is down"))
        .build()
        .unwrap();
    let crash = core.log().crash();
    crash.record(&crash.report_for("disk full")).unwrap();
    assert_eq!(crash.reports(1).unwrap()[0].message, "disk full");
}

// ---- CoreBuilder::bus ----

#[tokio::test]
async fn core_builder_bus_limits_apply_good() {
    struct Reindex;
    impl Task for Reindex {
        type Output = ();
    }
    let core = Core::builder()
        .bus(Bus::builder().max_running(1).queue(0))
        .build()
        .unwrap();
    // The first task holds the only slot until the gate drops.
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    core.bus().on_task(move |_, _: &Reindex| {
        let _ = held.lock().unwrap().recv();
        Some(Ok(()))
    });
    core.perform_async(Reindex).unwrap();
    let err = core.perform_async(Reindex).unwrap_err();
    drop(gate);
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[test]
fn core_builder_bus_invalid_limits_fail_build_bad() {
    let err = Core::builder()
        .bus(Bus::builder().max_running(0))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("build the bus"), "{err}");
}

#[test]
fn core_builder_bus_depth_one_refuses_nested_dispatch_ugly() {
    struct WorkspaceCreated;
    struct IndexRequested;
    let core = Core::builder()
        .bus(Bus::builder().max_depth(1))
        .build()
        .unwrap();
    core.bus()
        .on(|ctx, _: &WorkspaceCreated| ctx.core().broadcast(&IndexRequested).map(|_| ()));
    let report = core.broadcast(&WorkspaceCreated).unwrap();
    assert_eq!(report.failures().len(), 1);
    assert_eq!(report.failures()[0].error.code(), Some(&ErrorCode::INVALID));
}

// ---- CoreBuilder::service ----

#[test]
fn core_builder_service_factory_receives_the_core_good() {
    let core = Core::builder()
        .name("workbench")
        .service(|core| {
            Ok(Registration::new(
                "store",
                Store {
                    root: format!("/srv/{}", core.app().name),
                },
            ))
        })
        .build()
        .unwrap();
    assert_eq!(
        core.service::<Store>("store").unwrap().root,
        "/srv/workbench"
    );
}

#[test]
fn core_builder_service_factories_run_in_order_good() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut builder = Core::builder();
    for name in ["config", "store", "indexer"] {
        let order = Arc::clone(&order);
        builder = builder.service(move |_| {
            order.lock().unwrap().push(name);
            Ok(Registration::new(name, Hooks::new()))
        });
    }
    builder.build().unwrap();
    assert_eq!(*order.lock().unwrap(), ["config", "store", "indexer"]);
}

#[test]
fn core_builder_service_failing_factory_fails_build_bad() {
    let err = Core::builder()
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(|_| {
            Err(Error::new("store.Store.open", "/srv/store is not writable")
                .with_code(ErrorCode::DENIED))
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn core_builder_service_duplicate_name_fails_build_bad() {
    let err = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn core_builder_service_panicking_factory_ugly() {
    let result = std::panic::catch_unwind(|| {
        Core::builder()
            .service(|_| {
                let root = std::fs::read_to_string("/nonexistent/workbench/store.root")
                    .expect("the store root file is readable");
                Ok(Registration::new("store", Store { root }))
            })
            .build()
    });
    let built = result.expect("build() does not panic");
    let err = built.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    // The panic says which factory it came from, as a returned error does.
    assert!(
        err.to_string()
            .starts_with("corers.CoreBuilder.build: make the 1st service added [INTERNAL]: "),
        "{err}"
    );
}

#[test]
fn core_builder_service_named_failing_factory_names_the_service_bad() {
    let err = Core::builder()
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service_named("store", |_| {
            Err(Error::new("store.Store.open", "/srv/store is not writable")
                .with_code(ErrorCode::DENIED))
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    assert_eq!(
        err.to_string(),
        r#"corers.CoreBuilder.build: make service "store" [DENIED]: store.Store.open: /srv/store is not writable"#
    );
}

/// A service whose factory warns, as one that falls back to a default does.
fn warning_factory(_: &Core) -> Registration<Core> {
    tracing::warn!(dir = "/tmp/cache", "cache dir missing, using tmp");
    Registration::new("cache", Hooks::new())
}

#[test]
fn core_builder_service_factory_logs_reach_the_cores_logger_ugly() {
    let sink = MemorySink::new();
    let logger = Logger::builder()
        .level(Level::Warn)
        .output(Output::Memory(sink.clone()))
        .build();
    Core::builder()
        .logger(logger)
        .service(|core| Ok(warning_factory(core)))
        .build()
        .unwrap();
    assert!(
        sink.contents().contains("cache dir missing, using tmp"),
        "{}",
        sink.contents()
    );
    // An application with a subscriber of its own gets the line there instead.
    let (own, theirs) = (MemorySink::new(), MemorySink::new());
    let app = Logger::builder()
        .level(Level::Warn)
        .output(Output::Memory(own.clone()))
        .build();
    let core_logger = Logger::builder()
        .level(Level::Warn)
        .output(Output::Memory(theirs.clone()))
        .build();
    app.in_scope(|| {
        Core::builder()
            .logger(core_logger)
            .service(|core| Ok(warning_factory(core)))
            .build()
            .unwrap()
    });
    assert!(
        own.contents().contains("cache dir missing"),
        "{}",
        own.contents()
    );
    assert!(
        !theirs.contents().contains("cache dir missing"),
        "{}",
        theirs.contents()
    );
}

#[test]
fn core_builder_service_named_registers_in_order_with_the_others_good() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service_named("store", |_| {
            Ok(Registration::new("store", Hooks::new()).after(["config"]))
        })
        .build()
        .unwrap();
    assert_eq!(core.services().names(), ["config", "store"]);
}

#[test]
fn core_builder_service_named_factory_naming_another_fails_build_bad() {
    let err = Core::builder()
        .service_named("store", |_| Ok(Registration::new("cache", Hooks::new())))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message()
            .contains(r#"the factory of service "store" made one named "cache""#),
        "{err}"
    );
}

#[test]
fn core_builder_service_named_twice_fails_build_ugly() {
    let err = Core::builder()
        .service_named("store", |_| Ok(Registration::new("store", Hooks::new())))
        .service_named("store", |_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn core_builder_service_dependency_cycle_fails_build_bad() {
    let err = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new()).after(["brain"])))
        .service(|_| Ok(Registration::new("brain", Hooks::new()).after(["store"])))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains("dependency cycle"), "{err}");
}

#[test]
fn core_builder_service_missing_dependency_fails_build_bad() {
    let err = Core::builder()
        .service(|_| Ok(Registration::new("indexer", Hooks::new()).after(["store"])))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.to_string()
            .contains(r#""store", which is not registered"#),
        "{err}"
    );
}

#[test]
fn core_builder_service_dependency_on_a_later_factory_ugly() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("indexer", Hooks::new()).after(["store"])))
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    assert_eq!(core.services().order().unwrap(), ["store", "indexer"]);
}

// ---- CoreBuilder::action ----

fn create_workspace() -> ActionSpec<Core> {
    ActionSpec::new(
        "workspace.create",
        |ctx: ActionCtx<Core>, options: Options| async move {
            Ok(Value::from(format!(
                "{} created {}",
                ctx.core().app().name,
                options.string("name").unwrap_or_default()
            )))
        },
    )
}

#[tokio::test]
async fn core_builder_action_registers_it_good() {
    let core = Core::builder()
        .name("workbench")
        .action(create_workspace())
        .build()
        .unwrap();
    assert_eq!(
        core.registry("actions"),
        Some(vec!["workspace.create".to_owned()])
    );
    let value = core
        .run_action("workspace.create", options! { "name" => "alpha" })
        .await
        .unwrap();
    assert_eq!(value, Value::from("workbench created alpha"));
}

#[test]
fn core_builder_action_malformed_name_fails_build_bad() {
    let err = Core::builder()
        .action(ActionSpec::new("workspace..create", |_, _| async {
            Ok(Value::Null)
        }))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("register an action"), "{err}");
}

#[test]
fn core_builder_action_same_name_twice_conflicts_ugly() {
    // Two plugins' "workspace.create": neither silently replaces the other.
    let err = Core::builder()
        .action(create_workspace())
        .action(ActionSpec::new("workspace.create", |_, _| async {
            Ok(Value::from("second"))
        }))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{err}");
    assert_eq!(
        err.to_string(),
        "corers.CoreBuilder.build: action \"workspace.create\" is added twice [CONFLICT]"
    );
}

// ---- CoreBuilder::task ----

#[test]
fn core_builder_task_defines_it_good() {
    let core = Core::builder()
        .action(create_workspace())
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]),
        )
        .build()
        .unwrap();
    assert_eq!(
        core.registry("tasks"),
        Some(vec!["nightly.index".to_owned()])
    );
}

#[test]
fn core_builder_task_without_steps_fails_build_bad() {
    let err = Core::builder()
        .task("nightly.index", TaskDef::new(Vec::new()))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""nightly.index""#), "{err}");
}

#[test]
fn core_builder_task_invalid_schedule_fails_build_ugly() {
    let err = Core::builder()
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]).schedule("every night at two"),
        )
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn core_builder_task_same_name_twice_conflicts_ugly() {
    let err = Core::builder()
        .action(create_workspace())
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]),
        )
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]).schedule("0 2 * * *"),
        )
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{err}");
    assert!(
        err.message()
            .contains("task \"nightly.index\" is added twice"),
        "{err}"
    );
}

// ---- CoreBuilder::command ----

#[test]
fn core_builder_command_registers_its_path_good() {
    let core = Core::builder()
        .command(
            "workspace/create",
            Command::new().action(|_, _| async { Ok(Value::Null) }),
        )
        .build()
        .unwrap();
    assert_eq!(
        core.registry("commands"),
        Some(vec![
            "config".to_owned(),
            "health".to_owned(),
            "workspace".to_owned(),
            "workspace/create".to_owned()
        ])
    );
}

#[test]
fn core_builder_command_malformed_path_fails_build_bad() {
    let err = Core::builder()
        .command(
            "workspace//create",
            Command::new().action(|_, _| async { Ok(Value::Null) }),
        )
        .build()
        .unwrap_err();
    assert!(
        err.message()
            .contains(r#"register command "workspace//create""#),
        "{err}"
    );
}

#[tokio::test]
async fn core_builder_command_health_replaces_the_built_in_ugly() {
    let core = Core::builder()
        .command(
            "health",
            Command::new().action(|_, _| async { Ok(Value::from("all good, trust me")) }),
        )
        .build()
        .unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("all good, trust me")));
}

#[tokio::test]
async fn core_builder_service_registering_health_replaces_the_built_in_ugly() {
    let core = Core::builder()
        .service(|core: &Core| {
            core.cli().register(
                "health",
                Command::new().action(|_, _| async { Ok(Value::from("probe: ok")) }),
            )?;
            Ok(Registration::new("probe", Hooks::new()))
        })
        .build()
        .unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("probe: ok")));
}

#[tokio::test]
async fn core_builder_service_registering_under_health_keeps_the_built_in_ugly() {
    let core = Core::builder()
        .service(|core: &Core| {
            core.cli().register(
                "health/deep",
                Command::new().action(|_, _| async { Ok(Value::from("replicas in sync")) }),
            )?;
            Ok(Registration::new("store", Hooks::new()))
        })
        .build()
        .unwrap();
    // The built-in answers (not started: unavailable), not a placeholder's help (exit 0).
    let health = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(health.exit_code(), 69);
    let deep = core.cli().run(core.clone(), ["health", "deep"]).await;
    assert_eq!(deep.value(), Some(&Value::from("replicas in sync")));
}

/// A store whose replica lags.
struct Lagging;

impl Service<Core> for Lagging {
    fn health(
        self: Arc<Self>,
        _: ServiceCtx<Core>,
    ) -> corers::lifecycle::BoxFuture<corers::lifecycle::Health> {
        Box::pin(async { corers::lifecycle::Health::Unhealthy("replica lag 40s".into()) })
    }
}

#[tokio::test]
async fn core_builder_health_not_ready_prints_the_report_and_fails_bad() {
    // The report on standard output, as when ready (what `health > status.txt` keeps); the
    // failure, one line, on standard error.
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Lagging)))
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["health"]).await;
    assert_eq!(run.exit_code, 69, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "store: unhealthy: replica lag 40s\nlive: yes\nready: no\n"
    );
    assert_eq!(run.stderr, "error: not ready\n");
}

#[tokio::test]
async fn core_builder_health_json_not_ready_prints_and_fails_bad() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Lagging)))
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["health", "--json"]).await;
    assert_eq!(run.exit_code, 69, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "{\"live\":true,\"ready\":false,\"services\":[{\"health\":\"unhealthy\",\"name\":\"store\",\"reason\":\"replica lag 40s\"}]}\n"
    );
    assert!(run.stderr.contains("not ready"), "{}", run.stderr);
}

// ---- CoreBuilder::build ----

#[test]
fn core_builder_build_wires_every_registry_good() {
    let core = Core::builder()
        .action(create_workspace())
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]),
        )
        .command(
            "cache/flush",
            Command::new().action(|_, _| async { Ok(Value::Null) }),
        )
        .service(|_| Ok(Registration::new("cache", Cache)))
        .build()
        .unwrap();
    assert_eq!(core.registry("services"), Some(vec!["cache".to_owned()]));
    assert_eq!(
        core.registry("actions"),
        Some(vec!["workspace.create".to_owned()])
    );
    assert_eq!(
        core.registry("tasks"),
        Some(vec!["nightly.index".to_owned()])
    );
    assert!(
        core.registry("commands")
            .unwrap()
            .contains(&"cache/flush".to_owned())
    );
}

#[test]
fn core_builder_build_stops_at_the_first_failing_factory_bad() {
    let later = Arc::new(AtomicBool::new(false));
    let called = Arc::clone(&later);
    Core::builder()
        .service(|_| Err(Error::new("config.Config.load", "config.toml missing")))
        .service(move |_| {
            called.store(true, Ordering::SeqCst);
            Ok(Registration::new("store", Hooks::new()))
        })
        .build()
        .unwrap_err();
    assert!(!later.load(Ordering::SeqCst));
}

#[test]
fn core_builder_build_thousand_services_ugly() {
    let mut builder = Core::builder();
    for i in 0..1000 {
        builder =
            builder.service(move |_| Ok(Registration::new(format!("shard-{i}"), Hooks::new())));
    }
    let core = builder.build().unwrap();
    assert_eq!(core.services().names().len(), 1000);
}

// ---- Core::app ----

#[test]
fn core_app_good() {
    let core = Core::builder()
        .name("workbench")
        .version("0.3.1")
        .description("workspaces, indexed")
        .build()
        .unwrap();
    let app = core.app();
    assert_eq!(
        (
            app.name.as_str(),
            app.version.as_str(),
            app.description.as_str()
        ),
        ("workbench", "0.3.1", "workspaces, indexed")
    );
}

#[test]
fn core_app_unset_is_empty_bad() {
    let core = Core::builder().build().unwrap();
    assert!(core.app().name.is_empty() && core.app().description.is_empty());
}

#[test]
fn core_app_shared_by_clones_ugly() {
    let core = Core::builder().name("workbench").build().unwrap();
    let clone = core.clone();
    assert!(std::ptr::eq(core.app(), clone.app()));
}

// ---- Core::options ----

#[test]
fn core_options_good() {
    let core = Core::builder()
        .options(options! { "index.threads" => 4 })
        .build()
        .unwrap();
    assert_eq!(core.options().int("index.threads"), Some(4));
}

#[test]
fn core_options_missing_key_bad() {
    let core = Core::builder()
        .options(options! { "index.threads" => 4 })
        .build()
        .unwrap();
    assert_eq!(core.options().string("workspace.root"), None);
}

#[test]
fn core_options_wrong_type_is_none_ugly() {
    let core = Core::builder()
        .options(options! { "index.threads" => "four" })
        .build()
        .unwrap();
    assert_eq!(core.options().int("index.threads"), None);
}

// ---- Core::registry ----

#[test]
fn core_registry_every_named_registry_good() {
    let core = Core::builder()
        .action(create_workspace())
        .task(
            "nightly.index",
            TaskDef::new(vec![Step::run("workspace.create")]),
        )
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    for name in ["services", "actions", "tasks", "commands"] {
        assert!(core.registry(name).is_some(), "{name}");
    }
}

#[test]
fn core_registry_unknown_is_none_bad() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.registry("drives"), None);
}

#[test]
fn core_registry_name_is_exact_ugly() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.registry("Services"), None);
    assert_eq!(core.registry(" services"), None);
    assert_eq!(core.registry(""), None);
}

#[test]
fn core_registry_two_cores_are_separate_ugly() {
    let first = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .action(create_workspace())
        .build()
        .unwrap();
    let second = Core::builder()
        .service(|_| Ok(Registration::new("cache", Hooks::new())))
        .build()
        .unwrap();
    assert_eq!(first.registry("services"), Some(vec!["store".to_owned()]));
    assert_eq!(second.registry("services"), Some(vec!["cache".to_owned()]));
    assert_eq!(second.registry("actions"), Some(Vec::new()));
}

// ---- Core::query_all ----

struct Workspaces;
impl Query for Workspaces {
    type Answer = Vec<&'static str>;
}

#[test]
fn core_query_all_collects_every_answer_in_order_good() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    core.bus().on_query(|_, _: &Workspaces| None);
    core.bus()
        .on_query(|_, _: &Workspaces| Some(Ok(vec!["beta", "gamma"])));
    let answers: Vec<_> = core
        .query_all(&Workspaces)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(answers, [vec!["alpha"], vec!["beta", "gamma"]]);
}

#[test]
fn core_query_all_keeps_a_failure_beside_the_answers_bad() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_query(|_, _: &Workspaces| Some(Err(Error::new("store.list", "disk detached"))));
    core.bus()
        .on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    let answers = core.query_all(&Workspaces).unwrap();
    assert_eq!(answers[0].as_ref().unwrap_err().message(), "disk detached");
    assert_eq!(answers[1].as_ref().unwrap(), &vec!["alpha"]);
}

#[test]
fn core_query_all_without_handlers_is_empty_ugly() {
    let core = Core::builder().build().unwrap();
    assert!(core.query_all(&Workspaces).unwrap().is_empty());
}

// ---- Core::task ----

#[test]
fn core_task_returns_its_definition_good() {
    let core = Core::builder()
        .task(
            "deploy",
            TaskDef::new(vec![Step::run("git.pull"), Step::run("index.build")])
                .description("pull and reindex"),
        )
        .build()
        .unwrap();
    let def = core.task("deploy").unwrap();
    assert_eq!(def.description, "pull and reindex");
    assert_eq!(def.steps.len(), 2);
}

#[test]
fn core_task_unknown_name_is_none_bad() {
    let core = Core::builder().build().unwrap();
    assert!(core.task("deploy").is_none());
}

#[test]
fn core_task_glob_is_not_a_name_ugly() {
    let core = Core::builder()
        .task("deploy.web", TaskDef::new(vec![Step::run("git.pull")]))
        .build()
        .unwrap();
    assert!(core.task("deploy.*").is_none());
}

// ---- Core::service ----

#[test]
fn core_service_typed_good() {
    let core = Core::builder()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Store {
                    root: "/srv/store".to_owned(),
                },
            ))
        })
        .build()
        .unwrap();
    let store: Arc<Store> = core.service("store").unwrap();
    assert_eq!(store.root, "/srv/store");
}

#[test]
fn core_service_wrong_type_is_none_bad() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("cache", Cache)))
        .build()
        .unwrap();
    assert!(core.service::<Store>("cache").is_none());
}

#[test]
fn core_service_unknown_name_is_none_ugly() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("cache", Cache)))
        .build()
        .unwrap();
    assert!(core.service::<Cache>("").is_none());
    assert!(core.service::<Cache>("Cache").is_none());
}

// ---- Core::services ----

#[tokio::test]
async fn core_services_start_and_stop_through_the_core_good() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    assert!(core.services().health().await.ready);
    core.shutdown().await.unwrap();
    assert!(!core.services().health().await.live);
}

#[test]
fn core_services_of_an_empty_core_bad() {
    let core = Core::builder().build().unwrap();
    assert!(core.services().names().is_empty());
    assert!(core.services().get::<Hooks<Core>>("store").is_none());
}

#[test]
fn core_services_shared_by_clones_ugly() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    let clone = core.clone();
    assert_eq!(clone.services().names(), core.services().names());
    assert!(std::ptr::eq(core.app(), clone.app()));
}

// ---- Core::cli ----

#[tokio::test]
async fn core_cli_health_reports_every_service_good() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.exit_code(), 0);
    insta::assert_snapshot!(outcome.value().unwrap().as_str().unwrap());
}

#[tokio::test]
async fn core_cli_health_before_start_is_unavailable_bad() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.exit_code(), 69);
    // (The report went to standard output.)
    assert_eq!(outcome.stderr(), "error: not ready\n");
}

#[tokio::test]
async fn core_cli_health_escapes_a_reasons_controls_ugly() {
    // What a backend answered, in a reason: no terminal title, no forged "ready" line.
    let core = Core::builder()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_health(|_| async {
                    Health::Degraded("db said: \u{1b}]0;owned\u{7}\nready: yes".into())
                }),
            ))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(
        outcome.value().unwrap().as_str().unwrap(),
        "store: degraded: db said: \\u{1b}]0;owned\\u{7}\\u{a}ready: yes\nlive: yes\nready: yes"
    );
}

#[tokio::test]
async fn core_cli_unknown_command_is_a_usage_error_ugly() {
    let core = Core::builder().name("workbench").build().unwrap();
    let outcome = core.cli().run(core.clone(), ["workspace", "create"]).await;
    assert_eq!(outcome.exit_code(), 2);
}

// ---- Core::log ----

#[test]
fn core_log_writes_to_the_cores_output_good() {
    let sink = MemorySink::new();
    let core = Core::builder().logger(sink_logger(&sink)).build().unwrap();
    core.log()
        .in_scope(|| corers::log::warn!(core.log(), service = "store", "disk almost full"));
    assert!(sink.contents().contains("disk almost full service=store"));
}

#[test]
fn core_log_debug_filtered_at_info_bad() {
    let sink = MemorySink::new();
    let logger = Logger::builder()
        .output(Output::Memory(sink.clone()))
        .build();
    let core = Core::builder().logger(logger).build().unwrap();
    corers::log::debug!(core.log(), "resolved command workspace/create");
    assert_eq!(sink.contents(), "");
}

#[test]
fn core_log_two_cores_write_to_their_own_sinks_ugly() {
    let (first_sink, second_sink) = (MemorySink::new(), MemorySink::new());
    let first = Core::builder()
        .name("workbench")
        .logger(sink_logger(&first_sink))
        .build()
        .unwrap();
    let second = Core::builder()
        .name("homelab")
        .logger(sink_logger(&second_sink))
        .build()
        .unwrap();
    corers::log::info!(first.log(), "workbench started");
    second
        .log()
        .in_scope(|| corers::log::info!(second.log(), "homelab started"));
    assert!(first_sink.contents().contains("workbench started"));
    assert!(!first_sink.contents().contains("homelab"));
    assert!(second_sink.contents().contains("homelab started"));
    assert!(!second_sink.contents().contains("workbench"));
}

// ---- ServiceRuntime ----

#[derive(Debug)]
struct IndexerOptions {
    threads: usize,
    root: &'static str,
}

struct Indexer {
    runtime: ServiceRuntime<IndexerOptions>,
}

impl Service<Core> for Indexer {}

#[test]
fn service_runtime_new_inside_a_factory_good() {
    let core = Core::builder()
        .name("workbench")
        .service(|core| {
            let runtime = ServiceRuntime::new(
                core,
                IndexerOptions {
                    threads: 4,
                    root: "/srv/index",
                },
            );
            Ok(Registration::new("indexer", Indexer { runtime }))
        })
        .build()
        .unwrap();
    let indexer = core.service::<Indexer>("indexer").unwrap();
    assert_eq!(indexer.runtime.options().threads, 4);
    assert_eq!(indexer.runtime.core().unwrap().app().name, "workbench");
}

#[test]
fn service_runtime_new_options_are_not_the_cores_options_bad() {
    let core = Core::builder()
        .options(options! { "index.threads" => 8 })
        .build()
        .unwrap();
    let runtime = ServiceRuntime::new(
        &core,
        IndexerOptions {
            threads: 4,
            root: "/srv/index",
        },
    );
    assert_eq!(runtime.options().threads, 4);
    assert_eq!(
        runtime.core().unwrap().options().int("index.threads"),
        Some(8)
    );
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Watcher {
    _runtime: ServiceRuntime<DropFlag>,
}

impl Service<Core> for Watcher {}

#[test]
fn service_runtime_new_kept_by_a_service_lets_the_core_drop_ugly() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let core = Core::builder()
        .service(move |core| {
            let runtime = ServiceRuntime::new(core, DropFlag(flag));
            Ok(Registration::new("watcher", Watcher { _runtime: runtime }))
        })
        .build()
        .unwrap();
    drop(core);
    assert!(dropped.load(Ordering::SeqCst), "the Core was never dropped");
}

#[test]
fn service_runtime_new_unit_options_ugly() {
    let core = Core::builder().name("workbench").build().unwrap();
    let runtime = ServiceRuntime::new(&core, ());
    assert_eq!(runtime.options(), &());
    assert!(format!("{runtime:?}").starts_with("ServiceRuntime { options: ()"));
}

#[test]
fn service_runtime_core_is_the_same_core_good() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    let runtime = ServiceRuntime::new(&core, ());
    assert!(std::ptr::eq(runtime.core().unwrap().app(), core.app()));
}

#[test]
fn service_runtime_core_of_another_core_sees_its_services_only_bad() {
    let first = Core::builder()
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .build()
        .unwrap();
    let second = Core::builder().build().unwrap();
    let runtime = ServiceRuntime::new(&second, ());
    assert_eq!(first.services().names(), ["store"]);
    assert!(runtime.core().unwrap().services().names().is_empty());
}

#[test]
fn service_runtime_core_shared_by_clones_ugly() {
    let core = Core::builder().build().unwrap();
    let runtime = ServiceRuntime::new(&core, 1u8);
    let clone = runtime.clone();
    assert!(std::ptr::eq(
        runtime.core().unwrap().app(),
        clone.core().unwrap().app()
    ));
}

#[test]
fn service_runtime_options_good() {
    let runtime = ServiceRuntime::new(
        &Core::builder().build().unwrap(),
        IndexerOptions {
            threads: 4,
            root: "/srv/index",
        },
    );
    assert_eq!(runtime.options().root, "/srv/index");
}

#[test]
fn service_runtime_options_debug_shows_them_bad() {
    let runtime = ServiceRuntime::new(
        &Core::builder().build().unwrap(),
        IndexerOptions {
            threads: 4,
            root: "/srv/index",
        },
    );
    assert_eq!(
        format!("{runtime:?}"),
        r#"ServiceRuntime { options: IndexerOptions { threads: 4, root: "/srv/index" }, .. }"#
    );
}

#[test]
fn service_runtime_options_shared_by_clones_ugly() {
    let runtime = ServiceRuntime::new(
        &Core::builder().build().unwrap(),
        IndexerOptions {
            threads: 4,
            root: "/srv/index",
        },
    );
    let clone = runtime.clone();
    assert!(std::ptr::eq(runtime.options(), clone.options()));
}

#[test]
fn service_runtime_core_after_the_core_dropped_unavailable_bad() {
    let core = Core::builder().name("workbench").build().unwrap();
    let runtime = ServiceRuntime::new(&core, ());
    drop(core);
    let err = runtime.core().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(err.operation(), "corers.ServiceRuntime.core");
}

#[test]
fn core_downgrade_upgrades_while_alive_good() {
    let core = Core::builder().name("workbench").build().unwrap();
    let weak = core.downgrade();
    assert_eq!(weak.upgrade().unwrap().app().name, "workbench");
    assert_eq!(format!("{weak:?}"), "WeakCore { alive: true }");
}

#[test]
fn core_downgrade_after_drop_upgrades_to_none_bad() {
    let core = Core::builder().build().unwrap();
    let weak = core.downgrade();
    drop(core);
    assert!(weak.upgrade().is_none());
    assert_eq!(format!("{weak:?}"), "WeakCore { alive: false }");
}

#[test]
fn core_downgrade_two_handles_share_one_core_ugly() {
    let core = Core::builder().build().unwrap();
    let (first, second) = (core.downgrade(), core.downgrade());
    assert!(std::ptr::eq(
        first.upgrade().unwrap().app(),
        second.upgrade().unwrap().app()
    ));
}

#[test]
fn weak_core_upgrade_keeps_the_core_while_held_good() {
    let core = Core::builder().name("workbench").build().unwrap();
    let weak = core.downgrade();
    let upgraded = weak.upgrade().unwrap();
    drop(core);
    assert_eq!(weak.upgrade().unwrap().app().name, "workbench");
    drop(upgraded);
    assert!(weak.upgrade().is_none());
}

#[test]
fn weak_core_upgrade_of_a_dropped_clone_set_is_none_bad() {
    let core = Core::builder().build().unwrap();
    let clones = vec![core.clone(), core.clone()];
    let weak = core.downgrade();
    drop(core);
    drop(clones);
    assert!(weak.upgrade().is_none());
}

#[test]
fn weak_core_upgrade_of_default_is_none_ugly() {
    assert!(WeakCore::default().upgrade().is_none());
}

#[test]
fn core_downgrade_kept_by_a_command_lets_the_core_drop_ugly() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let core = Core::builder().build().unwrap();
    let weak = core.downgrade();
    core.actions()
        .register(ActionSpec::new("cache.flush", move |_, _| {
            let _keep = (&flag, &weak);
            async { Ok(Value::Null) }
        }))
        .unwrap();
    drop(core);
    assert!(dropped.load(Ordering::SeqCst), "the Core was never dropped");
}

// ---- CoreBuilder::without_builtin ----

#[tokio::test]
async fn core_builder_without_builtin_leaves_the_command_out_good() {
    let core = Core::builder()
        .name("workbench")
        .without_builtin("config")
        .build()
        .unwrap();
    let help = core.cli().help("");
    assert!(
        !help
            .lines()
            .any(|line| line.trim_start().starts_with("config")),
        "{help}"
    );
    let outcome = core.cli().run(core.clone(), ["config"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(core.cli().tree().get("health").is_some());
}

#[test]
fn core_builder_without_builtin_unknown_name_fails_build_bad() {
    let err = Core::builder()
        .without_builtin("confg")
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.to_string()
            .contains("no built-in command \"confg\": the built-ins are config and health"),
        "{err}"
    );
}

#[tokio::test]
async fn core_builder_without_builtin_keeps_the_applications_own_ugly() {
    let core = Core::builder()
        .without_builtin("health")
        .command(
            "health",
            Command::new().action(|_, _| async { Ok(Value::from("all green")) }),
        )
        .build()
        .unwrap();
    let outcome = core.cli().run(core.clone(), ["health"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("all green")));
}
