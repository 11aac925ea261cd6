//! [`Command`], [`Flag`] and [`Positional`]: what a command declares.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use corers_primitives::{Options, Result, Value};

pub use corers_primitives::BoxFuture;

pub(crate) type ActionFn<C> = dyn Fn(C, Options) -> BoxFuture<Result<Value>> + Send + Sync;

/// The type of a declared flag's value, and how its text is parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlagKind {
    /// Text, as given.
    String,
    /// A signed integer (`-5` included).
    Int,
    /// A float.
    Float,
    /// A switch: `--verbose`, `--no-verbose`, `--verbose=false`; bundles as `-vq`.
    Bool,
    /// Several values: the flag repeated, or comma-separated (`--tag=a,b`).
    List,
    /// A duration (`250ms`, `30s`, `5m`, `1h30m`), delivered in milliseconds.
    Duration,
    /// A filesystem path (not empty, no NUL).
    Path,
    /// One of the listed words.
    Enum(Vec<String>),
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagKind::String => f.write_str("string"),
            FlagKind::Int => f.write_str("int"),
            FlagKind::Float => f.write_str("float"),
            FlagKind::Bool => f.write_str("bool"),
            FlagKind::List => f.write_str("list"),
            FlagKind::Duration => f.write_str("duration"),
            FlagKind::Path => f.write_str("path"),
            FlagKind::Enum(choices) => write!(f, "{}", choices.join("|")),
        }
    }
}

/// A declared flag: `--name`, optionally `-n`, typed, with default, requirement, an
/// environment fallback and help text.
///
/// ```
/// use corers_cli::{Flag, FlagKind};
/// use corers_primitives::Value;
///
/// let replicas = Flag::new("replicas", FlagKind::Int)
///     .short('r')
///     .default(Value::from(3))
///     .env("DEPLOY_REPLICAS")
///     .help("how many copies to run");
/// assert_eq!(replicas.name(), "replicas");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Flag {
    pub(crate) name: String,
    pub(crate) short: Option<char>,
    pub(crate) kind: FlagKind,
    pub(crate) default: Option<Value>,
    pub(crate) required: bool,
    pub(crate) env: Option<String>,
    pub(crate) help: String,
}

impl Flag {
    /// A flag `--name` of `kind`.
    pub fn new(name: impl Into<String>, kind: FlagKind) -> Flag {
        Flag {
            name: name.into(),
            short: None,
            kind,
            default: None,
            required: false,
            env: None,
            help: String::new(),
        }
    }

    /// Also accepts `-c`.
    pub fn short(mut self, c: char) -> Flag {
        self.short = Some(c);
        self
    }

    /// The value when the flag is absent (and its environment variable unset). Text is
    /// read as if typed (`"30s"` for a duration, a choice for an enum); any other value
    /// must be of the flag's kind (for a duration, a number is milliseconds, the form the
    /// action receives). A default that does not fit is refused when the command is
    /// registered, not blamed on the user at run time.
    ///
    /// ```
    /// use corers_cli::{CommandTree, Command, Flag, FlagKind};
    /// let tree: CommandTree<()> = CommandTree::new();
    /// let port = Flag::new("port", FlagKind::Int).default("eighty");
    /// let err = tree.register("serve", Command::new().flag(port)).unwrap_err();
    /// assert!(err.message().contains("expects an integer"));
    /// ```
    pub fn default(mut self, value: impl Into<Value>) -> Flag {
        self.default = Some(value.into());
        self
    }

    /// Makes the flag required (a default or an environment value satisfies it).
    pub fn required(mut self) -> Flag {
        self.required = true;
        self
    }

    /// Reads the value from the environment variable `var` when the flag is absent.
    pub fn env(mut self, var: impl Into<String>) -> Flag {
        self.env = Some(var.into());
        self
    }

    /// The help text.
    pub fn help(mut self, text: impl Into<String>) -> Flag {
        self.help = text.into();
        self
    }

    /// The long name, without dashes.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A declared positional argument, filled in order from the positionals given.
#[derive(Clone, Debug)]
#[must_use]
pub struct Positional {
    pub(crate) name: String,
    pub(crate) required: bool,
    pub(crate) many: bool,
    pub(crate) help: String,
}

impl Positional {
    /// A positional named `name` (its value arrives under that key).
    pub fn new(name: impl Into<String>) -> Positional {
        Positional {
            name: name.into(),
            required: false,
            many: false,
            help: String::new(),
        }
    }

    /// Makes it take every word left (`notes add buy milk`: `["buy", "milk"]`, a list under
    /// its name), as clap's `num_args(1..)`; the last positional a command declares.
    ///
    /// ```
    /// use corers_cli::{Cli, Command, Positional};
    /// use corers_primitives::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register(
    ///     "notes/add",
    ///     Command::new()
    ///         .positional(Positional::new("words").many().required())
    ///         .action(|(), options| async move { Ok(options.get("words").cloned().unwrap_or_default()) }),
    /// )
    /// .unwrap();
    /// let added = cli.run((), ["notes", "add", "buy", "milk"]).await;
    /// assert_eq!(added.value(), Some(&Value::List(vec!["buy".into(), "milk".into()])));
    /// # }
    /// ```
    pub fn many(mut self) -> Positional {
        self.many = true;
        self
    }

    /// Makes it required.
    pub fn required(mut self) -> Positional {
        self.required = true;
        self
    }

    /// The help text.
    pub fn help(mut self, text: impl Into<String>) -> Positional {
        self.help = text.into();
        self
    }
}

/// A command: what runs at a path like `deploy/to/homelab`, what it accepts, and how help
/// presents it.
///
/// ```
/// use corers_cli::{Command, Flag, FlagKind};
/// use corers_primitives::Value;
///
/// let create = Command::new()
///     .description("create a workspace")
///     .flag(Flag::new("name", FlagKind::String).required().help("the workspace name"))
///     .action(|_core: (), options| async move {
///         Ok(Value::from(format!("created {}", options.string("name").unwrap_or_default())))
///     });
/// ```
#[must_use]
pub struct Command<C> {
    pub(crate) description: String,
    pub(crate) i18n_key: Option<String>,
    pub(crate) action: Option<Arc<ActionFn<C>>>,
    pub(crate) flags: Vec<Flag>,
    pub(crate) positionals: Vec<Positional>,
    pub(crate) hidden: bool,
    pub(crate) aliases: Vec<String>,
    pub(crate) managed: Option<String>,
    pub(crate) loose_flags: bool,
    pub(crate) starts: Starts,
}

/// What an application starts for a command: see [`Command::standalone`] and
/// [`Command::serves`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Starts {
    /// The services (a command that runs once).
    #[default]
    Services,
    /// Nothing.
    Nothing,
    /// The services and the scheduled Tasks.
    Everything,
}

impl<C> Default for Command<C> {
    fn default() -> Self {
        Command {
            description: String::new(),
            i18n_key: None,
            action: None,
            flags: Vec::new(),
            positionals: Vec::new(),
            hidden: false,
            aliases: Vec::new(),
            managed: None,
            loose_flags: false,
            starts: Starts::Services,
        }
    }
}

impl<C> Clone for Command<C> {
    fn clone(&self) -> Self {
        Command {
            description: self.description.clone(),
            i18n_key: self.i18n_key.clone(),
            action: self.action.clone(),
            flags: self.flags.clone(),
            positionals: self.positionals.clone(),
            hidden: self.hidden,
            aliases: self.aliases.clone(),
            managed: self.managed.clone(),
            loose_flags: self.loose_flags,
            starts: self.starts,
        }
    }
}

impl<C> Command<C> {
    /// A command with nothing declared yet (a placeholder until it gets an action).
    pub fn new() -> Command<C> {
        Command::default()
    }

    /// The literal description, shown in help when no translation is found.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The i18n key of the description (default `cmd.<path with dots>.description`).
    pub fn i18n_key(mut self, key: impl Into<String>) -> Self {
        self.i18n_key = Some(key.into());
        self
    }

    /// What the command does: an async closure taking the application context and the
    /// parsed options.
    pub fn action<F, Fut>(mut self, action: F) -> Self
    where
        F: Fn(C, Options) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value>> + Send + 'static,
    {
        self.action = Some(Arc::new(move |core, options| {
            Box::pin(action(core, options))
        }));
        self
    }

    /// Declares a flag. A flag the command does not declare is a usage error naming it
    /// (unless the command takes [`loose_flags`](Command::loose_flags)).
    pub fn flag(mut self, flag: Flag) -> Self {
        self.flags.push(flag);
        self
    }

    /// Takes flags and words as CoreGO did, for a command ported from it: a `--name=value`
    /// or `--name` it does not declare arrives in the options as text or `true`, unchecked
    /// (declared flags are parsed and checked as usual), and words beyond its declared
    /// positionals are kept in `_args` instead of refused.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// use corers_primitives::Value;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cli: Cli<()> = Cli::new("legacy");
    /// cli.register(
    ///     "sync",
    ///     Command::new().loose_flags().action(|(), options| async move {
    ///         Ok(Value::from(options.string("remote").unwrap_or_default().to_owned()))
    ///     }),
    /// )
    /// .unwrap();
    /// let output = cli.run((), ["sync", "--remote=origin"]).await;
    /// assert_eq!(output.value(), Some(&Value::from("origin")));
    /// # }
    /// ```
    pub fn loose_flags(mut self) -> Self {
        self.loose_flags = true;
        self
    }

    /// Declares the next positional argument.
    pub fn positional(mut self, positional: Positional) -> Self {
        self.positionals.push(positional);
        self
    }

    /// Leaves the command out of help and completions; it still runs.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Runs the command without the application's services: an application asks
    /// [`Cli::runs_standalone`](crate::Cli::runs_standalone) and starts none for it — for
    /// `config` or `init`, which must work when the services cannot start (a setting they
    /// refuse, a config file not written yet).
    ///
    /// ```
    /// use corers_cli::Command;
    /// let init: Command<()> = Command::new().standalone();
    /// assert!(init.is_standalone());
    /// ```
    pub fn standalone(mut self) -> Self {
        self.starts = Starts::Nothing;
        self
    }

    /// Whether the command runs without the application's services (see
    /// [`standalone`](Command::standalone)).
    pub fn is_standalone(&self) -> bool {
        self.starts == Starts::Nothing
    }

    /// Runs until the application is asked to stop (a server's `serve`, a daemon's `run`):
    /// an application runs its scheduled Tasks while such a command runs
    /// ([`Cli::runs_serving`](crate::Cli::runs_serving)), and not while any other does —
    /// a one-shot `reindex` run beside the daemon would otherwise run them a second time,
    /// and cut them off when it ends. The last of `serves` and
    /// [`standalone`](Command::standalone) called is the one that holds.
    ///
    /// ```
    /// use corers_cli::Command;
    /// let serve: Command<()> = Command::new().serves();
    /// assert!(serve.is_serving());
    /// ```
    pub fn serves(mut self) -> Self {
        self.starts = Starts::Everything;
        self
    }

    /// Whether the command runs until the application is asked to stop (see
    /// [`serves`](Command::serves)).
    pub fn is_serving(&self) -> bool {
        self.starts == Starts::Everything
    }

    /// Another last word that reaches the command (`rm` for `workspace/remove`).
    pub fn alias(mut self, word: impl Into<String>) -> Self {
        self.aliases.push(word.into());
        self
    }

    /// Records the capability that manages the command (e.g. `"process.daemon"`), read
    /// back with [`managed_by`](Command::managed_by). Nothing acts on it yet: start / stop /
    /// status come with the process crate.
    pub fn managed(mut self, by: impl Into<String>) -> Self {
        self.managed = Some(by.into());
        self
    }

    /// Reports whether the command has an action (a placeholder does not).
    pub fn is_executable(&self) -> bool {
        self.action.is_some()
    }

    /// The capability the command is managed by, if any.
    pub fn managed_by(&self) -> Option<&str> {
        self.managed.as_deref()
    }
}

impl<C> fmt::Debug for Command<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("description", &self.description)
            .field("executable", &self.action.is_some())
            .field("flags", &self.flags)
            .field("hidden", &self.hidden)
            .finish_non_exhaustive()
    }
}
