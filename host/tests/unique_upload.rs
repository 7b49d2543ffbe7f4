//! U2 against a loopback upload endpoint: the cluster-local URL rewrite, headers without
//! credentials, streaming without buffering, length mismatches that abort the PUT, and retries
//! that re-open the body stream.

mod unique_support;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use connector_host::unique::{
    LengthMismatch, SignedUrl, StreamedBody, UniqueError, UniqueMetrics, UploadBody,
};
use futures::StreamExt as _;
use futures::stream::{self, Stream};
use prometheus::Registry;
use unique_support::{FakeService, Reply, client_with, cluster_local_client, external_auth};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// A write URL as the platform might hand it out: another host, a path prefix, other parameters,
/// and a key holding an encoded `+` (`%2B`), a raw `+` and an encoded `=`.
const WRITE_URL: &str =
    "https://gateway.qa.unique.app/ingestion/scoped/upload?x=1&key=enc%2Bkey+part%3D&sig=secret";

/// A stream of `chunks` chunks of `chunk_size` bytes (byte `i` is `i % 251`), generated only when
/// polled.
fn pattern_stream(
    chunks: usize,
    chunk_size: usize,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    stream::iter(0..chunks).map(move |index| {
        let start = index * chunk_size;
        let chunk: Vec<u8> = (start..start + chunk_size)
            .map(|i| (i % 251) as u8)
            .collect();
        Ok(Bytes::from(chunk))
    })
}

#[tokio::test]
async fn cluster_local_upload_goes_to_the_ingestion_service_with_the_key_copied_exactly() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let html = Bytes::from_static(b"<html><body>Runbook</body></html>");

    client
        .upload(
            &SignedUrl::new(WRITE_URL),
            "text/html",
            UploadBody::Bytes(html.clone()),
        )
        .await
        .expect("upload");

    let [put] = service.requests().try_into().expect("one PUT");
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/ingestion/scoped/upload");
    assert_eq!(put.raw_query.as_deref(), Some("key=enc%2Bkey+part%3D"));
    assert_eq!(put.header("content-type"), Some("text/html"));
    assert_eq!(
        put.header("content-length"),
        Some(html.len().to_string().as_str())
    );
    assert_eq!(put.header("x-ms-blob-type"), Some("BlockBlob"));
    assert_eq!(put.header("transfer-encoding"), None);
    for credential in ["authorization", "x-service-id", "x-company-id", "x-user-id"] {
        assert_eq!(
            put.header(credential),
            None,
            "{credential} sent on an upload"
        );
    }
    assert_eq!(put.body, html);
    assert!(put.body_complete);
}

#[tokio::test]
async fn cluster_local_write_url_without_key_fails_before_any_request() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let error = client
        .upload(
            &SignedUrl::new("https://gateway.qa.unique.app/ingestion/scoped/upload?sig=secret"),
            "text/html",
            UploadBody::Bytes(Bytes::from_static(b"x")),
        )
        .await
        .expect_err("no key");
    assert!(
        matches!(error, UniqueError::UploadKeyMissing { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
    assert!(service.requests().is_empty());
}

#[tokio::test]
async fn external_upload_uses_the_write_url_unchanged_and_no_bearer_token() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (auth, token_calls) = external_auth("token-abc").await;
    let metrics = UniqueMetrics::register(&Registry::new()).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        auth,
        &metrics,
    );
    let write_url = format!(
        "{}blob/container/item?sv=2024&sig=a%2Bb&key=k",
        service.origin
    );

    client
        .upload(
            &SignedUrl::new(write_url),
            "application/pdf; name=\"spec.pdf\"",
            UploadBody::Bytes(Bytes::from_static(b"%PDF-1.7")),
        )
        .await
        .expect("upload");

    let [put] = service.requests().try_into().expect("one PUT");
    assert_eq!(put.path, "/blob/container/item");
    assert_eq!(put.raw_query.as_deref(), Some("sv=2024&sig=a%2Bb&key=k"));
    assert_eq!(
        put.header("content-type"),
        Some("application/pdf; name=\"spec.pdf\"")
    );
    assert_eq!(put.header("authorization"), None);
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        0,
        "uploads need no token"
    );
}

/// Chunk memory that reports its release, to measure how much of a body is alive at once.
struct TrackedChunk {
    data: Vec<u8>,
    live: Arc<AtomicU64>,
}

impl AsRef<[u8]> for TrackedChunk {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for TrackedChunk {
    fn drop(&mut self) {
        self.live
            .fetch_sub(self.data.len() as u64, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_64_mib_stream_is_uploaded_without_being_buffered_whole() {
    const TOTAL: usize = 64 * MIB;
    const CHUNK: usize = 64 * KIB;
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    // Bytes made by the generator and not yet released by the client and HTTP stack.
    let live = Arc::new(AtomicU64::new(0));
    let max_live = Arc::new(AtomicU64::new(0));

    let (live_in, max_live_in) = (Arc::clone(&live), Arc::clone(&max_live));
    let body = UploadBody::streamed(move || {
        let (live, max_live) = (Arc::clone(&live_in), Arc::clone(&max_live_in));
        let chunks = stream::iter(0..TOTAL / CHUNK).map(move |index| {
            let start = index * CHUNK;
            let data: Vec<u8> = (start..start + CHUNK).map(|i| (i % 251) as u8).collect();
            let now_live = live.fetch_add(CHUNK as u64, Ordering::SeqCst) + CHUNK as u64;
            max_live.fetch_max(now_live, Ordering::SeqCst);
            let chunk = TrackedChunk {
                data,
                live: Arc::clone(&live),
            };
            Ok::<_, io::Error>(Bytes::from_owner(chunk))
        });
        async move { Ok::<_, io::Error>(StreamedBody::new(chunks, TOTAL as u64)) }
    });
    client
        .upload(&SignedUrl::new(WRITE_URL), "application/octet-stream", body)
        .await
        .expect("upload");

    let [put] = service.requests().try_into().expect("one PUT");
    assert_eq!(put.body_len, TOTAL as u64);
    assert!(put.body_complete);
    assert_eq!(
        put.header("content-length"),
        Some(TOTAL.to_string().as_str())
    );
    assert!(
        !put.body.is_empty()
            && put
                .body
                .iter()
                .enumerate()
                .all(|(i, b)| *b == (i % 251) as u8),
        "the bytes arrive in order"
    );
    assert_eq!(live.load(Ordering::SeqCst), 0, "every chunk was released");
    let peak = max_live.load(Ordering::SeqCst);
    assert!(
        peak <= (2 * MIB) as u64,
        "{peak} bytes of the body were held at once: it was buffered"
    );
}

/// A body of `delivered` bytes (in 64 KiB chunks) declared as `declared`; counts opens.
fn mismatched_body(
    delivered: usize,
    declared: usize,
    opens: Arc<AtomicUsize>,
) -> UploadBody<'static> {
    UploadBody::streamed(move || {
        opens.fetch_add(1, Ordering::SeqCst);
        let stream = pattern_stream(delivered / (64 * KIB), 64 * KIB);
        async move { Ok::<_, io::Error>(StreamedBody::new(stream, declared as u64)) }
    })
}

#[tokio::test]
async fn a_short_stream_aborts_the_put_with_a_length_mismatch() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let opens = Arc::new(AtomicUsize::new(0));

    let error = client
        .upload(
            &SignedUrl::new(WRITE_URL),
            "application/octet-stream",
            mismatched_body(512 * KIB, MIB, Arc::clone(&opens)),
        )
        .await
        .expect_err("short");

    assert!(
        matches!(
            error,
            UniqueError::UploadLengthMismatch {
                declared,
                mismatch: LengthMismatch::Short { delivered },
                ..
            } if declared == MIB as u64 && delivered == (512 * KIB) as u64
        ),
        "{error:?}"
    );
    let [put] = service
        .wait_for_requests(1)
        .await
        .try_into()
        .expect("one PUT");
    assert!(!put.body_complete, "the server must see an aborted body");
    assert!(put.body_len <= (512 * KIB) as u64);
    assert_eq!(opens.load(Ordering::SeqCst), 1, "a mismatch is not retried");
}

#[tokio::test]
async fn a_long_stream_aborts_the_put_before_the_declared_length_completes() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let opens = Arc::new(AtomicUsize::new(0));

    let error = client
        .upload(
            &SignedUrl::new(WRITE_URL),
            "application/octet-stream",
            mismatched_body(MIB, 512 * KIB, Arc::clone(&opens)),
        )
        .await
        .expect_err("long");

    assert!(
        matches!(
            error,
            UniqueError::UploadLengthMismatch {
                mismatch: LengthMismatch::Long { delivered },
                ..
            } if delivered > (512 * KIB) as u64
        ),
        "{error:?}"
    );
    let [put] = service
        .wait_for_requests(1)
        .await
        .try_into()
        .expect("one PUT");
    assert!(!put.body_complete, "the server must see an aborted body");
    assert!(
        put.body_len < (512 * KIB) as u64,
        "the final chunk was held back"
    );
    assert_eq!(opens.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_503_retries_a_streamed_upload_with_a_new_stream() {
    let puts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&puts);
    let service = FakeService::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503)
        } else {
            Reply::status(201)
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let opens = Arc::new(AtomicUsize::new(0));

    client
        .upload(
            &SignedUrl::new(WRITE_URL),
            "image/png",
            mismatched_body(MIB, MIB, Arc::clone(&opens)),
        )
        .await
        .expect("second attempt succeeds");

    assert_eq!(
        opens.load(Ordering::SeqCst),
        2,
        "the factory opens a new stream per attempt"
    );
    let requests = service.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|put| put.body_complete && put.body_len == MIB as u64)
    );
}

#[tokio::test]
async fn a_stream_broken_by_a_connection_reset_is_reopened_and_resent() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let opens = Arc::new(AtomicUsize::new(0));
    let opens_in = Arc::clone(&opens);
    let body = UploadBody::streamed(move || {
        let attempt = opens_in.fetch_add(1, Ordering::SeqCst);
        let good = pattern_stream(16, 64 * KIB);
        let stream = if attempt == 0 {
            // Half the body, then the download breaks.
            good.take(8)
                .chain(stream::once(async {
                    Err(io::Error::from(io::ErrorKind::ConnectionReset))
                }))
                .boxed()
        } else {
            good.boxed()
        };
        async move { Ok::<_, io::Error>(StreamedBody::new(stream, MIB as u64)) }
    });

    client
        .upload(&SignedUrl::new(WRITE_URL), "image/png", body)
        .await
        .expect("second attempt succeeds");

    assert_eq!(opens.load(Ordering::SeqCst), 2);
    let requests = service.wait_for_requests(2).await;
    assert!(!requests[0].body_complete);
    assert!(requests[1].body_complete && requests[1].body_len == MIB as u64);
}

#[tokio::test]
async fn a_400_upload_is_not_retried() {
    let service = FakeService::start(|_| Reply::status(400)).await;
    let (client, _) = cluster_local_client(&service);
    let error = client
        .upload(
            &SignedUrl::new(WRITE_URL),
            "text/html",
            UploadBody::Bytes(Bytes::from_static(b"<p/>")),
        )
        .await
        .expect_err("400");
    assert!(
        matches!(error, UniqueError::UploadStatus { status: 400, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("Upload failed with status 400"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("key="),
        "no query in errors: {error}"
    );
    assert_eq!(service.requests().len(), 1);
}

#[tokio::test]
async fn uploads_run_in_spawned_tasks_on_a_shared_client() {
    let service = FakeService::start(|_| Reply::status(201)).await;
    let (client, _) = cluster_local_client(&service);
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let body = UploadBody::streamed(|| async {
                    Ok::<_, io::Error>(StreamedBody::new(pattern_stream(4, KIB), 4 * KIB as u64))
                });
                client
                    .upload(&SignedUrl::new(WRITE_URL), "text/plain", body)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("upload");
    }
    let requests = service.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|put| put.body_len == 4 * KIB as u64));
}
