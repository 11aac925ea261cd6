//! A tour of the primitives: options in, a registry of named things, structured errors out.
//!
//! ```text
//! cargo run -p corers-primitives --example 01_registry
//! ```

use corers_primitives::{Error, Registry, options};

fn main() -> Result<(), Error> {
    let actions = Registry::new("actions");
    actions.set(
        "process.run",
        options! { "description" => "run a command", "timeout" => 30 },
    )?;
    actions.set(
        "process.kill",
        options! { "description" => "stop a process" },
    )?;
    actions.set("git.log", options! { "description" => "show history" })?;

    println!("every action:       {:?}", actions.names());
    println!("process.* actions:  {:?}", actions.list("process.*"));

    let run = actions.lookup("process.run")?;
    println!(
        "process.run:        {} (timeout {}s)",
        run.string("description").unwrap_or_default(),
        run.int("timeout").unwrap_or_default()
    );

    // Registration is permission: once sealed, handlers may be swapped but no name added.
    actions.seal();
    actions.set(
        "git.log",
        options! { "description" => "show history, newest first" },
    )?;
    if let Err(err) = actions.set("git.push", options! {}) {
        println!("refused:            {err}");
    }
    if let Err(err) = actions.lookup("deploy.homelab") {
        let wrapped = Error::wrap(err, "cli.Cli.run", "run deploy/homelab");
        println!("not found:          {wrapped}");
        println!("operation stack:    {}", wrapped.stack());
    }
    Ok(())
}
