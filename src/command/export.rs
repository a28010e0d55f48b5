//! `export` and `dry-run`: the same documents, sent to the sink or printed.

use crate::context::{self, Context};
use crate::device;
use crate::document::{Document, Origin, TodoStats};
use crate::error::{Error, ExitCode};
use crate::ledger::Ledger;
use crate::output::Output;
use crate::pipeline::{self, BuiltDoc, Recipe, Request};
use crate::select::change_key;
use crate::settings::{Export, Pick, Settings};
use crate::sink::batch::Batcher;
use crate::store::{SessionInfo, Todo};
use crate::xdg;
use std::io::Write;

pub fn run(s: &Settings, e: &Export, send: bool, out: &mut Output) -> Result<ExitCode, Error> {
    let ledger_key = e.target.ledger_key();
    let mut sink = if send { Some(e.target.open()?) } else { None };
    let Context {
        paths,
        mut store,
        catalog,
    } = Context::open(&s.store, out)?;
    let ledger_dir = xdg::state_dir()?;
    let mut ledger = if send {
        Ledger::open(&ledger_dir, |w| out.warn(&w))?
    } else {
        Ledger::read(&ledger_dir, |w| out.warn(&w))
    };
    let hostname = device::hostname();
    let origin = Origin {
        device_id: device::device_id(&hostname),
        hostname,
        exported_at: s.now.as_millisecond(),
    };

    let mut status = ExitCode::Ok;
    // The sessions asked for, with their todos.
    let mut targets: Vec<(&SessionInfo, Vec<Todo>)> = Vec::new();
    match &e.pick {
        Pick::AllComplete => {
            let mut warnings = Vec::new();
            let mut todos = store.todos_by_session(&catalog.sessions, &mut warnings)?;
            context::report(warnings, out);
            for s in &catalog.sessions {
                targets.push((s, todos.remove(&s.id).unwrap_or_default()));
            }
        }
        Pick::Ids(ids) | Pick::IfComplete(ids) => {
            for id in ids {
                match catalog.get(id) {
                    Some(s) => targets.push((s, store.todos(s)?)),
                    None => {
                        // Its file is there but unreadable: say which.
                        let err =
                            store
                                .take_unreadable(id)
                                .unwrap_or_else(|| Error::UnknownSession {
                                    id: id.clone(),
                                    data_dir: paths.data_dir.clone(),
                                });
                        out.error(&err);
                        status = status.or(err.exit_code());
                    }
                }
            }
        }
    }
    if !matches!(e.pick, Pick::Ids(_)) {
        targets.retain(|(s, todos)| e.selection.matches(s, &TodoStats::of(todos)));
    }

    // What the ledger holds as exported and unchanged is not read again.
    let salt = e.content.fingerprint();
    let mut requests = Vec::new();
    for (info, todos) in &targets {
        let descendants = catalog.descendants(&info.id);
        let key = change_key(info, todos, &descendants, &salt);
        if e.force || !ledger.is_current(&ledger_key, &info.id, &key) {
            requests.push(Request {
                info,
                descendants,
                key,
            });
        }
    }
    let total = targets.len() as u64;
    let up_to_date = total - requests.len() as u64;
    if send {
        out.start_progress(total);
        out.advance(up_to_date);
    }

    let pretty = match &e.pick {
        Pick::Ids(ids) | Pick::IfComplete(ids) => ids.len() == 1,
        Pick::AllComplete => false,
    };
    // In a backfill an unreadable session is a warning, not an error.
    let backfill = e.pick == Pick::AllComplete;
    let mut batcher = sink
        .as_mut()
        .map(|sink| Batcher::new(sink.as_mut(), &mut ledger, &ledger_key, e.batch_size));
    let mut unreadable = 0u64;
    let recipe = Recipe {
        origin,
        include: e.content,
    };
    pipeline::build_in_order(&mut store, recipe, requests, |built| {
        out.advance(1);
        for w in &built.warnings {
            out.warn(w);
        }
        let BuiltDoc { mut doc, settled } = match built.result {
            Ok(b) => b,
            Err(err) => {
                unreadable += 1;
                if backfill {
                    out.warn(&format!("skipping session {}: {err}", built.id));
                } else {
                    out.error(&err);
                    status = status.or(err.exit_code());
                }
                return Ok(true);
            }
        };
        // dry-run shows exactly what would be sent.
        if let Err(m) = e.target.prepare(&mut doc) {
            out.error(&m);
            status = status.or(ExitCode::Export);
            return Ok(true);
        }
        match &mut batcher {
            None => {
                emit(&doc, pretty, out)?;
                Ok(true)
            }
            Some(b) => {
                b.push(doc, built.key, settled, out)?;
                Ok(!b.stopped)
            }
        }
    })?;

    let Some(mut batcher) = batcher else {
        if up_to_date > 0 {
            out.note(&format!(
                "{up_to_date} sessions are already exported and unchanged (--force sends them again)"
            ));
        }
        return Ok(status);
    };
    batcher.flush(out)?;
    out.finish_progress();
    let mut tally = batcher.tally;
    let sink_name = batcher.describe();
    drop(batcher);
    ledger.finish()?;
    let attempted = total - up_to_date - unreadable;
    // Every session not confirmed failed: also those never sent because
    // the sink stopped, or refused before sending.
    let failed = attempted - tally.confirmed();
    tally.failed = failed;
    let mut line = format!(
        "exported {} of {attempted} sessions to {sink_name}: {tally}",
        tally.confirmed(),
    );
    if up_to_date > 0 {
        line.push_str(&format!("; {up_to_date} already exported and unchanged"));
    }
    out.note(&line);
    if failed > 0 {
        status = status.or(ExitCode::Export);
    }
    Ok(status)
}

/// One document on stdout: pretty for a single session, else one line.
fn emit(doc: &Document, pretty: bool, out: &mut Output) -> Result<(), Error> {
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        if pretty {
            serde_json::to_writer_pretty(&mut *w, doc)?;
        } else {
            serde_json::to_writer(&mut *w, doc)?;
        }
        w.write_all(b"\n")
    };
    write(out.out).map_err(Error::Output)
}
