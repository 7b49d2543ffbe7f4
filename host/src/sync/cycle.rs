//! One cycle of an active tenant, step by step in the order of sync-flow §1, with the phase
//! gauge, the duration histogram and the end-of-cycle report.

use std::collections::HashSet;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::config::ImageInlining;
use crate::plugin_runtime::source;
use crate::telemetry::Phase;
use crate::unique::SourceKind;

use super::abort::CycleAbort;
use super::attachments::{AttachmentWork, ingest_attachments};
use super::discovery::{self, Discovery, session_settings};
use super::file_diff;
use super::guards::{self, GuardInput};
use super::ingest::ItemEnv;
use super::orphans;
use super::pages::{PageWork, ingest_pages};
use super::plan::SpacePlan;
use super::root_scope;
use super::space_scopes::{self, SpaceRef};
use super::summary::{CycleReport, Tally};
use super::{CycleContext, SourceIdentity, deletions, key_format_switch};

/// What discovery found, for the report.
#[derive(Default)]
struct Found {
    pages: u64,
    attachments: u64,
    spaces: u64,
    truncated: bool,
}

pub async fn run(ctx: &CycleContext, shutdown: &CancellationToken) -> CycleReport {
    let started = Instant::now();
    let tally = Tally::default();
    let mut found = Found::default();
    tracing::info!(tenantName = %ctx.tenant.name, plugin = %ctx.plugin.label(), "sync cycle started");
    let result = steps(ctx, shutdown, &tally, &mut found).await;
    ctx.metrics.set_phase(Phase::Idle);
    let report = CycleReport {
        tenant: ctx.tenant.name.as_str().to_owned(),
        summary: tally.summary(),
        duration: started.elapsed(),
        discovered_pages: found.pages,
        discovered_attachments: found.attachments,
        discovered_spaces: found.spaces,
        truncated: found.truncated,
        result: result.map_err(|abort| abort.sentence()),
    };
    ctx.metrics.observe_sync(report.outcome(), report.duration);
    report.log();
    report
}

async fn steps(
    ctx: &CycleContext,
    shutdown: &CancellationToken,
    tally: &Tally,
    found: &mut Found,
) -> Result<(), CycleAbort> {
    let tenant = ctx.tenant.name.as_str();
    let unique = &ctx.unique;

    // §3 and §4: the root, the source's identity, ownership, then discovery in the same task.
    ctx.metrics.set_phase(Phase::Scanning);
    let mut root = root_scope::load(unique, &ctx.tenant.ingestion.scope_id).await?;
    let settings = session_settings(&ctx.tenant);
    let mut task = ctx
        .runtime
        .start_task(&ctx.plugin, ctx.task_context.clone())
        .await
        .map_err(CycleAbort::plugin("starting the discovery task"))?;
    task.open(settings.clone())
        .await
        .map_err(CycleAbort::plugin("opening the session"))?;
    let identity = task
        .identify()
        .await
        .map_err(CycleAbort::plugin("identifying the source"))?;
    let source = source_identity(identity)?;
    root_scope::ensure_ownership(unique, &mut root, &source.instance_id, tenant).await?;

    let scan_started = Instant::now();
    let discovery = discovery::discover(
        &mut task,
        settings.attachments.as_ref(),
        ctx.diagnostics,
        tenant,
    )
    .await?;
    drop(task);
    ctx.metrics.observe_scan(scan_started.elapsed());
    ctx.metrics.set_discovered(
        discovery.page_count() as u64,
        discovery.attachment_count() as u64,
    );
    *found = Found {
        pages: discovery.page_count() as u64,
        attachments: discovery.attachment_count() as u64,
        spaces: discovery.spaces.len() as u64,
        truncated: discovery.truncated,
    };
    if discovery.truncated {
        tracing::warn!(tenantName = %tenant, pages = found.pages, attachments = found.attachments, "discovery stopped at maxItemsToScan: this cycle ingests what it found and deletes nothing");
    }
    if discovery.spaces.is_empty() {
        return empty_discovery(ctx, &root.scope.id).await;
    }

    // §5: one diff per space, each guarded, before anything is written.
    ctx.metrics.set_phase(Phase::Diffing);
    let mut plans = diff_spaces(ctx, &source, discovery, shutdown).await?;

    // §6: scopes of the spaces with something to store.
    let needing: Vec<SpaceRef<'_>> = plans
        .iter()
        .filter(|plan| plan.needs_scope())
        .map(|plan| SpaceRef {
            id: &plan.space.id,
            key: &plan.space.key,
        })
        .collect();
    let scope_ids =
        space_scopes::ensure(unique, &root.path, tenant, &needing, ctx.diagnostics).await?;
    for plan in &mut plans {
        plan.scope_id = scope_ids.get(&plan.space.id).cloned();
    }

    let env = ItemEnv {
        ctx,
        source: &source,
        tally,
    };
    // §7: pages.
    ctx.metrics.set_phase(Phase::IngestingPages);
    if !ingest_pages(&env, page_work(&plans), shutdown).await {
        return Err(CycleAbort::Shutdown {
            step: "finishing the pages",
        });
    }
    // §8: attachments, after every page.
    ctx.metrics.set_phase(Phase::IngestingAttachments);
    if !ingest_attachments(&env, attachment_work(&plans), shutdown).await {
        return Err(CycleAbort::Shutdown {
            step: "finishing the attachments",
        });
    }
    if shutdown.is_cancelled() {
        return Err(CycleAbort::Shutdown { step: "deletions" });
    }

    // §9: deletions; a partial discovery never deletes.
    ctx.metrics.set_phase(Phase::Deleting);
    if found.truncated {
        let skipped: usize = plans.iter().map(|plan| plan.diff.deleted_files.len()).sum();
        Tally::add(&tally.deletions_skipped, skipped as u64);
        if skipped > 0 {
            tracing::warn!(tenantName = %tenant, skipped, "deletions skipped because discovery was truncated");
        }
        return Ok(());
    }
    for plan in &plans {
        let space = ctx.diagnostics.mask(&plan.space.key);
        deletions::delete_space_items(
            unique,
            &ctx.metrics,
            tally,
            &plan.partial_key,
            &plan.diff.deleted_files,
            &space,
        )
        .await;
        key_format_switch::delete_other_format_copies(unique, &ctx.tenant, tally, plan, &space)
            .await;
    }

    // §10: orphaned space scopes.
    ctx.metrics.set_phase(Phase::CleaningUp);
    match unique.list_children(&root.scope.id).await {
        Ok(children) => {
            let keys: HashSet<&str> = plans.iter().map(|plan| plan.space.key.as_str()).collect();
            orphans::clean(
                unique,
                &ctx.tenant,
                &ctx.metrics,
                tally,
                &children,
                &keys,
                ctx.diagnostics,
            )
            .await;
        }
        Err(error) => {
            tracing::warn!(tenantName = %tenant, error = %error, "listing the root's children for the orphan cleanup failed; skipped this cycle");
        }
    }
    Ok(())
}

/// The plugin's identity mapped to Unique's source kinds.
fn source_identity(identity: source::SourceIdentity) -> Result<SourceIdentity, CycleAbort> {
    if identity.instance_id.trim().is_empty() {
        return Err(CycleAbort::EmptyInstanceId);
    }
    let kind = match identity.kind.as_str() {
        "ATLASSIAN_CONFLUENCE_CLOUD" => SourceKind::ConfluenceCloud,
        "ATLASSIAN_CONFLUENCE_ONPREM" => SourceKind::ConfluenceDataCenter,
        kind if kind.trim().is_empty() => {
            return Err(CycleAbort::UnknownSourceKind {
                kind: identity.kind,
            });
        }
        other => SourceKind::Other(other.to_owned()),
    };
    Ok(SourceIdentity {
        instance_id: identity.instance_id,
        kind,
        name: identity.name,
    })
}

/// Discovery found no space: fine for a fresh tenant, refused while the root still holds this
/// tenant's space scopes (an empty answer must never look like "delete everything").
async fn empty_discovery(ctx: &CycleContext, root_id: &str) -> Result<(), CycleAbort> {
    let tenant = ctx.tenant.name.as_str();
    let children = ctx
        .unique
        .list_children(root_id)
        .await
        .map_err(CycleAbort::unique(
            "listing the root's children after an empty discovery (G3)",
        ))?;
    let space_scopes = orphans::tenant_space_scopes(&children, tenant);
    if space_scopes > 0 {
        return Err(CycleAbort::EmptyDiscovery { space_scopes });
    }
    tracing::info!(tenantName = %tenant, "discovery found no content and the tenant has no space scopes; nothing to do");
    Ok(())
}

/// U1 and the guards for every space, in discovery order; any abort stops before any write.
async fn diff_spaces(
    ctx: &CycleContext,
    source: &SourceIdentity,
    discovery: Discovery,
    shutdown: &CancellationToken,
) -> Result<Vec<SpacePlan>, CycleAbort> {
    let truncated = discovery.truncated;
    let inlining = matches!(
        ctx.tenant.ingestion.image_inlining,
        ImageInlining::Enabled { .. }
    );
    let mut plans = Vec::with_capacity(discovery.spaces.len());
    for space in discovery.spaces {
        if shutdown.is_cancelled() {
            return Err(CycleAbort::Shutdown {
                step: "the file diff",
            });
        }
        let partial_key = ctx.tenant.partial_key(&space.id, &space.key);
        let list = file_diff::file_list(&space);
        let submitted: HashSet<String> = list.iter().map(|entry| entry.key.clone()).collect();
        let diff = file_diff::diff_space(
            &ctx.unique,
            &ctx.metrics,
            &partial_key,
            source.kind.clone(),
            &source.name,
            list,
        )
        .await?;
        if !truncated {
            let space_label = ctx.diagnostics.mask(&space.key);
            let input = GuardInput {
                space_label: &space_label,
                partial_key: &partial_key,
                submitted: &submitted,
                diff: &diff,
            };
            guards::check(&ctx.unique, input, ctx.tenant.name.as_str()).await?;
        }
        // A key that was just submitted is wanted: never delete it, whatever the diff says.
        let mut diff = diff;
        let reported = diff.deleted_files.len();
        diff.deleted_files.retain(|key| !submitted.contains(key));
        if diff.deleted_files.len() < reported {
            tracing::warn!(
                tenantName = %ctx.tenant.name,
                space = %ctx.diagnostics.masked(&space.key),
                ignored = reported - diff.deleted_files.len(),
                "the file diff reported submitted items as deleted; they are kept"
            );
        }
        let mut plan = SpacePlan {
            space,
            partial_key,
            diff,
            scope_id: None,
            reingest: Vec::new(),
        };
        if inlining && !truncated {
            plan.reingest = plan.pages_losing_attachments();
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// New, updated and re-ingested pages of every space with a scope.
fn page_work(plans: &[SpacePlan]) -> Vec<PageWork> {
    let mut work = Vec::new();
    for plan in plans {
        let Some(scope_id) = &plan.scope_id else {
            continue;
        };
        work.extend(plan.changed_pages().into_iter().map(|page| PageWork {
            id: page.id.clone(),
            partial_key: plan.partial_key.clone(),
            scope_id: scope_id.clone(),
            is_new: plan.is_new(&page.id),
        }));
    }
    work
}

fn attachment_work(plans: &[SpacePlan]) -> Vec<AttachmentWork> {
    let mut work = Vec::new();
    for plan in plans {
        for attachment in plan.changed_attachments() {
            let relative = super::keys::attachment_key(&attachment.page_id, &attachment.id);
            work.push(AttachmentWork {
                attachment: attachment.clone(),
                partial_key: plan.partial_key.clone(),
                // A zero-byte attachment may have no scope; it is skipped before registration.
                scope_id: plan.scope_id.clone().unwrap_or_default(),
                space_key: plan.space.key.clone(),
                space_name: plan.space.name.clone(),
                is_new: plan.is_new(&relative),
            });
        }
    }
    work
}
