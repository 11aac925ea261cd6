//! Parsing the words after a command's path: long and short flag forms, bundling, `--`,
//! negative numbers, positionals, and commands that declare no flags.

mod common;

use corers_cli::{Cli, Command, Flag, FlagKind, Positional};
use corers_primitives::{ErrorCode, Value};

use common::{deploy_args, echo, error_message, parsed, parsed_value, strings, workbench};

/// `media/seek <seconds>`: a command whose positional is naturally negative.
fn media() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "media/seek",
        echo(
            Command::new()
                .flag(Flag::new("relative", FlagKind::Bool).short('r'))
                .positional(Positional::new("seconds").required()),
        ),
    )
    .unwrap();
    cli
}

// ---- long flags ----

#[tokio::test]
async fn cli_run_long_flag_equals_value_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "--name=alpha"]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn cli_run_long_flag_spaced_value_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "--name", "alpha"])
        .await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn cli_run_long_flag_value_keeps_later_equals_signs_ugly() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "--name=team=platform"])
        .await;
    assert_eq!(
        parsed_value(&outcome, "name"),
        Some(&Value::from("team=platform"))
    );
}

#[tokio::test]
async fn cli_run_long_flag_empty_inline_value_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "--name="]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("")));
}

#[tokio::test]
async fn cli_run_value_flag_at_end_needs_value_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "--name"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "flag --name needs a value");
}

#[tokio::test]
async fn cli_run_value_flag_followed_by_flag_needs_value_bad() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "--name", "--verbose"])
        .await;
    assert_eq!(
        error_message(&outcome),
        "flag --name needs a value; to give it \"--verbose\", write --name=--verbose"
    );
    let outcome = cli.run((), ["workspace", "create", "-n", "-foo"]).await;
    assert_eq!(
        error_message(&outcome),
        "flag -n needs a value; to give it \"-foo\", write -n=-foo"
    );
    let given = cli.run((), ["workspace", "create", "-n=-foo"]).await;
    assert_eq!(parsed_value(&given, "name"), Some(&Value::from("-foo")));
}

#[tokio::test]
async fn cli_run_value_flag_before_double_dash_needs_value_bad() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "--name", "--", "alpha"])
        .await;
    assert_eq!(error_message(&outcome), "flag --name needs a value");
}

#[tokio::test]
async fn cli_run_repeated_value_flag_last_wins_ugly() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "list", "--limit=3", "--limit=5"])
        .await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(5)));
}

#[tokio::test]
async fn cli_run_malformed_long_flag_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--=5"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("malformed flag \"--=5\""));
}

#[tokio::test]
async fn cli_run_triple_dash_flag_is_unknown_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "---verbose"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag ---verbose"));
}

// ---- booleans ----

#[tokio::test]
async fn cli_run_bool_flag_sets_true_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--verbose"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_no_prefix_sets_bool_false_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--no-verbose"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(false)));
}

#[tokio::test]
async fn cli_run_bool_explicit_false_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--verbose=false"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(false)));
}

#[tokio::test]
async fn cli_run_bool_does_not_take_next_word_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "list", "--verbose", "false"])
        .await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
    assert_eq!(parsed_value(&outcome, "_arg"), Some(&Value::from("false")));
}

#[tokio::test]
async fn cli_run_bool_garbage_value_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--verbose=maybe"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"flag --verbose expects true or false, found "maybe""#
    );
}

#[tokio::test]
async fn cli_run_no_prefix_with_value_bad() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "list", "--no-verbose=true"])
        .await;
    assert_eq!(error_message(&outcome), "flag --no-verbose takes no value");
}

#[tokio::test]
async fn cli_run_no_prefix_on_value_flag_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--no-limit"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag --no-limit"));
}

#[tokio::test]
async fn cli_run_bool_named_with_no_prefix_matches_exactly_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "image/build",
        echo(Command::new().flag(Flag::new("no-cache", FlagKind::Bool))),
    )
    .unwrap();
    let outcome = cli.run((), ["image", "build", "--no-cache"]).await;
    assert_eq!(parsed_value(&outcome, "no-cache"), Some(&Value::Bool(true)));
}

// ---- short flags ----

#[tokio::test]
async fn cli_run_short_bools_bundle_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["workspace", "create", "-vq", "--name=alpha"])
        .await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
    assert_eq!(parsed_value(&outcome, "quiet"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_short_value_with_equals_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n=4"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(4)));
}

#[tokio::test]
async fn cli_run_short_value_spaced_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n", "4"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(4)));
}

#[tokio::test]
async fn cli_run_short_value_attached_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n4"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(4)));
}

#[tokio::test]
async fn cli_run_short_bool_then_value_in_bundle_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-vn4"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(true)));
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(4)));
}

#[tokio::test]
async fn cli_run_short_bool_explicit_false_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-v=false"]).await;
    assert_eq!(parsed_value(&outcome, "verbose"), Some(&Value::Bool(false)));
}

#[tokio::test]
async fn cli_run_unknown_short_in_bundle_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-vx"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag -x"));
}

#[tokio::test]
async fn cli_run_short_value_at_end_needs_value_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n"]).await;
    assert_eq!(error_message(&outcome), "flag -n needs a value");
}

#[tokio::test]
async fn cli_run_short_value_flag_swallows_rest_of_bundle_ugly() {
    // `-nv`: `-n` takes a value and "v" is it, which is not an integer.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-nv"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"flag --limit expects an integer, found "v""#
    );
}

// ---- negative numbers ----

#[tokio::test]
async fn cli_run_negative_value_for_long_flag_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["--replicas", "-5"])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(-5)));
}

#[tokio::test]
async fn cli_run_negative_value_for_short_flag_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-n", "-5"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(-5)));
}

#[tokio::test]
async fn cli_run_negative_float_value_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["--canary", "-0.25"])).await;
    assert_eq!(parsed_value(&outcome, "canary"), Some(&Value::Float(-0.25)));
}

#[tokio::test]
async fn cli_run_negative_positional_good() {
    let cli = media();
    let outcome = cli.run((), ["media", "seek", "-30"]).await;
    assert_eq!(parsed_value(&outcome, "seconds"), Some(&Value::from("-30")));
}

#[tokio::test]
async fn cli_run_negative_positional_beside_short_flag_good() {
    let cli = media();
    let outcome = cli.run((), ["media", "seek", "-r", "-1.5"]).await;
    assert_eq!(parsed_value(&outcome, "relative"), Some(&Value::Bool(true)));
    assert_eq!(
        parsed_value(&outcome, "seconds"),
        Some(&Value::from("-1.5"))
    );
}

#[tokio::test]
async fn cli_run_dash_nan_and_inf_are_flags_not_numbers_ugly() {
    let cli = media();
    // `f64` would read these as numbers; on a command line they are flags.
    for word in ["-nan", "-inf", "-Infinity"] {
        let outcome = cli.run((), ["media", "seek", word]).await;
        assert_eq!(outcome.exit_code(), 2, "{word}");
        assert!(
            error_message(&outcome).starts_with("unknown flag"),
            "{word}"
        );
    }
    let outcome = cli.run((), ["media", "seek", "-1e3"]).await;
    assert_eq!(
        parsed_value(&outcome, "seconds"),
        Some(&Value::from("-1e3"))
    );
}

#[tokio::test]
async fn cli_run_dash_word_that_is_not_a_number_is_a_flag_bad() {
    let cli = media();
    let outcome = cli.run((), ["media", "seek", "-5s"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag -5"));
}

// ---- `--` and `-` ----

#[tokio::test]
async fn cli_run_double_dash_ends_options_good() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "--", "--all", "-v"]).await;
    let options = parsed(&outcome);
    assert_eq!(options.get("_args"), Some(&strings(&["--all", "-v"])));
    assert!(!options.contains_key("all"));
    assert!(!options.contains_key("v"));
}

#[tokio::test]
async fn cli_run_double_dash_then_unknown_flag_word_is_positional_ugly() {
    // On a command that declares flags, `--nosuch` after `--` is a positional, not an
    // unknown flag.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--", "--nosuch"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(
        parsed_value(&outcome, "_arg"),
        Some(&Value::from("--nosuch"))
    );
}

#[tokio::test]
async fn cli_run_second_double_dash_is_positional_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "--", "--", "x"]).await;
    assert_eq!(
        parsed_value(&outcome, "_args"),
        Some(&strings(&["--", "x"]))
    );
}

#[tokio::test]
async fn cli_run_lone_dash_is_positional_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "remove", "-"]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("-")));
}

// ---- positionals ----

#[tokio::test]
async fn cli_run_all_positionals_kept_in_order_good() {
    let cli = workbench();
    let outcome = cli
        .run((), ["cache", "flush", "redis", "memcached", "disk"])
        .await;
    assert_eq!(
        parsed_value(&outcome, "_args"),
        Some(&strings(&["redis", "memcached", "disk"]))
    );
    assert_eq!(parsed_value(&outcome, "_arg"), Some(&Value::from("redis")));
}

#[tokio::test]
async fn cli_run_positionals_between_flags_keep_order_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            [
                "deploy",
                "to",
                "homelab",
                "v1.4.2",
                "--dry-run",
                "node-1",
                "--region=eu-west",
            ],
        )
        .await;
    assert_eq!(
        parsed_value(&outcome, "build"),
        Some(&Value::from("v1.4.2"))
    );
    assert_eq!(parsed_value(&outcome, "host"), Some(&Value::from("node-1")));
}

#[tokio::test]
async fn cli_run_no_positionals_leaves_arg_keys_out_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush"]).await;
    let options = parsed(&outcome);
    assert!(!options.contains_key("_arg"));
    assert!(!options.contains_key("_args"));
}

#[tokio::test]
async fn cli_run_empty_string_positional_kept_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "", "redis"]).await;
    assert_eq!(
        parsed_value(&outcome, "_args"),
        Some(&strings(&["", "redis"]))
    );
}

// ---- commands that declare no flags ----

#[tokio::test]
async fn cli_run_undeclared_flags_arrive_as_text_good() {
    let cli = workbench();
    let outcome = cli
        .run(
            (),
            ["cache", "flush", "--port=8080", "--force", "-v", "-n=4"],
        )
        .await;
    let options = parsed(&outcome);
    assert_eq!(options.get("port"), Some(&Value::from("8080")));
    assert_eq!(options.get("force"), Some(&Value::Bool(true)));
    assert_eq!(options.get("v"), Some(&Value::Bool(true)));
    assert_eq!(options.get("n"), Some(&Value::from("4")));
}

#[tokio::test]
async fn cli_run_undeclared_flag_does_not_take_next_word_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "--target", "redis"]).await;
    assert_eq!(parsed_value(&outcome, "target"), Some(&Value::Bool(true)));
    assert_eq!(parsed_value(&outcome, "_arg"), Some(&Value::from("redis")));
}

#[tokio::test]
async fn cli_run_undeclared_short_bundle_is_one_name_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "-abc"]).await;
    assert_eq!(parsed_value(&outcome, "abc"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_undeclared_malformed_long_flag_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "--=all"]).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn cli_run_undeclared_short_flag_without_name_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "-=all"]).await;
    assert_eq!(outcome.exit_code(), 2, "{outcome:?}");
}

#[tokio::test]
async fn cli_run_undeclared_flag_on_strict_command_suggests_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--verbos"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        error_message(&outcome),
        "unknown flag --verbos; did you mean --verbose?"
    );
}

#[tokio::test]
async fn cli_run_undeclared_flag_suggests_help_and_ignores_case_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--hepl"]).await;
    assert_eq!(
        error_message(&outcome),
        "unknown flag --hepl; did you mean --help?"
    );
    let outcome = cli.run((), ["workspace", "list", "--VERBOSE"]).await;
    assert_eq!(
        error_message(&outcome),
        "unknown flag --VERBOSE; did you mean --verbose?"
    );
    let outcome = cli.run((), ["workspace", "list", "--\u{7}bell"]).await;
    assert_eq!(error_message(&outcome), "unknown flag --\\u{7}bell");
}

#[tokio::test]
async fn cli_run_huge_unknown_flag_and_command_cut_in_the_error_ugly() {
    // A megabyte typed where a flag or a command goes: the error quotes its start.
    let cli = workbench();
    let huge = "x".repeat(1 << 20);
    let outcome = cli
        .run((), ["workspace", "list", &format!("--{huge}")])
        .await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        format!("unknown flag --{}…", "x".repeat(62))
    );
    // An extra argument, and a shell named for completion (or one word too many after it).
    for args in [
        vec!["workspace", "remove", "alpha", huge.as_str()],
        vec!["completion", huge.as_str()],
        vec!["completion", "bash", huge.as_str()],
    ] {
        let outcome = cli.run((), args).await;
        assert_eq!(outcome.exit_code(), 2);
        assert!(
            error_message(&outcome).contains(&format!("\"{}\"…", "x".repeat(64))),
            "{}",
            &outcome.stderr()[..200]
        );
        assert!(outcome.stderr().len() < 1_000, "{}", outcome.stderr().len());
    }
    let outcome = cli.run((), [huge.as_str()]).await;
    assert!(outcome.stderr().len() < 1_000, "{}", outcome.stderr().len());
    assert!(
        outcome
            .stderr()
            .starts_with(&format!("error: unknown command \"{}\"…", "x".repeat(64))),
        "{}",
        &outcome.stderr()[..200]
    );
}

#[tokio::test]
async fn cli_run_help_given_a_value_says_it_takes_none_bad() {
    // Not "unknown flag --help; did you mean --help?".
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--help=yes"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "flag --help takes no value");
}

#[tokio::test]
async fn cli_run_undeclared_flag_on_command_declaring_none_bad() {
    let cli = workbench();
    cli.register("cache/purge", echo(Command::new())).unwrap();
    let outcome = cli.run((), ["cache", "purge", "--dry-run"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "unknown flag --dry-run");
    assert!(outcome.value().is_none(), "the command did not run");
}

#[tokio::test]
async fn command_loose_flags_takes_undeclared_flags_as_text_good() {
    let cli = workbench();
    cli.register("cache/purge", echo(Command::new().loose_flags()))
        .unwrap();
    let outcome = cli
        .run((), ["cache", "purge", "--older-than=7d", "--dry-run"])
        .await;
    let options = parsed(&outcome);
    assert_eq!(options.get("older-than"), Some(&Value::from("7d")));
    assert_eq!(options.get("dry-run"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn command_loose_flags_malformed_flag_still_refused_bad() {
    let cli = workbench();
    cli.register("cache/purge", echo(Command::new().loose_flags()))
        .unwrap();
    let outcome = cli.run((), ["cache", "purge", "--=7d"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
}

#[tokio::test]
async fn command_loose_flags_declared_ones_stay_typed_ugly() {
    let cli = workbench();
    cli.register(
        "cache/warm",
        echo(
            Command::new()
                .loose_flags()
                .flag(Flag::new("limit", FlagKind::Int).short('n')),
        ),
    )
    .unwrap();
    let outcome = cli
        .run((), ["cache", "warm", "-n", "30", "--region=eu", "-x"])
        .await;
    let options = parsed(&outcome);
    assert_eq!(options.get("limit"), Some(&Value::Int(30)));
    assert_eq!(options.get("region"), Some(&Value::from("eu")));
    assert_eq!(options.get("x"), Some(&Value::Bool(true)));
}

#[tokio::test]
async fn cli_run_undeclared_flag_far_from_any_has_no_suggestion_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--colour"]).await;
    assert_eq!(error_message(&outcome), "unknown flag --colour");
}

// ---- Command::flag ----

#[tokio::test]
async fn command_flag_value_arrives_typed_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--limit=20"]).await;
    assert_eq!(parsed_value(&outcome, "limit"), Some(&Value::Int(20)));
}

#[tokio::test]
async fn command_flag_declared_rejects_undeclared_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--port=8080"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag --port"));
}

#[tokio::test]
async fn command_flag_same_name_twice_is_refused_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let err = cli
        .register(
            "workspace/list",
            echo(
                Command::new()
                    .flag(Flag::new("limit", FlagKind::Int))
                    .flag(Flag::new("limit", FlagKind::String)),
            ),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains("--limit is declared twice"), "{err}");
    // Nothing half-registered.
    assert!(cli.tree().get("workspace/list").is_none());
}

#[test]
fn command_flag_short_taken_or_a_digit_is_refused_with_its_reason_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let taken = cli
        .register(
            "workspace/list",
            echo(
                Command::new()
                    .flag(Flag::new("limit", FlagKind::Int).short('l'))
                    .flag(Flag::new("long", FlagKind::Bool).short('l')),
            ),
        )
        .unwrap_err();
    assert!(
        taken
            .message()
            .contains("short flag -l of --long is taken by another flag"),
        "{taken}"
    );
    let digit = cli
        .register(
            "workspace/list",
            echo(Command::new().flag(Flag::new("level", FlagKind::Int).short('1'))),
        )
        .unwrap_err();
    assert_eq!(digit.code(), Some(&ErrorCode::INVALID));
    assert!(
        digit
            .message()
            .contains("short flag -1 of --level is not a letter"),
        "{digit}"
    );
}

// ---- Command::positional / Positional ----

#[tokio::test]
async fn command_positional_fills_in_order_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&["node-1"])).await;
    assert_eq!(
        parsed_value(&outcome, "build"),
        Some(&Value::from("v1.4.2"))
    );
    assert_eq!(parsed_value(&outcome, "host"), Some(&Value::from("node-1")));
}

#[tokio::test]
async fn command_positional_missing_optional_is_absent_bad() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&[])).await;
    assert!(!parsed(&outcome).contains_key("host"));
}

#[tokio::test]
async fn command_positional_extra_word_is_a_usage_error_ugly() {
    let cli = workbench();
    // `beta` is not silently dropped: the command declared one positional.
    let outcome = cli.run((), ["workspace", "remove", "alpha", "beta"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        error_message(&outcome)
            .starts_with(r#"unexpected argument "beta": this command takes <name>"#),
        "{}",
        error_message(&outcome)
    );
}

#[test]
fn command_positional_required_after_an_optional_one_refused_bad() {
    // `cp [<src>] <dst>`: the one word given would always fill <src>.
    let cli: Cli<()> = Cli::new("workbench");
    let err = cli
        .register(
            "files/copy",
            Command::new()
                .positional(Positional::new("src"))
                .positional(Positional::new("dst").required()),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"command "files/copy": required positional <dst> comes after optional <src>, which the first word would always fill"#
    );
}

#[tokio::test]
async fn command_without_declared_positionals_takes_no_words_bad() {
    // As clap: `notes list extra` is no `notes list`.
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register("notes/list", echo(Command::new())).unwrap();
    let outcome = cli.run((), ["notes", "list", "extra"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"unexpected argument "extra": this command takes no arguments"#
    );
    // A command ported from CoreGO keeps them all.
    cli.register("notes/add", echo(Command::new().loose_flags()))
        .unwrap();
    let outcome = cli.run((), ["notes", "add", "buy", "milk"]).await;
    assert_eq!(
        parsed_value(&outcome, "_args"),
        Some(&strings(&["buy", "milk"]))
    );
}

#[tokio::test]
async fn positional_many_takes_every_word_left_good() {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "files/copy",
        echo(
            Command::new()
                .positional(Positional::new("to").required())
                .positional(Positional::new("from").many().required()),
        ),
    )
    .unwrap();
    let outcome = cli
        .run((), ["files", "copy", "backup/", "a.txt", "b.txt"])
        .await;
    assert_eq!(parsed_value(&outcome, "to"), Some(&Value::from("backup/")));
    assert_eq!(
        parsed_value(&outcome, "from"),
        Some(&strings(&["a.txt", "b.txt"]))
    );
    assert!(
        cli.help("files/copy")
            .starts_with("Usage: workbench files copy [flags] <to> <from>...\n")
    );
}

#[tokio::test]
async fn positional_many_required_and_missing_bad() {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "files/rm",
        echo(Command::new().positional(Positional::new("paths").many().required())),
    )
    .unwrap();
    let outcome = cli.run((), ["files", "rm"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(error_message(&outcome), "missing required argument <paths>");
}

#[test]
fn positional_many_before_the_last_refused_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let err = cli
        .register(
            "files/copy",
            Command::new()
                .positional(Positional::new("from").many())
                .positional(Positional::new("to")),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().contains("<from> takes every word left"),
        "{err}"
    );
}

#[tokio::test]
async fn positional_new_value_under_its_name_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "remove", "alpha"]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn positional_new_is_optional_by_default_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "--name=alpha"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(!parsed(&outcome).contains_key("directory"));
}

#[tokio::test]
async fn positional_new_unicode_name_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "espace/créer",
        echo(Command::new().positional(Positional::new("répertoire"))),
    )
    .unwrap();
    let outcome = cli.run((), ["espace", "créer", "~/travail"]).await;
    assert_eq!(
        parsed_value(&outcome, "répertoire"),
        Some(&Value::from("~/travail"))
    );
}

#[tokio::test]
async fn positional_required_given_good() {
    let cli = workbench();
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
}

#[tokio::test]
async fn positional_required_missing_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "remove"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
    assert_eq!(error_message(&outcome), "missing required argument <name>");
}

#[tokio::test]
async fn positional_required_after_double_dash_counts_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "remove", "--", "--alpha"]).await;
    assert_eq!(
        parsed_value(&outcome, "name"),
        Some(&Value::from("--alpha"))
    );
}

#[test]
fn positional_help_shown_under_arguments_good() {
    let cli = workbench();
    let help = cli.help("deploy/to/homelab");
    assert!(
        help.contains("<build>    the build to deploy (required)"),
        "{help}"
    );
}

#[test]
fn positional_help_empty_shows_only_name_bad() {
    let cli = workbench();
    let help = cli.help("workspace/create");
    assert!(help.contains("\n  <directory>\n"), "{help}");
}

#[test]
fn positional_help_with_percent_printed_literally_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "disk/fill",
        echo(Command::new().positional(Positional::new("level").help("fill to 90%s %d"))),
    )
    .unwrap();
    assert!(cli.help("disk/fill").contains("fill to 90%s %d"));
}

// ---- flag values that spell a subcommand ----

/// `release` (flag `--env`, `-e`) and `release/status` (no flags).
fn release() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "release",
        echo(Command::new().flag(Flag::new("env", FlagKind::String).short('e'))),
    )
    .unwrap();
    cli.register(
        "release/status",
        Command::new().action(|(), _| async { Ok(Value::from("status shown")) }),
    )
    .unwrap();
    cli
}

#[tokio::test]
async fn cli_run_subcommand_still_reached_by_its_path_good() {
    let outcome = release().run((), ["release", "status"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("status shown")));
}

#[tokio::test]
async fn cli_run_flag_value_that_names_a_subcommand_is_the_value_ugly() {
    for args in [["release", "--env", "status"], ["release", "-e", "status"]] {
        let outcome = release().run((), args).await;
        assert_eq!(
            parsed_value(&outcome, "env"),
            Some(&Value::from("status")),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn cli_run_short_bundle_with_its_value_inside_keeps_the_subcommand_ugly() {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "release",
        echo(
            Command::new()
                .flag(Flag::new("env", FlagKind::String).short('e'))
                .flag(Flag::new("dry-run", FlagKind::Bool).short('d')),
        ),
    )
    .unwrap();
    cli.register(
        "release/status",
        echo(Command::new().flag(Flag::new("env", FlagKind::String).short('e'))),
    )
    .unwrap();
    // `-eprod` carries its value: `status` is the subcommand.
    let outcome = cli.run((), ["release", "-eprod", "status"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    // `-de`: `-d` then `-e`, whose value is the next word.
    let outcome = cli.run((), ["release", "-de", "status"]).await;
    assert_eq!(parsed_value(&outcome, "env"), Some(&Value::from("status")));
    assert_eq!(parsed_value(&outcome, "dry-run"), Some(&Value::Bool(true)));
}
