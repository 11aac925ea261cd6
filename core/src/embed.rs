//! The embedding bridge (CoreGO's `Runtime`): for a host that owns the event loop — a GUI
//! framework, a plugin host — and starts and stops the Core on its own schedule instead of
//! handing `main` to [`Core::run`].

use std::any::Any;

use corers_primitives::{Error, Result};

use crate::Core;

impl Core {
    /// Starts every service (in dependency order, rolled back on failure) and the Task
    /// scheduler: what [`Core::run`] does before dispatching the command line, for a host
    /// that calls it from its own start-up hook.
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
    /// core.startup().await.unwrap();
    /// // ... the host's event loop runs; handlers use `core` ...
    /// core.shutdown().await.unwrap();
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT) when already
    /// started (or stopped: a Core starts once); otherwise the failing service's error, after
    /// the services that had started were stopped.
    pub async fn startup(&self) -> Result<()> {
        self.inner
            .services
            .start_all(self)
            .await
            .map_err(|e| Error::wrap(e, "corers.Core.startup", "start the application"))?;
        self.start_scheduler();
        Ok(())
    }

    /// Stops the Task scheduler, cancels [`Core::context`], drains background work and runs
    /// every stop hook in reverse (bounded by the builder's shutdown timeout), then flushes
    /// the log. Stopping twice does nothing more. A Core shut down before
    /// [`startup`](Core::startup) has ended: nothing started, and it will not start.
    ///
    /// # Errors
    /// The stop hooks' failures, joined (every hook still ran);
    /// [`ErrorCode::CONFLICT`](corers_primitives::ErrorCode::CONFLICT) while
    /// [`startup`](Core::startup) is still running (the context is cancelled all the same,
    /// which a start hook can watch for).
    pub async fn shutdown(&self) -> Result<()> {
        self.inner.scheduler.stop().await;
        self.inner.shutdown.cancel();
        let stopped = self
            .inner
            .services
            .stop_all(self, self.inner.shutdown_timeout)
            .await;
        self.log().flush();
        stopped.map_err(|e| Error::wrap(e, "corers.Core.shutdown", "stop the application"))
    }

    /// The host value given to [`CoreBuilder::host`](crate::CoreBuilder::host), when it is a
    /// `H`.
    pub fn host<H: Any + Send + Sync>(&self) -> Option<&H> {
        self.inner.host.as_deref()?.downcast_ref::<H>()
    }

    /// Starts the Task scheduler; a failure is logged, not fatal (the services run on).
    pub(crate) fn start_scheduler(&self) {
        if let Err(err) = self.inner.scheduler.start(self) {
            tracing::warn!(error = %err, "the task scheduler did not start");
        }
    }
}
