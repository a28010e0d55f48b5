//! `list`: sessions, newest first, with their todo progress, messages,
//! cost, model and export state.
//!
//! Messages, cost and model come from the sessions' documents, built by
//! the same pipeline as `export`, for the listed sessions only: the table
//! shows 20 by default, so listing costs the same on a store of ten
//! sessions as on one of ten thousand. `--ids` reads no messages at all.

use crate::context::Context;
use crate::document::{Content, Origin, TodoStats};
use crate::error::{Error, ExitCode, Warning};
use crate::ledger::Ledger;
use crate::output::{Output, cell, json, terminal_width, truncate};
use crate::pipeline::{self, Recipe};
use crate::present::layout::{self, Column, Frame};
use crate::present::{money, todos};
use crate::repository::Repositories;
use crate::select::{Catalog, change_key};
use crate::settings::{List, ListFormat, Settings};
use crate::store::{SessionInfo, Todo};
use crate::xdg;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

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
struct Line<'a> {
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
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

/// What a session's messages say, from its document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    message_count: u64,
    /// USD, this session's own messages.
    cost: f64,
    /// USD, with all its subagent sessions.
    total_cost: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_model: Option<String>,
}

pub fn run(s: &Settings, args: &List, out: &mut Output) -> Result<ExitCode, Error> {
    let selection = &args.selection;
    let sink = args.target.ledger_key();
    let Context {
        paths,
        mut store,
        catalog,
    } = Context::open(&s.store, out)?;
    let mut listed: Vec<&SessionInfo> = catalog
        .sessions
        .iter()
        .filter(|s| selection.in_scope(s))
        .collect();
    let in_scope = listed.len();
    // Most recently updated first.
    listed.sort_by(|a, b| (b.time_updated, &b.id).cmp(&(a.time_updated, &a.id)));
    if let Some(n) = args.limit {
        listed.truncate(n);
    }
    if listed.is_empty() {
        let total = catalog.sessions.len();
        out.note(&if total == 0 {
            format!("no sessions in {}", paths.data_dir.display())
        } else {
            format!("none of the {total} sessions in the store is inside --since/--project")
        });
        return Ok(ExitCode::Ok);
    }
    if args.format == ListFormat::Ids {
        let write = |w: &mut dyn Write| -> std::io::Result<()> {
            listed.iter().try_for_each(|s| writeln!(w, "{}", s.id))
        };
        write(out.out).map_err(Error::Output)?;
        return Ok(ExitCode::Ok);
    }

    let ledger = Ledger::read(&xdg::state_dir()?, |w| out.warn(&w));
    let mut warnings = Vec::new();
    let mut todos = store.todos_by_session(listed.iter().copied(), &mut warnings)?;
    warnings.iter().for_each(|w| out.warn(w));
    let usage = usage(&mut store, &catalog, &listed, s.now.as_millisecond(), out)?;

    let lines: Vec<Line> = listed
        .iter()
        .map(|s| {
            let todo_list = todos.remove(&s.id).unwrap_or_default();
            let stats = TodoStats::of(&todo_list);
            let entry = ledger.get(&sink, &s.id);
            // The ledger first: a session exported and unchanged since is
            // `exported` whatever its todos (`--abandoned-after`, or named
            // by id) and whatever content switches that export used.
            let exported = entry.is_some_and(|e| {
                e.settled && exported_keys(s, &todo_list, &catalog).contains(&e.key)
            });
            let state = if exported {
                State::Exported
            } else if s.parent_id.is_some() && !selection.include_subagents() {
                State::Subagent
            } else if !selection.ended(s, &stats) {
                State::OpenTodos
            } else {
                State::Pending
            };
            Line {
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
                usage: usage.get(s.id.as_str()).cloned(),
            }
        })
        .collect();

    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        if args.format == ListFormat::Json {
            return lines.iter().try_for_each(|l| json(l, false, w));
        }
        for line in table(&lines, s.now).lines() {
            writeln!(w, "{}", line.trim_end())?;
        }
        Ok(())
    };
    write(out.out).map_err(Error::Output)?;
    if args.format == ListFormat::Table && lines.len() < in_scope {
        // After the table, also on a terminal.
        out.out.flush().map_err(Error::Output)?;
        out.note(&format!(
            "the {} most recently updated of {in_scope} sessions; -n 0 shows all",
            lines.len()
        ));
    }
    Ok(ExitCode::Ok)
}

/// The change key of `s` under every combination of content switches: an
/// export with any of them recorded one of these.
fn exported_keys(s: &SessionInfo, todos: &[Todo], catalog: &Catalog) -> Vec<String> {
    let descendants = catalog.descendants(&s.id);
    let mut keys = Vec::with_capacity(16);
    for bits in 0..16u8 {
        let content = Content {
            messages: bits & 1 != 0,
            todos: bits & 2 != 0,
            hash_paths: bits & 4 != 0,
            tools: bits & 8 != 0,
        };
        keys.push(change_key(s, todos, &descendants, &content.fingerprint()));
    }
    keys
}

/// Messages, cost and model of the listed sessions, from their documents.
/// A session that cannot be read is a warning and shows none.
fn usage(
    store: &mut crate::store::Store,
    catalog: &Catalog,
    listed: &[&SessionInfo],
    now_ms: i64,
    out: &mut Output,
) -> Result<HashMap<String, Usage>, Error> {
    let recipe = Recipe {
        origin: Origin {
            device_id: String::new(),
            hostname: String::new(),
            exported_at: now_ms,
        },
        include: Content {
            messages: false,
            todos: false,
            hash_paths: false,
            tools: false,
        },
    };
    let mut found = HashMap::new();
    pipeline::lanes(
        store,
        listed.iter().map(|s| (*s, catalog.descendants(&s.id))),
        pipeline::BATCH,
        |store, repositories: &mut Repositories, (info, descendants)| {
            let mut warnings = Vec::new();
            let built = pipeline::stable(store, |store| {
                warnings.clear();
                pipeline::build_document(
                    store,
                    repositories,
                    &recipe,
                    info,
                    &[],
                    &descendants,
                    &mut warnings,
                )
            });
            (info, built)
        },
        |(info, built)| {
            match built {
                Ok((d, _)) => {
                    let below = d.subagents.map_or(0.0, |s| s.cost);
                    found.insert(
                        info.id.clone(),
                        Usage {
                            message_count: d.message_count,
                            cost: d.cost,
                            total_cost: d.cost + below,
                            primary_model: d.primary_model,
                        },
                    );
                }
                Err(e) => out.warn(&Warning::about(
                    format_args!("cannot read session {}", info.id),
                    e,
                )),
            }
            Ok(())
        },
    )?;
    Ok(found)
}

/// The columns, in the order shown. `priority` decides which stay on a
/// narrow terminal (lower stays longer); `flexible` columns shrink,
/// truncated, to share the width left.
struct Col {
    head: &'static str,
    priority: u8,
    flexible: bool,
    right: bool,
}

const COLS: [Col; 9] = [
    col("UPDATED", 0, false, false),
    col("STATE", 1, false, false),
    col("TODOS", 3, false, true),
    col("MSGS", 5, false, true),
    col("COST", 4, false, true),
    col("MODEL", 8, true, false),
    col("PROJECT", 7, true, false),
    col("SESSION", 2, false, false),
    // The title gives way before the numbers: cost and messages are what
    // a glance at the list is for.
    col("TITLE", 6, true, false),
];

const fn col(head: &'static str, priority: u8, flexible: bool, right: bool) -> Col {
    Col {
        head,
        priority,
        flexible,
        right,
    }
}

/// The narrowest a flexible column is worth showing at.
const FLEX_MIN: usize = 10;
const GAP: usize = 2;

fn table(lines: &[Line], now: jiff::Timestamp) -> Table {
    let mut cells: Vec<[String; 9]> = lines.iter().map(|l| cells(l, now)).collect();
    let natural: Vec<usize> = (0..COLS.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].width())
                .chain([COLS[i].head.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut shown = [true; 9];
    if let Some(width) = terminal_width() {
        let widths = fit(&natural, width);
        for (i, w) in widths.into_iter().enumerate() {
            match w {
                None => shown[i] = false,
                Some(w) if w < natural[i] => {
                    for row in &mut cells {
                        row[i] = truncate(&row[i], w);
                    }
                }
                Some(_) => {}
            }
        }
    }
    let last = (0..COLS.len()).rev().find(|&i| shown[i]).unwrap_or(0);

    let mut t = Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(COLS.iter().map(|c| c.head));
    for c in cells {
        t.add_row(c);
    }
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding((0, if i == last { 0 } else { GAP as u16 }));
        if !shown[i] {
            column.set_constraint(ColumnConstraint::Hidden);
        }
        if COLS[i].right {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Each column's width in a line of `width`, None for a column that gives
/// way: a fixed column needs all of its natural width, a flexible one up
/// to [`FLEX_MIN`] and then a share of what is left.
fn fit(natural: &[usize], width: usize) -> Vec<Option<usize>> {
    let columns: Vec<Column> = COLS
        .iter()
        .zip(natural)
        .map(|(c, &n)| Column {
            claim: if c.flexible { n.min(FLEX_MIN) } else { n },
            ..Column::whole(n, c.priority)
        })
        .collect();
    let frame = Frame { outer: 0, gap: GAP };
    layout::fit(&columns, frame, width)
}

fn cells(l: &Line, now: jiff::Timestamp) -> [String; 9] {
    let (messages, cost, model) = match &l.usage {
        Some(u) => (
            u.message_count.to_string(),
            money(u.total_cost),
            u.primary_model.as_deref().map_or_else(|| "-".into(), cell),
        ),
        None => ("?".into(), "?".into(), "?".into()),
    };
    let project = std::path::Path::new(l.project_directory)
        .file_name()
        .map_or_else(
            || l.project_directory.to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    [
        local_time(l.updated_at, now),
        l.state.label().to_string(),
        todos(&l.todo_stats),
        messages,
        cost,
        model,
        cell(&project),
        cell(l.session_id),
        cell(l.title).chars().take(60).collect(),
    ]
}

/// `Nov 25 04:33` in the local time zone, as `ls -l` does for this year;
/// `Nov 25  2025` for older times.
fn local_time(ms: i64, now: jiff::Timestamp) -> String {
    let tz = jiff::tz::TimeZone::system();
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => {
            let at = ts.to_zoned_datetime(tz.clone());
            let this_year = now.to_zoned_datetime(tz).year() == at.year();
            at.strftime(if this_year {
                "%b %e %H:%M"
            } else {
                "%b %e  %Y"
            })
            .to_string()
        }
        Err(_) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_give_way_by_priority_and_flexible_ones_share_what_is_left() {
        // UPDATED STATE TODOS MSGS COST MODEL PROJECT SESSION TITLE
        let natural = [12, 10, 5, 4, 6, 20, 13, 30, 40];
        let all: usize = natural.iter().sum::<usize>() + GAP * 8;
        let wide = fit(&natural, all);
        assert!(wide.iter().zip(natural).all(|(w, n)| *w == Some(n)));
        // A little narrower: only the flexible columns shrink.
        let less = fit(&natural, all - 15);
        assert_eq!(less[7], Some(30));
        let flex: usize = [5, 6, 8].iter().map(|&i| less[i].unwrap()).sum();
        assert_eq!(flex, 20 + 13 + 40 - 15);
        // 80 columns: MODEL, PROJECT and TITLE give way, cost and messages
        // stay; what stays fits.
        let narrow = fit(&natural, 80);
        assert_eq!(narrow[5], None);
        assert_eq!(narrow[6], None);
        assert_eq!(narrow[8], None);
        assert_eq!(narrow[3], Some(4));
        assert_eq!(narrow[4], Some(6));
        let used: usize =
            narrow.iter().flatten().sum::<usize>() + GAP * (narrow.iter().flatten().count() - 1);
        assert!(used <= 80, "{used}");
        assert_eq!(narrow[7], Some(30), "the session id is never cut");
    }

    #[test]
    fn truncation_counts_display_columns() {
        assert_eq!(truncate("Fixture odd-dir", 9), "Fixture …");
        assert_eq!(truncate("short", 9), "short");
        assert_eq!(truncate("日本語のタイトル", 7), "日本語…");
        assert!(truncate("日本語のタイトル", 7).width() <= 7);
    }
}
