//! Task definitions as data: `TaskDef` built in code, loaded from TOML and JSON with every
//! step kind, malformed definitions with clear errors, and serialization round trips.

use std::time::Duration;

use corers_messaging::{ActionSpec, Actions, Bus, Condition, Retry, RunCtx, Step, TaskDef, Tasks};
use corers_primitives::{ErrorCode, Options, Value, options};

/// A definition using every step kind and every key.
const NIGHTLY: &str = r#"
description = "pull, index and announce"
schedule = "0 */15 * * * *"

[[steps]]
action = "git.pull"
options = { depth = 1, path = "/srv/repo" }
retry = { attempts = 3, backoff_ms = 200, max_backoff_ms = 1000, retry_on = ["UNAVAILABLE", "TIMEOUT"] }

[[steps]]
action = "index.build"
input = "previous"
options = { jobs = 4 }
timeout_ms = 60000

[[steps]]
action = "search.reindex"
detached = true

[[steps]]
parallel = [{ action = "cache.flush" }, { action = "chat.typing", options = { channel = "ops" } }]

[[steps]]
when = "succeeded"
then = [{ action = "chat.announce", options = { text = "index rebuilt" } }]
else = [{ action = "chat.alert" }]

[[steps]]
when = "failed"
then = [{ action = "chat.alert" }]

[[steps]]
when = { key = "branch", equals = "main" }
then = [{ action = "deploy.staging" }]

[[steps]]
when = { exists = "tag" }
then = [{ action = "deploy.release" }]
"#;

fn pull_retry() -> Retry {
    let mut retry =
        Retry::new(3, Duration::from_millis(200)).on(&[ErrorCode::UNAVAILABLE, ErrorCode::TIMEOUT]);
    retry.max_backoff_ms = 1000;
    retry
}

/// What `NIGHTLY` should load as, built in code.
fn nightly() -> TaskDef {
    TaskDef::new(vec![
        Step::run("git.pull")
            .with_options(options! { "depth" => 1, "path" => "/srv/repo" })
            .with_retry(pull_retry()),
        Step::run("index.build")
            .with_previous()
            .with_options(options! { "jobs" => 4 })
            .with_timeout(Duration::from_secs(60)),
        Step::run("search.reindex").detached(),
        Step::parallel(vec![
            Step::run("cache.flush"),
            Step::run("chat.typing").with_options(options! { "channel" => "ops" }),
        ]),
        Step::when(
            Condition::Succeeded,
            vec![Step::run("chat.announce").with_options(options! { "text" => "index rebuilt" })],
            vec![Step::run("chat.alert")],
        ),
        Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![]),
        Step::when(
            Condition::Equals {
                key: "branch".into(),
                value: Value::from("main"),
            },
            vec![Step::run("deploy.staging")],
            vec![],
        ),
        Step::when(
            Condition::Exists("tag".into()),
            vec![Step::run("deploy.release")],
            vec![],
        ),
    ])
    .description("pull, index and announce")
    .schedule("0 */15 * * * *")
}

/// Steps compared by their debug form (steps hold options and closures: no `PartialEq`).
fn shape(def: &TaskDef) -> String {
    format!("{:?} {:?} {:?}", def.description, def.schedule, def.steps)
}

fn toml_error(text: &str) -> String {
    toml::from_str::<TaskDef>(text).unwrap_err().to_string()
}

// --- loading ---

#[test]
fn task_def_from_toml_every_step_kind_good() {
    let def: TaskDef = toml::from_str(NIGHTLY).unwrap();
    assert_eq!(def.steps.len(), 8);
    assert_eq!(shape(&def), shape(&nightly()));
}

#[test]
fn task_def_from_json_every_step_kind_good() {
    let json = serde_json::json!({
        "description": "pull, index and announce",
        "schedule": "0 */15 * * * *",
        "steps": [
            { "action": "git.pull", "options": { "depth": 1, "path": "/srv/repo" },
              "retry": { "attempts": 3, "backoff_ms": 200, "max_backoff_ms": 1000,
                         "retry_on": ["UNAVAILABLE", "TIMEOUT"] } },
            { "action": "index.build", "input": "previous", "options": { "jobs": 4 },
              "timeout_ms": 60000 },
            { "action": "search.reindex", "detached": true },
            { "parallel": [{ "action": "cache.flush" },
                           { "action": "chat.typing", "options": { "channel": "ops" } }] },
            { "when": "succeeded",
              "then": [{ "action": "chat.announce", "options": { "text": "index rebuilt" } }],
              "else": [{ "action": "chat.alert" }] },
            { "when": "failed", "then": [{ "action": "chat.alert" }] },
            { "when": { "key": "branch", "equals": "main" },
              "then": [{ "action": "deploy.staging" }] },
            { "when": { "exists": "tag" }, "then": [{ "action": "deploy.release" }] },
        ],
    });
    let def: TaskDef = serde_json::from_value(json).unwrap();
    assert_eq!(shape(&def), shape(&nightly()));
}

#[test]
fn task_def_from_toml_defaults_good() {
    let def: TaskDef = toml::from_str(
        r#"
        [[steps]]
        action = "git.pull"
        retry = { attempts = 2 }
        "#,
    )
    .unwrap();
    assert_eq!(def.description, "");
    assert!(def.schedule.is_none());
    let Step::Run(run) = &def.steps[0] else {
        panic!("a run step");
    };
    assert!(run.options.is_empty() && !run.previous && !run.detached && run.timeout.is_none());
    let retry = run.retry.as_ref().unwrap();
    assert_eq!((retry.backoff_ms, retry.max_backoff_ms), (100, 10_000));
    assert!(retry.retry_on.is_none());
}

#[test]
fn task_def_from_toml_dates_are_their_text_ugly() {
    // TOML's dates and times, in a step's options and a condition's value: the text as
    // written (the toml crate hands them over as a private map otherwise, which no option
    // reader finds and no output ever equals).
    let def: TaskDef = toml::from_str(
        r#"
        [[steps]]
        action = "report.build"
        options = { since = 2024-06-01, at = 07:30:00, stamp = 2024-06-01T07:30:00Z }

        [[steps]]
        when = { key = "day", equals = 2024-06-01 }
        then = [{ action = "chat.announce" }]
        "#,
    )
    .unwrap();
    let Step::Run(run) = &def.steps[0] else {
        panic!("a run step");
    };
    assert_eq!(run.options.string("since"), Some("2024-06-01"));
    assert_eq!(run.options.string("at"), Some("07:30:00"));
    assert_eq!(run.options.string("stamp"), Some("2024-06-01T07:30:00Z"));
    let Step::When { condition, .. } = &def.steps[1] else {
        panic!("a when step");
    };
    assert_eq!(format!("{condition:?}"), r#"Equals("day" = "2024-06-01")"#);
}

#[tokio::test]
async fn task_def_loaded_from_toml_runs_good() {
    let bus: Bus<()> = Bus::new();
    let actions = Actions::new(bus);
    actions
        .register(ActionSpec::new("git.pull", |_, opts: Options| async move {
            Ok(
                options! { "commit" => "a1b2c3", "path" => opts.string("path").unwrap_or("") }
                    .into_value(),
            )
        }))
        .unwrap();
    actions
        .register(ActionSpec::new(
            "index.build",
            |_, opts: Options| async move { Ok(opts.into_value()) },
        ))
        .unwrap();
    let tasks = Tasks::new(actions);
    let def: TaskDef = toml::from_str(
        r#"
        description = "pull and index"

        [[steps]]
        action = "git.pull"
        options = { path = "/srv/repo" }

        [[steps]]
        action = "index.build"
        input = "previous"
        options = { jobs = 4 }
        "#,
    )
    .unwrap();
    tasks.define("nightly", def).unwrap();
    let out = tasks
        .run(&(), &RunCtx::new(), "nightly")
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(
        out,
        options! { "commit" => "a1b2c3", "path" => "/srv/repo", "jobs" => 4 }.into_value()
    );
}

// --- malformed definitions ---

#[test]
fn task_def_toml_unknown_step_key_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        acton = "git.pull"
        "#,
    );
    assert!(err.contains("acton"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_unknown_top_level_key_bad() {
    let err = toml_error(
        r#"
        schedul = "0 0 3 * * *"

        [[steps]]
        action = "git.pull"
        "#,
    );
    assert!(err.contains("schedul"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_step_with_action_and_parallel_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        action = "git.pull"
        parallel = [{ action = "cache.flush" }]
        "#,
    );
    assert!(err.contains("exactly one of"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_input_other_than_previous_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        action = "index.build"
        input = "last"
        "#,
    );
    assert!(err.contains(r#"found "last""#), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_retry_zero_attempts_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        action = "git.pull"
        retry = { attempts = 0 }
        "#,
    );
    assert!(err.contains("from 1 to 100"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_retry_wait_over_an_hour_bad() {
    // Microseconds written where milliseconds are read: a wait of 2.7 years would hold
    // the Task (and its schedule) without a word.
    for retry in [
        "{ attempts = 3, backoff_ms = 86400000000 }",
        "{ attempts = 3, max_backoff_ms = 3600001 }",
    ] {
        let err = toml_error(&format!(
            "[[steps]]\naction = \"git.pull\"\nretry = {retry}\n"
        ));
        assert!(
            err.contains("retry waits must be at most 3600000 ms (an hour)"),
            "{err}"
        );
    }
    let def: TaskDef = toml::from_str(
        "[[steps]]\naction = \"git.pull\"\nretry = { attempts = 3, backoff_ms = 3600000 }\n",
    )
    .unwrap();
    assert_eq!(def.steps.len(), 1);
}

#[test]
fn task_def_toml_step_with_no_kind_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        options = { path = "/srv/repo" }
        "#,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_parallel_with_run_keys_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        parallel = [{ action = "cache.flush" }]
        options = { force = true }
        "#,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_group_settings_apply_to_each_member_good() {
    let def: TaskDef = toml::from_str(
        r#"
        [[steps]]
        parallel = [{ action = "cache.flush" }, { action = "search.reindex", timeout_ms = 5 }]
        timeout_ms = 1000
        retry = { attempts = 2 }

        [[steps]]
        when = "failed"
        then = [{ action = "chat.alert" }]
        detached = true
        "#,
    )
    .unwrap();
    // A member's own timeout wins over the group's.
    let built = vec![
        Step::parallel(vec![
            Step::run("cache.flush").with_timeout(Duration::from_secs(1)),
            Step::run("search.reindex").with_timeout(Duration::from_millis(5)),
        ])
        .with_retry(Retry::new(2, Duration::from_millis(100))),
        Step::when(Condition::Failed, vec![Step::run("chat.alert")], vec![]).detached(),
    ];
    assert_eq!(format!("{:?}", def.steps), format!("{built:?}"));
}

#[test]
fn task_def_toml_group_retry_checked_like_a_steps_ugly() {
    let err = toml_error(
        r#"
        [[steps]]
        parallel = [{ action = "cache.flush" }]
        retry = { attempts = 0 }
        "#,
    );
    assert!(err.contains("a `parallel` step"), "{err}");
    assert!(err.contains("attempts"), "{err}");
}

#[test]
fn task_def_toml_then_without_when_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        action = "git.pull"
        then = [{ action = "chat.announce" }]
        "#,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_unknown_condition_word_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        when = "sometimes"
        then = [{ action = "chat.announce" }]
        "#,
    );
    assert!(err.contains(r#"found "sometimes""#), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_malformed_condition_table_ugly() {
    let err = toml_error(
        r#"
        [[steps]]
        when = { key = "branch" }
        then = [{ action = "chat.announce" }]
        "#,
    );
    assert!(!err.contains("RawCondition"), "{err}");
    assert!(err.contains("equals"), "{err}");
}

#[test]
fn task_def_toml_missing_steps_and_unknown_retry_key_bad() {
    let err = toml_error(r#"description = "nothing to do""#);
    assert!(err.contains("steps"), "{err}");
    let err = toml_error(
        r#"
        [[steps]]
        action = "git.pull"
        retry = { attempts = 3, backof_ms = 10 }
        "#,
    );
    assert!(err.contains("backof_ms"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn task_def_toml_error_in_a_nested_step_bad() {
    let err = toml_error(
        r#"
        [[steps]]
        when = "succeeded"
        then = [{ parallel = [{ action = "cache.flush", input = "prev" }] }]
        "#,
    );
    assert!(err.contains(r#"found "prev""#), "{err}");
}

#[test]
fn task_def_toml_retry_on_malformed_code_bad() {
    let result = toml::from_str::<TaskDef>(
        r#"
        [[steps]]
        action = "git.pull"
        retry = { attempts = 3, retry_on = ["timeout"] }
        "#,
    );
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn task_def_json_step_with_action_and_when_bad() {
    let err = serde_json::from_value::<TaskDef>(serde_json::json!({
        "steps": [{ "action": "git.pull", "when": "failed" }]
    }))
    .unwrap_err()
    .to_string();
    assert!(err.contains("exactly one of"), "{err}");
}

// --- round trips ---

#[test]
fn task_def_toml_round_trip_keeps_every_step_good() {
    let def = nightly();
    let text = toml::to_string(&def).unwrap();
    let back: TaskDef = toml::from_str(&text).unwrap();
    assert_eq!(shape(&back), shape(&def));
    assert_eq!(toml::to_string(&back).unwrap(), text);
}

#[test]
fn task_def_json_round_trip_keeps_every_step_good() {
    let def = nightly();
    let json = serde_json::to_string(&def).unwrap();
    let back: TaskDef = serde_json::from_str(&json).unwrap();
    assert_eq!(shape(&back), shape(&def));
}

#[test]
fn task_def_toml_serializes_only_what_is_set_ugly() {
    let def = TaskDef::new(vec![Step::run("git.pull")]);
    let text = toml::to_string(&def).unwrap();
    assert_eq!(text.trim(), "[[steps]]\naction = \"git.pull\"");
}

#[test]
fn condition_custom_refuses_to_serialize_ugly() {
    let def = TaskDef::new(vec![Step::when(
        Condition::custom(|out| !out.is_null()),
        vec![Step::run("chat.announce")],
        vec![],
    )]);
    // A dump that could not be loaded back is an error, in every format.
    let err = toml::to_string(&def).unwrap_err().to_string();
    assert!(err.contains("custom condition"), "{err}");
    let err = serde_json::to_string(&def).unwrap_err().to_string();
    assert!(err.contains("cannot be serialized"), "{err}");
    // The word is not a condition either: nothing loads as a custom test.
    let loaded =
        toml::from_str::<TaskDef>("[[steps]]\nwhen = \"custom\"\nthen = [{ action = \"a\" }]");
    assert!(
        loaded
            .unwrap_err()
            .to_string()
            .contains(r#"found "custom""#)
    );
}

// --- TaskDef::new ---

#[test]
fn task_def_new_has_steps_and_nothing_else_good() {
    let def = TaskDef::new(vec![
        Step::run("git.pull"),
        Step::run("index.build").with_previous(),
    ]);
    assert_eq!(def.steps.len(), 2);
    assert_eq!(def.description, "");
    assert!(def.schedule.is_none());
}

#[test]
fn task_def_new_without_steps_refused_by_define_bad() {
    let tasks = Tasks::new(Actions::<()>::new(Bus::new()));
    let err = tasks.define("nightly", TaskDef::new(vec![])).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn task_def_new_thousand_steps_round_trip_ugly() {
    let steps = (0..1000)
        .map(|i| Step::run(format!("step.{i}")).with_options(options! { "n" => i }))
        .collect();
    let def = TaskDef::new(steps);
    let back: TaskDef = toml::from_str(&toml::to_string(&def).unwrap()).unwrap();
    assert_eq!(back.steps.len(), 1000);
    assert_eq!(shape(&back), shape(&def));
    assert_eq!(shape(&TaskDef::default()), shape(&TaskDef::new(vec![])));
}

// --- TaskDef::description ---

#[test]
fn task_def_description_set_and_serialized_good() {
    let def = TaskDef::new(vec![Step::run("git.pull")]).description("pull the repository");
    assert_eq!(def.description, "pull the repository");
    let text = toml::to_string(&def).unwrap();
    assert!(
        text.starts_with(r#"description = "pull the repository""#),
        "{text}"
    );
}

#[test]
fn task_def_description_empty_by_default_and_not_serialized_bad() {
    let def = TaskDef::new(vec![Step::run("git.pull")]);
    assert_eq!(def.description, "");
    assert!(!toml::to_string(&def).unwrap().contains("description"));
}

#[test]
fn task_def_description_multiline_unicode_round_trips_ugly() {
    let text = "ночная сборка\n\t\"quoted\" 🚀 \u{202e}";
    let def = TaskDef::new(vec![Step::run("git.pull")]).description(text);
    let back: TaskDef = toml::from_str(&toml::to_string(&def).unwrap()).unwrap();
    assert_eq!(back.description, text);
}

// --- TaskDef::schedule ---

#[test]
fn task_def_schedule_six_fields_accepted_by_define_good() {
    let tasks = Tasks::new(Actions::<()>::new(Bus::new()));
    let def = TaskDef::new(vec![Step::run("git.pull")]).schedule("*/10 * * * * *");
    assert_eq!(def.schedule.as_deref(), Some("*/10 * * * * *"));
    tasks.define("pull", def).unwrap();
}

#[test]
fn task_def_schedule_invalid_loads_but_define_refuses_bad() {
    let def: TaskDef = toml::from_str(
        r#"
        schedule = "61 * * * *"

        [[steps]]
        action = "git.pull"
        "#,
    )
    .unwrap();
    let tasks = Tasks::new(Actions::<()>::new(Bus::new()));
    let err = tasks.define("pull", def).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.to_string().contains(r#""61 * * * *""#), "{err}");
}

#[test]
fn task_def_schedule_five_seven_fields_and_odd_spacing_ugly() {
    let tasks = Tasks::new(Actions::<()>::new(Bus::new()));
    for cron in [
        "* * * * *",
        "0 0 3 * * * 2099",
        "  0   3  *  *  MON-FRI ",
        "@daily",
    ] {
        let def = TaskDef::new(vec![Step::run("git.pull")]).schedule(cron);
        tasks
            .define("pull", def)
            .unwrap_or_else(|e| panic!("{cron:?}: {e}"));
    }
    for cron in ["", "* * * *", "* * * * * * * *"] {
        let def = TaskDef::new(vec![Step::run("git.pull")]).schedule(cron);
        let err = tasks.define("pull", def).unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::INVALID), "{cron:?}");
    }
}
