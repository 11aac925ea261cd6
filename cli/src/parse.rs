//! Turning the words after a command's path into typed [`Options`].

use std::ffi::OsString;
use std::num::IntErrorKind;
use std::time::Duration;

use corers_primitives::{Error, ErrorCode, Options, Result, Value};

use crate::{Command, Flag, FlagKind};

const OP: &str = "cli.Cli.parse";

fn usage(message: String) -> Error {
    Error::new(OP, message).with_code(ErrorCode::INVALID)
}

/// Reports whether `word` reads as a negative number (`-5`, `-0.25`, `-1e3`): a value, not
/// a flag. Only digits count: `-nan` and `-inf` are flags (`netstat -nan`).
pub(crate) fn is_negative_number(word: &str) -> bool {
    word.strip_prefix('-').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && rest.bytes().any(|b| b.is_ascii_digit())
            && rest.parse::<f64>().is_ok()
    })
}

/// Reports whether `word` is a flag (and not `-`, `--`, or a negative number).
pub(crate) fn is_flag(word: &str) -> bool {
    word.len() > 1 && word.starts_with('-') && word != "--" && !is_negative_number(word)
}

/// Parses `words` (the arguments, minus the command's path words at `skip`) for `command`.
///
/// `env` looks environment variables up (injected, so tests and the facade control it).
pub(crate) fn parse<C>(
    command: &Command<C>,
    words: &[String],
    skip: &[usize],
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Options> {
    let loose = command.loose_flags;
    let mut options = Options::new();
    let mut positionals: Vec<String> = Vec::new();
    let mut list_values: Vec<(String, Vec<Value>)> = Vec::new();
    let mut i = 0;
    let mut only_positionals = false;
    while i < words.len() {
        if skip.contains(&i) {
            i += 1;
            continue;
        }
        let word = &words[i];
        i += 1;
        if only_positionals || !is_flag(word) {
            if word == "--" && !only_positionals {
                only_positionals = true;
            } else {
                positionals.push(word.clone());
            }
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            if name.is_empty() {
                return Err(usage(format!(
                    "malformed flag {word:?}: a name must follow `--`"
                )));
            }
            let Some((flag, negated)) = find_long(command, name) else {
                if loose {
                    loose_flag(word, name, inline, &mut options)?;
                    continue;
                }
                return Err(unknown_flag(command, &format!("--{name}"), name));
            };
            let value = if flag.kind == FlagKind::Bool {
                match (inline, negated) {
                    (Some(text), false) => parse_value(flag, &text)?,
                    (Some(_), true) => {
                        return Err(usage(format!("flag --no-{} takes no value", flag.name)));
                    }
                    (None, negated) => Value::Bool(!negated),
                }
            } else {
                let text = match inline {
                    Some(text) => text,
                    None => take_value(words, skip, &mut i, flag, &format!("--{}", flag.name))?,
                };
                parse_value(flag, &text)?
            };
            store(&mut options, &mut list_values, flag, value);
            continue;
        }
        // Short flags: `-v`, `-abc` (declared bools), `-n=4`, `-n 4`, `-n4`.
        let short = &word[1..];
        if loose && !declares_short(command, short) {
            let (name, inline) = match short.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (short, None),
            };
            loose_flag(word, name, inline, &mut options)?;
            continue;
        }
        for (at, c) in short.char_indices() {
            let Some(flag) = command.flags.iter().find(|f| f.short == Some(c)) else {
                return Err(unknown_short(command, short, c));
            };
            if flag.kind == FlagKind::Bool {
                let rest = &short[at + c.len_utf8()..];
                if let Some(text) = rest.strip_prefix('=') {
                    let value = parse_value(flag, text)?;
                    store(&mut options, &mut list_values, flag, value);
                    break;
                }
                store(&mut options, &mut list_values, flag, Value::Bool(true));
                continue;
            }
            let rest = &short[at + c.len_utf8()..];
            let text = if let Some(text) = rest.strip_prefix('=') {
                text.to_owned()
            } else if !rest.is_empty() {
                rest.to_owned()
            } else {
                take_value(words, skip, &mut i, flag, &format!("-{c}"))?
            };
            let value = parse_value(flag, &text)?;
            store(&mut options, &mut list_values, flag, value);
            break;
        }
    }
    for (name, values) in list_values {
        options.set(name, Value::List(values));
    }
    fill_missing(command, &mut options, env)?;
    bind_positionals(command, &mut options, positionals)?;
    Ok(options)
}

/// Reports whether the short flag word `short` (without its `-`) begins with a letter
/// `command` declares.
fn declares_short<C>(command: &Command<C>, short: &str) -> bool {
    short
        .chars()
        .next()
        .is_some_and(|c| command.flags.iter().any(|f| f.short == Some(c)))
}

/// A flag a [`loose_flags`](Command::loose_flags) command does not declare: accepted as text, or
/// `true` without a value (CoreGO's behaviour).
fn loose_flag(word: &str, name: &str, inline: Option<String>, options: &mut Options) -> Result<()> {
    if name.is_empty() {
        return Err(usage(format!(
            "malformed flag {word:?}: a name must follow the dashes"
        )));
    }
    options.set(name, inline.map_or(Value::Bool(true), Value::String));
    Ok(())
}

/// The declared flag for `--name`, and whether it was given as `--no-name`.
pub(crate) fn find_long<'a, C>(command: &'a Command<C>, name: &str) -> Option<(&'a Flag, bool)> {
    if let Some(flag) = command.flags.iter().find(|f| f.name == name) {
        return Some((flag, false));
    }
    let positive = name.strip_prefix("no-")?;
    command
        .flags
        .iter()
        .find(|f| f.name == positive && f.kind == FlagKind::Bool)
        .map(|f| (f, true))
}

/// The value after a flag that takes one (`--name alpha`): the next word, which may be a
/// negative number but not another flag.
/// `typed` is the flag as given (`--name`, `-n`).
fn take_value(
    words: &[String],
    skip: &[usize],
    i: &mut usize,
    flag: &Flag,
    typed: &str,
) -> Result<String> {
    while skip.contains(i) {
        *i += 1;
    }
    match words.get(*i) {
        Some(next) if !is_flag(next) && next != "--" => {
            *i += 1;
            Ok(next.clone())
        }
        // `--name -foo`: a value that looks like a flag is taken only after `=`. The word
        // is echoed as parse_value echoes a value: not a secret's (`--password -Hunter2`),
        // not a long one.
        Some(next) if next != "--" => Err(usage(match shown_value(flag, next) {
            // Whole and not a secret's: shown, with the way to write it.
            Some(shown) if !shown.ends_with('…') => format!(
                "flag {typed} needs a value; to give it {shown}, write {typed}={}",
                next.escape_debug()
            ),
            _ => format!(
                "flag {typed} needs a value; to give it one that starts with '-', write {typed}=<value>"
            ),
        })),
        _ => Err(usage(format!("flag {typed} needs a value"))),
    }
}

fn store(options: &mut Options, lists: &mut Vec<(String, Vec<Value>)>, flag: &Flag, value: Value) {
    if flag.kind == FlagKind::List {
        let items = match value {
            Value::List(items) => items,
            other => vec![other],
        };
        match lists.iter_mut().find(|(name, _)| *name == flag.name) {
            Some((_, existing)) => existing.extend(items),
            None => lists.push((flag.name.clone(), items)),
        }
    } else {
        options.set(flag.name.clone(), value);
    }
}

/// `text`, given to `flag`, as an error quotes it: `None` for a secret-looking flag's
/// (`--api-token`, `--password`), never echoed; no more than its first 64 characters
/// (cut with `…`).
fn shown_value(flag: &Flag, text: &str) -> Option<String> {
    (!corers_primitives::is_secret_name(&flag.name)).then(|| corers_primitives::shown_name(text))
}

/// Parses `text` as a value of `flag`'s kind.
pub(crate) fn parse_value(flag: &Flag, text: &str) -> Result<Value> {
    let bad = |expected: &str| {
        let found = shown_value(flag, text).unwrap_or_else(|| "a value (not shown)".to_owned());
        usage(format!(
            "flag --{} expects {expected}, found {found}",
            flag.name
        ))
    };
    Ok(match &flag.kind {
        FlagKind::String => Value::String(text.to_owned()),
        FlagKind::Int => Value::Int(text.parse().map_err(|e: std::num::ParseIntError| {
            match e.kind() {
                // Digits only: std reports the overflow of `999…9x` before its `x`.
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
                    if text[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    bad("an integer from -9223372036854775808 to 9223372036854775807")
                }
                _ => bad("an integer"),
            }
        })?),
        FlagKind::Float => {
            let f: f64 = text.parse().map_err(|_| bad("a number"))?;
            if !f.is_finite() {
                return Err(bad("a finite number"));
            }
            Value::Float(f)
        }
        FlagKind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Value::Bool(true),
            "false" | "no" | "0" | "off" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        FlagKind::List => Value::List(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        FlagKind::Duration => {
            let duration = parse_duration(text)
                .ok_or_else(|| bad("a duration like 250ms, 30s, 5m or 1h30m"))?;
            Value::Int(i64::try_from(duration.as_millis()).map_err(|_| bad("a shorter duration"))?)
        }
        FlagKind::Path => {
            if text.is_empty() || text.contains('\0') {
                return Err(bad("a path"));
            }
            Value::String(text.to_owned())
        }
        FlagKind::Enum(choices) => {
            if !choices.iter().any(|c| c == text) {
                return Err(bad(&format!("one of {}", choices.join(", "))));
            }
            Value::String(text.to_owned())
        }
    })
}

/// `250ms`, `30s`, `5m`, `2h`, `1d` and sums like `1h30m`; a bare number is seconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let amount: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(amount),
            "s" => Duration::from_secs(amount),
            "m" => Duration::from_secs(amount.checked_mul(60)?),
            "h" => Duration::from_secs(amount.checked_mul(3600)?),
            "d" => Duration::from_secs(amount.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// Fills absent flags from their environment variable, then their default; then checks
/// the required ones, naming every one missing.
fn fill_missing<C>(
    command: &Command<C>,
    options: &mut Options,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<()> {
    let mut missing = Vec::new();
    for flag in &command.flags {
        if options.has(&flag.name) {
            continue;
        }
        if let Some(var) = &flag.env
            && let Some(text) = env(var)
        {
            // Not the default, quietly: the variable was set, to something unreadable.
            let text = text
                .into_string()
                .map_err(|_| usage(format!("environment variable {var}: not valid UTF-8")))?;
            let value = parse_value(flag, &text)
                .map_err(|e| usage(format!("environment variable {var}: {}", e.message())))?;
            options.set(flag.name.clone(), value);
            continue;
        }
        if let Some(default) = &flag.default {
            // A default written as text (`"30s"`) is read like a value on the command line.
            let value = match (default, &flag.kind) {
                (Value::String(text), kind)
                    if !matches!(kind, FlagKind::String | FlagKind::Path | FlagKind::Enum(_)) =>
                {
                    parse_value(flag, text)?
                }
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "a default written as a whole number"
                )]
                (Value::Int(n), FlagKind::Float) => Value::Float(*n as f64),
                _ => default.clone(),
            };
            options.set(flag.name.clone(), value);
            continue;
        }
        if flag.required {
            let via_env = flag
                .env
                .as_ref()
                .map(|v| format!(" (or set {v})"))
                .unwrap_or_default();
            missing.push(format!("--{}{via_env}", flag.name));
        }
    }
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(usage(format!("missing required flag {one}"))),
        many => Err(usage(format!("missing required flags {}", many.join(", ")))),
    }
}

/// Puts the positionals in: by declared name (a [`many`](crate::Positional::many) one
/// as the list of the words left), and all of them as the list `_args` with the first as
/// `_arg` (CoreGO compatibility). A command gets no more than it declared: an extra word is
/// a usage error (`workspace remove alpha beta` does not silently drop `beta`, and
/// `workspace list extra` is no `workspace list`), as clap's "unexpected argument"; a
/// [`loose_flags`](Command::loose_flags) command takes them all, as CoreGO's did.
fn bind_positionals<C>(
    command: &Command<C>,
    options: &mut Options,
    positionals: Vec<String>,
) -> Result<()> {
    let takes_the_rest = command.loose_flags || command.positionals.last().is_some_and(|p| p.many);
    if !takes_the_rest && let Some(extra) = positionals.get(command.positionals.len()) {
        let takes = if command.positionals.is_empty() {
            "no arguments".to_owned()
        } else {
            command
                .positionals
                .iter()
                .map(|p| format!("<{}>", p.name))
                .collect::<Vec<_>>()
                .join(" ")
        };
        return Err(usage(format!(
            "unexpected argument {}: this command takes {takes}",
            corers_primitives::shown_name(extra)
        )));
    }
    for (i, declared) in command.positionals.iter().enumerate() {
        let given = if declared.many {
            let rest = positionals.get(i..).unwrap_or_default();
            (!rest.is_empty())
                .then(|| Value::List(rest.iter().cloned().map(Value::String).collect()))
        } else {
            positionals.get(i).map(|value| Value::String(value.clone()))
        };
        match given {
            Some(value) => {
                options.set(declared.name.clone(), value);
            }
            None if declared.required => {
                return Err(usage(format!(
                    "missing required argument <{}>",
                    declared.name
                )));
            }
            None => {}
        }
    }
    if let Some(first) = positionals.first() {
        options.set("_arg", first.clone());
    }
    if !positionals.is_empty() {
        options.set(
            "_args",
            Value::List(positionals.into_iter().map(Value::String).collect()),
        );
    }
    Ok(())
}

/// The unknown-flag error, with a "did you mean" when a declared flag is close, or when a
/// one-letter long flag (`--v`) is a declared short one.
fn unknown_flag<C>(command: &Command<C>, given: &str, name: &str) -> Error {
    // `--help` reaches here only given a value (`--help=yes`): not a typo of itself.
    if given == "--help" {
        return usage("flag --help takes no value".to_owned());
    }
    let mut letters = name.chars();
    let short = match (letters.next(), letters.next()) {
        (Some(letter), None) if given.starts_with("--") => command
            .flags
            .iter()
            .find(|f| f.short == Some(letter))
            .map(|f| format!("did you mean -{letter} (--{})?", f.name)),
        _ => None,
    };
    let suggestion =
        short.or_else(|| closest_long(command, name).map(|n| format!("did you mean --{n}?")));
    usage(unknown_flag_message(given, "", suggestion))
}

/// "unknown flag --nmae; did you mean --name?": the flag as typed, its control characters
/// escaped, where it was given (`placed`: `" without a command"`, or `""`), and the
/// suggestion when there is one.
pub(crate) fn unknown_flag_message(
    given: &str,
    placed: &str,
    suggestion: Option<String>,
) -> String {
    // As typed, escaped, and no more than its first 64 characters: a flag can be a
    // megabyte long.
    let cut = given
        .char_indices()
        .nth(64)
        .map_or(given, |(at, _)| &given[..at]);
    let ellipsis = if cut.len() < given.len() { "…" } else { "" };
    let message = format!("unknown flag {}{ellipsis}{placed}", cut.escape_debug());
    match suggestion {
        Some(suggestion) => format!("{message}; {suggestion}"),
        None => message,
    }
}

/// The error for the undeclared letter `c` in the short-flag word `short` (without its
/// `-`): named as typed when the word is a long flag written with one dash (`-verbose`),
/// not a bundle of letters.
fn unknown_short<C>(command: &Command<C>, short: &str, c: char) -> Error {
    let typed = short.split_once('=').map_or(short, |(name, _)| name);
    if typed.chars().count() > 1 && closest_long(command, typed).is_some() {
        return unknown_flag(command, &format!("-{typed}"), typed);
    }
    unknown_flag(command, &format!("-{c}"), &c.to_string())
}

/// The declared long flag (or `help`, every command's) closest to `name`, when it is
/// close enough to be a typo of it.
fn closest_long<'c, C>(command: &'c Command<C>, name: &str) -> Option<&'c str> {
    let declared = command.flags.iter().map(|f| f.name.as_str());
    corers_primitives::closest(name, declared.chain(["help"]))
}
