//! Confluence OAuth 2.0 client credentials (2LO): the Cloud (T1) and Data Center (T2) token
//! requests and the per-tenant token cache (confluence-api.md §2.2–§2.5).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use reqwest::Client;
use reqwest::header::CONTENT_TYPE;
use tokio::time::Instant;
use url::Url;

use super::AuthError;
use super::token_cell::{FetchedToken, TokenCell};
use super::token_request::request_token;
use crate::secret::Secret;

/// Default Cloud token endpoint (T1).
pub const CLOUD_TOKEN_URL: &str = "https://api.atlassian.com/oauth/token";

/// A cached token is reused only while it stays valid for longer than this.
pub const REUSE_MARGIN: Duration = Duration::from_secs(300);

/// The Data Center token endpoint (T2) of an instance: `{baseUrl}/rest/oauth2/latest/token`.
/// `base_url` may carry a context path.
pub fn data_center_token_url(base_url: &str) -> Result<Url, url::ParseError> {
    Url::parse(&format!(
        "{}/rest/oauth2/latest/token",
        base_url.trim_end_matches('/')
    ))
}

/// Which token request shape the instance expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRequestFormat {
    /// T1: JSON body with `grant_type`, `client_id`, `client_secret`; no audience, no scope.
    CloudJson,
    /// T2: form body `grant_type`, `client_id`, `client_secret`, `scope=READ`, in that order.
    DataCenterForm,
}

/// The token cache of one tenant. Clones share the cache.
#[derive(Clone)]
pub struct TokenCache {
    format: TokenRequestFormat,
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    /// The proxied client (token calls go through the proxy), built with redirects disabled.
    http: Client,
    cell: Arc<TokenCell>,
}

impl TokenCache {
    /// A Cloud (T1) cache; `token_url` is usually [`CLOUD_TOKEN_URL`].
    pub fn cloud(token_url: Url, client_id: String, client_secret: Secret, http: Client) -> Self {
        Self::new(
            TokenRequestFormat::CloudJson,
            token_url,
            client_id,
            client_secret,
            http,
        )
    }

    /// A Data Center (T2) cache; `token_url` is usually [`data_center_token_url`].
    pub fn data_center(
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        http: Client,
    ) -> Self {
        Self::new(
            TokenRequestFormat::DataCenterForm,
            token_url,
            client_id,
            client_secret,
            http,
        )
    }

    fn new(
        format: TokenRequestFormat,
        token_url: Url,
        client_id: String,
        client_secret: Secret,
        http: Client,
    ) -> Self {
        Self {
            format,
            token_url,
            client_id,
            client_secret,
            http,
            cell: Arc::default(),
        }
    }

    /// The token endpoint this cache calls.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// A valid access token: the cached one while it expires more than 5 minutes from now,
    /// otherwise a fresh one (one request shared by all concurrent callers).
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        self.cell
            .get(is_reusable, || {
                let this = self.clone();
                async move { this.fetch().await }.boxed()
            })
            .await
    }

    async fn fetch(&self) -> Result<FetchedToken, AuthError> {
        let answer = request_token(&self.http, &self.token_url, |client| {
            let request = client.post(self.token_url.clone());
            match self.format {
                TokenRequestFormat::CloudJson => request.json(&CloudTokenRequest {
                    grant_type: "client_credentials",
                    client_id: &self.client_id,
                    client_secret: self.client_secret.expose(),
                }),
                TokenRequestFormat::DataCenterForm => request
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(
                        url::form_urlencoded::Serializer::new(String::new())
                            .append_pair("grant_type", "client_credentials")
                            .append_pair("client_id", &self.client_id)
                            .append_pair("client_secret", self.client_secret.expose())
                            .append_pair("scope", "READ")
                            .finish(),
                    ),
            }
        })
        .await?;
        // A negative or absurd lifetime only means "never reuse"; it is not an error here.
        let expires_in =
            Duration::try_from_secs_f64(answer.expires_in_secs.max(0.0)).unwrap_or(Duration::MAX);
        Ok(FetchedToken {
            access_token: Secret::new(answer.access_token),
            fetched_at: answer.sent_at,
            expires_in,
        })
    }
}

/// Reuse while `expiresAt > now + 300 s` (so a token with `expires_in ≤ 300` is never reused).
fn is_reusable(token: &FetchedToken, now: Instant) -> bool {
    token
        .expires_at()
        .is_none_or(|expires_at| expires_at > now + REUSE_MARGIN)
}

/// T1 body; field order as in the spec.
#[derive(serde::Serialize)]
struct CloudTokenRequest<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("format", &self.format)
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_in_secs: u64, fetched_at: Instant) -> FetchedToken {
        FetchedToken {
            access_token: Secret::new("t"),
            fetched_at,
            expires_in: Duration::from_secs(expires_in_secs),
        }
    }

    #[test]
    fn token_is_reused_only_with_more_than_five_minutes_left() {
        let fetched_at = Instant::now();
        let hour = token(3600, fetched_at);
        assert!(is_reusable(&hour, fetched_at));
        assert!(is_reusable(
            &hour,
            fetched_at + Duration::from_secs(3600 - 301)
        ));
        assert!(!is_reusable(
            &hour,
            fetched_at + Duration::from_secs(3600 - 300)
        ));
        assert!(!is_reusable(&token(300, fetched_at), fetched_at));
        assert!(is_reusable(&token(301, fetched_at), fetched_at));
    }

    #[test]
    fn data_center_token_url_keeps_the_context_path() {
        assert_eq!(
            data_center_token_url("https://confluence.example.com/confluence")
                .expect("valid")
                .as_str(),
            "https://confluence.example.com/confluence/rest/oauth2/latest/token"
        );
    }
}
