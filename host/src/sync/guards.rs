//! The safety guards of the file diff (sync-flow §5 step 4): an empty submission never deletes,
//! and a diff that would delete every stored item of a space is refused unless new, different
//! items replace them.

use std::collections::HashSet;

use crate::unique::{FileDiff, UniqueClient};

use super::abort::CycleAbort;

/// What the guard needs to know about one space's diff.
pub struct GuardInput<'a> {
    /// The space, as it may appear in logs (masked per the diagnostics policy).
    pub space_label: &'a str,
    pub partial_key: &'a str,
    /// How many entries the `fileList` had.
    pub submitted: &'a HashSet<String>,
    pub diff: &'a FileDiff,
}

/// Checks both guards; G9 is called only when the diff deletes something.
pub async fn check(
    unique: &UniqueClient,
    input: GuardInput<'_>,
    tenant: &str,
) -> Result<(), CycleAbort> {
    let deleted = input.diff.deleted_files.len();
    if deleted == 0 {
        return Ok(());
    }
    if input.submitted.is_empty() {
        let abort = CycleAbort::ZeroSubmissionGuard {
            space: input.space_label.to_owned(),
            deleted,
        };
        tracing::error!(tenantName = %tenant, space = %input.space_label, guard = "zero-submission", deleted, submitted = 0, "{abort}");
        return Err(abort);
    }
    let stored = unique
        .count_by_key_prefix(input.partial_key)
        .await
        .map_err(CycleAbort::unique(
            "counting stored content for the full-deletion guard (G9)",
        ))?;
    if (deleted as u64) < stored {
        return Ok(());
    }
    let new = input.diff.new_files.len();
    let resubmitted = input
        .diff
        .deleted_files
        .iter()
        .any(|key| input.submitted.contains(key));
    if new == 0 || resubmitted {
        let abort = CycleAbort::FullDeletionGuard {
            space: input.space_label.to_owned(),
            deleted,
            stored,
            new,
        };
        tracing::error!(tenantName = %tenant, space = %input.space_label, guard = "full-deletion", deleted, stored, new, resubmitted, "{abort}");
        return Err(abort);
    }
    tracing::warn!(
        tenantName = %tenant, space = %input.space_label, guard = "full-deletion", deleted, stored, new,
        "every stored item of the space is replaced by new, different items; continuing"
    );
    Ok(())
}
