//! systemd's readiness protocol (`sd_notify`): a service of `Type=notify` is told when the
//! application is up and when it begins to stop, and, under `WatchdogSec=`, that it is
//! still alive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::Core;

impl Core {
    /// Sends `state` (`READY=1`, `STOPPING=1`) to the socket `NOTIFY_SOCKET` names (the
    /// Core's environment: its overrides, else the process's), as `sd_notify` does: a path,
    /// or an abstract name written `@name`. Without one nothing is sent; a send that fails
    /// is logged as a warning (systemd, never told, would end the unit at its start
    /// timeout) and is no failure of the run.
    pub(crate) fn notify_supervisor(&self, state: &str) {
        let Some(socket) = self.env_variable("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
            return;
        };
        if let Err(err) = send(&socket, state) {
            tracing::warn!(socket = %socket, state, error = %err, "systemd notification not sent");
        }
    }

    /// Under systemd's watchdog (`WATCHDOG_USEC` set and not 0, for this process when
    /// `WATCHDOG_PID` names one), sends `WATCHDOG=1` every half of its interval while the
    /// returned guard lives: pings come from the runtime's own tasks, so a runtime that
    /// stops running them is ended and restarted as the unit's `WatchdogSec=` asks. Ticks
    /// missed while the runtime stalled are not sent in a burst; a ping that cannot be
    /// sent is warned of once, and the next ones are still tried. `None` without a
    /// watchdog.
    pub(crate) fn watchdog(&self) -> Option<Watchdog> {
        let usec: u64 = self
            .env_variable("WATCHDOG_USEC")?
            .parse()
            .ok()
            .filter(|&usec| usec > 0)?;
        if let Some(pid) = self.env_variable("WATCHDOG_PID")
            && pid.parse::<u32>().ok() != Some(std::process::id())
        {
            return None;
        }
        let socket = self
            .env_variable("NOTIFY_SOCKET")
            .filter(|s| !s.is_empty())?;
        let every = Duration::from_micros(usec / 2).max(Duration::from_millis(1));
        let pings = async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut warned = false;
            loop {
                ticks.tick().await;
                if let Err(err) = send(&socket, "WATCHDOG=1")
                    && !std::mem::replace(&mut warned, true)
                {
                    tracing::warn!(socket = %socket, error = %err, "systemd watchdog ping not sent");
                }
            }
        };
        Some(Watchdog(tokio::spawn(
            tracing::instrument::WithSubscriber::with_current_subscriber(pings),
        )))
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
    // A supervisor that stopped reading (its queue full) is told nothing rather than
    // blocking the runtime's thread.
    sender.set_nonblocking(true)?;
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

/// The watchdog's pings, stopped when dropped (the run ended, or its future was dropped).
pub(crate) struct Watchdog(tokio::task::JoinHandle<()>);

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.abort();
    }
}
