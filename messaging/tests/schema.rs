//! The declared input of an Action: `Schema`, `Field`, `ValueKind`, and the guarantee that
//! an input breaking the schema never reaches the handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use corers_messaging::{ActionSpec, Actions, Bus, Field, RunCtx, Schema, ValueKind, Violation};
use corers_primitives::{ErrorCode, Options, Value, options};

/// `git.log` with a `path` (required string) and a `limit` (optional int), counting the
/// calls that reach its handler.
fn git_log(calls: &Arc<AtomicUsize>) -> Actions<()> {
    let actions = Actions::new(Bus::new());
    let calls = Arc::clone(calls);
    actions
        .register(
            ActionSpec::new("git.log", move |_, _| {
                let calls = Arc::clone(&calls);
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(Value::from("3 commits"))
                }
            })
            .schema(
                Schema::new()
                    .required("path", ValueKind::String)
                    .optional("limit", ValueKind::Int),
            ),
        )
        .unwrap();
    actions
}

fn git_log_schema() -> Schema {
    Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
}

// --- the guarantee: a violation never reaches the handler ---

#[tokio::test]
async fn actions_run_missing_required_key_never_reaches_handler_bad() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let err = actions
        .run(&(), &RunCtx::new(), "git.log", options! { "limit" => 10 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""path""#), "{err}");
    assert!(err.message().contains("(string)"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn actions_run_wrong_type_never_reaches_handler_bad() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let err = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.log",
            options! { "path" => "/srv/repo", "limit" => "ten" },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(err.message().contains(r#""limit""#), "{err}");
    assert!(err.message().contains("must be int"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    insta::assert_snapshot!(err.to_string());
}

#[tokio::test]
async fn actions_run_null_for_required_key_never_reaches_handler_ugly() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let err = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.log",
            options! { "path" => Value::Null },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert!(
        err.message().contains(r#"missing required input "path""#),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn actions_run_valid_input_reaches_handler_once_good() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let out = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.log",
            options! { "path" => "/srv/repo", "limit" => 10, "verbose" => true },
        )
        .await
        .unwrap();
    assert_eq!(out, Value::from("3 commits"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn actions_run_hands_declared_numbers_in_their_kind_ugly() {
    // A JSON writer's 5.0 for an int key, a 2 for a float key: the handler reads each with
    // the getter of its declared kind; an undeclared key is handed over as given.
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(
            ActionSpec::new("git.log", |_, options: Options| async move {
                Ok(Value::from(format!(
                    "{:?} {:?} {:?}",
                    options.int("limit"),
                    options.float("ratio"),
                    options.float("extra")
                )))
            })
            .schema(
                Schema::new()
                    .optional("limit", ValueKind::Int)
                    .optional("ratio", ValueKind::Float),
            ),
        )
        .unwrap();
    let input: Options =
        serde_json::from_str(r#"{"limit": 5.0, "ratio": 2, "extra": 7.0}"#).unwrap();
    let out = actions
        .run(&(), &RunCtx::new(), "git.log", input)
        .await
        .unwrap();
    assert_eq!(out, Value::from("Some(5) Some(2.0) Some(7.0)"));
    let err = actions
        .run(&(), &RunCtx::new(), "git.log", options! { "limit" => 5.5 })
        .await
        .unwrap_err();
    assert!(
        err.message()
            .ends_with(r#"input "limit" must be int, found float 5.5"#),
        "{err}"
    );
}

// --- ActionSpec::schema ---

#[tokio::test]
async fn action_spec_schema_is_the_registered_definition_good() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let def = actions.get("git.log").def().unwrap();
    assert_eq!(def.schema, git_log_schema());
}

#[tokio::test]
async fn action_spec_schema_rejects_before_the_handler_bad() {
    let calls = Arc::new(AtomicUsize::new(0));
    let actions = git_log(&calls);
    let err = actions
        .get("git.log")
        .run(&(), &RunCtx::new(), options! { "path" => 42 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn action_spec_schema_called_twice_last_wins_ugly() {
    let actions: Actions<()> = Actions::new(Bus::new());
    actions
        .register(
            ActionSpec::new("index.build", |_, _| async { Ok(Value::Null) })
                .schema(Schema::new().required("root", ValueKind::String))
                .schema(Schema::new().optional("jobs", ValueKind::Int)),
        )
        .unwrap();
    // The first schema's required `root` is gone: an empty input is fine.
    let out = actions
        .run(&(), &RunCtx::new(), "index.build", options! {})
        .await;
    assert!(out.is_ok(), "{out:?}");
    let def = actions.get("index.build").def().unwrap();
    assert_eq!(def.schema, Schema::new().optional("jobs", ValueKind::Int));
}

// --- Schema::new ---

#[test]
fn schema_new_accepts_any_input_good() {
    let schema = Schema::new();
    assert!(schema.fields().is_empty());
    assert!(
        schema
            .check(
                "git.log",
                &options! { "path" => "/srv/repo", "limit" => "ten" }
            )
            .is_ok()
    );
}

#[test]
fn schema_new_then_required_rejects_empty_input_bad() {
    let schema = Schema::new().required("path", ValueKind::String);
    let err = schema.check("git.log", &options! {}).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn schema_new_equals_default_and_accepts_hostile_keys_ugly() {
    let schema = Schema::new();
    assert_eq!(schema, Schema::default());
    let hostile =
        options! { "" => Value::Null, "\u{202e}path" => "x".repeat(100_000), "путь" => 1 };
    assert!(schema.check("", &hostile).is_ok());
}

// --- Schema::required ---

#[test]
fn schema_required_present_key_passes_good() {
    let schema = Schema::new().required("path", ValueKind::String);
    assert!(schema.fields()[0].required);
    assert_eq!(schema.fields()[0].kind, ValueKind::String);
    assert!(
        schema
            .check("git.log", &options! { "path" => "/srv/repo" })
            .is_ok()
    );
}

#[test]
fn schema_required_missing_key_names_key_and_kind_bad() {
    let schema = Schema::new().required("path", ValueKind::String);
    let err = schema.check("git.log", &options! {}).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"action "git.log": missing required input "path" (string)"#
    );
}

#[test]
fn schema_required_redeclared_optional_is_no_longer_required_ugly() {
    let schema = Schema::new()
        .required("limit", ValueKind::String)
        .optional("limit", ValueKind::Int);
    assert_eq!(schema.fields().len(), 1);
    assert!(!schema.fields()[0].required);
    assert_eq!(schema.fields()[0].kind, ValueKind::Int);
    assert!(schema.check("git.log", &options! {}).is_ok());
}

// --- Schema::optional ---

#[test]
fn schema_optional_absent_key_passes_good() {
    let schema = Schema::new().optional("limit", ValueKind::Int);
    assert!(!schema.fields()[0].required);
    assert!(schema.check("git.log", &options! {}).is_ok());
    assert!(schema.check("git.log", &options! { "limit" => 10 }).is_ok());
}

#[test]
fn schema_optional_wrong_kind_names_key_kind_and_value_bad() {
    let schema = Schema::new().optional("limit", ValueKind::Int);
    let err = schema
        .check("git.log", &options! { "limit" => "ten" })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"action "git.log": input "limit" must be int, found string "ten""#
    );
}

#[test]
fn schema_optional_null_counts_as_absent_ugly() {
    let schema = Schema::new().optional("limit", ValueKind::Int);
    assert!(
        schema
            .check("git.log", &options! { "limit" => Value::Null })
            .is_ok()
    );
}

// --- Schema::fields ---

#[test]
fn schema_fields_in_declaration_order_good() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .optional("since", ValueKind::String);
    let keys: Vec<&str> = schema.fields().iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["path", "limit", "since"]);
}

#[test]
fn schema_fields_empty_without_declarations_bad() {
    assert!(Schema::new().fields().is_empty());
}

#[test]
fn schema_fields_redeclared_key_keeps_first_position_ugly() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .required("path", ValueKind::Bytes);
    let keys: Vec<&str> = schema.fields().iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["path", "limit"]);
    assert_eq!(schema.fields()[0].kind, ValueKind::Bytes);
}

// --- Schema::check ---

#[test]
fn schema_check_passes_undeclared_keys_through_good() {
    let schema = git_log_schema();
    assert!(
        schema
            .check(
                "git.log",
                &options! { "path" => "/srv/repo", "format" => "oneline", "colour" => false },
            )
            .is_ok()
    );
}

#[test]
fn schema_check_names_every_violation_in_declaration_order_bad() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .required("branch", ValueKind::String)
        .closed();
    // Three things are wrong: every one is named, so a caller fixes them in one go.
    let err = schema
        .check(
            "git.log",
            &options! { "paht" => "/srv/repo", "branch" => 7 },
        )
        .unwrap_err();
    insta::assert_snapshot!(err.message(), @r#"action "git.log": missing required input "path" (string); input "branch" must be string, found int 7; unknown input "paht" (did you mean "path"?); it takes path, branch"#);
    assert_eq!(err.operation(), "messaging.Schema.check");
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
}

#[test]
fn schema_check_escapes_hostile_key_and_value_ugly() {
    let schema = Schema::new().optional("line\nbreak", ValueKind::Int);
    let err = schema
        .check("журнал.git", &options! { "line\nbreak" => "a\u{0}b" })
        .unwrap_err();
    // The key and value are quoted and escaped: the message stays on one line.
    assert!(!err.message().contains('\n'), "{err}");
    assert_eq!(
        err.message(),
        r#"action "журнал.git": input "line\nbreak" must be int, found string "a\u0000b""#
    );
}

#[test]
fn schema_check_never_shows_a_secret_or_a_flood_ugly() {
    let schema = Schema::new()
        .optional("api_token", ValueKind::String)
        .optional("hosts", ValueKind::String);
    let err = schema
        .check("deploy.run", &options! { "api_token" => 123_456 })
        .unwrap_err();
    assert_eq!(
        err.message(),
        r#"action "deploy.run": input "api_token" must be string, found int [REDACTED]"#
    );
    let many: Vec<Value> = (0..100).map(|n| Value::from(format!("node-{n}"))).collect();
    let err = schema
        .check("deploy.run", &options! { "hosts" => Value::List(many) })
        .unwrap_err();
    assert!(
        err.message()
            .ends_with(r#"input "hosts" must be string, found list of 100 items"#),
        "{err}"
    );
    // A map may hold a secret under its own key: only its size is shown.
    let err = schema
        .check(
            "deploy.run",
            &options! { "hosts" => options! { "primary" => "db", "password" => "hunter2" }.into_value() },
        )
        .unwrap_err();
    assert!(!err.message().contains("hunter2"), "{err}");
    assert!(err.message().ends_with("found map of 2 keys"), "{err}");
}

// --- ValueKind::accepts ---

#[test]
fn value_kind_accepts_its_own_kind_good() {
    let cases = [
        (ValueKind::Bool, Value::from(true)),
        (ValueKind::Int, Value::from(8080)),
        (ValueKind::Float, Value::from(0.25)),
        (ValueKind::String, Value::from("/srv/repo")),
        (ValueKind::Bytes, Value::from(b"\x00\xff".to_vec())),
        (ValueKind::List, Value::from(vec!["homelab", "studio"])),
        (ValueKind::Map, options! { "port" => 8080 }.into_value()),
        (ValueKind::Any, Value::from("anything")),
    ];
    for (kind, value) in cases {
        assert!(kind.accepts(&value), "{kind} should accept {value}");
    }
}

#[test]
fn value_kind_accepts_no_other_kind_bad() {
    let cases = [
        (ValueKind::Int, Value::from("8080")),
        (ValueKind::Int, Value::from(2.5)),
        (ValueKind::Bool, Value::from("true")),
        (ValueKind::String, Value::from(8080)),
        (ValueKind::Bytes, Value::from(vec![0, 255])),
        (ValueKind::List, options! { "0" => "a" }.into_value()),
        (ValueKind::Map, Value::from(vec!["port", "8080"])),
    ];
    for (kind, value) in cases {
        assert!(!kind.accepts(&value), "{kind} should reject {value}");
    }
}

#[test]
fn value_kind_accepts_null_only_as_any_and_int_as_float_ugly() {
    for kind in [
        ValueKind::Bool,
        ValueKind::Int,
        ValueKind::Float,
        ValueKind::String,
        ValueKind::Bytes,
        ValueKind::List,
        ValueKind::Map,
    ] {
        assert!(!kind.accepts(&Value::Null), "{kind} should reject null");
    }
    assert!(ValueKind::Any.accepts(&Value::Null));
    assert!(ValueKind::Float.accepts(&Value::from(i64::MIN)));
    assert!(!ValueKind::Int.accepts(&Value::from(f64::MAX)));
}

#[test]
fn value_kind_accepts_whole_floats_an_i64_holds_as_int_ugly() {
    // JSON Schema's `integer` takes 5.0; some JSON writers send whole numbers so.
    for whole in [5.0, -0.0, -9_223_372_036_854_775_808.0] {
        assert!(ValueKind::Int.accepts(&Value::from(whole)), "{whole}");
    }
    // 2^63 is one past i64::MAX; a fraction is not whole.
    for not_whole in [9_223_372_036_854_775_808.0, 0.5, -1.000_001] {
        assert!(
            !ValueKind::Int.accepts(&Value::from(not_whole)),
            "{not_whole}"
        );
    }
}

// --- serde and display ---

#[test]
fn schema_serializes_as_fields_with_lowercase_kinds() {
    let json = serde_json::to_value(git_log_schema()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "fields": [
            { "key": "path", "kind": "string", "required": true },
            { "key": "limit", "kind": "int", "required": false },
        ] })
    );
    let back: Schema = serde_json::from_value(json).unwrap();
    assert_eq!(back, git_log_schema());
}

#[test]
fn value_kind_displays_lowercase() {
    let names: Vec<String> = [
        ValueKind::Any,
        ValueKind::Bool,
        ValueKind::Int,
        ValueKind::Float,
        ValueKind::String,
        ValueKind::Bytes,
        ValueKind::List,
        ValueKind::Map,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        names,
        [
            "any", "bool", "int", "float", "string", "bytes", "list", "map"
        ]
    );
}

#[test]
fn schema_check_many_unknown_keys_names_ten_and_counts_the_rest_ugly() {
    // 20,000 keys a model made up, against a closed schema: a message of one line (and
    // no square of work finding the closest declared key for each).
    let schema = Schema::new()
        .optional("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .closed();
    let flood: Options = (0..20_000)
        .map(|n| (format!("key{n}"), Value::from(n)))
        .collect();
    let err = schema.check("git.log", &flood).unwrap_err();
    assert_eq!(schema.violations(&flood).len(), 20_000);
    assert!(
        err.message().contains("; and 19990 more; it takes "),
        "{err}"
    );
    assert!(err.message().len() < 1_000, "{}", err.message().len());
}

#[test]
fn schema_check_shows_at_most_64_characters_of_a_value_ugly() {
    let schema = Schema::new().optional("limit", ValueKind::Int);
    let shown = |text: String| {
        let err = schema
            .check("git.log", &options! { "limit" => text })
            .unwrap_err();
        let message = err.message().to_owned();
        message
            .split_once("found string ")
            .map(|(_, shown)| shown.to_owned())
            .unwrap_or(message)
    };
    // 62 characters and its quotes: 64, shown whole.
    let fits = "ホ".repeat(62);
    assert_eq!(shown(fits.clone()), format!("\"{fits}\""));
    // One more is cut at 64 characters (not bytes), however long the value is.
    let cut = shown("ホ".repeat(63));
    assert_eq!(cut, format!("\"{}…", "ホ".repeat(63)));
    assert_eq!(shown("ホ".repeat(1_000_000)), cut);
}

#[test]
fn schema_check_shows_the_start_of_huge_bytes_ugly() {
    let schema = Schema::new().optional("limit", ValueKind::Int);
    let message = |bytes: Vec<u8>| {
        schema
            .check("git.log", &options! { "limit" => Value::Bytes(bytes) })
            .unwrap_err()
            .message()
            .to_owned()
    };
    let huge = message(vec![7; 10_000_000]);
    assert!(huge.ends_with('…'), "{huge}");
    assert!(huge.len() < 200, "{huge}");
    // Only the start matters: the same start shows the same.
    assert_eq!(message(vec![7; 1000]), huge);
}

// --- Schema::closed ---

#[test]
fn schema_closed_accepts_the_declared_keys_good() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .closed();
    assert!(
        schema
            .check("git.log", &options! { "path" => "/srv/repo" })
            .is_ok()
    );
    assert!(
        schema
            .check(
                "git.log",
                &options! { "path" => "/srv/repo", "limit" => 10 }
            )
            .is_ok()
    );
}

#[test]
fn schema_closed_refuses_a_typo_naming_the_key_it_meant_bad() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .closed();
    let err = schema
        .check("git.log", &options! { "path" => "/srv/repo", "limt" => 10 })
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    insta::assert_snapshot!(err.message(), @r#"action "git.log": unknown input "limt" (did you mean "limit"?); it takes path, limit"#);
    // Open, the same input goes through.
    let open = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int);
    assert!(
        open.check("git.log", &options! { "path" => "/srv/repo", "limt" => 10 })
            .is_ok()
    );
}

#[test]
fn schema_closed_with_no_keys_and_from_json_ugly() {
    let none = Schema::new().closed();
    assert!(none.check("cache.flush", &options! {}).is_ok());
    let err = none
        .check("cache.flush", &options! { "force" => true })
        .unwrap_err();
    assert_eq!(
        err.message(),
        r#"action "cache.flush": unknown input "force"; it takes no input"#
    );
    // Closed survives a trip through JSON; an open schema's form is unchanged.
    let schema = Schema::new().optional("path", ValueKind::String).closed();
    let json = serde_json::to_string(&schema).unwrap();
    assert!(json.contains(r#""closed":true"#), "{json}");
    assert_eq!(serde_json::from_str::<Schema>(&json).unwrap(), schema);
    let open = serde_json::to_string(&Schema::new().optional("path", ValueKind::String)).unwrap();
    assert!(!open.contains("closed"), "{open}");
}

#[test]
fn schema_violations_lists_each_key_with_what_is_wrong_good() {
    let schema = Schema::new()
        .required("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .optional("token", ValueKind::Int)
        .closed();
    let input = options! { "limit" => "ten", "token" => "s3cr3t", "verbose" => true };
    let violations = schema.violations(&input);
    let keys: Vec<&str> = violations.iter().map(Violation::key).collect();
    assert_eq!(keys, ["path", "limit", "token", "verbose"]);
    assert_eq!(
        violations[0],
        Violation::Missing {
            key: "path".to_owned(),
            expected: ValueKind::String
        }
    );
    assert!(
        matches!(&violations[1], Violation::WrongKind { expected: ValueKind::Int, found: "string", shown, .. } if shown == "\"ten\"")
    );
    // A secret-looking key's value is never shown, in the list as in the message.
    assert!(
        matches!(&violations[2], Violation::WrongKind { shown, .. } if !shown.contains("s3cr3t"))
    );
    assert!(matches!(
        &violations[3],
        Violation::Unknown { closest: None, .. }
    ));
    assert!(
        schema
            .violations(&options! { "path" => "/srv/repo" })
            .is_empty()
    );
}

#[test]
fn schema_violations_unknown_key_not_pointed_at_a_key_already_given_bad() {
    let schema = Schema::new()
        .optional("path", ValueKind::String)
        .optional("limit", ValueKind::Int)
        .closed();
    let violations = schema.violations(&options! { "path" => "/a", "paths" => "/b" });
    assert_eq!(
        violations,
        [Violation::Unknown {
            key: "paths".to_owned(),
            closest: None
        }]
    );
}

#[test]
fn schema_violations_null_and_open_schema_bad() {
    // A null required key is missing; an open schema never lists a key it does not declare.
    let schema = Schema::new().required("path", ValueKind::String);
    let violations = schema.violations(&options! { "path" => Value::Null, "extra" => 1 });
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].to_string(),
        r#"missing required input "path" (string)"#
    );
}

#[test]
fn schema_violations_serialize_tagged_for_structured_errors_good() {
    let schema = git_log_schema().closed();
    let violations = schema.violations(&options! { "limit" => "ten", "paht" => "/srv/repo" });
    insta::assert_json_snapshot!(violations, @r#"
    [
      {
        "violation": "missing",
        "key": "path",
        "expected": "string"
      },
      {
        "violation": "wrong_kind",
        "key": "limit",
        "expected": "int",
        "found": "string",
        "shown": "\"ten\""
      },
      {
        "violation": "unknown",
        "key": "paht",
        "closest": "path"
      }
    ]
    "#);
}

#[test]
fn schema_violations_hostile_keys_escaped_ugly() {
    // Control characters in a key a model made up are escaped in the text, kept in the key.
    let schema = Schema::new().closed();
    let violations = schema.violations(&options! { "x\u{1b}[31m\n" => 1 });
    assert_eq!(violations[0].key(), "x\u{1b}[31m\n");
    assert_eq!(
        violations[0].to_string(),
        r#"unknown input "x\u{1b}[31m\n""#
    );
    assert!(Schema::new().violations(&options! {}).is_empty());
}

#[test]
fn violation_key_good() {
    let v = Violation::Unknown {
        key: "paht".to_owned(),
        closest: Some("path".to_owned()),
    };
    assert_eq!(v.key(), "paht");
    assert_eq!(
        v.to_string(),
        r#"unknown input "paht" (did you mean "path"?)"#
    );
}

#[test]
fn violation_key_bad() {
    let v = Violation::WrongKind {
        key: "limit".to_owned(),
        expected: ValueKind::Int,
        found: "bool",
        shown: "true".to_owned(),
    };
    assert_eq!(v.key(), "limit");
    assert_eq!(
        v.to_string(),
        r#"input "limit" must be int, found bool true"#
    );
}

#[test]
fn violation_key_ugly() {
    let v = Violation::Missing {
        key: String::new(),
        expected: ValueKind::Any,
    };
    assert_eq!(v.key(), "");
    assert_eq!(v.to_string(), r#"missing required input "" (any)"#);
}

#[test]
fn schema_field_describes_keys_and_replaces_in_place_good() {
    let schema = Schema::new()
        .field(Field::required("path", ValueKind::String).description("the repository to read"))
        .optional("limit", ValueKind::Int)
        .field(Field::optional("path", ValueKind::String).description("defaults to the cwd"));
    let keys: Vec<&str> = schema.fields().iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["path", "limit"]);
    assert!(!schema.fields()[0].required);
    assert_eq!(
        schema.fields()[0].description.as_deref(),
        Some("defaults to the cwd")
    );
    // A description survives a round trip through a pipeline's TOML/JSON.
    let json = serde_json::to_string(&schema).unwrap();
    let back: Schema = serde_json::from_str(&json).unwrap();
    assert_eq!(back, schema);
}

#[test]
fn schema_field_redeclared_by_shorthand_keeps_description_bad() {
    // `required` on a described key changes its kind and need, not its description.
    let schema = Schema::new()
        .field(Field::optional("limit", ValueKind::Int).description("how many"))
        .required("limit", ValueKind::Float);
    let field = &schema.fields()[0];
    assert!(field.required);
    assert_eq!(field.kind, ValueKind::Float);
    assert_eq!(field.description.as_deref(), Some("how many"));
}

#[test]
fn schema_field_with_empty_key_and_description_ugly() {
    let schema = Schema::new().field(Field::optional("", ValueKind::Any).description(""));
    assert_eq!(schema.fields()[0].description.as_deref(), Some(""));
    // Serialized without a description when there is none.
    let bare = serde_json::to_string(&Schema::new().optional("x", ValueKind::Any)).unwrap();
    assert!(!bare.contains("description"), "{bare}");
}

#[test]
fn field_required_good() {
    let f = Field::required("path", ValueKind::String);
    assert!(f.required);
    assert_eq!(f.key, "path");
}

#[test]
fn field_required_bad() {
    // Required means given and not null.
    let schema = Schema::new().field(Field::required("path", ValueKind::String));
    assert!(
        schema
            .check("git.log", &options! { "path" => Value::Null })
            .is_err()
    );
}

#[test]
fn field_required_ugly() {
    let f = Field::required("\u{200b}", ValueKind::Any);
    assert_eq!(f.key, "\u{200b}");
    assert_eq!(f.kind, ValueKind::Any);
}

#[test]
fn field_optional_good() {
    let schema = Schema::new().field(Field::optional("limit", ValueKind::Int));
    assert!(schema.check("git.log", &options! {}).is_ok());
}

#[test]
fn field_optional_bad() {
    let schema = Schema::new().field(Field::optional("limit", ValueKind::Int));
    assert!(
        schema
            .check("git.log", &options! { "limit" => "ten" })
            .is_err()
    );
}

#[test]
fn field_optional_ugly() {
    let f = Field::optional("", ValueKind::Bytes);
    assert!(!f.required && f.key.is_empty() && f.description.is_none());
}

#[test]
fn field_description_good() {
    let f = Field::optional("limit", ValueKind::Int).description("how many commits");
    assert_eq!(f.description.as_deref(), Some("how many commits"));
}

#[test]
fn field_description_bad() {
    // A later description replaces an earlier one.
    let f = Field::optional("limit", ValueKind::Int)
        .description("first")
        .description("second");
    assert_eq!(f.description.as_deref(), Some("second"));
}

#[test]
fn field_description_ugly() {
    let long = "x".repeat(10_000);
    let f = Field::optional("limit", ValueKind::Int).description(long.clone());
    assert_eq!(f.description, Some(long));
}

#[test]
fn schema_to_json_schema_describes_every_kind_good() {
    let schema = Schema::new()
        .field(Field::required("path", ValueKind::String).description("the repository to read"))
        .optional("limit", ValueKind::Int)
        .optional("ratio", ValueKind::Float)
        .optional("verbose", ValueKind::Bool)
        .optional("tags", ValueKind::List)
        .optional("env", ValueKind::Map)
        .optional("blob", ValueKind::Bytes)
        .required("extra", ValueKind::Any);
    let json = serde_json::to_string_pretty(&schema.to_json_schema()).unwrap();
    insta::assert_snapshot!(json);
}

#[test]
fn schema_to_json_schema_validates_what_check_accepts_bad() {
    // The bytes form in the schema is the form a Value's bytes take in JSON: an input
    // written from the schema deserializes to options the check accepts.
    let schema = Schema::new().required("blob", ValueKind::Bytes).closed();
    let json_schema = serde_json::to_value(schema.to_json_schema()).unwrap();
    assert_eq!(json_schema["additionalProperties"], false);
    assert_eq!(
        json_schema["properties"]["blob"]["properties"]["$bytes"]["contentEncoding"],
        "base64"
    );
    let input: Options = serde_json::from_str(r#"{"blob": {"$bytes": "aGk="}}"#).unwrap();
    assert!(schema.check("store.put", &input).is_ok());
    let wrong: Options = serde_json::from_str(r#"{"blob": "aGk="}"#).unwrap();
    assert!(schema.check("store.put", &wrong).is_err());
    let not_base64: Options = serde_json::from_str(r#"{"blob": {"$bytes": "a*k="}}"#).unwrap();
    let err = schema.check("store.put", &not_base64).unwrap_err();
    assert!(
        err.message()
            .ends_with(r#"must be bytes, found map {"$bytes"} whose text is not base64"#),
        "{err}"
    );
    // Not text at all: a map, as it is.
    let number: Options = serde_json::from_str(r#"{"blob": {"$bytes": 8080}}"#).unwrap();
    let err = schema.check("store.put", &number).unwrap_err();
    assert!(
        err.message()
            .ends_with("must be bytes, found map of 1 keys"),
        "{err}"
    );
}

#[test]
fn schema_to_json_schema_of_empty_schema_ugly() {
    let json = serde_json::to_string(&Schema::new().to_json_schema()).unwrap();
    assert_eq!(json, r#"{"properties":{},"required":[],"type":"object"}"#);
}

// --- Field::one_of ---

/// `git.log` whose `order` takes newest or oldest (newest by default) and whose `limit`
/// defaults to 20; the handler answers with what it was given.
fn ordered_log() -> Actions<()> {
    let actions = Actions::new(Bus::new());
    actions
        .register(
            ActionSpec::new(
                "git.log",
                |_, options| async move { Ok(options.into_value()) },
            )
            .schema(
                Schema::new()
                    .field(
                        Field::optional("order", ValueKind::String)
                            .one_of(["newest", "oldest"])
                            .default("newest"),
                    )
                    .field(
                        Field::optional("limit", ValueKind::Int)
                            .one_of([10, 20, 50])
                            .default(20),
                    ),
            ),
        )
        .unwrap();
    actions
}

#[test]
fn field_one_of_listed_value_passes_good() {
    let schema = Schema::new()
        .field(Field::optional("order", ValueKind::String).one_of(["newest", "oldest"]));
    assert!(
        schema
            .violations(&options! { "order" => "oldest" })
            .is_empty()
    );
    assert!(schema.violations(&options! {}).is_empty());
}

#[test]
fn field_one_of_other_value_is_not_allowed_bad() {
    let schema = Schema::new()
        .field(Field::optional("order", ValueKind::String).one_of(["newest", "oldest"]));
    let violations = schema.violations(&options! { "order" => "random" });
    assert_eq!(
        violations,
        [Violation::NotAllowed {
            key: "order".to_owned(),
            allowed: vec![r#""newest""#.to_owned(), r#""oldest""#.to_owned()],
            shown: r#""random""#.to_owned(),
        }]
    );
    assert_eq!(
        serde_json::to_string(&violations[0]).unwrap(),
        r#"{"violation":"not_allowed","key":"order","allowed":["\"newest\"","\"oldest\""],"shown":"\"random\""}"#
    );
}

#[test]
fn field_one_of_numbers_compare_by_worth_and_kind_comes_first_ugly() {
    let schema = Schema::new().field(Field::optional("limit", ValueKind::Int).one_of([10, 20]));
    // 20.0 is 20; a string is the wrong kind before it is a value not listed.
    assert!(schema.violations(&options! { "limit" => 20.0 }).is_empty());
    assert!(matches!(
        schema.violations(&options! { "limit" => "20" })[0],
        Violation::WrongKind { .. }
    ));
    let empty = Schema::new()
        .field(Field::optional("order", ValueKind::String).one_of(Vec::<String>::new()));
    assert!(matches!(
        empty.violations(&options! { "order" => "newest" })[0],
        Violation::NotAllowed { .. }
    ));
}

// --- Field::default ---

#[tokio::test]
async fn field_default_reaches_the_handler_when_left_out_good() {
    let actions = ordered_log();
    let given = actions
        .run(
            &(),
            &RunCtx::new(),
            "git.log",
            options! { "order" => "oldest", "limit" => Value::Null },
        )
        .await
        .unwrap();
    let given = given.as_map().unwrap();
    assert_eq!(
        given["order"],
        Value::from("oldest"),
        "a value given is kept"
    );
    assert_eq!(given["limit"], Value::from(20), "null is left out");
    let none = actions
        .run(&(), &RunCtx::new(), "git.log", options! {})
        .await
        .unwrap();
    assert_eq!(none.as_map().unwrap()["order"], Value::from("newest"));
}

#[test]
fn field_default_of_another_kind_or_not_listed_is_refused_at_register_bad() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let register = |field: Field| {
        actions.register(
            ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) })
                .schema(Schema::new().field(field)),
        )
    };
    let err = register(Field::optional("limit", ValueKind::Int).default("twenty")).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::INVALID));
    assert_eq!(
        err.message(),
        r#"action "git.log": input "limit" defaults to "twenty", not int"#
    );
    let err = register(
        Field::optional("limit", ValueKind::Int)
            .one_of([10, 20])
            .default(30),
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        r#"action "git.log": input "limit" defaults to 30, which it does not take"#
    );
    assert!(!actions.exists("git.log"));
}

#[test]
fn field_default_of_a_required_key_is_refused_at_register_ugly() {
    // A required key left out is missing: a default for it would never be used.
    let actions: Actions<()> = Actions::new(Bus::new());
    let err = actions
        .register(
            ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) }).schema(
                Schema::new()
                    .field(Field::required("path", ValueKind::String).default("/srv/repo")),
            ),
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        r#"action "git.log": input "path" is required: a default would never be used"#
    );
}

#[test]
fn field_one_of_listing_another_kind_or_a_null_default_is_refused_ugly() {
    let actions: Actions<()> = Actions::new(Bus::new());
    let register = |field: Field| {
        actions.register(
            ActionSpec::new("git.log", |_, _| async { Ok(Value::Null) })
                .schema(Schema::new().field(field)),
        )
    };
    let err = register(
        Field::optional("order", ValueKind::String).one_of([Value::from("newest"), Value::from(1)]),
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        r#"action "git.log": input "order" lists 1, not string"#
    );
    assert!(register(Field::optional("order", ValueKind::Any).default(Value::Null)).is_err());
}

#[test]
fn schema_to_json_schema_lists_values_and_defaults_good() {
    let actions = ordered_log();
    let schema = actions
        .get("git.log")
        .def()
        .unwrap()
        .schema
        .to_json_schema();
    assert_eq!(
        serde_json::to_string(&schema).unwrap(),
        r#"{"properties":{"limit":{"default":20,"enum":[10,20,50],"type":"integer"},"order":{"default":"newest","enum":["newest","oldest"],"type":"string"}},"required":[],"type":"object"}"#
    );
}
