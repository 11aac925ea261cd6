//! proptest strategies shared by the corers-log tests.

use proptest::prelude::*;

/// Text built to break a log line: any character at all, mixed with plenty of the ones
/// that end lines, move the cursor, colour a terminal or need quoting.
pub(crate) fn hostile_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            2 => prop::sample::select(vec![
                '\n', '\r', '\t', '\u{0}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}',
                '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '"', '\\', '=', ' ',
            ]),
            2 => prop::sample::select(vec!['a', 'z', 'é', 'ホ', '🚀', '/', '.', '{', '}']),
        ],
        0..64,
    )
    .prop_map(String::from_iter)
}
