//! [`Cli`]: the command tree plus running it on arguments, with help and exit codes.

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;

use corers_primitives::{Error, ErrorCode, Options, Result, Value, catch_panic};

use crate::command::ActionFn;
use crate::parse::{is_flag, parse};
use crate::tree::asks_help;
use crate::{Command, CommandTree, Shell};

type Banner = Arc<dyn Fn() -> String + Send + Sync>;
type Translator = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;
/// Looks an environment variable up, for flag fallbacks, given the application context.
type Env<C> = Arc<dyn Fn(&C, &str) -> Option<OsString> + Send + Sync>;

/// Exit code for a successful run.
pub const EXIT_OK: u8 = 0;
/// Exit code when the command's action failed (more specific codes follow sysexits, see
/// [`RunOutput::exit_code`]).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for a usage error: unknown command or flag, missing or malformed value.
pub const EXIT_USAGE: u8 = 2;

/// A path-based command-line interface: commands registered at paths like
/// `deploy/to/homelab`, resolved from arguments by longest match, with typed flags, help
/// and completions. Nothing here prints or exits: a run returns a [`RunOutput`] holding the
/// text for stdout and stderr and the exit code.
///
/// ```
/// use corers_cli::{Cli, Command, Flag, FlagKind};
/// use corers_primitives::Value;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let cli: Cli<()> = Cli::new("workbench");
/// cli.register("workspace/create", Command::new()
///     .description("create a workspace")
///     .flag(Flag::new("name", FlagKind::String).required())
///     .action(|_, options| async move {
///         Ok(Value::from(format!("created {}", options.string("name").unwrap_or_default())))
///     })).unwrap();
///
/// let output = cli.run((), ["workspace", "create", "--name=alpha"]).await;
/// assert_eq!(output.exit_code(), 0);
/// assert_eq!(output.value(), Some(&Value::from("created alpha")));
///
/// let output = cli.run((), ["workspace", "create", "--nmae=alpha"]).await;
/// assert_eq!(output.exit_code(), 2);
/// assert!(output.stderr().contains("unknown flag --nmae; did you mean --name?"));
/// # }
/// ```
pub struct Cli<C> {
    pub(crate) name: String,
    pub(crate) tree: CommandTree<C>,
    pub(crate) banner: Option<Banner>,
    pub(crate) translator: Option<Translator>,
    pub(crate) version: Option<String>,
    /// Flags the application takes out of the arguments before the command line sees
    /// them, `(spelling, description)`, listed in the top-level help.
    pub(crate) global_flags: Vec<(String, String)>,
    env: Env<C>,
}

/// What a run produced: the action's value or error, the text meant for stdout and stderr,
/// and the process exit code.
#[derive(Debug)]
#[must_use]
pub struct RunOutput {
    result: Option<Result<Value>>,
    stdout: String,
    stderr: String,
    exit_code: u8,
}

impl RunOutput {
    /// The outcome of a command that failed with `err`: its message on standard error, the exit
    /// code of its error code.
    fn failed(err: Error) -> RunOutput {
        let exit_code = err
            .code()
            .and_then(ErrorCode::exit_status)
            .unwrap_or(EXIT_FAILURE);
        // What each level says, for the person running the program; the whole error
        // (operations, codes) stays in `error()` for the application and its log.
        RunOutput {
            stderr: format!("error: {err:#}\n"),
            result: Some(Err(err)),
            stdout: String::new(),
            exit_code,
        }
    }

    fn printed(stdout: String) -> RunOutput {
        RunOutput {
            result: None,
            stdout,
            stderr: String::new(),
            exit_code: EXIT_OK,
        }
    }

    /// A usage error as clap prints one: the message, the usage line of `help` and where
    /// to read the rest (the whole help would bury the message).
    fn usage_error(error: Error, help: &str) -> RunOutput {
        let Some(usage) = help.lines().find(|line| line.starts_with("Usage: ")) else {
            return RunOutput::usage_error_with_help(error, help);
        };
        // `workbench workspace create` of `Usage: workbench workspace create --name <string>`.
        let command: Vec<&str> = usage["Usage: ".len()..]
            .split(' ')
            .take_while(|word| !word.starts_with(['<', '[', '-']))
            .collect();
        let shown = format!(
            "{usage}\n\nFor more information, try '{} --help'.\n",
            command.join(" ")
        );
        RunOutput::usage_error_with_help(error, &shown)
    }

    /// A usage error followed by the whole of `help`: for a program or a group run without
    /// the command it needs, or a command nothing is close to, where the commands listed
    /// are the answer.
    fn usage_error_with_help(error: Error, help: &str) -> RunOutput {
        let stderr = format!("error: {}\n\n{help}", error.message());
        RunOutput {
            result: Some(Err(error)),
            stdout: String::new(),
            stderr,
            exit_code: EXIT_USAGE,
        }
    }

    /// The exit code: 0 success, 2 usage error (as clap and POSIX utilities have it), and
    /// for a failed action the sysexits status of its error code
    /// ([`ErrorCode::exit_status`]: `INVALID` 65 `EX_DATAERR`, `UNAVAILABLE` 69, …), or 1
    /// (`CONFLICT`, an application's code, no code).
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// Text for standard output (help, a completion script).
    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    /// Text for standard error (a usage error with its usage line or the whole help, an
    /// action's failure).
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// The action's value, when it ran and succeeded.
    pub fn value(&self) -> Option<&Value> {
        self.result.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The error, when the run failed (usage or action).
    pub fn error(&self) -> Option<&Error> {
        self.result.as_ref().and_then(|r| r.as_ref().err())
    }

    /// The action's result, when an action ran or a usage error stopped it; `None` when
    /// help or a completion script was printed instead.
    pub fn into_result(self) -> Option<Result<Value>> {
        self.result
    }
}

impl<C> Cli<C> {
    /// A CLI for the program `name` (used in usage lines and completion scripts).
    pub fn new(name: impl Into<String>) -> Cli<C> {
        Cli {
            name: name.into(),
            tree: CommandTree::new(),
            banner: None,
            translator: None,
            version: None,
            global_flags: Vec::new(),
            env: Arc::new(|_, var| std::env::var_os(var)),
        }
    }

    /// Registers `command` at `path` (see [`CommandTree::register`]).
    ///
    /// # Errors
    /// As [`CommandTree::register`].
    pub fn register(&self, path: &str, command: Command<C>) -> Result<()> {
        self.tree.register(path, command)
    }

    /// The command tree.
    pub fn tree(&self) -> &CommandTree<C> {
        &self.tree
    }

    /// The program name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Shows `banner()` above the top-level help (as text: never a format string).
    #[must_use]
    pub fn with_banner(mut self, banner: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.banner = Some(Arc::new(banner));
        self
    }

    /// Answers `--version` and `-V` (given without a command) with the program name and
    /// `version`, and lists that flag in the top-level help.
    ///
    /// ```
    /// use corers_cli::Cli;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cli: Cli<()> = Cli::new("workbench").with_version("0.4.1");
    /// assert_eq!(cli.run((), ["--version"]).await.stdout(), "workbench 0.4.1\n");
    /// # }
    /// ```
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Lists a flag the application handles itself, before the command line sees the
    /// arguments (a facade's `--set key=value`), under the top-level help's flags, so that
    /// it can be found. A command registered afterwards cannot declare a flag of that name
    /// or letter: it would never see it.
    ///
    /// ```
    /// use corers_cli::Cli;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cli: Cli<()> = Cli::new("workbench")
    ///     .with_global_flag("--set <key=value>", "set a config value for this run");
    /// let help = cli.run((), ["--help"]).await;
    /// assert!(help.stdout().contains("    --set <key=value>    set a config value for this run"));
    /// # }
    /// ```
    #[must_use]
    pub fn with_global_flag(
        mut self,
        spelling: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let spelling = spelling.into();
        if let Some((long, short, _)) = crate::completion::global_flag(&spelling) {
            self.tree.reserve(long, short);
        }
        self.global_flags.push((spelling, description.into()));
        self
    }

    /// Translates descriptions in help: called with a command's i18n key; `None`, an empty
    /// text or the key itself fall back to the literal description.
    #[must_use]
    pub fn with_translator(
        mut self,
        translate: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.translator = Some(Arc::new(translate));
        self
    }

    /// Replaces the environment lookup used for flag fallbacks (the process environment by
    /// default): called with the application context given to [`run`](Cli::run) and the
    /// variable's name, e.g. to read a Core's per-instance environment. A value that is not
    /// UTF-8 is a usage error naming the variable, not a flag left to its default.
    ///
    /// ```
    /// use corers_cli::Cli;
    /// let cli: Cli<()> = Cli::new("workbench")
    ///     .with_env(|(), var| (var == "WORKBENCH_TARGET").then(|| "staging".into()));
    /// ```
    #[must_use]
    pub fn with_env(
        mut self,
        env: impl Fn(&C, &str) -> Option<OsString> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(env);
        self
    }
}

/// What a command line comes to before any action runs.
enum Resolution<C> {
    /// Nothing to run: help, a completion script, the version, or a usage error about a
    /// command that exists.
    Answered(RunOutput),
    /// What a command registered later could change: the words name no command yet, or
    /// a word follows a command's path (help or a usage error for `deploy` that a
    /// `deploy/staging` registered later would take instead).
    Unsettled(RunOutput),
    /// An action to run on its parsed options.
    Action(Arc<ActionFn<C>>, Options),
}

impl<C: Send + 'static> Cli<C> {
    /// Runs the command the arguments name (without the program name) and returns what
    /// happened. `--help`, `-h` and `help <path>` print help; `completion <shell>` prints
    /// a completion script; `--version` (`-V`) prints the version given to
    /// [`with_version`](Cli::with_version) (unless the application registered those paths
    /// itself). An action that panics — or a callback of the application's that the
    /// answer calls (the banner, the translator, the environment lookup) — fails with an
    /// [`INTERNAL`](ErrorCode::INTERNAL) error carrying the panic message (exit code 70,
    /// `EX_SOFTWARE`), instead of unwinding into the caller.
    pub async fn run<I, S>(&self, core: C, args: I) -> RunOutput
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        const OP: &str = "cli.Cli.run";
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let (action, options) = match self.resolve_caught(&core, &args) {
            Resolution::Answered(outcome) | Resolution::Unsettled(outcome) => return outcome,
            Resolution::Action(action, options) => (action, options),
        };
        // The action's call (its synchronous part) and its future, both caught.
        let called =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| action(core, options)));
        let ran = match called {
            Ok(future) => catch_panic(OP, future).await.and_then(|result| result),
            Err(payload) => Err(Error::from_caught(OP, payload)),
        };
        match ran {
            Ok(value) => RunOutput {
                result: Some(Ok(value)),
                stdout: String::new(),
                stderr: String::new(),
                exit_code: EXIT_OK,
            },
            Err(err) => RunOutput::failed(err),
        }
    }

    /// [`resolve`](Cli::resolve), a panic of the application's callbacks it calls (the
    /// banner, the translator, the environment lookup) caught: an `INTERNAL` failure, as
    /// an action's panic is.
    fn resolve_caught(&self, core: &C, args: &[String]) -> Resolution<C> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.resolve(core, args)))
            .unwrap_or_else(|payload| {
                Resolution::Answered(RunOutput::failed(Error::from_caught(
                    "cli.Cli.run",
                    payload,
                )))
            })
    }

    /// What the arguments come to when they run no action — help, a completion script,
    /// the version, or a usage error about a command that exists (a flag it does not
    /// declare, a missing value) — or `None` when they name an action to run, or words
    /// no command is registered at (one registered later may take them: so also when a
    /// word follows the command's path, as `deploy staging --force` after `deploy`). An
    /// application asks this before it starts anything, so that `--help` or a mistyped
    /// flag has no side effects; the top-level help and completion scripts list the
    /// commands registered so far.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// use corers_primitives::Value;
    ///
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("cache/flush", Command::new().action(|_, _| async { Ok(Value::Null) })).unwrap();
    /// assert_eq!(cli.answer_without_action(&(), &["cache", "flush", "--help"]).unwrap().exit_code(), 0);
    /// assert_eq!(cli.answer_without_action(&(), &["cache", "flush", "--al"]).unwrap().exit_code(), 2);
    /// assert!(cli.answer_without_action(&(), &["cache", "flush"]).is_none());
    /// assert!(cli.answer_without_action(&(), &["cache", "warm"]).is_none());
    /// ```
    pub fn answer_without_action<S: AsRef<str>>(&self, core: &C, args: &[S]) -> Option<RunOutput> {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        match self.resolve_caught(core, &args) {
            Resolution::Answered(outcome) => Some(outcome),
            Resolution::Unsettled(_) | Resolution::Action(..) => None,
        }
    }

    /// As [`answer_without_action`](Cli::answer_without_action), taking the commands
    /// registered so far as all there will be: words no command is registered at are a
    /// usage error now (with the closest command), and a word after a command's path is
    /// answered as that command would answer it. For an application whose commands are
    /// all registered before it starts, so that a mistyped command starts nothing, as
    /// clap refuses it.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// use corers_primitives::Value;
    ///
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("cache/flush", Command::new().action(|_, _| async { Ok(Value::Null) })).unwrap();
    /// let typo = cli.answer_with_every_command(&(), &["cache", "flsuh"]).unwrap();
    /// assert_eq!(typo.exit_code(), 2);
    /// assert!(typo.stderr().contains("flush"), "{}", typo.stderr());
    /// assert!(cli.answer_with_every_command(&(), &["cache", "flush"]).is_none());
    /// ```
    pub fn answer_with_every_command<S: AsRef<str>>(
        &self,
        core: &C,
        args: &[S],
    ) -> Option<RunOutput> {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        match self.resolve_caught(core, &args) {
            Resolution::Answered(outcome) | Resolution::Unsettled(outcome) => Some(outcome),
            Resolution::Action(..) => None,
        }
    }

    /// Whether `args` name a command that runs without the application's services (see
    /// [`Command::standalone`]): an application that starts its services before running a
    /// command asks this first.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("init", Command::new().standalone()).unwrap();
    /// cli.register("workspace/list", Command::new()).unwrap();
    /// assert!(cli.runs_standalone(&["init", "--force"]));
    /// assert!(!cli.runs_standalone(&["workspace", "list"]));
    /// ```
    pub fn runs_standalone<S: AsRef<str>>(&self, args: &[S]) -> bool {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        self.tree
            .resolve(&args)
            .is_some_and(|resolved| resolved.command.is_standalone())
    }

    /// Whether `args` run a command that [serves](Command::serves): the application runs
    /// its scheduled Tasks for it alone.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("serve", Command::new().serves()).unwrap();
    /// cli.register("workspace/list", Command::new()).unwrap();
    /// assert!(cli.runs_serving(&["serve", "--port=8080"]));
    /// assert!(!cli.runs_serving(&["workspace", "list"]));
    /// ```
    pub fn runs_serving<S: AsRef<str>>(&self, args: &[S]) -> bool {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        self.tree
            .resolve(&args)
            .is_some_and(|resolved| resolved.command.is_serving())
    }

    /// Resolves `args` to the action to run, or to what they come to without one.
    fn resolve(&self, core: &C, args: &[String]) -> Resolution<C> {
        let flags = || args.iter().take_while(|a| *a != "--");
        let wants_help = flags().any(|a| a == "--help" || a == "-h");
        let Some(resolved) = self.tree.resolve(args) else {
            let wants_version = flags().any(|a| a == "--version" || a == "-V");
            return self.run_builtin(args, wants_help, wants_version);
        };
        // A word right after the path may name a subcommand registered later.
        let answered = |outcome| {
            let next = resolved.path_words.last().map_or(0, |at| at + 1);
            match args.get(next) {
                Some(word) if word != "--" && !word.starts_with('-') => {
                    Resolution::Unsettled(outcome)
                }
                _ => Resolution::Answered(outcome),
            }
        };
        // A word after a group that names nothing under it is an unknown command (also
        // with --help: `workspace craete --help` is a typo, not a question about workspace).
        if resolved.command.action.is_none()
            && let Some((at, word)) = flags()
                .enumerate()
                .find(|(i, a)| !resolved.path_words.contains(i) && !a.starts_with('-'))
        {
            // `workspace help [create]`, as clap gives every group a help subcommand.
            if word == "help" {
                let mut words = vec![resolved.path.clone()];
                words.extend(flags().skip(at + 1).filter(|a| !is_flag(a)).cloned());
                return self.help_of(&words.join("/"));
            }
            return Resolution::Unsettled(self.unknown(&format!("{}/{word}", resolved.path)));
        }
        if wants_help || asks_help(&resolved.command, args) {
            return answered(RunOutput::printed(self.help(&resolved.path)));
        }
        // `deploy -e dev status`: -e is deploy's, and deploy does not run.
        if let Some((flag, parent)) = self.tree.flag_of_a_parent(&resolved, args) {
            let name = flag.split_once('=').map_or(flag, |(name, _)| name);
            return answered(RunOutput::usage_error(
                Error::new(
                    "cli.Cli.run",
                    format!(
                        "flag {} is a flag of {:?}, not of {:?}, the command that runs",
                        name.escape_debug(),
                        parent.replace('/', " "),
                        resolved.path.replace('/', " ")
                    ),
                )
                .with_code(ErrorCode::INVALID),
                &self.help(&resolved.path),
            ));
        }
        let env = |var: &str| (self.env)(core, var);
        let Some(action) = resolved.command.action.clone() else {
            if let Err(err) = parse(&resolved.command, args, &resolved.path_words, &env) {
                return answered(RunOutput::usage_error(err, &self.help(&resolved.path)));
            }
            // A group names no command to run: a usage error with its commands, as the
            // program without any command is (and clap's required subcommand).
            let group = resolved.path.replace('/', " ");
            return answered(RunOutput::usage_error_with_help(
                Error::new("cli.Cli.run", format!("{group} needs a command"))
                    .with_code(ErrorCode::INVALID),
                &self.help(&resolved.path),
            ));
        };
        match parse(&resolved.command, args, &resolved.path_words, &env) {
            Ok(options) => Resolution::Action(action, options),
            Err(err) => answered(RunOutput::usage_error(err, &self.help(&resolved.path))),
        }
    }

    /// What `help <path>` answers: the help of the command or group at `path` (the
    /// program's for `""`), or the unknown-command error.
    fn help_of(&self, path: &str) -> Resolution<C> {
        let path = self.tree.canonical(path);
        if path.is_empty() || self.tree.get(&path).is_some() {
            Resolution::Answered(RunOutput::printed(self.help(&path)))
        } else {
            Resolution::Unsettled(self.unknown(&path))
        }
    }

    /// The usage error for a command line without a command: a `stray` flag named (with
    /// the closest one that would be answered), words after `--` told where they go.
    fn no_command(&self, args: &[String], stray: Option<&str>) -> RunOutput {
        // A flag given without a command is named (`--verbos`, or `--version`
        // when no version was set), with the closest one that would be answered.
        let error =
            |message: String| Error::new("cli.Cli.run", message).with_code(ErrorCode::INVALID);
        match stray {
            Some(flag) => RunOutput::usage_error(
                error(self.unknown_flag(flag, " without a command")),
                &self.help(""),
            ),
            // `app -- workspace list`: words there, but as arguments.
            None if args.iter().rev().skip(1).any(|a| a == "--") => {
                RunOutput::usage_error_with_help(
                    error(
                        "no command given: the words after `--` are arguments; \
                         the command comes before it"
                            .to_owned(),
                    ),
                    &self.help(""),
                )
            }
            None => RunOutput::usage_error_with_help(
                error("no command given".to_owned()),
                &self.help(""),
            ),
        }
    }

    /// No registered command matched: the built-ins, or a usage error.
    fn run_builtin(&self, args: &[String], wants_help: bool, wants_version: bool) -> Resolution<C> {
        let words: Vec<&str> = args
            .iter()
            .take_while(|a| *a != "--")
            // `-5` and `-` are words, shown in the error: only flags are left out.
            .filter(|a| !is_flag(a))
            .map(String::as_str)
            .collect();
        let stray = args
            .iter()
            .take_while(|a| *a != "--")
            .find(|a| is_flag(a) && !matches!(a.as_str(), "-h" | "--help"))
            .map(String::as_str);
        let answered = match words.as_slice() {
            [] if wants_help => RunOutput::printed(self.help("")),
            [] if wants_version && self.version.is_some() => RunOutput::printed(format!(
                "{} {}\n",
                self.name,
                self.version.as_deref().unwrap_or_default()
            )),
            // The built-ins' own help, unless the application took the name.
            ["help", builtin @ ("help" | "completion")] if self.tree.get(builtin).is_none() => {
                RunOutput::printed(self.builtin_help(builtin))
            }
            ["completion", ..] if wants_help => RunOutput::printed(self.builtin_help("completion")),
            // The built-ins take no flags but `--help`, as a command declaring none.
            ["completion", ..] if stray.is_some() => RunOutput::usage_error(
                Error::new("cli.Cli.run", self.unknown_flag(stray.unwrap_or_default(), ""))
                    .with_code(ErrorCode::INVALID),
                &self.builtin_help("completion"),
            ),
            // `help` takes no flags either: `help -x` is a mistake, not a question.
            ["help", ..] if stray.is_some() => RunOutput::usage_error(
                Error::new("cli.Cli.run", self.unknown_flag(stray.unwrap_or_default(), ""))
                    .with_code(ErrorCode::INVALID),
                &self.builtin_help("help"),
            ),
            ["help", rest @ ..] => return self.help_of(&rest.join("/")),
            ["completion"] => RunOutput::usage_error(
                Error::new("cli.Cli.run", "completion needs a shell: bash, zsh or fish")
                    .with_code(ErrorCode::INVALID),
                &self.builtin_help("completion"),
            ),
            ["completion", _, extra, ..] => {
                RunOutput::usage_error(
                    Error::new(
                        "cli.Cli.run",
                        format!("unexpected argument {}: completion takes one shell", corers_primitives::shown_name(extra)),
                    )
                    .with_code(ErrorCode::INVALID),
                    &self.builtin_help("completion"),
                )
            }
            ["completion", shell] => match shell.parse::<Shell>() {
                Ok(_) if !crate::completion::is_command_word(&self.name) => RunOutput::usage_error(
                    Error::new(
                        "cli.Cli.run",
                        format!(
                            "no completion script for {:?}: a script names the program as it is typed, \
                             so its name must be a plain command word (letters, digits, '.', '_', '+', '-')",
                            self.name
                        ),
                    )
                    .with_code(ErrorCode::INVALID),
                    &self.help(""),
                ),
                Ok(shell) => RunOutput::printed(self.completion(shell)),
                Err(err) => RunOutput::usage_error(err, &self.builtin_help("completion")),
            },
            [] => self.no_command(args, stray),
            words => {
                // `--sett x=1`, `--name alpha`: the first word is the value of a flag
                // nothing declares, not a mistyped command — unless it is close to one.
                let first = args.iter().position(|a| a == words[0]);
                let flag = first
                    .and_then(|at| at.checked_sub(1))
                    .map(|before| &args[before])
                    .filter(|flag| is_flag(flag) && !flag.contains('=') && !self.knows(flag));
                if let Some(flag) = flag
                    && self.closest_command(&words.join("/")).is_none()
                {
                    return Resolution::Unsettled(RunOutput::usage_error(
                        Error::new("cli.Cli.run", self.unknown_flag(flag, " without a command"))
                            .with_code(ErrorCode::INVALID),
                        &self.help(""),
                    ));
                }
                return Resolution::Unsettled(self.unknown(&words.join("/")));
            }
        };
        Resolution::Answered(answered)
    }

    /// The flags the program answers without a command: `--help`, `--version` when it has
    /// one, and the global flags (`--set`).
    fn top_flags(&self) -> Vec<String> {
        let mut known = vec!["--help".to_owned()];
        if self.version.is_some() {
            known.push("--version".to_owned());
        }
        known.extend(
            self.global_flags()
                .into_iter()
                .map(|(long, _, _)| format!("--{long}")),
        );
        known
    }

    /// Whether `flag` (`-h`, `--set`) is one the program answers without a command.
    fn knows(&self, flag: &str) -> bool {
        let name = flag.split('=').next().unwrap_or(flag);
        matches!(name, "-h" | "-V") || self.top_flags().iter().any(|known| known == name)
    }

    /// "unknown flag --sett; did you mean --set?": `flag` named as typed (its value left
    /// out, control characters escaped), with the closest flag the program answers.
    fn unknown_flag(&self, flag: &str, placed: &str) -> String {
        let name = flag.split('=').next().unwrap_or(flag);
        let known = self.top_flags();
        // `--help=1`, `--version=3`: the flag is right, its value is not.
        if matches!(name, "--help" | "--version") && known.iter().any(|k| k == name) {
            return format!("flag {name} takes no value");
        }
        let close = corers_primitives::closest(name, known.iter().map(String::as_str))
            .filter(|close| *close != name);
        crate::parse::unknown_flag_message(
            name,
            placed,
            close.map(|close| format!("did you mean {close}?")),
        )
    }

    /// The usage error for words that name no command, with the closest listed path as a
    /// suggestion. Each path is held against as many words as it has, so the arguments
    /// after a mistyped name do not count (`wrkspace create alpha`: "workspace create").
    fn unknown(&self, path: &str) -> RunOutput {
        let words: Vec<&str> = path.split('/').collect();
        let known = self.known_words(&words);
        let closest = self.closest_command(path);
        let (typed, suggestion) = match &closest {
            Some(suggested) => (
                words[..suggested.split('/').count()].join("/"),
                format!("; did you mean {:?}?", suggested.replace('/', " ")),
            ),
            None => (path.to_owned(), String::new()),
        };
        let error = Error::new(
            "cli.Cli.run",
            format!(
                "unknown command {}{suggestion}",
                corers_primitives::shown_name(&typed.replace('/', " "))
            ),
        )
        .with_code(ErrorCode::NOT_FOUND);
        // The help of the deepest group the words name: what could stand there — all of
        // it when nothing is close, the commands listed being the answer.
        let help = self.help(&words[..known].join("/"));
        if closest.is_some() {
            RunOutput::usage_error(error, &help)
        } else {
            RunOutput::usage_error_with_help(error, &help)
        }
    }

    /// How many of `words`, from the first, name a command or a group.
    fn known_words(&self, words: &[&str]) -> usize {
        (1..=words.len())
            .take_while(|n| self.tree.get(&words[..*n].join("/")).is_some())
            .last()
            .unwrap_or(0)
    }

    /// The listed path the words of `path` most likely meant, when one is close.
    fn closest_command(&self, path: &str) -> Option<String> {
        let words: Vec<&str> = path.split('/').collect();
        // The words that name a command or a group are not the mistake: the first that
        // does not is, held against the visible words that could stand there.
        let known = self.known_words(&words);
        let closest = words.get(known).and_then(|typo| {
            let children: Vec<String> = self
                .tree
                .children(&words[..known].join("/"))
                .into_iter()
                .filter(|child| self.tree.is_suggestable(child))
                .collect();
            let word = |child: &'_ String| child.rsplit('/').next().unwrap_or(child).to_owned();
            let words: Vec<String> = children.iter().map(word).collect();
            let close = corers_primitives::closest(typo, words.iter().map(String::as_str))?;
            children.into_iter().find(|child| word(child) == close)
        });
        // The suggestion goes on with the words after the typo while they name commands
        // (`wrkspace create alpha`: "workspace create").
        closest.map(|mut suggested| {
            for word in &words[known + 1..] {
                let next = format!("{suggested}/{word}");
                if !self.tree.is_suggestable(&next) {
                    break;
                }
                suggested = next;
            }
            suggested
        })
    }
}

impl<C> fmt::Debug for Cli<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cli")
            .field("name", &self.name)
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}
