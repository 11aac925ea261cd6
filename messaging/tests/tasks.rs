//! Tasks composed of Actions: defining and listing them, and running their steps —
//! sequential with output piping, parallel groups, conditional branches, retry, per-step
//! timeout, detached steps — with a `TaskReport` and `TaskStepCompleted` events. Time runs
//! on tokio's paused clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers_messaging::{
    ActionSpec, Actions, Bus, Condition, Retry, RunCtx, Schema, Step, TaskDef, TaskReport,
    TaskStepCompleted, Tasks, ValueKind,
};
use corers_primitives::{Error, ErrorCode, Options, Value, options};
use tokio::sync::{Barrier, Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A `TaskStepCompleted`, copied out of the bus.
#[derive(Debug)]
struct StepEvent {
    task: String,
    run: u64,
    step: String,
    action: String,
    attempts: u32,
    detached: bool,
    code: Option<ErrorCode>,
}

/// Actions and Tasks on one bus, with a log of the Actions called (in call order) and the
/// `TaskStepCompleted` events.
struct Bench {
    actions: Actions<()>,
    tasks: Tasks<()>,
    calls: Arc<Mutex<Vec<String>>>,
    events: mpsc::UnboundedReceiver<StepEvent>,
}

impl Bench {
    fn new() -> Bench {
        let bus: Bus<()> = Bus::new();
        let (sender, events) = mpsc::unbounded_channel();
        bus.on(move |_, event: &TaskStepCompleted| {
            let _ = sender.send(StepEvent {
                task: event.task.clone(),
                run: event.run,
                step: event.step.clone(),
                action: event.action.clone(),
                attempts: event.attempts,
                detached: event.detached,
                code: event.error.as_ref().and_then(|e| e.code().cloned()),
            });
            Ok(())
        });
        let actions = Actions::new(bus);
        let tasks = Tasks::new(actions.clone());
        Bench {
            actions,
            tasks,
            calls: Arc::default(),
            events,
        }
    }

    /// Registers `name`, logging the call, answering `answer(options)`.
    fn action(
        &self,
        name: &str,
        answer: impl Fn(&Options) -> corers_primitives::Result<Value> + Send + Sync + 'static,
    ) {
        let calls = Arc::clone(&self.calls);
        let answer = Arc::new(answer);
        let own = name.to_owned();
        self.actions
            .register(ActionSpec::new(name, move |_, opts: Options| {
                calls.lock().unwrap().push(own.clone());
                let answer = Arc::clone(&answer);
                async move { answer(&opts) }
            }))
            .unwrap();
    }

    /// Registers `name` answering its options back as a map.
    fn echo(&self, name: &str) {
        self.action(name, |opts| Ok(opts.clone().into_value()));
    }

    /// Registers `name` answering `value`.
    fn answer(&self, name: &str, value: Value) {
        self.action(name, move |_| Ok(value.clone()));
    }

    /// Registers `name` failing with `code`.
    fn fail(&self, name: &str, code: ErrorCode) {
        let message = format!("{name} went wrong");
        self.action(name, move |_| {
            Err(Error::new("app.Remote.call", message.clone()).with_code(code.clone()))
        });
    }

    fn define(&self, name: &str, steps: Vec<Step>) {
        self.tasks.define(name, TaskDef::new(steps)).unwrap();
    }

    async fn run(&self, name: &str) -> TaskReport {
        self.tasks.run(&(), &RunCtx::new(), name).await.unwrap()
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// The events sent so far.
    fn events(&mut self) -> Vec<StepEvent> {
        let mut events = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            events.push(event);
        }
        events
    }
}

fn steps_of(report: &TaskReport) -> Vec<(&str, &str)> {
    report
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.action.as_str()))
        .collect()
}

// --- Tasks::new ---

#[test]
fn tasks_new_is_empty_good() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let tasks = Tasks::new(actions);
    assert!(tasks.names().is_empty());
    assert!(tasks.get("nightly").is_none());
}

#[tokio::test]
async fn tasks_new_run_of_undefined_task_not_found_bad() {
    let bench = Bench::new();
    let err = bench
        .tasks
        .run(&(), &RunCtx::new(), "nightly")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    // Named by the call that was made, not the registry underneath.
    assert_eq!(err.operation(), "messaging.Tasks.run");
    assert!(err.to_string().contains(r#""nightly""#), "{err}");
}

#[test]
fn tasks_new_twice_over_one_actions_are_independent_and_clones_share_ugly() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let first = Tasks::new(actions.clone());
    let second = Tasks::new(actions);
    let clone = first.clone();
    first
        .define("nightly", TaskDef::new(vec![Step::run("git.pull")]))
        .unwrap();
    assert_eq!(clone.names(), ["nightly"]);
    assert!(second.names().is_empty());
    assert!(format!("{first:?}").contains("nightly"));
}

// --- Tasks::define ---

#[test]
fn tasks_define_then_get_good() {
    let bench = Bench::new();
    bench
        .tasks
        .define(
            "nightly",
            TaskDef::new(vec![
                Step::run("git.pull"),
                Step::run("index.build").with_previous(),
            ])
            .description("pull and index"),
        )
        .unwrap();
    let def = bench.tasks.get("nightly").unwrap();
    assert_eq!(def.description, "pull and index");
    assert_eq!(def.steps.len(), 2);
}

#[test]
fn tasks_define_without_steps_invalid_bad() {
    let bench = Bench::new();
    let err = bench
        .tasks
        .define("nightly", TaskDef::new(vec![]))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.message(), r#"task "nightly" has no steps"#);
    assert!(bench.tasks.names().is_empty());
}

#[test]
fn tasks_define_zero_retry_attempts_anywhere_invalid_bad() {
    let bench = Bench::new();
    let zero = || Step::run("git.pull").with_retry(Retry::new(0, Duration::from_millis(100)));
    for steps in [
        vec![zero()],
        vec![Step::parallel(vec![Step::run("cache.flush"), zero()])],
        vec![Step::when(Condition::Failed, vec![], vec![zero()])],
    ] {
        let err = bench
            .tasks
            .define("nightly", TaskDef::new(steps))
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        assert_eq!(
            err.message(),
            r#"task "nightly": step "git.pull": retry.attempts must be from 1 to 100, found 0"#
        );
    }
}

#[test]
fn tasks_define_invalid_cron_invalid_bad() {
    let bench = Bench::new();
    let err = bench
        .tasks
        .define(
            "nightly",
            TaskDef::new(vec![Step::run("git.pull")]).schedule("every night at 3"),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains(r#"task "nightly""#), "{err}");
    assert!(err.to_string().contains(r#""every night at 3""#), "{err}");
    assert!(bench.tasks.get("nightly").is_none());
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn tasks_define_schedule_that_never_fires_invalid_ugly() {
    let bench = Bench::new();
    for cron in ["0 0 30 2 *", "0 0 0 1 1 * 2020"] {
        let err = bench
            .tasks
            .define(
                "nightly",
                TaskDef::new(vec![Step::run("git.pull")]).schedule(cron),
            )
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        assert!(err.to_string().contains("never fires"), "{err}");
        assert!(err.to_string().contains(cron), "{err}");
    }
    assert!(bench.tasks.get("nightly").is_none());
    // February 29th comes round.
    bench
        .tasks
        .define(
            "leap",
            TaskDef::new(vec![Step::run("git.pull")]).schedule("0 0 29 2 *"),
        )
        .unwrap();
}

#[test]
fn tasks_define_malformed_names_invalid_bad() {
    let bench = Bench::new();
    for name in [
        "",
        " nightly",
        "nightly\n",
        "nightly build",
        "git..sync",
        ".nightly",
    ] {
        let err = bench
            .tasks
            .define(name, TaskDef::new(vec![Step::run("git.pull")]))
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
        assert_eq!(err.operation(), "messaging.Tasks.define", "{name:?}");
    }
}

#[tokio::test]
async fn tasks_define_redefinition_replaces_in_place_ugly() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("pulled"));
    bench.answer("git.fetch", Value::from("fetched"));
    bench.define("nightly", vec![Step::run("git.pull")]);
    bench.define("hourly", vec![Step::run("git.pull")]);
    bench.define("nightly", vec![Step::run("git.fetch")]);
    assert_eq!(bench.tasks.names(), ["nightly", "hourly"]);
    let out = bench.run("nightly").await.into_result().unwrap();
    assert_eq!(out, Value::from("fetched"));
}

#[tokio::test]
async fn tasks_define_unregistered_action_fails_only_at_run_ugly() {
    let bench = Bench::new();
    bench.define("nightly", vec![Step::run("git.pull")]);
    let report = bench.run("nightly").await;
    let err = report.error.unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(err.message().contains(r#"("git.pull")"#), "{err}");
}

// --- Tasks::get, names, list ---

#[test]
fn tasks_get_returns_the_definition_good() {
    let bench = Bench::new();
    bench
        .tasks
        .define(
            "nightly",
            TaskDef::new(vec![Step::run("git.pull")]).schedule("0 0 3 * * *"),
        )
        .unwrap();
    let def = bench.tasks.get("nightly").unwrap();
    assert_eq!(def.schedule.as_deref(), Some("0 0 3 * * *"));
}

#[test]
fn tasks_get_undefined_none_bad() {
    let bench = Bench::new();
    assert!(bench.tasks.get("nightly").is_none());
    assert!(bench.tasks.get("").is_none());
}

#[test]
fn tasks_get_returns_a_copy_ugly() {
    let bench = Bench::new();
    bench.define("nightly", vec![Step::run("git.pull")]);
    let mut copy = bench.tasks.get("nightly").unwrap();
    copy.steps.push(Step::run("git.push"));
    copy.description = "changed".into();
    let def = bench.tasks.get("nightly").unwrap();
    assert_eq!(def.steps.len(), 1);
    assert_eq!(def.description, "");
}

#[test]
fn tasks_names_in_definition_order_good() {
    let bench = Bench::new();
    for name in ["nightly.index", "hourly.pull", "nightly.backup"] {
        bench.define(name, vec![Step::run("git.pull")]);
    }
    assert_eq!(
        bench.tasks.names(),
        ["nightly.index", "hourly.pull", "nightly.backup"]
    );
}

#[test]
fn tasks_names_leaves_out_refused_definitions_bad() {
    let bench = Bench::new();
    bench.define("nightly", vec![Step::run("git.pull")]);
    let _ = bench.tasks.define("empty", TaskDef::new(vec![]));
    let _ = bench.tasks.define(
        "broken",
        TaskDef::new(vec![Step::run("git.pull")]).schedule("61 * * * *"),
    );
    assert_eq!(bench.tasks.names(), ["nightly"]);
}

#[test]
fn tasks_names_unicode_ugly() {
    let bench = Bench::new();
    bench.define("ночной.индекс", vec![Step::run("git.pull")]);
    bench.define("夜間", vec![Step::run("git.pull")]);
    assert_eq!(bench.tasks.names(), ["ночной.индекс", "夜間"]);
}

#[test]
fn tasks_list_glob_good() {
    let bench = Bench::new();
    for name in ["nightly.index", "hourly.pull", "nightly.backup"] {
        bench.define(name, vec![Step::run("git.pull")]);
    }
    assert_eq!(
        bench.tasks.list("nightly.*"),
        ["nightly.index", "nightly.backup"]
    );
}

#[test]
fn tasks_list_no_match_empty_bad() {
    let bench = Bench::new();
    bench.define("nightly.index", vec![Step::run("git.pull")]);
    assert!(bench.tasks.list("weekly.*").is_empty());
    assert!(bench.tasks.list("nightly").is_empty());
}

#[test]
fn tasks_list_star_and_empty_pattern_ugly() {
    let bench = Bench::new();
    bench.define("nightly.index", vec![Step::run("git.pull")]);
    bench.define("hourly.pull", vec![Step::run("git.pull")]);
    assert_eq!(bench.tasks.list("*"), ["nightly.index", "hourly.pull"]);
    assert!(bench.tasks.list("").is_empty());
}

// --- Tasks::remove ---

#[tokio::test]
async fn tasks_remove_it_can_no_longer_run_good() {
    let bench = Bench::new();
    bench.answer("chat.announce", Value::from("announced"));
    bench.define("reminder.42", vec![Step::run("chat.announce")]);
    bench.tasks.remove("reminder.42").unwrap();
    assert!(bench.tasks.get("reminder.42").is_none());
    assert!(!bench.tasks.names().contains(&"reminder.42".to_owned()));
    let err = bench
        .tasks
        .run(&(), &RunCtx::new(), "reminder.42")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn tasks_remove_unknown_is_not_found_bad() {
    let bench = Bench::new();
    let err = bench.tasks.remove("reminder.42").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.operation(), "messaging.Tasks.remove");
}

#[test]
fn tasks_remove_then_define_again_and_a_huge_name_ugly() {
    let bench = Bench::new();
    bench.define("reminder.42", vec![Step::run("chat.announce")]);
    bench.tasks.remove("reminder.42").unwrap();
    bench.define("reminder.42", vec![Step::run("chat.announce")]);
    assert!(bench.tasks.get("reminder.42").is_some());
    let err = bench.tasks.remove(&"r".repeat(100_000)).unwrap_err();
    assert!(err.to_string().len() < 1_000, "{}", err.to_string().len());
}

// --- Tasks::run: sequential ---

#[tokio::test]
async fn tasks_run_sequential_steps_in_order_good() {
    let mut bench = Bench::new();
    bench.answer("git.pull", Value::from("pulled"));
    bench.answer("index.build", Value::from("indexed"));
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("index.build"),
            Step::run("chat.announce"),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(report.is_ok());
    assert_eq!(report.task, "nightly");
    assert_eq!(
        steps_of(&report),
        [
            ("1", "git.pull"),
            ("2", "index.build"),
            ("3", "chat.announce")
        ]
    );
    assert_eq!(bench.calls(), ["git.pull", "index.build", "chat.announce"]);
    for step in &report.steps {
        assert_eq!(step.attempts, 1);
    }
    let events = bench.events();
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.task.as_str(), e.step.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("nightly", "1", "git.pull"),
            ("nightly", "2", "index.build"),
            ("nightly", "3", "chat.announce")
        ]
    );
    assert!(events.iter().all(|e| !e.detached && e.code.is_none()));
}

#[tokio::test]
async fn tasks_run_under_a_sender_every_step_has_it_good() {
    // Parallel steps run on tasks of their own: the run context still says who called.
    let bench = Bench::new();
    let senders = Arc::new(Mutex::new(Vec::new()));
    for name in ["git.pull", "index.build", "chat.announce"] {
        let log = Arc::clone(&senders);
        bench
            .actions
            .register(ActionSpec::new(name, move |ctx, _| {
                log.lock()
                    .unwrap()
                    .push(ctx.dispatch().sender().map(str::to_owned));
                async { Ok(Value::Null) }
            }))
            .unwrap();
    }
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::parallel(vec![Step::run("index.build"), Step::run("chat.announce")]),
        ],
    );
    let ctx = RunCtx::new().with_sender("scheduler");
    let report = bench.tasks.run(&(), &ctx, "nightly").await.unwrap();
    assert!(report.is_ok());
    assert_eq!(
        *senders.lock().unwrap(),
        vec![Some("scheduler".to_owned()); 3]
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_run_two_at_once_are_told_apart_by_their_run_ugly() {
    let mut bench = Bench::new();
    bench
        .actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![Step::run("index.build"), Step::run("chat.announce")],
    );
    // A scheduled run and one asked for, at once.
    let (first, second) = tokio::join!(bench.run("nightly"), bench.run("nightly"));
    assert_ne!(first.run, second.run);
    let events = bench.events();
    assert_eq!(events.len(), 4);
    for report in [&first, &second] {
        let steps: Vec<&str> = events
            .iter()
            .filter(|event| event.run == report.run)
            .map(|event| event.step.as_str())
            .collect();
        assert_eq!(steps, ["1", "2"], "run {}: {events:?}", report.run);
    }
}

#[tokio::test]
async fn tasks_run_failing_step_stops_the_chain_bad() {
    let mut bench = Bench::new();
    bench.answer("git.pull", Value::from("pulled"));
    bench.fail("index.build", ErrorCode::CONFLICT);
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("index.build"),
            Step::run("chat.announce"),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(!report.is_ok());
    assert_eq!(bench.calls(), ["git.pull", "index.build"]);
    assert_eq!(report.steps.len(), 2);
    let err = report.error.as_ref().unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert!(err.message().contains(r#"task "nightly""#), "{err}");
    assert!(err.message().contains("step 2"), "{err}");
    assert!(err.message().contains(r#""index.build""#), "{err}");
    insta::assert_snapshot!(err.to_string());
    let events = bench.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].code, Some(ErrorCode::CONFLICT));
}

#[tokio::test]
async fn tasks_run_failure_before_succeeded_branch_without_else_stops_bad() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("index.build", Value::from("indexed"));
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(Condition::Succeeded, vec![Step::run("index.build")], vec![]),
            Step::run("chat.announce"),
        ],
    );
    let report = bench.run("nightly").await;
    assert_eq!(bench.calls(), ["git.pull"]);
    let err = report.error.expect("the failure of step 1 stops the task");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

/// `nightly`: `index.build` (an hour's work), then `next` (running `chat.announce` or
/// `chat.alert`).
fn nightly_after_an_hour_long_build(bench: &Bench, next: Step) {
    bench
        .actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    bench.answer("chat.announce", Value::Null);
    bench.answer("chat.alert", Value::Null);
    bench.define("nightly", vec![Step::run("index.build"), next]);
}

/// Runs `nightly`, cancelled 10 s in.
async fn nightly_cancelled_after_10s(bench: &Bench) -> TaskReport {
    let shutdown = CancellationToken::new();
    let ctx = RunCtx::new().with_cancel(shutdown.clone());
    let cancel = async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        shutdown.cancel();
    };
    let (report, ()) = tokio::join!(bench.tasks.run(&(), &ctx, "nightly"), cancel);
    report.unwrap()
}

#[tokio::test(start_paused = true)]
async fn tasks_run_cancelled_stops_at_the_running_step_ugly() {
    let bench = Bench::new();
    nightly_after_an_hour_long_build(&bench, Step::run("chat.announce"));
    let report = nightly_cancelled_after_10s(&bench).await;
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(report.steps.len(), 1);
    assert!(bench.calls().is_empty(), "chat.announce never ran");
}

fn when_failed_alert() -> Step {
    Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![])
}

#[tokio::test(start_paused = true)]
async fn tasks_run_cancelled_does_not_go_into_a_failed_branch_ugly() {
    let bench = Bench::new();
    nightly_after_an_hour_long_build(&bench, when_failed_alert());
    let report = nightly_cancelled_after_10s(&bench).await;
    assert_stopped_at_step_1(report, &ErrorCode::UNAVAILABLE);
}

/// The run stopped where it was cut off, at step 1, with `code`: the failed branch's
/// Actions would all have been refused.
fn assert_stopped_at_step_1(report: TaskReport, code: &ErrorCode) {
    let err = report.error.unwrap();
    assert_eq!(err.code(), Some(code));
    assert!(err.message().contains("step 1"), "{err}");
    assert_eq!(report.steps.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn tasks_run_past_its_deadline_does_not_go_into_a_failed_branch_bad() {
    let bench = Bench::new();
    nightly_after_an_hour_long_build(&bench, when_failed_alert());
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(10));
    let report = bench.tasks.run(&(), &ctx, "nightly").await.unwrap();
    assert_stopped_at_step_1(report, &ErrorCode::TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn tasks_run_reports_each_steps_own_duration_good() {
    // No listener: each step's end is the next one's start, without reading the clock again.
    let actions: Actions<()> = Actions::new(Bus::new());
    for (name, ms) in [("git.pull", 100), ("index.build", 250)] {
        actions
            .register(ActionSpec::new(name, move |_, _| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(Value::Null)
            }))
            .unwrap();
    }
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "nightly",
            TaskDef::new(vec![
                Step::run("git.pull"),
                Step::run("index.build"),
                Step::parallel(vec![Step::run("index.build")]),
                Step::run("git.pull"),
            ]),
        )
        .unwrap();
    let report = tasks.run(&(), &RunCtx::new(), "nightly").await.unwrap();
    let durations: Vec<(&str, u128)> = report
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.duration.as_millis()))
        .collect();
    assert_eq!(
        durations,
        [("1", 100), ("2", 250), ("3.1", 250), ("4", 100)]
    );
}

// --- Tasks::run: the dispatch context ---

/// Where each `probe` run sat in its cascade: `(trace, depth)`.
type Seen = Arc<Mutex<Vec<(u64, u32)>>>;

/// Actions on one bus: `probe` records its dispatch; `outer` runs the Task `name` from
/// inside its own run and answers its own `(trace, depth)`.
fn probed(name: &'static str, def: TaskDef) -> (Actions<()>, Seen) {
    let actions = Actions::new(Bus::new());
    let tasks = Tasks::new(actions.clone());
    tasks.define(name, def).unwrap();
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    actions
        .register(ActionSpec::new("probe", move |ctx, _| {
            let info = ctx.dispatch();
            sink.lock().unwrap().push((info.trace(), info.depth()));
            async { Ok(Value::Null) }
        }))
        .unwrap();
    actions
        .register(ActionSpec::new("outer", move |ctx, _| {
            let tasks = tasks.clone();
            async move {
                let info = *ctx.dispatch();
                let report = tasks.run(&(), &RunCtx::new(), name).await?;
                report.into_result()?;
                let trace = i64::try_from(info.trace() % (1 << 62)).unwrap();
                Ok(Value::from(vec![
                    Value::from(trace),
                    Value::from(i64::from(info.depth())),
                ]))
            }
        }))
        .unwrap();
    (actions, seen)
}

#[tokio::test(start_paused = true)]
async fn tasks_run_parallel_and_detached_steps_stay_in_the_callers_cascade_good() {
    let (actions, seen) = probed(
        "fan-out",
        TaskDef::new(vec![
            Step::run("probe"),
            Step::parallel(vec![Step::run("probe"), Step::run("probe")]),
            Step::run("probe").detached(),
        ]),
    );
    let outer = actions
        .run(&(), &RunCtx::new(), "outer", Options::new())
        .await
        .unwrap();
    // Let the detached step run.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let Value::List(outer) = outer else {
        panic!("outer answers [trace, depth]")
    };
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "{seen:?}");
    for (trace, depth) in seen {
        assert_eq!(
            Value::from(i64::try_from(trace % (1 << 62)).unwrap()),
            outer[0]
        );
        // One level below `outer` (a root: depth 0).
        assert_eq!(outer[1], Value::from(0));
        assert_eq!(depth, 1);
    }
}

#[tokio::test(start_paused = true)]
async fn tasks_run_recursion_through_a_parallel_step_meets_the_depth_limit_bad() {
    // `outer` runs `again`, whose parallel step runs `outer`, which runs `again`, ...
    let (actions, _) = probed(
        "again",
        TaskDef::new(vec![Step::parallel(vec![Step::run("outer")])]),
    );
    let err = actions
        .run(&(), &RunCtx::new(), "outer", Options::new())
        .await
        .unwrap_err();
    // Refused by the depth limit (INVALID) instead of recursing for ever.
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains(r#"task "again" failed"#), "{err}");
}

// --- Tasks::run: failures inside branches and groups ---

#[tokio::test]
async fn tasks_run_failure_in_a_branch_goes_on_to_a_failed_branch_bad() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::Null);
    bench.fail("index.build", ErrorCode::UNAVAILABLE);
    bench.answer("chat.alert", Value::from("alerted"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(Condition::Succeeded, vec![Step::run("index.build")], vec![]),
            Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![]),
        ],
    );
    let report = bench.run("nightly").await;
    assert_eq!(bench.calls(), ["git.pull", "index.build", "chat.alert"]);
    assert!(report.error.is_none(), "{:?}", report.error);
}

#[tokio::test]
async fn tasks_run_parallel_outputs_keep_one_slot_per_member_ugly() {
    let bench = Bench::new();
    bench.answer("cache.flush", Value::from("flushed"));
    bench.answer("search.reindex", Value::from("reindexed"));
    bench.define(
        "refresh",
        vec![Step::parallel(vec![
            Step::run("cache.flush").detached(),
            Step::run("search.reindex"),
        ])],
    );
    let output = bench.run("refresh").await.into_result().unwrap();
    assert_eq!(
        output,
        Value::List(vec![Value::Null, Value::from("reindexed")])
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_run_failure_keeps_the_steps_whole_error_good() {
    let bench = Bench::new();
    bench.action("git.pull", |_| {
        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        Err(Error::wrap_code(
            refused,
            ErrorCode::UNAVAILABLE,
            "git.Repo.pull",
            "pull origin",
        ))
    });
    bench.define("deploy", vec![Step::run("git.pull")]);
    let report = bench.run("deploy").await;
    let err = report.error.expect("the Task failed");
    // Why the step failed reaches whoever reads the Task's error or logs it.
    assert_eq!(err.root().to_string(), "connection refused");
    assert_eq!(
        err.to_string(),
        "messaging.Tasks.run: task \"deploy\" failed at step 1 (\"git.pull\") [UNAVAILABLE]: \
         git.Repo.pull: pull origin: connection refused"
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_run_huge_backoff_does_not_panic_ugly() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    // The longest waits a definition takes (an hour), doubled for each attempt.
    let mut retry = Retry::new(3, Duration::from_millis(Retry::LONGEST_WAIT_MS));
    retry.max_backoff_ms = Retry::LONGEST_WAIT_MS;
    bench.define("pull", vec![Step::run("git.pull").with_retry(retry)]);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(5));
    let report = bench.tasks.run(&(), &ctx, "pull").await.unwrap();
    assert!(report.error.is_some());
}

// --- Tasks::wait_detached ---

#[tokio::test(start_paused = true)]
async fn tasks_wait_detached_waits_for_the_detached_steps_good() {
    let bench = Bench::new();
    let announced = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&announced);
    bench
        .actions
        .register(ActionSpec::new("chat.announce", move |_, _| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::time::sleep(Duration::from_secs(3)).await;
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(Value::Null)
            }
        }))
        .unwrap();
    bench.define("release", vec![Step::run("chat.announce").detached()]);
    let _ = bench.run("release").await;
    assert_eq!(announced.load(Ordering::SeqCst), 0, "still announcing");
    bench.tasks.wait_detached().await;
    assert_eq!(announced.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn tasks_wait_detached_failure_is_logged_as_a_warning_bad() {
    // Nobody listens for TaskStepCompleted: the log is the only place the failure shows.
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(corers_log::Level::Warn)
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    let actions: Actions<()> = Actions::new(Bus::builder().logger(log).build().unwrap());
    actions
        .register(ActionSpec::new("chat.announce", |_, _| async {
            Err(Error::new("chat.Client.post", "channel archived").with_code(ErrorCode::NOT_FOUND))
        }))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "release",
            TaskDef::new(vec![Step::run("chat.announce").detached()]),
        )
        .unwrap();
    let report = tasks.run(&(), &RunCtx::new(), "release").await.unwrap();
    assert!(report.is_ok(), "the Task itself did not wait for the step");
    tasks.wait_detached().await;
    let written = sink.contents();
    assert!(written.contains("detached step failed"), "{written}");
    assert!(written.contains("channel archived"), "{written}");
    assert!(written.contains("action=chat.announce"), "{written}");
}

#[tokio::test(start_paused = true)]
async fn tasks_wait_detached_cancelled_run_ends_them_early_bad() {
    let bench = Bench::new();
    bench
        .actions
        .register(ActionSpec::new("chat.announce", |_, _| async {
            std::future::pending::<()>().await;
            Ok(Value::Null)
        }))
        .unwrap();
    bench.define("release", vec![Step::run("chat.announce").detached()]);
    let shutdown = CancellationToken::new();
    let ctx = RunCtx::new().with_cancel(shutdown.clone());
    let report = bench.tasks.run(&(), &ctx, "release").await.unwrap();
    assert!(report.error.is_none());
    shutdown.cancel();
    let began = Instant::now();
    bench.tasks.wait_detached().await;
    assert_eq!(began.elapsed(), Duration::ZERO, "cancelled, not waited out");
}

#[tokio::test(start_paused = true)]
async fn tasks_wait_detached_ignores_steps_started_after_it_began_ugly() {
    let bench = Bench::new();
    for (name, secs) in [("chat.announce", 10), ("cache.warm", 100)] {
        bench
            .actions
            .register(ActionSpec::new(name, move |_, _| async move {
                tokio::time::sleep(Duration::from_secs(secs)).await;
                Ok(Value::Null)
            }))
            .unwrap();
    }
    bench.define("release", vec![Step::run("chat.announce").detached()]);
    bench.define("warm", vec![Step::run("cache.warm").detached()]);
    let _ = bench.run("release").await;
    let began = Instant::now();
    let waiting = tokio::spawn({
        let tasks = bench.tasks.clone();
        async move { tasks.wait_detached().await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    let _ = bench.run("warm").await;
    waiting.await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn tasks_wait_detached_with_none_and_twice_ugly() {
    let bench = Bench::new();
    bench.answer("chat.announce", Value::Null);
    bench.tasks.wait_detached().await;
    bench.define("release", vec![Step::run("chat.announce").detached()]);
    // Detached steps still start after a wait, and are waited for the next time.
    let _ = bench.run("release").await;
    bench.tasks.wait_detached().await;
    bench.tasks.wait_detached().await;
    assert_eq!(bench.calls(), ["chat.announce"]);
}

// --- Step::run ---

#[tokio::test]
async fn step_run_runs_the_action_without_options_good() {
    let bench = Bench::new();
    bench.echo("cache.flush");
    bench.define("flush", vec![Step::run("cache.flush")]);
    let out = bench.run("flush").await.into_result().unwrap();
    assert_eq!(out, Options::new().into_value());
}

#[tokio::test]
async fn step_run_disabled_action_unavailable_bad() {
    let bench = Bench::new();
    bench.echo("cache.flush");
    bench.actions.get("cache.flush").disable().unwrap();
    bench.define("flush", vec![Step::run("cache.flush")]);
    let err = bench.run("flush").await.into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn step_run_empty_and_unicode_action_names_ugly() {
    let bench = Bench::new();
    bench.answer("чат.объявить", Value::from("готово"));
    bench.define("announce", vec![Step::run("чат.объявить")]);
    assert_eq!(
        bench.run("announce").await.into_result().unwrap(),
        Value::from("готово")
    );
    bench.define("nameless", vec![Step::run("")]);
    let err = bench.run("nameless").await.into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

// --- Step::with_options ---

#[tokio::test]
async fn step_with_options_given_to_the_action_good() {
    let bench = Bench::new();
    bench.echo("git.pull");
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_options(options! { "path" => "/srv/repo" })],
    );
    let out = bench.run("pull").await.into_result().unwrap();
    assert_eq!(out, options! { "path" => "/srv/repo" }.into_value());
}

#[tokio::test]
async fn step_with_options_on_a_group_replaces_each_members_own_bad() {
    // Set on a group, options reach every member, in place of their own.
    let bench = Bench::new();
    bench.echo("git.pull");
    bench.echo("git.fetch");
    bench.define(
        "sync",
        vec![
            Step::parallel(vec![
                Step::run("git.pull").with_options(options! { "remote" => "origin" }),
                Step::run("git.fetch"),
            ])
            .with_options(options! { "path" => "/srv/repo" }),
        ],
    );
    let out = bench.run("sync").await.into_result().unwrap();
    let path = options! { "path" => "/srv/repo" }.into_value();
    assert_eq!(out, Value::List(vec![path.clone(), path]));
}

#[tokio::test]
async fn step_with_options_second_call_replaces_the_first_ugly() {
    let bench = Bench::new();
    bench.echo("git.pull");
    bench.define(
        "pull",
        vec![
            Step::run("git.pull")
                .with_options(options! { "path" => "/srv/repo", "remote" => "origin" })
                .with_options(options! { "branch" => "main" }),
        ],
    );
    let out = bench.run("pull").await.into_result().unwrap();
    assert_eq!(out, options! { "branch" => "main" }.into_value());
}

// --- Step::with_previous ---

#[tokio::test]
async fn step_with_previous_map_output_merges_into_options_good() {
    let bench = Bench::new();
    bench.answer(
        "git.pull",
        options! { "commit" => "a1b2c3", "changed" => 3 }.into_value(),
    );
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("index.build")
                .with_previous()
                .with_options(options! { "jobs" => 4 }),
        ],
    );
    let out = bench.run("nightly").await.into_result().unwrap();
    assert_eq!(
        out,
        options! { "changed" => 3, "commit" => "a1b2c3", "jobs" => 4 }.into_value()
    );
}

/// Actions with `git.pull`, whose output is `path` and `commits`.
fn pulling() -> Actions<()> {
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new("git.pull", |_, _| async {
            Ok(options! { "path" => "/srv/repo", "commits" => 3 }.into_value())
        }))
        .unwrap();
    actions
}

/// An Action answering with its options, whose closed schema declares `keys`.
fn closed_echo(name: &str, keys: &[&str]) -> ActionSpec<()> {
    let schema = keys.iter().fold(Schema::new().closed(), |schema, key| {
        schema.optional(*key, ValueKind::Any)
    });
    ActionSpec::new(name.to_owned(), |_, opts: Options| async move {
        Ok(opts.into_value())
    })
    .schema(schema)
}

#[tokio::test]
async fn step_with_previous_into_a_closed_schema_hands_on_the_keys_it_declares_good() {
    // A closed Action refuses keys it does not declare from a caller; the keys another
    // Action's output has beyond its own are not this step's input, so they stay behind,
    // also in a `when failed` branch that gets what failed.
    let actions = pulling();
    actions
        .register(closed_echo("index.build", &["path", "jobs"]))
        .unwrap();
    actions
        .register(ActionSpec::new("git.push", |_, _| async {
            Err(Error::new("git.Repo.push", "remote rejected").with_code(ErrorCode::DENIED))
        }))
        .unwrap();
    actions
        .register(closed_echo("chat.alert", &["error", "step"]))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "nightly",
            TaskDef::new(vec![
                Step::run("git.pull"),
                Step::run("index.build")
                    .with_previous()
                    .with_options(options! { "jobs" => 4 }),
                Step::run("git.push"),
                Step::when(
                    Condition::Failed,
                    vec![Step::run("chat.alert").with_previous()],
                    vec![],
                ),
            ]),
        )
        .unwrap();
    let report = tasks.run(&(), &RunCtx::new(), "nightly").await.unwrap();
    assert_eq!(
        report.steps[1].outcome.as_ref().unwrap(),
        &options! { "jobs" => 4, "path" => "/srv/repo" }.into_value()
    );
    let alert = report.steps[3].outcome.as_ref().unwrap().as_map().unwrap();
    let keys: Vec<&str> = alert.keys().map(String::as_str).collect();
    assert_eq!(keys, ["error", "step"]);
}

#[tokio::test]
async fn step_with_previous_closed_schema_still_refuses_the_steps_own_options_bad() {
    // What the Task's author wrote is checked, not filtered.
    let actions = pulling();
    actions
        .register(closed_echo("index.build", &["path"]))
        .unwrap();
    let tasks = Tasks::new(actions);
    tasks
        .define(
            "nightly",
            TaskDef::new(vec![
                Step::run("git.pull"),
                Step::run("index.build")
                    .with_previous()
                    .with_options(options! { "jbos" => 4 }),
            ]),
        )
        .unwrap();
    let report = tasks.run(&(), &RunCtx::new(), "nightly").await.unwrap();
    let err = report.into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[tokio::test]
async fn step_with_previous_non_map_becomes_the_input_option_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("a1b2c3"));
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("index.build").with_previous(),
        ],
    );
    let out = bench.run("nightly").await.into_result().unwrap();
    assert_eq!(out, options! { "input" => "a1b2c3" }.into_value());
}

#[tokio::test]
async fn step_with_previous_explicit_options_win_bad() {
    let bench = Bench::new();
    bench.answer(
        "git.pull",
        options! { "commit" => "a1b2c3", "path" => "/tmp/wrong" }.into_value(),
    );
    bench.answer("git.describe", Value::from("v1.2.0"));
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("index.build")
                .with_previous()
                .with_options(options! { "path" => "/srv/repo" }),
            Step::run("git.describe"),
            Step::run("index.build")
                .with_previous()
                .with_options(options! { "input" => "explicit" }),
        ],
    );
    let report = bench.run("nightly").await;
    let first = report.steps[1].outcome.as_ref().unwrap();
    assert_eq!(
        first.as_map().unwrap().get("path"),
        Some(&Value::from("/srv/repo"))
    );
    let second = report.into_result().unwrap();
    assert_eq!(second, options! { "input" => "explicit" }.into_value());
}

#[tokio::test]
async fn step_with_previous_without_a_previous_output_is_just_options_ugly() {
    let bench = Bench::new();
    bench.answer("cache.flush", Value::Null);
    bench.echo("index.build");
    bench.define(
        "first",
        vec![
            Step::run("index.build")
                .with_previous()
                .with_options(options! { "jobs" => 2 }),
        ],
    );
    bench.define(
        "after_null",
        vec![
            Step::run("cache.flush"),
            Step::run("index.build").with_previous(),
        ],
    );
    assert_eq!(
        bench.run("first").await.into_result().unwrap(),
        options! { "jobs" => 2 }.into_value()
    );
    assert_eq!(
        bench.run("after_null").await.into_result().unwrap(),
        Options::new().into_value()
    );
}

#[tokio::test]
async fn step_with_previous_without_it_the_output_is_not_piped_ugly() {
    let bench = Bench::new();
    bench.answer("git.pull", options! { "commit" => "a1b2c3" }.into_value());
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![Step::run("git.pull"), Step::run("index.build")],
    );
    assert_eq!(
        bench.run("nightly").await.into_result().unwrap(),
        Options::new().into_value()
    );
}

// --- Step::parallel ---

#[tokio::test(start_paused = true)]
async fn step_parallel_members_run_concurrently_good() {
    let bench = Bench::new();
    let barrier = Arc::new(Barrier::new(2));
    for name in ["cache.flush", "search.reindex"] {
        let barrier = Arc::clone(&barrier);
        bench
            .actions
            .register(ActionSpec::new(name, move |ctx, _| {
                let barrier = Arc::clone(&barrier);
                async move {
                    // Both members must be running at once to pass.
                    barrier.wait().await;
                    Ok(Value::from(ctx.name()))
                }
            }))
            .unwrap();
    }
    bench.define(
        "refresh",
        vec![Step::parallel(vec![
            Step::run("cache.flush"),
            Step::run("search.reindex"),
        ])],
    );
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        bench.tasks.run(&(), &RunCtx::new(), "refresh"),
    )
    .await
    .expect("the members ran one after the other")
    .unwrap();
    assert!(report.is_ok());
    assert_eq!(
        steps_of(&report),
        [("1.1", "cache.flush"), ("1.2", "search.reindex")]
    );
}

#[tokio::test]
async fn step_parallel_two_failures_both_reported_bad() {
    let mut bench = Bench::new();
    bench.fail("cache.flush", ErrorCode::UNAVAILABLE);
    bench.answer("search.reindex", Value::from(120));
    bench.fail("chat.announce", ErrorCode::UNAVAILABLE);
    bench.answer("index.build", Value::Null);
    bench.define(
        "refresh",
        vec![
            Step::parallel(vec![
                Step::run("cache.flush"),
                Step::run("search.reindex"),
                Step::run("chat.announce"),
            ]),
            Step::run("index.build"),
        ],
    );
    let report = bench.run("refresh").await;
    let err = report.error.as_ref().unwrap();
    assert_eq!(err.joined().len(), 2);
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("step 1.1"), "{err}");
    assert!(err.to_string().contains("step 1.3"), "{err}");
    assert_eq!(report.steps.len(), 3, "every member ran");
    assert!(!bench.calls().contains(&"index.build".to_owned()));
    insta::assert_snapshot!(err.to_string());
    assert_eq!(bench.events().len(), 3);
}

#[tokio::test]
async fn step_parallel_mixed_failure_codes_keep_a_code_ugly() {
    let bench = Bench::new();
    bench.fail("cache.flush", ErrorCode::UNAVAILABLE);
    bench.fail("search.reindex", ErrorCode::TIMEOUT);
    bench.define(
        "refresh",
        vec![Step::parallel(vec![
            Step::run("cache.flush"),
            Step::run("search.reindex"),
        ])],
    );
    let err = bench.run("refresh").await.into_result().unwrap_err();
    // In member order, whichever finished first: the first member's code leads.
    let codes: Vec<_> = err.joined().iter().map(|e| e.code().cloned()).collect();
    assert_eq!(
        codes,
        [Some(ErrorCode::UNAVAILABLE), Some(ErrorCode::TIMEOUT)]
    );
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE), "{err}");
}

#[tokio::test]
async fn step_parallel_outputs_in_member_order_piped_as_a_list_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("a1b2c3"));
    bench.echo("cache.flush");
    bench.echo("search.reindex");
    bench.echo("index.build");
    bench.define(
        "refresh",
        vec![
            Step::run("git.pull"),
            Step::parallel(vec![
                Step::run("cache.flush").with_previous(),
                Step::run("search.reindex"),
            ]),
            Step::run("index.build").with_previous(),
        ],
    );
    let out = bench.run("refresh").await.into_result().unwrap();
    let expected = Value::List(vec![
        options! { "input" => "a1b2c3" }.into_value(),
        Options::new().into_value(),
    ]);
    assert_eq!(out, options! { "input" => expected }.into_value());
}

#[tokio::test]
async fn step_parallel_empty_group_is_an_empty_list_ugly() {
    let bench = Bench::new();
    bench.echo("index.build");
    bench.define(
        "refresh",
        vec![
            Step::parallel(vec![]),
            Step::run("index.build").with_previous(),
        ],
    );
    let out = bench.run("refresh").await.into_result().unwrap();
    assert_eq!(
        out,
        options! { "input" => Value::List(vec![]) }.into_value()
    );
}

#[tokio::test]
async fn step_parallel_nested_groups_and_branches_numbered_ugly() {
    let bench = Bench::new();
    for name in ["git.pull", "cache.flush", "search.reindex", "chat.announce"] {
        bench.answer(name, Value::from(name));
    }
    bench.define(
        "refresh",
        vec![
            Step::run("git.pull"),
            Step::parallel(vec![
                Step::run("cache.flush"),
                Step::parallel(vec![Step::run("search.reindex")]),
            ]),
            Step::when(
                Condition::Succeeded,
                vec![Step::run("chat.announce")],
                vec![],
            ),
        ],
    );
    let report = bench.run("refresh").await;
    assert_eq!(
        steps_of(&report),
        [
            ("1", "git.pull"),
            ("2.1", "cache.flush"),
            ("2.2.1", "search.reindex"),
            ("3.1", "chat.announce")
        ]
    );
}

// --- Step::when ---

#[tokio::test]
async fn step_when_succeeded_takes_then_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("a1b2c3"));
    bench.answer("chat.announce", Value::from("announced"));
    bench.answer("chat.alert", Value::from("alerted"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::Succeeded,
                vec![Step::run("chat.announce")],
                vec![Step::run("chat.alert")],
            ),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(report.is_ok());
    assert_eq!(bench.calls(), ["git.pull", "chat.announce"]);
    assert_eq!(report.into_result().unwrap(), Value::from("announced"));
}

#[tokio::test]
async fn step_when_failed_takes_the_failure_and_the_chain_goes_on_bad() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("chat.alert", Value::from("alerted"));
    bench.answer("chat.announce", Value::from("announced"));
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::Failed,
                vec![Step::run("chat.alert")],
                vec![Step::run("chat.announce")],
            ),
            Step::run("index.build").with_previous(),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(bench.calls(), ["git.pull", "chat.alert", "index.build"]);
    assert_eq!(
        steps_of(&report),
        [
            ("1", "git.pull"),
            ("2.1", "chat.alert"),
            ("3", "index.build")
        ]
    );
    assert!(report.steps[0].outcome.is_err());
    // The branch's output flows on.
    assert_eq!(
        report.into_result().unwrap(),
        options! { "input" => "alerted" }.into_value()
    );
}

#[tokio::test]
async fn step_when_failed_branch_reads_what_failed_ugly() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.echo("chat.alert");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::Failed,
                vec![Step::run("chat.alert").with_previous()],
                vec![],
            ),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(report.error.is_none(), "{:?}", report.error);
    // The alert can say what failed, and why.
    let alert = report.into_result().unwrap();
    let alert = alert.as_map().unwrap();
    assert_eq!(alert["code"], Value::from("UNAVAILABLE"));
    assert_eq!(alert["step"], Value::from("1"));
    assert_eq!(alert["action"], Value::from("git.pull"));
    assert!(
        alert["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{alert:?}"
    );
}

#[tokio::test]
async fn step_when_succeeded_after_a_failure_takes_else_bad() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("chat.announce", Value::from("announced"));
    bench.answer("chat.alert", Value::from("alerted"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::Succeeded,
                vec![Step::run("chat.announce")],
                vec![Step::run("chat.alert")],
            ),
        ],
    );
    let _ = bench.run("nightly").await;
    assert_eq!(bench.calls(), ["git.pull", "chat.alert"]);
}

#[tokio::test]
async fn step_when_equals_and_exists_test_the_previous_output_good() {
    let bench = Bench::new();
    bench.answer(
        "git.pull",
        options! { "branch" => "main", "changed" => 3, "tag" => Value::Null, "seq" => 9_007_199_254_740_993_i64 }
            .into_value(),
    );
    bench.answer("index.build", Value::Null);
    bench.answer("chat.alert", Value::Null);
    let branch = |condition: Condition| {
        Step::when(
            condition,
            vec![Step::run("index.build")],
            vec![Step::run("chat.alert")],
        )
    };
    let cases = [
        (
            Condition::Equals {
                key: "branch".into(),
                value: Value::from("main"),
            },
            "index.build",
        ),
        (
            Condition::Equals {
                key: "branch".into(),
                value: Value::from("dev"),
            },
            "chat.alert",
        ),
        (
            Condition::Equals {
                key: "changed".into(),
                // Numbers compare by value: TOML and JSON write 3 or 3.0 alike.
                value: Value::from(3.0),
            },
            "index.build",
        ),
        (
            Condition::Equals {
                key: "changed".into(),
                value: Value::from(3.5),
            },
            "chat.alert",
        ),
        (
            Condition::Equals {
                key: "seq".into(),
                // Exactly: 2^53 + 1 is not the float 2^53 it would round to.
                value: Value::from(9_007_199_254_740_992.0),
            },
            "chat.alert",
        ),
        (Condition::Exists("changed".into()), "index.build"),
        (Condition::Exists("tag".into()), "chat.alert"),
        (Condition::Exists("author".into()), "chat.alert"),
    ];
    for (i, (condition, expected)) in cases.into_iter().enumerate() {
        let task = format!("check.{i}");
        bench.define(&task, vec![Step::run("git.pull"), branch(condition)]);
        bench.calls.lock().unwrap().clear();
        let _ = bench.run(&task).await;
        assert_eq!(bench.calls(), ["git.pull", expected], "case {i}");
    }
}

#[tokio::test]
async fn step_when_first_step_and_empty_branches_ugly() {
    let bench = Bench::new();
    bench.answer("index.build", Value::from("indexed"));
    bench.answer("chat.alert", Value::Null);
    bench.answer("git.pull", Value::from("pulled"));
    bench.define(
        "first",
        vec![Step::when(
            Condition::Succeeded,
            vec![Step::run("index.build")],
            vec![Step::run("chat.alert")],
        )],
    );
    bench.define(
        "empty",
        vec![
            Step::run("git.pull"),
            Step::when(Condition::Failed, vec![], vec![]),
        ],
    );
    let _ = bench.run("first").await;
    assert_eq!(
        bench.calls(),
        ["index.build"],
        "nothing failed before the first step"
    );
    let report = bench.run("empty").await;
    assert_eq!(report.into_result().unwrap(), Value::from("pulled"));
}

// --- Condition::custom ---

/// Runs `git.pull` (answering `pulled`), then `index.build` when it pulled something and
/// `chat.alert` otherwise; returns the Actions called.
async fn nightly_after_pulling(pulled: i64) -> Vec<String> {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from(pulled));
    bench.answer("index.build", Value::Null);
    bench.answer("chat.alert", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::custom(|out| out.as_i64().is_some_and(|n| n > 0)),
                vec![Step::run("index.build")],
                vec![Step::run("chat.alert")],
            ),
        ],
    );
    let _ = bench.run("nightly").await;
    bench.calls()
}

#[tokio::test]
async fn condition_custom_true_takes_then_good() {
    assert_eq!(nightly_after_pulling(3).await, ["git.pull", "index.build"]);
}

#[tokio::test]
async fn condition_custom_false_takes_else_bad() {
    assert_eq!(nightly_after_pulling(0).await, ["git.pull", "chat.alert"]);
}

#[tokio::test]
async fn condition_custom_not_asked_after_a_failure_ugly() {
    let bench = Bench::new();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("index.build", Value::Null);
    bench.answer("chat.alert", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::custom(move |_| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    true
                }),
                vec![Step::run("index.build")],
                vec![Step::run("chat.alert")],
            ),
        ],
    );
    let report = bench.run("nightly").await;
    // The failure stops the chain: neither branch runs, and the Task failed.
    assert_eq!(asked.load(Ordering::SeqCst), 0);
    assert_eq!(bench.calls(), ["git.pull"]);
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(format!("{:?}", Condition::custom(|_| true)), "Custom");
}

#[tokio::test]
async fn condition_custom_panicking_test_fails_the_task_ugly() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from(3));
    bench.answer("index.build", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(
                Condition::custom(|_| panic!("predicate bug")),
                vec![Step::run("index.build")],
                vec![],
            ),
        ],
    );
    let report = bench
        .tasks
        .run(&(), &RunCtx::new(), "nightly")
        .await
        .unwrap();
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::INTERNAL));
}

// --- Step::with_retry and Retry ---

/// Registers `name` failing (with `code`) until its `succeed_on`th call; logs each call's
/// time.
fn flaky(
    bench: &Bench,
    name: &str,
    code: ErrorCode,
    succeed_on: usize,
) -> Arc<Mutex<Vec<Instant>>> {
    let times = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&times);
    bench
        .actions
        .register(ActionSpec::new(name, move |_, _| {
            let log = Arc::clone(&log);
            let code = code.clone();
            async move {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(Instant::now());
                    log.len()
                };
                if n >= succeed_on {
                    Ok(Value::from(format!("attempt {n}")))
                } else {
                    Err(Error::new("git.Remote.pull", "connection reset").with_code(code))
                }
            }
        }))
        .unwrap();
    times
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_succeeds_on_the_third_attempt_good() {
    let mut bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, 3);
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(3, Duration::from_millis(100)))],
    );
    let started = Instant::now();
    let report = bench.run("pull").await;
    assert!(report.is_ok(), "{:?}", report.error);
    let step = &report.steps[0];
    assert_eq!(step.attempts, 3);
    assert_eq!(step.outcome.as_ref().unwrap(), &Value::from("attempt 3"));
    // Waits of 50 to 100 ms then 100 to 200 ms (equal jitter), on the paused clock.
    let times = times.lock().unwrap();
    let first_wait = times[1] - times[0];
    let second_wait = times[2] - times[1];
    assert!(
        (Duration::from_millis(50)..=Duration::from_millis(101)).contains(&first_wait),
        "{first_wait:?}"
    );
    assert!(
        (Duration::from_millis(100)..=Duration::from_millis(201)).contains(&second_wait),
        "{second_wait:?}"
    );
    assert_eq!(step.duration, started.elapsed());
    let events = bench.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].attempts, 3);
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_never_waits_less_than_half_its_backoff_ugly() {
    // A lock held by another process: retrying at once is no use.
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, usize::MAX);
    let mut retry = Retry::new(20, Duration::from_secs(5));
    retry.max_backoff_ms = 5000;
    bench.define("pull", vec![Step::run("git.pull").with_retry(retry)]);
    assert!(bench.run("pull").await.error.is_some());
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 20);
    for pair in times.windows(2) {
        let wait = pair[1] - pair[0];
        assert!(
            (Duration::from_millis(2500)..=Duration::from_secs(5)).contains(&wait),
            "{wait:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_invalid_not_retried_by_default_bad() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::INVALID, 3);
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(5, Duration::from_millis(100)))],
    );
    let report = bench.run("pull").await;
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(times.lock().unwrap().len(), 1);
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::INVALID));
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_default_skips_unfixable_codes_bad() {
    for code in [ErrorCode::NOT_FOUND, ErrorCode::DENIED, ErrorCode::LOCKED] {
        let bench = Bench::new();
        let times = flaky(&bench, "git.pull", code.clone(), 3);
        bench.define(
            "pull",
            vec![Step::run("git.pull").with_retry(Retry::new(5, Duration::from_millis(100)))],
        );
        let report = bench.run("pull").await;
        assert_eq!(report.steps[0].attempts, 1, "{code}");
        assert_eq!(times.lock().unwrap().len(), 1, "{code}");
    }
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_exhausted_reports_every_attempt_ugly() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, usize::MAX);
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(4, Duration::from_millis(50)))],
    );
    let report = bench.run("pull").await;
    assert_eq!(report.steps[0].attempts, 4);
    assert_eq!(times.lock().unwrap().len(), 4);
    let err = report.error.unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_schema_rejection_is_invalid_and_not_retried_ugly() {
    let bench = Bench::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    bench
        .actions
        .register(
            ActionSpec::new("git.pull", move |_, _| {
                counter.fetch_add(1, Ordering::SeqCst);
                async { Ok(Value::Null) }
            })
            .schema(
                corers_messaging::Schema::new()
                    .required("path", corers_messaging::ValueKind::String),
            ),
        )
        .unwrap();
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(3, Duration::from_millis(10)))],
    );
    let report = bench.run("pull").await;
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_cancelled_during_backoff_stops_ugly() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, usize::MAX);
    let mut retry = Retry::new(10, Duration::from_secs(3_600));
    retry.max_backoff_ms = Retry::LONGEST_WAIT_MS;
    bench.define("pull", vec![Step::run("git.pull").with_retry(retry)]);
    let shutdown = CancellationToken::new();
    let ctx = RunCtx::new().with_cancel(shutdown.clone());
    let started = Instant::now();
    let cancel = async {
        // The first attempt failed at once; the step now waits out its backoff.
        while times.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        tokio::task::yield_now().await;
        shutdown.cancel();
    };
    let (report, ()) = tokio::join!(bench.tasks.run(&(), &ctx, "pull"), cancel);
    let report = report.unwrap();
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(times.lock().unwrap().len(), 1);
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "the backoff was not waited out"
    );
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_after_an_attempt_that_saw_the_cancellation_stops_ugly() {
    let bench = Bench::new();
    let shutdown = CancellationToken::new();
    let cancelling = shutdown.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    bench
        .actions
        .register(ActionSpec::new("git.pull", move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            // Shutdown begins while the attempt runs; it fails for it.
            cancelling.cancel();
            async {
                Err(Error::new("git.Remote.pull", "connection reset")
                    .with_code(ErrorCode::UNAVAILABLE))
            }
        }))
        .unwrap();
    // No backoff to wait out: only the cancellation can stop the retries.
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(3, Duration::ZERO))],
    );
    let ctx = RunCtx::new().with_cancel(shutdown);
    for _ in 0..16 {
        let report = bench.tasks.run(&(), &ctx, "pull").await.unwrap();
        if let Some(step) = report.steps.first() {
            assert_eq!(step.attempts, 1, "{report:?}");
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_backoff_ends_at_the_runs_deadline_ugly() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, usize::MAX);
    let mut retry = Retry::new(10, Duration::from_secs(20));
    retry.max_backoff_ms = Retry::LONGEST_WAIT_MS;
    bench.define("pull", vec![Step::run("git.pull").with_retry(retry)]);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
    let started = Instant::now();
    let report = bench.tasks.run(&(), &ctx, "pull").await.unwrap();
    // The run ends at its deadline, not after the remaining backoffs.
    assert!(
        started.elapsed() <= Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(report.error.is_some());
    assert!(times.lock().unwrap().len() < 10);
}

/// `git.push` behind a breaker opening after 2 failures for `cooldown`, failing its first
/// `failing` calls; counts its calls.
fn push_behind_a_breaker(bench: &Bench, failing: usize, cooldown: Duration) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    bench
        .actions
        .register(
            ActionSpec::new("git.push", move |_, _| {
                let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    if n <= failing {
                        Err(Error::new("git.Remote.push", "remote hung up")
                            .with_code(ErrorCode::UNAVAILABLE))
                    } else {
                        Ok(Value::from("pushed"))
                    }
                }
            })
            .circuit_breaker(2, cooldown),
        )
        .unwrap();
    calls
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_waits_out_an_open_breaker_ugly() {
    let bench = Bench::new();
    let calls = push_behind_a_breaker(&bench, 3, Duration::from_secs(1));
    bench.define(
        "push",
        vec![Step::run("git.push").with_retry(Retry::new(4, Duration::from_millis(100)))],
    );
    let started = Instant::now();
    let report = bench.run("push").await;
    // The breaker opened after the second failure: the third attempt (its half-open
    // trial) came after the cool-down instead of being refused, and so did the fourth.
    assert!(report.is_ok(), "{:?}", report.error);
    assert_eq!(report.steps[0].attempts, 4);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn step_with_retry_gives_up_when_the_cooldown_outlasts_the_deadline_ugly() {
    let bench = Bench::new();
    let calls = push_behind_a_breaker(&bench, usize::MAX, Duration::from_secs(30));
    bench.define(
        "push",
        vec![Step::run("git.push").with_retry(Retry::new(50, Duration::ZERO))],
    );
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(10));
    let started = Instant::now();
    let report = bench.tasks.run(&(), &ctx, "push").await.unwrap();
    // The 30-second cool-down outlasts the 10-second run: no attempt after the second.
    assert_eq!(report.steps[0].attempts, 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let err = report.error.expect("the Task failed").to_string();
    assert!(err.ends_with("git.Remote.push: remote hung up"), "{err}");
}

#[test]
fn retry_new_sets_attempts_and_backoff_good() {
    let retry = Retry::new(3, Duration::from_millis(200));
    assert_eq!(retry.attempts, 3);
    assert_eq!(retry.backoff_ms, 200);
    assert_eq!(retry.max_backoff_ms, 10_000);
    assert!(retry.retry_on.is_none());
    // A first wait longer than the default cap raises the cap: it is waited in full.
    assert_eq!(
        Retry::new(3, Duration::from_secs(60)).max_backoff_ms,
        60_000
    );
}

#[test]
fn retry_new_zero_or_too_many_attempts_refused_at_define_bad() {
    let bench = Bench::new();
    for attempts in [0, Retry::MAX_ATTEMPTS + 1, u32::MAX] {
        let err = bench
            .tasks
            .define(
                "pull",
                TaskDef::new(vec![
                    Step::run("git.pull")
                        .with_retry(Retry::new(attempts, Duration::from_millis(200))),
                ]),
            )
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        assert!(
            err.message().contains(&format!("found {attempts}")),
            "{err}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retry_new_huge_backoff_saturates_and_is_capped_ugly() {
    let retry = Retry::new(Retry::MAX_ATTEMPTS, Duration::MAX);
    assert_eq!(retry.backoff_ms, u64::MAX);
    assert_eq!(Retry::new(2, Duration::from_micros(900)).backoff_ms, 0);
    let bench = Bench::new();
    // Past an hour, a wait is refused when the Task is defined (a value in the wrong unit).
    let err = bench
        .tasks
        .define(
            "pull",
            TaskDef::new(vec![Step::run("git.pull").with_retry(retry)]),
        )
        .unwrap_err();
    assert!(err.message().contains("at most 3600000 ms"), "{err}");
    // A cap below the first wait does not cut it: the first retry waits out the run's
    // deadline, and the run ends there instead of spinning.
    let mut capped = Retry::new(Retry::MAX_ATTEMPTS, Duration::from_secs(3600));
    capped.max_backoff_ms = 10_000;
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, 3);
    bench.define("pull", vec![Step::run("git.pull").with_retry(capped)]);
    let ctx = RunCtx::new().with_timeout(Duration::from_secs(60));
    let report = bench.tasks.run(&(), &ctx, "pull").await.unwrap();
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(times.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_on_listed_code_retried_good() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::TIMEOUT, 2);
    bench.define(
        "pull",
        vec![
            Step::run("git.pull")
                .with_retry(Retry::new(3, Duration::from_millis(10)).on(&[ErrorCode::TIMEOUT])),
        ],
    );
    let report = bench.run("pull").await;
    assert!(report.is_ok());
    assert_eq!(report.steps[0].attempts, 2);
    assert_eq!(times.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_on_unlisted_code_not_retried_bad() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, 2);
    bench.define(
        "pull",
        vec![
            Step::run("git.pull")
                .with_retry(Retry::new(3, Duration::from_millis(10)).on(&[ErrorCode::TIMEOUT])),
        ],
    );
    let report = bench.run("pull").await;
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(times.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_on_application_codes_and_invalid_when_listed_ugly() {
    let dirty = ErrorCode::new("GIT_DIRTY").unwrap();
    let retry = Retry::new(3, Duration::from_millis(10)).on(&[dirty.clone(), ErrorCode::INVALID]);
    assert_eq!(
        retry.retry_on.as_deref(),
        Some(&[dirty.clone(), ErrorCode::INVALID][..])
    );
    for code in [dirty, ErrorCode::INVALID] {
        let bench = Bench::new();
        let times = flaky(&bench, "git.pull", code.clone(), 2);
        bench.define(
            "pull",
            vec![Step::run("git.pull").with_retry(retry.clone())],
        );
        let report = bench.run("pull").await;
        assert!(report.is_ok(), "{code}");
        assert_eq!(times.lock().unwrap().len(), 2, "{code}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_on_empty_list_retries_nothing_ugly() {
    let bench = Bench::new();
    let times = flaky(&bench, "git.pull", ErrorCode::UNAVAILABLE, 2);
    bench.define(
        "pull",
        vec![Step::run("git.pull").with_retry(Retry::new(3, Duration::from_millis(10)).on(&[]))],
    );
    let report = bench.run("pull").await;
    assert_eq!(report.steps[0].attempts, 1);
    assert_eq!(times.lock().unwrap().len(), 1);
}

// --- Step::with_timeout ---

#[test]
fn step_with_timeout_zero_is_refused_at_define_bad() {
    let bench = Bench::new();
    let err = bench
        .tasks
        .define(
            "pull",
            TaskDef::new(vec![Step::run("git.pull").with_timeout(Duration::ZERO)]),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("zero timeout"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn step_with_timeout_ends_a_slow_step_with_timeout_good() {
    let bench = Bench::new();
    bench
        .actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    bench.define(
        "nightly",
        vec![Step::run("index.build").with_timeout(Duration::from_secs(5))],
    );
    let started = Instant::now();
    let report = bench.run("nightly").await;
    let err = report.steps[0].outcome.as_ref().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    // Which setting ran out: the step's, not a deadline of the caller's.
    assert_eq!(err.message(), "the step's timeout of 5000 ms passed");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited <= Duration::from_millis(5_001),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn step_with_timeout_a_handlers_own_timeout_is_not_the_steps_bad() {
    // An upstream that timed out on its own, well within the step's 30 s: its error as is.
    let bench = Bench::new();
    bench.fail("index.build", ErrorCode::TIMEOUT);
    bench.define(
        "nightly",
        vec![Step::run("index.build").with_timeout(Duration::from_secs(30))],
    );
    let report = bench.run("nightly").await;
    let err = report.steps[0].outcome.as_ref().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(!err.message().contains("the step's timeout"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn step_with_timeout_on_a_group_bounds_every_member_ugly() {
    let bench = Bench::new();
    for name in ["index.build", "index.verify"] {
        bench
            .actions
            .register(ActionSpec::new(name, |_, _| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(Value::Null)
            }))
            .unwrap();
    }
    bench.define(
        "nightly",
        vec![
            Step::parallel(vec![Step::run("index.build"), Step::run("index.verify")])
                .with_timeout(Duration::from_secs(5)),
        ],
    );
    let started = Instant::now();
    let report = bench.run("nightly").await;
    let codes: Vec<_> = report
        .steps
        .iter()
        .map(|s| s.outcome.as_ref().unwrap_err().code().cloned())
        .collect();
    assert_eq!(codes, [Some(ErrorCode::TIMEOUT), Some(ErrorCode::TIMEOUT)]);
    assert!(started.elapsed() <= Duration::from_millis(5_001));
}

#[tokio::test(start_paused = true)]
async fn step_with_timeout_stops_the_task_naming_the_step_bad() {
    let bench = Bench::new();
    bench
        .actions
        .register(ActionSpec::new("index.build", |_, _| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(Value::Null)
        }))
        .unwrap();
    bench.answer("chat.announce", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("index.build").with_timeout(Duration::from_secs(1)),
            Step::run("chat.announce"),
        ],
    );
    let err = bench.run("nightly").await.into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(err.message().contains(r#"step 1 ("index.build")"#), "{err}");
    assert!(bench.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn step_with_timeout_applies_to_each_retry_attempt_ugly() {
    let bench = Bench::new();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&attempts);
    bench
        .actions
        .register(ActionSpec::new("index.build", move |_, _| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                // The first two attempts hang; the third is quick.
                if n < 2 {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                Ok(Value::from("built"))
            }
        }))
        .unwrap();
    bench.define(
        "nightly",
        vec![
            Step::run("index.build")
                .with_timeout(Duration::from_secs(2))
                .with_retry(Retry::new(3, Duration::ZERO)),
        ],
    );
    let started = Instant::now();
    let report = bench.run("nightly").await;
    assert!(report.is_ok(), "{:?}", report.error);
    assert_eq!(report.steps[0].attempts, 3);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited <= Duration::from_millis(4_002),
        "{waited:?}"
    );
}

#[test]
fn step_with_timeout_on_a_when_step_reaches_both_branches_ugly() {
    let step = Step::when(
        Condition::Succeeded,
        vec![Step::run("chat.announce")],
        vec![Step::parallel(vec![Step::run("pager.alert")])],
    )
    .with_timeout(Duration::from_secs(1))
    .with_retry(Retry::new(3, Duration::from_millis(1)))
    .detached()
    .with_previous();
    let Step::When {
        then, otherwise, ..
    } = step
    else {
        panic!("still a when step");
    };
    let Step::Parallel(group) = &otherwise[0] else {
        panic!("a parallel step");
    };
    for step in [&then[0], &group[0]] {
        let Step::Run(run) = step else {
            panic!("a run step");
        };
        assert_eq!(run.timeout, Some(Duration::from_secs(1)), "{}", run.action);
        assert!(
            run.retry.is_some() && run.detached && run.previous,
            "{}",
            run.action
        );
    }
}

// --- Step::detached ---

#[tokio::test(start_paused = true)]
async fn step_detached_does_not_block_the_chain_and_reports_by_event_good() {
    let mut bench = Bench::new();
    let gate = Arc::new(Notify::new());
    let wait = Arc::clone(&gate);
    bench
        .actions
        .register(ActionSpec::new("search.reindex", move |_, _| {
            let wait = Arc::clone(&wait);
            async move {
                wait.notified().await;
                Ok(Value::from(120))
            }
        }))
        .unwrap();
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![
            Step::run("search.reindex").detached(),
            Step::run("chat.announce"),
        ],
    );
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        bench.tasks.run(&(), &RunCtx::new(), "nightly"),
    )
    .await
    .expect("the detached step blocked the chain")
    .unwrap();
    assert!(report.is_ok());
    assert_eq!(bench.calls(), ["chat.announce"]);
    let events = bench.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "chat.announce");

    gate.notify_one();
    let event = bench.events.recv().await.unwrap();
    assert_eq!(event.task, "nightly");
    assert_eq!(event.step, "1");
    assert_eq!(event.action, "search.reindex");
    assert!(event.detached);
    assert!(event.code.is_none());
    assert_eq!(event.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn step_detached_failure_arrives_only_as_an_event_bad() {
    let mut bench = Bench::new();
    bench.fail("search.reindex", ErrorCode::UNAVAILABLE);
    bench.answer("chat.announce", Value::from("announced"));
    bench.define(
        "nightly",
        vec![
            Step::run("search.reindex").detached(),
            Step::run("chat.announce"),
        ],
    );
    let report = bench.run("nightly").await;
    assert!(report.is_ok());
    let mut events = Vec::new();
    while events.len() < 2 {
        events.push(bench.events.recv().await.unwrap());
    }
    let detached = events.iter().find(|e| e.detached).unwrap();
    assert_eq!(detached.action, "search.reindex");
    assert_eq!(detached.code, Some(ErrorCode::UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn step_detached_report_is_null_and_previous_skips_it_ugly() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("a1b2c3"));
    bench.answer("search.reindex", Value::from(120));
    bench.echo("index.build");
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::run("search.reindex").detached(),
            Step::run("index.build").with_previous(),
        ],
    );
    let report = bench.run("nightly").await;
    let detached = &report.steps[1];
    assert_eq!(detached.action, "search.reindex");
    assert!(detached.detached && !report.steps[0].detached);
    assert_eq!(detached.attempts, 0);
    assert_eq!(detached.outcome.as_ref().unwrap(), &Value::Null);
    assert_eq!(detached.duration, Duration::ZERO);
    // The step after a detached one gets the output from before it.
    assert_eq!(
        report.into_result().unwrap(),
        options! { "input" => "a1b2c3" }.into_value()
    );
}

// --- Tasks::check ---

#[tokio::test]
async fn tasks_check_every_action_registered_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::Null);
    bench.answer("index.build", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::parallel(vec![Step::run("index.build")]),
        ],
    );
    assert!(bench.tasks.check("nightly").is_ok());
}

#[tokio::test]
async fn tasks_check_unknown_task_not_found_bad() {
    let bench = Bench::new();
    let err = bench.tasks.check("nightyl").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn tasks_check_names_each_unknown_action_once_in_branches_and_groups_ugly() {
    // The branch that runs only on failure is where a typo hides longest.
    let bench = Bench::new();
    bench.answer("git.pull", Value::Null);
    bench.answer("pager.alert", Value::Null);
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::parallel(vec![Step::run("index.biuld"), Step::run("index.biuld")]),
            Step::when(Condition::Failed, vec![Step::run("pager.alrt")], vec![]),
        ],
    );
    let err = bench.tasks.check("nightly").unwrap_err();
    assert_eq!(
        err.message(),
        r#"task "nightly" runs actions nobody registered: "index.biuld", "pager.alrt" (did you mean "pager.alert"?)"#
    );
}

// --- TaskReport ---

#[tokio::test]
async fn task_report_is_ok_when_every_step_succeeded_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::Null);
    bench.define("pull", vec![Step::run("git.pull")]);
    assert!(bench.run("pull").await.is_ok());
}

#[tokio::test]
async fn task_report_is_ok_false_after_a_failure_bad() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.define("pull", vec![Step::run("git.pull")]);
    assert!(!bench.run("pull").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn task_report_is_ok_ignores_detached_outcomes_ugly() {
    let bench = Bench::new();
    bench.fail("search.reindex", ErrorCode::UNAVAILABLE);
    bench.define("reindex", vec![Step::run("search.reindex").detached()]);
    let report = bench.run("reindex").await;
    assert!(report.is_ok());
}

#[tokio::test]
async fn task_report_is_ok_when_a_failure_was_taken_by_a_branch_ugly() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("chat.alert", Value::Null);
    bench.define(
        "pull",
        vec![
            Step::run("git.pull"),
            Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![]),
        ],
    );
    let report = bench.run("pull").await;
    // The step report keeps the failure; the Task itself ran to its end.
    assert!(report.steps[0].outcome.is_err());
    assert!(report.is_ok());
}

#[tokio::test]
async fn task_report_into_result_is_the_last_output_good() {
    let bench = Bench::new();
    bench.answer("git.pull", Value::from("pulled"));
    bench.answer("index.build", Value::from(4200));
    bench.define(
        "nightly",
        vec![Step::run("git.pull"), Step::run("index.build")],
    );
    assert_eq!(
        bench.run("nightly").await.into_result().unwrap(),
        Value::from(4200)
    );
}

#[tokio::test]
async fn task_report_into_result_is_the_stopping_error_bad() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::DENIED);
    bench.define("nightly", vec![Step::run("git.pull")]);
    let err = bench.run("nightly").await.into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    assert_eq!(err.operation(), "messaging.Tasks.run");
    // The Action's own error is the cause.
    assert!(err.to_string().contains("git.pull went wrong"), "{err}");
}

#[tokio::test]
async fn task_report_into_result_after_a_taken_failure_is_the_branch_output_ugly() {
    let bench = Bench::new();
    bench.fail("git.pull", ErrorCode::UNAVAILABLE);
    bench.answer("chat.alert", Value::from("alerted"));
    bench.define(
        "nightly",
        vec![
            Step::run("git.pull"),
            Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![]),
        ],
    );
    assert_eq!(
        bench.run("nightly").await.into_result().unwrap(),
        Value::from("alerted")
    );
}

#[tokio::test]
async fn step_positions_past_nine_and_inside_groups_count_in_decimal_ugly() {
    let bench = Bench::new();
    bench.echo("cache.flush");
    let mut steps = vec![Step::run("cache.flush"); 11];
    steps.push(Step::parallel(vec![Step::run("cache.flush"); 10]));
    bench.define("long", steps);
    let report = bench.run("long").await;
    assert!(report.is_ok());
    let positions: Vec<&str> = steps_of(&report).into_iter().map(|(p, _)| p).collect();
    assert_eq!(&positions[9..12], ["10", "11", "12.1"]);
    assert_eq!(positions.last(), Some(&"12.10"));
}

// --- Tasks::run_with ---

/// Actions that answer with the options they were given, as "action: k=v, …".
fn echoing(names: &[&str]) -> Tasks<()> {
    let actions: Actions<()> = Actions::new(Bus::new());
    for name in names {
        let name = (*name).to_owned();
        actions
            .register(ActionSpec::new(name.clone(), move |_, opts: Options| {
                let name = name.clone();
                async move {
                    let given: Vec<String> = opts.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    Ok(Value::from(format!("{name}: {}", given.join(", "))))
                }
            }))
            .unwrap();
    }
    Tasks::new(actions)
}

#[tokio::test]
async fn tasks_run_with_input_reaches_the_first_step_that_takes_it_good() {
    let tasks = echoing(&["deploy.push", "chat.announce"]);
    tasks
        .define(
            "deploy",
            TaskDef::new(vec![
                Step::when(
                    Condition::Succeeded,
                    vec![Step::run("deploy.push").with_previous()],
                    vec![],
                ),
                Step::run("chat.announce"),
            ]),
        )
        .unwrap();
    let report = tasks
        .run_with(
            &(),
            &RunCtx::new(),
            "deploy",
            options! { "target" => "staging" },
        )
        .await
        .unwrap();
    assert!(report.is_ok());
    let outputs: Vec<String> = report
        .steps
        .iter()
        .map(|s| s.outcome.as_ref().unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outputs,
        ["deploy.push: target=\"staging\"", "chat.announce: "]
    );
}

#[tokio::test]
async fn tasks_run_with_unknown_task_not_found_bad() {
    let tasks = echoing(&["deploy.push"]);
    let err = tasks
        .run_with(
            &(),
            &RunCtx::new(),
            "deploy",
            options! { "target" => "staging" },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn tasks_run_with_empty_input_or_a_step_that_takes_none_ugly() {
    // A first step without `input = "previous"` never sees the input; empty input is a
    // success with nothing in it.
    let tasks = echoing(&["deploy.push"]);
    tasks
        .define(
            "deploy",
            TaskDef::new(vec![
                Step::run("deploy.push").with_options(options! { "dry_run" => true }),
            ]),
        )
        .unwrap();
    let report = tasks
        .run_with(
            &(),
            &RunCtx::new(),
            "deploy",
            options! { "target" => "staging" },
        )
        .await
        .unwrap();
    assert_eq!(
        report.into_result().unwrap(),
        Value::from("deploy.push: dry_run=true")
    );
    tasks
        .define(
            "piped",
            TaskDef::new(vec![Step::run("deploy.push").with_previous()]),
        )
        .unwrap();
    let report = tasks
        .run_with(&(), &RunCtx::new(), "piped", Options::new())
        .await
        .unwrap();
    assert_eq!(report.into_result().unwrap(), Value::from("deploy.push: "));
}
