//! Plain request and response values exchanged with the driver: this crate never performs I/O,
//! it only describes the GET requests it needs and reads the answers the driver hands back.

use std::fmt;

/// Largest excerpt of a response body carried in an error message.
const BODY_EXCERPT_CHARS: usize = 300;

/// Whether the host attaches the tenant's credentials to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Every API call and download.
    Tenant,
    /// Only the DC instance id (D0), which must be sent without `Authorization`.
    None,
}

/// A GET request for the driver (the plugin) to send through the host.
///
/// Credentials are never part of it: the host attaches them when `credentials` says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpGet {
    /// Absolute URL.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Whether the host attaches the tenant's credentials.
    pub credentials: Credentials,
    /// Low-cardinality endpoint name for metrics, e.g. `/rest/api/content/search`.
    pub endpoint: &'static str,
    /// Largest response body wanted, in bytes; `None` leaves the host's default cap.
    pub max_body_bytes: Option<u64>,
}

impl HttpGet {
    /// A JSON API call: `Accept: application/json`, host default body cap.
    pub fn json(url: String, endpoint: &'static str) -> Self {
        Self {
            url,
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            credentials: Credentials::Tenant,
            endpoint,
            max_body_bytes: None,
        }
    }

    /// A file download that is buffered (image inlining): identity encoding, so the byte count
    /// is the file's own, and a cap of `max_bytes`.
    pub fn download(url: String, endpoint: &'static str, max_bytes: u64) -> Self {
        Self {
            url,
            headers: vec![("Accept-Encoding".to_owned(), "identity".to_owned())],
            credentials: Credentials::Tenant,
            endpoint,
            max_body_bytes: Some(max_bytes),
        }
    }
}

/// The final answer to an [`HttpGet`], after the host's retries and redirects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with the given status and body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, cut to a short excerpt for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
        if text.chars().count() > BODY_EXCERPT_CHARS {
            excerpt.push('…');
        }
        excerpt
    }
}

/// Why a request produced no usable response, as reported by the driver (timeout, denied,
/// transport failure, ...). Only its text is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFailed(pub String);

impl fmt::Display for RequestFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The outcome of one request as the driver saw it.
pub type Reply = Result<HttpResponse, RequestFailed>;

/// The URL without its query string, for error messages: queries can be long (CQL) and carry
/// cursors that help nobody reading a log.
pub fn url_without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}
