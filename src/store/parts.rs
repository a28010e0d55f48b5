//! Tool calls: the `tool` parts of a session's messages (`part` rows of
//! the database, `storage/part/<messageID>/*.json` of the JSON store).
//!
//! Parts are about ten times the bytes of the messages, so they are only
//! read when asked, one part at a time: nothing of a session is held but
//! the part being parsed. A part that does not parse, or a tool part
//! without a tool name or with an unknown status, is skipped with one
//! warning naming it.

use super::json::{self, Bounded};
use super::sqlite::Db;
use crate::error::{Error, Warning};
use serde::Deserialize;
use std::path::Path;

/// How far a tool call got (`state.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolStatus {
    Pending,
    Running,
    Completed,
    Error,
}

impl ToolStatus {
    fn parse(s: &str) -> Option<ToolStatus> {
        Some(match s {
            "pending" => ToolStatus::Pending,
            "running" => ToolStatus::Running,
            "completed" => ToolStatus::Completed,
            "error" => ToolStatus::Error,
            _ => return None,
        })
    }
}

/// One tool call of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The tool's name as opencode stored it (MCP tools whole, e.g.
    /// `github_create_issue`).
    pub tool: String,
    pub status: ToolStatus,
    /// `state.time.start` and `.end`, in ms since the epoch.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// When the part was created: the row's `time_created` in the
    /// database; the JSON store keeps no such time, so there the call's
    /// start, else its message's creation.
    pub created_ms: Option<i64>,
}

impl ToolCall {
    /// `end - start` when both are known (never negative).
    pub fn duration_ms(&self) -> Option<i64> {
        match (self.start_ms, self.end_ms) {
            (Some(s), Some(e)) => Some(e.saturating_sub(s).max(0)),
            _ => None,
        }
    }
}

/// Called for each tool call of a session, in no particular order.
pub type VisitTool<'f> = dyn FnMut(ToolCall) + 'f;

#[derive(Deserialize)]
struct RawPart<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    state: Option<RawState<'a>>,
}

#[derive(Deserialize)]
struct RawState<'a> {
    #[serde(borrow, default)]
    status: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    time: Option<RawTime>,
}

#[derive(Deserialize, Default)]
struct RawTime {
    #[serde(default, deserialize_with = "lenient_ms")]
    start: Option<i64>,
    #[serde(default, deserialize_with = "lenient_ms")]
    end: Option<i64>,
}

/// A time that is not a number is treated as absent rather than failing
/// the part.
fn lenient_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)))
}

/// Parse one part: Ok(None) for a part that is not a tool call, Err(why)
/// for one to skip with a warning.
fn parse(bytes: &[u8], created_ms: Option<i64>) -> Result<Option<ToolCall>, String> {
    let part: RawPart<'_> =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    if part.kind.as_deref() != Some("tool") {
        return Ok(None);
    }
    let tool = part
        .tool
        .filter(|t| !t.trim().is_empty())
        .ok_or("a tool part without a tool name")?;
    let state = part.state.ok_or("a tool part without a state")?;
    let status = state.status.as_deref().unwrap_or("");
    let status = ToolStatus::parse(status)
        .ok_or_else(|| format!("a tool part with an unknown status {status:?}"))?;
    let time = state.time.unwrap_or_default();
    Ok(Some(ToolCall {
        tool,
        status,
        start_ms: time.start,
        end_ms: time.end,
        created_ms: created_ms.or(time.start),
    }))
}

/// The tool calls of the database session `session_id`, streamed row by
/// row; returns the warnings about skipped parts.
pub(super) fn from_db(
    db: &Db,
    session_id: &str,
    visit: &mut VisitTool<'_>,
) -> Result<Vec<Warning>, Error> {
    read_rows(
        db,
        "SELECT session_id, time_created, data, id FROM part WHERE session_id = ?1",
        [session_id],
        &mut |_| Some(()),
        &mut |(), call| visit(call),
    )
}

/// Every tool call of the database, in one pass over the `part` table:
/// `pick` chooses by a row's session id whether it is read at all (a row
/// it leaves out is neither parsed nor warned about) and what it is handed
/// to `visit` with. Returns the warnings about skipped parts.
pub(super) fn scan_db<T>(
    db: &Db,
    pick: &mut dyn FnMut(&str) -> Option<T>,
    visit: &mut dyn FnMut(T, ToolCall),
) -> Result<Vec<Warning>, Error> {
    read_rows(
        db,
        "SELECT session_id, time_created, data, id FROM part",
        [],
        pick,
        visit,
    )
}

/// The tool calls among the part rows `sql` selects (its columns:
/// session_id, time_created, data, id), each row first offered to `pick`
/// as [`scan_db`] says. One place decodes a row and words its warning, so a
/// session's tools and the report's agree on what is skipped.
fn read_rows<T>(
    db: &Db,
    sql: &str,
    params: impl rusqlite::Params,
    pick: &mut dyn FnMut(&str) -> Option<T>,
    visit: &mut dyn FnMut(T, ToolCall),
) -> Result<Vec<Warning>, Error> {
    let mut warnings = Vec::new();
    let read = || -> rusqlite::Result<()> {
        // Cached: `from_db`'s query runs once for every session exported.
        let mut stmt = db.conn().prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let session = r.get_ref(0)?.as_str().unwrap_or("");
            let Some(key) = pick(session) else {
                continue;
            };
            let created: Option<i64> = r.get(1).ok().flatten();
            let bytes = match r.get_ref(2)? {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => b,
                _ => b"",
            };
            match parse(bytes, created) {
                Ok(Some(call)) => visit(key, call),
                Ok(None) => {}
                Err(why) => {
                    let id = r.get_ref(3)?.as_str().unwrap_or("?");
                    let session = r.get_ref(0)?.as_str().unwrap_or("?");
                    warnings.push(Warning::skipping(
                        format_args!("part {id} of session {session} in {}", db.path().display()),
                        why,
                    ));
                }
            }
        }
        Ok(())
    };
    read().map_err(|source| Error::Db {
        path: db.path().to_path_buf(),
        source,
    })?;
    Ok(warnings)
}

/// The tool calls of the JSON store's session `session_id`: the parts of
/// each of its messages, one file at a time.
pub(super) fn from_json(
    storage: &Path,
    session_id: &str,
    visit: &mut VisitTool<'_>,
) -> Result<Vec<Warning>, Error> {
    #[derive(Deserialize, Default)]
    struct Created {
        #[serde(default)]
        time: Option<CreatedTime>,
    }
    #[derive(Deserialize, Default)]
    struct CreatedTime {
        #[serde(default, deserialize_with = "lenient_ms")]
        created: Option<i64>,
    }
    let mut warnings = Vec::new();
    for message in json::json_files(&storage.join("message").join(session_id))? {
        let message_id = json::file_id(&message);
        let parts = json::json_files(&storage.join("part").join(&message_id))?;
        if parts.is_empty() {
            continue;
        }
        // The message's creation stands in for a call that never started.
        let created = match json::read(&message)? {
            Bounded::Read(bytes) => serde_json::from_slice::<Created>(&bytes)
                .ok()
                .and_then(|c| c.time)
                .and_then(|t| t.created),
            Bounded::Skipped(_) => None,
        };
        for path in parts {
            let bytes = match json::read(&path)? {
                Bounded::Read(bytes) => bytes,
                Bounded::Skipped(why) => {
                    warnings.push(Warning::skipping(path.display(), why));
                    continue;
                }
            };
            match parse(&bytes, None) {
                Ok(Some(mut call)) => {
                    call.created_ms = call.created_ms.or(created);
                    visit(call);
                }
                Ok(None) => {}
                Err(why) => warnings.push(Warning::skipping(path.display(), why)),
            }
        }
    }
    Ok(warnings)
}

/// Calls, errors and time of one tool in one session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolTally {
    pub tool: String,
    pub calls: u64,
    /// Calls whose state is `error`.
    pub errors: u64,
    /// The sum of `end - start` over the calls that have both.
    pub ms: i64,
}

/// Tally tool calls by tool name; most called first, ties by name.
#[derive(Debug, Default)]
pub struct ToolTallies(std::collections::HashMap<String, ToolTally>);

impl ToolTallies {
    pub fn add(&mut self, call: &ToolCall) {
        let t = match self.0.get_mut(&call.tool) {
            Some(t) => t,
            None => self
                .0
                .entry(call.tool.clone())
                .or_insert_with(|| ToolTally {
                    tool: call.tool.clone(),
                    calls: 0,
                    errors: 0,
                    ms: 0,
                }),
        };
        t.calls += 1;
        t.errors += u64::from(call.status == ToolStatus::Error);
        t.ms = t.ms.saturating_add(call.duration_ms().unwrap_or(0));
    }

    pub fn sorted(&self) -> Vec<ToolTally> {
        let mut out: Vec<ToolTally> = self.0.values().cloned().collect();
        out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.tool.cmp(&b.tool)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_parse_or_say_why_not() {
        let call = parse(
            br#"{"type":"tool","tool":"mcp_github_create_issue","state":{"status":"error","time":{"start":10,"end":25}}}"#,
            Some(7),
        )
        .unwrap()
        .unwrap();
        assert_eq!(call.tool, "mcp_github_create_issue");
        assert_eq!(call.status, ToolStatus::Error);
        assert_eq!(call.duration_ms(), Some(15));
        assert_eq!(call.created_ms, Some(7));
        let running = parse(
            br#"{"type":"tool","tool":"bash","state":{"status":"running","time":{"start":10}}}"#,
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (running.duration_ms(), running.created_ms),
            (None, Some(10))
        );
        assert_eq!(parse(br#"{"type":"text","text":"hi"}"#, None), Ok(None));
        assert!(
            parse(b"{not json", None)
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            parse(br#"{"type":"tool","state":{"status":"completed"}}"#, None)
                .unwrap_err()
                .contains("without a tool name")
        );
        assert!(
            parse(
                br#"{"type":"tool","tool":"x","state":{"status":"odd"}}"#,
                None
            )
            .unwrap_err()
            .contains("unknown status")
        );
    }

    #[test]
    fn tallies_sort_by_calls_then_name_and_count_running_as_calls() {
        let call = |tool: &str, status, start, end| ToolCall {
            tool: tool.into(),
            status,
            start_ms: start,
            end_ms: end,
            created_ms: None,
        };
        let mut t = ToolTallies::default();
        for c in [
            call("read", ToolStatus::Completed, Some(0), Some(5)),
            call("read", ToolStatus::Error, Some(10), Some(12)),
            call("bash", ToolStatus::Running, Some(0), None),
            call("bash", ToolStatus::Pending, None, None),
            call("edit", ToolStatus::Completed, Some(3), Some(4)),
        ] {
            t.add(&c);
        }
        let got: Vec<_> = t
            .sorted()
            .into_iter()
            .map(|t| (t.tool, t.calls, t.errors, t.ms))
            .collect();
        assert_eq!(
            got,
            [
                ("bash".into(), 2, 0, 0),
                ("read".into(), 2, 1, 7),
                ("edit".into(), 1, 0, 1)
            ]
        );
    }
}
