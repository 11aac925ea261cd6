//! [`Redactor`]: which field values are never written.

use std::fmt::Write as _;

use corers_primitives::glob_match;

/// The patterns every logger redacts unless told otherwise: the primitives'
/// [`SECRET_NAME_PATTERNS`](corers_primitives::SECRET_NAME_PATTERNS), the same list that
/// [`Options`](corers_primitives::Options) and [`Value`](corers_primitives::Value) redact in
/// their `Debug`. Names are matched with `-`, `.` and spaces read as `_`, so `X-Api-Key`
/// is `x_api_key`;
/// a field named just `key` (a cache key, a config key) is left alone.
pub const DEFAULT_REDACTIONS: &[&str] = corers_primitives::SECRET_NAME_PATTERNS;

/// The text written instead of a redacted value.
pub use corers_primitives::REDACTED;

/// Decides which field names have their values replaced by `[REDACTED]`: names matching
/// any pattern, case-insensitively and with `-`, `.` and spaces read as `_` (in names and
/// patterns alike), where `*` and `?` are globs
/// (see [`glob_match`](corers_primitives::glob_match)); a camelCase name is also tried
/// with its words split by `_` (`privateKey` as `private_key`).
///
/// Whatever the patterns, the password of a URL (`postgres://app:hunter2@db.lan/app`) and
/// the values of its secret query parameters (`?access_token=…`) are replaced by
/// `[REDACTED]` wherever they appear: in messages, values and errors alike.
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
    /// The words of the `*word*` patterns (the usual shape), lower-cased: found in one pass
    /// over a name, trying only the words that begin with the byte at hand.
    words: Vec<String>,
    /// Which bytes begin a word of `words`, as a 256-bit set.
    starts: [u64; 4],
    /// The other patterns, lower-cased, in fast forms where they allow it.
    patterns: Vec<Pattern>,
}

/// A lower-cased pattern other than `*word*`; the usual shapes — `*word`, `word` — are
/// plain suffix and equality tests (checked for every field of every line).
#[derive(Clone, Debug)]
enum Pattern {
    EndsWith(String),
    Equals(String),
    Glob(String),
}

/// Whether `word` has no glob characters in it (and something).
fn plain(word: &str) -> bool {
    !word.is_empty() && !word.contains(['*', '?'])
}

impl Pattern {
    /// `lowered`, a pattern read as names are (lower-cased, `-` as `_`), in its fast form.
    fn new(lowered: String) -> Pattern {
        if let Some(word) = lowered.strip_prefix('*')
            && plain(word)
        {
            return Pattern::EndsWith(word.to_owned());
        }
        if plain(&lowered) {
            return Pattern::Equals(lowered);
        }
        Pattern::Glob(lowered)
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::EndsWith(word) => name.ends_with(word.as_str()),
            Pattern::Equals(word) => name == word,
            Pattern::Glob(glob) => glob_match(glob, name),
        }
    }
}

impl Redactor {
    /// Redacts names matching any of `patterns` (and no other names): for an application
    /// that wants its own list instead of the defaults. To add names to the defaults, use
    /// [`with`](Redactor::with).
    ///
    /// ```
    /// use corers_log::Redactor;
    /// let redactor = Redactor::new(["session_*"]);
    /// assert!(redactor.is_secret("SESSION_ID"));
    /// assert!(!redactor.is_secret("token")); // the defaults are not included
    /// ```
    pub fn new<S: AsRef<str>>(patterns: impl IntoIterator<Item = S>) -> Redactor {
        Redactor {
            words: Vec::new(),
            starts: [0; 4],
            patterns: Vec::new(),
        }
        .with(patterns)
    }

    /// Redacts names matching `patterns` as well as those this redactor already does.
    ///
    /// ```
    /// use corers_log::Redactor;
    /// let redactor = Redactor::default().with(["session_*", "*_pin"]);
    /// assert!(redactor.is_secret("session_id"));
    /// assert!(redactor.is_secret("card_pin"));
    /// assert!(redactor.is_secret("GITHUB_TOKEN")); // the defaults are kept
    /// ```
    #[must_use]
    pub fn with<S: AsRef<str>>(mut self, patterns: impl IntoIterator<Item = S>) -> Redactor {
        for pattern in patterns {
            // Names are matched lower-cased with `-`, `.` and spaces read as `_`: patterns
            // are read the same (`card.pin` names `card_pin`).
            let lowered = pattern
                .as_ref()
                .to_lowercase()
                .replace(['-', '.', ' '], "_");
            match lowered.strip_prefix('*').and_then(|p| p.strip_suffix('*')) {
                Some(word) if plain(word) => {
                    let first = word.as_bytes()[0];
                    self.starts[usize::from(first >> 6)] |= 1 << (first & 63);
                    self.words.push(word.to_owned());
                }
                _ => self.patterns.push(Pattern::new(lowered)),
            }
        }
        self
    }

    /// Whether a word of a `*word*` pattern occurs in `name`: one pass over its bytes,
    /// which for field names (a few bytes, a check per field of every log line) beats a
    /// substring search per word.
    fn holds_a_word(&self, name: &str) -> bool {
        let bytes = name.as_bytes();
        bytes.iter().enumerate().any(|(at, &b)| {
            self.starts[usize::from(b >> 6)] & (1 << (b & 63)) != 0
                && self
                    .words
                    .iter()
                    .any(|word| bytes[at..].starts_with(word.as_bytes()))
        })
    }

    /// Reports whether values of the field `name` must be hidden.
    ///
    /// ```
    /// use corers_log::Redactor;
    /// assert!(Redactor::default().is_secret("Authorization"));
    /// ```
    pub fn is_secret(&self, name: &str) -> bool {
        if self.patterns.is_empty() && self.words.is_empty() {
            return false;
        }
        let matches =
            |name: &str| self.holds_a_word(name) || self.patterns.iter().any(|p| p.matches(name));
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

/// Replaces the password of every URL in `text` (`postgres://app:hunter2@db.lan/app`),
/// and the values of its secret query parameters (`?access_token=…`, `&sig=…`,
/// `X-Amz-Signature=…`: a signed link is a credential), with [`REDACTED`]: a connection
/// string or a link logged whole, in a message, a value or an error, under a field name
/// nobody thought secret (`url`, `error`), never shows them.
pub(crate) fn hide_url_passwords(text: &mut String) {
    /// The most URLs one text is searched for: each costs a scan to the end of its word,
    /// and a word of 30,000 `a://` (a request path an attacker chose) would cost seconds.
    /// Past them, the rest of the text is left out, not shown unsearched.
    const MOST_URLS: usize = 64;
    let is_end = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let mut from = 0;
    let mut urls = 0;
    while let Some(found) = scheme_separator(text, from) {
        urls += 1;
        if urls > MOST_URLS {
            text.truncate(found);
            let _ = write!(text, " [REDACTED: more than {MOST_URLS} URLs]");
            return;
        }
        let start = found + 3;
        // The authority: up to the path, query or fragment, or the end of the word.
        let end = text[start..]
            .find(|c: char| is_end(c) || matches!(c, '/' | '?' | '#'))
            .map_or(text.len(), |at| start + at);
        from = end;
        let authority = &text[start..end];
        let password = authority.rfind('@').and_then(|at_sign| {
            let colon = authority[..at_sign].find(':')?;
            Some(start + colon + 1..start + at_sign)
        });
        if let Some(password) = password
            && !password.is_empty()
            && text[password.clone()] != *REDACTED
        {
            from = password.start + REDACTED.len() + (end - password.end);
            text.replace_range(password, REDACTED);
        }
        let url_end = text[from..].find(is_end).map_or(text.len(), |at| from + at);
        hide_query_secrets(text, from, url_end);
        // On from the authority's end: a URL inside this one's path or query
        // (`?next=postgres://app:…@db`), or after a comma, is looked at too.
    }
}

/// Replaces the values of secret parameters in the query of the URL rest `text[from..end]`
/// (its path, query and fragment).
fn hide_query_secrets(text: &mut String, from: usize, end: usize) {
    let Some(mark) = text[from..end].find('?') else {
        return;
    };
    let start = from + mark + 1;
    let stop = text[start..end].find('#').map_or(end, |at| start + at);
    let mut hidden = String::with_capacity(stop - start);
    let mut changed = false;
    for (i, pair) in text[start..stop].split('&').enumerate() {
        if i > 0 {
            hidden.push('&');
        }
        match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && value != REDACTED && secret_param(name) => {
                hidden.push_str(name);
                hidden.push('=');
                hidden.push_str(REDACTED);
                changed = true;
            }
            _ => hidden.push_str(pair),
        }
    }
    if changed {
        text.replace_range(start..stop, &hidden);
    }
}

/// Whether a query parameter holds a secret: a secret name ([`is_secret_name`]:
/// `access_token`, `password`, `api_key`), or the signature of a signed link (`sig`,
/// `signature`, `X-Amz-Signature`, `X-Goog-Signature`).
///
/// [`is_secret_name`]: corers_primitives::is_secret_name
fn secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    corers_primitives::is_secret_name(name)
        || matches!(
            lower.as_str(),
            "sig" | "signature" | "x-amz-signature" | "x-goog-signature"
        )
}

/// `text` with the password of every URL in it, and the values of its secret query
/// parameters, replaced by [`REDACTED`], for text shown outside the log that may hold a
/// connection string or a signed link (a config dump, a status page); the logger does
/// this to every line itself. A text is searched for 64 URLs at most: what follows the
/// 64th is replaced by `[REDACTED: more than 64 URLs]`.
///
/// ```
/// use corers_log::without_url_passwords;
/// assert_eq!(
///     without_url_passwords("postgres://app:hunter2@db.lan:5432/app"),
///     "postgres://app:[REDACTED]@db.lan:5432/app"
/// );
/// assert_eq!(
///     without_url_passwords("fetch https://cdn.lan/a.tgz?v=2&sig=9f2c&token=t0k#top done"),
///     "fetch https://cdn.lan/a.tgz?v=2&sig=[REDACTED]&token=[REDACTED]#top done"
/// );
/// assert_eq!(without_url_passwords("https://db.lan/app"), "https://db.lan/app");
/// ```
pub fn without_url_passwords(text: &str) -> std::borrow::Cow<'_, str> {
    if !may_hold_url(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut hidden = text.to_owned();
    hide_url_passwords(&mut hidden);
    if hidden == text {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(hidden)
    }
}

/// Whether `text` may hold a URL with a password (the cheap test before copying it).
pub(crate) fn may_hold_url(text: &str) -> bool {
    scheme_separator(text, 0).is_some()
}

/// Where the next `://` begins in `text`, at or after byte `from`: a scan for `:`, of
/// which log text has few, rather than a general substring search and its set-up on every
/// message and value.
fn scheme_separator(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(found) = bytes.get(at..)?.iter().position(|&b| b == b':') {
        let colon = at + found;
        if bytes[colon + 1..].starts_with(b"//") {
            return Some(colon);
        }
        at = colon + 1;
    }
    None
}

impl Default for Redactor {
    /// The [`DEFAULT_REDACTIONS`].
    fn default() -> Self {
        Redactor::new(DEFAULT_REDACTIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::{REDACTED, Redactor, hide_url_passwords};

    proptest::proptest! {
        #[test]
        fn hide_url_passwords_hides_each_and_is_idempotent_ugly(
            before in "[a-z :/@]{0,12}",
            user in "[a-z0-9._-]{0,8}",
            password in "[A-Za-z0-9%!$]{1,12}",
            host in "[a-z0-9.-]{1,12}(:[0-9]{1,5})?",
            after in "(/[a-z:@]{0,8})?( [a-z:/@]{0,12})?",
        ) {
            // (Text after the URL with a URL of its own is the other test's business.)
            proptest::prop_assume!(!after.contains("://"));
            let mut text = format!("{before} redis://{user}:{password}@{host}{after}");
            hide_url_passwords(&mut text);
            let expected = format!("redis://{user}:{REDACTED}@{host}{after}");
            proptest::prop_assert!(text.ends_with(&expected), "{text}");
            let once = text.clone();
            hide_url_passwords(&mut text);
            proptest::prop_assert_eq!(text, once);
        }

        #[test]
        fn hide_url_passwords_leaves_text_without_a_url_alone_good(text in "[a-z :/@%]{0,40}") {
            proptest::prop_assume!(!text.contains("://"));
            let mut hidden = text.clone();
            hide_url_passwords(&mut hidden);
            proptest::prop_assert_eq!(hidden, text);
        }

        #[test]
        fn holds_a_word_agrees_with_str_contains_good(
            hay in "[a-z_.é]{0,12}",
            words in proptest::collection::vec("[a-z_é]{1,4}", 0..4),
        ) {
            let redactor = Redactor::new(words.iter().map(|w| format!("*{w}*")));
            proptest::prop_assert_eq!(
                redactor.holds_a_word(&hay),
                words.iter().any(|w| hay.contains(w.as_str()))
            );
        }
    }

    #[test]
    fn holds_a_word_longer_than_the_name_bad() {
        assert!(!Redactor::new(["*api_key*"]).holds_a_word("key"));
    }

    #[test]
    fn holds_a_word_of_non_ascii_and_at_the_ends_ugly() {
        let redactor = Redactor::new(["*clé*", "*tok*"]);
        assert!(redactor.holds_a_word("clé") && redactor.holds_a_word("api_tok"));
        assert!(!redactor.holds_a_word("") && !redactor.holds_a_word("cl"));
    }
}
