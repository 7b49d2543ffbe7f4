//! Fault injection: rules matched per service, method and path pattern (or, for Unique, per
//! named operation and key) that answer with an error status, add latency, reset the
//! connection, or truncate or garble the body. Set at start-up (scenario) or at run time.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::lock;

/// One fault rule. Unset selectors match anything.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// Listener: `cloud`, `media`, `dc:{name}`, `unique`, `blob`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path pattern; `*` matches any run of characters, including `/`.
    #[serde(default = "match_all")]
    pub path: String,
    /// Unique operation: a GraphQL operation name, `FileDiff` or `Upload`. A rule with an
    /// operation is applied by the Unique handlers, not by path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// With `operation`: only requests about this key (content key, partial key or upload key;
    /// substring match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// How many matching requests fail; unset means every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    pub action: FaultAction,
}

fn match_all() -> String {
    "*".to_owned()
}

/// What a matching request gets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status instead of calling the endpoint.
    Status {
        status: u16,
        /// `Retry-After` seconds (for 429/503).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "retryAfter"
        )]
        retry_after: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// Wait, then answer normally.
    Latency { ms: u64 },
    /// Close the connection without a complete answer.
    Reset,
    /// Announce the full `Content-Length` but send only the first bytes, then close.
    Truncate {
        #[serde(default, rename = "afterBytes")]
        after_bytes: u64,
    },
    /// Replace the body with bytes that are not valid JSON (same status).
    Malformed,
}

/// The request a rule is matched against.
#[derive(Clone, Debug)]
pub struct FaultTarget<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub operation: Option<&'a str>,
    pub key: Option<&'a str>,
}

#[derive(Debug)]
struct ActiveRule {
    rule: FaultRule,
    remaining: Option<u32>,
}

/// The active rules, shared by every listener.
#[derive(Debug, Default)]
pub struct FaultSet {
    rules: Mutex<Vec<ActiveRule>>,
}

impl FaultSet {
    pub fn new(rules: &[FaultRule]) -> Self {
        let set = FaultSet::default();
        for rule in rules {
            set.add(rule.clone());
        }
        set
    }

    pub fn add(&self, rule: FaultRule) {
        let remaining = rule.times;
        lock(&self.rules).push(ActiveRule { rule, remaining });
    }

    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// Rules still active, with their remaining counts.
    pub fn list(&self) -> Vec<FaultRule> {
        lock(&self.rules)
            .iter()
            .map(|a| FaultRule {
                times: a.remaining,
                ..a.rule.clone()
            })
            .collect()
    }

    /// The action of the first matching rule, consuming one of its uses.
    pub fn take(&self, target: &FaultTarget<'_>) -> Option<FaultAction> {
        let mut rules = lock(&self.rules);
        let index = rules
            .iter()
            .position(|a| a.remaining != Some(0) && a.rule.matches(target))?;
        let active = &mut rules[index];
        if let Some(n) = active.remaining.as_mut() {
            *n -= 1;
        }
        let action = active.rule.action.clone();
        if active.remaining == Some(0) {
            rules.remove(index);
        }
        Some(action)
    }
}

impl FaultRule {
    fn matches(&self, target: &FaultTarget<'_>) -> bool {
        let service_ok = self.service.as_deref().is_none_or(|s| s == target.service);
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(target.method));
        let operation_ok = match (&self.operation, target.operation) {
            (None, None) => true,
            (Some(wanted), Some(actual)) => wanted == actual,
            _ => false,
        };
        let key_ok = match (&self.key, target.key) {
            (None, _) => true,
            (Some(wanted), Some(actual)) => actual.contains(wanted.as_str()),
            (Some(_), None) => false,
        };
        service_ok && method_ok && operation_ok && key_ok && glob_matches(&self.path, target.path)
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl FaultAction {
    /// A short label for the request log.
    pub fn label(&self) -> String {
        match self {
            FaultAction::Status { status, .. } => format!("status {status}"),
            FaultAction::Latency { ms } => format!("latency {ms}ms"),
            FaultAction::Reset => "reset".to_owned(),
            FaultAction::Truncate { after_bytes } => format!("truncate after {after_bytes} bytes"),
            FaultAction::Malformed => "malformed".to_owned(),
        }
    }

    /// The answer that replaces the endpoint's, if this action answers before the endpoint runs.
    pub fn early_response(&self) -> Option<Response> {
        match self {
            FaultAction::Status {
                status,
                retry_after,
                body,
            } => {
                let code =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let text = body.clone().unwrap_or_else(|| {
                    serde_json::json!({"statusCode": status, "message": format!("Injected fault: status {status}")})
                        .to_string()
                });
                let mut response = Response::new(Body::from(text));
                *response.status_mut() = code;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                if let Some(secs) = retry_after
                    && let Ok(value) = HeaderValue::from_str(&secs.to_string())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                Some(response)
            }
            FaultAction::Reset => {
                // A body that fails before its first byte: hyper aborts the connection.
                let stream = futures::stream::once(async {
                    Err::<Bytes, std::io::Error>(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected connection reset",
                    ))
                });
                let mut response = Response::new(Body::from_stream(stream));
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("1"));
                Some(response)
            }
            _ => None,
        }
    }

    /// Waits when the action is latency.
    pub async fn delay(&self) {
        if let FaultAction::Latency { ms } = self {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }

    /// Rewrites an endpoint's answer for the body faults.
    pub async fn rewrite(&self, response: Response) -> Response {
        match self {
            FaultAction::Truncate { after_bytes } => truncate(response, *after_bytes),
            FaultAction::Malformed => {
                let (mut parts, _body) = response.into_parts();
                let garbage = Bytes::from_static(b"{\"results\":[{\"id\":");
                parts.headers.remove(header::CONTENT_LENGTH);
                parts.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Response::from_parts(parts, Body::from(garbage))
            }
            _ => response,
        }
    }
}

fn truncate(response: Response, after_bytes: u64) -> Response {
    let (mut parts, body) = response.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut sent = 0u64;
    let limited = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        if sent >= after_bytes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected truncation",
            ));
        }
        let keep = (after_bytes - sent).min(chunk.len() as u64) as usize;
        sent += keep as u64;
        Ok(chunk.slice(..keep))
    });
    // Ends the stream with an error once the allowance is used up. The pause lets hyper flush
    // the head and the bytes sent so far; without it the error would discard them unsent.
    let failing_tail = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected truncation",
        ))
    });
    let stream = limited
        .take_while(|item| futures::future::ready(item.is_ok()))
        .chain(failing_tail);
    if declared.is_none() {
        // Without a length the client still sees an aborted chunked body.
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>(
        path: &'a str,
        operation: Option<&'a str>,
        key: Option<&'a str>,
    ) -> FaultTarget<'a> {
        FaultTarget {
            service: "unique",
            method: "POST",
            path,
            operation,
            key,
        }
    }

    #[test]
    fn glob_star_matches_any_run() {
        assert!(glob_matches("*", "/a/b"));
        assert!(glob_matches(
            "/ex/*/search",
            "/ex/confluence/c1/wiki/rest/api/content/search"
        ));
        assert!(!glob_matches(
            "/ex/*/search",
            "/ex/confluence/c1/wiki/rest/api/content"
        ));
        assert!(glob_matches("/a", "/a"));
        assert!(!glob_matches("/a", "/ab"));
    }

    #[test]
    fn a_rule_with_times_expires_after_that_many_matches() {
        let set = FaultSet::new(&[FaultRule {
            service: None,
            method: None,
            path: "*".to_owned(),
            operation: Some("ContentUpsert".to_owned()),
            key: Some("acme/1_ENG/100".to_owned()),
            times: Some(2),
            action: FaultAction::Status {
                status: 500,
                retry_after: None,
                body: None,
            },
        }]);
        let hit = target("/graphql", Some("ContentUpsert"), Some("acme/1_ENG/100"));
        assert!(
            set.take(&target(
                "/graphql",
                Some("ContentUpsert"),
                Some("acme/1_ENG/200")
            ))
            .is_none()
        );
        assert!(set.take(&target("/graphql", None, None)).is_none());
        assert!(set.take(&hit).is_some());
        assert_eq!(set.list()[0].times, Some(1));
        assert!(set.take(&hit).is_some());
        assert!(set.take(&hit).is_none());
        assert!(set.list().is_empty());
    }
}
