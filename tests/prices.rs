//! `prices`: the shipped table, the match rules, the models of a store
//! written by real opencode, and the user's override file (flag and config
//! key, TOML and JSON, and what a bad one says).

mod common;

use common::{TestEnv, bin, fixture_names, snapshot};
use std::collections::BTreeMap;
use std::path::Path;

/// The table's rows by model: the cells after MODEL.
fn rows(stdout: &[u8]) -> BTreeMap<String, Vec<String>> {
    let text = std::str::from_utf8(stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("USD per million tokens"));
    let head = lines.next().unwrap();
    assert!(head.starts_with("MODEL"), "{head}");
    let from = head.find("FROM").unwrap();
    lines
        .map(|l| {
            let (cells, origin) = l.split_at(from);
            let mut cells: Vec<String> = cells.split_whitespace().map(str::to_string).collect();
            let model = cells.remove(0);
            cells.push(origin.to_string());
            (model, cells)
        })
        .collect()
}

fn prices(scratch: &Path, args: &[&str]) -> BTreeMap<String, Vec<String>> {
    let out = bin(scratch).arg("prices").args(args).assert().success();
    rows(&out.get_output().stdout)
}

#[test]
fn info_names_the_snapshot_and_its_date() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(tmp.path())
        .args(["prices", "--info"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("source:    LiteLLM 1.110.2"), "{text}");
    let date = text
        .lines()
        .find_map(|l| l.strip_prefix("snapshot:  "))
        .unwrap();
    assert!(
        jiff::civil::Date::strptime("%Y-%m-%d", date).is_ok(),
        "{date}"
    );
    assert!(text.contains("override:  none"), "{text}");
}

#[test]
fn models_are_matched_exactly_normalised_then_at_their_maker() {
    let tmp = tempfile::tempdir().unwrap();
    let got = prices(
        tmp.path(),
        &[
            "anthropic/claude-sonnet-4-5",
            "openai/gpt-4o",
            "anthropic/Claude-Sonnet-4-5-20991231",
            "github-copilot/claude-sonnet-4-5",
            "github-copilot/claude-sonnet-4.5",
            "fake/m1",
        ],
    );
    let row = |m: &str| {
        got.get(m)
            .unwrap_or_else(|| panic!("no row for {m}: {got:?}"))
    };
    assert_eq!(
        row("anthropic/claude-sonnet-4-5")[..4],
        ["3", "15", "0.3", "3.75"]
    );
    assert!(row("anthropic/claude-sonnet-4-5")[4].starts_with("snapshot 20"));
    assert_eq!(row("openai/gpt-4o")[..4], ["2.5", "10", "1.25", "-"]);
    let dated = row("anthropic/Claude-Sonnet-4-5-20991231");
    assert_eq!(dated[..4], ["3", "15", "0.3", "3.75"]);
    assert!(
        dated[4].contains("as anthropic/claude-sonnet-4-5 (normalised)"),
        "{dated:?}"
    );
    for copilot in [
        "github-copilot/claude-sonnet-4-5",
        "github-copilot/claude-sonnet-4.5",
    ] {
        let r = row(copilot);
        assert_eq!(r[..4], ["3", "15", "0.3", "3.75"]);
        assert!(
            r[4].contains("as anthropic/claude-sonnet-4-5 (maker)"),
            "{r:?}"
        );
    }
    let unknown = row("fake/m1");
    assert_eq!(unknown[..4], ["-", "-", "-", "-"]);
    assert!(unknown[4].starts_with("unpriced"), "{unknown:?}");
}

/// Assistant messages by `provider/model`, counted from what `opencode
/// export` printed.
fn oracle_models(fx: &TestEnv) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for export in fx.oracles().values() {
        for m in export["messages"].as_array().unwrap() {
            let i = &m["info"];
            if i["role"] == "assistant"
                && let (Some(p), Some(id)) = (i["providerID"].as_str(), i["modelID"].as_str())
            {
                *counts.entry(format!("{p}/{id}")).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[test]
fn without_models_the_stores_models_are_listed_and_the_unpriced_counted() {
    for name in fixture_names() {
        let fx = TestEnv::load(&name);
        let before = snapshot(&fx.data);
        let out = fx.cmd().arg("prices").assert().success();
        let got = rows(&out.get_output().stdout);
        let want = oracle_models(&fx);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{name}"
        );
        let mut unpriced = 0;
        for (model, n) in &want {
            let r = &got[model];
            assert_eq!(r[4], n.to_string(), "{name} {model}");
            // The scripted provider's model is in no table; the real names
            // of the list-prices store are.
            let known = model.contains("claude-sonnet-4");
            assert_eq!(
                r[5].starts_with("unpriced"),
                !known,
                "{name} {model}: {r:?}"
            );
            if !known {
                unpriced += n;
            }
        }
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        // One unpriced model on every store: the scripted provider's.
        let counted = match unpriced {
            1 => "has no list price (its 1 message is counted as unpriced); give it one".into(),
            n => {
                format!("has no list price (its {n} messages are counted as unpriced); give it one")
            }
        };
        assert!(err.contains(&counted), "{name}: {err}");
        assert!(before == snapshot(&fx.data), "{name}: the store changed");
    }
}

#[test]
fn an_override_file_beats_the_table_in_toml_or_json() {
    let fx = TestEnv::load("v1.18.33");
    let toml = fx.tmp.path().join("rates.toml");
    std::fs::write(
        &toml,
        "# negotiated\n[\"anthropic/claude-sonnet-4-5\"]\ninput = 2\noutput = 11\ncache_read = 0.2\ncache_write = 2.5\n\n[\"fake/m1\"]\ninput = 1\noutput = 4\n",
    )
    .unwrap();
    let got = prices(
        fx.tmp.path(),
        &[
            "--prices",
            toml.to_str().unwrap(),
            "anthropic/claude-sonnet-4-5",
            "github-copilot/claude-sonnet-4.5",
            "openai/gpt-4o",
        ],
    );
    let shown = format!("override {}", toml.display());
    assert_eq!(
        got["anthropic/claude-sonnet-4-5"][..4],
        ["2", "11", "0.2", "2.5"]
    );
    assert_eq!(got["anthropic/claude-sonnet-4-5"][4], shown);
    // The maker's negotiated rate prices the subscription's usage too.
    assert_eq!(got["github-copilot/claude-sonnet-4.5"][..2], ["2", "11"]);
    assert!(got["openai/gpt-4o"][4].starts_with("snapshot"));

    // The store's model, priced by the override: no longer unpriced.
    let out = fx
        .cmd()
        .args(["prices", "--prices", toml.to_str().unwrap()])
        .assert()
        .success();
    let got = rows(&out.get_output().stdout);
    assert_eq!(got["fake/m1"][..4], ["1", "4", "-", "-"]);
    assert!(out.get_output().stderr.is_empty());

    // The config key, in JSON, relative to the config file's directory;
    // --prices beats it.
    let config = fx.tmp.path().join("config/session-export");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "prices = \"rates.json\"\n").unwrap();
    std::fs::write(
        config.join("rates.json"),
        r#"{"fake/m1": {"input": 0.5, "output": 1.5, "cache_read": 0.05, "cache_write": 0.6}}"#,
    )
    .unwrap();
    let got = prices(fx.tmp.path(), &["fake/m1"]);
    assert_eq!(got["fake/m1"][..4], ["0.5", "1.5", "0.05", "0.6"]);
    assert!(
        got["fake/m1"][4].ends_with("rates.json"),
        "{:?}",
        got["fake/m1"]
    );
    let got = prices(
        fx.tmp.path(),
        &["--prices", toml.to_str().unwrap(), "fake/m1"],
    );
    assert_eq!(got["fake/m1"][..2], ["1", "4"]);
    let out = bin(fx.tmp.path())
        .args(["prices", "--info"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("rates.json (1 models)"), "{text}");
}

#[test]
fn a_bad_override_file_is_a_one_line_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "typo.toml",
            "[\"x/y\"]\ninput = 1\noutput = 2\ncache-read = 1\n",
            "cache-read",
        ),
        ("missing.toml", "[\"x/y\"]\ninput = 1\n", "output"),
        (
            "negative.json",
            r#"{"x/y": {"input": -3, "output": 1}}"#,
            "input is -3",
        ),
        ("broken.json", r#"{"x/y": {"input": 1,"#, "invalid JSON"),
        ("absent.toml", "", "cannot read it"),
    ];
    for (file, text, says) in cases {
        let path = tmp.path().join(file);
        if file != "absent.toml" {
            std::fs::write(&path, text).unwrap();
        }
        let out = bin(tmp.path())
            .args(["prices", "--prices", path.to_str().unwrap(), "x/y"])
            .assert()
            .code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{file}: {err}");
        assert!(
            err.starts_with(&format!("error: price file {}", path.display())) && err.contains(says),
            "{file}: {err}"
        );
        assert!(out.get_output().stdout.is_empty(), "{file}");
    }
}
