//! `confluence-connector run`: the long-running service. Loads plugins and tenants, serves
//! `/probe`, `/health` and `/metrics`, schedules every tenant this replica owns, and on SIGTERM or
//! SIGINT stops scheduling, lets in-flight items finish within the grace period and exits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prometheus::Registry;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{self, MetricsExporter, ServiceSettings, TenantStatus};
use crate::http_client::HttpClients;
use crate::plugin_runtime::{PluginRuntime, RuntimeSettings, SandboxLimits};
use crate::server::{self, HealthChecker, HealthTargets, HealthTenant, Listener, SyncHistory};
use crate::telemetry::{ConnectorMetrics, Diagnostics};
use crate::unique::UniqueMetrics;

use super::assembly::{SharedServices, TenantResources, assemble};
use super::cycles::cycle_job;
use super::plugins::load_catalog;
use super::scheduler::schedule_tenant;

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

/// Everything started from the settings, before anything is scheduled.
pub struct Started {
    pub shared: SharedServices,
    pub registry: Registry,
    pub tenants: Vec<TenantResources>,
    pub health_targets: HealthTargets,
}

/// Loads plugins and tenants and assembles every tenant this replica owns. Any invalid tenant
/// stops startup with every problem listed.
pub async fn start(
    settings: &ServiceSettings,
    options: &ServiceOptions,
) -> Result<Started, ServiceError> {
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
    let mut tenants = Vec::new();
    let mut problems = Vec::new();
    let mut health_tenants = Vec::new();
    for tenant in loaded.tenants {
        if let Some(shard) = &settings.shard
            && !shard.owns(&tenant.name)
        {
            tracing::info!(tenantName = %tenant.name, "tenant belongs to another shard");
            continue;
        }
        if tenant.status == TenantStatus::Inactive {
            tracing::info!(tenantName = %tenant.name, "tenant is inactive: validated, not scheduled");
            continue;
        }
        match assemble(Arc::new(tenant), &catalog, &shared) {
            Ok(resources) => {
                health_tenants.push(HealthTenant::from_tenant(
                    &resources.tenant,
                    resources.unique_auth.clone(),
                ));
                tenants.push(resources);
            }
            Err(err) => problems.push(err.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Tenants(problems.join("\n")));
    }
    Ok(Started {
        shared,
        registry,
        tenants,
        health_targets: HealthTargets {
            tenants: health_tenants,
        },
    })
}

/// Runs the service until SIGTERM or SIGINT.
pub async fn run(settings: ServiceSettings, options: ServiceOptions) -> Result<(), ServiceError> {
    let started = start(&settings, &options).await?;
    let history = Arc::new(SyncHistory::from_settings(&settings.health));
    let (_targets_sender, targets) = watch::channel(started.health_targets);
    let health = Arc::new(HealthChecker::new(
        history.clone(),
        targets,
        started.shared.clients.clone(),
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
                started.registry.clone(),
                servers.clone(),
            )))
        }
        MetricsExporter::None => None,
    };

    let cycles = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracing::info!(tenants = started.tenants.len(), "service started");
    let _schedules: Vec<_> = started
        .tenants
        .into_iter()
        .map(|resources| {
            let name = resources.tenant.name.to_string();
            let schedule = resources.tenant.processing.schedule.clone();
            schedule_tenant(
                name,
                schedule,
                cycle_job(resources, history.clone(), cycles.clone()),
                &tracker,
                &cycles,
            )
        })
        .collect();

    wait_for_shutdown_signal().await;
    tracing::info!(
        grace_seconds = SHUTDOWN_GRACE.as_secs(),
        "shutting down: no new cycles or items; waiting for items in flight"
    );
    cycles.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("cycles did not finish within the grace period; exiting anyway");
    }
    servers.cancel();
    let _ = api_task.await;
    if let Some(task) = metrics_task {
        let _ = task.await;
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
