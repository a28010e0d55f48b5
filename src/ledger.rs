//! The ledger: per sink and session, what was last confirmed exported.
//!
//! Three files in `$XDG_STATE_HOME/session-export/` (directory 0700, files
//! 0600):
//!
//! * `ledger.json`: a snapshot, `{"version": 1, "sinks": {sink: {session:
//!   entry}}}`, replaced atomically (write a temporary file, fsync, rename).
//!   A `ledger.json` written by an earlier version is this same file.
//! * `ledger.journal`: what was confirmed since the snapshot, one line per
//!   sink call (`{"sink": ..., "sessions": {session: entry}}`), appended
//!   after the sink confirmed the batch (a killed run loses nothing written;
//!   it is fsynced at the end of the run: a power cut before that can only
//!   make sessions go again, never skip one). Appending costs what the batch
//!   costs, so the first export of a large store grows linearly (the
//!   snapshot used to be rewritten after every batch). A line cut short by a
//!   crash is ignored: its sessions are sent again.
//! * `ledger.lock`: held exclusively for the whole of an export run, so the
//!   plugin and cron running at the same moment neither corrupt the ledger
//!   nor send the same session twice: the second run waits, then sees what
//!   the first recorded.
//!
//! At the end of a run the journal is folded into a new snapshot once it is
//! over a quarter of the snapshot's size, so reading the ledger never costs
//! much more than reading the snapshot. An entry is only written after the
//! sink confirmed the document, so a failed, killed or unconfirmed export is
//! sent again by the next run. A corrupt ledger is a warning and a full
//! re-send. A symlink, a hard link or another user's file in place of one
//! of these files, or a directory another user could change, is an error
//! ([`crate::private`]): nothing outside the directory is ever written.

use crate::error::{Error, Warning};
use crate::private;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VERSION: u32 = 1;
/// How long a run waits for another one to finish before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(300);
/// A reader retries this often when a run replaced the snapshot while it
/// read the snapshot and the journal.
const READ_TRIES: usize = 5;

#[derive(Debug, Default, Serialize, Deserialize)]
struct LedgerFile {
    version: u32,
    /// sink -> session id -> entry
    sinks: BTreeMap<String, BTreeMap<String, Entry>>,
}

/// One line of the journal: what one sink call confirmed.
#[derive(Serialize, Deserialize)]
struct JournalLine<'a> {
    #[serde(borrow)]
    sink: std::borrow::Cow<'a, str>,
    sessions: BTreeMap<String, Entry>,
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
    dir: PathBuf,
    data: LedgerFile,
    /// Held for as long as the ledger is open for writing, with the journal
    /// open for appending.
    writer: Option<Writer>,
    /// Recorded since the last save, by sink.
    pending: BTreeMap<String, BTreeMap<String, Entry>>,
}

struct Writer {
    _lock: File,
    journal: File,
    /// Sizes of the snapshot and of the journal, to decide when to fold.
    snapshot_len: u64,
    journal_len: u64,
    /// Appended to since the run began (and not yet fsynced).
    appended: bool,
}

/// What reading the snapshot and the journal found.
struct Loaded {
    data: LedgerFile,
    snapshot_len: u64,
    journal_len: u64,
    /// The snapshot or the journal was corrupt, or the journal ends in a
    /// partial line: a writer folds it into a fresh snapshot at once.
    unclean: bool,
}

impl Ledger {
    /// Lock and read the ledger in `dir`, for an export. `warn` hears about
    /// a corrupt file (which is then treated as empty) and about waiting for
    /// another run.
    pub fn open(dir: &Path, mut warn: impl FnMut(Warning)) -> Result<Ledger, Error> {
        let state = |path: &Path, source| Error::State {
            path: path.to_path_buf(),
            source,
        };
        private::create_dir(dir).map_err(|e| state(dir, e))?;
        let lock_path = dir.join("ledger.lock");
        let lock = private::open_file(&lock_path, false).map_err(|e| state(&lock_path, e))?;
        acquire(&lock, &lock_path, &mut warn)?;
        let journal_path = dir.join("ledger.journal");
        let journal =
            private::open_file(&journal_path, true).map_err(|e| state(&journal_path, e))?;
        let snapshot_path = dir.join("ledger.json");
        private::restrict(&snapshot_path).map_err(|e| state(&snapshot_path, e))?;
        let loaded = load(dir, true, &mut warn);
        let mut ledger = Ledger {
            dir: dir.to_path_buf(),
            data: loaded.data,
            writer: Some(Writer {
                _lock: lock,
                journal,
                snapshot_len: loaded.snapshot_len,
                journal_len: loaded.journal_len,
                appended: false,
            }),
            pending: BTreeMap::new(),
        };
        if loaded.unclean {
            ledger.fold()?;
        }
        Ok(ledger)
    }

    /// Read the ledger without locking it or creating anything, for
    /// `dry-run` and `list`.
    pub fn read(dir: &Path, mut warn: impl FnMut(Warning)) -> Ledger {
        Ledger {
            dir: dir.to_path_buf(),
            data: load(dir, false, &mut warn).data,
            writer: None,
            pending: BTreeMap::new(),
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

    /// Note what the sink confirmed; [`Ledger::save`] makes it durable.
    pub fn record(&mut self, sink: &str, session: &str, entry: Entry) {
        self.pending
            .entry(sink.to_string())
            .or_default()
            .insert(session.to_string(), entry.clone());
        self.data
            .sinks
            .entry(sink.to_string())
            .or_default()
            .insert(session.to_string(), entry);
    }

    /// Append what was recorded since the last save to the journal, as one
    /// line per sink (only when opened for writing).
    pub fn save(&mut self) -> Result<(), Error> {
        let path = self.dir.join("ledger.journal");
        let w = self
            .writer
            .as_mut()
            .expect("the ledger is saved only under its lock");
        let mut text = Vec::new();
        for (sink, sessions) in std::mem::take(&mut self.pending) {
            let line = JournalLine {
                sink: sink.into(),
                sessions,
            };
            serde_json::to_writer(&mut text, &line).expect("ledger entries serialize");
            text.push(b'\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        let state = |source| Error::State {
            path: path.clone(),
            source,
        };
        w.journal.write_all(&text).map_err(state)?;
        w.journal_len += text.len() as u64;
        w.appended = true;
        Ok(())
    }

    /// End of a run: fold the journal into a new snapshot once it is over a
    /// quarter of the snapshot's size, else make it durable.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.save()?;
        let Some(w) = &mut self.writer else {
            return Ok(());
        };
        if w.journal_len > 0 && w.journal_len * 4 >= w.snapshot_len {
            return self.fold();
        }
        if std::mem::take(&mut w.appended) {
            w.journal.sync_data().map_err(|source| Error::State {
                path: self.dir.join("ledger.journal"),
                source,
            })?;
        }
        Ok(())
    }

    /// Write everything into a new snapshot (atomically), then empty the
    /// journal. A crash in between leaves a journal whose entries the
    /// snapshot already holds: reading it again changes nothing.
    fn fold(&mut self) -> Result<(), Error> {
        let path = self.dir.join("ledger.json");
        let state = |source| Error::State {
            path: path.clone(),
            source,
        };
        let w = self
            .writer
            .as_mut()
            .expect("the ledger is folded only under its lock");
        self.data.version = VERSION;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(state)?;
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        serde_json::to_writer(&mut out, &self.data).map_err(|e| state(e.into()))?;
        out.write_all(b"\n").map_err(state)?;
        out.flush().map_err(state)?;
        drop(out);
        tmp.as_file().sync_all().map_err(state)?;
        w.snapshot_len = tmp.as_file().metadata().map_err(state)?.len();
        tmp.persist(&path).map_err(|e| state(e.error))?;
        w.journal.set_len(0).map_err(state)?;
        w.journal.sync_all().map_err(state)?;
        w.journal_len = 0;
        w.appended = false;
        Ok(())
    }
}

/// Read the snapshot and replay the journal over it. Without the lock
/// (`locked` false) a run may replace the snapshot meanwhile: then read
/// again. Only a writer warns about a journal that ends in a partial line
/// (a reader may see a run's append half done).
fn load(dir: &Path, locked: bool, warn: &mut impl FnMut(Warning)) -> Loaded {
    let path = dir.join("ledger.json");
    let mut tries = 0;
    loop {
        tries += 1;
        let before = identity(&path);
        let mut messages = Vec::new();
        let loaded = load_once(dir, locked, &mut |m| messages.push(m));
        if locked || tries >= READ_TRIES || identity(&path) == before {
            for m in messages {
                warn(m);
            }
            return loaded;
        }
    }
}

/// Which file the snapshot is (rename gives it a new inode).
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn load_once(dir: &Path, locked: bool, warn: &mut dyn FnMut(Warning)) -> Loaded {
    let path = dir.join("ledger.json");
    let mut unclean = false;
    let (mut data, snapshot_len) = match private::read(&path) {
        Ok(bytes) => {
            let len = bytes.len() as u64;
            match serde_json::from_slice::<LedgerFile>(&bytes) {
                Ok(d) if d.version == VERSION => (d, len),
                Ok(d) => {
                    warn(Warning::new(format!(
                        "{}: unknown ledger version {}; sending everything again",
                        path.display(),
                        d.version
                    )));
                    unclean = true;
                    (LedgerFile::default(), len)
                }
                Err(e) => {
                    warn(Warning::new(format!(
                        "{} is corrupt ({e}); sending everything again",
                        path.display()
                    )));
                    unclean = true;
                    (LedgerFile::default(), len)
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (LedgerFile::default(), 0),
        Err(e) => {
            warn(Warning::new(format!(
                "cannot read {} ({e}); sending everything again",
                path.display()
            )));
            (LedgerFile::default(), 0)
        }
    };
    let journal_path = dir.join("ledger.journal");
    let text = match private::read(&journal_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            warn(Warning::new(format!(
                "cannot read {} ({e}); sending its sessions again",
                journal_path.display()
            )));
            Vec::new()
        }
    };
    let journal_len = text.len() as u64;
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < text.len() {
        unclean = true;
        if locked {
            warn(Warning::new(format!(
                "{} ends in a partial line (a run was interrupted); its sessions are sent again",
                journal_path.display()
            )));
        }
    }
    for (n, line) in text[..complete].split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<JournalLine>(line) {
            Ok(l) => data
                .sinks
                .entry(l.sink.into_owned())
                .or_default()
                .extend(l.sessions),
            Err(e) => {
                unclean = true;
                warn(Warning::new(format!(
                    "{} is corrupt at line {} ({e}); sending its sessions again",
                    journal_path.display(),
                    n + 1
                )));
            }
        }
    }
    Loaded {
        data,
        snapshot_len,
        journal_len,
        unclean,
    }
}

fn acquire(lock: &File, path: &Path, warn: &mut impl FnMut(Warning)) -> Result<(), Error> {
    let start = Instant::now();
    let mut told = false;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::State {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        if start.elapsed() > LOCK_WAIT {
            return Err(Error::Busy(path.to_path_buf()));
        }
        if !told && start.elapsed() > Duration::from_secs(2) {
            warn(Warning::new(
                "waiting for another session-export run to finish",
            ));
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

    fn no_warning(w: Warning) {
        panic!("{w}")
    }

    #[test]
    fn records_survive_a_reopen_and_unsettled_entries_are_not_current() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut l = Ledger::open(dir.path(), no_warning).unwrap();
            l.record("convex:x", "ses_a", entry("k1", true));
            l.record("convex:x", "ses_b", entry("k2", false));
            l.save().unwrap();
        }
        let l = Ledger::open(dir.path(), no_warning).unwrap();
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
            warnings[0].to_string().contains("ledger.json is corrupt"),
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

    #[test]
    fn saves_append_to_the_journal_and_finish_folds_it_into_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = dir.path().join("ledger.json");
        let journal = dir.path().join("ledger.journal");
        let mut l = Ledger::open(dir.path(), no_warning).unwrap();
        for i in 0..50 {
            l.record("sqlite:y", &format!("ses_{i}"), entry("k", true));
            l.save().unwrap();
        }
        assert!(!snapshot.exists(), "a save never rewrites the snapshot");
        assert_eq!(
            std::fs::read_to_string(&journal).unwrap().lines().count(),
            50
        );
        // Readers see the journal.
        assert!(Ledger::read(dir.path(), no_warning).is_current("sqlite:y", "ses_49", "k"));
        l.finish().unwrap();
        drop(l);
        assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
        let l = Ledger::read(dir.path(), no_warning);
        assert!((0..50).all(|i| l.is_current("sqlite:y", &format!("ses_{i}"), "k")));
        // A small run after a large one only appends.
        let size = std::fs::metadata(&snapshot).unwrap().len();
        let mut l = Ledger::open(dir.path(), no_warning).unwrap();
        l.record("sqlite:y", "ses_new", entry("k", true));
        l.finish().unwrap();
        assert_eq!(std::fs::metadata(&snapshot).unwrap().len(), size);
        assert!(Ledger::read(dir.path(), no_warning).is_current("sqlite:y", "ses_new", "k"));
    }

    #[test]
    fn a_journal_cut_short_by_a_crash_loses_only_its_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("ledger.journal");
        {
            let mut l = Ledger::open(dir.path(), no_warning).unwrap();
            l.record("sqlite:y", "ses_a", entry("k", true));
            l.save().unwrap();
            l.record("sqlite:y", "ses_b", entry("k", true));
            l.save().unwrap();
        }
        let text = std::fs::read(&journal).unwrap();
        std::fs::write(&journal, &text[..text.len() - 5]).unwrap();
        // A reader says nothing (a run may be appending).
        let l = Ledger::read(dir.path(), no_warning);
        assert!(l.is_current("sqlite:y", "ses_a", "k"));
        assert!(l.get("sqlite:y", "ses_b").is_none());
        // A writer warns and starts a clean journal.
        let mut warnings = Vec::new();
        let mut l = Ledger::open(dir.path(), |w| warnings.push(w)).unwrap();
        assert!(
            warnings[0].to_string().contains("partial line"),
            "{warnings:?}"
        );
        l.record("sqlite:y", "ses_c", entry("k", true));
        l.save().unwrap();
        drop(l);
        let l = Ledger::read(dir.path(), no_warning);
        assert!(
            ["ses_a", "ses_c"]
                .iter()
                .all(|s| l.is_current("sqlite:y", s, "k"))
        );
    }

    #[test]
    fn a_ledger_json_of_an_earlier_version_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ledger.json"),
            r#"{"version":1,"sinks":{"convex:https://a.convex.cloud":{"ses_a":{"key":"k1","settled":true,"exportedAt":5}}}}"#,
        )
        .unwrap();
        let mut l = Ledger::open(dir.path(), no_warning).unwrap();
        assert!(l.is_current("convex:https://a.convex.cloud", "ses_a", "k1"));
        l.record("convex:https://a.convex.cloud", "ses_b", entry("k2", true));
        l.finish().unwrap();
        drop(l);
        let l = Ledger::read(dir.path(), no_warning);
        assert!(l.is_current("convex:https://a.convex.cloud", "ses_a", "k1"));
        assert!(l.is_current("convex:https://a.convex.cloud", "ses_b", "k2"));
    }
}
