//! Which names hold secrets: the one list the logger redacts by default, and the `Debug`
//! of [`Options`](crate::Options) and [`Value`](crate::Value) too.

/// Name patterns that hold secrets, as globs (see [`glob_match`](crate::glob_match)): a
/// name matches when, lower-cased and with `-`, `.` and spaces read as `_`, a pattern
/// matches it — or its camelCase words, split by `_` (`privateKey` reads as `private_key`,
/// `SSHKey` as `ssh_key`: see [`camel_words`]).
///
/// `*word*` finds the word anywhere: `*_key*` catches `api_key`, `signing_key`,
/// `aws_access_key_id`, `signingKey`, the config key `tls.key` (and, erring on the safe
/// side, `cache_key`); a name that is just `key` or `keys` is left alone. Run together,
/// `privatekey`, `privkey` and `sessionid` count too, as do JWTs, bearer tokens, wallet
/// mnemonics and session ids under any name holding those words. Short words that
/// are also parts of ordinary words — `pass` (`bypass`, `passive`), `pwd`, `auth`
/// (`author`, `oauth_url`) — count only as the last word of a longer name: `db.pass`,
/// `DB_PWD`, `proxy.auth`, `dbPass`; alone they name other things (a pass number, the
/// shell's working directory, a section of settings). `dsn` counts alone too:
/// `dsn`, `sentry-dsn`.
pub const SECRET_NAME_PATTERNS: &[&str] = &[
    "*token*",
    "*secret*",
    "*password*",
    "*passwd*",
    "*passphrase*",
    "*credential*",
    "*cookie*",
    "*apikey*",
    "*api_key*",
    "*authorization*",
    "*private_key*",
    "*_key*",
    "*privatekey*",
    "*privkey*",
    "*jwt*",
    "*bearer*",
    "*mnemonic*",
    "*session_id*",
    "*sessionid*",
    "*_pass",
    "*_pwd",
    "*_auth",
    "dsn",
    "*_dsn",
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
/// assert!(is_secret_name("DB_PWD"));
/// assert!(!is_secret_name("workspace"));
/// assert!(!is_secret_name("bypass_cache"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    let matches = |name: &str| {
        SECRET_NAME_PATTERNS
            .iter()
            .any(|pattern| crate::glob_match(pattern, name))
    };
    matches(&name.to_lowercase().replace(['-', '.', ' '], "_"))
        || camel_words(name).is_some_and(|n| matches(&n))
}

/// `name`'s camelCase words, lower-cased and joined by `_` (`-`, `.` and spaces read as
/// `_` too), or `None` when it has no camelCase boundary — a lower-case letter or digit
/// followed by an upper-case letter, or an acronym followed by a word (`SSHKey`): the
/// second form secret patterns are matched against, so that `privateKey` is held to
/// `*_key*`.
///
/// ```
/// use corers_primitives::camel_words;
/// assert_eq!(camel_words("accessKeyId").as_deref(), Some("access_key_id"));
/// assert_eq!(camel_words("X-ApiKey").as_deref(), Some("x_api_key"));
/// assert_eq!(camel_words("HMACKey").as_deref(), Some("hmac_key"));
/// assert_eq!(camel_words("GITHUB_TOKEN"), None);
/// ```
pub fn camel_words(name: &str) -> Option<String> {
    let mut words = String::with_capacity(name.len() + 4);
    let mut split = false;
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let after_word = previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
        // The last capital of an acronym starts the next word: `SSHKey` is `SSH` `Key`.
        let after_acronym =
            previous.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase());
        if c.is_uppercase() && (after_word || after_acronym) {
            words.push('_');
            split = true;
        }
        words.extend(c.to_lowercase());
    }
    split.then(|| words.replace(['-', '.', ' '], "_"))
}
