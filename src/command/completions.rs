//! `completions <shell>` and `man`: generated from the command line's
//! definition, so they never drift from it.

use crate::cli::Cli;
use crate::error::{Error, ExitCode};
use crate::output::Output;
use clap::CommandFactory;

pub fn script(shell: clap_complete::Shell, out: &mut Output) -> Result<ExitCode, Error> {
    clap_complete::generate(shell, &mut Cli::command(), "session-export", out.out);
    Ok(ExitCode::Ok)
}

pub fn man(out: &mut Output) -> Result<ExitCode, Error> {
    clap_mangen::Man::new(Cli::command())
        .render(out.out)
        .map_err(Error::Output)?;
    Ok(ExitCode::Ok)
}
