//! A service's own background work: the tasks it spawns, watched while it runs and stopped
//! in its turn.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Result, catch_panic};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;

use crate::Health;

const OP: &str = "lifecycle.ServiceCtx.spawn";

/// Where a service is in its life, for its health.
const NOT_STARTED: u8 = 0;
const RUNNING: u8 = 1;
const STOPPED: u8 = 2;

/// The background work of one service.
#[derive(Default)]
pub(crate) struct Work {
    /// Cancelled when the service's turn to stop comes; made when first asked for.
    stopping: OnceLock<CancellationToken>,
    tasks: Mutex<Tasks>,
    /// Why the service stopped working while it ran (a task failed), for its health.
    failure: Mutex<Option<String>>,
    /// [`NOT_STARTED`], [`RUNNING`] or [`STOPPED`].
    state: AtomicU8,
}

#[derive(Default)]
struct Tasks {
    running: Vec<(Arc<str>, JoinHandle<Result<()>>)>,
    /// Stopping or stopped: no task starts any more.
    closed: bool,
}

impl Work {
    /// The token cancelled when the service's turn to stop comes (already cancelled when
    /// first asked for after that).
    pub(crate) fn stopping(&self) -> &CancellationToken {
        if let Some(token) = self.stopping.get() {
            return token;
        }
        // Made under the tasks' lock, which `stop` closes them under: either `stop` finds
        // the token made, or the token is made knowing the service stopped.
        let tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        self.stopping.get_or_init(|| {
            let token = CancellationToken::new();
            if tasks.closed {
                token.cancel();
            }
            token
        })
    }

    /// Runs `work` as the task `task` of `service` until it ends or the service stops. A
    /// failure (an error or a panic) while the service runs is logged, kept for the
    /// service's health and handed to `failed`; one while it stops is reported by
    /// [`stop`](Work::stop).
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        service: &Arc<str>,
        task: &str,
        work: F,
        failed: impl FnOnce(Error) + Send + 'static,
    ) -> Result<()>
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        if tasks.closed {
            return Err(Error::new(
                OP,
                format!("task {task:?} not started: service {service:?} is stopping"),
            )
            .with_code(ErrorCode::UNAVAILABLE));
        }
        // Tasks that ended while the service ran are let go (their failures were told).
        tasks.running.retain(|(_, handle)| !handle.is_finished());
        let this = Arc::clone(self);
        let name: Arc<str> = Arc::from(task);
        let (service, task) = (Arc::clone(service), Arc::clone(&name));
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
            if this.is_stopping() {
                return Err(err);
            }
            tracing::error!(service = &*service, task = &*task, error = %err, "service task failed");
            *this.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(err.to_string());
            failed(err);
            Ok(())
        };
        let handle = tokio::spawn(supervised.in_current_span().with_current_subscriber());
        tasks.running.push((name, handle));
        Ok(())
    }

    fn is_stopping(&self) -> bool {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed
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

    /// The service's turn to stop: no task starts any more, the stopping token is
    /// cancelled, and each task is waited for up to `timeout` (or until `forced`), then
    /// aborted. Returns the failures, each naming its task.
    pub(crate) async fn stop(
        &self,
        service: &str,
        timeout: Duration,
        forced: &CancellationToken,
    ) -> Vec<Error> {
        self.state.store(STOPPED, Ordering::Relaxed);
        let (running, asked) = {
            let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
            tasks.closed = true;
            (std::mem::take(&mut tasks.running), self.stopping.get())
        };
        // (A token nobody asked for has nobody to tell.)
        if let Some(stopping) = asked {
            stopping.cancel();
        }
        let mut failures = Vec::new();
        if running.is_empty() {
            return failures;
        }
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        for (task, mut handle) in running {
            let waited = tokio::select! {
                biased;
                joined = &mut handle => Ok(joined),
                () = sleep_until(deadline) => Err(
                    Error::new(OP, format!("task {task:?} of service {service:?} did not stop within {timeout:?}"))
                        .with_code(ErrorCode::TIMEOUT),
                ),
                () = forced.cancelled() => Err(
                    Error::new(OP, format!("task {task:?} of service {service:?} abandoned: shutdown was forced"))
                        .with_code(ErrorCode::UNAVAILABLE),
                ),
            };
            match waited {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(err))) => failures.push(err),
                // Its panics are caught inside: only a runtime shutting down ends it so.
                Ok(Err(join)) => failures.push(
                    Error::new(OP, format!("task {task:?} of service {service:?}: {join}"))
                        .with_code(ErrorCode::UNAVAILABLE),
                ),
                Err(err) => {
                    handle.abort();
                    failures.push(err);
                }
            }
        }
        failures
    }
}

/// Sleeps until `deadline`, or forever when there is none (a timeout too long to count).
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
