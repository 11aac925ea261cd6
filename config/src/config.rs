//! [`Config`] and [`ConfigBuilder`]: the layered store, its reads, writes and reloads.

use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use corers_log::{AuditEvent, Logger};
use corers_primitives::{
    ConfigVar, Error, ErrorCode, Options, Published, Result, Value, shown_name, to_value,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dump::{Dump, DumpEntry};
use crate::env::{self, EnvSource, EnvVars, Spellings};
use crate::file::{self, FileSpec};
use crate::key::{EmptyTables, check_key, flatten, is_under, place, remove_tree};
use crate::read::{Reader, with_article};
use crate::secret::Secrets;
use crate::snapshot::{Entry, Flat, Snapshot};
use crate::view::ConfigView;
use crate::watch::{Subscriber, Subscription};
use crate::{Change, Source};

/// A [`ConfigVar`] kept in step with its key (see [`Config::bind`]).
trait Binding: Send + Sync {
    /// `false` once the variable is gone: the binding is then forgotten.
    fn alive(&self) -> bool;
    /// Brings the variable up to date when `changes` touch its key.
    fn update(&self, config: &Config, changes: &[Change]);
}

/// The bound variables a write has to bring up to date.
type Bindings = Vec<Arc<dyn Binding>>;

struct BoundVar<T> {
    var: Weak<ConfigVar<T>>,
    key: String,
    /// Serialises read-then-set, so that a slower writer's update can never leave an older
    /// value behind a newer one: each update reads the config as it is now.
    serial: Mutex<()>,
}

impl<T> Binding for BoundVar<T>
where
    T: DeserializeOwned + Default + Clone + Send + Sync + 'static,
{
    fn alive(&self) -> bool {
        self.var.strong_count() > 0
    }

    fn update(&self, config: &Config, changes: &[Change]) {
        let touched = changes
            .iter()
            .any(|c| is_under(&c.key, &self.key) || is_under(&self.key, &c.key));
        let Some(var) = self.var.upgrade().filter(|_| touched) else {
            return;
        };
        let _serial = self.serial.lock().unwrap_or_else(PoisonError::into_inner);
        match config.get_as::<T>(&self.key) {
            Ok(value) => var.set(value),
            Err(err) if err.code() == Some(&ErrorCode::NOT_FOUND) => var.unset(),
            Err(err) => in_scope(config.inner.log.as_ref(), || {
                tracing::warn!(
                    key = %self.key,
                    error = %err,
                    "bound config value kept: the new value does not fit"
                );
            }),
        }
    }
}

/// The application's settings: layered sources merged into one immutable snapshot, read
/// without locks, with the source of every value on record. Cheap to clone; clones share
/// everything.
///
/// Layers, weakest first: defaults < files < environment < command-line flags < runtime
/// `set`. Reads see a whole snapshot: a `set_many` or a `reload` is seen entirely or not
/// at all, and a value handed out is a copy the store never touches again.
///
/// ```
/// use corers_config::{Config, Source};
///
/// let config = Config::builder()
///     .default_value("database.port", 5432)
///     .default_value("database.host", "localhost")
///     .env_prefix("APP")
///     .env_vars([("APP_DATABASE__HOST", "db.homelab")])
///     .build()
///     .unwrap();
/// config.set("database.pool", 8).unwrap();
///
/// assert_eq!(config.int("database.port").unwrap(), 5432);
/// assert_eq!(config.string("database.host").unwrap(), "db.homelab");
/// assert_eq!(config.provenance("database.pool"), Some(Source::Runtime));
///
/// #[derive(serde::Deserialize)]
/// struct Database { host: String, port: u16, pool: u8 }
/// let db: Database = config.extract("database").unwrap();
/// assert_eq!((db.host.as_str(), db.port, db.pool), ("db.homelab", 5432, 8));
/// ```
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

/// An application's check of the config as a whole (see [`ConfigBuilder::validate`]).
type Check = Arc<dyn Fn(&ConfigView) -> Result<()> + Send + Sync>;

thread_local! {
    /// Set while this thread runs a config's checks: a check that writes a config would
    /// wait on the write it is checking.
    static CHECKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct Inner {
    current: Published<Snapshot>,
    /// The layers and listeners; held by writers, never by readers.
    state: Mutex<State>,
    /// The application's checks, run on every config before it is published.
    checks: Vec<Check>,
    /// Held by a write from the layers it starts from to what it publishes (the checks
    /// look at it in between, outside `state`), so that no other write comes between;
    /// never by readers.
    writing: Mutex<()>,
    /// Serialises reloads, which read their files without holding `state`: a slower
    /// reload can never apply older contents after a newer one.
    reloading: Mutex<()>,
    secrets: Arc<Secrets>,
    /// Where the config's own warnings go (see [`ConfigBuilder::logger`]).
    log: Option<Logger>,
}

struct State {
    layers: Layers,
    subscribers: Vec<Subscriber>,
    bindings: Bindings,
}

/// The sources and the values each layer holds; a write changes a copy and publishes it.
#[derive(Clone, Default)]
struct Layers {
    defaults: Flat,
    files: Vec<(FileSpec, Flat)>,
    env_prefix: Option<String>,
    env_vars: EnvVars,
    env: Flat,
    flags: Flat,
    runtime: Flat,
}

impl Layers {
    fn merge(&self) -> Snapshot {
        Snapshot::merge(
            std::iter::once(&self.defaults)
                .chain(self.files.iter().map(|(_, flat)| flat))
                .chain([&self.env, &self.flags, &self.runtime]),
        )
    }
}

/// Builds a [`Config`]: defaults, files, the environment prefix. From [`Config::builder`].
#[derive(Default)]
#[must_use]
pub struct ConfigBuilder {
    defaults: Vec<(String, Value)>,
    /// The first bad default, reported by `build`.
    error: Option<Error>,
    files: Vec<FileSpec>,
    env_prefix: Option<String>,
    env_vars: Option<Vec<(String, String)>>,
    env_overlay: Vec<(String, Option<String>)>,
    logger: Option<Logger>,
    checks: Vec<Check>,
}

impl ConfigBuilder {
    /// Adds a check of the config as a whole, run on the config built (a failure fails
    /// [`build`](ConfigBuilder::build); [`build_lenient`](ConfigBuilder::build_lenient)
    /// leaves it out) and, before it is published, on every config a reload or a write
    /// would make: one that does not pass is not published (the reload or write fails with
    /// its error, and what was there stays) — a reload after a file's
    /// `files_per_char = "seven"` keeps the old config and says why. The check runs outside
    /// the config's locks but holds off other writes until it returns; it reads the view it
    /// is given: a write or a reload of a config that has checks, from inside a check, is
    /// refused ([`ErrorCode::CONFLICT`]) rather than waiting on itself.
    ///
    /// ```
    /// use corers_config::Config;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Index { files_per_char: u32 }
    ///
    /// let config = Config::builder()
    ///     .default_value("index.files_per_char", 7)
    ///     .validate(|view| view.extract::<Index>("index").map(drop))
    ///     .build()
    ///     .unwrap();
    /// let err = config.set("index.files_per_char", "seven").unwrap_err();
    /// assert!(err.to_string().contains("index.files_per_char"));
    /// assert_eq!(config.int("index.files_per_char").unwrap(), 7);
    /// ```
    pub fn validate(
        mut self,
        check: impl Fn(&ConfigView) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Arc::new(check));
        self
    }

    /// Logs what the config has to say (an environment variable ignored, a bound value
    /// kept because the new one does not fit) through `logger`, as a Core does with its
    /// own; without one, through whatever `tracing` subscriber is current. Run-time writes,
    /// and the environment variables with secret-looking names it reads, go to `logger`'s
    /// audit trail. Keys `logger` redacts ([`Logger::redactor`]) are hidden in dumps and
    /// error messages too, as well as those the default patterns match.
    ///
    /// ```
    /// use corers_config::Config;
    /// use corers_log::{Logger, MemorySink, Output};
    ///
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// let config = Config::builder()
    ///     .env_prefix("APP")
    ///     .env_vars([("APP___PORT", "6543")])
    ///     .logger(log)
    ///     .build()
    ///     .unwrap();
    /// assert!(config.keys().is_empty());
    /// assert!(sink.contents().contains("environment variable ignored"));
    /// ```
    pub fn logger(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self
    }

    /// Takes defaults from a serializable struct (or map): its fields become keys, nested
    /// structs nested keys.
    ///
    /// ```
    /// use corers_config::Config;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Defaults { workers: u8, database: Database }
    /// #[derive(serde::Serialize)]
    /// struct Database { port: u16 }
    ///
    /// let config = Config::builder()
    ///     .defaults(&Defaults { workers: 4, database: Database { port: 5432 } })
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 5432);
    /// ```
    ///
    /// A default config file built into the binary (figment's
    /// `Toml::string(include_str!(..))`) is defaults like any other:
    ///
    /// ```
    /// use corers_config::{Config, Source};
    ///
    /// // include_str!("default.toml") in an application.
    /// let built_in = "workers = 4\n[database]\nport = 5432\n";
    /// let table: toml::Table = toml::from_str(built_in).unwrap();
    /// let config = Config::builder().defaults(&table).build().unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 5432);
    /// assert_eq!(config.provenance("workers"), Some(Source::Default));
    /// ```
    pub fn defaults<T: Serialize>(mut self, defaults: &T) -> Self {
        const OP: &str = "config.ConfigBuilder.defaults";
        let mut leaves = Vec::new();
        let flattened = to_value(defaults).and_then(|value| match value {
            Value::Map(_) => flatten(OP, "", value, EmptyTables::Keep, &mut leaves),
            other => Err(Error::new(
                OP,
                format!(
                    "defaults must be a struct or map of keys, not {}",
                    with_article(other.kind())
                ),
            )
            .with_code(ErrorCode::INVALID)),
        });
        match flattened {
            Ok(()) => self.defaults.extend(leaves),
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// Sets one default.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder().default_value("log.level", "info").build().unwrap();
    /// assert_eq!(config.string("log.level").unwrap(), "info");
    /// ```
    pub fn default_value(mut self, key: &str, value: impl Into<Value>) -> Self {
        let mut leaves = Vec::new();
        match flatten(
            "config.ConfigBuilder.default_value",
            key,
            value.into(),
            EmptyTables::Keep,
            &mut leaves,
        ) {
            Ok(()) => self.defaults.extend(leaves),
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// Adds a config file that must exist; later files override earlier ones. The format
    /// follows the extension: `.toml` (or none), `.json` (feature `json`), `.yaml` / `.yml`
    /// (feature `yaml`). Numbers must be finite, and integers fit an `i64`: a file holding
    /// `inf` or `18446744073709551615` is refused, never rounded. A key given twice in one
    /// map, or a map key with a `.` in it (`"database.port"`; nest the maps), is refused in
    /// every format. A JSON or YAML `null` sets nothing, as TOML, which has none: a YAML
    /// `database:` whose keys are all commented out leaves the defaults under `database`.
    ///
    /// ```
    /// use corers_config::Config;
    /// let dir = std::env::temp_dir().join(format!("corers-config-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("workbench.toml");
    /// std::fs::write(&path, "[database]\nport = 6543\n").unwrap();
    ///
    /// let config = Config::builder().file(&path).build().unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 6543);
    /// assert_eq!(config.provenance("database.port").unwrap().to_string(),
    ///            format!("file {}:2", path.display()));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// A relative path is resolved against the working directory now, once: a reload reads
    /// the same file after the process changed directory (a daemon's `chdir("/")`). A key
    /// the defaults spell otherwise (`files-per-char` for the defaults' `files_per_char`)
    /// sets the defaults' key, which the application reads.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(FileSpec {
            path: resolved(path.into()),
            required: true,
        });
        self
    }

    /// Adds a config file that may be missing (a user's override file).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .optional_file("/nonexistent/corers/workbench.toml")
    ///     .build()
    ///     .unwrap();
    /// assert!(config.keys().is_empty());
    /// ```
    pub fn optional_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(FileSpec {
            path: resolved(path.into()),
            required: false,
        });
        self
    }

    /// Reads the environment layer from variables named `PREFIX_…`: `APP_DATABASE__PORT`
    /// sets `database.port` (`__` nests, names are lower-cased), and values read as TOML
    /// (`5432` an integer, `true` a bool) or else as text.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .env_prefix("WORKBENCH")
    ///     .env_vars([("WORKBENCH_CACHE__ENABLED", "true")])
    ///     .build()
    ///     .unwrap();
    /// assert!(config.bool("cache.enabled").unwrap());
    /// ```
    ///
    /// The prefix is written in upper case, with or without its trailing `_` (`"APP"` and
    /// `"APP_"` read the same variables); a prefix with a lower-case letter is refused at
    /// `build()` rather than reading nothing.
    ///
    /// A variable cannot spell `-` or upper case, so it takes the spelling of a key the
    /// defaults or files already have: `APP_DATABASE__MAX_CONNECTIONS` sets a file's
    /// `database.max-connections` or `database.maxConnections` (case, `-` and `_` aside, the
    /// same words). A key they spell more than one way that way keeps the variable's own
    /// spelling, with a warning; a key they do not have is set as the variable spells it.
    /// Two variables that set one key (the last by name wins), and a variable that is not
    /// UTF-8 (left out), are warnings too: see [`logger`](ConfigBuilder::logger).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .default_value("database.max-connections", 10)
    ///     .env_prefix("APP")
    ///     .env_vars([("APP_DATABASE__MAX_CONNECTIONS", "50")])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.int("database.max-connections").unwrap(), 50);
    /// ```
    pub fn env_prefix(mut self, prefix: &str) -> Self {
        self.env_prefix = Some(prefix.to_owned());
        self
    }

    /// Reads the environment layer from `vars` instead of the process environment (tests,
    /// hosts that pass their own environment). `reload` reads the same list again.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .env_prefix("APP")
    ///     .env_vars([("APP_WORKERS", "8"), ("HOME", "/home/ops")])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.keys(), ["workers"]);
    /// ```
    pub fn env_vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env_vars = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Lays `vars` over the environment the config reads (the process's, or the list
    /// given to [`env_vars`](ConfigBuilder::env_vars)): `Some` sets a variable, `None`
    /// removes one; each reload reads the environment again under the same overlay. What
    /// a Core does with its overrides (`CoreBuilder::env`, `env_remove`), so that its
    /// config and `core.env` agree, and a developer's shell cannot change a test.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .env_prefix("APP")
    ///     .env_vars([("APP_WORKERS", "8"), ("APP_DEBUG", "true")])
    ///     .env_overlay([("APP_WORKERS", Some("2")), ("APP_DEBUG", None)])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.int("workers").unwrap(), 2);
    /// assert_eq!(config.get("debug"), None);
    /// ```
    pub fn env_overlay<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, Option<V>)>,
    ) -> Self {
        self.env_overlay
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.map(Into::into))));
        self
    }

    /// Reads every source and builds the config.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder().default_value("workers", 4).build().unwrap();
    /// assert_eq!(config.int("workers").unwrap(), 4);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a bad default key or value, a bad environment prefix,
    /// a variable under the prefix that is not UTF-8, or a file that does not parse (the message gives `path:line:column`);
    /// [`ErrorCode::NOT_FOUND`] for a missing required file; the error of a
    /// [check](ConfigBuilder::validate) the config does not pass.
    pub fn build(self) -> Result<Config> {
        self.assemble(Err)
    }

    /// Builds from every source that reads and returns what it left out: a file that does
    /// not parse or a missing required file (read again by [`Config::reload`], which
    /// fails while it still does not read), a bad default, a bad environment prefix (then
    /// no variable is read), a variable that is not UTF-8 (the others are read). For what must still say something useful when the config is
    /// broken, such as an application's `--help`; [`build`](ConfigBuilder::build) fails
    /// on the first of these instead.
    ///
    /// ```
    /// use corers_config::Config;
    ///
    /// let dir = std::env::temp_dir().join(format!("corers-doc-lenient-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("workbench.toml"), "[index\nfiles_per_char = 3").unwrap();
    /// let (config, left_out) = Config::builder()
    ///     .default_value("index.files_per_char", 2)
    ///     .file(dir.join("workbench.toml"))
    ///     .build_lenient();
    /// assert_eq!(config.int("index.files_per_char").unwrap(), 2);
    /// assert!(left_out[0].message().contains("workbench.toml"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn build_lenient(self) -> (Config, Vec<Error>) {
        let mut left_out = Vec::new();
        let Ok(config) = self.assemble::<Infallible>(|err| {
            left_out.push(err);
            Ok(())
        });
        (config, left_out)
    }

    /// Builds the config, handing each source that does not read to `skip`: an error from
    /// it fails the build, `Ok` leaves that source out.
    fn assemble<E>(
        self,
        mut skip: impl FnMut(Error) -> std::result::Result<(), E>,
    ) -> std::result::Result<Config, E> {
        const OP: &str = "config.ConfigBuilder.build";
        if let Some(err) = self.error {
            skip(err)?;
        }
        let mut env_prefix = None;
        if let Some(given) = &self.env_prefix {
            // `APP_` reads as `APP`: the `_` before a variable's key is added when reading.
            let prefix = given.trim_end_matches('_');
            let valid = !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if valid {
                env_prefix = Some(prefix.to_owned());
            } else {
                skip(Error::new(
                    OP,
                    format!("invalid environment prefix {given:?}: use upper-case letters, digits and '_' like \"APP\""),
                )
                .with_code(ErrorCode::INVALID))?;
            }
        }
        let defaults = layer(
            self.defaults
                .into_iter()
                .map(|(key, value)| (key, value, Source::Default)),
        );
        let mut files = Vec::with_capacity(self.files.len());
        let declared = Spellings::new(defaults.keys().map(String::as_str));
        let in_defaults = |key: &str| declares_under(defaults.keys(), key);
        for spec in self.files {
            match in_scope(self.logger.as_ref(), || read_file(&spec, &in_defaults)) {
                Ok(flat) => files.push((
                    spec,
                    in_scope(self.logger.as_ref(), || respelled(flat, &declared)),
                )),
                // Kept, empty, in its place: a reload reads it again.
                Err(err) => {
                    skip(err)?;
                    files.push((spec, std::collections::BTreeMap::new()));
                }
            }
        }
        let env_vars = EnvVars {
            source: self.env_vars.map_or(EnvSource::Process, EnvSource::Fixed),
            overlay: self.env_overlay,
        };
        let known = defaults
            .keys()
            .chain(files.iter().flat_map(|(_, flat)| flat.keys()));
        let (env, refused) = in_scope(self.logger.as_ref(), || {
            read_env(
                env_prefix.as_deref(),
                &env_vars,
                known,
                self.logger.as_ref(),
            )
        });
        if let Some(err) = refused {
            skip(err)?;
        }
        let config = Config::from_layers(
            Layers {
                defaults,
                files,
                env_prefix,
                env_vars,
                env,
                ..Layers::default()
            },
            self.logger,
            self.checks,
        );
        config.warn_of_flags_that_are_not_bools();
        config.warn_of_undeclared(config.file_keys());
        if let Err(err) = config.check(config.inner.current.load()) {
            skip(err)?;
        }
        Ok(config)
    }
}

impl fmt::Debug for ConfigBuilder {
    /// The sources, never a value: defaults and variables are shown by name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field(
                "defaults",
                &self.defaults.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field(
                "files",
                &self.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
            )
            .field("env_prefix", &self.env_prefix)
            .field(
                "env_vars",
                &self
                    .env_vars
                    .as_ref()
                    .map(|vars| vars.iter().map(|(k, _)| k).collect::<Vec<_>>()),
            )
            .finish_non_exhaustive()
    }
}

/// A `--set` argument that is no `key=value` as it may be shown: the value after a secret
/// name and a `:` or a blank (`db.password:hunter2`) replaced by `[REDACTED]`, and the
/// whole of one that names a secret some other way (`db.password-hunter2`).
fn without_secret(pair: &str) -> String {
    let name = pair
        .split(|c: char| c == ':' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    match pair[name.len()..].chars().next() {
        Some(separator) if corers_primitives::is_secret_name(name) => {
            format!("{name}{separator}{}", corers_log::REDACTED)
        }
        _ if corers_primitives::is_secret_name(pair) => corers_log::REDACTED.to_owned(),
        _ => pair.to_owned(),
    }
}

/// `path` made absolute against the working directory (as given, when that cannot be
/// known).
fn resolved(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// Reads `spec` as a layer; `in_defaults(key)` says whether the defaults declare `key` or
/// keys under it.
///
/// # Errors
/// As [`file::read`]; and [`ErrorCode::INVALID`] at its line for a table read whole as
/// data (a name in it is no config key: see [`crate::key::is_data_table`]) that also has
/// a name the defaults declare under it — `[database]` with `port = 5432` and a
/// mistyped `"pool.size" = 10` is a mistake, not a table of data, which would hide
/// `database.port` from every read.
fn read_file(spec: &FileSpec, in_defaults: &dyn Fn(&str) -> bool) -> Result<Flat> {
    let leaves = file::read(spec)?;
    for leaf in &leaves {
        let Value::Map(names) = &leaf.value else {
            continue;
        };
        let declared = names
            .keys()
            .find(|name| in_defaults(&format!("{}.{name}", leaf.key)));
        let odd = names.keys().find(|name| !crate::key::is_segment(name));
        if let (Some(declared), Some(odd)) = (declared, odd) {
            let line = leaf.line.map(|line| format!(":{line}")).unwrap_or_default();
            return Err(Error::new(
                "config.ConfigBuilder.build",
                format!(
                    "config file {}{line}: {odd:?} cannot be a config key: use ASCII letters, \
                     digits, '_' and '-' (table {:?} sets {declared:?}, a key of the \
                     defaults, so it is no table of data)",
                    spec.path.display(),
                    leaf.key
                ),
            )
            .with_code(ErrorCode::INVALID));
        }
    }
    Ok(layer(leaves.into_iter().map(|leaf| {
        let source = Source::File {
            path: spec.path.clone(),
            line: leaf.line,
        };
        (leaf.key, leaf.value, source)
    })))
}

/// Reports whether `keys` (the defaults') hold `key` or a key under it.
fn declares_under<'k>(mut keys: impl Iterator<Item = &'k String>, key: &str) -> bool {
    keys.any(|declared| is_under(declared, key))
}

/// `flat` (a file's keys) with each key spelled as the application's defaults spell it: a
/// file's `index.files-per-char` sets the `index.files_per_char` its defaults declare,
/// rather than a key of its own that nothing reads. A key the defaults do not have stays
/// as written; a file that has the key both ways keeps the one spelled as declared.
fn respelled(flat: Flat, declared: &Spellings) -> Flat {
    // The keys spelled as declared first, so that another spelling of one is the one left.
    let (exact, other): (Vec<_>, Vec<_>) = flat
        .into_iter()
        .map(|(key, entry)| (declared.respell(&key, &entry.source), key, entry))
        .partition(|(spelled, key, _)| spelled == key);
    let mut out = Flat::new();
    for (spelled, key, entry) in exact.into_iter().chain(other) {
        if out.contains_key(&spelled) {
            tracing::warn!(
                key = %spelled,
                ignored = %key,
                source = %entry.source,
                "a config file sets one key spelled two ways: the declared spelling is used"
            );
            continue;
        }
        place(&mut out, &spelled, entry);
    }
    out
}

/// Runs `f` (which logs the config's warnings) under the thread's subscriber when the
/// application set one up (a JSON formatter, an OpenTelemetry layer: its lines are not
/// the config's to bypass), else with `log` as the subscriber, when there is one.
fn in_scope<R>(log: Option<&Logger>, f: impl FnOnce() -> R) -> R {
    match log {
        Some(log) if corers_log::application_dispatch().is_none() => log.in_scope(f),
        _ => f(),
    }
}

/// The environment layer, its keys spelled as `known` (the weaker layers' keys, read only
/// when there is a prefix) spells them, and the error for a variable that is not UTF-8;
/// each variable with a secret-looking name that it reads goes to `log`'s audit trail (by
/// name, never its value).
fn read_env<'a>(
    prefix: Option<&str>,
    vars: &EnvVars,
    known: impl Iterator<Item = &'a String>,
    log: Option<&Logger>,
) -> (Flat, Option<Error>) {
    let (leaves, refused) = prefix
        .map(|prefix| env::read(prefix, vars, &Spellings::new(known.map(String::as_str))))
        .unwrap_or_default();
    if let Some(log) = log {
        let secret: std::collections::BTreeSet<&str> = leaves
            .iter()
            .map(|leaf| leaf.var.as_str())
            .filter(|var| corers_primitives::is_secret_name(var))
            .collect();
        for key in secret {
            log.audit(AuditEvent::SecretEnvRead { key });
        }
    }
    let env = layer(leaves.into_iter().map(|leaf| {
        let source = Source::Env { var: leaf.var };
        (leaf.key, leaf.value, source)
    }));
    (env, refused)
}

/// Puts `value` at `key` in the command-line `layer`, as given by the flag `name`, each
/// leaf spelled as `known` spells it (when given); returns how many leaves it set (none
/// for an empty table).
fn place_flag(
    op: &'static str,
    layer: &mut Flat,
    (key, value): (&str, Value),
    name: &str,
    known: Option<&Spellings>,
) -> Result<usize> {
    check_key(op, key)?;
    let mut leaves = Vec::new();
    flatten(op, key, value, EmptyTables::Drop, &mut leaves)?;
    let placed = leaves.len();
    for (leaf, value) in leaves {
        let leaf = match known {
            Some(known) => known.respell(&leaf, &format_args!("--{name}")),
            None => leaf,
        };
        let source = Source::Flag {
            name: name.to_owned(),
        };
        place(layer, &leaf, Entry { value, source });
    }
    Ok(placed)
}

/// One layer from its leaves, a later leaf replacing what it overlaps.
fn layer(leaves: impl Iterator<Item = (String, Value, Source)>) -> Flat {
    let mut flat = Flat::new();
    for (key, value, source) in leaves {
        place(&mut flat, &key, Entry { value, source });
    }
    flat
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// An empty config with no sources: only runtime `set` fills it.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// assert!(config.keys().is_empty());
    /// ```
    pub fn new() -> Config {
        Config::from_layers(Layers::default(), None, Vec::new())
    }

    fn from_layers(layers: Layers, log: Option<Logger>, checks: Vec<Check>) -> Config {
        let state = State {
            layers,
            subscribers: Vec::new(),
            bindings: Vec::new(),
        };
        Config {
            inner: Arc::new(Inner {
                current: Published::new(state.layers.merge()),
                state: Mutex::new(state),
                checks,
                writing: Mutex::new(()),
                reloading: Mutex::new(()),
                // The application's idea of a secret is its logger's.
                secrets: Arc::new(Secrets::new(log.as_ref().map(|log| log.redactor().clone()))),
                log,
            }),
        }
    }

    /// Starts a [`ConfigBuilder`].
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder().default_value("workers", 4).build().unwrap();
    /// assert_eq!(config.keys(), ["workers"]);
    /// ```
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The value at `key`: a leaf's value, or a map of everything under a table key;
    /// `None` when nothing is there.
    ///
    /// ```
    /// use corers_config::Config;
    /// use corers_primitives::Value;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// assert_eq!(config.get("database.port"), Some(Value::Int(5432)));
    /// assert_eq!(config.get("database").unwrap().kind(), "map");
    /// assert_eq!(config.get("cache"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<Value> {
        self.with_reader(|r| r.get(key))
    }

    /// The path at `key`. A relative path set in a config file is relative to that file
    /// (`tls.cert = "certs/server.pem"` in `/etc/workbench/workbench.toml` is
    /// `/etc/workbench/certs/server.pem`, wherever the program runs from); one from
    /// anywhere else is as written.
    ///
    /// ```
    /// use corers_config::Config;
    ///
    /// let dir = std::env::temp_dir().join(format!("corers-doc-path-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("workbench.toml"), "[tls]\ncert = \"certs/server.pem\"\n").unwrap();
    /// let config = Config::builder().file(dir.join("workbench.toml")).build().unwrap();
    /// assert_eq!(config.path("tls.cert").unwrap(), dir.join("certs/server.pem"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when the key is not set; [`ErrorCode::INVALID`] when it
    /// holds anything but non-empty text.
    pub fn path(&self, key: &str) -> Result<std::path::PathBuf> {
        self.with_reader(|r| r.path(key))
    }

    /// The text at `key`. Another type is not converted, but for a number or a bool an
    /// environment variable or a `--set` gave: that was text read as a number
    /// (`WORKBENCH_WORKSPACE__FIRST=2024`), and it is given back as written.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("log.level", "debug").unwrap();
    /// assert_eq!(config.string("log.level").unwrap(), "debug");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when the key is not set; [`ErrorCode::INVALID`] when it
    /// holds another type (the message names the key, what it holds and its source).
    pub fn string(&self, key: &str) -> Result<String> {
        self.with_reader(|r| r.string(key))
    }

    /// The integer at `key`; never converts another type (a float or the text `"5432"`
    /// is an error).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 5432);
    /// ```
    ///
    /// # Errors
    /// As [`string`](Config::string).
    pub fn int(&self, key: &str) -> Result<i64> {
        self.with_reader(|r| r.int(key))
    }

    /// The float at `key`: a float, an integer a float holds exactly (`ratio = 1` in
    /// TOML), or a decimal number's text (`APP_CACHE__RATIO=0.50`: the environment keeps a
    /// number with a fraction as written); any other text is an error.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .env_prefix("APP")
    ///     .env_vars([("APP_CACHE__RATIO", "0.50")])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.float("cache.ratio").unwrap(), 0.5);
    /// config.set("cache.ratio", 1).unwrap();
    /// assert_eq!(config.float("cache.ratio").unwrap(), 1.0);
    /// ```
    ///
    /// # Errors
    /// As [`string`](Config::string).
    pub fn float(&self, key: &str) -> Result<f64> {
        self.with_reader(|r| r.float(key))
    }

    /// The bool at `key`; from a variable or a `--set`, whose text has no type, also the
    /// switch it writes: `true`, `yes`, `on`, `1` and `false`, `no`, `off`, `0`, in any
    /// case (`APP_CACHE__ENABLED=yes`, as config-rs reads it). Other text or numbers, and
    /// any but a bool typed on purpose (in code, a file, a declared flag), are an error.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("cache.enabled", true).unwrap();
    /// config.set_from_args(["--set", "cache.compress=off"]).unwrap();
    /// assert!(config.bool("cache.enabled").unwrap());
    /// assert!(!config.bool("cache.compress").unwrap());
    /// ```
    ///
    /// # Errors
    /// As [`string`](Config::string).
    pub fn bool(&self, key: &str) -> Result<bool> {
        self.with_reader(|r| r.bool(key))
    }

    /// The value at `key` (a leaf or a table) converted to `T` with serde. Where `T` (or a
    /// field of it) wants text, an integer or a bool is taken as its text: the environment
    /// and `--set` have no types, and `APP_DATABASE__PASSWORD=123456` must still fill a
    /// `String` (the getters [`string`](Config::string), [`int`](Config::int) and
    /// [`bool`](Config::bool) never convert). Where `T` wants a float, a decimal number's
    /// text is taken (`"0.50"`). A float is not taken as text, as its text may differ
    /// from what was written (`1.10`; the environment keeps such a number as written, so
    /// `APP_PYTHON__VERSION=3.10` fills a `String` with `"3.10"`). None of this applies
    /// inside an enum's variant or a `#[serde(flatten)]`, which serde buffers first.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("cluster.hosts", vec!["homelab", "studio"]).unwrap();
    /// let hosts: Vec<String> = config.get_as("cluster.hosts").unwrap();
    /// assert_eq!(hosts, ["homelab", "studio"]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when nothing is at `key`; [`ErrorCode::INVALID`] when the
    /// value does not fit `T`, naming the exact key, the expected type and the source.
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        self.with_reader(|r| r.get_as(key))
    }

    /// The section under `prefix` (`""` for the whole config) as a struct. A section with
    /// no keys is `None` for an `Option` (`extract::<Option<Tls>>("tls")`: no TLS), else
    /// deserializes from an empty map, so a struct whose fields all have serde defaults
    /// still comes out; a text field takes an integer or a bool as its text, and a number
    /// field the text of a number (see [`get_as`](Config::get_as)). Paths come out as
    /// written: a relative one is resolved against its file's directory only by
    /// [`path`](Config::path) (`config.path("tls.cert")` next to `extract::<Tls>("tls")`).
    ///
    /// ```
    /// use corers_config::Config;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Cache { enabled: bool, #[serde(default)] ttl_seconds: u32 }
    ///
    /// let config = Config::new();
    /// config.set("cache.enabled", true).unwrap();
    /// let cache: Cache = config.extract("cache").unwrap();
    /// assert!(cache.enabled);
    /// assert_eq!(cache.ttl_seconds, 0);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when the section does not fit `T` (a missing field, a wrong
    /// type), naming the exact key, the expected type and the source of the value;
    /// [`ErrorCode::NOT_FOUND`] when nothing is under `prefix` and `T` is no struct, map
    /// or `Option` (a number, a list).
    pub fn extract<T: DeserializeOwned>(&self, prefix: &str) -> Result<T> {
        self.with_reader(|r| r.extract(prefix))
    }

    /// Sets `key` in the runtime layer (the strongest); a map value sets the keys under
    /// it, replacing what the runtime layer had there. The write is recorded in the audit
    /// trail of the config's logger (`config.written`, the key, never the value).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 5432);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a malformed key; nothing changes.
    pub fn set(&self, key: &str, value: impl Into<Value>) -> Result<()> {
        self.set_many([(key, value.into())])
    }

    /// Sets several keys in one atomic step: readers see all of them or none, and
    /// subscribers get one batch. Each key is recorded in the audit trail, as by
    /// [`set`](Config::set).
    ///
    /// ```
    /// use corers_config::Config;
    /// use corers_primitives::Value;
    /// let config = Config::new();
    /// config.set_many([("database.host", Value::from("db.homelab")), ("database.port", Value::from(6543))]).unwrap();
    /// assert_eq!(config.keys(), ["database.host", "database.port"]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for any malformed key; nothing changes.
    pub fn set_many<K: AsRef<str>>(
        &self,
        values: impl IntoIterator<Item = (K, Value)>,
    ) -> Result<()> {
        const OP: &str = "config.Config.set_many";
        let mut leaves = Vec::new();
        for (key, value) in values {
            let key = key.as_ref();
            check_key(OP, key)?;
            let mut under = Vec::new();
            flatten(OP, key, value, EmptyTables::Drop, &mut under)?;
            leaves.push((key.to_owned(), under));
        }
        let written: Vec<String> = match self.inner.log {
            Some(_) => leaves.iter().map(|(key, _)| key.clone()).collect(),
            None => Vec::new(),
        };
        self.write(|state| {
            for (key, under) in leaves {
                remove_tree(&mut state.runtime, &key);
                for (leaf, value) in under {
                    place(
                        &mut state.runtime,
                        &leaf,
                        Entry {
                            value,
                            source: Source::Runtime,
                        },
                    );
                }
            }
            Ok(())
        })?;
        self.audit_written(written.iter().map(String::as_str));
        Ok(())
    }

    /// Removes `key` (and the keys under it) from the runtime layer, so the weaker layers
    /// show through again; reports whether the runtime layer had it (and, when it had,
    /// records the write in the audit trail).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder().default_value("workers", 4).build().unwrap();
    /// config.set("workers", 16).unwrap();
    /// assert!(config.unset("workers").unwrap());
    /// assert_eq!(config.int("workers").unwrap(), 4);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a malformed key.
    pub fn unset(&self, key: &str) -> Result<bool> {
        check_key("config.Config.unset", key)?;
        let mut removed = false;
        self.write(|state| {
            removed = remove_tree(&mut state.runtime, key);
            Ok(())
        })?;
        if removed {
            self.audit_written([key]);
        }
        Ok(removed)
    }

    /// Replaces the command-line layer with `flags` (the options a CLI parsed, each named
    /// by its config key: `--database.port=6543`).
    ///
    /// ```
    /// use corers_config::{Config, Source};
    /// use corers_primitives::options;
    /// let config = Config::builder().default_value("database.port", 5432).build().unwrap();
    /// config.set_flags(&options! { "database.port" => 6543 }).unwrap();
    /// assert_eq!(config.int("database.port").unwrap(), 6543);
    /// assert_eq!(config.provenance("database.port"), Some(Source::Flag { name: "database.port".into() }));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when a flag name is not a valid key; nothing changes.
    pub fn set_flags(&self, flags: &Options) -> Result<()> {
        const OP: &str = "config.Config.set_flags";
        let mut layer = Flat::new();
        for (name, value) in flags.iter() {
            place_flag(OP, &mut layer, (name, value.clone()), name, None)?;
        }
        self.write(|state| {
            state.flags = layer;
            Ok(())
        })
        .map(drop)
    }

    /// Takes `--set key=value` (and `--set=key=value`) out of command-line arguments into
    /// the command-line layer, replacing what it held (as [`set_flags`](Config::set_flags)
    /// does; arguments without `--set` leave the layer alone), and returns the other
    /// arguments in order. Values read like environment values (`6543` an integer, `true` a bool,
    /// anything else text), and a key takes the spelling of a key the defaults or files
    /// have, as a variable's does (`--set db.max_connections=9` sets a file's
    /// `db.max-connections`). Arguments after `--` are left alone.
    ///
    /// ```
    /// use corers_config::{Config, Source};
    /// let config = Config::builder().default_value("database.port", 5432).build().unwrap();
    /// let rest = config
    ///     .set_from_args(["serve", "--set", "database.port=6543", "--verbose"])
    ///     .unwrap();
    /// assert_eq!(rest, ["serve", "--verbose"]);
    /// assert_eq!(config.int("database.port").unwrap(), 6543);
    /// assert_eq!(config.provenance("database.port").unwrap().to_string(), "flag --set database.port");
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a `--set` without `key=value` after it or with a
    /// malformed key; nothing changes.
    pub fn set_from_args<I, S>(&self, args: I) -> Result<Vec<String>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        const OP: &str = "config.Config.set_from_args";
        // `--set db.max_connections=9` sets the `db.max-connections` a file has, as a
        // variable does.
        let known = {
            let state = self.lock();
            let layers = &state.layers;
            Spellings::new(
                layers
                    .defaults
                    .keys()
                    .chain(layers.files.iter().flat_map(|(_, flat)| flat.keys()))
                    .map(String::as_str),
            )
        };
        let mut rest = Vec::new();
        let mut layer = Flat::new();
        let mut found = false;
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let pair = match arg.as_str() {
                "--" => {
                    rest.push(arg);
                    rest.extend(args.by_ref());
                    break;
                }
                "--set" => args.next().ok_or_else(|| {
                    Error::new(
                        OP,
                        "--set needs key=value after it, like --set database.port=6543",
                    )
                    .with_code(ErrorCode::INVALID)
                })?,
                other => match other.strip_prefix("--set=") {
                    Some(pair) => pair.to_owned(),
                    None => {
                        rest.push(arg);
                        continue;
                    }
                },
            };
            // `--set db.password:hunter2` (or `…:aGVsbG8=`, whose `=` is the value's): no
            // key=value, and the value is not echoed after a secret name.
            let separated = |text: &str| text.contains(|c: char| c == ':' || c.is_whitespace());
            let Some((key, raw)) = pair.split_once('=').filter(|(key, _)| !separated(key)) else {
                return Err(Error::new(
                    OP,
                    format!(
                        "--set {}: use key=value, like --set database.port=6543",
                        shown_name(&without_secret(&pair))
                    ),
                )
                .with_code(ErrorCode::INVALID));
            };
            let name = format!("set {key}");
            let placed = in_scope(self.inner.log.as_ref(), || {
                place_flag(
                    OP,
                    &mut layer,
                    (key, env::parse_value(raw)),
                    &name,
                    Some(&known),
                )
            })?;
            if placed == 0 {
                return Err(Error::new(
                    OP,
                    format!(
                        "--set {} sets nothing (an empty table)",
                        shown_name(&without_secret(&pair))
                    ),
                )
                .with_code(ErrorCode::INVALID));
            }
            found = true;
        }
        // Without `--set` the command-line layer stays as `set_flags` may have left it.
        if found {
            // Said once: the same arguments taken again (the factories', then the run's)
            // bring no key that is new.
            let fresh: Vec<(String, Source)> = {
                let state = self.lock();
                layer
                    .iter()
                    .filter(|(key, _)| !state.layers.flags.contains_key(*key))
                    .map(|(key, entry)| (key.clone(), entry.source.clone()))
                    .collect()
            };
            self.write(|state| {
                state.flags = layer;
                Ok(())
            })?;
            self.warn_of_undeclared(fresh);
        }
        Ok(rest)
    }

    /// Where the current value of `key` came from; `None` when the key is not set (or is
    /// a table).
    ///
    /// ```
    /// use corers_config::{Config, Source};
    /// let config = Config::builder().default_value("workers", 4).build().unwrap();
    /// assert_eq!(config.provenance("workers"), Some(Source::Default));
    /// ```
    pub fn provenance(&self, key: &str) -> Option<Source> {
        self.with_reader(|r| r.provenance(key))
    }

    /// Every set key, sorted.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("workers", 4).unwrap();
    /// config.set("database.port", 5432).unwrap();
    /// assert_eq!(config.keys(), ["database.port", "workers"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.with_reader(|r| r.keys())
    }

    /// Turns the feature flag `name` on (`features.<name> = true` in the runtime layer).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.enable("beta-ui").unwrap();
    /// assert!(config.enabled("beta-ui"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `name` is not a valid key segment.
    pub fn enable(&self, name: &str) -> Result<()> {
        self.set_feature("config.Config.enable", name, true)
    }

    /// Turns the feature flag `name` off; the flag stays listed as set to `false`.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder().default_value("features.beta-ui", true).build().unwrap();
    /// config.disable("beta-ui").unwrap();
    /// assert!(!config.enabled("beta-ui"));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] when `name` is not a valid key segment.
    pub fn disable(&self, name: &str) -> Result<()> {
        self.set_feature("config.Config.disable", name, false)
    }

    fn set_feature(&self, op: &'static str, name: &str, on: bool) -> Result<()> {
        if name.contains('.') {
            return Err(Error::new(
                op,
                format!("invalid feature name {name:?}: one word of letters, digits, '_' and '-'"),
            )
            .with_code(ErrorCode::INVALID));
        }
        let key = format!("features.{name}");
        check_key(op, &key)?;
        self.set(&key, on)
    }

    /// Reports whether the feature flag `name` is on, from whichever layer set it: a
    /// switch that says on, as [`bool`](Config::bool) reads it (`true`; also `yes`, `on`,
    /// `1` from a variable or a `--set`). A flag that is missing or says anything else is off (one that is no switch,
    /// such as `APP_FEATURES__BETA_UI=2`, is warned of in the log when the config is built
    /// or reloaded). A name with `-` can also be set
    /// spelled with `_` (environment variables cannot spell `-`); when both spellings are
    /// set, the stronger layer decides, and on a tie the `-` spelling. Listings
    /// ([`enabled_features`](Config::enabled_features)) show names as they were set.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::builder()
    ///     .env_prefix("APP")
    ///     .env_vars([("APP_FEATURES__METRICS", "true"), ("APP_FEATURES__BETA_UI", "true")])
    ///     .build()
    ///     .unwrap();
    /// assert!(config.enabled("metrics"));
    /// assert!(config.enabled("beta-ui"));
    /// assert!(!config.enabled("dark-mode"));
    /// ```
    pub fn enabled(&self, name: &str) -> bool {
        self.with_reader(|r| r.enabled(name))
    }

    /// The names of the feature flags that are on, sorted.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.enable("metrics").unwrap();
    /// config.enable("beta-ui").unwrap();
    /// config.disable("legacy-api").unwrap();
    /// assert_eq!(config.enabled_features(), ["beta-ui", "metrics"]);
    /// ```
    pub fn enabled_features(&self) -> Vec<String> {
        self.with_reader(|r| r.enabled_features())
    }

    /// Subscribes to changes of `key` and everything under it (`""` for every key). Each
    /// write that changes any of them sends one batch with exactly the changed keys.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// let mut database = config.subscribe("database");
    /// config.set("database.port", 5432).unwrap();
    /// config.set("workers", 4).unwrap(); // not under "database": not sent
    /// let batch = database.try_changed().unwrap();
    /// assert_eq!(batch.len(), 1);
    /// assert!(database.try_changed().is_none());
    /// ```
    pub fn subscribe(&self, key: &str) -> Subscription {
        let (subscriber, subscription) = Subscriber::new(key);
        let mut state = self.lock();
        // Those dropped go now too, not only at the next change: a server subscribing
        // per connection while nothing changes would otherwise keep them all.
        state.subscribers.retain(Subscriber::is_open);
        state.subscribers.push(subscriber);
        subscription
    }

    /// Reads the files and the environment again and applies what changed, in one atomic
    /// step; subscribers get exactly the changed keys. Returns the changes.
    ///
    /// ```
    /// use corers_config::Config;
    /// let dir = std::env::temp_dir().join(format!("corers-config-reload-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("workbench.toml");
    /// std::fs::write(&path, "workers = 4\n").unwrap();
    /// let config = Config::builder().file(&path).build().unwrap();
    ///
    /// std::fs::write(&path, "workers = 8\n").unwrap();
    /// let changes = config.reload().unwrap();
    /// assert_eq!(changes[0].key, "workers");
    /// assert_eq!(config.int("workers").unwrap(), 8);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`ConfigBuilder::build`] for the files, or the error of a
    /// [check](ConfigBuilder::validate) the reloaded config does not pass; on error the
    /// config in force stays as it was and nobody is notified.
    pub fn reload(&self) -> Result<Vec<Change>> {
        self.refused_inside_a_check("config.Config.reload")?;
        let reloading = self
            .inner
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The sources never change after build: read them without blocking writers.
        let (specs, prefix, vars, defaults) = {
            let state = self.lock();
            let layers = &state.layers;
            let specs: Vec<FileSpec> = layers.files.iter().map(|(spec, _)| spec.clone()).collect();
            // The keys files and variables take their spelling from.
            let defaults: Vec<String> = layers.defaults.keys().cloned().collect();
            (
                specs,
                layers.env_prefix.clone(),
                layers.env_vars.clone(),
                defaults,
            )
        };
        let declared = Spellings::new(defaults.iter().map(String::as_str));
        let files = specs
            .into_iter()
            .map(|spec| {
                let flat = in_scope(self.inner.log.as_ref(), || {
                    read_file(&spec, &|key| declares_under(defaults.iter(), key))
                })?;
                let flat = in_scope(self.inner.log.as_ref(), || respelled(flat, &declared));
                Ok((spec, flat))
            })
            .collect::<Result<Vec<_>>>()
            .map_err(|e| Error::wrap(e, "config.Config.reload", "read the config files"))?;
        let known = defaults
            .iter()
            .chain(files.iter().flat_map(|(_, flat)| flat.keys()));
        let (env, refused) = in_scope(self.inner.log.as_ref(), || {
            read_env(prefix.as_deref(), &vars, known, self.inner.log.as_ref())
        });
        if let Some(err) = refused {
            return Err(Error::wrap(
                err,
                "config.Config.reload",
                "read the environment",
            ));
        }
        let (changes, bindings) = self.publish(|state| {
            state.files = files;
            state.env = env;
            Ok(())
        })?;
        // Published: the next reload may start while bound variables catch up.
        drop(reloading);
        self.update(&changes, bindings);
        self.warn_of_flags_that_are_not_bools();
        self.warn_of_undeclared(self.file_keys());
        Ok(changes)
    }

    /// Every key the files give, with where.
    fn file_keys(&self) -> Vec<(String, Source)> {
        self.lock()
            .layers
            .files
            .iter()
            .flat_map(|(_, flat)| flat.iter())
            .map(|(key, entry)| (key.clone(), entry.source.clone()))
            .collect()
    }

    /// Warns of each key a file or `--set` gives that the defaults neither declare nor
    /// hold a table for, and that is close to one they declare: a misspelling
    /// (`index.file_per_char` beside a declared `index.files_per_char`), kept as any key
    /// is, but read by nothing that reads the declared setting. A key far from every
    /// declared one is the application's own business, and passes without a word.
    fn warn_of_undeclared(&self, given: Vec<(String, Source)>) {
        let declared: Vec<String> = {
            let state = self.lock();
            state.layers.defaults.keys().cloned().collect()
        };
        let given = given.into_iter().filter(|(key, _)| {
            !declared
                .iter()
                .any(|declared| is_under(key, declared) || is_under(declared, key))
        });
        in_scope(self.inner.log.as_ref(), || {
            for (key, source) in given {
                if let Some(close) =
                    corers_primitives::closest(&key, declared.iter().map(String::as_str))
                {
                    tracing::warn!(
                        key = %key,
                        source = %source,
                        "config key the defaults do not declare, close to one they do: did you mean {close}?"
                    );
                }
            }
        });
    }

    /// Warns of each feature flag the sources set to anything but a switch (`true`,
    /// `yes`, `on`, `1`, `false`, …: see [`bool`](Config::bool)): it is off, which
    /// `APP_FEATURES__BETA_UI=2` or `beta_ui = "enabled"` did not mean.
    fn warn_of_flags_that_are_not_bools(&self) {
        let snapshot = self.inner.current.read();
        in_scope(self.inner.log.as_ref(), || {
            for (key, entry) in snapshot.under("features") {
                if crate::read::switch(&entry.value, crate::read::guessed(entry)).is_none() {
                    tracing::warn!(
                        key = %key,
                        source = %entry.source,
                        holds = entry.value.kind(),
                        "a feature flag is a switch (true, yes, on, 1 or false, no, off, 0): this one is off"
                    );
                }
            }
        });
    }

    /// The effective config with the source of every value; values of secret-looking
    /// keys (`*password*`, `*token*`, … as in log redaction) are hidden.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("database.port", 5432).unwrap();
    /// config.set("api.token", "ghp_live").unwrap();
    /// let dump = config.dump().to_string();
    /// assert!(dump.contains("database.port = 5432"));
    /// assert!(dump.contains("api.token = [REDACTED]"));
    /// assert!(!dump.contains("ghp_live"));
    /// ```
    pub fn dump(&self) -> Dump {
        let snapshot = self.inner.current.read();
        Dump {
            entries: snapshot
                .entries()
                .iter()
                .map(|(key, entry)| DumpEntry {
                    key: key.clone(),
                    value: self.inner.secrets.shown(key, &entry.value),
                    source: entry.source.clone(),
                })
                .collect(),
        }
    }

    /// A [`ConfigVar`] bound to `key`: it holds the key's current value (set), or
    /// `T::default()` (unset) while the key is missing, and follows every change. The
    /// write that changes the key updates the variable before it returns (after it has
    /// notified [subscribers](Config::subscribe), so a subscriber woken by the change
    /// should read the change's value, not the variable). `T`'s `Deserialize` runs
    /// outside the config's locks; a panic in it is logged and leaves the variable as it
    /// was.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// let workers = config.bind::<u32>("workers").unwrap();
    /// assert!(!workers.is_set());
    /// config.set("workers", 8).unwrap();
    /// assert_eq!((workers.get(), workers.is_set()), (8, true));
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a malformed key or when the current value does not fit
    /// `T`. A later value that does not fit leaves the variable as it was (logged).
    pub fn bind<T>(&self, key: &str) -> Result<Arc<ConfigVar<T>>>
    where
        T: DeserializeOwned + Default + Clone + Send + Sync + 'static,
    {
        const OP: &str = "config.Config.bind";
        check_key(OP, key)?;
        let var = Arc::new(ConfigVar::default());
        let binding = Arc::new(BoundVar {
            var: Arc::downgrade(&var),
            key: key.to_owned(),
            serial: Mutex::new(()),
        });
        // Registered first and filled in after, holding its own lock: a write that lands
        // in between waits for it, then reads the config as it is by then.
        let serial = binding
            .serial
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        {
            let mut state = self.lock();
            // Those whose variable was dropped go now, as dropped subscriptions do.
            state.bindings.retain(|bound| bound.alive());
            state
                .bindings
                .push(Arc::clone(&binding) as Arc<dyn Binding>);
        }
        match self.get_as::<T>(key) {
            Ok(value) => var.set(value),
            Err(err) if err.code() == Some(&ErrorCode::NOT_FOUND) => {}
            Err(err) => {
                drop(serial);
                drop(var); // the binding goes with the next write
                return Err(err);
            }
        }
        drop(serial);
        Ok(var)
    }

    /// Every value as it is now, held still: reads through the view all see the same
    /// snapshot, whatever is written meanwhile (the way a `figment::Figment` is a value).
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// config.set("pair.left", 1).unwrap();
    /// config.set("pair.right", 1).unwrap();
    /// let view = config.view();
    /// config.set("pair.left", 2).unwrap();
    /// assert_eq!(view.int("pair.left").unwrap(), view.int("pair.right").unwrap());
    /// assert_eq!(config.int("pair.left").unwrap(), 2);
    /// ```
    pub fn view(&self) -> ConfigView {
        ConfigView::new(Arc::clone(&self.inner.secrets), self.inner.current.load())
    }

    /// Runs `read` over the current snapshot (borrowed, without a reference count).
    fn with_reader<R>(&self, read: impl FnOnce(Reader<'_>) -> R) -> R {
        let snapshot = self.inner.current.read();
        read(Reader::new(&snapshot, &self.inner.secrets, false))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Writers publish only whole snapshots, so a poisoned lock holds no half-applied
        // state: keep using it.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records run-time writes of `keys` in the audit trail of the config's logger.
    fn audit_written<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        if let Some(log) = &self.inner.log {
            for key in keys {
                log.audit(AuditEvent::ConfigWritten { key });
            }
        }
    }

    /// Applies `change` to a copy of the layers; on success publishes the merged snapshot
    /// and notifies subscribers and bound variables of what changed. On error nothing
    /// changes.
    fn write(&self, change: impl FnOnce(&mut Layers) -> Result<()>) -> Result<Vec<Change>> {
        let (changes, bindings) = self.publish(change)?;
        self.update(&changes, bindings);
        Ok(changes)
    }

    /// The locked half of [`write`](Config::write): applies `change`, publishes, notifies
    /// subscribers; returns the changes and the bound variables to update.
    fn publish(
        &self,
        change: impl FnOnce(&mut Layers) -> Result<()>,
    ) -> Result<(Vec<Change>, Bindings)> {
        self.refused_inside_a_check("config.Config.write")?;
        let _writing = self
            .inner
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (next, merged) = {
            let state = self.lock();
            let mut next = state.layers.clone();
            change(&mut next)?;
            let merged = Arc::new(next.merge());
            (next, merged)
        };
        // The application's code, outside the state's lock; no other write comes between.
        self.check(Arc::clone(&merged))?;
        let mut state = self.lock();
        state.layers = next;
        // A check that kept its view leaves the snapshot shared: merged again.
        let merged = Arc::try_unwrap(merged).unwrap_or_else(|_| state.layers.merge());
        Ok(self.published(state, merged))
    }

    /// Runs the application's checks on `snapshot`; the first failure, or a panic in one,
    /// is the error.
    fn check(&self, snapshot: Arc<Snapshot>) -> Result<()> {
        const OP: &str = "config.Config.check";
        if self.inner.checks.is_empty() {
            return Ok(());
        }
        let view = ConfigView::new(Arc::clone(&self.inner.secrets), snapshot);
        let outer = CHECKING.replace(true);
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.inner.checks.iter().try_for_each(|check| check(&view))
        }));
        CHECKING.set(outer);
        checked
            .unwrap_or_else(|payload| Err(Error::from_caught(OP, payload)))
            .map_err(|err| Error::wrap(err, OP, "the config does not pass the application's check"))
    }

    /// Refuses `op` on a config that has checks from inside a check (of any config on this
    /// thread), which would wait on the write or reload being checked.
    fn refused_inside_a_check(&self, op: &'static str) -> Result<()> {
        if self.inner.checks.is_empty() || !CHECKING.get() {
            return Ok(());
        }
        Err(Error::new(
            op,
            "a config check cannot write or reload a config that has checks: it reads the view it is given",
        )
        .with_code(ErrorCode::CONFLICT))
    }

    /// Publishes `merged` (the layers in `state` already its own) and notifies subscribers;
    /// returns the changes and the bound variables to update.
    fn published(
        &self,
        mut state: std::sync::MutexGuard<'_, State>,
        merged: Snapshot,
    ) -> (Vec<Change>, Bindings) {
        let changes = self
            .inner
            .current
            .read()
            .changes(&merged, &self.inner.secrets);
        self.inner.current.publish(merged);
        if changes.is_empty() {
            return (changes, Vec::new());
        }
        state.subscribers.retain(|s| s.notify(&changes));
        state.bindings.retain(|binding| binding.alive());
        (changes, state.bindings.clone())
    }

    /// The unlocked half of [`write`](Config::write): brings bound variables up to date.
    /// Their `Deserialize` is the application's code, so this runs without any lock of
    /// the config's held, and a panic in it is caught.
    fn update(&self, changes: &[Change], bindings: Bindings) {
        for binding in bindings {
            let updated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                binding.update(self, changes);
            }));
            if let Err(payload) = updated {
                let err = Error::from_caught("config.Config.bind", payload);
                in_scope(self.inner.log.as_ref(), || {
                    tracing::error!(error = %err, "a bound config variable panicked while updating");
                });
            }
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subscribers, bindings) = {
            let state = self.lock();
            (state.subscribers.len(), state.bindings.len())
        };
        f.debug_struct("Config")
            .field("keys", &self.inner.current.read().entries().len())
            .field("subscribers", &subscribers)
            .field("bindings", &bindings)
            .finish_non_exhaustive()
    }
}
