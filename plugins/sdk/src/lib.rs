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
//! its sandbox. [`pagination`] helps with cursor- and link-paginated listings.
//!
//! **Native builds.** On targets other than `wasm32`, [`http::send`] and [`http::send_all`] go to
//! a transport the test installs with [`native::install_transport`] (a closure, e.g. serving
//! canned answers or forwarding to a loopback server), and [`log`] writes to stderr, so plugin
//! logic unit-tests with plain `cargo test`. Resource constructors (`Session::new`,
//! `Discovery::new`) and `export!` exist only inside a component: test the types that implement
//! `GuestSession` and `GuestDiscovery` directly, and guard `export!` with
//! `#[cfg(target_arch = "wasm32")]` (its symbol names cannot link into a native `cdylib`).
//!
//! **The WIT.** The crate carries its own copy of the contract in `wit/` (so `cargo package`
//! includes it); a test checks that the copy equals the workspace's frozen
//! `wit/since_v0.1.0/`.

#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "source-plugin",
        pub_export_macro: true,
        default_bindings_module: "connector_plugin_sdk::bindings",
    });
}

/// Exports a type implementing [`source::Guest`] as the plugin's `source` interface.
pub use bindings::export;

pub mod http;
pub mod log;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod pagination;

/// The interface a plugin implements: `Guest` (describe), `GuestSession`, `GuestDiscovery` and
/// the records they exchange.
pub use bindings::exports::unique::connector::source;
/// Types shared between host and plugin.
pub use bindings::unique::connector::types::{Container, Header};

/// The WIT package version this SDK implements; plugins declare it in `plugin.toml` as `wit`.
pub const WIT_VERSION: &str = "0.1.0";

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn the_wit_copy_equals_the_frozen_contract() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let frozen = crate_dir.join("../../wit/since_v0.1.0");
        let copy = crate_dir.join("wit");
        let mut names: Vec<_> = std::fs::read_dir(&frozen)
            .expect("the workspace's wit/since_v0.1.0 exists")
            .map(|entry| entry.expect("a readable directory entry").file_name())
            .collect();
        names.sort();
        assert!(!names.is_empty());
        for name in names {
            let expected =
                std::fs::read_to_string(frozen.join(&name)).expect("a readable WIT file");
            let actual = std::fs::read_to_string(copy.join(&name))
                .unwrap_or_else(|err| panic!("plugins/sdk/wit/{name:?} is missing: {err}"));
            assert_eq!(
                actual, expected,
                "plugins/sdk/wit/{name:?} differs from wit/since_v0.1.0: copy it again"
            );
        }
        let copies = std::fs::read_dir(&copy)
            .expect("plugins/sdk/wit exists")
            .count();
        assert_eq!(
            copies,
            std::fs::read_dir(&frozen)
                .expect("wit/since_v0.1.0 exists")
                .count(),
            "extra files in plugins/sdk/wit"
        );
    }
}
