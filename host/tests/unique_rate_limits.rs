//! The tenant's three Unique limiters (operations.md §3): scope-management GraphQL (G1),
//! ingestion GraphQL (G2–G12) and ingestion REST (U1) never share tokens; uploads take none.

mod unique_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use connector_host::unique::{FileDiffRequest, SignedUrl, SourceKind, UniqueMetrics, UploadBody};
use prometheus::Registry;
use serde_json::json;
use unique_support::{FakeService, Reply, client_with_rate, cluster_local_auth};

#[tokio::test]
async fn each_target_has_its_own_limiter_and_uploads_take_no_token() {
    let service = FakeService::start(|request| {
        if request.method == "PUT" {
            return Reply::status(201);
        }
        if request.path.ends_with("/file-diff") {
            return Reply::json(json!({}));
        }
        match request.operation_name().as_str() {
            "User" => Reply::data("me", json!({"user": {"id": "u"}})),
            _ => Reply::data("paginatedScope", json!({"totalCount": 0, "nodes": []})),
        }
    })
    .await;
    let metrics = UniqueMetrics::register(&Registry::new()).expect("metrics");
    // 60 per minute: a burst of one token per limiter, then one per second.
    let client = client_with_rate(
        service.url("/ingestion"),
        service.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
        60,
    );
    let diff = FileDiffRequest {
        partial_key: "acme/1_ENG".into(),
        source_kind: SourceKind::ConfluenceCloud,
        source_name: "https://acme.atlassian.net".into(),
        file_list: vec![],
    };
    let write_url = SignedUrl::new("https://blob.example/u?key=k");

    let started = Instant::now();
    client.me().await.expect("G1");
    client.scope_by_id("s").await.expect("G3");
    client.file_diff(&diff).await.expect("U1");
    for _ in 0..3 {
        client
            .upload(
                &write_url,
                "text/html",
                UploadBody::Bytes(Bytes::from_static(b"<p/>")),
            )
            .await
            .expect("U2");
    }
    let first_round = started.elapsed();
    assert!(
        first_round < Duration::from_millis(700),
        "one token from each limiter and none for uploads, yet it took {first_round:?}"
    );

    // A second ingestion GraphQL call must wait for its limiter to refill.
    client.scope_by_id("s").await.expect("G3 again");
    let second_call = started.elapsed();
    assert!(
        second_call >= Duration::from_millis(900),
        "the ingestion limiter let a second call through after {second_call:?}"
    );
    assert_eq!(service.requests().len(), 7);
}
