//! Layered configuration for CoreRS applications: defaults, files, environment, flags and
//! runtime changes merged into one snapshot, with the source of every value on record.
//!
//! ```
//! use corers_config::{Config, Source};
//!
//! let dir = std::env::temp_dir().join(format!("corers-config-crate-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("workbench.toml");
//! std::fs::write(&path, "[database]\nhost = \"db.homelab\"\nport = 5432\n").unwrap();
//!
//! let config = Config::builder()
//!     .default_value("database.pool", 4)
//!     .file(&path)
//!     .env_prefix("WORKBENCH")
//!     .env_vars([("WORKBENCH_DATABASE__PORT", "6543")]) // the process env, in an app
//!     .build()
//!     .unwrap();
//!
//! // Environment beats the file; the file beats the defaults.
//! assert_eq!(config.int("database.port").unwrap(), 6543);
//! assert_eq!(config.provenance("database.host").unwrap().to_string(),
//!            format!("file {}:2", path.display()));
//!
//! // Sections come out as structs; errors name the key, the type and the source.
//! #[derive(serde::Deserialize)]
//! struct Database { host: String, port: u16, pool: u8 }
//! let db: Database = config.extract("database").unwrap();
//! assert_eq!((db.host.as_str(), db.port, db.pool), ("db.homelab", 6543, 4));
//!
//! // Feature flags and live changes.
//! let mut features = config.subscribe("features");
//! config.enable("beta-ui").unwrap();
//! assert_eq!(features.try_changed().unwrap()[0].key, "features.beta-ui");
//! assert_eq!(config.enabled_features(), ["beta-ui"]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Keys
//! A key is a dotted path of names made of ASCII letters, digits, `_` and `-`
//! (`database.max-connections`). A file's table whose names are data instead — hosts,
//! routes, addresses: `[upstreams."db.lan"]`, `"/api" = "backend"` — is one value under
//! its key, read whole (`extract::<HashMap<String, Upstream>>("upstreams")`) and replaced
//! whole by a stronger layer that sets that key or one under it. A table that also sets a
//! key the defaults declare is no table of data: a name in it that is no key (a
//! mistyped `"pool.size"` beside `port`) is an error at its line.
//!
//! # With the facade
//! Applications normally reach this crate through the `corers` facade (feature `config`,
//! on by default): `core.config()` is the application's [`Config`], its sources given to
//! `CoreBuilder::config` as a [`ConfigBuilder`], and the crate is `corers::config`.
//! Depend on `corers-config` directly for a [`Config`] without a Core, or for YAML files:
//! the facade does not forward the `yaml` feature, so add
//! `corers-config = { …, features = ["yaml"] }` beside `corers`, from the same source
//! (Cargo turns the feature on for the facade's copy too).
//!
//! # Modules
//! - [`Config`], [`ConfigBuilder`]: the store, its sources, reads, writes and reloads.
//! - [`ConfigView`]: the config held still, for reads that must agree.
//! - [`Source`], [`Layer`]: provenance.
//! - [`Subscription`], [`Change`]: change notifications.
//! - [`Dump`]: the effective config for people and tools, secrets redacted.
#![forbid(unsafe_code)]

mod config;
mod dump;
mod env;
mod file;
mod key;
mod lenient;
mod read;
mod secret;
mod shape;
mod snapshot;
mod source;
mod view;
mod watch;

pub use config::{Config, ConfigBuilder};
pub use dump::Dump;
pub use source::{Layer, Source};
pub use view::ConfigView;
pub use watch::{Change, Subscription};
