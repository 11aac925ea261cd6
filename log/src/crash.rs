//! Crash reports: the panic hook, the crash file, and panic-safe spawning.

use std::backtrace::Backtrace;
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::fs;
use std::future::Future;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use std::time::SystemTime;

use arc_swap::ArcSwap;
use corers_primitives::{Error, ErrorCode, Result, catch_panic};
use serde::{Deserialize, Serialize};
use tracing::Dispatch;
use tracing::instrument::WithSubscriber as _;

use crate::format::{FieldValue, Record, Style};
use crate::layer::{Clock, SECURITY_TARGET};
use crate::time::{compact, write_rfc3339};
use crate::{Filter, Format, Output, REDACTED, Redactor};

/// How many reports a reporter keeps in memory when it has no crash file.
const KEPT_IN_MEMORY: usize = 64;

/// How many reports a crash file keeps (the newest): a flood of panics from bad input must
/// not make every later one rewrite an ever larger file.
const KEPT_IN_FILE: usize = 256;

/// What is known about one panic. Every field but the message and the time may be missing
/// from a crash file (one written by an older or newer version), and reads as empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CrashReport {
    /// When it happened, RFC 3339 UTC.
    pub time: String,
    /// The panic message, with the password of any URL in it replaced by `[REDACTED]`
    /// (`.expect(&format!("connect {url}"))` must not put a database password in a file
    /// or a crash callback); otherwise as the panic gave it.
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
    /// The panicking thread's name, when it has one.
    pub thread: Option<String>,
    /// The backtrace, when captured (by the panic hook).
    pub backtrace: Option<String>,
    /// `std::env::consts::OS`.
    pub os: String,
    /// `std::env::consts::ARCH`.
    pub arch: String,
    /// The version of `corers-log` that wrote the report.
    pub version: String,
    /// Caller-supplied `key = value` pairs (app name, version, …).
    pub meta: BTreeMap<String, String>,
}

pub(crate) type OnCrash = Arc<dyn Fn(&CrashReport) + Send + Sync>;

#[derive(Default)]
pub(crate) struct CrashConfig {
    pub(crate) file: Option<PathBuf>,
    pub(crate) on_crash: Option<OnCrash>,
    pub(crate) meta: BTreeMap<String, String>,
    /// Whether a panic's log line carries its backtrace; `None`: as `RUST_BACKTRACE` says
    /// when the logger is built.
    pub(crate) backtrace_in_log: Option<bool>,
}

impl CrashConfig {
    /// Whether a panic's log line carries its backtrace: as set, else when
    /// `RUST_BACKTRACE` is set to anything but `0`, as Rust's own panic message shows one.
    pub(crate) fn logs_backtraces(&self) -> bool {
        self.backtrace_in_log
            .unwrap_or_else(|| std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0"))
    }
}

/// Records crash reports for one [`Logger`](crate::Logger): to its log, to memory, to an
/// optional JSON crash file, and to an optional callback. Cheap to clone.
///
/// ```
/// use corers_log::Logger;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let log = Logger::builder().build();
/// let outcome = log.crash().spawn_task(async { panic!("index out of range") }).unwrap().await.unwrap();
/// assert_eq!(outcome.unwrap_err().message(), "panicked: index out of range");
/// assert_eq!(log.crash().reports(1).unwrap()[0].message, "index out of range");
/// # }
/// ```
#[derive(Clone)]
pub struct CrashReporter {
    inner: Arc<ReporterInner>,
}

struct ReporterInner {
    /// The logger this reporter belongs to (see `scope::in_scope`).
    logger: u64,
    config: CrashConfig,
    redactor: Redactor,
    dispatch: Dispatch,
    /// The logger's output, flushed after each report so that it reaches the disk before
    /// a process that is going down does.
    output: Output,
    /// The logger's format, whether its human lines name the target, and its filter, for a
    /// report written straight to the output.
    format: Format,
    target: bool,
    filter: Arc<ArcSwap<Filter>>,
    clock: Clock,
    /// Whether a panic's log line carries its backtrace (decided when built).
    backtrace_in_log: bool,
    /// Recent reports; also serialises writers of the crash file in this process.
    recent: Mutex<VecDeque<CrashReport>>,
}

thread_local! {
    /// True while the panic hook runs on this thread.
    static IN_PANIC_HOOK: Cell<bool> = const { Cell::new(false) };
    /// True on the thread that runs an `on_crash` callback for the panic hook: a panic
    /// there is the callback's, reported by `record`, not a new crash.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
    /// Set by the panic hook to the id of the reporter that recorded the current panic, so
    /// that the same reporter does not record it twice when the panic is caught.
    static RECORDED_BY_HOOK: Cell<usize> = const { Cell::new(0) };
}

impl CrashReporter {
    pub(crate) fn new(
        logger: u64,
        config: CrashConfig,
        dispatch: Dispatch,
        (output, format, target, filter): (Output, Format, bool, Arc<ArcSwap<Filter>>),
        clock: Clock,
        redactor: Redactor,
    ) -> CrashReporter {
        CrashReporter {
            inner: Arc::new(ReporterInner {
                logger,
                backtrace_in_log: config.logs_backtraces(),
                config,
                redactor,
                dispatch,
                output,
                format,
                target,
                filter,
                clock,
                recent: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Records `report`: logs it at error level, keeps it in memory, appends it to the crash
    /// file when one is configured, then calls the `on_crash` callback (whose own panics are
    /// caught and logged).
    ///
    /// The crash file is a JSON array, rewritten through a temporary file and a rename so it
    /// is never left half-written. A crash file that does not parse is moved aside to
    /// `<file>.corrupt-<time>` and reported as a Security event, never silently dropped.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// let report = log.crash().report_for("worker stopped responding");
    /// log.crash().record(&report).unwrap();
    /// assert_eq!(log.crash().reports(1).unwrap()[0].message, "worker stopped responding");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when the crash file cannot be written; the report is still
    /// logged and kept in memory.
    pub fn record(&self, report: &CrashReport) -> Result<()> {
        let inner = &self.inner;
        // From the panic hook, the panic may have come from inside a logger's layer (a
        // field's Debug while some logger wrote an event), or from a writer this thread
        // holds (a flush): there the event `in_scope` makes would be dropped or would wait
        // on the writer for ever, so the line is written straight to the output instead
        // (or dropped, when that output is the held writer).
        let in_dispatch = IN_PANIC_HOOK.with(Cell::get)
            && (crate::layer::dispatching() || crate::sink::in_writer());
        if in_dispatch {
            self.write_line(report);
        } else {
            self.in_scope(|| {
                tracing::error!(
                    panic.location = report.location.as_deref().unwrap_or(""),
                    panic.thread = report.thread.as_deref().unwrap_or(""),
                    // Recorded only when there is one to log.
                    panic.backtrace = self.logged_backtrace(report),
                    "panic: {}",
                    report.message
                );
            });
        }
        // Never waits for a writer: this may run inside a panic raised while the output
        // was in use (a queue, briefly, from any thread but its own).
        inner.output.flush_for_crash();
        let written = {
            let mut recent = inner.recent.lock().unwrap_or_else(PoisonError::into_inner);
            recent.push_back(report.clone());
            if recent.len() > KEPT_IN_MEMORY {
                recent.pop_front();
            }
            // Still holding `recent`: appends to the file are serialised in this process.
            match &inner.config.file {
                Some(path) => self.append(path, report),
                None => Ok(()),
            }
        };
        if let Some(callback) = &inner.config.on_crash {
            let outcome = if IN_PANIC_HOOK.with(Cell::get) {
                // A panic inside a panic hook aborts the process, whatever catches it: run
                // the callback on a thread of its own, where a panic is only a panic.
                std::thread::scope(|scope| {
                    std::thread::Builder::new()
                        .name("corers-on-crash".into())
                        .spawn_scoped(scope, || {
                            IN_CALLBACK.with(|flag| flag.set(true));
                            callback(report);
                        })
                        .map_or(Ok(()), std::thread::ScopedJoinHandle::join)
                })
            } else {
                // Its own panic is caught here: the panic hook (when installed) must not
                // record it as a crash, and so call the callback again.
                IN_CALLBACK.with(|flag| flag.set(true));
                let outcome = catch_unwind(AssertUnwindSafe(|| callback(report)));
                IN_CALLBACK.with(|flag| flag.set(false));
                outcome
            };
            if let Err(payload) = outcome {
                let err = Error::from_caught("log.CrashReporter.record", payload);
                self.in_scope(|| {
                    tracing::error!(error = %err, "on_crash callback panicked");
                });
            }
        }
        written
    }

    /// The last `n` reports, oldest first: from the crash file when one is configured (it
    /// keeps the newest 256), otherwise from memory (the last 64 kept).
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().build();
    /// for message in ["first", "second", "third"] {
    ///     log.crash().record(&log.crash().report_for(message)).unwrap();
    /// }
    /// let last: Vec<String> = log.crash().reports(2).unwrap().into_iter().map(|r| r.message).collect();
    /// assert_eq!(last, ["second", "third"]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when the crash file cannot be read;
    /// [`ErrorCode::INVALID`] when it is not a JSON array of reports.
    pub fn reports(&self, n: usize) -> Result<Vec<CrashReport>> {
        const OP: &str = "log.CrashReporter.reports";
        let all: Vec<CrashReport> = match &self.inner.config.file {
            Some(path) => match fs::read(path) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                    Error::wrap_code(
                        e,
                        ErrorCode::INVALID,
                        OP,
                        format!("parse {}", path.display()),
                    )
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => {
                    return Err(Error::wrap_code(
                        e,
                        ErrorCode::UNAVAILABLE,
                        OP,
                        format!("read {}", path.display()),
                    ));
                }
            },
            None => self
                .inner
                .recent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned()
                .collect(),
        };
        let skip = all.len().saturating_sub(n);
        Ok(all.into_iter().skip(skip).collect())
    }

    /// A report for `message` at this moment, with system information and the configured
    /// meta, but no location or backtrace: for failures found without a panic.
    ///
    /// ```
    /// use corers_log::Logger;
    /// let log = Logger::builder().crash_meta("app", "workbench").build();
    /// let report = log.crash().report_for("watchdog fired");
    /// assert_eq!(report.meta["app"], "workbench");
    /// assert_eq!(report.os, std::env::consts::OS);
    /// ```
    pub fn report_for(&self, message: &str) -> CrashReport {
        let mut time = String::new();
        write_rfc3339(&mut time, (self.inner.clock)());
        CrashReport {
            time,
            message: crate::without_url_passwords(message).into_owned(),
            location: None,
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: None,
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            meta: self
                .inner
                .config
                .meta
                .iter()
                .map(|(key, value)| {
                    // A secret-looking key's value hidden; a URL's password in any other.
                    let value = if self.inner.redactor.is_secret(key) {
                        REDACTED.to_owned()
                    } else {
                        crate::without_url_passwords(value).into_owned()
                    };
                    (key.clone(), value)
                })
                .collect(),
        }
    }

    /// Runs `work` on a new named thread, catching a panic into a crash report and an
    /// [`ErrorCode::INTERNAL`] error instead of letting it vanish. `tracing` events of
    /// `work` go to the application's subscriber when one is current here
    /// ([`application_dispatch`](crate::application_dispatch)), else to this reporter's
    /// logger.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// let handle = log.crash().spawn_thread("indexer", || {
    ///     tracing::info!(files = 40, "indexed");
    ///     40 + 2
    /// }).unwrap();
    /// assert_eq!(handle.join().unwrap().unwrap(), 42);
    /// assert!(sink.contents().contains("indexed files=40"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `name` contains NUL; [`ErrorCode::UNAVAILABLE`] when the
    /// operating system refuses a new thread.
    pub fn spawn_thread<T, F>(
        &self,
        name: &str,
        work: F,
    ) -> Result<std::thread::JoinHandle<Result<T>>>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if name.contains('\0') {
            return Err(Error::new(
                "log.CrashReporter.spawn_thread",
                format!("invalid thread name {name:?}: contains NUL"),
            )
            .with_code(ErrorCode::INVALID));
        }
        let reporter = self.clone();
        let thread_name = name.to_owned();
        let dispatch = self.spawned_dispatch();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let run = || catch_unwind(AssertUnwindSafe(work));
                tracing::dispatcher::with_default(&dispatch, run).map_err(|payload| {
                    let err = Error::from_caught("log.CrashReporter.spawn_thread", payload);
                    reporter.recovered(&thread_name, err)
                })
            })
            .map_err(|e| {
                Error::wrap_code(
                    e,
                    ErrorCode::UNAVAILABLE,
                    "log.CrashReporter.spawn_thread",
                    format!("spawn thread {name:?}"),
                )
            })
    }

    /// Spawns `work` on the current tokio runtime, catching a panic into a crash report and
    /// an [`ErrorCode::INTERNAL`] error. `tracing` events of `work` go where
    /// [`spawn_thread`](CrashReporter::spawn_thread)'s do.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// let sum = log.crash().spawn_task(async {
    ///     tracing::info!("summing");
    ///     40 + 2
    /// });
    /// assert_eq!(sum.unwrap().await.unwrap().unwrap(), 42);
    /// assert!(sink.contents().contains("summing"));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when called outside a tokio runtime.
    pub fn spawn_task<T, F>(&self, work: F) -> Result<tokio::task::JoinHandle<Result<T>>>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::wrap_code(
                e,
                ErrorCode::UNAVAILABLE,
                "log.CrashReporter.spawn_task",
                "spawn a task outside a tokio runtime",
            )
        })?;
        let reporter = self.clone();
        let work = work.with_subscriber(self.spawned_dispatch());
        Ok(runtime.spawn(async move {
            catch_panic("log.CrashReporter.spawn_task", Box::pin(work))
                .await
                .map_err(|err| reporter.recovered("task", err))
        }))
    }

    /// Where work this reporter spawns logs: the application's subscriber when one is
    /// current here, else this reporter's logger.
    fn spawned_dispatch(&self) -> Dispatch {
        crate::application_dispatch().unwrap_or_else(|| self.inner.dispatch.clone())
    }

    /// Turns a caught panic into an error, recording a report unless the panic hook already
    /// did, and logs the recovery.
    fn recovered(&self, what: &str, err: Error) -> Error {
        if RECORDED_BY_HOOK.with(|flag| flag.replace(0)) != self.id() {
            let message = err.message().trim_start_matches("panicked: ").to_owned();
            // The report is also logged and kept in memory; a crash-file failure is logged.
            if let Err(file_error) = self.record(&self.report_for(&message)) {
                self.log_error(&file_error, "crash file not written");
            }
        }
        self.in_scope(|| {
            tracing::error!(error = %err, "{what} recovered from panic");
        });
        err
    }

    /// Writes the report's log line to the logger's output without tracing (as the event
    /// `record` logs would read, without spans and extra layers).
    fn write_line(&self, report: &CrashReport) {
        let inner = &self.inner;
        // The target the line is written under, as an event's would be filtered.
        let target = module_path!();
        if !inner
            .filter
            .load()
            .level_for(target)
            .allows(crate::Level::Error)
        {
            return;
        }
        let mut fields = String::new();
        let backtrace = self.logged_backtrace(report);
        let with_backtrace = backtrace.map(|backtrace| ("panic.backtrace", Some(backtrace)));
        for (key, value) in [
            ("panic.location", report.location.as_deref()),
            ("panic.thread", report.thread.as_deref()),
        ]
        .into_iter()
        .chain(with_backtrace)
        {
            let value = value.unwrap_or("");
            let value = if inner.redactor.is_secret(key) {
                REDACTED
            } else {
                value
            };
            inner
                .format
                .render_field(key, FieldValue::Str(value), &mut fields);
        }
        let message = format!("panic: {}", report.message);
        let mut line = String::new();
        inner.format.render(
            &Record {
                time: (inner.clock)(),
                level: crate::Level::Error,
                target,
                security: false,
                message: &message,
                fields: &fields,
                spans: "",
            },
            // Never coloured: the output may be a file by the time the process goes down.
            Style {
                colour: false,
                target: inner.target,
            },
            &mut line,
        );
        // Never waits: the panic may have come from inside that very output.
        inner.output.write_line_if_free(line.as_bytes());
    }

    fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        crate::scope::in_scope(self.inner.logger, &self.inner.dispatch, f)
    }

    /// The backtrace `report`'s log line carries, when it has one and the logger logs
    /// them.
    fn logged_backtrace<'r>(&self, report: &'r CrashReport) -> Option<&'r str> {
        report
            .backtrace
            .as_deref()
            .filter(|_| self.inner.backtrace_in_log)
    }

    /// Identifies this reporter (and its clones) while it lives.
    fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    fn log_error(&self, err: &Error, message: &str) {
        self.in_scope(|| {
            tracing::error!(error = %err, "{message}");
        });
    }

    /// Appends `report` to the JSON array at `path`: read, push, keep the newest
    /// [`KEPT_IN_FILE`], write a temporary file, fsync, rename over. A file that does not
    /// parse is moved aside first.
    fn append(&self, path: &Path, report: &CrashReport) -> Result<()> {
        const OP: &str = "log.CrashReporter.record";
        let unavailable = |e: std::io::Error, what: &str| {
            Error::wrap_code(e, ErrorCode::UNAVAILABLE, OP, what.to_owned())
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .map_err(|e| unavailable(e, &format!("create {}", parent.display())))?;
        }
        // An advisory lock on `<file>.lock` serialises writers across loggers and
        // processes; it is released when `_lock` closes.
        let mut lock_name = path.as_os_str().to_os_string();
        lock_name.push(".lock");
        let mut open_lock = fs::OpenOptions::new();
        open_lock.create(true).truncate(false).write(true);
        // Owner-only like the file it guards (it holds nothing, and is never truncated).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open_lock, 0o600);
        let _lock = open_lock
            .open(&lock_name)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|e| unavailable(e, &format!("lock {}", path.display())))?;
        let mut reports: Vec<CrashReport> = match fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(reports) => reports,
                Err(parse) => {
                    let aside = aside_path(path, (self.inner.clock)());
                    fs::rename(path, &aside)
                        .map_err(|e| unavailable(e, &format!("move aside {}", path.display())))?;
                    self.in_scope(|| {
                        tracing::error!(
                            target: SECURITY_TARGET,
                            event = "crash_file.corrupt",
                            path = %path.display(),
                            moved_to = %aside.display(),
                            error = %parse,
                            "crash file did not parse; moved aside"
                        );
                    });
                    Vec::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(unavailable(e, &format!("read {}", path.display()))),
        };
        reports.push(report.clone());
        let excess = reports.len().saturating_sub(KEPT_IN_FILE);
        reports.drain(..excess);
        let json = serde_json::to_vec_pretty(&reports)
            .map_err(|e| Error::wrap_code(e, ErrorCode::INTERNAL, OP, "encode crash reports"))?;
        let mut tmp_name = path.as_os_str().to_os_string();
        tmp_name.push(format!(".tmp-{}", corers_primitives::id()));
        let tmp = PathBuf::from(tmp_name);
        let write = || -> std::io::Result<()> {
            // Owner-only, as CoreGO's: backtraces and the rest of a panic message are not
            // redacted.
            let mut open = fs::OpenOptions::new();
            open.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
            let mut file = open.open(&tmp)?;
            file.write_all(&json)?;
            corers_primitives::sync_all(&file)?;
            fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            unavailable(e, &format!("write {}", path.display()))
        })
    }

    /// Records a panic seen by the panic hook, with its location and a backtrace.
    fn record_from_hook(&self, info: &PanicHookInfo<'_>) {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .or_else(|| payload.downcast_ref::<Error>().map(ToString::to_string))
            .unwrap_or_else(|| "a non-text payload".to_owned());
        let mut report = self.report_for(&message);
        report.location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        report.backtrace = Some(Backtrace::force_capture().to_string());
        if let Err(err) = self.record(&report) {
            self.log_error(&err, "crash file not written");
        }
        RECORDED_BY_HOOK.with(|flag| flag.set(self.id()));
    }
}

impl fmt::Debug for CrashReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashReporter")
            .field("file", &self.inner.config.file)
            .field("meta", &self.inner.config.meta)
            .finish_non_exhaustive()
    }
}

fn aside_path(path: &Path, now: SystemTime) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(
        ".corrupt-{}-{}",
        compact(now),
        corers_primitives::id()
    ));
    PathBuf::from(name)
}

/// Replaces the process's panic hook with one that records every panic as a crash report
/// (with location and backtrace) through the [default logger](crate::default_logger), so
/// panics are logged instead of printed around the logger. Calling it again is harmless;
/// `std::panic::set_hook` replaces it.
///
/// ```rust,standalone_crate
/// corers_log::install_panic_hook();
/// let caught = std::panic::catch_unwind(|| panic!("worker crashed"));
/// assert!(caught.is_err());
/// let last = corers_log::default_logger().crash().reports(1).unwrap();
/// assert_eq!(last[0].message, "worker crashed");
/// assert!(last[0].backtrace.is_some());
/// ```
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if IN_CALLBACK.with(Cell::get) {
            return;
        }
        IN_PANIC_HOOK.with(|flag| flag.set(true));
        crate::default_logger().crash().record_from_hook(info);
        IN_PANIC_HOOK.with(|flag| flag.set(false));
    }));
}
