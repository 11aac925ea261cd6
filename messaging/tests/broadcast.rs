//! `Bus::broadcast`: every handler of the message's type runs, in registration order; a
//! failing or panicking handler never stops the others; a runaway cascade is refused.

use std::panic::panic_any;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use corers_messaging::Bus;
use corers_primitives::{Error, ErrorCode, Result};

struct WorkspaceCreated {
    name: &'static str,
}

/// A message whose handler broadcasts it again, forever.
struct Rebroadcast {
    hops: u32,
}

#[test]
fn bus_broadcast_calls_handlers_in_registration_order_good() {
    let bus: Bus<()> = Bus::new();
    let calls = Arc::new(Mutex::new(Vec::new()));
    for listener in ["audit", "index", "notify"] {
        let calls = Arc::clone(&calls);
        bus.on(move |_, created: &WorkspaceCreated| {
            calls
                .lock()
                .unwrap()
                .push(format!("{listener}:{}", created.name));
            Ok(())
        });
    }
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert!(report.is_ok());
    assert_eq!(
        *calls.lock().unwrap(),
        ["audit:alpha", "index:alpha", "notify:alpha"]
    );
}

#[test]
fn bus_broadcast_only_reaches_handlers_of_its_type_good() {
    let bus: Bus<()> = Bus::new();
    let small = Arc::new(AtomicUsize::new(0));
    let large = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&small);
    bus.on(move |_, port: &u32| {
        assert_eq!(*port, 8080);
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let counter = Arc::clone(&large);
    bus.on(move |_, _: &u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let report = bus.broadcast(&(), &8080u32).unwrap();
    assert_eq!(report.handled(), 1);
    assert_eq!(small.load(Ordering::Relaxed), 1);
    assert_eq!(large.load(Ordering::Relaxed), 0);
}

#[test]
fn bus_broadcast_failing_handler_does_not_stop_the_others_bad() {
    let bus: Bus<()> = Bus::new();
    let after = Arc::new(AtomicUsize::new(0));
    let failing = bus.on(|_, created: &WorkspaceCreated| {
        Err(Error::new(
            "index.Indexer.add",
            format!("workspace {:?} has no manifest", created.name),
        )
        .with_code(ErrorCode::INVALID))
    });
    let counter = Arc::clone(&after);
    bus.on(move |_, _: &WorkspaceCreated| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(after.load(Ordering::Relaxed), 1);
    assert_eq!(report.handled(), 2);
    assert_eq!(report.failures().len(), 1);
    assert_eq!(report.failures()[0].handler, failing);
    assert_eq!(
        report.failures()[0].error.message(),
        "workspace \"alpha\" has no manifest"
    );
}

#[test]
fn bus_broadcast_with_no_handlers_is_an_empty_report_bad() {
    let bus: Bus<()> = Bus::new();
    // Handlers of other types do not count.
    bus.on(|_, _: &u64| Ok(()));
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(report.handled(), 0);
    assert!(report.failures().is_empty());
}

/// A panic payload whose own `Drop` panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        // Not while unwinding already: a second panic there would abort.
        assert!(std::thread::panicking(), "the payload's own drop");
    }
}

#[test]
fn bus_broadcast_panic_payload_that_panics_when_dropped_stays_caught_ugly() {
    let bus: Bus<()> = Bus::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..2 {
        let ran = Arc::clone(&ran);
        bus.on(move |_, _: &WorkspaceCreated| {
            ran.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        bus.on(|_, _: &WorkspaceCreated| -> Result<()> { std::panic::panic_any(Bomb) });
    }
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!((report.handled(), report.failures().len()), (4, 2));
    assert_eq!(ran.load(Ordering::Relaxed), 2);
}

#[test]
fn bus_broadcast_panicking_handler_between_two_good_ones_ugly() {
    let bus: Bus<()> = Bus::new();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&ran);
    bus.on(move |_, _: &WorkspaceCreated| {
        log.lock().unwrap().push("before");
        Ok(())
    });
    let panicking =
        bus.on(|_, _: &WorkspaceCreated| -> Result<()> { panic!("index shard 3 is corrupt") });
    let log = Arc::clone(&ran);
    bus.on(move |_, _: &WorkspaceCreated| {
        log.lock().unwrap().push("after");
        Ok(())
    });

    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();

    assert_eq!(*ran.lock().unwrap(), ["before", "after"]);
    assert_eq!(report.handled(), 3);
    let [failure] = report.failures() else {
        panic!("expected exactly one failure, got {:?}", report.failures());
    };
    assert_eq!(failure.handler, panicking);
    assert_eq!(failure.error.code(), Some(&ErrorCode::INTERNAL));
    assert!(
        failure.error.message().contains("index shard 3 is corrupt"),
        "{}",
        failure.error
    );
}

#[test]
fn bus_broadcast_panic_with_non_text_payload_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &WorkspaceCreated| -> Result<()> { panic_any(503u16) });
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    let [failure] = report.failures() else {
        panic!("expected exactly one failure, got {:?}", report.failures());
    };
    assert_eq!(failure.error.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(failure.error.message(), "panicked: a non-text payload");
}

#[test]
fn bus_broadcast_runaway_cascade_is_refused_at_default_depth_ugly() {
    let bus: Bus<()> = Bus::new();
    let deepest = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&deepest);
    bus.on(move |ctx, step: &Rebroadcast| {
        seen.fetch_max(ctx.dispatch().depth(), Ordering::Relaxed);
        // Pass the nested failure up, so the root report carries it.
        ctx.bus()
            .broadcast(
                ctx.core(),
                &Rebroadcast {
                    hops: step.hops + 1,
                },
            )?
            .into_result()
            .map(|_| ())
    });

    let report = bus.broadcast(&(), &Rebroadcast { hops: 0 }).unwrap();

    // Depths 0..=31 ran; the dispatch at depth 32 was refused instead of overflowing.
    assert_eq!(deepest.load(Ordering::Relaxed), 31);
    let [failure] = report.failures() else {
        panic!("expected exactly one failure, got {:?}", report.failures());
    };
    assert_eq!(failure.error.code(), Some(&ErrorCode::INVALID));
    assert_eq!(failure.error.operation(), "messaging.Bus.broadcast");
    assert!(
        failure.error.message().contains("refused at depth 32"),
        "{}",
        failure.error
    );
}

#[test]
fn bus_broadcast_refused_at_depth_limit_runs_no_handler_ugly() {
    let bus: Bus<()> = Bus::builder().max_depth(1).build().unwrap();
    let nested_calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&nested_calls);
    bus.on(move |_, _: &u64| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let refusal = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&refusal);
    bus.on(move |ctx, created: &WorkspaceCreated| {
        assert_eq!(created.name, "alpha");
        *slot.lock().unwrap() = ctx.bus().broadcast(ctx.core(), &7u64).err();
        Ok(())
    });

    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();

    assert!(report.is_ok());
    assert_eq!(nested_calls.load(Ordering::Relaxed), 0);
    let err = refusal
        .lock()
        .unwrap()
        .take()
        .expect("nested broadcast was refused");
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}
