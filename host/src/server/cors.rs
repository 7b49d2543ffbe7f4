//! CORS for both listeners (operations §6): any origin is accepted by reflecting the request's
//! `Origin`; a preflight `OPTIONS` is answered directly.

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The only methods the listeners serve.
const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";

pub(super) async fn reflect_origin(request: Request, next: Next) -> Response {
    let origin = request.headers().get(ORIGIN).cloned();
    let is_preflight = request.method() == Method::OPTIONS
        && origin.is_some()
        && request
            .headers()
            .contains_key(ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if is_preflight {
        let requested_headers = request
            .headers()
            .get(ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned();
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        if let Some(requested_headers) = requested_headers {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested_headers);
        }
        preflight
    } else {
        next.run(request).await
    };

    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // The answer differs per origin: caches must not reuse it for another one.
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
    response
}
