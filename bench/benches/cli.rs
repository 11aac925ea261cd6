//! The CLI parser beside clap in the same run.
//!
//! - `cli/parse_10_args` vs `clap/parse_10_args`: resolve a 3-level path among 1,000
//!   commands and parse 6 declared flags and a positional (10 arguments).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use corers_cli::{Cli, Command, Flag, FlagKind, Positional};
use corers_primitives::Value;
use criterion::{Criterion, criterion_group, criterion_main};

const ARGS: [&str; 10] = [
    "group7",
    "sub3",
    "cmd5",
    "--name=alpha",
    "--replicas=3",
    "--verbose",
    "--timeout=30s",
    "--tag=blue",
    "--mode=fast",
    "v1.4.2",
];

/// Polls a future that is ready at once (the benchmarked action never waits).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn corers_cli() -> Cli<()> {
    let cli = Cli::new("workbench");
    for g in 0..10 {
        for s in 0..10 {
            for c in 0..10 {
                let command = Command::new()
                    .description("a benchmark command")
                    .flag(Flag::new("name", FlagKind::String))
                    .flag(Flag::new("replicas", FlagKind::Int))
                    .flag(Flag::new("verbose", FlagKind::Bool))
                    .flag(Flag::new("timeout", FlagKind::Duration))
                    .flag(Flag::new("tag", FlagKind::List))
                    .flag(Flag::new(
                        "mode",
                        FlagKind::Enum(vec!["fast".into(), "safe".into()]),
                    ))
                    .positional(Positional::new("build"))
                    .action(|(), _| async { Ok(Value::Null) });
                cli.register(&format!("group{g}/sub{s}/cmd{c}"), command)
                    .expect("valid benchmark paths");
            }
        }
    }
    cli
}

fn clap_cli() -> clap::Command {
    use clap::{Arg, ArgAction};
    let leaf = |name: String| {
        clap::Command::new(name)
            .about("a benchmark command")
            .arg(Arg::new("name").long("name"))
            .arg(
                Arg::new("replicas")
                    .long("replicas")
                    .value_parser(clap::value_parser!(i64)),
            )
            .arg(
                Arg::new("verbose")
                    .long("verbose")
                    .action(ArgAction::SetTrue),
            )
            .arg(Arg::new("timeout").long("timeout"))
            .arg(Arg::new("tag").long("tag").action(ArgAction::Append))
            .arg(Arg::new("mode").long("mode").value_parser(["fast", "safe"]))
            .arg(Arg::new("build"))
    };
    let mut root = clap::Command::new("workbench");
    for g in 0..10 {
        let mut group = clap::Command::new(format!("group{g}"));
        for s in 0..10 {
            let mut sub = clap::Command::new(format!("sub{s}"));
            for c in 0..10 {
                sub = sub.subcommand(leaf(format!("cmd{c}")));
            }
            group = group.subcommand(sub);
        }
        root = root.subcommand(group);
    }
    root
}

fn parse_10_args(c: &mut Criterion) {
    let cli = corers_cli();
    c.bench_function("cli/parse_10_args", |b| {
        b.iter(|| black_box(ready(cli.run((), black_box(ARGS))).exit_code()));
    });

    let mut clap = clap_cli();
    let argv: Vec<&str> = std::iter::once("workbench").chain(ARGS).collect();
    c.bench_function("clap/parse_10_args", |b| {
        b.iter(|| black_box(clap.try_get_matches_from_mut(black_box(&argv)).is_ok()));
    });
}

criterion_group!(benches, parse_10_args);
criterion_main!(benches);
