//! Benchmarks of `corers-log`, each beside plain `tracing` doing the same job in the same run.
//!
//! - `log/disabled_debug` vs `tracing/disabled_debug`: a debug call with the level at info
//! - `log/info_to_sink` vs `tracing_fmt/info_to_sink`: an info line with two fields, formatted
//!   and written to a writer that discards it

use std::hint::black_box;
use std::io;

use corers_log::{Level, Logger, Output};
use criterion::{Criterion, criterion_group, criterion_main};
use tracing_subscriber::fmt;
use tracing_subscriber::layer::SubscriberExt;

fn disabled_debug(c: &mut Criterion) {
    let log = Logger::builder()
        .level(Level::Info)
        .output(Output::writer(io::sink()))
        .build();
    c.bench_function("log/disabled_debug", |b| {
        b.iter(|| corers_log::debug!(log, attempt = black_box(2), "retrying git.log"));
    });

    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(fmt::layer().with_writer(io::sink).with_ansi(false));
    tracing::subscriber::with_default(subscriber, || {
        c.bench_function("tracing/disabled_debug", |b| {
            b.iter(|| tracing::debug!(attempt = black_box(2), "retrying git.log"));
        });
    });
}

fn info_to_sink(c: &mut Criterion) {
    let log = Logger::builder()
        .level(Level::Info)
        .output(Output::writer(io::sink()))
        .build();
    c.bench_function("log/info_to_sink", |b| {
        b.iter(|| {
            corers_log::info!(
                log,
                service = "brain",
                took_ms = black_box(12),
                "service started"
            );
        });
    });

    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(fmt::layer().with_writer(io::sink).with_ansi(false));
    tracing::subscriber::with_default(subscriber, || {
        c.bench_function("tracing_fmt/info_to_sink", |b| {
            b.iter(|| {
                tracing::info!(
                    service = "brain",
                    took_ms = black_box(12),
                    "service started"
                );
            });
        });
    });
}

criterion_group!(benches, disabled_debug, info_to_sink);
criterion_main!(benches);
