//! Where session-export and opencode keep their files (the XDG base
//! directories, with the usual `~/.local/...` fallbacks).

use crate::error::Error;
use std::path::{Path, PathBuf};

/// opencode's data dir: `$XDG_DATA_HOME/opencode`.
pub fn opencode_data_dir() -> Result<PathBuf, Error> {
    Ok(dir("XDG_DATA_HOME", ".local/share")?.join("opencode"))
}

/// The local sink: `$XDG_DATA_HOME/session-export/sessions.db`.
pub fn local_sink() -> Result<PathBuf, Error> {
    Ok(dir("XDG_DATA_HOME", ".local/share")?
        .join("session-export")
        .join("sessions.db"))
}

/// The ledger's directory: `$XDG_STATE_HOME/session-export`.
pub fn state_dir() -> Result<PathBuf, Error> {
    Ok(dir("XDG_STATE_HOME", ".local/state")?.join("session-export"))
}

/// The config file: `$XDG_CONFIG_HOME/session-export/config.toml`.
pub fn config_file() -> Result<PathBuf, Error> {
    Ok(dir("XDG_CONFIG_HOME", ".config")?
        .join("session-export")
        .join("config.toml"))
}

/// A path from the environment, unless unset or empty.
pub fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$VAR` when it is set to an absolute path (the XDG rule), else
/// `~/<fallback>`.
fn dir(var: &str, fallback: &str) -> Result<PathBuf, Error> {
    if let Some(dir) = env_path(var).filter(|p| p.is_absolute()) {
        return Ok(dir);
    }
    let home = std::env::home_dir()
        .filter(|h| !h.as_os_str().is_empty())
        .ok_or_else(|| Error::Usage(format!("neither ${var} nor $HOME is set")))?;
    Ok(home.join(Path::new(fallback)))
}
