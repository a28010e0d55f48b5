//! Rows -> a table for a person: aligned columns, money as `$12.34`, tokens
//! as `1.2M`, the model breakdown under each period, a totals row. Names are
//! never wrapped: the name column gets what it needs of the terminal's width
//! and is cut with `…` only when the terminal is too narrow; through a pipe
//! (no `$COLUMNS`, no terminal) nothing is cut.

use super::tools::ToolRow;
use super::{Report, Row};
use crate::output::{cell, terminal_width, truncate};
use crate::present::layout::{Column, Frame, fit};
use crate::present::{UNPRICED, count, duration, list_price, money, percent};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use unicode_width::UnicodeWidthStr;

/// What the tables' borders take of a line: a column takes its text, a
/// space either side and a border; the table one more border.
const FRAME: Frame = Frame { outer: 4, gap: 3 };

/// The narrowest a cut name column is made: narrower says nothing.
const NAME_MIN: usize = 12;

/// The numbers that give way, in turn, to a name that does not fit:
/// cache, input and output (their sum is in Tokens), then sessions, then
/// the list price (Cost, what was spent, stays). The key beside the name
/// gives way before all of them; the name itself is cut only when they
/// are gone.
const GIVE_WAY: [usize; 5] = [4, 2, 3, 0, LIST];

/// Layout priorities (lower stays longer): the numbers that never give
/// way, then the name, then [`GIVE_WAY`] backwards, then the key.
const NAME: u8 = 1;
const KEY: u8 = 2 + GIVE_WAY.len() as u8;

fn priority(number: usize) -> u8 {
    match GIVE_WAY.iter().position(|&i| i == number) {
        Some(k) => KEY - 1 - k as u8,
        None => 0,
    }
}

/// The number columns' headers (`Messages` is `Replies` by model).
const NUMBERS: [&str; 8] = [
    "Sessions", "Messages", "Input", "Output", "Cache", "Tokens", "Cost", "List $",
];

/// The column of the list price, beside Cost.
const LIST: usize = 7;

pub fn render(report: &Report) -> String {
    render_to(report, terminal_width())
}

/// One line of the table: its name, the key beside it (a session's or
/// machine's id, when the name is its title or host name) and its numbers.
struct Line {
    name: String,
    key: String,
    numbers: [String; 8],
}

/// The table fitted to `width` columns, or whole when there is none.
fn render_to(report: &Report, width: Option<usize>) -> String {
    // By session or device the name is the title or host name; the id goes
    // in a column of its own, shown when there is room.
    let named = report.by.has_label();
    let mut lines = Vec::new();
    let mut sub_rows = false;
    for r in &report.rows {
        let (name, key) = match &r.label {
            Some(l) if named && !l.is_empty() => (cell(l), cell(&r.key)),
            _ => (cell(&r.key), String::new()),
        };
        lines.push(line(name, key, r));
        for m in &r.models {
            sub_rows = true;
            lines.push(line(format!("└ {}", cell(&m.key)), String::new(), m));
        }
    }
    lines.push(line("Total".into(), String::new(), &report.total));
    // Marked and unmarked prices keep their digits in line.
    let marked = |l: &Line| l.numbers[LIST].ends_with(UNPRICED);
    if lines.iter().any(marked) {
        for l in lines.iter_mut().filter(|l| !marked(l)) {
            l.numbers[LIST].push(' ');
        }
    }
    let messages = report.by.messages_header();
    let head = Line {
        name: report.by.name().into(),
        key: report.by.key_header().into(),
        numbers: NUMBERS.map(|h| if h == "Messages" { messages } else { h }.to_string()),
    };
    let widest = |f: &dyn Fn(&Line) -> usize| lines.iter().chain([&head]).map(f).max().unwrap_or(0);
    let name_w = widest(&|l| l.name.width());
    let has_key = lines.iter().any(|l| !l.key.is_empty());
    let key_w = widest(&|l| l.key.width());
    let number_w: Vec<usize> = (0..8).map(|i| widest(&|l| l.numbers[i].width())).collect();
    // Rows from a deployment that keeps no list price have no List $ column.
    let mut shown = [true; 8];
    shown[LIST] = report.rows.iter().any(|r| r.list_cost.is_some());
    let mut given_way = Vec::new();
    let (show_key, name_cut) = match width {
        None => (has_key, None),
        Some(width) => {
            // The name, the numbers that are there, then the key if any.
            let numbers: Vec<usize> = (0..8).filter(|&i| shown[i]).collect();
            let name = Column {
                kept: Some(NAME_MIN),
                ..Column::whole(name_w, NAME)
            };
            let mut columns = vec![name];
            columns.extend(numbers.iter().map(|&i| {
                let c = Column::whole(number_w[i], priority(i));
                if GIVE_WAY.contains(&i) {
                    c
                } else {
                    Column {
                        kept: Some(c.natural),
                        ..c
                    }
                }
            }));
            if has_key {
                columns.push(Column::whole(key_w, KEY));
            }
            let widths = fit(&columns, FRAME, width);
            for (&i, w) in numbers.iter().zip(&widths[1..]) {
                if w.is_none() {
                    shown[i] = false;
                    given_way.push(i);
                }
            }
            let name_cut = widths[0].filter(|&w| w < name_w);
            (has_key && widths[columns.len() - 1].is_some(), name_cut)
        }
    };
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let cells = |l: &Line| {
        let name = match name_cut {
            Some(w) => truncate(&l.name, w),
            None => l.name.clone(),
        };
        let mut row = vec![Cell::new(name)];
        if show_key {
            row.push(Cell::new(&l.key));
        }
        row.extend(
            (0..8)
                .filter(|&i| shown[i])
                .map(|i| Cell::new(&l.numbers[i])),
        );
        row
    };
    t.set_header(cells(&head));
    for l in &lines {
        t.add_row(cells(l));
    }
    let first_number = 1 + usize::from(show_key);
    for i in first_number..first_number + shown.iter().filter(|s| **s).count() {
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
    let left_out: Vec<&str> = (0..8)
        .filter(|i| given_way.contains(i))
        .map(|i| NUMBERS[i])
        .collect();
    if !left_out.is_empty() {
        out.push_str(&format!(
            "not shown (too narrow): {}\n",
            left_out.join(", ")
        ));
    }
    if sub_rows {
        out.push_str("└ rows: that model's replies (assistant messages) under Messages\n");
    }
    let unpriced = report.total.unpriced_messages;
    if shown[LIST] && unpriced > 0 {
        out.push_str(&format!(
            "{UNPRICED} List $ leaves out {unpriced} {} whose model has no list price\n",
            if unpriced == 1 { "reply" } else { "replies" }
        ));
    }
    out
}

fn line(name: String, key: String, r: &Row) -> Line {
    let t = &r.tokens;
    Line {
        name,
        key,
        numbers: [
            r.sessions.to_string(),
            r.messages.to_string(),
            count(t.input),
            count(t.output + t.reasoning),
            count(t.cache_read + t.cache_write),
            count(r.total_tokens()),
            money(r.cost),
            list_price(r.list_cost, r.unpriced_messages),
        ],
    }
}

/// `--by tool` for a person: one line per tool, then the total, fitted
/// to the terminal as the usage table is: the numbers stay, a tool name
/// (MCP tools have long ones) is cut with `…` only when the terminal is
/// too narrow for it.
pub fn tools(title: &str, rows: &[ToolRow]) -> String {
    tools_to(title, rows, terminal_width())
}

fn tools_to(title: &str, rows: &[ToolRow], width: Option<usize>) -> String {
    const HEAD: [&str; 6] = ["Tool", "Calls", "Errors", "Error rate", "Time", "Sessions"];
    let line = |key: &str, r: &ToolRow, sessions: String| {
        [
            cell(key),
            count(r.calls),
            count(r.errors),
            percent(r.error_rate()),
            duration(r.ms),
            sessions,
        ]
    };
    let mut lines: Vec<[String; 6]> = rows
        .iter()
        .map(|r| line(&r.key, r, r.sessions.to_string()))
        .collect();
    let mut total = ToolRow::new("Total".into());
    for r in rows {
        total.calls = total.calls.saturating_add(r.calls);
        total.errors = total.errors.saturating_add(r.errors);
        total.ms = total.ms.saturating_add(r.ms);
    }
    // A session calls several tools: the rows' sessions do not add up.
    lines.push(line("Total", &total, String::new()));
    let natural: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].width())
                .chain([HEAD[i].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let name_cut = width.and_then(|width| {
        let mut columns = vec![Column {
            kept: Some(NAME_MIN),
            ..Column::whole(natural[0], NAME)
        }];
        columns.extend(natural[1..].iter().map(|&n| Column {
            kept: Some(n),
            ..Column::whole(n, 0)
        }));
        fit(&columns, FRAME, width)[0].filter(|&w| w < natural[0])
    });
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(HEAD);
    for mut l in lines {
        if let Some(w) = name_cut {
            l[0] = truncate(&l[0], w);
        }
        t.add_row(l.to_vec());
    }
    for i in 1..6 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{title}\n{t}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::By;

    fn report(by: By, key: &str, label: Option<&str>) -> Report {
        let row = Row {
            key: key.into(),
            label: label.map(String::from),
            sessions: 1,
            messages: 12,
            cost: 1.5,
            ..Row::default()
        };
        Report {
            title: String::new(),
            by,
            rows: vec![row.clone()],
            total: row,
        }
    }

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.width()).max().unwrap_or(0)
    }

    #[test]
    fn names_are_whole_when_they_fit_and_cut_only_when_the_terminal_is_too_narrow() {
        let long = "anthropic/claude-sonnet-4-5-20250929";
        let r = report(By::Model, long, None);
        for width in [None, Some(200), Some(100)] {
            let text = render_to(&r, width);
            assert!(text.contains(long), "{width:?}:\n{text}");
            assert!(widest(&text) <= width.unwrap_or(usize::MAX));
        }
        // 80 columns: the parts of Tokens give way to the name.
        let eighty = render_to(&r, Some(80));
        assert!(eighty.contains(long) && widest(&eighty) <= 80, "{eighty}");
        assert!(!eighty.contains("┆ Input"), "{eighty}");
        assert!(eighty.ends_with("not shown (too narrow): Input, Output, Cache\n"));
        // Narrower still: the name is cut.
        let narrow = render_to(&r, Some(60));
        assert!(widest(&narrow) <= 60, "{narrow}");
        assert!(
            narrow.contains("anthropic/cla") && narrow.contains('…'),
            "{narrow}"
        );
    }

    #[test]
    fn a_session_shows_its_title_and_its_id_when_there_is_room() {
        let id = "ses_deef7dda3ffeFcewaXXfpUoyM6";
        let r = report(By::Session, id, Some("Fixture long-chat"));
        let wide = render_to(&r, Some(120));
        assert!(
            wide.contains("Fixture long-chat") && wide.contains(id),
            "{wide}"
        );
        let narrow = render_to(&r, Some(80));
        assert!(narrow.contains("Fixture long-chat"), "{narrow}");
        assert!(!narrow.contains(id) && widest(&narrow) <= 80, "{narrow}");
        let piped = render_to(&r, None);
        assert!(piped.contains(id), "{piped}");
    }

    #[test]
    fn a_long_tool_name_is_whole_through_a_pipe_and_cut_to_the_terminal() {
        let name = "mcp_github_create_pull_request_review_comment_reply";
        let rows = [ToolRow {
            key: name.into(),
            calls: 3,
            errors: 1,
            ms: 1500,
            sessions: 2,
        }];
        let whole = tools_to("t", &rows, None);
        assert!(whole.contains(name), "{whole}");
        assert!(whole.contains("Sessions"), "{whole}");
        let wide = tools_to("t", &rows, Some(200));
        assert_eq!(wide, whole);
        let narrow = tools_to("t", &rows, Some(80));
        assert!(widest(&narrow) <= 80, "{narrow}");
        assert!(
            narrow.contains("│ mcp_github_create_pull_requ… ┆"),
            "{narrow}"
        );
        assert!(narrow.contains("33.3%"), "{narrow}");
    }
}
