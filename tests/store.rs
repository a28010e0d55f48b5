//! The store is never modified, rows only in the WAL are read, and bad input
//! gets a one-line error naming the culprit.

mod common;

use common::{TestEnv, bin, fixture_names, json_lines, snapshot, stderr};
use rusqlite::Connection;
use serde_json::Value;

/// A SQLite fixture written by the newest opencode.
const DB_FIXTURE: &str = "v1.18.33";
/// A JSON-store fixture.
const JSON_FIXTURE: &str = "v1.1.65";

#[test]
fn no_command_changes_a_byte_of_any_store() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let before = snapshot(fx.tmp.path());
        fx.cmd()
            .args([
                "dry-run",
                "--all-complete",
                "--include-subagents",
                "--include-messages",
            ])
            .assert()
            .success();
        for s in fx.sessions() {
            fx.cmd()
                .args(["dry-run", s["id"].as_str().unwrap()])
                .assert()
                .success();
        }
        assert!(
            before == snapshot(fx.tmp.path()),
            "{name}: the store changed"
        );
    }
}

/// Add a message to a session the way a running opencode would: committed to
/// the WAL, not checkpointed, with the writer still open.
fn append_message_in_wal(db: &std::path::Path, session: &str) -> Connection {
    let w = Connection::open(db).unwrap();
    w.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    let mode: String = w
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    w.execute(
        "INSERT INTO message (id, session_id, time_created, time_updated, data)
         SELECT id || 'x', session_id, time_created + 1, time_updated + 1, data
         FROM message WHERE session_id = ?1 ORDER BY time_created DESC, id DESC LIMIT 1",
        [session],
    )
    .unwrap();
    w
}

#[test]
fn rows_only_in_the_wal_are_read_without_touching_wal_or_shm() {
    let fx = TestEnv::load(DB_FIXTURE);
    let id = fx.scenario("no-todos").expect("no-todos scenario");
    let db = fx.data.join("opencode.db");
    let count = |fx: &TestEnv| -> u64 {
        let doc: Value = serde_json::from_str(&fx.ok(&["dry-run", &id]).0).unwrap();
        doc["messageCount"].as_u64().unwrap()
    };
    let before = count(&fx);
    let writer = append_message_in_wal(&db, &id);
    let wal_len = std::fs::metadata(fx.data.join("opencode.db-wal"))
        .unwrap()
        .len();
    assert!(wal_len > 0, "the new row is in the WAL");
    let files = snapshot(fx.tmp.path());
    assert_eq!(count(&fx), before + 1);
    assert!(
        files == snapshot(fx.tmp.path()),
        "reading changed -wal or -shm"
    );
    drop(writer);
}

#[test]
fn a_cleanly_closed_database_gets_no_wal_or_shm_created() {
    let fx = TestEnv::load(DB_FIXTURE);
    let db = fx.data.join("opencode.db");
    // Whatever the fixture holds, check the database in: no -wal, no -shm.
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    assert!(!fx.data.join("opencode.db-wal").exists());
    let files = snapshot(fx.tmp.path());
    assert!(!fx.json(&["dry-run", "--all-complete"]).is_empty());
    assert!(
        files == snapshot(fx.tmp.path()),
        "a file was created or changed"
    );
}

#[test]
fn a_wal_without_its_shm_is_still_read() {
    let fx = TestEnv::load(DB_FIXTURE);
    let id = fx.scenario("no-todos").unwrap();
    let db = fx.data.join("opencode.db");
    let writer = append_message_in_wal(&db, &id);
    // Copy the store as it is at this moment, minus the -shm (a backup tool).
    let copy = tempfile::tempdir().unwrap();
    for f in ["opencode.db", "opencode.db-wal"] {
        std::fs::copy(fx.data.join(f), copy.path().join(f)).unwrap();
    }
    drop(writer);
    let files = snapshot(copy.path());
    let out = bin(copy.path())
        .arg("--data-dir")
        .arg(copy.path())
        .args(["dry-run", &id])
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let with_wal = doc["messageCount"].as_u64().unwrap();
    let plain: Value = serde_json::from_str(&fx.ok(&["dry-run", &id]).0).unwrap();
    assert_eq!(with_wal, plain["messageCount"].as_u64().unwrap());
    assert!(files == snapshot(copy.path()));
}

#[test]
fn an_unknown_session_id_is_exit_3_naming_it() {
    let fx = TestEnv::load(DB_FIXTURE);
    let known = fx.scenario("no-todos").unwrap();
    let out = fx
        .cmd()
        .args(["dry-run", &known, "ses_doesnotexist"])
        .assert()
        .code(3);
    let out = out.get_output();
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("ses_doesnotexist"), "{err}");
    // The known one still comes out.
    assert_eq!(json_lines(&out.stdout).len(), 1);
}

#[test]
fn a_missing_data_dir_is_exit_4_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let out = bin(tmp.path())
        .arg("--data-dir")
        .arg(&missing)
        .args(["dry-run", "--all-complete"])
        .assert()
        .code(4);
    let err = stderr(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&*missing.to_string_lossy()), "{err}");
}

#[test]
fn a_corrupt_database_is_exit_4_naming_it() {
    let fx = TestEnv::load(DB_FIXTURE);
    let db = fx.data.join("opencode.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(4096).skip(16) {
        *b = 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();
    for f in ["opencode.db-wal", "opencode.db-shm"] {
        let _ = std::fs::remove_file(fx.data.join(f));
    }
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete"])
        .assert()
        .code(4);
    let err = stderr(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&*db.to_string_lossy()), "{err}");
}

/// The message files of a JSON-store session.
fn message_files(fx: &TestEnv, id: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(fx.data.join("storage/message").join(id))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn truncate(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn a_truncated_json_file_fails_its_session_and_warns_in_a_backfill() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let victim = fx.scenario("no-todos").unwrap();
    let n_before = fx.json(&["dry-run", "--all-complete"]).len();
    let file = message_files(&fx, &victim).pop().unwrap();
    truncate(&file);

    // Asked for by id: a one-line error naming the file.
    let out = fx.cmd().args(["dry-run", &victim]).assert().code(4);
    let err = stderr(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&*file.to_string_lossy()), "{err}");

    // In a backfill: a warning naming the file; every other session comes out.
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete"])
        .assert()
        .success();
    let out = out.get_output();
    let err = stderr(out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning:") && l.contains(&*file.to_string_lossy())),
        "{err}"
    );
    let docs = json_lines(&out.stdout);
    assert_eq!(docs.len(), n_before - 1);
    assert!(docs.iter().all(|d| d["sessionId"] != victim.as_str()));
}

#[test]
fn a_truncated_session_file_is_a_warning_and_the_rest_come_out() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let victim = fx.scenario("no-todos").unwrap();
    let session_file = fx.session_file(&victim);
    truncate(&session_file);
    let (out, err) = fx.ok(&["dry-run", "--all-complete"]);
    assert!(err.contains(&*session_file.to_string_lossy()), "{err}");
    assert!(!json_lines(out.as_bytes()).is_empty());
}

#[test]
fn a_session_id_that_is_not_an_opencode_id_never_becomes_a_path() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let backfill = |fx: &TestEnv| {
        let (out, err) = fx.ok(&["dry-run", "--all-complete", "--include-messages"]);
        (json_lines(out.as_bytes()), err)
    };
    let n = backfill(&fx).0.len();
    // A session file naming its session `../../../outside`: its message
    // directory and todo file would be `outside` and `outside.json` beside
    // the data dir, where this session's real ones are put.
    let victim = fx.scenario("todos-done").unwrap();
    let hostile = "../../../outside";
    let outside = fx.tmp.path().join("outside");
    std::fs::rename(fx.data.join("storage/message").join(&victim), &outside).unwrap();
    std::fs::rename(
        fx.data.join(format!("storage/todo/{victim}.json")),
        outside.with_extension("json"),
    )
    .unwrap();
    let session_file = fx.session_file(&victim);
    let text = std::fs::read_to_string(&session_file).unwrap();
    let text = text.replacen(
        &format!("\"id\": \"{victim}\""),
        &format!("\"id\": \"{hostile}\""),
        1,
    );
    std::fs::write(&session_file, text).unwrap();
    let before = snapshot(fx.tmp.path());

    let (docs, err) = backfill(&fx);
    assert_eq!(docs.len(), n - 1, "{err}");
    assert!(docs.iter().all(|d| d["sessionId"] != hostile), "{err}");
    let todos = std::fs::read_to_string(outside.with_extension("json")).unwrap();
    let todo: Value = serde_json::from_str(&todos).unwrap();
    let content = todo[0]["content"].as_str().unwrap();
    assert!(
        docs.iter().all(|d| !d.to_string().contains(content)),
        "the todo file outside storage/ was exported"
    );
    assert!(
        err.lines().any(|l| l.starts_with("warning:")
            && l.contains(&*session_file.to_string_lossy())
            && l.contains("not an opencode session id")),
        "{err}"
    );
    // Asked for by that id, or by the file's name: exit 3, saying why
    // (after the listing's warning, as for any unreadable session file).
    for id in [hostile, victim.as_str()] {
        let out = fx.cmd().args(["dry-run", "--", id]).assert().code(3);
        let err = stderr(out.get_output());
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with("error:")
                && last.contains(hostile)
                && last.contains("not an opencode session id"),
            "{err}"
        );
        assert!(out.get_output().stdout.is_empty());
    }
    assert!(before == snapshot(fx.tmp.path()), "a file changed");
}
