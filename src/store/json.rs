//! opencode's JSON file store (opencode <= 1.1.x), under `<data>/storage/`.
//!
//! ```text
//! session/<projectID>/<sessionID>.json   session info
//! message/<sessionID>/<messageID>.json   one message
//! part/<messageID>/<partID>.json         one part
//! todo/<sessionID>.json                  [{id, content, status, priority}]
//! ```
//! A crash can leave a file truncated: while listing, such a file is a
//! warning; inside a session that is being read, it fails that session
//! with an error naming the file.

use super::model::{SessionInfo, Source, Summary, Todo};
use super::{RawMessages, Want, Warning};
use crate::error::Error;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub struct JsonStore {
    storage: PathBuf,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSession {
    id: String,
    #[serde(rename = "projectID", default)]
    project_id: String,
    #[serde(rename = "parentID", default)]
    parent_id: Option<String>,
    #[serde(default)]
    directory: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    time: RawTime,
    #[serde(default)]
    summary: Option<RawSummary>,
}

#[derive(Deserialize, Default)]
struct RawTime {
    #[serde(default)]
    created: i64,
    #[serde(default)]
    updated: i64,
    #[serde(default)]
    archived: Option<i64>,
}

#[derive(Deserialize)]
struct RawSummary {
    #[serde(default)]
    additions: u64,
    #[serde(default)]
    deletions: u64,
    #[serde(default)]
    files: u64,
}

impl JsonStore {
    /// The JSON store of `data_dir`, if there is one.
    pub fn open(data_dir: &Path) -> Option<JsonStore> {
        let storage = data_dir.join("storage");
        storage
            .join("session")
            .is_dir()
            .then_some(JsonStore { storage })
    }

    /// Every readable session file; unreadable ones become warnings.
    pub fn sessions(&self, warnings: &mut Vec<Warning>) -> Vec<SessionInfo> {
        let mut out = Vec::new();
        let root = self.storage.join("session");
        for entry in walkdir::WalkDir::new(&root)
            .min_depth(2)
            .max_depth(2)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    warnings.push(Warning(format!("skipping {e}")));
                    continue;
                }
            };
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match read_json::<RawSession>(path) {
                Ok(s) => out.push(session_info(s)),
                Err(e) => warnings.push(Warning(format!("skipping session: {e}"))),
            }
        }
        out
    }

    pub fn todos(&self, session_id: &str) -> Result<Vec<Todo>, Error> {
        let path = self.storage.join("todo").join(format!("{session_id}.json"));
        if !path.exists() {
            return Ok(Vec::new());
        }
        read_json(&path)
    }

    pub fn fetch(&self, session_id: &str, want: Want) -> Result<RawMessages, Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Created {
            time: Option<CreatedTime>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct CreatedTime {
            created: i64,
        }
        let dir = self.storage.join("message").join(session_id);
        let mut files = Vec::new();
        for path in json_files(&dir)? {
            let text = String::from_utf8(read(&path)?).map_err(|e| Error::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            let created = serde_json::from_str::<Created>(&text)
                .map_err(|source| Error::Json {
                    path: path.clone(),
                    source,
                })?
                .time
                .map_or(0, |t| t.created);
            files.push((created, file_id(&path), path, text));
        }
        files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut out = RawMessages::dir(dir);
        for (_, id, path, text) in files {
            let transcript = if want.transcript {
                let info: serde_json::Value =
                    serde_json::from_str(&text).map_err(|source| Error::Json {
                        path: path.clone(),
                        source,
                    })?;
                let parts = self.parts(&id)?;
                Some(serde_json::json!({ "info": info, "parts": parts }))
            } else {
                None
            };
            out.push(&id, &text, transcript);
        }
        Ok(out)
    }

    fn parts(&self, message_id: &str) -> Result<Vec<serde_json::Value>, Error> {
        json_files(&self.storage.join("part").join(message_id))?
            .iter()
            .map(|p| read_json(p))
            .collect()
    }
}

fn session_info(s: RawSession) -> SessionInfo {
    SessionInfo {
        id: s.id,
        project_id: s.project_id,
        parent_id: s.parent_id.filter(|p| !p.is_empty()),
        directory: s.directory,
        title: s.title,
        version: s.version,
        time_created: s.time.created,
        time_updated: s.time.updated,
        time_archived: s.time.archived,
        summary: s.summary.map(|s| Summary {
            additions: s.additions,
            deletions: s.deletions,
            files: s.files,
        }),
        source: Source::Json,
    }
}

/// The `.json` files directly in `dir`, sorted by name; none if it is missing.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn file_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, Error> {
    serde_json::from_slice(&read(path)?).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })
}
