//! Assembles what one tenant's cycles need from its checked config and the shared services: its
//! plugin, its egress (allow-list from the plugin manifest, credentials, rate limiter, metrics),
//! its Unique client and its metrics handle. The one place tenant config becomes live objects.

use std::sync::Arc;

use crate::auth::{self, ConfluenceAuth, TokenCache, ZitadelAuth, ZitadelSettings};
use crate::config::{
    ConfluenceInstance, SourceAuth, SourceConfig, Tenant, TenantStatus, UniqueConfig,
};
use crate::egress::{AttemptRecord, SourceEgress};
use crate::http_client::HttpClients;
use crate::plugin_runtime::{LoadedPlugin, PluginCatalog, PluginRuntime, TaskContext};
use crate::rate_limit::RateLimiter;
use crate::telemetry::{ConnectorMetrics, Diagnostics, Outcome, TenantMetrics};
use crate::unique::{UniqueClient, UniqueClientSettings, UniqueMetrics};

/// Services shared by every tenant of the process.
#[derive(Clone)]
pub struct SharedServices {
    pub runtime: Arc<PluginRuntime>,
    pub clients: HttpClients,
    pub metrics: ConnectorMetrics,
    pub unique_metrics: UniqueMetrics,
    pub diagnostics: Diagnostics,
}

/// Everything a tenant's cycles use.
#[derive(Clone)]
pub struct TenantResources {
    pub tenant: Arc<Tenant>,
    /// `None` for a deleted tenant, which never calls its source.
    pub plugin: Option<Arc<LoadedPlugin>>,
    /// `None` for a deleted tenant.
    pub egress: Option<Arc<SourceEgress>>,
    pub unique: Arc<UniqueClient>,
    /// Shared with the health check, so it reuses the Zitadel token cache.
    pub unique_auth: auth::UniqueAuth,
    pub metrics: TenantMetrics,
    pub runtime: Arc<PluginRuntime>,
    pub diagnostics: Diagnostics,
}

impl TenantResources {
    /// The task context of this tenant's plugin calls.
    pub fn task_context(&self) -> TaskContext {
        let diagnostics = self.diagnostics;
        TaskContext {
            tenant: self.tenant.name.to_string(),
            egress: self.egress.clone(),
            mask: Arc::new(move |value| diagnostics.mask(value)),
        }
    }
}

/// Why a tenant could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssemblyError {
    #[error("{file}: source plugin `{plugin}` is not installed (installed: {installed})")]
    MissingPlugin {
        file: String,
        plugin: String,
        installed: String,
    },
    #[error("{file}: plugin {plugin} does not support auth mode `{mode}`")]
    UnsupportedAuth {
        file: String,
        plugin: String,
        mode: String,
    },
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// Assembles `tenant`'s resources.
pub fn assemble(
    tenant: Arc<Tenant>,
    catalog: &PluginCatalog,
    shared: &SharedServices,
) -> Result<TenantResources, AssemblyError> {
    let file = tenant.file.display().to_string();
    let invalid = |reason: String| AssemblyError::Invalid {
        file: file.clone(),
        reason,
    };
    let metrics = shared.metrics.tenant(&tenant.name);

    let (plugin, egress) = if tenant.status == TenantStatus::Deleted {
        (None, None)
    } else {
        let plugin_id = tenant.plugin_id().to_string();
        let plugin = catalog
            .get(&plugin_id)
            .ok_or_else(|| AssemblyError::MissingPlugin {
                file: file.clone(),
                plugin: plugin_id.clone(),
                installed: catalog
                    .iter()
                    .map(|(id, _)| id)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let mode = tenant.source_auth().map_or("none", SourceAuth::mode_name);
        if !plugin.manifest.supports_auth(mode) {
            return Err(AssemblyError::UnsupportedAuth {
                file,
                plugin: plugin.label(),
                mode: mode.into(),
            });
        }
        let allow_list = plugin
            .manifest
            .allow_list(&tenant.template_context())
            .map_err(|err| invalid(err.to_string()))?;
        let credentials = tenant
            .source_auth()
            .map(|auth| source_credentials(&tenant, auth, &shared.clients))
            .transpose()
            .map_err(&invalid)?;
        let limiter_metrics = metrics.clone();
        let limiter = RateLimiter::per_minute(tenant.source_rate_limit_per_minute())
            .with_name(format!("{}/source", tenant.name))
            .with_throttle_hook(Arc::new(move |_event| limiter_metrics.throttle_event()));
        let attempt_metrics = metrics.clone();
        let egress = SourceEgress::new(
            allow_list,
            credentials,
            Arc::new(limiter),
            shared.clients.proxied.clone(),
        )
        .with_attempt_hook(Arc::new(move |attempt: &AttemptRecord| {
            record_attempt(&attempt_metrics, attempt)
        }));
        (Some(plugin), Some(Arc::new(egress)))
    };

    let unique_auth =
        unique_auth(&tenant.unique, &shared.clients).map_err(|err| invalid(err.to_string()))?;
    let http = if matches!(unique_auth, auth::UniqueAuth::External(_)) {
        shared.clients.proxied.clone()
    } else {
        shared.clients.direct.clone()
    };
    let unique = UniqueClient::new(
        UniqueClientSettings {
            tenant: tenant.name.to_string(),
            ingestion_base_url: parse_url(tenant.unique.ingestion_service_base_url.as_str())
                .map_err(&invalid)?,
            scope_management_base_url: parse_url(
                tenant.unique.scope_management_service_base_url.as_str(),
            )
            .map_err(&invalid)?,
            auth: unique_auth.clone(),
            rate_per_minute: tenant.unique.api_rate_limit_per_minute,
            http,
        },
        &shared.unique_metrics,
    )
    .map_err(|err| invalid(err.to_string()))?;

    Ok(TenantResources {
        tenant,
        plugin,
        egress,
        unique: Arc::new(unique),
        unique_auth,
        metrics,
        runtime: shared.runtime.clone(),
        diagnostics: shared.diagnostics,
    })
}

/// The credentials the host attaches to the tenant's source requests. Token requests go through
/// the proxy like the source traffic.
fn source_credentials(
    tenant: &Tenant,
    auth: &SourceAuth,
    clients: &HttpClients,
) -> Result<ConfluenceAuth, String> {
    Ok(match auth {
        SourceAuth::OAuth2ClientCredentials {
            client_id,
            client_secret,
            token_url,
        } => {
            let token_url = parse_url(token_url.as_str())?;
            let http = clients.proxied.clone();
            let cache = match &tenant.source {
                SourceConfig::Confluence(source)
                    if matches!(source.instance, ConfluenceInstance::Cloud { .. }) =>
                {
                    TokenCache::cloud(token_url, client_id.clone(), client_secret.clone(), http)
                }
                // Data Center, and third-party sources: a form-encoded client-credentials request.
                _ => TokenCache::data_center(
                    token_url,
                    client_id.clone(),
                    client_secret.clone(),
                    http,
                ),
            };
            ConfluenceAuth::OAuth2(cache)
        }
        SourceAuth::PersonalAccessToken { token } => ConfluenceAuth::Pat(token.clone()),
        SourceAuth::Basic { username, password } => ConfluenceAuth::Basic {
            username: username.clone(),
            password: password.clone(),
        },
    })
}

fn unique_auth(config: &UniqueConfig, clients: &HttpClients) -> Result<auth::UniqueAuth, String> {
    match &config.auth {
        crate::config::UniqueAuth::ClusterLocal { extra_headers } => {
            auth::UniqueAuth::cluster_local(extra_headers.clone()).map_err(|err| err.to_string())
        }
        crate::config::UniqueAuth::External {
            token_url,
            project_id,
            client_id,
            client_secret,
        } => {
            let settings = ZitadelSettings {
                token_url: parse_url(token_url.as_str())?,
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                project_id: project_id.clone(),
            };
            Ok(auth::UniqueAuth::External(ZitadelAuth::new(
                &settings,
                clients.proxied.clone(),
            )))
        }
    }
}

fn record_attempt(metrics: &TenantMetrics, attempt: &AttemptRecord) {
    let outcome = match attempt.status {
        Some(status) if (200..400).contains(&status) => Outcome::Success,
        _ => Outcome::Failure,
    };
    metrics.confluence_request(&attempt.endpoint, outcome, attempt.duration);
    if outcome == Outcome::Failure {
        metrics.confluence_error(attempt.status);
    }
}

fn parse_url(text: &str) -> Result<url::Url, String> {
    url::Url::parse(text).map_err(|err| format!("`{text}` is not a URL: {err}"))
}
