//! The Unique platform client: one per tenant, with a typed method per call the connector makes
//! (GraphQL G1–G12, the file diff U1, the upload U2; unique-api.md). It routes each call to its
//! service, adds the tenant's Unique credentials, draws from the tenant's limiters, retries what
//! may be retried, and records the Unique client metrics.
//!
//! Start with [`UniqueClient::new`]. The operations live in `scopes` (G1–G7), `content`
//! (G8–G12), `file_diff` (U1) and `upload` (U2); `graphql` and `transport` send them, and
//! `documents` holds the GraphQL texts.

mod content;
mod documents;
mod error;
mod file_diff;
mod graphql;
pub mod metrics;
mod scopes;
mod transport;
mod types;
mod upload;

use std::num::NonZeroU32;
use std::sync::Arc;

use reqwest::Client;
use url::Url;

use crate::auth::UniqueAuth;
use crate::rate_limit::RateLimiter;

pub use documents::GraphqlTarget;
pub use error::{FILE_DIFF_OPERATION, LengthMismatch, UPLOAD_OPERATION, UniqueError};
pub use metrics::UniqueMetrics;
pub use types::{
    AccessType, BulkMoved, DeletionCount, FileDiff, FileDiffEntry, FileDiffRequest, Recursive,
    Registered, Registration, Scope, SignedUrl, SourceKind, UserId,
};
pub use upload::{BoxError, StreamedBody, UploadBody};

/// Everything a tenant's Unique client is built from; plain values, no config types.
#[derive(Debug, Clone)]
pub struct UniqueClientSettings {
    /// The tenant name: the `tenant` metric label and part of the limiter names.
    pub tenant: String,
    /// `unique.ingestionServiceBaseUrl`; may carry a path prefix.
    pub ingestion_base_url: Url,
    /// `unique.scopeManagementServiceBaseUrl`; may carry a path prefix.
    pub scope_management_base_url: Url,
    pub auth: UniqueAuth,
    /// `unique.apiRateLimitPerMinute`, for each of the three Unique limiters.
    pub rate_per_minute: NonZeroU32,
    /// The client for this tenant's Unique traffic: `HttpClients::proxied` for `external`,
    /// `HttpClients::direct` for `cluster_local`.
    pub http: Client,
}

/// A tenant's Unique client. Cheap to share through `Arc`; calls may run concurrently.
#[derive(Debug)]
pub struct UniqueClient {
    tenant: String,
    /// The ingestion base URL as text, without a trailing `/` (the cluster-local upload URL is
    /// built from it).
    ingestion_base: String,
    ingestion_graphql_url: Url,
    scope_management_graphql_url: Url,
    file_diff_url: Url,
    auth: UniqueAuth,
    http: Client,
    ingestion_graphql_limiter: Arc<RateLimiter>,
    scope_management_graphql_limiter: Arc<RateLimiter>,
    ingestion_rest_limiter: Arc<RateLimiter>,
    metrics: UniqueMetrics,
}

impl UniqueClient {
    /// Builds the client and its three limiters. In `external` mode the Zitadel token source's
    /// refresh hook is set to count `tenant`'s refreshes in `metrics` (this replaces any hook on
    /// the given `ZitadelAuth`; clones made earlier keep theirs).
    pub fn new(
        settings: UniqueClientSettings,
        metrics: &UniqueMetrics,
    ) -> Result<Self, UniqueError> {
        let UniqueClientSettings {
            tenant,
            ingestion_base_url,
            scope_management_base_url,
            auth,
            rate_per_minute,
            http,
        } = settings;
        let ingestion_base = base_text(&ingestion_base_url, "ingestionServiceBaseUrl")?;
        let scope_management_base =
            base_text(&scope_management_base_url, "scopeManagementServiceBaseUrl")?;
        let ingestion_graphql_url = join(&ingestion_base, "/graphql")?;
        let scope_management_graphql_url = join(&scope_management_base, "/graphql")?;
        let file_diff_url = file_diff::file_diff_url(&ingestion_base_url);

        let auth = match auth {
            UniqueAuth::External(zitadel) => {
                UniqueAuth::External(zitadel.with_refresh_hook(metrics.token_refresh_hook(&tenant)))
            }
            cluster_local @ UniqueAuth::ClusterLocal { .. } => cluster_local,
        };
        let limiter = |target: &str| {
            Arc::new(
                RateLimiter::per_minute(rate_per_minute).with_name(format!("{tenant}/{target}")),
            )
        };
        Ok(Self {
            ingestion_graphql_limiter: limiter("unique-ingestion-graphql"),
            scope_management_graphql_limiter: limiter("unique-scope-management-graphql"),
            ingestion_rest_limiter: limiter("unique-ingestion-rest"),
            tenant,
            ingestion_base,
            ingestion_graphql_url,
            scope_management_graphql_url,
            file_diff_url,
            auth,
            http,
            metrics: metrics.clone(),
        })
    }

    /// The tenant this client works for.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The U1 URL: ingestion origin + normalised `{path}/v2/content/file-diff`.
    pub fn file_diff_url(&self) -> &Url {
        &self.file_diff_url
    }
}

/// A base URL as text without a trailing `/`, refusing what cannot take a `/graphql` suffix.
fn base_text(url: &Url, setting: &str) -> Result<String, UniqueError> {
    if url.cannot_be_a_base() || url.query().is_some() || url.fragment().is_some() {
        return Err(UniqueError::InvalidArgument {
            operation: "configuration",
            reason: format!("{setting} {url} must be an http(s) URL without query or fragment"),
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn join(base: &str, suffix: &str) -> Result<Url, UniqueError> {
    let text = format!("{base}{suffix}");
    Url::parse(&text).map_err(|error| UniqueError::InvalidArgument {
        operation: "configuration",
        reason: format!("{text} is not a valid URL: {error}"),
    })
}
