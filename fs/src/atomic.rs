//! Writing: atomic and durable by default, streamed when large, locked when read-modify-write.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _, PermissionsExt as _};
use corers_primitives::{Error, ErrorCode, Result, id};

use crate::Fs;

/// How [`Fs::write_with`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Flush to the disk (the file, then its directory) before returning. On by default.
    /// Off is for scratch data and caches: readers still see the old file or the new one,
    /// never a mix (the rename stays atomic), but after a power loss the file may be the
    /// old one, the new one, or — on filesystems that write data after names (XFS, ext4
    /// for large files) — empty or cut short.
    pub durable: bool,
    /// The permission bits of the result (`0o600`); `None` keeps an existing file's bits,
    /// or gives a new one what the process's umask gives any new file (`0o644` under the
    /// usual `022`).
    pub mode: Option<u32>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            durable: true,
            mode: None,
        }
    }
}

impl WriteOptions {
    /// Durable, with the given permission bits.
    ///
    /// ```
    /// use corers_fs::WriteOptions;
    /// assert_eq!(WriteOptions::mode(0o600).mode, Some(0o600));
    /// ```
    pub fn mode(mode: u32) -> WriteOptions {
        WriteOptions {
            durable: true,
            mode: Some(mode),
        }
    }

    /// Not flushed to the disk: fast, for scratch data.
    ///
    /// ```
    /// use corers_fs::WriteOptions;
    /// assert!(!WriteOptions::fast().durable);
    /// ```
    pub fn fast() -> WriteOptions {
        WriteOptions {
            durable: false,
            mode: None,
        }
    }
}

impl Fs {
    /// Replaces the file at `path` with `contents`, atomically and durably: the bytes go to
    /// a temporary file in the same directory, which is flushed, renamed over the target,
    /// and the directory flushed. Readers see the old file or the new one, never a mix; a
    /// crash leaves one or the other. Parent directories are created. The new file keeps
    /// the replaced one's permission bits (see [`WriteOptions::mode`]), owner and group, as
    /// far as the process may set them (another owner takes root); being a new file, it
    /// does not share the old one's hard links; a set-user-id or set-group-id bit is kept
    /// only with the owner and group it was given by. A sandbox replaces a symlink at
    /// `path` with the file, which keeps the permission bits of the file the link led to
    /// (a link to `../secrets/key`, `0600`, is replaced by a `0600` file) but neither its
    /// owner nor a set-id bit (a link is no one's word for who should own the new file: it
    /// is the writer's), or is owner-only when the link leads nowhere inside the root
    /// (dangling, or outside it).
    ///
    /// Like `mv`, and unlike `std::fs::write`, a write needs only the right to change the
    /// directory: a file made read-only (`chmod 444`) is replaced all the same, keeping its
    /// bits. Check [`Fs::stat`] first where read-only must mean "leave alone".
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for an empty path, one written as a directory's (`notes/`),
    /// or a file name beginning with
    /// `.corers-tmp-` or `.corers-lock-` (kept for the writes' own files);
    /// [`ErrorCode::DENIED`] for an escape;
    /// [`ErrorCode::CONFLICT`] when a directory is in the way; otherwise the I/O failure —
    /// and then the original file is untouched and no temporary file is left (unless only
    /// the last flush failed: see [`AtomicWriter::commit`]).
    pub fn write(&self, path: &str, contents: &[u8]) -> Result<()> {
        self.write_with(path, contents, WriteOptions::default())
    }

    /// [`write`](Fs::write) with options (permission bits, durability).
    ///
    /// # Errors
    /// As [`write`](Fs::write).
    pub fn write_with(&self, path: &str, contents: &[u8], options: WriteOptions) -> Result<()> {
        self.write_whole(self.writer_with(path, options)?, contents)
    }

    /// Writes `contents` through `writer` (of `writer.path`) and commits it.
    fn write_whole(&self, mut writer: AtomicWriter, contents: &[u8]) -> Result<()> {
        if let Err(e) = writer.write_all(contents) {
            return Err(self.fail("fs.Fs.write", &writer.path, e));
        }
        writer.commit()
    }

    /// Appends `contents` to the file at `path` (created if absent), through a symlink
    /// wherever it points inside the root. Appends are not atomic replacements: use them for
    /// logs and journals. An append goes to the file as it is: one made while
    /// [`update`](Fs::update) replaces that file goes with the old one, so append to a file
    /// or update it, not both. Appended bytes reach the disk when the OS writes them back:
    /// no flush is made for each.
    ///
    /// # Errors
    /// As [`write`](Fs::write); [`ErrorCode::INVALID`] for a pipe, socket or device (whose
    /// open would block or never end).
    pub fn append(&self, path: &str, contents: &[u8]) -> Result<()> {
        const OP: &str = "fs.Fs.append";
        // Opened from the root, not from its directory: a symlink on the way is followed
        // wherever it points inside the root (`logs/current -> ../releases/v2/app.log`).
        let (base, rel) = self.prepare(OP, path, true)?;
        crate::locate::refuse_special(OP, path, &base, &rel)?;
        let mut options = OpenOptions::new();
        // Never waiting on a FIFO swapped in after the check above: checked again once open.
        options
            .append(true)
            .create(true)
            .custom_flags(libc::O_NONBLOCK);
        let mut file = base
            .open_with(&rel, &options)
            .map_err(|e| self.fail(OP, path, e))?
            .into_std();
        refuse_opened_special(&file).map_err(|e| self.fail(OP, path, e))?;
        file.write_all(contents)
            .map_err(|e| self.fail(OP, path, e))?;
        self.audit_write(path);
        Ok(())
    }

    /// Opens an atomic write stream to `path`: the content goes to a temporary file, and
    /// replaces the target only on [`AtomicWriter::commit`]; dropped without a commit, the
    /// stream leaves the target untouched and removes its temporary file.
    ///
    /// # Errors
    /// As [`write`](Fs::write).
    pub fn writer(&self, path: &str) -> Result<AtomicWriter> {
        self.writer_with(path, WriteOptions::default())
    }

    /// [`writer`](Fs::writer) with options.
    ///
    /// # Errors
    /// As [`write`](Fs::write).
    pub fn writer_with(&self, path: &str, options: WriteOptions) -> Result<AtomicWriter> {
        const OP: &str = "fs.Fs.write";
        // Unrestricted, a symlinked file (a dotfile managed elsewhere) is written through;
        // in a sandbox the link is replaced.
        let (dir, name, _) = self.parent_of(OP, path, self.inner.unrestricted)?;
        self.writer_in(path, dir, name, options)
    }

    /// [`writer_with`](Fs::writer_with) for `name` in `dir`, already resolved.
    fn writer_in(
        &self,
        path: &str,
        dir: Dir,
        name: PathBuf,
        options: WriteOptions,
    ) -> Result<AtomicWriter> {
        const OP: &str = "fs.Fs.write";
        let (replaced, followed) = match self.replaced(path, &dir, &name) {
            Some((metadata, followed)) => (Some(metadata), followed),
            None => (None, false),
        };
        if replaced.as_ref().is_some_and(cap_std::fs::Metadata::is_dir) {
            return Err(
                Error::new(OP, format!("{path:?} is a directory")).with_code(ErrorCode::CONFLICT)
            );
        }
        // A sandbox's link that leads nowhere inside the root: what it led to is unknown,
        // so the file replacing it is owner-only rather than what the umask gives.
        let link_out = replaced.is_none()
            && !self.inner.unrestricted
            && dir.symlink_metadata(&name).is_ok_and(|m| m.is_symlink());
        // The mode asked for, or the replaced file's (but its sticky bit, which means nothing
        // on a file and which macOS and the BSDs refuse to set on one); a new file without
        // one gets what the process's umask gives any new file.
        let mode = options
            .mode
            .or_else(|| replaced.as_ref().map(|m| m.permissions().mode() & 0o6777))
            .or(link_out.then_some(0o600));
        let (temp, file) = self.locked_temp(path, &dir, mode.is_some())?;
        // The owner of a file a sandbox's link led to is not the link's to hand on: a link
        // planted to a root-owned set-user-id program, or to a file of the planter's own,
        // must not give the new file that owner (and so its set-id bits, or the content).
        let kept = !followed
            && replaced
                .as_ref()
                .is_none_or(|replaced| keep_owner(&file, replaced));
        // A set-id bit is the replaced file's owner's to give: not handed on with content
        // owned by someone else (as `cp` clears it).
        let mode = match mode {
            Some(bits) if !kept && options.mode.is_none() => Some(bits & !0o6000),
            mode => mode,
        };
        // After the owner: changing it clears the set-user-id and set-group-id bits.
        if let Some(mode) = mode
            && let Err(e) = file.set_permissions(
                <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(mode),
            )
        {
            let _ = dir.remove_file(&temp);
            return Err(self.fail(OP, path, e));
        }
        Ok(AtomicWriter {
            fs: self.clone(),
            path: path.to_owned(),
            dir,
            name,
            temp,
            file: Some(file),
            durable: options.durable,
        })
    }

    /// A new temporary file in `dir`, created (owner-only when a mode will be set, so the
    /// content is never readable more widely than asked) and locked. Its name is short (a
    /// 255-byte name still fits beside it) and owned: the process id lets a later write
    /// clear the leftovers of a writer that was killed. A cleanup elsewhere (another PID
    /// namespace, where this process looks gone) may take the file between its creation
    /// and its lock: then another name is tried.
    fn locked_temp(
        &self,
        path: &str,
        dir: &Dir,
        owner_only: bool,
    ) -> Result<(PathBuf, std::fs::File)> {
        const OP: &str = "fs.Fs.write";
        const ATTEMPTS: usize = 3;
        let mut open = OpenOptions::new();
        open.write(true)
            .create_new(true)
            .mode(if owner_only { 0o600 } else { 0o666 });
        for _ in 0..ATTEMPTS {
            let temp = PathBuf::from(format!("{TEMP_PREFIX}{}-{}", std::process::id(), id()));
            let file = dir
                .open_with(&temp, &open)
                .map_err(|e| self.fail(OP, path, e))?
                .into_std();
            // Held until the file is renamed: while it is, no cleanup takes the file for a
            // dead writer's leftover (see `clear_stale_temps`). A filesystem without locks
            // (some network mounts) writes on unlocked: cleanup there goes by age alone.
            if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
                let _ = dir.remove_file(&temp);
                continue;
            }
            if LockFile::identity(dir, &temp).ok().flatten() == identity_of(&file) {
                return Ok((temp, file));
            }
        }
        Err(self.fail(OP, path, io::Error::from(io::ErrorKind::WouldBlock)))
    }

    /// What a write of `path` (`name` in `dir`) replaces, as its caller sees it, and
    /// whether a sandbox's link was followed to it: where a sandbox has a symlink at
    /// `name`, the file the link leads to, followed from the root wherever inside it (from
    /// `dir` alone, cap-std would not follow `../secrets/key`), so that the file replacing
    /// the link keeps its target's permission bits (not its owner: see `writer_in`) rather
    /// than getting what the umask gives, and a link to a directory is not replaced by a
    /// file. `None` when nothing is there, or the link leads nowhere inside the root.
    fn replaced(
        &self,
        path: &str,
        dir: &Dir,
        name: &Path,
    ) -> Option<(cap_std::fs::Metadata, bool)> {
        let there = dir.symlink_metadata(name).ok()?;
        // Unrestricted, `name` is the link's target already (or one made since: followed
        // from `dir`, which is an ordinary directory then).
        if !there.is_symlink() || self.inner.unrestricted {
            return dir.metadata(name).ok().map(|metadata| (metadata, false));
        }
        let rel = self.relative("fs.Fs.write", path).ok()?;
        self.inner
            .dir
            .metadata(rel)
            .ok()
            .map(|metadata| (metadata, true))
    }

    /// Reads the file at `path` (`None` when absent), passes its content to `change`, and
    /// writes what `change` returns — as one step: concurrent updaters of the same path in
    /// this process take turns, and an advisory lock on a `.corers-lock-<hash>` file beside
    /// it (removed when the update ends) makes other processes take turns too. An update is
    /// never lost: the file is read and written in the directory its lock is in, also when
    /// a symlinked directory on the way is switched meanwhile (a symlink at `path` itself
    /// is read through from the root, as the path leads at that moment). When `change` fails, the file is left as it was. A symlink inside the
    /// root is read through, and the result written as [`write`](Fs::write) writes it: in
    /// a sandbox that replaces the link with a file, leaving its target as it was.
    ///
    /// `change` runs while the path is locked: it must not update the same path itself.
    ///
    /// # Errors
    /// `change`'s error, unchanged; otherwise as [`read`](Fs::read) and
    /// [`write`](Fs::write); [`ErrorCode::INVALID`] for a pipe, socket or device (its lock
    /// is not held waiting on one).
    pub fn update(
        &self,
        path: &str,
        change: impl FnOnce(Option<Vec<u8>>) -> Result<Vec<u8>>,
    ) -> Result<()> {
        const OP: &str = "fs.Fs.update";
        let (dir, name, at) = self.parent_of(OP, path, self.inner.unrestricted)?;
        // In this process: one mutex per path, dropped from the map by the last user —
        // also when `change` panics (the turn is given back as the panic unwinds).
        let turn = Turn {
            mutex: Arc::clone(self.inner.updating.entry(at.clone()).or_default().value()),
            fs: self,
            at,
        };
        let _ours = turn.mutex.lock().unwrap_or_else(PoisonError::into_inner);
        self.update_locked(OP, path, &dir, &name, change)
    }

    /// [`update`](Fs::update) with this process's turn taken: takes the turn across
    /// processes (an advisory lock on a `.corers-lock-<hash>` file beside the target,
    /// removed again afterwards), then reads, changes and writes.
    fn update_locked(
        &self,
        op: &'static str,
        path: &str,
        dir: &Dir,
        name: &Path,
        change: impl FnOnce(Option<Vec<u8>>) -> Result<Vec<u8>>,
    ) -> Result<()> {
        let lock_name = PathBuf::from(format!(
            "{LOCK_PREFIX}{:016x}",
            fnv(name.as_os_str().as_encoded_bytes())
        ));
        let _lock = LockFile::take(dir, &lock_name).map_err(|e| self.fail(op, path, e))?;
        // Read and written in `dir`, where the lock is: a symlinked directory on the way
        // switched meanwhile (`current -> releases/v2`) must not send this update to a file
        // another process updates under a lock of its own. A symlink at `name` is read
        // through from the root, wherever inside it it points.
        let linked = dir.symlink_metadata(name).is_ok_and(|m| m.is_symlink());
        let read = if linked {
            let (base, rel) = self.locate(op, path, true)?;
            crate::locate::refuse_special(op, path, &base, &rel)?;
            read_plain(&base, &rel)
        } else {
            crate::locate::refuse_special(op, path, dir, name)?;
            read_plain(dir, name)
        };
        let old = match read {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.fail(op, path, e)),
        };
        let new = change(old)?;
        let dir = dir.try_clone().map_err(|e| self.fail(op, path, e))?;
        let writer = self.writer_in(path, dir, name.to_owned(), WriteOptions::default())?;
        self.write_whole(writer, &new)
    }

    /// The directory handle holding `path` (created as needed), the final name, and the
    /// resolved absolute path (what concurrent updaters take turns on).
    fn parent_of(
        &self,
        op: &'static str,
        path: &str,
        follow: bool,
    ) -> Result<(Dir, PathBuf, PathBuf)> {
        let (base, rel) = self.prepare(op, path, follow)?;
        let name = PathBuf::from(rel.file_name().unwrap_or_default());
        let at = self.at(&base, &rel);
        let dir = match rel.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => base.open_dir(parent).map_err(|e| self.fail(op, path, e))?,
            None => base.into_owned().map_err(|e| self.fail(op, path, e))?,
        };
        Ok((dir, name, at))
    }

    /// Where a file is about to be written: its directories created, its name checked (not
    /// one the writes themselves use, `.corers-tmp-…` and `.corers-lock-…`).
    fn prepare(
        &self,
        op: &'static str,
        path: &str,
        follow: bool,
    ) -> Result<(crate::locate::DirRef<'_>, PathBuf)> {
        crate::locate::refuse_directory_form(op, path)?;
        refuse_reserved(op, path)?;
        self.make_parents(op, path)?;
        let (base, rel) = self.locate(op, path, follow)?;
        let Some(name) = rel.file_name() else {
            return Err(Error::new(op, format!("path {path:?} names no file"))
                .with_code(ErrorCode::INVALID));
        };
        // Unrestricted, `rel` is the resolved target: a symlink to a reserved name is
        // refused like the name itself.
        refuse_reserved(op, &name.to_string_lossy())?;
        if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
            // "Already exists" here can hide an escape (a symlink where a directory
            // should be): opening the parent reports what is really there.
            if let Err(e) = create_dirs_durably(&base, parent)
                && e.kind() != io::ErrorKind::AlreadyExists
            {
                return Err(self.fail(op, path, e));
            }
        }
        Ok((base, rel))
    }
}

/// Creates `parent` and the directories above it beneath `base`, and makes each new
/// directory's entry durable (its parent is synced): a file written into a fresh tree
/// survives a power loss with the directories that lead to it. Returns the directories it
/// made, deepest first.
pub(crate) fn create_dirs_durably(base: &Dir, parent: &Path) -> io::Result<Vec<PathBuf>> {
    let new: Vec<PathBuf> = parent
        .ancestors()
        .filter(|dir| !dir.as_os_str().is_empty() && !base.is_dir(dir))
        .map(Path::to_path_buf)
        .collect();
    base.create_dir_all(parent)?;
    for dir in &new {
        sync_dir(base, dir.parent().unwrap_or(Path::new("")))?;
    }
    Ok(new)
}

/// Gives `temp` the owner and group of the file it will replace (root writing a user's
/// file, or a file of a shared group), as far as the process may: another owner needs
/// privilege, a group only membership of it. What cannot be kept is left as the process
/// makes it, as `cp` does. Returns whether both were kept.
fn keep_owner(temp: &std::fs::File, replaced: &cap_std::fs::Metadata) -> bool {
    use cap_std::fs::MetadataExt as _;
    use std::os::unix::fs::MetadataExt as _;
    let Ok(made) = temp.metadata() else {
        return false;
    };
    let (uid, gid) = (replaced.uid(), replaced.gid());
    if (made.uid(), made.gid()) == (uid, gid) {
        return true;
    }
    if std::os::unix::fs::fchown(temp, Some(uid), Some(gid)).is_ok() {
        return true;
    }
    if made.gid() != gid {
        let _ = std::os::unix::fs::fchown(temp, None, Some(gid));
    }
    false
}

/// Reads `name` in `dir` through one handle, opened without waiting (a FIFO swapped in
/// after the type check opens at once) and checked again for a pipe, socket or device
/// before it is read: an update holding its lock never waits on one.
fn read_plain(dir: &Dir, name: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut open = OpenOptions::new();
    open.read(true).custom_flags(libc::O_NONBLOCK);
    let mut file = dir.open_with(name, &open)?.into_std();
    refuse_opened_special(&file)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// An error for an opened pipe, socket or device (swapped in after a check by path).
pub(crate) fn refuse_opened_special(file: &std::fs::File) -> io::Result<()> {
    let kind = file.metadata()?.file_type();
    if kind.is_file() || kind.is_dir() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (a pipe, socket or device)",
    ))
}

/// The device and inode of an open file.
fn identity_of(file: &std::fs::File) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    file.metadata().ok().map(|m| (m.dev(), m.ino()))
}

/// Syncs the directory `rel` beneath `base` (`""` for `base` itself): the entries made or
/// renamed in it reach the disk.
///
/// A directory this process may not open for reading (`-wx`), or a filesystem that cannot
/// sync directories, is skipped rather than failing a change that already happened.
pub(crate) fn sync_dir(base: &Dir, rel: &Path) -> io::Result<()> {
    // Directory handles are path-only descriptors: open it for reading to sync.
    let mut read = OpenOptions::new();
    read.read(true);
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    match base
        .open_with(rel, &read)
        .and_then(|dir| corers_primitives::sync_all(&dir.into_std()))
    {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// How old an unlocked temporary file must be before cleanup takes it for a dead
/// writer's: far longer than a writer takes between creating its file and locking it.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Refuses a `path` any part of which is a name kept for the writes' own files
/// (`.corers-tmp-…`, `.corers-lock-…`): moved, made or deleted by hand, such a file would be
/// swept as a dead writer's, or an update's lock would stop excluding anyone.
pub(crate) fn refuse_reserved(op: &'static str, path: &str) -> Result<()> {
    let reserved = path
        .split(['/', '\\'])
        .any(|part| part.starts_with(TEMP_PREFIX) || part.starts_with(LOCK_PREFIX));
    if reserved {
        return Err(Error::new(
            op,
            format!("{path:?} has a name kept for the writes' own temporary and lock files"),
        )
        .with_code(ErrorCode::INVALID));
    }
    Ok(())
}

/// What temporary files of atomic writes start with: `.corers-tmp-<pid>-<id>`.
pub(crate) const TEMP_PREFIX: &str = ".corers-tmp-";

/// What the lock files of [`Fs::update`] start with: `.corers-lock-<hash>`.
pub(crate) const LOCK_PREFIX: &str = ".corers-lock-";

/// A stable 64-bit hash of a file name (FNV-1a), naming its lock file.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A directory with more entries than this is swept at most once per [`STALE_AFTER`];
/// a smaller one after every write.
const LARGE_DIR: usize = 1024;

impl Fs {
    /// Sweeps `dir` of dead writers' temporary files after a write: every time while it
    /// is small, at most once per [`STALE_AFTER`] once it is large (listing a directory of
    /// 100,000 entries on every write would cost more than the write).
    fn sweep(&self, dir: &Dir) {
        #[cfg(unix)]
        {
            use cap_std::fs::MetadataExt as _;
            let Ok(meta) = dir.dir_metadata() else {
                return;
            };
            let key = (meta.dev(), meta.ino());
            let now = std::time::Instant::now();
            let recent = self
                .inner
                .swept
                .get(&key)
                .is_some_and(|last| now.duration_since(*last) < STALE_AFTER);
            if recent {
                return;
            }
            if clear_stale_temps(dir) > LARGE_DIR {
                self.inner.swept.insert(key, now);
                // Directories swept long ago are forgotten, so the record stays small.
                if self.inner.swept.len() > LARGE_DIR {
                    self.inner
                        .swept
                        .retain(|_, last| now.duration_since(*last) < STALE_AFTER);
                }
            } else {
                self.inner.swept.remove(&key);
            }
        }
        #[cfg(not(unix))]
        {
            clear_stale_temps(dir);
        }
    }
}

/// Removes temporary files in `dir` left by writers that no longer run (killed mid-write).
/// A live writer holds an advisory lock on its temporary file until it closes it, so a
/// file whose lock can be taken has no writer: wherever that writer ran (another process,
/// another PID namespace, another host on a shared volume that honours locks). A writer
/// creates its file and then locks it, so an unlocked file is taken at once only when the
/// process its name gives is gone from this machine's process list, and otherwise once it
/// is older than [`STALE_AFTER`]. Best effort. This process's own names are no exception:
/// a container's application is process 1 at every start, and the leftovers of the one
/// killed before it carry the same number (a writer of this process holds its lock).
/// Returns how many entries the directory held.
fn clear_stale_temps(dir: &Dir) -> usize {
    let Ok(entries) = dir.entries() else {
        return 0;
    };
    let mut seen = 0;
    let mut read = OpenOptions::new();
    // Never waiting: something swapped in after the type check below (a FIFO) opens at
    // once, and is then passed over as no regular file.
    read.read(true).custom_flags(libc::O_NONBLOCK);
    for entry in entries.flatten() {
        seen += 1;
        let name = entry.file_name();
        let Some(text) = name.to_str() else {
            continue;
        };
        // Only what a writer makes: `<prefix><pid>-<id>`, a regular file (never opened
        // otherwise: opening a FIFO would wait for a writer).
        let Some((pid, _)) = text
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split_once('-'))
        else {
            continue;
        };
        if pid.is_empty()
            || !pid.bytes().all(|b| b.is_ascii_digit())
            || !entry.file_type().is_ok_and(|t| t.is_file())
        {
            continue;
        }
        let Ok(file) = dir.open_with(&name, &read) else {
            continue;
        };
        let file = file.into_std();
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        // Without a process list to look in (no procfs), age alone decides.
        let gone = Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists();
        let old = || {
            file.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age >= STALE_AFTER)
        };
        // Taken: nobody writes it. Removed while we hold the lock, so no writer can
        // have reopened it in between (writers never reopen a temporary file).
        if (gone || old()) && file.try_lock().is_ok() {
            let _ = dir.remove_file(&name);
        }
    }
    seen
}

/// Clears what killed writers left in `dir`: their temporary files (see
/// [`clear_stale_temps`]) and the lock files of updates nobody holds (a lock file whose lock
/// can be taken; an updater that opened it meanwhile finds its name gone and takes a new
/// one: see [`LockFile::take`]).
pub(crate) fn clear_leftovers(dir: &Dir) {
    clear_stale_temps(dir);
    let Ok(entries) = dir.entries() else {
        return;
    };
    let mut open = OpenOptions::new();
    open.write(true).custom_flags(libc::O_NONBLOCK);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_lock = name.to_str().is_some_and(|n| n.starts_with(LOCK_PREFIX));
        if !is_lock || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = dir.open_with(&name, &open) else {
            continue;
        };
        let file = file.into_std();
        // Removed only while it is still the file locked here: one an updater made anew
        // under the name meanwhile (and may hold) is left alone, as `LockFile` does.
        if file.metadata().is_ok_and(|m| m.is_file())
            && file.try_lock().is_ok()
            && LockFile::identity(dir, Path::new(&name)).ok().flatten() == identity_of(&file)
        {
            let _ = dir.remove_file(&name);
        }
    }
}

/// The lock file of an update, held: removed (while still locked) when dropped, so no
/// lock file outlives its update.
///
/// Processes take turns only with processes that follow the same rule (lock, then check
/// that the file at the name is the one locked): a build from before lock files were
/// removed must not update the same directory at the same time.
struct LockFile<'a> {
    dir: &'a Dir,
    name: &'a Path,
    /// The locked file's identity, so that only it is removed.
    id: (u64, u64),
    /// Open while held: closing it releases the lock.
    _file: std::fs::File,
}

impl<'a> LockFile<'a> {
    /// Creates (or opens) `name` in `dir` and locks it, waiting for another holder. A lock
    /// won on a file its holder removed meanwhile is no lock: the file at `name` must be
    /// the one locked, or it is tried again. Something else at `name` (a symlink, a
    /// directory) is refused rather than followed.
    fn take(dir: &'a Dir, name: &'a Path) -> io::Result<LockFile<'a>> {
        use std::os::unix::fs::MetadataExt as _;
        let mut open = OpenOptions::new();
        // Never waiting on a FIFO swapped in after the check below: its open fails at once.
        open.write(true).create(true).custom_flags(libc::O_NONBLOCK);
        loop {
            let not_a_lock_file = || {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a plain lock file", name.display()),
                )
            };
            if dir
                .symlink_metadata(name)
                .is_ok_and(|there| !there.is_file())
            {
                return Err(not_a_lock_file());
            }
            let file = dir.open_with(name, &open)?.into_std();
            // Checked again on what was opened: something swapped in after the look above.
            let opened = file.metadata()?;
            if !opened.is_file() {
                return Err(not_a_lock_file());
            }
            lock_exclusive(&file)?;
            let id = (opened.dev(), opened.ino());
            if Self::identity(dir, name)? == Some(id) {
                return Ok(LockFile {
                    dir,
                    name,
                    id,
                    _file: file,
                });
            }
        }
    }

    /// The device and inode of the file at `name`, `None` when nothing is there.
    fn identity(dir: &Dir, name: &Path) -> io::Result<Option<(u64, u64)>> {
        use cap_std::fs::MetadataExt as _;
        match dir.symlink_metadata(name) {
            Ok(there) => Ok(Some((there.dev(), there.ino()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for LockFile<'_> {
    fn drop(&mut self) {
        if Self::identity(self.dir, self.name).is_ok_and(|there| there == Some(self.id)) {
            let _ = self.dir.remove_file(self.name);
        }
    }
}

/// This process's turn to update one path: its mutex, dropped from the map by the last
/// user when the turn ends.
struct Turn<'a> {
    fs: &'a Fs,
    at: PathBuf,
    mutex: Arc<Mutex<()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Under the map's lock: two counts (the map's and ours) mean nobody else waits.
        self.fs
            .inner
            .updating
            .remove_if(&self.at, |_, mutex| Arc::strong_count(mutex) == 2);
    }
}

/// Takes an exclusive advisory lock, waiting for it (a signal interrupting the wait
/// retries).
fn lock_exclusive(file: &std::fs::File) -> io::Result<()> {
    loop {
        match file.lock() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// An atomic write in progress (see [`Fs::writer`]): write to it, then
/// [`commit`](AtomicWriter::commit). Dropped uncommitted, it discards everything (unlike a
/// `BufWriter`, which flushes on drop).
#[must_use = "dropped uncommitted, an atomic writer discards what was written"]
pub struct AtomicWriter {
    fs: Fs,
    path: String,
    dir: Dir,
    name: PathBuf,
    temp: PathBuf,
    file: Option<std::fs::File>,
    durable: bool,
}

impl AtomicWriter {
    /// Makes the written content the file's: flush (when durable), rename over the
    /// target, flush the directory.
    ///
    /// # Errors
    /// The I/O failure. Before the rename the target is untouched and the temporary file
    /// removed; when only the flush of the directory after it fails, the new content is in
    /// place but may not survive a crash.
    pub fn commit(mut self) -> Result<()> {
        const OP: &str = "fs.Fs.write";
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let result = (|| -> io::Result<()> {
            if self.durable {
                corers_primitives::sync_all(&file)?;
            }
            // Renamed while still open (and locked), so no cleanup can take it first.
            self.dir.rename(&self.temp, &self.dir, &self.name)?;
            drop(file);
            if self.durable {
                sync_dir(&self.dir, Path::new(""))?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.fs.sweep(&self.dir);
                self.fs.audit_write(&self.path);
                Ok(())
            }
            Err(e) => {
                let _ = self.dir.remove_file(&self.temp);
                Err(self.fs.fail(OP, &self.path, e))
            }
        }
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("the write was already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Never committed: the target keeps its content; the temporary file goes.
            let _ = self.dir.remove_file(&self.temp);
        }
    }
}

impl std::fmt::Debug for AtomicWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicWriter")
            .field("path", &self.path)
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}
