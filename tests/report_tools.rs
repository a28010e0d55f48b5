//! `--include-tools`: the document's `tools` equals the tool calls counted
//! here straight from the store's part rows and files, on every fixture
//! store (among them `tool-errors`, whose calls fail); damaged parts are
//! skipped with a warning and the store is left as it was.

mod common;

use common::{TestEnv, db_copy, fixture_names, json_lines, snapshot, stderr};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Per tool: calls, errors, ms.
type Counts = BTreeMap<String, (u64, u64, i64)>;

fn count(counts: &mut Counts, part: &Value) {
    if part["type"] != "tool" {
        return;
    }
    let Some(tool) = part["tool"].as_str() else {
        return;
    };
    let state = &part["state"];
    let c = counts.entry(tool.to_string()).or_default();
    c.0 += 1;
    c.1 += u64::from(state["status"] == "error");
    if let (Some(s), Some(e)) = (
        state["time"]["start"].as_i64(),
        state["time"]["end"].as_i64(),
    ) {
        c.2 += e - s;
    }
}

/// Tool calls of every DB session, from a copy of the database (opening the
/// fixture itself could checkpoint its WAL).
fn db_counts(data: &Path) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    if !data.join("opencode.db").exists() {
        return out;
    }
    let (_copy, conn) = db_copy(data);
    let mut stmt = conn.prepare("SELECT session_id, data FROM part").unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let session: String = r.get(0).unwrap();
        let data: String = r.get(1).unwrap();
        let Ok(part) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        count(out.entry(session).or_default(), &part);
    }
    out
}

/// Tool calls of a JSON store session, from its message and part files.
fn json_counts(data: &Path, session: &str) -> Counts {
    let mut counts = Counts::new();
    let storage = data.join("storage");
    for m in std::fs::read_dir(storage.join("message").join(session)).unwrap() {
        let m = m.unwrap().path();
        let parts = storage.join("part").join(m.file_stem().unwrap());
        let Ok(dir) = std::fs::read_dir(parts) else {
            continue;
        };
        for p in dir {
            let text = std::fs::read_to_string(p.unwrap().path()).unwrap();
            if let Ok(part) = serde_json::from_str::<Value>(&text) {
                count(&mut counts, &part);
            }
        }
    }
    counts
}

/// The expected counts of every session of the fixture (the DB's copy wins).
fn expected(fx: &TestEnv) -> BTreeMap<String, Counts> {
    let db = db_counts(&fx.data);
    fx.sessions()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap().to_string();
            let counts = if s["inDb"] == true {
                db.get(&id).cloned().unwrap_or_default()
            } else {
                json_counts(&fx.data, &id)
            };
            (id, counts)
        })
        .collect()
}

fn ids(fx: &TestEnv) -> Vec<String> {
    fx.sessions()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// `dry-run --include-tools` of every session: its `tools` by session id,
/// checked to be sorted by calls (then name); and stderr.
fn documented(fx: &TestEnv, extra: &[&str]) -> (BTreeMap<String, Counts>, String) {
    let ids = ids(fx);
    let out = fx
        .cmd()
        .arg("dry-run")
        .args(extra)
        .args(&ids)
        .assert()
        .success();
    let out = out.get_output();
    let mut docs = BTreeMap::new();
    for d in json_lines(&out.stdout) {
        let tools = d["tools"].as_array().expect("tools is there").clone();
        let order: Vec<(i64, String)> = tools
            .iter()
            .map(|t| {
                (
                    -t["calls"].as_i64().unwrap(),
                    t["tool"].as_str().unwrap().into(),
                )
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "most called first, ties by name");
        let counts: Counts = tools
            .iter()
            .map(|t| {
                (
                    t["tool"].as_str().unwrap().to_string(),
                    (
                        t["calls"].as_u64().unwrap(),
                        t["errors"].as_u64().unwrap(),
                        t["ms"].as_i64().unwrap(),
                    ),
                )
            })
            .collect();
        docs.insert(d["sessionId"].as_str().unwrap().to_string(), counts);
    }
    assert_eq!(docs.len(), ids.len(), "a document per session");
    (docs, stderr(out))
}

#[test]
fn tools_equal_the_part_rows_on_every_fixture_store() {
    let names = fixture_names();
    assert!(names.iter().any(|n| n == "tool-errors"));
    for name in names {
        let fx = TestEnv::load(&name);
        let before = snapshot(&fx.data);
        let want = expected(&fx);
        let (got, err) = documented(&fx, &["--include-tools"]);
        assert_eq!(got, want, "{name}");
        assert!(!err.contains("warning"), "{name}: {err}");
        let calls: u64 = got.values().flat_map(|c| c.values()).map(|c| c.0).sum();
        assert!(calls > 0, "{name} has tool calls");
        if name == "tool-errors" {
            // Both stores (JSON by 1.1.65, DB by 1.18.33): a read of a
            // missing file and an edit that did not apply failed; the bash
            // that exited 3 completed.
            for counts in got.values() {
                assert_eq!(counts["read"].0, 2);
                assert_eq!(counts["read"].1, 1);
                assert_eq!(counts["edit"], (1, 1, counts["edit"].2));
                assert_eq!((counts["bash"].0, counts["bash"].1), (2, 0));
            }
        }
        assert_eq!(snapshot(&fx.data), before, "{name}: the store is unchanged");
    }
}

#[test]
fn tools_are_left_out_unless_asked_and_config_can_ask() {
    let fx = TestEnv::load("tool-errors");
    let ids = ids(&fx);
    let out = fx.cmd().arg("dry-run").args(&ids).assert().success();
    for d in json_lines(&out.get_output().stdout) {
        assert!(d.get("tools").is_none(), "{d}");
    }
    let config = common::config(&fx, "include_tools = true\n");
    assert!(config.exists());
    let out = fx.cmd().arg("dry-run").args(&ids).assert().success();
    for d in json_lines(&out.get_output().stdout) {
        assert!(d["tools"].as_array().is_some_and(|t| !t.is_empty()), "{d}");
    }
    // A flag beats the file.
    let out = fx
        .cmd()
        .args(["dry-run", "--no-include-tools"])
        .args(&ids)
        .assert()
        .success();
    for d in json_lines(&out.get_output().stdout) {
        assert!(d.get("tools").is_none(), "{d}");
    }
}

/// In the scratch database, the first tool part (by id) becomes invalid JSON
/// and the second loses its tool name; returns their ids.
fn damage_two_tool_rows(fx: &TestEnv) -> (String, String) {
    let mut ids: Vec<String> = Vec::new();
    fx.alter_db(|conn| {
        ids = conn
            .prepare("SELECT id FROM part WHERE json_extract(data, '$.type') = 'tool' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        conn.execute(
            "UPDATE part SET data = '{\"type\": \"tool\", \"tool\": ' WHERE id = ?1",
            [&ids[0]],
        )
        .unwrap();
        conn.execute(
            "UPDATE part SET data = json_remove(data, '$.tool') WHERE id = ?1",
            [&ids[1]],
        )
        .unwrap();
    });
    (ids[0].clone(), ids[1].clone())
}

/// Damage a scratch copy: in the database one tool part becomes invalid
/// JSON and another loses its tool name; the same for two part files of
/// the JSON store.
#[test]
fn damaged_parts_are_skipped_with_a_warning_each() {
    let fx = TestEnv::load("tool-errors");
    let clean = expected(&fx);

    let (broken_id, nameless_id) = damage_two_tool_rows(&fx);

    // JSON store: two tool part files.
    let mut files: Vec<_> = walkdir::WalkDir::new(fx.data.join("storage/part"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| {
            p.is_file()
                && std::fs::read_to_string(p).is_ok_and(|t| {
                    t.contains("\"type\": \"tool\"") || t.contains("\"type\":\"tool\"")
                })
        })
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    std::fs::write(&files[0], "{\"type\": \"tool\", ").unwrap();
    let mut part = common::read_json(&files[1]);
    part.as_object_mut().unwrap().remove("tool");
    std::fs::write(&files[1], part.to_string()).unwrap();

    let after = expected(&fx);
    assert_ne!(after, clean, "the damage removed calls");
    let before = snapshot(&fx.data);
    let (got, err) = documented(&fx, &["--include-tools"]);
    assert_eq!(got, after);
    assert_eq!(snapshot(&fx.data), before, "the store is unchanged");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 4, "{err}");
    for culprit in [&broken_id, &nameless_id] {
        assert!(
            warnings.iter().any(|w| w.contains(culprit)),
            "{culprit}: {err}"
        );
    }
    for f in &files[..2] {
        assert!(
            warnings.iter().any(|w| w.contains(&*f.to_string_lossy())),
            "{}: {err}",
            f.display()
        );
    }
    assert!(
        warnings.iter().any(|w| w.contains("not valid JSON")),
        "{err}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("without a tool name")),
        "{err}"
    );
}

/// Every tool part of the fixture's sessions (the DB's copy wins) with
/// its session and the time it counts at: the row's `time_created`, in the
/// JSON store the call's start, else its message's creation.
fn tool_parts(fx: &TestEnv) -> Vec<(String, Option<i64>, Value)> {
    let mut out = Vec::new();
    let in_db: Vec<String> = fx
        .sessions()
        .iter()
        .filter(|s| s["inDb"] == true)
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    if !in_db.is_empty() {
        let (_copy, conn) = db_copy(&fx.data);
        let mut stmt = conn
            .prepare("SELECT session_id, time_created, data FROM part")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let session: String = r.get(0).unwrap();
            let data: String = r.get(2).unwrap();
            if let Ok(part) = serde_json::from_str::<Value>(&data)
                && in_db.contains(&session)
            {
                out.push((session, r.get(1).unwrap(), part));
            }
        }
    }
    let storage = fx.data.join("storage");
    for s in fx.sessions().iter().filter(|s| s["inDb"] != true) {
        let id = s["id"].as_str().unwrap();
        for m in std::fs::read_dir(storage.join("message").join(id)).unwrap() {
            let m = m.unwrap().path();
            let created = common::read_json(&m)["time"]["created"].as_i64();
            let Ok(dir) = std::fs::read_dir(storage.join("part").join(m.file_stem().unwrap()))
            else {
                continue;
            };
            for p in dir {
                let text = std::fs::read_to_string(p.unwrap().path()).unwrap();
                if let Ok(part) = serde_json::from_str::<Value>(&text) {
                    let at = part["state"]["time"]["start"].as_i64().or(created);
                    out.push((id.to_string(), at, part));
                }
            }
        }
    }
    out.retain(|(_, _, p)| p["type"] == "tool" && p["tool"].is_string());
    out
}

/// Per tool: calls, errors, ms, sessions; as `report --by tool --json` rows.
type ToolRows = Vec<(String, u64, u64, i64, u64)>;

fn tool_rows(
    parts: &[(String, Option<i64>, Value)],
    keep: &dyn Fn(&str, Option<i64>) -> bool,
) -> ToolRows {
    let mut counts = Counts::new();
    let mut sessions: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (session, at, part) in parts {
        if keep(session, *at) {
            count(&mut counts, part);
            let tool = part["tool"].as_str().unwrap().to_string();
            sessions.entry(tool).or_default().insert(session.clone());
        }
    }
    let mut rows: ToolRows = counts
        .into_iter()
        .map(|(t, (c, e, ms))| {
            let n = sessions[&t].len() as u64;
            (t, c, e, ms, n)
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn reported(fx: &TestEnv, extra: &[&str]) -> (ToolRows, String) {
    let out = fx
        .cmd()
        .args(["report", "--by", "tool", "--json"])
        .args(extra)
        .assert()
        .success();
    let out = out.get_output();
    let rows = json_lines(&out.stdout)
        .iter()
        .map(|r| {
            // Exactly these names (the map lists them sorted).
            let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["calls", "errors", "key", "ms", "sessions"], "{r}");
            (
                r["key"].as_str().unwrap().to_string(),
                r["calls"].as_u64().unwrap(),
                r["errors"].as_u64().unwrap(),
                r["ms"].as_i64().unwrap(),
                r["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    (rows, stderr(out))
}

#[test]
fn report_by_tool_equals_the_part_rows_with_since_and_project() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let before = snapshot(&fx.data);
        let parts = tool_parts(&fx);
        let (got, err) = reported(&fx, &[]);
        assert_eq!(got, tool_rows(&parts, &|_, _| true), "{name}");
        assert!(!got.is_empty(), "{name} has tool calls");
        assert!(!err.contains("warning"), "{name}: {err}");

        // --since: the middle call's time (calls without a time drop out).
        let mut times: Vec<i64> = parts.iter().filter_map(|p| p.1).collect();
        times.sort();
        let since = times[times.len() / 2];
        let iso = jiff::Timestamp::from_millisecond(since)
            .unwrap()
            .to_string();
        let (got, _) = reported(&fx, &["--since", &iso]);
        let want = tool_rows(&parts, &|_, at| at.is_some_and(|t| t >= since));
        assert_eq!(got, want, "{name} --since {iso}");
        let (got, _) = reported(&fx, &["--until", &iso, "--utc"]);
        let want = tool_rows(&parts, &|_, at| at.is_some_and(|t| t < since));
        assert_eq!(got, want, "{name} --until {iso}");

        // --project: the first session's project.
        let first = fx.sessions()[0];
        let project = first["projectId"].as_str().unwrap();
        let of_project: Vec<String> = fx
            .sessions()
            .iter()
            .filter(|s| s["projectId"] == project)
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        let (got, _) = reported(&fx, &["--project", project]);
        let want = tool_rows(&parts, &|s, _| of_project.iter().any(|p| p == s));
        assert_eq!(got, want, "{name} --project {project}");
        assert_eq!(snapshot(&fx.data), before, "{name}: the store is unchanged");
        if name == "tool-errors" {
            let (_, calls, errors, _, sessions) =
                got.iter().find(|r| r.0 == "read").unwrap().clone();
            assert!(errors > 0 && errors < calls && sessions > 0, "{got:?}");
        }
    }
}

#[test]
fn report_by_tool_skips_damaged_parts_with_a_warning_each() {
    let fx = TestEnv::load("tool-errors");
    let (broken_id, nameless_id) = damage_two_tool_rows(&fx);
    let parts = tool_parts(&fx);
    let before = snapshot(&fx.data);
    let (got, err) = reported(&fx, &[]);
    assert_eq!(got, tool_rows(&parts, &|_, _| true));
    assert_eq!(snapshot(&fx.data), before, "the store is unchanged");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&broken_id) && w.contains("not valid JSON")),
        "{err}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&nameless_id) && w.contains("without a tool name")),
        "{err}"
    );
    // And on the page: the tools section, names escaped.
    let page = fx.tmp.path().join("page.html");
    fx.cmd()
        .args(["report", "--by", "tool", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<table id=\"tools\">"), "{html}");
    assert!(html.contains(&format!("<td>{}</td>", got[0].0)), "{html}");
}

#[test]
fn report_by_tool_is_not_a_team_report() {
    let fx = TestEnv::load("tool-errors");
    let out = fx
        .cmd()
        .args(["report", "--by", "tool", "--convex"])
        .assert()
        .code(2);
    assert!(stderr(out.get_output()).contains("--convex --by tool"));
}

#[test]
fn the_tool_table_keeps_long_tool_names_whole_through_a_pipe_and_fits_80_columns() {
    // MCP tools have long names; the fixture's bash calls are renamed to one
    // (only the name differs from what opencode wrote).
    let fx = TestEnv::load("tool-errors");
    let long = "github_create_pull_request_review_comment_reply";
    fx.alter_db(|db| {
        db.execute(
            "UPDATE part SET data = json_set(data, '$.tool', ?1) \
             WHERE json_extract(data, '$.tool') = 'bash'",
            [long],
        )
        .unwrap();
    });
    let table = |columns: Option<&str>| {
        let mut cmd = fx.cmd();
        cmd.args(["report", "--by", "tool"]);
        match columns {
            Some(c) => cmd.env("COLUMNS", c),
            None => cmd.env_remove("COLUMNS"),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let widest = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap();
    let piped = table(None);
    assert!(piped.contains(&format!("│ {long} ┆")), "{piped}");
    assert!(piped.contains("┆ Sessions │"), "{piped}");
    assert_eq!(table(Some("200")), piped);
    let narrow = table(Some("80"));
    assert_eq!(widest(&narrow), 80, "{narrow}");
    assert!(
        narrow.contains("│ github_create_pull_request… ┆"),
        "{narrow}"
    );
    assert!(narrow.contains("┆ Sessions │"), "{narrow}");
}
