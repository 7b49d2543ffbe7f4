//! The connector host: loads sandboxed source plugins and keeps Unique knowledge-base scopes in
//! sync with their sources.

pub mod config;
pub mod secret;
