//! `cfc_plugin_*`: what operators need to see of the sandboxed source plugins (not in the
//! reference spec): how plugin calls end, traps and deadline hits included, and whether plugin
//! reloads were accepted.

use prometheus::CounterVec;

use super::{MetricsError, Registrar};
use crate::config::PluginId;

/// The exported plugin function that was called (`call` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginCall {
    Describe,
    Open,
    InstanceId,
    Discover,
    NextBatch,
    FetchPages,
    Other,
}

impl PluginCall {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Describe => "describe",
            Self::Open => "open",
            Self::InstanceId => "instance-id",
            Self::Discover => "discover",
            Self::NextBatch => "next-batch",
            Self::FetchPages => "fetch-pages",
            Self::Other => "other",
        }
    }
}

/// How a plugin call ended (`result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginCallResult {
    /// The call returned `ok`.
    Success,
    /// The call returned a `source-error`.
    SourceError,
    /// The guest trapped (a panic, an out-of-bounds access, a failed memory growth).
    Trap,
    /// The CPU budget or the wall-clock deadline ran out.
    Timeout,
    /// The guest hit the store's memory cap.
    MemoryLimit,
}

impl PluginCallResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::SourceError => "source_error",
            Self::Trap => "trap",
            Self::Timeout => "timeout",
            Self::MemoryLimit => "memory_limit",
        }
    }
}

/// Outcome of a plugin artifact reload (`result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginReloadResult {
    /// The new artifact loaded, compiled and instantiated, and replaced the old one.
    Accepted,
    /// The new artifact was invalid; the old version stays.
    Rejected,
}

impl PluginReloadResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

/// The plugin metrics. Plugin ids and call names are bounded sets (installed plugins, WIT
/// functions). `cfc_plugin_reloads_total` has no `tenant` label: one artifact serves many tenants.
#[derive(Clone)]
pub struct PluginMetrics {
    calls: CounterVec,
    reloads: CounterVec,
}

impl PluginMetrics {
    pub(super) fn register(on: &mut Registrar<'_>) -> Result<Self, MetricsError> {
        Ok(Self {
            calls: on.counter(
                "cfc_plugin_calls_total",
                "Calls into source plugins, by plugin, exported function and result.",
                &["tenant", "plugin", "call", "result"],
            )?,
            reloads: on.counter(
                "cfc_plugin_reloads_total",
                "Plugin artifact reloads, accepted or rejected.",
                &["plugin", "result"],
            )?,
        })
    }

    /// One call into `plugin` for `tenant` ended.
    pub(super) fn call(
        &self,
        tenant: &str,
        plugin: &PluginId,
        call: PluginCall,
        result: PluginCallResult,
    ) {
        self.calls
            .with_label_values(&[tenant, plugin.as_str(), call.as_str(), result.as_str()])
            .inc();
    }

    /// A changed artifact of `plugin` was validated and accepted or rejected.
    pub fn reload(&self, plugin: &PluginId, result: PluginReloadResult) {
        self.reloads
            .with_label_values(&[plugin.as_str(), result.as_str()])
            .inc();
    }
}
