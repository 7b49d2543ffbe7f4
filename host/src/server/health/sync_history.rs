//! The `sync` health check's memory (operations §6.2): per tenant, the results of its last N
//! finished cycles. A tenant is failing when its failure ratio is strictly above the threshold.

use std::collections::{BTreeMap, VecDeque};
use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::CheckOutcome;
use crate::config::{HealthSettings, TenantName};
use crate::telemetry::Outcome;

/// Message of the check before any cycle finished.
pub const NO_RECORDS_MESSAGE: &str = "No sync records yet";

/// Recent cycle results of every tenant. Shared (`Arc`) between the scheduler, which records,
/// and the health endpoint, which reads.
#[derive(Debug)]
pub struct SyncHistory {
    window_size: NonZeroUsize,
    failure_threshold: f64,
    windows: Mutex<BTreeMap<TenantName, TenantWindow>>,
}

#[derive(Debug, Default)]
struct TenantWindow {
    /// Oldest first; at most `window_size` entries.
    results: VecDeque<Outcome>,
    last_recorded_at: Option<DateTime<Utc>>,
}

impl SyncHistory {
    /// Keeps `window_size` results per tenant; a tenant fails when failures / total is strictly
    /// greater than `failure_threshold`.
    pub fn new(window_size: NonZeroUsize, failure_threshold: f64) -> Self {
        Self {
            window_size,
            failure_threshold,
            windows: Mutex::default(),
        }
    }

    /// `HEALTH_SYNC_HISTORY_SIZE` and `HEALTH_SYNC_TENANT_FAILURE_THRESHOLD`.
    pub fn from_settings(settings: &HealthSettings) -> Self {
        Self::new(
            settings.sync_history_size,
            settings.tenant_failure_threshold,
        )
    }

    /// Records a finished cycle of an active tenant, now. Skipped ticks and deleted-tenant
    /// cleanups are not recorded.
    pub fn record(&self, tenant: &TenantName, result: Outcome) {
        self.record_at(tenant, result, Utc::now());
    }

    /// [`Self::record`] at a given time.
    pub fn record_at(&self, tenant: &TenantName, result: Outcome, at: DateTime<Utc>) {
        let mut windows = self.lock();
        let window = windows.entry(tenant.clone()).or_default();
        if window.results.len() == self.window_size.get() {
            window.results.pop_front();
        }
        window.results.push_back(result);
        window.last_recorded_at = Some(window.last_recorded_at.map_or(at, |last| last.max(at)));
    }

    /// Drops a tenant's window (the tenant was removed by a reload).
    pub fn forget(&self, tenant: &TenantName) {
        self.lock().remove(tenant);
    }

    /// The `sync` check.
    pub fn check(&self) -> CheckOutcome {
        let windows = self.lock();
        if windows.is_empty() {
            return CheckOutcome {
                up: true,
                body: json!({ "status": "up", "message": NO_RECORDS_MESSAGE }),
            };
        }
        let mut tenants = serde_json::Map::new();
        let mut failing_tenants = Vec::new();
        for (name, window) in windows.iter() {
            let total = window.results.len();
            let failures = window
                .results
                .iter()
                .filter(|result| **result == Outcome::Failure)
                .count();
            if failures as f64 / total as f64 > self.failure_threshold {
                failing_tenants.push(name.as_str());
            }
            tenants.insert(
                name.as_str().to_owned(),
                json!({ "failures": failures, "total": total }),
            );
        }
        let last_sync_at = windows
            .values()
            .filter_map(|window| window.last_recorded_at)
            .max()
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true));

        let up = failing_tenants.is_empty();
        let mut body = json!({
            "status": if up { "up" } else { "down" },
            "lastSyncAt": last_sync_at,
            "tenants": tenants,
        });
        if !up {
            body["threshold"] = json!(self.failure_threshold);
            body["failingTenants"] = json!(failing_tenants);
        }
        CheckOutcome { up, body }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TenantName, TenantWindow>> {
        // The map stays consistent even if a holder panicked: every update is a single step.
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantName {
        TenantName::try_from(name).expect("valid tenant name")
    }

    fn history(size: usize, threshold: f64) -> SyncHistory {
        SyncHistory::new(NonZeroUsize::new(size).expect("non-zero"), threshold)
    }

    #[test]
    fn the_window_keeps_only_the_newest_results() {
        let history = history(3, 0.5);
        let acme = tenant("acme");
        for _ in 0..3 {
            history.record(&acme, Outcome::Failure);
        }
        assert!(!history.check().up);
        for _ in 0..2 {
            history.record(&acme, Outcome::Success);
        }
        let check = history.check();
        assert!(check.up, "{}", check.body);
        assert_eq!(
            check.body["tenants"]["acme"],
            json!({"failures": 1, "total": 3})
        );
    }

    #[test]
    fn a_ratio_equal_to_the_threshold_is_not_failing() {
        let history = history(5, 0.5);
        let acme = tenant("acme");
        for result in [
            Outcome::Failure,
            Outcome::Failure,
            Outcome::Success,
            Outcome::Success,
        ] {
            history.record(&acme, result);
        }
        assert!(history.check().up);
        history.record(&acme, Outcome::Failure);
        assert!(!history.check().up);
    }

    #[test]
    fn a_forgotten_tenant_no_longer_counts() {
        let history = history(5, 0.5);
        let gone = tenant("gone");
        history.record(&gone, Outcome::Failure);
        assert!(!history.check().up);
        history.forget(&gone);
        assert_eq!(history.check().body["message"], NO_RECORDS_MESSAGE);
    }
}
