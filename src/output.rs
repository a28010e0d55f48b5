//! Where a run reports: data to stdout, diagnostics (and a progress bar on
//! a terminal) to stderr.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};

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

    pub fn warn(&mut self, msg: &str) {
        self.line(&format!("warning: {msg}"));
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
