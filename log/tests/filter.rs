//! [`Filter`]: levels per target in `RUST_LOG`'s syntax, and a logger filtering by them.

mod common;

use common::{FIXED_STAMP, captured, only_line};
use corers_log::{Filter, Format, Level, Logger};
use corers_primitives::ErrorCode;
use proptest::prelude::*;

fn filter(text: &str) -> Filter {
    text.parse().unwrap()
}

// ---------------------------------------------------------------- Filter::from_str

#[test]
fn filter_parse_default_and_targets_good() {
    let parsed = filter(" warn , workbench=info,workbench::store=DEBUG,,sqlx=off ");
    assert_eq!(parsed.default_level(), Level::Warn);
    assert_eq!(
        parsed.to_string(),
        "warn,workbench::store=debug,workbench=info,sqlx=off"
    );
    // Nothing given: everything at info.
    assert_eq!(filter(""), Filter::default());
    assert_eq!(filter("debug"), Filter::from(Level::Debug));
}

#[test]
fn filter_parse_refuses_what_it_cannot_read_bad() {
    for (text, says) in [
        ("info,hyper=loud", "unknown level \"loud\""),
        ("=debug", "a target is a module path"),
        ("my crate=debug", "a target is a module path"),
        (
            "workbench[request{id=7}]=debug",
            "span and field filters are not read",
        ),
    ] {
        let err = text.parse::<Filter>().unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{text}");
        assert!(err.message().contains(says), "{text}: {err}");
        assert_eq!(err.operation(), "log.Filter.parse");
    }
}

#[test]
fn filter_parse_repeated_and_bare_targets_ugly() {
    // The last directive for a target, and for the default, wins.
    let parsed = filter("info,hyper=debug,warn,hyper=error");
    assert_eq!(parsed.to_string(), "warn,hyper=error");
    // A bare target lets everything of it through; levels may be RUST_LOG's numbers.
    let parsed = filter("workbench::store,sqlx=4,2");
    assert_eq!(parsed.level_for("workbench::store"), Level::Trace);
    assert_eq!(parsed.level_for("sqlx"), Level::Debug);
    assert_eq!(parsed.default_level(), Level::Warn);
}

// ---------------------------------------------------------------- Filter::parse_lossy

#[test]
fn filter_parse_lossy_keeps_what_reads_good() {
    let (parsed, left_out) = Filter::parse_lossy("corers_lifecycle=debug,hyper=loud", Level::Warn);
    assert_eq!(parsed.to_string(), "warn,corers_lifecycle=debug");
    assert_eq!(left_out.len(), 1);
    assert_eq!(left_out[0].code(), Some(&ErrorCode::INVALID));
    assert!(
        left_out[0].message().contains("unknown level \"loud\""),
        "{}",
        left_out[0]
    );
    // A bare level of its own wins over the default given.
    let (parsed, left_out) = Filter::parse_lossy("debug,hyper=off", Level::Warn);
    assert_eq!(parsed.to_string(), "debug,hyper=off");
    assert!(left_out.is_empty());
}

#[test]
fn filter_parse_lossy_nothing_that_reads_is_the_default_bad() {
    for text in ["", "[span]=debug", "my crate=debug,=info"] {
        let (parsed, _) = Filter::parse_lossy(text, Level::Error);
        assert_eq!(parsed, Filter::from(Level::Error), "{text:?}");
    }
    let (_, left_out) = Filter::parse_lossy("my crate=debug,=info", Level::Error);
    assert_eq!(left_out.len(), 2);
}

#[test]
fn filter_parse_lossy_agrees_with_from_str_on_what_reads_ugly() {
    // Targets alone: the default given stays for the rest, where from_str is quiet.
    let (lossy, _) = Filter::parse_lossy("workbench=debug", Level::Warn);
    assert_eq!(lossy.level_for("hyper"), Level::Warn);
    assert_eq!(filter("workbench=debug").level_for("hyper"), Level::Quiet);
    // Where every directive reads and a level is given, the two read alike.
    for text in ["warn,workbench::store=debug,hyper=off", "trace", "2,sqlx=4"] {
        let (lossy, left_out) = Filter::parse_lossy(text, Level::Info);
        assert!(left_out.is_empty());
        assert_eq!(lossy, filter(text), "{text}");
    }
}

// ---------------------------------------------------------------- Filter::level_for

#[test]
fn filter_level_for_longest_match_wins_good() {
    let parsed = filter("warn,workbench=info,workbench::store=debug");
    assert_eq!(parsed.level_for("workbench::store"), Level::Debug);
    assert_eq!(parsed.level_for("workbench::store::sql"), Level::Debug);
    assert_eq!(parsed.level_for("workbench::cli"), Level::Info);
}

#[test]
fn filter_level_for_unnamed_target_takes_the_default_bad() {
    let parsed = filter("error,workbench=debug");
    assert_eq!(parsed.level_for("hyper::proto::h1"), Level::Error);
    assert_eq!(parsed.level_for(""), Level::Error);
}

#[test]
fn filter_level_for_matches_by_start_as_env_filter_ugly() {
    // As tracing's EnvFilter: `corers` covers `corers_messaging` too.
    let parsed = filter("quiet,corers=debug");
    assert_eq!(parsed.level_for("corers_messaging::bus"), Level::Debug);
    assert_eq!(parsed.level_for("core"), Level::Quiet);
}

// ---------------------------------------------------------------- Filter::default_level

#[test]
fn filter_default_level_is_the_bare_level_good() {
    assert_eq!(filter("debug,hyper=warn").default_level(), Level::Debug);
}

#[test]
fn filter_default_level_without_one_is_quiet_beside_targets_bad() {
    // As EnvFilter: naming targets alone logs those targets alone.
    assert_eq!(filter("hyper=warn").default_level(), Level::Quiet);
    assert_eq!(filter("").default_level(), Level::Info);
}

#[test]
fn filter_default_level_quiet_keeps_named_targets_ugly() {
    let parsed = filter("off,workbench=info");
    assert_eq!(parsed.default_level(), Level::Quiet);
    assert_eq!(parsed.level_for("workbench"), Level::Info);
}

// ---------------------------------------------------------------- Filter::loosest

#[test]
fn filter_loosest_is_the_most_any_target_lets_through_good() {
    assert_eq!(filter("warn,workbench=debug").loosest(), Level::Debug);
}

#[test]
fn filter_loosest_of_stricter_targets_is_the_default_bad() {
    assert_eq!(filter("info,hyper=warn,sqlx=off").loosest(), Level::Info);
}

#[test]
fn filter_loosest_of_all_quiet_is_quiet_ugly() {
    assert_eq!(filter("off,hyper=off").loosest(), Level::Quiet);
}

proptest! {
    /// Whatever reads, reads back to the same filter from its display.
    #[test]
    fn filter_display_round_trips_ugly(
        directives in proptest::collection::vec(
            ("[a-z_]{1,6}(::[a-z_]{1,6}){0,2}", prop_oneof!["off", "error", "warn", "info", "debug", "trace"], any::<bool>()),
            0..6,
        )
    ) {
        let text: Vec<String> = directives
            .iter()
            .map(|(target, level, bare)| if *bare { level.clone() } else { format!("{target}={level}") })
            .collect();
        let parsed: Filter = text.join(",").parse().unwrap();
        prop_assert_eq!(parsed.to_string().parse::<Filter>().unwrap(), parsed);
    }

    /// Any text either reads or is refused as INVALID; it never panics.
    #[test]
    fn filter_parse_any_text_never_panics_ugly(text in "\\PC{0,40}") {
        if let Err(err) = text.parse::<Filter>() {
            prop_assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        }
    }
}

// ---------------------------------------------------------------- Logger with a filter

fn filtered(text: &str) -> (Logger, corers_log::MemorySink) {
    let (builder, sink) = captured(Format::Human);
    (builder.filter(filter(text)).build(), sink)
}

#[test]
fn logger_builder_filter_lets_each_target_through_at_its_level_good() {
    let (log, sink) = filtered("warn,workbench::store=debug");
    log.in_scope(|| {
        tracing::debug!(target: "workbench::store", "query took 3 ms");
        tracing::info!(target: "workbench::cli", "resolved workspace/list");
        tracing::warn!(target: "hyper", "connection reset");
    });
    assert_eq!(
        sink.lines(),
        [
            format!("{FIXED_STAMP} DEBUG workbench::store: query took 3 ms"),
            format!("{FIXED_STAMP} WARN  hyper: connection reset"),
        ]
    );
    assert_eq!(log.level(), Level::Warn);
}

#[test]
fn logger_builder_filter_debug_target_drops_its_trace_events_bad() {
    let (log, sink) = filtered("info,h2=debug,hyper=trace");
    log.in_scope(|| {
        tracing::trace!(target: "h2::codec", "frame received");
        tracing::debug!(target: "h2::codec", "stream opened");
        tracing::trace!(target: "hyper::proto", "poll");
    });
    assert_eq!(
        sink.lines(),
        [
            format!("{FIXED_STAMP} DEBUG h2::codec: stream opened"),
            format!("{FIXED_STAMP} TRACE hyper::proto: poll"),
        ]
    );
}

#[test]
fn logger_builder_filter_quiet_target_drops_its_errors_bad() {
    let (log, sink) = filtered("info,sqlx=off");
    log.in_scope(|| {
        tracing::error!(target: "sqlx::pool", "pool timed out");
        tracing::error!(target: "workbench", "index failed");
    });
    assert!(only_line(&sink).ends_with("ERROR workbench: index failed"));
}

#[test]
fn logger_builder_filter_macros_check_the_loosest_level_ugly() {
    // The crate's macros first ask `enabled`, which must not refuse what a target allows.
    let (log, sink) = filtered("quiet,filter=debug");
    assert!(log.enabled(Level::Debug));
    corers_log::debug!(log, "logged from this test's module");
    assert!(only_line(&sink).ends_with("DEBUG filter: logged from this test's module"));
}

#[test]
fn logger_filter_reads_back_what_was_set_good() {
    let (log, _sink) = filtered("warn,workbench=debug");
    assert_eq!(log.filter(), filter("warn,workbench=debug"));
}

#[test]
fn logger_filter_after_set_level_names_no_target_bad() {
    let (log, _sink) = filtered("warn,workbench=debug");
    log.set_level(Level::Error);
    assert_eq!(log.filter(), Filter::from(Level::Error));
    assert!(!log.enabled(Level::Warn));
}

#[test]
fn logger_filter_of_a_default_logger_is_info_everywhere_ugly() {
    assert_eq!(Logger::builder().build().filter(), Filter::default());
}

#[test]
fn logger_set_filter_changes_a_callsite_already_seen_good() {
    let (log, sink) = filtered("info");
    for attempt in 1..=2 {
        // The same callsite, first while its target is at info, then at debug.
        log.in_scope(|| tracing::debug!(target: "workbench::store", attempt, "retrying"));
        log.set_filter(filter("info,workbench::store=debug"));
    }
    assert!(only_line(&sink).ends_with("DEBUG workbench::store: retrying attempt=2"));
}

#[test]
fn logger_set_filter_quiet_target_bad() {
    let (log, sink) = filtered("debug");
    log.set_filter(filter("debug,workbench::store=quiet"));
    log.in_scope(|| tracing::error!(target: "workbench::store", "disk full"));
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_set_filter_two_loggers_keep_their_own_ugly() {
    let (chatty, chatty_sink) = filtered("debug");
    let (quiet, quiet_sink) = filtered("debug");
    quiet.set_filter(filter("quiet"));
    chatty.in_scope(|| tracing::debug!(target: "workbench", "chatty"));
    quiet.in_scope(|| tracing::debug!(target: "workbench", "quiet"));
    assert!(only_line(&chatty_sink).ends_with("DEBUG workbench: chatty"));
    assert_eq!(quiet_sink.contents(), "");
}
