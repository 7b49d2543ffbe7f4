//! Outbound HTTP to a tenant's source: checks every request and redirect hop against the tenant's
//! allow-list, strips credentials a plugin tried to set, attaches the tenant's own credentials
//! where the manifest allows, rate-limits, retries and caps response bodies.
//!
//! This is the only way plugins (through the `http` import) and attachment downloads reach the
//! network, so the sandbox's egress rules are enforced here, in one place.

mod allow_list;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

pub use allow_list::{AllowList, AllowedOrigin, CredentialScope, NotAnOrigin};

use crate::auth::{AuthError, ConfluenceAuth};
use crate::http_client::{self, SendError};
use crate::rate_limit::RateLimiter;
use crate::retry::{self, RetryPolicy, Transience, Verdict};

/// At most this many redirect hops are followed (confluence-api.md §7).
pub const MAX_REDIRECTS: usize = 10;
/// Default cap on a buffered response body.
pub const DEFAULT_BODY_CAP: u64 = 32 * 1024 * 1024;

/// Headers a plugin may never set: the host owns credentials and routing.
const FORBIDDEN_HEADERS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "host"];

/// Whether a request carries the tenant's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialUse {
    /// Attach them, where the origin's scope allows.
    Tenant,
    /// Never attach them.
    None,
}

/// A request to a tenant's source.
#[derive(Debug, Clone)]
pub struct EgressRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
    pub credentials: CredentialUse,
    /// The caller's own body cap; the smaller of it and the egress cap applies.
    pub max_body_bytes: Option<u64>,
    /// Metrics label of the endpoint.
    pub endpoint: Option<String>,
}

impl EgressRequest {
    /// A `GET` of `url` with the tenant's credentials.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            credentials: CredentialUse::Tenant,
            max_body_bytes: None,
            endpoint: None,
        }
    }
}

/// A buffered response.
#[derive(Debug, Clone)]
pub struct EgressResponse {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// Why a request produced no response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EgressError {
    #[error("origin {origin} is not in the tenant's allow-list {allowed}")]
    Denied { origin: String, allowed: String },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("response body larger than the cap of {0} bytes")]
    TooLarge(u64),
    #[error("{0}")]
    Transport(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("credentials: {0}")]
    Credentials(#[from] AuthError),
}

/// One finished attempt, reported to the metrics hook.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub endpoint: String,
    /// `None` for a transport failure.
    pub status: Option<u16>,
    pub duration: Duration,
}

/// Receives every attempt (for metrics).
pub type AttemptHook = Arc<dyn Fn(&AttemptRecord) + Send + Sync>;

/// Receives the origin of every request (or redirect hop) the allow-list refused, e.g. for the
/// plugin conformance check, which reports requests outside a plugin's declared origins.
pub type DenialHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The tenant's egress to its source.
#[derive(Clone)]
pub struct SourceEgress {
    allow_list: AllowList,
    credentials: Option<ConfluenceAuth>,
    limiter: Arc<RateLimiter>,
    client: reqwest::Client,
    retry: RetryPolicy,
    body_cap: u64,
    attempt_hook: Option<AttemptHook>,
    denial_hook: Option<DenialHook>,
}

impl std::fmt::Debug for SourceEgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceEgress")
            .field("allow_list", &self.allow_list.to_string())
            .field("credentials", &self.credentials.is_some())
            .field("body_cap", &self.body_cap)
            .finish_non_exhaustive()
    }
}

/// An attempt's failure, with whether another attempt may help.
struct AttemptError {
    error: EgressError,
    transience: Transience,
}

impl AttemptError {
    fn permanent(error: EgressError) -> Self {
        Self {
            error,
            transience: Transience::Permanent,
        }
    }
}

impl SourceEgress {
    /// Egress through `client` (redirects disabled) for a tenant allowed to reach `allow_list`.
    pub fn new(
        allow_list: AllowList,
        credentials: Option<ConfluenceAuth>,
        limiter: Arc<RateLimiter>,
        client: reqwest::Client,
    ) -> Self {
        Self {
            allow_list,
            credentials,
            limiter,
            client,
            retry: RetryPolicy::CONFLUENCE,
            body_cap: DEFAULT_BODY_CAP,
            attempt_hook: None,
            denial_hook: None,
        }
    }

    /// Replaces the retry policy (tests use short backoffs).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the buffered-body cap.
    pub fn with_body_cap(mut self, bytes: u64) -> Self {
        self.body_cap = bytes;
        self
    }

    /// Reports every attempt to `hook`.
    pub fn with_attempt_hook(mut self, hook: AttemptHook) -> Self {
        self.attempt_hook = Some(hook);
        self
    }

    /// Reports the origin of every refused request to `hook`.
    pub fn with_denial_hook(mut self, hook: DenialHook) -> Self {
        self.denial_hook = Some(hook);
        self
    }

    /// The tenant's allow-list.
    pub fn allow_list(&self) -> &AllowList {
        &self.allow_list
    }

    /// Sends `request` and buffers its body (at most the cap). A non-2xx status is a response,
    /// not an error; transient failures of idempotent requests are retried first.
    pub async fn send(&self, request: EgressRequest) -> Result<EgressResponse, EgressError> {
        let cap = request
            .max_body_bytes
            .map_or(self.body_cap, |own| own.min(self.body_cap));
        let prepared = self.prepare(request)?;
        self.with_retries(&prepared, |response| async move {
            let status = response.status().as_u16();
            let headers = lower_case_headers(response.headers());
            let body = read_capped(response, cap).await?;
            Ok(EgressResponse {
                status,
                headers,
                body,
            })
        })
        .await
    }

    /// Opens `request` for streaming (attachment downloads): retries until response headers
    /// arrive, then hands over the response. `Accept-Encoding: identity` keeps byte counts
    /// equal to the file's.
    pub async fn open(&self, mut request: EgressRequest) -> Result<reqwest::Response, EgressError> {
        request
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("accept-encoding"));
        request
            .headers
            .push(("accept-encoding".into(), "identity".into()));
        let prepared = self.prepare(request)?;
        self.with_retries(&prepared, |response| async move { Ok(response) })
            .await
    }

    fn prepare(&self, request: EgressRequest) -> Result<Prepared, EgressError> {
        let url = Url::parse(&request.url)
            .map_err(|err| EgressError::InvalidRequest(format!("URL `{}`: {err}", request.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressError::InvalidRequest(format!(
                "URL `{}` is not http(s)",
                request.url
            )));
        }
        self.ensure_allowed(&url)?;
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            if FORBIDDEN_HEADERS
                .iter()
                .any(|forbidden| name.eq_ignore_ascii_case(forbidden))
            {
                continue;
            }
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EgressError::InvalidRequest(format!("header name `{name}`")))?;
            let header_value = HeaderValue::from_str(value)
                .map_err(|_| EgressError::InvalidRequest(format!("value of header `{name}`")))?;
            headers.append(header_name, header_value);
        }
        let endpoint = request.endpoint.unwrap_or_else(|| url.path().to_string());
        Ok(Prepared {
            method: request.method,
            url,
            headers,
            body: request.body,
            credentials: request.credentials,
            endpoint,
        })
    }

    fn ensure_allowed(&self, url: &Url) -> Result<CredentialScope, EgressError> {
        self.allow_list.check(url).ok_or_else(|| {
            let origin = url.origin().ascii_serialization();
            if let Some(hook) = &self.denial_hook {
                hook(&origin);
            }
            EgressError::Denied {
                origin,
                allowed: self.allow_list.to_string(),
            }
        })
    }

    /// Runs attempts (each takes a rate-limit token) until one is final; a 429 with a valid
    /// `Retry-After` pauses the tenant's whole limiter.
    async fn with_retries<T, F, Fut>(
        &self,
        prepared: &Prepared,
        finish: F,
    ) -> Result<T, EgressError>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
        T: HasStatus,
    {
        let policy = if is_idempotent(&prepared.method) {
            self.retry
        } else {
            RetryPolicy::NONE
        };
        let outcome = retry::run(
            &policy,
            |_attempt| async {
                self.limiter.acquire().await;
                let started = Instant::now();
                let response = self.follow_redirects(prepared).await;
                self.report(
                    prepared,
                    response.as_ref().ok().map(|r| r.status().as_u16()),
                    started,
                );
                finish(response?).await
            },
            |outcome| match outcome {
                Ok(answer) if retry::is_transient_status(answer.status()) => {
                    let retry_after = answer.retry_after();
                    if answer.status() == StatusCode::TOO_MANY_REQUESTS.as_u16()
                        && let Some(pause) = retry_after
                    {
                        self.limiter.pause_for(pause);
                    }
                    Verdict::Retry { retry_after }
                }
                Ok(_) => Verdict::Done,
                Err(failure) if failure.transience == Transience::Transient => {
                    Verdict::Retry { retry_after: None }
                }
                Err(_) => Verdict::Done,
            },
        )
        .await;
        outcome.map_err(|failure| failure.error)
    }

    /// Sends one attempt, following redirects: every hop must be allowed; credentials go only to
    /// credentialed origins and stop for good once the chain leaves the first origin.
    async fn follow_redirects(
        &self,
        prepared: &Prepared,
    ) -> Result<reqwest::Response, AttemptError> {
        let first_origin = prepared.url.origin();
        let mut url = prepared.url.clone();
        let mut method = prepared.method.clone();
        let mut body = prepared.body.clone();
        let mut credentials_allowed = prepared.credentials == CredentialUse::Tenant;
        for _hop in 0..=MAX_REDIRECTS {
            let scope = self.ensure_allowed(&url).map_err(AttemptError::permanent)?;
            credentials_allowed &= url.origin() == first_origin;
            let mut headers = prepared.headers.clone();
            if credentials_allowed
                && scope == CredentialScope::Attach
                && let Some(credentials) = &self.credentials
            {
                let value = credentials
                    .authorization_header()
                    .await
                    .map_err(|err| AttemptError::permanent(err.into()))?;
                headers.insert(AUTHORIZATION, value);
            }
            let mut builder = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers);
            if let Some(bytes) = &body {
                builder = builder.body(bytes.clone());
            }
            let request = builder.build().map_err(|err| {
                AttemptError::permanent(EgressError::InvalidRequest(err.to_string()))
            })?;
            let response = http_client::send(&self.client, request)
                .await
                .map_err(|err| attempt_error(err, &url))?;
            let status = response.status();
            if !status.is_redirection() {
                return Ok(response);
            }
            let Some(location) = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
            else {
                return Ok(response);
            };
            url = url.join(location).map_err(|err| {
                AttemptError::permanent(EgressError::InvalidRequest(format!(
                    "redirect to `{location}`: {err}"
                )))
            })?;
            if matches!(status.as_u16(), 301..=303) {
                method = Method::GET;
                body = None;
            }
        }
        Err(AttemptError::permanent(EgressError::TooManyRedirects))
    }

    fn report(&self, prepared: &Prepared, status: Option<u16>, started: Instant) {
        if let Some(hook) = &self.attempt_hook {
            hook(&AttemptRecord {
                endpoint: prepared.endpoint.clone(),
                status,
                duration: started.elapsed(),
            });
        }
    }
}

struct Prepared {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    credentials: CredentialUse,
    endpoint: String,
}

/// What the retry judge needs from an answer.
trait HasStatus {
    fn status(&self) -> u16;
    fn retry_after(&self) -> Option<Duration>;
}

impl HasStatus for EgressResponse {
    fn status(&self) -> u16 {
        self.status
    }
    fn retry_after(&self) -> Option<Duration> {
        self.headers
            .iter()
            .find(|(name, _)| name == "retry-after")
            .and_then(|(_, value)| retry::retry_after_delay(value, SystemTime::now()))
    }
}

impl HasStatus for reqwest::Response {
    fn status(&self) -> u16 {
        reqwest::Response::status(self).as_u16()
    }
    fn retry_after(&self) -> Option<Duration> {
        retry::response_retry_after(self)
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

fn attempt_error(error: SendError, url: &Url) -> AttemptError {
    let transience = error.transience();
    let error = match &error {
        SendError::HeadersTimeout { .. } => EgressError::Timeout {
            url: without_query(url),
        },
        SendError::Transport { source, .. } if source.is_timeout() => EgressError::Timeout {
            url: without_query(url),
        },
        SendError::Transport { source, .. } => {
            EgressError::Transport(format!("{}: {}", without_query(url), error_chain(source)))
        }
    };
    AttemptError { error, transience }
}

async fn read_capped(response: reqwest::Response, cap: u64) -> Result<Bytes, AttemptError> {
    if response.content_length().is_some_and(|length| length > cap) {
        return Err(AttemptError::permanent(EgressError::TooLarge(cap)));
    }
    let url = response.url().clone();
    let mut body = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| AttemptError {
            transience: retry::classify(&err),
            error: EgressError::Transport(format!(
                "{}: reading body: {}",
                without_query(&url),
                error_chain(&err)
            )),
        })?;
        if body.len() as u64 + chunk.len() as u64 > cap {
            return Err(AttemptError::permanent(EgressError::TooLarge(cap)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn lower_case_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}

/// The URL without its query, which may carry signatures (operations.md §8).
pub fn without_query(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.to_string()
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
