//! Shell completion scripts: snapshots for bash, zsh and fish, the `completion <shell>`
//! built-in, and — where the shell is installed — the scripts run in the real shell
//! (tests that need a missing shell pass without checking anything, saying so on stderr).

mod common;

use std::process::Command as Process;

use corers_cli::{Cli, Command, Flag, FlagKind, Positional, Shell};
use corers_primitives::{ErrorCode, Value};

use common::{echo, error_message};

/// The sample tree of the issue: `workspace/create`, `workspace/list`, `cache/flush` and a
/// hidden `debug/dump`.
fn sample() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "workspace/create",
        echo(
            Command::new()
                .description("create a workspace")
                .flag(Flag::new("name", FlagKind::String).short('n').required())
                .flag(Flag::new("verbose", FlagKind::Bool).short('v')),
        ),
    )
    .unwrap();
    cli.register(
        "workspace/list",
        echo(
            Command::new()
                .description("list workspaces")
                .flag(Flag::new(
                    "format",
                    FlagKind::Enum(vec!["json".into(), "table".into()]),
                )),
        ),
    )
    .unwrap();
    cli.register(
        "cache/flush",
        echo(Command::new().description("flush every cache")),
    )
    .unwrap();
    cli.register(
        "debug/dump",
        echo(Command::new().description("dump internal state").hidden()),
    )
    .unwrap();
    cli
}

fn installed(shell: &str) -> bool {
    let found = Process::new(shell)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_ok_and(|o| o.status.success());
    // CI installs every shell (.ci/run) and says so: there, a missing one is a failure,
    // not a skip.
    assert!(
        found || std::env::var_os("CORERS_REQUIRE_SHELLS").is_none(),
        "{shell} is not installed, and CORERS_REQUIRE_SHELLS asks for every shell"
    );
    if !found {
        eprintln!("{shell} is not installed: nothing checked");
    }
    found
}

/// What bash's completion offers for `words` (the last one being completed), with the
/// script loaded; `None` without bash.
fn bash_complete(script: &str, words: &[&str]) -> Option<Vec<String>> {
    bash_complete_in(&std::env::temp_dir(), script, words)
}

/// [`bash_complete`] with `dir` as the working directory (for file names).
fn bash_complete_in(dir: &std::path::Path, script: &str, words: &[&str]) -> Option<Vec<String>> {
    if !installed("bash") {
        return None;
    }
    let output = Process::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(
            r#"eval "$SCRIPT"; COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; _workbench; printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(words.join(" "))
        .env("SCRIPT", script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    Some(lines(&output.stdout))
}

/// The words zsh's completion function hands to `compadd` (stubbed) for `words`, and
/// `$PATH` as the stub saw it; `None` without zsh.
fn zsh_complete(script: &str, words: &[&str]) -> Option<(Vec<String>, String)> {
    if !installed("zsh") {
        return None;
    }
    let output = Process::new("zsh")
        .arg("-f")
        .arg("-c")
        .arg(
            r#"compdef() { :; }
eval "$SCRIPT"
compadd() { shift; print -rl -- "$@"; print -r -- "PATH=$PATH" }
compset() { :; }
_files() { print -r -- "<files>"; print -r -- "PATH=$PATH" }
words=("$@"); CURRENT=$#
_workbench"#,
        )
        .arg("zsh")
        .args(words)
        .env("SCRIPT", script)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut offered = lines(&output.stdout);
    let path = offered
        .pop()
        .and_then(|last| last.strip_prefix("PATH=").map(str::to_owned))
        .unwrap_or_default();
    Some((offered, path))
}

/// What fish offers for the command line `line`, and what it printed on stderr; `None`
/// without fish.
fn fish_complete(script: &str, line: &str) -> Option<(Vec<String>, String)> {
    if !installed("fish") {
        return None;
    }
    let output = Process::new("fish")
        .arg("--no-config")
        .arg("-c")
        .arg(r"printf '%s\n' $SCRIPT | source; complete -C $LINE")
        .env("SCRIPT", script)
        .env("LINE", line)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    Some((
        lines(&output.stdout),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---- snapshots ----

#[test]
fn cli_completion_bash_snapshot_good() {
    insta::assert_snapshot!("bash", sample().completion(Shell::Bash));
}

#[test]
fn cli_completion_zsh_snapshot_good() {
    insta::assert_snapshot!("zsh", sample().completion(Shell::Zsh));
}

#[test]
fn cli_completion_fish_snapshot_good() {
    insta::assert_snapshot!("fish", sample().completion(Shell::Fish));
}

// ---- Cli::completion, in bash ----

#[test]
fn cli_completion_bash_offers_subcommands_good() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", "workspace", ""]) else {
        return;
    };
    assert_eq!(offered, ["create", "list"]);
}

#[test]
fn cli_completion_bash_offers_command_flags_good() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", "workspace", "create", "--"]) else {
        return;
    };
    assert_eq!(offered, ["--name", "--verbose", "--help"]);
}

#[test]
fn cli_completion_bash_filters_by_prefix_good() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", "work"]) else {
        return;
    };
    assert_eq!(offered, ["workspace"]);
}

#[test]
fn cli_completion_bash_skips_flags_in_path_good() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", "workspace", "-v", "l"]) else {
        return;
    };
    assert_eq!(offered, ["list"]);
}

#[test]
fn cli_completion_bash_top_level_offers_builtins_good() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", ""]) else {
        return;
    };
    for word in ["cache", "workspace", "help", "completion"] {
        assert!(offered.contains(&word.to_owned()), "{offered:?}");
    }
}

#[test]
fn cli_completion_hidden_command_not_offered_bad() {
    let cli = sample();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let script = cli.completion(shell);
        assert!(!script.contains("dump"), "{shell:?}:\n{script}");
    }
}

#[test]
fn cli_completion_placeholder_of_hidden_commands_not_offered_bad() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", ""]) else {
        return;
    };
    assert!(!offered.contains(&"debug".to_owned()), "{offered:?}");
}

#[test]
fn cli_completion_bash_unknown_path_offers_nothing_bad() {
    let script = sample().completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", "nightly", ""]) else {
        return;
    };
    assert!(offered.is_empty(), "{offered:?}");
}

#[test]
fn cli_completion_empty_tree_offers_only_builtins_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let script = cli.completion(Shell::Bash);
    let Some(offered) = bash_complete(&script, &["workbench", ""]) else {
        return;
    };
    assert_eq!(offered, ["help", "completion", "--help"]);
}

#[test]
fn cli_completion_program_name_with_dash_ugly() {
    let cli: Cli<()> = Cli::new("work-bench");
    let script = cli.completion(Shell::Bash);
    assert!(script.contains("_work_bench() {"), "{script}");
    assert!(
        script.ends_with("complete -F _work_bench work-bench\n"),
        "{script}"
    );
}

#[tokio::test]
async fn cli_completion_program_name_a_shell_would_read_as_code_never_reaches_the_script_ugly() {
    let hostile = "Bob's Tool; $(touch pwned)\necho";
    let cli: Cli<()> = Cli::new(hostile);
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let script = cli.completion(shell);
        for part in ["Bob's", "$(touch", "Tool; "] {
            assert!(!script.contains(part), "{part:?} in {script}");
        }
    }
    // What stands for it is a plain word.
    assert!(cli.completion(Shell::Bash).ends_with(
        "complete -F _Bob_s_Tool____touch_pwned__echo Bob_s_Tool____touch_pwned__echo\n"
    ));
    // Asked for on the command line, the script is refused with a reason.
    let outcome = cli.run((), ["completion", "bash"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome.stderr().contains("plain command word"),
        "{}",
        outcome.stderr()
    );
}

#[test]
fn cli_completion_shell_metacharacters_in_path_refused_ugly() {
    // A command path can never carry shell syntax into a completion script: it is refused
    // when registered.
    let cli: Cli<()> = Cli::new("workbench");
    let err = cli
        .register("ops/$(touch${IFS}pwned)", echo(Command::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(!cli.completion(Shell::Bash).contains("touch"));
}

#[test]
fn cli_completion_shell_metacharacters_in_flag_name_refused_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    for name in ["x$(id)", "a`id`", "semi;colon", "glob*", "back\\"] {
        let err = cli
            .register(
                "job",
                echo(Command::new().flag(Flag::new(name, FlagKind::Bool))),
            )
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{name}");
    }
    assert!(!cli.completion(Shell::Bash).contains("id"));
}

// ---- Cli::completion, in zsh ----

#[test]
fn cli_completion_zsh_offers_subcommands_good() {
    let script = sample().completion(Shell::Zsh);
    let Some((offered, _)) = zsh_complete(&script, &["workbench", "workspace", ""]) else {
        return;
    };
    assert_eq!(offered, ["create", "list"]);
}

#[test]
fn cli_completion_zsh_keeps_path_variable_bad() {
    let script = sample().completion(Shell::Zsh);
    let Some((_, path)) = zsh_complete(&script, &["workbench", "workspace", ""]) else {
        return;
    };
    assert_ne!(path, "workspace");
    assert!(
        path.contains("/bin"),
        "PATH inside the completion function: {path:?}"
    );
}

#[test]
fn cli_completion_zsh_autoloaded_first_call_completes_bad() {
    if !installed("zsh") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("corers-cli-zfunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_workbench"), sample().completion(Shell::Zsh)).unwrap();
    let output = Process::new("zsh")
        .arg("-f")
        .arg("-c")
        .arg(
            r#"fpath=("$ZFUNC" $fpath); compdef() { :; }; autoload -Uz _workbench
compadd() { shift; print -rl -- "$@" }
words=(workbench workspace ""); CURRENT=3
_workbench"#,
        )
        .env("ZFUNC", &dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(lines(&output.stdout), ["create", "list"], "{output:?}");
}

#[test]
fn cli_completion_flag_value_is_not_a_command_word_ugly() {
    let cli = sample();
    let expected = ["--name", "--verbose", "--help"];
    for args in [
        ["workbench", "workspace", "create", "--name", "alpha", "--"],
        ["workbench", "workspace", "create", "-n", "alpha", "--"],
    ] {
        if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &args) {
            assert_eq!(offered, expected, "bash {args:?}");
        }
        if let Some((offered, _)) = zsh_complete(&cli.completion(Shell::Zsh), &args) {
            assert_eq!(offered, expected, "zsh {args:?}");
        }
        let line = format!("{} ", args[..5].join(" "));
        if let Some((offered, stderr)) = fish_complete(&cli.completion(Shell::Fish), &line) {
            assert!(stderr.is_empty(), "{stderr}");
            assert!(
                offered.contains(&"--verbose".to_owned()),
                "fish {line:?}: {offered:?}"
            );
        }
    }
    // A flag that takes no value there: the next word is still a command word.
    if let Some(offered) = bash_complete(
        &cli.completion(Shell::Bash),
        &["workbench", "workspace", "--verbose", "create", ""],
    ) {
        assert_eq!(offered, expected);
    }
}

#[test]
fn cli_completion_arguments_double_dash_and_help_levels_ugly() {
    let cli = sample();
    let flags = ["--name", "--verbose", "--help"];
    // A command's argument is no step down the tree: its flags are offered after it.
    let argument = ["workbench", "workspace", "create", "alpha", ""];
    // After `--` nothing is a flag.
    let ended = ["workbench", "workspace", "create", "--", ""];
    // `help` goes down the tree level by level.
    let help = ["workbench", "help", "workspace", ""];
    if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &argument) {
        assert_eq!(offered, flags);
        let offered = bash_complete(&cli.completion(Shell::Bash), &ended).unwrap();
        assert!(offered.is_empty(), "{offered:?}");
        let offered = bash_complete(&cli.completion(Shell::Bash), &help).unwrap();
        assert_eq!(offered, ["create", "list"]);
    }
    if let Some((offered, _)) = zsh_complete(&cli.completion(Shell::Zsh), &argument) {
        assert_eq!(offered, flags);
        let (offered, _) = zsh_complete(&cli.completion(Shell::Zsh), &ended).unwrap();
        assert!(offered.is_empty(), "{offered:?}");
        let (offered, _) = zsh_complete(&cli.completion(Shell::Zsh), &help).unwrap();
        assert_eq!(offered, ["create", "list"]);
    }
    let fish = |words: &[&str]| fish_complete(&cli.completion(Shell::Fish), &words.join(" "));
    if let Some((offered, stderr)) = fish(&argument) {
        assert!(stderr.is_empty(), "{stderr}");
        assert!(offered.contains(&"--verbose".to_owned()), "{offered:?}");
        let (offered, _) = fish(&ended).unwrap();
        assert!(!offered.iter().any(|o| o.starts_with("--")), "{offered:?}");
        let (offered, _) = fish(&help).unwrap();
        assert!(offered.contains(&"create".to_owned()), "{offered:?}");
    }
}

#[test]
fn cli_completion_bash_after_a_flag_with_its_value_joined_good() {
    let script = sample().completion(Shell::Bash);
    let line = ["workbench", "workspace", "create", "--name=alpha", ""];
    let Some(offered) = bash_complete(&script, &line) else {
        return;
    };
    assert_eq!(offered, ["--name", "--verbose", "--help"]);
}

#[test]
fn cli_completion_bash_path_word_with_a_colon_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("db:migrate/up", echo(Command::new())).unwrap();
    let script = cli.completion(Shell::Bash);
    // Bash replaces only the text after the `:` of the word being completed.
    let Some(offered) = bash_complete(&script, &["workbench", "db:mi"]) else {
        return;
    };
    assert_eq!(offered, ["migrate"]);
    let Some(offered) = bash_complete(&script, &["workbench", "db:migrate", ""]) else {
        return;
    };
    assert_eq!(offered, ["up"]);
}

// ---- built-ins and global flags ----

/// The sample tree, with a version and the facade's `--set` global flag.
fn with_globals() -> Cli<()> {
    sample()
        .with_version("0.4.1")
        .with_global_flag("--set <key=value>", "set a config value for this run")
}

#[test]
fn cli_completion_top_level_flags_are_help_version_and_globals_good() {
    let cli = with_globals();
    let line = ["workbench", "--"];
    if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &line) {
        assert_eq!(offered, ["--help", "--version", "--set"]);
    }
    // zsh is handed every word of the level (it matches the prefix itself).
    if let Some((offered, _)) = zsh_complete(&cli.completion(Shell::Zsh), &line) {
        let flags: Vec<&String> = offered.iter().filter(|w| w.starts_with("--")).collect();
        assert_eq!(flags, ["--help", "--version", "--set"]);
    }
    if let Some((offered, stderr)) = fish_complete(&cli.completion(Shell::Fish), "workbench --") {
        assert!(stderr.is_empty(), "{stderr}");
        for flag in ["--help", "--version", "--set"] {
            assert!(offered.contains(&flag.to_owned()), "{offered:?}");
        }
    }
}

#[test]
fn cli_completion_global_flag_value_is_not_a_command_word_bad() {
    let cli = with_globals();
    // After `--set a=1` the commands are offered again; right after `--set`, nothing.
    if let Some(offered) = bash_complete(
        &cli.completion(Shell::Bash),
        &["workbench", "--set", "a=1", "w"],
    ) {
        assert_eq!(offered, ["workspace"]);
    }
    if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &["workbench", "--set", ""])
    {
        assert!(offered.is_empty(), "{offered:?}");
    }
    if let Some(offered) = bash_complete(
        &cli.completion(Shell::Bash),
        &["workbench", "workspace", "--set", "a=1", "l"],
    ) {
        assert_eq!(offered, ["list"]);
    }
    if let Some((offered, _)) = zsh_complete(
        &cli.completion(Shell::Zsh),
        &["workbench", "--set", "a=1", ""],
    ) {
        assert!(offered.contains(&"workspace".to_owned()), "{offered:?}");
    }
    if let Some((offered, _)) =
        zsh_complete(&cli.completion(Shell::Zsh), &["workbench", "--set", ""])
    {
        assert!(offered.is_empty(), "{offered:?}");
    }
    if let Some((offered, stderr)) =
        fish_complete(&cli.completion(Shell::Fish), "workbench --set a=1 w")
    {
        assert!(stderr.is_empty(), "{stderr}");
        assert_eq!(offered, ["workspace"]);
    }
}

#[test]
fn cli_completion_builtins_take_a_shell_and_a_command_ugly() {
    let cli = with_globals();
    if let Some(offered) = bash_complete(
        &cli.completion(Shell::Bash),
        &["workbench", "completion", ""],
    ) {
        assert_eq!(offered, ["bash", "zsh", "fish"]);
    }
    if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &["workbench", "help", ""]) {
        // The visible commands only: `debug` holds nothing but a hidden command.
        assert_eq!(offered, ["cache", "workspace"]);
    }
    if let Some((offered, _)) = fish_complete(&cli.completion(Shell::Fish), "workbench completion ")
    {
        assert_eq!(offered, ["bash", "fish", "zsh"]);
    }
}

#[test]
fn cli_completion_global_flags_without_a_value_and_a_taken_builtin_name_ugly() {
    let cli = sample()
        .with_global_flag("--color[=WHEN]", "colour the output")
        .with_global_flag("-q, --quiet", "say less");
    // The application's own `completion` command: its level, not the built-in's.
    cli.register(
        "completion",
        echo(Command::new().flag(Flag::new("install", FlagKind::Bool))),
    )
    .unwrap();
    let script = cli.completion(Shell::Bash);
    assert_eq!(script.matches("\"completion\")").count(), 1, "{script}");
    if let Some(offered) = bash_complete(&script, &["workbench", "--"]) {
        assert_eq!(offered, ["--help", "--color", "--quiet"]);
    }
    // Neither flag takes the next word: the commands follow.
    if let Some(offered) = bash_complete(&script, &["workbench", "--color", "-q", "w"]) {
        assert_eq!(offered, ["workspace"]);
    }
    if let Some(offered) = bash_complete(&script, &["workbench", "completion", "--i"]) {
        assert_eq!(offered, ["--install"]);
    }
}

// ---- Cli::completion, in fish ----

#[test]
fn cli_completion_fish_offers_subcommands_good() {
    let script = sample().completion(Shell::Fish);
    let Some((offered, _)) = fish_complete(&script, "workbench workspace ") else {
        return;
    };
    assert_eq!(offered, ["create", "list"]);
}

#[test]
fn cli_completion_fish_offers_top_level_commands_bad() {
    let script = sample().completion(Shell::Fish);
    let Some((offered, stderr)) = fish_complete(&script, "workbench ") else {
        return;
    };
    assert!(stderr.is_empty(), "{stderr}");
    assert!(offered.contains(&"workspace".to_owned()), "{offered:?}");
}

// ---- flag values ----

/// `export` with an enum flag (two choices no script can offer as they are), a path flag
/// and a free text flag.
fn with_values() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "export",
        echo(
            Command::new()
                .flag(
                    Flag::new(
                        "format",
                        FlagKind::Enum(vec![
                            "json".into(),
                            "table".into(),
                            "two words".into(),
                            "$(touch pwned)".into(),
                        ]),
                    )
                    .short('f'),
                )
                .flag(Flag::new("out", FlagKind::Path).short('o'))
                .flag(Flag::new("name", FlagKind::String)),
        ),
    )
    .unwrap();
    cli
}

#[test]
fn cli_completion_enum_flag_offers_its_choices_good() {
    let cli = with_values();
    let bash = cli.completion(Shell::Bash);
    let zsh = cli.completion(Shell::Zsh);
    for (words, expected) in [
        (
            &["workbench", "export", "--format", ""][..],
            &["json", "table"][..],
        ),
        (&["workbench", "export", "-f", "t"], &["table"]),
        (&["workbench", "export", "--format=j"], &["json"]),
        (&["workbench", "export", "--name", ""], &[]),
    ] {
        if let Some(offered) = bash_complete(&bash, words) {
            assert_eq!(offered, expected, "bash {words:?}");
        }
    }
    // zsh hands every choice to compadd, which does the matching.
    for words in [
        &["workbench", "export", "--format", ""][..],
        &["workbench", "export", "-f", "t"],
        &["workbench", "export", "--format=j"],
    ] {
        if let Some((offered, _)) = zsh_complete(&zsh, words) {
            assert_eq!(offered, ["json", "table"], "zsh {words:?}");
        }
    }
    let fish = cli.completion(Shell::Fish);
    for (line, expected) in [
        ("workbench export --format ", &["json", "table"][..]),
        ("workbench export -f t", &["table"]),
        ("workbench export --format=j", &["--format=json"]),
    ] {
        if let Some((offered, stderr)) = fish_complete(&fish, line) {
            assert!(stderr.is_empty(), "{stderr}");
            assert_eq!(offered, expected, "fish {line:?}");
        }
    }
}

#[test]
fn cli_completion_after_a_flag_value_offers_flags_again_bad() {
    let cli = with_values();
    let expected = ["--format", "--out", "--name", "--help"];
    let words = ["workbench", "export", "--format", "json", ""];
    if let Some(offered) = bash_complete(&cli.completion(Shell::Bash), &words) {
        assert_eq!(offered, expected);
    }
    if let Some((offered, _)) = zsh_complete(&cli.completion(Shell::Zsh), &words) {
        assert_eq!(offered, expected);
    }
    // Free text: nothing to offer, and never the command's flags or words.
    if let Some((offered, _)) = zsh_complete(
        &cli.completion(Shell::Zsh),
        &["workbench", "export", "--name", ""],
    ) {
        assert!(offered.is_empty(), "{offered:?}");
    }
    if let Some((offered, stderr)) =
        fish_complete(&cli.completion(Shell::Fish), "workbench export --name ")
    {
        assert!(stderr.is_empty(), "{stderr}");
        assert!(offered.is_empty(), "{offered:?}");
    }
}

#[test]
fn cli_completion_bash_file_names_with_blanks_and_changed_word_breaks_ugly() {
    let cli = with_values();
    let bash = cli.completion(Shell::Bash);
    let dir = std::env::temp_dir().join(format!("corers-cli-blanks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("my report.csv"), "").unwrap();
    std::fs::write(dir.join("[draft].csv"), "").unwrap();
    // One candidate per file, blanks and glob characters kept.
    if let Some(offered) = bash_complete_in(&dir, &bash, &["workbench", "export", "--out", "my"]) {
        assert_eq!(offered, ["my report.csv"]);
    }
    if let Some(offered) = bash_complete_in(&dir, &bash, &["workbench", "export", "--out", "["]) {
        assert_eq!(offered, ["[draft].csv"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // A user who took `=` out of COMP_WORDBREAKS: bash replaces the whole word, so the
    // candidate is the whole word too.
    if installed("bash") {
        let output = Process::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(
                r#"eval "$SCRIPT"; COMP_WORDBREAKS=$' \t\n"'"'"'><;|&(:'; COMP_LINE="workbench export --format=j"; COMP_POINT=${#COMP_LINE}; _workbench; printf '%s\n' "${COMPREPLY[@]}""#,
            )
            .env("SCRIPT", &bash)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_eq!(lines(&output.stdout), ["--format=json"]);
    }
}

#[test]
fn cli_completion_path_flag_offers_files_and_hostile_choices_are_left_out_ugly() {
    let cli = with_values();
    let dir = std::env::temp_dir().join(format!("corers-cli-compl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.csv"), "").unwrap();
    std::fs::write(dir.join("readme.md"), "").unwrap();
    let bash = cli.completion(Shell::Bash);
    if let Some(mut offered) =
        bash_complete_in(&dir, &bash, &["workbench", "export", "--out", "re"])
    {
        offered.sort();
        assert_eq!(offered, ["readme.md", "report.csv"]);
    }
    if let Some(offered) = bash_complete_in(&dir, &bash, &["workbench", "export", "-o=rep"]) {
        assert_eq!(offered, ["report.csv"]);
    }
    if let Some((offered, _)) = zsh_complete(
        &cli.completion(Shell::Zsh),
        &["workbench", "export", "--out", ""],
    ) {
        assert_eq!(offered, ["<files>"]);
    }
    // Fish lists files of its working directory: this crate's.
    if let Some((offered, _)) = fish_complete(
        &cli.completion(Shell::Fish),
        "workbench export --out Cargo.t",
    ) {
        assert_eq!(offered, ["Cargo.toml"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // A choice with a blank, `$` or quote is never written into a script.
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let script = cli.completion(shell);
        assert!(!script.contains("pwned"), "{shell:?}");
        assert!(!script.contains("two words"), "{shell:?}");
    }
}

// ---- the `completion` built-in ----

#[tokio::test]
async fn cli_run_completion_builtin_prints_script_good() {
    let cli = sample();
    for (word, shell) in [
        ("bash", Shell::Bash),
        ("zsh", Shell::Zsh),
        ("fish", Shell::Fish),
    ] {
        let outcome = cli.run((), ["completion", word]).await;
        assert_eq!(outcome.exit_code(), 0, "{word}");
        assert_eq!(outcome.stdout(), cli.completion(shell), "{word}");
        assert!(outcome.stderr().is_empty());
    }
}

/// Asserts that `outcome`'s error shows the completion's own usage, not the program's.
fn assert_completion_usage(outcome: &corers_cli::RunOutput) {
    assert!(
        outcome
            .stderr()
            .contains("Usage: workbench completion <bash|zsh|fish>"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_completion_unknown_shell_bad() {
    let cli = sample();
    let outcome = cli.run((), ["completion", "powershell"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        error_message(&outcome),
        r#"unknown shell "powershell": use bash, zsh or fish"#
    );
    assert!(outcome.stdout().is_empty());
    assert_completion_usage(&outcome);
}

#[tokio::test]
async fn cli_run_completion_with_a_flag_is_a_usage_error_ugly() {
    let cli = sample();
    for args in [
        ["completion", "bash", "--foo"],
        ["completion", "-x", "bash"],
    ] {
        let outcome = cli.run((), args).await;
        assert_eq!(outcome.exit_code(), 2, "{args:?}");
        assert!(outcome.stdout().is_empty(), "{args:?}");
        assert!(
            error_message(&outcome).starts_with("unknown flag -"),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn cli_run_completion_without_shell_is_usage_error_bad() {
    let cli = sample();
    let outcome = cli.run((), ["completion"]).await;
    assert_eq!(outcome.exit_code(), 2);
    // With the completion's own usage, not the program's.
    assert_completion_usage(&outcome);
}

#[tokio::test]
async fn cli_run_completion_with_a_second_shell_is_an_unexpected_argument_bad() {
    let cli = sample();
    let outcome = cli.run((), ["completion", "bash", "zsh"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"unexpected argument "zsh": completion takes one shell"#
    );
    assert!(outcome.stdout().is_empty());
}

#[tokio::test]
async fn cli_run_completion_without_shell_names_shells_bad() {
    let cli = sample();
    let outcome = cli.run((), ["completion"]).await;
    assert!(
        error_message(&outcome).contains("bash, zsh or fish"),
        "{}",
        error_message(&outcome)
    );
}

#[tokio::test]
async fn cli_run_completion_registered_by_application_wins_ugly() {
    let cli = sample();
    cli.register(
        "completion",
        Command::new()
            .positional(Positional::new("shell"))
            .action(|(), _| async { Ok(Value::from("app completion")) }),
    )
    .unwrap();
    let outcome = cli.run((), ["completion", "bash"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("app completion")));
}

#[test]
fn shell_from_str_known_names_good() {
    assert_eq!("bash".parse::<Shell>().unwrap(), Shell::Bash);
    assert_eq!("zsh".parse::<Shell>().unwrap(), Shell::Zsh);
    assert_eq!("fish".parse::<Shell>().unwrap(), Shell::Fish);
}

#[test]
fn shell_from_str_is_case_sensitive_ugly() {
    assert!("Bash".parse::<Shell>().is_err());
}
