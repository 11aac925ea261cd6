//! [`Service`]: what a named part of an application does when it starts, stops, reloads and
//! is asked how it is.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corers_messaging::RunCtx;
use corers_primitives::{Error, Result};
use tokio_util::sync::CancellationToken;

use crate::work::Work;

pub use corers_primitives::BoxFuture;

/// What a hook receives: the application context (the Core), the service's own name, the
/// time the hook has, the token that is cancelled when shutdown is forced (a second
/// signal), and the service's background work: tasks it [spawns](ServiceCtx::spawn), and
/// the token cancelled when its turn to stop comes. A hook that runs out of time is
/// cancelled by having its future dropped.
pub struct ServiceCtx<C> {
    pub(crate) core: C,
    pub(crate) timeout: Duration,
    /// When the hook's time is up; `None` when its timeout is too long to count.
    pub(crate) deadline: Option<tokio::time::Instant>,
    /// The service's name, the forced-shutdown token and its background work.
    pub(crate) work: Arc<Work>,
    /// This context's own child of the forced-shutdown token, made when first asked for:
    /// cancelling it cancels nothing else.
    pub(crate) cancel: OnceLock<CancellationToken>,
}

impl<C> ServiceCtx<C> {
    /// The application context.
    pub fn core(&self) -> &C {
        &self.core
    }

    /// The service's registered name.
    pub fn name(&self) -> &str {
        &self.work.name
    }

    /// How long this hook may run before its future is dropped: for the stop hook the
    /// service's [`Registration::stop_timeout`](crate::Registration::stop_timeout) when one
    /// is set, for a health check its
    /// [`Registration::health_timeout`](crate::Registration::health_timeout) (5 s by
    /// default), otherwise its [`Registration::timeout`](crate::Registration::timeout), 30 s
    /// by default. A stop hook that flushes in steps can plan with it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::{Hooks, Registration, ServiceCtx};
    ///
    /// let cache = Registration::new(
    ///     "cache",
    ///     Hooks::new().on_stop(|ctx: ServiceCtx<()>| async move {
    ///         println!("{} has {:?} to write back", ctx.name(), ctx.timeout());
    ///         Ok(())
    ///     }),
    /// )
    /// .timeout(Duration::from_secs(5));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When this hook's time is up: its [`timeout`](ServiceCtx::timeout) from when the
    /// hook was called, or for a stop hook when the shutdown's own deadline forces the
    /// stop, if that is earlier (a 30 s stop timeout under a 5 s shutdown has 5 s less
    /// what went before); `None` for no limit (`Duration::MAX` for both). A stop hook
    /// that flushes in steps plans with it.
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, ServiceCtx};
    ///
    /// let cache = Registration::new(
    ///     "cache",
    ///     Hooks::new().on_stop(|ctx: ServiceCtx<()>| async move {
    ///         for batch in 0..3 {
    ///             if ctx.deadline().is_some_and(|end| tokio::time::Instant::now() >= end) {
    ///                 break; // out of time: drop the rest
    ///             }
    ///             println!("writing back batch {batch}");
    ///         }
    ///         Ok(())
    ///     }),
    /// );
    /// ```
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.deadline
    }

    /// Cancelled when shutdown is forced (a second signal, the shutdown's deadline
    /// passed): a hook still running should give up at once. Work that should end in the
    /// service's turn to stop watches [`stopping`](ServiceCtx::stopping) instead. The
    /// token is this context's own: cancelling it (to cut short what the hook started)
    /// forces nothing.
    pub fn cancel_token(&self) -> &CancellationToken {
        self.cancel
            .get_or_init(|| self.work.forced.token.child_token())
    }

    /// A context for the Actions and Tasks this hook runs: cancelled when shutdown is
    /// forced or the hook cancels its [token](ServiceCtx::cancel_token) (and, as its own,
    /// when it is cancelled: nothing else is), and ending at the hook's
    /// [deadline](ServiceCtx::deadline). A stop hook
    /// runs after the application's context is cancelled, so runs under that context
    /// (a CoreRS application's `core.run_action`) are refused there; under this one they
    /// run. A task the hook [spawns](ServiceCtx::spawn) outlives the hook's deadline: it
    /// runs under [`lifetime_ctx`](ServiceCtx::lifetime_ctx).
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, ServiceCtx};
    /// use corers_messaging::Actions;
    /// use corers_primitives::Options;
    ///
    /// fn cache(actions: Actions<()>) -> Registration<()> {
    ///     Registration::new("cache", Hooks::new().on_stop(move |ctx: ServiceCtx<()>| {
    ///         let actions = actions.clone();
    ///         async move {
    ///             actions.run(&(), &ctx.run_ctx(), "cache.flush", Options::new()).await?;
    ///             Ok(())
    ///         }
    ///     }))
    /// }
    /// ```
    pub fn run_ctx(&self) -> RunCtx {
        // Under this hook's token: cancelling it cuts these runs short too.
        let run = RunCtx::new().with_cancel(self.cancel_token().child_token());
        match self.deadline {
            Some(deadline) => run.with_deadline(deadline),
            None => run,
        }
    }

    /// Cancelled when this service's turn to stop comes: in reverse start order, just
    /// before its [spawned](ServiceCtx::spawn) tasks are waited for and its stop hook runs.
    /// The services that depend on it have stopped by then, and those it depends on have
    /// not: work of its own that watches this token, rather than the application's
    /// context (cancelled for every service at once when shutdown begins), ends in order.
    /// A forced shutdown cancels every service's at once.
    pub fn stopping(&self) -> &CancellationToken {
        self.work.stopping()
    }

    /// A context for the Actions and Tasks the service's own tasks run while it runs:
    /// cancelled only when shutdown is forced, with no deadline. A loop that runs an
    /// Action on every tick goes on running them after shutdown has begun — a CoreRS
    /// application's `core.run_action`, cancelled then, would fail them for every
    /// service at once — and a run in flight when the service's turn to stop comes
    /// finishes (the turn waits for the service's tasks, up to its stop timeout); the
    /// loop ends on [`stopping`](ServiceCtx::stopping).
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::{Hooks, Registration, ServiceCtx};
    /// use corers_messaging::Actions;
    /// use corers_primitives::Options;
    ///
    /// fn indexer(actions: Actions<()>) -> Registration<()> {
    ///     Registration::new("indexer", Hooks::new().on_start(move |ctx: ServiceCtx<()>| {
    ///         let actions = actions.clone();
    ///         async move {
    ///             let (run, stopping) = (ctx.lifetime_ctx(), ctx.stopping().clone());
    ///             ctx.spawn("refresh", async move {
    ///                 let mut tick = tokio::time::interval(Duration::from_secs(60));
    ///                 loop {
    ///                     tokio::select! {
    ///                         _ = tick.tick() => {
    ///                             actions.run(&(), &run, "index.refresh", Options::new()).await?;
    ///                         }
    ///                         () = stopping.cancelled() => return Ok(()),
    ///                     }
    ///                 }
    ///             })
    ///         }
    ///     }))
    /// }
    /// ```
    pub fn lifetime_ctx(&self) -> RunCtx {
        RunCtx::new().with_cancel(self.work.forced.token.child_token())
    }
}

impl<C: Clone + Send + Sync + 'static> ServiceCtx<C> {
    /// Runs `work`, named `task` for logs and errors, on a tokio task for as long as the
    /// service runs (tokio-graceful-shutdown's subsystems, fx's goroutines): it should end
    /// once [`stopping`](ServiceCtx::stopping) is cancelled. In the service's turn to stop,
    /// before its stop hook, its tasks are waited for, together up to the service's stop
    /// timeout, and those still running are aborted; a task's error, a panic or a task
    /// that did not stop is one of the shutdown's failures. A task is never left running
    /// detached: dropped with its service, or with a stop or a startup cut off part-way,
    /// it is aborted — unless it holds what keeps its service alive (this context, or the
    /// application's Core, which holds the services): a task captures what it uses
    /// ([`stopping`](ServiceCtx::stopping), [`lifetime_ctx`](ServiceCtx::lifetime_ctx), a
    /// clone of a service's own handle) rather than the context itself.
    ///
    /// A task that fails or panics while the service runs does not go unnoticed: it is
    /// logged, the service reports that failure as its health (unhealthy), and a shutdown
    /// is [requested](crate::Services::request_stop) with it, which gives
    /// [`failure`](crate::Services::failure) (and the exit code of a CoreRS application).
    /// An error [marked cancelled](corers_primitives::Error::is_cancelled) once a stop was
    /// asked for — work the stop refused or cut short: a run of the cancelled context, a
    /// `perform_async` the stopping bus refused — is no failure: the stop ended the task
    /// (logged at debug).
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::{Hooks, Registration, Services};
    /// use corers_messaging::Bus;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.register(Registration::new("metrics", Hooks::new().on_start(|ctx| async move {
    ///     let stopping = ctx.stopping().clone();
    ///     ctx.spawn("scrape", async move {
    ///         let mut tick = tokio::time::interval(Duration::from_secs(15));
    ///         loop {
    ///             tokio::select! {
    ///                 _ = tick.tick() => { /* scrape */ }
    ///                 () = stopping.cancelled() => return Ok(()),
    ///             }
    ///         }
    ///     })
    /// }))).unwrap();
    /// services.start_all(&()).await.unwrap();
    /// services.stop_all(&(), Duration::from_secs(5)).await.unwrap(); // the loop has ended
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`](corers_primitives::ErrorCode::UNAVAILABLE) once the
    /// service has begun to stop, or when called outside a tokio runtime (from a thread
    /// the service started itself): the task is not started.
    pub fn spawn<F>(&self, task: &str, work: F) -> Result<()>
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        self.work.spawn(task, work)
    }

    /// Asks for the application to shut down, without waiting for it: safe from inside any
    /// hook or task (awaiting a whole shutdown there would wait on this very hook). See
    /// [`Services::request_stop`](crate::Services::request_stop).
    pub fn request_shutdown(&self) {
        self.work.request_stop(None);
    }

    /// [`request_shutdown`](ServiceCtx::request_shutdown) because of `failure`, which
    /// becomes the shutdown's [`failure`](crate::Services::failure) (the first one asked
    /// for is kept): a service that finds it cannot go on says why, and a CoreRS
    /// application exits for it.
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, ServiceCtx};
    /// use corers_primitives::{Error, ErrorCode};
    ///
    /// let licence = Registration::new("licence", Hooks::new().on_start(|ctx: ServiceCtx<()>| async move {
    ///     ctx.request_shutdown_for(
    ///         Error::new("licence.Check.verify", "licence expired on 2026-10-31")
    ///             .with_code(ErrorCode::DENIED),
    ///     );
    ///     Ok(())
    /// }));
    /// ```
    pub fn request_shutdown_for(&self, failure: Error) {
        self.work.request_stop(Some(failure));
    }
}

impl<C: Clone> Clone for ServiceCtx<C> {
    fn clone(&self) -> Self {
        ServiceCtx {
            core: self.core.clone(),
            timeout: self.timeout,
            deadline: self.deadline,
            work: Arc::clone(&self.work),
            // The token made now if it was not yet: a clone and its original share it.
            cancel: OnceLock::from(self.cancel_token().clone()),
        }
    }
}

impl<C> fmt::Debug for ServiceCtx<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCtx")
            .field("name", &self.work.name)
            .finish_non_exhaustive()
    }
}

/// How a service says it is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Health {
    /// Working.
    Healthy,
    /// Working, with a problem worth knowing (`"replica lag 4s"`).
    Degraded(String),
    /// Not working.
    Unhealthy(String),
}

impl fmt::Display for Health {
    /// `healthy`, `degraded: <why>` or `unhealthy: <why>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Healthy => f.write_str("healthy"),
            Health::Degraded(why) => write!(f, "degraded: {why}"),
            Health::Unhealthy(why) => write!(f, "unhealthy: {why}"),
        }
    }
}

impl Health {
    /// Reports whether the service can serve (healthy or degraded).
    ///
    /// ```
    /// use corers_lifecycle::Health;
    /// assert!(Health::Degraded("slow disk".into()).is_serving());
    /// assert!(!Health::Unhealthy("no database".into()).is_serving());
    /// ```
    pub fn is_serving(&self) -> bool {
        !matches!(self, Health::Unhealthy(_))
    }
}

/// A named part of an application with a lifecycle. Every hook has a default that does
/// nothing, so a service implements only what it needs. Hooks are async and return
/// `Result`; a hook that panics is caught and reported as an `INTERNAL` error.
///
/// ```
/// use std::sync::Arc;
/// use corers_lifecycle::{BoxFuture, Service, ServiceCtx};
///
/// struct Cache { capacity: usize }
///
/// impl Service<()> for Cache {
///     fn start(self: Arc<Self>, ctx: ServiceCtx<()>) -> BoxFuture<corers_primitives::Result<()>> {
///         Box::pin(async move {
///             println!("{} ready with {} slots", ctx.name(), self.capacity);
///             Ok(())
///         })
///     }
/// }
/// ```
pub trait Service<C>: Send + Sync + 'static {
    /// Brings the service up. Runs in start order, each after the services it depends on.
    fn start(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        let _ = ctx;
        Box::pin(async { Ok(()) })
    }

    /// Brings the service down. Runs in the exact reverse of the start order.
    fn stop(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        let _ = ctx;
        Box::pin(async { Ok(()) })
    }

    /// Re-reads configuration (on SIGHUP, in a CoreRS application).
    fn reload(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        let _ = ctx;
        Box::pin(async { Ok(()) })
    }

    /// Says how the service is doing.
    fn health(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Health> {
        let _ = ctx;
        Box::pin(async { Health::Healthy })
    }
}

type Hook<C> = Arc<dyn Fn(ServiceCtx<C>) -> BoxFuture<Result<()>> + Send + Sync>;

/// A service made of closures, for services that are only a few lines (CoreGO's DTO
/// form): any hook left out does nothing.
///
/// ```
/// use corers_lifecycle::Hooks;
///
/// let metrics: Hooks<()> = Hooks::new()
///     .on_start(|ctx| async move { println!("{} listening on :9100", ctx.name()); Ok(()) })
///     .on_stop(|_| async { Ok(()) });
/// ```
pub struct Hooks<C> {
    start: Option<Hook<C>>,
    stop: Option<Hook<C>>,
    reload: Option<Hook<C>>,
    health: Option<HealthHook<C>>,
}

type HealthHook<C> = Arc<dyn Fn(ServiceCtx<C>) -> BoxFuture<Health> + Send + Sync>;

impl<C> Default for Hooks<C> {
    fn default() -> Self {
        Hooks {
            start: None,
            stop: None,
            reload: None,
            health: None,
        }
    }
}

impl<C: Send + Sync + 'static> Hooks<C> {
    /// No hooks yet.
    pub fn new() -> Hooks<C> {
        Hooks::default()
    }

    /// Sets the start hook.
    #[must_use]
    pub fn on_start<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ServiceCtx<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.start = Some(Arc::new(move |ctx| Box::pin(hook(ctx))));
        self
    }

    /// Sets the stop hook.
    #[must_use]
    pub fn on_stop<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ServiceCtx<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.stop = Some(Arc::new(move |ctx| Box::pin(hook(ctx))));
        self
    }

    /// Sets the reload hook.
    #[must_use]
    pub fn on_reload<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ServiceCtx<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.reload = Some(Arc::new(move |ctx| Box::pin(hook(ctx))));
        self
    }

    /// Sets the health check (asked under the service's health timeout; without one the
    /// service is healthy while it runs).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use corers_lifecycle::{Health, Hooks};
    ///
    /// let queued = Arc::new(AtomicU64::new(0));
    /// let mailer: Hooks<()> = Hooks::new().on_health(move |_| {
    ///     let queued = queued.load(Ordering::Relaxed);
    ///     async move {
    ///         match queued {
    ///             0..=999 => Health::Healthy,
    ///             _ => Health::Degraded(format!("{queued} mails queued")),
    ///         }
    ///     }
    /// });
    /// ```
    #[must_use]
    pub fn on_health<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(ServiceCtx<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Health> + Send + 'static,
    {
        self.health = Some(Arc::new(move |ctx| Box::pin(check(ctx))));
        self
    }
}

impl<C: Send + Sync + 'static> Service<C> for Hooks<C> {
    fn start(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        match &self.start {
            Some(hook) => hook(ctx),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn stop(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        match &self.stop {
            Some(hook) => hook(ctx),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn reload(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Result<()>> {
        match &self.reload {
            Some(hook) => hook(ctx),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn health(self: Arc<Self>, ctx: ServiceCtx<C>) -> BoxFuture<Health> {
        match &self.health {
            Some(check) => check(ctx),
            None => Box::pin(async { Health::Healthy }),
        }
    }
}

impl<C> fmt::Debug for Hooks<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("start", &self.start.is_some())
            .field("stop", &self.stop.is_some())
            .field("reload", &self.reload.is_some())
            .field("health", &self.health.is_some())
            .finish()
    }
}
