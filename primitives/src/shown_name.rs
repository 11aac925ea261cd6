//! [`shown_name`]: a name as an error message quotes it.

/// `name` quoted and escaped as an error message shows it (`"git.log"`, control characters
/// as `\u{1b}`), cut after 64 characters: a name a caller made up (10,000 characters, a
/// megabyte from a model) is not echoed whole into a terminal or a log.
///
/// ```
/// use corers_primitives::shown_name;
/// assert_eq!(shown_name("git.log"), r#""git.log""#);
/// assert_eq!(shown_name(&"x".repeat(100)), format!("{:?}…", "x".repeat(64)));
/// ```
pub fn shown_name(name: &str) -> String {
    const SHOWN: usize = 64;
    match name.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &name[..cut]),
        None => format!("{name:?}"),
    }
}
