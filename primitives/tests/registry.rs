//! Integration tests for `Registry` and `Snapshot`: order, modes, enable/disable, errors.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Mode, Registry};

/// Everything a caller can observe about a registry, for "state unchanged" checks.
type State = (Mode, Vec<(String, i32, bool)>);

fn state(reg: &Registry<i32>) -> State {
    let entries = reg
        .names()
        .into_iter()
        .map(|name| {
            let value = *reg.get(&name).unwrap();
            let enabled = reg.is_enabled(&name);
            (name, value, enabled)
        })
        .collect();
    (reg.mode(), entries)
}

/// A registry of services holding `brain`, `config` and `cache`, in that order.
fn services() -> Registry<i32> {
    let reg = Registry::new("services");
    reg.set("brain", 1).unwrap();
    reg.set("config", 2).unwrap();
    reg.set("cache", 3).unwrap();
    reg
}

fn actions() -> Registry<i32> {
    let reg = Registry::new("actions");
    reg.set_many([
        ("process.run", 1),
        ("git.log", 2),
        ("process.kill", 3),
        ("git.push", 4),
    ])
    .unwrap();
    reg
}

/// Asserts that `err` carries `code` and that its text names the registry and the key.
fn assert_error(err: &Error, code: &ErrorCode, registry: &str, key: &str) {
    assert_eq!(err.code(), Some(code), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("registry {registry:?}")),
        "{text:?} does not name registry {registry:?}"
    );
    assert!(
        text.contains(&format!("{key:?}")),
        "{text:?} does not name key {key:?}"
    );
}

fn each_names(reg: &Registry<i32>) -> Vec<String> {
    let mut seen = Vec::new();
    reg.each(|name, _| seen.push(name.to_owned()));
    seen
}

// ---------------------------------------------------------------- Registry::new

#[test]
fn registry_new_open_and_empty_good() {
    let reg: Registry<i32> = Registry::new("services");
    assert_eq!(
        (reg.mode(), reg.len(), reg.names()),
        (Mode::Open, 0, Vec::<String>::new())
    );
}

#[test]
fn registry_new_lookup_finds_nothing_bad() {
    let reg: Registry<i32> = Registry::new("services");
    let err = reg.lookup("brain").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "services", "brain");
}

#[test]
fn registry_new_hostile_name_escaped_in_errors_ugly() {
    let reg: Registry<i32> = Registry::new("svc\"\n\u{0}");
    let err = reg.lookup("brain").unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n') && !text.contains('\0'), "{text:?}");
    assert!(text.contains(r#"registry "svc\"\n\0""#), "{text:?}");
}

// ---------------------------------------------------------------- Registry::name

#[test]
fn registry_name_returns_given_name_good() {
    let reg: Registry<i32> = Registry::new(String::from("commands"));
    assert_eq!(reg.name(), "commands");
}

#[test]
fn registry_name_appears_in_refusal_bad() {
    let reg = services();
    reg.lock();
    let err = reg.set("brain", 9).unwrap_err();
    assert!(
        err.to_string().contains(&format!("{:?}", reg.name())),
        "{err}"
    );
}

#[test]
fn registry_name_empty_and_unicode_kept_verbatim_ugly() {
    let empty: Registry<i32> = Registry::new("");
    let unicode: Registry<i32> = Registry::new("サービス·ψ");
    assert_eq!((empty.name(), unicode.name()), ("", "サービス·ψ"));
}

// ---------------------------------------------------------------- Registry::set

#[test]
fn registry_set_appends_in_order_good() {
    let reg = services();
    assert_eq!(reg.names(), ["brain", "config", "cache"]);
}

#[test]
fn registry_set_replace_keeps_position_good() {
    let reg = services();
    reg.set("brain", 10).unwrap();
    assert_eq!(
        state(&reg).1,
        [
            ("brain".to_owned(), 10, true),
            ("config".to_owned(), 2, true),
            ("cache".to_owned(), 3, true),
        ]
    );
}

#[test]
fn registry_set_replace_keeps_disabled_state_good() {
    let reg = services();
    reg.disable("config").unwrap();
    reg.set("config", 20).unwrap();
    assert_eq!(
        (*reg.get("config").unwrap(), reg.is_enabled("config")),
        (20, false)
    );
}

#[test]
fn registry_set_sealed_updates_existing_good() {
    let reg = services();
    reg.seal();
    reg.set("cache", 30).unwrap();
    assert_eq!(*reg.get("cache").unwrap(), 30);
}

#[test]
fn registry_set_empty_name_bad() {
    let reg = services();
    let err = reg.set("", 9).unwrap_err();
    assert_error(&err, &ErrorCode::INVALID, "services", "");
}

#[test]
fn registry_set_control_char_name_bad() {
    let reg = services();
    let before = state(&reg);
    let err = reg.set("git\nlog", 9).unwrap_err();
    assert_error(&err, &ErrorCode::INVALID, "services", "git\nlog");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_sealed_new_name_bad() {
    let reg = services();
    reg.seal();
    let before = state(&reg);
    let err = reg.set("queue", 9).unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "queue");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_locked_existing_name_bad() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    let err = reg.set("brain", 9).unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "brain");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_nul_and_del_names_invalid_ugly() {
    let reg = services();
    for name in ["brain\0", "\u{7f}", "\u{85}next-line", "\t"] {
        let err = reg.set(name, 9).unwrap_err();
        assert_error(&err, &ErrorCode::INVALID, "services", name);
    }
    assert_eq!(reg.len(), 3);
}

#[test]
fn registry_set_surrounding_whitespace_invalid_ugly() {
    let reg: Registry<i32> = Registry::new("services");
    for name in [" ", " brain", "brain\u{a0}"] {
        let err = reg.set(name, 1).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name:?}");
        assert!(err.message().contains("leading or trailing whitespace"));
    }
    assert!(reg.is_empty());
}

#[test]
fn registry_set_unicode_and_long_names_accepted_ugly() {
    let reg: Registry<i32> = Registry::new("services");
    let long = "x".repeat(100_000);
    reg.set("日本.サービス", 1).unwrap();
    reg.set(&long, 2).unwrap();
    assert_eq!(reg.names(), ["日本.サービス", long.as_str()]);
}

#[test]
fn registry_set_error_messages_snapshot_ugly() {
    let reg = services();
    insta::assert_snapshot!(
        "registry_set_invalid_control",
        reg.set("git\tlog", 0).unwrap_err().to_string()
    );
    insta::assert_snapshot!(
        "registry_set_invalid_empty",
        reg.set("", 0).unwrap_err().to_string()
    );
    reg.seal();
    insta::assert_snapshot!(
        "registry_set_sealed_new",
        reg.set("queue", 0).unwrap_err().to_string()
    );
    reg.lock();
    insta::assert_snapshot!(
        "registry_set_locked_existing",
        reg.set("brain", 0).unwrap_err().to_string()
    );
}

// ---------------------------------------------------------------- Registry::set_many

#[test]
fn registry_set_many_stores_all_in_order_good() {
    let reg = actions();
    assert_eq!(
        reg.names(),
        ["process.run", "git.log", "process.kill", "git.push"]
    );
}

#[test]
fn registry_set_many_one_invalid_stores_none_bad() {
    let reg = services();
    let before = state(&reg);
    let err = reg
        .set_many([("brain", 10), ("queue", 4), ("", 5), ("mail", 6)])
        .unwrap_err();
    assert_error(&err, &ErrorCode::INVALID, "services", "");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_many_sealed_one_new_name_stores_none_bad() {
    let reg = services();
    reg.seal();
    let before = state(&reg);
    let err = reg
        .set_many([("brain", 10), ("queue", 4), ("cache", 30)])
        .unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "queue");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_many_locked_bad() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    let err = reg.set_many([("brain", 10), ("config", 20)]).unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "brain");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_many_duplicate_in_one_call_last_wins_ugly() {
    let reg: Registry<i32> = Registry::new("ports");
    reg.set_many([("http", 80), ("https", 443), ("http", 8080)])
        .unwrap();
    assert_eq!(
        state(&reg).1,
        [
            ("http".to_owned(), 8080, true),
            ("https".to_owned(), 443, true)
        ]
    );
}

#[test]
fn registry_set_many_empty_on_locked_ugly() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    // Nothing to refuse: an empty batch succeeds even on a locked registry.
    reg.set_many(std::iter::empty()).unwrap();
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_set_many_panicking_iterator_keeps_registry_usable_ugly() {
    let reg = services();
    let before = state(&reg);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _ = reg.set_many(
            [("queue", 4), ("mail", 5)]
                .into_iter()
                .map(|(name, value)| {
                    assert!(name != "mail", "iterator gave up");
                    (name, value)
                }),
        );
    }));
    assert!(panicked.is_err());
    assert_eq!(state(&reg), before);
    reg.set("queue", 4).unwrap();
    assert_eq!(reg.len(), 4);
}

/// The entries iterator of `set_many` is user code, and it runs while the registry's writer
/// lock is held: a write to the same registry from inside it never returns.
#[test]
fn registry_set_many_reentrant_write_from_iterator_ugly() {
    let reg = Arc::new(services());
    let (done, finished) = mpsc::channel();
    let inner = Arc::clone(&reg);
    thread::spawn(move || {
        let result = inner.set_many([("queue", 4)].into_iter().map(|(name, value)| {
            let _ = inner.set("mail", 5);
            (name, value)
        }));
        let _ = done.send(result.is_ok());
    });
    let outcome = finished.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        outcome,
        Ok(true),
        "set_many deadlocked on a re-entrant write"
    );
}

/// A value whose `Drop` writes to the registry that held it (a handler unregistering its
/// helpers, say).
struct Unregisters(std::sync::Weak<Registry<Unregisters>>);

impl Drop for Unregisters {
    fn drop(&mut self) {
        if let Some(reg) = self.0.upgrade() {
            let _ = reg.set("dropped", Unregisters(std::sync::Weak::new()));
        }
    }
}

/// Replacing a value publishes a new snapshot while the writer lock is held; when that frees
/// the old snapshot, the replaced value's `Drop` runs under the lock, and a write from it
/// never returns.
#[test]
fn registry_set_replaced_value_drop_writes_ugly() {
    let reg = Arc::new(Registry::new("handlers"));
    reg.set("brain", Unregisters(Arc::downgrade(&reg))).unwrap();
    let (done, finished) = mpsc::channel();
    let inner = Arc::clone(&reg);
    thread::spawn(move || {
        let result = inner.set("brain", Unregisters(std::sync::Weak::new()));
        let _ = done.send(result.is_ok());
    });
    let outcome = finished.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        outcome,
        Ok(true),
        "set deadlocked in the replaced value's Drop"
    );
}

/// A removed value this thread last read lives on in its snapshot: a refused write whose
/// error names the closest entry must not free it under the writer lock (its `Drop` writes).
#[test]
fn registry_disable_missing_name_after_a_delete_read_here_ugly() {
    let reg = Arc::new(Registry::new("handlers"));
    let (done, finished) = mpsc::channel();
    let inner = Arc::clone(&reg);
    thread::spawn(move || {
        inner
            .set("brain", Unregisters(Arc::downgrade(&inner)))
            .unwrap();
        // This thread's copy of the snapshot now holds "brain"...
        assert!(inner.get("brain").is_some());
        // ...and, once deleted, the last reference to it.
        inner.delete("brain").unwrap();
        let refused = inner.disable("missing");
        let _ = done.send(refused.map_err(|err| err.code().cloned()));
    });
    let outcome = finished.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        outcome,
        Ok(Err(Some(ErrorCode::NOT_FOUND))),
        "disable deadlocked in the removed value's Drop"
    );
}

/// A name given twice in one batch: the first value is displaced inside the batch, and its
/// `Drop` (which writes to the registry) must run after the writer lock is released.
#[test]
fn registry_set_many_duplicate_whose_drop_writes_ugly() {
    let reg = Arc::new(Registry::new("handlers"));
    let (done, finished) = mpsc::channel();
    let inner = Arc::clone(&reg);
    thread::spawn(move || {
        let result = inner.set_many([
            ("brain", Unregisters(Arc::downgrade(&inner))),
            ("brain", Unregisters(std::sync::Weak::new())),
        ]);
        let _ = done.send(result.is_ok());
    });
    let outcome = finished.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        outcome,
        Ok(true),
        "set_many deadlocked in the displaced value's Drop"
    );
    assert_eq!(reg.names(), ["brain", "dropped"]);
}

// ---------------------------------------------------------------- Registry::register

#[test]
fn registry_register_new_name_good() {
    let reg = services();
    reg.register("queue", 4).unwrap();
    assert_eq!(reg.names(), ["brain", "config", "cache", "queue"]);
}

#[test]
fn registry_register_duplicate_conflict_bad() {
    let reg = services();
    let before = state(&reg);
    let err = reg.register("brain", 10).unwrap_err();
    assert_error(&err, &ErrorCode::CONFLICT, "services", "brain");
    assert_eq!(state(&reg), before);
    insta::assert_snapshot!("registry_register_duplicate", err.to_string());
}

#[test]
fn registry_register_sealed_bad() {
    let reg = services();
    reg.seal();
    let err = reg.register("queue", 4).unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "queue");
    assert!(!reg.has("queue"));
}

#[test]
fn registry_register_locked_bad() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    let err = reg.register("queue", 4).unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "queue");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_register_empty_name_bad() {
    let reg = services();
    let err = reg.register("", 4).unwrap_err();
    assert_error(&err, &ErrorCode::INVALID, "services", "");
}

#[test]
fn registry_register_duplicate_of_disabled_entry_ugly() {
    let reg = services();
    reg.disable("cache").unwrap();
    let err = reg.register("cache", 30).unwrap_err();
    assert_error(&err, &ErrorCode::CONFLICT, "services", "cache");
    assert_eq!(*reg.get("cache").unwrap(), 3);
}

#[test]
fn registry_register_control_char_name_ugly() {
    let reg = services();
    let err = reg.register("brain\u{1b}[31m", 4).unwrap_err();
    assert_error(&err, &ErrorCode::INVALID, "services", "brain\u{1b}[31m");
    assert_eq!(reg.len(), 3);
}

// ---------------------------------------------------------------- Registry::get

#[test]
fn registry_get_present_good() {
    let reg = services();
    assert_eq!(reg.get("config").as_deref(), Some(&2));
}

#[test]
fn registry_get_unknown_none_bad() {
    let reg = services();
    assert!(reg.get("queue").is_none());
}

#[test]
fn registry_get_sees_disabled_entry_ugly() {
    let reg = services();
    reg.disable("brain").unwrap();
    assert_eq!(reg.get("brain").as_deref(), Some(&1));
}

#[test]
fn registry_get_empty_and_pattern_names_none_ugly() {
    let reg = actions();
    assert!(reg.get("").is_none());
    assert!(reg.get("process.*").is_none());
}

// ---------------------------------------------------------------- Registry::lookup

#[test]
fn registry_lookup_enabled_good() {
    let reg = services();
    assert_eq!(*reg.lookup("cache").unwrap(), 3);
}

#[test]
fn registry_lookup_unknown_not_found_bad() {
    let reg = services();
    let err = reg.lookup("queue").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "services", "queue");
    insta::assert_snapshot!("registry_lookup_unknown", err.to_string());
}

#[test]
fn registry_lookup_misspelt_names_the_closest_bad() {
    let reg = actions();
    let err = reg.lookup("git.psuh").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "actions", "git.psuh");
    insta::assert_snapshot!(err.message(), @r#"registry "actions": "git.psuh" not found (did you mean "git.push"?)"#);
    // Nothing close: no hint.
    let err = reg.lookup("deploy.rollback").unwrap_err();
    assert!(!err.message().contains("did you mean"), "{err}");
    // A disabled name is not offered (it would be refused too), and a name a megabyte long
    // is answered at once, shown by its first 64 characters.
    reg.disable("git.push").unwrap();
    assert!(
        !reg.lookup("git.psuh")
            .unwrap_err()
            .message()
            .contains("did you mean")
    );
    let huge = "g".repeat(1 << 20);
    let err = reg.lookup(&huge).unwrap_err();
    assert!(err.message().len() < 200, "{}", err.message().len());
}

#[test]
fn registry_lookup_disabled_unavailable_bad() {
    let reg = actions();
    reg.disable("git.push").unwrap();
    let err = reg.lookup("git.push").unwrap_err();
    assert_error(&err, &ErrorCode::UNAVAILABLE, "actions", "git.push");
    insta::assert_snapshot!("registry_lookup_disabled", err.to_string());
}

#[test]
fn registry_lookup_empty_name_not_found_ugly() {
    let reg = services();
    let err = reg.lookup("").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "services", "");
}

#[test]
fn registry_lookup_pattern_is_not_expanded_ugly() {
    let reg = actions();
    let err = reg.lookup("process.*").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "actions", "process.*");
}

// ---------------------------------------------------------------- Registry::has

#[test]
fn registry_has_present_good() {
    assert!(services().has("brain"));
}

#[test]
fn registry_has_deleted_false_bad() {
    let reg = services();
    reg.delete("brain").unwrap();
    assert!(!reg.has("brain"));
}

#[test]
fn registry_has_disabled_true_ugly() {
    let reg = services();
    reg.disable("brain").unwrap();
    assert!(reg.has("brain"));
}

#[test]
fn registry_has_case_sensitive_ugly() {
    let reg = services();
    assert!(!reg.has("Brain") && !reg.has("BRAIN"));
}

// ---------------------------------------------------------------- Registry::names

#[test]
fn registry_names_insertion_order_good() {
    let reg: Registry<i32> = Registry::new("services");
    for name in ["zeta", "alpha", "mid"] {
        reg.set(name, 0).unwrap();
    }
    assert_eq!(reg.names(), ["zeta", "alpha", "mid"]);
}

#[test]
fn registry_names_after_delete_keeps_order_good() {
    let reg = services();
    reg.delete("brain").unwrap();
    reg.set("queue", 4).unwrap();
    assert_eq!(reg.names(), ["config", "cache", "queue"]);
}

#[test]
fn registry_names_refused_write_leaves_names_bad() {
    let reg = services();
    reg.seal();
    let _ = reg.set("queue", 4);
    assert_eq!(reg.names(), ["brain", "config", "cache"]);
}

#[test]
fn registry_names_include_disabled_ugly() {
    let reg = services();
    reg.disable("config").unwrap();
    assert_eq!(reg.names(), ["brain", "config", "cache"]);
}

#[test]
fn registry_names_delete_then_readd_moves_to_end_ugly() {
    let reg = services();
    reg.delete("brain").unwrap();
    reg.set("brain", 1).unwrap();
    assert_eq!(reg.names(), ["config", "cache", "brain"]);
}

// ---------------------------------------------------------------- Registry::len

#[test]
fn registry_len_counts_entries_good() {
    assert_eq!(services().len(), 3);
}

#[test]
fn registry_len_unchanged_by_refused_write_bad() {
    let reg = services();
    let _ = reg.set("", 4);
    let _ = reg.register("brain", 4);
    assert_eq!(reg.len(), 3);
}

#[test]
fn registry_len_counts_disabled_and_replacements_once_ugly() {
    let reg = services();
    reg.disable("brain").unwrap();
    reg.set("config", 20).unwrap();
    assert_eq!(reg.len(), 3);
}

// ---------------------------------------------------------------- Registry::is_empty

#[test]
fn registry_is_empty_new_good() {
    assert!(Registry::<i32>::new("services").is_empty());
}

#[test]
fn registry_is_empty_with_entry_false_bad() {
    assert!(!services().is_empty());
}

#[test]
fn registry_is_empty_after_deleting_all_ugly() {
    let reg = services();
    for name in reg.names() {
        reg.delete(&name).unwrap();
    }
    assert!(reg.is_empty());
}

#[test]
fn registry_is_empty_all_disabled_false_ugly() {
    let reg = services();
    for name in reg.names() {
        reg.disable(&name).unwrap();
    }
    assert!(!reg.is_empty());
}

// ---------------------------------------------------------------- Registry::list

#[test]
fn registry_list_pattern_in_order_good() {
    assert_eq!(actions().list("process.*"), ["process.run", "process.kill"]);
}

#[test]
fn registry_list_no_match_empty_bad() {
    assert!(actions().list("deploy.*").is_empty());
}

#[test]
fn registry_list_skips_disabled_ugly() {
    let reg = actions();
    reg.disable("process.run").unwrap();
    assert_eq!(reg.list("*"), ["git.log", "process.kill", "git.push"]);
}

#[test]
fn registry_list_empty_pattern_matches_nothing_ugly() {
    assert!(actions().list("").is_empty());
}

#[test]
fn registry_list_after_replace_keeps_order_ugly() {
    let reg = actions();
    reg.set("process.run", 10).unwrap();
    assert_eq!(reg.list("process.*"), ["process.run", "process.kill"]);
}

// ---------------------------------------------------------------- Registry::each

#[test]
fn registry_each_visits_in_order_good() {
    let reg = services();
    let mut seen = Vec::new();
    reg.each(|name, value| seen.push(format!("{name}={value}")));
    assert_eq!(seen, ["brain=1", "config=2", "cache=3"]);
}

#[test]
fn registry_each_skips_disabled_bad() {
    let reg = services();
    reg.disable("config").unwrap();
    assert_eq!(each_names(&reg), ["brain", "cache"]);
}

#[test]
fn registry_each_on_empty_never_calls_bad() {
    let reg: Registry<i32> = Registry::new("services");
    let mut calls = 0;
    reg.each(|_, _| calls += 1);
    assert_eq!(calls, 0);
}

#[test]
fn registry_each_reentrant_write_not_seen_ugly() {
    let reg = services();
    let mut seen = Vec::new();
    reg.each(|name, _| {
        seen.push(name.to_owned());
        reg.set(&format!("{name}.copy"), 0).unwrap();
    });
    assert_eq!(seen, ["brain", "config", "cache"]);
    assert_eq!(
        reg.names(),
        [
            "brain",
            "config",
            "cache",
            "brain.copy",
            "config.copy",
            "cache.copy"
        ]
    );
}

#[test]
fn registry_each_reentrant_delete_still_visits_all_ugly() {
    let reg = services();
    let mut seen = Vec::new();
    reg.each(|name, _| {
        seen.push(name.to_owned());
        if name == "brain" {
            reg.delete("cache").unwrap();
        }
    });
    assert_eq!(seen, ["brain", "config", "cache"]);
    assert!(!reg.has("cache"));
}

#[test]
fn registry_each_after_replace_and_delete_keeps_order_ugly() {
    let reg = services();
    reg.set("brain", 10).unwrap();
    reg.delete("config").unwrap();
    reg.set("queue", 4).unwrap();
    assert_eq!(each_names(&reg), ["brain", "cache", "queue"]);
}

#[test]
fn registry_each_panicking_visitor_leaves_registry_usable_ugly() {
    let reg = services();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        reg.each(|name, _| assert!(name != "config", "visitor gave up"));
    }));
    assert!(panicked.is_err());
    reg.set("queue", 4).unwrap();
    assert_eq!(reg.len(), 4);
}

// ---------------------------------------------------------------- Registry::delete

#[test]
fn registry_delete_returns_value_good() {
    let reg = services();
    assert_eq!(*reg.delete("config").unwrap(), 2);
    assert_eq!(reg.names(), ["brain", "cache"]);
}

#[test]
fn registry_delete_unknown_not_found_bad() {
    let reg = services();
    let before = state(&reg);
    let err = reg.delete("queue").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "services", "queue");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_delete_sealed_bad() {
    let reg = services();
    reg.seal();
    let before = state(&reg);
    let err = reg.delete("brain").unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "brain");
    assert_eq!(state(&reg), before);
    insta::assert_snapshot!("registry_delete_sealed", err.to_string());
}

#[test]
fn registry_delete_locked_bad() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    let err = reg.delete("cache").unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "cache");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_delete_twice_not_found_ugly() {
    let reg = services();
    reg.delete("brain").unwrap();
    let err = reg.delete("brain").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "services", "brain");
}

#[test]
fn registry_delete_disabled_entry_ugly() {
    let reg = services();
    reg.disable("brain").unwrap();
    assert_eq!(*reg.delete("brain").unwrap(), 1);
    assert_eq!(reg.names(), ["config", "cache"]);
}

#[test]
fn registry_delete_keeps_later_entries_reachable_ugly() {
    let reg = services();
    reg.delete("brain").unwrap();
    assert_eq!(
        (reg.get("config").as_deref(), reg.get("cache").as_deref()),
        (Some(&2), Some(&3))
    );
}

// ---------------------------------------------------------------- Registry::disable

#[test]
fn registry_disable_hides_from_lookup_good() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    assert_eq!(
        reg.lookup("git.log").unwrap_err().code(),
        Some(&ErrorCode::UNAVAILABLE)
    );
}

#[test]
fn registry_disable_sealed_allowed_good() {
    let reg = actions();
    reg.seal();
    reg.disable("git.log").unwrap();
    assert!(!reg.is_enabled("git.log"));
}

#[test]
fn registry_disable_unknown_not_found_bad() {
    let reg = actions();
    let err = reg.disable("deploy").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "actions", "deploy");
}

#[test]
fn registry_disable_locked_bad() {
    let reg = services();
    reg.lock();
    let before = state(&reg);
    let err = reg.disable("brain").unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "services", "brain");
    assert_eq!(state(&reg), before);
    insta::assert_snapshot!("registry_disable_locked", err.to_string());
}

#[test]
fn registry_disable_twice_harmless_ugly() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    reg.disable("git.log").unwrap();
    assert_eq!(reg.list("git.*"), ["git.push"]);
}

#[test]
fn registry_disable_empty_name_not_found_ugly() {
    let reg = actions();
    let err = reg.disable("").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "actions", "");
}

// ---------------------------------------------------------------- Registry::enable

#[test]
fn registry_enable_restores_lookup_good() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    reg.enable("git.log").unwrap();
    assert_eq!(*reg.lookup("git.log").unwrap(), 2);
}

#[test]
fn registry_enable_sealed_allowed_good() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    reg.seal();
    reg.enable("git.log").unwrap();
    assert!(reg.is_enabled("git.log"));
}

#[test]
fn registry_enable_unknown_not_found_bad() {
    let reg = actions();
    let err = reg.enable("deploy").unwrap_err();
    assert_error(&err, &ErrorCode::NOT_FOUND, "actions", "deploy");
}

#[test]
fn registry_enable_locked_bad() {
    let reg = actions();
    reg.disable("git.push").unwrap();
    reg.lock();
    let before = state(&reg);
    let err = reg.enable("git.push").unwrap_err();
    assert_error(&err, &ErrorCode::LOCKED, "actions", "git.push");
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_enable_twice_harmless_ugly() {
    let reg = actions();
    reg.enable("git.log").unwrap();
    reg.enable("git.log").unwrap();
    assert_eq!(reg.list("git.*"), ["git.log", "git.push"]);
}

#[test]
fn registry_enable_restores_original_position_ugly() {
    let reg = actions();
    reg.disable("process.run").unwrap();
    reg.enable("process.run").unwrap();
    assert_eq!(reg.list("process.*"), ["process.run", "process.kill"]);
}

// ---------------------------------------------------------------- Registry::is_enabled

#[test]
fn registry_is_enabled_new_entry_good() {
    assert!(actions().is_enabled("git.log"));
}

#[test]
fn registry_is_enabled_unknown_false_bad() {
    assert!(!actions().is_enabled("deploy"));
}

#[test]
fn registry_is_enabled_disabled_false_bad() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    assert!(!reg.is_enabled("git.log"));
}

#[test]
fn registry_is_enabled_readded_after_delete_ugly() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    reg.delete("git.log").unwrap();
    reg.set("git.log", 2).unwrap();
    assert!(reg.is_enabled("git.log"));
}

// ---------------------------------------------------------------- Registry::seal

#[test]
fn registry_seal_sets_sealed_good() {
    let reg = services();
    reg.seal();
    assert_eq!(reg.mode(), Mode::Sealed);
}

#[test]
fn registry_seal_refuses_register_bad() {
    let reg = services();
    reg.seal();
    let err = reg.register("queue", 4).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    insta::assert_snapshot!("registry_register_sealed", err.to_string());
}

#[test]
fn registry_seal_after_lock_stays_locked_ugly() {
    let reg = services();
    reg.lock();
    reg.seal();
    assert_eq!(reg.mode(), Mode::Locked);
}

#[test]
fn registry_seal_twice_keeps_entries_ugly() {
    let reg = services();
    let before = state(&reg).1;
    reg.seal();
    reg.seal();
    assert_eq!((reg.mode(), state(&reg).1), (Mode::Sealed, before));
}

// ---------------------------------------------------------------- Registry::lock

#[test]
fn registry_lock_sets_locked_good() {
    let reg = services();
    reg.lock();
    assert_eq!(reg.mode(), Mode::Locked);
}

#[test]
fn registry_lock_reads_still_work_good() {
    let reg = services();
    reg.lock();
    assert_eq!(
        (*reg.lookup("brain").unwrap(), reg.list("c*")),
        (1, vec!["config".to_owned(), "cache".to_owned()])
    );
}

#[test]
fn registry_lock_refuses_every_write_bad() {
    let reg = services();
    reg.disable("cache").unwrap();
    reg.lock();
    let before = state(&reg);
    let refusals = [
        reg.set("brain", 10).unwrap_err(),
        reg.set("queue", 4).unwrap_err(),
        reg.set_many([("config", 20)]).unwrap_err(),
        reg.register("queue", 4).unwrap_err(),
        reg.delete("brain").map(|_| ()).unwrap_err(),
        reg.disable("brain").unwrap_err(),
        reg.enable("cache").unwrap_err(),
    ];
    for err in &refusals {
        assert_eq!(err.code(), Some(&ErrorCode::LOCKED), "{err}");
        assert!(err.to_string().contains("is locked"), "{err}");
    }
    assert_eq!(state(&reg), before);
}

#[test]
fn registry_lock_unknown_name_reports_not_found_ugly() {
    // On a locked registry a missing name is reported as missing, not as locked.
    let reg = services();
    reg.lock();
    assert_eq!(
        (
            reg.delete("queue").unwrap_err().code(),
            reg.disable("queue").unwrap_err().code(),
        ),
        (Some(&ErrorCode::NOT_FOUND), Some(&ErrorCode::NOT_FOUND))
    );
}

#[test]
fn registry_lock_invalid_name_reports_invalid_ugly() {
    // Name validation comes before the mode check.
    let reg = services();
    reg.lock();
    assert_eq!(
        reg.set("", 0).unwrap_err().code(),
        Some(&ErrorCode::INVALID)
    );
}

#[test]
fn registry_lock_on_sealed_and_twice_ugly() {
    let reg = services();
    reg.seal();
    reg.lock();
    reg.lock();
    assert_eq!(reg.mode(), Mode::Locked);
}

// ---------------------------------------------------------------- Registry::mode

#[test]
fn registry_mode_tightens_open_sealed_locked_good() {
    let reg = services();
    let mut modes = vec![reg.mode()];
    reg.seal();
    modes.push(reg.mode());
    reg.lock();
    modes.push(reg.mode());
    assert_eq!(modes, [Mode::Open, Mode::Sealed, Mode::Locked]);
}

#[test]
fn registry_mode_unchanged_by_refused_write_bad() {
    let reg = services();
    reg.seal();
    let _ = reg.delete("brain");
    let _ = reg.set("queue", 4);
    assert_eq!(reg.mode(), Mode::Sealed);
}

#[test]
fn registry_mode_never_loosens_ugly() {
    let reg = services();
    let mut modes = Vec::new();
    for step in ["lock", "seal", "seal", "lock", "seal"] {
        if step == "lock" {
            reg.lock();
        } else {
            reg.seal();
        }
        modes.push(reg.mode());
    }
    assert!(modes.iter().all(|&m| m == Mode::Locked), "{modes:?}");
}

#[test]
fn registry_mode_concurrent_seal_and_lock_ends_locked_ugly() {
    let reg = Arc::new(services());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let reg = Arc::clone(&reg);
            thread::spawn(move || {
                for _ in 0..100 {
                    if i % 2 == 0 {
                        reg.seal();
                    } else {
                        reg.lock();
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(reg.mode(), Mode::Locked);
}

// ---------------------------------------------------------------- Registry::snapshot

#[test]
fn registry_snapshot_reflects_current_good() {
    let reg = services();
    let snap = reg.snapshot();
    assert_eq!((snap.names(), snap.mode()), (reg.names(), Mode::Open));
}

#[test]
fn registry_snapshot_ignores_later_writes_bad() {
    let reg = services();
    let snap = reg.snapshot();
    reg.set("brain", 10).unwrap();
    reg.set("queue", 4).unwrap();
    reg.delete("config").unwrap();
    reg.disable("cache").unwrap();
    reg.lock();
    assert_eq!(
        (
            snap.names(),
            snap.get("brain").as_deref(),
            snap.is_enabled("cache"),
            snap.mode()
        ),
        (
            vec!["brain".to_owned(), "config".to_owned(), "cache".to_owned()],
            Some(&1),
            true,
            Mode::Open
        )
    );
}

#[test]
fn registry_snapshot_outlives_registry_ugly() {
    let reg = services();
    let snap = reg.snapshot();
    drop(reg);
    assert_eq!(snap.get("cache").as_deref(), Some(&3));
}

#[test]
fn registry_snapshot_unaffected_by_failed_batch_ugly() {
    let reg = services();
    let before = reg.snapshot();
    let _ = reg.set_many([("queue", 4), ("", 0)]);
    let after = reg.snapshot();
    assert_eq!(after.names(), before.names());
}

// ---------------------------------------------------------------- Snapshot::get

#[test]
fn snapshot_get_present_good() {
    assert_eq!(services().snapshot().get("brain").as_deref(), Some(&1));
}

#[test]
fn snapshot_get_unknown_none_bad() {
    assert!(services().snapshot().get("queue").is_none());
}

#[test]
fn snapshot_get_disabled_visible_ugly() {
    let reg = services();
    reg.disable("brain").unwrap();
    assert_eq!(reg.snapshot().get("brain").as_deref(), Some(&1));
}

#[test]
fn snapshot_get_shares_value_with_registry_ugly() {
    let reg: Registry<Mutex<Vec<&str>>> = Registry::new("queues");
    reg.set("jobs", Mutex::new(Vec::new())).unwrap();
    let snap = reg.snapshot();
    reg.get("jobs").unwrap().lock().unwrap().push("deploy");
    // A snapshot copies the index, not the values: interior mutability is shared.
    assert_eq!(*snap.get("jobs").unwrap().lock().unwrap(), ["deploy"]);
}

// ---------------------------------------------------------------- Snapshot::has

#[test]
fn snapshot_has_present_good() {
    assert!(services().snapshot().has("config"));
}

#[test]
fn snapshot_has_unknown_false_bad() {
    assert!(!services().snapshot().has("queue"));
}

#[test]
fn snapshot_has_deleted_after_snapshot_ugly() {
    let reg = services();
    let snap = reg.snapshot();
    reg.delete("config").unwrap();
    assert!(snap.has("config"));
}

// ---------------------------------------------------------------- Snapshot::is_enabled

#[test]
fn snapshot_is_enabled_good() {
    assert!(actions().snapshot().is_enabled("git.log"));
}

#[test]
fn snapshot_is_enabled_disabled_false_bad() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    assert!(!reg.snapshot().is_enabled("git.log"));
}

#[test]
fn snapshot_is_enabled_unknown_false_bad() {
    assert!(!actions().snapshot().is_enabled("deploy"));
}

#[test]
fn snapshot_is_enabled_frozen_before_disable_ugly() {
    let reg = actions();
    let snap = reg.snapshot();
    reg.disable("git.log").unwrap();
    assert!(snap.is_enabled("git.log"));
}

// ---------------------------------------------------------------- Snapshot::names

#[test]
fn snapshot_names_insertion_order_good() {
    assert_eq!(
        actions().snapshot().names(),
        ["process.run", "git.log", "process.kill", "git.push"]
    );
}

#[test]
fn snapshot_names_empty_registry_bad() {
    assert!(
        Registry::<i32>::new("services")
            .snapshot()
            .names()
            .is_empty()
    );
}

#[test]
fn snapshot_names_include_disabled_ugly() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    assert_eq!(reg.snapshot().names().len(), 4);
}

// ---------------------------------------------------------------- Snapshot::len

#[test]
fn snapshot_len_good() {
    assert_eq!(actions().snapshot().len(), 4);
}

#[test]
fn snapshot_len_ignores_later_add_bad() {
    let reg = actions();
    let snap = reg.snapshot();
    reg.set("deploy", 5).unwrap();
    assert_eq!((snap.len(), reg.len()), (4, 5));
}

#[test]
fn snapshot_len_counts_disabled_ugly() {
    let reg = actions();
    for name in reg.names() {
        reg.disable(&name).unwrap();
    }
    assert_eq!(reg.snapshot().len(), 4);
}

// ---------------------------------------------------------------- Snapshot::is_empty

#[test]
fn snapshot_is_empty_new_registry_good() {
    assert!(Registry::<i32>::new("services").snapshot().is_empty());
}

#[test]
fn snapshot_is_empty_with_entries_false_bad() {
    assert!(!services().snapshot().is_empty());
}

#[test]
fn snapshot_is_empty_taken_before_first_write_ugly() {
    let reg: Registry<i32> = Registry::new("services");
    let snap = reg.snapshot();
    reg.set("brain", 1).unwrap();
    assert!(snap.is_empty());
}

// ---------------------------------------------------------------- Snapshot::list

#[test]
fn snapshot_list_pattern_good() {
    assert_eq!(actions().snapshot().list("git.*"), ["git.log", "git.push"]);
}

#[test]
fn snapshot_list_no_match_bad() {
    assert!(actions().snapshot().list("git.?").is_empty());
}

#[test]
fn snapshot_list_skips_disabled_ugly() {
    let reg = actions();
    reg.disable("git.log").unwrap();
    assert_eq!(
        reg.snapshot().list("*.*"),
        ["process.run", "process.kill", "git.push"]
    );
}

// ---------------------------------------------------------------- Snapshot::each

#[test]
fn snapshot_each_in_order_good() {
    let mut seen = Vec::new();
    actions()
        .snapshot()
        .each(|name, value| seen.push(format!("{name}={value}")));
    assert_eq!(
        seen,
        ["process.run=1", "git.log=2", "process.kill=3", "git.push=4"]
    );
}

#[test]
fn snapshot_each_skips_disabled_bad() {
    let reg = actions();
    reg.disable("process.kill").unwrap();
    let mut seen = Vec::new();
    reg.snapshot().each(|name, _| seen.push(name.to_owned()));
    assert_eq!(seen, ["process.run", "git.log", "git.push"]);
}

#[test]
fn snapshot_each_reentrant_write_not_seen_ugly() {
    let reg = actions();
    let snap = reg.snapshot();
    let mut seen = 0;
    snap.each(|name, value| {
        seen += 1;
        reg.set(&format!("{name}.v2"), value * 10).unwrap();
    });
    assert_eq!((seen, snap.len(), reg.len()), (4, 4, 8));
}

// ---------------------------------------------------------------- Snapshot::mode

#[test]
fn snapshot_mode_good() {
    let reg = services();
    reg.seal();
    assert_eq!(reg.snapshot().mode(), Mode::Sealed);
}

#[test]
fn snapshot_mode_frozen_before_lock_bad() {
    let reg = services();
    let snap = reg.snapshot();
    reg.lock();
    assert_eq!((snap.mode(), reg.mode()), (Mode::Open, Mode::Locked));
}

#[test]
fn snapshot_mode_locked_empty_registry_ugly() {
    let reg: Registry<i32> = Registry::new("");
    reg.lock();
    let snap = reg.snapshot();
    assert_eq!((snap.mode(), snap.is_empty()), (Mode::Locked, true));
}
