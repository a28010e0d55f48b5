//! `report`: usage summed per day, week, month, project, model, agent,
//! session or device, straight from the store.

use crate::context::{self, Context};
use crate::device;
use crate::document::TodoStats;
use crate::error::{Error, ExitCode};
use crate::output::Output;
use crate::report::collect::{self, Window};
use crate::report::group::{self, Device};
use crate::report::{by_name, csv, html, table};
use crate::settings::{Format, Report, Settings};
use crate::store::SessionInfo;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn run(s: &Settings, args: &Report, out: &mut Output) -> Result<ExitCode, Error> {
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
    let written = match &args.format {
        Format::Table => out.out.write_all(table::render(&rows).as_bytes()),
        Format::Json => rows.rows.iter().try_for_each(|r| {
            serde_json::to_writer(&mut *out.out, r)?;
            out.out.write_all(b"\n")
        }),
        Format::Csv => csv::render(&rows, out.out).map_err(std::io::Error::other),
        Format::Html(file) => {
            let mut warnings = Vec::new();
            let todos: HashMap<String, TodoStats> = store
                .todos_by_session(&catalog.sessions, &mut warnings)?
                .into_iter()
                .map(|(id, t)| (id, TodoStats::of(&t)))
                .collect();
            context::report(warnings, out);
            let page = group::dashboard(&facts, &sessions, &catalog, &todos, &device, rows);
            let text = html::render(&page).map_err(|e| Error::Usage(e.to_string()))?;
            std::fs::write(file, text).map_err(|source| Error::State {
                path: file.clone(),
                source,
            })?;
            out.note(&format!("wrote {}", file.display()));
            Ok(())
        }
    };
    written.map_err(Error::Output)?;
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
