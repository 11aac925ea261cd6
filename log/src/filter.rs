//! [`Filter`]: the level each part of a program logs at, in `RUST_LOG`'s syntax.

use std::fmt;
use std::str::FromStr;

use corers_primitives::{Error, ErrorCode};

use crate::Level;

/// A default level and levels for targets (module paths), written as `RUST_LOG` writes
/// them for tracing's `EnvFilter`: `info,workbench::store=debug,hyper=warn`.
///
/// An event's target is matched against each target given, as `EnvFilter` does: by its
/// start (`corers=debug` covers `corers_messaging` too), the longest match deciding; an
/// event no target matches takes the default level — which, again as `EnvFilter`, is
/// `quiet` when targets are given without one (`workbench=debug` logs `workbench` alone)
/// and `info` when nothing is given at all. A bare target (`workbench::store`)
/// lets everything of it through (as `workbench::store=trace`). Levels are [`Level`]'s
/// names, or `RUST_LOG`'s numbers (`0` off to `5` trace). Span and field filters
/// (`[span{field=value}]`) are not read: give a tracing subscriber of your own such
/// filters.
///
/// ```
/// use corers_log::{Filter, Level};
///
/// let filter: Filter = "warn,workbench=info,workbench::store=debug".parse().unwrap();
/// assert_eq!(filter.level_for("workbench::store::sql"), Level::Debug);
/// assert_eq!(filter.level_for("workbench::cli"), Level::Info);
/// assert_eq!(filter.level_for("hyper::proto"), Level::Warn);
/// assert_eq!(filter.to_string(), "warn,workbench::store=debug,workbench=info");
/// let only: Filter = "workbench=debug".parse().unwrap();
/// assert_eq!(only.level_for("hyper::proto"), Level::Quiet);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    default: Level,
    /// Longest target first, so that the first match is the most specific.
    targets: Vec<(String, Level)>,
}

impl Filter {
    /// The level of events whose target no directive names.
    ///
    /// ```
    /// use corers_log::{Filter, Level};
    /// let filter: Filter = "warn,hyper=error".parse().unwrap();
    /// assert_eq!(filter.default_level(), Level::Warn);
    /// ```
    pub fn default_level(&self) -> Level {
        self.default
    }

    /// The level events of `target` are let through at.
    ///
    /// ```
    /// use corers_log::{Filter, Level};
    /// let filter: Filter = "info,sqlx=quiet".parse().unwrap();
    /// assert_eq!(filter.level_for("sqlx::query"), Level::Quiet);
    /// assert_eq!(filter.level_for("workbench"), Level::Info);
    /// ```
    #[inline]
    pub fn level_for(&self, target: &str) -> Level {
        self.targets
            .iter()
            .find(|(prefix, _)| target.starts_with(prefix.as_str()))
            .map_or(self.default, |&(_, level)| level)
    }

    /// The most any target lets through: what a cheap check before building an event
    /// compares with.
    ///
    /// ```
    /// use corers_log::{Filter, Level};
    /// let filter: Filter = "warn,workbench=debug".parse().unwrap();
    /// assert_eq!(filter.loosest(), Level::Debug);
    /// ```
    pub fn loosest(&self) -> Level {
        self.targets
            .iter()
            .map(|&(_, level)| level)
            .fold(self.default, Level::max)
    }
}

impl From<Level> for Filter {
    /// Every target at `level`.
    fn from(level: Level) -> Filter {
        Filter {
            default: level,
            targets: Vec::new(),
        }
    }
}

impl Default for Filter {
    /// Every target at [`Level::Info`].
    fn default() -> Filter {
        Filter::from(Level::default())
    }
}

impl Filter {
    /// `text` read as tracing's `EnvFilter::builder().parse_lossy(..)` reads it: a directive
    /// that does not read is left out and returned, for a warning, instead of failing the
    /// whole. `default` is the level of targets no directive names, unless a bare level is
    /// given — also beside targets (`corers_lifecycle=debug` keeps `default` for the rest),
    /// where [`FromStr`] and `EnvFilter`'s default directive would leave the rest quiet.
    ///
    /// ```
    /// use corers_log::{Filter, Level};
    /// let (filter, left_out) = Filter::parse_lossy("corers_lifecycle=debug,hyper=lots", Level::Warn);
    /// assert_eq!(filter.to_string(), "warn,corers_lifecycle=debug");
    /// assert_eq!(left_out.len(), 1);
    /// assert!(left_out[0].message().contains("hyper=lots"));
    /// ```
    pub fn parse_lossy(text: &str, default: Level) -> (Filter, Vec<Error>) {
        let (filter, given, left_out) = read(text);
        (
            Filter {
                default: given.unwrap_or(default),
                ..filter
            },
            left_out,
        )
    }
}

/// Reads `text`'s directives: the filter of those that read (its default still to be
/// decided), the default level given, if any, and an error for each that does not read.
fn read(text: &str) -> (Filter, Option<Level>, Vec<Error>) {
    const OP: &str = "log.Filter.parse";
    let refuse = |directive: &str, why: &str| {
        // Each cut after 64 characters: a 60 KB variable is not echoed per directive.
        Error::new(
            OP,
            format!(
                "directive {} in {}: {why}",
                corers_primitives::shown_name(directive),
                corers_primitives::shown_name(text)
            ),
        )
        .with_code(ErrorCode::INVALID)
    };
    let mut filter = Filter::default();
    let mut default = None;
    let mut left_out = Vec::new();
    for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if directive.contains(['[', ']', '{', '}']) {
            left_out.push(refuse(
                directive,
                "span and field filters are not read: use target=level",
            ));
            continue;
        }
        let (target, level) = match directive.split_once('=') {
            Some((target, level)) => match level.trim().parse::<Level>() {
                Ok(level) => (target.trim(), level),
                Err(err) => {
                    left_out.push(refuse(directive, err.message()));
                    continue;
                }
            },
            None => match directive.parse::<Level>() {
                Ok(level) => {
                    default = Some(level);
                    continue;
                }
                Err(_) => (directive, Level::Trace),
            },
        };
        let valid = !target.is_empty()
            && target
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.' | '/'));
        if !valid {
            left_out.push(refuse(
                directive,
                "a target is a module path such as workbench::store",
            ));
            continue;
        }
        filter.targets.retain(|(t, _)| t != target);
        filter.targets.push((target.to_owned(), level));
    }
    // Longest first; equal lengths in name order, so the order never depends on how the
    // directives were written.
    filter
        .targets
        .sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    (filter, default, left_out)
}

impl FromStr for Filter {
    type Err = Error;

    /// Reads comma-separated directives: `level` sets the default, `target=level` a
    /// target's level, a bare `target` lets everything of it through. The last directive
    /// for a target (or for the default) wins; spaces around a directive and empty ones
    /// are ignored; level names are [`Level`]'s, in any case. A directive that does not
    /// read fails the whole (see [`Filter::parse_lossy`] to leave it out instead).
    fn from_str(text: &str) -> Result<Filter, Error> {
        let (filter, given, left_out) = read(text);
        if let Some(first) = left_out.into_iter().next() {
            return Err(first);
        }
        let default = match given {
            Some(level) => level,
            None if filter.targets.is_empty() => Level::Info,
            None => Level::Quiet,
        };
        Ok(Filter { default, ..filter })
    }
}

impl fmt::Display for Filter {
    /// The directives, default first, in a form [`FromStr`] and `EnvFilter` read back
    /// (`off` for [`Level::Quiet`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |level: Level| match level {
            Level::Quiet => "off".to_owned(),
            other => other.to_string(),
        };
        f.write_str(&name(self.default))?;
        for (target, level) in &self.targets {
            write!(f, ",{target}={}", name(*level))?;
        }
        Ok(())
    }
}
