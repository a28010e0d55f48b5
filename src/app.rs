//! Running a command: store -> documents -> output.

use crate::cli::{Cli, Command, ExportArgs};
use crate::config::{Settings, StorePaths};
use crate::device;
use crate::document::{self, Content, Document, Origin, Stats, TodoStats};
use crate::error::{Error, exit};
use crate::select::{Catalog, Selection};
use crate::sink::convex::{BATCH_MAX_BYTES, BATCH_MAX_DOCS, Convex, DOC_BUDGET, Fatal};
use crate::sink::{Outcome, Tally};
use crate::store::{SessionInfo, Store, Want, Warning};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;

/// Where a run reports: documents to `out`, diagnostics to `err`.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

impl Io<'_> {
    fn warn(&mut self, msg: &str) {
        // Diagnostics are best effort: a closed stderr must not stop a run.
        let _ = writeln!(self.err, "warning: {msg}");
    }

    fn error(&mut self, e: &Error) {
        let _ = writeln!(self.err, "error: {e}");
    }
}

/// Run the parsed command line; returns the exit status.
pub fn run(cli: &Cli, io: &mut Io) -> Result<i32, Error> {
    match &cli.command {
        Command::DryRun(args) => export(cli, args, false, io),
        Command::Export(args) => export(cli, args, true, io),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "session-export", io.out);
            Ok(exit::OK)
        }
    }
}

/// `export` (`send`) or `dry-run`: the same documents, sent or printed.
fn export(cli: &Cli, args: &ExportArgs, send: bool, io: &mut Io) -> Result<i32, Error> {
    let now = jiff::Timestamp::now();
    // Settings and selection first: usage errors before touching anything.
    let settings = Settings::resolve(args)?;
    let selection = args
        .all_complete
        .then(|| {
            Selection::new(
                &args.select,
                settings.include_subagents,
                settings.abandoned_after.as_deref(),
                now,
            )
        })
        .transpose()?;
    let sink = match (&settings.convex, send) {
        (Some(c), true) => Some(Convex::new(
            &c.url,
            c.token.clone(),
            c.timeout,
            c.max_retries,
        )?),
        (None, true) => {
            return Err(Error::Usage(
                "no Convex URL configured: pass --convex-url, set SESSION_EXPORT_CONVEX_URL, or set convex_url in the config file".into(),
            ));
        }
        (_, false) => None,
    };
    let paths = StorePaths::resolve(&cli.store)?;
    let mut store = Store::open(&paths.data_dir, &paths.db, paths.db_explicit)?;
    let hostname = device::hostname();
    let origin = Origin {
        device_id: device::device_id(&hostname),
        hostname,
        exported_at: now.as_millisecond(),
    };
    let mut builder = Builder {
        store: &mut store,
        origin,
        include: settings.include,
        stats: HashMap::new(),
    };
    let mut warnings = Vec::new();
    let catalog = Catalog::new(builder.store.sessions(&mut warnings)?);
    flush_warnings(&mut warnings, io);

    let mut status = exit::OK;
    let targets: Vec<&SessionInfo> = match &selection {
        Some(sel) => {
            let todos = builder
                .store
                .todos_by_session(&catalog.sessions, &mut warnings)?;
            flush_warnings(&mut warnings, io);
            catalog
                .sessions
                .iter()
                .filter(|s| {
                    let stats = todos
                        .get(&s.id)
                        .map(|t| TodoStats::of(t))
                        .unwrap_or_default();
                    sel.matches(s, &stats)
                })
                .collect()
        }
        None => {
            let mut found = Vec::new();
            for id in &args.ids {
                match catalog.get(id) {
                    Some(s) => found.push(s),
                    None => {
                        let e = Error::UnknownSession {
                            id: id.clone(),
                            data_dir: paths.data_dir.clone(),
                        };
                        io.error(&e);
                        status = worst(status, e.exit_code());
                    }
                }
            }
            found
        }
    };

    let mut out = match &sink {
        Some(convex) => Output::Send(Batcher::new(convex)),
        None => Output::Print {
            pretty: !args.all_complete && args.ids.len() == 1,
        },
    };
    let fit = settings.convex.is_some();
    let total = targets.len();
    for info in targets {
        let mut doc = match builder.document(info, &catalog) {
            Ok(doc) => doc,
            // In a backfill an unreadable session is skipped with a warning;
            // a session asked for by id is an error.
            Err(e) if args.all_complete => {
                io.warn(&format!("skipping session {}: {e}", info.id));
                continue;
            }
            Err(e) => {
                io.error(&e);
                status = worst(status, e.exit_code());
                continue;
            }
        };
        // Convex refuses documents over 1 MiB: trim the transcript (dry-run
        // shows exactly what would be sent).
        if fit && !doc.fit(DOC_BUDGET) {
            let _ = writeln!(
                io.err,
                "error: {}: the document is over Convex's 1 MiB limit even without its transcript",
                info.id
            );
            status = worst(status, exit::EXPORT);
            continue;
        }
        match &mut out {
            Output::Print { pretty } => emit(&doc, *pretty, io)?,
            Output::Send(batcher) => {
                if !batcher.push(&doc, io) {
                    break;
                }
            }
        }
    }
    if let Output::Send(mut batcher) = out {
        batcher.flush(io);
        let tally = batcher.tally;
        let unsent = total as u64 - tally.confirmed() - tally.failed;
        if !cli.store.quiet {
            let url = sink.as_ref().map_or("", |c| c.url());
            let _ = writeln!(
                io.err,
                "exported {} of {total} sessions to {url}: {tally}",
                tally.confirmed()
            );
        }
        if tally.failed > 0 || unsent > 0 {
            status = worst(status, exit::EXPORT);
        }
    }
    Ok(status)
}

enum Output<'c> {
    Print { pretty: bool },
    Send(Batcher<'c>),
}

/// Collects documents into batches inside Convex's limits and sends them.
struct Batcher<'c> {
    sink: &'c Convex,
    pending: Vec<(String, Map<String, Value>)>,
    bytes: usize,
    tally: Tally,
    stopped: bool,
}

impl<'c> Batcher<'c> {
    fn new(sink: &'c Convex) -> Batcher<'c> {
        Batcher {
            sink,
            pending: Vec::new(),
            bytes: 0,
            tally: Tally::default(),
            stopped: false,
        }
    }

    /// Queue a document; false once the export cannot go on.
    fn push(&mut self, doc: &Document, io: &mut Io) -> bool {
        let Ok(Value::Object(map)) = serde_json::to_value(doc) else {
            unreachable!("a document serializes to an object")
        };
        let size = serde_json::to_vec(&map).map_or(0, |v| v.len());
        if !self.pending.is_empty()
            && (self.pending.len() >= BATCH_MAX_DOCS || self.bytes + size > BATCH_MAX_BYTES)
        {
            self.flush(io);
        }
        if self.stopped {
            return false;
        }
        self.bytes += size;
        self.pending.push((doc.session_id.clone(), map));
        true
    }

    fn flush(&mut self, io: &mut Io) {
        if self.pending.is_empty() {
            return;
        }
        self.bytes = 0;
        let (ids, docs): (Vec<String>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        match self.sink.send(docs) {
            Ok(outcomes) => {
                for (id, outcome) in ids.iter().zip(&outcomes) {
                    self.tally.add(outcome);
                    if let Outcome::Failed(m) = outcome {
                        let _ = writeln!(io.err, "error: {id}: {m}");
                    }
                }
            }
            Err(Fatal(m)) => {
                let _ = writeln!(io.err, "error: {m}");
                self.tally.failed += ids.len() as u64;
                self.stopped = true;
            }
        }
    }
}

/// The first failure decides the exit status.
fn worst(current: i32, new: i32) -> i32 {
    if current == exit::OK { new } else { current }
}

fn flush_warnings(warnings: &mut Vec<Warning>, io: &mut Io) {
    for w in warnings.drain(..) {
        io.warn(&w.0);
    }
}

fn emit(doc: &Document, pretty: bool, io: &mut Io) -> Result<(), Error> {
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        if pretty {
            serde_json::to_writer_pretty(&mut *out, doc)?;
        } else {
            serde_json::to_writer(&mut *out, doc)?;
        }
        out.write_all(b"\n")
    };
    write(io.out).map_err(Error::Output)
}

/// Builds documents, caching the stats of subagent sessions.
struct Builder<'s> {
    store: &'s mut Store,
    origin: Origin,
    include: Content,
    stats: HashMap<String, Stats>,
}

impl Builder<'_> {
    fn document(&mut self, info: &SessionInfo, catalog: &Catalog) -> Result<Document, Error> {
        // Read again when the store changed under an immutable snapshot
        // (after the first change it is normally read through its WAL).
        for _ in 0..5 {
            let doc = self.read_document(info, catalog)?;
            if self.store.revalidate()? {
                return Ok(doc);
            }
            self.stats.clear();
        }
        Err(Error::Unstable(self.store.data_dir().to_path_buf()))
    }

    fn read_document(&mut self, info: &SessionInfo, catalog: &Catalog) -> Result<Document, Error> {
        let want = Want {
            transcript: self.include.messages,
        };
        let content = self.store.content(info, want)?;
        let mut descendants = Vec::new();
        for d in catalog.descendants(&info.id) {
            if !self.stats.contains_key(&d.id) {
                let c = self.store.content(d, Want::default())?;
                self.stats.insert(d.id.clone(), Stats::of(&c.messages));
            }
            descendants.push(self.stats[&d.id].clone());
        }
        Ok(document::build(
            info,
            &content,
            &descendants,
            &self.origin,
            self.include,
        ))
    }
}
