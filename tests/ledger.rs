//! Incremental backfill: the ledger, the embedded SQLite sink, sessions that
//! never finished, kills and concurrent runs.

mod common;

use common::{FakeServer, Reply, TestEnv, config, json_lines, read_json, stderr};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const STORE: &str = "v1.18.33";

/// Session ids `dry-run` would pick with these extra arguments.
fn eligible(fx: &TestEnv, extra: &[&str]) -> BTreeSet<String> {
    fx.json(&[&["dry-run", "--all-complete", "--force"], extra].concat())
        .iter()
        .map(|d| d["sessionId"].as_str().unwrap().to_string())
        .collect()
}

/// Session ids of every document the server received.
fn sent_ids(server: &FakeServer) -> Vec<String> {
    let mut ids = Vec::new();
    for r in server.requests.lock().unwrap().iter() {
        match r["args"]["sessions"].as_array() {
            Some(docs) => ids.extend(
                docs.iter()
                    .map(|d| d["sessionId"].as_str().unwrap().to_string()),
            ),
            None => ids.push(r["args"]["sessionId"].as_str().unwrap().to_string()),
        }
    }
    ids
}

/// `export --all-complete` to the Convex deployment at `url`.
fn export_to(fx: &TestEnv, url: &str) -> std::process::Output {
    fx.cmd()
        .env("SESSION_EXPORT_CONVEX_URL", url)
        .args(["export", "--all-complete"])
        .output()
        .unwrap()
}

fn ledger_path(fx: &TestEnv) -> std::path::PathBuf {
    fx.tmp.path().join("state/session-export/ledger.json")
}

#[test]
fn without_convex_export_upserts_into_a_local_sqlite_file_and_says_where() {
    let fx = TestEnv::load(STORE);
    let want = eligible(&fx, &[]);
    let (_, err) = fx.ok(&["export", "--all-complete"]);
    let db = fx.local_sink();
    assert!(err.contains(&db.display().to_string()), "{err}");
    let n = want.len();
    assert!(err.contains(&format!("exported {n} sessions")), "{err}");
    let conn = Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT session_id, document FROM sessions")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let got: BTreeSet<String> = rows.iter().map(|r| r.0.clone()).collect();
    assert_eq!(got, want);
    for (id, doc) in rows {
        let doc: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(doc["sessionId"], id.as_str());
    }
}

#[test]
fn a_second_run_with_nothing_changed_sends_nothing_and_force_sends_all() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let run = |extra: &[&str]| {
        let out = fx
            .cmd()
            .env("SESSION_EXPORT_CONVEX_URL", &server.url)
            .args(["export", "--all-complete"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let n = eligible(&fx, &[]).len();
    run(&[]);
    assert_eq!(server.count(), 1);
    let err = run(&[]);
    assert_eq!(server.count(), 1, "nothing changed, nothing sent");
    assert!(
        err.contains("nothing to export") && err.contains(&format!("{n} already exported")),
        "{err}"
    );
    assert!(!err.contains("exported 0"), "{err}");
    // dry-run shows exactly what export would send: nothing.
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &server.url)
        .args(["dry-run", "--all-complete"])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    run(&["--force"]);
    assert_eq!(server.count(), 2);
    assert_eq!(sent_ids(&server).len(), 2 * n);
}

#[test]
fn a_changed_session_is_sent_again_alone() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let export = || {
        let out = fx
            .cmd()
            .env("SESSION_EXPORT_CONVEX_URL", &server.url)
            .args(["export", "--all-complete"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    export();
    let before = sent_ids(&server).len();
    // opencode touches the session when a turn starts.
    let id = fx.scenario("no-todos").unwrap();
    let w = Connection::open(fx.data.join("opencode.db")).unwrap();
    w.execute(
        "UPDATE session SET time_updated = time_updated + 1000 WHERE id = ?1",
        [&id],
    )
    .unwrap();
    drop(w);
    export();
    assert_eq!(sent_ids(&server)[before..], [id]);
}

#[test]
fn a_failed_export_is_not_recorded_and_the_next_run_sends_it() {
    let fx = TestEnv::load(STORE);
    config(&fx, "max_retries = 0\n");
    // Down for the first request, then back.
    let server = FakeServer::start(|req, n| {
        if n == 0 {
            Reply::json(500, serde_json::json!({"code": "X", "message": "down"}))
        } else {
            Reply::success_for(req)
        }
    });
    let run = || export_to(&fx, &server.url);
    let first = run();
    assert_eq!(first.status.code(), Some(5), "{}", stderr(&first));
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    let all = eligible(&fx, &[]);
    let sent: BTreeSet<String> = sent_ids(&server)[all.len()..].iter().cloned().collect();
    assert_eq!(
        sent, all,
        "everything not confirmed is sent by the next run"
    );
}

#[test]
fn a_server_failing_half_way_loses_nothing() {
    let fx = TestEnv::load(STORE);
    config(&fx, "max_retries = 0\nbatch_size = 2\n");
    let all = eligible(&fx, &[]);
    assert!(all.len() >= 4, "needs several batches");
    let fail_from = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = fail_from.clone();
    let server = FakeServer::start(move |req, n| {
        if n >= 1 && flag.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::json(
                503,
                serde_json::json!({"code": "Overloaded", "message": "later"}),
            )
        } else {
            Reply::success_for(req)
        }
    });
    let run = || export_to(&fx, &server.url);
    let first = run();
    assert_eq!(first.status.code(), Some(5), "{}", stderr(&first));
    let confirmed: BTreeSet<String> = sent_ids(&server)[..2].iter().cloned().collect();
    let n_first = sent_ids(&server).len();
    fail_from.store(false, std::sync::atomic::Ordering::SeqCst);
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    let resent: BTreeSet<String> = sent_ids(&server)[n_first..].iter().cloned().collect();
    assert!(
        confirmed.is_disjoint(&resent),
        "confirmed sessions are not sent again"
    );
    let union: BTreeSet<String> = confirmed.union(&resent).cloned().collect();
    assert_eq!(union, all, "none lost");
}

#[test]
fn sigkill_in_the_middle_of_a_batch_loses_nothing() {
    let fx = TestEnv::load(STORE);
    config(&fx, "batch_size = 2\n");
    let all = eligible(&fx, &[]);
    // The second batch hangs until the exporter is killed.
    let server = FakeServer::start(|req, n| {
        let mut r = Reply::success_for(req);
        if n == 1 {
            r.held = true;
        }
        r
    });
    let mut child = fx
        .std_cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &server.url)
        .args(["export", "--all-complete"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.count() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the second batch never came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    server.release();
    let first_batch: BTreeSet<String> = sent_ids(&server)[..2].iter().cloned().collect();
    // What the ledger (snapshot and journal) holds as exported.
    let list = fx
        .cmd()
        .args(["list", "--json", "--convex-url", &server.url])
        .output()
        .unwrap();
    assert!(list.status.success(), "{}", stderr(&list));
    let recorded: BTreeSet<String> = json_lines(&list.stdout)
        .iter()
        .filter(|r| r["state"] == "exported")
        .map(|r| r["sessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        recorded, first_batch,
        "only the confirmed batch is recorded"
    );

    // The same URL: the ledger is per sink.
    let before = server.count();
    let out = export_to(&fx, &server.url);
    assert!(out.status.success(), "{}", stderr(&out));
    let after: BTreeSet<String> = sent_ids(&server)
        .into_iter()
        .skip(sent_ids_len_at(&server, before))
        .collect();
    let expected: BTreeSet<String> = all.difference(&first_batch).cloned().collect();
    assert_eq!(after, expected, "every unconfirmed session, and only those");
}

/// How many document ids the first `requests` requests carried.
fn sent_ids_len_at(server: &FakeServer, requests: usize) -> usize {
    server.requests.lock().unwrap()[..requests]
        .iter()
        .map(|r| r["args"]["sessions"].as_array().map_or(1, Vec::len))
        .sum()
}

#[test]
fn two_exporters_at_once_both_exit_cleanly_and_the_ledger_stays_valid() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| {
        let mut r = Reply::success_for(req);
        r.delay = Duration::from_millis(300);
        r
    });
    let spawn = || {
        fx.std_cmd()
            .env("SESSION_EXPORT_CONVEX_URL", &server.url)
            .args(["export", "--all-complete"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let all = eligible(&fx, &[]);
    let sent = sent_ids(&server);
    let distinct: BTreeSet<String> = sent.iter().cloned().collect();
    assert_eq!(distinct, all, "each session sent at least once");
    assert_eq!(
        sent.len(),
        all.len(),
        "and not twice: the second run waited for the first"
    );
    let ledger = read_json(&ledger_path(&fx));
    assert_eq!(ledger["version"], 1);
}

#[test]
fn a_corrupt_ledger_is_a_warning_and_a_full_resend() {
    let fx = TestEnv::load(STORE);
    fx.ok(&["export", "--all-complete"]);
    std::fs::write(ledger_path(&fx), b"{\"version\": 1, \"sinks\": {\"sql").unwrap();
    let (_, err) = fx.ok(&["export", "--all-complete"]);
    assert!(
        err.contains("warning:") && err.contains("ledger.json is corrupt"),
        "{err}"
    );
    let n = eligible(&fx, &[]).len();
    assert!(
        err.contains(&format!("sent {n} sessions"))
            && err.contains("it held them all already, unchanged"),
        "{err}"
    );
    // and the ledger is whole again
    let ledger = read_json(&ledger_path(&fx));
    assert_eq!(ledger["version"], 1);
}

#[test]
fn sessions_with_open_todos_are_exported_once_abandoned() {
    let fx = TestEnv::load(STORE);
    let open = fx.scenario("todos-open").unwrap();
    assert!(!eligible(&fx, &[]).contains(&open));
    // The fixture sessions are minutes to days old: a long threshold keeps
    // them out, a short one lets them in.
    assert!(!eligible(&fx, &["--abandoned-after", "10000w"]).contains(&open));
    assert!(eligible(&fx, &["--abandoned-after", "1s"]).contains(&open));
    config(&fx, "abandoned_after = \"1s\"\n");
    assert!(
        eligible(&fx, &[]).contains(&open),
        "the config key works too"
    );
}

#[test]
fn if_complete_exports_only_what_all_complete_would() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let done = fx.scenario("todos-done").unwrap();
    let open = fx.scenario("todos-open").unwrap();
    let child = fx
        .sessions()
        .iter()
        .find(|s| !s["parentId"].is_null())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .unwrap();
    for id in [&open, &child, &done, &done] {
        let out = fx
            .cmd()
            .env("SESSION_EXPORT_CONVEX_URL", &server.url)
            .args(["export", "--if-complete", id])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(
        sent_ids(&server),
        [done],
        "once: the second time the ledger says unchanged"
    );
}

/// Run the exporter under a pseudo-terminal (util-linux `script`), so its
/// stderr is a terminal; returns what the terminal showed.
fn on_a_terminal(fx: &TestEnv, args: &str) -> String {
    let exe = assert_cmd::cargo::cargo_bin!("session-export");
    let cmd = format!(
        "{} --data-dir '{}' {args}",
        exe.display(),
        fx.data.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("HOME", fx.tmp.path().join("home"))
        .env("XDG_CONFIG_HOME", fx.tmp.path().join("config"))
        .env("XDG_STATE_HOME", fx.tmp.path().join("state"))
        .env("XDG_DATA_HOME", fx.tmp.path().join("xdg-data"))
        .output()
        .expect("util-linux script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_progress_bar_only_on_a_terminal_and_never_with_quiet() {
    let fx = TestEnv::load(STORE);
    config(&fx, "batch_size = 1\n");
    let shown = on_a_terminal(&fx, "export --all-complete --force");
    assert!(
        shown.contains(" sessions, ") && shown.contains('\r'),
        "{shown:?}"
    );
    let quiet = on_a_terminal(&fx, "export --all-complete --force -q");
    assert!(!quiet.contains(" sessions, "), "{quiet:?}");
    // Piped (cron): no bar, only what was left out and the summary line.
    let out = fx
        .cmd()
        .args(["export", "--all-complete", "--force"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains('\r') && !err.contains("\u{1b}["), "{err:?}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.starts_with("exporting "), "{err}");
}

fn list_states(fx: &TestEnv) -> std::collections::BTreeMap<String, String> {
    let out = fx.cmd().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    json_lines(&out.stdout)
        .iter()
        .map(|r| {
            (
                r["sessionId"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn list_shows_each_sessions_export_state() {
    let fx = TestEnv::load(STORE);
    let done = fx.scenario("todos-done").unwrap();
    let open = fx.scenario("todos-open").unwrap();
    let child = fx
        .sessions()
        .iter()
        .find(|s| !s["parentId"].is_null())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .unwrap();
    let before = list_states(&fx);
    assert_eq!(before.len(), fx.sessions().len(), "every session is listed");
    assert_eq!(before[&done], "pending");
    assert_eq!(before[&open], "open-todos");
    assert_eq!(before[&child], "subagent");

    assert!(
        fx.cmd()
            .args(["export", "--all-complete"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let after = list_states(&fx);
    assert_eq!(after[&done], "exported");
    assert_eq!(after[&open], "open-todos");
    for id in eligible(&fx, &[]) {
        assert_eq!(after[&id], "exported", "{id}");
    }

    // A table on request of a person: header, one row per session.
    let out = fx.cmd().arg("list").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("UPDATED"));
    assert_eq!(lines.count(), fx.sessions().len());
    let row = table.lines().find(|l| l.contains(&done)).unwrap();
    assert!(row.contains(" exported "), "{table}");
}

#[test]
fn on_every_fixture_store_a_second_export_is_a_no_op() {
    for name in common::fixture_names() {
        let fx = TestEnv::load(&name);
        let args = [
            "export",
            "--all-complete",
            "--abandoned-after",
            "1s",
            "--include-subagents",
        ];
        let first = fx.cmd().args(args).output().unwrap();
        let err = stderr(&first);
        assert!(first.status.success(), "{name}: {err}");
        let n = fx.sessions().len();
        assert!(
            err.contains(&format!("exported {n} session")),
            "{name}: {err}"
        );
        let second = fx.cmd().args(args).output().unwrap();
        let err = stderr(&second);
        assert!(second.status.success(), "{name}: {err}");
        assert!(
            err.contains("nothing to export") && err.contains("already exported"),
            "{name}: {err}"
        );
    }
}
