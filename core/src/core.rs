//! [`Core`]: the container every service, command, Action and Task receives.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::SystemTime;

use corers_lifecycle::Services;
use corers_log::Logger;
use corers_messaging::{
    ActionHandle, Actions, Bus, Outcome, Query, Report, RunCtx, Task, TaskDef, TaskHandle, TaskId,
    TaskReport, Tasks,
};
use corers_primitives::{Error, Options, Result, Value};
use tokio_util::sync::CancellationToken;

use crate::ServicesView;

/// Who the application is: name, version and one line about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct App {
    /// The program name (`workbench`).
    pub name: String,
    /// Its version (`0.3.1`).
    pub version: String,
    /// What it does, in one line.
    pub description: String,
}

/// The application container: a cheap-to-clone, thread-safe handle on everything an
/// application is made of — its services, the message bus, the named Actions and Tasks, the
/// command line, the logger and the environment. Handlers, commands, Actions and services
/// all receive it.
///
/// Build one with [`Core::builder`]. A whole `main` ends in
/// [`CoreBuilder::run_blocking`](crate::CoreBuilder::run_blocking): it builds and runs in
/// one step, so `--set key=value` arguments reach the service factories, and a build error
/// exits with its sysexits code (78 for a setting that does not fit). [`Core::run`] is for
/// a tokio runtime of your own. The `*_with` forms
/// ([`CoreBuilder::run_blocking_with`](crate::CoreBuilder::run_blocking_with),
/// [`Core::run_with`], [`Core::run_blocking_with`]) take the arguments explicitly instead
/// of the process's.
///
/// ```
/// use corers::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let core = Core::builder().name("workbench").build().unwrap();
/// assert_eq!(core.app().name, "workbench");
/// assert_eq!(core.env("OS").as_deref(), Some(std::env::consts::OS));
/// # }
/// ```
#[derive(Clone)]
pub struct Core {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) app: App,
    pub(crate) options: Options,
    pub(crate) bus: Bus<Core>,
    pub(crate) actions: Actions<Core>,
    pub(crate) tasks: Tasks<Core>,
    pub(crate) scheduler: corers_messaging::Scheduler<Core>,
    pub(crate) services: Services<Core>,
    #[cfg(feature = "cli")]
    pub(crate) cli: corers_cli::Cli<Core>,
    #[cfg(feature = "fs")]
    pub(crate) fs: corers_fs::Fs,
    /// The test kit's directory `fs` is rooted in, removed with the Core.
    #[cfg(all(feature = "testing", feature = "fs"))]
    pub(crate) _scratch: Option<tempfile::TempDir>,
    #[cfg(feature = "config")]
    pub(crate) config: corers_config::Config,
    pub(crate) log: Logger,
    pub(crate) shutdown: CancellationToken,
    pub(crate) env: Mutex<crate::env::Overrides>,
    pub(crate) started: SystemTime,
    pub(crate) shutdown_timeout: std::time::Duration,
    /// Whether a run makes the Core's logger tracing's global default.
    pub(crate) global_logging: bool,
    /// Whether start hooks may register commands (see `CoreBuilder::commands_at_start`).
    #[cfg(feature = "cli")]
    pub(crate) commands_at_start: bool,
    /// What [`Core::print`] and [`Core::eprint`] wrote while the test kit's `run_cli`
    /// captures it; `None` while it goes to the process's standard output and error.
    pub(crate) captured: Mutex<Option<Captured>>,
    /// The first failure to write to standard output other than a closed pipe (a full
    /// disk, a closed descriptor): a run that would have succeeded fails with it instead.
    pub(crate) unwritten: std::sync::OnceLock<String>,
    /// The terminal the run started from hung up: what is written to it from then on has
    /// no reader, as after a closed pipe, and failing to write it is no failure.
    pub(crate) hung_up: std::sync::atomic::AtomicBool,
    /// The embedding host's own value (see [`CoreBuilder::host`](crate::CoreBuilder::host)).
    pub(crate) host: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

/// What the test kit's `run_cli` captured of [`Core::print`] and [`Core::eprint`].
#[derive(Default)]
pub(crate) struct Captured {
    pub(crate) out: String,
    pub(crate) err: String,
}

impl Core {
    /// A handle that does not keep this Core alive: what a service, an Action or a command
    /// stored *inside* the Core holds, so the Core and everything in it can still drop.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder().name("workbench").build().unwrap();
    /// let weak = core.downgrade();
    /// assert_eq!(weak.upgrade().unwrap().app().name, "workbench");
    /// drop(core);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakCore {
        WeakCore {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Who the application is.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// The options the Core was built with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The message bus.
    pub fn bus(&self) -> &Bus<Core> {
        &self.inner.bus
    }

    /// Calls every handler of `message`'s type (see [`Bus::broadcast`]).
    ///
    /// # Errors
    /// As [`Bus::broadcast`]: a cascade nested too deep.
    pub fn broadcast<M: Send + Sync + 'static>(&self, message: &M) -> Result<Report> {
        self.inner.bus.broadcast(self, message)
    }

    /// Asks the query handlers of `Q` (see [`Bus::query`]).
    pub fn query<Q: Query>(&self, query: &Q) -> Outcome<Q::Answer> {
        self.inner.bus.query(self, query)
    }

    /// Asks every query handler of `Q` and collects their answers (CoreGO's `QUERYALL`;
    /// see [`Bus::query_all`]).
    ///
    /// ```
    /// use corers::prelude::*;
    /// struct Workspaces;
    /// impl Query for Workspaces { type Answer = Vec<&'static str>; }
    ///
    /// let core = Core::builder().build().unwrap();
    /// core.bus().on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    /// core.bus().on_query(|_, _: &Workspaces| Some(Ok(vec!["beta"])));
    /// let answers = core.query_all(&Workspaces).unwrap();
    /// assert_eq!(answers.len(), 2);
    /// ```
    ///
    /// # Errors
    /// As [`Bus::query_all`]: a cascade nested too deep.
    pub fn query_all<Q: Query>(&self, query: &Q) -> Result<Vec<Result<Q::Answer>>> {
        self.inner.bus.query_all(self, query)
    }

    /// Hands `task` to its handlers (see [`Bus::perform`]).
    pub fn perform<T: Task>(&self, task: &T) -> Outcome<T::Output> {
        self.inner.bus.perform(self, task)
    }

    /// Runs `task` in the background (see [`Bus::perform_async`]).
    ///
    /// # Errors
    /// As [`Bus::perform_async`].
    pub fn perform_async<T: Task>(&self, task: T) -> Result<TaskId> {
        self.inner.bus.perform_async(self, task)
    }

    /// Runs `task` in the background and returns a handle to await its outcome (see
    /// [`Bus::perform_async_handle`]).
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// struct Reindex { files: usize }
    /// impl Task for Reindex { type Output = usize; }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder().build().unwrap();
    /// core.bus().on_task(|_, t: &Reindex| Some(Ok(t.files)));
    /// let files = core.perform_async_handle(Reindex { files: 12 }).unwrap().await.unwrap();
    /// assert_eq!(files, 12);
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Bus::perform_async_handle`].
    pub fn perform_async_handle<T: Task>(&self, task: T) -> Result<TaskHandle<T>> {
        self.inner.bus.perform_async_handle(self, task)
    }

    /// Reports a background task's progress (see [`Bus::progress`]).
    ///
    /// # Errors
    /// As [`Bus::progress`].
    pub fn progress(&self, id: &TaskId, fraction: f64, message: &str) -> Result<Report> {
        self.inner.bus.progress(self, id, fraction, message)
    }

    /// The named Actions.
    pub fn actions(&self) -> &Actions<Core> {
        &self.inner.actions
    }

    /// A handle on the Action `name` (CoreGO's `c.Action("git.log")`).
    pub fn action(&self, name: &str) -> ActionHandle<Core> {
        self.inner.actions.get(name)
    }

    /// Runs the Action `name`, cancelled when the Core shuts down. Once shutdown has begun
    /// (in a stop hook) it is refused: a hook runs Actions under its own context instead,
    /// `core.actions().run(&core, &ctx.run_ctx(), name, options)` (see
    /// [`ServiceCtx::run_ctx`](corers_lifecycle::ServiceCtx::run_ctx)), and a service's
    /// own task, which runs until its service's turn to stop, under
    /// [`ServiceCtx::lifetime_ctx`](corers_lifecycle::ServiceCtx::lifetime_ctx).
    ///
    /// # Errors
    /// As [`Actions::run`].
    pub async fn run_action(&self, name: &str, options: Options) -> Result<Value> {
        self.inner
            .actions
            .run(self, &self.run_ctx(), name, options)
            .await
    }

    /// A new context for runs of Actions and Tasks that ends when the Core shuts down: what
    /// [`run_action`](Core::run_action) uses, for a caller that adds a deadline or its own
    /// values (a bare [`RunCtx::new`] would run on through shutdown). Inside a handler, run
    /// nested Actions with [`ActionCtx::run`](corers_messaging::ActionCtx::run) instead,
    /// which keeps the caller's deadline, values and running slots.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder()
    ///     .action(ActionSpec::new("git.log", |_, _| async { Ok(Value::from("3 commits")) }))
    ///     .build()
    ///     .unwrap();
    /// let ctx = core.run_ctx().with_timeout(Duration::from_secs(30));
    /// let out = core.actions().run(&core, &ctx, "git.log", Options::new()).await;
    /// assert_eq!(out.unwrap(), Value::from("3 commits"));
    /// # }
    /// ```
    pub fn run_ctx(&self) -> RunCtx {
        RunCtx::new().with_cancel(self.inner.shutdown.child_token())
    }

    /// The named Tasks.
    pub fn tasks(&self) -> &Tasks<Core> {
        &self.inner.tasks
    }

    /// The definition of the Task `name` (CoreGO's `c.Task("deploy")`), if one is defined.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder()
    ///     .task("deploy", TaskDef::new(vec![Step::run("git.pull")]))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.task("deploy").unwrap().steps.len(), 1);
    /// assert!(core.task("rollback").is_none());
    /// ```
    pub fn task(&self, name: &str) -> Option<TaskDef> {
        self.inner.tasks.get(name)
    }

    /// Runs the Task `name`, cancelled when the Core shuts down.
    ///
    /// # Errors
    /// As [`Tasks::run`].
    pub async fn run_task(&self, name: &str) -> Result<TaskReport> {
        self.inner.tasks.run(self, &self.run_ctx(), name).await
    }

    /// Runs the Task `name` with `input` for its first step (see [`Tasks::run_with`]),
    /// cancelled when the Core shuts down.
    ///
    /// # Errors
    /// As [`Tasks::run_with`].
    pub async fn run_task_with(&self, name: &str, input: Options) -> Result<TaskReport> {
        self.inner
            .tasks
            .run_with(self, &self.run_ctx(), name, input)
            .await
    }

    /// The services, to read: names, typed access, start order, health (see
    /// [`ServicesView`]).
    pub fn services(&self) -> ServicesView<'_> {
        ServicesView { core: self }
    }

    /// The service `name` as its concrete type.
    pub fn service<T: Send + Sync + 'static>(&self, name: &str) -> Option<Arc<T>> {
        self.inner.services.get(name)
    }

    /// The command line.
    #[cfg(feature = "cli")]
    pub fn cli(&self) -> &corers_cli::Cli<Core> {
        &self.inner.cli
    }

    /// The filesystem, confined to the root given to [`CoreBuilder::fs_root`] (the
    /// working directory at build time by default). Escapes and writes are recorded in the
    /// Core's audit trail.
    ///
    /// [`CoreBuilder::fs_root`]: crate::CoreBuilder::fs_root
    #[cfg(feature = "fs")]
    pub fn fs(&self) -> &corers_fs::Fs {
        &self.inner.fs
    }

    /// The application's config: the sources given to [`CoreBuilder::config`] (by default
    /// the environment under the application's name), plus what is set at run time.
    /// SIGHUP reloads it before the services' reload hooks run.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().name("workbench").build().unwrap();
    /// core.config().set("cache.ttl", 60).unwrap();
    /// assert_eq!(core.config().int("cache.ttl").unwrap(), 60);
    /// ```
    ///
    /// [`CoreBuilder::config`]: crate::CoreBuilder::config
    #[cfg(feature = "config")]
    pub fn config(&self) -> &corers_config::Config {
        &self.inner.config
    }

    /// The Core's logger.
    pub fn log(&self) -> &Logger {
        &self.inner.log
    }

    /// Writes `text` to the application's standard output: the process's, or, under the
    /// test kit's `run_cli`, the output it captures. For what handlers and services print
    /// besides a command's result (progress lines), so that tests see it too. Output a
    /// closed pipe no longer reads is dropped (`workbench workspace list | head -1`), and
    /// the application is asked to stop ([`request_shutdown`](Core::request_shutdown)):
    /// a command that prints as it goes and watches the [context](Core::context) ends
    /// once its reader has (`app logs --follow | grep -m1 ERROR`), as SIGPIPE ends a Go
    /// program. Any other failure to write it (`> /dev/full`) makes a run that would have
    /// succeeded exit 74 (`EX_IOERR`) with the failure on standard error.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// core.print("indexing:  50% scanning files\n");
    /// ```
    pub fn print(&self, text: &str) {
        if !self.captured(|printed| printed.out.push_str(text)) {
            self.write_stdout(text);
        }
    }

    /// Writes `text` to the application's standard error, as [`print`](Core::print) does
    /// to its standard output: for progress and notes that must not mix with a command's
    /// result (`workbench workspace create --name=alpha | head -1` is the result's line).
    /// Written as given (a `\r` redraws a progress line, colours stay), but for a URL's
    /// password, hidden; the framework's own errors are the ones escaped.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// core.eprint("indexing:  50% scanning files\n");
    /// ```
    pub fn eprint(&self, text: &str) {
        if !self.captured(|printed| printed.err.push_str(text)) {
            crate::run::write_err_as_is(text);
        }
    }

    /// Gives `write` what the test kit captures, if it captures; reports whether it did.
    /// (The process's streams are written outside the capture's lock: a caller holding
    /// stdout's own lock cannot deadlock with a print from another thread.)
    fn captured(&self, write: impl FnOnce(&mut Captured)) -> bool {
        let mut captured = self
            .inner
            .captured
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        captured.as_mut().map(write).is_some()
    }

    /// The Core's cancellation token: cancelled when shutdown begins. Long-running work
    /// should watch it (a `serve` command awaits it); work a service owns should rather
    /// run as [`ServiceCtx::spawn`](corers_lifecycle::ServiceCtx::spawn)ed tasks that
    /// watch [`ServiceCtx::stopping`](corers_lifecycle::ServiceCtx::stopping), which ends
    /// it in reverse dependency order. To stop the application, call
    /// [`request_shutdown`](Core::request_shutdown) (or [`shutdown`](Core::shutdown)),
    /// never `cancel()` on this token: cancelled alone, it refuses the Core's runs while
    /// the health report stays ready and the bus takes background work.
    pub fn context(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Asks the application to shut down, without waiting for it: what a first SIGTERM
    /// does. The bus refuses new background work, a startup under way starts no more
    /// services, and the [context](Core::context) is cancelled, so a `serve` command that
    /// awaits it returns and [`run`](Core::run) shuts down. Safe from inside a hook, an
    /// Action or a task, where awaiting [`shutdown`](Core::shutdown) would wait on the
    /// caller itself (a start hook's shutdown waits for that start hook to end).
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .command("serve", Command::new().action(|core: Core, _| async move {
    ///         core.context().cancelled().await; // until shutdown
    ///         Ok(Value::Null)
    ///     }))
    ///     .service(|_| Ok(Registration::new("admin", Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
    ///         // An admin endpoint told to quit, say.
    ///         let core = ctx.core().clone();
    ///         tokio::spawn(async move { core.request_shutdown() });
    ///         Ok(())
    ///     }))))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.run_blocking_with(["serve"]), std::process::ExitCode::SUCCESS);
    /// ```
    pub fn request_shutdown(&self) {
        self.inner.services.request_stop(None);
    }

    /// [`request_shutdown`](Core::request_shutdown) because of `failure`, which [`run`](Core::run)
    /// then exits for, as for a service task that failed: it prints the failure and exits
    /// with its code's status (`UNAVAILABLE` 69, …; see
    /// [`ErrorCode::exit_status`](corers_primitives::ErrorCode::exit_status)), unless the
    /// command failed first. When several are asked for, the first failure is kept.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .command("serve", Command::new().action(|core: Core, _| async move {
    ///         // The upstream's certificate expired: no point serving on.
    ///         core.request_shutdown_for(
    ///             Error::new("proxy.Upstream.connect", "certificate expired")
    ///                 .with_code(ErrorCode::UNAVAILABLE),
    ///         );
    ///         core.context().cancelled().await;
    ///         Ok(Value::Null)
    ///     }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.run_blocking_with(["serve"]), std::process::ExitCode::from(69));
    /// ```
    pub fn request_shutdown_for(&self, failure: Error) {
        self.inner.services.request_stop(Some(failure));
    }

    /// The failure a stop was asked for — by [`request_shutdown_for`](Core::request_shutdown_for),
    /// or by a service's task that failed — if any: what a host running the Core itself
    /// ([`Core::startup`]) shows when [`context`](Core::context) is cancelled, as
    /// [`run`](Core::run) prints it and exits with its code.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// assert!(core.shutdown_failure().is_none());
    /// core.request_shutdown_for(Error::new("sync.Remote.pull", "token revoked"));
    /// assert_eq!(core.shutdown_failure().unwrap().message(), "token revoked");
    /// ```
    pub fn shutdown_failure(&self) -> Option<Error> {
        self.inner.services.failure()
    }

    /// Forces the shutdown: what a second Ctrl-C does under [`run`](Core::run). A stop is
    /// asked for (as [`request_shutdown`](Core::request_shutdown): the
    /// [`context`](Core::context) is cancelled), every running hook's token is cancelled,
    /// the bus's drain is cut short, and the hooks still running or still to stop share a
    /// grace of 250 ms from this call, then are abandoned. For a host whose user asked
    /// twice to quit: call it while [`shutdown`](Core::shutdown) runs, or right before it —
    /// a shutdown begun long after the grace gives each stop hook only its first poll.
    ///
    /// ```
    /// use corers::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder().build().unwrap();
    /// core.startup().await.unwrap();
    /// core.force_shutdown();
    /// core.shutdown().await.unwrap();
    /// # }
    /// ```
    pub fn force_shutdown(&self) {
        self.request_shutdown();
        self.inner.services.force();
    }

    /// The names in one of the Core's registries, in registration order: `"services"`,
    /// `"actions"`, `"tasks"` or `"commands"` (sorted paths). `None` for another name.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// assert_eq!(core.registry("services"), Some(Vec::new()));
    /// assert_eq!(core.registry("drives"), None);
    /// ```
    pub fn registry(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "services" => Some(self.inner.services.names()),
            "actions" => Some(self.inner.actions.names()),
            "tasks" => Some(self.inner.tasks.names()),
            #[cfg(feature = "cli")]
            "commands" => Some(self.inner.cli.tree().paths()),
            _ => None,
        }
    }

    /// Overrides `key` for this Core only (tests, embedded hosts): [`env`](Core::env)
    /// returns `value` whatever the process environment says. The config does not see it,
    /// not even after a reload: it reads the overrides the builder was given
    /// ([`CoreBuilder::env`](crate::CoreBuilder::env)).
    pub fn set_env(&self, key: &str, value: &str) {
        let mut env = self
            .inner
            .env
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        crate::env::set_override(&mut env, key.to_owned(), Some(value.to_owned()));
    }

    /// Makes `key` unset for this Core only: [`env`](Core::env) returns `None` for it
    /// whatever the process environment says (a computed key is computed again).
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().env("DEPLOY_REPLICAS", "3").build().unwrap();
    /// core.remove_env("DEPLOY_REPLICAS");
    /// assert_eq!(core.env("DEPLOY_REPLICAS"), None);
    /// ```
    pub fn remove_env(&self, key: &str) {
        let mut env = self
            .inner
            .env
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        crate::env::set_override(&mut env, key.to_owned(), None);
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("app", &self.inner.app)
            .field("services", &self.inner.services.names())
            .finish_non_exhaustive()
    }
}

/// A [`Core`] that is not kept alive by this handle ([`Core::downgrade`]).
#[derive(Clone, Default)]
pub struct WeakCore {
    inner: Weak<Inner>,
}

impl WeakCore {
    /// The Core, while any [`Core`] handle still holds it.
    pub fn upgrade(&self) -> Option<Core> {
        self.inner.upgrade().map(|inner| Core { inner })
    }
}

impl fmt::Debug for WeakCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakCore")
            .field("alive", &(self.inner.strong_count() > 0))
            .finish()
    }
}
