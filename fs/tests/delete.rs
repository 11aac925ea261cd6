//! Deleting: [`Fs::delete`] (files and empty directories) and [`Fs::delete_all`] (trees),
//! which refuses the sandbox root, the machine's `/` and the user's home — the last two
//! checked in child processes of this test binary, with `HOME` pointing at a directory
//! made for the test — and [`Fs::unrestricted`].
//!
//! [`Fs::delete`]: corers_fs::Fs::delete
//! [`Fs::delete_all`]: corers_fs::Fs::delete_all
//! [`Fs::unrestricted`]: corers_fs::Fs::unrestricted

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use corers_fs::Fs;
use corers_primitives::ErrorCode;

use common::{Sandbox, TempDir, assert_denied, child, code_of};

/// Set in a child: the path to `delete_all`.
const TARGET_VAR: &str = "CORERS_FS_TEST_DELETE_ALL";
/// Set in a child: the sandbox root (absent: `Fs::unrestricted()`).
const ROOT_VAR: &str = "CORERS_FS_TEST_SANDBOX_ROOT";
/// Set in a child to `delete`: it deletes with `Fs::delete` instead.
const OP_VAR: &str = "CORERS_FS_TEST_DELETE_OP";
/// How a child reports what `delete_all` did.
const OUTCOME: &str = "delete_all outcome: ";

/// In a child started by [`delete_all_in_child`]: runs `delete_all` and prints the outcome
/// (`deleted`, or the code and whether the error came from the OS). False in the parent.
fn delete_all_child() -> bool {
    let Ok(target) = std::env::var(TARGET_VAR) else {
        return false;
    };
    let fs = match std::env::var(ROOT_VAR) {
        Ok(root) => Fs::new(root).unwrap(),
        Err(_) => Fs::unrestricted().unwrap(),
    };
    let deleted = if std::env::var(OP_VAR).as_deref() == Ok("delete") {
        fs.delete(&target)
    } else {
        fs.delete_all(&target)
    };
    let outcome = match deleted {
        Ok(()) => "deleted".to_owned(),
        Err(err) => format!(
            "{} {}",
            err.code().map_or("NO_CODE", |c| c.as_str()),
            if err.cause().is_some() {
                "from-os"
            } else {
                "refused"
            }
        ),
    };
    println!("{OUTCOME}{outcome}");
    true
}

/// Runs the test `test` again in a child with `HOME` set to `home`, where it deletes
/// `target` (beneath `root`, or unrestricted); returns the outcome it printed.
fn delete_all_in_child(
    test: &str,
    mut command: Command,
    home: &Path,
    root: Option<&Path>,
    target: &str,
) -> String {
    command.env("HOME", home).env(TARGET_VAR, target);
    if !command.get_envs().any(|(key, _)| key == "CORE_HOME") {
        command.env_remove("CORE_HOME");
    }
    match root {
        Some(root) => command.env(ROOT_VAR, root),
        None => command.env_remove(ROOT_VAR),
    };
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child {test} failed: {stdout}");
    stdout
        .lines()
        .find_map(|line| line.split_once(OUTCOME).map(|(_, outcome)| outcome))
        .unwrap_or_else(|| panic!("child {test} reported nothing: {stdout}"))
        .to_owned()
}

/// A child that cannot do much harm should `delete_all("/")` ever get through: run as
/// `nobody` when this process is root and `setpriv` is there.
fn harmless_child(test: &str) -> Command {
    let root = fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    });
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(root && setpriv) {
        return child(test);
    }
    let inner = child(test);
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(inner.get_program())
        .args(inner.get_args());
    command
}

/// A home directory with a file in it, inside `tmp`.
fn home_in(tmp: &TempDir) -> std::path::PathBuf {
    tmp.file("home/.profile", "export EDITOR=vi\n");
    fs::canonicalize(tmp.join("home")).unwrap()
}

// ---------------------------------------------------------------- Fs::delete

#[test]
fn fs_delete_file_good() {
    let tmp = TempDir::new();
    tmp.file("inbox/report.txt", "quarterly");
    tmp.fs().delete("inbox/report.txt").unwrap();
    assert_eq!(tmp.names("inbox"), Vec::<String>::new());
}

#[test]
fn fs_delete_empty_directory_good() {
    let tmp = TempDir::new();
    tmp.dir("inbox/empty");
    tmp.fs().delete("inbox/empty").unwrap();
    assert_eq!(tmp.names("inbox"), Vec::<String>::new());
}

#[test]
fn fs_delete_missing_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(
        code_of(tmp.fs().delete("inbox/missing.txt")),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn fs_delete_non_empty_directory_conflict_bad() {
    let tmp = TempDir::new();
    tmp.file("inbox/report.txt", "kept");
    assert_eq!(
        (
            code_of(tmp.fs().delete("inbox")),
            fs::read(tmp.join("inbox/report.txt")).unwrap()
        ),
        (ErrorCode::CONFLICT, b"kept".to_vec())
    );
}

#[test]
fn fs_delete_directory_holding_only_leftovers_of_killed_writes_ugly() {
    let tmp = TempDir::new();
    // A writer and an updater killed mid-way: hidden from `list`, refused by name.
    let leftover = tmp.file("inbox/.corers-tmp-4194999-00061a8f3c2b1d00", "half a payl");
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(120))
        .unwrap();
    tmp.file("inbox/.corers-lock-00000000deadbeef", "");
    let fs = tmp.fs();
    assert!(fs.list("inbox").unwrap().is_empty());
    fs.delete("inbox").unwrap();
    assert!(!tmp.join("inbox").exists());
}

#[test]
fn fs_delete_directory_with_a_held_lock_file_conflict_bad() {
    let tmp = TempDir::new();
    // An update still running elsewhere holds its lock: the directory is in use.
    let lock = tmp.file("inbox/.corers-lock-00000000deadbeef", "");
    let held = std::fs::File::open(&lock).unwrap();
    held.lock().unwrap();
    assert_eq!(code_of(tmp.fs().delete("inbox")), ErrorCode::CONFLICT);
    assert!(lock.exists());
}

#[test]
fn fs_delete_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("kept.txt", "");
    assert_eq!(
        (code_of(tmp.fs().delete("")), tmp.names("")),
        (ErrorCode::INVALID, vec!["kept.txt".to_owned()])
    );
}

#[test]
fn fs_delete_rename_and_ensure_dir_refuse_the_writes_own_names_ugly() {
    // A lock file deleted while held would stop excluding other updaters; a file renamed to
    // a temp name would be swept as a dead writer's; neither may be made by hand.
    let tmp = TempDir::new();
    tmp.file("inbox/.corers-lock-0123abcd", "");
    tmp.file("inbox/report.pdf", "quarterly");
    let fs = tmp.fs();
    for result in [
        fs.delete("inbox/.corers-lock-0123abcd"),
        fs.delete_all("inbox/.corers-lock-0123abcd"),
        fs.rename("inbox/report.pdf", "archive/.corers-tmp-1-report.pdf"),
        fs.rename("inbox/.corers-lock-0123abcd", "inbox/lock"),
        fs.ensure_dir(".corers-tmp-9/archive"),
    ] {
        assert_eq!(code_of(result), ErrorCode::INVALID);
    }
    assert_eq!(tmp.names("inbox"), [".corers-lock-0123abcd", "report.pdf"]);
    assert!(!tmp.join("archive").exists());
    assert!(!tmp.join(".corers-tmp-9").exists());
}

#[test]
fn fs_delete_root_slash_denied_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().delete("/")), ErrorCode::DENIED);
}

#[test]
fn fs_delete_root_spelled_as_dots_denied_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let codes: Vec<ErrorCode> = [".", "./", "//", "/./."]
        .iter()
        .map(|p| code_of(fs.delete(p)))
        .collect();
    assert_eq!(codes, vec![ErrorCode::DENIED; 4]);
}

#[test]
fn fs_delete_symlink_to_outside_dir_removes_link_only_ugly() {
    let sandbox = Sandbox::new();
    sandbox.symlink("shared", sandbox.outside());
    sandbox.fs.delete("shared").unwrap();
    assert_eq!(
        (sandbox.fs.list("/").unwrap(), sandbox.outside_untouched()),
        (Vec::new(), true)
    );
}

// ---------------------------------------------------------------- Fs::delete_all

#[test]
fn fs_delete_all_tree_good() {
    let tmp = TempDir::new();
    tmp.file("cache/a/b/c.bin", "c");
    tmp.file("cache/d.bin", "d");
    tmp.file("kept.txt", "kept");
    tmp.fs().delete_all("cache").unwrap();
    assert_eq!(tmp.names(""), ["kept.txt"]);
}

#[test]
fn fs_delete_all_single_file_good() {
    let tmp = TempDir::new();
    tmp.file("cache.bin", "c");
    tmp.fs().delete_all("cache.bin").unwrap();
    assert_eq!(tmp.names(""), Vec::<String>::new());
}

#[test]
fn fs_delete_all_missing_not_found_bad() {
    let tmp = TempDir::new();
    assert_eq!(code_of(tmp.fs().delete_all("cache")), ErrorCode::NOT_FOUND);
}

#[test]
fn fs_delete_all_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    tmp.file("kept.txt", "");
    assert_eq!(
        (code_of(tmp.fs().delete_all("")), tmp.names("")),
        (ErrorCode::INVALID, vec!["kept.txt".to_owned()])
    );
}

#[test]
fn fs_delete_all_sandbox_root_slash_denied_bad() {
    let tmp = TempDir::new();
    tmp.file("kept.txt", "");
    assert_eq!(
        (code_of(tmp.fs().delete_all("/")), tmp.names("")),
        (ErrorCode::DENIED, vec!["kept.txt".to_owned()])
    );
}

#[test]
fn fs_delete_all_sandbox_root_spelled_as_dots_denied_ugly() {
    let tmp = TempDir::new();
    tmp.file("kept.txt", "");
    let fs = tmp.fs();
    let codes: Vec<ErrorCode> = [".", "./", "//", "/./."]
        .iter()
        .map(|p| code_of(fs.delete_all(p)))
        .collect();
    assert_eq!(
        (codes, tmp.names("")),
        (vec![ErrorCode::DENIED; 4], vec!["kept.txt".to_owned()])
    );
}

#[test]
fn fs_delete_all_dotdot_to_root_denied_bad() {
    let tmp = TempDir::new();
    tmp.file("cache/x.bin", "");
    assert_denied(tmp.fs().delete_all("cache/.."), "cache/..");
}

#[test]
fn fs_delete_all_tree_with_symlink_out_keeps_outside_ugly() {
    let sandbox = Sandbox::new();
    sandbox.file("cache/local.bin", "local");
    sandbox.symlink("cache/shared", sandbox.outside());
    sandbox.symlink("cache/secret", "../../outside/secret.txt");
    sandbox.fs.delete_all("cache").unwrap();
    assert_eq!(
        (sandbox.fs.exists("cache"), sandbox.outside_untouched()),
        (false, true)
    );
}

#[test]
fn fs_delete_all_unrestricted_real_root_denied_bad() {
    const NAME: &str = "fs_delete_all_unrestricted_real_root_denied_bad";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    let outcome = delete_all_in_child(NAME, harmless_child(NAME), &home, None, "/");
    assert_eq!(outcome, "DENIED refused");
}

#[test]
fn fs_delete_all_unrestricted_home_denied_bad() {
    const NAME: &str = "fs_delete_all_unrestricted_home_denied_bad";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    let outcome = delete_all_in_child(NAME, child(NAME), &home, None, home.to_str().unwrap());
    assert_eq!(
        (outcome.as_str(), home.join(".profile").exists()),
        ("DENIED refused", true)
    );
}

#[test]
fn fs_delete_all_unrestricted_home_spelled_differently_ugly() {
    const NAME: &str = "fs_delete_all_unrestricted_home_spelled_differently_ugly";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    // HOME names the directory through a symlink, with a trailing slash; the target
    // names it with a doubled slash and a `.`: only resolution shows they are the same.
    tmp.symlink("alias", &home);
    let spelled_home = format!("{}/", tmp.join("alias").display());
    let target = format!("{}//home/.", tmp.path().display());
    let outcome = delete_all_in_child(NAME, child(NAME), Path::new(&spelled_home), None, &target);
    assert_eq!(
        (outcome.as_str(), home.join(".profile").exists()),
        ("DENIED refused", true)
    );
}

#[test]
fn fs_delete_unrestricted_empty_home_denied_bad() {
    const NAME: &str = "fs_delete_unrestricted_empty_home_denied_bad";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    tmp.dir("home");
    let home = fs::canonicalize(tmp.join("home")).unwrap();
    let mut command = child(NAME);
    command.env(OP_VAR, "delete");
    let outcome = delete_all_in_child(NAME, command, &home, None, home.to_str().unwrap());
    assert_eq!((outcome.as_str(), home.is_dir()), ("DENIED refused", true));
}

#[test]
fn fs_delete_all_unrestricted_core_home_denied_bad() {
    const NAME: &str = "fs_delete_all_unrestricted_core_home_denied_bad";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    tmp.file("srv/workbench/state.db", "rows");
    let core_home = fs::canonicalize(tmp.join("srv/workbench")).unwrap();
    let mut command = child(NAME);
    command.env("CORE_HOME", &core_home);
    let outcome = delete_all_in_child(
        NAME,
        command,
        &home,
        None,
        tmp.join("srv").to_str().unwrap(),
    );
    assert_eq!(
        (outcome.as_str(), core_home.join("state.db").exists()),
        ("DENIED refused", true)
    );
}

#[test]
fn fs_delete_unrestricted_empty_core_home_protects_nothing_ugly() {
    const NAME: &str = "fs_delete_unrestricted_empty_core_home_protects_nothing_ugly";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    tmp.dir("scratch");
    let mut command = child(NAME);
    command.env("CORE_HOME", "").env(OP_VAR, "delete");
    let outcome = delete_all_in_child(
        NAME,
        command,
        &home,
        None,
        tmp.join("scratch").to_str().unwrap(),
    );
    assert_eq!(
        (outcome.as_str(), tmp.join("scratch").exists()),
        ("deleted", false)
    );
}

#[test]
fn fs_delete_all_unrestricted_parent_of_home_denied_ugly() {
    const NAME: &str = "fs_delete_all_unrestricted_parent_of_home_denied_ugly";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    tmp.file("users/alice/.profile", "export EDITOR=vi\n");
    let home = fs::canonicalize(tmp.join("users/alice")).unwrap();
    let parent = tmp.join("users");
    let outcome = delete_all_in_child(NAME, child(NAME), &home, None, parent.to_str().unwrap());
    assert_eq!(
        (outcome.as_str(), home.join(".profile").exists()),
        ("DENIED refused", true)
    );
}

#[test]
fn fs_delete_all_sandbox_containing_home_denied_ugly() {
    const NAME: &str = "fs_delete_all_sandbox_containing_home_denied_ugly";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    let outcome = delete_all_in_child(NAME, child(NAME), &home, Some(tmp.path()), "home");
    assert_eq!(
        (outcome.as_str(), home.join(".profile").exists()),
        ("DENIED refused", true)
    );
}

#[test]
fn fs_delete_all_unrestricted_other_dir_deleted_good() {
    const NAME: &str = "fs_delete_all_unrestricted_other_dir_deleted_good";
    if delete_all_child() {
        return;
    }
    let tmp = TempDir::new();
    let home = home_in(&tmp);
    tmp.file("scratch/run-1/out.bin", "x");
    let target = tmp.join("scratch");
    let outcome = delete_all_in_child(NAME, child(NAME), &home, None, target.to_str().unwrap());
    assert_eq!(
        (outcome.as_str(), target.exists(), home.exists()),
        ("deleted", false, true)
    );
}

// ---------------------------------------------------------------- Fs::unrestricted

#[test]
fn fs_unrestricted_reads_absolute_path_good() {
    let tmp = TempDir::new();
    let path = tmp.file("notes.md", "anywhere");
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(fs.read_string(path.to_str().unwrap()).unwrap(), "anywhere");
}

#[test]
fn fs_unrestricted_empty_path_invalid_bad() {
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(code_of(fs.read("")), ErrorCode::INVALID);
}

#[test]
fn fs_unrestricted_relative_path_resolved_from_slash_ugly() {
    let tmp = TempDir::new();
    let path = tmp.file("notes.md", "from the top");
    let relative = path.to_str().unwrap().trim_start_matches('/');
    let fs = Fs::unrestricted().unwrap();
    assert_eq!(fs.read_string(relative).unwrap(), "from the top");
}
