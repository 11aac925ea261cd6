//! The CoreRS command line: commands registered at paths (`deploy/to/homelab`), resolved
//! from arguments by longest match, with typed, validated flags, help and shell
//! completions. It never prints or exits by itself: a run returns a [`RunOutput`].
//!
//! ```
//! use corers_cli::{Cli, Command, Flag, FlagKind, Positional};
//! use corers_primitives::Value;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let cli: Cli<()> = Cli::new("workbench");
//! cli.register("deploy/to/homelab", Command::new()
//!     .description("deploy a build to the homelab")
//!     .flag(Flag::new("replicas", FlagKind::Int).short('r').default(Value::from(1)))
//!     .flag(Flag::new("dry-run", FlagKind::Bool))
//!     .positional(Positional::new("build").required())
//!     .action(|_, options| async move {
//!         let replicas = options.int("replicas").unwrap_or_default();
//!         Ok(Value::from(format!("{} x{replicas}", options.string("build").unwrap_or_default())))
//!     })).unwrap();
//!
//! // Flags may come before, between or after the path words; values arrive typed.
//! let output = cli.run((), ["-r", "3", "deploy", "to", "homelab", "v1.4.2"]).await;
//! assert_eq!(output.value(), Some(&Value::from("v1.4.2 x3")));
//! # }
//! ```
//!
//! [`Cli`], [`Command`] and [`CommandTree`] take the application context as their type
//! parameter `C`, handed to every command's action: the `Core` in a CoreRS application,
//! `()` in these examples. Applications normally reach this crate through the `corers`
//! facade (feature `cli`, on by default): `CoreBuilder::command` registers a command,
//! `core.cli()` is the command line, the Core's run dispatches the process arguments
//! through it, and [`Command`], [`Flag`], [`FlagKind`] and [`Positional`] are in
//! `corers::prelude` (the rest in `corers::cli`). Depend on `corers-cli` directly for a
//! command tree without a Core: parsing, help and completions in a small tool.
//!
//! # Modules
//! - [`Cli`], [`RunOutput`]: running arguments, exit codes.
//! - [`Command`], [`Flag`], [`FlagKind`], [`Positional`]: what a command declares.
//! - [`CommandTree`], [`validate_command_path`]: commands by path.
//! - [`Shell`]: completion scripts.
#![forbid(unsafe_code)]

mod cli;
mod command;
mod completion;
mod help;
mod parse;
mod tree;

pub use cli::{Cli, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RunOutput};
pub use command::{BoxFuture, Command, Flag, FlagKind, Positional};
pub use completion::Shell;
pub use tree::{CommandTree, validate_command_path};
