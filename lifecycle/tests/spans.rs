//! Tracing spans of the lifecycle: a `lifecycle` span per phase and a `service` span per
//! hook, with the hook's own log events inside them — seen by a small recording subscriber.

use std::fmt;
use std::sync::{Arc, Mutex};

use corers_lifecycle::{Hooks, Registration, ServiceCtx, Services};
use corers_messaging::Bus;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span or event as text: its name and `field=value` pairs.
#[derive(Default)]
struct Text(Vec<String>);

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

/// Records every span opened and, for every event, the chain of spans it happened in.
#[derive(Clone, Default)]
struct Spy {
    spans: Arc<Mutex<Vec<String>>>,
    entered: Arc<Mutex<Vec<u64>>>,
    events: Arc<Mutex<Vec<String>>>,
}

impl Subscriber for Spy {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut text = Text::default();
        attrs.record(&mut text);
        let mut spans = self.spans.lock().unwrap();
        spans.push(format!(
            "{}{{{}}}",
            attrs.metadata().name(),
            text.0.join(" ")
        ));
        Id::from_u64(u64::try_from(spans.len()).unwrap_or(u64::MAX))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut text = Text::default();
        event.record(&mut text);
        let spans = self.spans.lock().unwrap();
        let within: Vec<&str> = self
            .entered
            .lock()
            .unwrap()
            .iter()
            .filter_map(|id| spans.get(usize::try_from(*id).ok()? - 1))
            .map(String::as_str)
            .collect();
        self.events
            .lock()
            .unwrap()
            .push(format!("{} in {}", text.0.join(" "), within.join(" > ")));
    }

    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
}

fn logging(name: &'static str) -> Registration<()> {
    Registration::new(
        name,
        Hooks::new()
            .on_start(|ctx: ServiceCtx<()>| async move {
                tracing::info!("warming {}", ctx.name());
                Ok(())
            })
            .on_stop(|ctx: ServiceCtx<()>| async move {
                tracing::info!("flushing {}", ctx.name());
                Ok(())
            }),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn services_start_all_spans_each_hook_inside_its_phase_good() {
    let spy = Spy::default();
    let _default = tracing::subscriber::set_default(spy.clone());
    let services = Services::new(Bus::new());
    services.register(logging("config")).unwrap();
    services.register(logging("store")).unwrap();
    services.start_all(&()).await.unwrap();
    services
        .stop_all(&(), std::time::Duration::from_secs(1))
        .await
        .unwrap();
    let events = spy.events.lock().unwrap().clone();
    let (hooks, lifecycle): (Vec<String>, Vec<String>) =
        events.into_iter().partition(|e| e.contains("> service{"));
    assert!(
        lifecycle[0].starts_with("message=service started service=config duration_ms="),
        "{lifecycle:?}"
    );
    assert!(lifecycle[0].ends_with(" in lifecycle{phase=startup}"));
    // Milliseconds to the microsecond: at most three decimals, never float noise.
    for event in &lifecycle {
        let duration = event
            .split("duration_ms=")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap();
        let decimals = duration.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 3, "{event}");
    }
    assert_eq!(
        hooks,
        [
            "message=warming config in lifecycle{phase=startup} > service{service=config hook=start}",
            "message=warming store in lifecycle{phase=startup} > service{service=store hook=start}",
            "message=flushing store in lifecycle{phase=shutdown} > service{service=store hook=stop}",
            "message=flushing config in lifecycle{phase=shutdown} > service{service=config hook=stop}",
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn services_start_all_failing_hook_still_spans_its_rollback_bad() {
    let spy = Spy::default();
    let _default = tracing::subscriber::set_default(spy.clone());
    let services = Services::new(Bus::new());
    services.register(logging("config")).unwrap();
    services
        .register(Registration::new(
            "store",
            Hooks::new().on_start(|_: ServiceCtx<()>| async {
                Err(corers_primitives::Error::new("store.open", "disk full"))
            }),
        ))
        .unwrap();
    services.start_all(&()).await.unwrap_err();
    let spans = spy.spans.lock().unwrap().clone();
    assert!(
        spans.contains(&"service{service=config hook=stop}".to_owned()),
        "{spans:?}"
    );
}
