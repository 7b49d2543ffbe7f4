//! Sending one client-credentials token request and reading the fields every token answer needs.
//! Token requests are sent once (no retry), never follow redirects (the shared clients have them
//! disabled) and take no rate-limit token.

use std::sync::Arc;

use reqwest::{Client, RequestBuilder};
use tokio::time::Instant;
use url::Url;

use super::AuthError;
use crate::http_client::{self, SendError};

/// Longest part of an error answer's body kept in the error message.
const MAX_ERROR_BODY_CHARS: usize = 1_000;

/// The raw fields of a successful token answer. `access_token` is a `String` only until the caller
/// wraps it in a `Secret`.
pub(super) struct TokenAnswer {
    pub access_token: String,
    pub expires_in_secs: f64,
    /// When the request was sent: the conservative start of the token's lifetime.
    pub sent_at: Instant,
}

/// Sends the request built by `build` on `client` and checks the answer: a 2xx status, a JSON
/// object with a string `access_token` and a numeric `expires_in`. Errors name `url` and, for an
/// error status, the answer's body, but never the request body (it holds the secret).
pub(super) async fn request_token(
    client: &Client,
    url: &Url,
    build: impl FnOnce(&Client) -> RequestBuilder,
) -> Result<TokenAnswer, AuthError> {
    let url_text = url.to_string();
    let transport = |source: reqwest::Error| AuthError::Transport {
        url: url_text.clone(),
        source: Arc::new(source.without_url()),
    };
    let request = build(client).build().map_err(transport)?;
    let sent_at = Instant::now();
    let response = http_client::send(client, request)
        .await
        .map_err(|error| match error {
            SendError::Transport { source, .. } => transport(source),
            SendError::HeadersTimeout { timeout, .. } => AuthError::Timeout {
                url: url_text.clone(),
                timeout,
            },
        })?;
    let status = response.status();
    let body = response.text().await.map_err(transport)?;
    if !status.is_success() {
        return Err(AuthError::Status {
            url: url_text,
            status: status.as_u16(),
            body: truncate(&body),
        });
    }

    let invalid = |reason: &str| AuthError::InvalidResponse {
        url: url_text.clone(),
        reason: reason.to_owned(),
    };
    // Parse into a `Value` and check fields by hand: serde's messages would quote the values.
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| invalid("the answer is not JSON"))?;
    let access_token = json
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| invalid("`access_token` is missing or not a non-empty string"))?;
    let expires_in_secs = json
        .get("expires_in")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| invalid("`expires_in` is missing or not a JSON number"))?;
    Ok(TokenAnswer {
        access_token: access_token.to_owned(),
        expires_in_secs,
        sent_at,
    })
}

fn truncate(body: &str) -> String {
    match body.char_indices().nth(MAX_ERROR_BODY_CHARS) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_error_bodies_are_truncated_on_a_char_boundary() {
        let body = "é".repeat(MAX_ERROR_BODY_CHARS + 10);
        let cut = truncate(&body);
        assert_eq!(cut.chars().count(), MAX_ERROR_BODY_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
