//! Tools for plugin authors and operators: [`inspect`] tells what a plugin package declares, and
//! [`check`] runs it against a source under tightened sandbox limits and reports every contract
//! violation it saw as a sentence, with an overall PASS or FAIL.

mod check;
mod contract;
mod inspect;
mod report;

pub use check::{CheckTarget, check};
pub use contract::DiscoveryLedger;
pub use inspect::{InspectReport, inspect};
pub use report::{CheckReport, Verdict};

use std::path::PathBuf;

/// Why a plugin could not be inspected or checked at all (as opposed to a finding about it).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot create the plugin runtime: {0}")]
    Runtime(#[from] crate::plugin_runtime::RuntimeError),
    #[error("{location}: cannot read the plugin package: {reason}")]
    Package { location: PathBuf, reason: String },
    #[error("cannot build the HTTP client for the check: {0}")]
    HttpClient(String),
}
