//! [`Level`]: which event levels a logger level allows, parsing, display and order.

use corers_log::Level;
use corers_primitives::ErrorCode;

const ALL: [Level; 6] = [
    Level::Quiet,
    Level::Error,
    Level::Warn,
    Level::Info,
    Level::Debug,
    Level::Trace,
];

// ---------------------------------------------------------------- Level::allows

#[test]
fn level_allows_same_or_more_severe_good() {
    let allowed: Vec<Level> = ALL
        .into_iter()
        .filter(|event| Level::Info.allows(*event))
        .collect();
    assert_eq!(allowed, [Level::Error, Level::Warn, Level::Info]);
}

#[test]
fn level_allows_more_verbose_refused_bad() {
    assert_eq!(
        (
            Level::Info.allows(Level::Debug),
            Level::Warn.allows(Level::Info),
            Level::Error.allows(Level::Warn)
        ),
        (false, false, false)
    );
}

#[test]
fn level_allows_quiet_nothing_and_nothing_quiet_ugly() {
    // Quiet lets nothing through, and a "quiet" event is never shown, even at Debug.
    let any = ALL
        .into_iter()
        .any(|event| Level::Quiet.allows(event) || event.allows(Level::Quiet));
    assert!(!any);
}

// ---------------------------------------------------------------- parsing and display

#[test]
fn level_parse_any_case_and_aliases_good() {
    let parsed: Vec<Level> = ["QUIET", "off", "Error", "warning", "INFO", "Debug", "trace"]
        .into_iter()
        .map(|text| text.parse().unwrap())
        .collect();
    assert_eq!(
        parsed,
        [
            Level::Quiet,
            Level::Quiet,
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace
        ]
    );
    // RUST_LOG's numbers.
    let numbered: Vec<Level> = ["0", "1", "2", "3", "4", "5"]
        .into_iter()
        .map(|text| text.parse().unwrap())
        .collect();
    assert_eq!(numbered, ALL);
}

#[test]
fn level_parse_unknown_is_invalid_bad() {
    let err = "verbose".parse::<Level>().unwrap_err();
    assert_eq!(
        (err.code(), err.operation(), err.message()),
        (
            Some(&ErrorCode::INVALID),
            "log.Level.parse",
            r#"unknown level "verbose": use quiet, error, warn, info, debug or trace"#
        )
    );
}

#[test]
fn level_parse_padded_or_empty_is_invalid_ugly() {
    let rejected = [" info", "info\n", "", "ınfo", "6", "-1", "03"]
        .into_iter()
        .all(|text| text.parse::<Level>().is_err());
    assert!(rejected);
}

#[test]
fn level_display_round_trips_good() {
    let texts: Vec<String> = ALL.into_iter().map(|level| level.to_string()).collect();
    let back: Vec<Level> = texts.iter().map(|text| text.parse().unwrap()).collect();
    assert_eq!(
        (texts.join(","), back),
        ("quiet,error,warn,info,debug,trace".to_owned(), ALL.to_vec())
    );
}

#[test]
fn level_default_is_info_and_order_is_verbosity_good() {
    let mut shuffled = [
        Level::Debug,
        Level::Trace,
        Level::Error,
        Level::Info,
        Level::Quiet,
        Level::Warn,
    ];
    shuffled.sort();
    assert_eq!((Level::default(), shuffled), (Level::Info, ALL));
}

// ---------------------------------------------------------------- Level: serde

#[test]
fn level_deserialize_from_a_settings_file_good() {
    for (text, level) in [
        (r#""debug""#, Level::Debug),
        (r#""WARNING""#, Level::Warn),
        (r#""off""#, Level::Quiet),
    ] {
        assert_eq!(
            serde_json::from_str::<Level>(text).unwrap(),
            level,
            "{text}"
        );
    }
    for level in ALL {
        let written = serde_json::to_string(&level).unwrap();
        assert_eq!(written, format!("\"{level}\""));
        assert_eq!(serde_json::from_str::<Level>(&written).unwrap(), level);
    }
}

#[test]
fn level_deserialize_unknown_name_says_which_are_known_bad() {
    let err = serde_json::from_str::<Level>(r#""verbose""#).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown level "verbose": use quiet, error, warn, info, debug or trace"#
    );
}

#[test]
fn level_deserialize_number_or_huge_text_refused_ugly() {
    // Numbers are RUST_LOG's only as text; a map or a number is no level.
    assert!(serde_json::from_str::<Level>("3").is_err());
    assert!(serde_json::from_str::<Level>("{}").is_err());
    let huge = format!("\"{}\"", "v".repeat(100_000));
    let err = serde_json::from_str::<Level>(&huge)
        .unwrap_err()
        .to_string();
    assert!(err.len() < 200, "{}", err.len());
}
