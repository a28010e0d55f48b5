//! Errors the library reports, and the exit status each maps to; and
//! warnings, which are said and do not stop the run.

use std::path::PathBuf;

/// Exit statuses, documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything asked for was done (also when there was nothing to do).
    Ok = 0,
    /// An unexpected failure not covered below.
    Failure = 1,
    /// Bad command line or configuration.
    Usage = 2,
    /// A session id that is in neither store.
    UnknownSession = 3,
    /// The opencode store is missing or unreadable.
    Store = 4,
    /// An export failed or was partial: some sessions were not confirmed.
    Export = 5,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The first failure decides the exit status.
    pub fn or(self, new: ExitCode) -> ExitCode {
        if self == ExitCode::Ok { new } else { self }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "opencode data dir {} does not exist{}",
        path.display(),
        if *explicit { "" } else { " (give yours with --data-dir)" }
    )]
    MissingDataDir {
        path: PathBuf,
        /// Named by `--data-dir` (else the default).
        explicit: bool,
    },
    /// `--data-dir` names a file (such as `opencode.db`), not the
    /// folder that holds it.
    #[error(
        "opencode data dir {} is a file, not a folder: give the folder that holds opencode.db (--data-dir {})",
        .0.display(),
        folder_of(.0).display()
    )]
    DataDirIsFile(PathBuf),
    #[error("opencode database {} does not exist", .0.display())]
    MissingDb(PathBuf),
    #[error("no opencode store in {}: neither opencode.db nor storage/ is there", .0.display())]
    NoStore(PathBuf),
    #[error("cannot read opencode database {}: {source}", path.display())]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("opencode database {}: {what}", path.display())]
    Schema { path: PathBuf, what: String },
    #[error("opencode database {}: data of {id} is not valid JSON: {source}", path.display())]
    BadRow {
        path: PathBuf,
        id: String,
        source: serde_json::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no session {id} in {} (`session-export list` shows the sessions there)", data_dir.display())]
    UnknownSession { id: String, data_dir: PathBuf },
    /// A JSON store's session file names its session with something that
    /// is not an opencode id (it could make a path outside `storage/`).
    #[error(
        "{}: its id \"{id}\" is not an opencode session id (ses_ and letters and digits)",
        path.display()
    )]
    NotAnId { id: String, path: PathBuf },
    #[error("opencode kept rewriting {} while it was read; try again", .0.display())]
    Unstable(PathBuf),
    #[error("another session-export run has held {} for minutes; giving up", .0.display())]
    Busy(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("local sink {}: {msg}", path.display())]
    Sink { path: PathBuf, msg: String },
    /// A Convex query failed (the team report).
    #[error("{0}")]
    Remote(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Config(String),
    #[error("cannot read the config file {}: {source}", path.display())]
    ConfigUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A page (`report --html FILE`) may not go there.
    #[error("refusing to write the page to {}: {why}", path.display())]
    PageRefused { path: PathBuf, why: String },
    #[error("cannot write the page {}: {source}", path.display())]
    Page {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The price override file (`--prices`, or `prices` in the config
    /// file) is unreadable or wrong.
    #[error("price file {}: {msg}", path.display())]
    Prices { path: PathBuf, msg: String },
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// A time in the store that no calendar holds.
    #[error("a message time {ms} is out of range: {source}")]
    BadTime { ms: i64, source: jiff::Error },
    /// A chart of the page (`report --html`) could not be drawn.
    #[error("{0}")]
    Chart(String),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::UnknownSession { .. } | Error::NotAnId { .. } => ExitCode::UnknownSession,
            // FILE of `--html FILE` names what it must not replace.
            Error::Usage(_)
            | Error::Config(_)
            | Error::PageRefused { .. }
            | Error::Prices { .. } => ExitCode::Usage,
            Error::Sink { .. } => ExitCode::Export,
            Error::Remote(_) => ExitCode::Failure,
            Error::Output(_)
            | Error::Page { .. }
            | Error::Chart(_)
            | Error::Busy(_)
            | Error::State { .. }
            | Error::ConfigUnreadable { .. } => ExitCode::Failure,
            Error::MissingDataDir { .. }
            | Error::DataDirIsFile(_)
            | Error::MissingDb(_)
            | Error::NoStore(_)
            | Error::Db { .. }
            | Error::Schema { .. }
            | Error::BadRow { .. }
            | Error::Io { .. }
            | Error::Json { .. }
            | Error::Unstable(_)
            | Error::BadTime { .. } => ExitCode::Store,
        }
    }
}

/// Something wrong that does not stop the run (a file of the store skipped,
/// a corrupt ledger, a capped sum), said on stderr as `warning: {self}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// What it is about (a session, a file), when it is about one thing.
    about: Option<String>,
    msg: String,
}

impl Warning {
    /// A warning about the run as a whole.
    pub fn new(msg: impl Into<String>) -> Warning {
        Warning {
            about: None,
            msg: msg.into(),
        }
    }

    /// A warning about `about`: `{about}: {msg}`.
    pub fn about(about: impl std::fmt::Display, msg: impl std::fmt::Display) -> Warning {
        Warning {
            about: Some(about.to_string()),
            msg: msg.to_string(),
        }
    }

    /// Skipping `what` (a session, a file of the store) because of `why`.
    pub fn skipping(what: impl std::fmt::Display, why: impl std::fmt::Display) -> Warning {
        Warning::about(format_args!("skipping {what}"), why)
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.about {
            Some(about) => write!(f, "{about}: {}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

/// The folder holding `file` (`.` for a bare file name).
fn folder_of(file: &std::path::Path) -> &std::path::Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    }
}
