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
