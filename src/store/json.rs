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
//!
//! Only ids opencode could have made ([`is_id`]) become file names, so no
//! id, whether asked for or read from a file of the store, can name a path
//! outside `storage/`: a session file whose id is anything else is skipped
//! like an unreadable one, and a message file named otherwise is skipped
//! with a warning.
//!
//! Only regular files are read (a symlink to one is fine), and none over
//! [`MAX_FILE_BYTES`]: anything else (a FIFO, a device such as a symlink to
//! `/dev/zero`, a huge file) is skipped with a warning naming it, so a
//! strange store can neither hang a run nor exhaust its memory.

use super::message::{self, Visit, Want};
use super::model::{SessionInfo, Source, Summary, Todo};
use crate::error::{Error, Warning};
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file of the JSON store that is read. opencode's files are
/// far smaller (a part holding a whole tool output is a few MiB at most).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Clone)]
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

    /// Every readable session file; unreadable ones become warnings, and
    /// go into `unreadable` by the session id their name gives.
    pub fn sessions(
        &self,
        warnings: &mut Vec<Warning>,
        unreadable: &mut Vec<(String, Error)>,
    ) -> Vec<SessionInfo> {
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
                    warnings.push(Warning::new(format!("skipping {e}")));
                    continue;
                }
            };
            let path = entry.path();
            if entry.file_type().is_dir() || path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = match read(path) {
                Ok(Bounded::Read(text)) => text,
                Ok(Bounded::Skipped(why)) => {
                    warnings.push(Warning::skipping(path.display(), &why));
                    let e = Error::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other(why),
                    };
                    unreadable.push((file_id(path), e));
                    continue;
                }
                Err(e) => {
                    warnings.push(Warning::skipping("session", &e));
                    unreadable.push((file_id(path), e));
                    continue;
                }
            };
            match parse::<RawSession>(path, &text) {
                Ok(s) if !is_id(&s.id, "ses") => {
                    let bad = |id: &str| Error::NotAnId {
                        id: id.to_string(),
                        path: path.to_path_buf(),
                    };
                    warnings.push(Warning::skipping("session", bad(&s.id)));
                    // Asked for by its id or by the file's name, it is
                    // this error.
                    unreadable.push((file_id(path), bad(&s.id)));
                    unreadable.push((s.id.clone(), bad(&s.id)));
                }
                Ok(s) => out.push(session_info(s)),
                Err(e) => {
                    warnings.push(Warning::skipping("session", &e));
                    unreadable.push((file_id(path), e));
                }
            }
        }
        out
    }

    /// The `storage/` directory.
    pub fn storage(&self) -> &Path {
        &self.storage
    }

    pub fn todos(&self, session_id: &str) -> Result<Vec<Todo>, Error> {
        let path = self
            .dir_of("todo", session_id)?
            .join(format!("{session_id}.json"));
        if !path.exists() {
            return Ok(Vec::new());
        }
        match read(&path)? {
            Bounded::Read(text) => parse(&path, &text),
            Bounded::Skipped(why) => Err(Error::Io {
                path,
                source: std::io::Error::other(why),
            }),
        }
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
        let dir = self.dir_of("message", session_id)?.join(session_id);
        let mut files = Vec::new();
        let mut out = RawMessages::dir(dir.clone());
        for path in json_files(&dir)? {
            // Its name becomes the directory of its parts.
            if !is_id(&file_id(&path), "msg") {
                out.warn(Warning::skipping(
                    path.display(),
                    "not named like an opencode message file",
                ));
                continue;
            }
            let text = match read(&path)? {
                Bounded::Read(text) => text,
                Bounded::Skipped(why) => {
                    out.warn(Warning::skipping(path.display(), why));
                    continue;
                }
            };
            let text = String::from_utf8(text).map_err(|e| Error::Io {
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
        for (_, id, path, text) in files {
            let transcript = if want.transcript {
                let info: serde_json::Value =
                    serde_json::from_str(&text).map_err(|source| Error::Json {
                        path: path.clone(),
                        source,
                    })?;
                let parts = self.parts(&id, &mut out)?;
                Some(serde_json::json!({ "info": info, "parts": parts }))
            } else {
                None
            };
            out.push(&id, &text, transcript);
        }
        Ok(out)
    }

    /// A message's parts; skipped files are warnings in `out`.
    fn parts(
        &self,
        message_id: &str,
        out: &mut RawMessages,
    ) -> Result<Vec<serde_json::Value>, Error> {
        let mut parts = Vec::new();
        for path in json_files(&self.storage.join("part").join(message_id))? {
            match read(&path)? {
                Bounded::Read(text) => parts.push(parse(&path, &text)?),
                Bounded::Skipped(why) => out.warn(Warning::skipping(path.display(), why)),
            }
        }
        Ok(parts)
    }
}

/// A session's messages as the JSON store holds them, read (and put in
/// order) but not yet parsed. The texts share one buffer.
#[derive(Debug)]
pub struct RawMessages {
    /// The session's message directory (for errors).
    dir: PathBuf,
    buf: String,
    messages: Vec<RawMessage>,
    /// Files that were skipped (not regular, too large), one warning each.
    warnings: Vec<Warning>,
}

#[derive(Debug)]
struct RawMessage {
    id: std::ops::Range<usize>,
    text: std::ops::Range<usize>,
    transcript: Option<serde_json::Value>,
}

impl RawMessages {
    fn dir(dir: PathBuf) -> RawMessages {
        RawMessages {
            dir,
            buf: String::new(),
            messages: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn push(&mut self, id: &str, text: &str, transcript: Option<serde_json::Value>) {
        let mut take = |s: &str| {
            let start = self.buf.len();
            self.buf.push_str(s);
            start..self.buf.len()
        };
        let id = take(id);
        let text = take(text);
        self.messages.push(RawMessage {
            id,
            text,
            transcript,
        });
    }

    fn warn(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }

    /// The warnings about files skipped while reading.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// Parse each message and hand it to `visit`, in order; `warnings`
    /// hears of numbers in them that were left out.
    pub fn visit(self, visit: &mut Visit<'_>, warnings: &mut Vec<Warning>) -> Result<(), Error> {
        // The directory is named after the session.
        let session = self.dir.file_name().unwrap_or_default().to_string_lossy();
        for m in self.messages {
            let transcript = m.transcript;
            let id = &self.buf[m.id.clone()];
            let odd = message::read(&self.buf[m.text], |meta| visit(meta, transcript)).map_err(
                |source| Error::Json {
                    path: self.dir.join(format!("{id}.json")),
                    source,
                },
            )?;
            if let Some(odd) = odd {
                warnings.push(message::odd_numbers(&session, id, &odd));
            }
        }
        Ok(())
    }
}

impl JsonStore {
    /// `storage/<kind>`, where a file named by `session_id` is, if
    /// [`is_id`] accepts it.
    fn dir_of(&self, kind: &str, session_id: &str) -> Result<PathBuf, Error> {
        let dir = self.storage.join(kind);
        if !is_id(session_id, "ses") {
            return Err(Error::NotAnId {
                id: session_id.to_string(),
                path: dir,
            });
        }
        Ok(dir)
    }
}

/// Whether `id` has the shape of the ids opencode makes for `prefix`
/// (`ses`, `msg`): the prefix, `_`, then ASCII letters and digits (its
/// `Identifier`: 12 hex digits of time, 14 base62 characters). Such an id
/// is one plain file name: no `/`, no `..`.
pub fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
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
pub(super) fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
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

pub(super) fn file_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file's bytes, or why it was not read.
pub(super) enum Bounded {
    Read(Vec<u8>),
    Skipped(String),
}

/// Read `path` if it is a regular file (through a symlink too) of at most
/// [`MAX_FILE_BYTES`]. It is opened non-blocking, so that opening a FIFO
/// returns at once, and checked before anything is read; the read is
/// bounded whatever the file turns out to be.
pub(super) fn read(path: &Path) -> Result<Bounded, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_big = || {
        Ok(Bounded::Skipped(format!(
            "larger than the limit of {} MiB for a file of the store",
            MAX_FILE_BYTES >> 20
        )))
    };
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Ok(Bounded::Skipped("not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return too_big();
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return too_big();
    }
    Ok(Bounded::Read(bytes))
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::is_id;

    #[test]
    fn only_ids_of_opencode_s_shape_are_ids() {
        assert!(is_id("ses_deef66f48ffeJphlwqBdf8RJXt", "ses"));
        assert!(is_id("msg_21109f75a001a48XLWSkrQ0JCX", "msg"));
        for bad in [
            "",
            "ses",
            "ses_",
            "ses_../x",
            "ses_a/b",
            "ses_a.b",
            "../../ses_a",
            "msg_deef66f48ffe",
            "ses_deef66f48ffe\u{0}",
        ] {
            assert!(!is_id(bad, "ses"), "{bad:?}");
        }
    }
}
