//! The checked-in completion scripts and man page are what the current CLI
//! generates.
//! Regenerate them with `UPDATE_COMPLETIONS=1 cargo test --test cli_completions`.

mod common;

use std::path::Path;

const SCRIPTS: [(&str, &str); 6] = [
    ("bash", "session-export.bash"),
    ("zsh", "_session-export"),
    ("fish", "session-export.fish"),
    ("elvish", "session-export.elv"),
    ("powershell", "_session-export.ps1"),
    ("man", "session-export.1"),
];

#[test]
fn checked_in_completions_match_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    for (shell, file) in SCRIPTS {
        let args: &[&str] = match shell {
            "man" => &["man"],
            _ => &["completions", shell],
        };
        let out = common::bin(tmp.path()).args(args).assert().success();
        let generated = &out.get_output().stdout;
        assert!(!generated.is_empty());
        let path = dir.join(file);
        if update {
            std::fs::write(&path, generated).unwrap();
            continue;
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == *generated,
            "{} is stale: run `UPDATE_COMPLETIONS=1 cargo test --test cli_completions`",
            path.display()
        );
    }
}
