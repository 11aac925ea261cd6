//! [`default_logger`] before any Core exists: the fallback logger. Nothing in this file
//! calls `make_default`, so every test sees the fallback (tests that change it take
//! [`serial`] and put it back).

use std::sync::{Mutex, MutexGuard, PoisonError};

use corers_log::{Level, default_logger};

/// Serialises the tests that read or change the shared fallback's level.
fn serial() -> MutexGuard<'static, ()> {
    static FALLBACK: Mutex<()> = Mutex::new(());
    FALLBACK.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn default_logger_before_any_core_is_info_on_stderr_good() {
    let _serial = serial();
    assert_eq!(
        format!("{:?}", default_logger()),
        "Logger { filter: info, output: Stderr, .. }"
    );
}

#[test]
fn default_logger_fallback_filters_debug_bad() {
    let _serial = serial();
    let log = default_logger();
    assert!(!log.enabled(Level::Debug) && log.crash().reports(1).unwrap().is_empty());
}

#[test]
fn default_logger_fallback_is_one_shared_logger_ugly() {
    let _serial = serial();
    default_logger().set_level(Level::Quiet);
    let seen = default_logger().level();
    default_logger().set_level(Level::Info);
    assert_eq!(seen, Level::Quiet);
}

#[test]
fn default_logger_from_many_threads_before_any_core_ugly() {
    let _serial = serial();
    let levels: Vec<Level> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| default_logger().level()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(levels, [Level::Info; 8]);
}
