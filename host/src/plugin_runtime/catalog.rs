//! The set of plugins a host can run: the first-party plugins shipped in the binary, plus a
//! plugin directory whose packages (`<dir>/<name>/plugin.toml` + `plugin.wasm`) add plugins or
//! override shipped ones with the same id, without rebuilding the host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::LoadError;
use super::runtime::{LoadedPlugin, PluginRuntime};

/// A plugin package before loading.
#[derive(Debug, Clone)]
pub struct PluginPackage {
    pub manifest: String,
    pub wasm: Arc<[u8]>,
    /// Its directory, or `embedded:<name>` for a shipped plugin.
    pub location: PathBuf,
}

impl PluginPackage {
    /// A plugin compiled into the binary.
    pub fn embedded(name: &str, manifest: &str, wasm: &[u8]) -> Self {
        Self {
            manifest: manifest.into(),
            wasm: Arc::from(wasm),
            location: PathBuf::from(format!("embedded:{name}")),
        }
    }

    /// Reads the package in `dir`.
    pub fn read_dir(dir: &Path) -> Result<Self, LoadError> {
        let read_error = |reason: String| LoadError::Read {
            location: dir.to_owned(),
            reason,
        };
        let manifest_path = dir.join("plugin.toml");
        let manifest = std::fs::read_to_string(&manifest_path)
            .map_err(|err| read_error(format!("{}: {err}", manifest_path.display())))?;
        let wasm =
            std::fs::read(dir.join("plugin.wasm")).map_err(|err| read_error(err.to_string()))?;
        Ok(Self {
            manifest,
            wasm: Arc::from(wasm),
            location: dir.to_owned(),
        })
    }

    /// Every package directory directly under `dir` (those holding a `plugin.toml`), sorted.
    pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
        let entries = std::fs::read_dir(dir).map_err(|err| LoadError::Read {
            location: dir.to_owned(),
            reason: err.to_string(),
        })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.join("plugin.toml").is_file())
            .collect();
        dirs.sort();
        Ok(dirs)
    }
}

/// Loaded plugins by id.
#[derive(Debug, Default, Clone)]
pub struct PluginCatalog {
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
}

impl PluginCatalog {
    /// Loads `packages` in order; a later package with the same id overrides an earlier one.
    /// A package that fails to load is reported and skipped; the others still load.
    pub async fn load(
        runtime: &PluginRuntime,
        packages: Vec<PluginPackage>,
    ) -> (Self, Vec<LoadError>) {
        let mut catalog = Self::default();
        let mut errors = Vec::new();
        for package in packages {
            match runtime
                .load(&package.manifest, package.wasm, &package.location)
                .await
            {
                Ok(plugin) => {
                    let plugin = Arc::new(plugin);
                    tracing::info!(
                        plugin = %plugin.manifest.id,
                        version = %plugin.manifest.version,
                        wit = %plugin.manifest.wit,
                        location = %plugin.location.display(),
                        cache = ?plugin.cache,
                        "plugin loaded"
                    );
                    if let Some(replaced) =
                        catalog.plugins.insert(plugin.manifest.id.clone(), plugin)
                    {
                        tracing::info!(plugin = %replaced.manifest.id, replaced = %replaced.location.display(), "plugin overridden");
                    }
                }
                Err(err) => {
                    tracing::error!(error = %err, "plugin refused");
                    errors.push(err);
                }
            }
        }
        (catalog, errors)
    }

    /// Adds or replaces a plugin.
    pub fn insert(&mut self, plugin: Arc<LoadedPlugin>) {
        self.plugins.insert(plugin.manifest.id.clone(), plugin);
    }

    /// The plugin with `id`.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.get(id).cloned()
    }

    /// All plugins by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<LoadedPlugin>)> {
        self.plugins
            .iter()
            .map(|(id, plugin)| (id.as_str(), plugin))
    }

    /// Whether no plugin loaded.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }
}
