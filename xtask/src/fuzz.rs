//! `cargo xtask fuzz`: the sandbox's path resolver under many random hostile paths.
//!
//! The fs property tests (`fs/tests/properties.rs`) lay out symlinks into and out of a real
//! sandbox and throw generated paths (`..` chains, absolute paths, symlink hops, odd bytes)
//! at every operation, checking that nothing outside is ever read, listed, written or
//! deleted. CI runs 128 cases per property; this runs as many as asked, in release mode.

use crate::cmd::{self, cargo};

const HELP: &str = "\
cargo xtask fuzz — the fs path resolver under random hostile paths

USAGE:
    cargo xtask fuzz [--cases N]

OPTIONS:
    --cases N   cases per property (default 10000; CI runs 128)

A failing case is shrunk and saved under fs/tests/properties.proptest-regressions, so the
next test run replays it first.";

const DEFAULT_CASES: u32 = 10_000;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Some(cases) = cases(args)? else {
        println!("{HELP}");
        return Ok(());
    };
    cmd::run(
        "fuzz",
        cargo()
            .args([
                "test",
                "--release",
                "-p",
                "corers-fs",
                "--test",
                "properties",
            ])
            .env("CORERS_FUZZ_CASES", cases.to_string()),
    )
}

/// The number of cases `args` ask for, or `None` for help.
fn cases(args: &[String]) -> Result<Option<u32>, String> {
    let mut cases = DEFAULT_CASES;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--cases" => args.next().map(String::as_str),
            other => match other.strip_prefix("--cases=") {
                Some(value) => Some(value),
                None => return Err(format!("unknown argument {other:?}\n\n{HELP}")),
            },
        };
        cases = value
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("--cases needs a number of cases above 0\n\n{HELP}"))?;
    }
    Ok(Some(cases))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn cases_default_and_given_good() {
        assert_eq!(cases(&args(&[])), Ok(Some(DEFAULT_CASES)));
        assert_eq!(cases(&args(&["--cases", "500"])), Ok(Some(500)));
        assert_eq!(cases(&args(&["--cases=64"])), Ok(Some(64)));
        assert_eq!(cases(&args(&["-h"])), Ok(None));
    }

    #[test]
    fn cases_malformed_refused_bad() {
        for bad in [
            &["--cases"][..],
            &["--cases", "0"],
            &["--cases", "many"],
            &["--case=3"],
        ] {
            assert!(cases(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
