//! The names most applications use, in one import: `use corers::prelude::*;`.

pub use crate::{App, Core, CoreBuilder, ServiceRuntime};
#[cfg(feature = "cli")]
pub use corers_cli::{Command, Flag, FlagKind, Positional};
#[cfg(feature = "config")]
pub use corers_config::Config;
pub use corers_lifecycle::{Health, Hooks, Registration, Service, ServiceCtx};
pub use corers_messaging::{
    ActionCtx, ActionSpec, CancellationToken, Outcome, Query, RunCtx, Schema, Step, Task,
    TaskCompleted, TaskDef, TaskEnded, TaskId, TaskProgress, ValueKind,
};
pub use corers_primitives::{
    BoxFuture, Error, ErrorCode, Options, Result, Value, WrapErr, options,
};
