//! Benchmarks of named Actions and Tasks, each beside its baseline in the same run, all
//! inside one tokio runtime (criterion's async support) so runtime overhead is not counted.
//!
//! - `action/run_noop` vs `baseline/boxed_async_call`
//! - `action/run_noop_with_schema_3_keys` vs `action/run_noop`
//! - `task/sequential_10_noop` vs `action/run_noop_x10` (ten runs in a row)

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;

use corers_messaging::{ActionSpec, Actions, Bus, RunCtx, Schema, Step, TaskDef, Tasks, ValueKind};
use corers_primitives::{Options, Result, Value, options};
use criterion::{Criterion, criterion_group, criterion_main};

type Noop =
    Box<dyn Fn(Options) -> Pin<Box<dyn Future<Output = Result<Value>> + Send>> + Send + Sync>;

fn actions() -> Actions<()> {
    let actions = Actions::new(Bus::new());
    actions
        .register(ActionSpec::new("bench.noop", |_, _| async {
            Ok(Value::Null)
        }))
        .expect("register");
    actions
        .register(
            ActionSpec::new("bench.noop_schema", |_, _| async { Ok(Value::Null) }).schema(
                Schema::new()
                    .required("path", ValueKind::String)
                    .required("limit", ValueKind::Int)
                    .optional("verbose", ValueKind::Bool),
            ),
        )
        .expect("register");
    actions
}

fn run_noop(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime for the benchmark");
    let actions = actions();
    let ctx = RunCtx::new();
    c.bench_function("action/run_noop", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(actions.run(&(), &ctx, "bench.noop", Options::new()).await)
        });
    });

    let noop: Noop = Box::new(|_| Box::pin(async { Ok(Value::Null) }));
    c.bench_function("baseline/boxed_async_call", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(noop(Options::new()).await) });
    });

    let input = options! { "path" => "/srv/repo", "limit" => 10, "verbose" => true };
    c.bench_function("action/run_noop_with_schema_3_keys", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                actions
                    .run(&(), &ctx, "bench.noop_schema", input.clone())
                    .await,
            )
        });
    });

    c.bench_function("action/run_noop_x10", |b| {
        b.to_async(&runtime).iter(|| async {
            for _ in 0..10 {
                black_box(
                    actions
                        .run(&(), &ctx, "bench.noop", Options::new())
                        .await
                        .is_ok(),
                );
            }
        });
    });

    let tasks = Tasks::new(actions.clone());
    tasks
        .define(
            "bench.sequential",
            TaskDef::new(vec![Step::run("bench.noop"); 10]),
        )
        .expect("define");
    c.bench_function("task/sequential_10_noop", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(tasks.run(&(), &ctx, "bench.sequential").await) });
    });
}

criterion_group!(benches, run_noop);
criterion_main!(benches);
