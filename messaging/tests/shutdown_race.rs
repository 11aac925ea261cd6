//! The shutdown race, under stress: submitter threads call `perform_async` as fast as they
//! can while another thread calls `drain` (or `shutdown`). Every accepted task gets exactly
//! one `TaskCompleted`, no task is accepted once shutdown is visible, and no task starts
//! after `drain` has reported everything complete. Each test repeats the race 200 times on
//! one multi-thread runtime.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use corers_messaging::{Bus, Task, TaskCompleted, TaskId, TaskStarted};
use corers_primitives::ErrorCode;
use tokio::runtime::{Handle, Runtime};

const ROUNDS: usize = 200;
const SUBMITTERS: usize = 4;

struct Reindex {
    files: usize,
}
impl Task for Reindex {
    type Output = usize;
}

/// How the racing thread stops the bus.
#[derive(Clone, Copy)]
enum Stop {
    /// `drain` races the submitters.
    Drain,
    /// `shutdown` races the submitters; the bus is drained after they stop.
    Shutdown,
}

/// Everything one round observed. All counters use `SeqCst`: this is a test of ordering.
#[derive(Default)]
struct Round {
    accepted: Mutex<Vec<TaskId>>,
    accepted_count: AtomicUsize,
    /// Submissions accepted although `is_shutting_down` was already true before the call.
    accepted_after_shutdown: AtomicUsize,
    /// Refusals with another code than `UNAVAILABLE`.
    wrong_refusals: Mutex<Vec<String>>,
    started_events: AtomicUsize,
    runs: AtomicUsize,
    completions: Mutex<HashMap<TaskId, usize>>,
    drain_returned: AtomicBool,
    runs_after_drain: AtomicUsize,
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

fn bus_for(round: &Arc<Round>) -> Bus<()> {
    let bus: Bus<()> = Bus::builder().max_running(4).queue(32).build().unwrap();
    let state = Arc::clone(round);
    bus.on_task(move |_, task: &Reindex| {
        state.runs.fetch_add(1, Ordering::SeqCst);
        if state.drain_returned.load(Ordering::SeqCst) {
            state.runs_after_drain.fetch_add(1, Ordering::SeqCst);
        }
        Some(Ok(task.files))
    });
    let state = Arc::clone(round);
    bus.on(move |_, _: &TaskStarted| {
        state.started_events.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let state = Arc::clone(round);
    bus.on(move |_, done: &TaskCompleted<Reindex>| {
        *state
            .completions
            .lock()
            .unwrap()
            .entry(done.id.clone())
            .or_default() += 1;
        Ok(())
    });
    bus
}

/// Submits until the bus refuses because it is shutting down.
fn submit_until_refused(bus: &Bus<()>, round: &Round, runtime: &Handle) {
    let _entered = runtime.enter();
    for files in 0.. {
        let was_shutting_down = bus.is_shutting_down();
        match bus.perform_async(&(), Reindex { files }) {
            Ok(id) => {
                if was_shutting_down {
                    round.accepted_after_shutdown.fetch_add(1, Ordering::SeqCst);
                }
                round.accepted.lock().unwrap().push(id);
                round.accepted_count.fetch_add(1, Ordering::SeqCst);
            }
            Err(err) => {
                if err.code() != Some(&ErrorCode::UNAVAILABLE) {
                    round.wrong_refusals.lock().unwrap().push(err.to_string());
                }
                if bus.is_shutting_down() {
                    return;
                }
                // The queue is full: let the workers catch up.
                thread::yield_now();
            }
        }
    }
}

/// One race; returns what went wrong, if anything.
fn race(number: usize, stop: Stop, runtime: &Runtime) -> Vec<String> {
    let round = Arc::new(Round::default());
    let bus = bus_for(&round);
    // Stop after a varying number of accepted tasks, 0 included.
    let trigger = (number * 7919) % 40;
    let mut problems = Vec::new();
    let mut completed_at_drain = None;

    thread::scope(|scope| {
        for _ in 0..SUBMITTERS {
            scope.spawn(|| submit_until_refused(&bus, &round, runtime.handle()));
        }
        while round.accepted_count.load(Ordering::SeqCst) < trigger {
            thread::yield_now();
        }
        match stop {
            Stop::Drain => {
                let report = runtime.block_on(bus.drain(Duration::from_secs(10)));
                let completed: usize = round.completions.lock().unwrap().values().sum();
                round.drain_returned.store(true, Ordering::SeqCst);
                if !report.is_complete() {
                    problems.push(format!("drain timed out: {report:?}"));
                }
                completed_at_drain = Some(completed);
            }
            Stop::Shutdown => bus.shutdown(),
        }
    });

    if let Stop::Shutdown = stop {
        let report = runtime.block_on(bus.drain(Duration::from_secs(10)));
        if !report.is_complete() {
            problems.push(format!("drain after shutdown timed out: {report:?}"));
        }
        completed_at_drain = Some(round.completions.lock().unwrap().values().sum());
        round.drain_returned.store(true, Ordering::SeqCst);
    }

    // Give a late (duplicate) completion or a late start every chance to show up.
    runtime.block_on(async {
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    });

    problems.extend(check(&round, &bus, completed_at_drain));
    problems
        .into_iter()
        .map(|p| format!("round {number}: {p}"))
        .collect()
}

/// What is wrong with a finished round.
fn check(round: &Round, bus: &Bus<()>, completed_at_drain: Option<usize>) -> Vec<String> {
    let mut problems = Vec::new();
    let accepted = round.accepted.lock().unwrap();
    let completions = round.completions.lock().unwrap();
    let accepted_ids: BTreeSet<&str> = accepted.iter().map(TaskId::as_str).collect();
    if accepted_ids.len() != accepted.len() {
        problems.push("an id was handed out twice".to_owned());
    }
    // Refused submissions take no number: the accepted ids are task-1..=task-N.
    let expected: BTreeSet<String> = (1..=accepted.len()).map(|n| format!("task-{n}")).collect();
    if accepted_ids != expected.iter().map(String::as_str).collect() {
        problems.push("accepted ids are not task-1..=task-N".to_owned());
    }
    if completed_at_drain != Some(accepted.len()) {
        problems.push(format!(
            "{} tasks accepted but {completed_at_drain:?} completed when drain returned",
            accepted.len()
        ));
    }
    for id in accepted.iter() {
        match completions.get(id) {
            Some(1) => {}
            other => problems.push(format!("{id} completed {other:?} times")),
        }
    }
    if completions.len() != accepted.len() {
        problems.push(format!(
            "{} distinct completions for {} accepted tasks",
            completions.len(),
            accepted.len()
        ));
    }
    let counters = [
        (
            "accepted after shutdown",
            round.accepted_after_shutdown.load(Ordering::SeqCst),
            0,
        ),
        (
            "ran after drain",
            round.runs_after_drain.load(Ordering::SeqCst),
            0,
        ),
        (
            "TaskStarted events",
            round.started_events.load(Ordering::SeqCst),
            accepted.len(),
        ),
        (
            "handler runs",
            round.runs.load(Ordering::SeqCst),
            accepted.len(),
        ),
        (
            "tasks in flight",
            usize::try_from(bus.tasks_in_flight()).unwrap(),
            0,
        ),
    ];
    for (what, got, want) in counters {
        if got != want {
            problems.push(format!("{what}: {got}, expected {want}"));
        }
    }
    problems.extend(round.wrong_refusals.lock().unwrap().iter().cloned());
    problems
}

fn stress(stop: Stop) {
    let runtime = runtime();
    let problems: Vec<String> = (0..ROUNDS)
        .flat_map(|number| race(number, stop, &runtime))
        .collect();
    assert!(
        problems.is_empty(),
        "{} problems, first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
}

#[test]
fn bus_drain_racing_submitters_completes_every_accepted_task_once_ugly() {
    stress(Stop::Drain);
}

#[test]
fn bus_shutdown_racing_submitters_accepts_nothing_once_shut_ugly() {
    stress(Stop::Shutdown);
}

/// `drain(ZERO)` racing submitters whose tasks cannot finish before the drain lists them:
/// the report names every task that was accepted (none is caught between its admission and
/// its listing).
#[test]
fn bus_drain_report_names_every_accepted_task_ugly() {
    let runtime = runtime();
    for number in 0..ROUNDS {
        let release = Arc::new(AtomicBool::new(false));
        // A deep queue, so the submitters are still submitting when the drain lists.
        let bus: Bus<()> = Bus::builder().max_running(4).queue(4096).build().unwrap();
        let gate = Arc::clone(&release);
        bus.on_task(move |_, task: &Reindex| {
            while !gate.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            Some(Ok(task.files))
        });
        let accepted = Arc::new(Mutex::new(BTreeSet::new()));
        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|_| {
                let (bus, accepted, handle) =
                    (bus.clone(), Arc::clone(&accepted), runtime.handle().clone());
                thread::spawn(move || {
                    let _entered = handle.enter();
                    while let Ok(id) = bus.perform_async(&(), Reindex { files: 1 }) {
                        accepted.lock().unwrap().insert(id);
                    }
                })
            })
            .collect();
        // Drained once some were accepted (a varying number, from 1), while the submitters
        // go on submitting: every round races, however slow the machine.
        let trigger = (number * 7919) % 32 + 1;
        while accepted.lock().unwrap().len() < trigger {
            thread::yield_now();
        }
        let report = runtime.block_on(bus.drain(Duration::ZERO));
        for submitter in submitters {
            submitter.join().unwrap();
        }
        // Released before any assertion, so a failure cannot leave handlers spinning.
        release.store(true, Ordering::SeqCst);
        let _ = runtime.block_on(bus.drain(Duration::from_secs(10)));
        let named: BTreeSet<TaskId> = report.unfinished.into_iter().collect();
        let accepted = accepted.lock().unwrap().clone();
        assert!(
            accepted.is_subset(&named),
            "accepted {} named {}, not named: {:?}",
            accepted.len(),
            named.len(),
            accepted.difference(&named).collect::<Vec<_>>()
        );
    }
}
