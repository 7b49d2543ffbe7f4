//! `/metrics` over real loopback HTTP after recording values through the typed handles: metric
//! names, types, label values and histogram buckets as operations §7.1 lists them.

use std::collections::BTreeMap;
use std::time::Duration;

use connector_host::config::{PluginId, TenantName};
use connector_host::server::{self, Listener};
use connector_host::telemetry::metrics::{
    ConnectorMetrics, MetricsError, Outcome, PageOutcome, Phase, PluginCall, PluginCallResult,
    PluginReloadResult,
};
use prometheus::Registry;
use tokio_util::sync::CancellationToken;

fn name(text: &str) -> TenantName {
    TenantName::try_from(text).expect("tenant name")
}

fn plugin(text: &str) -> PluginId {
    PluginId::try_from(text).expect("plugin id")
}

/// One sample line of the text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse_samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("label=value");
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("numeric value"),
            }
        })
        .collect()
}

/// The value of the one sample named `name` with exactly `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name && s.labels == wanted)
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

/// The `le` values of a histogram's buckets for one label set (without `le`).
fn buckets(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Vec<String> {
    let bucket_name = format!("{name}_bucket");
    samples
        .iter()
        .filter(|s| {
            s.name == bucket_name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
                && s.labels.len() == labels.len() + 1
        })
        .map(|s| s.labels["le"].clone())
        .collect()
}

async fn scrape(registry: Registry) -> (String, String) {
    let listener = server::bind(Listener::Metrics, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    tokio::spawn(server::serve_metrics(listener, registry, shutdown));
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    (content_type, response.text().await.expect("body"))
}

#[tokio::test]
async fn scrape_shows_recorded_values_with_spec_names_labels_and_buckets() {
    let registry = Registry::new();
    let metrics = ConnectorMetrics::register(&registry).expect("register");
    let acme = metrics.tenant(&name("acme"));

    acme.set_phase(Phase::Scanning);
    acme.set_phase(Phase::IngestingAttachments);
    acme.observe_sync(Outcome::Success, Duration::from_secs(2400));
    acme.observe_sync(Outcome::Failure, Duration::from_secs(5));
    acme.observe_scan(Duration::from_millis(1500));
    acme.observe_attachment_upload(Duration::from_millis(700));
    acme.page_processed(PageOutcome::Success);
    acme.page_processed(PageOutcome::Success);
    acme.page_processed(PageOutcome::Skipped);
    acme.attachment_processed(Outcome::Failure);
    acme.content_deleted(Outcome::Success);
    acme.file_diff_events(3, 2, 1, 0);
    acme.file_diff_events(1, 0, 0, 4);
    acme.confluence_request(
        "https://acme.atlassian.net/wiki/rest/api/content/123/child/attachment?limit=50",
        Outcome::Success,
        Duration::from_millis(300),
    );
    acme.confluence_request(
        "/wiki/download/attachments/123/Secret%20plan.pdf",
        Outcome::Failure,
        Duration::from_secs(3),
    );
    acme.confluence_error(Some(404));
    acme.confluence_error(Some(503));
    acme.confluence_error(None);
    acme.throttle_event();
    acme.set_discovered(120, 37);
    acme.plugin_call(
        &plugin("confluence-cloud"),
        PluginCall::NextBatch,
        PluginCallResult::Timeout,
    );
    let gone = metrics.tenant(&name("gone"));
    gone.observe_cleanup(Outcome::Success, Duration::from_secs(90));
    gone.cleanup_content_deleted(Outcome::Success);
    gone.cleanup_scope_deleted(Outcome::Failure);
    gone.orphaned_scope_cleaned(Outcome::Success);
    gone.orphaned_files_cleaned(6);
    metrics
        .plugins()
        .reload(&plugin("confluence-cloud"), PluginReloadResult::Rejected);

    let (content_type, text) = scrape(registry).await;
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let samples = parse_samples(&text);

    for (name, kind) in [
        ("cfc_sync_duration_seconds", "histogram"),
        ("cfc_scan_duration_seconds", "histogram"),
        ("cfc_attachment_upload_duration_seconds", "histogram"),
        ("cfc_pages_processed_total", "counter"),
        ("cfc_attachments_processed_total", "counter"),
        ("cfc_content_deleted_total", "counter"),
        ("cfc_file_diff_events_total", "counter"),
        ("cfc_confluence_api_request_duration_seconds", "histogram"),
        ("cfc_confluence_api_throttle_events_total", "counter"),
        ("cfc_confluence_api_errors_total", "counter"),
        ("cfc_cleanup_duration_seconds", "histogram"),
        ("cfc_cleanup_content_deleted_total", "counter"),
        ("cfc_cleanup_scopes_deleted_total", "counter"),
        ("cfc_orphaned_scopes_cleaned_total", "counter"),
        ("cfc_orphaned_files_cleaned_total", "counter"),
        ("cfc_sync_phase", "gauge"),
        ("cfc_sync_pages_total", "gauge"),
        ("cfc_sync_attachments_total", "gauge"),
        ("cfc_plugin_calls_total", "counter"),
        ("cfc_plugin_reloads_total", "counter"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "missing `# TYPE {name} {kind}`"
        );
    }

    // Phase: 1 for the active one, 0 for the six others.
    for phase in Phase::ALL {
        let expected = if phase == Phase::IngestingAttachments {
            1.0
        } else {
            0.0
        };
        let labels = [("tenant", "acme"), ("phase", phase.as_str())];
        assert_eq!(
            value(&samples, "cfc_sync_phase", &labels),
            expected,
            "{phase:?}"
        );
    }

    // Sync durations reach past one hour: 40 minutes lands below le="3600", not only in +Inf.
    let success = [("tenant", "acme"), ("result", "success")];
    let sync_buckets = buckets(&samples, "cfc_sync_duration_seconds", &success);
    assert!(
        sync_buckets.iter().any(|le| le == "3600"),
        "{sync_buckets:?}"
    );
    assert_eq!(
        value(
            &samples,
            "cfc_sync_duration_seconds_bucket",
            &[("tenant", "acme"), ("result", "success"), ("le", "3600")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            "cfc_sync_duration_seconds_bucket",
            &[("tenant", "acme"), ("result", "success"), ("le", "1800")]
        ),
        0.0
    );
    assert_eq!(
        value(&samples, "cfc_sync_duration_seconds_sum", &success),
        2400.0
    );
    assert_eq!(
        value(&samples, "cfc_sync_duration_seconds_count", &success),
        1.0
    );
    let cleanup_buckets = buckets(
        &samples,
        "cfc_cleanup_duration_seconds",
        &[("tenant", "gone"), ("result", "success")],
    );
    assert!(
        cleanup_buckets.iter().any(|le| le == "3600"),
        "{cleanup_buckets:?}"
    );

    // Listed buckets, exactly.
    assert_eq!(
        buckets(
            &samples,
            "cfc_attachment_upload_duration_seconds",
            &[("tenant", "acme")]
        ),
        [
            "0.1", "0.2", "0.5", "1", "2", "3", "5", "10", "20", "30", "60", "+Inf"
        ]
    );
    let request_labels = [
        ("tenant", "acme"),
        ("endpoint", "/rest/api/content/{id}/child/attachment"),
        ("result", "success"),
    ];
    assert_eq!(
        buckets(
            &samples,
            "cfc_confluence_api_request_duration_seconds",
            &request_labels
        ),
        ["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"]
    );
    let download_labels = [
        ("tenant", "acme"),
        ("endpoint", "/download/attachments"),
        ("result", "failure"),
    ];
    assert_eq!(
        value(
            &samples,
            "cfc_confluence_api_request_duration_seconds_count",
            &download_labels
        ),
        1.0
    );
    assert!(!text.contains("Secret"), "no file name in any label");

    // Counters and their label values.
    let count = |name: &str, labels: &[(&str, &str)]| value(&samples, name, labels);
    assert_eq!(
        count(
            "cfc_pages_processed_total",
            &[("tenant", "acme"), ("result", "success")]
        ),
        2.0
    );
    assert_eq!(
        count(
            "cfc_pages_processed_total",
            &[("tenant", "acme"), ("result", "skipped")]
        ),
        1.0
    );
    assert_eq!(
        count(
            "cfc_attachments_processed_total",
            &[("tenant", "acme"), ("result", "failure")]
        ),
        1.0
    );
    assert_eq!(
        count(
            "cfc_content_deleted_total",
            &[("tenant", "acme"), ("result", "success")]
        ),
        1.0
    );
    for (kind, expected) in [
        ("new", 4.0),
        ("updated", 2.0),
        ("deleted", 1.0),
        ("moved", 4.0),
    ] {
        let labels = [("tenant", "acme"), ("diff_result_type", kind)];
        assert_eq!(
            count("cfc_file_diff_events_total", &labels),
            expected,
            "{kind}"
        );
    }
    for class in ["404", "5xx", "unknown"] {
        let labels = [("tenant", "acme"), ("http_status_class", class)];
        assert_eq!(
            count("cfc_confluence_api_errors_total", &labels),
            1.0,
            "{class}"
        );
    }
    assert_eq!(
        count(
            "cfc_confluence_api_throttle_events_total",
            &[("tenant", "acme")]
        ),
        1.0
    );
    assert_eq!(count("cfc_sync_pages_total", &[("tenant", "acme")]), 120.0);
    assert_eq!(
        count("cfc_sync_attachments_total", &[("tenant", "acme")]),
        37.0
    );
    assert_eq!(
        count(
            "cfc_cleanup_content_deleted_total",
            &[("tenant", "gone"), ("result", "success")]
        ),
        1.0
    );
    assert_eq!(
        count(
            "cfc_cleanup_scopes_deleted_total",
            &[("tenant", "gone"), ("result", "failure")]
        ),
        1.0
    );
    assert_eq!(
        count(
            "cfc_orphaned_scopes_cleaned_total",
            &[("tenant", "gone"), ("result", "success")]
        ),
        1.0
    );
    assert_eq!(
        count("cfc_orphaned_files_cleaned_total", &[("tenant", "gone")]),
        6.0
    );
    assert_eq!(
        count(
            "cfc_plugin_calls_total",
            &[
                ("tenant", "acme"),
                ("plugin", "confluence-cloud"),
                ("call", "next-batch"),
                ("result", "timeout")
            ]
        ),
        1.0
    );
    assert_eq!(
        count(
            "cfc_plugin_reloads_total",
            &[("plugin", "confluence-cloud"), ("result", "rejected")]
        ),
        1.0
    );
}

#[tokio::test]
async fn a_forgotten_tenant_loses_its_phase_and_discovery_gauges() {
    let registry = Registry::new();
    let metrics = ConnectorMetrics::register(&registry).expect("register");
    metrics.tenant(&name("gone")).set_phase(Phase::Deleting);
    metrics.tenant(&name("gone")).set_discovered(1, 1);
    metrics.tenant(&name("kept")).set_phase(Phase::Idle);
    metrics.forget_tenant(&name("gone"));

    let (_, text) = scrape(registry).await;
    assert!(!text.contains("tenant=\"gone\""), "{text}");
    let samples = parse_samples(&text);
    assert_eq!(
        value(
            &samples,
            "cfc_sync_phase",
            &[("tenant", "kept"), ("phase", "idle")]
        ),
        1.0
    );
}

#[test]
fn registering_twice_on_one_registry_names_the_metric() {
    let registry = Registry::new();
    ConnectorMetrics::register(&registry).expect("first registration");
    let error = ConnectorMetrics::register(&registry)
        .err()
        .expect("second registration fails");
    let MetricsError::Register { name, .. } = &error;
    assert_eq!(*name, "cfc_sync_duration_seconds");
    assert!(error.to_string().contains("cfc_sync_duration_seconds"));
}
