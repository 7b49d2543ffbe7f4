//! What a plugin package declares, without running it against a source: its manifest, what its
//! `describe` returns, the WIT version it exports and the interfaces it imports.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::Component;

use super::CheckError;
use crate::plugin_runtime::bindings::PACKAGE;
use crate::plugin_runtime::source::Capabilities;
use crate::plugin_runtime::{PluginManifest, PluginPackage, PluginRuntime, RuntimeSettings};

/// What a plugin declares about itself.
#[derive(Debug, Clone)]
pub struct InspectReport {
    pub location: PathBuf,
    /// The parsed `plugin.toml`, or why it was refused.
    pub manifest: Result<PluginManifest, String>,
    /// The interfaces the component imports (e.g. `unique:connector/http@0.1.0`,
    /// `wasi:io/streams@0.2.x`), sorted.
    pub imports: Vec<String>,
    /// The version of `unique:connector/source` the component exports, if any.
    pub exported_wit: Option<String>,
    /// What `describe` returned, or why the runtime refused to load the plugin.
    pub described: Result<DescribedPlugin, String>,
}

/// The answer of the plugin's `describe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedPlugin {
    pub id: String,
    pub version: String,
    pub description: String,
    /// Capability names as in the WIT (`attachments`, `image-inlining`).
    pub capabilities: Vec<&'static str>,
    /// The JSON Schema of the plugin's config section, if it publishes one.
    pub config_schema: Option<String>,
}

/// Reads the package in `dir`, lists its component's imports and exports, and loads it (offline)
/// to call `describe`. Load failures are part of the report, not errors.
pub async fn inspect(dir: &Path) -> Result<InspectReport, CheckError> {
    let package = PluginPackage::read_dir(dir).map_err(|err| CheckError::Package {
        location: dir.to_owned(),
        reason: err.to_string(),
    })?;
    let manifest = PluginManifest::parse(&package.manifest, &dir.join("plugin.toml"))
        .map_err(|err| err.to_string());
    let runtime = PluginRuntime::new(RuntimeSettings::default())?;

    let engine = runtime.engine().clone();
    let wasm = package.wasm.clone();
    let component = tokio::task::spawn_blocking(move || Component::new(&engine, &*wasm))
        .await
        .map_err(|err| CheckError::Package {
            location: dir.to_owned(),
            reason: err.to_string(),
        })?;
    let (imports, exported_wit) = match &component {
        Ok(component) => interfaces(&runtime, component),
        Err(_) => (Vec::new(), None),
    };
    let described = match component {
        Err(err) => Err(format!("{}: not a valid component: {err:#}", dir.display())),
        Ok(_) => runtime
            .load(
                &package.manifest,
                Arc::clone(&package.wasm),
                &package.location,
            )
            .await
            .map(|plugin| DescribedPlugin {
                id: plugin.info.id.clone(),
                version: plugin.info.version.clone(),
                description: plugin.info.description.clone(),
                capabilities: capability_names(plugin.info.capabilities),
                config_schema: plugin.info.config_schema.clone(),
            })
            .map_err(|err| err.to_string()),
    };
    Ok(InspectReport {
        location: dir.to_owned(),
        manifest,
        imports,
        exported_wit,
        described,
    })
}

fn interfaces(runtime: &PluginRuntime, component: &Component) -> (Vec<String>, Option<String>) {
    let engine = runtime.engine();
    let component_type = component.component_type();
    let mut imports: Vec<String> = component_type
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    imports.sort();
    let prefix = format!("{PACKAGE}/source@");
    let exported = component_type
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(&prefix).map(str::to_owned));
    (imports, exported)
}

fn capability_names(capabilities: Capabilities) -> Vec<&'static str> {
    [
        (Capabilities::ATTACHMENTS, "attachments"),
        (Capabilities::IMAGE_INLINING, "image-inlining"),
    ]
    .into_iter()
    .filter(|(flag, _)| capabilities.contains(*flag))
    .map(|(_, name)| name)
    .collect()
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "package: {}", self.location.display())?;
        match &self.manifest {
            Ok(manifest) => {
                writeln!(
                    f,
                    "manifest: id {} version {} WIT {}",
                    manifest.id, manifest.version, manifest.wit
                )?;
                writeln!(f, "  description: {}", manifest.description)?;
                writeln!(f, "  auth: {}", manifest.auth.join(", "))?;
                for origin in &manifest.origins {
                    let credentials = if origin.credentials {
                        "with credentials"
                    } else {
                        "without credentials"
                    };
                    writeln!(f, "  origin: {} ({credentials})", origin.url)?;
                }
                writeln!(f, "  sha256: {}", manifest.sha256)?;
            }
            Err(why) => writeln!(f, "manifest: refused: {why}")?,
        }
        writeln!(
            f,
            "exports: unique:connector/source@{}",
            self.exported_wit.as_deref().unwrap_or("(none)")
        )?;
        for import in &self.imports {
            writeln!(f, "imports: {import}")?;
        }
        match &self.described {
            Ok(info) => {
                writeln!(
                    f,
                    "describe: id {} version {}: {}",
                    info.id, info.version, info.description
                )?;
                writeln!(f, "  capabilities: {}", info.capabilities.join(", "))?;
                write!(
                    f,
                    "  config schema: {}",
                    info.config_schema.as_deref().unwrap_or("(none)")
                )
            }
            Err(why) => write!(f, "load: refused: {why}"),
        }
    }
}
