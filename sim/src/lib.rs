//! Simulators of Confluence Cloud, Confluence Data Center and the Unique platform: real HTTP
//! servers that follow `shared/spec/`, seeded from a [`Scenario`], with fault injection, a
//! request log and a state dump. Start with [`Sim::start`]; see `README.md`.

// Handlers bail out early with a finished HTTP answer (`Result<_, Response>`); it is built
// only on the failing path, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod attachment_bytes;
pub mod clock;
pub mod confluence;
pub mod documents;
pub mod dump;
pub mod faults;
pub mod generator;
pub mod http_layer;
pub mod prng;
pub mod rate_limit;
pub mod request_log;
pub mod scenario;
pub mod server;
pub mod tokens;
pub mod unique;

use std::sync::{Mutex, MutexGuard};

pub use confluence::mutation::ConfluenceMutation;
pub use dump::StateDump;
pub use faults::{FaultAction, FaultRule};
pub use generator::CorpusSpec;
pub use request_log::{LoggedRequest, RequestLogSnapshot};
pub use scenario::Scenario;
pub use server::{Sim, SimOptions, SimUrls, StartError};

/// Locks a mutex, recovering the data if a panicking holder poisoned it: every critical
/// section here leaves the state consistent between statements, so the data stays usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
