//! Pages (sync-flow §7): bodies fetched through the plugin in batches of up to 100 ids, each
//! batch in a fresh task; a missing page or an empty body is skipped; the rest is registered,
//! uploaded and finalized with up to `processing.concurrency` pages in flight.

use super::bounded::run_bounded;
use bytes::Bytes;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::SourceConfig;
use crate::plugin_runtime::MAX_FETCH_IDS;
use crate::plugin_runtime::source::{FetchOutcome, PageContent};
use crate::telemetry::PageOutcome;
use crate::unique::UploadBody;

use super::discovery::session_settings;
use super::ingest::{ItemEnv, ingest};
use super::keys::full_key;
use super::summary::Tally;

/// MIME type of a page body when the plugin names none.
const DEFAULT_PAGE_MIME_TYPE: &str = "text/html";

/// One page to ingest.
pub struct PageWork {
    pub id: String,
    pub partial_key: String,
    pub scope_id: String,
    pub is_new: bool,
}

/// Ingests `work` in order; stops starting new pages once `shutdown` is cancelled. Returns
/// whether every page was attempted.
pub async fn ingest_pages(
    env: &ItemEnv<'_>,
    work: Vec<PageWork>,
    shutdown: &CancellationToken,
) -> bool {
    let concurrency = env.ctx.tenant.processing.concurrency.get() as usize;
    for batch in work.chunks(MAX_FETCH_IDS) {
        if shutdown.is_cancelled() {
            return false;
        }
        let fetched = fetch(env, batch).await;
        let tasks = batch
            .iter()
            .zip(fetched)
            .map(|(page, outcome)| ingest_page(env, page, outcome));
        let started = run_bounded(tasks, concurrency, shutdown).await;
        if started < batch.len() {
            return false;
        }
    }
    true
}

/// The fetch outcome of each page of `batch`, in order. A failed task skips the whole batch.
async fn fetch(env: &ItemEnv<'_>, batch: &[PageWork]) -> Vec<Option<FetchOutcome>> {
    let ids: Vec<String> = batch.iter().map(|page| page.id.clone()).collect();
    let ctx = env.ctx;
    let fetched = async {
        let mut task = ctx
            .runtime
            .start_task(&ctx.plugin, ctx.task_context.clone())
            .await?;
        task.open(session_settings(&ctx.tenant)).await?;
        task.fetch_pages(ids).await
    }
    .await;
    match fetched {
        Ok(pages) => pages.into_iter().map(|page| Some(page.outcome)).collect(),
        Err(error) => {
            tracing::warn!(tenantName = %ctx.tenant.name, pages = batch.len(), error = %error, "fetching a batch of page bodies failed; its pages are skipped");
            batch.iter().map(|_| None).collect()
        }
    }
}

async fn ingest_page(env: &ItemEnv<'_>, page: &PageWork, outcome: Option<FetchOutcome>) {
    let ctx = env.ctx;
    let masked_id = ctx.diagnostics.masked(&page.id);
    let content = match outcome {
        Some(FetchOutcome::Found(content)) if !content.body.is_empty() => content,
        Some(FetchOutcome::Found(_)) => return skipped(env, &page.id, "the page has no body"),
        Some(FetchOutcome::Missing(reason)) => {
            return skipped(env, &page.id, &format!("possibly deleted: {reason}"));
        }
        None => return skipped(env, &page.id, "possibly deleted: the fetch failed"),
    };
    let mime_type = if content.mime_type.is_empty() {
        DEFAULT_PAGE_MIME_TYPE.to_owned()
    } else {
        content.mime_type.clone()
    };
    let registration = env.registration(
        full_key(&page.partial_key, &page.id),
        content.title.clone(),
        mime_type.clone(),
        content.url.clone(),
        content.body.len() as u64,
        metadata(env, &content),
        ctx.tenant.ingestion.page_ingestion_config.clone(),
        page.scope_id.clone(),
    );
    let body = UploadBody::Bytes(Bytes::from(content.body));
    match ingest(
        &ctx.unique,
        &registration,
        &mime_type,
        body,
        ctx.diagnostics,
    )
    .await
    {
        Ok(()) => {
            ctx.metrics.page_processed(PageOutcome::Success);
            Tally::add(
                if page.is_new {
                    &env.tally.pages_new
                } else {
                    &env.tally.pages_updated
                },
                1,
            );
            tracing::debug!(tenantName = %ctx.tenant.name, page = %masked_id, "page ingested");
        }
        Err(error) => {
            ctx.metrics.page_processed(PageOutcome::Failure);
            Tally::add(&env.tally.pages_failed, 1);
            tracing::warn!(tenantName = %ctx.tenant.name, page = %masked_id, reason = %error.sentence(), "page failed");
        }
    }
}

fn skipped(env: &ItemEnv<'_>, id: &str, reason: &str) {
    let ctx = env.ctx;
    ctx.metrics.page_processed(PageOutcome::Skipped);
    Tally::add(&env.tally.pages_skipped, 1);
    tracing::warn!(tenantName = %ctx.tenant.name, page = %ctx.diagnostics.masked(id), reason = %reason, "page skipped");
}

/// `{"confluenceLabels": [...], "spaceKey", "spaceName"}`: labels sorted, without the ingest
/// labels (the plugin leaves them out already; a Confluence tenant's are removed here too).
fn metadata(env: &ItemEnv<'_>, content: &PageContent) -> serde_json::Value {
    let ingest_labels: Vec<&str> = match &env.ctx.tenant.source {
        SourceConfig::Confluence(confluence) => vec![
            &confluence.ingest_single_label,
            &confluence.ingest_all_label,
        ],
        SourceConfig::Plugin(_) => Vec::new(),
    };
    let mut labels: Vec<&str> = content
        .labels
        .iter()
        .map(String::as_str)
        .filter(|label| !ingest_labels.contains(label))
        .collect();
    labels.sort_unstable();
    labels.dedup();
    json!({
        "confluenceLabels": labels,
        "spaceKey": content.container.key,
        "spaceName": content.container.name,
    })
}
