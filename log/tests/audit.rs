//! The audit trail: [`AuditEvent::name`] and [`Logger::audit`](corers_log::Logger::audit),
//! which logs each variant as a Security event with a stable name and fixed fields, and
//! writes every one to the audit output whatever the level.

mod common;

use std::sync::{Arc, Mutex};

use corers_log::{AuditEvent, Format, Level, MemorySink, Output};
use serde_json::{Value, json};

use common::{FIXED_STAMP, capture, captured, only_json};

/// Every variant with realistic values, its stable name, and the fields it must log.
fn every_variant() -> Vec<(AuditEvent<'static>, &'static str, Value)> {
    vec![
        (
            AuditEvent::ServiceRegistered { service: "brain" },
            "service.registered",
            json!({"service": "brain"}),
        ),
        (
            AuditEvent::HandlerAdded {
                kind: "action",
                name: "workspace/create",
            },
            "handler.added",
            json!({"kind": "action", "name": "workspace/create"}),
        ),
        (
            AuditEvent::ConfigWritten {
                key: "workspace.root",
            },
            "config.written",
            json!({"key": "workspace.root"}),
        ),
        (
            AuditEvent::SecretEnvRead {
                key: "GITHUB_TOKEN",
            },
            "env.secret_read",
            json!({"key": "GITHUB_TOKEN"}),
        ),
        (
            AuditEvent::FsWrite {
                path: "/srv/data/notes.md",
            },
            "fs.write",
            json!({"path": "/srv/data/notes.md"}),
        ),
        (
            AuditEvent::FsDelete {
                path: "/srv/data/cache/old",
            },
            "fs.delete",
            json!({"path": "/srv/data/cache/old"}),
        ),
        (
            AuditEvent::SandboxEscape {
                root: "/srv/data",
                path: "../etc/passwd",
            },
            "fs.sandbox_escape",
            json!({"root": "/srv/data", "path": "../etc/passwd"}),
        ),
        (
            AuditEvent::RemoteCallAccepted {
                peer: "studio.local",
                action: "deploy/to/homelab",
            },
            "remote.accepted",
            json!({"peer": "studio.local", "action": "deploy/to/homelab"}),
        ),
        (
            AuditEvent::RemoteCallRefused {
                peer: "10.0.0.66",
                action: "fs/delete",
                reason: "peer not in allow list",
            },
            "remote.refused",
            json!({"peer": "10.0.0.66", "action": "fs/delete", "reason": "peer not in allow list"}),
        ),
    ]
}

/// The level each event is logged at: refusals are errors, the rest debug.
fn level_of(name: &str) -> &'static str {
    match name {
        "fs.sandbox_escape" | "remote.refused" => "ERROR",
        _ => "DEBUG",
    }
}

// ---------------------------------------------------------------- AuditEvent::name

#[test]
fn audit_event_name_stable_for_every_variant_good() {
    let (names, expected): (Vec<&str>, Vec<&str>) = every_variant()
        .into_iter()
        .map(|(event, name, _)| (event.name(), name))
        .unzip();
    assert_eq!(names, expected);
}

#[test]
fn audit_event_name_same_fields_different_names_bad() {
    // Variants that carry the same fields are still told apart by name.
    let key = "workspace.root";
    let path = "/srv/data/notes.md";
    assert_eq!(
        [
            AuditEvent::ConfigWritten { key }.name(),
            AuditEvent::SecretEnvRead { key }.name(),
            AuditEvent::FsWrite { path }.name(),
            AuditEvent::FsDelete { path }.name(),
        ],
        ["config.written", "env.secret_read", "fs.write", "fs.delete"]
    );
}

#[test]
fn audit_event_name_ignores_hostile_values_ugly() {
    let hostile = AuditEvent::RemoteCallRefused {
        peer: "",
        action: "\n\u{1b}[2J",
        reason: "ホームラボ\0",
    };
    assert_eq!(hostile.name(), "remote.refused");
}

// ---------------------------------------------------------------- AuditEvent::level

#[test]
fn audit_event_level_refusals_are_errors_good() {
    let refusals = [
        AuditEvent::SandboxEscape {
            root: "/srv/data",
            path: "../etc/passwd",
        },
        AuditEvent::RemoteCallRefused {
            peer: "10.0.0.66",
            action: "fs/delete",
            reason: "peer not in allow list",
        },
    ];
    assert_eq!(refusals.map(|e| e.level()), [Level::Error, Level::Error]);
}

#[test]
fn audit_event_level_routine_operations_are_not_errors_bad() {
    let routine: Vec<Level> = every_variant()
        .into_iter()
        .filter(|(_, name, _)| level_of(name) == "DEBUG")
        .map(|(event, _, _)| event.level())
        .collect();
    assert_eq!(routine, [Level::Debug; 7]);
}

#[test]
fn audit_event_level_ignores_hostile_values_ugly() {
    let escape = AuditEvent::SandboxEscape {
        root: "",
        path: "\n\u{1b}[2J",
    };
    let write = AuditEvent::FsWrite {
        path: "ERROR [security]",
    };
    assert_eq!(
        (escape.level(), write.level()),
        (Level::Error, Level::Debug)
    );
}

// ---------------------------------------------------------------- Logger::audit

#[test]
fn logger_audit_every_variant_security_event_with_fields_good() {
    for (event, name, fields) in every_variant() {
        let (log, sink) = capture(Format::Json, Level::Debug);
        log.audit(event);
        let line = only_json(&sink);
        let mut expected = fields;
        expected["event"] = json!(name);
        assert_eq!(
            (
                &line["level"],
                &line["target"],
                &line["security"],
                &line["msg"],
                &line["fields"]
            ),
            (
                &json!(level_of(name)),
                &json!("security"),
                &json!(true),
                &json!("audit"),
                &expected
            ),
            "{name}"
        );
    }
}

#[test]
fn logger_audit_quiet_writes_nothing_bad() {
    let (log, sink) = capture(Format::Json, Level::Quiet);
    log.audit(AuditEvent::FsDelete {
        path: "/srv/data/cache/old",
    });
    assert_eq!(sink.contents(), "");
}

#[test]
fn logger_audit_refusals_logged_at_error_level_good() {
    let (log, sink) = capture(Format::Human, Level::Error);
    log.audit(AuditEvent::RemoteCallRefused {
        peer: "10.0.0.66",
        action: "fs/delete",
        reason: "not allowed",
    });
    assert_eq!(
        sink.contents(),
        format!(
            "{FIXED_STAMP} ERROR [security] audit event=remote.refused peer=10.0.0.66 \
             action=fs/delete reason=\"not allowed\"\n"
        )
    );
}

#[test]
fn logger_audit_routine_events_not_at_info_level_bad() {
    // A CLI that writes a file prints no error for it: routine events are debug.
    let (log, sink) = capture(Format::Human, Level::Info);
    for (event, _, _) in every_variant() {
        log.audit(event);
    }
    let logged: Vec<String> = sink.lines();
    assert_eq!(logged.len(), 2, "{logged:#?}");
    assert!(logged[0].contains("event=fs.sandbox_escape"), "{logged:#?}");
    assert!(logged[1].contains("event=remote.refused"), "{logged:#?}");
}

#[test]
fn logger_audit_hostile_path_one_line_exact_ugly() {
    let path =
        "/srv/data/x\n2026-11-26T14:13:29.000Z ERROR [security] audit event=fs.write\u{1b}[0m";
    let (log, sink) = capture(Format::Json, Level::Debug);
    log.audit(AuditEvent::FsWrite { path });
    assert_eq!(only_json(&sink)["fields"]["path"], path);
}

#[test]
fn logger_audit_field_named_like_a_secret_is_not_its_value_ugly() {
    // `env.secret_read` logs the variable's name; the `key` field is not a secret name.
    let (log, sink) = capture(Format::Json, Level::Debug);
    log.audit(AuditEvent::SecretEnvRead {
        key: "AWS_SECRET_ACCESS_KEY",
    });
    assert_eq!(only_json(&sink)["fields"]["key"], "AWS_SECRET_ACCESS_KEY");
}

// ---------------------------------------------------------------- LoggerBuilder::audit_output

/// A quiet logger with an audit output, and that output.
fn quiet_with_trail() -> (corers_log::Logger, MemorySink, MemorySink) {
    let (builder, sink) = captured(Format::Human);
    let trail = MemorySink::new();
    let log = builder
        .level(Level::Quiet)
        .audit_output(Output::Memory(trail.clone()))
        .build();
    (log, sink, trail)
}

#[test]
fn logger_builder_audit_output_every_event_whatever_the_level_good() {
    let (log, sink, trail) = quiet_with_trail();
    for (event, _, _) in every_variant() {
        log.audit(event);
    }
    assert_eq!(sink.contents(), "");
    let lines: Vec<Value> = trail
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let expected: Vec<Value> = every_variant()
        .into_iter()
        .map(|(_, name, mut fields)| {
            fields["event"] = json!(name);
            json!({
                "time": FIXED_STAMP,
                "level": level_of(name),
                "target": "security",
                "msg": "audit",
                "security": true,
                "fields": fields,
            })
        })
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn logger_builder_audit_output_not_written_by_other_events_bad() {
    let (log, _, trail) = quiet_with_trail();
    log.set_level(Level::Debug);
    corers_log::security!(log, user = "deploy-bot", "token rotated");
    corers_log::error!(log, service = "cache", "stop hook timed out");
    assert_eq!(trail.contents(), "");
}

#[test]
fn logger_builder_audit_output_hostile_values_one_line_each_ugly() {
    let (log, _, trail) = quiet_with_trail();
    log.audit(AuditEvent::FsDelete {
        path: "cache/x\n{\"forged\":true}\u{1b}[2J",
    });
    log.audit(AuditEvent::ConfigWritten { key: "" });
    let lines = trail.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        first["fields"]["path"],
        "cache/x\n{\"forged\":true}\u{1b}[2J"
    );
    let second: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second["fields"]["key"], "");
}

#[test]
fn logger_builder_audit_output_panicking_writer_loses_the_line_not_the_caller_ugly() {
    /// Panics on its first write, then keeps what it is given.
    struct PanicsOnce(Arc<Mutex<(bool, Vec<u8>)>>);
    impl std::io::Write for PanicsOnce {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let mut state = self.0.lock().unwrap();
            if !state.0 {
                state.0 = true;
                drop(state);
                panic!("pipe closed");
            }
            state.1.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let kept = Arc::new(Mutex::new((false, Vec::new())));
    let log = corers_log::Logger::builder()
        .level(Level::Quiet)
        .audit_output(Output::writer(PanicsOnce(Arc::clone(&kept))))
        .build();
    log.audit(AuditEvent::FsWrite {
        path: "lost-with-the-panic.md",
    });
    log.audit(AuditEvent::FsWrite { path: "notes.md" });
    let text = String::from_utf8(kept.lock().unwrap().1.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains(r#""path":"notes.md""#), "{text}");
}

#[test]
fn logger_builder_audit_output_panicking_clock_loses_the_line_not_the_caller_ugly() {
    let trail = MemorySink::new();
    let log = corers_log::Logger::builder()
        .level(Level::Quiet)
        .clock(|| panic!("clock unplugged"))
        .audit_output(Output::Memory(trail.clone()))
        .build();
    // The caller's operation goes on: only the line is lost.
    log.audit(AuditEvent::FsDelete { path: "cache/old" });
    assert_eq!(trail.contents(), "");
}

#[test]
fn logger_audit_goes_to_the_applications_subscriber_when_it_has_one_ugly() {
    let (core_log, core_sink) = capture(Format::Human, Level::Debug);
    let (app, app_sink) = capture(Format::Json, Level::Debug);
    // The application's own pipeline (JSON, an exporter) gets the Security event...
    app.in_scope(|| {
        core_log.audit(AuditEvent::SandboxEscape {
            root: "/srv/data",
            path: "../etc/passwd",
        });
    });
    let line = only_json(&app_sink);
    assert_eq!(line["fields"]["event"], "fs.sandbox_escape");
    assert_eq!(core_sink.contents(), "");
    // ...and without one, the logger it was asked of.
    core_log.audit(AuditEvent::FsWrite { path: "notes.md" });
    assert!(
        core_sink
            .contents()
            .contains("event=fs.write path=notes.md"),
        "{}",
        core_sink.contents()
    );
}
