//! Which Unique GraphQL calls are retried (operations.md §4): reads and the G12 upsert on
//! connection errors, 408, 429 and 5xx; no other mutation, no other 4xx, never a 2xx with
//! `errors`.

mod unique_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connector_host::retry::Transience;
use connector_host::unique::{Recursive, Registration, SourceKind, UniqueError, UniqueMetrics};
use prometheus::Registry;
use serde_json::json;
use unique_support::{FakeService, Reply, client_with, cluster_local_auth, cluster_local_client};

/// A service answering `first` to the first request and `then` to every later one.
async fn failing_once(first: Reply, then: Reply) -> FakeService {
    let calls = Arc::new(AtomicUsize::new(0));
    FakeService::start(move |_| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            first.clone()
        } else {
            then.clone()
        }
    })
    .await
}

#[tokio::test]
async fn a_read_is_retried_after_a_503_and_then_succeeds() {
    let service = failing_once(
        Reply::status(503),
        Reply::data("paginatedScope", json!({"totalCount": 0, "nodes": []})),
    )
    .await;
    let (client, _) = cluster_local_client(&service);
    let started = Instant::now();
    assert_eq!(
        client.scope_by_id("scope-root").await.expect("retried"),
        None
    );
    assert_eq!(service.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "backoff of 1 s"
    );
    assert_eq!(
        service.requests()[0].json(),
        service.requests()[1].json(),
        "the retry sends the same request"
    );
}

#[tokio::test]
async fn a_429_read_honours_retry_after() {
    let mut throttled = Reply::status(429);
    throttled.headers.push(("retry-after", "2".into()));
    let service = failing_once(throttled, Reply::data("me", json!({"user": {"id": "u"}}))).await;
    let (client, _) = cluster_local_client(&service);
    let started = Instant::now();
    client.me().await.expect("retried");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    assert_eq!(service.requests().len(), 2);
}

#[tokio::test]
async fn content_upsert_is_retried_after_a_502() {
    let service = failing_once(
        Reply::status(502),
        Reply::data(
            "contentUpsert",
            json!({"id": "c", "writeUrl": "https://b/w?k=1", "readUrl": "https://b/r"}),
        ),
    )
    .await;
    let (client, _) = cluster_local_client(&service);
    let registration = Registration {
        key: "acme/1_ENG/1".into(),
        title: "T".into(),
        mime_type: "text/html".into(),
        url: "https://acme.example/1".into(),
        byte_size: 1,
        metadata: json!({}),
        ingestion_config: None,
        scope_id: "s".into(),
        source_kind: SourceKind::ConfluenceDataCenter,
        confluence_base_url: "https://acme.example".into(),
        store_internally: false,
    };
    client.upsert_content(&registration).await.expect("retried");
    assert_eq!(service.requests().len(), 2);
}

#[tokio::test]
async fn a_mutation_is_not_retried_after_a_503() {
    let service = failing_once(
        Reply::status(503),
        Reply::data(
            "updateScope",
            json!({"id": "s", "name": "n", "parentId": null, "externalId": "x"}),
        ),
    )
    .await;
    let (client, _) = cluster_local_client(&service);
    let error = client
        .set_external_id("s", Some("x"))
        .await
        .expect_err("sent once");
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.transience(), Transience::Transient);
    assert!(
        error.to_string().contains("UpdateScope")
            && error.to_string().contains("/ingestion/graphql"),
        "{error}"
    );
    assert_eq!(service.requests().len(), 1);
}

#[tokio::test]
async fn g11_is_not_retried_after_a_503() {
    let service = failing_once(
        Reply::status(503),
        Reply::data("contentDeleteByContentIds", json!([{"id": "a"}])),
    )
    .await;
    let (client, _) = cluster_local_client(&service);
    let count = client.delete_contents(&["a".to_owned()]).await;
    assert_eq!((count.deleted, count.failed), (0, 1));
    assert_eq!(service.requests().len(), 1);
}

#[tokio::test]
async fn a_400_read_is_not_retried() {
    let service = failing_once(
        Reply::status(400),
        Reply::data("paginatedScope", json!({"totalCount": 0, "nodes": []})),
    )
    .await;
    let (client, _) = cluster_local_client(&service);
    let error = client.list_children("root").await.expect_err("400");
    assert!(
        matches!(error, UniqueError::Status { status: 400, .. }),
        "{error}"
    );
    assert_eq!(service.requests().len(), 1);
}

#[tokio::test]
async fn graphql_errors_are_not_retried_and_name_the_operation() {
    let service = FakeService::start(|_| {
        Reply::json(json!({"errors": [{"message": "Scope not found"}], "data": null}))
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let error = client.scope_by_id("missing").await.expect_err("errors");
    assert!(
        matches!(&error, UniqueError::Graphql { operation: "PaginatedScope", message, .. } if message == "Scope not found"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "GraphQL operation PaginatedScope failed: Scope not found"
    );
    assert_eq!(service.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_fails_a_mutation_at_once_naming_operation_and_url() {
    // Bind then drop a listener: its port now refuses connections.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let dead = url::Url::parse(&format!("http://127.0.0.1:{port}/ingestion")).expect("url");
    let metrics = UniqueMetrics::register(&Registry::new()).expect("metrics");
    let client = client_with(dead.clone(), dead, cluster_local_auth(), &metrics);

    let started = Instant::now();
    let error = client
        .delete_folder("s", Recursive::No)
        .await
        .expect_err("refused");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "a mutation must not back off"
    );
    assert!(matches!(error, UniqueError::Transport { .. }), "{error:?}");
    assert_eq!(error.transience(), Transience::Transient);
    let text = error.to_string();
    assert!(
        text.contains("DeleteFolder")
            && text.contains(&format!("127.0.0.1:{port}/ingestion/graphql")),
        "{text}"
    );
}
