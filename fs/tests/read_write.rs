//! Reading and writing whole files and streams: [`Fs::read`], [`Fs::read_string`],
//! [`Fs::reader`], [`Fs::write`] and [`Fs::append`], and the empty path refused by each.
//!
//! [`Fs::read`]: corers_fs::Fs::read
//! [`Fs::read_string`]: corers_fs::Fs::read_string
//! [`Fs::reader`]: corers_fs::Fs::reader
//! [`Fs::write`]: corers_fs::Fs::write
//! [`Fs::append`]: corers_fs::Fs::append

mod common;

use std::io::Read as _;
use std::sync::Arc;
use std::thread;

use corers_primitives::ErrorCode;

use common::{TempDir, code_of};

// ---------------------------------------------------------------- Fs::read

#[test]
fn fs_read_returns_written_bytes_good() {
    let tmp = TempDir::new();
    tmp.file("cache/index.bin", [0_u8, 159, 146, 150, 255]);
    assert_eq!(
        tmp.fs().read("cache/index.bin").unwrap(),
        [0_u8, 159, 146, 150, 255]
    );
}

#[test]
fn fs_read_missing_file_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(
        code_of(tmp.fs().read("workspaces/alpha/settings.toml")),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn fs_read_and_delete_failures_say_what_was_being_done_bad() {
    // The messages-only form a command line prints has no operation name: the message
    // itself says what was being done to the path.
    let tmp = TempDir::new();
    let fs = tmp.fs();
    for (err, said) in [
        (
            fs.read("workspaces/alpha/settings.toml").unwrap_err(),
            r#"read "workspaces/alpha/settings.toml": "#,
        ),
        (
            fs.read_string("notes.md").unwrap_err(),
            r#"read "notes.md": "#,
        ),
        (
            fs.delete("workspaces/alpha").unwrap_err(),
            r#"delete "workspaces/alpha": "#,
        ),
    ] {
        let shown = format!("{err:#}");
        assert!(shown.starts_with(said), "{shown}");
    }
}

#[test]
fn fs_read_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().read("")), ErrorCode::INVALID);
}

#[test]
fn fs_read_directory_refused_ugly() {
    let tmp = TempDir::new();
    tmp.dir("workspaces");
    assert_eq!(code_of(tmp.fs().read("workspaces")), ErrorCode::CONFLICT);
}

#[test]
fn fs_append_and_update_refuse_a_pipe_instead_of_blocking_ugly() {
    let tmp = TempDir::new();
    tmp.dir("uploads");
    let made = std::process::Command::new("mkfifo")
        .arg(tmp.join("uploads/drop"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let fs = tmp.fs();
    // In a thread: without the check, opening the pipe waits for its other end.
    let (done, results) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let codes = [
            code_of(fs.append("uploads/drop", b"line\n")),
            code_of(fs.update("uploads/drop", |old| Ok(old.unwrap_or_default()))),
        ];
        let _ = done.send(codes);
    });
    let codes = results
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the calls returned instead of blocking on the pipe");
    assert_eq!(codes, [ErrorCode::INVALID; 2]);
}

#[test]
fn fs_read_root_slash_refused_ugly() {
    let tmp = TempDir::new();
    assert!(tmp.fs().read("/").is_err());
}

// ---------------------------------------------------------------- Fs::read_string

#[test]
fn fs_read_string_returns_text_good() {
    let tmp = TempDir::new();
    tmp.file("notes/plan.md", "ship the workbench \u{2713}\n");
    assert_eq!(
        tmp.fs().read_string("notes/plan.md").unwrap(),
        "ship the workbench \u{2713}\n"
    );
}

#[test]
fn fs_read_string_not_utf8_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("blob.bin", [0xff_u8, 0xfe, 0x00]);
    assert_eq!(
        code_of(tmp.fs().read_string("blob.bin")),
        ErrorCode::INVALID
    );
}

#[test]
fn fs_read_string_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().read_string("")), ErrorCode::INVALID);
}

#[test]
fn fs_read_string_empty_file_ugly() {
    let tmp = TempDir::new();
    tmp.file("empty.txt", "");
    assert_eq!(tmp.fs().read_string("empty.txt").unwrap(), "");
}

// ---------------------------------------------------------------- Fs::reader

#[test]
fn fs_reader_streams_large_file_good() {
    let tmp = TempDir::new();
    let content: Vec<u8> = (0..8 * 1024 * 1024_u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    tmp.file("media/recording.raw", &content);
    let mut reader = tmp.fs().reader("media/recording.raw").unwrap();
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut read = Vec::with_capacity(content.len());
    loop {
        let n = reader.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        read.extend_from_slice(&buffer[..n]);
    }
    assert!(read == content, "the streamed bytes differ from the file");
}

#[test]
fn fs_reader_missing_file_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(
        code_of(tmp.fs().reader("media/missing.raw")),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn fs_reader_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().reader("")), ErrorCode::INVALID);
}

#[test]
fn fs_reader_keeps_old_content_while_file_replaced_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.write("state.json", b"{\"generation\":1}").unwrap();
    let mut reader = fs.reader("state.json").unwrap();
    fs.write("state.json", b"{\"generation\":2,\"longer\":true}")
        .unwrap();
    let mut seen = String::new();
    reader.read_to_string(&mut seen).unwrap();
    assert_eq!(seen, "{\"generation\":1}");
}

// ---------------------------------------------------------------- Fs::write

#[test]
fn fs_write_creates_parents_good() {
    let tmp = TempDir::new();
    tmp.fs()
        .write("workspaces/alpha/settings.toml", b"indexing = true\n")
        .unwrap();
    assert_eq!(
        std::fs::read(tmp.join("workspaces/alpha/settings.toml")).unwrap(),
        b"indexing = true\n"
    );
}

#[test]
fn fs_write_replaces_longer_content_good() {
    let tmp = TempDir::new();
    tmp.file("settings.toml", "indexing = true\nthreads = 16\n");
    tmp.fs().write("settings.toml", b"threads = 2\n").unwrap();
    assert_eq!(
        std::fs::read(tmp.join("settings.toml")).unwrap(),
        b"threads = 2\n"
    );
}

#[test]
fn fs_write_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(
        (code_of(tmp.fs().write("", b"x")), tmp.names("")),
        (ErrorCode::INVALID, Vec::<String>::new())
    );
}

#[test]
fn fs_write_root_slash_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().write("/", b"x")), ErrorCode::INVALID);
}

#[test]
fn fs_write_under_a_file_conflict_bad() {
    let tmp = TempDir::new();
    tmp.file("notes", "a file, not a directory");
    assert_eq!(
        code_of(tmp.fs().write("notes/plan.md", b"x")),
        ErrorCode::CONFLICT
    );
}

#[test]
fn fs_write_new_file_mode_as_any_new_file_good() {
    let tmp = TempDir::new();
    tmp.fs().write("report.txt", b"x").unwrap();
    // What the umask gives a file std creates (0o644 under the usual 022).
    std::fs::File::create(tmp.join("reference.txt")).unwrap();
    assert_eq!(tmp.mode("report.txt"), tmp.mode("reference.txt"));
}

#[test]
fn fs_write_keeps_existing_mode_good() {
    let tmp = TempDir::new();
    tmp.file("id_ed25519", "old key");
    tmp.chmod("id_ed25519", 0o600);
    tmp.fs().write("id_ed25519", b"new key").unwrap();
    assert_eq!(tmp.mode("id_ed25519"), 0o600);
}

#[test]
fn fs_write_drops_a_sticky_bit_from_the_replaced_file_ugly() {
    // The sticky bit means nothing on a file, and macOS and the BSDs refuse to set it on
    // one (EFTYPE): a write there would fail for a bit nobody needs.
    let tmp = TempDir::new();
    tmp.file("notes.txt", "old");
    tmp.chmod("notes.txt", 0o1640);
    tmp.fs().write("notes.txt", b"new").unwrap();
    assert_eq!(tmp.mode("notes.txt"), 0o640);
}

#[test]
fn fs_write_empty_contents_ugly() {
    let tmp = TempDir::new();
    tmp.file("truncate-me.log", "lots of lines\n");
    tmp.fs().write("truncate-me.log", b"").unwrap();
    assert_eq!(
        std::fs::metadata(tmp.join("truncate-me.log"))
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn fs_write_leaves_no_temp_file_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    for n in 0..20 {
        fs.write("counters/builds", n.to_string().as_bytes())
            .unwrap();
    }
    assert_eq!(tmp.names("counters"), ["builds"]);
}

#[test]
fn fs_write_unicode_name_ugly() {
    let tmp = TempDir::new();
    tmp.fs()
        .write("d\u{e9}j\u{e0} vu/\u{1f680} launch.md", b"go")
        .unwrap();
    assert_eq!(
        std::fs::read(tmp.join("d\u{e9}j\u{e0} vu/\u{1f680} launch.md")).unwrap(),
        b"go"
    );
}

// ---------------------------------------------------------------- Fs::append

#[test]
fn fs_append_creates_then_appends_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.append("logs/deploy.log", b"started\n").unwrap();
    fs.append("logs/deploy.log", b"finished\n").unwrap();
    assert_eq!(
        fs.read_string("logs/deploy.log").unwrap(),
        "started\nfinished\n"
    );
}

#[test]
fn fs_append_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().append("", b"x")), ErrorCode::INVALID);
}

#[test]
fn fs_append_to_directory_refused_bad() {
    let tmp = TempDir::new();
    tmp.dir("logs");
    assert!(tmp.fs().append("logs", b"x").is_err());
}

#[test]
fn fs_append_keeps_mode_of_existing_file_good() {
    let tmp = TempDir::new();
    tmp.file("audit.log", "first\n");
    tmp.chmod("audit.log", 0o600);
    tmp.fs().append("audit.log", b"second\n").unwrap();
    assert_eq!(tmp.mode("audit.log"), 0o600);
}

#[test]
fn fs_append_from_many_threads_keeps_every_line_whole_ugly() {
    let tmp = TempDir::new();
    let fs = Arc::new(tmp.fs());
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let fs = Arc::clone(&fs);
            thread::spawn(move || {
                for n in 0..100 {
                    let line = format!("worker {worker} line {n:03}\n");
                    fs.append("journal.log", line.as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let text = fs.read_string("journal.log").unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut expected: Vec<String> = (0..8)
        .flat_map(|w| (0..100).map(move |n| format!("worker {w} line {n:03}")))
        .collect();
    expected.sort_unstable();
    assert_eq!(lines, expected);
}

// ---------------------------------------------------------------- symlinks inside the root

/// `logs/current -> ../releases/v2/app.log`, all inside the root.
fn current_log(tmp: &TempDir) {
    tmp.file("releases/v2/app.log", "started\n");
    tmp.dir("logs");
    tmp.symlink("logs/current", "../releases/v2/app.log");
}

#[test]
fn fs_append_through_symlink_inside_root_good() {
    let tmp = TempDir::new();
    current_log(&tmp);
    tmp.fs().append("logs/current", b"ready\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(tmp.join("releases/v2/app.log")).unwrap(),
        "started\nready\n"
    );
}

// ---------------------------------------------------------------- names the writes keep

#[test]
fn fs_write_reserved_names_invalid_bad() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let codes = [
        code_of(fs.write(".corers-tmp-notes", b"keep")),
        code_of(fs.append("state/.corers-lock-1", b"x")),
        code_of(fs.update(".corers-tmp-1-x", |_| Ok(Vec::new()))),
    ];
    assert_eq!(
        codes,
        [ErrorCode::INVALID, ErrorCode::INVALID, ErrorCode::INVALID]
    );
    assert!(tmp.names("").is_empty(), "{:?}", tmp.names(""));
}

#[test]
fn fs_write_leaves_a_foreign_file_named_like_a_temp_alone_ugly() {
    let tmp = TempDir::new();
    // Not a writer's (no process id in its name): cleanup must not take it.
    tmp.file("state/.corers-tmp-notes", "keep");
    tmp.fs().write("state/a", b"x").unwrap();
    assert_eq!(
        std::fs::read_to_string(tmp.join("state/.corers-tmp-notes")).unwrap(),
        "keep"
    );
}

#[test]
fn fs_write_path_written_as_a_directory_refused_bad() {
    let tmp = TempDir::new();
    tmp.file("notes.txt", "kept");
    let fs = tmp.fs();
    for path in ["notes/", "notes.txt/", "drafts/notes.txt/."] {
        assert_eq!(code_of(fs.write(path, b"x")), ErrorCode::INVALID, "{path}");
        assert_eq!(code_of(fs.append(path, b"x")), ErrorCode::INVALID, "{path}");
        assert_eq!(code_of(fs.read(path)), ErrorCode::INVALID, "{path}");
        assert_eq!(code_of(fs.reader(path)), ErrorCode::INVALID, "{path}");
        let updated = fs.update(path, |_| panic!("the change is not asked for"));
        assert_eq!(code_of(updated), ErrorCode::INVALID, "{path}");
    }
    // Nothing made: no file `notes`, no directory `drafts`.
    assert_eq!(tmp.names(""), ["notes.txt"]);
    assert_eq!(fs.read_string("notes.txt").unwrap(), "kept");
    // A directory's own operations take the form.
    fs.ensure_dir("notes/").unwrap();
    assert!(fs.is_dir("notes/"));
}

#[test]
fn fs_delete_rename_stat_of_a_file_written_as_a_directory_refused_ugly() {
    // std's ENOTDIR: `a.txt/` is no name for the file a.txt.
    let tmp = TempDir::new();
    tmp.file("notes.txt", "kept");
    tmp.file("drafts/plan.md", "plan");
    let fs = tmp.fs();
    assert_eq!(code_of(fs.delete("notes.txt/")), ErrorCode::CONFLICT);
    assert_eq!(code_of(fs.delete_all("notes.txt/")), ErrorCode::CONFLICT);
    assert_eq!(
        code_of(fs.rename("notes.txt/", "moved.txt")),
        ErrorCode::CONFLICT
    );
    assert_eq!(
        code_of(fs.rename("notes.txt", "moved/")),
        ErrorCode::CONFLICT
    );
    assert_eq!(code_of(fs.stat("notes.txt/")), ErrorCode::CONFLICT);
    assert!(!fs.exists("notes.txt/") && !fs.is_file("notes.txt/"));
    assert_eq!(fs.read_string("notes.txt").unwrap(), "kept");
    // A directory written so is one.
    assert!(fs.exists("drafts/") && fs.is_dir("drafts/"));
    fs.rename("drafts/", "archive/").unwrap();
    fs.delete_all("archive/").unwrap();
    assert_eq!(tmp.names(""), ["notes.txt"]);
}

#[test]
fn fs_write_link_to_a_private_file_elsewhere_keeps_its_mode_good() {
    let tmp = TempDir::new();
    tmp.file("secrets/token", "old");
    tmp.chmod("secrets/token", 0o600);
    tmp.dir("app");
    tmp.symlink("app/token", "../secrets/token");
    tmp.fs().write("app/token", b"rotated").unwrap();
    // In a sandbox the link is replaced (its target left as it was), by a file as private
    // as the one it led to, as when the link leads to a file beside it.
    assert_eq!(tmp.mode("app/token"), 0o600);
    assert_eq!(std::fs::read(tmp.join("secrets/token")).unwrap(), b"old");
}

#[test]
fn fs_write_link_to_a_set_id_file_of_another_owner_hands_on_neither_ugly() {
    // A link planted in an upload directory, to a set-user-id program owned by someone
    // else: the file replacing the link is the writer's own, without the set-id bit.
    use std::os::unix::fs::MetadataExt as _;
    let tmp = TempDir::new();
    let helper = tmp.file("bin/helper", "#!/bin/sh\n");
    // Root can make it another's; anyone else still has their own set-id file.
    let _ = std::os::unix::fs::chown(&helper, Some(4321), Some(4322));
    tmp.chmod("bin/helper", 0o4755);
    tmp.symlink("uploads/avatar.png", "../bin/helper");
    tmp.fs().write("uploads/avatar.png", b"planted").unwrap();
    let mine = std::fs::metadata(tmp.file("made-by-me", "")).unwrap();
    let written = std::fs::symlink_metadata(tmp.join("uploads/avatar.png")).unwrap();
    assert!(written.is_file());
    assert_eq!((written.uid(), written.gid()), (mine.uid(), mine.gid()));
    assert_eq!(tmp.mode("uploads/avatar.png"), 0o755);
    // The program the link led to is left as it was.
    assert_eq!(tmp.mode("bin/helper"), 0o4755);
    assert_eq!(std::fs::read(&helper).unwrap(), b"#!/bin/sh\n");
}

#[test]
fn fs_write_link_to_a_directory_elsewhere_conflict_bad() {
    let tmp = TempDir::new();
    tmp.dir("releases/v2");
    tmp.dir("app");
    tmp.symlink("app/current", "../releases/v2");
    assert_eq!(
        common::code_of(tmp.fs().write("app/current", b"x")),
        ErrorCode::CONFLICT
    );
    assert!(
        std::fs::symlink_metadata(tmp.join("app/current"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn fs_write_while_a_temp_name_flips_to_a_fifo_does_not_hang_ugly() {
    // A co-tenant of the directory swapping a FIFO and a file under a temporary file's
    // name: the sweep after each write must never wait on the FIFO.
    let tmp = TempDir::new();
    tmp.dir("state");
    let (fifo, file) = (tmp.join("state/fifo"), tmp.join("state/file"));
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        return;
    }
    let swapped = tmp.join("state/.corers-tmp-1-x");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let stop = std::sync::Arc::clone(&stop);
        thread::spawn(move || {
            // The name holds a file or the FIFO, each put in place by a rename.
            let linked = fifo.with_extension("linked");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::write(&file, b"");
                let _ = std::fs::rename(&file, &swapped);
                let _ = std::fs::hard_link(&fifo, &linked);
                let _ = std::fs::rename(&linked, &swapped);
            }
        })
    };
    let fs = tmp.fs();
    let (done, wait) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for i in 0..2000 {
            if let Err(e) = fs.write_with(
                "state/a",
                format!("{i}").as_bytes(),
                corers_fs::WriteOptions::fast(),
            ) {
                let _ = done.send(Err(e));
                return;
            }
        }
        let _ = done.send(Ok(()));
    });
    let written = wait.recv_timeout(std::time::Duration::from_secs(30));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    written.expect("every write finished").unwrap();
}

#[test]
fn fs_write_beside_a_fifo_named_like_a_temp_does_not_hang_ugly() {
    let tmp = TempDir::new();
    tmp.dir("state");
    let made = std::process::Command::new("mkfifo")
        .arg(tmp.join("state/.corers-tmp-1-x"))
        .status();
    if !made.is_ok_and(|status| status.success()) {
        return;
    }
    let fs = tmp.fs();
    let (done, wait) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(fs.write("state/a", b"x"));
    });
    let written = wait
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the write finished");
    written.unwrap();
    assert_eq!(std::fs::read(tmp.join("state/a")).unwrap(), b"x");
}
