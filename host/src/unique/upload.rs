//! U2, the content upload (unique-api.md §7): a PUT of exactly the declared bytes to the
//! registration's `writeUrl` (or, in `cluster_local` mode, to the ingestion service's
//! `/scoped/upload?key=…`), without credentials and without rate limiting.
//!
//! Bodies are streamed through a counting adapter, never buffered whole: an attachment's bytes go
//! from its download straight into the PUT. The adapter aborts the PUT when the stream ends early
//! or delivers more than declared, and holds back the final chunk until the stream has proved it
//! ends there, so a long stream can never complete the request. Transient failures are retried
//! with a new body: a page re-sends its bytes, an attachment re-opens its download.

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use tokio::sync::Notify;
use url::Url;

use super::UniqueClient;
use super::error::{LengthMismatch, UPLOAD_OPERATION, UniqueError};
use super::types::{SignedUrl, without_query};
use crate::auth::UniqueAuth;
use crate::http_client::{RESPONSE_HEADERS_TIMEOUT, SendError};
use crate::retry::{self, RetryPolicy, Verdict};

/// The error type of body streams and of opening them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Chunk size an in-memory body is sent in (slices share the buffer; nothing is copied).
const IN_MEMORY_CHUNK: usize = 64 * 1024;

/// A body stream for one upload attempt and the length it must deliver.
pub struct StreamedBody {
    stream: BoxStream<'static, io::Result<Bytes>>,
    declared_len: u64,
}

impl StreamedBody {
    /// `stream` must deliver exactly `declared_len` bytes, or the PUT is aborted with
    /// [`UniqueError::UploadLengthMismatch`]. A stream error aborts it with
    /// [`UniqueError::UploadSourceFailed`], retried when the error is transient (classified like
    /// [`crate::retry::classify_io`], looking through to a wrapped `reqwest::Error`).
    pub fn new<S, E>(stream: S, declared_len: u64) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Self {
            stream: stream.map_err(io::Error::other).boxed(),
            declared_len,
        }
    }

    fn in_memory(bytes: Bytes) -> Self {
        let declared_len = bytes.len() as u64;
        let chunks = (0..bytes.len())
            .step_by(IN_MEMORY_CHUNK)
            .map(move |start| Ok(bytes.slice(start..(start + IN_MEMORY_CHUNK).min(bytes.len()))));
        Self {
            stream: stream::iter(chunks.collect::<Vec<_>>()).boxed(),
            declared_len,
        }
    }
}

/// Opens a new body stream for each attempt.
type OpenBody<'a> = Box<dyn FnMut() -> BoxFuture<'a, Result<StreamedBody, BoxError>> + Send + 'a>;

/// What an upload sends.
pub enum UploadBody<'a> {
    /// An in-memory body (a page's HTML); each attempt re-sends it.
    Bytes(Bytes),
    /// A streamed body (an attachment download); each attempt opens a new stream.
    Streamed(OpenBody<'a>),
}

impl<'a> UploadBody<'a> {
    /// A streamed body: `open` is called once per attempt and must start a new download. It does
    /// its own retries: an error from `open` ends the upload.
    pub fn streamed<F, Fut, E>(mut open: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<StreamedBody, E>> + Send + 'a,
        E: Into<BoxError>,
    {
        Self::Streamed(Box::new(move || {
            let opening = open();
            Box::pin(async move { opening.await.map_err(Into::into) })
        }))
    }

    /// The body for the next attempt. Calls the opener synchronously so the returned future
    /// borrows nothing from `self`.
    fn next_attempt(&mut self) -> BoxFuture<'a, Result<StreamedBody, BoxError>> {
        match self {
            Self::Bytes(bytes) => {
                let body = StreamedBody::in_memory(bytes.clone());
                Box::pin(async move { Ok(body) })
            }
            Self::Streamed(open) => open(),
        }
    }
}

impl std::fmt::Debug for UploadBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "UploadBody::Bytes({} bytes)", bytes.len()),
            Self::Streamed(_) => f.write_str("UploadBody::Streamed"),
        }
    }
}

/// Why the counting adapter aborted the body.
enum BodyFailure {
    Mismatch(LengthMismatch),
    Source(io::Error),
}

type FailureSlot = Arc<Mutex<Option<BodyFailure>>>;

impl UniqueClient {
    /// U2: PUTs the body to the upload URL derived from `write_url` with `Content-Type:
    /// content_type`, the exact `Content-Length` and `x-ms-blob-type: BlockBlob`. No credentials,
    /// no rate limit; transient failures are retried (1, 2, 4 s) with a new body.
    pub async fn upload(
        &self,
        write_url: &SignedUrl,
        content_type: &str,
        mut body: UploadBody<'_>,
    ) -> Result<(), UniqueError> {
        let target = self.upload_url(write_url)?;
        let redacted = without_query(target.as_str()).to_owned();
        let content_type =
            HeaderValue::from_str(content_type).map_err(|_| UniqueError::InvalidArgument {
                operation: UPLOAD_OPERATION,
                reason: format!("content type {content_type:?} is not a valid header value"),
            })?;
        retry::run(
            &RetryPolicy::UPLOAD,
            |_attempt| {
                let opening = body.next_attempt();
                let (target, redacted, content_type) = (&target, &redacted, &content_type);
                async move {
                    let opened = opening
                        .await
                        .map_err(|source| UniqueError::UploadSourceOpen {
                            url: redacted.clone(),
                            source,
                        })?;
                    self.put_once(target, redacted, content_type, opened).await
                }
            },
            |outcome| match outcome {
                Ok(()) => Verdict::Done,
                Err(error) => error.verdict(),
            },
        )
        .await
    }

    /// The URL the PUT goes to: `write_url` in `external` mode; in `cluster_local` mode
    /// `{ingestionServiceBaseUrl}/scoped/upload?key={key}` with the key copied exactly as it
    /// appears in `write_url` (still percent-encoded).
    pub fn upload_url(&self, write_url: &SignedUrl) -> Result<Url, UniqueError> {
        let text = match &self.auth {
            UniqueAuth::External(_) => write_url.expose().to_owned(),
            UniqueAuth::ClusterLocal { .. } => {
                let key = raw_query_parameter(write_url.expose(), "key").ok_or_else(|| {
                    UniqueError::UploadKeyMissing {
                        url: write_url.redacted().to_owned(),
                    }
                })?;
                format!("{}/scoped/upload?key={key}", self.ingestion_base)
            }
        };
        Url::parse(&text).map_err(|source| UniqueError::InvalidUploadUrl {
            url: without_query(&text).to_owned(),
            source,
        })
    }

    async fn put_once(
        &self,
        target: &Url,
        redacted: &str,
        content_type: &HeaderValue,
        opened: StreamedBody,
    ) -> Result<(), UniqueError> {
        let declared = opened.declared_len;
        let failure = FailureSlot::default();
        let body_sent = Arc::new(Notify::new());
        let counted = counted_body(opened, Arc::clone(&failure), Arc::clone(&body_sent));
        let transport = |source| UniqueError::Transport {
            operation: UPLOAD_OPERATION,
            url: redacted.to_owned(),
            source,
        };
        let request = self
            .http
            .put(target.clone())
            .header(CONTENT_TYPE, content_type.clone())
            .header(CONTENT_LENGTH, declared)
            .header("x-ms-blob-type", "BlockBlob")
            .body(reqwest::Body::wrap_stream(counted))
            .build()
            .map_err(|source| {
                transport(SendError::Transport {
                    method: reqwest::Method::PUT,
                    url: redacted.to_owned(),
                    source,
                })
            })?;

        // The response-header timeout starts once the body is out: a large upload may take
        // longer than the timeout to send.
        let headers_deadline = async {
            body_sent.notified().await;
            tokio::time::sleep(RESPONSE_HEADERS_TIMEOUT).await;
        };
        let answer = tokio::select! {
            answer = self.http.execute(request) => answer,
            () = headers_deadline => {
                return Err(transport(SendError::HeadersTimeout {
                    method: reqwest::Method::PUT,
                    url: redacted.to_owned(),
                    timeout: RESPONSE_HEADERS_TIMEOUT,
                }));
            }
        };

        // The adapter's verdict comes first: an aborted body fails the upload whatever the
        // server answered.
        let aborted = failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match (aborted, answer) {
            (Some(BodyFailure::Mismatch(mismatch)), _) => Err(UniqueError::UploadLengthMismatch {
                url: redacted.to_owned(),
                declared,
                mismatch,
            }),
            (Some(BodyFailure::Source(source)), _) => Err(UniqueError::UploadSourceFailed {
                url: redacted.to_owned(),
                source,
            }),
            (None, Err(source)) => Err(transport(SendError::Transport {
                method: reqwest::Method::PUT,
                url: redacted.to_owned(),
                source: source.without_url(),
            })),
            (None, Ok(response)) if response.status().is_success() => {
                tracing::debug!(tenantName = %self.tenant, url = redacted, bytes = declared, "uploaded");
                Ok(())
            }
            (None, Ok(response)) => Err(UniqueError::UploadStatus {
                url: redacted.to_owned(),
                status: response.status().as_u16(),
                retry_after: retry::response_retry_after(&response),
            }),
        }
    }
}

/// The raw value of query parameter `name` in `url` (up to `#`), exactly as written; `None` when
/// absent or empty.
fn raw_query_parameter<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .filter(|value| !value.is_empty())
}

/// State of the counting adapter.
struct Counter {
    inner: BoxStream<'static, io::Result<Bytes>>,
    declared: u64,
    delivered: u64,
    finished: bool,
    failure: FailureSlot,
    body_sent: Arc<Notify>,
}

/// What the adapter hands to the HTTP body next.
enum Step {
    Chunk(Bytes),
    End,
    Abort(BodyFailure),
}

impl Counter {
    async fn next_step(&mut self) -> Step {
        let chunk = loop {
            match self.inner.next().await {
                None if self.delivered == self.declared => return Step::End,
                None => {
                    return Step::Abort(BodyFailure::Mismatch(LengthMismatch::Short {
                        delivered: self.delivered,
                    }));
                }
                Some(Err(error)) => return Step::Abort(BodyFailure::Source(error)),
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => break chunk,
            }
        };
        let delivered = self.delivered + chunk.len() as u64;
        if delivered > self.declared {
            return Step::Abort(BodyFailure::Mismatch(LengthMismatch::Long { delivered }));
        }
        self.delivered = delivered;
        if delivered < self.declared {
            return Step::Chunk(chunk);
        }
        // The declared length is reached: the final chunk goes out only once the stream has
        // shown it ends here (the HTTP layer may stop reading the body at Content-Length).
        loop {
            match self.inner.next().await {
                None => {
                    self.finish();
                    return Step::Chunk(chunk);
                }
                Some(Ok(extra)) if extra.is_empty() => continue,
                Some(Ok(extra)) => {
                    return Step::Abort(BodyFailure::Mismatch(LengthMismatch::Long {
                        delivered: delivered + extra.len() as u64,
                    }));
                }
                Some(Err(error)) => return Step::Abort(BodyFailure::Source(error)),
            }
        }
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.body_sent.notify_one();
        }
    }
}

/// Wraps `body` so it delivers exactly its declared length or fails; records the failure in
/// `failure` and signals `body_sent` once the last byte is handed over.
fn counted_body(
    body: StreamedBody,
    failure: FailureSlot,
    body_sent: Arc<Notify>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let counter = Counter {
        inner: body.stream,
        declared: body.declared_len,
        delivered: 0,
        finished: false,
        failure,
        body_sent,
    };
    if counter.declared == 0 {
        // Nothing to send: the HTTP layer may never poll an empty body.
        counter.body_sent.notify_one();
    }
    stream::unfold(Some(counter), |state| async move {
        let mut counter = state?;
        match counter.next_step().await {
            Step::Chunk(chunk) => Some((Ok(chunk), Some(counter))),
            Step::End => {
                counter.finish();
                None
            }
            Step::Abort(reason) => {
                let message = match &reason {
                    BodyFailure::Mismatch(mismatch) => format!(
                        "upload body does not match its declared length {}: {mismatch:?}",
                        counter.declared
                    ),
                    BodyFailure::Source(error) => format!("upload body stream failed: {error}"),
                };
                *counter
                    .failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(reason);
                // Ending the state here stops the stream after the error.
                Some((Err(io::Error::other(message)), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(sizes: &[usize]) -> StreamedBody {
        let items: Vec<Result<Bytes, io::Error>> = sizes
            .iter()
            .map(|size| Ok(Bytes::from(vec![b'x'; *size])))
            .collect();
        let declared = 10;
        StreamedBody::new(stream::iter(items), declared)
    }

    async fn drain(body: StreamedBody) -> (u64, Option<LengthMismatch>, bool) {
        let failure = FailureSlot::default();
        let sent = Arc::new(Notify::new());
        let mut counted = Box::pin(counted_body(body, Arc::clone(&failure), Arc::clone(&sent)));
        let mut passed = 0;
        let mut errored = false;
        while let Some(item) = counted.next().await {
            match item {
                Ok(chunk) => passed += chunk.len() as u64,
                Err(_) => errored = true,
            }
        }
        let mismatch = match failure.lock().expect("test lock").take() {
            Some(BodyFailure::Mismatch(mismatch)) => Some(mismatch),
            _ => None,
        };
        (passed, mismatch, errored)
    }

    #[tokio::test]
    async fn exact_stream_passes_through_unchanged() {
        assert_eq!(drain(chunks(&[4, 0, 6])).await, (10, None, false));
    }

    #[tokio::test]
    async fn short_stream_errors_at_its_end() {
        assert_eq!(
            drain(chunks(&[4, 3])).await,
            (7, Some(LengthMismatch::Short { delivered: 7 }), true)
        );
    }

    #[tokio::test]
    async fn long_stream_never_hands_over_the_final_chunk() {
        // 10 bytes reach the declared length, but one more follows: the last 6 are held back.
        assert_eq!(
            drain(chunks(&[4, 6, 1])).await,
            (4, Some(LengthMismatch::Long { delivered: 11 }), true)
        );
        assert_eq!(
            drain(chunks(&[4, 9])).await,
            (4, Some(LengthMismatch::Long { delivered: 13 }), true)
        );
    }

    #[test]
    fn raw_key_parameter_is_copied_exactly() {
        let url = "https://gw.example/ingestion/scoped/upload?x=1&key=a%2Bb+c%3D&y=2#f";
        assert_eq!(raw_query_parameter(url, "key"), Some("a%2Bb+c%3D"));
        assert_eq!(raw_query_parameter("https://gw/u?keys=1", "key"), None);
        assert_eq!(raw_query_parameter("https://gw/u?key=", "key"), None);
        assert_eq!(raw_query_parameter("https://gw/u", "key"), None);
    }

    #[tokio::test]
    async fn in_memory_body_is_sliced_without_copying() {
        let bytes = Bytes::from(vec![7u8; IN_MEMORY_CHUNK * 2 + 5]);
        let body = StreamedBody::in_memory(bytes.clone());
        assert_eq!(body.declared_len, bytes.len() as u64);
        let slices: Vec<Bytes> = body.stream.try_collect().await.expect("in-memory stream");
        let lengths: Vec<usize> = slices.iter().map(Bytes::len).collect();
        assert_eq!(lengths, [IN_MEMORY_CHUNK, IN_MEMORY_CHUNK, 5]);
        for (index, slice) in slices.iter().enumerate() {
            let offset = slice.as_ptr() as usize - bytes.as_ptr() as usize;
            assert_eq!(offset, index * IN_MEMORY_CHUNK, "slice {index} is a copy");
        }
    }
}
