//! A sandboxed, crash-safe filesystem: every path stays beneath a root (against `..`,
//! absolute paths, symlinks out, and symlinks swapped in mid-operation), a file is replaced
//! atomically and durably (appends excepted, and unless asked to be fast), and
//! read-modify-write is locked within and across processes.
//!
//! ```
//! use corers_fs::Fs;
//! # let dir = std::env::temp_dir().join(format!("corers-fs-doc-{}-{}", std::process::id(), corers_primitives::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let fs = Fs::new(&dir).unwrap();
//!
//! // Atomic, durable writes; parents are created.
//! fs.write("workspaces/alpha/settings.toml", b"indexing = true\n").unwrap();
//!
//! // A counter that concurrent updaters never lose an increment of.
//! fs.update("counters/builds", |old| {
//!     let n: u64 = old.map_or(Ok(0), |b| String::from_utf8_lossy(&b).trim().parse())
//!         .unwrap_or(0);
//!     Ok((n + 1).to_string().into_bytes())
//! }).unwrap();
//! assert_eq!(fs.read_string("counters/builds").unwrap(), "1");
//!
//! // Nothing gets out.
//! assert!(fs.read("../outside.txt").is_err());
//! # std::fs::remove_dir_all(dir).unwrap();
//! ```
//!
//! Symlinks are followed while they stay beneath the root, and only through relative
//! targets (`current -> releases/v2`): a link with an absolute target is refused as an
//! escape (`DENIED`) even when that target lies inside the root, because resolving it
//! would mean looking outside the sandbox first. Deploy layouts that link by absolute path
//! (`current -> /srv/app/releases/v2`) need relative links, or [`Fs::unrestricted`].
//!
//! Applications normally reach this crate through the `corers` facade (feature `fs`, on by
//! default): `core.fs()` is an [`Fs`] rooted at `CoreBuilder::fs_root` (the working
//! directory by default) whose escapes and writes go to the Core's audit trail, and the
//! crate is `corers::fs`. Depend on `corers-fs` directly for a sandboxed [`Fs`] without a
//! Core, in a library or a small tool.
//!
//! # Modules
//! - [`Fs`], [`DirEntry`], [`FileKind`], [`Stat`]: the confined filesystem.
//! - [`WriteOptions`], [`AtomicWriter`]: atomic writes, streamed or whole.
#![forbid(unsafe_code)]

// Atomic writes, update locks and the leftovers' sweep are built on Unix file modes and
// owners, device/inode identity and advisory locks: a port to Windows is still to do.
#[cfg(not(unix))]
compile_error!(
    "corers-fs builds on Unix (Linux, macOS, the BSDs) only for now: on Windows, depend on \
     `corers` with `default-features = false` and the features you use other than `fs` \
     (see the README's Platforms section)"
);

// Left out elsewhere, so that the message above is the build's only error.
#[cfg(unix)]
mod atomic;
#[cfg(unix)]
mod fs;
#[cfg(unix)]
mod locate;

#[cfg(unix)]
pub use atomic::{AtomicWriter, WriteOptions};
#[cfg(unix)]
pub use fs::{DirEntry, FileKind, Fs, Stat};
