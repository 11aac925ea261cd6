//! Benchmarks of the lifecycle and the facade, beside their baselines in the same run.
//!
//! - `lifecycle/start_stop_1000` vs `baseline/await_1000_hooks`: 1,000 no-op services
//!   started and stopped, against awaiting the same 2,000 boxed hook futures in a loop
//!   (made before the timed part), and against `baseline/call_and_await_1000_hooks`
//!   (calling 2,000 hook closures that box their futures, and awaiting them: the part of
//!   the work a lifecycle cannot skip)
//! - `core/build_100_services`: building a Core with 100 services (divide by 100 for the
//!   cost per service)

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use corers::Core;
use corers_lifecycle::{BoxFuture, Hooks, Registration, Services};
use corers_messaging::Bus;
use corers_primitives::Result;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn noop() -> Hooks<()> {
    Hooks::new()
        .on_start(|_| async { Ok(()) })
        .on_stop(|_| async { Ok(()) })
}

fn services_1000() -> Services<()> {
    let services = Services::new(Bus::new());
    for i in 0..1000 {
        services
            .register(Registration::new(format!("service-{i}"), noop()))
            .expect("unique benchmark names");
    }
    services
}

fn start_stop(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the benchmark");
    c.bench_function("lifecycle/start_stop_1000", |b| {
        b.to_async(&runtime).iter_batched(
            services_1000,
            |services| async move {
                services.start_all(&()).await.expect("no-op services start");
                services
                    .stop_all(&(), Duration::from_secs(1))
                    .await
                    .expect("no-op services stop");
                // Dropped outside the measurement, like the baseline's hooks.
                services
            },
            BatchSize::SmallInput,
        );
    });

    c.bench_function("baseline/await_1000_hooks", |b| {
        b.to_async(&runtime).iter_batched(
            || {
                let hooks: Vec<BoxFuture<Result<()>>> = (0..2000)
                    .map(|_| Box::pin(async { Ok(()) }) as BoxFuture<Result<()>>)
                    .collect();
                hooks
            },
            |hooks| async move {
                for hook in hooks {
                    black_box(hook.await.is_ok());
                }
            },
            BatchSize::SmallInput,
        );
    });
}

/// A hook as a service has it: a shared closure that boxes its future when called.
type HookFn = Arc<dyn Fn() -> BoxFuture<Result<()>> + Send + Sync>;

fn call_and_await(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the benchmark");
    let hooks: Vec<HookFn> = (0..2000)
        .map(|_| Arc::new(|| Box::pin(async { Ok(()) }) as BoxFuture<Result<()>>) as HookFn)
        .collect();
    c.bench_function("baseline/call_and_await_1000_hooks", |b| {
        b.to_async(&runtime).iter(|| async {
            for hook in &hooks {
                black_box(hook().await.is_ok());
            }
        });
    });
}

fn build_100(c: &mut Criterion) {
    c.bench_function("core/build_100_services", |b| {
        b.iter(|| {
            let mut builder = Core::builder().name("bench");
            for i in 0..100 {
                builder = builder
                    .service(move |_| Ok(Registration::new(format!("service-{i}"), Hooks::new())));
            }
            black_box(builder.build().expect("valid services"))
        });
    });
}

criterion_group!(benches, start_stop, call_and_await, build_100);
criterion_main!(benches);
