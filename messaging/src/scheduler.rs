//! [`Scheduler`]: runs Tasks on their cron schedules while it is started.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use corers_primitives::{Error, ErrorCode, Result};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::instrument::WithSubscriber;

use crate::schedule::Schedule;
use crate::{RunCtx, TaskDef, Tasks};

/// Runs every Task that has a schedule, at the times its cron expression names, from
/// [`start`](Scheduler::start) until [`stop`](Scheduler::stop). The lifecycle owns one and
/// starts and stops it with the Core.
///
/// Cron expressions are read in UTC: five fields as crontab reads them (`0 9 * * 1-5` runs
/// at 09:00 on weekdays, `0 9 1 * mon` on the 1st and on Mondays), six or seven with
/// seconds first (and a year last), its weekdays numbered as crontab numbers them. A
/// `CRON_TZ=` (or `TZ=`) prefix reads them on another clock: `CRON_TZ=Local 0 3 * * *` at
/// 03:00 on the machine's (its `TZ`), `CRON_TZ=+05:30 0 3 * * *` at a fixed offset. On the
/// local clock, a time a daylight-saving change skips does not run that day, and one it
/// passes twice runs once. Time comes
/// from tokio's clock (so tests can pause and advance it), anchored to the wall clock when
/// the scheduler starts and anchored again whenever the wall clock is found more than a
/// second away from it: after a suspend (when the monotonic clock stood still) the
/// scheduler catches up within a minute of waking, and after the wall clock is set back
/// (a fast clock corrected) it fires by the corrected time. Missed ticks are skipped, never run to catch up (a warning says how many), and a Task never
/// overlaps itself: after a run that outlasts its interval, the Task waits for the next
/// tick still ahead; after a suspend across one or more ticks, it runs once on waking, then
/// waits for the next tick still ahead.
/// A scheduled Task whose steps name an Action nobody registered is logged as an error
/// when the scheduler takes it up (it is scheduled all the same), and a run that fails is
/// logged as a warning, through the bus's logger.
///
/// Dropped while started, it aborts its loops and any scheduled run under way (at its
/// next await, without the cancellation [`stop`](Scheduler::stop) gives): keep it for as
/// long as Tasks should run, and stop it to end them in order.
#[must_use = "dropping the scheduler aborts its scheduled Tasks"]
pub struct Scheduler<C> {
    tasks: Tasks<C>,
    running: Mutex<Option<Running>>,
    /// Held for a whole stop (taking the loops and waiting for them), so a second stop
    /// waits for the first and a start cannot begin while old runs are still ending.
    stopping: Arc<tokio::sync::Mutex<()>>,
}

impl<C: Clone + Send + Sync + 'static> Scheduler<C> {
    /// A scheduler for the scheduled Tasks in `tasks` (those defined when it starts, and
    /// those defined while it runs).
    pub fn new(tasks: Tasks<C>) -> Scheduler<C> {
        Scheduler {
            tasks,
            running: Mutex::new(None),
            stopping: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Starts a loop per scheduled Task on the current tokio runtime; each run gets a
    /// [`RunCtx`] cancelled when the scheduler stops, whose sender is `"scheduler"` (what
    /// its Actions read as `ctx.dispatch().sender()`).
    ///
    /// A Task defined while the scheduler runs is run on its schedule from then on; one
    /// redefined follows its new schedule at once (and stops being run when the new
    /// definition has none, until one gives it a schedule again).
    ///
    /// # Errors
    /// [`ErrorCode::CONFLICT`] when already started, or while a [`stop`](Scheduler::stop)
    /// is still waiting for runs to end; [`ErrorCode::UNAVAILABLE`] outside a tokio runtime.
    pub fn start(&self, core: &C) -> Result<()> {
        let core = core.clone();
        self.start_with(move || Some(core.clone()))
    }

    /// [`start`](Scheduler::start), each run taking its context from `context`; when that
    /// gives `None` (the application is gone) the Task's loop ends. For a context that
    /// holds this scheduler — a Core does — pass a weak handle's upgrade: a context held
    /// by the scheduler's own loops would keep itself alive after its last user dropped it.
    ///
    /// ```
    /// use std::sync::{Arc, Weak};
    /// use corers_messaging::{Actions, Bus, Scheduler, Tasks};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = Arc::new("workbench");
    /// let tasks: Tasks<Arc<&str>> = Tasks::new(Actions::new(Bus::new()));
    /// let scheduler = Scheduler::new(tasks);
    /// let weak: Weak<&str> = Arc::downgrade(&app);
    /// scheduler.start_with(move || weak.upgrade()).unwrap();
    /// assert!(scheduler.is_running());
    /// scheduler.stop().await;
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`start`](Scheduler::start).
    pub fn start_with(
        &self,
        context: impl Fn() -> Option<C> + Send + Sync + 'static,
    ) -> Result<()> {
        const OP: &str = "messaging.Scheduler.start";
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::wrap_code(
                e,
                ErrorCode::UNAVAILABLE,
                OP,
                "start outside a tokio runtime",
            )
        })?;
        let Ok(_not_stopping) = self.stopping.try_lock() else {
            return Err(
                Error::new(OP, "the scheduler is still stopping").with_code(ErrorCode::CONFLICT)
            );
        };
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.is_some() {
            return Err(
                Error::new(OP, "the scheduler is already running").with_code(ErrorCode::CONFLICT)
            );
        }
        let (stop, abort) = (CancellationToken::new(), CancellationToken::new());
        let mut supervisor = JoinSet::new();
        // Its loops and runs log where this call does (a Core's logger, say).
        supervisor.spawn_on(
            supervise(
                self.tasks.clone(),
                Arc::new(context),
                stop.clone(),
                abort.clone(),
            )
            .with_current_subscriber(),
            &runtime,
        );
        *running = Some(Running {
            stop,
            abort,
            supervisor,
        });
        Ok(())
    }

    /// Stops every loop and cancels the runs in progress (their detached steps too),
    /// waiting for the runs to end; [`Tasks::wait_detached`](crate::Tasks::wait_detached)
    /// waits for the detached steps.
    /// Stopping a stopped scheduler does nothing; a stop while another is waiting waits
    /// for it. A caller that stops waiting (a forced shutdown) aborts the runs still going
    /// (at their next await); the wait for them to end goes on on a tokio task of its own,
    /// and the scheduler does not start again until they have ended — one blocked in a
    /// synchronous call included (a Task never overlaps itself).
    pub async fn stop(&self) {
        let stopping = Arc::clone(&self.stopping).lock_owned().await;
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(Running {
            stop,
            abort,
            mut supervisor,
        }) = running
        else {
            return;
        };
        stop.cancel();
        // Given up on before the runs ended: they are aborted (at their next await) —
        // as dropping the loops did before this wait moved to a task of its own; the
        // runs honour the cancellation above, so this ends only what would not.
        let give_up = abort.drop_guard();
        let ending = async move {
            while supervisor.join_next().await.is_some() {}
            drop(stopping);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let _ = runtime.spawn(ending).await;
            }
            Err(_) => ending.await,
        }
        give_up.disarm();
    }

    /// Reports whether the scheduler is started.
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

impl<C> fmt::Debug for Scheduler<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

/// Logs an error, when a scheduled Task is taken up, for each Action its steps name that
/// nobody registered ([`Tasks::check`]): a typo (`git.pul`) shows when the application
/// starts, not at the first tick a week later. The Task is scheduled all the same (its
/// runs fail, and say so).
fn log_unknown_actions<C: Clone + Send + Sync + 'static>(tasks: &Tasks<C>, name: &str) {
    if let Err(err) = tasks.check(name) {
        tasks.bus().logged(|| {
            tracing::error!(task = name, error = %err, "scheduled task names actions nobody registered");
        });
    }
}

/// Keeps one loop per scheduled Task while the scheduler runs: for the Tasks defined when it
/// starts and, each time a definition changes, for those that have a schedule and no loop.
/// When stopped, waits for the loops (and the runs they are in) to end.
async fn supervise<C: Clone + Send + Sync + 'static>(
    tasks: Tasks<C>,
    context: Context<C>,
    stop: CancellationToken,
    abort: CancellationToken,
) {
    // Subscribed before the first look, so that no definition falls between the two.
    let mut defined = tasks.definitions();
    let anchor = Anchor::now();
    let mut loops = JoinSet::new();
    // The loops running, by task id: their Task and the definition they started with.
    let mut looping: HashMap<tokio::task::Id, (Arc<str>, Arc<TaskDef>)> = HashMap::new();
    let mut looped: HashSet<Arc<str>> = HashSet::new();
    // The definition each ended loop ended with: not started again until the Task is
    // defined again (a loop with no tick ahead, or one that panicked).
    let mut ended: HashMap<Arc<str>, Arc<TaskDef>> = HashMap::new();
    let mut rescan = true;
    loop {
        if rescan {
            defined.mark_unchanged();
            // Ended loops of Tasks removed since: nothing to remember them by.
            ended.retain(|name, _| tasks.definition(name).is_some());
            for name in tasks.names() {
                if looped.contains(name.as_str()) {
                    continue;
                }
                let Some(def) = tasks.definition(&name) else {
                    continue;
                };
                if ended
                    .get(name.as_str())
                    .is_some_and(|last| Arc::ptr_eq(last, &def))
                {
                    continue;
                }
                // Checked when the Task was defined.
                let Some((cron, Ok(parsed))) = def
                    .schedule
                    .clone()
                    .map(|cron| (cron.clone(), Schedule::parse(&cron)))
                else {
                    continue;
                };
                let name: Arc<str> = Arc::from(name.as_str());
                log_unknown_actions(&tasks, &name);
                ended.remove(&name);
                let handle = loops.spawn(
                    run_on_schedule(
                        tasks.clone(),
                        Arc::clone(&context),
                        Arc::clone(&name),
                        (Arc::clone(&def), cron, parsed),
                        anchor,
                        stop.clone(),
                    )
                    .with_current_subscriber(),
                );
                looping.insert(handle.id(), (Arc::clone(&name), def));
                looped.insert(name);
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            changed = defined.changed() => rescan = changed.is_ok(),
            Some(done) = loops.join_next_with_id() => {
                let (id, seen, panic) = match done {
                    Ok((id, seen)) => (id, Some(seen), None),
                    Err(err) => (err.id(), None, err.try_into_panic().ok()),
                };
                let Some((name, started_with)) = looping.remove(&id) else { continue };
                looped.remove(&name);
                if let Some(payload) = panic {
                    let err = Error::from_caught("messaging.Scheduler.run", payload);
                    tasks.bus().logged(|| tracing::error!(
                        task = %name,
                        error = %err,
                        "the schedule of a task panicked: it runs again once the task is defined again"
                    ));
                }
                // A loop that panicked counts as ended with the definition it started with.
                let seen = seen.unwrap_or(started_with);
                // Defined again after the loop last looked: start it again at once.
                match tasks.definition(&name) {
                    Some(now) => {
                        rescan = !Arc::ptr_eq(&now, &seen);
                        ended.insert(name, seen);
                    }
                    // Removed: nothing to remember it by (its start forgot its last end).
                    None => rescan = false,
                }
            }
        }
    }
    // The runs cancelled by the stop end; a stop given up on aborts those still going.
    let mut aborted = false;
    loop {
        tokio::select! {
            () = abort.cancelled(), if !aborted => {
                loops.abort_all();
                aborted = true;
            }
            ended = loops.join_next() => {
                if ended.is_none() {
                    break;
                }
            }
        }
    }
}

/// A started scheduler: its supervisor, the token that stops it, and the one that aborts
/// the runs still going when a stop is given up on.
struct Running {
    stop: CancellationToken,
    abort: CancellationToken,
    supervisor: JoinSet<()>,
}

/// Where a scheduler's runs take their context from (see [`Scheduler::start_with`]).
type Context<C> = Arc<dyn Fn() -> Option<C> + Send + Sync>;

/// Warns when ticks of `schedule` from `from` (included) to `until` were not run for
/// `because`: a run is never caught up, and an operator can tell a skipped tick from one
/// that never came.
fn warn_skipped<C: 'static>(
    bus: &crate::Bus<C>,
    name: &str,
    schedule: &Schedule,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    because: &str,
) {
    /// Enough to say "many" (a year asleep with a per-second schedule) without counting on.
    const MOST: u32 = 10_000;
    let mut skipped = 0;
    let mut tick = Some(from);
    while let Some(at) = tick
        && at < until
        && skipped < MOST
    {
        skipped += 1;
        tick = schedule.next_after(&at);
    }
    if skipped > 0 {
        bus.logged(|| {
            tracing::warn!(
                task = name,
                skipped,
                "scheduled task skipped ticks: {because} (skipped ticks are not caught up)"
            );
        });
    }
}

/// The longest single sleep: how late a tick can be after the machine wakes from a
/// suspend that the monotonic clock did not see.
const LONGEST_SLEEP: Duration = Duration::from_secs(60);

/// One Task's loop: sleep until its next tick, run it, repeat. Ends when the Task has no
/// schedule (or one with no tick ahead) any more, returning the definition it saw last.
async fn run_on_schedule<C: Clone + Send + Sync + 'static>(
    tasks: Tasks<C>,
    context: Context<C>,
    name: Arc<str>,
    (mut last, mut cron, mut schedule): (Arc<TaskDef>, String, Schedule),
    mut anchor: Anchor,
    stop: CancellationToken,
) -> Arc<TaskDef> {
    let mut defined = tasks.definitions();
    // Who its runs are sent by, made once: each run adds a token of its own.
    let scheduled = RunCtx::new().with_sender("scheduler");
    // The tick run last: a wall clock set back under a run does not run it again.
    let mut last_tick = None;
    'schedule: loop {
        // The Task as defined now: redefined meanwhile, its new schedule applies; removed,
        // it is no longer run.
        match tasks.definition(&name) {
            Some(def) => last = def,
            None => return last,
        }
        let taken_up = match &last.schedule {
            Some(current) if *current == cron => last_tick.is_none(),
            Some(current) => match Schedule::parse(current) {
                Ok(parsed) => {
                    (cron, schedule) = (current.clone(), parsed);
                    true
                }
                Err(_) => return last,
            },
            None => return last,
        };
        let Some(next) = next_tick(&schedule, wall(&mut anchor), last_tick) else {
            tracing::warn!(task = %name, schedule = %cron, "scheduled task stops: its schedule has no time left to fire");
            return last;
        };
        // When it fires, in UTC: a zone that is not the one meant shows at once.
        if taken_up {
            tasks.bus().logged(|| tracing::info!(task = %name, schedule = %cron, next = %next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "task scheduled"));
        }
        // In steps of at most a minute, looking at the wall clock after each.
        loop {
            let mut wait = (next - wall(&mut anchor))
                .to_std()
                .unwrap_or(Duration::ZERO);
            if wait.is_zero() {
                wait = real_wait(&anchor, next);
            }
            if wait.is_zero() {
                break;
            }
            tokio::select! {
                () = stop.cancelled() => return last,
                () = tokio::time::sleep(wait.min(LONGEST_SLEEP)) => {}
                changed = defined.changed() => {
                    // The Tasks are kept alive by this loop: the watch cannot close.
                    if changed.is_err() {
                        return last;
                    }
                    // This Task redefined (its new schedule, or none, applies at once) or
                    // removed (its loop ends at once).
                    if tasks
                        .definition(&name)
                        .is_none_or(|now| !Arc::ptr_eq(&now, &last))
                    {
                        continue 'schedule;
                    }
                }
            }
        }
        last_tick = Some(next);
        // Held for the run only: between runs the loop keeps no context alive.
        let Some(core) = context() else {
            return last;
        };
        let ctx = scheduled.clone().with_cancel(stop.child_token());
        let bus = tasks.bus();
        // Late (the machine slept through ticks): one run now, the rest skipped, and said.
        let started = wall(&mut anchor);
        if let Some(after) = schedule.next_after(&next) {
            warn_skipped(bus, &name, &schedule, after, started, "it was late");
        }
        // How long until the tick after, from now (as the estimate runs: a test's paused
        // clock too).
        let following = schedule
            .next_after(&next.max(started))
            .map_or(Duration::MAX, |at| {
                (at - started).to_std().unwrap_or(Duration::ZERO)
            });
        run_tick(&tasks, &core, &ctx, &name, following, &stop).await;
        // A run that outlasted ticks: they are skipped, not caught up, and said.
        if !stop.is_cancelled()
            && let Some(after) = schedule.next_after(&started)
        {
            let ended = wall(&mut anchor);
            warn_skipped(bus, &name, &schedule, after, ended, "a run outlasted them");
        }
    }
}

/// The tick after `now`, and after `last` (the tick run last) when the wall clock was set
/// back behind it: a tick runs once.
fn next_tick(
    schedule: &Schedule,
    now: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    schedule.next_after(&last.map_or(now, |last| now.max(last)))
}

/// Runs the Task `name` for a tick and logs how it went; a run still going at the
/// following tick (in `following`) is said to be then (a run that hangs would otherwise
/// stop its schedule without a word).
async fn run_tick<C: Clone + Send + Sync + 'static>(
    tasks: &Tasks<C>,
    core: &C,
    ctx: &RunCtx,
    name: &str,
    following: Duration,
    stop: &CancellationToken,
) {
    let bus = tasks.bus();
    let began = Instant::now();
    let run = tasks.run(core, ctx, name);
    tokio::pin!(run);
    // (Bounded: a sleep's deadline must fit tokio's clock; a year is as good as never.)
    let following = following.min(Duration::from_secs(365 * 24 * 3600));
    let outcome = tokio::select! {
        biased;
        outcome = &mut run => outcome,
        () = tokio::time::sleep(following) => {
            bus.logged(|| tracing::warn!(task = name, "scheduled task still running at its next tick (a run may hang: give its steps a timeout)"));
            run.await
        }
    };
    let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        // Cut short by the scheduler's stop (the application stopping): not a failure,
        // but an operator asking whether last night's run finished is told.
        Ok(report) if report.error.is_some() && stop.is_cancelled() => {
            bus.logged(|| {
                tracing::info!(
                    task = name,
                    ms,
                    "scheduled task cut short: the scheduler stopped"
                );
            });
        }
        Ok(report) => match report.error {
            Some(err) => bus
                .logged(|| tracing::warn!(task = name, ms, error = %err, "scheduled task failed")),
            None => bus.logged(|| tracing::info!(task = name, ms, "scheduled task ran")),
        },
        Err(err) => bus.logged(|| {
            tracing::warn!(task = name, error = %err, "scheduled task could not run");
        }),
    }
}

/// How long until the system's wall clock reaches `next`, while tokio's clock keeps to
/// real time: after a wall clock set back by less than the drift [`wall`] tolerates, the
/// estimate reaches a tick before the system's clock does, and a tick never fires early
/// (a paused test clock, advanced at all, keeps its simulated time: zero).
fn real_wait(anchor: &Anchor, next: DateTime<Utc>) -> Duration {
    // Running, tokio's clock is the monotonic one, read just before it: it never leads.
    // A paused clock does as soon as it is advanced, by however little.
    if anchor.tokio.elapsed() > anchor.monotonic.elapsed() + Duration::from_millis(1) {
        return Duration::ZERO;
    }
    (next - DateTime::<Utc>::from(SystemTime::now()))
        .to_std()
        .unwrap_or(Duration::ZERO)
}

/// How far the wall clock may stray from the scheduler's estimate before it is taken.
const DRIFT: Duration = Duration::from_secs(1);

/// Where the scheduler's clock was set from the wall clock: that time, and the instants
/// of tokio's clock and of the monotonic clock then.
#[derive(Clone, Copy)]
struct Anchor {
    wall: SystemTime,
    tokio: Instant,
    monotonic: std::time::Instant,
}

impl Anchor {
    fn now() -> Anchor {
        Anchor {
            wall: SystemTime::now(),
            tokio: Instant::now(),
            monotonic: std::time::Instant::now(),
        }
    }
}

/// The wall-clock time now, as tokio's clock has moved since `anchor`. When the system's
/// wall clock is more than a second ahead of that (the machine was suspended), or more
/// than a second behind it while tokio's clock kept to real time (the wall clock was set
/// back), the system's is taken instead and becomes the new anchor. A paused test clock,
/// advanced ahead of real time, keeps its simulated time.
fn wall(anchor: &mut Anchor) -> DateTime<Utc> {
    let advanced = anchor.tokio.elapsed();
    let estimate = anchor.wall + advanced;
    let real = SystemTime::now();
    let suspended = real
        .duration_since(estimate)
        .is_ok_and(|ahead| ahead > DRIFT);
    let set_back = estimate
        .duration_since(real)
        .is_ok_and(|behind| behind > DRIFT)
        && advanced <= anchor.monotonic.elapsed() + DRIFT;
    if suspended || set_back {
        *anchor = Anchor::now();
        return DateTime::<Utc>::from(real);
    }
    DateTime::<Utc>::from(estimate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tick_after_the_clock_was_set_back_under_a_run_good() {
        // 03:00 ran; the clock, 5 minutes fast, is set back to 02:57 while it runs: the
        // next tick is tomorrow's, not 03:00 again.
        let daily = Schedule::parse("0 3 * * *").unwrap();
        let ran: DateTime<Utc> = "2026-11-28T03:00:00Z".parse().unwrap();
        let now: DateTime<Utc> = "2026-11-28T02:57:00Z".parse().unwrap();
        let tomorrow: DateTime<Utc> = "2026-11-29T03:00:00Z".parse().unwrap();
        assert_eq!(next_tick(&daily, now, Some(ran)), Some(tomorrow));
        assert_eq!(
            next_tick(&daily, now, None),
            Some(ran),
            "without one run, 03:00 is next"
        );
    }

    #[tokio::test]
    async fn real_wait_after_a_small_step_back_waits_for_the_system_clock_good() {
        // The wall clock set back half a second (less than the drift `wall` takes): the
        // estimate has reached the tick, the system's clock has not — wait for it.
        let mut anchor = Anchor::now();
        anchor.wall += Duration::from_millis(500);
        let tick = wall(&mut anchor);
        let wait = real_wait(&anchor, tick);
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn real_wait_on_a_paused_clock_ahead_of_real_time_is_zero_bad() {
        let anchor = Anchor::now();
        tokio::time::advance(Duration::from_secs(60)).await;
        let estimate = DateTime::<Utc>::from(anchor.wall + Duration::from_secs(60));
        assert_eq!(real_wait(&anchor, estimate), Duration::ZERO);
        // Advanced by less than the drift: simulated time all the same (a first tick
        // half a second ahead was waited for in real time, 1-2 s late).
        let anchor = Anchor::now();
        tokio::time::advance(Duration::from_millis(500)).await;
        let estimate = DateTime::<Utc>::from(anchor.wall + Duration::from_millis(500));
        assert_eq!(real_wait(&anchor, estimate), Duration::ZERO);
    }

    #[tokio::test]
    async fn wall_after_a_suspend_takes_the_system_clock_good() {
        // Anchored an hour "behind": as if the machine slept for an hour since.
        let mut anchor = Anchor::now();
        anchor.wall -= Duration::from_secs(3600);
        let now = wall(&mut anchor);
        let real = DateTime::<Utc>::from(SystemTime::now());
        assert!((real - now).num_seconds().abs() <= 1, "{now} vs {real}");
        assert!(SystemTime::now().duration_since(anchor.wall).unwrap() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn wall_after_the_clock_was_set_back_takes_the_system_clock_bad() {
        // Anchored an hour "ahead": a fast clock, corrected since.
        let mut anchor = Anchor::now();
        anchor.wall += Duration::from_secs(3600);
        let now = wall(&mut anchor);
        let real = DateTime::<Utc>::from(SystemTime::now());
        assert!((real - now).num_seconds().abs() <= 1, "{now} vs {real}");
        assert!(anchor.wall <= SystemTime::now());
    }

    #[tokio::test(start_paused = true)]
    async fn wall_on_a_paused_clock_keeps_simulated_time_ugly() {
        let mut anchor = Anchor::now();
        tokio::time::advance(Duration::from_secs(7200)).await;
        let now = wall(&mut anchor);
        let real = DateTime::<Utc>::from(SystemTime::now());
        assert!((now - real).num_seconds() >= 7199, "{now} vs {real}");
    }
}
