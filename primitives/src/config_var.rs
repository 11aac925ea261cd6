//! [`ConfigVar`]: a value that remembers whether it was set explicitly.

use std::sync::Arc;

use arc_swap::ArcSwap;

/// A value plus an "explicitly set" flag, safe to share between threads.
///
/// Reads never block and never see a value without its matching flag: value and flag are
/// published together as one snapshot.
///
/// ```
/// use corers_primitives::ConfigVar;
///
/// let port: ConfigVar<u16> = ConfigVar::default();
/// assert!(!port.is_set());
/// port.set(8080);
/// assert_eq!((port.get(), port.is_set()), (8080, true));
/// ```
pub struct ConfigVar<T> {
    state: ArcSwap<(T, bool)>,
}

impl<T> ConfigVar<T> {
    /// Makes a variable holding `value`, marked as set.
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// let workers = ConfigVar::new(4);
    /// assert!(workers.is_set());
    /// ```
    pub fn new(value: T) -> ConfigVar<T> {
        ConfigVar {
            state: ArcSwap::from_pointee((value, true)),
        }
    }

    /// Stores `value` and marks the variable as set.
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// let host = ConfigVar::<String>::default();
    /// host.set("homelab".to_owned());
    /// assert_eq!(host.get(), "homelab");
    /// ```
    pub fn set(&self, value: T) {
        self.state.store(Arc::new((value, true)));
    }

    /// Reports whether the value was set explicitly (by [`new`](ConfigVar::new) or
    /// [`set`](ConfigVar::set)) and not since [`unset`](ConfigVar::unset).
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// assert!(!ConfigVar::<bool>::default().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.state.load().1
    }
}

impl<T: Clone> ConfigVar<T> {
    /// The current value, set or not.
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// assert_eq!(ConfigVar::new(30).get(), 30);
    /// ```
    pub fn get(&self) -> T {
        self.state.load().0.clone()
    }
}

impl<T: Clone> ConfigVar<T> {
    /// The value and its "explicitly set" flag, read together as one snapshot: a concurrent
    /// [`set`](ConfigVar::set) or [`unset`](ConfigVar::unset) is seen whole or not at all.
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// let port = ConfigVar::new(8080);
    /// assert_eq!(port.state(), (8080, true));
    /// ```
    pub fn state(&self) -> (T, bool) {
        let state = self.state.load();
        (state.0.clone(), state.1)
    }
}

impl<T: Default> ConfigVar<T> {
    /// Resets the value to `T::default()` and marks it as not set.
    ///
    /// ```
    /// use corers_primitives::ConfigVar;
    /// let retries = ConfigVar::new(5);
    /// retries.unset();
    /// assert_eq!((retries.get(), retries.is_set()), (0, false));
    /// ```
    pub fn unset(&self) {
        self.state.store(Arc::new((T::default(), false)));
    }
}

impl<T: Default> Default for ConfigVar<T> {
    /// `T::default()`, not set.
    fn default() -> Self {
        ConfigVar {
            state: ArcSwap::from_pointee((T::default(), false)),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ConfigVar<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.load();
        f.debug_struct("ConfigVar")
            .field("value", &state.0)
            .field("set", &state.1)
            .finish()
    }
}
