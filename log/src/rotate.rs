//! [`RotatingFile`]: a log file rotated by size and by time, with retention and gzip.
//!
//! `tracing-appender` rotates by time only; size rotation with retention and compression is
//! small enough to own here, and owning it lets rotation happen only between whole lines.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use corers_primitives::{Error, ErrorCode, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::time::compact;

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A log file that moves itself aside when it grows past a size or an age, keeping a
/// bounded number of old files, optionally gzipped. Clones share the same file.
///
/// The live file keeps its name (`workbench.log`); a rotated file is named after the time
/// it was rotated and a sequence number (`workbench.log.20261126T142329-000001`, plus `.gz`
/// when compressed), so names sort by age. Rotation happens only between lines: a line is
/// never split across files. Compression runs on a background thread;
/// [`flush`](RotatingFile::flush) waits for it.
///
/// On Unix several writers may share one path (two loggers, or the app's CLI beside its
/// daemon): sizes are the file's own, the live file is rotated once, by whichever writer
/// gets to it first, and the others follow to the new live file at their next line
/// instead of rotating that one away too. Rotations take turns on a lock of the live
/// file, which a write never waits for: while another holds it, lines go on to the file
/// as it is. (Elsewhere a file cannot be told from another of its name: one writer per
/// path.)
///
/// ```
/// use corers_log::RotatingFile;
/// let dir = std::env::temp_dir().join(format!("corers-doc-{}-{}", std::process::id(), corers_primitives::id()));
/// let file = RotatingFile::builder(dir.join("workbench.log"))
///     .max_bytes(10 * 1024 * 1024)
///     .keep(3)
///     .gzip(true)
///     .build()
///     .unwrap();
/// file.write_line(b"service started\n").unwrap();
/// file.flush().unwrap();
/// # std::fs::remove_dir_all(dir).unwrap();
/// ```
#[derive(Clone)]
pub struct RotatingFile {
    config: Arc<Config>,
    state: Arc<Mutex<State>>,
    compressions: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

struct Config {
    path: PathBuf,
    max_bytes: u64,
    every: Option<Duration>,
    keep: usize,
    gzip: bool,
    clock: Clock,
}

struct State {
    /// Unbuffered: each line is one write, in the file at once (`tail -f` sees it, a
    /// killed process loses nothing it logged).
    file: File,
    /// The size the file's count starts from: 0, or its size when a rotation failed (the
    /// next attempt comes after another `max_bytes`).
    base: u64,
    opened_at: SystemTime,
    sequence: u64,
    /// Lines lost since writing began to fail (0 while it works).
    dropped: u64,
}

/// Settings for a [`RotatingFile`]; defaults: 100 MB per file, no time limit, 5 rotated
/// files kept, no compression.
#[must_use]
pub struct RotatingFileBuilder {
    path: PathBuf,
    max_bytes: u64,
    every: Option<Duration>,
    keep: usize,
    gzip: bool,
    clock: Clock,
}

impl fmt::Debug for RotatingFileBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFileBuilder")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .field("every", &self.every)
            .field("keep", &self.keep)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl RotatingFile {
    /// Starts the settings for a log file at `path`.
    ///
    /// ```
    /// use corers_log::RotatingFile;
    /// let builder = RotatingFile::builder("/var/log/workbench/workbench.log");
    /// ```
    pub fn builder(path: impl Into<PathBuf>) -> RotatingFileBuilder {
        RotatingFileBuilder {
            path: path.into(),
            max_bytes: 100 * 1024 * 1024,
            every: None,
            keep: 5,
            gzip: false,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Appends one line (the caller includes the newline), rotating first when the line
    /// would take the file past its size, or when the file is older than its age limit.
    ///
    /// ```
    /// use corers_log::RotatingFile;
    /// let dir = std::env::temp_dir().join(format!("corers-doc-{}-{}", std::process::id(), corers_primitives::id()));
    /// let file = RotatingFile::builder(dir.join("app.log")).build().unwrap();
    /// file.write_line(b"cache flushed\n").unwrap();
    /// file.flush().unwrap();
    /// assert_eq!(std::fs::read_to_string(dir.join("app.log")).unwrap(), "cache flushed\n");
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    ///
    /// A live file removed meanwhile (an operator) is started afresh at the next line (on
    /// Unix; elsewhere at the next rotation); one moved away (`logrotate`) at the next
    /// rotation. When lines cannot be written (a full disk), standard error is told once,
    /// and told again how many were lost once they can: a log that stops is never silent
    /// about it. When rotating fails for another reason, the line still goes to the
    /// current file, and rotation is tried again after another `max_bytes` (or age
    /// limit): logging goes on instead of failing every later line.
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when the file cannot be written (disk full, permissions;
    /// the line is not written), or could not be rotated (the line is written).
    pub fn write_line(&self, line: &[u8]) -> Result<()> {
        // The clock is the caller's code: read before the lock, so that a clock that logs,
        // or panics into a panic hook that logs, never waits on the lock it holds.
        let now = (self.config.clock)();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let line_len = line.len() as u64;
        // The file's own size, not what this writer wrote: another writer of the path adds
        // to it, and a file another writer rotated away is over the limit, so this writer
        // follows at its next line instead of writing on into the rotated file.
        let mut metadata = state.file.metadata().ok();
        // Deleted under the writer (`rm app.log`, `rm -rf` of its directory): its lines
        // would go where nobody can read them, filling the disk unseen. Reopened at once
        // (the fstat is paid anyway), or dropped and said so when it cannot be.
        if metadata.as_ref().is_some_and(unlinked) {
            match reopen(&self.config.path) {
                Ok(file) => {
                    metadata = file.metadata().ok();
                    state.opened_at = metadata.as_ref().map_or(now, |m| age_start(m, now));
                    state.file = file;
                    state.base = 0;
                }
                Err(e) => return Err(self.dropped(&mut state, "reopen", e)),
            }
        }
        let size = metadata.map_or(state.base, |m| m.len());
        let written = size.saturating_sub(state.base);
        let too_big = written > 0 && written + line_len > self.config.max_bytes;
        let too_old = self.config.every.is_some_and(|every| {
            written > 0 && now.duration_since(state.opened_at).unwrap_or_default() >= every
        });
        let rotated = if too_big || too_old {
            self.rotate(&mut state, now).map_err(|e| {
                // Counted afresh, so the next attempt comes after another full file.
                state.base = size;
                state.opened_at = now;
                self.io_error("rotate", e)
            })
        } else {
            Ok(())
        };
        if let Err(e) = state.file.write_all(line) {
            return Err(self.dropped(&mut state, "write", e));
        }
        if state.dropped > 0 {
            let dropped = std::mem::take(&mut state.dropped);
            tell(&format!(
                "log file {} can be written again; {dropped} {} dropped",
                self.config.path.display(),
                if dropped == 1 {
                    "line was"
                } else {
                    "lines were"
                }
            ));
        }
        rotated
    }

    /// Waits for pending compressions of rotated files to finish (every line is in the
    /// file as soon as [`write_line`](RotatingFile::write_line) returns).
    ///
    /// ```
    /// use corers_log::RotatingFile;
    /// let dir = std::env::temp_dir().join(format!("corers-doc-{}-{}", std::process::id(), corers_primitives::id()));
    /// let file = RotatingFile::builder(dir.join("app.log")).build().unwrap();
    /// file.write_line(b"ready\n").unwrap();
    /// file.flush().unwrap();
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] when the operating system reports the file cannot be
    /// flushed (lines themselves are never held back).
    pub fn flush(&self) -> Result<()> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .file
            .flush()
            .map_err(|e| self.io_error("flush", e))?;
        let pending: Vec<JoinHandle<()>> = self
            .compressions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for handle in pending {
            // A compression thread that panicked left the uncompressed file in place.
            let _ = handle.join();
        }
        Ok(())
    }

    /// The live file's path.
    ///
    /// ```
    /// use corers_log::RotatingFile;
    /// let dir = std::env::temp_dir().join(format!("corers-doc-{}-{}", std::process::id(), corers_primitives::id()));
    /// let file = RotatingFile::builder(dir.join("app.log")).build().unwrap();
    /// assert!(file.path().ends_with("app.log"));
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.config.path
    }

    fn rotate(&self, state: &mut State, now: SystemTime) -> io::Result<()> {
        state.file.flush()?;
        // Another writer of this path (a second logger, the app's CLI beside its daemon)
        // rotates it too: rotations take turns on a lock of the live file, and a writer
        // whose file is no longer the live one follows to the new one instead of rotating
        // that away as well. The lock goes with the old handle once it is replaced. (Where
        // files cannot be locked, a rotation goes on unlocked, as every writer's would.)
        match state.file.try_lock() {
            // Being rotated by the other writer now: this line goes to the file it has,
            // and the next one follows.
            Err(std::fs::TryLockError::WouldBlock) => return Ok(()),
            Ok(()) | Err(std::fs::TryLockError::Error(_)) => {}
        }
        let result = self.rotate_locked(state, now);
        if result.is_err() {
            // Still this writer's file: the other writers' rotations must not wait on it.
            let _ = state.file.unlock();
        }
        result
    }

    /// A line not written for `e` (in `doing`): counted, and said on standard error at
    /// the first of a run of them.
    fn dropped(&self, state: &mut State, doing: &str, e: io::Error) -> Error {
        if state.dropped == 0 {
            tell(&format!(
                "cannot write log file {}: {e}; dropping log lines until it can be written",
                self.config.path.display()
            ));
        }
        state.dropped += 1;
        self.io_error(doing, e)
    }

    /// [`rotate`](RotatingFile::rotate) once this writer holds the live file's lock.
    fn rotate_locked(&self, state: &mut State, now: SystemTime) -> io::Result<()> {
        if !is_live(&state.file, &self.config.path)? {
            let file = reopen(&self.config.path)?;
            let metadata = file.metadata()?;
            state.file = file;
            state.base = 0;
            state.opened_at = age_start(&metadata, now);
            return Ok(());
        }
        // A name already taken (by an earlier run that rotated in the same second) is
        // skipped, never overwritten.
        let rotated = loop {
            state.sequence += 1;
            let candidate = rotated_path(&self.config.path, now, state.sequence);
            let mut gz = candidate.as_os_str().to_os_string();
            gz.push(".gz");
            if !candidate.exists() && !Path::new(&gz).exists() {
                break candidate;
            }
        };
        // The new live file gets the old one's permissions, from its creation on: a log an
        // operator made owner-only stays so after it rotates, with no moment readable by
        // others.
        let permissions = state.file.metadata().map(|m| m.permissions()).ok();
        fs::rename(&self.config.path, &rotated)?;
        state.file = open_append_like(&self.config.path, permissions.as_ref())?;
        state.base = 0;
        state.opened_at = now;

        let config = Arc::clone(&self.config);
        if config.gzip {
            let handle = std::thread::Builder::new()
                .name("corers-log-gzip".into())
                .spawn(move || {
                    // Best effort: on failure the rotated file stays uncompressed.
                    let _ = compress(&rotated);
                    prune(&config);
                })?;
            let mut compressions = self
                .compressions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Finished ones are let go here, not only at the next flush: a service that
            // never flushes does not keep a thread handle per rotation.
            compressions.retain(|running| !running.is_finished());
            compressions.push(handle);
        } else {
            prune(&config);
        }
        Ok(())
    }

    fn io_error(&self, what: &str, cause: io::Error) -> Error {
        Error::wrap_code(
            cause,
            ErrorCode::UNAVAILABLE,
            "log.RotatingFile.write_line",
            format!("{what} {}", self.config.path.display()),
        )
    }
}

impl RotatingFileBuilder {
    /// Rotates before a line would take the file past `bytes` (a single longer line is
    /// still written whole, alone in its file).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Rotates before writing to a file that is older than `age` — counted from when the
    /// file was created, also when an earlier process created it.
    pub fn every(mut self, age: Duration) -> Self {
        self.every = Some(age);
        self
    }

    /// Keeps at most `files` rotated files, deleting the oldest.
    pub fn keep(mut self, files: usize) -> Self {
        self.keep = files;
        self
    }

    /// Gzips rotated files (`….gz`) on a background thread.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Replaces the clock used for age-based rotation and file names (for tests).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Opens (or creates, with its parent directories) the live file for appending.
    ///
    /// ```
    /// use corers_log::RotatingFile;
    /// let dir = std::env::temp_dir().join(format!("corers-doc-{}-{}", std::process::id(), corers_primitives::id()));
    /// assert!(RotatingFile::builder(dir.join("logs/app.log")).build().is_ok());
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `max_bytes` is 0 or the path has no file name;
    /// [`ErrorCode::UNAVAILABLE`] when the file or its directory cannot be created.
    pub fn build(self) -> Result<RotatingFile> {
        const OP: &str = "log.RotatingFile.build";
        if self.max_bytes == 0 {
            return Err(
                Error::new(OP, "max_bytes must be at least 1").with_code(ErrorCode::INVALID)
            );
        }
        if self.path.file_name().is_none() {
            return Err(Error::new(
                OP,
                format!(
                    "log path {:?} has no file name",
                    self.path.display().to_string()
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
        let unavailable = |e: io::Error| {
            Error::wrap_code(
                e,
                ErrorCode::UNAVAILABLE,
                OP,
                format!("open {}", self.path.display()),
            )
        };
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(unavailable)?;
        }
        let file = open_append(&self.path).map_err(unavailable)?;
        let metadata = file.metadata().map_err(unavailable)?;
        let opened_at = age_start(&metadata, (self.clock)());
        Ok(RotatingFile {
            config: Arc::new(Config {
                path: self.path,
                max_bytes: self.max_bytes,
                every: self.every,
                keep: self.keep,
                gzip: self.gzip,
                clock: self.clock,
            }),
            state: Arc::new(Mutex::new(State {
                file,
                base: 0,
                opened_at,
                sequence: 0,
                dropped: 0,
            })),
            compressions: Arc::new(Mutex::new(Vec::new())),
        })
    }
}

impl fmt::Debug for RotatingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingFile")
            .field("path", &self.config.path)
            .field("max_bytes", &self.config.max_bytes)
            .field("every", &self.config.every)
            .field("keep", &self.config.keep)
            .field("gzip", &self.config.gzip)
            .finish_non_exhaustive()
    }
}

/// When a live file's age began: a file already written is as old as it is, not as this
/// process (a process that lives shorter than the age limit still rotates it), by its
/// creation time where the filesystem keeps one, else its last change, never later than
/// `now`; an empty one begins `now`.
fn age_start(metadata: &fs::Metadata, now: SystemTime) -> SystemTime {
    if metadata.len() == 0 {
        return now;
    }
    metadata
        .created()
        .or_else(|_| metadata.modified())
        .map_or(now, |made| made.min(now))
}

/// Whether `file` is still the file at `path` (not rotated, moved away or removed by
/// another writer or an operator).
#[cfg(unix)]
fn is_live(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let open = file.metadata()?;
    match fs::metadata(path) {
        Ok(live) => Ok((live.dev(), live.ino()) == (open.dev(), open.ino())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the file at `path` is there to rotate (elsewhere a file cannot be told from
/// another of its name).
#[cfg(not(unix))]
fn is_live(_file: &File, path: &Path) -> io::Result<bool> {
    fs::exists(path)
}

/// Whether the file `metadata` describes has no name left (it was removed).
#[cfg(unix)]
fn unlinked(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    metadata.nlink() == 0
}

/// Elsewhere an open file's names cannot be counted: a removed one is noticed at the next
/// rotation.
#[cfg(not(unix))]
fn unlinked(_metadata: &fs::Metadata) -> bool {
    false
}

/// Tells standard error what became of a log file: the one place left to say it.
fn tell(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn open_append(path: &Path) -> io::Result<File> {
    open_append_like(path, None)
}

/// Opens `path` to append; a file it creates gets `like`'s permission bits from the start
/// (then exactly, as far as they can be set: the umask may have narrowed them).
fn open_append_like(path: &Path, like: Option<&fs::Permissions>) -> io::Result<File> {
    let mut open = OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    if let Some(like) = like {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        open.mode(like.mode() & 0o777);
    }
    let file = open.open(path)?;
    if let Some(like) = like {
        let _ = file.set_permissions(like.clone());
    }
    Ok(file)
}

/// Opens `path` to append, making its directory again when that was removed (`rm -rf
/// /var/log/app`): the lines go on where someone can read them.
fn reopen(path: &Path) -> io::Result<File> {
    match open_append(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                fs::create_dir_all(dir)?;
            }
            open_append(path)
        }
        opened => opened,
    }
}

fn rotated_path(path: &Path, now: SystemTime, sequence: u64) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{sequence:06}", compact(now)));
    path.with_file_name(name)
}

/// Gzips `path` to `path.gz` through a temporary file with `path`'s permissions, then
/// removes `path`. The temporary file is made new (a link planted at its name is removed,
/// never followed).
fn compress(path: &Path) -> io::Result<()> {
    let mut gz_name = path.as_os_str().to_os_string();
    gz_name.push(".gz");
    let gz_path = PathBuf::from(gz_name);
    let mut tmp_name = gz_path.as_os_str().to_os_string();
    tmp_name.push(".tmp");
    let tmp_path = PathBuf::from(tmp_name);

    let mut input = File::open(path)?;
    match fs::remove_file(&tmp_path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let permissions = input.metadata()?.permissions();
    let mut open = OpenOptions::new();
    open.write(true).create_new(true);
    // The rotated file's bits from the start, never readable more widely.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        open.mode(permissions.mode() & 0o777);
    }
    let tmp = open.open(&tmp_path)?;
    let _ = tmp.set_permissions(permissions);
    let mut encoder = GzEncoder::new(tmp, Compression::default());
    io::copy(&mut input, &mut encoder)?;
    corers_primitives::sync_all(&encoder.finish()?)?;
    fs::rename(&tmp_path, &gz_path)?;
    fs::remove_file(path)
}

/// Reports whether `rest` (a file name after `<live name>.`) is one of our rotated names:
/// `YYYYMMDDTHHMMSS-NNNNNN` (six digits or more: the millionth rotation has seven),
/// optionally followed by `.gz` or `.gz.tmp`.
fn is_rotation_stem(rest: &str) -> bool {
    let stem = rest.trim_end_matches(".tmp").trim_end_matches(".gz");
    let bytes = stem.as_bytes();
    bytes.len() >= 22
        && bytes[8] == b'T'
        && bytes[15] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 8 || i == 15 || b.is_ascii_digit())
}

/// Deletes the oldest rotated files beyond `keep`, counting a file and its `.gz` as one.
/// Files that merely share the prefix (`app.log.1` from logrotate, `app.log.lock`) are
/// never counted or touched.
fn prune(config: &Config) {
    let (Some(dir), Some(name)) = (config.path.parent(), config.path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut stems: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.strip_prefix(&prefix).is_some_and(is_rotation_stem))
        .map(|n| {
            n.trim_end_matches(".tmp")
                .trim_end_matches(".gz")
                .to_owned()
        })
        .collect();
    stems.sort();
    stems.dedup();
    let excess = stems.len().saturating_sub(config.keep);
    for stem in &stems[..excess] {
        for suffix in ["", ".gz", ".gz.tmp"] {
            // Already gone (another pruner, or never compressed) is fine.
            let _ = fs::remove_file(dir.join(format!("{stem}{suffix}")));
        }
    }
}
