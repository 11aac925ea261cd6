//! Shared helpers for the config tests: real files in a real temporary directory.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the helpers"
)]

use std::fs;
use std::path::{Path, PathBuf};

/// A directory under the system temp dir, removed with everything in it on drop.
pub struct ConfigDir {
    path: PathBuf,
}

impl ConfigDir {
    pub fn new() -> ConfigDir {
        let path = std::env::temp_dir().join(format!(
            "corers-config-{}-{}",
            std::process::id(),
            corers_primitives::id()
        ));
        fs::create_dir_all(&path).unwrap();
        ConfigDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `content` to the file `name` and returns its path.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path.join(name);
        fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A quiet logger that keeps an audit output, and a reader of that output: the `key` of
/// each audit event in it, in order, every one asserted to be an `event` event and none
/// holding `secret` anywhere in its line.
pub fn audit_keys(
    event: &'static str,
    secret: &'static str,
) -> (corers_log::Logger, impl Fn() -> Vec<String>) {
    let trail = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(corers_log::Level::Quiet)
        .audit_output(corers_log::Output::Memory(trail.clone()))
        .build();
    let keys = move || {
        trail
            .lines()
            .iter()
            .map(|line| {
                assert!(!line.contains(secret), "{line}");
                let line: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(line["fields"]["event"], event, "{line}");
                line["fields"]["key"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    (log, keys)
}
