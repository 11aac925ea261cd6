//! Start order: registration order without dependencies, dependency order with
//! `Registration::after`, and the errors for missing dependencies and cycles
//! (`Services::order`).

use corers_lifecycle::{Hooks, Registration, Services};
use corers_messaging::Bus;
use corers_primitives::ErrorCode;

fn services() -> Services<()> {
    Services::new(Bus::new())
}

fn plain(name: &str) -> Registration<()> {
    Registration::new(name, Hooks::new())
}

/// The six-service graph of the workbench family, registered out of order:
/// `api` needs `brain` and `indexer`; `brain` needs `store` and `cache`; `indexer` needs
/// `store`; `store` needs `config`.
fn six_service_graph() -> Services<()> {
    let services = services();
    for registration in [
        plain("brain").after(["store", "cache"]),
        plain("indexer").after(["store"]),
        plain("store").after(["config"]),
        plain("cache"),
        plain("config"),
        plain("api").after(["brain", "indexer"]),
    ] {
        services.register(registration).unwrap();
    }
    services
}

// ---- Services::order ----

#[test]
fn services_order_registration_order_without_dependencies_good() {
    let services = services();
    for name in ["config", "store", "indexer", "brain"] {
        services.register(plain(name)).unwrap();
    }
    assert_eq!(
        services.order().unwrap(),
        ["config", "store", "indexer", "brain"]
    );
}

#[test]
fn services_order_six_service_graph_good() {
    let order = six_service_graph().order().unwrap();
    insta::assert_snapshot!(order.join(" -> "));
}

#[test]
fn services_order_six_service_graph_puts_every_dependency_first_good() {
    let order = six_service_graph().order().unwrap();
    let at = |name: &str| order.iter().position(|n| n == name).unwrap();
    for (service, dependency) in [
        ("api", "brain"),
        ("api", "indexer"),
        ("brain", "store"),
        ("brain", "cache"),
        ("indexer", "store"),
        ("store", "config"),
    ] {
        assert!(at(dependency) < at(service), "{dependency} after {service}");
    }
}

#[test]
fn services_order_missing_dependency_bad() {
    let services = services();
    services.register(plain("config")).unwrap();
    services
        .register(plain("brain").after(["config", "vault"]))
        .unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn services_order_cycle_bad() {
    let services = services();
    services.register(plain("config")).unwrap();
    services
        .register(plain("store").after(["indexer"]))
        .unwrap();
    services
        .register(plain("indexer").after(["brain"]))
        .unwrap();
    services.register(plain("brain").after(["store"])).unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn services_order_cycle_behind_a_dependent_names_only_the_ring_bad() {
    let services = services();
    services.register(plain("api").after(["brain"])).unwrap();
    services.register(plain("brain").after(["store"])).unwrap();
    services.register(plain("store").after(["brain"])).unwrap();
    let err = services.order().unwrap_err();
    assert!(
        err.message()
            .ends_with("dependency cycle: brain -> store -> brain"),
        "{err}"
    );
}

#[test]
fn services_order_self_dependency_ugly() {
    let services = services();
    services.register(plain("brain").after(["brain"])).unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().ends_with("dependency cycle: brain -> brain"),
        "{err}"
    );
}

#[test]
fn services_order_empty_registry_ugly() {
    assert!(services().order().unwrap().is_empty());
}

#[test]
fn services_order_unicode_names_ugly() {
    let services = services();
    services.register(plain("索引").after(["存储"])).unwrap();
    services.register(plain("存储").after(["配置"])).unwrap();
    services.register(plain("配置")).unwrap();
    assert_eq!(services.order().unwrap(), ["配置", "存储", "索引"]);
}

#[test]
fn services_order_thousand_service_chain_registered_backwards_ugly() {
    const COUNT: usize = 1000;
    let services = services();
    // shard-999 needs shard-998 … needs shard-0, registered from the top down.
    for i in (0..COUNT).rev() {
        let registration = plain(&format!("shard-{i}"));
        let registration = if i == 0 {
            registration
        } else {
            registration.after([format!("shard-{}", i - 1)])
        };
        services.register(registration).unwrap();
    }
    let order = services.order().unwrap();
    let expected: Vec<String> = (0..COUNT).map(|i| format!("shard-{i}")).collect();
    assert_eq!(order, expected);
}

// ---- Registration::after ----

#[test]
fn registration_after_starts_dependency_first_good() {
    let services = services();
    services.register(plain("brain").after(["config"])).unwrap();
    services.register(plain("config")).unwrap();
    assert_eq!(services.order().unwrap(), ["config", "brain"]);
}

#[test]
fn registration_after_unregistered_service_bad() {
    let services = services();
    services
        .register(plain("indexer").after(["store"]))
        .unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(
        err.message(),
        r#"service "indexer" depends on "store", which is not registered"#
    );
}

#[test]
fn registration_after_misspelt_service_names_the_closest_bad() {
    let services = services();
    services.register(plain("store")).unwrap();
    services
        .register(plain("indexer").after(["stroe"]))
        .unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(
        err.message(),
        r#"service "indexer" depends on "stroe", which is not registered (did you mean "store"?)"#
    );
}

#[test]
fn registration_after_misspelt_own_name_suggests_no_service_ugly() {
    // "indx" is closest to the service declaring it: never suggested as its own dependency.
    let services = services();
    services.register(plain("index").after(["indx"])).unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(
        err.message(),
        r#"service "index" depends on "indx", which is not registered"#
    );
}

#[test]
fn registration_after_called_twice_adds_up_good() {
    let services = services();
    services
        .register(plain("brain").after(["store"]).after(["cache"]))
        .unwrap();
    services.register(plain("cache")).unwrap();
    services.register(plain("store")).unwrap();
    assert_eq!(services.order().unwrap(), ["cache", "store", "brain"]);
}

#[test]
fn registration_after_same_dependency_twice_ugly() {
    let services = services();
    services
        .register(plain("brain").after(["config", "config"]))
        .unwrap();
    services.register(plain("config")).unwrap();
    assert_eq!(services.order().unwrap(), ["config", "brain"]);
}

#[test]
fn registration_after_nothing_keeps_registration_order_ugly() {
    let services = services();
    services
        .register(plain("store").after(Vec::<String>::new()))
        .unwrap();
    services.register(plain("config")).unwrap();
    assert_eq!(services.order().unwrap(), ["store", "config"]);
}

#[test]
fn registration_after_if_present_skips_a_service_left_out_good() {
    let services: Services<()> = Services::new(Bus::new());
    services
        .register(Registration::new("api", Hooks::new()).after_if_present(["metrics", "store"]))
        .unwrap();
    services
        .register(Registration::new("store", Hooks::new()))
        .unwrap();
    assert_eq!(services.order().unwrap(), ["store", "api"]);
    // Once registered, it counts like any dependency.
    services
        .register(Registration::new("metrics", Hooks::new()))
        .unwrap();
    assert_eq!(services.order().unwrap(), ["store", "metrics", "api"]);
}

#[test]
fn registration_after_if_present_cycle_is_still_an_error_ugly() {
    let services: Services<()> = Services::new(Bus::new());
    services
        .register(Registration::new("a", Hooks::new()).after_if_present(["b"]))
        .unwrap();
    services
        .register(Registration::new("b", Hooks::new()).after(["a"]))
        .unwrap();
    let err = services.order().unwrap_err();
    assert!(err.message().contains("dependency cycle"), "{err}");
}

#[test]
fn registration_after_if_present_does_not_excuse_a_required_dependency_bad() {
    let services: Services<()> = Services::new(Bus::new());
    services
        .register(
            Registration::new("api", Hooks::new())
                .after_if_present(["metrics"])
                .after(["store"]),
        )
        .unwrap();
    let err = services.order().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#"depends on "store""#), "{err}");
}
