//! An application's own tracing subscriber (an OpenTelemetry layer, a JSON formatter), set
//! up before the Core runs: `run_blocking` sends the framework's events and the handlers'
//! there, not to the Core's logger. One test in its own binary: the global default is
//! process-wide.

use corers::log::tracing_subscriber::layer::SubscriberExt as _;
use corers::log::{Format, LogLayer, MemorySink, Output, Redactor};
use corers::prelude::*;

#[test]
fn core_run_blocking_logs_to_the_applications_own_subscriber_ugly() {
    let sink = MemorySink::new();
    let own = LogLayer::new(
        Format::Human,
        Output::Memory(sink.clone()),
        Redactor::default(),
    );
    tracing::subscriber::set_global_default(corers::log::tracing_subscriber::registry().with(own))
        .unwrap();
    let exit = Core::builder()
        .global_logging(false)
        .command(
            "cache/flush",
            Command::new().action(|_, _| async {
                tracing::info!(keys = 12, "cache flushed");
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap()
        .run_blocking_with(["cache", "flush"]);
    assert_eq!(exit, std::process::ExitCode::SUCCESS);
    let logged = sink.contents();
    assert!(logged.contains("cache flushed keys=12"), "{logged}");
}
