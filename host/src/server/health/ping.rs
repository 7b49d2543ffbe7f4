//! One health ping: a request under a total deadline whose failure is reduced to the code the
//! `/health` body shows (`TIMEOUT`, `ECONNREFUSED` and other connection codes, `HTTP_<code>`,
//! `AUTH_FAILURE`, `UNKNOWN`). Health pings are never retried and never follow redirects.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::time::Duration;

use reqwest::{Client, Request, Response};
use serde_json::{Value as Json, json};

use super::targets::HealthTenant;

use crate::http_client::{SendError, send_with_header_timeout};

/// Why a ping is down, as shown in the `error` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PingFailure {
    Timeout,
    /// A connection-level error, named like Node's error codes (`ECONNREFUSED`, `ENOTFOUND`).
    Connection(&'static str),
    /// The target answered with a non-2xx status where a 2xx was needed.
    Status(u16),
    /// The tenant's Unique token could not be obtained.
    AuthFailure,
    Unknown,
}

impl PingFailure {
    pub(super) fn code(&self) -> String {
        match self {
            Self::Timeout => "TIMEOUT".to_owned(),
            Self::Connection(code) => (*code).to_owned(),
            Self::Status(status) => format!("HTTP_{status}"),
            Self::AuthFailure => "AUTH_FAILURE".to_owned(),
            Self::Unknown => "UNKNOWN".to_owned(),
        }
    }
}

/// A tenant's entry in a check's list: `{tenant, status, error?}`.
pub(super) fn tenant_entry(tenant: &HealthTenant, result: Result<(), PingFailure>) -> Json {
    match result {
        Ok(()) => json!({ "tenant": tenant.name.as_str(), "status": "up" }),
        Err(failure) => {
            json!({ "tenant": tenant.name.as_str(), "status": "down", "error": failure.code() })
        }
    }
}

/// Runs `ping` (which builds and sends one request) with `timeout` as its total budget.
pub(super) async fn within<F>(timeout: Duration, ping: F) -> Result<Response, PingFailure>
where
    F: Future<Output = Result<Response, PingFailure>>,
{
    tokio::time::timeout(timeout, ping)
        .await
        .unwrap_or(Err(PingFailure::Timeout))
}

/// Sends `request`, classifying a transport failure.
pub(super) async fn send(
    client: &Client,
    request: Request,
    timeout: Duration,
) -> Result<Response, PingFailure> {
    send_with_header_timeout(client, request, timeout)
        .await
        .map_err(|error| {
            let failure = classify(&error);
            tracing::debug!(error = &error as &dyn StdError, code = %failure.code(), "health ping failed");
            failure
        })
}

fn classify(error: &SendError) -> PingFailure {
    let source = match error {
        SendError::HeadersTimeout { .. } => return PingFailure::Timeout,
        SendError::Transport { source, .. } => source,
    };
    if source.is_timeout() {
        return PingFailure::Timeout;
    }
    let mut cause: Option<&(dyn StdError + 'static)> = Some(source);
    while let Some(error) = cause {
        if let Some(io_error) = error.downcast_ref::<io::Error>()
            && let Some(failure) = classify_io(io_error)
        {
            return failure;
        }
        // hyper-util reports a failed name lookup as "dns error" around an opaque I/O error.
        if error.to_string().starts_with("dns error") {
            return PingFailure::Connection("ENOTFOUND");
        }
        cause = error.source();
    }
    PingFailure::Unknown
}

fn classify_io(error: &io::Error) -> Option<PingFailure> {
    use io::ErrorKind::*;
    Some(match error.kind() {
        TimedOut => PingFailure::Timeout,
        ConnectionRefused => PingFailure::Connection("ECONNREFUSED"),
        ConnectionReset => PingFailure::Connection("ECONNRESET"),
        ConnectionAborted => PingFailure::Connection("ECONNABORTED"),
        HostUnreachable => PingFailure::Connection("EHOSTUNREACH"),
        NetworkUnreachable => PingFailure::Connection("ENETUNREACH"),
        AddrNotAvailable => PingFailure::Connection("EADDRNOTAVAIL"),
        BrokenPipe => PingFailure::Connection("EPIPE"),
        _ => return None,
    })
}
