//! Logging for CoreRS, built on `tracing`: levels with Security events, human and JSON
//! lines that user data cannot forge, redaction of secret-looking fields, size- and
//! time-based rotation, error-aware helpers, and crash reports for panics.
//!
//! ```
//! use corers_log::{AuditEvent, Format, Logger, MemorySink, Output};
//! use corers_primitives::{Error, ErrorCode};
//!
//! let sink = MemorySink::new();
//! let log = Logger::builder().format(Format::Json).output(Output::Memory(sink.clone())).build();
//!
//! // Structured fields; secret-looking ones are redacted.
//! corers_log::info!(log, service = "brain", api_token = "s3cr3t", "service started");
//!
//! // Errors are logged with their operation, code and operation stack.
//! let missing = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
//! let err = log.error(missing, "config.Config.load", "load workspace.toml");
//!
//! // Security-relevant operations go to the audit trail; a refusal is logged as an error.
//! log.audit(AuditEvent::SandboxEscape { root: "/srv/data", path: "../etc/passwd" });
//!
//! let lines = sink.lines();
//! assert!(lines[0].contains(r#""api_token":"[REDACTED]""#));
//! assert!(lines[1].contains(r#""error_ops":"config.Config.load -> fs.Fs.read""#));
//! assert!(lines[2].contains(r#""security":true"#));
//! # let _ = err;
//! ```
//!
//! Applications normally reach this crate through the `corers` facade: every Core has a
//! [`Logger`] (`core.log()`, set with `CoreBuilder::logger` or `CoreBuilder::log_level`),
//! and the crate is `corers::log` (`corers::log::info!(core.log(), …)`). Depend on
//! `corers-log` directly to log with the same redaction and formats from a library or a
//! program that has no Core.
//!
//! # Modules
//! - [`Logger`], [`default_logger`] and the macros [`info!`], [`debug!`], [`warn!`],
//!   [`error!`], [`security!`]: logging handles, per Core and process-wide.
//! - [`Level`], [`Filter`], [`Format`], [`Output`], [`MemorySink`], [`Redactor`]: what is
//!   written, how and where; [`NonBlocking`] (from [`Output::non_blocking`]): written by a
//!   thread of its own; [`Logger::install_global`] and [`application_dispatch`]:
//!   tracing's global default and the `log` crate's records.
//! - [`LogLayer`]: the tracing layer itself, for any subscriber stack.
//! - [`RotatingFile`]: size- and time-based rotation with retention and gzip.
//! - [`CrashReporter`], [`CrashReport`], [`install_panic_hook`]: panics as crash reports.
//! - [`AuditEvent`]: the framework's audit trail.
#![forbid(unsafe_code)]

mod audit;
mod crash;
mod filter;
mod format;
mod layer;
mod level;
mod logger;
mod macros;
mod non_blocking;
mod redact;
mod rotate;
mod scope;
mod sink;
mod time;

pub use audit::AuditEvent;
pub use crash::{CrashReport, CrashReporter, install_panic_hook};
pub use filter::Filter;
pub use format::Format;
pub use layer::{LogLayer, SECURITY_TARGET};
pub use level::Level;
pub use logger::{Logger, LoggerBuilder, application_dispatch, default_logger};
pub use non_blocking::NonBlocking;
pub use redact::{DEFAULT_REDACTIONS, REDACTED, Redactor, without_url_passwords};
pub use rotate::{RotatingFile, RotatingFileBuilder};
pub use sink::{MemorySink, Output};
/// The `tracing` this crate logs through (and whose `Dispatch` a [`Logger`] gives),
/// re-exported so that applications use the same version's macros and types.
pub use tracing;
/// The `tracing-subscriber` whose `Layer` [`LogLayer`] is, re-exported for the same
/// reason.
pub use tracing_subscriber;

#[doc(hidden)]
pub mod __private {
    pub use tracing;
}
