//! Integration tests for the helpers: `id`, `validate_name`, `validate_path`, `glob_match`.

use std::collections::HashSet;
use std::thread;

use corers_primitives::{
    ErrorCode, escape_controls, glob_match, id, is_invisible, validate_name, validate_path,
};

fn is_lower_hex_32(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Asserts that `validate_name` rejects `name` as INVALID with `reason` in the message.
fn assert_bad_name(name: &str, reason: &str) {
    let err = validate_name(name).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
    assert!(err.to_string().contains(reason), "{err}");
}

/// Asserts that `validate_path` rejects `path` as INVALID, naming the whole path and `reason`.
fn assert_bad_path(path: &str, reason: &str) {
    let err = validate_path(path).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{path:?}")),
        "{text} does not name {path:?}"
    );
    assert!(text.contains(reason), "{text}");
}

// ---------------------------------------------------------------- id

#[test]
fn id_thirty_two_lowercase_hex_good() {
    let made = id();
    assert!(is_lower_hex_32(&made), "{made:?}");
}

#[test]
fn id_strictly_increasing_good() {
    let ids: Vec<String> = (0..10_000).map(|_| id()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn id_never_repeats_bad() {
    let ids: HashSet<String> = (0..10_000).map(|_| id()).collect();
    assert_eq!(ids.len(), 10_000);
}

/// Not a test of its own: prints 10,000 ids when `CORERS_ID_CHILD` is set.
#[test]
fn id_child() {
    if std::env::var_os("CORERS_ID_CHILD").is_some() {
        for _ in 0..10_000 {
            println!("@@{}", id());
        }
    }
}

#[test]
fn id_unique_across_processes_started_together_ugly() {
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "id_child", "--nocapture", "--test-threads=1"])
                .env("CORERS_ID_CHILD", "1")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut all = HashSet::new();
    let mut prefixes = HashSet::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let ids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("@@"))
            .map(|(_, id)| id)
            .collect();
        assert_eq!(ids.len(), 10_000);
        // Each process draws its own time-and-random prefix (20 digits), whatever the
        // clock: processes started in the same millisecond still differ by it.
        prefixes.insert(ids[0][..20].to_owned());
        assert!(ids.iter().all(|id| id[..20] == ids[0][..20]));
        all.extend(ids.into_iter().map(str::to_owned));
    }
    assert_eq!(prefixes.len(), 4, "two processes drew the same prefix");
    assert_eq!(all.len(), 40_000, "ids repeated across processes");
}

#[test]
fn id_unique_across_threads_ugly() {
    let handles: Vec<_> = (0..8)
        .map(|_| thread::spawn(|| (0..10_000).map(|_| id()).collect::<Vec<_>>()))
        .collect();
    let mut all = HashSet::new();
    for handle in handles {
        let ids = handle.join().unwrap();
        // Each thread sees its own ids increase, even when interleaved with others.
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|i| is_lower_hex_32(i)));
        all.extend(ids);
    }
    assert_eq!(all.len(), 80_000);
}

// ---------------------------------------------------------------- validate_name

#[test]
fn validate_name_returns_name_good() {
    assert_eq!(validate_name("workspace.toml").unwrap(), "workspace.toml");
}

#[test]
fn validate_name_255_bytes_good() {
    let name = "n".repeat(255);
    assert_eq!(validate_name(&name).unwrap(), name);
}

#[test]
fn validate_name_unicode_good() {
    assert!(validate_name("ноутбук-日本-🦀.md").is_ok());
}

#[test]
fn validate_name_empty_bad() {
    assert_bad_name("", "empty");
}

#[test]
fn validate_name_dot_bad() {
    assert_bad_name(".", "'.' and '..' are not allowed");
}

#[test]
fn validate_name_dot_dot_bad() {
    assert_bad_name("..", "'.' and '..' are not allowed");
}

#[test]
fn validate_name_slash_bad() {
    assert_bad_name("a/b", "contains '/'");
}

#[test]
fn validate_name_backslash_bad() {
    assert_bad_name("a\\b", "contains '\\'");
}

#[test]
fn validate_name_nul_bad() {
    assert_bad_name("plan\0.md", "contains NUL");
}

#[test]
fn validate_name_newline_bad() {
    assert_bad_name("plan\n.md", "contains a control character");
}

#[test]
fn validate_name_256_bytes_bad() {
    assert_bad_name(&"n".repeat(256), "longer than 255 bytes");
}

#[test]
fn validate_name_error_message_snapshot_bad() {
    insta::assert_snapshot!(
        "validate_name_parent",
        validate_name("..").unwrap_err().to_string()
    );
    insta::assert_snapshot!(
        "validate_name_escape",
        validate_name("a\u{1b}[2J").unwrap_err().to_string()
    );
}

#[test]
fn validate_name_multibyte_limit_counts_bytes_ugly() {
    // "日" is three bytes: 85 of them are 255 bytes, 86 are 258.
    assert!(validate_name(&"日".repeat(85)).is_ok());
    assert_bad_name(&"日".repeat(86), "longer than 255 bytes");
}

#[test]
fn validate_name_leading_dots_accepted_ugly() {
    for name in ["..foo", "...", ".hidden", "foo..", "a.b..c"] {
        assert!(validate_name(name).is_ok(), "{name:?}");
    }
}

#[test]
fn validate_name_del_and_c1_controls_ugly() {
    for name in ["\u{7f}", "tab\there", "\u{85}", "\r"] {
        assert_bad_name(name, "contains a control character");
    }
}

#[test]
fn validate_name_invisible_characters_rejected_ugly() {
    // Bidi overrides and zero-width characters make a name display as something else:
    // "invoice\u{202e}fdp.exe" renders as "invoiceexe.pdf".
    for name in [
        "invoice\u{202e}fdp.exe",
        "zero\u{200b}width",
        "\u{feff}bom",
        "a\u{2066}b",
        "invoice\u{61c}exe.pdf",
        "soft\u{ad}hyphen",
        "filler\u{3164}",
        "line\u{2028}break",
        "tag\u{e0041}",
        "variation\u{fe0f}",
    ] {
        let err = validate_name(name).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
        assert!(
            err.message().contains("invisible or direction-changing"),
            "{name:?}"
        );
    }
}

#[test]
fn validate_name_whitespace_at_either_end_rejected_ugly() {
    for name in [" ", "   ", " alpha", "alpha ", "alpha\u{3000}"] {
        assert_bad_name(name, "begins or ends with whitespace");
    }
    assert_eq!(validate_name("my notes.md").unwrap(), "my notes.md");
}

// ---------------------------------------------------------------- is_invisible

#[test]
fn is_invisible_bidi_zero_width_and_separators_good() {
    for c in [
        '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{61c}', '\u{2028}', '\u{ad}',
    ] {
        assert!(is_invisible(c), "{:x}", c as u32);
    }
}

#[test]
fn is_invisible_visible_text_and_ordinary_whitespace_bad() {
    for c in ['a', 'é', '工', '🦀', ' ', '\u{3000}', '-', '\u{200a}'] {
        assert!(!is_invisible(c), "{:x}", c as u32);
    }
}

#[test]
fn is_invisible_plane_ends_and_tags_ugly() {
    // Tag characters and variation selectors, at the ends of their ranges.
    for c in ['\u{e0000}', '\u{e0fff}', '\u{fe00}', '\u{fe0f}'] {
        assert!(is_invisible(c), "{:x}", c as u32);
    }
    assert!(!is_invisible('\u{e1000}'));
    assert!(!is_invisible(char::MAX));
}

// ---------------------------------------------------------------- escape_controls

#[test]
fn escape_controls_writes_escapes_and_overrides_as_text_good() {
    assert_eq!(
        escape_controls("ev\u{1b}]0;PWNED\u{7}dir/invoice\u{202e}fdp.exe", |_| false),
        r"ev\u{1b}]0;PWNED\u{7}dir/invoice\u{202e}fdp.exe"
    );
}

#[test]
fn escape_controls_plain_text_is_borrowed_unchanged_bad() {
    let text = "workspace \"alpha\" created — ホーム";
    assert!(matches!(
        escape_controls(text, |_| false),
        std::borrow::Cow::Borrowed(t) if t == text
    ));
}

#[test]
fn escape_controls_keeps_only_what_keep_says_ugly() {
    // A multi-line message keeps its line breaks and tabs; a carriage return, which
    // would overwrite the line, and DEL and C1 controls do not stay.
    assert_eq!(
        escape_controls("a\n\tb\rc\u{7f}\u{9b}2J", |c| c == '\n' || c == '\t'),
        "a\n\tb\\u{d}c\\u{7f}\\u{9b}2J"
    );
}

// ---------------------------------------------------------------- validate_path

#[test]
fn validate_path_relative_good() {
    assert_eq!(
        validate_path("notes/2026/plan.md").unwrap(),
        "notes/2026/plan.md"
    );
}

#[test]
fn validate_path_single_segment_good() {
    assert_eq!(validate_path("plan.md").unwrap(), "plan.md");
}

#[test]
fn validate_path_empty_bad() {
    assert_bad_path("", "empty");
}

#[test]
fn validate_path_absolute_bad() {
    assert_bad_path("/etc", "absolute (leading '/')");
}

#[test]
fn validate_path_trailing_slash_bad() {
    assert_bad_path("a/", "trailing '/'");
}

#[test]
fn validate_path_double_slash_bad() {
    assert_bad_path("a//b", "double '/'");
}

#[test]
fn validate_path_parent_segment_bad() {
    assert_bad_path("a/../b", "'.' and '..' are not allowed");
}

#[test]
fn validate_path_current_segment_bad() {
    assert_bad_path("./a", "'.' and '..' are not allowed");
}

#[test]
fn validate_path_nul_bad() {
    assert_bad_path("notes/pl\0an.md", "contains NUL");
}

#[test]
fn validate_path_control_char_bad() {
    assert_bad_path("notes/\u{1b}plan.md", "contains a control character");
}

#[test]
fn validate_path_error_message_snapshot_bad() {
    insta::assert_snapshot!(
        "validate_path_escape",
        validate_path("notes/../../etc/passwd")
            .unwrap_err()
            .to_string()
    );
    insta::assert_snapshot!(
        "validate_path_absolute",
        validate_path("/etc/passwd").unwrap_err().to_string()
    );
}

#[test]
fn validate_path_leading_dots_accepted_ugly() {
    // CoreGO rejected these as if they were "..".
    for path in ["..foo", "notes/..foo/bar..", ".config/app", "a/.../b"] {
        assert_eq!(validate_path(path).unwrap(), path);
    }
}

#[test]
fn validate_path_lone_parent_rejected_ugly() {
    let err = validate_path("..").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    // A one-segment path is still reported as a path.
    insta::assert_snapshot!("validate_path_lone_parent", err.to_string());
}

#[test]
fn validate_path_long_segment_rejected_ugly() {
    // Named by its first 64 characters: a 10,000-character name is not echoed whole.
    let path = format!("notes/{}", "n".repeat(10_000));
    let err = validate_path(&path).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    let shown = format!("{:?}…", &path[..64]);
    assert!(err.message().contains(&shown), "{err}");
    assert!(err.message().len() < 200, "{err}");
    assert!(err.message().contains("longer than 255 bytes"), "{err}");
}

#[test]
fn validate_path_many_max_segments_accepted_ugly() {
    // Each segment is limited, the whole path is not.
    let path = vec!["n".repeat(255); 64].join("/");
    assert!(validate_path(&path).is_ok());
}

#[test]
fn validate_path_backslash_segment_rejected_ugly() {
    assert_bad_path("notes\\..\\etc/passwd", "contains '\\'");
}

// ---------------------------------------------------------------- glob_match

#[test]
fn glob_match_literal_good() {
    assert!(glob_match("git.log", "git.log"));
}

#[test]
fn glob_match_prefix_star_good() {
    assert!(glob_match("process.*", "process.run"));
}

#[test]
fn glob_match_no_match_bad() {
    assert!(!glob_match("process.*", "git.log"));
}

#[test]
fn glob_match_literal_mismatch_bad() {
    assert!(!glob_match("git.log", "git.logs"));
}

#[test]
fn glob_match_case_sensitive_bad() {
    assert!(!glob_match("Git.*", "git.log"));
}

#[test]
fn glob_match_star_matches_empty_ugly() {
    assert!(glob_match("process.*", "process."));
}

#[test]
fn glob_match_star_crosses_dots_and_slashes_ugly() {
    assert!(glob_match("deploy*homelab", "deploy/to/homelab"));
    assert!(glob_match("*", "a.b/c.d"));
}

#[test]
fn glob_match_question_one_char_ugly() {
    assert!(glob_match("git.?og", "git.log"));
    assert!(!glob_match("git.?og", "git.og"));
    assert!(!glob_match("git.?og", "git.xlog"));
}

#[test]
fn glob_match_question_unicode_one_char_ugly() {
    assert!(glob_match("caf?", "café"));
    assert!(glob_match("?", "🦀"));
    assert!(!glob_match("??", "🦀"));
}

#[test]
fn glob_match_empty_pattern_only_empty_name_ugly() {
    assert!(glob_match("", ""));
    assert!(!glob_match("", "git.log"));
    assert!(glob_match("*", ""));
    assert!(!glob_match("?", ""));
}

#[test]
fn glob_match_consecutive_stars_ugly() {
    assert!(glob_match("**.log**", "git.log"));
}

#[test]
fn glob_match_pathological_pattern_terminates_ugly() {
    let name = "a".repeat(1000);
    assert!(!glob_match("a*a*a*a*a*a*b", &name));
    assert!(glob_match("a*a*a*a*a*a*a", &name));
}

// ---------------------------------------------------------------- shown_name

#[test]
fn shown_name_good() {
    assert_eq!(
        corers_primitives::shown_name("workspace.create"),
        r#""workspace.create""#
    );
}

#[test]
fn shown_name_bad() {
    // Control characters a caller sent are escaped, not written to the terminal.
    assert_eq!(
        corers_primitives::shown_name("a\u{1b}[31m"),
        r#""a\u{1b}[31m""#
    );
}

#[test]
fn shown_name_ugly() {
    // Cut after 64 characters, on a character boundary; exactly 64 is whole.
    let long = "é".repeat(65);
    assert_eq!(
        corers_primitives::shown_name(&long),
        format!("{:?}…", "é".repeat(64))
    );
    let exact = "x".repeat(64);
    assert_eq!(corers_primitives::shown_name(&exact), format!("{exact:?}"));
    assert_eq!(corers_primitives::shown_name(""), r#""""#);
}
