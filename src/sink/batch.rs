//! Collects documents into batches inside the sink's limits, sends them,
//! and records what the sink confirmed in the ledger after every batch.

use super::{Outcome, Sink, Tally};
use crate::document::Document;
use crate::error::Error;
use crate::ledger::{Entry, Ledger};
use crate::output::Output;
use std::sync::Mutex;

pub struct Batcher<'a> {
    sink: &'a mut dyn Sink,
    ledger: &'a Mutex<Ledger>,
    ledger_key: &'a str,
    /// Documents per call: the settings' batch size within the sink's limit.
    max_docs: usize,
    queued: Vec<Document>,
    /// For each queued document, what the ledger records once the sink
    /// confirmed it: its change key and whether it was settled.
    marks: Vec<(String, bool)>,
    bytes: usize,
    pub tally: Tally,
    /// The sink cannot go on.
    pub stopped: bool,
}

impl<'a> Batcher<'a> {
    pub fn new(
        sink: &'a mut dyn Sink,
        ledger: &'a Mutex<Ledger>,
        ledger_key: &'a str,
        batch_size: usize,
    ) -> Batcher<'a> {
        let max_docs = batch_size.min(sink.limits().docs).max(1);
        Batcher {
            sink,
            ledger,
            ledger_key,
            max_docs,
            queued: Vec::new(),
            marks: Vec::new(),
            bytes: 0,
            tally: Tally::default(),
            stopped: false,
        }
    }

    /// Queue a document, sending the batch before it when it is full.
    pub fn push(
        &mut self,
        doc: Document,
        key: String,
        settled: bool,
        out: &mut Output,
    ) -> Result<(), Error> {
        let max_bytes = self.sink.limits().bytes;
        let size = match max_bytes {
            Some(_) => serde_json::to_vec(&doc).map_or(0, |v| v.len()),
            None => 0,
        };
        if !self.queued.is_empty()
            && (self.queued.len() >= self.max_docs
                || max_bytes.is_some_and(|max| self.bytes + size > max))
        {
            self.flush(out)?;
        }
        if self.stopped {
            return Ok(());
        }
        self.bytes += size;
        self.queued.push(doc);
        self.marks.push((key, settled));
        Ok(())
    }

    /// Send what is queued and record what the sink confirmed.
    pub fn flush(&mut self, out: &mut Output) -> Result<(), Error> {
        if self.queued.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let docs = std::mem::take(&mut self.queued);
        let marks = std::mem::take(&mut self.marks);
        match self.sink.send(&docs) {
            Ok(outcomes) => {
                for ((doc, (key, settled)), outcome) in docs.iter().zip(marks).zip(&outcomes) {
                    self.tally.add(outcome);
                    match outcome {
                        Outcome::Failed(m) => out.error(&format!("{}: {m}", doc.session_id)),
                        Outcome::Done(_) => self.ledger().record(
                            self.ledger_key,
                            &doc.session_id,
                            Entry {
                                key,
                                settled,
                                exported_at: doc.exported_at,
                            },
                        ),
                    }
                }
                self.ledger().save()?;
            }
            Err(fatal) => {
                out.error(&fatal);
                self.tally.failed += docs.len() as u64;
                self.stopped = true;
            }
        }
        Ok(())
    }

    fn ledger(&self) -> std::sync::MutexGuard<'a, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn describe(&self) -> String {
        self.sink.describe()
    }
}
