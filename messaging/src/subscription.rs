//! [`Subscription`]: the messages of one type broadcast on a bus, queued for a reader on
//! another thread or task.

use std::fmt;

use tokio::sync::mpsc::UnboundedReceiver;

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
/// The queue has no bound: a reader that stops reading while messages keep coming holds
/// them all, so drop a subscription no one reads.
#[must_use = "dropped, the subscription receives nothing"]
pub struct Subscription<M> {
    messages: UnboundedReceiver<M>,
    stop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl<M> Subscription<M> {
    /// Queues into `messages` until dropped, then calls `stop` (which removes the handler
    /// that queues).
    pub(crate) fn new(
        messages: UnboundedReceiver<M>,
        stop: impl FnOnce() + Send + Sync + 'static,
    ) -> Subscription<M> {
        Subscription {
            messages,
            stop: Some(Box::new(stop)),
        }
    }

    /// The next message, waiting for one to be broadcast.
    pub async fn recv(&mut self) -> M {
        // The sending handler lives on the bus, which this subscription keeps alive (its
        // `stop` holds it) until dropped: the queue never closes under a reader.
        match self.messages.recv().await {
            Some(message) => message,
            None => std::future::pending().await,
        }
    }

    /// The next message already queued, without waiting: `None` when there is none. Needs
    /// no async runtime (a GUI's thread calls it each frame).
    pub fn try_recv(&mut self) -> Option<M> {
        self.messages.try_recv().ok()
    }
}

impl<M> Drop for Subscription<M> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl<M> fmt::Debug for Subscription<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("queued", &self.messages.len())
            .finish_non_exhaustive()
    }
}
