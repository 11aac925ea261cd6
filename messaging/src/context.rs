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

/// The per-thread dispatch state, read and written whole: one thread-local access per
/// step of a dispatch.
#[derive(Clone, Copy)]
struct Frame {
    /// The running dispatch, if any: the parent of the next one.
    current: Option<DispatchInfo>,
    /// The next id this thread hands out: a per-thread prefix in the high bits and a
    /// counter, so ids are unique in the process without a shared counter. 0 means "not
    /// yet given a prefix".
    next_id: u64,
}

thread_local! {
    static FRAME: Cell<Frame> = const { Cell::new(Frame { current: None, next_id: 0 }) };
    /// The sender set by `Bus::with_sender` for root dispatches on this thread.
    static SENDER: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Makes the info for a new dispatch (a child of the running one, or a fresh root) and
/// makes it the running dispatch until the guard drops (also when a handler panics).
pub(crate) fn begin() -> (DispatchInfo, EnterGuard) {
    FRAME.with(|cell| {
        let mut frame = cell.get();
        if frame.next_id == 0 {
            static THREADS: AtomicU64 = AtomicU64::new(1);
            // Relaxed: only uniqueness of the prefix matters.
            frame.next_id = THREADS.fetch_add(1, Ordering::Relaxed) << 32;
        }
        let id = frame.next_id;
        frame.next_id += 1;
        let previous = frame.current;
        let info = match previous {
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
        };
        frame.current = Some(info);
        cell.set(frame);
        (info, EnterGuard { previous })
    })
}

/// The dispatch running on this thread, to carry into work started from it.
pub(crate) fn try_current() -> Option<DispatchInfo> {
    FRAME.with(|cell| cell.get().current)
}

/// Makes `info` the running dispatch until the guard drops.
pub(crate) fn enter(info: DispatchInfo) -> EnterGuard {
    FRAME.with(|cell| {
        let mut frame = cell.get();
        let previous = frame.current.replace(info);
        cell.set(frame);
        EnterGuard { previous }
    })
}

pub(crate) struct EnterGuard {
    previous: Option<DispatchInfo>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        FRAME.with(|cell| {
            let mut frame = cell.get();
            frame.current = self.previous;
            cell.set(frame);
        });
    }
}

/// The one `&'static` copy of `name`: sender names are service names, a small set, kept
/// for the life of the process.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(&interned) = names.get(name) {
        return interned;
    }
    let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(interned);
    interned
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
