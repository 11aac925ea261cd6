//! Outputs: [`MemorySink`] (new, contents, lines, clear) and [`Output::writer`] for any
//! `Write`, including writers that fail or accept a byte at a time.

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use corers_log::{Logger, MemorySink, Output};

use common::FIXED_STAMP;

fn logger_into(sink: &MemorySink) -> Logger {
    Logger::builder()
        .output(Output::Memory(sink.clone()))
        .clock(common::fixed_time)
        .build()
}

/// A writer whose bytes the test can read back.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that takes one byte per call, as a slow pipe might.
struct OneByteAtATime(SharedBuffer);

impl Write for OneByteAtATime {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match bytes.first() {
            Some(byte) => self.0.write(std::slice::from_ref(byte)),
            None => Ok(0),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer on a disk that is full for the first write and flush, then has room.
struct FullOnce {
    full: bool,
    buffer: SharedBuffer,
}

impl Write for FullOnce {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.full {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.buffer.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.full) {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- MemorySink::new

#[test]
fn memory_sink_new_starts_empty_good() {
    let sink = MemorySink::new();
    assert_eq!((sink.contents(), sink.lines().len()), (String::new(), 0));
}

#[test]
fn memory_sink_new_sinks_do_not_share_bad() {
    let (captured, other) = (MemorySink::new(), MemorySink::new());
    corers_log::info!(logger_into(&captured), "service started");
    assert_eq!(other.contents(), "");
}

#[test]
fn memory_sink_new_clones_share_one_buffer_ugly() {
    let sink = MemorySink::new();
    let clone = sink.clone();
    corers_log::info!(logger_into(&clone), "service started");
    assert_eq!(sink.contents(), clone.contents());
}

// ---------------------------------------------------------------- MemorySink::contents

#[test]
fn memory_sink_contents_every_line_with_newlines_good() {
    let sink = MemorySink::new();
    let log = logger_into(&sink);
    corers_log::info!(log, "service started");
    corers_log::warn!(log, "disk almost full");
    assert_eq!(
        sink.contents(),
        format!(
            "{FIXED_STAMP} INFO  sink: service started\n{FIXED_STAMP} WARN  sink: disk almost full\n"
        )
    );
}

#[test]
fn memory_sink_contents_filtered_event_leaves_empty_bad() {
    let sink = MemorySink::new();
    corers_log::debug!(logger_into(&sink), "resolved command");
    assert_eq!(sink.contents(), "");
}

#[test]
fn memory_sink_contents_keeps_multibyte_text_ugly() {
    let sink = MemorySink::new();
    corers_log::info!(logger_into(&sink), host = "ホームラボ", "同期 🚀");
    assert!(
        sink.contents()
            .ends_with("INFO  sink: 同期 🚀 host=ホームラボ\n"),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- MemorySink::lines

#[test]
fn memory_sink_lines_one_per_event_without_newline_good() {
    let sink = MemorySink::new();
    let log = logger_into(&sink);
    for service in ["brain", "cache", "git"] {
        corers_log::info!(log, service, "service started");
    }
    let lines = sink.lines();
    assert_eq!(
        lines,
        [
            format!("{FIXED_STAMP} INFO  sink: service started service=brain"),
            format!("{FIXED_STAMP} INFO  sink: service started service=cache"),
            format!("{FIXED_STAMP} INFO  sink: service started service=git"),
        ]
    );
}

#[test]
fn memory_sink_lines_nothing_logged_is_empty_bad() {
    assert!(MemorySink::new().lines().is_empty());
}

#[test]
fn memory_sink_lines_empty_message_is_still_a_line_ugly() {
    let sink = MemorySink::new();
    corers_log::info!(logger_into(&sink), "");
    assert_eq!(sink.lines(), [format!("{FIXED_STAMP} INFO  sink:")]);
}

// ---------------------------------------------------------------- MemorySink::clear

#[test]
fn memory_sink_clear_empties_good() {
    let sink = MemorySink::new();
    corers_log::info!(logger_into(&sink), "service started");
    sink.clear();
    assert_eq!(sink.contents(), "");
}

#[test]
fn memory_sink_clear_empty_sink_is_harmless_bad() {
    let sink = MemorySink::new();
    sink.clear();
    sink.clear();
    assert!(sink.lines().is_empty());
}

#[test]
fn memory_sink_clear_through_clone_then_logging_continues_ugly() {
    let sink = MemorySink::new();
    let log = logger_into(&sink);
    corers_log::info!(log, "before");
    sink.clone().clear();
    corers_log::info!(log, "after");
    assert_eq!(sink.lines(), [format!("{FIXED_STAMP} INFO  sink: after")]);
}

// ---------------------------------------------------------------- Output::writer

#[test]
fn output_writer_receives_whole_lines_good() {
    let buffer = SharedBuffer::default();
    let log = Logger::builder()
        .output(Output::writer(buffer.clone()))
        .clock(common::fixed_time)
        .build();
    corers_log::info!(log, service = "brain", "service started");
    assert_eq!(
        buffer.text(),
        format!("{FIXED_STAMP} INFO  sink: service started service=brain\n")
    );
}

#[test]
fn output_writer_failed_write_drops_only_that_line_bad() {
    let buffer = SharedBuffer::default();
    let disk = FullOnce {
        full: true,
        buffer: buffer.clone(),
    };
    let log = Logger::builder()
        .output(Output::writer(disk))
        .clock(common::fixed_time)
        .build();
    corers_log::error!(log, path = "/srv/data", "first write fails");
    log.flush();
    corers_log::info!(log, "disk freed");
    assert_eq!(
        buffer.text(),
        format!("{FIXED_STAMP} INFO  sink: disk freed\n")
    );
}

/// A writer that panics on its first write, then works.
struct PanicsOnce {
    panicked: bool,
    buffer: SharedBuffer,
}

impl Write for PanicsOnce {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if !self.panicked {
            self.panicked = true;
            panic!("log pipe closed");
        }
        self.buffer.write(bytes)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn output_writer_panicking_write_loses_the_line_not_the_caller_ugly() {
    let buffer = SharedBuffer::default();
    let log = Logger::builder()
        .output(Output::writer(PanicsOnce {
            panicked: false,
            buffer: buffer.clone(),
        }))
        .clock(common::fixed_time)
        .build();
    corers_log::error!(log, "lost with the panic");
    corers_log::info!(log, "pipe reopened");
    assert_eq!(
        buffer.text(),
        format!("{FIXED_STAMP} INFO  sink: pipe reopened\n")
    );
}

#[test]
fn output_writer_short_writes_still_whole_lines_ugly() {
    let buffer = SharedBuffer::default();
    let log = Logger::builder()
        .output(Output::writer(OneByteAtATime(buffer.clone())))
        .clock(common::fixed_time)
        .build();
    corers_log::info!(log, host = "ホームラボ", "synced");
    corers_log::info!(log, "done");
    assert_eq!(
        buffer.text(),
        format!(
            "{FIXED_STAMP} INFO  sink: synced host=ホームラボ\n{FIXED_STAMP} INFO  sink: done\n"
        )
    );
}

// ---------------------------------------------------------------- Output::non_blocking

/// A writer that takes nothing until its gate opens, then keeps what it is given.
#[derive(Clone, Default)]
struct Gated {
    open: Arc<(Mutex<bool>, std::sync::Condvar)>,
    kept: Arc<Mutex<Vec<u8>>>,
}

impl Gated {
    fn open(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }

    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.kept.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut open = self.open.0.lock().unwrap();
        while !*open {
            open = self.open.1.wait(open).unwrap();
        }
        self.kept.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn plain_logger(output: Output) -> Logger {
    Logger::builder()
        .output(output)
        .clock(common::fixed_time)
        .build()
}

#[test]
fn output_non_blocking_writes_every_line_in_order_good() {
    let sink = MemorySink::new();
    let log = plain_logger(Output::Memory(sink.clone()).non_blocking(10_000));
    for i in 0..500 {
        corers_log::info!(log, i, "indexed");
    }
    log.flush();
    let lines = sink.lines();
    assert_eq!(lines.len(), 500);
    assert!(lines[499].ends_with("indexed i=499"), "{}", lines[499]);
    assert!(
        lines
            .iter()
            .enumerate()
            .all(|(i, line)| line.ends_with(&format!(" i={i}")))
    );
}

#[test]
fn output_non_blocking_stalled_writer_never_blocks_the_caller_bad() {
    let gated = Gated::default();
    let log = plain_logger(Output::writer(gated.clone()).non_blocking(4));
    // Logging goes on while the writer takes nothing (a pipe nobody reads).
    let (done, logged) = std::sync::mpsc::channel();
    let writer = log.clone();
    std::thread::spawn(move || {
        for i in 0..100 {
            // Warnings and errors too, which ask for a flush of their own.
            match i % 3 {
                0 => corers_log::info!(writer, i, "queued"),
                1 => corers_log::warn!(writer, i, "queued"),
                _ => corers_log::error!(writer, i, "queued"),
            }
        }
        done.send(()).unwrap();
    });
    logged
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("logging waited for a stalled writer");
    gated.open();
    log.flush();
    // The first lines (the one being written and the queue's) are kept, in order; the
    // rest were dropped rather than waited for.
    let lines = gated.lines();
    assert!((1..100).contains(&lines.len()), "{}", lines.len());
    assert!(lines[0].ends_with("queued i=0"), "{}", lines[0]);
}

#[test]
fn output_non_blocking_flush_gives_up_on_a_stalled_writer_ugly() {
    // A shutdown flushes the log: a writer that never takes anything must not hold it.
    let gated = Gated::default();
    let log = plain_logger(Output::writer(gated.clone()).non_blocking(8));
    corers_log::info!(log, "stuck");
    let (done, flushed) = std::sync::mpsc::channel();
    let shutting_down = log.clone();
    std::thread::spawn(move || {
        shutting_down.flush();
        done.send(()).unwrap();
    });
    flushed
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("flush waited for a stalled writer");
    gated.open();
}

#[test]
fn output_non_blocking_panicking_writer_loses_one_line_not_the_thread_ugly() {
    struct Touchy(Arc<Mutex<Vec<u8>>>);
    impl Write for Touchy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            assert!(
                !String::from_utf8_lossy(buf).contains("poison"),
                "writer broke"
            );
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let kept = Arc::new(Mutex::new(Vec::new()));
    let log = plain_logger(Output::writer(Touchy(Arc::clone(&kept))).non_blocking(100));
    corers_log::info!(log, "before");
    corers_log::info!(log, "poison");
    corers_log::info!(log, "after");
    // The writer thread's panic is reported first (a backtrace under RUST_BACKTRACE=1
    // takes a loaded machine longer than one flush waits): flushed until "after" is in.
    let started = std::time::Instant::now();
    let written = loop {
        log.flush();
        let written = String::from_utf8(kept.lock().unwrap().clone()).unwrap();
        if written.contains("after") || started.elapsed() > std::time::Duration::from_secs(10) {
            break written;
        }
    };
    assert!(
        written.contains("before") && written.contains("after"),
        "{written}"
    );
    assert!(!written.contains("poison"), "{written}");
}

const DROPPING: &str = "CORERS_LOG_DROPPING";

/// Not a test of its own: logs 50 lines to a stalled writer behind a queue of 2, then
/// opens it, flushes, and prints how many lines it kept.
#[test]
fn dropping_probe() {
    if std::env::var_os(DROPPING).is_none() {
        return;
    }
    let gated = Gated::default();
    let log = plain_logger(Output::writer(gated.clone()).non_blocking(2));
    for i in 0..50 {
        corers_log::info!(log, i, "queued");
    }
    gated.open();
    log.flush();
    println!("@@kept {}", gated.lines().len());
}

#[test]
fn output_non_blocking_dropped_lines_are_told_on_stderr_ugly() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["dropping_probe", "--exact", "--nocapture"])
        .env(DROPPING, "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let kept: usize = stdout
        .lines()
        .find_map(|line| line.strip_prefix("@@kept "))
        .unwrap()
        .parse()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "{} log lines were dropped: the log output could not keep up",
            50 - kept
        )),
        "kept {kept}: {stderr}"
    );
}

#[test]
fn memory_sink_debug_says_how_much_it_holds_good() {
    let sink = corers_log::MemorySink::new();
    assert_eq!(format!("{sink:?}"), "MemorySink { bytes: 0 }");
    corers_log::info!(logger_into(&sink), "started");
    let held = sink.contents().len();
    assert!(held > 0);
    assert_eq!(
        format!("{sink:?}"),
        format!("MemorySink {{ bytes: {held} }}")
    );
}
