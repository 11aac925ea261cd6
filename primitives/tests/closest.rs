//! `closest`: the candidate a mistyped name most likely meant.

use corers_primitives::closest;

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
