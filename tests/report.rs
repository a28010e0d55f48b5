//! `report` and the document's breakdowns against what opencode itself
//! recorded: sums computed here, independently, from what `opencode export`
//! printed for every session of every fixture store.

mod common;

use common::{TestEnv, fixture_names, json_lines};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One message as `opencode export` printed it.
struct Msg {
    session: String,
    assistant: bool,
    model: Option<String>,
    agent: Option<String>,
    created: i64,
    completed: Option<i64>,
    cost: f64,
    tokens: [u64; 5],
}

fn messages_of(export: &Value) -> Vec<Msg> {
    let session = export["info"]["id"].as_str().unwrap().to_string();
    export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let i = &m["info"];
            let assistant = i["role"] == "assistant";
            let t = &i["tokens"];
            let n = |v: &Value| {
                if assistant {
                    v.as_u64().unwrap_or(0)
                } else {
                    0
                }
            };
            Msg {
                session: session.clone(),
                assistant,
                model: match (i["providerID"].as_str(), i["modelID"].as_str()) {
                    (Some(p), Some(m)) if assistant => Some(format!("{p}/{m}")),
                    _ => None,
                },
                agent: i["agent"]
                    .as_str()
                    .or(i["mode"].as_str())
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
                created: i["time"]["created"].as_i64().unwrap(),
                completed: i["time"]["completed"].as_i64(),
                cost: if assistant {
                    i["cost"].as_f64().unwrap_or(0.0)
                } else {
                    0.0
                },
                tokens: [
                    n(&t["input"]),
                    n(&t["output"]),
                    n(&t["reasoning"]),
                    n(&t["cache"]["read"]),
                    n(&t["cache"]["write"]),
                ],
            }
        })
        .collect()
}

fn utc_day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// Sums of one group of messages.
#[derive(Default, Debug)]
struct Sum {
    sessions: BTreeSet<String>,
    messages: u64,
    cost: f64,
    tokens: [u64; 5],
}

impl Sum {
    fn add(&mut self, m: &Msg) {
        self.sessions.insert(m.session.clone());
        self.messages += 1;
        self.cost += m.cost;
        for (a, b) in self.tokens.iter_mut().zip(m.tokens) {
            *a += b;
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn tokens_json(t: [u64; 5]) -> Value {
    json!({"input": t[0], "output": t[1], "reasoning": t[2], "cacheRead": t[3], "cacheWrite": t[4]})
}

/// `got` (report rows or document entries) equals `want`, key by key.
fn check_rows(ctx: &str, got: &[Value], key: &str, want: &BTreeMap<String, Sum>, sessions: bool) {
    let keys: Vec<&str> = got.iter().map(|r| r[key].as_str().unwrap()).collect();
    assert_eq!(
        keys.iter().copied().collect::<BTreeSet<_>>(),
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "{ctx}: keys"
    );
    assert_eq!(keys.len(), want.len(), "{ctx}: each key once");
    for r in got {
        let k = r[key].as_str().unwrap();
        let w = &want[k];
        if sessions {
            assert_eq!(r["sessions"], w.sessions.len(), "{ctx} {k}: sessions");
        }
        assert_eq!(r["messages"], w.messages, "{ctx} {k}: messages");
        assert!(
            close(r["cost"].as_f64().unwrap(), w.cost),
            "{ctx} {k}: cost {} vs {}",
            r["cost"],
            w.cost
        );
        if r.get("tokens").is_some() {
            assert_eq!(r["tokens"], tokens_json(w.tokens), "{ctx} {k}: tokens");
        }
    }
}

fn report_json(fx: &TestEnv, args: &[&str]) -> Vec<Value> {
    fx.json(&[&["report"], args, &["--json"]].concat())
}

#[test]
fn report_by_model_and_by_utc_day_equal_sums_over_opencode_export() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let msgs: Vec<Msg> = fx.oracles().values().flat_map(messages_of).collect();
        assert!(msgs.iter().any(|m| m.assistant), "{name}: has usage");
        let mut by_model: BTreeMap<String, Sum> = BTreeMap::new();
        let mut by_day: BTreeMap<String, Sum> = BTreeMap::new();
        let mut by_agent: BTreeMap<String, Sum> = BTreeMap::new();
        let mut by_session: BTreeMap<String, Sum> = BTreeMap::new();
        for m in &msgs {
            if m.assistant {
                let model = m.model.clone().unwrap_or_else(|| "unknown".into());
                by_model.entry(model).or_default().add(m);
            }
            by_day.entry(utc_day(m.created)).or_default().add(m);
            let agent = m.agent.clone().unwrap_or_else(|| "unknown".into());
            by_agent.entry(agent).or_default().add(m);
            by_session.entry(m.session.clone()).or_default().add(m);
        }
        let rows = report_json(&fx, &["--by", "model"]);
        check_rows(&format!("{name} --by model"), &rows, "key", &by_model, true);
        let costs: Vec<f64> = rows.iter().map(|r| r["cost"].as_f64().unwrap()).collect();
        assert!(
            costs.windows(2).all(|w| w[0] >= w[1]),
            "{name}: most expensive first"
        );
        let rows = report_json(&fx, &["--by", "day", "--utc"]);
        check_rows(&format!("{name} --by day"), &rows, "key", &by_day, true);
        let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
        assert!(keys.is_sorted(), "{name}: days in order");
        // Under each day, its assistant messages by model.
        for r in &rows {
            let day = r["key"].as_str().unwrap();
            let mut want: BTreeMap<String, Sum> = BTreeMap::new();
            for m in msgs
                .iter()
                .filter(|m| m.assistant && utc_day(m.created) == day)
            {
                let model = m.model.clone().unwrap_or_else(|| "unknown".into());
                want.entry(model).or_default().add(m);
            }
            let models = r["models"].as_array().cloned().unwrap_or_default();
            check_rows(&format!("{name} {day} models"), &models, "key", &want, true);
        }
        let rows = report_json(&fx, &["--by", "agent"]);
        check_rows(&format!("{name} --by agent"), &rows, "key", &by_agent, true);
        let rows = report_json(&fx, &["--by", "session"]);
        check_rows(
            &format!("{name} --by session"),
            &rows,
            "key",
            &by_session,
            true,
        );
    }
}

#[test]
fn totals_equal_the_documents_own_costs_with_subagents_counted_once() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let ids: Vec<String> = fx.oracles().into_keys().collect();
        let out = fx.cmd().arg("dry-run").args(&ids).assert().success();
        let docs = json_lines(&out.get_output().stdout);
        assert_eq!(docs.len(), ids.len(), "{name}");
        let own: f64 = docs.iter().map(|d| d["cost"].as_f64().unwrap()).sum();
        let top_level: f64 = docs
            .iter()
            .filter(|d| d.get("parentSessionId").is_none())
            .map(|d| d["cost"].as_f64().unwrap() + d["subagents"]["cost"].as_f64().unwrap_or(0.0))
            .sum();
        assert!(close(own, top_level), "{name}: {own} vs {top_level}");
        let messages: u64 = docs
            .iter()
            .map(|d| d["messageCount"].as_u64().unwrap())
            .sum();
        for by in [
            "day", "week", "month", "project", "model", "agent", "session", "device",
        ] {
            let rows = report_json(&fx, &["--by", by]);
            let sum: f64 = rows.iter().map(|r| r["cost"].as_f64().unwrap()).sum();
            assert!(close(sum, own), "{name} --by {by}: {sum} vs {own}");
            if by != "model" {
                let n: u64 = rows.iter().map(|r| r["messages"].as_u64().unwrap()).sum();
                assert_eq!(n, messages, "{name} --by {by}: messages");
            }
            // CSV: the same rows, flattened.
            let out = fx
                .cmd()
                .args(["report", "--by", by, "--csv"])
                .assert()
                .success();
            let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some(
                    "key,label,sessions,messages,cost,listCost,unpricedMessages,input,output,reasoning,cacheRead,cacheWrite"
                )
            );
            assert_eq!(lines.count(), rows.len(), "{name} --by {by} csv");
        }
        let device = report_json(&fx, &["--by", "device"]);
        assert_eq!(device.len(), 1, "{name}: one device, this machine");
        assert_eq!(device[0]["sessions"], ids.len(), "{name}");
    }
}

#[test]
fn documents_break_usage_down_by_model_agent_and_day() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let exports = fx.oracles();
        let children: HashMap<&str, Vec<&str>> =
            exports.iter().fold(HashMap::new(), |mut acc, (id, e)| {
                if let Some(p) = e["info"]["parentID"].as_str() {
                    acc.entry(p).or_default().push(id.as_str());
                }
                acc
            });
        let ids: Vec<&String> = exports.keys().collect();
        let out = fx.cmd().arg("dry-run").args(&ids).assert().success();
        for doc in json_lines(&out.get_output().stdout) {
            let id = doc["sessionId"].as_str().unwrap();
            let ctx = format!("{name} {id}");
            let own = messages_of(&exports[id]);
            let mut below = Vec::new();
            let mut frontier = vec![id];
            while let Some(p) = frontier.pop() {
                for c in children.get(p).into_iter().flatten() {
                    below.extend(messages_of(&exports[*c]));
                    frontier.push(c);
                }
            }
            check_breakdown(&ctx, &doc, &own);
            match doc.get("subagents") {
                None => assert!(below.is_empty(), "{ctx}"),
                Some(s) => check_breakdown(&format!("{ctx} subagents"), s, &below),
            }
        }
    }
}

/// `models`, `agents`, `activeMs` and `daily` of a document (or of its
/// `subagents`) against the messages they cover.
fn check_breakdown(ctx: &str, doc: &Value, msgs: &[Msg]) {
    let mut models: BTreeMap<String, Sum> = BTreeMap::new();
    let mut model_order = Vec::new();
    let mut agents: BTreeMap<String, Sum> = BTreeMap::new();
    let mut days: BTreeMap<String, (Sum, BTreeMap<String, Sum>)> = BTreeMap::new();
    let mut active = 0;
    for m in msgs {
        let day = days.entry(utc_day(m.created)).or_default();
        day.0.add(m);
        if let Some(a) = &m.agent {
            agents.entry(a.clone()).or_default().add(m);
        }
        if m.assistant {
            if let (Some(done), c) = (m.completed, m.created)
                && done >= c
            {
                active += done - c;
            }
            if let Some(model) = &m.model {
                if !model_order.contains(model) {
                    model_order.push(model.clone());
                }
                models.entry(model.clone()).or_default().add(m);
                day.1.entry(model.clone()).or_default().add(m);
            }
        }
    }
    let list = |k: &str| {
        doc.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let got_models = list("models");
    check_rows(
        &format!("{ctx} models"),
        &got_models,
        "model",
        &models,
        false,
    );
    let order: Vec<&str> = got_models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(order, model_order, "{ctx}: models in order of first use");
    check_rows(
        &format!("{ctx} agents"),
        &list("agents"),
        "agent",
        &agents,
        false,
    );
    assert_eq!(doc["activeMs"], active, "{ctx} activeMs");
    let daily = list("daily");
    let want: BTreeMap<String, Sum> = days
        .iter()
        .map(|(k, (s, _))| {
            (
                k.clone(),
                Sum {
                    sessions: s.sessions.clone(),
                    messages: s.messages,
                    cost: s.cost,
                    tokens: s.tokens,
                },
            )
        })
        .collect();
    check_rows(&format!("{ctx} daily"), &daily, "day", &want, true);
    let keys: Vec<&str> = daily.iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert!(keys.is_sorted(), "{ctx}: days in order");
    for d in &daily {
        let day = d["day"].as_str().unwrap();
        check_rows(
            &format!("{ctx} {day} models"),
            d["models"].as_array().unwrap(),
            "model",
            &days[day].1,
            true,
        );
    }
}

#[test]
fn since_and_until_keep_only_the_messages_created_in_between() {
    let fx = TestEnv::load("v1.18.33");
    let msgs: Vec<Msg> = fx.oracles().values().flat_map(messages_of).collect();
    let mut times: Vec<i64> = msgs.iter().map(|m| m.created).collect();
    times.sort();
    let mid = times[times.len() / 2];
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    let (since, until) = (at(mid), at(times[times.len() - 1]));
    let rows = report_json(
        &fx,
        &["--by", "session", "--since", &since, "--until", &until],
    );
    let mut want: BTreeMap<String, Sum> = BTreeMap::new();
    for m in msgs
        .iter()
        .filter(|m| m.created >= mid && m.created < times[times.len() - 1])
    {
        want.entry(m.session.clone()).or_default().add(m);
    }
    check_rows("--since/--until", &rows, "key", &want, true);
    assert!(!rows.is_empty() && rows.len() < 11);
    // Before everything: no rows, and a table with a zero total.
    let rows = report_json(&fx, &["--until", "2000-01-01"]);
    assert!(rows.is_empty());
    fx.cmd()
        .args(["report", "--until", "2000-01-01"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Total"));
    // A bad time names the option.
    fx.cmd()
        .args(["report", "--until", "someday"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--until"));
    // --project keeps that project's sessions only.
    let rows = report_json(&fx, &["--by", "project"]);
    let odd = rows
        .iter()
        .find(|r| r["key"].as_str().unwrap().contains("prôjet"))
        .unwrap();
    let dir = odd["key"].as_str().unwrap();
    let only = report_json(&fx, &["--by", "project", "--project", dir]);
    assert_eq!(only, vec![odd.clone()]);
    let only = report_json(
        &fx,
        &[
            "--by",
            "project",
            "--project",
            odd["label"].as_str().unwrap(),
        ],
    );
    assert!(only.iter().any(|r| r["key"] == dir));
}

/// The table as a person sees it: the exact text for a fixture store (also
/// shown in the README).
#[test]
fn the_table_reads_as_shown_in_the_readme() {
    let fx = TestEnv::load("v1.18.33");
    let out = fx
        .cmd()
        .env("COLUMNS", "80")
        .args(["report", "--by", "agent", "--utc"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let want = TABLE_BY_AGENT;
    assert_eq!(text, want, "got:\n{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains(want), "README.md shows this table");
    let out = fx
        .cmd()
        .args(["report", "--by", "day", "--utc"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(text, TABLE_BY_DAY, "got:\n{text}");
}

const TABLE_BY_AGENT: &str = r#"Usage by agent, all time, UTC
┌─────────┬──────────┬──────────┬───────┬────────┬────────┬─────────┬────────┐
│ Agent   ┆ Sessions ┆ Messages ┆ Input ┆ Output ┆ Tokens ┆    Cost ┆ List $ │
╞═════════╪══════════╪══════════╪═══════╪════════╪════════╪═════════╪════════╡
│ build   ┆       10 ┆       60 ┆ 46.6K ┆   2.5K ┆  85.0K ┆   $0.19 ┆     –* │
│ general ┆        1 ┆        3 ┆  2.7K ┆     87 ┆   3.7K ┆ $0.0096 ┆     –* │
│ plan    ┆        1 ┆        2 ┆  1.0K ┆     55 ┆   1.1K ┆ $0.0039 ┆     –* │
│ Total   ┆       11 ┆       65 ┆ 50.3K ┆   2.7K ┆  89.8K ┆   $0.20 ┆     –* │
└─────────┴──────────┴──────────┴───────┴────────┴────────┴─────────┴────────┘
not shown (too narrow): Cache
* List $ leaves out 49 replies whose model has no list price
"#;
const TABLE_BY_DAY: &str = r#"Usage by day, all time, UTC
┌────────────┬──────────┬──────────┬───────┬────────┬───────┬────────┬───────┬────────┐
│ Day        ┆ Sessions ┆ Messages ┆ Input ┆ Output ┆ Cache ┆ Tokens ┆  Cost ┆ List $ │
╞════════════╪══════════╪══════════╪═══════╪════════╪═══════╪════════╪═══════╪════════╡
│ 2026-11-25 ┆       11 ┆       65 ┆ 50.3K ┆   2.7K ┆ 36.8K ┆  89.8K ┆ $0.20 ┆     –* │
│ └ fake/m1  ┆       11 ┆       49 ┆ 50.3K ┆   2.7K ┆ 36.8K ┆  89.8K ┆ $0.20 ┆     –* │
│ Total      ┆       11 ┆       65 ┆ 50.3K ┆   2.7K ┆ 36.8K ┆  89.8K ┆ $0.20 ┆     –* │
└────────────┴──────────┴──────────┴───────┴────────┴───────┴────────┴───────┴────────┘
└ rows: that model's replies (assistant messages) under Messages
* List $ leaves out 49 replies whose model has no list price
"#;

/// A copy of the 1.18.33 store (written by real opencode) with real-length
/// names: every reply's model renamed to a real id and one session's
/// directory to a 60-character path. Only those values differ from what
/// opencode wrote; the fixtures' `fake/m1` and short paths hid how tables
/// treat real names.
fn long_names() -> (TestEnv, &'static str, &'static str) {
    const MODEL: &str = "anthropic/claude-sonnet-4-5-20250929";
    const PATH: &str = "/home/dev/src/github.com/example-org/payment-service/backend";
    assert_eq!(PATH.chars().count(), 60);
    let fx = TestEnv::load("v1.18.33");
    let db = rusqlite::Connection::open(fx.data.join("opencode.db")).unwrap();
    db.execute_batch(&format!(
        "UPDATE message SET data = json_set(data, '$.providerID', 'anthropic',
           '$.modelID', 'claude-sonnet-4-5-20250929')
         WHERE json_extract(data, '$.role') = 'assistant';
         UPDATE session SET directory = '{PATH}' WHERE title = 'Fixture long-chat';"
    ))
    .unwrap();
    drop(db);
    (fx, MODEL, PATH)
}

/// `report` with `args` at `columns` (none: through a pipe, no `$COLUMNS`).
fn table_at(fx: &TestEnv, columns: Option<usize>, args: &[&str]) -> String {
    let mut c = fx.cmd();
    if let Some(n) = columns {
        c.env("COLUMNS", n.to_string());
    }
    let out = c.arg("report").arg("--utc").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn tables_give_real_names_the_width_they_need_and_cut_only_when_too_narrow() {
    let (fx, model, path) = long_names();
    for args in [
        &["--by", "model"][..],
        &["--by", "day"],
        &["--by", "project"],
    ] {
        // Wide and through a pipe: every name whole, on one line.
        for columns in [Some(200), None] {
            let text = table_at(&fx, columns, args);
            assert!(widest(&text) <= columns.unwrap_or(200), "{args:?}:\n{text}");
            let name = if args[1] == "project" { path } else { model };
            assert!(text.contains(name), "{args:?} {columns:?}:\n{text}");
            assert!(!text.contains('…'), "{args:?} {columns:?}:\n{text}");
            assert!(!text.contains("not shown"), "{args:?} {columns:?}:\n{text}");
        }
        // 80 columns: every line fits.
        let text = table_at(&fx, Some(80), args);
        assert!(widest(&text) <= 80, "{args:?}:\n{text}");
    }
    // At 80 the model id stays whole: the parts of Tokens and Sessions give
    // way (List $ stays beside Cost), and a line says so.
    let text = table_at(&fx, Some(80), &["--by", "model"]);
    assert!(text.contains(&format!("│ {model} ")), "{text}");
    assert!(
        text.contains("not shown (too narrow): Sessions, Input, Output, Cache\n"),
        "{text}"
    );
    assert!(text.contains("┆ List $ │"), "{text}");
    assert!(text.contains("Replies") && text.contains("Cost"), "{text}");
    // The 60-character path does not fit beside the numbers: cut with `…`,
    // keeping its start.
    let text = table_at(&fx, Some(80), &["--by", "project"]);
    assert!(
        text.contains("│ /home/dev/src/github.com/example-org/"),
        "{text}"
    );
    assert!(text.contains('…') && !text.contains(path), "{text}");
    // Under a day, a model's row counts its replies: the table says so.
    let text = table_at(&fx, None, &["--by", "day"]);
    assert!(text.contains(&format!("│ └ {model} ")), "{text}");
    assert!(text.contains("└ rows: that model's replies"), "{text}");
}

#[test]
fn sessions_and_devices_are_named_with_their_id_beside_when_there_is_room() {
    let fx = TestEnv::load("v1.18.33");
    let long = fx.scenario("long-chat").unwrap();
    let wide = table_at(&fx, Some(200), &["--by", "session"]);
    let row = wide.lines().find(|l| l.contains(&long)).expect(&wide);
    assert!(row.starts_with("│ Fixture long-chat "), "{wide}");
    let narrow = table_at(&fx, Some(80), &["--by", "session"]);
    assert!(widest(&narrow) <= 80, "{narrow}");
    assert!(narrow.contains("│ Fixture long-chat "), "{narrow}");
    let device = table_at(&fx, Some(200), &["--by", "device"]);
    let host = hostname::get().unwrap().to_string_lossy().into_owned();
    assert!(
        device.contains(&format!("│ {host} ")) && device.contains("Device id"),
        "{device}"
    );
}

#[test]
fn list_at_80_columns_keeps_cost_and_messages_before_the_title() {
    let (fx, ..) = long_names();
    let out = fx.cmd().env("COLUMNS", "80").arg("list").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(widest(&text) <= 80, "{text}");
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert!(
        header.contains(&"MSGS") && header.contains(&"COST"),
        "{text}"
    );
    assert!(!header.contains(&"TITLE"), "{text}");
    // Money as `report` shows it.
    assert!(text.contains("$0.10"), "{text}");
    let wide = fx
        .cmd()
        .env("COLUMNS", "200")
        .arg("list")
        .assert()
        .success();
    let wide = String::from_utf8(wide.get_output().stdout.clone()).unwrap();
    assert!(
        wide.contains("TITLE") && wide.contains("Fixture long-chat"),
        "{wide}"
    );
}
