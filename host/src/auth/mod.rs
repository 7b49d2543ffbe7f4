//! Credentials for outbound calls: the `Authorization` value of Confluence calls (OAuth 2LO, PAT,
//! Basic) and the headers of Unique calls (cluster-local service headers or a Zitadel token).
//! Built from plain values; secrets stay in [`Secret`] until they become a sensitive header.

mod confluence_oauth;
mod token_cell;
mod token_request;
mod zitadel;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

pub use confluence_oauth::{
    CLOUD_TOKEN_URL, REUSE_MARGIN, TokenCache, TokenRequestFormat, data_center_token_url,
};
pub use zitadel::{RefreshHook, ZitadelAuth, ZitadelSettings};

use crate::secret::Secret;

/// The `x-service-id` every cluster-local Unique call carries.
pub const SERVICE_ID: &str = "confluence-connector";

/// Why credentials could not be produced. Messages name the token URL, and for an error answer its
/// status and body, but never a secret or the token request's body. Cloneable so that one failed
/// token request can be handed to every caller waiting on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("token request to {url} failed")]
    Transport {
        url: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error("token request to {url}: no response headers within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("token request to {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("token answer from {url} is invalid: {reason}")]
    InvalidResponse { url: String, reason: String },
    #[error("{what} cannot be sent as an HTTP header value")]
    InvalidHeaderValue { what: &'static str },
    #[error("Unique extra header `{name}`: {reason}")]
    InvalidExtraHeader { name: String, reason: &'static str },
}

/// How a tenant authenticates to Confluence (`confluence.auth.mode`).
#[derive(Debug, Clone)]
pub enum ConfluenceAuth {
    /// `oauth_2lo`: a bearer token from T1 (Cloud) or T2 (Data Center).
    OAuth2(TokenCache),
    /// `pat`: a static personal access token (Data Center).
    Pat(Secret),
    /// `basic`: username and password (Data Center).
    Basic { username: Secret, password: Secret },
}

impl ConfluenceAuth {
    /// The full `Authorization` value: `Bearer …` or `Basic …`. For OAuth this may fetch a token.
    pub async fn authorization(&self) -> Result<Secret, AuthError> {
        Ok(match self {
            Self::OAuth2(cache) => bearer(&cache.access_token().await?),
            Self::Pat(token) => bearer(token),
            Self::Basic { username, password } => {
                let credentials = format!("{}:{}", username.expose(), password.expose());
                Secret::new(format!("Basic {}", BASE64.encode(credentials)))
            }
        })
    }

    /// [`Self::authorization`] as a header value marked sensitive (hidden from `Debug`, and not
    /// indexed by HTTP/2 header compression).
    pub async fn authorization_header(&self) -> Result<HeaderValue, AuthError> {
        sensitive_value(&self.authorization().await?, "Confluence authorization")
    }
}

/// How a tenant authenticates to Unique (`unique.serviceAuthMode`).
#[derive(Debug, Clone)]
pub enum UniqueAuth {
    /// `cluster_local`: `x-service-id: confluence-connector`, then every extra header verbatim.
    ClusterLocal {
        extra_headers: Vec<(HeaderName, HeaderValue)>,
    },
    /// `external`: `Authorization: Bearer` with a Zitadel token.
    External(ZitadelAuth),
}

impl UniqueAuth {
    /// Cluster-local auth from the configured `serviceExtraHeaders`, checked once here.
    pub fn cluster_local(
        extra_headers: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, AuthError> {
        let extra_headers = extra_headers
            .into_iter()
            .map(|(name, value)| {
                let invalid = |reason| AuthError::InvalidExtraHeader {
                    name: name.clone(),
                    reason,
                };
                let header_name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid("not a valid header name"))?;
                let header_value = HeaderValue::from_str(&value)
                    .map_err(|_| invalid("value is not a valid header value"))?;
                Ok((header_name, header_value))
            })
            .collect::<Result<_, AuthError>>()?;
        Ok(Self::ClusterLocal { extra_headers })
    }

    /// The headers to set (last, overwriting same-named ones) on every GraphQL and file-diff call.
    /// In cluster-local mode an extra header named `x-service-id` comes after, and so overrides,
    /// the default one.
    pub async fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, AuthError> {
        match self {
            Self::ClusterLocal { extra_headers } => {
                let mut headers = Vec::with_capacity(extra_headers.len() + 1);
                headers.push((
                    HeaderName::from_static("x-service-id"),
                    HeaderValue::from_static(SERVICE_ID),
                ));
                headers.extend(extra_headers.iter().cloned());
                Ok(headers)
            }
            Self::External(zitadel) => {
                let token = bearer(&zitadel.access_token().await?);
                Ok(vec![(
                    AUTHORIZATION,
                    sensitive_value(&token, "Unique authorization")?,
                )])
            }
        }
    }

    /// Whether this tenant's Unique traffic goes through the proxy (only `external` does).
    pub fn uses_proxy(&self) -> bool {
        matches!(self, Self::External(_))
    }
}

fn bearer(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
}

fn sensitive_value(value: &Secret, what: &'static str) -> Result<HeaderValue, AuthError> {
    let mut header = HeaderValue::from_str(value.expose())
        .map_err(|_| AuthError::InvalidHeaderValue { what })?;
    header.set_sensitive(true);
    Ok(header)
}
