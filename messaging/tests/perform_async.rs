//! `Bus::perform_async` and its companions: task ids (`TaskId::as_str`, `Task::set_id`),
//! `TaskStarted` / `TaskProgress` / `TaskCompleted` events, `Bus::progress`, and
//! `Bus::tasks_in_flight`. Every accepted task completes exactly once, whatever its handler
//! or its completion listeners do.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use corers_messaging::{
    Bus, DispatchInfo, Task, TaskCompleted, TaskEnded, TaskId, TaskProgress, TaskStarted,
};
use corers_primitives::{Error, ErrorCode, Result};

/// Deploys to a target; learns its task id when the bus gives it one.
struct Deploy {
    target: &'static str,
    id: Option<TaskId>,
}

impl Deploy {
    fn to(target: &'static str) -> Deploy {
        Deploy { target, id: None }
    }
}

impl Task for Deploy {
    type Output = String;
    fn set_id(&mut self, id: &TaskId) {
        self.id = Some(id.clone());
    }
}

/// A task type that does not opt in to its id.
struct Backup {
    volume: &'static str,
}
impl Task for Backup {
    type Output = ();
}

/// A task whose `set_id` is hostile.
struct Hostile;
impl Task for Hostile {
    type Output = ();
    fn set_id(&mut self, id: &TaskId) {
        panic!("refusing id {id}");
    }
}

struct WorkspaceCreated {
    name: &'static str,
}

/// What the task listeners saw, in order.
#[derive(Debug, PartialEq)]
enum Event {
    Started(TaskId, &'static str),
    Progress(TaskId, String),
    Completed(TaskId, std::result::Result<String, ErrorCode>),
}

type Events = Arc<Mutex<Vec<Event>>>;

/// Records `TaskStarted`, `TaskProgress` and `TaskCompleted<Deploy>`.
fn record(bus: &Bus<()>) -> Events {
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    bus.on(move |_, s: &TaskStarted| {
        log.lock()
            .unwrap()
            .push(Event::Started(s.id.clone(), s.task_type));
        Ok(())
    });
    let log = Arc::clone(&events);
    bus.on(move |_, p: &TaskProgress| {
        log.lock().unwrap().push(Event::Progress(
            p.id.clone(),
            format!("{:.2} {}", p.fraction, p.message),
        ));
        Ok(())
    });
    let log = Arc::clone(&events);
    bus.on(move |_, c: &TaskCompleted<Deploy>| {
        let outcome = match &c.outcome {
            Ok(output) => Ok(output.clone()),
            Err(err) => Err(err.code().cloned().unwrap_or(ErrorCode::INTERNAL)),
        };
        log.lock()
            .unwrap()
            .push(Event::Completed(c.id.clone(), outcome));
        Ok(())
    });
    events
}

fn completions(events: &Events) -> Vec<(TaskId, std::result::Result<String, ErrorCode>)> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Completed(id, outcome) => Some((id.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

fn deploys(bus: &Bus<()>) {
    bus.on_task(|_, d: &Deploy| Some(Ok(format!("deployed to {}", d.target))));
}

/// Deploys that wait in their handler until the returned gate drops: a task with a free
/// slot starts on the blocking pool at once, so this is how a test keeps tasks in flight.
fn held_deploys(bus: &Bus<()>) -> std::sync::mpsc::Sender<()> {
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    bus.on_task(move |_, d: &Deploy| {
        // Returns once the gate is dropped.
        let _ = held.lock().unwrap().recv();
        Some(Ok(format!("deployed to {}", d.target)))
    });
    gate
}

async fn drained(bus: &Bus<()>) {
    let report = bus.drain(Duration::from_secs(30)).await;
    assert!(report.is_complete(), "{report:?}");
}

fn deploy_type() -> &'static str {
    std::any::type_name::<Deploy>()
}

// ---- Bus::perform_async_handle ----

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_hands_over_the_outcome_after_the_completion_good() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let events = record(&bus);
    let handle = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    let id = handle.id().clone();
    let outcome = handle.await.unwrap();
    assert_eq!(outcome, "deployed to homelab");
    // Its listeners saw the completion first.
    assert_eq!(
        completions(&events),
        [(id, Ok("deployed to homelab".to_owned()))]
    );
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_awaited_task_has_given_its_slot_back_ugly() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(0).build().unwrap();
    deploys(&bus);
    let handle = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    let id = handle.id().clone();
    handle.await.unwrap();
    // Done with: not in flight, no progress to report, its one slot free at once.
    assert_eq!(bus.tasks_in_flight(), 0);
    let err = bus.progress(&(), &id, 1.0, "late").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    let next = bus
        .perform_async_handle(&(), Deploy::to("staging"))
        .unwrap();
    assert_eq!(next.await.unwrap(), "deployed to staging");
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_panicking_completion_listener_still_hands_over_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    bus.on(|_, _: &TaskCompleted<Deploy>| -> Result<()> { panic!("dashboard offline") });
    let deployed = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap()
        .await;
    assert_eq!(deployed.unwrap(), "deployed to homelab");
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_no_handler_awaits_not_found_bad() {
    let bus: Bus<()> = Bus::new();
    let err = bus
        .perform_async_handle(&(), Backup { volume: "/srv/ws" })
        .unwrap()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND), "{err}");
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_refused_once_shutdown_began_bad() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    bus.shutdown();
    let err = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_panicking_handler_awaits_internal_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Deploy| -> Option<Result<String>> { panic!("manifest unreadable") });
    let err = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert!(err.message().contains("manifest unreadable"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_handle_dropped_leaves_the_task_running_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let events = record(&bus);
    let id = {
        let handle = bus
            .perform_async_handle(&(), Deploy::to("homelab"))
            .unwrap();
        handle.id().clone()
    };
    drained(&bus).await;
    assert_eq!(
        completions(&events),
        [(id, Ok("deployed to homelab".to_owned()))]
    );
}

#[test]
fn bus_perform_async_handle_runtime_dropped_before_the_task_ran_awaits_unavailable_ugly() {
    let (runtime, held) = slot_held();
    let handle = {
        let _entered = runtime.enter();
        held.bus
            .perform_async_handle(&(), Deploy::to("homelab"))
            .unwrap()
    };
    held.release.send(()).unwrap();
    drop(runtime);
    let awaited = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(handle);
    assert_eq!(awaited.unwrap_err().code(), Some(&ErrorCode::UNAVAILABLE));
}

// ---- TaskHandle::id ----

#[tokio::test(start_paused = true)]
async fn task_handle_id_reports_progress_while_the_task_runs_good() {
    let bus: Bus<()> = Bus::new();
    let gate = held_deploys(&bus);
    let events = record(&bus);
    let handle = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    // Known at once, before the task ends: a watcher reports for it.
    let reported = bus.progress(&(), handle.id(), 0.5, "uploading").unwrap();
    assert_eq!(reported.handled(), 1);
    let id = handle.id().clone();
    drop(gate);
    handle.await.unwrap();
    assert_eq!(
        events.lock().unwrap()[1],
        Event::Progress(id, "0.50 uploading".to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn task_handle_id_differs_between_tasks_bad() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let first = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    let second = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    assert_ne!(first.id(), second.id());
    assert_eq!(first.await.unwrap(), second.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn task_handle_id_given_to_a_task_that_opts_in_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, d: &Deploy| {
        Some(Ok(d
            .id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()))
    });
    let handle = bus
        .perform_async_handle(&(), Deploy::to("homelab"))
        .unwrap();
    let id = handle.id().to_string();
    assert_eq!(handle.await.unwrap(), id);
}

// ---- Bus::perform_async ----

#[tokio::test(start_paused = true)]
async fn bus_perform_async_runs_the_task_and_reports_start_and_completion_good() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(
        *events.lock().unwrap(),
        [
            Event::Started(id.clone(), deploy_type()),
            Event::Completed(id, Ok("deployed to homelab".to_owned())),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn bus_perform_async_blocking_handler_does_not_hold_up_the_runtime_ugly() {
    struct Compress;
    impl Task for Compress {
        type Output = bool;
    }
    let bus: Bus<()> = Bus::new();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    // Synchronous work, as task handlers are: it waits for the test's go, which the test
    // gives only after a timer fired on the runtime's only worker. Were the handler on
    // that worker, the timer could not fire, and the handler would give up.
    bus.on_task(move |_, _: &Compress| {
        let got = wait
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30))
            .is_ok();
        Some(Ok(got))
    });
    let (done, mut completed) = tokio::sync::mpsc::unbounded_channel();
    bus.on(move |_, c: &TaskCompleted<Compress>| {
        let _ = done.send(*c.outcome.as_ref().unwrap());
        Ok(())
    });
    bus.perform_async(&(), Compress).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    go.send(()).unwrap();
    assert_eq!(completed.recv().await, Some(true), "the handler got its go");
    drained(&bus).await;
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_started_is_broadcast_before_returning_good() {
    let bus: Bus<()> = Bus::new();
    let gate = held_deploys(&bus);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    // The task is held in its handler, but TaskStarted is out.
    assert_eq!(*events.lock().unwrap(), [Event::Started(id, deploy_type())]);
    drop(gate);
    drained(&bus).await;
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_no_handler_completes_not_found_bad() {
    let bus: Bus<()> = Bus::new();
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(completions(&events), [(id, Err(ErrorCode::NOT_FOUND))]);
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_failing_handler_completes_with_its_error_bad() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, d: &Deploy| {
        Some(Err(Error::new(
            "deploy.Ssh.connect",
            format!("host {:?} unreachable", d.target),
        )
        .with_code(ErrorCode::UNAVAILABLE)))
    });
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(completions(&events), [(id, Err(ErrorCode::UNAVAILABLE))]);
}

/// A bus whose own logger writes its errors to a sink, with a `Deploy` handler failing.
fn failing_deploys() -> (Bus<()>, corers_log::MemorySink) {
    let sink = corers_log::MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(corers_log::Level::Error)
        .output(corers_log::Output::Memory(sink.clone()))
        .build();
    let bus: Bus<()> = Bus::builder().logger(log).build().unwrap();
    bus.on_task(|_, d: &Deploy| {
        Some(Err(Error::new(
            "deploy.Ssh.connect",
            format!("host {:?} unreachable", d.target),
        )
        .with_code(ErrorCode::UNAVAILABLE)))
    });
    (bus, sink)
}

#[tokio::test]
async fn bus_perform_async_failure_nobody_hears_is_logged_bad() {
    // Fire and forget, nothing listening for completions: the failure is not lost.
    let (bus, sink) = failing_deploys();
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    let written = sink.contents();
    assert!(
        written.contains("background task failed, and nothing listens for its completion"),
        "{written}"
    );
    assert!(written.contains(id.as_str()), "{written}");
    assert!(
        written.contains(r#"host \"homelab\" unreachable"#),
        "{written}"
    );
    // Heard by a listener: its business, not logged.
    let (heard, quiet) = failing_deploys();
    let events = record(&heard);
    heard.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&heard).await;
    assert_eq!(events.lock().unwrap().len(), 2, "started and completed");
    assert_eq!(quiet.contents(), "");
}

/// A `TaskEnded` as a test compares it: id, type and error code (`None` for success).
type Ended = (TaskId, &'static str, Option<ErrorCode>);

/// Every `TaskEnded` `bus` broadcasts.
fn ends(bus: &Bus<()>) -> Arc<Mutex<Vec<Ended>>> {
    let ended = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ended);
    bus.on(move |_, e: &TaskEnded| {
        let code = e.error.as_ref().map(|err| err.code().cloned().unwrap());
        seen.lock().unwrap().push((e.id.clone(), e.task_type, code));
        Ok(())
    });
    ended
}

#[tokio::test(start_paused = true)]
async fn task_ended_follows_every_task_type_good() {
    // One listener for every task type, after each type's own completion.
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    bus.on_task(|_, _: &Backup| Some(Ok(())));
    let order = Arc::new(Mutex::new(Vec::new()));
    let (completed, ended) = (Arc::clone(&order), Arc::clone(&order));
    bus.on(move |_, _: &TaskCompleted<Deploy>| {
        completed.lock().unwrap().push("completed");
        Ok(())
    });
    bus.on(move |_, e: &TaskEnded| {
        if e.task_type == deploy_type() {
            ended.lock().unwrap().push("ended");
        }
        Ok(())
    });
    let seen = ends(&bus);
    let deploy = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    let backup = bus.perform_async(&(), Backup { volume: "data" }).unwrap();
    drained(&bus).await;
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(
        seen,
        [
            (deploy, deploy_type(), None),
            (backup, std::any::type_name::<Backup>(), None)
        ]
    );
    assert_eq!(*order.lock().unwrap(), ["completed", "ended"]);
}

#[tokio::test]
async fn task_ended_carries_the_failure_and_is_heard_bad() {
    // A failure heard through TaskEnded alone is the listener's: not logged as unheard.
    let (bus, sink) = failing_deploys();
    let seen = ends(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(
        *seen.lock().unwrap(),
        [(id, deploy_type(), Some(ErrorCode::UNAVAILABLE))]
    );
    assert_eq!(sink.contents(), "");
}

#[tokio::test(start_paused = true)]
async fn task_ended_panicking_listener_or_handler_ends_once_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Deploy| -> Option<Result<String>> { panic!("ssh agent vanished") });
    bus.on(|_, e: &TaskEnded| -> Result<()> { panic!("dashboard gone while closing {}", e.id) });
    let seen = ends(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [(id, deploy_type(), Some(ErrorCode::INTERNAL))]
    );
    assert_eq!(bus.tasks_in_flight(), 0);
}

#[test]
fn bus_perform_async_without_a_runtime_is_unavailable_bad() {
    let bus: Bus<()> = Bus::new();
    let events = record(&bus);
    let err = bus.perform_async(&(), Deploy::to("homelab")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert!(err.message().contains("tokio runtime"), "{err}");
    assert!(events.lock().unwrap().is_empty());
    assert_eq!(bus.tasks_in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_panicking_handler_completes_once_with_internal_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Deploy| -> Option<Result<String>> { panic!("ssh agent vanished") });
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(completions(&events), [(id, Err(ErrorCode::INTERNAL))]);
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_panicking_completion_listener_causes_no_second_completion_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let panicking_calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&panicking_calls);
    bus.on(move |_, c: &TaskCompleted<Deploy>| -> Result<()> {
        count.fetch_add(1, Ordering::SeqCst);
        panic!("dashboard socket closed while reporting {}", c.id)
    });
    let events = record(&bus);

    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    // Give a second completion, if there were one, every chance to show up.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }

    assert_eq!(panicking_calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        completions(&events),
        [(id, Ok("deployed to homelab".to_owned()))]
    );
    assert_eq!(bus.tasks_in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_task_inherits_the_submitting_dispatch_good() {
    let bus: Bus<()> = Bus::new();
    let outer = Arc::new(Mutex::new(None::<DispatchInfo>));
    let inner = Arc::new(Mutex::new(None::<DispatchInfo>));
    let slot = Arc::clone(&outer);
    bus.on(move |ctx, created: &WorkspaceCreated| {
        assert_eq!(created.name, "alpha");
        *slot.lock().unwrap() = Some(*ctx.dispatch());
        ctx.bus().perform_async(ctx.core(), Deploy::to("homelab"))?;
        Ok(())
    });
    let slot = Arc::clone(&inner);
    bus.on_task(move |ctx, d: &Deploy| {
        *slot.lock().unwrap() = Some(*ctx.dispatch());
        Some(Ok(format!("deployed to {}", d.target)))
    });

    let report = bus.with_sender("brain", || {
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
    });
    assert!(report.unwrap().is_ok());
    drained(&bus).await;

    let outer = outer.lock().unwrap().expect("the broadcast handler ran");
    let inner = inner.lock().unwrap().expect("the task ran");
    assert_eq!(inner.trace(), outer.trace());
    assert_eq!(inner.parent(), Some(outer.id()));
    assert_eq!(inner.depth(), outer.depth() + 1);
    assert_eq!(inner.sender(), Some("brain"));
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_top_level_task_keeps_the_with_sender_name_ugly() {
    let bus: Bus<()> = Bus::new();
    let sender = Arc::new(Mutex::new(None::<Option<String>>));
    let slot = Arc::clone(&sender);
    bus.on_task(move |ctx, _: &Deploy| {
        *slot.lock().unwrap() = Some(ctx.dispatch().sender().map(str::to_owned));
        Some(Ok("deployed".to_owned()))
    });
    bus.with_sender("scheduler", || {
        bus.perform_async(&(), Deploy::to("homelab"))
    })
    .unwrap();
    drained(&bus).await;
    assert_eq!(*sender.lock().unwrap(), Some(Some("scheduler".to_owned())));
}

#[tokio::test(start_paused = true)]
async fn bus_perform_async_from_inside_a_task_handler_ugly() {
    let bus: Bus<()> = Bus::new();
    // Backing up a volume queues a deploy once the backup is done.
    bus.on_task(|ctx, b: &Backup| {
        assert_eq!(b.volume, "/srv/ws");
        Some(
            ctx.bus()
                .perform_async(ctx.core(), Deploy::to("homelab"))
                .map(|_| ()),
        )
    });
    deploys(&bus);
    let events = record(&bus);
    bus.perform_async(&(), Backup { volume: "/srv/ws" })
        .unwrap();
    // Not `drain`: shutdown would refuse the follow-up deploy.
    drained_keep_open(&bus).await;
    let done = completions(&events);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1, Ok("deployed to homelab".to_owned()));
}

/// A bus that runs one task at a time, with that slot held by a `Backup` whose handler
/// waits for `release`: a task submitted now stays queued.
struct SlotHeld {
    bus: Bus<()>,
    release: std::sync::mpsc::Sender<()>,
}

/// A current-thread runtime, never driven, and a `SlotHeld` bus on it that also deploys.
fn slot_held() -> (tokio::runtime::Runtime, SlotHeld) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let held = SlotHeld::new(&runtime);
    deploys(&held.bus);
    (runtime, held)
}

impl SlotHeld {
    /// Submits the holding `Backup` on `runtime` (never driven: it starts on the blocking
    /// pool at once) and returns once its handler runs.
    fn new(runtime: &tokio::runtime::Runtime) -> SlotHeld {
        let bus: Bus<()> = Bus::builder().max_running(1).build().unwrap();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Mutex::new(released);
        bus.on_task(move |_, _: &Backup| {
            started.send(()).unwrap();
            // Released by a send or by the sender's drop.
            let _ = released.lock().unwrap().recv();
            Some(Ok(()))
        });
        let _entered = runtime.enter();
        bus.perform_async(&(), Backup { volume: "/srv/ws" })
            .unwrap();
        // Bounded: the Backup holds `bus` (and so this handler) alive, so a Backup that
        // never started would hang the test here.
        running.recv_timeout(Duration::from_secs(30)).unwrap();
        SlotHeld { bus, release }
    }
}

#[test]
fn bus_perform_async_runtime_dropped_before_the_task_ran_releases_its_slot_ugly() {
    let (runtime, held) = slot_held();
    {
        let _entered = runtime.enter();
        held.bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    }
    assert_eq!(held.bus.tasks_in_flight(), 2);
    held.release.send(()).unwrap();
    // Waits for the blocking pool: the Backup ends, the queued Deploy never starts.
    drop(runtime);
    assert_eq!(held.bus.tasks_in_flight(), 0);
}

#[test]
fn bus_perform_async_runtime_dropped_before_the_task_ran_still_completes_ugly() {
    let (runtime, held) = slot_held();
    let events = record(&held.bus);
    let id = {
        let _entered = runtime.enter();
        held.bus.perform_async(&(), Deploy::to("homelab")).unwrap()
    };
    held.release.send(()).unwrap();
    drop(runtime);
    assert_eq!(completions(&events), [(id, Err(ErrorCode::UNAVAILABLE))]);
}

#[test]
fn bus_perform_async_does_not_overtake_a_queued_task_ugly() {
    let (runtime, held) = slot_held();
    let (done, completed) = std::sync::mpsc::channel();
    let done = Mutex::new(done);
    held.bus.on(move |_, c: &TaskCompleted<Deploy>| {
        let _ = done.lock().unwrap().send(c.id.clone());
        Ok(())
    });
    let entered = runtime.enter();
    let queued = held.bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    // The Backup ends and frees the only slot while the queued task (a task on the
    // undriven runtime) has not asked for it yet.
    held.release.send(()).unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while held.bus.tasks_in_flight() > 1 && std::time::Instant::now() < until {
        thread::sleep(Duration::from_millis(1));
    }
    // Taking that slot, the later task would run first, and the queued one after it.
    let later = held.bus.perform_async(&(), Deploy::to("staging")).unwrap();
    drop(entered);
    runtime.block_on(async {
        while held.bus.tasks_in_flight() > 0 {
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(completed.try_iter().collect::<Vec<_>>(), [queued, later]);
}

#[test]
fn bus_perform_async_with_a_free_slot_runs_without_the_runtime_being_driven_good() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let (done, completed) = std::sync::mpsc::channel();
    let done = Mutex::new(done);
    bus.on(move |_, c: &TaskCompleted<Deploy>| {
        let _ = done
            .lock()
            .unwrap()
            .send((c.id.clone(), c.outcome.as_ref().ok().cloned()));
        Ok(())
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let id = {
        let _entered = runtime.enter();
        bus.perform_async(&(), Deploy::to("homelab")).unwrap()
    };
    // The runtime is only entered, never driven: the task went straight to its blocking pool.
    assert_eq!(
        completed.recv_timeout(Duration::from_secs(30)).unwrap(),
        (id, Some("deployed to homelab".to_owned()))
    );
    drop(runtime);
    assert_eq!(bus.tasks_in_flight(), 0);
}

// ---- Task::set_id ----

#[tokio::test(start_paused = true)]
async fn task_set_id_receives_the_id_perform_async_returns_good() {
    let bus: Bus<()> = Bus::new();
    let seen = Arc::new(Mutex::new(None::<TaskId>));
    let slot = Arc::clone(&seen);
    bus.on_task(move |_, d: &Deploy| {
        *slot.lock().unwrap() = d.id.clone();
        Some(Ok(format!("deployed to {}", d.target)))
    });
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(seen.lock().unwrap().as_ref(), Some(&id));
}

#[tokio::test(start_paused = true)]
async fn task_set_id_not_called_when_the_task_is_refused_bad() {
    let bus: Bus<()> = Bus::new();
    bus.shutdown();
    // Hostile::set_id panics: a refusal must not reach it.
    let err = bus.perform_async(&(), Hostile).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn task_set_id_panicking_leaves_the_bus_usable_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let hostile = catch_unwind(AssertUnwindSafe(|| bus.perform_async(&(), Hostile)));
    // Whether it panics or errors, the task was not accepted and holds no slot.
    assert!(!matches!(hostile, Ok(Ok(_))));
    assert_eq!(bus.tasks_in_flight(), 0);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(
        completions(&events),
        [(id, Ok("deployed to homelab".to_owned()))]
    );
}

// ---- TaskId::as_str ----

#[tokio::test(start_paused = true)]
async fn task_id_as_str_numbers_tasks_from_one_good() {
    let bus: Bus<()> = Bus::new();
    let first = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    let second = bus
        .perform_async(&(), Backup { volume: "/srv/ws" })
        .unwrap();
    assert_eq!(first.as_str(), "task-1");
    assert_eq!(second.as_str(), "task-2");
    assert_eq!(second.to_string(), "task-2");
}

#[tokio::test(start_paused = true)]
async fn task_id_as_str_refused_submission_uses_no_number_bad() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(0).build().unwrap();
    let gate = held_deploys(&bus);
    let first = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    assert!(bus.perform_async(&(), Deploy::to("staging")).is_err());
    drop(gate);
    drained_keep_open(&bus).await;
    let second = bus.perform_async(&(), Deploy::to("staging")).unwrap();
    assert_eq!(first.as_str(), "task-1");
    assert_eq!(second.as_str(), "task-2");
}

/// Waits for every task without beginning shutdown.
async fn drained_keep_open(bus: &Bus<()>) {
    while bus.tasks_in_flight() > 0 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_id_as_str_unique_under_concurrent_submission_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let runtime = tokio::runtime::Handle::current();
    let ids: Vec<TaskId> = thread::scope(|scope| {
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let _entered = runtime.enter();
                    (0..200)
                        .map(|_| bus.perform_async(&(), Deploy::to("homelab")).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        submitters
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect()
    });
    drained(&bus).await;
    let distinct: HashSet<&str> = ids.iter().map(TaskId::as_str).collect();
    assert_eq!(distinct.len(), 800);
    assert!((1..=800).all(|n| distinct.contains(format!("task-{n}").as_str())));
}

// ---- Bus::progress ----

#[tokio::test(start_paused = true)]
async fn bus_progress_valid_fraction_broadcasts_task_progress_good() {
    let bus: Bus<()> = Bus::new();
    let _gate = held_deploys(&bus);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    let report = bus.progress(&(), &id, 0.5, "copied 5 of 10 files").unwrap();
    assert_eq!(report.handled(), 1);
    assert_eq!(
        events.lock().unwrap()[1],
        Event::Progress(id, "0.50 copied 5 of 10 files".to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn bus_progress_from_inside_the_task_handler_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_task(|ctx, d: &Deploy| {
        let id = d.id.as_ref().expect("Deploy opts in to its id");
        let step = ctx.bus().progress(ctx.core(), id, 0.25, "uploading image");
        Some(step.map(|_| format!("deployed to {}", d.target)))
    });
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained(&bus).await;
    assert_eq!(
        *events.lock().unwrap(),
        [
            Event::Started(id.clone(), deploy_type()),
            Event::Progress(id.clone(), "0.25 uploading image".to_owned()),
            Event::Completed(id, Ok("deployed to homelab".to_owned())),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn bus_progress_fraction_outside_zero_to_one_is_invalid_bad() {
    let bus: Bus<()> = Bus::new();
    let _gate = held_deploys(&bus);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    for fraction in [1.5, -0.1, 100.0] {
        let err = bus
            .progress(&(), &id, fraction, "copied 15 of 10 files")
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{fraction}");
        assert_eq!(err.operation(), "messaging.Bus.progress");
    }
    assert_eq!(events.lock().unwrap().len(), 1, "only TaskStarted");
}

#[tokio::test(start_paused = true)]
async fn bus_progress_unknown_id_is_not_found_bad() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let finished = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained_keep_open(&bus).await;
    let err = bus.progress(&(), &finished, 1.0, "done").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert!(err.message().contains("task-1"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn bus_progress_id_from_another_bus_is_not_found_bad() {
    let workspaces: Bus<()> = Bus::new();
    let services: Bus<()> = Bus::new();
    let foreign = workspaces
        .perform_async(&(), Deploy::to("homelab"))
        .unwrap();
    // The other bus has a task of the same number in flight: still not the same task.
    let gate = held_deploys(&services);
    let own = services.perform_async(&(), Deploy::to("staging")).unwrap();
    assert_eq!(own.as_str(), foreign.as_str());
    assert_ne!(own, foreign);
    let err = services
        .progress(&(), &foreign, 0.5, "halfway")
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    drop(gate);
    drained(&services).await;
}

#[tokio::test(start_paused = true)]
async fn bus_progress_nan_and_infinite_fractions_are_invalid_ugly() {
    let bus: Bus<()> = Bus::new();
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    for fraction in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = bus.progress(&(), &id, fraction, "???").unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{fraction}");
    }
}

#[tokio::test(start_paused = true)]
async fn bus_progress_bounds_are_inclusive_ugly() {
    let bus: Bus<()> = Bus::new();
    let _gate = held_deploys(&bus);
    let events = record(&bus);
    let id = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    assert!(bus.progress(&(), &id, 0.0, "queued").unwrap().is_ok());
    assert!(bus.progress(&(), &id, 1.0, "uploaded").unwrap().is_ok());
    assert_eq!(events.lock().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn bus_progress_invalid_fraction_wins_over_unknown_id_ugly() {
    let bus: Bus<()> = Bus::new();
    deploys(&bus);
    let finished = bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    drained_keep_open(&bus).await;
    let err = bus.progress(&(), &finished, f64::NAN, "???").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// ---- Bus::tasks_in_flight ----

#[tokio::test(start_paused = true)]
async fn bus_tasks_in_flight_counts_accepted_tasks_good() {
    let bus: Bus<()> = Bus::new();
    let gate = held_deploys(&bus);
    for target in ["homelab", "staging", "edge"] {
        bus.perform_async(&(), Deploy::to(target)).unwrap();
    }
    assert_eq!(bus.tasks_in_flight(), 3);
    drop(gate);
    drained(&bus).await;
    assert_eq!(bus.tasks_in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn bus_tasks_in_flight_ignores_refused_submissions_bad() {
    let bus: Bus<()> = Bus::builder().max_running(1).queue(1).build().unwrap();
    let _gate = held_deploys(&bus);
    bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    bus.perform_async(&(), Deploy::to("staging")).unwrap();
    assert!(bus.perform_async(&(), Deploy::to("edge")).is_err());
    assert_eq!(bus.tasks_in_flight(), 2);
}

#[tokio::test(start_paused = true)]
async fn bus_tasks_in_flight_back_to_zero_after_a_panicking_task_ugly() {
    let bus: Bus<()> = Bus::new();
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    bus.on_task(move |_, _: &Deploy| -> Option<Result<String>> {
        let _ = held.lock().unwrap().recv();
        panic!("ssh agent vanished")
    });
    bus.perform_async(&(), Deploy::to("homelab")).unwrap();
    assert_eq!(bus.tasks_in_flight(), 1);
    drop(gate);
    drained_keep_open(&bus).await;
    assert_eq!(bus.tasks_in_flight(), 0);
    assert!(!bus.is_shutting_down());
}

// ---- perform_async and the depth limit ----

/// What a handler's `perform_async` said.
type Submitted = Arc<Mutex<Option<Result<TaskId>>>>;

/// A bus of depth limit `max` whose `WorkspaceCreated` handler submits a `Backup`, keeping
/// what `perform_async` said, and whose `Backup` handler counts its runs.
fn backup_on_create(max: u32) -> (Bus<()>, Submitted, Arc<AtomicUsize>) {
    let bus: Bus<()> = Bus::builder().max_depth(max).build().unwrap();
    let submitted = Arc::new(Mutex::new(None));
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    bus.on_task(move |_, _: &Backup| {
        counter.fetch_add(1, Ordering::SeqCst);
        Some(Ok(()))
    });
    let slot = Arc::clone(&submitted);
    bus.on(move |ctx, _: &WorkspaceCreated| {
        *slot.lock().unwrap() = Some(
            ctx.bus()
                .perform_async(ctx.core(), Backup { volume: "alpha" }),
        );
        Ok(())
    });
    (bus, submitted, ran)
}

#[tokio::test]
async fn bus_perform_async_from_a_nested_dispatch_within_the_limit_runs_good() {
    let (bus, submitted, ran) = backup_on_create(2);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert!(submitted.lock().unwrap().take().unwrap().is_ok());
    assert!(bus.drain(Duration::from_secs(5)).await.is_complete());
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bus_perform_async_whose_task_would_pass_the_depth_limit_is_refused_ugly() {
    let (bus, submitted, ran) = backup_on_create(1);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let err = submitted.lock().unwrap().take().unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("refused at depth 1"), "{err}");
    assert_eq!(bus.tasks_in_flight(), 0, "nothing was accepted");
    assert!(bus.drain(Duration::from_secs(5)).await.is_complete());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
