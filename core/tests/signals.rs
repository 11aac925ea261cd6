//! Signals during `Core::run_with`: SIGTERM begins a graceful shutdown (the context is
//! cancelled, new background work is refused, every stop hook runs, the exit code is the
//! command's), a second SIGTERM forces it, SIGHUP reloads the services; SIGTERM or SIGINT
//! while the services start skips the command and exits with 143 or 130; a first SIGINT
//! says at warn level how to force the stop; a command that ignores the first signal is
//! abandoned once the shutdown timeout has passed; a third signal ends even a run whose
//! standard error stalled.
//!
//! Each case runs a Core in a child process — this test binary again, running only
//! `signal_child` with `CORERS_SIGNAL_CHILD` naming the case — and signals it with `kill`.
//! The child prints `@@` lines (libtest may put `test signal_child ... ` in front of the
//! first) and exits with `run_with`'s exit code. These tests use real time: a signal is
//! delivered by the OS, not by tokio's clock.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use corers::prelude::*;

mod common;

const CHILD: &str = "CORERS_SIGNAL_CHILD";

/// A file the parent creates once it has signalled a child that is starting.
const GO: &str = "CORERS_SIGNAL_GO";

/// Prints `@@line` for the parent (nothing when the parent stopped reading).
fn say(line: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "@@{line}");
    let _ = stdout.flush();
}

struct Reindex;
impl Task for Reindex {
    type Output = ();
}

/// The `slow` service's start hook: in the `startup` case it says "starting" and waits for
/// the parent's go (then a moment to take the signal), then offers work to the bus.
async fn slow_start(ctx: ServiceCtx<Core>) -> Result<()> {
    if std::env::var(CHILD).as_deref() == Ok("task") {
        // A task that offers work once the stop began: refused (UNAVAILABLE, marked
        // cancelled), it ends with the refusal.
        let core = ctx.core().clone();
        ctx.spawn("feed", async move {
            core.context().cancelled().await;
            core.perform_async(Reindex).map(|_| ())
        })?;
    }
    if std::env::var(CHILD).as_deref() == Ok("startup") {
        say("starting");
        // Until the parent has sent its signal, then a moment for this process to take it.
        let go = std::env::var_os(GO).map(std::path::PathBuf::from);
        while go.as_ref().is_some_and(|go| !go.exists()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Still starting after the signal: shutdown has begun, the bus takes no new work.
        match ctx.core().perform_async(Reindex) {
            Ok(_) => say("background task accepted"),
            Err(err) => say(&format!("background task refused: {}", err.code().unwrap())),
        }
        say("started slow");
    }
    Ok(())
}

/// A command that never looks at the context: only a forced shutdown ends it.
fn stuck() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        say("stuck");
        // Tells the parent that the first signal was taken.
        let context = core.context().clone();
        tokio::spawn(async move {
            context.cancelled().await;
            say("context cancelled");
        });
        std::future::pending::<()>().await;
        Ok(Value::Null)
    })
}

/// A command blocked in a synchronous call: it holds the thread `run_with` runs on, so not
/// even a forced shutdown can end the run.
fn blocked() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        let context = core.context().clone();
        tokio::spawn(async move {
            context.cancelled().await;
            say("context cancelled");
        });
        say("blocked");
        std::thread::sleep(Duration::from_secs(30));
        say("unblocked");
        Ok(Value::Null)
    })
}

/// A command whose standard error stalls (a pipe nobody reads, filled by a thread of its
/// own), and which never ends by itself.
fn stalled() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        // Tells the parent that the first signal was taken (standard output still flows),
        // from a thread of its own: the runtime's may all be held by the stalled output.
        let context = core.context().clone();
        std::thread::spawn(move || {
            while !context.is_cancelled() {
                std::thread::sleep(Duration::from_millis(5));
            }
            say("context cancelled");
        });
        std::thread::spawn(|| {
            loop {
                eprintln!("{}", "x".repeat(4096));
            }
        });
        say("stalled");
        std::future::pending::<()>().await;
        Ok(Value::Null)
    })
}

/// A command running an Action that waits until its run is cut short: the stop cancels
/// the run, and the command fails as the run did.
fn indexing() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        say("indexing");
        core.run_action("index.build", Options::new()).await
    })
}

/// The command the parent signals: serves until the context is cancelled.
fn serve() -> Command<Core> {
    Command::new().action(|core: Core, _| async move {
        if std::env::var(CHILD).as_deref() == Ok("drain") {
            // A background task that outlives any drain: only forcing ends the wait.
            core.bus().on_task(|_, _: &Reindex| {
                std::thread::sleep(Duration::from_secs(30));
                Some(Ok(()))
            });
            core.bus().on(|_, _: &corers::lifecycle::ServiceShutdown| {
                say("draining");
                Ok(())
            });
            core.perform_async(Reindex)?;
        }
        say("serving");
        core.context().cancelled().await;
        say("context cancelled");
        if std::env::var(CHILD).as_deref() == Ok("refuse") {
            match core.perform_async(Reindex) {
                Ok(_) => say("background task accepted"),
                Err(err) => {
                    say(&format!("background task refused: {}", err.code().unwrap()));
                }
            }
        }
        Ok(Value::from("@@served until signalled"))
    })
}

/// The `case` child's logger: its warnings as `@@log` lines for `warned`, info on the
/// stalled standard error for `stalled`, else errors only.
fn child_logger(case: &str) -> corers::log::Logger {
    if case == "warned" {
        // Its warnings as `@@log` lines, for the parent to read.
        corers::log::Logger::builder()
            .level(corers::log::Level::Warn)
            .with_target(false)
            .output(corers::log::Output::writer(LogLines))
            .build()
    } else if case == "stalled" {
        // Says every signal on standard error, which is stalled.
        corers::log::Logger::builder()
            .level(corers::log::Level::Info)
            .build()
    } else {
        corers::log::Logger::builder()
            .level(corers::log::Level::Error)
            .build()
    }
}

/// Not a test of its own: the Core the parent signals.
#[test]
fn signal_child() {
    let Ok(case) = std::env::var(CHILD) else {
        return;
    };
    let stop_timeout = if case == "force" {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(5)
    };
    let core = Core::builder()
        .name("signal-child")
        .shutdown_timeout(if case == "bounded" {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(30)
        })
        .config(Config::builder().optional_file(config_path(std::os::unix::process::parent_id())))
        .logger(child_logger(&case))
        .service(|_| {
            Ok(Registration::new(
                "config",
                Hooks::new().on_stop(|ctx: ServiceCtx<Core>| async move {
                    say(&format!("stop hook: {}", ctx.name()));
                    Ok(())
                }),
            ))
        })
        .service(move |_| {
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_stop(|ctx: ServiceCtx<Core>| async move {
                        if std::env::var(CHILD).as_deref() == Ok("force") {
                            say("stop hook: store waiting");
                            tokio::select! {
                                () = ctx.cancel_token().cancelled() => say("stop hook: store forced"),
                                () = tokio::time::sleep(Duration::from_secs(10)) => {
                                    say("stop hook: store gave up waiting");
                                }
                            }
                        } else {
                            say(&format!("stop hook: {}", ctx.name()));
                        }
                        Ok(())
                    })
                    .on_reload(|ctx: ServiceCtx<Core>| async move {
                        // The config is reloaded before the services' reload hooks run.
                        let workers = ctx.core().config().int("workers").unwrap_or(0);
                        say(&format!("config workers = {workers}"));
                        say(&format!("reloaded {}", ctx.name()));
                        Ok(())
                    }),
            )
            .after(["config"])
            .timeout(stop_timeout))
        })
        .service(|_| {
            Ok(Registration::new(
                "slow",
                Hooks::new().on_start(slow_start),
            ))
        })
        .service(|_| {
            Ok(Registration::new(
                "late",
                Hooks::new().on_start(|_: ServiceCtx<Core>| async {
                    if std::env::var(CHILD).as_deref() == Ok("startup") {
                        say("started late");
                    }
                    Ok(())
                }),
            ))
        })
        .action(ActionSpec::new("index.build", |_, _| async {
            std::future::pending::<()>().await;
            Ok(Value::Null)
        }))
        .command("indexing", indexing())
        .command("stuck", stuck())
        .command("blocked", blocked())
        .command("stalled", stalled())
        .command("serve", serve())
        .build()
        .unwrap();
    let command = match case.as_str() {
        "stuck" | "bounded" => "stuck",
        "indexing" => "indexing",
        "blocked" => "blocked",
        "stalled" => "stalled",
        _ => "serve",
    };
    let status = common::run_in_child(&core, &[command]);
    say(&format!("exit {status}"));
    std::process::exit(i32::from(status));
}

/// The config file of the `signal_child` whose parent (the test process) is `parent`.
fn config_path(parent: u32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("corers-signal-config-{parent}.toml"))
}

/// A running `signal_child` and the `@@` lines it prints.
struct Signalled {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// The child's go file (see [`GO`]).
    go: std::path::PathBuf,
}

impl Signalled {
    fn spawn(case: &str) -> Signalled {
        let go = std::env::temp_dir().join(format!(
            "corers-signal-go-{}-{}",
            std::process::id(),
            corers::primitives::id()
        ));
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args(["--exact", "signal_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, case)
            .env(GO, &go)
            .stdout(Stdio::piped())
            // Piped and never read for the `stalled` case: it fills, and writes block.
            .stderr(if case == "stalled" {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, printed)) = line.split_once("@@") {
                    let _ = send.send(printed.to_owned());
                }
            }
        });
        Signalled {
            child,
            lines,
            seen: Vec::new(),
            go,
        }
    }

    /// Waits (up to 10 s) for the child to print `line`.
    fn wait_for(&mut self, line: &str) {
        while !self.seen.iter().any(|l| l == line) {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(next) => self.seen.push(next),
                Err(err) => panic!(
                    "no {line:?} from the child ({err}); it printed {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Lets a child waiting in its start hook go on.
    fn go(&self) {
        std::fs::write(&self.go, b"").unwrap();
    }

    fn signal(&self, signal: &str) {
        let status = Process::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the child to exit; returns its exit code (`None` when it
    /// had to be killed or died of a signal) and every line it printed.
    fn finish(mut self, limit: Duration) -> (Option<i32>, Vec<String>) {
        let began = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            if began.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        let _ = std::fs::remove_file(&self.go);
        (status, self.seen)
    }
}

/// A child's log output, each line printed as an `@@log` line.
struct LogLines;

impl std::io::Write for LogLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in String::from_utf8_lossy(buf).lines() {
            say(&format!("log {line}"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The warnings a `warned` child logged after `signal` while it served, without their
/// time stamps; and its exit code.
fn warned_after(signal: &str) -> (Option<i32>, Vec<String>) {
    let mut child = Signalled::spawn("warned");
    child.wait_for("serving");
    child.signal(signal);
    let (status, lines) = child.finish(Duration::from_secs(15));
    let logged = lines
        .iter()
        .filter_map(|line| line.strip_prefix("log "))
        .map(|line| {
            line.split_once(' ')
                .map_or(line, |(_, rest)| rest)
                .to_owned()
        })
        .collect();
    (status, logged)
}

#[test]
fn core_run_with_sigint_tells_how_to_force_the_stop_good() {
    let (status, logged) = warned_after("INT");
    assert_eq!(
        logged,
        ["WARN  interrupted: shutting down (Ctrl-C again forces it)"]
    );
    assert_eq!(status, Some(0), "the command's own code");
}

#[test]
fn core_run_with_sigterm_is_no_warning_bad() {
    // A supervisor's ordinary stop: logged at info, below a command line's level.
    let (status, logged) = warned_after("TERM");
    assert_eq!(logged, Vec::<String>::new());
    assert_eq!(status, Some(0));
}

/// Starts the child, waits until it serves, sends SIGTERM, and waits for it to exit.
fn terminated(case: &str) -> (Option<i32>, Vec<String>) {
    let mut child = Signalled::spawn(case);
    child.wait_for("serving");
    child.signal("TERM");
    child.finish(Duration::from_secs(15))
}

#[test]
fn core_run_with_sigterm_exits_with_the_commands_code_good() {
    let (status, lines) = terminated("graceful");
    assert_eq!(status, Some(0), "{lines:?}");
    assert!(lines.contains(&"exit 0".to_owned()), "{lines:?}");
}

#[test]
fn core_run_with_sigterm_runs_every_stop_hook_after_the_command_good() {
    let (_, lines) = terminated("graceful");
    assert_eq!(
        lines,
        [
            "serving",
            "context cancelled",
            "served until signalled",
            "stop hook: store",
            "stop hook: config",
            "exit 0"
        ]
    );
}

#[test]
fn core_run_with_sigterm_refuses_new_background_tasks_bad() {
    let (_, lines) = terminated("refuse");
    assert!(
        lines.contains(&"background task refused: UNAVAILABLE".to_owned()),
        "{lines:?}"
    );
}

#[test]
fn core_run_with_sighup_reloads_the_services_good() {
    let config = config_path(std::process::id());
    std::fs::write(&config, "workers = 1\n").unwrap();
    let mut child = Signalled::spawn("reload");
    child.wait_for("serving");
    std::fs::write(&config, "workers = 2\n").unwrap();
    child.signal("HUP");
    child.wait_for("config workers = 2");
    child.wait_for("reloaded store");
    let _ = std::fs::remove_file(&config);
    child.signal("TERM");
    let (status, lines) = child.finish(Duration::from_secs(15));
    assert_eq!(status, Some(0), "{lines:?}");
    assert!(lines.contains(&"stop hook: store".to_owned()), "{lines:?}");
}

#[test]
fn core_run_with_second_sigterm_forces_shutdown_ugly() {
    let mut child = Signalled::spawn("force");
    child.wait_for("serving");
    child.signal("TERM");
    child.wait_for("stop hook: store waiting");
    child.signal("TERM");
    let (status, lines) = child.finish(Duration::from_secs(5));
    assert!(
        lines.contains(&"stop hook: store forced".to_owned()),
        "{lines:?}"
    );
    // Forced after the command returned on the first signal: still 128 + SIGTERM, so a
    // supervisor can tell a forced stop from a clean one.
    assert_eq!(status, Some(143), "{lines:?}");
}

/// Waits for a `stuck` child and checks that its command was abandoned: every stop hook
/// ran, and it exited 143.
fn assert_abandoned_at_143(child: Signalled) {
    let (status, lines) = child.finish(Duration::from_secs(10));
    assert_eq!(
        lines,
        [
            "stuck",
            "context cancelled",
            "stop hook: store",
            "stop hook: config",
            "exit 143"
        ]
    );
    assert_eq!(status, Some(143));
}

#[test]
fn core_run_with_second_sigterm_abandons_a_stuck_command_ugly() {
    let mut child = Signalled::spawn("stuck");
    child.wait_for("stuck");
    child.signal("TERM");
    child.wait_for("context cancelled");
    child.signal("TERM");
    assert_abandoned_at_143(child);
}

#[test]
fn core_run_with_one_sigterm_abandons_a_command_past_the_shutdown_timeout_ugly() {
    // A supervisor sends one signal and waits its grace: a command that ignores the
    // context is abandoned once the shutdown timeout (1 s here) has passed since.
    let mut child = Signalled::spawn("bounded");
    child.wait_for("stuck");
    child.signal("TERM");
    assert_abandoned_at_143(child);
}

#[test]
fn core_run_with_sigterm_cutting_a_commands_action_short_exits_143_bad() {
    // The command fails because the signal cancelled its run (UNAVAILABLE): the exit
    // code says the signal ended it (143), not that a service was unavailable (69).
    let mut child = Signalled::spawn("indexing");
    child.wait_for("indexing");
    child.signal("TERM");
    let (status, lines) = child.finish(Duration::from_secs(10));
    assert_eq!(status, Some(143), "{lines:?}");
    assert!(lines.contains(&"stop hook: store".to_owned()), "{lines:?}");
}

#[test]
fn core_run_with_sigterm_a_service_task_refused_by_the_stop_is_no_failure_ugly() {
    // A service task that ends with the refusal of the work it offered the stopping bus:
    // the stop ended it, and the run ends as gracefully as without it.
    let (status, lines) = terminated("task");
    assert_eq!(status, Some(0), "{lines:?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("exit 0"),
        "{lines:?}"
    );
    assert!(lines.contains(&"stop hook: store".to_owned()), "{lines:?}");
}

#[test]
fn core_run_with_third_signal_ends_a_run_blocked_in_a_command_ugly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Signalled::spawn("blocked");
    child.wait_for("blocked");
    child.signal("TERM");
    child.wait_for("context cancelled");
    // Forced, but the thread the run needs is still blocked: the process stays up...
    child.signal("INT");
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.child.try_wait().unwrap().is_none(), "still blocked");
    // ...until a third signal, which takes the OS's default action.
    child.signal("TERM");
    let began = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "the third signal did not end it"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let (_, lines) = child.finish(Duration::from_secs(1));
    assert!(!lines.contains(&"unblocked".to_owned()), "{lines:?}");
}

#[test]
fn core_run_with_third_signal_ends_a_run_whose_standard_error_stalled_ugly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Signalled::spawn("stalled");
    child.wait_for("stalled");
    // Time for the pipe to fill: from then on, whatever writes to standard error blocks,
    // saying that a signal was taken included.
    std::thread::sleep(Duration::from_millis(500));
    // The first taken (the third-signal handler is armed by then) before the next two: a
    // signal sent while the first is still pending would be one delivery with it.
    child.signal("TERM");
    child.wait_for("context cancelled");
    for _ in 0..2 {
        child.signal("TERM");
        std::thread::sleep(Duration::from_millis(200));
    }
    let began = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.child.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(5) {
            let _ = child.child.kill();
            panic!("three signals did not end a run whose standard error stalled");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn core_run_with_second_sigterm_stops_waiting_for_background_tasks_ugly() {
    let mut child = Signalled::spawn("drain");
    child.wait_for("serving");
    child.signal("TERM");
    child.wait_for("draining");
    child.signal("TERM");
    let (status, lines) = child.finish(Duration::from_secs(10));
    assert_eq!(
        lines,
        [
            "serving",
            "context cancelled",
            "served until signalled",
            "draining",
            "stop hook: store",
            "stop hook: config",
            "exit 143"
        ]
    );
    assert_eq!(status, Some(143));
}

/// Starts the child, sends `signal` while a service is starting, waits for it to exit.
fn signalled_during_startup(signal: &str) -> (Option<i32>, Vec<String>) {
    let mut child = Signalled::spawn("startup");
    child.wait_for("starting");
    child.signal(signal);
    child.go();
    child.finish(Duration::from_secs(15))
}

#[test]
fn core_run_with_sigterm_during_startup_skips_the_command_good() {
    let (status, lines) = signalled_during_startup("TERM");
    // The running start hook finishes (the bus took no new work once the signal came),
    // no later service starts, what had started stops, and the command never runs.
    assert_eq!(
        lines,
        [
            "starting",
            "background task refused: UNAVAILABLE",
            "started slow",
            "stop hook: store",
            "stop hook: config",
            "exit 143"
        ]
    );
    assert_eq!(status, Some(143));
}

#[test]
fn core_run_with_sigint_during_startup_exits_130_bad() {
    let (status, lines) = signalled_during_startup("INT");
    assert!(!lines.contains(&"serving".to_owned()), "{lines:?}");
    assert_eq!(status, Some(130), "{lines:?}");
}

#[test]
fn core_run_with_second_signal_during_startup_exits_with_a_signal_code_ugly() {
    let mut child = Signalled::spawn("startup");
    child.wait_for("starting");
    // Two different signals, so the OS cannot merge them into one.
    child.signal("INT");
    child.signal("TERM");
    let (status, lines) = child.finish(Duration::from_secs(15));
    // The start hook still waiting (no go) is abandoned; the exit code is the first signal's,
    // whichever of the two was taken first, never startup's failure (1).
    assert!(matches!(status, Some(130 | 143)), "{status:?} {lines:?}");
    assert!(!lines.contains(&"serving".to_owned()), "{lines:?}");
}
