//! A service's own background work: the tasks it spawns, watched while it runs and stopped
//! in its turn.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Result, catch_panic};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;

use crate::Health;
use crate::force::Force;

const OP: &str = "lifecycle.ServiceCtx.spawn";

/// Where a service is in its life, for its health.
const NOT_STARTED: u8 = 0;
const RUNNING: u8 = 1;
const STOPPED: u8 = 2;

/// A service's running tasks.
pub(crate) type Running = Vec<Task>;

/// A running task, aborted when dropped unfinished (a stop whose future was dropped, a
/// service dropped with its tasks still running): never left detached.
pub(crate) struct Task {
    name: Arc<str>,
    handle: JoinHandle<Result<()>>,
}

impl Drop for Task {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Who is asked to stop the application when a task fails: the services the work's
/// service belongs to (held weakly: a service that keeps its context makes no cycle).
pub(crate) trait StopRequest: Send + Sync {
    fn request_stop(&self, failure: Option<Error>);
    /// Whether the application is stopping: a stop requested (for a failure or not), or
    /// the services stopped without one.
    fn is_stopping(&self) -> bool;
}

/// One service's name, shared tokens and background work: what every hook's context
/// carries, made once when the service registers.
pub(crate) struct Work {
    pub(crate) name: Arc<str>,
    /// Whether shutdown is forced (shared by every service).
    pub(crate) forced: Arc<Force>,
    owner: Weak<dyn StopRequest>,
    /// Cancelled when the service's turn to stop comes, or shutdown is forced (a child of
    /// the forced token); made when first asked for.
    stopping: OnceLock<CancellationToken>,
    tasks: Mutex<Running>,
    /// A task was spawned or the stopping token handed out: stopping has work to do.
    touched: AtomicBool,
    /// Why the service stopped working while it ran (a task failed), for its health.
    failure: Mutex<Option<String>>,
    /// [`NOT_STARTED`], [`RUNNING`] or [`STOPPED`]; once stopping or stopped, no task
    /// starts any more.
    state: AtomicU8,
}

impl Work {
    pub(crate) fn new(name: Arc<str>, forced: Arc<Force>, owner: Weak<dyn StopRequest>) -> Work {
        Work {
            name,
            forced,
            owner,
            stopping: OnceLock::new(),
            tasks: Mutex::new(Vec::new()),
            touched: AtomicBool::new(false),
            failure: Mutex::new(None),
            state: AtomicU8::new(NOT_STARTED),
        }
    }

    /// The token cancelled when the service's turn to stop comes or shutdown is forced
    /// (already cancelled when first asked for after that).
    pub(crate) fn stopping(&self) -> &CancellationToken {
        if let Some(token) = self.stopping.get() {
            return token;
        }
        // SeqCst, with `close`: either `close` sees the token touched (and waits on the
        // lock for it to be made), or the token is made knowing the service is closed.
        self.touched.store(true, Ordering::SeqCst);
        let _made = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        self.stopping.get_or_init(|| {
            let token = self.forced.token.child_token();
            if self.is_closed() {
                token.cancel();
            }
            token
        })
    }

    /// Asks for the application to stop, for `failure` if any.
    pub(crate) fn request_stop(&self, failure: Option<Error>) {
        if let Some(owner) = self.owner.upgrade() {
            owner.request_stop(failure);
        }
    }

    /// Runs `work` as the task `task` of this service until it ends or the service stops.
    /// A failure (an error or a panic) while the service runs is logged, kept for the
    /// service's health, and a stop is requested for it; one while it stops is reported
    /// by [`wait`](Work::wait).
    pub(crate) fn spawn<F>(self: &Arc<Self>, task: &str, work: F) -> Result<()>
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        let service = &self.name;
        // Asked from a thread of the service's own, say: refused, not a panic.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Error::new(
                OP,
                format!("task {task:?} of service {service:?} not started: no tokio runtime on this thread"),
            )
            .with_code(ErrorCode::UNAVAILABLE));
        };
        // SeqCst, with `close`: either this sees the service closed, or `close` sees the
        // work touched and takes this task from the list.
        self.touched.store(true, Ordering::SeqCst);
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.is_closed() {
            return Err(Error::new(
                OP,
                format!("task {task:?} not started: service {service:?} is stopping"),
            )
            .with_code(ErrorCode::UNAVAILABLE));
        }
        // Tasks that ended while the service ran are let go (their failures were told).
        tasks.retain(|task| !task.handle.is_finished());
        // Weak: the work holds the task's handle, so a strong hold here would keep both
        // alive for as long as the task runs, and a service dropped running would never
        // abort it.
        let this = Arc::downgrade(self);
        let service = Arc::clone(&self.name);
        let name: Arc<str> = Arc::from(task);
        let task = Arc::clone(&name);
        let supervised = async move {
            let outcome = catch_panic(OP, Box::pin(work))
                .await
                .and_then(|ended| ended);
            let Err(err) = outcome else {
                return Ok(());
            };
            let err = Error::wrap(
                err,
                OP,
                format!("task {task:?} of service {service:?} failed"),
            );
            let Some(this) = this.upgrade().filter(|this| !this.is_closed()) else {
                return Err(err);
            };
            if this.ended_by_the_stop(&task, &err) {
                return Ok(());
            }
            tracing::error!(service = &*service, task = &*task, error = %err, "service task failed");
            *this.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(err.to_string());
            this.request_stop(Some(err));
            Ok(())
        };
        // A span of its own, not the start hook's: a loop that runs for days is not part of
        // the startup (its lines would say so, and a trace exporter would keep the startup
        // open for as long); it follows from the hook that spawned it.
        let span =
            tracing::info_span!(parent: None, "service_task", service = &*self.name, task = &*name);
        span.follows_from(tracing::Span::current());
        let handle = runtime.spawn(supervised.instrument(span).with_current_subscriber());
        tasks.push(Task { name, handle });
        Ok(())
    }

    /// Whether `err` ended `task` because the stop refused or cut short its work (its runs
    /// cancelled, `perform_async` refused by the drain) rather than by a failure of its
    /// own; said at debug when so.
    fn ended_by_the_stop(&self, task: &str, err: &Error) -> bool {
        let stopping = self
            .owner
            .upgrade()
            .is_some_and(|owner| owner.is_stopping());
        let ended = err.is_cancelled() && stopping;
        if ended {
            tracing::debug!(service = &*self.name, task, error = %err, "service task ended by the stop");
        }
        ended
    }

    /// Whether the service's turn to stop has come.
    fn is_closed(&self) -> bool {
        self.state.load(Ordering::SeqCst) == STOPPED
    }

    /// Its start hook succeeded.
    pub(crate) fn started(&self) {
        // Relaxed: read only for health reports, which are a moment's view anyway.
        self.state.store(RUNNING, Ordering::Relaxed);
    }

    /// The service's health when it needs no asking: unhealthy while it is not running,
    /// or since a task of it failed.
    pub(crate) fn known_health(&self) -> Option<Health> {
        if let Some(failure) = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Some(Health::Unhealthy(failure));
        }
        match self.state.load(Ordering::Relaxed) {
            NOT_STARTED => Some(Health::Unhealthy("not started".into())),
            STOPPED => Some(Health::Unhealthy("stopped".into())),
            _ => None,
        }
    }

    /// The service's turn to stop begins: no task starts any more and the stopping token
    /// is cancelled. Returns the tasks to [`wait`](Work::wait) for, `None` when there are
    /// none (most services: then nothing is locked).
    pub(crate) fn close(&self) -> Option<Running> {
        self.state.store(STOPPED, Ordering::SeqCst);
        if !self.touched.load(Ordering::SeqCst) {
            return None;
        }
        let running =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some(stopping) = self.stopping.get() {
            stopping.cancel();
        }
        (!running.is_empty()).then_some(running)
    }

    /// A start hook cut off (its startup's future dropped): the service never started, and
    /// what it spawned is aborted.
    pub(crate) fn abort(&self) {
        drop(self.close());
    }

    /// The service's turn to stop for its tasks: [`close`](Work::close), then
    /// [`wait`](Work::wait) up to `timeout`, each failure logged. Returns the failures;
    /// `None` when the service had no task to wait for.
    pub(crate) async fn stop_tasks(&self, timeout: Duration) -> Option<Vec<Error>> {
        let running = self.close()?;
        let failures = self.wait(running, timeout).await;
        for failure in &failures {
            tracing::error!(service = &*self.name, error = %failure, "service task failed to stop");
        }
        Some(failures)
    }

    /// Waits for each of `running` (from [`close`](Work::close)) up to `timeout` — once
    /// shutdown is forced, up to what is left of its grace — then aborts it. Returns the
    /// failures, each naming its task.
    async fn wait(&self, running: Running, timeout: Duration) -> Vec<Error> {
        let service = &self.name;
        let mut failures = Vec::new();
        // One timer for them all (tokio reads a timeout too long to count as never).
        let timer = tokio::time::sleep(timeout);
        tokio::pin!(timer);
        for mut running in running {
            let task = Arc::clone(&running.name);
            let waited = tokio::select! {
                biased;
                joined = &mut running.handle => Ok(joined),
                () = &mut timer => Err(
                    Error::new(OP, format!("task {task:?} of service {service:?} did not stop within {timeout:?}"))
                        .with_code(ErrorCode::TIMEOUT),
                ),
                // Told to stop with everything else: what is left of the grace to end.
                () = self.forced.cancelled() => {
                    match self.forced.within_grace(&mut running.handle).await {
                        Some(joined) => Ok(joined),
                        None => Err(
                            Error::new(OP, format!("task {task:?} of service {service:?} abandoned: shutdown was forced"))
                                .with_code(ErrorCode::UNAVAILABLE),
                        ),
                    }
                }
            };
            match waited {
                Ok(Ok(Ok(()))) => {}
                // The stop refused or cut short its work: not a failure to stop.
                Ok(Ok(Err(err))) if self.ended_by_the_stop(&task, &err) => {}
                // Its own failure, or (aborted as it is dropped) one that did not stop.
                Ok(Ok(Err(err))) | Err(err) => failures.push(err),
                // Its panics are caught inside: only a runtime shutting down ends it so.
                Ok(Err(join)) => failures.push(
                    Error::new(OP, format!("task {task:?} of service {service:?}: {join}"))
                        .with_code(ErrorCode::UNAVAILABLE),
                ),
            }
        }
        failures
    }
}
