//! [`closest`]: the "did you mean" of every name a user can mistype, and
//! [`did_you_mean`], the hint an error message gives with it.

/// The candidate `typo` is most likely a mistyping of: the nearest by edit distance
/// (insertions, deletions, substitutions; letter case aside, so `--JSON` finds `json`),
/// when it is near enough to be one — at most two
/// edits, or a third of the candidate's length for a long name; the first of equals in
/// candidate order (a candidate equal to `typo`, at no distance, is nearest). `None` when
/// nothing is that near.
///
/// ```
/// use corers_primitives::closest;
/// assert_eq!(closest("paht", ["path", "limit"]), Some("path"));
/// assert_eq!(closest("worksapce", ["workspace", "cache"]), Some("workspace"));
/// assert_eq!(closest("JSON", ["json", "yaml"]), Some("json"));
/// assert_eq!(closest("deploy", ["path", "limit"]), None);
/// ```
pub fn closest<'a>(typo: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typo_len = typo.chars().count();
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let len = candidate.chars().count();
            let near = 2.max(len / 3);
            // The distance is at least the difference in length: a name far longer than
            // any candidate (a megabyte from a caller) costs one count, not a table.
            if typo_len.abs_diff(len) > near {
                return None;
            }
            let d = distance(typo, candidate);
            (d <= near).then_some((d, candidate))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// The hint an error message ends with for `typo`: ` (did you mean "git.push"?)` naming
/// the [`closest`] candidate, or nothing when none is close.
///
/// ```
/// use corers_primitives::did_you_mean;
/// assert_eq!(
///     format!("service \"stroe\" not found{}", did_you_mean("stroe", ["store", "cache"])),
///     r#"service "stroe" not found (did you mean "store"?)"#
/// );
/// assert_eq!(did_you_mean("deploy", ["store"]), "");
/// ```
pub fn did_you_mean<'a>(typo: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(typo, candidates)
        .map(|close| format!(" (did you mean {close:?}?)"))
        .unwrap_or_default()
}

/// The edit distance between `a` and `b`, a letter and its other case counting as equal.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb && !ca.to_lowercase().eq(cb.to_lowercase()));
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}
