//! Atomic writes: [`Fs::write_with`] and [`WriteOptions`] (permission bits on the result,
//! durable or fast), the streamed [`Fs::writer`] / [`Fs::writer_with`] and
//! [`AtomicWriter::commit`] — and every failure leaving the original untouched with no
//! temporary file behind.
//!
//! [`Fs::write_with`]: corers_fs::Fs::write_with
//! [`Fs::writer`]: corers_fs::Fs::writer
//! [`Fs::writer_with`]: corers_fs::Fs::writer_with

mod common;

use std::fs;
use std::io::Write as _;

use corers_fs::{AtomicWriter, WriteOptions};
use corers_primitives::ErrorCode;

use common::{ReadOnlyDir, TempDir, code_of};

// ---------------------------------------------------------------- Fs::write_with

#[test]
fn fs_write_with_mode_new_file_good() {
    let tmp = TempDir::new();
    tmp.fs()
        .write_with("keys/deploy.pem", b"-----BEGIN", WriteOptions::mode(0o600))
        .unwrap();
    assert_eq!(tmp.mode("keys/deploy.pem"), 0o600);
}

/// Not a test of its own: run by the next one under `umask 077`.
#[test]
fn umask_child() {
    if std::env::var_os("CORERS_UMASK_CHILD").is_none() {
        return;
    }
    let tmp = TempDir::new();
    tmp.fs().write("notes/today.md", b"standup at 10").unwrap();
    assert_eq!(
        tmp.mode("notes/today.md"),
        0o600,
        "the umask took 0o077 away"
    );
}

#[test]
fn fs_write_new_file_without_mode_follows_the_umask_ugly() {
    let test = std::env::current_exe().unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 077 && exec "$0" --exact umask_child --test-threads=1"#)
        .arg(&test)
        .env("CORERS_UMASK_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("1 passed"),
        "the child ran the check: {stdout}"
    );
    assert!(
        output.status.success(),
        "under umask 077 a new file is 0o600: {stdout}"
    );
}

#[test]
fn fs_write_with_mode_replaces_other_bits_good() {
    let tmp = TempDir::new();
    tmp.file("keys/deploy.pem", "old key");
    tmp.chmod("keys/deploy.pem", 0o755);
    tmp.fs()
        .write_with("keys/deploy.pem", b"new key", WriteOptions::mode(0o600))
        .unwrap();
    assert_eq!(
        (
            tmp.mode("keys/deploy.pem"),
            fs::read(tmp.join("keys/deploy.pem")).unwrap()
        ),
        (0o600, b"new key".to_vec())
    );
}

#[test]
fn fs_write_with_directory_in_the_way_conflict_bad() {
    let tmp = TempDir::new();
    tmp.file("settings.toml/inner.txt", "kept");
    let result = tmp
        .fs()
        .write_with("settings.toml", b"x", WriteOptions::default());
    assert_eq!(
        (
            code_of(result),
            fs::read(tmp.join("settings.toml/inner.txt")).unwrap(),
            tmp.all_temps()
        ),
        (ErrorCode::CONFLICT, b"kept".to_vec(), Vec::new())
    );
}

#[test]
fn fs_write_with_read_only_parent_keeps_original_bad() {
    let tmp = TempDir::new();
    tmp.file("config/settings.toml", "indexing = true\n");
    let Some(_read_only) = ReadOnlyDir::new(&tmp.join("config")) else {
        eprintln!("skipped: config/ cannot be made read-only for this process");
        return;
    };
    let result = tmp.fs().write_with(
        "config/settings.toml",
        b"indexing = false\n",
        WriteOptions::mode(0o600),
    );
    assert_eq!(
        (
            result.is_err(),
            fs::read(tmp.join("config/settings.toml")).unwrap(),
            tmp.names("config")
        ),
        (
            true,
            b"indexing = true\n".to_vec(),
            vec!["settings.toml".to_owned()]
        )
    );
}

#[test]
fn fs_write_with_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    let result = tmp.fs().write_with("", b"x", WriteOptions::mode(0o600));
    assert_eq!(code_of(result), ErrorCode::INVALID);
}

#[test]
fn fs_write_with_mode_file_type_bits_ignored_ugly() {
    let tmp = TempDir::new();
    // 0o100600 is what `st_mode` holds for a regular 0o600 file.
    tmp.fs()
        .write_with("token", b"s3cr3t", WriteOptions::mode(0o100_600))
        .unwrap();
    assert_eq!(tmp.mode("token"), 0o600);
}

// ---------------------------------------------------------------- WriteOptions::mode, ::fast

#[test]
fn write_options_mode_is_durable_good() {
    let options = WriteOptions::mode(0o600);
    assert_eq!((options.durable, options.mode), (true, Some(0o600)));
}

#[test]
fn write_options_mode_directory_in_the_way_keeps_its_mode_bad() {
    let tmp = TempDir::new();
    tmp.dir("keys");
    tmp.chmod("keys", 0o755);
    let result = tmp.fs().write_with("keys", b"x", WriteOptions::mode(0o600));
    assert_eq!(
        (code_of(result), tmp.mode("keys")),
        (ErrorCode::CONFLICT, 0o755)
    );
}

#[test]
fn write_options_mode_zero_ugly() {
    let tmp = TempDir::new();
    tmp.file("locked", "old");
    tmp.fs()
        .write_with("locked", b"new", WriteOptions::mode(0))
        .unwrap();
    assert_eq!(tmp.mode("locked"), 0);
}

#[test]
fn write_options_fast_writes_content_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.write_with("cache/thumbs.bin", b"scratch", WriteOptions::fast())
        .unwrap();
    assert_eq!(fs.read("cache/thumbs.bin").unwrap(), b"scratch");
}

#[test]
fn write_options_fast_directory_in_the_way_leaves_no_temp_bad() {
    let tmp = TempDir::new();
    tmp.file("cache/thumbs.bin/inner", "kept");
    let result = tmp
        .fs()
        .write_with("cache/thumbs.bin", b"x", WriteOptions::fast());
    assert_eq!(
        (code_of(result), tmp.all_temps()),
        (ErrorCode::CONFLICT, Vec::new())
    );
}

#[test]
fn write_options_fast_keeps_existing_mode_ugly() {
    let tmp = TempDir::new();
    tmp.file("cache/session", "old");
    tmp.chmod("cache/session", 0o600);
    tmp.fs()
        .write_with("cache/session", b"new", WriteOptions::fast())
        .unwrap();
    assert_eq!(tmp.mode("cache/session"), 0o600);
}

#[test]
fn fs_write_keeps_the_replaced_files_owner_and_group_ugly() {
    use std::os::unix::fs::MetadataExt as _;
    let tmp = TempDir::new();
    let path = tmp.file("etc/workbench.toml", "old");
    // Root (a daemon writing a user's file) can give the file another owner; anyone else
    // cannot, and their write keeps the owner the file has: their own.
    let owner = if std::os::unix::fs::chown(&path, Some(4321), Some(4322)).is_ok() {
        tmp.chmod("etc/workbench.toml", 0o2640);
        (4321, 4322)
    } else {
        let meta = fs::metadata(&path).unwrap();
        (meta.uid(), meta.gid())
    };
    let fs = tmp.fs();
    fs.write("etc/workbench.toml", b"new").unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), owner);
    let mut writer = fs.writer("etc/workbench.toml").unwrap();
    writer.write_all(b"newer").unwrap();
    writer.commit().unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), owner);
    if owner == (4321, 4322) {
        // Set after the owner: a chown clears the set-group-id bit.
        assert_eq!(tmp.mode("etc/workbench.toml"), 0o2640);
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), "newer");
}

// ---------------------------------------------------------------- Fs::writer

#[test]
fn fs_writer_commit_replaces_file_good() {
    let tmp = TempDir::new();
    tmp.file("exports/report.csv", "old");
    let fs = tmp.fs();
    let mut writer = fs.writer("exports/report.csv").unwrap();
    writer.write_all(b"id,name\n").unwrap();
    writer.write_all(b"1,alpha\n").unwrap();
    writer.commit().unwrap();
    assert_eq!(
        (
            fs.read_string("exports/report.csv").unwrap(),
            tmp.names("exports")
        ),
        (
            "id,name\n1,alpha\n".to_owned(),
            vec!["report.csv".to_owned()]
        )
    );
}

#[test]
fn fs_writer_dropped_without_commit_keeps_original_bad() {
    let tmp = TempDir::new();
    tmp.file("exports/report.csv", "old");
    let fs = tmp.fs();
    let mut writer = fs.writer("exports/report.csv").unwrap();
    writer.write_all(b"half a rep").unwrap();
    drop(writer);
    assert_eq!(
        (
            fs.read_string("exports/report.csv").unwrap(),
            tmp.names("exports")
        ),
        ("old".to_owned(), vec!["report.csv".to_owned()])
    );
}

#[test]
fn fs_writer_dropped_new_file_never_appears_bad() {
    let tmp = TempDir::new();
    tmp.dir("exports");
    let fs = tmp.fs();
    let mut writer = fs.writer("exports/report.csv").unwrap();
    writer.write_all(b"half a rep").unwrap();
    drop(writer);
    assert_eq!(tmp.names("exports"), Vec::<String>::new());
}

#[test]
fn fs_writer_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().writer("")), ErrorCode::INVALID);
}

#[test]
fn fs_writer_target_unchanged_until_commit_ugly() {
    let tmp = TempDir::new();
    tmp.file("state.json", "{\"generation\":1}");
    let fs = tmp.fs();
    let mut writer = fs.writer("state.json").unwrap();
    writer.write_all(b"{\"generation\":2}").unwrap();
    writer.flush().unwrap();
    let during = fs.read_string("state.json").unwrap();
    writer.commit().unwrap();
    assert_eq!(during, "{\"generation\":1}");
}

#[test]
fn fs_writer_two_writers_last_commit_wins_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let mut first = fs.writer("state.json").unwrap();
    let mut second = fs.writer("state.json").unwrap();
    first.write_all(b"first").unwrap();
    second.write_all(b"second").unwrap();
    second.commit().unwrap();
    first.commit().unwrap();
    assert_eq!(
        (fs.read_string("state.json").unwrap(), tmp.names("")),
        ("first".to_owned(), vec!["state.json".to_owned()])
    );
}

// ---------------------------------------------------------------- Fs::writer_with

#[test]
fn fs_writer_with_mode_applies_on_commit_good() {
    let tmp = TempDir::new();
    tmp.file("keys/deploy.pem", "old");
    tmp.chmod("keys/deploy.pem", 0o644);
    let fs = tmp.fs();
    let mut writer = fs
        .writer_with("keys/deploy.pem", WriteOptions::mode(0o600))
        .unwrap();
    writer.write_all(b"new key").unwrap();
    writer.commit().unwrap();
    assert_eq!(tmp.mode("keys/deploy.pem"), 0o600);
}

#[test]
fn fs_writer_with_directory_in_the_way_conflict_bad() {
    let tmp = TempDir::new();
    tmp.dir("exports/report.csv");
    let result = tmp
        .fs()
        .writer_with("exports/report.csv", WriteOptions::fast());
    assert_eq!(
        (code_of(result), tmp.all_temps()),
        (ErrorCode::CONFLICT, Vec::new())
    );
}

#[test]
fn fs_writer_with_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    let result = tmp.fs().writer_with("", WriteOptions::fast());
    assert_eq!(code_of(result), ErrorCode::INVALID);
}

#[test]
fn fs_writer_with_fast_dropped_leaves_nothing_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let mut writer = fs
        .writer_with("cache/thumbs.bin", WriteOptions::fast())
        .unwrap();
    writer.write_all(&[7; 4096]).unwrap();
    drop(writer);
    assert_eq!(tmp.names("cache"), Vec::<String>::new());
}

// ---------------------------------------------------------------- AtomicWriter::commit

#[test]
fn atomic_writer_commit_streams_large_content_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let mut writer: AtomicWriter = fs.writer("media/recording.raw").unwrap();
    let chunk: Vec<u8> = (0..64 * 1024_u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    for _ in 0..256 {
        writer.write_all(&chunk).unwrap();
    }
    writer.commit().unwrap();
    let stat = fs.stat("media/recording.raw").unwrap();
    assert_eq!(stat.len, 256 * 64 * 1024);
}

#[test]
fn atomic_writer_commit_directory_appeared_keeps_it_bad() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let mut writer = fs.writer("exports/report.csv").unwrap();
    writer.write_all(b"id,name\n").unwrap();
    // Another process puts a directory where the file was going.
    tmp.file("exports/report.csv/inner.txt", "kept");
    let result = writer.commit();
    assert_eq!(
        (
            result.is_err(),
            fs::read(tmp.join("exports/report.csv/inner.txt")).unwrap(),
            tmp.names("exports")
        ),
        (true, b"kept".to_vec(), vec!["report.csv".to_owned()])
    );
}

#[test]
fn atomic_writer_commit_nothing_written_empties_file_ugly() {
    let tmp = TempDir::new();
    tmp.file("state.json", "{\"generation\":1}");
    let fs = tmp.fs();
    fs.writer("state.json").unwrap().commit().unwrap();
    assert_eq!(fs.read("state.json").unwrap(), b"");
}

#[test]
fn atomic_writer_commit_parent_removed_fails_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let mut writer = fs.writer("exports/report.csv").unwrap();
    writer.write_all(b"id,name\n").unwrap();
    fs::remove_dir_all(tmp.join("exports")).unwrap();
    assert_eq!(
        (code_of(writer.commit()), tmp.names("")),
        (ErrorCode::NOT_FOUND, Vec::<String>::new())
    );
}
