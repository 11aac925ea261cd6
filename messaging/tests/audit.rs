//! The audit trail of registrations (`BusBuilder::logger`): every bus handler, Action and
//! event listener registered is recorded as `handler.added`; refused registrations are not.
//! The bus's own troubles (a handler's panic) reach that logger too.

use std::sync::Arc;
use std::thread;

use corers_log::{Level, Logger, MemorySink, Output};
use corers_messaging::{ActionSpec, Actions, Bus, Query, Task};
use corers_primitives::{ErrorCode, Value};
use serde_json::Value as Json;

struct WorkspaceCreated;

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

struct Reindex;
impl Task for Reindex {
    type Output = usize;
}

/// A bus whose logger is quiet but keeps an audit output, and that output.
fn audited_bus() -> (Bus<()>, MemorySink) {
    let trail = MemorySink::new();
    let log = Logger::builder()
        .level(Level::Quiet)
        .audit_output(Output::Memory(trail.clone()))
        .build();
    (Bus::builder().logger(log).build().unwrap(), trail)
}

/// The `(kind, name)` of every `handler.added` line in `trail`, in order.
fn added(trail: &MemorySink) -> Vec<(String, String)> {
    trail
        .lines()
        .iter()
        .map(|line| {
            let line: Json = serde_json::from_str(line).unwrap();
            let fields = &line["fields"];
            assert_eq!(fields["event"], "handler.added", "{line}");
            (
                fields["kind"].as_str().unwrap().to_owned(),
                fields["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(kind, name)| ((*kind).to_owned(), (*name).to_owned()))
        .collect()
}

#[tokio::test]
async fn bus_builder_logger_every_registration_audited_good() {
    let (bus, trail) = audited_bus();
    bus.on(|_, _: &WorkspaceCreated| Ok(()));
    bus.on_query(|_, _: &WorkspaceCount| Some(Ok(2)));
    bus.on_task(|_, _: &Reindex| Some(Ok(35)));
    bus.observe(|_, _| {});
    let actions = Actions::new(bus.clone());
    actions
        .register(ActionSpec::new("workspace.create", |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap();
    actions
        .listen("workspace.created", |_, _| async { Ok(Value::Null) })
        .unwrap();
    assert_eq!(
        added(&trail),
        pairs(&[
            ("broadcast", "audit::WorkspaceCreated"),
            ("query", "audit::WorkspaceCount"),
            ("task", "audit::Reindex"),
            ("observer", "*"),
            ("action", "workspace.create"),
            ("listener", "workspace.created"),
        ])
    );
}

#[tokio::test]
async fn bus_builder_logger_refused_registration_not_audited_bad() {
    let (bus, trail) = audited_bus();
    let actions = Actions::new(bus.clone());
    let refused = actions
        .register(ActionSpec::new("Workspace Create!", |_, _| async {
            Ok(Value::Null)
        }))
        .unwrap_err();
    assert_eq!(refused.code(), Some(&ErrorCode::INVALID));
    actions.seal();
    assert!(
        actions
            .listen("workspace.created", |_, _| async { Ok(Value::Null) })
            .is_err()
    );
    // A removal is not an addition.
    let id = bus.on(|_, _: &WorkspaceCreated| Ok(()));
    bus.remove(id);
    assert_eq!(
        added(&trail),
        pairs(&[("broadcast", "audit::WorkspaceCreated")])
    );
}

#[test]
fn bus_builder_logger_registrations_from_many_threads_each_one_line_ugly() {
    let (bus, trail) = audited_bus();
    let bus = Arc::new(bus);
    thread::scope(|scope| {
        for _ in 0..4 {
            let bus = Arc::clone(&bus);
            scope.spawn(move || {
                for _ in 0..25 {
                    bus.on(|_, _: &WorkspaceCreated| Ok(()));
                }
            });
        }
    });
    let added = added(&trail);
    assert_eq!(added.len(), 100);
    assert!(
        added
            .iter()
            .all(|(kind, name)| kind == "broadcast" && name == "audit::WorkspaceCreated")
    );
    assert_eq!(
        bus.broadcast(&(), &WorkspaceCreated).unwrap().handled(),
        100
    );
}

#[test]
fn bus_builder_logger_receives_a_handler_panic_from_any_thread_ugly() {
    // The panicking thread has no subscriber of its own: the bus's logger hears it.
    let sink = MemorySink::new();
    let log = Logger::builder()
        .level(Level::Error)
        .output(Output::Memory(sink.clone()))
        .build();
    let bus: Bus<()> = Bus::builder().logger(log).build().unwrap();
    bus.on(|_, _: &WorkspaceCreated| -> corers_primitives::Result<()> { panic!("index corrupt") });
    let report = thread::spawn(move || bus.broadcast(&(), &WorkspaceCreated).unwrap())
        .join()
        .unwrap();
    assert_eq!(report.failures().len(), 1);
    let written = sink.contents();
    assert!(written.contains("handler panicked"), "{written}");
    assert!(written.contains("index corrupt"), "{written}");
}

#[tokio::test]
async fn actions_refused_run_is_logged_at_debug_with_its_code_good() {
    // Events off: the log still shows a made-up name and a schema refusal.
    let sink = MemorySink::new();
    let log = Logger::builder()
        .level(Level::Debug)
        .output(Output::Memory(sink.clone()))
        .build();
    let bus: Bus<()> = Bus::builder().logger(log).build().unwrap();
    let actions = Actions::new(bus);
    actions
        .register(
            ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) }).schema(
                corers_messaging::Schema::new()
                    .required("path", corers_messaging::ValueKind::String),
            ),
        )
        .unwrap();
    let ctx = corers_messaging::RunCtx::new();
    let options = corers_primitives::Options::new();
    let _ = actions.run(&(), &ctx, "git.lgo", options.clone()).await;
    let _ = actions.run(&(), &ctx, "git.log", options).await;
    let written = sink.contents();
    let refusals: Vec<&str> = written
        .lines()
        .filter(|line| line.contains("action refused"))
        .collect();
    assert_eq!(refusals.len(), 2, "{written}");
    assert!(
        refusals[0].contains("git.lgo") && refusals[0].contains("NOT_FOUND"),
        "{written}"
    );
    assert!(refusals[1].contains("missing required input"), "{written}");
}
