//! [`Subscription`]: the messages of one type broadcast on a bus, queued for a reader on
//! another thread or task.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Every `M` broadcast on a bus since [`Bus::subscribe`](crate::Bus::subscribe), in the
/// order broadcast, queued until read: for a reader that is not a handler — a GUI's event
/// loop draining it each frame with [`try_recv`](Subscription::try_recv), a server
/// streaming progress to a client with [`recv`](Subscription::recv). Dropping it stops the
/// queueing.
///
/// ```
/// use corers_messaging::Bus;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// #[derive(Clone, Debug, PartialEq)]
/// struct IndexProgress { percent: u8 }
///
/// let bus: Bus<()> = Bus::new();
/// let mut progress = bus.subscribe::<IndexProgress>();
/// std::thread::spawn({
///     let bus = bus.clone();
///     move || bus.broadcast(&(), &IndexProgress { percent: 50 }).unwrap()
/// });
/// assert_eq!(progress.recv().await, IndexProgress { percent: 50 });
/// assert_eq!(progress.try_recv(), None);
/// # }
/// ```
///
/// From [`Bus::subscribe`](crate::Bus::subscribe) the queue has no bound: a reader that
/// stops reading while messages keep coming holds them all. From
/// [`Bus::subscribe_bounded`](crate::Bus::subscribe_bounded) it keeps the newest ones
/// and counts those it let go ([`dropped`](Subscription::dropped)): for a reader that may
/// stall (a window that stops drawing while progress keeps coming).
#[must_use = "dropped, the subscription receives nothing"]
pub struct Subscription<M> {
    queue: Arc<Queue<M>>,
    stop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

/// What a subscription's handler and its reader share.
pub(crate) struct Queue<M> {
    held: Mutex<Held<M>>,
    /// Woken on every message queued.
    arrived: Notify,
}

struct Held<M> {
    messages: VecDeque<M>,
    /// How many it keeps.
    capacity: usize,
    /// How many older ones it let go to keep the newest.
    dropped: u64,
}

impl<M> Queue<M> {
    /// A queue keeping at most `capacity` messages.
    pub(crate) fn new(capacity: usize) -> Arc<Queue<M>> {
        Arc::new(Queue {
            held: Mutex::new(Held {
                messages: VecDeque::new(),
                capacity,
                dropped: 0,
            }),
            arrived: Notify::new(),
        })
    }

    /// Queues `message`, letting the oldest go when full, and wakes the reader.
    pub(crate) fn push(&self, message: M) {
        {
            let mut held = self.lock();
            let evicted = if held.messages.len() >= held.capacity {
                held.dropped += 1;
                match held.messages.pop_front() {
                    Some(oldest) => Some(oldest),
                    // Keeping none: the new one is what goes (dropped without the lock).
                    None => {
                        drop(held);
                        drop(message);
                        return;
                    }
                }
            } else {
                None
            };
            held.messages.push_back(message);
            drop(held);
            // The message's own drop code runs without the lock.
            drop(evicted);
        }
        self.arrived.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held<M>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<M> Subscription<M> {
    /// Reads what `queue` gets until dropped, then calls `stop` (which removes the handler
    /// that queues).
    pub(crate) fn new(
        queue: Arc<Queue<M>>,
        stop: impl FnOnce() + Send + Sync + 'static,
    ) -> Subscription<M> {
        Subscription {
            queue,
            stop: Some(Box::new(stop)),
        }
    }

    /// The next message, waiting for one to be broadcast.
    pub async fn recv(&mut self) -> M {
        loop {
            // Asked to be woken before looking, so a message queued in between wakes it.
            let arrived = self.queue.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(message) = self.queue.lock().messages.pop_front() {
                return message;
            }
            arrived.await;
        }
    }

    /// The next message already queued, without waiting: `None` when there is none. Needs
    /// no async runtime (a GUI's thread calls it each frame).
    pub fn try_recv(&mut self) -> Option<M> {
        self.queue.lock().messages.pop_front()
    }

    /// How many messages a [bounded](crate::Bus::subscribe_bounded) subscription let go,
    /// the oldest first, to keep the newest while nobody read: a reader can say that it
    /// missed some. Always 0 for an unbounded one.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// let mut percent = bus.subscribe_bounded::<u8>(2);
    /// for p in [10u8, 20, 30] {
    ///     let _ = bus.broadcast(&(), &p).unwrap();
    /// }
    /// assert_eq!(percent.dropped(), 1);
    /// assert_eq!(percent.try_recv(), Some(20));
    /// ```
    pub fn dropped(&self) -> u64 {
        self.queue.lock().dropped
    }
}

impl<M> Drop for Subscription<M> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        // The handler (and this queue with it) lives on in dispatch snapshots until each
        // thread dispatches again, and a broadcast under way may still push: the queue
        // keeps nothing from now on, and what it held goes now (outside the lock).
        let unread = {
            let mut held = self.queue.lock();
            held.capacity = 0;
            std::mem::take(&mut held.messages)
        };
        drop(unread);
    }
}

impl<M> fmt::Debug for Subscription<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.queue.lock();
        f.debug_struct("Subscription")
            .field("queued", &held.messages.len())
            .field("dropped", &held.dropped)
            .finish_non_exhaustive()
    }
}
