//! CoreGO's command-line quirks (corego-behaviour.md §7–§9, §30 items 5 and 8–18), each
//! pinned as fixed: the Go behaviour is in the comment, the Rust behaviour in the asserts.

mod common;

use corers_cli::{Cli, Command, Flag, FlagKind};
use corers_primitives::{ErrorCode, Value};

use common::{deploy_args, echo, error_message, parsed, parsed_value, strings, workbench};

// Q5: no match, or no commands at all, exited 1 with no message. Now: help on stderr, a
// message, exit 2.

#[tokio::test]
async fn cli_run_no_match_is_usage_error_with_help_on_stderr_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["nightly", "build"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stdout().is_empty());
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown command \"nightly build\"\n\nUsage: workbench <command>"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_flag_without_a_command_is_named_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["--verbos"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown flag --verbos without a command\n"),
        "{}",
        outcome.stderr()
    );
    // Close to one that would be answered: suggested.
    let outcome = cli.run((), ["--hlep"]).await;
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown flag --hlep without a command; did you mean --help?\n"),
        "{}",
        outcome.stderr()
    );
    // No version was set: --version is a flag like any other here.
    let outcome = cli.run((), ["--version=1"]).await;
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown flag --version without a command"),
        "{}",
        outcome.stderr()
    );
    // A flag the program answers, given a value: the value is what is wrong.
    let versioned = workbench().with_version("1.4.2");
    for (args, flag) in [(["--help=1"], "--help"), (["--version=3"], "--version")] {
        let outcome = versioned.run((), args).await;
        assert_eq!(outcome.exit_code(), 2);
        assert!(
            outcome
                .stderr()
                .starts_with(&format!("error: flag {flag} takes no value\n")),
            "{}",
            outcome.stderr()
        );
    }
}

#[tokio::test]
async fn cli_run_mistyped_flag_before_a_value_is_named_not_the_value_ugly() {
    let cli = workbench().with_global_flag("--set <key=value>", "set a config value");
    let outcome = cli.run((), ["--sett", "index.depth=3"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "unknown flag --sett without a command; did you mean --set?"
    );
    let outcome = cli.run((), ["--name", "alpha"]).await;
    assert_eq!(
        error_message(&outcome),
        "unknown flag --name without a command"
    );
    // A word close to a command is the mistake: the flag may be that command's.
    let outcome = cli.run((), ["--verbose", "wrkspace", "list"]).await;
    assert_eq!(
        error_message(&outcome),
        "unknown command \"wrkspace list\"; did you mean \"workspace list\"?"
    );
    // Global flags, a case slip, and control characters shown escaped.
    let outcome = cli.run((), ["--SET=x=1"]).await;
    assert!(
        outcome.stderr().contains("did you mean --set?"),
        "{outcome:?}"
    );
    let outcome = cli.run((), ["--x\u{1b}[31m"]).await;
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown flag --x\\u{1b}[31m without")
    );
}

#[tokio::test]
async fn cli_run_empty_argv_is_usage_error_bad() {
    let cli = workbench();
    let outcome = cli.run((), Vec::<String>::new()).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stderr().starts_with("error: no command given\n\n"));
    assert!(outcome.stderr().contains("Commands:\n"));
}

#[tokio::test]
async fn cli_run_command_after_double_dash_says_where_it_goes_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["--", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome.stderr().starts_with(
            "error: no command given: the words after `--` are arguments; the command comes before it\n\n"
        ),
        "{}",
        outcome.stderr()
    );
    // A lone `--` is no command either, and says only that.
    let outcome = cli.run((), ["--"]).await;
    assert!(outcome.stderr().starts_with("error: no command given\n\n"));
}

#[tokio::test]
async fn cli_run_no_commands_registered_is_usage_error_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let outcome = cli.run((), ["workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome.stderr().contains("No commands."),
        "{}",
        outcome.stderr()
    );
}

// Q8: only the last positional survived (`_arg` overwritten). Now all are kept, in order.

#[tokio::test]
async fn cli_run_all_positionals_kept_as_args_list_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            ["cache", "flush", "redis", "--all", "memcached", "disk"],
        )
        .await;
    assert_eq!(
        parsed_value(&outcome, "_args"),
        Some(&strings(&["redis", "memcached", "disk"]))
    );
}

#[tokio::test]
async fn cli_run_first_positional_is_arg_good() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "redis", "memcached"]).await;
    assert_eq!(parsed_value(&outcome, "_arg"), Some(&Value::from("redis")));
}

#[tokio::test]
async fn cli_run_positionals_also_under_declared_names_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["node-7"])).await;
    let options = parsed(&outcome);
    assert_eq!(options.get("build"), Some(&Value::from("v1.4.2")));
    assert_eq!(options.get("host"), Some(&Value::from("node-7")));
    assert_eq!(options.get("_args"), Some(&strings(&["v1.4.2", "node-7"])));
}

// Q9: flags took part in path resolution, so a flag before the command broke lookup.

#[tokio::test]
async fn cli_run_value_flag_before_command_resolves_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["--name", "alpha", "workspace", "create"])
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn cli_run_bool_flag_before_command_resolves_good() {
    let cli = workbench();
    let outcome = cli.run((), ["-v", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
}

// Q10: `-verbose`, `--v` and `--` were dropped silently, and `--` did not end options.

#[tokio::test]
async fn cli_run_double_dash_makes_later_flags_positionals_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            ["workspace", "create", "--name=alpha", "--", "--verbose"],
        )
        .await;
    let options = parsed(&outcome);
    assert!(!options.contains_key("verbose"), "{options:?}");
    assert_eq!(options.get("_arg"), Some(&Value::from("--verbose")));
}

#[tokio::test]
async fn cli_run_single_dash_long_word_is_diagnosed_bad() {
    // `-verbose` would be the bundle -v -e -r …: named as typed, with the flag it meant.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-verbose"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "unknown flag -verbose; did you mean --verbose?"
    );
    // A bundle of letters that is no typo of a long flag names its unknown letter.
    let bundle = cli.run((), ["workspace", "list", "-vx"]).await;
    assert_eq!(error_message(&bundle), "unknown flag -x");
}

#[tokio::test]
async fn cli_run_double_dash_single_letter_is_diagnosed_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--v"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "unknown flag --v; did you mean -v (--verbose)?"
    );
}

// Q11: `-5` was a flag named "5"; negative numbers could be neither values nor positionals.

#[tokio::test]
async fn cli_run_negative_number_as_long_flag_value_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["--replicas", "-5"])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(-5)));
}

#[tokio::test]
async fn cli_run_negative_number_as_short_flag_value_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n", "-5"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(-5)));
}

#[tokio::test]
async fn cli_run_negative_number_as_positional_good() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "-5"]).await;
    let options = parsed(&outcome);
    assert_eq!(options.get("_arg"), Some(&Value::from("-5")));
    assert!(!options.contains_key("5"), "{options:?}");
}

// Q12: values were always strings, so `Int("port")` on CLI input returned 0.

#[tokio::test]
async fn cli_run_declared_int_arrives_as_int_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "server/start",
        Command::new()
            .flag(Flag::new("port", FlagKind::Int))
            .action(|(), options| async move {
                Ok(Value::from(options.int("port").unwrap_or_default()))
            }),
    )
    .unwrap();
    let outcome = cli.run((), ["server", "start", "--port=8080"]).await;
    assert_eq!(outcome.value(), Some(&Value::Int(8080)));
}

#[tokio::test]
async fn cli_run_undeclared_flags_stay_text_without_declarations_ugly() {
    // CoreGO compatibility, asked for with `loose_flags`: undeclared flags arrive as text.
    let cli = workbench();
    let outcome = cli
        .run((), ["cache", "flush", "--port=8080", "--all"])
        .await;
    assert_eq!(parsed_value(&outcome, "port"), Some(&Value::from("8080")));
    assert_eq!(parsed_value(&outcome, "all"), Some(&Value::Bool(true)));
}

// Q13: declared flags were ignored: no validation, no help.

#[tokio::test]
async fn cli_run_declared_flags_are_validated_bad() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["--replicas=many"])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
}

#[test]
fn cli_help_shows_declared_flags_good() {
    let cli = workbench();
    assert!(
        cli.help("workspace/create")
            .contains("-n, --name <string>    the workspace name (required)"),
        "{}",
        cli.help("workspace/create")
    );
}

// Q14: help listed commands in random order and printed no description without a
// translator.

#[test]
fn cli_help_lists_commands_sorted_good() {
    let cli: Cli<()> = Cli::new("workbench");
    for path in [
        "workspace/list",
        "cache/flush",
        "deploy/to/homelab",
        "brain/serve",
    ] {
        cli.register(path, echo(Command::new())).unwrap();
    }
    let help = cli.help("");
    let order: Vec<usize> = [
        "brain serve",
        "cache flush",
        "deploy to homelab",
        "workspace list",
    ]
    .iter()
    .map(|p| help.find(p).unwrap())
    .collect();
    assert!(order.is_sorted(), "{help}");
}

#[test]
fn cli_help_literal_description_without_translator_good() {
    let cli = workbench();
    assert!(
        cli.help("")
            .contains("workspace list       list workspaces")
    );
}

#[test]
fn cli_help_description_is_not_used_as_i18n_key_ugly() {
    // CoreGO's I18nKey() returned the Description itself when set.
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&asked);
    let cli: Cli<()> = Cli::new("workbench").with_translator(move |key| {
        log.lock().unwrap().push(key.to_owned());
        None
    });
    cli.register(
        "cache/flush",
        echo(Command::new().description("flush every cache")),
    )
    .unwrap();
    let _ = cli.help("");
    assert_eq!(*asked.lock().unwrap(), ["cmd.cache.flush.description"]);
}

// Q15: the banner was used as a printf format string.

#[tokio::test]
async fn cli_with_banner_percent_printed_literally_good() {
    let cli = workbench().with_banner(|| "workbench %s %d 100%".to_owned());
    let outcome = cli.run((), ["--help"]).await;
    assert!(outcome.stdout().starts_with("workbench %s %d 100%\n"));
}

// Q16: a placeholder answered "not executable" instead of listing its subcommands.

#[tokio::test]
async fn cli_run_placeholder_lists_subcommands_in_a_usage_error_good() {
    // It names no command to run: exit 2, as the program without any command (and
    // clap's required subcommand), listing what could follow.
    let cli = workbench();
    let outcome = cli.run((), ["workspace"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "workspace needs a command");
    assert!(
        outcome
            .stderr()
            .contains("Subcommands:\n  create    create a workspace\n"),
        "{}",
        outcome.stderr()
    );
    assert!(outcome.stdout().is_empty());
    // Asked for, its help is help.
    let asked = cli.run((), ["workspace", "--help"]).await;
    assert_eq!(asked.exit_code(), 0);
    assert!(
        asked
            .stdout()
            .contains("Subcommands:\n  create    create a workspace\n")
    );
}

#[tokio::test]
async fn cli_run_nested_placeholder_lists_its_level_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["deploy", "to"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "deploy to needs a command");
    assert!(
        outcome
            .stderr()
            .contains("Subcommands:\n  homelab    deploy a build to the homelab\n")
    );
}

// Q17: a lookup miss returned a typed-nil pointer. Now: None.

#[test]
fn command_tree_get_miss_is_none_bad() {
    let cli = workbench();
    assert!(cli.tree().get("deploy/to/production").is_none());
}

// Q18: re-registering over a placeholder dropped its Hidden flag and Description.

#[test]
fn command_tree_register_over_placeholder_keeps_hidden_and_description_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "debug",
        Command::new().description("internal tools").hidden(),
    )
    .unwrap();
    cli.register("debug/dump", echo(Command::new())).unwrap();
    cli.register("debug", echo(Command::new())).unwrap();
    let debug = cli.tree().get("debug").unwrap();
    assert!(debug.is_executable());
    assert!(!cli.help("").contains("internal tools"));
    assert!(cli.help("debug").contains("\ninternal tools\n"));
    assert_eq!(cli.tree().children("debug"), ["debug/dump"]);
}

#[test]
fn command_tree_register_over_executable_is_conflict_bad() {
    let cli = workbench();
    let err = cli
        .register("cache/flush", echo(Command::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

// §7.2: CoreGO accepted spaces, dots and '-'-leading segments in paths.

#[test]
fn command_tree_register_path_with_space_is_invalid_bad() {
    let cli = workbench();
    let err = cli
        .register("deploy/to home", echo(Command::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""deploy/to home""#));
}

#[test]
fn command_tree_register_dash_segment_is_invalid_bad() {
    let cli = workbench();
    let err = cli.register("deploy/-f", echo(Command::new())).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""deploy/-f""#));
}

// §8.2: hidden commands still ran; they still do, and stay out of help.

#[tokio::test]
async fn cli_run_hidden_command_runs_but_is_not_listed_good() {
    let cli = workbench();
    let outcome = cli.run((), ["debug", "dump", "heap"]).await;
    assert_eq!(parsed_value(&outcome, "_arg"), Some(&Value::from("heap")));
    assert!(!cli.help("").contains("debug/dump"));
}

// §8.2: there was no `--help`; help printed to the output with no exit code to speak of.

#[tokio::test]
async fn cli_run_help_goes_to_stdout_with_exit_zero_good() {
    let cli = workbench();
    for args in [
        vec!["--help"],
        vec!["-h"],
        vec!["help"],
        vec!["workspace", "list", "--help"],
        vec!["help", "workspace", "list"],
    ] {
        let outcome = cli.run((), args.clone()).await;
        assert_eq!(outcome.exit_code(), 0, "{args:?}");
        assert!(outcome.stdout().starts_with("Usage: workbench"), "{args:?}");
        assert!(outcome.stderr().is_empty(), "{args:?}");
    }
}
