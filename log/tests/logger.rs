//! [`Logger`] and [`LoggerBuilder`]: levels (built and changed at run time), `in_scope` and
//! `dispatch` for plain `tracing` code, flushing, the error-aware helpers `error`, `warn` and
//! `must`, the crash handle, extra layers, outputs and clocks. (Making a logger the process
//! default lives in `panic_hook.rs`; the fallback default in `default_logger.rs`.)

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use corers_log::{Format, Level, Logger, MemorySink, Output, RotatingFile, default_logger};
use corers_primitives::{Error, ErrorCode};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};

use common::{FIXED_STAMP, TempDir, capture, captured, only_json, only_line};

/// An extra layer that counts the events it sees.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn seen(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl<S: Subscriber> Layer<S> for Counter {
    fn on_event(&self, _event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn not_found() -> Error {
    Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND)
}

// ---------------------------------------------------------------- Logger::builder

#[test]
fn logger_builder_defaults_info_human_stderr_good() {
    let log = Logger::builder().build();
    assert_eq!(
        format!("{log:?}"),
        "Logger { filter: info, output: Stderr, .. }"
    );
}

#[test]
fn logger_builder_defaults_filter_debug_bad() {
    let log = Logger::builder().build();
    assert!(!log.enabled(Level::Debug));
}

#[test]
fn logger_builder_twice_gives_independent_loggers_ugly() {
    let first = Logger::builder().build();
    let second = Logger::builder().build();
    first.set_level(Level::Debug);
    assert_eq!((first.level(), second.level()), (Level::Debug, Level::Info));
}

// ---------------------------------------------------------------- Logger::level

#[test]
fn logger_redactor_is_the_one_it_was_built_with_good() {
    let log = Logger::builder()
        .redactor(corers_log::Redactor::new(["*dsn*"]))
        .build();
    assert!(log.redactor().is_secret("DATABASE_DSN"));
    assert!(!log.redactor().is_secret("database.password"));
}

#[test]
fn logger_redactor_default_hides_the_usual_secrets_bad() {
    let log = Logger::builder().build();
    assert!(log.redactor().is_secret("api_token"));
    assert!(!log.redactor().is_secret("service"));
}

#[test]
fn logger_redactor_shared_by_clones_ugly() {
    let log = Logger::builder()
        .redactor(corers_log::Redactor::new(Vec::<String>::new()))
        .build();
    let clone = log.clone();
    assert!(!clone.redactor().is_secret("password"));
}

#[test]
fn logger_level_reports_built_level_good() {
    let (log, _sink) = capture(Format::Human, Level::Warn);
    assert_eq!(log.level(), Level::Warn);
}

#[test]
fn logger_level_quiet_allows_nothing_bad() {
    let (log, _sink) = capture(Format::Human, Level::Quiet);
    assert!(!log.level().allows(Level::Error));
}

#[test]
fn logger_level_seen_by_every_clone_ugly() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    let clones: Vec<Logger> = (0..4).map(|_| log.clone()).collect();
    clones[2].set_level(Level::Error);
    assert!(
        clones
            .iter()
            .chain([&log])
            .all(|c| c.level() == Level::Error)
    );
}

// ---------------------------------------------------------------- Logger::set_level

#[test]
fn logger_set_level_enables_callsite_seen_while_off_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    for attempt in 1..=2 {
        // The same callsite, first while debug is off, then after the level is raised.
        corers_log::debug!(log, attempt, "retrying git.log");
        log.set_level(Level::Debug);
    }
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} DEBUG logger: retrying git.log attempt=2")
    );
}

#[test]
fn logger_set_level_lowered_drops_info_bad() {
    let (log, sink) = capture(Format::Human, Level::Info);
    log.set_level(Level::Warn);
    log.in_scope(|| tracing::info!(service = "brain", "service started"));
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_set_level_quiet_drops_security_events_ugly() {
    let (log, sink) = capture(Format::Human, Level::Debug);
    log.set_level(Level::Quiet);
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    log.in_scope(|| tracing::error!("stop hook timed out"));
    assert_eq!(sink.contents(), "");
}

// ---------------------------------------------------------------- Logger::enabled

#[test]
fn logger_enabled_at_or_above_level_good() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    assert!(log.enabled(Level::Error) && log.enabled(Level::Info));
}

#[test]
fn logger_enabled_more_verbose_is_off_bad() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    assert!(!log.enabled(Level::Debug));
}

#[test]
fn logger_enabled_quiet_event_never_ugly() {
    let (log, _sink) = capture(Format::Human, Level::Debug);
    assert!(!log.enabled(Level::Quiet));
}

// ---------------------------------------------------------------- Logger::in_scope

#[test]
fn logger_in_scope_routes_tracing_and_returns_value_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let created = log.in_scope(|| {
        tracing::info!(workspace = "alpha", "workspace created");
        "alpha"
    });
    assert_eq!(
        (created, only_line(&sink)),
        (
            "alpha",
            format!("{FIXED_STAMP} INFO  logger: workspace created workspace=alpha")
        )
    );
}

#[test]
fn logger_in_scope_filters_below_level_bad() {
    let (log, sink) = capture(Format::Human, Level::Info);
    log.in_scope(|| tracing::debug!(path = "deploy/to/homelab", "resolved command"));
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_in_scope_two_loggers_keep_their_own_levels_ugly() {
    let (verbose, verbose_sink) = capture(Format::Human, Level::Debug);
    let (quiet, quiet_sink) = capture(Format::Human, Level::Info);
    let probe = || tracing::debug!("cache probe");
    for _ in 0..2 {
        quiet.in_scope(|| verbose.in_scope(probe));
        verbose.in_scope(|| quiet.in_scope(probe));
    }
    assert_eq!(
        (verbose_sink.lines().len(), quiet_sink.lines().len()),
        (2, 0)
    );
}

// ---------------------------------------------------------------- Logger::dispatch

#[test]
fn logger_dispatch_as_thread_default_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    {
        let _guard = tracing::dispatcher::set_default(log.dispatch());
        tracing::info!(service = "brain", "service started");
    }
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} INFO  logger: service started service=brain")
    );
}

#[test]
fn logger_dispatch_guard_dropped_stops_routing_bad() {
    let (log, sink) = capture(Format::Human, Level::Info);
    drop(tracing::dispatcher::set_default(log.dispatch()));
    tracing::info!(service = "brain", "service started");
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_dispatch_follows_later_set_level_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let dispatch = log.dispatch().clone();
    log.set_level(Level::Error);
    tracing::dispatcher::with_default(&dispatch, || tracing::warn!("disk almost full"));
    assert_eq!(sink.contents(), "");
}

// ---------------------------------------------------------------- Logger::flush

/// A logger at the fixed time writing to `workbench.log` (a rotating file) in a
/// fresh directory.
fn file_logger() -> (TempDir, Logger) {
    let dir = TempDir::new("logger-flush");
    let file = RotatingFile::builder(dir.join("workbench.log"))
        .build()
        .unwrap();
    let log = Logger::builder()
        .output(Output::File(file))
        .clock(common::fixed_time)
        .build();
    (dir, log)
}

#[test]
fn logger_flush_writes_file_output_good() {
    let (dir, log) = file_logger();
    corers_log::info!(log, service = "brain", "service started");
    log.flush();
    assert_eq!(
        std::fs::read_to_string(dir.join("workbench.log")).unwrap(),
        format!("{FIXED_STAMP} INFO  logger: service started service=brain\n")
    );
}

#[test]
fn logger_flush_not_called_file_line_is_on_disk_anyway_bad() {
    // Written through: `tail -f` sees an info line at once, a killed process loses none.
    let (dir, log) = file_logger();
    corers_log::info!(log, service = "brain", "service started");
    assert_eq!(
        std::fs::read_to_string(dir.join("workbench.log")).unwrap(),
        format!("{FIXED_STAMP} INFO  logger: service started service=brain\n")
    );
}

#[test]
fn logger_warnings_and_errors_reach_the_file_without_a_flush_good() {
    let (dir, log) = file_logger();
    corers_log::info!(log, "cache warmed");
    corers_log::error!(log, "shutdown failed");
    assert_eq!(
        std::fs::read_to_string(dir.join("workbench.log")).unwrap(),
        format!(
            "{FIXED_STAMP} INFO  logger: cache warmed\n{FIXED_STAMP} ERROR logger: shutdown failed\n"
        )
    );
}

#[test]
fn logger_flush_after_log_dir_removed_writes_on_ugly() {
    let dir = TempDir::new("logger-flush");
    let file = RotatingFile::builder(dir.join("logs/workbench.log"))
        .max_bytes(64)
        .build()
        .unwrap();
    let log = Logger::builder().output(Output::File(file)).build();
    corers_log::info!(log, service = "brain", "service started");
    std::fs::remove_dir_all(dir.join("logs")).unwrap();
    corers_log::info!(log, service = "cache", "service started");
    log.flush();
    // Made again, with the line written after the removal.
    let written = std::fs::read_to_string(dir.join("logs/workbench.log")).unwrap();
    assert!(written.contains("service=cache"), "{written}");
    assert!(!written.contains("service=brain"), "{written}");
}

#[test]
fn logger_flush_of_stderr_never_waits_behind_a_stuck_line_ugly() {
    // Another thread holds standard error, as one stuck writing into a full pipe nobody
    // reads would: a shutdown's flush must not wait for it.
    let (held, holding) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _stderr = std::io::stderr().lock();
        held.send(()).unwrap();
        let _ = released.recv();
    });
    holding.recv().unwrap();
    let log = Logger::builder().output(Output::Stderr).build();
    let (done, flushed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        log.flush();
        let _ = done.send(());
    });
    let waited = flushed.recv_timeout(Duration::from_secs(10));
    release.send(()).unwrap();
    holder.join().unwrap();
    assert!(waited.is_ok(), "the flush waited for standard error's lock");
}

// ---------------------------------------------------------------- Logger::error

#[test]
fn logger_error_logs_and_returns_wrapped_error_good() {
    let (log, sink) = capture(Format::Json, Level::Info);
    let err = log.error(not_found(), "config.Config.load", "load workspace.toml");
    let line = only_json(&sink);
    assert_eq!(
        (
            err.stack(),
            err.code(),
            &line["level"],
            &line["fields"]["error_ops"]
        ),
        (
            "config.Config.load -> fs.Fs.read".to_owned(),
            Some(&ErrorCode::NOT_FOUND),
            &serde_json::json!("ERROR"),
            &serde_json::json!("config.Config.load -> fs.Fs.read")
        )
    );
}

#[test]
fn logger_error_at_quiet_still_returns_error_bad() {
    let (log, sink) = capture(Format::Human, Level::Quiet);
    let err = log.error(not_found(), "config.Config.load", "load workspace.toml");
    assert_eq!(
        (err.operation(), sink.contents()),
        ("config.Config.load", String::new())
    );
}

#[test]
fn logger_error_codeless_io_cause_with_newline_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    let io = std::io::Error::other("permission denied\nretry as root");
    let _ = log.error(io, "fs.Fs.write", "write /srv/data/notes.md\n");
    let line = only_json(&sink);
    assert_eq!(
        (
            &line["msg"],
            &line["fields"]["error_code"],
            &line["fields"]["error_op"]
        ),
        (
            &serde_json::json!("write /srv/data/notes.md\n"),
            // No code anywhere in the chain: the field is left out, not written empty.
            &serde_json::Value::Null,
            &serde_json::json!("fs.Fs.write")
        )
    );
}

// ---------------------------------------------------------------- Logger::warn

#[test]
fn logger_warn_logs_warn_with_fields_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let err = log.warn(not_found(), "cache.Cache.flush", "flush took 3s");
    assert_eq!(
        (err.operation(), only_line(&sink)),
        (
            "cache.Cache.flush",
            format!(
                r#"{FIXED_STAMP} WARN  corers_log::logger: flush took 3s error="cache.Cache.flush: flush took 3s [NOT_FOUND]: fs.Fs.read: no such file" error_op=cache.Cache.flush error_code=NOT_FOUND error_ops="cache.Cache.flush -> fs.Fs.read""#
            )
        )
    );
}

#[test]
fn logger_warn_at_error_level_writes_nothing_bad() {
    let (log, sink) = capture(Format::Human, Level::Error);
    let err = log.warn(not_found(), "cache.Cache.flush", "flush took 3s");
    assert_eq!(
        (err.code(), sink.contents()),
        (Some(&ErrorCode::NOT_FOUND), String::new())
    );
}

#[test]
fn logger_warn_empty_message_and_ansi_cause_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let cause = std::io::Error::other("\u{1b}[2Jscreen cleared");
    let _ = log.warn(cause, "cli.Cli.run", "");
    let line = only_line(&sink);
    assert!(
        line.starts_with(&format!(
            "{FIXED_STAMP} WARN  corers_log::logger: error=\"cli.Cli.run: : \\u{{1b}}[2J"
        )),
        "{line}"
    );
}

// ---------------------------------------------------------------- Logger::must

#[test]
fn logger_must_ok_returns_value_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let port: u16 = log.must("8080".parse::<u16>(), "cli.main", "parse --port");
    assert_eq!((port, sink.contents()), (8080, String::new()));
}

#[test]
fn logger_must_err_logs_then_panics_with_error_bad() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        log.must("80a".parse::<u16>(), "cli.main", "parse --port")
    }))
    .unwrap_err();
    let err = payload.downcast::<Error>().unwrap();
    assert_eq!(
        (
            err.operation(),
            err.message(),
            err.code(),
            sink.lines().len()
        ),
        ("cli.main", "parse --port", None, 1)
    );
}

#[test]
fn logger_must_err_at_quiet_still_panics_ugly() {
    let (log, sink) = capture(Format::Human, Level::Quiet);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        log.must(Err::<(), _>(not_found()), "config.Config.load", "");
    }));
    assert_eq!((outcome.is_err(), sink.contents()), (true, String::new()));
}

// ---------------------------------------------------------------- Logger::crash

#[test]
fn logger_crash_records_into_memory_good() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    log.crash()
        .record(&log.crash().report_for("worker stopped responding"))
        .unwrap();
    assert_eq!(
        log.crash().reports(5).unwrap()[0].message,
        "worker stopped responding"
    );
}

#[test]
fn logger_crash_fresh_logger_has_no_reports_bad() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    assert!(log.crash().reports(5).unwrap().is_empty());
}

#[test]
fn logger_crash_shared_by_clones_not_by_other_loggers_ugly() {
    let (log, _sink) = capture(Format::Human, Level::Info);
    let (other, _other_sink) = capture(Format::Human, Level::Info);
    let clone = log.clone();
    clone
        .crash()
        .record(&clone.crash().report_for("watchdog fired"))
        .unwrap();
    assert_eq!(
        (
            log.crash().reports(5).unwrap().len(),
            other.crash().reports(5).unwrap().len()
        ),
        (1, 0)
    );
}

// ---------------------------------------------------------------- LoggerBuilder::level

#[test]
fn logger_builder_level_debug_lets_debug_through_good() {
    let (builder, sink) = captured(Format::Human);
    let log = builder.level(Level::Debug).build();
    corers_log::debug!(log, "resolved command");
    assert_eq!(sink.lines().len(), 1);
}

#[test]
fn logger_builder_level_error_drops_warn_bad() {
    let (builder, sink) = captured(Format::Human);
    let log = builder.level(Level::Error).build();
    corers_log::warn!(log, "disk almost full");
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_builder_level_last_call_wins_ugly() {
    let (builder, _sink) = captured(Format::Human);
    let log = builder.level(Level::Quiet).level(Level::Debug).build();
    assert_eq!(log.level(), Level::Debug);
}

// ---------------------------------------------------------------- LoggerBuilder::format

#[test]
fn logger_builder_format_json_lines_parse_good() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.build();
    corers_log::info!(log, service = "brain", "service started");
    corers_log::warn!(log, free_mb = 120, "disk almost full");
    let parsed: Vec<serde_json::Value> = sink
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        (parsed.len(), &parsed[1]["fields"]["free_mb"]),
        (2, &serde_json::json!(120))
    );
}

#[test]
fn logger_builder_format_human_is_not_json_bad() {
    let (builder, sink) = captured(Format::Human);
    corers_log::info!(builder.build(), service = "brain", "service started");
    assert!(serde_json::from_str::<serde_json::Value>(&only_line(&sink)).is_err());
}

#[test]
fn logger_builder_format_json_float_extremes_ugly() {
    let (builder, sink) = captured(Format::Json);
    corers_log::info!(
        builder.build(),
        tiny = 1e-300,
        huge = 1e300,
        negative_zero = -0.0,
        "extremes"
    );
    let fields = &only_json(&sink)["fields"];
    assert_eq!(
        (
            fields["tiny"].as_f64(),
            fields["huge"].as_f64(),
            fields["negative_zero"].as_f64()
        ),
        (Some(1e-300), Some(1e300), Some(-0.0))
    );
}

// ---------------------------------------------------------------- LoggerBuilder::output

#[test]
fn logger_builder_output_memory_captures_good() {
    let sink = MemorySink::new();
    let log = Logger::builder()
        .output(Output::Memory(sink.clone()))
        .build();
    corers_log::info!(log, "service started");
    assert!(sink.contents().ends_with("INFO  logger: service started\n"));
}

#[test]
fn logger_builder_output_replaced_sink_gets_nothing_bad() {
    let (first, second) = (MemorySink::new(), MemorySink::new());
    let log = Logger::builder()
        .output(Output::Memory(first.clone()))
        .output(Output::Memory(second.clone()))
        .build();
    corers_log::info!(log, "service started");
    assert_eq!((first.lines().len(), second.lines().len()), (0, 1));
}

#[test]
fn logger_builder_output_tiny_rotating_file_keeps_lines_whole_ugly() {
    let dir = TempDir::new("logger-output");
    let file = RotatingFile::builder(dir.join("workbench.log"))
        .max_bytes(1)
        .keep(100)
        .build()
        .unwrap();
    let log = Logger::builder()
        .output(Output::File(file))
        .clock(common::fixed_time)
        .build();
    for service in ["brain", "cache", "git"] {
        corers_log::info!(log, service, "service started");
    }
    log.flush();
    let mut contents: Vec<String> = dir
        .names()
        .iter()
        .map(|name| std::fs::read_to_string(dir.join(name)).unwrap())
        .collect();
    contents.sort();
    assert_eq!(
        contents,
        ["brain", "cache", "git"].map(|service| format!(
            "{FIXED_STAMP} INFO  logger: service started service={service}\n"
        ))
    );
}

// ---------------------------------------------------------------- LoggerBuilder::layer

#[test]
fn logger_builder_layer_sees_events_good() {
    let counter = Counter::default();
    let (builder, sink) = captured(Format::Human);
    let log = builder.layer(counter.clone()).build();
    corers_log::info!(log, "service started");
    log.in_scope(|| tracing::warn!("disk almost full"));
    assert_eq!((counter.seen(), sink.lines().len()), (2, 2));
}

#[test]
fn logger_builder_layer_filtered_by_level_bad() {
    let counter = Counter::default();
    let (builder, _sink) = captured(Format::Human);
    let log = builder.level(Level::Warn).layer(counter.clone()).build();
    log.in_scope(|| tracing::info!("service started"));
    corers_log::debug!(log, "resolved command");
    assert_eq!(counter.seen(), 0);
}

#[test]
fn logger_builder_layer_several_all_see_each_event_ugly() {
    let (first, second) = (Counter::default(), Counter::default());
    let (builder, sink) = captured(Format::Human);
    let log = builder.layer(first.clone()).layer(second.clone()).build();
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    assert_eq!((first.seen(), second.seen(), sink.lines().len()), (1, 1, 1));
}

// ---------------------------------------------------------------- LoggerBuilder::clock

#[test]
fn logger_builder_clock_stamps_lines_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::info!(log, "service started");
    assert!(only_line(&sink).starts_with("2026-11-26T14:13:29.000Z "));
}

#[test]
fn logger_builder_clock_before_epoch_writes_epoch_bad() {
    let sink = MemorySink::new();
    let log = Logger::builder()
        .output(Output::Memory(sink.clone()))
        .clock(|| UNIX_EPOCH - Duration::from_secs(86_400))
        .build();
    corers_log::info!(log, "service started");
    assert!(only_line(&sink).starts_with("1970-01-01T00:00:00.000Z "));
}

#[test]
fn logger_builder_clock_far_future_and_millis_ugly() {
    let sink = MemorySink::new();
    let log = Logger::builder()
        .output(Output::Memory(sink.clone()))
        .clock(|| UNIX_EPOCH + Duration::from_millis(253_402_300_799_999))
        .build();
    corers_log::info!(log, "service started");
    assert!(only_line(&sink).starts_with("9999-12-31T23:59:59.999Z "));
}

// ---------------------------------------------------------------- LoggerBuilder::build

#[test]
fn logger_builder_build_applies_every_setting_good() {
    let counter = Counter::default();
    let (builder, sink) = captured(Format::Json);
    let log = builder
        .level(Level::Warn)
        .redactor(corers_log::Redactor::new(["session_*"]))
        .layer(counter.clone())
        .crash_meta("app", "workbench")
        .build();
    corers_log::warn!(log, session_id = "7f3a9c", "session expired");
    let line = only_json(&sink);
    assert_eq!(
        (
            log.level(),
            counter.seen(),
            &line["fields"]["session_id"],
            log.crash().report_for("probe").meta["app"].as_str()
        ),
        (
            Level::Warn,
            1,
            &serde_json::json!("[REDACTED]"),
            "workbench"
        )
    );
}

#[test]
fn logger_builder_build_does_not_become_default_bad() {
    // No test in this file calls `make_default`, so the default is the fallback.
    let (log, _sink) = capture(Format::Human, Level::Debug);
    assert_eq!(
        (format!("{:?}", default_logger()), log.level()),
        (
            "Logger { filter: info, output: Stderr, .. }".to_owned(),
            Level::Debug
        )
    );
}

#[test]
fn logger_builder_build_from_many_threads_ugly() {
    let loggers: Vec<(Logger, MemorySink)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| capture(Format::Human, Level::Info)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (log, _)) in loggers.iter().enumerate() {
        corers_log::info!(log, worker = i, "worker started");
    }
    assert!(loggers.iter().all(|(_, sink)| sink.lines().len() == 1));
}

#[test]
fn logger_in_scope_callsite_first_seen_outside_any_logger_ugly() {
    // tracing caches each callsite's interest the first time it is hit; a callsite first
    // hit where no logger is current must still log once inside a logger's scope.
    fn emit() {
        tracing::info!(service = "brain", "seen after a first hit outside");
    }
    let (log, sink) = capture(Format::Human, Level::Info);
    emit();
    log.in_scope(emit);
    assert!(
        sink.contents().contains("seen after a first hit outside"),
        "{}",
        sink.contents()
    );
}

#[test]
fn logger_set_level_from_a_thread_outside_scope_keeps_logging_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let flipper = log.clone();
    std::thread::spawn(move || {
        flipper.set_level(Level::Debug);
        flipper.set_level(Level::Info);
    })
    .join()
    .unwrap();
    corers_log::info!(log, "still logged after a level change elsewhere");
    assert!(
        sink.contents()
            .contains("still logged after a level change elsewhere")
    );
}
