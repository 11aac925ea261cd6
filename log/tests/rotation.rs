//! [`RotatingFile`] in a real temporary directory: rotation by size and by age (with an
//! injected clock, never real sleeps), retention, gzip, rotated file names, and that no line
//! is ever lost, duplicated or split across files.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use corers_log::RotatingFile;
use corers_primitives::ErrorCode;
use flate2::read::GzDecoder;

use common::{FIXED_COMPACT, FIXED_SECS, ManualClock, TempDir, fixed_time};

const LIVE: &str = "workbench.log";

/// Line `i`, exactly 50 bytes with its newline.
fn line(i: usize) -> Vec<u8> {
    format!(
        "{:<49}\n",
        format!("line {i:05} service=brain path=/srv/data")
    )
    .into_bytes()
}

/// Line `i`, between 20 and 99 bytes long, so file boundaries fall everywhere.
fn ragged_line(i: usize) -> Vec<u8> {
    let mut text = format!("line {i:05} workspace/create");
    while text.len() < 19 + (i * 37) % 80 {
        text.push('.');
    }
    text.push('\n');
    text.into_bytes()
}

fn write_lines(file: &RotatingFile, lines: impl IntoIterator<Item = Vec<u8>>) {
    for line in lines {
        file.write_line(&line).unwrap();
    }
    file.flush().unwrap();
}

/// A file's bytes, gunzipped when its name ends in `.gz`.
fn read_log(path: &Path) -> Vec<u8> {
    let raw = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// A rotated file name split into (time, sequence, gzipped), or `None` when `name` is not
/// `workbench.log.YYYYMMDDTHHMMSS-NNNNNN[.gz]`.
fn rotated(name: &str) -> Option<(String, u64, bool)> {
    let rest = name.strip_prefix(&format!("{LIVE}."))?;
    let (stem, gz) = match rest.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (rest, false),
    };
    let (time, sequence) = stem.split_once('-')?;
    let time_ok = time.len() == 15
        && time
            .char_indices()
            .all(|(i, c)| if i == 8 { c == 'T' } else { c.is_ascii_digit() });
    let sequence_ok = sequence.len() == 6 && sequence.chars().all(|c| c.is_ascii_digit());
    (time_ok && sequence_ok).then(|| (time.to_owned(), sequence.parse().unwrap(), gz))
}

/// The rotated files in `dir`, oldest first.
fn rotated_names(dir: &TempDir) -> Vec<String> {
    dir.names()
        .into_iter()
        .filter(|name| rotated(name).is_some())
        .collect()
}

/// Every file's contents, rotated files oldest first and the live file last.
fn all_contents(dir: &TempDir) -> Vec<Vec<u8>> {
    rotated_names(dir)
        .into_iter()
        .chain([LIVE.to_owned()])
        .map(|name| read_log(&dir.join(&name)))
        .collect()
}

/// How many times each line appears across `contents`.
fn line_counts(contents: &[Vec<u8>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for file in contents {
        for line in file.split_inclusive(|b| *b == b'\n') {
            *counts
                .entry(String::from_utf8_lossy(line).into_owned())
                .or_default() += 1;
        }
    }
    counts
}

/// Each of `lines` counted once.
fn once_each(lines: impl IntoIterator<Item = usize>) -> BTreeMap<String, usize> {
    lines
        .into_iter()
        .map(|i| (String::from_utf8(line(i)).unwrap(), 1))
        .collect()
}

fn builder(dir: &TempDir) -> corers_log::RotatingFileBuilder {
    RotatingFile::builder(dir.join(LIVE)).clock(fixed_time)
}

// ---------------------------------------------------------------- RotatingFile::builder

#[test]
fn rotating_file_builder_defaults_100mb_keep_5_no_gzip_good() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join(LIVE)).build().unwrap();
    assert!(
        format!("{file:?}")
            .ends_with("max_bytes: 104857600, every: None, keep: 5, gzip: false, .. }"),
        "{file:?}"
    );
}

#[test]
fn rotating_file_builder_empty_path_is_invalid_bad() {
    let err = RotatingFile::builder("").build().unwrap_err();
    assert_eq!(
        (err.code(), err.operation()),
        (Some(&ErrorCode::INVALID), "log.RotatingFile.build")
    );
}

#[test]
fn rotating_file_builder_unicode_path_with_spaces_ugly() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join("ホーム ラボ.log"))
        .max_bytes(100)
        .clock(fixed_time)
        .build()
        .unwrap();
    write_lines(&file, (0..3).map(line));
    assert_eq!(
        dir.names(),
        [
            "ホーム ラボ.log".to_owned(),
            format!("ホーム ラボ.log.{FIXED_COMPACT}-000001")
        ]
    );
}

// ---------------------------------------------------------------- RotatingFileBuilder::max_bytes

#[test]
fn rotating_file_builder_max_bytes_rotates_past_limit_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(1000).keep(1000).build().unwrap();
    // 300 lines of 50 bytes: 20 per file, so 14 rotated files and a full live file.
    write_lines(&file, (0..300).map(line));
    let sizes: Vec<u64> = dir
        .names()
        .iter()
        .map(|name| fs::metadata(dir.join(name)).unwrap().len())
        .collect();
    assert_eq!((rotated_names(&dir).len(), sizes), (14, vec![1000; 15]));
}

#[test]
fn rotating_file_builder_max_bytes_zero_is_invalid_bad() {
    let dir = TempDir::new("rotation");
    let err = builder(&dir).max_bytes(0).build().unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Some(&ErrorCode::INVALID), "max_bytes must be at least 1")
    );
}

#[test]
fn rotating_file_builder_max_bytes_one_puts_each_line_alone_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(1).keep(100).build().unwrap();
    write_lines(&file, (0..5).map(line));
    assert_eq!(all_contents(&dir), (0..5).map(line).collect::<Vec<_>>());
}

// ---------------------------------------------------------------- RotatingFile::write_line

#[test]
fn rotating_file_write_line_appends_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).build().unwrap();
    write_lines(
        &file,
        [b"service started\n".to_vec(), b"cache warmed\n".to_vec()],
    );
    assert_eq!(
        fs::read_to_string(dir.join(LIVE)).unwrap(),
        "service started\ncache warmed\n"
    );
}

#[test]
fn rotating_file_write_line_no_line_lost_or_split_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(700)
        .keep(1000)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, (0..500).map(ragged_line));
    let contents = all_contents(&dir);
    let every_file_whole = contents
        .iter()
        .all(|bytes| !bytes.is_empty() && bytes.ends_with(b"\n") && bytes.len() <= 700);
    assert!(contents.len() > 40, "only {} files", contents.len());
    assert!(
        every_file_whole,
        "a file is empty, oversized or ends mid-line"
    );
    // Every line once, whole, in the order written: oldest rotated file first, live last.
    assert!(
        contents.concat() == (0..500).flat_map(ragged_line).collect::<Vec<u8>>(),
        "a line is missing, duplicated or split"
    );
}

#[test]
fn rotating_file_write_line_into_a_directory_that_cannot_be_made_again_is_unavailable_bad() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join("logs/workbench.log"))
        .max_bytes(100)
        .build()
        .unwrap();
    write_lines(&file, (0..2).map(line));
    // The directory removed, and a file where it was: no directory can be made there.
    fs::remove_dir_all(dir.join("logs")).unwrap();
    fs::write(dir.join("logs"), b"not a directory").unwrap();
    let err = file.write_line(&line(2)).unwrap_err();
    assert_eq!(
        (err.code(), err.operation()),
        (Some(&ErrorCode::UNAVAILABLE), "log.RotatingFile.write_line")
    );
    // Dropped, not written into the deleted file (where nobody could read it).
    assert!(file.write_line(&line(3)).is_err());
}

/// Writes lines 0 and 1 to `file`, lets `meanwhile` happen (an operator's doing), writes
/// lines 2 and 3 and flushes: what `path` holds then.
fn written_around(file: &RotatingFile, meanwhile: impl FnOnce(), path: &Path) -> Vec<u8> {
    write_lines(file, (0..2).map(line));
    meanwhile();
    write_lines(file, (2..4).map(line));
    file.flush().unwrap();
    fs::read(path).unwrap()
}

#[test]
#[cfg(unix)]
fn rotating_file_write_line_after_its_directory_was_removed_makes_it_again_ugly() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join("logs/workbench.log"))
        .build()
        .unwrap();
    // `rm -rf /var/log/app` under a running daemon.
    let removed = || fs::remove_dir_all(dir.join("logs")).unwrap();
    assert_eq!(
        written_around(&file, removed, &dir.join("logs/workbench.log")),
        [line(2), line(3)].concat()
    );
}

#[test]
fn rotating_file_write_line_rotation_after_its_directory_was_removed_goes_on_ugly() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join("logs/workbench.log"))
        .max_bytes(100)
        .build()
        .unwrap();
    write_lines(&file, (0..2).map(line));
    fs::remove_dir_all(dir.join("logs")).unwrap();
    file.write_line(&line(2)).unwrap();
    file.write_line(&line(3)).unwrap();
    file.flush().unwrap();
    assert!(
        fs::read(dir.join("logs/workbench.log"))
            .unwrap()
            .ends_with(&line(3))
    );
}

#[test]
fn rotating_file_write_line_live_file_removed_starts_a_new_one_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(10).build().unwrap();
    write_lines(&file, (0..2).map(line));
    file.flush().unwrap();
    // An operator moves the live file away.
    fs::rename(dir.join("workbench.log"), dir.join("moved.log")).unwrap();
    write_lines(&file, (2..5).map(line));
    file.flush().unwrap();
    let live = fs::read(dir.join("workbench.log")).unwrap();
    assert!(!live.is_empty(), "a new live file was started");
    assert!(live.ends_with(&line(4)));
}

#[test]
#[cfg(unix)]
fn rotating_file_write_line_live_file_deleted_reopened_at_the_next_line_ugly() {
    let dir = TempDir::new("rotation");
    // Far from its size limit: no rotation would notice the removal for a long time.
    let file = builder(&dir).build().unwrap();
    let removed = || fs::remove_file(dir.join("workbench.log")).unwrap();
    assert_eq!(
        written_around(&file, removed, &dir.join("workbench.log")),
        [line(2), line(3)].concat()
    );
}

#[test]
fn rotating_file_write_line_oversized_line_alone_and_whole_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(10).build().unwrap();
    let mut huge = "x".repeat(10_000).into_bytes();
    huge.push(b'\n');
    write_lines(&file, [line(0), huge.clone(), line(1)]);
    assert_eq!(all_contents(&dir), [line(0), huge, line(1)]);
}

#[test]
fn rotating_file_write_line_clones_share_file_and_sequence_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(10).build().unwrap();
    let clone = file.clone();
    write_lines(&clone, (0..3).map(line));
    write_lines(&file, (3..5).map(line));
    assert_eq!(
        dir.names(),
        [
            LIVE.to_owned(),
            format!("{LIVE}.{FIXED_COMPACT}-000001"),
            format!("{LIVE}.{FIXED_COMPACT}-000002")
        ]
    );
}

#[test]
fn rotating_file_write_line_two_writers_of_one_path_rotate_it_once_ugly() {
    // Two writers of one log (a second logger, or the app's CLI beside its daemon): when
    // one has rotated the file, the other follows it to the new live file instead of
    // rotating that one away too.
    let dir = TempDir::new("rotation");
    let first = builder(&dir).max_bytes(100).keep(100).build().unwrap();
    let second = builder(&dir).max_bytes(100).keep(100).build().unwrap();
    for i in 0..40 {
        let writer = if i % 2 == 0 { &first } else { &second };
        writer.write_line(&line(i)).unwrap();
    }
    first.flush().unwrap();
    second.flush().unwrap();
    // Every line once, and in the order written: no line went into a file rotated away
    // after a later line had gone to the new one.
    let written: Vec<u8> = (0..40).flat_map(line).collect();
    assert_eq!(all_contents(&dir).concat(), written);
}

#[test]
fn rotating_file_write_line_a_writer_that_logs_little_follows_at_its_next_line_ugly() {
    // A daemon writes ten lines for each of its CLI's: the CLI's own count never fills a
    // file, yet its lines must not go into (gzipped, pruned) files the daemon rotated away.
    let dir = TempDir::new("rotation");
    let daemon = builder(&dir)
        .max_bytes(200)
        .keep(100)
        .gzip(true)
        .build()
        .unwrap();
    let cli = builder(&dir)
        .max_bytes(200)
        .keep(100)
        .gzip(true)
        .build()
        .unwrap();
    for i in 0..44 {
        let writer = if i % 11 == 10 { &cli } else { &daemon };
        writer.write_line(&line(i)).unwrap();
    }
    daemon.flush().unwrap();
    cli.flush().unwrap();
    let written: Vec<u8> = (0..44).flat_map(line).collect();
    assert_eq!(all_contents(&dir).concat(), written);
}

#[test]
fn rotating_file_write_line_never_waits_for_a_lock_held_elsewhere_bad() {
    // Someone else holds the live file's lock (another writer mid-rotation, or `flock`
    // from a shell): lines still go out at once, and rotation waits for the lock to go.
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(10).build().unwrap();
    let held = fs::File::open(dir.join(LIVE)).unwrap();
    held.lock().unwrap();
    write_lines(&file, (0..4).map(line));
    assert!(rotated_names(&dir).is_empty());
    drop(held);
    write_lines(&file, (4..5).map(line));
    assert_eq!(rotated_names(&dir).len(), 1);
    let written: Vec<u8> = (0..5).flat_map(line).collect();
    assert_eq!(all_contents(&dir).concat(), written);
}

// ---------------------------------------------------------------- RotatingFile::flush

#[test]
fn rotating_file_flush_keeps_every_line_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).build().unwrap();
    file.write_line(b"service started\n").unwrap();
    file.flush().unwrap();
    assert_eq!(
        fs::read_to_string(dir.join(LIVE)).unwrap(),
        "service started\n"
    );
}

#[test]
fn rotating_file_flush_not_called_lines_are_in_the_file_anyway_bad() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).build().unwrap();
    file.write_line(b"service started\n").unwrap();
    assert_eq!(
        fs::read_to_string(dir.join(LIVE)).unwrap(),
        "service started\n"
    );
}

#[test]
fn rotating_file_flush_waits_for_every_compression_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(1000)
        .keep(1000)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, (0..2000).map(line));
    let names = rotated_names(&dir);
    assert_eq!(
        (
            names.len(),
            names.iter().filter(|name| rotated(name).unwrap().2).count(),
            dir.names().len()
        ),
        (99, 99, 100)
    );
}

// ---------------------------------------------------------------- RotatingFile::path

#[test]
fn rotating_file_path_is_live_file_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).build().unwrap();
    assert_eq!(file.path(), dir.join(LIVE));
}

#[test]
fn rotating_file_path_never_a_rotated_file_bad() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).build().unwrap();
    write_lines(&file, (0..5).map(line));
    assert_eq!(
        (file.path(), read_log(file.path())),
        (dir.join(LIVE).as_path(), line(4))
    );
}

#[test]
fn rotating_file_path_kept_as_given_not_normalised_ugly() {
    let dir = TempDir::new("rotation");
    let given = dir.path().join("logs/./workbench.log");
    let file = RotatingFile::builder(&given).build().unwrap();
    assert_eq!(
        (file.path(), dir.join("logs/workbench.log").exists()),
        (given.as_path(), true)
    );
}

// ---------------------------------------------------------------- RotatingFileBuilder::every

#[test]
fn rotating_file_builder_every_rotates_by_age_good() {
    let dir = TempDir::new("rotation");
    let clock = ManualClock::at(FIXED_SECS);
    let file = RotatingFile::builder(dir.join(LIVE))
        .every(Duration::from_secs(3600))
        .clock(clock.reader())
        .build()
        .unwrap();
    file.write_line(&line(0)).unwrap();
    clock.advance(3599);
    file.write_line(&line(1)).unwrap();
    clock.advance(1);
    file.write_line(&line(2)).unwrap();
    file.flush().unwrap();
    assert_eq!(
        (dir.names(), all_contents(&dir)),
        (
            vec![LIVE.to_owned(), format!("{LIVE}.20261126T151329-000001")],
            vec![[line(0), line(1)].concat(), line(2)]
        )
    );
}

#[test]
fn rotating_file_builder_every_counts_from_the_files_creation_ugly() {
    let dir = TempDir::new("rotation");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Run by a process that lived a moment: the file it left is an hour older next time.
    let clock = ManualClock::at(now);
    let build = || {
        RotatingFile::builder(dir.join(LIVE))
            .every(Duration::from_secs(3600))
            .clock(clock.reader())
            .build()
            .unwrap()
    };
    write_lines(&build(), [line(0)]);
    // A second more than the limit: the clock reads whole seconds, the file's time does not.
    clock.advance(3601);
    write_lines(&build(), [line(1)]);
    assert_eq!(dir.names().len(), 2, "{:?}", dir.names());
    assert_eq!(all_contents(&dir), [line(0), line(1)]);
}

#[test]
fn rotating_file_builder_every_empty_file_not_rotated_bad() {
    let dir = TempDir::new("rotation");
    let clock = ManualClock::at(FIXED_SECS);
    let file = RotatingFile::builder(dir.join(LIVE))
        .every(Duration::from_secs(3600))
        .clock(clock.reader())
        .build()
        .unwrap();
    clock.advance(7200);
    write_lines(&file, [line(0)]);
    assert_eq!(dir.names(), [LIVE]);
}

#[test]
fn rotating_file_builder_every_clock_going_backwards_ugly() {
    let dir = TempDir::new("rotation");
    let clock = ManualClock::at(FIXED_SECS);
    let file = RotatingFile::builder(dir.join(LIVE))
        .every(Duration::from_secs(3600))
        .clock(clock.reader())
        .build()
        .unwrap();
    file.write_line(&line(0)).unwrap();
    clock.set(FIXED_SECS - 86_400);
    file.write_line(&line(1)).unwrap();
    clock.set(FIXED_SECS + 3599);
    write_lines(&file, [line(2)]);
    assert_eq!(dir.names(), [LIVE]);
}

// ---------------------------------------------------------------- RotatingFileBuilder::keep

#[test]
fn rotating_file_builder_keep_prunes_oldest_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(1000).keep(3).build().unwrap();
    write_lines(&file, (0..300).map(line));
    let sequences: Vec<u64> = rotated_names(&dir)
        .iter()
        .map(|name| rotated(name).unwrap().1)
        .collect();
    assert_eq!(sequences, [12, 13, 14]);
}

#[test]
fn rotating_file_builder_keep_under_limit_prunes_nothing_bad() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(5).build().unwrap();
    write_lines(&file, (0..8).map(line));
    assert_eq!(line_counts(&all_contents(&dir)), once_each(0..8));
}

#[test]
fn rotating_file_builder_keep_zero_leaves_only_live_file_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(100)
        .keep(0)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, (0..9).map(line));
    assert_eq!(
        (dir.names(), read_log(&dir.join(LIVE))),
        (vec![LIVE.to_owned()], line(8))
    );
}

#[test]
fn rotating_file_builder_keep_with_gzip_counts_each_file_once_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(1000)
        .keep(3)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, (0..300).map(line));
    assert_eq!(
        dir.names(),
        [
            LIVE.to_owned(),
            format!("{LIVE}.{FIXED_COMPACT}-000012.gz"),
            format!("{LIVE}.{FIXED_COMPACT}-000013.gz"),
            format!("{LIVE}.{FIXED_COMPACT}-000014.gz"),
        ]
    );
}

#[test]
fn rotating_file_builder_keep_ignores_unrelated_files_ugly() {
    let dir = TempDir::new("rotation");
    fs::write(dir.join("workbench.log.1"), "from an older logrotate\n").unwrap();
    fs::write(dir.join("workbench.log.lock"), "4242\n").unwrap();
    let file = builder(&dir).max_bytes(100).keep(2).build().unwrap();
    write_lines(&file, (0..10).map(line));
    assert_eq!(
        (
            dir.join("workbench.log.1").exists(),
            dir.join("workbench.log.lock").exists(),
            rotated_names(&dir).len()
        ),
        (true, true, 2)
    );
}

#[test]
fn rotating_file_builder_keep_prunes_past_the_millionth_rotation_ugly() {
    // A seven-digit sequence (a million rotations on) is still one of ours: pruned as the
    // oldest, not kept for ever.
    let dir = TempDir::new("rotation");
    let old = format!("{LIVE}.20200101T000000-1234567");
    fs::write(dir.join(&old), "from rotation 1,234,567\n").unwrap();
    let file = builder(&dir).max_bytes(100).keep(2).build().unwrap();
    write_lines(&file, (0..10).map(line));
    assert!(!dir.join(&old).exists(), "{:?}", dir.names());
    assert_eq!(rotated_names(&dir).len(), 2);
}

// ---------------------------------------------------------------- RotatingFileBuilder::gzip

#[test]
fn rotating_file_builder_gzip_rotated_files_decode_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(1000)
        .keep(100)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, (0..100).map(line));
    // Decoding fails the test on any invalid gzip stream.
    let decoded: Vec<Vec<u8>> = rotated_names(&dir)
        .iter()
        .map(|name| read_log(&dir.join(name)))
        .collect();
    assert_eq!(
        decoded,
        (0..4)
            .map(|file| (file * 20..file * 20 + 20)
                .flat_map(line)
                .collect::<Vec<u8>>())
            .collect::<Vec<_>>()
    );
}

#[cfg(unix)]
#[test]
fn rotating_file_builder_gzip_keeps_an_owner_only_log_owner_only_ugly() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(1000)
        .keep(100)
        .gzip(true)
        .build()
        .unwrap();
    write_lines(&file, [line(0)]);
    let owner_only = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(dir.join(LIVE), owner_only).unwrap();
    write_lines(&file, (1..60).map(line));
    file.flush().unwrap();
    let modes: Vec<(String, u32)> = dir
        .names()
        .into_iter()
        .map(|name| {
            let mode = std::fs::metadata(dir.join(&name))
                .unwrap()
                .permissions()
                .mode();
            (name, mode & 0o777)
        })
        .collect();
    assert_eq!(modes.len(), 3, "{modes:?}");
    assert!(modes.iter().all(|(_, mode)| *mode == 0o600), "{modes:?}");
}

#[test]
fn rotating_file_builder_gzip_off_leaves_plain_files_bad() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).keep(100).build().unwrap();
    write_lines(&file, (0..6).map(line));
    assert_eq!(
        dir.names(),
        [
            LIVE.to_owned(),
            format!("{LIVE}.{FIXED_COMPACT}-000001"),
            format!("{LIVE}.{FIXED_COMPACT}-000002"),
        ]
    );
}

#[test]
fn rotating_file_builder_gzip_binary_line_round_trips_ugly() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir)
        .max_bytes(10)
        .keep(10)
        .gzip(true)
        .build()
        .unwrap();
    let binary: Vec<u8> = (0..=255u8).chain([b'\n']).collect();
    write_lines(&file, [binary.clone(), line(0)]);
    assert_eq!(
        read_log(&dir.join(&format!("{LIVE}.{FIXED_COMPACT}-000001.gz"))),
        binary
    );
}

// ---------------------------------------------------------------- RotatingFileBuilder::clock

#[test]
fn rotating_file_builder_clock_names_rotated_files_good() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).max_bytes(100).build().unwrap();
    write_lines(&file, (0..5).map(line));
    let names = dir.names();
    assert_eq!(
        (
            names
                .iter()
                .filter_map(|name| rotated(name))
                .collect::<Vec<_>>(),
            &names[0]
        ),
        (
            vec![
                (FIXED_COMPACT.to_owned(), 1, false),
                (FIXED_COMPACT.to_owned(), 2, false)
            ],
            &LIVE.to_owned()
        )
    );
}

#[test]
fn rotating_file_builder_clock_stopped_never_rotates_by_age_bad() {
    let dir = TempDir::new("rotation");
    let file = builder(&dir).every(Duration::from_secs(1)).build().unwrap();
    write_lines(&file, (0..50).map(line));
    assert_eq!(dir.names(), [LIVE]);
}

#[test]
fn rotating_file_builder_clock_before_epoch_names_epoch_ugly() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join(LIVE))
        .max_bytes(100)
        .clock(|| UNIX_EPOCH - Duration::from_secs(86_400))
        .build()
        .unwrap();
    write_lines(&file, (0..3).map(line));
    assert_eq!(
        rotated_names(&dir),
        [format!("{LIVE}.19700101T000000-000001")]
    );
}

#[test]
fn rotating_file_builder_clock_that_logs_to_the_same_file_ugly() {
    // A clock that writes a line (a panic hook logging a panicking clock does the same)
    // re-enters the file: it must not wait on the lock its own caller holds.
    let dir = TempDir::new("rotation");
    let shared: std::sync::Arc<std::sync::OnceLock<RotatingFile>> = std::sync::Arc::default();
    let entered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (from_clock, once) = (
        std::sync::Arc::clone(&shared),
        std::sync::Arc::clone(&entered),
    );
    let file = RotatingFile::builder(dir.join(LIVE))
        .clock(move || {
            // Once, when the file is there (building it reads the clock too).
            if let Some(file) = from_clock.get()
                && !once.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                file.write_line(b"from the clock\n").unwrap();
            }
            fixed_time()
        })
        .build()
        .unwrap();
    assert!(shared.set(file).is_ok());
    let (done, finished) = std::sync::mpsc::channel();
    let writer = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || {
        let written = writer.get().unwrap().write_line(b"cache flushed\n");
        let _ = done.send(written.is_ok());
    });
    let written = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the line is written, not stuck behind its own clock");
    assert!(written);
    assert_eq!(
        fs::read_to_string(dir.join(LIVE)).unwrap(),
        "from the clock\ncache flushed\n"
    );
}

// ---------------------------------------------------------------- RotatingFileBuilder::build

#[test]
fn rotating_file_builder_build_creates_parent_dirs_good() {
    let dir = TempDir::new("rotation");
    let file = RotatingFile::builder(dir.join("var/log/workbench/workbench.log"))
        .build()
        .unwrap();
    write_lines(&file, [line(0)]);
    assert_eq!(
        fs::read(dir.join("var/log/workbench/workbench.log")).unwrap(),
        line(0)
    );
}

#[test]
fn rotating_file_builder_build_parent_is_a_file_unavailable_bad() {
    let dir = TempDir::new("rotation");
    fs::write(dir.join("logs"), "not a directory").unwrap();
    let err = RotatingFile::builder(dir.join("logs/workbench.log"))
        .build()
        .unwrap_err();
    assert_eq!(
        (err.code(), err.operation()),
        (Some(&ErrorCode::UNAVAILABLE), "log.RotatingFile.build")
    );
}

#[test]
fn rotating_file_builder_build_existing_file_counts_toward_size_ugly() {
    let dir = TempDir::new("rotation");
    let earlier: Vec<u8> = (0..18).flat_map(line).collect();
    fs::write(dir.join(LIVE), &earlier).unwrap();
    let file = builder(&dir).max_bytes(1000).build().unwrap();
    write_lines(&file, (18..21).map(line));
    assert_eq!(
        all_contents(&dir),
        [(0..20).flat_map(line).collect::<Vec<u8>>(), line(20)]
    );
}

#[test]
fn rotating_file_builder_build_restart_same_second_loses_nothing_ugly() {
    let dir = TempDir::new("rotation");
    for run in 0..2 {
        let file = builder(&dir).max_bytes(100).keep(10).build().unwrap();
        write_lines(&file, (run * 3..run * 3 + 3).map(line));
    }
    assert_eq!(line_counts(&all_contents(&dir)), once_each(0..6));
}

const FULL_DISK: &str = "CORERS_LOG_FULL_DISK";

/// Not a test of its own: writes 40 lines of 50 bytes under a file-size limit the parent
/// set (writes past it fail, as on a full disk), empties the file, and writes 2 more.
#[test]
fn full_disk_probe() {
    let Ok(dir) = std::env::var(FULL_DISK) else {
        return;
    };
    let file = RotatingFile::builder(Path::new(&dir).join(LIVE))
        .build()
        .unwrap();
    let failed = (0..40)
        .filter(|&i| file.write_line(&line(i)).is_err())
        .count();
    println!("@@failed {failed}");
    // Room again: the operator cleared the disk.
    fs::OpenOptions::new()
        .write(true)
        .open(Path::new(&dir).join(LIVE))
        .unwrap()
        .set_len(0)
        .unwrap();
    for i in 40..42 {
        file.write_line(&line(i)).unwrap();
    }
}

#[test]
fn rotating_file_write_line_full_disk_is_told_once_and_then_counted_ugly() {
    let dir = TempDir::new("rotation");
    // A limit of 512 bytes or 1 KiB (the shell's block size), and SIGXFSZ ignored so that a
    // write past it fails with EFBIG instead of ending the process.
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 1; exec \"$0\" full_disk_probe --exact --nocapture",
        ])
        .arg(std::env::current_exe().unwrap())
        .env(FULL_DISK, dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let failed: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("@@failed "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..40).contains(&failed), "{stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let told: Vec<&str> = stderr.lines().filter(|l| l.contains("log file")).collect();
    let live = dir.join(LIVE);
    assert_eq!(
        told,
        [
            format!(
                "cannot write log file {}: File too large (os error 27); dropping log lines until it can be written",
                live.display()
            ),
            format!(
                "log file {} can be written again; {failed} lines were dropped",
                live.display()
            ),
        ]
    );
    assert_eq!(fs::read(&live).unwrap(), [line(40), line(41)].concat());
}
