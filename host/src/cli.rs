//! The command line of `confluence-connector`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Syncs labelled Confluence content into Unique knowledge-base scopes through sandboxed
/// WebAssembly source plugins.
#[derive(Debug, Parser)]
#[command(name = "confluence-connector", version, about)]
pub struct Cli {
    /// A directory of extra plugins (`<dir>/<name>/plugin.toml` + `plugin.wasm`); they add
    /// plugins or override shipped ones with the same id.
    #[arg(long, env = "PLUGIN_DIR", global = true)]
    pub plugin_dir: Option<PathBuf>,

    /// Where compiled plugins are cached between restarts.
    #[arg(long, env = "PLUGIN_CACHE_DIR", global = true)]
    pub plugin_cache_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve /probe, /health and /metrics and sync every tenant on its schedule (the default).
    Run,
    /// Run one cycle per tenant and exit; the exit code says whether all succeeded.
    Sync {
        /// Run once and exit (the only mode of `sync`).
        #[arg(long, required = true)]
        once: bool,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Check tenant configs and plugins without network access; print every problem.
    Validate {
        /// Glob of tenant files; defaults to TENANT_CONFIG_PATH_PATTERN.
        #[arg(long, env = "TENANT_CONFIG_PATH_PATTERN")]
        tenants: String,
    },
    /// Start simulated Confluence and Unique with a generated corpus, sync it, change it, and
    /// sync again, printing a summary per tenant.
    Demo,
    /// Inspect or check a plugin package (a directory with plugin.toml + plugin.wasm).
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print what the plugin declares: manifest, exported WIT version, imports, describe().
    Inspect {
        /// The package directory.
        path: PathBuf,
    },
    /// Load the plugin under tight sandbox limits, run it against its source, and report every
    /// contract violation in plain words. Exit code 1 when anything is wrong.
    Check {
        /// The package directory.
        path: PathBuf,
        /// The plugin's config section (JSON) to open the session with.
        #[arg(long, default_value = "{}")]
        config: String,
    },
}
