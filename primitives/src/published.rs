//! [`Published`]: an immutable value replaced by writers and read by many threads without
//! touching a shared counter.

use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use thread_local::ThreadLocal;

/// One thread's copy, on a cache line of its own: the per-thread slots sit side by side, and
/// every read writes its slot's borrow flag, so neighbours sharing a line would contend.
#[repr(align(128))]
struct Slot<T>(RefCell<Option<Cached<T>>>);

/// The copy a thread read last, and the generation it belongs to.
struct Cached<T> {
    generation: u64,
    value: Arc<T>,
}

/// An immutable value that writers replace whole and readers borrow, built for read paths
/// that run millions of times a second (the bus's handler tables).
///
/// A read costs no atomic read-modify-write: each thread keeps the `Arc` it read last and
/// reuses it while the generation counter says nothing was published since. A reader always
/// sees the latest value published before its read began; a value published during a read
/// is seen from the next read on.
///
/// A thread keeps the copy it read last until its next read or until the `Published`
/// drops, so a replaced value is freed once every thread that read it has read again (or
/// at once when no thread did). A thread that has exited never reads again: its copy lives
/// until the `Published` drops (or a new thread takes over its slot and reads), so what a
/// replaced value holds may outlive the replacement by that long — bounded by the number
/// of threads that ever read, but not freed at once.
///
/// ```
/// use corers_primitives::Published;
///
/// let routes = Published::new(vec!["workspace/create"]);
/// assert_eq!(routes.read().len(), 1);
/// routes.publish(vec!["workspace/create", "workspace/list"]);
/// assert_eq!(routes.read()[1], "workspace/list");
/// ```
pub struct Published<T: Send + Sync> {
    shared: Shared<T>,
    local: ThreadLocal<Slot<T>>,
}

/// What every reader loads, on a cache line of its own, away from whatever its owner
/// counts or locks next to it.
#[repr(align(128))]
struct Shared<T> {
    current: ArcSwap<T>,
    /// Bumped after every publish; a thread's copy is current while this is unchanged.
    generation: AtomicU64,
}

thread_local! {
    /// Set once this thread has begun exiting: its per-thread slots may be gone, so reads
    /// load for themselves.
    static EXITING: Cell<bool> = const { Cell::new(false) };
    /// Dropped when this thread exits, before the slots' thread ids are released (it is
    /// first touched after them, and thread-local destructors run in reverse order).
    static EXIT_WATCH: ExitWatch = const { ExitWatch };
}

struct ExitWatch;

impl Drop for ExitWatch {
    fn drop(&mut self) {
        let _ = EXITING.try_with(|exiting| exiting.set(true));
    }
}

impl<T: Send + Sync> Published<T> {
    /// Publishes `value` as the first version.
    ///
    /// ```
    /// use corers_primitives::Published;
    /// let limits = Published::new(("max_running", 64));
    /// assert_eq!(limits.read().1, 64);
    /// ```
    pub fn new(value: T) -> Self {
        Published {
            shared: Shared {
                current: ArcSwap::from_pointee(value),
                generation: AtomicU64::new(0),
            },
            local: ThreadLocal::new(),
        }
    }

    /// The latest published value, borrowed for the current scope. Reads may nest (a read
    /// taken while another is held on the same thread sees the latest value too). The
    /// guard is not `Send`: it is meant for a synchronous scope, not to be held across an
    /// `.await`.
    ///
    /// ```
    /// use corers_primitives::Published;
    /// let names = Published::new(vec!["brain".to_owned()]);
    /// assert_eq!(names.read()[0], "brain");
    /// names.publish(vec!["cache".to_owned()]);
    /// assert_eq!(names.read()[0], "cache");
    /// ```
    #[inline]
    pub fn read(&self) -> ReadGuard<'_, T> {
        // Acquire: pairs with the Release bump in `publish`, so a generation seen here
        // means the value stored before that bump is visible too.
        let generation = self.shared.generation.load(Ordering::Acquire);
        // A read from a thread-local destructor while this thread exits (a value whose
        // drop dispatches on the bus, say) must not touch the per-thread slots. This is
        // known only on a thread that read before it began exiting; a thread whose very
        // first read comes from such a destructor, after the `thread_local` crate freed
        // its id, still panics there.
        if EXITING.with(Cell::get) {
            return ReadGuard(Reading::Fresh(self.shared.current.load_full()));
        }
        let slot = &self.local.get_or(|| Slot(RefCell::new(None))).0;
        let cached = slot.try_borrow().ok().and_then(|cached| {
            Ref::filter_map(cached, |c| {
                c.as_ref().filter(|c| c.generation == generation)
            })
            .ok()
        });
        match cached {
            Some(cached) => ReadGuard(Reading::Cached(cached)),
            None => ReadGuard(Reading::Fresh(self.refresh(slot, generation))),
        }
    }

    /// Loads the current value and makes it this thread's copy, unless an outer read on
    /// this thread is still using the copy.
    #[cold]
    #[inline(never)]
    fn refresh(&self, slot: &RefCell<Option<Cached<T>>>, generation: u64) -> Arc<T> {
        // A thread's first read of any `Published` comes through here, after its slot
        // (and so its `thread_local` id) exists: registering the exit watch now makes it
        // drop before that id is released.
        let _ = EXIT_WATCH.try_with(|_| {});
        // Loaded after `generation` was read, so at least that new: never older than the
        // generation it is filed under.
        let value = self.shared.current.load_full();
        if let Ok(mut cached) = slot.try_borrow_mut() {
            let previous = cached.replace(Cached {
                generation,
                value: Arc::clone(&value),
            });
            drop(cached);
            // The replaced copy may hold the last reference: free it (running whatever its
            // drop runs) outside the borrow, and keep a panic there out of this read.
            if let Err(payload) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(previous)))
            {
                let err = crate::Error::from_caught("primitives.Published.read", payload);
                tracing::error!(error = %err, "dropping a replaced value panicked");
            }
        }
        value
    }

    /// The latest published value, as a shared handle to keep beyond one read.
    ///
    /// ```
    /// use corers_primitives::Published;
    /// let names = Published::new(vec!["brain"]);
    /// let kept = names.load();
    /// names.publish(vec!["cache"]);
    /// assert_eq!(kept[0], "brain");
    /// assert_eq!(names.load()[0], "cache");
    /// ```
    pub fn load(&self) -> Arc<T> {
        self.shared.current.load_full()
    }

    /// Replaces the value; reads that begin after this returns see `value`. Writers that
    /// derive the next value from the current one serialise themselves (a `Mutex` around
    /// load-modify-publish), as the bus does.
    ///
    /// Returns the value it replaced, so that a writer holding a lock can drop it after
    /// releasing the lock: a value whose `Drop` runs code that writes again (a handler
    /// that captured something registering on drop) must not run under that lock. Threads
    /// that read it may still hold copies; the last one drops it.
    ///
    /// ```
    /// use corers_primitives::Published;
    /// let limits = Published::new(64usize);
    /// let previous = limits.publish(128);
    /// assert_eq!((*previous, *limits.read()), (64, 128));
    /// ```
    pub fn publish(&self, value: T) -> Arc<T> {
        let previous = self.shared.current.swap(Arc::new(value));
        // Release: a reader that sees the new generation sees the stored value.
        self.shared.generation.fetch_add(1, Ordering::Release);
        previous
    }
}

/// A borrowed [`Published`] value, from [`Published::read`].
pub struct ReadGuard<'a, T>(Reading<'a, T>);

enum Reading<'a, T> {
    /// This thread's copy, current.
    Cached(Ref<'a, Cached<T>>),
    /// Loaded for this read (the copy was stale or in use by an outer read).
    Fresh(Arc<T>),
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        match &self.0 {
            Reading::Cached(cached) => &cached.value,
            Reading::Fresh(value) => value,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

impl<T: fmt::Debug + Send + Sync> fmt::Debug for Published<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Published")
            .field(&self.shared.current.load())
            .finish()
    }
}
