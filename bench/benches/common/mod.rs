//! Helpers shared by the bench files.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `read` `iters` times on each of 2 reader threads while a writer calls `write` (with
/// a running count) every `pause`; returns the wall time of the readers, which is the time
/// per read of one reader when the writer costs the readers nothing.
pub(crate) fn contended(
    iters: u64,
    pause: Duration,
    read: &(dyn Fn() + Sync),
    write: &(dyn Fn(u64) + Sync),
) -> Duration {
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                write(n);
                n += 1;
                thread::sleep(pause);
            }
        });
        let start = Instant::now();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..iters {
                        read();
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.join().expect("reader threads do not panic");
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}
