//! Switching `useV1KeyFormat` (sync-flow, "Decisions on edge cases"): keys of the other format are
//! not matched by the file diff, so a re-ingested space would hold every item twice. After a
//! space's items are ingested under the current format, this step deletes the other format's
//! copies of exactly the items just submitted, and only those owned by the space's own scope:
//! a tenant-less v1 key could otherwise belong to another tenant whose Confluence instance has
//! the same space id and key. Other-format items of pages that no longer exist are left alone.

use std::collections::HashSet;

use crate::config::{KeyFormat, Tenant};
use crate::unique::UniqueClient;

use super::keys::full_key;
use super::plan::SpacePlan;
use super::summary::Tally;

/// The space's partial key in the format the tenant does **not** use.
pub fn other_format_partial_key(tenant: &Tenant, space_id: &str, space_key: &str) -> String {
    match tenant.ingestion.key_format {
        KeyFormat::V2 => format!("{space_id}_{space_key}"),
        KeyFormat::V1 => format!("{}/{space_id}_{space_key}", tenant.name),
    }
}

/// Deletes the other-format duplicates of the space's submitted items. Reads only (one G9) when
/// there are none. Errors are logged and counted, like other deletions.
pub async fn delete_other_format_copies(
    unique: &UniqueClient,
    tenant: &Tenant,
    tally: &Tally,
    plan: &SpacePlan,
    space_label: &str,
) {
    let Some(scope_id) = &plan.scope_id else {
        return;
    };
    let other = other_format_partial_key(tenant, &plan.space.id, &plan.space.key);
    let tenant_name = tenant.name.as_str();
    match unique.count_by_key_prefix(&other).await {
        Ok(0) => return,
        Ok(count) => {
            tracing::info!(tenantName = %tenant_name, space = %space_label, count, "content under the other key format found; deleting the copies of re-ingested items");
        }
        Err(error) => {
            tracing::warn!(tenantName = %tenant_name, space = %space_label, error = %error, "counting content under the other key format failed");
            return;
        }
    }
    let keys: Vec<String> = plan
        .space
        .pages
        .iter()
        .map(|page| page.id.clone())
        .chain(
            plan.space
                .attachments
                .iter()
                .map(|a| super::keys::attachment_key(&a.page_id, &a.id)),
        )
        .map(|relative| full_key(&other, &relative))
        .collect();
    let resolved = unique.content_ids_by_keys(&keys).await;
    let owned = unique.content_ids_by_owner(scope_id).await;
    let (resolved, owned) = match (resolved, owned) {
        (Ok(resolved), Ok(owned)) => (resolved, owned.into_iter().collect::<HashSet<_>>()),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(tenantName = %tenant_name, space = %space_label, error = %error, "resolving content under the other key format failed");
            return;
        }
    };
    let (ours, foreign): (Vec<String>, Vec<String>) =
        resolved.into_iter().partition(|id| owned.contains(id));
    if !foreign.is_empty() {
        tracing::warn!(tenantName = %tenant_name, space = %space_label, count = foreign.len(), "content under the other key format belongs to another scope; left alone");
    }
    let count = unique.delete_contents(&ours).await;
    Tally::add(&tally.deleted, count.deleted as u64);
    Tally::add(&tally.deletions_failed, count.failed as u64);
}
