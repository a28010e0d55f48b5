//! Names from the store that are hostile to whoever reads the output:
//! terminal escapes in a title, an agent or a model id, a formula at the
//! start of a CSV cell, a model id of 80,000 characters. Put into a copy of
//! a fixture store written by real opencode 1.18.33.

mod common;

use common::{TestEnv, snapshot};
use std::time::{Duration, Instant};

/// An OSC 52 clipboard write and a screen clear.
const ESCAPES: &str = "\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[2J";

fn damaged() -> TestEnv {
    let fx = TestEnv::load("v1.18.33");
    fx.alter_db(|conn| {
        let long_model = "m".repeat(80_000);
        conn.execute("UPDATE session SET title = ?1", [format!("{ESCAPES}title")])
            .unwrap();
        conn.execute(
            "UPDATE message SET data = json_set(data, '$.agent', ?1) \
             WHERE json_extract(data, '$.role') = 'assistant'",
            ["=HYPERLINK(\"http://x\")"],
        )
        .unwrap();
        conn.execute(
            "UPDATE message SET data = json_set(data, '$.modelID', ?1) \
             WHERE json_extract(data, '$.role') = 'assistant' AND rowid % 2 = 0",
            [format!("{ESCAPES}{long_model}")],
        )
        .unwrap();
    });
    fx
}

fn run(fx: &TestEnv, args: &[&str]) -> String {
    fx.ok(args).0
}

#[test]
fn tables_escape_control_characters_and_cut_long_names_in_linear_time() {
    let fx = damaged();
    let before = snapshot(&fx.data);
    for args in [
        &["list", "-n", "0"][..],
        &["report", "--by", "model"],
        &["report", "--by", "agent"],
        &["report", "--by", "day"],
    ] {
        let started = Instant::now();
        let out = run(&fx, args);
        // Far below the 13 s such a table took; far above what it takes.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{args:?} took {:?}",
            started.elapsed()
        );
        let at = out.find('\u{1b}');
        assert!(
            at.is_none(),
            "{args:?} printed an escape: {:?}",
            at.map(|i| &out[i.saturating_sub(80)..i + 20])
        );
        assert!(!out.contains('\u{7}'), "{args:?} printed a bell");
        for line in out.lines() {
            assert!(
                line.chars().count() < 1000,
                "{args:?}: a line of {} chars",
                line.len()
            );
        }
    }
    let out = run(&fx, &["report", "--by", "model"]);
    assert!(out.contains("\\u{1b}]52"), "the escape is shown escaped");
    assert!(out.contains('…'), "the long model id is cut");
    assert_eq!(before, snapshot(&fx.data));
}

#[test]
fn csv_cells_that_start_a_formula_are_neutralised() {
    let fx = damaged();
    let out = run(&fx, &["report", "--by", "agent", "--csv"]);
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let keys: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(0).unwrap().to_string())
        .collect();
    assert!(
        keys.contains(&"'=HYPERLINK(\"http://x\")".to_string()),
        "{keys:?}"
    );
    assert!(keys.iter().all(|k| !k.starts_with('=')), "{keys:?}");
}
