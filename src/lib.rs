//! session-export: turn opencode sessions into analytics documents.
//!
//! Data flows one way: [`store`] reads opencode's SQLite and JSON stores,
//! [`pipeline`] turns sessions into [`document`]s in order, and a
//! [`command`] sends them to a [`sink`] or prints them. [`settings`]
//! resolves the command line, environment and config file once, up front.

pub(crate) mod cli;
pub(crate) mod command;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod device;
pub(crate) mod document;
pub(crate) mod error;
pub(crate) mod hex;
pub(crate) mod ledger;
pub(crate) mod output;
pub(crate) mod page_file;
pub(crate) mod pipeline;
pub(crate) mod present;
pub mod prices;
pub(crate) mod private;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod repository;
pub(crate) mod secret;
pub(crate) mod select;
pub(crate) mod settings;
pub(crate) mod sink;
pub(crate) mod store;
pub(crate) mod tokens;
pub(crate) mod usage;
pub(crate) mod when;
pub(crate) mod xdg;

// What the binary uses; everything else is the library's own, so the
// compiler reports what nothing uses.
pub use cli::Cli;
pub use command::run;
pub use error::{Error, ExitCode};
pub use output::{Output, printable};
pub use settings::Settings;
