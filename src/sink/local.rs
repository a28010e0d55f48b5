//! The embedded default sink: a SQLite file under
//! `$XDG_DATA_HOME/session-export/`, with one `sessions` table a user can
//! query with `sqlite3`. Same upsert and stale rules as the Convex backend.

use super::{Limits, Outcome, Sink, SinkError, Upserted};
use crate::document::Document;
use crate::error::Error;
use crate::private;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most one transaction takes; also the batch size when the settings
/// name none.
pub const LIMITS: Limits = Limits {
    docs: 100,
    bytes: None,
};
/// How long a write waits for another process that holds the file.
const BUSY_WAIT: Duration = Duration::from_secs(30);
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
    total_cost        REAL NOT NULL,
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
    pub fn open(path: &Path) -> Result<LocalDb, Error> {
        let err = |e: &dyn std::fmt::Display| Error::Sink {
            path: path.to_path_buf(),
            msg: e.to_string(),
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let real_dir = private::create_dir(dir)
            .and_then(|()| dir.canonicalize())
            .map_err(|e| err(&format!("cannot use its directory {}: {e}", dir.display())))?;
        // SQLite opens its -journal, -wal and -shm itself: those there must
        // be the user's own files too.
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut sibling = path.as_os_str().to_owned();
            sibling.push(suffix);
            let sibling = Path::new(&sibling);
            private::restrict(sibling).map_err(|e| Error::Sink {
                path: sibling.to_path_buf(),
                msg: e.to_string(),
            })?;
        }
        // Created 0600 before SQLite opens it (its -wal and -shm get the
        // same mode): with --include-messages it holds transcripts.
        private::open_file(path, false).map_err(|e| err(&e))?;
        // By its real path, so that SQLite can refuse any symlink in it.
        let file_name = path.file_name().ok_or_else(|| err(&"not a file name"))?;
        let mut conn = Connection::open_with_flags(
            real_dir.join(file_name),
            OpenFlags::default() | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(|e| err(&e))?;
        conn.busy_timeout(BUSY_WAIT).map_err(|e| err(&e))?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(|e| err(&e))?;
        conn.execute_batch(SCHEMA).map_err(|e| err(&e))?;
        migrate(&mut conn).map_err(|e| err(&e))?;
        Ok(LocalDb {
            path: path.to_path_buf(),
            conn,
        })
    }
}

/// Bring a file written by an older version up to [`SCHEMA`]: add the
/// columns it lacks, filled from the stored documents. Checked again under
/// the write lock, in case another run migrated it meanwhile.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let lacks_total_cost = |c: &Connection| -> rusqlite::Result<bool> {
        c.query_row(
            "SELECT count(*) = 0 FROM pragma_table_info('sessions') WHERE name = 'total_cost'",
            [],
            |r| r.get(0),
        )
    };
    if !lacks_total_cost(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if lacks_total_cost(&tx)? {
        tx.execute_batch(
            "ALTER TABLE sessions ADD COLUMN total_cost REAL NOT NULL DEFAULT 0;
             UPDATE sessions SET total_cost =
                 cost + coalesce(json_extract(document, '$.subagents.cost'), 0);",
        )?;
    }
    tx.commit()
}

impl Sink for LocalDb {
    /// Upsert `docs` in one transaction; one outcome per document.
    fn send(&mut self, docs: &[Document]) -> Result<Vec<Outcome>, SinkError> {
        let fatal = |source| SinkError::Write {
            path: self.path.clone(),
            source,
        };
        // Take the write lock up front, waiting up to BUSY_WAIT for it: a
        // deferred transaction that reads first cannot wait for a writer
        // when it later needs to write, and fails at once.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fatal)?;
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            out.push(upsert(&tx, doc).map_err(fatal)?);
        }
        tx.commit().map_err(fatal)?;
        Ok(out)
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// The document as the `document` column holds it: JSON with sorted keys.
fn stored_text(doc: &Document) -> String {
    serde_json::to_value(doc)
        .expect("a document serializes")
        .to_string()
}

fn upsert(tx: &rusqlite::Transaction<'_>, doc: &Document) -> rusqlite::Result<Outcome> {
    let id = &doc.session_id;
    let stored: Option<(i64, i64, String)> = tx
        .query_row(
            "SELECT updated_at, exported_at, document FROM sessions WHERE session_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let result = match &stored {
        None => Upserted::Inserted,
        Some((stored_at, _, _)) if *stored_at > doc.updated_at => {
            return Ok(Outcome::Done(Upserted::Stale));
        }
        Some((_, exported_at, json)) if same_but_exported_at(json, *exported_at, doc) => {
            return Ok(Outcome::Done(Upserted::Unchanged));
        }
        Some(_) => Upserted::Updated,
    };
    tx.execute(
        "INSERT OR REPLACE INTO sessions (session_id, device_id, hostname, project_id,
            project_directory, parent_session_id, created_at, updated_at, exported_at,
            message_count, cost, error_count, primary_agent, primary_model, todos_total,
            todos_pending, document, total_cost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id,
            doc.device_id,
            doc.hostname,
            doc.project_id,
            doc.project_directory,
            doc.parent_session_id,
            doc.created_at,
            doc.updated_at,
            doc.exported_at,
            int(doc.message_count),
            doc.cost,
            int(doc.error_count),
            doc.primary_agent,
            doc.primary_model,
            int(doc.todo_stats.total),
            int(doc.todo_stats.pending),
            stored_text(doc),
            doc.cost + doc.subagents.as_ref().map_or(0.0, |s| s.cost),
        ],
    )?;
    Ok(Outcome::Done(result))
}

/// A count as SQLite's INTEGER (counts never come near 2^63).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether `doc` says what the stored text says, apart from `exportedAt`.
/// Compared as text (the new document given the stored `exportedAt`): a
/// float read back from text need not be bit-identical to the one written.
fn same_but_exported_at(stored: &str, stored_exported_at: i64, doc: &Document) -> bool {
    let mut probe = doc.clone();
    probe.exported_at = stored_exported_at;
    stored_text(&probe) == stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::TodoStats;

    /// A cost whose shortest text does not read back bit-identical with
    /// serde_json's default float parser.
    const COST: f64 = 0.133_394_999_999_999_99;

    fn doc(updated: i64, exported: i64, messages: u64) -> Document {
        Document {
            session_id: "ses_a".into(),
            device_id: "d".into(),
            hostname: "h".into(),
            project_id: "p".into(),
            project_directory: "/p".into(),
            created_at: 1,
            updated_at: updated,
            exported_at: exported,
            message_count: messages,
            cost: COST,
            todo_stats: TodoStats {
                total: 2,
                completed: 1,
                cancelled: 0,
                pending: 1,
            },
            ..Document::default()
        }
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
            db.send(&[doc(10, 1, 2)]).unwrap(),
            [done(Upserted::Inserted)]
        );
        assert_eq!(
            db.send(&[doc(10, 2, 2)]).unwrap(),
            [done(Upserted::Unchanged)]
        );
        assert_eq!(
            db.send(&[doc(11, 3, 3)]).unwrap(),
            [done(Upserted::Updated)]
        );
        assert_eq!(db.send(&[doc(9, 4, 9)]).unwrap(), [done(Upserted::Stale)]);
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
