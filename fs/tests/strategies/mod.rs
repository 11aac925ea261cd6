//! proptest strategies shared by the fs tests: hostile path strings built from `..`, `.`,
//! empty pieces, names that exist only outside the root, NUL, unicode and over-long names;
//! and symlink layouts — a few symlinks inside the root whose targets are inside or
//! outside, relative or absolute, loops and chains.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses its own subset of the strategies"
)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;

/// The files laid out inside the root by [`inside_files`], each exactly 16 bytes.
pub const INSIDE_FILES: &[(&str, &str)] = &[
    ("a/f.txt", "INSIDE-CONTENT-0"),
    ("b", "INSIDE-CONTENT-1"),
    ("c/d/e.txt", "INSIDE-CONTENT-2"),
];

/// Every name that can appear inside the root before anything is written.
pub const INSIDE_NAMES: &[&str] = &["a", "b", "c", "d", "e.txt", "f.txt", "link", "loop"];

/// Names that exist only outside the root.
pub const OUTSIDE_NAMES: &[&str] = &["secret.txt", "only-outside.txt", "dir", "nested.txt"];

/// Where a layout may put a symlink (their parents are directories of the layout).
pub const LINK_PLACES: &[&str] = &["link", "loop", "a/link", "a/loop", "c/link", "c/d/link"];

/// One piece of a path (`..` and the symlink names more often than the rest).
pub fn path_piece() -> impl Strategy<Value = String> {
    let pieces: Vec<String> = [
        "..",
        "..",
        "..",
        "link",
        "link",
        ".",
        "",
        "a",
        "b",
        "c",
        "d",
        "e.txt",
        "f.txt",
        "link",
        "loop",
        "secret.txt",
        "only-outside.txt",
        "dir",
        "nested.txt",
        "outside",
        "root",
        "\0",
        "a\0b",
        "\u{e9}t\u{e9}",
        "\u{65e5}\u{672c}\u{8a9e}",
        "\u{202e}txt.exe",
        " ",
        "...",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain(std::iter::once("n".repeat(256)))
    .collect();
    select(pieces)
}

/// A path of 1 to 5 pieces joined by `/`, maybe with a leading and a trailing `/`.
pub fn hostile_path() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(path_piece(), 1..6),
        any::<bool>(),
    )
        .prop_map(|(leading, pieces, trailing)| {
            let mut path = pieces.join("/");
            if leading {
                path.insert(0, '/');
            }
            if trailing {
                path.push('/');
            }
            path
        })
}

/// Where a symlink of a layout points.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// `<outside>` (absolute).
    AbsOutsideDir,
    /// `<outside>/secret.txt` (absolute).
    AbsOutsideFile,
    /// `<outside>/dir` (absolute).
    AbsOutsideNested,
    /// `../outside` from the root, however deep the link is.
    RelOutsideDir,
    /// `../outside/secret.txt` from the root.
    RelOutsideFile,
    /// Far more `..` than there are levels.
    RelClimbTooFar,
    /// `../root/a`: out of the root and back in by name.
    RelRoundTrip,
    /// `a` from the root (inside, relative).
    RelInside,
    /// `c/d` from the root (inside, relative).
    RelInsideDeep,
    /// `<root>/a` (inside, but absolute).
    AbsInside,
    /// The link itself (a loop).
    SelfLoop,
    /// Another place a link may be (a chain, or a loop through two links).
    OtherPlace(&'static str),
}

impl Target {
    /// The literal target for a link at `place`, with `root` and `outside` absolute.
    pub fn resolve(self, place: &str, root: &Path, outside: &Path) -> PathBuf {
        let depth = place.matches('/').count();
        let up = "../".repeat(depth);
        let name = place.rsplit('/').next().unwrap_or(place);
        match self {
            Target::AbsOutsideDir => outside.to_path_buf(),
            Target::AbsOutsideFile => outside.join("secret.txt"),
            Target::AbsOutsideNested => outside.join("dir"),
            Target::RelOutsideDir => PathBuf::from(format!("{up}../outside")),
            Target::RelOutsideFile => PathBuf::from(format!("{up}../outside/secret.txt")),
            Target::RelClimbTooFar => PathBuf::from("../".repeat(depth + 12)),
            Target::RelRoundTrip => PathBuf::from(format!("{up}../root/a")),
            Target::RelInside => PathBuf::from(format!("{up}a")),
            Target::RelInsideDeep => PathBuf::from(format!("{up}c/d")),
            Target::AbsInside => root.join("a"),
            Target::SelfLoop => PathBuf::from(name),
            Target::OtherPlace(other) => PathBuf::from(format!("{up}{other}")),
        }
    }
}

pub fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::AbsOutsideDir),
        Just(Target::AbsOutsideFile),
        Just(Target::AbsOutsideNested),
        Just(Target::RelOutsideDir),
        Just(Target::RelOutsideFile),
        Just(Target::RelClimbTooFar),
        Just(Target::RelRoundTrip),
        Just(Target::RelInside),
        Just(Target::RelInsideDeep),
        Just(Target::AbsInside),
        Just(Target::SelfLoop),
        select(LINK_PLACES).prop_map(Target::OtherPlace),
    ]
}

/// Up to four symlinks: where each is and where it points (a place used twice keeps the
/// first).
pub fn symlink_layout() -> impl Strategy<Value = Vec<(&'static str, Target)>> {
    prop::collection::vec((select(LINK_PLACES), target()), 0..5)
}
