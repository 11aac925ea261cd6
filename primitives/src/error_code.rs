//! [`ErrorCode`]: the taxonomy every framework error is classified by.

use std::borrow::Cow;
use std::fmt;

use crate::{Error, Result};

/// What kind of failure an [`Error`] is, so callers can react without parsing messages.
///
/// The framework uses the eight codes below and every error it returns carries one of them.
/// Applications may define their own with [`ErrorCode::new`]; a code is an upper-case
/// identifier (`GIT_DIRTY`) and survives a trip over the wire as its text.
///
/// ```
/// use corers_primitives::{Error, ErrorCode};
///
/// let err = Error::new("cli.Cli.run", r#"unknown command "deploy/to/mars""#)
///     .with_code(ErrorCode::NOT_FOUND);
/// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
/// assert_eq!(ErrorCode::NOT_FOUND.as_str(), "NOT_FOUND");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(Cow<'static, str>);

impl ErrorCode {
    /// The named thing does not exist (unknown key, command, action, file).
    pub const NOT_FOUND: ErrorCode = ErrorCode(Cow::Borrowed("NOT_FOUND"));
    /// The input is malformed or breaks a rule (bad path, wrong type, out of range).
    pub const INVALID: ErrorCode = ErrorCode(Cow::Borrowed("INVALID"));
    /// The target is locked or sealed against this change.
    pub const LOCKED: ErrorCode = ErrorCode(Cow::Borrowed("LOCKED"));
    /// The caller is not allowed to do this (sandbox escape, unauthenticated call).
    pub const DENIED: ErrorCode = ErrorCode(Cow::Borrowed("DENIED"));
    /// A deadline passed before the work finished.
    pub const TIMEOUT: ErrorCode = ErrorCode(Cow::Borrowed("TIMEOUT"));
    /// The capability exists but cannot serve now (disabled, shutting down, queue full).
    pub const UNAVAILABLE: ErrorCode = ErrorCode(Cow::Borrowed("UNAVAILABLE"));
    /// The change collides with existing state (duplicate name, concurrent edit).
    pub const CONFLICT: ErrorCode = ErrorCode(Cow::Borrowed("CONFLICT"));
    /// A bug or an unexpected failure inside the framework or a handler (including panics).
    pub const INTERNAL: ErrorCode = ErrorCode(Cow::Borrowed("INTERNAL"));

    /// The code an I/O failure of `kind` has, when its kind says: `NotFound` is
    /// `NOT_FOUND`, `PermissionDenied` `DENIED`, a clash with what is there
    /// (`AlreadyExists`, `DirectoryNotEmpty`, `IsADirectory`, `NotADirectory`,
    /// `CrossesDevices`) `CONFLICT`, `InvalidInput`, `InvalidData` and `InvalidFilename`
    /// `INVALID`, `TimedOut` `TIMEOUT`, a connection or resource that cannot serve now
    /// (refused, reset, unreachable, busy, a full disk) `UNAVAILABLE`; `None` for `Other` and
    /// the rest. [`Error::wrap`] gives a wrapped `std::io::Error` this code.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use corers_primitives::ErrorCode;
    /// assert_eq!(ErrorCode::of_io(ErrorKind::NotFound), Some(ErrorCode::NOT_FOUND));
    /// assert_eq!(ErrorCode::of_io(ErrorKind::ConnectionRefused), Some(ErrorCode::UNAVAILABLE));
    /// assert_eq!(ErrorCode::of_io(ErrorKind::Other), None);
    /// ```
    pub fn of_io(kind: std::io::ErrorKind) -> Option<ErrorCode> {
        use std::io::ErrorKind;
        Some(match kind {
            ErrorKind::NotFound => ErrorCode::NOT_FOUND,
            ErrorKind::PermissionDenied => ErrorCode::DENIED,
            ErrorKind::AlreadyExists
            | ErrorKind::CrossesDevices
            | ErrorKind::DirectoryNotEmpty
            | ErrorKind::IsADirectory
            | ErrorKind::NotADirectory => ErrorCode::CONFLICT,
            ErrorKind::InvalidInput | ErrorKind::InvalidData | ErrorKind::InvalidFilename => {
                ErrorCode::INVALID
            }
            ErrorKind::TimedOut => ErrorCode::TIMEOUT,
            ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::AddrInUse
            | ErrorKind::AddrNotAvailable
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::BrokenPipe
            | ErrorKind::WouldBlock
            | ErrorKind::ResourceBusy
            | ErrorKind::StorageFull
            | ErrorKind::QuotaExceeded
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::StaleNetworkFileHandle => ErrorCode::UNAVAILABLE,
            _ => return None,
        })
    }

    /// The exit status a command-line program gives for a failure of this code, after
    /// BSD's `sysexits.h`: `INVALID` 65 (`EX_DATAERR`), `NOT_FOUND` 66 (`EX_NOINPUT`),
    /// `UNAVAILABLE` 69, `INTERNAL` 70 (`EX_SOFTWARE`), `TIMEOUT` and `LOCKED` 75
    /// (`EX_TEMPFAIL`: worth another try), `DENIED` 77 (`EX_NOPERM`); `None` for `CONFLICT`
    /// and application codes, which have no status of their own (a program exits 1).
    ///
    /// ```
    /// use corers_primitives::ErrorCode;
    /// assert_eq!(ErrorCode::TIMEOUT.exit_status(), Some(75));
    /// assert_eq!(ErrorCode::new("GIT_DIRTY").unwrap().exit_status(), None);
    /// ```
    pub fn exit_status(&self) -> Option<u8> {
        Some(match self.as_str() {
            "INVALID" => 65,
            "NOT_FOUND" => 66,
            "UNAVAILABLE" => 69,
            "INTERNAL" => 70,
            "TIMEOUT" | "LOCKED" => 75,
            "DENIED" => 77,
            _ => return None,
        })
    }

    /// Makes an application-defined code.
    ///
    /// ```
    /// use corers_primitives::ErrorCode;
    /// let code = ErrorCode::new("GIT_DIRTY").unwrap();
    /// assert_eq!(code.as_str(), "GIT_DIRTY");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] unless `code` is 1 to 64 characters of `A-Z`, `0-9` and `_`,
    /// starting with a letter.
    pub fn new(code: impl Into<Cow<'static, str>>) -> Result<ErrorCode> {
        let code = code.into();
        let well_formed = (1..=64).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_uppercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if well_formed {
            Ok(ErrorCode(code))
        } else {
            Err(Error::new(
                "primitives.ErrorCode.new",
                format!("invalid error code {code:?}: use A-Z, 0-9 and _, starting with a letter"),
            )
            .with_code(ErrorCode::INVALID))
        }
    }

    /// The code as text, as it appears in `op: msg [CODE]`.
    ///
    /// ```
    /// use corers_primitives::ErrorCode;
    /// assert_eq!(ErrorCode::TIMEOUT.as_str(), "TIMEOUT");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// As its text (`"TIMEOUT"`), as a code crosses the wire.
///
/// ```
/// use corers_primitives::ErrorCode;
/// assert_eq!(serde_json::to_string(&ErrorCode::TIMEOUT).unwrap(), r#""TIMEOUT""#);
/// let code: ErrorCode = serde_json::from_str(r#""GIT_DIRTY""#).unwrap();
/// assert_eq!(code.as_str(), "GIT_DIRTY");
/// ```
impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// From its text, checked as [`ErrorCode::new`] checks it (`"timeout"` is refused: it
/// would never match `TIMEOUT`).
///
/// ```
/// use corers_primitives::ErrorCode;
/// assert!(serde_json::from_str::<ErrorCode>(r#""timeout""#).is_err());
/// ```
impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<ErrorCode, D::Error> {
        let text = String::deserialize(deserializer)?;
        ErrorCode::new(text).map_err(|err| serde::de::Error::custom(err.message()))
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
