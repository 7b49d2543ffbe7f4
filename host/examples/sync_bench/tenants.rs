//! Tenant files pointing at the simulators: a Cloud tenant with cluster-local Unique auth, rate
//! limits high enough never to throttle, and the attachment filters of the run.

use std::path::Path;

use super::simulators::{SimError, SimProcess};

/// MIME types of every generated attachment kind plus the 1 GiB file's.
const ALL_GENERATED_MIME_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
    "video/mp4",
    "application/json",
    "application/octet-stream",
];
/// Above the 1 GiB attachment.
const MAX_FILE_SIZE_MB: u64 = 2048;
/// High enough that the connector's limiters never wait in the benchmark.
const RATE_LIMIT_PER_MINUTE: u64 = 10_000_000;

/// One tenant of the run.
pub struct TenantSpec<'a> {
    pub name: &'a str,
    pub cloud_id: &'a str,
    pub scope_id: &'a str,
    pub concurrency: u32,
}

/// Why a tenant file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `<dir>/<name>-tenant-config.yaml`.
pub fn write(dir: &Path, sim: &SimProcess, tenant: &TenantSpec<'_>) -> Result<(), TenantError> {
    let site = sim
        .urls
        .pointer(&format!("/cloudSites/{}", tenant.cloud_id))
        .ok_or(SimError::MissingUrl("/cloudSites/<cloud id>"))?;
    let site_url = |key: &'static str| {
        site[key]
            .as_str()
            .map(str::to_owned)
            .ok_or(SimError::MissingUrl(key))
    };
    let mime_types = ALL_GENERATED_MIME_TYPES
        .iter()
        .map(|mime| format!("\"{mime}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"confluence:
  instanceType: cloud
  baseUrl: {site_base}
  cloudId: {cloud_id}
  apiBaseUrl: {api_base}
  mediaBaseUrl: {media}
  apiRateLimitPerMinute: {RATE_LIMIT_PER_MINUTE}
  ingestSingleLabel: ai-ingest
  ingestAllLabel: ai-ingest-all
  auth:
    mode: oauth_2lo
    clientId: sim-client
    clientSecret: sim-secret
    tokenUrl: {token_url}
unique:
  serviceAuthMode: cluster_local
  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: bench-user }}
  ingestionServiceBaseUrl: {ingestion}
  scopeManagementServiceBaseUrl: {scope_management}
  apiRateLimitPerMinute: {RATE_LIMIT_PER_MINUTE}
processing:
  concurrency: {concurrency}
ingestion:
  scopeId: {scope_id}
  attachments:
    allowedMimeTypes: [{mime_types}]
    maxFileSizeMb: {MAX_FILE_SIZE_MB}
"#,
        site_base = site_url("siteBase")?,
        api_base = site_url("apiBase")?,
        cloud_id = tenant.cloud_id,
        media = sim.url("/cloudMediaOrigin")?,
        token_url = sim.url("/cloudTokenUrl")?,
        ingestion = sim.url("/unique/ingestionBase")?,
        scope_management = sim.url("/unique/scopeManagementBase")?,
        concurrency = tenant.concurrency,
        scope_id = tenant.scope_id,
    );
    let path = dir.join(format!("{}-tenant-config.yaml", tenant.name));
    std::fs::write(&path, text).map_err(|source| TenantError::Write {
        path: path.display().to_string(),
        source,
    })
}
