//! The per-item ingestion sequence (unique-api §6): register (G12), upload (U2), finalize (G12
//! with `fileUrl`), and on any failure after registration the rollback (G11 of the registered
//! id), so no registered item is ever left without its upload and finalize.

use crate::telemetry::Diagnostics;
use crate::unique::{Registration, UniqueClient, UniqueError, UploadBody};

/// Where an item failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("registration failed: {0}")]
    Register(#[source] UniqueError),
    #[error("upload failed: {0}")]
    Upload(#[source] UniqueError),
    #[error("finalize failed: {0}")]
    Finalize(#[source] UniqueError),
}

impl IngestError {
    /// The message with its causes.
    pub fn sentence(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self).and_then(std::error::Error::source);
        while let Some(inner) = cause {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            cause = inner.source();
        }
        text
    }
}

/// Registers, uploads `body` as `content_type`, finalizes. After a failed upload or finalize the
/// registered content is deleted again (a failed deletion is logged).
pub async fn ingest(
    unique: &UniqueClient,
    registration: &Registration,
    content_type: &str,
    body: UploadBody<'_>,
    diagnostics: Diagnostics,
) -> Result<(), IngestError> {
    let registered = unique
        .upsert_content(registration)
        .await
        .map_err(IngestError::Register)?;
    let outcome = match unique
        .upload(&registered.write_url, content_type, body)
        .await
    {
        Ok(()) => unique
            .finalize_content(registration, &registered.read_url)
            .await
            .map(drop)
            .map_err(IngestError::Finalize),
        Err(error) => Err(IngestError::Upload(error)),
    };
    if outcome.is_err() {
        roll_back(unique, &registered.id, &registration.key, diagnostics).await;
    }
    outcome
}

/// G11 of one registered id.
async fn roll_back(unique: &UniqueClient, id: &str, key: &str, diagnostics: Diagnostics) {
    let count = unique.delete_contents(&[id.to_owned()]).await;
    if count.deleted != 1 {
        tracing::error!(
            tenantName = %unique.tenant(), content_id = id, key = %diagnostics.masked(key),
            "deleting the registration of a failed item failed; it stays registered without its upload"
        );
    }
}

/// What every item of a cycle needs, shared by the concurrent item futures.
pub struct ItemEnv<'c> {
    pub ctx: &'c super::CycleContext,
    pub source: &'c super::SourceIdentity,
    pub tally: &'c super::summary::Tally,
}

impl ItemEnv<'_> {
    /// The G12 variables every item shares; the caller fills in the item's own fields.
    #[allow(clippy::too_many_arguments)]
    pub fn registration(
        &self,
        key: String,
        title: String,
        mime_type: String,
        url: String,
        byte_size: u64,
        metadata: serde_json::Value,
        ingestion_config: Option<serde_json::Value>,
        scope_id: String,
    ) -> Registration {
        Registration {
            key,
            title,
            mime_type,
            url,
            byte_size,
            metadata,
            ingestion_config,
            scope_id,
            source_kind: self.source.kind.clone(),
            confluence_base_url: self.source.name.clone(),
            store_internally: self.ctx.tenant.ingestion.store_internally,
        }
    }
}
