//! Retry rules for outbound calls (operations.md §4): which failures are transient, the backoff
//! table per call kind, `Retry-After` parsing, and a small loop that applies them.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::time::{Duration, SystemTime};

use rand::Rng;

/// Longest wait a `Retry-After` may impose, and longest 429 pause (operations.md §3, §4).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Share of the computed backoff that may be added as random jitter.
const MAX_JITTER: f64 = 0.2;

/// How many attempts a call gets and how long to wait between them: before retry `n` (1-based),
/// `min(base × 2^(n−1), cap)` plus up to 20% jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included. 1 means "never retried".
    pub max_attempts: u32,
    /// Wait before the first retry.
    pub base: Duration,
    /// Upper bound of the computed wait (before jitter).
    pub cap: Duration,
}

impl RetryPolicy {
    /// Confluence API calls C1–C6, D0–D6 (downloads are retried by re-opening them).
    pub const CONFLUENCE: Self = Self::doubling(6, Duration::from_millis(500));
    /// Unique file diff U1.
    pub const UNIQUE_FILE_DIFF: Self = Self::doubling(4, Duration::from_secs(3));
    /// Unique GraphQL reads G1, G3, G8, G9, G10 and the upsert G12.
    pub const UNIQUE_GRAPHQL_READ: Self = Self::doubling(4, Duration::from_secs(1));
    /// Upload U2 (a page re-sends its body, an attachment opens a new download).
    pub const UPLOAD: Self = Self::doubling(4, Duration::from_secs(1));
    /// Token requests, health pings and the Unique mutations that are not retried.
    pub const NONE: Self = Self {
        max_attempts: 1,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };

    const fn doubling(max_attempts: u32, base: Duration) -> Self {
        Self {
            max_attempts,
            base,
            cap: Duration::from_secs(30),
        }
    }

    /// The wait before retry `retry_number` (1 for the first retry), without jitter.
    pub fn backoff_without_jitter(&self, retry_number: u32) -> Duration {
        let doublings = retry_number.saturating_sub(1).min(31);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }

    /// The wait before retry `retry_number` (1 for the first retry), with up to 20% jitter added.
    pub fn backoff(&self, retry_number: u32) -> Duration {
        let computed = self.backoff_without_jitter(retry_number);
        let jitter = rand::rng().random_range(0.0..=MAX_JITTER);
        computed.mul_f64(1.0 + jitter)
    }
}

/// Parses a `Retry-After` value: a non-negative number of seconds, or an HTTP-date (minus `now`).
/// Returns `None` for anything else and for a date that is not in the future.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only overflow can fail, and such a value is "very long".
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// The wait a `Retry-After` value imposes: valid and > 0, clamped to [`MAX_RETRY_AFTER`]. `None`
/// means "ignore it and use the normal backoff" (and do not pause the limiter).
pub fn retry_after_delay(value: &str, now: SystemTime) -> Option<Duration> {
    parse_retry_after(value, now)
        .filter(|d| !d.is_zero())
        .map(|d| d.min(MAX_RETRY_AFTER))
}

/// The `Retry-After` wait of a response, if it has a valid one (see [`retry_after_delay`]).
pub fn response_retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    retry_after_delay(value.to_str().ok()?, SystemTime::now())
}

/// HTTP statuses worth another attempt: 408, 429 and every 5xx.
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// Whether a failure may go away on another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transience {
    Transient,
    Permanent,
}

/// Classifies a reqwest error: connection-level failures (reset, refused, DNS, unreachable,
/// broken pipe, closed socket, a body cut short) and timeouts are transient, and so is an
/// `error_for_status` error with a transient status; anything else (building, redirect, a body
/// that is not valid JSON) is permanent.
pub fn classify(error: &reqwest::Error) -> Transience {
    if let Some(status) = error.status() {
        // An `error_for_status` error: the status decides.
        return if is_transient_status(status.as_u16()) {
            Transience::Transient
        } else {
            Transience::Permanent
        };
    }
    if error.is_timeout() || error.is_connect() {
        return Transience::Transient;
    }
    // Look at the causes, whatever the kind: reqwest reports a body cut short while reading it
    // with `bytes()`/`text()` as a *decode* error whose cause is hyper's incomplete body.
    if error
        .source()
        .is_some_and(|cause| source_chain(cause).any(is_transient_cause))
    {
        Transience::Transient
    } else {
        Transience::Permanent
    }
}

/// Classifies an I/O error met while streaming a body (for example an attachment download).
pub fn classify_io(error: &io::Error) -> Transience {
    if is_transient_cause(error) {
        Transience::Transient
    } else {
        Transience::Permanent
    }
}

fn source_chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |e: &&'a (dyn StdError + 'static)| {
        (*e).source()
    })
}

fn is_transient_cause(cause: &(dyn StdError + 'static)) -> bool {
    if let Some(io_error) = cause.downcast_ref::<io::Error>() {
        // A wrapping io::Error reports its inner error's *source* as its own, so look at the
        // inner error itself through `get_ref`.
        return is_transient_io_kind(io_error.kind())
            || io_error
                .get_ref()
                .is_some_and(|inner| source_chain(inner).any(is_transient_cause));
    }
    if let Some(hyper_error) = cause.downcast_ref::<hyper::Error>() {
        return hyper_error.is_incomplete_message()
            || hyper_error.is_closed()
            || hyper_error.is_canceled()
            || hyper_error.is_timeout();
    }
    if let Some(reqwest_error) = cause.downcast_ref::<reqwest::Error>() {
        return classify(reqwest_error) == Transience::Transient;
    }
    false
}

fn is_transient_io_kind(kind: io::ErrorKind) -> bool {
    use io::ErrorKind::*;
    matches!(
        kind,
        ConnectionReset
            | ConnectionRefused
            | ConnectionAborted
            | NotConnected
            | BrokenPipe
            | UnexpectedEof
            | TimedOut
            | NetworkUnreachable
            | HostUnreachable
            | NetworkDown
    )
}

/// What the retry loop does with one attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the outcome to the caller (success, or a failure not worth retrying).
    Done,
    /// Try again after the policy's backoff, or after `retry_after` when the server named a
    /// valid wait (never jittered).
    Retry { retry_after: Option<Duration> },
}

/// The verdict for an HTTP answer: retry 408, 429 and 5xx (honouring `Retry-After`).
pub fn verdict_for_response(response: &reqwest::Response) -> Verdict {
    if is_transient_status(response.status().as_u16()) {
        Verdict::Retry {
            retry_after: response_retry_after(response),
        }
    } else {
        Verdict::Done
    }
}

/// The verdict for a transport error (see [`classify`]).
pub fn verdict_for_error(error: &reqwest::Error) -> Verdict {
    match classify(error) {
        Transience::Transient => Verdict::Retry { retry_after: None },
        Transience::Permanent => Verdict::Done,
    }
}

/// Runs `attempt` (given the 1-based attempt number) until `judge` says [`Verdict::Done`] or the
/// policy's attempts are used up, then returns the last outcome. Sleeps between attempts are
/// cancel-safe: dropping the future stops the loop.
///
/// Every attempt costs a rate-limit token, so `attempt` acquires it itself; `judge` is the place
/// to pause the limiter on a 429 with `Retry-After`.
pub async fn run<T, E, F, Fut>(
    policy: &RetryPolicy,
    mut attempt: F,
    mut judge: impl FnMut(&Result<T, E>) -> Verdict,
) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt_number = 1;
    loop {
        let outcome = attempt(attempt_number).await;
        let verdict = judge(&outcome);
        let wait = match verdict {
            Verdict::Retry { retry_after } if attempt_number < policy.max_attempts => {
                retry_after.unwrap_or_else(|| policy.backoff(attempt_number))
            }
            _ => return outcome,
        };
        tracing::debug!(
            attempt = attempt_number,
            wait_ms = wait.as_millis() as u64,
            "transient failure; retrying"
        );
        tokio::time::sleep(wait).await;
        attempt_number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn confluence_backoff_follows_the_table_and_caps_at_30_s() {
        let waits: Vec<_> = (1..=8)
            .map(|n| RetryPolicy::CONFLUENCE.backoff_without_jitter(n))
            .collect();
        let expected_ms = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
        assert_eq!(
            waits,
            expected_ms.map(Duration::from_millis).to_vec(),
            "0.5 s doubling, capped"
        );
        assert_eq!(RetryPolicy::CONFLUENCE.max_attempts, 6);
        assert_eq!(
            RetryPolicy::CONFLUENCE.backoff_without_jitter(u32::MAX),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn unique_policies_follow_the_table() {
        let file_diff: Vec<_> = (1..=3)
            .map(|n| {
                RetryPolicy::UNIQUE_FILE_DIFF
                    .backoff_without_jitter(n)
                    .as_secs()
            })
            .collect();
        assert_eq!(file_diff, [3, 6, 12]);
        for policy in [RetryPolicy::UNIQUE_GRAPHQL_READ, RetryPolicy::UPLOAD] {
            let waits: Vec<_> = (1..=3)
                .map(|n| policy.backoff_without_jitter(n).as_secs())
                .collect();
            assert_eq!(waits, [1, 2, 4]);
            assert_eq!(policy.max_attempts, 4);
        }
        assert_eq!(RetryPolicy::UNIQUE_FILE_DIFF.max_attempts, 4);
        assert_eq!(RetryPolicy::NONE.max_attempts, 1);
    }

    #[test]
    fn jitter_adds_at_most_twenty_percent() {
        let policy = RetryPolicy::UNIQUE_GRAPHQL_READ;
        let samples: Vec<_> = (0..500).map(|_| policy.backoff(2)).collect();
        assert!(samples.iter().all(|d| *d >= Duration::from_secs(2)));
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(2_400)));
        assert!(
            samples.iter().any(|d| *d != samples[0]),
            "500 samples without any jitter"
        );
    }

    #[test]
    fn retry_after_accepts_seconds_and_future_http_dates_only() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let in_90_s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&in_90_s, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&past, now), None);
        for invalid in ["", "-1", "1.5", "soon", "+3", "3 s"] {
            assert_eq!(parse_retry_after(invalid, now), None, "{invalid:?}");
        }
    }

    #[test]
    fn retry_after_delay_is_clamped_to_60_s_and_ignores_zero() {
        let now = SystemTime::now();
        assert_eq!(retry_after_delay("600", now), Some(Duration::from_secs(60)));
        assert_eq!(
            retry_after_delay("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after_delay("12", now), Some(Duration::from_secs(12)));
        assert_eq!(retry_after_delay("0", now), None);
        assert_eq!(retry_after_delay("never", now), None);
    }

    #[test]
    fn transient_statuses_are_408_429_and_5xx() {
        let transient: Vec<u16> = (100..=599).filter(|s| is_transient_status(*s)).collect();
        let mut expected = vec![408, 429];
        expected.extend(500..=599);
        assert_eq!(transient, expected);
    }

    #[test]
    fn connection_level_io_errors_are_transient() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert_eq!(classify_io(&io::Error::from(kind)), Transience::Transient);
        }
        let wrapped = io::Error::other(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(classify_io(&wrapped), Transience::Transient);
        assert_eq!(
            classify_io(&io::Error::from(io::ErrorKind::PermissionDenied)),
            Transience::Permanent
        );
    }

    #[tokio::test]
    async fn refused_connection_is_transient() {
        // Bind then drop a listener: its port now refuses connections.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let error = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("nothing listens there");
        assert_eq!(classify(&error), Transience::Transient);
    }

    #[tokio::test]
    async fn connection_closed_before_an_answer_is_transient() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            // Close without answering.
        });
        let error = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect_err("the server hangs up");
        assert_eq!(classify(&error), Transience::Transient, "{error:?}");
    }

    /// Serves one connection: reads the request, writes `answer` raw, then holds the socket open
    /// for `linger` before closing it.
    async fn raw_server(answer: &'static str, linger: Duration) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(answer.as_bytes()).await;
            tokio::time::sleep(linger).await;
        });
        addr
    }

    #[tokio::test]
    async fn body_cut_short_is_transient() {
        let addr = raw_server(
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b",
            Duration::ZERO,
        )
        .await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let response = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("headers arrive");
        let error = response.bytes().await.expect_err("body is truncated");
        assert_eq!(classify(&error), Transience::Transient, "{error:?}");
    }

    #[tokio::test]
    async fn idle_body_read_timeout_is_transient() {
        let addr = raw_server(
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nfirst",
            Duration::from_secs(5),
        )
        .await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .read_timeout(Duration::from_millis(200))
            .build()
            .expect("client");
        let response = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("headers arrive");
        let error = response.bytes().await.expect_err("body stalls");
        assert!(error.is_timeout(), "{error:?}");
        assert_eq!(classify(&error), Transience::Transient);
    }

    #[tokio::test]
    async fn status_errors_are_classified_by_their_status() {
        let unavailable = raw_server(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        let not_found = raw_server(
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        for (addr, expected) in [
            (unavailable, Transience::Transient),
            (not_found, Transience::Permanent),
        ] {
            let error = client
                .get(format!("http://{addr}/"))
                .send()
                .await
                .expect("answer")
                .error_for_status()
                .expect_err("error status");
            assert_eq!(classify(&error), expected, "{error:?}");
        }
    }

    #[tokio::test]
    async fn body_that_is_not_json_is_permanent() {
        let addr = raw_server(
            "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nnot json",
            Duration::ZERO,
        )
        .await;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let error = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("answer")
            .json::<serde_json::Value>()
            .await
            .expect_err("not json");
        assert_eq!(classify(&error), Transience::Permanent, "{error:?}");
    }

    #[tokio::test]
    async fn invalid_url_is_permanent() {
        let error = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get("not a url")
            .send()
            .await
            .expect_err("invalid url");
        assert_eq!(classify(&error), Transience::Permanent);
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success_with_backoff() {
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let outcome: Result<u32, &str> = run(
            &RetryPolicy::UNIQUE_GRAPHQL_READ,
            |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { if n < 3 { Err("flaky") } else { Ok(n) } }
            },
            |outcome| match outcome {
                Ok(_) => Verdict::Done,
                Err(_) => Verdict::Retry { retry_after: None },
            },
        )
        .await;
        assert_eq!(outcome, Ok(3));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let waited = start.elapsed();
        // 1 s + 2 s, each with up to 20% jitter.
        assert!(
            waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3_600),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_stops_after_max_attempts_and_returns_the_last_failure() {
        let calls = AtomicU32::new(0);
        let outcome: Result<(), u32> = run(
            &RetryPolicy::CONFLUENCE,
            |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { Err(n) }
            },
            |_| Verdict::Retry { retry_after: None },
        )
        .await;
        assert_eq!(outcome, Err(6));
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn run_waits_exactly_retry_after_without_jitter() {
        let start = tokio::time::Instant::now();
        let outcome: Result<u32, u32> = run(
            &RetryPolicy::CONFLUENCE,
            |n| async move { if n == 1 { Err(n) } else { Ok(n) } },
            |outcome| match outcome {
                Ok(_) => Verdict::Done,
                Err(_) => Verdict::Retry {
                    retry_after: Some(Duration::from_secs(7)),
                },
            },
        )
        .await;
        assert_eq!(outcome, Ok(2));
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn run_never_retries_a_done_verdict_or_the_none_policy() {
        let calls = AtomicU32::new(0);
        let _: Result<(), ()> = run(
            &RetryPolicy::CONFLUENCE,
            |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(()) }
            },
            |_| Verdict::Done,
        )
        .await;
        let _: Result<(), ()> = run(
            &RetryPolicy::NONE,
            |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(()) }
            },
            |_| Verdict::Retry { retry_after: None },
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
