//! Entering a logger's dispatcher without tripping over tracing's own re-entrancy rules.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Dispatch;

thread_local! {
    /// The logger whose dispatcher `in_scope` has made current on this thread, if any.
    static CURRENT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// A new identity for a logger or a log layer, unique in the process.
pub(crate) fn next_identity() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // Relaxed: ids only need to be unique.
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `f` with `dispatch` (the dispatcher of logger `logger`) as the current tracing
/// dispatcher.
///
/// When that logger is already current on this thread (a field's `Debug` that logs while
/// its event is being written, a crash report recorded by the panic hook during an event),
/// `f` runs as it is: tracing forbids replacing the dispatcher while it is dispatching, and
/// drops events nested inside a dispatch anyway, so nothing is lost that could be kept.
pub(crate) fn in_scope<R>(logger: u64, dispatch: &Dispatch, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|current| current.set(self.0));
        }
    }
    // Inside one of this crate's layers, tracing holds the thread's dispatcher: entering
    // another would panic (and abort, from a panic hook). Events made there are dropped by
    // tracing, as nested dispatches are.
    if CURRENT.with(Cell::get) == Some(logger) || crate::layer::dispatching() {
        return f();
    }
    let _restore = Restore(CURRENT.with(|current| current.replace(Some(logger))));
    tracing::dispatcher::with_default(dispatch, f)
}
