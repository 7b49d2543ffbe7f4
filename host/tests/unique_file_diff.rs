//! U1 against a loopback ingestion service: the URL built from a base with a path prefix, the
//! headers and body, the answer rules (missing arrays are empty, other shapes fail) and retries.

mod unique_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use connector_host::unique::{
    FileDiff, FileDiffEntry, FileDiffRequest, SourceKind, UniqueError, UniqueMetrics,
};
use prometheus::Registry;
use serde_json::json;
use unique_support::{
    EXTRA_HEADERS, FakeService, Reply, client_with, cluster_local_auth, cluster_local_client,
};

fn request() -> FileDiffRequest {
    FileDiffRequest {
        partial_key: "acme/98307_ENG".into(),
        source_kind: SourceKind::ConfluenceCloud,
        source_name: "https://acme.atlassian.net".into(),
        file_list: vec![
            FileDiffEntry {
                key: "123456".into(),
                url: "https://acme.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook".into(),
                updated_at: "2025-03-01T10:00:00.000Z".into(),
            },
            FileDiffEntry {
                key: "123456::att789".into(),
                url: "https://acme.atlassian.net/wiki/pages/viewpageattachments.action?pageId=123456&preview=%2F123456%2F789%2Fspec.pdf".into(),
                updated_at: String::new(),
            },
        ],
    }
}

#[tokio::test]
async fn file_diff_posts_the_spec_body_to_the_normalised_prefixed_url() {
    let service = FakeService::start(|_| {
        Reply::json(
            json!({"newFiles": ["123456"], "updatedFiles": [], "movedFiles": [],
                           "deletedFiles": ["123456::att555"]}),
        )
    })
    .await;
    let metrics = UniqueMetrics::register(&Registry::new()).expect("metrics");
    // A base with a path prefix and a doubled slash, as an operator might write it.
    let client = client_with(
        service.url("/api//ingestion"),
        service.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
    );
    assert_eq!(
        client.file_diff_url().as_str(),
        format!("{}api/ingestion/v2/content/file-diff", service.origin)
    );

    let diff = client.file_diff(&request()).await.expect("diff");
    assert_eq!(
        diff,
        FileDiff {
            new_files: vec!["123456".into()],
            updated_files: vec![],
            moved_files: vec![],
            deleted_files: vec!["123456::att555".into()],
        }
    );

    let [sent] = service.requests().try_into().expect("one request");
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/api/ingestion/v2/content/file-diff");
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("x-service-id"), Some("confluence-connector"));
    for (name, value) in EXTRA_HEADERS {
        assert_eq!(sent.header(name), Some(value));
    }
    assert_eq!(
        sent.json(),
        json!({
            "partialKey": "acme/98307_ENG",
            "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD",
            "sourceName": "https://acme.atlassian.net",
            "fileList": [
                {"key": "123456", "url": "https://acme.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook",
                 "updatedAt": "2025-03-01T10:00:00.000Z"},
                {"key": "123456::att789",
                 "url": "https://acme.atlassian.net/wiki/pages/viewpageattachments.action?pageId=123456&preview=%2F123456%2F789%2Fspec.pdf",
                 "updatedAt": ""},
            ],
        })
    );
}

#[tokio::test]
async fn missing_arrays_read_as_empty() {
    let service = FakeService::start(|_| Reply::json(json!({"deletedFiles": ["9"]}))).await;
    let (client, _) = cluster_local_client(&service);
    let diff = client.file_diff(&request()).await.expect("diff");
    assert_eq!(
        diff,
        FileDiff {
            deleted_files: vec!["9".into()],
            ..FileDiff::default()
        }
    );
}

#[tokio::test]
async fn any_other_answer_shape_is_an_error() {
    for body in [
        json!([]),
        json!({"newFiles": null}),
        json!({"newFiles": [1]}),
        json!("ok"),
    ] {
        let answer = body.clone();
        let service = FakeService::start(move |_| Reply::json(answer.clone())).await;
        let (client, _) = cluster_local_client(&service);
        let error = client.file_diff(&request()).await.expect_err("bad shape");
        assert!(
            matches!(
                &error,
                UniqueError::InvalidResponse {
                    operation: "file-diff",
                    ..
                }
            ),
            "{body}: {error:?}"
        );
        assert_eq!(
            service.requests().len(),
            1,
            "{body}: a bad shape is not retried"
        );
    }
}

#[tokio::test]
async fn a_503_is_retried_after_3_seconds_and_a_404_is_not() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let service = FakeService::start(move |request| {
        if request.json()["partialKey"] == "missing" {
            return Reply::status(404);
        }
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503)
        } else {
            Reply::json(json!({}))
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let started = std::time::Instant::now();
    assert_eq!(
        client.file_diff(&request()).await.expect("retried"),
        FileDiff::default()
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let mut missing = request();
    missing.partial_key = "missing".into();
    let error = client.file_diff(&missing).await.expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert!(error.to_string().contains("file-diff"), "{error}");
    assert_eq!(service.requests().len(), 3);
}
