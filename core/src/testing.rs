//! The test kit: a Core built for tests, fake services, a recorder of bus messages, and a
//! runner that captures what a command line prints.
//!
//! ```
//! use corers::prelude::*;
//! use corers::testing::{self, Recorder};
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct CacheFlushed { keys: usize }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (builder, log) = testing::builder();
//! let core = builder
//!     .command("cache/flush", Command::new().action(|core: Core, _| async move {
//!         core.broadcast(&CacheFlushed { keys: 12 })?;
//!         Ok(Value::from("flushed"))
//!     }))
//!     .build()
//!     .unwrap();
//! let flushed = Recorder::<CacheFlushed>::new(&core);
//!
//! let run = testing::run_cli(&core, ["cache", "flush"]).await;
//! assert_eq!((run.exit_code, run.stdout.as_str()), (0, "flushed\n"));
//! assert_eq!(flushed.messages(), [CacheFlushed { keys: 12 }]);
//! # let _ = log;
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use corers_lifecycle::Registration;
use corers_log::{Level, Logger, MemorySink, Output};
use corers_messaging::HandlerId;
use corers_primitives::{Error, ErrorCode, Result};
use tokio::sync::Notify;

use crate::core::Captured;
use crate::run::{Printed, Started, shown_err};
use crate::{Core, CoreBuilder};

/// A builder for a test Core: logs go to the returned in-memory sink (at debug level), not
/// to the terminal, each line at one fixed time (`2026-01-01T00:00:00Z`, so that a
/// snapshot of the log is stable), the config reads no environment (so the machine running the tests
/// cannot change them), and [`Core::fs`] is rooted in a new temporary directory of its
/// own, removed when the Core is dropped (unless the test names another with
/// [`fs_root`](CoreBuilder::fs_root)), not the crate's source tree. Running it takes none of the process-wide hooks
/// ([`global_logging(false)`](CoreBuilder::global_logging)): a test that calls
/// [`run_blocking_with`](Core::run_blocking_with) leaves tracing's global default and the
/// panic hook to the other tests of its binary. Because the logger is set,
/// [`crash_file`](CoreBuilder::crash_file), [`on_crash`](CoreBuilder::on_crash),
/// [`log_level`](CoreBuilder::log_level) and [`log_format`](CoreBuilder::log_format) are
/// refused at `build()` (they configure a logger the builder makes), and a `RUST_LOG`
/// given through [`CoreBuilder::env`] does not change the level; otherwise it is
/// [`Core::builder`].
pub fn builder() -> (CoreBuilder, MemorySink) {
    let (builder, sink) = hermetic(Core::builder().name("test"));
    #[cfg(feature = "config")]
    let builder = builder.config(corers_config::Config::builder());
    (builder, sink)
}

/// The application's own builder (its services, commands, config) made fit for a test, as
/// [`builder`] makes a new one: logs to the returned sink at debug level and at one fixed
/// time — its own logger settings (level, format, crash file and callback) left out —, no
/// process-wide hooks, and [`Core::fs`] in a temporary directory of its own, also when
/// the application names a root (its data directory is no place for a test; a root the
/// test names after this is used). Its config is its own, but for the environment: the files it reads are
/// read, and no variable of the process is (a `WORKBENCH_INDEX__FILES_PER_CHAR` exported
/// in the developer's shell must not change a snapshot): the test gives the ones it wants
/// with [`env`](CoreBuilder::env), which reaches the config and flags' fallbacks alike, or
/// with `--set` (not with the config's own `env_vars`, which this clears whenever given).
/// A flag's environment fallback still reads the process's variables (set the test's own
/// with `env`, or remove one with [`env_remove`](CoreBuilder::env_remove)).
///
/// ```
/// use corers::prelude::*;
///
/// // The application's builder, as its `main` makes it.
/// fn workbench() -> CoreBuilder {
///     Core::builder()
///         .name("workbench")
///         .log_level(corers::log::Level::Warn)
///         .command("cache/flush", Command::new().action(|core: Core, _| async move {
///             corers::log::info!(core.log(), keys = 12, "cache flushed");
///             Ok(Value::from("flushed"))
///         }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (builder, log) = corers::testing::hermetic(workbench());
/// let core = builder.build().unwrap();
/// corers::testing::run_cli(&core, ["cache", "flush"]).await.assert_success();
/// // Its info line, under a level of warn in production.
/// assert!(log.contents().contains("cache flushed keys=12"), "{}", log.contents());
/// # }
/// ```
pub fn hermetic(builder: CoreBuilder) -> (CoreBuilder, MemorySink) {
    /// 2026-01-01T00:00:00Z, in seconds since 1970.
    const TEST_TIME: u64 = 1_767_225_600;
    let sink = MemorySink::new();
    let logger = Logger::builder()
        .level(Level::Debug)
        .output(Output::Memory(sink.clone()))
        .clock(|| std::time::UNIX_EPOCH + Duration::from_secs(TEST_TIME))
        .build();
    let builder = builder.logging_to(logger);
    #[cfg(feature = "fs")]
    let builder = builder.in_scratch_dir();
    // The shell running the tests sets no setting: only the variables the test gives.
    #[cfg(feature = "config")]
    let builder = builder.config_with(|config| config.env_vars(Vec::<(String, String)>::new()));
    (builder, sink)
}

impl CoreBuilder {
    /// Replaces the service registered as `name` by the one `fake` makes.
    ///
    /// A service added with [`service_named`](CoreBuilder::service_named) is replaced
    /// whole: its factory never runs, so nothing it would do (connect, register bus
    /// handlers or commands) happens; the fake's registration is used under `name`, with
    /// its own dependencies.
    ///
    /// A service added with [`service`](CoreBuilder::service) is known by name only once its
    /// factory has run, so that factory still runs, first: a real factory that fails still
    /// fails `build()`, and what it registers besides stays, ahead of anything the fake
    /// registers (a query both answer goes to the real handler). Its hooks (start, stop,
    /// reload, health) are the fake's, under the real one's name and dependencies.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let (builder, _log) = corers::testing::builder();
    /// let core = builder
    ///     .service_named("store", |_| -> Result<Registration<Core>> {
    ///         Err(Error::new("store.Db.connect", "no database on this machine"))
    ///     })
    ///     .fake_service("store", |_| Ok(Registration::new("store", Hooks::new())))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.services().names(), ["store"]);
    /// ```
    pub fn fake_service(
        self,
        name: impl Into<String>,
        fake: impl FnOnce(&Core) -> Result<Registration<Core>> + Send + 'static,
    ) -> Self {
        self.with_fake(name.into(), Box::new(fake))
    }
}

/// What running a command line printed, and its exit code. Its `Display` is what a person
/// running it would see, for snapshots and failure messages:
///
/// ```text
/// exit: 0
/// --- stdout
/// created workspace "alpha"
/// --- stderr
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliRun {
    /// What went to standard output (help, the command's value).
    pub stdout: String,
    /// What went to standard error (usage errors, failures).
    pub stderr: String,
    /// The exit code.
    pub exit_code: u8,
}

impl CliRun {
    /// Fails the test, showing the whole run, unless it exited 0.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (builder, _log) = corers::testing::builder();
    /// let core = builder
    ///     .command("cache/flush", Command::new().action(|_, _| async { Ok(Value::from("flushed")) }))
    ///     .build()
    ///     .unwrap();
    /// let run = corers::testing::run_cli(&core, ["cache", "flush"]).await;
    /// assert_eq!(run.assert_success().stdout, "flushed\n");
    /// # }
    /// ```
    ///
    /// # Panics
    /// When the exit code is not 0.
    #[track_caller]
    pub fn assert_success(&self) -> &CliRun {
        self.assert_exit(0)
    }

    /// Fails the test, showing the whole run, unless it exited with `code` (2 for a usage
    /// error, 65 for an `INVALID` failure, …).
    ///
    /// # Panics
    /// When the exit code is another.
    #[track_caller]
    pub fn assert_exit(&self, code: u8) -> &CliRun {
        assert!(
            self.exit_code == code,
            "expected exit code {code}, the command line gave {}:\n{self}",
            self.exit_code
        );
        self
    }
}

impl fmt::Display for CliRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ended = |text: &str| {
            if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            }
        };
        write!(
            f,
            "exit: {}\n--- stdout\n{}{}--- stderr\n{}{}",
            self.exit_code,
            self.stdout,
            ended(&self.stdout),
            self.stderr,
            ended(&self.stderr)
        )
    }
}

/// Runs `args` through `core` as [`Core::run_with`] does — start every service, dispatch,
/// shut down; or, for help, a completion script, the version or a usage error, start
/// nothing (nor for a standalone command, which runs) — but captures what it would print, and what
/// [`run_blocking`](Core::run_blocking) would exit with. A startup that fails is what a
/// user sees: the error on standard error and the exit code its error code gives (78 for
/// `INVALID`, 69 for `UNAVAILABLE`, …). What the framework logs meanwhile goes where
/// `run_with` sends it (the test logger's sink, without a subscriber of the test's own).
///
/// As `run_with`, a Core runs once: a second command line on it finds its services
/// stopped (exit 1), so build a Core per run. A `--set` among `args` reaches the config
/// once the Core is built, after its service factories ran; to test what a factory makes
/// of a setting, give it to the builder with
/// [`settings_from_args`](CoreBuilder::settings_from_args), as `run_blocking` does.
pub async fn run_cli<I, S>(core: &Core, args: I) -> CliRun
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args = args.into_iter().map(Into::into).collect();
    core.logging(run_captured(core, args)).await
}

/// [`run_cli`], under [`Core::logging`].
async fn run_captured(core: &Core, args: Vec<String>) -> CliRun {
    let args = match core.take_set_args(args) {
        Ok(args) => args,
        Err(usage) => {
            return CliRun {
                stdout: String::new(),
                stderr: usage,
                exit_code: 2,
            };
        }
    };
    if let Some(printed) = core.answer_before_start(&args) {
        return CliRun {
            stdout: printed.stdout,
            stderr: shown_err(&printed.stderr),
            exit_code: printed.exit_code,
        };
    }
    // What `Core::print` and `Core::eprint` write while this runs is captured, and put
    // where `run` prints it: before the command's output what came before it ends, after
    // it what shutdown printed.
    let capturing = Capturing::begin(core);
    let (printed, left) = match core
        .start_for_run("corers.testing.run_cli", core.starts_for(&args))
        .await
    {
        // As `run`: a command that outlives a stop asked for is abandoned (no signal
        // comes here to force it).
        Started::Run => {
            let (never, signals) = (tokio_util::sync::CancellationToken::new(), Mutex::default());
            core.dispatch_within(args, &never, &signals).await
        }
        // As `run`: the command does not run, and the shutdown gives the exit code.
        Started::Skipped => (
            Printed {
                stdout: String::new(),
                stderr: String::new(),
                exit_code: 0,
            },
            core.left_since(None),
        ),
        Started::Failed(err) => {
            let (stdout, eprinted) = capturing.take();
            let stderr = format!("{eprinted}{}", shown_err(&format!("error: {err:#}\n")));
            return CliRun {
                stdout,
                stderr,
                exit_code: crate::run::failed_to_start(&err),
            };
        }
    };
    let (mut stdout, mut stderr) = capturing.take();
    stdout.push_str(&printed.stdout);
    // As `run` shows them: URL passwords hidden, control characters escaped.
    stderr.push_str(&shown_err(&printed.stderr));
    let (exit_code, failure) = core.shut_down(printed.exit_code, left).await;
    let (after, after_err) = capturing.take();
    stdout.push_str(&after);
    stderr.push_str(&after_err);
    stderr.extend(failure.as_deref().map(shown_err));
    CliRun {
        stdout,
        stderr,
        exit_code,
    }
}

/// `run_cli`'s capture of [`Core::print`] and [`Core::eprint`], ended when dropped (also
/// when the run's future is). A capture already going (another run on the same Core,
/// which is refused) is left to its owner.
struct Capturing<'a> {
    core: &'a Core,
    ours: bool,
}

impl<'a> Capturing<'a> {
    fn begin(core: &'a Core) -> Capturing<'a> {
        let mut captured = Capturing::slot(core);
        let ours = captured.is_none();
        if ours {
            *captured = Some(Captured::default());
        }
        Capturing { core, ours }
    }

    /// What was printed since the last take, to standard output and to standard error.
    fn take(&self) -> (String, String) {
        if !self.ours {
            return (String::new(), String::new());
        }
        Capturing::slot(self.core)
            .as_mut()
            .map(|captured| {
                let Captured { out, err } = std::mem::take(captured);
                (out, err)
            })
            .unwrap_or_default()
    }

    fn slot(core: &Core) -> std::sync::MutexGuard<'_, Option<Captured>> {
        core.inner
            .captured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Capturing<'_> {
    fn drop(&mut self) {
        if self.ours {
            *Capturing::slot(self.core) = None;
        }
    }
}

/// Keeps what a Core's bus carries of one message type, for assertions: every broadcast,
/// query and perform of it (a [catch-all observer](corers_messaging::Bus::observe), so it
/// answers nothing and counts as no handler in a broadcast's report). Stops recording when
/// dropped.
///
/// [`new`](Recorder::new) keeps copies of the messages; [`map`](Recorder::map) keeps what a
/// function makes of each: the part a test asserts on, or something to keep of messages
/// that are not `Clone`:
///
/// ```
/// use corers::prelude::*;
/// use corers::testing::{self, Recorder};
///
/// struct Reindex;
/// impl Task for Reindex { type Output = usize; }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (builder, _log) = testing::builder();
/// let core = builder.build().unwrap();
/// core.bus().on_task(|_, _: &Reindex| Some(Ok(35)));
/// let done = Recorder::map(&core, |done: &TaskCompleted<Reindex>| {
///     done.outcome.as_ref().ok().copied()
/// });
/// core.perform_async(Reindex).unwrap();
/// core.bus().drain(std::time::Duration::from_secs(5)).await;
/// assert_eq!(done.messages(), [Some(35)]);
/// # }
/// ```
#[must_use = "dropped, the recorder stops recording"]
pub struct Recorder<R> {
    core: Core,
    id: HandlerId,
    kept: Arc<Kept<R>>,
}

/// What a [`Recorder`] shares with its observer on the bus.
struct Kept<R> {
    messages: Mutex<Vec<R>>,
    /// What the recorder's function panicked with, if it did: the test's failure, told by
    /// the next read rather than lost in the bus's log.
    panicked: Mutex<Option<String>>,
    /// Woken on every message kept, for [`Recorder::wait_for`].
    arrived: Notify,
}

impl<M: Clone + Send + Sync + 'static> Recorder<M> {
    /// Starts recording a copy of every `M` dispatched on `core`'s bus.
    pub fn new(core: &Core) -> Recorder<M> {
        Recorder::map(core, M::clone)
    }
}

impl<R: Clone + Send + 'static> Recorder<R> {
    /// Starts recording what `keep` makes of every `M` dispatched on `core`'s bus. An
    /// assertion in `keep` that fails is the test's failure: the next read of the recorder
    /// panics with it (the dispatch itself goes on, as for any observer).
    pub fn map<M: 'static>(
        core: &Core,
        keep: impl Fn(&M) -> R + Send + Sync + 'static,
    ) -> Recorder<R> {
        let kept = Arc::new(Kept {
            messages: Mutex::new(Vec::new()),
            panicked: Mutex::new(None),
            arrived: Notify::new(),
        });
        let sink = Arc::clone(&kept);
        let id = core.bus().observe(move |_, observed| {
            let Some(message) = observed.message.downcast_ref::<M>() else {
                return;
            };
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| keep(message))) {
                Ok(made) => lock(&sink.messages).push(made),
                Err(payload) => {
                    let said = Error::from_caught("corers.testing.Recorder.map", payload);
                    lock(&sink.panicked).get_or_insert(format!("{said:#}"));
                }
            }
            sink.arrived.notify_waiters();
        });
        Recorder {
            core: core.clone(),
            id,
            kept,
        }
    }

    /// Everything recorded so far, in order.
    ///
    /// # Panics
    /// When the function given to [`map`](Recorder::map) panicked (a failed assertion in
    /// it), with what it panicked with.
    pub fn messages(&self) -> Vec<R> {
        self.checked().clone()
    }

    /// How many were recorded.
    ///
    /// # Panics
    /// As [`messages`](Recorder::messages).
    pub fn len(&self) -> usize {
        self.checked().len()
    }

    /// Reports whether none was recorded.
    ///
    /// # Panics
    /// As [`messages`](Recorder::messages).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until at least `count` messages are recorded — from a background task, a
    /// service's loop, a scheduled Task — and returns them all; no sleeping and hoping.
    /// Under tokio's paused clock `within` passes as soon as nothing else can run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers::prelude::*;
    /// use corers::testing::{self, Recorder};
    ///
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Indexed { files: usize }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (builder, _log) = testing::builder();
    /// let core = builder.build().unwrap();
    /// let indexed = Recorder::<Indexed>::new(&core);
    /// let indexer = core.clone();
    /// tokio::spawn(async move { indexer.broadcast(&Indexed { files: 35 }) });
    /// let seen = indexed.wait_for(1, Duration::from_secs(5)).await.unwrap();
    /// assert_eq!(seen, [Indexed { files: 35 }]);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::TIMEOUT`] when `within` passes first, saying how many came.
    ///
    /// # Panics
    /// As [`messages`](Recorder::messages).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Result<Vec<R>> {
        let deadline = tokio::time::Instant::now().checked_add(within);
        loop {
            // Listening before looking: a message kept in between still wakes this.
            let arrived = self.kept.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let messages = self.checked();
                if messages.len() >= count {
                    return Ok(messages.clone());
                }
            }
            let timed_out = match deadline {
                Some(deadline) => tokio::select! {
                    () = arrived => false,
                    () = tokio::time::sleep_until(deadline) => true,
                },
                None => {
                    arrived.await;
                    false
                }
            };
            if timed_out {
                let seen = self.len();
                return Err(Error::new(
                    "corers.testing.Recorder.wait_for",
                    format!(
                        "{seen} of {count} {} recorded within {within:?}",
                        std::any::type_name::<R>()
                    ),
                )
                .with_code(ErrorCode::TIMEOUT));
            }
        }
    }

    /// The messages, once it is known that the recorder's function did not panic.
    fn checked(&self) -> MutexGuard<'_, Vec<R>> {
        if let Some(said) = lock(&self.kept.panicked).as_ref() {
            panic!("the Recorder's function panicked: {said}");
        }
        lock(&self.kept.messages)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R> Drop for Recorder<R> {
    fn drop(&mut self) {
        self.core.bus().remove(self.id);
    }
}

impl<R> fmt::Debug for Recorder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("kept", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}
