//! The command line (pinned: scripts and cron lines depend on it).

use crate::report::By;
use crate::when;
use clap::error::ErrorKind;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand};
use jiff::SignedDuration;
use std::path::PathBuf;

/// The exit statuses, at the end of every `--help`.
macro_rules! exit_status {
    () => {
        "\
Exit status:
  0  everything asked for was done (also when there was nothing to do)
  1  an unexpected failure
  2  bad command line or configuration
  3  a session id that is in neither store
  4  the opencode store is missing or unreadable
  5  an export failed or was partial (some sessions were not confirmed)"
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "session-export",
    version,
    about = "Turn opencode sessions into analytics documents, in a local SQLite file or in Convex",
    after_help = concat!("\
Examples:
  session-export list                          # the latest sessions and their export state
  session-export dry-run --all-complete        # the documents an export would send
  session-export export --all-complete         # send every finished session that changed
  session-export export \"$(session-export list --ids -n 1)\"   # send the latest session
  session-export report --by model --since 7d  # this week's cost and tokens per model

", exit_status!()),
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The store flags, from before and after the subcommand.
    pub fn store(&self) -> StoreArgs {
        let after = match &self.command {
            Command::Export(a) => &a.export.store,
            Command::DryRun(a) => &a.store,
            Command::List(a) => &a.store,
            Command::Report(a) => &a.store,
            Command::Prices(a) => &a.store,
            Command::Completions { .. } | Command::Man => return self.store.clone(),
        };
        after.or(&self.store)
    }

    /// Parse the command line; on a mistake, print what was wrong with
    /// the usage and exit with status 2.
    pub fn parse_checked() -> Cli {
        let cli = Cli::parse();
        if let Err(e) = cli.check() {
            e.exit();
        }
        cli
    }

    /// What clap cannot say well by itself: `--since` took the next option
    /// for its value (it takes values starting with `-`, to answer
    /// `--since -3d` in words); `export` and `dry-run` need session ids or
    /// `--all-complete`; the selection options only choose among the
    /// sessions `--all-complete` or `--if-complete` pick.
    pub fn check(&self) -> Result<(), clap::Error> {
        let (name, since, export) = match &self.command {
            Command::Export(a) => ("export", &a.export.select.since, Some(&a.export)),
            Command::DryRun(a) => ("dry-run", &a.select.since, Some(a)),
            Command::List(a) => ("list", &a.select.since, None),
            Command::Report(a) => ("report", &a.select.since, None),
            _ => return Ok(()),
        };
        let (kind, msg) = if let Some(v) = since.as_deref().filter(|v| v.starts_with("--")) {
            (
                ErrorKind::InvalidValue,
                format!("--since needs a time (like 7d or 2026-11-01) before {v}"),
            )
        } else if let Some(e) = export.and_then(export_mistake) {
            e
        } else {
            return Ok(());
        };
        // The error shows the subcommand's usage (for export and dry-run,
        // both forms).
        let mut root = Cli::command();
        root.build();
        let cmd = root
            .find_subcommand_mut(name)
            .expect("a subcommand of the command line");
        Err(cmd.error(kind, msg))
    }
}

/// What is wrong with the arguments of `export` or `dry-run`, if anything.
fn export_mistake(a: &ExportArgs) -> Option<(ErrorKind, String)> {
    if a.ids.is_empty() && !a.all_complete {
        return Some((
            ErrorKind::MissingRequiredArgument,
            if a.if_complete {
                "give the session ids --if-complete should choose from".to_string()
            } else {
                "give session ids or --all-complete".to_string()
            },
        ));
    }
    if a.all_complete || a.if_complete {
        return None;
    }
    let (f, life) = (&a.select, &a.lifecycle);
    [
        (f.since.is_some(), "--since"),
        (f.project.is_some(), "--project"),
        (life.include_subagents, "--include-subagents"),
        (life.abandoned_after.is_some(), "--abandoned-after"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
    .map(|flag| {
        (
            ErrorKind::ArgumentConflict,
            format!(
                "{flag} chooses among the sessions --all-complete or --if-complete pick; \
                 session ids alone are exported whatever their state"
            ),
        )
    })
}

/// The two forms of `export` and `dry-run`.
macro_rules! export_usage {
    ($cmd:literal) => {
        concat!(
            "session-export ",
            $cmd,
            " [OPTIONS] <SESSION_ID>...\n       ",
            "session-export ",
            $cmd,
            " [OPTIONS] --all-complete\n       ",
            "session-export ",
            $cmd,
            " [OPTIONS] --if-complete <SESSION_ID>..."
        )
    };
}

/// Where the store is, and how much to say: given before the subcommand, or
/// after it where the subcommand reads a store (`completions` and `man`
/// read none, so they neither take nor list these).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// opencode's data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// opencode's database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// Print no summary; only warnings and errors
    #[arg(short, long)]
    pub quiet: bool,

    /// List prices that beat the shipped table: a TOML or JSON file of
    /// `provider/model` -> input, output, cache_read, cache_write (USD per million tokens)
    /// [default: `prices` in the config file]
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

impl StoreArgs {
    /// These flags given after the subcommand beat those given before it.
    fn or(&self, before: &StoreArgs) -> StoreArgs {
        StoreArgs {
            data_dir: self.data_dir.clone().or_else(|| before.data_dir.clone()),
            db: self.db.clone().or_else(|| before.db.clone()),
            quiet: self.quiet || before.quiet,
            prices: self.prices.clone().or_else(|| before.prices.clone()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send session documents to the local SQLite file, or to Convex when one is configured
    ///
    /// Documents go to $XDG_DATA_HOME/session-export/sessions.db (by default
    /// ~/.local/share/session-export/sessions.db), or, when a Convex URL is
    /// configured (--convex-url, $SESSION_EXPORT_CONVEX_URL or `convex_url`
    /// in the config file), to that deployment, with the shared secret from
    /// $SESSION_EXPORT_TOKEN or `token` in the config file. A session the
    /// ledger holds as exported and unchanged is not sent again (--force
    /// sends it). Sessions go oldest first.
    #[command(
        override_usage = export_usage!("export"),
        after_help = concat!("\
Examples:
  # every finished session that changed since the last export
  session-export export --all-complete
  # one session, whatever its todo state (here: the latest)
  session-export export \"$(session-export list --ids -n 1)\"
  # from cron: sessions idle for a day count as finished
  session-export export --all-complete --abandoned-after 1d -q

", exit_status!())
    )]
    Export(SendArgs),

    /// Print the documents `export` would send; send nothing, change no state
    ///
    /// One session id prints one JSON object; anything else prints JSON Lines
    /// (one compact document per line, oldest session first). Sessions named
    /// by id are printed even when the ledger holds them as exported and
    /// unchanged; with --all-complete or --if-complete, what `export` would
    /// skip is left out here too.
    #[command(
        override_usage = export_usage!("dry-run"),
        after_help = concat!("\
Examples:
  # the latest session, pretty-printed
  session-export dry-run \"$(session-export list --ids -n 1)\"
  # what the next `export --all-complete` sends, one document per line
  session-export dry-run --all-complete
  # finished sessions of one project from the last week, with transcripts
  session-export dry-run --all-complete --project ~/src/myapp --since 7d --include-messages

", exit_status!())
    )]
    DryRun(ExportArgs),

    /// List sessions, newest first, with their todos, cost, model and export state
    ///
    /// A table of the 20 most recently updated sessions (-n to change that);
    /// JSON Lines with --json, session ids alone with --ids. The state:
    /// `exported` (unchanged since it was last exported), `pending` (new or
    /// changed: the next `export --all-complete` sends it), `open todos`, or
    /// `subagent` (sent inside its parent's document). COST includes the
    /// session's subagents.
    #[command(after_help = concat!("\
Examples:
  session-export list                              # the 20 latest sessions
  session-export list -n 0 --project ~/src/myapp   # every session of one project
  session-export list --ids -n 1                   # the latest session's id
  session-export list --json --since 7d            # JSON Lines, for scripts

", exit_status!()))]
    List(ListArgs),

    /// Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or
    /// device; tool calls per tool
    ///
    /// Reads the store directly, as dry-run does: every session, top-level
    /// and subagent, finished or not; nothing needs exporting first. Usage
    /// is attributed per message: to the day of its creation (local time
    /// unless --utc), its own model, its own agent; a subagent's usage counts
    /// where it happened, so the totals are everything spent. A table by
    /// default; JSON Lines with --json, CSV with --csv, or a page with charts
    /// with --html.
    #[command(after_help = concat!("\
Examples:
  session-export report                               # per day, each day split by model
  session-export report --by model --since 7d         # this week, per provider/model
  session-export report --by week --last 4 --tz Europe/Berlin   # four weeks, Berlin's
  session-export report --by project --json           # JSON Lines, one object per row
  session-export report --by week --csv > usage.csv   # for a spreadsheet
  session-export report --html usage.html             # one page with charts

", exit_status!()))]
    Report(ReportArgs),

    /// The list prices a model's usage is valued at, and where each came from
    ///
    /// Prices are USD per million tokens, from a table shipped inside the
    /// binary (a LiteLLM snapshot; --info says which) or the --prices file.
    /// A `provider/model` is matched exactly, then normalised (lowercase,
    /// no date or version suffix), then, when the provider bills nothing
    /// (a subscription, a free model), at the same model's maker. Without
    /// MODEL: every model the store's assistant messages used, and those
    /// that have no price (counted as unpriced, never as $0).
    #[command(after_help = concat!("\
Examples:
  session-export prices                                   # the models in the store
  session-export prices github-copilot/claude-sonnet-4.5  # priced at anthropic's list price
  session-export prices --prices my-rates.toml openai/gpt-4o
  session-export prices --info                            # where the shipped table came from

", exit_status!()))]
    Prices(PricesArgs),

    /// Print a shell completion script (also checked in under completions/)
    #[command(after_help = "\
Examples:
  session-export completions bash > ~/.local/share/bash-completion/completions/session-export
  session-export completions zsh > ~/.zfunc/_session-export")]
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh
        #[arg(value_enum)]
        shell: Option<clap_complete::Shell>,
    },

    /// Print the man page, in roff (also checked in as completions/session-export.1)
    Man,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Sessions to export, whatever their todo state
    #[arg(value_name = "SESSION_ID")]
    pub ids: Vec<String>,

    /// Every top-level session whose todos are all completed or cancelled (or that has none)
    /// and that changed since it was last exported
    #[arg(long, conflicts_with = "ids")]
    pub all_complete: bool,

    /// Only those of the given sessions that --all-complete would pick (for the opencode plugin)
    #[arg(long)]
    pub if_complete: bool,

    /// Send even sessions the ledger says are already exported and unchanged
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub select: Select,

    #[command(flatten)]
    pub lifecycle: Lifecycle,

    #[command(flatten)]
    pub content: ContentArgs,

    #[command(flatten)]
    pub sink: SinkArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// `export`: what `dry-run` takes, and how long a request may take.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub export: ExportArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Debug, Args)]
pub struct PricesArgs {
    /// `provider/model` ids, as opencode stores them [default: the models in the store]
    #[arg(value_name = "MODEL")]
    pub models: Vec<String>,

    /// Print where the shipped table came from and when it was taken
    #[arg(long, conflicts_with = "models")]
    pub info: bool,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show at most N sessions, the most recently updated; 0 shows all
    /// [default: 20 for the table, all with --json or --ids]
    #[arg(short = 'n', long, value_name = "N")]
    pub limit: Option<usize>,

    /// JSON Lines: one object per session
    #[arg(long, conflicts_with = "ids")]
    pub json: bool,

    /// Only the session ids, one per line, newest first (`list --ids -n 1`: the latest)
    #[arg(long)]
    pub ids: bool,

    #[command(flatten)]
    pub select: Select,

    #[command(flatten)]
    pub lifecycle: Lifecycle,

    #[command(flatten)]
    pub sink: SinkArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("format").args(["json", "csv", "html"])))]
// The deployment's URL and time limit only matter to the team report.
#[command(group(
    ArgGroup::new("team")
        .args(["convex_url", "timeout"])
        .multiple(true)
        .requires("convex")
))]
// A report counts messages, not sessions.
#[command(mut_arg("since", |a| a.help(
    "Only messages created at or after WHEN: a duration back from now (36h, 7d, 2w), \
     a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)"
)))]
pub struct ReportArgs {
    /// What one row is
    #[arg(long, value_enum, default_value_t = By::Day)]
    pub by: By,

    #[command(flatten)]
    pub select: Select,

    /// Only messages created before WHEN (same forms as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Days, weeks and months in UTC instead of local time (the same as --tz UTC)
    #[arg(long, conflicts_with = "tz")]
    pub utc: bool,

    /// Days, weeks and months in this time zone instead of local time: an IANA
    /// name such as Europe/Berlin or America/New_York; dates given to --since and
    /// --until are read in it too
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Only the last N days, weeks or months (with --by day, week or month), the
    /// current one included, counted in the report's time zone
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..),
        conflicts_with_all = ["since", "until"]
    )]
    pub last: Option<u32>,

    /// JSON Lines: one object per row
    #[arg(long)]
    pub json: bool,

    /// CSV with a header line
    #[arg(long)]
    pub csv: bool,

    /// Write one self-contained HTML page with charts to FILE (`-`: to stdout)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// The team report: every exporter's sessions, from the Convex deployment's
    /// aggregates (--convex-url or $SESSION_EXPORT_CONVEX_URL, and
    /// $SESSION_EXPORT_TOKEN, or the config file); days in UTC
    #[arg(long)]
    pub convex: bool,

    #[command(flatten)]
    pub sink: SinkArgs,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// The sink: a Convex deployment when a URL is configured, else the local
/// SQLite file.
#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]
    #[arg(long, value_name = "URL")]
    pub convex_url: Option<String>,
}

/// For the commands that talk to a deployment.
#[derive(Debug, Args)]
pub struct NetArgs {
    /// Give up on an HTTP request after this long, e.g. 30s [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = when::duration_arg)]
    pub timeout: Option<SignedDuration>,
}

/// Which sessions a command looks at (`export` and `dry-run`: among those
/// `--all-complete` and `--if-complete` pick; `report`: which messages).
#[derive(Debug, Args)]
pub struct Select {
    /// Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w),
    /// a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only sessions of this project: an opencode project id, or a directory
    /// (sessions run in it or below it)
    #[arg(long, value_name = "ID|DIR")]
    pub project: Option<String>,
}

/// When a session counts as ended, and whether subagent sessions count on
/// their own (`export`, `dry-run`, `list`; a report counts every message).
#[derive(Debug, Args)]
pub struct Lifecycle {
    /// Also take subagent (child) sessions on their own, with the state they would have alone
    #[arg(long)]
    pub include_subagents: bool,

    /// Treat a session with open todos as ended once it has not changed for
    /// this long (crash, closed terminal), e.g. 12h or 7d [default: never]
    #[arg(long, value_name = "DURATION", value_parser = when::duration_arg, allow_hyphen_values = true)]
    pub abandoned_after: Option<SignedDuration>,
}

#[derive(Debug, Args)]
pub struct ContentArgs {
    /// Include the full transcript with parts as `messagesJson`, and the title (well-known secret formats are masked)
    #[arg(long, overrides_with = "no_include_messages")]
    pub include_messages: bool,

    /// Leave the transcript out [default]
    #[arg(long, overrides_with = "include_messages")]
    pub no_include_messages: bool,

    /// Include the todo list as `todosJson` [default]
    #[arg(long, overrides_with = "no_include_todos")]
    pub include_todos: bool,

    /// Leave the todo list out
    #[arg(long, overrides_with = "include_todos")]
    pub no_include_todos: bool,

    /// Include calls, errors and time per tool as `tools` (reads every part of the store: slower)
    #[arg(long, overrides_with = "no_include_tools")]
    pub include_tools: bool,

    /// Leave the tool calls out [default]
    #[arg(long, overrides_with = "include_tools")]
    pub no_include_tools: bool,

    /// Send a stable hash (sha256:...) instead of the project directory's path
    #[arg(long, overrides_with = "no_hash_paths")]
    pub hash_paths: bool,

    /// Send the project directory's path [default]
    #[arg(long, overrides_with = "hash_paths")]
    pub no_hash_paths: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
