//! `report` as a person types it: a reversed range, a project that matches
//! nothing, the page on stdout, its help, `--tz` and `--last`, on the store
//! real opencode 1.18.33 wrote (every message on 2026-11-25 between 04:46
//! and 04:49 UTC).

mod common;

use common::{TestEnv, stderr};
use jiff::{Timestamp, ToSpan};
use std::process::Output;

const STORE: &str = "v1.18.33";

fn run(fx: &TestEnv, args: &[&str]) -> Output {
    fx.run(args)
}

/// Exit status 2 with one line on stderr naming every one of `names`.
fn usage_error(fx: &TestEnv, args: &[&str], names: &[&str]) {
    let err = clap_error(fx, args, names);
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
}

/// Exit status 2, the first line on stderr naming every one of `names`
/// (clap's errors add the usage below it); stderr.
fn clap_error(fx: &TestEnv, args: &[&str], names: &[&str]) -> String {
    let out = run(fx, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let first = err.lines().next().unwrap_or_default();
    for name in names {
        assert!(first.contains(name), "{args:?}: {name} not in {err}");
    }
    err
}

/// The `key`s of `report --json` rows.
fn keys(fx: &TestEnv, args: &[&str]) -> Vec<String> {
    fx.json(&[&["report", "--json"], args].concat())
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_reversed_range_is_a_usage_error_naming_both_ends() {
    let fx = TestEnv::load(STORE);
    usage_error(
        &fx,
        &["report", "--since", "1d", "--until", "7d"],
        &["--since 1d", "--until 7d"],
    );
    usage_error(
        &fx,
        &["report", "--since", "2026-11-26", "--until", "2026-11-25"],
        &["--since 2026-11-26", "--until 2026-11-25"],
    );
    // In order, the same ends are a report.
    assert_eq!(
        keys(
            &fx,
            &["--utc", "--since", "2026-11-25", "--until", "2026-11-26"]
        ),
        ["2026-11-25"]
    );
}

#[test]
fn a_project_that_matches_nothing_says_so_and_one_that_matches_does_not() {
    let fx = TestEnv::load(STORE);
    let out = run(&fx, &["report", "--project", "/no/such/project"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no session in") && err.contains("has the project /no/such/project"),
        "{err}"
    );
    let out = run(
        &fx,
        &[
            "report",
            "--project",
            "/tmp/session-export-fixtures/v1.18.33/repo",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("no session"), "{}", stderr(&out));
}

#[test]
fn html_dash_writes_the_page_to_stdout_and_no_file() {
    let fx = TestEnv::load(STORE);
    let cwd = fx.tmp.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let out = fx
        .cmd()
        .current_dir(&cwd)
        .args(["report", "--utc", "--html", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let page = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page:.200}");
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("Fixture long-chat"));
    assert!(!cwd.join("-").exists(), "a file named -");
    assert!(!stderr(&out).contains("wrote"), "{}", stderr(&out));
}

#[test]
fn report_help_has_examples_and_exit_statuses_and_the_top_level_shows_report() {
    let fx = TestEnv::load(STORE);
    let help = String::from_utf8(run(&fx, &["report", "--help"]).stdout).unwrap();
    for want in [
        "Examples:",
        "session-export report --by model --since 7d",
        "--tz Europe/Berlin",
        "Exit status:",
        "4  the opencode store is missing or unreadable",
    ] {
        assert!(help.contains(want), "{want} not in {help}");
    }
    let top = String::from_utf8(run(&fx, &["--help"]).stdout).unwrap();
    assert!(top.contains("session-export report"), "{top}");
}

#[test]
fn tz_cuts_days_in_that_zone_and_reads_dates_there() {
    let fx = TestEnv::load(STORE);
    assert_eq!(keys(&fx, &["--utc"]), ["2026-11-25"]);
    assert_eq!(keys(&fx, &["--tz", "UTC"]), ["2026-11-25"]);
    // 04:46 UTC is the evening before in Los Angeles, the afternoon in Tokyo.
    assert_eq!(keys(&fx, &["--tz", "America/Los_Angeles"]), ["2026-11-24"]);
    assert_eq!(keys(&fx, &["--tz", "Asia/Tokyo"]), ["2026-11-25"]);
    assert_eq!(
        keys(&fx, &["--tz", "America/Los_Angeles", "--by", "month"]),
        ["2026-11"]
    );
    // A date is midnight in the report's zone: 08:00 UTC in Los Angeles,
    // after every message.
    assert_eq!(
        keys(&fx, &["--utc", "--since", "2026-11-25"]),
        ["2026-11-25"]
    );
    assert_eq!(
        keys(
            &fx,
            &["--tz", "America/Los_Angeles", "--since", "2026-11-25"]
        ),
        Vec::<String>::new()
    );
    // The table's title names the zone.
    let out = run(&fx, &["report", "--tz", "Asia/Tokyo"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with("Usage by day, all time, Asia/Tokyo"),
        "{table}"
    );

    usage_error(
        &fx,
        &["report", "--tz", "Mars/Olympus_Mons"],
        &["--tz Mars/Olympus_Mons"],
    );
    usage_error(
        &fx,
        &["report", "--tz", "../../../etc/passwd"],
        &["--tz ../../../etc/passwd"],
    );
    clap_error(
        &fx,
        &["report", "--utc", "--tz", "Asia/Tokyo"],
        &["--utc", "--tz"],
    );
}

/// Months from November 2026 to now, both counted.
fn months_since_the_fixture() -> u32 {
    let today = Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let months = (i32::from(today.year()) - 2026) * 12 + i32::from(today.month()) - 11 + 1;
    u32::try_from(months).unwrap()
}

#[test]
fn last_n_counts_whole_periods_back_from_today_in_the_zone() {
    let fx = TestEnv::load(STORE);
    let n = months_since_the_fixture();
    let n_str = n.to_string();
    assert_eq!(
        keys(&fx, &["--utc", "--by", "month", "--last", &n_str]),
        ["2026-11"]
    );
    if n > 1 {
        let fewer = (n - 1).to_string();
        assert_eq!(
            keys(&fx, &["--utc", "--by", "month", "--last", &fewer]),
            Vec::<String>::new()
        );
    }
    // The table says where the window starts: midnight, N - 1 days before today.
    let start = Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .checked_sub(6.days())
        .unwrap();
    let out = run(&fx, &["report", "--utc", "--last", "7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with(&format!("Usage by day, since {start} 00:00, UTC")),
        "{table}"
    );

    clap_error(
        &fx,
        &["report", "--last", "3", "--since", "7d"],
        &["--last", "--since"],
    );
    clap_error(
        &fx,
        &["report", "--last", "3", "--until", "1d"],
        &["--last", "--until"],
    );
    usage_error(
        &fx,
        &["report", "--by", "model", "--last", "3"],
        &["--last 3", "--by day"],
    );
    clap_error(&fx, &["report", "--last", "0"], &["--last"]);
    usage_error(
        &fx,
        &["report", "--last", "4294967295"],
        &["--last 4294967295"],
    );
    clap_error(&fx, &["report", "--last", "99999999999"], &["--last"]);
}

#[test]
fn a_team_report_by_a_row_the_deployment_does_not_keep_names_those_it_keeps() {
    let fx = TestEnv::load(STORE);
    for by in ["agent", "session", "tool"] {
        usage_error(
            &fx,
            &["report", "--convex", "--by", by],
            &[
                &format!("--convex --by {by}"),
                "day, week, month, project, model, device only",
                &format!("report --by {by} reads this machine's store"),
            ],
        );
    }
}
