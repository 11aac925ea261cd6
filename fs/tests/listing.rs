//! Looking at and arranging the tree: [`Fs::list`] (sorted, with kinds), [`Fs::stat`] (not
//! following symlinks), [`Fs::exists`], [`Fs::is_file`], [`Fs::is_dir`],
//! [`Fs::ensure_dir`] and [`Fs::rename`] with both ends confined.
//!
//! [`Fs::list`]: corers_fs::Fs::list
//! [`Fs::stat`]: corers_fs::Fs::stat
//! [`Fs::exists`]: corers_fs::Fs::exists
//! [`Fs::is_file`]: corers_fs::Fs::is_file
//! [`Fs::is_dir`]: corers_fs::Fs::is_dir
//! [`Fs::ensure_dir`]: corers_fs::Fs::ensure_dir
//! [`Fs::rename`]: corers_fs::Fs::rename

mod common;

use std::fs;
use std::process::Command;

use corers_fs::{DirEntry, FileKind, WriteOptions};
use corers_primitives::ErrorCode;

use common::{Sandbox, TempDir, assert_denied, code_of};

fn named(entries: &[DirEntry]) -> Vec<(&str, FileKind)> {
    entries.iter().map(|e| (e.name.as_str(), e.kind)).collect()
}

// ---------------------------------------------------------------- Fs::list

#[test]
fn fs_list_sorted_with_kinds_good() {
    let tmp = TempDir::new();
    tmp.file("beta.txt", "b");
    tmp.dir("alpha");
    tmp.file("Gamma.md", "g");
    tmp.symlink("current", "alpha");
    tmp.file("\u{e9}t\u{e9}.txt", "e");
    let entries = tmp.fs().list("/").unwrap();
    assert_eq!(
        named(&entries),
        [
            ("Gamma.md", FileKind::File),
            ("alpha", FileKind::Dir),
            ("beta.txt", FileKind::File),
            ("current", FileKind::Symlink),
            ("\u{e9}t\u{e9}.txt", FileKind::File),
        ]
    );
}

#[test]
fn fs_list_subdirectory_good() {
    let tmp = TempDir::new();
    tmp.file("workspaces/beta/settings.toml", "");
    tmp.file("workspaces/alpha/settings.toml", "");
    let entries = tmp.fs().list("workspaces").unwrap();
    assert_eq!(
        named(&entries),
        [("alpha", FileKind::Dir), ("beta", FileKind::Dir)]
    );
}

#[test]
fn fs_list_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().list("")), ErrorCode::INVALID);
}

#[test]
fn fs_list_missing_dir_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().list("workspaces")), ErrorCode::NOT_FOUND);
}

#[test]
fn fs_list_file_conflict_as_documented_bad() {
    let tmp = TempDir::new();
    tmp.file("notes.md", "not a directory");
    assert_eq!(code_of(tmp.fs().list("notes.md")), ErrorCode::CONFLICT);
}

#[test]
fn fs_list_file_refused_bad() {
    let tmp = TempDir::new();
    tmp.file("notes.md", "not a directory");
    assert!(tmp.fs().list("notes.md").is_err());
}

#[test]
fn fs_list_hides_the_crates_own_files_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.update("counters/builds", |_| Ok(b"1".to_vec())).unwrap();
    let names: Vec<String> = fs
        .list("counters")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["builds"]);
}

#[test]
fn fs_list_empty_dir_ugly() {
    let tmp = TempDir::new();
    tmp.dir("empty");
    assert_eq!(tmp.fs().list("empty").unwrap(), Vec::new());
}

#[test]
fn fs_list_symlink_to_outside_listed_not_followed_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    let entries = sandbox.fs.list("/").unwrap();
    assert_eq!(named(&entries), [("shared", FileKind::Symlink)]);
}

#[test]
fn fs_list_fifo_is_other_ugly() {
    let tmp = TempDir::new();
    let made = Command::new("mkfifo")
        .arg(tmp.join("events.pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    let entries = tmp.fs().list("/").unwrap();
    assert_eq!(named(&entries), [("events.pipe", FileKind::Other)]);
}

// ---------------------------------------------------------------- Fs::stat

#[test]
fn fs_stat_file_kind_len_mode_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.write_with("keys/deploy.pem", b"0123456789", WriteOptions::mode(0o640))
        .unwrap();
    let stat = fs.stat("keys/deploy.pem").unwrap();
    assert_eq!(
        (stat.kind, stat.len, stat.mode),
        (FileKind::File, 10, 0o640)
    );
}

#[test]
fn fs_stat_modified_follows_each_write_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.write("cache/index.bin", b"v1").unwrap();
    // Set back an hour by hand, as a file left from yesterday's run.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(tmp.join("cache/index.bin"))
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    assert_eq!(fs.stat("cache/index.bin").unwrap().modified, Some(hour_ago));
    fs.write("cache/index.bin", b"v2").unwrap();
    let rewritten = fs.stat("cache/index.bin").unwrap().modified.unwrap();
    assert!(rewritten > hour_ago);
}

#[test]
fn fs_stat_directory_good() {
    let tmp = TempDir::new();
    tmp.dir("workspaces");
    tmp.chmod("workspaces", 0o750);
    let stat = tmp.fs().stat("workspaces").unwrap();
    assert_eq!((stat.kind, stat.mode), (FileKind::Dir, 0o750));
}

#[test]
fn fs_stat_missing_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().stat("missing.txt")), ErrorCode::NOT_FOUND);
}

#[test]
fn fs_stat_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().stat("")), ErrorCode::INVALID);
}

#[test]
fn fs_stat_symlink_not_followed_ugly() {
    let tmp = TempDir::new();
    tmp.file("target.txt", "x".repeat(100));
    tmp.symlink("link", "target.txt");
    let stat = tmp.fs().stat("link").unwrap();
    assert_eq!((stat.kind, stat.len), (FileKind::Symlink, 10));
}

#[test]
fn fs_stat_symlink_to_outside_reports_link_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", "../outside/secret.txt");
    let stat = sandbox.fs.stat("secret").unwrap();
    assert_eq!(
        (stat.kind, stat.len),
        (FileKind::Symlink, "../outside/secret.txt".len() as u64)
    );
}

#[test]
fn fs_stat_setuid_bits_reported_ugly() {
    let tmp = TempDir::new();
    tmp.file("tool", "#!/bin/sh\n");
    tmp.chmod("tool", 0o4755);
    assert_eq!(tmp.fs().stat("tool").unwrap().mode, 0o4755);
}

// ---------------------------------------------------------------- exists, is_file, is_dir

#[test]
fn fs_exists_file_and_directory_good() {
    let tmp = TempDir::new();
    tmp.file("workspaces/alpha/settings.toml", "");
    let fs = tmp.fs();
    assert_eq!(
        (
            fs.exists("workspaces/alpha/settings.toml"),
            fs.exists("workspaces/alpha")
        ),
        (true, true)
    );
}

#[test]
fn fs_exists_missing_false_bad() {
    let tmp = TempDir::new();
    assert!(!tmp.fs().exists("workspaces/alpha"));
}

#[test]
fn fs_exists_empty_path_false_bad() {
    let tmp = TempDir::new();
    assert!(!tmp.fs().exists(""));
}

#[test]
fn fs_exists_dangling_symlink_false_ugly() {
    let tmp = TempDir::new();
    tmp.symlink("current", "releases/2026-11-26");
    assert!(!tmp.fs().exists("current"));
}

#[test]
fn fs_exists_symlink_to_outside_false_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", sandbox.outside().join("secret.txt"));
    assert!(!sandbox.fs.exists("secret"));
}

#[test]
fn fs_exists_dotdot_to_existing_outside_false_ugly() {
    let sandbox = Sandbox::new();
    assert!(!sandbox.fs.exists("../outside/only-outside.txt"));
}

#[test]
fn fs_is_file_for_file_good() {
    let tmp = TempDir::new();
    tmp.file("notes.md", "");
    assert!(tmp.fs().is_file("notes.md"));
}

#[test]
fn fs_is_file_for_directory_false_bad() {
    let tmp = TempDir::new();
    tmp.dir("notes");
    assert!(!tmp.fs().is_file("notes"));
}

#[test]
fn fs_is_file_empty_path_false_bad() {
    let tmp = TempDir::new();
    assert!(!tmp.fs().is_file(""));
}

#[test]
fn fs_is_file_symlink_to_outside_file_false_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", "../outside/secret.txt");
    assert!(!sandbox.fs.is_file("secret"));
}

#[test]
fn fs_is_file_symlink_to_inside_file_true_ugly() {
    let tmp = TempDir::new();
    tmp.file("releases/v2/app.toml", "");
    tmp.symlink("app.toml", "releases/v2/app.toml");
    assert!(tmp.fs().is_file("app.toml"));
}

#[test]
fn fs_is_dir_for_directory_good() {
    let tmp = TempDir::new();
    tmp.dir("workspaces/alpha");
    assert!(tmp.fs().is_dir("workspaces/alpha"));
}

#[test]
fn fs_is_dir_for_file_false_bad() {
    let tmp = TempDir::new();
    tmp.file("notes.md", "");
    assert!(!tmp.fs().is_dir("notes.md"));
}

#[test]
fn fs_is_dir_empty_path_false_bad() {
    let tmp = TempDir::new();
    assert!(!tmp.fs().is_dir(""));
}

#[test]
fn fs_is_dir_root_slash_true_ugly() {
    let tmp = TempDir::new();
    assert!(tmp.fs().is_dir("/"));
}

#[test]
fn fs_is_dir_symlink_to_outside_dir_false_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    assert!(!sandbox.fs.is_dir("shared"));
}

// ---------------------------------------------------------------- Fs::ensure_dir

#[test]
fn fs_ensure_dir_creates_parents_good() {
    let tmp = TempDir::new();
    tmp.fs().ensure_dir("workspaces/alpha/cache").unwrap();
    assert!(tmp.join("workspaces/alpha/cache").is_dir());
}

#[test]
fn fs_ensure_dir_existing_is_fine_good() {
    let tmp = TempDir::new();
    tmp.file("workspaces/alpha/settings.toml", "kept");
    tmp.fs().ensure_dir("workspaces/alpha").unwrap();
    assert_eq!(
        fs::read(tmp.join("workspaces/alpha/settings.toml")).unwrap(),
        b"kept"
    );
}

#[test]
fn fs_ensure_dir_file_in_the_way_conflict_bad() {
    let tmp = TempDir::new();
    tmp.file("workspaces", "a file");
    assert_eq!(
        code_of(tmp.fs().ensure_dir("workspaces/alpha")),
        ErrorCode::CONFLICT
    );
}

#[test]
fn fs_ensure_dir_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().ensure_dir("")), ErrorCode::INVALID);
}

#[test]
fn fs_ensure_dir_dotdot_denied_bad() {
    let sandbox = Sandbox::new();
    assert_denied(sandbox.fs.ensure_dir("../planted"), "../planted");
}

#[test]
fn fs_ensure_dir_root_slash_is_fine_ugly() {
    let tmp = TempDir::new();
    tmp.fs().ensure_dir("/").unwrap();
    assert!(tmp.path().is_dir());
}

#[test]
fn fs_ensure_dir_through_symlink_to_outside_denied_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    assert_denied(sandbox.fs.ensure_dir("shared/planted"), "shared/planted");
    sandbox.assert_outside_untouched();
}

// ---------------------------------------------------------------- Fs::rename

#[test]
fn fs_rename_moves_file_good() {
    let tmp = TempDir::new();
    tmp.file("inbox/report.txt", "quarterly");
    let fs = tmp.fs();
    fs.rename("inbox/report.txt", "archive/2026/report.txt")
        .unwrap();
    assert_eq!(
        (
            fs.exists("inbox/report.txt"),
            fs.read_string("archive/2026/report.txt").unwrap()
        ),
        (false, "quarterly".to_owned())
    );
}

#[test]
fn fs_rename_replaces_existing_file_good() {
    let tmp = TempDir::new();
    tmp.file("settings.toml.new", "new");
    tmp.file("settings.toml", "old");
    let fs = tmp.fs();
    fs.rename("settings.toml.new", "settings.toml").unwrap();
    assert_eq!(
        (fs.read_string("settings.toml").unwrap(), tmp.names("")),
        ("new".to_owned(), vec!["settings.toml".to_owned()])
    );
}

#[test]
fn fs_rename_missing_source_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(
        code_of(
            tmp.fs()
                .rename("inbox/missing.txt", "archive/2026/missing.txt")
        ),
        ErrorCode::NOT_FOUND
    );
    // Nothing made for a move that could not happen.
    assert!(!tmp.path().join("archive").exists());
}

#[test]
fn fs_rename_empty_source_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("report.txt", "");
    assert_eq!(
        code_of(tmp.fs().rename("", "report.txt")),
        ErrorCode::INVALID
    );
}

#[test]
fn fs_rename_empty_target_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("report.txt", "kept");
    assert_eq!(
        (
            code_of(tmp.fs().rename("report.txt", "")),
            fs::read(tmp.join("report.txt")).unwrap()
        ),
        (ErrorCode::INVALID, b"kept".to_vec())
    );
}

#[test]
fn fs_rename_target_outside_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.file("report.txt", "kept");
    let result = sandbox.fs.rename("report.txt", "../outside/report.txt");
    assert_denied(result, "../outside/report.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_rename_source_outside_denied_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.rename("../outside/secret.txt", "stolen.txt");
    assert_denied(result, "../outside/secret.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_rename_source_through_symlinked_dir_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    let result = sandbox.fs.rename("shared/secret.txt", "stolen.txt");
    assert_denied(result, "shared/secret.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_rename_target_through_symlinked_dir_keeps_outside_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    sandbox.file("planted.txt", "planted");
    let result = sandbox.fs.rename("planted.txt", "shared/secret.txt");
    assert_eq!((result.is_err(), sandbox.outside_untouched()), (true, true));
}

#[test]
fn fs_rename_target_through_symlinked_dir_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    sandbox.file("planted.txt", "planted");
    assert_denied(
        sandbox.fs.rename("planted.txt", "shared/planted.txt"),
        "shared/planted.txt",
    );
}

#[test]
fn fs_rename_symlink_moves_link_not_target_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", "../outside/secret.txt");
    sandbox.fs.rename("secret", "moved").unwrap();
    assert_eq!(
        (
            sandbox.fs.stat("moved").unwrap().kind,
            sandbox.outside_untouched()
        ),
        (FileKind::Symlink, true)
    );
}

#[test]
fn fs_rename_directory_good() {
    let tmp = TempDir::new();
    tmp.file("workspaces/alpha/settings.toml", "a");
    let fs = tmp.fs();
    fs.rename("workspaces/alpha", "workspaces/omega").unwrap();
    assert_eq!(
        fs.read_string("workspaces/omega/settings.toml").unwrap(),
        "a"
    );
}

#[test]
fn fs_rename_that_fails_names_both_paths_and_leaves_no_directories_bad() {
    let tmp = TempDir::new();
    tmp.file("docs/guide.md", "kept");
    tmp.file("a.txt", "moved?");
    let fs = tmp.fs();
    // A file onto a directory: refused by the OS.
    let err = fs.rename("a.txt", "docs").unwrap_err();
    assert!(
        err.message().contains("\"a.txt\"") && err.message().contains("\"docs\""),
        "{err}"
    );
    // A directory into itself: the directories made for the target go again.
    tmp.file("src/main.rs", "fn main() {}");
    assert!(fs.rename("src", "src/sub/deeper/dst").is_err());
    assert_eq!(tmp.names("src"), ["main.rs"]);
}

#[test]
fn fs_rename_onto_itself_ugly() {
    let tmp = TempDir::new();
    tmp.file("report.txt", "kept");
    let fs = tmp.fs();
    fs.rename("report.txt", "/report.txt").unwrap();
    assert_eq!(fs.read_string("report.txt").unwrap(), "kept");
}
