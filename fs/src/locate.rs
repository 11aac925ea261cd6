//! Where a path is: a directory handle and a name within it. A sandbox resolves every path
//! beneath its one root handle; [`Fs::unrestricted`] resolves through the operating system,
//! following symlinks wherever they point, and opens the directory for the call.

use std::io;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use corers_primitives::{Error, ErrorCode, Result};

use crate::Fs;
use crate::fs::io_error;

/// The directory handle an operation works in.
pub(crate) enum DirRef<'a> {
    /// The sandbox root, opened once at construction.
    Root(&'a Dir),
    /// A directory opened for this call ([`Fs::unrestricted`]), with its resolved path.
    Opened(Dir, PathBuf),
}

impl Deref for DirRef<'_> {
    type Target = Dir;

    fn deref(&self) -> &Dir {
        match self {
            DirRef::Root(dir) => dir,
            DirRef::Opened(dir, _) => dir,
        }
    }
}

impl DirRef<'_> {
    /// The handle, owned (the sandbox root is duplicated).
    pub(crate) fn into_owned(self) -> io::Result<Dir> {
        match self {
            DirRef::Root(dir) => dir.try_clone(),
            DirRef::Opened(dir, _) => Ok(dir),
        }
    }
}

impl Fs {
    /// Where `path` is: the handle to use and the path within it. In a sandbox that is the
    /// root and the checked relative path. Unrestricted, it is the directory holding the
    /// last component — resolved by the OS, so `..` and symlinks anywhere are followed —
    /// and that component (followed too when `follow` and it exists).
    pub(crate) fn locate(
        &self,
        op: &'static str,
        path: &str,
        follow: bool,
    ) -> Result<(DirRef<'_>, PathBuf)> {
        if !self.inner.unrestricted {
            return Ok((DirRef::Root(&self.inner.dir), self.relative(op, path)?));
        }
        let full = absolute(op, path)?;
        let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|e| io_error(op, path, e));
        let resolved = if follow {
            std::fs::canonicalize(&full).ok()
        } else {
            None
        };
        let dangling_possible = follow && resolved.is_none();
        let (parent, name) = match resolved {
            Some(resolved) => split(resolved),
            None => match (full.parent(), full.file_name()) {
                (Some(parent), Some(name)) => (canonical(parent)?, PathBuf::from(name)),
                // `/`, or a path ending in `..`: a directory, resolved whole.
                _ => split(canonical(&full)?),
            },
        };
        // A dangling symlink: what it names does not exist, and is not created through it.
        if dangling_possible
            && std::fs::symlink_metadata(parent.join(&name)).is_ok_and(|m| m.is_symlink())
        {
            return Err(Error::new(
                op,
                format!("{path:?} is a symlink to something that does not exist"),
            )
            .with_code(ErrorCode::NOT_FOUND));
        }
        let dir = Dir::open_ambient_dir(&parent, ambient_authority())
            .map_err(|e| io_error(op, path, e))?;
        Ok((DirRef::Opened(dir, parent), name))
    }

    /// Unrestricted: creates the directories above `path`, so [`locate`](Fs::locate) finds
    /// its parent, and returns those it made, deepest first. A sandbox creates them beneath
    /// its root as it writes instead.
    pub(crate) fn make_parents(&self, op: &'static str, path: &str) -> Result<Vec<PathBuf>> {
        if !self.inner.unrestricted {
            return Ok(Vec::new());
        }
        let full = absolute(op, path)?;
        match full.parent() {
            // With `..` in it, a parent is only used, never made: creating `a/b` for
            // `a/b/../c` would leave `b` behind.
            Some(parent) if !climbs(parent) => {
                // As in a sandbox: each new directory's entry is synced into its parent.
                let new: Vec<PathBuf> = parent
                    .ancestors()
                    .filter(|dir| !dir.is_dir())
                    .map(Path::to_path_buf)
                    .collect();
                std::fs::create_dir_all(parent).map_err(|e| io_error(op, path, e))?;
                for dir in &new {
                    if let Some(above) = dir.parent() {
                        // Best effort, as `sync_dir`: the directory exists either way.
                        let _ = std::fs::File::open(above)
                            .and_then(|d| corers_primitives::sync_all(&d));
                    }
                }
                Ok(new)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Unrestricted: refuses a `path` ending in `..`, which would delete or move the
    /// directory above what it seems to name. (A sandbox refuses every `..`.)
    pub(crate) fn refuse_climb(&self, op: &'static str, path: &str) -> Result<()> {
        if self.inner.unrestricted
            && Path::new(path).components().next_back() == Some(Component::ParentDir)
        {
            return Err(Error::new(
                op,
                format!("{path:?} ends in `..`: name the directory itself"),
            )
            .with_code(ErrorCode::INVALID));
        }
        Ok(())
    }

    /// The absolute path of `name` in `dir`, after resolution.
    pub(crate) fn at(&self, dir: &DirRef<'_>, name: &Path) -> PathBuf {
        match dir {
            DirRef::Root(_) => self.inner.root.join(name),
            DirRef::Opened(_, parent) => parent.join(name),
        }
    }

    /// Checks `path` and turns it into a relative path beneath the sandbox root.
    pub(crate) fn relative(&self, op: &'static str, path: &str) -> Result<PathBuf> {
        let trimmed = checked(op, path)?.trim_start_matches('/');
        if trimmed.is_empty() {
            return Ok(PathBuf::from("."));
        }
        let mut out = PathBuf::new();
        for component in Path::new(trimmed).components() {
            match component {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                // Climbing is refused outright in a sandbox; cap-std would refuse it too
                // when it leaves the root, but `a/../b` is never worth allowing.
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                    return Err(self.escape(op, path));
                }
            }
        }
        if out.as_os_str().is_empty() {
            out.push(".");
        }
        Ok(out)
    }
}

/// Unrestricted: `path` as an absolute path (a relative one is taken from `/`).
fn absolute(op: &'static str, path: &str) -> Result<PathBuf> {
    Ok(Path::new("/").join(checked(op, path)?))
}

/// `path`, refused when empty or holding a NUL.
fn checked<'p>(op: &'static str, path: &'p str) -> Result<&'p str> {
    if path.is_empty() {
        return Err(
            Error::new(op, "empty path: name a file or directory beneath the root")
                .with_code(ErrorCode::INVALID),
        );
    }
    if path.contains('\0') {
        return Err(
            Error::new(op, format!("invalid path {path:?}: contains NUL"))
                .with_code(ErrorCode::INVALID),
        );
    }
    Ok(path)
}

/// Whether `path` has a `..` component.
fn climbs(path: &Path) -> bool {
    path.components().any(|c| c == Component::ParentDir)
}

/// A resolved path as its directory and last component (`/` as itself and `.`).
fn split(resolved: PathBuf) -> (PathBuf, PathBuf) {
    match (resolved.parent(), resolved.file_name()) {
        (Some(parent), Some(name)) => (parent.to_owned(), PathBuf::from(name)),
        _ => (resolved, PathBuf::from(".")),
    }
}

/// Refuses a file's content at a `path` written as a directory's (`notes/`, `a.txt/.`),
/// which would otherwise read or write the file `notes` (`std::fs` refuses it too).
pub(crate) fn refuse_directory_form(op: &'static str, path: &str) -> Result<()> {
    if let Some(last) = directory_form(path) {
        return Err(Error::new(
            op,
            format!("{path:?} ends in `/{last}`: it names a directory, not a file"),
        )
        .with_code(ErrorCode::INVALID));
    }
    Ok(())
}

/// The last component of `path` when it is written as a directory's (`""` for `notes/`,
/// `"."` for `notes/.`), which the path's own resolution would drop.
pub(crate) fn directory_form(path: &str) -> Option<&str> {
    let last = path.rsplit('/').next().unwrap_or_default();
    (path.contains('/') && matches!(last, "" | "." | "..")).then_some(last)
}

/// Refuses `path` written as a directory's (`a.txt/`) when `name` in `dir` is there and is
/// no directory, as std's ENOTDIR: `delete("a.txt/")` must not delete the file `a.txt`.
/// What is missing is left to the operation to report.
pub(crate) fn refuse_file_as_directory(
    op: &'static str,
    path: &str,
    dir: &Dir,
    name: &Path,
) -> Result<()> {
    if directory_form(path).is_some() && dir.metadata(name).is_ok_and(|meta| !meta.is_dir()) {
        return Err(Error::new(
            op,
            format!("{path:?} ends in `/`, naming a directory, but it is not one"),
        )
        .with_code(ErrorCode::CONFLICT));
    }
    Ok(())
}

/// Refuses to open `name` in `dir` for its content when it is a pipe, a socket or a
/// device: opening a FIFO blocks until another process opens its other end, and a
/// device may never end. What is missing is left to the open to report. (Checked just
/// before the open: something swapped in between is not caught.)
pub(crate) fn refuse_special(op: &'static str, path: &str, dir: &Dir, name: &Path) -> Result<()> {
    match dir.metadata(name) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => Err(Error::new(
            op,
            format!("{path:?} is not a regular file (a pipe, socket or device)"),
        )
        .with_code(ErrorCode::INVALID)),
        _ => Ok(()),
    }
}
