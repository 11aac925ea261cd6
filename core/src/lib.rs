//! CoreRS: build an application from named services in one container ([`Core`]), talking
//! over one message bus, exposing one path-based command tree, with logging, errors, named
//! Actions and Tasks wired in.
//!
//! ```no_run
//! use std::process::ExitCode;
//! use corers::prelude::*;
//!
//! fn main() -> ExitCode {
//!     Core::builder()
//!         .name("workbench")
//!         .service(|_core| Ok(Registration::new("cache", Hooks::new())))
//!         .command("cache/flush", Command::new()
//!             .description("flush every cache")
//!             .action(|_core, _options| async { Ok(Value::from("flushed")) }))
//!         .run_blocking()
//! }
//! ```
//!
//! The facade re-exports each subsystem crate as a module: [`primitives`], [`log`],
//! [`messaging`], [`lifecycle`] and, with their features (on by default), [`cli`],
//! [`fs`] and [`config`].
//!
//! # Modules
//! - [`Core`], [`CoreBuilder`], [`App`]: the container and how it is built and run.
//! - [`ServiceRuntime`], [`WeakCore`]: a service's view of the Core with its own typed
//!   options, held without keeping the Core alive.
//! - [`ServicesView`]: the services as the rest of the application sees them (names, typed
//!   access, order, health); starting and stopping them is the Core's.
//! - Embedding in a host that owns the event loop (a GUI): [`CoreBuilder::host`],
//!   [`Core::startup`], [`Core::shutdown`], [`Core::host`].
//! - [`prelude`]: the common names in one import.
//! - `testing` (feature `testing`): a test Core, fake services, a bus recorder, a CLI runner.
//!
//! # Feature flags
//! - `cli` (default): the command tree; `run()` dispatches the process arguments through it.
//! - `fs` (default): the sandboxed, crash-safe filesystem, `core.fs()`.
//! - `config` (default): layered configuration with provenance, `core.config()`, and the
//!   built-in `config` command.
//! - `testing`: the test kit, `corers::testing` — for `[dev-dependencies]`.
//!
//! With `default-features = false` a Core still has its services, bus, Actions, Tasks and
//! logger, and `run()` serves until a shutdown signal: a daemon or an embedded host that
//! takes no command line needs nothing more.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
#[cfg(feature = "cli")]
mod commands;
mod core;
mod embed;
mod env;
mod notify;
pub mod prelude;
mod run;
mod runtime;
mod services;
#[cfg(feature = "testing")]
pub mod testing;

pub use crate::core::{App, Core, WeakCore};
pub use builder::CoreBuilder;
pub use corers_primitives::{Error, ErrorCode, Options, Result, Value};
pub use env::COMPUTED_KEYS;
pub use runtime::ServiceRuntime;
pub use services::ServicesView;

#[cfg(feature = "cli")]
pub use corers_cli as cli;
#[cfg(feature = "config")]
pub use corers_config as config;
#[cfg(feature = "fs")]
pub use corers_fs as fs;
pub use corers_lifecycle as lifecycle;
pub use corers_log as log;
pub use corers_messaging as messaging;
pub use corers_primitives as primitives;
