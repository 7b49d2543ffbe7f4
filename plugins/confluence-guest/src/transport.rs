//! Core requests sent through the host's `http` import: [`HttpGet`] becomes a WIT `request`, the
//! WIT `response` becomes an [`HttpResponse`], and a WIT `http-error` becomes the text core
//! records for a page it could not fetch.

use confluence_core::request::{self, HttpGet, HttpResponse, Reply, RequestFailed};
use connector_plugin_sdk::http::{self, Credentials, HttpError, Method, Request, Response};
use connector_plugin_sdk::log;

/// Sends one request through the host; a failure is logged with the endpoint and the URL
/// (without its query), which the bare WIT error does not carry.
pub fn send(request: &HttpGet) -> Result<HttpResponse, HttpError> {
    http::send(&to_wit_request(request))
        .map(from_wit_response)
        .inspect_err(|err| {
            log::warn(
                "request failed",
                &[
                    log::plain("endpoint", request.endpoint),
                    log::identifying("url", request::url_without_query(&request.url)),
                    log::identifying("error", describe_http_error(err)),
                ],
            );
        })
}

/// Sends requests concurrently through the host; one reply per request, in order.
pub fn send_all(requests: &[HttpGet]) -> Vec<Reply> {
    let requests: Vec<Request> = requests.iter().map(to_wit_request).collect();
    http::send_all(&requests)
        .into_iter()
        .map(from_wit_reply)
        .collect()
}

/// The WIT request for a core GET.
pub fn to_wit_request(request: &HttpGet) -> Request {
    Request {
        method: Method::Get,
        url: request.url.clone(),
        headers: request.headers.clone(),
        body: None,
        credentials: match request.credentials {
            request::Credentials::Tenant => Credentials::Tenant,
            request::Credentials::None => Credentials::None,
        },
        max_body_bytes: request.max_body_bytes,
        endpoint: Some(request.endpoint.to_owned()),
    }
}

/// The core view of a WIT response (core reads no headers).
pub fn from_wit_response(response: Response) -> HttpResponse {
    HttpResponse::new(response.status, response.body)
}

/// The core view of one `send-all` outcome.
pub fn from_wit_reply(reply: Result<Response, HttpError>) -> Reply {
    reply
        .map(from_wit_response)
        .map_err(|err| RequestFailed(describe_http_error(&err)))
}

/// A sentence for an HTTP error, as it appears in log lines and "page missing" reasons.
pub fn describe_http_error(err: &HttpError) -> String {
    match err {
        HttpError::Denied(origin) => format!("denied: origin {origin} is not allowed"),
        HttpError::InvalidRequest(reason) => format!("invalid request: {reason}"),
        HttpError::Timeout => "timed out after retries".to_owned(),
        HttpError::TooLarge(cap) => format!("response body larger than {cap} bytes"),
        HttpError::Transport(reason) => format!("connection failed after retries: {reason}"),
        HttpError::TooManyRedirects => "more than 10 redirects".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_request_keeps_no_credentials_its_accept_header_and_endpoint() {
        let core = HttpGet {
            url: "https://wiki.example.com/rest/applinks/1.0/manifest".into(),
            headers: vec![("Accept".into(), "application/json".into())],
            credentials: request::Credentials::None,
            endpoint: "/rest/applinks/1.0/manifest",
            max_body_bytes: None,
        };
        let wit = to_wit_request(&core);
        assert!(matches!(wit.method, Method::Get));
        assert!(matches!(wit.credentials, Credentials::None));
        assert_eq!(wit.url, core.url);
        assert_eq!(wit.headers, core.headers);
        assert_eq!(wit.body, None);
        assert_eq!(wit.endpoint.as_deref(), Some("/rest/applinks/1.0/manifest"));
    }

    #[test]
    fn image_download_carries_tenant_credentials_and_its_body_cap() {
        let core = HttpGet::download("https://h/download/a.png".into(), "/download", 4096);
        let wit = to_wit_request(&core);
        assert!(matches!(wit.credentials, Credentials::Tenant));
        assert_eq!(wit.max_body_bytes, Some(4096));
        assert_eq!(
            wit.headers,
            vec![("Accept-Encoding".to_owned(), "identity".to_owned())]
        );
    }

    #[test]
    fn non_2xx_response_stays_a_response_for_core_to_judge() {
        let reply = from_wit_reply(Ok(Response {
            status: 404,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"gone".to_vec(),
        }));
        assert_eq!(reply, Ok(HttpResponse::new(404, "gone")));
    }

    #[test]
    fn http_errors_become_reasons_that_name_what_failed() {
        assert_eq!(
            from_wit_reply(Err(HttpError::Denied("https://evil.example".into()))),
            Err(RequestFailed(
                "denied: origin https://evil.example is not allowed".into()
            ))
        );
        assert_eq!(
            describe_http_error(&HttpError::TooLarge(1024)),
            "response body larger than 1024 bytes"
        );
        assert_eq!(
            describe_http_error(&HttpError::Timeout),
            "timed out after retries"
        );
    }
}
