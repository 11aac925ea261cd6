//! The built-in commands: `health` and `config` (and, from the CLI itself, `help` and
//! `completion`).

use std::fmt::Write as _;

use corers_cli::Command;
use corers_primitives::{Error, ErrorCode, Result, Value};

use crate::Core;

/// Reports whether the application registered a command of its own at `path` (a
/// placeholder made for its subcommands, `health/deep`, is not one).
fn has_own(core: &Core, path: &str) -> bool {
    core.cli()
        .tree()
        .get(path)
        .is_some_and(|command| command.is_executable())
}

/// The built-in commands a Core registers (`config` with the `config` feature).
const BUILTINS: [&str; 2] = ["config", "health"];

/// Registers `health` and `config` unless the application has its own or left them out
/// (`without`).
pub(crate) fn register_builtins(core: &Core, without: &[String]) -> Result<()> {
    if let Some(unknown) = without
        .iter()
        .find(|name| !BUILTINS.contains(&name.as_str()))
    {
        return Err(Error::new(
            "corers.CoreBuilder.without_builtin",
            format!(
                "no built-in command {unknown:?}: the built-ins are {}",
                BUILTINS.join(" and ")
            ),
        )
        .with_code(ErrorCode::INVALID));
    }
    let wanted = |name: &str| !without.iter().any(|w| w == name) && !has_own(core, name);
    #[cfg(feature = "config")]
    if wanted("config") {
        core.cli().register(
            "config",
            Command::new()
                .description("show the effective config and where each value comes from")
                // Also when the services refuse the config: that is when it is needed.
                .standalone()
                .flag(
                    corers_cli::Flag::new("json", corers_cli::FlagKind::Bool)
                        .help("print JSON instead of lines"),
                )
                .action(|core: Core, options| async move {
                    let dump = core.config().dump();
                    if options.bool("json") == Some(true) {
                        let json = serde_json::to_string_pretty(&dump.to_json()).map_err(|e| {
                            Error::new("corers.config", e.to_string())
                                .with_code(ErrorCode::INTERNAL)
                        })?;
                        return Ok(Value::from(json));
                    }
                    Ok(Value::from(dump.to_string().trim_end().to_owned()))
                }),
        )?;
    }
    if wanted("health") {
        core.cli().register(
            "health",
            Command::new()
                .description("start the services and show whether each is up and ready")
                .flag(
                    corers_cli::Flag::new("json", corers_cli::FlagKind::Bool)
                        .help("print JSON instead of lines"),
                )
                .action(|core: Core, options| async move {
                    let report = core.services().health().await;
                    if options.bool("json") == Some(true) {
                        return health_json(&core, &report);
                    }
                    let mut text = String::new();
                    // A reason is a service's own text (an error a backend sent): its
                    // control characters are escaped, a newline too, so it can neither
                    // drive the terminal nor forge a line of the report.
                    for (name, health) in &report.services {
                        let line = format!("{name}: {health}");
                        let _ = writeln!(
                            text,
                            "{}",
                            corers_primitives::escape_controls(&line, |_| false)
                        );
                    }
                    let _ = write!(
                        text,
                        "live: {}\nready: {}",
                        yes(report.live),
                        yes(report.ready)
                    );
                    if report.ready {
                        return Ok(Value::from(text));
                    }
                    // The report on standard output all the same (what a monitoring
                    // script reads), the failure on standard error.
                    core.print(&format!("{text}\n"));
                    Err(Error::new("corers.health", "not ready").with_code(ErrorCode::UNAVAILABLE))
                }),
        )?;
    }
    Ok(())
}

/// The health report as one line of JSON: `{"live":…,"ready":…,"services":[{"name":…,
/// "health":"healthy"|"degraded"|"unhealthy","reason":…}]}`. Not ready, it is printed
/// all the same and the command fails (exit code 69), as without `--json`.
fn health_json(core: &Core, report: &corers_lifecycle::HealthReport) -> Result<Value> {
    let services = report
        .services
        .iter()
        .map(|(name, health)| {
            // `healthy`, `degraded: <why>`, `unhealthy: <why>`.
            let text = health.to_string();
            let (state, reason) = text
                .split_once(": ")
                .map_or((text.as_str(), None), |(state, why)| (state, Some(why)));
            let mut service = std::collections::BTreeMap::from([
                ("name".to_owned(), Value::from(name.as_str())),
                ("health".to_owned(), Value::from(state)),
            ]);
            if let Some(reason) = reason {
                service.insert("reason".to_owned(), Value::from(reason));
            }
            Value::Map(service)
        })
        .collect();
    let json = Value::Map(std::collections::BTreeMap::from([
        ("live".to_owned(), Value::Bool(report.live)),
        ("ready".to_owned(), Value::Bool(report.ready)),
        ("services".to_owned(), Value::List(services)),
    ]));
    if report.ready {
        return Ok(json);
    }
    core.print(&format!("{}\n", json.revealed()));
    Err(Error::new("corers.health", "not ready").with_code(ErrorCode::UNAVAILABLE))
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}
