//! What bounds a run: the caller's `RunCtx` (deadline and cancellation) and the Action's
//! concurrency limit. Time runs on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use corers_messaging::{ActionCtx, ActionSpec, Actions, Bus, Field, RunCtx, Schema, ValueKind};
use corers_primitives::{ErrorCode, Options, Result, Value, options};
use tokio::sync::{Barrier, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Sets its flag when dropped: proves a handler's future was dropped (cancelled).
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn unit_actions() -> Actions<()> {
    Actions::new(Bus::new())
}

/// `index.build`, sleeping `work` on tokio's clock; sets `dropped` when its future is
/// dropped before finishing.
fn sleeping(actions: &Actions<()>, work: Duration, dropped: &Arc<AtomicBool>) {
    let dropped = Arc::clone(dropped);
    actions
        .register(ActionSpec::new("index.build", move |_, _| {
            let guard = Dropped(Arc::clone(&dropped));
            async move {
                tokio::time::sleep(work).await;
                std::mem::forget(guard);
                Ok(Value::from("built"))
            }
        }))
        .unwrap();
}

/// Counts runs that reach the handler and the ones that finished; each run waits for a
/// permit on `gate`.
struct Gated {
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

fn gated(
    actions: &Actions<()>,
    name: &str,
    spec: impl Fn(ActionSpec<()>) -> ActionSpec<()>,
) -> Gated {
    let gated = Gated {
        started: Arc::new(AtomicUsize::new(0)),
        finished: Arc::new(AtomicUsize::new(0)),
        gate: Arc::new(Semaphore::new(0)),
    };
    let (started, finished, gate) = (
        Arc::clone(&gated.started),
        Arc::clone(&gated.finished),
        Arc::clone(&gated.gate),
    );
    actions
        .register(spec(ActionSpec::new(name, move |_, _| {
            let (started, finished, gate) = (
                Arc::clone(&started),
                Arc::clone(&finished),
                Arc::clone(&gate),
            );
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                gate.acquire().await.unwrap().forget();
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        })))
        .unwrap();
    gated
}

fn spawn_run(actions: &Actions<()>, ctx: RunCtx, name: &'static str) -> JoinHandle<Result<Value>> {
    let actions = actions.clone();
    tokio::spawn(async move { actions.run(&(), &ctx, name, options! {}).await })
}

/// Lets every spawned task run until it waits.
async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

// --- deadline: RunCtx::with_timeout ---

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_sleeping_handler_cancelled_at_deadline_good() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(3600), &dropped);
    let started = Instant::now();
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
    let err = actions
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    // A deadline passed is a failure, not a cancellation.
    assert!(!err.is_cancelled());
    assert!(
        waited >= Duration::from_secs(30) && waited <= Duration::from_millis(30_001),
        "{waited:?}"
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler was not cancelled"
    );
}

/// Held by a handler that insists on finishing: its `Drop` panics when cut off.
struct MustCommit;

impl Drop for MustCommit {
    fn drop(&mut self) {
        // Not while unwinding already: a second panic there would abort.
        assert!(
            std::thread::panicking(),
            "transaction dropped without a commit"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_handler_panicking_as_it_is_dropped_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("ledger.post", |_, _| async {
            let guard = MustCommit;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            std::mem::forget(guard);
            Ok(Value::Null)
        }))
        .unwrap();
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(1));
    let run = tokio::spawn({
        let actions = actions.clone();
        async move { actions.run(&(), &ctx, "ledger.post", options! {}).await }
    });
    let err = run.await.expect("the panic stayed caught").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_error_names_the_action_bad() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(60), &dropped);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(1));
    let err = actions
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_work_within_deadline_completes_good() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(29), &dropped);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
    let out = actions
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap();
    assert_eq!(out, Value::from("built"));
    assert!(!dropped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_zero_times_out_a_waiting_handler_ugly() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_millis(1), &dropped);
    let ctx = RunCtx::new().with_timeout(Duration::ZERO);
    let started = Instant::now();
    let err = actions
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_timeout_huge_duration_ugly() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(1), &dropped);
    let ctx = RunCtx::new().with_timeout(Duration::MAX);
    let out = actions.run(&(), &ctx, "index.build", options! {}).await;
    assert_eq!(out.unwrap(), Value::from("built"));
}

// --- RunCtx::with_deadline ---

#[tokio::test(start_paused = true)]
async fn run_ctx_with_deadline_times_out_at_that_instant_good() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(3600), &dropped);
    let at = Instant::now() + Duration::from_secs(90);
    let err = actions
        .run(
            &(),
            &RunCtx::new().with_deadline(at),
            "index.build",
            options! {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(Instant::now() >= at && Instant::now() <= at + Duration::from_millis(1));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_deadline_later_one_does_not_extend_bad() {
    let now = Instant::now();
    let ctx = RunCtx::new()
        .with_deadline(now + Duration::from_secs(10))
        .with_deadline(now + Duration::from_secs(60));
    assert_eq!(ctx.deadline(), Some(now + Duration::from_secs(10)));
    let ctx = RunCtx::new()
        .with_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(500));
    assert_eq!(ctx.deadline(), Some(now + Duration::from_secs(5)));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_deadline_in_the_past_times_out_a_waiting_handler_ugly() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(1), &dropped);
    tokio::time::advance(Duration::from_secs(10)).await;
    let past = Instant::now().checked_sub(Duration::from_secs(5)).unwrap();
    let err = actions
        .run(
            &(),
            &RunCtx::new().with_deadline(past),
            "index.build",
            options! {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_deadline_already_passed_never_reaches_handler_ugly() {
    let actions = unit_actions();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    actions
        .register(ActionSpec::new("git.push", move |_, _| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(Value::from("pushed"))
            }
        }))
        .unwrap();
    let ctx = RunCtx::new().with_deadline(Instant::now());
    tokio::time::advance(Duration::from_secs(1)).await;
    let err = actions
        .run(&(), &ctx, "git.push", options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

// --- cancellation: RunCtx::with_cancel and cancel_token ---

#[tokio::test(start_paused = true)]
async fn run_ctx_with_cancel_running_handler_unavailable_good() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(3600), &dropped);
    let shutdown = CancellationToken::new();
    let running = spawn_run(
        &actions,
        RunCtx::new().with_cancel(shutdown.clone()),
        "index.build",
    );
    settle().await;
    shutdown.cancel();
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(err.message(), r#"run of "index.build" cancelled"#);
    assert!(
        err.is_cancelled(),
        "a run the caller cancelled is marked so"
    );
    assert!(dropped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_cancel_already_cancelled_waiting_handler_unavailable_bad() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(1), &dropped);
    let shutdown = CancellationToken::new();
    shutdown.cancel();
    let started = Instant::now();
    let err = actions
        .run(
            &(),
            &RunCtx::new().with_cancel(shutdown),
            "index.build",
            options! {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.is_cancelled());
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_cancel_already_cancelled_never_reaches_handler_ugly() {
    let actions = unit_actions();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    actions
        .register(ActionSpec::new("git.push", move |_, _| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(Value::from("pushed"))
            }
        }))
        .unwrap();
    let shutdown = CancellationToken::new();
    shutdown.cancel();
    let err = actions
        .run(
            &(),
            &RunCtx::new().with_cancel(shutdown),
            "git.push",
            options! {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn run_ctx_with_cancel_keeps_deadline_and_last_token_wins_ugly() {
    let first = CancellationToken::new();
    let second = CancellationToken::new();
    let ctx = RunCtx::new()
        .with_timeout(Duration::from_secs(30))
        .with_cancel(first.clone())
        .with_cancel(second.clone());
    assert_eq!(
        ctx.deadline(),
        Some(Instant::now() + Duration::from_secs(30))
    );
    first.cancel();
    assert!(!ctx.cancel_token().is_cancelled());
    second.cancel();
    assert!(ctx.cancel_token().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn run_ctx_cancel_token_cancels_running_run_good() {
    let actions = unit_actions();
    let dropped = Arc::new(AtomicBool::new(false));
    sleeping(&actions, Duration::from_secs(3600), &dropped);
    let ctx = RunCtx::new();
    let running = spawn_run(&actions, ctx.clone(), "index.build");
    settle().await;
    ctx.cancel_token().cancel();
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[test]
fn run_ctx_cancel_token_not_cancelled_by_default_bad() {
    assert!(!RunCtx::new().cancel_token().is_cancelled());
}

#[test]
fn run_ctx_cancel_token_shared_by_clones_and_children_ugly() {
    let ctx = RunCtx::new();
    let clone = ctx.clone();
    let child = ctx.cancel_token().child_token();
    clone.cancel_token().cancel();
    assert!(ctx.cancel_token().is_cancelled());
    assert!(child.is_cancelled());
}

// --- RunCtx::new and deadline ---

#[test]
fn run_ctx_new_has_no_deadline_and_a_live_token_good() {
    let ctx = RunCtx::new();
    assert!(ctx.deadline().is_none());
    assert!(!ctx.cancel_token().is_cancelled());
}

#[test]
fn run_ctx_new_tokens_are_independent_bad() {
    let one = RunCtx::new();
    let other = RunCtx::new();
    one.cancel_token().cancel();
    assert!(!other.cancel_token().is_cancelled());
}

#[test]
fn run_ctx_new_equals_default_ugly() {
    let ctx = RunCtx::default();
    assert!(ctx.deadline().is_none());
    assert!(!ctx.cancel_token().is_cancelled());
    assert!(format!("{ctx:?}").contains("RunCtx"));
}

#[tokio::test(start_paused = true)]
async fn run_ctx_deadline_from_timeout_good() {
    let now = Instant::now();
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
    assert_eq!(ctx.deadline(), Some(now + Duration::from_secs(30)));
}

#[test]
fn run_ctx_deadline_none_without_one_bad() {
    let ctx = RunCtx::new().with_cancel(CancellationToken::new());
    assert!(ctx.deadline().is_none());
}

#[tokio::test(start_paused = true)]
async fn run_ctx_deadline_earliest_of_deadline_and_timeout_ugly() {
    let now = Instant::now();
    let ctx = RunCtx::new()
        .with_deadline(now + Duration::from_secs(5))
        .with_timeout(Duration::from_secs(3600));
    assert_eq!(ctx.deadline(), Some(now + Duration::from_secs(5)));
    let ctx = RunCtx::new()
        .with_timeout(Duration::from_secs(3600))
        .with_deadline(now);
    assert_eq!(ctx.deadline(), Some(now));
}

// --- ActionSpec::concurrency ---

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_second_queues_third_refused_good() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 1));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    let second = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    assert_eq!(index.started.load(Ordering::SeqCst), 1, "the second queues");

    let third = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap_err();
    assert_eq!(third.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(index.started.load(Ordering::SeqCst), 1);

    index.gate.add_permits(2);
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(index.started.load(Ordering::SeqCst), 2);
    assert_eq!(index.finished.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_full_queue_unavailable_bad() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 1));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    let second = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    let err = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string());
    index.gate.add_permits(2);
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_runs_up_to_the_limit_at_once_good() {
    let actions = unit_actions();
    let barrier = Arc::new(Barrier::new(3));
    let wait = Arc::clone(&barrier);
    actions
        .register(
            ActionSpec::new("index.build", move |_, _| {
                let wait = Arc::clone(&wait);
                async move {
                    wait.wait().await;
                    Ok(Value::Null)
                }
            })
            .concurrency(3, 0),
        )
        .unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| spawn_run(&actions, RunCtx::new(), "index.build"))
        .collect();
    for run in runs {
        tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("three runs at once meet at the barrier")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_zero_limits_mean_one_at_a_time_no_queue_ugly() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(0, 0));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    assert_eq!(index.started.load(Ordering::SeqCst), 1);
    let err = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    // Not "0 calls already queued": there is no queue.
    assert_eq!(
        err.message(),
        r#"action "index.build" is busy, and queues no call"#
    );
    index.gate.add_permits(1);
    first.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_huge_limits_accepted_ugly() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| {
        spec.concurrency(usize::MAX, usize::MAX)
    });
    let runs: Vec<_> = (0..50)
        .map(|_| spawn_run(&actions, RunCtx::new(), "index.build"))
        .collect();
    settle().await;
    assert_eq!(index.started.load(Ordering::SeqCst), 50);
    index.gate.add_permits(50);
    for run in runs {
        run.await.unwrap().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_cancelled_frees_its_place_ugly() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 1));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    let give_up = CancellationToken::new();
    let queued = spawn_run(
        &actions,
        RunCtx::new().with_cancel(give_up.clone()),
        "index.build",
    );
    settle().await;
    give_up.cancel();
    let err = queued.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(
        err.message(),
        r#"run of "index.build" cancelled while queued"#
    );
    assert!(err.is_cancelled());
    // Its place in the queue is free again.
    let again = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    index.gate.add_permits(2);
    first.await.unwrap().unwrap();
    again.await.unwrap().unwrap();
    assert_eq!(index.started.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_deadline_times_out_bad() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 4));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    let started = Instant::now();
    let err = actions
        .run(
            &(),
            &RunCtx::new().with_timeout(Duration::from_secs(10)),
            "index.build",
            options! {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(err.message().contains("while queued"), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(10));
    index.gate.add_permits(1);
    first.await.unwrap().unwrap();
    assert_eq!(index.started.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_dropped_queued_run_frees_its_place_ugly() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 1));
    let first = spawn_run(&actions, RunCtx::new(), "index.build");
    let queued = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    queued.abort();
    let _ = queued.await;
    let again = spawn_run(&actions, RunCtx::new(), "index.build");
    settle().await;
    index.gate.add_permits(2);
    first.await.unwrap().unwrap();
    again.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_limit_is_per_action_good() {
    let actions = unit_actions();
    let index = gated(&actions, "index.build", |spec| spec.concurrency(1, 0));
    let search = gated(&actions, "search.reindex", |spec| spec.concurrency(1, 0));
    let a = spawn_run(&actions, RunCtx::new(), "index.build");
    let b = spawn_run(&actions, RunCtx::new(), "search.reindex");
    settle().await;
    assert_eq!(index.started.load(Ordering::SeqCst), 1);
    assert_eq!(search.started.load(Ordering::SeqCst), 1);
    index.gate.add_permits(1);
    search.gate.add_permits(1);
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_shared_with_the_handler_it_replaces_ugly() {
    let actions = unit_actions();
    let old = gated(&actions, "db.query", |spec| spec.concurrency(1, 0));
    let running = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    assert_eq!(old.started.load(Ordering::SeqCst), 1);
    // Hot-replaced with the same limit while the old handler's run holds the only slot.
    let new = gated(&actions, "db.query", |spec| spec.concurrency(1, 0));
    // Bounded: a run admitted by mistake would wait on its gate for ever.
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        actions.run(&(), &RunCtx::new(), "db.query", options! {}),
    )
    .await
    .expect("refused at once, not admitted");
    assert_eq!(refused.unwrap_err().code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(new.started.load(Ordering::SeqCst), 0);
    old.gate.add_permits(1);
    running.await.unwrap().unwrap();
    // The old run gave the slot back: the new handler takes it.
    let next = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    assert_eq!(new.started.load(Ordering::SeqCst), 1);
    new.gate.add_permits(1);
    next.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_takes_the_handler_that_replaced_it_ugly() {
    // A hot swap (a fix deployed) while a run waits in the queue: the run, once it has a
    // slot, calls the handler registered then, not the one it queued for.
    let actions = unit_actions();
    let old = gated(&actions, "db.query", |spec| spec.concurrency(1, 1));
    let running = spawn_run(&actions, RunCtx::new(), "db.query");
    let queued = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    assert_eq!(old.started.load(Ordering::SeqCst), 1, "the second queues");
    let new = gated(&actions, "db.query", |spec| spec.concurrency(1, 1));
    old.gate.add_permits(1);
    running.await.unwrap().unwrap();
    settle().await;
    assert_eq!(
        (
            old.started.load(Ordering::SeqCst),
            new.started.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
    new.gate.add_permits(1);
    queued.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_is_checked_against_the_replacements_schema_bad() {
    // The new handler declares a required input the queued run never gave: refused, and
    // the new handler never sees it.
    let actions = unit_actions();
    let old = gated(&actions, "db.query", |spec| spec.concurrency(1, 1));
    let running = spawn_run(&actions, RunCtx::new(), "db.query");
    let queued = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    let new = gated(&actions, "db.query", |spec| {
        spec.concurrency(1, 1)
            .schema(Schema::new().required("sql", ValueKind::String))
    });
    old.gate.add_permits(1);
    running.await.unwrap().unwrap();
    let err = queued.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().contains(r#"missing required input "sql""#),
        "{err}"
    );
    assert_eq!(new.started.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_of_an_unregistered_action_never_runs_ugly() {
    // Unregistered (a session's tool taken away) and registered again, under a limit of
    // its own, while a run waited: the queued run runs neither the removed handler nor
    // the new one.
    let actions = unit_actions();
    let old = gated(&actions, "session.search", |spec| spec.concurrency(1, 1));
    let running = spawn_run(&actions, RunCtx::new(), "session.search");
    let queued = spawn_run(&actions, RunCtx::new(), "session.search");
    settle().await;
    actions.unregister("session.search").unwrap();
    let new = gated(&actions, "session.search", |spec| spec.concurrency(1, 1));
    old.gate.add_permits(1);
    running.await.unwrap().unwrap();
    let err = queued.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND), "{err}");
    assert_eq!(
        (
            old.started.load(Ordering::SeqCst),
            new.started.load(Ordering::SeqCst)
        ),
        (1, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_queued_run_is_checked_on_the_callers_input_not_the_old_defaults_ugly()
 {
    // The replaced handler's schema filled in a default the replacement does not take
    // (its schema is closed): the queued run is checked on what the caller gave.
    let actions = unit_actions();
    let old = gated(&actions, "db.query", |spec| {
        spec.concurrency(1, 1).schema(
            Schema::new()
                .optional("sql", ValueKind::String)
                .field(Field::optional("limit", ValueKind::Int).default(20)),
        )
    });
    let running = spawn_run(&actions, RunCtx::new(), "db.query");
    let queued = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    let new = gated(&actions, "db.query", |spec| {
        spec.concurrency(1, 1)
            .schema(Schema::new().optional("sql", ValueKind::String).closed())
    });
    old.gate.add_permits(1);
    running.await.unwrap().unwrap();
    settle().await;
    assert_eq!(
        new.started.load(Ordering::SeqCst),
        1,
        "the replacement runs it"
    );
    new.gate.add_permits(1);
    queued.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_changed_by_a_replacement_starts_afresh_good() {
    let actions = unit_actions();
    let old = gated(&actions, "db.query", |spec| spec.concurrency(1, 0));
    let running = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    let new = gated(&actions, "db.query", |spec| spec.concurrency(2, 0));
    let next = spawn_run(&actions, RunCtx::new(), "db.query");
    settle().await;
    assert_eq!(
        (
            old.started.load(Ordering::SeqCst),
            new.started.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
    old.gate.add_permits(1);
    new.gate.add_permits(1);
    running.await.unwrap().unwrap();
    next.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_panicking_run_releases_its_slot_ugly() {
    let actions = unit_actions();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    actions
        .register(
            ActionSpec::new("index.build", move |_, _| {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(n > 0, "index corrupted");
                    Ok(Value::Null)
                }
            })
            .concurrency(1, 0),
        )
        .unwrap();
    let err = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap();
}

// --- RunCtx::with_extension / RunCtx::extension ---

/// Who is calling: what a tool server knows and a model's input must not say.
#[derive(Debug, PartialEq)]
struct Principal(&'static str);

#[tokio::test]
async fn run_ctx_with_extension_reaches_nested_runs_and_timed_actions_good() {
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(
            ActionSpec::new("auth.whoami", |ctx: ActionCtx<()>, _| async move {
                let who = ctx.run_ctx().extension::<Principal>().map(|p| p.0);
                Ok(Value::from(who.unwrap_or("nobody")))
            })
            // An Action's own timeout derives a context: the values stay.
            .timeout(Duration::from_secs(30)),
        )
        .unwrap();
    actions
        .register(ActionSpec::new(
            "git.push",
            |ctx: ActionCtx<()>, _| async move { ctx.run("auth.whoami", Options::new()).await },
        ))
        .unwrap();
    let ctx = RunCtx::new()
        .with_extension(Principal("session-7f3a"))
        .with_timeout(Duration::from_secs(60));
    let out = actions.run(&(), &ctx, "git.push", Options::new()).await;
    assert_eq!(out.unwrap(), Value::from("session-7f3a"));
    let anonymous = actions
        .run(&(), &RunCtx::new(), "git.push", Options::new())
        .await;
    assert_eq!(anonymous.unwrap(), Value::from("nobody"));
}

#[tokio::test]
async fn run_ctx_with_extension_keeps_the_cancellation_it_derives_from_bad() {
    // Derived before the token was first asked for, the two contexts still share it.
    let ctx = RunCtx::new();
    let tagged = ctx.clone().with_extension(Principal("session-7f3a"));
    ctx.cancel_token().cancel();
    assert!(tagged.cancel_token().is_cancelled());
    // And the other way round.
    let ctx = RunCtx::new();
    let tagged = ctx.clone().with_extension(7_u32);
    tagged.cancel_token().cancel();
    assert!(ctx.cancel_token().is_cancelled());
    // The original is not given the value.
    assert!(ctx.extension::<u32>().is_none());
}

#[test]
fn run_ctx_with_extension_same_type_replaces_and_debug_hides_values_ugly() {
    let ctx = RunCtx::new()
        .with_extension(Principal("alice"))
        .with_extension(42_u64)
        .with_extension(Principal("mallory"));
    assert_eq!(ctx.extension::<Principal>(), Some(&Principal("mallory")));
    assert_eq!(ctx.extension::<u64>(), Some(&42));
    // A credential attached as an extension never shows in a log of the context.
    let shown = format!("{ctx:?}");
    assert!(!shown.contains("mallory"), "{shown}");
    assert!(shown.contains("2 extensions"), "{shown}");
}

#[test]
fn run_ctx_extension_good() {
    let ctx = RunCtx::new().with_extension(String::from("req-01J9"));
    assert_eq!(
        ctx.extension::<String>().map(String::as_str),
        Some("req-01J9")
    );
}

#[test]
fn run_ctx_extension_bad() {
    // Asked for a type never attached (even one close to it): none.
    let ctx = RunCtx::new().with_extension(String::from("req-01J9"));
    assert!(ctx.extension::<&str>().is_none());
    assert!(RunCtx::new().extension::<String>().is_none());
}

#[test]
fn run_ctx_extension_ugly() {
    // A unit type and a zero-sized value are values too.
    let ctx = RunCtx::new().with_extension(());
    assert_eq!(ctx.extension::<()>(), Some(&()));
    let ctx = ctx.with_deadline(tokio::time::Instant::now());
    assert!(ctx.extension::<()>().is_some());
}

// --- A limited Action run inside a run of itself ---

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_nested_run_of_itself_refused_not_deadlocked_bad() {
    // With one slot, a run that runs itself would wait for the slot it holds: forever.
    let actions = unit_actions();
    actions
        .register(
            ActionSpec::new(
                "index.build",
                |ctx: ActionCtx<()>, options: Options| async move {
                    if options.bool("nested").unwrap_or(false) {
                        return Ok(Value::from("inner"));
                    }
                    let inner = ctx
                        .run("index.build", options! { "nested" => true })
                        .await
                        .unwrap_err();
                    Ok(Value::from(format!(
                        "{}: {}",
                        inner.code().unwrap(),
                        inner.message()
                    )))
                },
            )
            .concurrency(1, 8),
        )
        .unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        actions.run(&(), &RunCtx::new(), "index.build", options! {}),
    )
    .await
    .expect("refused at once, not left waiting on its own slot")
    .unwrap();
    insta::assert_snapshot!(out.as_str().unwrap(), @r#"CONFLICT: run of "index.build" refused: every running slot is taken, one by a run it is nested in, which waiting could wait on forever"#);
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_nested_run_of_itself_takes_a_free_slot_good() {
    // A sub-agent that delegates to itself: with slots free, the nested runs go on (3
    // deep with 3 slots), and the 4th level, with none free, is refused at once.
    let actions = unit_actions();
    actions
        .register(
            ActionSpec::new(
                "agent.delegate",
                |ctx: ActionCtx<()>, options: Options| async move {
                    let depth = options.int("depth").unwrap_or(1);
                    match ctx
                        .run("agent.delegate", options! { "depth" => depth + 1 })
                        .await
                    {
                        Ok(deeper) => Ok(deeper),
                        Err(err) => Ok(Value::from(format!(
                            "{depth} deep, then {}",
                            err.code().unwrap()
                        ))),
                    }
                },
            )
            .concurrency(3, 8),
        )
        .unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        actions.run(&(), &RunCtx::new(), "agent.delegate", options! {}),
    )
    .await
    .expect("never left waiting")
    .unwrap();
    assert_eq!(out, Value::from("3 deep, then CONFLICT"));
}

#[tokio::test(start_paused = true)]
async fn action_spec_concurrency_runs_one_after_another_and_other_actions_nest_good() {
    // Not nested: runs in a row each take the slot; another limited Action nests freely.
    let actions = unit_actions();
    actions
        .register(
            ActionSpec::new("git.log", |_, _| async { Ok(Value::from("log")) }).concurrency(1, 0),
        )
        .unwrap();
    actions
        .register(
            ActionSpec::new("index.build", |ctx: ActionCtx<()>, _| async move {
                ctx.run("git.log", Options::new()).await
            })
            .concurrency(1, 0),
        )
        .unwrap();
    for _ in 0..3 {
        let out = actions
            .run(&(), &RunCtx::new(), "index.build", options! {})
            .await;
        assert_eq!(out.unwrap(), Value::from("log"));
    }
}

#[tokio::test]
async fn action_spec_concurrency_task_spawned_by_a_run_may_run_it_once_the_run_ended_ugly() {
    // A task a run leaves behind runs the Action again once that run has let its slot go.
    let actions = unit_actions();
    let (sent, later) = tokio::sync::oneshot::channel::<JoinHandle<Result<Value>>>();
    let sent = Arc::new(std::sync::Mutex::new(Some(sent)));
    actions
        .register(
            ActionSpec::new(
                "index.build",
                move |ctx: ActionCtx<()>, options: Options| {
                    let sent = Arc::clone(&sent);
                    async move {
                        if options.bool("again").unwrap_or(false) {
                            return Ok(Value::from("again"));
                        }
                        let (go, wait) = tokio::sync::oneshot::channel::<()>();
                        let task = tokio::spawn(async move {
                            let _ = wait.await;
                            ctx.run("index.build", options! { "again" => true }).await
                        });
                        sent.lock().unwrap().take().unwrap().send(task).unwrap();
                        // The task goes on once this run has ended.
                        tokio::spawn(async move {
                            tokio::task::yield_now().await;
                            let _ = go.send(());
                        });
                        Ok(Value::from("first"))
                    }
                },
            )
            .concurrency(1, 0),
        )
        .unwrap();
    let first = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await;
    assert_eq!(first.unwrap(), Value::from("first"));
    let task = later.await.unwrap();
    assert_eq!(task.await.unwrap().unwrap(), Value::from("again"));
}
