//! [`CoreBuilder`]: everything a Core is made of, assembled and checked in one step.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use corers_lifecycle::{Registration, Services};
use corers_log::{AuditEvent, CrashReport, Logger};
use corers_messaging::{ActionSpec, Actions, Bus, BusBuilder, Scheduler, TaskDef, Tasks};
use corers_primitives::{Error, ErrorCode, Options, Result};

use crate::Core;
use crate::core::{App, Inner};

pub(crate) type Factory = Box<dyn FnOnce(&Core) -> Result<Registration<Core>> + Send>;

/// An edit to the config's builder (see [`CoreBuilder::config_with`]).
#[cfg(feature = "config")]
type ConfigEdit =
    Box<dyn FnOnce(corers_config::ConfigBuilder) -> corers_config::ConfigBuilder + Send>;

type CrashCallback = Box<dyn Fn(&CrashReport) + Send + Sync>;

/// Settings for a [`Core`]: who the application is, its services (made by factories that
/// receive the Core), commands, Actions, Tasks, logger and limits. [`build`](CoreBuilder::build)
/// checks everything and returns the Core, or the first error and nothing half-built.
///
/// ```
/// use corers::prelude::*;
///
/// let core = Core::builder()
///     .name("workbench")
///     .version("0.3.1")
///     .service(|_core| Ok(Registration::new("cache", Hooks::new())))
///     .build()
///     .unwrap();
/// assert_eq!(core.registry("services"), Some(vec!["cache".to_owned()]));
/// ```
#[must_use]
pub struct CoreBuilder {
    pub(crate) app: App,
    options: Options,
    logger: Option<Logger>,
    crash_file: Option<std::path::PathBuf>,
    on_crash: Option<CrashCallback>,
    /// The default logger's line format.
    log_format: Option<corers_log::Format>,
    /// The default logger's level where `RUST_LOG` names none.
    log_level: Option<corers_log::Level>,
    bus: BusBuilder,
    /// Each with the service name it was declared under, when it was.
    factories: Vec<(Option<String>, Factory)>,
    actions: Vec<ActionSpec<Core>>,
    tasks: Vec<(String, TaskDef)>,
    #[cfg(feature = "cli")]
    commands: Vec<(String, corers_cli::Command<Core>)>,
    /// Built-in commands the application leaves out.
    #[cfg(feature = "cli")]
    without: Vec<String>,
    env: crate::env::Overrides,
    shutdown_timeout: Duration,
    global_logging: bool,
    #[cfg(feature = "cli")]
    commands_at_start: bool,
    #[cfg(feature = "fs")]
    fs_root: Option<std::path::PathBuf>,
    /// The test kit's directory for a Core's filesystem (see `testing::builder`).
    #[cfg(all(feature = "testing", feature = "fs"))]
    scratch: Option<std::io::Result<tempfile::TempDir>>,
    #[cfg(feature = "config")]
    config: Option<corers_config::ConfigBuilder>,
    /// Edits to the config's builder, applied in order when the Core is built.
    #[cfg(feature = "config")]
    config_edits: Vec<ConfigEdit>,
    /// Arguments whose `--set key=value` go into the config before the factories run.
    #[cfg(feature = "config")]
    pub(crate) settings_args: Vec<String>,
    host: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// Service name → the fake that replaces it (see `testing`).
    fakes: Vec<(String, Factory)>,
}

impl Core {
    /// Starts the settings for a Core.
    pub fn builder() -> CoreBuilder {
        CoreBuilder {
            app: App::default(),
            options: Options::new(),
            logger: None,
            crash_file: None,
            on_crash: None,
            log_level: None,
            log_format: None,
            bus: Bus::builder(),
            factories: Vec::new(),
            actions: Vec::new(),
            tasks: Vec::new(),
            #[cfg(feature = "cli")]
            commands: Vec::new(),
            #[cfg(feature = "cli")]
            without: Vec::new(),
            env: Vec::new(),
            shutdown_timeout: Duration::from_secs(30),
            global_logging: true,
            #[cfg(feature = "cli")]
            commands_at_start: false,
            #[cfg(feature = "fs")]
            fs_root: None,
            #[cfg(all(feature = "testing", feature = "fs"))]
            scratch: None,
            #[cfg(feature = "config")]
            config: None,
            #[cfg(feature = "config")]
            config_edits: Vec::new(),
            #[cfg(feature = "config")]
            settings_args: Vec::new(),
            host: None,
            fakes: Vec::new(),
        }
    }
}

impl CoreBuilder {
    /// The program name, shown in help and logs.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.app.name = name.into();
        self
    }

    /// The version: `--version` (`-V`) prints it after the name, and crash reports carry
    /// it.
    ///
    /// ```
    /// use corers::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder().name("workbench").version("0.4.1").build().unwrap();
    /// let outcome = core.cli().run(core.clone(), ["--version"]).await;
    /// assert_eq!(outcome.stdout(), "workbench 0.4.1\n");
    /// # }
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.app.version = version.into();
        self
    }

    /// One line about the application.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.app.description = description.into();
        self
    }

    /// Options every part of the application can read ([`Core::options`]).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The logger (default: lines in the [`log_format`](CoreBuilder::log_format) given,
    /// human text unless set, on standard error at info level, or at the levels
    /// `RUST_LOG` names: `debug`, or `info,workbench::store=debug,hyper=warn`, read as a
    /// [`corers_log::Filter`] by [`Filter::parse_lossy`](corers_log::Filter::parse_lossy):
    /// a directive that does not read is left out, with a warning, as tracing's
    /// `EnvFilter` leaves it). The Core's logger becomes the process default when the Core
    /// is built. With it, [`crash_file`](CoreBuilder::crash_file),
    /// [`on_crash`](CoreBuilder::on_crash), [`log_level`](CoreBuilder::log_level) and
    /// [`log_format`](CoreBuilder::log_format) are refused: set them on that logger's
    /// builder.
    pub fn logger(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self
    }

    /// The default logger's level for what `RUST_LOG` does not name (info unless set): a
    /// command-line tool quiet but for warnings, that `RUST_LOG=debug` or
    /// `RUST_LOG=corers_lifecycle=debug` still opens up. Unlike tracing's `EnvFilter`,
    /// whose default directive applies only where `RUST_LOG` names nothing at all, the
    /// level stays for the targets `RUST_LOG` leaves out: `corers_lifecycle=debug` does
    /// not silence the application's warnings.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder()
    ///     .log_level(corers::log::Level::Warn)
    ///     .env("RUST_LOG", "corers_lifecycle=debug")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.log().filter().to_string(), "warn,corers_lifecycle=debug");
    /// ```
    pub fn log_level(mut self, level: corers_log::Level) -> Self {
        self.log_level = Some(level);
        self
    }

    /// The default logger's line format (human text unless set): JSON lines for a log
    /// pipeline that reads them (Kubernetes, Loki), chosen by the application — from its
    /// own setting, say, as an operator's switch.
    ///
    /// ```
    /// use corers::prelude::*;
    /// use corers::log::Format;
    ///
    /// let json = std::env::var("WORKBENCH_LOG_FORMAT").is_ok_and(|f| f == "json");
    /// let core = Core::builder()
    ///     .log_format(if json { Format::Json } else { Format::Human })
    ///     .build()
    ///     .unwrap();
    /// # let _ = core;
    /// ```
    pub fn log_format(mut self, format: corers_log::Format) -> Self {
        self.log_format = Some(format);
        self
    }

    /// Appends a crash report (JSON: time, message, location, backtrace, system info, the
    /// app's name and version) to `path` for every crash the Core's logger records: a panic
    /// in a task spawned through `core.log().crash()`, a report the application records
    /// itself, and, under [`Core::run_blocking`] (which installs
    /// [`corers_log::install_panic_hook`]), every panic in the process — also those the
    /// framework then catches at its boundaries (a handler, a hook, a command). The panic
    /// hook writes the report on the panicking thread before unwinding goes on. The file is
    /// written through a temporary file and a rename, never half-written.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let dir = std::env::temp_dir().join(format!("workbench-crash-{}", std::process::id()));
    /// let core = Core::builder()
    ///     .name("workbench")
    ///     .crash_file(dir.join("crashes.json"))
    ///     .build()
    ///     .unwrap();
    /// let report = core.log().crash().report_for("worker stopped responding");
    /// core.log().crash().record(&report).unwrap();
    /// assert!(std::fs::read_to_string(dir.join("crashes.json")).unwrap().contains("worker stopped responding"));
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    ///
    /// It configures the Core's default logger: with [`logger`](CoreBuilder::logger), set
    /// it on that logger's builder instead ([`build`](CoreBuilder::build) refuses both).
    pub fn crash_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.crash_file = Some(path.into());
        self
    }

    /// Calls `callback` with every crash report, after it is recorded (to alert, or to
    /// show a GUI host's crash dialog). Its own panics are caught and logged. Like
    /// [`crash_file`](CoreBuilder::crash_file), it configures the default logger.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use corers::prelude::*;
    ///
    /// let crashes = Arc::new(AtomicUsize::new(0));
    /// let seen = Arc::clone(&crashes);
    /// let core = Core::builder()
    ///     .on_crash(move |report| {
    ///         eprintln!("crashed: {}", report.message);
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// core.log().crash().record(&core.log().crash().report_for("disk full")).unwrap();
    /// assert_eq!(crashes.load(Ordering::Relaxed), 1);
    /// ```
    pub fn on_crash(mut self, callback: impl Fn(&CrashReport) + Send + Sync + 'static) -> Self {
        self.on_crash = Some(Box::new(callback));
        self
    }

    /// The bus limits (see [`BusBuilder`]).
    pub fn bus(mut self, bus: BusBuilder) -> Self {
        self.bus = bus;
        self
    }

    /// Adds a service, made by `factory` once the Core exists (so the service can keep
    /// it). Services start in the order added, or after the services they name in
    /// [`Registration::after`]. Factories run in the order added, whatever the
    /// dependencies: a factory that looks another service up (`core.service::<Store>`)
    /// finds it only when it was added before. A factory makes the service and registers
    /// its handlers; it runs inside `build()`, which may run outside any async runtime
    /// ([`run_blocking`](CoreBuilder::run_blocking) builds before it starts one, and
    /// `--help` and `completion` build too): I/O and tasks (`tokio::spawn`, a pool's
    /// reaper) belong in the service's start hook (`ServiceCtx::spawn`). Prefer
    /// [`service_named`](CoreBuilder::service_named) for a service a test may replace.
    pub fn service(
        mut self,
        factory: impl FnOnce(&Core) -> Result<Registration<Core>> + Send + 'static,
    ) -> Self {
        self.factories.push((None, Box::new(factory)));
        self
    }

    /// Adds the service `name`, made by `factory` once the Core exists: as
    /// [`service`](CoreBuilder::service), with the name known before the factory runs. A
    /// test's `fake_service` for `name` (feature `testing`) then takes its place without
    /// running its factory at all, so nothing the real factory would do — connect to a
    /// database, register bus handlers or commands — happens under test.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// struct StoreRoot;
    /// impl Query for StoreRoot { type Answer = String; }
    ///
    /// let core = Core::builder()
    ///     .service_named("store", |core| {
    ///         core.bus().on_query(|_, _: &StoreRoot| Some(Ok("/srv/workbench".to_owned())));
    ///         Ok(Registration::new("store", Hooks::new()))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.query(&StoreRoot).answer().as_deref(), Some("/srv/workbench"));
    /// ```
    ///
    /// `build()` fails with [`ErrorCode::INVALID`](corers_primitives::ErrorCode::INVALID)
    /// when the factory returns a registration under another name.
    pub fn service_named(
        mut self,
        name: impl Into<String>,
        factory: impl FnOnce(&Core) -> Result<Registration<Core>> + Send + 'static,
    ) -> Self {
        self.factories.push((Some(name.into()), Box::new(factory)));
        self
    }

    /// Registers a named Action. `build()` fails with
    /// [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT) when two are added
    /// under one name (two plugins' `db.query`); a running Core replaces a handler through
    /// [`actions().register`](corers_messaging::Actions::register).
    pub fn action(mut self, spec: ActionSpec<Core>) -> Self {
        self.actions.push(spec);
        self
    }

    /// Defines a named Task. Its schedule, if any, runs while the Core serves: after
    /// [`Core::startup`], for a command that [serves](corers_cli::Command::serves) (a
    /// daemon's `serve`; not a one-shot command run beside it, which would run it a second
    /// time), and for a `run` without the `cli` feature. `build()`
    /// fails with [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT) when two
    /// are defined under one name.
    pub fn task(mut self, name: impl Into<String>, def: TaskDef) -> Self {
        self.tasks.push((name.into(), def));
        self
    }

    /// Registers a command at `path` (`workspace/create`).
    #[cfg(feature = "cli")]
    pub fn command(mut self, path: impl Into<String>, command: corers_cli::Command<Core>) -> Self {
        self.commands.push((path.into(), command));
        self
    }

    /// Leaves out the built-in command `name` — `config` (the effective settings) or
    /// `health` — for a shipped tool that should not offer it.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().without_builtin("config").build().unwrap();
    /// assert!(core.cli().tree().get("config").is_none());
    /// assert!(core.cli().tree().get("health").is_some());
    /// ```
    ///
    /// `build` fails with [`ErrorCode::INVALID`](corers_primitives::ErrorCode::INVALID)
    /// for a name that is not a built-in (`confg`).
    #[cfg(feature = "cli")]
    pub fn without_builtin(mut self, name: impl Into<String>) -> Self {
        self.without.push(name.into());
        self
    }

    /// Overrides an environment key for this Core (see [`Core::env`]); the last value
    /// given for a key wins. The config's environment layer reads it too: when the config
    /// reads `WORKBENCH_*` (the default for an application named `workbench`, or
    /// `env_prefix("WORKBENCH")`), `env("WORKBENCH_WORKERS", "8")` is its `workers`. Later
    /// changes ([`Core::set_env`]) are `core.env`'s only.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        crate::env::set_override(&mut self.env, key.into(), Some(value.into()));
        self
    }

    /// Makes an environment key unset for this Core, whatever the process environment
    /// says (as `std::process::Command::env_remove`): a test that must not see the
    /// developer's `DEPLOY_REPLICAS` or `RUST_LOG`, without `std::env::remove_var`
    /// (`unsafe`, and racing the other tests of the process). The config does not see it
    /// either.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder()
    ///     .env_remove("HOME")
    ///     .env_remove("XDG_CONFIG_HOME")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.env("HOME"), None);
    /// assert_eq!(core.env("DIR_CONFIG"), None); // nothing to default beneath
    /// ```
    pub fn env_remove(mut self, key: impl Into<String>) -> Self {
        crate::env::set_override(&mut self.env, key.into(), None);
        self
    }

    /// Confines [`Core::fs`] to `root` (an existing directory; default: the working
    /// directory at build time).
    #[cfg(feature = "fs")]
    pub fn fs_root(mut self, root: impl Into<std::path::PathBuf>) -> Self {
        self.fs_root = Some(root.into());
        self
    }

    /// The config's sources: defaults, files, the environment prefix (see
    /// [`ConfigBuilder`](corers_config::ConfigBuilder)). Without this, the config reads
    /// only the environment, under the application's name in upper case (`workbench` reads
    /// `WORKBENCH_*`; no name, no environment). The config logs through the Core's logger
    /// (one given with [`ConfigBuilder::logger`](corers_config::ConfigBuilder::logger) is
    /// replaced by it).
    ///
    /// ```
    /// use corers::prelude::*;
    /// use corers::config::Config;
    ///
    /// let core = Core::builder()
    ///     .name("workbench")
    ///     .config(Config::builder().default_value("cache.ttl", 300))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.config().int("cache.ttl").unwrap(), 300);
    /// ```
    #[cfg(feature = "config")]
    pub fn config(mut self, config: corers_config::ConfigBuilder) -> Self {
        self.config = Some(config);
        self
    }

    /// Adds to the config's sources instead of replacing them: `edit` is handed the config
    /// builder when the Core is built — the one [`config`](CoreBuilder::config) set, or
    /// the default one (the environment under the application's name) — after the edits
    /// added before it. For a part of the application that brings its own defaults, as a
    /// bevy plugin or an fx module would, without knowing the application's sources. Its
    /// files, environment and `--set` outrank those defaults; a default the application
    /// gives the same key is replaced, as the later of two defaults is kept: give each part
    /// its own keys (`search.*`).
    ///
    /// ```
    /// use corers::prelude::*;
    /// use corers::config::Config;
    ///
    /// /// The search part of an application: its defaults (and its Actions, commands…).
    /// fn search(builder: CoreBuilder) -> CoreBuilder {
    ///     builder.config_with(|config| {
    ///         config.default_value("search.limit", 20).default_value("search.fuzzy", true)
    ///     })
    /// }
    ///
    /// let core = search(Core::builder().name("workbench"))
    ///     .config(
    ///         Config::builder()
    ///             .env_prefix("WORKBENCH")
    ///             .env_vars([("WORKBENCH_SEARCH__LIMIT", "50")]),
    ///     )
    ///     .build()
    ///     .unwrap();
    /// // The application's sources still read, and outrank the module's defaults.
    /// assert_eq!(core.config().int("search.limit").unwrap(), 50);
    /// assert!(core.config().bool("search.fuzzy").unwrap());
    /// ```
    #[cfg(feature = "config")]
    pub fn config_with(
        mut self,
        edit: impl FnOnce(corers_config::ConfigBuilder) -> corers_config::ConfigBuilder + Send + 'static,
    ) -> Self {
        self.config_edits.push(Box::new(edit));
        self
    }

    /// Takes the `--set key=value` arguments in `args` into the config's command-line
    /// layer as soon as the config is built, so that the service factories read them too
    /// (run later on the same arguments, [`Core::run_with`] takes them again, to the same
    /// effect). [`CoreBuilder::run_blocking`] does this with the process's arguments. A
    /// malformed `--set` is left for the run to report as a usage error (exit code 2);
    /// the factories see none of the arguments' settings then.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .settings_from_args(["--set", "store.root=/srv/ws", "workspace", "list"])
    ///     .service(|core| {
    ///         assert_eq!(core.config().string("store.root").unwrap(), "/srv/ws");
    ///         Ok(Registration::new("store", Hooks::new()))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// ```
    #[cfg(feature = "config")]
    pub fn settings_from_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings_args = args.into_iter().map(Into::into).collect();
        self
    }

    /// The value of the program this Core is embedded in — a GUI application's handle, say —
    /// for services to reach through [`Core::host`]. The host drives the Core with
    /// [`Core::startup`] and [`Core::shutdown`] from its own event loop.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// struct Window { title: &'static str }
    ///
    /// let core = Core::builder().host(Window { title: "Workbench" }).build().unwrap();
    /// assert_eq!(core.host::<Window>().unwrap().title, "Workbench");
    /// ```
    pub fn host<H: std::any::Any + Send + Sync>(mut self, host: H) -> Self {
        self.host = Some(Arc::new(host));
        self
    }

    /// How long a [shutdown](Core::shutdown) may take in all (default 30 s), counted from
    /// its start — under [`run`](Core::run), from the stop asked for while the command ran
    /// (a signal, a failed service task, `request_shutdown`): a command still running
    /// once it has passed is abandoned, and the time it took to return is the stop's
    /// less; or from the command's return when it returned by itself. Background work
    /// — detached Task steps, the bus's background tasks — is waited for within it, then
    /// the services stop, each hook also under its own
    /// [`stop_timeout`](corers_lifecycle::Registration::stop_timeout); once it has passed,
    /// the shutdown is forced, and it ends within 250 ms more. Background work that never
    /// ends uses the whole of it and leaves the stop hooks only that grace: keep
    /// background tasks cancellable. Under a supervisor that kills after a grace period,
    /// keep it below that grace: systemd's is 90 s, Kubernetes'
    /// `terminationGracePeriodSeconds` 30 s by default (as long as this default: set 25 s,
    /// say), `docker stop`'s 10 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .name("workbench")
    ///     .shutdown_timeout(Duration::from_secs(20))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.app().name, "workbench");
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Whether the Core takes the process-wide logging hooks: once built, its logger is
    /// [`corers_log::default_logger`] (the one the panic hook reports to); running, its
    /// logger becomes tracing's global default, for events from threads and tasks of the
    /// application's own and for the `log` crate's records (see
    /// [`Logger::install_global`](corers_log::Logger::install_global)), and, under
    /// [`Core::run_blocking`], the panic hook becomes
    /// [`corers_log::install_panic_hook`]'s. Default on, as bevy's `LogPlugin`. Turn it off
    /// for an application that sets these up itself: tracing after the Core runs
    /// (`tracing_subscriber::fmt().init()` panics once a global default is set), or a
    /// panic hook of its own (a crash reporter such as Sentry's) that must stay; and for a
    /// Core embedded beside others (a tenant's), which must not take the default logger.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .global_logging(false)
    ///     .command("cache/flush", Command::new().action(|_, _| async { Ok(Value::Null) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.run_blocking_with(["cache", "flush"]), std::process::ExitCode::SUCCESS);
    /// // Still free for the application's own subscriber.
    /// assert!(tracing::dispatcher::set_global_default(tracing::Dispatch::none()).is_ok());
    /// ```
    pub fn global_logging(mut self, on: bool) -> Self {
        self.global_logging = on;
        self
    }

    /// Lets start hooks register commands (CoreGO's way: a service adds its commands in
    /// `OnStartup`): a command line naming no command registered when the run begins
    /// then starts the services, and is refused only if none of them registered it. Off
    /// by default: commands are registered while the Core is built (by
    /// [`command`](CoreBuilder::command) or a service factory), and a mistyped command
    /// is a usage error before anything starts, as clap's is — no database connected,
    /// no file locked, for `workbench wrokspace list`.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// let core = Core::builder()
    ///     .commands_at_start()
    ///     .service(|_| Ok(Registration::new("plugins", Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
    ///         ctx.core().cli().register(
    ///             "plugin/sync",
    ///             Command::new().action(|_, _| async { Ok(Value::from("synced")) }),
    ///         )
    ///     }))))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.run_blocking_with(["plugin", "sync"]), std::process::ExitCode::SUCCESS);
    /// ```
    #[cfg(feature = "cli")]
    pub fn commands_at_start(mut self) -> Self {
        self.commands_at_start = true;
        self
    }

    /// The test kit's logging: `logger` instead of the default one and of the settings
    /// that make it (level, crash file and callback), and no process-wide hooks.
    #[cfg(feature = "testing")]
    pub(crate) fn logging_to(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self.log_level = None;
        self.log_format = None;
        self.crash_file = None;
        self.on_crash = None;
        self.global_logging = false;
        self
    }

    /// Roots the Core's filesystem in a new temporary directory, kept with the Core (the
    /// test kit's; a failure to make it fails `build()`), instead of any root named so far
    /// (the application's data directory is no place for a test); a root named after this
    /// (a test's fixture) is used instead.
    #[cfg(all(feature = "testing", feature = "fs"))]
    pub(crate) fn in_scratch_dir(mut self) -> Self {
        self.fs_root = None;
        self.scratch = Some(tempfile::Builder::new().prefix("corers-test-").tempdir());
        self
    }

    #[cfg(feature = "testing")]
    pub(crate) fn with_fake(mut self, name: String, fake: Factory) -> Self {
        // The last fake given for a name wins.
        self.fakes.retain(|(n, _)| *n != name);
        self.fakes.push((name, fake));
        self
    }

    /// Builds the Core: the config and fs root, the bus, Actions, Tasks, commands, then
    /// every service factory in order and the fakes that replace them, then the built-in
    /// commands and the services' start order; then locks the service registry and makes
    /// the Core's logger the process default.
    ///
    /// # Errors
    /// The first failure, wrapped to say what was being built: a config that does not
    /// read ([`ErrorCode::INVALID`](crate::primitives::ErrorCode::INVALID), whatever the
    /// cause: a bad file, a missing one, a directory in its place), an unusable fs root, `crash_file` / `on_crash` given with `logger`,
    /// invalid bus limits, an Action, Task or command that is refused, a factory's error
    /// (including a service name used twice, and a `service_named` factory that returns
    /// another name), a fake with no service of its name, an unknown `without_builtin`
    /// name, or a missing dependency or a dependency cycle. Nothing built so far escapes.
    pub fn build(mut self) -> Result<Core> {
        let log = self.take_logger()?;
        self.assemble(log.clone(), &mut OnError::Fail)
            .inspect_err(|err| log_build_failure(&log, err))
    }

    /// The Core's logger (see [`core_logger`]), its settings taken out of the builder.
    fn take_logger(&mut self) -> Result<Logger> {
        core_logger(
            self.logger.take(),
            &self.app,
            &self.env,
            DefaultLogSettings {
                level: self.log_level.take(),
                format: self.log_format.take(),
                crash_file: self.crash_file.take(),
                on_crash: self.on_crash.take(),
            },
        )
    }

    /// Whether `config` will be the built-in command (not left out, not the application's
    /// own).
    #[cfg(all(feature = "cli", feature = "config"))]
    pub(crate) fn builtin_config(&self) -> bool {
        !self.without.iter().any(|name| name == "config")
            && !self.commands.iter().any(|(path, _)| path == "config")
    }

    /// [`build`](CoreBuilder::build), leaving out what does not build instead of failing:
    /// a config source that does not read, a factory that fails (the factories after it
    /// still run, which a failing `build` never reaches), a fake without its service, a
    /// dependency that cannot be ordered. Returns the Core and what was left
    /// out; the rest of `build`'s errors still fail it. For answering `--help` when the
    /// application would not build: such a Core is never started.
    #[cfg(feature = "cli")]
    pub(crate) fn build_lenient(mut self) -> Result<(Core, Vec<Error>)> {
        let log = self.take_logger()?;
        let mut left_out = Vec::new();
        let core = self
            .assemble(log.clone(), &mut OnError::LeaveOut(&mut left_out))
            .inspect_err(|err| log_build_failure(&log, err))?;
        Ok((core, left_out))
    }

    fn assemble(self, log: Logger, on_error: &mut OnError<'_>) -> Result<Core> {
        const OP: &str = "corers.CoreBuilder.build";
        let bus: Bus<Core> = self
            .bus
            .logger(log.clone())
            .build()
            .map_err(|e| Error::wrap(e, OP, "build the bus"))?;
        let actions = Actions::new(bus.clone());
        let tasks = Tasks::new(actions.clone());
        let scheduler = Scheduler::new(tasks.clone());
        let services = Services::with_drain_deadline(bus.clone(), self.shutdown_timeout);
        // The Core's context is the services': cancelled before any stop hook runs, also
        // those of a failed startup's rollback.
        let shutdown = services.context().clone();
        #[cfg(all(feature = "testing", feature = "fs"))]
        let (scratch, fs_root) = match self.scratch.transpose() {
            Ok(scratch) => {
                let root = self
                    .fs_root
                    .or_else(|| scratch.as_ref().map(|dir| dir.path().to_owned()));
                (scratch, root)
            }
            Err(e) => return Err(Error::wrap(e, OP, "make the test's scratch directory")),
        };
        #[cfg(all(feature = "fs", not(feature = "testing")))]
        let fs_root = self.fs_root;
        #[cfg(feature = "fs")]
        let fs = open_fs(fs_root, &log)?;
        #[cfg(feature = "config")]
        let config = read_config(
            edited(self.config, self.config_edits, &self.app)?
                // The config reads the environment as `core.env` does: overrides first.
                .env_overlay(self.env.clone())
                .logger(log.clone()),
            on_error,
        )?;
        #[cfg(feature = "cli")]
        let cli = new_cli(&self.app);
        let core = Core {
            inner: Arc::new(Inner {
                app: self.app,
                options: self.options,
                bus,
                actions,
                tasks,
                scheduler,
                services,
                #[cfg(feature = "cli")]
                cli,
                #[cfg(feature = "fs")]
                fs,
                #[cfg(all(feature = "testing", feature = "fs"))]
                _scratch: scratch,
                #[cfg(feature = "config")]
                config,
                log,
                shutdown,
                env: Mutex::new(self.env),
                started: SystemTime::now(),
                shutdown_timeout: self.shutdown_timeout,
                global_logging: self.global_logging,
                #[cfg(feature = "cli")]
                commands_at_start: self.commands_at_start,
                captured: Mutex::new(None),
                unwritten: std::sync::OnceLock::new(),
                hung_up: std::sync::atomic::AtomicBool::new(false),
                host: self.host,
            }),
        };
        register_actions_and_tasks(&core, self.actions, self.tasks)?;
        #[cfg(feature = "cli")]
        {
            for (path, command) in self.commands {
                core.inner
                    .cli
                    .register(&path, command)
                    .map_err(|e| Error::wrap(e, OP, format!("register command {path:?}")))?;
            }
        }
        // Before the factories, which may read them; a malformed `--set` is the run's to
        // report (as a usage error), so nothing of it is taken here.
        #[cfg(feature = "config")]
        if !self.settings_args.is_empty() {
            let _ = core.inner.config.set_from_args(self.settings_args);
        }
        register_services(&core, self.factories, self.fakes, on_error)?;
        // After the factories: a command a service registers as `health` or `config` is the
        // application's own, and the built-in steps aside.
        #[cfg(feature = "cli")]
        crate::commands::register_builtins(&core, &self.without)
            .map_err(|e| Error::wrap(e, OP, "register the built-in commands"))?;
        // The services are fixed from here on: no service can add or replace another.
        core.inner.services.lock();
        // A missing dependency or a cycle is a build error, not a surprise at startup.
        if let Err(err) = core.inner.services.order() {
            on_error.leave_out(Error::wrap(err, OP, "order the services"))?;
        }
        // The process's default logger follows the Core built last — one of the
        // process-wide hooks an embedded or test Core leaves alone.
        if self.global_logging {
            core.inner.log.make_default();
        }
        Ok(core)
    }
}

/// What a build does with a part that does not build.
enum OnError<'a> {
    /// Fails with its error ([`CoreBuilder::build`]).
    Fail,
    /// Goes on without it and keeps its error here (`CoreBuilder::build_lenient`).
    #[cfg_attr(
        not(feature = "cli"),
        allow(dead_code, reason = "only help builds leniently")
    )]
    LeaveOut(&'a mut Vec<Error>),
}

impl OnError<'_> {
    /// `err` back when the build fails on it, else kept and `Ok`.
    fn leave_out(&mut self, err: Error) -> Result<()> {
        match self {
            OnError::Fail => Err(err),
            OnError::LeaveOut(left_out) => {
                left_out.push(err);
                Ok(())
            }
        }
    }
}

/// Reads the config from `builder`; a source that does not read goes to `on_error`.
#[cfg(feature = "config")]
fn read_config(
    builder: corers_config::ConfigBuilder,
    on_error: &mut OnError<'_>,
) -> Result<corers_config::Config> {
    // INVALID whatever the cause's own code (a directory where the file should be is a
    // CONFLICT, an unreadable one DENIED): a config that does not read is a setting to fix,
    // so the start fails with 78 (EX_CONFIG), which a supervisor does not retry.
    let wrap = |e| {
        Error::wrap_code(
            e,
            corers_primitives::ErrorCode::INVALID,
            "corers.CoreBuilder.build",
            "read the config",
        )
    };
    match on_error {
        OnError::Fail => builder.build().map_err(wrap),
        OnError::LeaveOut(_) => {
            let (config, left_out) = builder.build_lenient();
            for err in left_out {
                on_error.leave_out(wrap(err))?;
            }
            Ok(config)
        }
    }
}

/// Registers the builder's Actions and defines its Tasks on `core`.
fn register_actions_and_tasks(
    core: &Core,
    actions: Vec<ActionSpec<Core>>,
    tasks: Vec<(String, TaskDef)>,
) -> Result<()> {
    const OP: &str = "corers.CoreBuilder.build";
    // One name, one Action: a second one added (two plugins' "db.query") would replace the
    // first unseen. Replacing a handler is for a running Core, through `core.actions()`.
    fn twice<'a>(kind: &str, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        match names.into_iter().find(|name| !seen.insert(*name)) {
            Some(name) => Err(Error::new(OP, format!("{kind} {name:?} is added twice"))
                .with_code(ErrorCode::CONFLICT)),
            None => Ok(()),
        }
    }
    twice("action", actions.iter().map(ActionSpec::name))?;
    twice("task", tasks.iter().map(|(name, _)| name.as_str()))?;
    for spec in actions {
        core.inner
            .actions
            .register(spec)
            .map_err(|e| Error::wrap(e, OP, "register an action"))?;
    }
    for (name, def) in tasks {
        core.inner
            .tasks
            .define(&name, def)
            .map_err(|e| Error::wrap(e, OP, format!("define task {name:?}")))?;
    }
    Ok(())
}

/// Makes each service with its factory (or its fake, when one is given for its name) and
/// registers it; a service that cannot be made or registered goes to `on_error`.
fn register_services(
    core: &Core,
    factories: Vec<(Option<String>, Factory)>,
    mut fakes: Vec<(String, Factory)>,
    on_error: &mut OnError<'_>,
) -> Result<()> {
    const OP: &str = "corers.CoreBuilder.build";
    // A factory that panics fails the build like one that returns an error; what it logs
    // goes where the Core's own events go. Its failure says whose it was (`whose`, worded
    // only then).
    let make = |factory: Factory, whose: &dyn Fn() -> String| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core.logging_now(|| factory(core))
        }))
        .map_err(|payload| Error::from_caught(OP, payload))
        .and_then(|made| made)
        .map_err(|e| Error::wrap(e, OP, whose()))
    };
    let take_fake = |fakes: &mut Vec<(String, Factory)>, name: &str| {
        let at = fakes.iter().position(|(faked, _)| faked == name)?;
        Some(fakes.swap_remove(at).1)
    };
    let registration_of = |declared: Option<String>,
                           factory: Factory,
                           added: usize,
                           fakes: &mut Vec<(String, Factory)>|
     -> Result<Registration<Core>> {
        // Which service failed, in words: its name when it was declared, else the order in
        // which it was added (a factory that failed named nothing).
        let whose = |what: &str| match &declared {
            Some(name) => format!("make {what} {name:?}"),
            None => format!("make the {} {what} added", ordinal(added)),
        };
        // Declared by name and faked: the real factory never runs.
        let faked_by_name = declared.as_deref().and_then(|name| take_fake(fakes, name));
        Ok(match (declared.as_deref(), faked_by_name) {
            (Some(name), Some(fake)) => make(fake, &|| whose("the fake of service"))?.renamed(name),
            (declared, _) => {
                let real = make(factory, &|| whose("service"))?;
                if let Some(name) = declared.filter(|name| *name != real.name()) {
                    return Err(Error::new(
                        OP,
                        format!(
                            "the factory of service {name:?} made one named {:?}",
                            real.name()
                        ),
                    )
                    .with_code(corers_primitives::ErrorCode::INVALID));
                }
                match take_fake(fakes, real.name()) {
                    Some(fake) => make(fake, &|| {
                        format!("make the fake of service {:?}", real.name())
                    })?
                    .renamed_after(&real),
                    None => real,
                }
            }
        })
    };
    for (added, (declared, factory)) in factories.into_iter().enumerate() {
        let registered =
            registration_of(declared, factory, added + 1, &mut fakes).and_then(|registration| {
                let name = registration.name().to_owned();
                core.inner
                    .services
                    .register(registration)
                    .map_err(|e| Error::wrap(e, OP, "register a service"))?;
                Ok(name)
            });
        match registered {
            Ok(name) => core
                .inner
                .log
                .audit(AuditEvent::ServiceRegistered { service: &name }),
            Err(err) => on_error.leave_out(err)?,
        }
    }
    if let Some((name, _)) = fakes.first() {
        let names = core.inner.services.names();
        let hint = corers_primitives::did_you_mean(name, names.iter().map(String::as_str));
        // A lenient build may have left its service out: not a reason to give up.
        on_error.leave_out(
            Error::new(
                OP,
                format!("fake for {name:?}: no service of that name is registered{hint}"),
            )
            .with_code(corers_primitives::ErrorCode::NOT_FOUND),
        )?;
    }
    Ok(())
}

/// `n` in words of order: `1st`, `2nd`, `3rd`, `11th`, `22nd`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Logs the whole of a build failure (operations, codes) at debug level through the
/// logger the Core would have had: what is printed for it is only its messages.
fn log_build_failure(log: &Logger, err: &Error) {
    log.in_scope(|| tracing::debug!(error = %err, "the application did not build"));
}

/// The Core's logger: the one given, or the default one with the settings given for it
/// (which a given logger must have set on its own builder instead).
fn core_logger(
    given: Option<Logger>,
    app: &App,
    env: &crate::env::Overrides,
    settings: DefaultLogSettings,
) -> Result<Logger> {
    match given {
        Some(_)
            if settings.level.is_some()
                || settings.format.is_some()
                || settings.crash_file.is_some()
                || settings.on_crash.is_some() =>
        {
            Err(Error::new(
                "corers.CoreBuilder.build",
                "crash_file, on_crash, log_level and log_format configure the default logger: \
                 with CoreBuilder::logger, set them on that logger's builder",
            )
            .with_code(corers_primitives::ErrorCode::INVALID))
        }
        Some(logger) => Ok(logger),
        None => Ok(default_logger(app, env, settings)),
    }
}

/// The settings of the logger a Core gets when none is given.
struct DefaultLogSettings {
    level: Option<corers_log::Level>,
    format: Option<corers_log::Format>,
    crash_file: Option<std::path::PathBuf>,
    on_crash: Option<CrashCallback>,
}

/// How many `RUST_LOG` directives left out are said one by one; the rest are counted:
/// 10,000 bad ones are not 10,000 lines.
const RUST_LOG_SAID: usize = 3;

/// The logger a Core gets when none is given: lines in the format given (human text by
/// default) on standard error at the
/// `log_level` given (info by default) and the levels `RUST_LOG` names (the Core's
/// override, else the process's), crash reports carrying the app's name and version, to
/// `crash_file` and `on_crash` when set.
fn default_logger(
    app: &App,
    env: &crate::env::Overrides,
    DefaultLogSettings {
        level,
        format,
        crash_file,
        on_crash,
    }: DefaultLogSettings,
) -> Logger {
    let mut not_utf8 = false;
    let rust_log = match env.iter().find(|(key, _)| key == "RUST_LOG") {
        Some((_, value)) => value.clone().unwrap_or_default(),
        None => std::env::var("RUST_LOG").unwrap_or_else(|err| {
            not_utf8 = matches!(err, std::env::VarError::NotUnicode(_));
            String::new()
        }),
    };
    let (filter, left_out) = corers_log::Filter::parse_lossy(&rust_log, level.unwrap_or_default());
    let mut builder = Logger::builder()
        .filter(filter)
        .format(format.unwrap_or_default());
    if !app.name.is_empty() {
        builder = builder.crash_meta("app", app.name.clone());
    }
    if !app.version.is_empty() {
        builder = builder.crash_meta("version", app.version.clone());
    }
    if let Some(path) = crash_file {
        builder = builder.crash_file(path);
    }
    if let Some(callback) = on_crash {
        builder = builder.on_crash(callback);
    }
    let log = builder.build();
    if not_utf8 {
        corers_log::warn!(log, "RUST_LOG ignored: not UTF-8");
    }
    for err in left_out.iter().take(RUST_LOG_SAID) {
        corers_log::warn!(log, error = %err, "RUST_LOG directive left out");
    }
    if left_out.len() > RUST_LOG_SAID {
        corers_log::warn!(
            log,
            more = left_out.len() - RUST_LOG_SAID,
            "more RUST_LOG directives left out"
        );
    }
    log
}

/// The command line for `app`: its name (or `app`) in usage lines, its description in the
/// banner, its version for `--version`.
#[cfg(feature = "cli")]
fn new_cli(app: &App) -> corers_cli::Cli<Core> {
    let program = program_name(app).to_owned();
    // Flags fall back on the Core's environment variables: its overrides, and the audit of
    // secrets; not its computed keys (a flag reading ARCH would never take its default).
    let mut cli =
        corers_cli::Cli::new(program.clone()).with_env(|core: &Core, key| core.env_os(key));
    if !app.version.is_empty() {
        cli = cli.with_version(app.version.clone());
    }
    // Taken out of the arguments by the run, before the command line sees them.
    #[cfg(feature = "config")]
    {
        cli = cli.with_global_flag(
            "--set <key=value>",
            "set a config value for this run (repeatable)",
        );
    }
    if app.description.is_empty() {
        return cli;
    }
    let banner = format!("{program} — {}", app.description);
    cli.with_banner(move || banner.clone())
}

/// What the command line calls the application: its name, or `app` without one.
#[cfg(feature = "cli")]
pub(crate) fn program_name(app: &App) -> &str {
    if app.name.is_empty() {
        "app"
    } else {
        &app.name
    }
}

/// The config's builder: the application's (`config`), or the default one, with the edits
/// (`config_with`) applied in order; an edit that panics fails the build, as a factory
/// that panics does.
#[cfg(feature = "config")]
fn edited(
    config: Option<corers_config::ConfigBuilder>,
    edits: Vec<ConfigEdit>,
    app: &App,
) -> Result<corers_config::ConfigBuilder> {
    const OP: &str = "corers.CoreBuilder.build";
    let base = config.unwrap_or_else(|| default_config(app));
    edits
        .into_iter()
        .enumerate()
        .try_fold(base, |config, (i, edit)| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| edit(config))).map_err(
                |payload| {
                    let nth = ordinal(i + 1);
                    Error::wrap(
                        Error::from_caught(OP, payload),
                        OP,
                        format!("edit the config (the {nth} config_with)"),
                    )
                },
            )
        })
}

/// The config sources an application gets by default: the environment under its name in
/// upper case, with anything but letters and digits as `_` (`work-bench` → `WORK_BENCH_*`).
#[cfg(feature = "config")]
fn default_config(app: &App) -> corers_config::ConfigBuilder {
    let builder = corers_config::Config::builder();
    if app.name.is_empty() {
        return builder;
    }
    let prefix: String = app
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    // A name with no ASCII letter or digit has no prefix to read under.
    if prefix.trim_matches('_').is_empty() {
        return builder;
    }
    builder.env_prefix(&prefix)
}

/// The filesystem confined to `root` (the working directory by default), auditing into
/// `log`.
#[cfg(feature = "fs")]
fn open_fs(root: Option<std::path::PathBuf>, log: &Logger) -> Result<corers_fs::Fs> {
    const OP: &str = "corers.CoreBuilder.build";
    let root = match root {
        Some(root) => root,
        None => std::env::current_dir().map_err(|e| {
            Error::wrap_code(
                e,
                corers_primitives::ErrorCode::UNAVAILABLE,
                OP,
                "read the working directory",
            )
        })?,
    };
    Ok(corers_fs::Fs::new(&root)
        .map_err(|e| Error::wrap(e, OP, "open the filesystem root"))?
        .with_log(log.clone()))
}

impl fmt::Debug for CoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreBuilder")
            .field("app", &self.app)
            .field("services", &self.factories.len())
            .finish_non_exhaustive()
    }
}
