//! Integration tests for `ConfigVar`: the "explicitly set" flag, reset, and torn-free reads
//! across threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use corers_primitives::ConfigVar;

// ---------------------------------------------------------------- ConfigVar::new

#[test]
fn config_var_new_is_set_good() {
    let workers = ConfigVar::new(4);
    assert_eq!((workers.get(), workers.is_set()), (4, true));
}

#[test]
fn config_var_new_default_value_still_set_bad() {
    // Holding T::default() does not make a variable unset.
    let retries = ConfigVar::new(0_u32);
    assert!(retries.is_set());
}

#[test]
fn config_var_new_unicode_string_ugly() {
    let host = ConfigVar::new("ホームラボ\u{0}\n".to_owned());
    assert_eq!(host.get(), "ホームラボ\u{0}\n");
}

#[test]
fn config_var_default_is_unset_with_default_value_good() {
    let port: ConfigVar<u16> = ConfigVar::default();
    assert_eq!((port.get(), port.is_set()), (0, false));
}

// ---------------------------------------------------------------- ConfigVar::set

#[test]
fn config_var_set_stores_and_marks_good() {
    let host: ConfigVar<String> = ConfigVar::default();
    host.set("homelab".to_owned());
    assert_eq!((host.get(), host.is_set()), ("homelab".to_owned(), true));
}

#[test]
fn config_var_set_default_value_marks_set_bad() {
    let port: ConfigVar<u16> = ConfigVar::default();
    port.set(0);
    assert!(port.is_set());
}

#[test]
fn config_var_set_from_threads_never_torn_ugly() {
    let pair: Arc<ConfigVar<(u64, u64)>> = Arc::new(ConfigVar::default());
    // Readers and writers start together, so the reads overlap the writes.
    let started = Arc::new(std::sync::Barrier::new(6));
    let writers: Vec<_> = (1..=4_u64)
        .map(|w| {
            let (pair, started) = (Arc::clone(&pair), Arc::clone(&started));
            thread::spawn(move || {
                started.wait();
                for n in 0..5_000_u64 {
                    let v = w * 1_000_000 + n;
                    pair.set((v, v));
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (pair, started) = (Arc::clone(&pair), Arc::clone(&started));
            thread::spawn(move || {
                started.wait();
                for _ in 0..20_000 {
                    let (a, b) = pair.get();
                    assert_eq!(a, b, "torn read");
                }
            })
        })
        .collect();
    for handle in writers.into_iter().chain(readers) {
        handle.join().unwrap();
    }
    // The last value is one a writer stored whole.
    let (a, b) = pair.get();
    assert_eq!(a, b);
    assert!(pair.is_set());
    assert!(a >= 1_000_000 && a % 1_000_000 < 5_000, "{a}");
}

// ---------------------------------------------------------------- ConfigVar::get

#[test]
fn config_var_get_latest_good() {
    let timeout = ConfigVar::new(30);
    timeout.set(60);
    assert_eq!(timeout.get(), 60);
}

#[test]
fn config_var_get_unset_returns_default_bad() {
    let host: ConfigVar<String> = ConfigVar::default();
    assert_eq!(host.get(), "");
}

#[test]
fn config_var_get_returns_independent_clone_ugly() {
    let hosts = ConfigVar::new(vec!["homelab".to_owned()]);
    let mut copy = hosts.get();
    copy.push("studio".to_owned());
    assert_eq!(hosts.get(), ["homelab"]);
}

// ---------------------------------------------------------------- ConfigVar::is_set

#[test]
fn config_var_is_set_after_set_good() {
    let debug: ConfigVar<bool> = ConfigVar::default();
    debug.set(false);
    assert!(debug.is_set());
}

#[test]
fn config_var_is_set_default_false_bad() {
    assert!(!ConfigVar::<bool>::default().is_set());
}

#[test]
fn config_var_is_set_toggles_through_unset_ugly() {
    let debug = ConfigVar::new(true);
    let mut flags = vec![debug.is_set()];
    debug.unset();
    flags.push(debug.is_set());
    debug.set(true);
    flags.push(debug.is_set());
    assert_eq!(flags, [true, false, true]);
}

// ---------------------------------------------------------------- ConfigVar::unset

#[test]
fn config_var_unset_resets_good() {
    let retries = ConfigVar::new(5);
    retries.unset();
    assert_eq!((retries.get(), retries.is_set()), (0, false));
}

#[test]
fn config_var_unset_never_set_stays_unset_bad() {
    let host: ConfigVar<String> = ConfigVar::default();
    host.unset();
    assert_eq!((host.get(), host.is_set()), (String::new(), false));
}

/// Reads value and flag in one load through `Debug`, the only public view of both at once.
#[test]
fn config_var_state_reads_value_and_flag_good() {
    let port = ConfigVar::new(8080_u16);
    assert_eq!(port.state(), (8080, true));
}

#[test]
fn config_var_state_unset_reports_default_and_false_bad() {
    let host: ConfigVar<String> = ConfigVar::default();
    assert_eq!(host.state(), (String::new(), false));
}

#[test]
fn config_var_state_unset_racing_set_never_mismatched_ugly() {
    // Writers alternate set((n, n)) and unset(); a reader must only ever see (0, 0) unset or
    // (n, n) set with n > 0: never a value without its matching flag.
    let pair: Arc<ConfigVar<(u64, u64)>> = Arc::new(ConfigVar::new((1, 1)));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let pair = Arc::clone(&pair);
            thread::spawn(move || {
                for n in 1..=5_000_u64 {
                    if w == 0 {
                        pair.set((n, n));
                    } else {
                        pair.unset();
                    }
                }
            })
        })
        .collect();
    let reader = {
        let (pair, stop) = (Arc::clone(&pair), Arc::clone(&stop));
        thread::spawn(move || {
            let mut reads = 0_u32;
            while !stop.load(Ordering::Relaxed) || reads == 0 {
                let ((a, b), set) = pair.state();
                let consistent = if set {
                    a == b && a > 0
                } else {
                    (a, b) == (0, 0)
                };
                assert!(consistent, "value without its flag: ({a}, {b}) set={set}");
                reads += 1;
            }
        })
    };
    for handle in writers {
        handle.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
}

#[test]
fn config_var_unset_then_set_again_marks_set_ugly() {
    let retries = ConfigVar::new(5_u32);
    retries.unset();
    retries.unset();
    assert_eq!(retries.state(), (0, false));
    retries.set(0);
    assert_eq!(retries.state(), (0, true));
}
