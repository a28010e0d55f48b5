//! A newcomer's first ten minutes, from the user's side: the
//! command lines a person types and what they print, on a store written by
//! real opencode 1.18.33.

mod common;

use common::{TestEnv, json_lines, stderr};
use rusqlite::Connection;
use serde_json::Value;
use std::process::Output;

const STORE: &str = "v1.18.33";

fn run(fx: &TestEnv, args: &[&str]) -> Output {
    fx.run(args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Run and expect success; stderr.
fn ok(fx: &TestEnv, args: &[&str]) -> String {
    fx.ok(args).1
}

/// The store's subagent sessions and the rest, from its manifest.
fn subagents(fx: &TestEnv) -> usize {
    fx.sessions()
        .iter()
        .filter(|s| !s["parentId"].is_null())
        .count()
}

fn list_json(fx: &TestEnv, args: &[&str]) -> Vec<Value> {
    fx.json(&[&["list", "--json"], args].concat())
}

fn state_of(fx: &TestEnv, id: &str) -> String {
    list_json(fx, &[])
        .into_iter()
        .find(|r| r["sessionId"] == id)
        .map(|r| r["state"].as_str().unwrap().to_string())
        .unwrap()
}

// 1. `dry-run <id>` prints the document whatever the ledger says;
//    `export <id>` of an unchanged session says so and how to send it.
#[test]
fn dry_run_of_an_exported_session_still_prints_it_and_export_says_why_not() {
    let fx = TestEnv::load(STORE);
    let done = fx.scenario("todos-done").unwrap();
    ok(&fx, &["export", "--all-complete"]);

    let out = run(&fx, &["dry-run", &done]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["sessionId"], done.as_str());
    assert!(
        stderr(&out).contains(&format!(
            "{done} is already exported and unchanged: `export` sends it again only with --force"
        )),
        "{}",
        stderr(&out)
    );
    // Several ids: JSON Lines, every one of them.
    let open = fx.scenario("todos-open").unwrap();
    let out = run(&fx, &["dry-run", &done, &open]);
    let ids: Vec<Value> = json_lines(&out.stdout)
        .iter()
        .map(|d| d["sessionId"].clone())
        .collect();
    assert_eq!(ids.len(), 2, "{}", stderr(&out));

    let err = ok(&fx, &["export", &done]);
    assert_eq!(
        err.trim(),
        format!(
            "nothing to export: {done} is already exported and unchanged (--force sends it again)"
        )
    );
    let err = ok(&fx, &["export", &done, "--force"]);
    assert!(err.contains("sent 1 session to"), "{err}");
}

// 2. When a selection is smaller than the store, or empty, one line on
//    stderr says why.
#[test]
fn a_selection_says_what_it_left_out_and_why() {
    let fx = TestEnv::load(STORE);
    let total = fx.sessions().len();
    let children = subagents(&fx);
    assert_eq!(children, 1, "the 1.18.33 store has one subagent session");
    let picked = total - children - 1;

    let err = ok(&fx, &["export", "--all-complete"]);
    let first = err.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "exporting {picked} of {total} sessions; left out: 1 with open todos, \
             1 subagent session sent inside its parent's document"
        )
    );

    let open = fx.scenario("todos-open").unwrap();
    let err = ok(&fx, &["export", "--if-complete", &open]);
    assert_eq!(
        err.trim(),
        format!("nothing to export: {open} has open todos (1 of 4 done)")
    );

    let out = run(
        &fx,
        &["dry-run", "--all-complete", "--project", "/nonexistent"],
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim(),
        format!("nothing to show; of {total} sessions: {total} outside --project")
    );

    let err = ok(&fx, &["export", "--all-complete"]);
    assert_eq!(
        err.trim(),
        format!(
            "nothing to export; of {total} sessions: {picked} already exported and unchanged \
             (--force sends them again), 1 with open todos, 1 subagent session sent inside \
             its parent's document"
        )
    );
    // -q: nothing at all.
    assert_eq!(ok(&fx, &["export", "--all-complete", "-q"]), "");
}

// 3. No ids and no --all-complete: one plain sentence and both forms.
#[test]
fn without_ids_or_all_complete_the_error_says_to_give_one_and_shows_both_forms() {
    let fx = TestEnv::load(STORE);
    for args in [
        &["dry-run", "--since", "36h"][..],
        &["export"][..],
        &["dry-run"][..],
    ] {
        let out = run(&fx, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: give session ids or --all-complete\n"),
            "{err}"
        );
        assert!(
            !err.contains("required arguments were not provided"),
            "{err}"
        );
        let cmd = args[0];
        assert!(
            err.contains(&format!(
                "Usage: session-export {cmd} [OPTIONS] <SESSION_ID>...\n"
            )) && err.contains(&format!("session-export {cmd} [OPTIONS] --all-complete\n")),
            "{err}"
        );
    }
    let out = run(&fx, &["export", "--if-complete"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: give the session ids --if-complete should choose from\n"),
        "{}",
        stderr(&out)
    );
    let help = stdout(&run(&fx, &["export", "--help"]));
    assert!(
        help.contains("session-export export [OPTIONS] --all-complete"),
        "{help}"
    );
    // A selection option with plain ids says what it is for.
    let out = run(&fx, &["dry-run", "ses_x", "--since", "7d"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: --since chooses among the sessions --all-complete or --if-complete pick"
        ),
        "{}",
        stderr(&out)
    );
}

// 4. The help says where documents go, with examples.
#[test]
fn help_says_where_documents_go_and_gives_examples() {
    let fx = TestEnv::load(STORE);
    let top = stdout(&run(&fx, &["--help"]));
    let export_line = top
        .lines()
        .find(|l| l.trim_start().starts_with("export "))
        .unwrap();
    assert!(export_line.contains("local SQLite file"), "{export_line}");
    assert!(top.contains("Examples:"), "{top}");

    let help = stdout(&run(&fx, &["export", "--help"]));
    assert!(help.contains("session-export/sessions.db"), "{help}");
    assert!(help.contains("Examples:"), "{help}");
    assert!(
        help.contains("  session-export export --all-complete\n"),
        "{help}"
    );
    for cmd in ["dry-run", "list", "completions"] {
        let help = stdout(&run(&fx, &[cmd, "--help"]));
        assert!(help.contains("Examples:\n"), "{cmd}: {help}");
    }
}

// 5. list: messages, cost, model, project; -n; a terminal's width; no
//    flags that do nothing; the ledger's word on a session comes first.
#[test]
fn list_shows_usage_columns_fits_a_terminal_and_trusts_the_ledger() {
    let fx = TestEnv::load(STORE);
    let long = fx.scenario("long-chat").unwrap();
    let out = run(&fx, &["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    for col in ["MSGS", "COST", "MODEL", "PROJECT", "SESSION", "TITLE"] {
        assert!(header.contains(&col), "{header:?}");
    }
    // The figures are the document's.
    let doc: Value = serde_json::from_str(&stdout(&run(&fx, &["dry-run", &long]))).unwrap();
    let row = table.lines().find(|l| l.contains(&long)).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    let model = doc["primaryModel"].as_str().unwrap();
    assert!(cells.contains(&model), "{row}");
    assert!(
        cells.contains(&doc["messageCount"].to_string().as_str()),
        "{row}"
    );
    let cost = format!("${:.2}", doc["cost"].as_f64().unwrap());
    assert!(cells.contains(&cost.as_str()), "{row}: {cost}");
    let json = list_json(&fx, &[]);
    let r = json
        .iter()
        .find(|r| r["sessionId"] == long.as_str())
        .unwrap();
    assert_eq!(r["messageCount"], doc["messageCount"]);
    assert_eq!(r["primaryModel"], doc["primaryModel"]);

    // -n: the newest N, and stderr says what was cut.
    let out = run(&fx, &["list", "-n", "2"]);
    assert_eq!(stdout(&out).lines().count(), 3);
    let total = fx.sessions().len();
    assert_eq!(
        stderr(&out).trim(),
        format!("the 2 most recently updated of {total} sessions; -n 0 shows all")
    );
    assert_eq!(list_json(&fx, &["--limit", "3"]).len(), 3);

    // A terminal of 80 columns: every line fits.
    let out = fx.cmd().env("COLUMNS", "80").arg("list").output().unwrap();
    let narrow = stdout(&out);
    assert!(narrow.lines().count() > 1);
    for line in narrow.lines() {
        assert!(line.chars().count() <= 80, "{} chars: {line}", line.len());
    }
    assert!(narrow.contains(&long), "the session id stays: {narrow}");

    // Flags that would do nothing here are not offered.
    for flag in ["--include-messages", "--hash-paths"] {
        let out = run(&fx, &["list", flag]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
    }

    // Exported as abandoned: `exported`, not `open todos`.
    let open = fx.scenario("todos-open").unwrap();
    assert_eq!(state_of(&fx, &open), "open-todos");
    ok(
        &fx,
        &["export", "--all-complete", "--abandoned-after", "1d"],
    );
    assert_eq!(state_of(&fx, &open), "exported");
    // Also after an export with other content switches.
    let fx = TestEnv::load(STORE);
    ok(
        &fx,
        &["export", &open, "--include-messages", "--hash-paths"],
    );
    assert_eq!(state_of(&fx, &open), "exported");
}

// 6. Summaries a person reads.
#[test]
fn summaries_read_like_sentences() {
    let fx = TestEnv::load(STORE);
    let db = fx.local_sink();
    let n = fx.sessions().len() - 2;
    let err = ok(&fx, &["export", "--all-complete"]);
    assert_eq!(
        err.lines().last().unwrap(),
        format!("exported {n} sessions to {}: {n} new", db.display())
    );
    let err = ok(&fx, &["export", "--all-complete"]);
    assert!(!err.contains("exported 0"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let err = ok(&fx, &["export", "--all-complete", "--force"]);
    assert_eq!(
        err.lines().last().unwrap(),
        format!(
            "sent {n} sessions to {}: it held them all already, unchanged; nothing was written",
            db.display()
        )
    );
    assert!(!err.contains(&format!("{n} of {n}")), "{err}");

    let fresh = TestEnv::load(STORE);
    let one = fresh.scenario("no-todos").unwrap();
    let err = ok(&fresh, &["export", &one]);
    assert_eq!(
        err.trim(),
        format!(
            "exported 1 session to {}: 1 new",
            fresh.local_sink().display()
        )
    );

    // An unknown id: one error line, no summary.
    let out = run(&fx, &["export", "ses_doesnotexist"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: no session ses_doesnotexist in "),
        "{err}"
    );
}

// 7. The latest session's id, directly.
#[test]
fn list_ids_gives_the_latest_session_directly() {
    let fx = TestEnv::load(STORE);
    let out = run(&fx, &["list", "--ids"]);
    let ids: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(ids.len(), fx.sessions().len());
    assert!(ids.iter().all(|id| id.starts_with("ses_")), "{ids:?}");
    let newest = list_json(&fx, &[])
        .into_iter()
        .max_by_key(|r| r["updatedAt"].as_i64().unwrap())
        .unwrap();
    let latest = stdout(&run(&fx, &["list", "--ids", "-n", "1"]));
    assert_eq!(latest.trim(), newest["sessionId"].as_str().unwrap());
    assert_eq!(latest.trim(), ids[0]);
    let doc: Value = serde_json::from_str(&stdout(&run(&fx, &["dry-run", latest.trim()]))).unwrap();
    assert_eq!(doc["sessionId"], newest["sessionId"]);
}

// 8. Small things: --data-dir named, --since -3d, completions without a
//    shell, the local sink's cost with subagents.
#[test]
fn a_named_data_dir_a_negative_since_and_completions_without_a_shell() {
    let fx = TestEnv::load(STORE);
    let nope = fx.tmp.path().join("nope");
    let out = common::bin(fx.tmp.path())
        .arg("--data-dir")
        .arg(&nope)
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        stderr(&out).trim(),
        format!("error: opencode data dir {} does not exist", nope.display())
    );
    // The default one, missing, says how to name another.
    let out = common::bin(fx.tmp.path()).arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("does not exist (give yours with --data-dir)"),
        "{}",
        stderr(&out)
    );

    for args in [
        &["dry-run", "--all-complete", "--since", "-3d"][..],
        &["list", "--since", "-3d"][..],
    ] {
        let out = run(&fx, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&out).trim(),
            "error: --since -3d: a duration is already counted back from now; write 3d"
        );
    }

    // An option where --since wants its time.
    for args in [
        &["dry-run", "--since", "--all-complete"][..],
        &["list", "--since", "--json"][..],
    ] {
        let out = run(&fx, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).starts_with(&format!(
                "error: --since needs a time (like 7d or 2026-11-01) before {}\n",
                args[2]
            )),
            "{}",
            stderr(&out)
        );
    }

    let out = run(&fx, &["completions"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: name a shell: session-export completions <SHELL>, one of bash, elvish, fish, powershell, zsh"
    );
}

#[test]
fn the_local_sink_has_a_total_cost_with_subagents_also_in_older_files() {
    let fx = TestEnv::load(STORE);
    let parent = fx.scenario("subagent").unwrap();
    ok(&fx, &["export", "--all-complete"]);
    let db = fx.local_sink();
    let read = |conn: &Connection| -> (f64, f64, String) {
        conn.query_row(
            "SELECT cost, total_cost, document FROM sessions WHERE session_id = ?1",
            [&parent],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let conn = Connection::open(&db).unwrap();
    let (cost, total, doc) = read(&conn);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let below = doc["subagents"]["cost"].as_f64().unwrap();
    assert!(below > 0.0, "the subagent spent something");
    assert!(
        (total - (cost + below)).abs() < 1e-12,
        "{total} != {cost} + {below}"
    );

    // A file from before the column: the next export adds and fills it.
    conn.execute_batch("ALTER TABLE sessions DROP COLUMN total_cost")
        .unwrap();
    drop(conn);
    let err = ok(&fx, &["export", "--all-complete"]);
    assert!(err.contains("nothing to export"), "{err}");
    let conn = Connection::open(&db).unwrap();
    let (_, migrated, _) = read(&conn);
    assert!((migrated - total).abs() < 1e-12, "{migrated} != {total}");
    let zero: i64 = conn
        .query_row(
            "SELECT count(*) FROM sessions WHERE total_cost < cost",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(zero, 0);
}

// `--data-dir` given the database file itself: it says so and names the
// folder to give instead.
#[test]
fn a_data_dir_that_is_a_file_names_its_folder() {
    let fx = TestEnv::load(STORE);
    let db = fx.data.join("opencode.db");
    let out = common::bin(fx.tmp.path())
        .arg("--data-dir")
        .arg(&db)
        .arg("list")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{} is a file", db.display()))
            && err.contains(&format!("--data-dir {})", fx.data.display())),
        "{err}"
    );
    // A bare file name: its folder is the current directory.
    let out = common::bin(fx.tmp.path())
        .current_dir(&fx.data)
        .args(["report", "--data-dir", "opencode.db"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("(--data-dir .)"), "{}", stderr(&out));
}

// `completions` and `man` read no store: their help and the completion
// scripts offer none of the store options, which the other commands take
// before or after their name.
#[test]
fn completions_and_man_offer_no_options_that_do_nothing_there() {
    let fx = TestEnv::load(STORE);
    let store_flags = ["--data-dir", "--db", "--quiet", "--prices"];
    for cmd in ["completions", "man"] {
        let help = String::from_utf8(run(&fx, &[cmd, "--help"]).stdout).unwrap();
        for flag in store_flags {
            assert!(!help.contains(flag), "{cmd} --help offers {flag}: {help}");
        }
    }
    let list_help = String::from_utf8(run(&fx, &["list", "--help"]).stdout).unwrap();
    assert!(list_help.contains("--data-dir"), "{list_help}");
    let bash = String::from_utf8(run(&fx, &["completions", "bash"]).stdout).unwrap();
    let opts = |cmd: &str| -> String {
        let at = bash
            .find(&format!("session__subcmd__export__subcmd__{cmd})"))
            .unwrap_or_else(|| panic!("{cmd} in the bash script"));
        bash[at..].lines().nth(1).unwrap().to_string()
    };
    assert!(
        !opts("completions").contains("--data-dir"),
        "{}",
        opts("completions")
    );
    assert!(!opts("man").contains("--quiet"), "{}", opts("man"));
    assert!(opts("list").contains("--data-dir"), "{}", opts("list"));
    // After the subcommand's name, the store options still work, and beat
    // those before it.
    let out = common::bin(fx.tmp.path())
        .args(["--data-dir", "/nowhere", "list", "--ids", "--data-dir"])
        .arg(&fx.data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), fx.sessions().len());
}
