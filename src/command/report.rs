//! `report`: usage summed per day, week, month, project, model, agent,
//! session or device, straight from the store.

use crate::context::Context;
use crate::device;
use crate::document::TodoStats;
use crate::error::{Error, ExitCode, Warning};
use crate::output::Output;
use crate::page_file::{self, Protected};
use crate::report::collect::{self, Window};
use crate::report::group::{self, Device};
use crate::report::{self, By, Dashboard, Render, Report as ReportRows, Row, Rows, tools};
use crate::settings::{Format, Report, Settings};
use crate::sink::convex::{Convex, Deployment};
use crate::store::{SessionInfo, StorePaths};
use crate::usage::add_usd;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::HashMap;

pub fn run(s: &Settings, args: &Report, out: &mut Output) -> Result<ExitCode, Error> {
    if let Some(deployment) = &args.convex {
        return team(deployment, args, &s.store, out);
    }
    crate::prices::install(args.prices.as_deref())?;
    let Context {
        mut store, catalog, ..
    } = Context::open(&s.store, out)?;
    let sessions: Vec<&SessionInfo> = catalog
        .sessions
        .iter()
        .filter(|s| args.selection.in_scope(s))
        .collect();
    if let Some(project) = args.selection.project()
        && sessions.is_empty()
    {
        out.warn(&Warning::new(format!(
            "no session in {} has the project {project} (an opencode project id, or a \
             directory sessions ran in or below): the report is empty",
            s.store.data_dir.display()
        )));
    }
    let tz = args.zone.tz();
    let window = Window {
        since_ms: args.since_ms,
        until_ms: args.until_ms,
        tz: tz.clone(),
    };
    let title = title(args, &tz);
    let tool_rows = if args.by == By::Tool {
        let rows = tools::collect(&mut store, &sessions, &window, &mut |w| out.warn(&w))?;
        if !matches!(args.format, Format::Html(_)) {
            let rows = Rows::Tools {
                title: &title,
                rows: &rows,
            };
            return print(rows, &args.format, out);
        }
        Some(rows)
    } else {
        None
    };
    let facts = collect::collect(&mut store, &sessions, &window, &mut |w| out.warn(&w))?;
    let hostname = device::hostname();
    let device = Device {
        id: device::device_id(&hostname),
        hostname,
    };
    // The page's usage by tool is by day; its tool calls are `tool_rows`.
    let by = if tool_rows.is_some() {
        By::Day
    } else {
        args.by
    };
    let rows = group::report(&facts, &sessions, by, &device, title);
    warn_capped(&rows, out);
    if let Format::Html(file) = &args.format {
        let mut warnings = Vec::new();
        let todos: HashMap<String, TodoStats> = store
            .todos_by_session(&catalog.sessions, &mut warnings)?
            .into_iter()
            .map(|(id, t)| (id, TodoStats::of(&t)))
            .collect();
        warnings.iter().for_each(|w| out.warn(w));
        let mut page = group::dashboard(&facts, &sessions, &catalog, &todos, &device, rows);
        page.tools = tool_rows;
        return write_page(&page, file, &s.store, out);
    }
    print(Rows::Usage(&rows), &args.format, out)
}

/// `report --convex`: the same rows from the deployment's aggregates
/// (`sessions:report`), rendered by the same code.
fn team(
    deployment: &Deployment,
    args: &Report,
    store: &StorePaths,
    out: &mut Output,
) -> Result<ExitCode, Error> {
    let convex = Convex::new(deployment)?;
    let ask = |by: By, models: bool| -> Result<Vec<Row>, Error> {
        let query = ReportQuery {
            by: by.wire(),
            from: args.since_ms,
            to: args.until_ms,
            models,
        };
        let answer = convex.query("sessions:report", &query)?;
        serde_json::from_value(answer).map_err(|e| {
            Error::Remote(format!(
                "{}: sessions:report answered rows this version cannot read: {e}",
                deployment.url
            ))
        })
    };
    // Table and JSON rows of a period show its models; CSV and the page's table do not.
    let rows = ask(
        args.by,
        args.by.is_period() && matches!(args.format, Format::Table | Format::Json),
    )?;
    let days = match &args.format {
        Format::Html(_) if args.by == By::Day => Some(rows.clone()),
        Format::Html(_) => Some(ask(By::Day, true)?),
        _ => None,
    };
    // Where the rows count a session once per model or agent, the total
    // comes from the days (or months).
    let sessions = if args.by.sessions_add_up() {
        sessions_in(&rows)
    } else if let Some(days) = &days {
        sessions_in(days)
    } else if matches!(args.format, Format::Table) {
        sessions_in(&ask(By::Month, false)?)
    } else {
        // JSON and CSV print the rows alone.
        0
    };
    let title = title(args, &TimeZone::UTC).replacen("Usage", "Team usage", 1);
    let report = team_report(args.by, rows, sessions, title);
    warn_capped(&report, out);
    if let (Format::Html(file), Some(days)) = (&args.format, days) {
        let projects = if args.by == By::Project {
            report.rows.clone()
        } else {
            ask(By::Project, false)?
        };
        let page = Dashboard {
            title: report.title.clone(),
            days,
            projects,
            todos: Vec::new(),
            sessions: Vec::new(),
            report,
            tools: None,
        };
        return write_page(&page, file, store, out);
    }
    print(Rows::Usage(&report), &args.format, out)
}

/// The arguments of `sessions:report`.
#[derive(Serialize)]
struct ReportQuery {
    by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<i64>,
    /// Day, week and month rows split by model.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    models: bool,
}

/// Rows with their total (sessions counted once, as the caller found them).
fn team_report(by: By, rows: Vec<Row>, sessions: u64, title: String) -> ReportRows {
    let mut total = Row {
        key: "Total".into(),
        sessions,
        // Unknown as soon as a row does not know it.
        list_cost: Some(0.0),
        ..Row::default()
    };
    for r in &rows {
        total.messages = total.messages.saturating_add(r.messages);
        total.cost = add_usd(total.cost, r.cost);
        total.list_cost = total.list_cost.zip(r.list_cost).map(|(a, b)| add_usd(a, b));
        total.unpriced_messages = total.unpriced_messages.saturating_add(r.unpriced_messages);
        total.tokens.add(&r.tokens);
    }
    ReportRows {
        title,
        by,
        rows,
        total,
    }
}

/// The sessions of rows that count each session once.
fn sessions_in(rows: &[Row]) -> u64 {
    rows.iter().map(|r| r.sessions).fold(0, u64::saturating_add)
}

/// Say so when a sum reached the largest number and stopped there.
fn warn_capped(report: &ReportRows, out: &mut Output) {
    if report.rows.iter().chain([&report.total]).any(Row::capped) {
        out.warn(&Warning::new(
            "a cost or token sum of the report reaches the largest number and is capped there",
        ));
    }
}

/// Rows as a table, JSON Lines or CSV on stdout.
fn print(rows: Rows<'_>, format: &Format, out: &mut Output) -> Result<ExitCode, Error> {
    let what = match format {
        Format::Table => Render::Table(rows),
        Format::Json => Render::JsonLines(rows),
        Format::Csv => Render::Csv(rows),
        Format::Html(_) => unreachable!("pages are written by write_page"),
    };
    report::render(what, out.out)?;
    Ok(ExitCode::Ok)
}

/// Write the page to `file`, never into opencode's store.
fn write_page(
    page: &Dashboard,
    file: &std::path::Path,
    store: &StorePaths,
    out: &mut Output,
) -> Result<ExitCode, Error> {
    if file == std::path::Path::new("-") {
        report::render(Render::Html(page), out.out)?;
        return Ok(ExitCode::Ok);
    }
    let mut text = Vec::new();
    report::render(Render::Html(page), &mut text)?;
    // `--db` may name a database elsewhere: it looks like a database, but
    // its -wal and -shm do not.
    let [wal, shm] = ["-wal", "-shm"].map(|suffix| {
        let mut path = store.db.clone().into_os_string();
        path.push(suffix);
        std::path::PathBuf::from(path)
    });
    let protected = [
        Protected {
            path: &store.data_dir,
            why: "it is in the opencode data dir",
        },
        Protected {
            path: &wal,
            why: "it is opencode's",
        },
        Protected {
            path: &shm,
            why: "it is opencode's",
        },
    ];
    page_file::write(file, &text, &protected)?;
    out.note(&format!("wrote {}", file.display()));
    Ok(ExitCode::Ok)
}

/// `Usage by day, since 2026-11-01 00:00, local time (Europe/Berlin)`.
fn title(args: &Report, tz: &TimeZone) -> String {
    let at = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| ms.to_string())
    };
    let range = match (args.since_ms, args.until_ms) {
        (None, None) => "all time".to_string(),
        (Some(a), None) => format!("since {}", at(a)),
        (None, Some(b)) => format!("before {}", at(b)),
        (Some(a), Some(b)) => format!("{} to {}", at(a), at(b)),
    };
    let zone = args.zone.describe();
    format!(
        "Usage by {}, {range}, {zone}",
        args.by.name().to_lowercase()
    )
}
