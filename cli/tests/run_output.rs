//! What a run returns: the action's value or error, the text for stdout and stderr, and the
//! exit code (0, 1, 2 and the sysexits codes); and what happens when an action panics.

mod common;

use std::sync::Arc;

use corers_cli::{Cli, Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use corers_primitives::{Error, ErrorCode, Value};

use common::workbench;

/// `cache/flush` failing with `code` (or no code).
fn failing(code: Option<ErrorCode>) -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(move |(), _| {
            let code = code.clone();
            async move {
                let err = Error::new("cache.Redis.flush", "connection refused");
                Err(match code {
                    Some(code) => err.with_code(code),
                    None => err,
                })
            }
        }),
    )
    .unwrap();
    cli
}

async fn exit_code_for(code: ErrorCode) -> u8 {
    failing(Some(code))
        .run((), ["cache", "flush"])
        .await
        .exit_code()
}

fn flushing() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(|(), _| async { Ok(Value::from("flushed 3 caches")) }),
    )
    .unwrap();
    cli
}

// ---- RunOutput::exit_code ----

#[tokio::test]
async fn run_output_exit_code_success_is_zero_good() {
    let outcome = flushing().run((), ["cache", "flush"]).await;
    assert_eq!(outcome.exit_code(), EXIT_OK);
    assert_eq!(EXIT_OK, 0);
}

#[tokio::test]
async fn run_output_exit_code_help_is_zero_good() {
    let outcome = flushing().run((), ["--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
}

#[tokio::test]
async fn run_output_exit_code_action_failure_is_one_bad() {
    let outcome = failing(None).run((), ["cache", "flush"]).await;
    assert_eq!(outcome.exit_code(), EXIT_FAILURE);
    assert_eq!(EXIT_FAILURE, 1);
}

#[tokio::test]
async fn run_output_exit_code_usage_error_is_two_bad() {
    let outcome = workbench()
        .run((), ["workspace", "list", "--limit=ten"])
        .await;
    assert_eq!(outcome.exit_code(), EXIT_USAGE);
    assert_eq!(EXIT_USAGE, 2);
}

#[tokio::test]
async fn run_output_exit_code_unavailable_is_69_bad() {
    assert_eq!(exit_code_for(ErrorCode::UNAVAILABLE).await, 69);
}

#[tokio::test]
async fn run_output_exit_code_internal_is_70_bad() {
    assert_eq!(exit_code_for(ErrorCode::INTERNAL).await, 70);
}

#[tokio::test]
async fn run_output_exit_code_timeout_is_75_bad() {
    assert_eq!(exit_code_for(ErrorCode::TIMEOUT).await, 75);
}

#[tokio::test]
async fn run_output_exit_code_denied_is_77_bad() {
    assert_eq!(exit_code_for(ErrorCode::DENIED).await, 77);
}

#[tokio::test]
async fn run_output_exit_code_action_invalid_is_65_not_usage_ugly() {
    // An action's own INVALID error is bad data (EX_DATAERR), not a usage error.
    assert_eq!(exit_code_for(ErrorCode::INVALID).await, 65);
}

#[tokio::test]
async fn run_output_exit_code_not_found_is_66_and_locked_75_bad() {
    assert_eq!(exit_code_for(ErrorCode::NOT_FOUND).await, 66);
    assert_eq!(exit_code_for(ErrorCode::LOCKED).await, 75);
}

#[tokio::test]
async fn run_output_exit_code_unmapped_codes_are_one_ugly() {
    assert_eq!(exit_code_for(ErrorCode::CONFLICT).await, 1);
    let custom = ErrorCode::new("QUOTA_EXCEEDED").unwrap();
    assert_eq!(exit_code_for(custom).await, 1);
}

// ---- RunOutput::stdout ----

#[tokio::test]
async fn run_output_stdout_holds_help_good() {
    let cli = workbench();
    let outcome = cli.run((), ["help", "cache", "flush"]).await;
    assert_eq!(outcome.stdout(), cli.help("cache/flush"));
}

#[tokio::test]
async fn run_output_stdout_empty_on_usage_error_bad() {
    let outcome = workbench().run((), ["nightly"]).await;
    assert!(outcome.stdout().is_empty());
}

#[tokio::test]
async fn run_output_stdout_empty_when_action_returns_value_ugly() {
    // Printing the action's value is the caller's business.
    let outcome = flushing().run((), ["cache", "flush"]).await;
    assert!(outcome.stdout().is_empty());
}

// ---- RunOutput::stderr ----

#[tokio::test]
async fn run_output_stderr_usage_error_then_usage_line_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "remove"]).await;
    let help = cli.help("workspace/remove");
    let usage = help.lines().find(|l| l.starts_with("Usage: ")).unwrap();
    assert_eq!(
        outcome.stderr(),
        format!(
            "error: missing required argument <name>\n\n{usage}\n\n\
             For more information, try 'workbench workspace remove --help'.\n"
        )
    );
}

#[tokio::test]
async fn run_output_stderr_action_failure_says_what_failed_good() {
    // The person running the program reads what failed; the operation and the code stay
    // in the error (and the code in the exit code).
    let outcome = failing(Some(ErrorCode::UNAVAILABLE))
        .run((), ["cache", "flush"])
        .await;
    assert_eq!(outcome.stderr(), "error: connection refused\n");
    assert_eq!(
        outcome.error().unwrap().to_string(),
        "cache.Redis.flush: connection refused [UNAVAILABLE]"
    );
    assert_eq!(outcome.exit_code(), 69);
}

#[tokio::test]
async fn run_output_stderr_empty_on_success_bad() {
    let outcome = flushing().run((), ["cache", "flush"]).await;
    assert!(outcome.stderr().is_empty());
}

#[tokio::test]
async fn run_output_stderr_empty_on_help_ugly() {
    let outcome = workbench().run((), ["workspace", "--help"]).await;
    assert!(outcome.stderr().is_empty());
}

// ---- RunOutput::value ----

#[tokio::test]
async fn run_output_value_is_action_value_good() {
    let outcome = flushing().run((), ["cache", "flush"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("flushed 3 caches")));
}

#[tokio::test]
async fn run_output_value_none_on_failure_bad() {
    let outcome = failing(None).run((), ["cache", "flush"]).await;
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn run_output_value_none_for_help_ugly() {
    let outcome = flushing().run((), ["cache", "flush", "--help"]).await;
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn run_output_value_null_is_still_a_value_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(|(), _| async { Ok(Value::Null) }),
    )
    .unwrap();
    let outcome = cli.run((), ["cache", "flush"]).await;
    assert_eq!(outcome.value(), Some(&Value::Null));
}

// ---- RunOutput::error ----

#[tokio::test]
async fn run_output_error_is_action_error_good() {
    let outcome = failing(Some(ErrorCode::TIMEOUT))
        .run((), ["cache", "flush"])
        .await;
    let err = outcome.error().unwrap();
    assert_eq!(err.operation(), "cache.Redis.flush");
    assert_eq!(err.code(), Some(&ErrorCode::TIMEOUT));
}

#[tokio::test]
async fn run_output_error_usage_error_is_invalid_good() {
    let outcome = workbench()
        .run((), ["workspace", "list", "--limit=ten"])
        .await;
    let err = outcome.error().unwrap();
    assert_eq!(err.operation(), "cli.Cli.parse");
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[tokio::test]
async fn run_output_error_none_on_success_bad() {
    let outcome = flushing().run((), ["cache", "flush"]).await;
    assert!(outcome.error().is_none());
}

#[tokio::test]
async fn run_output_error_none_for_help_bad() {
    let outcome = flushing().run((), ["help"]).await;
    assert!(outcome.error().is_none());
}

#[tokio::test]
async fn run_output_error_empty_argv_ugly() {
    let outcome = workbench().run((), Vec::<String>::new()).await;
    let err = outcome.error().unwrap();
    assert_eq!(err.operation(), "cli.Cli.run");
    assert_eq!(err.message(), "no command given");
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// ---- RunOutput::into_result ----

#[tokio::test]
async fn run_output_into_result_success_good() {
    let result = flushing().run((), ["cache", "flush"]).await.into_result();
    assert_eq!(result.unwrap().unwrap(), Value::from("flushed 3 caches"));
}

#[tokio::test]
async fn run_output_into_result_usage_error_bad() {
    let result = workbench().run((), ["nightly"]).await.into_result();
    let err = result.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn run_output_into_result_none_for_help_ugly() {
    assert!(
        workbench()
            .run((), ["--help"])
            .await
            .into_result()
            .is_none()
    );
}

#[tokio::test]
async fn run_output_into_result_none_for_completion_script_ugly() {
    let outcome = workbench().run((), ["completion", "zsh"]).await;
    assert!(outcome.into_result().is_none());
}

// ---- panics and threads ----

fn panicking() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(|(), _| async {
            let caches: Vec<&str> = Vec::new();
            Ok(Value::from(caches[3]))
        }),
    )
    .unwrap();
    cli.register(
        "cache/stats",
        Command::new().action(|(), _| async { Ok(Value::from("3 caches")) }),
    )
    .unwrap();
    cli
}

#[tokio::test]
async fn cli_run_panicking_action_is_internal_with_exit_70_ugly() {
    let outcome = panicking().run((), ["cache", "flush"]).await;
    assert_eq!(outcome.exit_code(), 70);
    assert!(
        outcome
            .stderr()
            .starts_with("error: panicked: index out of bounds"),
        "{}",
        outcome.stderr()
    );
    let err = outcome.into_result().unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INTERNAL));
}

#[tokio::test]
async fn cli_run_action_panicking_before_its_future_is_caught_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(
            |(), _| -> corers_cli::BoxFuture<corers_primitives::Result<Value>> {
                panic!("cache directory is not set")
            },
        ),
    )
    .unwrap();
    let outcome = cli.run((), ["cache", "flush"]).await;
    assert_eq!(outcome.exit_code(), 70);
    assert!(
        outcome
            .stderr()
            .contains("panicked: cache directory is not set"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_after_panicking_action_still_runs_commands_ugly() {
    let cli = panicking();
    let _ = cli.run((), ["cache", "flush"]).await;
    let outcome = cli.run((), ["cache", "stats"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("3 caches")));
}

#[tokio::test]
async fn cli_run_panicking_action_on_spawned_task_ends_the_task_normally_ugly() {
    let cli = Arc::new(panicking());
    let task = tokio::spawn(async move { cli.run((), ["cache", "flush"]).await });
    assert_eq!(task.await.unwrap().exit_code(), 70);
}

#[tokio::test]
async fn cli_run_future_is_send_good() {
    let cli = Arc::new(workbench());
    let runner = Arc::clone(&cli);
    let outcome = tokio::spawn(async move { runner.run((), ["cache", "flush"]).await })
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 0);
}

#[tokio::test]
async fn cli_run_concurrent_runs_ugly() {
    let cli = Arc::new(workbench());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let cli = Arc::clone(&cli);
        tasks.push(tokio::spawn(async move {
            let name = format!("--name=ws-{i}");
            cli.run((), ["workspace", "create", name.as_str()]).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let outcome = task.await.unwrap();
        assert_eq!(
            common::parsed_value(&outcome, "name"),
            Some(&Value::from(format!("ws-{i}")))
        );
    }
}

#[test]
fn cli_and_run_output_are_send_and_sync_good() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Cli<()>>();
    assert_send_sync::<corers_cli::RunOutput>();
}
