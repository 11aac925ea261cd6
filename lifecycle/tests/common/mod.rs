//! Helpers shared by the lifecycle integration tests: services from a list of
//! registrations, a call log that hooks write to, and a service that records its start and
//! stop there.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the helpers"
)]

use std::sync::{Arc, Mutex};

use corers_lifecycle::{Hooks, Registration, Services};
use corers_messaging::Bus;
use corers_primitives::Result;

/// Services on a bus of their own, `entries` registered in order.
pub fn services(entries: Vec<Registration<()>>) -> Services<()> {
    let services = Services::new(Bus::new());
    for registration in entries {
        services.register(registration).unwrap();
    }
    services
}

/// What hooks did, in order (`start store`, `stop store`, ...).
pub type Calls = Arc<Mutex<Vec<String>>>;

pub fn calls() -> Calls {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn record(calls: &Calls, entry: String) {
    calls.lock().unwrap().push(entry);
}

pub fn taken(calls: &Calls) -> Vec<String> {
    calls.lock().unwrap().clone()
}

/// A service that records `start <name>` and `stop <name>` in `calls`.
pub fn recorded(calls: &Calls) -> Hooks<()> {
    recorded_starting(calls, || Ok(()))
}

/// As [`recorded`], with the start hook returning what `outcome` gives.
pub fn recorded_starting(
    calls: &Calls,
    outcome: impl Fn() -> Result<()> + Send + Sync + 'static,
) -> Hooks<()> {
    let on_start = Arc::clone(calls);
    let on_stop = Arc::clone(calls);
    let outcome = Arc::new(outcome);
    Hooks::new()
        .on_start(move |ctx| {
            let calls = Arc::clone(&on_start);
            let outcome = Arc::clone(&outcome);
            async move {
                record(&calls, format!("start {}", ctx.name()));
                outcome()
            }
        })
        .on_stop(move |ctx| {
            let calls = Arc::clone(&on_stop);
            async move {
                record(&calls, format!("stop {}", ctx.name()));
                Ok(())
            }
        })
}
