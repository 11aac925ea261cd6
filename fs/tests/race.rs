//! Check-and-use races: while a thread keeps swapping a directory inside the root for a
//! symlink to a directory outside (and back), other threads read, list, write, append and
//! delete through it for a second and a half — and nothing outside is ever read, created,
//! changed or deleted.

mod common;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use corers_fs::{Fs, WriteOptions};

use common::{SECRET_MARK, Sandbox};

const RUN_FOR: Duration = Duration::from_millis(1500);

/// Swaps `root/swap` between a real directory and a symlink to the outside directory
/// until `stop`, alternating absolute and relative symlinks, counting each in `swaps`.
fn swapper(root: &Path, outside: &Path, stop: &AtomicBool, swaps: &AtomicU64) {
    let swap = root.join("swap");
    let parked_dir = root.join("parked-dir");
    let parked_links = [root.join("parked-abs"), root.join("parked-rel")];
    std::os::unix::fs::symlink(outside, &parked_links[0]).unwrap();
    std::os::unix::fs::symlink("../outside", &parked_links[1]).unwrap();
    let mut made = 0_u64;
    // Relaxed: a stop flag and a counter; nothing else is published through them.
    while !stop.load(Ordering::Relaxed) {
        let link = &parked_links[usize::from(made % 2 == 1)];
        // The real directory out, a symlink to outside in.
        if fs::rename(&swap, &parked_dir).is_err() {
            thread::yield_now();
            continue;
        }
        force_rename(link, &swap);
        thread::yield_now();
        // The symlink out, the real directory back.
        if fs::rename(&swap, link).is_err() {
            let _ = fs::remove_dir_all(&swap);
        }
        force_rename(&parked_dir, &swap);
        thread::yield_now();
        made += 1;
        swaps.store(made, Ordering::Relaxed);
    }
}

/// Renames `from` over `to`, clearing away a directory a writer may have made at `to`
/// meanwhile (never following a symlink: `remove_dir_all` removes a link itself).
fn force_rename(from: &Path, to: &Path) {
    for _ in 0..100 {
        if fs::rename(from, to).is_ok() {
            return;
        }
        let _ = fs::remove_dir_all(to);
    }
}

/// What one operation of a worker came to.
enum Outcome {
    /// It succeeded, beneath the root.
    Inside,
    /// It was refused (or failed: the directory was missing for a moment).
    Refused,
    /// It reached outside: what it saw or did.
    Escaped(String),
}

impl<T> From<corers_primitives::Result<T>> for Outcome {
    fn from(result: corers_primitives::Result<T>) -> Outcome {
        if result.is_ok() {
            Outcome::Inside
        } else {
            Outcome::Refused
        }
    }
}

/// Runs `work` on `threads` threads while the swapper runs, for [`RUN_FOR`] or longer; returns
/// the escapes the workers reported. Fails unless the race really ran: operations both
/// succeeded (a real directory) and were refused (a symlink out) while swaps went on.
fn race(
    sandbox: &Sandbox,
    threads: usize,
    work: impl Fn(&Fs, usize, usize) -> Outcome + Send + Sync + 'static,
) -> Vec<String> {
    sandbox.file("swap/file.txt", "inside");
    let stop = Arc::new(AtomicBool::new(false));
    let violations = Arc::new(Mutex::new(Vec::new()));
    let inside = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let work = Arc::new(work);
    let swaps = Arc::new(AtomicU64::new(0));
    let swapping = {
        let (root, outside) = (sandbox.root(), sandbox.outside());
        let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
        thread::spawn(move || swapper(&root, &outside, &stop, &swaps))
    };
    let workers: Vec<_> = (0..threads)
        .map(|worker| {
            let fs = sandbox.fs.clone();
            let (stop, violations) = (Arc::clone(&stop), Arc::clone(&violations));
            let (inside, refused) = (Arc::clone(&inside), Arc::clone(&refused));
            let work = Arc::clone(&work);
            thread::spawn(move || {
                let mut n = 0;
                // Relaxed: a stop flag and counters, read after join.
                while !stop.load(Ordering::Relaxed) {
                    match work(&fs, worker, n) {
                        Outcome::Inside => inside.fetch_add(1, Ordering::Relaxed),
                        Outcome::Refused => refused.fetch_add(1, Ordering::Relaxed),
                        Outcome::Escaped(what) => {
                            violations.lock().unwrap().push(what);
                            0
                        }
                    };
                    n += 1;
                }
            })
        })
        .collect();
    // At least RUN_FOR, and on a loaded machine until both outcomes were seen often
    // enough (within a generous cap).
    let started = Instant::now();
    // (The swapper, yielding at each step, is the slowest to get going on a loaded machine.)
    let enough = || {
        inside.load(Ordering::Relaxed) > 20
            && refused.load(Ordering::Relaxed) > 20
            && swaps.load(Ordering::Relaxed) > 20
    };
    while started.elapsed() < RUN_FOR || (!enough() && started.elapsed() < Duration::from_secs(30))
    {
        thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    swapping.join().unwrap();
    let swaps = swaps.load(Ordering::Relaxed);
    let (inside, refused) = (
        inside.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    assert!(
        inside > 20 && refused > 20 && swaps > 20,
        "the race hardly ran: {inside} operations inside, {refused} refused, {swaps} swaps"
    );
    violations.lock().unwrap().clone()
}

fn secret(bytes: &[u8]) -> bool {
    bytes.windows(SECRET_MARK.len()).any(|w| w == SECRET_MARK)
}

#[test]
fn fs_read_while_dir_swapped_for_symlink_never_reads_outside_ugly() {
    let sandbox = Sandbox::new();
    let violations = race(&sandbox, 3, |fs, worker, n| match (worker + n) % 4 {
        0 => match fs.read("swap/file.txt") {
            Ok(bytes) if secret(&bytes) => Outcome::Escaped("read swap/file.txt".to_owned()),
            result => result.into(),
        },
        1 => match fs.read("swap/dir/nested.txt") {
            Ok(_) => Outcome::Escaped("read swap/dir/nested.txt".to_owned()),
            Err(_) => Outcome::Refused,
        },
        2 => match fs.list("swap") {
            Ok(entries) if entries.iter().any(|e| e.name == "only-outside.txt") => {
                Outcome::Escaped(format!("listed {entries:?}"))
            }
            result => result.into(),
        },
        _ => match (
            fs.exists("swap/only-outside.txt"),
            fs.stat("swap/only-outside.txt"),
        ) {
            (false, Err(_)) => Outcome::Refused,
            (exists, stat) => Outcome::Escaped(format!("exists {exists}, stat {stat:?}")),
        },
    });
    assert_eq!(violations, Vec::<String>::new());
}

#[test]
fn fs_write_while_dir_swapped_for_symlink_never_touches_outside_ugly() {
    let sandbox = Sandbox::new();
    let violations = race(&sandbox, 3, |fs, worker, n| match (worker + n) % 5 {
        0 => fs.write("swap/file.txt", b"inside").into(),
        1 => fs
            .write_with(
                &format!("swap/new-{worker}-{n}.txt"),
                b"inside",
                WriteOptions::fast(),
            )
            .into(),
        2 => fs.append("swap/secret.txt", b"appended").into(),
        3 => fs.delete("swap/secret.txt").into(),
        _ => fs.delete_all("swap/dir").into(),
    });
    assert_eq!(violations, Vec::<String>::new());
    sandbox.assert_outside_untouched();
}
