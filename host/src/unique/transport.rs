//! One JSON POST to Unique with everything around it: a rate-limit token per attempt, the tenant's
//! credentials applied last, the response-header timeout, the retry loop, and one metrics
//! observation per attempt.

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use url::Url;

use super::UniqueClient;
use super::error::UniqueError;
use super::metrics::{RequestObservation, RequestResult};
use crate::http_client;
use crate::rate_limit::RateLimiter;
use crate::retry::{self, RetryPolicy, Verdict};

/// Longest part of an error answer's body kept in [`UniqueError::Status`].
const MAX_ERROR_BODY_CHARS: usize = 500;

/// How one kind of call is sent.
pub(super) struct Call<'a> {
    /// The operation name for errors (`PaginatedScope`, `file-diff`).
    pub operation: &'static str,
    /// The `operation` metric label.
    pub metric_operation: &'a str,
    /// The `target` metric label.
    pub metric_target: &'static str,
    pub url: &'a Url,
    pub limiter: &'a RateLimiter,
    pub policy: RetryPolicy,
    /// Headers set before the credentials (which are applied last and win).
    pub headers: &'a [(&'static str, &'static str)],
}

impl UniqueClient {
    /// POSTs `body` (JSON) per `call`, retrying transient failures as its policy allows; `parse`
    /// turns a 2xx body into the result. A parse error is not retried but counts as a failed
    /// request in the metrics.
    pub(super) async fn post_json<T>(
        &self,
        call: &Call<'_>,
        body: Bytes,
        parse: impl Fn(Bytes) -> Result<T, UniqueError>,
    ) -> Result<T, UniqueError> {
        retry::run(
            &call.policy,
            |_attempt| {
                let body = body.clone();
                let parse = &parse;
                async move {
                    call.limiter.acquire().await;
                    let started = Instant::now();
                    let (status, outcome) = match self.exchange(call, body).await {
                        Ok((status, answer)) => (Some(status), parse(answer)),
                        Err(error) => (error.status(), Err(error)),
                    };
                    self.metrics.observe(&RequestObservation {
                        tenant: &self.tenant,
                        operation: call.metric_operation,
                        target: call.metric_target,
                        result: if outcome.is_ok() {
                            RequestResult::Success
                        } else {
                            RequestResult::Error
                        },
                        status,
                        duration: started.elapsed(),
                    });
                    outcome
                }
            },
            |outcome| match outcome {
                Ok(_) => Verdict::Done,
                Err(error) => error.verdict(),
            },
        )
        .await
    }

    /// One attempt: sends the request and reads a 2xx answer's body (status and body).
    async fn exchange(&self, call: &Call<'_>, body: Bytes) -> Result<(u16, Bytes), UniqueError> {
        let url_text = call.url.as_str();
        let mut request = self
            .http
            .post(call.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .build()
            .map_err(|source| UniqueError::Transport {
                operation: call.operation,
                url: url_text.to_owned(),
                source: http_client::SendError::Transport {
                    method: reqwest::Method::POST,
                    url: url_text.to_owned(),
                    source,
                },
            })?;
        let headers = request.headers_mut();
        for (name, value) in call.headers {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        let credentials = self
            .auth
            .headers()
            .await
            .map_err(|source| UniqueError::Auth {
                operation: call.operation,
                source,
            })?;
        for (name, value) in credentials {
            headers.insert(name, value);
        }

        let response = http_client::send(&self.http, request)
            .await
            .map_err(|source| UniqueError::Transport {
                operation: call.operation,
                url: url_text.to_owned(),
                source,
            })?;
        let status = response.status().as_u16();
        let retry_after = retry::response_retry_after(&response);
        let answer = response
            .bytes()
            .await
            .map_err(|source| UniqueError::ReadBody {
                operation: call.operation,
                url: url_text.to_owned(),
                status,
                source: source.without_url(),
            })?;
        if !(200..300).contains(&status) {
            return Err(UniqueError::Status {
                operation: call.operation,
                url: url_text.to_owned(),
                status,
                body_excerpt: String::from_utf8_lossy(&answer)
                    .chars()
                    .take(MAX_ERROR_BODY_CHARS)
                    .collect(),
                retry_after,
            });
        }
        Ok((status, answer))
    }
}
