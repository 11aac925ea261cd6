//! The dispatch context: what `Ctx` gives a handler (the core, the bus, the dispatch), and
//! how `DispatchInfo` (trace, id, parent, depth, sender) is inherited by nested dispatches.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use corers_messaging::{Bus, DispatchInfo, Outcome, Query};
use corers_primitives::Result;

/// The application context handlers receive.
struct App {
    name: &'static str,
    deploys: AtomicUsize,
}

impl App {
    fn new(name: &'static str) -> App {
        App {
            name,
            deploys: AtomicUsize::new(0),
        }
    }
}

struct WorkspaceCreated {
    name: &'static str,
}
struct IndexRebuilt;
struct CacheFlushed;

struct ConfigValue(&'static str);
impl Query for ConfigValue {
    type Answer = String;
}

/// The infos seen by handlers, in the order they ran.
type Seen = Arc<Mutex<Vec<DispatchInfo>>>;

fn seen() -> Seen {
    Arc::new(Mutex::new(Vec::new()))
}

/// Registers a `WorkspaceCreated` handler that broadcasts `IndexRebuilt`, which broadcasts
/// `CacheFlushed`; every handler records its dispatch info.
fn cascade(bus: &Bus<()>) -> Seen {
    let infos = seen();
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &WorkspaceCreated| {
        log.lock().unwrap().push(*ctx.dispatch());
        ctx.bus()
            .broadcast(ctx.core(), &IndexRebuilt)?
            .into_result()?;
        Ok(())
    });
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &IndexRebuilt| {
        log.lock().unwrap().push(*ctx.dispatch());
        ctx.bus()
            .broadcast(ctx.core(), &CacheFlushed)?
            .into_result()?;
        Ok(())
    });
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    infos
}

fn root_info(bus: &Bus<()>) -> DispatchInfo {
    let infos = seen();
    let log = Arc::clone(&infos);
    let id = bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    assert!(bus.broadcast(&(), &CacheFlushed).unwrap().is_ok());
    bus.remove(id);
    infos.lock().unwrap()[0]
}

// ---- DispatchInfo::trace ----

#[test]
fn dispatch_info_trace_shared_by_a_nested_cascade_good() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let infos = infos.lock().unwrap();
    assert_eq!(infos.len(), 3);
    assert!(infos.iter().all(|i| i.trace() == infos[0].trace()));
}

#[test]
fn dispatch_info_trace_differs_between_root_dispatches_bad() {
    let bus: Bus<()> = Bus::new();
    let first = root_info(&bus);
    let second = root_info(&bus);
    assert_ne!(first.trace(), second.trace());
}

#[test]
fn dispatch_info_trace_unique_across_threads_ugly() {
    let bus: Bus<()> = Bus::new();
    let traces = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&traces);
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(ctx.dispatch().trace());
        Ok(())
    });
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..250 {
                    assert!(bus.broadcast(&(), &CacheFlushed).unwrap().is_ok());
                }
            });
        }
    });
    let traces = traces.lock().unwrap();
    let distinct: HashSet<u64> = traces.iter().copied().collect();
    assert_eq!(traces.len(), 1000);
    assert_eq!(distinct.len(), 1000);
}

// ---- DispatchInfo::id ----

#[test]
fn dispatch_info_id_of_root_is_its_trace_good() {
    let bus: Bus<()> = Bus::new();
    let info = root_info(&bus);
    assert_eq!(info.id(), info.trace());
}

#[test]
fn dispatch_info_id_of_nested_dispatch_is_not_the_trace_bad() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let infos = infos.lock().unwrap();
    assert_ne!(infos[1].id(), infos[1].trace());
    assert_ne!(infos[2].id(), infos[2].trace());
}

#[test]
fn dispatch_info_id_unique_across_a_cascade_and_threads_ugly() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    let report = bus.broadcast(&(), &WorkspaceCreated { name: "alpha" });
                    assert!(report.unwrap().is_ok());
                }
            });
        }
    });
    let infos = infos.lock().unwrap();
    let ids: HashSet<u64> = infos.iter().map(DispatchInfo::id).collect();
    assert_eq!(infos.len(), 1200);
    assert_eq!(ids.len(), 1200);
}

// ---- DispatchInfo::parent ----

#[test]
fn dispatch_info_parent_of_nested_dispatch_is_the_outer_id_good() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let infos = infos.lock().unwrap();
    assert_eq!(infos[1].parent(), Some(infos[0].id()));
    assert_eq!(infos[2].parent(), Some(infos[1].id()));
}

#[test]
fn dispatch_info_parent_of_root_is_none_bad() {
    let bus: Bus<()> = Bus::new();
    assert_eq!(root_info(&bus).parent(), None);
}

#[test]
fn dispatch_info_parent_restored_after_a_nested_panic_ugly() {
    let bus: Bus<()> = Bus::new();
    bus.on(|_, _: &IndexRebuilt| -> Result<()> { panic!("index shard 3 is corrupt") });
    let infos = seen();
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    let outer = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&outer);
    bus.on(move |ctx, _: &WorkspaceCreated| {
        *slot.lock().unwrap() = Some(*ctx.dispatch());
        // The first nested dispatch panics inside; the second must still hang off this one.
        let rebuilt = ctx.bus().broadcast(ctx.core(), &IndexRebuilt)?;
        assert_eq!(rebuilt.failures().len(), 1);
        ctx.bus()
            .broadcast(ctx.core(), &CacheFlushed)?
            .into_result()?;
        Ok(())
    });

    let report = bus
        .broadcast(&(), &WorkspaceCreated { name: "alpha" })
        .unwrap();
    assert!(report.is_ok(), "{report:?}");

    let outer = outer.lock().unwrap().unwrap();
    let flushed = infos.lock().unwrap()[0];
    assert_eq!(flushed.parent(), Some(outer.id()));
    assert_eq!(flushed.depth(), 1);
    // And once the cascade is over, the next dispatch is a root again.
    let after = root_info(&bus);
    assert_eq!(after.parent(), None);
    assert_eq!(after.depth(), 0);
}

// ---- DispatchInfo::depth ----

#[test]
fn dispatch_info_depth_grows_by_one_per_nesting_good() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let depths: Vec<u32> = infos
        .lock()
        .unwrap()
        .iter()
        .map(DispatchInfo::depth)
        .collect();
    assert_eq!(depths, [0, 1, 2]);
}

#[test]
fn dispatch_info_depth_of_sibling_dispatches_does_not_accumulate_bad() {
    let bus: Bus<()> = Bus::new();
    let infos = seen();
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    bus.on(|ctx, _: &WorkspaceCreated| {
        for _ in 0..3 {
            ctx.bus()
                .broadcast(ctx.core(), &CacheFlushed)?
                .into_result()?;
        }
        Ok(())
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    let depths: Vec<u32> = infos
        .lock()
        .unwrap()
        .iter()
        .map(DispatchInfo::depth)
        .collect();
    assert_eq!(depths, [1, 1, 1]);
}

#[test]
fn dispatch_info_depth_counts_across_verbs_ugly() {
    let bus: Bus<()> = Bus::new();
    let infos = seen();
    let log = Arc::clone(&infos);
    // broadcast -> query -> broadcast: each verb is one more level.
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    bus.on_query(|ctx, q: &ConfigValue| {
        let flushed = ctx.bus().broadcast(ctx.core(), &CacheFlushed);
        Some(flushed.map(|_| format!("/srv/{}", q.0)))
    });
    let answer = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&answer);
    bus.on(move |ctx, created: &WorkspaceCreated| {
        *slot.lock().unwrap() = ctx
            .bus()
            .query(ctx.core(), &ConfigValue(created.name))
            .answer();
        Ok(())
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(answer.lock().unwrap().as_deref(), Some("/srv/alpha"));
    assert_eq!(infos.lock().unwrap()[0].depth(), 2);
}

// ---- DispatchInfo::sender ----

#[test]
fn dispatch_info_sender_set_by_with_sender_good() {
    let bus: Bus<()> = Bus::new();
    let info = bus.with_sender("scheduler", || root_info(&bus));
    assert_eq!(info.sender(), Some("scheduler"));
}

#[test]
fn dispatch_info_sender_none_without_with_sender_bad() {
    let bus: Bus<()> = Bus::new();
    assert_eq!(root_info(&bus).sender(), None);
}

#[test]
fn dispatch_info_sender_inherited_by_nested_dispatches_ugly() {
    let bus: Bus<()> = Bus::new();
    let infos = cascade(&bus);
    let report = bus.with_sender("brain", || {
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
    });
    assert!(report.unwrap().is_ok());
    let infos = infos.lock().unwrap();
    let senders: Vec<Option<&str>> = infos.iter().map(DispatchInfo::sender).collect();
    assert_eq!(senders, [Some("brain"); 3]);
}

// ---- Bus::with_sender ----

#[test]
fn bus_with_sender_returns_the_closure_value_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|ctx, q: &ConfigValue| {
        Some(Ok(format!(
            "{}:{}",
            ctx.dispatch().sender().unwrap_or("-"),
            q.0
        )))
    });
    let answer = bus.with_sender("scheduler", || {
        bus.query(&(), &ConfigValue("workspace.root")).answer()
    });
    assert_eq!(answer.as_deref(), Some("scheduler:workspace.root"));
}

#[test]
fn bus_with_sender_ends_with_the_closure_bad() {
    let bus: Bus<()> = Bus::new();
    let inside = bus.with_sender("scheduler", || root_info(&bus));
    let after = root_info(&bus);
    assert_eq!(inside.sender(), Some("scheduler"));
    assert_eq!(after.sender(), None);
}

#[test]
fn bus_with_sender_restored_after_a_panic_ugly() {
    let bus: Bus<()> = Bus::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        bus.with_sender("scheduler", || panic!("scheduler tick failed"))
    }));
    assert!(result.is_err());
    assert_eq!(root_info(&bus).sender(), None);
}

#[test]
fn bus_with_sender_nested_restores_the_outer_sender_ugly() {
    let bus: Bus<()> = Bus::new();
    let (inner, outer) = bus.with_sender("brain", || {
        let inner = bus.with_sender("scheduler", || root_info(&bus));
        (inner, root_info(&bus))
    });
    assert_eq!(inner.sender(), Some("scheduler"));
    assert_eq!(outer.sender(), Some("brain"));
}

#[test]
fn bus_with_sender_inside_a_handler_keeps_the_inherited_sender_ugly() {
    let bus: Bus<()> = Bus::new();
    let infos = seen();
    let log = Arc::clone(&infos);
    bus.on(move |ctx, _: &CacheFlushed| {
        log.lock().unwrap().push(*ctx.dispatch());
        Ok(())
    });
    bus.on(|ctx, _: &WorkspaceCreated| {
        // Nested dispatches inherit the root's sender; with_sender only names roots.
        let bus = ctx.bus();
        bus.with_sender("cache", || bus.broadcast(ctx.core(), &CacheFlushed))?
            .into_result()?;
        Ok(())
    });
    let report = bus.with_sender("brain", || {
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
    });
    assert!(report.unwrap().is_ok());
    assert_eq!(infos.lock().unwrap()[0].sender(), Some("brain"));
}

// ---- Ctx::core ----

#[test]
fn ctx_core_is_the_application_context_good() {
    let bus: Bus<App> = Bus::new();
    bus.on(|ctx, created: &WorkspaceCreated| {
        assert_eq!(ctx.core().name, "workbench");
        assert_eq!(created.name, "alpha");
        ctx.core().deploys.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let app = App::new("workbench");
    assert!(
        bus.broadcast(&app, &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(app.deploys.load(Ordering::Relaxed), 1);
}

#[test]
fn ctx_core_is_not_kept_between_dispatches_bad() {
    let bus: Bus<App> = Bus::new();
    bus.on_query(|ctx, _: &ConfigValue| Some(Ok(ctx.core().name.to_owned())));
    let workbench = App::new("workbench");
    let homelab = App::new("homelab");
    let first = bus.query(&workbench, &ConfigValue("app.name")).answer();
    let second = bus.query(&homelab, &ConfigValue("app.name")).answer();
    assert_eq!(first.as_deref(), Some("workbench"));
    assert_eq!(second.as_deref(), Some("homelab"));
}

#[test]
fn ctx_core_of_nested_dispatch_with_another_core_ugly() {
    let bus: Bus<App> = Bus::new();
    let nested = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&nested);
    bus.on(move |ctx, _: &CacheFlushed| {
        *slot.lock().unwrap() = Some((ctx.core().name, ctx.dispatch().depth()));
        Ok(())
    });
    bus.on(|ctx, _: &WorkspaceCreated| {
        let sandbox = App::new("sandbox");
        ctx.bus()
            .broadcast(&sandbox, &CacheFlushed)?
            .into_result()?;
        Ok(())
    });
    let app = App::new("workbench");
    assert!(
        bus.broadcast(&app, &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    // The nested dispatch sees the core it was given, and is still nested.
    assert_eq!(*nested.lock().unwrap(), Some(("sandbox", 1)));
}

// ---- Ctx::bus ----

#[test]
fn ctx_bus_reaches_the_same_handlers_good() {
    let bus: Bus<()> = Bus::new();
    bus.on_query(|_, q: &ConfigValue| Some(Ok(format!("/srv/{}", q.0))));
    let root = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&root);
    bus.on(move |ctx, created: &WorkspaceCreated| {
        *slot.lock().unwrap() = ctx
            .bus()
            .query(ctx.core(), &ConfigValue(created.name))
            .answer();
        Ok(())
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(root.lock().unwrap().as_deref(), Some("/srv/alpha"));
}

#[test]
fn ctx_bus_query_without_handler_is_not_handled_bad() {
    let bus: Bus<()> = Bus::new();
    let outcome = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&outcome);
    bus.on(move |ctx, _: &WorkspaceCreated| {
        let nobody = matches!(
            ctx.bus().query(ctx.core(), &ConfigValue("git.log")),
            Outcome::NotHandled
        );
        *slot.lock().unwrap() = Some(nobody);
        Ok(())
    });
    assert!(
        bus.broadcast(&(), &WorkspaceCreated { name: "alpha" })
            .unwrap()
            .is_ok()
    );
    assert_eq!(*outcome.lock().unwrap(), Some(true));
}

#[test]
fn ctx_bus_handler_removes_itself_ugly() {
    let bus: Bus<()> = Bus::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let own_id = Arc::new(Mutex::new(None));
    let counter = Arc::clone(&calls);
    let id_slot = Arc::clone(&own_id);
    let id = bus.on(move |ctx, _: &CacheFlushed| {
        counter.fetch_add(1, Ordering::Relaxed);
        let id = id_slot
            .lock()
            .unwrap()
            .expect("id stored before the first dispatch");
        assert!(ctx.bus().remove(id));
        Ok(())
    });
    *own_id.lock().unwrap() = Some(id);
    assert_eq!(bus.broadcast(&(), &CacheFlushed).unwrap().handled(), 1);
    assert_eq!(bus.broadcast(&(), &CacheFlushed).unwrap().handled(), 0);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

// ---- Ctx::dispatch ----

#[test]
fn ctx_dispatch_of_a_root_dispatch_good() {
    let bus: Bus<()> = Bus::new();
    let info = root_info(&bus);
    assert_eq!(info.depth(), 0);
    assert_eq!(info.parent(), None);
    assert_ne!(info.trace(), 0);
}

#[test]
fn ctx_dispatch_differs_between_handlers_of_different_dispatches_bad() {
    let bus: Bus<()> = Bus::new();
    let first = root_info(&bus);
    let second = root_info(&bus);
    assert_ne!(first.id(), second.id());
    assert_ne!(first, second);
}

#[test]
fn ctx_dispatch_same_for_every_handler_of_one_dispatch_ugly() {
    let bus: Bus<()> = Bus::new();
    let infos = seen();
    for _ in 0..3 {
        let log = Arc::clone(&infos);
        bus.on(move |ctx, _: &CacheFlushed| {
            log.lock().unwrap().push(*ctx.dispatch());
            // A nested dispatch between handlers must not change what the next one sees.
            ctx.bus()
                .broadcast(ctx.core(), &IndexRebuilt)?
                .into_result()?;
            Ok(())
        });
    }
    assert!(bus.broadcast(&(), &CacheFlushed).unwrap().is_ok());
    let infos = infos.lock().unwrap();
    assert_eq!(infos.len(), 3);
    assert!(infos.iter().all(|i| *i == infos[0]));
}
