//! [`Services`]: the registry of named services, and starting, stopping, reloading and
//! checking them in dependency order.

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use corers_messaging::Bus;
use corers_primitives::{Error, ErrorCode, Registry, Result, catch_panic};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::force::Force;
use crate::work::{StopRequest, Work};
use crate::{BoxFuture, Health, Service, ServiceCtx};

tokio::task_local! {
    /// Set while a reload hook runs, on its task: a reload it asks for is refused.
    static IN_RELOAD_HOOK: ();
}

/// Whether this code runs in a reload hook (on the hook's own task, not one it spawned):
/// where a reload must not be asked for, as the reload under way would wait on the hook.
/// [`Services::reload_all`] refuses it; an application that reloads more than the
/// services (its config first) asks before it does anything.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert!(!corers_lifecycle::in_reload_hook());
/// # }
/// ```
pub fn in_reload_hook() -> bool {
    IN_RELOAD_HOOK.try_with(|()| ()).is_ok()
}

/// How long a hook may run when its service sets no timeout of its own.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a health check may take when its service sets no
/// [`health_timeout`](Registration::health_timeout): a probe must answer quickly, whatever
/// a start hook is allowed.
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// A service with its name, dependencies and hook timeout, ready to register.
///
/// ```
/// use std::time::Duration;
/// use corers_lifecycle::{Hooks, Registration};
///
/// let brain = Registration::new("brain", Hooks::<()>::new())
///     .after(["config", "cache"])
///     .timeout(Duration::from_secs(5));
/// ```
#[must_use]
pub struct Registration<C> {
    name: String,
    service: Arc<dyn Service<C>>,
    any: Arc<dyn Any + Send + Sync>,
    /// Dependencies, each with whether it must be registered.
    after: Vec<(String, bool)>,
    timeout: Duration,
    stop_timeout: Option<Duration>,
    health_timeout: Duration,
}

impl<C> fmt::Debug for Registration<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let after: Vec<&str> = self.after.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("after", &after)
            .field("timeout", &self.timeout)
            .field("stop_timeout", &self.stop_timeout)
            .field("health_timeout", &self.health_timeout)
            .finish_non_exhaustive()
    }
}

impl<C: 'static> Registration<C> {
    /// The service `service` under `name`.
    pub fn new<S: Service<C>>(name: impl Into<String>, service: S) -> Registration<C> {
        Registration::from_arc(name, Arc::new(service))
    }

    /// The service `service` under `name`, shared: the factory keeps clones of the same
    /// instance for the bus handlers it registers (CoreGO's `HandleIPCEvents`, a method of
    /// the service), and typed retrieval gives that instance too.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use corers_lifecycle::{Registration, Service, Services};
    /// use corers_messaging::Bus;
    ///
    /// #[derive(Default)]
    /// struct Store { writes: AtomicUsize }
    /// impl Service<()> for Store {}
    /// struct Saved;
    ///
    /// let bus: Bus<()> = Bus::new();
    /// let services = Services::new(bus.clone());
    /// let store = Arc::new(Store::default());
    /// let handling = Arc::clone(&store);
    /// bus.on(move |_, _: &Saved| { handling.writes.fetch_add(1, Ordering::SeqCst); Ok(()) });
    /// services.register(Registration::from_arc("store", store)).unwrap();
    /// bus.broadcast(&(), &Saved).unwrap();
    /// assert_eq!(services.get::<Store>("store").unwrap().writes.load(Ordering::SeqCst), 1);
    /// ```
    pub fn from_arc<S: Service<C>>(name: impl Into<String>, service: Arc<S>) -> Registration<C> {
        Registration {
            name: name.into(),
            service: Arc::clone(&service) as Arc<dyn Service<C>>,
            any: service,
            after: Vec::new(),
            timeout: DEFAULT_HOOK_TIMEOUT,
            stop_timeout: None,
            health_timeout: DEFAULT_HEALTH_TIMEOUT,
        }
    }

    /// Starts this service after `services` (and stops it before them).
    pub fn after<S: Into<String>>(mut self, services: impl IntoIterator<Item = S>) -> Self {
        self.after
            .extend(services.into_iter().map(|name| (name.into(), true)));
        self
    }

    /// Starts this service after those of `services` that are registered (and stops it
    /// before them); one that is not is no error: a service left out by a feature or a
    /// setting (fx's `optional:"true"`).
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, Services};
    /// use corers_messaging::Bus;
    ///
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.register(Registration::new("api", Hooks::new()).after_if_present(["metrics", "store"])).unwrap();
    /// services.register(Registration::new("store", Hooks::new())).unwrap();
    /// assert_eq!(services.order().unwrap(), ["store", "api"]); // no "metrics": fine
    /// ```
    pub fn after_if_present<S: Into<String>>(
        mut self,
        services: impl IntoIterator<Item = S>,
    ) -> Self {
        self.after
            .extend(services.into_iter().map(|name| (name.into(), false)));
        self
    }

    /// How long its health check may take before it counts as unhealthy (default 5 s,
    /// [`DEFAULT_HEALTH_TIMEOUT`]), whatever [`timeout`](Registration::timeout) allows
    /// the other hooks.
    pub fn health_timeout(mut self, timeout: Duration) -> Self {
        self.health_timeout = timeout;
        self
    }

    /// How long each of its start, stop and reload hooks may run (default 30 s); the stop
    /// hook's own [`stop_timeout`](Registration::stop_timeout), when given, wins for that
    /// hook, and health checks have [`health_timeout`](Registration::health_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long its stop hook may run, whatever [`timeout`](Registration::timeout) allows
    /// the others: a start that migrates a database may take minutes while a stop must fit
    /// a supervisor's grace period. Its [spawned](ServiceCtx::spawn) tasks are given as
    /// long again to end, before the stop hook: a service whose tasks do not stop takes up
    /// to twice this.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::{Hooks, Registration};
    ///
    /// let store = Registration::new("store", Hooks::<()>::new())
    ///     .timeout(Duration::from_secs(300))
    ///     .stop_timeout(Duration::from_secs(10));
    /// ```
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// The name it registers under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This service under `name`, with its own dependencies (a test fake taking the place
    /// of a service declared by name, whose registration is never made).
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration};
    /// let fake = Registration::<()>::new("fake-store", Hooks::new()).after(["config"]);
    /// assert_eq!(fake.renamed("store").name(), "store");
    /// ```
    pub fn renamed(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// This service under `other`'s name and dependencies (a test fake taking a real
    /// service's place).
    pub fn renamed_after(mut self, other: &Registration<C>) -> Self {
        self.name.clone_from(&other.name);
        self.after.clone_from(&other.after);
        self
    }
}

struct Entry<C> {
    service: Arc<dyn Service<C>>,
    any: Arc<dyn Any + Send + Sync>,
    after: Vec<(String, bool)>,
    timeout: Duration,
    stop_timeout: Duration,
    health_timeout: Duration,
    work: Arc<Work>,
}

/// Where the services are in their life.
enum Phase<C> {
    Idle,
    /// Starting; a shutdown asks it to end early through `Inner::stop_requested`.
    Starting,
    /// Started, in this order.
    Running(Arc<[Planned<C>]>),
    /// Running, with the reload hooks being called.
    Reloading(Arc<[Planned<C>]>),
    Stopping,
    Stopped,
}

/// A service as a start, stop or reload pass needs it, taken from one registry snapshot.
struct Planned<C> {
    service: Arc<dyn Service<C>>,
    timeout: Duration,
    stop_timeout: Duration,
    work: Arc<Work>,
}

impl<C> Clone for Planned<C> {
    fn clone(&self) -> Self {
        Planned {
            service: Arc::clone(&self.service),
            timeout: self.timeout,
            stop_timeout: self.stop_timeout,
            work: Arc::clone(&self.work),
        }
    }
}

/// Broadcast when a service's start hook succeeded.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceStarted {
    /// The service.
    pub name: String,
    /// How long its start hook took.
    pub duration: Duration,
}

/// Broadcast when a service's stop hook ended (well or not).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceStopped {
    /// The service.
    pub name: String,
    /// How long its stop hook took.
    pub duration: Duration,
    /// Why it failed, if it did (its code says how: `TIMEOUT`, `INTERNAL` for a panic).
    pub error: Option<Error>,
}

/// Broadcast once every service has started (CoreGO's `ActionServiceStartup`).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ServiceStartup;

/// Broadcast when shutdown begins, before any stop hook (CoreGO's `ActionServiceShutdown`).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ServiceShutdown;

/// How startup went: the order and how long each service took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartReport {
    /// `(service, start duration)`, in start order.
    pub started: Vec<(Arc<str>, Duration)>,
}

/// How every service is doing, and whether the whole can serve.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthReport {
    /// The process is up and not stopped.
    pub live: bool,
    /// Every service started, none is unhealthy, and shutdown has not begun.
    pub ready: bool,
    /// Each service's health, in registration order: its own answer while it runs;
    /// otherwise `unhealthy: not started` or `unhealthy: stopped`, or the failure of a task
    /// of it, without asking it.
    pub services: Vec<(String, Health)>,
}

/// The services of an application: registered by name, started in dependency order (or
/// registration order), stopped in exact reverse, each hook bounded by a timeout and
/// caught if it panics. Cheap to clone; clones share everything.
///
/// Startup, reloads and shutdown are serialised: starting twice is a `CONFLICT`, a second
/// shutdown waits for the first (and then does nothing), a shutdown during startup or a
/// reload waits for it to end. A failed startup stops the services that had started, in
/// reverse, and returns the original error naming the failing service.
///
/// ```
/// use corers_lifecycle::{Hooks, Registration, Services};
/// use corers_messaging::Bus;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let services: Services<()> = Services::new(Bus::new());
/// services.register(Registration::new("cache", Hooks::new())).unwrap();
/// services.register(Registration::new("brain", Hooks::new()).after(["config"])).unwrap();
/// services.register(Registration::new("config", Hooks::new())).unwrap();
///
/// assert_eq!(services.order().unwrap(), ["cache", "config", "brain"]);
/// services.start_all(&()).await.unwrap();
/// services.stop_all(&(), std::time::Duration::from_secs(5)).await.unwrap();
/// # }
/// ```
pub struct Services<C> {
    inner: Arc<Inner<C>>,
}

struct Inner<C> {
    registry: Registry<Entry<C>>,
    phase: Mutex<Phase<C>>,
    /// Told of every change of `phase`, for the callers that wait for one (a shutdown
    /// waiting for startup or a reload to end, a second shutdown for the first).
    changed: watch::Sender<()>,
    /// How long the rollback of a failed startup may take: it waits for the bus's
    /// background tasks, then stops the services that had started; forced at the end.
    drain_deadline: Duration,
    /// Set by a shutdown that finds startup or a reload running (or by `stop_starting`, a
    /// stop request): startup stops after its current hook, a reload starts no further
    /// pass.
    stop_requested: AtomicBool,
    /// Set when a startup ends early because a shutdown was asked for.
    interrupted: AtomicBool,
    /// Reload requests made while a reload ran, counted (under the phase lock): the running
    /// one calls the hooks again for them.
    reloads_asked: AtomicU64,
    /// The last request a finished pass of reload hooks began after (under the phase lock):
    /// a request up to this one has been served.
    reloads_served: AtomicU64,
    bus: Bus<C>,
    /// Whether shutdown is forced: every running hook and task should give up.
    forced: Arc<Force>,
    /// Cancelled when the services begin to wind down, or will never run.
    context: CancellationToken,
    /// Where the rollback of a failed startup puts its stop hooks' failures: the slot of the
    /// `stop_all` that asked the startup to stop, while that call still waits.
    rollback_to: Mutex<Weak<Mutex<Option<Error>>>>,
    /// Set by `request_stop`: the application asked to shut down.
    requested: AtomicBool,
    /// The first failure a stop was requested for (a service's task failed).
    failure: Mutex<Option<Error>>,
}

impl<C> Clone for Services<C> {
    fn clone(&self) -> Self {
        Services {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: Clone + Send + Sync + 'static> Services<C> {
    /// No services yet; lifecycle events go on `bus`, and its background tasks are drained
    /// before the stop hooks run (the rollback of a failed startup is given 30 s in all;
    /// see [`with_drain_deadline`](Services::with_drain_deadline)).
    pub fn new(bus: Bus<C>) -> Services<C> {
        Services::with_drain_deadline(bus, DEFAULT_HOOK_TIMEOUT)
    }

    /// As [`new`](Services::new), with the time a failed startup has to stop the services
    /// that had started, waiting for the bus's background tasks first (forced once it has
    /// passed, as [`stop_all`](Services::stop_all) is at its own deadline).
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::Services;
    /// use corers_messaging::Bus;
    /// let services: Services<()> = Services::with_drain_deadline(Bus::new(), Duration::from_secs(10));
    /// ```
    pub fn with_drain_deadline(bus: Bus<C>, deadline: Duration) -> Services<C> {
        Services {
            inner: Arc::new(Inner {
                registry: Registry::new("services"),
                phase: Mutex::new(Phase::Idle),
                changed: watch::Sender::new(()),
                drain_deadline: deadline,
                stop_requested: AtomicBool::new(false),
                interrupted: AtomicBool::new(false),
                reloads_asked: AtomicU64::new(0),
                reloads_served: AtomicU64::new(0),
                bus,
                forced: Arc::new(Force::new()),
                context: CancellationToken::new(),
                rollback_to: Mutex::new(Weak::new()),
                requested: AtomicBool::new(false),
                failure: Mutex::new(None),
            }),
        }
    }

    /// Registers a service under its name.
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`] for a name already registered; [`ErrorCode::LOCKED`] after
    /// [`lock`](Services::lock); [`ErrorCode::INVALID`] for a malformed name.
    pub fn register(&self, registration: Registration<C>) -> Result<()> {
        let name: Arc<str> = Arc::from(registration.name.as_str());
        let owner: Weak<dyn StopRequest> = Arc::downgrade(&self.inner) as Weak<Inner<C>>;
        let work = Work::new(name, Arc::clone(&self.inner.forced), owner);
        self.inner.registry.register(
            &registration.name,
            Entry {
                service: registration.service,
                any: registration.any,
                after: registration.after,
                timeout: registration.timeout,
                stop_timeout: registration.stop_timeout.unwrap_or(registration.timeout),
                health_timeout: registration.health_timeout,
                work: Arc::new(work),
            },
        )
    }

    /// The service `name` as its concrete type, when it is one.
    pub fn get<T: Send + Sync + 'static>(&self, name: &str) -> Option<Arc<T>> {
        let entry = self.inner.registry.get(name)?;
        Arc::clone(&entry.any).downcast::<T>().ok()
    }

    /// The service `name` as its concrete type, or an error saying why not: for a caller
    /// that cannot go on without it (`services.require::<Store>("store")?`).
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, Service, Services};
    /// use corers_messaging::Bus;
    /// struct Store;
    /// impl Service<()> for Store {}
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.register(Registration::new("store", Store)).unwrap();
    /// services.register(Registration::new("cache", Hooks::new())).unwrap();
    /// assert!(services.require::<Store>("store").is_ok());
    /// let typo = services.require::<Store>("stor").err().unwrap();
    /// assert!(typo.message().ends_with(r#"(did you mean "store"?)"#), "{typo}");
    /// let other = services.require::<Store>("cache").err().unwrap();
    /// assert!(other.message().contains("is not a"), "{other}");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when no service is registered as `name` (naming the
    /// closest name); [`ErrorCode::INVALID`] when it is of another type.
    pub fn require<T: Send + Sync + 'static>(&self, name: &str) -> Result<Arc<T>> {
        const OP: &str = "lifecycle.Services.require";
        let Some(entry) = self.inner.registry.get(name) else {
            let names = self.names();
            let hint = corers_primitives::did_you_mean(name, names.iter().map(String::as_str));
            return Err(Error::new(
                OP,
                format!(
                    "no service {} is registered{hint}",
                    corers_primitives::shown_name(name)
                ),
            )
            .with_code(ErrorCode::NOT_FOUND));
        };
        Arc::clone(&entry.any).downcast::<T>().map_err(|_| {
            Error::new(
                OP,
                format!(
                    "service {} is not a {}",
                    corers_primitives::shown_name(name),
                    std::any::type_name::<T>()
                ),
            )
            .with_code(ErrorCode::INVALID)
        })
    }

    /// Reports whether `name` is registered.
    pub fn has(&self, name: &str) -> bool {
        self.inner.registry.has(name)
    }

    /// Every name, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.inner.registry.names()
    }

    /// Refuses further registrations (the Core's builder does this once it is built).
    pub fn lock(&self) {
        self.inner.registry.lock();
    }

    /// The start order: dependencies first, otherwise registration order.
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] naming a missing dependency, or the services in a cycle.
    pub fn order(&self) -> Result<Vec<String>> {
        Ok(self
            .plan()?
            .iter()
            .map(|planned| planned.work.name.to_string())
            .collect())
    }

    /// The services in start order, read from one snapshot of the registry.
    fn plan(&self) -> Result<Vec<Planned<C>>> {
        const OP: &str = "lifecycle.Services.order";
        let snapshot = self.inner.registry.snapshot();
        let mut planned = Vec::with_capacity(snapshot.len());
        // The declared dependencies, by position; empty (no allocation) for most services.
        let mut after: Vec<Vec<(String, bool)>> = Vec::with_capacity(snapshot.len());
        snapshot.each(|_, entry| {
            planned.push(Planned {
                service: Arc::clone(&entry.service),
                timeout: entry.timeout,
                stop_timeout: entry.stop_timeout,
                work: Arc::clone(&entry.work),
            });
            after.push(entry.after.clone());
        });
        if after.iter().all(Vec::is_empty) {
            return Ok(planned);
        }
        let index: HashMap<&str, usize> = planned
            .iter()
            .enumerate()
            .map(|(i, p)| (&*p.work.name, i))
            .collect();
        // Kahn's algorithm, always taking the earliest-registered ready service: dependency
        // order where there are dependencies, registration order everywhere else.
        let mut waiting_on = vec![0usize; planned.len()];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); planned.len()];
        let mut deps_of: Vec<Vec<usize>> = vec![Vec::new(); planned.len()];
        for (i, deps) in after.iter().enumerate() {
            for (dep, required) in deps {
                let Some(&d) = index.get(dep.as_str()) else {
                    if !required {
                        continue;
                    }
                    // Any other service: one never depends on itself.
                    let names = planned
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, p)| &*p.work.name);
                    let hint = corers_primitives::did_you_mean(dep, names);
                    return Err(Error::new(
                        OP,
                        format!(
                            "service {:?} depends on {dep:?}, which is not registered{hint}",
                            &*planned[i].work.name
                        ),
                    )
                    .with_code(ErrorCode::INVALID));
                };
                if !deps_of[i].contains(&d) {
                    deps_of[i].push(d);
                    waiting_on[i] += 1;
                    dependents[d].push(i);
                }
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> = (0..planned.len())
            .filter(|&i| waiting_on[i] == 0)
            .map(Reverse)
            .collect();
        let mut order = Vec::with_capacity(planned.len());
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &next in &dependents[i] {
                waiting_on[next] -= 1;
                if waiting_on[next] == 0 {
                    ready.push(Reverse(next));
                }
            }
        }
        if order.len() < planned.len() {
            let names: Vec<&str> = planned.iter().map(|p| &*p.work.name).collect();
            let stuck: Vec<usize> = (0..planned.len()).filter(|&i| waiting_on[i] > 0).collect();
            return Err(Error::new(
                OP,
                format!("dependency cycle: {}", cycle(&names, &stuck, &deps_of)),
            )
            .with_code(ErrorCode::INVALID));
        }
        Ok(order.into_iter().map(|i| planned[i].clone()).collect())
    }

    /// Starts every service in [`order`](Services::order), each under its timeout, and
    /// broadcasts [`ServiceStarted`] for each and [`ServiceStartup`] at the end. Tracing
    /// sees a `lifecycle` span (`phase = "startup"`) around a `service` span
    /// (`service`, `hook = "start"`) per hook; the logs of the hook's future are inside it.
    ///
    /// A failed startup winds down like a shutdown before it returns: [`ServiceShutdown`]
    /// is broadcast, the bus's background tasks are drained, and the services that had
    /// started are stopped in reverse, all within the
    /// [drain deadline](Services::with_drain_deadline) (forced once it has passed). A [`stop_all`](Services::stop_all) called while startup runs
    /// ends it after the running hook, and itself stops the services that had started. If
    /// the returned future is dropped part-way, the services that had started count as
    /// running, so that `stop_all` stops them; dropped while winding down, the services not
    /// yet stopped are abandoned.
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`] when already started (or starting, or stopped: services
    /// start once); the error of [`order`](Services::order); [`ErrorCode::UNAVAILABLE`]
    /// when a shutdown interrupted it; otherwise the failing service's error, wrapped to
    /// name it.
    pub async fn start_all(&self, core: &C) -> Result<StartReport> {
        let span = tracing::info_span!("lifecycle", phase = "startup");
        tracing::Instrument::instrument(self.start_in_order(core), span).await
    }

    /// [`start_all`](Services::start_all), outside its span.
    async fn start_in_order(&self, core: &C) -> Result<StartReport> {
        const OP: &str = "lifecycle.Services.start_all";
        {
            let mut phase = self.phase();
            if !matches!(*phase, Phase::Idle) {
                return Err(
                    Error::new(OP, format!("services are already {}", describe(&phase)))
                        .with_code(ErrorCode::CONFLICT),
                );
            }
            // Cancelled while idle: a shutdown has begun (its owner cancels the context
            // before it stops the services), and what it stops must not start meanwhile.
            if self.inner.context.is_cancelled() {
                self.inner.interrupted.store(true, Ordering::Relaxed);
                return Err(cut_by_the_stop("startup refused: shutdown has begun"));
            }
            *phase = Phase::Starting;
        }
        let order: Arc<[Planned<C>]> = match self.plan() {
            Ok(order) => order.into(),
            Err(err) => {
                self.set(&mut self.phase(), Phase::Stopped);
                self.inner.context.cancel();
                return Err(err);
            }
        };
        let mut progress = Progress {
            services: self,
            order: Arc::clone(&order),
            started: 0,
            ended: false,
        };
        let mut report = StartReport::default();
        // One clock read per hook when nothing runs between hooks: each hook's end is the
        // next one's start (after listeners or a log line, the clock is read again).
        let mut mark = Instant::now();
        for planned in order.iter() {
            let outcome = run_hook(
                "start",
                &planned.work.name,
                planned.timeout,
                call(|| {
                    Arc::clone(&planned.service).start(Self::ctx(
                        core,
                        &planned.work,
                        planned.timeout,
                        mark,
                    ))
                }),
                &self.inner.forced,
            )
            .await;
            let now = Instant::now();
            let duration = now - mark;
            mark = now;
            if let Err(err) = outcome {
                let err = Error::wrap(
                    err,
                    OP,
                    format!("service {:?} failed to start", &*planned.work.name),
                );
                // Its stop hook is not called (it did not start), but what it spawned
                // before it failed is stopped.
                planned.work.stop_tasks(planned.stop_timeout).await;
                let err = self.failed_after_request(err);
                return Err(progress.roll_back(core, err).await);
            }
            progress.started += 1;
            planned.work.started();
            // Debug, not info: a command line prints no line per service on every run.
            let logged = tracing::enabled!(tracing::Level::DEBUG);
            tracing::debug!(
                service = &*planned.work.name,
                duration_ms = millis(duration),
                "service started"
            );
            let heard = self.inner.bus.is_heard::<ServiceStarted>();
            if heard {
                let _ = self.inner.bus.broadcast(
                    core,
                    &ServiceStarted {
                        name: planned.work.name.to_string(),
                        duration,
                    },
                );
            }
            report
                .started
                .push((Arc::clone(&planned.work.name), duration));
            // Relaxed: a request that comes after the last look is seen by stop_all itself,
            // woken when startup ends (or by the owner that called `stop_starting`, which
            // calls stop_all once startup has returned).
            if self.inner.stop_requested.load(Ordering::Relaxed) {
                // What started runs on, for the stop_all that asked (or will ask) to stop
                // it (with its own deadline, reporting its own failures).
                let started = order[..progress.started].iter().cloned().collect();
                progress.end(Phase::Running(started));
                self.inner.interrupted.store(true, Ordering::Relaxed);
                return Err(cut_by_the_stop(
                    "startup interrupted: shutdown was requested",
                ));
            }
            // Whatever listeners and log writers did is not the next hook's time.
            if heard || logged {
                mark = Instant::now();
            }
        }
        // Before the services count as running, so that no shutdown can begin (and
        // broadcast ServiceShutdown) ahead of it.
        let _ = self.inner.bus.broadcast(core, &ServiceStartup);
        progress.end(Phase::Running(order));
        Ok(report)
    }

    /// A start hook's failure `err`, as startup reports it: when a stop was asked for
    /// before it, for a failure (a task's), both are told (`err`'s code first); for none
    /// (a signal, a `request_stop` without one), the hook gave up as told: startup was
    /// [interrupted](Services::was_interrupted), and `err` is logged, not a failure to
    /// start.
    fn failed_after_request(&self, err: Error) -> Error {
        // Relaxed: as `stop_starting`; a hook woken by the request sees it.
        if !self.inner.stop_requested.load(Ordering::Relaxed) {
            return err;
        }
        match self.failure() {
            Some(failure) => Error::join([err.clone(), failure]).unwrap_or(err),
            None => {
                tracing::info!(error = %err, "startup ended by a shutdown request");
                self.inner.interrupted.store(true, Ordering::Relaxed);
                err
            }
        }
    }

    /// Stops every started service: cancels the [context](Services::context), broadcasts
    /// [`ServiceShutdown`], drains the bus's background tasks, then runs every stop hook in
    /// reverse start order, each under its timeout. Every service gets its stop hook even
    /// when an earlier one failed, timed out or panicked; the failures are returned
    /// together. Spans as for [`start_all`](Services::start_all), with
    /// `phase = "shutdown"` and `hook = "stop"`.
    ///
    /// `deadline` bounds the whole stop: the drain waits up to it, and once it has passed
    /// the stop is [forced](Services::force_after), so the call returns within `deadline`
    /// plus 250 ms however many hooks hang (`Duration::MAX` for no bound but the hooks'
    /// own timeouts). A background task that never ends uses the whole deadline and
    /// leaves the stop hooks only that grace. A second call's deadline, or that of a call
    /// made while startup or a reload runs, bounds the stop under way too: it forces the
    /// hooks running then (a start or reload hook included) once it has passed.
    ///
    /// Called while startup runs, it asks startup to stop after the running hook and waits
    /// until the services that had started are stopped (when the startup fails instead,
    /// its rollback stops them, and this call returns the rollback's stop failures); while
    /// a reload runs, it waits for the reload to end first. A second call waits for the
    /// first to finish and returns `Ok`; after that, stopping does nothing. Services never
    /// started are never stopped (and will not start).
    ///
    /// The stop runs on a tokio task of its own (logging where this call does): a caller
    /// that stops waiting (a `select!`, a timeout around it) leaves it to finish, every
    /// service still getting its stop hook, rather than leaving services unstopped.
    ///
    /// # Errors
    /// The stop hooks' failures, joined; `UNAVAILABLE` when the runtime shut down under
    /// the stop.
    pub async fn stop_all(&self, core: &C, deadline: Duration) -> Result<()> {
        const OP: &str = "lifecycle.Services.stop_all";
        let (services, core) = (self.clone(), core.clone());
        let stop = async move {
            let span = tracing::info_span!("lifecycle", phase = "shutdown");
            // When the stop will be forced: no stop hook's deadline is later.
            let ends = Instant::now().checked_add(deadline);
            let stop = tracing::Instrument::instrument(
                services.stop_in_reverse(&core, deadline, ends),
                span,
            );
            services.force_after(deadline, stop).await
        };
        let mut stop = Box::pin(
            tracing::instrument::WithSubscriber::with_current_subscriber(
                tracing::Instrument::in_current_span(stop),
            ),
        );
        // A stop with nothing to wait for ends here; one that must wait goes on on a task
        // of its own.
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(stop.as_mut().poll(cx)));
        if let std::task::Poll::Ready(stopped) = first.await {
            return stopped;
        }
        match tokio::spawn(stop).await {
            Ok(stopped) => stopped,
            Err(join) if join.is_panic() => Err(Error::from_caught(OP, join.into_panic())),
            Err(_) => Err(
                Error::new(OP, "the stop was cut off: its runtime is shutting down")
                    .with_code(ErrorCode::UNAVAILABLE),
            ),
        }
    }

    /// [`stop_all`](Services::stop_all), outside its span.
    async fn stop_in_reverse(
        &self,
        core: &C,
        deadline: Duration,
        ends: Option<Instant>,
    ) -> Result<()> {
        // Where a rollback reports to this call, when this call is the one that asked a
        // running startup to stop.
        let mut rolled_back: Option<Arc<Mutex<Option<Error>>>> = None;
        let started = loop {
            let mut changed = {
                let mut phase = self.phase();
                match &mut *phase {
                    Phase::Running(started) => {
                        let started = Arc::clone(started);
                        self.set(&mut phase, Phase::Stopping);
                        break Some(started);
                    }
                    // Never started: nothing to stop, but the bus takes no more background
                    // work, and what it took before is drained below (stopping until then,
                    // so a second call waits for the drain too).
                    Phase::Idle => {
                        self.set(&mut phase, Phase::Stopping);
                        self.inner.bus.shutdown();
                        self.inner.context.cancel();
                        break None;
                    }
                    // A startup that failed while this call waited was rolled back: its
                    // stop hooks' failures are this call's.
                    Phase::Stopped => {
                        let failure = rolled_back.and_then(|slot| {
                            slot.lock().unwrap_or_else(PoisonError::into_inner).take()
                        });
                        return failure.map_or(Ok(()), Err);
                    }
                    // Startup stops early, leaving what it started running for this call
                    // to stop; a reload finishes first; another shutdown is waited for,
                    // not repeated.
                    Phase::Starting => {
                        self.inner.stop_requested.store(true, Ordering::Relaxed);
                        let mut to = self
                            .inner
                            .rollback_to
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        // The first caller still waiting hears of a rollback; a dropped
                        // one's slot is gone, and the next caller takes its place.
                        if rolled_back.is_none() && to.upgrade().is_none() {
                            let slot = Arc::new(Mutex::new(None));
                            *to = Arc::downgrade(&slot);
                            rolled_back = Some(slot);
                        }
                        self.inner.changed.subscribe()
                    }
                    // No further pass starts: a stream of reload requests would
                    // otherwise keep the phase Reloading, and this stop waiting, for ever.
                    Phase::Reloading(_) => {
                        self.inner.stop_requested.store(true, Ordering::Relaxed);
                        self.inner.changed.subscribe()
                    }
                    Phase::Stopping => self.inner.changed.subscribe(),
                }
            };
            // The sender lives as long as `self`: this cannot fail.
            let _ = changed.changed().await;
        };
        let stopping = Stopping(self);
        let Some(started) = started else {
            self.drain_bus(deadline).await;
            return Ok(());
        };
        let result = self.wind_down(core, &started, deadline, ends).await;
        drop(stopping);
        result
    }

    /// What every shutdown does, also that of a failed startup: cancels the
    /// [context](Services::context), broadcasts [`ServiceShutdown`], drains the bus's
    /// background tasks (up to `deadline`, or until forced), then stops `started` in
    /// reverse, no stop hook's deadline later than `ends` (when the stop is forced).
    async fn wind_down(
        &self,
        core: &C,
        started: &[Planned<C>],
        deadline: Duration,
        ends: Option<Instant>,
    ) -> Result<()> {
        self.inner.context.cancel();
        let _ = self.inner.bus.broadcast(core, &ServiceShutdown);
        self.drain_bus(deadline).await;
        self.stop_services(core, started, ends).await
    }

    /// Drains the bus's background tasks for up to `deadline` (or until forced), warning of
    /// those still running at the end.
    async fn drain_bus(&self, deadline: Duration) {
        let drain = tokio::select! {
            drain = self.inner.bus.drain(deadline) => drain,
            // Forced: no more waiting; what still runs is cut off as at the deadline.
            () = self.inner.forced.cancelled() => self.inner.bus.drain(Duration::ZERO).await,
        };
        if !drain.is_complete() {
            let unfinished: Vec<String> =
                drain.unfinished.iter().map(ToString::to_string).collect();
            tracing::warn!(unfinished = %unfinished.join(", "), "background tasks still running at shutdown");
        }
    }

    /// The services' context: cancelled when they begin to wind down — before the bus is
    /// drained and any stop hook runs, whether for a shutdown or for the rollback of a
    /// failed startup — or when they will never run (stopped before they started, or a
    /// dependency cycle). Work that runs for as long as the services do watches it.
    ///
    /// ```
    /// use corers_lifecycle::Services;
    /// use corers_messaging::Bus;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.start_all(&()).await.unwrap();
    /// assert!(!services.context().is_cancelled());
    /// services.stop_all(&(), std::time::Duration::from_secs(5)).await.unwrap();
    /// assert!(services.context().is_cancelled());
    /// # }
    /// ```
    pub fn context(&self) -> &CancellationToken {
        &self.inner.context
    }

    /// Asks a startup under way to start no more services once its running start hook ends:
    /// [`start_all`](Services::start_all) then returns `UNAVAILABLE`, leaving what started
    /// running for the caller's [`stop_all`](Services::stop_all). For an owner that learns
    /// of a shutdown (a signal) while startup runs, and stops the services itself once
    /// startup has returned. Before startup, cancel the [context](Services::context)
    /// instead: a startup refuses to begin once it is cancelled.
    ///
    /// ```
    /// use corers_lifecycle::{Hooks, Registration, Services};
    /// use corers_messaging::Bus;
    /// use corers_primitives::{Error, ErrorCode};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let services: Services<()> = Services::new(Bus::new());
    /// let asker = services.clone();
    /// services.register(Registration::new("config", Hooks::new().on_start(move |_| {
    ///     asker.stop_starting(); // SIGTERM arrived while config started
    ///     async { Ok(()) }
    /// }))).unwrap();
    /// services.register(Registration::new("store", Hooks::new().on_start(|_| async {
    ///     Err(Error::new("store.Db.open", "never reached"))
    /// }))).unwrap();
    /// let err = services.start_all(&()).await.unwrap_err();
    /// assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE)); // not the store's error
    /// services.stop_all(&(), std::time::Duration::from_secs(5)).await.unwrap();
    /// # }
    /// ```
    pub fn stop_starting(&self) {
        // Relaxed: startup looks after each hook; stop_all, run after startup returned,
        // does not depend on it.
        self.inner.stop_requested.store(true, Ordering::Relaxed);
    }

    /// Asks for a shutdown without waiting for it — what a first SIGTERM does, and what a
    /// hook or a task can do from inside (awaiting [`stop_all`](Services::stop_all) there
    /// would wait on the very hook that awaits it): the bus refuses new background work,
    /// a startup under way starts no more services, and the
    /// [context](Services::context) is cancelled, which tells the owner (a CoreRS
    /// application's `run`, or your own loop) to stop the services. `failure` says the
    /// application is stopping because something failed: the first one is kept, for
    /// [`failure`](Services::failure) (a CoreRS application prints it and exits with its
    /// code).
    ///
    /// ```
    /// use corers_lifecycle::Services;
    /// use corers_messaging::Bus;
    /// use corers_primitives::Error;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.start_all(&()).await.unwrap();
    /// services.request_stop(Some(Error::new("store.Db.watch", "database gone")));
    /// services.context().cancelled().await; // the owner's loop wakes up
    /// services.stop_all(&(), std::time::Duration::from_secs(5)).await.unwrap();
    /// assert_eq!(services.failure().unwrap().message(), "database gone");
    /// # }
    /// ```
    pub fn request_stop(&self, failure: Option<Error>) {
        self.inner.request_stop(failure);
    }

    /// Whether [`start_all`](Services::start_all) ended early because a shutdown was asked
    /// for (a signal, [`request_stop`](Services::request_stop), a `stop_all` while it ran),
    /// rather than because a service failed to start — a start hook that fails once a stop
    /// without a failure was asked for gave up as told: for an owner deciding what to
    /// report.
    pub fn was_interrupted(&self) -> bool {
        // Relaxed: read by the caller of `start_all`, after it returned.
        self.inner.interrupted.load(Ordering::Relaxed)
    }

    /// Whether a stop was [requested](Services::request_stop).
    pub fn is_stop_requested(&self) -> bool {
        self.inner.requested.load(Ordering::Acquire)
    }

    /// The failure the first [requested](Services::request_stop) stop was for, if any
    /// (a service's task that failed while it ran).
    pub fn failure(&self) -> Option<Error> {
        self.inner
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(Error::clone)
    }

    /// Cancels every running hook's token and cuts the bus's drain short: a second signal,
    /// or a host that cannot wait. The hooks and service tasks still running, and those
    /// still to stop, share a grace of 250 ms from this call to wind down, then are
    /// abandoned (each hook still gets its first poll, so a hook that flushes without
    /// waiting still flushes).
    pub fn force(&self) {
        self.inner.forced.force();
    }

    /// Completes once [`force`](Services::force) has been called: for a host's own waits
    /// during shutdown, which a forced shutdown ends too.
    pub async fn forced(&self) {
        self.inner.forced.cancelled().await;
    }

    /// Runs `shutdown`, [forcing](Services::force) it once `deadline` has passed — and
    /// then still waiting for it, now cut short: hooks still running get what is left of
    /// the 250 ms grace, later ones their first poll, and background work is no longer
    /// waited for. [`stop_all`](Services::stop_all) runs under it; an owner whose
    /// shutdown has steps of its own around `stop_all` runs them all under one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_lifecycle::{Hooks, Registration, Services};
    /// use corers_messaging::Bus;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let services: Services<()> = Services::new(Bus::new());
    /// services.register(Registration::new("uploader", Hooks::new().on_stop(|_| async {
    ///     std::future::pending::<()>().await; // a flush that never ends
    ///     Ok(())
    /// })).stop_timeout(Duration::from_secs(600))).unwrap();
    /// services.start_all(&()).await.unwrap();
    ///
    /// let began = tokio::time::Instant::now();
    /// let stopped = services.force_after(Duration::from_secs(10), async {
    ///     // Steps of the owner's own, then the services.
    ///     services.stop_all(&(), Duration::MAX).await
    /// }).await;
    /// assert!(stopped.unwrap_err().to_string().contains("shutdown was forced"));
    /// assert_eq!(began.elapsed(), Duration::from_millis(10_250));
    /// # }
    /// ```
    pub async fn force_after<T>(&self, deadline: Duration, shutdown: impl Future<Output = T>) -> T {
        tokio::pin!(shutdown);
        tokio::select! {
            biased;
            done = &mut shutdown => done,
            () = tokio::time::sleep(deadline) => {
                if !self.inner.forced.is_forced() {
                    tracing::warn!(?deadline, "shutdown ran out of time: forcing it");
                    self.force();
                }
                shutdown.await
            }
        }
    }

    /// Calls every started service's reload hook, in start order. Called while startup
    /// runs, it waits for startup to end and then reloads every service (those started
    /// before the request would otherwise run on with what they read then); so it must not
    /// be awaited from a start hook. Before startup and once shutdown has begun (the
    /// [context](Services::context) is cancelled) it does nothing; a shutdown that begins
    /// while it runs waits for the pass under way, and no further pass starts. Called while
    /// another reload runs, it asks that one to call the hooks once more when it ends (so
    /// that they see whatever changed since they began), and returns once that is done:
    /// reloads coalesce, and their failures are reported by the call that ran the hooks.
    /// When the running reload is dropped before that pass, the waiting call runs the hooks
    /// itself.
    ///
    /// # Errors
    /// The reload hooks' failures, joined (every service is reloaded regardless);
    /// [`ErrorCode::CONFLICT`] when asked from inside a reload hook (on its task), which
    /// the reload under way would otherwise wait on, pass after pass.
    pub async fn reload_all(&self, core: &C) -> Result<()> {
        // A reload hook that asks for a reload would have this pass wait for the hook and
        // the hook for the pass: each asked-for pass runs it again, without end.
        if in_reload_hook() {
            return Err(Error::new(
                "lifecycle.Services.reload_all",
                "a reload asked for from inside a reload hook would wait on that hook: \
                 the reload under way already reloads every service",
            )
            .with_code(ErrorCode::CONFLICT));
        }
        // (Relaxed: the counters are read and written under the phase lock.)
        let (started, mut covering) = loop {
            let waiting = {
                let mut phase = self.phase();
                match &*phase {
                    // Not once shutdown has begun (the context is cancelled first) or a
                    // stop waits for this reload.
                    Phase::Running(started) if !self.inner.is_stopping_soon() => {
                        let started = Arc::clone(started);
                        self.set(&mut phase, Phase::Reloading(Arc::clone(&started)));
                        // This pass serves every request made so far.
                        break (started, self.inner.reloads_asked.load(Ordering::Relaxed));
                    }
                    // Once shutdown has begun, no further pass is asked for.
                    Phase::Reloading(_) if !self.inner.is_stopping_soon() => {
                        let asked = self.inner.reloads_asked.fetch_add(1, Ordering::Relaxed) + 1;
                        Some((asked, self.inner.changed.subscribe()))
                    }
                    // The services started before the request would run on with what they
                    // read then: once startup is over, they all reload.
                    Phase::Starting if !self.inner.is_stopping_soon() => None,
                    _ => return Ok(()),
                }
            };
            let Some((asked, mut changed)) = waiting else {
                let mut changed = self.inner.changed.subscribe();
                while matches!(*self.phase(), Phase::Starting) {
                    // The sender lives as long as `self`: this cannot fail.
                    let _ = changed.changed().await;
                }
                continue;
            };
            // The running reload calls the hooks again for this request: wait for it to end.
            loop {
                // The sender lives as long as `self`: this cannot fail.
                let _ = changed.changed().await;
                if !matches!(*self.phase(), Phase::Reloading(_)) {
                    break;
                }
            }
            if self.inner.reloads_served.load(Ordering::Relaxed) >= asked {
                return Ok(());
            }
            // That reload was dropped before a pass served this request: run one here.
        };
        // Back to running when the reload ends, also when its future is dropped.
        let _running = Reloading(self);
        let mut failures = Vec::new();
        loop {
            for planned in started.iter() {
                let hook = run_hook(
                    "reload",
                    &planned.work.name,
                    planned.timeout,
                    call(|| {
                        Arc::clone(&planned.service).reload(Self::ctx(
                            core,
                            &planned.work,
                            planned.timeout,
                            Instant::now(),
                        ))
                    }),
                    &self.inner.forced,
                );
                if let Err(err) = IN_RELOAD_HOOK.scope((), hook).await {
                    failures.push(err);
                }
            }
            // Asked again meanwhile: once more. Otherwise back to running, in the same
            // critical section as the look, so no request falls between the two.
            match self.finish_reload(&started, covering) {
                Some(more) => covering = more,
                None => break,
            }
        }
        Error::join_in("lifecycle.Services.reload_all", failures).map_or(Ok(()), Err)
    }

    /// Asks every service how it is, and whether the whole can serve.
    pub async fn health(&self, core: &C) -> HealthReport {
        // How many services started (none unless running): a startup dropped part-way
        // leaves the ones it started running, but not every service.
        let (started, stopped) = {
            let phase = self
                .inner
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (
                match &*phase {
                    Phase::Running(started) | Phase::Reloading(started) => Some(started.len()),
                    _ => None,
                },
                matches!(*phase, Phase::Stopped),
            )
        };
        // Every check at once: a slow one delays the report by its own timeout, not the sum.
        let mut checks = tokio::task::JoinSet::new();
        // One slot per service asked, in registration order; filled as the answers come.
        let mut services: Vec<(String, Health)> = Vec::new();
        for name in self.names() {
            let Some(entry) = self.inner.registry.get(&name) else {
                continue;
            };
            // Not running (not yet, or no more), or broken by a failed task: said without
            // asking a hook that would answer for a service that is not there.
            if let Some(health) = entry.work.known_health() {
                services.push((name, health));
                continue;
            }
            let ctx = Self::ctx(core, &entry.work, entry.health_timeout, Instant::now());
            let check = catch_panic(
                "lifecycle.Services.health",
                call_health(|| Arc::clone(&entry.service).health(ctx)),
            );
            let timeout = entry.health_timeout;
            let index = services.len();
            // Unless an answer replaces it (a join error: the runtime is shutting down).
            services.push((name, Health::Unhealthy("no answer".into())));
            let check = async move {
                let health = match tokio::time::timeout(timeout, check).await {
                    Ok(Ok(health)) => health,
                    Ok(Err(panic)) => Health::Unhealthy(panic.message().to_owned()),
                    Err(_) => Health::Unhealthy(format!("no answer within {timeout:?}")),
                };
                (index, health)
            };
            // In this call's span, logging where this call does.
            checks.spawn(
                tracing::instrument::WithSubscriber::with_current_subscriber(
                    tracing::Instrument::in_current_span(check),
                ),
            );
        }
        while let Some(joined) = checks.join_next().await {
            // The check's own panics are caught above.
            if let Ok((index, health)) = joined {
                services[index].1 = health;
            }
        }
        HealthReport {
            live: !stopped,
            ready: started == Some(services.len())
                && !self.inner.bus.is_shutting_down()
                && services.iter().all(|(_, h)| h.is_serving()),
            services,
        }
    }

    /// Stops `started` in reverse; every one gets its hook, whose deadline is its timeout's
    /// or `ends` (when the stop is forced), whichever is earlier; failures are joined.
    async fn stop_services(
        &self,
        core: &C,
        started: &[Planned<C>],
        ends: Option<Instant>,
    ) -> Result<()> {
        let mut failures = Vec::new();
        let mut mark = Instant::now();
        for planned in started.iter().rev() {
            // Its own background work first: told to stop, and waited for.
            if let Some(tasks) = planned.work.stop_tasks(planned.stop_timeout).await {
                failures.extend(tasks);
                // The stop hook's time (and its deadline) begins now.
                mark = Instant::now();
            }
            let outcome = run_hook(
                "stop",
                &planned.work.name,
                planned.stop_timeout,
                call(|| {
                    let mut ctx = Self::ctx(core, &planned.work, planned.stop_timeout, mark);
                    ctx.deadline = match (ctx.deadline, ends) {
                        (Some(own), Some(ends)) => Some(own.min(ends)),
                        (own, ends) => own.or(ends),
                    };
                    Arc::clone(&planned.service).stop(ctx)
                }),
                &self.inner.forced,
            )
            .await;
            let now = Instant::now();
            let duration = now - mark;
            mark = now;
            let heard = self.inner.bus.is_heard::<ServiceStopped>();
            if heard {
                let _ = self.inner.bus.broadcast(
                    core,
                    &ServiceStopped {
                        name: planned.work.name.to_string(),
                        duration,
                        error: outcome.as_ref().err().cloned(),
                    },
                );
            }
            match outcome {
                Ok(()) => {
                    tracing::debug!(
                        service = &*planned.work.name,
                        duration_ms = millis(duration),
                        "service stopped"
                    );
                }
                Err(err) => {
                    tracing::error!(service = &*planned.work.name, error = %err, "service failed to stop");
                    failures.push(err);
                }
            }
            // Whatever listeners and log writers did is not the next hook's time.
            if heard || tracing::enabled!(tracing::Level::DEBUG) || !failures.is_empty() {
                mark = Instant::now();
            }
        }
        Error::join_in("lifecycle.Services.stop_all", failures).map_or(Ok(()), Err)
    }

    /// The context of a hook of the service whose work is `work` that may take `timeout`
    /// from `called` (read by the caller, which reads the clock around each hook anyway).
    fn ctx(core: &C, work: &Arc<Work>, timeout: Duration, called: Instant) -> ServiceCtx<C> {
        ServiceCtx {
            core: core.clone(),
            timeout,
            deadline: called.checked_add(timeout),
            work: Arc::clone(work),
            cancel: OnceLock::new(),
        }
    }

    /// Records a finished pass of reload hooks, which served the requests up to `covered`,
    /// and ends the reload of `started` unless more were asked for meanwhile: then returns
    /// the request the next pass serves up to.
    fn finish_reload(&self, started: &Arc<[Planned<C>]>, covered: u64) -> Option<u64> {
        let mut phase = self.phase();
        self.inner.reloads_served.store(covered, Ordering::Relaxed);
        let asked = self.inner.reloads_asked.load(Ordering::Relaxed);
        // Once shutdown has begun (or a stop waits), the requests left are dropped: the
        // services are stopping.
        if asked > covered && !self.inner.is_stopping_soon() {
            return Some(asked);
        }
        self.set(&mut phase, Phase::Running(Arc::clone(started)));
        None
    }

    fn phase(&self) -> MutexGuard<'_, Phase<C>> {
        self.inner
            .phase
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves `phase` (held locked) to `to`, and tells whoever waits for a change.
    fn set(&self, phase: &mut MutexGuard<'_, Phase<C>>, to: Phase<C>) {
        **phase = to;
        self.inner.changed.send_replace(());
    }
}

impl<C> Inner<C> {
    /// Whether a shutdown has begun or a stop was asked for: no further reload pass.
    fn is_stopping_soon(&self) -> bool {
        // Relaxed: read under the phase lock, and stop_all sets it under that lock; a
        // request's store outside it also cancels the context, which is looked at first.
        self.context.is_cancelled() || self.stop_requested.load(Ordering::Relaxed)
    }
}

impl<C: Clone + Send + Sync + 'static> StopRequest for Inner<C> {
    fn is_stopping(&self) -> bool {
        // Cancelled by a request, and by a stop_all without one (a host's, a failed
        // startup's rollback).
        self.context.is_cancelled()
    }

    fn request_stop(&self, failure: Option<Error>) {
        if let Some(failure) = failure {
            self.failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(failure);
        }
        // Release: whoever sees the request sees the failure kept before it.
        self.requested.store(true, Ordering::Release);
        // The bus first: work started in reaction to the cancellation is refused; then the
        // request to start no more, which the cancellation's wake-up makes visible to the
        // start hook it wakes.
        self.bus.shutdown();
        // Relaxed: as `stop_starting`.
        self.stop_requested.store(true, Ordering::Relaxed);
        self.context.cancel();
    }
}

/// A startup in progress: how far it got, so that it can be rolled back, and so that a
/// startup whose future is dropped leaves the services it started running (for
/// [`Services::stop_all`] to stop) instead of "starting" forever.
struct Progress<'a, C: Clone + Send + Sync + 'static> {
    services: &'a Services<C>,
    order: Arc<[Planned<C>]>,
    /// How many of `order` have started.
    started: usize,
    ended: bool,
}

impl<C: Clone + Send + Sync + 'static> Progress<'_, C> {
    /// Ends the startup in phase `to`.
    fn end(mut self, to: Phase<C>) {
        self.ended = true;
        self.services.set(&mut self.services.phase(), to);
    }

    /// Winds down what had started (as a shutdown would), ends in `Stopped`, and returns
    /// `err` (with a rollback failure logged beside it).
    async fn roll_back(mut self, core: &C, err: Error) -> Error {
        let services = self.services;
        self.ended = true;
        services.set(&mut services.phase(), Phase::Stopping);
        let stopping = Stopping(services);
        let deadline = services.inner.drain_deadline;
        let ends = Instant::now().checked_add(deadline);
        let rollback = services
            .force_after(
                deadline,
                services.wind_down(core, &self.order[..self.started], deadline, ends),
            )
            .await;
        if let Err(rollback) = rollback {
            tracing::error!(error = %rollback, "rolling back a failed startup also failed");
            let waiting = services
                .inner
                .rollback_to
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .upgrade();
            if let Some(slot) = waiting {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(rollback);
            }
        }
        drop(stopping);
        err
    }
}

impl<C: Clone + Send + Sync + 'static> Drop for Progress<'_, C> {
    fn drop(&mut self) {
        // Dropped before it ended: the started services run on, for stop_all to stop; the
        // one whose start hook was cut off never started, and what it spawned is aborted.
        if !self.ended {
            if let Some(cut_off) = self.order.get(self.started) {
                cut_off.work.abort();
            }
            let started: Arc<[Planned<C>]> = self.order[..self.started].iter().cloned().collect();
            self.services
                .set(&mut self.services.phase(), Phase::Running(started));
        }
    }
}

/// A shutdown in progress (or a failed startup's): stopped when it ends, also when its
/// future is dropped part-way (the services not yet stopped are then abandoned), so that
/// no later shutdown waits for it for ever.
struct Stopping<'a, C: Clone + Send + Sync + 'static>(&'a Services<C>);

impl<C: Clone + Send + Sync + 'static> Drop for Stopping<'_, C> {
    fn drop(&mut self) {
        self.0.set(&mut self.0.phase(), Phase::Stopped);
    }
}

/// A reload in progress: back to running when it ends.
struct Reloading<'a, C: Clone + Send + Sync + 'static>(&'a Services<C>);

impl<C: Clone + Send + Sync + 'static> Drop for Reloading<'_, C> {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        if let Phase::Reloading(started) = &*phase {
            let started = Arc::clone(started);
            self.0.set(&mut phase, Phase::Running(started));
        }
    }
}

/// A start the stop refused or cut short: `UNAVAILABLE`, [marked
/// cancelled](Error::mark_cancelled).
fn cut_by_the_stop(message: &'static str) -> Error {
    Error::cancelled("lifecycle.Services.start_all", message)
}

fn describe<C>(phase: &Phase<C>) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Starting => "starting",
        Phase::Running(_) => "running",
        Phase::Reloading(_) => "reloading",
        Phase::Stopping => "stopping",
        Phase::Stopped => "stopped",
    }
}

/// Runs one hook under its timeout, catching a panic; on timeout its future is dropped.
async fn run_hook(
    hook: &str,
    name: &str,
    timeout: Duration,
    future: BoxFuture<Result<()>>,
    forced: &Force,
) -> Result<()> {
    let op = "lifecycle.Services.hook";
    // The hook runs in a span naming its service: its own logs carry the name, and a
    // subscriber that times spans sees each hook's duration.
    let span = tracing::info_span!("service", service = name, hook);
    let mut work = catch_panic(op, tracing::Instrument::instrument(future, span));
    // Most hooks finish at their first poll: only those that wait meet the timer.
    let first =
        std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut work).poll(cx)))
            .await;
    let ended = match first {
        std::task::Poll::Ready(ended) => Ok(ended),
        std::task::Poll::Pending => tokio::select! {
            biased;
            ended = tokio::time::timeout(timeout, &mut work) => ended,
            () = forced.cancelled() => {
                // The hook's token is cancelled too: give it what is left of the grace to
                // wind down, then abandon it (its future is dropped).
                match forced.within_grace(&mut work).await {
                    Some(ended) => Ok(ended),
                    None => {
                        return Err(Error::new(op, format!("{hook} hook of {name:?} abandoned: shutdown was forced"))
                            .with_code(ErrorCode::UNAVAILABLE));
                    }
                }
            }
        },
    };
    match ended {
        Ok(Ok(outcome)) => {
            outcome.map_err(|e| Error::wrap(e, op, format!("{hook} hook of {name:?} failed")))
        }
        Ok(Err(panic)) => Err(Error::wrap(
            panic,
            op,
            format!("{hook} hook of {name:?} panicked"),
        )),
        // The hook's future is dropped here: that is its cancellation.
        Err(_) => Err(Error::new(
            op,
            format!("{hook} hook of {name:?} took longer than {timeout:?}"),
        )
        .with_code(ErrorCode::TIMEOUT)),
    }
}

/// Calls a hook to get its future; a panic before the future exists is caught like one
/// inside it.
fn call(hook: impl FnOnce() -> BoxFuture<Result<()>>) -> BoxFuture<Result<()>> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)) {
        Ok(future) => future,
        Err(payload) => {
            let err = Error::from_caught("lifecycle.Services.hook", payload);
            Box::pin(async move { Err(err) })
        }
    }
}

/// [`call`] for health checks: a panic reads as unhealthy.
fn call_health(check: impl FnOnce() -> BoxFuture<Health>) -> BoxFuture<Health> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
        Ok(future) => future,
        Err(payload) => {
            let err = Error::from_caught("lifecycle.Services.health", payload);
            Box::pin(async move { Health::Unhealthy(err.message().to_owned()) })
        }
    }
}

/// Names one cycle among the `stuck` services: `a -> b -> a`. Every stuck service waits
/// on another stuck one, so following dependencies from any of them must come round.
fn cycle(names: &[&str], stuck: &[usize], deps_of: &[Vec<usize>]) -> String {
    let Some(&first) = stuck.first() else {
        return String::new();
    };
    let mut path = vec![first];
    loop {
        let last = path[path.len() - 1];
        let Some(&next) = deps_of[last].iter().find(|d| stuck.contains(d)) else {
            return path
                .iter()
                .map(|&i| names[i])
                .collect::<Vec<_>>()
                .join(", ");
        };
        if let Some(start) = path.iter().position(|&p| p == next) {
            let mut ring: Vec<&str> = path[start..].iter().map(|&i| names[i]).collect();
            ring.push(names[next]);
            return ring.join(" -> ");
        }
        path.push(next);
    }
}

impl<C> fmt::Debug for Services<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("names", &self.inner.registry.names())
            .finish_non_exhaustive()
    }
}

/// `duration` in milliseconds to the microsecond, as log fields show it: `0.032`, not
/// `0.032493999999999995`.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
