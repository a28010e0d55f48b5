//! Where things are: the opencode data dir and database.

use crate::cli::StoreArgs;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// The opencode store to read.
#[derive(Debug, Clone)]
pub struct StorePaths {
    pub data_dir: PathBuf,
    pub db: PathBuf,
    /// The database was named by `--db` or `$OPENCODE_DB`, so it must exist.
    pub db_explicit: bool,
}

impl StorePaths {
    pub fn resolve(args: &StoreArgs) -> Result<StorePaths, Error> {
        let data_dir = match &args.data_dir {
            Some(d) => d.clone(),
            None => xdg_dir("XDG_DATA_HOME", ".local/share")?.join("opencode"),
        };
        let (db, db_explicit) = match (&args.db, env_path("OPENCODE_DB")) {
            (Some(db), _) => (db.clone(), true),
            // Like opencode: absolute, or relative to the data dir.
            (None, Some(db)) => (data_dir.join(db), true),
            (None, None) => (data_dir.join("opencode.db"), false),
        };
        Ok(StorePaths {
            data_dir,
            db,
            db_explicit,
        })
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$VAR` when it is set to an absolute path (the XDG rule), else
/// `~/<fallback>`.
pub fn xdg_dir(var: &str, fallback: &str) -> Result<PathBuf, Error> {
    if let Some(dir) = env_path(var).filter(|p| p.is_absolute()) {
        return Ok(dir);
    }
    let home = std::env::home_dir()
        .filter(|h| !h.as_os_str().is_empty())
        .ok_or_else(|| Error::Usage(format!("neither ${var} nor $HOME is set")))?;
    Ok(home.join(Path::new(fallback)))
}
