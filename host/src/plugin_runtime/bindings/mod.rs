//! Host bindings of every supported WIT version, one module per frozen version.
//!
//! Host code works with the newest version's types (re-exported as [`latest`]); an older
//! version's module adapts its types to those. Supporting a new version means adding a
//! `since_vX_Y_Z` module beside the old ones, never editing them.

pub mod since_v0_1_0;

/// The newest supported version; host code is written against it.
pub use since_v0_1_0 as latest;

/// Every WIT version of `unique:connector` this host can load, oldest first.
pub const SUPPORTED_VERSIONS: &[&str] = &[since_v0_1_0::VERSION];

/// The package whose `source` export identifies a source plugin.
pub const PACKAGE: &str = "unique:connector";
