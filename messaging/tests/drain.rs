//! Bounded background work and shutdown: the queue-full error, `Bus::shutdown`,
//! `Bus::is_shutting_down`, `Bus::drain` and its `DrainReport`.
//!
//! Tests that need a task to be stuck in its handler run the tasks on a separate
//! multi-thread runtime (`Stuck`), while the test itself runs on a paused clock: the drain
//! deadline then passes at once, deterministically, without a real sleep.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::Duration;

use corers_messaging::{Bus, DrainReport, Task, TaskCompleted, TaskId};
use corers_primitives::{ErrorCode, Result};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

struct Deploy {
    target: &'static str,
}
impl Task for Deploy {
    type Output = String;
}

struct WorkspaceCreated {
    name: &'static str,
}

type Completion = (TaskId, std::result::Result<String, ErrorCode>);

/// Sends every `TaskCompleted<Deploy>` down a channel.
fn completions(bus: &Bus<()>) -> mpsc::UnboundedReceiver<Completion> {
    let (done, completed) = mpsc::unbounded_channel();
    bus.on(move |_, c: &TaskCompleted<Deploy>| {
        let outcome = match &c.outcome {
            Ok(output) => Ok(output.clone()),
            Err(err) => Err(err.code().cloned().unwrap_or(ErrorCode::INTERNAL)),
        };
        let _ = done.send((c.id.clone(), outcome));
        Ok(())
    });
    completed
}

fn deploys(bus: &Bus<()>) -> Arc<AtomicUsize> {
    let runs = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&runs);
    bus.on_task(move |_, d: &Deploy| {
        count.fetch_add(1, Ordering::SeqCst);
        Some(Ok(format!("deployed to {}", d.target)))
    });
    runs
}

/// A bus with one running slot and one queue slot, whose `Deploy` handler blocks until
/// released; its tasks run on their own multi-thread runtime.
struct Stuck {
    bus: Bus<()>,
    workers: Option<Runtime>,
    release: Option<std_mpsc::Sender<()>>,
    started: mpsc::UnboundedReceiver<&'static str>,
    completed: mpsc::UnboundedReceiver<Completion>,
    runs: Arc<AtomicUsize>,
}

impl Stuck {
    fn new() -> Stuck {
        let bus: Bus<()> = Bus::builder().max_running(1).queue(1).build().unwrap();
        let (release, gate) = std_mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let (started_tx, started) = mpsc::unbounded_channel();
        let runs = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&runs);
        bus.on_task(move |_, d: &Deploy| {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = started_tx.send(d.target);
            // Blocks until the test releases it (drops the sender).
            let _ = gate.lock().unwrap().recv();
            Some(Ok(format!("deployed to {}", d.target)))
        });
        let completed = completions(&bus);
        let workers = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        Stuck {
            bus,
            workers: Some(workers),
            release: Some(release),
            started,
            completed,
            runs,
        }
    }

    /// Submits on the workers' runtime.
    fn submit(&self, target: &'static str) -> Result<TaskId> {
        let _entered = self.workers.as_ref().unwrap().enter();
        self.bus.perform_async(&(), Deploy { target })
    }

    /// Submits two tasks and waits until the first is stuck in its handler: one running,
    /// one queued.
    async fn running_and_queued(&mut self) -> (TaskId, TaskId) {
        let running = self.submit("homelab").unwrap();
        assert_eq!(self.started.recv().await, Some("homelab"));
        let queued = self.submit("staging").unwrap();
        (running, queued)
    }

    fn release(&mut self) {
        self.release.take();
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        self.release.take();
        if let Some(workers) = self.workers.take() {
            workers.shutdown_background();
        }
    }
}

// ---- queue full (Bus::perform_async) ----

#[tokio::test(start_paused = true)]
async fn bus_perform_async_queue_full_is_unavailable_bad() {
    let mut stuck = Stuck::new();
    stuck.running_and_queued().await;
    let err = stuck.submit("edge").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(err.operation(), "messaging.Bus.perform_async");
    assert!(
        err.message().contains("2 tasks already running or queued"),
        "{err}"
    );
    // Refused for want of room, not by a cancellation: the caller may try again.
    assert!(!err.is_cancelled());
    assert_eq!(stuck.bus.tasks_in_flight(), 2);
}

// ---- Bus::drain ----

#[tokio::test(start_paused = true)]
async fn bus_drain_waits_for_every_accepted_task_good() {
    let bus: Bus<()> = Bus::new();
    let runs = deploys(&bus);
    let mut completed = completions(&bus);
    for target in ["homelab", "staging", "edge"] {
        bus.perform_async(&(), Deploy { target }).unwrap();
    }
    let report = bus.drain(Duration::from_secs(30)).await;
    assert_eq!(report, DrainReport::default());
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    // Every completion was broadcast before drain returned.
    for _ in 0..3 {
        assert!(completed.try_recv().unwrap().1.is_ok());
    }
    assert!(completed.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn bus_drain_timeout_reports_the_unfinished_ids_bad() {
    let mut stuck = Stuck::new();
    let (running, queued) = stuck.running_and_queued().await;
    let report = stuck.bus.drain(Duration::from_secs(30)).await;
    assert_eq!(report.unfinished, [running, queued]);
}

#[tokio::test(start_paused = true)]
async fn bus_drain_timeout_queued_task_completes_unavailable_without_running_ugly() {
    let mut stuck = Stuck::new();
    let (running, queued) = stuck.running_and_queued().await;
    let report = stuck.bus.drain(Duration::from_secs(30)).await;
    assert!(!report.is_complete());

    // The queued task completes as not started at once, without waiting for a slot.
    assert_eq!(
        stuck.completed.recv().await,
        Some((queued, Err(ErrorCode::UNAVAILABLE)))
    );
    stuck.release();
    assert_eq!(
        stuck.completed.recv().await,
        Some((running, Ok("deployed to homelab".to_owned())))
    );
    assert_eq!(
        stuck.runs.load(Ordering::SeqCst),
        1,
        "the queued task never ran"
    );
}

#[tokio::test(start_paused = true)]
async fn bus_drain_timeout_queued_task_completes_while_the_running_one_is_stuck_ugly() {
    let mut stuck = Stuck::new();
    let (_, queued) = stuck.running_and_queued().await;
    let report = stuck.bus.drain(Duration::from_secs(30)).await;
    assert!(!report.is_complete());
    // The running task is still stuck; the queued one should not wait for it. Poll in real
    // time (the paused clock would time out before the workers' runtime could answer).
    let mut completion = None;
    for _ in 0..500 {
        if let Ok(c) = stuck.completed.try_recv() {
            completion = Some(c);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(completion, Some((queued, Err(ErrorCode::UNAVAILABLE))));
}

#[tokio::test(start_paused = true)]
async fn bus_drain_zero_deadline_queued_tasks_never_start_ugly() {
    let mut stuck = Stuck::new();
    let (running, queued) = stuck.running_and_queued().await;
    let report = stuck.bus.drain(Duration::ZERO).await;
    assert_eq!(report.unfinished, [running, queued.clone()]);
    assert_eq!(
        stuck.completed.recv().await,
        Some((queued, Err(ErrorCode::UNAVAILABLE)))
    );
    assert_eq!(
        stuck.runs.load(Ordering::SeqCst),
        1,
        "only the running one ran"
    );
}

#[tokio::test(start_paused = true)]
async fn bus_drain_refuses_follow_up_tasks_of_running_tasks_ugly() {
    let bus: Bus<()> = Bus::new();
    let follow_up = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&follow_up);
    // Deploying to homelab queues a deploy to the edge: too late once drain has begun.
    let (gate, held) = std_mpsc::channel::<()>();
    let held = Mutex::new(held);
    bus.on_task(move |ctx, d: &Deploy| {
        if d.target == "homelab" {
            // Held until drain has begun.
            let _ = held.lock().unwrap().recv();
            let edge = ctx
                .bus()
                .perform_async(ctx.core(), Deploy { target: "edge" });
            *slot.lock().unwrap() = Some(edge.map_err(|e| e.code().cloned()));
        }
        Some(Ok(format!("deployed to {}", d.target)))
    });
    bus.perform_async(&(), Deploy { target: "homelab" })
        .unwrap();
    // `join!` polls the drain first: shutdown has begun when the gate drops.
    let (report, ()) = tokio::join!(bus.drain(Duration::from_secs(30)), async move {
        drop(gate);
    });
    assert!(report.is_complete());
    assert_eq!(
        *follow_up.lock().unwrap(),
        Some(Err(Some(ErrorCode::UNAVAILABLE)))
    );
}

#[tokio::test(start_paused = true)]
async fn bus_drain_twice_and_concurrently_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    bus.perform_async(&(), Deploy { target: "homelab" })
        .unwrap();
    let (a, b) = tokio::join!(
        bus.drain(Duration::from_secs(30)),
        bus.drain(Duration::from_secs(30))
    );
    assert!(a.is_complete() && b.is_complete());
    assert!(bus.drain(Duration::ZERO).await.is_complete());
}

// ---- Bus::shutdown ----

#[tokio::test(start_paused = true)]
async fn bus_shutdown_lets_accepted_tasks_finish_good() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let mut completed = completions(&bus);
    let id = bus
        .perform_async(&(), Deploy { target: "homelab" })
        .unwrap();
    bus.shutdown();
    assert_eq!(
        completed.recv().await,
        Some((id, Ok("deployed to homelab".to_owned())))
    );
}

#[tokio::test(start_paused = true)]
async fn bus_shutdown_refuses_new_tasks_bad() {
    let bus: Bus<()> = Bus::new();
    let runs = deploys(&bus);
    bus.shutdown();
    let err = bus
        .perform_async(&(), Deploy { target: "homelab" })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.message().contains("shutting down"), "{err}");
    assert!(err.is_cancelled(), "refused by the shutdown");
    assert_eq!(bus.tasks_in_flight(), 0);
    tokio::task::yield_now().await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn bus_shutdown_twice_leaves_the_sync_verbs_working_ugly() {
    let bus: Bus<()> = Bus::new();
    let runs = deploys(&bus);
    bus.on(|_, created: &WorkspaceCreated| {
        assert_eq!(created.name, "alpha");
        Ok(())
    });
    bus.shutdown();
    bus.shutdown();
    assert!(bus.is_shutting_down());
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.handled(), 1);
    let deployed = bus.perform(&(), &Deploy { target: "homelab" }).answer();
    assert_eq!(deployed.as_deref(), Some("deployed to homelab"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

// ---- Bus::is_shutting_down ----

#[test]
fn bus_is_shutting_down_after_shutdown_good() {
    let bus: Bus<()> = Bus::new();
    bus.shutdown();
    assert!(bus.is_shutting_down());
}

#[test]
fn bus_is_shutting_down_false_on_a_new_bus_bad() {
    let bus: Bus<()> = Bus::new();
    assert!(!bus.is_shutting_down());
}

#[tokio::test(start_paused = true)]
async fn bus_is_shutting_down_seen_by_clones_and_set_by_a_timed_out_drain_ugly() {
    let mut stuck = Stuck::new();
    stuck.running_and_queued().await;
    let clone = stuck.bus.clone();
    assert!(!clone.is_shutting_down());
    assert!(!stuck.bus.drain(Duration::ZERO).await.is_complete());
    assert!(clone.is_shutting_down());
}

// ---- DrainReport::is_complete ----

#[tokio::test(start_paused = true)]
async fn drain_report_is_complete_when_every_task_finished_good() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    bus.perform_async(&(), Deploy { target: "homelab" })
        .unwrap();
    assert!(bus.drain(Duration::from_secs(30)).await.is_complete());
}

#[tokio::test(start_paused = true)]
async fn drain_report_is_complete_false_when_a_task_is_stuck_bad() {
    let mut stuck = Stuck::new();
    let (running, _) = stuck.running_and_queued().await;
    let report = stuck.bus.drain(Duration::from_secs(30)).await;
    assert!(!report.is_complete());
    assert!(
        !DrainReport {
            unfinished: vec![running]
        }
        .is_complete()
    );
}

#[tokio::test(start_paused = true)]
async fn drain_report_is_complete_for_an_idle_bus_with_zero_deadline_ugly() {
    let bus: Bus<()> = Bus::new();
    let report = bus.drain(Duration::ZERO).await;
    assert!(report.is_complete());
    assert!(DrainReport::default().is_complete());
}
