//! [`catch_panic`]: a future that turns a panic into an [`Error`] instead of unwinding.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Error, Result};

/// Wraps `future` so that a panic while polling it ends it with an
/// [`ErrorCode::INTERNAL`](crate::ErrorCode::INTERNAL) error for `operation`, keeping the
/// panic message, instead of unwinding into the caller (or killing a runtime's task).
/// Dropped before it finished (a timeout, a cancellation), it drops `future` the same
/// way: a destructor that panics (a guard that insists on a commit) is logged as a
/// `tracing` error, not raised into whatever gave up on the future.
///
/// The future must be `Unpin`; box it (`Box::pin`) when it is not.
///
/// ```
/// use corers_primitives::{ErrorCode, catch_panic};
///
/// # futures_lite_block_on(async {
/// let work = Box::pin(async { panic!("index out of range") });
/// let err: corers_primitives::Error = catch_panic("worker.Pool.run", work).await.unwrap_err();
/// assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
/// assert_eq!(err.message(), "panicked: index out of range");
/// # });
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let waker = std::task::Waker::noop();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #     }
/// # }
/// ```
pub fn catch_panic<F: Future + Unpin>(operation: &'static str, future: F) -> CatchPanic<F> {
    CatchPanic {
        operation,
        future: Some(future),
    }
}

/// The future [`catch_panic`] returns.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CatchPanic<F> {
    operation: &'static str,
    /// Taken only by `drop`.
    future: Option<F>,
}

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let operation = self.operation;
        let Some(future) = self.future.as_mut() else {
            return Poll::Pending;
        };
        let future = Pin::new(future);
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(Error::from_caught(operation, payload))),
        }
    }
}

impl<F> Drop for CatchPanic<F> {
    fn drop(&mut self) {
        let future = self.future.take();
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(future))) {
            let err = Error::from_caught(self.operation, payload);
            tracing::error!(error = %err, "dropping the future panicked");
        }
    }
}
