//! [`AuditEvent`]: the framework's audit trail of security-relevant operations.

use crate::Logger;

/// A security-relevant operation, logged by [`Logger::audit`] as a Security event with a
/// stable `event` name and fixed fields, so audit trails can be filtered and parsed.
///
/// | variant | `event` | fields |
/// |---|---|---|
/// | `ServiceRegistered` | `service.registered` | `service` |
/// | `HandlerAdded` | `handler.added` | `kind`, `name` |
/// | `ConfigWritten` | `config.written` | `key` |
/// | `SecretEnvRead` | `env.secret_read` | `key` |
/// | `FsWrite` | `fs.write` | `path` |
/// | `FsDelete` | `fs.delete` | `path` |
/// | `SandboxEscape` | `fs.sandbox_escape` | `root`, `path` |
/// | `RemoteCallAccepted` | `remote.accepted` | `peer`, `action` |
/// | `RemoteCallRefused` | `remote.refused` | `peer`, `action`, `reason` |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditEvent<'a> {
    /// A service joined a Core.
    ServiceRegistered {
        /// The service's name.
        service: &'a str,
    },
    /// A bus handler or Action was registered.
    HandlerAdded {
        /// `broadcast`, `query`, `task`, `action` or `observer`.
        kind: &'a str,
        /// The message type or action name.
        name: &'a str,
    },
    /// A config value was written at run time.
    ConfigWritten {
        /// The config key.
        key: &'a str,
    },
    /// An environment variable with a secret-looking name was read.
    SecretEnvRead {
        /// The variable's name (never its value).
        key: &'a str,
    },
    /// A file was written.
    FsWrite {
        /// The path written.
        path: &'a str,
    },
    /// A file or directory was deleted.
    FsDelete {
        /// The path deleted.
        path: &'a str,
    },
    /// A path tried to leave its sandbox.
    SandboxEscape {
        /// The sandbox root.
        root: &'a str,
        /// The path requested.
        path: &'a str,
    },
    /// A remote peer's call was accepted.
    RemoteCallAccepted {
        /// Who called.
        peer: &'a str,
        /// The Action called.
        action: &'a str,
    },
    /// A remote peer's call was refused.
    RemoteCallRefused {
        /// Who called.
        peer: &'a str,
        /// The Action called.
        action: &'a str,
        /// Why it was refused.
        reason: &'a str,
    },
}

impl AuditEvent<'_> {
    /// The stable event name, e.g. `"fs.sandbox_escape"`.
    ///
    /// ```
    /// use corers_log::AuditEvent;
    /// assert_eq!(AuditEvent::FsDelete { path: "cache/old" }.name(), "fs.delete");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            AuditEvent::ServiceRegistered { .. } => "service.registered",
            AuditEvent::HandlerAdded { .. } => "handler.added",
            AuditEvent::ConfigWritten { .. } => "config.written",
            AuditEvent::SecretEnvRead { .. } => "env.secret_read",
            AuditEvent::FsWrite { .. } => "fs.write",
            AuditEvent::FsDelete { .. } => "fs.delete",
            AuditEvent::SandboxEscape { .. } => "fs.sandbox_escape",
            AuditEvent::RemoteCallAccepted { .. } => "remote.accepted",
            AuditEvent::RemoteCallRefused { .. } => "remote.refused",
        }
    }
}

impl Logger {
    /// Records `event` in the audit trail as a Security event.
    ///
    /// ```
    /// use corers_log::{AuditEvent, Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// log.audit(AuditEvent::SandboxEscape { root: "/srv/data", path: "../etc/passwd" });
    /// assert!(sink.contents().contains(
    ///     "ERROR [security] audit event=fs.sandbox_escape root=/srv/data path=../etc/passwd"
    /// ));
    /// ```
    pub fn audit(&self, event: AuditEvent<'_>) {
        let name = event.name();
        match event {
            AuditEvent::ServiceRegistered { service } => {
                crate::security!(self, event = name, service, "audit");
            }
            AuditEvent::HandlerAdded {
                kind,
                name: handler,
            } => {
                crate::security!(self, event = name, kind, name = handler, "audit");
            }
            AuditEvent::ConfigWritten { key } | AuditEvent::SecretEnvRead { key } => {
                crate::security!(self, event = name, key, "audit");
            }
            AuditEvent::FsWrite { path } | AuditEvent::FsDelete { path } => {
                crate::security!(self, event = name, path, "audit");
            }
            AuditEvent::SandboxEscape { root, path } => {
                crate::security!(self, event = name, root, path, "audit");
            }
            AuditEvent::RemoteCallAccepted { peer, action } => {
                crate::security!(self, event = name, peer, action, "audit");
            }
            AuditEvent::RemoteCallRefused {
                peer,
                action,
                reason,
            } => {
                crate::security!(self, event = name, peer, action, reason, "audit");
            }
        }
    }
}
