//! A test plugin built against `unique:connector@0.2.0` (a copy of 0.1.0 in `wit/` under a
//! version the host does not support), so tests can show the host refuses it by its real export.
//! It does nothing: the host must never get as far as calling it.

// The native build (`cargo test --workspace`) compiles the plugin without exporting it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "source-plugin" });
}

use bindings::exports::unique::connector::source::{
    Batch, Capabilities, Discovery, FetchedPage, Guest, GuestDiscovery, GuestSession, PluginInfo,
    Session, SessionSettings, SourceError, SourceIdentity,
};

struct FutureVersion;

impl Guest for FutureVersion {
    type Session = Unused;
    type Discovery = Unused;

    fn describe() -> PluginInfo {
        PluginInfo {
            id: "future-version".into(),
            version: "0.1.0".into(),
            description: "Built for WIT 0.2.0 (test fixture)".into(),
            capabilities: Capabilities::empty(),
            config_schema: None,
        }
    }
}

struct Unused;

fn unused() -> SourceError {
    SourceError::Other("the future-version fixture does nothing".into())
}

impl GuestSession for Unused {
    fn open(_settings: SessionSettings) -> Result<Session, SourceError> {
        Err(unused())
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        Err(unused())
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        Err(unused())
    }

    fn fetch_pages(&self, _ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        Err(unused())
    }
}

impl GuestDiscovery for Unused {
    fn next_batch(&self, _max: u32) -> Result<Batch, SourceError> {
        Err(unused())
    }
}

/// The export glue: generated `unsafe` ABI functions, so the workspace's `unsafe_code` lint is
/// lifted here only.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::FutureVersion;

    super::bindings::export!(FutureVersion with_types_in super::bindings);
}
