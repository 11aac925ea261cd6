//! [`closest`]: the "did you mean" of every name a user can mistype.

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
