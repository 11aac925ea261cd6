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
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and the position in `name` it is currently standing for.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry after it.
                Some((star_p, star_n)) => {
                    star = Some((star_p, star_n + 1));
                    p = star_p + 1;
                    n = star_n + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
