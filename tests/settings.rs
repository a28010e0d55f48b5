//! Settings are resolved once, and a bad value says where it came from: the
//! flag, or the config file and its key.

mod common;

use common::{Fixture, config, stderr};

const STORE: &str = "v1.18.33";

#[test]
fn a_bad_duration_in_the_config_file_names_the_file_and_key() {
    let fx = Fixture::load(STORE);
    config(&fx, "abandoned_after = \"soon\"\n");
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("config.toml: abandoned_after:") && err.contains("\"soon\""),
        "{err}"
    );
    assert!(!err.contains("--abandoned-after"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_bad_duration_on_the_command_line_names_the_flag() {
    let fx = Fixture::load(STORE);
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete", "--abandoned-after", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--abandoned-after"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreadable_config_file_is_not_a_usage_error() {
    let fx = Fixture::load(STORE);
    // A directory where the file should be: reading it fails with an I/O error.
    std::fs::create_dir_all(fx.tmp.path().join("config/session-export/config.toml")).unwrap();
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot read the config file"), "{err}");
}
