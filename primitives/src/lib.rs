//! The bricks every CoreRS crate is built from: the dynamic [`Value`], the [`Options`] input
//! shape, the structured [`Error`], the named-collection [`Registry`], and small helpers for
//! ids and validation.
//!
//! ```
//! use corers_primitives::{options, Error, ErrorCode, Registry};
//!
//! // One input shape: ordered key → value pairs with typed, non-coercing getters.
//! let opts = options! { "name" => "brain", "port" => 8080 };
//! assert_eq!(opts.int("port"), Some(8080));
//!
//! // One named-collection brick, read lock-free, with errors that name registry and key.
//! let services = Registry::new("services");
//! services.register("brain", opts).unwrap();
//! let err = services.lookup("cache").unwrap_err();
//! assert_eq!(err.to_string(), r#"primitives.Registry.lookup: registry "services": "cache" not found [NOT_FOUND]"#);
//! assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
//!
//! // One error type: operation, message, code, cause.
//! let wrapped = Error::wrap(err, "lifecycle.Services.start", "start cache");
//! assert_eq!(wrapped.stack(), "lifecycle.Services.start -> primitives.Registry.lookup");
//! ```
//!
//! Applications normally reach these through the `corers` facade: its prelude
//! (`use corers::prelude::*;`) holds [`Error`], [`ErrorCode`], [`Options`], [`Result`],
//! [`Value`], [`WrapErr`] and [`options!`], and `corers::primitives` holds the rest. Depend
//! on `corers-primitives` directly in a library that only needs the shapes — it takes
//! [`Options`] and returns this [`Error`] — without pulling in the whole framework.
//!
//! # Modules
//! - [`Value`], [`to_value`], [`from_value`]: the dynamic value and serde conversions.
//! - [`Options`] and [`options!`]: ordered key → value input.
//! - [`Error`], [`ErrorCode`], [`Result`]: structured errors and their taxonomy.
//! - [`Registry`], [`Snapshot`], [`Mode`]: insertion-ordered named collections.
//! - [`Published`]: a value replaced whole by writers, read without shared counters.
//! - [`Array`], [`ConfigVar`]: a set-like list and a thread-safe "explicitly set" value.
//! - [`id`], [`validate_name`], [`validate_path`], [`glob_match`], [`catch_panic`]: helpers.
//! - [`closest`], [`did_you_mean`], [`shown_name`]: the "did you mean" of a mistyped name
//!   (and the hint that says it), and a name as an error message quotes it.
//! - [`sync_all`]: a file on disk, with the fallback Apple volumes need.
#![forbid(unsafe_code)]

mod array;
mod closest;
mod config_var;
mod error;
mod error_code;
mod future;
mod glob;
mod id;
mod json_string;
mod options;
mod panic;
mod published;
mod registry;
mod secret;
mod shown_name;
mod sync_all;
mod validate;
mod value;
mod wrap_err;

pub use array::Array;
pub use closest::{closest, did_you_mean};
pub use config_var::ConfigVar;
pub use error::{Error, Result};
pub use error_code::ErrorCode;
pub use future::BoxFuture;
pub use glob::glob_match;
pub use id::id;
pub use json_string::write_json_string;
pub use options::Options;
pub use panic::{CatchPanic, catch_panic};
pub use published::{Published, ReadGuard};
pub use registry::{Mode, Registry, Snapshot};
pub use secret::{REDACTED, SECRET_NAME_PATTERNS, camel_words, is_secret_name};
pub use shown_name::shown_name;
pub use sync_all::sync_all;
pub use validate::{escape_controls, is_invisible, validate_name, validate_path};
pub use value::{Revealed, Value, from_value, to_value};
pub use wrap_err::WrapErr;
