//! Tool calls per tool (`report --by tool`): calls, failed calls, time and
//! sessions, from the tool parts of the chosen sessions. Parts are read
//! only for this report (they are many times the bytes of the messages),
//! the database's in one pass over its part table.

use super::collect::Window;
use super::count;
use crate::error::{Error, Warning};
use crate::output::{cell, spreadsheet_safe};
use crate::store::{SessionInfo, Store, ToolCall, ToolStatus};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
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
    let inside = |created: Option<i64>| {
        window
            .since_ms
            .is_none_or(|t| created.is_some_and(|c| c >= t))
            && window
                .until_ms
                .is_none_or(|t| created.is_some_and(|c| c < t))
    };
    let warnings = store.tool_calls_of(sessions, &mut |session, call| {
        if !inside(call.created_ms) {
            return;
        }
        let i = match index.get(&call.tool) {
            Some(&i) => i,
            None => {
                accs.push(Acc {
                    row: ToolRow {
                        key: call.tool.clone(),
                        calls: 0,
                        errors: 0,
                        ms: 0,
                        sessions: 0,
                    },
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

/// `850ms`, `12.3s`, `4m 05s`, `3h 02m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{}h {:02}m", s / 3600, s / 60 % 60)
    }
}

/// `12.5%`.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The table for a person: one line per tool, then the total.
pub fn table(title: &str, rows: &[ToolRow]) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80);
    t.set_header(vec![
        "Tool",
        "Calls",
        "Errors",
        "Error rate",
        "Time",
        "Sess",
    ]);
    let line = |key: &str, r: &ToolRow, sessions: String| {
        vec![
            Cell::new(cell(key)),
            Cell::new(count(r.calls)),
            Cell::new(count(r.errors)),
            Cell::new(percent(r.error_rate())),
            Cell::new(duration(r.ms)),
            Cell::new(sessions),
        ]
    };
    for r in rows {
        t.add_row(line(&r.key, r, r.sessions.to_string()));
    }
    let mut total = ToolRow {
        key: "Total".into(),
        calls: 0,
        errors: 0,
        ms: 0,
        sessions: 0,
    };
    for r in rows {
        total.calls = total.calls.saturating_add(r.calls);
        total.errors = total.errors.saturating_add(r.errors);
        total.ms = total.ms.saturating_add(r.ms);
    }
    // A session calls several tools: the rows' sessions do not add up.
    t.add_row(line("Total", &total, String::new()));
    for i in 1..6 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{title}\n{t}\n")
}

/// CSV with a header line: the JSON row's columns.
pub fn csv(rows: &[ToolRow], out: &mut dyn std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["key", "calls", "errors", "ms", "sessions"])?;
    for r in rows {
        w.write_record([
            spreadsheet_safe(&r.key).into_owned(),
            r.calls.to_string(),
            r.errors.to_string(),
            r.ms.to_string(),
            r.sessions.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates_read_short() {
        assert_eq!(duration(-5), "0ms");
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_345), "12.3s");
        assert_eq!(duration(245_000), "4m 05s");
        assert_eq!(duration(3 * 3_600_000 + 120_000), "3h 02m");
        assert_eq!(duration(i64::MAX), "2562047788015h 12m");
        assert_eq!(percent(0.125), "12.5%");
    }

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
            row: ToolRow {
                key: "bash".into(),
                calls: 0,
                errors: 0,
                ms: 0,
                sessions: 0,
            },
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
