//! The config file, `$XDG_CONFIG_HOME/session-export/config.toml`: its keys
//! and how it is read. Keys are the seed's snake_case names; every key is
//! optional. [`crate::settings`] decides what wins over it.

use crate::error::{Error, Warning};
use crate::secret::Secret;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub convex_url: Option<String>,
    pub token: Option<Secret>,
    pub include_messages: Option<bool>,
    pub include_todos: Option<bool>,
    pub skip_subagent_sessions: Option<bool>,
    pub abandoned_after: Option<String>,
    pub timeout: Option<String>,
    pub max_retries: Option<u32>,
    pub batch_size: Option<usize>,
    pub hash_paths: Option<bool>,
    /// A file of list prices beating the shipped table (relative to the
    /// config file's directory).
    pub prices: Option<PathBuf>,
    pub include_tools: Option<bool>,
}

/// The config file as read, with where it came from (for errors that name
/// the file and key).
#[derive(Debug, Default)]
pub struct Loaded {
    pub path: PathBuf,
    pub keys: FileConfig,
    /// What is wrong with the file short of an error (its permissions).
    pub warnings: Vec<Warning>,
}

impl Loaded {
    /// Read the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Loaded, Error> {
        let loaded = |keys| Loaded {
            path: path.to_path_buf(),
            keys,
            warnings: Vec::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(loaded(FileConfig::default()));
            }
            Err(source) => {
                return Err(Error::ConfigUnreadable {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let keys: FileConfig = toml::from_str(&text).map_err(|e| {
            let msg = e.message().trim().to_string();
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            Error::Config(format!("{}{line}: {msg}", path.display()))
        })?;
        let mut config = loaded(keys);
        if config.keys.token.is_some() {
            config.warnings.extend(readable_by_others(path));
        }
        Ok(config)
    }

    /// An error about one key of the file.
    pub fn bad(&self, key: &str, what: impl std::fmt::Display) -> Error {
        Error::Config(format!("{}: {key}: {what}", self.path.display()))
    }
}

/// A warning when the file holding the token is readable by its group or
/// by others (as ssh says of a private key).
fn readable_by_others(path: &Path) -> Option<Warning> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        Warning::new(format!(
            "{} holds the Convex token and is readable by others (mode {mode:04o}); make it private: chmod 600 {}",
            path.display(),
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let cfg: FileConfig = toml::from_str("token = \"hunter2-long-secret\"").unwrap();
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "include_todos = true\nconvex_ulr = \"x\"\n").unwrap();
        let e = Loaded::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml") && e.contains("line 2") && e.contains("convex_ulr"),
            "{e}"
        );
    }
}
