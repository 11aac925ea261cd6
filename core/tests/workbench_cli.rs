//! The `workbench` example driven through the test kit's CLI runner: the example's own
//! builder, each README command's value, error and exit code.

#[path = "../examples/workbench.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod workbench;

use corers::prelude::*;
use corers::testing::{CliRun, hermetic, run_cli};

/// Builds the example's Core, made fit for a test (its log in memory), and runs `args`
/// through its command line.
async fn run(args: &[&str]) -> CliRun {
    let (builder, _log) = hermetic(workbench::workbench());
    let core = builder.build().expect("the example builds");
    run_cli(&core, args.iter().copied()).await
}

#[tokio::test]
async fn workbench_cli_create_alpha_good() {
    insta::assert_snapshot!(run(&["workspace", "create", "--name=alpha"]).await, @r#"
    exit: 0
    --- stdout
    created workspace "alpha": 35 files indexed (2 workspaces)
    --- stderr
    indexing:  50% scanning files
    indexing: 100% index written
    "#);
}

#[tokio::test]
async fn workbench_cli_create_existing_workspace_conflict_bad() {
    let run = run(&["workspace", "create", "--name=default"]).await;
    assert_eq!(run.exit_code, 1);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
}

#[tokio::test]
async fn workbench_cli_create_without_a_name_is_a_usage_error_ugly() {
    let run = run(&["workspace", "create"]).await;
    assert_eq!(run.exit_code, 2);
    assert!(run.stderr.contains("--name"), "{}", run.stderr);
}

#[tokio::test]
async fn workbench_cli_health_json_good() {
    let health = run(&["health", "--json"]).await;
    assert_eq!(health.exit_code, 0, "{}", health.stderr);
    insta::assert_snapshot!(health.stdout, @r#"{"live":true,"ready":true,"services":[{"health":"healthy","name":"store"},{"health":"healthy","name":"indexer"}]}"#);
}

#[tokio::test]
async fn workbench_cli_list_good() {
    let list = run(&["workspace", "list"]).await;
    assert_eq!((list.exit_code, list.stdout.trim()), (0, "default"));
}

#[tokio::test]
async fn workbench_cli_health_good() {
    let health = run(&["health"]).await;
    assert_eq!(health.exit_code, 0);
    assert!(health.stdout.contains("ready: yes"), "{}", health.stdout);
}

#[tokio::test]
async fn workbench_cli_malformed_set_is_a_usage_error_bad() {
    let core = workbench::workbench().build().expect("the example builds");
    let run = run_cli(&core, ["--set", "files_per_char"]).await;
    assert_eq!(run.exit_code, 2);
    assert!(run.stderr.starts_with("error: --set"), "{}", run.stderr);
}

#[tokio::test]
async fn workbench_cli_set_that_does_not_fit_is_refused_ugly() {
    // The config's check refuses it before anything starts, for `config` too: a usage
    // error naming the key and why.
    for command in [&["workspace", "list"][..], &["config"]] {
        let core = workbench::workbench().build().expect("the example builds");
        let mut args = vec!["--set", "index.files_per_char=many"];
        args.extend(command);
        let refused = run_cli(&core, args).await;
        assert_eq!(refused.exit_code, 2, "{refused}");
        assert!(
            refused.stderr.contains("index.files_per_char") && refused.stderr.contains("usize"),
            "{refused}"
        );
    }
    // Out of the example's range: a count that would overflow the indexer's arithmetic.
    let core = workbench::workbench().build().expect("the example builds");
    let refused = run_cli(
        &core,
        [
            "--set",
            "index.files_per_char=9223372036854775807",
            "workspace",
            "list",
        ],
    )
    .await;
    assert_eq!(refused.exit_code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("index.files_per_char is 9223372036854775807, not 1 to 1000"),
        "{refused}"
    );
}

#[tokio::test]
async fn workbench_cli_create_with_an_empty_name_is_invalid_bad() {
    let run = run(&["workspace", "create", "--name="]).await;
    assert_eq!(run.exit_code, 65);
    assert!(run.stderr.contains("workspace name"), "{}", run.stderr);
}

#[tokio::test]
async fn workbench_cli_create_that_fails_to_index_leaves_no_workspace_ugly() {
    // An indexer whose disk is full: the indexing fails after the name was taken.
    let core = workbench::workbench()
        .fake_service("indexer", |core| {
            core.bus().on_task(|_, _: &workbench::IndexWorkspace| {
                Some(Err(Error::new(
                    "workbench.index",
                    "no space left on the disk",
                )
                .with_code(ErrorCode::UNAVAILABLE)))
            });
            Ok(Registration::new("indexer", Hooks::new()))
        })
        .build()
        .expect("the example builds");
    let run = run_cli(&core, ["workspace", "create", "--name=alpha"]).await;
    // The indexing's own error, carried through the task's handle (69).
    assert_eq!(run.exit_code, 69, "{run}");
    assert!(run.stderr.contains("no space left"), "{run}");
    assert_eq!(core.query(&workbench::WorkspaceCount).answer(), Some(1));
}

#[test]
fn workbench_first_workspace_with_an_unsafe_name_fails_the_build_bad() {
    let err = workbench::workbench()
        .settings_from_args(["--set", "workspace.first=../etc"])
        .build()
        .unwrap_err();
    assert_eq!(err.code(), Some(&corers::primitives::ErrorCode::INVALID));
    assert!(err.to_string().contains("workspace.first"), "{err}");
}
