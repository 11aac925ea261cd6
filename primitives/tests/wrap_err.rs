//! [`WrapErr`]: `?` with an operation and a message on any `Result`.

use std::cell::Cell;

use corers_primitives::{Error, ErrorCode, Result, WrapErr};

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).wrap_err("workbench.Settings.load", "read the settings")
}

// ---------------------------------------------------------------- WrapErr::wrap_err

#[test]
fn wrap_err_keeps_the_cause_and_its_code_good() {
    let err = read("/nonexistent/corers/workbench.toml").unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(err.operation(), "workbench.Settings.load");
    let io = err.root().downcast_ref::<std::io::Error>().unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn wrap_err_ok_passes_through_bad() {
    let parsed: Result<u16> = "8080"
        .parse::<u16>()
        .wrap_err("workbench.Settings.port", "read the port");
    assert_eq!(parsed.unwrap(), 8080);
}

#[test]
fn wrap_err_of_a_corers_error_keeps_its_chain_ugly() {
    let failed: std::result::Result<(), Error> =
        Err(Error::new("store.Db.get", "no row 7").with_code(ErrorCode::NOT_FOUND));
    let err = failed.wrap_err("export.Csv.write", "").unwrap_err();
    assert_eq!(err.operations(), ["export.Csv.write", "store.Db.get"]);
    assert_eq!(err.code(), Some(&ErrorCode::NOT_FOUND));
    assert_eq!(format!("{err:#}"), "no row 7");
}

// ---------------------------------------------------------------- WrapErr::wrap_err_with

#[test]
fn wrap_err_with_makes_the_message_for_an_error_good() {
    let name = "alpha";
    let err = "many"
        .parse::<u32>()
        .wrap_err_with("workbench.Workspace.open", || {
            format!("read the size of {name:?}")
        })
        .unwrap_err();
    assert_eq!(err.message(), r#"read the size of "alpha""#);
    assert_eq!(
        err.to_string(),
        r#"workbench.Workspace.open: read the size of "alpha": invalid digit found in string"#
    );
}

#[test]
fn wrap_err_with_never_makes_the_message_for_ok_bad() {
    let made = Cell::new(false);
    let parsed = "7"
        .parse::<u32>()
        .wrap_err_with("workbench.Index.size", || {
            made.set(true);
            "read the size"
        });
    assert_eq!(parsed.unwrap(), 7);
    assert!(!made.get());
}

#[test]
fn wrap_err_with_text_error_and_empty_message_ugly() {
    // A bare text error (what `?` on a `Box<dyn Error>` gives), and a message left empty.
    let failed: std::result::Result<(), &str> = Err("disk full");
    let err = failed
        .wrap_err_with("fs.Fs.write", String::new)
        .unwrap_err();
    assert_eq!(err.code(), None);
    assert_eq!(err.to_string(), "fs.Fs.write: : disk full");
    assert_eq!(format!("{err:#}"), "disk full");
}
