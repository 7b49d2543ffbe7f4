//! The connector's Prometheus metrics (operations §7.1) and a few `cfc_plugin_*` metrics of the
//! plugin runtime. [`ConnectorMetrics`] registers them all on a shared [`Registry`]; the sync
//! engine works through a per-tenant [`TenantMetrics`] handle whose methods take typed values, so
//! every label value comes from a closed set (or from [`endpoint_label`]).

mod labels;
mod plugin;

use std::time::Duration;

use prometheus::{CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry};

use crate::config::{PluginId, TenantName};

pub use labels::{
    DOWNLOAD_ENDPOINT, MANIFEST_ENDPOINT, OTHER_ENDPOINT, endpoint_label, status_class,
};
pub use plugin::{PluginCall, PluginCallResult, PluginMetrics, PluginReloadResult};

/// Why the metrics could not be registered (a name registered twice on one registry).
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot register metric {name}")]
    Register {
        name: &'static str,
        #[source]
        source: prometheus::Error,
    },
}

/// `result` of a cycle, a cleanup, an attachment, a deletion or a Confluence request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// `result` of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    Success,
    Failure,
    Skipped,
}

impl PageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Skipped => "skipped",
        }
    }
}

/// The step a tenant's cycle is in (`cfc_sync_phase`, sync-flow §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Scanning,
    Diffing,
    IngestingPages,
    IngestingAttachments,
    Deleting,
    CleaningUp,
}

impl Phase {
    pub const ALL: [Self; 7] = [
        Self::Idle,
        Self::Scanning,
        Self::Diffing,
        Self::IngestingPages,
        Self::IngestingAttachments,
        Self::Deleting,
        Self::CleaningUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Scanning => "scanning",
            Self::Diffing => "diffing",
            Self::IngestingPages => "ingesting_pages",
            Self::IngestingAttachments => "ingesting_attachments",
            Self::Deleting => "deleting",
            Self::CleaningUp => "cleaning_up",
        }
    }
}

/// Whole cycles and cleanups: from one second to two hours, so a long first sync still lands in a
/// bucket below `+Inf` (the spec asks for at least one hour).
const CYCLE_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0,
];
/// Discovery of one tenant.
const SCAN_BUCKETS: &[f64] = &[
    0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];
/// Listed in operations §7.1.
const UPLOAD_BUCKETS: &[f64] = &[0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0];
/// Listed in operations §7.1.
const CONFLUENCE_REQUEST_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Every connector metric, registered once per process. Cheap to clone (the metric families are
/// shared).
#[derive(Clone)]
pub struct ConnectorMetrics {
    sync_duration: HistogramVec,
    scan_duration: HistogramVec,
    attachment_upload_duration: HistogramVec,
    pages_processed: CounterVec,
    attachments_processed: CounterVec,
    content_deleted: CounterVec,
    file_diff_events: CounterVec,
    confluence_request_duration: HistogramVec,
    confluence_throttle_events: CounterVec,
    confluence_errors: CounterVec,
    cleanup_duration: HistogramVec,
    cleanup_content_deleted: CounterVec,
    cleanup_scopes_deleted: CounterVec,
    orphaned_scopes_cleaned: CounterVec,
    orphaned_files_cleaned: CounterVec,
    sync_phase: GaugeVec,
    discovered_pages: GaugeVec,
    discovered_attachments: GaugeVec,
    plugin: PluginMetrics,
}

impl ConnectorMetrics {
    /// Creates every metric and registers it on `registry` (the one `/metrics` serves).
    pub fn register(registry: &Registry) -> Result<Self, MetricsError> {
        let mut on = Registrar { registry };
        Ok(Self {
            sync_duration: on.histogram(
                "cfc_sync_duration_seconds",
                "Duration of one whole sync cycle of a tenant.",
                &["tenant", "result"],
                CYCLE_BUCKETS,
            )?,
            scan_duration: on.histogram(
                "cfc_scan_duration_seconds",
                "Duration of discovery (scanning the source) in a cycle.",
                &["tenant"],
                SCAN_BUCKETS,
            )?,
            attachment_upload_duration: on.histogram(
                "cfc_attachment_upload_duration_seconds",
                "Duration of one attachment upload to Unique.",
                &["tenant"],
                UPLOAD_BUCKETS,
            )?,
            pages_processed: on.counter(
                "cfc_pages_processed_total",
                "Pages processed, by result.",
                &["tenant", "result"],
            )?,
            attachments_processed: on.counter(
                "cfc_attachments_processed_total",
                "Attachments processed, by result.",
                &["tenant", "result"],
            )?,
            content_deleted: on.counter(
                "cfc_content_deleted_total",
                "Contents deleted because the file diff reported them deleted.",
                &["tenant", "result"],
            )?,
            file_diff_events: on.counter(
                "cfc_file_diff_events_total",
                "Items reported by file-diff answers, by kind.",
                &["tenant", "diff_result_type"],
            )?,
            confluence_request_duration: on.histogram(
                "cfc_confluence_api_request_duration_seconds",
                "Duration of Confluence API requests, by endpoint and result.",
                &["tenant", "endpoint", "result"],
                CONFLUENCE_REQUEST_BUCKETS,
            )?,
            confluence_throttle_events: on.counter(
                "cfc_confluence_api_throttle_events_total",
                "Times the Confluence rate limiter made a request wait, or a 429 paused it.",
                &["tenant"],
            )?,
            confluence_errors: on.counter(
                "cfc_confluence_api_errors_total",
                "Failed Confluence API requests, by HTTP status class.",
                &["tenant", "http_status_class"],
            )?,
            cleanup_duration: on.histogram(
                "cfc_cleanup_duration_seconds",
                "Duration of one cleanup of a deleted tenant.",
                &["tenant", "result"],
                CYCLE_BUCKETS,
            )?,
            cleanup_content_deleted: on.counter(
                "cfc_cleanup_content_deleted_total",
                "Contents deleted by deleted-tenant cleanups.",
                &["tenant", "result"],
            )?,
            cleanup_scopes_deleted: on.counter(
                "cfc_cleanup_scopes_deleted_total",
                "Scopes deleted by deleted-tenant cleanups.",
                &["tenant", "result"],
            )?,
            orphaned_scopes_cleaned: on.counter(
                "cfc_orphaned_scopes_cleaned_total",
                "Orphaned space scopes cleaned up.",
                &["tenant", "result"],
            )?,
            orphaned_files_cleaned: on.counter(
                "cfc_orphaned_files_cleaned_total",
                "Files deleted from orphaned space scopes.",
                &["tenant"],
            )?,
            sync_phase: on.gauge(
                "cfc_sync_phase",
                "1 for the phase a tenant's cycle is in, 0 for the others.",
                &["tenant", "phase"],
            )?,
            discovered_pages: on.gauge(
                "cfc_sync_pages_total",
                "Content items found by the tenant's latest discovery.",
                &["tenant"],
            )?,
            discovered_attachments: on.gauge(
                "cfc_sync_attachments_total",
                "Attachments kept by the tenant's latest discovery.",
                &["tenant"],
            )?,
            plugin: PluginMetrics::register(&mut on)?,
        })
    }

    /// The handle the sync engine uses for one tenant. Cheap; make one per cycle or keep it.
    pub fn tenant(&self, tenant: &TenantName) -> TenantMetrics {
        TenantMetrics {
            metrics: self.clone(),
            tenant: tenant.as_str().to_owned(),
        }
    }

    /// The plugin runtime's metrics.
    pub fn plugins(&self) -> &PluginMetrics {
        &self.plugin
    }

    /// Drops the gauges of a tenant removed by a reload, so it does not look stuck in a phase.
    /// Counters and histograms stay: they are cumulative and scrapers expect them to persist.
    pub fn forget_tenant(&self, tenant: &TenantName) {
        let tenant = tenant.as_str();
        for phase in Phase::ALL {
            // An error only means the series was never set.
            let _ = self
                .sync_phase
                .remove_label_values(&[tenant, phase.as_str()]);
        }
        let _ = self.discovered_pages.remove_label_values(&[tenant]);
        let _ = self.discovered_attachments.remove_label_values(&[tenant]);
    }
}

/// The metrics of one tenant; every series it touches carries `tenant=<name>`.
#[derive(Clone)]
pub struct TenantMetrics {
    metrics: ConnectorMetrics,
    tenant: String,
}

impl TenantMetrics {
    /// Sets `phase` to 1 and every other phase to 0.
    pub fn set_phase(&self, phase: Phase) {
        for each in Phase::ALL {
            let value = if each == phase { 1.0 } else { 0.0 };
            self.metrics
                .sync_phase
                .with_label_values(&[self.tenant.as_str(), each.as_str()])
                .set(value);
        }
    }

    /// One whole cycle ended.
    pub fn observe_sync(&self, result: Outcome, duration: Duration) {
        self.metrics
            .sync_duration
            .with_label_values(&[self.tenant.as_str(), result.as_str()])
            .observe(duration.as_secs_f64());
    }

    /// Discovery ended.
    pub fn observe_scan(&self, duration: Duration) {
        self.metrics
            .scan_duration
            .with_label_values(&[self.tenant.as_str()])
            .observe(duration.as_secs_f64());
    }

    /// One attachment upload (U2) ended.
    pub fn observe_attachment_upload(&self, duration: Duration) {
        self.metrics
            .attachment_upload_duration
            .with_label_values(&[self.tenant.as_str()])
            .observe(duration.as_secs_f64());
    }

    pub fn page_processed(&self, result: PageOutcome) {
        self.inc(&self.metrics.pages_processed, result.as_str());
    }

    pub fn attachment_processed(&self, result: Outcome) {
        self.inc(&self.metrics.attachments_processed, result.as_str());
    }

    /// A content item the file diff reported deleted was deleted (or failed to be).
    pub fn content_deleted(&self, result: Outcome) {
        self.inc(&self.metrics.content_deleted, result.as_str());
    }

    /// Adds the counts of one file-diff answer.
    pub fn file_diff_events(&self, new: u64, updated: u64, deleted: u64, moved: u64) {
        for (kind, count) in [
            ("new", new),
            ("updated", updated),
            ("deleted", deleted),
            ("moved", moved),
        ] {
            self.metrics
                .file_diff_events
                .with_label_values(&[self.tenant.as_str(), kind])
                .inc_by(count as f64);
        }
    }

    /// One Confluence request ended. `path_or_url` is normalised with [`endpoint_label`], so it
    /// may be the raw request path or URL.
    pub fn confluence_request(&self, path_or_url: &str, result: Outcome, duration: Duration) {
        let endpoint = endpoint_label(path_or_url);
        self.metrics
            .confluence_request_duration
            .with_label_values(&[self.tenant.as_str(), endpoint.as_str(), result.as_str()])
            .observe(duration.as_secs_f64());
    }

    /// A Confluence request failed for good; `status` is `None` for a transport error.
    pub fn confluence_error(&self, status: Option<u16>) {
        self.inc(&self.metrics.confluence_errors, &status_class(status));
    }

    /// The Confluence limiter became empty with a request waiting, or a 429 paused it.
    pub fn throttle_event(&self) {
        self.metrics
            .confluence_throttle_events
            .with_label_values(&[self.tenant.as_str()])
            .inc();
    }

    /// One deleted-tenant cleanup ended.
    pub fn observe_cleanup(&self, result: Outcome, duration: Duration) {
        self.metrics
            .cleanup_duration
            .with_label_values(&[self.tenant.as_str(), result.as_str()])
            .observe(duration.as_secs_f64());
    }

    pub fn cleanup_content_deleted(&self, result: Outcome) {
        self.inc(&self.metrics.cleanup_content_deleted, result.as_str());
    }

    pub fn cleanup_scope_deleted(&self, result: Outcome) {
        self.inc(&self.metrics.cleanup_scopes_deleted, result.as_str());
    }

    pub fn orphaned_scope_cleaned(&self, result: Outcome) {
        self.inc(&self.metrics.orphaned_scopes_cleaned, result.as_str());
    }

    pub fn orphaned_files_cleaned(&self, count: u64) {
        self.metrics
            .orphaned_files_cleaned
            .with_label_values(&[self.tenant.as_str()])
            .inc_by(count as f64);
    }

    /// What the latest discovery found.
    pub fn set_discovered(&self, pages: u64, attachments: u64) {
        self.metrics
            .discovered_pages
            .with_label_values(&[self.tenant.as_str()])
            .set(pages as f64);
        self.metrics
            .discovered_attachments
            .with_label_values(&[self.tenant.as_str()])
            .set(attachments as f64);
    }

    /// One plugin call of this tenant ended.
    pub fn plugin_call(&self, plugin: &PluginId, call: PluginCall, result: PluginCallResult) {
        self.metrics.plugin.call(&self.tenant, plugin, call, result);
    }

    fn inc(&self, counter: &CounterVec, result: &str) {
        counter
            .with_label_values(&[self.tenant.as_str(), result])
            .inc();
    }
}

/// Creates metric families and registers them, naming the metric when that fails.
struct Registrar<'r> {
    registry: &'r Registry,
}

impl Registrar<'_> {
    fn register<M: prometheus::core::Collector + Clone + 'static>(
        &mut self,
        name: &'static str,
        created: Result<M, prometheus::Error>,
    ) -> Result<M, MetricsError> {
        let metric = created.map_err(|source| MetricsError::Register { name, source })?;
        self.registry
            .register(Box::new(metric.clone()))
            .map_err(|source| MetricsError::Register { name, source })?;
        Ok(metric)
    }

    fn counter(
        &mut self,
        name: &'static str,
        help: &str,
        labels: &[&str],
    ) -> Result<CounterVec, MetricsError> {
        self.register(name, CounterVec::new(Opts::new(name, help), labels))
    }

    fn gauge(
        &mut self,
        name: &'static str,
        help: &str,
        labels: &[&str],
    ) -> Result<GaugeVec, MetricsError> {
        self.register(name, GaugeVec::new(Opts::new(name, help), labels))
    }

    fn histogram(
        &mut self,
        name: &'static str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> Result<HistogramVec, MetricsError> {
        let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
        self.register(name, HistogramVec::new(opts, labels))
    }
}
