//! [`Logger::install_global`]: tracing's global default and the `log` crate's records. Each
//! case runs in a child process of its own, since a process has one global default.

mod common;

use std::process::Command;

use corers_log::{Format, Logger, MemorySink, application_dispatch};

use common::captured;

const CASE: &str = "CORERS_LOG_GLOBAL_CASE";

/// A logger at the fixed time under `filter`, and its sink.
fn logger(filter: &str) -> (Logger, MemorySink) {
    let (builder, sink) = captured(Format::Human);
    (builder.filter(filter.parse().unwrap()).build(), sink)
}

/// Events from a plain thread, through tracing and through `log`.
fn log_from_a_thread() {
    std::thread::spawn(|| {
        tracing::warn!(free_gb = 2, "disk almost full");
        log::info!(target: "rustls::client", "handshake done");
        log::debug!(target: "mio::poll", "polled 3 events");
    })
    .join()
    .unwrap();
}

/// Not a test of its own: runs the case named in `CASE` and prints what it saw.
#[test]
fn case() {
    let Ok(case) = std::env::var(CASE) else {
        return;
    };
    let (log, sink) = logger("info,mio=warn");
    match case.as_str() {
        "first" => println!("@@installed {}", log.install_global()),
        "taken" => {
            let other = Logger::builder().build();
            println!("@@other {}", other.install_global());
            println!("@@installed {}", log.install_global());
        }
        "dispatch" => {
            println!("@@installed {}", log.install_global());
            println!(
                "@@global is the application's {}",
                application_dispatch().is_some()
            );
            let (other, _sink) = logger("debug");
            let scoped = other.in_scope(|| application_dispatch().is_some());
            println!("@@another logger in scope is the application's {scoped}");
            return;
        }
        "twice" => {
            println!("@@installed {}", log.install_global());
            let (second, second_sink) = logger("debug");
            println!("@@second {}", second.install_global());
            log_from_a_thread();
            println!("@@second saw {}", second_sink.lines().len());
        }
        _ => unreachable!("unknown case {case}"),
    }
    log_from_a_thread();
    for line in sink.lines() {
        println!("@@{line}");
    }
}

/// The `@@` lines the child running `case` printed.
fn run(case: &str) -> Vec<String> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["case", "--exact", "--nocapture"])
        .env(CASE, case)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once("@@").map(|(_, seen)| seen.to_owned()))
        .collect()
}

#[test]
fn logger_install_global_catches_threads_and_log_records_good() {
    insta::assert_snapshot!(run("first").join("\n"), @r"
    installed true
    2026-11-26T14:13:29.000Z WARN  global: disk almost full free_gb=2
    2026-11-26T14:13:29.000Z INFO  rustls::client: handshake done
    ");
}

#[test]
fn logger_install_global_after_another_keeps_it_bad() {
    assert_eq!(run("taken"), ["other true", "installed false"]);
}

#[test]
fn logger_install_global_twice_the_first_stays_ugly() {
    // The second logger sees nothing; the first its own events twice (two threads ran).
    let seen = run("twice");
    assert_eq!(
        seen[..3],
        ["installed true", "second false", "second saw 0"]
    );
    assert_eq!(seen.len(), 3 + 4, "{seen:#?}");
}

// ---------------------------------------------------------------- application_dispatch

#[test]
fn application_dispatch_of_a_scoped_subscriber_good() {
    let (log, _sink) = logger("info");
    assert!(log.in_scope(|| application_dispatch().is_some()));
}

#[test]
fn application_dispatch_without_a_subscriber_is_none_bad() {
    assert!(application_dispatch().is_none());
}

#[test]
fn application_dispatch_ignores_the_installed_global_ugly() {
    assert_eq!(
        run("dispatch"),
        [
            "installed true",
            "global is the application's false",
            "another logger in scope is the application's true"
        ]
    );
}
