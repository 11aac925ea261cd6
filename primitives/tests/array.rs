//! Integration tests for `Array`: order, duplicates, set-like helpers and empty arrays.

use corers_primitives::Array;

fn hosts() -> Array<&'static str> {
    Array::from(vec!["homelab", "studio", "homelab", "backup"])
}

// ---------------------------------------------------------------- Array::new

#[test]
fn array_new_empty_good() {
    let hosts: Array<String> = Array::new();
    assert_eq!((hosts.len(), hosts.is_empty()), (0, true));
}

#[test]
fn array_new_contains_nothing_bad() {
    let hosts: Array<&str> = Array::new();
    assert!(!hosts.contains(&"homelab"));
}

#[test]
fn array_new_equals_default_and_empty_vec_ugly() {
    let made: Array<u8> = Array::new();
    assert_eq!(made, Array::default());
    assert_eq!(made, Array::from(Vec::new()));
}

// ---------------------------------------------------------------- Array::add

#[test]
fn array_add_appends_in_order_good() {
    let mut hosts = Array::from(vec!["homelab"]);
    hosts.add(["studio", "backup"]);
    assert_eq!(hosts.as_slice(), ["homelab", "studio", "backup"]);
}

#[test]
fn array_add_nothing_unchanged_bad() {
    let mut hosts = hosts();
    hosts.add(std::iter::empty());
    assert_eq!(hosts, self::hosts());
}

#[test]
fn array_add_keeps_duplicates_ugly() {
    let mut tags = Array::from(vec!["rust"]);
    tags.add(["rust", "rust"]);
    assert_eq!(tags.as_slice(), ["rust", "rust", "rust"]);
}

#[test]
fn array_add_own_copy_doubles_ugly() {
    let mut hosts = hosts();
    hosts.add(hosts.clone());
    assert_eq!(hosts.len(), 8);
    assert_eq!(hosts.as_slice()[4..], hosts.as_slice()[..4]);
}

// ---------------------------------------------------------------- Array::add_unique

#[test]
fn array_add_unique_skips_present_good() {
    let mut hosts = Array::from(vec!["homelab", "studio"]);
    hosts.add_unique(["studio", "backup"]);
    assert_eq!(hosts.as_slice(), ["homelab", "studio", "backup"]);
}

#[test]
fn array_add_unique_all_present_unchanged_bad() {
    let mut hosts = hosts();
    hosts.add_unique(["backup", "homelab"]);
    assert_eq!(hosts, self::hosts());
}

#[test]
fn array_add_unique_collapses_duplicates_in_one_call_ugly() {
    let mut tags: Array<&str> = Array::new();
    tags.add_unique(["go", "rust", "go", "rust", "go"]);
    assert_eq!(tags.as_slice(), ["go", "rust"]);
}

#[test]
fn array_add_unique_keeps_existing_duplicates_ugly() {
    // Only incoming items are checked: duplicates already present stay.
    let mut hosts = hosts();
    hosts.add_unique(["homelab"]);
    assert_eq!(hosts.as_slice(), ["homelab", "studio", "homelab", "backup"]);
}

#[test]
fn array_add_unique_distinguishes_unicode_forms_ugly() {
    // "é" precomposed and "e" + combining accent are different strings.
    let mut names: Array<String> = Array::new();
    names.add_unique(["caf\u{e9}".to_owned(), "cafe\u{301}".to_owned()]);
    assert_eq!(names.len(), 2);
}

#[test]
fn array_add_unique_nan_never_equal_ugly() {
    // NaN != NaN under PartialEq, so add_unique cannot collapse it.
    let mut readings: Array<f64> = Array::new();
    readings.add_unique([f64::NAN, f64::NAN]);
    assert_eq!(readings.len(), 2);
}

// ---------------------------------------------------------------- Array::contains

#[test]
fn array_contains_present_good() {
    assert!(hosts().contains(&"backup"));
}

#[test]
fn array_contains_missing_bad() {
    assert!(!hosts().contains(&"deploy"));
}

#[test]
fn array_contains_case_and_empty_string_ugly() {
    let hosts = hosts();
    assert!(!hosts.contains(&"HOMELAB") && !hosts.contains(&""));
}

// ---------------------------------------------------------------- Array::filter

#[test]
fn array_filter_returns_new_array_good() {
    let ports = Array::from(vec![80, 8080, 443, 22]);
    let high = ports.filter(|p| *p > 100);
    assert_eq!(high.as_slice(), [8080, 443]);
    assert_eq!(ports.as_slice(), [80, 8080, 443, 22]);
}

#[test]
fn array_filter_nothing_kept_empty_bad() {
    let ports = Array::from(vec![80, 443]);
    assert!(ports.filter(|p| *p > 10_000).is_empty());
}

#[test]
fn array_filter_stateful_closure_called_in_order_ugly() {
    let hosts = hosts();
    let mut seen = Vec::new();
    let every_other = hosts.filter(|h| {
        seen.push(*h);
        seen.len() % 2 == 1
    });
    assert_eq!(seen, hosts.as_slice());
    assert_eq!(every_other.as_slice(), ["homelab", "homelab"]);
}

#[test]
fn array_filter_keeps_duplicates_ugly() {
    assert_eq!(hosts().filter(|h| h.starts_with("home")).len(), 2);
}

// ---------------------------------------------------------------- Array::each

#[test]
fn array_each_visits_in_order_good() {
    let mut seen = Vec::new();
    hosts().each(|h| seen.push(*h));
    assert_eq!(seen, ["homelab", "studio", "homelab", "backup"]);
}

#[test]
fn array_each_empty_never_calls_bad() {
    let mut calls = 0;
    Array::<u8>::new().each(|_| calls += 1);
    assert_eq!(calls, 0);
}

#[test]
fn array_each_zero_sized_items_ugly() {
    let units: Array<()> = std::iter::repeat_n((), 10_000).collect();
    let mut calls = 0;
    units.each(|()| calls += 1);
    assert_eq!(calls, 10_000);
}

// ---------------------------------------------------------------- Array::remove

#[test]
fn array_remove_first_only_good() {
    let mut hosts = hosts();
    assert!(hosts.remove(&"homelab"));
    assert_eq!(hosts.as_slice(), ["studio", "homelab", "backup"]);
}

#[test]
fn array_remove_missing_false_unchanged_bad() {
    let mut hosts = hosts();
    assert!(!hosts.remove(&"deploy"));
    assert_eq!(hosts, self::hosts());
}

#[test]
fn array_remove_from_empty_false_ugly() {
    let mut hosts: Array<&str> = Array::new();
    assert!(!hosts.remove(&"homelab"));
}

#[test]
fn array_remove_repeatedly_until_gone_ugly() {
    let mut hosts = hosts();
    let removed = std::iter::from_fn(|| hosts.remove(&"homelab").then_some(())).count();
    assert_eq!(
        (removed, hosts.as_slice()),
        (2, ["studio", "backup"].as_slice())
    );
}

#[test]
fn array_remove_nan_never_found_ugly() {
    let mut readings = Array::from(vec![1.0, f64::NAN]);
    assert!(!readings.remove(&f64::NAN));
}

// ---------------------------------------------------------------- Array::dedup

#[test]
fn array_dedup_keeps_first_occurrences_in_order_good() {
    let mut tags = Array::from(vec!["b", "a", "b", "c", "a"]);
    tags.dedup();
    assert_eq!(tags.as_slice(), ["b", "a", "c"]);
}

#[test]
fn array_dedup_no_duplicates_unchanged_bad() {
    let mut tags = Array::from(vec!["c", "a", "b"]);
    tags.dedup();
    assert_eq!(tags.as_slice(), ["c", "a", "b"]);
}

#[test]
fn array_dedup_all_same_leaves_one_ugly() {
    let mut tags = Array::from(vec!["rust"; 1_000]);
    tags.dedup();
    assert_eq!(tags.as_slice(), ["rust"]);
}

#[test]
fn array_dedup_empty_stays_empty_ugly() {
    let mut tags: Array<String> = Array::new();
    tags.dedup();
    assert!(tags.is_empty());
}

#[test]
fn array_dedup_non_adjacent_unlike_vec_ugly() {
    // Vec::dedup only drops adjacent repeats; Array::dedup drops all of them.
    let mut tags = Array::from(vec![1, 2, 1, 2]);
    tags.dedup();
    assert_eq!(tags.as_slice(), [1, 2]);
}

// ---------------------------------------------------------------- Array::len

#[test]
fn array_len_counts_duplicates_good() {
    assert_eq!(hosts().len(), 4);
}

#[test]
fn array_len_empty_zero_bad() {
    assert_eq!(Array::<&str>::new().len(), 0);
}

#[test]
fn array_len_after_failed_remove_unchanged_ugly() {
    let mut hosts = hosts();
    hosts.remove(&"deploy");
    assert_eq!(hosts.len(), 4);
}

// ---------------------------------------------------------------- Array::is_empty

#[test]
fn array_is_empty_new_good() {
    assert!(Array::<u8>::new().is_empty());
}

#[test]
fn array_is_empty_with_item_false_bad() {
    assert!(!Array::from(vec![""]).is_empty());
}

#[test]
fn array_is_empty_after_removing_last_ugly() {
    let mut hosts = Array::from(vec!["homelab"]);
    hosts.remove(&"homelab");
    assert!(hosts.is_empty());
}

// ---------------------------------------------------------------- Array::clear

#[test]
fn array_clear_removes_all_good() {
    let mut hosts = hosts();
    hosts.clear();
    assert!(hosts.is_empty());
}

#[test]
fn array_clear_empty_stays_empty_bad() {
    let mut hosts: Array<&str> = Array::new();
    hosts.clear();
    assert_eq!(hosts, Array::new());
}

#[test]
fn array_clear_then_reuse_ugly() {
    let mut hosts = hosts();
    hosts.clear();
    hosts.add_unique(["studio", "studio"]);
    assert_eq!(hosts.as_slice(), ["studio"]);
}

// ---------------------------------------------------------------- Array::as_slice

#[test]
fn array_as_slice_in_order_good() {
    assert_eq!(
        hosts().as_slice(),
        ["homelab", "studio", "homelab", "backup"]
    );
}

#[test]
fn array_as_slice_empty_is_empty_bad() {
    let empty: Array<String> = Array::new();
    assert_eq!(empty.as_slice(), &[] as &[String]);
}

#[test]
fn array_as_slice_after_clear_empty_ugly() {
    let mut hosts = hosts();
    hosts.clear();
    assert!(hosts.as_slice().is_empty());
}
