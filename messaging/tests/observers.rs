//! `Bus::observe`: catch-all observers see every verb with its `DispatchKind` and type name,
//! before the handlers run; a panicking observer never breaks the dispatch.

use std::any::type_name;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_messaging::{Bus, DispatchKind, Query, Task, TaskCompleted, TaskEnded, TaskStarted};

struct WorkspaceCreated {
    name: &'static str,
}

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

struct Deploy {
    target: &'static str,
}
impl Task for Deploy {
    type Output = String;
}

type Log = Arc<Mutex<Vec<(DispatchKind, &'static str)>>>;

fn recording(bus: &Bus<()>) -> Log {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    bus.observe(move |_, observed| {
        sink.lock()
            .unwrap()
            .push((observed.kind, observed.type_name));
    });
    log
}

#[test]
fn bus_observe_sees_every_verb_with_kind_and_type_name_good() {
    let bus: Bus<()> = Bus::new();
    let log = recording(&bus);

    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert!(bus.query(&(), &WorkspaceCount).answer().is_none());
    assert!(bus.query_all(&(), &WorkspaceCount).unwrap().is_empty());
    assert!(
        bus.perform(&(), &Deploy { target: "homelab" })
            .answer()
            .is_none()
    );

    assert_eq!(
        *log.lock().unwrap(),
        [
            (DispatchKind::Broadcast, type_name::<WorkspaceCreated>()),
            (DispatchKind::Query, type_name::<WorkspaceCount>()),
            (DispatchKind::Query, type_name::<WorkspaceCount>()),
            (DispatchKind::Perform, type_name::<Deploy>()),
        ]
    );
}

#[test]
fn bus_observe_runs_before_handlers_and_can_downcast_good() {
    let bus: Bus<()> = Bus::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&order);
    bus.on(move |_, created: &WorkspaceCreated| {
        log.lock()
            .unwrap()
            .push(format!("handler:{}", created.name));
        Ok(())
    });
    let log = Arc::clone(&order);
    bus.observe(move |_, observed| {
        let created = observed
            .message
            .downcast_ref::<WorkspaceCreated>()
            .expect("the observed message is the broadcast one");
        log.lock()
            .unwrap()
            .push(format!("observer:{}", created.name));
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(*order.lock().unwrap(), ["observer:alpha", "handler:alpha"]);
}

#[tokio::test(start_paused = true)]
async fn bus_observe_sees_the_dispatches_of_a_background_task_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, d: &Deploy| Some(Ok(format!("deployed to {}", d.target))));
    let log = recording(&bus);
    bus.perform_async(&(), Deploy { target: "homelab" })
        .unwrap();
    assert!(bus.drain(Duration::from_secs(5)).await.is_complete());
    assert_eq!(
        *log.lock().unwrap(),
        [
            (DispatchKind::Broadcast, type_name::<TaskStarted>()),
            (DispatchKind::Perform, type_name::<Deploy>()),
            (
                DispatchKind::Broadcast,
                type_name::<TaskCompleted<Deploy>>()
            ),
            (DispatchKind::Broadcast, type_name::<TaskEnded>()),
        ]
    );
}

#[test]
fn bus_observe_removed_observer_is_not_called_bad() {
    let bus: Bus<()> = Bus::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let id = bus.observe(move |_, _| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    assert!(bus.remove(id));
    assert!(!bus.remove(id));
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_observe_not_called_for_a_dispatch_refused_by_depth_bad() {
    let bus: Bus<()> = Bus::builder().max_depth(1).build().unwrap();
    let log = recording(&bus);
    bus.on(|ctx, _: &WorkspaceCreated| {
        assert!(
            ctx.bus()
                .query(ctx.core(), &WorkspaceCount)
                .into_result()
                .is_err()
        );
        Ok(())
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(
        *log.lock().unwrap(),
        [(DispatchKind::Broadcast, type_name::<WorkspaceCreated>())]
    );
}

#[test]
fn bus_observe_panicking_observer_does_not_break_the_dispatch_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.observe(|_, observed| {
        panic!(
            "metrics exporter down while observing {}",
            observed.type_name
        )
    });
    let log = recording(&bus);
    let handled = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&handled);
    bus.on(move |_, _: &WorkspaceCreated| {
        count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    bus.on_query(|_, _: &WorkspaceCount| Some(Ok(3)));

    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();

    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.handled(), 1);
    assert_eq!(handled.load(Ordering::Relaxed), 1);
    // The observer after the panicking one still ran, and queries still answer.
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(bus.query(&(), &WorkspaceCount).answer(), Some(3));
}

#[test]
fn bus_observe_registering_an_observer_while_observing_ugly() {
    let bus: Bus<()> = Bus::new();
    let late = Arc::new(AtomicUsize::new(0));
    let registered = Arc::new(AtomicUsize::new(0));
    let (late_count, once) = (Arc::clone(&late), Arc::clone(&registered));
    bus.observe(move |ctx, _| {
        if once.fetch_add(1, Ordering::Relaxed) == 0 {
            let late_count = Arc::clone(&late_count);
            ctx.bus().observe(move |_, _| {
                late_count.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    for _ in 0..2 {
        assert!(
            bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
                .unwrap()
                .is_ok()
        );
    }
    // Registered during the first dispatch: sees only the second.
    assert_eq!(late.load(Ordering::Relaxed), 1);
}
