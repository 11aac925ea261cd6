//! `closest`: the candidate a mistyped name most likely meant.

use corers_primitives::{closest, did_you_mean};

#[test]
fn closest_finds_the_name_a_typo_meant_good() {
    let flags = ["name", "replicas", "dry-run"];
    assert_eq!(closest("nmae", flags), Some("name"));
    assert_eq!(closest("replcias", flags), Some("replicas"));
    assert_eq!(closest("dryrun", flags), Some("dry-run"));
    // A long name takes a third of its length in edits.
    assert_eq!(
        closest("files-pre-chr", ["files-per-char"]),
        Some("files-per-char")
    );
}

#[test]
fn closest_of_a_name_nothing_is_near_is_none_bad() {
    assert_eq!(closest("deploy", ["name", "replicas"]), None);
    assert_eq!(closest("x", std::iter::empty()), None);
}

#[test]
fn closest_ties_go_to_the_first_and_an_exact_name_wins_ugly() {
    // "cat" is one edit from both: the first listed.
    assert_eq!(closest("cat", ["bat", "car"]), Some("bat"));
    assert_eq!(closest("car", ["bat", "car"]), Some("car"));
    // Characters, not bytes: one edit in a non-ASCII name.
    assert_eq!(closest("zürih", ["zürich"]), Some("zürich"));
    assert_eq!(closest("", ["ab", "abc"]), Some("ab"));
}

#[test]
fn closest_letter_case_is_no_edit_ugly() {
    assert_eq!(closest("JSON", ["yaml", "json"]), Some("json"));
    assert_eq!(closest("Worksapce", ["workspace"]), Some("workspace"));
    assert_eq!(closest("ÉTÉ", ["été", "hiver"]), Some("été"));
}

#[test]
fn did_you_mean_names_the_closest_quoted_good() {
    assert_eq!(
        did_you_mean("git.psuh", ["git.pull", "git.push"]),
        r#" (did you mean "git.push"?)"#
    );
}

#[test]
fn did_you_mean_nothing_close_is_empty_bad() {
    assert_eq!(did_you_mean("deploy", ["git.push", "cache"]), "");
    assert_eq!(did_you_mean("deploy", []), "");
}

#[test]
fn did_you_mean_quotes_a_hostile_candidate_escaped_ugly() {
    // A candidate that came from a file: shown escaped, as the message's other names are.
    assert_eq!(
        did_you_mean("stor", ["store\u{7}"]),
        r#" (did you mean "store\u{7}"?)"#
    );
}
