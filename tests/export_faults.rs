//! Faults an adversary could set up, each run on a copy of a
//! fixture store written by real opencode: strange files in a JSON store,
//! databases whose schema the exporter cannot use, sink faults, secrets in
//! URLs, file permissions and what a session id may hold.

mod common;

use common::{FakeServer, Reply, TIME_LIMIT, TestEnv, config, json_lines, snapshot, stderr};
use rusqlite::Connection;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A SQLite fixture written by the newest opencode.
const DB_FIXTURE: &str = "v1.18.33";
/// A JSON-store fixture (opencode 1.1.x).
const JSON_FIXTURE: &str = "v1.1.65";

/// `command` (built by the test helpers) run through `wrapper` and its
/// arguments, with the same environment.
fn wrapped(command: Command, wrapper: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = Command::new(wrapper);
    c.args(args)
        .arg(command.get_program())
        .args(command.get_args());
    c.env_clear();
    for (k, v) in command.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    let mut c = assert_cmd::Command::from_std(c);
    c.timeout(TIME_LIMIT);
    c
}

/// The message directory of the JSON fixture's `no-todos` session.
fn message_dir(fx: &TestEnv) -> PathBuf {
    let id = fx.scenario("no-todos").unwrap();
    fx.data.join("storage/message").join(id)
}

/// Documents of `dry-run --all-complete` on the untouched fixture.
fn documents(fx: &TestEnv) -> usize {
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete", "--force"])
        .assert()
        .success();
    json_lines(&out.get_output().stdout).len()
}

/// Run `dry-run --all-complete --include-messages` (also reading parts)
/// and the one session by id; each must succeed, warn about `culprit` by
/// name, put out every document (`n`, counted before the culprit came),
/// and leave the store as it was.
fn skipped_with_a_warning(
    fx: &TestEnv,
    n: usize,
    culprit: &Path,
    run: impl Fn(&[&str]) -> assert_cmd::Command,
) {
    let before = snapshot(&fx.data);
    let id = fx.scenario("no-todos").unwrap();
    for args in [
        &["dry-run", "--all-complete", "--include-messages"][..],
        &["dry-run", &id],
    ] {
        let out = run(args).assert().success();
        let out = out.get_output();
        let err = stderr(out);
        assert!(
            err.lines()
                .any(|l| l.starts_with("warning: skipping")
                    && l.contains(&*culprit.to_string_lossy())),
            "{err}"
        );
        if args.len() == 2 {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(doc["sessionId"], id.as_str());
        } else {
            assert_eq!(
                json_lines(&out.stdout).len(),
                n,
                "every session still comes out"
            );
        }
    }
    assert!(before == snapshot(&fx.data), "the store changed");
}

#[test]
fn a_message_file_linked_to_dev_zero_is_skipped_within_a_memory_limit() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let n = documents(&fx);
    let culprit = message_dir(&fx).join("msg_zzzzzzzzzzzzzzzzzzzzzzzzzz.json");
    std::os::unix::fs::symlink("/dev/zero", &culprit).unwrap();
    // 1 GiB of address space: reading /dev/zero to its end would need more.
    skipped_with_a_warning(&fx, n, &culprit, |args| {
        let mut c = fx.std_cmd();
        c.args(args);
        wrapped(c, "prlimit", &["--as=1073741824", "--"])
    });
}

#[test]
fn a_fifo_named_like_a_message_file_is_skipped_within_a_time_limit() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let n = documents(&fx);
    let culprit = message_dir(&fx).join("msg_zzzzzzzzzzzzzzzzzzzzzzzzzz.json");
    let made = Command::new("mkfifo").arg(&culprit).status().unwrap();
    assert!(made.success());
    skipped_with_a_warning(&fx, n, &culprit, |args| {
        let mut c = fx.cmd();
        c.args(args).timeout(TIME_LIMIT);
        c
    });
}

#[test]
fn a_message_file_that_is_a_symlink_to_a_regular_file_is_read() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let id = fx.scenario("no-todos").unwrap();
    let doc = |fx: &TestEnv| {
        let out = fx.cmd().args(["dry-run", &id]).assert().success();
        let err = stderr(out.get_output());
        assert!(err.is_empty(), "{err}");
        let mut doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        doc.as_object_mut().unwrap().remove("exportedAt");
        doc
    };
    let before = doc(&fx);
    let mut files: Vec<PathBuf> = std::fs::read_dir(message_dir(&fx))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let file = files.pop().unwrap();
    let elsewhere = fx.tmp.path().join("elsewhere.json");
    std::fs::rename(&file, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    assert_eq!(doc(&fx), before);
}

#[test]
fn a_part_file_over_the_size_limit_is_skipped() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let part_dir = std::fs::read_dir(fx.data.join("storage/part"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("msg_")
                && message_dir(&fx)
                    .join(format!("{}.json", p.file_name().unwrap().to_string_lossy()))
                    .exists()
        })
        .expect("a part directory of the session's messages");
    let culprit = part_dir.join("prt_zzzzzzzzzzzzzzzzzzzzzzzzzz.json");
    // Sparse: 65 MiB that take no disk.
    let n = documents(&fx);
    std::fs::File::create(&culprit)
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    let before = snapshot(&fx.data);
    let (out, err) = fx.ok(&["dry-run", "--all-complete", "--include-messages"]);
    assert!(
        err.contains(&*culprit.to_string_lossy()) && err.contains("limit of 64 MiB"),
        "{err}"
    );
    assert_eq!(json_lines(out.as_bytes()).len(), n);
    assert!(before == snapshot(&fx.data), "the store changed");
}

#[test]
fn a_truncated_session_file_asked_for_by_id_is_exit_4_naming_it() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let id = fx.scenario("no-todos").unwrap();
    let file = fx.session_file(&id);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let before = snapshot(&fx.data);
    let out = fx.cmd().args(["dry-run", &id]).assert().code(4);
    let err = stderr(out.get_output());
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("error:") && last.contains(&*file.to_string_lossy()),
        "{err}"
    );
    assert!(!err.contains("no session"), "{err}");
    assert!(before == snapshot(&fx.data), "the store changed");
}

#[test]
fn a_session_file_that_is_a_fifo_asked_for_by_id_is_exit_4_naming_it() {
    let fx = TestEnv::load(JSON_FIXTURE);
    let id = fx.scenario("no-todos").unwrap();
    let file = fx.session_file(&id);
    std::fs::remove_file(&file).unwrap();
    let made = Command::new("mkfifo").arg(&file).status().unwrap();
    assert!(made.success());
    let out = fx
        .cmd()
        .args(["dry-run", &id])
        .timeout(TIME_LIMIT)
        .assert()
        .code(4);
    let err = stderr(out.get_output());
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("error:")
            && last.contains(&*file.to_string_lossy())
            && last.contains("not a regular file"),
        "{err}"
    );
}

/// Change the fixture database the way another opencode version would
/// have written it (then check it in, so no -wal holds the old schema).
fn alter_db(fx: &TestEnv, sql: &str) {
    fx.alter_db(|db| {
        db.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql};"))
            .unwrap()
    });
}

/// `dry-run --all-complete` and `export --all-complete` both exit 4 with
/// one line naming what is missing.
fn refused(fx: &TestEnv, names: &[&str]) {
    for command in ["dry-run", "export"] {
        let out = fx.cmd().args([command, "--all-complete"]).assert().code(4);
        let out = out.get_output();
        let err = stderr(out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("opencode.db"), "{err}");
        for name in names {
            assert!(err.contains(name), "{name} not named: {err}");
        }
        assert!(!err.contains("0 of 0"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_database_without_the_message_table_is_exit_4_naming_it() {
    let fx = TestEnv::load(DB_FIXTURE);
    alter_db(&fx, "DROP TABLE part; DROP TABLE message");
    refused(&fx, &["`message` table"]);
}

#[test]
fn a_message_table_without_its_data_column_is_exit_4_naming_it() {
    let fx = TestEnv::load(DB_FIXTURE);
    alter_db(&fx, "ALTER TABLE message DROP COLUMN data");
    refused(&fx, &["`message`", "`data` column"]);
}

#[test]
fn a_database_with_only_unknown_tables_is_exit_4_naming_them() {
    let fx = TestEnv::load(DB_FIXTURE);
    // opencode 2.x is said to keep sessions in session_v2 and
    // session_message (which 1.18 already has).
    alter_db(
        &fx,
        "DROP TABLE part; DROP TABLE message; ALTER TABLE session RENAME TO session_v2",
    );
    refused(
        &fx,
        &["no `session` table", "session_v2", "session_message"],
    );
}

#[test]
fn a_database_without_the_todo_table_still_exports_and_says_so_once() {
    let fx = TestEnv::load(DB_FIXTURE);
    let n = documents(&fx);
    alter_db(&fx, "DROP TABLE todo");
    let out = fx
        .cmd()
        .args(["dry-run", "--all-complete"])
        .assert()
        .success();
    let err = stderr(out.get_output());
    assert_eq!(err.matches("no `todo` table").count(), 1, "{err}");
    let docs = json_lines(&out.get_output().stdout);
    // Sessions whose todos were open now have none: more come out.
    assert!(docs.len() >= n, "{} < {n}", docs.len());
    assert!(docs.iter().all(|d| d["todoStats"]["total"] == 0));
    let out = fx
        .cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    let err = stderr(out.get_output());
    assert_eq!(err.matches("no `todo` table").count(), 1, "{err}");
    assert!(
        err.contains(&format!("exported {} sessions", docs.len())),
        "{err}"
    );
}

#[test]
fn a_corrupt_sink_is_exit_5_naming_the_sink_not_opencode() {
    let fx = TestEnv::load(DB_FIXTURE);
    let sink = fx.local_sink();
    std::fs::create_dir_all(sink.parent().unwrap()).unwrap();
    std::fs::write(&sink, vec![0xA5; 8192]).unwrap();
    let out = fx.cmd().args(["export", "--all-complete"]).assert().code(5);
    let err = stderr(out.get_output());
    assert!(err.contains(&*sink.to_string_lossy()), "{err}");
    assert!(!err.contains("opencode database"), "{err}");
}

#[test]
fn a_file_where_the_sink_directory_should_be_is_exit_5_naming_it() {
    let fx = TestEnv::load(DB_FIXTURE);
    let sink = fx.local_sink();
    let dir = sink.parent().unwrap();
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    std::fs::write(dir, b"not a directory").unwrap();
    let out = fx.cmd().args(["export", "--all-complete"]).assert().code(5);
    let err = stderr(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&*dir.to_string_lossy()), "{err}");
    assert!(!err.contains("opencode database"), "{err}");
}

#[test]
fn a_sink_held_by_another_writer_is_waited_for() {
    let fx = TestEnv::load(DB_FIXTURE);
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    let sink = fx.local_sink();
    // Another process holds the write lock, with work left for the exporter.
    let other = Connection::open(&sink).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM sessions;")
        .unwrap();
    let mut child = fx
        .std_cmd()
        .args(["export", "--all-complete", "--force"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Give it up to a second to give up at once (it must not).
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "gave up while the sink was locked: {status}: {}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    other.execute_batch("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(" new") && !err.contains("failed"), "{err}");
}

#[test]
fn when_the_sink_stops_every_session_not_sent_counts_as_failed() {
    let fx = TestEnv::load(DB_FIXTURE);
    let n = documents(&fx);
    assert!(n > 1);
    config(&fx, "batch_size = 1\n");
    let server = FakeServer::start(|_, _| {
        Reply::json(
            401,
            serde_json::json!({"code": "Unauthorized", "message": "no"}),
        )
    });
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &server.url)
        .args(["export", "--all-complete"])
        .assert()
        .code(5);
    let err = stderr(out.get_output());
    assert!(
        err.contains(&format!("exported 0 of {n} sessions"))
            && err.contains(&format!(": {n} failed")),
        "{err}"
    );
    assert_eq!(server.count(), 1, "the export stopped at the refusal");
}

#[test]
fn a_password_in_the_convex_url_is_refused_and_never_printed() {
    let fx = TestEnv::load(DB_FIXTURE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let host = server.url.trim_start_matches("http://");
    let url = format!("http://user:SECRET-pw-1234@{host}");
    let id = fx.scenario("no-todos").unwrap();
    let runs: Vec<assert_cmd::Command> = vec![
        {
            let mut c = fx.cmd();
            c.args(["export", "--all-complete", "--convex-url", &url]);
            c
        },
        {
            let mut c = fx.cmd();
            c.env("SESSION_EXPORT_CONVEX_URL", &url)
                .args(["export", &id]);
            c
        },
        {
            let mut c = fx.cmd();
            c.args(["dry-run", "--all-complete", "--convex-url", &url]);
            c
        },
        {
            let mut c = fx.cmd();
            c.args(["list", "--convex-url", &url]);
            c
        },
    ];
    for mut c in runs {
        let out = c.assert().code(2);
        let out = out.get_output();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
        assert!(
            !all.contains("SECRET-pw-1234") && !all.contains("user:"),
            "{all}"
        );
        assert!(all.contains(&format!("http://***@{host}")), "{all}");
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

fn write_config(fx: &TestEnv, text: &str, mode: u32) -> PathBuf {
    let path = config(fx, text);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn a_config_file_with_a_token_readable_by_others_gets_a_warning() {
    let fx = TestEnv::load(DB_FIXTURE);
    let token =
        "convex_url = \"https://happy-otter-123.convex.cloud\"\ntoken = \"tok-secret-123456\"\n";
    for (text, mode, warned) in [
        (token, 0o644, true),
        (token, 0o640, true),
        (token, 0o600, false),
        ("include_todos = true\n", 0o644, false),
    ] {
        let path = write_config(&fx, text, mode);
        let out = fx
            .cmd()
            .args(["dry-run", "--all-complete"])
            .assert()
            .success();
        let err = stderr(out.get_output());
        assert_eq!(
            err.contains(&format!(
                "warning: {} holds the Convex token",
                path.display()
            )),
            warned,
            "mode {mode:o}: {err}"
        );
        assert!(!err.contains("tok-secret"), "{err}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn sink_and_state_files_are_private_whatever_the_umask() {
    let fx = TestEnv::load(DB_FIXTURE);
    let mut c = fx.std_cmd();
    c.args(["export", "--all-complete", "--include-messages"]);
    wrapped(c, "sh", &["-c", "umask 000 && exec \"$0\" \"$@\""])
        .assert()
        .success();
    let data = fx.tmp.path().join("xdg-data/session-export");
    let state = fx.tmp.path().join("state/session-export");
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    assert_eq!(mode(&state), 0o700, "{}", state.display());
    // (SQLite removes -wal and -shm when the last connection closes; while
    // they exist they have the database's mode.)
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert_eq!(mode(&data.join("sessions.db")), 0o600);
    for f in ["ledger.lock", "ledger.json", "ledger.journal"] {
        assert_eq!(mode(&state.join(f)), 0o600, "{f}");
    }
}

#[test]
fn files_an_earlier_version_left_readable_are_made_private() {
    let fx = TestEnv::load(DB_FIXTURE);
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    let data = fx.tmp.path().join("xdg-data/session-export");
    let state = fx.tmp.path().join("state/session-export");
    let open =
        |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    open(&data, 0o755);
    open(&state, 0o777);
    for p in [
        data.join("sessions.db"),
        state.join("ledger.json"),
        state.join("ledger.lock"),
    ] {
        open(&p, 0o644);
    }
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    assert_eq!((mode(&data), mode(&state)), (0o700, 0o700));
    for p in [
        data.join("sessions.db"),
        state.join("ledger.json"),
        state.join("ledger.lock"),
    ] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[test]
fn escape_sequences_in_a_session_id_are_not_echoed_raw() {
    let fx = TestEnv::load(DB_FIXTURE);
    let id = "ses_\u{1b}]0;pwned\u{7}\u{1b}[31mred\nnext";
    let out = fx.cmd().args(["dry-run", "--", id]).assert().code(3);
    let err = stderr(out.get_output());
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.contains("ses_\\u{1b}]0;pwned\\u{7}\\u{1b}[31mred\\nnext"),
        "{err:?}"
    );
}

#[test]
fn a_timeout_of_zero_is_refused() {
    let fx = TestEnv::load(DB_FIXTURE);
    for t in ["0s", "0ms"] {
        let out = fx
            .cmd()
            .args(["export", "--all-complete", "--timeout", t])
            .env("SESSION_EXPORT_CONVEX_URL", "http://127.0.0.1:9")
            .assert()
            .code(2);
        let err = stderr(out.get_output());
        assert!(
            err.contains("--timeout") && err.contains("above zero"),
            "{err}"
        );
    }
    write_config(&fx, "timeout = \"0s\"\n", 0o600);
    let out = fx.cmd().args(["export", "--all-complete"]).assert().code(2);
    let err = stderr(out.get_output());
    assert!(err.contains("config.toml: timeout"), "{err}");
}

#[test]
fn the_first_export_records_everything_and_the_next_run_sends_nothing() {
    let fx = TestEnv::load(DB_FIXTURE);
    let n = documents(&fx);
    let state = fx.tmp.path().join("state/session-export");
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    // The journal was folded into the snapshot at the end of the run.
    assert_eq!(
        std::fs::metadata(state.join("ledger.journal"))
            .unwrap()
            .len(),
        0
    );
    let ledger = common::read_json(&state.join("ledger.json"));
    assert_eq!(ledger["version"], 1);
    let recorded: usize = ledger["sinks"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s.as_object().unwrap().len())
        .sum();
    assert_eq!(recorded, n);
    let out = fx
        .cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    let err = stderr(out.get_output());
    assert!(
        err.contains("nothing to export") && err.contains(&format!("{n} already exported")),
        "{err}"
    );
}

/// A file of the user's outside every directory the exporter owns, which a
/// symlink or a hard link in one of them points to.
fn someone_elses_file(fx: &TestEnv, bytes: &[u8]) -> PathBuf {
    let path = fx.tmp.path().join("precious");
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// A fixture exported once, so that its state and sink files exist.
fn exported_once() -> TestEnv {
    let fx = TestEnv::load(DB_FIXTURE);
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
    fx
}

/// Export everything again, which must fail with `code` and one line of
/// stderr; that line.
fn export_refused(fx: &TestEnv, code: i32) -> String {
    let out = fx
        .cmd()
        .args(["export", "--all-complete", "--force"])
        .assert()
        .code(code);
    let err = stderr(out.get_output());
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn state_and_sink_files_that_are_links_are_refused_and_what_they_point_to_is_untouched() {
    let text = b"not the exporter's\n".as_slice();
    // (file, what it points to, hard link instead of a symlink, exit status)
    for (file, bytes, hard, code) in [
        ("state/session-export/ledger.journal", text, false, 1),
        ("state/session-export/ledger.journal", text, true, 1),
        ("state/session-export/ledger.json", text, false, 1),
        ("state/session-export/ledger.lock", text, false, 1),
        // An empty file is a database SQLite would write a table into.
        (
            "xdg-data/session-export/sessions.db",
            b"".as_slice(),
            false,
            5,
        ),
        (
            "xdg-data/session-export/sessions.db",
            b"".as_slice(),
            true,
            5,
        ),
        (
            "xdg-data/session-export/sessions.db-wal",
            b"".as_slice(),
            false,
            5,
        ),
        (
            "xdg-data/session-export/sessions.db-shm",
            b"".as_slice(),
            false,
            5,
        ),
    ] {
        let fx = exported_once();
        let store = snapshot(&fx.data);
        let target = someone_elses_file(&fx, bytes);
        let link = fx.tmp.path().join(file);
        let _ = std::fs::remove_file(&link);
        if hard {
            std::fs::hard_link(&target, &link).unwrap();
        } else {
            std::os::unix::fs::symlink(&target, &link).unwrap();
        }
        let err = export_refused(&fx, code);
        assert!(err.contains(&*link.to_string_lossy()), "{file}: {err}");
        let why = if hard { "hard link" } else { "symbolic link" };
        assert!(err.contains(why), "{file}: {err}");
        assert_eq!(std::fs::read(&target).unwrap(), bytes, "{file}");
        assert_eq!(mode(&target), 0o644, "{file}");
        assert!(store == snapshot(&fx.data), "the store changed");
    }
}

#[test]
fn a_state_or_sink_directory_of_another_user_or_open_to_everyone_is_refused() {
    let chmod = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    // (directory, what is done to it, exit status, what the error says)
    type Change = fn(&Path) -> std::io::Result<()>;
    let cases: [(&str, Change, i32, &str); 4] = [
        (
            "state/session-export",
            |p| std::os::unix::fs::chown(p, Some(4242), None),
            1,
            "another user",
        ),
        (
            "xdg-data/session-export",
            |p| std::os::unix::fs::chown(p, Some(4242), None),
            5,
            "another user",
        ),
        (
            "state",
            |p| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)),
            1,
            "writable by every user",
        ),
        (
            "xdg-data",
            |p| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)),
            5,
            "writable by every user",
        ),
    ];
    for (dir, change, code, says) in cases {
        let fx = exported_once();
        let store = snapshot(&fx.data);
        let path = fx.tmp.path().join(dir);
        if let Err(e) = change(&path) {
            // Giving a directory away needs root.
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
            continue;
        }
        let err = export_refused(&fx, code);
        assert!(
            err.contains(&*path.to_string_lossy()) && err.contains(says),
            "{dir}: {err}"
        );
        assert!(store == snapshot(&fx.data), "the store changed");
    }
    // A world-writable directory with the sticky bit (as /tmp) is fine.
    let fx = TestEnv::load(DB_FIXTURE);
    for dir in ["state", "xdg-data"] {
        let path = fx.tmp.path().join(dir);
        std::fs::create_dir_all(&path).unwrap();
        chmod(&path, 0o1777).unwrap();
    }
    fx.cmd()
        .args(["export", "--all-complete"])
        .assert()
        .success();
}

/// Messages counted by `report --by model --json`, over all rows.
fn reported_messages(fx: &TestEnv) -> (u64, String) {
    let out = fx
        .cmd()
        .args(["report", "--by", "model", "--json"])
        .assert()
        .success();
    let n = json_lines(&out.get_output().stdout)
        .iter()
        .map(|r| r["messages"].as_u64().unwrap())
        .sum();
    (n, stderr(out.get_output()))
}

#[test]
fn a_message_time_no_calendar_holds_is_a_warning_and_still_counts() {
    let fx = TestEnv::load(DB_FIXTURE);
    let (n, _) = reported_messages(&fx);
    // 9999-12-31T12:00Z: a time, but its day has no end in any calendar.
    let db = Connection::open(fx.data.join("opencode.db")).unwrap();
    let id: String = db
        .query_row("SELECT id FROM message ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(db);
    alter_db(
        &fx,
        &format!(
            "UPDATE message SET time_created = 253402257600000, \
             data = json_set(data, '$.time.created', 253402257600000) WHERE id = '{id}'"
        ),
    );
    let (after, err) = reported_messages(&fx);
    assert_eq!(after, n, "{err}");
    assert!(err.contains(&id) && err.contains("out of range"), "{err}");
    assert!(!err.contains("skipping"), "{err}");
}
