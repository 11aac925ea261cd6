//! The logging macros `debug!`, `info!`, `warn!`, `error!` and `security!`: the line each
//! writes, the level check that comes first (arguments of a disabled call are never
//! evaluated), `%`/`?` values, and re-entrant logging.

mod common;

use std::cell::Cell;
use std::fmt;

use corers_log::{Format, Level, Logger};

use common::{FIXED_STAMP, capture, only_json, only_line};

/// A field value whose `Debug` logs through a logger, as a careless `Debug` impl might.
struct LogsWhenFormatted(Logger);

impl fmt::Debug for LogsWhenFormatted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        corers_log::debug!(self.0, "formatting workspace config");
        f.write_str("WorkspaceConfig")
    }
}

// ---------------------------------------------------------------- info!

#[test]
fn info_writes_message_and_fields_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::info!(log, service = "brain", took_ms = 12, "service started");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} INFO  macros: service started service=brain took_ms=12")
    );
}

#[test]
fn info_below_level_writes_nothing_bad() {
    let (log, sink) = capture(Format::Human, Level::Warn);
    corers_log::info!(log, service = "brain", "service started");
    assert_eq!(sink.contents(), "");
}

#[test]
fn info_format_arguments_and_unicode_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let (files, host) = (3, "ホームラボ");
    corers_log::info!(log, host, "synced {files} files to {}", "studio 🚀");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} INFO  macros: synced 3 files to studio 🚀 host=ホームラボ")
    );
}

#[test]
fn info_security_bool_field_is_only_a_field_ugly() {
    // Only the security target makes a Security event: a field named `security` on an info
    // line cannot forge (or hide) one.
    let (log, sink) = capture(Format::Json, Level::Info);
    corers_log::info!(log, security = true, user = "deploy-bot", "sudo granted");
    let line = only_json(&sink);
    assert_eq!(
        (&line["level"], &line["security"], &line["fields"]),
        (
            &serde_json::json!("INFO"),
            &serde_json::Value::Null,
            &serde_json::json!({"security": true, "user": "deploy-bot"})
        )
    );
}

#[test]
fn info_reentrant_logging_from_field_debug_ugly() {
    let (log, sink) = capture(Format::Human, Level::Debug);
    let config = LogsWhenFormatted(log.clone());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        corers_log::info!(log, config = ?config, "workspace loaded");
    }));
    assert!(outcome.is_ok(), "logging panicked");
    assert!(
        sink.lines()
            .iter()
            .any(|line| line.ends_with("INFO  macros: workspace loaded config=WorkspaceConfig")),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- debug!

#[test]
fn debug_at_debug_level_writes_good() {
    let (log, sink) = capture(Format::Human, Level::Debug);
    corers_log::debug!(log, attempt = 2, "retrying git.log");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} DEBUG macros: retrying git.log attempt=2")
    );
}

#[test]
fn debug_at_info_skips_argument_evaluation_bad() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let evaluated = Cell::new(0);
    let expensive = || {
        evaluated.set(evaluated.get() + 1);
        "deploy/to/homelab"
    };
    corers_log::debug!(log, path = expensive(), "resolved {}", expensive());
    assert_eq!((evaluated.get(), sink.contents()), (0, String::new()));
}

#[test]
fn debug_fields_only_no_message_ugly() {
    let (log, sink) = capture(Format::Human, Level::Debug);
    corers_log::debug!(log, attempt = 2, backoff_ms = 250);
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} DEBUG macros: attempt=2 backoff_ms=250")
    );
}

// ---------------------------------------------------------------- warn!

#[test]
fn warn_writes_warn_line_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::warn!(log, free_mb = 120, "disk almost full");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} WARN  macros: disk almost full free_mb=120")
    );
}

#[test]
fn warn_at_error_level_writes_nothing_bad() {
    let (log, sink) = capture(Format::Human, Level::Error);
    corers_log::warn!(log, free_mb = 120, "disk almost full");
    assert_eq!(sink.contents(), "");
}

#[test]
fn warn_display_and_debug_sigils_escaped_ugly() {
    let (log, sink) = capture(Format::Human, Level::Info);
    let cause = std::io::Error::other("connection reset\nby peer");
    corers_log::warn!(log, error = %cause, path = ?"/srv/data", "sync retried");
    assert_eq!(
        only_line(&sink),
        format!(
            r#"{FIXED_STAMP} WARN  macros: sync retried error="connection reset\nby peer" path="\"/srv/data\"""#
        )
    );
}

// ---------------------------------------------------------------- error!

#[test]
fn error_writes_error_line_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::error!(log, service = "cache", "stop hook timed out");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} ERROR macros: stop hook timed out service=cache")
    );
}

#[test]
fn error_at_quiet_writes_nothing_bad() {
    let (log, sink) = capture(Format::Human, Level::Quiet);
    corers_log::error!(log, service = "cache", "stop hook timed out");
    assert_eq!(sink.contents(), "");
}

#[test]
fn error_huge_multiline_value_one_whole_line_ugly() {
    let (log, sink) = capture(Format::Json, Level::Info);
    let dump = "frame\n".repeat(200_000);
    corers_log::error!(log, dump = dump.as_str(), "worker state dumped");
    assert_eq!(
        only_json(&sink)["fields"]["dump"].as_str(),
        Some(dump.as_str())
    );
}

// ---------------------------------------------------------------- security!

#[test]
fn security_tags_error_line_good() {
    let (log, sink) = capture(Format::Human, Level::Info);
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    assert_eq!(
        only_line(&sink),
        format!("{FIXED_STAMP} ERROR [security] token rotated user=deploy-bot")
    );
}

#[test]
fn security_at_quiet_writes_nothing_bad() {
    let (log, sink) = capture(Format::Human, Level::Quiet);
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    assert_eq!(sink.contents(), "");
}

#[test]
fn security_false_field_cannot_untag_ugly() {
    let (log, sink) = capture(Format::Json, Level::Error);
    corers_log::security!(log, security = false, "token rotated");
    let line = only_json(&sink);
    assert_eq!(
        (&line["target"], &line["security"], &line["fields"]),
        (
            &serde_json::json!("security"),
            &serde_json::json!(true),
            &serde_json::json!({"security": false})
        )
    );
}
