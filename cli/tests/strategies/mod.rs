//! proptest strategies shared by the cli tests: hostile argument lists, command paths that
//! are valid or broken by construction, and declared flags with a value and the words that
//! spell it.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the strategies"
)]

use corers_cli::FlagKind;
use corers_primitives::Value;
use proptest::prelude::*;

/// Words the parser treats specially, the sample tree's path words, and odd text.
const SPECIAL: &[&str] = &[
    "",
    "-",
    "--",
    "---",
    "=",
    "-=",
    "--=",
    "-=x",
    "--=x",
    "-5",
    "-0.5",
    "--5",
    "-5x",
    "-h",
    "--help",
    "help",
    "completion",
    "bash",
    "zsh",
    "nu",
    "workspace",
    "create",
    "list",
    "rm",
    "cache",
    "flush",
    "debug",
    "dump",
    "deploy",
    "to",
    "homelab",
    "--name",
    "--name=alpha",
    "-n",
    "-n4",
    "-n=4",
    "-vq",
    "-vn",
    "-nv",
    "--verbose",
    "--no-verbose",
    "--no-verbose=1",
    "--verbose=maybe",
    "--replicas",
    "--replicas=-3",
    "-r",
    "--tag=a,,b",
    "--tag",
    "--timeout=1h30m",
    "--timeout=99999999999999999999d",
    "--output=xml",
    "--config=",
    "--region",
    "ñ",
    "-ñ",
    "--ñ",
    "🚀",
    "-🚀",
    "a/b",
    "workspace/create",
    "/",
    "\0",
    "\u{202e}",
    "--\u{0}",
];

/// One argument: a special word or any string at all.
pub fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(SPECIAL).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "-{0,2}[a-z]{0,6}(=[-a-z0-9,]{0,6})?",
    ]
}

/// An argument list of up to 12 words.
pub fn argv() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(word(), 0..12)
}

/// A path segment that validation accepts.
pub fn segment() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9][a-z0-9_.-]{0,8}", "[a-zé][a-z0-9é部署]{0,4}",]
}

/// A path validation accepts: one to five good segments.
pub fn valid_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(segment(), 1..6).prop_map(|segments| segments.join("/"))
}

/// A path broken by construction: a valid path with one flaw put in.
pub fn invalid_path() -> impl Strategy<Value = String> {
    let segments = proptest::collection::vec(segment(), 1..5);
    let whitespace = proptest::sample::select(&[" ", "\t", "\n", "\r", "\u{a0}", "\u{3000}"][..]);
    (segments, 0..8_u8, any::<prop::sample::Index>(), whitespace).prop_map(
        |(mut segments, flaw, at, space)| {
            let i = at.index(segments.len());
            match flaw {
                0 => return String::new(),
                1 => return format!("/{}", segments.join("/")),
                2 => return format!("{}/", segments.join("/")),
                3 => segments.insert(i, String::new()),
                4 => {
                    let s = &mut segments[i];
                    let cut = s
                        .char_indices()
                        .nth(at.index(s.chars().count()))
                        .map_or(0, |(b, _)| b);
                    s.insert_str(cut, space);
                }
                5 => segments[i].insert(0, '-'),
                6 => segments[i].push('\u{7}'),
                _ => return format!("{}//{}", segments.join("/"), segments[i]),
            }
            segments.join("/")
        },
    )
}

/// How a flag's value is spelled on the command line.
#[derive(Clone, Copy, Debug)]
pub enum Form {
    /// `--name=value`
    Inline,
    /// `--name value`
    Spaced,
    /// `-c=value`
    ShortEquals,
    /// `-c value`
    ShortSpaced,
    /// `-cvalue`
    ShortAttached,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::Inline),
        Just(Form::Spaced),
        Just(Form::ShortEquals),
        Just(Form::ShortSpaced),
        Just(Form::ShortAttached),
    ]
}

/// A generated declared flag: its kind, a value, and the words that give it.
#[derive(Clone, Debug)]
pub struct FlagCase {
    pub name: String,
    pub short: char,
    pub kind: FlagKind,
    pub expected: Value,
    pub words: Vec<String>,
}

/// A long name that is not `help` and does not start with `no-`.
fn flag_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6})?"
        .prop_filter("help is built in", |n| n != "help" && !n.starts_with("no-"))
}

/// A short letter other than `h` (built in).
fn short() -> impl Strategy<Value = char> {
    proptest::sample::select("abcdefgijklmnopqrstuvwxyz".chars().collect::<Vec<_>>())
}

/// The words giving `text` to flag `--name` / `-short` in `form`.
fn spell(name: &str, short: char, form: Form, text: &str) -> Vec<String> {
    match form {
        Form::Inline => vec![format!("--{name}={text}")],
        Form::Spaced => vec![format!("--{name}"), text.to_owned()],
        Form::ShortEquals => vec![format!("-{short}={text}")],
        Form::ShortSpaced => vec![format!("-{short}"), text.to_owned()],
        Form::ShortAttached => vec![format!("-{short}{text}")],
    }
}

/// Whether the next-word forms can carry `text` (it must not read as a flag or `--`).
fn spaced_ok(text: &str) -> bool {
    !(text.starts_with('-') && text.len() > 1 && text.parse::<f64>().is_err())
}

/// A declared flag of any kind with a value rendered as text in any form that can carry it.
pub fn flag_case() -> impl Strategy<Value = FlagCase> {
    let kinds = prop_oneof![
        any::<String>().prop_map(|s| (FlagKind::String, Value::from(s.clone()), s)),
        any::<i64>().prop_map(|n| (FlagKind::Int, Value::Int(n), n.to_string())),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| (FlagKind::Float, Value::Float(f), f.to_string())),
        any::<bool>().prop_map(|b| (FlagKind::Bool, Value::Bool(b), b.to_string())),
        proptest::collection::vec("[^,\0]{1,8}", 1..5).prop_map(|items| {
            let value = Value::List(items.iter().map(Value::from).collect());
            (FlagKind::List, value, items.join(","))
        }),
        (0..1000_u64, 0..1000_u64, 0..1000_u64, 0..1000_u64).prop_map(|(h, m, s, ms)| {
            let total = ((h * 60 + m) * 60 + s) * 1000 + ms;
            let value = Value::Int(i64::try_from(total).unwrap());
            (FlagKind::Duration, value, format!("{h}h{m}m{s}s{ms}ms"))
        }),
        "[^\0]{1,24}".prop_map(|p| (FlagKind::Path, Value::from(p.clone()), p)),
        (
            proptest::collection::btree_set("[a-z][a-z0-9-]{0,7}", 1..6),
            any::<prop::sample::Index>()
        )
            .prop_map(|(choices, at)| {
                let choices: Vec<String> = choices.into_iter().collect();
                let choice = choices[at.index(choices.len())].clone();
                (FlagKind::Enum(choices), Value::from(choice.clone()), choice)
            }),
    ];
    (flag_name(), short(), kinds, form()).prop_map(|(name, short, (kind, expected, text), form)| {
        let form = match form {
            // A bool never takes the next word; spaced forms become the inline ones.
            Form::Spaced if kind == FlagKind::Bool => Form::Inline,
            Form::ShortSpaced | Form::ShortAttached if kind == FlagKind::Bool => Form::ShortEquals,
            Form::Spaced if !spaced_ok(&text) => Form::Inline,
            Form::ShortSpaced if !spaced_ok(&text) => Form::ShortEquals,
            // `-c=x` attached would read `=x`.
            Form::ShortAttached if text.starts_with('=') || text.is_empty() => Form::ShortEquals,
            other => other,
        };
        let words = spell(&name, short, form, &text);
        FlagCase {
            name,
            short,
            kind,
            expected,
            words,
        }
    })
}
