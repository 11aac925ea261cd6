//! [`Force`]: a forced shutdown, and the grace its hooks share.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long the hooks and service tasks still running may take to wind down, all together,
/// once shutdown is forced.
pub(crate) const FORCED_GRACE: Duration = Duration::from_millis(250);

/// Whether, and since when, shutdown is forced (a second signal, or a shutdown past its
/// deadline).
pub(crate) struct Force {
    /// Cancelled when shutdown is forced: every running hook should give up. (The
    /// `Force` is shared by `Arc` with each service's work: cloning a token takes a lock,
    /// cloning an `Arc` does not.)
    pub(crate) token: CancellationToken,
    /// When it was forced: the grace is counted from here.
    at: OnceLock<Instant>,
}

impl Force {
    pub(crate) fn new() -> Force {
        Force {
            token: CancellationToken::new(),
            at: OnceLock::new(),
        }
    }

    /// Forces the shutdown; forcing it again changes nothing.
    pub(crate) fn force(&self) {
        // The time first: whoever sees the token cancelled finds it set.
        self.at.get_or_init(Instant::now);
        self.token.cancel();
    }

    pub(crate) fn is_forced(&self) -> bool {
        self.token.is_cancelled()
    }

    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// `work`'s output if it ends within what is left of the grace; `None` once the grace
    /// is spent (`work` is then dropped by its owner: abandoned).
    pub(crate) async fn within_grace<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout(self.grace_left(), work).await.ok()
    }

    /// What is left of the grace: [`FORCED_GRACE`] from the moment shutdown was forced,
    /// shared by every hook, so that a forced shutdown ends within it however many hooks
    /// are still to run (each later one still gets its first poll).
    fn grace_left(&self) -> Duration {
        let at = self.at.get_or_init(Instant::now);
        (*at + FORCED_GRACE).saturating_duration_since(Instant::now())
    }
}
