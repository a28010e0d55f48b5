//! The analytics document: one per session, in the shape the Convex schema
//! pins (see `backend/convex/schema.ts`).

use crate::redact::{redact, redact_json};
use crate::store::{MessageMeta, Role, SessionInfo, Todo, TodoStatus, ToolTallies, ToolTally};
pub use crate::usage::TokenTotals;
use crate::usage::{AgentUsage, Amount, DayUsage, ModelUsage, Usage, add_usd, capped, is_zero};
use serde::Serialize;

/// Bumped when a field changes meaning or type.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub schema_version: u32,
    pub session_id: String,
    pub device_id: String,
    pub hostname: String,
    pub opencode_version: String,
    pub plugin_version: String,
    pub project_directory: String,
    pub project_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    pub exported_at: i64,
    pub message_count: u64,
    pub user_message_count: u64,
    pub assistant_message_count: u64,
    pub agents_used: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_agent: Option<String>,
    pub models_used: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_model: Option<String>,
    pub tokens: TokenTotals,
    /// What opencode stored: the spend (0 for a subscription or free model).
    pub cost: f64,
    /// The same tokens at their model's list price (see [`crate::prices`]):
    /// what the usage is worth, not a bill.
    pub list_cost: f64,
    /// Assistant messages whose model has no list price, so are in no
    /// `list_cost`; omitted when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_messages: u64,
    /// The session's own assistant messages by model, in order of first use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<ModelUsage>,
    /// The session's own messages by agent, in order of first use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentUsage>,
    /// How long the model worked: the sum of `time.completed - time.created`
    /// over the session's own assistant messages.
    pub active_ms: i64,
    /// The project directory's git `origin`, as `host/owner/repo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The session's own usage by UTC day.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub daily: Vec<DayUsage>,
    pub error_count: u64,
    pub todo_stats: TodoStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_changes: Option<CodeChanges>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subagents: Option<Subagents>,
    /// The session's own tool calls by tool, most called first; only with
    /// `--include-tools` (it means reading every part).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolTally>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub todos_json: Option<String>,
    /// Set when `messagesJson` was trimmed or dropped to fit a size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_json_truncated: Option<bool>,
    /// Set when `projectDirectory` holds a hash of the path (`--hash-paths`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_directory_hashed: Option<bool>,
}

impl Document {
    /// Whether a cost, token or time sum reached the largest number it can
    /// hold and stopped there (every other sum is part of these).
    pub fn capped(&self) -> bool {
        capped(self.cost, &self.tokens)
            || self.list_cost == f64::MAX
            || self.active_ms == i64::MAX
            || self.subagents.as_ref().is_some_and(|s| {
                capped(s.cost, &s.tokens) || s.list_cost == f64::MAX || s.active_ms == i64::MAX
            })
    }

    /// Make the serialized document fit in `limit` bytes by trimming the
    /// transcript: the leading messages that fit stay, the rest go, and the
    /// document is marked. Returns false when it cannot fit even without a
    /// transcript.
    pub fn fit(&mut self, limit: usize) -> bool {
        let size = |d: &Document| serde_json::to_vec(d).map_or(usize::MAX, |v| v.len());
        let total = size(self);
        if total <= limit {
            return true;
        }
        let Some(messages) = self.messages_json.take() else {
            return false;
        };
        self.messages_json_truncated = Some(true);
        let without = size(self);
        // Room for the string's escaped contents, its quotes and key.
        let room = limit.saturating_sub(without + r#","messagesJson":"""#.len() + 2);
        let items: Vec<serde_json::Value> = serde_json::from_str(&messages).unwrap_or_default();
        let mut kept = Vec::new();
        let mut used = 2; // []
        for item in items {
            let text = item.to_string();
            // Escaped size inside the outer JSON string, plus a comma.
            let cost = serde_json::to_string(&text).map_or(usize::MAX, |t| t.len() - 2) + 1;
            if used + cost > room {
                break;
            }
            used += cost;
            kept.push(item);
        }
        if !kept.is_empty() {
            self.messages_json = Some(serde_json::Value::Array(kept).to_string());
        }
        size(self) <= limit
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TodoStats {
    pub total: u64,
    pub completed: u64,
    pub cancelled: u64,
    /// `pending` and `in_progress`.
    pub pending: u64,
}

impl TodoStats {
    pub fn of(todos: &[Todo]) -> TodoStats {
        let mut s = TodoStats {
            total: todos.len() as u64,
            ..TodoStats::default()
        };
        for t in todos {
            match t.status {
                TodoStatus::Completed => s.completed += 1,
                TodoStatus::Cancelled => s.cancelled += 1,
                TodoStatus::Pending | TodoStatus::InProgress => s.pending += 1,
                TodoStatus::Other(_) => {}
            }
        }
        s
    }

    /// No todo is still open.
    pub fn all_done(&self) -> bool {
        self.pending == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeChanges {
    pub additions: u64,
    pub deletions: u64,
    pub files_changed: u64,
}

/// What a session's subagents (all descendants) did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subagents {
    pub session_count: u64,
    pub message_count: u64,
    pub cost: f64,
    pub list_cost: f64,
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_messages: u64,
    pub tokens: TokenTotals,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<ModelUsage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentUsage>,
    pub active_ms: i64,
    /// `sessions` counts the distinct descendant sessions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub daily: Vec<DayUsage>,
}

/// Counts over one session's messages.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub messages: u64,
    pub user: u64,
    pub assistant: u64,
    pub tokens: TokenTotals,
    pub cost: f64,
    pub list_cost: f64,
    pub unpriced: u64,
    pub errors: u64,
    /// By model, agent and day (also the agents and models used, in order
    /// of first use, with how many messages each).
    pub usage: Usage,
}

impl Stats {
    /// Count one more message.
    pub fn add(&mut self, meta: &MessageMeta<'_>) {
        let amount = self.usage.add(meta);
        self.messages += 1;
        match meta.role {
            Role::User => self.user += 1,
            Role::Assistant => {
                self.assistant += 1;
                self.tokens.add(&amount.tokens);
                self.cost = add_usd(self.cost, amount.cost);
                self.list_cost = add_usd(self.list_cost, amount.list_cost);
                self.unpriced = self.unpriced.saturating_add(amount.unpriced);
                if meta.error.is_some() {
                    self.errors += 1;
                }
            }
            Role::Other => {}
        }
    }
}

/// Everything a document needs from a session's messages, collected as the
/// store hands them over one by one.
#[derive(Debug, Default)]
pub struct Collected {
    pub stats: Stats,
    /// Some assistant message was still being written.
    pub in_flight: bool,
    /// The user messages' per-turn file diffs: totals and distinct files.
    diff_files: std::collections::BTreeSet<String>,
    diff_additions: u64,
    diff_deletions: u64,
    /// `{"info", "parts"}` per message, when the transcript was asked for.
    pub transcript: Vec<serde_json::Value>,
    /// The session's tool calls, when they were asked for.
    pub tools: ToolTallies,
}

impl Collected {
    /// Take in one message (`now_ms` decides whether an unfinished one is
    /// still being written).
    pub fn add(
        &mut self,
        meta: &MessageMeta<'_>,
        transcript: Option<serde_json::Value>,
        now_ms: i64,
    ) {
        self.stats.add(meta);
        self.in_flight |= meta.in_flight(now_ms);
        if meta.role == Role::User {
            for d in meta.summary.iter().flat_map(|s| &s.diffs) {
                self.diff_additions = self.diff_additions.saturating_add(d.additions);
                self.diff_deletions = self.diff_deletions.saturating_add(d.deletions);
                if let Some(f) = &d.file
                    && !self.diff_files.contains(f.as_ref())
                {
                    self.diff_files.insert(f.to_string());
                }
            }
        }
        self.transcript.extend(transcript);
    }
}

/// Count one more use of the name `is` recognises; `name` makes it when it
/// is new (so a known name costs no allocation).
/// The most frequent name; ties go to the one used first.
fn most_used(counts: &[(String, Amount)]) -> Option<String> {
    let mut best: Option<&(String, Amount)> = None;
    for e in counts {
        if best.is_none_or(|b| e.1.messages > b.1.messages) {
            best = Some(e);
        }
    }
    best.map(|(n, _)| n.clone())
}

/// opencode's session summary of code changes; where it is missing or zero
/// (opencode 1.16+ leaves it at 0/0/0) but the user messages' per-turn
/// file diffs record changes, their totals over distinct files.
fn code_changes(info: &SessionInfo, c: &Collected) -> Option<CodeChanges> {
    let recorded = info.summary.map(|s| CodeChanges {
        additions: s.additions,
        deletions: s.deletions,
        files_changed: s.files,
    });
    if recorded.is_some_and(|c| c.additions != 0 || c.deletions != 0 || c.files_changed != 0) {
        return recorded;
    }
    if c.diff_files.is_empty() && c.diff_additions == 0 && c.diff_deletions == 0 {
        return recorded;
    }
    Some(CodeChanges {
        additions: c.diff_additions,
        deletions: c.diff_deletions,
        files_changed: c.diff_files.len() as u64,
    })
}

/// Who is exporting, and when.
#[derive(Debug, Clone)]
pub struct Origin {
    pub device_id: String,
    pub hostname: String,
    pub exported_at: i64,
}

/// What to put into the document besides the summary.
#[derive(Debug, Clone, Copy)]
pub struct Content {
    /// The transcript (`messagesJson`) and title, with secrets masked.
    pub messages: bool,
    pub todos: bool,
    /// A hash instead of the project directory's path.
    pub hash_paths: bool,
    /// Calls, errors and time per tool (`tools`), read from every part.
    pub tools: bool,
}

impl Content {
    /// What, besides the store, decides a document's content: the
    /// exporter's version and the content switches. Part of every change
    /// key, so changing any of them sends everything again.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}/{}/messages={}/todos={}/hash_paths={}{}",
            env!("CARGO_PKG_VERSION"),
            SCHEMA_VERSION,
            self.messages,
            self.todos,
            self.hash_paths,
            // Named only when on, so the keys of exports without it stay
            // what they were.
            if self.tools { "/tools=true" } else { "" }
        )
    }
}

/// A stable stand-in for a path: `sha256:` and 32 hex digits of its SHA-256.
pub fn hash_path(path: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(path.as_bytes());
    format!("sha256:{}", crate::hex::encode(&digest[..16]))
}

/// Build the document of `info` from its content and the stats of all its
/// descendants (subagent sessions at any depth); `repository` is the
/// normalised `origin` of its project directory.
pub fn build(
    info: &SessionInfo,
    collected: &Collected,
    todos: &[Todo],
    descendants: &[Stats],
    repository: Option<&str>,
    origin: &Origin,
    include: Content,
) -> Document {
    let stats = &collected.stats;
    let subagents = (!descendants.is_empty()).then(|| {
        let mut r = Subagents {
            session_count: descendants.len() as u64,
            ..Subagents::default()
        };
        let mut usage = Usage::default();
        for d in descendants {
            r.message_count = r.message_count.saturating_add(d.messages);
            r.cost = add_usd(r.cost, d.cost);
            r.list_cost = add_usd(r.list_cost, d.list_cost);
            r.unpriced_messages = r.unpriced_messages.saturating_add(d.unpriced);
            r.tokens.add(&d.tokens);
            usage.merge(&d.usage);
        }
        r.models = usage.model_list();
        r.agents = usage.agent_list();
        r.active_ms = usage.active_ms;
        r.daily = usage.daily();
        r
    });
    let hashed = |p: &str| {
        if include.hash_paths {
            hash_path(p)
        } else {
            p.to_string()
        }
    };
    let messages_json = include.messages.then(|| {
        let transcript: Vec<serde_json::Value> = collected
            .transcript
            .iter()
            .cloned()
            .map(|mut t| {
                redact_json(&mut t);
                t
            })
            .collect();
        serde_json::to_string(&transcript).expect("a JSON value serializes")
    });
    Document {
        schema_version: SCHEMA_VERSION,
        session_id: info.id.clone(),
        device_id: origin.device_id.clone(),
        hostname: origin.hostname.clone(),
        opencode_version: info.version.clone(),
        plugin_version: env!("CARGO_PKG_VERSION").to_string(),
        project_directory: hashed(&info.directory),
        project_id: info.project_id.clone(),
        parent_session_id: info.parent_id.clone(),
        // The title is written from the first prompt: content, so it
        // travels only with the messages.
        title: include
            .messages
            .then(|| redact(&info.title).into_owned())
            .filter(|t| !t.is_empty()),
        created_at: info.time_created,
        updated_at: info.time_updated,
        archived_at: info.time_archived,
        exported_at: origin.exported_at,
        message_count: stats.messages,
        user_message_count: stats.user,
        assistant_message_count: stats.assistant,
        agents_used: stats.usage.agents.iter().map(|(n, _)| n.clone()).collect(),
        primary_agent: most_used(&stats.usage.agents),
        models_used: stats.usage.models.iter().map(|(n, _)| n.clone()).collect(),
        primary_model: most_used(&stats.usage.models),
        tokens: stats.tokens,
        cost: stats.cost,
        list_cost: stats.list_cost,
        unpriced_messages: stats.unpriced,
        models: stats.usage.model_list(),
        agents: stats.usage.agent_list(),
        active_ms: stats.usage.active_ms,
        repository: repository.map(hashed),
        daily: stats.usage.daily(),
        error_count: stats.errors,
        todo_stats: TodoStats::of(todos),
        code_changes: code_changes(info, collected),
        subagents,
        tools: include.tools.then(|| collected.tools.sorted()),
        messages_json,
        todos_json: include
            .todos
            .then(|| serde_json::to_string(todos).expect("todos serialize")),
        messages_json_truncated: None,
        project_directory_hashed: include.hash_paths.then_some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_document(messages: usize, text: usize) -> Document {
        let transcript: Vec<serde_json::Value> = (0..messages)
            .map(|i| serde_json::json!({"info": {"id": format!("msg_{i}")}, "parts": [{"type": "text", "text": "x\"y".repeat(text)}]}))
            .collect();
        Document {
            schema_version: SCHEMA_VERSION,
            session_id: "ses_x".into(),
            device_id: "d".into(),
            hostname: "h".into(),
            opencode_version: "1".into(),
            plugin_version: "1".into(),
            project_directory: "/p".into(),
            project_id: "p".into(),
            parent_session_id: None,
            title: None,
            created_at: 1,
            updated_at: 2,
            archived_at: None,
            exported_at: 3,
            message_count: messages as u64,
            user_message_count: 0,
            assistant_message_count: 0,
            agents_used: vec![],
            primary_agent: None,
            models_used: vec![],
            primary_model: None,
            tokens: TokenTotals::default(),
            cost: 0.0,
            list_cost: 0.0,
            unpriced_messages: 0,
            models: vec![],
            agents: vec![],
            active_ms: 0,
            repository: None,
            daily: vec![],
            error_count: 0,
            todo_stats: TodoStats::default(),
            code_changes: None,
            subagents: None,
            tools: None,
            messages_json: Some(serde_json::to_string(&transcript).unwrap()),
            todos_json: Some("[]".into()),
            messages_json_truncated: None,
            project_directory_hashed: None,
        }
    }

    #[test]
    fn an_oversized_transcript_is_trimmed_to_fit_and_marked() {
        let limit = 900 * 1024;
        let mut d = big_document(400, 1000); // ~400 messages of ~5 KB escaped
        assert!(serde_json::to_vec(&d).unwrap().len() > limit);
        assert!(d.fit(limit));
        assert!(serde_json::to_vec(&d).unwrap().len() <= limit);
        assert_eq!(d.messages_json_truncated, Some(true));
        let kept: Vec<serde_json::Value> =
            serde_json::from_str(d.messages_json.as_deref().unwrap()).unwrap();
        assert!(kept.len() > 100 && kept.len() < 400, "{}", kept.len());
        assert_eq!(kept[0]["info"]["id"], "msg_0", "the leading messages stay");
        // A document that fits is left alone.
        let mut small = big_document(3, 10);
        let before = serde_json::to_string(&small).unwrap();
        assert!(small.fit(limit));
        assert_eq!(serde_json::to_string(&small).unwrap(), before);
    }

    #[test]
    fn a_single_giant_message_is_dropped_and_marked() {
        let mut d = big_document(1, 400_000);
        assert!(d.fit(900 * 1024));
        assert_eq!(d.messages_json, None);
        assert_eq!(d.messages_json_truncated, Some(true));
    }

    #[test]
    fn the_repository_is_hashed_like_the_directory() {
        let info = SessionInfo {
            id: "ses_x".into(),
            project_id: "p".into(),
            parent_id: None,
            directory: "/home/me/app".into(),
            title: String::new(),
            version: "1".into(),
            time_created: 1,
            time_updated: 2,
            time_archived: None,
            summary: None,
            source: crate::store::Source::Db,
        };
        let origin = Origin {
            device_id: "d".into(),
            hostname: "h".into(),
            exported_at: 3,
        };
        let mut include = Content {
            messages: false,
            todos: false,
            hash_paths: false,
            tools: false,
        };
        let build = |repo, include| {
            super::build(
                &info,
                &Collected::default(),
                &[],
                &[],
                repo,
                &origin,
                include,
            )
        };
        let plain = build(Some("github.com/o/app"), include);
        assert_eq!(plain.repository.as_deref(), Some("github.com/o/app"));
        include.hash_paths = true;
        let hashed = build(Some("github.com/o/app"), include);
        assert_eq!(hashed.repository, Some(hash_path("github.com/o/app")));
        assert_eq!(hashed.project_directory, hash_path("/home/me/app"));
        let none = serde_json::to_value(build(None, include)).unwrap();
        for key in ["repository", "models", "agents", "daily", "tools"] {
            assert!(none.get(key).is_none(), "{key} is omitted when empty");
        }
        assert_eq!(none["activeMs"], 0);
    }

    #[test]
    fn tools_change_the_fingerprint_only_when_on() {
        let off = Content {
            messages: false,
            todos: true,
            hash_paths: false,
            tools: false,
        };
        // What exports without tools recorded before the switch existed.
        assert_eq!(
            off.fingerprint(),
            format!(
                "{}/{SCHEMA_VERSION}/messages=false/todos=true/hash_paths=false",
                env!("CARGO_PKG_VERSION")
            )
        );
        let on = Content { tools: true, ..off };
        assert_ne!(on.fingerprint(), off.fingerprint());
    }

    #[test]
    fn ties_go_to_the_first_used() {
        let n = |name: &str, messages| {
            (
                name.to_string(),
                Amount {
                    messages,
                    ..Amount::default()
                },
            )
        };
        let c = vec![n("build", 2), n("plan", 2), n("x", 1)];
        assert_eq!(most_used(&c).as_deref(), Some("build"));
        let c = vec![n("build", 1), n("plan", 2)];
        assert_eq!(most_used(&c).as_deref(), Some("plan"));
        assert_eq!(most_used(&[]), None);
    }

    #[test]
    fn in_progress_counts_as_pending_and_unknown_only_in_total() {
        let todo = |s: &str| Todo {
            id: None,
            content: String::new(),
            status: s.to_string().into(),
            priority: String::new(),
        };
        let s = TodoStats::of(&[
            todo("pending"),
            todo("in_progress"),
            todo("completed"),
            todo("cancelled"),
            todo("weird"),
        ]);
        assert_eq!(
            s,
            TodoStats {
                total: 5,
                completed: 1,
                cancelled: 1,
                pending: 2
            }
        );
        assert!(!s.all_done());
    }
}
