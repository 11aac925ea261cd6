//! [`Fs::unrestricted`]: full access, resolved by the operating system — absolute and
//! relative symlinks and `..` are followed wherever they lead, while writes stay atomic,
//! updates locked, and symlinks themselves are stat'ed, renamed and deleted, not followed.
//!
//! [`Fs::unrestricted`]: corers_fs::Fs::unrestricted

mod common;

use std::fs;
use std::path::Path;

use corers_fs::{FileKind, Fs};
use corers_primitives::ErrorCode;

use common::{TempDir, code_of};

/// `path` as the `&str` the API takes.
fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn fs_unrestricted_follows_absolute_symlink_ugly() {
    let tmp = TempDir::new();
    tmp.file("real/notes.md", "followed");
    let link = tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::unrestricted().unwrap();
    let path = format!("{}/notes.md", link.display());
    assert_eq!(fs.read_string(&path).unwrap(), "followed");
}

#[test]
fn fs_unrestricted_reads_through_absolute_file_symlink_good() {
    let tmp = TempDir::new();
    let target = tmp.file("etc/zoneinfo/UTC", "TZif2");
    let link = tmp.symlink("etc/localtime", &target);
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(fs.read(s(&link)).unwrap(), b"TZif2");
    assert!(fs.exists(s(&link)));
    assert!(fs.is_file(s(&link)));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut fs.reader(s(&link)).unwrap(), &mut text).unwrap();
    assert_eq!(text, "TZif2");
}

#[test]
fn fs_unrestricted_follows_parent_dir_good() {
    let tmp = TempDir::new();
    tmp.file("a/plan.md", "up and over");
    tmp.dir("b");
    let fs = Fs::unrestricted().unwrap();
    let path = format!("{}/b/../a/plan.md", tmp.path().display());
    assert_eq!(fs.read_string(&path).unwrap(), "up and over");
}

#[test]
fn fs_unrestricted_lists_through_symlinked_dir_good() {
    let tmp = TempDir::new();
    tmp.file("real/one.txt", "1");
    tmp.file("real/two.txt", "2");
    let link = tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::unrestricted().unwrap();
    let names: Vec<String> = fs
        .list(s(&link))
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["one.txt", "two.txt"]);
    assert!(fs.is_dir(s(&link)));
}

#[test]
fn fs_unrestricted_writes_through_symlinked_dir_and_creates_parents_good() {
    let tmp = TempDir::new();
    tmp.dir("real");
    let link = tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::unrestricted().unwrap();
    fs.write(
        &format!("{}/deep/er/settings.toml", link.display()),
        b"theme = \"dark\"",
    )
    .unwrap();
    assert_eq!(
        fs::read(tmp.join("real/deep/er/settings.toml")).unwrap(),
        b"theme = \"dark\""
    );
    fs.append(&format!("{}/journal.log", link.display()), b"one\n")
        .unwrap();
    fs.append(&format!("{}/journal.log", link.display()), b"two\n")
        .unwrap();
    assert_eq!(
        fs::read(tmp.join("real/journal.log")).unwrap(),
        b"one\ntwo\n"
    );
    fs.ensure_dir(&format!("{}/cache/v1", link.display()))
        .unwrap();
    assert!(tmp.join("real/cache/v1").is_dir());
}

#[test]
fn fs_unrestricted_update_through_two_spellings_is_one_path_good() {
    let tmp = TempDir::new();
    tmp.dir("real");
    let link = tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::unrestricted().unwrap();
    let spellings = [
        format!("{}/real/count", tmp.path().display()),
        format!("{}/count", link.display()),
    ];
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let fs = fs.clone();
            let path = spellings[i % 2].clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    fs.update(&path, |old| {
                        let n: u64 =
                            old.map_or(0, |b| String::from_utf8(b).unwrap().parse().unwrap());
                        Ok((n + 1).to_string().into_bytes())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(fs::read_to_string(tmp.join("real/count")).unwrap(), "200");
}

#[test]
fn fs_unrestricted_stat_and_delete_leave_symlink_target_good() {
    let tmp = TempDir::new();
    let target = tmp.file("real/keep.md", "still here");
    let link = tmp.symlink("alias.md", &target);
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(fs.stat(s(&link)).unwrap().kind, FileKind::Symlink);
    fs.delete(s(&link)).unwrap();
    assert!(fs::symlink_metadata(&link).is_err());
    assert_eq!(fs::read_to_string(target).unwrap(), "still here");
}

#[test]
fn fs_unrestricted_delete_all_symlinked_dir_removes_only_link_good() {
    let tmp = TempDir::new();
    tmp.file("real/keep.md", "still here");
    let link = tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::unrestricted().unwrap();
    fs.delete_all(s(&link)).unwrap();
    assert!(fs::symlink_metadata(&link).is_err());
    assert!(tmp.join("real/keep.md").is_file());
}

#[test]
fn fs_unrestricted_rename_across_directories_good() {
    let tmp = TempDir::new();
    let from = tmp.file("inbox/report.md", "quarterly");
    let fs = Fs::unrestricted().unwrap();
    let to = tmp.join("archive/2026/report.md");
    fs.rename(s(&from), s(&to)).unwrap();
    assert!(!from.exists());
    assert_eq!(fs::read_to_string(to).unwrap(), "quarterly");
}

#[test]
fn fs_unrestricted_rename_that_fails_leaves_no_directories_ugly() {
    let tmp = TempDir::new();
    let src = tmp.file("src/main.rs", "fn main() {}");
    let fs = Fs::unrestricted().unwrap();
    let dir = src.parent().unwrap();
    assert!(fs.rename(s(dir), s(&dir.join("sub/deeper/dst"))).is_err());
    assert_eq!(tmp.names("src"), ["main.rs"]);
}

#[test]
fn fs_unrestricted_missing_parent_not_found_bad() {
    let tmp = TempDir::new();
    let fs = Fs::unrestricted().unwrap();
    let path = tmp.join("no/such/dir/file.md");
    assert_eq!(code_of(fs.read(s(&path))), ErrorCode::NOT_FOUND);
    assert_eq!(code_of(fs.stat(s(&path))), ErrorCode::NOT_FOUND);
    assert!(!fs.exists(s(&path)));
}

#[test]
fn fs_unrestricted_dangling_symlink_read_not_found_bad() {
    let tmp = TempDir::new();
    let link = tmp.symlink("dangling", tmp.join("gone"));
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(code_of(fs.read(s(&link))), ErrorCode::NOT_FOUND);
    assert!(!fs.exists(s(&link)));
    assert_eq!(fs.stat(s(&link)).unwrap().kind, FileKind::Symlink);
}

#[test]
fn fs_unrestricted_empty_and_nul_paths_invalid_ugly() {
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(code_of(fs.read("")), ErrorCode::INVALID);
    assert_eq!(code_of(fs.write("/tmp/a\0b", b"x")), ErrorCode::INVALID);
    assert_eq!(
        code_of(fs.update("", |_| Ok(Vec::new()))),
        ErrorCode::INVALID
    );
}

#[test]
fn fs_unrestricted_delete_root_spelt_oddly_denied_ugly() {
    let fs = Fs::unrestricted().unwrap();
    for root in ["/", "//", "/./.", "///."] {
        assert_eq!(code_of(fs.delete(root)), ErrorCode::DENIED, "{root}");
        assert_eq!(code_of(fs.delete_all(root)), ErrorCode::DENIED, "{root}");
    }
    let dots = format!("/tmp/{}", "../".repeat(32));
    assert_eq!(code_of(fs.delete_all(&dots)), ErrorCode::INVALID);
    assert!(Path::new("/tmp").is_dir());
}

#[test]
fn fs_unrestricted_append_through_dangling_symlink_not_found_ugly() {
    let tmp = TempDir::new();
    let link = tmp.symlink("dangling.log", tmp.join("gone/target.log"));
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(code_of(fs.append(s(&link), b"x")), ErrorCode::NOT_FOUND);
    assert!(!tmp.join("gone").exists());
}

#[test]
fn fs_unrestricted_write_and_update_through_symlinked_file_good() {
    let tmp = TempDir::new();
    let target = tmp.file("dotfiles/bashrc", "export A=1\n");
    tmp.chmod("dotfiles/bashrc", 0o600);
    let link = tmp.symlink("home/.bashrc", &target);
    let fs = Fs::unrestricted().unwrap();
    fs.write(s(&link), b"export A=2\n").unwrap();
    fs.update(s(&link), |old| {
        let mut text = old.unwrap();
        text.extend_from_slice(b"export B=3\n");
        Ok(text)
    })
    .unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        "export A=2\nexport B=3\n"
    );
    assert_eq!(tmp.mode("dotfiles/bashrc"), 0o600);
}

#[test]
fn fs_unrestricted_delete_path_ending_in_dots_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("job/output.txt", "kept");
    let fs = Fs::unrestricted().unwrap();
    let dots = format!("{}/job/..", tmp.path().display());
    assert_eq!(code_of(fs.delete_all(&dots)), ErrorCode::INVALID);
    assert_eq!(code_of(fs.delete(&dots)), ErrorCode::INVALID);
    let elsewhere = tmp.join("moved");
    assert_eq!(code_of(fs.rename(&dots, s(&elsewhere))), ErrorCode::INVALID);
    assert!(tmp.join("job/output.txt").is_file());
}

#[test]
fn fs_unrestricted_dangling_symlink_with_trailing_slash_refused_ugly() {
    let tmp = TempDir::new();
    let link = tmp.symlink("dangling", "gone");
    let fs = Fs::unrestricted().unwrap();
    let slashed = format!("{}/", link.display());
    assert_eq!(code_of(fs.append(&slashed, b"x")), ErrorCode::INVALID);
    assert!(!tmp.join("gone").exists());
}

#[test]
fn fs_unrestricted_failed_write_with_dots_leaves_no_directory_ugly() {
    let tmp = TempDir::new();
    let fs = Fs::unrestricted().unwrap();
    let path = format!("{}/made/../plan.md", tmp.path().display());
    assert_eq!(code_of(fs.write(&path, b"x")), ErrorCode::NOT_FOUND);
    assert!(!tmp.join("made").exists());
}

#[test]
fn fs_unrestricted_delete_all_symlink_to_home_removes_link_good() {
    let tmp = TempDir::new();
    let home = std::env::var_os("HOME").expect("HOME is set");
    let link = tmp.symlink("home-link", &home);
    let fs = Fs::unrestricted().unwrap();
    fs.delete_all(s(&link)).unwrap();
    assert!(fs::symlink_metadata(&link).is_err());
    assert!(Path::new(&home).is_dir());
}
