//! [`sync_all`]: a file's data and metadata on disk, on every system.

use std::fs::File;
use std::io;

/// [`File::sync_all`], with the fallback that Go, libuv and `SQLite` use on Apple systems:
/// there `sync_all` asks the drive itself to flush (`F_FULLFSYNC`), which some volumes
/// refuse (SMB shares, some external drives), and a refused flush is retried as a plain
/// `fsync` rather than failing the write. Elsewhere it is `sync_all`.
///
/// ```
/// use std::io::Write as _;
/// let path = std::env::temp_dir().join(format!("corers-sync-{}", std::process::id()));
/// let mut file = std::fs::File::create(&path).unwrap();
/// file.write_all(b"workspace = \"alpha\"\n").unwrap();
/// corers_primitives::sync_all(&file).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
///
/// # Errors
/// As [`File::sync_all`] (on Apple systems, the plain `fsync`'s error when the full
/// flush was refused).
pub fn sync_all(file: &File) -> io::Result<()> {
    match file.sync_all() {
        #[cfg(target_vendor = "apple")]
        Err(refused)
            if matches!(
                refused.raw_os_error(),
                Some(code) if code == rustix::io::Errno::NOTSUP.raw_os_error()
                    || code == rustix::io::Errno::INVAL.raw_os_error()
            ) =>
        {
            rustix::fs::fsync(file).map_err(io::Error::from)
        }
        result => result,
    }
}
