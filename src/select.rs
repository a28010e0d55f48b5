//! Which sessions `--all-complete` picks, and how sessions relate.

use crate::document::TodoStats;
use crate::store::SessionInfo;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The sessions of a store, with parent/child links.
pub struct Catalog {
    pub sessions: Vec<SessionInfo>,
    children: HashMap<String, Vec<usize>>,
}

impl Catalog {
    pub fn new(mut sessions: Vec<SessionInfo>) -> Catalog {
        // Oldest first: a backfill reads like the history it replays.
        sessions.sort_by(SessionInfo::creation_order);
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in sessions.iter().enumerate() {
            if let Some(p) = &s.parent_id {
                children.entry(p.clone()).or_default().push(i);
            }
        }
        Catalog { sessions, children }
    }

    /// All sessions below `id` (children, their children, ...), each once.
    pub fn descendants(&self, id: &str) -> Vec<&SessionInfo> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([id]);
        let mut queue = vec![id];
        while let Some(cur) = queue.pop() {
            for &i in self.children.get(cur).into_iter().flatten() {
                let s = &self.sessions[i];
                if seen.insert(&s.id) {
                    out.push(s);
                    queue.push(&s.id);
                }
            }
        }
        out
    }
}

/// The `--all-complete` filter.
#[derive(Debug)]
pub struct Selection {
    since_ms: Option<i64>,
    project: Option<String>,
    project_dir: Option<PathBuf>,
    include_subagents: bool,
    /// Sessions not updated since this time count as ended.
    abandoned_before_ms: Option<i64>,
}

impl Selection {
    /// `since_ms`: only sessions updated at or after it; `abandoned_before_ms`:
    /// sessions not updated after it count as ended whatever their todos.
    pub fn new(
        since_ms: Option<i64>,
        project: Option<String>,
        include_subagents: bool,
        abandoned_before_ms: Option<i64>,
    ) -> Selection {
        let project_dir = project.as_deref().map(|p| {
            let p = Path::new(p);
            p.canonicalize()
                .or_else(|_| std::path::absolute(p))
                .unwrap_or_else(|_| p.to_path_buf())
        });
        Selection {
            since_ms,
            project,
            project_dir,
            include_subagents,
            abandoned_before_ms,
        }
    }

    /// Inside `--since` and `--project`.
    pub fn in_scope(&self, s: &SessionInfo) -> bool {
        if self.since_ms.is_some_and(|t| s.time_updated < t) {
            return false;
        }
        match &self.project {
            None => true,
            Some(p) => {
                s.project_id == *p
                    || self
                        .project_dir
                        .as_ref()
                        .is_some_and(|d| Path::new(&s.directory).starts_with(d))
            }
        }
    }

    /// No open todos, or idle past `--abandoned-after`.
    pub fn ended(&self, s: &SessionInfo, todos: &TodoStats) -> bool {
        todos.all_done()
            || self
                .abandoned_before_ms
                .is_some_and(|t| s.time_updated <= t)
    }

    /// `--project`, as the user typed it.
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }

    /// The options `in_scope` applies, as the user typed them.
    pub fn scope_options(&self) -> &'static str {
        match (self.since_ms.is_some(), self.project.is_some()) {
            (true, true) => "--since/--project",
            (true, false) => "--since",
            (false, true) => "--project",
            (false, false) => "the scope",
        }
    }

    pub fn include_subagents(&self) -> bool {
        self.include_subagents
    }
}

/// A fingerprint of everything a session's document is built from that can
/// be read without touching its messages: the session row, its todos, and
/// its descendants' update times, salted with what the document includes.
/// opencode touches the session row whenever a turn starts, so together
/// with the ledger's `settled` flag (no assistant message was still being
/// written) an equal key means an equal document.
pub fn change_key(
    info: &SessionInfo,
    todos: &[crate::store::Todo],
    descendants: &[&SessionInfo],
    salt: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(salt);
    put(&info.id);
    put(&info.time_updated.to_string());
    put(&format!("{:?}", info.time_archived));
    put(&format!("{:?}", info.summary));
    put(&info.title);
    put(&info.version);
    put(&info.directory);
    put(&info.project_id);
    put(info.parent_id.as_deref().unwrap_or(""));
    for t in todos {
        put(&t.content);
        put(t.status.as_str());
        put(&t.priority);
    }
    let mut below: Vec<(&str, i64)> = descendants
        .iter()
        .map(|d| (d.id.as_str(), d.time_updated))
        .collect();
    below.sort();
    for (id, updated) in below {
        put(id);
        put(&updated.to_string());
    }
    crate::hex::encode(&h.finalize()[..16])
}
