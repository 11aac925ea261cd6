//! Named Actions: registered, callable by name, panic-safe, bounded and traced.
//!
//! An Action is the unit of work and the capability map: what is not registered cannot be
//! run ("registration is permission").

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use corers_log::AuditEvent;
use corers_primitives::{
    Error, ErrorCode, Options, Registry, Result, Value, catch_panic, shown_name,
};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::breaker::{Admitted, Breaker};
use crate::context::{child_of, enter, try_current};
use crate::run_ctx::Held;
use crate::{BreakerState, Bus, DispatchInfo, Outcome, RunCtx, Schema};

pub use corers_primitives::BoxFuture;

pub(crate) type ActionFn<C> =
    dyn Fn(ActionCtx<C>, Options) -> BoxFuture<Result<Value>> + Send + Sync;

/// A running slot taken: given back, and marked released for the runs nested in it (a
/// task one of them spawned may outlive it), when the run ends or is dropped.
struct Slot<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    held: Arc<Held>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.held.released.store(true, Ordering::Release);
    }
}

/// What an Action handler receives besides its input: the application's context, the
/// run's context (cancellation, deadline, the caller's values), the dispatch it runs in,
/// and the way to run other Actions as part of the same cascade.
pub struct ActionCtx<C> {
    core: C,
    actions: Actions<C>,
    run: RunCtx,
    info: DispatchInfo,
    name: Arc<str>,
}

impl<C: Clone + Send + Sync + 'static> ActionCtx<C> {
    /// The application's context (the Core).
    pub fn core(&self) -> &C {
        &self.core
    }

    /// The name of the running Action.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dispatch this run belongs to (trace, parent, depth, sender).
    pub fn dispatch(&self) -> &DispatchInfo {
        &self.info
    }

    /// The run's context: its cancellation and deadline, and the caller's values
    /// (`ctx.run_ctx().extension::<Principal>()`).
    pub fn run_ctx(&self) -> &RunCtx {
        &self.run
    }

    /// Runs another Action as part of this one: same trace, one level deeper, same run
    /// context (cancellation, deadline, values, and the running slots this run holds).
    ///
    /// # Errors
    /// As [`Actions::run`].
    pub fn run<'a>(
        &'a self,
        name: &'a str,
        options: Options,
    ) -> impl Future<Output = Result<Value>> + Send + 'a {
        self.actions.run_under(
            Parent::Given(self.info),
            &self.core,
            &self.run,
            name,
            options,
        )
    }

    /// Says how far the run got: `fraction` of the work (0.0 to 1.0) and what it is doing.
    /// The caller's [progress sink](RunCtx::with_progress) hears it (a tool server
    /// forwarding it to the client that asked, a GUI's progress bar), and so does whoever
    /// listens for [`ActionProgress`] on the bus.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use corers_messaging::{ActionSpec, Actions, Bus, RunCtx};
    /// use corers_primitives::{Options, Value};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("index.build", |ctx, _| async move {
    ///     ctx.progress(0.5, "indexed 120 of 240 files")?;
    ///     Ok(Value::Null)
    /// })).unwrap();
    /// let heard = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&heard);
    /// let ctx = RunCtx::new().with_progress(move |p| sink.lock().unwrap().push(p.fraction));
    /// actions.run(&(), &ctx, "index.build", Options::new()).await.unwrap();
    /// assert_eq!(*heard.lock().unwrap(), [0.5]);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a fraction outside 0.0..=1.0 (or NaN); nobody hears it.
    pub fn progress(&self, fraction: f64, message: &str) -> Result<()> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::new(
                "messaging.ActionCtx.progress",
                format!(
                    "progress {fraction} of action {} is outside 0.0..=1.0",
                    shown_name(&self.name)
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        let sink = self.run.progress_sink();
        let heard = self.actions.inner.bus.is_heard::<ActionProgress>();
        // Made only for someone: a handler reporting in a tight loop allocates nothing.
        if sink.is_none() && !heard {
            return Ok(());
        }
        let progress = ActionProgress {
            name: self.name.to_string(),
            dispatch: self.info,
            fraction,
            message: message.to_owned(),
        };
        if let Some(sink) = sink {
            // The caller's code: its panic is logged, and the run goes on.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| sink(&progress))) {
                let err = Error::from_caught("messaging.ActionCtx.progress", payload);
                self.actions.inner.bus.logged(|| {
                    tracing::error!(error = %err, action = %self.name, "progress sink panicked");
                });
            }
        }
        if heard {
            let _ = self.actions.inner.bus.broadcast(&self.core, &progress);
        }
        Ok(())
    }
}

/// How far a running Action got, as its handler said with [`ActionCtx::progress`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ActionProgress {
    /// The Action's name.
    pub name: String,
    /// The run's dispatch (its trace, depth and sender).
    pub dispatch: DispatchInfo,
    /// How much of the work is done, from 0.0 to 1.0.
    pub fraction: f64,
    /// What it is doing.
    pub message: String,
}

impl<C> fmt::Debug for ActionCtx<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionCtx")
            .field("name", &self.name)
            .field("dispatch", &self.info)
            .finish_non_exhaustive()
    }
}

/// How to register an Action: its name, handler, description, input schema and limits.
///
/// ```
/// use std::time::Duration;
/// use corers_messaging::{ActionSpec, Schema, ValueKind};
/// use corers_primitives::Value;
///
/// let spec: ActionSpec<()> = ActionSpec::new("git.log", |_ctx, opts| async move {
///     Ok(Value::from(format!("log of {}", opts.string("path").unwrap_or("."))))
/// })
/// .description("show the commit history of a repository")
/// .schema(Schema::new().required("path", ValueKind::String).optional("limit", ValueKind::Int))
/// .concurrency(4, 16)
/// .circuit_breaker(5, Duration::from_secs(30));
/// ```
#[must_use]
pub struct ActionSpec<C> {
    name: String,
    description: String,
    schema: Schema,
    limit: Option<(usize, usize)>,
    breaker: Option<(u32, Duration)>,
    /// Failure codes the breaker does not count.
    ignored: Vec<ErrorCode>,
    timeout: Option<Duration>,
    handler: Arc<ActionFn<C>>,
}

impl<C> fmt::Debug for ActionSpec<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionSpec")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("schema", &self.schema)
            .field("concurrency", &self.limit)
            .field("circuit_breaker", &self.breaker)
            .field("breaker_ignores", &self.ignored)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<C: Clone + Send + Sync + 'static> ActionSpec<C> {
    /// An Action named `name` (dotted namespaces: `"git.log"`, `"process.run"`) whose
    /// handler is an async closure taking the context and the input.
    pub fn new<F, Fut>(name: impl Into<String>, handler: F) -> ActionSpec<C>
    where
        F: Fn(ActionCtx<C>, Options) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value>> + Send + 'static,
    {
        ActionSpec {
            name: name.into(),
            description: String::new(),
            schema: Schema::new(),
            limit: None,
            breaker: None,
            ignored: Vec::new(),
            timeout: None,
            handler: Arc::new(move |ctx, options| Box::pin(handler(ctx, options))),
        }
    }

    /// The name the Action is registered under, as given (checked by
    /// [`register`](Actions::register)): for a plugin listing what it adds.
    ///
    /// ```
    /// use corers_messaging::ActionSpec;
    /// use corers_primitives::Value;
    ///
    /// let query: ActionSpec<()> = ActionSpec::new("db.query", |_, _| async { Ok(Value::Null) });
    /// assert_eq!(query.name(), "db.query");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the Action does, for listings and help.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The declared input, checked before the handler runs.
    pub fn schema(mut self, schema: Schema) -> Self {
        self.schema = schema;
        self
    }

    /// Runs at most `running` calls at once, queues up to `queue` more, and refuses the
    /// rest with `UNAVAILABLE`. A run of it nested in a run of it (through
    /// [`ActionCtx::run`], a listener, a Task) takes a free slot, or is refused with
    /// `CONFLICT` rather than queued: it could wait for a slot its own caller holds.
    pub fn concurrency(mut self, running: usize, queue: usize) -> Self {
        self.limit = Some((running.max(1), queue));
        self
    }

    /// After `failures` consecutive failures, refuses calls with `UNAVAILABLE` for
    /// `cooldown`, then lets one trial call through. Every failure of the handler counts,
    /// unless its code is one [`breaker_ignores`](ActionSpec::breaker_ignores) names; a
    /// run its caller cancelled or gave a deadline that passed does not (one impatient
    /// caller does not suspend the Action for all), but one past the Action's own
    /// [`timeout`](ActionSpec::timeout) does. Give an Action behind a breaker a timeout,
    /// shorter than its callers' own (an HTTP layer's request timeout, a `RunCtx`
    /// deadline): a trial call that hangs keeps the breaker half-open, refusing everyone
    /// else, until it ends, and runs that callers give up on first — dropped, or past
    /// their deadline — never count, so a hanging backend would never open it.
    pub fn circuit_breaker(mut self, failures: u32, cooldown: Duration) -> Self {
        self.breaker = Some((failures, cooldown));
        self
    }

    /// Ends every run after `timeout` with `TIMEOUT` (the handler's future is dropped),
    /// whatever the caller's deadline: the Action's own bound, which its
    /// [breaker](ActionSpec::circuit_breaker) counts as a failure, as tower's `Timeout`
    /// under a breaker. Runs the handler starts inherit it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_messaging::ActionSpec;
    /// use corers_primitives::Value;
    ///
    /// let push: ActionSpec<()> = ActionSpec::new("git.push", |_, _| async { Ok(Value::Null) })
    ///     .timeout(Duration::from_secs(20))
    ///     .circuit_breaker(3, Duration::from_secs(30));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Failures with these codes are the caller's, not the backend's: the circuit breaker
    /// counts them neither way (five calls naming a missing repository do not suspend the
    /// Action for everyone). Only the handler knows which of its codes mean that — an
    /// `io::Error` wrapped as `NOT_FOUND` may be a backend's socket gone — so none is
    /// ignored unless named here.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_messaging::ActionSpec;
    /// use corers_primitives::{ErrorCode, Value};
    ///
    /// let spec: ActionSpec<()> = ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) })
    ///     .circuit_breaker(5, Duration::from_secs(30))
    ///     .breaker_ignores(&[ErrorCode::INVALID, ErrorCode::NOT_FOUND]);
    /// ```
    pub fn breaker_ignores(mut self, codes: &[ErrorCode]) -> Self {
        self.ignored = codes.to_vec();
        self
    }
}

/// What is known about a registered Action.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ActionDef {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its declared input.
    pub schema: Schema,
}

/// A registered Action: its definition, handler and run-time guards.
struct Action<C> {
    /// The name again, shared with every run's context.
    name: Arc<str>,
    def: ActionDef,
    handler: Arc<ActionFn<C>>,
    /// Shared with the Action this one replaced when both have the same limit.
    limit: Option<Arc<Limit>>,
    breaker: Option<Breaker>,
    /// Failure codes the breaker does not count.
    ignored: Vec<ErrorCode>,
    timeout: Option<Duration>,
    /// Unregistered: a run still queued for it never runs it.
    removed: AtomicBool,
}

pub(crate) struct Limit {
    /// The limit as declared: `running` slots, `queue` waiting.
    declared: (usize, usize),
    running: Semaphore,
    queue: usize,
    waiting: AtomicUsize,
}

impl Limit {
    fn new((running, queue): (usize, usize)) -> Limit {
        Limit {
            declared: (running, queue),
            running: Semaphore::new(running.min(Semaphore::MAX_PERMITS)),
            queue,
            waiting: AtomicUsize::new(0),
        }
    }
}

/// Started when a run begins, when Action events are on ([`Actions::set_events`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ActionStarted {
    /// The Action's name.
    pub name: String,
    /// The run's dispatch.
    pub dispatch: DispatchInfo,
}

/// Broadcast when a run is refused before its handler is called, to whoever listens for it
/// (not only with [`Actions::set_events`]: a refusal is rare, and what a tool server counts):
/// an unknown or disabled name, input its schema refuses, a cascade too deep, an open
/// circuit breaker, a full queue, a run nested in a run of itself with no slot free, or a
/// caller that had already cancelled or passed its deadline. No [`ActionStarted`] came before it. Every refusal is also a `debug` event in
/// the log (`action refused`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ActionRefused {
    /// The name asked for.
    pub name: String,
    /// The dispatch the run would have had.
    pub dispatch: DispatchInfo,
    /// Why.
    pub error: Error,
}

/// Broadcast when a run ends, when Action events are on ([`Actions::set_events`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ActionCompleted {
    /// The Action's name.
    pub name: String,
    /// The run's dispatch.
    pub dispatch: DispatchInfo,
    /// How long it ran.
    pub duration: Duration,
    /// The error, when it failed.
    pub error: Option<Error>,
}

/// The named Actions of an application, on a registry: register, run by name, list,
/// enable and disable, seal. Cheap to clone; clones share everything.
///
/// ```
/// use corers_messaging::{ActionSpec, Actions, Bus, RunCtx};
/// use corers_primitives::{ErrorCode, Value, options};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let actions: Actions<()> = Actions::new(Bus::new());
/// actions.register(ActionSpec::new("git.log", |_, opts| async move {
///     Ok(Value::from(format!("3 commits in {}", opts.string("path").unwrap_or("."))))
/// })).unwrap();
///
/// let out = actions.run(&(), &RunCtx::new(), "git.log", options! { "path" => "/srv/repo" }).await;
/// assert_eq!(out.unwrap(), Value::from("3 commits in /srv/repo"));
///
/// // Registration is permission: an unknown name is a missing capability.
/// let err = actions.run(&(), &RunCtx::new(), "git.push", options! {}).await.unwrap_err();
/// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
/// # }
/// ```
pub struct Actions<C> {
    inner: Arc<ActionsInner<C>>,
}

struct ActionsInner<C> {
    registry: Registry<Action<C>>,
    listeners: Registry<Vec<Arc<ActionFn<C>>>>,
    /// Serialises read-modify-write of listener lists.
    listeners_writer: Mutex<()>,
    bus: Bus<C>,
    events: AtomicBool,
    /// Counts the changes to what can run (see [`Actions::changes`]).
    changed: tokio::sync::watch::Sender<u64>,
}

impl<C> Clone for Actions<C> {
    fn clone(&self) -> Self {
        Actions {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: Clone + Send + Sync + 'static> Actions<C> {
    /// An empty set of Actions whose events go on `bus` (which also sets the depth limit of
    /// nested runs).
    pub fn new(bus: Bus<C>) -> Actions<C> {
        Actions {
            inner: Arc::new(ActionsInner {
                registry: Registry::new("actions"),
                listeners: Registry::new("action listeners"),
                listeners_writer: Mutex::new(()),
                bus,
                events: AtomicBool::new(false),
                changed: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// Registers `spec`, replacing any Action of the same name. A replacement with the same
    /// concurrency limit shares it with the runs of the handler it replaces (together they
    /// never exceed it); a different limit, and the circuit breaker, start afresh. A sealed
    /// registry accepts replacements but no new names.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus};
    /// use corers_primitives::Value;
    ///
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions
    ///     .register(ActionSpec::new("git.log", |_, _| async { Ok(Value::from("3 commits")) }))
    ///     .unwrap();
    /// assert!(actions.exists("git.log"));
    /// assert!(actions.register(ActionSpec::new("git log", |_, _| async { Ok(Value::Null) })).is_err());
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for an empty or malformed name, a schema whose
    /// [default](crate::Field::default) or [listed values](crate::Field::one_of) do not fit
    /// its key, or a zero [timeout](ActionSpec::timeout); [`ErrorCode::LOCKED`] when the registry is locked, or sealed and the name
    /// is new.
    pub fn register(&self, spec: ActionSpec<C>) -> Result<()> {
        check_name("messaging.Actions.register", "action", &spec.name)?;
        spec.schema.declared_well(&spec.name)?;
        if spec.timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::new(
                "messaging.Actions.register",
                format!(
                    "action {:?}: a zero timeout ends every run before it starts",
                    spec.name
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        let action = Action {
            name: Arc::from(spec.name.as_str()),
            def: ActionDef {
                name: spec.name.clone(),
                description: spec.description,
                schema: spec.schema,
            },
            handler: spec.handler,
            limit: spec.limit.map(|declared| {
                // Runs of a handler being replaced still hold their slots: the replacement
                // takes its slots from the same limit. Two replacements racing each other
                // at worst start a limit afresh, as a changed limit does.
                self.inner
                    .registry
                    .get(&spec.name)
                    .and_then(|replaced| replaced.limit.clone())
                    .filter(|limit| limit.declared == declared)
                    .unwrap_or_else(|| Arc::new(Limit::new(declared)))
            }),
            breaker: spec
                .breaker
                .map(|(failures, cooldown)| Breaker::new(failures, cooldown)),
            ignored: spec.ignored,
            timeout: spec.timeout,
            removed: AtomicBool::new(false),
        };
        self.inner.registry.set(&spec.name, action)?;
        self.changed();
        self.inner.bus.audit(AuditEvent::HandlerAdded {
            kind: "action",
            name: &spec.name,
        });
        Ok(())
    }

    /// Removes the Action `name`: runs of it are `NOT_FOUND` from now on (a run under way
    /// finishes), and it leaves the listings. For a host that registers Actions per
    /// session (an agent's tools) and must not keep them all.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus};
    /// use corers_primitives::Value;
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("session.42.search", |_, _| async { Ok(Value::Null) })).unwrap();
    /// actions.unregister("session.42.search").unwrap();
    /// assert!(!actions.exists("session.42.search"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when no Action has that name; [`ErrorCode::LOCKED`] when
    /// the registry is locked or sealed (a sealed registry keeps its names).
    pub fn unregister(&self, name: &str) -> Result<()> {
        let removed = self.inner.registry.delete(name).map_err(|e| {
            Error::wrap(
                e,
                "messaging.Actions.unregister",
                format!("unregister {}", shown_name(name)),
            )
        })?;
        removed.removed.store(true, Ordering::Release);
        self.changed();
        Ok(())
    }

    /// Wakes whoever watches for changes to what can run: an Action registered (or
    /// replaced), removed, enabled or disabled — for a tool server that tells its clients the list
    /// changed (MCP's `notifications/tools/list_changed`) rather than polling
    /// [`defs`](Actions::defs). The value counts the changes; changes made while nobody
    /// looked wake a watcher once. An enable of an enabled Action (or a disable of a
    /// disabled one) counts too: a watcher may wake to an unchanged list, never sleep
    /// through a change.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus};
    /// use corers_primitives::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// let mut changes = actions.changes();
    /// actions.register(ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) })).unwrap();
    /// changes.changed().await.unwrap();
    /// assert_eq!(actions.defs("*").len(), 1);
    /// # }
    /// ```
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    /// Counts a change to what can run, waking [`changes`](Actions::changes)' watchers.
    fn changed(&self) {
        self.inner.changed.send_modify(|changes| *changes += 1);
    }

    /// A handle on the Action `name`, registered or not (running an unregistered one is
    /// `NOT_FOUND`).
    pub fn get(&self, name: &str) -> ActionHandle<C> {
        ActionHandle {
            actions: self.clone(),
            name: name.to_owned(),
        }
    }

    /// Reports whether `name` is registered (enabled or not).
    pub fn exists(&self, name: &str) -> bool {
        self.inner.registry.has(name)
    }

    /// Every registered name, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.inner.registry.names()
    }

    /// The enabled names matching `pattern` (`"process.*"`), in registration order.
    pub fn list(&self, pattern: &str) -> Vec<String> {
        self.inner.registry.list(pattern)
    }

    /// The definitions of the enabled Actions matching `pattern`, in registration order,
    /// all read from one snapshot: a tool listing (name, description, input schema) that
    /// never mixes two versions of the registry.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus, Schema, ValueKind};
    /// use corers_primitives::Value;
    ///
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(
    ///     ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) })
    ///         .description("the commits of a repository")
    ///         .schema(Schema::new().required("path", ValueKind::String)),
    /// ).unwrap();
    /// actions.register(ActionSpec::new("process.run", |_, _| async { Ok(Value::Null) })).unwrap();
    /// let tools = actions.defs("git.*");
    /// assert_eq!(tools.len(), 1);
    /// assert_eq!(tools[0].description, "the commits of a repository");
    /// ```
    pub fn defs(&self, pattern: &str) -> Vec<ActionDef> {
        let snapshot = self.inner.registry.snapshot();
        snapshot
            .list(pattern)
            .iter()
            .filter_map(|name| snapshot.get(name))
            .map(|action| action.def.clone())
            .collect()
    }

    /// Fixes the set of names: handlers may be replaced, none added. Event names too:
    /// [`listen`](Actions::listen) may add listeners to a name that has some, not start a
    /// new one.
    pub fn seal(&self) {
        self.inner.registry.seal();
        self.inner.listeners.seal();
    }

    /// Freezes the Actions: no registration or replacement any more, and no listener.
    pub fn lock(&self) {
        self.inner.registry.lock();
        self.inner.listeners.lock();
    }

    /// Turns [`ActionStarted`] / [`ActionCompleted`] events on the bus on or off (off by
    /// default: they cost a broadcast each).
    pub fn set_events(&self, on: bool) {
        self.inner.events.store(on, Ordering::Relaxed);
    }

    /// Runs the Action `name` with `options`: checks the input against its schema (and hands
    /// a declared number over in its declared kind, `5.0` for an int key as `5`), honours
    /// the breaker, the concurrency limit, `ctx`'s cancellation and deadline, catches a
    /// panic, and traces the run in a span.
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] for an unregistered name; [`ErrorCode::UNAVAILABLE`] when it
    /// is disabled, its breaker is open, its queue is full, or the run was cancelled;
    /// [`ErrorCode::INVALID`] when the input breaks the schema or the cascade is too deep;
    /// [`ErrorCode::TIMEOUT`] when the deadline passed; [`ErrorCode::CONFLICT`] when it is
    /// nested in a run of itself and every running slot is taken;
    /// [`ErrorCode::INTERNAL`] when the handler panicked; otherwise the handler's own error.
    pub fn run<'a>(
        &'a self,
        core: &'a C,
        ctx: &'a RunCtx,
        name: &'a str,
        options: Options,
    ) -> impl Future<Output = Result<Value>> + Send + 'a {
        // The run's own future, not one wrapped around it: a run's state is large, and
        // every wrapper would copy it once more.
        self.run_under(Parent::Running, core, ctx, name, options)
    }

    /// [`run`](Actions::run) as a child of `parent` (a fresh root when `None`), whichever
    /// thread polls it: for runs started on tokio tasks of their own.
    pub(crate) fn run_in<'a>(
        &'a self,
        parent: Option<DispatchInfo>,
        core: &'a C,
        ctx: &'a RunCtx,
        name: &'a str,
        options: Options,
    ) -> impl Future<Output = Result<Value>> + Send + 'a {
        let parent = match parent {
            Some(info) => Parent::Given(info),
            None => Parent::Root,
        };
        self.run_under(parent, core, ctx, name, options)
    }

    /// [`run`](Actions::run) as a child of `parent`.
    async fn run_under(
        &self,
        parent: Parent,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        mut options: Options,
    ) -> Result<Value> {
        const OP: &str = "messaging.Actions.run";
        let info = child_of(match parent {
            // Read at the first poll, so the caller's running dispatch (if any) is the parent.
            Parent::Running => try_current(),
            Parent::Given(info) => Some(info),
            Parent::Root => None,
        })
        .sent_by(ctx.sender());
        let refused = |err| self.refused(core, name, info, err);
        self.check_depth(OP, name, &info).map_err(refused)?;
        let action = self
            .inner
            .registry
            .lookup(name)
            .map_err(|e| refused(Error::wrap(e, OP, format!("run {}", shown_name(name)))))?;
        // A run that may wait for a slot keeps the caller's input: a handler swapped in
        // meanwhile checks it (and fills its defaults) afresh.
        let given = action.limit.as_ref().map(|_| options.clone());
        action
            .def
            .schema
            .admit(name, &mut options)
            .map_err(refused)?;
        self.guarded(core, ctx, &action, info, (options, given))
            .await
    }

    /// Reports a run refused before its handler was called, and gives its error back:
    /// logged at `debug`, and an [`ActionRefused`] for whoever listens.
    #[cold]
    #[inline(never)]
    fn refused(&self, core: &C, name: &str, info: DispatchInfo, err: Error) -> Error {
        self.inner.bus.logged(|| {
            tracing::debug!(
                action = name,
                code = err.code().map(ErrorCode::as_str),
                trace = info.trace(),
                error = %err,
                "action refused"
            );
        });
        if self.inner.bus.is_heard::<ActionRefused>() {
            let _ = self.inner.bus.broadcast(
                core,
                &ActionRefused {
                    name: name.to_owned(),
                    dispatch: info,
                    error: err.clone(),
                },
            );
        }
        err
    }

    /// The breaker's permission for a run of `action`, or its refusal while open. A
    /// half-open trial is given back if the run's future is dropped before its outcome.
    fn admit<'a>(action: &'a Action<C>, name: &str) -> Result<Option<Trial<'a>>> {
        let Some(breaker) = &action.breaker else {
            return Ok(None);
        };
        match breaker.allow() {
            Some(admitted) => Ok(Some(Trial(breaker, admitted))),
            None => Err(suspended(name, breaker)),
        }
    }

    fn check_depth(&self, op: &'static str, name: &str, info: &DispatchInfo) -> Result<()> {
        if info.depth() >= self.inner.bus.max_depth() {
            return Err(Error::new(
                op,
                format!(
                    "run of {name:?} refused at depth {}: the limit is {}",
                    info.depth(),
                    self.inner.bus.max_depth()
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        Ok(())
    }

    /// The concurrency limit, the breaker, events and span around one run.
    async fn guarded(
        &self,
        core: &C,
        ctx: &RunCtx,
        action: &Action<C>,
        info: DispatchInfo,
        (mut options, given): (Options, Option<Options>),
    ) -> Result<Value> {
        let name = action.def.name.as_str();
        let refused = |err| self.refused(core, name, info, err);
        let holding;
        let current;
        let (ctx, _slot, action) = match &action.limit {
            None => (ctx, None, action),
            // Boxed: waiting in the queue is the rare path, and its future is large.
            Some(limit) => {
                // Refused at once while the breaker is open, not after a wait in the queue.
                if let Some(breaker) = action.breaker.as_ref().filter(|b| b.refuses()) {
                    return Err(refused(suspended(name, breaker)));
                }
                // Nested in a run that holds one of its slots, a run takes a free slot or
                // none: waiting in the queue could wait on that run forever.
                let permit = if ctx.holds(limit) {
                    limit.running.try_acquire().map_err(|_| {
                        refused(
                            Error::new(
                                "messaging.Actions.run",
                                format!(
                                    "run of {name:?} refused: every running slot is taken, \
                                     one by a run it is nested in, which waiting could wait \
                                     on forever"
                                ),
                            )
                            .with_code(ErrorCode::CONFLICT),
                        )
                    })?
                } else {
                    Box::pin(self.acquire(limit, name, ctx))
                        .await
                        .map_err(refused)?
                };
                // Disabled or removed while this run waited for its slot (and maybe
                // registered again since, under a limit of its own): it never runs.
                current = self.inner.registry.lookup(name).map_err(|e| {
                    refused(Error::wrap(
                        e,
                        "messaging.Actions.run",
                        format!("run {}", shown_name(name)),
                    ))
                })?;
                if action.removed.load(Ordering::Acquire) {
                    return Err(refused(
                        Error::new(
                            "messaging.Actions.run",
                            format!(
                                "run of {} refused: it was unregistered while the run waited",
                                shown_name(name)
                            ),
                        )
                        .with_code(ErrorCode::NOT_FOUND),
                    ));
                }
                // Replaced meanwhile (a sealed registry's hot swap) by a handler under the
                // same limit, whose slot this run holds: the new handler runs, on input
                // checked against its schema. Under another limit, the one it queued for.
                let replaced = !std::ptr::eq(Arc::as_ptr(&current), action)
                    && current
                        .limit
                        .as_ref()
                        .is_some_and(|new| Arc::ptr_eq(new, limit));
                let action = if replaced {
                    // The caller's input, not the replaced handler's admitted copy (its
                    // defaults filled in).
                    if let Some(given) = given {
                        options = given;
                    }
                    current
                        .def
                        .schema
                        .admit(name, &mut options)
                        .map_err(refused)?;
                    &*current
                } else {
                    action
                };
                let held = Arc::new(Held {
                    limit: Arc::clone(limit),
                    released: AtomicBool::new(false),
                });
                holding = ctx.holding(Arc::clone(&held));
                let slot = Slot {
                    _permit: permit,
                    held,
                };
                (&holding, Some(slot), action)
            }
        };
        // Asked once the run has its slot, so that runs queued before the breaker opened
        // are refused too instead of reaching a failing backend.
        let trial = Self::admit(action, name).map_err(refused)?;
        // A run whose caller already gave up never reaches the handler: not the Action's
        // failure, so its breaker does not count it (the trial is given back).
        ended(ctx, name).map_err(refused)?;
        let (outcome, by_caller) = self.observed(core, ctx, action, info, options).await;
        if let Some(trial) = trial {
            trial.settle(match (&outcome, by_caller) {
                // The caller cancelled, its deadline passed, or it asked for something
                // that cannot be: not the Action's fault.
                (Err(_), true) => None,
                (Err(err), false) if err.code().is_some_and(|c| action.ignored.contains(c)) => None,
                (result, _) => Some(result.is_ok()),
            });
        }
        outcome
    }

    /// The run itself, with its events and span. Returns the outcome, and whether a failure
    /// came from the caller's side (cancelled, or its deadline passed, while the handler
    /// ran) rather than from the Action.
    async fn observed(
        &self,
        core: &C,
        ctx: &RunCtx,
        action: &Action<C>,
        info: DispatchInfo,
        options: Options,
    ) -> (Result<Value>, bool) {
        const OP: &str = "messaging.Actions.run";
        let name = action.def.name.as_str();
        let events = self.inner.events.load(Ordering::Relaxed);
        if events {
            let _ = self.inner.bus.broadcast(
                core,
                &ActionStarted {
                    name: name.to_owned(),
                    dispatch: info,
                },
            );
        }
        // From here every ActionStarted gets its ActionCompleted, also when the handler
        // panics before it has a future, or when this run's future is dropped.
        let mut completion = events.then(|| Completion {
            bus: &self.inner.bus,
            core,
            name,
            info,
            started: Instant::now(),
            sent: false,
        });
        let span = tracing::info_span!(
            "action",
            name,
            trace = info.trace(),
            depth = info.depth(),
            duration_ms = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        // The clock is read only when a span or an event will carry the duration.
        let timed = events || !span.is_disabled();
        let started = timed.then(Instant::now);
        // The Action's own timeout, on top of the caller's deadline; without one, the
        // caller's context itself (one clone fewer on every run).
        let with_timeout;
        let run = match action.timeout {
            Some(timeout) => {
                with_timeout = ctx.clone().with_timeout(timeout);
                &with_timeout
            }
            None => ctx,
        };
        let handler_ctx = ActionCtx {
            core: core.clone(),
            actions: self.clone(),
            run: run.clone(),
            info,
            name: Arc::clone(&action.name),
        };
        let work = match start(OP, &action.handler, handler_ctx, options) {
            Ok(future) => Entered {
                info,
                span: span.clone(),
                inner: catch_panic(OP, future),
            },
            Err(err) => {
                if let Some(completion) = &mut completion {
                    completion.send(Some(err.clone()));
                }
                return (Err(err), false);
            }
        };
        let (outcome, by_caller) = finish(work, run, ctx.deadline(), name).await;
        let duration = started.map_or(Duration::ZERO, |s| s.elapsed());
        if !span.is_disabled() {
            span.record("duration_ms", millis(duration));
            span.record("outcome", if outcome.is_ok() { "ok" } else { "error" });
            if let Err(err) = &outcome {
                span.in_scope(|| tracing::debug!(error = %err, "action failed"));
            }
        }
        if let Some(completion) = &mut completion {
            completion.send(outcome.as_ref().err().cloned());
        }
        (outcome, by_caller)
    }

    /// Takes a running slot, waiting in the queue when all are busy.
    async fn acquire<'a>(
        &self,
        limit: &'a Limit,
        name: &str,
        ctx: &RunCtx,
    ) -> Result<tokio::sync::SemaphorePermit<'a>> {
        const OP: &str = "messaging.Actions.run";
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        if let Ok(permit) = limit.running.try_acquire() {
            return Ok(permit);
        }
        // Counting the waiter and checking the bound is one atomic step.
        let admitted = limit
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < limit.queue).then_some(w + 1)
            });
        if admitted.is_err() {
            return Err(Error::new(
                OP,
                match limit.queue {
                    0 => format!("action {name:?} is busy, and queues no call"),
                    1 => format!("action {name:?} is busy: 1 call already queued"),
                    queued => format!("action {name:?} is busy: {queued} calls already queued"),
                },
            )
            .with_code(ErrorCode::UNAVAILABLE));
        }
        let _waiting = Waiting(&limit.waiting);
        tokio::select! {
            permit = limit.running.acquire() => permit.map_err(|_| {
                Error::new(OP, format!("action {name:?} is closed")).with_code(ErrorCode::UNAVAILABLE)
            }),
            () = ctx.cancel_token().cancelled() => Err(Error::cancelled(OP, format!("run of {name:?} cancelled while queued"))),
            () = sleep_until(ctx.deadline()) => Err(Error::new(OP, format!("run of {name:?} passed its deadline while queued"))
                .with_code(ErrorCode::TIMEOUT)),
        }
    }

    /// Adds a listener under the event name `name` (CoreGO's broadcast- and query-style
    /// Actions, RFC §18.8): several handlers share one name. Listeners are not Actions, but
    /// registration is permission all the same: [`seal`](Actions::seal) admits no new event
    /// name and [`lock`](Actions::lock) no listener. Listeners stay for the life of the
    /// `Actions`.
    ///
    /// ```
    /// use corers_messaging::{Actions, Bus, RunCtx};
    /// use corers_primitives::{Options, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.listen("workspace.created", |_, _| async { Ok(Value::from("indexed")) }).unwrap();
    /// actions.listen("workspace.created", |_, _| async { Ok(Value::from("announced")) }).unwrap();
    /// let results = actions.emit(&(), &RunCtx::new(), "workspace.created", Options::new()).await;
    /// assert_eq!(results.len(), 2);
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for an empty or malformed name; [`ErrorCode::LOCKED`] after
    /// [`lock`](Actions::lock), or after [`seal`](Actions::seal) for a name nobody listens
    /// to yet.
    pub fn listen<F, Fut>(&self, name: &str, handler: F) -> Result<()>
    where
        F: Fn(ActionCtx<C>, Options) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value>> + Send + 'static,
    {
        check_name("messaging.Actions.listen", "event", name)?;
        let handler: Arc<ActionFn<C>> =
            Arc::new(move |ctx, options| Box::pin(handler(ctx, options)));
        let writer = self
            .inner
            .listeners_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut list = self
            .inner
            .listeners
            .get(name)
            .map(|l| l.as_ref().clone())
            .unwrap_or_default();
        list.push(handler);
        self.inner.listeners.set(name, list)?;
        // Audited after the lock, as register does: the audit output may be slow (or
        // register a listener of its own).
        drop(writer);
        self.inner.bus.audit(AuditEvent::HandlerAdded {
            kind: "listener",
            name,
        });
        Ok(())
    }

    /// Calls every listener of `name`, one after another in registration order, and returns
    /// each result in that order (empty when nobody listens).
    ///
    /// ```
    /// use corers_messaging::{Actions, Bus, RunCtx};
    /// use corers_primitives::{Error, Options, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.listen("cache.flush", |_, _| async { Ok(Value::from(12)) }).unwrap();
    /// actions.listen("cache.flush", |_, _| async { Err(Error::new("cache.Redis.flush", "connection refused")) }).unwrap();
    /// let results = actions.emit(&(), &RunCtx::new(), "cache.flush", Options::new()).await;
    /// assert_eq!(results[0].as_ref().unwrap(), &Value::from(12));
    /// assert!(results[1].is_err());
    /// # }
    /// ```
    pub async fn emit(
        &self,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        options: Options,
    ) -> Vec<Result<Value>> {
        let mut results = Vec::new();
        for listener in self.listeners(name) {
            results.push(
                self.call_listener(core, ctx, name, &listener, options.clone())
                    .await,
            );
        }
        results
    }

    /// Asks the listeners of `name` in registration order: the first non-null answer wins.
    /// A failure is kept and reported only when nobody answers (unlike
    /// [`Bus::query`], where the first failure decides: listeners are often optional
    /// providers, and one being down should not hide another's answer).
    ///
    /// ```
    /// use corers_messaging::{Actions, Bus, Outcome, RunCtx};
    /// use corers_primitives::{Error, Options, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.listen("config.get", |_, _| async { Err(Error::new("vault.get", "sealed")) }).unwrap();
    /// actions.listen("config.get", |_, _| async { Ok(Value::from("/srv/ws")) }).unwrap();
    /// let answer = actions.ask(&(), &RunCtx::new(), "config.get", Options::new()).await;
    /// assert!(matches!(answer, Outcome::Answered(Value::String(path)) if path == "/srv/ws"));
    /// # }
    /// ```
    pub async fn ask(
        &self,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        options: Options,
    ) -> Outcome<Value> {
        let mut first_error = None;
        for listener in self.listeners(name) {
            match self
                .call_listener(core, ctx, name, &listener, options.clone())
                .await
            {
                Ok(Value::Null) => {}
                Ok(answer) => return Outcome::Answered(answer),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        first_error.map_or(Outcome::NotHandled, Outcome::Failed)
    }

    fn listeners(&self, name: &str) -> Vec<Arc<ActionFn<C>>> {
        self.inner
            .listeners
            .get(name)
            .map(|l| l.as_ref().clone())
            .unwrap_or_default()
    }

    async fn call_listener(
        &self,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        listener: &Arc<ActionFn<C>>,
        options: Options,
    ) -> Result<Value> {
        const OP: &str = "messaging.Actions.emit";
        let info = child_of(try_current()).sent_by(ctx.sender());
        let refused = |err| self.refused(core, name, info, err);
        self.check_depth(OP, name, &info).map_err(refused)?;
        ended(ctx, name).map_err(refused)?;
        let handler_ctx = ActionCtx {
            core: core.clone(),
            actions: self.clone(),
            run: ctx.clone(),
            info,
            name: Arc::from(name),
        };
        let work = Entered {
            info,
            span: tracing::Span::none(),
            inner: catch_panic(OP, start(OP, listener, handler_ctx, options)?),
        };
        finish(work, ctx, ctx.deadline(), name).await.0
    }

    pub(crate) fn bus(&self) -> &Bus<C> {
        &self.inner.bus
    }

    pub(crate) fn def(&self, name: &str) -> Option<ActionDef> {
        self.inner.registry.get(name).map(|a| a.def.clone())
    }

    /// Adds to `options` the entries of `output` (a previous step's) that the Action `name`
    /// takes: all of them, or only the keys it declares when its schema is closed.
    pub(crate) fn take_output(
        &self,
        name: &str,
        output: &BTreeMap<String, Value>,
        options: &mut Options,
    ) {
        let action = self.inner.registry.get(name);
        let closed = action
            .as_ref()
            .map(|a| &a.def.schema)
            .filter(|schema| schema.is_closed());
        options.extend(
            output
                .iter()
                .filter(|(key, _)| closed.is_none_or(|schema| schema.declares(key)))
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }

    pub(crate) fn breaker_state(&self, name: &str) -> Option<BreakerState> {
        self.inner
            .registry
            .get(name)
            .and_then(|a| a.breaker.as_ref().map(Breaker::state))
    }

    /// How long `name`'s breaker stays open, when it is open.
    pub(crate) fn breaker_cooldown_left(&self, name: &str) -> Option<Duration> {
        self.inner
            .registry
            .get(name)
            .and_then(|a| a.breaker.as_ref().and_then(Breaker::cooldown_left))
    }
}

impl<C> fmt::Debug for Actions<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actions")
            .field("names", &self.inner.registry.names())
            .finish_non_exhaustive()
    }
}

/// A handle on one named Action (CoreGO's `c.Action("git.log")`).
pub struct ActionHandle<C> {
    actions: Actions<C>,
    name: String,
}

impl<C: Clone + Send + Sync + 'static> ActionHandle<C> {
    /// Runs the Action (see [`Actions::run`]).
    ///
    /// # Errors
    /// As [`Actions::run`].
    pub async fn run(&self, core: &C, ctx: &RunCtx, options: Options) -> Result<Value> {
        self.actions.run(core, ctx, &self.name, options).await
    }

    /// Reports whether the Action is registered.
    pub fn exists(&self) -> bool {
        self.actions.exists(&self.name)
    }

    /// Its definition (description and schema), when registered.
    pub fn def(&self) -> Option<ActionDef> {
        self.actions.def(&self.name)
    }

    /// Makes runs fail with `UNAVAILABLE` until [`enable`](ActionHandle::enable).
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when not registered; [`ErrorCode::LOCKED`] when locked.
    pub fn disable(&self) -> Result<()> {
        self.actions.inner.registry.disable(&self.name)?;
        self.actions.changed();
        Ok(())
    }

    /// Lets runs through again.
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when not registered; [`ErrorCode::LOCKED`] when locked.
    pub fn enable(&self) -> Result<()> {
        self.actions.inner.registry.enable(&self.name)?;
        self.actions.changed();
        Ok(())
    }

    /// Where its circuit breaker stands; `None` without a breaker (or when not registered).
    pub fn breaker(&self) -> Option<BreakerState> {
        self.actions.breaker_state(&self.name)
    }
}

impl<C> fmt::Debug for ActionHandle<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionHandle")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

type Work = Entered<corers_primitives::CatchPanic<BoxFuture<Result<Value>>>>;

/// Drives a run's work to its end, within `ctx`'s cancellation and deadline; says whether
/// a failure is the caller's (cancelled, or past `callers`, the caller's own deadline)
/// rather than the Action's (its own timeout in `ctx`, its handler).
///
/// The work is polled once first: a handler that finishes at once (most do) never
/// registers with the token or the timer, and the waiting machinery is only built (boxed,
/// to keep every run's future small) for work that has to wait.
async fn finish(
    mut work: Work,
    ctx: &RunCtx,
    callers: Option<Instant>,
    name: &str,
) -> (Result<Value>, bool) {
    const OP: &str = "messaging.Actions.run";
    let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut work).poll(cx))).await;
    if let Poll::Ready(outcome) = first {
        return (outcome.and_then(|result| result), false);
    }
    let ctx = ctx.clone();
    let name = name.to_owned();
    let wait: BoxFuture<(Result<Value>, bool)> = Box::pin(async move {
        let cut_off = tokio::select! {
            biased;
            outcome = &mut work => return (outcome.and_then(|result| result), false),
            () = ctx.cancel_token().cancelled() => (Err(Error::cancelled(OP, format!("run of {name:?} cancelled"))), true),
            // The caller's deadline, or (when that has not passed) the Action's own timeout.
            () = sleep_until(ctx.deadline()) => {
                let by_caller = callers.is_some_and(|deadline| Instant::now() >= deadline);
                let message = if by_caller {
                    format!("run of {name:?} passed its deadline")
                } else {
                    format!("run of {name:?} passed the action's timeout")
                };
                (Err(Error::new(OP, message).with_code(ErrorCode::TIMEOUT)), by_caller)
            }
        };
        // Dropping the handler's future runs what it holds: a panicking destructor (a
        // guard that insists on a commit) is caught and logged by its `catch_panic`, in
        // the run's span (which names the action), and the run still ends as cut off.
        let span = work.span.clone();
        span.in_scope(|| drop(work));
        cut_off
    });
    wait.await
}

/// Calls a handler to get its future; a panic in the handler's synchronous part (before
/// it returns the future) is caught like one inside the future.
fn start<C>(
    op: &'static str,
    handler: &Arc<ActionFn<C>>,
    ctx: ActionCtx<C>,
    options: Options,
) -> Result<BoxFuture<Result<Value>>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(ctx, options)))
        .map_err(|payload| Error::from_caught(op, payload))
}

/// The refusal of a run while the Action's breaker is open, or half-open with its trial
/// call under way.
fn suspended(name: &str, breaker: &Breaker) -> Error {
    let why = match (breaker.state(), breaker.cooldown_left()) {
        (BreakerState::HalfOpen, _) => {
            "a trial call after too many failures is under way (circuit half-open)".to_owned()
        }
        (_, Some(left)) => format!(
            "too many failures in a row (circuit open; a trial call is let through in {})",
            rounded_up(left)
        ),
        _ => "too many failures in a row (circuit open)".to_owned(),
    };
    Error::new(
        "messaging.Actions.run",
        format!("action {name:?} is suspended: {why}"),
    )
    .with_code(ErrorCode::UNAVAILABLE)
}

/// `left` as a caller is told to wait it: rounded up (one that waits as long as it is
/// told is not refused again), in whole seconds from 10 s on, milliseconds below.
fn rounded_up(left: Duration) -> String {
    let millis = left.as_nanos().div_ceil(1_000_000);
    if millis >= 10_000 {
        format!("{} s", millis.div_ceil(1000))
    } else {
        format!("{millis} ms")
    }
}

/// The error for a run whose caller has already cancelled it or whose deadline passed.
fn ended(ctx: &RunCtx, name: &str) -> Result<()> {
    const OP: &str = "messaging.Actions.run";
    if ctx.is_cancelled() {
        return Err(Error::cancelled(
            OP,
            format!("run of {name:?} cancelled before it started"),
        ));
    }
    if ctx.deadline().is_some_and(|d| Instant::now() >= d) {
        return Err(Error::new(
            OP,
            format!("run of {name:?} passed its deadline before it started"),
        )
        .with_code(ErrorCode::TIMEOUT));
    }
    Ok(())
}

/// The [`ActionCompleted`] a run owes once its [`ActionStarted`] went out: sent with the
/// outcome, or, when the run's future is dropped first (a caller's timeout, an aborted
/// parallel group), as abandoned.
struct Completion<'a, C: Clone + Send + Sync + 'static> {
    bus: &'a Bus<C>,
    core: &'a C,
    name: &'a str,
    info: DispatchInfo,
    started: Instant,
    sent: bool,
}

impl<C: Clone + Send + Sync + 'static> Completion<'_, C> {
    fn send(&mut self, error: Option<Error>) {
        self.sent = true;
        let _ = self.bus.broadcast(
            self.core,
            &ActionCompleted {
                name: self.name.to_owned(),
                dispatch: self.info,
                duration: self.started.elapsed(),
                error,
            },
        );
    }
}

impl<C: Clone + Send + Sync + 'static> Drop for Completion<'_, C> {
    fn drop(&mut self) {
        if !self.sent {
            let abandoned = Error::cancelled(
                "messaging.Actions.run",
                format!("run of {:?} was abandoned before it ended", self.name),
            );
            self.send(Some(abandoned));
        }
    }
}

/// Where a run sits in its cascade.
#[derive(Clone, Copy)]
enum Parent {
    /// Under whatever dispatch is running on the thread that first polls the run.
    Running,
    /// Under this one (a nested run from inside an Action, a Task's step).
    Given(DispatchInfo),
    /// A fresh cascade of its own.
    Root,
}

/// A breaker's permission for one call: records the outcome when settled, and gives a
/// half-open trial back when dropped unsettled (the run's future was dropped).
struct Trial<'a>(&'a Breaker, Admitted);

impl Trial<'_> {
    /// `Some(succeeded)` records an outcome; `None` gives the permission back.
    fn settle(self, outcome: Option<bool>) {
        match outcome {
            Some(succeeded) => self.0.record(self.1, succeeded),
            None => self.0.release(self.1),
        }
        std::mem::forget(self);
    }
}

impl Drop for Trial<'_> {
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

/// Refuses a malformed name of an Action, an event or a Task (`kind`) for `op`, saying
/// why: a name is the capability a caller asks for, listed to people and models, so it is
/// dot-separated visible words — no whitespace, control or invisible characters (a
/// zero-width space makes a second `git.log` that looks like the first), no pattern
/// characters `*` `?` (listing uses them), no `:` (`host:name` names a peer's Action), and
/// no more than 255 bytes.
pub(crate) fn check_name(op: &'static str, kind: &str, name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.split('.').any(str::is_empty) {
        "it has an empty part between dots"
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "it holds whitespace or a control character"
    } else if name.chars().any(corers_primitives::is_invisible) {
        "it holds an invisible or direction-changing character"
    } else if name.contains(['*', '?']) {
        "'*' and '?' are pattern characters"
    } else if name.contains(':') {
        "':' is kept for a peer's Action (host:name)"
    } else if name.len() > 255 {
        "it is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(Error::new(
        op,
        format!(
            "invalid {kind} name {}: {why}; use dot-separated words like \"git.log\"",
            shown_name(name)
        ),
    )
    .with_code(ErrorCode::INVALID))
}

/// Sleeps until `deadline`, or forever when there is none.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Makes `info` the running dispatch, and `span` the current span, on whichever thread
/// polls the inner future, so dispatches and logs from async handlers join the cascade.
struct Entered<F> {
    info: DispatchInfo,
    span: tracing::Span,
    inner: F,
}

impl<F: Future + Unpin> Future for Entered<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _running = enter(self.info);
        let this = &mut *self;
        let _span = this.span.enter();
        Pin::new(&mut this.inner).poll(cx)
    }
}

/// `duration` in milliseconds to the microsecond, as log fields show it: `0.032`, not
/// `0.032493999999999995`.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
