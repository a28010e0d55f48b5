//! The source's layout holds: no two modules of `src/` import each other,
//! directly or round a circle, nor do two files of one folder (`store/`,
//! `report/`, ...), so data flows one way (store -> document -> sink or
//! report) and each module can be read on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A file's code: comments (a doc comment may name any module) and its
/// unit tests (whose `super::*` is the file itself) left out.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        let l = l.trim_start();
        if l.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if !l.starts_with("//") {
            out.push(l);
        }
    }
    out.join("\n")
}

/// The first names of the paths after each `prefix` in `text`:
/// `crate::a::b` and `crate::{a, b::c}` name `a` (and `b`).
fn names_after<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(prefix) {
        // `super::` inside `crate::x::super::` is not a path of its own.
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        match rest.strip_prefix('{') {
            // `use crate::{a, b::c};`
            Some(group) => out.extend(
                group[..group.find('}').unwrap()]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap()),
            ),
            None => out.push(
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap(),
            ),
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

/// Top-level module -> the top-level modules it names as `crate::...`.
fn imports() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
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
        let text = code(path);
        let deps = graph.entry(module.clone()).or_default();
        for n in names_after(&text, "crate::") {
            if n != module {
                deps.insert(n.to_string());
            }
        }
    }
    graph
}

/// File -> the files of the same folder it uses, for the folder `dir`
/// (named `folder` below `src/`). `mod` is the folder's `mod.rs`: a file
/// that names an item of the folder that is not one of its files uses it.
fn folder_imports(dir: &Path, folder: &str) -> Graph {
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut graph = Graph::new();
    for file in &files {
        let text = code(&dir.join(format!("{file}.rs")));
        let deps = graph.entry(file.clone()).or_default();
        let mut names = names_after(&text, &format!("crate::{folder}::"));
        if file == "mod" {
            // Its files are named as `json::...`, after `mod json;`.
            for f in files.iter().filter(|f| *f != "mod") {
                if !names_after(&text, &format!("{f}::")).is_empty() {
                    deps.insert(f.clone());
                }
            }
        } else {
            names.extend(names_after(&text, "super::"));
        }
        for n in names {
            let to = if files.contains(n) { n } else { "mod" };
            if to != file {
                deps.insert(to.to_string());
            }
        }
    }
    graph
}

/// An import circle of `graph`, if it has one, as the path round it.
fn circle(graph: &Graph) -> Option<String> {
    // Depth-first search for a back edge.
    fn visit<'a>(
        m: &'a str,
        graph: &'a Graph,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            return Some(format!("{} -> {m}", path[at..].join(" -> ")));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

/// `graph` without the folder's `mod.rs`: its files may use what it
/// declares for them all (a trait, the shared types) while it uses them.
fn without_mod(mut graph: Graph) -> Graph {
    graph.remove("mod");
    for deps in graph.values_mut() {
        deps.remove("mod");
    }
    graph
}

/// Each folder of `src/` with its files' graph.
fn folders() -> Vec<(String, Graph)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name.clone(), folder_imports(&dir, &name)));
        }
    }
    out
}

#[test]
fn no_module_imports_round_a_circle() {
    let graph = imports();
    assert!(graph.len() > 10, "too few modules found: {graph:?}");
    if let Some(c) = circle(&graph) {
        panic!("import circle: {c}");
    }
}

#[test]
fn no_file_of_a_folder_imports_round_a_circle() {
    let folders = folders();
    assert!(folders.len() >= 4, "too few folders found: {folders:?}");
    for (name, graph) in folders {
        if let Some(c) = circle(&without_mod(graph)) {
            panic!("import circle in src/{name}/: {c}");
        }
    }
}

#[test]
fn the_store_s_readers_use_nothing_of_the_merged_view() {
    // The readers of each store format and the model they fill sit below
    // `store/mod.rs`, which merges them: a new format plugs in there.
    let (_, graph) = folders().into_iter().find(|(n, _)| n == "store").unwrap();
    assert!(graph.len() > 4, "too few files found: {graph:?}");
    if let Some(c) = circle(&graph) {
        panic!("import circle in src/store/: {c}");
    }
}

#[test]
fn the_checker_finds_a_circle_between_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "mod.rs",
        "mod a;\nmod b;\npub use a::A;\npub struct Shared;\n",
    );
    write(
        "a.rs",
        "// use super::c;\nuse super::{b::B, Shared};\npub struct A;\n",
    );
    write(
        "b.rs",
        "pub struct B(crate::f::c::C);\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
    );
    write("c.rs", "pub struct C(pub super::a::A);\n");
    let graph = folder_imports(dir.path(), "f");
    let edges = |f: &str| graph[f].iter().cloned().collect::<Vec<_>>().join(",");
    assert_eq!(
        [edges("mod"), edges("a"), edges("b"), edges("c")],
        ["a", "b,mod", "c", "a"].map(String::from),
        "{graph:?}"
    );
    assert_eq!(
        circle(&without_mod(graph.clone())).as_deref(),
        Some("a -> b -> c -> a")
    );
    let mut cut = graph;
    cut.get_mut("c").unwrap().clear();
    assert_eq!(circle(&without_mod(cut.clone())), None);
    assert_eq!(circle(&cut).as_deref(), Some("a -> mod -> a"));
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
