//! Helpers shared by the fs integration tests: temporary directories that remove themselves,
//! a sandbox laid out beside an `outside` directory of sentinels with a snapshot that shows
//! whether anything outside was touched, error-code checks, read-only directories, child
//! processes of the test binary, and a small seeded random source.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the helpers"
)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use corers_fs::Fs;
use corers_primitives::{Error, ErrorCode, Result};

/// The content of every sentinel outside the root: no read through a sandbox may return it.
pub const SECRET: &[u8] = b"OUTSIDE-SENTINEL: never readable through the sandbox";

/// The marker inside [`SECRET`], to look for in anything a sandbox returns.
pub const SECRET_MARK: &[u8] = b"OUTSIDE-SENTINEL";

/// A directory under the system temp dir, removed (with everything in it) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "corers-fs-{}-{}",
            std::process::id(),
            corers_primitives::id()
        ));
        fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// A sandbox rooted at this directory.
    pub fn fs(&self) -> Fs {
        Fs::new(&self.path).unwrap()
    }

    /// Writes `content` at `rel` with std, creating parents.
    pub fn file(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, content).unwrap();
        path
    }

    /// Creates the directory `rel` and its parents with std.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let path = self.join(rel);
        fs::create_dir_all(&path).unwrap();
        path
    }

    /// Creates a symlink at `rel` pointing to `target` (taken literally).
    pub fn symlink(&self, rel: &str, target: impl AsRef<Path>) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        std::os::unix::fs::symlink(target, &path).unwrap();
        path
    }

    /// The permission bits of `rel`.
    pub fn mode(&self, rel: &str) -> u32 {
        fs::symlink_metadata(self.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    /// Sets the permission bits of `rel`.
    pub fn chmod(&self, rel: &str, mode: u32) {
        fs::set_permissions(self.join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    /// The names in the directory `rel` (`""` for this one), sorted.
    pub fn names(&self, rel: &str) -> Vec<String> {
        names_in(&self.join(rel))
    }

    /// The temporary files atomic writes leave in the directory `dir` while they run
    /// (`.corers-tmp-<pid>-<id>`; the file name is not part of it).
    pub fn temps(&self, dir: &str, _name: &str) -> Vec<String> {
        self.names(dir)
            .into_iter()
            .filter(|n| n.starts_with(".corers-tmp-"))
            .collect()
    }

    /// Every temporary file of an atomic write anywhere beneath this directory.
    pub fn all_temps(&self) -> Vec<PathBuf> {
        snapshot(&self.path)
            .into_keys()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".corers-tmp-"))
            })
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if fs::remove_dir_all(&self.path).is_err() {
            // A test may have left a directory read-only; open everything up and retry.
            let _ = Command::new("chmod")
                .arg("-R")
                .arg("u+rwx")
                .arg(&self.path)
                .status();
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The sorted names in `dir`.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// One entry of a [`snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    File { content: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Symlink { target: PathBuf },
}

/// Everything beneath `dir` (symlinks not followed), by path relative to `dir`.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Node> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap_or_default();
                out.insert(rel, Node::Symlink { target });
            } else if meta.is_dir() {
                out.insert(rel, Node::Dir { mode });
                walk(base, &path, out);
            } else {
                let content = fs::read(&path).unwrap_or_default();
                out.insert(rel, Node::File { content, mode });
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A temp dir holding `root/` (the sandbox) and, beside it, `outside/` with sentinels:
/// `outside/secret.txt`, `outside/only-outside.txt` and `outside/dir/nested.txt`, all
/// [`SECRET`].
pub struct Sandbox {
    pub tmp: TempDir,
    pub fs: Fs,
    before: BTreeMap<PathBuf, Node>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let tmp = TempDir::new();
        tmp.dir("root");
        tmp.file("outside/secret.txt", SECRET);
        tmp.file("outside/only-outside.txt", SECRET);
        tmp.file("outside/dir/nested.txt", SECRET);
        let fs = Fs::new(tmp.join("root")).unwrap();
        let before = snapshot(&tmp.join("outside"));
        Sandbox { tmp, fs, before }
    }

    /// The sandbox root, as created.
    pub fn root(&self) -> PathBuf {
        self.tmp.join("root")
    }

    /// The directory of sentinels beside the root.
    pub fn outside(&self) -> PathBuf {
        self.tmp.join("outside")
    }

    /// Writes a file beneath the root with std.
    pub fn file(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        self.tmp.file(&format!("root/{rel}"), content)
    }

    /// Creates a directory beneath the root with std.
    pub fn dir(&self, rel: &str) -> PathBuf {
        self.tmp.dir(&format!("root/{rel}"))
    }

    /// Creates a symlink beneath the root with std.
    pub fn symlink(&self, rel: &str, target: impl AsRef<Path>) -> PathBuf {
        self.tmp.symlink(&format!("root/{rel}"), target)
    }

    /// Reports whether the outside directory is exactly as it was made.
    pub fn outside_untouched(&self) -> bool {
        snapshot(&self.outside()) == self.before
    }

    /// Fails unless the outside directory is exactly as it was made.
    pub fn assert_outside_untouched(&self) {
        assert_eq!(
            snapshot(&self.outside()),
            self.before,
            "something outside the sandbox root changed"
        );
    }
}

/// The error of `result`, failing when it succeeded.
pub fn error_of<T>(result: Result<T>) -> Error {
    match result {
        Ok(_) => panic!("expected an error, the operation succeeded"),
        Err(err) => err,
    }
}

/// The code of the error of `result`, failing when it succeeded or has no code.
pub fn code_of<T>(result: Result<T>) -> ErrorCode {
    error_of(result)
        .code()
        .cloned()
        .expect("every corers-fs error carries a code")
}

/// Fails unless `result` is a `DENIED` error whose text names `path`.
pub fn assert_denied<T>(result: Result<T>, path: &str) {
    let err = error_of(result);
    assert_eq!(err.code(), Some(&ErrorCode::DENIED), "{err}");
    assert!(
        err.to_string().contains(&format!("{path:?}")),
        "the error does not name {path:?}: {err}"
    );
}

/// Makes a directory read-only for this process until dropped: mode `0o555`, and when the
/// process ignores permission bits (root), the immutable attribute as well.
pub struct ReadOnlyDir {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyDir {
    /// `None` when the directory cannot be made read-only for this process.
    pub fn new(path: &Path) -> Option<ReadOnlyDir> {
        fs::set_permissions(path, fs::Permissions::from_mode(0o555)).unwrap();
        let mut guard = ReadOnlyDir {
            path: path.to_path_buf(),
            immutable: false,
        };
        if !writable(path) {
            return Some(guard);
        }
        guard.immutable = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if guard.immutable && !writable(path) {
            return Some(guard);
        }
        None
    }
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(".corers-fs-probe");
    let created = fs::write(&probe, b"").is_ok();
    let _ = fs::remove_file(probe);
    created
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        let _ = fs::set_permissions(&self.path, fs::Permissions::from_mode(0o755));
    }
}

/// This test binary, to run only the test `name` (ignored or not) in a child process.
pub fn child(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        name,
        "--nocapture",
        "--include-ignored",
        "--test-threads=1",
    ]);
    command
}

/// A small xorshift random source, seeded from the clock, for random moments.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        #[allow(clippy::cast_possible_truncation, reason = "any 64 bits make a seed")]
        Rng(seed as u64 | 1)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low)
    }
}
