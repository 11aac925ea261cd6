//! Help text: the top-level command list, a command's usage, a placeholder's subcommands.

use std::fmt::Write as _;

use crate::{Cli, Command, Flag, FlagKind};

impl<C> Cli<C> {
    /// The help for `path` (`""` for the top level): usage, description, flags with types,
    /// defaults and environment variables, and subcommands. Hidden commands are left out.
    ///
    /// ```
    /// use corers_cli::{Cli, Command};
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("cache/flush", Command::new().description("flush every cache")
    ///     .action(|_, _| async { Ok(corers_primitives::Value::Null) })).unwrap();
    /// assert!(cli.help("").contains("cache flush    flush every cache"));
    /// ```
    pub fn help(&self, path: &str) -> String {
        if path.is_empty() {
            return self.top_help();
        }
        match self.tree.get(path) {
            Some(command) => self.command_help(path, &command),
            None => self.top_help(),
        }
    }

    fn top_help(&self) -> String {
        let mut out = String::new();
        if let Some(banner) = &self.banner {
            // The banner is text, never a format string.
            out.push_str(&banner());
            out.push_str("\n\n");
        }
        let _ = writeln!(out, "Usage: {} <command> [flags]\n", self.name);
        let listed: Vec<(String, String)> = self
            .tree
            .paths()
            .into_iter()
            .filter_map(|path| {
                let command = self.tree.get(&path)?;
                self.tree
                    .is_listed(&path)
                    .then(|| (self.describe(&path, &command), path))
            })
            // As typed: words, not the tree's path.
            .map(|(description, path)| (path.replace('/', " "), description))
            .collect();
        if listed.is_empty() {
            out.push_str("No commands.\n");
        } else {
            out.push_str("Commands:\n");
            write_table(&mut out, &listed);
        }
        out.push_str("\nFlags:\n");
        let mut flags = vec![("-h, --help".to_owned(), "show this help".to_owned())];
        if self.version.is_some() {
            flags.push(("-V, --version".to_owned(), "show the version".to_owned()));
        }
        flags.extend(self.global_rows());
        write_table(&mut out, &flags);
        let _ = write!(
            out,
            "\nRun '{name} help <command>' for a command's flags.\n\
             Run '{name} completion <bash|zsh|fish>' for a completion script.\n",
            name = self.name
        );
        out
    }

    /// The help of the built-in `help` or `completion`.
    pub(crate) fn builtin_help(&self, builtin: &str) -> String {
        let name = &self.name;
        if builtin == "help" {
            return format!(
                "Usage: {name} help [<command>]\n\n\
                 Shows a command's flags, or, with no command named, the commands.\n"
            );
        }
        format!(
            "Usage: {name} completion <bash|zsh|fish>\n\n\
             Prints a completion script for the shell. To install it:\n  \
             bash    add 'eval \"$({name} completion bash)\"' to ~/.bashrc\n  \
             zsh     {name} completion zsh > ~/.zfunc/_{name}  (with ~/.zfunc on $fpath)\n  \
             fish    {name} completion fish > ~/.config/fish/completions/{name}.fish\n"
        )
    }

    /// The rows of the [global flags](Cli::with_global_flag) in a flags table: a long flag
    /// alone lines up with the long forms, as a command's do.
    fn global_rows(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.global_flags.iter().map(|(spelling, description)| {
            let pad = if spelling.starts_with("--") {
                "    "
            } else {
                ""
            };
            (format!("{pad}{spelling}"), description.clone())
        })
    }

    fn command_help(&self, path: &str, command: &Command<C>) -> String {
        let mut out = String::new();
        let words = path.replace('/', " ");
        let mut usage = format!("Usage: {} {words}", self.name);
        if !command.is_executable() {
            usage.push_str(" <command>");
        }
        // The flags that must be given by name, as clap shows them; the rest as [flags].
        for flag in command.flags.iter().filter(|f| f.required) {
            if flag.kind == FlagKind::Bool {
                let _ = write!(usage, " --{}", flag.name);
            } else {
                let _ = write!(usage, " --{} <{}>", flag.name, flag.kind);
            }
        }
        if !command.flags.is_empty() || command.is_executable() {
            usage.push_str(" [flags]");
        }
        for positional in &command.positionals {
            let more = if positional.many { "..." } else { "" };
            if positional.required {
                let _ = write!(usage, " <{}>{more}", positional.name);
            } else {
                let _ = write!(usage, " [<{}>{more}]", positional.name);
            }
        }
        let _ = writeln!(out, "{usage}");
        let description = self.describe(path, command);
        if !description.is_empty() {
            let _ = writeln!(out, "\n{description}");
        }
        if !command.positionals.is_empty() {
            out.push_str("\nArguments:\n");
            let rows: Vec<(String, String)> = command
                .positionals
                .iter()
                .map(|p| {
                    let required = if p.required { " (required)" } else { "" };
                    (
                        format!("<{}>", p.name),
                        format!("{}{required}", p.help).trim().to_owned(),
                    )
                })
                .collect();
            write_table(&mut out, &rows);
        }
        // A group's too: `-h` and the program's own flags work after any command, as clap
        // lists its global arguments with each command's.
        out.push_str("\nFlags:\n");
        let mut rows: Vec<(String, String)> = command.flags.iter().map(flag_row).collect();
        rows.push(("-h, --help".to_owned(), "show this help".to_owned()));
        rows.extend(self.global_rows());
        write_table(&mut out, &rows);
        let children: Vec<(String, String)> = self
            .tree
            .children(path)
            .into_iter()
            .filter_map(|child| {
                let command = self.tree.get(&child)?;
                self.tree.is_visible(&child).then(|| {
                    let name = child.rsplit('/').next().unwrap_or(&child).to_owned();
                    (name, self.describe(&child, &command))
                })
            })
            .collect();
        if !children.is_empty() {
            out.push_str("\nSubcommands:\n");
            write_table(&mut out, &children);
        }
        out
    }

    /// The description shown for `path`: the translation of its i18n key when the
    /// translator has one, else the literal description.
    fn describe(&self, path: &str, command: &Command<C>) -> String {
        let key = command
            .i18n_key
            .clone()
            .unwrap_or_else(|| format!("cmd.{}.description", path.replace('/', ".")));
        self.translator
            .as_ref()
            .and_then(|translate| translate(&key))
            .filter(|text| !text.is_empty() && *text != key)
            .unwrap_or_else(|| command.description.clone())
    }
}

/// Writes rows as two aligned columns, indented by two spaces.
fn write_table(out: &mut String, rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(left, _)| left.chars().count())
        .max()
        .unwrap_or(0);
    for (left, right) in rows {
        if right.is_empty() {
            let _ = writeln!(out, "  {left}");
        } else {
            let pad = width - left.chars().count();
            let _ = writeln!(out, "  {left}{}    {right}", " ".repeat(pad));
        }
    }
}

fn display_value(value: &corers_primitives::Value) -> String {
    match value.as_str() {
        Some(text) => text.to_owned(),
        None => value.to_string(),
    }
}

/// A flag's row in a command's help: its spellings and value, and its description with
/// what is required, its default and its environment variable.
fn flag_row(flag: &Flag) -> (String, String) {
    let short = flag
        .short
        .map_or_else(|| "    ".to_owned(), |c| format!("-{c}, "));
    let value = if flag.kind == FlagKind::Bool {
        String::new()
    } else {
        format!(" <{}>", flag.kind)
    };
    let mut help = flag.help.clone();
    if flag.required {
        help.push_str(" (required)");
    }
    if let Some(default) = &flag.default {
        let shown = match (&flag.kind, default.as_i64()) {
            // A duration is held in milliseconds; a bare number typed on the
            // command line means seconds: show it with its unit.
            (FlagKind::Duration, Some(ms)) if ms % 1000 == 0 => {
                format!("{}s", ms / 1000)
            }
            (FlagKind::Duration, Some(ms)) => format!("{ms}ms"),
            _ => display_value(default),
        };
        let _ = write!(help, " [default: {shown}]");
    }
    if let Some(var) = &flag.env {
        let _ = write!(help, " [env: {var}]");
    }
    (
        format!("{short}--{}{value}", flag.name),
        help.trim().to_owned(),
    )
}
