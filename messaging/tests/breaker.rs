//! The circuit breaker of an Action (`ActionSpec::circuit_breaker`, `ActionHandle::breaker`):
//! closed, open after N consecutive failures, half-open after the cool-down, closed again by
//! a successful trial or reopened by a failed one; and the Action's own timeout
//! (`ActionSpec::timeout`), which it counts. Time runs on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use corers_messaging::{
    ActionCtx, ActionSpec, Actions, BreakerState, Bus, RunCtx, Schema, ValueKind,
};
use corers_primitives::{Error, ErrorCode, Result, Value, options};
use tokio_util::sync::CancellationToken;

const COOLDOWN: Duration = Duration::from_secs(30);

/// What `git.push` does when called.
const SUCCEED: u8 = 0;
const FAIL: u8 = 1;
const HANG: u8 = 2;
const UNAVAILABLE: u8 = 3;
const PANIC: u8 = 4;
/// Succeeds after five seconds.
const SLOW: u8 = 5;
const MISSING: u8 = 6;

/// `git.push` behind a breaker, whose behaviour is switched by `mode`, counting calls.
struct Remote {
    actions: Actions<()>,
    mode: Arc<AtomicU8>,
    calls: Arc<AtomicUsize>,
}

impl Remote {
    fn new(failures: u32, cooldown: Duration) -> Remote {
        Remote::ignoring(failures, cooldown, &[])
    }

    /// A remote whose breaker does not count failures with `codes`.
    fn ignoring(failures: u32, cooldown: Duration, codes: &[ErrorCode]) -> Remote {
        Remote::with(|spec| {
            spec.circuit_breaker(failures, cooldown)
                .breaker_ignores(codes)
        })
    }

    /// A remote whose push is the spec `declare` makes of it.
    fn with(declare: impl FnOnce(ActionSpec<()>) -> ActionSpec<()>) -> Remote {
        let actions = Actions::new(Bus::new());
        let mode = Arc::new(AtomicU8::new(SUCCEED));
        let calls = Arc::new(AtomicUsize::new(0));
        actions.register(declare(push_spec(&mode, &calls))).unwrap();
        Remote {
            actions,
            mode,
            calls,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn state(&self) -> Option<BreakerState> {
        self.actions.get("git.push").breaker()
    }

    async fn push(&self) -> Result<Value> {
        self.actions
            .run(&(), &RunCtx::new(), "git.push", options! {})
            .await
    }

    async fn push_with(&self, ctx: &RunCtx) -> Result<Value> {
        self.actions.run(&(), ctx, "git.push", options! {}).await
    }

    /// Fails `n` calls.
    async fn fail(&self, n: usize) {
        self.set(FAIL);
        for _ in 0..n {
            let _ = self.push().await;
        }
    }
}

fn push_spec(mode: &Arc<AtomicU8>, calls: &Arc<AtomicUsize>) -> ActionSpec<()> {
    let (mode, calls) = (Arc::clone(mode), Arc::clone(calls));
    ActionSpec::new("git.push", move |_, _| {
        let (mode, calls) = (Arc::clone(&mode), Arc::clone(&calls));
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            match mode.load(Ordering::SeqCst) {
                SUCCEED => Ok(Value::from("pushed")),
                FAIL => {
                    Err(Error::new("git.Remote.push", "remote rejected")
                        .with_code(ErrorCode::CONFLICT))
                }
                UNAVAILABLE => Err(Error::new("git.Remote.push", "connection refused")
                    .with_code(ErrorCode::UNAVAILABLE)),
                PANIC => panic!("remote hung up"),
                MISSING => Err(Error::new("git.Remote.push", "no repository \"wrkbench\"")
                    .with_code(ErrorCode::NOT_FOUND)),
                SLOW => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(Value::from("pushed late"))
                }
                _ => {
                    std::future::pending::<()>().await;
                    Ok(Value::Null)
                }
            }
        }
    })
}

// --- ActionSpec::circuit_breaker ---

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_three_failures_open_good() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    remote.set(SUCCEED);
    let err = remote.push().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(
        remote.calls(),
        3,
        "an open breaker does not reach the handler"
    );
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_open_refusal_names_the_action_bad() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    let err = remote.push().await.unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_zero_failures_opens_on_first_ugly() {
    let remote = Remote::new(0, COOLDOWN);
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_zero_cooldown_half_opens_at_once_ugly() {
    let remote = Remote::new(1, Duration::ZERO);
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.set(SUCCEED);
    remote.push().await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_huge_values_stay_closed_ugly() {
    let remote = Remote::new(u32::MAX, Duration::MAX);
    remote.fail(100).await;
    assert_eq!(remote.state(), Some(BreakerState::Closed(100)));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_huge_cooldown_opens_ugly() {
    let remote = Remote::new(1, Duration::MAX);
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_success_resets_the_count_good() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(2).await;
    remote.set(SUCCEED);
    remote.push().await.unwrap();
    remote.fail(2).await;
    assert_eq!(remote.state(), Some(BreakerState::Closed(2)));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_rejected_input_does_not_count_ugly() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let mode = Arc::new(AtomicU8::new(SUCCEED));
    let calls = Arc::new(AtomicUsize::new(0));
    actions
        .register(
            push_spec(&mode, &calls)
                .schema(Schema::new().required("remote", ValueKind::String))
                .circuit_breaker(3, COOLDOWN),
        )
        .unwrap();
    for _ in 0..5 {
        let err = actions
            .run(&(), &RunCtx::new(), "git.push", options! {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    }
    assert_eq!(
        actions.get("git.push").breaker(),
        Some(BreakerState::Closed(0))
    );
}

// --- ActionSpec::breaker_ignores ---

#[tokio::test(start_paused = true)]
async fn action_spec_breaker_ignores_named_codes_good() {
    // NOT_FOUND named as the caller's: it neither opens the breaker nor ends a streak.
    let remote = Remote::ignoring(3, COOLDOWN, &[ErrorCode::NOT_FOUND]);
    remote.set(MISSING);
    for _ in 0..10 {
        let err = remote.push().await.unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    }
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    remote.fail(2).await;
    remote.set(MISSING);
    let _ = remote.push().await;
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_spec_breaker_ignores_nothing_unless_told_bad() {
    // A NOT_FOUND may be a backend's socket gone: by default it counts.
    let remote = Remote::new(3, COOLDOWN);
    remote.set(MISSING);
    for _ in 0..3 {
        let _ = remote.push().await;
    }
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_spec_breaker_ignores_an_ignored_trial_leaves_it_half_open_ugly() {
    let remote = Remote::ignoring(1, COOLDOWN, &[ErrorCode::NOT_FOUND]);
    remote.fail(1).await;
    tokio::time::sleep(COOLDOWN).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.set(MISSING);
    let _ = remote.push().await;
    // The trial told nothing about the backend: the next call is the trial.
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.set(SUCCEED);
    remote.push().await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_own_timeouts_and_panics_count_callers_do_not_ugly() {
    let remote = Remote::with(|spec| {
        spec.timeout(Duration::from_secs(10))
            .circuit_breaker(3, COOLDOWN)
    });
    remote.set(HANG);
    // Callers that give up first: their impatience, not the remote's failure.
    for _ in 0..5 {
        let ctx = RunCtx::new().with_timeout(Duration::from_secs(1));
        let err = remote.push_with(&ctx).await.unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
        assert!(err.to_string().contains("passed its deadline"), "{err}");
    }
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    // The Action's own timeout: the remote's failure.
    for _ in 0..2 {
        let err = remote.push().await.unwrap_err();
        assert!(
            err.to_string().contains("passed the action's timeout"),
            "{err}"
        );
    }
    assert_eq!(remote.state(), Some(BreakerState::Closed(2)));
    remote.set(PANIC);
    let err = remote.push().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_spec_timeout_ends_a_slow_run_good() {
    let remote = Remote::with(|spec| spec.timeout(Duration::from_secs(2)));
    remote.set(SLOW);
    let started = tokio::time::Instant::now();
    let err = remote.push().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    remote.set(SUCCEED);
    assert_eq!(remote.push().await.unwrap(), Value::from("pushed"));
    // A caller's earlier deadline still ends it first.
    remote.set(SLOW);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(1));
    let err = remote.push_with(&ctx).await.unwrap_err();
    assert!(err.to_string().contains("passed its deadline"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn action_spec_timeout_ends_a_hanging_half_open_trial_bad() {
    let remote = Remote::with(|spec| {
        spec.timeout(Duration::from_secs(5))
            .circuit_breaker(1, COOLDOWN)
    });
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    tokio::time::advance(COOLDOWN).await;
    remote.set(HANG);
    let actions = remote.actions.clone();
    let trial = tokio::spawn(async move {
        actions
            .run(&(), &RunCtx::new(), "git.push", options! {})
            .await
    });
    tokio::task::yield_now().await;
    // While the trial runs, everyone else is told so.
    let err = remote.push().await.unwrap_err();
    assert!(err.to_string().contains("circuit half-open"), "{err}");
    // The trial ends at the Action's timeout and opens the breaker again: not wedged.
    let err = trial.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(remote.state(), Some(BreakerState::Open));
    tokio::time::advance(COOLDOWN).await;
    remote.set(SUCCEED);
    assert_eq!(remote.push().await.unwrap(), Value::from("pushed"));
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
}

#[tokio::test(start_paused = true)]
async fn action_spec_timeout_reaches_the_runs_the_handler_starts_ugly() {
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new("git.fetch", |_, _| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    actions
        .register(
            ActionSpec::new("git.sync", |ctx: ActionCtx<()>, _| async move {
                // The nested run sees the outer Action's deadline.
                assert!(ctx.run_ctx().deadline().is_some());
                ctx.run("git.fetch", options! {}).await
            })
            .timeout(Duration::from_secs(3)),
        )
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = actions
        .run(&(), &RunCtx::new(), "git.sync", options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_queue_timeouts_do_not_count_ugly() {
    // One slot: a hanging push holds it; two callers give up while queued.
    let actions = Actions::new(Bus::new());
    let mode = Arc::new(AtomicU8::new(HANG));
    let calls = Arc::new(AtomicUsize::new(0));
    actions
        .register(
            push_spec(&mode, &calls)
                .concurrency(1, 10)
                .circuit_breaker(2, COOLDOWN),
        )
        .unwrap();
    let holder = tokio::spawn({
        let actions = actions.clone();
        async move {
            actions
                .run(&(), &RunCtx::new(), "git.push", options! {})
                .await
        }
    });
    tokio::task::yield_now().await;
    for _ in 0..2 {
        let ctx = RunCtx::new().with_timeout(Duration::from_secs(1));
        let err = actions
            .run(&(), &ctx, "git.push", options! {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    }
    // The handler never ran for them: not the Action's failures.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        actions.get("git.push").breaker(),
        Some(BreakerState::Closed(0))
    );
    holder.abort();
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_straggler_failure_does_not_restart_the_cooldown_ugly() {
    let remote = Arc::new(Remote::new(1, COOLDOWN));
    // A slow push admitted while closed...
    remote.set(HANG);
    let slow = tokio::spawn({
        let remote = Arc::clone(&remote);
        async move {
            let ctx = RunCtx::new().with_timeout(Duration::from_secs(5));
            remote.push_with(&ctx).await
        }
    });
    tokio::task::yield_now().await;
    // ...then a failure opens the breaker.
    remote.set(FAIL);
    let _ = remote.push().await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    // The straggler ends (timed out) after the breaker opened: the cool-down stands, and
    // is not restarted either.
    let _ = slow.await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Open));
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_straggler_success_keeps_it_open_ugly() {
    let remote = Arc::new(Remote::new(1, COOLDOWN));
    // A slow push admitted while closed...
    remote.set(SLOW);
    let slow = tokio::spawn({
        let remote = Arc::clone(&remote);
        async move { remote.push().await }
    });
    tokio::task::yield_now().await;
    // ...then a failure opens the breaker.
    remote.set(FAIL);
    let _ = remote.push().await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    // The straggler succeeds after the breaker opened: it does not close it.
    assert_eq!(slow.await.unwrap().unwrap(), Value::from("pushed late"));
    assert_eq!(remote.state(), Some(BreakerState::Open));
    assert!(remote.push().await.is_err(), "still refused");
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_straggler_after_recovery_does_not_reopen_ugly() {
    let remote = Arc::new(Remote::new(1, Duration::from_secs(1)));
    // A push admitted while closed hangs until its 10-second deadline...
    remote.set(HANG);
    let slow = tokio::spawn({
        let remote = Arc::clone(&remote);
        async move {
            let ctx = RunCtx::new().with_timeout(Duration::from_secs(10));
            remote.push_with(&ctx).await
        }
    });
    tokio::task::yield_now().await;
    // ...a failure opens the breaker, and after the cool-down a trial closes it again.
    remote.set(FAIL);
    let _ = remote.push().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    remote.set(SUCCEED);
    remote.push().await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    // The old push times out now: it says nothing about the recovered backend.
    assert_eq!(
        slow.await.unwrap().unwrap_err().code(),
        Some(&ErrorCode::TIMEOUT)
    );
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    remote.push().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_handler_unavailable_errors_open_bad() {
    let remote = Remote::new(3, COOLDOWN);
    remote.set(UNAVAILABLE);
    for _ in 0..3 {
        let _ = remote.push().await;
    }
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

// --- ActionHandle::breaker ---

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_closed_counts_consecutive_failures_good() {
    let remote = Remote::new(3, COOLDOWN);
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Closed(1)));
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Closed(2)));
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
}

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_half_open_after_cooldown_then_success_closes_good() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    tokio::time::advance(Duration::from_millis(29_999)).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.set(SUCCEED);
    assert_eq!(remote.push().await.unwrap(), Value::from("pushed"));
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    assert_eq!(remote.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_failure_in_half_open_reopens_bad() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    tokio::time::advance(COOLDOWN).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.fail(1).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    // A new cool-down, counted from the failed trial.
    tokio::time::advance(Duration::from_secs(29)).await;
    remote.set(SUCCEED);
    assert_eq!(
        remote.push().await.unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.push().await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
}

#[test]
fn action_handle_breaker_none_without_one_bad() {
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) }))
        .unwrap();
    assert_eq!(actions.get("git.log").breaker(), None);
    assert_eq!(actions.get("git.fetch").breaker(), None);
}

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_half_open_admits_one_trial_at_a_time_ugly() {
    let remote = Arc::new(Remote::new(3, COOLDOWN));
    remote.fail(3).await;
    tokio::time::advance(COOLDOWN).await;
    remote.set(HANG);
    let stop_trial = CancellationToken::new();
    let trial = tokio::spawn({
        let remote = Arc::clone(&remote);
        let ctx = RunCtx::new().with_cancel(stop_trial.clone());
        async move { remote.push_with(&ctx).await }
    });
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    remote.set(SUCCEED);
    let err = remote.push().await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(remote.calls(), 4, "only the trial reached the handler");
    // A cancelled trial says nothing about the remote: the next call is a new trial.
    stop_trial.cancel();
    let err = trial.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(remote.state(), Some(BreakerState::HalfOpen));
    remote.push().await.unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
}

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_dropped_trial_run_frees_the_trial_ugly() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    tokio::time::advance(COOLDOWN).await;
    remote.set(HANG);
    let dropped = tokio::time::timeout(Duration::from_secs(1), remote.push()).await;
    assert!(dropped.is_err(), "the trial was given up");
    remote.set(SUCCEED);
    tokio::time::advance(COOLDOWN * 10).await;
    assert_eq!(remote.push().await.unwrap(), Value::from("pushed"));
}

#[tokio::test(start_paused = true)]
async fn action_handle_breaker_replacing_the_handler_starts_afresh_ugly() {
    let remote = Remote::new(3, COOLDOWN);
    remote.fail(3).await;
    assert_eq!(remote.state(), Some(BreakerState::Open));
    remote
        .actions
        .register(push_spec(&remote.mode, &remote.calls).circuit_breaker(3, COOLDOWN))
        .unwrap();
    assert_eq!(remote.state(), Some(BreakerState::Closed(0)));
    remote.set(SUCCEED);
    remote.push().await.unwrap();
}

// ---- runs queued behind a concurrency limit ----

/// `deploy.push`, one at a time with a queue, behind a breaker opening after two failures;
/// each call waits at `gate`, then fails.
fn queued_failing_push(
    gate: &Arc<tokio::sync::Semaphore>,
    calls: &Arc<AtomicUsize>,
) -> Actions<()> {
    let actions = Actions::new(Bus::new());
    let (gate, calls) = (Arc::clone(gate), Arc::clone(calls));
    actions
        .register(
            ActionSpec::new("deploy.push", move |_, _| {
                let (gate, calls) = (Arc::clone(&gate), Arc::clone(&calls));
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    gate.acquire().await.unwrap().forget();
                    Err(Error::new("deploy.Remote.push", "remote rejected")
                        .with_code(ErrorCode::CONFLICT))
                }
            })
            .concurrency(1, 10)
            .circuit_breaker(2, COOLDOWN),
        )
        .unwrap();
    actions
}

/// `n` runs of `deploy.push`, each on a task of its own.
fn spawn_pushes(actions: &Actions<()>, n: usize) -> Vec<tokio::task::JoinHandle<Result<Value>>> {
    (0..n)
        .map(|_| {
            let actions = actions.clone();
            tokio::spawn(async move {
                actions
                    .run(&(), &RunCtx::new(), "deploy.push", options! {})
                    .await
            })
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_refuses_runs_queued_before_it_opened_ugly() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = queued_failing_push(&gate, &calls);
    let runs = spawn_pushes(&actions, 5);
    // Every run is either in the handler or queued for its slot.
    tokio::time::sleep(Duration::from_millis(10)).await;
    gate.add_permits(5);
    let mut codes = Vec::new();
    for run in runs {
        codes.push(
            run.await
                .unwrap()
                .unwrap_err()
                .code()
                .unwrap()
                .as_str()
                .to_owned(),
        );
    }
    codes.sort();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "{codes:?}");
    assert_eq!(
        codes,
        [
            "CONFLICT",
            "CONFLICT",
            "UNAVAILABLE",
            "UNAVAILABLE",
            "UNAVAILABLE"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn action_handle_disable_refuses_runs_already_queued_bad() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = queued_failing_push(&gate, &calls);
    let runs = spawn_pushes(&actions, 3);
    tokio::time::sleep(Duration::from_millis(10)).await;
    actions.get("deploy.push").disable().unwrap();
    gate.add_permits(3);
    for run in runs {
        let _ = run.await.unwrap();
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the run already in the handler ran"
    );
}

#[tokio::test(start_paused = true)]
async fn action_spec_circuit_breaker_refuses_at_once_while_a_trial_holds_the_slot_good() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = Actions::new(Bus::new());
    let (held, counted) = (Arc::clone(&gate), Arc::clone(&calls));
    actions
        .register(
            ActionSpec::new("deploy.push", move |_, _| {
                let (held, counted) = (Arc::clone(&held), Arc::clone(&counted));
                async move {
                    // The first call fails and opens the breaker; the trial after the
                    // cool-down hangs at the gate.
                    if counted.fetch_add(1, Ordering::SeqCst) > 0 {
                        held.acquire().await.unwrap().forget();
                    }
                    Err(Error::new("deploy.Remote.push", "remote rejected"))
                }
            })
            .concurrency(1, 10)
            .circuit_breaker(1, COOLDOWN),
        )
        .unwrap();
    let push = |actions: &Actions<()>| {
        let actions = actions.clone();
        async move {
            actions
                .run(&(), &RunCtx::new(), "deploy.push", options! {})
                .await
        }
    };
    push(&actions).await.unwrap_err();
    tokio::time::sleep(COOLDOWN).await;
    let trial = tokio::spawn(push(&actions));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let began = tokio::time::Instant::now();
    let err = push(&actions).await.unwrap_err();
    assert_eq!(began.elapsed(), Duration::ZERO, "refused without queueing");
    assert!(err.message().contains("suspended"), "{err}");
    gate.add_permits(1);
    trial.await.unwrap().unwrap_err();
}
