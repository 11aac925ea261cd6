//! [`Tasks`]: named Task definitions, and running them step by step.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Options, Registry, Result, Value, shown_name};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber;

use crate::action::sleep_until;
use crate::context::try_current;
use crate::{Actions, DispatchInfo, RunCtx, RunStep, Step, TaskDef};

/// Broadcast on the bus when a step of a Task ends (detached steps included).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskStepCompleted {
    /// The Task's name.
    pub task: String,
    /// Which run of the Task the step belongs to (see [`TaskReport::run`]): two runs of
    /// one Task at once (a scheduled one and one asked for) are told apart by it.
    pub run: u64,
    /// The step's position: `"2"`, or `"3.1"` for the second step inside step 3.
    pub step: String,
    /// The Action it ran.
    pub action: String,
    /// How many attempts it took.
    pub attempts: u32,
    /// How long it took, retries included.
    pub duration: Duration,
    /// Whether the chain went on without waiting for it.
    pub detached: bool,
    /// The error, when it failed.
    pub error: Option<Error>,
}

/// What one run step did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StepReport {
    /// The step's position (see [`TaskStepCompleted::step`]).
    pub step: String,
    /// The Action it ran.
    pub action: String,
    /// Its output or error (`Ok(Null)` for a detached step, whose outcome comes as an event,
    /// and as a warning in the log when it fails).
    pub outcome: Result<Value>,
    /// How many attempts it took.
    pub attempts: u32,
    /// How long it took.
    pub duration: Duration,
    /// Whether it was started detached: its outcome here is only that it started (`Ok(Null)`,
    /// no attempt counted), its real one an event.
    pub detached: bool,
}

/// Every run step's outcome, in step order (the members of a parallel group run together
/// and are reported in the order they are listed), and the error that stopped the Task.
#[derive(Clone, Debug)]
#[must_use]
#[non_exhaustive]
pub struct TaskReport {
    /// The Task's name.
    pub task: String,
    /// This run of the Task: a number no other run in this process has, carried by each
    /// of its steps' [`TaskStepCompleted`] events.
    pub run: u64,
    /// The steps that ran.
    pub steps: Vec<StepReport>,
    /// Why the Task stopped early, naming the Task, the step and the Action.
    pub error: Option<Error>,
    /// What the last step handed on (a parallel group's outputs as a list).
    output: Option<Value>,
}

impl TaskReport {
    /// Reports whether the Task ran to its end: no failure stopped it (a failure that a
    /// `when` branch took care of does not count; its step report still shows it).
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// What the last step handed on (a parallel group's outputs as a list), or the error
    /// that stopped the Task.
    ///
    /// # Errors
    /// The error that stopped the Task.
    pub fn into_result(self) -> Result<Value> {
        match self.error {
            Some(err) => Err(err),
            None => Ok(self.output.unwrap_or(Value::Null)),
        }
    }
}

/// The named Tasks of an application: definitions composed of Actions, run on demand or by
/// a [`Scheduler`](crate::Scheduler). Cheap to clone; clones share everything.
pub struct Tasks<C> {
    inner: Arc<TasksInner<C>>,
}

struct TasksInner<C> {
    registry: Registry<TaskDef>,
    actions: Actions<C>,
    /// The detached steps still running, for [`Tasks::wait_detached`].
    detached: Detached,
    /// Counts definitions and removals, so that a running scheduler sees them.
    defined: tokio::sync::watch::Sender<u64>,
}

impl<C> Clone for Tasks<C> {
    fn clone(&self) -> Self {
        Tasks {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Where a run is: the Task, its context, and the outcome of the step before.
struct Run<C> {
    name: Arc<str>,
    /// Which run this is (see [`TaskReport::run`]).
    id: u64,
    core: C,
    ctx: RunCtx,
    actions: Actions<C>,
    /// The dispatch the Task was run from: every step's Action runs under it, also the
    /// steps of parallel groups and detached steps, which run on tokio tasks of their own
    /// (where no dispatch is running), so a cascade through them still meets the depth
    /// limit.
    parent: Option<DispatchInfo>,
    /// Where detached steps are spawned (the Tasks' tracker).
    detached: Detached,
}

impl<C> Clone for Run<C>
where
    C: Clone,
{
    fn clone(&self) -> Self {
        Run {
            name: Arc::clone(&self.name),
            id: self.id,
            core: self.core.clone(),
            ctx: self.ctx.clone(),
            actions: self.actions.clone(),
            parent: self.parent,
            detached: self.detached.clone(),
        }
    }
}

type Steps<'a> = Pin<Box<dyn Future<Output = ChainEnd> + Send + 'a>>;

/// How a chain of steps ended: the last outcome, and the error that stops the Task.
struct ChainEnd {
    last: Option<Result<Value>>,
    stop: Option<Error>,
}

impl<C: Clone + Send + Sync + 'static> Tasks<C> {
    /// No Tasks yet; their steps run these `actions`.
    pub fn new(actions: Actions<C>) -> Tasks<C> {
        Tasks {
            inner: Arc::new(TasksInner {
                registry: Registry::new("tasks"),
                actions,
                detached: Detached::default(),
                defined: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// Defines (or replaces) the Task `name`.
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a malformed name (see [`Actions::register`]), a Task with
    /// no steps, a retry whose attempts are not from 1 to
    /// [`Retry::MAX_ATTEMPTS`](crate::Retry::MAX_ATTEMPTS), or a
    /// schedule that is not a valid cron expression or that no time from now on matches
    /// (`0 0 30 2 *`).
    pub fn define(&self, name: &str, def: TaskDef) -> Result<()> {
        const OP: &str = "messaging.Tasks.define";
        crate::action::check_name(OP, "task", name)?;
        if def.steps.is_empty() {
            return Err(
                Error::new(OP, format!("task {name:?} has no steps")).with_code(ErrorCode::INVALID)
            );
        }
        check_steps(name, &def.steps)?;
        if let Some(cron) = &def.schedule {
            let schedule = crate::schedule::Schedule::parse(cron)
                .map_err(|e| Error::wrap(e, OP, format!("task {name:?}")))?;
            // February 30th, a year gone by: accepted, it would sit in the scheduler
            // and never run.
            if schedule.next_after(&chrono::Utc::now()).is_none() {
                return Err(Error::new(
                    OP,
                    format!("task {name:?}: schedule {cron:?} never fires (no time from now on matches it)"),
                )
                .with_code(ErrorCode::INVALID));
            }
        }
        self.inner.registry.set(name, def)?;
        self.inner.defined.send_modify(|changes| *changes += 1);
        Ok(())
    }

    /// Removes the Task `name`: it can no longer be run, and a running
    /// [`Scheduler`](crate::Scheduler) stops running it (a run under way finishes). For a
    /// host that defines Tasks per session or per user and must not keep them all.
    ///
    /// ```
    /// use corers_messaging::{Actions, Bus, Step, TaskDef, Tasks};
    /// let tasks: Tasks<()> = Tasks::new(Actions::new(Bus::new()));
    /// tasks.define("reminder.42", TaskDef::new(vec![Step::run("chat.announce")])).unwrap();
    /// tasks.remove("reminder.42").unwrap();
    /// assert!(tasks.get("reminder.42").is_none());
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] when no Task has that name; [`ErrorCode::LOCKED`] when the
    /// Tasks are locked or sealed.
    pub fn remove(&self, name: &str) -> Result<()> {
        self.inner.registry.delete(name).map_err(|e| {
            Error::wrap(
                e,
                "messaging.Tasks.remove",
                format!("remove task {}", shown_name(name)),
            )
        })?;
        self.inner.defined.send_modify(|changes| *changes += 1);
        Ok(())
    }

    /// Wakes on every definition and removal from now on, for a running
    /// [`Scheduler`](crate::Scheduler).
    pub(crate) fn definitions(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.defined.subscribe()
    }

    /// The bus the Tasks' Actions run on.
    pub(crate) fn bus(&self) -> &crate::Bus<C> {
        self.inner.actions.bus()
    }

    /// The definition of `name` as stored (not copied): a new definition is another `Arc`.
    pub(crate) fn definition(&self, name: &str) -> Option<Arc<TaskDef>> {
        self.inner.registry.get(name)
    }

    /// The definition of `name`, when defined.
    pub fn get(&self, name: &str) -> Option<TaskDef> {
        self.inner.registry.get(name).map(|d| d.as_ref().clone())
    }

    /// Checks that every Action the Task `name`'s steps run (in branches and groups too) is
    /// registered, now: a typo (`pager.alrt` in the branch that runs on failure) shows when
    /// the application starts, not on the day that branch first runs.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus, Step, TaskDef, Tasks};
    /// use corers_primitives::{ErrorCode, Value};
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("pager.alert", |_, _| async { Ok(Value::Null) })).unwrap();
    /// let tasks = Tasks::new(actions);
    /// tasks.define("nightly", TaskDef::new(vec![Step::run("pager.alrt")])).unwrap();
    /// let err = tasks.check("nightly").unwrap_err();
    /// assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    /// assert_eq!(
    ///     err.message(),
    ///     r#"task "nightly" runs actions nobody registered: "pager.alrt" (did you mean "pager.alert"?)"#
    /// );
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] for an unknown Task, or naming each Action its steps run
    /// that is not registered (with the closest registered name).
    pub fn check(&self, name: &str) -> Result<()> {
        const OP: &str = "messaging.Tasks.check";
        let def = self
            .inner
            .registry
            .lookup(name)
            .map_err(|e| Error::wrap(e, OP, "check a task"))?;
        let mut named = Vec::new();
        actions_in(&def.steps, &mut named);
        named.sort_unstable();
        named.dedup();
        named.retain(|action| !self.inner.actions.exists(action));
        if named.is_empty() {
            return Ok(());
        }
        // Suggested: only a name that can run (a disabled one is refused too).
        let runnable = self.inner.actions.list("*");
        let unknown: Vec<String> = named
            .into_iter()
            .map(|action| {
                let hint =
                    corers_primitives::did_you_mean(action, runnable.iter().map(String::as_str));
                format!("{}{hint}", shown_name(action))
            })
            .collect();
        Err(Error::new(
            OP,
            format!(
                "task {} runs actions nobody registered: {}",
                shown_name(name),
                unknown.join(", ")
            ),
        )
        .with_code(ErrorCode::NOT_FOUND))
    }

    /// Every Task's name, in definition order.
    pub fn names(&self) -> Vec<String> {
        self.inner.registry.names()
    }

    /// The names matching `pattern` (`"nightly.*"`).
    pub fn list(&self, pattern: &str) -> Vec<String> {
        self.inner.registry.list(pattern)
    }

    /// Runs the Task `name`: each step in order, a failing step stopping the chain (unless a
    /// following `when = "failed"` branch takes it, and `ctx` was neither cancelled nor
    /// past its deadline), parallel groups waiting for all, and detached steps left running.
    /// Returns every step's outcome.
    ///
    /// # Errors
    /// [`ErrorCode::NOT_FOUND`] for an unknown Task; a failed run is a report with an
    /// error, not an `Err`.
    pub async fn run(&self, core: &C, ctx: &RunCtx, name: &str) -> Result<TaskReport> {
        self.run_from(core, ctx, name, None).await
    }

    /// Runs the Task `name` as [`run`](Tasks::run) does, with `input`: what the first
    /// step reads as the previous step's output (a step with `input = "previous"` gets its
    /// keys, a `when` condition sees a success with that output), so that a pipeline from
    /// config takes parameters (`deploy` with `target = "staging"`). It is handed on as an
    /// output is: a first step without `input = "previous"` does not see it, the step's own
    /// options win over it, and an Action with a closed schema gets only the keys it
    /// declares — check a caller's input against that schema first
    /// ([`Schema::violations`](crate::Schema::violations)) to refuse a misspelt key.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus, RunCtx, Step, TaskDef, Tasks};
    /// use corers_primitives::{Value, options};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("deploy.push", |_, opts| async move {
    ///     Ok(Value::from(format!("pushed to {}", opts.string("target").unwrap_or("?"))))
    /// })).unwrap();
    /// let tasks = Tasks::new(actions);
    /// tasks.define("deploy", TaskDef::new(vec![Step::run("deploy.push").with_previous()])).unwrap();
    /// let report = tasks
    ///     .run_with(&(), &RunCtx::new(), "deploy", options! { "target" => "staging" })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(report.into_result().unwrap(), Value::from("pushed to staging"));
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`run`](Tasks::run).
    pub async fn run_with(
        &self,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        input: Options,
    ) -> Result<TaskReport> {
        self.run_from(core, ctx, name, Some(Ok(input.into_value())))
            .await
    }

    /// Runs the Task `name`, its first step after `previous`.
    async fn run_from(
        &self,
        core: &C,
        ctx: &RunCtx,
        name: &str,
        previous: Option<Result<Value>>,
    ) -> Result<TaskReport> {
        /// The runs so far, in this process.
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let def = self
            .inner
            .registry
            .lookup(name)
            .map_err(|e| Error::wrap(e, "messaging.Tasks.run", format!("run task {name:?}")))?;
        let run = Run {
            name: Arc::from(name),
            // Relaxed: a number no other run takes, ordering nothing.
            id: RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            core: core.clone(),
            ctx: ctx.clone(),
            actions: self.inner.actions.clone(),
            parent: try_current(),
            detached: self.inner.detached.clone(),
        };
        let mut steps = Vec::with_capacity(def.steps.len());
        let end = chain(&run, &def.steps, (String::new(), 0), previous, &mut steps).await;
        Ok(TaskReport {
            task: name.to_owned(),
            run: run.id,
            steps,
            error: end.stop,
            output: end.last.and_then(Result::ok),
        })
    }
}

impl<C> Tasks<C> {
    /// Waits until every detached step started so far has ended (each ends early when its
    /// run's context is cancelled, as [`Scheduler::stop`](crate::Scheduler::stop) does for
    /// its runs): what a shutting-down application does, so that nothing of a Task runs on
    /// after it. A detached step of a run that nobody can cancel is waited for as long as
    /// it runs: bound the wait with a timeout.
    ///
    /// ```
    /// use corers_messaging::{ActionSpec, Actions, Bus, RunCtx, Step, TaskDef, Tasks};
    /// use corers_primitives::Value;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let actions: Actions<()> = Actions::new(Bus::new());
    /// actions.register(ActionSpec::new("chat.announce", |_, _| async { Ok(Value::Null) })).unwrap();
    /// let tasks = Tasks::new(actions);
    /// tasks.define("release", TaskDef::new(vec![Step::run("chat.announce").detached()])).unwrap();
    /// tasks.run(&(), &RunCtx::new(), "release").await.unwrap();
    /// tasks.wait_detached().await; // the announcement has been made
    /// # }
    /// ```
    pub async fn wait_detached(&self) {
        self.inner.detached.wait().await;
    }
}

/// The detached steps started and not yet ended, each known by a token cancelled when it
/// ends (also when it panics or is aborted).
#[derive(Clone, Default)]
struct Detached(Arc<Mutex<Vec<CancellationToken>>>);

impl Detached {
    /// Runs `step` on a tokio task of its own.
    fn spawn(&self, step: impl Future<Output = ()> + Send + 'static) {
        let ended = CancellationToken::new();
        {
            let mut running = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            running.retain(|token| !token.is_cancelled());
            running.push(ended.clone());
        }
        // Made before the spawn: a task dropped before it first runs (its runtime shutting
        // down) still counts as ended.
        let ends = ended.drop_guard();
        tokio::spawn(
            async move {
                let _ends = ends;
                step.await;
            }
            // In the run's span: its lines belong to the Task that started it.
            .in_current_span()
            .with_current_subscriber(),
        );
    }

    /// Waits for the steps started before the call, not for those started meanwhile.
    async fn wait(&self) {
        let started: Vec<CancellationToken> = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for ended in started {
            ended.cancelled().await;
        }
    }
}

impl<C> fmt::Debug for Tasks<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tasks")
            .field("names", &self.inner.registry.names())
            .finish_non_exhaustive()
    }
}

fn check_steps(task: &str, steps: &[Step]) -> Result<()> {
    for step in steps {
        match step {
            Step::Run(run) => {
                if let Some(problem) = run.retry.as_ref().and_then(crate::Retry::problem) {
                    return Err(Error::new(
                        "messaging.Tasks.define",
                        format!("task {task:?}: step {:?}: {problem}", run.action),
                    )
                    .with_code(ErrorCode::INVALID));
                }
                if run.timeout.is_some_and(|t| t.is_zero()) {
                    return Err(Error::new(
                        "messaging.Tasks.define",
                        format!(
                            "task {task:?}: step {:?}: a zero timeout ends every attempt before it starts",
                            run.action
                        ),
                    )
                    .with_code(ErrorCode::INVALID));
                }
            }
            Step::Parallel(inner) => check_steps(task, inner)?,
            Step::When {
                then, otherwise, ..
            } => {
                check_steps(task, then)?;
                check_steps(task, otherwise)?;
            }
        }
    }
    Ok(())
}

/// `prefix` followed by `n` in decimal (`"3."`, 2 → `"3.2"`): a step's position, made for
/// every step, so without the formatting machinery.
fn numbered(prefix: &str, n: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        // `rest % 10` is a single digit.
        digits[at] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut position = String::with_capacity(prefix.len() + digits.len() - at);
    position.push_str(prefix);
    position.extend(digits[at..].iter().map(|&d| char::from(d)));
    position
}

/// Runs `steps` in order, numbering them from `first` under `prefix` (`""` at the top,
/// `"3."` inside step 3).
///
/// Not boxed: a Task's top-level chain is part of the run's own future (a boxed chain cost
/// one large allocation per run); the branches and groups that recurse into it are.
async fn chain<C: Clone + Send + Sync + 'static>(
    run: &Run<C>,
    steps: &[Step],
    (prefix, first): (String, usize),
    mut previous: Option<Result<Value>>,
    reports: &mut Vec<StepReport>,
) -> ChainEnd {
    // One clock read per step while run steps follow one another: each one's end is the
    // next one's start (read again after a group or a branch).
    let mut mark = Instant::now();
    for (i, step) in steps.iter().enumerate() {
        let position = numbered(&prefix, first + i + 1);
        // A failure stops the chain unless this step is a branch that handles it.
        if let Some(Err(err)) = &previous
            && !handles_failure(step)
        {
            let stop = stopped_before(run, &position, err);
            return ChainEnd {
                last: previous,
                stop: Some(stop),
            };
        }
        match step {
            Step::Run(step) if step.detached => {
                reports.push(detach(
                    run,
                    step,
                    position,
                    options_for(run, step, previous.as_ref()),
                ));
            }
            Step::Run(step) => {
                let options = options_for(run, step, previous.as_ref());
                let (report, next) = run_step(run, step, position, options, mark).await;
                mark = next;
                let failed = report
                    .outcome
                    .as_ref()
                    .err()
                    .map(|e| failed_at(run, &report.step, step, e));
                previous = Some(report.outcome.clone());
                reports.push(report);
                if let Some(failed) = failed
                    && !failure_goes_on(run, steps, i)
                {
                    return ChainEnd {
                        last: previous,
                        stop: Some(failed),
                    };
                }
            }
            Step::Parallel(_) | Step::When { .. } => {
                let end = match step {
                    Step::Parallel(group) => {
                        parallel(run, group, &position, previous.as_ref(), reports).await
                    }
                    _ => when(run, step, &position, previous.take(), reports).await,
                };
                mark = Instant::now();
                if let Some(stop) = end.stop {
                    // A failure inside goes on to a following branch that handles it,
                    // as any step's does.
                    if failure_goes_on(run, steps, i) {
                        previous = Some(Err(stop));
                        continue;
                    }
                    return ChainEnd {
                        last: end.last,
                        stop: Some(stop),
                    };
                }
                previous = end.last;
            }
        }
    }
    ChainEnd {
        last: previous,
        stop: None,
    }
}

/// Runs the branch of a `when` step that its condition picks, on the previous outcome; a
/// branch that runs no step passes a successful previous output through.
fn when<'a, C: Clone + Send + Sync + 'static>(
    run: &'a Run<C>,
    when: &'a Step,
    position: &'a str,
    previous: Option<Result<Value>>,
    reports: &'a mut Vec<StepReport>,
) -> Steps<'a> {
    // Boxed: it recurses into `chain`.
    Box::pin(async move {
        let Step::When {
            condition,
            then,
            otherwise,
        } = when
        else {
            return ChainEnd {
                last: previous,
                stop: None,
            };
        };
        let branch = match choose(run, condition, then, otherwise, position, previous.as_ref()) {
            Ok(branch) => branch,
            Err(refused) => {
                return ChainEnd {
                    last: previous,
                    stop: Some(refused),
                };
            }
        };
        // A failure handled by a branch is over, and what the branch is given to read;
        // a successful output flows on.
        let input = match previous {
            Some(Ok(value)) => Some(Ok(value)),
            Some(Err(err)) => Some(Ok(failure_input(&err, reports))),
            None => None,
        };
        let end = chain(
            run,
            branch,
            (format!("{position}."), 0),
            input.clone(),
            reports,
        )
        .await;
        ChainEnd {
            stop: end.stop,
            last: end.last.or(input),
        }
    })
}

/// What a branch that takes a failure reads as the previous output (`input = "previous"`:
/// an alert that says what failed): the error's messages (`error`), its code (`code`), and
/// the position and Action of the step that failed (`step`, `action`).
fn failure_input(err: &Error, reports: &[StepReport]) -> Value {
    let mut said = vec![("error", Value::from(format!("{err:#}")))];
    if let Some(code) = err.code() {
        said.push(("code", Value::from(code.as_str())));
    }
    if let Some(failed) = reports.iter().rev().find(|report| report.outcome.is_err()) {
        said.push(("step", Value::from(failed.step.as_str())));
        said.push(("action", Value::from(failed.action.as_str())));
    }
    said.into_iter().collect()
}

/// The error that stops a Task before `position`, after a failure no branch took.
fn stopped_before<C>(run: &Run<C>, position: &str, err: &Error) -> Error {
    Error::new(
        "messaging.Tasks.run",
        format!("task {:?} stopped before step {position}", run.name),
    )
    .with_code(err.code().cloned().unwrap_or(ErrorCode::INTERNAL))
}

/// The error that stops a Task whose run step failed: names the Task, the step, the Action.
fn failed_at<C>(run: &Run<C>, position: &str, step: &RunStep, err: &Error) -> Error {
    Error::new(
        "messaging.Tasks.run",
        format!(
            "task {:?} failed at step {position} ({:?})",
            run.name, step.action
        ),
    )
    .with_code(err.code().cloned().unwrap_or(ErrorCode::INTERNAL))
    .with_cause(err.clone())
}

/// The branch of a `when` step to run, or the error that stops the Task: the condition
/// panicked, or the previous step failed and the chosen branch is empty (nothing took the
/// failure).
fn choose<'a, C>(
    run: &Run<C>,
    condition: &crate::Condition,
    then: &'a [Step],
    otherwise: &'a [Step],
    position: &str,
    previous: Option<&Result<Value>>,
) -> Result<&'a [Step]> {
    let holds = condition.holds(previous).map_err(|err| {
        Error::new(
            "messaging.Tasks.run",
            format!(
                "task {:?}: the condition of step {position} failed",
                run.name
            ),
        )
        .with_code(ErrorCode::INTERNAL)
        .with_cause(err)
    })?;
    let branch = if holds { then } else { otherwise };
    if branch.is_empty()
        && let Some(Err(err)) = previous
    {
        return Err(Error::new(
            "messaging.Tasks.run",
            format!(
                "task {:?} stopped at step {position}: no branch took the failure",
                run.name
            ),
        )
        .with_code(err.code().cloned().unwrap_or(ErrorCode::INTERNAL))
        .with_cause(err.clone()));
    }
    Ok(branch)
}

/// Whether a failure at step `i` goes on to the next step: a branch that handles failures
/// follows, and the run has not ended (cancelled or past its deadline, every Action of that
/// branch would be refused, so the run stops where it was cut off).
fn failure_goes_on<C>(run: &Run<C>, steps: &[Step], i: usize) -> bool {
    steps.get(i + 1).is_some_and(handles_failure) && !run.ctx.has_ended()
}

/// A branch on success or failure (see [`Condition::handles_failure`]).
fn handles_failure(step: &Step) -> bool {
    matches!(step, Step::When { condition, .. } if condition.handles_failure())
}

/// Runs a parallel group: every member at once, each on its own tokio task.
fn parallel<'a, C: Clone + Send + Sync + 'static>(
    run: &'a Run<C>,
    group: &'a [Step],
    position: &'a str,
    previous: Option<&'a Result<Value>>,
    reports: &'a mut Vec<StepReport>,
) -> Steps<'a> {
    // Boxed: its members recurse into `chain`.
    Box::pin(async move {
        let mut set = JoinSet::new();
        for (i, step) in group.iter().enumerate() {
            let run = run.clone();
            let step = step.clone();
            let prefix = format!("{position}.");
            let input = previous.cloned();
            set.spawn(
                async move {
                    let mut inner = Vec::new();
                    let end = chain(
                        &run,
                        std::slice::from_ref(&step),
                        (prefix, i),
                        input,
                        &mut inner,
                    )
                    .await;
                    (i, end, inner)
                }
                .in_current_span()
                .with_current_subscriber(),
            );
        }
        let mut ends: Vec<(usize, ChainEnd, Vec<StepReport>)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(end) => ends.push(end),
                // A member's task panicked outside any Action (the Actions catch their own).
                Err(join) => ends.push((
                    usize::MAX,
                    ChainEnd {
                        last: None,
                        stop: Some(
                            Error::new(
                                "messaging.Tasks.run",
                                format!("parallel step {position} panicked: {join}"),
                            )
                            .with_code(ErrorCode::INTERNAL),
                        ),
                    },
                    Vec::new(),
                )),
            }
        }
        ends.sort_by_key(|(i, _, _)| *i);
        let mut outputs = Vec::new();
        let mut failures = Vec::new();
        for (i, end, inner) in ends {
            reports.extend(inner);
            if let Some(stop) = end.stop {
                failures.push(stop);
                continue;
            }
            // One slot per member, in member order: a detached member's is null (it has not
            // finished); a branch that ran no step passes the group's input through.
            let detached = matches!(group.get(i), Some(Step::Run(run)) if run.detached);
            outputs.push(match end.last {
                Some(Ok(value)) if !detached => value,
                _ => Value::Null,
            });
        }
        match Error::join_in("messaging.Tasks.run", failures) {
            // Failures with no code at all still end the run with one.
            Some(joined) if joined.code().is_none() => ChainEnd {
                last: None,
                stop: Some(joined.with_code(ErrorCode::INTERNAL)),
            },
            Some(joined) => ChainEnd {
                last: None,
                stop: Some(joined),
            },
            None => ChainEnd {
                last: Some(Ok(Value::List(outputs))),
                stop: None,
            },
        }
    })
}

/// The options a run step gets: the previous output (when asked for) under its own. An
/// Action whose schema is [closed](crate::Schema::closed) gets only the keys it declares of
/// that output (another Action's, not the Task author's: what it says beyond them is not
/// this step's input); the step's own options are all handed on, and checked.
fn options_for<C: Clone + Send + Sync + 'static>(
    run: &Run<C>,
    step: &RunStep,
    previous: Option<&Result<Value>>,
) -> Options {
    if !step.previous {
        return step.options.clone();
    }
    let mut options = Options::new();
    match previous {
        Some(Ok(Value::Map(entries))) => {
            run.actions.take_output(&step.action, entries, &mut options);
        }
        Some(Ok(Value::Null) | Err(_)) | None => {}
        Some(Ok(value)) => {
            options.set("input", value.clone());
        }
    }
    options.extend(step.options.iter().map(|(k, v)| (k.to_owned(), v.clone())));
    options
}

/// Runs one step, which began at `started`, with its retries and timeout, and broadcasts
/// its completion; returns its report and when the next step begins.
async fn run_step<C: Clone + Send + Sync + 'static>(
    run: &Run<C>,
    step: &RunStep,
    position: String,
    options: Options,
    started: Instant,
) -> (StepReport, Instant) {
    let attempts_allowed = step.retry.as_ref().map_or(1, |r| r.attempts.max(1));
    // The options go to the last attempt as they are: only a retry needs a copy.
    let mut options = Some(options);
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        // Each attempt gets the whole timeout.
        let timed = step
            .timeout
            .map(|timeout| run.ctx.clone().with_timeout(timeout));
        let ctx = timed.as_ref().unwrap_or(&run.ctx);
        let input = if attempt < attempts_allowed {
            options.clone().unwrap_or_default()
        } else {
            options.take().unwrap_or_default()
        };
        let outcome = run
            .actions
            .run_in(run.parent, &run.core, ctx, &step.action, input)
            .await
            .map_err(|err| step_timed_out(err, step, ctx, &run.ctx));
        let retry = match (&outcome, &step.retry) {
            (Err(err), Some(retry)) if attempt < attempts_allowed && retry.retries(err.code()) => {
                retry
            }
            _ => break outcome,
        };
        // Cancelled or out of time: another attempt would be refused at once.
        if run.ctx.has_ended() {
            break outcome;
        }
        // An open breaker refuses every attempt until its cool-down ends: the next one
        // waits that out, rather than spending the attempts on refusals.
        let mut wait = jitter(retry.ceiling(attempt + 1));
        if let Some(left) = run.actions.breaker_cooldown_left(&step.action) {
            wait = wait.max(left);
        }
        // An attempt past the run's own deadline would fail at once: give up now.
        if run.ctx.deadline().is_some_and(|deadline| {
            Instant::now()
                .checked_add(wait)
                .is_none_or(|next| next >= deadline)
        }) {
            break outcome;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = run.ctx.cancel_token().cancelled() => break outcome,
            () = sleep_until(run.ctx.deadline()) => break outcome,
        }
    };
    let ended = Instant::now();
    let report = StepReport {
        step: position,
        action: step.action.clone(),
        outcome,
        attempts: attempt,
        duration: ended.duration_since(started),
        detached: step.detached,
    };
    // What the step's listeners did is not the next step's time.
    let next = if announce(run, &report, step.detached) {
        Instant::now()
    } else {
        ended
    };
    (report, next)
}

/// The Actions `steps` run, branches and groups included, in order (with repeats).
fn actions_in<'a>(steps: &'a [Step], out: &mut Vec<&'a str>) {
    for step in steps {
        match step {
            Step::Run(run) => out.push(&run.action),
            Step::Parallel(steps) => actions_in(steps, out),
            Step::When {
                then, otherwise, ..
            } => {
                actions_in(then, out);
                actions_in(otherwise, out);
            }
        }
    }
}

/// `err`, saying so when it is the step's own timeout that passed (`step_ctx`'s deadline,
/// not the run's, nor a TIMEOUT the handler returned of its own): "the step's timeout of
/// 30000 ms passed", so the author knows which setting to look at.
fn step_timed_out(err: Error, step: &RunStep, step_ctx: &RunCtx, run_ctx: &RunCtx) -> Error {
    let now = Instant::now();
    let passed = |ctx: &RunCtx| ctx.deadline().is_some_and(|deadline| now >= deadline);
    match step.timeout {
        Some(timeout)
            if err.code() == Some(&ErrorCode::TIMEOUT) && passed(step_ctx) && !passed(run_ctx) =>
        {
            Error::wrap(
                err,
                "messaging.Tasks.run",
                format!("the step's timeout of {} ms passed", timeout.as_millis()),
            )
        }
        _ => err,
    }
}

/// Starts a detached step on its own tokio task; its completion comes as an event, and its
/// report in the Task says only that it started. Its failure is also logged as a warning,
/// as nothing else would show it.
fn detach<C: Clone + Send + Sync + 'static>(
    run: &Run<C>,
    step: &RunStep,
    position: String,
    options: Options,
) -> StepReport {
    let report = StepReport {
        step: position.clone(),
        action: step.action.clone(),
        outcome: Ok(Value::Null),
        attempts: 0,
        duration: Duration::ZERO,
        detached: true,
    };
    let detached = run.detached.clone();
    let run = run.clone();
    let step = step.clone();
    detached.spawn(async move {
        let (report, _) = run_step(&run, &step, position, options, Instant::now()).await;
        if let Err(err) = &report.outcome {
            run.actions.bus().logged(|| {
                tracing::warn!(
                    task = %run.name,
                    step = %report.step,
                    action = %report.action,
                    error = %err,
                    "detached step failed"
                );
            });
        }
    });
    report
}

/// Broadcasts a step's [`TaskStepCompleted`]; reports whether anyone heard it.
fn announce<C: Clone + Send + Sync + 'static>(
    run: &Run<C>,
    report: &StepReport,
    detached: bool,
) -> bool {
    let bus = run.actions.bus();
    if !bus.is_heard::<TaskStepCompleted>() {
        return false;
    }
    let _ = bus.broadcast(
        &run.core,
        &TaskStepCompleted {
            task: run.name.to_string(),
            run: run.id,
            step: report.step.clone(),
            action: report.action.clone(),
            attempts: report.attempts,
            duration: report.duration,
            detached,
            error: report.outcome.as_ref().err().cloned(),
        },
    );
    true
}

/// A wait between half of `ceiling` and all of it ("equal jitter"): retries of many
/// callers spread, and the backoff asked for is never cut to nothing.
fn jitter(ceiling: Duration) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let half = ceiling / 2;
    let nanos = u64::try_from(ceiling.saturating_sub(half).as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return ceiling;
    }
    // RandomState is seeded randomly per process and per instance: enough randomness for
    // spreading retries, without a random-number crate.
    let random = RandomState::new().hash_one(corers_primitives::id());
    half + Duration::from_nanos(random % nanos.saturating_add(1))
}
