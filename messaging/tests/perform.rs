//! `Bus::on_task` and `Bus::perform`: work goes to the first task handler that accepts it;
//! the outcome is answered, failed (a panic included) or not handled.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use corers_messaging::{Bus, Outcome, Query, Task};
use corers_primitives::{Error, ErrorCode, Result};

struct Deploy {
    target: &'static str,
}
impl Task for Deploy {
    type Output = String;
}

struct CreateWorkspace {
    name: &'static str,
}
impl Task for CreateWorkspace {
    type Output = String;
}

// ---- Bus::perform ----

#[test]
fn bus_perform_first_accepting_handler_answers_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, d: &Deploy| {
        (d.target == "staging").then(|| Ok("deployed to staging".to_owned()))
    });
    bus.on_task(|_, d: &Deploy| Some(Ok(format!("deployed to {}", d.target))));
    let outcome = bus.perform(&(), &Deploy { target: "homelab" });
    assert_eq!(outcome.answer().as_deref(), Some("deployed to homelab"));
}

#[test]
fn bus_perform_no_handler_is_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, w: &CreateWorkspace| Some(Ok(format!("/srv/{}", w.name))));
    let outcome = bus.perform(&(), &Deploy { target: "homelab" });
    assert!(matches!(outcome, Outcome::NotHandled), "{outcome:?}");
}

#[test]
fn bus_perform_failing_handler_is_failed_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, d: &Deploy| {
        Some(Err(Error::new(
            "deploy.Ssh.connect",
            format!("host {:?} unreachable", d.target),
        )
        .with_code(ErrorCode::UNAVAILABLE)))
    });
    let outcome = bus.perform(&(), &Deploy { target: "homelab" });
    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.message(), "host \"homelab\" unreachable");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[test]
fn bus_perform_panicking_handler_is_failed_internal_ugly() {
    let bus: Bus<()> = Bus::new();
    let after = Arc::new(AtomicUsize::new(0));
    bus.on_task(|_, _: &Deploy| -> Option<Result<String>> { panic!("ssh agent vanished") });
    let counter = Arc::clone(&after);
    bus.on_task(move |_, _: &Deploy| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok("deployed".to_owned()))
    });
    let outcome = bus.perform(&(), &Deploy { target: "homelab" });
    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(err.operation(), "messaging.Bus.perform");
    assert_eq!(err.message(), "panicked: ssh agent vanished");
    // The panic took the task: nobody else is offered it.
    assert_eq!(after.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_perform_beyond_max_depth_is_failed_invalid_ugly() {
    let bus: Bus<()> = Bus::builder().max_depth(1).build().unwrap();
    let performed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&performed);
    bus.on_task(move |_, _: &Deploy| {
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Ok("deployed".to_owned()))
    });
    // Creating a workspace deploys it: one level deeper than this bus allows.
    bus.on_task(|ctx, _: &CreateWorkspace| {
        Some(
            ctx.bus()
                .perform(ctx.core(), &Deploy { target: "homelab" })
                .into_result()
                .map(Option::unwrap_or_default),
        )
    });
    let outcome = bus.perform(&(), &CreateWorkspace { name: "alpha" });
    let Outcome::Failed(err) = outcome else {
        panic!("expected Failed, got {outcome:?}");
    };
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(performed.load(Ordering::Relaxed), 0);
}

// ---- Bus::on_task ----

#[test]
fn bus_on_task_handler_receives_the_task_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, w: &CreateWorkspace| Some(Ok(format!("/srv/ws/{}", w.name))));
    let path = bus
        .perform(&(), &CreateWorkspace { name: "alpha" })
        .answer();
    assert_eq!(path.as_deref(), Some("/srv/ws/alpha"));
}

#[test]
fn bus_on_task_declining_handler_passes_the_task_on_bad() {
    let bus: Bus<()> = Bus::new();
    let offered = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&offered);
    bus.on_task(move |_, _: &Deploy| {
        counter.fetch_add(1, Ordering::Relaxed);
        None
    });
    let outcome = bus.perform(&(), &Deploy { target: "homelab" });
    assert!(matches!(outcome, Outcome::NotHandled), "{outcome:?}");
    assert_eq!(offered.load(Ordering::Relaxed), 1);
}

/// A type registered both as a query and as a task.
struct Inventory;
impl Query for Inventory {
    type Answer = usize;
}
impl Task for Inventory {
    type Output = usize;
}

#[test]
fn bus_on_task_handler_never_answers_a_query_of_the_same_type_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Inventory| Some(Ok(12)));
    bus.on_query(|_, _: &Inventory| Some(Ok(3)));
    assert_eq!(bus.perform(&(), &Inventory).answer(), Some(12));
    assert_eq!(bus.query(&(), &Inventory).answer(), Some(3));
}
