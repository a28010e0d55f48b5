//! Shared set-up for the integration tests, in the manner of fd's tests:
//! a [`TestEnv`] is a scratch copy of a store written by real
//! opencode (see `fixtures/generate.sh`), so that a test can damage it or
//! check no byte of it changed, with HOME and the XDG dirs beside it, and
//! runs the binary on it and reads what it printed.

#![allow(dead_code)] // each test binary uses a different subset

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Far longer than any command on a fixture store takes: a hang fails the
/// test instead of stalling the run.
pub const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Names of all committed fixture stores.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_root())
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("manifest.json").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixture stores under tests/fixtures");
    names
}

pub struct TestEnv {
    pub name: String,
    /// Scratch copy of the store; `data` is the opencode data dir.
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub manifest: Value,
}

impl TestEnv {
    pub fn load(name: &str) -> TestEnv {
        let src = fixtures_root().join(name);
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        copy_dir(&src.join("data"), &data);
        let manifest = read_json(&src.join("manifest.json"));
        TestEnv {
            name: name.to_string(),
            tmp,
            data,
            manifest,
        }
    }

    /// The manifest's session entries.
    pub fn sessions(&self) -> Vec<&Value> {
        self.manifest["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .collect()
    }

    /// The session id of a scenario.
    pub fn scenario(&self, scenario: &str) -> Option<String> {
        self.sessions()
            .into_iter()
            .find(|s| s["scenario"] == scenario)
            .map(|s| s["id"].as_str().unwrap().to_string())
    }

    /// The local sink this fixture's scratch environment writes to.
    pub fn local_sink(&self) -> PathBuf {
        self.tmp.path().join("xdg-data/session-export/sessions.db")
    }

    /// A JSON store's file for session `id` (under `storage/session/<project>/`).
    pub fn session_file(&self, id: &str) -> PathBuf {
        walkdir::WalkDir::new(self.data.join("storage/session"))
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .find(|p| p.file_stem().is_some_and(|s| s == id))
            .unwrap_or_else(|| panic!("no session file for {id}"))
    }

    /// What `opencode export` printed for every session of this store, by id.
    pub fn oracles(&self) -> BTreeMap<String, Value> {
        self.sessions()
            .iter()
            .map(|s| {
                let id = s["id"].as_str().unwrap().to_string();
                let v = self.oracle(&id);
                (id, v)
            })
            .collect()
    }

    /// What `opencode export <id>` printed for this store.
    pub fn oracle(&self, id: &str) -> Value {
        let path = fixtures_root()
            .join(&self.name)
            .join("export")
            .join(format!("{id}.json"));
        parse_export(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{}: {e}", path.display());
        }))
    }

    /// The binary with this store as its data dir and a clean environment.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// Run with `args` within [`TIME_LIMIT`], whatever its exit status.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).timeout(TIME_LIMIT).output().unwrap()
    }

    /// Run with `args`, which must succeed; its stdout and stderr as text.
    pub fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let err = stderr(&out);
        assert!(out.status.success(), "{args:?}: {err}");
        (String::from_utf8(out.stdout).unwrap(), err)
    }

    /// Run with `args`, which must succeed; its stdout as JSON Lines.
    pub fn json(&self, args: &[&str]) -> Vec<Value> {
        json_lines(self.ok(args).0.as_bytes())
    }

    /// Change the scratch store's database with `change`, then fold the WAL
    /// into the file, so that the binary reads the change whichever way it
    /// opens the database.
    pub fn alter_db(&self, change: impl FnOnce(&rusqlite::Connection)) {
        let conn = rusqlite::Connection::open(self.data.join("opencode.db")).unwrap();
        change(&conn);
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }

    /// [`TestEnv::cmd`] as a plain `std::process::Command`.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std_bin(self.tmp.path());
        c.arg("--data-dir").arg(&self.data);
        c
    }
}

/// `opencode export` may print lines before the JSON: start at the first `{`.
pub fn parse_export(raw: &str) -> Value {
    let start = raw
        .find("{\n")
        .or_else(|| raw.find('{'))
        .expect("JSON in export");
    serde_json::from_str(&raw[start..]).expect("export output is JSON")
}

/// The binary, isolated from the user's real dirs: HOME and XDG dirs point
/// into `scratch`.
pub fn bin(scratch: &Path) -> Command {
    Command::from_std(std_bin(scratch))
}

/// [`bin`] as a plain `std::process::Command` (to spawn and kill).
pub fn std_bin(scratch: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("session-export"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.join("home"))
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_STATE_HOME", scratch.join("state"))
        .env("XDG_DATA_HOME", scratch.join("xdg-data"));
    c
}

/// A connection to a copy of the database under `data`, WAL included, so
/// that reading it cannot checkpoint the store's own WAL; the copy lives as
/// long as the returned dir.
pub fn db_copy(data: &Path) -> (tempfile::TempDir, rusqlite::Connection) {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["opencode.db", "opencode.db-wal"] {
        if data.join(f).exists() {
            std::fs::copy(data.join(f), tmp.path().join(f)).unwrap();
        }
    }
    let conn = rusqlite::Connection::open(tmp.path().join("opencode.db")).unwrap();
    (tmp, conn)
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn copy_dir(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let to = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Every file below `dir` with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// Parse stdout as JSON Lines.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A scripted stand-in for a Convex deployment on 127.0.0.1 (tiny_http):
/// each request is answered by the handler, which sees the request's JSON
/// body and its number (0-based). Every request body is recorded.
pub struct FakeServer {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    /// Dropped by [`FakeServer::release`] or with the server: ends every
    /// [`Reply::held`] answer.
    release: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: std::time::Duration,
    /// Not answered until the test releases or drops its server.
    pub held: bool,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: std::time::Duration::ZERO,
            held: false,
        }
    }

    /// Convex's success answer for an upsert or batch request.
    pub fn success_for(request: &Value) -> Reply {
        let result = |id: &Value| serde_json::json!({"sessionId": id, "result": "inserted"});
        let value = match request["args"]["sessions"].as_array() {
            Some(docs) => Value::Array(docs.iter().map(|d| result(&d["sessionId"])).collect()),
            None => result(&request["args"]["sessionId"]),
        };
        Reply::json(
            200,
            serde_json::json!({"status": "success", "value": value}),
        )
    }
}

impl FakeServer {
    pub fn start<F>(handler: F) -> FakeServer
    where
        F: Fn(&Value, usize) -> Reply + Send + 'static,
    {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        let (release, released) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            // Bounded: a test sends far fewer requests than this.
            for mut req in server.incoming_requests().take(200) {
                let mut body = Vec::new();
                if std::io::Read::read_to_end(req.as_reader(), &mut body).is_err() {
                    continue;
                }
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = {
                    let mut r = seen.lock().unwrap();
                    r.push(request.clone());
                    r.len() - 1
                };
                let reply = handler(&request, n);
                if reply.held {
                    // Returns once the sender is dropped.
                    let _ = released.recv();
                }
                std::thread::sleep(reply.delay);
                let mut resp = tiny_http::Response::from_string(reply.body)
                    .with_status_code(reply.status)
                    .with_header(header("content-type", "application/json"));
                for (k, v) in &reply.headers {
                    resp.add_header(header(k, v));
                }
                let _ = req.respond(resp);
            }
        });
        FakeServer {
            url,
            requests,
            release: std::sync::Mutex::new(Some(release)),
        }
    }

    /// Answer the held request, and every later one at once.
    pub fn release(&self) {
        self.release.lock().unwrap().take();
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

/// A config file for the fixture's scratch HOME; returns its path.
pub fn config(fx: &TestEnv, text: &str) -> PathBuf {
    let dir = fx.tmp.path().join("config/session-export");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A finished command's stderr, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
