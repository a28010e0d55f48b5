//! Tool calls per tool (`report --by tool`): calls, failed calls, time and
//! sessions, from the tool parts of the chosen sessions. Parts are read
//! only for this report (they are many times the bytes of the messages),
//! the database's in one pass over its part table.

use super::collect::Window;
use crate::error::{Error, Warning};
use crate::store::{SessionInfo, Store, ToolCall, ToolStatus};
use serde::Serialize;
use std::collections::HashMap;

/// One tool's row (the `--json` row, names as they are printed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolRow {
    /// The tool's name as opencode stored it (MCP tools whole).
    pub key: String,
    pub calls: u64,
    /// Calls whose state is `error` (running and pending ones are calls,
    /// not errors).
    pub errors: u64,
    /// The sum of `end - start` over the calls that have both.
    pub ms: i64,
    /// Distinct sessions that called it.
    pub sessions: u64,
}

impl ToolRow {
    /// The row of `key`, before any call is counted.
    pub fn new(key: String) -> ToolRow {
        ToolRow {
            key,
            calls: 0,
            errors: 0,
            ms: 0,
            sessions: 0,
        }
    }

    /// Failed calls as a share of calls, 0 to 1.
    pub fn error_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.errors as f64 / self.calls as f64
        }
    }
}

/// A row being summed, with the sessions counted in it (one bit each).
struct Acc {
    row: ToolRow,
    seen: Vec<u64>,
}

impl Acc {
    fn add(&mut self, session: usize, call: &ToolCall) {
        let r = &mut self.row;
        r.calls = r.calls.saturating_add(1);
        r.errors = r
            .errors
            .saturating_add(u64::from(call.status == ToolStatus::Error));
        r.ms = r.ms.saturating_add(call.duration_ms().unwrap_or(0));
        let (word, bit) = (session / 64, 1u64 << (session % 64));
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            r.sessions = r.sessions.saturating_add(1);
        }
    }
}

/// The rows of the tool calls of `sessions` made in the window (a call
/// counts at its part's creation; one without a known time only when the
/// window is open), most called first, ties by name. `warn` hears of each
/// part or session that was skipped.
pub fn collect(
    store: &mut Store,
    sessions: &[&SessionInfo],
    window: &Window,
    warn: &mut dyn FnMut(Warning),
) -> Result<Vec<ToolRow>, Error> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut accs: Vec<Acc> = Vec::new();
    let warnings = store.tool_calls_of(sessions, &mut |session, call| {
        if !window.contains(call.created_ms) {
            return;
        }
        let i = match index.get(&call.tool) {
            Some(&i) => i,
            None => {
                accs.push(Acc {
                    row: ToolRow::new(call.tool.clone()),
                    seen: Vec::new(),
                });
                index.insert(call.tool.clone(), accs.len() - 1);
                accs.len() - 1
            }
        };
        accs[i].add(session, &call);
    })?;
    warnings.into_iter().for_each(warn);
    let mut rows: Vec<ToolRow> = accs.into_iter().map(|a| a.row).collect();
    rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_counts_once_per_tool() {
        let call = |status| ToolCall {
            tool: "bash".into(),
            status,
            start_ms: Some(1),
            end_ms: Some(4),
            created_ms: Some(1),
        };
        let mut acc = Acc {
            row: ToolRow::new("bash".into()),
            seen: Vec::new(),
        };
        for (session, status) in [
            (130, ToolStatus::Error),
            (2, ToolStatus::Running),
            (130, ToolStatus::Completed),
            (2, ToolStatus::Pending),
        ] {
            acc.add(session, &call(status));
        }
        assert_eq!(
            (acc.row.calls, acc.row.errors, acc.row.ms, acc.row.sessions),
            (4, 1, 12, 2)
        );
        assert_eq!(acc.row.error_rate(), 0.25);
    }
}
