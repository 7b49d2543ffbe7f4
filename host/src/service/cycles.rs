//! One cycle of a tenant as the scheduler and the one-shot commands start it: the cycle context
//! built from the tenant's resources, a sync (active) or a cleanup (deleted), and the result
//! recorded in the health window. Every log line inside carries `tenantName`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::TenantStatus;
use crate::server::SyncHistory;
use crate::sync::{self, CleanupContext, CleanupReport, CycleContext, CycleReport};

use super::assembly::TenantResources;
use super::scheduler::CycleJob;

/// What one run of a tenant did.
#[derive(Debug)]
pub enum CycleOutcome {
    Synced(CycleReport),
    Cleaned(CleanupReport),
    /// An inactive tenant runs nothing.
    Idle,
}

impl CycleOutcome {
    /// Whether the run succeeded (an idle tenant counts as success).
    pub fn succeeded(&self) -> bool {
        match self {
            Self::Synced(report) => report.result.is_ok(),
            Self::Cleaned(report) => report.result.is_ok(),
            Self::Idle => true,
        }
    }
}

/// Runs one cycle (or cleanup) of the tenant now.
pub async fn run_once(resources: &TenantResources, shutdown: &CancellationToken) -> CycleOutcome {
    let span = tracing::info_span!("cycle", tenantName = %resources.tenant.name);
    async {
        match resources.tenant.status {
            TenantStatus::Inactive => CycleOutcome::Idle,
            TenantStatus::Deleted => {
                CycleOutcome::Cleaned(sync::run_cleanup(&resources.cleanup_context()).await)
            }
            TenantStatus::Active => match resources.cycle_context() {
                Some(context) => CycleOutcome::Synced(sync::run_cycle(&context, shutdown).await),
                None => CycleOutcome::Idle,
            },
        }
    }
    .instrument(span)
    .await
}

/// The scheduler's job for a tenant: a run whose result feeds the health window (cleanups and
/// idle runs are not recorded, sync-flow §11 and operations §6.2).
pub fn cycle_job(
    resources: TenantResources,
    history: Arc<SyncHistory>,
    shutdown: CancellationToken,
) -> CycleJob {
    let resources = Arc::new(resources);
    Arc::new(move || {
        let resources = resources.clone();
        let history = history.clone();
        let shutdown = shutdown.clone();
        Box::pin(async move {
            if let CycleOutcome::Synced(report) = run_once(&resources, &shutdown).await {
                history.record(&resources.tenant.name, report.outcome());
            }
        })
    })
}

impl TenantResources {
    /// The context of a deleted tenant's cleanup.
    pub fn cleanup_context(&self) -> CleanupContext {
        CleanupContext {
            tenant: self.tenant.clone(),
            unique: self.unique.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// The context of a sync cycle; `None` when the tenant has no plugin (deleted tenants).
    pub fn cycle_context(&self) -> Option<CycleContext> {
        Some(CycleContext {
            tenant: self.tenant.clone(),
            runtime: self.runtime.clone(),
            plugin: self.plugin.clone()?,
            task_context: self.task_context(),
            egress: self.egress.clone()?,
            unique: self.unique.clone(),
            metrics: self.metrics.clone(),
            diagnostics: self.diagnostics,
        })
    }
}
