//! [`Core::env`]: the environment, with computed keys and per-Core overrides.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::PoisonError;
use std::time::UNIX_EPOCH;

use corers_log::AuditEvent;

use crate::Core;

/// The keys [`Core::env`] computes when the environment does not set them.
pub const COMPUTED_KEYS: &[&str] = &[
    "OS",
    "ARCH",
    "PID",
    "NUM_CPU",
    "DIR_HOME",
    "DIR_CONFIG",
    "DIR_CACHE",
    "DIR_DATA",
    "DIR_TMP",
    "DIR_CWD",
    "CORE_START",
];

impl Core {
    /// Looks `key` up, live at every call: this Core's overrides
    /// ([`set_env`](Core::set_env), [`remove_env`](Core::remove_env)) first, then the
    /// process environment, then the computed
    /// keys ([`COMPUTED_KEYS`]: `OS`, `ARCH`, `PID`, `NUM_CPU`, `DIR_HOME`, `DIR_CONFIG`,
    /// `DIR_CACHE`, `DIR_DATA`, `DIR_TMP`, `DIR_CWD`, and `CORE_START`, when the Core was
    /// built, in UTC as RFC 3339: `2026-11-26T15:13:29Z`). `DIR_HOME` is `CORE_HOME` when
    /// that is set and not empty, as in CoreGO, otherwise `HOME` (`USERPROFILE` where
    /// `HOME` is unset, as on Windows); `DIR_CONFIG`, `DIR_CACHE` and `DIR_DATA` follow the
    /// XDG variables, or default beneath that home; `DIR_TMP`
    /// follows `TMPDIR`. Those variables are looked up like any key, overrides first, so a
    /// test that overrides `HOME` moves every directory beneath it. Reading a
    /// secret-looking key (`GITHUB_TOKEN`) is recorded in the audit trail, without its
    /// value.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// assert_eq!(core.env("ARCH").as_deref(), Some(std::env::consts::ARCH));
    /// core.set_env("DIR_DATA", "/srv/workbench");
    /// assert_eq!(core.env("DIR_DATA").as_deref(), Some("/srv/workbench"));
    /// ```
    pub fn env(&self, key: &str) -> Option<String> {
        self.env_variable(key).or_else(|| self.computed(key))
    }

    /// `key` as an environment variable only — this Core's overrides, else the process's —
    /// without the computed keys: what a flag's `.env("ARCH")` falls back on, as clap's
    /// `env` reads only the environment. A secret-looking key read is audited.
    pub(crate) fn env_variable(&self, key: &str) -> Option<String> {
        self.env_os(key).and_then(|value| value.into_string().ok())
    }

    /// [`env_variable`](Core::env_variable) as the OS gives it: what a flag's `.env(..)`
    /// reads, so that a value that is not UTF-8 is refused, not taken for no value.
    pub(crate) fn env_os(&self, key: &str) -> Option<OsString> {
        // The default patterns, matched without building a redactor for each read.
        if corers_primitives::is_secret_name(key) {
            self.log().audit(AuditEvent::SecretEnvRead { key });
        }
        self.variable(key)
    }

    /// `key` from this Core's overrides (set, or removed), else from the process
    /// environment.
    fn variable(&self, key: &str) -> Option<OsString> {
        let overridden = self
            .inner
            .env
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref().map(OsString::from));
        overridden.unwrap_or_else(|| std::env::var_os(key))
    }

    /// A computed key; the variables it derives from (`CORE_HOME`, `HOME`, `USERPROFILE`,
    /// `XDG_*`, `TMPDIR`) are read through this Core's overrides too.
    fn computed(&self, key: &str) -> Option<String> {
        let set = |var: &str| self.variable(var).filter(|v| !v.is_empty());
        // Windows has no HOME, as a rule: its USERPROFILE is the same place.
        let home = || {
            set("HOME")
                .or_else(|| set("USERPROFILE"))
                .map(PathBuf::from)
        };
        let xdg = |var: &str, fallback: &str| {
            set(var)
                .map(PathBuf::from)
                .or_else(|| home().map(|h| h.join(fallback)))
        };
        let path = |p: Option<PathBuf>| p.map(|p| p.to_string_lossy().into_owned());
        match key {
            "OS" => Some(std::env::consts::OS.to_owned()),
            "ARCH" => Some(std::env::consts::ARCH.to_owned()),
            "PID" => Some(std::process::id().to_string()),
            "NUM_CPU" => Some(
                std::thread::available_parallelism()
                    .map_or(1, std::num::NonZeroUsize::get)
                    .to_string(),
            ),
            "DIR_HOME" => path(set("CORE_HOME").map(PathBuf::from).or_else(home)),
            "DIR_CONFIG" => path(xdg("XDG_CONFIG_HOME", ".config")),
            "DIR_CACHE" => path(xdg("XDG_CACHE_HOME", ".cache")),
            "DIR_DATA" => path(xdg("XDG_DATA_HOME", ".local/share")),
            "DIR_TMP" => path(Some(self.temp_dir())),
            "DIR_CWD" => path(std::env::current_dir().ok()),
            "CORE_START" => self
                .inner
                .started
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| rfc3339(d.as_secs())),
            _ => None,
        }
    }
}

/// A Core's environment overrides: a value, or `None` for a key made unset.
pub(crate) type Overrides = Vec<(String, Option<String>)>;

/// Sets `key`'s override in `env` (the last one given for a key wins).
pub(crate) fn set_override(env: &mut Overrides, key: String, value: Option<String>) {
    match env.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v = value,
        None => env.push((key, value)),
    }
}

impl Core {
    /// The temporary directory: on Unix `TMPDIR` (through the overrides; empty counts as
    /// unset) or `/tmp`, as the standard library reads it; elsewhere the system's.
    fn temp_dir(&self) -> PathBuf {
        if cfg!(unix) {
            self.variable("TMPDIR")
                .filter(|dir| !dir.is_empty())
                .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
        } else {
            std::env::temp_dir()
        }
    }
}

/// `secs` since 1970 as an RFC 3339 UTC time to the second (`2026-11-26T15:13:29Z`).
fn rfc3339(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970 to a civil date (Howard Hinnant's `civil_from_days`), from 1 March
    // 0000 so that leap days end each 400-year era.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_known_instants_good() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_706_009), "2026-11-26T15:13:29Z");
    }

    #[test]
    fn rfc3339_day_boundaries_bad() {
        assert_eq!(rfc3339(86_399), "1970-01-01T23:59:59Z");
        assert_eq!(rfc3339(86_400), "1970-01-02T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(1_709_251_200), "2024-03-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_far_future_ugly() {
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
