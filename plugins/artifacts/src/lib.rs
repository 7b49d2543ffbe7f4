//! The workspace's Wasm plugins, built for `wasm32-wasip2` by this crate's build script.
//!
//! Each plugin is packaged as a directory with `plugin.wasm` and `plugin.toml`; the constants
//! below name those directories. First-party plugins are also embedded for the host binary.

/// A plugin compiled into the host binary.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedPlugin {
    /// The packaged `plugin.toml` (with the component's sha256).
    pub manifest: &'static str,
    /// The component bytes.
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
