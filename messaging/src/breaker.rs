//! The circuit breaker of an Action: stop calling what keeps failing, then try again.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; the count of consecutive failures so far.
    Closed(u32),
    /// Calls are refused until the cool-down ends.
    Open,
    /// The cool-down ended: one trial call goes through; its outcome closes or reopens.
    HalfOpen,
}

/// After `failures` consecutive failures, refuse calls for `cooldown`, then let one trial
/// through (half-open): success closes the breaker, failure opens it again.
#[derive(Debug)]
pub(crate) struct Breaker {
    failures: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    Closed { consecutive: u32 },
    Open { until: Instant },
    HalfOpen { trial_running: bool },
}

impl Breaker {
    pub(crate) fn new(failures: u32, cooldown: Duration) -> Breaker {
        Breaker {
            failures: failures.max(1),
            cooldown,
            state: Mutex::new(State::Closed { consecutive: 0 }),
        }
    }

    /// Asks to make a call now: `false` when the breaker refuses it.
    pub(crate) fn allow(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if Instant::now() >= until => {
                *state = State::HalfOpen {
                    trial_running: true,
                };
                true
            }
            State::Open { .. }
            | State::HalfOpen {
                trial_running: true,
            } => false,
            State::HalfOpen {
                trial_running: false,
            } => {
                *state = State::HalfOpen {
                    trial_running: true,
                };
                true
            }
        }
    }

    /// Records the outcome of an allowed call.
    pub(crate) fn record(&self, succeeded: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state = match (&*state, succeeded) {
            (_, true) => State::Closed { consecutive: 0 },
            (State::Closed { consecutive }, false) if consecutive + 1 < self.failures => {
                State::Closed {
                    consecutive: consecutive + 1,
                }
            }
            (_, false) => State::Open {
                until: open_until(self.cooldown),
            },
        };
    }

    /// Gives the trial slot back when an allowed call ended without an outcome that counts
    /// (it was cancelled before the handler finished).
    pub(crate) fn release(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let State::HalfOpen {
            trial_running: true,
        } = *state
        {
            *state = State::HalfOpen {
                trial_running: false,
            };
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Closed { consecutive } => BreakerState::Closed(consecutive),
            State::Open { until } if Instant::now() >= until => BreakerState::HalfOpen,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// When a breaker opened now with `cooldown` closes again; a cool-down too long to
/// represent lasts a century.
fn open_until(cooldown: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(cooldown)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}
