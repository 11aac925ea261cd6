//! Crash reports without the panic hook: [`CrashReporter`] spawning threads and tokio tasks
//! that panic, recording to memory and to a JSON crash file (a corrupt one is moved aside
//! and reported), `reports(n)`, and the crash settings of [`LoggerBuilder`]
//! (`crash_file`, `crash_meta`, `on_crash`).
//!
//! [`CrashReporter`]: corers_log::CrashReporter
//! [`LoggerBuilder`]: corers_log::LoggerBuilder

mod common;

use std::fs;
use std::sync::{Arc, Mutex};

use corers_log::{CrashReport, Format, Level, Logger, LoggerBuilder, MemorySink};
use corers_primitives::ErrorCode;

use common::{FIXED_STAMP, TempDir, captured};

const GARBAGE: &str = "[{\"time\":\"2026-11-2\u{0}\u{fffd} truncated by a power cut";

fn messages(reports: &[CrashReport]) -> Vec<&str> {
    reports.iter().map(|r| r.message.as_str()).collect()
}

/// A JSON logger at the fixed time with a crash file in `dir`.
fn with_crash_file(dir: &TempDir) -> (LoggerBuilder, MemorySink) {
    let (builder, sink) = captured(Format::Json);
    (builder.crash_file(dir.join("crashes.json")), sink)
}

/// Records one report after a corrupt crash file was left in `dir`.
fn record_over_corrupt_file(dir: &TempDir) -> (Logger, MemorySink) {
    fs::write(dir.join("crashes.json"), GARBAGE).unwrap();
    let (builder, sink) = with_crash_file(dir);
    let log = builder.build();
    log.crash()
        .record(&log.crash().report_for("worker stopped responding"))
        .unwrap();
    (log, sink)
}

fn panic_in_thread(log: &Logger, name: &str, message: &'static str) {
    let handle = log
        .crash()
        .spawn_thread(name, move || -> () { panic!("{message}") })
        .unwrap();
    assert!(handle.join().unwrap().is_err());
}

// ---------------------------------------------------------------- CrashReporter::spawn_thread

#[test]
fn crash_reporter_spawn_thread_returns_value_without_report_good() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let handle = log.crash().spawn_thread("indexer", || 40 + 2).unwrap();
    assert_eq!(
        (
            handle.join().unwrap().unwrap(),
            log.crash().reports(5).unwrap().len()
        ),
        (42, 0)
    );
}

#[test]
fn crash_reporter_spawn_thread_panic_becomes_report_and_error_bad() {
    let dir = TempDir::new("crash");
    let (builder, sink) = with_crash_file(&dir);
    let log = builder.build();
    let handle = log
        .crash()
        .spawn_thread("indexer", || -> u32 { panic!("index out of range") })
        .unwrap();
    let err = handle.join().unwrap().unwrap_err();
    let report = log.crash().reports(1).unwrap().remove(0);
    assert_eq!(
        (
            err.code(),
            err.message(),
            report.message.as_str(),
            report.thread.as_deref(),
            sink.contents()
                .contains(r#""msg":"indexer recovered from panic""#)
        ),
        (
            Some(&ErrorCode::INTERNAL),
            "panicked: index out of range",
            "index out of range",
            Some("indexer"),
            true
        )
    );
}

#[test]
fn crash_reporter_spawn_thread_non_text_payload_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let handle = log
        .crash()
        .spawn_thread("indexer", || std::panic::panic_any(42_u32))
        .unwrap();
    let err = handle.join().unwrap().unwrap_err();
    assert_eq!(
        (
            err.message(),
            log.crash().reports(1).unwrap()[0].message.as_str()
        ),
        ("panicked: a non-text payload", "a non-text payload")
    );
}

#[test]
fn crash_reporter_spawn_thread_name_with_nul_is_error_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        log.crash().spawn_thread("index\0er", || 42).map(|_| ())
    }));
    assert!(
        matches!(outcome, Ok(Err(_))),
        "spawn_thread panicked instead of returning an error"
    );
}

// ---------------------------------------------------------------- CrashReporter::spawn_task

#[test]
fn crash_reporter_spawn_task_outside_runtime_is_unavailable_bad() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let err = log.crash().spawn_task(async { 1 }).unwrap_err();
    assert_eq!(err.code(), Some(&corers_primitives::ErrorCode::UNAVAILABLE));
}

#[test]
fn crash_reporter_spawn_thread_events_reach_the_logger_good() {
    // A new thread has no tracing dispatcher of its own: its events would be lost.
    let (builder, sink) = captured(Format::Human);
    let log = builder.build();
    let handle = log
        .crash()
        .spawn_thread("indexer", || tracing::info!(files = 40, "indexed"))
        .unwrap();
    handle.join().unwrap().unwrap();
    assert_eq!(
        common::only_line(&sink),
        format!("{FIXED_STAMP} INFO  crash: indexed files=40")
    );
}

#[test]
fn crash_reporter_spawn_task_events_reach_the_logger_good() {
    // On a runtime whose threads have no dispatcher, and awaited from outside any scope.
    let (builder, sink) = captured(Format::Human);
    let log = builder.build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let entered = runtime.enter();
    let handle = log
        .crash()
        .spawn_task(async {
            tokio::task::yield_now().await;
            tracing::info!(workspace = "alpha", "synced");
        })
        .unwrap();
    drop(entered);
    runtime.block_on(handle).unwrap().unwrap();
    assert_eq!(
        common::only_line(&sink),
        format!("{FIXED_STAMP} INFO  crash: synced workspace=alpha")
    );
}

#[tokio::test]
async fn crash_reporter_spawn_task_returns_value_without_report_good() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let sum = log
        .crash()
        .spawn_task(async { 40 + 2 })
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        (sum.unwrap(), log.crash().reports(5).unwrap().len()),
        (42, 0)
    );
}

#[tokio::test]
async fn crash_reporter_spawn_task_panic_becomes_report_and_error_bad() {
    let dir = TempDir::new("crash");
    let (builder, sink) = with_crash_file(&dir);
    let log = builder.build();
    let outcome: corers_primitives::Result<()> = log
        .crash()
        .spawn_task(async { panic!("index out of range") })
        .unwrap()
        .await
        .unwrap();
    let err = outcome.unwrap_err();
    assert_eq!(
        (
            err.code(),
            messages(&log.crash().reports(5).unwrap()),
            sink.contents()
                .contains(r#""msg":"task recovered from panic""#)
        ),
        (Some(&ErrorCode::INTERNAL), vec!["index out of range"], true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_reporter_spawn_task_panic_after_await_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let outcome: corers_primitives::Result<()> = log
        .crash()
        .spawn_task(async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            panic!("watch channel closed: ホームラボ")
        })
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        (
            outcome.unwrap_err().message().to_owned(),
            messages(&log.crash().reports(5).unwrap())
        ),
        (
            "panicked: watch channel closed: ホームラボ".to_owned(),
            vec!["watch channel closed: ホームラボ"]
        )
    );
}

// ---------------------------------------------------------------- CrashReporter::reports

#[tokio::test]
async fn crash_reporter_reports_last_two_in_order_good() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    panic_in_thread(&log, "indexer", "index out of range");
    let task = log
        .crash()
        .spawn_task(async { panic!("watch channel closed") })
        .unwrap();
    assert!(task.await.unwrap().is_err());
    panic_in_thread(&log, "git-sync", "remote hung up");
    assert_eq!(
        messages(&log.crash().reports(2).unwrap()),
        ["watch channel closed", "remote hung up"]
    );
}

#[test]
fn crash_reporter_reports_corrupt_file_is_invalid_bad() {
    let dir = TempDir::new("crash");
    fs::write(dir.join("crashes.json"), GARBAGE).unwrap();
    let (builder, _sink) = with_crash_file(&dir);
    let err = builder.build().crash().reports(2).unwrap_err();
    assert_eq!(
        (err.code(), err.operation()),
        (Some(&ErrorCode::INVALID), "log.CrashReporter.reports")
    );
}

#[test]
fn crash_reporter_reports_zero_and_more_than_recorded_ugly() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    for message in ["first", "second", "third"] {
        log.crash()
            .record(&log.crash().report_for(message))
            .unwrap();
    }
    assert_eq!(
        (
            log.crash().reports(0).unwrap().len(),
            messages(&log.crash().reports(usize::MAX).unwrap())
        ),
        (0, vec!["first", "second", "third"])
    );
}

#[test]
fn crash_reporter_reports_memory_keeps_last_64_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    for i in 0..70 {
        log.crash()
            .record(&log.crash().report_for(&format!("crash {i}")))
            .unwrap();
    }
    let kept = log.crash().reports(100).unwrap();
    assert_eq!(
        (
            kept.len(),
            kept[0].message.as_str(),
            kept[63].message.as_str()
        ),
        (64, "crash 6", "crash 69")
    );
}

// ---------------------------------------------------------------- CrashReporter::record

#[test]
fn crash_reporter_record_appends_to_crash_file_good() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    for message in ["index out of range", "remote hung up"] {
        log.crash()
            .record(&log.crash().report_for(message))
            .unwrap();
    }
    let on_disk: Vec<CrashReport> =
        serde_json::from_slice(&fs::read(dir.join("crashes.json")).unwrap()).unwrap();
    assert_eq!(messages(&on_disk), ["index out of range", "remote hung up"]);
}

#[cfg(unix)]
#[test]
fn crash_reporter_record_file_is_owner_only_ugly() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("crash");
    // Made readable by all beforehand: the next record puts it back to owner-only.
    fs::write(dir.join("crashes.json"), "[]").unwrap();
    fs::set_permissions(dir.join("crashes.json"), fs::Permissions::from_mode(0o644)).unwrap();
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    log.crash()
        .record(&log.crash().report_for("unwrap() on Err(token rejected)"))
        .unwrap();
    let mode = fs::metadata(dir.join("crashes.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let lock = fs::metadata(dir.join("crashes.json.lock")).unwrap();
    assert_eq!(lock.permissions().mode() & 0o777, 0o600);
}

#[test]
fn crash_reporter_spawn_thread_url_password_never_reaches_the_file_ugly() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    panic_in_thread(
        &log,
        "db",
        "connect postgres://app:hunter2@db.lan/app: refused",
    );
    let written = fs::read_to_string(dir.join("crashes.json")).unwrap();
    let reports: Vec<CrashReport> = serde_json::from_str(&written).unwrap();
    assert_eq!(
        messages(&reports),
        ["connect postgres://app:[REDACTED]@db.lan/app: refused"]
    );
    assert!(!written.contains("hunter2"));
}

#[test]
fn crash_reporter_record_keeps_the_newest_256_in_the_file_ugly() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    for n in 0..260 {
        log.crash()
            .record(&log.crash().report_for(&format!("panic {n}")))
            .unwrap();
    }
    let on_disk = log.crash().reports(1000).unwrap();
    assert_eq!(on_disk.len(), 256);
    assert_eq!(on_disk[0].message, "panic 4");
    assert_eq!(on_disk[255].message, "panic 259");
}

#[test]
fn crash_reporter_record_file_from_another_version_keeps_its_reports_ugly() {
    let dir = TempDir::new("crash");
    // Written by a version with fewer fields (and one this one does not know).
    fs::write(
        dir.join("crashes.json"),
        r#"[{"time": "2026-01-02T03:04:05Z", "message": "disk full", "uptime_s": 12}]"#,
    )
    .unwrap();
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.build();
    log.crash()
        .record(&log.crash().report_for("index corrupt"))
        .unwrap();
    let on_disk = log.crash().reports(10).unwrap();
    assert_eq!(messages(&on_disk), ["disk full", "index corrupt"]);
    assert!(on_disk[0].backtrace.is_none());
}

#[test]
fn crash_reporter_record_corrupt_file_preserved_aside_bad() {
    let dir = TempDir::new("crash");
    let _ = record_over_corrupt_file(&dir);
    let aside: Vec<String> = dir
        .names()
        .into_iter()
        .filter(|name| name.starts_with("crashes.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", dir.names());
    assert_eq!(fs::read_to_string(dir.join(&aside[0])).unwrap(), GARBAGE);
}

#[test]
fn crash_reporter_record_corrupt_file_reported_as_security_event_bad() {
    let dir = TempDir::new("crash");
    let (_log, sink) = record_over_corrupt_file(&dir);
    let events: Vec<serde_json::Value> = sink
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|line: &serde_json::Value| line["security"] == true)
        .collect();
    assert_eq!(events.len(), 1, "{}", sink.contents());
    let moved_to = events[0]["fields"]["moved_to"].as_str().unwrap();
    assert_eq!(
        (
            &events[0]["level"],
            &events[0]["fields"]["event"],
            fs::read_to_string(moved_to).unwrap().as_str()
        ),
        (
            &serde_json::json!("ERROR"),
            &serde_json::json!("crash_file.corrupt"),
            GARBAGE
        )
    );
}

#[test]
fn crash_reporter_record_corrupt_file_replaced_by_valid_one_bad() {
    let dir = TempDir::new("crash");
    let (log, _sink) = record_over_corrupt_file(&dir);
    let on_disk: Vec<CrashReport> =
        serde_json::from_slice(&fs::read(dir.join("crashes.json")).unwrap()).unwrap();
    assert_eq!(
        (
            messages(&on_disk),
            messages(&log.crash().reports(2).unwrap())
        ),
        (
            vec!["worker stopped responding"],
            vec!["worker stopped responding"]
        )
    );
}

#[test]
fn crash_reporter_record_unwritable_file_is_unavailable_but_logged_bad() {
    let dir = TempDir::new("crash");
    fs::write(dir.join("state"), "a file, not a directory").unwrap();
    let (builder, sink) = captured(Format::Human);
    let log = builder.crash_file(dir.join("state/crashes.json")).build();
    let err = log
        .crash()
        .record(&log.crash().report_for("worker stopped responding"))
        .unwrap_err();
    assert_eq!(
        (
            err.code(),
            err.operation(),
            sink.contents()
                .contains("ERROR corers_log::crash: panic: worker stopped responding")
        ),
        (
            Some(&ErrorCode::UNAVAILABLE),
            "log.CrashReporter.record",
            true
        )
    );
}

#[test]
fn crash_reporter_record_hostile_message_round_trips_one_line_ugly() {
    let dir = TempDir::new("crash");
    let (builder, sink) = with_crash_file(&dir);
    let log = builder.build();
    let message = "bad input\n2026-11-26T14:13:29.000Z ERROR forged\u{1b}[2J\u{0}";
    log.crash()
        .record(&log.crash().report_for(message))
        .unwrap();
    assert_eq!(
        (
            sink.lines().len(),
            log.crash().reports(1).unwrap()[0].message.as_str()
        ),
        (1, message)
    );
}

// ---------------------------------------------------------------- CrashReporter::report_for

#[test]
fn crash_reporter_report_for_system_info_and_clock_good() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.crash_meta("app", "workbench").build();
    let report = log.crash().report_for("watchdog fired");
    assert_eq!(
        (
            report.time.as_str(),
            report.os.as_str(),
            report.arch.as_str(),
            report.version.as_str(),
            report.meta["app"].as_str()
        ),
        (
            FIXED_STAMP,
            std::env::consts::OS,
            std::env::consts::ARCH,
            "0.1.0",
            "workbench"
        )
    );
}

#[test]
fn crash_reporter_report_for_has_no_location_or_backtrace_bad() {
    let (builder, _sink) = captured(Format::Human);
    let report = builder.build().crash().report_for("watchdog fired");
    assert_eq!((report.location, report.backtrace), (None, None));
}

#[test]
fn crash_reporter_report_for_unnamed_thread_empty_message_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    let report = std::thread::spawn(move || log.crash().report_for(""))
        .join()
        .unwrap();
    assert_eq!((report.message.as_str(), report.thread), ("", None));
}

// ---------------------------------------------------------------- LoggerBuilder::crash_file

#[test]
fn logger_builder_crash_file_is_pretty_json_array_good() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = with_crash_file(&dir);
    let log = builder.crash_meta("app", "workbench").build();
    log.crash()
        .record(&log.crash().report_for("watchdog fired"))
        .unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("crashes.json")).unwrap()).unwrap();
    assert_eq!(
        (
            &on_disk[0]["message"],
            &on_disk[0]["time"],
            &on_disk[0]["meta"]
        ),
        (
            &serde_json::json!("watchdog fired"),
            &serde_json::json!(FIXED_STAMP),
            &serde_json::json!({"app": "workbench"})
        )
    );
}

#[test]
fn logger_builder_crash_file_absent_writes_no_file_bad() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = captured(Format::Human);
    let log = builder.build();
    log.crash()
        .record(&log.crash().report_for("watchdog fired"))
        .unwrap();
    assert_eq!(
        (dir.names().len(), log.crash().reports(1).unwrap().len()),
        (0, 1)
    );
}

#[test]
fn logger_builder_crash_file_in_missing_dirs_created_ugly() {
    let dir = TempDir::new("crash");
    let (builder, _sink) = captured(Format::Human);
    let path = dir.join("state/ホーム ラボ/crashes.json");
    let log = builder.crash_file(&path).build();
    log.crash()
        .record(&log.crash().report_for("watchdog fired"))
        .unwrap();
    // The crash file and its lock file; no temporary file is left behind.
    let mut names: Vec<String> = dir
        .join("state/ホーム ラボ")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["crashes.json", "crashes.json.lock"]);
}

#[test]
fn logger_builder_crash_file_shared_by_two_loggers_keeps_every_report_ugly() {
    let dir = TempDir::new("crash");
    let loggers: Vec<Logger> = (0..2).map(|_| with_crash_file(&dir).0.build()).collect();
    std::thread::scope(|scope| {
        for (who, log) in loggers.iter().enumerate() {
            scope.spawn(move || {
                for i in 0..50 {
                    let _ = log
                        .crash()
                        .record(&log.crash().report_for(&format!("{who}/{i}")));
                }
            });
        }
    });
    assert_eq!(loggers[0].crash().reports(1000).unwrap().len(), 100);
}

// ---------------------------------------------------------------- LoggerBuilder::crash_meta

#[test]
fn logger_builder_crash_meta_in_every_report_good() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder
        .crash_meta("app", "workbench")
        .crash_meta("role", "homelab")
        .build();
    let handle = log
        .crash()
        .spawn_thread("indexer", || -> () { panic!("index out of range") })
        .unwrap();
    let _ = handle.join().unwrap();
    let meta = &log.crash().reports(1).unwrap()[0].meta;
    assert_eq!(
        meta.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        ["app=workbench", "role=homelab"]
    );
}

#[test]
fn logger_builder_crash_meta_none_set_is_empty_bad() {
    let (builder, _sink) = captured(Format::Human);
    assert!(
        builder
            .build()
            .crash()
            .report_for("watchdog fired")
            .meta
            .is_empty()
    );
}

#[test]
fn logger_builder_crash_meta_repeated_key_last_wins_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder
        .crash_meta("version", "0.1.0")
        .crash_meta("version", "")
        .crash_meta("", "ホームラボ\n")
        .build();
    let meta = log.crash().report_for("watchdog fired").meta;
    assert_eq!(
        (meta.len(), meta["version"].as_str(), meta[""].as_str()),
        (2, "", "ホームラボ\n")
    );
}

#[test]
fn logger_builder_crash_meta_hides_url_passwords_and_secret_keys_ugly() {
    // A crash file outlives the run and travels (a bug report): no credentials in it.
    let (builder, _sink) = captured(Format::Human);
    let log = builder
        .crash_meta("database", "postgres://app:hunter9@db.lan/app")
        .crash_meta("api_token", "sk_live_51HxQ")
        .build();
    let meta = log.crash().report_for("watchdog fired").meta;
    assert_eq!(meta["database"], "postgres://app:[REDACTED]@db.lan/app");
    assert_eq!(meta["api_token"], "[REDACTED]");
}

// ---------------------------------------------------------------- LoggerBuilder::crash_backtrace_in_log

/// Records a report with a backtrace, as the panic hook does, on a logger built with
/// `in_log` (or the default); what its output then holds.
fn logged_with_backtrace(format: Format, in_log: Option<bool>) -> String {
    let (builder, sink) = captured(format);
    let builder = match in_log {
        Some(on) => builder.crash_backtrace_in_log(on),
        None => builder,
    };
    let log = builder.build();
    let mut report = log.crash().report_for("index out of range");
    report.backtrace = Some("0: workbench::index\n1: main".to_owned());
    log.crash().record(&report).unwrap();
    sink.contents()
}

#[test]
fn logger_builder_crash_backtrace_in_log_puts_it_on_the_line_good() {
    let human = logged_with_backtrace(Format::Human, Some(true));
    assert!(
        human.contains(r#"panic.backtrace="0: workbench::index\n1: main""#),
        "{human}"
    );
    assert_eq!(human.lines().count(), 1, "one line: {human}");
    let json = logged_with_backtrace(Format::Json, Some(true));
    let line: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        line["fields"]["panic.backtrace"],
        "0: workbench::index\n1: main"
    );
}

#[test]
fn logger_builder_crash_backtrace_in_log_off_keeps_it_in_the_report_only_bad() {
    let human = logged_with_backtrace(Format::Human, Some(false));
    assert!(human.contains("panic: index out of range"), "{human}");
    assert!(!human.contains("panic.backtrace"), "{human}");
}

#[test]
fn logger_builder_crash_backtrace_in_log_defaults_to_rust_backtrace_ugly() {
    // Not set: as RUST_BACKTRACE says in this process (read, never changed here).
    let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    let human = logged_with_backtrace(Format::Human, None);
    assert_eq!(human.contains("panic.backtrace="), wanted, "{human}");
}

// ---------------------------------------------------------------- LoggerBuilder::on_crash

#[test]
fn logger_builder_on_crash_called_with_report_good() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (builder, _sink) = captured(Format::Human);
    let log = builder
        .on_crash({
            let seen = Arc::clone(&seen);
            move |report| seen.lock().unwrap().push(report.message.clone())
        })
        .build();
    panic_in_thread(&log, "indexer", "index out of range");
    assert_eq!(*seen.lock().unwrap(), ["index out of range"]);
}

#[test]
fn logger_builder_on_crash_panicking_callback_does_not_crash_bad() {
    let (builder, sink) = captured(Format::Human);
    let log = builder
        .on_crash(|_| panic!("pager service unreachable"))
        .build();
    let recorded = log
        .crash()
        .record(&log.crash().report_for("watchdog fired"));
    assert_eq!(
        (
            recorded.is_ok(),
            log.crash().reports(5).unwrap().len(),
            sink.contents()
                .contains("ERROR corers_log::crash: on_crash callback panicked")
        ),
        (true, 1, true)
    );
}

#[test]
fn logger_builder_on_crash_reentrant_callback_ugly() {
    // The callback reads the reports and logs through the same logger: no deadlock.
    let logger: Arc<Mutex<Option<Logger>>> = Arc::new(Mutex::new(None));
    let (builder, sink) = captured(Format::Human);
    let log = builder
        .level(Level::Debug)
        .on_crash({
            let logger = Arc::clone(&logger);
            move |report| {
                let log = logger.lock().unwrap().clone().unwrap();
                let count = log.crash().reports(10).unwrap().len();
                corers_log::warn!(log, count, "paging on-call for {}", report.message);
            }
        })
        .build();
    *logger.lock().unwrap() = Some(log.clone());
    panic_in_thread(&log, "indexer", "index out of range");
    assert!(
        sink.contents()
            .contains("WARN  crash: paging on-call for index out of range count=1"),
        "{}",
        sink.contents()
    );
}
