//! Resolution: which command the arguments name — the longest registered path spelled by
//! the leading non-flag words, with flags allowed before, between and after those words.

mod common;

use corers_cli::{Cli, Command, Flag, FlagKind, Positional};
use corers_primitives::{ErrorCode, Value};

use common::{deploy_args, echo, error_message, parsed_value, strings, workbench};

/// A tree where both `deploy` and `deploy/to/homelab` run, so the longest match matters.
fn deploy_levels() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "deploy",
        Command::new()
            .positional(Positional::new("target"))
            .action(|(), options| async move {
                Ok(Value::from(format!(
                    "deploy {}",
                    options.string("target").unwrap_or_default()
                )))
            }),
    )
    .unwrap();
    cli.register(
        "deploy/to/homelab",
        Command::new().action(|(), _| async { Ok(Value::from("deploy to homelab")) }),
    )
    .unwrap();
    cli
}

#[tokio::test]
async fn cli_run_resolves_three_level_path_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(
        parsed_value(&outcome, "build"),
        Some(&Value::from("v1.4.2"))
    );
}

#[tokio::test]
async fn cli_run_longest_match_wins_good() {
    let cli = deploy_levels();
    let outcome = cli.run((), ["deploy", "to", "homelab"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("deploy to homelab")));
}

#[tokio::test]
async fn cli_run_shorter_match_takes_the_rest_as_positionals_good() {
    let cli = deploy_levels();
    let outcome = cli.run((), ["deploy", "staging"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("deploy staging")));
}

#[tokio::test]
async fn cli_run_deeper_placeholder_beats_shorter_command_ugly() {
    // `deploy` runs, but `deploy to` is a longer registered path (a placeholder): the
    // longest match wins and lists what is under it.
    let cli = deploy_levels();
    let outcome = cli.run((), ["deploy", "to"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.value().is_none());
    assert!(
        outcome
            .stderr()
            .contains("Usage: workbench deploy to <command>"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_value_flag_before_command_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["--name", "alpha", "workspace", "create"])
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn cli_run_flag_value_spelling_a_command_is_the_value_good() {
    // `cache` is a command group too: it does not know --name, workspace/create does.
    let cli = workbench();
    let outcome = cli
        .run((), ["--name", "cache", "workspace", "create"])
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("cache")));
}

#[tokio::test]
async fn cli_run_bad_flag_value_spelling_a_command_is_reported_for_the_flag_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["--limit", "cache", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2, "{outcome:?}");
    let message = error_message(&outcome);
    assert!(message.contains("--limit"), "{message}");
}

#[tokio::test]
async fn cli_run_flag_value_spelling_the_path_itself_ugly() {
    let cli = workbench();
    let outcome = cli
        .run((), ["-n", "workspace", "workspace", "create"])
        .await;
    assert_eq!(
        parsed_value(&outcome, "name"),
        Some(&Value::from("workspace"))
    );
    // Bool flags in any form the parser reads come before the path just as well.
    for first in ["--no-verbose", "-v=true", "--verbose=false"] {
        let outcome = cli
            .run((), [first, "--name", "cache", "workspace", "create"])
            .await;
        assert_eq!(
            parsed_value(&outcome, "name"),
            Some(&Value::from("cache")),
            "{first}"
        );
    }
    // A command that takes any flag bears out the first reading: `cache flush` runs.
    let flushed = cli.run((), ["--verbose", "cache", "flush"]).await;
    assert_eq!(flushed.exit_code(), 0, "{flushed:?}");
    assert_eq!(parsed_value(&flushed, "verbose"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_many_flag_values_spelling_a_command_end_promptly_ugly() {
    // Each `--name cache` is another reading `cache` does not bear out: the search gives up
    // after a few instead of weighing every one against every flag before it.
    let cli = workbench();
    let mut args: Vec<String> = Vec::new();
    for _ in 0..200_000 {
        args.extend(["--name".to_owned(), "cache".to_owned()]);
    }
    args.extend(["workspace".to_owned(), "create".to_owned()]);
    let outcome = cli.run((), args).await;
    assert_eq!(outcome.exit_code(), 2, "{:?}", outcome.stderr());
}

#[tokio::test]
async fn cli_run_two_value_flags_before_command_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["--name", "alpha", "-c", "3", "workspace", "create"])
        .await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
    assert_eq!(parsed_value(&outcome, "count"), Some(&Value::Int(3)));
}

#[tokio::test]
async fn cli_run_short_bool_before_command_good() {
    let cli = workbench();
    let outcome = cli.run((), ["-v", "workspace", "list"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_flag_between_path_words_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "--verbose", "list"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_inline_value_flag_between_path_words_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            [
                "deploy",
                "--replicas=3",
                "to",
                "homelab",
                "v1.4.2",
                "--region=eu-west",
            ],
        )
        .await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(3)));
}

#[tokio::test]
async fn cli_run_spaced_value_flag_between_path_words_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            [
                "deploy",
                "--replicas",
                "3",
                "to",
                "homelab",
                "v1.4.2",
                "--region=eu-west",
            ],
        )
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(3)));
}

#[tokio::test]
async fn cli_run_value_between_path_words_spelling_a_command_ugly() {
    // A script's `workspace --name "$N" create` where $N is "list", another command's
    // name: `list` is the name, not `workspace list` with a stray `create`.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "--name", "list", "create"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("list")));
    // A flag neither reading knows still names the command the words spell.
    let unknown = cli
        .run((), ["workspace", "--bogus", "list", "create"])
        .await;
    assert_eq!(unknown.exit_code(), 2, "{unknown:?}");
    assert!(
        unknown.stderr().contains("unknown flag --bogus"),
        "{}",
        unknown.stderr()
    );
    // A flag the command spelled out knows keeps the words as its path.
    let listed = cli.run((), ["workspace", "-v", "list", "alpha"]).await;
    assert_eq!(listed.exit_code(), 0, "{listed:?}");
    assert_eq!(
        parsed_value(&listed, "patterns"),
        Some(&Value::from(vec!["alpha"]))
    );
}

#[tokio::test]
async fn cli_run_parents_flag_before_a_subcommand_names_its_owner_bad() {
    // clap would set the parent's flag; here flags belong to the command that runs, and
    // the error says whose the flag is rather than only "unknown".
    let cli: Cli<()> = Cli::new("probe").with_env(|(), _| None);
    cli.register(
        "deploy",
        echo(Command::new().flag(Flag::new("env", FlagKind::String).short('e'))),
    )
    .unwrap();
    cli.register("deploy/status", echo(Command::new())).unwrap();
    let outcome = cli.run((), ["deploy", "-e", "dev", "status"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"flag -e is a flag of "deploy", not of "deploy status", the command that runs"#
    );
    let outcome = cli.run((), ["deploy", "--env=dev", "status"]).await;
    assert!(
        error_message(&outcome).starts_with("flag --env is a flag of"),
        "{outcome:?}"
    );
    // The parent itself takes it.
    let outcome = cli.run((), ["deploy", "-e", "dev"]).await;
    assert_eq!(parsed_value(&outcome, "env"), Some(&Value::from("dev")));
}

#[tokio::test]
async fn cli_run_flags_after_path_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "--name", "alpha", "-v"])
        .await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_alias_resolves_to_canonical_command_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "rm", "alpha"]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn cli_run_unknown_command_suggests_closest_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["wrkspace", "create"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        error_message(&outcome),
        r#"unknown command "wrkspace create"; did you mean "workspace create"?"#
    );
}

#[tokio::test]
async fn cli_run_mistyped_subcommand_with_help_is_unknown_not_the_groups_help_bad() {
    let cli = workbench();
    for args in [
        &["workspace", "craete", "--help"][..],
        &["workspace", "-h", "craete"],
    ] {
        let outcome = cli.run((), args.iter().copied()).await;
        assert_eq!(outcome.exit_code(), 2, "{args:?}");
        assert_eq!(
            error_message(&outcome),
            r#"unknown command "workspace craete"; did you mean "workspace create"?"#
        );
    }
    // The group's own help is still its help.
    assert_eq!(cli.run((), ["workspace", "--help"]).await.exit_code(), 0);
}

#[tokio::test]
async fn cli_run_unknown_command_suggestion_ignores_the_arguments_after_it_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["wrkspace", "remove", "alpha"]).await;
    assert_eq!(
        error_message(&outcome),
        r#"unknown command "wrkspace remove"; did you mean "workspace remove"?"#
    );
}

#[tokio::test]
async fn cli_run_unknown_command_never_suggests_the_words_typed_bad() {
    // `workspace create` exists: the extra word is the mistake, not a typo of it.
    let cli = workbench();
    let outcome = cli.run((), ["help", "workspace", "create", "alpha"]).await;
    assert_eq!(
        error_message(&outcome),
        r#"unknown command "workspace create alpha""#
    );
}

#[tokio::test]
async fn cli_run_unknown_command_is_compared_word_by_word_ugly() {
    let cli = workbench();
    // Only the word that names nothing is compared, with the words that could stand there.
    let cases = [
        (
            &["workspace", "delete"][..],
            r#"unknown command "workspace delete""#,
        ),
        (
            &["workspace", "lst"][..],
            r#"unknown command "workspace lst"; did you mean "workspace list"?"#,
        ),
        // A mistyped group is suggested too.
        (
            &["wrkspace"][..],
            r#"unknown command "wrkspace"; did you mean "workspace"?"#,
        ),
    ];
    for (args, message) in cases {
        let outcome = cli.run((), args.iter().copied()).await;
        assert_eq!(error_message(&outcome), message, "{args:?}");
    }
}

#[tokio::test]
async fn cli_run_unknown_command_far_from_any_has_no_suggestion_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["kubernetes"]).await;
    assert_eq!(error_message(&outcome), r#"unknown command "kubernetes""#);
}

#[tokio::test]
async fn cli_run_unknown_command_never_suggests_hidden_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["debg", "dump"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(!outcome.stderr().contains("debug"), "{}", outcome.stderr());
}

#[tokio::test]
async fn cli_run_unknown_subcommand_of_placeholder_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "destroy"]).await;
    assert_eq!(outcome.exit_code(), 2, "{outcome:?}");
    assert!(
        outcome
            .stderr()
            .contains(r#"unknown command "workspace destroy""#),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_path_after_double_dash_is_not_resolved_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["--", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn cli_run_path_after_double_dash_suggests_itself_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["--", "workspace", "list"]).await;
    assert!(
        !error_message(&outcome).contains(r#"did you mean "workspace list""#),
        "{}",
        error_message(&outcome)
    );
}

#[tokio::test]
async fn cli_run_flag_value_that_names_a_command_ugly() {
    // `--name workspace create workspace`: the path is the first `workspace create`, and
    // `--name` takes the next word that is not part of the path.
    let cli = workbench();
    let outcome = cli
        .run((), ["--name", "workspace", "create", "workspace"])
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(
        parsed_value(&outcome, "name"),
        Some(&Value::from("workspace"))
    );
}

#[tokio::test]
async fn cli_run_positional_word_not_after_a_flag_stops_resolution_ugly() {
    // "alpha" is not the value of a flag, so the path cannot start after it.
    let cli = workbench();
    let outcome = cli.run((), ["alpha", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn cli_run_unicode_path_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "déployer/vers/maison",
        echo(Command::new().positional(Positional::new("cibles").many())),
    )
    .unwrap();
    let outcome = cli.run((), ["déployer", "vers", "maison", "🚀"]).await;
    assert_eq!(parsed_value(&outcome, "_args"), Some(&strings(&["🚀"])));
}

#[tokio::test]
async fn cli_run_empty_word_before_command_is_unknown_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["", "workspace", "list"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn cli_run_longest_match_among_thousand_commands_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    for i in 0..1000 {
        cli.register(
            &format!("service{}/node{}/restart", i % 10, i),
            echo(Command::new().flag(Flag::new("force", FlagKind::Bool))),
        )
        .unwrap();
    }
    let outcome = cli
        .run((), ["service7", "node997", "restart", "--force"])
        .await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(parsed_value(&outcome, "force"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_negative_number_before_the_path_is_shown_in_the_error_ugly() {
    let cli = workbench();
    for (args, shown) in [
        (
            ["-5", "workspace", "list"],
            "unknown command \"-5 workspace list\"",
        ),
        (
            ["-", "workspace", "list"],
            "unknown command \"- workspace list\"",
        ),
    ] {
        let outcome = cli.run((), args).await;
        assert_eq!(outcome.exit_code(), 2, "{args:?}");
        assert!(
            error_message(&outcome).starts_with(shown),
            "{}",
            error_message(&outcome)
        );
    }
}

#[tokio::test]
async fn cli_run_alias_of_a_group_reaches_its_children_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("deploy", echo(Command::new().alias("d")))
        .unwrap();
    cli.register("deploy/status", echo(Command::new())).unwrap();
    let outcome = cli.run((), ["d", "status"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(
        parsed_value(&outcome, "_arg"),
        None,
        "status is the command, not a word"
    );
    assert_eq!(cli.run((), ["deploy", "status"]).await.exit_code(), 0);
}

#[test]
fn cli_register_over_an_alias_conflict_bad() {
    let cli = workbench();
    for path in ["workspace/rm", "workspace/rm/all"] {
        let err = cli.register(path, echo(Command::new())).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{path}");
    }
}

#[tokio::test]
async fn cli_run_commands_under_a_hidden_group_are_not_listed_or_suggested_ugly() {
    let cli = workbench();
    cli.register("admin", Command::new().hidden()).unwrap();
    cli.register("admin/reset", echo(Command::new())).unwrap();
    assert!(!cli.help("").contains("admin"));
    let outcome = cli.run((), ["admin", "rest"]).await;
    assert!(
        !error_message(&outcome).contains("did you mean"),
        "{}",
        error_message(&outcome)
    );
    // Still runs when named.
    assert_eq!(cli.run((), ["admin", "reset"]).await.exit_code(), 0);
}
