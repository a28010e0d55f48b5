//! Store -> results, in order, on several threads. Each lane is a thread
//! with its own handle on the store (its own database connection): it reads
//! a session, parses its messages where they lie and builds what the
//! command wants from them, so that reading and parsing run on every core
//! and no message is copied between threads. The calling thread gets the
//! results in the order of the jobs.

use crate::document::{self, Collected, Content, Document, Origin, Stats};
use crate::error::{Error, Warning};
use crate::repository::Repositories;
use crate::store::{SessionInfo, Store, Todo, Want};
use std::sync::mpsc;

/// Jobs travel to the lanes in batches of this many, handed out in turn.
pub const BATCH: usize = 32;
/// The batch for jobs whose results can be large (documents carrying their
/// transcript): fewer of them are held at once.
pub const BATCH_OF_LARGE: usize = 2;
/// Batches handed out and not yet taken back, per lane: with the batch
/// size, what bounds the memory of a run whatever the number of sessions.
const IN_FLIGHT: usize = 4;
/// Lanes at most: each holds a database connection and its page cache.
const MAX_LANES: usize = 4;
/// How often a session is read again when the store keeps changing under
/// an immutable snapshot.
pub const REREADS: usize = 5;

/// Do `work` for each of `jobs` on up to one lane per core, in batches of
/// `batch`, and hand each result to `take` (on this thread) in the order of
/// `jobs`. Each lane keeps a state `S` of its own. An `Err` from `take` ends
/// the run.
pub fn lanes<J: Send, R: Send, S: Default>(
    store: &mut Store,
    jobs: impl IntoIterator<Item = J, IntoIter: ExactSizeIterator>,
    batch: usize,
    work: impl Fn(&mut Store, &mut S, J) -> R + Sync,
    mut take: impl FnMut(R) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut jobs = jobs.into_iter();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let lanes = cores.min(MAX_LANES).min(jobs.len().div_ceil(batch));
    let mut batches = std::iter::from_fn(|| {
        let batch: Vec<J> = jobs.by_ref().take(batch).collect();
        (!batch.is_empty()).then_some(batch)
    });
    // The first lane reads through `store` itself.
    let mut others = (1..lanes)
        .map(|_| store.another())
        .collect::<Result<Vec<_>, _>>()?;
    let work = &work;
    std::thread::scope(|scope| -> Result<(), Error> {
        let mut lanes = Vec::new();
        for lane_store in std::iter::once(store).chain(others.iter_mut()) {
            let (jobs_tx, jobs_rx) = mpsc::channel::<Vec<J>>();
            let (done_tx, done_rx) = mpsc::channel::<Vec<R>>();
            scope.spawn(move || {
                let mut state = S::default();
                for batch in jobs_rx {
                    let results = batch
                        .into_iter()
                        .map(|job| work(lane_store, &mut state, job))
                        .collect();
                    if done_tx.send(results).is_err() {
                        return;
                    }
                }
            });
            lanes.push((jobs_tx, done_rx));
        }
        let n = lanes.len();
        // Batch k goes to lane k % n, which hands results back in order.
        let (mut sent, mut taken) = (0, 0);
        loop {
            while sent - taken < IN_FLIGHT * n {
                let Some(batch) = batches.next() else { break };
                lanes[sent % n]
                    .0
                    .send(batch)
                    .expect("a lane runs until its jobs end");
                sent += 1;
            }
            if taken == sent {
                return Ok(());
            }
            let results = lanes[taken % n]
                .1
                .recv()
                .expect("a lane hands back every batch it got");
            taken += 1;
            for r in results {
                take(r)?;
            }
        }
    })
}

/// Run `read` until the store confirms that what it read was a consistent
/// snapshot (see [`Store::revalidate`]), at most [`REREADS`] times.
pub fn stable<T>(
    store: &mut Store,
    mut read: impl FnMut(&mut Store) -> Result<T, Error>,
) -> Result<T, Error> {
    for _ in 0..REREADS {
        let got = read(store)?;
        if store.revalidate()? {
            return Ok(got);
        }
    }
    Err(Error::Unstable(store.data_dir().to_path_buf()))
}

/// What goes into every document besides the store's data.
pub struct Recipe {
    pub origin: Origin,
    pub include: Content,
}

/// Read a session's messages and its descendants' (subagent sessions at any
/// depth) and build its document; also whether it is settled (no assistant
/// message was still being written). `warnings` hears of files of the
/// store that were skipped.
pub fn build_document(
    store: &mut Store,
    repositories: &mut Repositories,
    recipe: &Recipe,
    info: &SessionInfo,
    todos: &[Todo],
    descendants: &[&SessionInfo],
    warnings: &mut Vec<Warning>,
) -> Result<(Document, bool), Error> {
    let Recipe { origin, include } = recipe;
    let include = *include;
    let mut below = Vec::with_capacity(descendants.len());
    for d in descendants {
        let mut stats = Stats::default();
        warnings.extend(store.visit(d, Want::default(), &mut |m, _| stats.add(m))?);
        below.push(stats);
    }
    let now = origin.exported_at;
    let mut collected = Collected::default();
    let want = Want {
        transcript: include.messages,
    };
    warnings.extend(store.visit(info, want, &mut |m, t| collected.add(m, t, now))?);
    if include.tools {
        let tools = &mut collected.tools;
        warnings.extend(store.tool_calls(info, &mut |call| tools.add(&call))?);
    }
    let doc = document::build(
        info,
        &collected,
        todos,
        &below,
        repositories.of(&info.directory),
        origin,
        include,
    );
    if doc.capped() {
        warnings.push(Warning::about(
            format_args!("session {}", info.id),
            "a cost, token or time sum reaches the largest number a document can hold and is capped there",
        ));
    }
    Ok((doc, !collected.in_flight))
}
