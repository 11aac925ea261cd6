//! Broadcast- and query-style invocation of a name (CoreGO RFC §18.8): several listeners
//! under one event name, called all (`emit`) or until the first answer (`ask`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_messaging::{ActionSpec, Actions, Bus, Outcome, RunCtx};
use corers_primitives::{Error, ErrorCode, Options, Value, options};

type Log = Arc<Mutex<Vec<&'static str>>>;

fn unit_actions() -> Actions<()> {
    Actions::new(Bus::new())
}

/// Adds a listener to `event` that logs `who` and answers `answer`.
fn listen(actions: &Actions<()>, event: &str, log: &Log, who: &'static str, answer: Value) {
    let log = Arc::clone(log);
    actions
        .listen(event, move |_, _| {
            let log = Arc::clone(&log);
            let answer = answer.clone();
            async move {
                log.lock().unwrap().push(who);
                Ok(answer)
            }
        })
        .unwrap();
}

/// Adds a listener to `event` that logs `who` and fails.
fn listen_failing(actions: &Actions<()>, event: &str, log: &Log, who: &'static str) {
    let log = Arc::clone(log);
    actions
        .listen(event, move |_, _| {
            let log = Arc::clone(&log);
            async move {
                log.lock().unwrap().push(who);
                Err(
                    Error::new("search.Index.reload", format!("{who} is offline"))
                        .with_code(ErrorCode::UNAVAILABLE),
                )
            }
        })
        .unwrap();
}

// --- Actions::listen ---

#[tokio::test]
async fn actions_listen_several_handlers_under_one_name_good() {
    let actions = unit_actions();
    let log = Log::default();
    listen(&actions, "workspace.opened", &log, "search", Value::Null);
    listen(&actions, "workspace.opened", &log, "git", Value::Null);
    listen(&actions, "workspace.opened", &log, "brain", Value::Null);
    let results = actions
        .emit(&(), &RunCtx::new(), "workspace.opened", options! {})
        .await;
    assert_eq!(results.len(), 3);
    assert_eq!(*log.lock().unwrap(), ["search", "git", "brain"]);
}

#[test]
fn actions_listen_malformed_name_invalid_bad() {
    let actions = unit_actions();
    for name in [
        "",
        " workspace.opened",
        "workspace\topened",
        "workspace opened",
        "cache..flush",
    ] {
        let err = actions
            .listen(name, |_, _| async { Ok(Value::Null) })
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
        assert_eq!(err.operation(), "messaging.Actions.listen", "{name:?}");
    }
}

#[test]
fn actions_listen_after_seal_only_on_known_names_and_never_after_lock_bad() {
    let actions = unit_actions();
    let log = Log::default();
    listen(&actions, "workspace.opened", &log, "search", Value::Null);
    actions.seal();
    // A name that has listeners takes more; a new name is refused.
    listen(&actions, "workspace.opened", &log, "git", Value::Null);
    let err = actions
        .listen("workspace.closed", |_, _| async { Ok(Value::Null) })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    actions.lock();
    let err = actions
        .listen("workspace.opened", |_, _| async { Ok(Value::Null) })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

#[tokio::test]
async fn actions_listen_is_separate_from_registered_actions_ugly() {
    let actions = unit_actions();
    let log = Log::default();
    actions
        .register(ActionSpec::new("index.build", |_, _| async {
            Ok(Value::from("the action"))
        }))
        .unwrap();
    listen(
        &actions,
        "index.build",
        &log,
        "listener",
        Value::from("the listener"),
    );
    let ran = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await
        .unwrap();
    assert_eq!(ran, Value::from("the action"));
    assert!(log.lock().unwrap().is_empty());
    // Listening adds no Action: the capability map is unchanged.
    assert_eq!(actions.names(), ["index.build"]);
    let err = actions
        .run(&(), &RunCtx::new(), "workspace.opened", options! {})
        .await;
    assert_eq!(err.unwrap_err().code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn actions_listen_from_inside_a_listener_applies_to_the_next_emit_ugly() {
    let actions = unit_actions();
    let calls = Arc::new(AtomicUsize::new(0));
    let (again, counter) = (actions.clone(), Arc::clone(&calls));
    actions
        .listen("workspace.opened", move |_, _| {
            let (again, counter) = (again.clone(), Arc::clone(&counter));
            async move {
                let late = Arc::clone(&counter);
                again.listen("workspace.opened", move |_, _| {
                    late.fetch_add(100, Ordering::SeqCst);
                    async { Ok(Value::Null) }
                })?;
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        })
        .unwrap();
    let first = actions
        .emit(&(), &RunCtx::new(), "workspace.opened", options! {})
        .await;
    assert_eq!(first.len(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let second = actions
        .emit(&(), &RunCtx::new(), "workspace.opened", options! {})
        .await;
    assert_eq!(second.len(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 102);
}

// --- Actions::emit ---

#[tokio::test]
async fn actions_emit_calls_all_in_order_and_returns_every_result_good() {
    let actions = unit_actions();
    let log = Log::default();
    listen(&actions, "index.rebuilt", &log, "search", Value::from(120));
    listen(&actions, "index.rebuilt", &log, "cache", Value::Null);
    listen(
        &actions,
        "index.rebuilt",
        &log,
        "chat",
        Value::from("announced"),
    );
    let results: Vec<Value> = actions
        .emit(&(), &RunCtx::new(), "index.rebuilt", options! {})
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        results,
        [Value::from(120), Value::Null, Value::from("announced")]
    );
    assert_eq!(*log.lock().unwrap(), ["search", "cache", "chat"]);
}

#[tokio::test]
async fn actions_emit_failures_and_panics_do_not_stop_the_rest_bad() {
    let actions = unit_actions();
    let log = Log::default();
    listen_failing(&actions, "index.rebuilt", &log, "search");
    actions
        .listen("index.rebuilt", |_, _| async {
            panic!("cache flush failed");
        })
        .unwrap();
    listen(
        &actions,
        "index.rebuilt",
        &log,
        "chat",
        Value::from("announced"),
    );
    let results = actions
        .emit(&(), &RunCtx::new(), "index.rebuilt", options! {})
        .await;
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
    let panicked = results[1].as_ref().unwrap_err();
    assert_eq!(panicked.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(panicked.message(), "panicked: cache flush failed");
    assert_eq!(results[2].as_ref().unwrap(), &Value::from("announced"));
    assert_eq!(*log.lock().unwrap(), ["search", "chat"]);
}

#[tokio::test]
async fn actions_emit_nobody_listens_is_empty_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("index.rebuilt", |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap();
    let results = actions
        .emit(&(), &RunCtx::new(), "index.rebuilt", options! {})
        .await;
    assert!(results.is_empty());
    assert!(
        actions
            .emit(&(), &RunCtx::new(), "", options! {})
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn actions_emit_every_listener_gets_the_options_good() {
    let actions = unit_actions();
    for _ in 0..2 {
        actions
            .listen("workspace.opened", |_, opts: Options| async move {
                Ok(opts.get("path").cloned().unwrap_or_default())
            })
            .unwrap();
    }
    let results = actions
        .emit(
            &(),
            &RunCtx::new(),
            "workspace.opened",
            options! { "path" => "/srv/alpha" },
        )
        .await;
    for result in results {
        assert_eq!(result.unwrap(), Value::from("/srv/alpha"));
    }
}

#[tokio::test(start_paused = true)]
async fn actions_emit_deadline_covers_the_whole_call_bad() {
    let actions = unit_actions();
    let log = Log::default();
    actions
        .listen("index.rebuilt", |_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(Value::Null)
        })
        .unwrap();
    listen(
        &actions,
        "index.rebuilt",
        &log,
        "chat",
        Value::from("announced"),
    );
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(5));
    let results = actions.emit(&(), &ctx, "index.rebuilt", options! {}).await;
    // The first listener ran out the caller's deadline; the second is not started past it.
    let codes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap_err().code().cloned())
        .collect();
    assert_eq!(codes, [Some(ErrorCode::TIMEOUT), Some(ErrorCode::TIMEOUT)]);
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn actions_emit_listener_sees_the_callers_cascade_good() {
    let actions = unit_actions();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    actions
        .listen("git.pulled", move |ctx, _| {
            log.lock()
                .unwrap()
                .push((*ctx.dispatch(), ctx.name().to_owned()));
            async { Ok(Value::Null) }
        })
        .unwrap();
    let (again, outer) = (actions.clone(), Arc::clone(&seen));
    actions
        .register(ActionSpec::new("git.pull", move |ctx, _| {
            let again = again.clone();
            outer
                .lock()
                .unwrap()
                .push((*ctx.dispatch(), ctx.name().to_owned()));
            async move {
                again
                    .emit(&(), ctx.run_ctx(), "git.pulled", options! {})
                    .await;
                Ok(Value::Null)
            }
        }))
        .unwrap();
    actions
        .run(&(), &RunCtx::new(), "git.pull", options! {})
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    let (pull, listener) = (&seen[0], &seen[1]);
    assert_eq!(listener.1, "git.pulled");
    assert_eq!(listener.0.trace(), pull.0.trace());
    assert_eq!(listener.0.parent(), Some(pull.0.id()));
    assert_eq!(listener.0.depth(), 1);
}

#[tokio::test]
async fn actions_emit_runaway_cascade_refused_ugly() {
    let actions = unit_actions();
    let again = actions.clone();
    actions
        .listen("cache.invalidate", move |ctx, opts| {
            let again = again.clone();
            async move {
                let depth = ctx.dispatch().depth();
                // The test's own bound, well past the bus limit of 32.
                if depth >= 40 {
                    return Ok(Value::from(depth));
                }
                let mut results = again
                    .emit(&(), ctx.run_ctx(), "cache.invalidate", opts)
                    .await;
                results.pop().unwrap()
            }
        })
        .unwrap();
    let mut results = actions
        .emit(&(), &RunCtx::new(), "cache.invalidate", options! {})
        .await;
    let err = results.pop().unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// --- Actions::ask ---

#[tokio::test]
async fn actions_ask_first_non_null_answer_wins_good() {
    let actions = unit_actions();
    let log = Log::default();
    listen(&actions, "config.value", &log, "env", Value::Null);
    listen(
        &actions,
        "config.value",
        &log,
        "file",
        Value::from("/srv/ws"),
    );
    listen(
        &actions,
        "config.value",
        &log,
        "default",
        Value::from("/tmp"),
    );
    let outcome = actions
        .ask(
            &(),
            &RunCtx::new(),
            "config.value",
            options! { "key" => "workspace.root" },
        )
        .await;
    assert_eq!(outcome.answer(), Some(Value::from("/srv/ws")));
    assert_eq!(
        *log.lock().unwrap(),
        ["env", "file"],
        "later listeners are not asked"
    );
}

#[tokio::test]
async fn actions_ask_failure_reported_only_when_nobody_answers_bad() {
    let actions = unit_actions();
    let log = Log::default();
    listen_failing(&actions, "config.value", &log, "vault");
    listen_failing(&actions, "config.value", &log, "consul");
    listen(&actions, "config.value", &log, "env", Value::Null);
    let outcome = actions
        .ask(&(), &RunCtx::new(), "config.value", options! {})
        .await;
    match outcome {
        Outcome::Failed(err) => {
            assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
            assert_eq!(
                err.message(),
                "vault is offline",
                "the first failure is kept"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(*log.lock().unwrap(), ["vault", "consul", "env"]);
}

#[tokio::test]
async fn actions_ask_answer_after_a_failure_wins_good() {
    let actions = unit_actions();
    let log = Log::default();
    listen_failing(&actions, "config.value", &log, "vault");
    listen(
        &actions,
        "config.value",
        &log,
        "file",
        Value::from("/srv/ws"),
    );
    let outcome = actions
        .ask(&(), &RunCtx::new(), "config.value", options! {})
        .await;
    assert!(matches!(outcome, Outcome::Answered(ref v) if *v == Value::from("/srv/ws")));
}

#[tokio::test]
async fn actions_ask_no_listeners_or_only_nulls_not_handled_ugly() {
    let actions = unit_actions();
    let outcome = actions
        .ask(&(), &RunCtx::new(), "config.value", options! {})
        .await;
    assert!(matches!(outcome, Outcome::NotHandled));
    let log = Log::default();
    listen(&actions, "config.value", &log, "env", Value::Null);
    listen(&actions, "config.value", &log, "file", Value::Null);
    let outcome = actions
        .ask(&(), &RunCtx::new(), "config.value", options! {})
        .await;
    assert!(matches!(outcome, Outcome::NotHandled));
    assert_eq!(log.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn actions_ask_panicking_listener_then_answer_ugly() {
    let actions = unit_actions();
    let log = Log::default();
    actions
        .listen("config.value", |_, _| async { panic!("vault sealed") })
        .unwrap();
    listen(&actions, "config.value", &log, "file", Value::from(false));
    let outcome = actions
        .ask(&(), &RunCtx::new(), "config.value", options! {})
        .await;
    // `false` is an answer: only null means "not mine".
    assert_eq!(outcome.answer(), Some(Value::from(false)));
}

#[tokio::test]
async fn actions_emit_listener_panicking_before_its_future_ugly() {
    let actions = unit_actions();
    actions
        .listen("workspace.opened", |_, opts: Options| {
            let path = opts
                .string("path")
                .map(str::to_owned)
                .expect("workspace.opened needs a path");
            async move { Ok(Value::from(path)) }
        })
        .unwrap();
    let results = actions
        .emit(&(), &RunCtx::new(), "workspace.opened", options! {})
        .await;
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

#[tokio::test]
async fn actions_emit_listener_not_started_is_an_action_refused_ugly() {
    // A listener the caller's cancellation keeps from starting is a refusal like a run's:
    // each one is told to whoever listens for ActionRefused.
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let refused = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&refused);
    bus.on(move |_, event: &corers_messaging::ActionRefused| {
        seen.lock().unwrap().push(event.name.clone());
        Ok(())
    });
    for _ in 0..2 {
        actions
            .listen("index.rebuilt", |_, _| async { Ok(Value::Null) })
            .unwrap();
    }
    let ctx = RunCtx::new();
    ctx.cancel_token().cancel();
    let results = actions.emit(&(), &ctx, "index.rebuilt", options! {}).await;
    assert!(results.iter().all(Result::is_err));
    assert_eq!(*refused.lock().unwrap(), ["index.rebuilt", "index.rebuilt"]);
}
