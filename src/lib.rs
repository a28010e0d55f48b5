//! session-export: turn opencode sessions into analytics documents.
//!
//! Data flows store -> document -> sink: [`store`] reads opencode's SQLite
//! and JSON stores, [`document`] builds one document per session, and
//! [`app`] runs a command over them.

pub mod app;
pub mod cli;
pub mod config;
pub mod device;
pub mod document;
pub mod error;
pub mod ledger;
pub mod list;
pub mod redact;
pub mod select;
pub mod sink;
pub mod store;
pub mod when;
