//! The circuit breaker of an Action: stop calling what keeps failing, then try again.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Calls go through; the count of consecutive failures so far.
    Closed(u32),
    /// Calls are refused until the cool-down ends.
    Open,
    /// The cool-down ended: one trial call goes through; its outcome closes or reopens.
    HalfOpen,
}

/// How a call got past the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admitted {
    /// While closed: one of many calls, admitted after the breaker had opened this many
    /// times (a call from before the latest opening is a straggler, whose outcome says
    /// nothing about the backend now).
    Closed(u64),
    /// As the half-open trial.
    Trial,
}

/// After `failures` consecutive failures, refuse calls for `cooldown`, then let one trial
/// through (half-open): success closes the breaker, failure opens it again.
#[derive(Debug)]
pub(crate) struct Breaker {
    failures: u32,
    cooldown: Duration,
    state: Mutex<Tracked>,
}

#[derive(Debug)]
struct Tracked {
    state: State,
    /// How many times the breaker has opened.
    openings: u64,
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
            state: Mutex::new(Tracked {
                state: State::Closed { consecutive: 0 },
                openings: 0,
            }),
        }
    }

    /// Asks to make a call now: `None` when the breaker refuses it, otherwise whether the
    /// call is the half-open trial (whose outcome alone decides what the breaker does next).
    pub(crate) fn allow(&self) -> Option<Admitted> {
        let mut tracked = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let openings = tracked.openings;
        let state = &mut tracked.state;
        match *state {
            State::Closed { .. } => Some(Admitted::Closed(openings)),
            State::Open { until } if Instant::now() >= until => {
                *state = State::HalfOpen {
                    trial_running: true,
                };
                Some(Admitted::Trial)
            }
            State::Open { .. }
            | State::HalfOpen {
                trial_running: true,
            } => None,
            State::HalfOpen {
                trial_running: false,
            } => {
                *state = State::HalfOpen {
                    trial_running: true,
                };
                Some(Admitted::Trial)
            }
        }
    }

    /// Reports whether [`allow`](Breaker::allow) would refuse a call now, without taking a
    /// trial: for refusing a call before it queues for a concurrency slot.
    pub(crate) fn refuses(&self) -> bool {
        match self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
        {
            State::Open { until } => Instant::now() < until,
            State::HalfOpen { trial_running } => trial_running,
            State::Closed { .. } => false,
        }
    }

    /// Records the outcome of a call admitted as `admitted`. A call admitted while the
    /// breaker was closed that ends after it opened (a slow straggler) changes nothing: it
    /// neither shortens the cool-down nor restarts it, nor, once a trial has closed the
    /// breaker again, counts against the recovered backend.
    pub(crate) fn record(&self, admitted: Admitted, succeeded: bool) {
        let mut tracked = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let current = match admitted {
            Admitted::Closed(openings) => openings == tracked.openings,
            Admitted::Trial => true,
        };
        let next = match (admitted, &tracked.state, succeeded) {
            _ if !current => return,
            (Admitted::Trial, _, true) | (Admitted::Closed(_), State::Closed { .. }, true) => {
                State::Closed { consecutive: 0 }
            }
            (Admitted::Closed(_), State::Closed { consecutive }, false)
                if consecutive + 1 < self.failures =>
            {
                State::Closed {
                    consecutive: consecutive + 1,
                }
            }
            (Admitted::Trial, _, false) | (Admitted::Closed(_), State::Closed { .. }, false) => {
                tracked.openings += 1;
                State::Open {
                    until: open_until(self.cooldown),
                }
            }
            (Admitted::Closed(_), State::Open { .. } | State::HalfOpen { .. }, _) => return,
        };
        tracked.state = next;
    }

    /// Gives the trial slot back when the trial ended without an outcome that counts (it
    /// was cancelled, or refused before its handler ran); other calls have nothing to give.
    pub(crate) fn release(&self, admitted: Admitted) {
        let mut tracked = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if admitted == Admitted::Trial
            && let State::HalfOpen {
                trial_running: true,
            } = tracked.state
        {
            tracked.state = State::HalfOpen {
                trial_running: false,
            };
        }
    }

    /// How long the breaker stays open, when it is open.
    pub(crate) fn cooldown_left(&self) -> Option<Duration> {
        match self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
        {
            State::Open { until } => {
                Some(until.saturating_duration_since(Instant::now())).filter(|left| !left.is_zero())
            }
            _ => None,
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        match self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
        {
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
