//! The sandboxed plugin runtime: loads source plugins (WebAssembly components) and runs them
//! under memory, CPU and wall-clock limits, with no access to anything but the host's `http`
//! and `log` imports.
//!
//! Three phases (as in Spin's factors): [`PluginRuntime::new`] builds the engine and links the
//! imports once per process; [`PluginRuntime::load`] checks, compiles and describes one plugin
//! package; [`PluginRuntime::start_task`] creates a fresh store and instance for one task.

pub mod bindings;
mod cache;
mod catalog;
mod error;
mod guest_output;
mod limits;
pub mod manifest;
mod runtime;
mod state;
mod task;

pub use bindings::latest::source;
pub use cache::CacheOutcome;
pub use catalog::{PluginCatalog, PluginPackage};
pub use error::{
    FailureReason, LoadError, PluginError, describe_http_error, describe_source_error,
};
pub use limits::SandboxLimits;
pub use manifest::PluginManifest;
pub use runtime::{EPOCH_TICK, LoadedPlugin, PluginRuntime, RuntimeError, RuntimeSettings};
pub use state::{IdentifyingMask, TaskContext};
pub use task::{DiscoveryCursor, MAX_BATCH, MAX_FETCH_IDS, PluginTask};
