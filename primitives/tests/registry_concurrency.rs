//! Registry under real threads: readers never see a torn state, writers never lose a write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use corers_primitives::Registry;

const WRITERS: usize = 4;
const WRITES_PER_WRITER: usize = 500;
const READERS: usize = 3;

#[test]
fn registry_concurrent_writers_lose_no_write_good() {
    let registry = Arc::new(Registry::new("services"));
    thread::scope(|scope| {
        for w in 0..WRITERS {
            let registry = &registry;
            scope.spawn(move || {
                for i in 0..WRITES_PER_WRITER {
                    registry
                        .set(&format!("writer-{w}/entry-{i}"), (w, i))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(registry.len(), WRITERS * WRITES_PER_WRITER);
    for w in 0..WRITERS {
        for i in 0..WRITES_PER_WRITER {
            assert_eq!(
                registry.get(&format!("writer-{w}/entry-{i}")).as_deref(),
                Some(&(w, i))
            );
        }
        // Each writer's own entries keep its insertion order.
        let mine: Vec<String> = registry
            .names()
            .into_iter()
            .filter(|n| n.starts_with(&format!("writer-{w}/")))
            .collect();
        let expected: Vec<String> = (0..WRITES_PER_WRITER)
            .map(|i| format!("writer-{w}/entry-{i}"))
            .collect();
        assert_eq!(mine, expected);
    }
}

#[test]
fn registry_readers_never_see_a_torn_multi_key_write_ugly() {
    // The writer stores "left" and "right" together with set_many, always equal, while
    // another writer adds unrelated names. Readers check every snapshot they take.
    let registry = Arc::new(Registry::new("pairs"));
    registry
        .set_many([("left", 0u64), ("right", 0u64)])
        .unwrap();
    let done = AtomicBool::new(false);
    let torn = thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut checks = 0u64;
                    let mut torn = 0u64;
                    while !done.load(Ordering::Acquire) || checks < 1000 {
                        let snapshot = registry.snapshot();
                        let left = snapshot.get("left").unwrap();
                        let right = snapshot.get("right").unwrap();
                        if left != right {
                            torn += 1;
                        }
                        // Names and length agree within one snapshot.
                        if snapshot.names().len() != snapshot.len() {
                            torn += 1;
                        }
                        checks += 1;
                    }
                    torn
                })
            })
            .collect();
        scope.spawn(|| {
            for n in 0..2_000 {
                registry.set(&format!("extra-{n}"), n).unwrap();
            }
        });
        for n in 1..=5_000u64 {
            registry.set_many([("left", n), ("right", n)]).unwrap();
        }
        done.store(true, Ordering::Release);
        readers.into_iter().map(|r| r.join().unwrap()).sum::<u64>()
    });
    assert_eq!(torn, 0, "readers saw {torn} torn snapshots");
    assert_eq!(registry.get("left").as_deref(), Some(&5_000));
    assert_eq!(registry.len(), 2 + 2_000);
}

#[test]
fn registry_reads_during_writes_see_only_published_values_bad() {
    // A reader must never observe a value that was never written (e.g. a half-built entry):
    // every value read is one that some writer stored.
    let registry = Arc::new(Registry::new("counter"));
    registry.set("count", 0u64).unwrap();
    let done = AtomicBool::new(false);
    // The writes start once the reader reads, and the reader reads at least once.
    let started = std::sync::Barrier::new(2);
    thread::scope(|scope| {
        let reader = scope.spawn(|| {
            started.wait();
            let (mut last, mut reads) = (0, 0_u64);
            while reads == 0 || !done.load(Ordering::Acquire) {
                let now = *registry.get("count").unwrap();
                assert!(now >= last, "count went backwards: {last} -> {now}");
                assert!(now <= 10_000, "count {now} was never written");
                last = now;
                reads += 1;
            }
        });
        started.wait();
        for n in 1..=10_000u64 {
            registry.set("count", n).unwrap();
        }
        done.store(true, Ordering::Release);
        reader.join().unwrap();
    });
}
