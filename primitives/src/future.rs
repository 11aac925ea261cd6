//! [`BoxFuture`]: the one type-erased future of every handler, hook and action.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future: what command actions, service hooks and Action handlers
/// return once type-erased — one type for all of them, so a helper written for one serves
/// the others.
///
/// ```
/// use corers_primitives::{BoxFuture, Result};
/// fn flush() -> BoxFuture<Result<u64>> {
///     Box::pin(async { Ok(42) })
/// }
/// # let _ = flush();
/// ```
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
