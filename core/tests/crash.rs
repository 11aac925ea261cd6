//! Crash reports under `run_blocking`: the process's panic hook reports to the running
//! Core's logger. In a test binary of its own, as the panic hook and the default logger are
//! process-wide.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use corers::prelude::*;

#[test]
fn core_run_blocking_crash_reports_go_to_the_running_cores_logger_ugly() {
    let crashes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&crashes);
    let app = Core::builder()
        .name("workbench")
        .on_crash(move |report| {
            assert!(
                report.message.contains("index out of bounds"),
                "{}",
                report.message
            );
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .command(
            "reindex",
            Command::new().action(|_: Core, _| async {
                let shards: Vec<u8> = Vec::new();
                Ok(Value::from(i64::from(shards[std::hint::black_box(3)])))
            }),
        )
        .build()
        .unwrap();
    // A second Core, built after the application's (a helper, a test fixture).
    let _helper = Core::builder().name("helper").build().unwrap();
    assert_eq!(app.run_blocking_with(["reindex"]), ExitCode::from(70));
    assert_eq!(crashes.load(Ordering::SeqCst), 1);
}
