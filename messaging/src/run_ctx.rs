//! [`RunCtx`]: the caller's side of a run of an Action or a Task — cancellation, deadline,
//! the caller's values, and the running slots its ancestors hold.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::action::Limit;

/// The caller's side of a run: cancellation, deadline and the caller's own values
/// ([`with_extension`](RunCtx::with_extension)), handed down to every nested run.
///
/// ```
/// use std::time::Duration;
/// use corers_messaging::RunCtx;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ctx = RunCtx::new().with_timeout(Duration::from_secs(30));
/// assert!(ctx.deadline().is_some());
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct RunCtx {
    /// Shared: every nested run holds the caller's context, and cloning a token is dearer
    /// than cloning an `Arc`.
    inner: Arc<RunCtxInner>,
}

#[derive(Default)]
struct RunCtxInner {
    /// Made when first asked for: a token nobody holds cannot be cancelled, so runs under
    /// a context whose token was never handed out skip the token's lock entirely.
    cancel: OnceLock<CancellationToken>,
    deadline: Option<Instant>,
    /// The caller's values, one per type.
    extensions: Shared<Extension>,
    /// The running slots the runs this context is nested in hold: a nested run of an
    /// Action whose slot an ancestor holds takes a free slot or none, as waiting for one
    /// could wait on that ancestor forever (with one slot it always would).
    holding: Shared<Arc<Held>>,
    /// Who the runs are made for (interned, as a dispatch's sender is).
    sender: Option<&'static str>,
    /// Where the runs' progress goes (see [`RunCtx::with_progress`]).
    progress: Option<ProgressSink>,
}

/// What hears the progress of the runs under a context.
type ProgressSink = Arc<dyn Fn(&crate::ActionProgress) + Send + Sync>;

impl fmt::Debug for RunCtxInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values may be anything (a credential, say): only how many there are.
        f.debug_struct("RunCtxInner")
            .field("cancel", &self.cancel)
            .field("deadline", &self.deadline)
            .field("sender", &self.sender)
            .field("progress", &self.progress.is_some())
            .field(
                "extensions",
                &format_args!("{} extensions", self.extensions.len()),
            )
            .field(
                "holding",
                &format_args!("{} slots held", self.holding.len()),
            )
            .finish()
    }
}

/// A short list a context shares with every context derived from it, copied only when a
/// derived context adds to it.
struct Shared<T>(Option<Arc<[T]>>);

impl<T: Clone> Shared<T> {
    fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().flat_map(|all| all.iter())
    }

    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |all| all.len())
    }

    /// The items `keep` keeps, then `item`.
    fn with(&self, item: T, keep: impl Fn(&T) -> bool) -> Shared<T> {
        let kept = self.iter().filter(|other| keep(other)).cloned();
        Shared(Some(kept.chain([item]).collect()))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared(None)
    }
}

/// One running slot, held by a run until it ends.
pub(crate) struct Held {
    pub(crate) limit: Arc<Limit>,
    pub(crate) released: AtomicBool,
}

/// One attached value, under its type.
type Extension = (TypeId, Arc<dyn Any + Send + Sync>);

impl RunCtx {
    /// No deadline, a fresh cancellation token.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// assert!(RunCtx::new().deadline().is_none());
    /// ```
    pub fn new() -> RunCtx {
        RunCtx::default()
    }

    /// Cancels with `token` (a clone of the caller's, usually the Core's shutdown token),
    /// instead of any token set before. To add a cancellation of your own to a context that
    /// already has one, pass a child of its token: cancelling the child cancels these runs,
    /// and the context's own token still reaches them through it.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// use tokio_util::sync::CancellationToken;
    /// let shutdown = CancellationToken::new();
    /// let ctx = RunCtx::new().with_cancel(shutdown.clone());
    /// // A local abort for one batch of runs, on top of shutdown:
    /// let abort = ctx.cancel_token().child_token();
    /// let batch = ctx.clone().with_cancel(abort.clone());
    /// shutdown.cancel();
    /// assert!(ctx.cancel_token().is_cancelled());
    /// assert!(batch.cancel_token().is_cancelled());
    /// ```
    #[must_use]
    pub fn with_cancel(self, token: CancellationToken) -> RunCtx {
        self.derived(token, |_| {})
    }

    /// Ends runs at `deadline` (the earlier of this and any deadline already set).
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let at = tokio::time::Instant::now();
    /// assert_eq!(RunCtx::new().with_deadline(at).deadline(), Some(at));
    /// # }
    /// ```
    #[must_use]
    pub fn with_deadline(self, deadline: Instant) -> RunCtx {
        self.derived(self.cancel_token().clone(), |inner| {
            inner.deadline = Some(inner.deadline.map_or(deadline, |d| d.min(deadline)));
        })
    }

    /// Ends runs `timeout` from now (or earlier, when a deadline is already set).
    ///
    /// A timeout too long to represent means no deadline.
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> RunCtx {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.with_deadline(deadline),
            None => self,
        }
    }

    /// The cancellation token.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// assert!(!RunCtx::new().cancel_token().is_cancelled());
    /// ```
    pub fn cancel_token(&self) -> &CancellationToken {
        self.inner.cancel.get_or_init(CancellationToken::new)
    }

    /// Whether runs under this context can no longer start: cancelled, or past its
    /// deadline. Never makes the cancellation token.
    pub(crate) fn has_ended(&self) -> bool {
        self.is_cancelled() || self.deadline().is_some_and(|d| Instant::now() >= d)
    }

    /// Whether the token was handed out and cancelled (a token nobody holds cannot be).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner
            .cancel
            .get()
            .is_some_and(CancellationToken::is_cancelled)
    }

    /// The deadline, if any.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// assert!(RunCtx::new().deadline().is_none());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline
    }

    /// Attaches `value` for every run under this context to read with
    /// [`extension`](RunCtx::extension): who is calling, the session, a request id — what
    /// the caller knows and the input (which the caller's own caller, a model say, writes)
    /// must not carry. One value per type: a second of the same type replaces the first.
    /// Nested runs and contexts derived with a deadline or a token keep them.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    ///
    /// struct Principal(&'static str);
    ///
    /// let ctx = RunCtx::new().with_extension(Principal("session-7f3a"));
    /// assert_eq!(ctx.extension::<Principal>().unwrap().0, "session-7f3a");
    /// assert!(ctx.extension::<u32>().is_none());
    /// ```
    #[must_use]
    pub fn with_extension<T: Send + Sync + 'static>(self, value: T) -> RunCtx {
        // The same token: cancelling either context cancels runs under both.
        self.derived(self.cancel_token().clone(), |inner| {
            let id = TypeId::of::<T>();
            let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
            inner.extensions = inner
                .extensions
                .with((id, value), |(other, _)| *other != id);
        })
    }

    /// Records `sender` as the sender of the runs made under this context (and of what
    /// they cause), which handlers read as `ctx.dispatch().sender()` and the
    /// `ActionStarted` / `ActionCompleted` events carry: the way to say who calls for runs
    /// that go on after the caller's own code returned (an async run, a Task's steps),
    /// where [`Bus::with_sender`](crate::Bus::with_sender), which names the sender of what
    /// runs inside its closure, cannot reach. Sender names are interned, as `with_sender`'s
    /// are: use a small, fixed set of names (a service, "agent", "scheduler"), and carry a
    /// per-request identity in an [extension](RunCtx::with_extension). Past 4,096 names a
    /// process has used, a new one is `"(too many senders)"` (and a warning says so once).
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus, RunCtx};
    /// use corers_primitives::{Options, Value};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("git.log", |ctx, _| async move {
    ///     Ok(Value::from(ctx.dispatch().sender().unwrap_or("nobody")))
    /// })).unwrap();
    /// let ctx = RunCtx::new().with_sender("agent");
    /// let who = actions.run(&(), &ctx, "git.log", Options::new()).await.unwrap();
    /// assert_eq!(who, Value::from("agent"));
    /// # }
    /// ```
    #[must_use]
    pub fn with_sender(self, sender: &str) -> RunCtx {
        let sender = crate::context::intern(sender);
        self.derived(self.cancel_token().clone(), |inner| {
            inner.sender = Some(sender);
        })
    }

    /// The sender [`with_sender`](RunCtx::with_sender) recorded, if any.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// assert_eq!(RunCtx::new().with_sender("agent").sender(), Some("agent"));
    /// assert_eq!(RunCtx::new().sender(), None);
    /// ```
    pub fn sender(&self) -> Option<&'static str> {
        self.inner.sender
    }

    /// Sends the progress the runs under this context report
    /// ([`ActionCtx::progress`](crate::ActionCtx::progress)), nested runs' included, to
    /// `sink`, on the thread that reports it: how a tool server forwards one call's
    /// progress to the client that made it (an MCP `progressToken`), where the bus's
    /// [`ActionProgress`](crate::ActionProgress) reaches every listener. Keep it quick (it
    /// runs inside the handler); a panic in it is logged, and the run goes on. A second
    /// sink replaces the first.
    ///
    /// ```
    /// use corers_messaging::RunCtx;
    /// let ctx = RunCtx::new().with_progress(|p| println!("{}: {:.0}% {}", p.name, p.fraction * 100.0, p.message));
    /// assert!(format!("{ctx:?}").contains("progress: true"));
    /// ```
    #[must_use]
    pub fn with_progress(
        self,
        sink: impl Fn(&crate::ActionProgress) + Send + Sync + 'static,
    ) -> RunCtx {
        let sink: ProgressSink = Arc::new(sink);
        self.derived(self.cancel_token().clone(), |inner| {
            inner.progress = Some(sink);
        })
    }

    /// The progress sink, if one was given.
    pub(crate) fn progress_sink(&self) -> Option<&ProgressSink> {
        self.inner.progress.as_ref()
    }

    /// This context for the runs nested in one that holds `held`.
    pub(crate) fn holding(&self, held: Arc<Held>) -> RunCtx {
        self.derived(self.cancel_token().clone(), |inner| {
            // Slots given back are left out: a long cascade carries only live ones.
            inner.holding = inner
                .holding
                .with(held, |other| !other.released.load(Ordering::Acquire));
        })
    }

    /// Whether a run this context is nested in holds a running slot of `limit`.
    pub(crate) fn holds(&self, limit: &Arc<Limit>) -> bool {
        self.inner
            .holding
            .iter()
            .any(|held| Arc::ptr_eq(&held.limit, limit) && !held.released.load(Ordering::Acquire))
    }

    /// A new context cancelled by `cancel`, with this one's deadline, values and slots as
    /// `change` leaves them.
    fn derived(&self, cancel: CancellationToken, change: impl FnOnce(&mut RunCtxInner)) -> RunCtx {
        let mut inner = RunCtxInner {
            cancel: OnceLock::from(cancel),
            deadline: self.inner.deadline,
            extensions: self.inner.extensions.clone(),
            holding: self.inner.holding.clone(),
            sender: self.inner.sender,
            progress: self.inner.progress.clone(),
        };
        change(&mut inner);
        RunCtx {
            inner: Arc::new(inner),
        }
    }

    /// The value of type `T` the caller attached with
    /// [`with_extension`](RunCtx::with_extension), if any; a handler reads it as
    /// `ctx.run_ctx().extension::<Principal>()`.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner
            .extensions
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, value)| value.downcast_ref())
    }
}
