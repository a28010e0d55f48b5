//! Settings are resolved once, and a bad value says where it came from: the
//! flag, or the config file and its key.

mod common;

use common::{TestEnv, config, stderr};

const STORE: &str = "v1.18.33";

#[test]
fn a_bad_duration_in_the_config_file_names_the_file_and_key() {
    let fx = TestEnv::load(STORE);
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
    let fx = TestEnv::load(STORE);
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
    let fx = TestEnv::load(STORE);
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

/// A flag is offered only where it does something: `dry-run` sends
/// nothing (no `--timeout`), `list` asks no deployment, a report counts
/// every message (no `--include-subagents`, `--abandoned-after`).
#[test]
fn a_flag_that_would_do_nothing_is_not_offered() {
    let fx = TestEnv::load(STORE);
    for args in [
        &["dry-run", "--all-complete", "--timeout", "5s"][..],
        &["list", "--timeout", "5s"],
        &["report", "--include-subagents"],
        &["report", "--abandoned-after", "1d"],
    ] {
        let out = fx.cmd().args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("unexpected argument"), "{args:?}: {err}");
    }
    // The deployment's URL and time limit are for the team report only.
    for flag in [
        &["--convex-url", "https://x.convex.cloud"][..],
        &["--timeout", "5s"],
    ] {
        let out = fx.cmd().arg("report").args(flag).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag:?}: {err}");
        assert!(err.contains("--convex"), "{flag:?}: {err}");
    }
    // The shared flags are on every command that selects sessions.
    for cmd in [
        &["export", "--all-complete"][..],
        &["dry-run", "--all-complete"],
        &["list"],
        &["report", "--json"],
    ] {
        let out = fx
            .cmd()
            .args(cmd)
            .args(["--since", "2000-01-01", "--project", "prj_none"])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
    }
}
