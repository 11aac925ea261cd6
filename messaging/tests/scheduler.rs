//! The cron `Scheduler`: Tasks fire at the times their schedule names, on tokio's paused
//! clock (anchored to the wall clock when the scheduler starts), until it stops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use corers_messaging::{ActionSpec, Actions, Bus, Scheduler, Step, TaskDef, Tasks};
use corers_primitives::{Error, ErrorCode, Value};
use tokio::time::Instant;

/// Tasks over Actions whose `index.build` logs the tokio time of each run.
struct Bench {
    actions: Actions<()>,
    tasks: Tasks<()>,
    runs: Arc<Mutex<Vec<Instant>>>,
}

impl Bench {
    /// `index.build` taking `work` on tokio's clock.
    fn new(work: Duration) -> Bench {
        Bench::on(Actions::new(Bus::new()), work)
    }

    /// As [`Bench::new`], on `actions`.
    fn on(actions: Actions<()>, work: Duration) -> Bench {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&runs);
        actions
            .register(ActionSpec::new("index.build", move |_, _| {
                log.lock().unwrap().push(Instant::now());
                async move {
                    if !work.is_zero() {
                        tokio::time::sleep(work).await;
                    }
                    Ok(Value::from("built"))
                }
            }))
            .unwrap();
        let tasks = Tasks::new(actions.clone());
        Bench {
            actions,
            tasks,
            runs,
        }
    }

    fn schedule(&self, task: &str, cron: &str) {
        self.tasks
            .define(
                task,
                TaskDef::new(vec![Step::run("index.build")]).schedule(cron),
            )
            .unwrap();
    }

    /// Redefines `task` without a schedule.
    fn unschedule(&self, task: &str) {
        self.tasks
            .define(task, TaskDef::new(vec![Step::run("index.build")]))
            .unwrap();
    }

    fn runs(&self) -> Vec<Instant> {
        self.runs.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.runs.lock().unwrap().len()
    }

    /// How many runs the next `time` on the paused clock brings.
    async fn runs_in(&self, time: Duration) -> usize {
        let before = self.count();
        pass(time).await;
        self.count() - before
    }
}

/// Actions on a bus whose logger writes, at `level`, to the returned sink.
fn logged_actions<C: Clone + Send + Sync + 'static>(
    level: corers_log::Level,
) -> (Actions<C>, corers_log::MemorySink) {
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(level)
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    (
        Actions::new(Bus::builder().logger(log).build().unwrap()),
        sink,
    )
}

/// A started scheduler running the Task `task` every 10 s: one step, the Action `action`,
/// which takes `secs` seconds; its warnings go to the returned sink.
fn every_ten_seconds(
    task: &str,
    action: &str,
    secs: u64,
) -> (Scheduler<()>, corers_log::MemorySink) {
    every_ten_seconds_logged(corers_log::Level::Warn, task, action, secs)
}

/// As [`every_ten_seconds`], logging at `level` and above.
fn every_ten_seconds_logged(
    level: corers_log::Level,
    task: &str,
    action: &str,
    secs: u64,
) -> (Scheduler<()>, corers_log::MemorySink) {
    let (actions, sink) = logged_actions::<()>(level);
    actions
        .register(ActionSpec::new(action, move |_, _| async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            task,
            TaskDef::new(vec![Step::run(action)]).schedule("*/10 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(tasks);
    scheduler.start(&()).unwrap();
    (scheduler, sink)
}

/// A schedule that fires once, `secs` seconds from now (7 fields, the year included), and
/// then has no time left.
fn once_in(secs: i64) -> String {
    let at = chrono::Utc::now() + chrono::TimeDelta::seconds(secs);
    at.format("%-S %-M %-H %-d %-m * %Y").to_string()
}

/// Sleeps `time` on the paused clock, then lets every task woken at that instant run.
async fn pass(time: Duration) {
    tokio::time::sleep(time).await;
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// The wall-clock second (rounded) at tokio instant `at`, given an anchor taken together.
fn wall_second(anchor: (SystemTime, Instant), at: Instant) -> u64 {
    let since_epoch = anchor.0.duration_since(UNIX_EPOCH).unwrap() + (at - anchor.1);
    (since_epoch + Duration::from_millis(500)).as_secs()
}

// --- Scheduler::start_with ---

#[tokio::test(start_paused = true)]
async fn scheduler_start_with_takes_the_context_for_each_run_good() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&asked);
    scheduler
        .start_with(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Some(())
        })
        .unwrap();
    let runs = bench.runs_in(Duration::from_secs(60)).await;
    assert_eq!((runs, asked.load(Ordering::SeqCst)), (6, 6));
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_runs_are_sent_by_the_scheduler_good() {
    // An Action can tell a scheduled run from one a person asked for.
    let actions: Actions<()> = Actions::new(Bus::new());
    let senders = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&senders);
    actions
        .register(ActionSpec::new("index.refresh", move |ctx, _| {
            log.lock()
                .unwrap()
                .push(ctx.dispatch().sender().map(str::to_owned));
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "refresh",
            TaskDef::new(vec![Step::run("index.refresh")]).schedule("*/10 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(tasks);
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(20)).await;
    scheduler.stop().await;
    let senders = senders.lock().unwrap();
    assert!(!senders.is_empty());
    assert!(
        senders.iter().all(|s| s.as_deref() == Some("scheduler")),
        "{senders:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_task_removed_is_no_longer_run_ugly() {
    // Its loop ends at the removal: no run is even tried at its next tick (which would
    // warn that the Task could not run).
    let (actions, sink) = logged_actions::<()>(corers_log::Level::Warn);
    let bench = Bench::on(actions, Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    assert!(bench.runs_in(Duration::from_secs(30)).await >= 2);
    bench.tasks.remove("index.refresh").unwrap();
    assert_eq!(bench.runs_in(Duration::from_secs(60)).await, 0);
    assert_eq!(sink.contents(), "", "a run of the removed Task was tried");
    // Defined again: scheduled again.
    bench.schedule("index.refresh", "*/10 * * * * *");
    assert!(bench.runs_in(Duration::from_secs(30)).await >= 2);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_with_context_gone_ends_the_loops_bad() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    let app = Arc::new(());
    let weak = Arc::downgrade(&app);
    scheduler
        .start_with(move || weak.upgrade().map(|_| ()))
        .unwrap();
    assert!(bench.runs_in(Duration::from_secs(30)).await >= 2);
    drop(app);
    assert_eq!(bench.runs_in(Duration::from_secs(60)).await, 0);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_with_twice_conflict_and_a_panicking_context_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start_with(|| Some(())).unwrap();
    let again = scheduler.start_with(|| Some(())).unwrap_err();
    assert_eq!(again.code(), Some(&ErrorCode::CONFLICT));
    scheduler.stop().await;
    // A context that panics takes its loop down, not the scheduler or the process.
    scheduler
        .start_with(|| -> Option<()> { panic!("context lost") })
        .unwrap();
    assert_eq!(bench.runs_in(Duration::from_secs(30)).await, 0);
    assert!(scheduler.is_running());
    scheduler.stop().await;
}

// --- Scheduler::start ---

#[tokio::test(start_paused = true)]
async fn scheduler_start_six_field_fires_every_ten_seconds_good() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    let anchor = (SystemTime::now(), Instant::now());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(60)).await;
    let runs = bench.runs();
    assert_eq!(runs.len(), 6, "{runs:?}");
    for at in &runs {
        assert_eq!(wall_second(anchor, *at) % 10, 0, "fired off the 10 s marks");
    }
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(9_999) && gap <= Duration::from_millis(10_001),
            "{gap:?}"
        );
    }
    assert!(runs[0] - anchor.1 <= Duration::from_millis(10_001));
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_five_field_fires_every_minute_good() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "* * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    let anchor = (SystemTime::now(), Instant::now());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(300)).await;
    let runs = bench.runs();
    assert_eq!(runs.len(), 5, "{runs:?}");
    for at in &runs {
        assert_eq!(wall_second(anchor, *at) % 60, 0, "fired off the minute");
    }
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_each_task_on_its_own_schedule_good() {
    let bench = Bench::new(Duration::ZERO);
    let pulls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulls);
    bench
        .actions
        .register(ActionSpec::new("git.pull", move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(Value::Null) }
        }))
        .unwrap();
    bench.schedule("index.refresh", "*/10 * * * * *");
    bench
        .tasks
        .define(
            "git.sync",
            TaskDef::new(vec![Step::run("git.pull")]).schedule("*/30 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(60)).await;
    scheduler.stop().await;
    assert_eq!(bench.count(), 6);
    assert_eq!(pulls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_twice_conflict_bad() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    let err = scheduler.start(&()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    insta::assert_snapshot!(err.to_string());
    // The first start keeps firing, once per tick.
    pass(Duration::from_secs(60)).await;
    assert_eq!(bench.count(), 6);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_failing_task_keeps_firing_bad() {
    let bench = Bench::new(Duration::ZERO);
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&attempts);
    bench
        .actions
        .register(ActionSpec::new("git.pull", move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                Err(Error::new("git.Remote.pull", "connection refused")
                    .with_code(ErrorCode::UNAVAILABLE))
            }
        }))
        .unwrap();
    bench
        .tasks
        .define(
            "git.sync",
            TaskDef::new(vec![Step::run("git.pull")]).schedule("*/10 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(30)).await;
    scheduler.stop().await;
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_task_naming_an_unregistered_action_is_logged_at_once_bad() {
    // A typo shows when the scheduler starts, not at the first tick a week later.
    let (actions, sink) = logged_actions::<()>(corers_log::Level::Error);
    actions
        .register(ActionSpec::new("git.pull", |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "git.sync",
            TaskDef::new(vec![
                Step::run("git.pull"),
                Step::parallel(vec![Step::run("index.biuld"), Step::run("chat.anounce")]),
            ])
            .schedule("0 3 * * 1"),
        )
        .unwrap();
    let scheduler = Scheduler::new(tasks);
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(1)).await;
    scheduler.stop().await;
    let written = sink.contents();
    assert!(
        written.contains(
            r#"scheduled task names actions nobody registered task=git.sync error="messaging.Tasks.check: task \"git.sync\" runs actions nobody registered: \"chat.anounce\", \"index.biuld\" [NOT_FOUND]""#
        ),
        "{written}"
    );
}

#[test]
fn scheduler_start_outside_a_runtime_unavailable_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    let err = scheduler.start(&()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(!scheduler.is_running());
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_slow_run_skips_missed_ticks_ugly() {
    let bench = Bench::new(Duration::from_secs(25));
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now_running, peak) = (Arc::clone(&running), Arc::clone(&most));
    bench
        .actions
        .register(ActionSpec::new("search.reindex", move |_, _| {
            let (now_running, peak) = (Arc::clone(&now_running), Arc::clone(&peak));
            async move {
                let n = now_running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(25)).await;
                now_running.fetch_sub(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        }))
        .unwrap();
    bench
        .tasks
        .define(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build"), Step::run("search.reindex")])
                .schedule("*/10 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(200)).await;
    scheduler.stop().await;
    // Each run takes 50 s: the ticks it overlaps are skipped, none is caught up, and the
    // next run starts at the first tick still ahead.
    let runs = bench.runs();
    assert!(runs.len() >= 3, "{runs:?}");
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(59_999) && gap <= Duration::from_millis(60_005),
            "{gap:?}"
        );
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "a Task never overlaps itself"
    );
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_slow_run_says_which_ticks_it_skipped_ugly() {
    // A 25 s run on a 10 s schedule: the two ticks it overlaps are skipped, and a warning
    // says so (a silent skip looks like a schedule that never fired).
    let (scheduler, sink) = every_ten_seconds("index.refresh", "search.reindex", 25);
    pass(Duration::from_secs(40)).await;
    scheduler.stop().await;
    let written = sink.contents();
    assert!(
        written.contains(
            "scheduled task skipped ticks: a run outlasted them (skipped ticks are not caught up) task=index.refresh skipped=2"
        ),
        "{written}"
    );
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_run_still_going_at_its_next_tick_is_said_then_ugly() {
    // A run that hangs (a half-open connection): said at the tick it blocks, once, not
    // only when (if ever) it ends.
    let (scheduler, sink) = every_ten_seconds("index.refresh", "search.reindex", 86_400);
    pass(Duration::from_secs(45)).await;
    let written = sink.contents();
    assert_eq!(
        written
            .matches("scheduled task still running at its next tick (a run may hang: give its steps a timeout) task=index.refresh")
            .count(),
        1,
        "{written}"
    );
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_says_when_it_fires_and_each_run_good() {
    // What an operator asks of a schedule: when next, and did the last one run.
    let (scheduler, sink) =
        every_ten_seconds_logged(corers_log::Level::Info, "index.refresh", "index.build", 0);
    pass(Duration::from_secs(25)).await;
    scheduler.stop().await;
    let written = sink.contents();
    assert_eq!(
        written
            .matches(r#"task scheduled task=index.refresh schedule="*/10 * * * * *" next=20"#)
            .count(),
        1,
        "{written}"
    );
    let runs = written
        .matches("scheduled task ran task=index.refresh ms=0")
        .count();
    assert!((2..=3).contains(&runs), "{written}");
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_picks_up_a_task_defined_after_it_ugly() {
    let bench = Bench::new(Duration::ZERO);
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(5)).await;
    bench.schedule("index.refresh", "*/10 * * * * *");
    let fired = bench.runs_in(Duration::from_secs(60)).await;
    assert!((5..=6).contains(&fired), "{fired}");
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_task_given_a_schedule_again_runs_again_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(30)).await;
    // No schedule: its loop ends after the tick it was waiting for.
    bench.unschedule("index.refresh");
    pass(Duration::from_secs(60)).await;
    let unscheduled = bench.runs_in(Duration::from_secs(60)).await;
    assert_eq!(unscheduled, 0, "not run without a schedule");
    bench.schedule("index.refresh", "*/10 * * * * *");
    let again = bench.runs_in(Duration::from_secs(60)).await;
    assert!((5..=6).contains(&again), "{again}");
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_schedule_that_never_comes_ends_its_loop_for_good_ugly() {
    // A schedule that fires once: then it has no tick ahead. Its loop ends and is not
    // started again and again (the paused clock would never move if it were).
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.never", &once_in(5));
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    bench.schedule("index.refresh", "*/10 * * * * *");
    let fired = bench.runs_in(Duration::from_secs(60)).await;
    assert!((6..=7).contains(&fired), "{fired}");
    // Given a schedule with ticks ahead, it runs after all.
    bench.schedule("index.never", "*/10 * * * * *");
    let both = bench.runs_in(Duration::from_secs(60)).await;
    assert!((10..=12).contains(&both), "{both}");
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_follows_a_task_redefined_while_it_runs_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(30)).await;
    let before = bench.count();
    assert!((2..=3).contains(&before), "{before}");
    // Redefined without a schedule: not even the tick already waited for fires.
    bench.unschedule("index.refresh");
    pass(Duration::from_secs(60)).await;
    assert_eq!(bench.count(), before);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_rescheduled_task_follows_its_new_schedule_at_once_good() {
    let bench = Bench::new(Duration::ZERO);
    // Waiting for New Year...
    bench.schedule("report.yearly", "0 0 1 1 *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(5)).await;
    assert_eq!(bench.count(), 0);
    // ...until redefined to run every ten seconds: that applies now, not next year.
    bench.schedule("report.yearly", "*/10 * * * * *");
    let runs = bench.runs_in(Duration::from_secs(30)).await;
    assert!((2..=3).contains(&runs), "{runs}");
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_unscheduled_tasks_never_fire_and_spent_ones_once_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench
        .tasks
        .define("manual", TaskDef::new(vec![Step::run("index.build")]))
        .unwrap();
    // Once, in a minute: then the schedule has no next time.
    bench.schedule("once", &once_in(60));
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(3600)).await;
    assert_eq!(bench.count(), 1);
    assert!(scheduler.is_running());
    scheduler.stop().await;
}

// --- Scheduler::stop ---

#[tokio::test(start_paused = true)]
async fn scheduler_stop_stops_firing_good() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(30)).await;
    assert_eq!(bench.count(), 3);
    scheduler.stop().await;
    assert!(!scheduler.is_running());
    pass(Duration::from_secs(600)).await;
    assert_eq!(bench.count(), 3);
}

/// Sets its flag when dropped.
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn scheduler_stop_cancels_the_run_in_progress_bad() {
    let bench = Bench::new(Duration::ZERO);
    let cancelled = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (flag, begun) = (Arc::clone(&cancelled), Arc::clone(&started));
    bench
        .actions
        .register(ActionSpec::new("backup.run", move |_, _| {
            let guard = Dropped(Arc::clone(&flag));
            begun.store(true, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_secs(86_400)).await;
                std::mem::forget(guard);
                Ok(Value::Null)
            }
        }))
        .unwrap();
    bench
        .tasks
        .define(
            "nightly.backup",
            TaskDef::new(vec![Step::run("backup.run")]).schedule("*/10 * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(11)).await;
    assert!(started.load(Ordering::SeqCst));
    let stopping = Instant::now();
    scheduler.stop().await;
    assert!(cancelled.load(Ordering::SeqCst), "the run was cancelled");
    assert_eq!(
        stopping.elapsed(),
        Duration::ZERO,
        "stop did not wait a day"
    );
}

#[tokio::test(start_paused = true)]
async fn scheduler_stop_cutting_a_run_short_warns_of_no_failure_ugly() {
    let (scheduler, sink) = every_ten_seconds("nightly.backup", "backup.run", 86_400);
    pass(Duration::from_secs(11)).await;
    scheduler.stop().await;
    // A stop is no failure of the backup's: nothing to warn of but, when the first tick
    // came in the test's first second, that the run was still going at the next one.
    let written = sink.contents();
    let others: Vec<&str> = written
        .lines()
        .filter(|line| !line.contains("still running at its next tick"))
        .collect();
    assert!(others.is_empty(), "{written}");
}

#[tokio::test(start_paused = true)]
async fn scheduler_stop_twice_at_once_both_wait_for_the_runs_bad() {
    let bench = Bench::new(Duration::from_secs(5));
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Arc::new(Scheduler::new(bench.tasks.clone()));
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(11)).await;
    assert!(bench.count() >= 1, "a run has begun");
    tokio::join!(scheduler.stop(), scheduler.stop());
    assert!(!scheduler.is_running());
    // Stopped for good: nothing fires any more, and it can start again.
    let stopped_at = bench.count();
    pass(Duration::from_secs(60)).await;
    assert_eq!(bench.count(), stopped_at);
    scheduler.start(&()).unwrap();
    scheduler.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_stop_given_up_by_its_caller_still_keeps_a_start_out_ugly() {
    // A run blocked in a synchronous call outlives its cancellation; the caller's stop is
    // dropped (a forced shutdown). Starting again before that run ends would overlap it.
    let actions: Actions<()> = Actions::new(Bus::new());
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = Arc::new(Mutex::new(held));
    let running = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&running);
    actions
        .register(ActionSpec::new("index.build", move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            // Blocked until the test lets it go: no await for a cancellation to land on.
            let _ = held.lock().unwrap().recv();
            counted.fetch_sub(1, Ordering::SeqCst);
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "reindex",
            TaskDef::new(vec![Step::run("index.build")]).schedule("* * * * * *"),
        )
        .unwrap();
    let scheduler = Scheduler::new(tasks);
    scheduler.start(&()).unwrap();
    let waited = std::time::Instant::now();
    while running.load(Ordering::SeqCst) == 0 {
        assert!(waited.elapsed() < Duration::from_secs(10), "no run began");
        // The test's own thread: a worker's timer may be held up by the blocked run.
        std::thread::sleep(Duration::from_millis(5));
    }
    let given_up = tokio::time::timeout(Duration::ZERO, scheduler.stop()).await;
    assert!(given_up.is_err());
    let err = scheduler.start(&()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    // Once the run has ended, the stop ends and a start is taken.
    release.send(()).unwrap();
    let waited = std::time::Instant::now();
    while scheduler.start(&()).is_err() {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the stop never ended"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(running.load(Ordering::SeqCst), 0);
    drop(release);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_stop_when_not_running_does_nothing_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.stop().await;
    scheduler.start(&()).unwrap();
    scheduler.stop().await;
    scheduler.stop().await;
    assert!(!scheduler.is_running());
    // Startable again after any number of stops.
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(20)).await;
    assert_eq!(bench.count(), 2);
    scheduler.stop().await;
}

// --- Scheduler::new and is_running ---

#[test]
fn scheduler_new_is_stopped_good() {
    let bench = Bench::new(Duration::ZERO);
    let scheduler = Scheduler::new(bench.tasks.clone());
    assert!(!scheduler.is_running());
    assert!(format!("{scheduler:?}").contains("Scheduler"));
}

#[tokio::test(start_paused = true)]
async fn scheduler_new_over_no_tasks_starts_and_runs_nothing_bad() {
    let bench = Bench::new(Duration::ZERO);
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(3600)).await;
    assert_eq!(bench.count(), 0);
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_new_two_over_the_same_tasks_both_fire_ugly() {
    let bench = Bench::new(Duration::ZERO);
    bench.schedule("index.refresh", "*/10 * * * * *");
    let first = Scheduler::new(bench.tasks.clone());
    let second = Scheduler::new(bench.tasks.clone());
    first.start(&()).unwrap();
    second.start(&()).unwrap();
    pass(Duration::from_secs(30)).await;
    // Nothing ties schedulers together: the lifecycle owns exactly one.
    assert_eq!(bench.count(), 6);
    first.stop().await;
    second.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_is_running_after_start_good() {
    let bench = Bench::new(Duration::ZERO);
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    assert!(scheduler.is_running());
    scheduler.stop().await;
}

#[tokio::test(start_paused = true)]
async fn scheduler_is_running_false_after_refused_start_and_stop_bad() {
    let bench = Bench::new(Duration::ZERO);
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    let _ = scheduler.start(&());
    assert!(scheduler.is_running());
    scheduler.stop().await;
    assert!(!scheduler.is_running());
}

#[tokio::test(start_paused = true)]
async fn scheduler_is_running_after_the_only_schedule_ran_out_ugly() {
    let bench = Bench::new(Duration::ZERO);
    // Far enough ahead that a stall before the loop reads the clock cannot pass it.
    bench.schedule("once", &once_in(30));
    let scheduler = Scheduler::new(bench.tasks.clone());
    scheduler.start(&()).unwrap();
    pass(Duration::from_secs(60)).await;
    assert_eq!(bench.count(), 1);
    // Its loop ended after its one run, but the scheduler stays started until stopped.
    assert!(scheduler.is_running());
    scheduler.stop().await;
    assert!(!scheduler.is_running());
}

/// An application context whose clone panics while `broken` is set.
struct Fragile(Arc<AtomicBool>);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        assert!(!self.0.load(Ordering::SeqCst), "context unavailable");
        Fragile(Arc::clone(&self.0))
    }
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_loop_that_panicked_runs_again_once_the_task_is_defined_again_ugly() {
    let broken = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let actions: Actions<Fragile> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new("index.build", move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    let define = || {
        tasks
            .define(
                "index.refresh",
                TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
            )
            .unwrap();
    };
    define();
    let scheduler = Scheduler::new(tasks.clone());
    scheduler.start(&Fragile(Arc::clone(&broken))).unwrap();
    pass(Duration::from_secs(30)).await;
    assert!(runs.load(Ordering::SeqCst) >= 2);
    // The next run cannot clone the context: the loop panics and ends.
    broken.store(true, Ordering::SeqCst);
    pass(Duration::from_secs(30)).await;
    let before = runs.load(Ordering::SeqCst);
    broken.store(false, Ordering::SeqCst);
    pass(Duration::from_secs(30)).await;
    assert_eq!(runs.load(Ordering::SeqCst), before, "ended with the panic");
    // Defined again (the same schedule): it runs again.
    define();
    pass(Duration::from_secs(60)).await;
    let again = runs.load(Ordering::SeqCst) - before;
    assert!((5..=6).contains(&again), "{again}");
    scheduler.stop().await;
}

/// An application handle whose clone panics once `broken` is set.
struct Brittle(Arc<AtomicBool>);

impl Clone for Brittle {
    fn clone(&self) -> Self {
        assert!(
            !self.0.load(Ordering::SeqCst),
            "application handle torn down"
        );
        Brittle(Arc::clone(&self.0))
    }
}

#[tokio::test(start_paused = true)]
async fn scheduler_start_loop_that_panics_is_logged_not_silent_ugly() {
    let (actions, sink) = logged_actions::<Brittle>(corers_log::Level::Error);
    actions
        .register(ActionSpec::new("index.build", |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
        )
        .unwrap();
    let broken = Arc::new(AtomicBool::new(false));
    let scheduler = Scheduler::new(tasks);
    scheduler.start(&Brittle(Arc::clone(&broken))).unwrap();
    pass(Duration::from_secs(1)).await;
    broken.store(true, Ordering::SeqCst);
    pass(Duration::from_secs(11)).await;
    broken.store(false, Ordering::SeqCst);
    scheduler.stop().await;
    let written = sink.contents();
    assert!(
        written.contains("the schedule of a task panicked")
            && written.contains("task=index.refresh")
            && written.contains("application handle torn down"),
        "{written}"
    );
}
