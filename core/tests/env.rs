//! The environment: `Core::env` (per-Core override, then the process environment, then the
//! computed keys), `Core::set_env`, `Core::remove_env`, `CoreBuilder::env` and
//! `CoreBuilder::env_remove`, with two Cores side by side.
//!
//! Cases that need a different process environment (or working directory) run in a child:
//! this test binary again, running only `env_child`, which prints `@@KEY=value` lines.

use std::collections::HashMap;
use std::process::Command as Process;
use std::time::{SystemTime, UNIX_EPOCH};

use corers::COMPUTED_KEYS;
use corers::log::{Logger, MemorySink, Output};
use corers::prelude::*;

const CHILD: &str = "CORERS_ENV_CHILD";

/// Not a test of its own: prints `core.env(key)` for each key in `CORERS_ENV_CHILD`
/// (`@cwd` changes the working directory to the temp dir first).
#[test]
fn env_child() {
    let Ok(keys) = std::env::var(CHILD) else {
        return;
    };
    let core = Core::builder().build().unwrap();
    for key in keys.split(',') {
        if key == "@cwd" {
            std::env::set_current_dir(std::env::temp_dir()).unwrap();
            continue;
        }
        let value = core.env(key).unwrap_or_else(|| "<none>".to_owned());
        println!("@@{key}={value}");
    }
}

/// Runs `env_child` with `keys`, the variables `set` set and `unset` removed; returns each
/// printed `KEY=value` (the last one wins for repeated keys).
fn child(keys: &[&str], set: &[(&str, &str)], unset: &[&str]) -> HashMap<String, String> {
    let mut command = Process::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, keys.join(","))
        // Only the cases that set it see one.
        .env_remove("CORE_HOME");
    for (key, value) in set {
        command.env(key, value);
    }
    for key in unset {
        command.env_remove(key);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once("@@").map(|(_, printed)| printed))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Children that must not see the runner's XDG directories.
const XDG: [&str; 3] = ["XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"];

// ---- Core::env ----

#[test]
fn core_env_every_computed_key_present_good() {
    let values = child(COMPUTED_KEYS, &[("HOME", "/home/alpha")], &XDG);
    for key in COMPUTED_KEYS {
        let value = &values[*key];
        assert!(!value.is_empty() && value != "<none>", "{key}={value}");
    }
}

#[test]
fn core_env_home_dirs_computed_from_home_good() {
    let values = child(
        &["DIR_HOME", "DIR_CONFIG", "DIR_CACHE", "DIR_DATA"],
        &[("HOME", "/home/alpha")],
        &XDG,
    );
    assert_eq!(values["DIR_HOME"], "/home/alpha");
    assert_eq!(values["DIR_CONFIG"], "/home/alpha/.config");
    assert_eq!(values["DIR_CACHE"], "/home/alpha/.cache");
    assert_eq!(values["DIR_DATA"], "/home/alpha/.local/share");
}

#[test]
fn core_env_xdg_dirs_follow_the_environment_good() {
    let values = child(
        &["DIR_CONFIG", "DIR_CACHE", "DIR_DATA"],
        &[
            ("HOME", "/home/alpha"),
            ("XDG_CONFIG_HOME", "/etc/xdg/alpha"),
            ("XDG_CACHE_HOME", "/var/cache/alpha"),
            ("XDG_DATA_HOME", "/srv/data/alpha"),
        ],
        &[],
    );
    assert_eq!(values["DIR_CONFIG"], "/etc/xdg/alpha");
    assert_eq!(values["DIR_CACHE"], "/var/cache/alpha");
    assert_eq!(values["DIR_DATA"], "/srv/data/alpha");
}

#[test]
fn core_env_os_arch_and_pid_of_this_process_good() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.env("OS").as_deref(), Some(std::env::consts::OS));
    assert_eq!(core.env("ARCH").as_deref(), Some(std::env::consts::ARCH));
    assert_eq!(core.env("PID"), Some(std::process::id().to_string()));
    let cpus: usize = core.env("NUM_CPU").unwrap().parse().unwrap();
    assert!(cpus >= 1);
}

#[test]
fn core_env_override_beats_process_env_good() {
    let core = Core::builder().build().unwrap();
    assert!(std::env::var("PATH").is_ok(), "the test runs with a PATH");
    core.set_env("PATH", "/opt/workbench/bin");
    assert_eq!(core.env("PATH").as_deref(), Some("/opt/workbench/bin"));
}

#[test]
fn core_env_process_env_beats_computed_keys_good() {
    let values = child(
        &["ARCH", "DIR_TMP"],
        &[("ARCH", "riscv-test"), ("DIR_TMP", "/scratch")],
        &[],
    );
    assert_eq!(values["ARCH"], "riscv-test");
    assert_eq!(values["DIR_TMP"], "/scratch");
}

#[test]
fn core_env_unknown_key_is_none_bad() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.env("CORERS_NO_SUCH_SETTING"), None);
}

#[test]
fn core_env_home_dirs_from_userprofile_without_home_good() {
    // Windows sets USERPROFILE, not HOME: the directories are found all the same.
    let mut unset = vec!["HOME"];
    unset.extend(XDG);
    let values = child(
        &["DIR_HOME", "DIR_CONFIG"],
        &[("USERPROFILE", "/home/alpha")],
        &unset,
    );
    assert_eq!(values["DIR_HOME"], "/home/alpha");
    assert_eq!(values["DIR_CONFIG"], "/home/alpha/.config");
    // HOME, when set, comes first.
    let values = child(
        &["DIR_HOME"],
        &[("HOME", "/home/beta"), ("USERPROFILE", "/home/alpha")],
        &XDG,
    );
    assert_eq!(values["DIR_HOME"], "/home/beta");
}

#[test]
fn core_env_without_home_has_no_home_dirs_bad() {
    let mut unset = vec!["HOME", "USERPROFILE"];
    unset.extend(XDG);
    let values = child(&["DIR_HOME", "DIR_CONFIG", "DIR_TMP"], &[], &unset);
    assert_eq!(values["DIR_HOME"], "<none>");
    assert_eq!(values["DIR_CONFIG"], "<none>");
    assert_ne!(values["DIR_TMP"], "<none>");
}

#[test]
fn core_env_dir_cwd_is_live_ugly() {
    let tmp = std::env::temp_dir();
    let tmp = tmp.canonicalize().unwrap_or(tmp);
    let mut command = Process::new(std::env::current_exe().unwrap());
    let output = command
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "DIR_CWD,@cwd,DIR_CWD")
        .current_dir("/")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let cwd: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once("@@DIR_CWD=").map(|(_, cwd)| cwd))
        .collect();
    assert_eq!(cwd, ["/", tmp.to_str().unwrap()]);
}

#[test]
fn core_env_core_start_is_when_the_core_was_built_ugly() {
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let core = Core::builder().build().unwrap();
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let start = core.env("CORE_START").unwrap();
    // RFC 3339 in UTC sorts as time does: between the two instants as `date` writes them.
    let utc = |at: std::time::Duration| {
        let out = Process::new("date")
            .args([
                "-u",
                "-d",
                &format!("@{}", at.as_secs()),
                "+%Y-%m-%dT%H:%M:%SZ",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(start.len(), "2026-11-26T15:13:29Z".len(), "{start}");
    assert!(utc(before) <= start && start <= utc(after), "{start}");
}

#[test]
fn core_env_dir_home_is_core_home_when_set_good() {
    let values = child(
        &["DIR_HOME"],
        &[("HOME", "/home/alpha"), ("CORE_HOME", "/srv/workbench")],
        &[],
    );
    assert_eq!(values["DIR_HOME"], "/srv/workbench");
}

#[test]
fn core_env_empty_core_home_falls_back_to_home_ugly() {
    let values = child(
        &["DIR_HOME"],
        &[("HOME", "/home/alpha"), ("CORE_HOME", "")],
        &[],
    );
    assert_eq!(values["DIR_HOME"], "/home/alpha");
}

#[test]
fn core_env_overridden_homes_move_the_computed_dirs_ugly() {
    let (alpha, beta) = (
        Core::builder().build().unwrap(),
        Core::builder().build().unwrap(),
    );
    for core in [&alpha, &beta] {
        core.set_env("HOME", "/home/alpha");
        // Empty counts as unset, whatever the machine running the tests has.
        core.set_env("CORE_HOME", "");
        for var in XDG {
            core.set_env(var, "");
        }
    }
    beta.set_env("CORE_HOME", "/srv/workbench");
    beta.set_env("XDG_CACHE_HOME", "/var/cache/beta");
    beta.set_env("TMPDIR", "/srv/tmp");
    assert_eq!(alpha.env("DIR_HOME").as_deref(), Some("/home/alpha"));
    assert_eq!(
        alpha.env("DIR_CACHE").as_deref(),
        Some("/home/alpha/.cache")
    );
    assert_eq!(beta.env("DIR_HOME").as_deref(), Some("/srv/workbench"));
    assert_eq!(beta.env("DIR_CACHE").as_deref(), Some("/var/cache/beta"));
    assert_eq!(
        beta.env("DIR_DATA").as_deref(),
        Some("/home/alpha/.local/share")
    );
    assert_eq!(beta.env("DIR_TMP").as_deref(), Some("/srv/tmp"));
}

#[test]
fn core_env_secret_key_is_audited_without_its_value_ugly() {
    let (sink, trail) = (MemorySink::new(), MemorySink::new());
    let core = Core::builder()
        .logger(
            Logger::builder()
                .output(Output::Memory(sink.clone()))
                .audit_output(Output::Memory(trail.clone()))
                .build(),
        )
        .build()
        .unwrap();
    core.set_env("GITHUB_TOKEN", "ghp_not_a_real_token");
    assert_eq!(
        core.env("GITHUB_TOKEN").as_deref(),
        Some("ghp_not_a_real_token")
    );
    let audited = trail.contents();
    assert!(
        audited.contains(r#""fields":{"event":"env.secret_read","key":"GITHUB_TOKEN"}"#),
        "{audited}"
    );
    assert!(!audited.contains("ghp_not_a_real_token"), "{audited}");
    // A routine event: not in the log at the default level.
    assert_eq!(sink.contents(), "");
}

#[test]
fn core_env_empty_key_is_none_ugly() {
    let core = Core::builder().build().unwrap();
    assert_eq!(core.env(""), None);
}

// ---- Core::set_env ----

#[test]
fn core_set_env_good() {
    let core = Core::builder().build().unwrap();
    core.set_env("DIR_DATA", "/srv/workbench");
    assert_eq!(core.env("DIR_DATA").as_deref(), Some("/srv/workbench"));
}

#[test]
fn core_set_env_twice_keeps_the_last_good() {
    let core = Core::builder().build().unwrap();
    core.set_env("DIR_DATA", "/srv/alpha");
    core.set_env("DIR_DATA", "/srv/beta");
    assert_eq!(core.env("DIR_DATA").as_deref(), Some("/srv/beta"));
}

#[test]
fn core_set_env_two_cores_do_not_interfere_good() {
    let first = Core::builder().build().unwrap();
    let second = Core::builder().build().unwrap();
    first.set_env("DIR_DATA", "/srv/alpha");
    second.set_env("DIR_DATA", "/srv/beta");
    assert_eq!(first.env("DIR_DATA").as_deref(), Some("/srv/alpha"));
    assert_eq!(second.env("DIR_DATA").as_deref(), Some("/srv/beta"));
    let third = Core::builder().build().unwrap();
    assert_ne!(third.env("DIR_DATA").as_deref(), Some("/srv/alpha"));
    assert_ne!(third.env("DIR_DATA").as_deref(), Some("/srv/beta"));
}

#[test]
fn core_set_env_leaves_the_process_env_alone_bad() {
    let core = Core::builder().build().unwrap();
    core.set_env("CORERS_WORKBENCH_PROFILE", "staging");
    assert_eq!(
        core.env("CORERS_WORKBENCH_PROFILE").as_deref(),
        Some("staging")
    );
    assert!(std::env::var("CORERS_WORKBENCH_PROFILE").is_err());
}

#[test]
fn core_set_env_seen_by_clones_bad() {
    let core = Core::builder().build().unwrap();
    let clone = core.clone();
    clone.set_env("DIR_CACHE", "/var/cache/workbench");
    assert_eq!(
        core.env("DIR_CACHE").as_deref(),
        Some("/var/cache/workbench")
    );
}

#[test]
fn core_set_env_empty_value_still_overrides_ugly() {
    let core = Core::builder().build().unwrap();
    core.set_env("PATH", "");
    assert_eq!(core.env("PATH").as_deref(), Some(""));
}

#[test]
fn core_set_env_unicode_key_and_value_ugly() {
    let core = Core::builder().build().unwrap();
    core.set_env("工作区", "/srv/工作区 🗂");
    assert_eq!(core.env("工作区").as_deref(), Some("/srv/工作区 🗂"));
}

// ---- CoreBuilder::env ----

#[test]
fn core_builder_env_overrides_for_this_core_good() {
    let core = Core::builder()
        .env("DIR_CONFIG", "/etc/workbench")
        .build()
        .unwrap();
    assert_eq!(core.env("DIR_CONFIG").as_deref(), Some("/etc/workbench"));
}

#[test]
fn core_builder_env_not_seen_by_another_core_bad() {
    let first = Core::builder()
        .env("CORERS_WORKBENCH_PROFILE", "staging")
        .build()
        .unwrap();
    let second = Core::builder().build().unwrap();
    assert_eq!(
        first.env("CORERS_WORKBENCH_PROFILE").as_deref(),
        Some("staging")
    );
    assert_eq!(second.env("CORERS_WORKBENCH_PROFILE"), None);
}

#[test]
fn core_builder_env_replaced_by_set_env_good() {
    let core = Core::builder()
        .env("DIR_CONFIG", "/etc/workbench")
        .build()
        .unwrap();
    core.set_env("DIR_CONFIG", "/etc/workbench.d");
    assert_eq!(core.env("DIR_CONFIG").as_deref(), Some("/etc/workbench.d"));
}

#[test]
fn core_builder_env_empty_value_still_overrides_ugly() {
    let core = Core::builder().env("HOME", "").build().unwrap();
    assert_eq!(core.env("HOME").as_deref(), Some(""));
}

#[test]
fn core_builder_env_same_key_twice_keeps_the_last_ugly() {
    let core = Core::builder()
        .env("DIR_CONFIG", "/etc/workbench")
        .env("DIR_CONFIG", "/etc/workbench.d")
        .build()
        .unwrap();
    assert_eq!(core.env("DIR_CONFIG").as_deref(), Some("/etc/workbench.d"));
}

// ---- the environment that flag fallbacks read ----

/// A `deploy` command whose `--replicas` falls back on `CORERS_DEPLOY_REPLICAS`.
fn deploy(builder: CoreBuilder) -> Core {
    builder
        .command(
            "deploy",
            Command::new()
                .flag(Flag::new("replicas", FlagKind::Int).env("CORERS_DEPLOY_REPLICAS"))
                .action(|_, options: Options| async move {
                    Ok(Value::from(options.int("replicas").unwrap_or(1)))
                }),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn core_builder_env_is_what_flag_fallbacks_read_good() {
    let core = deploy(Core::builder().env("CORERS_DEPLOY_REPLICAS", "5"));
    let run = corers::testing::run_cli(&core, ["deploy"]).await;
    assert_eq!((run.exit_code, run.stdout.trim()), (0, "5"));
}

#[tokio::test]
async fn core_set_env_not_seen_by_another_cores_flags_bad() {
    let first = deploy(Core::builder());
    first.set_env("CORERS_DEPLOY_REPLICAS", "7");
    let second = deploy(Core::builder());
    let run = corers::testing::run_cli(&second, ["deploy"]).await;
    assert_eq!(run.stdout.trim(), "1");
}

#[tokio::test]
async fn core_flag_given_beats_the_cores_env_ugly() {
    let core = deploy(Core::builder().env("CORERS_DEPLOY_REPLICAS", "not a number"));
    let run = corers::testing::run_cli(&core, ["deploy", "--replicas=3"]).await;
    assert_eq!((run.exit_code, run.stdout.trim()), (0, "3"));
}

// ---- Core::remove_env ----

#[test]
fn core_remove_env_hides_the_process_env_good() {
    // PATH is set for every test process.
    let core = Core::builder().build().unwrap();
    assert!(core.env("PATH").is_some());
    core.remove_env("PATH");
    assert_eq!(core.env("PATH"), None);
    assert!(std::env::var_os("PATH").is_some(), "the process keeps it");
}

#[test]
fn core_remove_env_then_set_again_keeps_the_last_bad() {
    let core = Core::builder().env("DEPLOY_REPLICAS", "3").build().unwrap();
    core.remove_env("DEPLOY_REPLICAS");
    assert_eq!(core.env("DEPLOY_REPLICAS"), None);
    core.set_env("DEPLOY_REPLICAS", "5");
    assert_eq!(core.env("DEPLOY_REPLICAS").as_deref(), Some("5"));
}

#[test]
fn core_remove_env_of_home_and_a_computed_key_ugly() {
    let core = Core::builder().env("HOME", "/home/ada").build().unwrap();
    core.remove_env("HOME");
    core.remove_env("CORE_HOME");
    core.remove_env("XDG_CACHE_HOME");
    // Nothing to compute the home directories from...
    assert_eq!(core.env("DIR_HOME"), None);
    assert_eq!(core.env("DIR_CACHE"), None);
    // ...but a computed key removed is computed again: it was never a variable.
    core.remove_env("OS");
    assert_eq!(core.env("OS").as_deref(), Some(std::env::consts::OS));
}

// ---- CoreBuilder::env_remove ----

#[test]
fn core_builder_env_remove_hides_the_process_env_good() {
    let core = Core::builder().env_remove("PATH").build().unwrap();
    assert_eq!(core.env("PATH"), None);
}

#[test]
fn core_builder_env_remove_after_env_keeps_the_last_bad() {
    let removed = Core::builder()
        .env("DEPLOY_REPLICAS", "3")
        .env_remove("DEPLOY_REPLICAS")
        .build()
        .unwrap();
    assert_eq!(removed.env("DEPLOY_REPLICAS"), None);
    let set = Core::builder()
        .env_remove("DEPLOY_REPLICAS")
        .env("DEPLOY_REPLICAS", "3")
        .build()
        .unwrap();
    assert_eq!(set.env("DEPLOY_REPLICAS").as_deref(), Some("3"));
}

#[tokio::test]
async fn core_builder_flag_environment_fallback_skips_computed_keys_ugly() {
    // ARCH is a computed key of `core.env`, but no environment variable here: the flag
    // takes its default, as clap's `env` would.
    let core = Core::builder()
        .env_remove("ARCH")
        .command(
            "show",
            Command::new()
                .flag(Flag::new("arch", FlagKind::String).env("ARCH"))
                .action(|_, options: Options| async move {
                    Ok(Value::from(
                        options.string("arch").unwrap_or("any").to_owned(),
                    ))
                }),
        )
        .build()
        .unwrap();
    assert_eq!(core.env("ARCH").as_deref(), Some(std::env::consts::ARCH));
    let seen = corers::testing::run_cli(&core, ["show"]).await;
    assert_eq!(seen.stdout, "any\n", "{seen}");
}

#[tokio::test]
async fn core_builder_env_remove_reaches_a_flags_environment_fallback_ugly() {
    // A flag that falls back to PATH (set in every test process) sees nothing once the
    // Core removes it: the developer's shell cannot change the test.
    let build = |remove: bool| {
        let builder = Core::builder().command(
            "show",
            Command::new()
                .flag(Flag::new("search", FlagKind::String).env("PATH"))
                .action(|_, options: Options| async move {
                    Ok(Value::from(
                        options.string("search").unwrap_or("<none>").to_owned(),
                    ))
                }),
        );
        if remove {
            builder.env_remove("PATH")
        } else {
            builder
        }
        .build()
        .unwrap()
    };
    let seen = corers::testing::run_cli(&build(true), ["show"]).await;
    assert_eq!(seen.stdout, "<none>\n", "{seen}");
    let seen = corers::testing::run_cli(&build(false), ["show"]).await;
    assert_ne!(seen.stdout, "<none>\n", "{seen}");
}
