//! A service's background work: `ServiceCtx::spawn` (supervised while the service runs,
//! stopped in its turn), `ServiceCtx::stopping` (in reverse start order),
//! `ServiceCtx::request_shutdown` / `Services::request_stop` (asking for a shutdown from
//! inside, without waiting for it) and `Services::failure`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_lifecycle::{Health, Hooks, Registration, ServiceCtx, Services};
use corers_messaging::{ActionSpec, Actions, Bus, Task};
use corers_primitives::{Error, ErrorCode, Options, Value};

use common::{Calls, calls, record, services, taken};

const STOP: Duration = Duration::from_secs(5);

/// A service whose start hook spawns a loop that runs until the service's turn to stop,
/// and whose stop hook notes that it ran.
fn with_loop(name: &'static str, trail: &Calls) -> Hooks<()> {
    let (on_start, on_stop) = (trail.clone(), trail.clone());
    Hooks::new()
        .on_start(move |ctx| {
            let trail = on_start.clone();
            async move {
                let stopping = ctx.stopping().clone();
                ctx.spawn("loop", async move {
                    stopping.cancelled().await;
                    record(&trail, format!("{name} loop ended"));
                    Ok(())
                })
            }
        })
        .on_stop(move |_| {
            record(&on_stop, format!("{name} stop hook"));
            async { Ok(()) }
        })
}

#[tokio::test]
async fn service_ctx_spawn_tasks_stop_in_their_services_turn_good() {
    let trail = calls();
    let services = services(vec![
        Registration::new("indexer", with_loop("indexer", &trail)).after(["store"]),
        Registration::new("store", with_loop("store", &trail)),
    ]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    // The indexer (which depends on the store) winds down first, loop then hook; the
    // store's loop still runs while the indexer's stop hook does.
    assert_eq!(
        taken(&trail),
        [
            "indexer loop ended",
            "indexer stop hook",
            "store loop ended",
            "store stop hook"
        ]
    );
}

// On the paused clock: the writer's 20 ms pass only once startup has ended and the
// runtime is idle, however loaded the machine.
#[tokio::test(start_paused = true)]
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
    let trail = calls();
    let hook = trail.clone();
    let services = services(vec![
        Registration::new(
            "uploader",
            Hooks::new()
                .on_start(|ctx| async move { ctx.spawn("upload", std::future::pending()) })
                .on_stop(move |_| {
                    record(&hook, "stop hook".to_owned());
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
    assert_eq!(taken(&trail), ["stop hook"]);
}

#[tokio::test]
async fn service_ctx_spawn_task_that_stops_when_told_is_no_failure_of_a_forced_stop_ugly() {
    // A second signal forced the shutdown before the service's turn: its loop, told to
    // stop, ends at once, within the grace, and that is no failure.
    let trail = calls();
    let services = services(vec![Registration::new(
        "indexer",
        with_loop("indexer", &trail),
    )]);
    services.start_all(&()).await.unwrap();
    services.force();
    services.stop_all(&(), STOP).await.unwrap();
    assert_eq!(taken(&trail), ["indexer loop ended", "indexer stop hook"]);
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

/// The replica's last sync, sent as the store stops.
struct LastBatch;

impl Task for LastBatch {
    type Output = ();
}

#[tokio::test]
async fn service_ctx_spawn_work_the_stop_refused_is_no_failure_ugly() {
    // Two tasks whose work the stop refuses: one woken once a stop was asked for while the
    // services still run, one by its service's turn to stop. Neither failed.
    let (go, woken) = tokio::sync::oneshot::channel::<()>();
    let (refused, seen) = tokio::sync::oneshot::channel::<bool>();
    let woken = Mutex::new(Some((woken, refused)));
    let bus = Bus::new();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let (woken, refused) = woken.lock().unwrap().take().unwrap();
            let (replica, writer) = (bus.clone(), bus.clone());
            async move {
                ctx.spawn("replicator", async move {
                    woken.await.unwrap();
                    replica.shutdown();
                    let err = replica
                        .perform_async(&(), LastBatch)
                        .map(|_| ())
                        .map_err(|err| {
                            Error::wrap(err, "store.Replica.sync", "send the last batch")
                        });
                    refused.send(err.is_err()).unwrap();
                    err
                })?;
                let stopping = ctx.stopping().clone();
                ctx.spawn("writer", async move {
                    stopping.cancelled().await;
                    writer.perform_async(&(), LastBatch)?;
                    Ok(())
                })
            }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    services.request_stop(None);
    go.send(()).unwrap();
    assert!(seen.await.unwrap(), "the replicator's work was refused");
    services.stop_all(&(), STOP).await.unwrap();
    assert!(services.failure().is_none());
}

#[tokio::test]
async fn service_ctx_spawn_work_refused_by_a_plain_stop_all_is_no_failure_ugly() {
    // No stop requested first (a host's stop_all, a failed startup's rollback): the
    // stop's refusal of a task's work, while its service still runs, is no failure either.
    let bus: Bus<()> = Bus::new();
    let services = Services::new(bus.clone());
    let context = services.context().clone();
    let (refused, seen) = tokio::sync::oneshot::channel::<bool>();
    let refused = Mutex::new(Some(refused));
    let seen = tokio::sync::Mutex::new(Some(seen));
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(move |ctx| {
                let (context, bus) = (context.clone(), bus.clone());
                let refused = refused.lock().unwrap().take().unwrap();
                async move {
                    ctx.spawn("replicator", async move {
                        context.cancelled().await;
                        let sent = bus.perform_async(&(), LastBatch).map(|_| ());
                        refused.send(sent.is_err()).unwrap();
                        sent
                    })
                }
            }),
        ))
        .unwrap();
    // Stops first, and waits for the replicator's refusal: the store still runs then.
    services
        .register(Registration::new(
            "cache",
            Hooks::new().on_stop(move |_| {
                let seen = seen.try_lock().unwrap().take().unwrap();
                async move {
                    assert!(seen.await.unwrap(), "the replicator's work was refused");
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    assert!(services.failure().is_none());
    assert!(!services.is_stop_requested(), "no stop was requested");
}

#[tokio::test]
async fn service_ctx_spawn_after_the_service_stopped_is_refused_bad() {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![Registration::new("cache", keeping(&kept))]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    assert!(ctx.stopping().is_cancelled());
    let err = ctx.spawn("late", async { Ok(()) }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn service_ctx_spawn_from_a_thread_without_a_runtime_is_refused_ugly() {
    let (services, ctx) = running("camera").await;
    // A capture thread of the service's own asks for a task.
    let refused = std::thread::spawn(move || ctx.spawn("frames", async { Ok(()) }))
        .join()
        .expect("refused, not a panic");
    let err = refused.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.message().contains("no tokio runtime"), "{err}");
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_spawned_by_a_service_that_failed_to_start_are_stopped_ugly() {
    let trail = calls();
    let spawned = trail.clone();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let trail = spawned.clone();
            async move {
                let stopping = ctx.stopping().clone();
                ctx.spawn("warmup", async move {
                    stopping.cancelled().await;
                    record(&trail, "warmup ended".to_owned());
                    Ok(())
                })?;
                Err(Error::new("store.Db.open", "connection refused"))
            }
        }),
    )]);
    let err = services.start_all(&()).await.unwrap_err();
    assert!(err.to_string().contains("connection refused"));
    assert_eq!(taken(&trail), ["warmup ended"]);
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
async fn service_ctx_deadline_of_a_stop_hook_counts_from_after_the_tasks_ugly() {
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
struct Dropped(Calls);

impl Drop for Dropped {
    fn drop(&mut self) {
        record(&self.0, "task dropped".to_owned());
    }
}

/// A task that runs until it is aborted, `guard` recording its drop.
async fn forever(guard: Dropped) -> corers_primitives::Result<()> {
    let _guard = guard;
    std::future::pending().await
}

/// What `trail` holds once aborted tasks have had the runtime's next turns to be dropped.
async fn after_aborts(trail: &Calls) -> Vec<String> {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    taken(trail)
}

#[tokio::test]
async fn service_ctx_spawned_by_a_start_hook_cut_off_are_aborted_ugly() {
    let trail = calls();
    let held = trail.clone();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let guard = Dropped(held.clone());
            async move {
                ctx.spawn("warmup", forever(guard))?;
                std::future::pending().await
            }
        }),
    )]);
    // The caller gives up on the startup: its future is dropped mid-hook.
    let cut_off = tokio::time::timeout(Duration::from_millis(50), services.start_all(&())).await;
    assert!(cut_off.is_err());
    // An aborted task is dropped at the runtime's next turn.
    assert_eq!(after_aborts(&trail).await, ["task dropped"]);
}

#[tokio::test]
async fn service_ctx_spawned_tasks_are_aborted_when_the_services_are_dropped_running_ugly() {
    let trail = calls();
    let held = trail.clone();
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |ctx| {
            let guard = Dropped(held.clone());
            async move { ctx.spawn("compact", forever(guard)) }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    // An embedding host that drops them without a stop: nothing is left running.
    drop(services);
    assert_eq!(after_aborts(&trail).await, ["task dropped"]);
}

/// A service whose start hook hands its context to `kept`.
fn keeping(kept: &Arc<Mutex<Option<ServiceCtx<()>>>>) -> Hooks<()> {
    let keep = Arc::clone(kept);
    Hooks::new().on_start(move |ctx| {
        *keep.lock().unwrap() = Some(ctx);
        async { Ok(()) }
    })
}

/// The services of the one service `name`, started, and the context its start hook had.
async fn running(name: &str) -> (Services<()>, ServiceCtx<()>) {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![Registration::new(name.to_owned(), keeping(&kept))]);
    services.start_all(&()).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    (services, ctx)
}

#[tokio::test(start_paused = true)]
async fn service_ctx_deadline_is_the_hooks_timeout_from_its_call_good() {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![
        Registration::new("cache", keeping(&kept)).timeout(Duration::from_secs(7)),
    ]);
    let called = tokio::time::Instant::now();
    services.start_all(&()).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    assert_eq!(ctx.deadline(), Some(called + Duration::from_secs(7)));
}

/// A service whose stop hook records its deadline, as time left from the hook's call.
fn telling_its_deadline(trail: &Calls) -> Hooks<()> {
    let trail = trail.clone();
    Hooks::new().on_stop(move |ctx: ServiceCtx<()>| {
        let left = ctx.deadline().map(|end| end - tokio::time::Instant::now());
        let run_left = ctx
            .run_ctx()
            .deadline()
            .map(|end| end - tokio::time::Instant::now());
        record(&trail, format!("{left:?} {run_left:?}"));
        async { Ok(()) }
    })
}

#[tokio::test(start_paused = true)]
async fn service_ctx_deadline_of_a_stop_hook_is_the_shutdowns_when_earlier_good() {
    let trail = calls();
    let services = services(vec![
        Registration::new("cache", telling_its_deadline(&trail))
            .stop_timeout(Duration::from_secs(30)),
    ]);
    services.start_all(&()).await.unwrap();
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(taken(&trail), ["Some(5s) Some(5s)"]);
}

#[tokio::test]
async fn service_ctx_deadline_of_a_timeout_too_long_to_count_is_none_bad() {
    let kept = Arc::new(Mutex::new(None));
    let started = services(vec![
        Registration::new("migrate", keeping(&kept)).timeout(Duration::MAX),
    ]);
    started.start_all(&()).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    assert_eq!(ctx.deadline(), None);
    assert_eq!(ctx.run_ctx().deadline(), None);
    // A stop without a limit of its own either: none still.
    let trail = calls();
    let unbounded = services(vec![
        Registration::new("migrate", telling_its_deadline(&trail)).stop_timeout(Duration::MAX),
    ]);
    unbounded.start_all(&()).await.unwrap();
    unbounded.stop_all(&(), Duration::MAX).await.unwrap();
    assert_eq!(taken(&trail), ["None None"]);
}

#[tokio::test(start_paused = true)]
async fn service_ctx_deadline_of_a_stop_hook_after_a_slow_one_is_what_is_left_ugly() {
    let trail = calls();
    let slow = services(vec![
        Registration::new("store", telling_its_deadline(&trail)),
        Registration::new(
            "cache",
            Hooks::new().on_stop(|_| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok(())
            }),
        ),
    ]);
    slow.start_all(&()).await.unwrap();
    slow.stop_all(&(), Duration::from_secs(5)).await.unwrap();
    // The cache stopped first, in 3 s of the shutdown's 5: the store has 2 left, not its
    // own 30.
    assert_eq!(taken(&trail), ["Some(2s) Some(2s)"]);
    // A stop timeout shorter than what is left is the deadline.
    let trail = calls();
    let quick = services(vec![
        Registration::new("store", telling_its_deadline(&trail))
            .stop_timeout(Duration::from_secs(1)),
    ]);
    quick.start_all(&()).await.unwrap();
    quick.stop_all(&(), Duration::from_secs(5)).await.unwrap();
    assert_eq!(taken(&trail), ["Some(1s) Some(1s)"]);
}

#[tokio::test(start_paused = true)]
async fn service_ctx_run_ctx_runs_an_action_from_a_stop_hook_good() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let trail = calls();
    let flushed = trail.clone();
    actions
        .register(ActionSpec::new("cache.flush", move |_, _| {
            record(&flushed, "flushed".to_owned());
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let runner = actions.clone();
    let services = services(vec![
        Registration::new(
            "cache",
            Hooks::new().on_stop(move |ctx: ServiceCtx<()>| {
                let actions = runner.clone();
                async move {
                    // Under the hook's own context: its deadline, not the application's.
                    assert_eq!(ctx.run_ctx().deadline(), ctx.deadline());
                    actions
                        .run(&(), &ctx.run_ctx(), "cache.flush", Options::new())
                        .await?;
                    Ok(())
                }
            }),
        )
        .stop_timeout(Duration::from_secs(3)),
    ]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    assert_eq!(taken(&trail), ["flushed"]);
}

/// Actions with `index.refresh`, which takes `ms` milliseconds and records its end.
fn refreshing(trail: &Calls, ms: u64) -> Actions<()> {
    let actions: Actions<()> = Actions::new(Bus::new());
    let refreshed = trail.clone();
    actions
        .register(ActionSpec::new("index.refresh", move |_, _| {
            let refreshed = refreshed.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                record(&refreshed, "refreshed".to_owned());
                Ok(Value::Null)
            }
        }))
        .unwrap();
    actions
}

#[tokio::test(start_paused = true)]
async fn service_ctx_lifetime_ctx_runs_after_shutdown_has_begun_good() {
    let trail = calls();
    let actions = refreshing(&trail, 0);
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![
        Registration::new("cache", keeping(&kept)).timeout(Duration::from_secs(7)),
    ]);
    services.start_all(&()).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    services.request_stop(None);
    assert!(services.context().is_cancelled());
    let run = ctx.lifetime_ctx();
    // No deadline of the start hook's (7 s): it serves the service's whole life.
    assert_eq!(run.deadline(), None);
    tokio::time::advance(Duration::from_secs(60)).await;
    actions
        .run(&(), &run, "index.refresh", Options::new())
        .await
        .unwrap();
    assert_eq!(taken(&trail), ["refreshed"]);
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_lifetime_ctx_is_cancelled_when_shutdown_is_forced_bad() {
    let trail = calls();
    let actions = refreshing(&trail, 0);
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![Registration::new("cache", keeping(&kept))]);
    services.start_all(&()).await.unwrap();
    let run = kept.lock().unwrap().take().unwrap().lifetime_ctx();
    services.force();
    assert!(run.cancel_token().is_cancelled());
    assert!(
        actions
            .run(&(), &run, "index.refresh", Options::new())
            .await
            .is_err()
    );
    assert!(taken(&trail).is_empty());
}

#[tokio::test(start_paused = true)]
async fn service_ctx_lifetime_ctx_run_in_flight_at_the_services_turn_finishes_ugly() {
    let trail = calls();
    let actions = refreshing(&trail, 50);
    let services = services(vec![Registration::new(
        "indexer",
        Hooks::new().on_start(move |ctx: ServiceCtx<()>| {
            let actions = actions.clone();
            async move {
                let (run, stopping) = (ctx.lifetime_ctx(), ctx.stopping().clone());
                ctx.spawn("refresh", async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(50));
                    loop {
                        tokio::select! {
                            biased;
                            () = stopping.cancelled() => return Ok(()),
                            _ = tick.tick() => {
                                actions.run(&(), &run, "index.refresh", Options::new()).await?;
                            }
                        }
                    }
                })
            }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    // Runs end at 50, 100 and 150 ms: the third is under way when the turn comes.
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(taken(&trail).len(), 2);
    services.stop_all(&(), STOP).await.unwrap();
    assert_eq!(taken(&trail).len(), 3);
}

#[tokio::test]
async fn service_ctx_stopping_is_cancelled_by_a_forced_shutdown_before_its_turn_ugly() {
    let (services, ctx) = running("cache").await;
    services.request_stop(None);
    assert!(!ctx.stopping().is_cancelled());
    services.force();
    assert!(ctx.stopping().is_cancelled());
}

#[tokio::test]
async fn service_ctx_run_ctx_is_cancelled_when_shutdown_is_forced_bad() {
    let (services, ctx) = running("cache").await;
    let run = ctx.run_ctx();
    assert!(!run.cancel_token().is_cancelled());
    services.force();
    assert!(run.cancel_token().is_cancelled());
}

#[tokio::test]
async fn service_ctx_run_ctx_of_a_kept_context_after_the_services_are_gone_ugly() {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![Registration::new("cache", keeping(&kept))]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    drop(services);
    let ctx = kept.lock().unwrap().take().unwrap();
    // Still usable, and asking for a shutdown of services that are gone does nothing.
    assert!(!ctx.run_ctx().cancel_token().is_cancelled());
    ctx.request_shutdown();
    assert_eq!(ctx.name(), "cache");
}

#[tokio::test]
async fn service_ctx_request_shutdown_from_a_task_cancels_the_context_good() {
    let services = services(vec![Registration::new(
        "admin",
        Hooks::new().on_start(|ctx| async move {
            let asker = ctx.clone();
            ctx.spawn("quit", async move {
                asker.request_shutdown();
                Ok(())
            })
        }),
    )]);
    services.start_all(&()).await.unwrap();
    tokio::time::timeout(STOP, services.context().cancelled())
        .await
        .unwrap();
    assert!(services.is_stop_requested());
    assert!(services.failure().is_none());
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_request_shutdown_for_keeps_the_failure_good() {
    let services = services(vec![Registration::new(
        "licence",
        Hooks::new().on_start(|ctx: ServiceCtx<()>| async move {
            ctx.request_shutdown_for(
                Error::new("licence.Check.verify", "licence expired").with_code(ErrorCode::DENIED),
            );
            Ok(())
        }),
    )]);
    // Startup ends there, interrupted.
    assert!(services.start_all(&()).await.is_err());
    assert!(services.was_interrupted());
    assert!(services.context().is_cancelled());
    let failure = services.failure().expect("the failure asked for");
    assert_eq!(failure.code(), Some(&ErrorCode::DENIED));
    assert_eq!(failure.message(), "licence expired");
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_request_shutdown_for_after_a_plain_request_still_keeps_it_bad() {
    let (services, ctx) = running("cache").await;
    ctx.request_shutdown();
    ctx.request_shutdown_for(Error::new("cache.Redis.ping", "connection refused"));
    assert_eq!(services.failure().unwrap().message(), "connection refused");
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn service_ctx_request_shutdown_for_twice_keeps_the_first_ugly() {
    let (services, ctx) = running("cache").await;
    ctx.request_shutdown_for(Error::new("cache.Redis.ping", "first"));
    ctx.request_shutdown_for(Error::new("cache.Redis.ping", "second"));
    assert_eq!(services.failure().unwrap().message(), "first");
    services.stop_all(&(), STOP).await.unwrap();
    // Asked again once the services are stopped: nothing changes.
    ctx.request_shutdown_for(Error::new("cache.Redis.ping", "third"));
    assert_eq!(services.failure().unwrap().message(), "first");
}

#[tokio::test]
async fn service_ctx_request_shutdown_does_not_stop_the_services_itself_bad() {
    let (services, ctx) = running("cache").await;
    ctx.request_shutdown();
    // Asked, not done: the owner stops them; the service's own turn has not come.
    assert!(services.context().is_cancelled());
    assert!(!ctx.stopping().is_cancelled());
    assert!(services.health(&()).await.live);
    services.stop_all(&(), STOP).await.unwrap();
    assert!(ctx.stopping().is_cancelled());
}

#[tokio::test]
async fn service_ctx_stopping_cancelled_in_reverse_start_order_good() {
    // Each stop hook sees its own token cancelled; the indexer's sees the store's not yet
    // cancelled (the store it depends on still runs), the store's sees the indexer's done.
    let store_ctx = Arc::new(Mutex::new(None));
    let indexer_ctx = Arc::new(Mutex::new(None));
    let trail = calls();
    let seen = |other: &Arc<Mutex<Option<ServiceCtx<()>>>>, name: &'static str| {
        let (other, trail) = (Arc::clone(other), trail.clone());
        move |ctx: ServiceCtx<()>| {
            let other = other
                .lock()
                .unwrap()
                .as_ref()
                .map(|o: &ServiceCtx<()>| o.stopping().is_cancelled());
            record(
                &trail,
                format!(
                    "{name}: own {} other {other:?}",
                    ctx.stopping().is_cancelled()
                ),
            );
            async { Ok(()) }
        }
    };
    let services = services(vec![
        Registration::new(
            "store",
            keeping(&store_ctx).on_stop(seen(&indexer_ctx, "store")),
        ),
        Registration::new(
            "indexer",
            keeping(&indexer_ctx).on_stop(seen(&store_ctx, "indexer")),
        )
        .after(["store"]),
    ]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    assert_eq!(
        taken(&trail),
        [
            "indexer: own true other Some(false)",
            "store: own true other Some(true)"
        ]
    );
}

#[tokio::test]
async fn service_ctx_stopping_of_a_service_that_never_started_is_never_cancelled_bad() {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![
        Registration::new(
            "store",
            Hooks::new().on_start(|_| async { Err(Error::new("store.Db.open", "refused")) }),
        ),
        Registration::new("indexer", keeping(&kept)).after(["store"]),
    ]);
    services.start_all(&()).await.unwrap_err();
    // The indexer's start hook never ran: it has no context to hand out.
    assert!(kept.lock().unwrap().is_none());
}

#[tokio::test]
async fn service_ctx_stopping_asked_first_after_the_stop_is_cancelled_ugly() {
    let kept = Arc::new(Mutex::new(None));
    let services = services(vec![Registration::new("cache", keeping(&kept))]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    let ctx = kept.lock().unwrap().take().unwrap();
    assert!(ctx.stopping().is_cancelled());
}

#[tokio::test]
async fn services_failure_kept_from_a_failed_task_good() {
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(|ctx| async move {
            ctx.spawn("writer", async {
                Err(Error::new("store.Writer.flush", "disk full").with_code(ErrorCode::UNAVAILABLE))
            })
        }),
    )]);
    services.start_all(&()).await.unwrap();
    tokio::time::timeout(STOP, services.context().cancelled())
        .await
        .unwrap();
    let failure = services.failure().unwrap();
    assert_eq!(failure.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(failure.to_string().contains("disk full"), "{failure}");
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn services_failure_none_for_a_stop_without_one_bad() {
    let services = services(vec![]);
    services.start_all(&()).await.unwrap();
    services.request_stop(None);
    services.stop_all(&(), STOP).await.unwrap();
    assert!(services.failure().is_none());
}

#[tokio::test]
async fn services_failure_read_twice_gives_the_same_copy_ugly() {
    let services = services(vec![]);
    services.request_stop(Some(
        Error::new("a.b", "first").with_code(ErrorCode::TIMEOUT),
    ));
    let (one, two) = (services.failure().unwrap(), services.failure().unwrap());
    assert_eq!(one.to_string(), two.to_string());
    assert_eq!(two.code(), Some(&ErrorCode::TIMEOUT));
}

#[tokio::test]
async fn services_is_stop_requested_after_a_request_good() {
    let services = services(vec![]);
    services.start_all(&()).await.unwrap();
    services.request_stop(None);
    assert!(services.is_stop_requested());
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn services_is_stop_requested_not_by_a_plain_stop_bad() {
    let services = services(vec![]);
    services.start_all(&()).await.unwrap();
    services.stop_all(&(), STOP).await.unwrap();
    assert!(!services.is_stop_requested());
}

#[tokio::test]
async fn services_is_stop_requested_before_start_refuses_the_start_ugly() {
    let services = services(vec![Registration::new("cache", Hooks::new())]);
    services.request_stop(None);
    assert!(services.is_stop_requested());
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(services.was_interrupted());
}

#[tokio::test]
async fn services_request_stop_before_start_starts_nothing_bad() {
    let trail = calls();
    let services = services(vec![Registration::new("cache", with_loop("cache", &trail))]);
    services.request_stop(Some(Error::new("config.load", "bad file")));
    services.start_all(&()).await.unwrap_err();
    services.stop_all(&(), STOP).await.unwrap();
    assert!(taken(&trail).is_empty());
    assert_eq!(services.failure().unwrap().message(), "bad file");
}

#[tokio::test]
async fn services_request_stop_from_a_stop_hook_does_not_wait_on_it_ugly() {
    let handle = Arc::new(Mutex::new(None::<Services<()>>));
    let in_hook = Arc::clone(&handle);
    let services = services(vec![Registration::new(
        "cache",
        Hooks::new().on_stop(move |_| {
            if let Some(services) = in_hook.lock().unwrap().as_ref() {
                services.request_stop(Some(Error::new("cache.flush", "late")));
            }
            async { Ok(()) }
        }),
    )]);
    *handle.lock().unwrap() = Some(services.clone());
    services.start_all(&()).await.unwrap();
    tokio::time::timeout(STOP, services.stop_all(&(), STOP))
        .await
        .expect("a request from a stop hook does not wait on it")
        .unwrap();
    handle.lock().unwrap().take();
    assert_eq!(services.failure().unwrap().message(), "late");
}

#[tokio::test]
async fn services_was_interrupted_by_a_request_during_startup_good() {
    let services = services(vec![
        Registration::new(
            "config",
            Hooks::new().on_start(|ctx| {
                ctx.request_shutdown();
                async { Ok(()) }
            }),
        ),
        Registration::new("store", Hooks::new()),
    ]);
    services.start_all(&()).await.unwrap_err();
    assert!(services.was_interrupted());
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn services_was_interrupted_not_by_a_service_that_failed_bad() {
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(|_| async { Err(Error::new("store.Db.open", "refused")) }),
    )]);
    services.start_all(&()).await.unwrap_err();
    assert!(!services.was_interrupted());
}

/// A `store` whose start hook gives up once the services' context is cancelled.
fn giving_up() -> Registration<()> {
    Registration::new(
        "store",
        Hooks::new().on_start(|ctx: ServiceCtx<()>| async move {
            let asker = ctx.clone();
            ctx.spawn("admin", async move {
                asker.request_shutdown();
                Ok(())
            })?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(Error::new("store.Db.open", "startup cancelled").with_code(ErrorCode::UNAVAILABLE))
        }),
    )
}

#[tokio::test]
async fn services_was_interrupted_by_a_request_a_start_hook_gave_up_on_good() {
    let services = services(vec![giving_up()]);
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.message(), "service \"store\" failed to start");
    assert!(services.was_interrupted());
    services.stop_all(&(), STOP).await.unwrap();
}

#[tokio::test]
async fn services_start_all_hook_failing_after_a_failed_task_tells_both_bad() {
    let services = services(vec![
        Registration::new(
            "metrics",
            Hooks::new().on_start(|ctx: ServiceCtx<()>| async move {
                ctx.spawn("scrape", async {
                    Err(Error::new("metrics.Scrape.run", "target gone"))
                })
            }),
        ),
        giving_up(),
    ]);
    let err = services.start_all(&()).await.unwrap_err();
    // A failure to start: the hook's, and the failure the stop was asked for.
    assert!(!services.was_interrupted());
    assert_eq!(err.joined().len(), 2, "{err}");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("target gone"), "{err}");
}

#[tokio::test]
async fn services_was_interrupted_never_started_ugly() {
    let services = services(vec![Registration::new("cache", Hooks::new())]);
    assert!(!services.was_interrupted());
    services.start_all(&()).await.unwrap();
    assert!(!services.was_interrupted());
    services.stop_all(&(), STOP).await.unwrap();
}
