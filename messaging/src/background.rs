//! Queries, tasks, and tasks run in the background: `perform_async`, `progress`, `drain`.

use std::any::type_name;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Result};
use dashmap::DashMap;
use tokio::sync::{Notify, Semaphore};

use crate::context::{current_sender, enter, try_current, with_sender};
use crate::{Bus, Outcome, Report, TaskHandle};

/// A request that handlers answer: [`Bus::query`] and [`Bus::query_all`].
///
/// ```
/// use corers_messaging::Query;
/// struct ServiceHealth { service: String }
/// impl Query for ServiceHealth { type Answer = bool; }
/// ```
pub trait Query: Send + Sync + 'static {
    /// What a handler answers.
    type Answer: Send + 'static;
}

/// Work that a handler performs: [`Bus::perform`] and [`Bus::perform_async`].
///
/// ```
/// use corers_messaging::{Task, TaskId};
/// struct Deploy { target: String, id: Option<TaskId> }
/// impl Task for Deploy {
///     type Output = String;
///     // Opt in to knowing the id `perform_async` gave this task.
///     fn set_id(&mut self, id: &TaskId) {
///         self.id = Some(id.clone());
///     }
/// }
/// ```
pub trait Task: Send + Sync + 'static {
    /// What a handler returns when it has done the work.
    type Output: Send + Sync + 'static;

    /// Receives the id [`Bus::perform_async`] gave this task, before it is queued. Does
    /// nothing unless the task type overrides it.
    fn set_id(&mut self, id: &TaskId) {
        let _ = id;
    }
}

/// The id of a task run by [`Bus::perform_async`]: `task-1`, `task-2`, … per bus. Two
/// buses number their tasks alike, but their ids never compare equal: the id also knows
/// its bus, so one bus never takes another's id for its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    text: Arc<str>,
    bus: u64,
}

impl TaskId {
    /// The id as text.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task};
    /// struct Reindex;
    /// impl Task for Reindex { type Output = (); }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// let id = bus.perform_async(&(), Reindex).unwrap();
    /// assert!(id.as_str().starts_with("task-"));
    /// # }
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Broadcast when [`Bus::perform_async`] accepts a task, before it is queued.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskStarted {
    /// The task's id.
    pub id: TaskId,
    /// The task's Rust type name.
    pub task_type: &'static str,
}

/// Broadcast by [`Bus::progress`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskProgress {
    /// The task's id.
    pub id: TaskId,
    /// How far along, from 0.0 to 1.0.
    pub fraction: f64,
    /// What it is doing.
    pub message: String,
}

/// Broadcast once when a task from [`Bus::perform_async`] ends: with the handler's output,
/// or the error (a panic becomes an `INTERNAL` error; no handler is `NOT_FOUND`; a task
/// that never started because the bus was drained is `UNAVAILABLE`).
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskCompleted<T: Task> {
    /// The task's id.
    pub id: TaskId,
    /// The task's Rust type name.
    pub task_type: &'static str,
    /// What the handler returned.
    pub outcome: Result<T::Output>,
}

/// Broadcast once when any task from [`Bus::perform_async`] ends, after its
/// [`TaskCompleted`], whatever its type: for a host that follows every task (a GUI's
/// progress bars, closed on success or failure) without a listener per task type.
/// Built only when something listens for it.
///
/// ```
/// use corers_messaging::{Bus, Task, TaskEnded};
///
/// struct Reindex;
/// impl Task for Reindex { type Output = (); }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bus: Bus<()> = Bus::new();
/// bus.on_task(|_, _: &Reindex| Some(Ok(())));
/// let mut ended = bus.subscribe::<TaskEnded>();
/// let id = bus.perform_async(&(), Reindex).unwrap();
/// let last = ended.recv().await;
/// assert_eq!((last.id, last.error.is_none()), (id, true));
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskEnded {
    /// The task's id.
    pub id: TaskId,
    /// The task's Rust type name.
    pub task_type: &'static str,
    /// Why it failed; `None` when it succeeded.
    pub error: Option<Error>,
}

/// Cloned when the task's output is, so a [subscription](Bus::subscribe) can take it.
impl<T: Task> Clone for TaskCompleted<T>
where
    T::Output: Clone,
{
    fn clone(&self) -> Self {
        TaskCompleted {
            id: self.id.clone(),
            task_type: self.task_type,
            outcome: self.outcome.clone(),
        }
    }
}

/// Which accepted tasks had not finished when [`Bus::drain`] gave up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct DrainReport {
    /// The ids of tasks still queued or running, in id order.
    pub unfinished: Vec<TaskId>,
}

impl DrainReport {
    /// Reports whether every accepted task finished.
    ///
    /// ```
    /// use corers_messaging::DrainReport;
    /// assert!(DrainReport::default().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.unfinished.is_empty()
    }
}

/// The shutdown flag, in the top bit of the task counter.
const SHUTTING_DOWN: u64 = 1 << 63;

/// The background-task state of a bus.
pub(crate) struct Background {
    /// Shutdown flag (top bit) and the number of accepted, unfinished tasks (the rest), in
    /// one atomic: checking "not shutting down, not full" and counting the task is a
    /// single compare-and-swap, so no task can slip in after shutdown begins.
    state: AtomicU64,
    capacity: u64,
    /// Shared so that a running task's permit can move to the blocking thread it runs on.
    running: Arc<Semaphore>,
    next_id: AtomicU64,
    /// This bus among the process's, for its task ids.
    bus: u64,
    in_flight: DashMap<TaskId, &'static str>,
    /// Held shared by a submission from its admission until its task is in `in_flight`, and
    /// exclusively by a drain while it lists them: a drain names every task admitted.
    listing: RwLock<()>,
    /// Set when a drain gave up: queued tasks that have not started never will.
    drained: AtomicBool,
    idle: Notify,
    /// Tasks waiting for a running slot: while any wait, a new task queues behind them
    /// instead of taking a slot that frees up first.
    queued: AtomicUsize,
}

impl Background {
    /// Checks the limits and makes the state; `None` when they do not fit.
    pub(crate) fn limits(max_running: usize, queue: usize) -> Option<Background> {
        let capacity = u64::try_from(max_running.checked_add(queue)?).ok()?;
        (capacity < SHUTTING_DOWN && max_running <= Semaphore::MAX_PERMITS)
            .then(|| Background::new(max_running, queue))
    }

    /// Makes the state for limits known to fit (see [`Background::limits`]).
    pub(crate) fn new(max_running: usize, queue: usize) -> Background {
        Background {
            state: AtomicU64::new(0),
            capacity: (max_running + queue) as u64,
            running: Arc::new(Semaphore::new(max_running)),
            next_id: AtomicU64::new(1),
            bus: {
                static BUSES: AtomicU64 = AtomicU64::new(0);
                // Relaxed: only uniqueness matters.
                BUSES.fetch_add(1, Ordering::Relaxed)
            },
            in_flight: DashMap::new(),
            listing: RwLock::new(()),
            drained: AtomicBool::new(false),
            idle: Notify::new(),
            queued: AtomicUsize::new(0),
        }
    }

    /// Counts one more task, unless shutting down or full.
    fn admit(&self, task_type: &str) -> Result<()> {
        const OP: &str = "messaging.Bus.perform_async";
        // AcqRel on success: a drain that sees the count (Acquire) also sees the task.
        let admitted = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state & SHUTTING_DOWN == 0 && state < self.capacity).then_some(state + 1)
            });
        match admitted {
            Ok(_) => Ok(()),
            Err(state) if state & SHUTTING_DOWN != 0 => Err(Error::cancelled(
                OP,
                format!("task {task_type} refused: the bus is shutting down"),
            )),
            Err(_) => Err(Error::new(
                OP,
                format!(
                    "task {task_type} refused: {} tasks already running or queued",
                    self.capacity
                ),
            )
            .with_code(ErrorCode::UNAVAILABLE)),
        }
    }

    /// Forgets a finished task and wakes a drain when it was the last.
    fn finish(&self, id: &TaskId) {
        self.in_flight.remove(id);
        let previous = self.state.fetch_sub(1, Ordering::AcqRel);
        if previous & !SHUTTING_DOWN == 1 {
            self.idle.notify_waiters();
        }
    }

    fn count(&self) -> u64 {
        self.state.load(Ordering::Acquire) & !SHUTTING_DOWN
    }
}

/// A task's claim on the bus: released however its future ends, and when the future is
/// dropped before it broadcast its completion (a runtime shutting down), the completion is
/// broadcast from here, so every accepted task completes exactly once.
struct Slot<C: Clone + Send + Sync + 'static, T: Task> {
    bus: Bus<C>,
    core: C,
    id: TaskId,
    completed: bool,
    /// Where the outcome goes once the task is done with (broadcast, slot given back), for
    /// a [`TaskHandle`]; and the outcome, kept for it until then.
    reply: Option<tokio::sync::oneshot::Sender<Result<T::Output>>>,
    outcome: Option<Result<T::Output>>,
}

impl<C: Clone + Send + Sync + 'static, T: Task> Slot<C, T> {
    fn complete(&mut self, outcome: Result<T::Output>) {
        self.completed = true;
        let completed = TaskCompleted::<T> {
            id: self.id.clone(),
            task_type: type_name::<T>(),
            outcome,
        };
        // Asked once: whether anything follows every task's end.
        let ends_heard = self.bus.is_heard::<TaskEnded>();
        // A failure nobody hears (no listener, no handle awaited) is logged, not lost.
        if let Err(err) = &completed.outcome
            && self
                .reply
                .as_ref()
                .is_none_or(tokio::sync::oneshot::Sender::is_closed)
            && !ends_heard
            && !self.bus.is_heard::<TaskCompleted<T>>()
        {
            self.bus.logged(|| {
                tracing::error!(
                    task = %self.id,
                    task_type = completed.task_type,
                    error = %err,
                    "background task failed, and nothing listens for its completion"
                );
            });
        }
        // Handlers' panics are caught inside broadcast: one completion, always.
        let _ = self.bus.broadcast(&self.core, &completed);
        if ends_heard {
            let ended = TaskEnded {
                id: self.id.clone(),
                task_type: completed.task_type,
                error: completed.outcome.as_ref().err().cloned(),
            };
            let _ = self.bus.broadcast(&self.core, &ended);
        }
        if self.reply.is_some() {
            self.outcome = Some(completed.outcome);
        }
    }
}

impl<C: Clone + Send + Sync + 'static, T: Task> Drop for Slot<C, T> {
    fn drop(&mut self) {
        if !self.completed {
            let outcome = Err(Error::cancelled(
                "messaging.Bus.perform_async",
                format!(
                    "task {} was dropped before it completed (runtime shut down)",
                    self.id
                ),
            ));
            self.complete(outcome);
        }
        self.bus.inner.tasks.finish(&self.id);
        // Last: whoever awaits the handle finds the task gone from the bus (its slot free
        // for the next, its id no longer in flight). A handle dropped meanwhile wants
        // nothing.
        if let (Some(reply), Some(outcome)) = (self.reply.take(), self.outcome.take()) {
            let _ = reply.send(outcome);
        }
    }
}

/// Counts a task as waiting for a running slot until dropped (it got one, or its runtime
/// dropped it).
struct Queued<C>(Bus<C>);

impl<C> Queued<C> {
    fn new(bus: &Bus<C>) -> Queued<C> {
        // AcqRel: a submitter that sees the count sees the task queued behind the slots.
        bus.inner.tasks.queued.fetch_add(1, Ordering::AcqRel);
        Queued(bus.clone())
    }
}

impl<C> Drop for Queued<C> {
    fn drop(&mut self) {
        self.0.inner.tasks.queued.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<C: Clone + Send + Sync + 'static> Bus<C> {
    /// Accepts `task` and returns its id at once; the task runs through
    /// [`perform`](Bus::perform) on the current tokio runtime's blocking pool
    /// ([`spawn_blocking`](tokio::task::spawn_blocking)): task handlers are synchronous and
    /// may take as long as the work does without holding up the runtime's workers, its
    /// timers, or a [`drain`](Bus::drain)'s deadline.
    ///
    /// The bus broadcasts [`TaskStarted`] before returning, and [`TaskCompleted<T>`] exactly
    /// once when the task ends. At most `max_running` tasks run at once: while one of those
    /// slots is free and no task waits for one, the task goes to the blocking pool straight
    /// away (it may complete before this returns, and runs even when the runtime is busy);
    /// otherwise it waits for a slot on the runtime, behind at most `queue` others. A task
    /// still waiting when the runtime shuts down completes with an `UNAVAILABLE` error. The
    /// dispatch this is called from (trace, sender) carries into the task.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task, TaskCompleted};
    /// use tokio::sync::mpsc;
    ///
    /// struct Reindex { files: usize }
    /// impl Task for Reindex { type Output = usize; }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, t: &Reindex| Some(Ok(t.files)));
    /// let (done, mut completed) = mpsc::unbounded_channel();
    /// bus.on(move |_, c: &TaskCompleted<Reindex>| {
    ///     let _ = done.send((c.id.clone(), *c.outcome.as_ref().unwrap()));
    ///     Ok(())
    /// });
    /// let id = bus.perform_async(&(), Reindex { files: 12 }).unwrap();
    /// assert_eq!(completed.recv().await, Some((id, 12)));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when the bus is shutting down, when `max_running +
    /// queue` tasks are already accepted, or when there is no tokio runtime;
    /// [`ErrorCode::INVALID`] when submitted from a dispatch so deep that the task's own
    /// would pass the [depth limit](crate::BusBuilder::max_depth).
    pub fn perform_async<T: Task>(&self, core: &C, task: T) -> Result<TaskId> {
        self.submit(core, task, None)
    }

    /// As [`perform_async`](Bus::perform_async), returning a [`TaskHandle`]: the task's
    /// id at once, and its outcome when awaited — for a caller that waits for its own
    /// background task without listening for its completion among everyone else's.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task};
    ///
    /// struct Reindex { files: usize }
    /// impl Task for Reindex { type Output = usize; }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, t: &Reindex| Some(Ok(t.files)));
    /// let indexed = bus.perform_async_handle(&(), Reindex { files: 12 }).unwrap().await;
    /// assert_eq!(indexed.unwrap(), 12);
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`perform_async`](Bus::perform_async); awaited, the task's own error (a panic
    /// is `INTERNAL`, no handler `NOT_FOUND`, never started `UNAVAILABLE`).
    pub fn perform_async_handle<T: Task>(&self, core: &C, task: T) -> Result<TaskHandle<T>> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let id = self.submit(core, task, Some(reply))?;
        Ok(TaskHandle::new(id, outcome))
    }

    /// Accepts `task` (see [`perform_async`](Bus::perform_async)); its outcome also goes
    /// to `reply`, when given.
    fn submit<T: Task>(
        &self,
        core: &C,
        mut task: T,
        reply: Option<tokio::sync::oneshot::Sender<Result<T::Output>>>,
    ) -> Result<TaskId> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                "messaging.Bus.perform_async",
                format!("task {} needs a tokio runtime", type_name::<T>()),
            )
            .with_code(ErrorCode::UNAVAILABLE)
        })?;
        // The task's dispatches (its start, its handler, its completion) run one level below
        // the submitting one: refused now when that is past the limit, rather than
        // accepted and then never run, with every event of it refused unseen.
        let parent = try_current();
        let depth = parent.map_or(0, |parent| parent.depth() + 1);
        if depth >= self.max_depth() {
            return Err(Error::new(
                "messaging.Bus.perform_async",
                format!(
                    "task {} refused at depth {depth}: the limit is {} (a runaway cascade?)",
                    type_name::<T>(),
                    self.max_depth()
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        // Cloned before the task is counted: a panicking `clone` leaves nothing to undo.
        let core = core.clone();
        let tasks = &self.inner.tasks;
        let listable = tasks.listing.read().unwrap_or_else(PoisonError::into_inner);
        tasks.admit(type_name::<T>())?;
        // Relaxed: ids only need to be unique.
        let n = tasks.next_id.fetch_add(1, Ordering::Relaxed);
        let id = TaskId {
            text: Arc::from(format!("task-{n}")),
            bus: tasks.bus,
        };
        let mut slot = Slot::<C, T> {
            bus: self.clone(),
            core,
            id: id.clone(),
            completed: false,
            reply,
            outcome: None,
        };
        tasks.in_flight.insert(id.clone(), type_name::<T>());
        drop(listable);
        if let Err(payload) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.set_id(&id)))
        {
            let err = Error::from_caught("messaging.Bus.perform_async", payload);
            // Never started: no completion event, just give the slot back.
            slot.completed = true;
            drop(slot);
            return Err(err);
        }
        let started = TaskStarted {
            id: id.clone(),
            task_type: type_name::<T>(),
        };
        let _ = self.broadcast(&slot.core, &started);

        // The submitting dispatch (`parent`, or, at the top level, the sender set by
        // `with_sender`) carries into the task and its completion.
        let sender = current_sender();
        // The task logs where its submitter does (a Core's logger, say), on whichever
        // thread it runs; a submitter without a subscriber leaves the thread's own.
        let log = corers_log::application_dispatch();
        // A task dropped unrun (the runtime shut down first) completes from its slot's
        // `Drop`. With a running slot free and nobody waiting for one, straight to the
        // blocking pool; otherwise a runtime task waits for a slot behind the others.
        if tasks.queued.load(Ordering::Acquire) == 0
            && let Ok(permit) = Arc::clone(&tasks.running).try_acquire_owned()
        {
            drop(runtime.spawn_blocking(move || {
                logging_to(log.as_ref(), || {
                    run_task(slot, &task, Ok(permit), parent, sender);
                });
            }));
            return Ok(id);
        }
        let running = Arc::clone(&tasks.running);
        let waiting = Queued::new(self);
        drop(runtime.spawn(async move {
            let permit = running.acquire_owned().await;
            drop(waiting);
            let _ = tokio::task::spawn_blocking(move || {
                logging_to(log.as_ref(), || {
                    run_task(slot, &task, permit, parent, sender);
                });
            })
            .await;
        }));
        Ok(id)
    }

    /// Broadcasts [`TaskProgress`] for a running task.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task, TaskId, TaskProgress};
    /// struct Backup(Option<TaskId>);
    /// impl Task for Backup {
    ///     type Output = ();
    ///     fn set_id(&mut self, id: &TaskId) { self.0 = Some(id.clone()); }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|_, p: &TaskProgress| {
    ///     println!("{}: {:.0}% {}", p.id, p.fraction * 100.0, p.message);
    ///     Ok(())
    /// });
    /// // The handler reports as it goes: its task's id came through `Task::set_id`.
    /// bus.on_task(|ctx, backup: &Backup| {
    ///     let id = backup.0.as_ref()?;
    ///     Some(ctx.bus().progress(ctx.core(), id, 0.5, "copied 5 of 10 files").map(drop))
    /// });
    /// bus.perform_async(&(), Backup(None)).unwrap();
    /// # bus.drain(std::time::Duration::from_secs(30)).await;
    /// # }
    /// ```
    ///
    /// Progress reported from outside the task's own handler (another thread watching the
    /// work) can race the task's end, and arrive after its [`TaskCompleted`]; from inside
    /// the handler it always comes first.
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `fraction` is not within `0.0..=1.0`;
    /// [`ErrorCode::NOT_FOUND`] when no task with `id` is queued or running.
    pub fn progress(&self, core: &C, id: &TaskId, fraction: f64, message: &str) -> Result<Report> {
        const OP: &str = "messaging.Bus.progress";
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::new(
                OP,
                format!("progress {fraction} of task {id} is outside 0.0..=1.0"),
            )
            .with_code(ErrorCode::INVALID));
        }
        if !self.inner.tasks.in_flight.contains_key(id) {
            return Err(
                Error::new(OP, format!("task {id} is not running")).with_code(ErrorCode::NOT_FOUND)
            );
        }
        self.broadcast(
            core,
            &TaskProgress {
                id: id.clone(),
                fraction,
                message: message.to_owned(),
            },
        )
    }
}

/// Runs `work` with `dispatch` as the thread's `tracing` subscriber, or as it is without.
fn logging_to(dispatch: Option<&tracing::Dispatch>, work: impl FnOnce()) {
    match dispatch {
        Some(dispatch) => tracing::dispatcher::with_default(dispatch, work),
        None => work(),
    }
}

/// Runs an accepted task on a blocking thread (unless a drain gave up before it started),
/// then broadcasts its completion once the permit is given back, in the dispatch it was
/// submitted from.
fn run_task<C: Clone + Send + Sync + 'static, T: Task>(
    mut slot: Slot<C, T>,
    task: &T,
    permit: std::result::Result<tokio::sync::OwnedSemaphorePermit, tokio::sync::AcquireError>,
    parent: Option<crate::DispatchInfo>,
    sender: Option<&'static str>,
) {
    let _running = parent.map(enter);
    let run = || {
        if permit.is_err() || slot.bus.inner.tasks.drained.load(Ordering::Acquire) {
            return Err(Error::cancelled(
                "messaging.Bus.perform_async",
                format!("task {} did not start: the bus was drained", slot.id),
            ));
        }
        match slot.bus.perform(&slot.core, task) {
            Outcome::Answered(output) => Ok(output),
            Outcome::Failed(err) => Err(err),
            Outcome::NotHandled => Err(Error::new(
                "messaging.Bus.perform_async",
                format!("no handler took task {} ({})", slot.id, type_name::<T>()),
            )
            .with_code(ErrorCode::NOT_FOUND)),
        }
    };
    // The submitting dispatch (or, at the top level, the sender set by `with_sender`)
    // carries into the task and its completion.
    let outcome = match sender {
        Some(sender) if parent.is_none() => with_sender(sender, run),
        _ => run(),
    };
    drop(permit);
    match sender {
        Some(sender) if parent.is_none() => with_sender(sender, || slot.complete(outcome)),
        _ => slot.complete(outcome),
    }
}

impl<C: 'static> Bus<C> {
    /// Begins shutdown: from now on [`perform_async`](Bus::perform_async) refuses new
    /// tasks. Background already accepted still run. Calling it again changes nothing.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.shutdown();
    /// assert!(bus.is_shutting_down());
    /// ```
    pub fn shutdown(&self) {
        self.inner
            .tasks
            .state
            .fetch_or(SHUTTING_DOWN, Ordering::AcqRel);
    }

    /// Reports whether shutdown has begun.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// assert!(!Bus::<()>::new().is_shutting_down());
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        self.inner.tasks.state.load(Ordering::Acquire) & SHUTTING_DOWN != 0
    }

    /// How many accepted tasks are queued or running.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// assert_eq!(Bus::<()>::new().tasks_in_flight(), 0);
    /// ```
    pub fn tasks_in_flight(&self) -> u64 {
        self.inner.tasks.count()
    }

    /// Begins shutdown and waits up to `deadline` for every accepted task to finish. When
    /// the deadline passes first, tasks still queued will never start (they complete with
    /// an `UNAVAILABLE` error) and the report lists every unfinished task.
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_messaging::{Bus, Task};
    /// struct Reindex;
    /// impl Task for Reindex { type Output = (); }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, _: &Reindex| Some(Ok(())));
    /// bus.perform_async(&(), Reindex).unwrap();
    /// let report = bus.drain(Duration::from_secs(5)).await;
    /// assert!(report.is_complete());
    /// assert!(bus.perform_async(&(), Reindex).is_err());
    /// # }
    /// ```
    pub async fn drain(&self, deadline: Duration) -> DrainReport {
        self.shutdown();
        let tasks = &self.inner.tasks;
        let wait = async {
            loop {
                let idle = tasks.idle.notified();
                tokio::pin!(idle);
                // Register for the wake-up before checking, so a finish in between is seen.
                idle.as_mut().enable();
                if tasks.count() == 0 {
                    return;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(deadline, wait).await.is_ok() {
            return DrainReport::default();
        }
        // Listed before any queued task is told it will not start, so the report names
        // every task admitted and not finished by the deadline.
        let mut unfinished: Vec<TaskId> = {
            let _listing = tasks
                .listing
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            tasks.in_flight.iter().map(|e| e.key().clone()).collect()
        };
        tasks.drained.store(true, Ordering::Release);
        unfinished.sort_by_key(|id| {
            id.as_str()
                .trim_start_matches("task-")
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        });
        // Queued tasks wake now and complete as not started, without waiting for a slot.
        tasks.running.close();
        DrainReport { unfinished }
    }
}
