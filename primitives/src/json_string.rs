//! [`write_json_string`]: text as a JSON string literal that can neither break a line nor
//! display as other text.

use std::fmt;

/// Writes `text` as a JSON string literal: quotes and backslashes escaped, and every
/// control and invisible character as `\uXXXX` (beyond the Basic Multilingual Plane as the
/// UTF-16 pair JSON spells it with), so that a viewer shows the escape rather than a new
/// line, a recoloured terminal or a reordered line.
///
/// ```
/// let mut out = String::new();
/// corers_primitives::write_json_string(&mut out, "db: \u{1b}[31mdown\n").unwrap();
/// assert_eq!(out, r#""db: \u001b[31mdown\n""#);
/// ```
///
/// # Errors
/// Only `out`'s own (a `String` never fails).
pub fn write_json_string(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c.is_control() || crate::is_invisible(c) => {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{unit:04x}")?;
                }
            }
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}
