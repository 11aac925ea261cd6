//! A closed standard output: a command printing as it goes, whose reader has left
//! (`app logs --follow | grep -m1 ERROR`), is asked to stop.

use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use corers::prelude::*;

mod common;

const CHILD: &str = "CORERS_PIPE_CHILD";

/// Not a test of its own: runs `follow`, which prints a line every 5 ms until the
/// application's context is cancelled, then says so on standard error.
#[test]
fn pipe_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let core = Core::builder()
        .command(
            "follow",
            Command::new().action(|core: Core, _| async move {
                let mut line = 0;
                while !core.context().is_cancelled() {
                    line += 1;
                    core.print(&format!("@@line {line}\n"));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                eprintln!("@@stopped: the reader left");
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap();
    std::process::exit(i32::from(common::run_in_child(&core, &["follow"])));
}

#[test]
fn core_print_to_a_closed_pipe_stops_a_following_command_ugly() {
    let mut child = Process::new(std::env::current_exe().unwrap())
        .args(["--exact", "pipe_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Reads up to the first printed line, then leaves, as `grep -m1` does.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // (The test harness's own "test pipe_child ... " may open the first line.)
    let first = lines
        .find(|line| line.as_ref().is_ok_and(|line| line.contains("@@line")))
        .unwrap()
        .unwrap();
    assert!(first.ends_with("@@line 1"), "{first}");
    drop(lines);
    let began = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if began.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("the command went on printing to a closed pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("@@stopped: the reader left"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
