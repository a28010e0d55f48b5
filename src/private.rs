//! Files only their owner may read: the local sink (which may hold
//! transcripts) and the ledger are created 0600 in directories 0700,
//! whatever the umask, and tightened when an earlier version left them
//! readable by others.

use std::fs::{File, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const FILE: u32 = 0o600;
const DIR: u32 = 0o700;

/// Create `dir` (and missing parents, 0700 as XDG asks) and make `dir`
/// itself 0700.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR)
        .create(dir)?;
    tighten(dir, DIR)
}

/// Open `path` for writing (appending when `append`), created 0600.
pub fn open_file(path: &Path, append: bool) -> std::io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .append(append)
        .mode(FILE)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o777 != FILE {
        file.set_permissions(Permissions::from_mode(FILE))?;
    }
    Ok(file)
}

/// Make an existing `path` 0600 (nothing when it does not exist).
pub fn restrict(path: &Path) -> std::io::Result<()> {
    match tighten(path, FILE) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    if std::fs::metadata(path)?.permissions().mode() & 0o777 != mode {
        std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    }
    Ok(())
}
