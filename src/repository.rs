//! Which git repository a project directory belongs to: its `origin`
//! remote, normalised to `host/owner/repo`. Read from `.git/config` (git
//! itself is never run), once per directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Repositories of directories already looked up.
#[derive(Debug, Default)]
pub struct Repositories {
    known: HashMap<String, Option<String>>,
}

impl Repositories {
    /// The normalised `origin` of the work tree holding `dir`, if any.
    pub fn of(&mut self, dir: &str) -> Option<&str> {
        if !self.known.contains_key(dir) {
            let found = origin(Path::new(dir));
            self.known.insert(dir.to_string(), found);
        }
        self.known.get(dir).and_then(|r| r.as_deref())
    }
}

/// The `origin` remote of the git work tree `dir` is in, normalised.
pub fn origin(dir: &Path) -> Option<String> {
    let git_dir = dir.ancestors().find_map(git_dir_of)?;
    // A linked work tree's own git dir names the shared one in `commondir`.
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => git_dir.join(c.trim()),
        Err(_) => git_dir,
    };
    let config = std::fs::read_to_string(common.join("config")).ok()?;
    normalise(&remote_url(&config, "origin")?)
}

/// The git dir of a work tree whose top is `dir`: `dir/.git`, or where a
/// `.git` file (`gitdir: ...`, in linked work trees and submodules) points.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let dot = dir.join(".git");
    let meta = std::fs::metadata(&dot).ok()?;
    if meta.is_dir() {
        return Some(dot);
    }
    let text = std::fs::read_to_string(&dot).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    Some(dir.join(target))
}

/// `remote.<name>.url` of a git config file.
fn remote_url(config: &str, name: &str) -> Option<String> {
    let mut inside = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            // [remote "origin"]: the section name is case-insensitive, the
            // subsection not.
            let head = line.trim_start_matches('[').split(']').next()?.trim();
            inside = match head.split_once(char::is_whitespace) {
                Some((section, sub)) => {
                    section.eq_ignore_ascii_case("remote") && sub.trim().trim_matches('"') == name
                }
                None => false,
            };
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim().eq_ignore_ascii_case("url")
        {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            return Some(value.to_string());
        }
    }
    None
}

/// `host/owner/repo` of a remote URL: `https://user:pw@host/owner/repo.git`,
/// `ssh://git@host:22/owner/repo` and `git@host:owner/repo.git` alike;
/// credentials, port and `.git` stripped. A local path has no host: `None`.
pub fn normalise(url: &str) -> Option<String> {
    let url = url.trim();
    let (authority, path) = match url.split_once("://") {
        Some((scheme, rest)) => {
            if scheme.eq_ignore_ascii_case("file") {
                return None;
            }
            rest.split_once('/').unwrap_or((rest, ""))
        }
        None => {
            // scp-like `[user@]host:path`: a colon before any slash.
            let colon = url.find(':')?;
            if url[..colon].contains('/') {
                return None;
            }
            (&url[..colon], &url[colon + 1..])
        }
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    };
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{}/{path}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_normalise_to_host_owner_repo() {
        for url in [
            "git@github.com:owner/repo.git",
            "https://user:pw@github.com/owner/repo.git",
            "ssh://git@github.com:22/owner/repo",
            "https://GitHub.com/owner/repo/",
            "git+ssh://git@github.com/owner/repo.git",
        ] {
            assert_eq!(
                normalise(url).as_deref(),
                Some("github.com/owner/repo"),
                "{url}"
            );
        }
        assert_eq!(normalise("/srv/git/repo.git"), None);
        assert_eq!(normalise("file:///srv/git/repo.git"), None);
        assert_eq!(normalise("./relative/path"), None);
    }

    #[test]
    fn origin_is_read_from_the_config_of_a_work_tree_or_a_linked_one() {
        let tmp = tempfile::tempdir().unwrap();
        let main = tmp.path().join("main");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::create_dir_all(main.join("src/deep")).unwrap();
        std::fs::write(
            main.join(".git/config"),
            "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = git@example.org:x/y.git\n[Remote \"origin\"]\n\turl = https://tok:secret@Example.org/team/app.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
        )
        .unwrap();
        std::fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        let wt = tmp.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", main.join(".git/worktrees/wt").display()),
        )
        .unwrap();
        let want = Some("example.org/team/app".to_string());
        assert_eq!(origin(&main), want);
        assert_eq!(origin(&main.join("src/deep")), want, "a subdirectory");
        assert_eq!(origin(&wt), want, "a linked work tree");
        assert_eq!(origin(&tmp.path().join("missing")), None);
        let mut cache = Repositories::default();
        assert_eq!(
            cache.of(main.to_str().unwrap()),
            Some("example.org/team/app")
        );
        std::fs::remove_dir_all(main.join(".git")).unwrap();
        assert_eq!(
            cache.of(main.to_str().unwrap()),
            Some("example.org/team/app"),
            "looked up once per directory"
        );
    }
}
