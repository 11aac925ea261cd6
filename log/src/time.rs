//! UTC timestamps in RFC 3339 form, without a date-time dependency.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `at` as `2026-11-26T14:23:29.123Z` (UTC, milliseconds) to `out`; times before
/// 1970 are written as the epoch. Digits are written by hand: this runs for every log
/// line, and the formatting machinery cost more than the rest of the line's layout.
pub(crate) fn write_rfc3339(out: &mut String, at: SystemTime) {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    if year > 9999 {
        // Past what four digits hold: the slow path, still well-formed.
        let _ = write!(
            out,
            "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60,
            since.subsec_millis()
        );
        return;
    }
    let mut text = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for i in (at..at + width).rev() {
            // `value % 10` is one digit.
            text[i] = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, rem / 3600);
    put(14, 2, (rem % 3600) / 60);
    put(17, 2, rem % 60);
    put(20, 3, u64::from(since.subsec_millis()));
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// `at` as `20261126T142329`, for rotated file names that sort by time.
pub(crate) fn compact(at: SystemTime) -> String {
    let mut full = String::with_capacity(24);
    write_rfc3339(&mut full, at);
    full.chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect()
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64, millis: u64) -> String {
        let mut out = String::new();
        write_rfc3339(
            &mut out,
            UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis),
        );
        out
    }

    #[test]
    fn write_rfc3339_known_dates_good() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(1_795_702_409, 123), "2026-11-26T14:13:29.123Z");
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00.000Z");
    }

    /// What `write_rfc3339` writes, by the formatting machinery.
    fn reference(secs: u64, millis: u32) -> String {
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }

    proptest::proptest! {
        #[test]
        fn write_rfc3339_matches_the_formatted_form_good(
            // Up to the end of year 9999.
            secs in 0u64..253_402_300_800,
            millis in 0u32..1000,
        ) {
            proptest::prop_assert_eq!(at(secs, u64::from(millis)), reference(secs, millis));
        }
    }

    #[test]
    fn write_rfc3339_past_year_9999_is_still_well_formed_ugly() {
        assert_eq!(at(253_402_300_800, 5), "10000-01-01T00:00:00.005Z");
    }

    #[test]
    fn compact_sorts_by_time_good() {
        let early = compact(UNIX_EPOCH + Duration::from_secs(1_795_702_409));
        let late = compact(UNIX_EPOCH + Duration::from_secs(1_795_702_410));
        assert_eq!(early, "20261126T141329");
        assert!(early < late);
    }
}
