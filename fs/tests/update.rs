//! Locked read-modify-write with [`Fs::update`]: the old content goes in, the new comes
//! out, a failing closure changes nothing, and no increment is lost between 8 threads and
//! 2 processes (this test binary, run again as a child) updating one counter.
//!
//! [`Fs::update`]: corers_fs::Fs::update

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;

use corers_fs::Fs;
use corers_primitives::{Error, ErrorCode, Result};

use common::{Sandbox, TempDir, assert_denied, child, code_of};

/// Set in a child: the root holding the counter.
const COUNTER_ROOT_VAR: &str = "CORERS_FS_TEST_COUNTER_ROOT";
const COUNTER: &str = "counters/builds";
/// Per updater: enough to lose an update if any could be, few enough that the fsyncs stay
/// within seconds on a loaded machine.
const INCREMENTS: u64 = 100;

/// Adds one to the decimal counter in `old` (absent: 0).
fn increment(old: Option<Vec<u8>>) -> Result<Vec<u8>> {
    let n: u64 = match old {
        None => 0,
        Some(bytes) => String::from_utf8(bytes)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| {
                Error::new("test.increment", "counter is not a number")
                    .with_code(ErrorCode::INVALID)
            })?,
    };
    Ok((n + 1).to_string().into_bytes())
}

fn run_increments(fs: &Fs) {
    for _ in 0..INCREMENTS {
        fs.update(COUNTER, increment).unwrap();
    }
}

#[test]
fn fs_update_creates_from_nothing_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.update(COUNTER, |old| {
        assert_eq!(old, None);
        Ok(b"1".to_vec())
    })
    .unwrap();
    assert_eq!(fs.read_string(COUNTER).unwrap(), "1");
}

#[test]
fn fs_update_passes_old_content_good() {
    let tmp = TempDir::new();
    tmp.file(COUNTER, "41");
    let fs = tmp.fs();
    fs.update(COUNTER, increment).unwrap();
    assert_eq!(fs.read_string(COUNTER).unwrap(), "42");
}

#[test]
fn fs_update_closure_error_returned_unchanged_bad() {
    let tmp = TempDir::new();
    tmp.file(COUNTER, "41");
    let err = tmp
        .fs()
        .update(COUNTER, |_| {
            Err(Error::new("builds.Counter.bump", "quota reached").with_code(ErrorCode::LOCKED))
        })
        .unwrap_err();
    assert_eq!(
        (err.operation(), err.message(), err.code()),
        (
            "builds.Counter.bump",
            "quota reached",
            Some(&ErrorCode::LOCKED)
        )
    );
}

#[test]
fn fs_update_closure_error_leaves_file_untouched_bad() {
    let tmp = TempDir::new();
    tmp.file(COUNTER, "41");
    let _ = tmp.fs().update(COUNTER, |_| {
        Err(Error::new("builds.Counter.bump", "quota reached").with_code(ErrorCode::LOCKED))
    });
    assert_eq!(
        (
            std::fs::read_to_string(tmp.join(COUNTER)).unwrap(),
            tmp.temps("counters", "builds")
        ),
        ("41".to_owned(), Vec::<String>::new())
    );
}

#[test]
fn fs_update_empty_path_invalid_bad() {
    let tmp = TempDir::new();
    let mut called = false;
    let result = tmp.fs().update("", |_| {
        called = true;
        Ok(Vec::new())
    });
    assert_eq!((code_of(result), called), (ErrorCode::INVALID, false));
}

#[test]
fn fs_update_dotdot_denied_without_calling_closure_bad() {
    let sandbox = Sandbox::new();
    let mut called = false;
    let result = sandbox.fs.update("../outside/secret.txt", |_| {
        called = true;
        Ok(b"overwritten".to_vec())
    });
    assert_denied(result, "../outside/secret.txt");
    assert!(!called);
    sandbox.assert_outside_untouched();
}

#[test]
fn fs_update_directory_refused_without_calling_closure_ugly() {
    let tmp = TempDir::new();
    tmp.dir("counters/builds");
    let mut called = false;
    let result = tmp.fs().update(COUNTER, |_| {
        called = true;
        Ok(b"1".to_vec())
    });
    assert_eq!((result.is_err(), called), (true, false));
}

#[test]
fn fs_update_after_closure_panicked_still_works_ugly() {
    let tmp = TempDir::new();
    tmp.file(COUNTER, "41");
    let fs = tmp.fs();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _ = fs.update(COUNTER, |_| panic!("the closure fails hard"));
    }));
    assert!(panicked.is_err());
    // The in-process turn went with the panic: nothing kept for the path.
    assert!(format!("{fs:?}").contains("updating: 0"), "{fs:?}");
    // Neither the in-process turn nor the file lock may still be held.
    fs.update(COUNTER, increment).unwrap();
    assert_eq!(fs.read_string(COUNTER).unwrap(), "42");
}

#[test]
fn fs_update_clones_share_turns_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let clones: Vec<Fs> = (0..4).map(|_| fs.clone()).collect();
    let workers: Vec<_> = clones
        .into_iter()
        .map(|fs| {
            thread::spawn(move || (0..50).for_each(|_| fs.update(COUNTER, increment).unwrap()))
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(fs.read_string(COUNTER).unwrap(), "200");
}

#[test]
fn fs_update_separate_handles_on_one_root_lose_nothing_ugly() {
    let tmp = TempDir::new();
    // Two independent `Fs::new` on the same root: only the file lock serialises them.
    let handles = [tmp.fs(), tmp.fs()];
    let workers: Vec<_> = handles
        .into_iter()
        .map(|fs| {
            thread::spawn(move || (0..100).for_each(|_| fs.update(COUNTER, increment).unwrap()))
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(tmp.fs().read_string(COUNTER).unwrap(), "200");
}

#[test]
fn fs_update_reads_through_a_symlink_inside_root_good() {
    let tmp = TempDir::new();
    tmp.file("releases/v2/app.log", "started\n");
    tmp.dir("logs");
    tmp.symlink("logs/current", "../releases/v2/app.log");
    let fs = tmp.fs();
    fs.update("logs/current", |old| {
        let mut log = old.unwrap_or_default();
        log.extend_from_slice(b"ready\n");
        Ok(log)
    })
    .unwrap();
    assert_eq!(fs.read_string("logs/current").unwrap(), "started\nready\n");
    // Written as `write` writes in a sandbox: the link is replaced, its target untouched.
    let link = std::fs::symlink_metadata(tmp.join("logs/current")).unwrap();
    assert!(link.is_file());
    assert_eq!(
        std::fs::read_to_string(tmp.join("releases/v2/app.log")).unwrap(),
        "started\n"
    );
}

#[test]
fn fs_update_through_a_link_to_a_private_file_elsewhere_keeps_it_private_ugly() {
    let tmp = TempDir::new();
    tmp.file("secrets/deploy.key", "-----BEGIN KEY-----\n");
    tmp.chmod("secrets/deploy.key", 0o600);
    tmp.dir("deploy");
    tmp.symlink("deploy/key", "../secrets/deploy.key");
    tmp.fs()
        .update("deploy/key", |old| Ok(old.unwrap_or_default()))
        .unwrap();
    // The link is replaced by a file holding the key: as private as the key (not 0644).
    assert!(
        std::fs::symlink_metadata(tmp.join("deploy/key"))
            .unwrap()
            .is_file()
    );
    assert_eq!(tmp.mode("deploy/key"), 0o600);
}

#[test]
fn fs_update_writes_where_it_read_when_a_linked_directory_is_switched_ugly() {
    // `current -> releases/v1`, switched to v2 by a deploy while the update runs: the
    // update ends in v1, whose counter it read and whose lock it holds (writing v2's
    // counter would lose an update made there under v2's lock).
    let tmp = TempDir::new();
    tmp.file("releases/v1/counter", "1");
    tmp.file("releases/v2/counter", "7");
    tmp.symlink("current", "releases/v1");
    let fs = tmp.fs();
    fs.update("current/counter", |old| {
        std::fs::remove_file(tmp.join("current")).unwrap();
        std::os::unix::fs::symlink("releases/v2", tmp.join("current")).unwrap();
        increment(old)
    })
    .unwrap();
    assert_eq!(fs.read_string("releases/v1/counter").unwrap(), "2");
    assert_eq!(fs.read_string("releases/v2/counter").unwrap(), "7");
}

#[test]
fn fs_update_leaves_no_lock_file_behind_good() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    fs.update("jobs/42", |_| Ok(b"done".to_vec())).unwrap();
    fs.delete("jobs/42").unwrap();
    // Nothing hidden is left in the directory: it can go too.
    fs.delete("jobs").unwrap();
    assert!(tmp.names("").is_empty(), "{:?}", tmp.names(""));
}

#[test]
fn fs_update_lock_file_removed_after_a_failing_change_ugly() {
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let err = fs.update("jobs/42", |_| Err(Error::new("test.change", "refused")));
    assert!(err.is_err());
    assert_eq!(common::names_in(&tmp.join("jobs")), Vec::<String>::new());
}

/// The name of the lock file `update` uses beside `name`: FNV-1a of the name, in hex.
fn lock_name(name: &str) -> String {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(".corers-lock-{hash:016x}")
}

#[test]
fn fs_update_symlink_at_the_lock_name_refused_ugly() {
    let tmp = TempDir::new();
    tmp.file("jobs/42", "queued");
    tmp.file("elsewhere", "not a lock");
    tmp.symlink(&format!("jobs/{}", lock_name("42")), "../elsewhere");
    let fs = tmp.fs();
    let (done, wait) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(fs.update("jobs/42", |_| Ok(b"done".to_vec())));
    });
    let updated = wait
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the update ended instead of spinning");
    assert!(updated.is_err());
    assert_eq!(std::fs::read(tmp.join("jobs/42")).unwrap(), b"queued");
    assert_eq!(std::fs::read(tmp.join("elsewhere")).unwrap(), b"not a lock");
}

#[test]
fn fs_update_threads_and_processes_lose_no_increment_good() {
    const NAME: &str = "fs_update_threads_and_processes_lose_no_increment_good";
    if let Ok(root) = std::env::var(COUNTER_ROOT_VAR) {
        // A child: its share of the increments, then done.
        run_increments(&Fs::new(root).unwrap());
        return;
    }
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let processes: Vec<_> = (0..2)
        .map(|_| {
            child(NAME)
                .env(COUNTER_ROOT_VAR, tmp.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let fs = fs.clone();
            thread::spawn(move || run_increments(&fs))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for mut process in processes {
        assert!(process.wait().unwrap().success(), "a child updater failed");
    }
    assert_eq!(
        fs.read_string(COUNTER).unwrap(),
        (8 * INCREMENTS + 2 * INCREMENTS).to_string()
    );
}
