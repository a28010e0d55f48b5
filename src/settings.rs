//! Settings, resolved once from the command line, the environment, the
//! config file and defaults (in that order of precedence) into typed
//! values. Nothing after this module sees clap's arguments.

use crate::cli::{
    Cli, Command, ContentArgs, ExportArgs, Lifecycle, ListArgs, PricesArgs, ReportArgs, Select,
    StoreArgs,
};
use crate::config::Loaded;
use crate::document::Content;
use crate::error::{Error, Warning};
use crate::report::By;
use crate::select::Selection;
use crate::sink::Target;
use crate::sink::convex::Deployment;
use crate::store::StorePaths;
use crate::{when, xdg};
use clap::ValueEnum;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::path::PathBuf;
use std::time::Duration;

/// Everything a run needs to know, resolved.
#[derive(Debug)]
pub struct Settings {
    pub store: StorePaths,
    /// Print no summary; only warnings and errors.
    pub quiet: bool,
    /// The time the run started: `--since 7d` and the export time are
    /// measured from it.
    pub now: Timestamp,
    pub command: Task,
    /// Said on stderr before the command runs (about the config file).
    pub warnings: Vec<Warning>,
}

/// The command to run, with its own settings.
#[derive(Debug)]
pub enum Task {
    Export(Export),
    DryRun(Export),
    List(List),
    Report(Report),
    Prices(Prices),
    /// `completions`, with the shell when one was named.
    Completions(Option<clap_complete::Shell>),
    Man,
}

/// `export` and `dry-run`.
#[derive(Debug)]
pub struct Export {
    pub pick: Pick,
    /// Send even sessions the ledger holds as exported and unchanged.
    pub force: bool,
    pub selection: Selection,
    pub content: Content,
    pub target: Target,
    /// Documents per sink call.
    pub batch_size: usize,
    /// The list-price override file, if any (see [`price_file`]).
    pub prices: Option<PathBuf>,
}

/// Which sessions an export starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// These sessions, whatever their todo state.
    Ids(Vec<String>),
    /// Those of these sessions that `--all-complete` would pick.
    IfComplete(Vec<String>),
    /// Every session `--all-complete` picks.
    AllComplete,
}

#[derive(Debug)]
pub struct List {
    pub format: ListFormat,
    /// At most this many sessions, the most recently updated.
    pub limit: Option<usize>,
    pub selection: Selection,
    pub target: Target,
}

/// How `list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Json,
    Ids,
}

/// `report`.
#[derive(Debug)]
pub struct Report {
    pub by: By,
    /// Only messages created in `[since, until)` (epoch ms).
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// `--project` (no other filter).
    pub selection: Selection,
    /// Where days, weeks and months are cut.
    pub zone: Zone,
    pub format: Format,
    /// `--convex`: the team report from this deployment's aggregates, not
    /// the local store.
    pub convex: Option<Deployment>,
    /// The list-price override file, if any (see [`price_file`]).
    pub prices: Option<PathBuf>,
}

/// The time zone a report cuts its days, weeks and months in.
#[derive(Debug, Clone)]
pub enum Zone {
    /// The system's.
    Local,
    /// `--tz NAME`, or UTC (`--utc`, the team report).
    Named(String, TimeZone),
}

impl Zone {
    fn utc() -> Zone {
        Zone::Named("UTC".into(), TimeZone::UTC)
    }

    pub fn tz(&self) -> TimeZone {
        match self {
            Zone::Local => TimeZone::system(),
            Zone::Named(_, tz) => tz.clone(),
        }
    }

    /// As a report's title names it: `UTC`, `Asia/Tokyo`, `local time (Europe/Berlin)`.
    pub fn describe(&self) -> String {
        match self {
            Zone::Named(name, _) => name.clone(),
            Zone::Local => match TimeZone::system().iana_name() {
                Some(name) => format!("local time ({name})"),
                None => "local time".to_string(),
            },
        }
    }
}

/// `prices`.
#[derive(Debug)]
pub struct Prices {
    /// The models to price; none: the store's.
    pub models: Vec<String>,
    /// Say where the shipped table came from.
    pub info: bool,
    /// The override file, if any (see [`price_file`]).
    pub overrides: Option<PathBuf>,
}

/// How a report is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Html(PathBuf),
}

impl Settings {
    /// Resolve the parsed command line. The config file is read only by
    /// the commands that use it.
    pub fn resolve(cli: &Cli, now: Timestamp) -> Result<Settings, Error> {
        let mut warnings = Vec::new();
        let store = cli.store();
        let command = match &cli.command {
            Command::Export(a) => Task::Export(export(
                &a.export,
                a.net.timeout,
                &store,
                now,
                &mut warnings,
            )?),
            Command::DryRun(a) => Task::DryRun(export(a, None, &store, now, &mut warnings)?),
            Command::List(a) => Task::List(list(a, now, &mut warnings)?),
            Command::Report(a) => Task::Report(report(a, &store, now, &mut warnings)?),
            Command::Prices(a) => Task::Prices(prices(a, &store, &mut warnings)?),
            Command::Completions { shell } => Task::Completions(*shell),
            Command::Man => Task::Man,
        };
        Ok(Settings {
            store: store_paths(&store)?,
            quiet: store.quiet,
            now,
            command,
            warnings,
        })
    }
}

/// The config file, its warnings (a token others can read) passed on.
fn load_config(warnings: &mut Vec<Warning>) -> Result<Loaded, Error> {
    let file = Loaded::load(&xdg::config_file()?)?;
    warnings.extend(file.warnings.iter().cloned());
    Ok(file)
}

/// How long an HTTP request may take: `--timeout`, else the file's
/// `timeout`, else 30 s.
fn timeout(flag: Option<SignedDuration>, file: &Loaded) -> Result<Duration, Error> {
    match (flag, &file.keys.timeout) {
        (Some(d), _) => positive(d).map_err(|e| Error::Usage(format!("--timeout: {e}"))),
        (None, Some(t)) => when::parse_duration(t)
            .map_err(|e| e.to_string())
            .and_then(positive)
            .map_err(|e| file.bad("timeout", e)),
        (None, None) => Ok(Duration::from_secs(30)),
    }
}

/// `export` and `dry-run`; `timeout` is `export`'s (`dry-run` sends nothing).
fn export(
    a: &ExportArgs,
    timeout_flag: Option<SignedDuration>,
    store: &StoreArgs,
    now: Timestamp,
    warnings: &mut Vec<Warning>,
) -> Result<Export, Error> {
    let file = load_config(warnings)?;
    let pick = if a.all_complete {
        Pick::AllComplete
    } else if a.if_complete {
        Pick::IfComplete(a.ids.clone())
    } else {
        Pick::Ids(a.ids.clone())
    };
    let timeout = timeout(timeout_flag, &file)?;
    let target = target(&file, a.sink.convex_url.as_deref(), timeout)?;
    Ok(Export {
        pick,
        force: a.force,
        selection: selection(&file, &a.select, &a.lifecycle, now)?,
        content: content(&a.content, &file),
        batch_size: batch_size(&file, &target)?,
        target,
        prices: price_file(store.prices.as_deref(), &file),
    })
}

fn list(a: &ListArgs, now: Timestamp, warnings: &mut Vec<Warning>) -> Result<List, Error> {
    let file = load_config(warnings)?;
    let format = match (a.json, a.ids) {
        (true, _) => ListFormat::Json,
        (_, true) => ListFormat::Ids,
        _ => ListFormat::Table,
    };
    // The table fits a screen; JSON and ids are for scripts.
    let limit = match (a.limit, format) {
        (Some(0), _) => None,
        (Some(n), _) => Some(n),
        (None, ListFormat::Table) => Some(20),
        (None, _) => None,
    };
    Ok(List {
        format,
        limit,
        selection: selection(&file, &a.select, &a.lifecycle, now)?,
        target: target(&file, a.sink.convex_url.as_deref(), Duration::from_secs(30))?,
    })
}

fn report(
    a: &ReportArgs,
    store: &StoreArgs,
    now: Timestamp,
    warnings: &mut Vec<Warning>,
) -> Result<Report, Error> {
    let zone = match (&a.tz, a.utc || a.convex) {
        (Some(name), _) => {
            let tz = TimeZone::get(name).map_err(|_| {
                Error::Usage(format!(
                    "--tz {name}: not a time zone (give an IANA name such as Europe/Berlin, \
                     America/New_York or UTC)"
                ))
            })?;
            // As the zone database spells it (`utc` is `UTC`).
            Zone::Named(tz.iana_name().unwrap_or(name).to_string(), tz)
        }
        (None, true) => Zone::utc(),
        (None, false) => Zone::Local,
    };
    let tz = zone.tz();
    let time = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| when::parse_time(flag, s, now, &tz))
            .transpose()
    };
    let format = match (&a.html, a.json, a.csv) {
        (Some(file), _, _) => Format::Html(file.clone()),
        (None, true, _) => Format::Json,
        (None, false, true) => Format::Csv,
        (None, false, false) => Format::Table,
    };
    if a.convex && !a.by.on_team_report() {
        let kept: Vec<&str> = By::value_variants()
            .iter()
            .filter(|b| b.on_team_report())
            .map(|b| b.wire())
            .collect();
        return Err(Error::Usage(format!(
            "report --convex --by {by}: the deployment keeps totals by {} only; report --by {by} \
             reads this machine's store",
            kept.join(", "),
            by = a.by.wire()
        )));
    }
    let file = load_config(warnings)?;
    let convex = if a.convex {
        let timeout = timeout(a.net.timeout, &file)?;
        let Target::Convex(deployment) = target(&file, a.sink.convex_url.as_deref(), timeout)?
        else {
            return Err(Error::Usage(
                "report --convex needs a deployment: give --convex-url or set \
                 SESSION_EXPORT_CONVEX_URL (or convex_url in the config file), and \
                 SESSION_EXPORT_TOKEN"
                    .into(),
            ));
        };
        if let Some(name) = a.tz.as_deref().filter(|_| tz != TimeZone::UTC) {
            return Err(Error::Usage(format!(
                "report --convex --tz {name}: the deployment keeps totals per UTC day"
            )));
        }
        if a.select.project.is_some() {
            return Err(Error::Usage(
                "report --convex has no --project filter: the deployment keeps totals per \
                 project, see --by project"
                    .into(),
            ));
        }
        Some(deployment)
    } else {
        None
    };
    let since_ms = match a.last {
        Some(n) => {
            let Some(unit) = a.by.period() else {
                return Err(Error::Usage(format!(
                    "--last {n} counts days, weeks or months: give --by day, week or month \
                     with it (or --since {n}d)"
                )));
            };
            Some(when::start_of_last(n, unit, now, &tz)?)
        }
        None => time("--since", &a.select.since)?,
    };
    let until_ms = time("--until", &a.until)?;
    if let (Some(since), Some(until), Some(s), Some(u)) =
        (since_ms, until_ms, &a.select.since, &a.until)
        && since >= until
    {
        return Err(Error::Usage(format!(
            "--since {s} is not before --until {u}: no message is in that range (--since is the \
             earlier end)"
        )));
    }
    Ok(Report {
        by: a.by,
        since_ms,
        until_ms,
        selection: Selection::new(None, a.select.project.clone(), true, None),
        // The deployment's days are UTC days.
        zone,
        format,
        convex,
        prices: price_file(store.prices.as_deref(), &file),
    })
}

fn prices(a: &PricesArgs, store: &StoreArgs, warnings: &mut Vec<Warning>) -> Result<Prices, Error> {
    let file = load_config(warnings)?;
    Ok(Prices {
        models: a.models.clone(),
        info: a.info,
        overrides: price_file(store.prices.as_deref(), &file),
    })
}

/// The list-price override file: `--prices`, else the config file's
/// `prices` (a relative path is taken from the config file's directory).
pub fn price_file(flag: Option<&std::path::Path>, file: &Loaded) -> Option<PathBuf> {
    flag.map(PathBuf::from).or_else(|| {
        let p = file.keys.prices.as_ref()?;
        Some(match file.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.clone(),
        })
    })
}

fn selection(
    file: &Loaded,
    f: &Select,
    life: &Lifecycle,
    now: Timestamp,
) -> Result<Selection, Error> {
    let since_ms = f
        .since
        .as_deref()
        .map(|s| when::parse_since(s, now))
        .transpose()?;
    let abandoned_after = match (life.abandoned_after, &file.keys.abandoned_after) {
        (Some(d), _) => Some(d),
        (None, Some(t)) => {
            Some(when::parse_duration(t).map_err(|e| file.bad("abandoned_after", e))?)
        }
        (None, None) => None,
    };
    let include_subagents =
        life.include_subagents || file.keys.skip_subagent_sessions.is_some_and(|skip| !skip);
    Ok(Selection::new(
        since_ms,
        f.project.clone(),
        include_subagents,
        abandoned_after.map(|d| now.as_millisecond() - d.as_millis() as i64),
    ))
}

fn content(c: &ContentArgs, file: &Loaded) -> Content {
    let flag = |on: bool, off: bool| match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let f = &file.keys;
    Content {
        messages: flag(c.include_messages, c.no_include_messages)
            .or(f.include_messages)
            .unwrap_or(false),
        todos: flag(c.include_todos, c.no_include_todos)
            .or(f.include_todos)
            .unwrap_or(true),
        hash_paths: flag(c.hash_paths, c.no_hash_paths)
            .or(f.hash_paths)
            .unwrap_or(false),
        tools: flag(c.include_tools, c.no_include_tools)
            .or(f.include_tools)
            .unwrap_or(false),
    }
}

/// Convex when a URL is configured (flag, environment, file), else the
/// local SQLite file.
fn target(file: &Loaded, flag_url: Option<&str>, timeout: Duration) -> Result<Target, Error> {
    let url = flag_url
        .map(str::to_string)
        .or_else(|| env_string("SESSION_EXPORT_CONVEX_URL"))
        .or_else(|| file.keys.convex_url.clone())
        .filter(|u| !u.trim().is_empty());
    if let Some(masked) = url.as_deref().and_then(crate::secret::mask_userinfo) {
        return Err(Error::Usage(format!(
            "Convex URL {masked}: a user name or password in the URL is not supported; give the deployment URL alone, and the token in $SESSION_EXPORT_TOKEN or the config file"
        )));
    }
    Ok(match url {
        Some(url) => Target::Convex(Deployment {
            url,
            token: env_string("SESSION_EXPORT_TOKEN")
                .map(crate::secret::Secret::new)
                .or_else(|| file.keys.token.clone()),
            timeout,
            max_retries: file.keys.max_retries.unwrap_or(3),
        }),
        None => Target::Local(xdg::local_sink()?),
    })
}

/// Documents per sink call: the file's `batch_size`, within what the sink
/// takes in one call (and all of that by default).
fn batch_size(file: &Loaded, target: &Target) -> Result<usize, Error> {
    let max = target.limits().docs;
    match file.keys.batch_size {
        None => Ok(max),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(file.bad(
            "batch_size",
            format!("{n} is out of range: it must be 1 to {max}"),
        )),
    }
}

/// A duration that can bound a request: more than zero.
fn positive(d: SignedDuration) -> Result<Duration, String> {
    match Duration::try_from(d) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "{d} is not a usable time limit; give one above zero"
        )),
    }
}

fn env_string(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// Where the opencode store is: flags, then `$OPENCODE_DB`, then the XDG default.
fn store_paths(args: &StoreArgs) -> Result<StorePaths, Error> {
    let (data_dir, data_dir_explicit) = match &args.data_dir {
        Some(d) => (d.clone(), true),
        None => (xdg::opencode_data_dir()?, false),
    };
    let (db, db_explicit) = match (&args.db, xdg::env_path("OPENCODE_DB")) {
        (Some(db), _) => (db.clone(), true),
        // Like opencode: absolute, or relative to the data dir.
        (None, Some(db)) => (data_dir.join(db), true),
        (None, None) => (data_dir.join("opencode.db"), false),
    };
    Ok(StorePaths {
        data_dir,
        data_dir_explicit,
        db,
        db_explicit,
    })
}
