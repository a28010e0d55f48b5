//! Where things are: the opencode data dir and database.

use crate::cli::{ContentArgs, ExportArgs, ListArgs, SelectArgs, StoreArgs};
use crate::document::Content;
use crate::error::Error;
use crate::sink::convex::BATCH_MAX_DOCS;
use crate::when;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What an `export` or `dry-run` does, from flags, then environment, then
/// the config file, then defaults.
#[derive(Debug)]
pub struct Settings {
    pub include: Content,
    pub include_subagents: bool,
    pub abandoned_after: Option<String>,
    /// Documents per sink call.
    pub batch_size: usize,
    /// `None`: no Convex URL configured.
    pub convex: Option<ConvexSettings>,
}

#[derive(Debug)]
pub struct ConvexSettings {
    pub url: String,
    pub token: Option<Secret>,
    pub timeout: Duration,
    pub max_retries: u32,
}

impl Settings {
    pub fn for_export(args: &ExportArgs) -> Result<Settings, Error> {
        Settings::resolve(
            &args.content,
            &args.select,
            args.sink.convex_url.as_deref(),
            args.sink.timeout.as_deref(),
        )
    }

    pub fn for_list(args: &ListArgs) -> Result<Settings, Error> {
        Settings::resolve(
            &args.content,
            &args.select,
            args.convex_url.as_deref(),
            None,
        )
    }

    fn resolve(
        c: &ContentArgs,
        select: &SelectArgs,
        convex_url: Option<&str>,
        timeout: Option<&str>,
    ) -> Result<Settings, Error> {
        let file = FileConfig::load(&FileConfig::path()?)?;
        let flag = |on: bool, off: bool| match (on, off) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        let include = Content {
            messages: flag(c.include_messages, c.no_include_messages)
                .or(file.include_messages)
                .unwrap_or(false),
            todos: flag(c.include_todos, c.no_include_todos)
                .or(file.include_todos)
                .unwrap_or(true),
            hash_paths: flag(c.hash_paths, c.no_hash_paths)
                .or(file.hash_paths)
                .unwrap_or(false),
        };
        let include_subagents =
            select.include_subagents || file.skip_subagent_sessions.is_some_and(|skip| !skip);
        let abandoned_after = select.abandoned_after.clone().or(file.abandoned_after);
        let url = convex_url
            .map(str::to_string)
            .or_else(|| env_string("SESSION_EXPORT_CONVEX_URL"))
            .or(file.convex_url)
            .filter(|u| !u.trim().is_empty());
        let timeout = match timeout.or(file.timeout.as_deref()) {
            Some(t) => when::parse_duration("--timeout", t)?
                .try_into()
                .map_err(|_| Error::Usage(format!("--timeout: {t:?} is out of range")))?,
            None => Duration::from_secs(30),
        };
        let convex = url.map(|url| ConvexSettings {
            url,
            token: env_string("SESSION_EXPORT_TOKEN")
                .map(Secret::new)
                .or(file.token),
            timeout,
            max_retries: file.max_retries.unwrap_or(3),
        });
        let batch_size = match file.batch_size {
            None => BATCH_MAX_DOCS,
            Some(n @ 1..=BATCH_MAX_DOCS) => n,
            Some(n) => {
                return Err(Error::Usage(format!(
                    "batch_size = {n} in the config file: it must be 1 to {BATCH_MAX_DOCS}"
                )));
            }
        };
        Ok(Settings {
            include,
            include_subagents,
            abandoned_after,
            batch_size,
            convex,
        })
    }
}

impl Settings {
    /// What, besides the store, decides a document's content: the
    /// exporter's version and the content switches. Part of every change
    /// key, so changing any of them sends everything again.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}/{}/messages={}/todos={}/hash_paths={}",
            env!("CARGO_PKG_VERSION"),
            crate::document::SCHEMA_VERSION,
            self.include.messages,
            self.include.todos,
            self.include.hash_paths
        )
    }
}

fn env_string(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

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

/// The config file, `$XDG_CONFIG_HOME/session-export/config.toml`. Keys
/// are the seed's snake_case names; every key is optional.
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
}

impl FileConfig {
    pub fn path() -> Result<PathBuf, Error> {
        Ok(xdg_dir("XDG_CONFIG_HOME", ".config")?
            .join("session-export")
            .join("config.toml"))
    }

    /// Read the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<FileConfig, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
            Err(e) => return Err(Error::Usage(format!("cannot read {}: {e}", path.display()))),
        };
        toml::from_str(&text).map_err(|e| {
            let msg = e.message().trim().to_string();
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            Error::Usage(format!("{}{line}: {msg}", path.display()))
        })
    }
}

/// A secret (the Convex token): never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret masked, for messages that
    /// may echo what was sent (Convex validation errors print the arguments).
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "[redacted]")
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_and_are_redacted_from_text() {
        let cfg: FileConfig = toml::from_str("token = \"hunter2-long-secret\"").unwrap();
        assert!(!format!("{cfg:?}").contains("hunter2"));
        let s = cfg.token.unwrap();
        assert_eq!(
            s.redact("args {token: \"hunter2-long-secret\"}"),
            "args {token: \"[redacted]\"}"
        );
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "include_todos = true\nconvex_ulr = \"x\"\n").unwrap();
        let e = FileConfig::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml") && e.contains("line 2") && e.contains("convex_ulr"),
            "{e}"
        );
    }
}
