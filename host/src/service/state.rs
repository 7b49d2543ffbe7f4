//! The running service's tenants and plugins, and how a reload changes them (operations §1.7):
//! added tenants are scheduled and run at once, removed ones are unscheduled, changed ones take
//! effect from their next tick (at once when their status changed), unchanged ones are left
//! alone. A plugin that fails to load keeps its previous version serving. Cycles in flight always
//! finish with the config and plugin they started with: they hold their own `Arc`s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{PluginId, ServiceSettings, Tenant, TenantName, TenantStatus};
use crate::plugin_runtime::{LoadError, PluginCatalog};
use crate::server::{HealthTargets, HealthTenant, SyncHistory};
use crate::telemetry::metrics::PluginReloadResult;

use super::assembly::{SharedServices, assemble};
use super::cycles::cycle_job;
use super::scheduler::{FirstRun, RunningFlag, ScheduledTenant, schedule_tenant};

/// A scheduled tenant.
struct TenantEntry {
    tenant: Arc<Tenant>,
    schedule: ScheduledTenant,
    /// Shared with the health check, so it reuses the Zitadel token cache of the tenant.
    unique_auth: crate::auth::UniqueAuth,
}

/// What a reload changed, for its log line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    /// Tenants that could not be assembled (e.g. their plugin is missing); they are not scheduled.
    pub refused: Vec<String>,
}

/// The tenants and plugins of a running service.
pub struct ServiceState {
    pub shared: SharedServices,
    catalog: PluginCatalog,
    tenants: BTreeMap<TenantName, TenantEntry>,
    history: Arc<SyncHistory>,
    health_targets: watch::Sender<HealthTargets>,
    tracker: TaskTracker,
    cycles: CancellationToken,
    settings: ServiceSettings,
}

impl ServiceState {
    pub fn new(
        shared: SharedServices,
        catalog: PluginCatalog,
        history: Arc<SyncHistory>,
        health_targets: watch::Sender<HealthTargets>,
        tracker: TaskTracker,
        cycles: CancellationToken,
        settings: ServiceSettings,
    ) -> Self {
        Self {
            shared,
            catalog,
            tenants: BTreeMap::new(),
            history,
            health_targets,
            tracker,
            cycles,
            settings,
        }
    }

    /// Names of the scheduled tenants.
    pub fn scheduled(&self) -> Vec<String> {
        self.tenants.keys().map(ToString::to_string).collect()
    }

    /// Applies a complete, valid set of tenants.
    pub fn apply_tenants(&mut self, tenants: Vec<Tenant>) -> ReloadReport {
        let mut report = ReloadReport::default();
        let wanted: BTreeMap<TenantName, Tenant> = tenants
            .into_iter()
            .filter(|tenant| {
                self.settings
                    .shard
                    .as_ref()
                    .is_none_or(|shard| shard.owns(&tenant.name))
            })
            .filter(|tenant| tenant.status != TenantStatus::Inactive)
            .map(|tenant| (tenant.name.clone(), tenant))
            .collect();
        let gone: Vec<TenantName> = self
            .tenants
            .keys()
            .filter(|name| !wanted.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            if let Some(entry) = self.tenants.remove(&name) {
                entry.schedule.unschedule();
                self.history.forget(&name);
                report.removed.push(name.to_string());
            }
        }
        for (name, tenant) in wanted {
            let (first_run, running) = match self.tenants.get(&name) {
                None => (FirstRun::Immediately, RunningFlag::default()),
                Some(entry) if *entry.tenant == tenant => continue,
                Some(entry) if entry.tenant.status != tenant.status => {
                    (FirstRun::Immediately, entry.schedule.running_flag())
                }
                Some(entry) => (FirstRun::AtNextTick, entry.schedule.running_flag()),
            };
            let is_new = !self.tenants.contains_key(&name);
            match self.schedule(Arc::new(tenant), first_run, running) {
                Ok(()) if is_new => report.added.push(name.to_string()),
                Ok(()) => report.changed.push(name.to_string()),
                Err(reason) => report.refused.push(reason),
            }
        }
        self.publish_health_targets();
        report
    }

    /// Replaces the plugins with a freshly loaded catalog; a package that failed keeps the
    /// version it replaced. Tenants whose plugin changed are re-assembled for their next tick.
    pub fn apply_plugins(&mut self, fresh: PluginCatalog, errors: &[LoadError]) -> Vec<String> {
        let mut catalog = fresh;
        for error in errors {
            tracing::error!(error = %error, "plugin reload rejected; the previous version keeps serving");
            let kept = error
                .location()
                .and_then(|location| self.plugin_at(location));
            if let Some((id, plugin)) = kept {
                self.record_reload(&id, PluginReloadResult::Rejected);
                catalog.insert(plugin);
            }
        }
        // A package whose files did not change keeps its loaded instance, so its tenants are
        // not rescheduled for nothing.
        let unchanged: Vec<_> = catalog
            .iter()
            .filter_map(|(id, plugin)| {
                let old = self.catalog.get(id)?;
                (old.location == plugin.location && old.manifest == plugin.manifest).then_some(old)
            })
            .collect();
        for old in unchanged {
            catalog.insert(old);
        }
        let mut changed = Vec::new();
        for (id, plugin) in catalog.iter() {
            let same = self
                .catalog
                .get(id)
                .is_some_and(|old| Arc::ptr_eq(&old, plugin));
            if !same {
                self.record_reload(id, PluginReloadResult::Accepted);
                changed.push(id.to_string());
            }
        }
        self.catalog = catalog;
        let affected: Vec<Arc<Tenant>> = self
            .tenants
            .values()
            .filter(|entry| {
                changed
                    .iter()
                    .any(|id| id == entry.tenant.plugin_id().as_str())
            })
            .map(|entry| entry.tenant.clone())
            .collect();
        for tenant in affected {
            let running = self
                .tenants
                .get(&tenant.name)
                .map(|entry| entry.schedule.running_flag())
                .unwrap_or_default();
            if let Err(reason) = self.schedule(tenant, FirstRun::AtNextTick, running) {
                tracing::error!("{reason}");
            }
        }
        changed
    }

    fn schedule(
        &mut self,
        tenant: Arc<Tenant>,
        first_run: FirstRun,
        running: RunningFlag,
    ) -> Result<(), String> {
        let resources =
            assemble(tenant.clone(), &self.catalog, &self.shared).map_err(|err| err.to_string())?;
        let unique_auth = resources.unique_auth.clone();
        let job = cycle_job(resources, self.history.clone(), self.cycles.clone());
        let schedule = schedule_tenant(
            tenant.name.to_string(),
            tenant.processing.schedule.clone(),
            job,
            first_run,
            running,
            &self.tracker,
            &self.cycles,
        );
        if let Some(old) = self.tenants.insert(
            tenant.name.clone(),
            TenantEntry {
                tenant,
                schedule,
                unique_auth,
            },
        ) {
            old.schedule.unschedule();
        }
        Ok(())
    }

    fn plugin_at(
        &self,
        location: &Path,
    ) -> Option<(String, Arc<crate::plugin_runtime::LoadedPlugin>)> {
        self.catalog
            .iter()
            .find(|(_, plugin)| plugin.location == location)
            .map(|(id, plugin)| (id.to_string(), plugin.clone()))
    }

    fn record_reload(&self, id: &str, result: PluginReloadResult) {
        if let Ok(id) = PluginId::try_from(id) {
            self.shared.metrics.plugins().reload(&id, result);
        }
    }

    fn publish_health_targets(&self) {
        let tenants = self
            .tenants
            .values()
            .map(|entry| HealthTenant::from_tenant(&entry.tenant, entry.unique_auth.clone()))
            .collect();
        self.health_targets.send_replace(HealthTargets { tenants });
    }
}

/// The files a reload watches, for change detection by content (Kubernetes swaps a mounted
/// ConfigMap by replacing a symlinked directory, which only a content comparison sees reliably).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint(BTreeMap<PathBuf, [u8; 32]>);

impl Fingerprint {
    /// Hashes every file in `files`; unreadable files count as absent.
    pub fn of(files: impl IntoIterator<Item = PathBuf>) -> Self {
        use sha2::{Digest, Sha256};
        Self(
            files
                .into_iter()
                .filter_map(|path| {
                    let bytes = std::fs::read(&path).ok()?;
                    Some((path, Sha256::digest(&bytes).into()))
                })
                .collect(),
        )
    }
}
