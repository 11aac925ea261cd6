//! [`Core::run`]: start, dispatch the command line, and always shut down.

use std::cell::RefCell;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use corers_lifecycle::StartReport;
use corers_primitives::{Error, ErrorCode, Result};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::dispatcher::DefaultGuard;
use tracing::instrument::WithSubscriber;

use crate::{Core, CoreBuilder};

impl Core {
    /// Runs the application on the process arguments: see [`run_with`](Core::run_with). An
    /// argument that is not valid UTF-8 is a usage error (exit code 2, nothing started).
    ///
    /// # Errors
    /// As [`run_with`](Core::run_with).
    pub async fn run(&self) -> Result<ExitCode> {
        let mut args = Vec::new();
        for (at, arg) in std::env::args_os().skip(1).enumerate() {
            match arg.into_string() {
                Ok(arg) => args.push(arg),
                Err(arg) => {
                    let usage = format!(
                        "error: argument {} is not valid UTF-8: {:?}\n",
                        at + 1,
                        arg.to_string_lossy()
                    );
                    write_err(&usage);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        self.run_with(args).await
    }

    /// Runs the application on `args` (without the program name): takes `--set key=value`
    /// arguments into the config's command-line layer (a malformed one exits with 2
    /// before anything starts); prints help, a completion script, the version or a usage
    /// error about a registered command without starting anything (as clap would, with no
    /// side effects); otherwise starts every service — and the Task scheduler for a
    /// command that [serves](corers_cli::Command::serves), or without the `cli` feature —,
    /// dispatches the arguments through the command line (or, without the `cli` feature,
    /// waits for a shutdown signal), then shuts down — always, also after a failed command
    /// or a panicking one. A [standalone](corers_cli::Command::standalone) command (the
    /// built-in `config`, say) runs without starting the services or the scheduler. Unless a tracing subscriber
    /// of the application's own is current, the Core's logger becomes tracing's global
    /// default ([`Logger::install_global`](corers_log::Logger::install_global); not when
    /// one was set before, nor with
    /// [`CoreBuilder::global_logging(false)`](crate::CoreBuilder::global_logging)), so that
    /// events from threads and tasks of the application's own, and the `log` crate's
    /// records, reach it.
    ///
    /// SIGINT and SIGTERM begin a graceful shutdown (the bus refuses new background work
    /// and [`Core::context`] is cancelled; a command still running once the
    /// [`shutdown_timeout`](crate::CoreBuilder::shutdown_timeout) has passed since is
    /// abandoned, exiting with 128 + the signal's number); a second one forces it: the command is
    /// abandoned (its future dropped), the exit code is 128 + the first signal's number
    /// (also when the command had returned, unless it or a service task failed with an
    /// exit code of its own: a failed stop, or a failure whose code has none, is the
    /// forcing's), running
    /// hooks are cancelled and the hooks still running or still to run share 250 ms from
    /// then before they are abandoned too (each still gets its first poll), and background
    /// tasks, scheduled runs and detached Task steps still running are no longer waited
    /// for. A third one ends the process the OS's default way, as if no handler were
    /// installed, from inside the signal handler: the way out when something blocks a
    /// thread the shutdown needs (a command stuck in a synchronous call, a standard error
    /// nobody reads); what the log holds is flushed at the second. The handlers stay installed for the life of
    /// the process, as tokio's do. SIGHUP [reloads](Core::reload) the application — but
    /// one that started from a terminal whose terminal has hung up since shuts down as
    /// for SIGTERM (128 + 1), instead of serving on orphaned. Signals
    /// are heard from the start: one that arrives while the services start lets the
    /// running start hook finish (the cancelled context tells it to hurry), starts no more
    /// services, skips the command, stops what had started and exits with 128 + the
    /// signal's number (130 for SIGINT, 143 for SIGTERM); during a command, the exit code
    /// is the command's — but 128 + the signal for one (or a service task) that failed
    /// with `UNAVAILABLE`, as a run the signal cancelled fails (a service task whose work
    /// the stop refused — an error [marked cancelled](Error::is_cancelled) — did not
    /// fail: see [`ServiceCtx::spawn`](corers_lifecycle::ServiceCtx::spawn)). A shutdown that fails (a
    /// stop hook's error) exits with 1 after a
    /// command that succeeded, and keeps the exit code of one that failed or was
    /// abandoned, or of a service task that failed: the first thing that went wrong
    /// decides. On a runtime built without tokio's I/O driver no signal can be heard: that
    /// is logged as a warning, and the application runs without them.
    /// Output a closed pipe no longer reads (`workbench help | head -1`) is dropped; output
    /// that cannot be written otherwise (`> /dev/full`) turns a success into 74
    /// (`EX_IOERR`); never a panic. Nothing here calls `process::exit`. A run dropped
    /// before its end (a timeout or `select!` around it) stops listening for signals and
    /// shuts the Core down on a task of its own.
    ///
    /// Under systemd (`Type=notify`: `NOTIFY_SOCKET` set), the services having started,
    /// `READY=1` is sent before the command runs (not for a standalone command), and
    /// `STOPPING=1` once, when the shutdown begins: at a signal or a failed task's
    /// request, or when the command returns. Under `WatchdogSec=` (`WATCHDOG_USEC`),
    /// `WATCHDOG=1` every half of its interval from `READY=1` until the run ends.
    ///
    /// # Errors
    /// A startup failure (the Core is shut down first: see [`Core::startup`]).
    pub async fn run_with<I, S>(&self, args: I) -> Result<ExitCode>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        // Without a subscriber of the application's own, the Core's logger also takes what
        // threads and tasks it did not start log, and the `log` crate's records.
        if self.inner.global_logging && corers_log::application_dispatch().is_none() {
            self.log().install_global();
        }
        let exit = self.logging(self.run_args(args)).await;
        // The last lines (a failed shutdown's) reach a queued output before the process
        // may end.
        self.flush_log().await;
        exit
    }

    /// [`run_with`](Core::run_with), under [`logging`](Core::logging).
    async fn run_args(&self, args: Vec<String>) -> Result<ExitCode> {
        let args = match self.take_set_args(args) {
            Ok(args) => args,
            Err(usage) => {
                write_err(&usage);
                return Ok(ExitCode::from(2));
            }
        };
        if let Some(printed) = self.answer_before_start(&args) {
            self.write_stdout(&printed.stdout);
            write_err(&printed.stderr);
            return Ok(ExitCode::from(self.with_output_failure(printed.exit_code)));
        }
        // Listening before anything starts, and until shutdown is over, so a second signal
        // can still force it.
        let state = Arc::new(Mutex::new(SignalState::default()));
        let forced = CancellationToken::new();
        let mut run = Unfinished {
            core: self.clone(),
            signals: watch_signals(self.clone(), Arc::clone(&state), forced.clone()),
            ended: false,
        };
        // A standalone command starts nothing: it is never ready, nor stopping.
        let starts = self.starts_for(&args);
        let standalone = starts == Starts::Nothing;
        let started = self.start_for_run("corers.Core.run", starts).await;
        // 128 + the number of a signal heard so far (0 before one), and what the shutdown
        // has left of its time since.
        let (signalled, left) = {
            let state = state.lock().unwrap_or_else(PoisonError::into_inner);
            (state.code, self.left_since(state.at))
        };
        // systemd is told the run is ready once services started, and that it is stopping
        // as soon as the context is cancelled (a signal, a failed task), once.
        let stopping_told = Arc::new(AtomicBool::new(standalone));
        let mut watchdog = None;
        let code = match started {
            Started::Run => {
                if !standalone {
                    self.notify_supervisor("READY=1");
                    watchdog = self.watchdog();
                    let (core, told) = (self.clone(), Arc::clone(&stopping_told));
                    tokio::spawn(async move {
                        core.context().cancelled().await;
                        core.tell_stopping(&told);
                    });
                }
                let (printed, budget) = self.dispatch_within(args, &forced, &state).await;
                // Whether a signal came before the command returned (not one during the
                // shutdown, which does not explain the command's failure).
                let signalled = state.lock().unwrap_or_else(PoisonError::into_inner).code;
                self.write_stdout(&printed.stdout);
                write_err(&printed.stderr);
                self.tell_stopping(&stopping_told);
                run.ended = true;
                // A command or a service task the signal cut short: the signal's code.
                let code = cut_short(
                    self.shut_down_printing(printed.exit_code, budget).await,
                    signalled,
                );
                // Forced by a second signal after the command returned on the first (the
                // daemon form): 128 + the signal, as while the command runs, unless a
                // command or a task failed with a code of its own.
                if forced.is_cancelled() && printed.exit_code == 0 && matches!(code, 0 | 1) {
                    state.lock().unwrap_or_else(PoisonError::into_inner).code
                } else {
                    code
                }
            }
            Started::Failed(err) => {
                // The failed startup shut the Core down.
                run.ended = true;
                return Err(err);
            }
            Started::Skipped => {
                tracing::info!("shutdown was asked for during startup: the command does not run");
                self.tell_stopping(&stopping_told);
                run.ended = true;
                self.shut_down_printing(signalled, left).await
            }
        };
        drop(run);
        // Pinged until the shutdown is over: a stop that hangs is the stop timeout's to end.
        drop(watchdog);
        Ok(ExitCode::from(self.with_output_failure(code)))
    }

    /// Writes `text` to standard output, recording a failure to write it; a closed pipe
    /// asks for a stop (see [`Core::print`]).
    pub(crate) fn write_stdout(&self, text: &str) {
        let Err(err) = write_out(std::io::stdout(), text) else {
            return;
        };
        // Relaxed: set by the signal watcher before it asks for the stop this write may
        // be part of; a write racing the hangup may count as lost output (74) at worst.
        let hung_up = self
            .inner
            .hung_up
            .load(std::sync::atomic::Ordering::Relaxed);
        match output_lost(&err) {
            Some(failure) if !hung_up => {
                let _ = self.inner.unwritten.set(failure);
            }
            // The reader has all it wanted (`| grep -m1 ERROR`): as SIGPIPE ends a Go or C
            // program, the application stops, so that a command printing as it goes
            // (a `--follow`) ends instead of printing to nobody for ever.
            None if !self.inner.services.is_stop_requested() => {
                tracing::debug!("standard output was closed: shutting down");
                self.request_shutdown();
            }
            // Written to the hung-up terminal, or after the stop was asked for: no one reads.
            Some(_) | None => {}
        }
    }

    /// `code`, or 74 (`EX_IOERR`) with the failure on standard error when it is a
    /// success and standard output could not be written: the output is lost, and a
    /// script must not take the run for a good one.
    fn with_output_failure(&self, code: u8) -> u8 {
        match self.inner.unwritten.get() {
            Some(failure) if code == 0 => {
                write_err(&unwritten(failure));
                74
            }
            _ => code,
        }
    }

    /// What a run of `args` starts: nothing for a
    /// [standalone](corers_cli::Command::standalone) command, the scheduler too for one
    /// that [serves](corers_cli::Command::serves) (and for a run without a command line,
    /// which serves until a signal).
    #[cfg_attr(
        not(feature = "cli"),
        allow(clippy::unused_self, reason = "no command line to ask")
    )]
    pub(crate) fn starts_for(&self, args: &[String]) -> Starts {
        #[cfg(feature = "cli")]
        return if self.cli().runs_standalone(args) {
            Starts::Nothing
        } else if self.cli().runs_serving(args) {
            Starts::Everything
        } else {
            Starts::Services
        };
        #[cfg(not(feature = "cli"))]
        {
            let _ = args;
            Starts::Everything
        }
    }

    /// Starts what a run of a command line ([`Core::run_with`], the test kit's `run_cli`)
    /// [starts](Core::starts_for) — the services, and the scheduler for a command that
    /// serves — and says whether the command runs: not when a stop was asked for during startup (a signal, a failed
    /// task, a hook that cannot go on), whether that interrupted the startup or came as it
    /// ended.
    pub(crate) async fn start_for_run(&self, op: &'static str, starts: Starts) -> Started {
        if starts == Starts::Nothing {
            return Started::Run;
        }
        // On a task of its own, as `Core::startup`: a run dropped while it starts (a host's
        // timeout) does not cut a start hook off half-way; its drop guard stops what started.
        let started = self
            .on_own_task(op, "startup", |core| async move {
                core.start_services(op).await
            })
            .await;
        match started {
            Ok(_) if self.inner.services.is_stop_requested() => Started::Skipped,
            Ok(_) => {
                self.log_tasks_naming_unknown_actions();
                if starts == Starts::Everything {
                    self.start_scheduler();
                } else if self.has_scheduled_tasks() {
                    self.say_why_no_schedule_runs();
                }
                Started::Run
            }
            Err(_) if self.inner.services.was_interrupted() => Started::Skipped,
            Err(err) => Started::Failed(err),
        }
    }

    /// Says why the scheduled Tasks do not run for this command: at debug for a one-shot
    /// command beside one that serves; as a warning when no command serves at all (an
    /// application whose daemon command is not marked would never run them).
    #[cfg_attr(
        not(feature = "cli"),
        allow(clippy::unused_self, reason = "no command line to ask")
    )]
    fn say_why_no_schedule_runs(&self) {
        #[cfg(feature = "cli")]
        {
            let tree = self.cli().tree();
            let serving = tree
                .paths()
                .iter()
                .any(|path| tree.get(path).is_some_and(|command| command.is_serving()));
            if !serving {
                tracing::warn!(
                    "scheduled tasks never run: no command serves (mark the one that runs until stopped with Command::serves)"
                );
                return;
            }
        }
        tracing::debug!("scheduled tasks do not run for this command: it does not serve");
    }

    /// Takes `--set key=value` out of `args` into the config, before any service starts;
    /// the rest of the arguments, or the usage error to print (exit code 2): its whole
    /// chain, so a value the config's check refuses says which key and why.
    #[cfg_attr(
        not(feature = "config"),
        allow(
            clippy::unused_self,
            clippy::unnecessary_wraps,
            reason = "no config to take the settings into"
        )
    )]
    pub(crate) fn take_set_args(
        &self,
        args: Vec<String>,
    ) -> std::result::Result<Vec<String>, String> {
        #[cfg(feature = "config")]
        return self
            .config()
            .set_from_args(args)
            // The whole chain: a setting the config's check refuses says which and why.
            .map_err(|err| format!("error: {err:#}\n"));
        #[cfg(not(feature = "config"))]
        Ok(args)
    }

    /// What the arguments print when they run no command — help, a completion script,
    /// the version, a usage error (an unknown command, or a flag a command does not
    /// declare) — decided before anything starts, so that none of them starts a service.
    /// `None` for a command to run; with
    /// [`commands_at_start`](crate::CoreBuilder::commands_at_start), also for words no
    /// command is registered at yet (a start hook may register it).
    #[cfg_attr(
        not(feature = "cli"),
        allow(clippy::unused_self, reason = "no command line to ask")
    )]
    pub(crate) fn answer_before_start(&self, args: &[String]) -> Option<Printed> {
        #[cfg(feature = "cli")]
        return if self.inner.commands_at_start {
            self.cli().answer_without_action(self, args)
        } else {
            self.cli().answer_with_every_command(self, args)
        }
        .map(|outcome| Printed {
            stdout: outcome.stdout().to_owned(),
            stderr: outcome.stderr().to_owned(),
            exit_code: outcome.exit_code(),
        });
        #[cfg(not(feature = "cli"))]
        {
            let _ = args;
            None
        }
    }

    /// Starts the services for `op` ([`Core::run_with`], [`Core::startup`]); a failure
    /// finishes the Core (its context was cancelled before the rollback's stop hooks ran;
    /// its log is flushed). A start refused because the services are already running
    /// leaves them be.
    pub(crate) async fn start_services(&self, op: &'static str) -> Result<StartReport> {
        self.inner.services.start_all(self).await.map_err(|err| {
            self.log().flush();
            Error::wrap(err, op, "start the application")
        })
    }

    /// `code`, or, when the application was asked to stop for a failure (a service's task
    /// failed: see [`ServiceCtx::spawn`](corers_lifecycle::ServiceCtx::spawn)) and `code`
    /// says success, the failure's exit code; and the failure to print.
    fn failure_exit(&self, code: u8) -> (u8, Option<String>) {
        let Some(failure) = self.inner.services.failure() else {
            return (code, None);
        };
        let code = if code == 0 {
            failed(failure.code())
        } else {
            code
        };
        tracing::debug!(error = %failure, "a service task failed");
        (code, Some(format!("error: {failure:#}\n")))
    }

    /// Dispatches `args` through the command line as a run does: once a stop is asked for
    /// while the command runs (a signal, a failed task, `request_shutdown`), it has what
    /// is left of the shutdown timeout to return before it is abandoned, and `forced` (a
    /// second signal) abandons it at once. What to print, and what the shutdown has left
    /// of its time: counted from the stop asked for while the command ran, the command's
    /// return included.
    pub(crate) async fn dispatch_within(
        &self,
        args: Vec<String>,
        forced: &CancellationToken,
        state: &Mutex<SignalState>,
    ) -> (Printed, Duration) {
        let asked = OnceLock::new();
        let printed = tokio::select! {
            printed = self.dispatch(args) => printed,
            () = forced.cancelled() => Printed {
                stdout: String::new(),
                stderr: "error: the command was abandoned: shutdown was forced\n".to_owned(),
                exit_code: state.lock().unwrap_or_else(PoisonError::into_inner).code,
            },
            () = self.outlived(&asked) => Printed {
                stdout: String::new(),
                stderr: format!(
                    "error: the command was abandoned: it did not return within the shutdown timeout ({:?}) of the stop\n",
                    self.inner.shutdown_timeout
                ),
                exit_code: self.abandoned_exit(state),
            },
        };
        (printed, self.left_since(asked.get().copied()))
    }

    /// Ends once a stop has been asked for (a signal, a failed task, `request_shutdown`)
    /// and the shutdown timeout has passed since, recording in `asked` when it was asked
    /// for: a command still running then is abandoned, as a second signal abandons it.
    async fn outlived(&self, asked: &OnceLock<tokio::time::Instant>) {
        self.context().cancelled().await;
        let _ = asked.set(tokio::time::Instant::now());
        tokio::time::sleep(self.inner.shutdown_timeout).await;
    }

    /// What the shutdown has left of its timeout when the stop was asked for at `asked`:
    /// the whole of it when none was.
    pub(crate) fn left_since(&self, asked: Option<tokio::time::Instant>) -> Duration {
        asked.map_or(self.inner.shutdown_timeout, |asked| {
            self.inner.shutdown_timeout.saturating_sub(asked.elapsed())
        })
    }

    /// The exit code of a command abandoned for outliving the shutdown timeout: 128 + the
    /// signal that asked for the stop; after a service task's failure, 0 here, for
    /// [`failure_exit`](Core::failure_exit) to give the failure's; else (a stop asked for
    /// from inside) 1: the command did not finish.
    fn abandoned_exit(&self, state: &Mutex<SignalState>) -> u8 {
        match state.lock().unwrap_or_else(PoisonError::into_inner).code {
            0 if self.inner.services.failure().is_none() => 1,
            code => code,
        }
    }

    /// Stops the scheduler and the services within `budget`; returns the first thing that went wrong:
    /// `code` when it is not success (a failed command, a signal), else the exit code of a
    /// task's failure (see [`failure_exit`](Core::failure_exit); also one while the
    /// services stopped), else 1 when shutdown failed — and what to print about them.
    pub(crate) async fn shut_down(&self, code: u8, budget: Duration) -> (u8, Option<String>) {
        let stopped = self.shut_down_within(budget).await.err().map(|err| {
            tracing::error!(error = %err, "shutdown failed");
            format!("error: {err:#}\n")
        });
        let (code, failure) = self.failure_exit(code);
        // A failed stop turns only a success into a failure.
        let code = if code == 0 && stopped.is_some() {
            1
        } else {
            code
        };
        let printed = match (failure, stopped) {
            (Some(failure), Some(stopped)) => Some(failure + &stopped),
            (failure, stopped) => failure.or(stopped),
        };
        (code, printed)
    }

    /// [`shut_down`](Core::shut_down), printing a failure on standard error.
    async fn shut_down_printing(&self, code: u8, budget: Duration) -> u8 {
        let (code, failure) = self.shut_down(code, budget).await;
        if let Some(failure) = failure {
            write_err(&failure);
        }
        code
    }

    /// Runs the application on the process arguments inside a tokio runtime of its own,
    /// for `fn main() -> ExitCode`. A startup failure is printed and gives the exit code
    /// its error code maps to (see [`CoreBuilder::run_blocking`]).
    ///
    /// Every thread of that runtime logs through the Core's logger, which also becomes
    /// tracing's global default ([`Logger::install_global`](corers_log::Logger::install_global):
    /// threads the application starts, and libraries logging through the `log` crate,
    /// reach it too) unless the application set one or turned that off
    /// ([`CoreBuilder::global_logging`](crate::CoreBuilder::global_logging)); and the
    /// process's panic hook becomes [`corers_log::install_panic_hook`]'s (unless turned
    /// off the same way): every panic, caught or not, is recorded as a crash report
    /// through the Core's logger (and its crash file, when
    /// [`CoreBuilder::crash_file`](crate::CoreBuilder::crash_file) set one).
    ///
    /// ```no_run
    /// use std::process::ExitCode;
    /// use corers::prelude::*;
    ///
    /// fn main() -> ExitCode {
    ///     match Core::builder().name("workbench").build() {
    ///         Ok(core) => core.run_blocking(),
    ///         Err(err) => {
    ///             eprintln!("error: {err:#}");
    ///             ExitCode::FAILURE
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// [`CoreBuilder::run_blocking`] is that `main` in one line (and exits with the
    /// sysexits code of a build error rather than 1).
    pub fn run_blocking(self) -> ExitCode {
        self.block_on_run(None)
    }

    /// [`run_blocking`](Core::run_blocking) on `args` (without the program name) instead
    /// of the process's arguments: for a program that picks its arguments itself.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .command("cache/flush", Command::new().action(|_, _| async { Ok(Value::Null) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.run_blocking_with(["cache", "flush"]), std::process::ExitCode::SUCCESS);
    /// ```
    pub fn run_blocking_with<I, S>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.block_on_run(Some(args.into_iter().map(Into::into).collect()))
    }

    /// Runs on `args` (the process's when `None`) in a runtime of the Core's own.
    fn block_on_run(self, args: Option<Vec<String>>) -> ExitCode {
        // Blocking a runtime's thread on a runtime of its own panics (tokio refuses it):
        // the mistake is said, as a failure, instead.
        if tokio::runtime::Handle::try_current().is_ok() {
            return startup_failed(
                &Error::new(
                    "corers.Core.run_blocking",
                    "run_blocking was called inside a tokio runtime (#[tokio::main]): use `core.run().await` there",
                )
                .with_code(ErrorCode::INTERNAL),
            );
        }
        thread_local! {
            /// This runtime thread's use of the Core's logger, for as long as it runs.
            static LOGGING: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
        }
        // The application's subscriber when it set one up (an OpenTelemetry layer), else
        // this Core's logger: what handlers and the framework log on the runtime's threads.
        let dispatch = self.framework_dispatch();
        let on_threads = dispatch.clone();
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .on_thread_start(move || {
                let guard = tracing::dispatcher::set_default(&on_threads);
                LOGGING.with(|logging| *logging.borrow_mut() = Some(guard));
            })
            .on_thread_stop(|| LOGGING.with(|logging| drop(logging.borrow_mut().take())))
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                write_err(&format!("error: cannot start the async runtime: {err}\n"));
                return ExitCode::FAILURE;
            }
        };
        // And this thread, which drives `run` itself.
        let _log = tracing::dispatcher::set_default(&dispatch);
        // The hook reports to the default logger: this Core's, not whichever Core was
        // built last. Any other thread too, unless the application set a global
        // subscriber of its own; and every panic. Here, not left to `run_with`: that would
        // take this Core's logger, current on this thread, for a subscriber of the
        // application's.
        if self.inner.global_logging {
            self.log().make_default();
            self.log().install_global();
            corers_log::install_panic_hook();
        }
        let outcome = runtime.block_on(async {
            match args {
                Some(args) => self.run_with(args).await,
                None => self.run().await,
            }
        });
        // Task handlers still stuck after shutdown's drain are abandoned, not waited for:
        // the process exits.
        runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        match outcome {
            Ok(code) => code,
            Err(err) => startup_failed(&err),
        }
    }

    /// Dispatches `args` through the command line and returns what it has to say; a
    /// panicking command (the command line catches it) or a panicking help banner or
    /// translator is reported and logged (exit code 70, `EX_SOFTWARE`).
    #[cfg(feature = "cli")]
    pub(crate) async fn dispatch(&self, args: Vec<String>) -> Printed {
        use std::fmt::Write as _;

        use corers_primitives::{ErrorCode, Value, catch_panic};
        let core = self.clone();
        let run = Box::pin(async move { core.cli().run(core.clone(), args).await });
        let outcome = match catch_panic("corers.Core.run", run).await {
            Ok(outcome) => {
                // A bug, not a refusal: kept in the log beside what it printed. A refusal's
                // whole chain (operations, codes) is there at debug level, beneath the
                // messages printed.
                match outcome.error() {
                    Some(err) if err.code() == Some(&ErrorCode::INTERNAL) => {
                        tracing::error!(error = %err, "command failed with an internal error");
                    }
                    Some(err) => tracing::debug!(error = %err, "command failed"),
                    None => {}
                }
                outcome
            }
            Err(panic) => {
                tracing::error!(error = %panic, "command panicked");
                return Printed {
                    stdout: String::new(),
                    stderr: format!("error: {panic:#}\n"),
                    exit_code: 70,
                };
            }
        };
        let mut stdout = outcome.stdout().to_owned();
        match outcome.value() {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                let _ = writeln!(stdout, "{text}");
            }
            // The command's own result: shown whole, secrets included (it was asked for).
            Some(other) => {
                let _ = writeln!(stdout, "{}", other.revealed());
            }
        }
        Printed {
            stdout,
            stderr: outcome.stderr().to_owned(),
            exit_code: outcome.exit_code(),
        }
    }

    /// Without a command line: serve until a shutdown signal.
    #[cfg(not(feature = "cli"))]
    pub(crate) async fn dispatch(&self, _args: Vec<String>) -> Printed {
        self.context().cancelled().await;
        Printed {
            stdout: String::new(),
            stderr: String::new(),
            exit_code: 0,
        }
    }
}

/// What a run of a command line starts ([`Core::starts_for`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Starts {
    /// Nothing: a standalone command.
    Nothing,
    /// The services: a command that runs once.
    #[cfg_attr(
        not(feature = "cli"),
        allow(dead_code, reason = "without a command line, a run serves")
    )]
    Services,
    /// The services and the Task scheduler: a command that serves.
    Everything,
}

impl CoreBuilder {
    /// Builds the Core and runs it ([`Core::run_blocking`]): a whole `main` in one line.
    /// The process's `--set key=value` arguments are in the config before the service
    /// factories run ([`settings_from_args`](CoreBuilder::settings_from_args)). A build or
    /// startup error (a failing factory, a config file that does not fit) is printed to
    /// standard error as `error: …` and exits with the sysexits code of its error code:
    /// `INVALID` 78 (`EX_CONFIG`), `NOT_FOUND` 66, `UNAVAILABLE` 69, `INTERNAL` 70,
    /// `TIMEOUT` and `LOCKED` 75, `DENIED` 77, and 1 for any other; nothing has started
    /// after a build error. A lone `--version` (or `-V`) is answered before building, so it
    /// works even where the build would fail; so are help (`--help`, `-h`, `help …`) and
    /// `completion <shell>`: when the build fails, they come from what did build (a config
    /// file that does not read is left out, a failing factory's service is missing), with
    /// a warning naming the first failure on standard error, and exit code 0.
    ///
    /// ```no_run
    /// use std::process::ExitCode;
    /// use corers::prelude::*;
    ///
    /// fn main() -> ExitCode {
    ///     Core::builder()
    ///         .name("workbench")
    ///         .service(|_core| Ok(Registration::new("cache", Hooks::new())))
    ///         .run_blocking()
    /// }
    /// ```
    pub fn run_blocking(self) -> ExitCode {
        let args: Option<Vec<String>> = std::env::args_os()
            .skip(1)
            .map(std::ffi::OsString::into_string)
            .collect::<std::result::Result<_, _>>()
            .ok();
        match args {
            Some(args) => self.run_blocking_with(args),
            // Not all UTF-8: the run refuses them (a usage error), before anything starts.
            None => match self.build() {
                Ok(core) => core.run_blocking(),
                Err(err) => startup_failed(&err),
            },
        }
    }

    /// [`run_blocking`](CoreBuilder::run_blocking) on `args` (without the program name)
    /// instead of the process's arguments; their `--set` reach the service factories
    /// unless [`settings_from_args`](CoreBuilder::settings_from_args) was given its own.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let exit = Core::builder()
    ///     .config(corers::config::Config::builder().default_value("cache.keys", 0))
    ///     .service(|core| {
    ///         assert_eq!(core.config().int("cache.keys").unwrap(), 12);
    ///         Ok(Registration::new("cache", Hooks::new()))
    ///     })
    ///     .command("cache/flush", Command::new().action(|_, _| async { Ok(Value::Null) }))
    ///     .run_blocking_with(["--set", "cache.keys=12", "cache", "flush"]);
    /// assert_eq!(exit, std::process::ExitCode::SUCCESS);
    /// ```
    pub fn run_blocking_with<I, S>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        #[cfg(feature = "config")]
        let builder = if self.settings_args.is_empty() {
            self.settings_from_args(args.clone())
        } else {
            self
        };
        #[cfg(not(feature = "config"))]
        let builder = self;
        // The version needs nothing built: it is answered even when a factory or the
        // config would fail the build.
        #[cfg(feature = "cli")]
        if let [flag] = args.as_slice()
            && matches!(flag.as_str(), "--version" | "-V")
            && !builder.app.version.is_empty()
        {
            let name = crate::builder::program_name(&builder.app);
            return answer(&format!("{name} {}\n", builder.app.version));
        }
        // So are help and a completion script, from what did build: a shell that loads the
        // script at every start must not print a config error instead.
        #[cfg(feature = "cli")]
        let asked = if words(&args).next() == Some("completion") {
            Some("completion script")
        } else {
            asks_for_help(&args).then_some("help")
        };
        #[cfg(feature = "cli")]
        if let Some(what) = asked {
            return match builder.build_lenient() {
                Ok((core, left_out)) => match left_out.into_iter().next() {
                    None => core.run_blocking_with(args),
                    Some(first) => core.help_without(args, what, &first),
                },
                Err(err) => startup_failed(&err),
            };
        }
        // The built-in `config` shows what did load when the rest does not build: a config
        // the application refuses is when it is needed most. It takes no words after its
        // name: `config set` is a command of the application's, refused like the rest.
        #[cfg(all(feature = "cli", feature = "config"))]
        if words(&args).eq(["config"]) && builder.builtin_config() {
            return match builder.build_lenient() {
                Ok((core, left_out)) => core.config_despite(args, &left_out),
                Err(err) => startup_failed(&err),
            };
        }
        match builder.build() {
            Ok(core) => core.run_blocking_with(args),
            Err(err) => startup_failed(&err),
        }
    }
}

/// The words of `args` before `--` that are neither flags nor the value of a `--set`: the
/// command's path and its arguments (`workspace create alpha`).
#[cfg(feature = "cli")]
fn words(args: &[String]) -> impl Iterator<Item = &str> {
    let mut after_set = false;
    args.iter()
        .take_while(|arg| *arg != "--")
        .filter(move |arg| {
            let value = std::mem::replace(&mut after_set, *arg == "--set");
            !value && !arg.starts_with('-')
        })
        .map(String::as_str)
}

#[cfg(all(feature = "cli", feature = "config"))]
impl Core {
    /// Runs the built-in `config` on a Core built without what failed to build, then says
    /// what failed, on standard error, and exits as the failed build would have.
    fn config_despite(self, args: Vec<String>, left_out: &[Error]) -> ExitCode {
        let code = self.run_blocking_with(args);
        let Some(first) = left_out.first() else {
            return code;
        };
        if code != ExitCode::SUCCESS {
            return code;
        }
        // The first failure only, as for help: a later one may only follow from it (a
        // service that depends on one whose factory failed).
        write_err(&format!("error: {first:#}\n"));
        ExitCode::from(failed_to_start(first))
    }
}

/// Whether `args` may ask for help: `--help`, or `-h` alone or among bundled short flags
/// (`-vh`), before `--`; or `help` as a word (`help workspace`, `workspace help create`).
/// Generous: the command line itself decides whether what it comes to is help.
#[cfg(feature = "cli")]
fn asks_for_help(args: &[String]) -> bool {
    let flags = &args[..args.iter().position(|a| a == "--").unwrap_or(args.len())];
    words(args).any(|word| word == "help")
        || flags.iter().any(|a| {
            a == "--help"
                || a.strip_prefix('-')
                    .is_some_and(|bundle| !bundle.starts_with('-') && bundle.contains('h'))
        })
}

#[cfg(feature = "cli")]
impl Core {
    /// The help (or completion script: `what`) `args` ask for, from a Core built without
    /// what failed to build, with a warning naming the first failure (`failed`); or, when
    /// they come to anything else (a command whose service failed is unknown to this
    /// Core), `failed` as a build error.
    fn help_without(&self, args: Vec<String>, what: &str, failed: &Error) -> ExitCode {
        let help = self
            .take_set_args(args)
            .ok()
            .and_then(|args| self.answer_before_start(&args))
            .filter(|printed| printed.exit_code == 0);
        let Some(help) = help else {
            return startup_failed(failed);
        };
        let code = answer(&help.stdout);
        write_err(&format!(
            "{}warning: the application does not build, and this {what} leaves out what failed: {failed:#}\n",
            help.stderr
        ));
        code
    }
}

/// Prints what each level of an error that kept the application from building or
/// starting says, logs the whole of it at debug level, and gives its exit code.
fn startup_failed(err: &Error) -> ExitCode {
    tracing::debug!(error = %err, "the application did not start");
    write_err(&format!("error: {err:#}\n"));
    ExitCode::from(failed_to_start(err))
}

/// The exit code of an application that could not be built or started: 78 (`EX_CONFIG`:
/// a setting that does not fit, so a supervisor need not retry) for an `INVALID` error or
/// one the config gave (anywhere in its chain: a key not set, a file that does not read);
/// else that of its error's code ([`ErrorCode::exit_status`]: `NOT_FOUND` 66,
/// `UNAVAILABLE` 69, …); 1 for a code without a status.
pub(crate) fn failed_to_start(err: &Error) -> u8 {
    // The config crate's own operations, not an application's that start the same way.
    let from_the_config = err.operations().iter().any(|op| {
        [
            "config.Config.",
            "config.ConfigBuilder.",
            "config.ConfigView.",
        ]
        .iter()
        .any(|of| op.starts_with(of))
    });
    match err.code() {
        Some(code) if *code == ErrorCode::INVALID => 78,
        _ if from_the_config => 78,
        code => failed(code),
    }
}

/// The exit code of a failure while the application ran (a command's, a service task's):
/// its error code's status ([`ErrorCode::exit_status`]), or 1.
fn failed(code: Option<&ErrorCode>) -> u8 {
    code.and_then(ErrorCode::exit_status).unwrap_or(1)
}

/// Writes an answer given without a Core (the version, help) to standard output: success,
/// or 74 (`EX_IOERR`) with the failure on standard error, as for a run's output (see
/// [`Core::print`]).
#[cfg(feature = "cli")]
fn answer(text: &str) -> ExitCode {
    match write_out(std::io::stdout(), text)
        .err()
        .as_ref()
        .and_then(output_lost)
    {
        Some(failure) => {
            write_err(&unwritten(&failure));
            ExitCode::from(74)
        }
        None => ExitCode::SUCCESS,
    }
}

/// What made output be lost, for a failure to write it that is not a closed pipe's (a
/// reader that has all it wanted: `| head -1`).
fn output_lost(err: &std::io::Error) -> Option<String> {
    (err.kind() != std::io::ErrorKind::BrokenPipe).then(|| err.to_string())
}

/// The message for output that could not be written.
fn unwritten(failure: &str) -> String {
    format!("error: standard output could not be written: {failure}\n")
}

/// Writes `text` to standard error with the password of any URL in it hidden, as the
/// logger hides them (an error quoting a bad `postgres://app:hunter2@db.lan/app` ends up
/// in CI logs and terminals alike), and control and invisible characters but line breaks
/// and tabs escaped (`\u{1b}`), as the logger escapes them: an error quoting a file name
/// or a value someone else chose cannot send the terminal escape sequences (retitle the
/// window, clear the screen) or hide text behind a right-to-left override. Dropped when
/// it cannot be written: there is nowhere left to tell.
pub(crate) fn write_err(text: &str) {
    let _ = write_out(std::io::stderr(), &shown_err(text));
}

/// `text` as standard error shows the framework's messages: a URL's password hidden,
/// control and invisible characters escaped (line ends and tabs kept).
pub(crate) fn shown_err(text: &str) -> String {
    let hidden = corers_log::without_url_passwords(text);
    corers_primitives::escape_controls(&hidden, |c| c == '\n' || c == '\t').into_owned()
}

/// Writes the application's own `text` ([`Core::eprint`]) to standard error as it is,
/// but for a URL's password, hidden.
pub(crate) fn write_err_as_is(text: &str) {
    let _ = write_out(std::io::stderr(), &corers_log::without_url_passwords(text));
}

/// Writes `text` to `stream`; a failure is returned, never a panic that would skip
/// shutdown.
fn write_out(mut stream: impl Write, text: &str) -> std::io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// How a run's startup ended: see [`Core::start_for_run`].
pub(crate) enum Started {
    /// Every service started: the command runs.
    Run,
    /// A stop was asked for during startup: the command does not run.
    Skipped,
    /// A service failed to start.
    Failed(Error),
}

/// What a run has to say: text for standard output and error, and the exit code.
pub(crate) struct Printed {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) exit_code: u8,
}

/// A run of [`Core::run_with`] under way: when it is dropped before its end (a caller's
/// timeout or `select!` around it), its signal watcher stops listening and the Core is
/// shut down on a task of its own, as the run would have shut it down; at its end, only
/// the watcher stops.
struct Unfinished {
    core: Core,
    signals: JoinHandle<()>,
    /// The run began its shutdown (on a task of its own), or its failed startup shut the
    /// Core down.
    ended: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        self.signals.abort();
        if self.ended {
            return;
        }
        // Dropped with its runtime (which is ending): nothing can run the shutdown then.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let core = self.core.clone();
            runtime.spawn(self.core.logging(async move {
                if let Err(err) = core.shutdown().await {
                    tracing::error!(error = %err, "shutdown failed");
                }
            }));
        }
    }
}

/// What the signal watcher and [`Core::run_with`] share.
#[derive(Default)]
pub(crate) struct SignalState {
    /// 128 + the number of the first shutdown signal; 0 before one.
    code: u8,
    /// When the first shutdown signal came.
    at: Option<tokio::time::Instant>,
}

/// The first SIGINT/SIGTERM: recorded; the bus refuses new work and the Core's context is
/// cancelled. During startup that stops it after the running start hook (no more start);
/// `run_with` then shuts down, as it does after the command once the services run.
///
/// A Ctrl-C (SIGINT) is answered at warn level, which a command line shows, with how to
/// force the stop; a SIGTERM (a supervisor's ordinary stop) at info.
fn first_signal(core: &Core, state: &Mutex<SignalState>, exit_code: u8) {
    {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.code = exit_code;
        state.at = Some(tokio::time::Instant::now());
    }
    // Done before it is said: a standard error that blocks (a stalled pipe) may hold the
    // saying.
    core.request_shutdown();
    if exit_code == SIGINT_EXIT {
        tracing::warn!("interrupted: shutting down (Ctrl-C again forces it)");
    } else {
        tracing::info!("shutting down (a second signal forces it)");
    }
}

/// The exit code of a run that came to `exit_code`: `signalled` (128 + the signal) when a
/// signal asked for the stop before the command returned and the command (or a service
/// task) failed as work the stop cut short fails (`UNAVAILABLE`, 69: an Action run
/// cancelled, background work refused) — the signal ended it, as a command abandoned to
/// it; else `exit_code`.
fn cut_short(exit_code: u8, signalled: u8) -> u8 {
    if signalled != 0 && Some(exit_code) == ErrorCode::UNAVAILABLE.exit_status() {
        signalled
    } else {
        exit_code
    }
}

/// The exit code of a run a SIGINT stopped: 128 + 2.
const SIGINT_EXIT: u8 = 130;

/// The exit code of a run a SIGTERM stopped: 128 + 15.
const SIGTERM_EXIT: u8 = 143;

/// The exit code of a run its terminal's hangup stopped (SIGHUP): 128 + 1.
#[cfg(unix)]
const SIGHUP_EXIT: u8 = 129;

/// Whether the process still has a terminal of its own: opening `/dev/tty` fails once
/// its terminal has hung up (the window closed, the ssh session dropped).
#[cfg(unix)]
fn terminal_still_there() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// The `received`th SIGINT/SIGTERM: the first begins a graceful shutdown, the second
/// forces it (the command is abandoned and running hooks are cancelled), the third ends the
/// process (on Unix; elsewhere it only says that the shutdown is under way).
fn on_shutdown_signal(
    core: &Core,
    state: &Mutex<SignalState>,
    forced: &CancellationToken,
    received: u32,
    exit_code: u8,
) {
    match received {
        1 => first_signal(core, state, exit_code),
        2 => {
            core.inner.services.force();
            forced.cancel();
            if cfg!(unix) {
                tracing::warn!("forced shutdown (a third signal ends the process at once)");
            } else {
                tracing::warn!("forced shutdown");
            }
            // The third ends the process inside the signal handler, with no flush.
            core.log().flush();
        }
        // The exit code is 128 + the signal's number.
        _ => end_the_process(core, i32::from(exit_code) - 128),
    }
}

/// The third SIGINT/SIGTERM, when [`ThirdSignal`] could not be armed: the OS's default
/// action for `signal` (the process ends, as if no handler were installed), for when
/// something the forced shutdown needs is blocked. Taken from this watcher's own thread,
/// so it works while the run's thread is stuck.
#[cfg(unix)]
fn end_the_process(core: &Core, signal: i32) {
    // What was logged so far reaches its file before the process ends.
    core.log().flush();
    if let Err(err) = signal_hook::low_level::emulate_default_handler(signal) {
        tracing::error!(error = %err, "cannot end the process by its signal");
    }
}

/// Makes a third SIGINT/SIGTERM end the process inside the signal handler itself, after
/// the first: the watcher may be stuck by then (logging to a standard error that blocks,
/// a stalled pipe), and the third signal must work all the same. Undone when dropped (a
/// run that ended, its watcher with it).
#[cfg(unix)]
struct ThirdSignal(Vec<signal_hook::SigId>);

#[cfg(unix)]
impl ThirdSignal {
    fn arm() -> std::io::Result<ThirdSignal> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag;
        let seen_second = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut ids = ThirdSignal(Vec::new());
        // Each delivery asks first whether a second signal came before it, then records
        // that one came: the second sets the flag, the third finds it set.
        for signal in [SIGINT, SIGTERM] {
            ids.0.push(flag::register_conditional_default(
                signal,
                Arc::clone(&seen_second),
            )?);
        }
        for signal in [SIGINT, SIGTERM] {
            ids.0
                .push(flag::register(signal, Arc::clone(&seen_second))?);
        }
        Ok(ids)
    }
}

#[cfg(unix)]
impl Drop for ThirdSignal {
    fn drop(&mut self) {
        for id in self.0.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Elsewhere there is no default action to take: later signals only say that the forced
/// shutdown is under way.
#[cfg(not(unix))]
fn end_the_process(_core: &Core, _signal: i32) {
    tracing::warn!("shutdown is already forced; waiting for it to end");
}

/// Turns OS signals into shutdown and reload: the first SIGINT/SIGTERM begins a graceful
/// shutdown ([`first_signal`]), the second forces the stop hooks to give up; SIGHUP reloads
/// the services in a task of its own — but for a run started from a terminal (standard
/// input one, with a controlling terminal) that has hung up since, where it is a shutdown
/// signal as SIGHUP's default action is (exit 129), taken once (the shell's hangup that
/// follows the kernel's is not a second signal): an application left running after its
/// terminal closed would serve on, orphaned. Daemons, `setsid` and GNU `nohup` (standard
/// input moved off the terminal) reload. On
/// Unix the handlers are installed before this returns, so no signal sent after it falls
/// to the OS default (which would kill the process).
#[cfg(unix)]
fn watch_signals(
    core: Core,
    state: Arc<Mutex<SignalState>>,
    forced: CancellationToken,
) -> JoinHandle<()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    /// The next delivery of `signal`, or never when it could not be installed.
    async fn next(signal: &mut Option<Signal>) {
        match signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    // tokio panics, rather than fails, on a runtime built without its I/O driver:
    // asked once, and said once.
    let mut no_io = false;
    let mut install = |kind: SignalKind, name: &str| {
        if no_io {
            return None;
        }
        let Ok(installed) = std::panic::catch_unwind(|| signal(kind)) else {
            no_io = true;
            tracing::warn!(
                "no signal is heard: the tokio runtime has no I/O driver (build it with enable_all())"
            );
            return None;
        };
        installed
            .inspect_err(|err| tracing::warn!(error = %err, "cannot listen for {name}"))
            .ok()
    };
    let mut interrupt = install(SignalKind::interrupt(), "SIGINT");
    let mut terminate = install(SignalKind::terminate(), "SIGTERM");
    let mut hangup = install(SignalKind::hangup(), "SIGHUP");
    // Started from a terminal: standard input on it (GNU nohup and daemons redirect it)
    // and a controlling terminal (`setsid` leaves none).
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stdin()) && terminal_still_there();
    // Its logs, and the reloads', go where the framework's do (the application's subscriber,
    // else the Core's logger) whatever thread runs them.
    let log = core.framework_dispatch();
    let watcher = async move {
        let mut received = 0;
        let mut _third = None;
        loop {
            let exit_code = tokio::select! {
                () = next(&mut interrupt) => SIGINT_EXIT,
                () = next(&mut terminate) => SIGTERM_EXIT,
                () = next(&mut hangup) => {
                    let hung_up = &core.inner.hung_up;
                    if hung_up.load(std::sync::atomic::Ordering::Relaxed) {
                        // The shell passes its hangup on, then the kernel sends its own:
                        // one hangup, not a second signal forcing the stop.
                        continue;
                    }
                    if on_terminal && !terminal_still_there() {
                        hung_up.store(true, std::sync::atomic::Ordering::Relaxed);
                        SIGHUP_EXIT
                    } else {
                        spawn_reload(&core);
                        continue;
                    }
                }
            };
            received += 1;
            if received == 1 {
                _third = ThirdSignal::arm()
                    .inspect_err(|err| tracing::warn!(error = %err, "a third signal is left to this watcher"))
                    .ok();
            }
            on_shutdown_signal(&core, &state, &forced, received, exit_code);
        }
    };
    tokio::spawn(watcher.with_subscriber(log))
}

/// Reloads the application on a task of its own (a SIGHUP); a failure is logged.
#[cfg(unix)]
fn spawn_reload(core: &Core) {
    let core = core.clone();
    let reload = async move {
        if let Err(err) = core.reload().await {
            // As errors on stderr read: each level's message, no operation names; what
            // failed to reload keeps its settings.
            tracing::error!(
                error = format!("{err:#}"),
                "reload failed; what did not reload runs on as it was"
            );
        }
    };
    tokio::spawn(reload.with_current_subscriber());
}

/// Windows' console events as signals: Ctrl-C and Ctrl-Break as SIGINT, the console
/// closing, logoff and system shutdown as SIGTERM; the first begins a graceful shutdown,
/// the second forces it. There is no reload.
#[cfg(not(unix))]
fn watch_signals(
    core: Core,
    state: Arc<Mutex<SignalState>>,
    forced: CancellationToken,
) -> JoinHandle<()> {
    use tokio::signal::windows;
    fn install<T>(made: std::io::Result<T>, name: &str) -> Option<T> {
        made.inspect_err(|err| tracing::warn!(error = %err, "cannot listen for {name}"))
            .ok()
    }
    // Each listener is made once, before the first event: a Ctrl-C that came while
    // none was listening would end the process at once instead of shutting it down.
    let mut interrupt = install(windows::ctrl_c(), "Ctrl-C");
    let mut interrupt_break = install(windows::ctrl_break(), "Ctrl-Break");
    // The console closed, the user logging off, the system shutting down: Windows
    // ends the process a few seconds after (about 5 s for a closed console).
    let mut close = install(windows::ctrl_close(), "the console closing");
    let mut logoff = install(windows::ctrl_logoff(), "logoff");
    let mut shutdown = install(windows::ctrl_shutdown(), "system shutdown");
    // A listener that could not be made never fires.
    macro_rules! next {
        ($listener:expr) => {
            async {
                match $listener.as_mut() {
                    Some(listener) => {
                        listener.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
        };
    }
    let log = core.framework_dispatch();
    let watcher = async move {
        let mut received = 0;
        loop {
            // The Unix exit codes, for one table everywhere: 130 for an interrupt,
            // 143 for being told to end.
            let exit_code = tokio::select! {
                () = next!(interrupt) => SIGINT_EXIT,
                () = next!(interrupt_break) => SIGINT_EXIT,
                () = next!(close) => SIGTERM_EXIT,
                () = next!(logoff) => SIGTERM_EXIT,
                () = next!(shutdown) => SIGTERM_EXIT,
            };
            received += 1;
            on_shutdown_signal(&core, &state, &forced, received, exit_code);
        }
    };
    tokio::spawn(watcher.with_subscriber(log))
}
