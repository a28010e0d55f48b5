//! Where documents go: the [`Sink`] boundary, the configured [`Target`],
//! and what a sink answers per document.

pub mod batch;
pub mod convex;
pub mod local;

use crate::document::Document;
use crate::error::Error;
use serde::Deserialize;
use std::path::PathBuf;

/// A place documents are upserted into, opened for an export.
pub trait Sink {
    /// Upsert `docs`, in order; one outcome per document. `Err` when the
    /// export cannot go on at all (every document not yet confirmed failed).
    fn send(&mut self, docs: &[Document]) -> Result<Vec<Outcome>, SinkError>;

    /// How much one [`Sink::send`] may carry.
    fn limits(&self) -> Limits;

    /// Where the documents went, for the summary line.
    fn describe(&self) -> String;
}

/// The most one call to a sink may carry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub docs: usize,
    /// Serialized bytes, when the sink has a limit on them.
    pub bytes: Option<usize>,
}

/// The sink the settings point at, before anything is opened.
#[derive(Debug, Clone)]
pub enum Target {
    Convex(convex::Deployment),
    /// The local SQLite file.
    Local(PathBuf),
}

impl Target {
    /// The ledger's name for this sink.
    pub fn ledger_key(&self) -> String {
        match self {
            Target::Convex(d) => d.key(),
            Target::Local(path) => format!("sqlite:{}", path.display()),
        }
    }

    /// How much one call to this sink may carry (the same as its opened
    /// [`Sink::limits`]).
    pub fn limits(&self) -> Limits {
        match self {
            Target::Convex(_) => convex::LIMITS,
            Target::Local(_) => local::LIMITS,
        }
    }

    /// Make `doc` acceptable to the sink (Convex: inside its size limit, by
    /// trimming the transcript). `dry-run` shows the document after this,
    /// exactly as it would be sent. Err says why the document cannot go.
    pub fn prepare(&self, doc: &mut Document) -> Result<(), SinkError> {
        match self {
            Target::Convex(_) => convex::fit(doc),
            Target::Local(_) => Ok(()),
        }
    }

    pub fn open(&self) -> Result<Box<dyn Sink>, Error> {
        Ok(match self {
            Target::Convex(d) => Box::new(convex::Convex::new(d)?),
            Target::Local(path) => Box::new(local::LocalDb::open(path)?),
        })
    }
}

/// Why a sink did not take a document, or (from [`Sink::send`]) why it
/// cannot go on. What the server says comes with the token masked.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SinkError {
    /// The sink turned this request down; a smaller batch may succeed.
    #[error("{0}")]
    Rejected(String),
    /// The sink answered, but not with outcomes.
    #[error("unexpected answer{}: {answer}", from.map(|f| format!(" from {f}")).unwrap_or_default())]
    Unexpected {
        /// The function that answered, when a batch got one answer.
        from: Option<&'static str>,
        answer: String,
    },
    /// The document is over the sink's size limit even without its
    /// transcript.
    #[error("{session}: the document is over Convex's 1 MiB limit even without its transcript")]
    TooLarge { session: String },
    /// The deployment could not be reached or kept failing.
    #[error("{why} (gave up after {tries} {})", if *tries == 1 { "try" } else { "tries" })]
    GaveUp { why: String, tries: u32 },
    #[error("the answer of {url} is over the limit of {mib} MiB")]
    AnswerTooLarge { url: String, mib: u64 },
    /// HTTP 401 or 403.
    #[error("{url} refused the request: {detail}")]
    Refused { url: String, detail: String },
    /// HTTP 404: no Convex deployment there.
    #[error("{url} is not a Convex deployment: {detail}")]
    NotConvex { url: String, detail: String },
    /// The deployment refused the token (the whole message).
    #[error("{0}")]
    Token(String),
    /// The local database cannot be written.
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// What the sink did with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upserted {
    Inserted,
    Updated,
    /// Equal to what the sink holds (apart from `exportedAt`): nothing written.
    Unchanged,
    /// The sink holds a newer version of the session: nothing written.
    Stale,
}

/// The outcome for one document.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Done(Upserted),
    Failed(SinkError),
}

/// Counts for the closing summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub stale: u64,
    pub failed: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Done(Upserted::Inserted) => self.inserted += 1,
            Outcome::Done(Upserted::Updated) => self.updated += 1,
            Outcome::Done(Upserted::Unchanged) => self.unchanged += 1,
            Outcome::Done(Upserted::Stale) => self.stale += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    pub fn confirmed(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.stale
    }
}
