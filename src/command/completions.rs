//! `completions <shell>` and `man`: generated from the command line's
//! definition, so they never drift from it.

use crate::cli::Cli;
use crate::error::{Error, ExitCode};
use crate::output::Output;
use clap::{CommandFactory, ValueEnum};

/// The completion script for `shell`; without one, an error naming the
/// shells there are.
pub fn script(shell: Option<clap_complete::Shell>, out: &mut Output) -> Result<ExitCode, Error> {
    let Some(shell) = shell else {
        let names: Vec<String> = clap_complete::Shell::value_variants()
            .iter()
            .filter_map(|s| s.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        return Err(Error::Usage(format!(
            "name a shell: session-export completions <SHELL>, one of {}",
            names.join(", ")
        )));
    };
    clap_complete::generate(shell, &mut Cli::command(), "session-export", out.out);
    Ok(ExitCode::Ok)
}

pub fn man(out: &mut Output) -> Result<ExitCode, Error> {
    clap_mangen::Man::new(Cli::command())
        .render(out.out)
        .map_err(Error::Output)?;
    Ok(ExitCode::Ok)
}
