//! `listCost`: the tokens of every assistant message at its model's list
//! price, beside the `cost` opencode stored. Checked on a store written by
//! real opencode with real model names (`list-prices`: a paid API key, a
//! subscription billing nothing for the same model, and a model no table
//! knows), against sums computed here from `opencode export` and the
//! committed price table.

mod common;

use common::{FakeServer, Reply, TestEnv, fixture_names, json_lines};
use serde_json::Value;
use std::collections::BTreeMap;

/// The committed table: USD per million tokens by `provider/model`.
fn table() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prices/prices.json");
    common::read_json(&path)["models"].clone()
}

/// The table's entry a model of the fixture is billed at: its own, or for
/// the subscription its maker's; `None` for the scripted model.
fn price_of<'a>(table: &'a Value, model: &str) -> Option<&'a Value> {
    let id = match model {
        "anthropic/claude-sonnet-4-5" | "github-copilot/claude-sonnet-4.5" => {
            "anthropic/claude-sonnet-4-5"
        }
        "fake/m1" => return None,
        other => panic!("no price decided for {other}"),
    };
    Some(&table[id])
}

/// One assistant message's list cost, `None` when its model has no price.
fn list_cost(table: &Value, info: &Value) -> Option<f64> {
    let model = format!(
        "{}/{}",
        info["providerID"].as_str().unwrap(),
        info["modelID"].as_str().unwrap()
    );
    let p = price_of(table, &model)?;
    let t = &info["tokens"];
    let n = |v: &Value| v.as_u64().unwrap_or(0) as f64;
    let price = |k: &str| p[k].as_f64().unwrap_or(0.0);
    // No reasoning price in these entries: reasoning is billed as output.
    assert!(p.get("reasoning").is_none());
    Some(
        (n(&t["input"]) * price("input")
            + (n(&t["output"]) + n(&t["reasoning"])) * price("output")
            + n(&t["cache"]["read"]) * price("cache_read")
            + n(&t["cache"]["write"]) * price("cache_write"))
            / 1e6,
    )
}

/// List cost and unpriced messages of a group of messages.
#[derive(Debug, Default, Clone, Copy)]
struct Want {
    cost: f64,
    list_cost: f64,
    unpriced: u64,
}

impl Want {
    fn add(&mut self, table: &Value, info: &Value) {
        self.cost += info["cost"].as_f64().unwrap();
        match list_cost(table, info) {
            Some(c) => self.list_cost += c,
            None => self.unpriced += 1,
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12_f64.max(1e-9 * a.abs().max(b.abs()))
}

/// `got` has `cost`, `listCost` and `unpricedMessages` (absent when 0) as
/// `want` says.
fn check(ctx: &str, got: &Value, want: &Want) {
    let cost = got["cost"].as_f64().unwrap();
    let list = got["listCost"]
        .as_f64()
        .unwrap_or_else(|| panic!("{ctx}: no listCost in {got}"));
    assert!(
        close(cost, want.cost),
        "{ctx}: cost {cost} vs {}",
        want.cost
    );
    assert!(
        close(list, want.list_cost),
        "{ctx}: listCost {list} vs {}",
        want.list_cost
    );
    match want.unpriced {
        0 => assert!(got.get("unpricedMessages").is_none(), "{ctx}: {got}"),
        n => assert_eq!(got["unpricedMessages"], n, "{ctx}"),
    }
}

fn assistants(export: &Value) -> Vec<&Value> {
    export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["info"])
        .filter(|i| i["role"] == "assistant")
        .collect()
}

fn model_of(info: &Value) -> String {
    format!(
        "{}/{}",
        info["providerID"].as_str().unwrap(),
        info["modelID"].as_str().unwrap()
    )
}

fn utc_day(info: &Value) -> String {
    jiff::Timestamp::from_millisecond(info["time"]["created"].as_i64().unwrap())
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// Session, model, day and day-model sums of a set of exports.
fn wants<'a>(
    table: &Value,
    exports: impl IntoIterator<Item = &'a Value>,
) -> (Want, BTreeMap<String, Want>, BTreeMap<String, Want>) {
    let (mut all, mut models, mut days) = (Want::default(), BTreeMap::new(), BTreeMap::new());
    for e in exports {
        for info in assistants(e) {
            all.add(table, info);
            models
                .entry(model_of(info))
                .or_insert_with(Want::default)
                .add(table, info);
            days.entry(utc_day(info))
                .or_insert_with(Want::default)
                .add(table, info);
            days.entry(format!("{} {}", utc_day(info), model_of(info)))
                .or_insert_with(Want::default)
                .add(table, info);
        }
    }
    (all, models, days)
}

fn check_breakdown(
    ctx: &str,
    doc: &Value,
    models: &BTreeMap<String, Want>,
    days: &BTreeMap<String, Want>,
) {
    let got_models = doc["models"].as_array().unwrap();
    assert_eq!(got_models.len(), models.len(), "{ctx}: models");
    for m in got_models {
        let key = m["model"].as_str().unwrap();
        check(&format!("{ctx} model {key}"), m, &models[key]);
    }
    for d in doc["daily"].as_array().unwrap() {
        let day = d["day"].as_str().unwrap();
        // The day's user messages count nothing here.
        check(&format!("{ctx} day {day}"), d, &days[day]);
        for m in d["models"].as_array().unwrap() {
            let key = format!("{day} {}", m["model"].as_str().unwrap());
            check(&format!("{ctx} day-model {key}"), m, &days[&key]);
        }
    }
}

#[test]
fn list_cost_is_the_tokens_at_the_tables_prices_beside_the_stored_cost() {
    let table = table();
    let fx = TestEnv::load("list-prices");
    let exports = fx.oracles();
    let ids: Vec<String> = exports.keys().cloned().collect();
    let out = fx.cmd().arg("dry-run").args(&ids).assert().success();
    let docs = json_lines(&out.get_output().stdout);
    assert_eq!(docs.len(), ids.len());
    let mut seen = BTreeMap::new();
    for doc in &docs {
        let id = doc["sessionId"].as_str().unwrap();
        let (own, models, days) = wants(&table, [&exports[id]]);
        check(id, doc, &own);
        check_breakdown(id, doc, &models, &days);
        let children: Vec<&Value> = exports
            .values()
            .filter(|e| e["info"]["parentID"] == id)
            .collect();
        if !children.is_empty() {
            let (below, models, days) = wants(&table, children);
            let sub = &doc["subagents"];
            check(&format!("{id} subagents"), sub, &below);
            check_breakdown(&format!("{id} subagents"), sub, &models, &days);
            assert!(below.list_cost > 0.0);
        }
        for m in doc["models"].as_array().unwrap() {
            seen.insert(m["model"].as_str().unwrap().to_string(), m.clone());
        }
    }
    // The paid key: opencode stored a cost, at the same list price.
    let paid = &seen["anthropic/claude-sonnet-4-5"];
    assert!(paid["cost"].as_f64().unwrap() > 0.0);
    assert!(close(
        paid["cost"].as_f64().unwrap(),
        paid["listCost"].as_f64().unwrap()
    ));
    // The subscription: nothing stored, worth its maker's list price.
    let sub = &seen["github-copilot/claude-sonnet-4.5"];
    assert_eq!(sub["cost"], 0.0);
    assert!(sub["listCost"].as_f64().unwrap() > 0.0, "{sub}");
    // The model no table knows: counted as unpriced, not worth $0.
    let unknown = &seen["fake/m1"];
    assert!(unknown["cost"].as_f64().unwrap() > 0.0);
    assert_eq!(unknown["unpricedMessages"], unknown["messages"]);
}

#[test]
fn report_rows_carry_list_cost_and_unpriced_messages_in_json_and_csv() {
    let table = table();
    let fx = TestEnv::load("list-prices");
    let exports = fx.oracles();
    let (_, models, days) = wants(&table, exports.values());
    let json = |by: &str| {
        let out = fx
            .cmd()
            .args(["report", "--utc", "--json", "--by", by])
            .assert()
            .success();
        json_lines(&out.get_output().stdout)
    };
    let rows = json("model");
    assert_eq!(rows.len(), models.len());
    for r in &rows {
        let key = r["key"].as_str().unwrap();
        check(&format!("--by model {key}"), r, &models[key]);
    }
    for r in json("day") {
        let day = r["key"].as_str().unwrap();
        check(&format!("--by day {day}"), &r, &days[day]);
        for m in r["models"].as_array().unwrap() {
            let key = format!("{day} {}", m["key"].as_str().unwrap());
            check(&format!("--by day {key}"), m, &days[&key]);
        }
    }
    let out = fx
        .cmd()
        .args(["report", "--utc", "--csv", "--by", "model"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (key, list, unpriced) = (col("key"), col("listCost"), col("unpricedMessages"));
    let mut n = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let w = &models[cells[key]];
        let got: f64 = cells[list].parse().unwrap();
        assert!(close(got, w.list_cost), "{line}");
        assert_eq!(cells[unpriced], w.unpriced.to_string(), "{line}");
        n += 1;
    }
    assert_eq!(n, models.len());
}

#[test]
fn on_every_store_unknown_models_are_unpriced_never_zero_and_cost_is_untouched() {
    let table = table();
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let exports = fx.oracles();
        let (all, models, _) = wants(&table, exports.values());
        let out = fx
            .cmd()
            .args(["report", "--json", "--by", "model"])
            .assert()
            .success();
        let rows = json_lines(&out.get_output().stdout);
        for r in &rows {
            let key = r["key"].as_str().unwrap();
            check(&format!("{name} {key}"), r, &models[key]);
        }
        let unpriced: u64 = rows
            .iter()
            .map(|r| r["unpricedMessages"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(unpriced, all.unpriced, "{name}");
        assert!(
            all.unpriced > 0,
            "{name}: every store has the scripted model"
        );
    }
}

#[test]
fn an_override_file_changes_list_cost_and_never_cost() {
    let fx = TestEnv::load("list-prices");
    let rates = fx.tmp.path().join("rates.toml");
    // Double anthropic's list price, and price the scripted model.
    std::fs::write(
        &rates,
        "[\"anthropic/claude-sonnet-4-5\"]\ninput = 6\noutput = 30\ncache_read = 0.6\ncache_write = 7.5\n\n[\"fake/m1\"]\ninput = 1\noutput = 1\n",
    )
    .unwrap();
    let report = |extra: &[&str]| {
        fx.json(&[extra, &["report", "--json", "--by", "model"]].concat())
            .into_iter()
            .map(|r| (r["key"].as_str().unwrap().to_string(), r))
            .collect::<BTreeMap<_, _>>()
    };
    let before = report(&[]);
    let after = report(&["--prices", rates.to_str().unwrap()]);
    for (key, b) in &before {
        let a = &after[key];
        assert_eq!(a["cost"], b["cost"], "{key}: cost is what opencode stored");
        if key != "fake/m1" {
            let (b, a) = (
                b["listCost"].as_f64().unwrap(),
                a["listCost"].as_f64().unwrap(),
            );
            assert!(close(a, 2.0 * b), "{key}: {a} vs {b}");
        }
    }
    let m1 = &after["fake/m1"];
    assert!(m1.get("unpricedMessages").is_none(), "{m1}");
    assert!(m1["listCost"].as_f64().unwrap() > 0.0);
    // The same file through dry-run.
    for doc in fx.json(&[
        "--prices",
        rates.to_str().unwrap(),
        "dry-run",
        "--all-complete",
    ]) {
        assert!(doc.get("unpricedMessages").is_none(), "{doc}");
    }
}

#[test]
fn a_huge_override_price_caps_list_cost_with_a_warning() {
    let fx = TestEnv::load("list-prices");
    let rates = fx.tmp.path().join("rates.json");
    std::fs::write(&rates, r#"{"fake/m1": {"input": 1e308, "output": 1e308}}"#).unwrap();
    let (out, err) = fx.ok(&[
        "--prices",
        rates.to_str().unwrap(),
        "dry-run",
        "--all-complete",
    ]);
    let docs = json_lines(out.as_bytes());
    let m1 = docs
        .iter()
        .find(|d| d["primaryModel"] == "fake/m1")
        .expect("the scripted model's session");
    assert_eq!(m1["listCost"].as_f64(), Some(f64::MAX));
    assert!(err.contains("capped"), "{err}");
}

/// Money as the table prints it: `$12.34`, below a cent `$0.0042`.
fn money(usd: f64) -> String {
    if usd != 0.0 && usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

/// A table's rows by name (`└ ` kept), each a map header -> cell.
fn table_cells(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let split = |line: &str| -> Vec<String> {
        line.trim_matches('│')
            .split('┆')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = text.lines().filter(|l| l.starts_with('│'));
    let head = split(lines.next().expect("a header"));
    lines
        .map(|l| {
            let cells = split(l);
            let row = head.iter().cloned().zip(cells.iter().cloned()).collect();
            (cells[0].clone(), row)
        })
        .collect()
}

#[test]
fn the_table_shows_list_price_beside_cost_and_marks_unpriced_replies() {
    let fx = TestEnv::load("list-prices");
    let run = |args: &[&str], columns: Option<&str>| {
        let mut c = fx.cmd();
        match columns {
            Some(n) => c.env("COLUMNS", n),
            None => c.env_remove("COLUMNS"),
        };
        let out = c.arg("report").arg("--utc").args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    for by in ["model", "day"] {
        let mut want = BTreeMap::new();
        for r in json_lines(run(&["--json", "--by", by], None).as_bytes()) {
            let key = r["key"].as_str().unwrap().to_string();
            for m in r["models"].as_array().into_iter().flatten() {
                want.insert(format!("└ {}", m["key"].as_str().unwrap()), m.clone());
            }
            want.insert(key, r);
        }
        for columns in ["80", "200"] {
            let text = run(&["--by", by], Some(columns));
            assert!(widest(&text) <= columns.parse().unwrap(), "{text}");
            let rows = table_cells(&text);
            // Every row of the JSON is in the table, its real model name whole.
            for (key, w) in &want {
                let row = rows.get(key).unwrap_or_else(|| panic!("{key}:\n{text}"));
                assert_eq!(row["Cost"], money(w["cost"].as_f64().unwrap()), "{text}");
                let list = money(w["listCost"].as_f64().unwrap());
                let shown = &row["List $"];
                match w["unpricedMessages"].as_u64() {
                    None => assert_eq!(shown, &list, "{key}:\n{text}"),
                    // The scripted model has no price: no figure, marked.
                    Some(_) if w["listCost"] == 0.0 => assert_eq!(shown, "–*", "{text}"),
                    Some(_) => assert_eq!(shown, &format!("{list}*"), "{key}:\n{text}"),
                }
            }
            // The subscription spent nothing and is worth something.
            let sub = rows
                .iter()
                .find(|(k, _)| k.ends_with("github-copilot/claude-sonnet-4.5"))
                .map(|(_, r)| r)
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(sub["Cost"], "$0.00", "{text}");
            assert_ne!(sub["List $"], "$0.00", "{text}");
            assert!(
                text.ends_with("* List $ leaves out 1 reply whose model has no list price\n"),
                "{text}"
            );
        }
    }
    // Session titles leave no room at 80: List $ gives way, Cost stays.
    let text = run(&["--by", "session"], Some("80"));
    assert!(
        text.contains("┆    Cost │") && !text.contains("List $ │"),
        "{text}"
    );
    assert!(text.contains("not shown (too narrow): ") && text.contains(", List $\n"));
    // The README shows the table by model at 80 columns.
    let text = run(&["--by", "model"], Some("80"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains(&text), "README.md shows:\n{text}");
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn the_team_report_carries_the_deployments_list_cost_to_json_csv_and_the_table() {
    let fx = TestEnv::load("list-prices");
    let local = |args: &[&str]| {
        let out = fx
            .cmd()
            .env("COLUMNS", "200")
            .args(["report", "--utc", "--by", "model"])
            .args(args)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    // A deployment on 127.0.0.1 answering `sessions:report` with the rows
    // this store gives (real model names, a subscription at cost 0, an
    // unpriced model), as the backend returns them.
    let rows = json_lines(local(&["--json"]).as_bytes());
    assert!(rows.iter().any(|r| r.get("unpricedMessages").is_some()));
    let deployment = |rows: Vec<Value>| {
        FakeServer::start(move |_, _| {
            Reply::json(
                200,
                serde_json::json!({"status": "success", "value": rows.clone()}),
            )
        })
    };
    let team = |server: &FakeServer, args: &[&str]| {
        let out = fx
            .cmd()
            .env("COLUMNS", "200")
            .env("SESSION_EXPORT_CONVEX_URL", &server.url)
            .env("SESSION_EXPORT_TOKEN", "tok-test-123456")
            .args(["report", "--convex", "--by", "model"])
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let server = deployment(rows.clone());
    // JSON: each row as the deployment sent it, listCost and
    // unpricedMessages included.
    assert_eq!(json_lines(team(&server, &["--json"]).as_bytes()), rows);
    // CSV: the same columns as the local report's.
    assert_eq!(team(&server, &["--csv"]), local(&["--csv"]));
    // The table: List $ beside Cost, marked, as the local table shows it.
    let text = team(&server, &[]);
    let (got, want) = (table_cells(&text), table_cells(&local(&[])));
    for r in &rows {
        let key = r["key"].as_str().unwrap();
        for column in ["Cost", "List $"] {
            assert_eq!(got[key][column], want[key][column], "{key}:\n{text}");
        }
    }
    assert_eq!(got["Total"]["List $"], want["Total"]["List $"], "{text}");
    assert!(
        text.contains("* List $ leaves out 1 reply whose model has no list price"),
        "{text}"
    );
    for request in server.requests.lock().unwrap().iter() {
        assert_eq!(request["path"], "sessions:report");
    }
    // A deployment that keeps no list price: no List $ column, no listCost.
    let old: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let o = r.as_object_mut().unwrap();
            o.remove("listCost");
            o.remove("unpricedMessages");
            r
        })
        .collect();
    let server = deployment(old.clone());
    assert_eq!(json_lines(team(&server, &["--json"]).as_bytes()), old);
    let text = team(&server, &[]);
    assert!(
        text.contains(" Cost │") && !text.contains("List $"),
        "{text}"
    );
}
