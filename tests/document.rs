//! Our documents against what opencode itself recorded: every session of
//! every fixture store, compared field by field with `opencode export`.

mod common;

use common::{TestEnv, fixture_names, json_lines};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What the document must say, computed from `opencode export` output.
struct Expected {
    info: Value,
    messages: u64,
    user: u64,
    assistant: u64,
    agents: Vec<String>,
    primary_agent: Option<String>,
    models: Vec<String>,
    tokens: [u64; 5],
    cost: f64,
    errors: u64,
    todos: Option<Vec<Value>>,
}

fn agent_of(info: &Value) -> Option<String> {
    info["agent"]
        .as_str()
        .or(info["mode"].as_str())
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

fn first_used_and_most(names: &[String]) -> (Vec<String>, Option<String>) {
    let mut order: Vec<(String, usize)> = Vec::new();
    for n in names {
        match order.iter_mut().find(|(m, _)| m == n) {
            Some((_, c)) => *c += 1,
            None => order.push((n.clone(), 1)),
        }
    }
    let mut best: Option<&(String, usize)> = None;
    for e in &order {
        if best.is_none_or(|b| e.1 > b.1) {
            best = Some(e);
        }
    }
    let primary = best.map(|b| b.0.clone());
    (order.into_iter().map(|(n, _)| n).collect(), primary)
}

fn expected(export: &Value) -> Expected {
    let msgs = export["messages"].as_array().unwrap();
    let mut agents = Vec::new();
    let mut models = Vec::new();
    let (mut user, mut assistant, mut errors) = (0, 0, 0);
    let mut tokens = [0u64; 5];
    let mut cost = 0.0;
    let mut todos = None;
    for m in msgs {
        let info = &m["info"];
        if let Some(a) = agent_of(info) {
            agents.push(a);
        }
        match info["role"].as_str().unwrap() {
            "user" => user += 1,
            "assistant" => {
                assistant += 1;
                if let (Some(p), Some(id)) = (info["providerID"].as_str(), info["modelID"].as_str())
                {
                    models.push(format!("{p}/{id}"));
                }
                let t = &info["tokens"];
                for (i, v) in [
                    &t["input"],
                    &t["output"],
                    &t["reasoning"],
                    &t["cache"]["read"],
                    &t["cache"]["write"],
                ]
                .into_iter()
                .enumerate()
                {
                    tokens[i] += v.as_u64().unwrap_or(0);
                }
                cost += info["cost"].as_f64().unwrap_or(0.0);
                if info.get("error").is_some_and(|e| !e.is_null()) {
                    errors += 1;
                }
            }
            r => panic!("unexpected role {r}"),
        }
        for p in m["parts"].as_array().unwrap() {
            if p["type"] == "tool"
                && p["tool"] == "todowrite"
                && p["state"]["status"] == "completed"
            {
                todos = Some(p["state"]["input"]["todos"].as_array().unwrap().clone());
            }
        }
    }
    let (agents, primary_agent) = first_used_and_most(&agents);
    let (models, _) = first_used_and_most(&models);
    Expected {
        info: export["info"].clone(),
        messages: msgs.len() as u64,
        user,
        assistant,
        agents,
        primary_agent,
        models,
        tokens,
        cost,
        errors,
        todos,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn check_document(fx: &TestEnv, doc: &Value, exports: &BTreeMap<String, Value>) {
    let id = doc["sessionId"].as_str().unwrap();
    let ctx = format!("{} {id}", fx.name);
    let e = expected(&exports[id]);
    let info = &e.info;
    assert_eq!(doc["schemaVersion"], 1, "{ctx}");
    assert_eq!(doc["opencodeVersion"], info["version"], "{ctx}");
    assert_eq!(doc["projectId"], info["projectID"], "{ctx}");
    assert_eq!(doc["projectDirectory"], info["directory"], "{ctx}");
    assert_eq!(doc["createdAt"], info["time"]["created"], "{ctx}");
    assert_eq!(doc["updatedAt"], info["time"]["updated"], "{ctx}");
    assert_eq!(doc.get("parentSessionId"), info.get("parentID"), "{ctx}");
    assert_eq!(doc["pluginVersion"], env!("CARGO_PKG_VERSION"), "{ctx}");
    assert_eq!(doc["messageCount"], e.messages, "{ctx}");
    assert_eq!(doc["userMessageCount"], e.user, "{ctx}");
    assert_eq!(doc["assistantMessageCount"], e.assistant, "{ctx}");
    assert_eq!(doc["agentsUsed"], json!(e.agents), "{ctx}");
    assert_eq!(
        doc.get("primaryAgent").and_then(Value::as_str),
        e.primary_agent.as_deref(),
        "{ctx}"
    );
    assert_eq!(doc["modelsUsed"], json!(e.models), "{ctx}");
    let t = &doc["tokens"];
    let got = [
        &t["input"],
        &t["output"],
        &t["reasoning"],
        &t["cacheRead"],
        &t["cacheWrite"],
    ]
    .map(|v| v.as_u64().unwrap());
    assert_eq!(got, e.tokens, "{ctx} tokens");
    assert!(
        close(doc["cost"].as_f64().unwrap(), e.cost),
        "{ctx} cost {} vs {}",
        doc["cost"],
        e.cost
    );
    assert_eq!(doc["errorCount"], e.errors, "{ctx}");
    // Todos: the last todowrite opencode completed is the list it stored.
    let todos = e.todos.unwrap_or_default();
    let count = |s: &[&str]| {
        todos
            .iter()
            .filter(|t| s.contains(&t["status"].as_str().unwrap()))
            .count()
    };
    assert_eq!(
        doc["todoStats"],
        json!({"total": todos.len(), "completed": count(&["completed"]), "cancelled": count(&["cancelled"]), "pending": count(&["pending", "in_progress"])}),
        "{ctx} todoStats"
    );
    let stored: Vec<Value> = serde_json::from_str(doc["todosJson"].as_str().unwrap()).unwrap();
    let contents = |v: &[Value]| {
        v.iter()
            .map(|t| (t["content"].clone(), t["status"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(contents(&stored), contents(&todos), "{ctx} todosJson");
    // Code changes: opencode's session summary, or where that is zero
    // (1.16+), the totals of the user messages' per-turn file diffs.
    let recorded = info.get("summary").filter(|s| s.get("additions").is_some());
    let nonzero = |s: &Value| {
        ["additions", "deletions", "files"]
            .iter()
            .any(|k| s[k].as_u64() != Some(0))
    };
    let diffs: Vec<&Value> = exports[id]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["info"]["role"] == "user")
        .flat_map(|m| {
            m["info"]["summary"]["diffs"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .collect();
    let expected_changes = match recorded {
        Some(s) if nonzero(s) => Some(
            json!({"additions": s["additions"], "deletions": s["deletions"], "filesChanged": s["files"]}),
        ),
        _ if !diffs.is_empty() => {
            let files: std::collections::BTreeSet<&str> =
                diffs.iter().map(|d| d["file"].as_str().unwrap()).collect();
            let sum = |k: &str| diffs.iter().map(|d| d[k].as_u64().unwrap()).sum::<u64>();
            Some(
                json!({"additions": sum("additions"), "deletions": sum("deletions"), "filesChanged": files.len()}),
            )
        }
        Some(s) => Some(
            json!({"additions": s["additions"], "deletions": s["deletions"], "filesChanged": s["files"]}),
        ),
        None => None,
    };
    assert_eq!(
        doc.get("codeChanges"),
        expected_changes.as_ref(),
        "{ctx} codeChanges"
    );
    if fx.scenario("file-write").as_deref() == Some(id) {
        assert!(
            expected_changes.is_some_and(|c| c["filesChanged"].as_u64() > Some(0)),
            "{ctx}: file-write changed files"
        );
    }
    // Subagents: every descendant, at any depth.
    let mut below = Vec::new();
    let mut frontier = vec![id.to_string()];
    while let Some(p) = frontier.pop() {
        for (cid, ex) in exports {
            if ex["info"]["parentID"] == p.as_str() {
                below.push(expected(ex));
                frontier.push(cid.clone());
            }
        }
    }
    if below.is_empty() {
        assert!(doc.get("subagents").is_none(), "{ctx} subagents");
    } else {
        let s = &doc["subagents"];
        assert_eq!(s["sessionCount"], below.len(), "{ctx}");
        assert_eq!(
            s["messageCount"],
            below.iter().map(|b| b.messages).sum::<u64>(),
            "{ctx}"
        );
        let cost: f64 = below.iter().map(|b| b.cost).sum();
        assert!(
            close(s["cost"].as_f64().unwrap(), cost),
            "{ctx} subagent cost"
        );
        assert_eq!(
            s["tokens"]["input"],
            below.iter().map(|b| b.tokens[0]).sum::<u64>(),
            "{ctx}"
        );
        assert_eq!(
            s["tokens"]["output"],
            below.iter().map(|b| b.tokens[1]).sum::<u64>(),
            "{ctx}"
        );
    }
    // Absent optional fields are omitted, never null.
    for (k, v) in doc.as_object().unwrap() {
        assert!(!v.is_null(), "{ctx}: {k} is null");
    }
}

#[test]
fn every_session_matches_opencode_export() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let exports = fx.oracles();
        for id in exports.keys() {
            let out = fx.cmd().args(["dry-run", id]).assert().success();
            let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
            check_document(&fx, &doc, &exports);
        }
    }
}

#[test]
fn all_complete_selects_top_level_sessions_without_open_todos() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let exports = fx.oracles();
        let mut want: Vec<&String> = exports
            .iter()
            .filter(|(_, ex)| ex["info"].get("parentID").is_none())
            .filter(|(_, ex)| {
                expected(ex)
                    .todos
                    .unwrap_or_default()
                    .iter()
                    .all(|t| t["status"] == "completed" || t["status"] == "cancelled")
            })
            .map(|(id, _)| id)
            .collect();
        want.sort();
        let out = fx
            .cmd()
            .args(["dry-run", "--all-complete"])
            .assert()
            .success();
        let docs = json_lines(&out.get_output().stdout);
        for d in &docs {
            check_document(&fx, d, &exports);
        }
        let mut got: Vec<&str> = docs
            .iter()
            .map(|d| d["sessionId"].as_str().unwrap())
            .collect();
        got.sort();
        assert_eq!(got, want, "{name}");
        // With subagents: the children too.
        let out = fx
            .cmd()
            .args(["dry-run", "--all-complete", "--include-subagents"])
            .assert()
            .success();
        let with_children = json_lines(&out.get_output().stdout);
        let children = exports
            .values()
            .filter(|e| e["info"].get("parentID").is_some())
            .count();
        assert!(
            with_children.len() >= docs.len() + children.min(1),
            "{name}"
        );
    }
}
