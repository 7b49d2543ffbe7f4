//! `confluence-connector validate`: every tenant file and every plugin checked, without network
//! access; every problem printed, not just the first.

use crate::config::{self, Tenant};
use crate::plugin_runtime::{PluginRuntime, RuntimeSettings};

use super::plugins::load_catalog;
use super::run::ServiceOptions;
use super::tenant_check::check_tenant;

/// What a validation found.
#[derive(Debug, Default)]
pub struct ValidationReport {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub tenants: usize,
    pub plugins: Vec<String>,
}

impl ValidationReport {
    /// Whether nothing is wrong (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Validates the tenant files matching `pattern` and the plugins (first-party and
/// `options.plugin_dir`; compiled plugins are cached in `options.plugin_cache_dir`).
pub async fn validate(
    pattern: &str,
    options: &ServiceOptions,
    env: impl Fn(&str) -> Option<String>,
) -> ValidationReport {
    let mut report = ValidationReport::default();
    let settings = RuntimeSettings {
        cache_dir: options.plugin_cache_dir.clone(),
        ..RuntimeSettings::default()
    };
    let runtime = match PluginRuntime::new(settings) {
        Ok(runtime) => runtime,
        Err(err) => {
            report.errors.push(err.to_string());
            return report;
        }
    };
    let (catalog, plugin_errors) = load_catalog(&runtime, options.plugin_dir.as_deref()).await;
    report
        .errors
        .extend(plugin_errors.iter().map(ToString::to_string));
    report.plugins = catalog.iter().map(|(_, plugin)| plugin.label()).collect();

    match config::load_tenants(pattern, &env) {
        Ok(loaded) => {
            report
                .warnings
                .extend(loaded.warnings.iter().map(ToString::to_string));
            report.tenants = loaded.tenants.len();
            for tenant in &loaded.tenants {
                report
                    .errors
                    .extend(check_tenant(tenant, &catalog, &runtime).await);
            }
        }
        Err(errors) => {
            report
                .warnings
                .extend(errors.warnings.iter().map(ToString::to_string));
            report
                .errors
                .extend(errors.errors.iter().map(ToString::to_string));
            // The set is invalid, yet the files valid on their own still get their plugin
            // checked, so one run lists every problem.
            for tenant in tenants_valid_on_their_own(pattern, &env) {
                report
                    .errors
                    .extend(check_tenant(&tenant, &catalog, &runtime).await);
            }
        }
    }
    report
}

/// The tenants of the files under `pattern` that load without errors one by one.
fn tenants_valid_on_their_own(pattern: &str, env: &impl Fn(&str) -> Option<String>) -> Vec<Tenant> {
    let Ok(paths) = config::find_tenant_files(pattern) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|path| config::load_tenant_files(std::slice::from_ref(path), env).ok())
        .flat_map(|loaded| loaded.tenants)
        .collect()
}
