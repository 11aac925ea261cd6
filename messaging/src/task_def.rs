//! [`TaskDef`]: a Task composed of Actions, as data (serde: TOML or JSON from config).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use corers_primitives::{ErrorCode, Options, Value};
use serde::{Deserialize, Serialize};

/// A Task: steps that run Actions, in order, in parallel, or on a condition, optionally on a
/// cron schedule. Deserializes from TOML or JSON:
///
/// ```
/// use corers_messaging::TaskDef;
///
/// let def: TaskDef = toml::from_str(r#"
///     description = "pull, index and announce"
///     schedule = "0 */15 * * * *"
///
///     [[steps]]
///     action = "git.pull"
///     options = { path = "/srv/repo" }
///     retry = { attempts = 3, backoff_ms = 200 }
///
///     [[steps]]
///     action = "index.build"
///     input = "previous"
///     timeout_ms = 60000
///
///     [[steps]]
///     parallel = [{ action = "cache.flush" }, { action = "search.reindex" }]
///     timeout_ms = 30000   # each of them
///
///     [[steps]]
///     when = "succeeded"
///     then = [{ action = "chat.announce", options = { text = "index rebuilt" } }]
///     else = [{ action = "chat.alert" }]
/// "#).unwrap();
/// assert_eq!(def.steps.len(), 4);
/// # let _ = toml::to_string(&def).unwrap();
/// ```
///
/// A `parallel` or `when` step may carry `retry`, `timeout_ms` and `detached`: they apply
/// to every `action` step inside that does not set its own, as [`Step::with_retry`] and
/// the others do; `options` and `input` belong to an `action` step.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TaskDef {
    /// What the Task does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The steps, run in order.
    pub steps: Vec<Step>,
    /// A cron expression for a [`Scheduler`](crate::Scheduler): 5 fields read as crontab
    /// reads them, or 6–7 with seconds first; in UTC, or on the clock a `CRON_TZ=` prefix
    /// names (`CRON_TZ=Local 0 3 * * *`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

impl TaskDef {
    /// A Task of `steps`, with no description and no schedule.
    ///
    /// ```
    /// use corers_messaging::{Step, TaskDef};
    /// let def = TaskDef::new(vec![Step::run("git.pull"), Step::run("index.build").with_previous()]);
    /// assert_eq!(def.steps.len(), 2);
    /// ```
    pub fn new(steps: Vec<Step>) -> TaskDef {
        TaskDef {
            description: String::new(),
            steps,
            schedule: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> TaskDef {
        self.description = description.into();
        self
    }

    /// Runs the Task on a cron schedule (see [`Scheduler`](crate::Scheduler)).
    #[must_use]
    pub fn schedule(mut self, cron: impl Into<String>) -> TaskDef {
        self.schedule = Some(cron.into());
        self
    }
}

/// One step of a Task.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "RawStep", into = "RawStep")]
#[non_exhaustive]
pub enum Step {
    /// Runs one Action.
    Run(RunStep),
    /// Runs its steps at once and waits for all of them; every failure is reported.
    Parallel(Vec<Step>),
    /// Runs `then` or `otherwise` depending on the previous step.
    When {
        /// What decides.
        condition: Condition,
        /// Run when the condition holds.
        then: Vec<Step>,
        /// Run when it does not.
        otherwise: Vec<Step>,
    },
}

impl Step {
    /// A step running the Action `action` with no options.
    ///
    /// ```
    /// use corers_messaging::Step;
    /// let step = Step::run("cache.flush");
    /// ```
    pub fn run(action: impl Into<String>) -> Step {
        Step::Run(RunStep {
            action: action.into(),
            options: Options::new(),
            previous: false,
            retry: None,
            timeout: None,
            detached: false,
        })
    }

    /// Steps run at once.
    pub fn parallel(steps: Vec<Step>) -> Step {
        Step::Parallel(steps)
    }

    /// Steps run depending on the previous step.
    pub fn when(condition: Condition, then: Vec<Step>, otherwise: Vec<Step>) -> Step {
        Step::When {
            condition,
            then,
            otherwise,
        }
    }

    /// Gives the Action these options. Like every `with_` setting here, on a parallel group
    /// or a `when` step it applies to every run step inside (both branches).
    #[must_use]
    pub fn with_options(self, options: Options) -> Step {
        self.map_run(move |run| run.options = options.clone())
    }

    /// Feeds the previous step's output in as input (a map's entries become options;
    /// any other value becomes the option `input`); explicit options win over it. In a
    /// `when` branch that took a failure, the previous output says what failed: `error`
    /// (its messages), `code`, and the `step` and `action` that failed. An Action whose
    /// schema is [closed](crate::Schema::closed) gets only the keys of a map it declares.
    #[must_use]
    pub fn with_previous(self) -> Step {
        self.map_run(|run| run.previous = true)
    }

    /// Retries a failing run (for a group or a branch, each run step inside that has no
    /// retry of its own).
    #[must_use]
    pub fn with_retry(self, retry: Retry) -> Step {
        match self {
            Step::Run(mut run) => {
                run.retry = Some(retry);
                Step::Run(run)
            }
            group => group.map_run(move |run| {
                run.retry.get_or_insert_with(|| retry.clone());
            }),
        }
    }

    /// Ends each attempt after `timeout` with `TIMEOUT` (for a group or a branch, each run
    /// step inside that has no timeout of its own: `Step::parallel(..).with_timeout(..)`
    /// bounds every member, a member's own bound wins).
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Step {
        match self {
            Step::Run(mut run) => {
                run.timeout = Some(timeout);
                Step::Run(run)
            }
            group => group.map_run(|run| {
                run.timeout.get_or_insert(timeout);
            }),
        }
    }

    /// Starts the run without waiting for it; its outcome is reported as a
    /// [`TaskStepCompleted`](crate::TaskStepCompleted) event, and a failure is also logged
    /// as a warning (each run step inside, for a group or a branch).
    #[must_use]
    pub fn detached(self) -> Step {
        self.map_run(|run| run.detached = true)
    }

    /// Applies `change` to this run step, or to every run step inside this group or branch.
    fn map_run(mut self, change: impl Fn(&mut RunStep)) -> Step {
        fn each(step: &mut Step, change: &dyn Fn(&mut RunStep)) {
            match step {
                Step::Run(run) => change(run),
                Step::Parallel(steps) => steps.iter_mut().for_each(|s| each(s, change)),
                Step::When {
                    then, otherwise, ..
                } => then
                    .iter_mut()
                    .chain(otherwise.iter_mut())
                    .for_each(|s| each(s, change)),
            }
        }
        each(&mut self, &change);
        self
    }
}

/// A step that runs one Action.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunStep {
    /// The Action's name.
    pub action: String,
    /// Its options.
    pub options: Options,
    /// Whether the previous step's output is fed in.
    pub previous: bool,
    /// How to retry it.
    pub retry: Option<Retry>,
    /// The limit on each attempt.
    pub timeout: Option<Duration>,
    /// Whether the chain goes on without waiting for it.
    pub detached: bool,
}

/// How a failing run step is retried: `attempts` in all, waiting `backoff` before the
/// second, twice as long before each next (capped at `max_backoff`), with equal jitter
/// (a random wait between half of that and all of it, so that many callers' retries
/// spread). While the Action's circuit breaker is open, the
/// next attempt waits out its cool-down instead (a refusal is not worth an attempt), and a
/// wait that would pass the run's deadline ends the retries there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Retry {
    /// Attempts in all, the first included: from 1 to [`Retry::MAX_ATTEMPTS`].
    pub attempts: u32,
    /// The wait before the second attempt, in milliseconds (at least half of it, with the
    /// jitter); at most [`Retry::LONGEST_WAIT_MS`].
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// The longest wait, in milliseconds (10 seconds unless set; never below
    /// `backoff_ms`, which is always the first wait); at most [`Retry::LONGEST_WAIT_MS`].
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Error codes worth retrying. Absent means every code but `INVALID`, `NOT_FOUND`,
    /// `DENIED` and `LOCKED` (the failures another attempt cannot fix); an empty list means
    /// none. Each must be a well-formed code (`TIMEOUT`, `GIT_BUSY`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "codes"
    )]
    pub retry_on: Option<Vec<ErrorCode>>,
}

/// Reads `retry_on`, refusing anything that is not an error code (`"timeout"` would never
/// match and is almost surely a typo for `"TIMEOUT"`).
fn codes<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<ErrorCode>>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .into_iter()
        .map(|code| {
            ErrorCode::new(code.clone()).map_err(|_| {
                serde::de::Error::custom(format!(
                    "retry_on: {code:?} is not an error code (use upper case, like \"TIMEOUT\")"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn default_backoff_ms() -> u64 {
    100
}

fn default_max_backoff_ms() -> u64 {
    10_000
}

impl Retry {
    /// The most attempts a step may make: a bound on how long a failing step can keep a
    /// Task going (100 attempts at the default 10-second cap is about 17 minutes).
    pub const MAX_ATTEMPTS: u32 = 100;

    /// `attempts` in all, starting at a `backoff` wait, capped at 10 seconds (or at
    /// `backoff`, when that is longer).
    ///
    /// ```
    /// use std::time::Duration;
    /// use corers_messaging::Retry;
    /// let retry = Retry::new(3, Duration::from_millis(200));
    /// assert_eq!(retry.attempts, 3);
    /// ```
    pub fn new(attempts: u32, backoff: Duration) -> Retry {
        let backoff_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
        Retry {
            attempts,
            backoff_ms,
            max_backoff_ms: default_max_backoff_ms().max(backoff_ms),
            retry_on: None,
        }
    }

    /// Retries only failures with these codes (none, for an empty list).
    #[must_use]
    pub fn on(mut self, codes: &[ErrorCode]) -> Retry {
        self.retry_on = Some(codes.to_vec());
        self
    }

    pub(crate) fn retries(&self, code: Option<&ErrorCode>) -> bool {
        match &self.retry_on {
            None => !matches!(
                code,
                Some(c) if [ErrorCode::INVALID, ErrorCode::NOT_FOUND, ErrorCode::DENIED, ErrorCode::LOCKED].contains(c)
            ),
            Some(codes) => code.is_some_and(|c| codes.contains(c)),
        }
    }

    /// The capped exponential wait before attempt `attempt` (2 = the first retry).
    pub(crate) fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(32);
        let ms = self
            .backoff_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_backoff_ms.max(self.backoff_ms));
        Duration::from_millis(ms)
    }

    /// The longest wait between two attempts, in milliseconds (an hour): a wait of years
    /// (a value in the wrong unit) would hold the Task, and its schedule, without a word.
    pub const LONGEST_WAIT_MS: u64 = 3_600_000;

    /// What makes this retry unusable, if anything: an attempt count out of range, or a
    /// wait longer than [`Retry::LONGEST_WAIT_MS`].
    pub(crate) fn problem(&self) -> Option<String> {
        if !(1..=Retry::MAX_ATTEMPTS).contains(&self.attempts) {
            return Some(format!(
                "retry.attempts must be from 1 to {}, found {}",
                Retry::MAX_ATTEMPTS,
                self.attempts
            ));
        }
        let longest = self.backoff_ms.max(self.max_backoff_ms);
        (longest > Retry::LONGEST_WAIT_MS).then(|| {
            format!(
                "retry waits must be at most {} ms (an hour), found {longest} ms",
                Retry::LONGEST_WAIT_MS
            )
        })
    }
}

/// What decides a [`Step::When`]: the previous step's success or failure, or a test of its
/// output.
///
/// Only [`Succeeded`](Condition::Succeeded) and [`Failed`](Condition::Failed) handle a
/// failure: after a failed step, a step whose condition tests the output is not reached —
/// the failure stops the chain there, as it would any step, instead of quietly taking the
/// `else` branch and leaving the Task looking successful. A run that was cancelled or
/// passed its deadline stops where it was cut off: no branch takes that.
#[derive(Clone, Deserialize)]
#[serde(try_from = "Value")]
#[non_exhaustive]
pub enum Condition {
    /// The previous step succeeded.
    Succeeded,
    /// The previous step failed (the chain goes on into the branch instead of stopping).
    Failed,
    /// The previous output is a map whose `key` equals `value`.
    Equals {
        /// The key in the output map.
        key: String,
        /// The value it must have.
        value: Value,
    },
    /// The previous output is a map holding `key` with a non-null value.
    Exists(String),
    /// Any test of the previous output. It has no data form: serializing a Task that holds
    /// one is an error, rather than a dump that would not load back.
    Custom(Arc<dyn Fn(&Value) -> bool + Send + Sync>),
}

impl Condition {
    /// A condition tested by `test` on the previous step's output (never asked after a
    /// failure: that stops the chain).
    ///
    /// ```
    /// use corers_messaging::Condition;
    /// let changed = Condition::custom(|out| out.as_i64().is_some_and(|n| n > 0));
    /// ```
    pub fn custom(test: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Condition {
        Condition::Custom(Arc::new(test))
    }

    /// Reports whether this condition decides what happens after a failure (the others
    /// test an output a failed step does not have).
    pub(crate) fn handles_failure(&self) -> bool {
        matches!(self, Condition::Succeeded | Condition::Failed)
    }

    /// Tests the previous step's outcome; a custom test that panics is an error.
    pub(crate) fn holds(
        &self,
        previous: Option<&Result<Value, corers_primitives::Error>>,
    ) -> Result<bool, corers_primitives::Error> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.test(previous))).map_err(
            |payload| corers_primitives::Error::from_caught("messaging.Condition.holds", payload),
        )
    }

    fn test(&self, previous: Option<&Result<Value, corers_primitives::Error>>) -> bool {
        let output = match previous {
            None => Some(&Value::Null),
            Some(Ok(value)) => Some(value),
            Some(Err(_)) => None,
        };
        match self {
            Condition::Succeeded => output.is_some(),
            Condition::Failed => output.is_none(),
            Condition::Equals { key, value } => output
                .and_then(Value::as_map)
                .and_then(|m| m.get(key))
                .is_some_and(|v| crate::schema::same(v, value)),
            Condition::Exists(key) => output
                .and_then(Value::as_map)
                .and_then(|m| m.get(key))
                .is_some_and(|v| !v.is_null()),
            Condition::Custom(test) => output.is_some_and(|v| test(v)),
        }
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Succeeded => f.write_str("Succeeded"),
            Condition::Failed => f.write_str("Failed"),
            Condition::Equals { key, value } => write!(f, "Equals({key:?} = {value})"),
            Condition::Exists(key) => write!(f, "Exists({key:?})"),
            Condition::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// The serialized form of a step: exactly one of `action`, `parallel` or `when`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Options>,
    /// `"previous"` feeds the previous output in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    detached: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parallel: Option<Vec<Step>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    when: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    then: Option<Vec<Step>>,
    #[serde(default, rename = "else", skip_serializing_if = "Option::is_none")]
    otherwise: Option<Vec<Step>>,
}

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Step, String> {
        // What only an `action` step takes, and what only a `when` step takes.
        let run_key = [
            ("options", raw.options.is_some()),
            ("input", raw.input.is_some()),
        ]
        .into_iter()
        .find_map(|(key, given)| given.then_some(key));
        let branch_key = [
            ("then", raw.then.is_some()),
            ("else", raw.otherwise.is_some()),
        ]
        .into_iter()
        .find_map(|(key, given)| given.then_some(key));
        if let Some(problem) = raw.retry.as_ref().and_then(Retry::problem) {
            return Err(format!("{}: {problem}", raw.kind()));
        }
        let step = match (raw.action, raw.parallel, raw.when) {
            (Some(action), None, None) => {
                if let Some(key) = branch_key {
                    return Err(format!("step {action:?}: `{key}` needs `when`"));
                }
                let previous = match raw.input.as_deref() {
                    None => false,
                    Some("previous") => true,
                    Some(other) => {
                        return Err(format!(
                            "step {action:?}: input must be \"previous\", found {other:?}"
                        ));
                    }
                };
                return Ok(Step::Run(RunStep {
                    action,
                    options: raw.options.unwrap_or_default(),
                    previous,
                    retry: raw.retry,
                    timeout: raw.timeout_ms.map(Duration::from_millis),
                    detached: raw.detached,
                }));
            }
            (None, Some(steps), None) => {
                if let Some(key) = run_key.or(branch_key) {
                    return Err(format!("a `parallel` step takes no `{key}`"));
                }
                Step::Parallel(steps)
            }
            (None, None, Some(condition)) => {
                if let Some(key) = run_key {
                    return Err(format!("a `when` step takes no `{key}`"));
                }
                Step::When {
                    condition,
                    then: raw.then.unwrap_or_default(),
                    otherwise: raw.otherwise.unwrap_or_default(),
                }
            }
            (None, None, None) => {
                return Err("a step needs one of `action`, `parallel` or `when`".to_owned());
            }
            (action, parallel, when) => {
                let given: Vec<&str> = [
                    ("`action`", action.is_some()),
                    ("`parallel`", parallel.is_some()),
                    ("`when`", when.is_some()),
                ]
                .into_iter()
                .filter_map(|(key, given)| given.then_some(key))
                .collect();
                return Err(format!(
                    "a step is exactly one of `action`, `parallel` or `when`, not {}",
                    given.join(" and ")
                ));
            }
        };
        // A group's or a branch's settings are each run step's inside, as the builder's.
        let step = match raw.retry {
            Some(retry) => step.with_retry(retry),
            None => step,
        };
        let step = match raw.timeout_ms {
            Some(ms) => step.with_timeout(Duration::from_millis(ms)),
            None => step,
        };
        Ok(if raw.detached { step.detached() } else { step })
    }
}

impl RawStep {
    /// What the step is, for an error about it: `step "git.pull"`, `a parallel step`.
    fn kind(&self) -> String {
        match (&self.action, &self.parallel) {
            (Some(action), _) => format!("step {action:?}"),
            (None, Some(_)) => "a `parallel` step".to_owned(),
            (None, None) => "a `when` step".to_owned(),
        }
    }
}

impl From<Step> for RawStep {
    fn from(step: Step) -> RawStep {
        let mut raw = RawStep {
            action: None,
            options: None,
            input: None,
            retry: None,
            timeout_ms: None,
            detached: false,
            parallel: None,
            when: None,
            then: None,
            otherwise: None,
        };
        match step {
            Step::Run(run) => {
                raw.action = Some(run.action);
                raw.options = (!run.options.is_empty()).then_some(run.options);
                raw.input = run.previous.then(|| "previous".to_owned());
                raw.retry = run.retry;
                raw.timeout_ms = run
                    .timeout
                    .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
                raw.detached = run.detached;
            }
            Step::Parallel(steps) => raw.parallel = Some(steps),
            Step::When {
                condition,
                then,
                otherwise,
            } => {
                raw.when = Some(condition);
                raw.then = Some(then);
                raw.otherwise = (!otherwise.is_empty()).then_some(otherwise);
            }
        }
        raw
    }
}

/// The serialized form of a condition: `"succeeded"`, `"failed"`, `{ key, equals }` or
/// `{ exists }`.
#[derive(Serialize)]
#[serde(untagged)]
enum RawCondition<'a> {
    Word(&'static str),
    Equals { key: &'a str, equals: &'a Value },
    Exists { exists: &'a str },
}

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = match self {
            Condition::Succeeded => RawCondition::Word("succeeded"),
            Condition::Failed => RawCondition::Word("failed"),
            Condition::Equals { key, value } => RawCondition::Equals { key, equals: value },
            Condition::Exists(key) => RawCondition::Exists { exists: key },
            Condition::Custom(_) => {
                return Err(serde::ser::Error::custom(
                    "a custom condition (Condition::custom) has no data form and cannot be serialized",
                ));
            }
        };
        raw.serialize(serializer)
    }
}

impl TryFrom<Value> for Condition {
    type Error = String;

    fn try_from(raw: Value) -> Result<Condition, String> {
        const SHAPES: &str =
            "\"succeeded\", \"failed\", { key = \"…\", equals = … } or { exists = \"…\" }";
        if let Some(word) = raw.as_str() {
            return match word {
                "succeeded" => Ok(Condition::Succeeded),
                "failed" => Ok(Condition::Failed),
                other => Err(format!("condition must be {SHAPES}, found {other:?}")),
            };
        }
        let Some(table) = raw.as_map() else {
            return Err(format!(
                "condition must be {SHAPES}, found a {}",
                raw.kind()
            ));
        };
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        keys.sort_unstable();
        match (
            keys.as_slice(),
            table.get("key"),
            table.get("equals"),
            table.get("exists"),
        ) {
            (["equals", "key"], Some(Value::String(key)), Some(value), _) => {
                Ok(Condition::Equals {
                    key: key.clone(),
                    value: value.clone(),
                })
            }
            (["exists"], _, _, Some(Value::String(key))) => Ok(Condition::Exists(key.clone())),
            _ => Err(format!(
                "condition must be {SHAPES}, found a table with keys {}",
                keys.join(", ")
            )),
        }
    }
}
