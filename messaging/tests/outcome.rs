//! What dispatches return: [`Report`] for broadcasts (handled count, failures, joining them
//! into one error) and [`Outcome`] for queries and tasks (answered, failed, nobody answered).

use corers_messaging::{Bus, Outcome, Query, Report};
use corers_primitives::{Error, ErrorCode, Result};

struct WorkspaceCreated {
    name: &'static str,
}

struct CacheFlushed;

struct ConfigValue(&'static str);
impl Query for ConfigValue {
    type Answer = String;
}

fn flush_failed() -> Error {
    Error::new("cache.Redis.flush", "connection refused").with_code(ErrorCode::UNAVAILABLE)
}

// ---- Report::handled ----

#[test]
fn report_handled_counts_every_handler_good() {
    let bus: Bus<()> = Bus::new();
    for _ in 0..3 {
        bus.on(|_, created: &WorkspaceCreated| {
            assert_eq!(created.name, "alpha");
            Ok(())
        });
    }
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(report.handled(), 3);
    assert!(report.is_ok(), "every handler saw the message: {report:?}");
}

#[test]
fn report_handled_is_zero_without_handlers_bad() {
    let bus: Bus<()> = Bus::new();
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(report.handled(), 0);
}

#[test]
fn report_handled_counts_failed_and_panicked_handlers_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Err(flush_failed()));
    bus.on(|_, _: &CacheFlushed| -> Result<()> { panic!("redis client poisoned") });
    bus.on(|_, _: &CacheFlushed| Ok(()));
    let report = bus.broadcast(&(), &CacheFlushed).unwrap();
    assert_eq!(report.handled(), 3);
}

// ---- Report::failures ----

#[test]
fn report_failures_name_the_failing_handlers_in_order_good() {
    let bus: Bus<()> = Bus::new();
    let first = bus.on(|_, _: &CacheFlushed| Err(flush_failed()));
    bus.on(|_, _: &CacheFlushed| Ok(()));
    let third = bus.on(|_, _: &CacheFlushed| {
        Err(Error::new("cache.Disk.flush", "disk full").with_code(ErrorCode::INTERNAL))
    });
    let report = bus.broadcast(&(), &CacheFlushed).unwrap();
    let failed: Vec<_> = report
        .failures()
        .iter()
        .map(|f| (f.handler, f.error.operation().to_owned()))
        .collect();
    assert_eq!(
        failed,
        [
            (first, "cache.Redis.flush".to_owned()),
            (third, "cache.Disk.flush".to_owned())
        ]
    );
}

#[test]
fn report_failures_empty_when_every_handler_succeeds_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Ok(()));
    bus.on(|_, _: &CacheFlushed| Ok(()));
    let report = bus.broadcast(&(), &CacheFlushed).unwrap();
    assert!(report.failures().is_empty());
}

#[test]
fn report_failures_panic_becomes_internal_error_ugly() {
    let bus: Bus<()> = Bus::new();
    let id = bus.on(|_, _: &CacheFlushed| -> Result<()> { panic!("redis client poisoned") });
    let report = bus.broadcast(&(), &CacheFlushed).unwrap();
    let [failure] = report.failures() else {
        panic!("expected one failure, got {:?}", report.failures());
    };
    assert_eq!(failure.handler, id);
    assert_eq!(failure.error.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(failure.error.operation(), "messaging.Bus.broadcast");
    assert_eq!(failure.error.message(), "panicked: redis client poisoned");
}

// ---- Report::is_ok ----

#[test]
fn report_is_ok_when_every_handler_succeeds_good() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Ok(()));
    assert!(bus.broadcast(&(), &CacheFlushed).unwrap().is_ok());
}

#[test]
fn report_is_ok_false_when_one_handler_fails_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Ok(()));
    bus.on(|_, _: &CacheFlushed| Err(flush_failed()));
    assert!(!bus.broadcast(&(), &CacheFlushed).unwrap().is_ok());
}

#[test]
fn report_is_ok_true_when_nobody_listens_ugly() {
    let bus: Bus<()> = Bus::new();
    let report = bus.broadcast(&(), &CacheFlushed).unwrap();
    assert!(report.is_ok());
    assert!(Report::default().is_ok());
}

// ---- Report::into_result ----

#[test]
fn report_into_result_ok_with_handled_count_good() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &WorkspaceCreated| Ok(()));
    bus.on(|_, _: &WorkspaceCreated| Ok(()));
    let handled = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(handled, 2);
}

#[test]
fn report_into_result_single_failure_is_that_error_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Ok(()));
    bus.on(|_, _: &CacheFlushed| Err(flush_failed()));
    let err = bus
        .broadcast(&(), &CacheFlushed)
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cache.Redis.flush: connection refused [UNAVAILABLE]"
    );
    assert!(err.joined().is_empty());
}

#[test]
fn report_into_result_joins_every_failure_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &CacheFlushed| Err(flush_failed()));
    bus.on(|_, _: &CacheFlushed| Ok(()));
    bus.on(|_, _: &CacheFlushed| -> Result<()> { panic!("disk cache poisoned") });
    let err = bus
        .broadcast(&(), &CacheFlushed)
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(err.joined().len(), 2);
    assert_eq!(err.joined()[0].operation(), "cache.Redis.flush");
    assert_eq!(err.joined()[1].code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(
        err.to_string(),
        "messaging.Bus.broadcast: 2 failed: cache.Redis.flush: connection refused [UNAVAILABLE]; \
         messaging.Bus.broadcast: panicked: disk cache poisoned [INTERNAL]"
    );
    // The parts disagree on their code: the joined error has the first one's.
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(err.operation(), "messaging.Bus.broadcast");
}

// ---- Outcome::answer ----

#[test]
fn outcome_answer_some_when_answered_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ConfigValue| Some(Ok(format!("/srv/{}", q.0))));
    let answer = bus.query(&(), &ConfigValue("workspace.root")).answer();
    assert_eq!(answer.as_deref(), Some("/srv/workspace.root"));
}

#[test]
fn outcome_answer_none_when_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    assert_eq!(
        bus.query(&(), &ConfigValue("workspace.root")).answer(),
        None
    );
}

#[test]
fn outcome_answer_none_when_failed_ugly() {
    let outcome: Outcome<String> = Outcome::Failed(
        Error::new("config.Config.get", "config file unreadable").with_code(ErrorCode::INTERNAL),
    );
    assert_eq!(outcome.answer(), None);
}

// ---- Outcome::into_result ----

#[test]
fn outcome_into_result_answered_is_ok_some_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &ConfigValue| Some(Ok("/srv/ws".to_owned())));
    let result = bus.query(&(), &ConfigValue("workspace.root")).into_result();
    assert_eq!(result.unwrap().as_deref(), Some("/srv/ws"));
}

#[test]
fn outcome_into_result_failed_is_err_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ConfigValue| {
        Some(Err(Error::new(
            "config.Config.get",
            format!("no key {:?}", q.0),
        )
        .with_code(ErrorCode::NOT_FOUND)))
    });
    let err = bus
        .query(&(), &ConfigValue("workspace.root"))
        .into_result()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.message(), "no key \"workspace.root\"");
}

#[test]
fn outcome_into_result_not_handled_is_ok_none_not_an_error_ugly() {
    let bus: Bus<()> = Bus::new();
    // A handler that declines everything is the same as no handler at all.
    bus.on_query(|_, _: &ConfigValue| None);
    let result = bus.query(&(), &ConfigValue("workspace.root")).into_result();
    assert_eq!(result.unwrap(), None);
}
