//! Help text: the top-level list (banner, sorted commands, descriptions, translation), a
//! command's usage with every flag type, a placeholder's subcommands, and the usage errors
//! that carry help — snapshotted, and checked piece by piece.

mod common;

use std::sync::{Arc, Mutex};

use corers_cli::{Cli, Command, Flag, FlagKind};
use corers_primitives::{ErrorCode, Value};

use common::{echo, workbench};

fn runnable() -> Command<()> {
    Command::new().action(|(), _| async { Ok(Value::Null) })
}

/// The listed command lines of a top-level help, in order.
fn listed(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .map(|line| line.trim().to_owned())
        .collect()
}

// ---- snapshots ----

#[tokio::test]
async fn cli_help_top_level_snapshot_good() {
    let cli = workbench().with_banner(|| "workbench 0.1.0 — 100% %s %d {} ready".to_owned());
    let outcome = cli.run((), ["--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    insta::assert_snapshot!("top_level_help", outcome.stdout());
}

#[test]
fn cli_help_command_with_every_flag_type_snapshot_good() {
    let cli = workbench();
    insta::assert_snapshot!("deploy_to_homelab_help", cli.help("deploy/to/homelab"));
}

#[tokio::test]
async fn cli_help_placeholder_snapshot_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    insta::assert_snapshot!("workspace_placeholder_help", outcome.stdout());
}

#[tokio::test]
async fn cli_run_help_of_the_completion_builtin_snapshot_good() {
    let cli = workbench();
    let asked = cli.run((), ["help", "completion"]).await;
    assert_eq!(asked.exit_code(), 0);
    insta::assert_snapshot!("completion_builtin_help", asked.stdout());
    // The same from the built-in itself, with or without a shell.
    for args in [["completion", "--help"], ["completion", "-h"]] {
        assert_eq!(cli.run((), args).await.stdout(), asked.stdout(), "{args:?}");
    }
    let with_shell = cli.run((), ["completion", "zsh", "--help"]).await;
    assert_eq!(with_shell.stdout(), asked.stdout());
}

#[tokio::test]
async fn cli_run_help_help_shows_the_help_builtins_usage_ugly() {
    let outcome = workbench().run((), ["help", "help"]).await;
    assert_eq!(outcome.exit_code(), 0, "{}", outcome.stderr());
    assert_eq!(
        outcome.stdout(),
        "Usage: workbench help [<command>]\n\nShows a command's flags, or, with no command named, the commands.\n"
    );
}

#[tokio::test]
async fn cli_run_help_word_with_an_unknown_flag_is_a_usage_error_bad() {
    // As `completion -x`: the built-in takes no flags, and a script must not get exit 0.
    let outcome = workbench().run((), ["help", "workspace", "-x"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome.stderr().starts_with("error: unknown flag -x\n"),
        "{}",
        outcome.stderr()
    );
    assert!(
        outcome.stderr().contains("Usage: workbench help"),
        "{}",
        outcome.stderr()
    );
}

#[tokio::test]
async fn cli_run_help_of_a_builtin_name_the_application_took_is_its_commands_bad() {
    let cli = workbench();
    cli.register(
        "completion",
        Command::new()
            .description("install the completion script")
            .action(|(), _| async { Ok(Value::Null) }),
    )
    .unwrap();
    let outcome = cli.run((), ["help", "completion"]).await;
    assert_eq!(outcome.exit_code(), 0, "{}", outcome.stderr());
    assert!(
        outcome.stdout().contains("install the completion script"),
        "{}",
        outcome.stdout()
    );
}

#[tokio::test]
async fn cli_run_unknown_flag_error_snapshot_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "--verbos"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stdout().is_empty());
    insta::assert_snapshot!("unknown_flag_error", outcome.stderr());
}

#[tokio::test]
async fn cli_run_missing_required_flag_error_snapshot_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["deploy", "to", "homelab", "v1.4.2"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stdout().is_empty());
    insta::assert_snapshot!("missing_required_flag_error", outcome.stderr());
}

#[tokio::test]
async fn cli_run_unknown_command_error_snapshot_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["wrkspace", "create"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stdout().is_empty());
    insta::assert_snapshot!("unknown_command_error", outcome.stderr());
}

// ---- Cli::help ----

#[test]
fn cli_help_top_level_lists_executables_sorted_good() {
    let cli = workbench();
    let lines = listed(&cli.help(""));
    let paths: Vec<&str> = lines
        .iter()
        .map(|line| line.split("  ").next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "cache flush",
            "deploy to homelab",
            "workspace create",
            "workspace list",
            "workspace remove"
        ]
    );
}

#[test]
fn cli_help_top_level_leaves_out_placeholders_good() {
    let cli = workbench();
    let help = cli.help("");
    for line in listed(&help) {
        assert!(
            !["workspace", "cache", "deploy", "deploy to"].contains(&line.as_str()),
            "{help}"
        );
    }
}

#[test]
fn cli_help_command_lists_flag_types_defaults_and_env_good() {
    let cli = workbench();
    let help = cli.help("deploy/to/homelab");
    assert!(
        help.contains(
            "-r, --replicas <int>              how many copies to run [default: 1] [env: DEPLOY_REPLICAS]"
        ),
        "{help}"
    );
    assert!(help.contains("--output <json|table|yaml>"), "{help}");
    assert!(help.contains("(required) [env: DEPLOY_REGION]"), "{help}");
}

#[test]
fn cli_help_placeholder_lists_subcommands_good() {
    let cli = workbench();
    let help = cli.help("workspace");
    assert!(
        help.contains("Subcommands:\n  create    create a workspace\n"),
        "{help}"
    );
}

#[test]
fn cli_help_unknown_path_falls_back_to_top_level_bad() {
    let cli = workbench();
    assert_eq!(cli.help("workspace/destroy"), cli.help(""));
}

#[test]
fn cli_help_placeholder_leaves_out_hidden_children_bad() {
    let cli = workbench();
    assert!(!cli.help("debug").contains("dump"), "{}", cli.help("debug"));
}

#[test]
fn cli_help_no_commands_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    assert_eq!(
        cli.help(""),
        "Usage: workbench <command> [flags]\n\nNo commands.\n\nFlags:\n  -h, --help    show this help\n\n\
         Run 'workbench help <command>' for a command's flags.\n\
         Run 'workbench completion <bash|zsh|fish>' for a completion script.\n"
    );
}

#[test]
fn cli_help_hidden_command_has_its_own_help_ugly() {
    let cli = workbench();
    let help = cli.help("debug/dump");
    assert!(
        help.starts_with("Usage: workbench debug dump [flags]"),
        "{help}"
    );
    assert!(help.contains("dump internal state"), "{help}");
}

#[test]
fn cli_help_command_without_flags_still_offers_help_flag_ugly() {
    let cli = workbench();
    let help = cli.help("cache/flush");
    assert!(
        help.ends_with("Flags:\n  -h, --help    show this help\n"),
        "{help}"
    );
}

// ---- help through Cli::run ----

#[tokio::test]
async fn cli_run_help_flag_prints_command_help_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help("workspace/create"));
    assert!(outcome.stderr().is_empty());
}

#[tokio::test]
async fn cli_run_short_help_flag_prints_command_help_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "-h"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help("workspace/create"));
}

#[tokio::test]
async fn cli_run_help_inside_a_short_flag_bundle_good() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-vh"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(outcome.stdout(), cli.help("workspace/list"));
}

#[tokio::test]
async fn cli_run_h_in_a_flag_value_is_not_help_bad() {
    // `-nhomelab` is `--name homelab`: the `h` belongs to the value.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "create", "-nhomelab"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert_eq!(
        common::parsed_value(&outcome, "name"),
        Some(&Value::from("homelab"))
    );
}

#[tokio::test]
async fn cli_run_h_after_an_unknown_letter_is_the_unknown_flag_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "list", "-xh"]).await;
    assert_eq!(outcome.exit_code(), 2, "{outcome:?}");
    assert!(outcome.stdout().is_empty());
    assert!(outcome.stderr().contains("-x"), "{}", outcome.stderr());
}

#[tokio::test]
async fn cli_run_loose_flag_starting_with_h_is_not_help_ugly() {
    // `cache flush` takes loose flags: `-hard` is its flag `hard`, not -h then -a …
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "-hard"]).await;
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    assert!(outcome.stdout().is_empty(), "{}", outcome.stdout());
    assert_eq!(
        common::parsed_value(&outcome, "hard"),
        Some(&Value::Bool(true))
    );
}

#[tokio::test]
async fn cli_run_help_word_with_path_good() {
    let cli = workbench();
    let outcome = cli.run((), ["help", "deploy", "to", "homelab"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help("deploy/to/homelab"));
}

#[tokio::test]
async fn cli_run_help_word_under_a_group_good() {
    // clap gives every group a help subcommand: `workspace help create`.
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "help", "create"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help("workspace/create"));
    let outcome = cli.run((), ["deploy", "help", "to", "homelab"]).await;
    assert_eq!(outcome.stdout(), cli.help("deploy/to/homelab"));
    let outcome = cli.run((), ["workspace", "help"]).await;
    assert_eq!(outcome.stdout(), cli.help("workspace"));
}

#[tokio::test]
async fn cli_run_help_word_under_a_group_with_a_command_named_help_ugly() {
    // An application's own `workspace/help` is its command, not the built-in.
    let cli = workbench();
    cli.register(
        "workspace/help",
        echo(Command::new().description("open the workspace guide")),
    )
    .unwrap();
    let outcome = cli.run((), ["workspace", "help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.value().is_some());
}

#[tokio::test]
async fn cli_run_help_word_alone_prints_top_level_good() {
    let cli = workbench();
    let outcome = cli.run((), ["help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help(""));
}

#[tokio::test]
async fn cli_run_help_flag_alone_prints_top_level_good() {
    let cli = workbench();
    let outcome = cli.run((), ["-h"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.stdout(), cli.help(""));
}

#[tokio::test]
async fn cli_run_help_flag_skips_parsing_good() {
    // A missing required flag does not stop `--help`.
    let cli = workbench();
    let outcome = cli.run((), ["deploy", "to", "homelab", "--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn cli_run_help_word_with_unknown_path_bad() {
    // Also as a group's help subcommand.
    let cli = workbench();
    for args in [
        ["help", "workspace", "destroy"],
        ["workspace", "help", "destroy"],
    ] {
        let outcome = cli.run((), args).await;
        assert_eq!(outcome.exit_code(), 2);
        assert!(outcome.stdout().is_empty());
        assert!(
            outcome
                .stderr()
                .starts_with(r#"error: unknown command "workspace destroy""#),
            "{}",
            outcome.stderr()
        );
    }
}

#[tokio::test]
async fn cli_run_help_flag_after_double_dash_is_positional_ugly() {
    let cli = workbench();
    let outcome = cli.run((), ["cache", "flush", "--", "--help"]).await;
    assert_eq!(outcome.exit_code(), 0);
    assert!(outcome.stdout().is_empty());
    assert_eq!(
        common::parsed_value(&outcome, "_arg"),
        Some(&Value::from("--help"))
    );
}

#[tokio::test]
async fn cli_run_help_word_with_alias_uses_canonical_key_ugly() {
    let cli = workbench().with_translator(|key| {
        (key == "cmd.workspace.remove.description").then(|| "supprimer un espace".to_owned())
    });
    let via_flag = cli.run((), ["workspace", "rm", "--help"]).await;
    let via_word = cli.run((), ["help", "workspace", "rm"]).await;
    assert!(via_flag.stdout().contains("supprimer un espace"));
    assert_eq!(via_word.stdout(), via_flag.stdout());
}

// ---- Cli::with_banner ----

#[test]
fn cli_with_banner_above_top_level_help_good() {
    let cli = workbench().with_banner(|| "workbench 0.1.0".to_owned());
    assert!(
        cli.help("")
            .starts_with("workbench 0.1.0\n\nUsage: workbench <command> [flags]\n")
    );
}

#[test]
fn cli_with_banner_not_on_command_help_bad() {
    let cli = workbench().with_banner(|| "workbench 0.1.0".to_owned());
    assert!(!cli.help("workspace/create").contains("workbench 0.1.0"));
}

#[test]
fn cli_with_banner_format_specifiers_printed_literally_ugly() {
    let cli = workbench().with_banner(|| "100% %s %d %v {} {0}".to_owned());
    assert!(cli.help("").starts_with("100% %s %d %v {} {0}\n\n"));
}

#[test]
fn cli_with_banner_called_for_every_help_ugly() {
    let calls = Arc::new(Mutex::new(0_u32));
    let counter = Arc::clone(&calls);
    let cli = workbench().with_banner(move || {
        let mut calls = counter.lock().unwrap();
        *calls += 1;
        format!("workbench (build {calls})")
    });
    assert!(cli.help("").starts_with("workbench (build 1)"));
    assert!(cli.help("").starts_with("workbench (build 2)"));
}

#[tokio::test]
async fn cli_with_banner_that_panics_is_internal_not_unwound_ugly() {
    // The application's banner panics while help is answered: exit 70 with the panic's
    // message, as an action's panic, from run and from the answers before a start.
    let cli = workbench().with_banner(|| panic!("version file missing"));
    let outcome = cli.run((), ["--help"]).await;
    assert_eq!(outcome.exit_code(), 70);
    assert_eq!(outcome.error().unwrap().code(), Some(&ErrorCode::INTERNAL));
    assert!(
        outcome.stderr().contains("version file missing"),
        "{}",
        outcome.stderr()
    );
    let answered = cli.answer_without_action(&(), &["--help"]).unwrap();
    assert_eq!(answered.exit_code(), 70);
    let answered = cli.answer_with_every_command(&(), &["-h"]).unwrap();
    assert_eq!(answered.exit_code(), 70);
}

// ---- Cli::with_translator ----

#[test]
fn cli_with_translator_translates_descriptions_good() {
    let cli = workbench().with_translator(|key| {
        (key == "cmd.workspace.create.description").then(|| "crée un espace".to_owned())
    });
    assert!(
        cli.help("").contains("workspace create     crée un espace"),
        "{}",
        cli.help("")
    );
}

#[test]
fn cli_with_translator_none_falls_back_to_description_bad() {
    let cli = workbench().with_translator(|_| None);
    assert!(
        cli.help("")
            .contains("workspace create     create a workspace")
    );
}

#[test]
fn cli_with_translator_empty_text_falls_back_to_description_bad() {
    let cli = workbench().with_translator(|_| Some(String::new()));
    assert!(
        cli.help("")
            .contains("workspace create     create a workspace")
    );
}

#[test]
fn cli_with_translator_echoing_key_falls_back_to_description_bad() {
    let cli = workbench().with_translator(|key| Some(key.to_owned()));
    let help = cli.help("");
    assert!(
        help.contains("workspace create     create a workspace"),
        "{help}"
    );
    assert!(!help.contains("cmd."), "{help}");
}

#[test]
fn cli_with_translator_also_used_for_subcommands_ugly() {
    let cli = workbench().with_translator(|key| {
        (key == "cmd.workspace.list.description").then(|| "liste les espaces".to_owned())
    });
    assert!(
        cli.help("workspace")
            .contains("list      liste les espaces")
    );
}

#[test]
fn cli_with_translator_gives_placeholder_a_description_ugly() {
    let cli = workbench().with_translator(|key| {
        (key == "cmd.workspace.description").then(|| "gérer les espaces".to_owned())
    });
    assert!(cli.help("workspace").contains("\ngérer les espaces\n"));
}

// ---- Command::description ----

#[test]
fn command_description_listed_in_top_level_help_good() {
    let cli = workbench();
    assert!(
        cli.help("")
            .contains("cache flush          flush every cache")
    );
}

#[test]
fn command_description_absent_lists_bare_path_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register("cache/flush", runnable()).unwrap();
    assert_eq!(listed(&cli.help("")), ["cache flush"]);
    assert!(cli.help("").contains("\n  cache flush\n"));
}

#[test]
fn command_description_format_specifiers_printed_literally_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "disk/fill",
        echo(Command::new().description("fill to 90% %s {}")),
    )
    .unwrap();
    assert!(cli.help("").contains("disk fill    fill to 90% %s {}"));
}

// ---- Command::i18n_key ----

#[test]
fn command_i18n_key_custom_key_used_good() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_translator(|key| (key == "deploy.homelab").then(|| "déployer au labo".to_owned()));
    cli.register(
        "deploy/to/homelab",
        runnable()
            .description("deploy a build")
            .i18n_key("deploy.homelab"),
    )
    .unwrap();
    assert!(
        cli.help("")
            .contains("deploy to homelab    déployer au labo")
    );
}

#[test]
fn command_i18n_key_default_derived_from_path_good() {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&asked);
    let cli: Cli<()> = Cli::new("workbench").with_translator(move |key| {
        log.lock().unwrap().push(key.to_owned());
        None
    });
    cli.register("deploy/to/homelab", runnable()).unwrap();
    let _ = cli.help("");
    assert_eq!(
        *asked.lock().unwrap(),
        ["cmd.deploy.to.homelab.description"]
    );
}

#[test]
fn command_i18n_key_without_translator_shows_description_bad() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "deploy/to/homelab",
        runnable()
            .description("deploy a build")
            .i18n_key("deploy.homelab"),
    )
    .unwrap();
    let help = cli.help("");
    assert!(
        help.contains("deploy to homelab    deploy a build"),
        "{help}"
    );
    assert!(!help.contains("deploy.homelab"), "{help}");
}

#[test]
fn command_i18n_key_custom_key_replaces_derived_one_ugly() {
    let cli: Cli<()> = Cli::new("workbench").with_translator(|key| {
        (key == "cmd.deploy.to.homelab.description").then(|| "wrong key".to_owned())
    });
    cli.register(
        "deploy/to/homelab",
        runnable()
            .description("deploy a build")
            .i18n_key("deploy.homelab"),
    )
    .unwrap();
    assert!(!cli.help("").contains("wrong key"));
}

#[test]
fn positional_required_without_help_aligned_ugly() {
    let cli = workbench();
    let help = cli.help("workspace/remove");
    assert!(help.contains("\n  <name>    (required)\n"), "{help}");
}

#[tokio::test]
async fn cli_help_duration_default_round_trips_as_typed_ugly() {
    let cli: Cli<()> = Cli::new("workbench");
    cli.register(
        "probe",
        echo(Command::new().flag(Flag::new("interval", FlagKind::Duration).default(1500))),
    )
    .unwrap();
    let help = cli.help("probe");
    assert!(help.contains("[default: 1500ms]"), "{help}");
    // What help shows, typed back, is the default itself.
    let typed = cli.run((), ["probe", "--interval", "1500ms"]).await;
    let defaulted = cli.run((), ["probe"]).await;
    assert_eq!(typed.value(), defaulted.value());
}

// ---- Cli::with_global_flag ----

#[tokio::test]
async fn cli_with_global_flag_is_listed_in_the_top_level_help_good() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_global_flag("--set <key=value>", "set a config value for this run");
    let help = cli.run((), ["--help"]).await;
    assert!(
        help.stdout()
            .contains("      --set <key=value>    set a config value for this run\n"),
        "{}",
        help.stdout()
    );
}

#[tokio::test]
async fn cli_with_global_flag_is_listed_not_parsed_bad() {
    // The application takes it out of the arguments before the command line sees them;
    // given to the command line itself, it is an unknown flag.
    let cli: Cli<()> = Cli::new("workbench")
        .with_global_flag("--set <key=value>", "set a config value for this run");
    cli.register("cache/flush", echo(Command::new())).unwrap();
    let outcome = cli.run((), ["--set", "a=1", "cache", "flush"]).await;
    assert_eq!(outcome.exit_code(), 2);
}

#[test]
fn cli_with_global_flag_is_listed_in_each_commands_help_good() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_global_flag("--set <key=value>", "set a config value for this run");
    cli.register("cache/flush", echo(Command::new())).unwrap();
    let help = cli.help("cache/flush");
    assert!(
        help.contains("  -h, --help               show this help\n      --set <key=value>    set a config value for this run\n"),
        "{help}"
    );
}

#[test]
fn cli_with_global_flag_a_command_cannot_declare_it_bad() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_global_flag("--set <key=value>", "set a config value for this run")
        .with_global_flag("-C, --dir <path>", "run as if started in <path>");
    let err = cli
        .register(
            "kv/put",
            Command::new().flag(Flag::new("set", FlagKind::List)),
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.message(), @r#"command "kv/put": flag --set is taken by the program's global flag --set, which every command line gives up before its command sees it"#);
    // Nor its letter, under another name.
    let taken = cli.register(
        "kv/get",
        Command::new().flag(Flag::new("cwd", FlagKind::String).short('C')),
    );
    assert_eq!(taken.unwrap_err().code(), Some(&ErrorCode::INVALID));
    assert!(cli.tree().get("kv/put").is_none());
    assert!(cli.tree().get("kv/get").is_none());
}

#[tokio::test]
async fn cli_with_global_flag_with_a_short_form_is_not_padded_ugly() {
    let cli: Cli<()> = Cli::new("workbench")
        .with_global_flag("-C, --dir <path>", "run as if started in <path>")
        .with_global_flag("--quiet", "");
    let help = cli.run((), ["--help"]).await;
    assert!(
        help.stdout()
            .contains("  -C, --dir <path>    run as if started in <path>\n"),
        "{}",
        help.stdout()
    );
    assert!(
        help.stdout().contains("      --quiet\n"),
        "{}",
        help.stdout()
    );
}

// ---- Cli::with_version ----

#[tokio::test]
async fn cli_with_version_prints_name_and_version_good() {
    let cli = workbench().with_version("0.4.1");
    for flag in ["--version", "-V"] {
        let outcome = cli.run((), [flag]).await;
        assert_eq!(
            (outcome.exit_code(), outcome.stdout(), outcome.stderr()),
            (0, "workbench 0.4.1\n", ""),
            "{flag}"
        );
    }
    assert!(cli.help("").contains("-V, --version    show the version"));
}

#[tokio::test]
async fn cli_with_version_not_given_version_flag_is_a_usage_error_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["--version"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(outcome.stdout().is_empty());
    assert!(!cli.help("").contains("--version"));
}

#[tokio::test]
async fn cli_with_version_a_command_s_own_short_v_is_its_flag_ugly() {
    let cli: Cli<()> = Cli::new("workbench").with_version("0.4.1");
    cli.register(
        "disk/check",
        echo(Command::new().flag(Flag::new("verify", FlagKind::Bool).short('V'))),
    )
    .unwrap();
    let outcome = cli.run((), ["disk", "check", "-V"]).await;
    assert_eq!(outcome.exit_code(), 0, "{}", outcome.stderr());
    assert_ne!(outcome.stdout(), "workbench 0.4.1\n");
}

#[tokio::test]
async fn cli_with_version_after_a_command_is_that_command_s_flag_ugly() {
    let cli = workbench().with_version("0.4.1");
    let outcome = cli.run((), ["workspace", "list", "--version"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome
            .stderr()
            .starts_with("error: unknown flag --version"),
        "{}",
        outcome.stderr()
    );
}

// ---- Cli::answer_without_action ----

#[test]
fn cli_answer_without_action_help_and_completion_answer_good() {
    let cli = workbench().with_version("0.4.1");
    for args in [
        &["workspace", "create", "--help"][..],
        &["help", "workspace"],
        &["completion", "zsh"],
        &["-V"],
        &["workspace", "-h"],
    ] {
        let outcome = cli.answer_without_action(&(), args).expect("answered");
        assert_eq!(outcome.exit_code(), 0, "{args:?}");
        assert!(!outcome.stdout().is_empty(), "{args:?}");
    }
}

#[test]
fn cli_answer_without_action_usage_errors_of_a_registered_command_answer_bad() {
    let cli = workbench();
    for args in [
        &["workspace", "create", "--nmae=alpha"][..],
        &["workspace", "create"],
        &["workspace", "list", "--limit=many"],
        &["completion", "powershell"],
        &[],
        &["workspace"],
    ] {
        let outcome = cli.answer_without_action(&(), args).expect("answered");
        assert_eq!(outcome.exit_code(), 2, "{args:?}");
    }
}

#[test]
fn cli_answer_without_action_leaves_actions_and_unknown_words_to_run_ugly() {
    let cli = workbench();
    for args in [
        &["workspace", "create", "--name=alpha"][..],
        &["workspace", "archive"],
        &["wrkspace", "list"],
        &["help", "workspace", "archive"],
        // A word after a command's path may name a subcommand registered later.
        &["workspace", "list", "stale", "--prune"],
        &["workspace", "list", "stale", "--help"],
    ] {
        assert!(cli.answer_without_action(&(), args).is_none(), "{args:?}");
    }
}

// ---- Cli::answer_with_every_command ----

#[test]
fn cli_answer_with_every_command_leaves_commands_to_run_good() {
    let cli = workbench();
    for args in [
        &["workspace", "create", "--name=alpha"][..],
        &["workspace", "list", "stale"],
    ] {
        assert!(
            cli.answer_with_every_command(&(), args).is_none(),
            "{args:?}"
        );
    }
    let help = cli
        .answer_with_every_command(&(), &["workspace", "create", "--help"])
        .expect("answered");
    assert_eq!(help.exit_code(), 0);
}

#[test]
fn cli_answer_with_every_command_unknown_words_are_a_usage_error_now_bad() {
    // What answer_without_action leaves to a later registration is refused at once.
    let cli = workbench();
    for args in [
        &["workspace", "archive"][..],
        &["wrkspace", "list"],
        &["help", "workspace", "archive"],
    ] {
        let outcome = cli.answer_with_every_command(&(), args).expect("answered");
        assert_eq!(outcome.exit_code(), 2, "{args:?}");
    }
    let typo = cli
        .answer_with_every_command(&(), &["wrkspace", "list"])
        .unwrap();
    assert!(typo.stderr().contains("workspace"), "{}", typo.stderr());
}

#[test]
fn cli_answer_with_every_command_word_after_a_path_is_the_commands_ugly() {
    // `stale` is `workspace list`'s pattern, not a subcommand to come: its flags judge
    // `--prune`, and `--help` is its help.
    let cli = workbench();
    let prune = cli
        .answer_with_every_command(&(), &["workspace", "list", "stale", "--prune"])
        .expect("answered");
    assert_eq!(prune.exit_code(), 2);
    let help = cli
        .answer_with_every_command(&(), &["workspace", "list", "stale", "--help"])
        .expect("answered");
    assert_eq!(help.exit_code(), 0);
    let huge = "w".repeat(100_000);
    let outcome = cli
        .answer_with_every_command(&(), &[huge.as_str()])
        .expect("answered");
    assert!(outcome.stderr().len() < 1_000, "{}", outcome.stderr().len());
}

// ---- a placeholder's flags ----

#[tokio::test]
async fn cli_run_placeholder_with_an_unknown_flag_is_a_usage_error_bad() {
    let cli = workbench();
    let outcome = cli.run((), ["workspace", "--nmae=alpha"]).await;
    assert_eq!(outcome.exit_code(), 2);
    assert!(
        outcome.stderr().starts_with("error: unknown flag --nmae"),
        "{}",
        outcome.stderr()
    );
}
