//! The file layer: reading a config file into keyed leaves, each with its line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corers_primitives::{Error, ErrorCode, Result, Value};

use crate::key::{EmptyTables, flatten, is_data_table, is_segment};

const OP: &str = "config.ConfigBuilder.file";

/// A config file the builder was given.
#[derive(Clone, Debug)]
pub(crate) struct FileSpec {
    pub(crate) path: PathBuf,
    /// A missing required file is an error; a missing optional one is an empty layer.
    pub(crate) required: bool,
}

/// One value read from a file.
pub(crate) struct FileValue {
    pub(crate) key: String,
    pub(crate) value: Value,
    pub(crate) line: Option<u32>,
}

/// Reads and parses `spec`.
///
/// # Errors
/// [`ErrorCode::NOT_FOUND`] for a missing required file; [`ErrorCode::INVALID`] for a
/// file larger than 16 MiB, a named pipe, or one that does not parse (the message gives `path:line:column`), an unsupported
/// format, or a key that is not a valid config key; the I/O error's code when the file
/// cannot be read ([`ErrorCode::DENIED`] without permission), with that error as the cause.
pub(crate) fn read(spec: &FileSpec) -> Result<Vec<FileValue>> {
    let text = match read_capped(&spec.path) {
        Ok(None) => {
            return Err(Error::new(
                OP,
                format!(
                    "config file {} is larger than {} MiB: not a config file",
                    spec.path.display(),
                    MAX_FILE_BYTES >> 20
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        Ok(Some(text)) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !spec.required => {
            return Ok(Vec::new());
        }
        Err(err) => {
            // The I/O error stays the cause (its kind and OS code reach the caller).
            let code = ErrorCode::of_io(err.kind()).unwrap_or(ErrorCode::UNAVAILABLE);
            return Err(Error::wrap_code(
                err,
                code,
                OP,
                format!("cannot read config file {}", spec.path.display()),
            ));
        }
    };
    warn_if_writable_by_anyone(&spec.path);
    parse(&spec.path, &text)
}

/// The largest config file read: past it, a path given by mistake (a log, a disk image,
/// `/dev/zero`) is refused instead of filling the memory.
const MAX_FILE_BYTES: usize = 16 << 20;

/// The text of the file at `path`, or `None` when it is longer than [`MAX_FILE_BYTES`]
/// (read no further than one byte past it).
fn read_capped(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read as _;
    // A named pipe would block the start (or a reload) in open() until some writer came.
    #[cfg(unix)]
    if std::fs::metadata(path).is_ok_and(|m| {
        use std::os::unix::fs::FileTypeExt as _;
        m.file_type().is_fifo()
    }) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a named pipe, not a file: reading it would wait for a writer",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Ok(None);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Warns (on the current logger) when the file at `path` is writable by every user of the
/// machine: anyone there can change the application's settings — where it writes, what it
/// runs — as ssh's `StrictModes` would refuse it.
fn warn_if_writable_by_anyone(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        if metadata.permissions().mode() & 0o002 != 0 {
            tracing::warn!(
                file = %path.display(),
                "config file is writable by any user: anyone on this machine can change the settings (chmod o-w)"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Parses `text` in the format `path`'s extension names (TOML when it names none).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<FileValue>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        None | Some("toml") => parse_toml(path, text),
        Some("json") => parse_json(path, text),
        Some("yaml" | "yml") => parse_yaml(path, text),
        Some(other) => Err(Error::new(
            OP,
            format!(
                "config file {}: unsupported format {other:?} (use .toml, .json or .yaml)",
                path.display()
            ),
        )
        .with_code(ErrorCode::INVALID)),
    }
}

fn parse_toml(path: &Path, text: &str) -> Result<Vec<FileValue>> {
    let table: toml::Table =
        toml::from_str(text).map_err(|err| syntax(path, text, err.span(), err.message()))?;
    let spans = toml::de::DeTable::parse(text)
        .map_err(|err| syntax(path, text, err.span(), err.message()))?;
    let mut lines = HashMap::new();
    // Where each line starts, found once: a line per key by binary search, not a rescan of
    // the text before each key.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    key_lines(path, text, &newlines, "", spans.get_ref(), &mut lines)?;
    let mut leaves = Vec::new();
    for (key, value) in table {
        let value = from_toml(value).ok_or_else(|| {
            Error::new(
                OP,
                format!(
                    "config file {}: {key:?} holds inf or nan; only finite numbers are supported",
                    path.display()
                ),
            )
            .with_code(ErrorCode::INVALID)
        })?;
        flatten(OP, &key, value, EmptyTables::Drop, &mut leaves).map_err(|e| in_file(path, &e))?;
    }
    Ok(leaves
        .into_iter()
        .map(|(key, value)| {
            let line = lines.get(&key).copied();
            FileValue { key, value, line }
        })
        .collect())
}

/// The line of every key in a parsed TOML document, by dotted key; a table of data (see
/// [`is_data_table`]) is one value, at its own line.
///
/// # Errors
/// [`ErrorCode::INVALID`], at the key's line and column, for a top-level key that cannot
/// be a config key segment (`"db.lan" = 1`).
fn key_lines(
    path: &Path,
    text: &str,
    newlines: &[usize],
    prefix: &str,
    table: &toml::de::DeTable<'_>,
    out: &mut HashMap<String, u32>,
) -> Result<()> {
    if !prefix.is_empty() && is_data_table(table.keys().map(|key| key.get_ref().as_ref())) {
        return Ok(());
    }
    for (key, value) in table {
        if !is_segment(key.get_ref()) {
            let (line, column) = line_col(text, key.span().start);
            return Err(located(
                path,
                line,
                column,
                &format!(
                    "{:?} cannot be a config key: use ASCII letters, digits, '_' and '-' (a \
                     quoted \"a.b\" is one name, and config keys nest at '.')",
                    key.get_ref()
                ),
            ));
        }
        let dotted = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        let line = newlines.partition_point(|&at| at < key.span().start) + 1;
        out.insert(dotted.clone(), u32::try_from(line).unwrap_or(u32::MAX));
        if let toml::de::DeValue::Table(nested) = value.get_ref() {
            key_lines(path, text, newlines, &dotted, nested, out)?;
        }
    }
    Ok(())
}

/// Converts a TOML value (datetimes become their TOML text); `None` when it holds a
/// non-finite float, which a [`Value`] cannot carry across JSON.
pub(crate) fn from_toml(value: toml::Value) -> Option<Value> {
    Some(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Int(i),
        toml::Value::Float(f) if f.is_finite() => Value::Float(f),
        toml::Value::Float(_) => return None,
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => {
            Value::List(items.into_iter().map(from_toml).collect::<Option<_>>()?)
        }
        toml::Value::Table(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Some((k, from_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(feature = "json")]
fn parse_json(path: &Path, text: &str) -> Result<Vec<FileValue>> {
    let value: Value = serde_json::from_str(text).map_err(|err| {
        let at = u32::try_from(err.line()).unwrap_or(u32::MAX);
        let column = u32::try_from(err.column()).unwrap_or(u32::MAX);
        located(path, at, column, &without_location(&err.to_string()))
    })?;
    leaves_without_lines(path, value)
}

#[cfg(not(feature = "json"))]
fn parse_json(path: &Path, _text: &str) -> Result<Vec<FileValue>> {
    Err(needs_feature(path, "json"))
}

#[cfg(feature = "yaml")]
fn parse_yaml(path: &Path, text: &str) -> Result<Vec<FileValue>> {
    let value: Value = serde_norway::from_str(text).map_err(|err| match err.location() {
        Some(at) => located(
            path,
            u32::try_from(at.line()).unwrap_or(u32::MAX),
            u32::try_from(at.column()).unwrap_or(u32::MAX),
            &without_location(&err.to_string()),
        ),
        None => Error::new(OP, format!("config file {}: {err}", path.display()))
            .with_code(ErrorCode::INVALID),
    })?;
    leaves_without_lines(path, value)
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(path: &Path, _text: &str) -> Result<Vec<FileValue>> {
    Err(needs_feature(path, "yaml"))
}

/// A parser's message without its trailing `at line L column C` (the caller puts the
/// place first, as `path:line:column:`).
#[cfg(any(feature = "json", feature = "yaml"))]
fn without_location(message: &str) -> String {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
        .to_owned()
}

#[cfg(any(feature = "json", feature = "yaml"))]
fn leaves_without_lines(path: &Path, value: Value) -> Result<Vec<FileValue>> {
    // (Reading a `Value` already refused inf, nan and integers beyond i64.)
    // An empty or comment-only YAML document, or JSON's `null`: a file that sets nothing.
    if value == Value::Null {
        return Ok(Vec::new());
    }
    if !matches!(value, Value::Map(_)) {
        return Err(Error::new(
            OP,
            format!(
                "config file {}: the document must be a map of keys, found: {}",
                path.display(),
                value.kind()
            ),
        )
        .with_code(ErrorCode::INVALID));
    }
    check_names(&value).map_err(|e| in_file(path, &e))?;
    let mut leaves = Vec::new();
    flatten(OP, "", value, EmptyTables::Drop, &mut leaves).map_err(|e| in_file(path, &e))?;
    // A null sets nothing, as in TOML, which has none: `database:` with every key under
    // it commented out is an empty section, not one that wipes the defaults under it.
    Ok(leaves
        .into_iter()
        .filter(|(_, value)| *value != Value::Null)
        .map(|(key, value)| FileValue {
            key,
            value,
            line: None,
        })
        .collect())
}

/// Refuses a top-level name that is not one key segment, as a TOML file's are:
/// `"database.port"` would be a second spelling of `database: {port}`, and which one won
/// would be chance. Below the top, a map with such names is a table of data (see
/// [`is_data_table`]).
#[cfg(any(feature = "json", feature = "yaml"))]
fn check_names(value: &Value) -> Result<()> {
    let Value::Map(entries) = value else {
        return Ok(());
    };
    match entries.keys().find(|name| !is_segment(name)) {
        None => Ok(()),
        Some(name) => Err(Error::new(
            OP,
            format!(
                "{name:?} cannot be a config key: use ASCII letters, digits, '_' and '-' (a \
                 map key is one name: nest maps for \"a.b\")"
            ),
        )
        .with_code(ErrorCode::INVALID)),
    }
}

#[cfg(not(all(feature = "json", feature = "yaml")))]
fn needs_feature(path: &Path, feature: &str) -> Error {
    Error::new(
        OP,
        format!(
            "config file {}: reading {feature} files needs the {feature:?} feature of corers-config",
            path.display()
        ),
    )
    .with_code(ErrorCode::UNAVAILABLE)
}

fn in_file(path: &Path, err: &Error) -> Error {
    Error::new(
        OP,
        format!("config file {}: {}", path.display(), err.message()),
    )
    .with_code(ErrorCode::INVALID)
}

/// A syntax error at a byte span of `text`.
fn syntax(path: &Path, text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> Error {
    let (line, column) = line_col(text, span.map_or(0, |s| s.start));
    located(path, line, column, message.trim_end())
}

fn located(path: &Path, line: u32, column: u32, message: &str) -> Error {
    Error::new(OP, format!("{}:{line}:{column}: {message}", path.display()))
        .with_code(ErrorCode::INVALID)
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}
