//! Facts -> rows: the cells of every session summed by what a row is.

use super::collect::{Cell, Facts};
use super::{By, Dashboard, ProjectTodos, Report, Row, SessionSummary};
use crate::document::TodoStats;
use crate::select::Catalog;
use crate::store::SessionInfo;
use crate::usage::{Amount, add_usd};
use jiff::civil::Date;
use std::collections::{HashMap, HashSet};

/// Who this machine is, for `--by device`.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub hostname: String,
}

/// A row being summed, and the last session counted in it.
struct Acc {
    row: Row,
    last: Option<usize>,
    models: HashMap<usize, Acc>,
}

impl Acc {
    fn new(key: String, label: Option<String>) -> Acc {
        Acc {
            row: Row {
                key,
                label,
                list_cost: Some(0.0),
                ..Row::default()
            },
            last: None,
            models: HashMap::new(),
        }
    }

    fn add(&mut self, session: usize, a: &Amount) {
        if self.last != Some(session) {
            self.last = Some(session);
            self.row.sessions = self.row.sessions.saturating_add(1);
        }
        add_amount(&mut self.row, a);
    }
}

fn period(by: By, day: Date) -> String {
    match by {
        By::Week => {
            let w = day.iso_week_date();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
        By::Month => format!("{:04}-{:02}", day.year(), day.month()),
        _ => day.to_string(),
    }
}

/// The name of a cell's model or agent, `unknown` where none was recorded.
fn name(names: &[String], i: Option<usize>) -> String {
    i.map_or_else(|| "unknown".to_string(), |i| names[i].clone())
}

/// The rows of `facts` by `by`; `sessions` is the list the facts index.
pub fn report(
    facts: &Facts,
    sessions: &[&SessionInfo],
    by: By,
    device: &Device,
    title: String,
) -> Report {
    let time = by.is_period();
    let mut rows: HashMap<String, Acc> = HashMap::new();
    let mut total = Acc::new("Total".into(), None);
    for (n, s) in facts.sessions.iter().enumerate() {
        let info = sessions[s.index];
        for c in &s.cells {
            // By model, only assistant messages count (each under its own).
            if by.replies_only() && !c.assistant {
                continue;
            }
            total.add(n, &c.amount);
            let (key, label) = match by {
                By::Day | By::Week | By::Month => match c.day {
                    Some(day) => (period(by, day), None),
                    // Counted in the total only.
                    None => continue,
                },
                By::Project => (info.directory.clone(), Some(info.project_id.clone())),
                By::Model => (name(&facts.models, c.model), None),
                By::Agent => (name(&facts.agents, c.agent), None),
                By::Session => (info.id.clone(), Some(info.title.clone())),
                By::Device => (device.id.clone(), Some(device.hostname.clone())),
                // Tool rows come from parts, not messages (see `tools`).
                By::Tool => continue,
            };
            let acc = match rows.get_mut(&key) {
                Some(acc) => acc,
                None => rows.entry(key.clone()).or_insert(Acc::new(key, label)),
            };
            acc.add(n, &c.amount);
            if time && c.assistant {
                let m = c.model.unwrap_or(usize::MAX);
                acc.models
                    .entry(m)
                    .or_insert_with(|| Acc::new(name(&facts.models, c.model), None))
                    .add(n, &c.amount);
            }
        }
    }
    let mut rows: Vec<Row> = rows
        .into_values()
        .map(|mut acc| {
            let mut models: Vec<Row> = acc.models.into_values().map(|m| m.row).collect();
            sort_by_cost(&mut models);
            acc.row.models = models;
            acc.row
        })
        .collect();
    if time {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        sort_by_cost(&mut rows);
    }
    Report {
        title,
        by,
        rows,
        total: total.row,
    }
}

/// Most expensive first; ties by key.
fn sort_by_cost(rows: &mut [Row]) {
    rows.sort_by(|a, b| b.cost.total_cmp(&a.cost).then_with(|| a.key.cmp(&b.key)));
}

/// What the HTML page shows: days with models, projects, todos per
/// project, and top-level sessions with their subagents rolled in.
pub fn dashboard(
    facts: &Facts,
    sessions: &[&SessionInfo],
    catalog: &Catalog,
    todos: &HashMap<String, TodoStats>,
    device: &Device,
    report: Report,
) -> Dashboard {
    let days = self::report(facts, sessions, By::Day, device, String::new()).rows;
    let projects = self::report(facts, sessions, By::Project, device, String::new()).rows;
    // Todo progress per project, over the sessions with usage in the report.
    let mut per_project: Vec<ProjectTodos> = projects
        .iter()
        .map(|p| ProjectTodos {
            project: p.key.clone(),
            todos: TodoStats::default(),
        })
        .collect();
    let position: HashMap<&str, usize> = projects
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    // Each session's facts, by id.
    let by_id: HashMap<&str, usize> = facts
        .sessions
        .iter()
        .enumerate()
        .map(|(n, s)| (sessions[s.index].id.as_str(), n))
        .collect();
    for s in &facts.sessions {
        let info = sessions[s.index];
        if let (Some(t), Some(&p)) = (todos.get(&info.id), position.get(info.directory.as_str())) {
            let acc = &mut per_project[p].todos;
            acc.total += t.total;
            acc.completed += t.completed;
            acc.cancelled += t.cancelled;
            acc.pending += t.pending;
        }
    }
    // Top-level sessions (or subagents whose parent is not in the report),
    // with their descendants' usage rolled in.
    let mut summaries = Vec::new();
    for s in &facts.sessions {
        let info = sessions[s.index];
        if info
            .parent_id
            .as_deref()
            .is_some_and(|p| by_id.contains_key(p))
        {
            continue;
        }
        let mut row = Row {
            key: info.id.clone(),
            label: Some(info.title.clone()),
            list_cost: Some(0.0),
            ..Row::default()
        };
        let mut agents: Vec<String> = Vec::new();
        let mut models: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        let mut members = vec![info.id.as_str()];
        members.extend(catalog.descendants(&info.id).iter().map(|d| d.id.as_str()));
        for id in members {
            let Some(&n) = by_id.get(id) else { continue };
            if !seen.insert(n) {
                continue;
            }
            row.sessions += 1;
            for c in &facts.sessions[n].cells {
                add_cell(&mut row, c);
                for (list, names, i) in [
                    (&mut agents, &facts.agents, c.agent),
                    (&mut models, &facts.models, c.model),
                ] {
                    if let Some(i) = i
                        && !list.contains(&names[i])
                    {
                        list.push(names[i].clone());
                    }
                }
            }
        }
        summaries.push(SessionSummary {
            row,
            project: info.directory.clone(),
            agents,
            models,
            todos: todos.get(&info.id).copied().unwrap_or_default(),
        });
    }
    summaries.sort_by(|a, b| b.row.cost.total_cmp(&a.row.cost));
    Dashboard {
        title: report.title.clone(),
        days,
        projects,
        todos: per_project,
        sessions: summaries,
        report,
        tools: None,
    }
}

fn add_cell(row: &mut Row, c: &Cell) {
    add_amount(row, &c.amount);
}

/// Add `a` to the row's sums, each stopping at the largest number.
fn add_amount(row: &mut Row, a: &Amount) {
    row.messages = row.messages.saturating_add(a.messages);
    row.cost = add_usd(row.cost, a.cost);
    row.list_cost = Some(add_usd(row.list_cost.unwrap_or(0.0), a.list_cost));
    row.unpriced_messages = row.unpriced_messages.saturating_add(a.unpriced);
    row.tokens.add(&a.tokens);
}
