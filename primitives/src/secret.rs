//! Which names hold secrets: the one list the logger redacts by default, and the `Debug`
//! of [`Options`](crate::Options) and [`Value`](crate::Value) too.

/// Name patterns that hold secrets: a name matches when, lower-cased and with `-` read as
/// `_`, it contains the text between the `*`s. `*_key*` catches `api_key`, `signing_key`,
/// `aws_access_key_id` (and, erring on the safe side, `cache_key`); a name that is just
/// `key` is left alone.
pub const SECRET_NAME_PATTERNS: [&str; 9] = [
    "*token*",
    "*secret*",
    "*password*",
    "*passwd*",
    "*apikey*",
    "*api_key*",
    "*authorization*",
    "*private_key*",
    "*_key*",
];

/// The text shown instead of a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// Reports whether `name` looks like it holds a secret (see [`SECRET_NAME_PATTERNS`]).
///
/// ```
/// use corers_primitives::is_secret_name;
/// assert!(is_secret_name("GITHUB_TOKEN"));
/// assert!(is_secret_name("X-Api-Key"));
/// assert!(!is_secret_name("workspace"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_lowercase().replace('-', "_");
    SECRET_NAME_PATTERNS
        .iter()
        .any(|pattern| name.contains(pattern.trim_matches('*')))
}
