//! [`Registry`]: the named-collection brick under services, commands, actions and mounts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Error, ErrorCode, Published, Result, glob_match};

/// What changes a [`Registry`] still accepts. Modes only ever tighten:
/// `Open → Sealed → Locked`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Any change: new names, updates, deletes, disable and enable.
    Open,
    /// The set of names is fixed: existing entries may be replaced (hot swap of a handler),
    /// disabled and enabled, but no name is added or deleted.
    Sealed,
    /// Frozen: every change is refused.
    Locked,
}

/// An insertion-ordered, named collection that many threads read while a few write.
///
/// Reads ([`get`](Registry::get), [`names`](Registry::names), …) load the current snapshot
/// without taking a lock or touching a shared counter (a [`Published`] value): they never
/// wait behind a writer and never see half a write. As there, a thread keeps the snapshot
/// it read last until its next read, so a removed or replaced value may outlive its
/// removal until every thread that read the registry has read it again (or the registry
/// drops): its `Drop` then runs inside that later read, on that thread (a panic there is
/// caught and logged). A value whose `Drop` blocks (joins a thread, flushes a socket)
/// should hand that work off rather than stall some later lookup.
/// Writes are serialised with one another and publish a whole new snapshot, so no write is
/// lost; a write costs `O(len)`, which suits collections that are read far more than
/// written. [`set_many`](Registry::set_many) publishes several entries as one change.
///
/// Disabled entries stay registered: [`get`](Registry::get), [`has`](Registry::has),
/// [`names`](Registry::names) and [`len`](Registry::len) still see them, while
/// [`lookup`](Registry::lookup), [`list`](Registry::list) and [`each`](Registry::each) — the
/// calls that ask what is available — skip them.
///
/// ```
/// use corers_primitives::{ErrorCode, Registry};
///
/// let actions = Registry::new("actions");
/// actions.set("process.run", "runs a command").unwrap();
/// actions.set("process.kill", "kills a process").unwrap();
/// actions.set("git.log", "shows history").unwrap();
///
/// assert_eq!(actions.list("process.*"), ["process.run", "process.kill"]);
///
/// actions.seal();
/// assert!(actions.set("git.log", "shows history, faster").is_ok()); // update: allowed
/// let err = actions.set("git.push", "pushes").unwrap_err(); // new name: refused
/// assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
/// ```
pub struct Registry<T: Send + Sync> {
    name: Cow<'static, str>,
    /// Read without an atomic read-modify-write (each thread reuses the snapshot it read
    /// last while nothing was published since): a lookup per Action run.
    current: Published<Snapshot<T>>,
    /// Serialises writers so that each one starts from the latest snapshot.
    writer: Mutex<()>,
}

/// One consistent view of a [`Registry`], as it was at one moment.
///
/// A snapshot never changes; it is what [`Registry::snapshot`] hands out for reading several
/// things that must agree with one another (a name list and the values behind it).
pub struct Snapshot<T> {
    mode: Mode,
    index: HashMap<Arc<str>, usize, BuildHasherDefault<NameHasher>>,
    entries: Vec<Entry<T>>,
}

struct Entry<T> {
    name: Arc<str>,
    value: Arc<T>,
    enabled: bool,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Entry {
            name: Arc::clone(&self.name),
            value: Arc::clone(&self.value),
            enabled: self.enabled,
        }
    }
}

impl<T> Clone for Snapshot<T> {
    fn clone(&self) -> Self {
        Snapshot {
            mode: self.mode,
            index: self.index.clone(),
            entries: self.entries.clone(),
        }
    }
}

impl<T: Send + Sync> Registry<T> {
    /// Makes an empty, open registry; `name` appears in every error it returns.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services: Registry<String> = Registry::new("services");
    /// assert_eq!(services.name(), "services");
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>) -> Registry<T> {
        Registry {
            name: name.into(),
            current: Published::new(Snapshot {
                mode: Mode::Open,
                index: HashMap::default(),
                entries: Vec::new(),
            }),
            writer: Mutex::new(()),
        }
    }

    /// The registry's own name.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// assert_eq!(Registry::<u8>::new("commands").name(), "commands");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stores `value` under `name`: replaces it in place (keeping its position and its
    /// enabled state) when the name exists, appends it otherwise.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let drives = Registry::new("drives");
    /// drives.set("homelab", "ssh://homelab:22").unwrap();
    /// drives.set("homelab", "ssh://homelab:2222").unwrap();
    /// assert_eq!(*drives.get("homelab").unwrap(), "ssh://homelab:2222");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for an empty name, one with leading or trailing whitespace,
    /// or one with control characters; [`ErrorCode::LOCKED`] when the registry is locked,
    /// or sealed and `name` is new.
    pub fn set(&self, name: &str, value: T) -> Result<()> {
        self.store_many("primitives.Registry.set", [(name, value)])
    }

    /// Stores several entries as one change: readers see all of them or none, and when one
    /// is refused none is stored.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let ports = Registry::new("ports");
    /// ports.set_many([("http", 80), ("https", 443)]).unwrap();
    /// assert_eq!(ports.names(), ["http", "https"]);
    /// ```
    ///
    /// # Errors
    /// As [`set`](Registry::set), for the first entry that is refused.
    pub fn set_many<'a>(&self, entries: impl IntoIterator<Item = (&'a str, T)>) -> Result<()> {
        self.store_many("primitives.Registry.set_many", entries)
    }

    /// Adds `value` under a name that must be new.
    ///
    /// ```
    /// use corers_primitives::{ErrorCode, Registry};
    /// let services = Registry::new("services");
    /// services.register("brain", 1).unwrap();
    /// let err = services.register("brain", 2).unwrap_err();
    /// assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`] when `name` is already registered; otherwise as
    /// [`set`](Registry::set).
    pub fn register(&self, name: &str, value: T) -> Result<()> {
        const OP: &str = "primitives.Registry.register";
        // Kept outside the write so that a refused value is dropped after the writer lock
        // is released (its `Drop` may use this registry).
        let mut value = Some(value);
        self.write(|next| {
            self.check_name(OP, name)?;
            if next.mode != Mode::Open {
                return Err(self.refused(OP, next.mode, "add", name));
            }
            if next.index.contains_key(name) {
                return Err(Error::new(
                    OP,
                    format!("registry {:?}: {name:?} is already registered", self.name),
                )
                .with_code(ErrorCode::CONFLICT));
            }
            if let Some(value) = value.take() {
                next.push(name, value);
            }
            Ok(())
        })
    }

    /// The value under `name`, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 42).unwrap();
    /// assert_eq!(services.get("brain").as_deref(), Some(&42));
    /// assert!(services.get("cache").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<Arc<T>> {
        self.current.read().get(name)
    }

    /// The value under `name` when it is available, or an error saying why not: what a
    /// dispatcher calls before running something by name.
    ///
    /// ```
    /// use corers_primitives::{ErrorCode, Registry};
    /// let actions = Registry::new("actions");
    /// actions.set("git.log", "log").unwrap();
    /// actions.disable("git.log").unwrap();
    /// assert_eq!(actions.lookup("git.log").unwrap_err().code(), Some(&ErrorCode::UNAVAILABLE));
    /// assert_eq!(actions.lookup("git.push").unwrap_err().code(), Some(&ErrorCode::NOT_FOUND));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `name` is not registered; [`ErrorCode::UNAVAILABLE`]
    /// when it is disabled.
    pub fn lookup(&self, name: &str) -> Result<Arc<T>> {
        const OP: &str = "primitives.Registry.lookup";
        let snapshot = self.current.read();
        match snapshot.index.get(name).map(|&i| &snapshot.entries[i]) {
            Some(entry) if entry.enabled => Ok(Arc::clone(&entry.value)),
            Some(_) => Err(Error::new(
                OP,
                format!("registry {:?}: {name:?} is disabled", self.name),
            )
            .with_code(ErrorCode::UNAVAILABLE)),
            None => Err(self.not_found(OP, name)),
        }
    }

    /// Reports whether `name` is registered, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", ()).unwrap();
    /// assert!(services.has("brain"));
    /// ```
    pub fn has(&self, name: &str) -> bool {
        self.current.read().has(name)
    }

    /// Every registered name, in insertion order.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("config", ()).unwrap();
    /// services.set("brain", ()).unwrap();
    /// assert_eq!(services.names(), ["config", "brain"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.current.read().names()
    }

    /// The number of registered names, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", ()).unwrap();
    /// assert_eq!(services.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.current.read().len()
    }

    /// Reports whether nothing is registered.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// assert!(Registry::<()>::new("services").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The enabled names matching `pattern` (see [`glob_match`]), in insertion order.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let actions = Registry::new("actions");
    /// actions.set_many([("process.run", ()), ("git.log", ()), ("process.kill", ())]).unwrap();
    /// assert_eq!(actions.list("process.*"), ["process.run", "process.kill"]);
    /// ```
    pub fn list(&self, pattern: &str) -> Vec<String> {
        self.current.read().list(pattern)
    }

    /// Calls `visit` with each enabled entry, in insertion order, on one snapshot: entries
    /// written meanwhile are not seen, and `visit` may itself read or write the registry.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let ports = Registry::new("ports");
    /// ports.set_many([("http", 80), ("https", 443)]).unwrap();
    /// let mut total = 0;
    /// ports.each(|_, port| total += port);
    /// assert_eq!(total, 523);
    /// ```
    pub fn each(&self, visit: impl FnMut(&str, &T)) {
        self.current.load().each(visit);
    }

    /// Removes `name` and returns its value.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("cache", 7).unwrap();
    /// assert_eq!(*services.delete("cache").unwrap(), 7);
    /// assert!(!services.has("cache"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `name` is not registered; [`ErrorCode::LOCKED`] when
    /// the registry is sealed or locked.
    pub fn delete(&self, name: &str) -> Result<Arc<T>> {
        const OP: &str = "primitives.Registry.delete";
        self.write(|next| {
            let i = *next
                .index
                .get(name)
                .ok_or_else(|| self.not_found(OP, name))?;
            if next.mode != Mode::Open {
                return Err(self.refused(OP, next.mode, "delete", name));
            }
            let removed = next.entries.remove(i);
            next.index.remove(name);
            for slot in next.index.values_mut() {
                if *slot > i {
                    *slot -= 1;
                }
            }
            Ok(removed.value)
        })
    }

    /// Hides `name` from [`lookup`](Registry::lookup), [`list`](Registry::list) and
    /// [`each`](Registry::each) without removing it. Disabling twice is harmless.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let actions = Registry::new("actions");
    /// actions.set("git.push", ()).unwrap();
    /// actions.disable("git.push").unwrap();
    /// assert!(!actions.is_enabled("git.push"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `name` is not registered; [`ErrorCode::LOCKED`] when
    /// the registry is locked.
    pub fn disable(&self, name: &str) -> Result<()> {
        self.toggle("primitives.Registry.disable", name, false)
    }

    /// Makes a disabled `name` available again. Enabling twice is harmless.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let actions = Registry::new("actions");
    /// actions.set("git.push", ()).unwrap();
    /// actions.disable("git.push").unwrap();
    /// actions.enable("git.push").unwrap();
    /// assert!(actions.lookup("git.push").is_ok());
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when `name` is not registered; [`ErrorCode::LOCKED`] when
    /// the registry is locked.
    pub fn enable(&self, name: &str) -> Result<()> {
        self.toggle("primitives.Registry.enable", name, true)
    }

    /// Reports whether `name` is registered and enabled.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let actions = Registry::new("actions");
    /// actions.set("git.log", ()).unwrap();
    /// assert!(actions.is_enabled("git.log"));
    /// assert!(!actions.is_enabled("git.push"));
    /// ```
    pub fn is_enabled(&self, name: &str) -> bool {
        self.current.read().is_enabled(name)
    }

    /// Fixes the set of names: updates, disable and enable still work, new names and
    /// deletes are refused. Sealing a sealed or locked registry changes nothing.
    ///
    /// ```
    /// use corers_primitives::{Mode, Registry};
    /// let actions: Registry<()> = Registry::new("actions");
    /// actions.seal();
    /// assert_eq!(actions.mode(), Mode::Sealed);
    /// ```
    pub fn seal(&self) {
        self.tighten(Mode::Sealed);
    }

    /// Freezes the registry: every later change is refused, for good.
    ///
    /// ```
    /// use corers_primitives::{Mode, Registry};
    /// let services = Registry::new("services");
    /// services.set("brain", ()).unwrap();
    /// services.lock();
    /// assert!(services.set("brain", ()).is_err());
    /// assert_eq!(services.mode(), Mode::Locked);
    /// ```
    pub fn lock(&self) {
        self.tighten(Mode::Locked);
    }

    /// The current mode.
    ///
    /// ```
    /// use corers_primitives::{Mode, Registry};
    /// assert_eq!(Registry::<()>::new("services").mode(), Mode::Open);
    /// ```
    pub fn mode(&self) -> Mode {
        self.current.read().mode
    }

    /// The current contents as one consistent, unchanging view.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 1).unwrap();
    /// let before = services.snapshot();
    /// services.set("cache", 2).unwrap();
    /// assert_eq!(before.names(), ["brain"]);
    /// ```
    pub fn snapshot(&self) -> Arc<Snapshot<T>> {
        self.current.load()
    }

    /// Checks then stores `entries` as one change. The entries are collected before the
    /// writer lock is taken (the iterator is user code), and every check passes before any
    /// value moves, so a refused batch changes nothing and its values are dropped after the
    /// lock is released.
    fn store_many<'a>(
        &self,
        op: &'static str,
        entries: impl IntoIterator<Item = (&'a str, T)>,
    ) -> Result<()> {
        let mut entries: Vec<(&str, T)> = entries.into_iter().collect();
        // A value displaced within the batch (its name given again) may be its only
        // reference: dropped after the lock, like everything else a write releases.
        let mut displaced: Vec<Arc<T>> = Vec::new();
        let stored = self.write(|next| {
            let mut adding: Vec<&str> = Vec::new();
            for &(name, _) in &entries {
                self.check_name(op, name)?;
                let exists = next.index.contains_key(name) || adding.contains(&name);
                match next.mode {
                    Mode::Locked => return Err(self.refused(op, next.mode, "set", name)),
                    Mode::Sealed if !exists => return Err(self.refused(op, next.mode, "add", name)),
                    _ if !exists => adding.push(name),
                    _ => {}
                }
            }
            for (name, value) in entries.drain(..) {
                match next.index.get(name) {
                    Some(&i) => displaced.push(std::mem::replace(
                        &mut next.entries[i].value,
                        Arc::new(value),
                    )),
                    None => next.push(name, value),
                }
            }
            Ok(())
        });
        drop(displaced);
        stored
    }

    /// Runs `change` on a copy of the current snapshot and publishes the copy when it
    /// succeeds. The writer lock makes read-copy-publish one step for writers; readers are
    /// never blocked. `change` is framework code only, never user code, and whatever the
    /// write releases (the replaced snapshot, a refused copy) is dropped after the lock, so
    /// a value's `Drop` may itself use the registry.
    fn write<R>(&self, change: impl FnOnce(&mut Snapshot<T>) -> Result<R>) -> Result<R> {
        let (result, _released) = {
            // A writer that panicked held no half-published state (we publish only on
            // success), so a poisoned lock is safe to keep using.
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let mut next = Snapshot::clone(&self.current.load());
            match change(&mut next) {
                Ok(out) => (Ok(out), Some(self.current.publish(next))),
                Err(err) => (Err(err), Some(Arc::new(next))),
            }
        };
        result
    }

    fn toggle(&self, op: &'static str, name: &str, enabled: bool) -> Result<()> {
        self.write(|next| {
            let i = *next
                .index
                .get(name)
                .ok_or_else(|| self.not_found(op, name))?;
            if next.mode == Mode::Locked {
                let verb = if enabled { "enable" } else { "disable" };
                return Err(self.refused(op, next.mode, verb, name));
            }
            next.entries[i].enabled = enabled;
            Ok(())
        })
    }

    fn tighten(&self, mode: Mode) {
        // `tighten` never fails, so `write` always publishes.
        let _ = self.write(|next| {
            next.mode = next.mode.max(mode);
            Ok(())
        });
    }

    fn check_name(&self, op: &'static str, name: &str) -> Result<()> {
        let reason = if name.is_empty() {
            "empty"
        } else if name.trim() != name {
            "leading or trailing whitespace"
        } else if name.chars().any(char::is_control) {
            "contains a control character"
        } else {
            return Ok(());
        };
        Err(Error::new(
            op,
            format!("registry {:?}: invalid name {name:?}: {reason}", self.name),
        )
        .with_code(ErrorCode::INVALID))
    }

    /// The error for `name`, naming the registered name it is closest to (a caller, a
    /// person or a model, asked for `git.lgo` meaning `git.log`).
    #[cold]
    fn not_found(&self, op: &'static str, name: &str) -> Error {
        // Loaded, not read: called inside `write` too, where refreshing this thread's copy
        // could drop a removed value (whose `Drop` may write to this registry) under the
        // writer lock.
        let snapshot = self.current.load();
        // Only a name the caller can use (a disabled one is refused too).
        let enabled = snapshot.entries.iter().filter(|e| e.enabled);
        let hint = crate::did_you_mean(name, enabled.map(|e| &*e.name));
        Error::new(
            op,
            format!(
                "registry {:?}: {} not found{hint}",
                self.name,
                crate::shown_name(name)
            ),
        )
        .with_code(ErrorCode::NOT_FOUND)
    }

    fn refused(&self, op: &'static str, mode: Mode, verb: &str, name: &str) -> Error {
        let state = if mode == Mode::Locked {
            "locked"
        } else {
            "sealed"
        };
        Error::new(
            op,
            format!(
                "registry {:?} is {state}: cannot {verb} {name:?}",
                self.name
            ),
        )
        .with_code(ErrorCode::LOCKED)
    }
}

impl<T> Snapshot<T> {
    fn push(&mut self, name: &str, value: T) {
        let name: Arc<str> = Arc::from(name);
        self.index.insert(Arc::clone(&name), self.entries.len());
        self.entries.push(Entry {
            name,
            value: Arc::new(value),
            enabled: true,
        });
    }

    /// The value under `name`, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 1).unwrap();
    /// assert_eq!(services.snapshot().get("brain").as_deref(), Some(&1));
    /// ```
    pub fn get(&self, name: &str) -> Option<Arc<T>> {
        let &i = self.index.get(name)?;
        Some(Arc::clone(&self.entries[i].value))
    }

    /// Reports whether `name` is registered, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 1).unwrap();
    /// assert!(services.snapshot().has("brain"));
    /// ```
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Reports whether `name` is registered and enabled.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 1).unwrap();
    /// assert!(services.snapshot().is_enabled("brain"));
    /// ```
    pub fn is_enabled(&self, name: &str) -> bool {
        self.index
            .get(name)
            .is_some_and(|&i| self.entries[i].enabled)
    }

    /// Every registered name, in insertion order.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set_many([("config", 1), ("brain", 2)]).unwrap();
    /// assert_eq!(services.snapshot().names(), ["config", "brain"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.name.to_string()).collect()
    }

    /// The number of registered names, enabled or not.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let services = Registry::new("services");
    /// services.set("brain", 1).unwrap();
    /// assert_eq!(services.snapshot().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Reports whether nothing is registered.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// assert!(Registry::<u8>::new("services").snapshot().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The enabled names matching `pattern`, in insertion order.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let actions = Registry::new("actions");
    /// actions.set_many([("git.log", 1), ("git.push", 2)]).unwrap();
    /// assert_eq!(actions.snapshot().list("git.*"), ["git.log", "git.push"]);
    /// ```
    pub fn list(&self, pattern: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.enabled && glob_match(pattern, &e.name))
            .map(|e| e.name.to_string())
            .collect()
    }

    /// Calls `visit` with each enabled entry, in insertion order.
    ///
    /// ```
    /// use corers_primitives::Registry;
    /// let ports = Registry::new("ports");
    /// ports.set_many([("http", 80), ("https", 443)]).unwrap();
    /// let mut seen = Vec::new();
    /// ports.snapshot().each(|name, port| seen.push(format!("{name}={port}")));
    /// assert_eq!(seen, ["http=80", "https=443"]);
    /// ```
    pub fn each(&self, mut visit: impl FnMut(&str, &T)) {
        for entry in self.entries.iter().filter(|e| e.enabled) {
            visit(&entry.name, &entry.value);
        }
    }

    /// The mode the registry was in.
    ///
    /// ```
    /// use corers_primitives::{Mode, Registry};
    /// assert_eq!(Registry::<u8>::new("services").snapshot().mode(), Mode::Open);
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl<T: Send + Sync> fmt::Debug for Registry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshot = self.current.read();
        f.debug_struct("Registry")
            .field("name", &self.name)
            .field("mode", &snapshot.mode)
            .field("names", &snapshot.names())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Snapshot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("mode", &self.mode)
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

/// A fast hasher for registry names (the multiply-rotate hash rustc uses).
///
/// Registries are filled by the application itself, so there is no untrusted input to
/// flood the table with collisions; a caller can only look names up. That makes the
/// denial-of-service resistance of the default `SipHash` unnecessary here, and its cost is
/// most of a lookup.
#[derive(Default)]
struct NameHasher(u64);

impl NameHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

/// The `len` bytes of `bytes` from `at`, little-endian, as a number (`len` is 4 or 8).
fn word(bytes: &[u8], at: usize, len: usize) -> u64 {
    let mut word = [0u8; 8];
    word[..len].copy_from_slice(&bytes[at..at + len]);
    u64::from_le_bytes(word)
}

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(word(chunk, 0, 8));
        }
        // The last 1 to 7 bytes in one word with their count in the top bits, read in
        // fixed-size pieces (a copy of a variable length would be a `memcpy` call): two
        // 4-byte reads that may overlap, or the first, middle and last byte.
        let rest = chunks.remainder();
        let n = rest.len();
        let tail = match n {
            0 => return,
            1..=3 => {
                u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16
            }
            _ => word(rest, 0, 4) | word(rest, n - 4, 4) << 32,
        };
        self.add(tail ^ (n as u64) << 61);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}
