//! The sync engine: one cycle of an active tenant (sync-flow §1–§10, §12–§14) and the cleanup of
//! a deleted tenant (§11).
//!
//! The service assembles a [`CycleContext`] per cycle and calls [`run_cycle`] or [`run_cleanup`].
//! The cycle's steps live in their own modules, in the spec's order: `root_scope`,
//! `discovery`, `file_diff` with `guards`, `space_scopes`, `pages`, `attachments`,
//! `deletions`, `orphans`; `cleanup` is the deleted-tenant run.
//!
//! Decisions on the spec's open edge cases:
//! - A file diff never deletes a key that was just submitted, whatever it reports.
//! - Zero-byte attachments and body-less items (folders) are never stored, so the diff reports
//!   them as new every cycle; zero-byte attachments alone never cause scope calls.
//! - With image inlining on, a kept page whose standalone attachment the diff deletes is
//!   re-ingested in the same cycle (its images now travel inside the page).
//! - Switching `useV1KeyFormat`: after a space's items are ingested under the new format, the
//!   old format's copies of exactly the submitted items are deleted when they are owned by the
//!   space's own scope (see `key_format_switch`); old-format items of pages that no longer exist
//!   are left alone.

mod abort;
mod attachments;
mod bounded;
mod cleanup;
mod cycle;
mod deletions;
mod discovery;
mod file_diff;
mod guards;
mod ingest;
mod key_format_switch;
pub mod keys;
mod orphans;
mod pages;
mod plan;
mod root_scope;
mod space_scopes;
mod summary;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Tenant;
use crate::egress::SourceEgress;
use crate::plugin_runtime::{LoadedPlugin, PluginRuntime, TaskContext};
use crate::telemetry::{Diagnostics, TenantMetrics};
use crate::unique::{SourceKind, UniqueClient};

pub use abort::CycleAbort;
pub use discovery::{normalised_mime, session_settings};
pub use summary::{CleanupReport, CycleReport, CycleSummary};

/// Everything one cycle (or cleanup) of a tenant needs, assembled by the service. A cycle keeps
/// the config and plugin it started with, whatever a reload does meanwhile.
#[derive(Clone)]
pub struct CycleContext {
    pub tenant: Arc<Tenant>,
    pub runtime: Arc<PluginRuntime>,
    pub plugin: Arc<LoadedPlugin>,
    /// For plugin tasks: tenant name, the tenant's egress, the mask of identifying log fields.
    pub task_context: TaskContext,
    /// Attachment downloads.
    pub egress: Arc<SourceEgress>,
    pub unique: Arc<UniqueClient>,
    pub metrics: TenantMetrics,
    /// Masks identifying values (space keys, item ids, titles) in the engine's own log lines.
    pub diagnostics: Diagnostics,
}

impl std::fmt::Debug for CycleContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CycleContext")
            .field("tenant", &self.tenant.name.as_str())
            .field("plugin", &self.plugin.label())
            .finish_non_exhaustive()
    }
}

/// The source as the plugin identified it, mapped to what Unique takes.
#[derive(Debug, Clone)]
pub struct SourceIdentity {
    /// E.g. `cloud:{cloudId}`; the root's mark is `confc:` + this.
    pub instance_id: String,
    pub kind: SourceKind,
    /// `sourceName` and `baseUrl` of every registration and diff.
    pub name: String,
}

/// Runs one cycle of an active tenant. Never panics on a failed step: the failure is the
/// report's `result`. `shutdown` stops new items from starting; items in flight finish (or are
/// rolled back) first.
pub async fn run_cycle(ctx: &CycleContext, shutdown: &CancellationToken) -> CycleReport {
    cycle::run(ctx, shutdown).await
}

/// What the cleanup of a deleted tenant needs: no plugin and no source access, since a deleted
/// tenant never calls its source (its plugin may even be uninstalled).
#[derive(Clone)]
pub struct CleanupContext {
    pub tenant: Arc<Tenant>,
    pub unique: Arc<UniqueClient>,
    pub metrics: TenantMetrics,
}

impl CycleContext {
    /// The subset a cleanup uses.
    pub fn cleanup_context(&self) -> CleanupContext {
        CleanupContext {
            tenant: self.tenant.clone(),
            unique: self.unique.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

/// Runs the cleanup of a deleted tenant (no source calls at all).
pub async fn run_cleanup(ctx: &CleanupContext) -> CleanupReport {
    cleanup::run(ctx).await
}
