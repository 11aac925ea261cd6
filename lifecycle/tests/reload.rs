//! Reload: `Services::reload_all` calls every started service's reload hook in start
//! order and joins the failures; `Hooks::on_reload`; the `Service::reload` default.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_lifecycle::{BoxFuture, Hooks, Registration, Service, ServiceCtx, Services};
use corers_primitives::{Error, ErrorCode, Result};

use common::{Calls, calls, record, services, taken};

/// A service that records `reload <name>`.
fn reloading(calls: &Calls) -> Hooks<()> {
    let on_reload = Arc::clone(calls);
    Hooks::new().on_reload(move |ctx| {
        let calls = Arc::clone(&on_reload);
        async move {
            record(&calls, format!("reload {}", ctx.name()));
            Ok(())
        }
    })
}

/// A service that records `reload <name>` and then fails.
fn failing(calls: &Calls) -> Hooks<()> {
    let on_reload = Arc::clone(calls);
    Hooks::new().on_reload(move |ctx| {
        let calls = Arc::clone(&on_reload);
        async move {
            record(&calls, format!("reload {}", ctx.name()));
            Err(Error::new(
                "config.Config.load",
                format!("{}.toml: expected a table at line 3", ctx.name()),
            )
            .with_code(ErrorCode::INVALID))
        }
    })
}

// ---- Services::reload_all ----

#[tokio::test]
async fn services_reload_all_in_start_order_good() {
    let calls = calls();
    let services = services(vec![
        Registration::new("indexer", reloading(&calls)).after(["store"]),
        Registration::new("store", reloading(&calls)).after(["config"]),
        Registration::new("config", reloading(&calls)),
    ]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    assert_eq!(
        taken(&calls),
        ["reload config", "reload store", "reload indexer"]
    );
}

#[tokio::test]
async fn services_reload_all_twice_reloads_twice_good() {
    let calls = calls();
    let services = services(vec![Registration::new("config", reloading(&calls))]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    assert_eq!(taken(&calls), ["reload config", "reload config"]);
}

#[tokio::test]
async fn services_reload_all_joins_failures_bad() {
    let calls = calls();
    let services = services(vec![
        Registration::new("config", failing(&calls)),
        Registration::new("store", reloading(&calls)),
        Registration::new("brain", failing(&calls)),
    ]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(err.joined().len(), 2);
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn services_reload_all_failure_does_not_stop_the_others_bad() {
    let calls = calls();
    let services = services(vec![
        Registration::new("config", failing(&calls)),
        Registration::new("store", reloading(&calls)),
        Registration::new("brain", failing(&calls)),
    ]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap_err();
    assert_eq!(
        taken(&calls),
        ["reload config", "reload store", "reload brain"]
    );
}

#[tokio::test]
async fn services_reload_all_before_start_reloads_nothing_ugly() {
    let calls = calls();
    let services = services(vec![Registration::new("config", reloading(&calls))]);
    services.reload_all(&()).await.unwrap();
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn services_reload_all_during_startup_reloads_every_service_once_started_ugly() {
    // SIGHUP while a slow start hook runs: the services started before it would run on
    // with the old configuration; all of them reload once startup is over.
    let calls = calls();
    let (entered, release) = (
        Arc::new(tokio::sync::Notify::new()),
        tokio::sync::mpsc::channel::<()>(1),
    );
    let (gate, waiting) = (
        Arc::clone(&entered),
        Arc::new(tokio::sync::Mutex::new(release.1)),
    );
    let slow = reloading(&calls).on_start(move |_| {
        let (gate, waiting) = (Arc::clone(&gate), Arc::clone(&waiting));
        async move {
            gate.notify_one();
            waiting.lock().await.recv().await;
            Ok(())
        }
    });
    let services = services(vec![
        Registration::new("config", reloading(&calls)),
        Registration::new("migrate", slow),
    ]);
    let starting = tokio::spawn({
        let services = services.clone();
        async move { services.start_all(&()).await.map(|_| ()) }
    });
    entered.notified().await;
    let reload = tokio::spawn({
        let services = services.clone();
        async move { services.reload_all(&()).await }
    });
    tokio::task::yield_now().await;
    assert!(!reload.is_finished(), "the reload waits for startup");
    assert!(taken(&calls).is_empty());
    release.0.send(()).await.unwrap();
    starting.await.unwrap().unwrap();
    reload.await.unwrap().unwrap();
    assert_eq!(taken(&calls), ["reload config", "reload migrate"]);
    drop(release.0);
}

type Reloading = tokio::task::JoinHandle<Result<()>>;

/// A started `config` whose first reload pass waits for `release`; a reload running that
/// pass, and a second reload that has asked it for another pass and waits.
async fn second_reload_behind_a_waiting_one(
    calls: &Calls,
    release: &Arc<tokio::sync::Notify>,
) -> (Services<()>, Reloading, Reloading) {
    let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (seen, gate) = (Arc::clone(calls), Arc::clone(release));
    let services = services(vec![Registration::new(
        "config",
        Hooks::new().on_reload(move |_| {
            let (calls, entered, gate) = (Arc::clone(&seen), entered_tx.clone(), Arc::clone(&gate));
            async move {
                record(&calls, "reload config".to_owned());
                let _ = entered.send(());
                if taken(&calls).len() == 1 {
                    gate.notified().await;
                }
                Ok(())
            }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    let reload = || {
        let services = services.clone();
        tokio::spawn(async move { services.reload_all(&()).await })
    };
    let first = reload();
    entered.recv().await.unwrap();
    let second = reload();
    // (On this current-thread runtime, a few yields let it ask and start waiting.)
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    (services, first, second)
}

#[tokio::test]
async fn services_reload_all_waiting_behind_a_dropped_reload_runs_the_hooks_itself_ugly() {
    let calls = calls();
    let release = Arc::new(tokio::sync::Notify::new());
    let (_services, first, second) = second_reload_behind_a_waiting_one(&calls, &release).await;
    // The running reload is dropped (a host's timeout) before the pass asked for.
    first.abort();
    let _ = first.await;
    second.await.unwrap().unwrap();
    // The second reload's request was served by a pass of its own.
    assert_eq!(taken(&calls), ["reload config", "reload config"]);
}

#[tokio::test]
async fn services_reload_all_asked_again_once_shutdown_began_runs_no_more_ugly() {
    let calls = calls();
    let release = Arc::new(tokio::sync::Notify::new());
    let (services, first, second) = second_reload_behind_a_waiting_one(&calls, &release).await;
    // The owner begins a shutdown while the first pass runs: the pass asked for is dropped.
    services.context().cancel();
    release.notify_one();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(taken(&calls), ["reload config"]);
}

#[tokio::test]
async fn services_reload_all_after_stop_reloads_nothing_ugly() {
    let calls = calls();
    let services = services(vec![Registration::new("config", reloading(&calls))]);
    services.start_all(&()).await.unwrap();
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    services.reload_all(&()).await.unwrap();
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn services_reload_all_panicking_hook_is_internal_ugly() {
    let calls = calls();
    let services = services(vec![
        Registration::new(
            "config",
            Hooks::new().on_reload(|_| async { panic!("config watcher died") }),
        ),
        Registration::new("store", reloading(&calls)),
    ]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(taken(&calls), ["reload store"]);
}

#[tokio::test(start_paused = true)]
async fn services_reload_all_hanging_hook_times_out_ugly() {
    let calls = calls();
    let services = services(vec![
        Registration::new("config", Hooks::new().on_reload(|_| std::future::pending()))
            .timeout(Duration::from_secs(3)),
        Registration::new("store", reloading(&calls)),
    ]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(taken(&calls), ["reload store"]);
}

// ---- Hooks::on_reload ----

#[tokio::test]
async fn hooks_on_reload_runs_with_its_service_name_good() {
    let calls = calls();
    let services = services(vec![Registration::new("brain", reloading(&calls))]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    assert_eq!(taken(&calls), ["reload brain"]);
}

#[tokio::test]
async fn hooks_on_reload_error_is_returned_bad() {
    let calls = calls();
    let services = services(vec![Registration::new("config", failing(&calls))]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "lifecycle.Services.hook: reload hook of \"config\" failed [INVALID]: \
         config.Config.load: config.toml: expected a table at line 3"
    );
}

#[tokio::test]
async fn hooks_on_reload_without_start_or_stop_hooks_ugly() {
    let calls = calls();
    let services = services(vec![Registration::new("config", reloading(&calls))]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(taken(&calls), ["reload config"]);
}

// ---- Service::reload (the default) ----

struct Cache;

impl Service<()> for Cache {}

struct Config {
    reloads: Mutex<u32>,
}

impl Service<()> for Config {
    fn reload(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        Box::pin(async move {
            *self.reloads.lock().unwrap() += 1;
            Err(
                Error::new("config.Config.reload", "config.toml is not readable")
                    .with_code(ErrorCode::DENIED),
            )
        })
    }
}

struct Watcher;

impl Service<()> for Watcher {
    fn reload(self: Arc<Self>, ctx: ServiceCtx<()>) -> BoxFuture<Result<()>> {
        let rules = std::fs::read_to_string(format!("/nonexistent/{}/rules", ctx.name()))
            .expect("the rules file is readable");
        Box::pin(async move {
            drop(rules);
            Ok(())
        })
    }
}

#[tokio::test]
async fn service_reload_default_succeeds_good() {
    let services = services(vec![Registration::new("cache", Cache)]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
}

#[tokio::test]
async fn service_reload_override_error_is_returned_bad() {
    let services = services(vec![Registration::new(
        "config",
        Config {
            reloads: Mutex::new(0),
        },
    )]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    let config = services.get::<Config>("config").unwrap();
    assert_eq!(*config.reloads.lock().unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn service_reload_default_within_a_zero_timeout_ugly() {
    let services = services(vec![
        Registration::new("cache", Cache).timeout(Duration::ZERO),
    ]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
}

#[tokio::test]
async fn service_reload_panics_before_its_future_ugly() {
    let services = services(vec![Registration::new("watcher", Watcher)]);
    services.start_all(&()).await.unwrap();
    let err = services.reload_all(&()).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---- in_reload_hook ----

/// A service whose reload hook records what `in_reload_hook` says, there and in a task it
/// spawns.
fn asking(seen: &Arc<Mutex<Vec<(&'static str, bool)>>>) -> Hooks<()> {
    let seen = Arc::clone(seen);
    Hooks::new().on_reload(move |_| {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock()
                .unwrap()
                .push(("hook", corers_lifecycle::in_reload_hook()));
            let spawned = tokio::spawn(async { corers_lifecycle::in_reload_hook() })
                .await
                .unwrap();
            seen.lock().unwrap().push(("spawned", spawned));
            Ok(())
        }
    })
}

#[tokio::test]
async fn in_reload_hook_good() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let services = services(vec![Registration::new("store", asking(&seen))]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0], ("hook", true));
}

#[tokio::test]
async fn in_reload_hook_bad() {
    // Outside any hook, and in a start hook: not in a reload hook.
    assert!(!corers_lifecycle::in_reload_hook());
    let inside_start = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&inside_start);
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_start(move |_| {
            let seen = Arc::clone(&seen);
            async move {
                *seen.lock().unwrap() = Some(corers_lifecycle::in_reload_hook());
                Ok(())
            }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    assert_eq!(*inside_start.lock().unwrap(), Some(false));
}

#[tokio::test]
async fn in_reload_hook_ugly() {
    // A task the hook spawns is not the hook's: it may ask for a reload, which waits.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let services = services(vec![Registration::new("store", asking(&seen))]);
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[1], ("spawned", false));
}
