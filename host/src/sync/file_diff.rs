//! The file diff per space (sync-flow §5 steps 1–3): the `fileList` of relative keys, one U1
//! call per space in discovery order, and the diff counts.

use crate::unique::{FileDiff, FileDiffEntry, FileDiffRequest, SourceKind, UniqueClient};

use super::abort::CycleAbort;
use super::discovery::DiscoveredSpace;
use super::keys::attachment_key;
use crate::telemetry::TenantMetrics;

/// The relative-key list of a space: every page, then every kept attachment.
pub fn file_list(space: &DiscoveredSpace) -> Vec<FileDiffEntry> {
    let pages = space.pages.iter().map(|page| FileDiffEntry {
        key: page.id.clone(),
        url: page.url.clone(),
        updated_at: page.updated_at.clone(),
    });
    let attachments = space.attachments.iter().map(|attachment| FileDiffEntry {
        key: attachment_key(&attachment.page_id, &attachment.id),
        url: attachment.url.clone(),
        updated_at: attachment.updated_at.clone(),
    });
    pages.chain(attachments).collect()
}

/// U1 for one space; counts the answer into `cfc_file_diff_events_total`.
pub async fn diff_space(
    unique: &UniqueClient,
    metrics: &TenantMetrics,
    partial_key: &str,
    source_kind: SourceKind,
    source_name: &str,
    file_list: Vec<FileDiffEntry>,
) -> Result<FileDiff, CycleAbort> {
    let request = FileDiffRequest {
        partial_key: partial_key.to_owned(),
        source_kind,
        source_name: source_name.to_owned(),
        file_list,
    };
    let diff = unique
        .file_diff(&request)
        .await
        .map_err(CycleAbort::unique("computing the file diff (U1)"))?;
    metrics.file_diff_events(
        diff.new_files.len() as u64,
        diff.updated_files.len() as u64,
        diff.deleted_files.len() as u64,
        diff.moved_files.len() as u64,
    );
    Ok(diff)
}
