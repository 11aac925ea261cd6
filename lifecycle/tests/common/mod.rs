//! Helpers shared by the lifecycle integration tests: a call log that hooks write to, and
//! a service that records its start and stop there.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the helpers"
)]

use std::sync::{Arc, Mutex};

use corers_lifecycle::Hooks;

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
    let on_start = Arc::clone(calls);
    let on_stop = Arc::clone(calls);
    Hooks::new()
        .on_start(move |ctx| {
            let calls = Arc::clone(&on_start);
            async move {
                record(&calls, format!("start {}", ctx.name()));
                Ok(())
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
