//! [`Source`] and [`Layer`]: where a value came from, and how strongly it holds.

use std::fmt;
use std::path::PathBuf;

/// The layers of a config, weakest first: a value in a later layer replaces the same key
/// in every earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// Built-in defaults (`ConfigBuilder::defaults`).
    Default,
    /// Config files, later files over earlier ones.
    File,
    /// Environment variables under the prefix (`APP_DATABASE__PORT`).
    Env,
    /// Command-line flags handed over by the CLI.
    Flag,
    /// `Config::set` and friends, at run time.
    Runtime,
}

/// Where the current value of a key came from: the layer, and the place in it.
///
/// ```
/// use corers_config::{Config, Layer, Source};
///
/// let config = Config::builder()
///     .env_prefix("APP")
///     .env_vars([("APP_DATABASE__PORT", "5432")])
///     .build()
///     .unwrap();
/// let source = config.provenance("database.port").unwrap();
/// assert_eq!(source, Source::Env { var: "APP_DATABASE__PORT".into() });
/// assert_eq!(source.layer(), Layer::Env);
/// assert_eq!(source.to_string(), "env APP_DATABASE__PORT");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A built-in default.
    Default,
    /// A config file, with the line of the key when the format gives it (TOML does).
    File {
        /// The file as it was given to the builder.
        path: PathBuf,
        /// 1-based line of the key.
        line: Option<u32>,
    },
    /// An environment variable.
    Env {
        /// The variable's name.
        var: String,
    },
    /// A command-line flag.
    Flag {
        /// The flag as given, without its leading dashes (`database.port`, or
        /// `set database.port` for `--set database.port=…`).
        name: String,
    },
    /// Set at run time.
    Runtime,
}

impl Source {
    /// The layer this source belongs to.
    ///
    /// ```
    /// use corers_config::{Layer, Source};
    /// assert_eq!(Source::Runtime.layer(), Layer::Runtime);
    /// ```
    pub fn layer(&self) -> Layer {
        match self {
            Source::Default => Layer::Default,
            Source::File { .. } => Layer::File,
            Source::Env { .. } => Layer::Env,
            Source::Flag { .. } => Layer::Flag,
            Source::Runtime => Layer::Runtime,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File {
                path,
                line: Some(line),
            } => write!(f, "file {}:{line}", path.display()),
            Source::File { path, line: None } => write!(f, "file {}", path.display()),
            Source::Env { var } => write!(f, "env {var}"),
            Source::Flag { name } => write!(f, "flag --{name}"),
            Source::Runtime => f.write_str("set at runtime"),
        }
    }
}
