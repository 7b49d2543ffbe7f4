//! SDK for source plugins of the confluence-connector host.
//!
//! A plugin is a WebAssembly component (target `wasm32-wasip2`) that implements the `source`
//! interface of the WIT package `unique:connector@0.1.0` (see `wit/since_v0.1.0/`). This crate
//! carries the generated bindings, so a plugin depends on it alone:
//!
//! ```ignore
//! use connector_plugin_sdk::source::{Guest, GuestSession, GuestDiscovery, PluginInfo};
//!
//! struct MyPlugin;
//! impl Guest for MyPlugin { /* describe() and the resource types */ }
//! connector_plugin_sdk::export!(MyPlugin);
//! ```
//!
//! The host supplies HTTP ([`http`]) and logging ([`log`]); the plugin has no other way out of
//! its sandbox.

#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.1.0",
        world: "source-plugin",
        pub_export_macro: true,
        default_bindings_module: "connector_plugin_sdk::bindings",
    });
}

/// Exports a type implementing [`source::Guest`] as the plugin's `source` interface.
pub use bindings::export;

pub mod http;
pub mod log;
pub mod pagination;

/// The interface a plugin implements: `Guest` (describe), `GuestSession`, `GuestDiscovery` and
/// the records they exchange.
pub use bindings::exports::unique::connector::source;
/// Types shared between host and plugin.
pub use bindings::unique::connector::types::{Container, Header};

/// The WIT package version this SDK implements; plugins declare it in `plugin.toml` as `wit`.
pub const WIT_VERSION: &str = "0.1.0";
