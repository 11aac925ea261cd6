//! Helpers shared by the integration tests: the sample `workbench` tree, an action that
//! echoes its options back, and accessors for what a run parsed.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the helpers"
)]

use std::collections::BTreeMap;

use corers_cli::{Cli, Command, Flag, FlagKind, Positional, RunOutput};
use corers_primitives::Value;

/// Gives `command` an action that returns its parsed options as a [`Value::Map`].
pub fn echo(command: Command<()>) -> Command<()> {
    command.action(|(), options| async move { Ok(options.into_value()) })
}

/// `deploy/to/homelab`: one flag of every kind, a required flag with an environment
/// fallback, a required and an optional positional.
pub fn deploy() -> Command<()> {
    echo(
        Command::new()
            .description("deploy a build to the homelab")
            .flag(
                Flag::new("replicas", FlagKind::Int)
                    .short('r')
                    .default(1)
                    .env("DEPLOY_REPLICAS")
                    .help("how many copies to run"),
            )
            .flag(Flag::new("canary", FlagKind::Float).help("share of traffic for the canary"))
            .flag(Flag::new("dry-run", FlagKind::Bool).help("show what would change"))
            .flag(
                Flag::new("tag", FlagKind::List)
                    .short('t')
                    .help("image tags to roll out"),
            )
            .flag(
                Flag::new("timeout", FlagKind::Duration)
                    .default(30_000)
                    .help("how long to wait for health checks"),
            )
            .flag(Flag::new("config", FlagKind::Path).help("the deploy manifest"))
            .flag(
                Flag::new(
                    "output",
                    FlagKind::Enum(vec!["json".into(), "table".into(), "yaml".into()]),
                )
                .short('o')
                .default("table")
                .help("how to print the result"),
            )
            .flag(
                Flag::new("region", FlagKind::String)
                    .required()
                    .env("DEPLOY_REGION")
                    .help("the region to deploy to"),
            )
            .positional(
                Positional::new("build")
                    .required()
                    .help("the build to deploy"),
            )
            .positional(Positional::new("host").help("a single host to target")),
    )
}

/// The sample tree: `workspace/{create,list,remove (alias rm)}`, `cache/flush` (declares no
/// flags and takes any, as CoreGO's commands did: `loose_flags`), a hidden `debug/dump` and
/// `deploy/to/homelab`. Its environment is empty.
pub fn workbench() -> Cli<()> {
    let cli: Cli<()> = Cli::new("workbench").with_env(|(), _| None);
    cli.register(
        "workspace/create",
        echo(
            Command::new()
                .description("create a workspace")
                .flag(
                    Flag::new("name", FlagKind::String)
                        .short('n')
                        .required()
                        .help("the workspace name"),
                )
                .flag(Flag::new("verbose", FlagKind::Bool).short('v'))
                .flag(Flag::new("quiet", FlagKind::Bool).short('q'))
                .flag(Flag::new("count", FlagKind::Int).short('c').default(1))
                .positional(Positional::new("directory")),
        ),
    )
    .unwrap();
    cli.register(
        "workspace/list",
        echo(
            Command::new()
                .description("list workspaces")
                .flag(Flag::new("verbose", FlagKind::Bool).short('v'))
                .flag(Flag::new("limit", FlagKind::Int).short('n'))
                .positional(Positional::new("patterns").many()),
        ),
    )
    .unwrap();
    cli.register(
        "workspace/remove",
        echo(
            Command::new()
                .description("remove a workspace")
                .alias("rm")
                .positional(Positional::new("name").required()),
        ),
    )
    .unwrap();
    cli.register(
        "cache/flush",
        echo(
            Command::new()
                .description("flush every cache")
                .loose_flags(),
        ),
    )
    .unwrap();
    cli.register(
        "debug/dump",
        echo(
            Command::new()
                .description("dump internal state")
                .hidden()
                .positional(Positional::new("parts").many()),
        ),
    )
    .unwrap();
    cli.register("deploy/to/homelab", deploy()).unwrap();
    cli
}

/// The options an echoing action returned, by key.
pub fn parsed(outcome: &RunOutput) -> &BTreeMap<String, Value> {
    outcome
        .value()
        .and_then(Value::as_map)
        .unwrap_or_else(|| panic!("the action did not run: {outcome:#?}"))
}

/// The value an echoing action saw for `key`.
pub fn parsed_value<'a>(outcome: &'a RunOutput, key: &str) -> Option<&'a Value> {
    parsed(outcome).get(key)
}

/// The message of the run's error.
pub fn error_message(outcome: &RunOutput) -> &str {
    outcome
        .error()
        .unwrap_or_else(|| panic!("the run did not fail: {outcome:#?}"))
        .message()
}

/// A list of strings as a [`Value::List`].
pub fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

/// The arguments for `deploy to homelab v1.4.2 --region=eu-west` followed by `extra`.
pub fn deploy_args(extra: &[&str]) -> Vec<String> {
    ["deploy", "to", "homelab", "v1.4.2", "--region=eu-west"]
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}
