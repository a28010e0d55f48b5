//! The README's commands, literally: every ```sh block runs in a sandbox
//! whose HOME holds a copy of a real opencode store at the default place
//! (`~/.local/share/opencode`), with the built `session-export` on PATH and
//! the repository as the working directory. A block that cannot run here
//! says why in a `<!-- not run: reason -->` line right above it; the set-up
//! block (`<!-- setup -->`) is what `.ci/run` runs, literally.

mod common;

use std::path::Path;
use std::time::Duration;

struct Block {
    line: usize,
    code: String,
    /// `<!-- not run: ... -->` or `<!-- setup -->` above it.
    skip: Option<String>,
}

fn sh_blocks(readme: &str) -> Vec<Block> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```sh" {
            let above = if i > 0 { lines[i - 1].trim() } else { "" };
            let skip = above
                .strip_prefix("<!--")
                .and_then(|c| c.strip_suffix("-->"))
                .map(|c| c.trim().to_string());
            let start = i + 1;
            let end = (start..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .expect("a closed code block");
            blocks.push(Block {
                line: start,
                code: lines[start..end].join("\n"),
                skip,
            });
            i = end;
        }
        i += 1;
    }
    blocks
}

#[test]
fn every_shell_block_of_the_readme_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() >= 5, "the README shows commands");
    let mut setup = 0;
    let mut ran = 0;
    for b in &blocks {
        match b.skip.as_deref() {
            Some("setup") => {
                setup += 1;
                continue;
            }
            Some(reason) => {
                assert!(
                    reason.starts_with("not run: ") && reason.len() > "not run: ".len() + 10,
                    "README line {}: a skipped block needs `<!-- not run: <reason> -->`, not {reason:?}",
                    b.line
                );
                continue;
            }
            None => {}
        }
        // A fresh sandbox for each block, like a new reader's machine.
        let sandbox = tempfile::tempdir().unwrap();
        let home = sandbox.path().join("home");
        common::copy_dir(
            &common::fixtures_root().join("v1.18.33/data"),
            &home.join(".local/share/opencode"),
        );
        let bin_dir = assert_cmd::cargo::cargo_bin!("session-export")
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut child = std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &b.code])
            .current_dir(root)
            .env_clear()
            .env("PATH", path)
            .env("HOME", &home)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("README line {}: timed out:\n{}", b.line, b.code);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = child.wait_with_output().unwrap();
        assert!(
            status.success(),
            "README line {} failed ({status}):\n{}\n--- stderr:\n{}",
            b.line,
            b.code,
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert_eq!(setup, 1, "exactly one <!-- setup --> block");
    assert!(ran >= 3, "most blocks run");
}
