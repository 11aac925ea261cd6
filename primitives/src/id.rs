//! [`id`]: unique identifiers that sort by creation.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Returns a new identifier: 32 lower-case hex digits, unique across processes and
/// increasing with every call in a process, so sorting ids as text sorts them by creation.
///
/// An id is the millisecond the process made its first id (12 digits), a random number
/// drawn then (8 digits), and a count (12 digits). Ids of a program run started in a later
/// millisecond sort after those of an earlier run; two processes started in the same
/// millisecond differ by their random part; a process forked after it made ids starts a
/// sequence of its own.
///
/// ```
/// use corers_primitives::id;
/// let first = id();
/// let second = id();
/// assert_eq!(first.len(), 32);
/// assert!(first < second);
/// ```
pub fn id() -> String {
    /// The process the sequence belongs to, its first 80 bits (time and random), and the
    /// next count.
    static SEQUENCE: Mutex<Option<(u32, u128, u64)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut sequence = SEQUENCE.lock().unwrap_or_else(PoisonError::into_inner);
    let (_, prefix, count) = match &mut *sequence {
        Some(current) if current.0 == pid => current,
        // The first id, or the first in a forked child, whose parent's sequence it holds.
        other => other.insert((pid, prefix(pid), 0)),
    };
    let made = *prefix | u128::from(*count & COUNT_MASK);
    *count += 1;
    format!("{made:032x}")
}

/// The 48 bits of the count.
const COUNT_MASK: u64 = (1 << 48) - 1;

/// Milliseconds since 1970 (48 bits) and 32 random bits, above a 48-bit count.
fn prefix(pid: u32) -> u128 {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        & COUNT_MASK;
    // RandomState is keyed from the OS's randomness once per thread, and differs per call.
    let random = RandomState::new().hash_one((pid, millis)) & u64::from(u32::MAX);
    (u128::from(millis) << 80) | (u128::from(random) << 48)
}
