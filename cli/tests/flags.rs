//! Declared flags: every kind's parsing and rejection, defaults, required flags, and the
//! environment fallback (always injected with `Cli::with_env`, never the real process env).

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use corers_cli::{Cli, Command, Flag, FlagKind, Positional};
use corers_primitives::{ErrorCode, Value};

use common::{deploy, deploy_args, echo, error_message, parsed, parsed_value, strings};

/// The sample tree with `vars` as its whole environment.
fn workbench_with_env(vars: &[(&str, &str)]) -> Cli<()> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let cli: Cli<()> = Cli::new("workbench").with_env(move |(), var| vars.get(var).map(Into::into));
    cli.register("deploy/to/homelab", deploy()).unwrap();
    cli
}

/// A one-flag command `job/run --<flag>`.
fn one_flag(flag: Flag) -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register("job/run", echo(Command::new().flag(flag)))
        .unwrap();
    cli
}

async fn duration_ms(text: &str) -> Option<i64> {
    let cli = one_flag(Flag::new("timeout", FlagKind::Duration));
    let outcome = cli
        .run((), ["job", "run", &format!("--timeout={text}")])
        .await;
    outcome.value().map(|_| {
        parsed_value(&outcome, "timeout")
            .and_then(Value::as_i64)
            .unwrap()
    })
}

// ---- kinds ----

#[tokio::test]
async fn flag_new_int_arrives_as_int_good() {
    let cli = one_flag(Flag::new("port", FlagKind::Int));
    let outcome = cli.run((), ["job", "run", "--port=8080"]).await;
    assert_eq!(parsed_value(&outcome, "port"), Some(&Value::Int(8080)));
}

#[tokio::test]
async fn flag_new_int_garbage_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--replicas=three"])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        error_message(&outcome),
        r#"flag --replicas expects an integer, found "three""#
    );
}

#[tokio::test]
async fn flag_new_int_overflow_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli
        .run((), deploy_args(&["--replicas=99999999999999999999"]))
        .await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn flag_new_float_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--canary=0.25"])).await;
    assert_eq!(parsed_value(&outcome, "canary"), Some(&Value::Float(0.25)));
}

#[tokio::test]
async fn flag_new_float_not_finite_bad() {
    let cli = workbench_with_env(&[]);
    for text in ["NaN", "inf", "-infinity"] {
        let outcome = cli
            .run((), deploy_args(&[&format!("--canary={text}")]))
            .await;
        assert_eq!(outcome.exit_code(), 2, "{text}");
        assert!(
            error_message(&outcome).contains("a finite number"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn flag_new_float_accepts_integer_text_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--canary=1"])).await;
    assert_eq!(parsed_value(&outcome, "canary"), Some(&Value::Float(1.0)));
}

#[tokio::test]
async fn flag_new_bool_words_good() {
    let cli = one_flag(Flag::new("dry-run", FlagKind::Bool));
    for (text, expected) in [
        ("true", true),
        ("yes", true),
        ("1", true),
        ("ON", true),
        ("false", false),
        ("no", false),
        ("0", false),
        ("Off", false),
    ] {
        let outcome = cli
            .run((), ["job", "run", &format!("--dry-run={text}")])
            .await;
        assert_eq!(
            parsed_value(&outcome, "dry-run"),
            Some(&Value::Bool(expected)),
            "{text}"
        );
    }
}

#[tokio::test]
async fn flag_new_list_repeated_and_comma_separated_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli
        .run(
            (),
            deploy_args(&["-t", "v1.4.2", "--tag=stable,latest", "--tag", "lts"]),
        )
        .await;
    assert_eq!(
        parsed_value(&outcome, "tag"),
        Some(&strings(&["v1.4.2", "stable", "latest", "lts"]))
    );
}

#[tokio::test]
async fn flag_new_list_absent_is_absent_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert!(!parsed(&outcome).contains_key("tag"));
}

#[tokio::test]
async fn flag_new_list_empty_items_dropped_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--tag=,stable,,latest,"])).await;
    assert_eq!(
        parsed_value(&outcome, "tag"),
        Some(&strings(&["stable", "latest"]))
    );
}

#[tokio::test]
async fn flag_new_duration_units_good() {
    assert_eq!(duration_ms("250ms").await, Some(250));
    assert_eq!(duration_ms("30s").await, Some(30_000));
    assert_eq!(duration_ms("5m").await, Some(300_000));
    assert_eq!(duration_ms("2h").await, Some(7_200_000));
    assert_eq!(duration_ms("1d").await, Some(86_400_000));
}

#[tokio::test]
async fn flag_new_duration_sum_good() {
    assert_eq!(duration_ms("1h30m").await, Some(5_400_000));
    assert_eq!(duration_ms("1m30s500ms").await, Some(90_500));
}

#[tokio::test]
async fn flag_new_duration_bare_number_is_seconds_good() {
    assert_eq!(duration_ms("90").await, Some(90_000));
}

#[tokio::test]
async fn flag_new_duration_garbage_bad() {
    for text in ["soon", "", "5x", "1.5s", "-5s", "5 m", "ms", "h1", "1h30"] {
        assert_eq!(duration_ms(text).await, None, "{text:?}");
    }
}

#[tokio::test]
async fn flag_new_duration_rejection_says_what_is_expected_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--timeout=soon"])).await;
    assert_eq!(
        error_message(&outcome),
        r#"flag --timeout expects a duration like 250ms, 30s, 5m or 1h30m, found "soon""#
    );
}

#[tokio::test]
async fn flag_new_duration_overflow_ugly() {
    assert_eq!(duration_ms("99999999999999999999d").await, None);
    assert_eq!(duration_ms("18446744073709551615d").await, None);
    assert_eq!(duration_ms("18446744073709551615s").await, None);
}

#[tokio::test]
async fn flag_new_path_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli
        .run((), deploy_args(&["--config", "./deploy/homelab.toml"]))
        .await;
    assert_eq!(
        parsed_value(&outcome, "config"),
        Some(&Value::from("./deploy/homelab.toml"))
    );
}

#[tokio::test]
async fn flag_new_path_empty_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--config="])).await;
    assert_eq!(
        error_message(&outcome),
        r#"flag --config expects a path, found """#
    );
}

#[tokio::test]
async fn flag_new_path_with_nul_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--config=deploy\0.toml"])).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn flag_new_enum_choice_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["-o", "yaml"])).await;
    assert_eq!(parsed_value(&outcome, "output"), Some(&Value::from("yaml")));
}

#[tokio::test]
async fn flag_new_enum_rejection_lists_choices_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--output=xml"])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"flag --output expects one of json, table, yaml, found "xml""#
    );
}

#[tokio::test]
async fn flag_new_secret_looking_value_never_echoed_ugly() {
    // A token pasted into the wrong flag kind, or a long value: neither lands whole in a
    // terminal or a CI log.
    let cli = one_flag(Flag::new("api-token", FlagKind::Int));
    let outcome = cli
        .run((), ["job", "run", "--api-token=sk_live_51HxQ"])
        .await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "flag --api-token expects an integer, found a value (not shown)"
    );
    // Nor a value that looks like a flag after a secret's flag, or a long one.
    let cli = one_flag(Flag::new("password", FlagKind::String));
    let outcome = cli.run((), ["job", "run", "--password", "-Hunter2!"]).await;
    assert_eq!(
        error_message(&outcome),
        "flag --password needs a value; to give it one that starts with '-', write --password=<value>"
    );
    let cli = one_flag(Flag::new("note", FlagKind::String));
    let dashed = "-".to_owned() + &"x".repeat(100_000);
    let outcome = cli.run((), ["job", "run", "--note", &dashed]).await;
    assert_eq!(
        error_message(&outcome),
        "flag --note needs a value; to give it one that starts with '-', write --note=<value>"
    );
    let cli = one_flag(Flag::new("port", FlagKind::Int));
    // Out of range is not "not an integer".
    for big in ["9223372036854775808", "-9223372036854775809"] {
        let outcome = cli.run((), ["job", "run", &format!("--port={big}")]).await;
        assert_eq!(
            error_message(&outcome),
            format!(
                "flag --port expects an integer from -9223372036854775808 to 9223372036854775807, found \"{big}\""
            )
        );
    }
    let long = "9".repeat(10_000) + "x";
    let outcome = cli.run((), ["job", "run", &format!("--port={long}")]).await;
    assert_eq!(
        error_message(&outcome),
        format!(
            "flag --port expects an integer, found \"{}\"…",
            "9".repeat(64)
        )
    );
}

#[tokio::test]
async fn flag_new_enum_is_case_sensitive_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--output=JSON"])).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn flag_new_string_keeps_text_verbatim_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--region=eu west\n%s 🚀"])).await;
    assert_eq!(
        parsed_value(&outcome, "region"),
        Some(&Value::from("eu west\n%s 🚀"))
    );
}

// ---- Flag::short ----

#[tokio::test]
async fn flag_short_takes_value_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["-r", "3"])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(3)));
}

#[tokio::test]
async fn flag_short_undeclared_letter_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["-x"])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(error_message(&outcome).starts_with("unknown flag -x"));
}

#[tokio::test]
async fn flag_short_non_ascii_letter_ugly() {
    let cli = one_flag(Flag::new("count", FlagKind::Int).short('ñ'));
    let outcome = cli.run((), ["job", "run", "-ñ5"]).await;
    assert_eq!(parsed_value(&outcome, "count"), Some(&Value::Int(5)));
}

// ---- Flag::default ----

#[tokio::test]
async fn flag_default_used_when_absent_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&[])).await;
    let options = parsed(&outcome);
    assert_eq!(options.get("replicas"), Some(&Value::Int(1)));
    assert_eq!(options.get("timeout"), Some(&Value::Int(30_000)));
    assert_eq!(options.get("output"), Some(&Value::from("table")));
}

#[tokio::test]
async fn flag_default_replaced_by_given_value_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&["--replicas=3"])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(3)));
}

#[tokio::test]
async fn flag_default_text_read_like_the_command_line_ugly() {
    // A default written as text is read as the flag's kind, as if given on the line.
    let cli = one_flag(Flag::new("timeout", FlagKind::Duration).default("30s"));
    let outcome = cli.run((), ["job", "run"]).await;
    assert_eq!(parsed_value(&outcome, "timeout"), Some(&Value::Int(30_000)));
}

#[tokio::test]
async fn flag_default_absent_leaves_key_out_ugly() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&[])).await;
    let options = parsed(&outcome);
    assert!(!options.contains_key("canary"));
    assert!(!options.contains_key("dry-run"));
}

#[test]
fn flag_default_that_does_not_fit_is_refused_at_register_bad() {
    let refused = [
        (
            Flag::new("port", FlagKind::Int).default("eighty"),
            "expects an integer",
        ),
        (
            Flag::new(
                "format",
                FlagKind::Enum(vec!["json".into(), "table".into()]),
            )
            .default("yaml"),
            "one of json, table",
        ),
        (
            Flag::new("replicas", FlagKind::Int).default(true),
            "expected int, found bool",
        ),
        (
            Flag::new("name", FlagKind::String).default(3),
            "expected string, found int",
        ),
        (
            Flag::new("timeout", FlagKind::Duration).default("soon"),
            "expects a duration",
        ),
    ];
    for (flag, why) in refused {
        let cli: Cli<()> = Cli::new("workbench");
        let err = cli
            .register("job/run", echo(Command::new().flag(flag)))
            .unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        assert!(err.message().contains(why), "{why}: {}", err.message());
        assert!(cli.tree().get("job/run").is_none());
    }
}

#[tokio::test]
async fn flag_default_whole_number_for_a_float_arrives_as_a_float_ugly() {
    let cli = one_flag(Flag::new("ratio", FlagKind::Float).default(2));
    let outcome = cli.run((), ["job", "run"]).await;
    assert_eq!(parsed_value(&outcome, "ratio"), Some(&Value::Float(2.0)));
}

#[test]
fn flag_default_negative_duration_is_refused_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let flag = Flag::new("timeout", FlagKind::Duration).default(-5);
    let err = cli
        .register("job/run", echo(Command::new().flag(flag)))
        .unwrap_err();
    assert!(err.message().contains("not negative"), "{}", err.message());
}

// ---- Flag::required ----

#[tokio::test]
async fn flag_required_given_good() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(
        parsed_value(&outcome, "region"),
        Some(&Value::from("eu-west"))
    );
}

#[tokio::test]
async fn flag_required_missing_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        error_message(&outcome),
        "missing required flag --region (or set DEPLOY_REGION)"
    );
}

#[tokio::test]
async fn flag_required_missing_without_env_names_only_flag_bad() {
    let cli = one_flag(Flag::new("name", FlagKind::String).required());
    let outcome = cli.run((), ["job", "run"]).await;
    assert_eq!(error_message(&outcome), "missing required flag --name");
}

#[tokio::test]
async fn flag_required_several_missing_are_named_together_bad() {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "cluster/join",
        echo(
            Command::new()
                .flag(
                    Flag::new("token", FlagKind::String)
                        .required()
                        .env("JOIN_TOKEN"),
                )
                .flag(Flag::new("verbose", FlagKind::Bool))
                .flag(Flag::new("server", FlagKind::String).required()),
        ),
    )
    .unwrap();
    let outcome = cli.run((), ["cluster", "join"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "missing required flags --token (or set JOIN_TOKEN), --server"
    );
    assert!(
        outcome
            .stderr()
            .contains("Usage: workbench cluster join --token <string> --server <string> [flags]"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn flag_required_satisfied_by_env_ugly() {
    let cli = workbench_with_env(&[("DEPLOY_REGION", "homelab-1")]);
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(
        parsed_value(&outcome, "region"),
        Some(&Value::from("homelab-1"))
    );
}

#[tokio::test]
async fn flag_required_satisfied_by_default_ugly() {
    let cli = one_flag(
        Flag::new("name", FlagKind::String)
            .required()
            .default("alpha"),
    );
    let outcome = cli.run((), ["job", "run"]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("alpha")));
}

#[tokio::test]
async fn flag_required_empty_value_counts_ugly() {
    let cli = one_flag(Flag::new("name", FlagKind::String).required());
    let outcome = cli.run((), ["job", "run", "--name="]).await;
    assert_eq!(parsed_value(&outcome, "name"), Some(&Value::from("")));
}

// ---- Flag::env / Cli::with_env ----

#[tokio::test]
async fn flag_env_value_arrives_typed_good() {
    let cli = workbench_with_env(&[("DEPLOY_REPLICAS", "5")]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(5)));
}

#[tokio::test]
async fn flag_env_garbage_names_variable_bad() {
    let cli = workbench_with_env(&[("DEPLOY_REPLICAS", "lots")]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        r#"environment variable DEPLOY_REPLICAS: flag --replicas expects an integer, found "lots""#
    );
}

#[cfg(unix)]
#[tokio::test]
async fn flag_env_not_utf8_is_a_usage_error_not_the_default_ugly() {
    use std::os::unix::ffi::OsStringExt as _;
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), var| {
        (var == "DEPLOY_REPLICAS").then(|| std::ffi::OsString::from_vec(vec![b'5', 0xff]))
    });
    cli.register("deploy/to/homelab", deploy()).unwrap();
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(
        error_message(&outcome),
        "environment variable DEPLOY_REPLICAS: not valid UTF-8"
    );
}

#[tokio::test]
async fn flag_env_loses_to_given_flag_ugly() {
    let cli = workbench_with_env(&[("DEPLOY_REPLICAS", "5")]);
    let outcome = cli.run((), deploy_args(&["-r", "2"])).await;
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(2)));
}

#[tokio::test]
async fn flag_env_beats_default_ugly() {
    let cli = workbench_with_env(&[("DEPLOY_REPLICAS", "5")]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_ne!(parsed_value(&outcome, "replicas"), Some(&Value::Int(1)));
}

#[tokio::test]
async fn flag_env_empty_value_for_int_bad() {
    let cli = workbench_with_env(&[("DEPLOY_REPLICAS", "")]);
    let outcome = cli.run((), deploy_args(&[])).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn cli_with_env_closure_consulted_good() {
    let cli = workbench_with_env(&[("DEPLOY_REGION", "homelab-2"), ("DEPLOY_REPLICAS", "4")]);
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(
        parsed_value(&outcome, "region"),
        Some(&Value::from("homelab-2"))
    );
    assert_eq!(parsed_value(&outcome, "replicas"), Some(&Value::Int(4)));
}

#[tokio::test]
async fn cli_with_env_empty_environment_leaves_required_missing_bad() {
    let cli = workbench_with_env(&[]);
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[tokio::test]
async fn cli_with_env_asked_only_for_absent_flags_ugly() {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&asked);
    let cli: Cli<()> = Cli::new("workbench").with_env(move |(), var| {
        log.lock().unwrap().push(var.to_owned());
        None
    });
    cli.register("deploy/to/homelab", deploy()).unwrap();
    let outcome = cli.run((), deploy_args(&["--replicas=2"])).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    // `--region` was given and `--replicas` too: nothing to look up.
    assert!(asked.lock().unwrap().is_empty(), "{asked:?}");
}

#[tokio::test]
async fn cli_with_env_replaced_by_later_call_ugly() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_env(|(), var| (var == "DEPLOY_REGION").then(|| "from-first".into()))
        .with_env(|(), var| (var == "DEPLOY_REGION").then(|| "from-second".into()));
    cli.register("deploy/to/homelab", deploy()).unwrap();
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(
        parsed_value(&outcome, "region"),
        Some(&Value::from("from-second"))
    );
}

#[tokio::test]
async fn cli_new_reads_process_environment_by_default_good() {
    // Only reads the environment (PATH is set for any test process); never changes it.
    let Ok(path) = std::env::var("PATH") else {
        return;
    };
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "shell/which",
        echo(Command::new().flag(Flag::new("search", FlagKind::String).env("PATH"))),
    )
    .unwrap();
    let outcome = cli.run((), ["shell", "which"]).await;
    assert_eq!(parsed_value(&outcome, "search"), Some(&Value::from(path)));
}

// ---- Flag::help / Flag::name ----

#[test]
fn flag_help_shown_in_command_help_good() {
    let cli = workbench_with_env(&[]);
    assert!(
        cli.help("deploy/to/homelab")
            .contains("how many copies to run")
    );
}

#[test]
fn flag_help_empty_shows_only_the_flag_bad() {
    let cli = one_flag(Flag::new("verbose", FlagKind::Bool).short('v'));
    assert!(
        cli.help("job/run").contains("\n  -v, --verbose\n"),
        "{}",
        cli.help("job/run")
    );
}

#[test]
fn flag_help_with_format_specifiers_printed_literally_ugly() {
    let cli = one_flag(Flag::new("pattern", FlagKind::String).help("like %s or {name}"));
    assert!(cli.help("job/run").contains("like %s or {name}"));
}

#[test]
fn flag_name_without_dashes_good() {
    assert_eq!(Flag::new("dry-run", FlagKind::Bool).name(), "dry-run");
}

#[tokio::test]
async fn flag_name_with_dashes_is_refused_at_registration_bad() {
    // The name is used as given: `Flag::new("--region", …)` would be `----region` on the
    // command line, so registering it is refused instead of leaving it unreachable.
    let flag = Flag::new("--region", FlagKind::String);
    assert_eq!(flag.name(), "--region");
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    let err = cli
        .register("job/run", echo(Command::new().flag(flag)))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn flag_declarations_that_cannot_be_told_apart_are_refused_ugly() {
    let refused = [
        Command::new()
            .flag(Flag::new("env", FlagKind::String))
            .flag(Flag::new("env", FlagKind::Bool)),
        Command::new()
            .flag(Flag::new("env", FlagKind::String).short('e'))
            .flag(Flag::new("exclude", FlagKind::String).short('e')),
        Command::new().flag(Flag::new("hosts", FlagKind::String).short('h')),
        Command::new().flag(Flag::new("dry run", FlagKind::Bool)),
        Command::new()
            .flag(Flag::new("target", FlagKind::String))
            .positional(Positional::new("target")),
        Command::new().flag(Flag::new("help", FlagKind::Bool)),
        Command::new().flag(Flag::new("level", FlagKind::Int).short('1')),
        Command::new().positional(Positional::new("_arg")),
    ];
    for command in refused {
        let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
        let err = cli.register("job/run", echo(command)).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{err}");
    }
}

#[tokio::test]
async fn flag_name_unicode_ugly() {
    let cli = one_flag(Flag::new("région", FlagKind::String));
    let outcome = cli.run((), ["job", "run", "--région=ouest"]).await;
    assert_eq!(
        parsed_value(&outcome, "région"),
        Some(&Value::from("ouest"))
    );
}
