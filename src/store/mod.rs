//! Reading opencode's local store: the SQLite database (opencode >= 1.2) and
//! the JSON files (opencode <= 1.1.x), merged by session id with the DB winning.

mod json;
mod model;
mod sqlite;

pub use model::{FileDiff, MessageMeta, SessionInfo, Source, Summary, Todo, Tokens};

use crate::error::Error;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which parts of a session to load besides the message metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct Want {
    /// Keep each message's raw JSON and its parts (for `messagesJson`).
    pub transcript: bool,
}

/// Called for each message of a session, in the order opencode created them
/// (`time.created`, then id), with the message's `{"info", "parts"}`
/// transcript entry when [`Want::transcript`] asked for it.
pub type Visit<'f> = dyn FnMut(&MessageMeta<'_>, Option<serde_json::Value>) + 'f;

/// A session's messages as stored, read but not yet parsed, so that reading
/// the store and parsing can run on two threads. The texts share one buffer.
#[derive(Debug)]
pub struct RawMessages {
    /// The database, or the session's message directory (for errors).
    place: Place,
    buf: String,
    messages: Vec<RawMessage>,
    /// Files that were skipped (not regular, too large), one warning each.
    warnings: Vec<String>,
}

#[derive(Debug)]
enum Place {
    Db(PathBuf),
    Dir(PathBuf),
}

#[derive(Debug)]
struct RawMessage {
    id: std::ops::Range<usize>,
    text: std::ops::Range<usize>,
    transcript: Option<serde_json::Value>,
}

impl RawMessages {
    fn new(place: Place) -> RawMessages {
        RawMessages {
            place,
            buf: String::new(),
            messages: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn db(path: &Path) -> RawMessages {
        RawMessages::new(Place::Db(path.to_path_buf()))
    }

    fn dir(dir: PathBuf) -> RawMessages {
        RawMessages::new(Place::Dir(dir))
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

    fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The warnings about files skipped while reading.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The size of the stored texts.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Parse each message and hand it to `visit`, in order.
    pub fn visit(self, visit: &mut Visit<'_>) -> Result<(), Error> {
        for m in self.messages {
            let meta: MessageMeta = serde_json::from_str(&self.buf[m.text]).map_err(|source| {
                let id = &self.buf[m.id.clone()];
                Error::Json {
                    path: match &self.place {
                        Place::Db(db) => PathBuf::from(format!("{} (message {id})", db.display())),
                        Place::Dir(dir) => dir.join(format!("{id}.json")),
                    },
                    source,
                }
            })?;
            visit(&meta, m.transcript);
        }
        Ok(())
    }
}

/// The opencode store to read.
#[derive(Debug, Clone)]
pub struct StorePaths {
    pub data_dir: PathBuf,
    /// The data dir was named by `--data-dir`.
    pub data_dir_explicit: bool,
    pub db: PathBuf,
    /// The database was named by `--db` or `$OPENCODE_DB`, so it must exist.
    pub db_explicit: bool,
}

/// A warning the reader met while listing or reading, reported to the user
/// on stderr without stopping the run.
#[derive(Debug)]
pub struct Warning(pub String);

/// The merged view of both stores of one opencode data dir.
pub struct Store {
    data_dir: PathBuf,
    db: Option<sqlite::Db>,
    json: Option<json::JsonStore>,
    /// Session files that could not be read, by the id their name gives.
    unreadable: HashMap<String, Error>,
}

impl Store {
    /// Open the store `paths` name. The database file may not exist when
    /// only the JSON store is there, unless the user named it.
    pub fn open(paths: &StorePaths) -> Result<Store, Error> {
        let (data_dir, db) = (paths.data_dir.as_path(), paths.db.as_path());
        if !data_dir.is_dir() {
            return Err(Error::MissingDataDir {
                path: data_dir.to_path_buf(),
                explicit: paths.data_dir_explicit,
            });
        }
        let db = if db.exists() {
            Some(sqlite::Db::open(db)?)
        } else if paths.db_explicit {
            return Err(Error::MissingDb(db.to_path_buf()));
        } else {
            None
        };
        let json = json::JsonStore::open(data_dir);
        if db.is_none() && json.is_none() {
            return Err(Error::NoStore(data_dir.to_path_buf()));
        }
        Ok(Store {
            data_dir: data_dir.to_path_buf(),
            db,
            json,
            unreadable: HashMap::new(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Every session of both stores, each exactly once (the DB's copy wins).
    pub fn sessions(&mut self, warnings: &mut Vec<Warning>) -> Result<Vec<SessionInfo>, Error> {
        let mut out = match &mut self.db {
            Some(db) => {
                if db.lacks_todos() {
                    warnings.push(Warning(format!(
                        "{} has no `todo` table: sessions are exported without todos",
                        db.path().display()
                    )));
                }
                db.sessions()?
            }
            None => Vec::new(),
        };
        if let Some(json) = &self.json {
            let mut seen: std::collections::HashSet<String> =
                out.iter().map(|s| s.id.clone()).collect();
            let mut unreadable = Vec::new();
            let infos = json.sessions(warnings, &mut unreadable);
            self.unreadable.extend(unreadable);
            for info in infos {
                if seen.insert(info.id.clone()) {
                    out.push(info);
                }
            }
        }
        Ok(out)
    }

    /// Why the session file of `id` could not be read, when it could not
    /// (the session is then missing from [`Store::sessions`]).
    pub fn take_unreadable(&mut self, id: &str) -> Option<Error> {
        self.unreadable.remove(id)
    }

    /// Todos of every session that has any, by session id.
    pub fn todos_by_session<'s>(
        &mut self,
        sessions: impl IntoIterator<Item = &'s SessionInfo>,
        warnings: &mut Vec<Warning>,
    ) -> Result<HashMap<String, Vec<Todo>>, Error> {
        let mut out = match &mut self.db {
            Some(db) => db.all_todos()?,
            None => HashMap::new(),
        };
        if let Some(json) = &self.json {
            for s in sessions.into_iter().filter(|s| s.source == Source::Json) {
                match json.todos(&s.id) {
                    Ok(t) if !t.is_empty() => {
                        out.insert(s.id.clone(), t);
                    }
                    Ok(_) => {}
                    Err(e) => warnings.push(Warning(e.to_string())),
                }
            }
        }
        Ok(out)
    }

    /// One session's todos, in order.
    pub fn todos(&mut self, info: &SessionInfo) -> Result<Vec<Todo>, Error> {
        match info.source {
            Source::Db => self
                .db
                .as_ref()
                .expect("a DB session comes from an open DB")
                .todos(&info.id),
            Source::Json => self
                .json
                .as_ref()
                .expect("a JSON session comes from an open JSON store")
                .todos(&info.id),
        }
    }

    /// Read a session's messages from the store it lives in.
    pub fn fetch(&mut self, info: &SessionInfo, want: Want) -> Result<RawMessages, Error> {
        match info.source {
            Source::Db => self
                .db
                .as_mut()
                .expect("a DB session comes from an open DB")
                .fetch(&info.id, want),
            Source::Json => self
                .json
                .as_ref()
                .expect("a JSON session comes from an open JSON store")
                .fetch(&info.id, want),
        }
    }

    /// Whether what was read so far is still a consistent snapshot; see
    /// [`sqlite::Db::revalidate`]. Returns false when the store changed under
    /// us and the reads since the last call must be repeated.
    pub fn revalidate(&mut self) -> Result<bool, Error> {
        match &mut self.db {
            Some(db) => db.revalidate(),
            None => Ok(true),
        }
    }
}
