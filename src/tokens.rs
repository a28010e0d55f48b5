//! Token counts: the one shape both usage sums and list prices read.

use serde::Serialize;

/// Token counts, summed over assistant messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenTotals {
    pub input: u64,
    pub output: u64,
    pub reasoning: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl TokenTotals {
    /// Add `o`; a sum past the largest count stops there (see `usage::capped`).
    pub fn add(&mut self, o: &TokenTotals) {
        self.input = self.input.saturating_add(o.input);
        self.output = self.output.saturating_add(o.output);
        self.reasoning = self.reasoning.saturating_add(o.reasoning);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_write = self.cache_write.saturating_add(o.cache_write);
    }

    /// All tokens, of every kind.
    pub fn total(&self) -> u64 {
        [
            self.output,
            self.reasoning,
            self.cache_read,
            self.cache_write,
        ]
        .into_iter()
        .fold(self.input, u64::saturating_add)
    }

    /// Whether a count reached the largest one and stopped there.
    pub fn capped(&self) -> bool {
        [
            self.input,
            self.output,
            self.reasoning,
            self.cache_read,
            self.cache_write,
        ]
        .contains(&u64::MAX)
    }
}
