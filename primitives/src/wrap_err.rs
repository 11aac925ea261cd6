//! [`WrapErr`]: `?` with an operation and a message, as anyhow's `context` and eyre's
//! `wrap_err` give one.

use std::borrow::Cow;

use crate::{Error, Result};

/// Wraps the error of a `Result` (any error: `io::Error`, a parser's, a CoreRS [`Error`])
/// in an operation and a message, with [`Error::wrap`]: the cause and its code are kept.
///
/// ```
/// use corers_primitives::{ErrorCode, Result, WrapErr};
///
/// fn load(path: &str) -> Result<String> {
///     std::fs::read_to_string(path).wrap_err("workbench.Settings.load", "read the settings")
/// }
///
/// let err = load("/nonexistent/workbench.toml").unwrap_err();
/// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
/// assert!(err.to_string().starts_with("workbench.Settings.load: read the settings [NOT_FOUND]: "));
/// ```
pub trait WrapErr<T> {
    /// The error wrapped in `operation` and `message`; `Ok` as it is.
    ///
    /// # Errors
    /// The error, wrapped.
    fn wrap_err(
        self,
        operation: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Result<T>;

    /// [`wrap_err`](WrapErr::wrap_err) with a message made only for an error (one that
    /// costs a `format!`).
    ///
    /// ```
    /// use corers_primitives::{Result, WrapErr};
    /// let name = "alpha";
    /// let read: Result<String> = std::fs::read_to_string(format!("/nonexistent/{name}.toml"))
    ///     .wrap_err_with("workbench.Workspace.open", || format!("open workspace {name:?}"));
    /// assert!(read.unwrap_err().message().contains("alpha"));
    /// ```
    ///
    /// # Errors
    /// The error, wrapped.
    fn wrap_err_with<M: Into<String>>(
        self,
        operation: impl Into<Cow<'static, str>>,
        message: impl FnOnce() -> M,
    ) -> Result<T>;
}

impl<T, E> WrapErr<T> for std::result::Result<T, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn wrap_err(
        self,
        operation: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Result<T> {
        self.map_err(|err| Error::wrap(err, operation, message))
    }

    fn wrap_err_with<M: Into<String>>(
        self,
        operation: impl Into<Cow<'static, str>>,
        message: impl FnOnce() -> M,
    ) -> Result<T> {
        self.map_err(|err| Error::wrap(err, operation, message()))
    }
}
