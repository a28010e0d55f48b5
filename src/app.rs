//! Running a command: store -> documents -> sink (or stdout).

use crate::cli::{Cli, Command, ExportArgs};
use crate::config::{Settings, StorePaths};
use crate::device;
use crate::document::{self, Collected, Content, Document, Origin, Stats, TodoStats};
use crate::error::{Error, exit};
use crate::ledger::{Entry, Ledger};
use crate::select::{Catalog, Selection, change_key};
use crate::sink::convex::{BATCH_MAX_BYTES, Convex, DOC_BUDGET, Fatal};
use crate::sink::local::LocalDb;
use crate::sink::{Outcome, Tally};
use crate::store::{RawMessages, SessionInfo, Store, Todo, Want, Warning};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::mpsc;

/// Where a run reports: documents to `out`, diagnostics to `err`.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// A progress bar on a terminal's stderr, during a long export.
    bar: Option<ProgressBar>,
}

impl<'a> Io<'a> {
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Io<'a> {
        Io {
            out,
            err,
            bar: None,
        }
    }

    pub fn warn(&mut self, msg: &str) {
        self.line(&format!("warning: {msg}"));
    }

    fn error(&mut self, msg: &dyn std::fmt::Display) {
        self.line(&format!("error: {msg}"));
    }

    /// One diagnostic line, above the progress bar if there is one.
    /// Diagnostics are best effort: a closed stderr must not stop a run.
    fn line(&mut self, text: &str) {
        let err = &mut self.err;
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(err, "{text}");
            }),
            None => {
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Show a progress bar for `total` sessions when stderr is a terminal.
    fn start_progress(&mut self, total: u64) {
        if total > 1 && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} sessions, {eta} left")
                    .expect("a valid template"),
            );
            self.bar = Some(bar);
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish_progress(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Run the parsed command line; returns the exit status.
pub fn run(cli: &Cli, io: &mut Io) -> Result<i32, Error> {
    match &cli.command {
        Command::DryRun(args) => export(cli, args, false, io),
        Command::Export(args) => export(cli, args, true, io),
        Command::List(args) => crate::list::list(cli, args, io),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "session-export", io.out);
            Ok(exit::OK)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(io.out)
                .map_err(Error::Output)?;
            Ok(exit::OK)
        }
    }
}

/// The configured destination of documents.
enum Sink {
    Convex(Convex),
    Local(LocalDb),
}

impl Sink {
    fn send(&mut self, docs: Vec<Map<String, Value>>) -> Result<Vec<Outcome>, Fatal> {
        match self {
            Sink::Convex(c) => c.send(docs),
            Sink::Local(l) => l.send(docs),
        }
    }

    fn describe(&self) -> String {
        match self {
            Sink::Convex(c) => c.url().to_string(),
            Sink::Local(l) => l.path().display().to_string(),
        }
    }
}

/// The ledger's name for the sink the settings point at.
pub fn sink_key(settings: &Settings) -> Result<String, Error> {
    Ok(match &settings.convex {
        Some(c) => format!("convex:{}", c.url.trim().trim_end_matches('/')),
        None => format!("sqlite:{}", LocalDb::default_path()?.display()),
    })
}

/// `export` (`send`) or `dry-run`: the same documents, sent or printed.
fn export(cli: &Cli, args: &ExportArgs, send: bool, io: &mut Io) -> Result<i32, Error> {
    let now = jiff::Timestamp::now();
    // Settings and selection first: usage errors before touching anything.
    let settings = Settings::for_export(args)?;
    let s = &args.select;
    if !(args.all_complete || args.if_complete)
        && (s.since.is_some()
            || s.project.is_some()
            || s.include_subagents
            || s.abandoned_after.is_some())
    {
        return Err(Error::Usage(
            "--since, --project, --include-subagents and --abandoned-after choose among \
             sessions: use them with --all-complete or --if-complete"
                .into(),
        ));
    }
    let selection = (args.all_complete || args.if_complete)
        .then(|| {
            Selection::new(
                &args.select,
                settings.include_subagents,
                settings.abandoned_after.as_deref(),
                now,
            )
        })
        .transpose()?;
    let sink_key = sink_key(&settings)?;
    let mut sink = match (send, &settings.convex) {
        (false, _) => None,
        (true, Some(c)) => Some(Sink::Convex(Convex::new(
            &c.url,
            c.token.clone(),
            c.timeout,
            c.max_retries,
        )?)),
        (true, None) => Some(Sink::Local(LocalDb::open(&LocalDb::default_path()?)?)),
    };
    let (paths, mut store, catalog) = open_catalog(cli, io)?;
    let ledger_dir = Ledger::default_dir()?;
    let mut ledger = if send {
        Ledger::open(&ledger_dir, |w| io.warn(&w))?
    } else {
        Ledger::read(&ledger_dir, |w| io.warn(&w))
    };
    let hostname = device::hostname();
    let origin = Origin {
        device_id: device::device_id(&hostname),
        hostname,
        exported_at: now.as_millisecond(),
    };
    let mut warnings = Vec::new();

    let mut status = exit::OK;
    // The sessions asked for, with their todos.
    let mut targets: Vec<(&SessionInfo, Vec<Todo>)> = Vec::new();
    if args.all_complete {
        let mut todos = store.todos_by_session(&catalog.sessions, &mut warnings)?;
        flush_warnings(&mut warnings, io);
        for s in &catalog.sessions {
            targets.push((s, todos.remove(&s.id).unwrap_or_default()));
        }
    } else {
        for id in &args.ids {
            match catalog.get(id) {
                Some(s) => targets.push((s, store.todos(s)?)),
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
    }
    if let Some(sel) = &selection {
        targets.retain(|(s, todos)| sel.matches(s, &TodoStats::of(todos)));
    }

    let salt = settings.fingerprint();
    let sending = sink.is_some();
    let mut reader = Reader {
        store: &mut store,
        want: Want {
            transcript: settings.include.messages,
        },
        sent: HashSet::new(),
        reset: false,
    };
    let worker = Worker {
        origin,
        include: settings.include,
        stats: HashMap::new(),
    };
    let mut out = Deliver {
        io,
        batcher: Batcher::new(sink.as_mut(), &mut ledger, &sink_key, settings.batch_size),
        pretty: !args.all_complete && args.ids.len() == 1,
        fit: settings.convex.is_some(),
        backfill: args.all_complete,
        status,
        unreadable: 0,
        stopped: false,
    };
    let mut up_to_date = 0u64;
    let total = targets.len() as u64;
    if sending && !cli.store.quiet {
        out.io.start_progress(total);
    }
    // Reading the store (here) and parsing and building documents (on a
    // worker) overlap; documents come back in order.
    // Jobs travel in batches of up to this many sessions or bytes, so that
    // handing them over costs little.
    const BATCH_JOBS: usize = 64;
    const BATCH_BYTES: usize = 1 << 20;
    std::thread::scope(|scope| -> Result<(), Error> {
        let (jobs, job_rx) = mpsc::sync_channel::<Vec<Job>>(2);
        let (done_tx, done) = mpsc::channel::<Vec<Done>>();
        scope.spawn(move || worker.run(job_rx, done_tx));
        let mut batch = Vec::new();
        let mut bytes = 0;
        for (info, todos) in &targets {
            out.io.advance();
            let descendants = catalog.descendants(&info.id);
            let key = change_key(info, todos, &descendants, &salt);
            if out.batcher.ledger.is_current(&sink_key, &info.id, &key) && !args.force {
                up_to_date += 1;
                continue;
            }
            match reader.read(info, &descendants, key) {
                Ok(job) => {
                    bytes += job.bytes();
                    batch.push(job);
                }
                Err(e) => out.failed(&info.id, e),
            }
            if batch.len() >= BATCH_JOBS || bytes >= BATCH_BYTES {
                jobs.send(std::mem::take(&mut batch))
                    .expect("the worker runs until the jobs end");
                bytes = 0;
            }
            while let Ok(d) = done.try_recv() {
                out.deliver(d)?;
            }
            if out.stopped {
                break;
            }
        }
        if !batch.is_empty() {
            jobs.send(batch)
                .expect("the worker runs until the jobs end");
        }
        drop(jobs);
        for d in done {
            out.deliver(d)?;
        }
        Ok(())
    })?;
    let Deliver {
        io,
        mut batcher,
        mut status,
        unreadable,
        ..
    } = out;
    if !sending {
        if up_to_date > 0 && !cli.store.quiet {
            let _ = writeln!(
                io.err,
                "{up_to_date} sessions are already exported and unchanged (--force sends them again)"
            );
        }
        return Ok(status);
    }
    batcher.flush(io)?;
    io.finish_progress();
    let tally = batcher.tally;
    let attempted = total - up_to_date - unreadable;
    let failed = attempted - tally.confirmed();
    if !cli.store.quiet {
        let place = sink.as_ref().map(Sink::describe).unwrap_or_default();
        let mut line = format!(
            "exported {} of {attempted} sessions to {place}: {tally}",
            tally.confirmed()
        );
        if up_to_date > 0 {
            line.push_str(&format!("; {up_to_date} already exported and unchanged"));
        }
        let _ = writeln!(io.err, "{line}");
    }
    if failed > 0 {
        status = worst(status, exit::EXPORT);
    }
    Ok(status)
}

/// Collects documents into batches inside Convex's limits, sends them, and
/// records what the sink confirmed in the ledger after every batch. Without
/// a sink (dry-run) it only answers what the ledger holds.
struct Batcher<'a> {
    sink: Option<&'a mut Sink>,
    ledger: &'a mut Ledger,
    sink_key: &'a str,
    pending: Vec<Pending>,
    batch_size: usize,
    bytes: usize,
    tally: Tally,
    stopped: bool,
}

struct Pending {
    id: String,
    key: String,
    settled: bool,
    exported_at: i64,
    doc: Map<String, Value>,
}

impl<'a> Batcher<'a> {
    fn new(
        sink: Option<&'a mut Sink>,
        ledger: &'a mut Ledger,
        sink_key: &'a str,
        batch_size: usize,
    ) -> Batcher<'a> {
        Batcher {
            sink,
            ledger,
            sink_key,
            pending: Vec::new(),
            batch_size,
            bytes: 0,
            tally: Tally::default(),
            stopped: false,
        }
    }

    /// Queue a document; Ok(false) once the export cannot go on.
    fn push(
        &mut self,
        doc: &Document,
        key: String,
        settled: bool,
        io: &mut Io,
    ) -> Result<bool, Error> {
        let Ok(Value::Object(map)) = serde_json::to_value(doc) else {
            unreachable!("a document serializes to an object")
        };
        let size = serde_json::to_vec(&map).map_or(0, |v| v.len());
        if !self.pending.is_empty()
            && (self.pending.len() >= self.batch_size || self.bytes + size > BATCH_MAX_BYTES)
        {
            self.flush(io)?;
        }
        if self.stopped {
            return Ok(false);
        }
        self.bytes += size;
        self.pending.push(Pending {
            id: doc.session_id.clone(),
            key,
            settled,
            exported_at: doc.exported_at,
            doc: map,
        });
        Ok(true)
    }

    fn flush(&mut self, io: &mut Io) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let batch = std::mem::take(&mut self.pending);
        let (meta, docs): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|p| ((p.id, p.key, p.settled, p.exported_at), p.doc))
            .unzip();
        let sink = self
            .sink
            .as_mut()
            .expect("only a run with a sink queues documents");
        match sink.send(docs) {
            Ok(outcomes) => {
                for ((id, key, settled, exported_at), outcome) in meta.into_iter().zip(&outcomes) {
                    self.tally.add(outcome);
                    match outcome {
                        Outcome::Failed(m) => io.error(&format!("{id}: {m}")),
                        Outcome::Done(_) => self.ledger.record(
                            self.sink_key,
                            &id,
                            Entry {
                                key,
                                settled,
                                exported_at,
                            },
                        ),
                    }
                }
                self.ledger.save()?;
            }
            Err(Fatal(m)) => {
                io.error(&m);
                self.tally.failed += meta.len() as u64;
                self.stopped = true;
            }
        }
        Ok(())
    }
}

/// The first failure decides the exit status.
fn worst(current: i32, new: i32) -> i32 {
    if current == exit::OK { new } else { current }
}

/// The opencode store the command line points at, and its sessions.
pub fn open_catalog(cli: &Cli, io: &mut Io) -> Result<(StorePaths, Store, Catalog), Error> {
    let paths = StorePaths::resolve(&cli.store)?;
    let mut store = Store::open(&paths.data_dir, &paths.db, paths.db_explicit)?;
    let mut warnings = Vec::new();
    let catalog = Catalog::new(store.sessions(&mut warnings)?);
    flush_warnings(&mut warnings, io);
    Ok((paths, store, catalog))
}

pub fn flush_warnings(warnings: &mut Vec<Warning>, io: &mut Io) {
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

/// Reads what a document needs from the store (on the calling thread).
struct Reader<'s> {
    store: &'s mut Store,
    want: Want,
    /// Subagent sessions already handed to the worker.
    sent: HashSet<String>,
    /// The store was reopened: the worker must forget what it cached.
    reset: bool,
}

/// One session to build, as read from the store.
struct Job {
    info: SessionInfo,
    key: String,
    messages: RawMessages,
    todos: Vec<Todo>,
    /// Ids of all descendant sessions, and the messages of those the worker
    /// has not seen yet.
    descendants: Vec<String>,
    new_descendants: Vec<(String, RawMessages)>,
    reset: bool,
}

impl Job {
    /// How much message text it carries.
    fn bytes(&self) -> usize {
        self.messages.bytes()
            + self
                .new_descendants
                .iter()
                .map(|(_, m)| m.bytes())
                .sum::<usize>()
    }
}

/// A built document (or why it could not be built).
struct Done {
    id: String,
    key: String,
    built: Result<(Document, bool), Error>,
}

impl Reader<'_> {
    fn read(
        &mut self,
        info: &SessionInfo,
        descendants: &[&SessionInfo],
        key: String,
    ) -> Result<Job, Error> {
        // Read again when the store changed under an immutable snapshot
        // (after the first change it is normally read through its WAL).
        for _ in 0..5 {
            let messages = self.store.fetch(info, self.want)?;
            let todos = self.store.todos(info)?;
            let mut new_descendants = Vec::new();
            for d in descendants.iter().filter(|d| !self.sent.contains(&d.id)) {
                new_descendants.push((d.id.clone(), self.store.fetch(d, Want::default())?));
            }
            if self.store.revalidate()? {
                self.sent
                    .extend(new_descendants.iter().map(|(id, _)| id.clone()));
                return Ok(Job {
                    info: info.clone(),
                    key,
                    messages,
                    todos,
                    descendants: descendants.iter().map(|d| d.id.clone()).collect(),
                    new_descendants,
                    reset: std::mem::take(&mut self.reset),
                });
            }
            self.sent.clear();
            self.reset = true;
        }
        Err(Error::Unstable(self.store.data_dir().to_path_buf()))
    }
}

/// Parses messages and builds documents (on its own thread), caching the
/// stats of subagent sessions.
struct Worker {
    origin: Origin,
    include: Content,
    stats: HashMap<String, Stats>,
}

impl Worker {
    fn run(mut self, jobs: mpsc::Receiver<Vec<Job>>, done: mpsc::Sender<Vec<Done>>) {
        for batch in jobs {
            let built = batch
                .into_iter()
                .map(|job| {
                    let (id, key) = (job.info.id.clone(), job.key.clone());
                    Done {
                        id,
                        key,
                        built: self.build(job),
                    }
                })
                .collect();
            if done.send(built).is_err() {
                return;
            }
        }
    }

    /// The document, and whether the session was settled (no assistant
    /// message still being written).
    fn build(&mut self, job: Job) -> Result<(Document, bool), Error> {
        if job.reset {
            self.stats.clear();
        }
        for (id, raw) in job.new_descendants {
            let mut stats = Stats::default();
            raw.visit(&mut |meta, _| stats.add(meta))?;
            self.stats.insert(id, stats);
        }
        let below = job
            .descendants
            .iter()
            .map(|id| self.stats.get(id).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Unreadable(job.info.id.clone()))?;
        let now = self.origin.exported_at;
        let mut collected = Collected::default();
        job.messages
            .visit(&mut |meta, t| collected.add(meta, t, now))?;
        let doc = document::build(
            &job.info,
            &collected,
            &job.todos,
            &below,
            &self.origin,
            self.include,
        );
        Ok((doc, !collected.in_flight))
    }
}

/// Takes built documents, in order, to stdout or the sink.
struct Deliver<'i, 'a, 'b> {
    io: &'i mut Io<'a>,
    batcher: Batcher<'b>,
    pretty: bool,
    /// Fit documents into Convex's size limit.
    fit: bool,
    /// `--all-complete`: an unreadable session is a warning, not an error.
    backfill: bool,
    status: i32,
    unreadable: u64,
    /// The sink cannot go on.
    stopped: bool,
}

impl Deliver<'_, '_, '_> {
    /// A session that could not be read: in a backfill it is skipped with a
    /// warning; a session asked for by id is an error.
    fn failed(&mut self, id: &str, e: Error) {
        self.unreadable += 1;
        if self.backfill {
            self.io.warn(&format!("skipping session {id}: {e}"));
        } else {
            self.io.error(&e);
            self.status = worst(self.status, e.exit_code());
        }
    }

    fn deliver(&mut self, batch: Vec<Done>) -> Result<(), Error> {
        for done in batch {
            self.deliver_one(done)?;
        }
        Ok(())
    }

    fn deliver_one(&mut self, done: Done) -> Result<(), Error> {
        let (mut doc, settled) = match done.built {
            Ok(built) => built,
            Err(e) => {
                self.failed(&done.id, e);
                return Ok(());
            }
        };
        // Convex refuses documents over 1 MiB: trim the transcript (dry-run
        // shows exactly what would be sent).
        if self.fit && !doc.fit(DOC_BUDGET) {
            self.io.error(&format!(
                "{}: the document is over Convex's 1 MiB limit even without its transcript",
                done.id
            ));
            self.status = worst(self.status, exit::EXPORT);
            return Ok(());
        }
        if self.batcher.sink.is_none() {
            emit(&doc, self.pretty, self.io)
        } else {
            if !self.stopped && !self.batcher.push(&doc, done.key, settled, self.io)? {
                self.stopped = true;
            }
            Ok(())
        }
    }
}
