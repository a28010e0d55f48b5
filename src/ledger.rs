//! The ledger: per sink and session, what was last confirmed exported.
//!
//! `$XDG_STATE_HOME/session-export/ledger.json`, guarded by an exclusive
//! lock on `ledger.lock` for the whole of an export run, so the plugin and
//! cron running at the same moment neither corrupt it nor send the same
//! session twice: the second run waits, then sees what the first recorded.
//! Every save is atomic (write a temporary file, fsync, rename). An entry is
//! only written after the sink confirmed the document, so a failed, killed
//! or unconfirmed export is sent again by the next run. A corrupt ledger is
//! a warning and a full re-send.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VERSION: u32 = 1;
/// How long a run waits for another one to finish before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Default, Serialize, Deserialize)]
struct LedgerFile {
    version: u32,
    /// sink -> session id -> entry
    sinks: BTreeMap<String, BTreeMap<String, Entry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The session's change key when it was exported.
    pub key: String,
    /// Every assistant message had finished when it was exported; an
    /// unsettled export is refreshed by the next run even if the key held.
    pub settled: bool,
    pub exported_at: i64,
}

pub struct Ledger {
    path: PathBuf,
    data: LedgerFile,
    /// Held for as long as the ledger is open for writing.
    lock: Option<File>,
}

impl Ledger {
    /// Lock and read the ledger in `dir`, for an export. `warn` hears about
    /// a corrupt file (which is then treated as empty) and about waiting for
    /// another run.
    pub fn open(dir: &Path, mut warn: impl FnMut(String)) -> Result<Ledger, Error> {
        let io = |path: &Path, source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let lock_path = dir.join("ledger.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        acquire(&lock, &lock_path, &mut warn)?;
        let mut ledger = Ledger::read(dir, warn);
        ledger.lock = Some(lock);
        Ok(ledger)
    }

    /// Read the ledger without locking it or creating anything, for
    /// `dry-run` and `list` (saves are atomic renames, so this sees one
    /// whole version).
    pub fn read(dir: &Path, mut warn: impl FnMut(String)) -> Ledger {
        let path = dir.join("ledger.json");
        let data = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<LedgerFile>(&bytes) {
                Ok(d) if d.version == VERSION => d,
                Ok(d) => {
                    warn(format!(
                        "{}: unknown ledger version {}; sending everything again",
                        path.display(),
                        d.version
                    ));
                    LedgerFile::default()
                }
                Err(e) => {
                    warn(format!(
                        "{} is corrupt ({e}); sending everything again",
                        path.display()
                    ));
                    LedgerFile::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerFile::default(),
            Err(e) => {
                warn(format!(
                    "cannot read {} ({e}); sending everything again",
                    path.display()
                ));
                LedgerFile::default()
            }
        };
        Ledger {
            path,
            data,
            lock: None,
        }
    }

    pub fn get(&self, sink: &str, session: &str) -> Option<&Entry> {
        self.data.sinks.get(sink)?.get(session)
    }

    /// True when `session` was exported to `sink`, settled, with this key.
    pub fn is_current(&self, sink: &str, session: &str, key: &str) -> bool {
        self.get(sink, session)
            .is_some_and(|e| e.settled && e.key == key)
    }

    pub fn record(&mut self, sink: &str, session: &str, entry: Entry) {
        self.data
            .sinks
            .entry(sink.to_string())
            .or_default()
            .insert(session.to_string(), entry);
    }

    /// Write the ledger atomically (only when opened for writing).
    pub fn save(&mut self) -> Result<(), Error> {
        assert!(
            self.lock.is_some(),
            "the ledger is saved only under its lock"
        );
        self.data.version = VERSION;
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().expect("the ledger is in a directory");
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        serde_json::to_writer(&mut tmp, &self.data).map_err(|e| io(e.into()))?;
        tmp.write_all(b"\n").map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

fn acquire(lock: &File, path: &Path, warn: &mut impl FnMut(String)) -> Result<(), Error> {
    let start = Instant::now();
    let mut told = false;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        if start.elapsed() > LOCK_WAIT {
            return Err(Error::Busy(path.to_path_buf()));
        }
        if !told && start.elapsed() > Duration::from_secs(2) {
            warn("waiting for another session-export run to finish".into());
            told = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, settled: bool) -> Entry {
        Entry {
            key: key.into(),
            settled,
            exported_at: 1,
        }
    }

    #[test]
    fn records_survive_a_reopen_and_unsettled_entries_are_not_current() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut l = Ledger::open(dir.path(), |w| panic!("{w}")).unwrap();
            l.record("convex:x", "ses_a", entry("k1", true));
            l.record("convex:x", "ses_b", entry("k2", false));
            l.save().unwrap();
        }
        let l = Ledger::open(dir.path(), |w| panic!("{w}")).unwrap();
        assert!(l.is_current("convex:x", "ses_a", "k1"));
        assert!(!l.is_current("convex:x", "ses_a", "k0"));
        assert!(!l.is_current("convex:x", "ses_b", "k2"));
        assert!(!l.is_current("sqlite:y", "ses_a", "k1"));
    }

    #[test]
    fn a_corrupt_ledger_is_a_warning_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ledger.json"), b"{\"version\":1,\"sin").unwrap();
        let mut warnings = Vec::new();
        let l = Ledger::open(dir.path(), |w| warnings.push(w)).unwrap();
        assert!(l.get("convex:x", "ses_a").is_none());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("ledger.json is corrupt"),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_second_opener_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = Ledger::open(dir.path(), |_| {}).unwrap();
        let d = dir.path().to_path_buf();
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let _second = Ledger::open(&d, |_| {}).unwrap();
            start.elapsed()
        });
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        assert!(t.join().unwrap() >= Duration::from_millis(250));
    }
}
