//! Errors the library reports, and the exit status each maps to.

use std::path::PathBuf;

/// Exit statuses, documented in `--help` and the README.
pub mod exit {
    /// Everything asked for was done (also when there was nothing to do).
    pub const OK: i32 = 0;
    /// An unexpected failure not covered below.
    pub const FAILURE: i32 = 1;
    /// Bad command line or configuration.
    pub const USAGE: i32 = 2;
    /// A session id that is in neither store.
    pub const UNKNOWN_SESSION: i32 = 3;
    /// The opencode store is missing or unreadable.
    pub const STORE: i32 = 4;
    /// An export failed or was partial: some sessions were not confirmed.
    pub const EXPORT: i32 = 5;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("opencode data dir {} does not exist (set --data-dir)", .0.display())]
    MissingDataDir(PathBuf),
    #[error("opencode database {} does not exist", .0.display())]
    MissingDb(PathBuf),
    #[error("no opencode store in {}: neither opencode.db nor storage/ is there", .0.display())]
    NoStore(PathBuf),
    #[error("cannot read opencode database {}: {source}", path.display())]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
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
    #[error("no session {id} in {}", data_dir.display())]
    UnknownSession { id: String, data_dir: PathBuf },
    #[error("opencode kept rewriting {} while it was read; try again", .0.display())]
    Unstable(PathBuf),
    #[error("a subagent session of {0} could not be read")]
    Unreadable(String),
    #[error("another session-export run has held {} for minutes; giving up", .0.display())]
    Busy(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::UnknownSession { .. } => exit::UNKNOWN_SESSION,
            Error::Usage(_) => exit::USAGE,
            Error::Output(_) | Error::Busy(_) => exit::FAILURE,
            Error::MissingDataDir(_)
            | Error::MissingDb(_)
            | Error::NoStore(_)
            | Error::Db { .. }
            | Error::Io { .. }
            | Error::Json { .. }
            | Error::Unstable(_)
            | Error::Unreadable(_) => exit::STORE,
        }
    }
}
