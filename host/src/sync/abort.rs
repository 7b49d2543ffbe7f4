//! Why a cycle was aborted (sync-flow §13): one variant per abort reason, each a sentence that
//! names what failed. Content of the source (titles, keys) never appears here; space keys and ids
//! appear masked per the diagnostics policy by whoever builds the value.

use crate::plugin_runtime::PluginError;
use crate::unique::UniqueError;

/// The reason a cycle stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum CycleAbort {
    #[error("Unique call failed while {step}: {source}")]
    Unique {
        step: &'static str,
        #[source]
        source: Box<UniqueError>,
    },
    #[error("the root scope {scope_id} does not exist in Unique")]
    RootMissing { scope_id: String },
    #[error("the ancestor scope {scope_id} of the root scope does not exist or cannot be read")]
    AncestorMissing { scope_id: String },
    #[error("the plugin failed while {step}: {source}")]
    Plugin {
        step: &'static str,
        #[source]
        source: Box<PluginError>,
    },
    #[error("the plugin reported an empty source instance id")]
    EmptyInstanceId,
    #[error("the plugin reported an empty source kind ({kind:?})")]
    UnknownSourceKind { kind: String },
    #[error(
        "the root scope {scope_id} belongs to another source instance: its external id is {found:?}, \
         this tenant expects {expected:?}"
    )]
    OwnedByOther {
        scope_id: String,
        found: String,
        expected: String,
    },
    #[error(
        "claiming the root scope {scope_id} returned external id {returned:?} instead of {expected:?}"
    )]
    ClaimMismatch {
        scope_id: String,
        expected: String,
        returned: Option<String>,
    },
    #[error(
        "claiming the root scope failed: another scope may already hold the instance id {expected:?} \
         (the same source instance appears to be connected twice): {source}"
    )]
    ClaimFailed {
        expected: String,
        #[source]
        source: Box<UniqueError>,
    },
    #[error("migration_failed: moving the old root {old_root} to the new root failed: {reason}")]
    MigrationFailed { old_root: String, reason: String },
    #[error(
        "discovery found no content, but the root scope still holds {space_scopes} space scope(s) of this \
         tenant; nothing was deleted. To remove everything on purpose, set the tenant's status to `deleted`"
    )]
    EmptyDiscovery { space_scopes: usize },
    #[error(
        "zero-submission guard: space {space} submitted no items but the file diff would delete {deleted}; \
         nothing was ingested or deleted"
    )]
    ZeroSubmissionGuard { space: String, deleted: usize },
    #[error(
        "full-deletion guard: space {space} would lose all {stored} stored items ({deleted} deleted, {new} new); \
         nothing was ingested or deleted"
    )]
    FullDeletionGuard {
        space: String,
        deleted: usize,
        stored: u64,
        new: usize,
    },
    #[error("the cycle was stopped by shutdown before {step}")]
    Shutdown { step: &'static str },
}

impl CycleAbort {
    pub(crate) fn unique(step: &'static str) -> impl FnOnce(UniqueError) -> Self {
        move |source| Self::Unique {
            step,
            source: Box::new(source),
        }
    }

    pub(crate) fn plugin(step: &'static str) -> impl FnOnce(PluginError) -> Self {
        move |source| Self::Plugin {
            step,
            source: Box::new(source),
        }
    }

    /// The message with its causes, for the report and the log.
    pub fn sentence(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(inner) = cause {
            let inner_text = inner.to_string();
            if !text.contains(&inner_text) {
                text.push_str(": ");
                text.push_str(&inner_text);
            }
            cause = inner.source();
        }
        text
    }
}
