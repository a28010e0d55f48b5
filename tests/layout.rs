//! The source's layout holds: no two modules of `src/` import each other,
//! directly or round a circle, so data flows one way (store -> document ->
//! sink or report) and each module can be read on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules it names as `crate::...`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        // Code only: a doc comment may name any module.
        let text: String = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                // `use crate::{a, b::c};`
                Some(group) => group[..group.find('}').unwrap()]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap(),
                ],
            };
            for n in names.into_iter().filter(|n| !n.is_empty() && *n != module) {
                deps.insert(n.to_string());
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_round_a_circle() {
    let graph = imports();
    assert!(graph.len() > 10, "too few modules found: {graph:?}");
    // Depth-first search for a back edge.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("import circle: {} -> {m}", path[at..].join(" -> "));
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn data_flows_one_way() {
    let graph = imports();
    let uses = |a: &str, b: &str| graph.get(a).is_some_and(|d| d.contains(b));
    for lower in ["store", "document", "sink", "pipeline", "ledger"] {
        for upper in ["command", "settings", "cli"] {
            assert!(!uses(lower, upper), "{lower} must not depend on {upper}");
        }
    }
    assert!(
        !uses("store", "document"),
        "the store knows nothing of documents"
    );
    assert!(!uses("store", "sink") && !uses("document", "sink"));
}
