//! `Bus::on_query`, `Bus::query` and `Bus::query_all`: the first handler that answers wins;
//! answered, failed and "nobody answered" are three distinct outcomes; `query_all` collects
//! every answer and failure in registration order, leaving out handlers that decline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use corers_messaging::{Bus, Outcome, Query};
use corers_primitives::{Error, ErrorCode, Result};

/// Is a service healthy?
struct ServiceHealth {
    service: &'static str,
}
impl Query for ServiceHealth {
    type Answer = bool;
}

/// Which workspaces does each provider know?
struct Workspaces;
impl Query for Workspaces {
    type Answer = Vec<&'static str>;
}

/// A configuration value by key.
struct ConfigValue(&'static str);
impl Query for ConfigValue {
    type Answer = String;
}

fn redis_down() -> Error {
    Error::new("cache.Redis.ping", "connection refused").with_code(ErrorCode::UNAVAILABLE)
}

// ---- Bus::query ----

#[test]
fn bus_query_answering_handler_is_answered_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ServiceHealth| Some(Ok(q.service == "brain")));
    let outcome = bus.query(&(), &ServiceHealth { service: "brain" });
    assert!(matches!(outcome, Outcome::Answered(true)), "{outcome:?}");
}

#[test]
fn bus_query_failing_handler_is_failed_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &ServiceHealth| Some(Err(redis_down())));
    let outcome = bus.query(&(), &ServiceHealth { service: "cache" });
    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.operation(), "cache.Redis.ping");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[test]
fn bus_query_no_handler_is_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    // A handler for another query type does not count.
    bus.on_query(|_, _: &ConfigValue| Some(Ok("/srv/ws".to_owned())));
    let outcome = bus.query(&(), &ServiceHealth { service: "brain" });
    assert!(matches!(outcome, Outcome::NotHandled), "{outcome:?}");
}

#[test]
fn bus_query_first_answer_wins_and_later_handlers_are_not_asked_good() {
    let bus: Bus<()> = Bus::new();
    let later = Arc::new(AtomicUsize::new(0));
    bus.on_query(|_, _: &ConfigValue| None);
    bus.on_query(|_, q: &ConfigValue| Some(Ok(format!("/srv/{}", q.0))));
    let counter = Arc::clone(&later);
    bus.on_query(move |_, _: &ConfigValue| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok("/tmp/never".to_owned()))
    });
    let answer = bus.query(&(), &ConfigValue("alpha")).answer();
    assert_eq!(answer.as_deref(), Some("/srv/alpha"));
    assert_eq!(later.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_query_failure_stops_the_search_bad() {
    let bus: Bus<()> = Bus::new();
    let later = Arc::new(AtomicUsize::new(0));
    bus.on_query(|_, _: &ServiceHealth| Some(Err(redis_down())));
    let counter = Arc::clone(&later);
    bus.on_query(move |_, _: &ServiceHealth| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok(true))
    });
    let outcome = bus.query(&(), &ServiceHealth { service: "cache" });
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    assert_eq!(later.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_query_panicking_handler_is_failed_internal_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &ServiceHealth| -> Option<Result<bool>> {
        panic!("health probe table poisoned")
    });
    let outcome = bus.query(&(), &ServiceHealth { service: "brain" });
    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(err.operation(), "messaging.Bus.query");
    assert_eq!(err.message(), "panicked: health probe table poisoned");
}

#[test]
fn bus_query_every_handler_declining_is_not_handled_ugly() {
    let bus: Bus<()> = Bus::new();
    let asked = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let counter = Arc::clone(&asked);
        bus.on_query(move |_, _: &ServiceHealth| {
            counter.fetch_add(1, Ordering::Relaxed);
            None
        });
    }
    let outcome = bus.query(&(), &ServiceHealth { service: "queue" });
    assert!(matches!(outcome, Outcome::NotHandled), "{outcome:?}");
    assert_eq!(asked.load(Ordering::Relaxed), 3);
}

// ---- Bus::query_all ----

#[test]
fn bus_query_all_answers_and_failures_in_registration_order_skipping_declines_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    bus.on_query(|_, _: &Workspaces| None);
    bus.on_query(|_, _: &Workspaces| {
        Some(Err(
            Error::new("git.Forge.list", "token expired").with_code(ErrorCode::DENIED)
        ))
    });
    bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["beta", "gamma"])));

    let answers = bus.query_all(&(), &Workspaces).unwrap();

    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0].as_ref().unwrap(), &["alpha"]);
    assert_eq!(
        answers[1].as_ref().unwrap_err().code(),
        Some(&ErrorCode::DENIED)
    );
    assert_eq!(answers[2].as_ref().unwrap(), &["beta", "gamma"]);
}

#[test]
fn bus_query_all_no_handlers_is_empty_bad() {
    let bus: Bus<()> = Bus::new();
    assert!(bus.query_all(&(), &Workspaces).unwrap().is_empty());
}

#[test]
fn bus_query_all_panicking_handler_is_an_internal_failure_in_place_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    bus.on_query(|_, _: &Workspaces| -> Option<Result<Vec<&'static str>>> {
        panic!("workspace index poisoned")
    });
    bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["beta"])));

    let answers = bus.query_all(&(), &Workspaces).unwrap();

    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0].as_ref().unwrap(), &["alpha"]);
    let err = answers[1].as_ref().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(err.message(), "panicked: workspace index poisoned");
    assert_eq!(answers[2].as_ref().unwrap(), &["beta"]);
}

#[test]
fn bus_query_all_beyond_max_depth_is_invalid_ugly() {
    let bus: Bus<()> = Bus::builder().max_depth(1).build().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    bus.on_query(move |_, _: &Workspaces| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok(vec!["alpha"]))
    });
    // A query handler that asks every provider in turn: one level too deep for this bus.
    bus.on_query(|ctx, _: &ServiceHealth| {
        Some(
            ctx.bus()
                .query_all(ctx.core(), &Workspaces)
                .map(|all| all.is_empty()),
        )
    });

    let outcome = bus.query(&(), &ServiceHealth { service: "brain" });

    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "messaging.Bus.query_all");
    assert_eq!(asked.load(Ordering::Relaxed), 0);
}

// ---- Bus::on_query ----

#[test]
fn bus_on_query_handler_receives_the_query_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ConfigValue| match q.0 {
        "workspace.root" => Some(Ok("/srv/ws".to_owned())),
        _ => None,
    });
    let answer = bus.query(&(), &ConfigValue("workspace.root")).answer();
    assert_eq!(answer.as_deref(), Some("/srv/ws"));
}

#[test]
fn bus_on_query_declining_handler_leaves_it_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ConfigValue| (q.0 == "workspace.root").then(|| Ok("/srv/ws".to_owned())));
    let outcome = bus.query(&(), &ConfigValue("git.log"));
    assert!(matches!(outcome, Outcome::NotHandled), "{outcome:?}");
}

/// A type that is a query and a broadcast message at once.
struct Health;
impl Query for Health {
    type Answer = &'static str;
}

#[test]
fn bus_on_query_handler_never_sees_a_broadcast_of_the_same_type_ugly() {
    let bus: Bus<()> = Bus::new();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    bus.on_query(move |_, _: &Health| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok("ok"))
    });
    let report = bus.broadcast(&(), &Health).unwrap();
    assert_eq!(report.handled(), 0);
    assert_eq!(asked.load(Ordering::Relaxed), 0);
}
