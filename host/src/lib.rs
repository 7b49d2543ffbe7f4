//! The connector host: loads sandboxed source plugins and keeps Unique knowledge-base scopes in
//! sync with their sources.

pub mod auth;
pub mod config;
pub mod egress;
pub mod http_client;
pub mod plugin_check;
pub mod plugin_runtime;
pub mod rate_limit;
pub mod retry;
pub mod secret;
pub mod server;
pub mod service;
pub mod sync;
pub mod telemetry;
pub mod unique;
