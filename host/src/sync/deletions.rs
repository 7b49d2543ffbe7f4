//! Deletions (sync-flow §9): the diff's deleted keys of each space resolved to ids (G8 `key.in`)
//! and deleted in batches of 20 (G11). Errors are logged and counted, never fatal: the next
//! cycle's diff reports the same keys again.

use crate::telemetry::{Outcome, TenantMetrics};
use crate::unique::UniqueClient;

use super::keys::full_key;
use super::summary::Tally;

/// Deletes the diff-deleted items of one space.
pub async fn delete_space_items(
    unique: &UniqueClient,
    metrics: &TenantMetrics,
    tally: &Tally,
    partial_key: &str,
    deleted_relative_keys: &[String],
    space_label: &str,
) {
    if deleted_relative_keys.is_empty() {
        return;
    }
    let keys: Vec<String> = deleted_relative_keys
        .iter()
        .map(|key| full_key(partial_key, key))
        .collect();
    let ids = match unique.content_ids_by_keys(&keys).await {
        Ok(ids) => ids,
        Err(error) => {
            tracing::warn!(tenantName = %unique.tenant(), space = %space_label, keys = keys.len(), error = %error, "resolving deleted items failed; the next cycle retries");
            count(metrics, tally, 0, keys.len() as u64);
            return;
        }
    };
    let result = unique.delete_contents(&ids).await;
    count(metrics, tally, result.deleted as u64, result.failed as u64);
    tracing::info!(tenantName = %unique.tenant(), space = %space_label, deleted = result.deleted, failed = result.failed, not_found = keys.len() - ids.len().min(keys.len()), "deleted items the source no longer has");
}

fn count(metrics: &TenantMetrics, tally: &Tally, deleted: u64, failed: u64) {
    for _ in 0..deleted {
        metrics.content_deleted(Outcome::Success);
    }
    for _ in 0..failed {
        metrics.content_deleted(Outcome::Failure);
    }
    Tally::add(&tally.deleted, deleted);
    Tally::add(&tally.deletions_failed, failed);
}
