//! [`ConfigView`]: the config held still, for reads that must agree with each other.

use std::fmt;
use std::sync::Arc;

use corers_primitives::{Result, Value};
use serde::de::DeserializeOwned;

use crate::Source;
use crate::read::Reader;
use crate::secret::Secrets;
use crate::snapshot::Snapshot;

/// Every value of a [`Config`](crate::Config) at one moment, from
/// [`Config::view`](crate::Config::view): reads through it all see the same snapshot,
/// whatever is written meanwhile. The getters are the config's, with the same rules and
/// errors. Cheap to clone; holding one keeps that snapshot (and nothing else of the
/// config) alive.
///
/// ```
/// use corers_config::Config;
/// let config = Config::builder().default_value("database.port", 5432).build().unwrap();
/// let before = config.view();
/// config.set("database.port", 6543).unwrap();
/// assert_eq!(before.int("database.port").unwrap(), 5432);
/// assert_eq!(config.view().int("database.port").unwrap(), 6543);
/// ```
#[derive(Clone)]
pub struct ConfigView {
    secrets: Arc<Secrets>,
    snapshot: Arc<Snapshot>,
}

impl ConfigView {
    pub(crate) fn new(secrets: Arc<Secrets>, snapshot: Arc<Snapshot>) -> Self {
        ConfigView { secrets, snapshot }
    }

    fn reader(&self) -> Reader<'_> {
        Reader::new(&self.snapshot, &self.secrets, true)
    }

    /// The value at `key` (see [`Config::get`](crate::Config::get)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("cache.ttl", 60).unwrap();
    /// assert_eq!(config.view().get("cache").unwrap().kind(), "map");
    /// ```
    pub fn get(&self, key: &str) -> Option<Value> {
        self.reader().get(key)
    }

    /// The text at `key` (see [`Config::string`](crate::Config::string)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("log.level", "debug").unwrap();
    /// assert_eq!(config.view().string("log.level").unwrap(), "debug");
    /// ```
    ///
    /// # Errors
    /// As [`Config::string`](crate::Config::string).
    pub fn string(&self, key: &str) -> Result<String> {
        self.reader().string(key)
    }

    /// The path at `key`, relative to the file that set it (see
    /// [`Config::path`](crate::Config::path)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("tls.cert", "/etc/workbench/server.pem").unwrap();
    /// assert_eq!(config.view().path("tls.cert").unwrap(), std::path::Path::new("/etc/workbench/server.pem"));
    /// ```
    ///
    /// # Errors
    /// As [`Config::path`](crate::Config::path).
    pub fn path(&self, key: &str) -> Result<std::path::PathBuf> {
        self.reader().path(key)
    }

    /// The integer at `key` (see [`Config::int`](crate::Config::int)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("workers", 8).unwrap();
    /// assert_eq!(config.view().int("workers").unwrap(), 8);
    /// ```
    ///
    /// # Errors
    /// As [`Config::int`](crate::Config::int).
    pub fn int(&self, key: &str) -> Result<i64> {
        self.reader().int(key)
    }

    /// The float at `key` (see [`Config::float`](crate::Config::float)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("cache.ratio", 0.5).unwrap();
    /// assert_eq!(config.view().float("cache.ratio").unwrap(), 0.5);
    /// ```
    ///
    /// # Errors
    /// As [`Config::float`](crate::Config::float).
    pub fn float(&self, key: &str) -> Result<f64> {
        self.reader().float(key)
    }

    /// The bool at `key` (see [`Config::bool`](crate::Config::bool)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("cache.enabled", true).unwrap();
    /// assert!(config.view().bool("cache.enabled").unwrap());
    /// ```
    ///
    /// # Errors
    /// As [`Config::bool`](crate::Config::bool).
    pub fn bool(&self, key: &str) -> Result<bool> {
        self.reader().bool(key)
    }

    /// The value at `key` converted with serde (see [`Config::get_as`](crate::Config::get_as)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// let port: u16 = config.view().get_as("database.port").unwrap();
    /// assert_eq!(port, 5432);
    /// ```
    ///
    /// # Errors
    /// As [`Config::get_as`](crate::Config::get_as).
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        self.reader().get_as(key)
    }

    /// The section under `prefix` as a struct (see [`Config::extract`](crate::Config::extract)).
    ///
    /// ```
    /// use corers_config::Config;
    /// #[derive(serde::Deserialize)]
    /// struct Cache { ttl: u32 }
    /// let config = Config::new();
    /// config.set("cache.ttl", 60).unwrap();
    /// assert_eq!(config.view().extract::<Cache>("cache").unwrap().ttl, 60);
    /// ```
    ///
    /// # Errors
    /// As [`Config::extract`](crate::Config::extract).
    pub fn extract<T: DeserializeOwned>(&self, prefix: &str) -> Result<T> {
        self.reader().extract(prefix)
    }

    /// Where the value of `key` came from (see [`Config::provenance`](crate::Config::provenance)).
    ///
    /// ```
    /// use corers_config::{Config, Source};
    /// let config = Config::builder().default_value("workers", 4).build().unwrap();
    /// assert_eq!(config.view().provenance("workers"), Some(Source::Default));
    /// ```
    pub fn provenance(&self, key: &str) -> Option<Source> {
        self.reader().provenance(key)
    }

    /// Every key, sorted (see [`Config::keys`](crate::Config::keys)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("workers", 4).unwrap();
    /// assert_eq!(config.view().keys(), ["workers"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.reader().keys()
    }

    /// Whether the feature flag `name` is on (see [`Config::enabled`](crate::Config::enabled)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.enable("metrics").unwrap();
    /// assert!(config.view().enabled("metrics"));
    /// ```
    pub fn enabled(&self, name: &str) -> bool {
        self.reader().enabled(name)
    }

    /// The feature flags that are on, sorted (see
    /// [`Config::enabled_features`](crate::Config::enabled_features)).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.enable("metrics").unwrap();
    /// assert_eq!(config.view().enabled_features(), ["metrics"]);
    /// ```
    pub fn enabled_features(&self) -> Vec<String> {
        self.reader().enabled_features()
    }
}

impl fmt::Debug for ConfigView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigView")
            .field("keys", &self.snapshot.entries().len())
            .finish_non_exhaustive()
    }
}
