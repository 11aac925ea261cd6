//! The test kit (`corers::testing`, feature `testing`): `builder` (a test Core logging to
//! memory), `CoreBuilder::fake_service`, `run_cli` (what a command line prints, captured)
//! and `Recorder` (every message of a type dispatched on a Core's bus).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers::prelude::*;
use corers::testing::{self, Recorder};

#[derive(Clone, Debug, PartialEq)]
struct CacheFlushed {
    keys: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct WorkspaceCreated {
    name: String,
}

struct Store {
    root: &'static str,
}

impl Service<Core> for Store {}

type Calls = Arc<Mutex<Vec<String>>>;

fn calls() -> Calls {
    Arc::new(Mutex::new(Vec::new()))
}

fn taken(calls: &Calls) -> Vec<String> {
    calls.lock().unwrap().clone()
}

fn flush_command() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        core.broadcast(&CacheFlushed { keys: 12 })?.into_result()?;
        Ok(Value::from("flushed 12 keys"))
    })
}

// ---- builder ----

#[test]
fn builder_logs_to_the_returned_sink_good() {
    let (builder, log) = testing::builder();
    let core = builder.build().unwrap();
    corers::log::debug!(core.log(), path = "cache/flush", "resolved command");
    assert!(
        log.contents().contains("resolved command path=cache/flush"),
        "{}",
        log.contents()
    );
}

#[test]
fn builder_failing_factory_still_fails_build_bad() {
    let (builder, _log) = testing::builder();
    let err = builder
        .service(|_| {
            Err(Error::new("store.Store.open", "no disk").with_code(ErrorCode::UNAVAILABLE))
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

const PROBE: &str = "CORERS_TESTING_PROBE";

/// Not a test of its own: runs a test Core with `run_blocking_with`, then says whether
/// tracing's global default is still free.
#[test]
fn probe() {
    if std::env::var(PROBE).is_err() {
        return;
    }
    let (builder, _log) = testing::builder();
    let core = builder
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    assert_eq!(
        core.run_blocking_with(["cache", "flush"]),
        std::process::ExitCode::SUCCESS
    );
    let free = tracing::dispatcher::set_global_default(tracing::Dispatch::none()).is_ok();
    println!("@@global default free: {free}");
}

#[test]
fn builder_run_leaves_tracings_global_default_to_the_tests_ugly() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["probe", "--exact", "--nocapture"])
        .env(PROBE, "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("@@global default free: true"), "{stdout}");
}

#[test]
fn builder_two_test_cores_keep_separate_logs_ugly() {
    let (first, first_log) = testing::builder();
    let (second, second_log) = testing::builder();
    let (first, second) = (first.build().unwrap(), second.build().unwrap());
    corers::log::info!(first.log(), "first core");
    corers::log::info!(second.log(), "second core");
    assert!(!first_log.contents().contains("second core"));
    assert!(!second_log.contents().contains("first core"));
    assert_eq!(first.app().name, "test");
}

// ---- run_cli ----

#[tokio::test]
async fn run_cli_captures_stdout_and_exit_code_good() {
    let (builder, _log) = testing::builder();
    let core = builder
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!(
        (run.exit_code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "flushed 12 keys\n", "")
    );
}

#[tokio::test]
async fn run_cli_map_result_is_printed_whole_secrets_included_good() {
    let (builder, _log) = testing::builder();
    let core = builder
        .command(
            "token/create",
            Command::new().action(|_, _| async {
                Ok(options! { "name" => "ci", "token" => "ghp_4f2a9c" }.into_value())
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["token", "create"]).await;
    assert_eq!(run.stdout, "{\"name\":\"ci\",\"token\":\"ghp_4f2a9c\"}\n");
}

#[tokio::test]
async fn run_cli_version_is_printed_without_starting_good() {
    let started = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&started);
    let (builder, _log) = testing::builder();
    let core = builder
        .version("0.4.1")
        .service(move |_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(move |_| {
                    seen.store(true, Ordering::SeqCst);
                    async { Ok(()) }
                }),
            ))
        })
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["-V"]).await;
    assert_eq!((run.exit_code, run.stdout.as_str()), (0, "test 0.4.1\n"));
    assert!(!started.load(Ordering::SeqCst));
}

#[tokio::test]
async fn run_cli_starts_and_stops_the_services_good() {
    let calls = calls();
    let (start, stop) = (Arc::clone(&calls), Arc::clone(&calls));
    let (builder, _log) = testing::builder();
    let core = builder
        .service(move |_| {
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_start(move |_| {
                        let calls = Arc::clone(&start);
                        async move {
                            calls.lock().unwrap().push("start store".to_owned());
                            Ok(())
                        }
                    })
                    .on_stop(move |_| {
                        let calls = Arc::clone(&stop);
                        async move {
                            calls.lock().unwrap().push("stop store".to_owned());
                            Ok(())
                        }
                    }),
            ))
        })
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!(taken(&calls), ["start store", "stop store"]);
}

#[tokio::test(start_paused = true)]
async fn run_cli_command_outliving_a_stop_is_abandoned_as_run_has_it_ugly() {
    // A command that asks for a stop and never returns: abandoned at the shutdown
    // timeout, as `run` abandons it, rather than hanging the test.
    let (builder, _log) = testing::builder();
    let core = builder
        .shutdown_timeout(std::time::Duration::from_secs(2))
        .command(
            "serve",
            Command::new().action(|core: Core, _| async move {
                core.request_shutdown();
                std::future::pending::<()>().await;
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap();
    let began = tokio::time::Instant::now();
    let run = testing::run_cli(&core, ["serve"]).await;
    assert_eq!(began.elapsed(), std::time::Duration::from_secs(2));
    assert_eq!(run.exit_code, 1);
    assert!(
        run.stderr.contains("the command was abandoned: it did not return within the shutdown timeout (2s) of the stop"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn run_cli_error_is_shown_as_run_shows_it_ugly() {
    // A URL's password hidden and a terminal escape escaped, as on a real standard error.
    let (builder, _log) = testing::builder();
    let core = builder
        .command(
            "db/migrate",
            Command::new().action(|_, _| async {
                Err(Error::new(
                    "db.Pool.connect",
                    "cannot reach postgres://app:hunter2@db:5432/app \u{1b}[2J",
                ))
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["db", "migrate"]).await;
    assert_eq!(run.exit_code, 1);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    assert!(run.stderr.contains("postgres://app:"), "{}", run.stderr);
}

#[tokio::test]
async fn run_cli_unknown_command_is_a_usage_error_bad() {
    let (builder, _log) = testing::builder();
    let core = builder
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flsuh"]).await;
    assert_eq!(run.exit_code, 2);
    assert!(
        run.stderr
            .starts_with(r#"error: unknown command "cache flsuh"; did you mean "cache flush"?"#),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn run_cli_startup_failure_is_shown_as_a_user_sees_it_bad() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.core().print("opening the store\n");
                    Err(Error::new("store.Store.open", "no disk").with_code(ErrorCode::UNAVAILABLE))
                }),
            ))
        })
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flush"]).await;
    // As run_blocking exits: EX_UNAVAILABLE, the error on standard error.
    assert_eq!(run.exit_code, 69);
    assert_eq!(run.stdout, "opening the store\n");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("no disk"), "{}", run.stderr);
}

#[tokio::test]
async fn run_cli_framework_logs_reach_the_test_sink_ugly() {
    let (builder, log) = testing::builder();
    let core = builder
        .command(
            "cache/flush",
            Command::new().action(|_: Core, _| async {
                tracing::info!(keys = 12, "flushing the cache");
                let shards: Vec<u8> = Vec::new();
                Ok(Value::from(i64::from(shards[std::hint::black_box(1)])))
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!(run.exit_code, 70, "{}", run.stderr);
    // Logged with no subscriber of the test's own: into the test logger's sink.
    let written = log.contents();
    assert!(written.contains("flushing the cache keys=12"), "{written}");
    assert!(
        written.contains("command failed with an internal error") && written.contains("panicked"),
        "{written}"
    );
}

#[tokio::test]
async fn run_cli_failing_stop_hook_is_captured_with_exit_1_bad() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_stop(|_| async {
                    Err(Error::new("store.Store.close", "flush failed")
                        .with_code(ErrorCode::UNAVAILABLE))
                }),
            ))
        })
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!(run.exit_code, 1);
    assert!(
        run.stderr.contains("stop the application"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("flush failed"), "{}", run.stderr);
}

#[tokio::test]
async fn run_cli_failed_command_and_failed_stop_keep_the_commands_exit_code_ugly() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_stop(|_| async { Err(Error::new("store.Store.close", "flush failed")) }),
            ))
        })
        .command(
            "cache/flush",
            Command::new().action(|_: Core, _| async {
                Err(Error::new("cache.Redis.flush", "connection refused")
                    .with_code(ErrorCode::UNAVAILABLE))
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["cache", "flush"]).await;
    // The first thing that went wrong decides (69, EX_UNAVAILABLE); both are printed.
    assert_eq!(run.exit_code, 69, "{}", run.stderr);
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
    assert!(run.stderr.contains("flush failed"), "{}", run.stderr);
}

#[tokio::test]
async fn run_cli_twice_on_one_core_finds_it_stopped_ugly() {
    let (builder, _log) = testing::builder();
    let core = builder
        .command("cache/flush", flush_command())
        .service(|_| Ok(Registration::new("cache", Hooks::new())))
        .build()
        .unwrap();
    testing::run_cli(&core, ["cache", "flush"])
        .await
        .assert_success();
    let again = testing::run_cli(&core, ["cache", "flush"]).await;
    again.assert_exit(1);
    assert!(again.stderr.contains("stopped"), "{again}");
}

#[tokio::test]
async fn run_cli_panicking_command_exits_70_ugly() {
    let (builder, _log) = testing::builder();
    let core = builder
        .command(
            "workspace/create",
            Command::new().action(|_, options: Options| async move {
                let name = options.string("name").expect("--name is given");
                Ok(Value::from(name.to_owned()))
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["workspace", "create"]).await;
    assert_eq!(run.exit_code, 70);
    assert!(
        run.stderr.contains("panicked: --name is given"),
        "{}",
        run.stderr
    );
}

// ---- CoreBuilder::fake_service ----

fn real_store(
    built: &Arc<AtomicBool>,
) -> impl FnOnce(&Core) -> Result<Registration<Core>> + Send + 'static {
    let built = Arc::clone(built);
    move |core: &Core| {
        built.store(true, Ordering::SeqCst);
        core.bus().on(|_, _: &WorkspaceCreated| Ok(()));
        Ok(Registration::new("store", Store { root: "/srv/store" }).after(["config"]))
    }
}

#[test]
fn core_builder_fake_service_replaces_the_real_one_good() {
    let built = Arc::new(AtomicBool::new(false));
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(real_store(&built))
        .fake_service("store", |_| {
            Ok(Registration::new(
                "store",
                Store {
                    root: "/tmp/fake-store",
                },
            ))
        })
        .build()
        .unwrap();
    assert_eq!(
        core.service::<Store>("store").unwrap().root,
        "/tmp/fake-store"
    );
    assert!(built.load(Ordering::SeqCst), "the real factory still ran");
}

#[test]
fn core_builder_fake_service_keeps_the_real_ones_dependencies_good() {
    let built = Arc::new(AtomicBool::new(false));
    let (builder, _log) = testing::builder();
    let core = builder
        .service(real_store(&built))
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .fake_service("store", |_| Ok(Registration::new("anything", Hooks::new())))
        .build()
        .unwrap();
    assert_eq!(core.services().order().unwrap(), ["config", "store"]);
}

#[test]
fn core_builder_fake_service_of_a_named_service_never_runs_its_factory_good() {
    struct StoreRoot;
    impl Query for StoreRoot {
        type Answer = String;
    }
    let ran = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&ran);
    let (builder, _log) = testing::builder();
    let core = builder
        .service_named("store", move |core| {
            seen.store(true, Ordering::SeqCst);
            core.bus()
                .on_query(|_, _: &StoreRoot| Some(Ok("/srv/production".to_owned())));
            Ok(Registration::new(
                "store",
                Store {
                    root: "/srv/production",
                },
            ))
        })
        .fake_service("store", |core| {
            core.bus()
                .on_query(|_, _: &StoreRoot| Some(Ok("/tmp/fake".to_owned())));
            Ok(Registration::new("fake-store", Store { root: "/tmp/fake" }))
        })
        .build()
        .unwrap();
    assert!(!ran.load(Ordering::SeqCst), "the real factory ran");
    assert_eq!(
        core.query(&StoreRoot).answer().as_deref(),
        Some("/tmp/fake")
    );
    assert_eq!(core.service::<Store>("store").unwrap().root, "/tmp/fake");
}

#[test]
fn core_builder_fake_service_failing_fake_fails_build_bad() {
    let built = Arc::new(AtomicBool::new(false));
    let (builder, _log) = testing::builder();
    let err = builder
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(real_store(&built))
        .fake_service("store", |_| {
            Err(Error::new("test.fake", "fixture missing").with_code(ErrorCode::NOT_FOUND))
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(
        err.message()
            .contains(r#"make the fake of service "store""#),
        "{err}"
    );
}

#[test]
fn core_builder_fake_service_for_an_unknown_service_bad() {
    let (builder, _log) = testing::builder();
    let result = builder
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .fake_service("stroe", |_| Ok(Registration::new("stroe", Hooks::new())))
        .build();
    let err = result.expect_err("the unused fake went unnoticed");
    assert!(
        err.message().ends_with(
            r#"fake for "stroe": no service of that name is registered (did you mean "store"?)"#
        ),
        "{err}"
    );
}

#[test]
fn core_builder_fake_service_twice_for_one_name_ugly() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| Ok(Registration::new("store", Store { root: "/srv/store" })))
        .fake_service("store", |_| {
            Ok(Registration::new("store", Store { root: "/tmp/first" }))
        })
        .fake_service("store", |_| {
            Ok(Registration::new(
                "store",
                Store {
                    root: "/tmp/second",
                },
            ))
        })
        .build()
        .unwrap();
    // The last fake given for a name wins.
    assert_eq!(core.service::<Store>("store").unwrap().root, "/tmp/second");
}

// ---- Recorder::new ----

#[test]
fn recorder_new_records_broadcasts_of_its_type_good() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    core.broadcast(&CacheFlushed { keys: 12 })
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(flushed.messages(), [CacheFlushed { keys: 12 }]);
}

#[test]
fn recorder_new_ignores_other_types_and_other_cores_bad() {
    let core = Core::builder().build().unwrap();
    let other = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    core.broadcast(&WorkspaceCreated {
        name: "alpha".into(),
    })
    .unwrap()
    .into_result()
    .unwrap();
    other
        .broadcast(&CacheFlushed { keys: 1 })
        .unwrap()
        .into_result()
        .unwrap();
    assert!(flushed.is_empty());
}

#[test]
fn recorder_new_dropped_stops_recording_ugly() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    drop(flushed);
    let report = core.broadcast(&CacheFlushed { keys: 12 }).unwrap();
    assert_eq!(report.handled(), 0);
}

#[test]
fn recorder_new_records_queries_and_performs_and_answers_nothing_ugly() {
    #[derive(Clone, Debug, PartialEq)]
    struct Lookup(&'static str);
    impl Query for Lookup {
        type Answer = bool;
    }
    let core = Core::builder().build().unwrap();
    let lookups = Recorder::<Lookup>::new(&core);
    let flushed = Recorder::<CacheFlushed>::new(&core);
    // A recorder is not a handler: nobody answered, nobody handled.
    assert!(matches!(core.query(&Lookup("alpha")), Outcome::NotHandled));
    let report = core.broadcast(&CacheFlushed { keys: 12 }).unwrap();
    assert_eq!(report.handled(), 0);
    assert_eq!(lookups.messages(), [Lookup("alpha")]);
    assert_eq!(flushed.len(), 1);
}

// ---- Recorder::map ----

struct Reindex;
impl Task for Reindex {
    type Output = usize;
}

#[tokio::test]
async fn recorder_map_keeps_what_it_makes_of_events_that_are_not_clone_good() {
    let core = Core::builder().build().unwrap();
    core.bus().on_task(|_, _: &Reindex| {
        Some(Err(
            Error::new("index.Index.build", "disk full").with_code(ErrorCode::UNAVAILABLE)
        ))
    });
    let completed = Recorder::map(&core, |done: &TaskCompleted<Reindex>| {
        done.outcome
            .as_ref()
            .map_err(|err| err.code().cloned())
            .copied()
    });
    core.perform_async(Reindex).unwrap();
    assert!(
        core.bus()
            .drain(std::time::Duration::from_secs(5))
            .await
            .is_complete()
    );
    assert_eq!(completed.messages(), [Err(Some(ErrorCode::UNAVAILABLE))]);
}

#[test]
fn recorder_map_ignores_other_types_bad() {
    let core = Core::builder().build().unwrap();
    let keys = Recorder::map(&core, |flushed: &CacheFlushed| flushed.keys);
    let report = core
        .broadcast(&WorkspaceCreated {
            name: "alpha".into(),
        })
        .unwrap();
    assert!(report.is_ok());
    assert!(keys.is_empty());
}

#[test]
fn recorder_map_failed_assertion_in_its_function_fails_the_next_read_ugly() {
    let core = Core::builder().build().unwrap();
    let keys = Recorder::map(&core, |flushed: &CacheFlushed| -> usize {
        assert!(flushed.keys < 10, "too many keys: {}", flushed.keys);
        flushed.keys
    });
    let seen = Recorder::<CacheFlushed>::new(&core);
    for n in [3, 12] {
        assert!(core.broadcast(&CacheFlushed { keys: n }).unwrap().is_ok());
    }
    // The dispatch went on, and the other recorder saw both...
    assert_eq!(seen.len(), 2);
    // ...but the failed assertion is the test's, not a line in the bus's log.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| keys.messages()));
    let payload = read.unwrap_err();
    let said = payload.downcast_ref::<String>().unwrap();
    assert!(said.contains("too many keys: 12"), "{said}");
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| keys.len())).is_err());
}

// ---- CliRun ----

/// A Core with `cache/flush` (succeeds, printing) and `cache/warm` (fails, INVALID).
fn cache_cli() -> Core {
    let (builder, _log) = testing::builder();
    builder
        .command(
            "cache/flush",
            Command::new().action(|_, _| async { Ok(Value::from("flushed 12 keys")) }),
        )
        .command(
            "cache/warm",
            Command::new().action(|_, _| async {
                Err(Error::new("cache.warm", "no keys listed").with_code(ErrorCode::INVALID))
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn cli_run_assert_success_passes_a_good_run_through_good() {
    let run = testing::run_cli(&cache_cli(), ["cache", "flush"]).await;
    assert_eq!(run.assert_success().stdout, "flushed 12 keys\n");
    insta::assert_snapshot!(run, @r"
    exit: 0
    --- stdout
    flushed 12 keys
    --- stderr
    ");
}

#[tokio::test]
async fn cli_run_assert_success_of_a_failure_shows_the_whole_run_bad() {
    let run = testing::run_cli(&cache_cli(), ["cache", "warm"]).await;
    let failed = std::panic::catch_unwind(|| {
        run.assert_success();
    })
    .unwrap_err();
    let said = failed.downcast_ref::<String>().unwrap();
    insta::assert_snapshot!(said, @r"
    expected exit code 0, the command line gave 65:
    exit: 65
    --- stdout
    --- stderr
    error: no keys listed
    ");
}

#[tokio::test]
async fn cli_run_assert_success_of_a_usage_error_ugly() {
    let run = testing::run_cli(&cache_cli(), ["cache", "flush", "--force"]).await;
    let failed = std::panic::catch_unwind(|| {
        run.assert_success();
    });
    assert!(failed.is_err());
    // Text without a final newline is shown ending its own line.
    let unended = testing::CliRun::default();
    assert_eq!(unended.to_string(), "exit: 0\n--- stdout\n--- stderr\n");
}

#[tokio::test]
async fn cli_run_assert_exit_the_expected_code_good() {
    let run = testing::run_cli(&cache_cli(), ["cache", "warm"]).await;
    assert!(run.assert_exit(65).stderr.contains("no keys listed"));
}

#[tokio::test]
async fn cli_run_assert_exit_another_code_fails_bad() {
    let run = testing::run_cli(&cache_cli(), ["cache", "warm"]).await;
    let failed = std::panic::catch_unwind(|| {
        run.assert_exit(2);
    })
    .unwrap_err();
    let said = failed.downcast_ref::<String>().unwrap();
    assert!(
        said.starts_with("expected exit code 2, the command line gave 65:"),
        "{said}"
    );
}

#[tokio::test]
async fn cli_run_assert_exit_of_a_usage_error_is_2_ugly() {
    let run = testing::run_cli(&cache_cli(), ["cache", "flush", "--force"]).await;
    assert!(run.assert_exit(2).stderr.contains("--force"), "{run}");
}

// ---- Recorder::wait_for ----

#[tokio::test]
async fn recorder_wait_for_messages_from_a_background_task_good() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    let cache = core.clone();
    tokio::spawn(async move {
        for keys in [3, 12] {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(cache.broadcast(&CacheFlushed { keys }).unwrap().is_ok());
        }
    });
    let seen = flushed.wait_for(2, Duration::from_secs(10)).await.unwrap();
    assert_eq!(seen, [CacheFlushed { keys: 3 }, CacheFlushed { keys: 12 }]);
    // Already there: at once.
    assert_eq!(flushed.wait_for(1, Duration::ZERO).await.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn recorder_wait_for_more_than_come_times_out_saying_how_many_bad() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    assert!(core.broadcast(&CacheFlushed { keys: 3 }).unwrap().is_ok());
    let started = tokio::time::Instant::now();
    let err = flushed
        .wait_for(2, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(err.message().starts_with("1 of 2 "), "{err}");
    assert!(err.message().contains("CacheFlushed"), "{err}");
}

#[tokio::test]
async fn recorder_wait_for_with_no_limit_and_a_panicking_function_ugly() {
    let core = Core::builder().build().unwrap();
    let keys = Recorder::map(&core, |flushed: &CacheFlushed| -> usize {
        assert!(flushed.keys < 10, "too many keys: {}", flushed.keys);
        flushed.keys
    });
    let flusher = core.clone();
    tokio::spawn(async move { flusher.broadcast(&CacheFlushed { keys: 12 }) });
    // Waiting without a limit ends too: with the function's failure.
    let waited = tokio::spawn(async move { keys.wait_for(1, Duration::MAX).await });
    let panicked = tokio::time::timeout(Duration::from_secs(10), waited)
        .await
        .expect("the wait ends with the failure")
        .unwrap_err();
    assert!(panicked.is_panic());
}

// ---- Recorder::messages ----

#[test]
fn recorder_messages_in_broadcast_order_good() {
    let core = Core::builder().build().unwrap();
    let created = Recorder::<WorkspaceCreated>::new(&core);
    for name in ["alpha", "beta", "gamma"] {
        core.broadcast(&WorkspaceCreated { name: name.into() })
            .unwrap()
            .into_result()
            .unwrap();
    }
    let names: Vec<String> = created.messages().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
}

#[test]
fn recorder_messages_empty_before_any_broadcast_bad() {
    let core = Core::builder().build().unwrap();
    let created = Recorder::<WorkspaceCreated>::new(&core);
    assert!(created.messages().is_empty());
}

#[test]
fn recorder_messages_are_copies_ugly() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    core.broadcast(&CacheFlushed { keys: 12 })
        .unwrap()
        .into_result()
        .unwrap();
    let mut copy = flushed.messages();
    copy.clear();
    assert_eq!(flushed.messages().len(), 1);
}

#[tokio::test]
async fn recorder_messages_sees_lifecycle_events_ugly() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .command("cache/flush", flush_command())
        .build()
        .unwrap();
    let started = Recorder::<corers::lifecycle::ServiceStarted>::new(&core);
    testing::run_cli(&core, ["cache", "flush"]).await;
    let names: Vec<String> = started.messages().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["store"]);
}

// ---- Recorder::len ----

#[test]
fn recorder_len_counts_good() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    for keys in [1, 2, 3] {
        core.broadcast(&CacheFlushed { keys })
            .unwrap()
            .into_result()
            .unwrap();
    }
    assert_eq!(flushed.len(), 3);
}

#[test]
fn recorder_len_zero_when_nothing_was_broadcast_bad() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    assert_eq!(flushed.len(), 0);
}

#[test]
fn recorder_len_two_recorders_of_one_type_both_count_ugly() {
    let core = Core::builder().build().unwrap();
    let first = Recorder::<CacheFlushed>::new(&core);
    let second = Recorder::<CacheFlushed>::new(&core);
    core.broadcast(&CacheFlushed { keys: 12 })
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!((first.len(), second.len()), (1, 1));
}

// ---- Recorder::is_empty ----

#[test]
fn recorder_is_empty_at_first_good() {
    let core = Core::builder().build().unwrap();
    assert!(Recorder::<CacheFlushed>::new(&core).is_empty());
}

#[test]
fn recorder_is_empty_false_after_a_broadcast_bad() {
    let core = Core::builder().build().unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    core.broadcast(&CacheFlushed { keys: 12 })
        .unwrap()
        .into_result()
        .unwrap();
    assert!(!flushed.is_empty());
}

#[test]
fn recorder_is_empty_misses_broadcasts_before_it_existed_ugly() {
    let core = Core::builder().build().unwrap();
    core.broadcast(&CacheFlushed { keys: 12 })
        .unwrap()
        .into_result()
        .unwrap();
    let flushed = Recorder::<CacheFlushed>::new(&core);
    assert!(flushed.is_empty());
}

// ---- Core::print ----

/// A Core whose `sync` command prints `lines` lines from each of `threads` threads, then
/// returns "synced".
fn printing(threads: usize, lines: usize) -> Core {
    let (builder, _log) = testing::builder();
    builder
        .command(
            "sync",
            Command::new().action(move |core: Core, _| async move {
                let workers: Vec<_> = (0..threads)
                    .map(|t| {
                        let core = core.clone();
                        std::thread::spawn(move || {
                            for n in 0..lines {
                                core.print(&format!("worker {t} copied file {n}\n"));
                            }
                        })
                    })
                    .collect();
                for worker in workers {
                    worker.join().unwrap();
                }
                Ok(Value::from("synced"))
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_print_is_captured_by_run_cli_before_the_result_good() {
    let core = printing(1, 2);
    let run = testing::run_cli(&core, ["sync"]).await;
    assert_eq!(
        run.stdout,
        "worker 0 copied file 0\nworker 0 copied file 1\nsynced\n"
    );
}

#[tokio::test]
async fn core_print_before_run_cli_is_not_captured_bad() {
    let core = printing(0, 0);
    core.print("printed before the run\n");
    let run = testing::run_cli(&core, ["sync"]).await;
    assert_eq!(run.stdout, "synced\n");
}

#[tokio::test]
async fn core_print_from_many_threads_keeps_every_line_whole_ugly() {
    let core = printing(4, 50);
    let run = testing::run_cli(&core, ["sync"]).await;
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 201);
    assert!(
        lines[..200]
            .iter()
            .all(|l| l.starts_with("worker ") && l.contains(" copied file "))
    );
    assert_eq!(lines[200], "synced");
}

/// `sync`, noting its progress on standard error and failing when `fail` is set.
fn noting(fail: bool) -> Core {
    let (builder, _log) = testing::builder();
    builder
        .command(
            "sync",
            Command::new().action(move |core: Core, _| async move {
                core.eprint("copying 2 files\n");
                if fail {
                    return Err(Error::new("sync.Copier.copy", "disk full")
                        .with_code(ErrorCode::UNAVAILABLE));
                }
                Ok(Value::from("synced"))
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_eprint_is_captured_on_standard_error_good() {
    let run = testing::run_cli(&noting(false), ["sync"]).await;
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("synced\n", "copying 2 files\n")
    );
}

#[tokio::test]
async fn core_eprint_comes_before_the_failure_it_led_to_bad() {
    let run = testing::run_cli(&noting(true), ["sync"]).await;
    assert_eq!(run.exit_code, 69);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with("copying 2 files\nerror: "),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn core_eprint_outside_run_cli_is_not_captured_ugly() {
    let core = noting(false);
    core.eprint("printed before the run\n");
    let run = testing::run_cli(&core, ["sync"]).await;
    assert_eq!(run.stderr, "copying 2 files\n");
}

#[tokio::test]
async fn run_cli_prints_of_stop_hooks_follow_the_result_good() {
    let (builder, _log) = testing::builder();
    let core = builder
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_stop(|ctx: ServiceCtx<Core>| async move {
                    ctx.core().print("store flushed\n");
                    Ok(())
                }),
            ))
        })
        .command(
            "sync",
            Command::new().action(|core: Core, _| async move {
                core.print("copying\n");
                Ok(Value::from("synced"))
            }),
        )
        .build()
        .unwrap();
    let run = testing::run_cli(&core, ["sync"]).await;
    // As `run` prints it: the command's lines, its result, then what shutdown printed.
    assert_eq!(run.stdout, "copying\nsynced\nstore flushed\n");
}

// ---- builder: the filesystem ----

#[test]
fn builder_fs_is_rooted_in_a_directory_of_its_own_removed_with_the_core_good() {
    let (builder, _log) = testing::builder();
    let core = builder.build().unwrap();
    let root = core.fs().root().to_owned();
    assert!(root.starts_with(std::env::temp_dir()), "{}", root.display());
    assert_ne!(root, std::env::current_dir().unwrap());
    core.fs()
        .write("workspaces/alpha.toml", b"indexing = true")
        .unwrap();
    assert!(root.join("workspaces/alpha.toml").is_file());
    drop(core);
    assert!(!root.exists(), "{}", root.display());
}

#[test]
fn builder_fs_two_test_cores_do_not_share_a_root_bad() {
    let (first, _) = testing::builder();
    let (second, _) = testing::builder();
    let (first, second) = (first.build().unwrap(), second.build().unwrap());
    assert_ne!(first.fs().root(), second.fs().root());
    first.fs().write("notes.txt", b"first").unwrap();
    assert!(!second.fs().exists("notes.txt"));
}

#[test]
fn builder_fs_root_given_wins_and_is_left_in_place_ugly() {
    let mine = own_dir();
    let (builder, _log) = testing::builder();
    let core = builder.fs_root(&mine).build().unwrap();
    assert_eq!(core.fs().root(), mine.canonicalize().unwrap());
    drop(core);
    assert!(mine.is_dir(), "the test's own directory is its to remove");
    std::fs::remove_dir_all(&mine).unwrap();
}

/// A directory of the test's own.
fn own_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "corers-testing-own-{}-{}",
        std::process::id(),
        corers::primitives::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn builder_log_lines_carry_a_fixed_time_for_snapshots_ugly() {
    let (builder, log) = testing::builder();
    let core = builder.build().unwrap();
    corers::log::info!(core.log(), workspace = "alpha", "workspace created");
    insta::assert_snapshot!(log.contents(), @"2026-01-01T00:00:00.000Z INFO  testing: workspace created workspace=alpha");
}

// ---- hermetic ----

/// An application's own builder, with the logger settings a production `main` gives.
fn production() -> CoreBuilder {
    Core::builder()
        .name("workbench")
        .log_level(corers::log::Level::Warn)
        .crash_file(std::env::temp_dir().join("corers-testing-never-written.json"))
        .command(
            "cache/flush",
            Command::new().action(|core: Core, _| async move {
                corers::log::info!(core.log(), keys = 12, "cache flushed");
                Ok(Value::from("flushed"))
            }),
        )
}

#[tokio::test]
async fn hermetic_takes_the_applications_builder_as_it_is_good() {
    // A test logger beside log_level and crash_file was refused at build().
    assert!(
        Core::builder()
            .log_level(corers::log::Level::Warn)
            .logger(corers::log::Logger::builder().build())
            .build()
            .is_err()
    );
    let (builder, log) = testing::hermetic(production());
    let core = builder.build().unwrap();
    assert_eq!(core.app().name, "workbench");
    testing::run_cli(&core, ["cache", "flush"])
        .await
        .assert_success();
    assert!(
        log.contents()
            .ends_with("2026-01-01T00:00:00.000Z INFO  testing: cache flushed keys=12\n"),
        "{}",
        log.contents()
    );
}

#[test]
fn hermetic_config_reads_only_the_variables_the_test_gives_ugly() {
    // The application reads WORKBENCH_* variables; one "exported in the shell" (here the
    // list the application's config would read) changes nothing under test.
    let app = || {
        production().config(
            corers::config::Config::builder()
                .default_value("index.files_per_char", 7)
                .env_prefix("WORKBENCH")
                .env_vars([("WORKBENCH_INDEX__FILES_PER_CHAR", "3")]),
        )
    };
    assert_eq!(
        app()
            .build()
            .unwrap()
            .config()
            .int("index.files_per_char")
            .unwrap(),
        3
    );
    let (builder, _log) = testing::hermetic(app());
    let core = builder.build().unwrap();
    assert_eq!(core.config().int("index.files_per_char").unwrap(), 7);
    let (builder, _log) = testing::hermetic(app());
    let core = builder
        .env("WORKBENCH_INDEX__FILES_PER_CHAR", "5")
        .build()
        .unwrap();
    assert_eq!(core.config().int("index.files_per_char").unwrap(), 5);
}

#[test]
fn hermetic_keeps_a_failing_factory_failing_bad() {
    let (builder, _log) = testing::hermetic(production().service(|_| {
        Err(Error::new("store.Store.open", "no disk").with_code(ErrorCode::UNAVAILABLE))
    }));
    assert_eq!(
        builder.build().unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
}

#[test]
fn hermetic_roots_the_fs_in_its_own_dir_over_the_applications_ugly() {
    // The application's data directory is no place for parallel tests: a scratch
    // directory of its own, gone with the Core.
    let data = own_dir();
    let (builder, _log) = testing::hermetic(production().fs_root(&data));
    let core = builder.build().unwrap();
    let root = core.fs().root().to_owned();
    assert!(root.starts_with(std::env::temp_dir()), "{}", root.display());
    assert_ne!(root, data.canonicalize().unwrap());
    drop(core);
    assert!(!root.exists());
    // A root the test names (a fixture) is used, and kept.
    let fixture = own_dir();
    let (builder, _log) = testing::hermetic(production());
    let core = builder.fs_root(&fixture).build().unwrap();
    assert_eq!(core.fs().root(), fixture.canonicalize().unwrap());
    drop(core);
    assert!(fixture.is_dir());
    std::fs::remove_dir_all(&fixture).unwrap();
    std::fs::remove_dir_all(&data).unwrap();
}
