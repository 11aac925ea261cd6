//! Property tests of confinement: for random hostile path strings over random symlink
//! layouts, no operation reads, lists, sees, writes or deletes anything outside the root —
//! reads return only files laid out inside, listings only inside names, the outside
//! directory of sentinels never changes, nothing appears beside the root, and what every
//! read-only operation answers is the same with the outside directory hidden away.

mod common;
mod strategies;

use std::fs;
use std::io::{Read as _, Write as _};

use corers_fs::{FileKind, Fs, WriteOptions};
use corers_primitives::Result;
use proptest::prelude::*;
use proptest::sample::select;

use common::{SECRET_MARK, Sandbox, names_in};
use strategies::{INSIDE_FILES, INSIDE_NAMES, OUTSIDE_NAMES, Target, hostile_path};

/// A sandbox with the inside files of [`INSIDE_FILES`] and the symlinks of `layout`.
fn laid_out(layout: &[(&'static str, Target)]) -> Sandbox {
    let sandbox = Sandbox::new();
    for (path, content) in INSIDE_FILES {
        sandbox.file(path, content);
    }
    for (place, target) in layout {
        if sandbox.root().join(place).symlink_metadata().is_err() {
            sandbox.symlink(
                place,
                target.resolve(place, &sandbox.root(), &sandbox.outside()),
            );
        }
    }
    sandbox
}

fn is_inside_content(bytes: &[u8]) -> bool {
    INSIDE_FILES.iter().any(|(_, c)| c.as_bytes() == bytes)
}

fn has_secret(bytes: &[u8]) -> bool {
    bytes.windows(SECRET_MARK.len()).any(|w| w == SECRET_MARK)
}

/// The last name of `path`, if any.
fn last_name(path: &str) -> Option<&str> {
    path.split('/').rev().find(|p| !p.is_empty() && *p != ".")
}

/// What `fs` answers about `path` through every read-only operation, errors by code.
fn observe(fs: &Fs, path: &str) -> Vec<String> {
    fn code<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Ok(value) => format!("ok {value:?}"),
            Err(err) => format!("err {:?}", err.code()),
        }
    }
    let streamed = fs.reader(path).map(|mut r| {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map(|_| bytes).ok()
    });
    vec![
        code(fs.read(path)),
        code(fs.read_string(path)),
        code(streamed),
        code(fs.list(path)),
        code(fs.stat(path)),
        format!(
            "{} {} {}",
            fs.exists(path),
            fs.is_file(path),
            fs.is_dir(path)
        ),
    ]
}

/// Nothing beside the root and the outside directory in the temp dir.
fn nothing_beside(sandbox: &Sandbox) -> bool {
    names_in(sandbox.tmp.path()) == ["outside", "root"]
}

/// A change through the sandbox.
#[derive(Clone, Debug)]
enum Change {
    Write,
    WriteMode,
    WriteFast,
    Append,
    WriterCommit,
    WriterDrop,
    Update,
    EnsureDir,
}

fn change() -> impl Strategy<Value = Change> {
    select(vec![
        Change::Write,
        Change::WriteMode,
        Change::WriteFast,
        Change::Append,
        Change::WriterCommit,
        Change::WriterDrop,
        Change::Update,
        Change::EnsureDir,
    ])
}

fn apply(fs: &Fs, change: &Change, path: &str) {
    const PAYLOAD: &[u8] = b"WRITTEN-INSIDE";
    let _ = match change {
        Change::Write => fs.write(path, PAYLOAD),
        Change::WriteMode => fs.write_with(path, PAYLOAD, WriteOptions::mode(0o600)),
        Change::WriteFast => fs.write_with(path, PAYLOAD, WriteOptions::fast()),
        Change::Append => fs.append(path, PAYLOAD),
        Change::WriterCommit => fs.writer(path).and_then(|mut w| {
            let _ = w.write_all(PAYLOAD);
            w.commit()
        }),
        Change::WriterDrop => fs.writer(path).map(|mut w| {
            let _ = w.write_all(PAYLOAD);
        }),
        Change::Update => fs.update(path, |old| {
            let mut new = old.unwrap_or_default();
            new.extend_from_slice(PAYLOAD);
            Ok(new)
        }),
        Change::EnsureDir => fs.ensure_dir(path),
    };
}

/// Cases per property: 128, or `CORERS_FUZZ_CASES` (`cargo xtask fuzz` sets it).
fn cases() -> u32 {
    std::env::var("CORERS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn fs_read_random_paths_return_only_inside_files_ugly(
        layout in strategies::symlink_layout(),
        paths in prop::collection::vec(hostile_path(), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for path in &paths {
            if let Ok(bytes) = sandbox.fs.read(path) {
                prop_assert!(is_inside_content(&bytes), "read {path:?}: {bytes:?}");
            }
            if let Ok(text) = sandbox.fs.read_string(path) {
                prop_assert!(is_inside_content(text.as_bytes()), "read_string {path:?}: {text:?}");
            }
            if let Ok(mut reader) = sandbox.fs.reader(path) {
                let mut bytes = Vec::new();
                let _ = reader.read_to_end(&mut bytes);
                prop_assert!(!has_secret(&bytes), "reader {path:?}: {bytes:?}");
            }
        }
        prop_assert!(sandbox.outside_untouched());
    }

    #[test]
    fn fs_list_random_paths_list_only_inside_names_ugly(
        layout in strategies::symlink_layout(),
        paths in prop::collection::vec(hostile_path(), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for path in &paths {
            if let Ok(entries) = sandbox.fs.list(path) {
                for entry in &entries {
                    prop_assert!(
                        INSIDE_NAMES.contains(&entry.name.as_str()),
                        "list {path:?} showed {:?}", entry.name
                    );
                }
            }
        }
    }

    #[test]
    fn fs_stat_random_paths_see_only_inside_files_ugly(
        layout in strategies::symlink_layout(),
        paths in prop::collection::vec(hostile_path(), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for path in &paths {
            if let Ok(stat) = sandbox.fs.stat(path) {
                // Every inside file is 16 bytes; the sentinels outside are longer.
                prop_assert!(
                    stat.kind != FileKind::File || stat.len == 16,
                    "stat {path:?}: {stat:?}"
                );
            }
        }
    }

    #[test]
    fn fs_exists_random_paths_never_see_outside_names_ugly(
        layout in strategies::symlink_layout(),
        paths in prop::collection::vec(hostile_path(), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for path in &paths {
            let seen = sandbox.fs.exists(path) || sandbox.fs.is_file(path) || sandbox.fs.is_dir(path);
            if seen {
                let name = last_name(path);
                prop_assert!(
                    !name.is_some_and(|n| OUTSIDE_NAMES.contains(&n)),
                    "{path:?} exists: only outside has {name:?}"
                );
            }
        }
    }

    #[test]
    fn fs_read_random_paths_blind_to_outside_ugly(
        layout in strategies::symlink_layout(),
        paths in prop::collection::vec(hostile_path(), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        let with_outside: Vec<Vec<String>> =
            paths.iter().map(|p| observe(&sandbox.fs, p)).collect();
        let hidden = sandbox.tmp.join("outside.hidden");
        fs::rename(sandbox.outside(), &hidden).unwrap();
        let without_outside: Vec<Vec<String>> =
            paths.iter().map(|p| observe(&sandbox.fs, p)).collect();
        fs::rename(&hidden, sandbox.outside()).unwrap();
        prop_assert_eq!(with_outside, without_outside);
    }

    #[test]
    fn fs_write_random_paths_never_touch_outside_ugly(
        layout in strategies::symlink_layout(),
        changes in prop::collection::vec((change(), hostile_path()), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for (change, path) in &changes {
            apply(&sandbox.fs, change, path);
        }
        prop_assert!(sandbox.outside_untouched(), "outside changed by {changes:?}");
        prop_assert!(nothing_beside(&sandbox), "{:?}", names_in(sandbox.tmp.path()));
    }

    #[test]
    fn fs_delete_random_paths_never_touch_outside_ugly(
        layout in strategies::symlink_layout(),
        deletes in prop::collection::vec((any::<bool>(), hostile_path()), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for (all, path) in &deletes {
            let _ = if *all { sandbox.fs.delete_all(path) } else { sandbox.fs.delete(path) };
        }
        prop_assert!(sandbox.outside_untouched(), "outside changed by {deletes:?}");
        prop_assert!(nothing_beside(&sandbox));
    }

    #[test]
    fn fs_rename_random_paths_never_touch_outside_ugly(
        layout in strategies::symlink_layout(),
        renames in prop::collection::vec((hostile_path(), hostile_path()), 1..8),
    ) {
        let sandbox = laid_out(&layout);
        for (from, to) in &renames {
            let _ = sandbox.fs.rename(from, to);
        }
        prop_assert!(sandbox.outside_untouched(), "outside changed by {renames:?}");
        prop_assert!(nothing_beside(&sandbox), "{:?}", names_in(sandbox.tmp.path()));
    }
}
