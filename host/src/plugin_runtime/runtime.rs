//! The process-wide plugin runtime: one wasmtime `Engine` (component model, async, epoch
//! interruption driven by a ticker thread), the `Linker` with the host's imports, the compiled
//! component cache, and loading a plugin package into a ready-to-instantiate [`LoadedPlugin`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings::{self, PACKAGE, latest};
use super::cache::{CacheOutcome, CompiledCache};
use super::error::LoadError;
use super::limits::SandboxLimits;
use super::manifest::{PluginManifest, supported_versions};
use super::state::{RunState, TaskContext};
use super::task::PluginTask;

/// How often the engine's epoch advances; the unit of the CPU budget and of yielding to tokio.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings of the plugin runtime.
#[derive(Debug, Clone, Default)]
pub struct RuntimeSettings {
    pub limits: SandboxLimits,
    /// Where compiled components are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
}

/// A plugin ready to run: checked, compiled, linked and described.
pub struct LoadedPlugin {
    pub manifest: PluginManifest,
    /// What the plugin's `describe` returned.
    pub info: latest::source::PluginInfo,
    /// Where it came from (a directory, or `embedded:<id>`).
    pub location: PathBuf,
    /// Whether the compiled code came from the cache.
    pub cache: CacheOutcome,
    pub(crate) pre: latest::SourcePluginPre<RunState>,
}

impl LoadedPlugin {
    /// `id version`, as in messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.manifest.id, self.manifest.version)
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The process's plugin runtime. Create one and share it.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<RunState>,
    limits: SandboxLimits,
    cache: Option<CompiledCache>,
    _ticker: EpochTicker,
}

/// Errors creating the runtime.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot create the Wasm engine: {0}")]
    Engine(String),
    #[error("cannot link the host interfaces: {0}")]
    Link(String),
    #[error("cannot use the compiled-plugin cache directory {dir}: {reason}")]
    Cache { dir: PathBuf, reason: String },
}

impl PluginRuntime {
    /// Creates the engine, links the imports and starts the epoch ticker.
    pub fn new(settings: RuntimeSettings) -> Result<Arc<Self>, RuntimeError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|err| RuntimeError::Engine(err.to_string()))?;

        let mut linker = Linker::<RunState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|err| RuntimeError::Link(err.to_string()))?;
        latest::SourcePlugin::add_to_linker::<RunState, HasSelf<RunState>>(&mut linker, |state| {
            state
        })
        .map_err(|err| RuntimeError::Link(err.to_string()))?;

        let cache = settings
            .cache_dir
            .map(|dir| {
                CompiledCache::new(&dir, &engine).map_err(|err| RuntimeError::Cache {
                    dir: dir.clone(),
                    reason: err.to_string(),
                })
            })
            .transpose()?;
        let ticker = EpochTicker::start(engine.clone()).map_err(|err| {
            RuntimeError::Engine(format!("cannot start the epoch ticker thread: {err}"))
        })?;
        Ok(Arc::new(Self {
            engine,
            linker,
            limits: settings.limits,
            cache,
            _ticker: ticker,
        }))
    }

    /// The sandbox limits every task runs under.
    pub fn limits(&self) -> SandboxLimits {
        self.limits
    }

    /// The engine (for tools that inspect components).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Loads a plugin package: checks the manifest and the hash, compiles (or loads from the
    /// cache), checks the exported WIT version, links, and calls `describe`.
    pub async fn load(
        &self,
        manifest_text: &str,
        wasm: Arc<[u8]>,
        location: &Path,
    ) -> Result<LoadedPlugin, LoadError> {
        let manifest = PluginManifest::parse(manifest_text, &location.join("plugin.toml"))?;
        let actual = hex::encode(Sha256::digest(&wasm));
        if actual != manifest.sha256 {
            return Err(LoadError::HashMismatch {
                location: location.to_owned(),
                declared: manifest.sha256,
                actual,
            });
        }
        let (component, cache) = self.compile(wasm, &actual, location).await?;
        let exported = exported_wit_version(&self.engine, &component).ok_or_else(|| {
            LoadError::NotASourcePlugin {
                location: location.to_owned(),
            }
        })?;
        if !bindings::SUPPORTED_VERSIONS.contains(&exported.as_str()) {
            return Err(LoadError::UnsupportedWit {
                location: location.to_owned(),
                found: exported,
                supported: supported_versions(),
            });
        }
        if exported != manifest.wit {
            return Err(LoadError::WitMismatch {
                location: location.to_owned(),
                declared: manifest.wit,
                exported,
            });
        }
        let link_error = |err: wasmtime::Error| LoadError::Link {
            location: location.to_owned(),
            reason: format!("{err:#}"),
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(link_error)?;
        let pre = latest::SourcePluginPre::new(instance_pre).map_err(link_error)?;

        let label = format!("{} {}", manifest.id, manifest.version);
        let mut task = PluginTask::instantiate(self, &pre, label, TaskContext::offline("-"))
            .await
            .map_err(|err| LoadError::Describe {
                location: location.to_owned(),
                reason: err.to_string(),
            })?;
        let info = task.describe().await.map_err(|err| LoadError::Describe {
            location: location.to_owned(),
            reason: err.to_string(),
        })?;
        if info.id != manifest.id || info.version != manifest.version {
            return Err(LoadError::IdentityMismatch {
                location: location.to_owned(),
                described: info.id,
                described_version: info.version,
                declared: manifest.id,
                declared_version: manifest.version,
            });
        }
        Ok(LoadedPlugin {
            manifest,
            info,
            location: location.to_owned(),
            cache,
            pre,
        })
    }

    /// Starts a task of `plugin` for a tenant: a fresh store and instance.
    pub async fn start_task(
        &self,
        plugin: &LoadedPlugin,
        context: TaskContext,
    ) -> Result<PluginTask, super::error::PluginError> {
        PluginTask::instantiate(self, &plugin.pre, plugin.label(), context).await
    }

    /// Compiles off the async threads (compiling takes a core for a while).
    async fn compile(
        &self,
        wasm: Arc<[u8]>,
        sha256: &str,
        location: &Path,
    ) -> Result<(Component, CacheOutcome), LoadError> {
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let sha256 = sha256.to_owned();
        let compiled = tokio::task::spawn_blocking(move || match &cache {
            Some(cache) => cache.load(&engine, &wasm, &sha256),
            None => Component::new(&engine, &*wasm)
                .map(|component| (component, CacheOutcome::CompiledUncached)),
        })
        .await;
        match compiled {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(err)) => Err(LoadError::Compile {
                location: location.to_owned(),
                reason: format!("{err:#}"),
            }),
            Err(join) => Err(LoadError::Compile {
                location: location.to_owned(),
                reason: join.to_string(),
            }),
        }
    }
}

/// The version of the `unique:connector/source` interface a component exports.
fn exported_wit_version(engine: &Engine, component: &Component) -> Option<String> {
    let prefix = format!("{PACKAGE}/source@");
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(&prefix).map(str::to_owned))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on its own thread until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
