//! Typed helpers over the host's `http` import: build a request, send it, read JSON.
//!
//! The host attaches credentials, enforces the tenant's allow-list, rate-limits and retries; a
//! plugin only builds requests relative to its source and judges the answers.

pub use crate::bindings::unique::connector::http::{
    Credentials, HttpError, Method, Request, Response, send, send_all,
};

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

    /// Sends the request through the host.
    pub fn send(&self) -> Result<Response, HttpError> {
        send(self)
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
}
