//! Numbers no sum can use, put into copies of fixture stores written by
//! real opencode (both the SQLite and the JSON store): costs that are not
//! numbers, negative or sum past the largest float, token counts whose sum
//! passes the largest integer, and messages without a usable creation time.
//! Every command still ends, within a time limit, with numbers (never
//! `null`, never a wrapped count), one warning per odd message, and the
//! store as it was.

mod common;

use common::{FakeServer, Reply, TIME_LIMIT, TestEnv, json_lines, snapshot, stderr};
use rusqlite::Connection;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A SQLite fixture written by the newest opencode, and a JSON-store one.
const FIXTURES: [&str; 2] = ["v1.18.33", "v1.1.65"];

/// The messages of session `id`, by message id, as stored.
fn messages(fx: &TestEnv, id: &str) -> BTreeMap<String, Value> {
    let db = fx.data.join("opencode.db");
    if db.exists() {
        let conn = Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare("SELECT id, data FROM message WHERE session_id = ?1")
            .unwrap();
        let rows = stmt
            .query_map([id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .unwrap();
        rows.map(|r| {
            let (id, data) = r.unwrap();
            (id, serde_json::from_str(&data).unwrap())
        })
        .collect()
    } else {
        std::fs::read_dir(fx.data.join("storage/message").join(id))
            .unwrap()
            .map(|e| {
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap())
                        .unwrap();
                (v["id"].as_str().unwrap().to_string(), v)
            })
            .collect()
    }
}

/// Damage the stored message `msg` of session `id`: `change` edits its JSON.
fn damage(fx: &TestEnv, id: &str, msg: &str, change: impl FnOnce(&mut Value)) {
    let mut data = messages(fx, id).remove(msg).unwrap();
    change(&mut data);
    let db = fx.data.join("opencode.db");
    if db.exists() {
        fx.alter_db(|conn| {
            let n = conn
                .execute(
                    "UPDATE message SET data = ?1 WHERE id = ?2",
                    (data.to_string(), msg),
                )
                .unwrap();
            assert_eq!(n, 1);
        });
    } else {
        let path = fx
            .data
            .join("storage/message")
            .join(id)
            .join(format!("{msg}.json"));
        std::fs::write(path, data.to_string()).unwrap();
    }
}

/// The ids of session `id`'s assistant messages, in id order.
fn assistant_messages(fx: &TestEnv, id: &str) -> Vec<String> {
    messages(fx, id)
        .into_iter()
        .filter(|(_, m)| m["role"] == "assistant")
        .map(|(id, _)| id)
        .collect()
}

/// Run the binary with `args` within the time limit; it must succeed.
/// Returns stdout and stderr.
fn run(fx: &TestEnv, args: &[&str]) -> (String, String) {
    fx.ok(args)
}

/// Every `null` in `v`, by its path.
fn nulls(v: &Value, path: &str, found: &mut Vec<String>) {
    match v {
        Value::Null => found.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nulls(item, &format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                nulls(item, &format!("{path}.{k}"), found);
            }
        }
        _ => {}
    }
}

fn assert_no_null(values: &[Value], ctx: &str) {
    let mut found = Vec::new();
    for v in values {
        nulls(v, "", &mut found);
    }
    assert!(found.is_empty(), "{ctx}: null at {found:?}");
}

/// How many lines of `err` are warnings naming all of `names`.
fn warnings_naming(err: &str, names: &[&str]) -> usize {
    err.lines()
        .filter(|l| l.starts_with("warning: ") && names.iter().all(|n| l.contains(n)))
        .count()
}

fn the_row<'a>(rows: &'a [Value], key: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {rows:?}"))
}

#[test]
fn odd_costs_are_skipped_and_sums_past_the_largest_float_are_capped_never_null_nor_a_hang() {
    for name in FIXTURES {
        let fx = TestEnv::load(name);
        let child = fx.scenario("subagent-child").unwrap();
        let parent = fx.scenario("subagent").unwrap();
        let plain = fx.scenario("no-todos").unwrap();
        let other = fx.scenario("todos-done").unwrap();
        // Two messages of 1e308 USD: their sum is past the largest float.
        for m in assistant_messages(&fx, &child) {
            damage(&fx, &child, &m, |d| d["cost"] = json!(1e308));
        }
        // Read for the parent's document and for its own, said once.
        let (prompt, _) = messages(&fx, &child)
            .into_iter()
            .find(|(_, m)| m["role"] == "user")
            .unwrap();
        damage(&fx, &child, &prompt, |d| d["cost"] = json!({"usd": 1}));
        let negative = assistant_messages(&fx, &plain).remove(0);
        damage(&fx, &plain, &negative, |d| d["cost"] = json!(-1.5));
        let text = assistant_messages(&fx, &other).remove(0);
        damage(&fx, &other, &text, |d| d["cost"] = json!("0.25"));
        let before = snapshot(&fx.data);

        let page = fx.tmp.path().join("page.html");
        let (_, err) = run(&fx, &["report", "--html", page.to_str().unwrap()]);
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains("<svg") && html.ends_with("</html>\n"),
            "{name}"
        );
        assert!(err.contains("capped"), "{name}: {err}");

        let (out, err) = run(&fx, &["report", "--json", "--by", "session"]);
        let rows = json_lines(out.as_bytes());
        assert_no_null(&rows, name);
        assert_eq!(the_row(&rows, &child)["cost"], json!(f64::MAX), "{name}");
        assert_eq!(the_row(&rows, &plain)["cost"], json!(0.0), "{name}");
        assert!(err.contains("capped"), "{name}: {err}");
        for (msg, session, why) in [
            (&negative, &plain, "negative"),
            (&text, &other, "not a number"),
        ] {
            assert_eq!(
                warnings_naming(&err, &[session, msg, why]),
                1,
                "{name}: {err}"
            );
        }
        let (out, _) = run(&fx, &["report", "--json", "--by", "day"]);
        assert_no_null(&json_lines(out.as_bytes()), name);

        let (out, err) = run(
            &fx,
            &[
                "dry-run",
                "--all-complete",
                "--force",
                "--include-subagents",
            ],
        );
        let docs = json_lines(out.as_bytes());
        assert_no_null(&docs, name);
        let doc = |id: &str| docs.iter().find(|d| d["sessionId"] == id).unwrap();
        assert_eq!(doc(&child)["cost"], json!(f64::MAX), "{name}");
        assert_eq!(doc(&parent)["subagents"]["cost"], json!(f64::MAX), "{name}");
        assert_eq!(doc(&plain)["cost"], json!(0.0), "{name}");
        assert!(
            warnings_naming(&err, &[&child, "capped"]) >= 1,
            "{name}: {err}"
        );
        for (msg, session) in [(&negative, &plain), (&text, &other), (&prompt, &child)] {
            assert_eq!(warnings_naming(&err, &[session, msg]), 1, "{name}: {err}");
        }
        assert!(before == snapshot(&fx.data), "{name}: the store changed");
    }
}

/// A stand-in for a Convex deployment whose `sessions:report` answers
/// `rows` whatever it is asked.
fn deployment(rows: Value) -> FakeServer {
    FakeServer::start(move |_, _| {
        Reply::json(200, json!({"status": "success", "value": rows.clone()}))
    })
}

fn team(fx: &TestEnv, server: &FakeServer, args: &[&str]) -> (String, String) {
    let out = fx
        .cmd()
        .env("SESSION_EXPORT_CONVEX_URL", &server.url)
        .env("SESSION_EXPORT_TOKEN", "tok-test-123456")
        .args(["report", "--convex"])
        .args(args)
        .timeout(TIME_LIMIT)
        .assert()
        .success();
    let out = out.get_output();
    (String::from_utf8(out.stdout.clone()).unwrap(), stderr(out))
}

fn team_row(day: &str, cost: f64, input: u64) -> Value {
    let tokens =
        json!({"input": input, "output": 0, "reasoning": 0, "cacheRead": 0, "cacheWrite": 0});
    json!({
        "key": day, "sessions": 1, "messages": 2, "cost": cost, "tokens": tokens,
        "models": [{"key": "p/m", "sessions": 1, "messages": 1, "cost": cost, "tokens": tokens}],
    })
}

#[test]
fn a_team_report_whose_rows_sum_past_the_largest_numbers_is_capped_and_drawn() {
    let fx = TestEnv::load(FIXTURES[0]);
    let big = 1u64 << 63;
    let server = deployment(json!([
        team_row("2026-11-01", 1e308, big),
        team_row("2026-11-02", 1e308, big),
    ]));
    let page = fx.tmp.path().join("team.html");
    let (_, err) = team(&fx, &server, &["--html", page.to_str().unwrap()]);
    assert!(err.contains("capped"), "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<svg") && html.ends_with("</html>\n"));
    assert!(html.contains("<b>18446744073.7B</b>"), "the token card");
    let (out, err) = team(&fx, &server, &["--json"]);
    assert!(err.contains("capped"), "{err}");
    assert_no_null(&json_lines(out.as_bytes()), "team");
}

#[test]
fn token_sums_past_the_largest_count_are_capped_never_wrapped() {
    // 2^63 - 1 reads as 2^63 (through a double): two of them pass 2^64.
    let big = json!(i64::MAX);
    for name in FIXTURES {
        let fx = TestEnv::load(name);
        let child = fx.scenario("subagent-child").unwrap();
        let parent = fx.scenario("subagent").unwrap();
        for m in assistant_messages(&fx, &child) {
            damage(&fx, &child, &m, |d| d["tokens"]["input"] = big.clone());
        }
        let before = snapshot(&fx.data);
        let (out, err) = run(&fx, &["dry-run", &child]);
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["tokens"]["input"], json!(u64::MAX), "{name}");
        assert_eq!(
            doc["models"][0]["tokens"]["input"],
            json!(u64::MAX),
            "{name}"
        );
        let days = doc["daily"].as_array().unwrap();
        let most = days
            .iter()
            .map(|d| &d["tokens"]["input"])
            .max_by_key(|v| v.as_u64());
        assert_eq!(most, Some(&json!(u64::MAX)), "{name}");
        assert_eq!(
            warnings_naming(&err, &[&child, "capped"]),
            1,
            "{name}: {err}"
        );
        let (out, _) = run(&fx, &["dry-run", &parent]);
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            doc["subagents"]["tokens"]["input"],
            json!(u64::MAX),
            "{name}"
        );

        let (out, err) = run(&fx, &["report", "--json", "--by", "session"]);
        let rows = json_lines(out.as_bytes());
        assert_eq!(
            the_row(&rows, &child)["tokens"]["input"],
            json!(u64::MAX),
            "{name}"
        );
        assert!(err.contains("capped"), "{name}: {err}");
        let (out, _) = run(&fx, &["report", "--json", "--by", "model"]);
        let rows = json_lines(out.as_bytes());
        assert!(
            rows.iter().any(|r| r["tokens"]["input"] == json!(u64::MAX)),
            "{name}: {rows:?}"
        );
        let page = fx.tmp.path().join("page.html");
        run(&fx, &["report", "--html", page.to_str().unwrap()]);
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains("<b>18446744073.7B</b>"),
            "{name}: the token card"
        );
        assert!(before == snapshot(&fx.data), "{name}: the store changed");
    }
}

/// `completed - created` of a stored message, where it has both.
fn active_ms(m: &Value) -> i64 {
    let t = &m["time"];
    match (t["created"].as_i64(), t["completed"].as_i64()) {
        (Some(a), Some(b)) if b >= a => b - a,
        _ => 0,
    }
}

#[test]
fn a_message_without_a_usable_time_counts_in_the_totals_but_in_no_day() {
    for name in FIXTURES {
        let fx = TestEnv::load(name);
        let id = fx.scenario("long-chat").unwrap();
        let (out, _) = run(&fx, &["dry-run", &id]);
        let was: Value = serde_json::from_str(&out).unwrap();
        let (out, _) = run(&fx, &["report", "--json", "--by", "session"]);
        let was_row = the_row(&json_lines(out.as_bytes()), &id).clone();

        let stored = messages(&fx, &id);
        let odd = assistant_messages(&fx, &id);
        let (missing, far) = (&odd[1], &odd[2]);
        damage(&fx, &id, missing, |d| {
            d["time"].as_object_mut().unwrap().remove("created");
        });
        // Past the year 9999.
        damage(&fx, &id, far, |d| {
            d["time"]["created"] = json!(9_000_000_000_000_000i64)
        });
        let before = snapshot(&fx.data);

        let (out, err) = run(&fx, &["dry-run", &id]);
        let doc: Value = serde_json::from_str(&out).unwrap();
        for key in ["messageCount", "cost", "tokens", "models", "agents"] {
            assert_eq!(doc[key], was[key], "{name}: {key}");
        }
        let lost = active_ms(&stored[missing]) + active_ms(&stored[far]);
        assert!(lost > 0, "{name}: the damaged messages had worked");
        assert_eq!(
            doc["activeMs"].as_i64().unwrap(),
            was["activeMs"].as_i64().unwrap() - lost,
            "{name}"
        );
        let days = doc["daily"].as_array().unwrap();
        assert!(
            days.iter().all(|d| d["day"] != "invalid"),
            "{name}: {days:?}"
        );
        let in_days: u64 = days.iter().map(|d| d["messages"].as_u64().unwrap()).sum();
        assert_eq!(in_days, was["messageCount"].as_u64().unwrap() - 2, "{name}");
        for msg in [missing, far] {
            assert_eq!(warnings_naming(&err, &[&id, msg]), 1, "{name}: {err}");
        }

        let (out, err) = run(&fx, &["report", "--json", "--by", "session"]);
        let rows = json_lines(out.as_bytes());
        let row = the_row(&rows, &id);
        for key in ["messages", "cost", "tokens"] {
            assert_eq!(row[key], was_row[key], "{name}: {key}");
        }
        assert!(!err.contains("skipping"), "{name}: {err}");
        for msg in [missing, far] {
            assert_eq!(warnings_naming(&err, &[&id, msg]), 1, "{name}: {err}");
        }
        let (out, _) = run(&fx, &["report", "--json", "--by", "day"]);
        let days = json_lines(out.as_bytes());
        let in_days: u64 = days.iter().map(|d| d["messages"].as_u64().unwrap()).sum();
        let all: u64 = rows.iter().map(|r| r["messages"].as_u64().unwrap()).sum();
        assert_eq!(in_days, all - 2, "{name}: in no day");
        assert!(before == snapshot(&fx.data), "{name}: the store changed");
    }
}
