//! The registry: `Services::new`, `register`, `get` (typed retrieval), `has`, `names`,
//! `lock`, `Registration::new` and `Hooks::new`.

use std::sync::Arc;

use corers_lifecycle::{Hooks, Registration, Service, Services};
use corers_messaging::Bus;
use corers_primitives::ErrorCode;

struct Store {
    root: &'static str,
}

impl Service<()> for Store {}

struct Cache {
    slots: usize,
}

impl Service<()> for Cache {}

fn services() -> Services<()> {
    Services::new(Bus::new())
}

// ---- Services::new ----

#[test]
fn services_new_is_empty_good() {
    let services = services();
    assert!(services.names().is_empty());
    assert!(services.order().unwrap().is_empty());
}

#[tokio::test]
async fn services_new_on_a_shut_down_bus_is_never_ready_bad() {
    let bus: Bus<()> = Bus::new();
    bus.shutdown();
    let services = Services::new(bus);
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    services.start_all(&()).await.unwrap();
    assert!(!services.health(&()).await.ready);
}

#[test]
fn services_new_clones_share_the_registry_ugly() {
    let services = services();
    let clone = services.clone();
    clone
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    assert_eq!(services.names(), ["config"]);
}

#[test]
fn services_new_two_on_one_bus_do_not_share_services_ugly() {
    let bus: Bus<()> = Bus::new();
    let first = Services::new(bus.clone());
    let second = Services::new(bus);
    first
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    assert!(second.names().is_empty());
}

// ---- Services::register ----

#[test]
fn services_register_good() {
    let services = services();
    services
        .register(Registration::new("store", Store { root: "/srv/store" }))
        .unwrap();
    assert!(services.has("store"));
}

#[test]
fn services_register_duplicate_name_is_conflict_bad() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    let err = services
        .register(Registration::new("store", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    assert!(err.message().contains(r#""store""#), "{err}");
}

#[test]
fn services_register_duplicate_keeps_the_first_bad() {
    let services = services();
    services
        .register(Registration::new("store", Store { root: "/srv/store" }))
        .unwrap();
    services
        .register(Registration::new("store", Store { root: "/tmp/other" }))
        .unwrap_err();
    assert_eq!(services.get::<Store>("store").unwrap().root, "/srv/store");
}

#[test]
fn services_register_empty_name_is_invalid_bad() {
    let err = services()
        .register(Registration::new("", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn services_register_name_with_surrounding_space_is_invalid_ugly() {
    let err = services()
        .register(Registration::new(" store ", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn services_register_name_with_control_character_is_invalid_ugly() {
    let err = services()
        .register(Registration::new("store\n", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn services_register_thousand_services_ugly() {
    let services = services();
    for i in 0..1_000 {
        services
            .register(Registration::new(format!("shard-{i}"), Hooks::new()))
            .unwrap();
    }
    assert_eq!(services.names().len(), 1_000);
    assert_eq!(services.names()[999], "shard-999");
}

// ---- Services::get ----

#[test]
fn services_get_concrete_type_good() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    let cache: Arc<Cache> = services.get("cache").unwrap();
    assert_eq!(cache.slots, 1024);
}

#[test]
fn services_get_same_instance_every_time_good() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    let first = services.get::<Cache>("cache").unwrap();
    let second = services.get::<Cache>("cache").unwrap();
    assert!(Arc::ptr_eq(&first, &second));
}

#[test]
fn services_get_wrong_type_is_none_bad() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    assert!(services.get::<Store>("cache").is_none());
}

#[test]
fn services_get_unknown_name_is_none_bad() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    assert!(services.get::<Cache>("brain").is_none());
}

#[test]
fn services_get_hooks_service_as_hooks_ugly() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::<()>::new()))
        .unwrap();
    assert!(services.get::<Hooks<()>>("config").is_some());
    assert!(services.get::<Cache>("config").is_none());
}

#[test]
fn services_get_as_trait_object_type_is_none_ugly() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 8 }))
        .unwrap();
    assert!(services.get::<Box<dyn Service<()>>>("cache").is_none());
}

// ---- Services::require ----

#[test]
fn services_require_concrete_type_good() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    assert_eq!(services.require::<Cache>("cache").unwrap().slots, 1024);
}

#[test]
fn services_require_unknown_name_not_found_with_closest_bad() {
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 1024 }))
        .unwrap();
    let err = services.require::<Cache>("cahce").err().unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(
        err.to_string(),
        r#"lifecycle.Services.require: no service "cahce" is registered (did you mean "cache"?) [NOT_FOUND]"#
    );
}

#[test]
fn services_require_another_type_names_the_type_asked_for_ugly() {
    // A fake of another type, a trait object asked for: the error says what was asked.
    let services = services();
    services
        .register(Registration::new("cache", Cache { slots: 8 }))
        .unwrap();
    let err = services.require::<Store>("cache").err().unwrap();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().starts_with(r#"service "cache" is not a "#),
        "{err}"
    );
    assert!(err.message().ends_with("Store"), "{err}");
}

// ---- Services::has ----

#[test]
fn services_has_registered_good() {
    let services = services();
    services
        .register(Registration::new("brain", Hooks::new()))
        .unwrap();
    assert!(services.has("brain"));
}

#[test]
fn services_has_unregistered_bad() {
    let services = services();
    services
        .register(Registration::new("brain", Hooks::new()))
        .unwrap();
    assert!(!services.has("cache"));
}

#[test]
fn services_has_is_case_sensitive_ugly() {
    let services = services();
    services
        .register(Registration::new("brain", Hooks::new()))
        .unwrap();
    assert!(!services.has("Brain"));
    assert!(!services.has("brain "));
}

// ---- Services::names ----

#[test]
fn services_names_in_registration_order_good() {
    let services = services();
    services
        .register(Registration::new("indexer", Hooks::new()).after(["store"]))
        .unwrap();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    assert_eq!(services.names(), ["indexer", "store"]);
}

#[test]
fn services_names_without_refused_registrations_bad() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    let _ = services.register(Registration::new("store", Hooks::new()));
    let _ = services.register(Registration::new("", Hooks::new()));
    assert_eq!(services.names(), ["store"]);
}

#[test]
fn services_names_unicode_ugly() {
    let services = services();
    for name in ["配置", "ストア", "индексатор"] {
        services
            .register(Registration::new(name, Hooks::new()))
            .unwrap();
    }
    assert_eq!(services.names(), ["配置", "ストア", "индексатор"]);
}

// ---- Services::lock ----

#[test]
fn services_lock_keeps_registered_services_good() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    services.lock();
    assert_eq!(services.names(), ["store"]);
}

#[test]
fn services_lock_refuses_new_services_bad() {
    let services = services();
    services.lock();
    let err = services
        .register(Registration::new("store", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

#[test]
fn services_lock_refuses_a_duplicate_as_locked_bad() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    services.lock();
    let err = services
        .register(Registration::new("store", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::LOCKED));
}

#[tokio::test]
async fn services_lock_twice_then_start_and_stop_ugly() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    services.lock();
    services.lock();
    services.start_all(&()).await.unwrap();
    services
        .stop_all(&(), std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

// ---- Registration::from_arc ----

#[test]
fn registration_from_arc_shares_the_instance_good() {
    let services = services();
    let cache = Arc::new(Cache { slots: 1024 });
    services
        .register(Registration::from_arc("cache", Arc::clone(&cache)))
        .unwrap();
    assert!(Arc::ptr_eq(
        &services.get::<Cache>("cache").unwrap(),
        &cache
    ));
}

#[test]
fn registration_from_arc_is_still_one_name_bad() {
    let services = services();
    let cache = Arc::new(Cache { slots: 8 });
    services
        .register(Registration::from_arc("cache", Arc::clone(&cache)))
        .unwrap();
    // The same instance under a second name is a second service; the same name is refused.
    let err = services
        .register(Registration::from_arc("cache", Arc::clone(&cache)))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
    services
        .register(Registration::from_arc("cache.replica", Arc::clone(&cache)))
        .unwrap();
    assert_eq!(services.names(), ["cache", "cache.replica"]);
}

#[test]
fn registration_from_arc_dropped_services_leave_the_callers_clone_ugly() {
    let cache = Arc::new(Cache { slots: 8 });
    {
        let services = services();
        services
            .register(Registration::from_arc("cache", Arc::clone(&cache)))
            .unwrap();
        assert!(Arc::strong_count(&cache) > 1);
    }
    assert_eq!(Arc::strong_count(&cache), 1);
    assert_eq!(cache.slots, 8);
}

// ---- Registration::new ----

#[test]
fn registration_new_keeps_the_concrete_type_good() {
    let services = services();
    services
        .register(Registration::new("store", Store { root: "/srv/store" }))
        .unwrap();
    assert_eq!(services.get::<Store>("store").unwrap().root, "/srv/store");
}

#[test]
fn registration_new_empty_name_is_refused_bad() {
    let err = services()
        .register(Registration::new(String::new(), Store { root: "/srv" }))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn registration_new_unicode_name_ugly() {
    let services = services();
    services
        .register(Registration::new(
            "存储 🗄",
            Store {
                root: "/srv/存储"
            },
        ))
        .unwrap();
    assert_eq!(services.get::<Store>("存储 🗄").unwrap().root, "/srv/存储");
}

// ---- Hooks::new ----

#[tokio::test]
async fn hooks_new_starts_and_stops_without_hooks_good() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    services.start_all(&()).await.unwrap();
    services.reload_all(&()).await.unwrap();
    services
        .stop_all(&(), std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

#[test]
fn hooks_new_twice_under_one_name_is_conflict_bad() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    let err = services
        .register(Registration::new("config", Hooks::new()))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn hooks_new_debug_shows_no_hooks_ugly() {
    let hooks: Hooks<()> = Hooks::new();
    assert_eq!(
        format!("{hooks:?}"),
        "Hooks { start: false, stop: false, reload: false, health: false }"
    );
    let hooks = hooks.on_stop(|_| async { Ok(()) });
    assert_eq!(
        format!("{hooks:?}"),
        "Hooks { start: false, stop: true, reload: false, health: false }"
    );
}

// ---- Registration::name ----

#[test]
fn registration_name_is_the_given_name_good() {
    let registration = Registration::new("store", Store { root: "/srv/store" });
    assert_eq!(registration.name(), "store");
}

#[test]
fn registration_name_is_not_checked_until_registered_bad() {
    let registration = Registration::new(" store\n", Hooks::<()>::new());
    assert_eq!(registration.name(), " store\n");
    let err = services().register(registration).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn registration_name_unicode_verbatim_ugly() {
    let registration = Registration::new("存储 🗄", Hooks::<()>::new());
    assert_eq!(registration.name(), "存储 🗄");
}

// ---- Registration::renamed ----

#[test]
fn registration_renamed_takes_the_name_and_keeps_its_dependencies_good() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    let fake = Registration::new("fake-store", Store { root: "/tmp/fake" })
        .after(["config"])
        .renamed("store");
    services.register(fake).unwrap();
    assert_eq!(services.order().unwrap(), ["config", "store"]);
    assert_eq!(services.get::<Store>("store").unwrap().root, "/tmp/fake");
}

#[test]
fn registration_renamed_to_a_taken_name_is_refused_at_register_bad() {
    let services = services();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    let err = services
        .register(Registration::new("cache", Hooks::new()).renamed("store"))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::CONFLICT));
}

#[test]
fn registration_renamed_empty_name_is_refused_at_register_ugly() {
    let services = services();
    let err = services
        .register(Registration::new("cache", Hooks::new()).renamed(""))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

// ---- Registration::renamed_after ----

#[test]
fn registration_renamed_after_takes_the_name_and_dependencies_good() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    let real = Registration::new("store", Store { root: "/srv/store" }).after(["config"]);
    let fake = Registration::new("fake-store", Store { root: "/tmp/fake" }).renamed_after(&real);
    assert_eq!(fake.name(), "store");
    services.register(fake).unwrap();
    assert_eq!(services.order().unwrap(), ["config", "store"]);
    assert_eq!(services.get::<Store>("store").unwrap().root, "/tmp/fake");
}

#[test]
fn registration_renamed_after_keeps_its_own_type_bad() {
    let services = services();
    let real = Registration::new("cache", Cache { slots: 1024 });
    services
        .register(Registration::new("fake-cache", Store { root: "/tmp" }).renamed_after(&real))
        .unwrap();
    assert!(services.get::<Cache>("cache").is_none());
    assert!(services.get::<Store>("cache").is_some());
}

#[test]
fn registration_renamed_after_drops_its_own_dependencies_ugly() {
    let services = services();
    services
        .register(Registration::new("config", Hooks::new()))
        .unwrap();
    let real = Registration::new("store", Hooks::<()>::new());
    let fake = Registration::new("fake-store", Hooks::new())
        .after(["vault"])
        .renamed_after(&real);
    services.register(fake).unwrap();
    // "vault" is not registered; the fake no longer asks for it.
    assert_eq!(services.order().unwrap(), ["config", "store"]);
}

#[test]
fn registration_debug_names_the_service_and_its_settings_good() {
    let brain = Registration::new("brain", Hooks::<()>::new())
        .after(["config", "cache"])
        .timeout(std::time::Duration::from_secs(5));
    assert_eq!(
        format!("{brain:?}"),
        r#"Registration { name: "brain", after: ["config", "cache"], timeout: 5s, stop_timeout: None, health_timeout: 5s, .. }"#
    );
}
