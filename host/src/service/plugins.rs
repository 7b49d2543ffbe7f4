//! The plugins a service runs: the first-party plugins compiled into the binary, then the
//! packages of the operator's plugin directory, which add plugins or override shipped ones.

use std::path::Path;

use crate::plugin_runtime::{LoadError, PluginCatalog, PluginPackage, PluginRuntime};

/// The packages compiled into the binary.
pub fn first_party_packages() -> Vec<PluginPackage> {
    plugin_artifacts::FIRST_PARTY
        .iter()
        .map(|plugin| {
            let id = toml::from_str::<toml::Table>(plugin.manifest)
                .ok()
                .and_then(|table| {
                    table
                        .get("id")
                        .and_then(|id| id.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "unnamed".into());
            PluginPackage::embedded(&id, plugin.manifest, plugin.wasm)
        })
        .collect()
}

/// Loads the first-party plugins and, when given, every package under `plugin_dir`. Packages
/// that fail are reported and skipped; the rest load.
pub async fn load_catalog(
    runtime: &PluginRuntime,
    plugin_dir: Option<&Path>,
) -> (PluginCatalog, Vec<LoadError>) {
    let mut packages = first_party_packages();
    let mut errors = Vec::new();
    if let Some(dir) = plugin_dir {
        match PluginPackage::discover(dir) {
            Ok(dirs) => {
                for package_dir in dirs {
                    match PluginPackage::read_dir(&package_dir) {
                        Ok(package) => packages.push(package),
                        Err(err) => errors.push(err),
                    }
                }
            }
            Err(err) => errors.push(err),
        }
    }
    let (catalog, load_errors) = PluginCatalog::load(runtime, packages).await;
    errors.extend(load_errors);
    (catalog, errors)
}
