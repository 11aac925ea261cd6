//! `Bus::builder` and `BusBuilder`: the dispatch depth limit, the running-task limit and the
//! task queue, and how `build` rejects limits that cannot work.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corers_messaging::{Bus, Task, TaskCompleted};
use corers_primitives::{Error, ErrorCode};
use tokio::sync::mpsc;

/// The application context handlers receive.
#[derive(Clone)]
struct App {
    name: &'static str,
}

/// A handler for this broadcasts it again, one level deeper each time, forever.
struct Rebroadcast;

struct Reindex {
    files: usize,
}
impl Task for Reindex {
    type Output = usize;
}

fn build_error(result: Result<Bus<()>, Error>) -> Error {
    match result {
        Ok(bus) => panic!("expected build to fail, got {bus:?}"),
        Err(err) => err,
    }
}

/// Registers a runaway handler on `bus`; returns the deepest depth a handler ran at and the
/// error that stopped the cascade.
fn runaway(bus: &Bus<()>) -> (u32, Error) {
    let deepest = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&deepest);
    bus.on(move |ctx, _: &Rebroadcast| {
        seen.fetch_max(ctx.dispatch().depth(), Ordering::Relaxed);
        ctx.bus()
            .broadcast(ctx.core(), &Rebroadcast)?
            .into_result()
            .map(|_| ())
    });
    let err = bus
        .broadcast(&(), &Rebroadcast)
        .unwrap()
        .into_result()
        .unwrap_err();
    (deepest.load(Ordering::Relaxed), err)
}

// ---- Bus::builder ----

#[test]
fn bus_builder_defaults_match_new_good() {
    let built: Bus<()> = Bus::builder().build().unwrap();
    let (deepest, err) = runaway(&built);
    assert_eq!(deepest, 31);
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(!built.is_shutting_down());
}

#[test]
fn bus_builder_rejects_zero_running_tasks_bad() {
    let err = build_error(Bus::builder().max_running(0).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn bus_builder_builds_for_any_context_type_ugly() {
    // The builder hangs off `Bus<()>` but builds a bus for any context.
    let bus: Bus<App> = Bus::builder().max_depth(4).build().unwrap();
    let names = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&names);
    bus.on(move |ctx, _: &Rebroadcast| {
        log.lock().unwrap().push(ctx.core().name);
        Ok(())
    });
    let report = bus
        .broadcast(&App { name: "workbench" }, &Rebroadcast)
        .unwrap();
    assert!(report.is_ok());
    assert_eq!(*names.lock().unwrap(), ["workbench"]);
}

// ---- BusBuilder::build ----

#[test]
fn bus_builder_build_with_custom_limits_good() {
    let bus: Bus<()> = Bus::builder()
        .max_depth(8)
        .max_running(4)
        .queue(16)
        .build()
        .unwrap();
    let (deepest, _) = runaway(&bus);
    assert_eq!(deepest, 7);
}

#[test]
fn bus_builder_build_rejects_zero_depth_bad() {
    let err = build_error(Bus::builder().max_depth(0).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operation(), "messaging.BusBuilder.build");
}

#[test]
fn bus_builder_build_rejects_limits_that_overflow_ugly() {
    let err = build_error(Bus::builder().max_running(1).queue(usize::MAX).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("too many"), "{err}");
}

// ---- BusBuilder::max_depth ----

#[test]
fn bus_builder_max_depth_five_stops_a_cascade_at_depth_five_good() {
    let bus: Bus<()> = Bus::builder().max_depth(5).build().unwrap();
    let (deepest, err) = runaway(&bus);
    // Five levels run (0..=4); the dispatch that would be depth 5 is refused.
    assert_eq!(deepest, 4);
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("refused at depth 5"), "{err}");
    assert!(err.message().contains("the limit is 5"), "{err}");
}

#[test]
fn bus_builder_max_depth_zero_is_invalid_bad() {
    let err = build_error(Bus::builder().max_depth(0).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("max_depth"), "{err}");
}

#[test]
fn bus_builder_max_depth_one_allows_only_root_dispatches_ugly() {
    let bus: Bus<()> = Bus::builder().max_depth(1).build().unwrap();
    let (deepest, err) = runaway(&bus);
    assert_eq!(deepest, 0);
    assert!(err.message().contains("refused at depth 1"), "{err}");
}

// ---- BusBuilder::max_running ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bus_builder_max_running_bounds_concurrent_tasks_good() {
    let bus: Bus<()> = Bus::builder().max_running(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, high) = (Arc::clone(&running), Arc::clone(&peak));
    bus.on_task(move |_, task: &Reindex| {
        let inside = now.fetch_add(1, Ordering::SeqCst) + 1;
        high.fetch_max(inside, Ordering::SeqCst);
        // Hold the slot until a second task has run beside this one (or give up after 1 s),
        // so the peak reaches the limit however the workers are scheduled.
        let until = Instant::now() + Duration::from_secs(1);
        while high.load(Ordering::SeqCst) < 2 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        now.fetch_sub(1, Ordering::SeqCst);
        Some(Ok(task.files))
    });
    for files in 0..16 {
        bus.perform_async(&(), Reindex { files }).unwrap();
    }
    assert!(bus.drain(Duration::from_secs(10)).await.is_complete());
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[test]
fn bus_builder_max_running_zero_is_invalid_bad() {
    let err = build_error(Bus::builder().max_running(0).queue(8).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("max_running"), "{err}");
}

#[test]
fn bus_builder_max_running_huge_is_invalid_ugly() {
    let err = build_error(Bus::builder().max_running(usize::MAX).queue(0).build());
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// ---- BusBuilder::queue ----

/// Reindexing that waits in its handler until the returned gate drops: a task with a free
/// slot starts on the blocking pool at once, so this is how a test keeps the slot taken.
fn held_reindex(bus: &Bus<()>) -> std::sync::mpsc::Sender<()> {
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    bus.on_task(move |_, task: &Reindex| {
        // Returns once the gate is dropped.
        let _ = held.lock().unwrap().recv();
        Some(Ok(task.files))
    });
    gate
}

#[tokio::test(start_paused = true)]
async fn bus_builder_queue_accepts_running_plus_queued_tasks_good() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(3).build().unwrap();
    // The first holds the running slot; three wait behind it.
    let _gate = held_reindex(&bus);
    for files in 0..4 {
        bus.perform_async(&(), Reindex { files }).unwrap();
    }
    assert_eq!(bus.tasks_in_flight(), 4);
    let err = bus.perform_async(&(), Reindex { files: 4 }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn bus_builder_queue_zero_refuses_beyond_the_running_limit_bad() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(0).build().unwrap();
    let _gate = held_reindex(&bus);
    bus.perform_async(&(), Reindex { files: 1 }).unwrap();
    let err = bus.perform_async(&(), Reindex { files: 2 }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(
        err.message().contains("1 tasks already running or queued"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn bus_builder_queue_frees_a_slot_when_a_task_completes_ugly() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(0).build().unwrap();
    let gate = held_reindex(&bus);
    let (done, mut completed) = mpsc::unbounded_channel();
    bus.on(move |_, c: &TaskCompleted<Reindex>| {
        done.send(c.id.clone()).unwrap();
        Ok(())
    });
    let first = bus.perform_async(&(), Reindex { files: 1 }).unwrap();
    assert!(bus.perform_async(&(), Reindex { files: 2 }).is_err());
    drop(gate);
    assert_eq!(completed.recv().await, Some(first));
    // The slot is released right after the completion broadcast, on the task's thread.
    let mut polls = 0;
    while bus.tasks_in_flight() > 0 && polls < 5_000 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        polls += 1;
    }
    assert_eq!(bus.tasks_in_flight(), 0);
    assert!(bus.perform_async(&(), Reindex { files: 3 }).is_ok());
}
