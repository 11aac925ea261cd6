//! Running cargo and other tools, and finding the workspace.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), PathBuf::from)
}

/// `cargo` as the one that runs xtask (respects `$CARGO`).
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Runs `command`, echoing it first; an error names `step` and the exit status.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("xtask [{step}]: {}", describe(command));
    let status = command
        .status()
        .map_err(|e| format!("step {step:?} could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("step {step:?} failed ({status})"))
    }
}

/// Whether `cargo <subcommand> --version` works (e.g. nextest is installed).
pub(crate) fn has_cargo_subcommand(subcommand: &str) -> bool {
    cargo()
        .args([subcommand, "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
