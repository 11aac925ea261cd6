//! `sync_all`: a file's data on disk, and the OS's refusal passed on where there is no
//! fallback.

use std::io::{Read as _, Seek as _, Write as _};

/// A file of its own under the system temp directory, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "corers-durable-{}-{}",
            std::process::id(),
            corers_primitives::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.join(name))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn sync_all_good() {
    let scratch = Scratch::new("workspace.toml");
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(&scratch.0)
        .unwrap();
    file.write_all(b"name = \"alpha\"\n").unwrap();
    corers_primitives::sync_all(&file).unwrap();
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "name = \"alpha\"\n");
}

#[cfg(target_os = "linux")]
#[test]
fn sync_all_bad() {
    // A pipe cannot be synced: the OS's error comes back as it is (the Apple fallback is
    // only for a refused full flush of a file).
    let (_reader, writer) = std::io::pipe().unwrap();
    let pipe: std::fs::File = std::os::fd::OwnedFd::from(writer).into();
    let err = corers_primitives::sync_all(&pipe).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn sync_all_ugly() {
    // An empty file, opened only to read, syncs too.
    let scratch = Scratch::new("empty");
    std::fs::File::create(&scratch.0).unwrap();
    let read_only = std::fs::File::open(&scratch.0).unwrap();
    corers_primitives::sync_all(&read_only).unwrap();
}
