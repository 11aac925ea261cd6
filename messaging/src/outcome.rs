//! What a dispatch returns: [`Report`] for broadcasts, [`Outcome`] for queries and tasks.

use std::fmt;

use corers_primitives::Error;

use crate::HandlerId;

/// What happened to a broadcast: how many handlers ran, and which of them failed.
///
/// Every handler runs even when an earlier one fails or panics; a panic is reported as an
/// [`ErrorCode::INTERNAL`](corers_primitives::ErrorCode::INTERNAL) failure.
///
/// ```
/// use corers_messaging::Bus;
/// use corers_primitives::Error;
///
/// struct CacheFlush;
/// let bus: Bus<()> = Bus::new();
/// bus.on(|_, _: &CacheFlush| Ok(()));
/// bus.on(|_, _: &CacheFlush| Err(Error::new("cache.Redis.flush", "connection refused")));
/// let report = bus.broadcast(&(), &CacheFlush).unwrap();
/// assert_eq!(report.handled(), 2);
/// assert_eq!(report.failures().len(), 1);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Report(Ran);

/// A report in two words, so that `Result<Report>` comes back in registers: the count
/// alone on the path where every handler succeeds.
#[derive(Clone)]
enum Ran {
    Clean(usize),
    Failed(Box<(usize, Vec<Failure>)>),
}

impl Default for Ran {
    fn default() -> Ran {
        Ran::Clean(0)
    }
}

/// One handler's failure inside a [`Report`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Failure {
    /// The handler that failed.
    pub handler: HandlerId,
    /// What it returned, or its panic as an `INTERNAL` error.
    pub error: Error,
}

impl Report {
    /// `handled` handlers ran, and `failures` of them failed.
    pub(crate) fn new(handled: usize, failures: Vec<Failure>) -> Report {
        if failures.is_empty() {
            Report(Ran::Clean(handled))
        } else {
            Report(Ran::Failed(Box::new((handled, failures))))
        }
    }

    /// How many handlers ran (failed ones included).
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// assert_eq!(bus.broadcast(&(), &"nobody listens").unwrap().handled(), 0);
    /// ```
    pub fn handled(&self) -> usize {
        match &self.0 {
            Ran::Clean(handled) => *handled,
            Ran::Failed(failed) => failed.0,
        }
    }

    /// The handlers that failed, in the order they ran.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|_, _: &u8| Ok(()));
    /// assert!(bus.broadcast(&(), &1u8).unwrap().failures().is_empty());
    /// ```
    pub fn failures(&self) -> &[Failure] {
        match &self.0 {
            Ran::Clean(_) => &[],
            Ran::Failed(failed) => &failed.1,
        }
    }

    /// Reports whether no handler failed.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|_, _: &u8| Ok(()));
    /// assert!(bus.broadcast(&(), &1u8).unwrap().is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        matches!(self.0, Ran::Clean(_))
    }

    /// `Ok(handled)` when no handler failed; otherwise every failure joined into one error.
    ///
    /// ```
    /// use corers_messaging::Bus;
    /// use corers_primitives::Error;
    /// let bus: Bus<()> = Bus::new();
    /// bus.on(|_, _: &u8| Err(Error::new("audit.Sink.write", "disk full")));
    /// let err = bus.broadcast(&(), &1u8).unwrap().into_result().unwrap_err();
    /// assert_eq!(err.to_string(), "audit.Sink.write: disk full");
    /// ```
    ///
    /// # Errors
    /// The failures, joined with [`Error::join_in`] under `messaging.Bus.broadcast`.
    pub fn into_result(self) -> Result<usize, Error> {
        let (handled, failures) = match self.0 {
            Ran::Clean(handled) => return Ok(handled),
            Ran::Failed(failed) => *failed,
        };
        match Error::join_in(
            "messaging.Bus.broadcast",
            failures.into_iter().map(|f| f.error),
        ) {
            None => Ok(handled),
            Some(err) => Err(err),
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("handled", &self.handled())
            .field("failures", &self.failures())
            .finish()
    }
}

/// The three ways a query or a task can end: a handler answered, a handler took it and
/// failed, or nobody took it. "Nobody answered" is never dressed up as an error.
///
/// ```
/// use corers_messaging::{Bus, Outcome, Query};
///
/// struct WorkspaceCount;
/// impl Query for WorkspaceCount { type Answer = usize; }
///
/// let bus: Bus<()> = Bus::new();
/// assert!(matches!(bus.query(&(), &WorkspaceCount), Outcome::NotHandled));
/// bus.on_query(|_, _: &WorkspaceCount| Some(Ok(3)));
/// assert_eq!(bus.query(&(), &WorkspaceCount).answer(), Some(3));
/// ```
#[derive(Debug)]
#[must_use]
pub enum Outcome<T> {
    /// A handler answered.
    Answered(T),
    /// A handler took the request and failed (or panicked).
    Failed(Error),
    /// No handler took the request.
    NotHandled,
}

impl<T> Outcome<T> {
    /// The answer, if there was one.
    ///
    /// ```
    /// use corers_messaging::Outcome;
    /// assert_eq!(Outcome::Answered(8080).answer(), Some(8080));
    /// assert_eq!(Outcome::<u16>::NotHandled.answer(), None);
    /// ```
    pub fn answer(self) -> Option<T> {
        match self {
            Outcome::Answered(value) => Some(value),
            _ => None,
        }
    }

    /// `Ok(Some(answer))`, `Ok(None)` when nobody took it, `Err` when a handler failed.
    ///
    /// ```
    /// use corers_messaging::Outcome;
    /// use corers_primitives::Error;
    /// assert_eq!(Outcome::Answered(3).into_result().unwrap(), Some(3));
    /// assert_eq!(Outcome::<u8>::NotHandled.into_result().unwrap(), None);
    /// assert!(Outcome::<u8>::Failed(Error::new("q", "boom")).into_result().is_err());
    /// ```
    ///
    /// # Errors
    /// The handler's error, for [`Outcome::Failed`].
    pub fn into_result(self) -> Result<Option<T>, Error> {
        match self {
            Outcome::Answered(value) => Ok(Some(value)),
            Outcome::Failed(err) => Err(err),
            Outcome::NotHandled => Ok(None),
        }
    }
}
