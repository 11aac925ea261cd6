//! Benchmarks of the `corers-messaging` bus, each beside its baseline in the same run.
//!
//! - `bus/broadcast_1_of_100` vs `baseline/direct_call` and `baseline/linear_scan_100`
//! - `bus/query_first_hit` vs `baseline/direct_call`
//! - `bus/perform_async_roundtrip` vs `baseline/tokio_spawn_oneshot`
//! - `bus/broadcast_10_handlers_parallel_senders` (2 threads) vs `bus/broadcast_10_handlers`

use std::any::Any;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use corers_messaging::{Bus, Query, Task, TaskCompleted};
use corers_primitives::Result;
use criterion::{Criterion, criterion_group, criterion_main};

struct WorkspaceCreated {
    name: &'static str,
}

struct WorkspaceCount;
impl Query for WorkspaceCount {
    type Answer = usize;
}

struct Reindex;
impl Task for Reindex {
    type Output = usize;
}

type Handler = dyn Fn(&WorkspaceCreated) -> Result<()> + Send + Sync;
/// A CoreGO-style handler: sees every message and checks its type.
type AnyHandler = Box<dyn Fn(&dyn Any) -> bool>;

/// 99 message types nobody broadcasts in these benches.
struct Other<const N: usize>;

macro_rules! register_others {
    ($bus:expr, $($n:literal)*) => {
        $( $bus.on(|_, _: &Other<$n>| Ok(())); )*
    };
}

/// The work every benchmarked handler does, in a bus handler's shape.
#[allow(clippy::unnecessary_wraps, reason = "the same shape as a bus handler")]
fn handler(created: &WorkspaceCreated) -> Result<()> {
    black_box(created.name);
    Ok(())
}

fn bus_with_99_others() -> Bus<()> {
    let bus: Bus<()> = Bus::new();
    register_others!(bus, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 );
    bus
}

fn broadcast_1_of_100(c: &mut Criterion) {
    let bus = bus_with_99_others();
    bus.on(|_, m: &WorkspaceCreated| handler(m));
    let message = WorkspaceCreated { name: "alpha" };
    c.bench_function("bus/broadcast_1_of_100", |b| {
        b.iter(|| black_box(bus.broadcast(&(), black_box(&message))));
    });

    let direct: Arc<Handler> = Arc::new(handler);
    c.bench_function("baseline/direct_call", |b| {
        b.iter(|| black_box(direct(black_box(&message))));
    });

    // CoreGO's design: every handler sees every message and type-checks it.
    let mut scan: Vec<AnyHandler> = (0..99)
        .map(|_| Box::new(|m: &dyn Any| m.downcast_ref::<Other<0>>().is_some()) as AnyHandler)
        .collect();
    scan.push(Box::new(|m: &dyn Any| {
        m.downcast_ref::<WorkspaceCreated>()
            .is_some_and(|created| handler(created).is_ok())
    }));
    c.bench_function("baseline/linear_scan_100", |b| {
        b.iter(|| {
            let m: &dyn Any = black_box(&message);
            let mut handled = 0;
            for h in &scan {
                handled += usize::from(h(m));
            }
            black_box(handled)
        });
    });
}

fn query_first_hit(c: &mut Criterion) {
    let bus = bus_with_99_others();
    bus.on_query(|_, _: &WorkspaceCount| Some(Ok(black_box(3))));
    c.bench_function("bus/query_first_hit", |b| {
        b.iter(|| black_box(bus.query(&(), black_box(&WorkspaceCount))));
    });
}

fn perform_async_roundtrip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime for the benchmark");
    let bus: Bus<()> = Bus::builder().queue(1 << 20).build().expect("valid limits");
    bus.on_task(|_, _: &Reindex| Some(Ok(black_box(12))));
    let (done, receiver) = std::sync::mpsc::channel::<()>();
    let done = std::sync::Mutex::new(done);
    bus.on(move |_, _: &TaskCompleted<Reindex>| {
        let _ = done.lock().expect("bench lock").send(());
        Ok(())
    });
    let receiver = std::sync::Mutex::new(receiver);
    c.bench_function("bus/perform_async_roundtrip", |b| {
        b.to_async(&runtime).iter(|| async {
            bus.perform_async(&(), Reindex).expect("accepted");
            receiver
                .lock()
                .expect("bench lock")
                .recv()
                .expect("completed");
        });
    });
    c.bench_function("baseline/tokio_spawn_oneshot", |b| {
        b.to_async(&runtime).iter(|| async {
            let (reply, answer) = tokio::sync::oneshot::channel();
            tokio::spawn(async move {
                let _ = reply.send(black_box(12usize));
            });
            black_box(answer.await.expect("answered"))
        });
    });
}

fn ten_handlers() -> Bus<()> {
    let bus = bus_with_99_others();
    for _ in 0..10 {
        bus.on(|_, m: &WorkspaceCreated| handler(m));
    }
    bus
}

fn broadcast_parallel(c: &mut Criterion) {
    let bus = ten_handlers();
    let message = WorkspaceCreated { name: "alpha" };
    c.bench_function("bus/broadcast_10_handlers", |b| {
        b.iter(|| black_box(bus.broadcast(&(), black_box(&message))));
    });
    c.bench_function("bus/broadcast_10_handlers_parallel_senders", |b| {
        b.iter_custom(|iters| {
            // Both senders start together and time only their own loop (not the thread's
            // start or join); the slower one's time is the sample.
            let start = Barrier::new(2);
            let slowest = thread::scope(|scope| {
                let senders: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            let began = Instant::now();
                            for _ in 0..iters {
                                black_box(bus.broadcast(&(), black_box(&message)).is_ok());
                            }
                            began.elapsed()
                        })
                    })
                    .collect();
                senders
                    .into_iter()
                    .map(|sender| sender.join().expect("a sender thread"))
                    .max()
                    .unwrap_or_default()
            });
            // Per operation of one sender: equal to the single-thread time when nothing
            // is shared between senders.
            slowest.max(Duration::from_nanos(1))
        });
    });
}

criterion_group!(
    benches,
    broadcast_1_of_100,
    query_first_hit,
    perform_async_roundtrip,
    broadcast_parallel
);
criterion_main!(benches);
