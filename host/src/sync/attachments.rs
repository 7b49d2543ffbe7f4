//! Attachments (sync-flow §8): after all pages, each new or updated attachment is registered,
//! its download streamed straight into the upload (never buffered whole) with the byte count
//! checked against the reported size, and finalized; a retry of the upload opens a new download.

use super::bounded::run_bounded;
use std::time::Instant;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::egress::{EgressRequest, SourceEgress};
use crate::plugin_runtime::source::Attachment;
use crate::telemetry::Outcome;
use crate::unique::{BoxError, StreamedBody, UploadBody};

use super::discovery::normalised_mime;
use super::ingest::{ItemEnv, ingest};
use super::keys::{attachment_key, full_key};
use super::summary::Tally;

/// `ingestionConfig` of JPEG and PNG attachments when `imageOcr` is enabled.
const JPG_READ_MODE: &str = "DOC_INTELLIGENCE_DEFAULT";

/// One attachment to ingest.
pub struct AttachmentWork {
    pub attachment: Attachment,
    pub partial_key: String,
    pub scope_id: String,
    pub space_key: String,
    pub space_name: String,
    pub is_new: bool,
}

/// Why a download could not be streamed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("download of {url} failed: {source}")]
    Egress {
        url: String,
        #[source]
        source: crate::egress::EgressError,
    },
    #[error("download of {url} answered status {status}")]
    Status { url: String, status: u16 },
    #[error(
        "download of {url} announces {announced} bytes, but the attachment's size is {expected}"
    )]
    LengthMismatch {
        url: String,
        announced: u64,
        expected: u64,
    },
}

/// Ingests `work` with up to `processing.concurrency` in flight; stops starting new ones once
/// `shutdown` is cancelled. Returns whether every attachment was attempted.
pub async fn ingest_attachments(
    env: &ItemEnv<'_>,
    work: Vec<AttachmentWork>,
    shutdown: &CancellationToken,
) -> bool {
    let concurrency = env.ctx.tenant.processing.concurrency.get() as usize;
    let total = work.len();
    let started = run_bounded(
        work.iter().map(|item| ingest_attachment(env, item)),
        concurrency,
        shutdown,
    )
    .await;
    started == total
}

async fn ingest_attachment(env: &ItemEnv<'_>, work: &AttachmentWork) {
    let ctx = env.ctx;
    let attachment = &work.attachment;
    let relative = attachment_key(&attachment.page_id, &attachment.id);
    let masked = ctx.diagnostics.masked(&relative);
    if attachment.size == 0 {
        Tally::add(&env.tally.attachments_skipped, 1);
        tracing::info!(tenantName = %ctx.tenant.name, attachment = %masked, "zero-byte attachment skipped");
        return;
    }
    let registration = env.registration(
        full_key(&work.partial_key, &relative),
        attachment.title.clone(),
        attachment.media_type.clone(),
        attachment.url.clone(),
        attachment.size,
        json!({"spaceKey": work.space_key, "spaceName": work.space_name}),
        ingestion_config(env, &attachment.media_type),
        work.scope_id.clone(),
    );
    let egress = ctx.egress.clone();
    let body = UploadBody::streamed(move || open_download(egress.clone(), attachment));
    let started = Instant::now();
    let result = ingest(
        &ctx.unique,
        &registration,
        &attachment.media_type,
        body,
        ctx.diagnostics,
    )
    .await;
    match result {
        Ok(()) => {
            ctx.metrics.observe_attachment_upload(started.elapsed());
            ctx.metrics.attachment_processed(Outcome::Success);
            Tally::add(
                if work.is_new {
                    &env.tally.attachments_new
                } else {
                    &env.tally.attachments_updated
                },
                1,
            );
            tracing::debug!(tenantName = %ctx.tenant.name, attachment = %masked, bytes = attachment.size, "attachment ingested");
        }
        Err(error) => {
            ctx.metrics.attachment_processed(Outcome::Failure);
            Tally::add(&env.tally.attachments_failed, 1);
            tracing::warn!(tenantName = %ctx.tenant.name, attachment = %masked, reason = %error.sentence(), "attachment failed");
        }
    }
}

/// `{"jpgReadMode": …}` iff `imageOcr` is on and the file is a JPEG or PNG.
fn ingestion_config(env: &ItemEnv<'_>, media_type: &str) -> Option<serde_json::Value> {
    let ocr = env
        .ctx
        .tenant
        .ingestion
        .attachments
        .as_ref()
        .is_some_and(|settings| settings.image_ocr);
    let mime = normalised_mime(media_type);
    (ocr && (mime == "image/jpeg" || mime == "image/png"))
        .then(|| json!({"jpgReadMode": JPG_READ_MODE}))
}

/// Opens the download for one upload attempt: a 2xx answer whose `Content-Length`, when
/// present, equals the reported size; the body is handed over as a stream of that length.
async fn open_download(
    egress: std::sync::Arc<SourceEgress>,
    attachment: &Attachment,
) -> Result<StreamedBody, BoxError> {
    let url = attachment.download.url.clone();
    let bare = url::Url::parse(&url)
        .map(|parsed| crate::egress::without_query(&parsed))
        .unwrap_or_else(|_| url.clone());
    let mut request = EgressRequest::get(url);
    request.headers = attachment.download.headers.clone();
    let response = egress
        .open(request)
        .await
        .map_err(|source| DownloadError::Egress {
            url: bare.clone(),
            source,
        })?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(DownloadError::Status { url: bare, status }.into());
    }
    if let Some(announced) = response.content_length()
        && announced != attachment.size
    {
        return Err(DownloadError::LengthMismatch {
            url: bare,
            announced,
            expected: attachment.size,
        }
        .into());
    }
    Ok(StreamedBody::new(response.bytes_stream(), attachment.size))
}
