use clap::Parser;
use session_export::cli::Cli;
use session_export::error::{Error, ExitCode};
use session_export::output::{Output, printable};
use session_export::{command, settings::Settings};
use std::io::Write;

fn main() {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let result = Settings::resolve(&cli, jiff::Timestamp::now())
        .and_then(|settings| command::run(settings, &mut Output::new(&mut out, &mut err)))
        .and_then(|code| out.flush().map(|()| code).map_err(Error::Output));
    let code = match result {
        Ok(code) => code,
        // `session-export dry-run --all-complete | head` is not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: {}", printable(&e.to_string()));
            e.exit_code()
        }
    };
    std::process::exit(code.code());
}
