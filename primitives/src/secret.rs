//! Which names hold secrets: the one list the logger redacts by default, and the `Debug`
//! of [`Options`](crate::Options) and [`Value`](crate::Value) too.

/// Name patterns that hold secrets: a name matches when, lower-cased and with `-` and `.`
/// read as `_`, it contains the text between the `*`s — or when its camelCase words, split by `_`,
/// do (`privateKey` reads as `private_key`: see [`camel_words`]). `*_key*` catches
/// `api_key`, `signing_key`, `aws_access_key_id`, `signingKey`, the config key `tls.key`
/// (and, erring on the safe side, `cache_key`); a name that is just `key` is left alone.
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
/// assert!(is_secret_name("tls.key"));
/// assert!(!is_secret_name("workspace"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    let matches = |name: &str| {
        SECRET_NAME_PATTERNS
            .iter()
            .any(|pattern| name.contains(pattern.trim_matches('*')))
    };
    matches(&name.to_lowercase().replace(['-', '.'], "_"))
        || camel_words(name).is_some_and(|n| matches(&n))
}

/// `name`'s camelCase words, lower-cased and joined by `_` (`-` and `.` read as `_` too),
/// or `None` when no lower-case letter or digit is followed by an upper-case letter: the
/// second form secret patterns are matched against, so that `privateKey` is held to
/// `*_key*`.
///
/// ```
/// use corers_primitives::camel_words;
/// assert_eq!(camel_words("accessKeyId").as_deref(), Some("access_key_id"));
/// assert_eq!(camel_words("X-ApiKey").as_deref(), Some("x_api_key"));
/// assert_eq!(camel_words("GITHUB_TOKEN"), None);
/// ```
pub fn camel_words(name: &str) -> Option<String> {
    let mut words = String::with_capacity(name.len() + 4);
    let mut split = false;
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
            words.push('_');
            split = true;
        }
        words.extend(c.to_lowercase());
        previous = Some(c);
    }
    split.then(|| words.replace(['-', '.'], "_"))
}
