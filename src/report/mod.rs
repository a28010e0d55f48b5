//! Reports: usage summed per day, week, month, project, model, agent,
//! session or device. Aggregation ([`collect`]: store -> facts, [`group`]:
//! facts -> rows) is kept apart from rendering ([`render`]: rows -> a
//! [`table`], JSON Lines, [`csv`] or the [`html`] page), so rows from
//! elsewhere (a Convex deployment's aggregates) render the same way.

pub mod by;
pub mod collect;
pub mod csv;
pub mod group;
pub mod html;
pub mod table;
pub mod tools;

use crate::document::{TodoStats, TokenTotals};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::io::Write;

pub use by::By;

/// One row of a report (also what a Convex deployment's `sessions:report`
/// answers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// Day `YYYY-MM-DD`, week `YYYY-Www`, month `YYYY-MM`, project
    /// directory, `provider/model`, agent, session id or device id.
    pub key: String,
    /// The project id, session title or host name, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Distinct sessions with a message in the row.
    pub sessions: u64,
    /// Messages in the row (by model: assistant messages of that model).
    pub messages: u64,
    /// USD, summed over assistant messages: what opencode stored.
    pub cost: f64,
    /// USD, the same messages' tokens at list price (see
    /// [`crate::prices`]). Absent only where a deployment does not keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_cost: Option<f64>,
    /// Assistant messages whose model has no list price (in no
    /// `list_cost`); omitted when none.
    #[serde(default, skip_serializing_if = "crate::usage::is_zero")]
    pub unpriced_messages: u64,
    pub tokens: TokenTotals,
    /// Under a day, week or month: the same split by model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<Row>,
}

impl Row {
    /// All tokens, of every kind.
    pub fn total_tokens(&self) -> u64 {
        self.tokens.total()
    }

    /// Whether a sum in the row reached the largest number and stopped
    /// there.
    pub fn capped(&self) -> bool {
        crate::usage::capped(self.cost, &self.tokens)
            || self.list_cost == Some(f64::MAX)
            || self.total_tokens() == u64::MAX
    }
}

/// Rows with what they are rows of.
#[derive(Debug, Clone)]
pub struct Report {
    pub title: String,
    pub by: By,
    pub rows: Vec<Row>,
    /// Over everything in the report: sessions counted once.
    pub total: Row,
}

/// A session as the page lists it: its own usage and its subagents'.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub row: Row,
    pub project: String,
    pub agents: Vec<String>,
    pub models: Vec<String>,
    pub todos: TodoStats,
}

/// Todo progress of the sessions of one project.
#[derive(Debug, Clone)]
pub struct ProjectTodos {
    pub project: String,
    pub todos: TodoStats,
}

/// Everything the HTML page shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub title: String,
    /// By day, each with its models.
    pub days: Vec<Row>,
    pub projects: Vec<Row>,
    pub todos: Vec<ProjectTodos>,
    /// Most expensive first.
    pub sessions: Vec<SessionSummary>,
    /// The rows asked for with `--by`.
    pub report: Report,
    /// With `--by tool`: the tool rows, shown in place of the report's
    /// table (whose rows are then by day).
    pub tools: Option<Vec<tools::ToolRow>>,
}

/// The rows a report prints: usage, or tool calls (`--by tool`).
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    Usage(&'a Report),
    Tools {
        title: &'a str,
        rows: &'a [tools::ToolRow],
    },
}

/// What to render, in which shape: rows as a table, JSON Lines or CSV, or
/// the page, which shows more than rows.
#[derive(Debug, Clone, Copy)]
pub enum Render<'a> {
    Table(Rows<'a>),
    JsonLines(Rows<'a>),
    Csv(Rows<'a>),
    Html(&'a Dashboard),
}

/// Every report's output goes through here, one module per shape, so a
/// new shape or a new kind of row is one change in one place.
pub fn render(what: Render<'_>, out: &mut dyn Write) -> Result<(), Error> {
    let written = match what {
        Render::Table(Rows::Usage(report)) => out.write_all(table::render(report).as_bytes()),
        Render::Table(Rows::Tools { title, rows }) => {
            out.write_all(table::tools(title, rows).as_bytes())
        }
        Render::JsonLines(Rows::Usage(report)) => json_lines(&report.rows, out),
        Render::JsonLines(Rows::Tools { rows, .. }) => json_lines(rows, out),
        Render::Csv(Rows::Usage(report)) => csv::write(&report.rows, out),
        Render::Csv(Rows::Tools { rows, .. }) => csv::write(rows, out),
        Render::Html(page) => {
            let text = html::render(page).map_err(|e| Error::Chart(e.to_string()))?;
            out.write_all(text.as_bytes())
        }
    };
    written.map_err(Error::Output)
}

fn json_lines(rows: &[impl Serialize], out: &mut dyn Write) -> std::io::Result<()> {
    rows.iter()
        .try_for_each(|r| crate::output::json(r, false, out))
}
