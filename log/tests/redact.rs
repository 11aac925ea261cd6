//! Redaction: [`Redactor`] patterns (defaults, custom, case and globs) and their effect on
//! logged fields through [`LoggerBuilder::redactor`](corers_log::LoggerBuilder::redactor).

mod common;

use corers_log::{DEFAULT_REDACTIONS, Format, REDACTED, Redactor, without_url_passwords};
use serde_json::json;

use common::{captured, only_json};

// ---------------------------------------------------------------- Redactor::new

#[test]
fn redactor_new_custom_pattern_matches_good() {
    let redactor = Redactor::new(["session_*", "*cookie*"]);
    assert!(redactor.is_secret("SESSION_ID") && redactor.is_secret("Set-Cookie"));
}

#[test]
fn redactor_new_excludes_the_defaults_bad() {
    let redactor = Redactor::new(["session_*"]);
    assert!(!redactor.is_secret("GITHUB_TOKEN"));
}

#[test]
fn redactor_new_empty_list_redacts_nothing_ugly() {
    let redactor = Redactor::new(Vec::<String>::new());
    let any = ["api_token", "password", "", "*"]
        .into_iter()
        .any(|name| redactor.is_secret(name));
    assert!(!any);
}

#[test]
fn redactor_new_upper_case_pattern_matches_any_case_ugly() {
    let redactor = Redactor::new(["SESSION_?D"]);
    assert!(redactor.is_secret("session_id") && !redactor.is_secret("session_uid"));
}

// ---------------------------------------------------------------- Redactor::with

#[test]
fn redactor_with_adds_to_the_defaults_good() {
    let redactor = Redactor::default().with(["*_pin"]);
    assert!(redactor.is_secret("card.pin") && redactor.is_secret("db.password"));
}

#[test]
fn redactor_with_nothing_changes_nothing_bad() {
    let redactor = Redactor::new(["session_*"]).with(Vec::<String>::new());
    assert!(redactor.is_secret("session_id") && !redactor.is_secret("token"));
}

#[test]
fn redactor_with_dotted_and_spaced_patterns_read_as_names_are_ugly() {
    let redactor = Redactor::new(Vec::<String>::new()).with(["card.pin", "*.otp"]);
    assert!(redactor.is_secret("card.pin") && redactor.is_secret("CARD_PIN"));
    assert!(redactor.is_secret("login.otp") && !redactor.is_secret("otp"));
}

#[test]
fn redactor_with_glob_and_camel_case_names_ugly() {
    let redactor = Redactor::new(Vec::<String>::new()).with(["SESSION_?D", "*-PIN"]);
    assert!(redactor.is_secret("sessionId") && redactor.is_secret("cardPin"));
    assert!(!redactor.is_secret("session_uid"));
}

// ---------------------------------------------------------------- Redactor::is_secret

#[test]
fn redactor_is_secret_every_default_pattern_good() {
    // One realistic name per default pattern, in the order of DEFAULT_REDACTIONS.
    let names = [
        "GITHUB_TOKEN",
        "client_secret",
        "db.Password",
        "passwd",
        "GPG_PASSPHRASE",
        "aws credentials",
        "session_cookie",
        "X-ApiKey",
        "stripe_api_key",
        "Authorization",
        "ssh_private_key",
        "aws_access_key_id",
        "SSH_PRIVATEKEY",
        "privkey",
        "jwt",
        "bearer_header",
        "wallet.mnemonic",
        "session-id",
        "PHPSESSID_sessionid",
        "db.pass",
        "DB_PWD",
        "proxyAuth",
        "DSN",
        "sentry-dsn",
    ];
    let redactor = Redactor::default();
    let matched: Vec<&str> = names
        .into_iter()
        .filter(|name| redactor.is_secret(name))
        .collect();
    assert_eq!((matched, DEFAULT_REDACTIONS.len()), (names.to_vec(), 24));
}

#[test]
fn redactor_is_secret_hyphenated_header_names_ugly() {
    let redactor = Redactor::default();
    for name in [
        "X-Api-Key",
        "x-signing-key",
        "Private-Key",
        "tls.key",
        "ssh.Key",
    ] {
        assert!(redactor.is_secret(name), "{name}");
    }
    assert!(!redactor.is_secret("x-request-id"));
    assert!(!redactor.is_secret("error_code"));
}

#[test]
fn redactor_new_hyphenated_patterns_match_either_spelling_ugly() {
    let redactor = Redactor::new(["set-cookie", "x-auth-*"]);
    for name in ["Set-Cookie", "set_cookie", "X-Auth-Token", "x_auth_user"] {
        assert!(redactor.is_secret(name), "{name}");
    }
    assert!(!redactor.is_secret("cookie"));
}

#[test]
fn redactor_is_secret_ordinary_names_bad() {
    let redactor = Redactor::default();
    let any = [
        "service",
        "path",
        "workspace",
        "took_ms",
        "pass",
        "key",
        "author",
    ]
    .into_iter()
    .any(|name| redactor.is_secret(name));
    assert!(!any);
}

#[test]
fn redactor_is_secret_camel_case_names_good() {
    let redactor = Redactor::default();
    for name in ["privateKey", "signingKey", "accessKeyId", "sessionToken"] {
        assert!(redactor.is_secret(name), "{name}");
    }
    assert!(!redactor.is_secret("keyboardLayout"));
}

#[test]
fn redactor_new_pattern_matches_camel_case_in_either_form_ugly() {
    let joined = Redactor::new(["*apikey*"]);
    let split = Redactor::new(["session_*"]);
    assert_eq!(
        (joined.is_secret("apiKey"), split.is_secret("sessionId")),
        (true, true)
    );
}

#[test]
fn logger_builder_redactor_default_redacts_camel_case_field_ugly() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.build();
    corers_log::info!(log, "privateKey" = "-----BEGIN PRIVATE KEY-----", "loaded");
    assert_eq!(only_json(&sink)["fields"]["privateKey"], REDACTED);
}

#[test]
fn redactor_is_secret_unicode_case_and_embedded_ugly() {
    let redactor = Redactor::default();
    let verdicts: Vec<bool> = ["ÜBER_PASSWORD", "refresh_tokens_v2", "", "tökén"]
        .into_iter()
        .map(|name| redactor.is_secret(name))
        .collect();
    assert_eq!(verdicts, [true, true, false, false]);
}

// ---------------------------------------------------------------- through the logger

#[test]
fn logger_builder_redactor_custom_pattern_redacts_good() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.redactor(Redactor::new(["session_*"])).build();
    corers_log::info!(log, session_id = "7f3a9c", user = "deploy-bot", "signed in");
    assert_eq!(
        only_json(&sink)["fields"],
        json!({"session_id": REDACTED, "user": "deploy-bot"})
    );
}

#[test]
fn logger_builder_redactor_custom_replaces_defaults_bad() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.redactor(Redactor::new(["session_*"])).build();
    corers_log::info!(log, api_token = "s3cr3t", "connected");
    assert_eq!(only_json(&sink)["fields"]["api_token"], "s3cr3t");
}

#[test]
fn logger_builder_redactor_star_hides_every_typed_value_ugly() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.redactor(Redactor::new(["*"])).build();
    corers_log::info!(
        log,
        port = 8080_u16,
        delta = -3_i64,
        ratio = 0.5,
        healthy = true,
        host = ?"homelab",
        "probe done"
    );
    let line = only_json(&sink);
    assert_eq!(
        (&line["msg"], &line["fields"]),
        (
            &json!("probe done"),
            &json!({
                "port": REDACTED, "delta": REDACTED, "ratio": REDACTED,
                "healthy": REDACTED, "host": REDACTED
            })
        )
    );
}

#[test]
fn logger_builder_redactor_default_redacts_numeric_secret_ugly() {
    let (builder, sink) = captured(Format::Human);
    let log = builder.build();
    corers_log::info!(log, pin_password = 4321_u32, "unlocked");
    assert!(
        sink.contents()
            .ends_with("unlocked pin_password=[REDACTED]\n"),
        "{}",
        sink.contents()
    );
}

// ---------------------------------------------------------------- passwords in URLs

#[test]
fn without_url_passwords_hides_each_password_good() {
    assert_eq!(
        without_url_passwords(
            "primary postgres://app:hunter2@db.lan/app, replica redis://:r3d1s@cache.lan:6379"
        ),
        "primary postgres://app:[REDACTED]@db.lan/app, replica redis://:[REDACTED]@cache.lan:6379"
    );
}

#[test]
fn without_url_passwords_hides_secret_query_values_good() {
    assert_eq!(
        without_url_passwords(
            "GET https://s3.lan/b/k?X-Amz-Credential=AKIA&X-Amz-Signature=5f1e&x=1 \
             and https://u:p@api.lan/cb?access_token=ya29&state=ok#frag"
        ),
        "GET https://s3.lan/b/k?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&x=1 \
         and https://u:[REDACTED]@api.lan/cb?access_token=[REDACTED]&state=ok#frag"
    );
}

#[test]
fn without_url_passwords_inside_another_url_and_after_a_comma_ugly() {
    assert_eq!(
        without_url_passwords(
            "https://app.lan/login?next=postgres://app:hunter2@db.lan/app \
             postgres://a:pw1@h1/x,redis://:pw2@h2/0"
        ),
        "https://app.lan/login?next=postgres://app:[REDACTED]@db.lan/app \
         postgres://a:[REDACTED]@h1/x,redis://:[REDACTED]@h2/0"
    );
}

#[test]
fn without_url_passwords_leaves_ordinary_query_values_bad() {
    let text = "https://search.lan/?q=token&page=2&sort=&key=#token=abc";
    assert!(matches!(without_url_passwords(text), std::borrow::Cow::Borrowed(t) if t == text));
}

#[test]
fn without_url_passwords_leaves_text_without_one_borrowed_bad() {
    for text in ["https://db.lan/app", "user@db.lan", "ratio 3:1", ""] {
        assert!(matches!(without_url_passwords(text), std::borrow::Cow::Borrowed(t) if t == text));
    }
}

#[test]
fn without_url_passwords_hostile_text_ugly() {
    // Already hidden, a bare scheme, an `@` in the password, multi-byte text around it.
    assert_eq!(
        without_url_passwords("x://u:[REDACTED]@h ://:@ é s://u:p@ss@hôte/ü"),
        "x://u:[REDACTED]@h ://:@ é s://u:[REDACTED]@hôte/ü"
    );
}

#[test]
fn without_url_passwords_flood_of_separators_is_cut_not_scanned_for_ever_ugly() {
    // A request path of 30,000 `a://` (one word): searched for 64 URLs, the rest left
    // out — not shown unsearched, and not seconds of work per line.
    let flood = "a://".repeat(30_000);
    let started = std::time::Instant::now();
    let hidden = without_url_passwords(&flood);
    assert!(
        hidden.ends_with(" [REDACTED: more than 64 URLs]"),
        "{}",
        &hidden[hidden.len() - 40..]
    );
    assert!(hidden.len() < 1_000, "{}", hidden.len());
    // A password past the 64th URL is not shown either.
    let late = format!("{} postgres://app:hunter2@db", "x://h ".repeat(70));
    assert!(!without_url_passwords(&late).contains("hunter2"));
    // (Generous: quadratic work took seconds here.)
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn logger_hides_the_password_of_a_url_in_messages_and_values_good() {
    let (builder, sink) = captured(Format::Json);
    let log = builder.build();
    let url = "postgres://app:hunter2@db.lan:5432/app?sslmode=require";
    corers_log::info!(log, url, target = ?url, "connecting to {url}");
    let line = only_json(&sink);
    let hidden = format!("postgres://app:{REDACTED}@db.lan:5432/app?sslmode=require");
    assert_eq!(line["msg"], format!("connecting to {hidden}"));
    assert_eq!(line["fields"]["url"], hidden);
    assert_eq!(line["fields"]["target"], format!("{hidden:?}"));
    assert!(!sink.contents().contains("hunter2"));
}

#[test]
fn logger_leaves_urls_without_a_password_alone_bad() {
    let (builder, sink) = captured(Format::Human);
    let log = builder.build();
    corers_log::info!(
        log,
        "fetched https://ops@git.lan/repo.git and https://example.com/a:b@c and mailto:a:b@c"
    );
    assert!(
        sink.contents().contains(
            "fetched https://ops@git.lan/repo.git and https://example.com/a:b@c and mailto:a:b@c"
        ),
        "{}",
        sink.contents()
    );
}

#[test]
fn logger_hides_every_url_password_with_a_custom_redactor_and_in_errors_ugly() {
    let (builder, sink) = captured(Format::Human);
    let log = builder.redactor(Redactor::new(["session_*"])).build();
    let err =
        std::io::Error::other("redis://:p%40ss@cache:6379/0 and amqp://guest:guest@mq/ refused");
    corers_log::error!(log, error = %err, "cache down");
    let line = sink.contents();
    assert!(
        line.contains(&format!(
            "redis://:{REDACTED}@cache:6379/0 and amqp://guest:{REDACTED}@mq/ refused"
        )),
        "{line}"
    );
    assert!(
        !line.contains("p%40ss") && !line.contains("guest@"),
        "{line}"
    );
}
