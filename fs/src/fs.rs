//! [`Fs`]: a filesystem confined to a root directory, or explicitly unrestricted.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, File};
use corers_log::{AuditEvent, Logger};
use corers_primitives::{Error, ErrorCode, Result};
use dashmap::DashMap;

/// What kind of thing a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (listed, never followed out of the root).
    Symlink,
    /// Anything else (socket, device, fifo).
    Other,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirEntry {
    /// The entry's name (not its path).
    pub name: String,
    /// What it is.
    pub kind: FileKind,
}

/// What [`Fs::stat`] tells about a path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stat {
    /// What it is (a symlink is reported as such, not followed).
    pub kind: FileKind,
    /// Its size in bytes.
    pub len: u64,
    /// Its permission bits (`0o644`).
    pub mode: u32,
    /// When its content last changed (`None` where the filesystem does not keep it).
    pub modified: Option<std::time::SystemTime>,
}

/// A filesystem rooted at a directory: every path is resolved beneath the root, component
/// by component, through directory handles, so `..`, absolute paths and symlinks that
/// point outside (even ones swapped in by another process while an operation runs) can
/// never reach past it. Cheap to clone; clones share the root and the update locks.
///
/// Paths are relative to the root; a leading `/` also means the root. The empty path is
/// an error, never the root itself. An escape attempt is a `DENIED` error naming the
/// requested path, and a Security event in the audit trail.
///
/// ```
/// use corers_fs::Fs;
/// # let dir = std::env::temp_dir().join(format!("corers-fs-doc-{}-{}", std::process::id(), corers_primitives::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let fs = Fs::new(&dir).unwrap();
/// fs.write("notes/2026/plan.md", b"ship the workbench").unwrap();
/// assert_eq!(fs.read_string("notes/2026/plan.md").unwrap(), "ship the workbench");
///
/// let err = fs.read("../../etc/passwd").unwrap_err();
/// assert_eq!(err.code(), Some(&corers_primitives::ErrorCode::DENIED));
/// # std::fs::remove_dir_all(dir).unwrap();
/// ```
#[derive(Clone)]
pub struct Fs {
    pub(crate) inner: Arc<Inner>,
    /// Where escapes and writes are recorded ([`Fs::with_log`]); per handle, so that the
    /// handles of one root share everything else (its directory, the turns of updates).
    log: Option<Logger>,
}

pub(crate) struct Inner {
    pub(crate) dir: Dir,
    /// The root as resolved once at construction, for messages and protection checks.
    pub(crate) root: PathBuf,
    pub(crate) unrestricted: bool,
    /// One lock per path being updated in this process (see `Fs::update`).
    pub(crate) updating: DashMap<PathBuf, Arc<std::sync::Mutex<()>>>,
    /// When each large directory (device, inode) was last swept of dead writers'
    /// temporary files, so that it is listed once in a while, not on every write.
    pub(crate) swept: DashMap<(u64, u64), std::time::Instant>,
}

impl Fs {
    /// A filesystem confined to `root`, which must be an existing directory. The root is
    /// resolved once, here (a symlinked root such as macOS's `/tmp` is fine).
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `root` does not exist; [`ErrorCode::INVALID`] when it
    /// is not a directory; [`ErrorCode::DENIED`] when it cannot be opened.
    pub fn new(root: impl AsRef<Path>) -> Result<Fs> {
        Fs::open("fs.Fs.new", root.as_ref(), false)
    }

    /// Full access to the machine's filesystem: the explicit, visible way out of the
    /// sandbox. Paths are absolute (a relative path is taken from `/`) and resolved by the
    /// operating system: `..` and symlinks are followed wherever they point. Writes are
    /// atomic and updates locked, as in a sandbox; `delete_all` still refuses `/` and the
    /// home directory.
    ///
    /// # Errors
    /// [`ErrorCode::DENIED`] when `/` cannot be opened.
    pub fn unrestricted() -> Result<Fs> {
        Fs::open("fs.Fs.unrestricted", Path::new("/"), true)
    }

    fn open(op: &'static str, root: &Path, unrestricted: bool) -> Result<Fs> {
        let resolved = std::fs::canonicalize(root)
            .map_err(|e| io_error(op, &root.display().to_string(), e))?;
        if !resolved.is_dir() {
            return Err(Error::new(
                op,
                format!("root {:?} is not a directory", root.display().to_string()),
            )
            .with_code(ErrorCode::INVALID));
        }
        let dir = Dir::open_ambient_dir(&resolved, ambient_authority())
            .map_err(|e| io_error(op, &root.display().to_string(), e))?;
        Ok(Fs {
            inner: Arc::new(Inner {
                dir,
                root: resolved,
                unrestricted,
                updating: DashMap::new(),
                swept: DashMap::new(),
            }),
            log: None,
        })
    }

    /// Records sandbox escapes and writes in `log`'s audit trail. The handle returned
    /// shares the root's directory and its updates' turns with `self`, which stays as it
    /// was.
    #[must_use]
    pub fn with_log(self, log: Logger) -> Fs {
        Fs {
            log: Some(log),
            ..self
        }
    }

    /// The root, as resolved at construction.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Reports whether this is [`Fs::unrestricted`].
    pub fn is_unrestricted(&self) -> bool {
        self.inner.unrestricted
    }

    /// The `DENIED` error for an escape attempt, recorded in the audit trail.
    pub(crate) fn escape(&self, op: &'static str, path: &str) -> Error {
        if let Some(log) = &self.log {
            log.audit(AuditEvent::SandboxEscape {
                root: &self.inner.root.display().to_string(),
                path,
            });
        }
        Error::new(op, format!("path {path:?} leads outside the sandbox"))
            .with_code(ErrorCode::DENIED)
    }

    /// Maps an I/O error on `path`, recognising cap-std's escape refusal in a sandbox.
    pub(crate) fn fail(&self, op: &'static str, path: &str, err: io::Error) -> Error {
        if !self.inner.unrestricted && is_escape(&err) {
            return self.escape(op, path);
        }
        io_error(op, path, err)
    }

    pub(crate) fn audit_write(&self, path: &str) {
        if let Some(log) = &self.log {
            log.audit(AuditEvent::FsWrite { path });
        }
    }

    /// The whole file at `path`. Like `std::fs::read`, reading a pipe waits for its
    /// writer ([`append`](Fs::append) and [`update`](Fs::update), which hold locks or
    /// create files, refuse one instead).
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for an empty path, or one written as a directory's
    /// (`notes/`); [`ErrorCode::DENIED`] for an escape;
    /// [`ErrorCode::NOT_FOUND`] when there is no such file.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        const OP: &str = "fs.Fs.read";
        crate::locate::refuse_directory_form(OP, path)?;
        let (dir, rel) = self.locate(OP, path, true)?;
        dir.read(&rel).map_err(|e| self.fail(OP, path, e))
    }

    /// The whole file at `path`, as UTF-8 text.
    ///
    /// # Errors
    /// As [`read`](Fs::read); [`ErrorCode::INVALID`] when the file is not UTF-8.
    pub fn read_string(&self, path: &str) -> Result<String> {
        const OP: &str = "fs.Fs.read_string";
        let bytes = self.read(path)?;
        String::from_utf8(bytes).map_err(|_| {
            Error::new(OP, format!("file {path:?} is not UTF-8 text")).with_code(ErrorCode::INVALID)
        })
    }

    /// Opens `path` for reading, as a stream (large files are never loaded whole).
    ///
    /// # Errors
    /// As [`read`](Fs::read).
    pub fn reader(&self, path: &str) -> Result<impl Read + use<>> {
        const OP: &str = "fs.Fs.reader";
        crate::locate::refuse_directory_form(OP, path)?;
        let (dir, rel) = self.locate(OP, path, true)?;
        let file: File = dir.open(&rel).map_err(|e| self.fail(OP, path, e))?;
        Ok(file.into_std())
    }

    /// Reports whether `path` names something (a dangling symlink counts as nothing, and so
    /// does one leading out of the sandbox: that attempt is recorded as an escape).
    pub fn exists(&self, path: &str) -> bool {
        self.probe("fs.Fs.exists", path).is_some()
    }

    /// Reports whether `path` is a file (as [`exists`](Fs::exists) looks).
    pub fn is_file(&self, path: &str) -> bool {
        self.probe("fs.Fs.is_file", path)
            .is_some_and(|m| m.is_file())
    }

    /// Reports whether `path` is a directory (as [`exists`](Fs::exists) looks).
    pub fn is_dir(&self, path: &str) -> bool {
        self.probe("fs.Fs.is_dir", path).is_some_and(|m| m.is_dir())
    }

    /// What `path` leads to, symlinks followed; `None` when nothing is there or the way
    /// leaves the sandbox (recorded as an escape).
    fn probe(&self, op: &'static str, path: &str) -> Option<cap_std::fs::Metadata> {
        let (dir, rel) = self.locate(op, path, true).ok()?;
        match dir.metadata(&rel) {
            // `a.txt/` names a directory: a file there is not what it names.
            Ok(metadata) if crate::locate::directory_form(path).is_some() && !metadata.is_dir() => {
                None
            }
            Ok(metadata) => Some(metadata),
            Err(e) => {
                if !self.inner.unrestricted && is_escape(&e) {
                    let _ = self.escape(op, path);
                }
                None
            }
        }
    }

    /// What `path` is, how big, its permission bits and when it last changed (symlinks are
    /// not followed).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("corers-fs-stat-{}-{}", std::process::id(), corers_primitives::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let fs = corers_fs::Fs::new(&dir).unwrap();
    /// fs.write("notes/plan.md", b"ship the workbench").unwrap();
    /// let stat = fs.stat("notes/plan.md").unwrap();
    /// assert_eq!((stat.len, stat.kind), (18, corers_fs::FileKind::File));
    /// assert!(stat.modified.unwrap().elapsed().unwrap() < std::time::Duration::from_secs(60));
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`read`](Fs::read).
    pub fn stat(&self, path: &str) -> Result<Stat> {
        use cap_std::fs::PermissionsExt as _;
        const OP: &str = "fs.Fs.stat";
        let (dir, rel) = self.locate(OP, path, false)?;
        crate::locate::refuse_file_as_directory(OP, path, &dir, &rel)?;
        let meta = dir
            .symlink_metadata(&rel)
            .map_err(|e| self.fail(OP, path, e))?;
        Ok(Stat {
            kind: kind_of(meta.file_type()),
            len: meta.len(),
            mode: meta.permissions().mode() & 0o7777,
            modified: meta
                .modified()
                .ok()
                .map(cap_std::time::SystemTime::into_std),
        })
    }

    /// The entries of the directory `path` (`"/"` for the root), sorted by name. The files
    /// this crate keeps for itself (`.corers-tmp-*` of writes in progress, `.corers-lock-*`
    /// of [`update`](Fs::update)) are not listed.
    ///
    /// # Errors
    /// As [`read`](Fs::read); [`ErrorCode::CONFLICT`] when `path` is not a directory.
    pub fn list(&self, path: &str) -> Result<Vec<DirEntry>> {
        const OP: &str = "fs.Fs.list";
        let (dir, rel) = self.locate(OP, path, true)?;
        let entries = dir.read_dir(&rel).map_err(|e| self.fail(OP, path, e))?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.fail(OP, path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(crate::atomic::TEMP_PREFIX)
                || name.starts_with(crate::atomic::LOCK_PREFIX)
            {
                continue;
            }
            let kind = entry.file_type().map_or(FileKind::Other, kind_of);
            listed.push(DirEntry { name, kind });
        }
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }

    /// Creates the directory `path` and its parents; existing ones are fine.
    ///
    /// # Errors
    /// As [`read`](Fs::read), and [`ErrorCode::CONFLICT`] when a file is in the way;
    /// [`ErrorCode::INVALID`] for a name kept for the writes' own files (`.corers-tmp-…`,
    /// `.corers-lock-…`) anywhere in `path`.
    pub fn ensure_dir(&self, path: &str) -> Result<()> {
        const OP: &str = "fs.Fs.ensure_dir";
        crate::atomic::refuse_reserved(OP, path)?;
        self.make_parents(OP, path)?;
        let (dir, rel) = self.locate(OP, path, true)?;
        // Durably, as a write's directories: a file written into them later survives a
        // power loss with them.
        crate::atomic::create_dirs_durably(&dir, &rel)
            .map(drop)
            .map_err(|e| self.fail(OP, path, e))
    }

    /// Renames `from` to `to`, both beneath the root, replacing a file at `to` (a
    /// directory moved onto an empty directory replaces it too). The directories above
    /// `to` are made as needed, and removed again when the move fails. As `rename(2)`,
    /// two names of one file (hard links) are left as they are, `from` included.
    ///
    /// The move is made durable (both directories flushed) before returning: when only
    /// that flush fails, the error comes back although the move was made, and `from` is
    /// already gone.
    ///
    /// # Errors
    /// As [`read`](Fs::read), for either path (an error of the move itself names both);
    /// [`ErrorCode::INVALID`] for a name kept for the writes' own files in either.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        const OP: &str = "fs.Fs.rename";
        crate::atomic::refuse_reserved(OP, from)?;
        crate::atomic::refuse_reserved(OP, to)?;
        self.refuse_climb(OP, from)?;
        let (source_dir, source) = self.locate(OP, from, false)?;
        // A move that cannot happen makes nothing: no directory for the target without a
        // source to put there.
        let moved = source_dir
            .symlink_metadata(&source)
            .map_err(|e| self.fail(OP, from, e))?;
        crate::locate::refuse_file_as_directory(OP, from, &source_dir, &source)?;
        if crate::locate::directory_form(to).is_some() && !moved.is_dir() {
            return Err(Error::new(
                OP,
                format!("{to:?} ends in `/`, naming a directory, but {from:?} is not one"),
            )
            .with_code(ErrorCode::CONFLICT));
        }
        // The directories made for the target, removed again if the move fails.
        let made_outside = self.make_parents(OP, to)?;
        let (target_dir, target) = self.locate(OP, to, false)?;
        let mut made = Vec::new();
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            // "Already exists" can hide an escape (a symlink in the way): the rename below
            // reports what is really there.
            match crate::atomic::create_dirs_durably(&target_dir, parent) {
                Ok(new) => made = new,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(self.fail(OP, to, e)),
            }
        }
        source_dir
            .rename(&source, &target_dir, &target)
            .map_err(|e| {
                // Only if still empty: nothing another process put there meanwhile goes.
                for dir in &made {
                    let _ = target_dir.remove_dir(dir);
                }
                for dir in &made_outside {
                    let _ = std::fs::remove_dir(dir);
                }
                if is_escape(&e) {
                    let _ = self.escape(OP, to);
                    Error::new(
                        OP,
                        format!("renaming {from:?} to {to:?} leads outside the sandbox"),
                    )
                    .with_code(ErrorCode::DENIED)
                } else {
                    io_failure(OP, format!("renaming {from:?} to {to:?}"), e)
                }
            })?;
        // Both directories' entries changed: make the move durable.
        let parent_of = |rel: &Path| rel.parent().unwrap_or(Path::new("")).to_path_buf();
        crate::atomic::sync_dir(&target_dir, &parent_of(&target))
            .and_then(|()| crate::atomic::sync_dir(&source_dir, &parent_of(&source)))
            .map_err(|e| self.fail(OP, to, e))?;
        self.audit_write(to);
        Ok(())
    }

    /// Deletes the file (or empty directory) `path`. Refuses what
    /// [`delete_all`](Fs::delete_all) refuses.
    ///
    /// # Errors
    /// As [`read`](Fs::read); [`ErrorCode::DENIED`] for the root itself and the protected
    /// directories; [`ErrorCode::CONFLICT`] for a directory that is not empty (the hidden
    /// leftovers of writes and updates that were killed do not count: they are cleared);
    /// [`ErrorCode::INVALID`] for a name kept for the writes' own files.
    pub fn delete(&self, path: &str) -> Result<()> {
        const OP: &str = "fs.Fs.delete";
        crate::atomic::refuse_reserved(OP, path)?;
        self.refuse_climb(OP, path)?;
        let (dir, rel) = self.locate(OP, path, false)?;
        crate::locate::refuse_file_as_directory(OP, path, &dir, &rel)?;
        self.refuse_protected(OP, path, &dir, &rel)?;
        self.remove(OP, path, &dir, &rel, false)
    }

    /// Deletes `path` and everything under it. Refuses the sandbox root, the machine's
    /// `/`, and the user's home directory (`HOME`), the application's (`CORE_HOME`), and
    /// their parents — compared after resolution, not as text.
    ///
    /// # Errors
    /// As [`delete`](Fs::delete), and [`ErrorCode::DENIED`] for the protected directories.
    pub fn delete_all(&self, path: &str) -> Result<()> {
        const OP: &str = "fs.Fs.delete_all";
        crate::atomic::refuse_reserved(OP, path)?;
        self.refuse_climb(OP, path)?;
        let (dir, rel) = self.locate(OP, path, false)?;
        crate::locate::refuse_file_as_directory(OP, path, &dir, &rel)?;
        self.refuse_protected(OP, path, &dir, &rel)?;
        self.remove(OP, path, &dir, &rel, true)
    }

    /// Refuses to delete the root, `/`, the home directories (`HOME`, `CORE_HOME`) and the
    /// directories above them.
    fn refuse_protected(
        &self,
        op: &'static str,
        path: &str,
        dir: &crate::locate::DirRef<'_>,
        rel: &Path,
    ) -> Result<()> {
        Fs::refuse_root(op, path, rel)?;
        // Resolved up to the last component, which is deleted itself (a symlink to the home
        // directory goes, not what it points at).
        let target = self.at(dir, rel);
        let resolved = match (target.parent(), target.file_name()) {
            (Some(parent), Some(name)) => std::fs::canonicalize(parent)
                .map_or_else(|_| target.clone(), |parent| parent.join(name)),
            _ => target,
        };
        // Each home directory and everything above it (deleting `/home` takes it too).
        let protects = |var: &str| {
            std::env::var_os(var)
                .filter(|home| !home.is_empty())
                .and_then(|home| std::fs::canonicalize(home).ok())
                .is_some_and(|home| home.starts_with(&resolved))
        };
        if resolved == Path::new("/") || protects("HOME") || protects("CORE_HOME") {
            return Err(Error::new(
                op,
                format!("refusing to delete {path:?}: a protected directory"),
            )
            .with_code(ErrorCode::DENIED));
        }
        Ok(())
    }

    /// Removes a file, or a directory (with its contents when `recursive`), and audits it.
    /// A symlink is removed itself, never followed.
    fn remove(
        &self,
        op: &'static str,
        path: &str,
        dir: &Dir,
        rel: &Path,
        recursive: bool,
    ) -> Result<()> {
        let is_dir = dir
            .symlink_metadata(rel)
            .map_err(|e| self.fail(op, path, e))?
            .is_dir();
        let removed = match (is_dir, recursive) {
            (true, true) => dir.remove_dir_all(rel),
            (true, false) => dir.remove_dir(rel).or_else(|e| {
                // Leftovers of writers that were killed (hidden from `list`, refused by
                // name): cleared, and the directory tried again.
                if e.kind() != io::ErrorKind::DirectoryNotEmpty {
                    return Err(e);
                }
                let inside = dir.open_dir(rel)?;
                crate::atomic::clear_leftovers(&inside);
                dir.remove_dir(rel)
            }),
            (false, _) => dir.remove_file(rel),
        };
        removed.map_err(|e| self.fail(op, path, e))?;
        if let Some(log) = &self.log {
            log.audit(AuditEvent::FsDelete { path });
        }
        Ok(())
    }

    fn refuse_root(op: &'static str, path: &str, rel: &Path) -> Result<()> {
        if rel == Path::new(".") {
            return Err(
                Error::new(op, format!("refusing to delete the root ({path:?})"))
                    .with_code(ErrorCode::DENIED),
            );
        }
        Ok(())
    }
}

/// Whether `err` is cap-std's refusal of a path that leads outside the root.
fn is_escape(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::PermissionDenied && err.to_string().contains("outside")
}

pub(crate) fn kind_of(file_type: cap_std::fs::FileType) -> FileKind {
    if file_type.is_symlink() {
        FileKind::Symlink
    } else if file_type.is_dir() {
        FileKind::Dir
    } else if file_type.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

/// An I/O error on `path`, with the code its kind suggests ([`ErrorCode::of_io`]), or
/// `UNAVAILABLE`: every fs error has a code. The message says what was being done, as the
/// messages-only form a command line prints has no operation: `read "data/seed.json"`.
pub(crate) fn io_error(op: &'static str, path: &str, err: io::Error) -> Error {
    io_failure(op, format!("{} {path:?}", doing(op)), err)
}

/// What `op` (`fs.Fs.read_string`) does to a path, in words: `read`.
fn doing(op: &str) -> &str {
    match op.rsplit('.').next().unwrap_or(op) {
        "new" | "unrestricted" => "open the root",
        "read" | "read_string" | "reader" => "read",
        "stat" | "exists" | "is_file" | "is_dir" => "look up",
        "ensure_dir" => "create the directory",
        "delete_all" => "delete",
        verb => verb,
    }
}

/// `err` as the cause of `op`'s failure to do `what`, with the code its kind maps to
/// (`UNAVAILABLE` for a kind that maps to none).
fn io_failure(op: &'static str, what: String, err: io::Error) -> Error {
    let code = ErrorCode::of_io(err.kind()).unwrap_or(ErrorCode::UNAVAILABLE);
    Error::wrap_code(err, code, op, what)
}

impl fmt::Debug for Fs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fs")
            .field("root", &self.inner.root)
            .field("unrestricted", &self.inner.unrestricted)
            .field("updating", &self.inner.updating.len())
            .finish_non_exhaustive()
    }
}
