//! The built-in commands: `health` (and, from the CLI itself, `help` and `completion`).

use std::fmt::Write as _;

use corers_cli::Command;
use corers_primitives::{Error, ErrorCode, Result, Value};

use crate::Core;

/// Registers `health` unless the application has its own.
pub(crate) fn register_builtins(core: &Core) -> Result<()> {
    if core.cli().tree().get("health").is_none() {
        core.cli().register(
            "health",
            Command::new()
                .description("show whether every service is up and ready")
                .action(|core: Core, _| async move {
                    let report = core.services().health(&core).await;
                    let mut text = String::new();
                    for (name, health) in &report.services {
                        let _ = writeln!(text, "{name}: {health}");
                    }
                    let _ = write!(
                        text,
                        "live: {}\nready: {}",
                        yes(report.live),
                        yes(report.ready)
                    );
                    if report.ready {
                        Ok(Value::from(text))
                    } else {
                        Err(Error::new("corers.health", format!("not ready\n{text}"))
                            .with_code(ErrorCode::UNAVAILABLE))
                    }
                }),
        )?;
    }
    Ok(())
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}
