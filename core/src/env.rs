//! [`Core::env`]: the environment, with computed keys and per-Core overrides.

use std::path::PathBuf;
use std::sync::PoisonError;
use std::time::UNIX_EPOCH;

use corers_log::{AuditEvent, Redactor};

use crate::Core;

/// The keys [`Core::env`] computes when the environment does not set them.
pub const COMPUTED_KEYS: [&str; 11] = [
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
    /// ([`set_env`](Core::set_env)) first, then the process environment, then the computed
    /// keys ([`COMPUTED_KEYS`]: `OS`, `ARCH`, `PID`, `NUM_CPU`, `DIR_HOME`, `DIR_CONFIG`,
    /// `DIR_CACHE`, `DIR_DATA`, `DIR_TMP`, `DIR_CWD`, and `CORE_START` in seconds since
    /// 1970). Reading a secret-looking key (`GITHUB_TOKEN`) is recorded in the audit trail,
    /// without its value.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder().build().unwrap();
    /// assert_eq!(core.env("ARCH").as_deref(), Some(std::env::consts::ARCH));
    /// core.set_env("DIR_DATA", "/srv/workbench");
    /// assert_eq!(core.env("DIR_DATA").as_deref(), Some("/srv/workbench"));
    /// ```
    pub fn env(&self, key: &str) -> Option<String> {
        if Redactor::default().is_secret(key) {
            self.log().audit(AuditEvent::SecretEnvRead { key });
        }
        let overridden = self
            .inner
            .env
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone());
        overridden
            .or_else(|| std::env::var(key).ok())
            .or_else(|| self.computed(key))
    }

    fn computed(&self, key: &str) -> Option<String> {
        let home = || std::env::var_os("HOME").map(PathBuf::from);
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
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
            "DIR_HOME" => path(home()),
            "DIR_CONFIG" => path(xdg("XDG_CONFIG_HOME", ".config")),
            "DIR_CACHE" => path(xdg("XDG_CACHE_HOME", ".cache")),
            "DIR_DATA" => path(xdg("XDG_DATA_HOME", ".local/share")),
            "DIR_TMP" => path(Some(std::env::temp_dir())),
            "DIR_CWD" => path(std::env::current_dir().ok()),
            "CORE_START" => self
                .inner
                .started
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| format!("{}.{:03}", d.as_secs(), d.subsec_millis())),
            _ => None,
        }
    }
}
