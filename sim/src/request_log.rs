//! The request log: every request any simulator answered (method, path, query, selected
//! headers, status, endpoint) and counts per endpoint, for tests and benchmarks to read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::lock;

/// Headers copied into the log. `authorization` keeps only its scheme.
pub const LOGGED_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "authorization",
    "content-length",
    "content-type",
    "x-company-id",
    "x-user-id",
    "x-service-id",
    "x-ms-blob-type",
    "range",
];

/// One answered request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub seq: u64,
    /// Listener: `cloud`, `media`, `dc:{name}`, `unique`, `blob`.
    pub service: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// `{service} {METHOD} {route template}` plus ` {operation}` for GraphQL.
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub duration_ms: u64,
    /// The injected fault, if one applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// A snapshot of the log.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLogSnapshot {
    pub counts: BTreeMap<String, u64>,
    pub requests: Vec<LoggedRequest>,
}

impl RequestLogSnapshot {
    /// Number of requests whose endpoint contains `needle`.
    pub fn count_matching(&self, needle: &str) -> u64 {
        self.counts
            .iter()
            .filter(|(endpoint, _)| endpoint.contains(needle))
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests whose endpoint contains `needle`, oldest first.
    pub fn matching(&self, needle: &str) -> Vec<&LoggedRequest> {
        self.requests
            .iter()
            .filter(|r| r.endpoint.contains(needle))
            .collect()
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    counts: BTreeMap<String, u64>,
    requests: std::collections::VecDeque<LoggedRequest>,
}

/// Entries kept; older ones are dropped (counts keep counting), so long benchmarks stay
/// within a bounded amount of memory.
pub const MAX_LOGGED_REQUESTS: usize = 100_000;

/// Shared by every listener.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

impl RequestLog {
    pub fn record(&self, mut entry: LoggedRequest) {
        let mut inner = lock(&self.inner);
        entry.seq = inner.next_seq;
        inner.next_seq += 1;
        *inner.counts.entry(entry.endpoint.clone()).or_default() += 1;
        if inner.requests.len() >= MAX_LOGGED_REQUESTS {
            inner.requests.pop_front();
        }
        inner.requests.push_back(entry);
    }

    pub fn snapshot(&self) -> RequestLogSnapshot {
        let inner = lock(&self.inner);
        RequestLogSnapshot {
            counts: inner.counts.clone(),
            requests: inner.requests.iter().cloned().collect(),
        }
    }

    /// Only the counts per endpoint: cheap enough to read often.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner).counts.clone()
    }

    pub fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.counts.clear();
        inner.requests.clear();
    }
}
