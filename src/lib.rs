//! session-export: turn opencode sessions into analytics documents.
//!
//! Data flows one way: [`store`] reads opencode's SQLite and JSON stores,
//! [`pipeline`] turns sessions into [`document`]s in order, and a
//! [`command`] sends them to a [`sink`] or prints them. [`settings`]
//! resolves the command line, environment and config file once, up front.

pub mod cli;
pub mod command;
pub mod config;
pub mod context;
pub mod device;
pub mod document;
pub mod error;
pub mod hex;
pub mod ledger;
pub mod output;
pub mod page_file;
pub mod pipeline;
pub mod prices;
pub mod private;
pub mod redact;
pub mod report;
pub mod repository;
pub mod secret;
pub mod select;
pub mod settings;
pub mod sink;
pub mod store;
pub mod usage;
pub mod when;
pub mod xdg;
