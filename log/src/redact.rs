//! [`Redactor`]: which field values are never written.

use corers_primitives::glob_match;

/// The patterns every logger redacts unless told otherwise: the primitives'
/// [`SECRET_NAME_PATTERNS`](corers_primitives::SECRET_NAME_PATTERNS), the same list that
/// [`Options`](corers_primitives::Options) and [`Value`](corers_primitives::Value) redact in
/// their `Debug`. Names are matched with `-` read as `_`, so `X-Api-Key` is `x_api_key`;
/// a field named just `key` (a cache key, a config key) is left alone.
pub const DEFAULT_REDACTIONS: [&str; 12] = corers_primitives::SECRET_NAME_PATTERNS;

/// The text written instead of a redacted value.
pub use corers_primitives::REDACTED;

/// Decides which field names have their values replaced by `[REDACTED]`: names matching
/// any pattern, case-insensitively and with `-` read as `_`, where `*` and `?` are globs
/// (see [`glob_match`](corers_primitives::glob_match)); a camelCase name is also tried
/// with its words split by `_` (`privateKey` as `private_key`).
///
/// ```
/// use corers_log::Redactor;
/// let redactor = Redactor::default();
/// assert!(redactor.is_secret("GITHUB_TOKEN"));
/// assert!(redactor.is_secret("db.Password"));
/// assert!(!redactor.is_secret("service"));
/// ```
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Lower-cased patterns, sorted into fast forms where they allow it.
    patterns: Vec<Pattern>,
}

/// A lower-cased pattern; `*word*` (the usual shape) is a plain substring search.
#[derive(Clone, Debug)]
enum Pattern {
    Contains(String),
    Glob(String),
}

impl Pattern {
    fn new(pattern: &str) -> Pattern {
        // Names are matched lower-cased with `-` read as `_`: patterns are read the same way.
        let lowered = pattern.to_lowercase().replace('-', "_");
        match lowered.strip_prefix('*').and_then(|p| p.strip_suffix('*')) {
            Some(word) if !word.is_empty() && !word.contains(['*', '?']) => {
                Pattern::Contains(word.to_owned())
            }
            _ => Pattern::Glob(lowered),
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Contains(word) => contains(name.as_bytes(), word.as_bytes()),
            Pattern::Glob(glob) => glob_match(glob, name),
        }
    }
}

/// Whether `needle` occurs in `hay`: a plain scan, which for field names (a few bytes, a
/// check per field of every log line) beats the general substring search's set-up.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    (0..=last_start).any(|at| hay[at] == first && &hay[at + 1..at + needle.len()] == rest)
}

impl Redactor {
    /// Redacts names matching any of `patterns` (and nothing else).
    ///
    /// ```
    /// use corers_log::Redactor;
    /// let redactor = Redactor::new(["session_*"]);
    /// assert!(redactor.is_secret("SESSION_ID"));
    /// assert!(!redactor.is_secret("token")); // the defaults are not included
    /// ```
    pub fn new<S: AsRef<str>>(patterns: impl IntoIterator<Item = S>) -> Redactor {
        Redactor {
            patterns: patterns
                .into_iter()
                .map(|p| Pattern::new(p.as_ref()))
                .collect(),
        }
    }

    /// Reports whether values of the field `name` must be hidden.
    ///
    /// ```
    /// use corers_log::Redactor;
    /// assert!(Redactor::default().is_secret("Authorization"));
    /// ```
    pub fn is_secret(&self, name: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let matches = |name: &str| self.patterns.iter().any(|p| p.matches(name));
        // Field names are usually lower-case identifiers already: only allocate otherwise.
        if !name
            .chars()
            .any(|c| c.is_uppercase() || matches!(c, '-' | '.' | ' '))
        {
            return matches(name);
        }
        // `privateKey` is checked as `privatekey` and as `private_key`, `tls.key` as
        // `tls_key`, `api key` as `api_key`.
        matches(&name.to_lowercase().replace(['-', '.', ' '], "_"))
            || corers_primitives::camel_words(name).is_some_and(|n| matches(&n))
    }
}

impl Default for Redactor {
    /// The [`DEFAULT_REDACTIONS`].
    fn default() -> Self {
        Redactor::new(DEFAULT_REDACTIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::contains;

    proptest::proptest! {
        #[test]
        fn contains_agrees_with_str_contains_good(
            hay in "[a-z_.é]{0,12}",
            needle in "[a-z_é]{0,4}",
        ) {
            proptest::prop_assert_eq!(
                contains(hay.as_bytes(), needle.as_bytes()),
                hay.contains(needle.as_str())
            );
        }
    }

    #[test]
    fn contains_needle_longer_than_hay_bad() {
        assert!(!contains(b"key", b"api_key"));
    }

    #[test]
    fn contains_empty_needle_ugly() {
        assert!(contains(b"", b""));
        assert!(contains(b"token", b""));
    }
}
