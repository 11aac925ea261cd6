//! [`LogLayer`]: the tracing layer that writes CoreRS log lines.

use std::cell::Cell;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as Values};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::format::{FieldValue, Record, Style};
use crate::redact::{REDACTED, hide_url_passwords, may_hold_url};
use crate::{Format, Level, Output, Redactor};

/// The tracing target of Security events: filter or route on it to treat them apart.
pub const SECURITY_TARGET: &str = "security";

pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A `tracing_subscriber` layer that renders events as CoreRS lines (see [`Format`]),
/// redacting secret-looking fields, and writes them to an [`Output`].
///
/// A [`Logger`](crate::Logger) is built on one; it can also join any subscriber stack
/// built on `tracing_subscriber`'s registry (it keeps each span's fields with the span, to
/// name the spans an event happened in):
///
/// ```
/// use corers_log::{Format, LogLayer, MemorySink, Output, Redactor};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let sink = MemorySink::new();
/// let layer = LogLayer::new(Format::Json, Output::Memory(sink.clone()), Redactor::default());
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(api_token = "s3cr3t", "connected");
/// });
/// assert!(sink.contents().contains(r#""api_token":"[REDACTED]""#));
/// ```
#[derive(Clone)]
pub struct LogLayer {
    /// Which layer this is, for the span fields it keeps (its clones are the same layer).
    id: u64,
    format: Format,
    style: Style,
    output: Output,
    redactor: Redactor,
    clock: Clock,
}

impl LogLayer {
    /// Which layer this is (its clones are the same layer).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Makes a layer writing `format` lines to `output`; human lines name each event's
    /// target, and are coloured on a terminal (not `TERM=dumb`) — never when `NO_COLOR` is
    /// set, and on standard error or output whatever they are when `CLICOLOR_FORCE` is (not
    /// `0`: through `less -R`, in a CI log).
    ///
    /// ```
    /// use corers_log::{Format, LogLayer, Output, Redactor};
    /// let layer = LogLayer::new(Format::Human, Output::Stderr, Redactor::default());
    /// ```
    pub fn new(format: Format, output: Output, redactor: Redactor) -> LogLayer {
        LogLayer {
            id: crate::scope::next_identity(),
            format,
            style: Style {
                colour: format == Format::Human && coloured(&output),
                target: true,
            },
            output,
            redactor,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Whether human lines name each event's target (`INFO  workbench::store: saved`; on
    /// by default, as tracing-subscriber's `with_target`); JSON lines always carry it.
    ///
    /// ```
    /// use corers_log::{Format, LogLayer, MemorySink, Output, Redactor};
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let sink = MemorySink::new();
    /// let layer = LogLayer::new(Format::Human, Output::Memory(sink.clone()), Redactor::default())
    ///     .with_target(false);
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// tracing::subscriber::with_default(subscriber, || tracing::info!("index written"));
    /// assert!(sink.contents().trim_end().ends_with("INFO  index written"));
    /// ```
    #[must_use]
    pub fn with_target(mut self, target: bool) -> LogLayer {
        self.style.target = target;
        self
    }

    pub(crate) fn with_clock(mut self, clock: Clock) -> LogLayer {
        self.clock = clock;
        self
    }

    pub(crate) fn output(&self) -> &Output {
        &self.output
    }
}

/// Whether lines written to `output` are coloured: never when `NO_COLOR` is set and not
/// empty (no-color.org); on a standard stream when `CLICOLOR_FORCE` is set, not empty and
/// not `0`; else on a terminal that is not `TERM=dumb`.
fn coloured(output: &Output) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if matches!(output, Output::Stderr | Output::Stdout)
        && set("CLICOLOR_FORCE").is_some_and(|value| value != "0")
    {
        return true;
    }
    output.is_terminal() && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
}

impl fmt::Debug for LogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogLayer")
            .field("format", &self.format)
            .field("style", &self.style)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Reused per thread so that formatting an event does not allocate once warmed up.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    message: String,
    fields: String,
    debug: String,
    line: String,
    spans: String,
}

impl Scratch {
    /// What each buffer keeps between events: one huge event (a 50 MB dump) does not
    /// hold its size on the thread for the rest of the process.
    const KEPT: usize = 64 * 1024;

    /// Empties the buffers for the next event, giving back what is past [`Scratch::KEPT`].
    fn reset(&mut self) {
        for buffer in [
            &mut self.message,
            &mut self.fields,
            &mut self.debug,
            &mut self.line,
            &mut self.spans,
        ] {
            buffer.clear();
            if buffer.capacity() > Scratch::KEPT {
                buffer.shrink_to(Scratch::KEPT);
            }
        }
    }
}

/// A span's fields as each layer renders them (in its format, through its redactor), kept
/// with the span so that every event inside it can name it. Keyed by layer: two layers in
/// one subscriber each keep their own.
#[derive(Default)]
struct SpanFields(Vec<LayerFields>);

/// One layer's rendering of a span's fields: each field's, by name (a field recorded again
/// replaces its own), and all of them joined, which every event reads.
struct LayerFields {
    layer: u64,
    each: Vec<(&'static str, String)>,
    joined: String,
}

impl SpanFields {
    fn of(&self, layer: u64) -> &str {
        self.0
            .iter()
            .find(|fields| fields.layer == layer)
            .map_or("", |fields| fields.joined.as_str())
    }

    /// Sets the fields rendered in `format` (a span's first ones, or those `Span::record`
    /// records later), each ending where `ends` says, in the layer's: a field recorded
    /// again takes its own place, so that JSON never names a key twice.
    fn set(&mut self, layer: u64, format: Format, rendered: &str, ends: &[(&'static str, usize)]) {
        let at = match self.0.iter().position(|fields| fields.layer == layer) {
            Some(at) => at,
            None => {
                self.0.push(LayerFields {
                    layer,
                    each: Vec::new(),
                    joined: String::new(),
                });
                self.0.len() - 1
            }
        };
        let fields = &mut self.0[at];
        let mut start = 0;
        for &(name, end) in ends {
            let one = rendered.get(start..end).unwrap_or_default();
            start = end;
            // JSON members are joined by commas below; human fields carry their own space.
            let one = if format == Format::Json {
                one.strip_prefix(',').unwrap_or(one)
            } else {
                one
            };
            match fields.each.iter_mut().find(|(known, _)| *known == name) {
                Some((_, kept)) => one.clone_into(kept),
                None => fields.each.push((name, one.to_owned())),
            }
        }
        fields.joined.clear();
        for (i, (_, one)) in fields.each.iter().enumerate() {
            if format == Format::Json && i > 0 {
                fields.joined.push(',');
            }
            fields.joined.push_str(one);
        }
    }
}

thread_local! {
    /// How many of this crate's layers are handling a span or an event on this thread:
    /// while one is, tracing holds the thread's dispatcher, and entering another (a logger's
    /// `in_scope`) would panic in tracing-core.
    static DISPATCHING: Cell<u32> = const { Cell::new(0) };
}

/// Reports whether one of this crate's layers is handling something on this thread.
pub(crate) fn dispatching() -> bool {
    DISPATCHING.with(Cell::get) > 0
}

/// Counts a layer's handling of a span or an event while it lives.
struct Dispatching;

impl Dispatching {
    fn enter() -> Dispatching {
        DISPATCHING.with(|depth| depth.set(depth.get() + 1));
        Dispatching
    }
}

impl Drop for Dispatching {
    fn drop(&mut self) {
        DISPATCHING.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

impl<S> Layer<S> for LogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let _dispatching = Dispatching::enter();
        let Some(span) = ctx.span(id) else {
            return;
        };
        // Rendered before the span's extensions are locked: a field's `Debug` that logs
        // inside this span must find them free.
        let (rendered, ends) = self.render_span_fields(|visitor| attrs.record(visitor));
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(fields) => fields.set(self.id, self.format, &rendered, &ends),
            None => {
                let mut fields = SpanFields::default();
                fields.set(self.id, self.format, &rendered, &ends);
                extensions.insert(fields);
            }
        }
    }

    fn on_record(&self, id: &Id, values: &Values<'_>, ctx: Context<'_, S>) {
        let _dispatching = Dispatching::enter();
        let Some(span) = ctx.span(id) else {
            return;
        };
        let (rendered, ends) = self.render_span_fields(|visitor| values.record(visitor));
        if let Some(fields) = span.extensions_mut().get_mut::<SpanFields>() {
            fields.set(self.id, self.format, &rendered, &ends);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // Logging never takes the caller down: a panicking field (`Debug`) or writer loses
        // this line, not the program. (Inside a panic hook a second panic aborts whatever
        // is done here: a writer that panics is the application's to fix.)
        let _dispatching = Dispatching::enter();
        let logged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.write_event(event, &ctx);
        }));
        if let Err(payload) = logged {
            let _ = corers_primitives::Error::from_caught("log.Logger.event", payload);
        }
    }
}

impl LogLayer {
    /// The fields `record` visits, rendered as this layer renders a span's fields; a
    /// span's `message` is one of its fields.
    /// A field whose `Display` or `Debug` panics loses the span's fields, not the caller's
    /// span (the panic would surface at `info_span!` in the application's code).
    /// A span's fields (or those recorded later) as rendered, and where each one ends in
    /// that text, by name.
    fn render_span_fields(
        &self,
        record: impl FnOnce(&mut Visitor<'_>),
    ) -> (String, Vec<(&'static str, usize)>) {
        let mut fields = String::new();
        let mut message = String::new();
        let mut debug = String::new();
        let mut ends = Vec::new();
        let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            record(&mut Visitor {
                format: self.format,
                redactor: &self.redactor,
                from_log: false,
                message: &mut message,
                fields: &mut fields,
                debug: &mut debug,
                ends: Some(&mut ends),
            });
        }));
        if let Err(payload) = recorded {
            let _ = corers_primitives::Error::from_caught("log.Logger.span", payload);
            return (String::new(), Vec::new());
        }
        hide_url_passwords(&mut message);
        if !message.is_empty() {
            self.format
                .render_field("message", FieldValue::Str(&message), &mut fields);
            ends.push(("message", fields.len()));
        }
        (fields, ends)
    }

    /// Renders `event` (with the spans it happened in) and writes it to the output.
    fn write_event<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        SCRATCH.with(|scratch| {
            // A re-entrant event (a Debug impl that logs) gets a fresh scratch.
            let mut fresh = Scratch::default();
            let mut borrowed = scratch.try_borrow_mut();
            let scratch = match borrowed.as_deref_mut() {
                Ok(scratch) => scratch,
                Err(_) => &mut fresh,
            };
            scratch.reset();
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope.from_root() {
                    let extensions = span.extensions();
                    let fields = extensions
                        .get::<SpanFields>()
                        .map_or("", |fields| fields.of(self.id));
                    self.format
                        .render_span(span.name(), fields, &mut scratch.spans);
                }
            }
            // A `log` crate record comes with its own target and level, and its location
            // as `log.*` fields, which are left out.
            let normalized = event.normalized_metadata();
            let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
            let security = metadata.target() == SECURITY_TARGET;
            event.record(&mut Visitor {
                format: self.format,
                redactor: &self.redactor,
                from_log: normalized.is_some(),
                message: &mut scratch.message,
                fields: &mut scratch.fields,
                debug: &mut scratch.debug,
                ends: None,
            });
            hide_url_passwords(&mut scratch.message);
            let record = Record {
                time: (self.clock)(),
                level: Level::from_tracing(*metadata.level()),
                target: metadata.target(),
                security,
                message: &scratch.message,
                fields: &scratch.fields,
                spans: &scratch.spans,
            };
            self.format.render(&record, self.style, &mut scratch.line);
            self.output.write_line(scratch.line.as_bytes());
            // Warnings and errors reach a writer of the application's own at once (one that
            // buffers would hold them until it fills, is flushed, or the process exits).
            if matches!(record.level, Level::Warn | Level::Error) {
                self.output.flush_if_free();
            }
        });
    }
}

struct Visitor<'a> {
    format: Format,
    redactor: &'a Redactor,
    /// Recording a `log` crate record: its `log.*` fields are not the application's.
    from_log: bool,
    message: &'a mut String,
    fields: &'a mut String,
    /// Scratch space for values recorded through `Debug`.
    debug: &'a mut String,
    /// Where each field's text ends in `fields`, by name: kept for a span's fields, which
    /// a later `record` of one may replace.
    ends: Option<&'a mut Vec<(&'static str, usize)>>,
}

impl Visitor<'_> {
    fn push(&mut self, field: &Field, value: FieldValue<'_>) {
        let name = field.name();
        if self.from_log && name.starts_with("log.") {
            return;
        }
        let value = if self.redactor.is_secret(name) {
            FieldValue::Str(REDACTED)
        } else {
            value
        };
        self.format.render_field(name, value, self.fields);
        if let Some(ends) = self.ends.as_deref_mut() {
            ends.push((name, self.fields.len()));
        }
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if may_hold_url(value) {
            let mut copy = std::mem::take(self.debug);
            copy.clear();
            copy.push_str(value);
            hide_url_passwords(&mut copy);
            self.push(field, FieldValue::Str(&copy));
            *self.debug = copy;
        } else {
            self.push(field, FieldValue::Str(value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let mut debug = std::mem::take(self.debug);
            debug.clear();
            let _ = write!(debug, "{value:?}");
            hide_url_passwords(&mut debug);
            self.push(field, FieldValue::Str(&debug));
            *self.debug = debug;
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, FieldValue::U64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, FieldValue::Bool(value));
    }

    /// The error and what each of its sources says that it does not already say (a
    /// `reqwest` error's "error sending request" and its cause's "connection refused";
    /// a CoreRS error, which says its causes itself, once).
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            let said = cause.to_string();
            if !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            source = cause.source();
        }
        self.record_debug(field, &format_args!("{text}"));
    }
}

#[cfg(test)]
mod tests {
    use super::Scratch;

    #[test]
    fn scratch_reset_gives_back_what_a_huge_event_took_ugly() {
        let mut scratch = Scratch::default();
        scratch.message.push_str(&"x".repeat(50 * 1024 * 1024));
        scratch.line.push_str("service started");
        scratch.reset();
        assert!(scratch.message.is_empty() && scratch.line.is_empty());
        assert!(scratch.message.capacity() <= Scratch::KEPT);
        // A buffer of an ordinary size keeps its capacity: no allocation next time.
        assert!(scratch.line.capacity() >= "service started".len());
    }
}
