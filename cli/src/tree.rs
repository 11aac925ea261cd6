//! [`CommandTree`]: commands by path, with placeholders for parents and longest-match
//! resolution.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use corers_primitives::{Error, ErrorCode, Registry, Result, Value};

use crate::parse::{find_long, is_flag, parse_value};
use crate::{Command, Flag, FlagKind};

/// Checks a command path: segments separated by single `/`, none empty, none starting with
/// `-`, no whitespace or control characters.
///
/// ```
/// use corers_cli::validate_command_path;
/// assert!(validate_command_path("deploy/to/homelab").is_ok());
/// assert!(validate_command_path("deploy//to").is_err());
/// ```
///
/// # Errors
/// [`ErrorCode::INVALID`] naming the path and what is wrong with it.
pub fn validate_command_path(path: &str) -> Result<()> {
    let reason = if path.is_empty() {
        "empty"
    } else if path.starts_with('/') {
        "leading slash"
    } else if path.ends_with('/') {
        "trailing slash"
    } else if path.contains("//") {
        "double slash"
    } else if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "whitespace or control character"
    } else if path.split('/').any(|s| s.starts_with('-')) {
        "a segment starts with '-'"
    } else if path
        .chars()
        .any(|c| !(c.is_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | ':' | '@' | '+')))
    {
        "only letters, digits and - _ . : @ + may name a command"
    } else {
        return Ok(());
    };
    Err(Error::new(
        "cli.CommandTree.register",
        format!("invalid command path {path:?}: {reason}"),
    )
    .with_code(ErrorCode::INVALID))
}

/// Every command of a CLI by path, with auto-created placeholder parents.
pub struct CommandTree<C> {
    commands: Registry<Command<C>>,
    /// Alias path → canonical path.
    aliases: Registry<String>,
    /// Serialises registrations: each checks the tree and publishes as one step, so two
    /// racing registrations of a path cannot both succeed, nor a placeholder parent
    /// overwrite a command registered meanwhile.
    registering: Mutex<()>,
    /// The long names and short letters of the program's global flags, which no command
    /// may declare: they are taken out of every command line before a command sees it.
    global: Vec<(String, Option<char>)>,
}

/// A command found for some arguments: its path, the command, and which argument
/// positions spelled the path.
pub(crate) struct Resolved<C> {
    pub(crate) path: String,
    pub(crate) command: Arc<Command<C>>,
    pub(crate) path_words: Vec<usize>,
}

/// Refuses flags and positionals a user could never reach or tell apart: a name used twice
/// (among flags, short flags, or positionals and flags), `-h` (always help), a `global`
/// flag's name or letter, and names that are empty, start with `-`, or hold anything but
/// letters, digits, `-`, `_` and `.` — the names go into completion scripts, where `$`,
/// quotes or backticks would be shell code.
fn check_declarations<C>(
    path: &str,
    command: &Command<C>,
    global: &[(String, Option<char>)],
) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::new(
            "cli.CommandTree.register",
            format!("command {path:?}: {what}"),
        )
        .with_code(ErrorCode::INVALID))
    };
    let unusable = |name: &str| {
        name.is_empty()
            || name.starts_with('-')
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut shorts: Vec<char> = Vec::new();
    for flag in &command.flags {
        if unusable(&flag.name) {
            return refuse(format!(
                "flag name {:?} cannot be typed as --name",
                flag.name
            ));
        }
        if flag.name == "help" {
            return refuse("--help is help: it cannot be a flag of its own".to_owned());
        }
        if seen.contains(&flag.name.as_str()) {
            return refuse(format!("flag --{} is declared twice", flag.name));
        }
        if let Some((long, _)) = global
            .iter()
            .find(|(long, short)| *long == flag.name || (short.is_some() && *short == flag.short))
        {
            return refuse(format!(
                "flag --{} is taken by the program's global flag --{long}, which every \
                 command line gives up before its command sees it",
                flag.name
            ));
        }
        seen.push(&flag.name);
        if let Some(default) = &flag.default
            && let Err(why) = check_default(flag, default)
        {
            return refuse(format!("flag --{}'s default {default}: {why}", flag.name));
        }
        if let Some(short) = flag.short {
            if short == 'h' {
                return refuse(format!(
                    "-h is help: it cannot be --{}'s short form",
                    flag.name
                ));
            }
            if shorts.contains(&short) {
                return refuse(format!(
                    "short flag -{short} of --{} is taken by another flag",
                    flag.name
                ));
            }
            if !short.is_alphabetic() {
                return refuse(format!(
                    "short flag -{short} of --{} is not a letter (a digit would read as a \
                     negative number)",
                    flag.name
                ));
            }
            shorts.push(short);
        }
    }
    if let Some(why) = misordered(&command.positionals) {
        return refuse(why);
    }
    for positional in &command.positionals {
        if unusable(&positional.name) || positional.name == "_args" || positional.name == "_arg" {
            return refuse(format!(
                "positional name {:?} is not usable",
                positional.name
            ));
        }
        if seen.contains(&positional.name.as_str()) {
            return refuse(format!(
                "{:?} names both a flag and a positional, or two positionals",
                positional.name
            ));
        }
        seen.push(&positional.name);
    }
    Ok(())
}

/// Why positionals declared in this order could not all be filled, if they could not: a
/// [`many`](crate::Positional::many) one before the last takes the words of those after
/// it, and a required one after an optional one is never reached by the first word.
fn misordered(positionals: &[crate::Positional]) -> Option<String> {
    if let Some(first) = positionals.iter().rev().skip(1).find(|p| p.many) {
        return Some(format!(
            "positional <{}> takes every word left: it must be the last one",
            first.name
        ));
    }
    let optional = positionals.iter().position(|p| !p.required)?;
    positionals[optional..]
        .iter()
        .find(|p| p.required)
        .map(|late| {
            format!(
                "required positional <{}> comes after optional <{}>, which the first word would \
             always fill",
                late.name, positionals[optional].name
            )
        })
}

/// Why `default` cannot be `flag`'s value, if it cannot: text is read as if typed on the
/// command line; any other value must already be of the flag's kind (a number for a
/// duration is milliseconds, its delivered form).
fn check_default(flag: &Flag, default: &Value) -> std::result::Result<(), String> {
    match (default, &flag.kind) {
        (Value::String(text), _) => parse_value(flag, text)
            .map(drop)
            .map_err(|err| err.message().to_owned()),
        (Value::Int(ms), FlagKind::Duration) if *ms < 0 => {
            Err("a duration is not negative".to_owned())
        }
        (Value::Int(_), FlagKind::Int | FlagKind::Float | FlagKind::Duration)
        | (Value::Float(_), FlagKind::Float)
        | (Value::Bool(_), FlagKind::Bool)
        | (Value::List(_), FlagKind::List) => Ok(()),
        (other, kind) => Err(format!("expected {kind}, found {}", other.kind())),
    }
}

/// Reports whether `command` knows `flag` (`--env`, `--env=prod`, `--no-verbose`, `-ve`,
/// `-v=true`) as the parser reads it: it declares it, it is help, or the command takes
/// loose flags.
fn knows<C>(command: &Command<C>, flag: &str) -> bool {
    if command.loose_flags || flag == "--help" {
        return true;
    }
    match flag.strip_prefix("--") {
        Some(long) => {
            let name = long.split_once('=').map_or(long, |(name, _)| name);
            find_long(command, name).is_some()
        }
        None => !matches!(read_bundle(command, flag), Bundle::Unknown),
    }
}

/// Whether the word at `at` may be the value of the flag before it: one written without `=`.
fn maybe_value(args: &[String], at: usize) -> bool {
    at > 0 && is_flag(&args[at - 1]) && !args[at - 1].contains('=')
}

/// Whether the command a reading of `args` found bears it out, the words at `values`
/// taken as flags' values: it knows every flag before the path's last word, the path's
/// first word is not the value of one of them, and each of `values` is.
fn borne_out<C>(args: &[String], resolved: &Resolved<C>, values: &[usize]) -> bool {
    let command = resolved.command.as_ref();
    let first = resolved.path_words[0];
    let last = resolved.path_words[resolved.path_words.len() - 1];
    args[..last]
        .iter()
        .filter(|arg| is_flag(arg))
        .all(|flag| knows(command, flag))
        && !(maybe_value(args, first) && takes_value(command, &args[first - 1]))
        && values
            .iter()
            .all(|&value| takes_value(command, &args[value - 1]))
}

/// Reports whether the word after `flag` is its value: `flag` names a flag of `command`
/// that takes one (`--env`, `-e`), or is a bundle of short flags read as the parser reads
/// it (`-ve`: `-v` then `-e`, whose value comes next; `-eprod` carries its value inside).
fn takes_value<C>(command: &Command<C>, flag: &str) -> bool {
    match flag.strip_prefix("--") {
        Some(long) => find_long(command, long).is_some_and(|(f, _)| f.kind != FlagKind::Bool),
        None => matches!(read_bundle(command, flag), Bundle::Value { at_end: true }),
    }
}

/// Reports whether `args` ask for `command`'s help inside a bundle of short flags
/// (`-vh`: `-v`, then help), read as the parser reads it (`-nhello` is `-n hello`).
pub(crate) fn asks_help<C>(command: &Command<C>, args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .filter(|a| is_flag(a) && !a.starts_with("--"))
        .any(|bundle| matches!(read_bundle(command, bundle), Bundle::Help))
}

/// How the parser reads a bundle of short flags (`-ve`) against `command`'s flags.
enum Bundle {
    /// Every letter a bool flag.
    Bools,
    /// `-h` before any letter that takes a value.
    Help,
    /// A letter that takes a value; the rest of the bundle is that value, or, when the
    /// letter ends the bundle, the next word is.
    Value { at_end: bool },
    /// A letter the command does not declare.
    Unknown,
}

fn read_bundle<C>(command: &Command<C>, bundle: &str) -> Bundle {
    let shorts: Vec<char> = bundle.chars().skip(1).collect();
    // A loose command reads a word whose first letter it does not declare as one loose
    // flag (`-host=db.lan`), not as letters.
    if command.loose_flags
        && !shorts
            .first()
            .is_some_and(|&c| command.flags.iter().any(|f| f.short == Some(c)))
    {
        return Bundle::Unknown;
    }
    for (at, &short) in shorts.iter().enumerate() {
        // `-h` is never a declared short: always help.
        if short == 'h' {
            return Bundle::Help;
        }
        match command.flags.iter().find(|f| f.short == Some(short)) {
            Some(declared) if declared.kind != FlagKind::Bool => {
                return Bundle::Value {
                    at_end: at + 1 == shorts.len(),
                };
            }
            // `-v=true`: the rest is the bool's value.
            Some(_) if shorts.get(at + 1) == Some(&'=') => return Bundle::Bools,
            Some(_) => {}
            None => return Bundle::Unknown,
        }
    }
    Bundle::Bools
}

impl<C> Default for CommandTree<C> {
    fn default() -> Self {
        CommandTree {
            commands: Registry::new("commands"),
            aliases: Registry::new("command aliases"),
            registering: Mutex::new(()),
            global: Vec::new(),
        }
    }
}

impl<C> CommandTree<C> {
    /// An empty tree.
    pub fn new() -> CommandTree<C> {
        CommandTree::default()
    }

    /// Keeps the global flag `--long` (and `-short`) from the commands registered from now
    /// on.
    pub(crate) fn reserve(&mut self, long: String, short: Option<char>) {
        self.global.push((long, short));
    }

    /// Registers `command` at `path`, creating placeholder parents. A placeholder at `path`
    /// is given the command, keeping its description and hidden flag when the command has
    /// none of its own; its children stay where they are.
    ///
    /// ```
    /// use corers_cli::{Command, CommandTree};
    /// let tree: CommandTree<()> = CommandTree::new();
    /// tree.register("deploy/to/homelab", Command::new().description("ship it")).unwrap();
    /// assert_eq!(tree.paths(), ["deploy", "deploy/to", "deploy/to/homelab"]);
    /// ```
    ///
    /// # Errors
    /// [`ErrorCode::INVALID`] for a malformed path, or declarations no user could reach or
    /// tell apart (a flag or positional name used twice or malformed, `--help` / `-h`
    /// or a [global flag](crate::Cli::with_global_flag) taken, a digit as a short flag, a
    /// default that does not fit its kind, a required positional after an optional one);
    /// [`ErrorCode::CONFLICT`] when an executable command is already registered there, or
    /// an alias clashes with another command's word.
    pub fn register(&self, path: &str, mut command: Command<C>) -> Result<()> {
        validate_command_path(path)?;
        check_declarations(path, &command, &self.global)?;
        let _registering = self
            .registering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.aliases.has(path) {
            return Err(Error::new(
                "cli.CommandTree.register",
                format!("{path:?} is already an alias of {:?}", self.canonical(path)),
            )
            .with_code(ErrorCode::CONFLICT));
        }
        if let Some(existing) = self.commands.get(path) {
            if existing.is_executable() {
                return Err(Error::new(
                    "cli.CommandTree.register",
                    format!("command {path:?} is already registered"),
                )
                .with_code(ErrorCode::CONFLICT));
            }
            if command.description.is_empty() {
                command.description.clone_from(&existing.description);
            }
            command.hidden |= existing.hidden;
        }
        let mut entries: Vec<(String, Command<C>)> = Vec::new();
        let mut prefix = String::new();
        let segments: Vec<&str> = path.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            if self.aliases.has(&prefix) {
                return Err(Error::new(
                    "cli.CommandTree.register",
                    format!(
                        "{path:?} would go under {prefix:?}, an alias of {:?}: register it \
                         under that path",
                        self.canonical(&prefix)
                    ),
                )
                .with_code(ErrorCode::CONFLICT));
            }
            if !self.commands.has(&prefix) {
                entries.push((prefix.clone(), Command::new()));
            }
        }
        let parent = path.rsplit_once('/').map(|(p, _)| p);
        let alias_paths: Vec<(String, String)> = command
            .aliases
            .iter()
            .map(|alias| {
                let alias_path = parent.map_or_else(|| alias.clone(), |p| format!("{p}/{alias}"));
                (alias_path, path.to_owned())
            })
            .collect();
        for (alias_path, _) in &alias_paths {
            validate_command_path(alias_path)?;
            if self.commands.has(alias_path) || self.aliases.has(alias_path) {
                return Err(Error::new(
                    "cli.CommandTree.register",
                    format!("alias {alias_path:?} is already taken"),
                )
                .with_code(ErrorCode::CONFLICT));
            }
        }
        entries.push((path.to_owned(), command));
        // Parents first, then the command: one publish, nothing half-registered.
        self.publish(entries)?;
        for (alias_path, canonical) in alias_paths {
            self.aliases.set(&alias_path, canonical)?;
        }
        Ok(())
    }

    fn publish(&self, entries: Vec<(String, Command<C>)>) -> Result<()> {
        let names: Vec<String> = entries.iter().map(|(p, _)| p.clone()).collect();
        self.commands.set_many(
            names
                .iter()
                .map(String::as_str)
                .zip(entries.into_iter().map(|(_, c)| c)),
        )
    }

    /// The command at `path` (following an alias), if any.
    ///
    /// ```
    /// use corers_cli::{Command, CommandTree};
    /// let tree: CommandTree<()> = CommandTree::new();
    /// tree.register("workspace/remove", Command::new().alias("rm")).unwrap();
    /// assert!(tree.get("workspace/rm").is_some());
    /// ```
    pub fn get(&self, path: &str) -> Option<Arc<Command<C>>> {
        self.commands.get(path).or_else(|| {
            self.aliases
                .get(path)
                .and_then(|canonical| self.commands.get(&canonical))
        })
    }

    /// Every path, placeholders included, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = self.commands.names();
        paths.sort();
        paths
    }

    /// The direct children of `path` (`""` for the top level), sorted.
    pub fn children(&self, path: &str) -> Vec<String> {
        let depth = if path.is_empty() {
            1
        } else {
            path.split('/').count() + 1
        };
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self.paths()
            .into_iter()
            .filter(|p| p.starts_with(&prefix) && p.split('/').count() == depth)
            .collect()
    }

    /// Finds the command the arguments name: the longest run of consecutive non-flag words
    /// that is a registered path (flags may sit before, between and after the words). The
    /// path may start after words that are values of leading flags (`--name alpha
    /// workspace create`). Of the readings the words allow, the first that the command
    /// itself bears out wins: every flag before the path's last word is one it knows, and
    /// the words skipped are values of its flags, not the path's first word (`--name cache
    /// workspace create` is `workspace/create` named `cache`, not the `cache` command). A
    /// word the path took right after a flag the command does not know may be that flag's
    /// value instead: `workspace --name list create` is `workspace/create` named `list`.
    pub(crate) fn resolve(&self, args: &[String]) -> Option<Resolved<C>> {
        const MAX_REJECTED_READINGS: usize = 8;
        let mut words: Vec<(usize, &str)> = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            if arg == "--" {
                break;
            }
            if !is_flag(arg) {
                words.push((i, arg));
            }
        }
        let maybe_value = |at: usize| maybe_value(args, at);
        let mut first = None;
        let mut rejected = 0;
        for start in 0..words.len() {
            // Words skipped before the path must all be values of the flags before them.
            if start > 0 && !maybe_value(words[start - 1].0) {
                break;
            }
            let Some(resolved) = self.resolve_from(args, &words[start..], maybe_value) else {
                continue;
            };
            let mut values: Vec<usize> = words[..start].iter().map(|&(at, _)| at).collect();
            if borne_out(args, &resolved, &values) {
                return Some(resolved);
            }
            // The reading with the path's words after flags taken as their values.
            let taken: Vec<usize> = resolved.path_words[1..]
                .iter()
                .copied()
                .filter(|&at| maybe_value(at))
                .collect();
            if !taken.is_empty() {
                let rest: Vec<(usize, &str)> = words[start..]
                    .iter()
                    .filter(|(at, _)| !taken.contains(at))
                    .copied()
                    .collect();
                values.extend_from_slice(&taken);
                if let Some(other) = self.resolve_from(args, &rest, maybe_value)
                    && borne_out(args, &other, &values)
                {
                    return Some(other);
                }
            }
            // Readings a command does not bear out are rare; many of them are hostile
            // input (`--a cache` a hundred thousand times), not worth a quadratic search.
            rejected += 1;
            if rejected == MAX_REJECTED_READINGS {
                break;
            }
            first.get_or_insert(resolved);
        }
        // No reading fits: the first, whose parse then says what is wrong.
        first
    }

    /// The longest registered path among `words` (from the first), skipping values of the
    /// flags of the command found so far.
    fn resolve_from(
        &self,
        args: &[String],
        words: &[(usize, &str)],
        maybe_value: impl Fn(usize) -> bool,
    ) -> Option<Resolved<C>> {
        let mut best: Option<(String, Arc<Command<C>>, Vec<usize>)> = None;
        let mut path = String::new();
        let mut used: Vec<usize> = Vec::new();
        for &(at, word) in words {
            // The value of a flag the command found so far declares (`deploy --env
            // status`: `status` is the environment, not the `deploy/status` command).
            if let Some((_, command, _)) = &best
                && maybe_value(at)
                && takes_value(command.as_ref(), &args[at - 1])
            {
                continue;
            }
            let candidate = if path.is_empty() {
                word.to_owned()
            } else {
                format!("{path}/{word}")
            };
            if let Some(command) = self.get(&candidate) {
                used.push(at);
                // Walked on from the path an alias stands for: its children are there.
                path = self
                    .aliases
                    .get(&candidate)
                    .map_or(candidate, |c| c.as_ref().clone());
                best = Some((path.clone(), command, used.clone()));
            } else if !path.is_empty() && maybe_value(at) {
                // `deploy --replicas 3 to homelab`: skip the value, keep walking.
            } else {
                // Every prefix of a registered path is registered (placeholders), so
                // nothing longer can match either.
                break;
            }
        }
        best.map(|(path, command, path_words)| Resolved {
            path,
            command,
            path_words,
        })
    }

    /// The first flag given before the path's last word that the command at its end does
    /// not know but a command above it on the path declares, and that command's path:
    /// `-e` and `deploy` for `deploy -e dev status` (flags belong to the command run).
    pub(crate) fn flag_of_a_parent<'a>(
        &self,
        resolved: &Resolved<C>,
        args: &'a [String],
    ) -> Option<(&'a str, String)> {
        let last = *resolved.path_words.last()?;
        let path = &resolved.path;
        args[..last]
            .iter()
            .filter(|arg| is_flag(arg) && !knows(&resolved.command, arg))
            .find_map(|flag| {
                path.match_indices('/').find_map(|(at, _)| {
                    let parent = self.get(&path[..at])?;
                    (!parent.loose_flags && knows(&parent, flag))
                        .then(|| (flag.as_str(), path[..at].to_owned()))
                })
            })
    }

    /// The registered path an alias path stands for (a path stands for itself).
    pub(crate) fn canonical(&self, path: &str) -> String {
        self.aliases
            .get(path)
            .map_or_else(|| path.to_owned(), |c| c.as_ref().clone())
    }

    /// Reports whether help lists `path`: runnable, and neither it nor a group above it
    /// hidden.
    pub(crate) fn is_listed(&self, path: &str) -> bool {
        self.commands.get(path).is_some_and(|c| c.is_executable()) && self.is_suggestable(path)
    }

    /// Reports whether a suggestion may name `path`: visible, and no group above it hidden
    /// (a group counts, through the commands beneath it).
    pub(crate) fn is_suggestable(&self, path: &str) -> bool {
        let shown = |path: &str| self.commands.get(path).is_none_or(|c| !c.hidden);
        self.is_visible(path) && path.match_indices('/').all(|(at, _)| shown(&path[..at]))
    }

    /// Whether `path` shows in help and completions: not hidden, and runnable itself or
    /// through a visible child.
    pub(crate) fn is_visible(&self, path: &str) -> bool {
        let Some(command) = self.commands.get(path) else {
            return false;
        };
        !command.hidden
            && (command.is_executable()
                || self
                    .children(path)
                    .iter()
                    .any(|child| self.is_visible(child)))
    }
}

impl<C> fmt::Debug for CommandTree<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandTree")
            .field("paths", &self.paths())
            .finish()
    }
}
