//! Running a Core: `Core::run_with` (start, dispatch, always stop: after an unknown, failing
//! or panicking command, a failed startup, a stuck background task), `Core::run` on the
//! process arguments, `CoreBuilder::shutdown_timeout`, `Core::context`, the lifecycle events
//! on the bus, and the bus verbs, Actions and Tasks reached through the Core.

use std::process::{Command as Process, ExitCode};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::Duration;

use corers::lifecycle::{ServiceShutdown, ServiceStarted, ServiceStartup, ServiceStopped};
use corers::messaging::{ActionCtx, TaskCompleted, TaskProgress};
use corers::prelude::*;
use tokio::time::Instant;
use tracing::instrument::WithSubscriber;

type Calls = Arc<Mutex<Vec<String>>>;

fn calls() -> Calls {
    Arc::new(Mutex::new(Vec::new()))
}

fn record(calls: &Calls, entry: impl Into<String>) {
    calls.lock().unwrap().push(entry.into());
}

fn taken(calls: &Calls) -> Vec<String> {
    calls.lock().unwrap().clone()
}

/// The number behind an `ExitCode` (which does not say it).
fn code(exit: ExitCode) -> u8 {
    (0..=u8::MAX).find(|n| ExitCode::from(*n) == exit).unwrap()
}

/// A service that records `start <name>` and `stop <name>`.
fn recorded(calls: &Calls) -> Hooks<Core> {
    let on_start = Arc::clone(calls);
    let on_stop = Arc::clone(calls);
    Hooks::new()
        .on_start(move |ctx: ServiceCtx<Core>| {
            let calls = Arc::clone(&on_start);
            async move {
                record(&calls, format!("start {}", ctx.name()));
                Ok(())
            }
        })
        .on_stop(move |ctx: ServiceCtx<Core>| {
            let calls = Arc::clone(&on_stop);
            async move {
                record(&calls, format!("stop {}", ctx.name()));
                Ok(())
            }
        })
}

/// `config` and `store`, recorded, and a `workspace/list` command that records itself.
fn workbench(calls: &Calls) -> CoreBuilder {
    let (config, store, command) = (Arc::clone(calls), Arc::clone(calls), Arc::clone(calls));
    Core::builder()
        .name("workbench")
        .service(move |_| Ok(Registration::new("config", recorded(&config))))
        .service(move |_| Ok(Registration::new("store", recorded(&store)).after(["config"])))
        .command(
            "workspace/list",
            Command::new().action(move |_, _| {
                let calls = Arc::clone(&command);
                async move {
                    record(&calls, "workspace list");
                    Ok(Value::from("default\nalpha"))
                }
            }),
        )
}

const STARTED_AND_STOPPED: [&str; 4] = ["start config", "start store", "stop store", "stop config"];

// ---- Core::run_with ----

#[tokio::test]
async fn core_run_with_standalone_command_starts_no_service_good() {
    let calls = calls();
    let config = Arc::clone(&calls);
    let core = Core::builder()
        .service(move |_| Ok(Registration::new("config", recorded(&config))))
        .command(
            "init",
            Command::new()
                .standalone()
                .action(|_, _| async { Ok(Value::from("wrote workbench.toml")) }),
        )
        .build()
        .unwrap();
    let exit = core.run_with(["init"]).await.unwrap();
    assert_eq!(code(exit), 0);
    assert!(taken(&calls).is_empty(), "no hook ran");
    // And the Core has ended, as after any run.
    assert!(core.context().is_cancelled());
}

/// A Core with a Task every ten seconds, and the command `serve` (serving) and `reindex`
/// (once), each running for a minute: and how many scheduled runs there were.
fn scheduled_every_ten_seconds() -> (Core, Arc<Mutex<usize>>) {
    let runs = Arc::new(Mutex::new(0_usize));
    let counted = Arc::clone(&runs);
    let minute = |command: Command<Core>| {
        command.action(|_, _| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(Value::Null)
        })
    };
    let core = Core::builder()
        .action(ActionSpec::new("index.build", move |_, _| {
            *counted.lock().unwrap() += 1;
            async { Ok(Value::Null) }
        }))
        .task(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
        )
        .command("serve", minute(Command::new().serves()))
        .command("reindex", minute(Command::new()))
        .build()
        .unwrap();
    (core, runs)
}

#[tokio::test(start_paused = true)]
async fn core_run_with_serving_command_runs_the_scheduled_tasks_good() {
    let (core, runs) = scheduled_every_ten_seconds();
    let exit = core.run_with(["serve"]).await.unwrap();
    assert_eq!(code(exit), 0);
    let fired = *runs.lock().unwrap();
    assert!((5..=6).contains(&fired), "{fired}");
}

#[tokio::test(start_paused = true)]
async fn core_run_with_one_shot_command_runs_no_scheduled_task_bad() {
    // `reindex` run beside the daemon: the daemon runs the schedule, not this process too.
    let (core, runs) = scheduled_every_ten_seconds();
    let exit = core.run_with(["reindex"]).await.unwrap();
    assert_eq!(code(exit), 0);
    assert_eq!(*runs.lock().unwrap(), 0);
    let (core, runs) = scheduled_every_ten_seconds();
    let run = corers::testing::run_cli(&core, ["reindex"]).await;
    assert_eq!(run.exit_code, 0, "{run}");
    assert_eq!(*runs.lock().unwrap(), 0);
}

/// What a run of `args` warned of, on a Core with a Task every ten seconds and `commands`
/// (each answering at once).
async fn schedule_warnings(commands: &[(&str, Command<Core>)], args: &[&str]) -> String {
    let sink = corers::log::MemorySink::new();
    let log = corers::log::Logger::builder()
        .level(corers::log::Level::Warn)
        .output(corers::log::Output::Memory(sink.clone()))
        .build();
    let mut builder = Core::builder()
        .action(ActionSpec::new("index.build", |_, _| async {
            Ok(Value::Null)
        }))
        .task(
            "index.refresh",
            TaskDef::new(vec![Step::run("index.build")]).schedule("*/10 * * * * *"),
        )
        .logger(log);
    for (path, command) in commands {
        let command = command.clone().action(|_, _| async { Ok(Value::Null) });
        builder = builder.command(*path, command);
    }
    let core = builder.build().unwrap();
    let dispatch = core.log().dispatch().clone();
    core.run_with(args.iter().copied())
        .with_subscriber(dispatch)
        .await
        .unwrap();
    sink.contents()
}

#[tokio::test(start_paused = true)]
async fn core_run_with_schedule_but_no_serving_command_warns_ugly() {
    // A daemon whose long-running command is not marked: its cron Tasks would never run,
    // and a warning says so (not a debug line nobody sees).
    let warned = schedule_warnings(&[("run", Command::new())], &["run"]).await;
    assert!(
        warned.contains("scheduled tasks never run: no command serves"),
        "{warned}"
    );
    // Beside a command that serves, a one-shot command says nothing at warn.
    let commands = [
        ("serve", Command::new().serves()),
        ("reindex", Command::new()),
    ];
    assert_eq!(schedule_warnings(&commands, &["reindex"]).await, "");
}

#[tokio::test]
async fn core_run_with_command_runs_between_start_and_stop_good() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_with(["workspace", "list"]).await.unwrap();
    assert_eq!(code(exit), 0);
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start store",
            "workspace list",
            "stop store",
            "stop config"
        ]
    );
}

// ---- Core::run_with: systemd's readiness protocol ----

/// The workbench telling `socket` (`NOTIFY_SOCKET`); its `workspace check` records what the
/// socket had received by then.
#[cfg(unix)]
fn notifying(
    calls: &Calls,
    socket: &str,
    receiver: &Arc<std::os::unix::net::UnixDatagram>,
) -> Core {
    let (seen, receiver) = (Arc::clone(calls), Arc::clone(receiver));
    workbench(calls)
        .env("NOTIFY_SOCKET", socket)
        .command(
            "workspace/check",
            Command::new().action(move |_, _| {
                let mut message = [0_u8; 64];
                let got = receiver.recv(&mut message).unwrap_or(0);
                record(&seen, String::from_utf8_lossy(&message[..got]));
                async { Ok(Value::Null) }
            }),
        )
        .build()
        .unwrap()
}

/// What `receiver` holds now, one message per entry.
#[cfg(unix)]
fn received(receiver: &std::os::unix::net::UnixDatagram) -> Vec<String> {
    let mut messages = Vec::new();
    let mut message = [0_u8; 64];
    while let Ok(got) = receiver.recv(&mut message) {
        messages.push(String::from_utf8_lossy(&message[..got]).into_owned());
    }
    messages
}

/// A datagram socket to be told on, at a path short enough for any system's limit (about
/// 100 bytes), removed when dropped.
#[cfg(unix)]
struct NotifySocket {
    path: std::path::PathBuf,
    receiver: Arc<std::os::unix::net::UnixDatagram>,
}

#[cfg(unix)]
impl NotifySocket {
    fn new() -> NotifySocket {
        let path = std::path::PathBuf::from(format!(
            "/tmp/cn-{}-{}.sock",
            std::process::id(),
            corers::primitives::id()
        ));
        let receiver = Arc::new(std::os::unix::net::UnixDatagram::bind(&path).unwrap());
        receiver.set_nonblocking(true).unwrap();
        NotifySocket { path, receiver }
    }
}

#[cfg(unix)]
impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn core_run_with_tells_systemd_ready_then_stopping_good() {
    let socket = NotifySocket::new();
    let calls = calls();
    let core = notifying(&calls, socket.path.to_str().unwrap(), &socket.receiver);
    assert_eq!(
        code(core.run_with(["workspace", "check"]).await.unwrap()),
        0
    );
    // Ready once the services started, before the command ran; stopping after it.
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start store",
            "READY=1",
            "stop store",
            "stop config"
        ]
    );
    assert_eq!(received(&socket.receiver), ["STOPPING=1"]);
}

#[cfg(unix)]
#[tokio::test]
async fn core_run_with_standalone_command_tells_systemd_nothing_bad() {
    // A standalone command starts no service: never ready, so never stopping either.
    let socket = NotifySocket::new();
    let calls = calls();
    let core = workbench(&calls)
        .env("NOTIFY_SOCKET", socket.path.to_str().unwrap())
        .command(
            "version/show",
            Command::new()
                .standalone()
                .action(|_, _| async { Ok(Value::from("1.4.0")) }),
        )
        .build()
        .unwrap();
    assert_eq!(code(core.run_with(["version", "show"]).await.unwrap()), 0);
    assert_eq!(received(&socket.receiver), Vec::<String>::new());
    assert_eq!(taken(&calls), Vec::<String>::new());
}

#[cfg(unix)]
#[tokio::test]
async fn core_run_with_tells_systemd_stopping_when_a_stop_is_asked_for_ugly() {
    // A command still running when the stop is asked for: systemd hears at once, once.
    let socket = NotifySocket::new();
    let receiver = Arc::clone(&socket.receiver);
    let calls = calls();
    let seen = Arc::clone(&calls);
    let core = Core::builder()
        .env("NOTIFY_SOCKET", socket.path.to_str().unwrap())
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .command(
            "serve",
            Command::new().action(move |core: Core, _| {
                let (receiver, seen) = (Arc::clone(&receiver), Arc::clone(&seen));
                async move {
                    tokio::spawn({
                        let core = core.clone();
                        async move { core.request_shutdown() }
                    });
                    core.context().cancelled().await;
                    let began = Instant::now();
                    let mut heard = received(&receiver);
                    while !heard.contains(&"STOPPING=1".to_owned())
                        && began.elapsed() < Duration::from_secs(5)
                    {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        heard.extend(received(&receiver));
                    }
                    record(&seen, heard.join(","));
                    Ok(Value::Null)
                }
            }),
        )
        .build()
        .unwrap();
    let exit = core.run_with(["serve"]).await.unwrap();
    assert_eq!(code(exit), 0);
    // Heard while the command still ran, after the READY it was started with.
    assert_eq!(taken(&calls), ["READY=1,STOPPING=1"]);
    assert!(received(&socket.receiver).is_empty(), "told twice");
}

/// What systemd hears from a `serve` that runs for `serving`, with `env` set: read as it
/// comes, as systemd reads it (the socket's queue holds only a few).
#[cfg(unix)]
async fn heard_while_serving(env: &[(&str, &str)], serving: Duration) -> Vec<String> {
    let socket = NotifySocket::new();
    let heard = calls();
    let (receiver, log) = (Arc::clone(&socket.receiver), Arc::clone(&heard));
    let mut builder = Core::builder()
        .env("NOTIFY_SOCKET", socket.path.to_str().unwrap())
        .service(|_| Ok(Registration::new("store", Hooks::new())))
        .command(
            "serve",
            Command::new().action(move |_, _| {
                let (receiver, log) = (Arc::clone(&receiver), Arc::clone(&log));
                async move {
                    let began = Instant::now();
                    while began.elapsed() < serving {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        log.lock().unwrap().extend(received(&receiver));
                    }
                    Ok(Value::Null)
                }
            }),
        );
    for (key, value) in env {
        builder = builder.env(*key, *value);
    }
    let core = builder.build().unwrap();
    assert_eq!(code(core.run_with(["serve"]).await.unwrap()), 0);
    heard.lock().unwrap().extend(received(&socket.receiver));
    taken(&heard)
}

// On the paused clock: the pings keep to their interval however loaded the machine.
#[cfg(unix)]
#[tokio::test(start_paused = true)]
async fn core_run_with_pings_systemds_watchdog_while_it_runs_good() {
    // WatchdogSec=20ms: a ping every 10 ms, from READY until the run ends.
    let heard =
        heard_while_serving(&[("WATCHDOG_USEC", "20000")], Duration::from_millis(150)).await;
    assert_eq!(
        heard.first().map(String::as_str),
        Some("READY=1"),
        "{heard:?}"
    );
    let pings = heard.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!((14..=16).contains(&pings), "{heard:?}");
    assert!(heard.contains(&"STOPPING=1".to_owned()), "{heard:?}");
}

#[cfg(unix)]
#[tokio::test(start_paused = true)]
async fn core_run_with_watchdog_of_another_process_or_unreadable_is_not_pinged_ugly() {
    // Inherited from a parent (WATCHDOG_PID names it), garbage, or 0 (systemd's "none"):
    // a whole minute (of the paused clock) without a ping.
    for env in [
        [("WATCHDOG_USEC", "20000"), ("WATCHDOG_PID", "1")],
        [("WATCHDOG_USEC", "soon"), ("HOME", "/root")],
        [("WATCHDOG_USEC", "0"), ("HOME", "/root")],
    ] {
        let heard = heard_while_serving(&env, Duration::from_secs(60)).await;
        assert_eq!(heard, ["READY=1", "STOPPING=1"], "{env:?}");
    }
}

#[tokio::test]
async fn core_run_with_notify_socket_nobody_listens_on_is_no_failure_bad() {
    let calls = calls();
    let core = workbench(&calls)
        .env("NOTIFY_SOCKET", "/nonexistent/corers/notify.sock")
        .build()
        .unwrap();
    assert_eq!(code(core.run_with(["workspace", "list"]).await.unwrap()), 0);
    assert!(taken(&calls).contains(&"workspace list".to_owned()));
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn core_run_with_notify_socket_of_an_abstract_name_ugly() {
    use std::os::linux::net::SocketAddrExt as _;
    let name = format!("corers-notify-{}", corers::primitives::id());
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let receiver = Arc::new(std::os::unix::net::UnixDatagram::bind_addr(&address).unwrap());
    receiver.set_nonblocking(true).unwrap();
    let calls = calls();
    let core = notifying(&calls, &format!("@{name}"), &receiver);
    assert_eq!(
        code(core.run_with(["workspace", "check"]).await.unwrap()),
        0
    );
    assert!(
        taken(&calls).contains(&"READY=1".to_owned()),
        "{:?}",
        taken(&calls)
    );
    assert_eq!(received(&receiver), ["STOPPING=1"]);
}

/// A `cache` service whose stop takes 20 ms: registered last, it stops first, giving a
/// task of an earlier service time to act on the cancelled context while that one runs.
fn slow_to_stop_cache() -> Registration<Core> {
    Registration::new(
        "cache",
        Hooks::new().on_stop(|_| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(())
        }),
    )
}

/// A command that succeeds at once, printing nothing.
fn succeeding() -> Command<Core> {
    Command::new().action(|_, _| async { Ok(Value::Null) })
}

/// A logger writing into memory at info level, its lines without targets: a line reads
/// `INFO  <spans>: <message> <fields>`.
fn lines_without_targets() -> (corers::log::Logger, corers::log::MemorySink) {
    let sink = corers::log::MemorySink::new();
    let log = corers::log::Logger::builder()
        .output(corers::log::Output::Memory(sink.clone()))
        .with_target(false)
        .build();
    (log, sink)
}

/// The workbench logging at `level` into memory.
fn logged_at(calls: &Calls, level: corers::log::Level) -> (Core, corers::log::MemorySink) {
    let sink = corers::log::MemorySink::new();
    let log = corers::log::Logger::builder()
        .level(level)
        .output(corers::log::Output::Memory(sink.clone()))
        .build();
    (workbench(calls).logger(log).build().unwrap(), sink)
}

#[tokio::test]
async fn core_run_with_services_that_start_and_stop_logs_nothing_at_info_good() {
    // A command line prints no line per service on every run.
    let (core, sink) = logged_at(&calls(), corers::log::Level::Info);
    let dispatch = core.log().dispatch().clone();
    core.run_with(["workspace", "list"])
        .with_subscriber(dispatch)
        .await
        .unwrap();
    assert_eq!(sink.contents(), "");
}

#[tokio::test]
async fn core_run_with_service_task_logs_in_a_span_of_its_own_ugly() {
    // A loop a start hook spawned logs long after startup: its lines name the service and
    // the task, not the startup that has ended.
    let (log, sink) = lines_without_targets();
    let ticked = Arc::new(tokio::sync::Notify::new());
    let tick = Arc::clone(&ticked);
    let core = Core::builder()
        .logger(log)
        .service(move |_| {
            let tick = Arc::clone(&tick);
            Ok(Registration::new(
                "indexer",
                Hooks::new().on_start(move |ctx: ServiceCtx<Core>| {
                    let tick = Arc::clone(&tick);
                    async move {
                        let core = ctx.core().clone();
                        ctx.spawn("refresh", async move {
                            core.context().cancelled().await;
                            tracing::info!(files = 35, "index refreshed");
                            tick.notify_one();
                            Ok(())
                        })
                    }
                }),
            ))
        })
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    let dispatch = core.log().dispatch().clone();
    core.run_with(["cache", "flush"])
        .with_subscriber(dispatch)
        .await
        .unwrap();
    ticked.notified().await;
    let logged = sink.contents();
    let line = logged
        .lines()
        .find(|line| line.contains("index refreshed"))
        .unwrap_or_else(|| panic!("{logged}"));
    assert!(
        line.ends_with(
            "INFO  service_task{service=indexer task=refresh}: index refreshed files=35"
        ),
        "{line}"
    );
}

#[tokio::test]
async fn core_run_task_parallel_steps_log_in_the_callers_span_ugly() {
    // The members of a parallel group run on tasks of their own: their lines still belong
    // to the run that started them.
    let (log, sink) = lines_without_targets();
    let core = Core::builder()
        .logger(log)
        .action(ActionSpec::new(
            "index.shard",
            |_: ActionCtx<Core>, _| async {
                tracing::info!("shard indexed");
                Ok(Value::Null)
            },
        ))
        .task(
            "index.all",
            TaskDef::new(vec![Step::parallel(vec![
                Step::run("index.shard"),
                Step::run("index.shard"),
            ])]),
        )
        .build()
        .unwrap();
    let dispatch = core.log().dispatch().clone();
    let nightly = tracing::dispatcher::with_default(&dispatch, || tracing::info_span!("nightly"));
    let report = tracing::Instrument::instrument(core.run_task("index.all"), nightly)
        .with_subscriber(dispatch)
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    let lines: Vec<String> = sink
        .contents()
        .lines()
        .filter(|line| line.contains("shard indexed"))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 2, "{}", sink.contents());
    assert!(
        lines
            .iter()
            .all(|line| line.contains("INFO  nightly:action{")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn core_run_with_task_naming_an_unregistered_action_is_logged_at_start_bad() {
    // A Task run by hand, its failure branch misspelt: said when the application starts.
    let sink = corers::log::MemorySink::new();
    let log = corers::log::Logger::builder()
        .level(corers::log::Level::Error)
        .output(corers::log::Output::Memory(sink.clone()))
        .build();
    let core = workbench(&calls())
        .action(ActionSpec::new("mail.send", |_, _| async {
            Ok(Value::Null)
        }))
        .task("report.weekly", TaskDef::new(vec![Step::run("mail.sned")]))
        .task("report.daily", TaskDef::new(vec![Step::run("mail.send")]))
        .logger(log)
        .build()
        .unwrap();
    let dispatch = core.log().dispatch().clone();
    core.run_with(["workspace", "list"])
        .with_subscriber(dispatch)
        .await
        .unwrap();
    let written = sink.contents();
    assert_eq!(written.lines().count(), 1, "{written}");
    assert!(
        written.contains("task names actions nobody registered task=report.weekly"),
        "{written}"
    );
    assert!(
        written.contains(r#"(did you mean \"mail.send\"?)"#),
        "{written}"
    );
}

#[tokio::test]
async fn core_run_with_services_logs_each_start_and_stop_at_debug_ugly() {
    let (core, sink) = logged_at(&calls(), corers::log::Level::Debug);
    let dispatch = core.log().dispatch().clone();
    core.run_with(["workspace", "list"])
        .with_subscriber(dispatch)
        .await
        .unwrap();
    let log = sink.contents();
    for line in [
        "service started service=config",
        "service started service=store",
        "service stopped service=store",
        "service stopped service=config",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
}

struct Rebuild;
impl Task for Rebuild {
    type Output = ();
}

/// A Core logging into `sink`, whose `store` fails to stop, whose `rebuild` command
/// submits a task whose handler logs a warning and panics.
fn troubled(sink: &corers::log::MemorySink) -> Core {
    Core::builder()
        .logger(
            corers::log::Logger::builder()
                .level(corers::log::Level::Warn)
                .output(corers::log::Output::Memory(sink.clone()))
                .build(),
        )
        .service(|core| {
            core.bus().on_task(|_, _: &Rebuild| -> Option<Result<()>> {
                // On a blocking thread: logs where the submitter does.
                tracing::warn!("rebuild started on a stale index");
                panic!("index corrupt")
            });
            Ok(Registration::new(
                "store",
                Hooks::new().on_stop(|_| async {
                    Err(Error::new("store.Store.close", "disk detached")
                        .with_code(ErrorCode::UNAVAILABLE))
                }),
            ))
        })
        .command(
            "rebuild",
            Command::new().action(|core: Core, _| async move {
                core.perform_async(Rebuild)?;
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_run_with_framework_troubles_reach_the_cores_log_good() {
    // No subscriber of the caller's: a stop hook's failure (polled in the run) and a
    // task handler's panic (on a blocking thread) still reach the Core's own log.
    let sink = corers::log::MemorySink::new();
    troubled(&sink).run_with(["rebuild"]).await.unwrap();
    let written = sink.contents();
    for line in [
        "handler panicked",
        "rebuild started on a stale index",
        "service failed to stop service=store",
    ] {
        assert!(written.contains(line), "{line}: {written}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_run_with_a_second_core_logs_to_its_own_log_ugly() {
    // The first Core to run becomes tracing's global default; a second one in the same
    // process still gets its own troubles, not the first one's log.
    let (first, second) = (
        corers::log::MemorySink::new(),
        corers::log::MemorySink::new(),
    );
    troubled(&first).run_with(["rebuild"]).await.unwrap();
    let before = first.contents();
    troubled(&second).run_with(["rebuild"]).await.unwrap();
    let written = second.contents();
    for line in ["handler panicked", "service failed to stop service=store"] {
        assert!(written.contains(line), "{line}: {written}");
    }
    assert_eq!(first.contents(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_run_with_application_subscriber_gets_the_framework_events_bad() {
    // An application with a subscriber of its own gets everything there, not in the
    // Core's log.
    let (ours, theirs) = (
        corers::log::MemorySink::new(),
        corers::log::MemorySink::new(),
    );
    // Any subscriber will do: this one happens to be a logger too.
    let application = corers::log::Logger::builder()
        .output(corers::log::Output::Memory(theirs.clone()))
        .build()
        .dispatch()
        .clone();
    troubled(&ours)
        .run_with(["rebuild"])
        .with_subscriber(application)
        .await
        .unwrap();
    let (theirs, ours) = (theirs.contents(), ours.contents());
    for line in ["service failed to stop", "rebuild started on a stale index"] {
        assert!(theirs.contains(line), "{line}: {theirs}");
        assert!(!ours.contains(line), "{line}: {ours}");
    }
}

#[tokio::test]
async fn core_run_with_lifecycle_events_on_the_bus_good() {
    let calls = calls();
    let core = workbench(&Arc::new(Mutex::new(Vec::new())))
        .build()
        .unwrap();
    let (a, b, c, d) = (
        Arc::clone(&calls),
        Arc::clone(&calls),
        Arc::clone(&calls),
        Arc::clone(&calls),
    );
    core.bus().on(move |_, e: &ServiceStarted| {
        record(&a, format!("ServiceStarted {}", e.name));
        Ok(())
    });
    core.bus().on(move |_, _: &ServiceStartup| {
        record(&b, "ServiceStartup");
        Ok(())
    });
    core.bus().on(move |_, _: &ServiceShutdown| {
        record(&c, "ServiceShutdown");
        Ok(())
    });
    core.bus().on(move |_, e: &ServiceStopped| {
        record(
            &d,
            format!(
                "ServiceStopped {} error={:?}",
                e.name,
                e.error.as_ref().map(ToString::to_string)
            ),
        );
        Ok(())
    });
    core.run_with(["workspace", "list"]).await.unwrap();
    insta::assert_snapshot!(taken(&calls).join("\n"));
}

#[tokio::test]
async fn core_run_with_help_or_completion_starts_nothing_good() {
    let calls = calls();
    let core = workbench(&calls).version("0.4.1").build().unwrap();
    for args in [
        &["--help"][..],
        &["workspace", "list", "--help"],
        &["completion", "bash"],
        &["--version"],
    ] {
        let exit = core.run_with(args.iter().copied()).await.unwrap();
        assert_eq!(code(exit), 0, "{args:?}");
    }
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[tokio::test]
async fn core_run_with_unknown_flag_of_a_command_starts_nothing_bad() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_with(["workspace", "list", "--al"]).await.unwrap();
    assert_eq!(code(exit), 2);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[tokio::test]
async fn core_run_with_subcommand_a_start_hook_registers_under_a_command_runs_ugly() {
    // `deploy` exists when the run begins; `deploy staging` (with its --force) only once
    // the services have started: its arguments are not judged against `deploy`'s flags.
    let core = Core::builder()
        .commands_at_start()
        .command(
            "deploy",
            Command::new().action(|_, _| async { Ok(Value::from("deployed")) }),
        )
        .service(|_| {
            Ok(Registration::new(
                "environments",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.core().cli().register(
                        "deploy/staging",
                        Command::new()
                            .flag(corers::cli::Flag::new("force", corers::cli::FlagKind::Bool))
                            .action(|_, options| async move {
                                Ok(Value::from(options.bool("force") == Some(true)))
                            }),
                    )
                }),
            ))
        })
        .build()
        .unwrap();
    let exit = core
        .run_with(["deploy", "staging", "--force"])
        .await
        .unwrap();
    assert_eq!(code(exit), 0);
}

#[tokio::test]
async fn core_run_with_unknown_command_starts_nothing_bad() {
    // As clap refuses it: no service starts (no database connected, no file locked).
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_with(["workspace", "destory"]).await.unwrap();
    assert_eq!(code(exit), 2);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[tokio::test]
async fn core_builder_commands_at_start_lets_a_start_hook_add_a_command_good() {
    let calls = calls();
    let core = workbench(&calls)
        .commands_at_start()
        .service(|_| {
            Ok(Registration::new(
                "plugins",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.core().cli().register(
                        "plugin/sync",
                        Command::new().action(|_, _| async { Ok(Value::from("synced")) }),
                    )
                }),
            ))
        })
        .build()
        .unwrap();
    assert_eq!(code(core.run_with(["plugin", "sync"]).await.unwrap()), 0);
}

#[tokio::test]
async fn core_builder_commands_at_start_not_set_a_start_hooks_command_is_refused_bad() {
    // Without it the commands are final when the run begins: the start hook never runs.
    let calls = calls();
    let started = Arc::clone(&calls);
    let core = Core::builder()
        .service(move |_| {
            let started = Arc::clone(&started);
            Ok(Registration::new(
                "plugins",
                Hooks::new().on_start(move |ctx: ServiceCtx<Core>| {
                    record(&started, "plugins started");
                    async move { ctx.core().cli().register("plugin/sync", succeeding()) }
                }),
            ))
        })
        .build()
        .unwrap();
    assert_eq!(code(core.run_with(["plugin", "sync"]).await.unwrap()), 2);
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn core_builder_commands_at_start_unknown_command_starts_then_stops_the_services_ugly() {
    // Start hooks may register it: the services start, and stop again once it is not.
    let calls = calls();
    let core = workbench(&calls).commands_at_start().build().unwrap();
    let exit = core.run_with(["workspace", "destroy"]).await.unwrap();
    assert_eq!(code(exit), 2);
    assert_eq!(taken(&calls), STARTED_AND_STOPPED);
}

#[tokio::test]
async fn core_run_with_no_arguments_exits_2_and_starts_nothing_bad() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_with(Vec::<String>::new()).await.unwrap();
    assert_eq!(code(exit), 2);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[tokio::test]
async fn core_run_with_failing_command_exit_code_follows_its_error_bad() {
    let core = Core::builder()
        .command(
            "cache/flush",
            Command::new().action(|_, _| async {
                Err(Error::new("cache.Redis.flush", "connection refused")
                    .with_code(ErrorCode::UNAVAILABLE))
            }),
        )
        .build()
        .unwrap();
    let exit = core.run_with(["cache", "flush"]).await.unwrap();
    assert_eq!(code(exit), 69);
}

fn fails_to_start(calls: &Calls) -> Core {
    let (config, command) = (Arc::clone(calls), Arc::clone(calls));
    Core::builder()
        .service(move |_| Ok(Registration::new("config", recorded(&config))))
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|_| async {
                    Err(Error::new("store.Store.open", "/srv/store is not writable")
                        .with_code(ErrorCode::DENIED))
                }),
            ))
        })
        .command(
            "workspace/list",
            Command::new().action(move |_, _| {
                let calls = Arc::clone(&command);
                async move {
                    record(&calls, "workspace list");
                    Ok(Value::Null)
                }
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_run_with_startup_failure_is_an_error_bad() {
    let core = fails_to_start(&calls());
    let err = core.run_with(["workspace", "list"]).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn core_run_with_startup_failure_stops_the_started_services_bad() {
    let calls = calls();
    let core = fails_to_start(&calls);
    core.run_with(["workspace", "list"]).await.unwrap_err();
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test]
async fn core_run_with_stop_failure_exits_1_bad() {
    let core = Core::builder()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_stop(|_| async {
                    Err(Error::new("store.Store.close", "journal not flushed"))
                }),
            ))
        })
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    let exit = core.run_with(["cache", "flush"]).await.unwrap();
    assert_eq!(code(exit), 1);
}

#[tokio::test]
async fn core_run_with_twice_is_conflict_bad() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    core.run_with(["workspace", "list"]).await.unwrap();
    let err = core.run_with(["workspace", "list"]).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

fn panics(calls: &Calls) -> Core {
    let config = Arc::clone(calls);
    Core::builder()
        .service(move |_| Ok(Registration::new("config", recorded(&config))))
        .command(
            "workspace/create",
            Command::new().action(|_, options: Options| async move {
                let name = options.string("name").expect("--name is given");
                Ok(Value::from(name.to_owned()))
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_run_with_panicking_command_exits_70_ugly() {
    let core = panics(&calls());
    let exit = core.run_with(["workspace", "create"]).await.unwrap();
    assert_eq!(code(exit), 70);
}

#[tokio::test]
async fn core_run_with_panicking_command_still_stops_services_ugly() {
    let calls = calls();
    let core = panics(&calls);
    core.run_with(["workspace", "create"]).await.unwrap();
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

/// A `Reindex` handler stuck on a std channel, run on its own multi-thread runtime, so the
/// test can keep a paused clock.
struct Stuck {
    workers: Option<tokio::runtime::Runtime>,
    release: Option<std_mpsc::Sender<()>>,
}

struct Reindex;
impl Task for Reindex {
    type Output = ();
}

impl Stuck {
    /// Registers the stuck handler on `core` and a `workspace/reindex` command that starts
    /// the task (on the workers' runtime) and returns once the handler is stuck.
    fn install(builder: CoreBuilder) -> (Core, Stuck) {
        let workers = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let handle = workers.handle().clone();
        let (release, gate) = std_mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let (entered_tx, entered) = tokio::sync::mpsc::unbounded_channel::<()>();
        let entered = Arc::new(tokio::sync::Mutex::new(entered));
        let core = builder
            .command(
                "workspace/reindex",
                Command::new().action(move |core: Core, _| {
                    let handle = handle.clone();
                    let entered = Arc::clone(&entered);
                    async move {
                        {
                            let _workers = handle.enter();
                            core.perform_async(Reindex)?;
                        }
                        entered.lock().await.recv().await;
                        Ok(Value::from("reindex started"))
                    }
                }),
            )
            .build()
            .unwrap();
        core.bus().on_task(move |_, _: &Reindex| {
            let _ = entered_tx.send(());
            let _ = gate.lock().unwrap().recv();
            Some(Ok(()))
        });
        (
            core,
            Stuck {
                workers: Some(workers),
                release: Some(release),
            },
        )
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        self.release.take();
        if let Some(workers) = self.workers.take() {
            workers.shutdown_background();
        }
    }
}

#[tokio::test(start_paused = true)]
async fn core_run_with_stuck_background_task_still_stops_services_ugly() {
    let calls = calls();
    let config = Arc::clone(&calls);
    let (core, _stuck) = Stuck::install(
        Core::builder()
            .shutdown_timeout(Duration::from_millis(50))
            .service(move |_| Ok(Registration::new("config", recorded(&config)))),
    );
    let exit = core.run_with(["workspace", "reindex"]).await.unwrap();
    assert_eq!(code(exit), 0);
    assert_eq!(taken(&calls), ["start config", "stop config"]);
    assert_eq!(core.bus().tasks_in_flight(), 1, "the task is still stuck");
}

#[test]
fn core_run_with_on_a_runtime_without_io_runs_without_signals_ugly() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    // An application's own runtime, built with timers only.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let exit = runtime
        .block_on(core.run_with(["workspace", "list"]))
        .expect("runs, without listening for signals");
    assert_eq!(code(exit), 0);
}

// ---- CoreBuilder::shutdown_timeout ----

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_bounds_the_drain_good() {
    let (core, _stuck) = Stuck::install(Core::builder().shutdown_timeout(Duration::from_secs(2)));
    let began = Instant::now();
    core.run_with(["workspace", "reindex"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_bounds_hanging_stop_hooks_bad() {
    let calls = calls();
    let config = Arc::clone(&calls);
    let core = Core::builder()
        .shutdown_timeout(Duration::from_secs(5))
        .service(move |_| Ok(Registration::new("config", recorded(&config))))
        .service(|_| {
            let flush = Hooks::new().on_stop(|_| std::future::pending());
            Ok(Registration::new("uploader", flush).stop_timeout(Duration::from_secs(600)))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap();
    let began = Instant::now();
    let err = core.shutdown().await.unwrap_err();
    assert_eq!(began.elapsed(), Duration::from_millis(5_250));
    assert!(err.to_string().contains("shutdown was forced"), "{err}");
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_is_one_budget_for_every_wait_ugly() {
    // A detached step nothing cancels (its run has a context of its own) and a stuck bus
    // task: waiting for the one leaves nothing of the budget for the other.
    let (core, _stuck) = Stuck::install(
        Core::builder()
            .shutdown_timeout(Duration::from_secs(2))
            .action(ActionSpec::new("chat.announce", |_, _| async {
                std::future::pending::<()>().await;
                Ok(Value::Null)
            }))
            .task(
                "release",
                TaskDef::new(vec![Step::run("chat.announce").detached()]),
            ),
    );
    let started = core
        .tasks()
        .run(&core, &corers::messaging::RunCtx::new(), "release")
        .await
        .unwrap();
    assert!(started.error.is_none());
    let began = Instant::now();
    core.run_with(["workspace", "reindex"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_default_is_thirty_seconds_bad() {
    let (core, _stuck) = Stuck::install(Core::builder());
    let began = Instant::now();
    core.run_with(["workspace", "reindex"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_zero_gives_up_at_once_ugly() {
    let calls = calls();
    let config = Arc::clone(&calls);
    let (core, _stuck) = Stuck::install(
        Core::builder()
            .shutdown_timeout(Duration::ZERO)
            .service(move |_| Ok(Registration::new("config", recorded(&config)))),
    );
    let began = Instant::now();
    core.run_with(["workspace", "reindex"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test]
async fn core_builder_shutdown_timeout_max_with_nothing_to_drain_ugly() {
    let calls = calls();
    let core = workbench(&calls)
        .shutdown_timeout(Duration::MAX)
        .build()
        .unwrap();
    let exit = core.run_with(["workspace", "list"]).await.unwrap();
    assert_eq!(code(exit), 0);
}

/// A `deploy` command that asks for a stop, then goes on for `working` (forever with
/// `None`) without looking at the context; `config` recorded, and an `uploader` whose stop
/// hook never ends; `extra` adds to it.
fn deploying(
    calls: &Calls,
    working: Option<Duration>,
    extra: fn(CoreBuilder) -> CoreBuilder,
) -> Core {
    let config = Arc::clone(calls);
    extra(
        Core::builder()
            .shutdown_timeout(Duration::from_secs(5))
            .service(move |_| Ok(Registration::new("config", recorded(&config))))
            .service(|_| {
                let flush = Hooks::new().on_stop(|_| std::future::pending());
                Ok(Registration::new("uploader", flush).stop_timeout(Duration::from_secs(600)))
            })
            .command(
                "deploy",
                Command::new().action(move |core: Core, _| async move {
                    core.request_shutdown();
                    match working {
                        Some(working) => tokio::time::sleep(working).await,
                        None => std::future::pending().await,
                    }
                    Ok(Value::Null)
                }),
            ),
    )
    .build()
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_counts_from_the_stop_asked_for_during_the_command_good() {
    // Three of its five seconds go to the command's return: the stop hooks get the rest
    // (and the forced shutdown's 250 ms), not five seconds more.
    let calls = calls();
    let core = deploying(&calls, Some(Duration::from_secs(3)), |builder| builder);
    let began = Instant::now();
    let exit = core.run_with(["deploy"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_millis(5_250));
    assert_eq!(code(exit), 1, "the uploader's stop was forced");
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_abandons_a_command_that_outlives_it_bad() {
    // A command that never returns after the stop: abandoned at the timeout (exit 1, it
    // did not finish), and the services still stop, in the forced shutdown's grace.
    let calls = calls();
    let core = deploying(&calls, None, |builder| builder);
    let began = Instant::now();
    let exit = core.run_with(["deploy"]).await.unwrap();
    assert_eq!(began.elapsed(), Duration::from_millis(5_250));
    assert_eq!(code(exit), 1);
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn core_builder_shutdown_timeout_abandoned_command_keeps_a_failed_tasks_code_ugly() {
    // The stop was asked for by a service task's failure: its exit code (69 for
    // UNAVAILABLE) is the run's, not the abandoned command's.
    fn failing(builder: CoreBuilder) -> CoreBuilder {
        builder.service(|_| {
            Ok(Registration::new(
                "feed",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.spawn("pull", async {
                        Err(Error::new("feed.pull", "upstream gone")
                            .with_code(ErrorCode::UNAVAILABLE))
                    })
                }),
            ))
        })
    }
    let calls = calls();
    let core = deploying(&calls, None, failing);
    let exit = core.run_with(["deploy"]).await.unwrap();
    assert_eq!(code(exit), 69);
    assert_eq!(taken(&calls), ["start config", "stop config"]);
}

#[tokio::test(start_paused = true)]
async fn core_run_with_given_up_by_its_caller_still_stops_the_services_ugly() {
    // A caller's timeout around the run drops it while the command serves: the services
    // it started are stopped all the same, as the run would have stopped them.
    let calls = calls();
    let core = workbench(&calls)
        .command(
            "serve",
            Command::new().action(|_, _| async {
                std::future::pending::<()>().await;
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap();
    let given_up = tokio::time::timeout(Duration::from_secs(1), core.run_with(["serve"])).await;
    assert!(given_up.is_err());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(taken(&calls), STARTED_AND_STOPPED);
    assert!(core.context().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn core_run_with_given_up_while_starting_finishes_the_start_hook_ugly() {
    // Dropped while a start hook runs (a migration): the hook is not cut off half-way,
    // and its service gets its stop hook from the shutdown the drop begins.
    let calls = calls();
    let (migrated, stopped) = (calls.clone(), calls.clone());
    let core = Core::builder()
        .service(move |_| {
            let (migrated, stopped) = (migrated.clone(), stopped.clone());
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_start(move |_: ServiceCtx<Core>| {
                        let migrated = migrated.clone();
                        async move {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            record(&migrated, "store migrated");
                            Ok(())
                        }
                    })
                    .on_stop(move |_: ServiceCtx<Core>| {
                        record(&stopped, "store stopped");
                        async { Ok(()) }
                    }),
            ))
        })
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    let given_up =
        tokio::time::timeout(Duration::from_millis(10), core.run_with(["cache", "flush"])).await;
    assert!(given_up.is_err(), "still starting after 10 ms");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(taken(&calls), ["store migrated", "store stopped"]);
}

// ---- Core::run (the process arguments) ----

/// Runs this binary's test `probe` alone with `var` set to `value` (the test then plays
/// its part instead of returning at once); its output, once it succeeded.
fn run_child(probe: &str, var: &str, value: &str) -> std::process::Output {
    // Plain log lines whatever colour a CI's environment forces.
    let output = Process::new(std::env::current_exe().unwrap())
        .args([probe, "--exact", "--nocapture"])
        .env(var, value)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    output
}

const PROBE: &str = "CORERS_RUN_PROBE";

/// Not a test of its own: runs a Core with `Core::run` on this process's arguments
/// (`probe --exact --nocapture`, as the parent test passes them) and prints the exit code.
#[test]
fn probe() {
    let Ok(scenario) = std::env::var(PROBE) else {
        return;
    };
    let mut builder = Core::builder().name("probe").service(|_| {
        Ok(Registration::new(
            "store",
            Hooks::new().on_stop(|ctx: ServiceCtx<Core>| async move {
                println!("@@stopped {}", ctx.name());
                Ok(())
            }),
        ))
    });
    let flags = |command: Command<Core>| {
        command
            .flag(Flag::new("exact", FlagKind::Bool))
            .flag(Flag::new("nocapture", FlagKind::Bool))
    };
    match scenario.as_str() {
        "serve" => {
            builder = builder.command(
                "probe",
                flags(Command::new()).action(|_, options: Options| async move {
                    Ok(Value::from(format!(
                        "@@probed exact={}",
                        options.bool("exact").unwrap_or_default()
                    )))
                }),
            );
        }
        "panic" => {
            builder = builder.command(
                "probe",
                flags(Command::new()).action(|_, options: Options| async move {
                    let name = options.string("name").expect("--name is given");
                    Ok(Value::from(name.to_owned()))
                }),
            );
        }
        "hostile" => {
            builder = builder.command(
                "probe",
                flags(Command::new()).action(|_, _| async {
                    // Text someone else chose, quoted with `{}` by the application.
                    Err(Error::new(
                        "probe.upload",
                        "no such file \u{1b}]0;PWNED\u{7}\u{1b}[2Jreport\u{202e}fdp.exe\tin\r/srv",
                    ))
                }),
            );
        }
        _ => {}
    }
    let core = builder.build().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let exit = runtime.block_on(core.run()).unwrap();
    println!("@@exit {}", code(exit));
}

/// Runs `probe` in a child with `scenario`; returns the `@@` lines it printed.
fn run_probe(scenario: &str) -> Vec<String> {
    let output = run_child("probe", PROBE, scenario);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once("@@").map(|(_, printed)| printed.to_owned()))
        .collect()
}

#[test]
fn core_run_dispatches_the_process_arguments_good() {
    assert_eq!(
        run_probe("serve"),
        ["probed exact=true", "stopped store", "exit 0"]
    );
}

#[test]
fn core_run_unknown_process_arguments_exit_2_bad() {
    // Refused before anything starts: the store never started, so it does not stop.
    assert_eq!(run_probe("unknown"), ["exit 2"]);
}

#[test]
fn core_run_panicking_command_exits_70_ugly() {
    assert_eq!(run_probe("panic"), ["stopped store", "exit 70"]);
}

#[test]
fn core_run_error_sends_no_terminal_escapes_ugly() {
    // An error quoting hostile text reaches the terminal escaped, as the log writes it:
    // no retitled window, no cleared screen, no right-to-left override, no carriage return.
    let output = run_child("probe", PROBE, "hostile");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            r"error: no such file \u{1b}]0;PWNED\u{7}\u{1b}[2Jreport\u{202e}fdp.exe	in\u{d}/srv"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains(['\u{1b}', '\u{7}', '\u{202e}', '\r']),
        "{stderr:?}"
    );
}

const LOGGING_PROBE: &str = "CORERS_RUN_LOGGING_PROBE";

/// Not a test of its own: runs a command that logs from a thread and a task of its own,
/// under `Core::run_with` on a runtime without a subscriber.
#[test]
fn logging_probe() {
    let Ok(scenario) = std::env::var(LOGGING_PROBE) else {
        return;
    };
    if scenario == "taken" {
        let theirs = corers::log::Logger::builder()
            .output(corers::log::Output::Stdout)
            .build();
        tracing::dispatcher::set_global_default(theirs.dispatch().clone()).unwrap();
    }
    let core = Core::builder()
        .name("probe")
        .global_logging(scenario != "off")
        .env("RUST_LOG", "info")
        .command(
            "probe",
            Command::new().action(|_, _| async {
                std::thread::spawn(|| tracing::warn!(free_gb = 2, "from a thread"))
                    .join()
                    .unwrap();
                tokio::spawn(async { tracing::warn!("from a task") })
                    .await
                    .unwrap();
                Ok(Value::Null)
            }),
        )
        .build()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let exit = runtime.block_on(core.run_with(["probe"])).unwrap();
    assert_eq!(code(exit), 0);
    if scenario == "off" {
        // Still free for the application's own.
        assert!(tracing::dispatcher::set_global_default(tracing::Dispatch::none()).is_ok());
    }
    // The process's default logger is the Core's only when it takes the hooks.
    let quiet = Core::builder()
        .global_logging(scenario != "off")
        .logger(
            corers::log::Logger::builder()
                .level(corers::log::Level::Quiet)
                .build(),
        )
        .build()
        .unwrap();
    let taken = corers::log::default_logger().level() == corers::log::Level::Quiet;
    assert_eq!(taken, scenario != "off", "{scenario}");
    drop(quiet);
}

/// Runs `logging_probe` in `scenario`; its standard output and error.
fn logging_probe_in(scenario: &str) -> (String, String) {
    let output = run_child("logging_probe", LOGGING_PROBE, scenario);
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn core_builder_global_logging_on_catches_the_applications_threads_and_tasks_good() {
    let (_, stderr) = logging_probe_in("on");
    assert!(
        stderr.contains("WARN  run: from a thread free_gb=2"),
        "{stderr}"
    );
    assert!(stderr.contains("WARN  run: from a task"), "{stderr}");
}

#[test]
fn core_builder_global_logging_off_leaves_tracing_alone_bad() {
    let (stdout, stderr) = logging_probe_in("off");
    for output in [&stdout, &stderr] {
        assert!(!output.contains("from a thread"), "{output}");
        assert!(!output.contains("from a task"), "{output}");
    }
}

#[test]
fn core_builder_global_logging_keeps_the_applications_global_subscriber_ugly() {
    // The application's subscriber (writing to standard output here) gets them.
    let (stdout, stderr) = logging_probe_in("taken");
    assert!(
        stdout.contains("WARN  run: from a thread free_gb=2"),
        "{stdout}"
    );
    assert!(stdout.contains("WARN  run: from a task"), "{stdout}");
    assert!(!stderr.contains("from a thread"), "{stderr}");
}

const PANIC_HOOK_PROBE: &str = "CORERS_RUN_PANIC_HOOK_PROBE";

/// Not a test of its own: sets a panic hook of the application's own, runs a Core with
/// `run_blocking_with` (global logging on or off as the probe says), then panics.
#[test]
fn panic_hook_probe() {
    let Ok(scenario) = std::env::var(PANIC_HOOK_PROBE) else {
        return;
    };
    std::panic::set_hook(Box::new(|_| println!("@@the application's hook")));
    let exit = Core::builder()
        .global_logging(scenario == "on")
        .env("RUST_LOG", "off")
        .command("probe", succeeding())
        .build()
        .unwrap()
        .run_blocking_with(["probe"]);
    assert_eq!(code(exit), 0);
    // RUST_LOG=off: the Core's logger is quiet, the process's own default is not.
    let quiet = corers::log::default_logger().level() == corers::log::Level::Quiet;
    println!("@@default logger taken: {quiet}");
    let _ = std::panic::catch_unwind(|| panic!("after the run"));
}

fn panic_hook_probe_in(scenario: &str) -> String {
    let output = run_child("panic_hook_probe", PANIC_HOOK_PROBE, scenario);
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn core_builder_global_logging_off_keeps_the_applications_panic_hook_good() {
    let printed = panic_hook_probe_in("off");
    assert!(printed.contains("@@the application's hook"), "{printed}");
    assert!(
        printed.contains("@@default logger taken: false"),
        "{printed}"
    );
}

#[test]
fn core_builder_global_logging_on_takes_the_panic_hook_bad() {
    let printed = panic_hook_probe_in("on");
    assert!(!printed.contains("@@the application's hook"), "{printed}");
    assert!(
        printed.contains("@@default logger taken: true"),
        "{printed}"
    );
}

// ---- Core::run_blocking ----

#[test]
fn core_run_blocking_on_the_test_harness_arguments_exits_2_bad() {
    // The harness's own arguments (a filter, flags, or nothing) name no command: a usage
    // error, whether the services started (a filter: words that may name a command one
    // of them registers) or not (nothing, or only flags).
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_blocking();
    assert_eq!(code(exit), 2);
    let ran = taken(&calls);
    assert!(ran.is_empty() || ran == STARTED_AND_STOPPED, "{ran:?}");
}

// ---- Core::run_blocking_with ----

#[test]
fn core_run_blocking_with_runs_the_command_between_start_and_stop_good() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    let exit = core.run_blocking_with(["workspace", "list"]);
    assert_eq!(code(exit), 0);
    assert_eq!(
        taken(&calls),
        [
            "start config",
            "start store",
            "workspace list",
            "stop store",
            "stop config"
        ]
    );
}

#[test]
fn core_run_blocking_with_unknown_command_exits_2_bad() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    assert_eq!(code(core.run_blocking_with(["workspace", "destroy"])), 2);
    assert!(
        taken(&calls).is_empty(),
        "a mistyped command starts nothing"
    );
}

#[tokio::test]
async fn core_run_blocking_with_inside_a_runtime_is_a_failure_not_a_panic_bad() {
    // `#[tokio::main] async fn main() { app().run_blocking() }`: said, exit 70, nothing
    // started (tokio would panic blocking its own thread on another runtime).
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    assert_eq!(code(core.run_blocking_with(["workspace", "list"])), 70);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[test]
fn core_run_blocking_with_no_arguments_starts_nothing_ugly() {
    let calls = calls();
    let core = workbench(&calls).build().unwrap();
    assert_eq!(code(core.run_blocking_with(Vec::<String>::new())), 2);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

// ---- CoreBuilder::run_blocking ----

#[test]
fn core_builder_run_blocking_builds_and_runs_good() {
    let calls = calls();
    let exit = workbench(&calls).run_blocking();
    // The harness's arguments name no command (see core_run_blocking_on_the_test_harness…).
    assert_eq!(code(exit), 2);
    let ran = taken(&calls);
    assert!(ran.is_empty() || ran == STARTED_AND_STOPPED, "{ran:?}");
}

#[test]
fn core_builder_run_blocking_failed_build_exits_1_and_starts_nothing_bad() {
    let calls = calls();
    let again = Arc::clone(&calls);
    let exit = workbench(&calls)
        .service(move |_| Ok(Registration::new("store", recorded(&again))))
        .run_blocking();
    assert_eq!(code(exit), 1);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

#[test]
fn core_builder_run_blocking_panicking_factory_exits_70_ugly() {
    // The panic is an INTERNAL error: EX_SOFTWARE, as a panicking command's.
    let calls = calls();
    let exit = workbench(&calls)
        .service(|_| -> Result<Registration<Core>> { panic!("no database URL") })
        .run_blocking();
    assert_eq!(code(exit), 70);
    assert!(taken(&calls).is_empty(), "{:?}", taken(&calls));
}

// ---- CoreBuilder::run_blocking_with ----

/// Runs `builder` (with a `store` service noting `store.shards` as its factory reads it,
/// and a `shards` command) on `args`; the exit code and what the factory read.
fn shards_read_by_the_factory(builder: CoreBuilder, args: &[&str]) -> (u8, Option<i64>) {
    let seen = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&seen);
    let exit = builder
        .service(move |core| {
            *kept.lock().unwrap() = core.config().int("store.shards").ok();
            Ok(Registration::new("store", Hooks::new()))
        })
        .command("shards", succeeding())
        .run_blocking_with(args.iter().copied());
    let read = *seen.lock().unwrap();
    (code(exit), read)
}

#[test]
fn core_builder_run_blocking_with_set_reaches_the_factories_good() {
    assert_eq!(
        shards_read_by_the_factory(Core::builder(), &["--set", "store.shards=8", "shards"]),
        (0, Some(8))
    );
}

#[test]
fn core_builder_run_blocking_with_own_settings_args_win_bad() {
    // Settings given to the builder are not replaced by the run's arguments.
    let builder = Core::builder().settings_from_args(["--set", "store.shards=2"]);
    assert_eq!(
        shards_read_by_the_factory(builder, &["--set", "store.shards=8", "shards"]),
        (0, Some(2))
    );
}

#[test]
fn core_builder_run_blocking_with_version_answers_even_when_the_build_would_fail_ugly() {
    let failing = || {
        Core::builder().name("workbench").version("0.4.1").service(
            |_| -> Result<Registration<Core>> {
                Err(Error::new(
                    "store.Db.connect",
                    "no database on this machine",
                ))
            },
        )
    };
    assert_eq!(
        failing().run_blocking_with(["--version"]),
        ExitCode::SUCCESS
    );
    assert_eq!(failing().run_blocking_with(["-V"]), ExitCode::SUCCESS);
    // Anything else but help still needs the build, which fails.
    assert_eq!(code(failing().run_blocking_with(["health"])), 1);
}

/// A builder whose `store` factory fails, after a `config` service, with a `workspace/list`
/// command of its own and an `index` command the failing factory would have registered.
fn without_a_database() -> CoreBuilder {
    Core::builder()
        .name("workbench")
        .version("0.4.1")
        .service(|_| Ok(Registration::new("config", Hooks::new())))
        .service(|core| -> Result<Registration<Core>> {
            let connected: Result<()> = Err(Error::new(
                "store.Db.connect",
                "no database on this machine",
            )
            .with_code(ErrorCode::UNAVAILABLE));
            connected?;
            core.cli().register("index", succeeding())?;
            Ok(Registration::new("store", Hooks::new()))
        })
        .command(
            "workspace/list",
            Command::new()
                .description("List the workspaces")
                .flag(Flag::new("verbose", FlagKind::Bool).short('v'))
                .action(|_, _| async { Ok(Value::Null) }),
        )
}

#[test]
fn core_builder_run_blocking_with_help_answers_when_a_factory_fails_good() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["help", "workspace", "list"],
        &["workspace", "list", "--help"],
        &["--set", "store.shards=2", "help"],
        &["workspace", "list", "-vh"],
        // A shell loading the script at every start gets it, not a config error.
        &["completion", "bash"],
    ] {
        let exit = without_a_database().run_blocking_with(args.iter().copied());
        assert_eq!(exit, ExitCode::SUCCESS, "{args:?}");
    }
}

#[test]
fn core_builder_run_blocking_with_help_for_what_failed_to_build_is_the_build_error_bad() {
    // `index` came from the failing factory: its help cannot be given, and the build's
    // error (UNAVAILABLE: 69) is what is printed, as for any command.
    for args in [
        &["index", "--help"][..],
        &["help", "index"],
        &["workspace", "list"],
    ] {
        let exit = without_a_database().run_blocking_with(args.iter().copied());
        assert_eq!(code(exit), 69, "{args:?}");
    }
    // `help` after `--` is a word, not a request for help.
    let exit = without_a_database().run_blocking_with(["workspace", "list", "--", "--help"]);
    assert_eq!(code(exit), 69);
}

#[test]
fn core_builder_run_blocking_with_help_survives_a_config_file_that_does_not_read_ugly() {
    let dir = std::env::temp_dir().join(format!("corers-help-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("workbench.toml");
    std::fs::write(&file, "[index\nfiles_per_char = 3\n").unwrap();
    let builder = || {
        Core::builder()
            .config(
                corers::config::Config::builder()
                    .default_value("index.files_per_char", 2)
                    .file(&file),
            )
            .service(|core| {
                // The factory still reads what did build: the defaults.
                assert_eq!(core.config().int("index.files_per_char").unwrap(), 2);
                Ok(Registration::new("indexer", Hooks::new()))
            })
            .command("workspace/list", succeeding())
    };
    assert_eq!(builder().run_blocking_with(["--help"]), ExitCode::SUCCESS);
    // EX_CONFIG for anything that runs.
    assert_eq!(code(builder().run_blocking_with(["workspace", "list"])), 78);
    std::fs::remove_dir_all(&dir).unwrap();
}

const HELP_PROBE: &str = "CORERS_HELP_PROBE";

/// Not a test of its own: runs `without_a_database` on the arguments in `HELP_PROBE`, so
/// that its parent can read what it prints.
#[test]
fn help_probe() {
    let Ok(args) = std::env::var(HELP_PROBE) else {
        return;
    };
    println!("@@begin");
    let exit = without_a_database().run_blocking_with(args.split(' '));
    println!("@@end {}", code(exit));
}

#[test]
fn core_builder_run_blocking_with_help_output_names_the_failure_good() {
    let output = run_child("help_probe", HELP_PROBE, "--help");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (_, printed) = stdout.split_once("@@begin\n").unwrap();
    let (help, _) = printed.split_once("@@end").unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let warning = stderr
        .lines()
        .find(|line| line.starts_with("warning:"))
        .unwrap();
    insta::assert_snapshot!(format!("{help}--- stderr\n{warning}\n"));
}

#[test]
fn core_builder_run_blocking_with_completion_script_despite_a_failed_build_ugly() {
    let output = run_child("help_probe", HELP_PROBE, "completion bash");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (_, printed) = stdout.split_once("@@begin\n").unwrap();
    let (script, end) = printed.split_once("@@end").unwrap();
    assert!(end.starts_with(" 0\n"), "{end}");
    assert!(script.contains("complete -F"), "{script}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "warning: the application does not build, and this completion script leaves out what failed: "
        ),
        "{stderr}"
    );
}

#[test]
fn core_builder_run_blocking_with_config_subcommand_of_the_app_refused_by_a_failed_build_bad() {
    // Only the built-in `config` runs on what did build: the application's `config set`
    // (a write, a migration) is refused like any other command, and never runs.
    let ran = Arc::new(Mutex::new(false));
    let seen = Arc::clone(&ran);
    let exit = without_a_database()
        .command(
            "config/set",
            Command::new().action(move |_, _| {
                *seen.lock().unwrap() = true;
                async { Ok(Value::Null) }
            }),
        )
        .run_blocking_with(["config", "set"]);
    assert_eq!(code(exit), 69);
    assert!(!*ran.lock().unwrap());
}

/// `builder` with a `check` command that does nothing, run on `check`.
fn checked(builder: CoreBuilder) -> ExitCode {
    builder
        .command("check", succeeding())
        .run_blocking_with(["check"])
}

#[test]
fn core_builder_run_blocking_with_invalid_setting_at_start_exits_78_ugly() {
    // EX_CONFIG: a supervisor need not restart an application whose settings do not fit.
    let exit = checked(Core::builder().service(|_| {
        Ok(Registration::new(
            "config",
            Hooks::new().on_start(|_| async {
                Err(
                    Error::new("app.Settings.check", "index.files_per_char is not a number")
                        .with_code(ErrorCode::INVALID),
                )
            }),
        ))
    }));
    assert_eq!(code(exit), 78);
}

#[test]
fn core_builder_run_blocking_with_config_key_a_factory_needs_not_set_exits_78_bad() {
    // The config's NOT_FOUND (66 while running) is a setting to fix at startup: 78, which
    // the README's RestartPreventExitStatus covers.
    let exit = checked(Core::builder().service(|core| {
        let _shards = core.config().int("index.shards")?;
        Ok(Registration::new("indexer", Hooks::new()))
    }));
    assert_eq!(code(exit), 78);
}

#[test]
fn core_builder_run_blocking_with_missing_file_of_the_applications_own_exits_66_ugly() {
    // Not the config's (an application's own `config.` operation, too): the error's own
    // code decides.
    let exit = checked(Core::builder().service(|_| {
        Ok(Registration::new(
            "config",
            Hooks::new().on_start(|_| async {
                let fetch = Error::new("config.Loader.fetch", "no such database")
                    .with_code(ErrorCode::NOT_FOUND);
                Err(Error::wrap(fetch, "store.Db.open", "open the store"))
            }),
        ))
    }));
    assert_eq!(code(exit), 66);
}

// ---- Core::context ----

#[tokio::test]
async fn core_context_cancelled_before_the_stop_hooks_good() {
    let calls = calls();
    let seen = Arc::clone(&calls);
    let core = Core::builder()
        .service(move |_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_stop(move |ctx: ServiceCtx<Core>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let cancelled = ctx.core().context().is_cancelled();
                        record(&seen, format!("context cancelled={cancelled}"));
                        Ok(())
                    }
                }),
            ))
        })
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    core.run_with(["cache", "flush"]).await.unwrap();
    assert_eq!(taken(&calls), ["context cancelled=true"]);
}

#[tokio::test]
async fn core_context_live_while_a_command_runs_bad() {
    let calls = calls();
    let seen = Arc::clone(&calls);
    let core = Core::builder()
        .command(
            "cache/flush",
            Command::new().action(move |core: Core, _| {
                let seen = Arc::clone(&seen);
                async move {
                    record(
                        &seen,
                        format!("cancelled={}", core.context().is_cancelled()),
                    );
                    Ok(Value::Null)
                }
            }),
        )
        .build()
        .unwrap();
    assert!(!core.context().is_cancelled());
    core.run_with(["cache", "flush"]).await.unwrap();
    assert_eq!(taken(&calls), ["cancelled=false"]);
}

#[tokio::test]
async fn core_context_cancelled_by_hand_refuses_actions_ugly() {
    let core = Core::builder()
        .action(ActionSpec::new(
            "workspace.index",
            |_: ActionCtx<Core>, _| async { Ok(Value::from(12)) },
        ))
        .build()
        .unwrap();
    core.context().cancel();
    let err = core
        .run_action("workspace.index", Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

// ---- Core::bus ----

struct WorkspaceCreated {
    name: &'static str,
}

#[test]
fn core_bus_handlers_receive_the_core_good() {
    let calls = calls();
    let seen = Arc::clone(&calls);
    let core = Core::builder().name("workbench").build().unwrap();
    core.bus().on(move |ctx, created: &WorkspaceCreated| {
        record(
            &seen,
            format!("{} created {}", ctx.core().app().name, created.name),
        );
        Ok(())
    });
    let report = core.broadcast(&WorkspaceCreated { name: "alpha" }).unwrap();
    assert!(report.is_ok());
    assert_eq!(taken(&calls), ["workbench created alpha"]);
}

#[test]
fn core_bus_of_another_core_is_not_reached_bad() {
    let calls = calls();
    let seen = Arc::clone(&calls);
    let first = Core::builder().build().unwrap();
    let second = Core::builder().build().unwrap();
    first.bus().on(move |_, created: &WorkspaceCreated| {
        record(&seen, created.name);
        Ok(())
    });
    let report = second
        .broadcast(&WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert_eq!(report.handled(), 0);
    assert!(taken(&calls).is_empty());
}

#[test]
fn core_bus_shared_by_clones_ugly() {
    let core = Core::builder().build().unwrap();
    let clone = core.clone();
    clone.bus().on(|_, _: &WorkspaceCreated| Ok(()));
    assert_eq!(
        core.broadcast(&WorkspaceCreated { name: "alpha" })
            .unwrap()
            .handled(),
        1
    );
}

// ---- Core::broadcast ----

#[test]
fn core_broadcast_reaches_every_handler_good() {
    let core = Core::builder().build().unwrap();
    core.bus().on(|_, _: &WorkspaceCreated| Ok(()));
    core.bus().on(|_, _: &WorkspaceCreated| Ok(()));
    let report = core.broadcast(&WorkspaceCreated { name: "alpha" }).unwrap();
    assert_eq!(report.handled(), 2);
}

#[test]
fn core_broadcast_failing_handler_is_reported_bad() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on(|_, _: &WorkspaceCreated| Err(Error::new("search.Index.add", "index is read-only")));
    let report = core.broadcast(&WorkspaceCreated { name: "alpha" }).unwrap();
    assert_eq!(report.failures().len(), 1);
}

#[test]
fn core_broadcast_panicking_handler_is_caught_ugly() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on(|_, created: &WorkspaceCreated| panic!("no room for {}", created.name));
    let report = core.broadcast(&WorkspaceCreated { name: "alpha" }).unwrap();
    assert_eq!(
        report.failures()[0].error.code(),
        Some(&ErrorCode::INTERNAL)
    );
}

// ---- Core::query ----

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

#[test]
fn core_query_answered_good() {
    let core = Core::builder().build().unwrap();
    core.bus().on_query(|_, _: &WorkspaceCount| Some(Ok(3)));
    assert_eq!(core.query(&WorkspaceCount).answer(), Some(3));
}

#[test]
fn core_query_unanswered_is_none_bad() {
    let core = Core::builder().build().unwrap();
    core.bus().on_query(|_, _: &WorkspaceCount| None);
    assert_eq!(core.query(&WorkspaceCount).answer(), None);
}

#[test]
fn core_query_panicking_handler_fails_ugly() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_query(|_, _: &WorkspaceCount| -> Option<Result<usize>> {
            panic!("workspace list poisoned")
        });
    let err = core.query(&WorkspaceCount).into_result().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---- Core::perform ----

struct FlushCache {
    keys: usize,
}
impl Task for FlushCache {
    type Output = usize;
}

#[test]
fn core_perform_handled_good() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_task(|_, task: &FlushCache| Some(Ok(task.keys)));
    assert_eq!(core.perform(&FlushCache { keys: 12 }).answer(), Some(12));
}

#[test]
fn core_perform_without_a_handler_bad() {
    let core = Core::builder().build().unwrap();
    assert!(core.perform(&FlushCache { keys: 12 }).answer().is_none());
}

#[test]
fn core_perform_handler_error_ugly() {
    let core = Core::builder().build().unwrap();
    core.bus().on_task(|_, _: &FlushCache| {
        Some(Err(
            Error::new("cache.Redis.flush", "connection refused").with_code(ErrorCode::UNAVAILABLE)
        ))
    });
    let err = core
        .perform(&FlushCache { keys: 12 })
        .into_result()
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

// ---- Core::perform_async ----

#[tokio::test]
async fn core_perform_async_completes_in_the_background_good() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_task(|_, task: &FlushCache| Some(Ok(task.keys)));
    let (done, mut completed) = tokio::sync::mpsc::unbounded_channel();
    core.bus().on(move |_, c: &TaskCompleted<FlushCache>| {
        let _ = done.send((c.id.clone(), *c.outcome.as_ref().unwrap()));
        Ok(())
    });
    let id = core.perform_async(FlushCache { keys: 12 }).unwrap();
    assert_eq!(completed.recv().await, Some((id, 12)));
}

#[tokio::test]
async fn core_perform_async_after_shutdown_is_unavailable_bad() {
    let core = Core::builder()
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    core.run_with(["cache", "flush"]).await.unwrap();
    let err = core.perform_async(FlushCache { keys: 12 }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn core_perform_async_ids_are_counted_per_core_ugly() {
    let first = Core::builder().build().unwrap();
    let second = Core::builder().build().unwrap();
    let a = first.perform_async(FlushCache { keys: 1 }).unwrap();
    let b = first.perform_async(FlushCache { keys: 2 }).unwrap();
    let c = second.perform_async(FlushCache { keys: 3 }).unwrap();
    assert_eq!(
        [a.as_str(), b.as_str(), c.as_str()],
        ["task-1", "task-2", "task-1"]
    );
}

// ---- Core::perform_async_handle ----

#[tokio::test]
async fn core_perform_async_handle_awaits_the_outcome_good() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_task(|_, task: &FlushCache| Some(Ok(task.keys)));
    let flushed = core
        .perform_async_handle(FlushCache { keys: 12 })
        .unwrap()
        .await
        .unwrap();
    assert_eq!(flushed, 12);
}

#[tokio::test]
async fn core_perform_async_handle_failing_handler_awaits_its_error_bad() {
    let core = Core::builder().build().unwrap();
    core.bus().on_task(|_, _: &FlushCache| {
        Some(Err(
            Error::new("cache.Redis.flush", "connection refused").with_code(ErrorCode::UNAVAILABLE)
        ))
    });
    let err = core
        .perform_async_handle(FlushCache { keys: 12 })
        .unwrap()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("connection refused"), "{err}");
}

#[tokio::test]
async fn core_perform_async_handle_after_shutdown_is_refused_ugly() {
    let core = Core::builder().build().unwrap();
    core.bus()
        .on_task(|_, task: &FlushCache| Some(Ok(task.keys)));
    core.shutdown().await.unwrap();
    let err = core
        .perform_async_handle(FlushCache { keys: 12 })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

// ---- Core::progress ----

#[tokio::test]
async fn core_progress_is_broadcast_good() {
    let core = Core::builder().build().unwrap();
    let calls = calls();
    let seen = Arc::clone(&calls);
    core.bus().on(move |_, p: &TaskProgress| {
        record(&seen, format!("{:.0}% {}", p.fraction * 100.0, p.message));
        Ok(())
    });
    // The flush waits in its handler until the gate drops: still running when it reports.
    let (gate, held) = std_mpsc::channel::<()>();
    let held = Mutex::new(held);
    core.bus().on_task(move |_, task: &FlushCache| {
        let _ = held.lock().unwrap().recv();
        Some(Ok(task.keys))
    });
    let id = core.perform_async(FlushCache { keys: 12 }).unwrap();
    let report = core.progress(&id, 0.5, "flushed 6 of 12 keys").unwrap();
    drop(gate);
    assert_eq!(report.handled(), 1);
    assert_eq!(taken(&calls), ["50% flushed 6 of 12 keys"]);
}

#[test]
fn core_progress_of_an_unknown_task_is_not_found_bad() {
    let core = Core::builder().build().unwrap();
    let other = Core::builder().build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let id = runtime.block_on(async { other.perform_async(FlushCache { keys: 1 }).unwrap() });
    let err = core.progress(&id, 0.5, "halfway").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn core_progress_outside_zero_to_one_is_invalid_ugly() {
    let core = Core::builder().build().unwrap();
    let id = core.perform_async(FlushCache { keys: 12 }).unwrap();
    for fraction in [1.5, -0.1, f64::NAN] {
        let err = core.progress(&id, fraction, "flushing").unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{fraction}");
    }
}

// ---- Core::actions, Core::action, Core::run_action ----

fn index_action() -> ActionSpec<Core> {
    ActionSpec::new(
        "workspace.index",
        |ctx: ActionCtx<Core>, options: Options| async move {
            Ok(Value::from(format!(
                "{} indexed {}",
                ctx.core().app().name,
                options.string("name").unwrap_or("default")
            )))
        },
    )
}

fn with_index_action() -> Core {
    Core::builder()
        .name("workbench")
        .action(index_action())
        .build()
        .unwrap()
}

#[test]
fn core_actions_lists_the_registered_good() {
    let core = with_index_action();
    assert_eq!(core.actions().names(), ["workspace.index"]);
}

#[test]
fn core_actions_unknown_does_not_exist_bad() {
    let core = with_index_action();
    assert!(!core.actions().exists("workspace.delete"));
}

#[test]
fn core_actions_still_open_after_build_ugly() {
    let core = with_index_action();
    core.actions()
        .register(ActionSpec::new(
            "workspace.delete",
            |_: ActionCtx<Core>, _| async { Ok(Value::Null) },
        ))
        .unwrap();
    assert_eq!(
        core.registry("actions").unwrap(),
        ["workspace.index", "workspace.delete"]
    );
}

#[tokio::test]
async fn core_action_handle_runs_it_good() {
    let core = with_index_action();
    let action = core.action("workspace.index");
    assert!(action.exists());
    let value = action
        .run(
            &core,
            &corers::messaging::RunCtx::new(),
            options! { "name" => "alpha" },
        )
        .await
        .unwrap();
    assert_eq!(value, Value::from("workbench indexed alpha"));
}

#[tokio::test]
async fn core_action_unknown_is_not_found_bad() {
    let core = with_index_action();
    let action = core.action("workspace.delete");
    assert!(!action.exists());
    let err = action
        .run(&core, &corers::messaging::RunCtx::new(), Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn core_action_disabled_is_unavailable_ugly() {
    let core = with_index_action();
    core.action("workspace.index").disable().unwrap();
    let err = core
        .run_action("workspace.index", Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn core_run_action_gives_the_handler_the_core_good() {
    let core = with_index_action();
    let value = core
        .run_action("workspace.index", options! { "name" => "alpha" })
        .await
        .unwrap();
    assert_eq!(value, Value::from("workbench indexed alpha"));
}

#[tokio::test]
async fn core_run_action_unknown_is_not_found_bad() {
    let core = with_index_action();
    let err = core
        .run_action("workspace.delete", Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn core_run_action_after_run_is_refused_ugly() {
    let core = Core::builder()
        .action(index_action())
        .command("cache/flush", succeeding())
        .build()
        .unwrap();
    core.run_with(["cache", "flush"]).await.unwrap();
    let err = core
        .run_action("workspace.index", Options::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

// ---- Core::run_ctx ----

#[tokio::test]
async fn core_run_ctx_carries_deadline_and_values_to_the_handler_good() {
    struct Session(&'static str);
    let core = Core::builder()
        .action(ActionSpec::new(
            "auth.whoami",
            |ctx: ActionCtx<Core>, _| async move {
                let session = ctx.run_ctx().extension::<Session>().map(|s| s.0);
                Ok(Value::from(format!(
                    "{} with deadline {}",
                    session.unwrap_or("none"),
                    ctx.run_ctx().deadline().is_some()
                )))
            },
        ))
        .build()
        .unwrap();
    let ctx = core
        .run_ctx()
        .with_extension(Session("session-7f3a"))
        .with_timeout(std::time::Duration::from_secs(30));
    let out = core
        .actions()
        .run(&core, &ctx, "auth.whoami", Options::new())
        .await;
    assert_eq!(out.unwrap(), Value::from("session-7f3a with deadline true"));
}

#[tokio::test]
async fn core_run_ctx_ends_a_run_when_the_core_shuts_down_bad() {
    // A run under the Core's context is cut off by shutdown; one under a bare context
    // would wait on.
    let core = Core::builder()
        .action(ActionSpec::new("index.rebuild", |_, _| async {
            std::future::pending::<()>().await;
            Ok(Value::Null)
        }))
        .build()
        .unwrap();
    let ctx = core.run_ctx();
    let run = {
        let core = core.clone();
        tokio::spawn(async move {
            core.actions()
                .run(&core, &ctx, "index.rebuild", Options::new())
                .await
        })
    };
    tokio::task::yield_now().await;
    core.request_shutdown();
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.message().contains("cancelled"), "{err}");
}

#[test]
fn core_run_ctx_made_after_shutdown_is_already_cancelled_ugly() {
    let core = Core::builder().build().unwrap();
    core.request_shutdown();
    assert!(core.run_ctx().cancel_token().is_cancelled());
    // Each context is its own child: cancelling one leaves the Core's token alone.
    let other = Core::builder().build().unwrap();
    other.run_ctx().cancel_token().cancel();
    assert!(!other.context().is_cancelled());
    assert!(!other.run_ctx().cancel_token().is_cancelled());
}

// ---- Core::tasks, Core::run_task ----

fn with_nightly_task() -> Core {
    Core::builder()
        .name("workbench")
        .action(index_action())
        .task(
            "nightly.index",
            TaskDef::new(vec![
                Step::run("workspace.index").with_options(options! { "name" => "alpha" }),
            ]),
        )
        .build()
        .unwrap()
}

#[test]
fn core_tasks_lists_the_defined_good() {
    let core = with_nightly_task();
    assert_eq!(core.tasks().names(), ["nightly.index"]);
}

#[test]
fn core_tasks_unknown_is_none_bad() {
    let core = with_nightly_task();
    assert!(core.tasks().get("weekly.backup").is_none());
}

#[test]
fn core_tasks_still_open_after_build_ugly() {
    let core = with_nightly_task();
    core.tasks()
        .define(
            "weekly.backup",
            TaskDef::new(vec![Step::run("workspace.index")]),
        )
        .unwrap();
    assert_eq!(
        core.registry("tasks").unwrap(),
        ["nightly.index", "weekly.backup"]
    );
}

#[tokio::test]
async fn core_run_task_runs_its_steps_good() {
    let core = with_nightly_task();
    let report = core.run_task("nightly.index").await.unwrap();
    assert!(report.is_ok());
    assert_eq!(
        report.into_result().unwrap(),
        Value::from("workbench indexed alpha")
    );
}

#[tokio::test]
async fn core_run_task_unknown_is_not_found_bad() {
    let core = with_nightly_task();
    let err = core.run_task("weekly.backup").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn core_run_task_after_shutdown_fails_its_steps_ugly() {
    let core = with_nightly_task();
    core.context().cancel();
    let report = core.run_task("nightly.index").await.unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.error.unwrap().code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test]
async fn core_run_task_with_input_names_the_workspace_good() {
    let core = Core::builder()
        .name("workbench")
        .action(index_action())
        .task(
            "index.one",
            TaskDef::new(vec![Step::run("workspace.index").with_previous()]),
        )
        .build()
        .unwrap();
    let report = core
        .run_task_with("index.one", options! { "name" => "beta" })
        .await
        .unwrap();
    assert_eq!(
        report.into_result().unwrap(),
        Value::from("workbench indexed beta")
    );
}

#[tokio::test]
async fn core_run_task_with_unknown_task_not_found_bad() {
    let core = with_nightly_task();
    let err = core
        .run_task_with("weekly.backup", options! { "name" => "beta" })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(err.message().contains("weekly.backup"), "{err}");
}

#[tokio::test]
async fn core_run_task_with_input_the_step_does_not_take_ugly() {
    // The step has its own options and no `input = "previous"`: the input is not its.
    let core = with_nightly_task();
    let report = core
        .run_task_with("nightly.index", options! { "name" => "beta" })
        .await
        .unwrap();
    assert_eq!(
        report.into_result().unwrap(),
        Value::from("workbench indexed alpha")
    );
}

// ---------------------------------------------------------------- stops asked for from inside

/// An `admin` service whose task asks for a shutdown as soon as it runs.
fn quitting() -> Registration<Core> {
    Registration::new(
        "admin",
        Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
            let core = ctx.core().clone();
            ctx.spawn("quit", async move {
                core.request_shutdown();
                Ok(())
            })
        }),
    )
}

/// A `metrics` service whose task panics, and whose start hook goes on long enough for
/// the panic to be heard.
fn scraping() -> Registration<Core> {
    Registration::new(
        "metrics",
        Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
            ctx.spawn("scrape", async { panic!("scrape list poisoned") })?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        }),
    )
}

/// A `config` service whose start hook finds it cannot go on and asks for a shutdown.
fn giving_up() -> Registration<Core> {
    Registration::new(
        "config",
        Hooks::new().on_start(|ctx: ServiceCtx<Core>| {
            ctx.request_shutdown();
            async { Ok(()) }
        }),
    )
}

/// The exit code of `serve` run on the process's way, with `service` beside it.
async fn serve_exit(service: fn() -> Registration<Core>) -> u8 {
    let core = serving().service(move |_| Ok(service())).build().unwrap();
    code(core.run_with(["serve"]).await.unwrap())
}

/// `serve` under the test kit, which a failing service task must end (within 10 s).
async fn serve_until_a_task_fails(core: &Core) -> corers::testing::CliRun {
    tokio::time::timeout(
        Duration::from_secs(10),
        corers::testing::run_cli(core, ["serve"]),
    )
    .await
    .expect("a failed task ends the serve command")
}

/// A `serve` command: runs until shutdown begins.
fn serving() -> CoreBuilder {
    Core::builder().name("workbench").command(
        "serve",
        Command::new().action(|core: Core, _| async move {
            core.context().cancelled().await;
            Ok(Value::from("served"))
        }),
    )
}

// On the paused clock, as the next: the task fails once `serve` waits, whatever the load.
#[tokio::test(start_paused = true)]
async fn core_run_cli_service_task_failure_then_a_failed_stop_keeps_the_tasks_exit_code_ugly() {
    let core = serving()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new()
                    .on_start(|ctx: ServiceCtx<Core>| async move {
                        ctx.spawn("writer", async {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Err(Error::new("store.Writer.flush", "disk full")
                                .with_code(ErrorCode::UNAVAILABLE))
                        })
                    })
                    .on_stop(|_| async { Err(Error::new("store.Store.close", "lock held")) }),
            ))
        })
        .build()
        .unwrap();
    let run = serve_until_a_task_fails(&core).await;
    // The task's failure came first: its code (69), not the stop's 1; both are printed.
    assert_eq!(run.exit_code, 69, "{run:?}");
    assert!(run.stderr.contains("disk full"), "{}", run.stderr);
    assert!(run.stderr.contains("lock held"), "{}", run.stderr);
}

// On the paused clock: the writer's 20 ms pass only once `serve` waits, so the failure
// never lands during startup on a loaded machine.
#[tokio::test(start_paused = true)]
async fn core_run_cli_service_task_failure_ends_the_run_with_its_exit_code_bad() {
    let calls = calls();
    let core = serving()
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.spawn("writer", async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Err(Error::new("store.Writer.flush", "disk full")
                            .with_code(ErrorCode::UNAVAILABLE))
                    })
                }),
            ))
        })
        .service({
            let calls = calls.clone();
            move |_| Ok(Registration::new("cache", recorded(&calls)))
        })
        .build()
        .unwrap();
    let run = serve_until_a_task_fails(&core).await;
    // UNAVAILABLE: sysexits' EX_UNAVAILABLE, as a startup failure of that code.
    assert_eq!(run.exit_code, 69, "{run:?}");
    assert!(
        run.stderr
            .contains(r#"error: task "writer" of service "store" failed"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("disk full"), "{}", run.stderr);
    assert_eq!(run.stdout, "served\n");
    assert_eq!(taken(&calls), ["start cache", "stop cache"]);
}

#[tokio::test]
async fn core_request_shutdown_from_an_action_ends_serve_with_success_good() {
    let core = serving()
        .action(ActionSpec::new(
            "admin.quit",
            |ctx: ActionCtx<Core>, _| async move {
                ctx.core().request_shutdown();
                Ok(Value::Null)
            },
        ))
        .service(|_| {
            Ok(Registration::new(
                "admin",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    let core = ctx.core().clone();
                    ctx.spawn("quit", async move {
                        core.run_action("admin.quit", Options::new()).await?;
                        Ok(())
                    })
                }),
            ))
        })
        .build()
        .unwrap();
    let run = tokio::time::timeout(
        Duration::from_secs(10),
        corers::testing::run_cli(&core, ["serve"]),
    )
    .await
    .expect("the request ends the serve command");
    assert_eq!((run.exit_code, run.stderr.as_str()), (0, ""), "{run:?}");
    assert_eq!(serve_exit(quitting).await, 0);
}

#[tokio::test]
async fn core_run_service_task_panic_during_startup_stops_it_with_exit_70_ugly() {
    let calls = calls();
    let core = serving()
        .service(|_| Ok(scraping()))
        .service({
            let calls = calls.clone();
            move |_| Ok(Registration::new("cache", recorded(&calls)))
        })
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["serve"]).await;
    assert_eq!(run.exit_code, 70, "{run:?}");
    assert!(
        run.stderr.contains("scrape list poisoned"),
        "{}",
        run.stderr
    );
    // Startup stopped after the running hook: the cache never started, the command never ran.
    assert_eq!(taken(&calls), Vec::<String>::new());
    assert_eq!(run.stdout, "");
    assert_eq!(serve_exit(scraping).await, 70);
}

#[tokio::test]
async fn core_stop_hook_runs_an_action_under_its_own_run_ctx_good() {
    let calls = calls();
    let flushed = calls.clone();
    let hook = calls.clone();
    let core = Core::builder()
        .action(ActionSpec::new(
            "cache.flush",
            move |_: ActionCtx<Core>, _| {
                record(&flushed, "cache.flush");
                async { Ok(Value::Null) }
            },
        ))
        .service(move |_| {
            let hook = hook.clone();
            Ok(Registration::new(
                "cache",
                Hooks::new().on_stop(move |ctx: ServiceCtx<Core>| {
                    let hook = hook.clone();
                    async move {
                        let core = ctx.core();
                        // Shutdown has begun: the Core's own context refuses the run...
                        let refused = core.run_action("cache.flush", Options::new()).await;
                        record(&hook, format!("refused: {}", refused.is_err()));
                        // ...the hook's runs it.
                        core.actions()
                            .run(core, &ctx.run_ctx(), "cache.flush", Options::new())
                            .await?;
                        Ok(())
                    }
                }),
            ))
        })
        .build()
        .unwrap();
    core.startup().await.unwrap();
    core.shutdown().await.unwrap();
    assert_eq!(taken(&calls), ["refused: true", "cache.flush"]);
}

#[tokio::test]
async fn core_run_cli_task_failure_while_shutting_down_is_reported_ugly() {
    // The command ends well; as the application stops, a task watching the Core's context
    // (not its service's turn) fails: that is still the run's failure.
    let core = Core::builder()
        .command("cache/flush", succeeding())
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    let core = ctx.core().clone();
                    ctx.spawn("replicator", async move {
                        core.context().cancelled().await;
                        Err(
                            Error::new("store.Replica.sync", "replica lost the last batch")
                                .with_code(ErrorCode::UNAVAILABLE),
                        )
                    })
                }),
            ))
        })
        .service(|_| Ok(slow_to_stop_cache()))
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!(run.exit_code, 69, "{run:?}");
    assert!(
        run.stderr.contains("replica lost the last batch"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn core_run_cli_task_refused_by_the_stop_is_no_failure_good() {
    // The command ends well; as the application stops, tasks watching the Core's context
    // try more work, which the stop refuses (the bus shut down, the Core's runs cancelled):
    // the stop ended them, and the run succeeded.
    let calls = calls();
    let tasks = calls.clone();
    let core = Core::builder()
        .command("cache/flush", succeeding())
        .action(ActionSpec::new(
            "store.compact",
            |_: ActionCtx<Core>, _| async { Ok(Value::Null) },
        ))
        .service(move |_| {
            let tasks = tasks.clone();
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(move |ctx: ServiceCtx<Core>| {
                    let (pushed, compacted) = (tasks.clone(), tasks.clone());
                    async move {
                        let core = ctx.core().clone();
                        ctx.spawn("replicator", async move {
                            core.context().cancelled().await;
                            record(&pushed, "replicator woke");
                            core.perform_async(Reindex).map_err(|err| {
                                Error::wrap(err, "store.Replica.sync", "send the last batch")
                            })?;
                            Ok(())
                        })?;
                        let core = ctx.core().clone();
                        ctx.spawn("compactor", async move {
                            core.context().cancelled().await;
                            record(&compacted, "compactor woke");
                            core.run_action("store.compact", Options::new()).await?;
                            Ok(())
                        })
                    }
                }),
            ))
        })
        .service(|_| Ok(slow_to_stop_cache()))
        .build()
        .unwrap();
    core.bus().on_task(|_, _: &Reindex| Some(Ok(())));
    let run = corers::testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!((run.exit_code, run.stderr.as_str()), (0, ""), "{run:?}");
    let mut woke = taken(&calls);
    woke.sort();
    assert_eq!(woke, ["compactor woke", "replicator woke"]);
    assert!(core.shutdown_failure().is_none());
}

#[tokio::test]
async fn core_run_cli_start_failure_is_not_hidden_by_a_task_failure_bad() {
    let core = Core::builder()
        .command("cache/flush", succeeding())
        .service(|_| {
            Ok(Registration::new(
                "metrics",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    ctx.spawn("scrape", async { panic!("scrape list poisoned") })
                }),
            ))
        })
        .service(|_| {
            Ok(Registration::new(
                "store",
                Hooks::new().on_start(|_| async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err(Error::new("store.Db.open", "bad DSN").with_code(ErrorCode::INVALID))
                }),
            ))
        })
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["cache", "flush"]).await;
    // The store's own failure decides: EX_CONFIG, and its message.
    assert_eq!(run.exit_code, 78, "{run:?}");
    assert!(run.stderr.contains("bad DSN"), "{}", run.stderr);
}

#[tokio::test]
async fn core_run_cli_stop_asked_for_by_the_last_start_hook_skips_the_command_ugly() {
    let calls = calls();
    let ran = calls.clone();
    let core = Core::builder()
        .command(
            "cache/flush",
            Command::new().action(move |_, _| {
                record(&ran, "command");
                async { Ok(Value::Null) }
            }),
        )
        .service(|_| Ok(giving_up()))
        .build()
        .unwrap();
    let run = corers::testing::run_cli(&core, ["cache", "flush"]).await;
    assert_eq!((run.exit_code, run.stderr.as_str()), (0, ""), "{run:?}");
    assert!(taken(&calls).is_empty());
    let exit = Core::builder()
        .command(
            "cache/flush",
            Command::new().action(|_, _| async { Err(Error::new("cache.flush", "ran")) }),
        )
        .service(|_| Ok(giving_up()))
        .build()
        .unwrap()
        .run_with(["cache", "flush"])
        .await
        .unwrap();
    assert_eq!(code(exit), 0);
}

/// A `db` service whose start hook waits for its connection until the application's
/// context is cancelled, then gives up, as a hook told to hurry does.
fn connecting() -> Registration<Core> {
    Registration::new(
        "db",
        Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
            let cancelled = ctx.core().context().clone().cancelled_owned();
            tokio::time::timeout(Duration::from_secs(10), cancelled)
                .await
                .expect("the stop cancels the context");
            Err(Error::new("db.Pool.connect", "startup cancelled")
                .with_code(ErrorCode::UNAVAILABLE))
        }),
    )
}

#[tokio::test]
async fn core_run_start_hook_giving_up_on_a_requested_stop_is_no_failure_good() {
    let build = || {
        serving()
            .service(|_| Ok(quitting()))
            .service(|_| Ok(connecting()))
            .build()
            .unwrap()
    };
    let run = corers::testing::run_cli(&build(), ["serve"]).await;
    assert_eq!(
        (run.exit_code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", ""),
        "{run:?}"
    );
    assert_eq!(code(build().run_with(["serve"]).await.unwrap()), 0);
}

#[tokio::test]
async fn core_run_start_hook_giving_up_on_a_failed_task_tells_the_task_too_bad() {
    let build = || {
        serving()
            .service(|_| {
                Ok(Registration::new(
                    "store",
                    Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                        ctx.spawn("writer", async {
                            Err(Error::new("store.Writer.flush", "disk full")
                                .with_code(ErrorCode::DENIED))
                        })
                    }),
                ))
            })
            .service(|_| Ok(connecting()))
            .build()
            .unwrap()
    };
    let run = corers::testing::run_cli(&build(), ["serve"]).await;
    // The task's failure, why the application stopped, is told beside the start hook's.
    assert_eq!(run.exit_code, 69, "{run:?}");
    assert_eq!(run.stderr.matches("error: ").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("startup cancelled"), "{}", run.stderr);
    assert!(run.stderr.contains("disk full"), "{}", run.stderr);
    let err = build().run_with(["serve"]).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.to_string().contains("disk full"), "{err}");
}

/// A `serve` command that asks for a shutdown for `failure`, then fails with `own` if any.
fn serving_until_it_fails(failure: Error, own: Option<Error>) -> Core {
    let asked = Mutex::new(Some((failure, own)));
    Core::builder()
        .command(
            "serve",
            Command::new().action(move |core: Core, _| {
                let (failure, own) = asked.lock().unwrap().take().expect("one run");
                async move {
                    core.request_shutdown_for(failure);
                    core.context().cancelled().await;
                    own.map_or(Ok(Value::Null), Err)
                }
            }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_request_shutdown_for_exits_for_the_failure_good() {
    let expired = || {
        Error::new("proxy.Upstream.connect", "certificate expired")
            .with_code(ErrorCode::UNAVAILABLE)
    };
    let run = corers::testing::run_cli(&serving_until_it_fails(expired(), None), ["serve"]).await;
    assert_eq!(run.exit_code, 69, "{run:?}");
    assert_eq!(run.stderr, "error: certificate expired\n");
    let exit = serving_until_it_fails(expired(), None)
        .run_with(["serve"])
        .await
        .unwrap();
    assert_eq!(code(exit), 69);
}

#[tokio::test]
async fn core_request_shutdown_for_after_a_failed_command_keeps_its_code_bad() {
    let core = serving_until_it_fails(
        Error::new("proxy.Upstream.connect", "certificate expired")
            .with_code(ErrorCode::UNAVAILABLE),
        Some(Error::new("proxy.Serve.accept", "bad listener").with_code(ErrorCode::INVALID)),
    );
    let run = corers::testing::run_cli(&core, ["serve"]).await;
    // The command's own failure decides; the one asked for is told too.
    assert_eq!(run.exit_code, 65, "{run:?}");
    assert!(run.stderr.contains("bad listener"), "{}", run.stderr);
    assert!(run.stderr.contains("certificate expired"), "{}", run.stderr);
}

#[tokio::test]
async fn core_request_shutdown_for_an_invalid_failure_at_run_time_is_65_not_78_ugly() {
    // A failure while the application runs is no setting that does not fit (78,
    // EX_CONFIG, which a supervisor takes as "do not restart"): EX_DATAERR, as a command's.
    let core = serving_until_it_fails(
        Error::new("index.Files.read", "not UTF-8").with_code(ErrorCode::INVALID),
        None,
    );
    let run = corers::testing::run_cli(&core, ["serve"]).await;
    assert_eq!(run.exit_code, 65, "{run:?}");
}

#[tokio::test]
async fn core_request_shutdown_before_run_starts_nothing_bad() {
    let calls = calls();
    let core = serving()
        .service({
            let calls = calls.clone();
            move |_| Ok(Registration::new("cache", recorded(&calls)))
        })
        .build()
        .unwrap();
    core.request_shutdown();
    let exit = core.run_with(["serve"]).await.unwrap();
    assert_eq!(code(exit), 0);
    assert!(taken(&calls).is_empty());
}

#[tokio::test]
async fn core_request_shutdown_asked_many_times_at_once_is_one_shutdown_ugly() {
    let calls = calls();
    let core = serving()
        .service({
            let calls = calls.clone();
            move |_| Ok(Registration::new("cache", recorded(&calls)))
        })
        .service(|_| {
            Ok(Registration::new(
                "admin",
                Hooks::new().on_start(|ctx: ServiceCtx<Core>| async move {
                    for _ in 0..8 {
                        let core = ctx.core().clone();
                        ctx.spawn("quit", async move {
                            core.request_shutdown();
                            Ok(())
                        })?;
                    }
                    Ok(())
                }),
            ))
        })
        .build()
        .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(10), core.run_with(["serve"]))
        .await
        .expect("the requests end the run")
        .unwrap();
    assert_eq!(code(exit), 0);
    assert_eq!(taken(&calls), ["start cache", "stop cache"]);
}
