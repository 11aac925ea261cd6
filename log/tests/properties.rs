//! Property tests: whatever the message and field values, each event is exactly one line in
//! both formats, and every JSON line parses back to the same text.

mod common;
mod strategies;

use corers_log::{Format, Level, REDACTED};
use proptest::prelude::*;

use common::capture;
use strategies::hostile_text;

/// The control and invisible characters of `text` (a line separator, a bidi override, a
/// zero-width joiner: what the formats promise to escape), in order.
fn controls(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_control() || corers_primitives::is_invisible(*c))
        .collect()
}

proptest! {
    #[test]
    fn logger_builder_format_human_one_line_per_event_ugly(
        message in hostile_text(),
        path in hostile_text(),
        secret in hostile_text(),
    ) {
        let (log, sink) = capture(Format::Human, Level::Info);
        corers_log::info!(log, path = path.as_str(), api_token = secret.as_str(), "{message}");
        corers_log::warn!(log, path = ?path, "{message}");
        let contents = sink.contents();
        // Two events, two line ends, and no other control character anywhere.
        prop_assert_eq!(controls(&contents), "\n\n");
        prop_assert!(contents.ends_with('\n'));
        prop_assert!(contents.contains(" api_token=[REDACTED]"));
    }

    #[test]
    fn logger_builder_format_json_one_line_and_parses_back_ugly(
        message in hostile_text(),
        path in hostile_text(),
        secret in hostile_text(),
    ) {
        let (log, sink) = capture(Format::Json, Level::Info);
        corers_log::info!(log, path = path.as_str(), api_token = secret.as_str(), "{message}");
        let contents = sink.contents();
        prop_assert_eq!(controls(&contents), "\n");
        prop_assert!(contents.ends_with('\n'));
        let line: serde_json::Value = serde_json::from_str(contents.trim_end_matches('\n'))
            .map_err(|e| TestCaseError::fail(format!("{e}: {contents:?}")))?;
        prop_assert_eq!(line["msg"].as_str(), Some(message.as_str()));
        prop_assert_eq!(line["fields"]["path"].as_str(), Some(path.as_str()));
        prop_assert_eq!(line["fields"]["api_token"].as_str(), Some(REDACTED));
    }
}
