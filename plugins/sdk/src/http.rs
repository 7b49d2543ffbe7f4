//! Typed helpers over the host's `http` import: build a request, send it, read JSON.
//!
//! The host attaches credentials, enforces the tenant's allow-list, rate-limits and retries; a
//! plugin only builds requests relative to its source and judges the answers.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use crate::bindings::unique::connector::http::{
    Credentials, HttpError, Method, Request, Response,
};
#[cfg(target_arch = "wasm32")]
pub use crate::bindings::unique::connector::http::{send, send_all};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::native::{send, send_all};
use crate::source::SourceError;

/// Characters left as they are in query names, values and path segments (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` percent-encoded for use as one URL path segment or query value.
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

impl Request {
    /// A `GET` of `url` with the tenant's credentials and JSON accepted.
    pub fn get(url: impl Into<String>) -> Self {
        Request {
            method: Method::Get,
            url: url.into(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            credentials: Credentials::Tenant,
            max_body_bytes: None,
            endpoint: None,
        }
    }

    /// Names the endpoint for the host's metrics (a low-cardinality label).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends the request without the tenant's credentials.
    pub fn without_credentials(mut self) -> Self {
        self.credentials = Credentials::None;
        self
    }

    /// Caps the response body at `bytes`.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// Appends the query parameter `name=value` to the URL, percent-encoded.
    pub fn query(mut self, name: &str, value: impl AsRef<str>) -> Self {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        self.url = format!(
            "{}{separator}{}={}",
            self.url,
            encode_component(name),
            encode_component(value.as_ref())
        );
        self
    }

    /// Sends the request through the host.
    pub fn send(&self) -> Result<Response, HttpError> {
        send(self)
    }

    /// Sends the request and parses a 2xx answer as JSON. Other statuses become
    /// `unexpected-status` (with the URL without its query and a body excerpt), bodies that do
    /// not parse `malformed-response`, failed requests `http`.
    pub fn fetch_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, SourceError> {
        let response = self.send().map_err(SourceError::Http)?;
        response.json_or_error(&self.url)
    }
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as JSON when the status is 2xx; otherwise the matching [`SourceError`] for a
    /// request of `url` (named without its query, which may hold search terms).
    pub fn json_or_error<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, SourceError> {
        let shown = url.split('?').next().unwrap_or(url);
        if !self.is_success() {
            let excerpt: String = String::from_utf8_lossy(&self.body)
                .chars()
                .take(200)
                .collect();
            return Err(SourceError::UnexpectedStatus((
                self.status,
                format!("GET {shown}: {excerpt}"),
            )));
        }
        self.json()
            .map_err(|err| SourceError::MalformedResponse(format!("{shown}: {err}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn query_parameters_are_percent_encoded_and_joined() {
        let request = Request::get("https://docs.example/api/documents")
            .query("label", "ai ingest&more")
            .query("limit", "50");
        assert_eq!(
            request.url,
            "https://docs.example/api/documents?label=ai%20ingest%26more&limit=50"
        );
    }

    #[test]
    fn a_non_success_status_becomes_unexpected_status_without_the_query() {
        let response = Response {
            status: 403,
            headers: Vec::new(),
            body: b"forbidden".to_vec(),
        };
        let error = response
            .json_or_error::<serde_json::Value>("https://docs.example/api/documents?label=secret")
            .unwrap_err();
        assert!(
            matches!(&error, SourceError::UnexpectedStatus((403, text)) if text == "GET https://docs.example/api/documents: forbidden"),
            "{error:?}"
        );
    }
}
