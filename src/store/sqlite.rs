//! opencode's SQLite store (opencode >= 1.2).
//!
//! The database must never be modified, not even its `-wal`/`-shm` files,
//! and rows that sit only in an uncheckpointed WAL must be read. SQLite's
//! usual read-only open does neither reliably: a reader writes its read mark
//! into `-shm`, and opening a WAL database that has no `-wal` creates one.
//! So the file is opened in one of these ways:
//!
//! * `-wal` and `-shm` exist (opencode running, or it crashed): read-only
//!   with `readonly_shm=1`, which reads the WAL through the existing index
//!   without writing to it.
//! * no `-wal` (opencode closed it cleanly, everything is in the main file):
//!   `immutable=1`, and before a document is emitted the file's size and
//!   mtime are checked; if opencode checkpointed into it meanwhile, the store
//!   is reopened and the document read again ([`Db::revalidate`]).
//! * a `-wal` without `-shm` (a copied store): both files are copied into a
//!   private temporary directory and read there.
//! * a database not in WAL mode: plain read-only.
//!
//! Each connection reads in one read transaction, begun when it is opened.
//! A backfill reads on one connection per lane ([`Db::another`]), all of a
//! session's rows (its row, todos, subagents and messages) on one of them,
//! so each document and its change key are consistent while opencode
//! writes; sessions created after the run began are the next run's.

use super::message::{self, Visit, Want};
use super::model::{SessionInfo, Source, Summary, Todo};
use crate::error::{Error, Warning};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub struct Db {
    path: PathBuf,
    conn: Connection,
    /// Set when the main file is read with `immutable=1`: its size and mtime
    /// when it was opened.
    immutable_stamp: Option<(u64, SystemTime)>,
    /// What this database's schema has of what is read.
    schema: Schema,
    /// The queries of `session` rows, for the columns this database has.
    session_sql: SessionSql,
    /// The private copy read in the `-wal` without `-shm` case (shared by
    /// the connections of [`Db::another`]).
    copy: Option<Arc<tempfile::TempDir>>,
}

/// What a database's schema has of what is read: opencode's schema grew
/// over its versions, so older databases lack some optional parts. Every
/// difference between the versions read is here, found once when the
/// database is opened.
#[derive(Debug, Clone, Copy)]
struct Schema {
    /// `session.time_archived`.
    time_archived: bool,
    /// `session.summary_additions`, `summary_deletions` and `summary_files`.
    summary: bool,
    /// The `todo` table (a development migration of opencode drops it: no
    /// todos then).
    todo: bool,
}

impl Schema {
    /// The schema of the database `conn` opens; an error where it lacks
    /// what every version has.
    fn read(conn: &Connection) -> Result<Schema, ReadError> {
        let session = columns(conn, "session")?;
        if session.is_empty() {
            let mut stmt = conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            let tables = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            return Err(ReadError::Schema(if tables.is_empty() {
                "no tables: not an opencode database".into()
            } else {
                format!(
                    "no `session` table; the tables found ({}) are not a store this version of session-export can read",
                    tables.join(", ")
                )
            }));
        }
        let message = columns(conn, "message")?;
        if message.is_empty() {
            return Err(ReadError::Schema(
                "no `message` table: sessions cannot be read".into(),
            ));
        }
        for needed in ["id", "session_id", "time_created", "data"] {
            if !message.iter().any(|c| c == needed) {
                return Err(ReadError::Schema(format!(
                    "the `message` table has no `{needed}` column: sessions cannot be read"
                )));
            }
        }
        Ok(Schema {
            time_archived: session.iter().any(|c| c == "time_archived"),
            summary: session.iter().any(|c| c == "summary_additions"),
            todo: !columns(conn, "todo")?.is_empty(),
        })
    }
}

/// The queries of `session` rows ([`session_from_row`] reads them).
#[derive(Debug)]
struct SessionSql {
    all: String,
    at_rowid: String,
    children: String,
}

impl SessionSql {
    /// NULL stands in for the optional columns the schema lacks.
    fn new(schema: Schema) -> SessionSql {
        let columns = format!(
            "id, project_id, parent_id, directory, title, version, time_created, time_updated, {}, {}",
            if schema.time_archived {
                "time_archived"
            } else {
                "NULL"
            },
            if schema.summary {
                "summary_additions, summary_deletions, summary_files"
            } else {
                "NULL, NULL, NULL"
            },
        );
        SessionSql {
            all: format!("SELECT {columns} FROM session"),
            at_rowid: format!("SELECT {columns} FROM session WHERE rowid = ?1"),
            children: format!("SELECT {columns} FROM session WHERE parent_id = ?1"),
        }
    }
}

impl Db {
    pub fn open(path: &Path) -> Result<Db, Error> {
        let (conn, immutable_stamp, copy) = open_conn(path).map_err(|e| e.at(path))?;
        Db::with(path, conn, immutable_stamp, copy.map(Arc::new))
    }

    fn with(
        path: &Path,
        conn: Connection,
        immutable_stamp: Option<(u64, SystemTime)>,
        copy: Option<Arc<tempfile::TempDir>>,
    ) -> Result<Db, Error> {
        let schema = begin(&conn).map_err(|e| e.at(path))?;
        Ok(Db {
            path: path.to_path_buf(),
            conn,
            immutable_stamp,
            schema,
            session_sql: SessionSql::new(schema),
            copy,
        })
    }

    /// Another connection to the same database, for another thread. It
    /// reads in a transaction of its own: what it reads of one session is
    /// consistent, and [`Db::revalidate`] checks it on its own.
    pub fn another(&self) -> Result<Db, Error> {
        match &self.copy {
            Some(dir) => {
                let conn = open_copy(&dir.path().join(COPY_NAME)).map_err(|e| self.err(e))?;
                Db::with(&self.path, conn, None, Some(dir.clone()))
            }
            None => Db::open(&self.path),
        }
    }

    fn err(&self, e: impl Into<ReadError>) -> Error {
        e.into().at(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, in the run's read transaction, for the other
    /// readers of the store (tool calls).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The database has no `todo` table: sessions are read without todos.
    pub fn lacks_todos(&self) -> bool {
        !self.schema.todo
    }

    pub fn sessions(&mut self) -> Result<Vec<SessionInfo>, Error> {
        let mut stmt = self
            .conn
            .prepare(&self.session_sql.all)
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], session_from_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// Each session's place and creation time, in no particular order,
    /// without reading the sessions themselves.
    pub fn places(&self, each: &mut dyn FnMut(i64, i64)) -> Result<(), Error> {
        let mut read = || -> rusqlite::Result<()> {
            let mut stmt = self
                .conn
                .prepare("SELECT rowid, coalesce(time_created, 0) FROM session")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                each(r.get(0)?, r.get(1)?);
            }
            Ok(())
        };
        read().map_err(|e| self.err(e))
    }

    /// The id of the session at `rowid`, if there is one.
    pub fn id_at(&self, rowid: i64) -> Result<Option<String>, Error> {
        self.conn
            .prepare_cached("SELECT id FROM session WHERE rowid = ?1")
            .and_then(|mut stmt| stmt.query_row([rowid], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// The place of the session `id`, if there is one.
    pub fn rowid_of(&self, id: &str) -> Result<Option<i64>, Error> {
        self.conn
            .prepare_cached("SELECT rowid FROM session WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// The session at `rowid` (see [`Db::places`]), if it is still there.
    pub fn session_at(&self, rowid: i64) -> Result<Option<SessionInfo>, Error> {
        self.conn
            .prepare_cached(&self.session_sql.at_rowid)
            .and_then(|mut stmt| stmt.query_row([rowid], session_from_row).optional())
            .map_err(|e| self.err(e))
    }

    /// The sessions whose parent is `id`.
    pub fn children(&self, id: &str) -> Result<Vec<SessionInfo>, Error> {
        self.conn
            .prepare_cached(&self.session_sql.children)
            .and_then(|mut stmt| {
                stmt.query_map([id], session_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    pub fn all_todos(&mut self) -> Result<HashMap<String, Vec<Todo>>, Error> {
        let mut out: HashMap<String, Vec<Todo>> = HashMap::new();
        if !self.schema.todo {
            return Ok(out);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT session_id, content, status, priority FROM todo ORDER BY session_id, position")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let sid: String = r.get(0).map_err(|e| self.err(e))?;
            out.entry(sid)
                .or_default()
                .push(todo_from_row(r, 1).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    /// Parse a session's messages straight from the database's rows and
    /// hand each to `visit`, in order (nothing is copied).
    /// Hand each message of the session to `visit`; `warnings` hears of
    /// numbers in them that were left out.
    pub fn visit(
        &self,
        session_id: &str,
        want: Want,
        visit: &mut Visit<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Error> {
        self.read_messages(session_id, want, visit, warnings)
            .map_err(|e| self.err(e))
    }

    fn read_messages(
        &self,
        session_id: &str,
        want: Want,
        visit: &mut Visit<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ReadError> {
        let mut parts = if want.transcript {
            self.parts(session_id)?
        } else {
            HashMap::new()
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, data FROM message WHERE session_id = ?1 ORDER BY time_created, id",
        )?;
        let mut rows = stmt.query([session_id])?;
        while let Some(r) = rows.next()? {
            // UTF-8 checked by simdutf8, several times faster than std's
            // check on this text; anything it refuses gets rusqlite's error.
            let data = r.get_ref(1)?;
            let text = match data {
                ValueRef::Text(bytes) => simdutf8::basic::from_utf8(bytes).ok(),
                _ => None,
            };
            let text = match text {
                Some(text) => text,
                None => data.as_str()?,
            };
            // The id only for a transcript or an error.
            let id = || -> Result<&str, ReadError> { Ok(r.get_ref(0)?.as_str()?) };
            let transcript = if want.transcript {
                let id = id()?;
                let mut info: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(text).map_err(|e| bad_json(id, e))?;
                info.insert("id".into(), id.into());
                info.insert("sessionID".into(), session_id.into());
                let parts = parts.remove(id).unwrap_or_default();
                Some(serde_json::json!({ "info": info, "parts": parts }))
            } else {
                None
            };
            match message::read(text, |meta| visit(meta, transcript)) {
                Ok(None) => {}
                Ok(Some(odd)) => warnings.push(message::odd_numbers(session_id, id()?, &odd)),
                Err(source) => {
                    return Err(ReadError::Message {
                        id: id()?.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    pub fn todos(&self, session_id: &str) -> Result<Vec<Todo>, Error> {
        self.read_todos(session_id).map_err(|e| self.err(e))
    }

    fn read_todos(&self, session_id: &str) -> rusqlite::Result<Vec<Todo>> {
        if !self.schema.todo {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT content, status, priority FROM todo WHERE session_id = ?1 ORDER BY position",
        )?;
        stmt.query_map([session_id], |r| todo_from_row(r, 0))?
            .collect()
    }

    /// All parts of a session by message id, in creation order.
    fn parts(
        &self,
        session_id: &str,
    ) -> Result<HashMap<String, Vec<serde_json::Value>>, ReadError> {
        // opencode orders a message's parts by id.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, message_id, data FROM part WHERE session_id = ?1 ORDER BY message_id, id",
        )?;
        let mut rows = stmt.query([session_id])?;
        let mut out: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let message_id: String = r.get(1)?;
            let mut part: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(r.get_ref(2)?.as_bytes()?).map_err(|e| bad_json(&id, e))?;
            part.insert("id".into(), id.into());
            part.insert("sessionID".into(), session_id.into());
            part.insert("messageID".into(), message_id.clone().into());
            out.entry(message_id).or_default().push(part.into());
        }
        Ok(out)
    }

    /// For an `immutable` open: true while the main file is unchanged since
    /// it was opened. When opencode wrote into it meanwhile, the connection
    /// is reopened (in whatever mode now fits) and false is returned: the
    /// caller must read again what it read since the last check.
    pub fn revalidate(&mut self) -> Result<bool, Error> {
        let Some(stamp) = self.immutable_stamp else {
            return Ok(true);
        };
        if file_stamp(&self.path).ok() == Some(stamp) {
            return Ok(true);
        }
        *self = Db::open(&self.path)?;
        Ok(false)
    }
}

/// Begin the run's read transaction on `conn` and learn its schema.
fn begin(conn: &Connection) -> Result<Schema, ReadError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Keep one query plan per statement. Without this SQLite marks the
    // per-session queries as worth re-planning for each bound id, and
    // re-prepares them on every execution (~14% of a backfill).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.execute_batch("BEGIN")?;
    Schema::read(conn)
}

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionInfo> {
    let summary = match (
        r.get::<_, Option<i64>>(9)?,
        r.get::<_, Option<i64>>(10)?,
        r.get::<_, Option<i64>>(11)?,
    ) {
        (None, None, None) => None,
        (a, d, f) => Some(Summary {
            additions: nonneg(a),
            deletions: nonneg(d),
            files: nonneg(f),
        }),
    };
    Ok(SessionInfo {
        id: r.get(0)?,
        project_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        parent_id: r.get::<_, Option<String>>(2)?.filter(|p| !p.is_empty()),
        directory: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        title: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        version: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        time_created: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
        time_updated: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
        time_archived: r.get(8)?,
        summary,
        source: Source::Db,
    })
}

fn nonneg(v: Option<i64>) -> u64 {
    v.unwrap_or(0).max(0) as u64
}

fn todo_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Todo> {
    Ok(Todo {
        id: None,
        content: r.get::<_, Option<String>>(at)?.unwrap_or_default(),
        status: r
            .get::<_, Option<String>>(at + 1)?
            .unwrap_or_default()
            .into(),
        priority: r.get::<_, Option<String>>(at + 2)?.unwrap_or_default(),
    })
}

fn bad_json(id: &str, source: serde_json::Error) -> ReadError {
    ReadError::Json {
        id: id.to_string(),
        source,
    }
}

/// Why reading the database failed, before the path is attached.
enum ReadError {
    Sql(rusqlite::Error),
    Io(std::io::Error),
    /// The database lacks what the exporter needs.
    Schema(String),
    /// A row's JSON text does not parse.
    Json {
        id: String,
        source: serde_json::Error,
    },
    /// A message row's JSON text does not parse as a message.
    Message {
        id: String,
        source: serde_json::Error,
    },
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> ReadError {
        ReadError::Sql(e)
    }
}

impl From<rusqlite::types::FromSqlError> for ReadError {
    fn from(e: rusqlite::types::FromSqlError) -> ReadError {
        ReadError::Sql(e.into())
    }
}

impl ReadError {
    fn at(self, path: &Path) -> Error {
        let path = path.to_path_buf();
        match self {
            ReadError::Sql(source) => Error::Db { path, source },
            ReadError::Io(source) => Error::Io { path, source },
            ReadError::Schema(what) => Error::Schema { path, what },
            ReadError::Json { id, source } => Error::BadRow { path, id, source },
            ReadError::Message { id, source } => Error::Json {
                path: PathBuf::from(format!("{} (message {id})", path.display())),
                source,
            },
        }
    }
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    stmt.query_map([], |r| r.get::<_, String>(1))?.collect()
}

fn file_stamp(path: &Path) -> std::io::Result<(u64, SystemTime)> {
    let m = std::fs::metadata(path)?;
    Ok((m.len(), m.modified()?))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether the database header says WAL mode (file format bytes 18/19 = 2).
fn is_wal(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut header = [0u8; 20];
    let mut f = std::fs::File::open(path)?;
    match f.read_exact(&mut header) {
        Ok(()) => Ok(header[18] == 2 || header[19] == 2),
        // Shorter than a header: let SQLite report what is wrong with it.
        Err(_) => Ok(false),
    }
}

type Opened = (
    Connection,
    Option<(u64, SystemTime)>,
    Option<tempfile::TempDir>,
);

fn open_conn(path: &Path) -> Result<Opened, ReadError> {
    let io = ReadError::Io;
    let wal = sidecar(path, "-wal");
    let shm = sidecar(path, "-shm");
    if !is_wal(path).map_err(io)? {
        return Ok((open_uri(path, "mode=ro")?, None, None));
    }
    if wal.exists() && shm.exists() {
        return Ok((open_uri(path, "mode=ro&readonly_shm=1")?, None, None));
    }
    if !wal.exists() {
        let stamp = file_stamp(path).map_err(io)?;
        let conn = open_uri(path, "mode=ro&immutable=1")?;
        return Ok((conn, Some(stamp), None));
    }
    // A WAL without its index: read a private copy of both files.
    let dir = tempfile::tempdir().map_err(io)?;
    let copy = dir.path().join(COPY_NAME);
    std::fs::copy(path, &copy).map_err(io)?;
    std::fs::copy(&wal, sidecar(&copy, "-wal")).map_err(io)?;
    Ok((open_copy(&copy)?, None, Some(dir)))
}

/// The private copy's name in its temporary directory.
const COPY_NAME: &str = "opencode.db";

fn open_copy(copy: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        copy,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

fn open_uri(path: &Path, params: &str) -> rusqlite::Result<Connection> {
    let uri = format!("file:{}?{params}", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Fail here, naming the file, when it is not a database at all.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .optional()?;
    Ok(conn)
}

/// Percent-encode what SQLite's URI parser would misread in a path.
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for &b in abs.as_os_str().as_encoded_bytes() {
        match b {
            b'%' | b'?' | b'#' | 0..=0x20 | 0x7f.. => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}
