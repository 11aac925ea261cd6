//! [`ServicesView`]: what the rest of an application may see of a Core's services.

use std::fmt;
use std::sync::Arc;

use corers_lifecycle::HealthReport;
use corers_primitives::Result;

use crate::Core;

/// Read access to a Core's services, from [`Core::services`]: their names, each one as its
/// concrete type, the start order, and their health. Starting and stopping belong to the
/// Core ([`Core::startup`], [`Core::shutdown`], [`Core::run`]) and locking the registry to
/// its builder, so no service can lock, start or stop the others.
///
/// ```
/// use corers::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let core = Core::builder()
///     .service(|_| Ok(Registration::new("store", Hooks::new())))
///     .service(|_| Ok(Registration::new("brain", Hooks::new()).after(["store"])))
///     .build()
///     .unwrap();
/// assert_eq!(core.services().order().unwrap(), ["store", "brain"]);
/// core.startup().await.unwrap();
/// assert!(core.services().health().await.ready);
/// core.shutdown().await.unwrap();
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct ServicesView<'a> {
    pub(crate) core: &'a Core,
}

impl ServicesView<'_> {
    /// Every service's name, in registration order.
    ///
    /// ```
    /// use corers::prelude::*;
    /// let core = Core::builder()
    ///     .service(|_| Ok(Registration::new("cache", Hooks::new())))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(core.services().names(), ["cache"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.core.inner.services.names()
    }

    /// The service `name` as its concrete type, when it is one.
    ///
    /// ```
    /// use corers::prelude::*;
    /// struct Cache;
    /// impl Service<Core> for Cache {}
    /// let core = Core::builder()
    ///     .service(|_| Ok(Registration::new("cache", Cache)))
    ///     .build()
    ///     .unwrap();
    /// assert!(core.services().get::<Cache>("cache").is_some());
    /// assert!(core.services().get::<String>("cache").is_none());
    /// ```
    pub fn get<T: Send + Sync + 'static>(&self, name: &str) -> Option<Arc<T>> {
        self.core.inner.services.get(name)
    }

    /// The service `name` as its concrete type, or an error saying why not (no such
    /// service, with the closest name; another type): for a command or an Action that
    /// cannot go on without it.
    ///
    /// ```
    /// use corers::prelude::*;
    /// struct Store;
    /// impl Service<Core> for Store {}
    /// let core = Core::builder()
    ///     .service(|_| Ok(Registration::new("store", Store)))
    ///     .build()
    ///     .unwrap();
    /// assert!(core.services().require::<Store>("store").is_ok());
    /// let err = core.services().require::<Store>("stor").err().unwrap();
    /// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    /// assert!(err.message().ends_with(r#"(did you mean "store"?)"#), "{err}");
    /// ```
    ///
    /// # Errors
    /// [`NOT_FOUND`](corers_primitives::ErrorCode::NOT_FOUND) when no service is
    /// registered as `name`; [`INVALID`](corers_primitives::ErrorCode::INVALID) when it is
    /// of another type.
    pub fn require<T: Send + Sync + 'static>(&self, name: &str) -> Result<Arc<T>> {
        self.core.inner.services.require(name)
    }

    /// The order the services start in (they stop in reverse): dependencies first,
    /// otherwise registration order.
    ///
    /// # Errors
    /// Never for a built Core: [`CoreBuilder::build`](crate::CoreBuilder::build) refuses a
    /// missing dependency or a cycle.
    pub fn order(&self) -> Result<Vec<String>> {
        self.core.inner.services.order()
    }

    /// Asks every service how it is (each check under its service's timeout, all at once),
    /// and whether the whole can serve: what the `health` command prints.
    pub async fn health(&self) -> HealthReport {
        self.core.inner.services.health(self.core).await
    }
}

impl fmt::Debug for ServicesView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicesView")
            .field("names", &self.names())
            .finish()
    }
}
