//! The Unique client metrics (operations.md §7.2) as a Prometheus scrape shows them after real
//! calls: real tenant names, operation and target labels, errors by status class, token refreshes.

mod unique_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use connector_host::unique::{FileDiffRequest, SourceKind, UniqueMetrics};
use prometheus::{Registry, TextEncoder};
use serde_json::json;
use unique_support::{FakeService, Reply, client_with, cluster_local_auth, external_auth};

fn scrape(registry: &Registry) -> String {
    TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode")
}

/// The value of the sample line that starts with `series` (name and labels as printed).
fn sample(scraped: &str, series: &str) -> Option<f64> {
    scraped
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn scrape_shows_tenant_operation_target_result_and_status_class() {
    let first_g3 = Arc::new(AtomicUsize::new(0));
    let service = FakeService::start(move |request| {
        if request.path.ends_with("/file-diff") {
            return Reply::json(json!({}));
        }
        match request.operation_name().as_str() {
            "User" => Reply::data("me", json!({"user": {"id": "u"}})),
            "UpdateScope" => Reply::json(json!({"errors": [{"message": "denied"}], "data": null})),
            _ if first_g3.fetch_add(1, Ordering::SeqCst) == 0 => Reply::status(503),
            _ => Reply::data("paginatedScope", json!({"totalCount": 0, "nodes": []})),
        }
    })
    .await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
    );

    client.me().await.expect("me");
    client.scope_by_id("s").await.expect("retried read");
    client
        .set_external_id("s", None)
        .await
        .expect_err("graphql errors");
    client
        .file_diff(&FileDiffRequest {
            partial_key: "acme/1_ENG".into(),
            source_kind: SourceKind::ConfluenceCloud,
            source_name: "https://acme.atlassian.net".into(),
            file_list: vec![],
        })
        .await
        .expect("diff");

    let scraped = scrape(&registry);
    let requests = "confluence_connector_unique_api_requests_total";
    let expectations = [
        (
            format!(r#"{requests}{{operation="graphql:scopeManagement:User",result="success",status_code_class="2xx",target="scopeManagement",tenant="acme"}}"#),
            1.0,
        ),
        (
            format!(r#"{requests}{{operation="graphql:ingestion:PaginatedScope",result="error",status_code_class="5xx",target="ingestion",tenant="acme"}}"#),
            1.0,
        ),
        (
            format!(r#"{requests}{{operation="graphql:ingestion:PaginatedScope",result="success",status_code_class="2xx",target="ingestion",tenant="acme"}}"#),
            1.0,
        ),
        (
            format!(r#"{requests}{{operation="graphql:ingestion:UpdateScope",result="error",status_code_class="2xx",target="ingestion",tenant="acme"}}"#),
            1.0,
        ),
        (
            format!(r#"{requests}{{operation="rest:ingestion:file-diff",result="success",status_code_class="2xx",target="ingestion",tenant="acme"}}"#),
            1.0,
        ),
        (
            r#"confluence_connector_unique_api_errors_total{operation="graphql:ingestion:PaginatedScope",status_code_class="5xx",target="ingestion",tenant="acme"}"#.to_owned(),
            1.0,
        ),
        (
            r#"confluence_connector_unique_api_request_duration_ms_count{operation="graphql:ingestion:PaginatedScope",result="success",target="ingestion",tenant="acme"}"#.to_owned(),
            1.0,
        ),
    ];
    for (series, value) in expectations {
        assert_eq!(
            sample(&scraped, &series),
            Some(value),
            "{series}\n{scraped}"
        );
    }
    assert!(
        scraped.contains("# TYPE confluence_connector_unique_api_request_duration_ms histogram"),
        "{scraped}"
    );
    assert!(!scraped.contains("tenant=\"\""), "{scraped}");
}

#[tokio::test]
async fn token_refreshes_are_counted_per_tenant() {
    let service = FakeService::start(|_| Reply::data("me", json!({"user": {"id": "u"}}))).await;
    let (auth, token_calls) = external_auth("token-1").await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        auth,
        &metrics,
    );
    let series = r#"confluence_connector_unique_api_auth_token_refresh_total{tenant="acme"}"#;
    assert_eq!(
        sample(&scrape(&registry), series),
        Some(0.0),
        "visible before any refresh"
    );

    client.me().await.expect("me");
    client.me().await.expect("me, cached token");

    assert_eq!(token_calls.load(Ordering::SeqCst), 1);
    assert_eq!(sample(&scrape(&registry), series), Some(1.0));
}

#[tokio::test]
async fn a_slow_request_is_counted_once_in_the_highest_bucket_it_exceeds() {
    let service = FakeService::start(|_| {
        let mut reply = Reply::data("me", json!({"user": {"id": "u"}}));
        reply.delay = std::time::Duration::from_millis(1_200);
        reply
    })
    .await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
    );
    client.me().await.expect("me");

    let scraped = scrape(&registry);
    let slow = |bucket: &str| {
        sample(
            &scraped,
            &format!(
                r#"confluence_connector_unique_api_slow_requests_total{{duration_bucket="{bucket}",operation="graphql:scopeManagement:User",target="scopeManagement",tenant="acme"}}"#
            ),
        )
    };
    assert_eq!(slow(">1s"), Some(1.0), "{scraped}");
    assert_eq!(slow(">2s"), None, "{scraped}");
}
