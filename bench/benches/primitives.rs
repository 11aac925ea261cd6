//! Benchmarks of `corers-primitives`, each beside its baseline in the same run.
//!
//! - `registry/get_hit` vs `dashmap/get_hit` and `std_rwlock_hashmap/get_hit`
//! - `registry/get_hit_contended` (2 readers, 1 writer) vs the same two under contention
//! - `options/get_string` vs `baseline/vec_linear_scan`

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use corers_primitives::{Options, Registry, Value};
use criterion::{Criterion, criterion_group, criterion_main};
use dashmap::DashMap;

mod common;
use common::contended;

const ENTRIES: usize = 100;
const KEY: &str = "service-42";

fn names() -> impl Iterator<Item = String> {
    (0..ENTRIES).map(|i| format!("service-{i}"))
}

fn registry() -> Registry<u64> {
    let registry = Registry::new("services");
    for (i, name) in names().enumerate() {
        registry
            .set(&name, i as u64)
            .expect("benchmark names are valid");
    }
    registry
}

fn rwlock_map() -> RwLock<HashMap<String, Arc<u64>>> {
    RwLock::new(
        names()
            .enumerate()
            .map(|(i, n)| (n, Arc::new(i as u64)))
            .collect(),
    )
}

fn dash_map() -> DashMap<String, Arc<u64>> {
    names()
        .enumerate()
        .map(|(i, n)| (n, Arc::new(i as u64)))
        .collect()
}

fn get_hit(c: &mut Criterion) {
    let registry = registry();
    c.bench_function("registry/get_hit", |b| {
        b.iter(|| black_box(registry.get(black_box(KEY))));
    });
    let map = dash_map();
    c.bench_function("dashmap/get_hit", |b| {
        b.iter(|| black_box(map.get(black_box(KEY)).map(|v| Arc::clone(&v))));
    });
    let locked = rwlock_map();
    c.bench_function("std_rwlock_hashmap/get_hit", |b| {
        b.iter(|| {
            black_box(
                locked
                    .read()
                    .expect("benchmark lock is never poisoned")
                    .get(black_box(KEY))
                    .cloned(),
            )
        });
    });
}

fn get_hit_contended(c: &mut Criterion) {
    let registry = registry();
    c.bench_function("registry/get_hit_contended", |b| {
        b.iter_custom(|iters| {
            contended(
                iters,
                Duration::from_micros(50),
                &|| {
                    black_box(registry.get(black_box(KEY)));
                },
                &|n| {
                    registry
                        .set("service-7", n)
                        .expect("open registry accepts set");
                },
            )
        });
    });
    let map = dash_map();
    c.bench_function("dashmap/get_hit_contended", |b| {
        b.iter_custom(|iters| {
            contended(
                iters,
                Duration::from_micros(50),
                &|| {
                    black_box(map.get(black_box(KEY)).map(|v| Arc::clone(&v)));
                },
                &|n| {
                    map.insert("service-7".to_owned(), Arc::new(n));
                },
            )
        });
    });
    let locked = rwlock_map();
    c.bench_function("std_rwlock_hashmap/get_hit_contended", |b| {
        b.iter_custom(|iters| {
            contended(
                iters,
                Duration::from_micros(50),
                &|| {
                    let guard = locked.read().expect("benchmark lock is never poisoned");
                    black_box(guard.get(black_box(KEY)).cloned());
                },
                &|n| {
                    locked
                        .write()
                        .expect("benchmark lock is never poisoned")
                        .insert("service-7".to_owned(), Arc::new(n));
                },
            )
        });
    });
}

fn options_get_string(c: &mut Criterion) {
    let pairs: Vec<(String, Value)> = [
        ("name", Value::from("brain")),
        ("port", Value::from(8080)),
        ("host", Value::from("homelab")),
        ("verbose", Value::from(true)),
        ("retries", Value::from(3)),
        ("workspace", Value::from("/srv/workspaces/alpha")),
        ("ratio", Value::from(0.5)),
        ("mode", Value::from("daemon")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let options: Options = pairs.iter().cloned().collect();
    c.bench_function("options/get_string", |b| {
        b.iter(|| black_box(options.string(black_box("workspace"))));
    });
    c.bench_function("baseline/vec_linear_scan", |b| {
        b.iter(|| {
            let key = black_box("workspace");
            black_box(
                pairs
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_str()),
            )
        });
    });
}

criterion_group!(benches, get_hit, get_hit_contended, options_get_string);
criterion_main!(benches);
