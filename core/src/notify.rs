//! systemd's readiness protocol (`sd_notify`): a service of `Type=notify` is told when the
//! application is up and when it begins to stop.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::Core;

impl Core {
    /// Sends `state` (`READY=1`, `STOPPING=1`) to the socket `NOTIFY_SOCKET` names (the
    /// Core's environment: its overrides, else the process's), as `sd_notify` does: a path,
    /// or an abstract name written `@name`. Without one nothing is sent; a send that fails
    /// is logged at debug and is no failure of the run.
    pub(crate) fn notify_supervisor(&self, state: &str) {
        let Some(socket) = self.env_variable("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
            return;
        };
        if let Err(err) = send(&socket, state) {
            tracing::debug!(socket = %socket, error = %err, "systemd notification not sent");
        }
    }

    /// Sends `STOPPING=1` unless `told` says it was sent already.
    pub(crate) fn tell_stopping(&self, told: &AtomicBool) {
        if !told.swap(true, Ordering::AcqRel) {
            self.notify_supervisor("STOPPING=1");
        }
    }
}

#[cfg(unix)]
fn send(socket: &str, state: &str) -> std::io::Result<usize> {
    let sender = std::os::unix::net::UnixDatagram::unbound()?;
    match socket.strip_prefix('@') {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some(name) => {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt as _;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt as _;
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            sender.send_to_addr(state.as_bytes(), &address)
        }
        _ => sender.send_to(state.as_bytes(), socket),
    }
}

#[cfg(not(unix))]
fn send(_socket: &str, _state: &str) -> std::io::Result<usize> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}
