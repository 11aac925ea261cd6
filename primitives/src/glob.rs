//! [`glob_match`]: the name patterns registries are listed by.

/// Reports whether `name` matches `pattern`, where `*` matches any run of characters
/// (including none, and including `.` and `/`) and `?` matches exactly one character.
/// Every other character matches itself; matching is case-sensitive.
///
/// Runs in `O(pattern × name)` at worst, never backtracks exponentially.
///
/// ```
/// use corers_primitives::glob_match;
/// assert!(glob_match("process.*", "process.run"));
/// assert!(glob_match("*", "git.log"));
/// assert!(!glob_match("process.*", "git.log"));
/// assert!(glob_match("deploy/to/?????*", "deploy/to/homelab"));
/// ```
pub fn glob_match(pattern: &str, name: &str) -> bool {
    // Byte offsets into `pattern` and `name`, always on character boundaries, so matching
    // allocates nothing.
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and the offset in `name` it is currently standing for.
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = name[n..].chars().next() {
        match pattern[p..].chars().next() {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(pc) if pc == '?' || pc == c => {
                p += pc.len_utf8();
                n += c.len_utf8();
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry after it.
                Some((star_p, star_n)) => {
                    let swallowed = name[star_n..].chars().next().map_or(1, char::len_utf8);
                    star = Some((star_p, star_n + swallowed));
                    p = star_p + 1;
                    n = star_n + swallowed;
                }
                None => return false,
            },
        }
    }
    pattern[p..].chars().all(|c| c == '*')
}
