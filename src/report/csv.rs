//! Rows -> CSV: the JSON columns flattened, with a header line.

use super::Row;
use super::tools::ToolRow;
use crate::output::spreadsheet_safe;

/// A row as a CSV record: its header's columns, in order.
pub trait Record {
    const HEADER: &'static [&'static str];
    /// The cells; text from the store made [`spreadsheet_safe`].
    fn cells(&self) -> Vec<String>;
}

pub fn write<R: Record>(rows: &[R], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut write = || -> Result<(), csv::Error> {
        w.write_record(R::HEADER)?;
        for r in rows {
            w.write_record(r.cells())?;
        }
        w.flush()?;
        Ok(())
    };
    write().map_err(std::io::Error::other)
}

impl Record for Row {
    const HEADER: &'static [&'static str] = &[
        "key",
        "label",
        "sessions",
        "messages",
        "cost",
        "listCost",
        "unpricedMessages",
        "input",
        "output",
        "reasoning",
        "cacheRead",
        "cacheWrite",
    ];

    fn cells(&self) -> Vec<String> {
        let t = &self.tokens;
        vec![
            spreadsheet_safe(&self.key).into_owned(),
            spreadsheet_safe(self.label.as_deref().unwrap_or_default()).into_owned(),
            self.sessions.to_string(),
            self.messages.to_string(),
            self.cost.to_string(),
            self.list_cost.map(|c| c.to_string()).unwrap_or_default(),
            self.unpriced_messages.to_string(),
            t.input.to_string(),
            t.output.to_string(),
            t.reasoning.to_string(),
            t.cache_read.to_string(),
            t.cache_write.to_string(),
        ]
    }
}

impl Record for ToolRow {
    const HEADER: &'static [&'static str] = &["key", "calls", "errors", "ms", "sessions"];

    fn cells(&self) -> Vec<String> {
        vec![
            spreadsheet_safe(&self.key).into_owned(),
            self.calls.to_string(),
            self.errors.to_string(),
            self.ms.to_string(),
            self.sessions.to_string(),
        ]
    }
}
