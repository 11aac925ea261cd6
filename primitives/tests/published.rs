//! Integration tests for `Published`: readers see the latest value, nested reads stay
//! consistent, replaced values are freed, and no reader sees a torn or stale value across
//! threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Weak};
use std::thread;

use corers_primitives::Published;

/// Counts its drops, to see when a replaced value is freed.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------- Published::new

#[test]
fn published_new_reads_the_first_value_good() {
    let routes = Published::new(vec!["workspace/create", "workspace/list"]);
    assert_eq!(*routes.read(), ["workspace/create", "workspace/list"]);
}

#[test]
fn published_new_empty_value_reads_empty_bad() {
    let routes: Published<Vec<&str>> = Published::new(Vec::new());
    assert!(routes.read().is_empty());
}

#[test]
fn published_new_dropped_unread_frees_the_value_ugly() {
    let drops = Arc::new(AtomicUsize::new(0));
    drop(Published::new(Tracked(Arc::clone(&drops))));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------- Published::read

#[test]
fn published_read_sees_each_publish_good() {
    let limit = Published::new(64_usize);
    for next in [128, 256, 512] {
        limit.publish(next);
        assert_eq!(*limit.read(), next);
    }
}

#[test]
fn published_read_nested_during_publish_sees_the_new_value_bad() {
    // An outer read keeps its value; a read nested in it after a publish gets the new one,
    // and the next top-level read does too.
    let limit = Published::new(64_usize);
    let outer = limit.read();
    limit.publish(128);
    assert_eq!(*limit.read(), 128);
    assert_eq!(*outer, 64);
    drop(outer);
    assert_eq!(*limit.read(), 128);
}

#[test]
fn published_read_from_many_threads_never_stale_ugly() {
    // Every reader checks that, after seeing generation N published (through a separate
    // flag), it reads at least N: a cached copy is never older than the last publish the
    // thread could know about.
    let value = Arc::new(Published::new(0_u64));
    let seen = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(4));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (value, seen, done, start) = (
                Arc::clone(&value),
                Arc::clone(&seen),
                Arc::clone(&done),
                Arc::clone(&start),
            );
            thread::spawn(move || {
                start.wait();
                let mut reads = 0_u64;
                while !done.load(Ordering::SeqCst) {
                    let floor = seen.load(Ordering::SeqCst) as u64;
                    let now = *value.read();
                    assert!(now >= floor, "read {now} after {floor} was published");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    start.wait();
    for n in 1..=20_000_u64 {
        value.publish(n);
        seen.store(usize::try_from(n).expect("small"), Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        assert!(reader.join().expect("reader thread") > 0);
    }
    assert_eq!(*value.read(), 20_000);
}

// ---------------------------------------------------------------- Published::load

#[test]
fn published_load_keeps_a_value_across_publishes_good() {
    let names = Published::new(vec!["brain"]);
    let kept = names.load();
    names.publish(vec!["cache"]);
    assert_eq!((kept[0], names.load()[0]), ("brain", "cache"));
}

#[test]
fn published_load_before_any_publish_is_the_first_value_bad() {
    let names = Published::new("brain".to_owned());
    assert_eq!(*names.load(), "brain");
}

#[test]
fn published_load_outlives_the_published_ugly() {
    let drops = Arc::new(AtomicUsize::new(0));
    let published = Published::new(Tracked(Arc::clone(&drops)));
    let kept = published.load();
    drop(published);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(kept);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------- Published::publish

#[test]
fn published_publish_frees_the_replaced_value_after_the_next_read_good() {
    let drops = Arc::new(AtomicUsize::new(0));
    let published = Published::new(Tracked(Arc::clone(&drops)));
    drop(published.read()); // this thread now holds a copy of the first value
    published.publish(Tracked(Arc::clone(&drops)));
    drop(published.read()); // the copy is replaced: the first value is freed
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(published);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

/// A value whose `Drop` panics (a handler holding a guard that insists on a flush).
struct Unflushed(u32);

impl Drop for Unflushed {
    fn drop(&mut self) {
        assert!(self.0 != 1, "buffer of handler 1 dropped unflushed");
    }
}

#[test]
fn published_read_replacing_a_value_whose_drop_panics_still_reads_ugly() {
    let published = Published::new(Unflushed(1));
    drop(published.read()); // this thread holds a copy of the first value
    published.publish(Unflushed(2));
    // The read that frees the first value is not the one to pay for its panic.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| published.read().0));
    assert_eq!(read.expect("the drop's panic escaped the read"), 2);
}

#[test]
fn published_publish_unread_value_is_freed_at_once_bad() {
    let drops = Arc::new(AtomicUsize::new(0));
    let published = Published::new(Tracked(Arc::clone(&drops)));
    published.publish(Tracked(Arc::clone(&drops)));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "nobody read the first value"
    );
}

#[test]
fn published_publish_replaced_value_reading_on_drop_ugly() {
    // A replaced value whose drop reads the same Published again must not hit a borrow
    // conflict: the thread's copy is swapped out before the old value drops.
    struct ReadsOnDrop(Weak<Published<ReadsOnDrop>>, usize, Arc<AtomicUsize>);
    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            if let Some(published) = self.0.upgrade() {
                self.2.store(published.read().1, Ordering::SeqCst);
            }
        }
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let published = Arc::new(Published::new(ReadsOnDrop(
        Weak::new(),
        0,
        Arc::clone(&seen),
    )));
    for n in 1..=3 {
        published.publish(ReadsOnDrop(
            Arc::downgrade(&published),
            n,
            Arc::clone(&seen),
        ));
        assert_eq!(published.read().1, n);
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "the last replaced value read the newest"
    );
}

#[test]
fn published_read_from_a_thread_local_destructor_at_exit_ugly() {
    // A thread-local value made before the thread's first read, whose drop reads: it runs
    // after the per-thread slots are gone, and must still read (not panic and abort).
    static TABLES: std::sync::OnceLock<Published<u32>> = std::sync::OnceLock::new();
    static READ_AT_EXIT: AtomicUsize = AtomicUsize::new(0);
    struct ReadsOnExit;
    impl Drop for ReadsOnExit {
        fn drop(&mut self) {
            let value = *TABLES.get().expect("set before the thread").read();
            READ_AT_EXIT.store(usize::try_from(value).expect("small"), Ordering::SeqCst);
        }
    }
    thread_local! {
        static HOLDER: ReadsOnExit = const { ReadsOnExit };
    }
    let tables = TABLES.get_or_init(|| Published::new(7));
    thread::spawn(move || {
        HOLDER.with(|_| {}); // registered first, so dropped last
        assert_eq!(*tables.read(), 7);
        tables.publish(9);
    })
    .join()
    .expect("the thread exits cleanly");
    assert_eq!(READ_AT_EXIT.load(Ordering::SeqCst), 9);
}
