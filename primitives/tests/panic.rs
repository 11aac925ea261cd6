//! `catch_panic`: a panic while polling a future becomes an INTERNAL error.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use corers_primitives::{ErrorCode, catch_panic};

/// Polls `future` to completion on this thread (the futures here never wait on I/O).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[test]
fn catch_panic_passes_the_output_through_good() {
    let out = block_on(catch_panic("index.Indexer.build", Box::pin(async { 4200 })));
    assert_eq!(out.unwrap(), 4200);
}

#[test]
fn catch_panic_turns_a_panic_into_internal_bad() {
    let err = block_on(catch_panic(
        "index.Indexer.build",
        Box::pin(async { panic!("segment 3 is corrupt") }),
    ))
    .unwrap_err();
    assert_eq!(
        (err.code(), err.operation(), err.message()),
        (
            Some(&ErrorCode::INTERNAL),
            "index.Indexer.build",
            "panicked: segment 3 is corrupt"
        )
    );
}

#[test]
fn catch_panic_after_a_pending_poll_and_non_text_payload_ugly() {
    // The panic comes on the second poll, with a payload that is not text.
    let mut polls = 0;
    let future = std::future::poll_fn(move |cx| -> Poll<()> {
        polls += 1;
        if polls == 1 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        std::panic::panic_any(42_u32)
    });
    let err = block_on(catch_panic("git.Repo.fetch", Box::pin(future))).unwrap_err();
    assert_eq!(err.message(), "panicked: a non-text payload");
}

#[test]
fn catch_panic_dropped_unfinished_catches_a_panicking_destructor_ugly() {
    /// A transaction guard that insists on a commit.
    struct Uncommitted(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Uncommitted {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            panic!("transaction dropped without commit");
        }
    }
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let guard = Uncommitted(std::sync::Arc::clone(&dropped));
    let mut work = catch_panic(
        "store.Tx.commit",
        Box::pin(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }),
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(std::pin::Pin::new(&mut work).poll(&mut cx).is_pending());
    // Cut off (a timeout gave up on it): the panic stays inside.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(work)));
    assert!(unwound.is_ok(), "the destructor's panic escaped");
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
}
