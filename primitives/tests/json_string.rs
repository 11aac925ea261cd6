//! [`write_json_string`]: text as a JSON string literal a parser reads back exactly.

use corers_primitives::write_json_string;

fn json(text: &str) -> String {
    let mut out = String::new();
    write_json_string(&mut out, text).unwrap();
    out
}

#[test]
fn write_json_string_escapes_what_json_must_good() {
    assert_eq!(json(r#"say "hi" \ bye"#), r#""say \"hi\" \\ bye""#);
    assert_eq!(
        json("line one\nline two\ttab"),
        r#""line one\nline two\ttab""#
    );
    assert_eq!(json("ホームラボ 🚀"), "\"ホームラボ 🚀\"");
}

#[test]
fn write_json_string_a_writer_that_fails_is_told_bad() {
    struct Full;
    impl std::fmt::Write for Full {
        fn write_str(&mut self, _: &str) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }
    assert!(write_json_string(&mut Full, "disk full").is_err());
}

#[test]
fn write_json_string_control_and_invisible_characters_as_escapes_ugly() {
    let hostile = "\u{1b}[2J\0\u{202e}txt.exe\u{e0041}";
    let shown = json(hostile);
    assert_eq!(shown, r#""\u001b[2J\u0000\u202etxt.exe\udb40\udc41""#);
    assert_eq!(serde_json::from_str::<String>(&shown).unwrap(), hostile);
}
