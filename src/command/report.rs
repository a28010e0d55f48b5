//! `report`: usage summed per day, week, month, project, model, agent,
//! session or device, straight from the store.

use crate::cli::By;
use crate::context::{self, Context};
use crate::device;
use crate::document::TodoStats;
use crate::error::{Error, ExitCode};
use crate::output::Output;
use crate::page_file::{self, Protected};
use crate::report::collect::{self, Window};
use crate::report::group::{self, Device};
use crate::report::{Dashboard, Report as ReportRows, Row, by_name, csv, html, table};
use crate::settings::{Format, Report, Settings};
use crate::sink::convex::{Convex, Deployment};
use crate::store::{SessionInfo, StorePaths};
use crate::usage::add_usd;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn run(s: &Settings, args: &Report, out: &mut Output) -> Result<ExitCode, Error> {
    if let Some(deployment) = &args.convex {
        return team(deployment, args, &s.store, out);
    }
    let Context {
        mut store, catalog, ..
    } = Context::open(&s.store, out)?;
    let sessions: Vec<&SessionInfo> = catalog
        .sessions
        .iter()
        .filter(|s| args.selection.in_scope(s))
        .collect();
    let tz = if args.utc {
        TimeZone::UTC
    } else {
        TimeZone::system()
    };
    let window = Window {
        since_ms: args.since_ms,
        until_ms: args.until_ms,
        tz: tz.clone(),
    };
    let facts = collect::collect(&mut store, &sessions, &window, &mut |w| out.warn(&w))?;
    let hostname = device::hostname();
    let device = Device {
        id: device::device_id(&hostname),
        hostname,
    };
    let title = title(args, &tz);
    let rows = group::report(&facts, &sessions, args.by, &device, title);
    warn_capped(&rows, out);
    if let Format::Html(file) = &args.format {
        let mut warnings = Vec::new();
        let todos: HashMap<String, TodoStats> = store
            .todos_by_session(&catalog.sessions, &mut warnings)?
            .into_iter()
            .map(|(id, t)| (id, TodoStats::of(&t)))
            .collect();
        context::report(warnings, out);
        let page = group::dashboard(&facts, &sessions, &catalog, &todos, &device, rows);
        return write_page(&page, file, &s.store, out);
    }
    print(&rows, &args.format, out)
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
    let ask = |by: By| -> Result<Vec<Row>, Error> {
        let mut q = serde_json::Map::new();
        q.insert("by".into(), by_name(by).to_lowercase().into());
        if let Some(ms) = args.since_ms {
            q.insert("from".into(), ms.into());
        }
        if let Some(ms) = args.until_ms {
            q.insert("to".into(), ms.into());
        }
        if matches!(by, By::Day | By::Week | By::Month) {
            q.insert("models".into(), true.into());
        }
        let answer = convex.query("sessions:report", q)?;
        serde_json::from_value(answer).map_err(|e| {
            Error::Remote(format!(
                "{}: sessions:report answered rows this version cannot read: {e}",
                deployment.url
            ))
        })
    };
    let rows = ask(args.by)?;
    // Every session has one device: the device rows count each once.
    let sessions = match args.by {
        By::Device => sessions_in(&rows),
        _ => sessions_in(&ask(By::Device)?),
    };
    let title = title(args, &TimeZone::UTC).replacen("Usage", "Team usage", 1);
    let report = team_report(args.by, rows, sessions, title);
    warn_capped(&report, out);
    if let Format::Html(file) = &args.format {
        let days = match args.by {
            By::Day => report.rows.clone(),
            _ => ask(By::Day)?,
        };
        let projects = match args.by {
            By::Project => report.rows.clone(),
            _ => ask(By::Project)?,
        };
        let page = Dashboard {
            title: report.title.clone(),
            days,
            projects,
            todos: Vec::new(),
            sessions: Vec::new(),
            report,
        };
        return write_page(&page, file, store, out);
    }
    print(&report, &args.format, out)
}

/// Rows with their total (sessions counted once, as the caller found them).
fn team_report(by: By, rows: Vec<Row>, sessions: u64, title: String) -> ReportRows {
    let mut total = Row {
        key: "Total".into(),
        sessions,
        ..Row::default()
    };
    for r in &rows {
        total.messages = total.messages.saturating_add(r.messages);
        total.cost = add_usd(total.cost, r.cost);
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
        out.warn(
            "a cost or token sum of the report reaches the largest number and is capped there",
        );
    }
}

fn print(rows: &ReportRows, format: &Format, out: &mut Output) -> Result<ExitCode, Error> {
    let written = match format {
        Format::Table => out.out.write_all(table::render(rows).as_bytes()),
        Format::Json => rows.rows.iter().try_for_each(|r| {
            serde_json::to_writer(&mut *out.out, r)?;
            out.out.write_all(b"\n")
        }),
        Format::Csv => csv::render(rows, out.out).map_err(std::io::Error::other),
        Format::Html(_) => unreachable!("pages are written by write_page"),
    };
    written.map_err(Error::Output)?;
    Ok(ExitCode::Ok)
}

/// Write the page to `file`, never into opencode's store.
fn write_page(
    page: &Dashboard,
    file: &std::path::Path,
    store: &StorePaths,
    out: &mut Output,
) -> Result<ExitCode, Error> {
    let text = html::render(page).map_err(|e| Error::Usage(e.to_string()))?;
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
    page_file::write(file, text.as_bytes(), &protected)?;
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
    let zone = if args.utc {
        "UTC".to_string()
    } else {
        match tz.iana_name() {
            Some(name) => format!("local time ({name})"),
            None => "local time".to_string(),
        }
    };
    format!(
        "Usage by {}, {range}, {zone}",
        by_name(args.by).to_lowercase()
    )
}
