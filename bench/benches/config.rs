//! Benchmarks of `corers-config`, each beside its baseline in the same run.
//!
//! - `config/get_int` vs `baseline/hashmap_get` (a `HashMap<String, Value>` lookup)
//! - `config/get_int_during_writes` (2 readers, 1 writer publishing every 1 ms) vs
//!   `config/get_int`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use corers_config::Config;
use corers_primitives::Value;
use criterion::{Criterion, criterion_group, criterion_main};

mod common;
use common::contended;

const KEY: &str = "services.service-42.port";

fn keys() -> impl Iterator<Item = (String, i64)> {
    (0..100).map(|i| (format!("services.service-{i}.port"), 8000 + i))
}

fn config() -> Config {
    let config = Config::new();
    config
        .set_many(keys().map(|(k, v)| (k, Value::Int(v))))
        .expect("benchmark keys are valid");
    config
}

fn get_int(c: &mut Criterion) {
    let config = config();
    c.bench_function("config/get_int", |b| {
        b.iter(|| black_box(config.int(black_box(KEY))));
    });

    let map: HashMap<String, Value> = keys().map(|(k, v)| (k, Value::Int(v))).collect();
    c.bench_function("baseline/hashmap_get", |b| {
        b.iter(|| {
            black_box(match map.get(black_box(KEY)) {
                Some(Value::Int(port)) => Some(*port),
                _ => None,
            })
        });
    });

    c.bench_function("config/get_int_during_writes", |b| {
        b.iter_custom(|iters| {
            contended(
                iters,
                Duration::from_millis(1),
                &|| {
                    black_box(config.int(black_box(KEY)).is_ok());
                },
                &|n| {
                    let port = i64::try_from(n).expect("a small count");
                    config
                        .set("services.service-7.port", port)
                        .expect("valid key");
                },
            )
        });
    });
}

criterion_group!(benches, get_int);
criterion_main!(benches);
