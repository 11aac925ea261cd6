//! [`ServiceRuntime`]: what a service keeps — a handle on the Core, and its own typed options.

use std::fmt;
use std::sync::Arc;

use corers_primitives::{Error, ErrorCode, Result};

use crate::{Core, WeakCore};

/// A service's handle on the application: the Core, and the service's own options in their
/// own type (CoreGO's `ServiceRuntime[T]`). Cheap to clone.
///
/// The Core is held weakly: a service that keeps its runtime does not keep the Core (which
/// holds the service) alive, so dropping the last [`Core`] drops every service.
///
/// ```
/// use corers::prelude::*;
/// use corers::ServiceRuntime;
///
/// struct CacheOptions { capacity: usize }
///
/// let core = Core::builder().name("workbench").build().unwrap();
/// let runtime = ServiceRuntime::new(&core, CacheOptions { capacity: 1024 });
/// assert_eq!(runtime.options().capacity, 1024);
/// assert_eq!(runtime.core().unwrap().app().name, "workbench");
/// ```
pub struct ServiceRuntime<T> {
    core: WeakCore,
    options: Arc<T>,
}

impl<T> ServiceRuntime<T> {
    /// A handle on `core` and `options`, together.
    pub fn new(core: &Core, options: T) -> ServiceRuntime<T> {
        ServiceRuntime {
            core: core.downgrade(),
            options: Arc::new(options),
        }
    }

    /// The Core.
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] once every [`Core`] handle has been dropped.
    pub fn core(&self) -> Result<Core> {
        self.core.upgrade().ok_or_else(|| {
            Error::new("corers.ServiceRuntime.core", "the Core has been dropped")
                .with_code(ErrorCode::UNAVAILABLE)
        })
    }

    /// The application's config (a cheap handle sharing the Core's).
    ///
    /// ```
    /// use corers::prelude::*;
    /// use corers::ServiceRuntime;
    ///
    /// let core = Core::builder().build().unwrap();
    /// core.config().set("cache.capacity", 1024).unwrap();
    /// let runtime = ServiceRuntime::new(&core, ());
    /// assert_eq!(runtime.config().unwrap().int("cache.capacity").unwrap(), 1024);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::UNAVAILABLE`] once every [`Core`] handle has been dropped.
    #[cfg(feature = "config")]
    pub fn config(&self) -> Result<corers_config::Config> {
        self.core().map(|core| core.config().clone())
    }

    /// The service's options.
    pub fn options(&self) -> &T {
        &self.options
    }
}

impl<T> Clone for ServiceRuntime<T> {
    fn clone(&self) -> Self {
        ServiceRuntime {
            core: self.core.clone(),
            options: Arc::clone(&self.options),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for ServiceRuntime<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceRuntime")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
