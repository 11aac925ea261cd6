//! Properties: arbitrary arguments never panic the parser or a run and always give a
//! consistent outcome; every declared flag kind reads back what was rendered; path
//! validation never accepts a broken path and always accepts a well-formed one.

mod common;
mod strategies;

use std::future::Future;

use corers_cli::{Cli, Command, EXIT_OK, EXIT_USAGE, Flag, FlagKind, Shell, validate_command_path};
use corers_primitives::{ErrorCode, Value};
use proptest::prelude::*;

use common::{echo, parsed_value, workbench};
use strategies::{FlagCase, argv, flag_case, invalid_path, valid_path};

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// The sample tree with every flag undeclared: each command accepts any flag as text.
fn workbench_without_flags() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    for path in [
        "workspace/create",
        "workspace/list",
        "cache/flush",
        "deploy/to/homelab",
    ] {
        cli.register(path, echo(Command::new().description("a command")))
            .unwrap();
    }
    cli.register("debug/dump", echo(Command::new().hidden()))
        .unwrap();
    cli
}

/// Runs `args` and checks what any outcome must satisfy.
fn run_and_check(cli: &Cli<()>, args: &[String]) -> Result<(), TestCaseError> {
    let outcome = block_on(cli.run((), args.to_vec()));
    match outcome.exit_code() {
        EXIT_OK => {
            prop_assert!(outcome.stderr().is_empty(), "{outcome:?}");
            prop_assert!(outcome.error().is_none(), "{outcome:?}");
            // Either the action ran, or help or a script was printed.
            prop_assert_eq!(
                outcome.value().is_some(),
                outcome.stdout().is_empty(),
                "{:?}",
                outcome
            );
        }
        EXIT_USAGE => {
            prop_assert!(outcome.stdout().is_empty(), "{outcome:?}");
            prop_assert!(outcome.stderr().starts_with("error: "), "{outcome:?}");
            let code = outcome.error().and_then(|e| e.code()).cloned();
            prop_assert!(
                code == Some(ErrorCode::INVALID) || code == Some(ErrorCode::NOT_FOUND),
                "{outcome:?}"
            );
        }
        other => prop_assert!(
            false,
            "echo actions never fail, got exit {other}: {outcome:?}"
        ),
    }
    Ok(())
}

/// `job/run` declaring only `case`'s flag.
fn one_flag_cli(case: &FlagCase) -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "job/run",
        echo(
            Command::new().flag(Flag::new(case.name.clone(), case.kind.clone()).short(case.short)),
        ),
    )
    .unwrap();
    cli
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cli_run_arbitrary_argv_with_declared_flags_ugly(args in argv()) {
        run_and_check(&workbench(), &args)?;
    }

    #[test]
    fn cli_run_arbitrary_argv_without_declared_flags_ugly(args in argv()) {
        run_and_check(&workbench_without_flags(), &args)?;
    }

    #[test]
    fn cli_run_arbitrary_words_after_command_path_ugly(args in argv()) {
        let mut full = vec!["deploy".to_owned(), "to".to_owned(), "homelab".to_owned()];
        full.extend(args);
        run_and_check(&workbench(), &full)?;
    }

    #[test]
    fn cli_help_arbitrary_path_never_panics_ugly(path in any::<String>()) {
        let cli = workbench();
        prop_assert!(cli.help(&path).starts_with("Usage: workbench"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn cli_run_declared_flag_round_trip_good(case in flag_case()) {
        let cli = one_flag_cli(&case);
        let mut args = vec!["job".to_owned(), "run".to_owned()];
        args.extend(case.words.iter().cloned());
        let outcome = block_on(cli.run((), args));
        prop_assert_eq!(outcome.exit_code(), 0, "{:?}", outcome);
        prop_assert_eq!(parsed_value(&outcome, &case.name), Some(&case.expected));
    }

    #[test]
    fn cli_run_int_flag_round_trip_good(n in any::<i64>()) {
        let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
        cli.register("job/run", echo(Command::new().flag(Flag::new("count", FlagKind::Int).short('c'))))
            .unwrap();
        for args in [
            vec![format!("--count={n}")],
            vec!["--count".to_owned(), n.to_string()],
            vec!["-c".to_owned(), n.to_string()],
            vec![format!("-c{n}")],
        ] {
            let mut full = vec!["job".to_owned(), "run".to_owned()];
            full.extend(args);
            let outcome = block_on(cli.run((), full.clone()));
            prop_assert_eq!(parsed_value(&outcome, "count"), Some(&Value::Int(n)), "{:?}", full);
        }
    }

    #[test]
    fn cli_run_bool_flag_switch_forms_good(on in any::<bool>()) {
        let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
        cli.register("job/run", echo(Command::new().flag(Flag::new("dry-run", FlagKind::Bool))))
            .unwrap();
        let word = if on { "--dry-run" } else { "--no-dry-run" };
        let outcome = block_on(cli.run((), ["job", "run", word]));
        prop_assert_eq!(parsed_value(&outcome, "dry-run"), Some(&Value::Bool(on)));
    }

    #[test]
    fn cli_run_positionals_round_trip_in_order_good(
        items in proptest::collection::vec(any::<String>(), 1..8)
    ) {
        let cli = workbench();
        let mut args = vec!["cache".to_owned(), "flush".to_owned(), "--".to_owned()];
        args.extend(items.iter().cloned());
        let outcome = block_on(cli.run((), args));
        let expected = Value::List(items.iter().map(Value::from).collect());
        prop_assert_eq!(parsed_value(&outcome, "_args"), Some(&expected));
    }

    #[test]
    fn validate_command_path_rejects_generated_invalid_paths_bad(path in invalid_path()) {
        let err = validate_command_path(&path).unwrap_err();
        prop_assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        let quoted = format!("{path:?}");
        prop_assert!(err.message().contains(&quoted), "{}", err);
    }

    #[test]
    fn command_tree_register_rejects_generated_invalid_paths_bad(path in invalid_path()) {
        let cli = workbench();
        let before = cli.tree().paths();
        prop_assert!(cli.register(&path, echo(Command::new())).is_err());
        prop_assert_eq!(cli.tree().paths(), before);
    }

    #[test]
    fn validate_command_path_accepts_generated_valid_paths_good(path in valid_path()) {
        prop_assert!(validate_command_path(&path).is_ok(), "{:?}", path);
    }

    #[test]
    fn command_tree_register_valid_path_registers_every_prefix_good(path in valid_path()) {
        let cli: Cli<()> = Cli::new("workbench");
        cli.register(&path, echo(Command::new())).unwrap();
        let segments: Vec<&str> = path.split('/').collect();
        for end in 1..=segments.len() {
            let prefix = segments[..end].join("/");
            prop_assert!(cli.tree().get(&prefix).is_some(), "{:?}", prefix);
        }
    }

    #[test]
    fn validate_command_path_arbitrary_text_ugly(path in any::<String>()) {
        let accepted = validate_command_path(&path).is_ok();
        let broken = path.is_empty()
            || path.split('/').any(|s| s.is_empty() || s.starts_with('-'))
            || path
                .chars()
                .any(|c| !(c.is_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | ':' | '@' | '+')));
        prop_assert_eq!(accepted, !broken, "{:?}", path);
    }

    #[test]
    fn cli_completion_arbitrary_valid_tree_never_panics_ugly(
        paths in proptest::collection::vec(valid_path(), 0..8)
    ) {
        let cli: Cli<()> = Cli::new("workbench");
        for path in &paths {
            // A path given twice replaces the first, or is refused as a clash: never
            // anything else.
            if let Err(err) = cli.register(path, echo(Command::new())) {
                prop_assert_eq!(err.code(), Some(&ErrorCode::CONFLICT), "{}: {}", path, err);
            }
        }
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = cli.completion(shell);
            // Every command word on the first level is offered, as a word of its own
            // (these words need no quoting in any shell).
            let words: std::collections::HashSet<&str> = script
                .split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
                .collect();
            for path in &paths {
                let first = path.split('/').next().unwrap_or_default();
                prop_assert!(words.contains(first), "{:?} has no {:?}", shell, first);
            }
        }
    }
}
