//! [`Schedule`]: the times a scheduled Task runs, from its cron expression.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};
use corers_primitives::{Error, ErrorCode, Result};

const OP: &str = "messaging.Scheduler.parse";

/// A parsed cron expression, read in UTC unless it begins with a time zone:
/// `CRON_TZ=Local 0 3 * * *` (also `TZ=`, as robfig/cron and Kubernetes read it) runs at
/// 03:00 on the machine's clock (its `TZ`, or `/etc/localtime`), `CRON_TZ=+05:30 …` at a
/// fixed offset, `CRON_TZ=UTC …` in UTC. Named zones (`Europe/Berlin`) are refused: set
/// `TZ` to one and use `Local` (refused when `TZ` names a zone whose file is not installed:
/// the clock would be UTC). On the local clock, a time that a daylight-saving change
/// skips does not run that day, and a time it passes twice runs once.
///
/// Five fields (`min hour day month weekday`) read as crontab reads them: weekdays `0`–`7`
/// with `0` and `7` for Sunday, or `sun`…`sat`; and when both the day of the month and
/// the weekday are restricted (neither begins with `*`), a day that matches either one
/// runs (`0 9 1 * mon` runs on the 1st and on every Monday). Six or seven fields add the
/// seconds first and an optional year last, and read the others the same way: `1-5` is
/// Monday to Friday in `0 9 * * 1-5` and in `0 0 9 * * 1-5` alike (the `cron` crate's own
/// numbering, from Sunday = 1, never reaches the expression).
pub(crate) struct Schedule {
    crons: Vec<cron::Schedule>,
    zone: Zone,
}

/// The clock a schedule's fields are read on.
#[derive(Clone, Copy)]
enum Zone {
    Utc,
    Local,
    Fixed(FixedOffset),
}

impl Schedule {
    /// Parses `expression`.
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] naming what is wrong with it.
    pub(crate) fn parse(expression: &str) -> Result<Schedule> {
        let (zone, fields) = zoned(expression)?;
        Ok(Schedule {
            crons: crons(expression, fields)?,
            zone,
        })
    }

    /// The first tick after `time`, if any is left.
    pub(crate) fn next_after(&self, time: &DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.zone {
            Zone::Utc => self.next_in(time, &Utc),
            Zone::Local => self.next_in(time, &Local),
            Zone::Fixed(offset) => self.next_in(time, &offset),
        }
    }

    /// The first tick after `time` with the fields read on `zone`'s clock. A local time
    /// passed twice (a daylight-saving change) may be offered at both passes, the first
    /// one behind `time`: only one still ahead counts.
    fn next_in<Z: TimeZone>(&self, time: &DateTime<Utc>, zone: &Z) -> Option<DateTime<Utc>> {
        let local = time.with_timezone(zone);
        self.crons
            .iter()
            .filter_map(|cron| cron.after(&local).find(|tick| *tick > local))
            .map(|tick| tick.with_timezone(&Utc))
            .min()
    }
}

/// The zone an expression names (`CRON_TZ=Local 0 3 * * *`), and the fields after it.
fn zoned(expression: &str) -> Result<(Zone, &str)> {
    let trimmed = expression.trim_start();
    let Some(named) = trimmed
        .strip_prefix("CRON_TZ=")
        .or_else(|| trimmed.strip_prefix("TZ="))
    else {
        return Ok((Zone::Utc, expression));
    };
    let (name, fields) = named.split_once(char::is_whitespace).unwrap_or((named, ""));
    // Exactly `+HH:MM` or `-HH:MM` (chrono's parser would let trailing text through).
    let offset = name
        .parse::<FixedOffset>()
        .ok()
        .filter(|offset| offset.to_string() == name);
    let zone = match (name, offset) {
        ("UTC" | "Etc/UTC", _) => Zone::Utc,
        ("Local", _) => {
            #[cfg(unix)]
            if let Some(why) = zone_not_installed(std::env::var_os("TZ").as_deref(), &ZONEINFO) {
                return Err(invalid(expression, &why));
            }
            Zone::Local
        }
        (_, Some(offset)) => Zone::Fixed(offset),
        _ => {
            return Err(invalid(
                expression,
                &format!(
                    "time zone {name:?} is not one this reads: use UTC, Local (the TZ the process runs under) or an offset such as +01:00"
                ),
            ));
        }
    };
    Ok((zone, fields))
}

/// Where chrono looks for a zone's file, in its order (it reads no `TZDIR`).
#[cfg(unix)]
const ZONEINFO: [&str; 4] = [
    "/usr/share/zoneinfo",
    "/share/zoneinfo",
    "/etc/zoneinfo",
    "/usr/share/lib/zoneinfo",
];

/// Why `Local` would not be the zone `tz` (the process's `TZ`) names, if it would not: a
/// named zone (`Europe/Berlin`) whose file is in none of `dirs` makes the local clock UTC
/// without a word — a 03:00 job an hour or two off, every day, in an image without
/// tzdata. A POSIX rule (`CET-1CEST,M3.5.0,M10.5.0/3`) needs no file, nor does UTC.
#[cfg(unix)]
fn zone_not_installed(tz: Option<&std::ffi::OsStr>, dirs: &[&str]) -> Option<String> {
    let tz = tz?.to_str()?;
    let name = tz.strip_prefix(':').unwrap_or(tz);
    // (`EST5EDT`, `<+0330>-3:30`, `CET-1CEST,M3.5.0,M10.5.0/3`; a zone's file name has
    // no comma, and digits only after a slash: `Etc/GMT+1`.)
    let rule = name.contains(',')
        || name.starts_with('<')
        || (!name.contains('/') && name.bytes().any(|b| b.is_ascii_digit()));
    let utc = matches!(
        name.strip_prefix("Etc/").unwrap_or(name),
        "UTC" | "UCT" | "GMT" | "Zulu" | "Universal"
    );
    if name.is_empty() || rule || utc {
        return None;
    }
    let installed = if name.starts_with('/') {
        std::path::Path::new(name).is_file()
    } else {
        dirs.iter()
            .any(|dir| std::path::Path::new(dir).join(name).is_file())
    };
    (!installed).then(|| {
        format!(
            "Local is the zone TZ names, {name:?}, but its file is not installed (in {}): the local clock would be UTC (install tzdata, or write an offset such as CRON_TZ=+01:00)",
            if name.starts_with('/') { name.to_owned() } else { dirs.join(", ") }
        )
    })
}

/// The `cron` crate's schedules for `fields` (of `expression`, for errors).
fn crons(expression: &str, fields: &str) -> Result<Vec<cron::Schedule>> {
    let fields: Vec<&str> = fields.split_whitespace().collect();
    // Seconds first and a year last, when given.
    let (second, [minute, hour, day, month, weekday], year) = match fields[..] {
        [minute, hour, day, month, weekday] => {
            ("0", [minute, hour, day, month, weekday], String::new())
        }
        [second, minute, hour, day, month, weekday] => {
            (second, [minute, hour, day, month, weekday], String::new())
        }
        [second, minute, hour, day, month, weekday, year] => (
            second,
            [minute, hour, day, month, weekday],
            format!(" {year}"),
        ),
        // The crate's own complaint about the count.
        _ => return Ok(vec![cron_schedule(expression, &fields.join(" "))?]),
    };
    let weekdays = crontab_weekdays(expression, weekday)?;
    let restricted = |field: &str| !field.starts_with('*') && field != "?";
    let full = |day: &str, weekdays: &str| {
        cron_schedule(
            expression,
            &format!("{second} {minute} {hour} {day} {month} {weekdays}{year}"),
        )
    };
    Ok(if restricted(day) && restricted(weekday) {
        // Either matches: one schedule for each, the earlier tick wins.
        vec![full(day, "*")?, full("*", &weekdays)?]
    } else {
        vec![full(day, &weekdays)?]
    })
}

/// Parses `full` (the `cron` crate's form of `expression`), with the crate's complaint
/// worded in the house style.
fn cron_schedule(expression: &str, full: &str) -> Result<cron::Schedule> {
    cron::Schedule::from_str(full).map_err(|e| {
        // The parser's text repeats the expression over several lines; its last line says
        // what is wrong. Keep that (lower-case start, no full stop).
        let text = e.to_string();
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        let last = last.trim().trim_end_matches('.');
        let mut chars = last.chars();
        let reason: String = chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default();
        invalid(expression, &reason)
    })
}

/// A crontab weekday field (`1-5`, `sat,sun`, `*/2`, `0`, `7`) as the `cron` crate's list
/// of weekdays numbered from Sunday = 1.
fn crontab_weekdays(expression: &str, field: &str) -> Result<String> {
    if field == "*" || field == "?" {
        return Ok(field.to_owned());
    }
    let mut days = BTreeSet::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => match step.parse::<u8>() {
                Ok(step) if step > 0 => (range, step),
                _ => {
                    return Err(invalid(
                        expression,
                        &format!("weekday step in {item:?} must be a number from 1"),
                    ));
                }
            },
            None => (item, 1),
        };
        let (first, last) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((first, last)) => (weekday(expression, first)?, weekday(expression, last)?),
            // `5/2` runs from Friday to the end of the week.
            None if item.contains('/') => (weekday(expression, range)?, 6),
            None => {
                let day = weekday(expression, range)?;
                (day, day)
            }
        };
        // `5-7` is Friday to Sunday: 7 is Sunday at the end of the week.
        let last = if last == 0 && first > 0 { 7 } else { last };
        if first > last {
            return Err(invalid(
                expression,
                &format!("weekday range {item:?} runs backwards"),
            ));
        }
        for day in (first..=last).step_by(usize::from(step)) {
            days.insert(day % 7 + 1);
        }
    }
    Ok(days.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
}

/// A crontab weekday: `0`–`7` (both ends Sunday) or a name (`mon`, `Monday`).
fn weekday(expression: &str, text: &str) -> Result<u8> {
    const NAMES: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    if let Ok(day) = text.parse::<u8>() {
        if day <= 7 {
            return Ok(day);
        }
    } else {
        // Three letters at least: `mon`, `mond`, `monday`.
        let lower = text.to_ascii_lowercase();
        let named = NAMES
            .iter()
            .position(|name| lower.len() >= 3 && name.starts_with(&lower));
        if let Some(day) = named {
            return Ok(u8::try_from(day).unwrap_or(0));
        }
    }
    Err(invalid(
        expression,
        &format!("{text:?} is not a weekday (0-7, sun-sat)"),
    ))
}

fn invalid(expression: &str, reason: &str) -> Error {
    Error::new(
        OP,
        format!("invalid cron expression {expression:?}: {reason}"),
    )
    .with_code(ErrorCode::INVALID)
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Weekday};

    use super::*;

    /// A zoneinfo directory holding only `Europe/Berlin`.
    fn zoneinfo() -> String {
        let dir = std::env::temp_dir().join(format!("corers-zoneinfo-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("Europe")).unwrap();
        std::fs::write(dir.join("Europe/Berlin"), "TZif").unwrap();
        dir.to_str().unwrap().to_owned()
    }

    #[test]
    fn zone_not_installed_none_for_an_installed_zone_a_rule_or_utc_good() {
        let dir = zoneinfo();
        let dirs = ["/nonexistent/zoneinfo", dir.as_str()];
        for tz in [
            None,
            Some(""),
            Some("UTC"),
            Some("Etc/UTC"),
            Some("Europe/Berlin"),
            Some(":Europe/Berlin"),
            Some("CET-1CEST,M3.5.0,M10.5.0/3"),
        ] {
            assert_eq!(
                zone_not_installed(tz.map(std::ffi::OsStr::new), &dirs),
                None,
                "{tz:?}"
            );
        }
    }

    #[test]
    fn zone_not_installed_names_the_missing_file_bad() {
        let dir = zoneinfo();
        let why = zone_not_installed(Some("America/New_York".as_ref()), &[dir.as_str()]).unwrap();
        assert!(why.contains("\"America/New_York\""), "{why}");
        assert!(why.contains("the local clock would be UTC"), "{why}");
    }

    #[test]
    fn zone_not_installed_absolute_path_and_odd_names_ugly() {
        let dir = zoneinfo();
        let tz = format!(":{dir}/Europe/Berlin");
        assert_eq!(zone_not_installed(Some(tz.as_ref()), &[]), None);
        assert!(zone_not_installed(Some(":/nonexistent/zone".as_ref()), &[]).is_some());
        // A name with no digit and no slash is a zone's file name too (`Japan`).
        assert!(zone_not_installed(Some("Atlantis".as_ref()), &[dir.as_str()]).is_some());
    }

    /// The weekdays of the next `n` ticks of `expression` from Sunday 2 June 2024.
    fn next_weekdays(expression: &str, n: usize) -> Vec<Weekday> {
        let schedule = Schedule::parse(expression).unwrap();
        let mut time: DateTime<Utc> = "2024-06-02T00:00:00Z".parse().unwrap();
        (0..n)
            .map(|_| {
                time = schedule.next_after(&time).unwrap();
                time.weekday()
            })
            .collect()
    }

    #[test]
    fn schedule_parse_crontab_weekdays_good() {
        use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};
        assert_eq!(
            next_weekdays("0 9 * * 1-5", 6),
            [Mon, Tue, Wed, Thu, Fri, Mon]
        );
        assert_eq!(next_weekdays("0 3 * * 0", 2), [Sun, Sun]);
        assert_eq!(next_weekdays("0 3 * * 7", 2), [Sun, Sun]);
        assert_eq!(next_weekdays("0 3 * * sat,SUN", 3), [Sun, Sat, Sun]);
        assert_eq!(next_weekdays("0 3 * * 5-7", 4), [Sun, Fri, Sat, Sun]);
        assert_eq!(next_weekdays("0 3 * * */2", 4), [Sun, Tue, Thu, Sat]);
        assert_eq!(next_weekdays("0 3 * * Wednesday", 1), [Wed]);
    }

    #[test]
    fn schedule_parse_day_or_weekday_either_matches_good() {
        // Mondays and the 15th (a Saturday in June 2024), from Sunday 2 June.
        let schedule = Schedule::parse("0 9 15 * mon").unwrap();
        let mut time: DateTime<Utc> = "2024-06-02T00:00:00Z".parse().unwrap();
        let ticks: Vec<String> = (0..4)
            .map(|_| {
                time = schedule.next_after(&time).unwrap();
                time.format("%a %d").to_string()
            })
            .collect();
        assert_eq!(ticks, ["Mon 03", "Mon 10", "Sat 15", "Mon 17"]);
    }

    #[test]
    fn schedule_parse_six_and_seven_fields_read_weekdays_as_crontab_good() {
        // Seconds first: weekday 1 is Monday, as in five fields, not the crate's Sunday.
        assert_eq!(
            next_weekdays("0 0 9 * * 1", 2),
            [Weekday::Mon, Weekday::Mon]
        );
        assert_eq!(
            next_weekdays("0 0 9 * * 1-5", 5),
            next_weekdays("0 9 * * 1-5", 5)
        );
        assert_eq!(next_weekdays("30 0 9 * * 0 2024-2099", 1), [Weekday::Sun]);
        // Either the 15th or a Monday, as crontab has it.
        let schedule = Schedule::parse("0 0 9 15 * mon").unwrap();
        let mut time: DateTime<Utc> = "2024-06-02T00:00:00Z".parse().unwrap();
        let ticks: Vec<String> = (0..4)
            .map(|_| {
                time = schedule.next_after(&time).unwrap();
                time.format("%a %d %S").to_string()
            })
            .collect();
        assert_eq!(ticks, ["Mon 03 00", "Mon 10 00", "Sat 15 00", "Mon 17 00"]);
    }

    proptest::proptest! {
        /// Any set of crontab weekdays, as a list: every tick falls on one of them, and
        /// each of them is met within the first week.
        #[test]
        fn schedule_parse_any_weekday_list_ticks_on_those_days_good(
            days in proptest::collection::btree_set(0u8..=7, 1..5)
        ) {
            let field: Vec<String> = days.iter().map(u8::to_string).collect();
            let expression = format!("30 4 * * {}", field.join(","));
            let wanted: BTreeSet<u32> = days.iter().map(|d| u32::from(d % 7)).collect();
            let seen: BTreeSet<u32> = next_weekdays(&expression, 14)
                .iter()
                .map(Weekday::num_days_from_sunday)
                .collect();
            proptest::prop_assert_eq!(seen, wanted);
        }
    }

    #[test]
    fn schedule_parse_bad_weekdays_bad() {
        for expression in [
            "0 3 * * 8",
            "0 3 * * 5-1",
            "0 3 * * 1/0",
            "0 3 * * funday",
            "0 3 * * su",
            "0 3 * * 1-",
            "0 3 * * ,",
        ] {
            let err = Schedule::parse(expression).err().unwrap();
            assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{expression}");
            assert!(err.message().contains(expression), "{err}");
        }
    }

    /// The next `n` ticks of `expression` from Sunday 2 June 2024, 00:00 UTC, in UTC.
    fn next_ticks(expression: &str, n: usize) -> Vec<String> {
        let schedule = Schedule::parse(expression).unwrap();
        let mut time: DateTime<Utc> = "2024-06-02T00:00:00Z".parse().unwrap();
        (0..n)
            .map(|_| {
                time = schedule.next_after(&time).unwrap();
                time.format("%d %H:%M").to_string()
            })
            .collect()
    }

    #[test]
    fn schedule_parse_time_zone_offset_moves_the_ticks_good() {
        assert_eq!(next_ticks("0 3 * * *", 2), ["02 03:00", "03 03:00"]);
        // 03:00 at +02:00 is 01:00 UTC; at -05:30, 08:30 UTC.
        assert_eq!(
            next_ticks("CRON_TZ=+02:00 0 3 * * *", 2),
            ["02 01:00", "03 01:00"]
        );
        assert_eq!(
            next_ticks("TZ=-05:30 0 3 * * *", 2),
            ["02 08:30", "03 08:30"]
        );
        assert_eq!(next_ticks("CRON_TZ=UTC 0 3 * * *", 1), ["02 03:00"]);
        // Seconds first, and the weekday fields, read on the zone's clock too: Monday
        // 09:00 at +09:00 is Monday 00:00 UTC.
        assert_eq!(next_ticks("CRON_TZ=+09:00 0 0 9 * * Mon", 1), ["03 00:00"]);
        assert_eq!(next_ticks("CRON_TZ=+09:00 0 9 * * 1", 1), ["03 00:00"]);
    }

    #[test]
    fn schedule_parse_time_zone_unknown_bad() {
        for expression in [
            "CRON_TZ=Europe/Berlin 0 3 * * *",
            "CRON_TZ=+25:00 0 3 * * *",
            "CRON_TZ=0200 0 3 * * *",
            "CRON_TZ=local 0 3 * * *",
            "CRON_TZ=+05:30junk 0 3 * * *",
            "CRON_TZ=-08:00PST 0 3 * * *",
            "CRON_TZ=+05 0 3 * * *",
        ] {
            let err = Schedule::parse(expression).err().unwrap();
            assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{expression}");
            assert!(err.message().contains("time zone"), "{err}");
        }
        // A zone and no fields.
        assert!(Schedule::parse("CRON_TZ=UTC").is_err());
    }

    #[test]
    fn schedule_parse_time_zone_local_reads_the_machines_clock_ugly() {
        // Whatever zone this runs in: each tick is 03:00 on its clock.
        let schedule = Schedule::parse("CRON_TZ=Local 0 3 * * *").unwrap();
        let mut time: DateTime<Utc> = "2024-06-02T00:00:00Z".parse().unwrap();
        for _ in 0..3 {
            time = schedule.next_after(&time).unwrap();
            let local = time.with_timezone(&Local);
            assert_eq!(local.format("%H:%M").to_string(), "03:00", "{time}");
        }
    }

    /// Set in the child process `schedule_parse_time_zone_local_across_daylight_saving_ugly`
    /// starts, whose `TZ` is Central European time (as a POSIX rule: no zone files needed).
    const DST_CHILD: &str = "CORERS_SCHEDULE_DST_CHILD";

    #[test]
    fn schedule_parse_time_zone_local_across_daylight_saving_ugly() {
        if std::env::var_os(DST_CHILD).is_none() {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "schedule::tests::schedule_parse_time_zone_local_across_daylight_saving_ugly",
                    "--exact",
                ])
                .env(DST_CHILD, "1")
                .env("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success() && text.contains("1 passed"),
                "{text}"
            );
            return;
        }
        let schedule = Schedule::parse("CRON_TZ=Local 30 2 * * *").unwrap();
        let next = |from: &str| {
            let from: DateTime<Utc> = from.parse().unwrap();
            schedule.next_after(&from).unwrap().to_rfc3339()
        };
        // 31 March 2024 has no 02:30 (02:00 CET jumps to 03:00 CEST): not run that day.
        assert_eq!(next("2024-03-30T03:00:00Z"), "2024-04-01T00:30:00+00:00");
        // 27 October 2024 passes 02:30 twice (03:00 CEST falls back to 02:00 CET): once.
        let first = next("2024-10-26T23:00:00Z");
        assert!(first.starts_with("2024-10-27T0"), "{first}");
        assert_eq!(
            next(&first.replace("+00:00", "Z")),
            "2024-10-28T01:30:00+00:00"
        );
    }

    #[test]
    fn schedule_parse_degenerate_expressions_ugly() {
        for expression in ["", "   ", "* * * *", "61 * * * *", "* * * * * * * *"] {
            assert!(Schedule::parse(expression).is_err(), "{expression:?}");
        }
    }
}
