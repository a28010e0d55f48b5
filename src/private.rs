//! Files only their owner may read: the local sink (which may hold
//! transcripts) and the ledger are created 0600 in directories 0700,
//! whatever the umask, and tightened when an earlier version left them
//! readable by others.
//!
//! Nothing here writes or changes the mode of a file the user did not mean:
//! files are opened with `O_NOFOLLOW` and must be regular files of the
//! user with no other hard link; the directory must be the user's, below
//! directories that no other user may rename things in. Anything else is
//! refused with an error saying why, and left as it is.

use std::fs::{File, Metadata, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const FILE: u32 = 0o600;
const DIR: u32 = 0o700;

/// Create `dir` (and missing parents, 0700 as XDG asks), check that it
/// and the directories above it are safe to keep private files in, and
/// make `dir` itself 0700.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR)
        .create(dir)?;
    let real = dir.canonicalize()?;
    check_dir(dir, &real)?;
    if std::fs::metadata(&real)?.permissions().mode() & 0o777 != DIR {
        std::fs::set_permissions(&real, Permissions::from_mode(DIR))?;
    }
    Ok(())
}

/// `dir` (resolving to `real`) must be the user's, and every directory
/// above it, as named and as resolved, must belong to the user or root and
/// not be writable by everyone unless sticky (as `/tmp`): otherwise
/// another user could swap what is below it between a check and a write.
fn check_dir(dir: &Path, real: &Path) -> io::Result<()> {
    let me = euid();
    let owner = std::fs::metadata(real)?.uid();
    if owner != me {
        return Err(refused(format!("it belongs to another user (uid {owner})")));
    }
    let named = std::path::absolute(dir)?;
    for (i, p) in named.ancestors().enumerate() {
        check_above(p, i == 0, me)?;
    }
    for p in real.ancestors().skip(1) {
        check_above(p, false, me)?;
    }
    Ok(())
}

fn check_above(p: &Path, itself: bool, me: u32) -> io::Result<()> {
    let m = std::fs::symlink_metadata(p)?;
    if m.uid() != me && m.uid() != 0 {
        return Err(refused(format!(
            "{} belongs to another user (uid {})",
            p.display(),
            m.uid()
        )));
    }
    // The directory itself is made 0700 once checked.
    if !itself && m.is_dir() && m.mode() & 0o002 != 0 && m.mode() & 0o1000 == 0 {
        return Err(refused(format!(
            "{} is writable by every user and not sticky",
            p.display()
        )));
    }
    Ok(())
}

/// Open `path` for writing (appending when `append`), created 0600; an
/// existing file must be one [`check_file`] accepts.
pub fn open_file(path: &Path, append: bool) -> io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .append(append)
        .mode(FILE)
        // Non-blocking, so that a FIFO in its place fails at once.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| explain(path, e))?;
    make_private(&file)?;
    Ok(file)
}

/// Make an existing `path` 0600 (nothing when it does not exist); it must
/// be one [`check_file`] accepts.
pub fn restrict(path: &Path) -> io::Result<()> {
    match open_existing(path) {
        Ok(file) => make_private(&file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The bytes of `path` if it is a regular file, not through a symlink.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open_existing(path)?;
    if !file.metadata()?.is_file() {
        return Err(refused("it is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
}

fn open_existing(path: &Path) -> io::Result<File> {
    File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| explain(path, e))
}

/// Check `file` and give it mode 0600 (through the open file, so the
/// change can reach no other file).
fn make_private(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    check_file(&meta)?;
    if meta.permissions().mode() & 0o777 != FILE {
        file.set_permissions(Permissions::from_mode(FILE))?;
    }
    Ok(())
}

/// A file the exporter may write: a regular file of the user's that no
/// other name links to.
fn check_file(meta: &Metadata) -> io::Result<()> {
    if !meta.is_file() {
        return Err(refused("it is not a regular file".into()));
    }
    if meta.uid() != euid() {
        return Err(refused(format!(
            "it belongs to another user (uid {})",
            meta.uid()
        )));
    }
    if meta.nlink() > 1 {
        return Err(refused(format!(
            "it is a hard link shared with another file ({} links); not writing it",
            meta.nlink()
        )));
    }
    Ok(())
}

/// `O_NOFOLLOW` on a symlink fails with `ELOOP`: say so plainly.
fn explain(path: &Path, e: io::Error) -> io::Error {
    let symlink = e.raw_os_error() == Some(libc::ELOOP)
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if symlink {
        refused("it is a symbolic link; not following it".into())
    } else {
        e
    }
}

fn refused(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
