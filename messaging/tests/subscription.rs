//! `Bus::subscribe` and `Subscription`: the messages of one type, queued for a reader that
//! is not a handler (a GUI's event loop, a task streaming to a client).

use std::thread;
use std::time::Duration;

use corers_messaging::{Bus, Task, TaskId, TaskProgress};

#[derive(Clone, Debug, PartialEq)]
struct IndexProgress {
    percent: u8,
}

// --- Bus::subscribe ---

#[tokio::test]
async fn bus_subscribe_queues_broadcasts_in_order_good() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe::<IndexProgress>();
    for percent in [10, 50, 100] {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
    }
    for percent in [10, 50, 100] {
        assert_eq!(progress.recv().await, IndexProgress { percent });
    }
}

#[test]
fn bus_subscribe_sees_nothing_from_before_it_or_after_its_drop_bad() {
    let bus: Bus<()> = Bus::new();
    let _ = bus.broadcast(&(), &IndexProgress { percent: 10 }).unwrap();
    let mut progress = bus.subscribe::<IndexProgress>();
    assert_eq!(progress.try_recv(), None, "only what comes after");
    drop(progress);
    // Its handler went with it.
    let report = bus.broadcast(&(), &IndexProgress { percent: 20 }).unwrap();
    assert_eq!(report.handled(), 0);
}

#[test]
fn bus_subscribe_drop_frees_what_was_never_read_ugly() {
    // A client's stream gone: its backlog goes with it, though this thread's dispatch
    // snapshot still holds the removed handler until its next dispatch.
    let bus: Bus<()> = Bus::new();
    let payload = std::sync::Arc::new(vec![0u8; 1 << 20]);
    let weak = std::sync::Arc::downgrade(&payload);
    let stream = bus.subscribe::<std::sync::Arc<Vec<u8>>>();
    let _ = bus.broadcast(&(), &payload).unwrap();
    drop(payload);
    assert!(weak.upgrade().is_some(), "queued");
    drop(stream);
    assert!(weak.upgrade().is_none(), "freed with the subscription");
}

#[test]
fn bus_subscribe_two_readers_each_get_every_message_and_other_types_none_ugly() {
    let bus: Bus<()> = Bus::new();
    let (mut first, mut second) = (bus.subscribe::<u32>(), bus.subscribe::<u32>());
    let mut other = bus.subscribe::<IndexProgress>();
    let _ = bus.broadcast(&(), &7u32).unwrap();
    assert_eq!((first.try_recv(), second.try_recv()), (Some(7), Some(7)));
    assert_eq!(other.try_recv(), None);
    assert!(format!("{first:?}").starts_with("Subscription"));
}

// --- Subscription::recv ---

#[tokio::test]
async fn subscription_recv_waits_for_a_broadcast_from_another_thread_good() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe::<IndexProgress>();
    let sender = bus.clone();
    let broadcaster = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        let _ = sender
            .broadcast(&(), &IndexProgress { percent: 50 })
            .unwrap();
    });
    assert_eq!(progress.recv().await, IndexProgress { percent: 50 });
    broadcaster.join().unwrap();
}

#[tokio::test(start_paused = true)]
async fn subscription_recv_with_nothing_broadcast_keeps_waiting_bad() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe::<IndexProgress>();
    let waited = tokio::time::timeout(Duration::from_secs(3600), progress.recv()).await;
    assert!(waited.is_err(), "no message, no end: {waited:?}");
}

/// A background task that reports its progress (its id comes through `Task::set_id`).
struct Backup(Option<TaskId>);
impl Task for Backup {
    type Output = ();
    fn set_id(&mut self, id: &TaskId) {
        self.0 = Some(id.clone());
    }
}

#[tokio::test]
async fn subscription_recv_of_a_background_tasks_progress_ugly() {
    // The bus's own events, broadcast from a blocking-pool thread, as a progress bar reads.
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe::<TaskProgress>();
    bus.on_task(|ctx, backup: &Backup| {
        let id = backup.0.as_ref()?;
        Some(
            ctx.bus()
                .progress(ctx.core(), id, 0.5, "copied 5 of 10 files")
                .map(drop),
        )
    });
    let id = bus.perform_async(&(), Backup(None)).unwrap();
    let event = progress.recv().await;
    assert_eq!(event.id, id);
    assert_eq!(
        (event.fraction, event.message.as_str()),
        (0.5, "copied 5 of 10 files")
    );
}

// --- Subscription::try_recv ---

#[test]
fn subscription_try_recv_drains_without_a_runtime_good() {
    // A GUI thread: no tokio runtime, the messages from a worker thread.
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe::<IndexProgress>();
    let sender = bus.clone();
    thread::spawn(move || {
        for percent in [25, 75] {
            let _ = sender.broadcast(&(), &IndexProgress { percent }).unwrap();
        }
    })
    .join()
    .unwrap();
    let drained: Vec<u8> = std::iter::from_fn(|| progress.try_recv())
        .map(|p| p.percent)
        .collect();
    assert_eq!(drained, [25, 75]);
}

#[test]
fn subscription_try_recv_empty_is_none_bad() {
    let bus: Bus<()> = Bus::new();
    assert_eq!(bus.subscribe::<IndexProgress>().try_recv(), None);
}

#[test]
fn subscription_try_recv_keeps_every_message_of_a_flood_ugly() {
    // No bound: nothing is dropped while the reader is behind.
    let bus: Bus<()> = Bus::new();
    let mut ticks = bus.subscribe::<u32>();
    for tick in 0..10_000u32 {
        let _ = bus.broadcast(&(), &tick).unwrap();
    }
    let read: Vec<u32> = std::iter::from_fn(|| ticks.try_recv()).collect();
    assert_eq!(read.len(), 10_000);
    assert!(read.windows(2).all(|pair| pair[0] + 1 == pair[1]));
}

// --- the framework's own events, which carry errors ---

#[tokio::test]
async fn bus_subscribe_action_completed_carries_the_error_itself_good() {
    use corers_messaging::{ActionCompleted, ActionSpec, Actions, RunCtx};
    use corers_primitives::{Error, ErrorCode, Options};
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus.clone());
    actions.set_events(true);
    actions
        .register(ActionSpec::new("git.push", |_, _| async {
            Err(Error::new("git.Repo.push", "remote rejected").with_code(ErrorCode::DENIED))
        }))
        .unwrap();
    let mut completed = bus.subscribe::<ActionCompleted>();
    let _ = actions
        .run(&(), &RunCtx::new(), "git.push", Options::new())
        .await;
    let event = completed.recv().await;
    assert_eq!(event.name, "git.push");
    let error = event.error.expect("the run failed");
    assert_eq!(error.code(), Some(&ErrorCode::DENIED));
    assert_eq!(
        error.root().to_string(),
        "git.Repo.push: remote rejected [DENIED]"
    );
}

#[tokio::test]
async fn bus_subscribe_task_completed_failure_keeps_its_os_error_ugly() {
    use corers_messaging::TaskCompleted;
    use corers_primitives::Error;
    struct Sync;
    impl Task for Sync {
        type Output = u32;
    }
    let bus: Bus<()> = Bus::new();
    bus.on_task(|_, _: &Sync| {
        Some(Err(Error::new("sync.Mirror.pull", "pull origin")
            .with_cause(std::io::Error::from_raw_os_error(111))))
    });
    let mut completed = bus.subscribe::<TaskCompleted<Sync>>();
    bus.perform_async(&(), Sync).unwrap();
    let event = completed.recv().await;
    let error = event.outcome.unwrap_err();
    let io = error
        .cause()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.raw_os_error(), Some(111));
}

// --- Bus::subscribe_bounded, Subscription::dropped ---

#[test]
fn bus_subscribe_bounded_keeps_the_newest_and_counts_the_rest_good() {
    // A window that stopped drawing while progress kept coming.
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe_bounded::<IndexProgress>(3);
    for percent in 1..=10 {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
    }
    let kept: Vec<u8> = std::iter::from_fn(|| progress.try_recv())
        .map(|p| p.percent)
        .collect();
    assert_eq!(kept, [8, 9, 10]);
    assert_eq!(progress.dropped(), 7);
}

#[tokio::test]
async fn bus_subscribe_bounded_reader_keeping_up_drops_nothing_bad() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe_bounded::<IndexProgress>(1);
    for percent in [10, 50, 100] {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
        assert_eq!(progress.recv().await, IndexProgress { percent });
    }
    assert_eq!(progress.dropped(), 0);
}

#[test]
fn bus_subscribe_bounded_zero_keeps_nothing_and_counts_all_ugly() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe_bounded::<IndexProgress>(0);
    let report = bus.broadcast(&(), &IndexProgress { percent: 1 }).unwrap();
    assert_eq!(report.handled(), 1, "still subscribed");
    assert_eq!(progress.try_recv(), None);
    assert_eq!(progress.dropped(), 1);
}

#[test]
fn subscription_dropped_counts_only_what_was_let_go_good() {
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe_bounded::<IndexProgress>(2);
    for percent in [1, 2] {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
    }
    assert_eq!(progress.dropped(), 0);
    let _ = progress.try_recv();
    for percent in [3, 4] {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
    }
    assert_eq!(progress.dropped(), 1);
    assert_eq!(
        format!("{progress:?}"),
        "Subscription { queued: 2, dropped: 1, .. }"
    );
}

#[test]
fn subscription_dropped_of_an_unbounded_one_is_zero_bad() {
    let bus: Bus<()> = Bus::new();
    let progress = bus.subscribe::<IndexProgress>();
    for percent in 0..100 {
        let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
    }
    assert_eq!(progress.dropped(), 0);
}

#[tokio::test]
async fn subscription_dropped_while_the_reader_waits_on_another_thread_ugly() {
    // Broadcasts from another thread, past the bound, while the reader waits: it wakes to
    // the newest, and the count says how many it missed.
    let bus: Bus<()> = Bus::new();
    let mut progress = bus.subscribe_bounded::<IndexProgress>(1);
    let sender = thread::spawn({
        let bus = bus.clone();
        move || {
            for percent in 1..=5 {
                let _ = bus.broadcast(&(), &IndexProgress { percent }).unwrap();
            }
        }
    });
    let first = progress.recv().await;
    sender.join().unwrap();
    let (mut last, mut received) = (first.percent, 1);
    while let Some(next) = progress.try_recv() {
        last = next.percent;
        received += 1;
    }
    assert_eq!(last, 5);
    // Each one was either read or counted as let go.
    assert_eq!(received + progress.dropped(), 5);
}
