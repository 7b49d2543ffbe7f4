//! `GET /health` (operations §6.2): the `sync`, `connectivity` and `uniqueApi` checks, run
//! concurrently, assembled into `{status, info, error, details}`: up checks under `info`, down
//! checks under `error`, all under `details`; `"status":"ok"` (200) only when all are up.

mod connectivity;
mod ping;
mod sync_history;
mod targets;
mod unique_api;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value as Json, json};
use tokio::sync::watch;
use url::Url;

use crate::config::HealthSettings;
use crate::http_client::HttpClients;

pub use sync_history::{NO_RECORDS_MESSAGE, SyncHistory};
pub use targets::{ConfluenceKind, ConfluenceTarget, HealthTargets, HealthTenant, UniqueTarget};

/// Atlassian's API gateway, pinged when any active tenant is Cloud.
pub const ATLASSIAN_API_URL: &str = "https://api.atlassian.com/";

/// What one of the three checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub up: bool,
    /// The check's object in the `/health` body: `{"status":"up"|"down", ...}`.
    pub body: Json,
}

/// The answer of one health check.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// Every check is up: answer 200, else 503.
    pub healthy: bool,
    /// The JSON body.
    pub body: Json,
}

/// Runs the health checks against the current tenants.
pub struct HealthChecker {
    history: Arc<SyncHistory>,
    targets: watch::Receiver<HealthTargets>,
    clients: HttpClients,
    ping_timeout: Duration,
    atlassian_url: Url,
}

impl HealthChecker {
    /// `history` is the window the scheduler records into; `targets` is the view the service
    /// replaces on every tenant reload.
    pub fn new(
        history: Arc<SyncHistory>,
        targets: watch::Receiver<HealthTargets>,
        clients: HttpClients,
        settings: &HealthSettings,
    ) -> Self {
        Self {
            history,
            targets,
            clients,
            ping_timeout: settings.connectivity_timeout,
            // A constant that parses: a proven invariant.
            atlassian_url: Url::parse(ATLASSIAN_API_URL).expect("ATLASSIAN_API_URL is a valid URL"),
        }
    }

    /// Pings `url` instead of [`ATLASSIAN_API_URL`] (tests, air-gapped mirrors).
    pub fn with_atlassian_url(mut self, url: Url) -> Self {
        self.atlassian_url = url;
        self
    }

    /// Runs the three checks concurrently.
    pub async fn check(&self) -> HealthReport {
        // Clone out of the channel so no lock is held across the pings.
        let tenants = self.targets.borrow().tenants.clone();
        let (connectivity, unique_api) = tokio::join!(
            connectivity::check(
                &tenants,
                &self.clients.proxied,
                &self.atlassian_url,
                self.ping_timeout
            ),
            unique_api::check(&tenants, &self.clients, self.ping_timeout),
        );
        let sync = self.history.check();
        assemble([
            ("sync", sync.up, sync.body),
            ("connectivity", connectivity.up, connectivity.body),
            ("uniqueApi", unique_api.up, unique_api.body),
        ])
    }
}

fn assemble(checks: [(&str, bool, Json); 3]) -> HealthReport {
    let mut info = Map::new();
    let mut error = Map::new();
    let mut details = Map::new();
    let mut healthy = true;
    for (name, up, body) in checks {
        healthy &= up;
        details.insert(name.to_owned(), body.clone());
        if up {
            info.insert(name.to_owned(), body);
        } else {
            error.insert(name.to_owned(), body);
        }
    }
    HealthReport {
        healthy,
        body: json!({
            "status": if healthy { "ok" } else { "error" },
            "info": info,
            "error": error,
            "details": details,
        }),
    }
}
