//! `is_secret_name`, and the `Debug` of `Options` and `Value` that redacts the values of
//! secret-looking keys.

use corers_primitives::{Options, Value, camel_words, is_secret_name, options};

#[test]
fn is_secret_name_every_pattern_good() {
    for name in [
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
        "jwt",
        "Bearer-Token",
        "wallet.mnemonic",
        "sessionId",
        "db.pass",
        "DB_PWD",
        "proxy-auth",
        "dsn",
        "SENTRY_DSN",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
}

#[test]
fn is_secret_name_ordinary_names_bad() {
    for name in [
        "workspace",
        "path",
        "key",
        "keys",
        "pass",
        "author",
        "took_ms",
        "PWD",
        "auth",
        "bypass",
        "passive_mode",
        "oauth_url",
        "auth_enabled",
        "dsn_file_name",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn is_secret_name_hyphens_case_and_empty_ugly() {
    assert!(is_secret_name("X-Signing-Key"));
    assert!(is_secret_name("PRIVATE-KEY"));
    // A config key: the dot separates words as `_` does.
    assert!(is_secret_name("tls.key"));
    assert!(is_secret_name("Signing.Key"));
    assert!(!is_secret_name("keyboard.layout"));
    assert!(!is_secret_name(""));
    assert!(!is_secret_name("-"));
}

#[test]
fn is_secret_name_camel_case_names_good() {
    for name in [
        "privateKey",
        "signingKey",
        "sshKey",
        "accessKeyId",
        "sessionToken",
        "clientSecret",
        "apiKey",
        "sha256Key",
        "SSHKey",
        "HMACKey",
        "api key",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
}

#[test]
fn is_secret_name_camel_case_ordinary_names_bad() {
    for name in ["keyboardLayout", "monkeyPatch", "workspaceName", "hotkey"] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn camel_words_splits_at_each_capital_after_a_lower_case_letter_good() {
    assert_eq!(
        camel_words("signingKeyId").as_deref(),
        Some("signing_key_id")
    );
    assert_eq!(camel_words("tls2Cert").as_deref(), Some("tls2_cert"));
}

#[test]
fn camel_words_none_without_a_camel_case_boundary_bad() {
    for name in ["api_key", "GITHUB_TOKEN", "password", "X-API-KEY"] {
        assert_eq!(camel_words(name), None, "{name}");
    }
}

#[test]
fn camel_words_runs_of_capitals_and_separators_ugly() {
    assert_eq!(camel_words("privateKey").as_deref(), Some("private_key"));
    // An acronym's last capital starts the next word; a name all in capitals has none.
    assert_eq!(camel_words("APIKey").as_deref(), Some("api_key"));
    assert_eq!(camel_words("SSHKey").as_deref(), Some("ssh_key"));
    assert_eq!(camel_words("API"), None);
    assert_eq!(camel_words("A"), None);
    assert_eq!(camel_words("x-ApiKey").as_deref(), Some("x_api_key"));
    assert_eq!(camel_words("ÉtatClé").as_deref(), Some("état_clé"));
    assert_eq!(camel_words(""), None);
}

#[test]
fn options_debug_redacts_camel_case_secret_values_ugly() {
    let input = options! { "signingKey" => "-----BEGIN PRIVATE KEY-----", "region" => "eu-west-1" };
    let shown = format!("{input:?}");
    assert!(!shown.contains("BEGIN PRIVATE KEY"), "{shown}");
    assert!(shown.contains("eu-west-1"), "{shown}");
}

#[test]
fn options_debug_redacts_secret_values_ugly() {
    let input = options! { "path" => "/srv/repo", "api_token" => "ghp_16C7e42F292c6912E7710c838347Ae178B4a" };
    let shown = format!("{input:?}");
    assert_eq!(
        shown,
        r#"Options {"path": String("/srv/repo"), "api_token": [REDACTED]}"#
    );
    assert_eq!(format!("{:?}", Options::new()), "Options {}");
}

#[test]
fn value_debug_redacts_secret_values_at_any_depth_ugly() {
    let value = Value::from(vec![options! {
        "database" => options! { "host" => "db.internal", "password" => "hunter2" }.into_value(),
    }
    .into_value()]);
    let shown = format!("{value:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains(r#""password": [REDACTED]"#), "{shown}");
    assert!(
        shown.contains(r#""host": String("db.internal")"#),
        "{shown}"
    );
    assert_eq!(format!("{:?}", Value::Int(8080)), "Int(8080)");
}
