//! The command registry: path validation, placeholder parents, re-registration rules,
//! aliases, lookups, and what a [`Command`] declares about itself.

mod common;

use corers_cli::{Cli, Command, CommandTree, Flag, FlagKind, validate_command_path};
use corers_primitives::{ErrorCode, Value};

use common::{echo, workbench};

fn runnable() -> Command<()> {
    Command::new().action(|(), _| async { Ok(Value::Null) })
}

// ---- validate_command_path ----

#[test]
fn validate_command_path_nested_path_good() {
    assert!(validate_command_path("deploy/to/homelab").is_ok());
}

#[test]
fn validate_command_path_single_word_good() {
    assert!(validate_command_path("version").is_ok());
}

#[test]
fn validate_command_path_double_slash_names_path_bad() {
    let err = validate_command_path("deploy//to").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"invalid command path "deploy//to": double slash"#
    );
}

#[test]
fn validate_command_path_empty_bad() {
    let err = validate_command_path("").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(err.message(), r#"invalid command path "": empty"#);
}

#[test]
fn validate_command_path_leading_slash_bad() {
    let err = validate_command_path("/deploy").unwrap_err();
    assert_eq!(
        err.message(),
        r#"invalid command path "/deploy": leading slash"#
    );
}

#[test]
fn validate_command_path_trailing_slash_bad() {
    let err = validate_command_path("deploy/").unwrap_err();
    assert_eq!(
        err.message(),
        r#"invalid command path "deploy/": trailing slash"#
    );
}

#[test]
fn validate_command_path_whitespace_bad() {
    let err = validate_command_path("deploy/to homelab").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""deploy/to homelab""#), "{err}");
}

#[test]
fn validate_command_path_dash_leading_segment_bad() {
    let err = validate_command_path("deploy/--force").unwrap_err();
    assert_eq!(
        err.message(),
        r#"invalid command path "deploy/--force": a segment starts with '-'"#
    );
}

#[test]
fn validate_command_path_lone_slash_ugly() {
    assert!(validate_command_path("/").is_err());
}

#[test]
fn validate_command_path_control_character_ugly() {
    let err = validate_command_path("deploy/\u{1b}[31mhomelab").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn validate_command_path_unicode_whitespace_ugly() {
    // A no-break space is whitespace too, though it is not ASCII.
    assert!(validate_command_path("deploy/to\u{a0}homelab").is_err());
}

#[test]
fn validate_command_path_unicode_words_ugly() {
    assert!(validate_command_path("déployer/vers/maison").is_ok());
    assert!(validate_command_path("部署/家").is_ok());
}

#[test]
fn validate_command_path_dash_inside_segment_ugly() {
    // Only a leading '-' is refused: `dry-run` reads as a word.
    assert!(validate_command_path("deploy/dry-run").is_ok());
}

// ---- CommandTree::new ----

#[test]
fn command_tree_new_is_empty_good() {
    let tree: CommandTree<()> = CommandTree::new();
    assert!(tree.paths().is_empty());
}

#[test]
fn command_tree_new_has_no_commands_to_get_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    assert!(tree.get("workspace").is_none());
}

#[test]
fn command_tree_new_debug_lists_no_paths_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    assert_eq!(format!("{tree:?}"), "CommandTree { paths: [] }");
}

// ---- CommandTree::register ----

#[test]
fn command_tree_register_creates_placeholder_parents_good() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("deploy/to/homelab", runnable()).unwrap();
    assert_eq!(tree.paths(), ["deploy", "deploy/to", "deploy/to/homelab"]);
    assert!(!tree.get("deploy").unwrap().is_executable());
    assert!(!tree.get("deploy/to").unwrap().is_executable());
    assert!(tree.get("deploy/to/homelab").unwrap().is_executable());
}

#[test]
fn command_tree_register_placeholder_given_action_keeps_children_good() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/create", runnable()).unwrap();
    tree.register("workspace", runnable()).unwrap();
    assert!(tree.get("workspace").unwrap().is_executable());
    assert_eq!(tree.children("workspace"), ["workspace/create"]);
    assert!(tree.get("workspace/create").unwrap().is_executable());
}

#[test]
fn command_tree_register_placeholder_given_action_keeps_description_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("workspace", Command::new().description("manage workspaces"))
        .unwrap();
    cli.register("workspace/create", runnable()).unwrap();
    cli.register("workspace", runnable()).unwrap();
    assert!(cli.help("workspace").contains("\nmanage workspaces\n"));
}

#[test]
fn command_tree_register_placeholder_given_action_keeps_hidden_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("debug", Command::new().description("internals").hidden())
        .unwrap();
    cli.register("debug", runnable().description("dump internals"))
        .unwrap();
    assert!(cli.tree().get("debug").unwrap().is_executable());
    assert!(!cli.help("").contains("debug"), "{}", cli.help(""));
}

#[test]
fn command_tree_register_own_description_wins_over_placeholder_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("workspace", Command::new().description("old text"))
        .unwrap();
    cli.register("workspace", runnable().description("manage workspaces"))
        .unwrap();
    let help = cli.help("workspace");
    assert!(help.contains("manage workspaces"), "{help}");
    assert!(!help.contains("old text"), "{help}");
}

#[test]
fn command_tree_register_over_executable_conflict_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/create", runnable()).unwrap();
    let err = tree.register("workspace/create", runnable()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert!(err.message().contains(r#""workspace/create""#), "{err}");
}

#[test]
fn command_tree_register_placeholder_over_executable_conflict_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("cache/flush", runnable()).unwrap();
    let err = tree.register("cache/flush", Command::new()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert!(tree.get("cache/flush").unwrap().is_executable());
}

#[tokio::test]
async fn command_tree_register_conflict_keeps_first_action_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(|(), _| async { Ok(Value::from("first")) }),
    )
    .unwrap();
    let second = Command::new().action(|(), _| async { Ok(Value::from("second")) });
    assert!(cli.register("cache/flush", second).is_err());
    let outcome = cli.run((), ["cache", "flush"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("first")));
}

#[test]
fn command_tree_register_invalid_path_names_path_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    let err = tree.register("deploy//homelab", runnable()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""deploy//homelab""#), "{err}");
}

#[test]
fn command_tree_register_invalid_alias_registers_nothing_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    let err = tree
        .register("workspace/remove", runnable().alias("-rm"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""workspace/-rm""#), "{err}");
    assert!(tree.paths().is_empty(), "{:?}", tree.paths());
}

#[test]
fn command_tree_register_alias_taken_by_another_command_conflict_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/remove", runnable().alias("rm"))
        .unwrap();
    let err = tree
        .register("workspace/rename", runnable().alias("rm"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn command_tree_register_alias_over_executable_conflict_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/list", runnable()).unwrap();
    let err = tree
        .register("workspace/ls", runnable().alias("list"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn command_tree_register_failed_path_leaves_tree_unchanged_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/create", runnable()).unwrap();
    assert!(tree.register("deploy/to/", runnable()).is_err());
    assert_eq!(tree.paths(), ["workspace", "workspace/create"]);
}

#[test]
fn command_tree_register_placeholder_over_placeholder_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("deploy/to/homelab", runnable()).unwrap();
    tree.register("deploy", Command::new().description("ship builds"))
        .unwrap();
    assert!(!tree.get("deploy").unwrap().is_executable());
    assert_eq!(tree.children("deploy"), ["deploy/to"]);
}

#[test]
fn command_tree_register_deep_path_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    let path = (0..64)
        .map(|i| format!("level{i}"))
        .collect::<Vec<_>>()
        .join("/");
    tree.register(&path, runnable()).unwrap();
    assert_eq!(tree.paths().len(), 64);
    assert!(tree.get(&path).unwrap().is_executable());
}

#[test]
fn command_tree_register_unicode_path_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("déployer/vers/maison", runnable()).unwrap();
    assert_eq!(tree.children("déployer"), ["déployer/vers"]);
}

// ---- CommandTree::get ----

#[test]
fn command_tree_get_registered_path_good() {
    let cli = workbench();
    let create = cli.tree().get("workspace/create").unwrap();
    assert!(create.is_executable());
}

#[test]
fn command_tree_get_alias_good() {
    let cli = workbench();
    assert!(cli.tree().get("workspace/rm").unwrap().is_executable());
}

#[test]
fn command_tree_get_missing_path_bad() {
    let cli = workbench();
    assert!(cli.tree().get("workspace/destroy").is_none());
}

#[test]
fn command_tree_get_alias_at_wrong_level_bad() {
    // `rm` is an alias inside `workspace`, not at the top.
    let cli = workbench();
    assert!(cli.tree().get("rm").is_none());
}

#[test]
fn command_tree_get_malformed_paths_ugly() {
    let cli = workbench();
    for path in ["", "/", "workspace/", "/workspace", "workspace//create"] {
        assert!(cli.tree().get(path).is_none(), "{path:?}");
    }
}

// ---- CommandTree::paths ----

#[test]
fn command_tree_paths_sorted_with_placeholders_good() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/list", runnable()).unwrap();
    tree.register("cache/flush", runnable()).unwrap();
    tree.register("workspace/create", runnable()).unwrap();
    assert_eq!(
        tree.paths(),
        [
            "cache",
            "cache/flush",
            "workspace",
            "workspace/create",
            "workspace/list"
        ]
    );
}

#[test]
fn command_tree_paths_leave_out_aliases_bad() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("workspace/remove", runnable().alias("rm"))
        .unwrap();
    assert_eq!(tree.paths(), ["workspace", "workspace/remove"]);
}

#[test]
fn command_tree_paths_include_hidden_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("debug/dump", runnable().hidden()).unwrap();
    assert_eq!(tree.paths(), ["debug", "debug/dump"]);
}

// ---- CommandTree::children ----

#[test]
fn command_tree_children_top_level_good() {
    let cli = workbench();
    assert_eq!(
        cli.tree().children(""),
        ["cache", "debug", "deploy", "workspace"]
    );
}

#[test]
fn command_tree_children_of_placeholder_good() {
    let cli = workbench();
    assert_eq!(
        cli.tree().children("workspace"),
        ["workspace/create", "workspace/list", "workspace/remove"]
    );
}

#[test]
fn command_tree_children_missing_path_bad() {
    let cli = workbench();
    assert!(cli.tree().children("nightly").is_empty());
}

#[test]
fn command_tree_children_of_leaf_bad() {
    let cli = workbench();
    assert!(cli.tree().children("workspace/create").is_empty());
}

#[test]
fn command_tree_children_skip_grandchildren_ugly() {
    let cli = workbench();
    assert_eq!(cli.tree().children("deploy"), ["deploy/to"]);
}

#[test]
fn command_tree_children_name_prefix_is_not_a_parent_ugly() {
    let tree: CommandTree<()> = CommandTree::new();
    tree.register("cache/flush", runnable()).unwrap();
    tree.register("cache-old/flush", runnable()).unwrap();
    assert_eq!(tree.children("cache"), ["cache/flush"]);
}

// ---- Cli::new / Cli::name / Cli::tree / Cli::register ----

#[test]
fn cli_new_starts_with_empty_tree_good() {
    let cli: Cli<()> = Cli::new("workbench");
    assert!(cli.tree().paths().is_empty());
}

#[tokio::test]
async fn cli_new_without_commands_runs_nothing_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    let outcome = cli.run((), ["workspace", "create"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn cli_new_empty_name_ugly() {
    let cli: Cli<()> = Cli::new("");
    let outcome = cli.run((), ["--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.stdout().starts_with("Usage:  <command> [flags]"));
}

#[test]
fn cli_name_good() {
    let cli: Cli<()> = Cli::new("workbench");
    assert_eq!(cli.name(), "workbench");
}

#[test]
fn cli_name_is_not_a_command_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    assert!(cli.tree().get("workbench").is_none());
}

#[test]
fn cli_name_kept_verbatim_ugly() {
    let cli: Cli<()> = Cli::new("work bench %s");
    assert_eq!(cli.name(), "work bench %s");
}

#[test]
fn cli_tree_sees_registered_commands_good() {
    let cli = workbench();
    assert!(cli.tree().get("cache/flush").unwrap().is_executable());
}

#[test]
fn cli_tree_missing_command_bad() {
    let cli = workbench();
    assert!(cli.tree().get("cache/warm").is_none());
}

#[test]
fn cli_tree_registration_through_tree_is_visible_to_cli_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.tree()
        .register("cache/flush", runnable().description("flush every cache"))
        .unwrap();
    assert!(cli.help("").contains("cache flush"));
}

#[test]
fn cli_register_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("workspace/create", runnable()).unwrap();
    assert!(cli.tree().get("workspace/create").is_some());
}

#[test]
fn cli_register_conflict_bad() {
    let cli = workbench();
    let err = cli.register("workspace/create", runnable()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn cli_register_invalid_path_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    let err = cli.register("workspace create", runnable()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""workspace create""#), "{err}");
}

#[tokio::test]
async fn cli_register_builtin_names_are_overridable_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "help",
        Command::new().action(|(), _| async { Ok(Value::from("custom help")) }),
    )
    .unwrap();
    let outcome = cli.run((), ["help"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("custom help")));
}

// ---- Command::new / action / is_executable ----

#[test]
fn command_new_is_placeholder_good() {
    let command: Command<()> = Command::new();
    assert!(!command.is_executable());
    assert_eq!(command.managed_by(), None);
}

#[tokio::test]
async fn command_new_registered_alone_is_a_group_not_a_value_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("workspace", Command::new()).unwrap();
    let outcome = cli.run((), ["workspace"]).await;
    assert!(outcome.value().is_none());
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome
            .stderr()
            .starts_with("error: workspace needs a command\n\nUsage: workbench workspace"),
        "{}",
        outcome.stderr()
    );
}

#[test]
fn command_new_debug_ugly() {
    let command: Command<()> = Command::new();
    assert_eq!(
        format!("{command:?}"),
        r#"Command { description: "", executable: false, flags: [], hidden: false, .. }"#
    );
}

#[tokio::test]
async fn command_action_receives_context_good() {
    let cli: Cli<String> = Cli::new("workbench");
    cli.register(
        "workspace/root",
        Command::new().action(|root: String, _| async move { Ok(Value::from(root)) }),
    )
    .unwrap();
    let outcome = cli
        .run("/srv/workspaces".to_owned(), ["workspace", "root"])
        .await;
    assert_eq!(outcome.value(), Some(&Value::from("/srv/workspaces")));
}

#[tokio::test]
async fn command_action_error_is_the_outcome_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "cache/flush",
        Command::new().action(|(), _| async {
            Err(corers_primitives::Error::new(
                "cache.Redis.flush",
                "connection refused",
            ))
        }),
    )
    .unwrap();
    let outcome = cli.run((), ["cache", "flush"]).await;
    assert_eq!(outcome.error().unwrap().message(), "connection refused");
}

#[tokio::test]
async fn command_action_replaced_by_later_call_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    let command = Command::new()
        .action(|(), _| async { Ok(Value::from("first")) })
        .action(|(), _| async { Ok(Value::from("second")) });
    cli.register("cache/flush", command).unwrap();
    let outcome = cli.run((), ["cache", "flush"]).await;
    assert_eq!(outcome.value(), Some(&Value::from("second")));
}

#[test]
fn command_is_executable_with_action_good() {
    assert!(runnable().is_executable());
}

#[test]
fn command_is_executable_placeholder_bad() {
    let cli = workbench();
    assert!(!cli.tree().get("workspace").unwrap().is_executable());
}

#[test]
fn command_is_executable_clone_keeps_action_ugly() {
    let command = runnable();
    #[allow(clippy::redundant_clone, reason = "the clone is what is under test")]
    let copy = command.clone();
    assert!(copy.is_executable());
}

// ---- Command::hidden ----

#[tokio::test]
async fn command_hidden_still_runs_good() {
    let cli = workbench();
    let outcome = cli.run((), ["debug", "dump"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.value().is_some());
}

#[test]
fn command_hidden_left_out_of_help_bad() {
    let cli = workbench();
    let help = cli.help("");
    assert!(!help.contains("debug"), "{help}");
    assert!(!help.contains("dump internal state"), "{help}");
}

#[test]
fn command_hidden_debug_shows_flag_ugly() {
    let command: Command<()> = Command::new().hidden().hidden();
    assert!(format!("{command:?}").contains("hidden: true"));
}

// ---- Command::standalone / is_standalone, Cli::runs_standalone ----

#[test]
fn command_standalone_marks_the_command_good() {
    let init: Command<()> = Command::new()
        .description("write workbench.toml")
        .standalone();
    assert!(init.is_standalone());
}

#[test]
fn command_standalone_leaves_the_commands_under_it_to_themselves_bad() {
    let cli = workbench();
    cli.register("store", Command::new().standalone()).unwrap();
    cli.register("store/migrate", echo(Command::new())).unwrap();
    assert!(cli.runs_standalone(&["store"]));
    assert!(!cli.runs_standalone(&["store", "migrate"]));
}

#[test]
fn command_standalone_twice_on_a_placeholder_ugly() {
    // A placeholder can be marked (nothing runs for it); marking twice is marking once.
    let group: Command<()> = Command::new().standalone().standalone();
    assert!(group.is_standalone());
    assert!(!group.is_executable());
}

#[test]
fn command_is_standalone_kept_by_a_clone_good() {
    let init: Command<()> = Command::new().standalone();
    assert!(init.clone().is_standalone());
}

#[test]
fn command_is_standalone_not_by_default_bad() {
    let list: Command<()> = Command::new().description("list workspaces");
    assert!(!list.is_standalone());
}

#[test]
fn command_is_standalone_whatever_else_is_declared_ugly() {
    let hidden: Command<()> = Command::new()
        .hidden()
        .alias("setup")
        .standalone()
        .flag(Flag::new("force", FlagKind::Bool));
    assert!(hidden.is_standalone());
}

#[test]
fn cli_runs_standalone_good() {
    let cli = workbench();
    cli.register("init", echo(Command::new().standalone()))
        .unwrap();
    assert!(cli.runs_standalone(&["init"]));
    assert!(cli.runs_standalone(&["--verbose", "init", "--force"]));
}

#[test]
fn cli_runs_standalone_other_commands_and_unknown_words_bad() {
    let cli = workbench();
    cli.register("init", echo(Command::new().standalone()))
        .unwrap();
    assert!(!cli.runs_standalone(&["workspace", "list"]));
    assert!(!cli.runs_standalone(&["inti"]));
    assert!(!cli.runs_standalone::<&str>(&[]));
}

#[test]
fn cli_runs_standalone_after_a_double_dash_names_nothing_ugly() {
    let cli = workbench();
    cli.register("init", echo(Command::new().standalone()))
        .unwrap();
    // After `--`, words are arguments: `init` there names no command.
    assert!(!cli.runs_standalone(&["--", "init"]));
}

// ---- Command::serves / is_serving, Cli::runs_serving ----

#[test]
fn command_serves_marks_the_command_good() {
    let serve: Command<()> = Command::new()
        .description("serve the API until stopped")
        .serves();
    assert!(serve.is_serving());
    assert!(serve.clone().is_serving());
}

#[test]
fn command_serves_not_by_default_bad() {
    let list: Command<()> = Command::new().description("list workspaces");
    assert!(!list.is_serving());
}

#[test]
fn command_serves_twice_and_standalone_ugly() {
    // Marked twice is marked once; of serves and standalone, the last one holds.
    let serving: Command<()> = Command::new().serves().serves();
    assert!(serving.is_serving());
    let alone: Command<()> = Command::new().serves().standalone();
    assert!(alone.is_standalone() && !alone.is_serving());
    let serving = alone.serves();
    assert!(serving.is_serving() && !serving.is_standalone());
}

#[test]
fn command_is_serving_whatever_else_is_declared_good() {
    let serve: Command<()> = Command::new()
        .hidden()
        .alias("daemon")
        .serves()
        .flag(Flag::new("port", FlagKind::Int));
    assert!(serve.is_serving());
}

#[test]
fn command_is_serving_not_for_a_placeholder_bad() {
    assert!(!Command::<()>::new().is_serving());
}

#[test]
fn command_is_serving_of_a_hidden_placeholder_ugly() {
    let group: Command<()> = Command::new().hidden().serves();
    assert!(group.is_serving());
    assert!(!group.is_executable());
}

#[test]
fn cli_runs_serving_good() {
    let cli = workbench();
    cli.register("serve", echo(Command::new().serves()))
        .unwrap();
    assert!(cli.runs_serving(&["serve"]));
    assert!(cli.runs_serving(&["--verbose", "serve", "--port=8080"]));
}

#[test]
fn cli_runs_serving_other_commands_and_standalone_bad() {
    let cli = workbench();
    cli.register("serve", echo(Command::new().serves()))
        .unwrap();
    cli.register("init", echo(Command::new().serves().standalone()))
        .unwrap();
    assert!(!cli.runs_serving(&["workspace", "list"]));
    assert!(!cli.runs_serving(&["init"]), "standalone starts nothing");
    assert!(!cli.runs_serving::<&str>(&[]));
}

#[test]
fn cli_runs_serving_after_a_double_dash_names_nothing_ugly() {
    let cli = workbench();
    cli.register("serve", echo(Command::new().serves()))
        .unwrap();
    assert!(!cli.runs_serving(&["--", "serve"]));
}

// ---- Command::alias ----

#[tokio::test]
async fn command_alias_runs_command_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "rm", "alpha"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(
        common::parsed_value(&outcome, "name"),
        Some(&Value::from("alpha"))
    );
}

#[tokio::test]
async fn command_alias_not_a_top_level_word_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["rm", "alpha"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::NOT_FOUND));
}

#[tokio::test]
async fn command_alias_several_for_top_level_command_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("version", echo(Command::new().alias("v").alias("ver")))
        .unwrap();
    for word in ["version", "v", "ver"] {
        let outcome = cli.run((), [word]).await;
        assert_eq!(outcome.exit_code(), 0, "{word}: {outcome:?}");
    }
}

#[tokio::test]
async fn command_alias_help_names_canonical_path_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "rm", "--help"]).await;
    assert!(
        outcome
            .stdout()
            .starts_with("Usage: workbench workspace remove"),
        "{}",
        outcome.stdout()
    );
}

// ---- Command::managed / managed_by ----

#[test]
fn command_managed_marks_daemon_good() {
    let command: Command<()> = runnable().managed("process.daemon");
    assert_eq!(command.managed_by(), Some("process.daemon"));
}

#[test]
fn command_managed_unset_is_none_bad() {
    assert_eq!(runnable().managed_by(), None);
}

#[test]
fn command_managed_last_call_wins_ugly() {
    let command: Command<()> = runnable().managed("process.daemon").managed("");
    assert_eq!(command.managed_by(), Some(""));
}

#[test]
fn command_managed_by_survives_registration_good() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("brain/serve", runnable().managed("process.daemon"))
        .unwrap();
    let command = cli.tree().get("brain/serve").unwrap();
    assert_eq!(command.managed_by(), Some("process.daemon"));
}

#[test]
fn command_managed_by_placeholder_parent_is_none_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("brain/serve", runnable().managed("process.daemon"))
        .unwrap();
    assert_eq!(cli.tree().get("brain").unwrap().managed_by(), None);
}

#[test]
fn command_managed_by_kept_verbatim_ugly() {
    let command: Command<()> = runnable().managed("process.daemon/ü %s");
    assert_eq!(command.managed_by(), Some("process.daemon/ü %s"));
}

#[test]
fn command_tree_register_racing_registrations_one_wins_ugly() {
    for round in 0..50 {
        let tree: std::sync::Arc<CommandTree<()>> = std::sync::Arc::default();
        // Two threads register the same path, a third a command under it (which makes the
        // path a placeholder parent when it comes first).
        let outcomes: Vec<bool> = std::thread::scope(|scope| {
            let racers: Vec<_> = ["deploy", "deploy", "deploy/status"]
                .into_iter()
                .map(|path| {
                    let tree = std::sync::Arc::clone(&tree);
                    scope.spawn(move || tree.register(path, echo(Command::new())).is_ok())
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            outcomes[..2].iter().filter(|ok| **ok).count(),
            1,
            "round {round}: exactly one registration of deploy succeeds"
        );
        assert!(outcomes[2], "round {round}");
        let deploy = tree.get("deploy").unwrap();
        assert!(
            deploy.is_executable(),
            "round {round}: never overwritten by a placeholder"
        );
    }
}
