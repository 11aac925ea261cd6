//! `Core::services` and `ServicesView`: the services as the rest of an application sees
//! them — names, typed access, start order, health — with no way to lock, start or stop
//! them from there.

use std::sync::Arc;

use corers::lifecycle::BoxFuture;
use corers::prelude::*;

struct Store {
    root: &'static str,
}

impl Service<Core> for Store {}

/// A store whose disk is full.
struct Full;

impl Service<Core> for Full {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<Core>) -> BoxFuture<Health> {
        Box::pin(async { Health::Unhealthy("disk full".into()) })
    }
}

fn workbench() -> Core {
    Core::builder()
        .service(|_| Ok(Registration::new("index", Hooks::new()).after(["store"])))
        .service(|_| Ok(Registration::new("store", Store { root: "/srv/ws" })))
        .build()
        .unwrap()
}

#[test]
fn services_view_names_in_registration_order_good() {
    assert_eq!(workbench().services().names(), ["index", "store"]);
}

#[test]
fn services_view_names_of_a_core_without_services_bad() {
    let core = Core::builder().build().unwrap();
    assert!(core.services().names().is_empty());
}

#[test]
fn services_view_names_from_a_clone_are_the_same_ugly() {
    let core = workbench();
    let view = core.services();
    assert_eq!(core.clone().services().names(), view.names());
    assert_eq!(
        format!("{view:?}"),
        r#"ServicesView { names: ["index", "store"] }"#
    );
}

#[test]
fn services_view_get_as_its_type_good() {
    assert_eq!(
        workbench().services().get::<Store>("store").unwrap().root,
        "/srv/ws"
    );
}

#[test]
fn services_view_get_unknown_name_bad() {
    assert!(workbench().services().get::<Store>("cache").is_none());
}

#[test]
fn services_view_get_as_another_type_ugly() {
    assert!(workbench().services().get::<Hooks<Core>>("store").is_none());
}

#[test]
fn services_view_require_as_its_type_good() {
    let store = workbench().services().require::<Store>("store").unwrap();
    assert_eq!(store.root, "/srv/ws");
}

#[test]
fn services_view_require_unknown_name_says_the_closest_bad() {
    let err = workbench()
        .services()
        .require::<Store>("stroe")
        .err()
        .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(
        err.message()
            .ends_with(r#"no service "stroe" is registered (did you mean "store"?)"#),
        "{err}"
    );
}

#[test]
fn services_view_require_as_another_type_ugly() {
    let err = workbench()
        .services()
        .require::<Hooks<Core>>("store")
        .err()
        .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().starts_with(r#"service "store" is not a "#),
        "{err}"
    );
}

#[test]
fn services_view_order_dependencies_first_good() {
    assert_eq!(workbench().services().order().unwrap(), ["store", "index"]);
}

#[test]
fn services_view_order_never_fails_for_a_built_core_bad() {
    // The builder refuses what order() could fail on.
    let err = Core::builder()
        .service(|_| Ok(Registration::new("index", Hooks::new()).after(["index"])))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn services_view_order_of_no_services_ugly() {
    let core = Core::builder().build().unwrap();
    assert!(core.services().order().unwrap().is_empty());
}

#[tokio::test]
async fn services_view_health_ready_once_started_good() {
    let core = workbench();
    core.startup().await.unwrap();
    let report = core.services().health().await;
    assert!(report.live && report.ready);
    assert_eq!(report.services.len(), 2);
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn services_view_health_unhealthy_service_not_ready_bad() {
    let core = Core::builder()
        .service(|_| Ok(Registration::new("store", Full)))
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let report = core.services().health().await;
    assert!(report.live && !report.ready);
    assert_eq!(report.services[0].1, Health::Unhealthy("disk full".into()));
    core.shutdown().await.unwrap();
}

#[tokio::test]
async fn services_view_health_before_startup_not_ready_ugly() {
    let report = workbench().services().health().await;
    assert!(report.live && !report.ready);
}
