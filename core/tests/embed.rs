//! The embedding bridge: a host that owns the event loop drives the Core with
//! `Core::startup` / `Core::shutdown`, and services reach the host's value through
//! `Core::host` (set by `CoreBuilder::host`).

use std::sync::{Arc, Mutex};

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
    core.startup().await.unwrap();
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

#[tokio::test]
async fn core_startup_twice_conflict_bad() {
    let core = Core::builder().build().unwrap();
    core.startup().await.unwrap();
    let err = core.startup().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert_eq!(err.operation(), "corers.Core.startup");
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

// ---- Core::shutdown ----

#[tokio::test]
async fn core_shutdown_twice_is_a_no_op_good() {
    let core = desktop(None);
    core.startup().await.unwrap();
    core.shutdown().await.unwrap();
    core.shutdown().await.unwrap();
    assert_eq!(shown(&core), ["config started", "config stopped"]);
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
