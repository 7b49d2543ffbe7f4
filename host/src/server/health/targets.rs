//! What `/health` pings: the loaded tenants' Confluence and Unique endpoints with the Unique
//! credentials. The service publishes a new [`HealthTargets`] on every tenant reload through a
//! `tokio::sync::watch` channel; each health check reads the latest.

use crate::auth::UniqueAuth;
use crate::config::{ConfluenceInstance, SourceConfig, Tenant, TenantName, TenantStatus};

/// The tenants `/health` looks at.
#[derive(Clone, Debug, Default)]
pub struct HealthTargets {
    pub tenants: Vec<HealthTenant>,
}

/// One loaded tenant, as the health checks see it.
#[derive(Clone, Debug)]
pub struct HealthTenant {
    pub name: TenantName,
    pub status: TenantStatus,
    /// `None` for a third-party plugin source, which has no Confluence base URL to ping.
    pub confluence: Option<ConfluenceTarget>,
    pub unique: UniqueTarget,
}

/// Cloud or Data Center: only Cloud tenants make the check ping `api.atlassian.com`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfluenceKind {
    Cloud,
    DataCenter,
}

/// A tenant's Confluence instance.
#[derive(Clone, Debug)]
pub struct ConfluenceTarget {
    pub kind: ConfluenceKind,
    /// `confluence.baseUrl`, without a trailing `/`.
    pub base_url: String,
}

/// A tenant's Unique services and credentials.
#[derive(Clone, Debug)]
pub struct UniqueTarget {
    /// `unique.ingestionServiceBaseUrl`, without a trailing `/`.
    pub ingestion_base_url: String,
    /// `unique.scopeManagementServiceBaseUrl`, without a trailing `/`.
    pub scope_management_base_url: String,
    /// The tenant's Unique auth; in external mode it shares the Unique client's token cache.
    pub auth: UniqueAuth,
}

impl HealthTenant {
    /// The health view of `tenant`, with the Unique auth the service built for it (so the token
    /// cache is shared with the Unique client).
    pub fn from_tenant(tenant: &Tenant, unique_auth: UniqueAuth) -> Self {
        let confluence = match &tenant.source {
            SourceConfig::Confluence(source) => Some(ConfluenceTarget {
                kind: match source.instance {
                    ConfluenceInstance::Cloud { .. } => ConfluenceKind::Cloud,
                    ConfluenceInstance::DataCenter => ConfluenceKind::DataCenter,
                },
                base_url: source.base_url.as_str().to_owned(),
            }),
            SourceConfig::Plugin(_) => None,
        };
        Self {
            name: tenant.name.clone(),
            status: tenant.status,
            confluence,
            unique: UniqueTarget {
                ingestion_base_url: tenant.unique.ingestion_service_base_url.as_str().to_owned(),
                scope_management_base_url: tenant
                    .unique
                    .scope_management_service_base_url
                    .as_str()
                    .to_owned(),
                auth: unique_auth,
            },
        }
    }
}
