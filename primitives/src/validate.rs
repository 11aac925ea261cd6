//! Name and path validation shared by every crate that accepts names from users.

use crate::{Error, ErrorCode, Result};

/// The longest name, and the longest path segment, in bytes (the common filesystem limit).
const MAX_NAME: usize = 255;

/// Checks that `name` is one safe name: a service, a mount, a file name.
///
/// Returns the name unchanged so the call can sit inside an expression.
///
/// ```
/// use corers_primitives::validate_name;
/// assert_eq!(validate_name("workspace.toml").unwrap(), "workspace.toml");
/// assert!(validate_name("../etc").is_err());
/// ```
///
/// # Errors
/// [`ErrorCode::INVALID`], naming the name and the rule it breaks, when it is empty, `.` or
/// `..`, is only whitespace or begins or ends with it, contains `/` or `\`, contains NUL
/// or another control character, contains an invisible character (zero-width,
/// bidirectional formatting, a soft hyphen, a filler: anything that shows as nothing or
/// changes how the rest shows), or is longer than 255 bytes.
pub fn validate_name(name: &str) -> Result<&str> {
    check_segment("primitives.validate_name", "name", name, name).map(|()| name)
}

/// Checks that `path` is a relative path that stays where it is put: segments separated by
/// single `/`, each a valid [name](validate_name).
///
/// ```
/// use corers_primitives::validate_path;
/// assert_eq!(validate_path("notes/2026/plan.md").unwrap(), "notes/2026/plan.md");
/// assert!(validate_path("notes/../../etc/passwd").is_err());
/// assert!(validate_path("/etc/passwd").is_err());
/// ```
///
/// # Errors
/// [`ErrorCode::INVALID`], naming the path and the rule it breaks, when it is empty, starts
/// with `/`, ends with `/`, contains `//`, or has a segment that is not a valid name
/// (`..` and `.` included).
pub fn validate_path(path: &str) -> Result<&str> {
    const OP: &str = "primitives.validate_path";
    if path.is_empty() {
        return Err(invalid(OP, "path", path, "empty"));
    }
    if path.starts_with('/') {
        return Err(invalid(OP, "path", path, "absolute (leading '/')"));
    }
    if path.ends_with('/') {
        return Err(invalid(OP, "path", path, "trailing '/'"));
    }
    if path.contains("//") {
        return Err(invalid(OP, "path", path, "double '/'"));
    }
    for segment in path.split('/') {
        check_segment(OP, "path", path, segment)?;
    }
    Ok(path)
}

/// Checks one segment; errors name `whole`, the name or the full path (`what`).
fn check_segment(op: &'static str, what: &str, whole: &str, segment: &str) -> Result<()> {
    let reason = if segment.is_empty() {
        "empty"
    } else if segment == "." || segment == ".." {
        "'.' and '..' are not allowed"
    } else if segment.contains('\0') {
        "contains NUL"
    } else if segment.chars().any(char::is_control) {
        "contains a control character"
    } else if segment.chars().any(is_invisible) {
        "contains an invisible or direction-changing character"
    } else if segment.starts_with(char::is_whitespace) || segment.ends_with(char::is_whitespace) {
        "begins or ends with whitespace"
    } else if segment.contains('/') {
        "contains '/'"
    } else if segment.contains('\\') {
        "contains '\\'"
    } else if segment.len() > MAX_NAME {
        "longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(invalid(op, what, whole, reason))
}

/// `text` with its control and [invisible](is_invisible) characters written as `\u{1b}`,
/// but those `keep` keeps (line breaks in a multi-line message): text someone else chose
/// (a file name, a value, an error's words) shown on a terminal can then neither send it
/// escape sequences (retitle the window, clear the screen) nor display as something else.
/// Borrowed when there is nothing to escape.
///
/// ```
/// use corers_primitives::escape_controls;
/// assert_eq!(
///     escape_controls("no such file ev\u{1b}]0;PWNED\u{7}\n", |c| c == '\n'),
///     "no such file ev\\u{1b}]0;PWNED\\u{7}\n"
/// );
/// assert!(matches!(escape_controls("plain", |_| false), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn escape_controls(text: &str, keep: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| (c.is_control() || is_invisible(c)) && !keep(c);
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Reports whether `c` shows as nothing or changes how the text around it shows: Unicode's
/// format characters (zero-width, bidirectional, invisible operators, interlinear
/// annotation and tag characters), the line and paragraph separators, variation selectors
/// and the Hangul fillers. They make a name display as something it is not
/// (`"invoice\u{202e}fdp.exe"` shows as `invoiceexe.pdf`), or a log line as another; the
/// validators refuse them and the log escapes them.
///
/// ```
/// use corers_primitives::is_invisible;
/// assert!(is_invisible('\u{202e}'));
/// assert!(!is_invisible('é'));
/// ```
pub fn is_invisible(c: char) -> bool {
    // Nothing below the soft hyphen is: ASCII text (most of a log line) costs one compare.
    if c < '\u{ad}' {
        return false;
    }
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061c}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08e2}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

fn invalid(op: &'static str, what: &str, value: &str, reason: &str) -> Error {
    Error::new(
        op,
        format!("invalid {what} {}: {reason}", crate::shown_name(value)),
    )
    .with_code(ErrorCode::INVALID)
}
