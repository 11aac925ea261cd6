//! [`Ctx`] and [`DispatchInfo`]: what a handler knows about the dispatch that called it.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::Bus;

/// Where a dispatch sits in its cascade: the trace it belongs to, its own id, the dispatch
/// that caused it, how deep it is, and who sent it.
///
/// A dispatch made while another is running on the same thread (a handler broadcasting in
/// turn) inherits the trace and sender, points at its parent, and is one level deeper. The
/// bus refuses dispatches deeper than its limit (32 by default), so a cascade that never ends
/// becomes an error instead of a stack overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DispatchInfo {
    trace: u64,
    id: u64,
    parent: Option<u64>,
    depth: u32,
    /// Interned (see [`intern`]), so that the info is `Copy` and costs nothing to carry.
    sender: Option<&'static str>,
}

impl DispatchInfo {
    /// The trace id shared by every dispatch of one cascade.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_ne!(ctx.dispatch().trace(), 0);
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &1u8).unwrap();
    /// ```
    pub fn trace(&self) -> u64 {
        self.trace
    }

    /// This dispatch's own id, unique in the process; a root dispatch's id is also its
    /// trace id.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(ctx.dispatch().id(), ctx.dispatch().trace());
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &1u8).unwrap();
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The id of the dispatch that caused this one; `None` for a root dispatch.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(ctx.dispatch().parent(), None);
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &1u8).unwrap();
    /// ```
    pub fn parent(&self) -> Option<u64> {
        self.parent
    }

    /// How many dispatches are above this one: 0 for a root dispatch.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(ctx.dispatch().depth(), 0);
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &1u8).unwrap();
    /// ```
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Who sent the root dispatch, when it was sent inside [`Bus::with_sender`].
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(ctx.dispatch().sender(), Some("brain"));
    ///     Ok(())
    /// });
    /// bus.with_sender("brain", || bus.broadcast(&(), &1u8)).unwrap();
    /// ```
    pub fn sender(&self) -> Option<&str> {
        self.sender
    }
}

/// The running dispatch on a thread, as plain words (one copy to read or restore).
#[derive(Clone, Copy)]
struct Frame {
    /// 0 when none is running, otherwise the running dispatch's depth + 1.
    depth: u32,
    trace: u64,
    id: u64,
    sender: Option<&'static str>,
}

impl Frame {
    const NONE: Frame = Frame {
        depth: 0,
        trace: 0,
        id: 0,
        sender: None,
    };

    fn of(info: &DispatchInfo) -> Frame {
        Frame {
            depth: info.depth + 1,
            trace: info.trace,
            id: info.id,
            sender: info.sender,
        }
    }
}

thread_local! {
    /// The running dispatch on this thread.
    static RUNNING: Cell<Frame> = const { Cell::new(Frame::NONE) };
    /// The sender set by `Bus::with_sender` for root dispatches on this thread.
    static SENDER: Cell<Option<&'static str>> = const { Cell::new(None) };
    /// This thread's next id: a prefix in the high 32 bits and a counter in the low ones, so
    /// ids are unique in the process without a shared counter. Low bits of 0 mean "take a
    /// new prefix": at a thread's first dispatch, and when its counter runs out.
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

#[inline]
fn next_id() -> u64 {
    NEXT_ID.with(|next| {
        let mut id = next.get();
        if id & u64::from(u32::MAX) == 0 {
            id = fresh_prefix();
        }
        next.set(id + 1);
        id
    })
}

/// A prefix no thread has used, as the first id under it (low bits 0).
#[cold]
fn fresh_prefix() -> u64 {
    static PREFIXES: AtomicU64 = AtomicU64::new(1);
    // Relaxed: only uniqueness of the prefix matters.
    PREFIXES.fetch_add(1, Ordering::Relaxed) << 32
}

/// The dispatch running on this thread, if any.
fn running() -> Option<DispatchInfo> {
    let frame = RUNNING.with(Cell::get);
    (frame.depth > 0).then(|| DispatchInfo {
        trace: frame.trace,
        id: frame.id,
        parent: None,
        depth: frame.depth - 1,
        sender: frame.sender,
    })
}

/// Makes the info for a new dispatch (a child of the running one, or a fresh root) and
/// makes it the running dispatch until the guard drops (also when a handler panics). The
/// guard holds the info: returned in place, not copied out of a tuple.
#[inline]
pub(crate) fn begin() -> Dispatching {
    let id = next_id();
    RUNNING.with(|running| {
        let saved = running.get();
        let info = if saved.depth > 0 {
            DispatchInfo {
                trace: saved.trace,
                id,
                parent: Some(saved.id),
                depth: saved.depth,
                sender: saved.sender,
            }
        } else {
            DispatchInfo {
                trace: id,
                id,
                parent: None,
                depth: 0,
                sender: SENDER.with(Cell::get),
            }
        };
        running.set(Frame::of(&info));
        Dispatching { info, saved }
    })
}

impl DispatchInfo {
    /// This dispatch, sent by `sender` when one is given (a run context's).
    pub(crate) fn sent_by(mut self, sender: Option<&'static str>) -> DispatchInfo {
        if sender.is_some() {
            self.sender = sender;
        }
        self
    }
}

/// The info for a new dispatch whose parent is `parent` (a fresh root when `None`), for
/// work that is not running yet (an async Action run).
pub(crate) fn child_of(parent: Option<DispatchInfo>) -> DispatchInfo {
    let id = next_id();
    match parent {
        Some(parent) => DispatchInfo {
            trace: parent.trace,
            id,
            parent: Some(parent.id),
            depth: parent.depth + 1,
            sender: parent.sender,
        },
        None => DispatchInfo {
            trace: id,
            id,
            parent: None,
            depth: 0,
            sender: SENDER.with(Cell::get),
        },
    }
}

/// The dispatch running on this thread, to carry into work started from it.
pub(crate) fn try_current() -> Option<DispatchInfo> {
    running()
}

/// Makes `info` the running dispatch until the guard drops.
pub(crate) fn enter(info: DispatchInfo) -> Dispatching {
    let saved = RUNNING.with(|running| running.replace(Frame::of(&info)));
    Dispatching { info, saved }
}

/// A dispatch made the running one: its info, and what was running before, restored when
/// dropped.
pub(crate) struct Dispatching {
    pub(crate) info: DispatchInfo,
    saved: Frame,
}

impl Drop for Dispatching {
    #[inline]
    fn drop(&mut self) {
        RUNNING.with(|running| running.set(self.saved));
    }
}

/// How many sender names are kept: a set of service names is far smaller; a name per
/// request or session would otherwise grow the process without end.
const MOST_SENDERS: usize = 4_096;

/// What a sender name past the [`MOST_SENDERS`]th becomes.
const TOO_MANY_SENDERS: &str = "(too many senders)";

/// The one `&'static` copy of `name`: sender names are service names, a small set, kept
/// for the life of the process — up to [`MOST_SENDERS`] of them; later ones are
/// [`TOO_MANY_SENDERS`], said once as a warning.
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(&interned) = names.get(name) {
        return interned;
    }
    if names.len() >= MOST_SENDERS {
        drop(names);
        if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(
                kept = MOST_SENDERS,
                "too many sender names: later ones are {TOO_MANY_SENDERS:?} (use a fixed set of senders, and a run context's extension for a per-request identity)"
            );
        }
        return TOO_MANY_SENDERS;
    }
    let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(interned);
    interned
}

/// The sender `with_sender` set on this thread, if any.
pub(crate) fn current_sender() -> Option<&'static str> {
    SENDER.with(Cell::get)
}

/// Runs `f` with `sender` as the sender of the root dispatches it makes on this thread.
pub(crate) fn with_sender<R>(sender: &str, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static str>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SENDER.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SENDER.with(|s| s.replace(Some(intern(sender)))));
    f()
}

/// What a handler receives besides the message: the application's context (the Core), the
/// bus, and the dispatch it is running in.
///
/// ```
/// use corers_messaging::Bus;
///
/// struct App { name: &'static str }
/// struct WorkspaceCreated { name: String }
/// struct CacheFlushed;
///
/// let bus: Bus<App> = Bus::new();
/// bus.on(|ctx, created: &WorkspaceCreated| {
///     assert_eq!(ctx.core().name, "workbench");
///     // A nested dispatch: same trace, one level deeper.
///     ctx.bus().broadcast(ctx.core(), &CacheFlushed)?;
///     Ok(())
/// });
/// bus.on(|ctx, _: &CacheFlushed| {
///     assert_eq!(ctx.dispatch().depth(), 1);
///     Ok(())
/// });
/// let app = App { name: "workbench" };
/// let report = bus.broadcast(&app, &WorkspaceCreated { name: "alpha".into() }).unwrap();
/// assert!(report.is_ok());
/// ```
pub struct Ctx<'a, C> {
    pub(crate) core: &'a C,
    pub(crate) bus: &'a Bus<C>,
    pub(crate) info: &'a DispatchInfo,
}

impl<'a, C> Ctx<'a, C> {
    /// The application's context: the Core, in a CoreRS application.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<&str> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(*ctx.core(), "workbench");
    ///     Ok(())
    /// });
    /// bus.broadcast(&"workbench", &1u8).unwrap();
    /// ```
    pub fn core(&self) -> &'a C {
        self.core
    }

    /// The bus, for nested dispatches.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, n: &u8| {
    ///     if *n < 3 {
    ///         ctx.bus().broadcast(ctx.core(), &(n + 1))?;
    ///     }
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &0u8).unwrap();
    /// ```
    pub fn bus(&self) -> &'a Bus<C> {
        self.bus
    }

    /// The dispatch this handler runs in.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|ctx, _: &u8| {
    ///     assert_eq!(ctx.dispatch().parent(), None);
    ///     Ok(())
    /// });
    /// bus.broadcast(&(), &1u8).unwrap();
    /// ```
    pub fn dispatch(&self) -> &'a DispatchInfo {
        self.info
    }
}

impl<C> fmt::Debug for Ctx<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("dispatch", self.info)
            .finish_non_exhaustive()
    }
}
