//! `export` and `dry-run`: the same documents, sent to the sink or printed.

use crate::device;
use crate::document::{Document, Origin, TodoStats};
use crate::error::{Error, ExitCode, Warning};
use crate::ledger::Ledger;
use crate::output::Output;
use crate::pipeline::{self, Recipe};
use crate::repository::Repositories;
use crate::select::{Selection, change_key};
use crate::settings::{Export, Pick, Settings};
use crate::sink::Tally;
use crate::sink::batch::Batcher;
use crate::store::{SessionInfo, Slot, Source, Store};
use crate::xdg;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn run(s: &Settings, e: &Export, send: bool, out: &mut Output) -> Result<ExitCode, Error> {
    crate::prices::install(e.prices.as_deref())?;
    let ledger_key = e.target.ledger_key();
    let mut sink = if send { Some(e.target.open()?) } else { None };
    let mut store = Store::open(&s.store)?;
    let ledger_dir = xdg::state_dir()?;
    let ledger = Mutex::new(if send {
        Ledger::open(&ledger_dir, |w| out.warn(&w))?
    } else {
        Ledger::read(&ledger_dir, |w| out.warn(&w))
    });
    let hostname = device::hostname();
    let origin = Origin {
        device_id: device::device_id(&hostname),
        hostname,
        exported_at: s.now.as_millisecond(),
    };

    let mut status = ExitCode::Ok;
    let mut left_out = LeftOut::default();
    // The sessions asked for that are in the store: a backfill keeps only
    // their places, not the sessions.
    let mut warnings = Vec::new();
    let slots = match &e.pick {
        Pick::AllComplete => store.order(&mut warnings)?,
        Pick::Ids(ids) | Pick::IfComplete(ids) => {
            let mut slots = Vec::new();
            for id in ids {
                let slot = store.slot_of(id, &mut warnings)?;
                // Listing the JSON store's sessions warns before the errors.
                warnings.drain(..).for_each(|w| out.warn(&w));
                match slot {
                    Some(slot) => slots.push(slot),
                    None => {
                        // Its file is there but unreadable: say which.
                        let err =
                            store
                                .take_unreadable(id)
                                .unwrap_or_else(|| Error::UnknownSession {
                                    id: id.clone(),
                                    data_dir: s.store.data_dir.clone(),
                                });
                        out.error(&err);
                        status = status.or(err.exit_code());
                    }
                }
            }
            slots
        }
    };
    let known = slots.len() as u64;
    warnings.iter().for_each(|w| out.warn(w));
    if known == 0 && e.pick == Pick::AllComplete {
        out.note(&format!("no sessions in {}", s.store.data_dir.display()));
    }
    if send {
        out.start_progress(known);
    }

    let pretty = match &e.pick {
        Pick::Ids(ids) | Pick::IfComplete(ids) => ids.len() == 1,
        Pick::AllComplete => false,
    };
    // In a backfill an unreadable session is a warning, not an error.
    let backfill = e.pick == Pick::AllComplete;
    let plan = Plan {
        selection: match e.pick {
            Pick::Ids(_) => None,
            _ => Some(&e.selection),
        },
        backfill,
        // What the ledger holds as exported and unchanged is not read
        // again, except by `dry-run` of sessions named by id, which shows
        // them.
        show_unchanged: !send && matches!(e.pick, Pick::Ids(_)),
        force: e.force,
        stopped: AtomicBool::new(false),
        salt: e.content.fingerprint(),
        ledger: &ledger,
        ledger_key: &ledger_key,
        recipe: Recipe {
            origin,
            include: e.content,
        },
    };
    let mut batcher = sink
        .as_mut()
        .map(|sink| Batcher::new(sink.as_mut(), &ledger, &ledger_key, e.batch_size));
    let mut picked = 0u64;
    let mut unreadable = 0u64;
    let mut shown_unchanged = Vec::new();
    // A subagent session is read for its parent's document and for its
    // own: what is wrong in it is said once.
    let mut said = std::collections::HashSet::new();
    pipeline::lanes(
        &mut store,
        slots,
        // A document with its transcript can be large: hold fewer.
        if e.content.messages {
            pipeline::BATCH_OF_LARGE
        } else {
            pipeline::BATCH
        },
        |store, repositories, slot| plan.one(store, repositories, slot),
        |(done, warnings)| {
            out.advance(1);
            for w in warnings {
                if !said.contains(&w) {
                    out.warn(&w);
                    said.insert(w);
                }
            }
            let built = match done {
                Done::LeftOut(id, reason) => {
                    left_out.add(&id, reason);
                    return Ok(());
                }
                Done::Gone => return Ok(()),
                Done::NotSent => {
                    // The sink stopped: counted as failed below.
                    picked += 1;
                    return Ok(());
                }
                Done::Built(b) => b,
            };
            picked += 1;
            if built.unchanged {
                shown_unchanged.push(built.id.clone());
            }
            let (mut doc, settled) = match built.result {
                Ok(b) => b,
                Err(err) => {
                    unreadable += 1;
                    if backfill {
                        out.warn(&Warning::skipping(
                            format_args!("session {}", built.id),
                            err,
                        ));
                    } else {
                        out.error(&err);
                        status = status.or(err.exit_code());
                    }
                    return Ok(());
                }
            };
            // dry-run shows exactly what would be sent.
            if let Err(m) = e.target.prepare(&mut doc) {
                out.error(&m);
                status = status.or(ExitCode::Export);
                return Ok(());
            }
            match &mut batcher {
                None => {
                    emit(&doc, pretty, out)?;
                    Ok(())
                }
                Some(b) => {
                    b.push(doc, built.key, settled, out)?;
                    // Once the sink stops, the lanes only find out which of
                    // the other sessions would have been sent.
                    if b.stopped {
                        plan.stopped.store(true, Ordering::Relaxed);
                    }
                    Ok(())
                }
            }
        },
    )?;
    if let Some(line) = left_out.line(known, picked, send, e.selection.scope_options()) {
        out.note(&line);
    }
    match shown_unchanged.as_slice() {
        [] => {}
        [id] => out.note(&format!(
            "{id} is already exported and unchanged: `export` sends it again only with --force"
        )),
        ids => out.note(&format!(
            "{} of these sessions are already exported and unchanged: `export` sends them again only with --force",
            ids.len()
        )),
    }

    let Some(mut batcher) = batcher else {
        return Ok(status);
    };
    batcher.flush(out)?;
    out.finish_progress();
    let mut tally = batcher.tally;
    let sink_name = batcher.describe();
    drop(batcher);
    ledger
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .finish()?;
    // Every session not confirmed failed: also those never sent because
    // the sink stopped, or refused before sending.
    tally.failed = picked - unreadable - tally.confirmed();
    if let Some(line) = summary(&tally, unreadable, &sink_name) {
        out.note(&line);
    }
    if tally.failed > 0 {
        status = status.or(ExitCode::Export);
    }
    Ok(status)
}

/// What every lane needs to pick sessions and build their documents.
struct Plan<'a> {
    /// The `--all-complete` filter; None for sessions named by id.
    selection: Option<&'a Selection>,
    /// A session's todos that cannot be read are a warning, not an error.
    backfill: bool,
    /// Build sessions the ledger holds as exported and unchanged too.
    show_unchanged: bool,
    force: bool,
    /// The sink stopped: sessions are picked but not read.
    stopped: AtomicBool,
    salt: String,
    ledger: &'a Mutex<Ledger>,
    ledger_key: &'a str,
    recipe: Recipe,
}

/// What became of one session.
enum Done {
    LeftOut(String, Reason),
    /// It was deleted since the run began.
    Gone,
    /// It would have been sent, but the sink stopped.
    NotSent,
    Built(Box<Built>),
}

/// A built document, or why it could not be built.
struct Built {
    id: String,
    /// Its change key, for the ledger.
    key: String,
    /// The document, and whether no assistant message was still being
    /// written.
    result: Result<(Document, bool), Error>,
    /// The ledger holds it as exported and unchanged.
    unchanged: bool,
}

impl Plan<'_> {
    /// Read the session at `slot` and decide; build its document when it
    /// is picked. Everything is read again when the store changed meanwhile.
    /// Also the warnings about what of the store was skipped meanwhile.
    fn one(
        &self,
        store: &mut Store,
        repositories: &mut Repositories,
        slot: Slot,
    ) -> (Done, Vec<Warning>) {
        let mut warnings = Vec::new();
        let mut seen = None;
        let done = pipeline::stable(store, |store| {
            warnings.clear();
            let Some(info) = store.session(slot)? else {
                return Ok(Done::Gone);
            };
            seen = Some(info.id.clone());
            if let Some(reason) = self.selection.and_then(|sel| out_of_scope(sel, &info)) {
                return Ok(Done::LeftOut(info.id, reason));
            }
            let todos = match store.todos(&info) {
                Ok(t) => t,
                Err(e) if self.backfill && info.source == Source::Json => {
                    warnings.push(Warning::new(e.to_string()));
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            if let Some(sel) = self.selection {
                let stats = TodoStats::of(&todos);
                if !sel.ended(&info, &stats) {
                    return Ok(Done::LeftOut(info.id, Reason::OpenTodos(stats)));
                }
            }
            let descendants = store.descendants(&info)?;
            let descendants: Vec<&SessionInfo> = descendants.iter().collect();
            let key = change_key(&info, &todos, &descendants, &self.salt);
            let unchanged = !self.force
                && self
                    .ledger
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .is_current(self.ledger_key, &info.id, &key);
            if unchanged && !self.show_unchanged {
                return Ok(Done::LeftOut(info.id, Reason::Unchanged));
            }
            if self.stopped.load(Ordering::Relaxed) {
                return Ok(Done::NotSent);
            }
            let (doc, settled) = pipeline::build_document(
                store,
                repositories,
                &self.recipe,
                &info,
                &todos,
                &descendants,
                &mut warnings,
            )?;
            Ok(Done::Built(Box::new(Built {
                id: info.id,
                key,
                result: Ok((doc, settled)),
                unchanged,
            })))
        });
        let done = done.unwrap_or_else(|e| {
            Done::Built(Box::new(Built {
                id: seen.unwrap_or_default(),
                key: String::new(),
                result: Err(e),
                unchanged: false,
            }))
        });
        (done, warnings)
    }
}

/// Why the selection leaves a session out.
#[derive(Debug, Clone, Copy)]
enum Reason {
    /// Outside `--since`/`--project`.
    Scope,
    /// A subagent session, without `--include-subagents`.
    Subagent,
    OpenTodos(TodoStats),
    /// The ledger holds it as exported and unchanged.
    Unchanged,
}

/// Why `--all-complete` does not pick `s` whatever its todos (it picks the
/// top-level sessions inside `--since`/`--project` that ended).
fn out_of_scope(selection: &Selection, s: &SessionInfo) -> Option<Reason> {
    if !selection.in_scope(s) {
        Some(Reason::Scope)
    } else if s.parent_id.is_some() && !selection.include_subagents() {
        Some(Reason::Subagent)
    } else {
        None
    }
}

/// The sessions left out, counted by reason, for one line on stderr.
#[derive(Default)]
struct LeftOut {
    scope: u64,
    subagent: u64,
    open_todos: u64,
    unchanged: u64,
    /// The last one, to name it when it is the only session asked for.
    last: Option<(String, Reason)>,
}

impl LeftOut {
    fn add(&mut self, id: &str, reason: Reason) {
        match reason {
            Reason::Scope => self.scope += 1,
            Reason::Subagent => self.subagent += 1,
            Reason::OpenTodos(_) => self.open_todos += 1,
            Reason::Unchanged => self.unchanged += 1,
        }
        self.last = Some((id.to_string(), reason));
    }

    /// What was left out of `known` sessions and why, when anything was:
    /// "exporting 9 of 11 sessions; left out: 1 with open todos, ...", or
    /// "nothing to export: ses_x has open todos (1 of 4 done)".
    fn line(&self, known: u64, picked: u64, send: bool, scope: &str) -> Option<String> {
        let (id, reason) = self.last.as_ref()?;
        let nothing = if send {
            "nothing to export"
        } else {
            "nothing to show"
        };
        if known == 1 {
            let why = match reason {
                Reason::Scope => format!("{id} is outside {scope}"),
                Reason::Subagent => format!(
                    "{id} is a subagent session, sent inside its parent's document \
                     (--include-subagents picks it on its own)"
                ),
                Reason::OpenTodos(t) => format!(
                    "{id} has open todos ({} of {} done)",
                    t.completed + t.cancelled,
                    t.total
                ),
                Reason::Unchanged => {
                    format!("{id} is already exported and unchanged (--force sends it again)")
                }
            };
            return Some(format!("{nothing}: {why}"));
        }
        let mut parts = Vec::new();
        if self.unchanged > 0 {
            parts.push(format!(
                "{} already exported and unchanged (--force sends {} again)",
                self.unchanged,
                if self.unchanged == 1 { "it" } else { "them" }
            ));
        }
        if self.open_todos > 0 {
            parts.push(format!("{} with open todos", self.open_todos));
        }
        if self.subagent > 0 {
            parts.push(format!(
                "{} sent inside {} parent's document",
                sessions(self.subagent).replace("session", "subagent session"),
                if self.subagent == 1 { "its" } else { "their" }
            ));
        }
        if self.scope > 0 {
            parts.push(format!("{} outside {scope}", self.scope));
        }
        let parts = parts.join(", ");
        Some(if picked == 0 {
            format!("{nothing}; of {}: {parts}", sessions(known))
        } else {
            let doing = if send { "exporting" } else { "showing" };
            format!("{doing} {picked} of {}; left out: {parts}", sessions(known))
        })
    }
}

/// "1 session", "2 sessions".
fn sessions(n: u64) -> String {
    match n {
        1 => "1 session".into(),
        n => format!("{n} sessions"),
    }
}

/// The closing line of an export, as a person reads it: what went where,
/// naming only the outcomes that happened. None when nothing was tried.
fn summary(t: &Tally, unreadable: u64, dest: &str) -> Option<String> {
    let (confirmed, failed) = (t.confirmed(), t.failed);
    let attempted = confirmed + failed;
    let mut parts = Vec::new();
    for (n, what) in [
        (t.inserted, "new"),
        (t.updated, "updated"),
        (t.unchanged, "unchanged (already there)"),
        (t.stale, "stale (it holds a newer version)"),
        (failed, "failed"),
        (unreadable, "could not be read"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let head = if attempted == 0 {
        if unreadable == 0 {
            return None;
        }
        format!("exported nothing to {dest}")
    } else if confirmed > 0 && t.unchanged == confirmed && failed == 0 && unreadable == 0 {
        return Some(format!(
            "sent {} to {dest}: it held {} already, unchanged; nothing was written",
            sessions(confirmed),
            if confirmed == 1 { "it" } else { "them all" }
        ));
    } else if failed == 0 {
        format!("exported {} to {dest}", sessions(confirmed))
    } else {
        format!("exported {confirmed} of {} to {dest}", sessions(attempted))
    };
    Some(format!("{head}: {}", parts.join(", ")))
}

/// One document on stdout: pretty for a single session, else one line.
fn emit(doc: &Document, pretty: bool, out: &mut Output) -> Result<(), Error> {
    crate::output::json(doc, pretty, out.out).map_err(Error::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(inserted: u64, updated: u64, unchanged: u64, stale: u64, failed: u64) -> Tally {
        Tally {
            inserted,
            updated,
            unchanged,
            stale,
            failed,
        }
    }

    #[test]
    fn summaries_name_only_what_happened() {
        let s = |t, unreadable| summary(&t, unreadable, "X");
        assert_eq!(s(tally(0, 0, 0, 0, 0), 0), None);
        assert_eq!(
            s(tally(1, 0, 0, 0, 0), 0).unwrap(),
            "exported 1 session to X: 1 new"
        );
        assert_eq!(
            s(tally(2, 1, 1, 1, 0), 0).unwrap(),
            "exported 5 sessions to X: 2 new, 1 updated, 1 unchanged (already there), \
             1 stale (it holds a newer version)"
        );
        assert_eq!(
            s(tally(0, 0, 3, 0, 0), 0).unwrap(),
            "sent 3 sessions to X: it held them all already, unchanged; nothing was written"
        );
        assert_eq!(
            s(tally(2, 0, 0, 0, 1), 0).unwrap(),
            "exported 2 of 3 sessions to X: 2 new, 1 failed"
        );
        assert_eq!(
            s(tally(0, 0, 0, 0, 1), 0).unwrap(),
            "exported 0 of 1 session to X: 1 failed"
        );
        assert_eq!(
            s(tally(0, 0, 0, 0, 0), 2).unwrap(),
            "exported nothing to X: 2 could not be read"
        );
    }

    #[test]
    fn what_was_left_out_is_one_line() {
        let mut l = LeftOut::default();
        assert_eq!(l.line(3, 3, true, "--since"), None);
        l.add("ses_a", Reason::Scope);
        l.add("ses_b", Reason::Subagent);
        l.add("ses_c", Reason::Subagent);
        assert_eq!(
            l.line(5, 2, true, "--since").unwrap(),
            "exporting 2 of 5 sessions; left out: 2 subagent sessions sent inside their \
             parent's document, 1 outside --since"
        );
        let mut one = LeftOut::default();
        one.add("ses_b", Reason::Subagent);
        assert_eq!(
            one.line(1, 0, false, "--since").unwrap(),
            "nothing to show: ses_b is a subagent session, sent inside its parent's document \
             (--include-subagents picks it on its own)"
        );
    }
}
