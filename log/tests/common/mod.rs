//! Helpers shared by the integration tests: a fixed clock, captured loggers, a clock that
//! only moves when told, and temporary directories that remove themselves.
#![allow(
    dead_code,
    reason = "each test file uses its own subset of the helpers"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use corers_log::{Format, Level, Logger, LoggerBuilder, MemorySink, Output};

/// 2026-11-26T14:13:29Z: the time of every line a captured logger writes.
pub(crate) const FIXED_SECS: u64 = 1_795_702_409;

/// [`FIXED_SECS`] as the logger writes it.
pub(crate) const FIXED_STAMP: &str = "2026-11-26T14:13:29.000Z";

/// [`FIXED_SECS`] as a rotated file name writes it.
pub(crate) const FIXED_COMPACT: &str = "20261126T141329";

pub(crate) fn fixed_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(FIXED_SECS)
}

/// A builder at the fixed time, in `format`, writing to the returned sink.
pub(crate) fn captured(format: Format) -> (LoggerBuilder, MemorySink) {
    let sink = MemorySink::new();
    let builder = Logger::builder()
        .format(format)
        .output(Output::Memory(sink.clone()))
        .clock(fixed_time);
    (builder, sink)
}

/// A logger at the fixed time, in `format` at `level`, writing to the returned sink.
pub(crate) fn capture(format: Format, level: Level) -> (Logger, MemorySink) {
    let (builder, sink) = captured(format);
    (builder.level(level).build(), sink)
}

/// The one line in `sink`, failing when there is not exactly one.
pub(crate) fn only_line(sink: &MemorySink) -> String {
    let lines = sink.lines();
    assert_eq!(lines.len(), 1, "expected exactly one line, got {lines:#?}");
    lines.into_iter().next().unwrap()
}

/// The one line in `sink`, parsed as JSON.
pub(crate) fn only_json(sink: &MemorySink) -> serde_json::Value {
    serde_json::from_str(&only_line(sink)).unwrap()
}

/// A clock for tests of time-based rotation: seconds since 1970 that move only when told.
#[derive(Clone)]
pub(crate) struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    pub(crate) fn at(secs: u64) -> ManualClock {
        ManualClock(Arc::new(AtomicU64::new(secs)))
    }

    pub(crate) fn advance(&self, secs: u64) {
        // SeqCst: a test clock; the simplest ordering is the right one.
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub(crate) fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }

    /// The clock function to hand to a builder.
    pub(crate) fn reader(&self) -> impl Fn() -> SystemTime + Send + Sync + 'static {
        let secs = Arc::clone(&self.0);
        move || UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst))
    }
}

/// A fresh directory under the system temp dir, removed (with its contents) when dropped.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(topic: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "corers-log-{topic}-{}-{}",
            std::process::id(),
            corers_primitives::id()
        ));
        fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The names of the files in the directory, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
