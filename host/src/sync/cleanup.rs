//! Deleted-tenant cleanup (sync-flow §11): no source calls, no ownership check. Every child of
//! the root loses its content (G10 + G11) and is deleted recursively (G6); only after a run with
//! zero failures is the root's mark cleared with an explicit null (G5), which later runs read as
//! "already clean" and skip without writing.

use std::time::Instant;

use crate::telemetry::Outcome;
use crate::unique::Recursive;

use super::CleanupContext;
use super::summary::CleanupReport;

/// Runs the cleanup of a deleted tenant; records its duration and counts.
pub async fn run(ctx: &CleanupContext) -> CleanupReport {
    let started = Instant::now();
    let tenant = ctx.tenant.name.as_str().to_owned();
    let mut report = CleanupReport {
        tenant: tenant.clone(),
        duration: Default::default(),
        contents_deleted: 0,
        contents_failed: 0,
        scopes_deleted: 0,
        scopes_failed: 0,
        already_clean: false,
        completed: false,
        result: Ok(()),
    };
    report.result = clean(ctx, &mut report).await;
    report.duration = started.elapsed();
    ctx.metrics
        .observe_cleanup(report.outcome(), report.duration);
    report.log();
    report
}

async fn clean(ctx: &CleanupContext, report: &mut CleanupReport) -> Result<(), String> {
    let unique = &ctx.unique;
    let root_id = &ctx.tenant.ingestion.scope_id;
    let root = unique
        .scope_by_id(root_id)
        .await
        .map_err(|error| format!("loading the root scope {root_id} (G3) failed: {error}"))?;
    let Some(root) = root else {
        tracing::info!(tenantName = %report.tenant, root = %root_id, "the root scope does not exist; nothing to clean");
        report.already_clean = true;
        return Ok(());
    };
    if root.external_id.is_none() {
        report.already_clean = true;
        return Ok(());
    }
    let children = unique.list_children(&root.id).await.map_err(|error| {
        format!("listing the children of the root scope {root_id} (G3) failed: {error}")
    })?;
    for child in &children {
        match unique.content_ids_by_owner(&child.id).await {
            Ok(ids) => {
                let count = unique.delete_contents(&ids).await;
                report.contents_deleted += count.deleted as u64;
                report.contents_failed += count.failed as u64;
                for (n, outcome) in [
                    (count.deleted, Outcome::Success),
                    (count.failed, Outcome::Failure),
                ] {
                    for _ in 0..n {
                        ctx.metrics.cleanup_content_deleted(outcome);
                    }
                }
            }
            Err(error) => {
                report.contents_failed += 1;
                ctx.metrics.cleanup_content_deleted(Outcome::Failure);
                tracing::warn!(tenantName = %report.tenant, scope = %child.id, error = %error, "listing the content of a child scope failed");
            }
        }
    }
    for child in &children {
        match unique.delete_folder(&child.id, Recursive::Yes).await {
            Ok(()) => {
                report.scopes_deleted += 1;
                ctx.metrics.cleanup_scope_deleted(Outcome::Success);
            }
            Err(error) => {
                report.scopes_failed += 1;
                ctx.metrics.cleanup_scope_deleted(Outcome::Failure);
                tracing::warn!(tenantName = %report.tenant, scope = %child.id, error = %error, "deleting a child scope failed");
            }
        }
    }
    if report.contents_failed + report.scopes_failed > 0 {
        return Err(format!(
            "{} content deletion(s) and {} scope deletion(s) failed; the root keeps its mark and the next run retries",
            report.contents_failed, report.scopes_failed
        ));
    }
    unique
        .set_external_id(&root.id, None)
        .await
        .map_err(|error| format!("clearing the root scope's mark (G5) failed: {error}"))?;
    report.completed = true;
    Ok(())
}
