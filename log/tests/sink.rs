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
        format!("{FIXED_STAMP} INFO  service started\n{FIXED_STAMP} WARN  disk almost full\n")
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
        sink.contents().ends_with("INFO  同期 🚀 host=ホームラボ\n"),
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
            format!("{FIXED_STAMP} INFO  service started service=brain"),
            format!("{FIXED_STAMP} INFO  service started service=cache"),
            format!("{FIXED_STAMP} INFO  service started service=git"),
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
    assert_eq!(sink.lines(), [format!("{FIXED_STAMP} INFO")]);
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
    assert_eq!(sink.lines(), [format!("{FIXED_STAMP} INFO  after")]);
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
        format!("{FIXED_STAMP} INFO  service started service=brain\n")
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
    assert_eq!(buffer.text(), format!("{FIXED_STAMP} INFO  disk freed\n"));
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
        format!("{FIXED_STAMP} INFO  pipe reopened\n")
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
        format!("{FIXED_STAMP} INFO  synced host=ホームラボ\n{FIXED_STAMP} INFO  done\n")
    );
}
