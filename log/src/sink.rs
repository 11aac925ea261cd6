//! [`Output`]: where log lines go.

use std::cell::Cell;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{NonBlocking, RotatingFile};

/// Where a logger writes its lines. Every line is written with one call under the output's
/// own lock, so lines from many threads never interleave.
///
/// ```
/// use corers_log::{Logger, MemorySink, Output};
/// let sink = MemorySink::new();
/// let logger = Logger::builder().output(Output::Memory(sink.clone())).build();
/// logger.in_scope(|| tracing::info!(service = "brain", "service started"));
/// assert!(sink.contents().contains("service started service=brain"));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Output {
    /// The process's standard error (the default); coloured when it is a terminal
    /// (unless `NO_COLOR` is set).
    #[default]
    Stderr,
    /// The process's standard output; coloured when it is a terminal.
    Stdout,
    /// A file rotated by size and time.
    File(RotatingFile),
    /// An in-memory buffer, for tests and for capturing output.
    Memory(MemorySink),
    /// Any writer, behind a lock (never coloured).
    Writer(Arc<Mutex<dyn Write + Send>>),
    /// Another output, written by a thread of its own ([`Output::non_blocking`]).
    NonBlocking(NonBlocking),
}

impl Output {
    /// Wraps any writer, e.g. a `TcpStream` or a pipe.
    ///
    /// ```
    /// use corers_log::Output;
    /// let output = Output::writer(std::io::sink());
    /// assert!(matches!(output, Output::Writer(_)));
    /// ```
    pub fn writer(writer: impl Write + Send + 'static) -> Output {
        Output::Writer(Arc::new(Mutex::new(writer)))
    }

    /// This output, written by a thread of its own through a queue of `capacity` lines,
    /// so that logging never waits for it (see [`NonBlocking`]): for standard error under
    /// a supervisor that may stop reading, a slow disk, a network writer. Coloured as the
    /// output itself would be.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let log = Logger::builder()
    ///     .output(Output::Memory(sink.clone()).non_blocking(10_000))
    ///     .build();
    /// corers_log::info!(log, workspace = "alpha", "indexed");
    /// log.flush();
    /// assert!(sink.contents().contains("indexed workspace=alpha"));
    /// ```
    ///
    /// The queue holds at most 1,048,576 lines, whatever `capacity` asks. Where no thread
    /// can be started, the output is returned as it is (written by the caller), with a
    /// note on standard error.
    pub fn non_blocking(self, capacity: usize) -> Output {
        let terminal = self.is_terminal();
        match NonBlocking::start(self.clone(), capacity, terminal) {
            Some(queue) => Output::NonBlocking(queue),
            None => self,
        }
    }

    pub(crate) fn is_terminal(&self) -> bool {
        match self {
            Output::Stderr => std::io::stderr().is_terminal(),
            Output::Stdout => std::io::stdout().is_terminal(),
            Output::NonBlocking(queue) => queue.is_terminal(),
            _ => false,
        }
    }

    /// Writes one whole line. Failures to write a log line are dropped: logging must never
    /// take the program down, and there is nowhere left to report them.
    pub(crate) fn write_line(&self, line: &[u8]) {
        let _ = match self {
            Output::Stderr => std::io::stderr().lock().write_all(line),
            Output::Stdout => std::io::stdout().lock().write_all(line),
            Output::File(file) => file.write_line(line).map_err(std::io::Error::other),
            Output::Memory(sink) => {
                sink.append(line);
                Ok(())
            }
            Output::Writer(writer) => using(writer, |writer| writer.write_all(line)),
            Output::NonBlocking(queue) => {
                queue.write_line(line);
                Ok(())
            }
        };
    }

    /// [`write_line`](Output::write_line), except that a writer in use (a panic inside
    /// it, on this thread) is left alone and the line dropped, rather than waited for: for
    /// crash reports written from inside a panic.
    pub(crate) fn write_line_if_free(&self, line: &[u8]) {
        match self {
            Output::Writer(writer) => match writer.try_lock() {
                Ok(mut writer) => {
                    let _ = writer.write_all(line);
                }
                // A writer that panicked before is as usable as the other paths find it.
                Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                    let _ = poisoned.into_inner().write_all(line);
                }
                Err(std::sync::TryLockError::WouldBlock) => {}
            },
            other => other.write_line(line),
        }
    }

    /// Writes buffered lines out without waiting for anything: a writer in use on this
    /// or another thread (a panic inside it), or a compression of a rotated file, is left
    /// alone, and a non-blocking output flushes on its own thread once its queue is
    /// empty. After warnings, errors and audit events.
    pub(crate) fn flush_if_free(&self) {
        match self {
            Output::Stderr | Output::Stdout | Output::Memory(_) => self.flush(),
            // Written through line by line, or flushed by its own thread once its queue
            // is empty: nothing to do here.
            Output::File(_) | Output::NonBlocking(_) => {}
            Output::Writer(writer) => {
                if let Ok(mut writer) = writer.try_lock() {
                    let _ = writer.flush();
                }
            }
        }
    }

    /// [`flush_if_free`](Output::flush_if_free) for a crash report, which must reach the
    /// output before a process that is going down does: a non-blocking output's queue is
    /// waited for, briefly.
    pub(crate) fn flush_for_crash(&self) {
        match self {
            Output::NonBlocking(queue) => queue.flush_for_crash(),
            other => other.flush_if_free(),
        }
    }

    pub(crate) fn flush(&self) {
        let _ = match self {
            // Standard error keeps no buffer: its flush would only take its lock, and wait
            // behind a line stuck writing into a pipe nobody reads (a shutdown would hang).
            Output::Stderr | Output::Memory(_) => Ok(()),
            Output::Stdout => std::io::stdout().flush(),
            Output::File(file) => file.flush().map_err(std::io::Error::other),
            Output::NonBlocking(queue) => {
                queue.flush();
                Ok(())
            }
            // A flush is asked for by the application (at shutdown, say), outside any
            // layer: a writer that panics there is reported, never raised into the caller.
            Output::Writer(writer) => {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    using(writer, |writer| writer.flush())
                }))
                .unwrap_or_else(|_| Err(std::io::Error::other("the log writer panicked")))
            }
        };
    }
}

thread_local! {
    /// Set while this thread holds a user's writer: a panic hook that fires inside it
    /// must not wait for the writer (it never comes free on this thread).
    static IN_WRITER: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside a user's writer (so a panic raised now came from there,
/// or from under it).
pub(crate) fn in_writer() -> bool {
    IN_WRITER.with(Cell::get)
}

/// Runs `f` on the locked `writer`, marked as [`in_writer`] until it returns.
fn using<R>(writer: &Mutex<dyn Write + Send>, f: impl FnOnce(&mut (dyn Write + Send)) -> R) -> R {
    struct Unmark(bool);
    impl Drop for Unmark {
        fn drop(&mut self) {
            IN_WRITER.with(|cell| cell.set(self.0));
        }
    }
    let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
    let _unmark = Unmark(IN_WRITER.with(|cell| cell.replace(true)));
    f(&mut *writer)
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Stderr => f.write_str("Stderr"),
            Output::Stdout => f.write_str("Stdout"),
            Output::File(file) => f.debug_tuple("File").field(file).finish(),
            Output::Memory(_) => f.write_str("Memory"),
            Output::Writer(_) => f.write_str("Writer"),
            Output::NonBlocking(queue) => queue.fmt(f),
        }
    }
}

/// An in-memory log output; clones share the same buffer.
///
/// ```
/// use corers_log::MemorySink;
/// let sink = MemorySink::new();
/// assert_eq!(sink.contents(), "");
/// ```
#[derive(Clone, Default)]
pub struct MemorySink {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.buffer.lock().map_or(0, |buffer| buffer.len());
        f.debug_struct("MemorySink").field("bytes", &held).finish()
    }
}

impl MemorySink {
    /// Makes an empty sink.
    ///
    /// ```
    /// use corers_log::MemorySink;
    /// assert!(MemorySink::new().lines().is_empty());
    /// ```
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let logger = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// logger.in_scope(|| tracing::warn!("disk almost full"));
    /// assert!(sink.contents().ends_with("disk almost full\n"));
    /// ```
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    /// The lines written so far, without their newlines.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let logger = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// logger.in_scope(|| {
    ///     tracing::info!("one");
    ///     tracing::info!("two");
    /// });
    /// assert_eq!(sink.lines().len(), 2);
    /// ```
    pub fn lines(&self) -> Vec<String> {
        self.contents().lines().map(str::to_owned).collect()
    }

    /// Empties the buffer.
    ///
    /// ```
    /// use corers_log::{Logger, MemorySink, Output};
    /// let sink = MemorySink::new();
    /// let logger = Logger::builder().output(Output::Memory(sink.clone())).build();
    /// logger.in_scope(|| tracing::info!("one"));
    /// sink.clear();
    /// assert_eq!(sink.contents(), "");
    /// ```
    pub fn clear(&self) {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn append(&self, line: &[u8]) {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(line);
    }
}
