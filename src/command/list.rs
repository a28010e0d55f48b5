//! `list`: every session with its todo progress and export state.

use crate::context::{self, Context};
use crate::document::TodoStats;
use crate::error::{Error, ExitCode};
use crate::ledger::Ledger;
use crate::output::Output;
use crate::select::change_key;
use crate::settings::{List, Settings};
use crate::xdg;
use serde::Serialize;
use std::io::Write;

/// What `export --all-complete` would do with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum State {
    /// Exported, and unchanged since.
    Exported,
    /// New or changed: the next export sends it.
    Pending,
    /// Has open todos (and is not past `--abandoned-after`).
    OpenTodos,
    /// A child session: sent inside its parent's document.
    Subagent,
}

impl State {
    fn label(self) -> &'static str {
        match self {
            State::Exported => "exported",
            State::Pending => "pending",
            State::OpenTodos => "open todos",
            State::Subagent => "subagent",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    session_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_session_id: Option<&'a str>,
    title: &'a str,
    project_directory: &'a str,
    project_id: &'a str,
    created_at: i64,
    updated_at: i64,
    todo_stats: TodoStats,
    state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    exported_at: Option<i64>,
}

pub fn run(s: &Settings, args: &List, out: &mut Output) -> Result<ExitCode, Error> {
    let selection = &args.selection;
    let sink = args.target.ledger_key();
    let Context {
        mut store, catalog, ..
    } = Context::open(&s.store, out)?;
    let ledger = Ledger::read(&xdg::state_dir()?, |w| out.warn(&w));
    let mut warnings = Vec::new();
    let mut todos = store.todos_by_session(&catalog.sessions, &mut warnings)?;
    context::report(warnings, out);
    let salt = args.content.fingerprint();
    let mut rows = Vec::new();
    for s in catalog.sessions.iter().filter(|s| selection.in_scope(s)) {
        let todo_list = todos.remove(&s.id).unwrap_or_default();
        let stats = TodoStats::of(&todo_list);
        let entry = ledger.get(&sink, &s.id);
        let state = if s.parent_id.is_some() && !selection.include_subagents() {
            State::Subagent
        } else if !selection.ended(s, &stats) {
            State::OpenTodos
        } else {
            let key = change_key(s, &todo_list, &catalog.descendants(&s.id), &salt);
            if ledger.is_current(&sink, &s.id, &key) {
                State::Exported
            } else {
                State::Pending
            }
        };
        rows.push(Row {
            session_id: &s.id,
            parent_session_id: s.parent_id.as_deref(),
            title: &s.title,
            project_directory: &s.directory,
            project_id: &s.project_id,
            created_at: s.time_created,
            updated_at: s.time_updated,
            todo_stats: stats,
            state,
            exported_at: entry.map(|e| e.exported_at),
        });
    }
    // Most recently updated first.
    rows.sort_by(|a, b| (b.updated_at, b.session_id).cmp(&(a.updated_at, a.session_id)));
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        if args.json {
            for r in &rows {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        writeln!(
            out,
            "{:<16}  {:>5}  {:<10}  {:<30}  TITLE",
            "UPDATED", "TODOS", "STATE", "SESSION"
        )?;
        for r in &rows {
            let t = r.todo_stats;
            let todos = match t.total {
                0 => "-".to_string(),
                n => format!("{}/{n}", t.completed + t.cancelled),
            };
            writeln!(
                out,
                "{:<16}  {todos:>5}  {:<10}  {:<30}  {}",
                local_time(r.updated_at),
                r.state.label(),
                r.session_id,
                r.title.chars().take(60).collect::<String>()
            )?;
        }
        Ok(())
    };
    write(out.out).map_err(Error::Output)?;
    Ok(ExitCode::Ok)
}

/// `2026-11-25 04:33` in the local time zone.
fn local_time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => "-".into(),
    }
}
