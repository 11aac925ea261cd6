//! The human and JSON line formats, pinned with insta snapshots (plain line, error fields,
//! redaction, escaped newlines and ANSI, Security events), plus escaping details and
//! [`LogLayer`] inside a plain tracing subscriber.

mod common;

use corers_log::{AuditEvent, Format, Level, LogLayer, MemorySink, Output, Redactor};
use corers_primitives::{Error, ErrorCode};
use tracing_subscriber::layer::SubscriberExt;

use common::{FIXED_STAMP, capture, only_json, only_line};

/// A value and a message that try to forge a second line and recolour the terminal.
const FORGED_PATH: &str = "/srv/data\n2026-11-26T14:13:29.000Z INFO  backup finished";
const FORGED_MESSAGE: &str = "\u{1b}[31mdisk almost full\u{1b}[0m\r\nERROR forged";

fn plain_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    corers_log::info!(log, service = "brain", took_ms = 12_u64, "service started");
    only_line(&sink)
}

fn error_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    let missing = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
    let _ = log.error(missing, "config.Config.load", "load workspace.toml");
    only_line(&sink)
}

fn redacted_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    corers_log::info!(
        log,
        repo = "core/rs",
        "GITHUB_TOKEN" = "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "clone started"
    );
    only_line(&sink)
}

fn forged_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    corers_log::warn!(log, path = FORGED_PATH, "{FORGED_MESSAGE}");
    only_line(&sink)
}

fn security_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    only_line(&sink)
}

fn audit_line(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    log.audit(AuditEvent::SandboxEscape {
        root: "/srv/data",
        path: "../etc/passwd",
    });
    only_line(&sink)
}

// ---------------------------------------------------------------- snapshots: plain line

#[test]
fn logger_builder_format_human_plain_line_good() {
    insta::assert_snapshot!("human_plain_line", plain_line(Format::Human));
}

#[test]
fn logger_builder_format_json_plain_line_good() {
    insta::assert_snapshot!("json_plain_line", plain_line(Format::Json));
}

// ---------------------------------------------------------------- snapshots: Error fields

#[test]
fn logger_error_human_line_has_op_code_stack_good() {
    insta::assert_snapshot!("human_error", error_line(Format::Human));
}

#[test]
fn logger_error_json_line_has_op_code_stack_good() {
    insta::assert_snapshot!("json_error", error_line(Format::Json));
}

// ---------------------------------------------------------------- snapshots: redaction

#[test]
fn logger_builder_format_human_redacted_key_good() {
    insta::assert_snapshot!("human_redacted", redacted_line(Format::Human));
}

#[test]
fn logger_builder_format_json_redacted_key_good() {
    insta::assert_snapshot!("json_redacted", redacted_line(Format::Json));
}

// ---------------------------------------------------------------- snapshots: forged lines

#[test]
fn logger_builder_format_human_newline_and_ansi_escaped_ugly() {
    insta::assert_snapshot!("human_newline_ansi", forged_line(Format::Human));
}

#[test]
fn logger_builder_format_json_newline_and_ansi_escaped_ugly() {
    insta::assert_snapshot!("json_newline_ansi", forged_line(Format::Json));
}

#[test]
fn logger_builder_format_bidi_and_line_separators_escaped_ugly() {
    // "admin\u{202e}nimda" displays reordered in a bidi-aware viewer; U+2028 breaks lines
    // in some. Both formats show the escape instead.
    for format in [Format::Human, Format::Json] {
        let (log, sink) = capture(format, Level::Info);
        corers_log::warn!(
            log,
            user = "admin\u{202e}nimda",
            tag = "ok\u{e0041}",
            "login from\u{2028}10.0.0.9"
        );
        let line = only_line(&sink);
        for hidden in ['\u{202e}', '\u{2028}', '\u{e0041}'] {
            assert!(!line.contains(hidden), "{line}");
        }
        assert!(line.contains("202e") && line.contains("2028"), "{line}");
        if format == Format::Json {
            // Beyond the BMP: the UTF-16 pair, which a JSON reader turns back into it.
            assert!(line.contains(r"\udb40\udc41"), "{line}");
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed["fields"]["tag"], "ok\u{e0041}");
        }
    }
}

// ---------------------------------------------------------------- snapshots: Security events

#[test]
fn security_human_line_good() {
    insta::assert_snapshot!("human_security", security_line(Format::Human));
}

#[test]
fn security_json_line_good() {
    insta::assert_snapshot!("json_security", security_line(Format::Json));
}

#[test]
fn logger_audit_human_line_good() {
    insta::assert_snapshot!("human_audit", audit_line(Format::Human));
}

#[test]
fn logger_audit_json_line_good() {
    insta::assert_snapshot!("json_audit", audit_line(Format::Json));
}

// ---------------------------------------------------------------- escaping details

#[test]
fn logger_builder_format_json_escaped_line_reads_back_exactly_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    corers_log::warn!(log, path = FORGED_PATH, "{FORGED_MESSAGE}");
    let line = only_json(&sink);
    assert_eq!(
        (line["msg"].as_str(), line["fields"]["path"].as_str()),
        (Some(FORGED_MESSAGE), Some(FORGED_PATH))
    );
}

#[test]
fn logger_builder_format_human_message_cannot_pass_for_fields_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let user = "bob role=admin api_token=[REDACTED]";
    corers_log::info!(log, service = "auth", "login by {user}");
    let line = only_line(&sink);
    // The message is quoted: `role=admin` cannot be read as a field of the line.
    assert!(
        line.contains(r#" "login by bob role=admin api_token=[REDACTED]" service=auth"#),
        "{line}"
    );
}

#[test]
fn logger_builder_format_human_message_cannot_pass_for_a_security_event_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::error!(log, user = "deploy-bot", "[security] token rotated");
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    let lines = sink.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_ne!(lines[0], lines[1]);
    assert!(
        lines[0].contains(r#" "[security] token rotated" user=deploy-bot"#),
        "{}",
        lines[0]
    );
}

#[test]
fn logger_builder_format_json_non_finite_floats_are_text_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    corers_log::info!(
        log,
        load = f64::NAN,
        peak = f64::INFINITY,
        floor = f64::NEG_INFINITY,
        "load sampled"
    );
    let line = only_json(&sink);
    assert_eq!(
        line["fields"],
        serde_json::json!({"load": "NaN", "peak": "inf", "floor": "-inf"})
    );
}

#[test]
fn logger_builder_format_json_c1_control_and_unicode_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    corers_log::info!(log, host = "ホームラボ\u{85}studio", "synced");
    let line = only_line(&sink);
    assert!(
        line.contains(r#""host":"ホームラボ\u0085studio""#),
        "{line}"
    );
}

#[test]
fn logger_builder_format_human_quotes_values_that_need_it_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::info!(
        log,
        path = r"C:\Program Files\core",
        query = "name=\"brain\"",
        empty = "",
        tab = "a\tb",
        "mounted"
    );
    let line = only_line(&sink);
    assert!(
        line.ends_with(
            r#"mounted path="C:\\Program Files\\core" query="name=\"brain\"" empty="" tab="a\tb""#
        ),
        "{line}"
    );
}

#[test]
fn logger_builder_format_human_unicode_value_stays_bare_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::info!(log, host = "ホームラボ", "synced");
    assert!(
        only_line(&sink).ends_with("INFO  format: synced host=ホームラボ"),
        "{}",
        sink.contents()
    );
}

#[test]
fn logger_builder_format_default_is_human_not_json_bad() {
    let sink = MemorySink::new();
    let log = corers_log::Logger::builder()
        .output(Output::Memory(sink.clone()))
        .clock(common::fixed_time)
        .build();
    corers_log::info!(log, service = "brain", "service started");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} INFO  format: service started service=brain")
    );
}

// ---------------------------------------------------------------- LoggerBuilder::with_target

#[test]
fn logger_builder_with_target_false_leaves_it_out_of_human_lines_good() {
    let (builder, sink) = common::captured(Format::Human);
    let log = builder.with_target(false).build();
    log.in_scope(|| {
        tracing::warn!(target: "workbench::store", free_mb = 120_u64, "disk almost full");
        tracing::info_span!("shutdown").in_scope(|| tracing::info!("draining"));
    });
    assert_eq!(
        sink.lines(),
        [
            format!("{FIXED_STAMP} WARN  disk almost full free_mb=120"),
            format!("{FIXED_STAMP} INFO  shutdown: draining"),
        ]
    );
}

#[test]
fn logger_builder_with_target_false_json_keeps_it_bad() {
    let (builder, sink) = common::captured(Format::Json);
    let log = builder.with_target(false).build();
    log.in_scope(|| tracing::warn!(target: "workbench::store", "disk almost full"));
    assert_eq!(only_json(&sink)["target"], "workbench::store");
}

#[test]
fn logger_builder_with_target_crash_line_and_hostile_target_ugly() {
    // A crash line written straight to the output follows the setting too.
    let (builder, sink) = common::captured(Format::Human);
    let log = builder.with_target(false).build();
    let _ = log
        .crash()
        .record(&log.crash().report_for("worker stopped"));
    assert!(
        sink.contents()
            .starts_with(&format!("{FIXED_STAMP} ERROR panic: worker stopped")),
        "{}",
        sink.contents()
    );
    // A target cannot forge a line: it is escaped as a message is.
    let (log, sink) = capture(Format::Human, Level::Info);
    log.in_scope(|| tracing::info!(target: "evil\nINFO  forged", "served"));
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} INFO  evil\\nINFO  forged: served")
    );
}

// ---------------------------------------------------------------- LogLayer::with_target

fn layer_line(layer: LogLayer, sink: &MemorySink) -> String {
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info!(target: "workbench::index", files = 40_u64, "indexed");
    });
    only_line(sink)
}

#[test]
fn log_layer_with_target_names_the_events_target_good() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Human,
        Output::Memory(sink.clone()),
        Redactor::default(),
    );
    assert!(
        layer_line(layer.with_target(true), &sink)
            .ends_with(" INFO  workbench::index: indexed files=40")
    );
}

#[test]
fn log_layer_with_target_false_leaves_it_out_bad() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Human,
        Output::Memory(sink.clone()),
        Redactor::default(),
    );
    assert!(layer_line(layer.with_target(false), &sink).ends_with(" INFO  indexed files=40"));
}

#[test]
fn log_layer_with_target_json_ignores_it_ugly() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Json,
        Output::Memory(sink.clone()),
        Redactor::default(),
    )
    .with_target(false);
    let line: serde_json::Value = serde_json::from_str(&layer_line(layer, &sink)).unwrap();
    assert_eq!(line["target"], "workbench::index");
}

// ---------------------------------------------------------------- LogLayer::new

#[test]
fn log_layer_new_writes_json_in_any_subscriber_good() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Json,
        Output::Memory(sink.clone()),
        Redactor::default(),
    );
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(
            workspace = "alpha",
            api_token = "s3cr3t",
            "workspace created"
        );
    });
    let line = only_json(&sink);
    assert_eq!(
        (&line["msg"], &line["fields"]),
        (
            &serde_json::json!("workspace created"),
            &serde_json::json!({"workspace": "alpha", "api_token": "[REDACTED]"})
        )
    );
}

#[test]
fn log_layer_new_empty_redactor_leaves_secrets_in_clear_bad() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Json,
        Output::Memory(sink.clone()),
        Redactor::new(Vec::<String>::new()),
    );
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info!(api_token = "s3cr3t", "connected");
    });
    assert_eq!(only_json(&sink)["fields"]["api_token"], "s3cr3t");
}

#[test]
fn log_layer_new_event_without_message_ugly() {
    let sink = MemorySink::new();
    let layer = LogLayer::new(
        Format::Human,
        Output::Memory(sink.clone()),
        Redactor::default(),
    );
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info!(service = "brain");
    });
    assert!(
        only_line(&sink).ends_with(" INFO  format: service=brain"),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- spans

/// The line of one event logged inside `lifecycle{phase}` > `action{name, trace, token}`,
/// the action span recording its outcome before the event.
fn line_in_spans(format: Format) -> String {
    let (log, sink) = capture(format, Level::Info);
    log.in_scope(|| {
        let phase = tracing::info_span!("lifecycle", phase = "startup");
        let _phase = phase.enter();
        let action = tracing::info_span!(
            "action",
            name = "git.log",
            trace = 7_u64,
            api_token = "s3cr3t",
            outcome = tracing::field::Empty
        );
        let _action = action.enter();
        action.record("outcome", "error");
        tracing::warn!(error = "exit status 128", "action failed");
    });
    only_line(&sink)
}

#[test]
fn logger_builder_format_human_names_the_spans_of_an_event_good() {
    let line = line_in_spans(Format::Human);
    assert!(
        line.ends_with(
            " WARN  lifecycle{phase=startup}:action{name=git.log trace=7 \
             api_token=[REDACTED] outcome=error}: format: action failed error=\"exit status 128\""
        ),
        "{line}"
    );
}

#[test]
fn logger_builder_format_span_field_recorded_again_is_named_once_ugly() {
    for format in [Format::Json, Format::Human] {
        let (log, sink) = capture(format, Level::Info);
        log.in_scope(|| {
            let request = tracing::info_span!(
                "request",
                path = "/api",
                status = tracing::field::Empty,
                attempt = 1_u64
            );
            let _request = request.enter();
            request.record("status", 200_u64);
            request.record("status", 503_u64);
            request.record("attempt", 2_u64);
            tracing::warn!("request failed");
        });
        let line = only_line(&sink);
        // One per key, with its last value: a key recorded again keeps its place (the
        // `Empty` status took its place at its first recording).
        if format == Format::Json {
            assert!(
                line.contains(r#""spans":[{"name":"request","fields":{"path":"/api","attempt":2,"status":503}}]"#),
                "{line}"
            );
        } else {
            assert!(
                line.contains("request{path=/api attempt=2 status=503}:"),
                "{line}"
            );
        }
    }
}

#[test]
fn logger_builder_format_json_lists_the_spans_of_an_event_good() {
    let (log, sink) = capture(Format::Json, Level::Info);
    log.in_scope(|| {
        let action = tracing::info_span!("action", name = "git.log", trace = 7_u64);
        action.in_scope(|| tracing::info!("action started"));
    });
    assert_eq!(
        only_json(&sink)["spans"],
        serde_json::json!([{"name": "action", "fields": {"name": "git.log", "trace": 7}}])
    );
}

#[test]
fn logger_builder_format_json_span_recorded_later_stays_valid_json_ugly() {
    let line = line_in_spans(Format::Json);
    let parsed: serde_json::Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(
        parsed["spans"][1]["fields"],
        serde_json::json!({
            "name": "git.log", "trace": 7, "api_token": "[REDACTED]", "outcome": "error"
        })
    );
}

/// A field whose `Debug` panics.
struct Unprintable;

impl std::fmt::Debug for Unprintable {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("config poisoned")
    }
}

#[test]
fn logger_builder_format_span_field_that_panics_loses_the_fields_not_the_caller_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let logged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        log.in_scope(|| {
            let span = tracing::info_span!("request", config = ?Unprintable);
            span.record("user", tracing::field::debug(&Unprintable));
            span.in_scope(|| tracing::info!("handled"));
        });
    }));
    assert!(logged.is_ok(), "the panic reached the caller");
    let line = only_line(&sink);
    assert!(line.ends_with(" INFO  request: format: handled"), "{line}");
}

#[test]
fn logger_builder_format_event_outside_spans_has_no_span_part_bad() {
    let (log, sink) = capture(Format::Json, Level::Info);
    corers_log::info!(log, "service started");
    assert!(only_json(&sink).get("spans").is_none());
}

#[test]
fn logger_builder_format_human_span_without_fields_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    log.in_scope(|| {
        tracing::info_span!("shutdown").in_scope(|| tracing::info!("draining"));
    });
    let line = only_line(&sink);
    assert!(
        line.ends_with(" INFO  shutdown: format: draining"),
        "{line}"
    );
}

#[test]
fn log_layer_new_beside_another_keeps_its_own_span_fields_ugly() {
    // Two human layers, one redacting `user`: each line names the span once, redacted by
    // its own layer only.
    let (main, strict) = (MemorySink::new(), MemorySink::new());
    let log = corers_log::Logger::builder()
        .output(Output::Memory(main.clone()))
        .layer(LogLayer::new(
            Format::Human,
            Output::Memory(strict.clone()),
            Redactor::new(["*user*"]),
        ))
        .build();
    log.in_scope(|| {
        tracing::info_span!("request", user = "alice", route = "/ws")
            .in_scope(|| tracing::info!("served"));
    });
    let (main, strict) = (only_line(&main), only_line(&strict));
    assert!(
        main.ends_with(" INFO  request{user=alice route=/ws}: format: served"),
        "{main}"
    );
    assert!(
        strict.ends_with(" INFO  request{user=[REDACTED] route=/ws}: format: served"),
        "{strict}"
    );
}

/// A value whose `Debug` logs, inside whatever span is current.
struct Chatty;

impl std::fmt::Debug for Chatty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tracing::info!("formatting the report");
        f.write_str("report")
    }
}

#[test]
fn log_layer_new_span_field_whose_debug_logs_does_not_hang_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    log.in_scope(|| {
        let span = tracing::info_span!("export", report = tracing::field::Empty);
        let _entered = span.enter();
        span.record("report", tracing::field::debug(&Chatty));
        tracing::info!("exported");
    });
    assert!(
        sink.contents()
            .contains("export{report=report}: format: exported"),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- colour on a terminal

const COLOUR_PROBE: &str = "CORERS_LOG_COLOUR_PROBE";

/// Not a test of its own: run by the tests below on a pseudo-terminal, logs a warning to
/// standard error through a default human logger.
#[test]
fn colour_probe() {
    if std::env::var_os(COLOUR_PROBE).is_none() {
        return;
    }
    let log = corers_log::Logger::builder().build();
    corers_log::warn!(log, free_mb = 120_u64, "disk almost full");
}

/// What `colour_probe` writes on a pseudo-terminal (through `script`), with `NO_COLOR` as
/// given and `TERM=xterm`; `None` where `script` cannot run.
fn on_a_terminal(no_color: Option<&str>) -> Option<String> {
    on_a_terminal_with(no_color.map(|value| ("NO_COLOR", value)))
}

/// What `colour_probe` writes on a pseudo-terminal (through `script`), with `TERM=xterm`,
/// no `NO_COLOR` or `CLICOLOR_FORCE`, and `set`; `None` where `script` cannot run.
fn on_a_terminal_with(set: Option<(&str, &str)>) -> Option<String> {
    let exe = std::env::current_exe().unwrap();
    let command = format!("{} colour_probe --exact --nocapture", exe.display());
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .env(COLOUR_PROBE, "1")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    if let Some((name, value)) = set {
        script.env(name, value);
    }
    // Where every tool the tests need must be there (CI), a missing `script` fails them.
    let Ok(output) = script.output() else {
        assert!(
            std::env::var_os("CORERS_REQUIRE_SHELLS").is_none(),
            "script (util-linux) is not installed, and CORERS_REQUIRE_SHELLS asks for it"
        );
        return None;
    };
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn log_layer_new_colours_the_level_on_a_terminal_good() {
    let Some(shown) = on_a_terminal(None) else {
        return;
    };
    assert!(shown.contains("\u{1b}[33mWARN \u{1b}[0m"), "{shown:?}");
    // An empty NO_COLOR is no request (no-color.org).
    let shown = on_a_terminal(Some("")).unwrap();
    assert!(shown.contains("\u{1b}[33mWARN \u{1b}[0m"), "{shown:?}");
}

#[test]
fn log_layer_new_dumb_terminal_stays_plain_bad() {
    let Some(shown) = on_a_terminal_with(Some(("TERM", "dumb"))) else {
        return;
    };
    assert!(
        shown.contains("WARN  format: disk almost full"),
        "{shown:?}"
    );
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
}

#[test]
fn log_layer_new_clicolor_force_colours_a_pipe_ugly() {
    // Not a terminal (a pipe to `less -R`, a CI log), coloured because asked; `0` and
    // NO_COLOR ask for none.
    let through_a_pipe = |set: &[(&str, &str)]| {
        let mut probe = std::process::Command::new(std::env::current_exe().unwrap());
        probe
            .args(["colour_probe", "--exact", "--nocapture"])
            .env(COLOUR_PROBE, "1")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (name, value) in set {
            probe.env(name, value);
        }
        let output = probe.output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let forced = through_a_pipe(&[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\u{1b}[33mWARN \u{1b}[0m"), "{forced:?}");
    let zero = through_a_pipe(&[("CLICOLOR_FORCE", "0")]);
    assert!(
        zero.contains("WARN  format: disk almost full") && !zero.contains('\u{1b}'),
        "{zero:?}"
    );
    let refused = through_a_pipe(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(
        refused.contains("WARN  format: disk almost full") && !refused.contains('\u{1b}'),
        "{refused:?}"
    );
}

#[test]
fn log_layer_new_no_color_leaves_the_terminal_plain_bad() {
    let Some(shown) = on_a_terminal(Some("1")) else {
        return;
    };
    assert!(
        shown.contains("WARN  format: disk almost full free_mb=120"),
        "{shown:?}"
    );
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
}

// ---------------------------------------------------------------- error fields

/// An HTTP client's error: says what failed, with the cause as its source only.
#[derive(Debug)]
struct SendFailed(std::io::Error);

impl std::fmt::Display for SendFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("error sending request")
    }
}

impl std::error::Error for SendFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn logger_builder_format_human_error_field_says_its_sources_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let err = SendFailed(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "connection refused",
    ));
    log.in_scope(|| tracing::warn!(error = &err as &dyn std::error::Error, "push failed"));
    let line = only_line(&sink);
    assert!(
        line.ends_with(r#"push failed error="error sending request: connection refused""#),
        "{line}"
    );
}

#[test]
fn logger_builder_format_json_error_field_of_a_corers_error_says_each_cause_once_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    let err = Error::wrap(
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        "config.Config.load",
        "load workspace.toml",
    );
    log.in_scope(|| tracing::warn!(error = &err as &dyn std::error::Error, "reload failed"));
    let json = only_json(&sink);
    let said = json["fields"]["error"].as_str().unwrap();
    assert_eq!(said.matches("no such file").count(), 1, "{said}");
    assert_eq!(said, err.to_string());
}

// ---------------------------------------------------------------- Format: parse, serde

#[test]
fn format_parse_and_serde_name_both_shapes_good() {
    for (text, format) in [("human", Format::Human), ("JSON", Format::Json)] {
        assert_eq!(text.parse::<Format>().unwrap(), format);
        let written = serde_json::to_string(&format).unwrap();
        assert_eq!(written, format!("\"{}\"", text.to_lowercase()));
        assert_eq!(serde_json::from_str::<Format>(&written).unwrap(), format);
    }
}

#[test]
fn format_parse_unknown_is_invalid_bad() {
    let err = "yaml".parse::<Format>().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"unknown log format "yaml": use human or json"#
    );
    assert!(serde_json::from_str::<Format>(r#""logfmt""#).is_err());
}

#[test]
fn format_parse_empty_or_huge_is_cut_ugly() {
    assert!("".parse::<Format>().is_err());
    let err = "j".repeat(100_000).parse::<Format>().unwrap_err();
    assert!(err.message().len() < 200, "{}", err.message().len());
}
