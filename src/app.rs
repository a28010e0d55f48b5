//! Running a command: store -> documents -> output.

use crate::cli::{Cli, Command, ContentArgs, ExportArgs};
use crate::config::StorePaths;
use crate::device;
use crate::document::{self, Content, Document, Origin, Stats, TodoStats};
use crate::error::{Error, exit};
use crate::select::{Catalog, Selection};
use crate::store::{SessionInfo, Store, Want, Warning};
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
        Command::DryRun(args) => dry_run(cli, args, io),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "session-export", io.out);
            Ok(exit::OK)
        }
    }
}

fn content(args: &ContentArgs) -> Content {
    Content {
        messages: args.include_messages,
        todos: !args.no_include_todos,
    }
}

fn dry_run(cli: &Cli, args: &ExportArgs, io: &mut Io) -> Result<i32, Error> {
    let now = jiff::Timestamp::now();
    // Check the selection before touching the store: usage errors first.
    let selection = args
        .all_complete
        .then(|| Selection::new(&args.select, now))
        .transpose()?;
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
        include: content(&args.content),
        stats: HashMap::new(),
    };
    let mut warnings = Vec::new();
    let catalog = Catalog::new(builder.store.sessions(&mut warnings)?);
    flush_warnings(&mut warnings, io);

    let single = !args.all_complete && args.ids.len() == 1;
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

    for info in targets {
        match builder.document(info, &catalog) {
            Ok(doc) => emit(&doc, single, io)?,
            // In a backfill an unreadable session is skipped with a warning;
            // a session asked for by id is an error.
            Err(e) if args.all_complete => io.warn(&format!("skipping session {}: {e}", info.id)),
            Err(e) => {
                io.error(&e);
                status = worst(status, e.exit_code());
            }
        }
    }
    Ok(status)
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
