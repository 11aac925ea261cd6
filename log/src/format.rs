//! [`Format`]: how one event becomes one line, human or JSON.

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::SystemTime;

use corers_primitives::{Error, ErrorCode};

use crate::Level;
use crate::time::write_rfc3339;

/// The shape of each log line.
///
/// Both shapes keep one event on exactly one line: newlines, ANSI escapes and other control
/// characters in messages and values are escaped, so user data can never forge a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// `2026-11-26T14:23:29.123Z INFO  brain::store: service started service=brain took_ms=12`,
    /// with the level coloured when the output is a terminal (and `NO_COLOR` is not set),
    /// and the event's target
    /// before its message (unless [`with_target(false)`](crate::LoggerBuilder::with_target));
    /// an event inside spans names them first, outermost first
    /// (`WARN  action{name=git.log trace=7}: corers_messaging::action: action failed`).
    #[default]
    Human,
    /// One JSON object per line:
    /// `{"time":"…","level":"INFO","target":"…","msg":"service started","fields":{"service":"brain"}}`,
    /// with `"spans":[{"name":"action","fields":{"name":"git.log"}}]` (outermost first) for
    /// an event inside spans.
    Json,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Human => "human",
            Format::Json => "json",
        })
    }
}

impl FromStr for Format {
    type Err = Error;

    /// Parses `human` or `json`, in any case.
    ///
    /// ```
    /// use corers_log::Format;
    /// assert_eq!("JSON".parse::<Format>().unwrap(), Format::Json);
    /// assert!("yaml".parse::<Format>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Format, Error> {
        match text.to_ascii_lowercase().as_str() {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            _ => Err(Error::new(
                "log.Format.parse",
                format!(
                    "unknown log format {}: use human or json",
                    corers_primitives::shown_name(text)
                ),
            )
            .with_code(ErrorCode::INVALID)),
        }
    }
}

/// Written as its name (`"json"`), so a settings struct can hold a format.
impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read as [`FromStr`] reads it: `"json"`, `"Human"`.
impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Format, D::Error> {
        crate::level::by_name(deserializer)
    }
}

/// A field value as recorded from a tracing event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum FieldValue<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// How a human line is decorated: the level's colour, the event's target.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) colour: bool,
    pub(crate) target: bool,
}

/// One event, ready to render.
pub(crate) struct Record<'a> {
    pub(crate) time: SystemTime,
    pub(crate) level: Level,
    pub(crate) target: &'a str,
    pub(crate) security: bool,
    pub(crate) message: &'a str,
    /// The fields, already rendered by [`Format::render_field`].
    pub(crate) fields: &'a str,
    /// The spans the event happened in, outermost first, already rendered by
    /// [`Format::render_span`]; empty outside any span.
    pub(crate) spans: &'a str,
}

impl Format {
    /// Appends `record` as one line, newline included, to `out`.
    pub(crate) fn render(self, record: &Record<'_>, style: Style, out: &mut String) {
        match self {
            Format::Human => human(record, style, out),
            Format::Json => json(record, out),
        }
        out.push('\n');
    }

    /// Appends the span `name` with its `fields` (rendered by
    /// [`render_field`](Format::render_field)) to `spans`: `lifecycle{phase=startup}:` in
    /// the human format, `{"name":"lifecycle","fields":{"phase":"startup"}}` (comma
    /// separated) in JSON.
    pub(crate) fn render_span(self, name: &str, fields: &str, spans: &mut String) {
        match self {
            Format::Human => {
                escape_human(name, spans);
                if !fields.is_empty() {
                    spans.push('{');
                    // Each rendered field starts with a blank: the first one needs none.
                    spans.push_str(&fields[1..]);
                    spans.push('}');
                }
                spans.push(':');
            }
            Format::Json => {
                if !spans.is_empty() {
                    spans.push(',');
                }
                spans.push_str("{\"name\":");
                json_string(name, spans);
                spans.push_str(",\"fields\":{");
                spans.push_str(fields);
                spans.push_str("}}");
            }
        }
    }

    /// Appends one field to `fields`, rendered for this format, so that a record's fields
    /// are written while the event is visited, with no allocation per field.
    pub(crate) fn render_field(self, key: &str, value: FieldValue<'_>, fields: &mut String) {
        match self {
            Format::Human => {
                fields.push(' ');
                escape_human(key, fields);
                fields.push('=');
                match value {
                    FieldValue::Str(s) => human_value(s, fields),
                    FieldValue::I64(i) => {
                        let _ = write!(fields, "{i}");
                    }
                    FieldValue::U64(u) => {
                        let _ = write!(fields, "{u}");
                    }
                    FieldValue::F64(f) => {
                        let _ = write!(fields, "{f}");
                    }
                    FieldValue::Bool(b) => {
                        let _ = write!(fields, "{b}");
                    }
                }
            }
            Format::Json => {
                if !fields.is_empty() {
                    fields.push(',');
                }
                json_string(key, fields);
                fields.push(':');
                match value {
                    FieldValue::Str(s) => json_string(s, fields),
                    FieldValue::I64(i) => {
                        let _ = write!(fields, "{i}");
                    }
                    FieldValue::U64(u) => {
                        let _ = write!(fields, "{u}");
                    }
                    FieldValue::F64(f) if f.is_finite() => {
                        let _ = write!(fields, "{f}");
                    }
                    // JSON has no NaN or infinity: write them as text rather than break the line.
                    FieldValue::F64(f) => json_string(&f.to_string(), fields),
                    FieldValue::Bool(b) => {
                        let _ = write!(fields, "{b}");
                    }
                }
            }
        }
    }
}

fn human(record: &Record<'_>, style: Style, out: &mut String) {
    write_rfc3339(out, record.time);
    out.push(' ');
    let tag = record.level.tag();
    if style.colour {
        let code = match record.level {
            Level::Error => "31",
            Level::Warn => "33",
            Level::Info => "32",
            Level::Debug | Level::Quiet => "34",
            Level::Trace => "35",
        };
        let _ = write!(out, "\x1b[{code}m{tag:<5}\x1b[0m");
    } else {
        let _ = write!(out, "{tag:<5}");
    }
    if record.security {
        out.push_str(" [security]");
    }
    if !record.spans.is_empty() {
        out.push(' ');
        out.push_str(record.spans);
    }
    // A Security event's target is its `[security]` tag.
    if style.target && !record.security && !record.target.is_empty() {
        out.push(' ');
        escape_human(record.target, out);
        out.push(':');
    }
    if !record.message.is_empty() {
        out.push(' ');
        // A message that could pass for `key=value` fields (user text in it: "login by
        // bob role=admin") is quoted, so the fields that follow are the only fields; so is
        // one that begins with `[`, so that only a Security event reads `[security]`.
        if record.message.contains(['=', '"']) || record.message.starts_with('[') {
            human_value(record.message, out);
        } else {
            escape_human(record.message, out);
        }
    }
    out.push_str(record.fields);
    // The level tag is padded for alignment; a line that ends there keeps no trailing blank.
    let kept = out.trim_end_matches(' ').len();
    out.truncate(kept);
}

/// Writes a value bare when it is one plain word, quoted and escaped otherwise.
fn human_value(value: &str, out: &mut String) {
    let plain = !value.is_empty()
        && !value.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || corers_primitives::is_invisible(c)
                || matches!(c, '"' | '=' | '\\')
        });
    if plain {
        out.push_str(value);
    } else {
        out.push('"');
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c => escape_char(c, out),
            }
        }
        out.push('"');
    }
}

/// Writes text with control and invisible characters escaped (`\n`, `\t`, `\u{1b}`,
/// `\u{202e}`): user data can neither forge a line nor make one display as another.
fn escape_human(text: &str, out: &mut String) {
    for c in text.chars() {
        escape_char(c, out);
    }
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() || corers_primitives::is_invisible(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

fn json(record: &Record<'_>, out: &mut String) {
    out.push_str("{\"time\":\"");
    write_rfc3339(out, record.time);
    out.push_str("\",\"level\":\"");
    out.push_str(record.level.tag());
    out.push_str("\",\"target\":");
    json_string(record.target, out);
    out.push_str(",\"msg\":");
    json_string(record.message, out);
    if record.security {
        out.push_str(",\"security\":true");
    }
    if !record.spans.is_empty() {
        out.push_str(",\"spans\":[");
        out.push_str(record.spans);
        out.push(']');
    }
    out.push_str(",\"fields\":{");
    out.push_str(record.fields);
    out.push_str("}}");
}

/// Writes `text` as a JSON string literal; every control and invisible character is escaped.
fn json_string(text: &str, out: &mut String) {
    // A String never fails to take text.
    let _ = corers_primitives::write_json_string(out, text);
}
