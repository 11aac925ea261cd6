//! `cargo xtask`: the CoreRS developer tooling.
//!
//! ```text
//! cargo xtask ci                      fmt, clippy, features, platforms, tests, doc tests, docs, ax7, new-service — stops at the first failure
//! cargo xtask ax7 [-p CRATE]… [--strict]
//! cargo xtask bench [--quick] [--strict] [FILTER]
//! cargo xtask docs
//! cargo xtask fuzz [--cases N]
//! cargo xtask new-service NAME [--path DIR]
//! ```

mod ax7;
mod bench;
mod ci;
mod cmd;
mod fuzz;
mod new_service;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask — CoreRS developer tooling

USAGE:
    cargo xtask <COMMAND> [OPTIONS]

COMMANDS:
    ci       Run every check CI runs: fmt, clippy, features, platforms, tests, doc tests, docs, ax7 (--strict), new-service
    ax7      Report public functions lacking _good, _bad or _ugly tests
    bench    Run the criterion benches and report each one's ratio to its baseline
    docs     Build the docs with warnings denied
    fuzz     Throw many random hostile paths at the fs sandbox's resolver
    new-service  Scaffold a service crate that builds and passes its tests at once

Run `cargo xtask <COMMAND> --help` for a command's options.";

fn main() -> ExitCode {
    // Lossy: an argument that is not UTF-8 is reported as unknown, not a panic.
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "ci" => ci::run(rest),
        "ax7" => ax7::run(rest),
        "bench" => bench::run(rest),
        "docs" => ci::docs(rest),
        "fuzz" => fuzz::run(rest),
        "new-service" => new_service::run(rest),
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
