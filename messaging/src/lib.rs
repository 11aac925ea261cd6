//! The CoreRS message bus: one place where services talk, routed by message type.
//!
//! Five verbs, as in CoreGO: [`broadcast`](Bus::broadcast) tells every handler,
//! [`query`](Bus::query) asks until one answers, [`query_all`](Bus::query_all) asks them
//! all, [`perform`](Bus::perform) hands work to the first handler that takes it, and
//! [`perform_async`](Bus::perform_async) runs that work in the background with progress
//! events ([`perform_async_handle`](Bus::perform_async_handle) when the caller awaits its
//! outcome). Handlers are plain closures; panics are caught at the boundary; a cascade of
//! nested dispatches is traced and bounded.
//!
//! ```
//! use corers_messaging::{Bus, Query, Task};
//!
//! // The context every handler receives: in an application, the Core.
//! struct App { name: &'static str }
//!
//! struct WorkspaceCreated { name: String }
//! struct WorkspaceCount;
//! impl Query for WorkspaceCount { type Answer = usize; }
//! struct CreateWorkspace { name: String }
//! impl Task for CreateWorkspace { type Output = String; }
//!
//! let bus: Bus<App> = Bus::new();
//! bus.on_task(|ctx, task: &CreateWorkspace| {
//!     let created = WorkspaceCreated { name: task.name.clone() };
//!     Some(ctx.bus().broadcast(ctx.core(), &created).map(|_| format!("/srv/{}", task.name)))
//! });
//! bus.on(|ctx, created: &WorkspaceCreated| {
//!     println!("{}: workspace {} created", ctx.core().name, created.name);
//!     Ok(())
//! });
//! bus.on_query(|_, _: &WorkspaceCount| Some(Ok(1)));
//!
//! let app = App { name: "workbench" };
//! let path = bus.perform(&app, &CreateWorkspace { name: "alpha".into() }).answer();
//! assert_eq!(path.as_deref(), Some("/srv/alpha"));
//! assert_eq!(bus.query(&app, &WorkspaceCount).answer(), Some(1));
//! ```
//!
//! [`Bus`], [`Actions`], [`Tasks`] and [`Scheduler`] take the application context as their
//! type parameter `C`, and hand it to every handler: the `Core` in a CoreRS application,
//! `App` above and `()` in the other examples. Applications normally reach this crate
//! through the `corers` facade: `core.bus()`, `core.actions()`, `core.tasks()`, the
//! shortcuts `core.perform(…)` and `core.run_action(…)`, the common names in
//! `corers::prelude` and the rest in `corers::messaging`. Depend on `corers-messaging`
//! directly for a bus or Actions without a Core, or in a library that only declares its
//! messages ([`Query`] and [`Task`] types).
//!
//! # Two kinds of Task, and events by name
//! A bus [`Task`] and a named Task are unrelated. A [`Task`] is a typed request
//! (`CreateWorkspace`) performed by one handler: [`perform`](Bus::perform) returns its
//! output, [`perform_async`](Bus::perform_async) runs it in the background. A named Task
//! is a [`TaskDef`]: a sequence of Actions (`git.pull`, then `search.reindex`) that
//! [`Tasks`] runs by name ([`Tasks::run`]) or the [`Scheduler`] runs on a cron schedule.
//!
//! [`Actions::listen`], [`emit`](Actions::emit) and [`ask`](Actions::ask) are for events
//! known only by name (CoreGO RFC §18.8) — `"workspace.created"` named by a script or a
//! config file — with `Options` in and a `Value` out: `emit` calls every listener in
//! registration order and returns each result; `ask` returns the first non-null answer,
//! and a listener's failure only when nobody answers. Typed messages between the parts of
//! one process go over the typed bus.
//!
//! # Modules
//! - [`Bus`], [`BusBuilder`], [`HandlerId`], [`Observed`], [`DispatchKind`]: registration
//!   and the synchronous verbs; [`Subscription`]: one type's messages queued for a reader
//!   that is not a handler ([`Bus::subscribe`]).
//! - [`Ctx`], [`DispatchInfo`]: what a handler knows about its dispatch.
//! - [`Report`], [`Failure`], [`Outcome`]: what dispatches return.
//! - [`Query`], [`Task`], [`TaskId`], [`TaskHandle`], [`TaskStarted`], [`TaskProgress`],
//!   [`TaskCompleted`], [`TaskEnded`], [`DrainReport`]: requests, work, and background tasks.
//! - [`Actions`], [`ActionSpec`], [`ActionCtx`], [`ActionHandle`], [`ActionDef`], [`RunCtx`],
//!   [`ActionStarted`], [`ActionCompleted`], [`ActionRefused`], [`BreakerState`]: named
//!   Actions — registered callables, run by name with schema checks, limits, a circuit
//!   breaker and deadlines.
//! - [`Schema`], [`Field`], [`ValueKind`]: what an Action accepts, checked before its
//!   handler runs ([`Violation`]s key by key; declared numbers handed over in their
//!   declared kind), and handed to a model as JSON Schema.
//! - [`Tasks`], [`TaskDef`], [`Step`], [`RunStep`], [`Condition`], [`Retry`],
//!   [`TaskReport`], [`StepReport`], [`TaskStepCompleted`]: Tasks composed of Actions.
//! - [`Scheduler`]: Tasks run on cron schedules.
#![forbid(unsafe_code)]

mod action;
mod background;
mod breaker;
mod bus;
mod context;
mod outcome;
mod pipeline;
mod run_ctx;
mod schedule;
mod scheduler;
mod schema;
mod subscription;
mod tables;
mod task_def;
mod task_handle;

pub use action::{
    ActionCompleted, ActionCtx, ActionDef, ActionHandle, ActionProgress, ActionRefused, ActionSpec,
    ActionStarted, Actions, BoxFuture,
};
pub use background::{
    DrainReport, Query, Task, TaskCompleted, TaskEnded, TaskId, TaskProgress, TaskStarted,
};
pub use breaker::BreakerState;
pub use bus::{Bus, BusBuilder, DispatchKind, HandlerId, Observed};
pub use context::{Ctx, DispatchInfo};
pub use outcome::{Failure, Outcome, Report};
pub use pipeline::{StepReport, TaskReport, TaskStepCompleted, Tasks};
pub use run_ctx::RunCtx;
pub use scheduler::Scheduler;
pub use schema::{Field, Schema, ValueKind, Violation};
pub use subscription::Subscription;
pub use task_def::{Condition, Retry, RunStep, Step, TaskDef};
pub use task_handle::TaskHandle;
/// The cancellation token [`RunCtx`] carries (tokio-util's), re-exported so that
/// applications name the version this crate uses.
pub use tokio_util::sync::CancellationToken;
