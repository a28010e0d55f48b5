//! Store -> documents, in order: the calling thread reads each session's
//! messages from the store while a worker thread parses them and builds the
//! documents, so that reading and parsing overlap.

use crate::document::{self, Collected, Content, Document, Origin, Stats};
use crate::error::Error;
use crate::repository::Repositories;
use crate::store::{RawMessages, SessionInfo, Store, Todo, Want};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;

/// Jobs travel to the worker in batches of up to this many sessions or
/// bytes of message text, so that handing them over costs little.
const BATCH_JOBS: usize = 64;
const BATCH_BYTES: usize = 1 << 20;
/// How often a session is read again when the store keeps changing under
/// an immutable snapshot.
pub const REREADS: usize = 5;

/// One session to build.
pub struct Request<'c> {
    pub info: &'c SessionInfo,
    /// All its descendant (subagent) sessions.
    pub descendants: Vec<&'c SessionInfo>,
    /// Its change key, handed back with the document.
    pub key: String,
}

/// A built document, or why it could not be built.
pub struct Built {
    pub id: String,
    pub key: String,
    pub result: Result<BuiltDoc, Error>,
    /// Files of the store skipped while reading the session.
    pub warnings: Vec<String>,
}

pub struct BuiltDoc {
    pub doc: Document,
    /// No assistant message was still being written.
    pub settled: bool,
}

/// What goes into every document besides the store's data.
pub struct Recipe {
    pub origin: Origin,
    pub include: Content,
}

/// Build the documents of `requests`, in order, and hand each to `take`
/// (on this thread). `take` answers whether to go on; `Ok(false)` stops
/// reading (documents already read are still handed over).
pub fn build_in_order(
    store: &mut Store,
    recipe: Recipe,
    requests: Vec<Request<'_>>,
    take: impl FnMut(Built) -> Result<bool, Error>,
) -> Result<(), Error> {
    // How many of the requests still to read need each descendant's stats:
    // at zero the worker forgets them, so memory does not grow with the
    // number of subagent sessions in a backfill.
    let mut uses: HashMap<String, usize> = HashMap::new();
    for req in &requests {
        for d in &req.descendants {
            *uses.entry(d.id.clone()).or_default() += 1;
        }
    }
    let mut reader = Reader {
        want: Want {
            transcript: recipe.include.messages,
        },
        store,
        sent: HashSet::new(),
        uses,
        reset: false,
    };
    let mut worker = Worker {
        recipe,
        stats: HashMap::new(),
        repositories: Repositories::default(),
    };
    let mut requests = requests.into_iter();
    overlap(
        || requests.next().map(|req| reader.read(&req)),
        Job::bytes,
        |job| Built {
            id: job.id,
            key: job.key,
            result: job.read.and_then(|read| worker.build(read)),
            warnings: job.warnings,
        },
        take,
    )
}

/// Read on this thread and work on another, so that the two overlap: `next`
/// reads the next job (None at the end), `work` turns it into a result on a
/// worker thread, and `take` gets each result here, in order. Jobs travel
/// in batches of up to [`BATCH_JOBS`] or [`BATCH_BYTES`] (as `bytes` counts
/// them), so that handing them over costs little. `take` answers whether
/// to go on; `Ok(false)` stops reading (results of jobs already handed
/// over still come), and an `Err` ends the run.
pub fn overlap<J: Send, R: Send>(
    mut next: impl FnMut() -> Option<J>,
    bytes: impl Fn(&J) -> usize,
    mut work: impl FnMut(J) -> R + Send,
    mut take: impl FnMut(R) -> Result<bool, Error>,
) -> Result<(), Error> {
    std::thread::scope(|scope| -> Result<(), Error> {
        let (jobs, job_rx) = mpsc::sync_channel::<Vec<J>>(2);
        let (done_tx, done) = mpsc::channel::<Vec<R>>();
        scope.spawn(move || {
            for batch in job_rx {
                let results = batch.into_iter().map(&mut work).collect();
                if done_tx.send(results).is_err() {
                    return;
                }
            }
        });
        let mut batch = Vec::new();
        let mut size = 0;
        let mut going = true;
        while let Some(job) = next() {
            size += bytes(&job);
            batch.push(job);
            if batch.len() >= BATCH_JOBS || size >= BATCH_BYTES {
                jobs.send(std::mem::take(&mut batch))
                    .expect("the worker runs until the jobs end");
                size = 0;
            }
            while let Ok(results) = done.try_recv() {
                for r in results {
                    going &= take(r)?;
                }
            }
            if !going {
                break;
            }
        }
        if !batch.is_empty() && going {
            jobs.send(batch)
                .expect("the worker runs until the jobs end");
        }
        drop(jobs);
        for results in done {
            for r in results {
                take(r)?;
            }
        }
        Ok(())
    })
}

/// Reads what a document needs from the store.
struct Reader<'s> {
    store: &'s mut Store,
    want: Want,
    /// Subagent sessions already handed to the worker.
    sent: HashSet<String>,
    /// Requests still to read that need each subagent session.
    uses: HashMap<String, usize>,
    /// The store was reopened: the worker must forget what it cached.
    reset: bool,
}

/// One session as read from the store, or why it could not be read.
struct Job {
    id: String,
    key: String,
    read: Result<Read, Error>,
    warnings: Vec<String>,
}

struct Read {
    info: SessionInfo,
    messages: RawMessages,
    todos: Vec<Todo>,
    /// Ids of all descendant sessions, and the messages of those the worker
    /// has not seen yet.
    descendants: Vec<String>,
    new_descendants: Vec<(String, RawMessages)>,
    /// Descendants no later request needs: forget them after this one.
    last_use: Vec<String>,
    reset: bool,
}

impl Job {
    /// How much message text it carries.
    fn bytes(&self) -> usize {
        self.read.as_ref().map_or(0, |r| {
            r.messages.bytes()
                + r.new_descendants
                    .iter()
                    .map(|(_, m)| m.bytes())
                    .sum::<usize>()
        })
    }
}

impl Reader<'_> {
    fn read(&mut self, req: &Request<'_>) -> Job {
        let mut read = self.read_session(req.info, &req.descendants);
        let mut last_use = Vec::new();
        for d in &req.descendants {
            if let Some(n) = self.uses.get_mut(&d.id) {
                *n -= 1;
                if *n == 0 {
                    self.uses.remove(&d.id);
                    self.sent.remove(&d.id);
                    last_use.push(d.id.clone());
                }
            }
        }
        if let Ok(r) = &mut read {
            r.last_use = last_use;
        }
        let warnings = match &mut read {
            Ok(r) => {
                let mut w = r.messages.take_warnings();
                for (_, m) in &mut r.new_descendants {
                    w.extend(m.take_warnings());
                }
                w
            }
            Err(_) => Vec::new(),
        };
        Job {
            id: req.info.id.clone(),
            key: req.key.clone(),
            read,
            warnings,
        }
    }

    fn read_session(
        &mut self,
        info: &SessionInfo,
        descendants: &[&SessionInfo],
    ) -> Result<Read, Error> {
        // Read again when the store changed under an immutable snapshot
        // (after the first change it is normally read through its WAL).
        for _ in 0..REREADS {
            let messages = self.store.fetch(info, self.want)?;
            let todos = self.store.todos(info)?;
            let mut new_descendants = Vec::new();
            for d in descendants.iter().filter(|d| !self.sent.contains(&d.id)) {
                new_descendants.push((d.id.clone(), self.store.fetch(d, Want::default())?));
            }
            if self.store.revalidate()? {
                self.sent
                    .extend(new_descendants.iter().map(|(id, _)| id.clone()));
                return Ok(Read {
                    info: info.clone(),
                    messages,
                    todos,
                    descendants: descendants.iter().map(|d| d.id.clone()).collect(),
                    new_descendants,
                    last_use: Vec::new(),
                    reset: std::mem::take(&mut self.reset),
                });
            }
            self.sent.clear();
            self.reset = true;
        }
        Err(Error::Unstable(self.store.data_dir().to_path_buf()))
    }
}

/// Parses messages and builds documents, caching the stats of subagent
/// sessions (a session's descendants are often shared with the next one's).
struct Worker {
    recipe: Recipe,
    stats: HashMap<String, Stats>,
    repositories: Repositories,
}

impl Worker {
    fn build(&mut self, read: Read) -> Result<BuiltDoc, Error> {
        if read.reset {
            self.stats.clear();
        }
        for (id, raw) in read.new_descendants {
            let mut stats = Stats::default();
            raw.visit(&mut |meta, _| stats.add(meta))?;
            self.stats.insert(id, stats);
        }
        let below = read
            .descendants
            .iter()
            .map(|id| self.stats.get(id).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Unreadable(read.info.id.clone()))?;
        for id in &read.last_use {
            self.stats.remove(id);
        }
        let now = self.recipe.origin.exported_at;
        let mut collected = Collected::default();
        read.messages
            .visit(&mut |meta, t| collected.add(meta, t, now))?;
        let doc = document::build(
            &read.info,
            &collected,
            &read.todos,
            &below,
            self.repositories.of(&read.info.directory),
            &self.recipe.origin,
            self.recipe.include,
        );
        Ok(BuiltDoc {
            doc,
            settled: !collected.in_flight,
        })
    }
}
