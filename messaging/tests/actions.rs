//! Named Actions: the registry (register, get, exists, names, list, enable and disable,
//! seal and lock), running by name, the handler's `ActionCtx` (core, name, dispatch, nested
//! runs), panics, and the `ActionStarted` / `ActionCompleted` events.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_messaging::{
    ActionCompleted, ActionCtx, ActionProgress, ActionRefused, ActionSpec, ActionStarted, Actions,
    Bus, DispatchInfo, RunCtx, Schema, ValueKind,
};
use corers_primitives::{ErrorCode, Options, Value, options};
use tokio::sync::Notify;

/// The application context handlers receive.
#[derive(Clone)]
struct App {
    name: &'static str,
    deploys: Arc<AtomicUsize>,
}

impl App {
    fn new(name: &'static str) -> App {
        App {
            name,
            deploys: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// An Action answering `answer`.
fn answering<C: Clone + Send + Sync + 'static>(name: &str, answer: &'static str) -> ActionSpec<C> {
    ActionSpec::new(name, move |_, _| async move { Ok(Value::from(answer)) })
}

/// An Action counting the calls that reach its handler.
fn counting<C: Clone + Send + Sync + 'static>(
    name: &str,
    calls: &Arc<AtomicUsize>,
) -> ActionSpec<C> {
    let calls = Arc::clone(calls);
    ActionSpec::new(name, move |_, _| {
        let calls = Arc::clone(&calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Null)
        }
    })
}

fn unit_actions() -> Actions<()> {
    Actions::new(Bus::new())
}

async fn run(actions: &Actions<()>, name: &str) -> corers_primitives::Result<Value> {
    actions.run(&(), &RunCtx::new(), name, options! {}).await
}

type Seen = Arc<Mutex<Vec<DispatchInfo>>>;

/// An Action recording the dispatch it runs in.
fn recording(name: &str, seen: &Seen) -> ActionSpec<()> {
    let seen = Arc::clone(seen);
    ActionSpec::new(name, move |ctx, _| {
        seen.lock().unwrap().push(*ctx.dispatch());
        async { Ok(Value::Null) }
    })
}

// --- Actions::new ---

#[test]
fn actions_new_is_empty_good() {
    let actions = unit_actions();
    assert!(actions.names().is_empty());
    assert!(!actions.exists("git.log"));
    assert!(actions.list("*").is_empty());
}

#[tokio::test]
async fn actions_new_takes_depth_limit_from_bus_bad() {
    let bus: Bus<()> = Bus::builder().max_depth(2).build().unwrap();
    let actions = Actions::new(bus);
    for (name, next) in [
        ("deploy.plan", "deploy.build"),
        ("deploy.build", "deploy.ship"),
    ] {
        actions
            .register(ActionSpec::new(name, move |ctx, _| async move {
                ctx.run(next, options! {}).await
            }))
            .unwrap();
    }
    actions
        .register(answering("deploy.ship", "shipped"))
        .unwrap();
    let err = run(&actions, "deploy.plan").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"run of "deploy.ship" refused at depth 2: the limit is 2"#
    );
}

#[tokio::test]
async fn actions_new_twice_on_one_bus_are_independent_ugly() {
    let bus: Bus<()> = Bus::new();
    let first = Actions::new(bus.clone());
    let second = Actions::new(bus);
    first.register(answering("git.log", "log")).unwrap();
    assert!(first.exists("git.log"));
    assert!(!second.exists("git.log"));
    let err = run(&second, "git.log").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

// --- Actions::register ---

#[tokio::test]
async fn actions_register_then_run_by_name_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.log", |_, opts: Options| async move {
            Ok(Value::from(format!(
                "3 commits in {}",
                opts.string("path").unwrap_or(".")
            )))
        }))
        .unwrap();
    let out = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.log",
            options! { "path" => "/srv/repo" },
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from("3 commits in /srv/repo"));
}

#[test]
fn actions_register_malformed_names_invalid_bad() {
    let actions = unit_actions();
    for name in ["", " git.log", "git.log\n", "git\u{7}log"] {
        let err = actions.register(answering(name, "log")).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}: {err}");
    }
    assert!(actions.names().is_empty());
}

#[test]
fn action_spec_name_as_given_good() {
    assert_eq!(answering::<()>("git.log", "log").name(), "git.log");
}

#[test]
fn action_spec_name_malformed_kept_until_register_bad() {
    // The spec keeps what it was given; register is what refuses it.
    let spec = answering("git log", "log");
    assert_eq!(spec.name(), "git log");
    assert!(unit_actions().register(spec).is_err());
}

#[test]
fn action_spec_name_empty_and_unicode_ugly() {
    assert_eq!(answering::<()>("", "log").name(), "");
    assert_eq!(answering::<()>("вики.поиск", "log").name(), "вики.поиск");
}

#[test]
fn actions_register_zero_timeout_invalid_bad() {
    // A config value read as 0 would otherwise fail every run that awaits anything (and
    // open a breaker); a step's zero timeout is refused alike.
    let actions = unit_actions();
    let err = actions
        .register(answering("git.fetch", "fetched").timeout(Duration::ZERO))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
    assert!(
        err.message().contains("\"git.fetch\": a zero timeout"),
        "{err}"
    );
    assert!(!actions.exists("git.fetch"));
    actions
        .register(answering("git.fetch", "fetched").timeout(Duration::from_nanos(1)))
        .unwrap();
}

#[test]
fn actions_register_look_alike_pattern_and_peer_names_refused_ugly() {
    // A zero-width space would make a second "git.log" that reads as the first; '*' would
    // be a name that listing takes for a pattern; ':' names a peer's Action.
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let long = format!("git.{}", "l".repeat(252));
    let refused = [
        ("git.log\u{200b}", "invisible"),
        ("git.\u{202e}gol", "invisible"),
        ("git.*", "pattern characters"),
        ("git.lo?", "pattern characters"),
        ("db:query", "peer's Action"),
        (long.as_str(), "longer than 255 bytes"),
        ("git..log", "empty part"),
    ];
    for (name, why) in refused {
        let err = actions.register(answering(name, "log")).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
        assert!(err.message().contains(why), "{name:?}: {err}");
    }
    insta::assert_snapshot!(
        actions.register(answering("git.*", "log")).unwrap_err().message(),
        @r#"invalid action name "git.*": '*' and '?' are pattern characters; use dot-separated words like "git.log""#
    );
    assert_eq!(actions.names(), ["git.log"]);
    // The same rules hold for event names, and 255 bytes is still a name.
    assert!(
        actions
            .listen("audit\u{200b}.written", |_, _| async { Ok(Value::Null) })
            .is_err()
    );
    actions.register(answering(&long[..255], "ok")).unwrap();
}

#[tokio::test]
async fn actions_register_replacement_keeps_position_and_runs_new_handler_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    actions.register(answering("git.status", "clean")).unwrap();
    actions.register(answering("git.log", "v2")).unwrap();
    assert_eq!(actions.names(), ["git.log", "git.status"]);
    assert_eq!(run(&actions, "git.log").await.unwrap(), Value::from("v2"));
}

#[tokio::test]
async fn actions_register_unicode_name_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.журнал", "лог")).unwrap();
    actions.register(answering("デプロイ.実行", "ok")).unwrap();
    assert_eq!(
        run(&actions, "git.журнал").await.unwrap(),
        Value::from("лог")
    );
    assert_eq!(actions.list("デプロイ.*"), ["デプロイ.実行"]);
}

#[test]
fn actions_register_after_lock_locked_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    actions.lock();
    let err = actions.register(answering("git.log", "v2")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

// --- Actions::seal ---

#[tokio::test]
async fn actions_seal_replacing_a_handler_works_good() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    actions.seal();
    actions.register(answering("git.log", "v2")).unwrap();
    assert_eq!(run(&actions, "git.log").await.unwrap(), Value::from("v2"));
}

#[test]
fn actions_seal_new_name_locked_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    actions.seal();
    let err = actions
        .register(answering("git.push", "pushed"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    assert!(!actions.exists("git.push"));
    assert_eq!(actions.names(), ["git.log"]);
}

#[tokio::test]
async fn actions_seal_twice_still_allows_disable_and_enable_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    actions.seal();
    actions.seal();
    let handle = actions.get("git.log");
    handle.disable().unwrap();
    assert_eq!(
        run(&actions, "git.log").await.unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
    handle.enable().unwrap();
    assert!(run(&actions, "git.log").await.is_ok());
}

// --- Actions::lock ---

#[tokio::test]
async fn actions_lock_keeps_running_registered_actions_good() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    actions.lock();
    assert_eq!(run(&actions, "git.log").await.unwrap(), Value::from("log"));
}

#[test]
fn actions_lock_refuses_new_names_bad() {
    let actions = unit_actions();
    actions.lock();
    let err = actions.register(answering("git.log", "log")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

#[test]
fn actions_lock_then_seal_stays_locked_and_refuses_disable_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    actions.lock();
    actions.seal();
    let err = actions.register(answering("git.log", "v2")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    let err = actions.get("git.log").disable().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

// --- Actions::get ---

#[tokio::test]
async fn actions_get_handle_runs_the_action_good() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let handle = actions.get("git.log");
    assert_eq!(
        handle.run(&(), &RunCtx::new(), options! {}).await.unwrap(),
        Value::from("log")
    );
}

#[tokio::test]
async fn actions_get_unregistered_handle_not_found_bad() {
    let actions = unit_actions();
    let handle = actions.get("git.push");
    assert!(!handle.exists());
    assert!(handle.def().is_none());
    let err = handle
        .run(&(), &RunCtx::new(), options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn actions_get_before_register_sees_later_registration_ugly() {
    let actions = unit_actions();
    let handle = actions.get("git.log");
    assert!(!handle.exists());
    actions.register(answering("git.log", "log")).unwrap();
    assert!(handle.exists());
    assert_eq!(
        handle.run(&(), &RunCtx::new(), options! {}).await.unwrap(),
        Value::from("log")
    );
}

// --- Actions::exists ---

#[test]
fn actions_exists_registered_name_good() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    assert!(actions.exists("git.log"));
}

#[test]
fn actions_exists_unknown_or_prefix_false_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    assert!(!actions.exists("git.push"));
    assert!(!actions.exists("git"));
    assert!(!actions.exists("git.*"));
    assert!(!actions.exists("GIT.LOG"));
}

#[test]
fn actions_exists_disabled_is_still_registered_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    actions.get("git.log").disable().unwrap();
    assert!(actions.exists("git.log"));
}

// --- Actions::names ---

#[test]
fn actions_names_in_registration_order_good() {
    let actions = unit_actions();
    for name in ["process.run", "git.log", "process.kill", "index.build"] {
        actions.register(answering(name, "ok")).unwrap();
    }
    assert_eq!(
        actions.names(),
        ["process.run", "git.log", "process.kill", "index.build"]
    );
}

#[test]
fn actions_names_leaves_out_refused_registrations_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let _ = actions.register(answering("", "nameless"));
    actions.seal();
    let _ = actions.register(answering("git.push", "pushed"));
    assert_eq!(actions.names(), ["git.log"]);
}

#[test]
fn actions_names_includes_disabled_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    actions.register(answering("git.push", "pushed")).unwrap();
    actions.get("git.push").disable().unwrap();
    assert_eq!(actions.names(), ["git.log", "git.push"]);
    assert_eq!(actions.list("*"), ["git.log"]);
}

// --- Actions::list ---

#[test]
fn actions_list_glob_in_registration_order_good() {
    let actions = unit_actions();
    for name in ["process.run", "git.log", "process.kill", "processor.start"] {
        actions.register(answering(name, "ok")).unwrap();
    }
    assert_eq!(actions.list("process.*"), ["process.run", "process.kill"]);
}

#[test]
fn actions_list_no_match_or_disabled_is_empty_bad() {
    let actions = unit_actions();
    actions.register(answering("process.run", "ok")).unwrap();
    actions.get("process.run").disable().unwrap();
    assert!(actions.list("process.*").is_empty());
    assert!(actions.list("git.*").is_empty());
}

#[test]
fn actions_list_wildcards_and_empty_pattern_ugly() {
    let actions = unit_actions();
    for name in ["git.log", "git.pull", "index.build"] {
        actions.register(answering(name, "ok")).unwrap();
    }
    assert_eq!(actions.list("*"), ["git.log", "git.pull", "index.build"]);
    assert_eq!(actions.list("git.???"), ["git.log"]);
    assert_eq!(
        actions.list("*.*l*"),
        ["git.log", "git.pull", "index.build"]
    );
    assert!(actions.list("").is_empty());
}

// --- Actions::defs ---

// --- Actions::unregister ---

#[tokio::test]
async fn actions_unregister_leaves_no_trace_good() {
    let actions = unit_actions();
    actions
        .register(answering("session.42.search", "found"))
        .unwrap();
    let mut changes = actions.changes();
    actions.unregister("session.42.search").unwrap();
    changes.changed().await.unwrap();
    assert!(!actions.exists("session.42.search"));
    assert!(actions.defs("session.*").is_empty());
    let err = run(&actions, "session.42.search").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn actions_unregister_unknown_or_sealed_is_refused_bad() {
    let actions = unit_actions();
    let err = actions.unregister("git.log").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.operation(), "messaging.Actions.unregister");
    actions.register(answering("git.log", "log")).unwrap();
    actions.seal();
    let err = actions.unregister("git.log").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    assert!(
        actions.exists("git.log"),
        "a sealed registry keeps its names"
    );
}

#[tokio::test]
async fn actions_unregister_while_a_run_is_under_way_lets_it_finish_ugly() {
    let actions = unit_actions();
    let release = Arc::new(Notify::new());
    let waiting = Arc::clone(&release);
    actions
        .register(ActionSpec::new("index.build", move |_, _| {
            let waiting = Arc::clone(&waiting);
            async move {
                waiting.notified().await;
                Ok(Value::from("built"))
            }
        }))
        .unwrap();
    let running = tokio::spawn({
        let actions = actions.clone();
        async move { run(&actions, "index.build").await }
    });
    tokio::task::yield_now().await;
    actions.unregister("index.build").unwrap();
    release.notify_one();
    assert_eq!(running.await.unwrap().unwrap(), Value::from("built"));
    // Registered again under the same name: a new Action.
    actions.register(answering("index.build", "again")).unwrap();
    assert_eq!(
        run(&actions, "index.build").await.unwrap(),
        Value::from("again")
    );
}

// --- Actions::changes ---

#[tokio::test]
async fn actions_changes_wake_on_register_disable_and_enable_good() {
    let actions = unit_actions();
    let mut changes = actions.changes();
    actions.register(answering("git.log", "log")).unwrap();
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), 1);
    actions.get("git.log").disable().unwrap();
    changes.changed().await.unwrap();
    actions.get("git.log").enable().unwrap();
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), 3);
}

#[test]
fn actions_changes_refused_changes_count_nothing_bad() {
    let actions = unit_actions();
    let changes = actions.changes();
    assert!(actions.get("git.log").disable().is_err());
    assert!(actions.register(answering("git log", "log")).is_err());
    actions.lock();
    assert!(actions.register(answering("git.log", "log")).is_err());
    assert!(!changes.has_changed().unwrap());
}

#[tokio::test]
async fn actions_changes_while_nobody_looked_wake_once_ugly() {
    let actions = unit_actions();
    let mut changes = actions.changes();
    for name in ["git.log", "git.pull", "git.push"] {
        actions.register(answering(name, "ok")).unwrap();
    }
    changes.changed().await.unwrap();
    assert_eq!(*changes.borrow_and_update(), 3);
    assert!(!changes.has_changed().unwrap());
}

#[test]
fn actions_defs_names_descriptions_and_schemas_in_order_good() {
    let actions = unit_actions();
    actions
        .register(
            answering("git.log", "log")
                .description("the commits of a repository")
                .schema(Schema::new().required("path", ValueKind::String)),
        )
        .unwrap();
    actions.register(answering("index.build", "ok")).unwrap();
    actions.register(answering("git.pull", "pulled")).unwrap();
    let defs = actions.defs("git.*");
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["git.log", "git.pull"]);
    assert_eq!(defs[0].description, "the commits of a repository");
    assert_eq!(defs[0].schema.fields()[0].key, "path");
    assert_eq!(actions.defs("*").len(), 3);
}

#[test]
fn actions_defs_leaves_out_disabled_and_unmatched_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    actions.register(answering("git.push", "pushed")).unwrap();
    actions.get("git.push").disable().unwrap();
    let defs = actions.defs("git.*");
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].name, "git.log");
    assert!(actions.defs("process.*").is_empty());
}

#[test]
fn actions_defs_replaced_handler_shows_new_definition_ugly() {
    // A sealed registry's hot replacement shows the replacement's definition, and an
    // empty pattern matches nothing.
    let actions = unit_actions();
    actions
        .register(answering("git.log", "log").description("v1"))
        .unwrap();
    actions.seal();
    actions
        .register(answering("git.log", "log").description("v2"))
        .unwrap();
    assert_eq!(actions.defs("git.log")[0].description, "v2");
    assert!(actions.defs("").is_empty());
}

// --- Actions::run ---

#[tokio::test]
async fn actions_run_returns_handler_output_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new(
            "index.build",
            |_, opts: Options| async move { Ok(Value::from(opts.int("jobs").unwrap_or(1) * 100)) },
        ))
        .unwrap();
    let out = actions
        .run(&(), &RunCtx::new(), "index.build", options! { "jobs" => 4 })
        .await
        .unwrap();
    assert_eq!(out, Value::from(400));
}

#[tokio::test]
async fn actions_run_unknown_name_not_found_bad() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let err = run(&actions, "git.push").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(err.message().contains(r#""git.push""#), "{err}");
    // Named by the call that was made, not the registry underneath.
    assert_eq!(err.operation(), "messaging.Actions.run");
}

#[tokio::test]
async fn actions_run_disabled_unavailable_without_reaching_handler_bad() {
    let actions = unit_actions();
    let calls = Arc::new(AtomicUsize::new(0));
    actions.register(counting("git.push", &calls)).unwrap();
    actions.get("git.push").disable().unwrap();
    let err = run(&actions, "git.push").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn actions_run_handler_error_passed_through_bad() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.push", |_, _| async {
            Err(
                corers_primitives::Error::new("git.Repo.push", "remote rejected")
                    .with_code(ErrorCode::DENIED),
            )
        }))
        .unwrap();
    let err = run(&actions, "git.push").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    assert_eq!(err.to_string(), "git.Repo.push: remote rejected [DENIED]");
}

#[tokio::test]
async fn actions_run_panicking_handler_internal_with_message_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new(
            "index.build",
            |_, opts: Options| async move {
                assert!(
                    opts.bool("corrupt") != Some(true),
                    "index corrupted: 3 segments missing"
                );
                Ok(Value::Null)
            },
        ))
        .unwrap();
    let err = actions
        .run(
            &(),
            &RunCtx::new(),
            "index.build",
            options! { "corrupt" => true },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(
        err.message(),
        "panicked: index corrupted: 3 segments missing"
    );
    // The Action stays usable after its panic.
    assert!(run(&actions, "index.build").await.is_ok());
}

#[tokio::test]
async fn actions_run_handler_panicking_before_its_future_internal_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.log", |_, opts: Options| {
            let path = opts
                .string("path")
                .map(str::to_owned)
                .expect("git.log needs a path");
            async move { Ok(Value::from(path)) }
        }))
        .unwrap();
    let err = run(&actions, "git.log").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert!(err.message().contains("git.log needs a path"), "{err}");
}

#[tokio::test]
async fn actions_run_runaway_recursion_bounded_by_depth_ugly() {
    let actions = unit_actions();
    let depth = Arc::new(AtomicUsize::new(0));
    let deepest = Arc::clone(&depth);
    actions
        .register(ActionSpec::new("deploy.retry", move |ctx, _| {
            deepest.fetch_max(ctx.dispatch().depth() as usize, Ordering::SeqCst);
            async move { ctx.run("deploy.retry", options! {}).await }
        }))
        .unwrap();
    let err = run(&actions, "deploy.retry").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("the limit is 32"), "{err}");
    assert_eq!(depth.load(Ordering::SeqCst), 31);
}

// --- ActionHandle::run ---

#[tokio::test]
async fn action_handle_run_with_options_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.log", |_, opts: Options| async move {
            Ok(Value::from(opts.int("limit").unwrap_or(0)))
        }))
        .unwrap();
    let out = actions
        .get("git.log")
        .run(&(), &RunCtx::new(), options! { "limit" => 5 })
        .await
        .unwrap();
    assert_eq!(out, Value::from(5));
}

#[tokio::test]
async fn action_handle_run_disabled_unavailable_bad() {
    let actions = unit_actions();
    actions.register(answering("git.push", "pushed")).unwrap();
    let handle = actions.get("git.push");
    handle.disable().unwrap();
    let err = handle
        .run(&(), &RunCtx::new(), options! {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn action_handle_run_after_replacement_uses_new_handler_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "v1")).unwrap();
    let handle = actions.get("git.log");
    actions.seal();
    actions.register(answering("git.log", "v2")).unwrap();
    assert_eq!(
        handle.run(&(), &RunCtx::new(), options! {}).await.unwrap(),
        Value::from("v2")
    );
}

// --- ActionHandle::exists ---

#[test]
fn action_handle_exists_registered_good() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    assert!(actions.get("git.log").exists());
}

#[test]
fn action_handle_exists_unregistered_false_bad() {
    let actions = unit_actions();
    assert!(!actions.get("git.log").exists());
}

#[test]
fn action_handle_exists_on_hostile_names_false_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    for name in ["", "*", "git.log ", "git.log\0", "git.lög"] {
        assert!(!actions.get(name).exists(), "{name:?}");
    }
}

// --- ActionHandle::def ---

#[test]
fn action_handle_def_has_description_and_schema_good() {
    let actions = unit_actions();
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int);
    actions
        .register(
            answering("git.log", "log")
                .description("show the commit history of a repository")
                .schema(schema.clone()),
        )
        .unwrap();
    let def = actions.get("git.log").def().unwrap();
    assert_eq!(def.name, "git.log");
    assert_eq!(def.description, "show the commit history of a repository");
    assert_eq!(def.schema, schema);
}

#[test]
fn action_handle_def_unregistered_none_bad() {
    let actions = unit_actions();
    assert!(actions.get("git.log").def().is_none());
}

#[test]
fn action_handle_def_disabled_still_described_after_replacement_ugly() {
    let actions = unit_actions();
    actions
        .register(answering("git.log", "log").description("v1"))
        .unwrap();
    let handle = actions.get("git.log");
    handle.disable().unwrap();
    actions
        .register(answering("git.log", "log").description("v2"))
        .unwrap();
    let def = handle.def().unwrap();
    assert_eq!(def.description, "v2");
    assert!(def.schema.fields().is_empty());
}

// --- ActionHandle::disable ---

#[tokio::test]
async fn action_handle_disable_makes_runs_unavailable_good() {
    let actions = unit_actions();
    actions.register(answering("git.push", "pushed")).unwrap();
    actions.get("git.push").disable().unwrap();
    let err = run(&actions, "git.push").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[test]
fn action_handle_disable_unregistered_not_found_bad() {
    let actions = unit_actions();
    let err = actions.get("git.push").disable().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn action_handle_disable_twice_and_replacement_stays_disabled_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.push", "v1")).unwrap();
    let handle = actions.get("git.push");
    handle.disable().unwrap();
    handle.disable().unwrap();
    // Replacing the handler keeps the name's enabled state.
    actions.register(answering("git.push", "v2")).unwrap();
    let err = run(&actions, "git.push").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

// --- ActionHandle::enable ---

#[tokio::test]
async fn action_handle_enable_again_works_good() {
    let actions = unit_actions();
    actions.register(answering("git.push", "pushed")).unwrap();
    let handle = actions.get("git.push");
    handle.disable().unwrap();
    handle.enable().unwrap();
    assert_eq!(
        run(&actions, "git.push").await.unwrap(),
        Value::from("pushed")
    );
    assert_eq!(actions.list("git.*"), ["git.push"]);
}

#[test]
fn action_handle_enable_unregistered_or_locked_refused_bad() {
    let actions = unit_actions();
    let err = actions.get("git.push").enable().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    actions.register(answering("git.log", "log")).unwrap();
    actions.lock();
    let err = actions.get("git.log").enable().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

#[tokio::test]
async fn action_handle_enable_already_enabled_harmless_ugly() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let handle = actions.get("git.log");
    handle.enable().unwrap();
    handle.enable().unwrap();
    assert!(run(&actions, "git.log").await.is_ok());
}

// --- ActionSpec::new ---

#[tokio::test]
async fn action_spec_new_handler_gets_the_options_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new(
            "process.run",
            |_, opts: Options| async move {
                let keys: Vec<Value> = opts.keys().map(Value::from).collect();
                Ok(Value::List(keys))
            },
        ))
        .unwrap();
    let out = actions
        .run(
            &(),
            &RunCtx::new(),
            "process.run",
            options! { "command" => "make", "cwd" => "/srv/repo" },
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from(vec!["command", "cwd"]));
}

#[test]
fn action_spec_new_empty_name_refused_at_register_bad() {
    let actions = unit_actions();
    let err = actions
        .register(ActionSpec::new(String::new(), |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[tokio::test]
async fn action_spec_new_unicode_options_reach_handler_verbatim_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new(
            "chat.announce",
            |_, opts: Options| async move {
                Ok(opts.get("тект\u{301}").cloned().unwrap_or_default())
            },
        ))
        .unwrap();
    let text = "индекс перестроен 🚀\u{202e}";
    let out = actions
        .run(
            &(),
            &RunCtx::new(),
            "chat.announce",
            options! { "тект\u{301}" => text },
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from(text));
}

// --- ActionSpec::description ---

#[test]
fn action_spec_description_shown_in_def_good() {
    let actions = unit_actions();
    actions
        .register(answering("index.build", "ok").description("rebuild the search index"))
        .unwrap();
    assert_eq!(
        actions.get("index.build").def().unwrap().description,
        "rebuild the search index"
    );
}

#[test]
fn action_spec_description_defaults_to_empty_bad() {
    let actions = unit_actions();
    actions.register(answering("index.build", "ok")).unwrap();
    assert_eq!(actions.get("index.build").def().unwrap().description, "");
}

#[test]
fn action_spec_description_multiline_unicode_kept_verbatim_ugly() {
    let actions = unit_actions();
    let text = "перестроить индекс\n\tline two \u{0} end";
    actions
        .register(
            answering("index.build", "ok")
                .description("first")
                .description(text),
        )
        .unwrap();
    assert_eq!(actions.get("index.build").def().unwrap().description, text);
}

// --- ActionCtx::core ---

#[tokio::test]
async fn action_ctx_core_is_the_callers_good() {
    let actions: Actions<App> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new(
            "app.name",
            |ctx: ActionCtx<App>, _| async move { Ok(Value::from(ctx.core().name)) },
        ))
        .unwrap();
    let out = actions
        .run(
            &App::new("workbench"),
            &RunCtx::new(),
            "app.name",
            options! {},
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from("workbench"));
}

#[tokio::test]
async fn action_ctx_core_differs_per_caller_bad() {
    let actions: Actions<App> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new(
            "app.name",
            |ctx: ActionCtx<App>, _| async move { Ok(Value::from(ctx.core().name)) },
        ))
        .unwrap();
    let studio = actions
        .run(&App::new("studio"), &RunCtx::new(), "app.name", options! {})
        .await
        .unwrap();
    assert_ne!(studio, Value::from("workbench"));
    assert_eq!(studio, Value::from("studio"));
}

#[tokio::test]
async fn action_ctx_core_is_a_clone_sharing_arcs_ugly() {
    let actions: Actions<App> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new(
            "deploy.run",
            |ctx: ActionCtx<App>, _| async move {
                let mut core = ctx.core().clone();
                core.name = "changed by the handler";
                core.deploys.fetch_add(1, Ordering::SeqCst);
                Ok(Value::Null)
            },
        ))
        .unwrap();
    let app = App::new("workbench");
    actions
        .run(&app, &RunCtx::new(), "deploy.run", options! {})
        .await
        .unwrap();
    assert_eq!(app.name, "workbench");
    assert_eq!(app.deploys.load(Ordering::SeqCst), 1);
}

// --- ActionCtx::name ---

#[tokio::test]
async fn action_ctx_name_is_the_running_action_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.log", |ctx, _| async move {
            Ok(Value::from(ctx.name()))
        }))
        .unwrap();
    assert_eq!(
        run(&actions, "git.log").await.unwrap(),
        Value::from("git.log")
    );
}

#[tokio::test]
async fn action_ctx_name_of_nested_run_is_not_the_callers_bad() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", |ctx, _| async move {
            Ok(Value::from(ctx.name()))
        }))
        .unwrap();
    assert_eq!(
        run(&actions, "git.sync").await.unwrap(),
        Value::from("git.pull")
    );
}

#[tokio::test]
async fn action_ctx_name_unicode_ugly() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.журнал", |ctx, _| async move {
            Ok(Value::from(ctx.name()))
        }))
        .unwrap();
    assert_eq!(
        run(&actions, "git.журнал").await.unwrap(),
        Value::from("git.журнал")
    );
}

// --- ActionCtx::dispatch ---

#[tokio::test]
async fn action_ctx_dispatch_root_run_good() {
    let actions = unit_actions();
    let seen = Seen::default();
    actions.register(recording("git.log", &seen)).unwrap();
    run(&actions, "git.log").await.unwrap();
    let info = seen.lock().unwrap()[0];
    assert_eq!(info.depth(), 0);
    assert_eq!(info.parent(), None);
    assert_eq!(info.id(), info.trace());
    assert_eq!(info.sender(), None);
}

#[tokio::test]
async fn action_ctx_dispatch_separate_runs_separate_traces_bad() {
    let actions = unit_actions();
    let seen = Seen::default();
    actions.register(recording("git.log", &seen)).unwrap();
    run(&actions, "git.log").await.unwrap();
    run(&actions, "git.log").await.unwrap();
    let seen = seen.lock().unwrap();
    assert_ne!(seen[0].trace(), seen[1].trace());
    assert_ne!(seen[0].id(), seen[1].id());
}

#[tokio::test]
async fn action_ctx_dispatch_flows_into_bus_broadcast_good() {
    struct IndexRebuilt;
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let broadcasts = Seen::default();
    let log = Arc::clone(&broadcasts);
    bus.on(move |ctx, _: &IndexRebuilt| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    let own = Seen::default();
    let mine = Arc::clone(&own);
    let handler_bus = bus.clone();
    actions
        .register(ActionSpec::new("index.build", move |ctx, _| {
            let bus = handler_bus.clone();
            let mine = Arc::clone(&mine);
            async move {
                mine.lock().unwrap().push(*ctx.dispatch());
                bus.broadcast(&(), &IndexRebuilt)?.into_result()?;
                // After an await point (possibly another poll), still the same cascade.
                tokio::task::yield_now().await;
                bus.broadcast(&(), &IndexRebuilt)?.into_result()?;
                Ok(Value::Null)
            }
        }))
        .unwrap();
    run(&actions, "index.build").await.unwrap();
    let action = own.lock().unwrap()[0];
    let broadcasts = broadcasts.lock().unwrap();
    assert_eq!(broadcasts.len(), 2);
    for info in broadcasts.iter() {
        assert_eq!(info.trace(), action.trace());
        assert_eq!(info.parent(), Some(action.id()));
        assert_eq!(info.depth(), action.depth() + 1);
    }
}

#[test]
fn action_ctx_dispatch_sender_from_with_sender_ugly() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let seen = Seen::default();
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions.register(recording("git.pull", &seen)).unwrap();
    bus.with_sender("scheduler", || {
        runtime.block_on(actions.run(&(), &RunCtx::new(), "git.sync", options! {}))
    })
    .unwrap();
    let info = seen.lock().unwrap()[0];
    assert_eq!(info.sender(), Some("scheduler"));
    assert_eq!(info.depth(), 1);
}

// --- ActionCtx::progress, RunCtx::with_progress ---

type Heard = Arc<Mutex<Vec<(String, f64, String)>>>;

/// A run context whose progress sink records (action, fraction, message).
fn hearing(heard: &Heard) -> RunCtx {
    let heard = Arc::clone(heard);
    RunCtx::new().with_progress(move |p| {
        heard
            .lock()
            .unwrap()
            .push((p.name.clone(), p.fraction, p.message.clone()));
    })
}

#[tokio::test]
async fn action_ctx_progress_reaches_the_callers_sink_and_the_bus_good() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let mut events = bus.subscribe::<ActionProgress>();
    actions
        .register(ActionSpec::new("index.build", |ctx, _| async move {
            ctx.progress(0.5, "indexed 120 of 240 files")?;
            ctx.progress(1.0, "done")?;
            Ok(Value::Null)
        }))
        .unwrap();
    let heard = Heard::default();
    actions
        .run(&(), &hearing(&heard), "index.build", options! {})
        .await
        .unwrap();
    assert_eq!(
        *heard.lock().unwrap(),
        [
            (
                "index.build".to_owned(),
                0.5,
                "indexed 120 of 240 files".to_owned()
            ),
            ("index.build".to_owned(), 1.0, "done".to_owned())
        ]
    );
    let first = events.try_recv().unwrap();
    assert_eq!((first.name.as_str(), first.fraction), ("index.build", 0.5));
    assert_eq!(first.dispatch.depth(), 0);
}

#[tokio::test]
async fn action_ctx_progress_outside_zero_to_one_is_invalid_and_unheard_bad() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("index.build", |ctx, _| async move {
            let codes: Vec<_> = [1.5, -0.1, f64::NAN]
                .into_iter()
                .map(|fraction| ctx.progress(fraction, "?").unwrap_err().code().cloned())
                .collect();
            assert_eq!(codes, vec![Some(ErrorCode::INVALID); 3]);
            Ok(Value::Null)
        }))
        .unwrap();
    let heard = Heard::default();
    actions
        .run(&(), &hearing(&heard), "index.build", options! {})
        .await
        .unwrap();
    assert!(heard.lock().unwrap().is_empty());
}

#[tokio::test]
async fn action_ctx_progress_of_a_nested_run_and_a_panicking_sink_ugly() {
    // A nested run reports to the same caller; a sink that panics is logged, not the
    // run's failure.
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.progress(0.0, "pulling")?;
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", |ctx, _| async move {
            ctx.progress(1.0, "pulled")?;
            Ok(Value::from("pulled"))
        }))
        .unwrap();
    let heard = Heard::default();
    actions
        .run(&(), &hearing(&heard), "git.sync", options! {})
        .await
        .unwrap();
    let names: Vec<String> = heard.lock().unwrap().iter().map(|h| h.0.clone()).collect();
    assert_eq!(names, ["git.sync", "git.pull"]);
    let panicking = RunCtx::new().with_progress(|_| panic!("the progress bar is gone"));
    let done = actions.run(&(), &panicking, "git.sync", options! {}).await;
    assert_eq!(done.unwrap(), Value::from("pulled"));
}

/// `index.build`, reporting half way.
fn half_way() -> Actions<()> {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("index.build", |ctx, _| async move {
            ctx.progress(0.5, "half way")?;
            Ok(Value::Null)
        }))
        .unwrap();
    actions
}

#[tokio::test]
async fn run_ctx_with_progress_hears_each_report_good() {
    let heard = Heard::default();
    let actions = half_way();
    for _ in 0..2 {
        actions
            .run(&(), &hearing(&heard), "index.build", options! {})
            .await
            .unwrap();
    }
    assert_eq!(heard.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn run_ctx_with_progress_not_given_only_the_bus_hears_bad() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    actions
        .register(ActionSpec::new("index.build", |ctx, _| async move {
            ctx.progress(0.5, "half way")?;
            Ok(Value::Null)
        }))
        .unwrap();
    let mut events = bus.subscribe::<ActionProgress>();
    assert!(!format!("{:?}", RunCtx::new()).contains("progress: true"));
    run(&actions, "index.build").await.unwrap();
    assert_eq!(events.try_recv().unwrap().message, "half way");
}

#[tokio::test]
async fn run_ctx_with_progress_second_replaces_the_first_and_derived_contexts_keep_it_ugly() {
    let heard = Heard::default();
    let ctx = RunCtx::new()
        .with_progress(|_| panic!("replaced"))
        .with_progress({
            let heard = Arc::clone(&heard);
            move |p| {
                heard
                    .lock()
                    .unwrap()
                    .push((p.name.clone(), p.fraction, p.message.clone()));
            }
        })
        .with_timeout(Duration::from_secs(5))
        .with_sender("agent");
    half_way()
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap();
    assert_eq!(
        *heard.lock().unwrap(),
        [("index.build".to_owned(), 0.5, "half way".to_owned())]
    );
}

// --- RunCtx::with_sender ---

#[tokio::test]
async fn run_ctx_with_sender_reaches_a_run_on_another_task_good() {
    // An async host: the run goes on on a task of its own, where no with_sender closure
    // reaches; the context carries who calls, to the handler, its nested runs and the
    // events.
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    actions.set_events(true);
    let (_, completed) = watch_events(&bus);
    let senders = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&senders);
    bus.on(move |_, event: &ActionCompleted| {
        log.lock()
            .unwrap()
            .push(event.dispatch.sender().map(str::to_owned));
        Ok(())
    });
    let seen = Seen::default();
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions.register(recording("git.pull", &seen)).unwrap();
    let ctx = RunCtx::new().with_sender("agent");
    let running = tokio::spawn({
        let actions = actions.clone();
        async move { actions.run(&(), &ctx, "git.sync", options! {}).await }
    });
    running.await.unwrap().unwrap();
    assert_eq!(seen.lock().unwrap()[0].sender(), Some("agent"));
    assert_eq!(completed.lock().unwrap().len(), 2);
    assert_eq!(
        *senders.lock().unwrap(),
        [Some("agent".to_owned()), Some("agent".to_owned())]
    );
}

#[test]
fn run_ctx_with_sender_not_given_leaves_the_callers_bad() {
    // No sender on the context: a run made inside Bus::with_sender still has that one.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let seen = Seen::default();
    actions.register(recording("git.pull", &seen)).unwrap();
    bus.with_sender("cli", || {
        runtime.block_on(actions.run(&(), &RunCtx::new(), "git.pull", options! {}))
    })
    .unwrap();
    runtime
        .block_on(actions.run(&(), &RunCtx::new(), "git.pull", options! {}))
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].sender(), Some("cli"));
    assert_eq!(seen[1].sender(), None, "outside it, nobody");
}

#[test]
fn run_ctx_sender_is_the_one_given_good() {
    assert_eq!(RunCtx::new().with_sender("agent").sender(), Some("agent"));
}

#[test]
fn run_ctx_sender_none_until_given_bad() {
    assert_eq!(RunCtx::new().sender(), None);
    // A derived context keeps none, as it keeps one.
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(5));
    assert_eq!(ctx.sender(), None);
}

#[test]
fn run_ctx_sender_kept_by_derived_contexts_ugly() {
    struct Session(u32);
    let ctx = RunCtx::new()
        .with_sender("agent")
        .with_extension(Session(7))
        .with_cancel(tokio_util::sync::CancellationToken::new());
    assert_eq!(ctx.sender(), Some("agent"));
    assert_eq!(ctx.extension::<Session>().map(|s| s.0), Some(7));
}

#[tokio::test]
async fn run_ctx_with_sender_empty_then_replaced_by_a_later_one_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let seen = Seen::default();
    actions.register(recording("git.pull", &seen)).unwrap();
    assert_eq!(RunCtx::new().with_sender("").sender(), Some(""));
    let ctx = RunCtx::new().with_sender("").with_sender("agent ✓");
    actions
        .run(&(), &ctx, "git.pull", options! {})
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap()[0].sender(), Some("agent ✓"));
    assert_eq!(ctx.sender(), Some("agent ✓"));
}

// --- ActionCtx::run_ctx ---

#[tokio::test(start_paused = true)]
async fn action_ctx_run_ctx_is_the_callers_good() {
    let actions = unit_actions();
    let deadlines = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&deadlines);
    actions
        .register(ActionSpec::new("index.build", move |ctx, _| {
            log.lock().unwrap().push(ctx.run_ctx().deadline());
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
    actions
        .run(&(), &ctx, "index.build", options! {})
        .await
        .unwrap();
    assert_eq!(deadlines.lock().unwrap()[0], ctx.deadline());
}

#[tokio::test(start_paused = true)]
async fn action_ctx_run_ctx_token_cancelled_with_the_caller_bad() {
    let actions = unit_actions();
    let watcher = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&watcher);
    actions
        .register(ActionSpec::new("index.build", move |ctx, _| {
            // Hands the token to helper work that must stop with the run.
            let token = ctx.run_ctx().cancel_token().clone();
            *slot.lock().unwrap() = Some(tokio::spawn(async move { token.cancelled().await }));
            async {
                std::future::pending::<()>().await;
                Ok(Value::Null)
            }
        }))
        .unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let ctx = RunCtx::new().with_cancel(shutdown.clone());
    let running = tokio::spawn({
        let actions = actions.clone();
        async move { actions.run(&(), &ctx, "index.build", options! {}).await }
    });
    tokio::task::yield_now().await;
    shutdown.cancel();
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    let helper = watcher.lock().unwrap().take().unwrap();
    tokio::time::timeout(Duration::from_secs(1), helper)
        .await
        .expect("the helper saw the cancellation")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn action_ctx_run_ctx_shared_by_nested_runs_ugly() {
    let actions = unit_actions();
    let deadlines = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&deadlines);
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", move |ctx, _| {
            log.lock().unwrap().push((
                ctx.run_ctx().deadline(),
                ctx.run_ctx().cancel_token().is_cancelled(),
            ));
            async { Ok(Value::Null) }
        }))
        .unwrap();
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(5));
    actions
        .run(&(), &ctx, "git.sync", options! {})
        .await
        .unwrap();
    assert_eq!(deadlines.lock().unwrap()[0], (ctx.deadline(), false));
}

// --- ActionCtx::run ---

#[tokio::test]
async fn action_ctx_run_shares_trace_one_level_deeper_good() {
    let actions = unit_actions();
    let seen = Seen::default();
    let outer = Arc::clone(&seen);
    actions
        .register(ActionSpec::new("git.sync", move |ctx, _| {
            outer.lock().unwrap().push(*ctx.dispatch());
            async move { ctx.run("git.pull", options! {}).await }
        }))
        .unwrap();
    actions.register(recording("git.pull", &seen)).unwrap();
    run(&actions, "git.sync").await.unwrap();
    let seen = seen.lock().unwrap();
    let (outer, inner) = (seen[0], seen[1]);
    assert_eq!(inner.trace(), outer.trace());
    assert_eq!(inner.parent(), Some(outer.id()));
    assert_eq!(inner.depth(), outer.depth() + 1);
    assert_ne!(inner.id(), outer.id());
}

#[tokio::test]
async fn action_ctx_run_unknown_name_not_found_bad() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.fetch", options! {}).await
        }))
        .unwrap();
    let err = run(&actions, "git.sync").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn action_ctx_run_passes_options_and_output_through_good() {
    let actions = unit_actions();
    actions
        .register(ActionSpec::new(
            "git.sync",
            |ctx, opts: Options| async move {
                let pulled = ctx.run("git.pull", opts).await?;
                Ok(Value::from(format!("synced: {pulled}")))
            },
        ))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", |_, opts: Options| async move {
            Ok(Value::from(opts.string("remote").unwrap_or("?").to_owned()))
        }))
        .unwrap();
    let out = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.sync",
            options! { "remote" => "origin" },
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from(r#"synced: "origin""#));
}

#[tokio::test]
async fn action_ctx_run_from_spawned_task_leaves_no_dispatch_behind_ugly() {
    let actions = unit_actions();
    let gate = Arc::new(Notify::new());
    let wait = Arc::clone(&gate);
    actions
        .register(ActionSpec::new("index.build", move |_, _| {
            let wait = Arc::clone(&wait);
            async move {
                wait.notified().await;
                Ok(Value::Null)
            }
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", |ctx, _| async move {
            tokio::spawn(async move { ctx.run("index.build", options! {}).await })
                .await
                .unwrap()
        }))
        .unwrap();
    let seen = Seen::default();
    actions.register(recording("git.status", &seen)).unwrap();
    let pulling = tokio::spawn({
        let actions = actions.clone();
        async move { run(&actions, "git.pull").await }
    });
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    run(&actions, "git.status").await.unwrap();
    gate.notify_one();
    pulling.await.unwrap().unwrap();
    let status = seen.lock().unwrap()[0];
    assert_eq!(status.depth(), 0, "{status:?}");
    assert_eq!(status.parent(), None);
}

// --- Actions::set_events ---

#[derive(Debug)]
struct Completed {
    name: String,
    duration: Duration,
    error: Option<String>,
    code: Option<ErrorCode>,
    depth: u32,
}

type Started = Arc<Mutex<Vec<String>>>;

/// Records the `ActionStarted` names and the `ActionCompleted` events broadcast on `bus`.
fn watch_events(bus: &Bus<()>) -> (Started, Arc<Mutex<Vec<Completed>>>) {
    let started = Arc::new(Mutex::new(Vec::new()));
    let completed = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&started);
    bus.on(move |_, event: &ActionStarted| {
        log.lock().unwrap().push(event.name.clone());
        Ok(())
    });
    let log = Arc::clone(&completed);
    bus.on(move |_, event: &ActionCompleted| {
        log.lock().unwrap().push(Completed {
            name: event.name.clone(),
            duration: event.duration,
            error: event.error.as_ref().map(ToString::to_string),
            code: event.error.as_ref().and_then(|e| e.code().cloned()),
            depth: event.dispatch.depth(),
        });
        Ok(())
    });
    (started, completed)
}

#[tokio::test]
async fn actions_set_events_started_and_completed_good() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions.register(answering("git.log", "log")).unwrap();
    actions.set_events(true);
    run(&actions, "git.log").await.unwrap();
    assert_eq!(*started.lock().unwrap(), ["git.log"]);
    let completed = completed.lock().unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].name, "git.log");
    assert!(completed[0].error.is_none());
    assert_eq!(completed[0].depth, 0);
}

#[tokio::test]
async fn actions_set_events_completed_carries_error_bad() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (_, completed) = watch_events(&bus);
    actions
        .register(ActionSpec::new("git.push", |_, _| async {
            Err(
                corers_primitives::Error::new("git.Repo.push", "remote rejected")
                    .with_code(ErrorCode::DENIED),
            )
        }))
        .unwrap();
    actions.set_events(true);
    let _ = run(&actions, "git.push").await;
    let completed = completed.lock().unwrap();
    assert_eq!(completed[0].code, Some(ErrorCode::DENIED));
    assert_eq!(
        completed[0].error.as_deref(),
        Some("git.Repo.push: remote rejected [DENIED]")
    );
}

#[tokio::test]
async fn actions_set_events_off_by_default_and_after_false_bad() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions.register(answering("git.log", "log")).unwrap();
    run(&actions, "git.log").await.unwrap();
    actions.set_events(true);
    actions.set_events(false);
    run(&actions, "git.log").await.unwrap();
    assert!(started.lock().unwrap().is_empty());
    assert!(completed.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn actions_set_events_duration_follows_tokio_clock_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (_, completed) = watch_events(&bus);
    actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_millis(250)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    actions.set_events(true);
    run(&actions, "index.build").await.unwrap();
    let duration = completed.lock().unwrap()[0].duration;
    assert!(
        duration >= Duration::from_millis(250) && duration < Duration::from_millis(260),
        "{duration:?}"
    );
}

#[tokio::test]
async fn actions_set_events_nested_runs_and_panics_reported_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions
        .register(ActionSpec::new("git.sync", |ctx, _| async move {
            ctx.run("git.pull", options! {}).await
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("git.pull", |_, opts: Options| async move {
            assert!(!opts.is_empty(), "remote hung up");
            Ok(Value::Null)
        }))
        .unwrap();
    actions.set_events(true);
    let _ = run(&actions, "git.sync").await;
    assert_eq!(*started.lock().unwrap(), ["git.sync", "git.pull"]);
    let completed = completed.lock().unwrap();
    let names: Vec<&str> = completed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["git.pull", "git.sync"]);
    assert_eq!(completed[0].code, Some(ErrorCode::INTERNAL));
    assert_eq!(completed[0].depth, 1);
    assert_eq!(completed[1].code, Some(ErrorCode::INTERNAL));
}

#[tokio::test]
async fn actions_set_events_panic_before_the_future_still_completes_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions
        .register(ActionSpec::new(
            "git.clone",
            |_, _| -> std::future::Ready<corers_primitives::Result<Value>> {
                panic!("no remote configured")
            },
        ))
        .unwrap();
    actions.set_events(true);
    let _ = run(&actions, "git.clone").await;
    assert_eq!(*started.lock().unwrap(), ["git.clone"]);
    let completed = completed.lock().unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].code, Some(ErrorCode::INTERNAL));
}

#[tokio::test(start_paused = true)]
async fn actions_set_events_dropped_run_completes_as_abandoned_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    actions.set_events(true);
    // The caller gives up without telling the run: its future is dropped.
    let gave_up = tokio::time::timeout(Duration::from_secs(1), run(&actions, "index.build")).await;
    assert!(gave_up.is_err());
    assert_eq!(*started.lock().unwrap(), ["index.build"]);
    let completed = completed.lock().unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].code, Some(ErrorCode::UNAVAILABLE));
    assert!(
        completed[0].error.as_deref().unwrap().contains("abandoned"),
        "{:?}",
        completed[0].error
    );
    assert_eq!(completed[0].duration, Duration::from_secs(1));
}

#[tokio::test]
async fn actions_set_events_rejected_input_emits_no_started_or_completed_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, completed) = watch_events(&bus);
    actions
        .register(
            answering("git.log", "log").schema(Schema::new().required("path", ValueKind::String)),
        )
        .unwrap();
    actions.set_events(true);
    let _ = run(&actions, "git.log").await;
    let _ = run(&actions, "git.push").await;
    assert!(started.lock().unwrap().is_empty());
    assert!(completed.lock().unwrap().is_empty());
}

/// Records each `ActionRefused` as "name: code".
fn watch_refused(bus: &Bus<()>) -> Started {
    let refused = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&refused);
    bus.on(move |_, event: &ActionRefused| {
        let code = event.error.code().map_or("-", |c| c.as_str()).to_owned();
        log.lock().unwrap().push(format!("{}: {code}", event.name));
        Ok(())
    });
    refused
}

#[tokio::test]
async fn actions_run_refused_says_why_in_an_event_good() {
    // What a tool server counts: made-up names and bad input never reach a handler, and
    // each one is an event, with no ActionStarted before it.
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let (started, _) = watch_events(&bus);
    let refused = watch_refused(&bus);
    actions
        .register(
            answering("git.log", "log").schema(Schema::new().required("path", ValueKind::String)),
        )
        .unwrap();
    actions.register(answering("git.push", "pushed")).unwrap();
    actions.get("git.push").disable().unwrap();
    let _ = run(&actions, "git.log").await;
    let _ = run(&actions, "git.lgo").await;
    let _ = run(&actions, "git.push").await;
    let cancelled = RunCtx::new();
    cancelled.cancel_token().cancel();
    let _ = actions
        .run(
            &(),
            &cancelled,
            "git.log",
            options! { "path" => "/srv/repo" },
        )
        .await;
    assert_eq!(
        *refused.lock().unwrap(),
        [
            "git.log: INVALID",
            "git.lgo: NOT_FOUND",
            "git.push: UNAVAILABLE",
            "git.log: UNAVAILABLE"
        ]
    );
    assert!(started.lock().unwrap().is_empty());
}

#[tokio::test]
async fn actions_run_refused_event_needs_no_set_events_and_a_failure_is_none_bad() {
    // A refusal reaches its listener with events off (they are about every run); a
    // handler that runs and fails is completed, not refused.
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let refused = watch_refused(&bus);
    actions
        .register(ActionSpec::new("git.push", |_, _| async {
            Err(corers_primitives::Error::new(
                "git.Repo.push",
                "remote rejected",
            ))
        }))
        .unwrap();
    let _ = run(&actions, "git.pull").await;
    let _ = run(&actions, "git.push").await;
    actions.set_events(true);
    let _ = run(&actions, "git.push").await;
    assert_eq!(*refused.lock().unwrap(), ["git.pull: NOT_FOUND"]);
}

#[tokio::test(start_paused = true)]
async fn actions_run_refused_by_open_breaker_and_full_queue_ugly() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    let refused = watch_refused(&bus);
    actions
        .register(
            ActionSpec::new("db.query", |_, _| async {
                Err(corers_primitives::Error::new(
                    "db.Pool.get",
                    "connection refused",
                ))
            })
            .circuit_breaker(1, Duration::from_secs(30)),
        )
        .unwrap();
    let release = Arc::new(Notify::new());
    let gate = Arc::clone(&release);
    actions
        .register(
            ActionSpec::new("index.build", move |_, _| {
                let gate = Arc::clone(&gate);
                async move {
                    gate.notified().await;
                    Ok(Value::Null)
                }
            })
            .concurrency(1, 0),
        )
        .unwrap();
    let _ = run(&actions, "db.query").await;
    let _ = run(&actions, "db.query").await;
    let busy = {
        let actions = actions.clone();
        tokio::spawn(async move { run(&actions, "index.build").await })
    };
    tokio::task::yield_now().await;
    let _ = run(&actions, "index.build").await;
    release.notify_one();
    busy.await.unwrap().unwrap();
    assert_eq!(
        *refused.lock().unwrap(),
        ["db.query: UNAVAILABLE", "index.build: UNAVAILABLE"]
    );
}

// --- Debug ---

#[test]
fn actions_debug_lists_names() {
    let actions = unit_actions();
    actions.register(answering("git.log", "log")).unwrap();
    let text = format!("{actions:?} {:?}", actions.get("git.log"));
    assert!(text.contains("git.log"), "{text}");
}
