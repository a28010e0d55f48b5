use session_export::{Cli, Error, ExitCode, Output, Settings, printable};
use std::io::Write;

fn main() {
    let cli = Cli::parse_checked();
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) => match e.downcast_ref::<Error>() {
            // `session-export dry-run --all-complete | head` is not a failure.
            Some(Error::Output(io)) if io.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Ok,
            known => {
                // The library's errors name their cause in their own text;
                // anyhow's chain would repeat it.
                let text = match known {
                    Some(known) => known.to_string(),
                    None => format!("{e:#}"),
                };
                let _ = writeln!(std::io::stderr(), "error: {}", printable(&text));
                known.map_or(ExitCode::Failure, Error::exit_code)
            }
        },
    };
    std::process::exit(code.code());
}

/// Resolve the settings and run the command; the library's errors carry
/// their exit status, anything else is a plain failure.
fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(cli, jiff::Timestamp::now())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let code = session_export::run(settings, &mut Output::new(&mut out, &mut err))?;
    out.flush().map_err(Error::Output)?;
    Ok(code)
}
