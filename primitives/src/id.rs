//! [`id`]: unique identifiers that sort by creation.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Returns a new identifier: 16 lower-case hex digits, unique within the process and
/// increasing with every call, so sorting ids as text sorts them by creation.
///
/// The sequence starts from the clock (microseconds since 1970, shifted left by 8 bits) when
/// the process makes its first id, so ids from a later run of a program sort after those of
/// an earlier run unless a run makes more than 256 ids per microsecond it lived.
///
/// ```
/// use corers_primitives::id;
/// let first = id();
/// let second = id();
/// assert_eq!(first.len(), 16);
/// assert!(first < second);
/// ```
pub fn id() -> String {
    static NEXT: OnceLock<AtomicU64> = OnceLock::new();
    let next = NEXT.get_or_init(|| {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX >> 8));
        AtomicU64::new(micros << 8)
    });
    // Relaxed: uniqueness and order come from the atomic read-modify-write itself; no other
    // memory is published through this counter.
    format!("{:016x}", next.fetch_add(1, Ordering::Relaxed))
}
