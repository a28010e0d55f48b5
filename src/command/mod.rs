//! The commands, one module each. [`run`] hands the resolved settings to
//! the command they name.

mod completions;
mod export;
mod list;
mod prices;
mod report;

use crate::error::{Error, ExitCode};
use crate::output::Output;
use crate::settings::{Settings, Task};

/// Run the command; the exit status says how it went.
pub fn run(settings: Settings, out: &mut Output) -> Result<ExitCode, Error> {
    out.quiet = settings.quiet;
    for w in &settings.warnings {
        out.warn(w);
    }
    match &settings.command {
        Task::Export(e) => export::run(&settings, e, true, out),
        Task::DryRun(e) => export::run(&settings, e, false, out),
        Task::List(l) => list::run(&settings, l, out),
        Task::Report(r) => report::run(&settings, r, out),
        Task::Prices(p) => prices::run(&settings, p, out),
        Task::Completions(shell) => completions::script(*shell, out),
        Task::Man => completions::man(out),
    }
}
