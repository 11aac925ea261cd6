//! Registering and removing handlers: `Bus::new`, `Bus::on`, `Bus::remove`; handlers only
//! see their own type; a registration or removal made during a dispatch takes effect from
//! the next dispatch.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use corers_messaging::{Bus, HandlerId, Outcome, Query};
use corers_primitives::ErrorCode;

struct WorkspaceCreated {
    name: &'static str,
}

struct ServiceStarted {
    name: &'static str,
}

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

/// A chain of nested broadcasts, one hop per level.
struct Hop(u32);

fn counter(bus: &Bus<()>) -> (HandlerId, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let id = bus.on(move |_, created: &WorkspaceCreated| {
        assert_eq!(created.name, "alpha");
        count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    (id, calls)
}

fn created(bus: &Bus<()>) -> usize {
    bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap()
        .handled()
}

// ---- Bus::new ----

#[test]
fn bus_new_has_no_handlers_good() {
    let bus: Bus<()> = Bus::new();
    assert_eq!(created(&bus), 0);
    assert!(bus.query_all(&(), &WorkspaceCount).unwrap().is_empty());
    assert_eq!(bus.tasks_in_flight(), 0);
    assert!(!bus.is_shutting_down());
}

#[test]
fn bus_new_query_is_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    assert!(matches!(
        bus.query(&(), &WorkspaceCount),
        Outcome::NotHandled
    ));
}

#[test]
fn bus_new_refuses_a_cascade_at_depth_32_ugly() {
    let bus: Bus<()> = Bus::new();
    let refused_at = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&refused_at);
    bus.on(move |ctx, hop: &Hop| {
        if let Err(err) = ctx.bus().broadcast(ctx.core(), &Hop(hop.0 + 1)) {
            assert_eq!(err.code(), Some(&ErrorCode::INVALID));
            *slot.lock().unwrap() = Some(hop.0 + 1);
        }
        Ok(())
    });
    assert!(bus.broadcast(&(), &Hop(0)).unwrap().is_ok());
    assert_eq!(*refused_at.lock().unwrap(), Some(32));
}

#[test]
fn bus_new_clones_share_handlers_ugly() {
    let bus: Bus<()> = Bus::default();
    let clone = bus.clone();
    let (_, calls) = counter(&clone);
    assert_eq!(created(&bus), 1);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

// ---- Bus::on ----

#[test]
fn bus_on_handler_receives_the_message_good() {
    let bus: Bus<()> = Bus::new();
    let names = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&names);
    bus.on(move |_, started: &ServiceStarted| {
        log.lock().unwrap().push(started.name);
        Ok(())
    });
    let report = bus
        .broadcast(&(), &ServiceStarted { name: "brain" })
        .unwrap();
    assert_eq!(report.handled(), 1);
    assert_eq!(*names.lock().unwrap(), ["brain"]);
}

#[test]
fn bus_on_handler_never_sees_another_type_bad() {
    let bus: Bus<()> = Bus::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&seen);
    bus.on(move |_, _: &u64| {
        count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let report = bus.broadcast(&(), &8080u32).unwrap();
    assert_eq!(report.handled(), 0);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(seen.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_on_registered_during_a_dispatch_runs_from_the_next_one_ugly() {
    let bus: Bus<()> = Bus::new();
    let late_calls = Arc::new(AtomicUsize::new(0));
    let registered = Arc::new(AtomicBool::new(false));
    let calls = Arc::clone(&late_calls);
    let once = Arc::clone(&registered);
    bus.on(move |ctx, _: &WorkspaceCreated| {
        // Register one more handler for this same type, the first time only.
        if !once.swap(true, Ordering::Relaxed) {
            let calls = Arc::clone(&calls);
            ctx.bus().on(move |_, _: &WorkspaceCreated| {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
        }
        Ok(())
    });

    assert_eq!(
        created(&bus),
        1,
        "the new handler is not part of this dispatch"
    );
    assert_eq!(late_calls.load(Ordering::Relaxed), 0);

    assert_eq!(created(&bus), 2, "the next dispatch includes it");
    assert_eq!(late_calls.load(Ordering::Relaxed), 1);
}

#[test]
fn bus_on_ids_are_distinct_ugly() {
    let bus: Bus<()> = Bus::new();
    let ids: Vec<HandlerId> = (0..100).map(|_| counter(&bus).0).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 100);
}

// ---- Bus::remove ----

#[test]
fn bus_remove_handler_is_no_longer_called_good() {
    let bus: Bus<()> = Bus::new();
    let (kept, kept_calls) = counter(&bus);
    let (removed, removed_calls) = counter(&bus);
    assert!(bus.remove(removed));
    assert_eq!(created(&bus), 1);
    assert_eq!(removed_calls.load(Ordering::Relaxed), 0);
    assert_eq!(kept_calls.load(Ordering::Relaxed), 1);
    assert_ne!(kept, removed);
}

#[test]
fn bus_remove_twice_returns_false_bad() {
    let bus: Bus<()> = Bus::new();
    let (id, _) = counter(&bus);
    assert!(bus.remove(id));
    assert!(!bus.remove(id));
}

#[test]
fn bus_remove_keeps_the_order_of_the_others_good() {
    let bus: Bus<()> = Bus::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut ids = Vec::new();
    for listener in ["audit", "index", "notify"] {
        let log = Arc::clone(&order);
        ids.push(bus.on(move |_, _: &WorkspaceCreated| {
            log.lock().unwrap().push(listener);
            Ok(())
        }));
    }
    assert!(bus.remove(ids[1]));
    let log = Arc::clone(&order);
    bus.on(move |_, _: &WorkspaceCreated| {
        log.lock().unwrap().push("metrics");
        Ok(())
    });
    assert_eq!(created(&bus), 3);
    assert_eq!(*order.lock().unwrap(), ["audit", "notify", "metrics"]);
}

#[test]
fn bus_remove_query_and_task_handlers_bad() {
    let bus: Bus<()> = Bus::new();
    let id = bus.on_query(|_, _: &WorkspaceCount| Some(Ok(3)));
    assert!(bus.remove(id));
    assert!(matches!(
        bus.query(&(), &WorkspaceCount),
        Outcome::NotHandled
    ));
    assert!(!bus.remove(id));
}

#[test]
fn bus_remove_during_a_dispatch_takes_effect_from_the_next_one_ugly() {
    let bus: Bus<()> = Bus::new();
    let victim = Arc::new(Mutex::new(None::<HandlerId>));
    let slot = Arc::clone(&victim);
    // Runs first and removes the handler registered after it.
    bus.on(move |ctx, _: &WorkspaceCreated| {
        if let Some(id) = slot.lock().unwrap().take() {
            assert!(ctx.bus().remove(id));
        }
        Ok(())
    });
    let (victim_id, victim_calls) = counter(&bus);
    *victim.lock().unwrap() = Some(victim_id);

    assert_eq!(created(&bus), 2, "the running dispatch keeps its handlers");
    assert_eq!(victim_calls.load(Ordering::Relaxed), 1);
    assert_eq!(created(&bus), 1, "the next dispatch no longer has it");
    assert_eq!(victim_calls.load(Ordering::Relaxed), 1);
}

#[test]
fn bus_remove_handle_from_another_bus_removes_nothing_ugly() {
    let workspaces: Bus<()> = Bus::new();
    let services: Bus<()> = Bus::new();
    let (foreign, _) = counter(&workspaces);
    let (_, calls) = counter(&services);
    assert!(!services.remove(foreign));
    assert_eq!(created(&services), 1);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

#[test]
fn bus_remove_drops_the_handler_once_this_thread_dispatches_again_ugly() {
    // A handler owning a channel sender: its receiver sees the channel close when the
    // handler is dropped, which is after this thread's next dispatch (its copy of the
    // tables still held the handler until then).
    let bus: Bus<()> = Bus::new();
    let (sender, receiver) = std::sync::mpsc::channel::<&'static str>();
    let id = bus.on(move |_, created: &WorkspaceCreated| {
        sender.send(created.name).expect("receiver alive");
        Ok(())
    });
    assert_eq!(created(&bus), 1);
    assert_eq!(receiver.recv().expect("one message"), "alpha");
    assert!(bus.remove(id));
    assert_eq!(created(&bus), 0);
    assert!(
        receiver.recv().is_err(),
        "the removed handler and its sender are gone"
    );
}

#[test]
fn bus_remove_handler_whose_drop_registers_does_not_deadlock_ugly() {
    /// Registers a replacement handler when dropped.
    struct Replaces(Bus<()>, Arc<AtomicUsize>);
    impl Drop for Replaces {
        fn drop(&mut self) {
            let calls = Arc::clone(&self.1);
            self.0.on(move |_, _: &WorkspaceCreated| {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
        }
    }
    let bus: Bus<()> = Bus::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let replaces = Replaces(bus.clone(), Arc::clone(&calls));
    // Never dispatched: no thread holds a copy, so removal drops the handler itself.
    let id = bus.on(move |_, _: &WorkspaceCreated| {
        let _ = &replaces;
        Ok(())
    });
    assert!(bus.remove(id));
    assert_eq!(created(&bus), 1, "the replacement is registered");
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

#[derive(Debug)]
struct IndexRebuilt;

#[test]
fn bus_is_heard_with_a_handler_good() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &IndexRebuilt| Ok(()));
    assert!(bus.is_heard::<IndexRebuilt>());
}

#[test]
fn bus_is_heard_without_handlers_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &u64| Ok(()));
    assert!(!bus.is_heard::<IndexRebuilt>());
}

#[test]
fn bus_is_heard_through_an_observer_and_after_removal_ugly() {
    let bus: Bus<()> = Bus::new();
    let observer = bus.observe(|_, _| {});
    assert!(bus.is_heard::<IndexRebuilt>());
    bus.remove(observer);
    assert!(!bus.is_heard::<IndexRebuilt>());
}
