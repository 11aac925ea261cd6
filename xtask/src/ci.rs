//! `cargo xtask ci` and `cargo xtask docs`.

use crate::cmd::{self, cargo, has_cargo_subcommand};

const HELP: &str = "\
cargo xtask ci — every check CI runs, in order, stopping at the first failure

STEPS:
    fmt        cargo fmt --all --check
    clippy     cargo clippy --workspace --all-targets -- -D warnings
    features   cargo clippy -p corers (warnings denied) with no default features, then each
               feature alone
    platforms  cargo clippy for macOS, FreeBSD and Windows targets (warnings denied): on
               Windows every library but corers-fs, and the facade without `fs`; a target
               not installed is skipped, except under CI=true (rustup target add <target>)
    test       cargo nextest run --workspace (cargo test when nextest is absent)
    doctest    cargo test --workspace --doc
    docs       cargo doc --workspace --no-deps, warnings denied
    ax7        cargo xtask ax7 --strict
    new-service  cargo xtask new-service demo-service under target/, then cargo test in it";

/// Runs every step; the error names the step that failed.
pub(crate) fn run_all() -> Result<(), String> {
    cmd::run("fmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
    cmd::run(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    feature_matrix()?;
    platforms()?;
    if has_cargo_subcommand("nextest") {
        cmd::run(
            "test",
            cargo().args(["nextest", "run", "--workspace", "--no-fail-fast"]),
        )?;
    } else {
        cmd::run(
            "test",
            cargo().args(["test", "--workspace", "--no-fail-fast"]),
        )?;
    }
    cmd::run("doctest", cargo().args(["test", "--workspace", "--doc"]))?;
    build_docs()?;
    crate::ax7::run(&["--strict".to_owned()]).map_err(|e| format!("step \"ax7\" failed: {e}"))?;
    crate::new_service::check()?;
    eprintln!("xtask ci: every step passed");
    Ok(())
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    if let Some(other) = args.first() {
        return Err(format!("ci takes no arguments, got {other:?}\n\n{HELP}"));
    }
    run_all()
}

/// The facade builds with no default features and with each feature alone.
fn feature_matrix() -> Result<(), String> {
    let output = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .map_err(|e| format!("step \"features\" could not start: {e}"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("step \"features\": cargo metadata printed invalid JSON: {e}"))?;
    let features: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "corers")
        .flat_map(|p| p["features"].as_object().into_iter().flatten())
        .map(|(name, _)| name.clone())
        .filter(|name| name != "default")
        .collect();
    // The library alone: with its targets, the test kit's dev-dependency on the facade
    // itself (default features on) would turn the default features back on.
    cmd::run(
        "features",
        cargo().args([
            "clippy",
            "-p",
            "corers",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    for feature in features {
        cmd::run(
            "features",
            cargo().args([
                "clippy",
                "-p",
                "corers",
                "--no-default-features",
                "--features",
                &feature,
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    Ok(())
}

/// What the other platforms build, checked from this one: (target, what to check).
const PLATFORMS: [(&str, &[&str]); 4] = [
    // The benchmarks are left out: criterion's allocation counter builds C for the target.
    (
        "aarch64-apple-darwin",
        &["--workspace", "--exclude", "corers-bench", "--all-targets"],
    ),
    (
        "x86_64-unknown-freebsd",
        &["--workspace", "--exclude", "corers-bench", "--all-targets"],
    ),
    // corers-fs is Unix-only (its build says so on Windows), and the tests use Unix APIs.
    (
        "x86_64-pc-windows-gnu",
        &[
            "--workspace",
            "--exclude",
            "corers-fs",
            "--exclude",
            "corers",
            "--exclude",
            "corers-bench",
            "--exclude",
            "xtask",
            "--lib",
        ],
    ),
    (
        "x86_64-pc-windows-gnu",
        &[
            "-p",
            "corers",
            "--lib",
            "--no-default-features",
            "--features",
            "cli,config,testing",
        ],
    ),
];

/// The workspace builds, warnings denied, for the [`PLATFORMS`] the CI does not run on.
fn platforms() -> Result<(), String> {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    for (target, args) in PLATFORMS {
        if !installed.lines().any(|line| line.trim() == target) {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                return Err(format!(
                    "step \"platforms\": the {target} target is not installed: \
                     rustup target add {target}"
                ));
            }
            eprintln!("xtask [platforms]: skipped {target} (rustup target add {target})");
            continue;
        }
        cmd::run(
            "platforms",
            cargo()
                .args(["clippy", "--target", target])
                .args(args)
                .args(["--", "-D", "warnings"]),
        )?;
    }
    Ok(())
}

/// `cargo xtask docs`: the docs with warnings denied.
pub(crate) fn docs(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "cargo xtask docs — cargo doc --workspace --no-deps with RUSTDOCFLAGS=-D warnings"
        );
        return Ok(());
    }
    build_docs()
}

fn build_docs() -> Result<(), String> {
    cmd::run(
        "docs",
        cargo()
            // Every feature: the test kit and YAML config are documented (and their
            // links checked) as docs.rs shows them.
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )
}
