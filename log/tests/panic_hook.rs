//! Process-wide state: [`Logger::make_default`] and [`install_panic_hook`], which routes
//! every panic to the default logger's crash reporter.
//!
//! Under `cargo test` these tests share one process, so each takes [`serial`] for its whole
//! run, makes its own logger the default, and restores the standard panic hook before it
//! asserts (so a failing assertion prints normally). Tests that may abort the process run
//! in a child copy of this binary.

mod common;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use corers_log::{Format, Level, Logger, MemorySink, default_logger, install_panic_hook};
use corers_primitives::{Error, ErrorCode};

use common::capture;

/// Set in a child process started by [`run_in_child`].
const CHILD: &str = "CORERS_LOG_PANIC_HOOK_CHILD";

/// Serialises the tests of this file: they all change process-wide state.
fn serial() -> MutexGuard<'static, ()> {
    static GLOBAL: Mutex<()> = Mutex::new(());
    GLOBAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A captured logger made the default, with the panic hook installed; dropping it puts the
/// standard hook back.
struct Hooked {
    log: Logger,
    sink: MemorySink,
}

impl Hooked {
    fn install() -> Hooked {
        let (log, sink) = capture(Format::Human, Level::Info);
        log.make_default();
        install_panic_hook();
        Hooked { log, sink }
    }
}

impl Drop for Hooked {
    fn drop(&mut self) {
        // `take_hook` removes ours and leaves the standard hook in place.
        let _ = std::panic::take_hook();
    }
}

/// Runs the test `name` alone in a fresh copy of this binary, with [`CHILD`] set; returns
/// whether it passed, and its output.
fn run_in_child(name: &str) -> (bool, String) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--include-ignored", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && text.contains("1 passed"), text)
}

/// A config whose `Debug` panics.
struct BrokenConfig;

impl fmt::Debug for BrokenConfig {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("config Debug broke")
    }
}

// ---------------------------------------------------------------- install_panic_hook

#[test]
fn install_panic_hook_records_caught_panic_with_backtrace_good() {
    let _serial = serial();
    let hooked = Hooked::install();
    let caught = catch_unwind(|| panic!("worker crashed"));
    let report = hooked.log.crash().reports(1).unwrap().remove(0);
    let logged = hooked.sink.contents();
    drop(hooked);
    assert!(caught.is_err());
    assert_eq!(
        (
            report.message.as_str(),
            report.location.is_some_and(|l| l.contains("panic_hook.rs")),
            report.backtrace.is_some(),
            logged.contains("ERROR corers_log::crash: panic: worker crashed")
        ),
        ("worker crashed", true, true, true)
    );
}

#[test]
fn install_panic_hook_spawned_panic_not_recorded_twice_bad() {
    let _serial = serial();
    let hooked = Hooked::install();
    let handle = hooked
        .log
        .crash()
        .spawn_thread("indexer", || -> () { panic!("index out of range") })
        .unwrap();
    let outcome = handle.join().unwrap();
    let reports = hooked.log.crash().reports(10).unwrap();
    drop(hooked);
    assert!(outcome.is_err());
    assert_eq!(
        reports
            .iter()
            .map(|r| (r.message.as_str(), r.backtrace.is_some()))
            .collect::<Vec<_>>(),
        [("index out of range", true)]
    );
}

#[test]
fn install_panic_hook_twice_still_one_report_per_panic_ugly() {
    let _serial = serial();
    let hooked = Hooked::install();
    install_panic_hook();
    let _ = catch_unwind(|| panic!("worker crashed"));
    let count = hooked.log.crash().reports(10).unwrap().len();
    drop(hooked);
    assert_eq!(count, 1);
}

#[test]
fn install_panic_hook_structured_error_payload_ugly() {
    let _serial = serial();
    let hooked = Hooked::install();
    let missing = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
    let _ = catch_unwind(AssertUnwindSafe(|| {
        hooked.log.must(
            Err::<(), _>(missing),
            "config.Config.load",
            "load workspace.toml",
        );
    }));
    let message = hooked.log.crash().reports(1).unwrap().remove(0).message;
    drop(hooked);
    assert_eq!(
        message,
        "config.Config.load: load workspace.toml [NOT_FOUND]: fs.Fs.read: no such file"
    );
}

#[test]
fn install_panic_hook_other_loggers_spawn_recorded_by_both_ugly() {
    // The hook reports to the default logger; the spawning logger records its own report.
    let _serial = serial();
    let hooked = Hooked::install();
    let (worker, _worker_sink) = capture(Format::Human, Level::Info);
    let handle = worker
        .crash()
        .spawn_thread("git-sync", || -> () { panic!("remote hung up") })
        .unwrap();
    let _ = handle.join().unwrap();
    let default_reports = hooked.log.crash().reports(10).unwrap();
    drop(hooked);
    let worker_reports = worker.crash().reports(10).unwrap();
    assert_eq!(
        (
            default_reports.len(),
            worker_reports.len(),
            worker_reports[0].message.as_str()
        ),
        (1, 1, "remote hung up")
    );
}

#[test]
fn install_panic_hook_panicking_on_crash_does_not_abort_ugly() {
    if std::env::var_os(CHILD).is_some() {
        let log = Logger::builder()
            .output(corers_log::Output::Memory(MemorySink::new()))
            .on_crash(|_| panic!("pager service unreachable"))
            .build();
        log.make_default();
        install_panic_hook();
        let caught = catch_unwind(|| panic!("worker crashed"));
        let _ = std::panic::take_hook();
        assert!(caught.is_err());
        assert_eq!(log.crash().reports(1).unwrap()[0].message, "worker crashed");
        return;
    }
    let (passed, output) =
        run_in_child("install_panic_hook_panicking_on_crash_does_not_abort_ugly");
    assert!(passed, "child failed:\n{output}");
}

#[test]
fn install_panic_hook_panicking_on_crash_outside_a_panic_runs_once_ugly() {
    if std::env::var_os(CHILD).is_some() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = std::sync::Arc::clone(&calls);
        let log = Logger::builder()
            .output(corers_log::Output::Memory(MemorySink::new()))
            .on_crash(move |_| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                panic!("pager service unreachable")
            })
            .build();
        log.make_default();
        install_panic_hook();
        // Recorded by the application, not by a panic: the callback's own panic is caught
        // where it is called, not recorded again by the hook.
        let report = log.crash().report_for("disk full while flushing the index");
        let _ = log.crash().record(&report);
        let _ = std::panic::take_hook();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        let reports = log.crash().reports(8).unwrap();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].message, "disk full while flushing the index");
        return;
    }
    let (passed, output) =
        run_in_child("install_panic_hook_panicking_on_crash_outside_a_panic_runs_once_ugly");
    assert!(passed, "child failed:\n{output}");
}

#[test]
fn install_panic_hook_panicking_field_debug_does_not_abort_ugly() {
    if std::env::var_os(CHILD).is_some() {
        let (log, _sink) = capture(Format::Human, Level::Info);
        log.make_default();
        install_panic_hook();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            corers_log::info!(log, config = ?BrokenConfig, "workspace loaded");
        }));
        let _ = std::panic::take_hook();
        // The line is lost, not the caller; the panic is still reported.
        assert!(caught.is_ok());
        assert_eq!(
            log.crash().reports(1).unwrap()[0].message,
            "config Debug broke"
        );
        return;
    }
    let (passed, output) =
        run_in_child("install_panic_hook_panicking_field_debug_does_not_abort_ugly");
    assert!(passed, "child failed:\n{output}");
}

/// Makes `default` the default logger, installs the hook, and panics inside a field's
/// `Debug` while another logger writes an event (the hook runs inside that dispatch); the
/// panic is caught.
fn panic_inside_another_loggers_event(default: &Logger) {
    default.make_default();
    let (other, _other_sink) = capture(Format::Json, Level::Info);
    install_panic_hook();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        corers_log::info!(other, config = ?BrokenConfig, "workspace loaded");
    }));
    let _ = std::panic::take_hook();
    assert!(caught.is_ok());
}

#[test]
fn install_panic_hook_line_written_outside_tracing_follows_the_filter_bad() {
    if std::env::var_os(CHILD).is_some() {
        // As above, but the default logger keeps only `workbench`'s events: the crash
        // line (target corers_log::crash) is filtered like one of them would be.
        let (default, sink) = capture(Format::Human, Level::Info);
        default.set_filter("off,workbench=info".parse().unwrap());
        panic_inside_another_loggers_event(&default);
        assert_eq!(default.crash().reports(1).unwrap().len(), 1);
        assert_eq!(sink.contents(), "");
        return;
    }
    let (passed, output) =
        run_in_child("install_panic_hook_line_written_outside_tracing_follows_the_filter_bad");
    assert!(passed, "child failed:\n{output}");
}

#[test]
fn install_panic_hook_panicking_field_of_another_logger_does_not_abort_ugly() {
    if std::env::var_os(CHILD).is_some() {
        // The default logger records crashes; the panic happens while another logger
        // writes an event (the hook runs inside that dispatch).
        let (default, sink) = capture(Format::Human, Level::Info);
        panic_inside_another_loggers_event(&default);
        assert_eq!(
            default.crash().reports(1).unwrap()[0].message,
            "config Debug broke"
        );
        // The report's line reached the default logger's output too.
        assert!(
            sink.contents().contains("panic: config Debug broke"),
            "{}",
            sink.contents()
        );
        return;
    }
    let (passed, output) =
        run_in_child("install_panic_hook_panicking_field_of_another_logger_does_not_abort_ugly");
    assert!(passed, "child failed:\n{output}");
}

// ---------------------------------------------------------------- Logger::make_default

#[test]
fn logger_make_default_default_logger_follows_good() {
    let _serial = serial();
    let (log, sink) = capture(Format::Human, Level::Warn);
    log.make_default();
    corers_log::warn!(default_logger(), free_mb = 120, "disk almost full");
    assert_eq!(
        (default_logger().level(), sink.lines().len()),
        (Level::Warn, 1)
    );
}

#[test]
fn logger_make_default_building_alone_does_not_change_default_bad() {
    let _serial = serial();
    let (current, _sink) = capture(Format::Human, Level::Warn);
    current.make_default();
    let (_built, built_sink) = capture(Format::Human, Level::Debug);
    corers_log::error!(default_logger(), "stop hook timed out");
    assert_eq!(
        (default_logger().level(), built_sink.contents()),
        (Level::Warn, String::new())
    );
}

#[test]
fn logger_make_default_most_recent_call_wins_across_threads_ugly() {
    let _serial = serial();
    let loggers: Vec<(Logger, MemorySink)> = [Level::Error, Level::Warn, Level::Debug]
        .into_iter()
        .map(|level| capture(Format::Human, level))
        .collect();
    std::thread::scope(|scope| {
        for (log, _) in &loggers {
            scope.spawn(move || {
                for _ in 0..200 {
                    log.make_default();
                }
            });
        }
    });
    loggers[1].0.make_default();
    loggers[0].0.make_default();
    loggers[1].0.make_default();
    assert_eq!(default_logger().level(), Level::Warn);
}

/// An output that panics while it writes (a channel whose receiver is gone, say).
struct PanickingWriter;

impl std::io::Write for PanickingWriter {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        panic!("log pipe closed")
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn install_panic_hook_panicking_output_does_not_hang_ugly() {
    if std::env::var_os(CHILD).is_some() {
        let log = Logger::builder()
            .output(corers_log::Output::writer(PanickingWriter))
            .build();
        log.make_default();
        install_panic_hook();
        // The write panics with the output locked; the hook's report must not wait for it,
        // and the line is lost, not the caller.
        let caught = catch_unwind(AssertUnwindSafe(|| {
            corers_log::info!(log, "workspace loaded");
        }));
        let _ = std::panic::take_hook();
        assert!(caught.is_ok());
        assert_eq!(
            log.crash().reports(1).unwrap()[0].message,
            "log pipe closed"
        );
        return;
    }
    let (finished, passed, output) =
        run_in_child_watched("install_panic_hook_panicking_output_does_not_hang_ugly");
    assert!(finished, "the child hung in its panic hook");
    assert!(passed, "{output}");
}

/// Runs the test `name` alone in a fresh copy of this binary, with [`CHILD`] set, killing
/// it after 20 s: whether it finished, whether it passed, and its standard output.
fn run_in_child_watched(name: &str) -> (bool, bool, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let began = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if began.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let passed = status.is_some_and(|status| status.success()) && stdout.contains("1 passed");
    (status.is_some(), passed, stdout)
}

/// A log pipe whose flush panics.
struct PanickingFlush;

impl std::io::Write for PanickingFlush {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        Ok(line.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        panic!("log pipe flush failed")
    }
}

#[test]
fn install_panic_hook_panicking_flush_does_not_hang_ugly() {
    if std::env::var_os(CHILD).is_some() {
        let log = Logger::builder()
            .output(corers_log::Output::writer(PanickingFlush))
            .build();
        log.make_default();
        install_panic_hook();
        // The flush panics with the output locked (as a shutdown flushes): the hook's
        // report must not wait for it, and the flush does not unwind into its caller.
        let caught = catch_unwind(AssertUnwindSafe(|| log.flush()));
        let _ = std::panic::take_hook();
        assert!(caught.is_ok(), "the flush's panic reached its caller");
        assert_eq!(
            log.crash().reports(1).unwrap()[0].message,
            "log pipe flush failed"
        );
        return;
    }
    let (finished, passed, output) =
        run_in_child_watched("install_panic_hook_panicking_flush_does_not_hang_ugly");
    assert!(finished, "the child hung in its panic hook");
    assert!(passed, "{output}");
}
