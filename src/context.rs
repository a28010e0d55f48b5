//! What `list` and `report` start from: the store, opened, and all its
//! sessions as a tree. (`export` holds only the sessions' places and reads
//! each session when its turn comes: see [`crate::store::Store::order`].)

use crate::error::Error;
use crate::output::Output;
use crate::select::Catalog;
use crate::store::{Store, StorePaths};

pub struct Context {
    pub paths: StorePaths,
    pub store: Store,
    pub catalog: Catalog,
}

impl Context {
    /// Open the store `paths` name and list its sessions (warnings about
    /// unreadable ones go to stderr).
    pub fn open(paths: &StorePaths, out: &mut Output) -> Result<Context, Error> {
        let mut store = Store::open(paths)?;
        let mut warnings = Vec::new();
        let catalog = Catalog::new(store.sessions(&mut warnings)?);
        warnings.iter().for_each(|w| out.warn(w));
        Ok(Context {
            paths: paths.clone(),
            store,
            catalog,
        })
    }
}
