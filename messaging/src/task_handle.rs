//! [`TaskHandle`]: a background task's id, and its outcome to await.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use corers_primitives::{Error, Result};
use tokio::sync::oneshot;

use crate::{Task, TaskId};

/// A task accepted by [`Bus::perform_async_handle`](crate::Bus::perform_async_handle): its
/// id at once, and, awaited, its outcome — what its [`TaskCompleted`](crate::TaskCompleted)
/// carries, handed over once the completion's listeners have seen it. Dropping the handle
/// leaves the task running.
pub struct TaskHandle<T: Task> {
    id: TaskId,
    outcome: oneshot::Receiver<Result<T::Output>>,
}

impl<T: Task> TaskHandle<T> {
    pub(crate) fn new(id: TaskId, outcome: oneshot::Receiver<Result<T::Output>>) -> Self {
        TaskHandle { id, outcome }
    }

    /// The task's id: for [`Bus::progress`](crate::Bus::progress), and to match its events.
    ///
    /// ```
    /// use corers_messaging::{Bus, Task};
    /// struct Reindex;
    /// impl Task for Reindex { type Output = usize; }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let bus: Bus<()> = Bus::new();
    /// bus.on_task(|_, _: &Reindex| Some(Ok(12)));
    /// let handle = bus.perform_async_handle(&(), Reindex).unwrap();
    /// assert!(handle.id().to_string().starts_with("task-"));
    /// # }
    /// ```
    pub fn id(&self) -> &TaskId {
        &self.id
    }
}

impl<T: Task> Future for TaskHandle<T> {
    type Output = Result<T::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.outcome).poll(cx).map(|outcome| {
            // Every accepted task completes once: only a bus torn down under it (its
            // runtime gone with the task unrun and unreported) leaves nothing to hand over.
            outcome.unwrap_or_else(|_| {
                Err(Error::cancelled(
                    "messaging.TaskHandle.await",
                    format!("task {} ended without an outcome", self.id),
                ))
            })
        })
    }
}

impl<T: Task> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
