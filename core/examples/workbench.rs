//! `workbench`: a small application built the CoreRS way.
//!
//! Services with a dependency (`store` ← `indexer`), layered settings (defaults <
//! `workbench.toml` < `WORKBENCH_*` variables) checked at start and on every reload,
//! commands on a path tree, a query answered over the bus, a background task reporting
//! progress, and a health check.
//!
//! ```text
//! cargo run --example workbench -- workspace create --name=alpha
//! cargo run --example workbench -- workspace list
//! cargo run --example workbench -- health
//! WORKBENCH_INDEX__FILES_PER_CHAR=3 cargo run --example workbench -- config
//! cargo run --example workbench -- help workspace create
//! cargo run --example workbench -- serve   # until Ctrl-C (a second one forces the stop)
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corers::prelude::*;

/// Where workspaces live (in memory: each run starts with the `default` workspace).
struct Store {
    workspaces: Mutex<Vec<String>>,
}

impl Store {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Vec<String>>> {
        self.workspaces.lock().map_err(|_| {
            Error::new("workbench.Store", "workspace list poisoned").with_code(ErrorCode::INTERNAL)
        })
    }
}

impl Service<Core> for Store {
    fn health(self: Arc<Self>, _ctx: ServiceCtx<Core>) -> BoxFuture<Health> {
        Box::pin(async move {
            match self.workspaces.lock() {
                Ok(_) => Health::Healthy,
                Err(_) => Health::Unhealthy("workspace list poisoned".into()),
            }
        })
    }
}

/// How many workspaces there are: answered by the store over the bus.
pub(crate) struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

/// The settings the services read, checked by the config whenever it is built or reloaded.
#[derive(serde::Deserialize)]
struct Index {
    files_per_char: usize,
}

impl Index {
    /// Whether the config's `index` table is one the indexer takes.
    fn check(config: &corers::config::ConfigView) -> Result<()> {
        let index = config.extract::<Index>("index")?;
        if (1..=1000).contains(&index.files_per_char) {
            return Ok(());
        }
        Err(Error::new(
            "workbench.Index",
            format!(
                "index.files_per_char is {}, not 1 to 1000",
                index.files_per_char
            ),
        )
        .with_code(ErrorCode::INVALID))
    }
}

/// Indexing a new workspace: a background task that reports its progress.
pub(crate) struct IndexWorkspace {
    name: String,
    id: Option<TaskId>,
}
impl Task for IndexWorkspace {
    type Output = usize;
    fn set_id(&mut self, id: &TaskId) {
        self.id = Some(id.clone());
    }
}

fn create(core: Core, options: Options) -> BoxFuture<Result<Value>> {
    Box::pin(async move {
        let name = options.string("name").unwrap_or_default();
        let name = corers::primitives::validate_name(name)
            .wrap_err("workbench.create", "workspace name")?
            .to_owned();
        let store = core.service::<Store>("store").ok_or_else(|| {
            Error::new("workbench.create", "no store").with_code(ErrorCode::INTERNAL)
        })?;
        // Reserved now, so that a second create of the name is refused at once; given back
        // unless the indexing succeeds, so that a failed create leaves nothing behind.
        let reserved = Reserved::take(&store, &name)?;
        // Indexed in the background (its progress is printed as it goes); the handle
        // hands over its outcome.
        let files = core
            .perform_async_handle(IndexWorkspace {
                name: name.clone(),
                id: None,
            })?
            .await
            .wrap_err("workbench.create", "index the workspace")?;
        reserved.keep();
        let count = core.query(&WorkspaceCount).answer().unwrap_or_default();
        Ok(Value::from(format!(
            "created workspace {name:?}: {files} files indexed ({count} workspaces)"
        )))
    })
}

/// A workspace name taken in the store, removed again when dropped before [`keep`].
///
/// [`keep`]: Reserved::keep
struct Reserved<'a> {
    store: &'a Store,
    name: &'a str,
    kept: bool,
}

impl<'a> Reserved<'a> {
    fn take(store: &'a Store, name: &'a str) -> Result<Reserved<'a>> {
        let mut workspaces = store.lock()?;
        if workspaces.iter().any(|w| w == name) {
            return Err(Error::new(
                "workbench.create",
                format!("workspace {name:?} already exists"),
            )
            .with_code(ErrorCode::CONFLICT));
        }
        workspaces.push(name.to_owned());
        Ok(Reserved {
            store,
            name,
            kept: false,
        })
    }

    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if !self.kept
            && let Ok(mut workspaces) = self.store.lock()
        {
            workspaces.retain(|w| w != self.name);
        }
    }
}

/// The indexer's hooks: a background loop of its own, supervised: stopped in the indexer's
/// turn (before the store it reads), and a failure of it would stop the application with
/// its error instead of going unnoticed.
fn refreshing() -> Hooks<Core> {
    Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
        let stopping = ctx.stopping().clone();
        ctx.spawn("refresh", async move {
            let mut every = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = every.tick() => { /* re-scan the workspaces' files */ }
                    () = stopping.cancelled() => return Ok(()),
                }
            }
        })
    })
}

/// The application: services, settings and commands, ready to build (the tests build it
/// too, and drive it through `corers::testing::run_cli`).
pub(crate) fn workbench() -> CoreBuilder {
    Core::builder()
        .name("workbench")
        .version(env!("CARGO_PKG_VERSION"))
        .description("workspaces, indexed")
        // Quiet but for warnings, unless RUST_LOG asks for more (RUST_LOG=debug, or
        // RUST_LOG=corers_lifecycle=debug for the services alone).
        .log_level(corers::log::Level::Warn)
        .config(
            Config::builder()
                .default_value("workspace.first", "default")
                .default_value("index.files_per_char", 7)
                .optional_file("workbench.toml")
                .env_prefix("WORKBENCH")
                // Settings that do not fit are refused, naming the key and its source: at
                // start (exit 78), and on a reload (SIGHUP), which keeps the config in force.
                .validate(Index::check),
        )
        // Declared by name: a test can fake the store whole (`fake_service("store", ..)`),
        // and its factory, with the query handler it registers, does not run then.
        .service_named("store", |core| {
            let first = core.config().string("workspace.first")?;
            corers::primitives::validate_name(&first)
                .wrap_err("workbench.Store", "workspace.first")?;
            let store = Store {
                workspaces: Mutex::new(vec![first]),
            };
            // The store answers the count query for anyone on the bus.
            core.bus().on_query(|ctx, _: &WorkspaceCount| {
                let store = ctx.core().service::<Store>("store")?;
                let count = store.workspaces.lock().map(|w| w.len()).ok()?;
                Some(Ok(count))
            });
            Ok(Registration::new("store", store))
        })
        .service_named("indexer", |core| {
            // The indexer takes IndexWorkspace tasks (on the blocking pool: task handlers may
            // block) and reports progress as it goes.
            core.bus().on_task(|ctx, task: &IndexWorkspace| {
                let core = ctx.core();
                let id = task.id.as_ref()?;
                for (fraction, step) in [(0.5, "scanning files"), (1.0, "index written")] {
                    std::thread::sleep(Duration::from_millis(20));
                    // A fraction from 0.0 to 1.0; anything else is refused (INVALID).
                    if let Err(err) = core.progress(id, fraction, step) {
                        return Some(Err(err));
                    }
                }
                let index = core.config().extract::<Index>("index");
                Some(index.map(|index| task.name.chars().count() * index.files_per_char))
            });
            // To standard error, where progress belongs (a pipe gets only the result), and
            // through the Core, not eprintln!: the test kit's CLI runner sees these too.
            core.bus().on(|ctx, progress: &TaskProgress| {
                ctx.core().eprint(&format!(
                    "indexing: {:>3.0}% {}\n",
                    progress.fraction * 100.0,
                    progress.message
                ));
                Ok(())
            });
            Ok(Registration::new("indexer", refreshing()).after(["store"]))
        })
        .command(
            "workspace/create",
            Command::new()
                .description("create a workspace and index it")
                .flag(
                    Flag::new("name", FlagKind::String)
                        .short('n')
                        .required()
                        .help("the workspace name"),
                )
                .action(create),
        )
        .command(
            "workspace/list",
            Command::new()
                .description("list the workspaces")
                .action(|core: Core, _| async move {
                    let store = core.service::<Store>("store").ok_or_else(|| {
                        Error::new("workbench.list", "no store").with_code(ErrorCode::INTERNAL)
                    })?;
                    let names = store
                        .workspaces
                        .lock()
                        .map(|w| w.join("\n"))
                        .unwrap_or_default();
                    Ok(Value::from(names))
                }),
        )
        .command(
            "cache/flush",
            Command::new()
                .description("flush the caches")
                .action(|_, _| async { Ok(Value::from("caches flushed")) }),
        )
        // The daemon form: the services run (the indexer's loop refreshing) until a signal
        // begins the shutdown, which stops them in reverse order.
        .command(
            "serve",
            Command::new()
                .description("run until Ctrl-C or SIGTERM")
                // The daemon form: scheduled Tasks run while it does (not for the others).
                .serves()
                .action(|core: Core, _| async move {
                    core.eprint("serving: Ctrl-C to stop\n");
                    core.context().cancelled().await;
                    Ok(Value::from("stopped"))
                }),
        )
}

fn main() -> ExitCode {
    workbench().run_blocking()
}
