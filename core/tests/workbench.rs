//! The `workbench` example, run as a program (`Core::run_blocking` on its arguments): its
//! standard output, standard error and exit code for each README command, snapshot-tested.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::OnceLock;

/// Builds the example once per test run and returns the path of its binary.
fn workbench() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Process::new(env!("CARGO"))
            .args(["build", "--example", "workbench", "-q"])
            .current_dir(&root)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "cargo build --example workbench: {status}"
        );
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join("examples").join("workbench")
    })
}

/// Runs the example with `args`; returns its exit code, stdout and stderr as one text.
fn run(args: &[&str]) -> String {
    run_with(args, &[])
}

/// [`run`] with environment variables `vars` set (and no other `WORKBENCH_*` ones).
fn run_with(args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut command = Process::new(workbench());
    // Nor the colour a CI's environment may force.
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("WORKBENCH_")) {
        command.env_remove(key);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    format!(
        "$ workbench{}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.iter()
            .fold(String::new(), |line, arg| line + " " + arg),
        output
            .status
            .code()
            .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A new directory of its own under the system temp directory for one test to run the
/// workbench in (its `workbench.toml` is read from there), named after `what`.
fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "corers-workbench-{what}-{}-{}",
        std::process::id(),
        corers::primitives::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn core_run_blocking_workbench_create_alpha_good() {
    insta::assert_snapshot!(run(&["workspace", "create", "--name=alpha"]));
}

#[cfg(unix)]
#[test]
fn core_run_blocking_workbench_non_utf8_argument_exits_2_ugly() {
    use std::os::unix::ffi::OsStrExt as _;
    let output = Process::new(workbench())
        .args([
            std::ffi::OsStr::new("workspace"),
            std::ffi::OsStr::new("create"),
        ])
        .arg(std::ffi::OsStr::from_bytes(b"--name=caf\xe9"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: argument 3 is not valid UTF-8: \"--name=caf\u{fffd}\"\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn core_run_blocking_workbench_list_good() {
    insta::assert_snapshot!(run(&["workspace", "list"]));
}

#[test]
fn core_run_blocking_workbench_config_shows_layers_good() {
    insta::assert_snapshot!(run_with(
        &["config"],
        &[("WORKBENCH_INDEX__FILES_PER_CHAR", "3")]
    ));
}

#[test]
fn core_run_blocking_workbench_config_that_does_not_fit_refuses_to_start_bad() {
    insta::assert_snapshot!(run_with(
        &["workspace", "list"],
        &[("WORKBENCH_INDEX__FILES_PER_CHAR", "many")]
    ));
}

#[test]
fn core_run_blocking_workbench_set_overrides_env_and_defaults_ugly() {
    insta::assert_snapshot!(run_with(
        &[
            "--set",
            "index.files_per_char=2",
            "workspace",
            "create",
            "--name=alpha"
        ],
        &[("WORKBENCH_INDEX__FILES_PER_CHAR", "3")]
    ));
}

#[test]
fn core_run_blocking_workbench_set_reaches_the_store_factory_good() {
    // The store reads `workspace.first` when it is made, before anything starts.
    let shown = run(&["--set", "workspace.first=main", "workspace", "list"]);
    assert!(
        shown.contains("exit: 0\n--- stdout\nmain\n--- stderr"),
        "{shown}"
    );
}

#[test]
fn core_run_blocking_workbench_health_good() {
    insta::assert_snapshot!(run(&["health"]));
}

#[test]
fn core_run_blocking_workbench_help_good() {
    insta::assert_snapshot!(run(&["help"]));
}

#[test]
fn core_run_blocking_workbench_help_of_a_command_good() {
    insta::assert_snapshot!(run(&["help", "workspace", "create"]));
}

#[test]
fn core_run_blocking_workbench_cache_flush_good() {
    insta::assert_snapshot!(run(&["cache", "flush"]));
}

#[test]
fn core_run_blocking_workbench_no_arguments_exit_2_bad() {
    insta::assert_snapshot!(run(&[]));
}

#[test]
fn core_run_blocking_workbench_create_without_name_exit_2_bad() {
    insta::assert_snapshot!(run(&["workspace", "create"]));
}

#[test]
fn core_run_blocking_workbench_create_existing_workspace_bad() {
    insta::assert_snapshot!(run(&["workspace", "create", "--name=default"]));
}

#[test]
fn core_run_blocking_workbench_misspelt_command_ugly() {
    insta::assert_snapshot!(run(&["workspace", "creat", "--name=alpha"]));
}

#[test]
fn core_run_blocking_workbench_error_hides_a_url_password_ugly() {
    let printed = run(&[
        "workspace",
        "create",
        "--name=postgres://app:hunter2@db.lan/app",
    ]);
    let (_, stderr) = printed.split_once("--- stderr\n").unwrap();
    assert!(
        stderr.contains("postgres://app:[REDACTED]@db.lan/app"),
        "{printed}"
    );
    assert!(!stderr.contains("hunter2"), "{printed}");
}

#[test]
fn core_run_blocking_workbench_create_unicode_name_ugly() {
    insta::assert_snapshot!(run(&["workspace", "create", "-n", "工作区 β"]));
}

#[test]
fn core_run_blocking_output_to_a_closed_pipe_still_shuts_down_ugly() {
    // `workbench help | head -0`: the reader is gone before anything is written.
    let mut child = Process::new(workbench())
        .arg("help")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs the example with `args` and its standard output on `/dev/full` (every write fails
/// with "no space left"): its exit code and standard error.
fn to_a_full_disk(args: &[&str]) -> (Option<i32>, String) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Process::new(workbench())
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(full)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn core_run_blocking_output_that_cannot_be_written_exits_74_bad() {
    // The result, what a command printed with Core::print, help and the version alike:
    // lost output is no success (EX_IOERR), and says why.
    for args in [
        &["workspace", "list"][..],
        &["config"],
        &["help"],
        &["--version"],
    ] {
        let (code, stderr) = to_a_full_disk(args);
        assert_eq!(code, Some(74), "{args:?}: {stderr}");
        assert!(
            stderr.ends_with(
                "error: standard output could not be written: No space left on device (os error 28)\n"
            ),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn core_run_blocking_output_that_cannot_be_written_keeps_a_failures_code_ugly() {
    // A command that failed keeps its own exit code; its error still reaches stderr.
    let (code, stderr) = to_a_full_disk(&["workspace", "create", "--name=default"]);
    assert_ne!(code, Some(74), "{stderr}");
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
}

#[test]
fn core_run_blocking_workbench_config_shows_what_loaded_when_the_config_is_refused_bad() {
    // `config` is needed most when the settings are wrong: it shows what did load, then
    // what failed, and exits as the refused start would (78).
    let dir = scratch("refused-config");
    std::fs::write(
        dir.join("workbench.toml"),
        "[index]\nfiles_per_char = \"many\"\n",
    )
    .unwrap();
    let output = Process::new(workbench())
        .arg("config")
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .env_remove("WORKBENCH_INDEX__FILES_PER_CHAR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stdout}{stderr}");
    assert!(
        stdout.contains("index.files_per_char") && stdout.contains("workbench.toml"),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("error: read the config: ") && stderr.contains("usize"),
        "{stderr}"
    );
    // Another command still refuses to start, and says the same.
    let other = Process::new(workbench())
        .args(["workspace", "list"])
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(78));
    assert!(other.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn core_run_blocking_workbench_config_file_that_cannot_be_read_exits_78_ugly() {
    // A directory where the file should be (a CONFLICT of its own) is a setting to fix:
    // 78, which the README's systemd unit does not restart.
    let dir = scratch("dir-config");
    std::fs::create_dir(dir.join("workbench.toml")).unwrap();
    let output = Process::new(workbench())
        .args(["workspace", "list"])
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(stderr.starts_with("error: read the config: "), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn core_run_blocking_build_failure_shows_its_whole_error_at_debug_level_bad() {
    // A workbench.toml that does not read: the message form for the user, the whole
    // error (operations, codes) in the log when RUST_LOG asks for debug.
    let dir = scratch("bad-toml");
    std::fs::write(dir.join("workbench.toml"), "[index\nfiles = 2\n").unwrap();
    let run = |rust_log: &str| {
        let output = Process::new(workbench())
            .args(["workspace", "list"])
            .current_dir(&dir)
            .env("RUST_LOG", rust_log)
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, quiet) = run("");
    assert_eq!(code, Some(78), "{quiet}");
    assert!(quiet.starts_with("error: read the config: "), "{quiet}");
    assert!(!quiet.contains("corers.CoreBuilder.build"), "{quiet}");
    let (_, chatty) = run("corers=debug");
    assert!(
        chatty.contains("DEBUG corers::builder: the application did not build error=\"corers.CoreBuilder.build: read the config [INVALID]"),
        "{chatty}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn core_run_blocking_workbench_serve_until_sigterm_good() {
    use std::io::{BufRead, BufReader};
    let mut child = Process::new(workbench())
        .arg("serve")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert_eq!(first, "serving: Ctrl-C to stop\n");
    let killed = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    // A supervisor's ordinary stop: the services stop in order, the command ends well.
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "stopped\n");
}
