//! The embedding bridge (CoreGO's `Runtime`): for a host that owns the event loop — a GUI
//! framework, a plugin host — and starts and stops the Core on its own schedule instead of
//! handing `main` to [`Core::run`].

use std::any::Any;
use std::time::Duration;

use corers_lifecycle::StartReport;
use corers_primitives::{Error, Result};
use tracing::Instrument;

use crate::Core;

impl Core {
    /// Starts every service (in dependency order, rolled back on failure) and the Task
    /// scheduler: what [`Core::run`] does before dispatching the command line, for a host
    /// that calls it from its own start-up hook. Returns which service took how long.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder()
    ///     .name("workbench-desktop")
    ///     .service(|_| Ok(Registration::new("store", Hooks::new())))
    ///     .build()
    ///     .unwrap();
    /// let report = core.startup().await.unwrap();
    /// assert_eq!(&*report.started[0].0, "store");
    /// // ... the host's event loop runs; handlers use `core` ...
    /// core.shutdown().await.unwrap();
    /// # }
    /// ```
    ///
    /// It needs a tokio runtime that keeps running while the Core does (a multi-thread
    /// one, or a current-thread one the host keeps driving): hooks are timed by tokio,
    /// and service tasks, the scheduler and background work run on it. A host whose event
    /// loop owns the main thread starts one beside it (`Runtime::new()`), never an executor
    /// of another kind, and starts the Core on it with `runtime.spawn`, telling its window
    /// when startup is done (a `block_on` on the UI thread freezes the window meanwhile;
    /// see the README's "Embedding it in a GUI or another host").
    ///
    /// The startup runs on a tokio task of its own, as [`shutdown`](Core::shutdown) does:
    /// a host that stops waiting for it (a timeout, a `select!` on Ctrl-C) does not cut a
    /// start hook off half-way (a migration, a lock taken), leaving a service that never
    /// started nor gets its stop hook; a [`shutdown`](Core::shutdown) then stops what
    /// started.
    ///
    /// A failed startup is a shutdown: [`Core::context`] is cancelled, the services that
    /// had started are stopped (after the bus's background tasks are drained) and the log
    /// is flushed, so the Core is finished. A start refused because the Core already
    /// started (`CONFLICT`) leaves it as it was.
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT) when already
    /// started (or stopped: a Core starts once);
    /// [`ErrorCode::UNAVAILABLE`](corers_primitives::ErrorCode::UNAVAILABLE) when
    /// [`shutdown`](Core::shutdown) was called while it ran; otherwise the failing
    /// service's error.
    pub async fn startup(&self) -> Result<StartReport> {
        const OP: &str = "corers.Core.startup";
        self.on_own_task(OP, "startup", |core| async move {
            let report = core.start_services(OP).await?;
            core.log_tasks_naming_unknown_actions();
            core.start_scheduler();
            Ok(report)
        })
        .await
    }

    /// Cancels [`Core::context`], stops the Task scheduler, waits for detached Task steps
    /// and drains background work, stops every service in reverse (its
    /// [spawned](corers_lifecycle::ServiceCtx::spawn) tasks, then its stop hook, each under
    /// its service's own stop timeout, 30 s by default), then flushes the log. Called
    /// while a start hook runs, it first waits for that hook, and while a reload runs, for
    /// the reload hooks.
    ///
    /// The whole of it is bounded by the builder's
    /// [`shutdown_timeout`](crate::CoreBuilder::shutdown_timeout) (30 s by default),
    /// counted from this call: once it has passed, the shutdown is forced, as a second
    /// signal under [`run`](Core::run) forces it — background work and scheduled runs are
    /// no longer waited for, and the hooks still running, and those still to run, share a
    /// grace of 250 ms before they are abandoned (each still gets its first poll). So a
    /// shutdown returns within that timeout plus 250 ms, whatever its hooks do — short of
    /// one blocking its thread in a synchronous call.
    ///
    /// Called while [`startup`](Core::startup) runs, it lets the running start hook finish
    /// (the cancelled context tells it to hurry), stops what had started, and returns once
    /// that is done. A second call waits for the first to finish; after that, shutting down
    /// does nothing. A Core shut down before it started has ended: nothing started, and
    /// it will not start.
    ///
    /// From the moment it is called, the bus refuses new background tasks, the health
    /// report is not ready, and neither startup nor reload hooks begin. The shutdown runs
    /// on a tokio task of its own, so it finishes even when the caller stops waiting: an
    /// Action that shuts its Core down (whose own run the shutdown cancels), or a host
    /// that gave up after a timeout.
    ///
    /// # Errors
    /// The stop hooks' failures, joined (every hook still ran).
    pub async fn shutdown(&self) -> Result<()> {
        self.shut_down_within(self.inner.shutdown_timeout).await
    }

    /// [`shutdown`](Core::shutdown) on its own task, under [`logging`](Core::logging),
    /// forced once `budget` (the builder's `shutdown_timeout`, or what a run left of it)
    /// has passed.
    pub(crate) async fn shut_down_within(&self, budget: Duration) -> Result<()> {
        self.on_own_task("corers.Core.shutdown", "shutdown", |core| async move {
            let steps = core.shut_down_steps(budget);
            core.inner.services.force_after(budget, steps).await
        })
        .await
    }

    /// `work`, given a clone of this Core, on a tokio task of its own under
    /// [`logging`](Core::logging) and the current span: a caller that stops waiting (a
    /// timeout, a `select!`) leaves it to finish instead of cutting a hook off half-way.
    /// Its panic is an `INTERNAL` error for `op`, a runtime shutting down under it (or none
    /// there at all) `UNAVAILABLE` (`what` names it).
    pub(crate) async fn on_own_task<T, F>(
        &self,
        op: &'static str,
        what: &str,
        work: impl FnOnce(Core) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        // Outside tokio (another executor, a plain poll), an error rather than a panic.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Error::new(
                op,
                format!("the {what} runs on a tokio runtime: call it from inside one"),
            )
            .with_code(corers_primitives::ErrorCode::UNAVAILABLE));
        };
        let task = runtime.spawn(self.logging(work(self.clone())).in_current_span());
        joined(op, what, task.await)
    }

    /// Flushes the log off the runtime's threads, waiting for it a second at most: a rotated
    /// file still being compressed (seconds, for a large one) does not hold a shutdown
    /// past its bound; its compression goes on on its own thread.
    pub(crate) async fn flush_log(&self) {
        // As long as a queued output's own flush waits for its queue to empty.
        const GRACE: Duration = Duration::from_secs(1);
        let log = self.log().clone();
        let flushing = tokio::task::spawn_blocking(move || log.flush());
        let _ = tokio::time::timeout(GRACE, flushing).await;
    }

    /// What a shutdown does, in order, within `budget`.
    async fn shut_down_steps(&self, budget: Duration) -> Result<()> {
        // The shutdown's time, counted as `shut_down_within` counts it for forcing.
        let began = tokio::time::Instant::now();
        // No new background work from here on (the drain below waits for what was taken),
        // a startup under way starts no more services, and the context is cancelled: a
        // scheduler started concurrently sees it and stops itself.
        self.request_shutdown();
        // A forced shutdown (a second signal) waits for nothing more than the stop hooks'
        // own grace: neither for scheduled runs nor for detached steps.
        let services = &self.inner.services;
        tokio::select! {
            // The stop first: its first poll ends the scheduler's loops (dropped unfinished,
            // it aborts them), so no scheduled run starts while the services stop.
            biased;
            () = self.inner.scheduler.stop() => {}
            () = services.forced() => {}
        }
        // Detached Task steps were cancelled with their runs (the scheduler's, and those
        // started through the Core, whose context is cancelled): let them end, within the
        // drain's time.
        // One budget for both waits for background work: the bus's drain gets what the
        // detached steps left of it.
        tokio::select! {
            _ = tokio::time::timeout(budget, self.inner.tasks.wait_detached()) => {}
            () = services.forced() => {}
        }
        let left = budget.saturating_sub(began.elapsed());
        let stopped = self.inner.services.stop_all(self, left).await;
        // Again: a startup that ended while this ran may have started it meanwhile.
        tokio::select! {
            biased;
            () = self.inner.scheduler.stop() => {}
            () = services.forced() => {}
        }
        self.flush_log().await;
        stopped.map_err(|e| Error::wrap(e, "corers.Core.shutdown", "stop the application"))
    }

    /// Reloads the application, as SIGHUP does under [`Core::run`]: re-reads the config
    /// (a file that no longer parses, or a config its checks refuse, keeps the config in
    /// force, and the error is returned), then calls every started service's reload hook,
    /// in start order.
    ///
    /// ```
    /// use corers::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let core = Core::builder()
    ///     .service(|_| Ok(Registration::new("cache", Hooks::new().on_reload(|_| async { Ok(()) }))))
    ///     .build()
    ///     .unwrap();
    /// core.startup().await.unwrap();
    /// core.reload().await.unwrap();
    /// core.shutdown().await.unwrap();
    /// # }
    /// ```
    ///
    /// The config is re-read whenever this is called but once shutdown has begun (then
    /// nothing is reloaded); the hooks run only while the services run (not before
    /// startup). A reload hook must not ask for a reload (it is refused with `CONFLICT`:
    /// the reload under way would wait on that hook). Called while startup runs, it
    /// waits for startup to end and then reloads every service: so it must not be awaited
    /// from a start hook (or an Action a start hook awaits), which would wait on itself.
    /// Called while another reload runs, it has that one call the hooks once more, and
    /// returns once that is done. The reload runs on a tokio task of its own: a caller
    /// that stops waiting leaves it to finish (no service is left on the old settings).
    ///
    /// # Errors
    /// The config's failure to reload (a file that does not parse, a
    /// [check](corers_config::ConfigBuilder::validate) the new settings do not pass: the
    /// config in force stays) and the reload hooks' failures, joined (every service is
    /// reloaded regardless); [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT)
    /// when asked from inside a reload hook, before anything is reloaded.
    pub async fn reload(&self) -> Result<()> {
        const OP: &str = "corers.Core.reload";
        // Asked from a reload hook (known on its task): refused before the config changes
        // under the hooks.
        if corers_lifecycle::in_reload_hook() {
            return Err(Error::new(
                OP,
                "a reload asked for from inside a reload hook would wait on that hook: the \
                 reload under way already reloads everything",
            )
            .with_code(corers_primitives::ErrorCode::CONFLICT));
        }
        // On a task of its own: a caller that stops waiting does not leave the config
        // reloaded and the services not.
        self.on_own_task(OP, "reload", |core| async move { core.reload_all().await })
            .await
    }

    /// [`reload`](Core::reload), under [`logging`](Core::logging), on its own task.
    async fn reload_all(&self) -> Result<()> {
        const OP: &str = "corers.Core.reload";
        // Nothing changes under the stop hooks: not the config, not the services.
        if self.context().is_cancelled() {
            tracing::info!("reload skipped: shutting down");
            return Ok(());
        }
        // The config first, so reload hooks read the new values.
        #[cfg(feature = "config")]
        let config = {
            // Reading files blocks: off the runtime's workers.
            let config = self.config().clone();
            match tokio::task::spawn_blocking(move || config.reload()).await {
                // Said at info: an operator who sent SIGHUP sees that it took, and what
                // changed (the keys: values may be secret).
                Ok(Ok(changes)) => {
                    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
                    tracing::info!(changed = %keys.join(", "), "config reloaded");
                    Ok(())
                }
                Ok(Err(err)) => Err(err),
                Err(join) => Err(Error::new(OP, join.to_string())
                    .with_code(corers_primitives::ErrorCode::INTERNAL)),
            }
            .map_err(|e| Error::wrap(e, OP, "reload the config"))
        };
        #[cfg(not(feature = "config"))]
        let config: Result<()> = Ok(());
        let hooks = self
            .inner
            .services
            .reload_all(self)
            .await
            .map_err(|e| Error::wrap(e, OP, "reload the application"));
        Error::join(config.err().into_iter().chain(hooks.err())).map_or(Ok(()), Err)
    }

    /// The host value given to [`CoreBuilder::host`](crate::CoreBuilder::host), when it is a
    /// `H`.
    pub fn host<H: Any + Send + Sync>(&self) -> Option<&H> {
        self.inner.host.as_deref()?.downcast_ref::<H>()
    }

    /// `work` logging, wherever it is polled, to the subscriber current where it was made
    /// — or, when there is none (`#[tokio::main]` and no subscriber set up), to the Core's
    /// logger: what the framework logs while it runs (a stop hook's failure, a handler's
    /// panic, a scheduled Task that failed) is never lost, and an application with a
    /// subscriber of its own gets everything there. Tasks it spawns log alike.
    pub(crate) fn logging<F: std::future::Future>(
        &self,
        work: F,
    ) -> tracing::instrument::WithDispatch<F> {
        tracing::instrument::WithSubscriber::with_subscriber(work, self.framework_dispatch())
    }

    /// `work`, run now, logging as [`logging`](Core::logging) has it: what a service
    /// factory logs during `build()` is not lost.
    pub(crate) fn logging_now<T>(&self, work: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.framework_dispatch(), work)
    }

    /// Where the framework's events go: the application's subscriber, else this Core's
    /// logger.
    pub(crate) fn framework_dispatch(&self) -> tracing::Dispatch {
        corers_log::application_dispatch().unwrap_or_else(|| self.log().dispatch().clone())
    }

    /// Says (at error) which Tasks run by hand (no schedule) name an Action nobody
    /// registered, once the services started: the scheduler says it of the scheduled ones
    /// when it takes them up.
    pub(crate) fn log_tasks_naming_unknown_actions(&self) {
        for name in self.inner.tasks.names() {
            if !self.is_scheduled(&name)
                && let Err(err) = self.inner.tasks.check(&name)
            {
                tracing::error!(task = %name, error = %err, "task names actions nobody registered");
            }
        }
    }

    /// Whether the Task `name` has a schedule.
    fn is_scheduled(&self, name: &str) -> bool {
        self.inner
            .tasks
            .get(name)
            .is_some_and(|def| def.schedule.is_some())
    }

    /// Whether any Task has a schedule.
    pub(crate) fn has_scheduled_tasks(&self) -> bool {
        self.inner
            .tasks
            .names()
            .iter()
            .any(|name| self.is_scheduled(name))
    }

    /// Starts the Task scheduler; a failure is logged, not fatal (the services run on). A
    /// shutdown that began meanwhile (and may have stopped the scheduler before it started)
    /// stops it again.
    pub(crate) fn start_scheduler(&self) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        // Runs take the Core from a weak handle: the scheduler's loops must not keep alive
        // the Core that holds the scheduler (a started Core dropped without a shutdown).
        let core = self.downgrade();
        if let Err(err) = self.inner.scheduler.start_with(move || core.upgrade()) {
            tracing::warn!(error = %err, "the task scheduler did not start");
        }
        if self.inner.shutdown.is_cancelled() {
            let core = self.clone();
            tokio::spawn(async move { core.inner.scheduler.stop().await });
        }
    }
}

/// The result of `what` run on a task of its own: a panic there is an `INTERNAL` error, a
/// runtime shutting down under it `UNAVAILABLE`.
fn joined<T>(
    op: &'static str,
    what: &str,
    joined: std::result::Result<Result<T>, tokio::task::JoinError>,
) -> Result<T> {
    match joined {
        Ok(done) => done,
        Err(join) if join.is_panic() => Err(Error::from_caught(op, join.into_panic())),
        Err(_) => Err(Error::new(
            op,
            format!("the {what} was cut off: its runtime is shutting down"),
        )
        .with_code(corers_primitives::ErrorCode::UNAVAILABLE)),
    }
}
