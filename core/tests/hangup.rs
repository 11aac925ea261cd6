//! SIGHUP on a terminal: a run started from a terminal ends when the terminal hangs up
//! (its window closed, the ssh session dropped), as SIGHUP's default action would; a
//! SIGHUP sent while the terminal is still there reloads, as it does for a daemon.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use corers::prelude::*;

mod common;

const CHILD: &str = "CORERS_HANGUP_CHILD";

/// Appends `line` to the child's notes file (standard output is the terminal, which hangs
/// up).
fn note(line: &str) {
    let path = std::env::var_os(CHILD).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

/// Not a test of its own: serves, on the terminal `script` gives it, until the context is
/// cancelled, noting its pid, its reloads and its end in the file `CORERS_HANGUP_CHILD`
/// names.
#[test]
fn hangup_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let core = Core::builder()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_reload(|_: ServiceCtx<Core>| async {
                        note("reloaded");
                        Ok(())
                    })
                    // Longer than a forced shutdown's grace (250 ms): noted only when the
                    // stop was not forced.
                    .on_stop(|_: ServiceCtx<Core>| async {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        note("store stopped");
                        Ok(())
                    }),
            ))
        })
        .command(
            "serve",
            Command::new().action(|core: Core, _| async move {
                note(&format!("serving {}", std::process::id()));
                core.context().cancelled().await;
                note("context cancelled");
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap();
    let status = common::run_in_child(&core, &["serve"]);
    note(&format!("ended {status}"));
    std::process::exit(0);
}

/// Waits up to 10 s for the notes at `path` to hold a line starting with `start`; the line.
fn wait_for(path: &Path, start: &str) -> Option<String> {
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(10) {
        let notes = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = notes.lines().find(|line| line.starts_with(start)) {
            return Some(line.to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn kill(signal: &str, pid: &str) {
    let _ = Process::new("kill")
        .args([format!("-{signal}"), pid.to_owned()])
        .status();
}

#[test]
fn core_run_with_terminal_hangup_ends_the_run_but_a_sighup_reloads_ugly() {
    let notes: PathBuf = std::env::temp_dir().join(format!(
        "corers-hangup-{}-{}",
        std::process::id(),
        corers::primitives::id()
    ));
    let exe = std::env::current_exe().unwrap();
    let command = format!(
        "exec {} --exact hangup_child --nocapture --test-threads=1",
        exe.display()
    );
    // `script` runs the child as the session leader of a pseudo-terminal of its own;
    // killing `script` closes the terminal, which hangs up.
    let Ok(mut terminal) = Process::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env(CHILD, &notes)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        assert!(
            std::env::var_os("CORERS_REQUIRE_SHELLS").is_none(),
            "script (util-linux) is not installed, and CORERS_REQUIRE_SHELLS asks for it"
        );
        return;
    };
    let serving = wait_for(&notes, "serving ").expect("the child serves");
    let pid = serving.trim_start_matches("serving ").to_owned();
    // Sent while the terminal is there: a reload.
    kill("HUP", &pid);
    let reloaded = wait_for(&notes, "reloaded");
    // The terminal hangs up: the run ends. A shell passes its own hangup on as well: a
    // second SIGHUP, which must not force the stop.
    terminal.kill().unwrap();
    terminal.wait().unwrap();
    kill("HUP", &pid);
    let ended = wait_for(&notes, "ended");
    kill("KILL", &pid);
    let written = std::fs::read_to_string(&notes).unwrap_or_default();
    let _ = std::fs::remove_file(&notes);
    assert!(reloaded.is_some(), "{written}");
    assert!(ended.is_some(), "the run outlived its terminal: {written}");
    // Not forced (the store's stop hook had its time), and no failure for output the
    // hung-up terminal could not take.
    assert_eq!(
        written.lines().skip(1).collect::<Vec<_>>(),
        ["reloaded", "context cancelled", "store stopped", "ended 0"]
    );
}
