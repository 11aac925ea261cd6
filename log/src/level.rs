//! [`Level`]: how much a logger lets through.

use std::fmt;
use std::str::FromStr;

use corers_primitives::{Error, ErrorCode};
use tracing::level_filters::LevelFilter;

/// How much a [`Logger`](crate::Logger) lets through, from nothing to everything.
///
/// Security events ([`security!`](crate::security!), and audit refusals such as a sandbox
/// escape) are emitted at [`Level::Error`], so every level but [`Level::Quiet`] shows
/// them; the routine part of the audit trail is at [`Level::Debug`]
/// (see [`AuditEvent::level`](crate::AuditEvent::level)).
///
/// ```
/// use corers_log::Level;
/// let level: Level = "warn".parse().unwrap();
/// assert!(level.allows(Level::Error));
/// assert!(!level.allows(Level::Info));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Level {
    /// Nothing at all.
    Quiet,
    /// Failures, and Security events (not the routine audit trail: that is debug).
    Error,
    /// Failures and warnings.
    Warn,
    /// The normal level: what a service is doing.
    #[default]
    Info,
    /// What a service is doing in detail, for diagnosing.
    Debug,
    /// Everything, step by step (libraries' `trace` events: every poll, every frame).
    Trace,
}

impl Level {
    /// Reports whether a logger at this level shows events of level `event`.
    ///
    /// ```
    /// use corers_log::Level;
    /// assert!(Level::Debug.allows(Level::Info));
    /// assert!(!Level::Quiet.allows(Level::Error));
    /// ```
    #[inline]
    pub fn allows(self, event: Level) -> bool {
        event != Level::Quiet && event <= self
    }

    pub(crate) fn filter(self) -> LevelFilter {
        match self {
            Level::Quiet => LevelFilter::OFF,
            Level::Error => LevelFilter::ERROR,
            Level::Warn => LevelFilter::WARN,
            Level::Info => LevelFilter::INFO,
            Level::Debug => LevelFilter::DEBUG,
            Level::Trace => LevelFilter::TRACE,
        }
    }

    pub(crate) fn from_tracing(level: tracing::Level) -> Level {
        match level {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::INFO => Level::Info,
            tracing::Level::DEBUG => Level::Debug,
            tracing::Level::TRACE => Level::Trace,
        }
    }

    #[inline]
    pub(crate) fn from_u8(raw: u8) -> Level {
        match raw {
            0 => Level::Quiet,
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            _ => Level::Trace,
        }
    }

    pub(crate) fn tag(self) -> &'static str {
        match self {
            Level::Quiet => "QUIET",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag().to_ascii_lowercase())
    }
}

impl FromStr for Level {
    type Err = Error;

    /// Parses `quiet` (or `off`), `error`, `warn`, `info`, `debug` or `trace`, in any
    /// case, or their numbers as `RUST_LOG` reads them: `0` (off) to `5` (trace).
    fn from_str(text: &str) -> Result<Level, Error> {
        match text.to_ascii_lowercase().as_str() {
            "quiet" | "off" | "0" => Ok(Level::Quiet),
            "error" | "1" => Ok(Level::Error),
            "warn" | "warning" | "2" => Ok(Level::Warn),
            "info" | "3" => Ok(Level::Info),
            "debug" | "4" => Ok(Level::Debug),
            "trace" | "5" => Ok(Level::Trace),
            _ => Err(Error::new(
                "log.Level.parse",
                format!(
                    "unknown level {}: use quiet, error, warn, info, debug or trace",
                    corers_primitives::shown_name(text)
                ),
            )
            .with_code(ErrorCode::INVALID)),
        }
    }
}

/// Written as its name (`"warn"`), so a settings struct can hold a level.
impl serde::Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read as [`FromStr`] reads it: `"warn"`, `"WARNING"`, `"2"`.
///
/// ```
/// use corers_log::Level;
/// #[derive(serde::Deserialize)]
/// struct Logging { level: Level }
/// let logging: Logging = serde_json::from_str(r#"{"level": "debug"}"#).unwrap();
/// assert_eq!(logging.level, Level::Debug);
/// ```
impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Level, D::Error> {
        by_name(deserializer)
    }
}

/// A value read from its name as its `FromStr` reads it, the parse error's message as
/// the deserializer's error: how a settings struct reads a [`Level`] or a
/// [`Format`](crate::Format).
pub(crate) fn by_name<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err = Error>,
{
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
    text.parse()
        .map_err(|err: Error| serde::de::Error::custom(err.message()))
}
