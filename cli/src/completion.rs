//! Shell completion scripts, generated from the command tree.

use std::fmt::Write as _;
use std::str::FromStr;

use corers_primitives::{Error, ErrorCode};

use crate::{Cli, FlagKind};

/// A shell that [`Cli::completion`] writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shell {
    /// Bash (`eval "$(workbench completion bash)"` in `~/.bashrc`).
    Bash,
    /// Zsh (`workbench completion zsh > ~/.zfunc/_workbench`).
    Zsh,
    /// Fish (`workbench completion fish > ~/.config/fish/completions/workbench.fish`).
    Fish,
}

impl FromStr for Shell {
    type Err = Error;

    fn from_str(name: &str) -> Result<Shell, Error> {
        match name {
            "bash" => Ok(Shell::Bash),
            "zsh" => Ok(Shell::Zsh),
            "fish" => Ok(Shell::Fish),
            other => Err(Error::new(
                "cli.Shell.parse",
                format!(
                    "unknown shell {}: use bash, zsh or fish",
                    corers_primitives::shown_name(other)
                ),
            )
            .with_code(ErrorCode::INVALID)),
        }
    }
}

impl<C> Cli<C> {
    /// A completion script for `shell`: command words at every level of the tree, then the
    /// chosen command's flags, and the [global flags](Cli::with_global_flag) everywhere
    /// (`--help` and, with a version, `--version` at the top); after the built-ins, a
    /// shell (`completion <TAB>`) or a command (`help <TAB>`). Hidden commands are not
    /// offered. The word after a flag that
    /// takes a value (`--name alpha`) is that value, not a command word: an enum flag's
    /// value completes to its choices, a path flag's to file names (after the flag or
    /// joined by `=`), any other value to nothing. The program is
    /// named as the Cli's name when that is a plain command word; otherwise with every
    /// character but letters and digits as `_`, so that no name reaches a shell as code
    /// (the `completion` built-in refuses such a name instead).
    ///
    /// ```
    /// use corers_cli::{Cli, Command, Shell};
    /// let cli: Cli<()> = Cli::new("workbench");
    /// cli.register("workspace/create", Command::new()).unwrap();
    /// assert!(cli.completion(Shell::Bash).contains("complete -F _workbench workbench"));
    /// ```
    pub fn completion(&self, shell: Shell) -> String {
        let levels = self.levels();
        let mut values = self.flag_values();
        // A global flag's value (`--set <key=value>`) is no command word, at any level.
        let global_values = self
            .global_flags()
            .into_iter()
            .filter(|(_, _, takes)| *takes);
        for (long, short, _) in global_values {
            values.extend(levels.iter().map(|(path, _)| FlagValues {
                path: path.clone(),
                long: long.clone(),
                short,
                values: Values::Text,
            }));
        }
        let takes = value_flags(&values);
        match shell {
            Shell::Bash => self.bash(&levels, &takes, &values),
            Shell::Zsh => self.zsh(&levels, &takes, &values),
            Shell::Fish => self.fish(&levels, &takes, &values),
        }
    }

    /// The flags of visible commands that take a value, and what it completes to: an
    /// enum's choices (those that are plain words, see [`is_plain_choice`]), a path's
    /// files, nothing for the others.
    fn flag_values(&self) -> Vec<FlagValues> {
        let mut out = Vec::new();
        for path in self.tree.paths() {
            if !self.tree.is_visible(&path) {
                continue;
            }
            let Some(command) = self.tree.get(&path) else {
                continue;
            };
            for flag in &command.flags {
                let values = match &flag.kind {
                    FlagKind::Enum(choices) => Values::Words(
                        choices
                            .iter()
                            .filter(|c| is_plain_choice(c))
                            .cloned()
                            .collect(),
                    ),
                    FlagKind::Path => Values::Files,
                    FlagKind::Bool => continue,
                    _ => Values::Text,
                };
                out.push(FlagValues {
                    path: path.clone(),
                    long: flag.name.clone(),
                    short: flag.short,
                    values,
                });
            }
        }
        out
    }

    /// The `case` arms of bash and zsh that complete a flag's value, keyed by
    /// `"<command path> <flag word>"`; `words` and `files` make the arm's body.
    fn sh_value_arms(
        out: &mut String,
        values: &[FlagValues],
        words: impl Fn(&[String]) -> String,
        files: &str,
    ) {
        for flag in values {
            let mut keys = vec![format!("\"{} --{}\"", flag.path, flag.long)];
            keys.extend(flag.short.map(|c| format!("\"{} -{c}\"", flag.path)));
            let body = match &flag.values {
                Values::Words(choices) => words(choices),
                Values::Files => files.to_owned(),
                // Nothing to offer: the arm that matches nothing says so.
                Values::Text => continue,
            };
            let _ = writeln!(out, "            {}) {body} ;;", keys.join("|"));
        }
    }

    /// The loop bash and zsh share: walks the words before the cursor into `cmdpath`,
    /// skipping flags and the values of the flags that take one; a command's own words
    /// (`leaves`: commands without subcommands) do not extend it, and `--` ends the walk
    /// (`ended`: nothing after it is a command or a flag).
    fn sh_walk(out: &mut String, words: &str, takes: &[(String, Vec<String>)], leaves: &[String]) {
        let _ = writeln!(out, "    for word in {words}; do");
        out.push_str("        if [[ -n $skip ]]; then skip=\"\"; continue; fi\n");
        out.push_str("        if [[ $word == -- ]]; then ended=1; break; fi\n");
        out.push_str("        if [[ $word == -* ]]; then\n");
        out.push_str("            case \"$cmdpath\" in\n");
        for (path, spellings) in takes {
            let _ = writeln!(
                out,
                "                \"{path}\") takes=\" {} \" ;;",
                spellings.join(" ")
            );
        }
        out.push_str("                *) takes=\" \" ;;\n");
        out.push_str("            esac\n");
        out.push_str(
            "            if [[ $word != *=* && $takes == *\" $word \"* ]]; then skip=\"$word\"; fi\n",
        );
        out.push_str("        else\n");
        out.push_str("            case \"$cmdpath\" in\n");
        if !leaves.is_empty() {
            let quoted: Vec<String> = leaves.iter().map(|leaf| format!("\"{leaf}\"")).collect();
            let _ = writeln!(out, "                {}) ;;", quoted.join("|"));
        }
        out.push_str("                *) cmdpath=\"${cmdpath:+$cmdpath/}$word\" ;;\n");
        out.push_str("            esac\n");
        out.push_str("        fi\n");
        out.push_str("    done\n");
    }

    /// The visible commands that have no subcommands: a word after one is its argument,
    /// not a step down the tree (`workspace create alpha <TAB>` offers create's flags).
    fn leaves(&self) -> Vec<String> {
        self.tree
            .paths()
            .into_iter()
            .filter(|path| self.tree.is_visible(path) && self.tree.children(path).is_empty())
            .collect()
    }

    /// The global flags ([`with_global_flag`](Cli::with_global_flag)), as
    /// [`global_flag`] reads their spellings.
    pub(crate) fn global_flags(&self) -> Vec<(String, Option<char>, bool)> {
        self.global_flags
            .iter()
            .filter_map(|(spelling, _)| global_flag(spelling))
            .collect()
    }

    /// For each path (`""` at the top) the words completing it: child names, then flags;
    /// also the built-ins' own words (`completion <shell>`, `help <command>`).
    fn levels(&self) -> Vec<(String, Vec<String>)> {
        let globals: Vec<String> = self
            .global_flags()
            .into_iter()
            .map(|(long, _, _)| format!("--{long}"))
            .collect();
        let mut paths = vec![String::new()];
        paths.extend(self.tree.paths());
        paths
            .into_iter()
            .filter_map(|path| {
                let mut words: Vec<String> = self
                    .tree
                    .children(&path)
                    .into_iter()
                    .filter(|child| self.tree.is_visible(child))
                    .map(|child| child.rsplit('/').next().unwrap_or(&child).to_owned())
                    .collect();
                if path.is_empty() {
                    words.extend(["help".to_owned(), "completion".to_owned()]);
                    words.push("--help".to_owned());
                    if self.version.is_some() {
                        words.push("--version".to_owned());
                    }
                } else if let Some(command) = self.tree.get(&path) {
                    if !self.tree.is_visible(&path) {
                        return None;
                    }
                    words.extend(command.flags.iter().map(|f| format!("--{}", f.name)));
                    if command.is_executable() {
                        words.push("--help".to_owned());
                    }
                }
                words.extend(globals.iter().cloned());
                (!words.is_empty()).then_some((path, words))
            })
            .chain(self.builtin_levels())
            .collect()
    }

    /// What follows the built-ins: `completion` takes a shell, `help` a command, level
    /// by level (`help workspace <TAB>` offers workspace's commands); not for a name the
    /// application took: its own level stands.
    fn builtin_levels(&self) -> Vec<(String, Vec<String>)> {
        let shells = ["bash", "zsh", "fish"].map(str::to_owned).to_vec();
        let visible_children = |path: &str| -> Vec<String> {
            self.tree
                .children(path)
                .into_iter()
                .filter(|child| self.tree.is_visible(child))
                .map(|child| child.rsplit('/').next().unwrap_or(&child).to_owned())
                .collect()
        };
        let mut levels = vec![("completion".to_owned(), shells)];
        if self.tree.get("help").is_none() {
            levels.push(("help".to_owned(), visible_children("")));
            for path in self.tree.paths() {
                let children = visible_children(&path);
                if self.tree.is_visible(&path) && !children.is_empty() {
                    levels.push((format!("help/{path}"), children));
                }
            }
        }
        levels.retain(|(builtin, _)| builtin != "completion" || self.tree.get(builtin).is_none());
        levels
    }

    fn function_name(&self) -> String {
        self.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }

    /// The program as a word the script can name it by: the name itself when it is a plain
    /// command word (see [`is_command_word`]), else the same with every other character as
    /// `_` — never text a shell would read as more than a name.
    fn command_word(&self) -> String {
        if is_command_word(&self.name) {
            self.name.clone()
        } else {
            self.function_name()
        }
    }

    fn bash(
        &self,
        levels: &[(String, Vec<String>)],
        takes: &[(String, Vec<String>)],
        values: &[FlagValues],
    ) -> String {
        let function = self.function_name();
        let mut out = String::new();
        let program = self.command_word();
        let _ = writeln!(out, "# bash completion for {program}");
        let _ = writeln!(out, "_{function}() {{");
        // The words come from the line itself, split at blanks only: COMP_WORDS is also
        // split at `=`, `:` and `@` (COMP_WORDBREAKS), which would make `--name=alpha`
        // three words and a path word of `db:migrate` two. (Quotes are not read: a quoted
        // value with a blank in it counts as two words. No negative subscripts: bash 3.2.)
        out.push_str(
            "    local line=\"${COMP_LINE:0:COMP_POINT}\" cur=\"\" cmdpath=\"\" word opts=\"\" takes=\"\" skip=\"\" ended=\"\"\n",
        );
        out.push_str("    local -a words\n");
        out.push_str("    read -ra words <<< \"$line\"\n");
        out.push_str(
            "    if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then cur=\"${words[${#words[@]}-1]}\"; unset \"words[${#words[@]}-1]\"; fi\n",
        );
        Self::sh_walk(&mut out, "\"${words[@]:1}\"", takes, &self.leaves());
        out.push_str("    if [[ -n $ended ]]; then COMPREPLY=(); return; fi\n");
        // The word at the cursor is a flag's value: after the flag (`--format <TAB>`, the
        // walk left `skip` set to it), or joined to it (`--format=<TAB>`).
        out.push_str("    local flag=\"$skip\" value=\"$cur\"\n");
        out.push_str(
            "    if [[ -z $flag && $cur == -*=* ]]; then flag=\"${cur%%=*}\"; value=\"${cur#*=}\"; fi\n",
        );
        out.push_str("    if [[ -n $flag ]]; then\n");
        out.push_str("        case \"$cmdpath $flag\" in\n");
        Self::sh_value_arms(
            &mut out,
            values,
            |choices| {
                format!(
                    "COMPREPLY=($(compgen -W '{}' -- \"$value\"))",
                    choices.join(" ")
                )
            },
            // One name per line, whatever blanks or glob characters it holds; shown and
            // inserted as file names (a directory gets its `/`).
            "compopt -o filenames 2>/dev/null; COMPREPLY=(); while IFS= read -r f; do COMPREPLY+=(\"$f\"); done < <(compgen -f -- \"$value\")",
        );
        out.push_str("            *) COMPREPLY=() ;;\n");
        out.push_str("        esac\n");
        out.push_str(
            "        if [[ -z $skip ]]; then COMPREPLY=(\"${COMPREPLY[@]/#/$flag=}\"); fi\n",
        );
        out.push_str("    else\n");
        out.push_str("        case \"$cmdpath\" in\n");
        for (path, words) in levels {
            let _ = writeln!(
                out,
                "            \"{path}\") opts=\"{}\" ;;",
                words.join(" ")
            );
        }
        out.push_str("        esac\n");
        out.push_str("        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n");
        out.push_str("    fi\n");
        // Bash puts a completion in place of the text after the word's last break
        // character (those of COMP_WORDBREAKS, which users change): hand it only that part.
        out.push_str("    local breaks=\"${COMP_WORDBREAKS-:=@}\" broken=\"\" at\n");
        out.push_str("    for ((at = ${#cur} - 1; at >= 0; at--)); do\n");
        out.push_str(
            "        if [[ $breaks == *\"${cur:at:1}\"* ]]; then broken=\"${cur:0:at+1}\"; break; fi\n",
        );
        out.push_str("    done\n");
        out.push_str(
            "    if [[ -n $broken ]]; then COMPREPLY=(\"${COMPREPLY[@]#\"$broken\"}\"); fi\n",
        );
        out.push_str("}\n");
        let _ = writeln!(out, "complete -F _{function} {program}");
        out
    }

    fn zsh(
        &self,
        levels: &[(String, Vec<String>)],
        takes: &[(String, Vec<String>)],
        values: &[FlagValues],
    ) -> String {
        let function = self.function_name();
        let mut out = String::new();
        let program = self.command_word();
        let _ = writeln!(out, "#compdef {program}");
        let _ = writeln!(out, "_{function}() {{");
        // Not `path`: in zsh that is the array tied to $PATH.
        out.push_str("    local cmdpath=\"\" word takes=\"\" skip=\"\" ended=\"\"\n");
        Self::sh_walk(
            &mut out,
            "\"${(@)words[2,CURRENT-1]}\"",
            takes,
            &self.leaves(),
        );
        out.push_str("    if [[ -n $ended ]]; then return; fi\n");
        // A flag's value, after the flag or joined to it (`compset` moves `--format=` out
        // of the word being matched).
        out.push_str("    local flag=\"$skip\"\n");
        out.push_str(
            "    if [[ -z $flag && $words[CURRENT] == -*=* ]]; then flag=\"${words[CURRENT]%%=*}\"; compset -P 1 '*='; fi\n",
        );
        out.push_str("    if [[ -n $flag ]]; then\n");
        out.push_str("        case \"$cmdpath $flag\" in\n");
        Self::sh_value_arms(
            &mut out,
            values,
            |choices| format!("compadd -- {}", quoted_words(choices)),
            "_files",
        );
        out.push_str("        esac\n");
        out.push_str("        return\n");
        out.push_str("    fi\n");
        out.push_str("    case \"$cmdpath\" in\n");
        for (path, words) in levels {
            let _ = writeln!(out, "        \"{path}\") compadd -- {} ;;", words.join(" "));
        }
        out.push_str("    esac\n");
        out.push_str("}\n");
        // Autoloaded from `_name` on $fpath, the first call must complete too.
        let _ = writeln!(
            out,
            "if [[ $funcstack[1] == _{function} ]]; then _{function} \"$@\"; else compdef _{function} {program}; fi"
        );
        out
    }

    fn fish(
        &self,
        levels: &[(String, Vec<String>)],
        takes: &[(String, Vec<String>)],
        values: &[FlagValues],
    ) -> String {
        let function = self.function_name();
        let mut out = String::new();
        let program = self.command_word();
        let _ = writeln!(out, "# fish completion for {program}");
        // The flags of a command path that take a value.
        let _ = writeln!(out, "function __{function}_takes");
        out.push_str("    switch $argv[1]\n");
        for (path, spellings) in takes {
            let _ = writeln!(out, "        case '{path}'");
            let _ = writeln!(out, "            printf '%s\\n' {}", spellings.join(" "));
        }
        out.push_str("    end\n");
        out.push_str("end\n");
        let _ = writeln!(out, "function __{function}_path");
        out.push_str("    set -l path\n");
        out.push_str("    set -l skip\n");
        // A command's own words (those without subcommands) do not extend the path.
        let leaves: Vec<String> = self
            .leaves()
            .iter()
            .map(|leaf| format!("'{leaf}'"))
            .collect();
        let _ = writeln!(out, "    set -l leaves {}", leaves.join(" "));
        out.push_str("    for word in (commandline -opc)[2..-1]\n");
        out.push_str("        if set -q skip[1]\n");
        out.push_str("            set -e skip\n");
        out.push_str("            continue\n");
        out.push_str("        end\n");
        // After `--` nothing is a command or a flag: a path no level has (an empty last
        // part; `set` would take a `--` for the end of its options).
        out.push_str("        if string match -q -- -- $word\n");
        out.push_str("            set path $path ''\n");
        out.push_str("            break\n");
        out.push_str("        end\n");
        out.push_str("        if string match -q -- '-*' $word\n");
        let _ = writeln!(
            out,
            "            if not string match -q -- '*=*' $word; and contains -- $word (__{function}_takes (string join / $path))"
        );
        out.push_str("                set skip 1\n");
        out.push_str("            end\n");
        // Quoted: an empty path is still one (empty) argument for `contains` (a variable,
        // not `"$(…)"`, which fish before 3.4 cannot read).
        out.push_str("        else\n");
        out.push_str("            set -l joined (string join / $path)\n");
        out.push_str("            if not contains -- \"$joined\" $leaves\n");
        out.push_str("                set path $path $word\n");
        out.push_str("            end\n");
        out.push_str("        end\n");
        out.push_str("    end\n");
        out.push_str("    string join / $path\n");
        out.push_str("end\n");
        // Quoted, an empty path is still one (empty) argument for `test`.
        let _ = writeln!(out, "function __{function}_at");
        let _ = writeln!(out, "    set -l path (__{function}_path)");
        out.push_str("    test \"$path\" = \"$argv[1]\"\n");
        out.push_str("end\n");
        for (path, words) in levels {
            let _ = writeln!(
                out,
                "complete -c {program} -f -n '__{function}_at \"{path}\"' -a '{}'",
                words.join(" ")
            );
        }
        // A flag's value: fish knows the flag takes one, after it or joined by `=`.
        for flag in values {
            let short = flag.short.map(|c| format!(" -s {c}")).unwrap_or_default();
            let what = match &flag.values {
                Values::Words(choices) => format!("-x -a '{}'", choices.join(" ")),
                Values::Files => "-r -F".to_owned(),
                // Takes a value, with nothing to offer for it.
                Values::Text => "-x".to_owned(),
            };
            let _ = writeln!(
                out,
                "complete -c {program} -n '__{function}_at \"{}\"' -l {}{short} {what}",
                flag.path, flag.long
            );
        }
        out
    }
}

/// Whether `name` can stand in a completion script as the program's name: ASCII letters,
/// digits, `.`, `_`, `+` and `-`, not starting with `-` (no space, quote or character a
/// shell would read as more than a name).
pub(crate) fn is_command_word(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

/// The values a flag of one command completes to.
struct FlagValues {
    path: String,
    long: String,
    short: Option<char>,
    values: Values,
}

enum Values {
    /// An enum's choices.
    Words(Vec<String>),
    /// Files and directories (a path flag).
    Files,
    /// Free text, a number, a duration: nothing to offer.
    Text,
}

/// Whether an enum choice can be offered in a script as it is: ASCII letters, digits and
/// `.`, `_`, `+`, `-`, `:`, `/`, `@`, `,`, `%` — no blank, quote, `$` or glob. Other choices
/// are still accepted on the command line, just not offered.
fn is_plain_choice(choice: &str) -> bool {
    !choice.is_empty()
        && choice.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'_' | b'+' | b'-' | b':' | b'/' | b'@' | b',' | b'%'
                )
        })
}

/// `words`, each in single quotes, space-separated (for zsh, where a bare word could start
/// an expansion).
fn quoted_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// For each command path with flags that take a value, those flags' spellings (`--name`,
/// `-n`), in the order of `values`.
fn value_flags(values: &[FlagValues]) -> Vec<(String, Vec<String>)> {
    let mut takes: Vec<(String, Vec<String>)> = Vec::new();
    for flag in values {
        let spellings = std::iter::once(format!("--{}", flag.long))
            .chain(flag.short.map(|short| format!("-{short}")));
        match takes.iter_mut().find(|(path, _)| *path == flag.path) {
            Some((_, all)) => all.extend(spellings),
            None => takes.push((flag.path.clone(), spellings.collect())),
        }
    }
    takes
}

/// A global flag's spelling read as its long name (`set` for `"--set <key=value>"`), its
/// short letter if the spelling gives one (`"-s, --set <key=value>"`), and whether it takes
/// a value; `None` when it names no plain long flag.
pub(crate) fn global_flag(spelling: &str) -> Option<(String, Option<char>, bool)> {
    let words: Vec<&str> = spelling
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let long = words.iter().find_map(|w| w.strip_prefix("--"))?;
    let long = long.split(['=', '[']).next().unwrap_or(long);
    let short = words
        .iter()
        .filter_map(|w| w.strip_prefix('-'))
        .find_map(|w| {
            let mut chars = w.chars();
            chars.next().filter(|_| chars.next().is_none())
        });
    // `--set <key=value>`, `--level LEVEL`, `--set=KV`; not an optional value
    // (`--color[=WHEN]`), which is never the next word.
    let takes = !spelling.contains('[')
        && (spelling.contains('=') || words.iter().any(|w| !w.starts_with('-')));
    is_plain_choice(long).then(|| (long.to_owned(), short, takes))
}
