//! Services and their lifecycle: a registry of named services, started in dependency order
//! with rollback on failure, stopped in exact reverse with a timeout per hook, reloaded, and
//! asked for their health.
//!
//! ```
//! use std::time::Duration;
//! use corers_lifecycle::{Hooks, Registration, Services};
//! use corers_messaging::Bus;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let services: Services<()> = Services::new(Bus::new());
//! services.register(Registration::new("config", Hooks::new())).unwrap();
//! services.register(Registration::new("brain", Hooks::new()
//!     .on_start(|ctx| async move { println!("{} up", ctx.name()); Ok(()) }))
//!     .after(["config"])).unwrap();
//!
//! let report = services.start_all(&()).await.unwrap();
//! assert_eq!(report.started.len(), 2);
//! assert!(services.health(&()).await.ready);
//! services.stop_all(&(), Duration::from_secs(30)).await.unwrap();
//! # }
//! ```
//!
//! [`Services`], [`Registration`], [`Hooks`] and [`ServiceCtx`] take the application
//! context as their type parameter `C`, handed to every hook: the `Core` in a CoreRS
//! application, `()` in these examples. Applications normally reach this crate through the
//! `corers` facade: `CoreBuilder::service` registers a factory that returns a
//! [`Registration`], the Core's run starts and stops the services, `core.services()` reads
//! them, and the common names are in `corers::prelude` (the rest in `corers::lifecycle`).
//! Depend on `corers-lifecycle` directly to run a [`Services`] registry in a program of
//! your own, without a Core.
//!
//! # Modules
//! - [`Service`], [`Hooks`], [`ServiceCtx`], [`Health`]: what a service is.
//! - [`Services`], [`Registration`]: the registry and the lifecycle.
//! - [`ServiceStarted`], [`ServiceStopped`], [`ServiceStartup`], [`ServiceShutdown`]: events.
#![forbid(unsafe_code)]

mod force;
mod service;
mod services;
mod work;

pub use service::{BoxFuture, Health, Hooks, Service, ServiceCtx};
pub use services::{
    DEFAULT_HEALTH_TIMEOUT, DEFAULT_HOOK_TIMEOUT, HealthReport, Registration, ServiceShutdown,
    ServiceStarted, ServiceStartup, ServiceStopped, Services, StartReport, in_reload_hook,
};
