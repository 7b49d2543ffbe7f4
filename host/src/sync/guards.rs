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

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::auth::UniqueAuth;
    use crate::unique::{UniqueClientSettings, UniqueMetrics};

    /// A client whose every call fails (nothing listens on the discard port): a guard that
    /// decides without calling Unique is the only way these tests pass.
    fn unreachable_client() -> UniqueClient {
        let url = url::Url::parse("http://127.0.0.1:9").expect("url");
        let settings = UniqueClientSettings {
            tenant: "acme".into(),
            ingestion_base_url: url.clone(),
            scope_management_base_url: url,
            auth: UniqueAuth::cluster_local(Vec::new()).expect("no headers"),
            rate_per_minute: NonZeroU32::MIN.saturating_add(999),
            http: reqwest::Client::new(),
        };
        UniqueClient::new(
            settings,
            &UniqueMetrics::register(&prometheus::Registry::new()).expect("metrics"),
        )
        .expect("client")
    }

    fn diff(new: &[&str], deleted: &[&str]) -> FileDiff {
        FileDiff {
            new_files: new.iter().map(|key| (*key).to_owned()).collect(),
            deleted_files: deleted.iter().map(|key| (*key).to_owned()).collect(),
            ..FileDiff::default()
        }
    }

    #[tokio::test]
    async fn an_empty_submission_that_would_delete_aborts_without_asking_unique() {
        let client = unreachable_client();
        let submitted = HashSet::new();
        let diff = diff(&[], &["1", "2"]);
        let input = GuardInput {
            space_label: "ENG",
            partial_key: "acme/1_ENG",
            submitted: &submitted,
            diff: &diff,
        };
        let outcome = check(&client, input, "acme").await;
        assert!(
            matches!(
                outcome,
                Err(CycleAbort::ZeroSubmissionGuard { deleted: 2, .. })
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_diff_without_deletions_passes_without_asking_unique() {
        let client = unreachable_client();
        let submitted = HashSet::new();
        let diff = diff(&["1"], &[]);
        let input = GuardInput {
            space_label: "ENG",
            partial_key: "acme/1_ENG",
            submitted: &submitted,
            diff: &diff,
        };
        assert!(check(&client, input, "acme").await.is_ok());
    }
}
