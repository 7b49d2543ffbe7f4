//! The Unique client metrics of operations.md §7.2: five `confluence_connector_unique_api_*`
//! families, registered once on the service's registry and shared by every tenant's client. The
//! `tenant` label is always the real tenant name.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use crate::auth::RefreshHook;

/// Request-duration buckets, in milliseconds.
const DURATION_BUCKETS_MS: [f64; 14] = [
    5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 30_000.0,
    60_000.0, 120_000.0,
];

/// Slow-request thresholds, highest first: a request is counted once, in the highest it exceeds.
const SLOW_BUCKETS: [(Duration, &str); 4] = [
    (Duration::from_secs(10), ">10s"),
    (Duration::from_secs(5), ">5s"),
    (Duration::from_secs(2), ">2s"),
    (Duration::from_secs(1), ">1s"),
];

/// Whether a request succeeded, for the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestResult {
    Success,
    Error,
}

impl RequestResult {
    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
        }
    }
}

/// One observed request attempt.
#[derive(Debug, Clone, Copy)]
pub struct RequestObservation<'a> {
    pub tenant: &'a str,
    /// `graphql:{ingestion|scopeManagement}:{OperationName}` or `rest:ingestion:file-diff`.
    pub operation: &'a str,
    /// `ingestion` or `scopeManagement`.
    pub target: &'a str,
    pub result: RequestResult,
    /// `None` when no answer arrived (transport error, no credentials).
    pub status: Option<u16>,
    pub duration: Duration,
}

/// The metric families. Register once per registry with [`UniqueMetrics::register`] and share it
/// (`Arc`) between tenants.
#[derive(Debug, Clone)]
pub struct UniqueMetrics {
    requests: IntCounterVec,
    errors: IntCounterVec,
    duration_ms: HistogramVec,
    slow_requests: IntCounterVec,
    token_refreshes: IntCounterVec,
}

impl UniqueMetrics {
    /// Creates the five families and registers them on `registry`. Fails if they are already
    /// registered there.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                "confluence_connector_unique_api_requests_total",
                "Requests to the Unique API, by operation, target, result and status class.",
            ),
            &[
                "tenant",
                "operation",
                "target",
                "result",
                "status_code_class",
            ],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "confluence_connector_unique_api_errors_total",
                "Failed requests to the Unique API, by operation, target and status class.",
            ),
            &["tenant", "operation", "target", "status_code_class"],
        )?;
        let duration_ms = HistogramVec::new(
            HistogramOpts::new(
                "confluence_connector_unique_api_request_duration_ms",
                "Duration of Unique API requests in milliseconds.",
            )
            .buckets(DURATION_BUCKETS_MS.to_vec()),
            &["tenant", "operation", "target", "result"],
        )?;
        let slow_requests = IntCounterVec::new(
            Opts::new(
                "confluence_connector_unique_api_slow_requests_total",
                "Unique API requests slower than 1 s, counted once in the highest bucket exceeded.",
            ),
            &["tenant", "operation", "target", "duration_bucket"],
        )?;
        let token_refreshes = IntCounterVec::new(
            Opts::new(
                "confluence_connector_unique_api_auth_token_refresh_total",
                "Successful Zitadel token fetches.",
            ),
            &["tenant"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration_ms.clone()))?;
        registry.register(Box::new(slow_requests.clone()))?;
        registry.register(Box::new(token_refreshes.clone()))?;
        Ok(Self {
            requests,
            errors,
            duration_ms,
            slow_requests,
            token_refreshes,
        })
    }

    /// Records one request attempt in the request, error, duration and slow-request families.
    pub fn observe(&self, request: &RequestObservation<'_>) {
        let RequestObservation {
            tenant,
            operation,
            target,
            result,
            status,
            duration,
        } = *request;
        let status_class = status_code_class(status);
        self.requests
            .with_label_values(&[tenant, operation, target, result.label(), status_class])
            .inc();
        if result == RequestResult::Error {
            self.errors
                .with_label_values(&[tenant, operation, target, status_class])
                .inc();
        }
        self.duration_ms
            .with_label_values(&[tenant, operation, target, result.label()])
            .observe(duration.as_secs_f64() * 1_000.0);
        if let Some(bucket) = slow_bucket(duration) {
            self.slow_requests
                .with_label_values(&[tenant, operation, target, bucket])
                .inc();
        }
    }

    /// A hook for [`crate::auth::ZitadelAuth::with_refresh_hook`] that counts `tenant`'s token
    /// refreshes. Creating it makes the tenant's counter visible at 0.
    pub fn token_refresh_hook(&self, tenant: &str) -> RefreshHook {
        let counter = self.token_refreshes.with_label_values(&[tenant]);
        std::sync::Arc::new(move || counter.inc())
    }
}

/// `2xx`, `3xx`, `4xx`, `5xx`, or `unknown` (no answer, or a status outside 200–599).
fn status_code_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        _ => "unknown",
    }
}

/// The highest slow bucket `duration` exceeds, if any.
fn slow_bucket(duration: Duration) -> Option<&'static str> {
    SLOW_BUCKETS
        .iter()
        .find(|(threshold, _)| duration > *threshold)
        .map(|(_, label)| *label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_requests_land_in_the_highest_bucket_exceeded_only() {
        assert_eq!(slow_bucket(Duration::from_millis(1_000)), None);
        assert_eq!(slow_bucket(Duration::from_millis(1_001)), Some(">1s"));
        assert_eq!(slow_bucket(Duration::from_millis(2_500)), Some(">2s"));
        assert_eq!(slow_bucket(Duration::from_secs(7)), Some(">5s"));
        assert_eq!(slow_bucket(Duration::from_secs(600)), Some(">10s"));
    }

    #[test]
    fn status_classes_follow_the_spec() {
        assert_eq!(status_code_class(Some(204)), "2xx");
        assert_eq!(status_code_class(Some(302)), "3xx");
        assert_eq!(status_code_class(Some(429)), "4xx");
        assert_eq!(status_code_class(Some(503)), "5xx");
        assert_eq!(status_code_class(None), "unknown");
        assert_eq!(status_code_class(Some(103)), "unknown");
    }

    #[test]
    fn registering_twice_on_one_registry_fails() {
        let registry = Registry::new();
        UniqueMetrics::register(&registry).expect("first registration");
        assert!(UniqueMetrics::register(&registry).is_err());
    }
}
