//! Rows -> a table for a person: aligned columns, money as `$12.34`, tokens
//! as `1.2M`, the model breakdown under each period, a totals row; fits an
//! 80-column terminal.

use super::{Report, Row, count, money};
use crate::output::cell;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

/// The table's width: an 80-column terminal.
const WIDTH: u16 = 80;

pub fn render(report: &Report) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    t.set_header(vec![
        report.by.name(),
        "Sess",
        report.by.messages_header(),
        "Input",
        "Output",
        "Cache",
        "Tokens",
        "Cost",
    ]);
    for r in &report.rows {
        t.add_row(cells(&r.key, r));
        for m in &r.models {
            t.add_row(cells(&format!("└ {}", m.key), m));
        }
    }
    t.add_row(cells("Total", &report.total));
    for i in 1..8 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = String::new();
    if !report.title.is_empty() {
        out.push_str(&report.title);
        out.push('\n');
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out
}

fn cells(key: &str, r: &Row) -> Vec<Cell> {
    let t = &r.tokens;
    vec![
        Cell::new(cell(key)),
        Cell::new(r.sessions),
        Cell::new(r.messages),
        Cell::new(count(t.input)),
        Cell::new(count(t.output + t.reasoning)),
        Cell::new(count(t.cache_read + t.cache_write)),
        Cell::new(count(r.total_tokens())),
        Cell::new(money(r.cost)),
    ]
}
