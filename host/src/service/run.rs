//! `confluence-connector run`: the long-running service. Loads plugins and tenants, serves
//! `/probe`, `/health` and `/metrics`, schedules every tenant this replica owns, and on SIGTERM or
//! SIGINT stops scheduling, lets in-flight items finish within the grace period and exits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prometheus::Registry;
use tokio::sync::{Mutex, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{self, MetricsExporter, ServiceSettings, Tenant, TenantStatus};
use crate::http_client::HttpClients;
use crate::plugin_runtime::{PluginCatalog, PluginRuntime, RuntimeSettings, SandboxLimits};
use crate::server::{self, HealthChecker, HealthTargets, Listener, SyncHistory};
use crate::telemetry::{ConnectorMetrics, Diagnostics};
use crate::unique::UniqueMetrics;

use super::assembly::{SharedServices, TenantResources, assemble};
use super::plugins::load_catalog;
use super::reload::{self, WatchedFiles};
use super::state::ServiceState;

/// How long shutdown waits for cycles to finish their in-flight items.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// Options of the service beyond the environment settings.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    pub plugin_dir: Option<PathBuf>,
    pub plugin_cache_dir: Option<PathBuf>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Setup(String),
    #[error("invalid tenant configuration:\n{0}")]
    Tenants(String),
    #[error(transparent)]
    Server(#[from] server::ServerError),
}

/// Plugins loaded and tenants validated, nothing assembled or scheduled yet.
pub struct Prepared {
    pub shared: SharedServices,
    pub registry: Registry,
    pub catalog: PluginCatalog,
    /// Every valid tenant (all statuses, all shards).
    pub tenants: Vec<Tenant>,
}

/// Everything started from the settings, before anything is scheduled.
pub struct Started {
    pub shared: SharedServices,
    pub registry: Registry,
    /// The tenants this replica runs (active and deleted ones of its shard).
    pub tenants: Vec<TenantResources>,
}

/// Loads the plugins and validates the tenant files. Invalid tenant files stop startup with
/// every problem listed; a plugin that fails to load is logged and left out.
pub async fn prepare(
    settings: &ServiceSettings,
    options: &ServiceOptions,
) -> Result<Prepared, ServiceError> {
    let registry = Registry::new();
    let metrics = ConnectorMetrics::register(&registry)
        .map_err(|err| ServiceError::Setup(err.to_string()))?;
    let unique_metrics =
        UniqueMetrics::register(&registry).map_err(|err| ServiceError::Setup(err.to_string()))?;
    let clients = HttpClients::build(&settings.proxy, settings.extra_ca_certs.as_deref())
        .map_err(|err| ServiceError::Setup(err.to_string()))?;
    let runtime = PluginRuntime::new(RuntimeSettings {
        limits: SandboxLimits::default(),
        cache_dir: options.plugin_cache_dir.clone(),
    })
    .map_err(|err| ServiceError::Setup(err.to_string()))?;
    let (catalog, plugin_errors) = load_catalog(&runtime, options.plugin_dir.as_deref()).await;
    for error in &plugin_errors {
        tracing::error!(error = %error, "plugin refused");
    }

    let loaded = config::load_tenants(&settings.tenant_config_path_pattern, |name| {
        std::env::var(name).ok()
    })
    .map_err(|errors| ServiceError::Tenants(errors.to_string()))?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    for info in &loaded.infos {
        tracing::info!("{info}");
    }
    let shared = SharedServices {
        runtime,
        clients,
        metrics,
        unique_metrics,
        diagnostics: Diagnostics::from(settings.diagnostics_data_policy),
    };
    Ok(Prepared {
        shared,
        registry,
        catalog,
        tenants: loaded.tenants,
    })
}

/// [`prepare`], then assembles every tenant this replica runs.
pub async fn start(
    settings: &ServiceSettings,
    options: &ServiceOptions,
) -> Result<Started, ServiceError> {
    let prepared = prepare(settings, options).await?;
    let mut tenants = Vec::new();
    let mut problems = Vec::new();
    for tenant in prepared.tenants {
        if !runs_here(settings, &tenant) {
            continue;
        }
        match assemble(Arc::new(tenant), &prepared.catalog, &prepared.shared) {
            Ok(resources) => tenants.push(resources),
            Err(err) => problems.push(err.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Tenants(problems.join("\n")));
    }
    Ok(Started {
        shared: prepared.shared,
        registry: prepared.registry,
        tenants,
    })
}

/// Whether this replica runs `tenant`: not inactive, and in this replica's shard.
fn runs_here(settings: &ServiceSettings, tenant: &Tenant) -> bool {
    if tenant.status == TenantStatus::Inactive {
        tracing::info!(tenantName = %tenant.name, "tenant is inactive: validated, not scheduled");
        return false;
    }
    if settings
        .shard
        .as_ref()
        .is_some_and(|shard| !shard.owns(&tenant.name))
    {
        tracing::info!(tenantName = %tenant.name, "tenant belongs to another shard");
        return false;
    }
    true
}

/// Runs the service until SIGTERM or SIGINT.
pub async fn run(settings: ServiceSettings, options: ServiceOptions) -> Result<(), ServiceError> {
    let prepared = prepare(&settings, &options).await?;
    let history = Arc::new(SyncHistory::from_settings(&settings.health));
    let (targets_sender, targets) = watch::channel(HealthTargets {
        tenants: Vec::new(),
    });
    let health = Arc::new(HealthChecker::new(
        history.clone(),
        targets,
        prepared.shared.clients.clone(),
        &settings.health,
    ));

    let servers = CancellationToken::new();
    let api = server::bind(Listener::Api, server::api_address(&settings)).await?;
    log_listening(Listener::Api, &api);
    let api_task = tokio::spawn(server::serve_api(api, health, servers.clone()));
    // OTEL_METRICS_EXPORTER=none: no metrics listener at all.
    let metrics_task = match settings.metrics.exporter {
        MetricsExporter::Prometheus => {
            let listener =
                server::bind(Listener::Metrics, server::metrics_address(&settings)).await?;
            log_listening(Listener::Metrics, &listener);
            Some(tokio::spawn(server::serve_metrics(
                listener,
                prepared.registry.clone(),
                servers.clone(),
            )))
        }
        MetricsExporter::None => None,
    };

    let cycles = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut state = ServiceState::new(
        prepared.shared,
        prepared.catalog,
        history,
        targets_sender,
        tracker.clone(),
        cycles.clone(),
        settings.clone(),
    );
    let report = state.apply_tenants(prepared.tenants);
    if !report.refused.is_empty() {
        servers.cancel();
        return Err(ServiceError::Tenants(report.refused.join("\n")));
    }
    tracing::info!(tenants = ?report.added, "service started");
    let state = Arc::new(Mutex::new(state));
    let files = WatchedFiles {
        tenant_pattern: settings.tenant_config_path_pattern.clone(),
        plugin_dir: options.plugin_dir.clone(),
    };
    let watcher = tokio::spawn(reload::watch(state.clone(), files, cycles.clone()));

    wait_for_shutdown_signal().await;
    tracing::info!(
        grace_seconds = SHUTDOWN_GRACE.as_secs(),
        "shutting down: no new cycles or items; waiting for items in flight"
    );
    cycles.cancel();
    let _ = watcher.await;
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("cycles did not finish within the grace period; exiting anyway");
    }
    servers.cancel();
    let _ = api_task.await;
    if let Some(metrics_task) = metrics_task {
        let _ = metrics_task.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Logs where a listener accepts connections (the real port when `PORT` or
/// `OTEL_EXPORTER_PROMETHEUS_PORT` is 0).
fn log_listening(which: Listener, listener: &tokio::net::TcpListener) {
    match listener.local_addr() {
        Ok(address) => tracing::info!(listener = %which, address = %address, "listening"),
        Err(err) => {
            tracing::warn!(listener = %which, error = %err, "listening on an unknown address")
        }
    }
}

async fn wait_for_shutdown_signal() {
    let mut terminate = match tokio::signal::unix::signal(
        tokio::signal::unix::SignalKind::terminate(),
    ) {
        Ok(signal) => signal,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGTERM; only SIGINT stops the service");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}
