//! The embedding bridge: a host that owns the event loop drives the Core with
//! `Core::startup` / `Core::shutdown`, and services reach the host's value through
//! `Core::host` (set by `CoreBuilder::host`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers::prelude::*;

/// A GUI host's handle: what services reach through `core.host()`.
struct Window {
    title: &'static str,
    shown: Mutex<Vec<String>>,
}

fn window() -> Window {
    Window {
        title: "Workbench",
        shown: Mutex::new(Vec::new()),
    }
}

/// A service that tells the host's window when it starts and stops.
fn notifier(name: &'static str) -> impl FnOnce(&Core) -> Result<Registration<Core>> {
    move |_| {
        Ok(Registration::new(
            name,
            Hooks::new()
                .on_start(move |ctx: ServiceCtx<Core>| async move {
                    let window = ctx.core().host::<Window>().expect("a window host");
                    window.shown.lock().unwrap().push(format!("{name} started"));
                    Ok(())
                })
                .on_stop(move |ctx: ServiceCtx<Core>| async move {
                    let window = ctx.core().host::<Window>().expect("a window host");
                    window.shown.lock().unwrap().push(format!("{name} stopped"));
                    Ok(())
                }),
        ))
    }
}

/// A desktop Core: a window host, a notifying `config` service and, when given, a `store`
/// with `hooks`.
fn desktop(store: Option<Hooks<Core>>) -> Core {
    let mut builder = Core::builder().host(window()).service(notifier("config"));
    if let Some(hooks) = store {
        builder = builder.service(move |_| Ok(Registration::new("store", hooks)));
    }
    builder.build().unwrap()
}

/// A start hook that watches the Core's context, ending when shutdown begins; the receiver
/// hears when it has begun.
fn starting_until_shutdown() -> (Hooks<Core>, tokio::sync::oneshot::Receiver<()>) {
    let (entered_tx, entered) = tokio::sync::oneshot::channel::<()>();
    let entered_tx = Mutex::new(Some(entered_tx));
    let hooks = Hooks::new().on_start(move |ctx: ServiceCtx<Core>| {
        let entered = entered_tx.lock().unwrap().take();
        async move {
            if let Some(entered) = entered {
                let _ = entered.send(());
            }
            ctx.core().context().cancelled().await;
            Ok(())
        }
    });
    (hooks, entered)
}

/// Shows `what` in the host's window.
fn show(ctx: &ServiceCtx<Core>, what: &str) {
    let window = ctx.core().host::<Window>().expect("a window host");
    window.shown.lock().unwrap().push(what.to_owned());
}

fn shown(core: &Core) -> Vec<String> {
    core.host::<Window>().unwrap().shown.lock().unwrap().clone()
}

// ---- Core::startup ----

#[tokio::test]
async fn core_startup_then_shutdown_runs_hooks_in_order_good() {
    let core = Core::builder()
        .name("workbench-desktop")
        .host(window())
        .service(notifier("config"))
        .service(notifier("store"))
        .build()
        .unwrap();
    let report = core.startup().await.unwrap();
    let order: Vec<&str> = report.started.iter().map(|(name, _)| &**name).collect();
    assert_eq!(order, ["config", "store"]);
    assert_eq!(shown(&core), ["config started", "store started"]);
    assert!(!core.context().is_cancelled());
    core.shutdown().await.unwrap();
    assert_eq!(
        shown(&core),
        [
            "config started",
            "store started",
            "store stopped",
            "config stopped"
        ]
    );
    assert!(core.context().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn core_startup_given_up_on_still_finishes_the_start_ugly() {
    // A host that stops waiting (a timeout, a select! on Ctrl-C) drops the startup: the
    // start hook under way is not cut off half-way, and a shutdown stops what started.
    let store = Hooks::new()
        .on_start(|ctx: ServiceCtx<Core>| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            show(&ctx, "store migrated");
            Ok(())
        })
        .on_stop(|ctx: ServiceCtx<Core>| async move {
            show(&ctx, "store stopped");
            Ok(())
        });
    let core = desktop(Some(store));
    let gave_up = tokio::time::timeout(Duration::from_millis(10), core.startup()).await;
    assert!(gave_up.is_err(), "still starting after 10 ms");
    core.shutdown().await.unwrap();
    assert_eq!(
        shown(&core),
        [
            "config started",
            "store migrated",
            "store stopped",
            "config stopped"
        ]
    );
}

#[tokio::test]
async fn core_startup_twice_conflict_bad() {
    let core = Core::builder().build().unwrap();
    core.startup().await.unwrap();
    let err = core.startup().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert_eq!(err.operation(), "corers.Core.startup");
    core.shutdown().await.unwrap();
}

#[test]
fn core_startup_outside_a_tokio_runtime_is_unavailable_ugly() {
    // Polled by another executor (here, by hand): an error, not tokio's panic.
    let core = Core::builder().build().unwrap();
    let mut startup = std::pin::pin!(core.startup());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let std::task::Poll::Ready(Err(err)) = startup.as_mut().poll(&mut cx) else {
        panic!("the startup did not fail at once");
    };
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE), "{err}");
    assert!(err.message().contains("tokio runtime"), "{err}");
}

#[tokio::test]
async fn core_startup_twice_leaves_the_running_core_be_ugly() {
    let core = Core::builder()
        .action(ActionSpec::new("app.ping", |_, _| async {
            Ok(Value::from("pong"))
        }))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    core.startup().await.unwrap_err();
    assert!(!core.context().is_cancelled());
    assert_eq!(
        core.run_action("app.ping", Options::new()).await.unwrap(),
        Value::from("pong")
    );
    assert!(core.services().health().await.ready);
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_startup_failing_service_rolls_back_ugly() {
    let core = desktop(Some(Hooks::new().on_start(|_: ServiceCtx<Core>| async {
        Err(Error::new("store.open", "database locked").with_code(ErrorCode::UNAVAILABLE))
    })));
    let err = core.startup().await.unwrap_err();
    assert!(err.to_string().contains("database locked"), "{err}");
    assert!(err.to_string().contains("store"), "{err}");
    assert_eq!(shown(&core), ["config started", "config stopped"]);
}

#[tokio::test]
async fn core_startup_failure_cancels_the_context_before_the_rollback_ugly() {
    let core = Core::builder()
        .host(window())
        .service(|_| {
            Ok(Registration::new(
                "config",
                Hooks::new().on_stop(|ctx: ServiceCtx<Core>| async move {
                    let cancelled = ctx.core().context().is_cancelled();
                    let window = ctx.core().host::<Window>().unwrap();
                    window
                        .shown
                        .lock()
                        .unwrap()
                        .push(format!("config stopped, context cancelled: {cancelled}"));
                    Ok(())
                }),
            ))
        })
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|_: ServiceCtx<Core>| async {
                    Err(Error::new("store.open", "database locked"))
                }),
            ))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap_err();
    assert_eq!(shown(&core), ["config stopped, context cancelled: true"]);
}

#[tokio::test]
async fn core_startup_failure_finishes_the_core_bad() {
    let core = desktop(Some(Hooks::new().on_start(|_: ServiceCtx<Core>| async {
        Err(Error::new("store.open", "database locked"))
    })));
    core.startup().await.unwrap_err();
    assert!(
        core.context().is_cancelled(),
        "work watching the context ends"
    );
    assert!(!core.services().health().await.live);
}

// ---- Core::shutdown ----

#[tokio::test]
async fn core_shutdown_twice_is_a_no_op_good() {
    let core = desktop(None);
    core.startup().await.unwrap();
    core.shutdown().await.unwrap();
    core.shutdown().await.unwrap();
    assert_eq!(shown(&core), ["config started", "config stopped"]);
}

/// A log output whose flush takes `secs` (a rotated file's compression being waited for).
struct SlowToFlush(u64);

impl std::io::Write for SlowToFlush {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        Ok(line.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_secs(self.0));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_shutdown_waits_for_a_slow_log_flush_briefly_ugly() {
    // A final flush that takes seconds: the shutdown is not held past its bound, nor is
    // a runtime thread blocked for it.
    let log = corers::log::Logger::builder()
        .output(corers::log::Output::writer(SlowToFlush(5)))
        .build();
    let core = Core::builder().logger(log).build().unwrap();
    core.startup().await.unwrap();
    let began = std::time::Instant::now();
    core.shutdown().await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn core_shutdown_failing_hook_reported_after_every_hook_bad() {
    let core = desktop(Some(Hooks::new().on_stop(|_: ServiceCtx<Core>| async {
        Err(Error::new("store.flush", "disk full"))
    })));
    core.startup().await.unwrap();
    let err = core.shutdown().await.unwrap_err();
    assert_eq!(err.operation(), "corers.Core.shutdown");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(shown(&core), ["config started", "config stopped"]);
}

#[tokio::test]
async fn core_shutdown_before_startup_then_startup_refused_ugly() {
    let core = desktop(None);
    core.shutdown().await.unwrap();
    let err = core.startup().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert!(shown(&core).is_empty());
}

#[tokio::test]
async fn core_shutdown_during_startup_stops_what_started_ugly() {
    let (hooks, entered) = starting_until_shutdown();
    let core = desktop(Some(hooks));
    let starting = tokio::spawn({
        let core = core.clone();
        async move { core.startup().await }
    });
    entered.await.unwrap();
    core.shutdown().await.unwrap();
    assert_eq!(shown(&core), ["config started", "config stopped"]);
    let err = starting.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn core_shutdown_from_an_action_still_stops_every_service_ugly() {
    let store = Hooks::new().on_stop(|ctx: ServiceCtx<Core>| async move {
        // A stop hook that really waits: the shutdown is pending here.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let window = ctx.core().host::<Window>().expect("a window host");
        window
            .shown
            .lock()
            .unwrap()
            .push("store stopped".to_owned());
        Ok(())
    });
    let core = Core::builder()
        .host(window())
        .service(notifier("config"))
        .service(move |_| Ok(Registration::new("store", store)))
        .action(ActionSpec::new(
            "app.quit",
            |ctx: corers::messaging::ActionCtx<Core>, _| async move {
                // The shutdown cancels this very run: it must not cut itself short.
                ctx.core().shutdown().await?;
                Ok(Value::Null)
            },
        ))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let _ = core.run_action("app.quit", Options::new()).await;
    // The shutdown the Action began goes on by itself (no second call to rescue it).
    for _ in 0..200 {
        if shown(&core).len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        shown(&core),
        ["config started", "store stopped", "config stopped"]
    );
}

#[tokio::test]
async fn core_shutdown_before_startup_refuses_background_tasks_bad() {
    struct Reindex;
    impl Task for Reindex {
        type Output = ();
    }
    let core = desktop(None);
    core.shutdown().await.unwrap();
    let err = core.perform_async(Reindex).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_shutdown_during_startup_starts_no_later_service_ugly() {
    let (hooks, entered) = starting_until_shutdown();
    let core = Core::builder()
        .host(window())
        .service(notifier("config"))
        .service(move |_| Ok(Registration::new("store", hooks)))
        .service(notifier("cache"))
        // A detached step that ignores cancellation: the shutdown waits for it before it
        // stops the services, and startup must not go on meanwhile.
        .action(ActionSpec::new("journal.flush", |_, _| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(Value::Null)
        }))
        .task(
            "flush",
            TaskDef::new(vec![Step::run("journal.flush").detached()]),
        )
        .build()
        .unwrap();
    let report = core
        .tasks()
        .run(&core, &RunCtx::new(), "flush")
        .await
        .unwrap();
    assert!(report.is_ok());
    let starting = tokio::spawn({
        let core = core.clone();
        async move { core.startup().await }
    });
    entered.await.unwrap();
    core.shutdown().await.unwrap();
    let err = starting.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    // `cache`, after the hook that was running, never started.
    assert_eq!(shown(&core), ["config started", "config stopped"]);
}

// ---- Core::reload ----

#[tokio::test(start_paused = true)]
async fn core_startup_runs_scheduled_tasks_until_shutdown_good() {
    let runs = Arc::new(Mutex::new(0_usize));
    let counted = Arc::clone(&runs);
    let core = Core::builder()
        .action(ActionSpec::new("index.build", move |_, _| {
            *counted.lock().unwrap() += 1;
            async { Ok(Value::Null) }
        }))
        .task(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
        )
        .build()
        .unwrap();
    let count = || *runs.lock().unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(count(), 0, "not before startup");
    core.startup().await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let fired = count();
    assert!((5..=6).contains(&fired), "{fired}");
    core.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(count(), fired, "not after shutdown");
}

#[tokio::test(start_paused = true)]
async fn core_startup_then_dropped_without_shutdown_is_freed_ugly() {
    // A host that drops a started Core (a tenant's, a hot reload's) without a shutdown:
    // the scheduler's loops must not keep it, and its services, alive.
    let core = Core::builder()
        .host(window())
        .service(notifier("store"))
        .action(ActionSpec::new("index.build", |_, _| async {
            Ok(Value::Null)
        }))
        .task(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
        )
        .build()
        .unwrap();
    core.startup().await.unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let weak = core.downgrade();
    drop(core);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        weak.upgrade().is_none(),
        "a started Core outlived its last handle"
    );
}

// ---- Core::shutdown_failure ----

#[tokio::test]
async fn core_shutdown_failure_of_a_failed_service_task_good() {
    // A host watching the context learns why the app stops: a service's task failed.
    let core = Core::builder()
        .service(|_| {
            Ok(Registration::new(
                "sync",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.spawn("pull", async {
                        Err(Error::new("sync.Remote.pull", "token revoked")
                            .with_code(ErrorCode::DENIED))
                    })
                }),
            ))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap();
    core.context().cancelled().await;
    let failure = core.shutdown_failure().unwrap();
    assert_eq!(failure.code(), Some(&ErrorCode::DENIED));
    assert!(failure.to_string().contains("token revoked"), "{failure}");
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_shutdown_failure_of_a_plain_request_is_none_bad() {
    let core = desktop(None);
    core.startup().await.unwrap();
    core.request_shutdown();
    core.shutdown().await.unwrap();
    assert!(core.shutdown_failure().is_none());
}

#[test]
fn core_shutdown_failure_first_of_several_kept_ugly() {
    let core = Core::builder().build().unwrap();
    core.request_shutdown_for(Error::new("a.A.one", "first"));
    core.request_shutdown_for(Error::new("b.B.two", "second"));
    assert_eq!(core.shutdown_failure().unwrap().message(), "first");
}

// ---- Core::force_shutdown ----

/// A Core whose `store` never finishes stopping on its own.
fn stuck_in_stop() -> Core {
    desktop(Some(Hooks::new().on_stop(
        |ctx: ServiceCtx<Core>| async move {
            ctx.cancel_token().cancelled().await;
            Ok(())
        },
    )))
}

#[tokio::test(start_paused = true)]
async fn core_force_shutdown_cuts_a_hanging_stop_short_good() {
    let core = stuck_in_stop();
    core.startup().await.unwrap();
    let began = tokio::time::Instant::now();
    let stopping = tokio::spawn({
        let core = core.clone();
        async move { core.shutdown().await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    core.force_shutdown();
    // The hook gives up when forced, at 1 s: a stop that ends well.
    stopping.await.unwrap().unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(1));
    assert_eq!(shown(&core), ["config started", "config stopped"]);
}

#[tokio::test(start_paused = true)]
async fn core_force_shutdown_not_called_waits_for_the_shutdown_timeout_bad() {
    // Nobody forces it: the shutdown's own timeout (30 s by default) does, and the hook,
    // which gives up when forced, ends the stop well.
    let core = stuck_in_stop();
    core.startup().await.unwrap();
    let began = tokio::time::Instant::now();
    core.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn core_force_shutdown_before_and_twice_ugly() {
    // Asked before the shutdown, it applies to it; asked again, nothing more happens.
    let core = stuck_in_stop();
    core.startup().await.unwrap();
    core.force_shutdown();
    // A stop is asked for: what watches the context ends.
    assert!(core.context().is_cancelled());
    core.force_shutdown();
    let began = tokio::time::Instant::now();
    core.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO, "the hook gives up at once");
}

/// A `store` whose reload hook records what the config says `workers` is.
fn reloading_store(seen: &Arc<Mutex<Vec<String>>>) -> Hooks<Core> {
    let seen = Arc::clone(seen);
    Hooks::new().on_reload(move |ctx: ServiceCtx<Core>| {
        let seen = Arc::clone(&seen);
        async move {
            let workers = ctx.core().config().int("workers")?;
            seen.lock()
                .unwrap()
                .push(format!("{} workers = {workers}", ctx.name()));
            Ok(())
        }
    })
}

/// A scratch directory holding `workbench.toml` with `workers = 1`; the directory and the
/// file.
fn workers_file() -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "corers-reload-{}-{}",
        std::process::id(),
        corers::primitives::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("workbench.toml");
    std::fs::write(&file, "workers = 1\n").unwrap();
    (dir, file)
}

#[tokio::test]
async fn core_reload_rereads_the_config_before_the_hooks_good() {
    let (dir, file) = workers_file();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = reloading_store(&seen);
    let core = Core::builder()
        .config(Config::builder().file(&file))
        .service(move |_| Ok(Registration::new("store", store)))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    std::fs::write(&file, "workers = 4\n").unwrap();
    core.reload().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), ["store workers = 4"]);
    core.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn core_reload_says_which_keys_changed_ugly() {
    let (dir, file) = workers_file();
    let sink = corers::log::MemorySink::new();
    let core = Core::builder()
        .logger(
            corers::log::Logger::builder()
                .output(corers::log::Output::Memory(sink.clone()))
                .build(),
        )
        .config(Config::builder().file(&file))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    std::fs::write(&file, "workers = 4\ndb_password = \"hunter2\"\n").unwrap();
    core.reload().await.unwrap();
    let logged = sink.contents();
    assert!(
        logged.contains("config reloaded") && logged.contains("changed=\"db_password, workers\""),
        "{logged}"
    );
    assert!(!logged.contains("hunter2"), "{logged}");
    core.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(start_paused = true)]
async fn core_reload_given_up_by_its_caller_still_reloads_every_service_ugly() {
    // A caller's timeout drops the reload while the first hook runs: the reload goes on,
    // so no service is left on the old settings while another has the new ones.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let slow = |seen: &Arc<Mutex<Vec<String>>>| {
        let seen = Arc::clone(seen);
        Hooks::new().on_reload(move |ctx: ServiceCtx<Core>| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                seen.lock()
                    .unwrap()
                    .push(format!("reloaded {}", ctx.name()));
                Ok(())
            }
        })
    };
    let (store, cache) = (slow(&seen), slow(&seen));
    let core = Core::builder()
        .service(move |_| Ok(Registration::new("store", store)))
        .service(move |_| Ok(Registration::new("cache", cache)))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let given_up = tokio::time::timeout(Duration::from_secs(1), core.reload()).await;
    assert!(given_up.is_err());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(*seen.lock().unwrap(), ["reloaded store", "reloaded cache"]);
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_reload_failing_hook_is_reported_bad() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = reloading_store(&seen);
    // No `workers` setting: the hook fails, and says why.
    let core = Core::builder()
        .service(move |_| Ok(Registration::new("store", store)))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let err = core.reload().await.unwrap_err();
    assert_eq!(err.operation(), "corers.Core.reload");
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_reload_config_that_does_not_fit_is_reported_and_the_old_stays_ugly() {
    let (dir, file) = workers_file();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = reloading_store(&seen);
    let core = Core::builder()
        .config(Config::builder().file(&file).validate(|view| {
            match view.int("workers")? {
                1..=64 => Ok(()),
                n => Err(
                    Error::new("workbench.config", format!("workers = {n}: from 1 to 64"))
                        .with_code(ErrorCode::INVALID),
                ),
            }
        }))
        .service(move |_| Ok(Registration::new("store", store)))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    std::fs::write(&file, "workers = 0\n").unwrap();
    let err = core.reload().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.to_string().contains("workers = 0: from 1 to 64"),
        "{err}"
    );
    // The services still reload, under the settings in force.
    assert_eq!(*seen.lock().unwrap(), ["store workers = 1"]);
    core.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn core_reload_before_startup_and_after_shutdown_does_nothing_ugly() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = reloading_store(&seen);
    let core = Core::builder()
        .service(move |_| Ok(Registration::new("store", store)))
        .build()
        .unwrap();
    core.reload().await.unwrap();
    core.startup().await.unwrap();
    core.shutdown().await.unwrap();
    core.reload().await.unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn core_reload_asked_from_a_reload_hook_is_refused_not_looping_bad() {
    // The hook's own reload would have the reload under way wait for the hook, pass after
    // pass: it is refused at once, and the reload under way ends.
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&answers);
    let core = Core::builder()
        .service(move |_| {
            let seen = Arc::clone(&seen);
            Ok(Registration::new(
                "store",
                Hooks::new().on_reload(move |ctx: ServiceCtx<Core>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let again = ctx.core().reload().await;
                        seen.lock()
                            .unwrap()
                            .push(again.map_err(|e| e.code().cloned()));
                        Ok(())
                    }
                }),
            ))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), core.reload())
        .await
        .expect("the reload ends")
        .unwrap();
    assert_eq!(*answers.lock().unwrap(), [Err(Some(ErrorCode::CONFLICT))]);
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_reload_once_shutdown_began_leaves_the_config_alone_ugly() {
    let (dir, file) = workers_file();
    let core = Core::builder()
        .config(Config::builder().file(&file))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    core.request_shutdown();
    std::fs::write(&file, "workers = 9\n").unwrap();
    core.reload().await.unwrap();
    assert_eq!(core.config().int("workers").unwrap(), 1);
    core.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- Core::host / CoreBuilder::host ----

#[test]
fn core_host_of_its_type_good() {
    let core = Core::builder().host(window()).build().unwrap();
    assert_eq!(core.host::<Window>().unwrap().title, "Workbench");
}

#[test]
fn core_host_of_another_type_is_none_bad() {
    let core = Core::builder().host(window()).build().unwrap();
    assert!(core.host::<String>().is_none());
}

#[test]
fn core_host_without_one_is_none_ugly() {
    let core = Core::builder().build().unwrap();
    assert!(core.host::<Window>().is_none());
}

#[test]
fn core_builder_host_shared_handle_good() {
    let shared = Arc::new(window());
    let core = Core::builder().host(Arc::clone(&shared)).build().unwrap();
    core.host::<Arc<Window>>()
        .unwrap()
        .shown
        .lock()
        .unwrap()
        .push("opened".into());
    assert_eq!(*shared.shown.lock().unwrap(), ["opened"]);
}

#[test]
fn core_builder_host_given_twice_keeps_the_last_bad() {
    let core = Core::builder()
        .host(window())
        .host(String::from("replaced"))
        .build()
        .unwrap();
    assert!(core.host::<Window>().is_none());
    assert_eq!(core.host::<String>().unwrap(), "replaced");
}

#[test]
fn core_builder_host_unit_value_ugly() {
    let core = Core::builder().host(()).build().unwrap();
    assert!(core.host::<()>().is_some());
}
