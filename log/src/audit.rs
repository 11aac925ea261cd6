//! [`AuditEvent`]: the framework's audit trail of security-relevant operations.

use crate::format::{FieldValue, Record, Style};
use crate::layer::Clock;
use crate::{Format, Level, Logger, Output, REDACTED, Redactor, SECURITY_TARGET};

/// A security-relevant operation, logged by [`Logger::audit`] as a Security event with a
/// stable `event` name and fixed fields, so audit trails can be filtered and parsed.
/// Refusals are logged as errors; routine operations at debug level (see
/// [`level`](AuditEvent::level)); a logger's audit output receives them all.
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
        /// `broadcast`, `query`, `task` or `observer` (bus handlers), `action` or
        /// `listener` (named Actions and event listeners).
        kind: &'a str,
        /// The message type, Action or event name (`*` for an observer).
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

    /// The level the event is logged at: [`Level::Error`] for a refusal (an escape from
    /// the sandbox, a refused remote call), [`Level::Debug`] for the routine operations that
    /// make up the rest of the trail, so a CLI that writes a file does not print an error.
    ///
    /// ```
    /// use corers_log::{AuditEvent, Level};
    /// assert_eq!(AuditEvent::FsWrite { path: "notes.md" }.level(), Level::Debug);
    /// assert_eq!(AuditEvent::SandboxEscape { root: "/srv/data", path: "../etc" }.level(), Level::Error);
    /// ```
    pub fn level(&self) -> Level {
        match self {
            AuditEvent::SandboxEscape { .. } | AuditEvent::RemoteCallRefused { .. } => Level::Error,
            _ => Level::Debug,
        }
    }

    /// The event's fields, in the order of the table above.
    fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let fields = match *self {
            AuditEvent::ServiceRegistered { service } => [Some(("service", service)), None, None],
            AuditEvent::HandlerAdded { kind, name } => {
                [Some(("kind", kind)), Some(("name", name)), None]
            }
            AuditEvent::ConfigWritten { key } | AuditEvent::SecretEnvRead { key } => {
                [Some(("key", key)), None, None]
            }
            AuditEvent::FsWrite { path } | AuditEvent::FsDelete { path } => {
                [Some(("path", path)), None, None]
            }
            AuditEvent::SandboxEscape { root, path } => {
                [Some(("root", root)), Some(("path", path)), None]
            }
            AuditEvent::RemoteCallAccepted { peer, action } => {
                [Some(("peer", peer)), Some(("action", action)), None]
            }
            AuditEvent::RemoteCallRefused {
                peer,
                action,
                reason,
            } => [
                Some(("peer", peer)),
                Some(("action", action)),
                Some(("reason", reason)),
            ],
        };
        fields.into_iter().flatten()
    }
}

/// Logs a routine audit event: debug level, the Security target, to the current
/// subscriber.
macro_rules! routine {
    ($($arg:tt)+) => {
        tracing::event!(target: SECURITY_TARGET, tracing::Level::DEBUG, $($arg)+)
    };
}

impl Logger {
    /// Records `event` in the audit trail: in the audit output when the logger has one
    /// ([`LoggerBuilder::audit_output`](crate::LoggerBuilder::audit_output): every event,
    /// whatever the level), and in the log as a Security event at the event's
    /// [`level`](AuditEvent::level) — the application's subscriber when one is current
    /// (its JSON pipeline, its exporter: see [`application_dispatch`](crate::application_dispatch)),
    /// else this logger.
    ///
    /// ```
    /// use corers_log::{AuditEvent, Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// log.audit(AuditEvent::SandboxEscape { root: "/srv/data", path: "../etc/passwd" });
    /// log.audit(AuditEvent::FsWrite { path: "notes.md" }); // debug: not at the info level
    /// assert!(sink.contents().ends_with(
    ///     "ERROR [security] audit event=fs.sandbox_escape root=/srv/data path=../etc/passwd\n"
    /// ));
    /// ```
    pub fn audit(&self, event: AuditEvent<'_>) {
        if let Some(trail) = self.audit_trail() {
            trail.write(&event);
        }
        match crate::application_dispatch() {
            Some(app) => tracing::dispatcher::with_default(&app, || log_audit(&event)),
            None if self.enabled(event.level()) => self.in_scope(|| log_audit(&event)),
            None => {}
        }
    }
}

/// Logs `event` as a Security event, to the current subscriber.
fn log_audit(event: &AuditEvent<'_>) {
    let name = event.name();
    match *event {
        AuditEvent::ServiceRegistered { service } => routine!(event = name, service, "audit"),
        AuditEvent::HandlerAdded {
            kind,
            name: handler,
        } => routine!(event = name, kind, name = handler, "audit"),
        AuditEvent::ConfigWritten { key } | AuditEvent::SecretEnvRead { key } => {
            routine!(event = name, key, "audit");
        }
        AuditEvent::FsWrite { path } | AuditEvent::FsDelete { path } => {
            routine!(event = name, path, "audit");
        }
        AuditEvent::RemoteCallAccepted { peer, action } => {
            routine!(event = name, peer, action, "audit");
        }
        AuditEvent::SandboxEscape { root, path } => {
            tracing::event!(target: SECURITY_TARGET, tracing::Level::ERROR, event = name, root, path, "audit");
        }
        AuditEvent::RemoteCallRefused {
            peer,
            action,
            reason,
        } => {
            tracing::event!(
                target: SECURITY_TARGET,
                tracing::Level::ERROR,
                event = name,
                peer,
                action,
                reason,
                "audit"
            );
        }
    }
}

/// The audit output: every audit event as one JSON line, whatever the logger's level.
pub(crate) struct AuditTrail {
    output: Output,
    clock: Clock,
    redactor: Redactor,
}

impl AuditTrail {
    pub(crate) fn new(output: Output, clock: Clock, redactor: Redactor) -> AuditTrail {
        AuditTrail {
            output,
            clock,
            redactor,
        }
    }

    pub(crate) fn flush(&self) {
        self.output.flush();
    }

    fn write(&self, event: &AuditEvent<'_>) {
        // As for every log line: a clock or writer that panics loses this line, not the
        // caller's operation (the file write being audited has already happened).
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut fields = String::new();
            Format::Json.render_field("event", FieldValue::Str(event.name()), &mut fields);
            for (key, value) in event.fields() {
                let value = if self.redactor.is_secret(key) {
                    REDACTED
                } else {
                    value
                };
                Format::Json.render_field(key, FieldValue::Str(value), &mut fields);
            }
            let record = Record {
                time: (self.clock)(),
                level: event.level(),
                target: SECURITY_TARGET,
                security: true,
                message: "audit",
                fields: &fields,
                spans: "",
            };
            let mut line = String::new();
            let style = Style {
                colour: false,
                target: true,
            };
            Format::Json.render(&record, style, &mut line);
            self.output.write_line(line.as_bytes());
            // Written through at once: a buffered file would lose the trail in a crash.
            self.output.flush_if_free();
        }));
        if let Err(payload) = written {
            let _ = corers_primitives::Error::from_caught("log.Logger.audit", payload);
        }
    }
}
