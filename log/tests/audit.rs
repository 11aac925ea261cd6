//! The audit trail: [`AuditEvent::name`] and [`Logger::audit`](corers_log::Logger::audit),
//! which logs each variant as a Security event with a stable name and fixed fields.

mod common;

use corers_log::{AuditEvent, Format, Level};
use serde_json::{Value, json};

use common::{capture, only_json};

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

// ---------------------------------------------------------------- Logger::audit

#[test]
fn logger_audit_every_variant_security_event_with_fields_good() {
    for (event, name, fields) in every_variant() {
        let (log, sink) = capture(Format::Json, Level::Info);
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
                &json!("ERROR"),
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
fn logger_audit_at_error_level_still_logged_good() {
    let (log, sink) = capture(Format::Human, Level::Error);
    log.audit(AuditEvent::ServiceRegistered { service: "brain" });
    assert!(
        sink.contents()
            .ends_with("ERROR [security] audit event=service.registered service=brain\n"),
        "{}",
        sink.contents()
    );
}

#[test]
fn logger_audit_hostile_path_one_line_exact_ugly() {
    let path =
        "/srv/data/x\n2026-11-26T14:13:29.000Z ERROR [security] audit event=fs.write\u{1b}[0m";
    let (log, sink) = capture(Format::Json, Level::Info);
    log.audit(AuditEvent::FsWrite { path });
    assert_eq!(only_json(&sink)["fields"]["path"], path);
}

#[test]
fn logger_audit_field_named_like_a_secret_is_not_its_value_ugly() {
    // `env.secret_read` logs the variable's name; the `key` field is not a secret name.
    let (log, sink) = capture(Format::Json, Level::Info);
    log.audit(AuditEvent::SecretEnvRead {
        key: "AWS_SECRET_ACCESS_KEY",
    });
    assert_eq!(only_json(&sink)["fields"]["key"], "AWS_SECRET_ACCESS_KEY");
}
