//! Checks of one answer (status, then shape), producing errors that name the endpoint and the
//! URL (without its query, which holds CQL and cursors) and carry a body excerpt.

use crate::model::ModelError;
use crate::request::{HttpGet, HttpResponse, url_without_query};

/// An answer that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("GET {url} ({endpoint}) answered HTTP {status}: {body}")]
    /// A non-2xx answer.
    Status {
        /// Endpoint name of the request.
        endpoint: &'static str,
        /// Request URL without its query.
        url: String,
        /// HTTP status.
        status: u16,
        /// Excerpt of the body.
        body: String,
    },
    #[error("GET {url} ({endpoint}) answered an unexpected shape: {source}")]
    /// A 2xx answer that does not parse.
    Malformed {
        /// Endpoint name of the request.
        endpoint: &'static str,
        /// Request URL without its query.
        url: String,
        #[source]
        /// What is wrong with it.
        source: ModelError,
    },
}

impl AnswerError {
    /// The HTTP status, for a status error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Malformed { .. } => None,
        }
    }
}

/// The body of a 2xx answer, or a status error.
pub fn successful_body<'a>(
    request: &HttpGet,
    response: &'a HttpResponse,
) -> Result<&'a [u8], AnswerError> {
    if response.is_success() {
        Ok(&response.body)
    } else {
        Err(AnswerError::Status {
            endpoint: request.endpoint,
            url: url_without_query(&request.url).to_owned(),
            status: response.status,
            body: response.body_excerpt(),
        })
    }
}

/// Wraps a parse error with the request it answered.
pub fn malformed(request: &HttpGet, source: ModelError) -> AnswerError {
    AnswerError::Malformed {
        endpoint: request.endpoint,
        url: url_without_query(&request.url).to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_error_names_url_without_query_and_body() {
        let request = HttpGet::json(
            "https://h/rest/api/content/search?cql=secret".into(),
            "/search",
        );
        let response = HttpResponse::new(503, "busy");
        let err = successful_body(&request, &response).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GET https://h/rest/api/content/search (/search) answered HTTP 503: busy"
        );
        assert_eq!(err.status(), Some(503));
    }
}
