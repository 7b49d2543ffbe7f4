//! Confluence simulators: one [`ConfluenceInstance`] per Cloud site or Data Center instance,
//! the content model, CQL, rendering, and the HTTP routers of both flavours.

pub mod api;
pub mod cloud;
pub mod cql;
pub mod data_center;
pub mod model;
pub mod mutation;
pub mod render;

use std::sync::Mutex;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::rate_limit::RateLimiter;
use crate::scenario::{BasicUserSeed, OAuthClientSeed, PageLimits};
use crate::tokens::{TokenRejection, TokenStore};
use model::ConfluenceModel;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    Cloud,
    DataCenter,
}

/// The URLs of one instance, known once its listener is bound.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InstanceUrls {
    /// Cloud: `confluence.apiBaseUrl` (`…/ex/confluence/{cloudId}`); DC: `confluence.baseUrl`.
    pub api_base: String,
    /// Cloud: the site URL (`confluence.baseUrl`, for web links); DC: same as `api_base`.
    pub site_base: String,
    /// `confluence.auth.tokenUrl`.
    pub token_url: String,
    /// `_links.base` of answers.
    pub links_base: String,
    /// `_links.context` of answers: Cloud `/wiki`, DC the context path.
    pub links_context: String,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("no Authorization header")]
    Missing,
    #[error("unsupported Authorization scheme")]
    Scheme,
    #[error(transparent)]
    Token(#[from] TokenRejection),
    #[error("unknown personal access token")]
    UnknownPat,
    #[error("wrong username or password")]
    BadBasic,
}

/// One simulated Confluence instance.
#[derive(Debug)]
pub struct ConfluenceInstance {
    pub flavor: Flavor,
    /// Cloud: the `cloudId`; DC: the scenario name.
    pub name: String,
    /// Cloud: the `cloudId`; DC: the applinks manifest id.
    pub instance_id: String,
    pub limits: PageLimits,
    pub model: Mutex<ConfluenceModel>,
    pub tokens: TokenStore,
    pub oauth_clients: Vec<OAuthClientSeed>,
    pub personal_access_tokens: Vec<String>,
    pub basic_users: Vec<BasicUserSeed>,
    pub token_ttl_secs: u64,
    pub rate_limiter: Option<RateLimiter>,
    pub urls: InstanceUrls,
}

impl ConfluenceInstance {
    /// Checks the `Authorization` header of an API call.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthFailure::Missing)?;
        if let Some(token) = value.strip_prefix("Bearer ") {
            let token = token.trim();
            return match self.tokens.check(token) {
                Ok(_) => Ok(()),
                Err(rejection) => {
                    if self.flavor == Flavor::DataCenter
                        && self.personal_access_tokens.iter().any(|p| p == token)
                    {
                        Ok(())
                    } else if self.flavor == Flavor::DataCenter
                        && rejection == TokenRejection::Unknown
                    {
                        Err(AuthFailure::UnknownPat)
                    } else {
                        Err(rejection.into())
                    }
                }
            };
        }
        if self.flavor == Flavor::DataCenter
            && let Some(encoded) = value.strip_prefix("Basic ")
        {
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(AuthFailure::BadBasic)?;
            let (user, password) = decoded.split_once(':').ok_or(AuthFailure::BadBasic)?;
            return if self
                .basic_users
                .iter()
                .any(|u| u.username == user && u.password == password)
            {
                Ok(())
            } else {
                Err(AuthFailure::BadBasic)
            };
        }
        Err(AuthFailure::Scheme)
    }

    pub fn client_secret_matches(&self, client_id: &str, client_secret: &str) -> bool {
        self.oauth_clients
            .iter()
            .any(|c| c.client_id == client_id && c.client_secret == client_secret)
    }
}
