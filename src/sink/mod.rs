//! Where documents go.

pub mod convex;
pub mod local;

use serde::Deserialize;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(Upserted),
    Failed(String),
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

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} inserted, {} updated, {} unchanged, {} stale",
            self.inserted, self.updated, self.unchanged, self.stale
        )?;
        if self.failed > 0 {
            write!(f, ", {} failed", self.failed)?;
        }
        Ok(())
    }
}
