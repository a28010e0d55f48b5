//! The command line (pinned: scripts and cron lines depend on it).

use crate::when;
use clap::{ArgGroup, Args, Parser, Subcommand};
use jiff::SignedDuration;
use std::path::PathBuf;

const EXIT_STATUS: &str = "\
Exit status:
  0  everything asked for was done (also when there was nothing to do)
  1  an unexpected failure
  2  bad command line or configuration
  3  a session id that is in neither store
  4  the opencode store is missing or unreadable
  5  an export failed or was partial (some sessions were not confirmed)";

#[derive(Debug, Parser)]
#[command(
    name = "session-export",
    version,
    about = "Turn opencode sessions into analytics documents",
    after_help = EXIT_STATUS,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// opencode's data dir [default: $XDG_DATA_HOME/opencode, else ~/.local/share/opencode]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// opencode's database [default: $OPENCODE_DB resolved against the data dir, else <data dir>/opencode.db]
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// Print no summary; only warnings and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upsert session documents into Convex
    ///
    /// One session goes through `sessions:upsert`, several through
    /// `sessions:upsertBatch`. Configure the deployment with --convex-url,
    /// $SESSION_EXPORT_CONVEX_URL or `convex_url` in the config file, and the
    /// shared secret with $SESSION_EXPORT_TOKEN or `token` in the config file.
    #[command(after_help = EXIT_STATUS)]
    Export(ExportArgs),

    /// Build exactly the documents `export` would send and print them; send nothing, change no state
    ///
    /// One session id prints one JSON object; anything else prints JSON Lines
    /// (one compact document per line).
    #[command(after_help = EXIT_STATUS)]
    DryRun(ExportArgs),

    /// List sessions with their todo progress and export state
    ///
    /// A table, most recently updated first; JSON Lines with --json. The
    /// state is the one `export --all-complete` would act on: `exported`
    /// (unchanged since), `pending` (new or changed: the next export sends
    /// it), `open todos`, or `subagent` (sent inside its parent's document).
    List(ListArgs),

    /// Cost, tokens, messages and sessions per day, week, month, project, model, agent, session or device
    ///
    /// Reads the store directly, as dry-run does: every session, top-level
    /// and subagent, finished or not; nothing needs exporting first. Usage
    /// is attributed per message: to the day of its creation (local time
    /// unless --utc), its own model, its own agent; a subagent's usage counts
    /// where it happened, so the totals are everything spent. A table by
    /// default; JSON Lines with --json, CSV with --csv, or a page with charts
    /// with --html.
    Report(ReportArgs),

    /// Print a shell completion script (also checked in under completions/)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page, in roff (also checked in as completions/session-export.1)
    Man,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("choose").args(["all_complete", "if_complete"]).multiple(true)))]
pub struct ExportArgs {
    /// Sessions to export, whatever their todo state
    #[arg(value_name = "SESSION_ID", required_unless_present = "all_complete")]
    pub ids: Vec<String>,

    /// Every top-level session whose todos are all completed or cancelled (or that has none)
    /// and that changed since it was last exported
    #[arg(long, conflicts_with = "ids")]
    pub all_complete: bool,

    /// Only those of the given sessions that --all-complete would pick (for the opencode plugin)
    #[arg(long, requires = "ids")]
    pub if_complete: bool,

    /// Send even sessions the ledger says are already exported and unchanged
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub select: ExportFilter,

    #[command(flatten)]
    pub content: ContentArgs,

    #[command(flatten)]
    pub sink: SinkArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON Lines: one object per session
    #[arg(long)]
    pub json: bool,

    /// The export state for this Convex deployment [env: SESSION_EXPORT_CONVEX_URL]
    #[arg(long, value_name = "URL")]
    pub convex_url: Option<String>,

    #[command(flatten)]
    pub select: ListFilter,

    #[command(flatten)]
    pub content: ContentArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("format").args(["json", "csv", "html"])))]
pub struct ReportArgs {
    /// What one row is
    #[arg(long, value_enum, default_value_t = By::Day)]
    pub by: By,

    /// Only messages created at or after WHEN: a duration back from now (36h, 7d, 2w),
    /// a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only messages created before WHEN (same forms as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only sessions of this project: an opencode project id, or a directory
    /// (sessions run in it or below it)
    #[arg(long, value_name = "ID|DIR")]
    pub project: Option<String>,

    /// Days, weeks and months in UTC instead of local time
    #[arg(long)]
    pub utc: bool,

    /// JSON Lines: one object per row
    #[arg(long)]
    pub json: bool,

    /// CSV with a header line
    #[arg(long)]
    pub csv: bool,

    /// Write one self-contained HTML page with charts to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// What one row of a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Day,
    Week,
    Month,
    Project,
    Model,
    Agent,
    Session,
    Device,
}

#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Convex deployment URL (https://<name>.convex.cloud) [env: SESSION_EXPORT_CONVEX_URL]
    #[arg(long, value_name = "URL")]
    pub convex_url: Option<String>,

    /// Give up on an HTTP request after this long, e.g. 30s [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = when::duration_arg)]
    pub timeout: Option<SignedDuration>,
}

/// Which sessions `--all-complete` and `--if-complete` pick (only with them).
#[derive(Debug, Args)]
pub struct ExportFilter {
    /// Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w),
    /// a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)
    #[arg(long, value_name = "WHEN", requires = "choose")]
    pub since: Option<String>,

    /// Only sessions of this project: an opencode project id, or a directory
    /// (sessions run in it or below it)
    #[arg(long, value_name = "ID|DIR", requires = "choose")]
    pub project: Option<String>,

    /// Also pick subagent (child) sessions on their own
    #[arg(long, requires = "choose")]
    pub include_subagents: bool,

    /// Treat a session with open todos as ended once it has not changed for
    /// this long (crash, closed terminal), e.g. 12h or 7d [default: never]
    #[arg(long, value_name = "DURATION", value_parser = when::duration_arg, requires = "choose")]
    pub abandoned_after: Option<SignedDuration>,
}

/// Which sessions `list` shows, and the state it gives them.
#[derive(Debug, Args)]
pub struct ListFilter {
    /// Only sessions updated since WHEN: a duration back from now (36h, 7d, 2w),
    /// a date (2026-11-01, local time) or a timestamp (2026-11-01T12:00:00Z)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only sessions of this project: an opencode project id, or a directory
    /// (sessions run in it or below it)
    #[arg(long, value_name = "ID|DIR")]
    pub project: Option<String>,

    /// Show subagent (child) sessions with the state they would have on their own
    #[arg(long)]
    pub include_subagents: bool,

    /// Treat a session with open todos as ended once it has not changed for
    /// this long, e.g. 12h or 7d [default: never]
    #[arg(long, value_name = "DURATION", value_parser = when::duration_arg)]
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
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
