//! The Convex sink on the wire: faults from a scripted server on 127.0.0.1,
//! each with a clear message, the right exit status, and the token never
//! printed.

mod common;

use common::{FakeServer, Reply, TestEnv, config};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TOKEN: &str = "tok-9f8e7d6c5b4a-very-secret";
const STORE: &str = "v1.15.13";

/// Export through `server` with the token set; returns (exit code, stderr).
fn export(fx: &TestEnv, url: &str, args: &[&str]) -> (i32, String) {
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", url)
        .env("SESSION_EXPORT_TOKEN", TOKEN)
        .arg("export")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "token printed: {stderr}"
    );
    (out.status.code().unwrap(), stderr)
}

fn one_session(fx: &TestEnv) -> String {
    fx.scenario("no-todos").unwrap()
}

fn error_reply(message: &str, data: Option<Value>) -> Reply {
    let mut body = json!({"status": "error", "errorMessage": message, "logLines": []});
    if let Some(d) = data {
        body["errorData"] = d;
    }
    Reply::json(200, body)
}

#[test]
fn one_session_goes_through_the_seed_shaped_upsert_with_the_token() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let id = one_session(&fx);
    let (code, err) = export(&fx, &server.url, &[&id]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("exported 1 session to") && err.contains(": 1 new"),
        "{err}"
    );
    let reqs = server.requests.lock().unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["path"], "sessions:upsert");
    assert_eq!(reqs[0]["format"], "json");
    let args = &reqs[0]["args"];
    assert_eq!(args["sessionId"], id.as_str());
    assert_eq!(args["token"], TOKEN);
    assert!(args.get("messagesJson").is_none());
}

#[test]
fn a_backfill_is_one_batch_call() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    let (code, err) = export(&fx, &server.url, &["--all-complete"]);
    assert_eq!(code, 0, "{err}");
    let reqs = server.requests.lock().unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["path"], "sessions:upsertBatch");
    let n = reqs[0]["args"]["sessions"].as_array().unwrap().len();
    assert!(n > 1);
    assert!(err.contains(&format!("exported {n} sessions")), "{err}");
}

#[test]
fn connection_refused_is_retried_then_fails_with_exit_5() {
    let fx = TestEnv::load(STORE);
    config(&fx, "max_retries = 1\n");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let (code, err) = export(&fx, &url, &[&one_session(&fx)]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(&format!("cannot reach {url}")), "{err}");
    assert!(err.contains("gave up after 2 tries"), "{err}");
    assert!(err.contains("exported 0 of 1 session to"), "{err}");
}

#[test]
fn a_500_is_retried_with_backoff_and_then_fails() {
    let fx = TestEnv::load(STORE);
    config(&fx, "max_retries = 2\n");
    let server = FakeServer::start(|_, _| {
        Reply::json(
            500,
            json!({"code": "InternalServerError", "message": "boom"}),
        )
    });
    let (code, err) = export(&fx, &server.url, &[&one_session(&fx)]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(server.count(), 3);
    assert!(err.contains("HTTP 500: InternalServerError: boom"), "{err}");
}

#[test]
fn a_503_then_success_is_a_success() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, n| {
        if n < 2 {
            Reply::json(503, json!({"code": "Overloaded", "message": "try later"}))
        } else {
            Reply::success_for(req)
        }
    });
    let (code, err) = export(&fx, &server.url, &[&one_session(&fx)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count(), 3);
}

#[test]
fn a_429_waits_for_retry_after() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, n| {
        if n == 0 {
            let mut r = Reply::json(
                429,
                json!({"code": "TooManyConcurrentRequests", "message": "slow down"}),
            );
            r.headers.push(("Retry-After".into(), "2".into()));
            r
        } else {
            Reply::success_for(req)
        }
    });
    let start = Instant::now();
    let (code, err) = export(&fx, &server.url, &[&one_session(&fx)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count(), 2);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "did not wait: {:?}",
        start.elapsed()
    );
}

#[test]
fn a_slow_server_times_out() {
    let fx = TestEnv::load(STORE);
    config(&fx, "max_retries = 0\n");
    let server = FakeServer::start(|req, _| {
        let mut r = Reply::success_for(req);
        r.held = true;
        r
    });
    let start = Instant::now();
    let (code, err) = export(&fx, &server.url, &["--timeout", "1s", &one_session(&fx)]);
    assert_eq!(code, 5, "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert!(
        err.to_lowercase().contains("timeout") || err.contains("timed out"),
        "{err}"
    );
}

#[test]
fn a_401_is_not_retried() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|_, _| {
        Reply::json(
            401,
            json!({"code": "Unauthenticated", "message": "bad admin key"}),
        )
    });
    let (code, err) = export(&fx, &server.url, &["--all-complete"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(server.count(), 1);
    assert!(err.contains("refused the request: HTTP 401"), "{err}");
}

#[test]
fn a_wrong_token_stops_the_export_with_a_clear_message() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|_, _| {
        error_reply(
            "[Request ID: abc] Server Error",
            Some(json!({"code": "UNAUTHORIZED", "message": "missing or wrong token"})),
        )
    });
    let (code, err) = export(&fx, &server.url, &["--all-complete"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(
        server.count(),
        1,
        "an auth error is neither retried nor split"
    );
    assert!(err.contains("refused the token (UNAUTHORIZED)"), "{err}");
    assert!(err.contains("SESSION_EXPORT_TOKEN"), "{err}");
}

#[test]
fn a_function_error_without_error_data_names_the_session() {
    let fx = TestEnv::load(STORE);
    let id = one_session(&fx);
    // A validation error echoes the arguments, token included.
    let server = FakeServer::start(|req, _| {
        error_reply(
            &format!(
                "ArgumentValidationError: Value does not match validator. Path: .token Value: {} Object: {}",
                req["args"]["token"], req["args"]
            ),
            None,
        )
    });
    let (code, err) = export(&fx, &server.url, &[&id]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(server.count(), 1, "a function error is not retried");
    assert!(
        err.contains(&format!(
            "error: {id}: sessions:upsert: ArgumentValidationError"
        )),
        "{err}"
    );
    assert!(err.contains("[redacted]"), "{err}");
}

#[test]
fn status_560_is_read_like_200() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|req, _| {
        let mut r = Reply::success_for(req);
        r.status = 560;
        r
    });
    let (code, err) = export(&fx, &server.url, &[&one_session(&fx)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn one_bad_document_does_not_block_the_batch() {
    let fx = TestEnv::load(STORE);
    let bad = fx.scenario("long-chat").unwrap();
    let bad2 = bad.clone();
    let server = FakeServer::start(move |req, _| {
        let docs = req["args"]["sessions"].as_array();
        let has_bad = match docs {
            Some(d) => d.iter().any(|d| d["sessionId"] == bad2.as_str()),
            None => req["args"]["sessionId"] == bad2.as_str(),
        };
        if has_bad {
            error_reply("Value is too large", Some(json!({"code": "TOO_LARGE"})))
        } else {
            Reply::success_for(req)
        }
    });
    let (code, err) = export(&fx, &server.url, &["--all-complete"]);
    assert_eq!(code, 5, "{err}");
    let first = &server.requests.lock().unwrap()[0];
    let n = first["args"]["sessions"].as_array().unwrap().len();
    assert!(
        err.contains(&format!("error: {bad}: sessions:upsertBatch: TOO_LARGE")),
        "{err}"
    );
    assert!(
        err.contains(&format!("exported {} of {n} sessions", n - 1)),
        "{err}"
    );
    assert!(err.contains("1 failed"), "{err}");
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let fx = TestEnv::load(STORE);
    let out = fx
        .cmd()
        .args([
            "export",
            "--convex-url",
            "http://example.com",
            "--all-complete",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("http://example.com") && err.contains("https://"),
        "{err}"
    );
}

#[test]
fn flags_beat_env_beat_file() {
    let fx = TestEnv::load(STORE);
    let used = FakeServer::start(|req, _| Reply::success_for(req));
    let unused = FakeServer::start(|req, _| Reply::success_for(req));
    config(
        &fx,
        &format!("convex_url = \"{}\"\ninclude_todos = false\n", unused.url),
    );
    // env beats file
    let (code, err) = export(&fx, &used.url, &[&one_session(&fx)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((used.count(), unused.count()), (1, 0));
    // the file's include_todos = false applies, a flag beats it
    assert!(
        used.requests.lock().unwrap()[0]["args"]
            .get("todosJson")
            .is_none()
    );
    let (code, err) = export(&fx, &used.url, &["--include-todos", &one_session(&fx)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        used.requests.lock().unwrap()[1]["args"]
            .get("todosJson")
            .is_some()
    );
    // flag beats env
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &unused.url)
        .args(["export", "--convex-url", &used.url, &one_session(&fx)])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!((used.count(), unused.count()), (3, 0));
}

#[test]
fn an_answer_over_the_size_limit_is_not_downloaded_again() {
    let fx = TestEnv::load(STORE);
    // Over the 64 MiB a Convex answer may have; JSON whitespace, then `{}`.
    let server = FakeServer::start(|_, _| Reply {
        body: format!("{}{{}}", " ".repeat(65 << 20)),
        ..Reply::json(200, json!({}))
    });
    let start = Instant::now();
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &server.url)
        .env("SESSION_EXPORT_TOKEN", TOKEN)
        .args(["report", "--convex"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(server.count(), 1, "the answer was fetched again: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&server.url) && err.contains("64 MiB"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn the_team_report_takes_the_deployment_from_the_flag() {
    let fx = TestEnv::load(STORE);
    let server = FakeServer::start(|_, _| {
        Reply::json(
            200,
            json!({"status": "error", "errorMessage": "not here", "logLines": []}),
        )
    });
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_TOKEN", TOKEN)
        .args(["report", "--convex", "--convex-url", &server.url])
        .args(["--timeout", "20s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(server.count(), 1, "{err}");
    assert_eq!(
        server.requests.lock().unwrap()[0]["path"],
        "sessions:report",
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not here"), "{err}");
}

/// The ledger names a deployment by its URL alone: `list` without the
/// token finds what was sent with it.
#[test]
fn the_ledger_knows_the_deployment_without_its_token() {
    let fx = TestEnv::load(STORE);
    let id = one_session(&fx);
    let server = FakeServer::start(|req, _| Reply::success_for(req));
    assert_eq!(export(&fx, &server.url, &[&id]).0, 0);
    let out = fx
        .cmd()
        .env_remove("SESSION_EXPORT_TOKEN")
        .args(["list", "--json", "--convex-url", &server.url])
        .output()
        .unwrap();
    assert!(out.status.success());
    let state = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|s| s["sessionId"] == id.as_str())
        .map(|s| s["state"].clone());
    assert_eq!(state, Some(json!("exported")));
    let ledger = common::snapshot(&fx.tmp.path().join("state"));
    assert!(!ledger.is_empty());
    for (file, bytes) in ledger {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(TOKEN), "the token is in {}", file.display());
    }
}
