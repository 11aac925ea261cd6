//! The facade's filesystem: `CoreBuilder::fs_root` and `Core::fs`.

use corers::prelude::*;
use corers::testing;

/// A scratch directory, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "corers-core-fs-{}-{}",
            std::process::id(),
            corers::primitives::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn core_builder_fs_root_confines_core_fs_good() {
    let scratch = Scratch::new();
    let core = Core::builder().fs_root(&scratch.0).build().unwrap();
    core.fs()
        .write("workspaces/alpha.toml", b"indexing = true")
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(scratch.0.join("workspaces/alpha.toml")).unwrap(),
        "indexing = true"
    );
}

#[test]
fn core_builder_fs_root_missing_directory_fails_build_bad() {
    let scratch = Scratch::new();
    let err = Core::builder()
        .fs_root(scratch.0.join("not-there"))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND), "{err}");
    assert!(
        err.to_string().contains("open the filesystem root"),
        "{err}"
    );
}

#[test]
fn core_builder_fs_root_a_file_fails_build_ugly() {
    let scratch = Scratch::new();
    let file = scratch.0.join("notes.md");
    std::fs::write(&file, "not a directory").unwrap();
    let err = Core::builder().fs_root(&file).build().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
}

#[test]
fn core_fs_defaults_to_the_working_directory_good() {
    let core = Core::builder().build().unwrap();
    let cwd = std::fs::canonicalize(std::env::current_dir().unwrap()).unwrap();
    assert_eq!(core.fs().root(), cwd);
}

#[test]
fn core_fs_escape_is_denied_bad() {
    let scratch = Scratch::new();
    let core = Core::builder().fs_root(&scratch.0).build().unwrap();
    let err = core.fs().read("../../etc/passwd").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
}

#[test]
fn core_fs_escape_lands_in_the_cores_audit_trail_ugly() {
    let scratch = Scratch::new();
    let (builder, log) = testing::builder();
    let core = builder.fs_root(&scratch.0).build().unwrap();
    let err = core.fs().read("../outside/secret.txt").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    assert!(
        log.contents().contains("event=fs.sandbox_escape"),
        "{}",
        log.contents()
    );
}
