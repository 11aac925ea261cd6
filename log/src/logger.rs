//! [`Logger`]: a per-Core logging handle, and the process default.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use arc_swap::{ArcSwap, ArcSwapOption};
use corers_primitives::Error;
use tracing::subscriber::Interest;
use tracing::{Dispatch, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

use crate::audit::AuditTrail;
use crate::crash::{CrashConfig, CrashReporter};
use crate::layer::Clock;
use crate::{CrashReport, Filter, Format, Level, LogLayer, Output, Redactor};

/// A logging handle: a level, a format, an output, redaction and a crash reporter, behind
/// its own tracing [`Dispatch`]. Cheap to clone; clones share everything.
///
/// Each Core owns one, so two Cores in one process never share output or level. Code
/// logs through it with the crate's macros, or runs any `tracing` code inside
/// [`in_scope`](Logger::in_scope):
///
/// ```
/// use corers_log::{Level, Logger, MemorySink, Output};
///
/// let sink = MemorySink::new();
/// let log = Logger::builder().level(Level::Debug).output(Output::Memory(sink.clone())).build();
///
/// corers_log::info!(log, service = "brain", took_ms = 12, "service started");
/// log.in_scope(|| {
///     tracing::debug!(target: "workbench::cli", path = "deploy/to/homelab", "resolved command")
/// });
///
/// // Each line names its target: the module that logged (this example's), or the one given.
/// let lines = sink.lines();
/// assert!(lines[0].contains(" INFO  ") && lines[0].ends_with(": service started service=brain took_ms=12"));
/// assert!(lines[1].ends_with("DEBUG workbench::cli: resolved command path=deploy/to/homelab"));
/// ```
#[derive(Clone)]
pub struct Logger {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    /// The most any target lets through, for the check every macro makes first.
    loosest: AtomicU8,
    filter: Arc<ArcSwap<Filter>>,
    /// Serialises `set_filter`, so that `loosest` always belongs to `filter`.
    setting_filter: Mutex<()>,
    dispatch: Dispatch,
    output: Output,
    crash: CrashReporter,
    audit: Option<AuditTrail>,
    redactor: Redactor,
}

/// Settings for a [`Logger`]. Defaults: [`Level::Info`], [`Format::Human`],
/// [`Output::Stderr`], the default [`Redactor`], no crash file.
#[must_use]
pub struct LoggerBuilder {
    filter: Filter,
    format: Format,
    target: bool,
    output: Output,
    redactor: Redactor,
    clock: Clock,
    crash: CrashConfig,
    layers: Vec<Box<dyn Layer<Registry> + Send + Sync>>,
    audit: Option<Output>,
}

impl fmt::Debug for LoggerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerBuilder")
            .field("filter", &self.filter)
            .field("format", &self.format)
            .field("target", &self.target)
            .field("output", &self.output)
            .field("layers", &self.layers.len())
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl Logger {
    /// Starts the settings for a logger.
    ///
    /// ```
    /// use corers_log::{Format, Level, Logger};
    /// let log = Logger::builder().level(Level::Warn).format(Format::Json).build();
    /// assert_eq!(log.level(), Level::Warn);
    /// ```
    pub fn builder() -> LoggerBuilder {
        LoggerBuilder {
            filter: Filter::default(),
            format: Format::Human,
            target: true,
            output: Output::Stderr,
            redactor: Redactor::default(),
            clock: Arc::new(SystemTime::now),
            crash: CrashConfig::default(),
            layers: Vec::new(),
            audit: None,
        }
    }

    /// The level of targets the [filter](Logger::filter) does not name.
    ///
    /// ```
    /// use corers_log::{Level, Logger};
    /// assert_eq!(Logger::builder().build().level(), Level::Info);
    /// ```
    pub fn level(&self) -> Level {
        self.inner.filter.load().default_level()
    }

    /// The level of each target.
    ///
    /// ```
    /// use corers_log::{Level, Logger};
    /// let log = Logger::builder().filter("info,workbench::store=debug".parse().unwrap()).build();
    /// assert_eq!(log.filter().level_for("workbench::store"), Level::Debug);
    /// ```
    pub fn filter(&self) -> Filter {
        Filter::clone(&self.inner.filter.load())
    }

    /// Which field names this logger redacts: what the application counts as secret, for
    /// other parts to hide the same things (the config hides these keys in its dumps).
    ///
    /// ```
    /// use corers_log::{Logger, Redactor};
    /// let log = Logger::builder().redactor(Redactor::default().with(["*_pin"])).build();
    /// assert!(log.redactor().is_secret("card.pin"));
    /// assert!(log.redactor().is_secret("database.password"));
    /// ```
    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    /// Puts every target at `level` (the levels of targets set before are dropped); takes
    /// effect for every thread at once.
    ///
    /// ```
    /// use corers_log::{Level, Logger};
    /// let log = Logger::builder().build();
    /// log.set_level(Level::Debug);
    /// assert!(log.enabled(Level::Debug));
    /// ```
    pub fn set_level(&self, level: Level) {
        self.set_filter(Filter::from(level));
    }

    /// Replaces the level of each target; takes effect for every thread at once.
    ///
    /// ```
    /// use corers_log::{Level, Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// log.set_filter("warn,workbench::store=debug".parse().unwrap());
    /// log.in_scope(|| {
    ///     tracing::debug!(target: "workbench::store", "query took 3 ms");
    ///     tracing::info!(target: "workbench::cli", "resolved workspace/list");
    /// });
    /// assert_eq!(sink.lines().len(), 1);
    /// assert!(sink.contents().contains("query took 3 ms"));
    /// ```
    pub fn set_filter(&self, filter: Filter) {
        let _setting = self
            .inner
            .setting_filter
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let loosest = filter.loosest();
        self.inner.filter.store(Arc::new(filter));
        // Relaxed: a standalone pre-check; the filter itself decides.
        self.inner.loosest.store(loosest as u8, Ordering::Relaxed);
        // tracing caches per-callsite interest; make it ask again.
        tracing::callsite::rebuild_interest_cache();
    }

    /// Reports whether an event of `level` may be written (for some target, when the
    /// [filter](Logger::filter) names targets): the cheap check the macros make before
    /// anything else.
    ///
    /// ```
    /// use corers_log::{Level, Logger};
    /// let log = Logger::builder().level(Level::Info).build();
    /// assert!(!log.enabled(Level::Debug));
    /// ```
    // Inline: the disabled-event check of every logging macro comes here.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        // Relaxed: a standalone setting; no other data is published with it.
        Level::from_u8(self.inner.loosest.load(Ordering::Relaxed)).allows(level)
    }

    /// Runs `f` with this logger as the current tracing dispatcher, so every `tracing` event
    /// and span inside goes to it.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// log.in_scope(|| tracing::info!(workspace = "alpha", "workspace created"));
    /// assert!(sink.contents().contains("workspace created workspace=alpha"));
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        crate::scope::in_scope(self.inner.id, &self.inner.dispatch, f)
    }

    /// The tracing dispatcher behind this logger, e.g. to install as a runtime thread's
    /// default (`tracing::dispatcher::set_default`) or as the global one.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// let _guard = tracing::dispatcher::set_default(log.dispatch());
    /// tracing::info!("goes to the logger");
    /// ```
    pub fn dispatch(&self) -> &Dispatch {
        &self.inner.dispatch
    }

    /// Writes out what the output holds back (an application writer's buffer) and waits
    /// for pending compressions of rotated log files.
    ///
    /// ```
    /// use corers_log::Logger;
    /// Logger::builder().build().flush();
    /// ```
    pub fn flush(&self) {
        self.inner.output.flush();
        if let Some(trail) = &self.inner.audit {
            trail.flush();
        }
    }

    pub(crate) fn audit_trail(&self) -> Option<&AuditTrail> {
        self.inner.audit.as_ref()
    }

    /// Makes this logger the process default: the one [`default_logger`] returns, and the
    /// one the panic hook reports to. The default follows the most recent call.
    ///
    /// ```
    /// use corers_log::{Level, Logger, default_logger};
    /// let log = Logger::builder().level(Level::Warn).build();
    /// log.make_default();
    /// assert_eq!(default_logger().level(), Level::Warn);
    /// ```
    pub fn make_default(&self) {
        DEFAULT.store(Some(Arc::new(self.clone())));
    }

    /// Makes this logger tracing's global default: where events go from threads and tasks
    /// that no logger was entered on (a `std::thread::spawn`, a `tokio::spawn` on a
    /// runtime of the application's own). Also sends the `log` crate's records (libraries
    /// that log through `log`, such as rustls or mio) to tracing, so that they reach it
    /// too, filtered by target like any event, unless `log` has a logger already.
    ///
    /// tracing takes one global default per process, `log` one logger: returns whether
    /// this call set it (`false` when one was set before, which stays, and `log` is left
    /// alone). Once it is set, an application's own `tracing_subscriber::fmt().init()` or
    /// `env_logger::init()` panics (as after any global default): set those up before
    /// instead, or not at all. A Core does this as it runs, unless the application set up
    /// a subscriber of its own or turned it off
    /// (`CoreBuilder::global_logging(false)` in `corers`). A logger made global this way
    /// is nobody's own subscriber ([`application_dispatch`]): a Core running with another
    /// logger keeps its events in that one; to give an application's subscriber every
    /// Core's events, set it with `tracing::dispatcher::set_global_default` instead.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    ///
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// assert!(log.install_global());
    /// std::thread::spawn(|| tracing::warn!(free_gb = 2, "disk almost full"))
    ///     .join()
    ///     .unwrap();
    /// assert!(sink.contents().contains("disk almost full free_gb=2"));
    /// ```
    pub fn install_global(&self) -> bool {
        if tracing::dispatcher::set_global_default(self.inner.dispatch.clone()).is_err() {
            return false;
        }
        if let Some(layer) = self.inner.dispatch.downcast_ref::<LogLayer>() {
            GLOBAL_LAYER.store(layer.id(), Ordering::Release);
        }
        // Refused when `log` has a logger already (the application's): its records go
        // where that one sends them.
        let _ = tracing_log::LogTracer::init();
        true
    }

    /// Logs `err` wrapped in `op` and `msg` at error level, with its operation, code and
    /// operation stack as the fields `error_op`, `error_code` and `error_ops` (flat names: a
    /// log store that reads dots as nesting keeps `error` a string), and returns the
    /// wrapped error (CoreGO's `ErrorLog.Error`).
    /// The event's target is `corers_log::logger` (a method cannot take its caller's), so a
    /// [`Filter`] selects these lines by that target; `op` says where they come from.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// use corers_primitives::{Error, ErrorCode};
    ///
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// let missing = Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND);
    /// let err = log.error(missing, "config.Config.load", "load workspace.toml");
    /// assert_eq!(err.stack(), "config.Config.load -> fs.Fs.read");
    /// assert!(sink.contents().contains("error_code=NOT_FOUND"));
    /// ```
    pub fn error(
        &self,
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
        op: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        let err = Error::wrap(err, op, msg);
        crate::error!(self, error = %err, "error_op" = err.operation(), "error_code" = code(&err), "error_ops" = %err.stack(), "{}", err.message());
        err
    }

    /// Like [`error`](Logger::error), at warn level (CoreGO's `ErrorLog.Warn`).
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// let err = log.warn(std::io::Error::other("slow disk"), "cache.Cache.flush", "flush took 3s");
    /// assert!(sink.contents().contains("WARN  corers_log::logger: flush took 3s"));
    /// assert_eq!(err.operation(), "cache.Cache.flush");
    /// ```
    pub fn warn(
        &self,
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
        op: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        let err = Error::wrap(err, op, msg);
        crate::warn!(self, error = %err, "error_op" = err.operation(), "error_code" = code(&err), "error_ops" = %err.stack(), "{}", err.message());
        err
    }

    /// The value of `result`, or: log the error as [`error`](Logger::error) does, then panic
    /// with the structured [`Error`] as the payload (CoreGO's `Must`). For start-up code
    /// where carrying on is pointless; the framework catches the panic at its boundary.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// let port: u16 = log.must("8080".parse::<u16>(), "cli.main", "parse --port");
    /// assert_eq!(port, 8080);
    /// ```
    ///
    /// # Panics
    /// When `result` is an error, always: that is its purpose.
    pub fn must<T, E>(&self, result: Result<T, E>, op: &'static str, msg: &str) -> T
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match result {
            Ok(value) => value,
            Err(err) => std::panic::panic_any(self.error(err, op, msg.to_owned())),
        }
    }

    /// The crash reporter: recent crash reports and panic-safe spawning.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// assert!(log.crash().reports(5).unwrap().is_empty());
    /// ```
    pub fn crash(&self) -> &CrashReporter {
        &self.inner.crash
    }
}

/// The code's text; `None` leaves the field out of the line.
fn code(err: &Error) -> Option<&str> {
    err.code().map(corers_primitives::ErrorCode::as_str)
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("filter", &format_args!("{}", self.inner.filter.load()))
            .field("output", &self.inner.output)
            .finish_non_exhaustive()
    }
}

impl LoggerBuilder {
    /// Puts every target at `level` (default [`Level::Info`]).
    pub fn level(mut self, level: Level) -> Self {
        self.filter = Filter::from(level);
        self
    }

    /// Sets the level of each target (default: every target at [`Level::Info`]).
    ///
    /// ```
    /// use corers_log::{Level, Logger};
    /// let log = Logger::builder().filter("warn,workbench=debug".parse().unwrap()).build();
    /// assert_eq!(log.level(), Level::Warn);
    /// assert!(log.enabled(Level::Debug));
    /// ```
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets the line format (default [`Format::Human`]).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Whether human lines name each event's target, the module that logged it
    /// (`WARN  corers_config::env: …`), which a [`Filter`] selects by; on by default, as
    /// tracing-subscriber's `with_target`. JSON lines always carry it.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder()
    ///     .output(Output::Memory(sink.clone()))
    ///     .with_target(false)
    ///     .build();
    /// log.in_scope(|| tracing::warn!("disk almost full"));
    /// assert!(sink.contents().trim_end().ends_with("WARN  disk almost full"));
    /// ```
    pub fn with_target(mut self, target: bool) -> Self {
        self.target = target;
        self
    }

    /// Sets where lines go (default [`Output::Stderr`]).
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// Sets which fields are redacted (default [`Redactor::default`]): the given redactor's
    /// names only, so `Redactor::default().with([..])` adds names and `Redactor::new([..])`
    /// replaces the defaults.
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Adds any tracing layer beside the CoreRS one (an OpenTelemetry exporter, a metrics
    /// layer); it sees every event the level lets through. It is added as it is, so that
    /// APIs that find it through the subscriber (tracing-opentelemetry's span context)
    /// keep working: a panic inside it is not caught, and reaches whatever logged. It
    /// sees each event's fields as logged: the [redactor](LoggerBuilder::redactor) works
    /// in the CoreRS layer's lines only, so a secret-looking field (`api_token`) or a
    /// URL's password in an error reaches an exporter unredacted — redact in the exporter's
    /// pipeline, or leave such fields out of the events.
    pub fn layer(mut self, layer: impl Layer<Registry> + Send + Sync + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Also writes the audit trail ([`Logger::audit`]) to `output`: every audit event as one
    /// JSON line, whatever the logger's level (routine events are logged at debug level,
    /// below the default). For a daemon that must keep a record of what it wrote, deleted
    /// and registered without running at debug level.
    ///
    /// ```
    /// use corers_log::{AuditEvent, Logger, MemorySink, Output};
    /// let trail = MemorySink::new();
    /// let log = Logger::builder().audit_output(Output::Memory(trail.clone())).build();
    /// log.audit(AuditEvent::FsWrite { path: "workspaces/alpha.toml" });
    /// assert!(trail.contents().contains(r#""fields":{"event":"fs.write","path":"workspaces/alpha.toml"}"#));
    /// ```
    pub fn audit_output(mut self, output: Output) -> Self {
        self.audit = Some(output);
        self
    }

    /// Sets the file crash reports are appended to (JSON array; none by default). The file
    /// keeps the newest 256 reports: a flood of panics cannot grow it without end.
    pub fn crash_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.crash.file = Some(path.into());
        self
    }

    /// Calls `callback` with every crash report, after it is recorded.
    pub fn on_crash(mut self, callback: impl Fn(&CrashReport) + Send + Sync + 'static) -> Self {
        self.crash.on_crash = Some(Arc::new(callback));
        self
    }

    /// Whether a panic's log line carries its backtrace (escaped onto the line, as the
    /// field `panic.backtrace`), besides the crash report that always keeps it. By
    /// default, when `RUST_BACKTRACE` is set to anything but `0` as the logger is built, as
    /// Rust's own panic message shows one then.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder()
    ///     .output(Output::Memory(sink.clone()))
    ///     .crash_backtrace_in_log(true)
    ///     .build();
    /// // As the panic hook records one (`install_panic_hook`, which `run_blocking` installs).
    /// let mut report = log.crash().report_for("index out of range");
    /// report.backtrace = Some("0: workbench::index\n1: main".to_owned());
    /// log.crash().record(&report).unwrap();
    /// assert!(sink.contents().contains(r#"panic.backtrace="0: workbench::index\n1: main""#));
    /// ```
    pub fn crash_backtrace_in_log(mut self, on: bool) -> Self {
        self.crash.backtrace_in_log = Some(on);
        self
    }

    /// Adds a `key = value` pair to every crash report (app name, version, host role).
    pub fn crash_meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.crash.meta.insert(key.into(), value.into());
        self
    }

    /// Replaces the clock used for timestamps (for tests and snapshots).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the logger.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// assert!(log.enabled(corers_log::Level::Error));
    /// ```
    pub fn build(self) -> Logger {
        // With exactly one dispatcher registered, tracing assumes it is the global default
        // and computes callsite interest from whatever dispatcher is current on the thread
        // that asks (usually none): a per-Core logger would then see its events disabled
        // for good. A second, inert dispatcher kept for the life of the process makes
        // tracing consult every registered dispatcher instead.
        static LIST_MODE: OnceLock<Dispatch> = OnceLock::new();
        LIST_MODE.get_or_init(|| Dispatch::new(tracing::subscriber::NoSubscriber::default()));
        let loosest = AtomicU8::new(self.filter.loosest() as u8);
        let filter = Arc::new(ArcSwap::from_pointee(self.filter));
        let layer = LogLayer::new(self.format, self.output.clone(), self.redactor.clone())
            .with_target(self.target)
            .with_clock(Arc::clone(&self.clock));
        let output = layer.output().clone();
        // The filter gates every layer, the extra ones included. An empty list of layers
        // would declare no interest in any callsite, so it is left out.
        let gate = DynamicFilter(Arc::clone(&filter));
        let dispatch = if self.layers.is_empty() {
            Dispatch::new(Registry::default().with(gate).with(layer))
        } else {
            Dispatch::new(Registry::default().with(self.layers).with(gate).with(layer))
        };
        let id = crate::scope::next_identity();
        let audit = self
            .audit
            .map(|audit| AuditTrail::new(audit, Arc::clone(&self.clock), self.redactor.clone()));
        let crash = CrashReporter::new(
            id,
            self.crash,
            dispatch.clone(),
            (
                output.clone(),
                self.format,
                self.target,
                Arc::clone(&filter),
            ),
            self.clock,
            self.redactor.clone(),
        );
        Logger {
            inner: Arc::new(Inner {
                id,
                loosest,
                filter,
                setting_filter: Mutex::new(()),
                dispatch,
                output,
                crash,
                audit,
                redactor: self.redactor,
            }),
        }
    }
}

/// The [`Filter`] of a [`Logger`], changeable at run time.
struct DynamicFilter(Arc<ArcSwap<Filter>>);

impl DynamicFilter {
    fn allows(&self, metadata: &Metadata<'_>) -> bool {
        self.0
            .load()
            .level_for(metadata.target())
            .allows(Level::from_tracing(*metadata.level()))
    }
}

impl<S: Subscriber> Layer<S> for DynamicFilter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.allows(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.allows(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(self.0.load().loosest().filter())
    }
}

static DEFAULT: ArcSwapOption<Logger> = ArcSwapOption::const_empty();

/// The layer id of the logger [`Logger::install_global`] made tracing's global default; 0
/// before one.
static GLOBAL_LAYER: AtomicU64 = AtomicU64::new(0);

/// The tracing dispatcher current on this thread, when it is the application's own: `None`
/// when there is none, or when it is the global default a logger installed
/// ([`Logger::install_global`]). For code that logs to the application's subscriber when
/// it has one, and to a logger of its choosing otherwise (a Core's, for what happens while
/// that Core runs), so that whichever Core ran first does not take every later one's
/// lines.
///
/// ```
/// use corers_log::{Logger, application_dispatch};
/// assert!(application_dispatch().is_none());
/// let log = Logger::builder().build();
/// log.in_scope(|| assert!(application_dispatch().is_some()));
/// ```
pub fn application_dispatch() -> Option<Dispatch> {
    let current = tracing::dispatcher::get_default(Clone::clone);
    if current.is::<tracing::subscriber::NoSubscriber>() {
        return None;
    }
    let global = GLOBAL_LAYER.load(Ordering::Acquire);
    if global != 0
        && current
            .downcast_ref::<LogLayer>()
            .is_some_and(|layer| layer.id() == global)
    {
        return None;
    }
    Some(current)
}

/// The process default logger: the one most recently made default
/// ([`Logger::make_default`]; a Core does this when it is built, unless built with
/// `global_logging(false)`), or, before any, a
/// human-format logger at info level writing to standard error.
///
/// ```
/// use corers_log::default_logger;
/// corers_log::info!(default_logger(), "logged before any Core exists");
/// ```
pub fn default_logger() -> Logger {
    static FALLBACK: OnceLock<Logger> = OnceLock::new();
    if let Some(logger) = DEFAULT.load_full() {
        return Logger::clone(&logger);
    }
    FALLBACK.get_or_init(|| Logger::builder().build()).clone()
}
