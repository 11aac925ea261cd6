//! [`ServiceRuntime`]: what a service keeps — the Core, and its own typed options.

use std::fmt;
use std::sync::Arc;

use crate::Core;

/// A service's handle on the application: the Core, and the service's own options in their
/// own type (CoreGO's `ServiceRuntime[T]`). Cheap to clone.
///
/// ```
/// use corers::prelude::*;
/// use corers::ServiceRuntime;
///
/// struct CacheOptions { capacity: usize }
///
/// let core = Core::builder().build().unwrap();
/// let runtime = ServiceRuntime::new(core, CacheOptions { capacity: 1024 });
/// assert_eq!(runtime.options().capacity, 1024);
/// ```
pub struct ServiceRuntime<T> {
    core: Core,
    options: Arc<T>,
}

impl<T> ServiceRuntime<T> {
    /// The Core and `options`, together.
    pub fn new(core: Core, options: T) -> ServiceRuntime<T> {
        ServiceRuntime {
            core,
            options: Arc::new(options),
        }
    }

    /// The Core.
    pub fn core(&self) -> &Core {
        &self.core
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
