//! Rows -> CSV: the JSON columns flattened, with a header line.

use super::Report;
use crate::output::spreadsheet_safe;

pub fn render(report: &Report, out: &mut dyn std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
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
    ])?;
    for r in &report.rows {
        let t = &r.tokens;
        w.write_record([
            spreadsheet_safe(&r.key).into_owned(),
            spreadsheet_safe(r.label.as_deref().unwrap_or_default()).into_owned(),
            r.sessions.to_string(),
            r.messages.to_string(),
            r.cost.to_string(),
            r.list_cost.map(|c| c.to_string()).unwrap_or_default(),
            r.unpriced_messages.to_string(),
            t.input.to_string(),
            t.output.to_string(),
            t.reasoning.to_string(),
            t.cache_read.to_string(),
            t.cache_write.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
