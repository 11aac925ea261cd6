//! Shutdown: `Services::stop_all` in exact reverse, every stop hook run whatever the
//! others did (failed, hung past `Registration::timeout`, panicked), the drain of the bus's
//! background tasks first, double stop, the shutdown events, `Hooks::on_stop`, the
//! `Service::stop` default, and `Services::force`.

mod common;

use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::Duration;

use corers_lifecycle::{
    BoxFuture, Hooks, Registration, Service, ServiceCtx, ServiceShutdown, ServiceStopped, Services,
    StartReport,
};
use corers_messaging::{Bus, Task, TaskCompleted};
use corers_primitives::{Error, ErrorCode, Result};
use tokio::runtime::Runtime;
use tokio::time::Instant;

use common::{Calls, calls, record, recorded, services, taken};

/// Starts `services`, then stops them, which must fail; the failure and how long the
/// stop took.
async fn failed_stop(services: &Services<()>) -> (Error, Duration) {
    services.start_all(&()).await.unwrap();
    let began = Instant::now();
    let err = services.stop_all(&(), DEADLINE).await.unwrap_err();
    (err, began.elapsed())
}

/// A service whose stop hook never finishes.
fn hanging() -> Hooks<()> {
    Hooks::new().on_stop(|_| std::future::pending())
}

/// A service whose stop hook panics.
fn panicking() -> Hooks<()> {
    Hooks::new().on_stop(|_| async { panic!("flush of the write-ahead log failed") })
}

/// A service whose stop hook fails with `message`.
fn failing(message: &'static str) -> Hooks<()> {
    Hooks::new().on_stop(move |ctx| async move {
        Err(
            Error::new("lifecycle.test.stop", format!("{}: {message}", ctx.name()))
                .with_code(ErrorCode::UNAVAILABLE),
        )
    })
}

/// `config`, `store`, `indexer`, each recorded, with `store` replaced by `middle`.
fn three_with_store(calls: &Calls, middle: Registration<()>) -> Services<()> {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(calls)))
        .unwrap();
    services.register(middle).unwrap();
    services
        .register(Registration::new("indexer", recorded(calls)))
        .unwrap();
    services
}

const DEADLINE: Duration = Duration::from_secs(30);

// ---- Services::stop_all ----

#[tokio::test]
async fn services_stop_all_reverse_of_registration_order_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    for name in ["config", "store", "indexer"] {
        services
            .register(Registration::new(name, recorded(&calls)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        taken(&calls)[3..],
        ["stop indexer", "stop store", "stop config"]
    );
}

#[tokio::test]
async fn services_stop_all_six_service_graph_hook_calls_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    for registration in [
        Registration::new("brain", recorded(&calls)).after(["store", "cache"]),
        Registration::new("indexer", recorded(&calls)).after(["store"]),
        Registration::new("store", recorded(&calls)).after(["config"]),
        Registration::new("cache", recorded(&calls)),
        Registration::new("config", recorded(&calls)),
        Registration::new("api", recorded(&calls)).after(["brain", "indexer"]),
    ] {
        services.register(registration).unwrap();
    }
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    insta::assert_snapshot!(taken(&calls).join("\n"));
}

#[tokio::test]
async fn services_stop_all_broadcasts_shutdown_before_any_stop_hook_good() {
    let calls = calls();
    let bus: Bus<()> = Bus::new();
    let seen = Arc::clone(&calls);
    bus.on(move |_, _: &ServiceShutdown| {
        record(&seen, "shutdown".to_owned());
        Ok(())
    });
    let services = Services::new(bus);
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, recorded(&calls)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        taken(&calls)[2..],
        ["shutdown", "stop store", "stop config"]
    );
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_broadcasts_service_stopped_with_duration_good() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let bus: Bus<()> = Bus::new();
    let seen = Arc::clone(&events);
    bus.on(move |_, stopped: &ServiceStopped| {
        seen.lock().unwrap().push((
            stopped.name.clone(),
            stopped.duration,
            stopped.error.as_ref().map(ToString::to_string),
        ));
        Ok(())
    });
    let services = Services::new(bus);
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_stop(|_| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok(())
            }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        *events.lock().unwrap(),
        [("store".to_owned(), Duration::from_secs(3), None)]
    );
}

#[tokio::test]
async fn services_stop_all_waits_for_background_tasks_before_stop_hooks_good() {
    struct Reindex;
    impl Task for Reindex {
        type Output = usize;
    }
    let calls = calls();
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Reindex| Some(Ok(42)));
    let seen = Arc::clone(&calls);
    bus.on(move |_, done: &TaskCompleted<Reindex>| {
        record(
            &seen,
            format!("reindexed {}", done.outcome.as_ref().unwrap()),
        );
        Ok(())
    });
    let services = Services::new(bus.clone());
    services
        .register(Registration::new("indexer", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    bus.perform_async(&(), Reindex).unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["start indexer", "reindexed 42", "stop indexer"]
    );
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_hanging_hook_is_timeout_bad() {
    let calls = calls();
    let services = three_with_store(
        &calls,
        Registration::new("store", hanging()).timeout(Duration::from_secs(2)),
    );
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(
        err.to_string(),
        r#"lifecycle.Services.hook: stop hook of "store" took longer than 2s [TIMEOUT]"#
    );
}

/// Held by a stop hook that insists on finishing: its `Drop` panics when cut off.
struct MustFlush;

impl Drop for MustFlush {
    fn drop(&mut self) {
        // Not while unwinding already: a second panic there would abort.
        assert!(
            std::thread::panicking(),
            "write-ahead log dropped unflushed"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_hook_panicking_as_it_is_cut_off_does_not_stop_the_others_ugly() {
    let calls = calls();
    let flushing = Hooks::new().on_stop(|_| async {
        let guard = MustFlush;
        std::future::pending::<()>().await;
        std::mem::forget(guard);
        Ok(())
    });
    let services = three_with_store(
        &calls,
        Registration::new("store", flushing).stop_timeout(Duration::from_secs(2)),
    );
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT), "{err}");
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start indexer",
            "stop indexer",
            "stop config"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_hanging_hook_does_not_stop_the_others_stopping_bad() {
    let calls = calls();
    let services = three_with_store(
        &calls,
        Registration::new("store", hanging()).timeout(Duration::from_secs(2)),
    );
    failed_stop(&services).await;
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start indexer",
            "stop indexer",
            "stop config"
        ]
    );
}

#[tokio::test]
async fn services_stop_all_failing_hook_does_not_stop_the_others_stopping_bad() {
    let calls = calls();
    let services = three_with_store(&calls, Registration::new("store", failing("disk detached")));
    failed_stop(&services).await;
    assert_eq!(taken(&calls)[2..], ["stop indexer", "stop config"]);
}

#[tokio::test]
async fn services_stop_all_joins_every_failure_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", failing("disk detached")))
        .unwrap();
    services
        .register(Registration::new("cache", Hooks::new()))
        .unwrap();
    services
        .register(Registration::new("indexer", failing("index locked")))
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.joined().len(), 2);
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn services_stop_all_failure_reported_in_service_stopped_bad() {
    let events = calls();
    let bus: Bus<()> = Bus::new();
    let seen = Arc::clone(&events);
    bus.on(move |_, stopped: &ServiceStopped| {
        record(
            &seen,
            format!(
                "{}: {}",
                stopped.name,
                stopped
                    .error
                    .as_ref()
                    .map_or("ok".to_owned(), ToString::to_string)
            ),
        );
        Ok(())
    });
    let services = Services::new(bus);
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    services
        .register(Registration::new("store", failing("disk detached")))
        .unwrap();
    failed_stop(&services).await;
    assert_eq!(
        taken(&events),
        [
            r#"store: lifecycle.Services.hook: stop hook of "store" failed [UNAVAILABLE]: lifecycle.test.stop: store: disk detached"#,
            "config: ok"
        ]
    );
}

/// The test's side of a [`gated`] hook: told when the hook is entered, and releasing it.
struct Gate {
    entered: tokio::sync::mpsc::UnboundedReceiver<()>,
    release: tokio::sync::oneshot::Sender<()>,
}

/// A hook that records `enter`, says it was entered, waits for its gate, then records
/// `leave`.
fn gated(
    calls: &Calls,
) -> (
    impl Fn(ServiceCtx<()>) -> BoxFuture<Result<()>> + Send + Sync + use<>,
    Gate,
) {
    let (release, gate) = tokio::sync::oneshot::channel::<()>();
    let (entered_tx, entered) = tokio::sync::mpsc::unbounded_channel::<()>();
    let gate = Arc::new(tokio::sync::Mutex::new(Some(gate)));
    let calls = Arc::clone(calls);
    let hook = move |ctx: ServiceCtx<()>| -> BoxFuture<Result<()>> {
        let (gate, entered, calls) = (Arc::clone(&gate), entered_tx.clone(), Arc::clone(&calls));
        Box::pin(async move {
            record(&calls, format!("enter {}", ctx.name()));
            let _ = entered.send(());
            if let Some(gate) = gate.lock().await.take() {
                let _ = gate.await;
            }
            record(&calls, format!("leave {}", ctx.name()));
            Ok(())
        })
    };
    (hook, Gate { entered, release })
}

#[tokio::test]
async fn services_stop_all_while_starting_stops_what_started_good() {
    let calls = calls();
    let (
        hook,
        Gate {
            mut entered,
            release,
        },
    ) = gated(&calls);
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    let stop_calls = Arc::clone(&calls);
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(hook).on_stop(move |ctx| {
                let calls = Arc::clone(&stop_calls);
                async move {
                    record(&calls, format!("stop {}", ctx.name()));
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services
        .register(Registration::new("brain", recorded(&calls)))
        .unwrap();
    let starting = tokio::spawn({
        let services = services.clone();
        async move { services.start_all(&()).await }
    });
    entered.recv().await.unwrap();
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    tokio::task::yield_now().await;
    assert!(!stopping.is_finished(), "stop_all waits for startup");
    release.send(()).unwrap();
    stopping.await.unwrap().unwrap();
    // By the time stop_all returns, what had started is stopped; brain never started.
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "enter store",
            "leave store",
            "stop store",
            "stop config"
        ]
    );
    let err = starting.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("shutdown was requested"), "{err}");
    services.start_all(&()).await.unwrap_err();
}

#[tokio::test]
async fn services_stop_all_after_start_all_was_dropped_stops_what_started_ugly() {
    let calls = calls();
    let (
        hook,
        Gate {
            mut entered,
            release: _release,
        },
    ) = gated(&calls);
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services
        .register(Registration::new("store", Hooks::new().on_start(hook)))
        .unwrap();
    {
        let start = services.start_all(&());
        tokio::pin!(start);
        tokio::select! {
            _ = &mut start => panic!("store's start hook never ends"),
            _ = entered.recv() => {}
        }
        // The startup future is dropped here, inside store's start hook.
    }
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["start config", "enter store", "stop config"]
    );
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[tokio::test]
async fn services_stop_all_second_call_waits_for_the_first_ugly() {
    let calls = calls();
    let (
        hook,
        Gate {
            mut entered,
            release,
        },
    ) = gated(&calls);
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", Hooks::new().on_stop(hook)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    let first = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    entered.recv().await.unwrap();
    let second = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    tokio::task::yield_now().await;
    assert!(!second.is_finished(), "the second stop waits for the first");
    release.send(()).unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(taken(&calls), ["enter store", "leave store"]);
    first.await.unwrap().unwrap();
}

#[tokio::test]
async fn services_stop_all_during_reload_waits_for_it_ugly() {
    let calls = calls();
    let (
        hook,
        Gate {
            mut entered,
            release,
        },
    ) = gated(&calls);
    let services = Services::new(Bus::new());
    let stop_calls = Arc::clone(&calls);
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_reload(hook).on_stop(move |ctx| {
                let calls = Arc::clone(&stop_calls);
                async move {
                    record(&calls, format!("stop {}", ctx.name()));
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap();
    let reloading = tokio::spawn({
        let services = services.clone();
        async move { services.reload_all(&()).await }
    });
    entered.recv().await.unwrap();
    // A second reload meanwhile: the pass it asks for is dropped once a stop waits (a
    // stream of SIGHUPs cannot keep the stop waiting pass after pass).
    let again = tokio::spawn({
        let services = services.clone();
        async move { services.reload_all(&()).await }
    });
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    tokio::task::yield_now().await;
    assert!(!stopping.is_finished(), "stop_all waits for the reload");
    assert!(!again.is_finished(), "the second reload waits for its run");
    release.send(()).unwrap();
    stopping.await.unwrap().unwrap();
    reloading.await.unwrap().unwrap();
    again.await.unwrap().unwrap();
    assert_eq!(taken(&calls), ["enter store", "leave store", "stop store"]);
}

#[tokio::test]
async fn services_stop_all_twice_is_a_no_op_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(taken(&calls), ["start store", "stop store"]);
}

#[tokio::test]
async fn services_stop_all_before_start_runs_no_hook_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)))
        .unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn services_stop_all_before_start_refuses_and_drains_background_tasks_bad() {
    let bus: Bus<()> = Bus::new();
    let finished = Arc::new(Mutex::new(false));
    let done = Arc::clone(&finished);
    bus.on_task(move |_, _: &Flush| {
        std::thread::sleep(Duration::from_millis(50));
        *done.lock().unwrap() = true;
        Some(Ok(()))
    });
    let services = Services::new(bus.clone());
    // Taken before anything started...
    bus.perform_async(&(), Flush).unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    // ...and waited for by the shutdown; nothing new is taken after it.
    assert!(*finished.lock().unwrap());
    let err = bus.perform_async(&(), Flush).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn services_stop_all_panicking_hook_is_internal_ugly() {
    let calls = calls();
    let services = three_with_store(&calls, Registration::new("store", panicking()));
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert!(
        err.to_string()
            .contains("panicked: flush of the write-ahead log failed"),
        "{err}"
    );
}

#[tokio::test]
async fn services_stop_all_panicking_hook_does_not_stop_the_others_stopping_ugly() {
    let calls = calls();
    let services = three_with_store(&calls, Registration::new("store", panicking()));
    failed_stop(&services).await;
    assert_eq!(taken(&calls)[2..], ["stop indexer", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_timeout_panic_and_failure_all_reported_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", failing("config.toml vanished")))
        .unwrap();
    services
        .register(Registration::new("store", panicking()))
        .unwrap();
    services
        .register(Registration::new("indexer", hanging()).timeout(Duration::from_secs(1)))
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    let codes: Vec<&str> = err
        .joined()
        .iter()
        .map(|e| e.code().unwrap().as_str())
        .collect();
    assert_eq!(codes, ["TIMEOUT", "INTERNAL", "UNAVAILABLE"]);
    assert_eq!(
        (err.operation(), err.code()),
        ("lifecycle.Services.stop_all", Some(&ErrorCode::TIMEOUT))
    );
}

/// A bus whose `Reindex` handler blocks on a std channel until released; its tasks run on
/// their own multi-thread runtime while the test runs on a paused clock.
struct Stuck {
    bus: Bus<()>,
    workers: Option<Runtime>,
    release: Option<std_mpsc::Sender<()>>,
    entered: tokio::sync::mpsc::UnboundedReceiver<()>,
}

struct Reindex;
impl Task for Reindex {
    type Output = ();
}

impl Stuck {
    fn new() -> Stuck {
        let bus: Bus<()> = Bus::new();
        let (release, gate) = std_mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let (entered_tx, entered) = tokio::sync::mpsc::unbounded_channel();
        bus.on_task(move |_, _: &Reindex| {
            let _ = entered_tx.send(());
            let _ = gate.lock().unwrap().recv();
            Some(Ok(()))
        });
        let workers = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        Stuck {
            bus,
            workers: Some(workers),
            release: Some(release),
            entered,
        }
    }

    /// Submits a task on the workers' runtime and waits until it is stuck in its handler.
    async fn stuck_task(&mut self) {
        {
            let _entered = self.workers.as_ref().unwrap().enter();
            self.bus.perform_async(&(), Reindex).unwrap();
        }
        self.entered.recv().await.unwrap();
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        self.release.take();
        if let Some(workers) = self.workers.take() {
            workers.shutdown_background();
        }
    }
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_drain_timeout_still_runs_stop_hooks_ugly() {
    let mut stuck = Stuck::new();
    let calls = calls();
    let services = Services::new(stuck.bus.clone());
    for name in ["config", "indexer"] {
        services
            .register(Registration::new(name, recorded(&calls)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    stuck.stuck_task().await;
    let began = Instant::now();
    services
        .stop_all(&(), Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(began.elapsed(), Duration::from_millis(50));
    assert_eq!(taken(&calls)[2..], ["stop indexer", "stop config"]);
    assert_eq!(stuck.bus.tasks_in_flight(), 1, "the task is still stuck");
}

#[tokio::test(start_paused = true)]
async fn services_force_cuts_the_drain_short_and_still_runs_stop_hooks_ugly() {
    let mut stuck = Stuck::new();
    let calls = calls();
    let services = Services::new(stuck.bus.clone());
    services
        .register(Registration::new("indexer", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    stuck.stuck_task().await;
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), Duration::from_secs(30)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let began = Instant::now();
    services.force();
    stopping.await.unwrap().unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(taken(&calls), ["start indexer", "stop indexer"]);
    assert_eq!(
        stuck.bus.tasks_in_flight(),
        1,
        "the task is abandoned, not waited for"
    );
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_deadline_forces_hanging_hooks_to_share_one_grace_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    for name in ["store", "uploader"] {
        services
            .register(Registration::new(name, hanging()).stop_timeout(Duration::from_secs(600)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    let began = Instant::now();
    let err = services
        .stop_all(&(), Duration::from_secs(10))
        .await
        .unwrap_err();
    // Forced at the deadline; both hanging hooks share the 250 ms, one after the other.
    assert_eq!(began.elapsed(), Duration::from_millis(10_250));
    let message = err.to_string();
    assert!(
        message.contains(r#"stop hook of "uploader" abandoned: shutdown was forced"#),
        "{message}"
    );
    assert!(
        message.contains(r#"stop hook of "store" abandoned: shutdown was forced"#),
        "{message}"
    );
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test]
async fn service_ctx_run_ctx_cut_short_with_the_hooks_token_good() {
    // The hook's runs go with its token, and a clone of its context shares the token
    // (cloned before the token was first asked for, too).
    let own = Hooks::new().on_stop(|ctx: ServiceCtx<()>| {
        let copy = ctx.clone();
        let run = ctx.run_ctx();
        copy.cancel_token().cancel();
        assert!(
            ctx.cancel_token().is_cancelled(),
            "a clone shares the token"
        );
        assert!(
            run.cancel_token().is_cancelled(),
            "the hook's runs are cut short"
        );
        async { Ok(()) }
    });
    let services: Services<()> = Services::new(Bus::new());
    services
        .register(Registration::new("indexer", own))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_hook_cancelling_its_own_tokens_forces_nothing_ugly() {
    // A hook (or an Action it runs) cancelling its token to cut short its own work: the
    // other hooks are not forced, and the stop is no failure.
    let calls = calls();
    let seen = Arc::clone(&calls);
    let store = Hooks::new().on_stop(move |ctx: ServiceCtx<()>| {
        let seen = Arc::clone(&seen);
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let forced =
                ctx.cancel_token().is_cancelled() || ctx.run_ctx().cancel_token().is_cancelled();
            record(&seen, format!("store forced={forced}"));
            Ok(())
        }
    });
    let services: Services<()> = Services::new(Bus::new());
    services
        .register(Registration::new("store", store))
        .unwrap();
    let cancelling = Hooks::new().on_stop(|ctx: ServiceCtx<()>| {
        ctx.cancel_token().cancel();
        ctx.run_ctx().cancel_token().cancel();
        ctx.lifetime_ctx().cancel_token().cancel();
        async { Ok(()) }
    });
    services
        .register(Registration::new("uploader", cancelling))
        .unwrap();
    services.start_all(&()).await.unwrap();
    let began = tokio::time::Instant::now();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(1));
    assert_eq!(taken(&calls), ["store forced=false"]);
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_given_up_by_its_caller_still_stops_every_service_ugly() {
    // A caller's timeout drops the stop while the store's hook flushes: the stop goes on,
    // and the config (stopped after it) still gets its hook.
    let calls = calls();
    let seen = Arc::clone(&calls);
    let flushing = Hooks::new().on_stop(move |_: ServiceCtx<()>| {
        let seen = Arc::clone(&seen);
        async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            record(&seen, "stop store (flushed)".to_owned());
            Ok(())
        }
    });
    let services = services(vec![
        Registration::new("config", recorded(&calls)),
        Registration::new("store", flushing).after(["config"]),
    ]);
    services.start_all(&()).await.unwrap();
    let given_up =
        tokio::time::timeout(Duration::from_secs(1), services.stop_all(&(), DEADLINE)).await;
    assert!(given_up.is_err());
    // A second call waits for the first stop, which finishes.
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["start config", "stop store (flushed)", "stop config"]
    );
}

#[tokio::test(start_paused = true)]
async fn services_force_after_finished_in_time_forces_nothing_good() {
    let services: Services<()> = Services::new(Bus::new());
    services.start_all(&()).await.unwrap();
    let stopped = services
        .force_after(Duration::from_secs(10), async {
            tokio::time::sleep(Duration::from_secs(9)).await;
            services.stop_all(&(), DEADLINE).await
        })
        .await;
    stopped.unwrap();
    let forced = tokio::time::timeout(Duration::from_secs(60), services.forced()).await;
    assert!(
        forced.is_err(),
        "finished within its deadline: never forced"
    );
}

#[tokio::test(start_paused = true)]
async fn services_force_after_past_the_deadline_forces_and_still_waits_bad() {
    let services: Services<()> = Services::new(Bus::new());
    let watcher = services.clone();
    let began = Instant::now();
    let waited = services
        .force_after(Duration::from_secs(5), async move {
            // The owner's own step, which gives up once the shutdown is forced.
            watcher.forced().await;
            "gave up"
        })
        .await;
    assert_eq!(waited, "gave up");
    assert_eq!(began.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn services_force_after_zero_still_lets_a_ready_shutdown_finish_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services
        .force_after(Duration::ZERO, services.stop_all(&(), Duration::ZERO))
        .await
        .unwrap();
    assert_eq!(taken(&calls), ["start config", "stop config"]);
    let forced = tokio::time::timeout(Duration::from_secs(60), services.forced()).await;
    assert!(forced.is_err(), "finished at its first poll: never forced");
}

#[tokio::test(start_paused = true)]
async fn services_forced_pending_after_a_graceful_stop_bad() {
    let services: Services<()> = Services::new(Bus::new());
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    let forced = tokio::time::timeout(Duration::from_secs(60), services.forced()).await;
    assert!(forced.is_err(), "a graceful stop forces nothing");
}

#[tokio::test(start_paused = true)]
async fn services_forced_after_force_twice_completes_at_once_ugly() {
    let services: Services<()> = Services::new(Bus::new());
    services.force();
    services.force();
    let began = Instant::now();
    services.forced().await;
    services.forced().await;
    assert_eq!(began.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn services_context_cancelled_before_the_stop_hooks_good() {
    let services: Services<()> = Services::new(Bus::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let context = services.context().clone();
    let record = Arc::clone(&seen);
    services
        .register(Registration::new(
            "indexer",
            Hooks::new().on_stop(move |_| {
                record.lock().unwrap().push(context.is_cancelled());
                async { Ok(()) }
            }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert!(!services.context().is_cancelled());
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), [true]);
}

#[tokio::test]
async fn services_context_not_cancelled_by_force_or_a_refused_start_bad() {
    let services: Services<()> = Services::new(Bus::new());
    services.start_all(&()).await.unwrap();
    services.force();
    services.start_all(&()).await.unwrap_err();
    assert!(!services.context().is_cancelled());
}

#[tokio::test]
async fn services_context_cancelled_by_a_dependency_cycle_ugly() {
    let services: Services<()> = Services::new(Bus::new());
    for (name, after) in [("store", "brain"), ("brain", "store")] {
        services
            .register(Registration::new(name, Hooks::new()).after([after]))
            .unwrap();
    }
    services.start_all(&()).await.unwrap_err();
    assert!(
        services.context().is_cancelled(),
        "the services will never run"
    );
}

#[tokio::test(start_paused = true)]
async fn services_forced_completes_once_forced_good() {
    let services: Services<()> = Services::new(Bus::new());
    let waiting = tokio::spawn({
        let services = services.clone();
        async move { services.forced().await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!waiting.is_finished());
    services.force();
    waiting.await.unwrap();
}

/// `config` (whose stop hook fails) then `store` (whose start hook fails after a second),
/// starting on a task of its own; returns once the startup waits in the store's hook.
async fn failing_startup() -> (Services<()>, tokio::task::JoinHandle<Result<StartReport>>) {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", failing("config.toml vanished")))
        .unwrap();
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Err(Error::new("store.Db.open", "database locked"))
            }),
        ))
        .unwrap();
    let starting = tokio::spawn({
        let services = services.clone();
        async move { services.start_all(&()).await }
    });
    tokio::task::yield_now().await;
    (services, starting)
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_given_up_on_leaves_the_rollbacks_failures_to_no_one_bad() {
    let (services, starting) = failing_startup().await;
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), services.stop_all(&(), DEADLINE)).await;
    assert!(gave_up.is_err());
    assert!(starting.await.unwrap().is_err());
    // The failures were the abandoned call's: a later stop has nothing to report.
    services.stop_all(&(), DEADLINE).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn services_stop_all_during_a_failing_startup_reports_the_rollbacks_failures_ugly() {
    let (services, starting) = failing_startup().await;
    let stopped = services.stop_all(&(), DEADLINE).await;
    assert!(starting.await.unwrap().is_err());
    let err = stopped.unwrap_err();
    assert!(err.to_string().contains("config.toml vanished"), "{err}");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    // Reported once: a later stop has nothing left to report.
    services.stop_all(&(), DEADLINE).await.unwrap();
}

// ---- Services::with_drain_deadline ----

/// `indexer` records its start and stop; `store` fails to start.
fn indexer_then_failing_store(services: &Services<()>, calls: &Calls) {
    services
        .register(Registration::new("indexer", recorded(calls)))
        .unwrap();
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async { Err(Error::new("store.open", "database locked")) }),
        ))
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn services_with_drain_deadline_bounds_a_failed_startups_drain_good() {
    let mut stuck = Stuck::new();
    let calls = calls();
    let services = Services::with_drain_deadline(stuck.bus.clone(), Duration::from_millis(80));
    indexer_then_failing_store(&services, &calls);
    stuck.stuck_task().await;
    let began = Instant::now();
    services.start_all(&()).await.unwrap_err();
    assert_eq!(began.elapsed(), Duration::from_millis(80));
    assert_eq!(taken(&calls), ["start indexer", "stop indexer"]);
}

#[tokio::test(start_paused = true)]
async fn services_with_drain_deadline_zero_still_stops_what_started_bad() {
    let mut stuck = Stuck::new();
    let calls = calls();
    let services = Services::with_drain_deadline(stuck.bus.clone(), Duration::ZERO);
    indexer_then_failing_store(&services, &calls);
    stuck.stuck_task().await;
    let began = Instant::now();
    services.start_all(&()).await.unwrap_err();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(taken(&calls), ["start indexer", "stop indexer"]);
}

#[tokio::test(start_paused = true)]
async fn services_with_drain_deadline_does_not_bound_stop_all_ugly() {
    let mut stuck = Stuck::new();
    let calls = calls();
    let services = Services::with_drain_deadline(stuck.bus.clone(), Duration::from_millis(80));
    services
        .register(Registration::new("indexer", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    stuck.stuck_task().await;
    let began = Instant::now();
    services
        .stop_all(&(), Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(began.elapsed(), Duration::from_millis(300));
}

// ---- Registration::timeout ----

#[tokio::test(start_paused = true)]
async fn registration_timeout_bounds_a_stop_hook_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", hanging()).timeout(Duration::from_secs(2)))
        .unwrap();
    let (_, took) = failed_stop(&services).await;
    assert_eq!(took, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn registration_timeout_default_is_thirty_seconds_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", hanging()))
        .unwrap();
    let (err, took) = failed_stop(&services).await;
    assert_eq!(took, corers_lifecycle::DEFAULT_HOOK_TIMEOUT);
    assert!(err.message().ends_with("took longer than 30s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn registration_timeout_each_service_its_own_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", hanging()).timeout(Duration::from_secs(1)))
        .unwrap();
    services
        .register(Registration::new("store", hanging()).timeout(Duration::from_secs(4)))
        .unwrap();
    let (_, took) = failed_stop(&services).await;
    assert_eq!(took, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn registration_stop_timeout_bounds_the_stop_hook_good() {
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new("store", hanging())
                .timeout(Duration::from_secs(300))
                .stop_timeout(Duration::from_secs(10)),
        )
        .unwrap();
    let (err, took) = failed_stop(&services).await;
    assert_eq!(took, Duration::from_secs(10));
    assert!(err.message().ends_with("took longer than 10s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn registration_stop_timeout_leaves_the_start_hook_its_timeout_bad() {
    // A start that migrates for a minute is within its own timeout, not the stop's.
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new(
                "store",
                Hooks::new().on_start(|_| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(())
                }),
            )
            .timeout(Duration::from_secs(300))
            .stop_timeout(Duration::from_secs(10)),
        )
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn registration_stop_timeout_is_what_the_stop_hook_is_told_ugly() {
    let told = Arc::new(Mutex::new(Vec::new()));
    let (on_start, on_stop) = (Arc::clone(&told), Arc::clone(&told));
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new(
                "store",
                Hooks::new()
                    .on_start(move |ctx: ServiceCtx<()>| {
                        on_start.lock().unwrap().push(ctx.timeout());
                        async { Ok(()) }
                    })
                    .on_stop(move |ctx: ServiceCtx<()>| {
                        on_stop.lock().unwrap().push(ctx.timeout());
                        async { Ok(()) }
                    }),
            )
            .timeout(Duration::from_secs(300))
            .stop_timeout(Duration::ZERO),
        )
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(
        *told.lock().unwrap(),
        [Duration::from_secs(300), Duration::ZERO]
    );
}

#[tokio::test(start_paused = true)]
async fn registration_timeout_zero_fails_a_hook_that_yields_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new(
                "store",
                Hooks::new().on_stop(|_| async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Ok(())
                }),
            )
            .timeout(Duration::ZERO),
        )
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[tokio::test(start_paused = true)]
async fn registration_timeout_zero_lets_an_instant_hook_through_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)).timeout(Duration::ZERO))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(taken(&calls), ["start store", "stop store"]);
}

// ---- Hooks::on_stop ----

#[tokio::test]
async fn hooks_on_stop_runs_with_its_service_name_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(taken(&calls), ["start brain", "stop brain"]);
}

#[tokio::test]
async fn hooks_on_stop_error_is_returned_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", failing("disk detached")))
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().ends_with("store: disk detached"), "{err}");
}

#[tokio::test]
async fn hooks_on_stop_set_twice_keeps_the_last_ugly() {
    let calls = calls();
    let (first, last) = (Arc::clone(&calls), Arc::clone(&calls));
    let hooks = Hooks::new()
        .on_stop(move |_| {
            let calls = Arc::clone(&first);
            async move {
                record(&calls, "first".to_owned());
                Ok(())
            }
        })
        .on_stop(move |_| {
            let calls = Arc::clone(&last);
            async move {
                record(&calls, "last".to_owned());
                Ok(())
            }
        });
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", hooks))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(taken(&calls), ["last"]);
}

#[tokio::test]
async fn hooks_on_stop_panics_before_its_future_ugly() {
    let calls = calls();
    let services = three_with_store(
        &calls,
        Registration::new(
            "store",
            Hooks::new().on_stop(|_| {
                let journal = std::fs::read_to_string("/nonexistent/store/journal")
                    .expect("the journal is readable");
                async move {
                    drop(journal);
                    Ok(())
                }
            }),
        ),
    );
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(taken(&calls)[2..], ["stop indexer", "stop config"]);
}

// ---- Service::stop (the default) ----

struct Cache;

impl Service<()> for Cache {}

struct Journal;

impl Service<()> for Journal {
    fn stop(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        Box::pin(async {
            Err(Error::new("journal.Journal.close", "unflushed entries")
                .with_code(ErrorCode::CONFLICT))
        })
    }
}

struct Brain;

impl Service<()> for Brain {
    fn stop(self: Arc<Self>, ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        let snapshot = std::fs::read_to_string(format!("/nonexistent/{}/snapshot", ctx.name()))
            .expect("the snapshot is readable");
        Box::pin(async move {
            drop(snapshot);
            Ok(())
        })
    }
}

#[tokio::test]
async fn service_stop_default_succeeds_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("cache", Cache))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
}

#[tokio::test]
async fn service_stop_override_error_is_returned_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("journal", Journal))
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[tokio::test(start_paused = true)]
async fn service_stop_default_within_a_zero_timeout_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("cache", Cache).timeout(Duration::ZERO))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), DEADLINE).await.unwrap();
}

#[tokio::test]
async fn service_stop_panics_before_its_future_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", Brain))
        .unwrap();
    let (err, _) = failed_stop(&services).await;
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---- Services::force ----

/// A stop hook that waits for its token (or 60 s) and records which came first.
fn waits_for_force(calls: &Calls) -> Hooks<()> {
    let on_stop = Arc::clone(calls);
    Hooks::new().on_stop(move |ctx| {
        let calls = Arc::clone(&on_stop);
        async move {
            tokio::select! {
                () = ctx.cancel_token().cancelled() => record(&calls, "forced".to_owned()),
                () = tokio::time::sleep(Duration::from_secs(60)) => {
                    record(&calls, "waited".to_owned());
                }
            }
            Ok(())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn services_force_cuts_a_waiting_stop_hook_short_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new("indexer", waits_for_force(&calls)).timeout(Duration::from_secs(90)),
        )
        .unwrap();
    services.start_all(&()).await.unwrap();
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    services.force();
    stopping.await.unwrap().unwrap();
    assert_eq!(taken(&calls), ["forced"]);
}

#[tokio::test]
async fn services_force_alone_stops_nothing_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.force();
    assert_eq!(taken(&calls), ["start store"]);
    assert!(services.health(&()).await.ready);
}

#[tokio::test(start_paused = true)]
async fn services_force_abandons_a_hook_that_ignores_its_token_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", hanging()).timeout(Duration::from_secs(90)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), DEADLINE).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let began = Instant::now();
    services.force();
    let _ = stopping.await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn services_force_before_stop_every_hook_sees_it_at_once_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, waits_for_force(&calls)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    services.force();
    services.force();
    let began = Instant::now();
    services.stop_all(&(), DEADLINE).await.unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(taken(&calls), ["forced", "forced"]);
}

/// Background work a test submits to the bus.
struct Flush;
impl Task for Flush {
    type Output = ();
}
