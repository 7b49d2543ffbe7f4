//! Bindings of `unique:connector@0.1.0` (frozen: `wit/since_v0.1.0/`).

wasmtime::component::bindgen!({
    path: "../wit/since_v0.1.0",
    world: "source-plugin",
    imports: { default: async },
    exports: { default: async },
});

/// The WIT package version these bindings implement.
pub const VERSION: &str = "0.1.0";

pub use exports::unique::connector::source;
pub use unique::connector::{http, log, types};
