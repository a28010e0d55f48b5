//! The embedded default sink: a SQLite file under
//! `$XDG_DATA_HOME/session-export/`, with one `sessions` table a user can
//! query with `sqlite3`. Same upsert and stale rules as the Convex backend.

use super::convex::Fatal;
use super::{Outcome, Upserted};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    session_id        TEXT PRIMARY KEY,
    device_id         TEXT NOT NULL,
    hostname          TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    project_directory TEXT NOT NULL,
    parent_session_id TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    exported_at       INTEGER NOT NULL,
    message_count     INTEGER NOT NULL,
    cost              REAL NOT NULL,
    error_count       INTEGER NOT NULL,
    primary_agent     TEXT,
    primary_model     TEXT,
    todos_total       INTEGER NOT NULL,
    todos_pending     INTEGER NOT NULL,
    document          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_created ON sessions (created_at);
CREATE INDEX IF NOT EXISTS sessions_device_created ON sessions (device_id, created_at);
CREATE INDEX IF NOT EXISTS sessions_project ON sessions (project_id);
";

pub struct LocalDb {
    path: PathBuf,
    conn: Connection,
}

impl LocalDb {
    /// `$XDG_DATA_HOME/session-export/sessions.db`.
    pub fn default_path() -> Result<PathBuf, crate::error::Error> {
        Ok(crate::config::xdg_dir("XDG_DATA_HOME", ".local/share")?
            .join("session-export")
            .join("sessions.db"))
    }

    pub fn open(path: &Path) -> Result<LocalDb, crate::error::Error> {
        let err = |source| crate::error::Error::Db {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| crate::error::Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(LocalDb {
            path: path.to_path_buf(),
            conn,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Upsert `docs` in one transaction; one outcome per document.
    pub fn send(&mut self, docs: Vec<Map<String, Value>>) -> Result<Vec<Outcome>, Fatal> {
        let fatal = |e: rusqlite::Error| Fatal(format!("writing {}: {e}", self.path.display()));
        let tx = self.conn.transaction().map_err(fatal)?;
        let mut out = Vec::with_capacity(docs.len());
        for doc in &docs {
            out.push(upsert(&tx, doc).map_err(fatal)?);
        }
        tx.commit().map_err(fatal)?;
        Ok(out)
    }
}

fn upsert(tx: &rusqlite::Transaction<'_>, doc: &Map<String, Value>) -> rusqlite::Result<Outcome> {
    let str_of = |k: &str| doc.get(k).and_then(Value::as_str);
    let int_of = |k: &str| doc.get(k).and_then(Value::as_i64).unwrap_or(0);
    let Some(id) = str_of("sessionId") else {
        return Ok(Outcome::Failed("document without sessionId".into()));
    };
    let updated_at = int_of("updatedAt");
    let stored: Option<(i64, i64, String)> = tx
        .query_row(
            "SELECT updated_at, exported_at, document FROM sessions WHERE session_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let text = Value::Object(doc.clone()).to_string();
    let result = match &stored {
        None => Upserted::Inserted,
        Some((stored_at, _, _)) if *stored_at > updated_at => {
            return Ok(Outcome::Done(Upserted::Stale));
        }
        Some((_, exported_at, json)) if same_but_exported_at(json, *exported_at, doc) => {
            return Ok(Outcome::Done(Upserted::Unchanged));
        }
        Some(_) => Upserted::Updated,
    };
    let todo = |k: &str| doc["todoStats"].get(k).and_then(Value::as_i64).unwrap_or(0);
    tx.execute(
        "INSERT OR REPLACE INTO sessions (session_id, device_id, hostname, project_id,
            project_directory, parent_session_id, created_at, updated_at, exported_at,
            message_count, cost, error_count, primary_agent, primary_model, todos_total,
            todos_pending, document)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            id,
            str_of("deviceId").unwrap_or_default(),
            str_of("hostname").unwrap_or_default(),
            str_of("projectId").unwrap_or_default(),
            str_of("projectDirectory").unwrap_or_default(),
            str_of("parentSessionId"),
            int_of("createdAt"),
            updated_at,
            int_of("exportedAt"),
            int_of("messageCount"),
            doc.get("cost").and_then(Value::as_f64).unwrap_or(0.0),
            int_of("errorCount"),
            str_of("primaryAgent"),
            str_of("primaryModel"),
            todo("total"),
            todo("pending"),
            text,
        ],
    )?;
    Ok(Outcome::Done(result))
}

/// Whether `doc` says what the stored text says, apart from `exportedAt`.
/// Compared as text (the new document given the stored `exportedAt`): a
/// float read back from text need not be bit-identical to the one written.
fn same_but_exported_at(stored: &str, stored_exported_at: i64, doc: &Map<String, Value>) -> bool {
    let mut probe = doc.clone();
    probe.insert("exportedAt".into(), stored_exported_at.into());
    serde_json::to_string(&probe).is_ok_and(|text| text == stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A cost whose shortest text does not read back bit-identical with
    /// serde_json's default float parser.
    const COST: f64 = 0.133_394_999_999_999_99;

    fn doc(updated: i64, exported: i64, messages: i64) -> Map<String, Value> {
        let Value::Object(m) = json!({
            "sessionId": "ses_a", "deviceId": "d", "hostname": "h", "projectId": "p",
            "projectDirectory": "/p", "createdAt": 1, "updatedAt": updated,
            "exportedAt": exported, "messageCount": messages, "cost": COST, "errorCount": 0,
            "todoStats": {"total": 2, "completed": 1, "cancelled": 0, "pending": 1}
        }) else {
            unreachable!()
        };
        m
    }

    #[test]
    fn upsert_inserts_updates_skips_unchanged_and_refuses_stale() {
        let reread: f64 = serde_json::from_str(&serde_json::to_string(&COST).unwrap()).unwrap();
        assert_ne!(
            reread.to_bits(),
            COST.to_bits(),
            "COST must not survive a reread"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut db = LocalDb::open(&dir.path().join("s.db")).unwrap();
        let done = |u| Outcome::Done(u);
        assert_eq!(
            db.send(vec![doc(10, 1, 2)]).unwrap(),
            [done(Upserted::Inserted)]
        );
        assert_eq!(
            db.send(vec![doc(10, 2, 2)]).unwrap(),
            [done(Upserted::Unchanged)]
        );
        assert_eq!(
            db.send(vec![doc(11, 3, 3)]).unwrap(),
            [done(Upserted::Updated)]
        );
        assert_eq!(
            db.send(vec![doc(9, 4, 9)]).unwrap(),
            [done(Upserted::Stale)]
        );
        let (n, exported, todos): (i64, i64, i64) = db
            .conn
            .query_row(
                "SELECT message_count, exported_at, todos_pending FROM sessions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((n, exported, todos), (3, 3, 1));
    }
}
