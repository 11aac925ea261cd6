//! The logging macros: `tracing`'s syntax, aimed at a [`Logger`](crate::Logger).
//!
//! Each checks the logger's level first (one atomic load) and only then builds the event,
//! so a disabled call costs next to nothing.

/// Logs at debug level: `debug!(logger, key = value, …, "message {}", args)`.
///
/// ```
/// use corers_log::{Level, Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let log = Logger::builder().level(Level::Debug).output(Output::Memory(sink.clone())).build();
/// corers_log::debug!(log, attempt = 2, "retrying git.log");
/// let line = sink.contents();
/// assert!(line.contains("DEBUG ") && line.ends_with(": retrying git.log attempt=2\n"), "{line}");
/// ```
#[macro_export]
macro_rules! debug {
    ($logger:expr, $($arg:tt)+) => {
        $crate::__event!($logger, Debug, DEBUG, $($arg)+)
    };
}

/// Logs at info level: `info!(logger, key = value, …, "message {}", args)`.
///
/// ```
/// use corers_log::{Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
/// corers_log::info!(log, name = "alpha", "workspace created");
/// let line = sink.contents();
/// assert!(line.contains("INFO  ") && line.ends_with(": workspace created name=alpha\n"), "{line}");
/// ```
#[macro_export]
macro_rules! info {
    ($logger:expr, $($arg:tt)+) => {
        $crate::__event!($logger, Info, INFO, $($arg)+)
    };
}

/// Logs at warn level: `warn!(logger, key = value, …, "message {}", args)`.
///
/// ```
/// use corers_log::{Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
/// corers_log::warn!(log, free_mb = 120, "disk almost full");
/// let line = sink.contents();
/// assert!(line.contains("WARN  ") && line.ends_with(": disk almost full free_mb=120\n"), "{line}");
/// ```
#[macro_export]
macro_rules! warn {
    ($logger:expr, $($arg:tt)+) => {
        $crate::__event!($logger, Warn, WARN, $($arg)+)
    };
}

/// Logs at error level: `error!(logger, key = value, …, "message {}", args)`.
///
/// ```
/// use corers_log::{Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
/// corers_log::error!(log, service = "cache", "stop hook timed out");
/// let line = sink.contents();
/// assert!(line.contains("ERROR ") && line.ends_with(": stop hook timed out service=cache\n"), "{line}");
/// ```
#[macro_export]
macro_rules! error {
    ($logger:expr, $($arg:tt)+) => {
        $crate::__event!($logger, Error, ERROR, $($arg)+)
    };
}

/// Logs a Security event: error level, target [`SECURITY_TARGET`](crate::SECURITY_TARGET),
/// shown as `[security]` (human) or `"security":true` (JSON). For the framework's own
/// audit trail use [`Logger::audit`](crate::Logger::audit).
///
/// ```
/// use corers_log::{Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
/// corers_log::security!(log, user = "deploy-bot", "token rotated");
/// assert!(sink.contents().contains("ERROR [security] token rotated user=deploy-bot"));
/// ```
#[macro_export]
macro_rules! security {
    ($logger:expr, $($arg:tt)+) => {{
        let logger: &$crate::Logger = &$logger;
        if $crate::__private::tracing::level_enabled!($crate::__private::tracing::Level::ERROR)
            && logger.enabled($crate::Level::Error)
        {
            logger.in_scope(|| {
                $crate::__private::tracing::event!(
                    target: $crate::SECURITY_TARGET,
                    $crate::__private::tracing::Level::ERROR,
                    $($arg)+
                )
            });
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __event {
    ($logger:expr, $level:ident, $tracing_level:ident, $($arg:tt)+) => {{
        let logger: &$crate::Logger = &$logger;
        // First tracing's process-wide maximum (one static load: no logger anywhere wants
        // this level), then this logger's own level.
        if $crate::__private::tracing::level_enabled!($crate::__private::tracing::Level::$tracing_level)
            && logger.enabled($crate::Level::$level)
        {
            logger.in_scope(|| {
                $crate::__private::tracing::event!(
                    $crate::__private::tracing::Level::$tracing_level,
                    $($arg)+
                )
            });
        }
    }};
}
