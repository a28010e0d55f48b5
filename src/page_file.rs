//! Writing a file the user named for output (`report --html FILE`): the
//! whole file or none of it, and never over something that is not a page.
//!
//! The text goes to a temporary file beside FILE, is synced, and is
//! renamed over FILE, so a kill, a full disk or a file size limit leaves an
//! existing FILE as it was. A FILE that is a symlink is replaced where it
//! points, as `>` would have written it. A FILE in a protected place (the
//! opencode data dir) or one that is a SQLite database is refused: a page
//! must never take the place of opencode's store or anyone's database.
//! A FIFO or device (`/dev/stdout`) is written to directly, as there is no
//! old content there to keep.

use crate::error::Error;
use std::fs::{File, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A place a page may not go to or into, and what to say of a file there
/// (`it is in the opencode data dir`).
pub struct Protected<'a> {
    pub path: &'a Path,
    pub why: &'a str,
}

/// Write `bytes` to `file`, whole or not at all; refuse a `file` inside
/// (or equal to) one of `protected`, or that is a SQLite database.
pub fn write(file: &Path, bytes: &[u8], protected: &[Protected<'_>]) -> Result<(), Error> {
    let io = |source| Error::Page {
        path: file.to_path_buf(),
        source,
    };
    let refuse = |why: String| Error::PageRefused {
        path: file.to_path_buf(),
        why,
    };
    let existing = match std::fs::metadata(file) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    // (A pipe behind /dev/stdout has no path to resolve to.)
    let target = resolve(file);
    if let Ok(target) = &target {
        for p in protected {
            if let Ok(place) = p.path.canonicalize()
                && target.starts_with(&place)
            {
                return Err(refuse(format!("{} {}", p.why, p.path.display())));
            }
        }
    }
    if let Some(m) = &existing {
        if m.is_dir() {
            return Err(refuse("it is a directory".into()));
        }
        if !m.is_file() {
            // A FIFO or a device: nothing there to keep.
            let mut out = File::options().write(true).open(file).map_err(io)?;
            return out.write_all(bytes).map_err(io);
        }
    }
    let target = target.map_err(io)?;
    if existing.is_some() && is_sqlite(&target).map_err(io)? {
        return Err(refuse("it is a SQLite database".into()));
    }
    let dir = target.parent().expect("a resolved file has a parent");
    let name = target
        .file_name()
        .expect("a resolved file has a name")
        .to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        // As a new file would get it: 0666 less the umask.
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(io)?;
    if let Some(m) = &existing {
        tmp.as_file()
            .set_permissions(Permissions::from_mode(m.permissions().mode() & 0o7777))
            .map_err(io)?;
    }
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

/// Where `file` really is: itself resolved if it exists, else its
/// directory resolved and its name.
fn resolve(file: &Path) -> std::io::Result<PathBuf> {
    match file.canonicalize() {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = file.file_name().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")
            })?;
            let dir = match file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Ok(dir.canonicalize()?.join(name))
        }
        Err(e) => Err(e),
    }
}

/// Whether the regular file `path` starts as a SQLite database does.
fn is_sqlite(path: &Path) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    File::open(path)?
        .take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)?;
    Ok(head == SQLITE_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_replaces_a_page_and_refuses_a_database_or_a_protected_place() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("p.html");
        write(&page, b"one", &[]).unwrap();
        write(&page, b"two", &[]).unwrap();
        assert_eq!(std::fs::read(&page).unwrap(), b"two");
        let db = dir.path().join("x.db");
        std::fs::write(&db, b"SQLite format 3\0 and the rest").unwrap();
        let e = write(&db, b"page", &[]).unwrap_err();
        assert!(matches!(e, Error::PageRefused { .. }), "{e}");
        let inner = dir.path().join("store");
        std::fs::create_dir(&inner).unwrap();
        let protected = [Protected {
            path: &inner,
            why: "it is in the store",
        }];
        let e = write(&inner.join("new.html"), b"page", &protected).unwrap_err();
        assert!(e.to_string().contains("it is in the store"), "{e}");
        assert!(!inner.join("new.html").exists());
        // Nothing is left beside the pages.
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["p.html", "store", "x.db"]);
    }
}
