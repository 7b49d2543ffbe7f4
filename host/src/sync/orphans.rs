//! Orphan space-scope cleanup (sync-flow §10): children of the root whose mark names a space that
//! discovery no longer found lose their content (G8 prefix loop + G11) and are deleted (G6,
//! non-recursive). Errors stay with their child.

use std::collections::HashSet;

use crate::config::Tenant;
use crate::telemetry::{Diagnostics, Outcome, TenantMetrics};
use crate::unique::{Recursive, Scope, UniqueClient};

use super::keys::{MARK_PREFIX, parse_space_mark};
use super::summary::Tally;

/// Cleans the orphans among `children` (the root's children, listed by the caller).
pub async fn clean(
    unique: &UniqueClient,
    tenant: &Tenant,
    metrics: &TenantMetrics,
    tally: &Tally,
    children: &[Scope],
    discovered_keys: &HashSet<&str>,
    diagnostics: Diagnostics,
) {
    let tenant_name = tenant.name.as_str();
    for child in children {
        let Some(mark) = child.external_id.as_deref().and_then(parse_space_mark) else {
            tracing::warn!(tenantName = %tenant_name, scope = %child.id, "child scope of the root without a space mark; left alone");
            continue;
        };
        if discovered_keys.contains(mark.space_key.as_str()) {
            continue;
        }
        let partial_key = tenant.partial_key(&mark.space_id, &mark.space_key);
        let space = diagnostics.masked(&mark.space_key);
        let files = match unique.delete_by_key_prefix(&partial_key).await {
            Ok(count) => count.deleted as u64,
            Err(error) => {
                tracing::warn!(tenantName = %tenant_name, scope = %child.id, space = %space, error = %error, "deleting the content of an orphaned space scope failed; the scope is kept");
                metrics.orphaned_scope_cleaned(Outcome::Failure);
                Tally::add(&tally.orphan_scopes_failed, 1);
                continue;
            }
        };
        metrics.orphaned_files_cleaned(files);
        Tally::add(&tally.orphan_files_deleted, files);
        match unique.delete_folder(&child.id, Recursive::No).await {
            Ok(()) => {
                metrics.orphaned_scope_cleaned(Outcome::Success);
                Tally::add(&tally.orphan_scopes_deleted, 1);
                tracing::info!(tenantName = %tenant_name, scope = %child.id, space = %space, files, "deleted an orphaned space scope");
            }
            Err(error) => {
                metrics.orphaned_scope_cleaned(Outcome::Failure);
                Tally::add(&tally.orphan_scopes_failed, 1);
                tracing::warn!(tenantName = %tenant_name, scope = %child.id, space = %space, error = %error, "deleting an orphaned space scope failed");
            }
        }
    }
}

/// How many children carry a space mark of `tenant` (`confc:{tenant}:…`).
pub fn tenant_space_scopes(children: &[Scope], tenant: &str) -> usize {
    let prefix = format!("{MARK_PREFIX}{tenant}:");
    children
        .iter()
        .filter(|child| {
            child
                .external_id
                .as_deref()
                .is_some_and(|mark| mark.starts_with(&prefix) && parse_space_mark(mark).is_some())
        })
        .count()
}
