//! Many threads logging through one [`Logger`]: to a rotating (and gzipping) file and to
//! memory, while the level changes underneath. Every line stays whole and appears once.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use corers_log::{Format, Level, Logger, Output, RotatingFile};
use flate2::read::GzDecoder;

use common::{TempDir, capture};

const THREADS: usize = 8;

/// A file's text, gunzipped when its name ends in `.gz`.
fn read_log(path: &Path) -> String {
    let raw = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = String::new();
        GzDecoder::new(raw.as_slice())
            .read_to_string(&mut out)
            .unwrap();
        out
    } else {
        String::from_utf8(raw).unwrap()
    }
}

/// The `(thread, seq)` of every line, failing on a line that is not whole JSON.
fn ids(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("torn line {line:?}: {e}"));
            let fields = &value["fields"];
            (
                fields["thread"].as_u64().unwrap(),
                fields["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn log_from_threads(log: &Logger, lines_each: usize) {
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            scope.spawn(move || {
                for seq in 0..lines_each {
                    corers_log::info!(
                        log,
                        thread,
                        seq,
                        path = "/srv/data/workspace",
                        "indexed file"
                    );
                }
            });
        }
    });
}

fn assert_each_once(ids: &[(u64, u64)], lines_each: usize) {
    let distinct: BTreeSet<&(u64, u64)> = ids.iter().collect();
    let expected = THREADS * lines_each;
    assert_eq!(
        (ids.len(), distinct.len()),
        (expected, expected),
        "lines lost or duplicated"
    );
}

#[test]
fn logger_builder_output_rotating_file_eight_threads_every_line_once_good() {
    const LINES_EACH: usize = 10_000;
    let dir = TempDir::new("concurrency");
    let file = RotatingFile::builder(dir.join("workbench.log"))
        .max_bytes(256 * 1024)
        .keep(10_000)
        .gzip(true)
        .build()
        .unwrap();
    let log = Logger::builder()
        .format(Format::Json)
        .output(Output::File(file))
        .build();
    log_from_threads(&log, LINES_EACH);
    log.flush();

    let names = dir.names();
    let texts: Vec<String> = names.iter().map(|name| read_log(&dir.join(name))).collect();
    assert!(names.len() > 10, "rotation never happened: {names:?}");
    assert!(
        texts.iter().all(|text| text.ends_with('\n')),
        "a file ends mid-line"
    );
    let all: Vec<(u64, u64)> = texts.iter().flat_map(|text| ids(text)).collect();
    assert_each_once(&all, LINES_EACH);
}

#[test]
fn memory_sink_contents_eight_threads_never_interleave_good() {
    const LINES_EACH: usize = 2_000;
    let (log, sink) = capture(Format::Json, Level::Info);
    log_from_threads(&log, LINES_EACH);
    assert_each_once(&ids(&sink.contents()), LINES_EACH);
}

#[test]
fn logger_set_level_while_threads_log_ugly() {
    const LINES_EACH: usize = 2_000;
    let (log, sink) = capture(Format::Json, Level::Info);
    let done = AtomicBool::new(false);
    // The loggers start once the level has flipped, and it flips at least twice.
    let flipping = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut level = Level::Debug;
            let mut flips = 0_u64;
            while flips < 2 || !done.load(Ordering::SeqCst) {
                log.set_level(level);
                level = if level == Level::Debug {
                    Level::Info
                } else {
                    Level::Debug
                };
                flips += 1;
                if flips == 1 {
                    flipping.wait();
                }
            }
        });
        flipping.wait();
        log_from_threads(&log, LINES_EACH);
        done.store(true, Ordering::SeqCst);
    });
    // Info lines pass at both levels, so none may be lost while the level flips.
    assert_each_once(&ids(&sink.contents()), LINES_EACH);
}
