//! The sandbox attack suite, in real temporary directories: `..` chains, absolute paths,
//! symlinks to `/etc`, relative symlinks climbing out, symlink loops, a symlinked directory
//! in the middle of a path, NUL and over-long names — each refused, nothing outside the root
//! read, written or deleted — plus [`Fs::new`], [`Fs::root`], [`Fs::with_log`] and
//! [`Fs::is_unrestricted`].

mod common;

use std::fs;
use std::path::Path;

use corers_fs::Fs;
use corers_log::{Logger, MemorySink, Output};
use corers_primitives::ErrorCode;

use common::{SECRET, SECRET_MARK, Sandbox, TempDir, assert_denied, code_of, error_of};

/// A sandbox that records to the returned sink.
fn logged(sandbox: &Sandbox) -> (Fs, MemorySink) {
    let sink = MemorySink::new();
    let log = Logger::builder()
        .output(Output::Memory(sink.clone()))
        .build();
    (sandbox.fs.clone().with_log(log), sink)
}

// ---------------------------------------------------------------- `..` chains

#[test]
fn fs_read_dotdot_chain_denied_bad() {
    let sandbox = Sandbox::new();
    assert_denied(sandbox.fs.read("../../etc/passwd"), "../../etc/passwd");
}

#[test]
fn fs_read_dotdot_to_outside_sentinel_denied_bad() {
    let sandbox = Sandbox::new();
    assert_denied(
        sandbox.fs.read("../outside/secret.txt"),
        "../outside/secret.txt",
    );
}

#[test]
fn fs_read_dotdot_after_name_climbing_out_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.dir("a");
    assert_denied(sandbox.fs.read("a/../../x"), "a/../../x");
}

#[test]
fn fs_write_dotdot_chain_leaves_outside_untouched_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.write("../outside/secret.txt", b"overwritten");
    assert_denied(result, "../outside/secret.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_write_dotdot_new_file_creates_nothing_outside_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.write("a/../../outside/planted.txt", b"planted");
    assert_denied(result, "a/../../outside/planted.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_delete_dotdot_chain_leaves_sentinel_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.delete("../outside/secret.txt");
    assert_denied(result, "../outside/secret.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_delete_all_dotdot_chain_leaves_outside_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.delete_all("../outside");
    assert_denied(result, "../outside");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_append_dotdot_chain_leaves_sentinel_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.append("../outside/secret.txt", b"appended");
    assert_denied(result, "../outside/secret.txt");
    sandbox.assert_outside_untouched();
}

// ---------------------------------------------------------------- absolute paths

#[test]
fn fs_read_absolute_path_reads_under_root_good() {
    let sandbox = Sandbox::new();
    sandbox.file(
        "etc/passwd",
        "workbench:x:1000:1000::/home/workbench:/bin/sh\n",
    );
    assert_eq!(
        sandbox.fs.read_string("/etc/passwd").unwrap(),
        "workbench:x:1000:1000::/home/workbench:/bin/sh\n"
    );
}

#[test]
fn fs_read_absolute_path_never_reads_real_file_bad() {
    let sandbox = Sandbox::new();
    assert_eq!(
        code_of(sandbox.fs.read("/etc/passwd")),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn fs_read_absolute_path_of_outside_sentinel_not_found_bad() {
    let sandbox = Sandbox::new();
    let outside = sandbox.outside().join("secret.txt");
    let result = sandbox.fs.read(outside.to_str().unwrap());
    assert_eq!(code_of(result), ErrorCode::NOT_FOUND);
}

#[test]
fn fs_write_absolute_path_lands_under_root_good() {
    let sandbox = Sandbox::new();
    let name = format!(
        "corers-fs-test-{}-{}",
        std::process::id(),
        corers_primitives::id()
    );
    sandbox
        .fs
        .write(&format!("/etc/{name}"), b"inside the sandbox")
        .unwrap();
    assert_eq!(
        (
            fs::read(sandbox.root().join("etc").join(&name)).unwrap(),
            Path::new("/etc").join(&name).exists()
        ),
        (b"inside the sandbox".to_vec(), false)
    );
}

#[test]
fn fs_write_absolute_path_of_outside_sentinel_stays_inside_ugly() {
    let sandbox = Sandbox::new();
    let outside = sandbox.outside().join("secret.txt");
    let path = outside.to_str().unwrap();
    sandbox.fs.write(path, b"inside").unwrap();
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_read_repeated_slashes_mean_root_ugly() {
    let sandbox = Sandbox::new();
    sandbox.file("notes/plan.md", "ship it");
    assert_eq!(
        sandbox.fs.read_string("///notes//plan.md").unwrap(),
        "ship it"
    );
}

// ---------------------------------------------------------------- links inside the root

#[test]
fn fs_read_through_relative_link_inside_the_root_good() {
    let sandbox = Sandbox::new();
    sandbox.file("releases/v2/app.toml", "port = 8080\n");
    sandbox.symlink("current", "releases/v2");
    assert_eq!(
        sandbox.fs.read_string("current/app.toml").unwrap(),
        "port = 8080\n"
    );
}

#[test]
fn fs_read_through_absolute_link_inside_the_root_denied_ugly() {
    // As documented: an absolute target is refused even when it lies inside the root.
    let sandbox = Sandbox::new();
    sandbox.file("releases/v2/app.toml", "port = 8080\n");
    sandbox.symlink("current", sandbox.root().join("releases/v2"));
    assert_denied(sandbox.fs.read("current/app.toml"), "current/app.toml");
}

// ---------------------------------------------------------------- symlinks to /etc

#[test]
fn fs_read_through_symlink_to_etc_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("system", "/etc");
    assert_denied(sandbox.fs.read("system/passwd"), "system/passwd");
}

#[test]
fn fs_read_symlink_to_etc_passwd_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("passwd", "/etc/passwd");
    assert_denied(sandbox.fs.read("passwd"), "passwd");
}

#[test]
fn fs_list_symlink_to_etc_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("system", "/etc");
    assert_denied(sandbox.fs.list("system"), "system");
}

#[test]
fn fs_write_through_symlink_to_etc_creates_nothing_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("system", "/etc");
    let name = format!(
        "corers-fs-test-{}-{}",
        std::process::id(),
        corers_primitives::id()
    );
    let result = sandbox.fs.write(&format!("system/{name}"), b"planted");
    let planted = Path::new("/etc").join(&name);
    let escaped = planted.exists();
    if escaped {
        let _ = fs::remove_file(&planted);
    }
    assert_eq!((result.is_err(), escaped), (true, false));
}

#[test]
fn fs_write_through_symlink_to_etc_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("system", "/etc");
    let name = format!(
        "corers-fs-test-{}-{}",
        std::process::id(),
        corers_primitives::id()
    );
    let path = format!("system/{name}");
    let result = sandbox.fs.write(&path, b"planted");
    let _ = fs::remove_file(Path::new("/etc").join(&name));
    assert_denied(result, &path);
}

// ---------------------------------------------------------------- symlinks out of the root

#[test]
fn fs_read_relative_symlink_climbing_out_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("deep/er/out", "../../../outside");
    assert_denied(
        sandbox.fs.read("deep/er/out/secret.txt"),
        "deep/er/out/secret.txt",
    );
}

#[test]
fn fs_read_absolute_symlink_to_sentinel_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", sandbox.outside().join("secret.txt"));
    assert_denied(sandbox.fs.read("secret"), "secret");
}

#[test]
fn fs_read_symlink_chain_ending_outside_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("one", "two");
    sandbox.symlink("two", "three");
    sandbox.symlink("three", "../outside/secret.txt");
    assert_denied(sandbox.fs.read("one"), "one");
}

#[test]
fn fs_read_symlink_climbing_out_and_back_in_never_reads_outside_ugly() {
    let sandbox = Sandbox::new();
    sandbox.file("real.txt", "inside");
    // Climbs out of the root and back into it by name: never reads outside, and is refused
    // rather than resolved by text.
    sandbox.symlink("roundtrip", "../root/real.txt");
    assert_eq!(code_of(sandbox.fs.read("roundtrip")), ErrorCode::DENIED);
}

#[test]
fn fs_read_symlink_inside_root_good() {
    let sandbox = Sandbox::new();
    sandbox.file("settings/current.toml", "indexing = true\n");
    sandbox.symlink("active.toml", "settings/current.toml");
    assert_eq!(
        sandbox.fs.read_string("active.toml").unwrap(),
        "indexing = true\n"
    );
}

#[test]
fn fs_append_through_symlink_to_sentinel_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("journal", "../outside/secret.txt");
    assert_denied(sandbox.fs.append("journal", b"appended"), "journal");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_write_over_symlink_to_sentinel_replaces_link_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", sandbox.outside().join("secret.txt"));
    sandbox.fs.write("secret", b"inside").unwrap();
    assert_eq!(
        (
            fs::read(sandbox.root().join("secret")).unwrap(),
            sandbox.outside_untouched()
        ),
        (b"inside".to_vec(), true)
    );
}

#[cfg(unix)]
#[test]
fn fs_write_over_symlink_leading_outside_is_owner_only_ugly() {
    use std::os::unix::fs::PermissionsExt as _;
    let sandbox = Sandbox::new();
    sandbox.symlink("keys/api", sandbox.outside().join("secret.txt"));
    sandbox.symlink("keys/gone", "missing.key");
    for link in ["keys/api", "keys/gone"] {
        sandbox.fs.write(link, b"sk_live_51H").unwrap();
        let written = fs::symlink_metadata(sandbox.root().join(link)).unwrap();
        assert!(written.is_file(), "{link}");
        assert_eq!(written.permissions().mode() & 0o777, 0o600, "{link}");
    }
    assert!(sandbox.outside_untouched());
}

#[test]
fn fs_delete_symlink_to_sentinel_removes_link_only_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("secret", sandbox.outside().join("secret.txt"));
    sandbox.fs.delete("secret").unwrap();
    assert_eq!(
        (
            sandbox.root().join("secret").symlink_metadata().is_err(),
            sandbox.outside_untouched()
        ),
        (true, true)
    );
}

// ---------------------------------------------------------------- symlink loops

#[test]
fn fs_read_symlink_loop_refused_naming_path_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("a", "b");
    sandbox.symlink("b", "a");
    let err = error_of(sandbox.fs.read("a"));
    assert!(err.to_string().contains("\"a\""), "{err}");
}

#[test]
fn fs_write_through_symlink_loop_creates_nothing_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("a", "b");
    sandbox.symlink("b", "a");
    let result = sandbox.fs.write("a/inner.txt", b"x");
    assert_eq!(
        (result.is_err(), common::names_in(&sandbox.root())),
        (true, vec!["a".to_owned(), "b".to_owned()])
    );
}

#[test]
fn fs_list_symlink_loop_refused_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("a", "b");
    sandbox.symlink("b", "a");
    assert!(sandbox.fs.list("a").is_err());
}

// ---------------------------------------------------------------- a symlinked directory mid-path

#[test]
fn fs_read_symlinked_dir_mid_path_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    assert_denied(
        sandbox.fs.read("projects/shared/dir/nested.txt"),
        "projects/shared/dir/nested.txt",
    );
}

#[test]
fn fs_stat_symlinked_dir_mid_path_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    assert_denied(
        sandbox.fs.stat("projects/shared/secret.txt"),
        "projects/shared/secret.txt",
    );
}

#[test]
fn fs_list_symlinked_dir_mid_path_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", "../../outside");
    assert_denied(
        sandbox.fs.list("projects/shared/dir"),
        "projects/shared/dir",
    );
}

#[test]
fn fs_exists_symlinked_dir_mid_path_false_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    assert!(!sandbox.fs.exists("projects/shared/only-outside.txt"));
}

#[test]
fn fs_write_symlinked_dir_mid_path_creates_nothing_outside_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    let result = sandbox.fs.write("projects/shared/planted.txt", b"planted");
    assert_eq!((result.is_err(), sandbox.outside_untouched()), (true, true));
}

#[test]
fn fs_write_symlinked_dir_mid_path_keeps_sentinel_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", "../../outside");
    let result = sandbox
        .fs
        .write("projects/shared/secret.txt", b"overwritten");
    assert_eq!((result.is_err(), sandbox.outside_untouched()), (true, true));
}

#[test]
fn fs_write_symlinked_dir_mid_path_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    assert_denied(
        sandbox.fs.write("projects/shared/planted.txt", b"planted"),
        "projects/shared/planted.txt",
    );
}

#[test]
fn fs_append_symlinked_dir_mid_path_denied_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    assert_denied(
        sandbox.fs.append("projects/shared/secret.txt", b"appended"),
        "projects/shared/secret.txt",
    );
}

#[test]
fn fs_delete_symlinked_dir_mid_path_keeps_sentinel_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    let result = sandbox.fs.delete("projects/shared/secret.txt");
    assert_denied(result, "projects/shared/secret.txt");
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_delete_all_symlinked_dir_mid_path_keeps_outside_bad() {
    let sandbox = Sandbox::new();
    sandbox.symlink("projects/shared", sandbox.outside());
    let result = sandbox.fs.delete_all("projects/shared/dir");
    assert_denied(result, "projects/shared/dir");
    sandbox.assert_outside_untouched();
}

// ---------------------------------------------------------------- NUL and long names

#[test]
fn fs_read_nul_in_name_invalid_bad() {
    let sandbox = Sandbox::new();
    sandbox.file("a", "inside");
    assert_eq!(code_of(sandbox.fs.read("a\0b")), ErrorCode::INVALID);
}

#[test]
fn fs_write_nul_in_name_invalid_bad() {
    let sandbox = Sandbox::new();
    let result = sandbox.fs.write("notes\0/../../outside/secret.txt", b"x");
    assert_eq!(
        (code_of(result), common::names_in(&sandbox.root()).len()),
        (ErrorCode::INVALID, 0)
    );
}

#[test]
fn fs_read_name_over_255_bytes_invalid_bad() {
    let sandbox = Sandbox::new();
    let name = "n".repeat(256);
    assert_eq!(code_of(sandbox.fs.read(&name)), ErrorCode::INVALID);
}

#[test]
fn fs_write_name_over_255_bytes_invalid_bad() {
    let sandbox = Sandbox::new();
    // 86 three-byte characters: 258 bytes in a single name.
    let name = format!("notes/{}", "\u{20ac}".repeat(86));
    assert_eq!(
        (
            code_of(sandbox.fs.write(&name, b"x")),
            sandbox.tmp.all_temps()
        ),
        (ErrorCode::INVALID, Vec::new())
    );
}

#[test]
fn fs_write_name_of_255_bytes_good() {
    let sandbox = Sandbox::new();
    // The temporary file's name is longer than the target's: 255 bytes must still work.
    let name = "n".repeat(255);
    sandbox.fs.write(&name, b"at the limit").unwrap();
    assert_eq!(sandbox.fs.read(&name).unwrap(), b"at the limit");
}

#[test]
fn fs_write_path_over_path_max_invalid_ugly() {
    let sandbox = Sandbox::new();
    // 6001 bytes of path: past PATH_MAX, though every name in it is short.
    let path = format!("{}x", "a/".repeat(3000));
    assert_eq!(code_of(sandbox.fs.write(&path, b"x")), ErrorCode::INVALID);
}

// ---------------------------------------------------------------- the audit trail

#[test]
fn fs_with_log_escape_recorded_as_security_event_good() {
    let sandbox = Sandbox::new();
    let (fs, sink) = logged(&sandbox);
    assert_eq!(code_of(fs.read("../../etc/passwd")), ErrorCode::DENIED);
    let contents = sink.contents();
    assert!(
        contents.contains("[security]")
            && contents.contains("event=fs.sandbox_escape")
            && contents.contains("../../etc/passwd"),
        "{contents}"
    );
}

#[test]
fn fs_with_log_symlink_escape_recorded_good() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    let (fs, sink) = logged(&sandbox);
    assert_eq!(code_of(fs.read("shared/secret.txt")), ErrorCode::DENIED);
    assert!(
        sink.contents().contains("event=fs.sandbox_escape"),
        "{}",
        sink.contents()
    );
}

#[test]
fn fs_exists_through_an_escaping_symlink_is_false_and_recorded_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    let (fs, sink) = logged(&sandbox);
    assert!(!fs.exists("shared/secret.txt"));
    assert!(!fs.is_file("shared/secret.txt"));
    assert!(!fs.is_dir("shared"));
    let contents = sink.contents();
    assert_eq!(
        contents.matches("event=fs.sandbox_escape").count(),
        3,
        "{contents}"
    );
    // Inside the root nothing is recorded.
    sandbox.file("notes.md", "inside");
    sink.clear();
    assert!(fs.exists("notes.md") && fs.is_file("notes.md"));
    assert!(!fs.exists("missing.md"));
    assert_eq!(sink.contents(), "");
}

#[test]
fn fs_with_log_in_root_read_not_recorded_bad() {
    let sandbox = Sandbox::new();
    sandbox.file("notes.md", "inside");
    let (fs, sink) = logged(&sandbox);
    fs.read("notes.md").unwrap();
    assert!(
        !sink.contents().contains("sandbox_escape"),
        "{}",
        sink.contents()
    );
}

#[test]
fn fs_with_log_original_handle_stays_silent_ugly() {
    let sandbox = Sandbox::new();
    let (logged_fs, sink) = logged(&sandbox);
    assert_eq!(
        code_of(sandbox.fs.read("../outside/secret.txt")),
        ErrorCode::DENIED
    );
    drop(logged_fs);
    assert_eq!(sink.contents(), "");
}

#[test]
fn fs_with_log_write_through_symlinked_dir_recorded_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    let (fs, sink) = logged(&sandbox);
    assert_eq!(
        code_of(fs.write("shared/planted.txt", b"planted")),
        ErrorCode::DENIED
    );
    assert!(!sandbox.outside().join("planted.txt").exists());
    sandbox.assert_outside_untouched();
    assert!(
        sink.contents().contains("event=fs.sandbox_escape"),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- Fs::new, root, is_unrestricted

#[test]
fn fs_new_existing_dir_good() {
    let tmp = TempDir::new();
    let fs = Fs::new(tmp.path()).unwrap();
    fs.write("hello.txt", b"hi").unwrap();
    assert_eq!(fs::read(tmp.join("hello.txt")).unwrap(), b"hi");
}

#[test]
fn fs_new_missing_root_not_found_bad() {
    let tmp = TempDir::new();
    let err = error_of(Fs::new(tmp.join("missing")));
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn fs_new_file_as_root_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("plain.txt", "not a directory");
    let err = error_of(Fs::new(tmp.join("plain.txt")));
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn fs_new_symlinked_root_allowed_ugly() {
    let tmp = TempDir::new();
    tmp.dir("real");
    tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::new(tmp.join("alias")).unwrap();
    fs.write("note.txt", b"through the alias").unwrap();
    assert_eq!(
        fs::read(tmp.join("real/note.txt")).unwrap(),
        b"through the alias"
    );
}

#[test]
fn fs_root_resolved_at_construction_good() {
    let tmp = TempDir::new();
    tmp.dir("real/workspace");
    tmp.symlink("alias", tmp.join("real"));
    let fs = Fs::new(tmp.join("alias/./workspace")).unwrap();
    assert_eq!(
        fs.root(),
        fs::canonicalize(tmp.join("real/workspace")).unwrap()
    );
}

#[test]
fn fs_root_not_the_requested_spelling_bad() {
    let tmp = TempDir::new();
    tmp.dir("workspace");
    let spelled = tmp.join("workspace/../workspace");
    let fs = Fs::new(&spelled).unwrap();
    assert_ne!(fs.root(), spelled.as_path());
}

#[test]
fn fs_root_of_unrestricted_is_slash_ugly() {
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(fs.root(), Path::new("/"));
}

#[test]
fn fs_is_unrestricted_for_unrestricted_good() {
    assert!(Fs::unrestricted().unwrap().is_unrestricted());
}

#[test]
fn fs_is_unrestricted_for_sandbox_bad() {
    let tmp = TempDir::new();
    assert!(!tmp.fs().is_unrestricted());
}

#[test]
fn fs_is_unrestricted_sandbox_rooted_at_slash_ugly() {
    // A sandbox whose root is `/` reaches everything, but it was not asked for as such.
    assert!(!Fs::new("/").unwrap().is_unrestricted());
}

#[test]
fn fs_read_returns_no_outside_content_through_any_attack_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("abs", sandbox.outside());
    sandbox.symlink("rel", "../outside");
    sandbox.symlink("file", "../outside/secret.txt");
    sandbox.symlink("loop", "loop");
    let attacks = [
        "../outside/secret.txt",
        "abs/secret.txt",
        "rel/secret.txt",
        "rel/dir/nested.txt",
        "file",
        "loop/../rel/secret.txt",
        "./abs/../rel/secret.txt",
        "abs/dir/../secret.txt",
    ];
    let leaked: Vec<&str> = attacks
        .iter()
        .copied()
        .filter(|path| {
            sandbox
                .fs
                .read(path)
                .is_ok_and(|bytes| bytes.windows(SECRET_MARK.len()).any(|w| w == SECRET_MARK))
        })
        .collect();
    assert!(leaked.is_empty(), "read {SECRET:?} through {leaked:?}");
}
