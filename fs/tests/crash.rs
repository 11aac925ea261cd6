//! Crash safety of [`Fs::write`]: a child process (this test binary, run again) rewrites one
//! file in a loop with two payloads of different sizes and is killed with SIGKILL at random
//! moments; the file is always one whole payload, and the next write leaves no temporary
//! file behind.
//!
//! [`Fs::write`]: corers_fs::Fs::write

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::thread;
use std::time::Duration;

use corers_fs::Fs;

use common::{Rng, TempDir, child};

/// Set in a child: the root holding the file to rewrite forever.
const CRASH_ROOT_VAR: &str = "CORERS_FS_TEST_CRASH_ROOT";
/// What a child prints once its first write is done.
const READY: &str = "crash child writing";
const FILE: &str = "state/snapshot.bin";

/// Leaves a temporary file at `path` as a writer killed two minutes ago would have.
fn leftover(tmp: &TempDir, path: &str) {
    tmp.file(path, "half a payl");
    std::fs::File::options()
        .write(true)
        .open(tmp.join(path))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(120))
        .unwrap();
}

fn small() -> Vec<u8> {
    vec![b's'; 16 * 1024]
}

fn large() -> Vec<u8> {
    (0..1024 * 1024_u32)
        .map(|i| b'A' + u8::try_from(i % 26).unwrap())
        .collect()
}

/// In a child started by [`start_writer`]: rewrites [`FILE`] forever. False in the parent.
fn crash_child() -> bool {
    let Ok(root) = std::env::var(CRASH_ROOT_VAR) else {
        return false;
    };
    let fs = Fs::new(root).unwrap();
    let (small, large) = (small(), large());
    fs.write(FILE, &large).unwrap();
    println!("\n{READY}");
    loop {
        fs.write(FILE, &small).unwrap();
        fs.write(FILE, &large).unwrap();
    }
}

/// Starts a child rewriting [`FILE`] under `tmp`, returning once it is writing.
fn start_writer(test: &str, tmp: &TempDir) -> Child {
    let mut process = child(test)
        .env(CRASH_ROOT_VAR, tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = process.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .any(|line| line.is_ok_and(|l| l.contains(READY)));
    assert!(ready, "the crash child stopped before it began writing");
    process
}

fn kill(mut process: Child) {
    process.kill().unwrap();
    process.wait().unwrap();
}

#[test]
fn fs_write_killed_mid_write_leaves_whole_payload_ugly() {
    const NAME: &str = "fs_write_killed_mid_write_leaves_whole_payload_ugly";
    if crash_child() {
        return;
    }
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let (small, large) = (small(), large());
    fs.write(FILE, &small).unwrap();
    let mut rng = Rng::new();
    for round in 0..100 {
        let process = start_writer(NAME, &tmp);
        thread::sleep(Duration::from_millis(rng.range(5, 30)));
        kill(process);
        let content = fs.read(FILE).unwrap();
        assert!(
            content == small || content == large,
            "after kill {round}: {} bytes, neither payload",
            content.len()
        );
    }
}

#[test]
fn fs_write_after_kill_leaves_no_temp_file_ugly() {
    const NAME: &str = "fs_write_after_kill_leaves_no_temp_file_ugly";
    if crash_child() {
        return;
    }
    let tmp = TempDir::new();
    let fs = tmp.fs();
    let small = small();
    let mut rng = Rng::new();
    for round in 0..20 {
        let process = start_writer(NAME, &tmp);
        thread::sleep(Duration::from_millis(rng.range(5, 30)));
        kill(process);
        fs.write(FILE, &small).unwrap();
        let temps = tmp.temps("state", "snapshot.bin");
        assert!(
            temps.is_empty(),
            "after kill {round} and a successful write: {temps:?}"
        );
    }
}

#[test]
fn fs_write_removes_stale_temp_of_crashed_write_ugly() {
    let tmp = TempDir::new();
    tmp.file("state/snapshot.bin", "old");
    // What a writer killed before its rename leaves behind (its process is gone).
    leftover(&tmp, "state/.corers-tmp-4194999-00061a8f3c2b1d00");
    tmp.fs().write(FILE, b"new").unwrap();
    assert_eq!(tmp.names("state"), ["snapshot.bin"]);
}

#[test]
fn fs_write_removes_stale_temp_left_under_its_own_process_id_ugly() {
    // A container's application is process 1 at every start: what the one killed before
    // it left carries this process's number.
    let tmp = TempDir::new();
    tmp.file("state/snapshot.bin", "old");
    leftover(
        &tmp,
        &format!("state/.corers-tmp-{}-00061a8f3c2b1d00", std::process::id()),
    );
    tmp.fs().write(FILE, b"new").unwrap();
    assert_eq!(tmp.names("state"), ["snapshot.bin"]);
}

#[test]
fn fs_write_sweeps_a_large_directory_at_most_once_a_minute_ugly() {
    // A directory of thousands of entries is not listed on every write: a leftover that
    // appears after a sweep waits for the next one (here, another Fs's first write).
    let tmp = TempDir::new();
    for i in 0..1100 {
        tmp.file(&format!("cache/entry-{i:04}"), "x");
    }
    let fs = tmp.fs();
    fs.write("cache/index", b"1").unwrap();
    let dead = "cache/.corers-tmp-4194999-00061a8f3c2b1d00";
    leftover(&tmp, dead);
    fs.write("cache/index", b"2").unwrap();
    assert!(tmp.join(dead).exists(), "swept again within the minute");
    tmp.fs().write("cache/index", b"3").unwrap();
    assert!(!tmp.join(dead).exists());
}

#[test]
fn fs_write_keeps_the_temp_of_a_writer_still_running_bad() {
    let tmp = TempDir::new();
    tmp.file("state/snapshot.bin", "old");
    // Another writer (another process, or another PID namespace where its pid means
    // nothing here) still has its temporary file open and locked.
    let other = "state/.corers-tmp-1-00061a8f3c2b1d00";
    leftover(&tmp, other);
    let held = std::fs::File::open(tmp.join(other)).unwrap();
    held.lock().unwrap();
    tmp.fs().write(FILE, b"new").unwrap();
    assert!(tmp.join(other).exists(), "a live writer's file is kept");
    drop(held);
    tmp.fs().write(FILE, b"newer").unwrap();
    assert_eq!(tmp.names("state"), ["snapshot.bin"]);
}

#[test]
fn fs_write_keeps_a_fresh_unlocked_temp_ugly() {
    let tmp = TempDir::new();
    tmp.file("state/snapshot.bin", "old");
    // Just created by another writer that has not locked it yet.
    let fresh = "state/.corers-tmp-1-00061a8f3c2b1d01";
    tmp.file(fresh, "half a payl");
    tmp.fs().write(FILE, b"new").unwrap();
    assert!(tmp.join(fresh).exists());
}

#[test]
fn fs_write_ignores_stale_temp_of_crashed_write_good() {
    let tmp = TempDir::new();
    tmp.file("state/snapshot.bin", "old");
    leftover(&tmp, "state/.corers-tmp-4194999-00061a8f3c2b1d00");
    let fs = tmp.fs();
    fs.write(FILE, b"new").unwrap();
    assert_eq!(fs.read(FILE).unwrap(), b"new");
}
