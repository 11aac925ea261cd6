//! [`NonBlocking`]: lines written by a thread of their own, so that logging never waits.

use std::cell::Cell;
use std::fmt;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use crate::Output;

/// How long a flush waits for the writing thread: a stalled output (a paused pipe) must
/// not hold a shutdown for ever.
const FLUSH_WAIT: Duration = Duration::from_secs(1);

/// How long a flush from a crash report waits: the process may be going down.
const CRASH_FLUSH_WAIT: Duration = Duration::from_millis(250);

/// The most lines a queue holds: its slots are allocated up front.
const MAX_CAPACITY: usize = 1 << 20;

thread_local! {
    /// Set on a writing thread: a flush asked for there (a crash report of its writer's
    /// panic, an event its writer logs) could only be answered by itself.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// An [`Output`] whose lines are queued and written by a thread of their own, for
/// outputs that can stall (a pipe nobody reads for a while, a slow disk, a network
/// writer): a logging call never waits for them. Made by [`Output::non_blocking`]. When
/// the queue is full, new lines are dropped rather than waited for, counted, and the
/// count is told on standard error once the output catches up (as `tracing-appender`'s
/// `non_blocking` drops them, but not silently). [`Logger::flush`](crate::Logger::flush)
/// waits up to a second for the queue to be written (a Core flushes its logger as it
/// shuts down); lines still queued when the process exits unflushed are lost. Clones
/// share the queue and its thread, which ends when the last clone is dropped, after
/// writing what is queued.
#[derive(Clone)]
pub struct NonBlocking {
    shared: Arc<Shared>,
}

struct Shared {
    queue: SyncSender<Message>,
    /// Lines dropped because the queue was full, not yet told.
    dropped: Arc<AtomicU64>,
    /// What the lines go to, for `Debug`.
    inner: String,
    /// Whether that output is a terminal (for colour).
    terminal: bool,
}

enum Message {
    Line(Vec<u8>),
    /// Flush the output, then say so.
    Flush(std::sync::mpsc::Sender<()>),
}

impl NonBlocking {
    /// Starts the writing thread for `inner`; `None`, told on standard error, when no
    /// thread can be started.
    pub(crate) fn start(inner: Output, capacity: usize, terminal: bool) -> Option<NonBlocking> {
        let (queue, lines) = sync_channel(capacity.clamp(1, MAX_CAPACITY));
        let dropped = Arc::new(AtomicU64::new(0));
        let described = format!("{inner:?}");
        let counted = Arc::clone(&dropped);
        let started = std::thread::Builder::new()
            .name("corers-log-writer".into())
            .spawn(move || {
                WRITING.with(|writing| writing.set(true));
                write_queued(&inner, &lines, &counted);
            });
        if let Err(err) = started {
            let _ = writeln!(
                std::io::stderr().lock(),
                "cannot start a thread to write the log ({err}): it is written as it comes"
            );
            return None;
        }
        Some(NonBlocking {
            shared: Arc::new(Shared {
                queue,
                dropped,
                inner: described,
                terminal,
            }),
        })
    }

    pub(crate) fn is_terminal(&self) -> bool {
        self.shared.terminal
    }

    /// Queues `line`; drops it (counted) when the queue is full. A count the writing
    /// thread misses (it read the counter just before this added to it) is told after
    /// the next line at the latest.
    pub(crate) fn write_line(&self, line: &[u8]) {
        if self
            .shared
            .queue
            .try_send(Message::Line(line.to_vec()))
            .is_err()
        {
            // Relaxed: a standalone count; nothing else is published with it.
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits (up to a second) until every line queued so far is written and the output
    /// flushed.
    pub(crate) fn flush(&self) {
        self.flush_within(FLUSH_WAIT);
    }

    /// [`flush`](NonBlocking::flush) for a crash report: a shorter wait.
    pub(crate) fn flush_for_crash(&self) {
        self.flush_within(CRASH_FLUSH_WAIT);
    }

    fn flush_within(&self, wait: Duration) {
        if WRITING.with(Cell::get) {
            return;
        }
        let (done, flushed) = std::sync::mpsc::channel();
        // Behind the queued lines, so that it is answered once they are written; a queue
        // that stays full is given up on with the flush.
        let deadline = std::time::Instant::now() + wait;
        let mut message = Message::Flush(done);
        loop {
            match self.shared.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    if std::time::Instant::now() >= deadline {
                        return;
                    }
                    message = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let _ = flushed.recv_timeout(left);
    }
}

/// The writing thread: writes each queued line to `inner`, and tells standard error how
/// many were dropped whenever it catches up. A writer that panics loses its line, not the
/// thread.
fn write_queued(inner: &Output, lines: &Receiver<Message>, dropped: &AtomicU64) {
    loop {
        // Caught up: what a buffered output holds goes out now, not at some later flush.
        let message = match lines.try_recv() {
            Ok(message) => message,
            Err(_) => {
                let _ = catch_unwind(AssertUnwindSafe(|| inner.flush_if_free()));
                // Lines are dropped only while the queue is full, that is while this
                // thread is busy: with none dropped it sleeps until the next line;
                // otherwise it tells of them once the queue has been quiet for a moment.
                // Relaxed: a standalone count.
                let next = if dropped.load(Ordering::Relaxed) == 0 {
                    lines.recv().map_err(|_| RecvTimeoutError::Disconnected)
                } else {
                    lines.recv_timeout(Duration::from_millis(100))
                };
                match next {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => {
                        tell_dropped(dropped);
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(|| match message {
            Message::Line(line) => inner.write_line(&line),
            Message::Flush(done) => {
                tell_dropped(dropped);
                inner.flush();
                let _ = done.send(());
            }
        }));
    }
    tell_dropped(dropped);
    inner.flush();
}

fn tell_dropped(dropped: &AtomicU64) {
    // Relaxed: a standalone count.
    let count = dropped.swap(0, Ordering::Relaxed);
    if count > 0 {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{count} log {} dropped: the log output could not keep up",
            if count == 1 { "line was" } else { "lines were" }
        );
    }
}

impl fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("output", &format_args!("{}", self.shared.inner))
            .finish_non_exhaustive()
    }
}
