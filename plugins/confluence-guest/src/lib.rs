//! The guest side shared by the `confluence-cloud` and `confluence-data-center` plugins: it
//! implements the WIT `session` and `discovery` resources by driving `confluence-core`'s sans-IO
//! state machines with the host's `http` import, maps core values to WIT values, and logs core
//! notices through the host's `log` import.
//!
//! A plugin crate only names itself and the instance type it serves:
//!
//! ```ignore
//! struct ConfluenceCloud;
//!
//! impl ConfluencePlugin for ConfluenceCloud {
//!     const ID: &'static str = "confluence-cloud";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     const DESCRIPTION: &'static str = "Confluence Cloud pages, ...";
//!     const INSTANCE_TYPE: InstanceType = InstanceType::Cloud;
//! }
//!
//! impl Guest for ConfluenceCloud {
//!     type Session = ConfluenceSession<Self>;
//!     type Discovery = ConfluenceDiscovery;
//!     fn describe() -> PluginInfo { confluence_guest::describe::<Self>() }
//! }
//!
//! connector_plugin_sdk::export!(ConfluenceCloud);
//! ```
//!
//! Everything that talks to the host (`transport`, `session`, the logging half of `notices`)
//! is thin; the logic (settings, drivers, batching, mappings) takes plain values and closures,
//! so it is unit-tested natively.

#![deny(missing_docs)]

mod discovery;
mod driver;
#[cfg(feature = "manifest-check")]
mod manifest_check;
mod notices;
mod session;
mod session_settings;
mod source_error;
mod transport;
mod wit_mapping;

use connector_plugin_sdk::source::{Capabilities, PluginInfo};

pub use confluence_core::config::InstanceType;
pub use discovery::ConfluenceDiscovery;
#[cfg(feature = "manifest-check")]
pub use manifest_check::manifest_mismatches;
pub use session::ConfluenceSession;

/// What tells one Confluence plugin from the other. Must agree with the crate's `plugin.toml`.
pub trait ConfluencePlugin: 'static {
    /// Plugin id, e.g. `confluence-cloud`.
    const ID: &'static str;
    /// The plugin's version, `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;
    /// One-line description for operators.
    const DESCRIPTION: &'static str;
    /// The `instanceType` of the configs this plugin serves; others are refused at `open`.
    const INSTANCE_TYPE: InstanceType;
}

/// The plugin's `describe` answer: attachments and image inlining, and the config schema of
/// `confluence-core`.
pub fn describe<P: ConfluencePlugin>() -> PluginInfo {
    PluginInfo {
        id: P::ID.to_owned(),
        version: P::VERSION.to_owned(),
        description: P::DESCRIPTION.to_owned(),
        capabilities: Capabilities::ATTACHMENTS | Capabilities::IMAGE_INLINING,
        config_schema: Some(confluence_core::config::CONFIG_SCHEMA.to_owned()),
    }
}
