//! Zitadel client-credentials tokens for Unique `external` mode (unique-api.md §2.1, T3), with a
//! single-flight cache and a refresh counter for
//! `confluence_connector_unique_api_auth_token_refresh_total`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::FutureExt;
use reqwest::Client;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use url::Url;

use super::AuthError;
use super::token_cell::{FetchedToken, TokenCell};
use super::token_request::request_token;
use crate::secret::Secret;

/// Called after every successful token fetch (for example to increment the refresh metric).
pub type RefreshHook = Arc<dyn Fn() + Send + Sync>;

/// The Zitadel settings of a tenant (`unique.zitadel*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZitadelSettings {
    /// `zitadelOauthTokenUrl`; its query and fragment are dropped when calling.
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub project_id: Secret,
}

/// Token source for one Zitadel configuration. Clones share the cache and the refresh counter, so
/// the Unique client and the health check can use one cache.
#[derive(Clone)]
pub struct ZitadelAuth {
    token_url: Url,
    /// `Basic base64(clientId:clientSecret)`.
    basic_authorization: Secret,
    /// The form body; it names the project id, a secret.
    form_body: Secret,
    /// The client for `external` traffic (through the proxy), built with redirects disabled.
    http: Client,
    cell: Arc<TokenCell>,
    refreshes: Arc<AtomicU64>,
    on_refresh: Option<RefreshHook>,
}

impl ZitadelAuth {
    pub fn new(settings: &ZitadelSettings, http: Client) -> Self {
        let mut token_url = settings.token_url.clone();
        token_url.set_query(None);
        token_url.set_fragment(None);
        let credentials = format!("{}:{}", settings.client_id, settings.client_secret.expose());
        Self {
            token_url,
            basic_authorization: Secret::new(format!("Basic {}", BASE64.encode(credentials))),
            form_body: Secret::new(form_body(settings.project_id.expose())),
            http,
            cell: Arc::default(),
            refreshes: Arc::default(),
            on_refresh: None,
        }
    }

    /// Calls `hook` after every successful token fetch.
    pub fn with_refresh_hook(mut self, hook: RefreshHook) -> Self {
        self.on_refresh = Some(hook);
        self
    }

    /// The URL token requests go to (query and fragment removed).
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// How many tokens were fetched successfully.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// A valid access token: the cached one while `now < fetchedAt + expires_in` (no margin),
    /// otherwise a fresh one (one request shared by all concurrent callers).
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        self.cell
            .get(is_unexpired, || {
                let this = self.clone();
                async move { this.fetch().await }.boxed()
            })
            .await
    }

    async fn fetch(&self) -> Result<FetchedToken, AuthError> {
        let mut authorization =
            HeaderValue::from_str(self.basic_authorization.expose()).map_err(|_| {
                AuthError::InvalidHeaderValue {
                    what: "Zitadel client credentials",
                }
            })?;
        authorization.set_sensitive(true);
        let answer = request_token(&self.http, &self.token_url, |client| {
            client
                .post(self.token_url.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(AUTHORIZATION, authorization)
                .body(self.form_body.expose().to_owned())
        })
        .await?;
        let expires_in = Some(answer.expires_in_secs)
            .filter(|secs| secs.is_finite() && *secs > 0.0)
            .map(|secs| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
            .ok_or_else(|| AuthError::InvalidResponse {
                url: self.token_url.to_string(),
                reason: "`expires_in` must be a finite number > 0".into(),
            })?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        if let Some(hook) = &self.on_refresh {
            hook();
        }
        Ok(FetchedToken {
            access_token: Secret::new(answer.access_token),
            fetched_at: answer.sent_at,
            expires_in,
        })
    }
}

/// T3 validity: `now < fetchedAt + expires_in`, no safety margin.
fn is_unexpired(token: &FetchedToken, now: Instant) -> bool {
    token.expires_at().is_none_or(|expires_at| now < expires_at)
}

/// `scope=…&grant_type=client_credentials`, form-encoded (spaces become `+`, `:` becomes `%3A`).
fn form_body(project_id: &str) -> String {
    let scope = format!(
        "openid profile email urn:zitadel:iam:user:resourceowner \
         urn:zitadel:iam:org:projects:roles urn:zitadel:iam:org:project:id:{project_id}:aud"
    );
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("scope", &scope)
        .append_pair("grant_type", "client_credentials")
        .finish()
}

impl fmt::Debug for ZitadelAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZitadelAuth")
            .field("token_url", &self.token_url.as_str())
            .field("refreshes", &self.refresh_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_matches_the_spec_exactly() {
        assert_eq!(
            form_body("123456"),
            "scope=openid+profile+email+urn%3Azitadel%3Aiam%3Auser%3Aresourceowner\
             +urn%3Azitadel%3Aiam%3Aorg%3Aprojects%3Aroles\
             +urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3A123456%3Aaud\
             &grant_type=client_credentials"
        );
    }

    #[test]
    fn token_is_valid_until_its_expiry_with_no_margin() {
        let fetched_at = Instant::now();
        let token = FetchedToken {
            access_token: Secret::new("t"),
            fetched_at,
            expires_in: Duration::from_secs(60),
        };
        assert!(is_unexpired(
            &token,
            fetched_at + Duration::from_millis(59_999)
        ));
        assert!(!is_unexpired(&token, fetched_at + Duration::from_secs(60)));
    }

    #[test]
    fn token_url_drops_query_and_fragment() {
        let settings = ZitadelSettings {
            token_url: Url::parse("https://id.example.com/oauth/v2/token?x=1#frag").expect("valid"),
            client_id: "id".into(),
            client_secret: Secret::new("s"),
            project_id: Secret::new("p"),
        };
        let auth = ZitadelAuth::new(&settings, Client::new());
        assert_eq!(
            auth.token_url().as_str(),
            "https://id.example.com/oauth/v2/token"
        );
    }
}
