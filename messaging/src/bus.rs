//! [`Bus`]: registration and the synchronous verbs: broadcast, query, `query_all`, perform.

use std::any::{Any, type_name};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use corers_log::{AuditEvent, Logger};
use corers_primitives::{Error, ErrorCode, Published, Result};

use crate::background::Background;
use crate::context::{Dispatching, begin, with_sender};
use crate::subscription::{Queue, Subscription};
use crate::tables::{AnswerFn, BroadcastFn, ObserverFn, Tables};
use crate::{Ctx, DispatchInfo, Failure, Outcome, Query, Report, Task};

const DEFAULT_MAX_DEPTH: u32 = 32;
const DEFAULT_MAX_RUNNING: usize = 64;
const DEFAULT_QUEUE: usize = 1024;

/// Identifies one registered handler, for [`Bus::remove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(pub(crate) u64);

/// Which verb a dispatch used, as an [observer](Bus::observe) sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DispatchKind {
    /// [`Bus::broadcast`].
    Broadcast,
    /// [`Bus::query`] or [`Bus::query_all`].
    Query,
    /// [`Bus::perform`] (also inside [`Bus::perform_async`]).
    Perform,
}

/// One dispatch, as an [observer](Bus::observe) sees it.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Observed<'a> {
    /// The verb.
    pub kind: DispatchKind,
    /// The message's Rust type name (for display; not a stable identifier).
    pub type_name: &'static str,
    /// The message itself, to downcast when the observer knows the type.
    pub message: &'a (dyn Any + Send + Sync),
}

impl fmt::Debug for Observed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observed")
            .field("kind", &self.kind)
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

/// The message bus: handlers registered per message type, called synchronously in the
/// caller's thread, in registration order, with panics caught at the boundary. Cheap to
/// clone; clones share everything.
///
/// `C` is the application context handed to every handler (the Core, in a CoreRS
/// application); the bus never owns it, each dispatch borrows it.
///
/// Handlers only ever see the message types they registered for. The handler tables are
/// an immutable snapshot ([`Published`]): dispatch reads it without a lock or a shared
/// counter, and a handler registered (or removed) while a dispatch runs takes effect from
/// the next dispatch.
///
/// ```
/// use corers_messaging::{Bus, Outcome, Query};
///
/// struct WorkspaceCreated { name: String }
/// struct WorkspaceCount;
/// impl Query for WorkspaceCount { type Answer = usize; }
///
/// let bus: Bus<()> = Bus::new();
/// bus.on(|_, event: &WorkspaceCreated| {
///     println!("created {}", event.name);
///     Ok(())
/// });
/// bus.on_query(|_, _: &WorkspaceCount| Some(Ok(1)));
///
/// let report = bus.broadcast(&(), &WorkspaceCreated { name: "alpha".into() }).unwrap();
/// assert_eq!(report.handled(), 1);
/// assert_eq!(bus.query(&(), &WorkspaceCount).answer(), Some(1));
/// ```
pub struct Bus<C> {
    pub(crate) inner: Arc<Inner<C>>,
}

pub(crate) struct Inner<C> {
    tables: Published<Tables<C>>,
    /// Serialises registrations so that each starts from the latest snapshot.
    writer: Mutex<()>,
    max_depth: u32,
    pub(crate) tasks: Background,
    /// Where registrations are audited.
    log: Option<Logger>,
}

impl<C> Clone for Bus<C> {
    fn clone(&self) -> Self {
        Bus {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: 'static> Default for Bus<C> {
    fn default() -> Self {
        Bus::new()
    }
}

/// Limits for a [`Bus`], and its logger. Defaults: dispatch depth 32, 64 tasks running at
/// once, 1024 more queued behind them, no logger.
#[derive(Clone, Debug)]
#[must_use]
pub struct BusBuilder {
    max_depth: u32,
    max_running: usize,
    queue: usize,
    logger: Option<Logger>,
}

impl BusBuilder {
    /// Refuses dispatches at depth `depth` or deeper: a root dispatch is depth 0, so at most
    /// `depth` levels of a cascade run.
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = depth;
        self
    }

    /// Runs at most `tasks` [`perform_async`](Bus::perform_async) tasks at once.
    pub fn max_running(mut self, tasks: usize) -> Self {
        self.max_running = tasks;
        self
    }

    /// Queues at most `tasks` accepted tasks behind the running ones; more are refused.
    pub fn queue(mut self, tasks: usize) -> Self {
        self.queue = tasks;
        self
    }

    /// Records every handler registered on the bus, and every Action registered through
    /// [`Actions`](crate::Actions) over it, in `logger`'s audit trail
    /// ([`AuditEvent::HandlerAdded`]), and logs the bus's troubles there — a handler's or an
    /// observer's panic, a cascade refused for depth, a scheduled Task that failed — when
    /// they happen on a thread without a `tracing` subscriber (one that has a subscriber
    /// logs them to it). A Core gives its bus the Core's logger.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// use corers_messaging::Bus;
    ///
    /// let trail = MemorySink::new();
    /// let log = Logger::builder().audit_output(Output::Memory(trail.clone())).build();
    /// let bus: Bus<()> = Bus::builder().logger(log).build().unwrap();
    /// bus.on(|_, _: &u32| Ok(()));
    /// assert!(trail.contents().contains(r#""event":"handler.added","kind":"broadcast","name":"u32""#));
    /// ```
    pub fn logger(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self
    }

    /// Builds the bus.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::builder().max_running(4).queue(16).build().unwrap();
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `max_depth` or `max_running` is 0, or the total of
    /// running and queued tasks does not fit the task counter.
    pub fn build<C: 'static>(self) -> Result<Bus<C>> {
        const OP: &str = "messaging.BusBuilder.build";
        if self.max_depth == 0 || self.max_running == 0 {
            return Err(
                Error::new(OP, "max_depth and max_running must be at least 1")
                    .with_code(ErrorCode::INVALID),
            );
        }
        let tasks = Background::limits(self.max_running, self.queue).ok_or_else(|| {
            Error::new(
                OP,
                format!(
                    "{} running + {} queued tasks is too many",
                    self.max_running, self.queue
                ),
            )
            .with_code(ErrorCode::INVALID)
        })?;
        Ok(Bus::with(self.max_depth, tasks, self.logger))
    }
}

impl Bus<()> {
    /// Starts a bus with custom limits; the builder makes a bus for any context type.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// struct App;
    /// let bus: Bus<App> = Bus::builder().max_depth(8).build().unwrap();
    /// ```
    pub fn builder() -> BusBuilder {
        BusBuilder {
            max_depth: DEFAULT_MAX_DEPTH,
            max_running: DEFAULT_MAX_RUNNING,
            queue: DEFAULT_QUEUE,
            logger: None,
        }
    }
}

impl<C: 'static> Bus<C> {
    /// Makes a bus with the default limits.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// assert_eq!(bus.broadcast(&(), &"hello").unwrap().handled(), 0);
    /// ```
    pub fn new() -> Bus<C> {
        Bus::with(
            DEFAULT_MAX_DEPTH,
            Background::new(DEFAULT_MAX_RUNNING, DEFAULT_QUEUE),
            None,
        )
    }

    fn with(max_depth: u32, tasks: Background, log: Option<Logger>) -> Bus<C> {
        Bus {
            inner: Arc::new(Inner {
                tables: Published::new(Tables::default()),
                writer: Mutex::new(()),
                max_depth,
                tasks,
                log,
            }),
        }
    }

    /// Registers a broadcast handler for messages of type `M`.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// struct ServiceStarted { name: &'static str }
    /// let bus: Bus<()> = Bus::new();
    /// let id = bus.on(|_, started: &ServiceStarted| {
    ///     assert_eq!(started.name, "brain");
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &ServiceStarted { name: "brain" }).unwrap();
    /// assert!(bus.remove(id));
    /// ```
    pub fn on<M, F>(&self, handler: F) -> HandlerId
    where
        M: Send + Sync + 'static,
        F: Fn(&Ctx<'_, C>, &M) -> Result<()> + Send + Sync + 'static,
    {
        let handler: Arc<BroadcastFn<C, M>> = Arc::new(handler);
        self.register("broadcast", type_name::<M>(), |tables, id| {
            tables.add::<M, BroadcastFn<C, M>>(DispatchKind::Broadcast, id, handler);
        })
    }

    /// Registers a query handler for `Q`: it answers `Some(Ok(answer))`, fails with
    /// `Some(Err(error))`, or declines with `None` so the next handler is asked.
    ///
    /// ```
    /// use corers_messaging::{Bus, Query};
    /// struct ConfigValue(&'static str);
    /// impl Query for ConfigValue { type Answer = String; }
    ///
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_query(|_, q: &ConfigValue| (q.0 == "workspace.root").then(|| Ok("/srv/ws".to_owned())));
    /// assert_eq!(bus.query(&(), &ConfigValue("workspace.root")).answer().as_deref(), Some("/srv/ws"));
    /// assert!(bus.query(&(), &ConfigValue("other")).answer().is_none());
    /// ```
    pub fn on_query<Q, F>(&self, handler: F) -> HandlerId
    where
        Q: Query,
        F: Fn(&Ctx<'_, C>, &Q) -> Option<Result<Q::Answer>> + Send + Sync + 'static,
    {
        let handler: Arc<AnswerFn<C, Q, Q::Answer>> = Arc::new(handler);
        self.register("query", type_name::<Q>(), |tables, id| {
            tables.add::<Q, AnswerFn<C, Q, Q::Answer>>(DispatchKind::Query, id, handler);
        })
    }

    /// Registers a task handler for `T`: it accepts with `Some(result)` or declines with
    /// `None`.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task};
    /// struct FlushCache { keys: usize }
    /// impl Task for FlushCache { type Output = usize; }
    ///
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, task: &FlushCache| Some(Ok(task.keys)));
    /// assert_eq!(bus.perform(&(), &FlushCache { keys: 12 }).answer(), Some(12));
    /// ```
    pub fn on_task<T, F>(&self, handler: F) -> HandlerId
    where
        T: Task,
        F: Fn(&Ctx<'_, C>, &T) -> Option<Result<T::Output>> + Send + Sync + 'static,
    {
        let handler: Arc<AnswerFn<C, T, T::Output>> = Arc::new(handler);
        self.register("task", type_name::<T>(), |tables, id| {
            tables.add::<T, AnswerFn<C, T, T::Output>>(DispatchKind::Perform, id, handler);
        })
    }

    /// Registers a catch-all observer, called before the handlers of every broadcast, query
    /// and perform, whatever the message type: for monitoring and tracing, not for logic.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use corers_messaging::Bus;
    ///
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let bus: Bus<()> = Bus::new();
    /// let counter = Arc::clone(&seen);
    /// bus.observe(move |_, observed| {
    ///     println!("{:?} {}", observed.kind, observed.type_name);
    ///     counter.fetch_add(1, Ordering::Relaxed);
    /// });
    /// bus.broadcast(&(), &"deploy started").unwrap();
    /// bus.broadcast(&(), &42u32).unwrap();
    /// assert_eq!(seen.load(Ordering::Relaxed), 2);
    /// ```
    pub fn observe<F>(&self, observer: F) -> HandlerId
    where
        F: Fn(&Ctx<'_, C>, &Observed<'_>) + Send + Sync + 'static,
    {
        let observer: Arc<ObserverFn<C>> = Arc::new(observer);
        self.register("observer", "*", |tables, id| {
            tables.add_observer(id, observer);
        })
    }

    /// Queues every `M` broadcast from now on for a reader that is not a handler (a GUI's
    /// event loop, a task streaming to a client), until the [`Subscription`] is dropped:
    /// see there. A handler of its own (registered like any, removed on drop) clones each
    /// message into the queue.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// let mut ticks = bus.subscribe::<u32>();
    /// let _ = bus.broadcast(&(), &7u32).unwrap();
    /// assert_eq!(ticks.try_recv(), Some(7));
    /// drop(ticks);
    /// assert_eq!(bus.broadcast(&(), &8u32).unwrap().handled(), 0);
    /// ```
    pub fn subscribe<M: Clone + Send + Sync + 'static>(&self) -> Subscription<M>
    where
        C: Send + Sync,
    {
        self.subscribe_bounded(usize::MAX)
    }

    /// As [`subscribe`](Bus::subscribe), keeping at most `capacity` messages: when a new
    /// one comes to a full queue, the oldest goes, and
    /// [`Subscription::dropped`] counts it — for a reader that may stall (a window that
    /// stops drawing while progress keeps coming), which would otherwise hold every
    /// message. A capacity of 0 keeps none (and counts each).
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// let mut progress = bus.subscribe_bounded::<u8>(1);
    /// for percent in [10u8, 50, 90] {
    ///     let _ = bus.broadcast(&(), &percent).unwrap();
    /// }
    /// assert_eq!(progress.try_recv(), Some(90), "only the newest");
    /// assert_eq!(progress.dropped(), 2);
    /// ```
    pub fn subscribe_bounded<M: Clone + Send + Sync + 'static>(
        &self,
        capacity: usize,
    ) -> Subscription<M>
    where
        C: Send + Sync,
    {
        let queue = Queue::new(capacity);
        let queuing = Arc::clone(&queue);
        let id = self.on(move |_, message: &M| {
            queuing.push(message.clone());
            Ok(())
        });
        let bus = self.clone();
        Subscription::new(queue, move || {
            bus.remove(id);
        })
    }

    /// Removes a handler or observer; reports whether it was registered. Dispatches already
    /// running finish with the handlers they started with. Each thread that dispatched
    /// keeps its copy of the handler tables until its next dispatch, so the removed handler
    /// itself (and what it captured) is dropped once those threads have dispatched again —
    /// a thread that has exited keeps its copy until the bus drops. To release a resource
    /// at removal, have the handler hold it through something you can empty (an
    /// `Option` behind a lock, a `Weak`).
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// let id = bus.on(|_, _: &u8| Ok(()));
    /// assert!(bus.remove(id));
    /// assert!(!bus.remove(id));
    /// assert_eq!(bus.broadcast(&(), &1u8).unwrap().handled(), 0);
    /// ```
    pub fn remove(&self, id: HandlerId) -> bool {
        self.write(|tables| tables.remove(id))
    }

    /// Runs `f` with `sender` recorded as the sender of the dispatches it makes (and of
    /// everything they cause), so handlers can tell who is talking.
    ///
    /// Sender names are interned (kept once, for the life of the process) so that the
    /// dispatch context stays a plain `Copy` value: use a small, fixed set of names, such as
    /// service names, not a value per request. Past 4,096 names a process has used, a new
    /// one is `"(too many senders)"` (and a warning says so once).
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &&str| {
    ///     assert_eq!(ctx.dispatch().sender(), Some("scheduler"));
    ///     Ok(())
    /// });
    /// bus.with_sender("scheduler", || bus.broadcast(&(), &"tick")).unwrap();
    /// ```
    pub fn with_sender<R>(&self, sender: &str, f: impl FnOnce() -> R) -> R {
        with_sender(sender, f)
    }

    /// Calls every handler of `M`, in registration order. A handler that fails or panics
    /// does not stop the others; the [`Report`] says how many ran and which failed.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// use corers_primitives::ErrorCode;
    ///
    /// struct Shutdown;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|_, _: &Shutdown| Ok(()));
    /// bus.on(|_, _: &Shutdown| -> corers_primitives::Result<()> { panic!("flush failed") });
    /// bus.on(|_, _: &Shutdown| Ok(()));
    ///
    /// let report = bus.broadcast(&(), &Shutdown).unwrap();
    /// assert_eq!(report.handled(), 3);
    /// assert_eq!(report.failures()[0].error.code(), Some(&ErrorCode::INTERNAL));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when the dispatch would be nested deeper than the bus allows
    /// (a runaway cascade); no handler runs.
    pub fn broadcast<M: Send + Sync + 'static>(&self, core: &C, message: &M) -> Result<Report> {
        const OP: &str = "messaging.Bus.broadcast";
        // Not through a `Result`: the info is used where `begin` wrote it.
        let running = begin();
        if running.info.depth() >= self.inner.max_depth {
            return Err(self.refused_too_deep::<M>(OP, running));
        }
        let ctx = Ctx {
            core,
            bus: self,
            info: &running.info,
        };
        let tables = self.inner.tables.read();
        observe(&tables, &ctx, DispatchKind::Broadcast, message);
        // Plain locals (no reference to them escapes), so they stay in registers on the
        // path where every handler succeeds.
        let mut handled = 0;
        let mut failures = Vec::new();
        if let Some(list) = Tables::<C>::list::<M, BroadcastFn<C, M>>(&tables.broadcast) {
            for (id, handler) in &list.entries {
                handled += 1;
                let error = match catch_unwind(AssertUnwindSafe(|| handler(&ctx, message))) {
                    Ok(Ok(())) => continue,
                    Ok(Err(error)) => error,
                    Err(payload) => self.panicked(OP, type_name::<M>(), payload),
                };
                failures = with_failure(
                    failures,
                    Failure {
                        handler: *id,
                        error,
                    },
                );
            }
        }
        Ok(Report::new(handled, failures))
    }

    /// Asks the query handlers of `Q` in registration order; the first that answers or
    /// fails decides the [`Outcome`], and the rest are not asked.
    ///
    /// ```
    /// use corers_messaging::{Bus, Outcome, Query};
    /// use corers_primitives::Error;
    ///
    /// struct Health(&'static str);
    /// impl Query for Health { type Answer = bool; }
    ///
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_query(|_, q: &Health| match q.0 {
    ///     "brain" => Some(Ok(true)),
    ///     "cache" => Some(Err(Error::new("cache.Redis.ping", "connection refused"))),
    ///     _ => None,
    /// });
    /// assert!(matches!(bus.query(&(), &Health("brain")), Outcome::Answered(true)));
    /// assert!(matches!(bus.query(&(), &Health("cache")), Outcome::Failed(_)));
    /// assert!(matches!(bus.query(&(), &Health("queue")), Outcome::NotHandled));
    /// ```
    pub fn query<Q: Query>(&self, core: &C, query: &Q) -> Outcome<Q::Answer> {
        self.first("messaging.Bus.query", DispatchKind::Query, core, query)
    }

    /// Asks every query handler of `Q`, in registration order, and returns each answer or
    /// failure in that order (handlers that decline are left out).
    ///
    /// ```
    /// use corers_messaging::{Bus, Query};
    /// struct Workspaces;
    /// impl Query for Workspaces { type Answer = Vec<&'static str>; }
    ///
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["alpha"])));
    /// bus.on_query(|_, _: &Workspaces| None);
    /// bus.on_query(|_, _: &Workspaces| Some(Ok(vec!["beta", "gamma"])));
    /// let answers: Vec<_> = bus.query_all(&(), &Workspaces).unwrap().into_iter().map(Result::unwrap).collect();
    /// assert_eq!(answers, [vec!["alpha"], vec!["beta", "gamma"]]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when the dispatch would be nested deeper than the bus allows.
    pub fn query_all<Q: Query>(&self, core: &C, query: &Q) -> Result<Vec<Result<Q::Answer>>> {
        const OP: &str = "messaging.Bus.query_all";
        let running = begin();
        if running.info.depth() >= self.inner.max_depth {
            return Err(self.refused_too_deep::<Q>(OP, running));
        }
        let ctx = Ctx {
            core,
            bus: self,
            info: &running.info,
        };
        let tables = self.inner.tables.read();
        observe(&tables, &ctx, DispatchKind::Query, query);
        let mut answers = Vec::new();
        if let Some(list) = Tables::<C>::list::<Q, AnswerFn<C, Q, Q::Answer>>(&tables.query) {
            for (_, handler) in &list.entries {
                match catch_unwind(AssertUnwindSafe(|| handler(&ctx, query))) {
                    Ok(Some(answer)) => answers.push(answer),
                    Ok(None) => {}
                    Err(payload) => {
                        answers.push(Err(self.panicked(OP, type_name::<Q>(), payload)));
                    }
                }
            }
        }
        Ok(answers)
    }

    /// Offers `task` to the task handlers of `T` in registration order; the first that
    /// accepts decides the [`Outcome`].
    ///
    /// ```
    /// use corers_messaging::{Bus, Task};
    /// struct CreateWorkspace { name: String }
    /// impl Task for CreateWorkspace { type Output = String; }
    ///
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, t: &CreateWorkspace| Some(Ok(format!("/srv/ws/{}", t.name))));
    /// let path = bus.perform(&(), &CreateWorkspace { name: "alpha".into() }).answer();
    /// assert_eq!(path.as_deref(), Some("/srv/ws/alpha"));
    /// ```
    pub fn perform<T: Task>(&self, core: &C, task: &T) -> Outcome<T::Output> {
        self.first("messaging.Bus.perform", DispatchKind::Perform, core, task)
    }

    /// The query/perform loop: first handler to respond wins.
    fn first<Q: Send + Sync + 'static, A: 'static>(
        &self,
        op: &'static str,
        kind: DispatchKind,
        core: &C,
        request: &Q,
    ) -> Outcome<A> {
        let running = begin();
        if running.info.depth() >= self.inner.max_depth {
            return Outcome::Failed(self.refused_too_deep::<Q>(op, running));
        }
        let ctx = Ctx {
            core,
            bus: self,
            info: &running.info,
        };
        let tables = self.inner.tables.read();
        observe(&tables, &ctx, kind, request);
        let table = match kind {
            DispatchKind::Perform => &tables.task,
            _ => &tables.query,
        };
        if let Some(list) = Tables::<C>::list::<Q, AnswerFn<C, Q, A>>(table) {
            for (_, handler) in &list.entries {
                match catch_unwind(AssertUnwindSafe(|| handler(&ctx, request))) {
                    Ok(Some(Ok(answer))) => return Outcome::Answered(answer),
                    Ok(Some(Err(err))) => return Outcome::Failed(err),
                    Ok(None) => {}
                    Err(payload) => {
                        return Outcome::Failed(self.panicked(op, type_name::<Q>(), payload));
                    }
                }
            }
        }
        Outcome::NotHandled
    }

    /// Ends `running` (a dispatch of `M` [begun](begin) nested deeper than the bus allows)
    /// and gives the refusal.
    #[cold]
    #[inline(never)]
    fn refused_too_deep<M>(&self, op: &'static str, running: Dispatching) -> Error {
        let info = running.info;
        drop(running);
        self.too_deep(op, type_name::<M>(), &info)
    }

    /// The refusal of a dispatch of `message_type` at `info`'s depth, logged; out of line,
    /// so that the dispatch path stays short.
    #[cold]
    #[inline(never)]
    fn too_deep(&self, op: &'static str, message_type: &'static str, info: &DispatchInfo) -> Error {
        self.logged(|| {
            tracing::error!(
                message_type,
                depth = info.depth(),
                trace = info.trace(),
                "dispatch refused: cascade too deep"
            );
        });
        Error::new(
            op,
            format!(
                "dispatch of {message_type} refused at depth {}: the limit is {} (a runaway cascade?)",
                info.depth(),
                self.inner.max_depth
            ),
        )
        .with_code(ErrorCode::INVALID)
    }

    /// Adds a handler of `kind` for `name` (a message type) and records it in the audit
    /// trail.
    fn register(
        &self,
        kind: &str,
        name: &str,
        add: impl FnOnce(&mut Tables<C>, HandlerId),
    ) -> HandlerId {
        // Relaxed: ids only need to be unique, in the process (a handle from one bus must
        // never remove another bus's handler).
        static NEXT_HANDLER: AtomicU64 = AtomicU64::new(1);
        let id = HandlerId(NEXT_HANDLER.fetch_add(1, Ordering::Relaxed));
        self.write(|tables| {
            add(tables, id);
            true
        });
        self.audit(AuditEvent::HandlerAdded { kind, name });
        id
    }

    /// Turns a handler's panic into an `INTERNAL` error, and logs it.
    #[cold]
    #[inline(never)]
    fn panicked(
        &self,
        op: &'static str,
        message_type: &'static str,
        payload: Box<dyn Any + Send>,
    ) -> Error {
        let err = Error::from_caught(op, payload);
        self.logged(|| tracing::error!(error = %err, message_type, "handler panicked"));
        err
    }

    /// Runs `event` (a `tracing` event of the bus's own) under the thread's subscriber, or,
    /// on a thread without one, under the bus's logger when it was built with one: the
    /// bus's troubles are never lost for want of a subscriber.
    pub(crate) fn logged(&self, event: impl FnOnce()) {
        let unheard = corers_log::application_dispatch().is_none();
        match &self.inner.log {
            Some(log) if unheard => log.in_scope(event),
            _ => event(),
        }
    }

    /// Records `event` in the audit trail of the logger the bus was built with, if any.
    pub(crate) fn audit(&self, event: AuditEvent<'_>) {
        if let Some(log) = &self.inner.log {
            log.audit(event);
        }
    }

    /// Applies `change` to a copy of the tables under the writer lock and publishes the
    /// copy when `change` reports a change; returns that report. The replaced tables drop
    /// after the lock: a removed handler's `Drop` may register or remove handlers.
    fn write(&self, change: impl FnOnce(&mut Tables<C>) -> bool) -> bool {
        let replaced = {
            let _writer = self
                .inner
                .writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut next = Tables::clone(&self.inner.tables.load());
            if !change(&mut next) {
                return false;
            }
            self.inner.tables.publish(next)
        };
        drop(replaced);
        true
    }

    /// Reports whether a broadcast of `M` would reach anyone (a handler or an observer), so
    /// callers can skip building an event nobody receives.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// struct CacheFlushed;
    /// let bus: Bus<()> = Bus::new();
    /// assert!(!bus.is_heard::<CacheFlushed>());
    /// bus.on(|_, _: &CacheFlushed| Ok(()));
    /// assert!(bus.is_heard::<CacheFlushed>());
    /// ```
    pub fn is_heard<M: Send + Sync + 'static>(&self) -> bool {
        let tables = self.inner.tables.read();
        !tables.observers.is_empty()
            || Tables::<C>::list::<M, BroadcastFn<C, M>>(&tables.broadcast).is_some()
    }

    /// The depth limit of dispatches (and of nested Action runs).
    pub(crate) fn max_depth(&self) -> u32 {
        self.inner.max_depth
    }
}

/// Calls every observer; an observer's panic is logged and never reaches the dispatch.
fn observe<C: 'static, M: Send + Sync + 'static>(
    tables: &Tables<C>,
    ctx: &Ctx<'_, C>,
    kind: DispatchKind,
    message: &M,
) {
    if tables.observers.is_empty() {
        return;
    }
    let observed = Observed {
        kind,
        type_name: type_name::<M>(),
        message,
    };
    for (_, observer) in &tables.observers {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| observer(ctx, &observed))) {
            observer_panicked(ctx.bus, observed.type_name, payload);
        }
    }
}

/// Logs an observer's panic (out of line: never on a dispatch's way).
#[cold]
#[inline(never)]
fn observer_panicked<C: 'static>(
    bus: &Bus<C>,
    message_type: &'static str,
    payload: Box<dyn Any + Send>,
) {
    let err = Error::from_caught("messaging.Bus.observe", payload);
    bus.logged(|| tracing::error!(error = %err, message_type, "observer panicked"));
}

/// `failures` with `failure` added; out of line and by value, so that the caller's list
/// never has its address taken on the path without failures.
#[cold]
#[inline(never)]
fn with_failure(mut failures: Vec<Failure>, failure: Failure) -> Vec<Failure> {
    failures.push(failure);
    failures
}

impl<C> fmt::Debug for Bus<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables = self.inner.tables.load();
        f.debug_struct("Bus")
            .field("broadcast_types", &tables.broadcast.len())
            .field("query_types", &tables.query.len())
            .field("task_types", &tables.task.len())
            .field("observers", &tables.observers.len())
            .field("max_depth", &self.inner.max_depth)
            .finish_non_exhaustive()
    }
}
