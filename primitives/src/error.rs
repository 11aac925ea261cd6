//! [`Error`]: the one structured error type of CoreRS.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::ErrorCode;

/// `std::result::Result` with CoreRS's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// A cause as an error keeps it: shared by the error's clones.
type SharedCause = Arc<dyn StdError + Send + Sync + 'static>;

/// A structured error: the operation that failed, a message, a code, and the cause.
///
/// The operation is named `crate.Type.method` (`fs.Fs.write`) so that the operation stack of
/// a wrapped error reads as a path through the code. `Display` has four forms, depending on
/// whether a code and a cause are present:
///
/// ```text
/// op: msg
/// op: msg [CODE]
/// op: msg: cause
/// op: msg [CODE]: cause
/// ```
///
/// A code shows once per chain: a cause with the code its wrapper already shows (one
/// [`wrap`](Error::wrap) inherits) does not repeat it.
///
/// ```
/// use corers_primitives::{Error, ErrorCode};
///
/// let io = std::io::Error::other("disk full");
/// let write = Error::wrap_code(io, ErrorCode::UNAVAILABLE, "fs.Fs.write", "write workspace.toml");
/// let save = Error::wrap(write, "config.Config.save", "save settings");
///
/// assert_eq!(
///     save.to_string(),
///     "config.Config.save: save settings [UNAVAILABLE]: fs.Fs.write: write workspace.toml: disk full",
/// );
/// assert_eq!(save.stack(), "config.Config.save -> fs.Fs.write");
/// assert_eq!(save.root().to_string(), "disk full");
/// ```
///
/// An `Error` is one pointer wide, so `Result<T>` stays small on the happy path, and a
/// clone shares the original's parts (its cause included: an I/O error's OS number and a
/// foreign error's type survive in every clone), so events and reports that carry an
/// error can be cloned.
#[derive(Clone)]
pub struct Error(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    operation: Cow<'static, str>,
    message: String,
    code: Option<ErrorCode>,
    cause: Option<SharedCause>,
    joined: Vec<Error>,
    /// Refused or cut short by a cancellation, not failed on its own.
    cancelled: bool,
}

impl Error {
    /// Makes an error for `operation` with `message` (CoreGO's `E`); no code, no cause.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::new("cli.Cli.run", r#"invalid command path "deploy//to": double slash"#);
    /// assert_eq!(err.operation(), "cli.Cli.run");
    /// ```
    pub fn new(operation: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Error {
        Error(Arc::new(Inner {
            operation: operation.into(),
            message: message.into(),
            code: None,
            cause: None,
            joined: Vec::new(),
            cancelled: false,
        }))
    }

    /// Makes an error with only a code and a message (CoreGO's `NewCode`): `msg [CODE]`.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::new_code(ErrorCode::DENIED, "token expired");
    /// assert_eq!(err.to_string(), "token expired [DENIED]");
    /// ```
    pub fn new_code(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::new("", message).with_code(code)
    }

    /// Makes the error for work a cancellation refused or cut short: [`UNAVAILABLE`](ErrorCode::UNAVAILABLE)
    /// and [marked cancelled](Error::mark_cancelled), so a caller that filters
    /// [`is_cancelled`](Error::is_cancelled) out of its failures leaves it.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::cancelled("sync.Replica.pull", "pull stopped: shutting down");
    /// assert!(err.is_cancelled());
    /// assert_eq!(err.to_string(), "sync.Replica.pull: pull stopped: shutting down [UNAVAILABLE]");
    /// ```
    pub fn cancelled(operation: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Error {
        Error::new(operation, message)
            .with_code(ErrorCode::UNAVAILABLE)
            .mark_cancelled()
    }

    /// Wraps `cause` in a new error for `operation` (CoreGO's `Wrap`).
    ///
    /// The new error carries the code of the nearest error in the cause chain that has one, so
    /// a `NOT_FOUND` deep down stays `NOT_FOUND` however many layers wrap it; a
    /// `std::io::Error` has the code of its kind, when its kind says ([`ErrorCode::of_io`]).
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let missing = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
    /// let err = Error::wrap(missing, "config.Config.load", "load workspace.toml");
    /// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    /// ```
    pub fn wrap(
        cause: impl Into<Cause>,
        operation: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Error {
        let cause = cause.into();
        let code = chain(cause.as_ref()).find_map(|e| match e.downcast_ref::<Error>() {
            Some(err) => err.0.code.clone(),
            None => e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| ErrorCode::of_io(io.kind())),
        });
        let mut err = Error::new(operation, message);
        let inner = err.inner_mut();
        inner.code = code;
        inner.cause = Some(Arc::from(cause));
        err
    }

    /// Wraps `cause` with exactly `code` (CoreGO's `WrapCode`), whatever the cause's own code.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let io = std::io::Error::from(std::io::ErrorKind::TimedOut);
    /// let err = Error::wrap_code(io, ErrorCode::TIMEOUT, "api.Client.call", "call homelab");
    /// assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    /// ```
    pub fn wrap_code(
        cause: impl Into<Cause>,
        code: ErrorCode,
        operation: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Error {
        Error::new(operation, message)
            .with_code(code)
            .with_cause(cause)
    }

    /// Sets the code, replacing any code the error had.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::new("messaging.Bus.perform_async", "shutting down")
    ///     .with_code(ErrorCode::UNAVAILABLE);
    /// assert_eq!(err.to_string(), "messaging.Bus.perform_async: shutting down [UNAVAILABLE]");
    /// ```
    pub fn with_code(mut self, code: ErrorCode) -> Error {
        self.inner_mut().code = Some(code);
        self
    }

    /// Sets the cause, replacing any cause the error had. The code is left as it is.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::new("fs.Fs.read", "read notes.md")
    ///     .with_cause(std::io::Error::other("permission denied"));
    /// assert_eq!(err.to_string(), "fs.Fs.read: read notes.md: permission denied");
    /// ```
    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Error {
        self.inner_mut().cause = Some(Arc::from(cause.into()));
        self
    }

    /// Marks the error as work refused or cut short because it was cancelled (its caller's
    /// context cancelled, the application stopping) rather than failed on its own; the
    /// code, message and `Display` are left as they are. CoreRS marks its own refusals so
    /// (an Action run cancelled, `perform_async` refused by the shutdown), and a service
    /// task that fails with a marked error once the application was asked to stop has not
    /// failed: the stop ended it (see [`is_cancelled`](Error::is_cancelled)).
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::new("sync.Replica.pull", "pull stopped: shutting down")
    ///     .with_code(ErrorCode::UNAVAILABLE)
    ///     .mark_cancelled();
    /// assert!(err.is_cancelled());
    /// assert_eq!(err.to_string(), "sync.Replica.pull: pull stopped: shutting down [UNAVAILABLE]");
    /// ```
    #[must_use]
    pub fn mark_cancelled(mut self) -> Error {
        self.inner_mut().cancelled = true;
        self
    }

    /// Whether the error is [marked](Error::mark_cancelled) cancelled, or is caused by one
    /// that is (a wrapped error, through foreign wrappers too), or joins only such errors: work that the cancellation
    /// ended, for code deciding whether a failure is one.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let refused = Error::new("messaging.Bus.perform_async", "refused").mark_cancelled();
    /// let sync = Error::wrap(refused, "sync.Replica.pull", "pull the last batch");
    /// assert!(sync.is_cancelled());
    /// assert!(!Error::new("sync.Replica.pull", "checksum mismatch").is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        chain(self)
            .filter_map(|e| e.downcast_ref::<Error>())
            .any(|e| {
                let joined = &e.0.joined;
                e.0.cancelled || (!joined.is_empty() && joined.iter().all(Error::is_cancelled))
            })
    }

    /// Makes an [`ErrorCode::INTERNAL`] error from a caught panic payload, keeping the panic
    /// message when it is text.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let payload = std::panic::catch_unwind(|| panic!("index out of range")).unwrap_err();
    /// let err = Error::from_panic("messaging.Bus.broadcast", payload.as_ref());
    /// assert_eq!(err.message(), "panicked: index out of range");
    /// assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    /// ```
    pub fn from_panic(
        operation: impl Into<Cow<'static, str>>,
        payload: &(dyn Any + Send),
    ) -> Error {
        // A `&Box<dyn Any + Send>` coerces to `&dyn Any` too: look inside it.
        if let Some(boxed) = payload.downcast_ref::<Box<dyn Any + Send>>() {
            return Error::from_panic(operation, boxed.as_ref());
        }
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .or_else(|| payload.downcast_ref::<Error>().map(ToString::to_string))
            .unwrap_or_else(|| "a non-text payload".to_owned());
        Error::new(operation, format!("panicked: {text}")).with_code(ErrorCode::INTERNAL)
    }

    /// [`from_panic`](Error::from_panic) for a payload `catch_unwind` handed over, which is
    /// dropped here: a payload whose own `Drop` panics (`panic_any(guard)`) is forgotten
    /// instead, so that the panic stays caught. An [`Error`] as the payload (`panic_any`,
    /// as `Logger::must` panics) becomes the cause, keeping its code (`INTERNAL` when it
    /// has none) and its own causes.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let payload = std::panic::catch_unwind(|| panic!("replica list poisoned")).unwrap_err();
    /// let err = Error::from_caught("messaging.Bus.broadcast", payload);
    /// assert_eq!(err.message(), "panicked: replica list poisoned");
    /// assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    /// ```
    pub fn from_caught(
        operation: impl Into<Cow<'static, str>>,
        payload: Box<dyn Any + Send>,
    ) -> Error {
        // A structured error as the payload (`Logger::must`) stays whole, as the cause: its
        // code, operations and causes reach whoever caught it.
        let payload = match payload.downcast::<Error>() {
            Ok(err) => {
                let code = err.code().cloned().unwrap_or(ErrorCode::INTERNAL);
                return Error::wrap_code(*err, code, operation, "panicked");
            }
            Err(payload) => payload,
        };
        let err = Error::from_panic(operation, payload.as_ref());
        if let Err(again) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)))
        {
            std::mem::forget(again);
        }
        err
    }

    /// Joins several errors into one (CoreGO's `ErrorJoin`).
    ///
    /// `None` when there are none; the error itself when there is one. Otherwise the joined
    /// error's message lists every error's text separated by `"; "`, its code is that of the
    /// first part that has one (each part keeps its own), and [`Error::joined`] gives the
    /// parts back. It names no operation: a caller that joins its failures wraps the join
    /// ([`Error::wrap`]) to say what failed.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::join([
    ///     Error::new("lifecycle.stop", "brain timed out").with_code(ErrorCode::TIMEOUT),
    ///     Error::new("lifecycle.stop", "cache timed out").with_code(ErrorCode::TIMEOUT),
    /// ])
    /// .unwrap();
    /// assert_eq!(err.joined().len(), 2);
    /// assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    /// assert_eq!(err.to_string(), "lifecycle.stop: brain timed out [TIMEOUT]; lifecycle.stop: cache timed out [TIMEOUT]");
    /// ```
    pub fn join(errors: impl IntoIterator<Item = Error>) -> Option<Error> {
        Error::join_in("", errors)
    }

    /// [`join`](Error::join), naming the operation whose failures these are when there
    /// are several, and saying how many (one error is returned as it is, with its own
    /// operation).
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let err = Error::join_in("lifecycle.Services.stop_all", [
    ///     Error::new("store.Db.close", "flush failed").with_code(ErrorCode::UNAVAILABLE),
    ///     Error::new("cache.Redis.close", "timed out").with_code(ErrorCode::TIMEOUT),
    /// ])
    /// .unwrap();
    /// assert_eq!(err.operation(), "lifecycle.Services.stop_all");
    /// assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "lifecycle.Services.stop_all: 2 failed: store.Db.close: flush failed [UNAVAILABLE]; \
    ///      cache.Redis.close: timed out [TIMEOUT]"
    /// );
    /// ```
    pub fn join_in(
        operation: impl Into<Cow<'static, str>>,
        errors: impl IntoIterator<Item = Error>,
    ) -> Option<Error> {
        let mut errors: Vec<Error> = errors.into_iter().collect();
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => {
                let operation = operation.into();
                let parts = errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                let message = if operation.is_empty() {
                    parts
                } else {
                    format!("{} failed: {parts}", errors.len())
                };
                let code = errors.iter().find_map(|e| e.code().cloned());
                let mut err = Error::new(operation, message);
                let inner = err.inner_mut();
                inner.code = code;
                inner.joined = errors;
                Some(err)
            }
        }
    }

    /// This error's parts to change, copied first when a clone shares them.
    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.0)
    }

    /// The operation that failed, `""` when none was given.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// assert_eq!(Error::new("fs.Fs.write", "disk full").operation(), "fs.Fs.write");
    /// ```
    pub fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The message, without operation, code or cause.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// assert_eq!(Error::new("fs.Fs.write", "disk full").message(), "disk full");
    /// ```
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The code: this error's own, or else that of the nearest error in the cause chain that
    /// has one. `None` when no error in the chain has a code.
    ///
    /// ```
    /// use corers_primitives::{Error, ErrorCode};
    /// let inner = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
    /// let outer = Error::new("config.Config.load", "load").with_cause(inner);
    /// assert_eq!(outer.code(), Some(&ErrorCode::NOT_FOUND));
    /// ```
    pub fn code(&self) -> Option<&ErrorCode> {
        self.0.code.as_ref().or_else(|| {
            self.0.cause.as_deref().and_then(|cause| {
                chain(cause).find_map(|e| e.downcast_ref::<Error>().and_then(|e| e.0.code.as_ref()))
            })
        })
    }

    /// The direct cause, if any.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::new("fs.Fs.read", "read").with_cause(std::io::Error::other("eof"));
    /// assert_eq!(err.cause().unwrap().to_string(), "eof");
    /// ```
    pub fn cause(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.0.cause.as_deref()
    }

    /// The deepest error in the cause chain; the error itself when it has no cause.
    /// A joined error is its own root: its parts are reached through [`Error::joined`].
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::wrap(std::io::Error::other("eof"), "fs.Fs.read", "read notes.md");
    /// assert_eq!(err.root().to_string(), "eof");
    /// ```
    pub fn root(&self) -> &(dyn StdError + 'static) {
        chain(self).last().unwrap_or(self)
    }

    /// The operations of every CoreRS error in the cause chain, outermost first; empty when
    /// there are none.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let inner = Error::new("fs.Fs.write", "disk full");
    /// let outer = Error::wrap(inner, "config.Config.save", "save");
    /// assert_eq!(outer.operations(), ["config.Config.save", "fs.Fs.write"]);
    /// ```
    pub fn operations(&self) -> Vec<&str> {
        chain(self)
            .filter_map(|e| e.downcast_ref::<Error>())
            .map(Error::operation)
            .filter(|op| !op.is_empty())
            .collect()
    }

    /// The operation stack as one line, `"config.Config.save -> fs.Fs.write"`; `""` when
    /// there are no operations.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::wrap(Error::new("a.A.inner", "x"), "b.B.outer", "y");
    /// assert_eq!(err.stack(), "b.B.outer -> a.A.inner");
    /// ```
    pub fn stack(&self) -> String {
        self.operations().join(" -> ")
    }

    /// The parts of a joined error; empty for any other error.
    ///
    /// ```
    /// use corers_primitives::Error;
    /// let err = Error::join([Error::new("a", "x"), Error::new("b", "y")]).unwrap();
    /// assert_eq!(err.joined()[1].operation(), "b");
    /// ```
    pub fn joined(&self) -> &[Error] {
        &self.0.joined
    }
}

/// Follows `source()` from `first` onwards, `first` included, into the error an
/// `io::Error` carries (see [`next_in_chain`]).
fn chain<'a>(
    first: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(through_io(first)), |&e| next_in_chain(e))
}

/// The error after `error` in a chain: its source, seen [through](through_io) an
/// `io::Error` that carries a CoreRS error.
fn next_in_chain<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    error.source().map(through_io)
}

/// `error`, or the CoreRS error it carries when it is an `io::Error` made from one
/// (`io::Error::other(err)`, to pass `err` through `Read` or `Write`): such an `io::Error`
/// shows `err` but hands out `err`'s source, skipping `err` with its code and operations.
fn through_io<'a>(error: &'a (dyn StdError + 'static)) -> &'a (dyn StdError + 'static) {
    match error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        Some(carried) if carried.is::<Error>() => carried,
        _ => error,
    }
}

/// `op: msg [CODE]: cause`, the whole chain; with `{:#}`, only what each level says, for
/// the person running the program (`start the application: service "config" failed to
/// start: config key "index.files_per_char": invalid type`): the operations and codes are
/// for whoever reads the code (the exit code carries the code).
///
/// ```
/// use corers_primitives::{Error, ErrorCode};
/// let read = Error::new("fs.Fs.read", "no such file workbench.toml").with_code(ErrorCode::NOT_FOUND);
/// let err = Error::wrap(read, "config.Config.load", "load the settings");
/// assert_eq!(
///     err.to_string(),
///     "config.Config.load: load the settings [NOT_FOUND]: fs.Fs.read: no such file workbench.toml"
/// );
/// assert_eq!(format!("{err:#}"), "load the settings: no such file workbench.toml");
/// ```
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            self.write_messages(f)
        } else {
            self.write(f, None)
        }
    }
}

impl Error {
    /// Writes what each level of the chain says, without operations and codes: a joined
    /// error's parts each so, separated by `; `.
    fn write_messages(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        let mut said = if inner.joined.is_empty() {
            f.write_str(&inner.message)?;
            !inner.message.is_empty()
        } else {
            // `join_in` named the operation whose failures these are: say how many.
            if !inner.operation.is_empty() {
                write!(f, "{} failed: ", inner.joined.len())?;
            }
            for (i, part) in inner.joined.iter().enumerate() {
                if i > 0 {
                    f.write_str("; ")?;
                }
                part.write_messages(f)?;
            }
            true
        };
        let mut next = inner.cause.as_deref().map(|c| through_io(c as _));
        while let Some(cause) = next {
            if said {
                f.write_str(": ")?;
            }
            if let Some(cause) = cause.downcast_ref::<Error>() {
                return cause.write_messages(f);
            }
            write!(f, "{cause}")?;
            said = true;
            next = next_in_chain(cause);
        }
        Ok(())
    }

    /// Writes this error and its causes; `shown` is the code already written by the error
    /// that wraps this one, which this one does not repeat (a code inherited through every
    /// level of a chain shows once, at its head).
    fn write(&self, f: &mut fmt::Formatter<'_>, shown: Option<&ErrorCode>) -> fmt::Result {
        let inner = &self.0;
        if !inner.operation.is_empty() {
            write!(f, "{}: ", inner.operation)?;
        }
        f.write_str(&inner.message)?;
        // A joined error's message lists every part with its own code: its code shows only
        // when none of the parts has it (set on the join afterwards).
        let listed = |code: &ErrorCode| inner.joined.iter().any(|part| part.code() == Some(code));
        if let Some(code) = &inner.code
            && shown != Some(code)
            && !listed(code)
        {
            let lead = if inner.operation.is_empty() && inner.message.is_empty() {
                ""
            } else {
                " "
            };
            write!(f, "{lead}[{code}]")?;
        }
        let shown = inner.code.as_ref().or(shown);
        // Another kind of error shows one level, its causes through `source` (as the
        // standard library's errors keep them): each is written, up to a CoreRS error,
        // which writes the rest of the chain itself.
        let mut next = inner.cause.as_deref().map(|c| through_io(c as _));
        while let Some(cause) = next {
            f.write_str(": ")?;
            if let Some(cause) = cause.downcast_ref::<Error>() {
                return cause.write(f, shown);
            }
            write!(f, "{cause}")?;
            next = next_in_chain(cause);
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("operation", &self.0.operation)
            .field("message", &self.0.message)
            .field("code", &self.0.code);
        if let Some(cause) = &self.0.cause {
            s.field("cause", cause);
        }
        if !self.0.joined.is_empty() {
            s.field("joined", &self.0.joined);
        }
        if self.0.cancelled {
            s.field("cancelled", &true);
        }
        s.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .cause
            .as_deref()
            .map(|c| c as &(dyn StdError + 'static))
    }
}
