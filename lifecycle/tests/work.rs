//! A service's background work: `ServiceCtx::spawn` (supervised while the service runs,
//! stopped in its turn), `ServiceCtx::stopping` (in reverse start order),
//! `ServiceCtx::request_shutdown` / `Services::request_stop` (asking for a shutdown from
//! inside, without waiting for it) and `Services::failure`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_lifecycle::{Health, Hooks, Registration, Services};
use corers_messaging::Bus;
use corers_primitives::{Error, ErrorCode};

const STOP: Duration = Duration::from_secs(5);

/// What happened, in order.
#[derive(Clone, Default)]
struct Trail(Arc<Mutex<Vec<String>>>);

impl Trail {
    fn push(&self, what: impl Into<String>) {
        self.0.lock().unwrap().push(what.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// A service whose start hook spawns a loop that runs until the service's turn to stop,
/// and whose stop hook notes that it ran.
fn with_loop(name: &'static str, trail: &Trail) -> Hooks<()> {
    let (on_start, on_stop) = (trail.clone(), trail.clone());
    Hooks::new()
        .on_start(move |ctx| {
            let trail = on_start.clone();
            async move {
                let stopping = ctx.stopping().clone();
                ctx.spawn("loop", async move {
                    stopping.cancelled().await;
                    trail.push(format!("{name} loop ended"));
                    Ok(())
                })
            }
        })
        .on_stop(move |_| {
            on_stop.push(format!("{name} stop hook"));
            async { Ok(()) }
        })
}

fn services(entries: Vec<Registration<()>>) -> Services<()> {
    let services = Services::new(Bus::new());
    for registration in entries {
        services.register(registration).unwrap();
    }
    services
}

#[tokio::test]
async fn service_ctx_spawn_tasks_stop_in_their_services_turn_good() {
    let trail = Trail::default();
    let services = services(vec![
        Registration::new("indexer", with_loop("indexer", &trail)).after(["store"]),
        Registration::new("store", with_loop("store", &trail)),
    ]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    // The indexer (which depends on the store) winds down first, loop then hook; the
    // store's loop still runs while the indexer's stop hook does.
    assert_eq!(
        trail.take(),
        [
            "indexer loop ended",
            "indexer stop hook",
            "store loop ended",
            "store stop hook"
        ]
    );
}

#[tokio::test]
async fn service_ctx_spawn_failure_while_running_requests_a_stop_bad() {
    let services = services(vec![
        Registration::new(
            "store",
            Hooks::new().on_start(|ctx| async move {
                ctx.spawn("writer", async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err(Error::new("store.Writer.flush", "disk full")
                        .with_code(ErrorCode::UNAVAILABLE))
                })
            }),
        ),
        Registration::new("cache", Hooks::new()),
    ]);
    services.start_all(&()).await.unwrap();
    assert!(services.health(&()).await.ready);
    // Not silent: the application is told to stop, with the failure.
    tokio::time::timeout(STOP, services.context().cancelled())
        .await
        .expect("a failed task requests a stop");
    assert!(services.is_stop_requested());
    let failure = services.failure().unwrap();
    assert_eq!(failure.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(
        failure
            .to_string()
            .contains(r#"task "writer" of service "store" failed"#),
        "{failure}"
    );
    let report = services.health(&()).await;
    assert!(!report.ready);
    assert!(
        matches!(&report.services[0].1, Health::Unhealthy(why) if why.contains("disk full")),
        "{report:?}"
    );
    assert_eq!(report.services[1].1, Health::Healthy);
    // Told once: the stop does not report it again.
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_spawn_panic_is_a_failure_not_a_crash_ugly() {
    let services = services(vec![Registration::new(
        "metrics",
        Hooks::new().on_start(|ctx| async move {
            ctx.spawn("scrape", async {
                tokio::task::yield_now().await;
                panic!("scrape target list poisoned")
            })
        }),
    )]);
    services.start_all(&()).await.unwrap();
    tokio::time::timeout(STOP, services.context().cancelled())
        .await
        .unwrap();
    let failure = services.failure().unwrap();
    assert_eq!(failure.code(), Some(&ErrorCode::INTERNAL));
    assert!(failure.to_string().contains("scrape target list poisoned"));
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn service_ctx_spawn_task_ignoring_its_stop_is_cut_off_ugly() {
    let trail = Trail::default();
    let hook = trail.clone();
    let services = services(vec![
        Registration::new(
            "uploader",
            Hooks::new()
                .on_start(|ctx| async move { ctx.spawn("upload", std::future::pending()) })
                .on_stop(move |_| {
                    hook.push("stop hook");
                    async { Ok(()) }
                }),
        )
        .stop_timeout(Duration::from_secs(2)),
    ]);
    services.start_all(&()).await.unwrap();
    let err = services.stop_all(&(), STOP).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"task "upload" of service "uploader" did not stop within 2s"#),
        "{err}"
    );
    // The stop hook still ran.
    assert_eq!(trail.take(), ["stop hook"]);
}

#[tokio::test]
async fn service_ctx_spawn_failure_while_stopping_is_the_stops_failure_ugly() {
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(|ctx| async move {
            let stopping = ctx.stopping().clone();
            ctx.spawn("writer", async move {
                stopping.cancelled().await;
                Err(Error::new("store.Writer.flush", "last batch lost"))
            })
        }),
    )]);
    services.start_all(&()).await.unwrap();
    let err = services.stop_all(&(), STOP).await.unwrap_err();
    assert!(err.to_string().contains("last batch lost"), "{err}");
    // Not a failure while it ran: no stop was requested for it.
    assert!(services.failure().is_none());
}

#[tokio::test]
async fn service_ctx_spawn_after_the_service_stopped_is_refused_bad() {
    let kept = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&kept);
    let services = services(vec![Registration::new(
        "cache",
        Hooks::new().on_start(move |ctx| {
            *keep.lock().unwrap() = Some(ctx);
            async { Ok(()) }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    assert!(ctx.stopping().is_cancelled());
    let err = ctx.spawn("late", async { Ok(()) }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn service_ctx_spawned_by_a_service_that_failed_to_start_are_stopped_ugly() {
    let trail = Trail::default();
    let spawned = trail.clone();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let trail = spawned.clone();
            async move {
                let stopping = ctx.stopping().clone();
                ctx.spawn("warmup", async move {
                    stopping.cancelled().await;
                    trail.push("warmup ended");
                    Ok(())
                })?;
                Err(Error::new("store.Db.open", "connection refused"))
            }
        }),
    )]);
    let err = services.start_all(&()).await.unwrap_err();
    assert!(err.to_string().contains("connection refused"));
    assert_eq!(trail.take(), ["warmup ended"]);
}

#[tokio::test]
async fn service_ctx_request_shutdown_from_a_start_hook_does_not_wait_on_itself_ugly() {
    let services = services(vec![
        Registration::new(
            "config",
            Hooks::new().on_start(|ctx| {
                // The config is fatal: ask for a shutdown, and do not wait for it.
                ctx.request_shutdown();
                async { Ok(()) }
            }),
        ),
        Registration::new("store", Hooks::new()),
    ]);
    let err = tokio::time::timeout(STOP, services.start_all(&()))
        .await
        .expect("no hook waits on itself")
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(services.is_stop_requested());
    assert!(services.failure().is_none());
    services.stop_all(&(), STOP).await.unwrap();
    let report = services.health(&()).await;
    assert_eq!(
        report.services[1].1,
        Health::Unhealthy("not started".into())
    );
}

#[tokio::test]
async fn services_request_stop_keeps_the_first_failure_good() {
    let services = services(vec![]);
    services.start_all(&()).await.unwrap();
    assert!(!services.is_stop_requested());
    services.request_stop(Some(Error::new("a", "first")));
    services.request_stop(Some(Error::new("b", "second")));
    services.request_stop(None);
    assert!(services.context().is_cancelled());
    assert_eq!(services.failure().unwrap().message(), "first");
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn service_ctx_stop_hook_deadline_counts_from_after_the_tasks_ugly() {
    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let services = services(vec![
        Registration::new(
            "store",
            Hooks::new()
                .on_start(|ctx| async move {
                    let stopping = ctx.stopping().clone();
                    ctx.spawn("writer", async move {
                        stopping.cancelled().await;
                        // Flushing takes a while.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        Ok(())
                    })
                })
                .on_stop(move |ctx| {
                    let left = ctx.deadline().unwrap() - tokio::time::Instant::now();
                    *record.lock().unwrap() = Some(left);
                    async { Ok(()) }
                }),
        )
        .stop_timeout(Duration::from_secs(2)),
    ]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    // The hook has its whole stop timeout, not what the writer left of it.
    assert_eq!(*seen.lock().unwrap(), Some(Duration::from_secs(2)));
}

/// Records its drop: a task's future dropped (ended, or aborted).
struct Dropped(Trail);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.push("task dropped");
    }
}

#[tokio::test]
async fn service_ctx_spawned_by_a_start_hook_cut_off_are_aborted_ugly() {
    let trail = Trail::default();
    let held = trail.clone();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let guard = Dropped(held.clone());
            async move {
                ctx.spawn("warmup", async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                    Ok(())
                })?;
                std::future::pending().await
            }
        }),
    )]);
    // The caller gives up on the startup: its future is dropped mid-hook.
    let cut_off = tokio::time::timeout(Duration::from_millis(50), services.start_all(&())).await;
    assert!(cut_off.is_err());
    // An aborted task is dropped at the runtime's next turn.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(trail.take(), ["task dropped"]);
}
