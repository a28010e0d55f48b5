//! Reading opencode's local store: the SQLite database (opencode >= 1.2) and
//! the JSON files (opencode <= 1.1.x), merged by session id with the DB winning.

mod fast;
mod json;
mod message;
mod model;
mod parts;
mod sqlite;

pub use message::{Visit, Want};
pub use model::{MessageMeta, Role, SessionInfo, Source, Todo, TodoStatus};
pub use parts::{ToolCall, ToolStatus, ToolTallies, ToolTally, VisitTool};

use crate::error::{Error, Warning};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Where a session lives: small enough to keep one for every session of a
/// large store (a backfill holds its order, not the sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The `session` row at this rowid.
    Db(i64),
    /// The JSON store's listed session at this index.
    Json(u32),
}

/// The merged view of both stores of one opencode data dir.
pub struct Store {
    data_dir: PathBuf,
    db: Option<sqlite::Db>,
    json: Option<Json>,
    /// Session files that could not be read, by the id their name gives.
    unreadable: HashMap<String, Error>,
}

#[derive(Clone)]
struct Json {
    store: json::JsonStore,
    /// Its sessions, once listed.
    listed: Option<Arc<Listed>>,
}

/// The JSON store's sessions that the database does not hold, oldest
/// first, with their children.
struct Listed {
    sessions: Vec<SessionInfo>,
    children: HashMap<String, Vec<u32>>,
}

impl Store {
    /// Open the store `paths` name. The database file may not exist when
    /// only the JSON store is there, unless the user named it.
    pub fn open(paths: &StorePaths) -> Result<Store, Error> {
        let (data_dir, db) = (paths.data_dir.as_path(), paths.db.as_path());
        if data_dir.is_file() {
            return Err(Error::DataDirIsFile(data_dir.to_path_buf()));
        }
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
        let json = json::JsonStore::open(data_dir).map(|store| Json {
            store,
            listed: None,
        });
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

    /// Another handle on the same store, for another thread: its own
    /// database connection, the JSON store's listing shared.
    pub fn another(&self) -> Result<Store, Error> {
        Ok(Store {
            data_dir: self.data_dir.clone(),
            db: self.db.as_ref().map(sqlite::Db::another).transpose()?,
            json: self.json.clone(),
            unreadable: HashMap::new(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Say once that the database has no `todo` table.
    fn warn_todos(&self, warnings: &mut Vec<Warning>) {
        if let Some(db) = &self.db
            && db.lacks_todos()
        {
            warnings.push(Warning::new(format!(
                "{} has no `todo` table: sessions are exported without todos",
                db.path().display()
            )));
        }
    }

    /// List the JSON store's sessions (once), leaving out those the
    /// database also holds.
    fn list_json(&mut self, warnings: &mut Vec<Warning>) -> Result<Option<Arc<Listed>>, Error> {
        let Some(json) = &mut self.json else {
            return Ok(None);
        };
        if json.listed.is_none() {
            let mut unreadable = Vec::new();
            let mut sessions = Vec::new();
            for info in json.store.sessions(warnings, &mut unreadable) {
                let in_db = match &self.db {
                    Some(db) => db.rowid_of(&info.id)?.is_some(),
                    None => false,
                };
                if !in_db {
                    sessions.push(info);
                }
            }
            self.unreadable.extend(unreadable);
            sessions.sort_by(SessionInfo::creation_order);
            let mut children: HashMap<String, Vec<u32>> = HashMap::new();
            for (i, s) in sessions.iter().enumerate() {
                if let Some(p) = &s.parent_id {
                    children.entry(p.clone()).or_default().push(i as u32);
                }
            }
            json.listed = Some(Arc::new(Listed { sessions, children }));
        }
        Ok(json.listed.clone())
    }

    /// Every session of both stores, each exactly once (the DB's copy wins).
    pub fn sessions(&mut self, warnings: &mut Vec<Warning>) -> Result<Vec<SessionInfo>, Error> {
        self.warn_todos(warnings);
        let mut out = match &mut self.db {
            Some(db) => db.sessions()?,
            None => Vec::new(),
        };
        if let Some(listed) = self.list_json(warnings)? {
            out.extend(listed.sessions.iter().cloned());
        }
        Ok(out)
    }

    /// The places of all sessions, oldest first (by `time_created`, then
    /// id): what a backfill holds instead of the sessions.
    pub fn order(&mut self, warnings: &mut Vec<Warning>) -> Result<Vec<Slot>, Error> {
        self.warn_todos(warnings);
        let listed = self.list_json(warnings)?;
        let mut places = Vec::new();
        if let Some(db) = &self.db {
            db.places(&mut |rowid, created| places.push((created, rowid)))?;
            places.sort_unstable();
            // Sessions created in the same millisecond go by id.
            for run in places.chunk_by_mut(|a, b| a.0 == b.0) {
                if run.len() > 1 {
                    let mut by_id = Vec::with_capacity(run.len());
                    for &(created, rowid) in run.iter() {
                        by_id.push((db.id_at(rowid)?.unwrap_or_default(), created, rowid));
                    }
                    by_id.sort();
                    for (place, (_, created, rowid)) in run.iter_mut().zip(by_id) {
                        *place = (created, rowid);
                    }
                }
            }
        }
        let json: Vec<(i64, usize)> = listed
            .iter()
            .flat_map(|l| l.sessions.iter().enumerate())
            .map(|(i, s)| (s.time_created, i))
            .collect();
        // Merge the two, each in that order; in the same millisecond the
        // smaller id goes first.
        let id_at = |rowid| -> Result<String, Error> {
            let db = self.db.as_ref().expect("database places come from it");
            Ok(db.id_at(rowid)?.unwrap_or_default())
        };
        let json_id = |i: usize| &listed.as_ref().expect("listed").sessions[i].id;
        let mut slots = Vec::with_capacity(places.len() + json.len());
        let (mut p, mut j) = (0, 0);
        while p < places.len() || j < json.len() {
            let db_first = match (places.get(p), json.get(j)) {
                (Some(_), None) => true,
                (None, _) => false,
                (Some(&(tp, rowid)), Some(&(tj, i))) => {
                    tp < tj || (tp == tj && id_at(rowid)? < *json_id(i))
                }
            };
            if db_first {
                slots.push(Slot::Db(places[p].1));
                p += 1;
            } else {
                slots.push(Slot::Json(json[j].1 as u32));
                j += 1;
            }
        }
        Ok(slots)
    }

    /// The place of the session `id`, if the store holds it.
    pub fn slot_of(
        &mut self,
        id: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<Slot>, Error> {
        if let Some(db) = &self.db
            && let Some(rowid) = db.rowid_of(id)?
        {
            return Ok(Some(Slot::Db(rowid)));
        }
        let listed = self.list_json(warnings)?;
        Ok(listed
            .and_then(|l| l.sessions.iter().position(|s| s.id == id))
            .map(|i| Slot::Json(i as u32)))
    }

    /// The session at `slot`; None when it is gone (deleted since the
    /// order was read).
    pub fn session(&self, slot: Slot) -> Result<Option<SessionInfo>, Error> {
        match slot {
            Slot::Db(rowid) => match &self.db {
                Some(db) => db.session_at(rowid),
                None => Ok(None),
            },
            Slot::Json(i) => Ok(self
                .json
                .as_ref()
                .and_then(|j| j.listed.as_ref())
                .and_then(|l| l.sessions.get(i as usize))
                .cloned()),
        }
    }

    /// All sessions below `info` (children, their children, ...), each
    /// once; children oldest first, each followed later by its own.
    pub fn descendants(&self, info: &SessionInfo) -> Result<Vec<SessionInfo>, Error> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([info.id.clone()]);
        let mut queue = vec![info.id.clone()];
        while let Some(cur) = queue.pop() {
            let mut children = match &self.db {
                Some(db) => db.children(&cur)?,
                None => Vec::new(),
            };
            if let Some(l) = self.json.as_ref().and_then(|j| j.listed.as_ref())
                && let Some(c) = l.children.get(&cur)
            {
                children.extend(c.iter().map(|&i| l.sessions[i as usize].clone()));
            }
            children.sort_by(SessionInfo::creation_order);
            for s in children {
                if seen.insert(s.id.clone()) {
                    queue.push(s.id.clone());
                    out.push(s);
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
                match json.store.todos(&s.id) {
                    Ok(t) if !t.is_empty() => {
                        out.insert(s.id.clone(), t);
                    }
                    Ok(_) => {}
                    Err(e) => warnings.push(Warning::new(e.to_string())),
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
                .store
                .todos(&info.id),
        }
    }

    /// Parse a session's messages and hand each to `visit`, in order;
    /// returns the warnings about files of the store that were skipped and
    /// about numbers in messages that were left out (one per message).
    /// Database rows are parsed where they lie, without a copy.
    pub fn visit(
        &mut self,
        info: &SessionInfo,
        want: Want,
        visit: &mut Visit<'_>,
    ) -> Result<Vec<Warning>, Error> {
        match info.source {
            Source::Db => {
                let mut warnings = Vec::new();
                self.db
                    .as_ref()
                    .expect("a DB session comes from an open DB")
                    .visit(&info.id, want, visit, &mut warnings)?;
                Ok(warnings)
            }
            Source::Json => {
                let mut raw = self
                    .json
                    .as_ref()
                    .expect("a JSON session comes from an open JSON store")
                    .store
                    .fetch(&info.id, want)?;
                let mut warnings = raw.take_warnings();
                raw.visit(visit, &mut warnings)?;
                Ok(warnings)
            }
        }
    }

    /// Hand each tool call of a session (its own, not its subagents') to
    /// `visit`, reading its parts one at a time; returns the warnings about
    /// parts that were skipped.
    pub fn tool_calls(
        &mut self,
        info: &SessionInfo,
        visit: &mut VisitTool<'_>,
    ) -> Result<Vec<Warning>, Error> {
        match info.source {
            Source::Db => parts::from_db(
                self.db
                    .as_ref()
                    .expect("a DB session comes from an open DB"),
                &info.id,
                visit,
            ),
            Source::Json => parts::from_json(
                self.json
                    .as_ref()
                    .expect("a JSON session comes from an open JSON store")
                    .store
                    .storage(),
                &info.id,
                visit,
            ),
        }
    }

    /// Hand each tool call of `sessions` (each its own calls) to `visit`
    /// with the session's index in `sessions`: the database's in one pass
    /// over its part table, the JSON store's session by session. Returns
    /// the warnings about parts that were skipped and about JSON sessions
    /// whose parts could not be read (they are left out).
    pub fn tool_calls_of(
        &mut self,
        sessions: &[&SessionInfo],
        visit: &mut dyn FnMut(usize, ToolCall),
    ) -> Result<Vec<Warning>, Error> {
        let mut warnings = Vec::new();
        let in_db: HashMap<&str, usize> = sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.source == Source::Db)
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        if let Some(db) = &self.db
            && !in_db.is_empty()
        {
            warnings.extend(parts::scan_db(db, &mut |id| in_db.get(id).copied(), visit)?);
        }
        if let Some(json) = &self.json {
            for (i, s) in sessions.iter().enumerate() {
                if s.source != Source::Json {
                    continue;
                }
                match parts::from_json(json.store.storage(), &s.id, &mut |c| visit(i, c)) {
                    Ok(w) => warnings.extend(w),
                    Err(e) => warnings.push(Warning::skipping(
                        format_args!("the tool calls of session {}", s.id),
                        e,
                    )),
                }
            }
        }
        Ok(warnings)
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
