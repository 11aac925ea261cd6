//! Health: `Services::health` (liveness, readiness, each service's own answer, a panicking
//! or hanging check), `Health::is_serving`, and the `Service::health` default.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_lifecycle::{BoxFuture, Health, Hooks, Registration, Service, ServiceCtx, Services};
use corers_messaging::Bus;
use tokio::time::Instant;

use common::services;

/// A service that answers `health` every time.
struct Fixed(Health);

impl Service<()> for Fixed {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Health> {
        Box::pin(async move { self.0.clone() })
    }
}

/// A health check that panics.
struct Panicking;

impl Service<()> for Panicking {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Health> {
        Box::pin(async { panic!("replica list poisoned") })
    }
}

/// A health check that never answers.
struct Hanging;

impl Service<()> for Hanging {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Health> {
        Box::pin(std::future::pending())
    }
}

/// A health check that panics before it returns its future.
struct PanicsEarly;

impl Service<()> for PanicsEarly {
    fn health(self: Arc<Self>, ctx: ServiceCtx<()>) -> BoxFuture<Health> {
        let status = std::fs::read_to_string(format!("/nonexistent/{}/status", ctx.name()))
            .expect("the status file is readable");
        Box::pin(async move {
            drop(status);
            Health::Healthy
        })
    }
}

/// A service with no health check of its own.
struct Cache;

impl Service<()> for Cache {}

fn healthy(name: &str) -> Registration<()> {
    Registration::new(name, Fixed(Health::Healthy))
}

async fn started(entries: Vec<Registration<()>>) -> Services<()> {
    let services = services(entries);
    services.start_all(&()).await.unwrap();
    services
}

// ---- Services::health ----

#[tokio::test]
async fn services_health_all_started_and_healthy_is_ready_good() {
    let services = started(vec![healthy("config"), healthy("store")]).await;
    let report = services.health(&()).await;
    assert!(report.live);
    assert!(report.ready);
    assert_eq!(
        report.services,
        [
            ("config".to_owned(), Health::Healthy),
            ("store".to_owned(), Health::Healthy)
        ]
    );
}

#[tokio::test]
async fn services_health_degraded_service_still_ready_good() {
    let services = started(vec![
        healthy("config"),
        Registration::new("store", Fixed(Health::Degraded("replica lag 4s".into()))),
    ])
    .await;
    let report = services.health(&()).await;
    assert!(report.ready);
    assert_eq!(
        report.services[1],
        (
            "store".to_owned(),
            Health::Degraded("replica lag 4s".into())
        )
    );
}

#[tokio::test]
async fn services_health_lists_services_in_registration_order_good() {
    let services = started(vec![
        healthy("indexer").after(["store"]),
        healthy("store").after(["config"]),
        healthy("config"),
    ])
    .await;
    let names: Vec<String> = services
        .health(&())
        .await
        .services
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["indexer", "store", "config"]);
}

#[tokio::test]
async fn services_health_before_start_live_but_not_ready_bad() {
    let services = services(vec![healthy("config")]);
    let report = services.health(&()).await;
    assert!(report.live);
    assert!(!report.ready);
}

#[tokio::test]
async fn services_health_unhealthy_service_not_ready_bad() {
    let services = started(vec![
        healthy("config"),
        Registration::new("store", Fixed(Health::Unhealthy("no database".into()))),
    ])
    .await;
    let report = services.health(&()).await;
    assert!(report.live);
    assert!(!report.ready);
}

#[tokio::test]
async fn services_health_after_stop_not_live_bad() {
    let services = started(vec![healthy("config")]).await;
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    let report = services.health(&()).await;
    assert!(!report.live);
    assert!(!report.ready);
}

#[tokio::test]
async fn services_health_after_failed_start_not_ready_bad() {
    let services = services(vec![
        healthy("config"),
        Registration::new(
            "store",
            Hooks::new().on_start(|_| async {
                Err(corers_primitives::Error::new(
                    "store.Store.open",
                    "no database",
                ))
            }),
        ),
    ]);
    services.start_all(&()).await.unwrap_err();
    assert!(!services.health(&()).await.ready);
}

#[tokio::test(start_paused = true)]
async fn services_health_after_a_startup_dropped_part_way_not_ready_ugly() {
    let services = services(vec![
        healthy("config"),
        Registration::new(
            "store",
            Hooks::new().on_start(|_| std::future::pending::<corers_primitives::Result<()>>()),
        ),
    ]);
    let gave_up = tokio::time::timeout(Duration::from_secs(1), services.start_all(&())).await;
    assert!(gave_up.is_err());
    let report = services.health(&()).await;
    assert_eq!((report.live, report.ready), (true, false));
}

#[tokio::test]
async fn services_health_bus_shutting_down_not_ready_bad() {
    let bus: Bus<()> = Bus::new();
    let services = Services::new(bus.clone());
    services.register(healthy("config")).unwrap();
    services.start_all(&()).await.unwrap();
    bus.shutdown();
    let report = services.health(&()).await;
    assert!(report.live);
    assert!(!report.ready);
}

#[tokio::test]
async fn services_health_during_shutdown_live_but_not_ready_ugly() {
    let (entered_tx, entered) = tokio::sync::oneshot::channel::<()>();
    let (release, gate) = tokio::sync::oneshot::channel::<()>();
    let hook = Mutex::new(Some((entered_tx, gate)));
    let services = services(vec![Registration::new(
        "store",
        Hooks::new().on_stop(move |_| {
            let hook = hook.lock().unwrap().take();
            async move {
                if let Some((entered, gate)) = hook {
                    let _ = entered.send(());
                    let _ = gate.await;
                }
                Ok(())
            }
        }),
    )]);
    services.start_all(&()).await.unwrap();
    let stopping = tokio::spawn({
        let services = services.clone();
        async move { services.stop_all(&(), Duration::from_secs(5)).await }
    });
    entered.await.unwrap();
    let report = services.health(&()).await;
    release.send(()).unwrap();
    stopping.await.unwrap().unwrap();
    assert!(report.live);
    assert!(!report.ready);
}

#[tokio::test]
async fn services_health_panicking_check_is_unhealthy_ugly() {
    let services = started(vec![
        healthy("config"),
        Registration::new("store", Panicking),
    ])
    .await;
    let report = services.health(&()).await;
    assert!(!report.ready);
    assert_eq!(
        report.services[1],
        (
            "store".to_owned(),
            Health::Unhealthy("panicked: replica list poisoned".into())
        )
    );
}

#[tokio::test(start_paused = true)]
async fn services_health_hanging_check_is_unhealthy_after_its_timeout_ugly() {
    let services = started(vec![
        Registration::new("store", Hanging).health_timeout(Duration::from_secs(2)),
        healthy("config"),
    ])
    .await;
    let began = Instant::now();
    let report = services.health(&()).await;
    assert_eq!(began.elapsed(), Duration::from_secs(2));
    assert!(!report.ready);
    assert_eq!(
        report.services[0],
        (
            "store".to_owned(),
            Health::Unhealthy("no answer within 2s".into())
        )
    );
}

#[tokio::test(start_paused = true)]
async fn registration_health_timeout_is_not_the_start_timeout_bad() {
    // Minutes for a migrating start, seconds for a probe.
    let services = started(vec![
        Registration::new("store", Hanging).timeout(Duration::from_secs(300)),
    ])
    .await;
    let began = Instant::now();
    let report = services.health(&()).await;
    assert_eq!(began.elapsed(), corers_lifecycle::DEFAULT_HEALTH_TIMEOUT);
    assert_eq!(
        report.services[0].1,
        Health::Unhealthy("no answer within 5s".into())
    );
}

/// A health check that answers after `after`.
struct Slow(Duration);

impl Service<()> for Slow {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<()>) -> BoxFuture<Health> {
        let after = self.0;
        Box::pin(async move {
            tokio::time::sleep(after).await;
            Health::Healthy
        })
    }
}

#[tokio::test(start_paused = true)]
async fn registration_health_timeout_longer_check_answers_good() {
    // A check that takes 8 s, given 10 s: the default 5 s would have cut it off.
    let services = started(vec![
        Registration::new("store", Slow(Duration::from_secs(8)))
            .health_timeout(Duration::from_secs(10)),
    ])
    .await;
    assert_eq!(services.health(&()).await.services[0].1, Health::Healthy);
}

#[tokio::test(start_paused = true)]
async fn registration_health_timeout_zero_still_takes_an_immediate_answer_ugly() {
    let services = started(vec![
        Registration::new("config", Fixed(Health::Healthy)).health_timeout(Duration::ZERO),
        Registration::new("store", Slow(Duration::from_millis(1))).health_timeout(Duration::ZERO),
    ])
    .await;
    let report = services.health(&()).await;
    assert_eq!(report.services[0].1, Health::Healthy);
    assert_eq!(
        report.services[1].1,
        Health::Unhealthy("no answer within 0ns".into())
    );
}

#[tokio::test(start_paused = true)]
async fn services_health_hanging_checks_wait_together_not_in_turn_ugly() {
    let services = started(vec![
        Registration::new("store", Hanging).health_timeout(Duration::from_secs(2)),
        Registration::new("index", Hanging).health_timeout(Duration::from_secs(3)),
        healthy("config"),
    ])
    .await;
    let began = Instant::now();
    let report = services.health(&()).await;
    // The longest timeout, not their sum.
    assert_eq!(began.elapsed(), Duration::from_secs(3));
    let names: Vec<&str> = report.services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["store", "index", "config"]);
    assert_eq!(report.services[2].1, Health::Healthy);
}

#[tokio::test]
async fn services_health_check_panicking_before_its_future_ugly() {
    let services = started(vec![Registration::new("store", PanicsEarly)]).await;
    let report = services.health(&()).await;
    assert!(!report.services[0].1.is_serving());
}

#[tokio::test]
async fn services_health_no_services_started_is_ready_ugly() {
    let services = started(Vec::new()).await;
    let report = services.health(&()).await;
    assert!(report.live);
    assert!(report.ready);
    assert!(report.services.is_empty());
}

// ---- Health::is_serving ----

#[test]
fn health_is_serving_healthy_good() {
    assert!(Health::Healthy.is_serving());
}

#[test]
fn health_is_serving_degraded_good() {
    assert!(Health::Degraded("replica lag 4s".into()).is_serving());
}

#[test]
fn health_is_serving_unhealthy_bad() {
    assert!(!Health::Unhealthy("no database".into()).is_serving());
}

#[test]
fn health_is_serving_unhealthy_without_a_reason_ugly() {
    assert!(!Health::Unhealthy(String::new()).is_serving());
    assert_eq!(Health::Unhealthy(String::new()).to_string(), "unhealthy: ");
}

#[test]
fn health_is_serving_display_forms_good() {
    assert_eq!(Health::Healthy.to_string(), "healthy");
    assert_eq!(
        Health::Degraded("slow disk".into()).to_string(),
        "degraded: slow disk"
    );
    assert_eq!(
        Health::Unhealthy("no database".into()).to_string(),
        "unhealthy: no database"
    );
}

// ---- Service::health (the default) ----

#[tokio::test]
async fn service_health_default_is_healthy_good() {
    let services = started(vec![Registration::new("cache", Cache)]).await;
    assert_eq!(
        services.health(&()).await.services,
        [("cache".to_owned(), Health::Healthy)]
    );
}

#[tokio::test]
async fn service_health_default_for_hooks_is_healthy_good() {
    let services = started(vec![Registration::new("cache", Hooks::new())]).await;
    assert_eq!(services.health(&()).await.services[0].1, Health::Healthy);
}

#[tokio::test]
async fn service_health_override_unhealthy_bad() {
    let services = started(vec![Registration::new(
        "store",
        Fixed(Health::Unhealthy("no database".into())),
    )])
    .await;
    assert_eq!(
        services.health(&()).await.services[0].1,
        Health::Unhealthy("no database".into())
    );
}

#[tokio::test]
async fn service_health_before_start_and_after_stop_is_said_without_asking_ugly() {
    // The check would answer for a service that is not there: it is not asked.
    let services = services(vec![Registration::new("store", Fixed(Health::Healthy))]);
    let report = services.health(&()).await;
    assert_eq!(
        report.services[0].1,
        Health::Unhealthy("not started".into())
    );
    assert!(!report.ready);
    services.start_all(&()).await.unwrap();
    assert_eq!(services.health(&()).await.services[0].1, Health::Healthy);
    services
        .stop_all(&(), Duration::from_secs(5))
        .await
        .unwrap();
    let report = services.health(&()).await;
    assert_eq!(report.services[0].1, Health::Unhealthy("stopped".into()));
    assert!(!report.live);
}

// ---- Hooks::on_health ----

#[tokio::test]
async fn hooks_on_health_reports_the_closures_answer_good() {
    let services = started(vec![Registration::new(
        "mailer",
        Hooks::new().on_health(|ctx: ServiceCtx<()>| async move {
            Health::Degraded(format!("{}: 1200 mails queued", ctx.name()))
        }),
    )])
    .await;
    let report = services.health(&()).await;
    assert!(report.ready);
    assert_eq!(
        report.services,
        [(
            "mailer".to_owned(),
            Health::Degraded("mailer: 1200 mails queued".into())
        )]
    );
}

#[tokio::test]
async fn hooks_on_health_unhealthy_is_not_ready_bad() {
    let services = started(vec![Registration::new(
        "mailer",
        Hooks::new().on_health(|_| async { Health::Unhealthy("SMTP relay refused".into()) }),
    )])
    .await;
    let report = services.health(&()).await;
    assert!(!report.ready);
    assert_eq!(
        format!(
            "{:?}",
            Hooks::<()>::new().on_health(|_| async { Health::Healthy })
        ),
        "Hooks { start: false, stop: false, reload: false, health: true }"
    );
}

#[tokio::test]
async fn hooks_on_health_panicking_check_is_unhealthy_ugly() {
    let services = started(vec![Registration::new(
        "mailer",
        Hooks::new().on_health(|_| async { panic!("queue counter poisoned") }),
    )])
    .await;
    let report = services.health(&()).await;
    assert!(!report.ready);
    assert!(
        matches!(&report.services[0].1, Health::Unhealthy(why) if why.contains("queue counter poisoned")),
        "{:?}",
        report.services
    );
}
