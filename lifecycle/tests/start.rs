//! Startup: `Services::start_all` in order, rollback of a failed startup, timeouts and
//! panics in start hooks, double start, the startup events, `Hooks::on_start`, the
//! `Service::start` default, and what a hook sees in its `ServiceCtx`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_lifecycle::{
    BoxFuture, Hooks, Registration, Service, ServiceCtx, ServiceShutdown, ServiceStarted,
    ServiceStartup, ServiceStopped, Services,
};
use corers_messaging::{Bus, Task, TaskCompleted};
use corers_primitives::{Error, ErrorCode, Result};
use tokio::time::Instant;

use common::{Calls, calls, record, recorded, recorded_starting, taken};

/// A service whose start hook records `start <name>` and then fails with `error`.
fn failing(calls: &Calls, error: fn() -> Error) -> Hooks<()> {
    recorded_starting(calls, move || Err(error()))
}

fn index_corrupt() -> Error {
    Error::new("indexer.Index.open", "index file workspace.idx is corrupt")
        .with_code(ErrorCode::UNAVAILABLE)
}

/// Five services; the third (`indexer`) fails to start.
fn third_of_five_fails(calls: &Calls) -> Services<()> {
    let services = Services::new(Bus::new());
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, recorded(calls)))
            .unwrap();
    }
    services
        .register(Registration::new("indexer", failing(calls, index_corrupt)))
        .unwrap();
    for name in ["brain", "api"] {
        services
            .register(Registration::new(name, recorded(calls)))
            .unwrap();
    }
    services
}

// ---- Services::start_all ----

#[tokio::test]
async fn services_start_all_registration_order_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    for name in ["config", "store", "indexer"] {
        services
            .register(Registration::new(name, recorded(&calls)))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["start config", "start store", "start indexer"]
    );
}

#[tokio::test]
async fn services_start_all_dependency_order_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("indexer", recorded(&calls)).after(["store"]))
        .unwrap();
    services
        .register(Registration::new("store", recorded(&calls)).after(["config"]))
        .unwrap();
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["start config", "start store", "start indexer"]
    );
}

#[tokio::test]
async fn services_start_all_report_lists_start_order_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", Hooks::new()).after(["config"]))
        .unwrap();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    let report = services.start_all(&()).await.unwrap();
    let names: Vec<&str> = report.started.iter().map(|(n, _)| &**n).collect();
    assert_eq!(names, ["config", "brain"]);
}

#[tokio::test(start_paused = true)]
async fn services_start_all_reports_each_hook_duration_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Ok(())
            }),
        ))
        .unwrap();
    let report = services.start_all(&()).await.unwrap();
    assert_eq!(
        report.started,
        [(Arc::from("store"), Duration::from_secs(2))]
    );
}

#[tokio::test]
async fn services_start_all_broadcasts_service_started_in_order_good() {
    let bus: Bus<()> = Bus::new();
    let events = calls();
    let seen = Arc::clone(&events);
    bus.on(move |_, started: &ServiceStarted| {
        record(&seen, started.name.clone());
        Ok(())
    });
    let services = Services::new(bus);
    for name in ["config", "store", "indexer"] {
        services
            .register(Registration::new(name, Hooks::new()))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    assert_eq!(taken(&events), ["config", "store", "indexer"]);
}

#[tokio::test]
async fn services_start_all_broadcasts_service_startup_after_every_start_good() {
    let bus: Bus<()> = Bus::new();
    let events = calls();
    let (started, startup) = (Arc::clone(&events), Arc::clone(&events));
    bus.on(move |_, event: &ServiceStarted| {
        record(&started, format!("started {}", event.name));
        Ok(())
    });
    bus.on(move |_, _: &ServiceStartup| {
        record(&startup, "startup".to_owned());
        Ok(())
    });
    let services = Services::new(bus);
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, Hooks::new()))
            .unwrap();
    }
    services.start_all(&()).await.unwrap();
    assert_eq!(
        taken(&events),
        ["started config", "started store", "startup"]
    );
}

#[tokio::test]
async fn services_start_all_third_of_five_fails_stops_first_two_in_reverse_bad() {
    let calls = calls();
    let services = third_of_five_fails(&calls);
    services.start_all(&()).await.unwrap_err();
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start store",
            "start indexer",
            "stop store",
            "stop config"
        ]
    );
}

#[tokio::test]
async fn services_start_all_third_of_five_fails_error_names_it_bad() {
    let calls = calls();
    let err = third_of_five_fails(&calls)
        .start_all(&())
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn services_start_all_failure_keeps_the_original_code_bad() {
    let calls = calls();
    let err = third_of_five_fails(&calls)
        .start_all(&())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(
        err.root().to_string(),
        "indexer.Index.open: index file workspace.idx is corrupt [UNAVAILABLE]"
    );
}

#[tokio::test]
async fn services_start_all_failure_broadcasts_no_startup_bad() {
    let bus: Bus<()> = Bus::new();
    let events = calls();
    let seen = Arc::clone(&events);
    bus.on(move |_, _: &ServiceStartup| {
        record(&seen, "startup".to_owned());
        Ok(())
    });
    let calls = calls();
    let services = Services::new(bus);
    services
        .register(Registration::new("indexer", failing(&calls, index_corrupt)))
        .unwrap();
    services.start_all(&()).await.unwrap_err();
    assert!(taken(&events).is_empty());
}

#[tokio::test]
async fn services_start_all_rollback_broadcasts_service_stopped_bad() {
    let bus: Bus<()> = Bus::new();
    let events = calls();
    let seen = Arc::clone(&events);
    bus.on(move |_, stopped: &ServiceStopped| {
        record(&seen, stopped.name.clone());
        Ok(())
    });
    let calls = calls();
    let services = Services::new(bus);
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services
        .register(Registration::new("indexer", failing(&calls, index_corrupt)))
        .unwrap();
    services.start_all(&()).await.unwrap_err();
    assert_eq!(taken(&events), ["config"]);
}

#[tokio::test]
async fn services_start_all_rollback_winds_down_like_a_shutdown_bad() {
    struct Reindex;
    impl Task for Reindex {
        type Output = usize;
    }
    let bus: Bus<()> = Bus::new();
    let calls = calls();
    let seen = Arc::clone(&calls);
    // The reindex waits for the wind-down to begin, so it is still running then.
    let (shutdown, held) = std::sync::mpsc::channel::<()>();
    let shutdown = Mutex::new(shutdown);
    bus.on(move |_, _: &ServiceShutdown| {
        record(&seen, "shutdown".to_owned());
        let _ = shutdown.lock().unwrap().send(());
        Ok(())
    });
    let held = Mutex::new(held);
    bus.on_task(move |_, _: &Reindex| {
        // Bounded: were there no wind-down, the test fails instead of hanging.
        let _ = held.lock().unwrap().recv_timeout(Duration::from_secs(30));
        Some(Ok(7))
    });
    let seen = Arc::clone(&calls);
    bus.on(move |_, done: &TaskCompleted<Reindex>| {
        record(
            &seen,
            format!("reindexed {}", done.outcome.as_ref().unwrap()),
        );
        Ok(())
    });
    let services = Services::with_drain_deadline(bus.clone(), Duration::from_secs(5));
    let starts_work = Arc::clone(&calls);
    services
        .register(Registration::new(
            "indexer",
            Hooks::new()
                .on_start(move |_| {
                    let bus = bus.clone();
                    async move { bus.perform_async(&(), Reindex).map(drop) }
                })
                .on_stop(move |ctx| {
                    let calls = Arc::clone(&starts_work);
                    async move {
                        record(&calls, format!("stop {}", ctx.name()));
                        Ok(())
                    }
                }),
        ))
        .unwrap();
    services
        .register(Registration::new("store", failing(&calls, index_corrupt)))
        .unwrap();
    services.start_all(&()).await.unwrap_err();
    // The task the indexer started finishes before the indexer is stopped.
    assert_eq!(
        taken(&calls),
        ["start store", "shutdown", "reindexed 7", "stop indexer"]
    );
}

#[tokio::test]
async fn services_start_all_twice_is_conflict_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    services.start_all(&()).await.unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert_eq!(
        err.to_string(),
        "lifecycle.Services.start_all: services are already running [CONFLICT]"
    );
}

#[tokio::test]
async fn services_start_all_twice_runs_start_hooks_once_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.start_all(&()).await.unwrap_err();
    assert_eq!(taken(&calls), ["start config"]);
}

#[tokio::test]
async fn services_start_all_after_the_context_is_cancelled_starts_nothing_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)))
        .unwrap();
    // The owner began a shutdown (it cancels the context before stopping the services).
    services.context().cancel();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(taken(&calls).is_empty());
}

// ---- Services::stop_starting ----

/// Four recorded services; the second asks startup to stop while it starts.
fn interrupted_at_the_second(calls: &Calls) -> Services<()> {
    let services = Services::new(Bus::new());
    for name in ["config", "store", "cache", "queue"] {
        let calls = Arc::clone(calls);
        let asker = services.clone();
        services
            .register(Registration::new(
                name,
                Hooks::new().on_start(move |ctx| {
                    record(&calls, format!("start {}", ctx.name()));
                    if ctx.name() == "store" {
                        asker.stop_starting();
                    }
                    async { Ok(()) }
                }),
            ))
            .unwrap();
    }
    services
}

#[tokio::test]
async fn services_stop_starting_starts_no_more_after_the_running_hook_good() {
    let calls = calls();
    let services = interrupted_at_the_second(&calls);
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(taken(&calls), ["start config", "start store"]);
    // What started runs on until the caller stops it.
    assert!(!services.context().is_cancelled());
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(services.context().is_cancelled());
}

#[tokio::test]
async fn services_stop_starting_after_startup_changes_nothing_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.stop_starting();
    assert!(!services.context().is_cancelled());
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(taken(&calls), ["start store", "stop store"]);
}

#[tokio::test]
async fn services_stop_starting_before_startup_stops_it_after_the_first_hook_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, recorded(&calls)))
            .unwrap();
    }
    // Asked before startup begins: the first service still starts (the context, not this,
    // is how to refuse a startup outright), then no more.
    services.stop_starting();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(taken(&calls), ["start config"]);
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn services_start_all_after_failed_start_is_conflict_bad() {
    let calls = calls();
    let services = third_of_five_fails(&calls);
    services.start_all(&()).await.unwrap_err();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[tokio::test]
async fn services_start_all_cycle_runs_no_hook_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services
        .register(Registration::new("store", recorded(&calls)).after(["indexer"]))
        .unwrap();
    services
        .register(Registration::new("indexer", recorded(&calls)).after(["store"]))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn services_start_all_missing_dependency_names_both_services_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", Hooks::new()).after(["vault"]))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert!(err.to_string().contains(r#""brain""#), "{err}");
    assert!(err.to_string().contains(r#""vault""#), "{err}");
}

#[tokio::test]
async fn services_start_all_panicking_hook_is_internal_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async { panic!("database file is locked") }),
        ))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert!(
        err.to_string()
            .contains("panicked: database file is locked"),
        "{err}"
    );
}

#[tokio::test]
async fn services_start_all_panicking_hook_rolls_back_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("config", recorded(&calls)))
        .unwrap();
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async { panic!("database file is locked") }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap_err();
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn services_start_all_hanging_hook_times_out_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new("brain", Hooks::new().on_start(|_| std::future::pending()))
                .timeout(Duration::from_secs(5)),
        )
        .unwrap();
    let began = Instant::now();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(began.elapsed(), Duration::from_secs(5));
}

#[tokio::test]
async fn services_start_all_empty_registry_ugly() {
    let services: Services<()> = Services::new(Bus::new());
    let report = services.start_all(&()).await.unwrap();
    assert!(report.started.is_empty());
    assert!(services.health(&()).await.ready);
}

#[tokio::test]
async fn services_start_all_concurrent_calls_start_once_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "config",
            Hooks::new().on_start({
                let calls = Arc::clone(&calls);
                move |ctx| {
                    let calls = Arc::clone(&calls);
                    async move {
                        tokio::task::yield_now().await;
                        record(&calls, format!("start {}", ctx.name()));
                        Ok(())
                    }
                }
            }),
        ))
        .unwrap();
    let (first, second) = tokio::join!(services.start_all(&()), services.start_all(&()));
    assert!(first.is_ok() != second.is_ok(), "{first:?} / {second:?}");
    let refused = first.err().or(second.err()).unwrap();
    assert_eq!(refused.code(), Some(&ErrorCode::CONFLICT));
    assert_eq!(taken(&calls), ["start config"]);
}

// ---- Hooks::on_start ----

#[tokio::test]
async fn hooks_on_start_runs_with_its_service_name_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert_eq!(taken(&calls), ["start brain"]);
}

#[tokio::test]
async fn hooks_on_start_error_fails_startup_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_| async {
                Err(
                    Error::new("store.Store.open", "permission denied on /srv/store")
                        .with_code(ErrorCode::DENIED),
                )
            }),
        ))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
}

#[tokio::test]
async fn hooks_on_start_set_twice_keeps_the_last_ugly() {
    let calls = calls();
    let (first, last) = (Arc::clone(&calls), Arc::clone(&calls));
    let hooks = Hooks::new()
        .on_start(move |_| {
            let calls = Arc::clone(&first);
            async move {
                record(&calls, "first".to_owned());
                Ok(())
            }
        })
        .on_start(move |_| {
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
    assert_eq!(taken(&calls), ["last"]);
}

#[tokio::test]
async fn hooks_on_start_panics_before_its_future_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "config",
            Hooks::new().on_start(|_| {
                let text = std::fs::read_to_string("/nonexistent/workbench/config.toml")
                    .expect("config.toml is readable");
                async move {
                    drop(text);
                    Ok(())
                }
            }),
        ))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---- Service::start (the default) ----

struct Cache {
    slots: usize,
}

impl Service<()> for Cache {}

struct Vault;

impl Service<()> for Vault {
    fn start(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        Box::pin(async {
            Err(Error::new("vault.Vault.unseal", "vault is sealed")
                .with_code(ErrorCode::UNAVAILABLE))
        })
    }
}

struct Brain;

impl Service<()> for Brain {
    fn start(self: Arc<Self>, ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        let model = std::fs::read_to_string(format!("/nonexistent/{}/model.bin", ctx.name()))
            .expect("the model file is readable");
        Box::pin(async move {
            drop(model);
            Ok(())
        })
    }
}

#[tokio::test]
async fn service_start_default_succeeds_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert_eq!(services.get::<Cache>("cache").unwrap().slots, 1024);
}

#[tokio::test]
async fn service_start_override_error_fails_startup_bad() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("vault", Vault))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("vault is sealed"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn service_start_default_within_a_zero_timeout_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("cache", Cache { slots: 0 }).timeout(Duration::ZERO))
        .unwrap();
    services.start_all(&()).await.unwrap();
}

#[tokio::test]
async fn service_start_panics_before_its_future_ugly() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("brain", Brain))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---- ServiceCtx ----

#[tokio::test]
async fn service_ctx_name_is_the_registered_name_good() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("indexer", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert_eq!(taken(&calls), ["start indexer"]);
}

#[tokio::test]
async fn service_ctx_name_of_a_failing_hook_is_the_one_the_error_names_bad() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("indexer", failing(&calls, index_corrupt)))
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(taken(&calls), ["start indexer"]);
    assert!(err.message().contains(r#""indexer""#), "{err}");
}

#[tokio::test]
async fn service_ctx_name_unicode_ugly() {
    let calls = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("インデクサ 🔍", recorded(&calls)))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert_eq!(taken(&calls), ["start インデクサ 🔍"]);
}

#[tokio::test]
async fn service_ctx_core_is_the_application_context_good() {
    let seen = calls();
    let services: Services<String> = Services::new(Bus::new());
    let on_start = Arc::clone(&seen);
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(move |ctx: ServiceCtx<String>| {
                let seen = Arc::clone(&on_start);
                async move {
                    record(&seen, ctx.core().clone());
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services.start_all(&"workbench".to_owned()).await.unwrap();
    assert_eq!(taken(&seen), ["workbench"]);
}

#[tokio::test]
async fn service_ctx_core_reaches_the_rollback_of_a_failed_start_bad() {
    let seen = calls();
    let services: Services<String> = Services::new(Bus::new());
    let on_stop = Arc::clone(&seen);
    services
        .register(Registration::new(
            "config",
            Hooks::new().on_stop(move |ctx: ServiceCtx<String>| {
                let seen = Arc::clone(&on_stop);
                async move {
                    record(&seen, format!("stop {} of {}", ctx.name(), ctx.core()));
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services
        .register(Registration::new(
            "indexer",
            Hooks::new().on_start(|_| async { Err(index_corrupt()) }),
        ))
        .unwrap();
    services
        .start_all(&"workbench".to_owned())
        .await
        .unwrap_err();
    assert_eq!(taken(&seen), ["stop config of workbench"]);
}

#[tokio::test]
async fn service_ctx_core_is_not_kept_after_stop_ugly() {
    let core: Arc<str> = Arc::from("workbench");
    let services: Services<Arc<str>> = Services::new(Bus::new());
    for name in ["config", "store", "indexer"] {
        services
            .register(Registration::new(
                name,
                Hooks::new()
                    .on_start(|ctx: ServiceCtx<Arc<str>>| async move {
                        let _ = ctx.core();
                        Ok(())
                    })
                    .on_stop(|ctx: ServiceCtx<Arc<str>>| async move {
                        let _ = ctx.core();
                        Ok(())
                    }),
            ))
            .unwrap();
    }
    services.start_all(&core).await.unwrap();
    services
        .stop_all(&core, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(Arc::strong_count(&core), 1);
}

#[tokio::test(start_paused = true)]
async fn service_ctx_cancel_token_cancelled_by_force_good() {
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "indexer",
            Hooks::new().on_start(|ctx| async move {
                tokio::select! {
                    () = ctx.cancel_token().cancelled() => Ok(()),
                    () = tokio::time::sleep(Duration::from_secs(20)) => {
                        Err(Error::new("indexer.Index.warm", "never told to give up"))
                    }
                }
            }),
        ))
        .unwrap();
    let starting = tokio::spawn({
        let services = services.clone();
        async move { services.start_all(&()).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    services.force();
    starting.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn service_ctx_cancel_token_untouched_by_a_hook_timeout_bad() {
    let (tell, told) = tokio::sync::oneshot::channel();
    let tell = Mutex::new(Some(tell));
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new(
                "indexer",
                Hooks::new().on_start(move |ctx| {
                    if let Some(tell) = tell.lock().unwrap().take() {
                        let _ = tell.send(ctx.clone());
                    }
                    std::future::pending()
                }),
            )
            .timeout(Duration::from_secs(3)),
        )
        .unwrap();
    let err = services.start_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    // The timed-out hook's future was dropped; its token is only for forced shutdown.
    let ctx = told.await.unwrap();
    assert!(!ctx.cancel_token().is_cancelled());
}

#[tokio::test]
async fn service_ctx_cancel_token_already_cancelled_after_force_ugly() {
    let seen = calls();
    let on_start = Arc::clone(&seen);
    let services = Services::new(Bus::new());
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(move |ctx| {
                let seen = Arc::clone(&on_start);
                async move {
                    record(
                        &seen,
                        format!("cancelled={}", ctx.cancel_token().is_cancelled()),
                    );
                    Ok(())
                }
            }),
        ))
        .unwrap();
    services.force();
    services.start_all(&()).await.unwrap();
    assert_eq!(taken(&seen), ["cancelled=true"]);
}

/// Starts then stops `services`, both expected to succeed.
async fn start_then_stop(services: &Services<()>) {
    services.start_all(&()).await.unwrap();
    services
        .stop_all(&(), Duration::from_secs(1))
        .await
        .unwrap();
}

/// Hooks that record the time they are given: `<hook> <name> <timeout>`.
fn timed(calls: &Calls) -> Hooks<()> {
    let (on_start, on_stop) = (Arc::clone(calls), Arc::clone(calls));
    Hooks::new()
        .on_start(move |ctx: ServiceCtx<()>| {
            record(
                &on_start,
                format!("start {} {:?}", ctx.name(), ctx.timeout()),
            );
            async { Ok(()) }
        })
        .on_stop(move |ctx: ServiceCtx<()>| {
            record(&on_stop, format!("stop {} {:?}", ctx.name(), ctx.timeout()));
            async { Ok(()) }
        })
}

#[tokio::test]
async fn service_ctx_timeout_is_the_services_own_good() {
    let seen = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", timed(&seen)).timeout(Duration::from_secs(5)))
        .unwrap();
    services
        .register(Registration::new("cache", timed(&seen)))
        .unwrap();
    start_then_stop(&services).await;
    assert_eq!(
        taken(&seen),
        [
            "start store 5s",
            "start cache 30s",
            "stop cache 30s",
            "stop store 5s"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn service_ctx_timeout_passed_cuts_the_hook_off_bad() {
    let services = Services::new(Bus::new());
    services
        .register(
            Registration::new(
                "store",
                Hooks::new().on_stop(|ctx: ServiceCtx<()>| async move {
                    // Plans with its time, then overruns it by a millisecond.
                    tokio::time::sleep(ctx.timeout() + Duration::from_millis(1)).await;
                    Ok(())
                }),
            )
            .timeout(Duration::from_secs(2)),
        )
        .unwrap();
    services.start_all(&()).await.unwrap();
    let began = Instant::now();
    let err = services
        .stop_all(&(), Duration::from_secs(30))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT), "{err}");
    assert_eq!(began.elapsed(), Duration::from_secs(2));
}

#[tokio::test]
async fn service_ctx_timeout_zero_still_lets_a_hook_that_does_not_wait_finish_ugly() {
    let seen = calls();
    let services = Services::new(Bus::new());
    services
        .register(Registration::new("store", timed(&seen)).timeout(Duration::ZERO))
        .unwrap();
    start_then_stop(&services).await;
    assert_eq!(taken(&seen), ["start store 0ns", "stop store 0ns"]);
}

#[tokio::test]
async fn services_start_all_durations_leave_out_the_previous_services_listeners_ugly() {
    // A slow ServiceStarted listener runs between two hooks: its time is nobody's start.
    let bus: Bus<()> = Bus::new();
    bus.on(|_, started: &ServiceStarted| {
        if started.name == "config" {
            std::thread::sleep(Duration::from_millis(500));
        }
        Ok(())
    });
    let services = Services::new(bus);
    for name in ["config", "store"] {
        services
            .register(Registration::new(name, Hooks::new()))
            .unwrap();
    }
    let began = Instant::now();
    let report = services.start_all(&()).await.unwrap();
    let whole = began.elapsed();
    let (config, store) = (report.started[0].1, report.started[1].1);
    // The listener's 500 ms lie between the two hooks: had they been counted in store's
    // time, the parts would add up to more than the whole.
    assert!(
        config + Duration::from_millis(500) + store <= whole,
        "config {config:?} + listener 500ms + store {store:?} > whole {whole:?}"
    );
}
