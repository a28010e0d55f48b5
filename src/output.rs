//! Where a run reports: data to stdout, diagnostics (and a progress bar on
//! a terminal) to stderr.

use crate::error::Warning;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` with control characters escaped (`\u{1b}`), so that what a
/// diagnostic echoes (a session id from the command line, a file name)
/// cannot drive the terminal or break the line.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The width to fit: `$COLUMNS` when set, else the terminal's; none when
/// stdout is not a terminal (a pipe gets whole lines).
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// The widest a table cell is before it is cut with `…`: wider than any
/// terminal, and small enough that laying out a table stays linear in its
/// cells however long a name in the store is.
pub const CELL_MAX: usize = 400;

/// Text from the store as a table cell: control characters escaped (so a
/// title cannot move the cursor, clear the screen or write the clipboard)
/// and cut to [`CELL_MAX`] columns.
pub fn cell(text: &str) -> String {
    let capped: String = text.chars().take(CELL_MAX + 1).collect();
    truncate(&printable(&capped), CELL_MAX)
}

/// `text` cut to `width` columns, ending in `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A text cell of a CSV file as a spreadsheet will not run it: one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's advice against formula injection).
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// One JSON document and a newline: a line of JSON Lines, or with
/// `pretty` indented for a person. Every JSON that goes to stdout (report
/// rows, the session list, dry-run documents) is written here.
pub fn json(
    value: &impl serde::Serialize,
    pretty: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"\n")
}

pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// No summary lines; only warnings and errors.
    pub quiet: bool,
    /// A progress bar on a terminal's stderr, during a long export.
    bar: Option<ProgressBar>,
}

impl<'a> Output<'a> {
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Output<'a> {
        Output {
            out,
            err,
            quiet: false,
            bar: None,
        }
    }

    pub fn warn(&mut self, warning: &Warning) {
        self.line(&format!("warning: {warning}"));
    }

    pub fn error(&mut self, msg: &dyn std::fmt::Display) {
        self.line(&format!("error: {msg}"));
    }

    /// A summary line, unless `--quiet`.
    pub fn note(&mut self, msg: &str) {
        if !self.quiet {
            self.line(msg);
        }
    }

    /// One diagnostic line, above the progress bar if there is one.
    /// Diagnostics are best effort: a closed stderr must not stop a run.
    fn line(&mut self, text: &str) {
        let text = printable(text);
        let err = &mut self.err;
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(err, "{text}");
            }),
            None => {
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Show a progress bar for `total` sessions when stderr is a terminal
    /// (and the run is not `--quiet`).
    pub fn start_progress(&mut self, total: u64) {
        if total > 1 && !self.quiet && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} sessions, {eta} left")
                    .expect("a valid template"),
            );
            self.bar = Some(bar);
        }
    }

    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    pub fn finish_progress(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
