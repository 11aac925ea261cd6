//! The bus under real threads: broadcasts from several threads while another thread keeps
//! registering and removing handlers. No panic; handlers registered throughout get exactly
//! one call per broadcast, in registration order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use corers_messaging::{Bus, Query};

const SENDERS: usize = 4;
const BROADCASTS_PER_SENDER: usize = 2_000;

struct WorkspaceCreated {
    name: &'static str,
}

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

/// Runs `SENDERS` threads of `send` while one thread churns handlers with `churn` until they
/// finish; returns how many churn rounds ran.
fn race(send: impl Fn() + Sync, churn: impl Fn() + Sync) -> usize {
    /// Stops the churn thread however the senders end (a failed assertion included), so a
    /// failure is reported instead of hanging the scope.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    let done = AtomicBool::new(false);
    let rounds = AtomicUsize::new(0);
    let churning = std::sync::Barrier::new(SENDERS + 1);
    thread::scope(|scope| {
        let stop = Stop(&done);
        // The senders start after the churn thread's first round, so the two always meet.
        let (churning, churn, send, done, rounds) = (&churning, &churn, &send, &done, &rounds);
        scope.spawn(move || {
            let mut first = true;
            // Relaxed: only a stop signal; the scope join orders everything else.
            while first || !done.load(Ordering::Relaxed) {
                churn();
                rounds.fetch_add(1, Ordering::Relaxed);
                if first {
                    churning.wait();
                    first = false;
                }
            }
        });
        let senders: Vec<_> = (0..SENDERS)
            .map(|_| {
                scope.spawn(move || {
                    churning.wait();
                    for _ in 0..BROADCASTS_PER_SENDER {
                        send();
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        drop(stop);
    });
    rounds.into_inner()
}

#[test]
fn bus_broadcast_concurrent_with_registration_loses_no_call_ugly() {
    let bus: Bus<()> = Bus::new();
    let first = Arc::new(AtomicUsize::new(0));
    let second = Arc::new(AtomicUsize::new(0));
    let (count, after) = (Arc::clone(&first), Arc::clone(&second));
    bus.on(move |_, created: &WorkspaceCreated| {
        assert_eq!(created.name, "alpha");
        count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    // The second stable handler was registered after the first, so it always runs after it
    // in the same dispatch: per thread, its count can never get ahead.
    bus.on(move |_, _: &WorkspaceCreated| {
        after.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });

    let churned = race(
        || {
            let report = bus
                .broadcast(&(), &WorkspaceCreated { name: "alpha" })
                .unwrap();
            assert!(report.is_ok());
            assert!(report.handled() >= 2, "{report:?}");
        },
        || {
            let id = bus.on(|_, _: &WorkspaceCreated| Ok(()));
            assert!(bus.remove(id));
        },
    );

    assert!(churned > 0);
    let total = SENDERS * BROADCASTS_PER_SENDER;
    assert_eq!(first.load(Ordering::Relaxed), total);
    assert_eq!(second.load(Ordering::Relaxed), total);
}

#[test]
fn bus_remove_concurrent_with_queries_never_loses_the_stable_answer_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, _: &WorkspaceCount| Some(Ok(3)));

    let churned = race(
        || {
            // Every other handler is added after the stable one: it always answers first.
            assert_eq!(bus.query(&(), &WorkspaceCount).answer(), Some(3));
            assert_eq!(
                bus.query_all(&(), &WorkspaceCount).unwrap()[0]
                    .as_ref()
                    .unwrap(),
                &3
            );
        },
        || {
            let declining = bus.on_query(|_, _: &WorkspaceCount| None);
            let answering = bus.on_query(|_, _: &WorkspaceCount| Some(Ok(99)));
            assert!(bus.remove(declining));
            assert!(bus.remove(answering));
        },
    );

    assert!(churned > 0);
    assert_eq!(bus.query_all(&(), &WorkspaceCount).unwrap().len(), 1);
}

#[test]
fn bus_on_concurrent_registrations_all_take_effect_ugly() {
    let bus: Bus<()> = Bus::new();
    let calls = Arc::new(AtomicUsize::new(0));
    thread::scope(|scope| {
        for _ in 0..SENDERS {
            scope.spawn(|| {
                for _ in 0..250 {
                    let count = Arc::clone(&calls);
                    bus.on(move |_, _: &WorkspaceCreated| {
                        count.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    });
                }
            });
        }
    });
    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(report.handled(), SENDERS * 250);
    assert_eq!(calls.load(Ordering::Relaxed), SENDERS * 250);
}
