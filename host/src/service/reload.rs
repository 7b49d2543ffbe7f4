//! Reload without restart (operations §1.7): polls the tenant files and the plugin directory by
//! content every two seconds, waits until a change has settled (one more poll), then reloads.
//! Tenant files are re-validated as a whole set with the start-up rules; an invalid set is
//! rejected with its errors logged and the previous set stays in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::config;
use crate::plugin_runtime::PluginPackage;

use super::plugins::load_catalog;
use super::state::{Fingerprint, ServiceState};

/// How often the files are compared.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What a reload watches.
#[derive(Debug, Clone)]
pub struct WatchedFiles {
    pub tenant_pattern: String,
    pub plugin_dir: Option<PathBuf>,
}

impl WatchedFiles {
    fn tenants(&self) -> Fingerprint {
        Fingerprint::of(config::find_tenant_files(&self.tenant_pattern).unwrap_or_default())
    }

    fn plugins(&self) -> Fingerprint {
        Fingerprint::of(
            self.plugin_dir
                .as_deref()
                .map(plugin_files)
                .unwrap_or_default(),
        )
    }
}

fn plugin_files(dir: &Path) -> Vec<PathBuf> {
    PluginPackage::discover(dir)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|package| [package.join("plugin.toml"), package.join("plugin.wasm")])
        .collect()
}

/// Watches `files` until `shutdown`, applying settled changes to `state`.
pub async fn watch(
    state: Arc<Mutex<ServiceState>>,
    files: WatchedFiles,
    shutdown: CancellationToken,
) {
    let mut applied = (files.tenants(), files.plugins());
    let mut settling: Option<(Fingerprint, Fingerprint)> = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
        let now = (files.tenants(), files.plugins());
        if now == applied {
            settling = None;
            continue;
        }
        if settling.as_ref() != Some(&now) {
            // Changed since the last poll: wait until it settles, so a multi-file update is
            // applied as one.
            settling = Some(now);
            continue;
        }
        settling = None;
        if now.1 != applied.1 {
            reload_plugins(&state, &files).await;
        }
        if now.0 != applied.0 {
            reload_tenants(&state, &files).await;
        }
        applied = now;
    }
}

async fn reload_plugins(state: &Mutex<ServiceState>, files: &WatchedFiles) {
    let runtime = state.lock().await.shared.runtime.clone();
    let (fresh, errors) = load_catalog(&runtime, files.plugin_dir.as_deref()).await;
    let changed = state.lock().await.apply_plugins(fresh, &errors);
    tracing::info!(changed = ?changed, rejected = errors.len(), "plugins reloaded");
}

async fn reload_tenants(state: &Mutex<ServiceState>, files: &WatchedFiles) {
    match config::load_tenants(&files.tenant_pattern, |name| std::env::var(name).ok()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                tracing::warn!("{warning}");
            }
            let report = state.lock().await.apply_tenants(loaded.tenants);
            tracing::info!(
                added = ?report.added,
                removed = ?report.removed,
                changed = ?report.changed,
                refused = ?report.refused,
                "tenant configuration reloaded"
            );
        }
        Err(errors) => {
            tracing::error!(errors = %errors, "tenant configuration reload rejected; the previous configuration stays in force");
        }
    }
}
