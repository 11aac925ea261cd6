//! Integration tests for [`Error`] and [`ErrorCode`]: the four `Display` forms (and the form
//! without an operation), code inheritance through wrapping, the operation stack, `root`,
//! `join`, panic payloads, and the rules for application-defined codes.

use std::error::Error as StdError;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use corers_primitives::{Error, ErrorCode};

/// A wrapper from another library: it carries no code and no operation, only a source.
#[derive(Debug)]
struct Context {
    what: &'static str,
    source: Error,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl StdError for Context {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

fn disk_full() -> std::io::Error {
    std::io::Error::other("disk full")
}

fn not_found() -> Error {
    Error::new("fs.Fs.read", "no such file git.log").with_code(ErrorCode::NOT_FOUND)
}

/// The payload of a panic raised by `f`, caught.
fn payload_of(f: impl FnOnce()) -> Box<dyn std::any::Any + Send> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_err()
}

// ---------------------------------------------------------------- Display forms

#[test]
fn error_display_op_msg_good() {
    let err = Error::new("fs.Fs.write", "write workspace.toml");
    assert_eq!(err.to_string(), "fs.Fs.write: write workspace.toml");
}

#[test]
fn error_display_op_msg_code_good() {
    let err = Error::new("fs.Fs.write", "write workspace.toml").with_code(ErrorCode::DENIED);
    assert_eq!(
        err.to_string(),
        "fs.Fs.write: write workspace.toml [DENIED]"
    );
}

#[test]
fn error_display_op_msg_cause_good() {
    let err = Error::new("fs.Fs.write", "write workspace.toml").with_cause(disk_full());
    assert_eq!(
        err.to_string(),
        "fs.Fs.write: write workspace.toml: disk full"
    );
}

#[test]
fn error_display_op_msg_code_cause_good() {
    let err = Error::wrap_code(
        disk_full(),
        ErrorCode::UNAVAILABLE,
        "fs.Fs.write",
        "write workspace.toml",
    );
    assert_eq!(
        err.to_string(),
        "fs.Fs.write: write workspace.toml [UNAVAILABLE]: disk full"
    );
}

#[test]
fn error_display_without_operation_ugly() {
    assert_eq!(Error::new("", "token expired").to_string(), "token expired");
    let err = Error::new_code(ErrorCode::DENIED, "token expired").with_cause(disk_full());
    assert_eq!(err.to_string(), "token expired [DENIED]: disk full");
}

// ---------------------------------------------------------------- new

#[test]
fn error_new_keeps_operation_and_message_good() {
    let err = Error::new(
        "cli.Cli.run",
        r#"invalid command path "deploy//to": double slash"#,
    );
    assert_eq!(err.operation(), "cli.Cli.run");
    assert_eq!(
        err.message(),
        r#"invalid command path "deploy//to": double slash"#
    );
}

#[test]
fn error_new_has_no_code_and_no_cause_bad() {
    let err = Error::new("fs.Fs.write", "disk full");
    assert_eq!(err.code(), None);
    assert!(err.cause().is_none());
    assert!(err.source().is_none());
}

#[test]
fn error_new_keeps_unicode_and_newlines_verbatim_ugly() {
    let err = Error::new(
        String::from("fs.Fs.write"),
        "écrire «notes.md»\nligne 2 \u{0}",
    );
    assert_eq!(
        err.to_string(),
        "fs.Fs.write: écrire «notes.md»\nligne 2 \u{0}"
    );
}

// ---------------------------------------------------------------- new_code

#[test]
fn error_new_code_shows_message_and_code_good() {
    let err = Error::new_code(ErrorCode::DENIED, "token expired");
    assert_eq!(err.to_string(), "token expired [DENIED]");
    assert_eq!(err.code(), Some(&ErrorCode::DENIED));
}

#[test]
fn error_new_code_has_no_operation_bad() {
    let err = Error::new_code(ErrorCode::DENIED, "token expired");
    assert_eq!(err.operation(), "");
    assert!(err.operations().is_empty());
    assert_eq!(err.stack(), "");
}

#[test]
fn error_new_code_custom_code_and_unicode_message_ugly() {
    let code = ErrorCode::new("GIT_DIRTY").unwrap();
    let err = Error::new_code(code.clone(), "arbre de travail modifié ✗");
    assert_eq!(err.to_string(), "arbre de travail modifié ✗ [GIT_DIRTY]");
    assert_eq!(err.code(), Some(&code));
}

#[test]
fn error_display_inherited_code_shows_once_good() {
    let load = Error::wrap(not_found(), "config.Config.load", "load workspace.toml");
    let start = Error::wrap(load, "corers.Core.run", "start the application");
    assert_eq!(
        start.to_string(),
        "corers.Core.run: start the application [NOT_FOUND]: config.Config.load: load \
         workspace.toml: fs.Fs.read: no such file git.log"
    );
}

#[test]
fn error_display_different_codes_each_show_bad() {
    let err = Error::wrap_code(
        not_found(),
        ErrorCode::UNAVAILABLE,
        "config.Config.load",
        "load workspace.toml",
    );
    assert_eq!(
        err.to_string(),
        "config.Config.load: load workspace.toml [UNAVAILABLE]: fs.Fs.read: no such file \
         git.log [NOT_FOUND]"
    );
}

// ---------------------------------------------------------------- wrap

#[test]
fn error_wrap_inherits_code_of_cause_good() {
    let err = Error::wrap(not_found(), "config.Config.load", "load workspace.toml");
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        err.to_string(),
        "config.Config.load: load workspace.toml [NOT_FOUND]: fs.Fs.read: no such file git.log"
    );
}

#[test]
fn error_display_alternate_says_what_each_level_says_good() {
    let read =
        Error::new("fs.Fs.read", "no such file workbench.toml").with_code(ErrorCode::NOT_FOUND);
    let load = Error::wrap(read, "config.Config.load", "load the settings");
    let start = Error::wrap(load, "corers.Core.run", "start the application");
    assert_eq!(
        format!("{start:#}"),
        "start the application: load the settings: no such file workbench.toml"
    );
    // A foreign cause, with its own sources.
    let io = Error::wrap(
        std::io::Error::other("connection reset"),
        "api.Client.call",
        "call homelab",
    );
    assert_eq!(format!("{io:#}"), "call homelab: connection reset");
}

#[test]
fn error_display_alternate_of_a_join_lists_each_part_bad() {
    let err = Error::join_in(
        "lifecycle.Services.stop_all",
        [
            Error::new("store.Db.close", "flush failed").with_code(ErrorCode::UNAVAILABLE),
            Error::wrap(
                Error::new("cache.Redis.ping", "timed out").with_code(ErrorCode::TIMEOUT),
                "cache.Redis.close",
                "close the pool",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        format!("{err:#}"),
        "2 failed: flush failed; close the pool: timed out"
    );
}

#[test]
fn error_display_alternate_skips_empty_messages_ugly() {
    // A level that says nothing adds no empty `: `.
    let inner = Error::new("fs.Fs.write", "").with_cause(std::io::Error::other("disk full"));
    let err = Error::wrap(inner, "config.Config.save", "");
    assert_eq!(format!("{err:#}"), "disk full");
    assert_eq!(format!("{:#}", Error::new("cli.Cli.run", "")), "");
}

#[test]
fn error_display_walks_a_foreign_causes_own_sources_ugly() {
    // An error of another kind shows one level in its Display and keeps the rest behind
    // `source` (as std's and thiserror's do): each level shows, once.
    #[derive(Debug)]
    struct Request {
        source: std::io::Error,
    }
    impl std::fmt::Display for Request {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request to homelab failed")
        }
    }
    impl std::error::Error for Request {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }
    let err = Error::wrap(
        Request {
            source: std::io::Error::other("connection reset"),
        },
        "api.Client.call",
        "call homelab",
    );
    assert_eq!(
        err.to_string(),
        "api.Client.call: call homelab: request to homelab failed: connection reset"
    );
}

#[test]
fn error_wrap_through_an_io_error_keeps_the_carried_error_ugly() {
    // A CoreRS error passed through `Read`/`Write` as `io::Error::other(err)`: its code,
    // its operations and its text stay, once.
    let missing = Error::new("store.Db.get", "no row 7").with_code(ErrorCode::NOT_FOUND);
    let err = Error::wrap(
        std::io::Error::other(missing),
        "export.Csv.write",
        "write the rows",
    );
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.operations(), ["export.Csv.write", "store.Db.get"]);
    assert_eq!(
        err.to_string(),
        "export.Csv.write: write the rows [NOT_FOUND]: store.Db.get: no row 7"
    );
    assert_eq!(format!("{err:#}"), "write the rows: no row 7");
    // An io::Error with text of its own keeps its kind's code.
    let err = Error::wrap(
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such table"),
        "export.Csv.write",
        "write the rows",
    );
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn error_wrap_foreign_cause_has_no_code_bad() {
    let err = Error::wrap(disk_full(), "fs.Fs.write", "write workspace.toml");
    assert_eq!(err.code(), None);
    assert_eq!(
        err.to_string(),
        "fs.Fs.write: write workspace.toml: disk full"
    );
}

#[test]
fn error_wrap_inherits_code_through_foreign_wrapper_ugly() {
    let foreign = Context {
        what: "while syncing",
        source: not_found(),
    };
    let err = Error::wrap(foreign, "workspace.Sync.run", "sync homelab");
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        err.to_string(),
        "workspace.Sync.run: sync homelab [NOT_FOUND]: while syncing: fs.Fs.read: no such file git.log"
    );
}

#[test]
fn error_wrap_keeps_nearest_code_through_deep_chain_ugly() {
    let inner = Error::wrap(
        Error::new("fs.Fs.read", "no such file").with_code(ErrorCode::NOT_FOUND),
        "config.Config.load",
        "load",
    )
    .with_code(ErrorCode::INVALID);
    let mut err = inner;
    for layer in 0..100 {
        err = Error::wrap(err, "lifecycle.Services.start", format!("layer {layer}"));
    }
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.operations().len(), 102);
}

#[test]
fn error_wrap_string_cause_ugly() {
    let err = Error::wrap("", "api.Client.call", "call homelab");
    assert_eq!(err.to_string(), "api.Client.call: call homelab: ");
    assert_eq!(err.cause().unwrap().to_string(), "");
}

// ---------------------------------------------------------------- wrap_code

#[test]
fn wrap_code_sets_code_on_foreign_cause_good() {
    let io = std::io::Error::from(std::io::ErrorKind::TimedOut);
    let err = Error::wrap_code(io, ErrorCode::TIMEOUT, "api.Client.call", "call homelab");
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[test]
fn wrap_code_overrides_code_of_cause_bad() {
    let err = Error::wrap_code(
        not_found(),
        ErrorCode::INTERNAL,
        "config.Config.load",
        "load workspace.toml",
    );
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    let cause = err.cause().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(cause.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn wrap_code_outer_layer_wrap_sees_override_not_inner_code_ugly() {
    let overridden = Error::wrap_code(not_found(), ErrorCode::CONFLICT, "git.Repo.pull", "pull");
    let err = Error::wrap(overridden, "workspace.Sync.run", "sync");
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

// ---------------------------------------------------------------- with_code

#[test]
fn error_with_code_sets_code_good() {
    let err = Error::new("messaging.Bus.perform_async", "shutting down")
        .with_code(ErrorCode::UNAVAILABLE);
    assert_eq!(
        err.to_string(),
        "messaging.Bus.perform_async: shutting down [UNAVAILABLE]"
    );
}

#[test]
fn error_with_code_replaces_previous_code_bad() {
    let err = not_found().with_code(ErrorCode::LOCKED);
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
    assert_eq!(err.to_string(), "fs.Fs.read: no such file git.log [LOCKED]");
}

#[test]
fn error_with_code_on_wrapper_beats_inherited_code_ugly() {
    let err = Error::wrap(not_found(), "config.Config.load", "load").with_code(ErrorCode::INVALID);
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// ---------------------------------------------------------------- cancelled

#[test]
fn error_cancelled_is_unavailable_and_marked_good() {
    let err = Error::cancelled("messaging.Actions.run", "run of \"git.log\" cancelled");
    assert!(err.is_cancelled());
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(
        err.to_string(),
        "messaging.Actions.run: run of \"git.log\" cancelled [UNAVAILABLE]"
    );
}

#[test]
fn error_cancelled_recoded_stays_cancelled_bad() {
    // Another code set afterwards leaves the mark; a plain UNAVAILABLE is not cancelled.
    let err = Error::cancelled("a.B.c", "stopped").with_code(ErrorCode::TIMEOUT);
    assert!(err.is_cancelled());
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert!(
        !Error::new("a.B.c", "stopped")
            .with_code(ErrorCode::UNAVAILABLE)
            .is_cancelled()
    );
}

#[test]
fn error_cancelled_with_empty_operation_and_message_ugly() {
    let err = Error::cancelled("", "");
    assert!(err.is_cancelled());
    assert_eq!(err.operation(), "");
    assert_eq!(err.to_string(), "[UNAVAILABLE]");
}

#[test]
fn error_mark_cancelled_keeps_what_it_says_good() {
    let err = Error::new(
        "messaging.Bus.perform_async",
        "task Sync refused: the bus is shutting down",
    )
    .with_code(ErrorCode::UNAVAILABLE)
    .mark_cancelled();
    assert!(err.is_cancelled());
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(
        err.to_string(),
        "messaging.Bus.perform_async: task Sync refused: the bus is shutting down [UNAVAILABLE]"
    );
    assert!(format!("{err:?}").ends_with("cancelled: true }"), "{err:?}");
}

#[test]
fn error_mark_cancelled_survives_a_later_code_and_clone_bad() {
    // A clone shares the mark; a code set afterwards leaves it.
    let err = not_found().mark_cancelled();
    let recoded = err.clone().with_code(ErrorCode::TIMEOUT);
    assert!(err.is_cancelled() && recoded.is_cancelled());
    assert!(!not_found().is_cancelled());
    assert!(!format!("{:?}", not_found()).contains("cancelled"));
}

#[test]
fn error_mark_cancelled_on_a_joined_error_marks_the_join_only_ugly() {
    let err = Error::join([not_found(), Error::new("b", "y")])
        .unwrap()
        .mark_cancelled();
    assert!(err.is_cancelled());
    assert!(!err.joined()[0].is_cancelled());
}

#[test]
fn error_is_cancelled_sees_through_wraps_good() {
    let refused = Error::new("messaging.Actions.run", "run of \"sync\" cancelled").mark_cancelled();
    let wrapped = Error::wrap(refused, "store.Replica.sync", "sync the last batch");
    let twice = Error::wrap(wrapped, "store.Store.flush", "flush");
    assert!(twice.is_cancelled());
    // Through an io::Error carrying it (passed through Read or Write), and through a
    // foreign wrapper.
    let io = std::io::Error::other(twice);
    assert!(Error::wrap(io, "fs.Fs.write", "write").is_cancelled());
    let hidden = Context {
        what: "sync",
        source: Error::new("a", "stopped").mark_cancelled(),
    };
    assert!(Error::wrap(hidden, "b.B.run", "run").is_cancelled());
}

#[test]
fn error_is_cancelled_false_for_a_foreign_cause_or_a_mixed_join_bad() {
    let foreign = Error::wrap(std::io::Error::other("cancelled"), "fs.Fs.read", "read");
    assert!(!foreign.is_cancelled());
    let mixed = Error::join([
        Error::new("a", "stopped").mark_cancelled(),
        Error::new("b", "disk full"),
    ])
    .unwrap();
    assert!(!mixed.is_cancelled());
    // The mark is not a code: a wrapper's own code does not make it cancelled.
    assert!(
        !Error::wrap_code(not_found(), ErrorCode::UNAVAILABLE, "b.B.run", "run").is_cancelled()
    );
}

#[test]
fn error_is_cancelled_for_a_join_of_only_cancelled_parts_ugly() {
    let all = Error::join([
        Error::new("a", "stopped").mark_cancelled(),
        Error::wrap(Error::new("b", "stopped").mark_cancelled(), "c", "run"),
    ])
    .unwrap();
    assert!(all.is_cancelled());
    assert!(!Error::join([not_found()]).unwrap().is_cancelled());
}

// ---------------------------------------------------------------- with_cause

#[test]
fn error_with_cause_sets_cause_good() {
    let err = Error::new("fs.Fs.read", "read notes.md")
        .with_cause(std::io::Error::other("permission denied"));
    assert_eq!(
        err.to_string(),
        "fs.Fs.read: read notes.md: permission denied"
    );
}

#[test]
fn error_with_cause_replaces_previous_cause_bad() {
    let err = Error::new("fs.Fs.read", "read notes.md")
        .with_cause(disk_full())
        .with_cause(std::io::Error::other("permission denied"));
    assert_eq!(err.cause().unwrap().to_string(), "permission denied");
}

#[test]
fn error_with_cause_leaves_own_code_unset_ugly() {
    let err = Error::new("config.Config.load", "load").with_cause(not_found());
    // The code getter looks through the chain, but this error's own text carries no code.
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        err.to_string(),
        "config.Config.load: load: fs.Fs.read: no such file git.log [NOT_FOUND]"
    );
}

// ---------------------------------------------------------------- from_panic

#[test]
fn error_from_panic_str_payload_good() {
    let payload = payload_of(|| panic!("index out of range"));
    let err = Error::from_panic("messaging.Bus.broadcast", payload.as_ref());
    assert_eq!(err.message(), "panicked: index out of range");
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
    assert_eq!(err.operation(), "messaging.Bus.broadcast");
}

#[test]
fn error_from_panic_string_payload_good() {
    let port = 8080;
    let payload = payload_of(|| panic!("port {port} already bound"));
    let err = Error::from_panic("api.Server.listen", payload.as_ref());
    assert_eq!(err.message(), "panicked: port 8080 already bound");
}

#[test]
fn error_from_panic_non_text_payload_bad() {
    let payload = payload_of(|| panic::panic_any(8080_u16));
    let err = Error::from_panic("messaging.Bus.broadcast", payload.as_ref());
    assert_eq!(
        err.to_string(),
        "messaging.Bus.broadcast: panicked: a non-text payload [INTERNAL]"
    );
}

#[test]
fn error_from_panic_error_payload_keeps_its_text_ugly() {
    let payload = payload_of(|| panic::panic_any(not_found()));
    let err = Error::from_panic("messaging.Bus.broadcast", payload.as_ref());
    assert_eq!(
        err.message(),
        "panicked: fs.Fs.read: no such file git.log [NOT_FOUND]"
    );
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

#[test]
fn error_from_panic_empty_message_ugly() {
    let payload = payload_of(|| panic!(""));
    let err = Error::from_panic("", payload.as_ref());
    assert_eq!(err.to_string(), "panicked:  [INTERNAL]");
}

// ---------------------------------------------------------------- from_caught

/// A panic payload whose `Drop` panics too.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        // Not while unwinding already: a second panic there would abort.
        assert!(std::thread::panicking(), "the payload's own drop");
    }
}

#[test]
fn error_from_caught_keeps_the_panic_message_good() {
    let payload = std::panic::catch_unwind(|| panic!("replica {} poisoned", 3)).unwrap_err();
    let err = Error::from_caught("messaging.Bus.broadcast", payload);
    assert_eq!(
        (err.message(), err.code()),
        ("panicked: replica 3 poisoned", Some(&ErrorCode::INTERNAL))
    );
}

#[test]
fn error_from_caught_error_payload_stays_whole_good() {
    // `Logger::must` panics with the structured error: its code and causes survive.
    let payload = std::panic::catch_unwind(|| {
        std::panic::panic_any(Error::wrap(
            std::io::Error::from(std::io::ErrorKind::NotFound),
            "app.Config.load",
            "read workbench.toml",
        ))
    })
    .unwrap_err();
    let err = Error::from_caught("messaging.Action.run", payload);
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        err.operations(),
        ["messaging.Action.run", "app.Config.load"]
    );
    assert!(err.root().downcast_ref::<std::io::Error>().is_some());
    assert_eq!(
        err.to_string(),
        "messaging.Action.run: panicked [NOT_FOUND]: app.Config.load: read workbench.toml: entity not found"
    );
    // Without a code of its own, a panic is still a bug.
    let payload =
        std::panic::catch_unwind(|| std::panic::panic_any(Error::new("app.Index.build", "torn")))
            .unwrap_err();
    let err = Error::from_caught("messaging.Action.run", payload);
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

#[test]
fn error_from_caught_non_text_payload_bad() {
    let payload = std::panic::catch_unwind(|| std::panic::panic_any(42_u8)).unwrap_err();
    let err = Error::from_caught("messaging.Bus.broadcast", payload);
    assert_eq!(err.message(), "panicked: a non-text payload");
}

#[test]
fn error_from_caught_payload_whose_drop_panics_stays_caught_ugly() {
    let payload = std::panic::catch_unwind(|| std::panic::panic_any(Bomb)).unwrap_err();
    let err = Error::from_caught("messaging.Bus.broadcast", payload);
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

// ---------------------------------------------------------------- join

#[test]
fn error_join_many_keeps_common_code_good() {
    let err = Error::join([
        Error::new("lifecycle.stop", "brain timed out").with_code(ErrorCode::TIMEOUT),
        Error::new("lifecycle.stop", "cache timed out").with_code(ErrorCode::TIMEOUT),
        Error::new("lifecycle.stop", "git timed out").with_code(ErrorCode::TIMEOUT),
    ])
    .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn error_join_none_is_none_bad() {
    assert!(Error::join([]).is_none());
    assert!(Error::join(Vec::new()).is_none());
}

#[test]
fn error_join_mixed_codes_takes_the_first_bad() {
    let err = Error::join([
        Error::new("lifecycle.stop", "brain timed out").with_code(ErrorCode::TIMEOUT),
        Error::new("lifecycle.stop", "cache refused").with_code(ErrorCode::DENIED),
    ])
    .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
    assert_eq!(err.joined()[1].code(), Some(&ErrorCode::DENIED));
}

#[test]
fn error_join_uncoded_then_coded_takes_the_coded_bad() {
    let err = Error::join([
        Error::new("lifecycle.stop", "brain"),
        Error::new("lifecycle.stop", "cache").with_code(ErrorCode::TIMEOUT),
    ])
    .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[test]
fn error_join_none_coded_has_no_code_ugly() {
    let err = Error::join([
        Error::new("lifecycle.stop", "brain"),
        Error::new("lifecycle.stop", "cache"),
    ])
    .unwrap();
    assert_eq!(err.code(), None);
}

#[test]
fn error_join_one_is_that_error_ugly() {
    let err = Error::join([not_found()]).unwrap();
    assert_eq!(
        err.to_string(),
        "fs.Fs.read: no such file git.log [NOT_FOUND]"
    );
    assert!(err.joined().is_empty());
    assert_eq!(err.operation(), "fs.Fs.read");
}

#[test]
fn error_join_uses_inherited_codes_ugly() {
    let err = Error::join([
        Error::wrap(not_found(), "config.Config.load", "load"),
        Error::new("git.Repo.open", "no repository").with_code(ErrorCode::NOT_FOUND),
    ])
    .unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn error_join_then_cause_and_code_are_shown_ugly() {
    let joined = Error::join([
        Error::new("lifecycle.stop", "brain timed out").with_code(ErrorCode::TIMEOUT),
        Error::new("lifecycle.stop", "cache timed out").with_code(ErrorCode::TIMEOUT),
    ])
    .unwrap()
    .with_code(ErrorCode::DENIED)
    .with_cause(std::io::Error::other("audit log read-only"));
    assert_eq!(
        joined.to_string(),
        "lifecycle.stop: brain timed out [TIMEOUT]; lifecycle.stop: cache timed out [TIMEOUT] \
         [DENIED]: audit log read-only"
    );
    // A code the parts already show is not repeated.
    let plain = Error::join([
        Error::new("a.B.c", "one").with_code(ErrorCode::TIMEOUT),
        Error::new("a.B.c", "two"),
    ])
    .unwrap();
    assert_eq!(plain.to_string(), "a.B.c: one [TIMEOUT]; a.B.c: two");
}

#[test]
fn error_join_in_names_the_operation_and_the_count_good() {
    let err = Error::join_in(
        "lifecycle.Services.stop_all",
        [
            Error::new("store.Db.close", "flush failed"),
            Error::new("cache.Redis.close", "timed out").with_code(ErrorCode::TIMEOUT),
        ],
    )
    .unwrap();
    assert_eq!(
        (err.operation(), err.code(), err.joined().len()),
        ("lifecycle.Services.stop_all", Some(&ErrorCode::TIMEOUT), 2)
    );
    assert_eq!(
        err.to_string(),
        "lifecycle.Services.stop_all: 2 failed: store.Db.close: flush failed; \
         cache.Redis.close: timed out [TIMEOUT]"
    );
}

#[test]
fn error_join_in_one_error_keeps_its_own_operation_bad() {
    let err = Error::join_in("lifecycle.Services.stop_all", [not_found()]).unwrap();
    assert_eq!(err.operation(), "fs.Fs.read");
    assert!(Error::join_in("lifecycle.Services.stop_all", []).is_none());
}

#[test]
fn error_join_in_empty_operation_is_a_plain_join_ugly() {
    let parts = || [Error::new("a.A.x", "one"), Error::new("b.B.y", "two")];
    assert_eq!(
        Error::join_in("", parts()).unwrap().to_string(),
        Error::join(parts()).unwrap().to_string()
    );
}

#[test]
fn error_join_nested_joins_ugly() {
    let inner = Error::join([Error::new("a.A.x", "one"), Error::new("b.B.y", "two")]).unwrap();
    let outer = Error::join([inner, Error::new("c.C.z", "three")]).unwrap();
    assert_eq!(outer.to_string(), "a.A.x: one; b.B.y: two; c.C.z: three");
    assert_eq!(outer.joined().len(), 2);
    assert_eq!(outer.joined()[0].joined().len(), 2);
}

// ---------------------------------------------------------------- operation / message

#[test]
fn error_operation_names_the_failing_operation_good() {
    assert_eq!(
        Error::new("fs.Fs.write", "disk full").operation(),
        "fs.Fs.write"
    );
}

#[test]
fn error_operation_of_wrapper_is_not_the_cause_bad() {
    let err = Error::wrap(not_found(), "config.Config.load", "load");
    assert_eq!(err.operation(), "config.Config.load");
}

#[test]
fn error_operation_of_joined_error_is_empty_ugly() {
    let err = Error::join([not_found(), not_found()]).unwrap();
    assert_eq!(err.operation(), "");
}

#[test]
fn error_message_is_bare_message_good() {
    let err = Error::wrap_code(disk_full(), ErrorCode::UNAVAILABLE, "fs.Fs.write", "write");
    assert_eq!(err.message(), "write");
}

#[test]
fn error_message_excludes_operation_code_and_cause_bad() {
    let err = Error::wrap(not_found(), "config.Config.load", "load workspace.toml");
    assert!(!err.message().contains("config.Config.load"));
    assert!(!err.message().contains("NOT_FOUND"));
    assert!(!err.message().contains("no such file"));
}

#[test]
fn error_message_empty_ugly() {
    let err = Error::new("fs.Fs.write", "");
    assert_eq!(err.message(), "");
    assert_eq!(err.to_string(), "fs.Fs.write: ");
}

// ---------------------------------------------------------------- code

#[test]
fn error_code_own_code_good() {
    assert_eq!(not_found().code(), Some(&ErrorCode::NOT_FOUND));
}

#[test]
fn error_code_none_anywhere_in_chain_bad() {
    let err = Error::new("config.Config.save", "save").with_cause(Error::wrap(
        disk_full(),
        "fs.Fs.write",
        "write",
    ));
    assert_eq!(err.code(), None);
}

#[test]
fn error_code_found_through_foreign_wrapper_ugly() {
    let err = Error::new("workspace.Sync.run", "sync").with_cause(Context {
        what: "while syncing",
        source: not_found(),
    });
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

// ---------------------------------------------------------------- cause

#[test]
fn error_cause_is_direct_cause_good() {
    let err = Error::new("fs.Fs.read", "read").with_cause(std::io::Error::other("eof"));
    assert_eq!(err.cause().unwrap().to_string(), "eof");
}

#[test]
fn error_cause_none_without_cause_bad() {
    assert!(not_found().cause().is_none());
}

#[test]
fn error_cause_is_one_level_not_root_ugly() {
    let err = Error::wrap(
        Error::wrap(disk_full(), "fs.Fs.write", "write"),
        "config.Config.save",
        "save",
    );
    let cause = err.cause().unwrap();
    assert_eq!(cause.to_string(), "fs.Fs.write: write: disk full");
    assert!(cause.downcast_ref::<Error>().is_some());
}

// ---------------------------------------------------------------- root

#[test]
fn error_root_is_deepest_cause_good() {
    let err = Error::wrap(
        Error::wrap(disk_full(), "fs.Fs.write", "write workspace.toml"),
        "config.Config.save",
        "save settings",
    );
    assert_eq!(err.root().to_string(), "disk full");
    assert!(err.root().downcast_ref::<std::io::Error>().is_some());
}

#[test]
fn error_root_without_cause_is_itself_bad() {
    let err = not_found();
    assert_eq!(err.root().to_string(), err.to_string());
    assert!(std::ptr::eq(
        std::ptr::from_ref(err.root()).cast::<u8>(),
        std::ptr::from_ref(&err).cast::<u8>()
    ));
}

#[test]
fn error_root_of_joined_error_is_itself_ugly() {
    let err = Error::join([
        Error::wrap(disk_full(), "fs.Fs.write", "write"),
        not_found(),
    ])
    .unwrap();
    assert_eq!(err.root().to_string(), err.to_string());
}

#[test]
fn error_root_through_foreign_wrapper_ugly() {
    let err = Error::wrap(
        Context {
            what: "while syncing",
            source: Error::wrap(disk_full(), "fs.Fs.write", "write"),
        },
        "workspace.Sync.run",
        "sync",
    );
    assert_eq!(err.root().to_string(), "disk full");
}

// ---------------------------------------------------------------- operations / stack

#[test]
fn error_operations_outermost_first_good() {
    let err = Error::wrap(
        Error::wrap(disk_full(), "fs.Fs.write", "write"),
        "config.Config.save",
        "save",
    );
    assert_eq!(err.operations(), ["config.Config.save", "fs.Fs.write"]);
}

#[test]
fn error_operations_empty_when_none_bad() {
    let err = Error::new_code(ErrorCode::UNAVAILABLE, "offline").with_cause(disk_full());
    assert!(err.operations().is_empty());
}

#[test]
fn error_operations_skip_empty_and_cross_foreign_wrappers_ugly() {
    let err = Error::wrap(
        Context {
            what: "while syncing",
            source: Error::wrap(not_found(), "", "retry"),
        },
        "workspace.Sync.run",
        "sync",
    );
    assert_eq!(err.operations(), ["workspace.Sync.run", "fs.Fs.read"]);
}

#[test]
fn error_stack_joins_with_arrows_good() {
    let err = Error::wrap(
        Error::wrap(disk_full(), "fs.Fs.write", "write workspace.toml"),
        "config.Config.save",
        "save settings",
    );
    assert_eq!(err.stack(), "config.Config.save -> fs.Fs.write");
}

#[test]
fn error_stack_empty_when_no_operations_bad() {
    assert_eq!(Error::new("", "offline").stack(), "");
}

#[test]
fn error_stack_single_operation_has_no_arrow_ugly() {
    assert_eq!(not_found().stack(), "fs.Fs.read");
}

// ---------------------------------------------------------------- joined

#[test]
fn error_joined_gives_parts_back_in_order_good() {
    let err = Error::join([
        Error::new("git.Repo.pull", "x"),
        Error::new("fs.Fs.write", "y"),
    ])
    .unwrap();
    let ops: Vec<&str> = err.joined().iter().map(Error::operation).collect();
    assert_eq!(ops, ["git.Repo.pull", "fs.Fs.write"]);
}

#[test]
fn error_joined_empty_for_plain_error_bad() {
    assert!(not_found().joined().is_empty());
}

#[test]
fn error_joined_keeps_duplicates_ugly() {
    let err = Error::join([not_found(), not_found(), not_found()]).unwrap();
    assert_eq!(err.joined().len(), 3);
    assert!(
        err.joined()
            .iter()
            .all(|e| e.to_string() == "fs.Fs.read: no such file git.log [NOT_FOUND]")
    );
}

// ---------------------------------------------------------------- ErrorCode serde

#[test]
fn error_code_serde_round_trips_as_its_text_good() {
    let codes = vec![ErrorCode::TIMEOUT, ErrorCode::new("GIT_DIRTY").unwrap()];
    let json = serde_json::to_string(&codes).unwrap();
    assert_eq!(json, r#"["TIMEOUT","GIT_DIRTY"]"#);
    assert_eq!(
        serde_json::from_str::<Vec<ErrorCode>>(&json).unwrap(),
        codes
    );
}

#[test]
fn error_code_serde_refuses_what_new_refuses_bad() {
    for text in [r#""timeout""#, r#""""#, r#""GIT-DIRTY""#, "42"] {
        assert!(serde_json::from_str::<ErrorCode>(text).is_err(), "{text}");
    }
}

// ---------------------------------------------------------------- ErrorCode::new

#[test]
fn error_code_new_custom_code_good() {
    let code = ErrorCode::new("GIT_DIRTY").unwrap();
    assert_eq!(code.as_str(), "GIT_DIRTY");
}

#[test]
fn error_code_new_owned_text_equals_builtin_good() {
    assert_eq!(
        ErrorCode::new(String::from("NOT_FOUND")).unwrap(),
        ErrorCode::NOT_FOUND
    );
}

#[test]
fn error_code_new_lowercase_is_invalid_bad() {
    let err = ErrorCode::new("git_dirty").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn error_code_new_rejects_malformed_codes_bad() {
    for bad in ["", "1ST", "_PRIVATE", "GIT-DIRTY", "GIT DIRTY", "Git"] {
        let err = ErrorCode::new(bad).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{bad:?}");
        assert_eq!(err.operation(), "primitives.ErrorCode.new");
    }
}

#[test]
fn error_code_new_length_limit_is_64_ugly() {
    let longest = format!("A{}", "_".repeat(63));
    assert_eq!(ErrorCode::new(longest.clone()).unwrap().as_str(), longest);
    assert!(ErrorCode::new(format!("{longest}Z")).is_err());
}

#[test]
fn error_code_new_rejects_unicode_and_nul_ugly() {
    for hostile in ["ÉCHEC", "NOT_FOUND\0", "FAIL\u{FF3F}", "ＦＵＬＬ"] {
        assert!(ErrorCode::new(hostile).is_err(), "{hostile:?}");
    }
}

#[test]
fn error_code_new_rejection_escapes_hostile_text_ugly() {
    let err = ErrorCode::new("BAD\n[OK]").unwrap_err();
    assert_eq!(
        err.message(),
        r#"invalid error code "BAD\n[OK]": use A-Z, 0-9 and _, starting with a letter"#
    );
}

// ---------------------------------------------------------------- ErrorCode::of_io

#[test]
fn error_code_exit_status_of_the_framework_codes_good() {
    let statuses: Vec<(&str, Option<u8>)> = [
        ErrorCode::INVALID,
        ErrorCode::NOT_FOUND,
        ErrorCode::UNAVAILABLE,
        ErrorCode::INTERNAL,
        ErrorCode::TIMEOUT,
        ErrorCode::LOCKED,
        ErrorCode::DENIED,
        ErrorCode::CONFLICT,
    ]
    .iter()
    .map(|code| (code.as_str(), code.exit_status()))
    .collect();
    assert_eq!(
        statuses,
        [
            ("INVALID", Some(65)),
            ("NOT_FOUND", Some(66)),
            ("UNAVAILABLE", Some(69)),
            ("INTERNAL", Some(70)),
            ("TIMEOUT", Some(75)),
            ("LOCKED", Some(75)),
            ("DENIED", Some(77)),
            ("CONFLICT", None),
        ]
    );
}

#[test]
fn error_code_exit_status_of_an_application_code_is_none_bad() {
    assert_eq!(ErrorCode::new("GIT_DIRTY").unwrap().exit_status(), None);
}

#[test]
fn error_code_exit_status_goes_by_the_text_ugly() {
    // A code read back from the wire is the framework's own.
    let code: ErrorCode = serde_json::from_str(r#""TIMEOUT""#).unwrap();
    assert_eq!(code.exit_status(), Some(75));
    assert_eq!(ErrorCode::new("TIMEOUTS").unwrap().exit_status(), None);
}

#[test]
fn error_code_of_io_kinds_that_say_what_failed_good() {
    use std::io::ErrorKind;
    let coded = [
        (ErrorKind::NotFound, ErrorCode::NOT_FOUND),
        (ErrorKind::PermissionDenied, ErrorCode::DENIED),
        (ErrorKind::AlreadyExists, ErrorCode::CONFLICT),
        (ErrorKind::DirectoryNotEmpty, ErrorCode::CONFLICT),
        (ErrorKind::InvalidData, ErrorCode::INVALID),
        (ErrorKind::TimedOut, ErrorCode::TIMEOUT),
        (ErrorKind::ConnectionRefused, ErrorCode::UNAVAILABLE),
        (ErrorKind::StorageFull, ErrorCode::UNAVAILABLE),
    ];
    for (kind, code) in coded {
        assert_eq!(ErrorCode::of_io(kind), Some(code), "{kind:?}");
    }
}

#[test]
fn error_code_of_io_other_kinds_have_none_bad() {
    use std::io::ErrorKind;
    for kind in [
        ErrorKind::Other,
        ErrorKind::UnexpectedEof,
        ErrorKind::Interrupted,
    ] {
        assert_eq!(ErrorCode::of_io(kind), None, "{kind:?}");
    }
}

#[test]
fn error_code_of_io_reaches_a_wrap_through_layers_ugly() {
    // An io::Error deep in a chain of foreign wrappers still codes the Error around it.
    #[derive(Debug)]
    struct Dial(std::io::Error);
    impl fmt::Display for Dial {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("while dialling homelab")
        }
    }
    impl StdError for Dial {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    let refused = Dial(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    let err = Error::wrap(refused, "api.Client.call", "call deploy");
    assert_eq!(err.code(), Some(&ErrorCode::UNAVAILABLE));
    // A code the chain already carries wins over the io kind below it.
    let denied = Error::wrap_code(
        std::io::Error::from(std::io::ErrorKind::NotFound),
        ErrorCode::DENIED,
        "fs.Fs.read",
        "read",
    );
    assert_eq!(
        Error::wrap(denied, "config.Config.load", "load").code(),
        Some(&ErrorCode::DENIED)
    );
}

// ---------------------------------------------------------------- ErrorCode::as_str

#[test]
fn error_code_as_str_of_builtins_good() {
    let names: Vec<&str> = [
        ErrorCode::NOT_FOUND,
        ErrorCode::INVALID,
        ErrorCode::LOCKED,
        ErrorCode::DENIED,
        ErrorCode::TIMEOUT,
        ErrorCode::UNAVAILABLE,
        ErrorCode::CONFLICT,
        ErrorCode::INTERNAL,
    ]
    .iter()
    .map(ErrorCode::as_str)
    .collect();
    assert_eq!(
        names,
        [
            "NOT_FOUND",
            "INVALID",
            "LOCKED",
            "DENIED",
            "TIMEOUT",
            "UNAVAILABLE",
            "CONFLICT",
            "INTERNAL"
        ]
    );
}

#[test]
fn error_code_as_str_has_no_brackets_bad() {
    let err = Error::new("git.Repo.push", "branch is protected").with_code(ErrorCode::LOCKED);
    assert_eq!(err.code().unwrap().as_str(), "LOCKED");
    assert!(err.to_string().ends_with(" [LOCKED]"));
}

#[test]
fn error_code_as_str_matches_display_and_debug_ugly() {
    let code = ErrorCode::new("E2BIG_9").unwrap();
    assert_eq!(code.as_str(), code.to_string());
    assert_eq!(code.as_str(), format!("{code:?}"));
}

// ---------------------------------------------------------------- clone

#[test]
fn error_clone_keeps_the_whole_chain_good() {
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
    let pull = Error::wrap_code(
        refused,
        ErrorCode::UNAVAILABLE,
        "git.Repo.pull",
        "pull origin",
    );
    let deploy = Error::wrap(pull, "deploy.Pipeline.run", "step 1");
    let copy = deploy.clone();
    assert_eq!(copy.to_string(), deploy.to_string());
    assert_eq!(copy.stack(), "deploy.Pipeline.run -> git.Repo.pull");
    assert_eq!(copy.code(), Some(&ErrorCode::UNAVAILABLE));
    assert_eq!(copy.root().to_string(), "connection refused");
}

#[test]
fn error_clone_changed_leaves_the_original_as_it_was_bad() {
    // A clone shares its parts until one of them changes: then it has its own.
    let missing = Error::new("fs.Fs.read", "read notes.md").with_code(ErrorCode::NOT_FOUND);
    let denied = missing.clone().with_code(ErrorCode::DENIED);
    assert_eq!(missing.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(denied.code(), Some(&ErrorCode::DENIED));
    let caused = missing.clone().with_cause(std::io::Error::other("eof"));
    assert!(missing.cause().is_none());
    assert_eq!(caused.cause().unwrap().to_string(), "eof");
}

#[test]
fn error_clone_keeps_the_foreign_cause_itself_ugly() {
    // Not a copy of its text: the cause itself, so its type and OS error number survive.
    let err =
        Error::new("fs.Fs.read", "read notes.md").with_cause(std::io::Error::from_raw_os_error(13));
    let copy = err.clone();
    let io = copy
        .cause()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.raw_os_error(), Some(13));
    let foreign = Error::new("a.B.c", "d").with_cause(std::fmt::Error);
    assert!(
        foreign
            .clone()
            .cause()
            .unwrap()
            .downcast_ref::<std::fmt::Error>()
            .is_some()
    );
}

#[test]
fn error_clone_of_joined_errors_and_foreign_wrappers_ugly() {
    let wrapped = Context {
        what: "loading plugins",
        source: not_found(),
    };
    let joined = Error::join([
        Error::new("a.B.c", "").with_cause(wrapped),
        Error::new("", "").with_code(ErrorCode::TIMEOUT),
    ])
    .unwrap();
    let copy = joined.clone();
    assert_eq!(copy.to_string(), joined.to_string());
    assert_eq!(copy.joined().len(), 2);
    // Below the foreign wrapper the CoreRS error is still a CoreRS error, code and all.
    let root = copy.joined()[0].root();
    assert_eq!(root.to_string(), not_found().to_string());
    assert_eq!(
        root.downcast_ref::<Error>().and_then(Error::code),
        Some(&ErrorCode::NOT_FOUND)
    );
}
