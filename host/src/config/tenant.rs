//! Checked tenant configuration: what a valid tenant file means, with defaults applied and
//! secrets resolved. Values of these types exist only after validation, so code past the loader
//! never re-checks them; `Debug` of a whole [`Tenant`] is safe to log (secrets print
//! `[redacted]`).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;

use serde_json::{Map, Value as Json, json};

use super::http_url::HttpUrl;
use super::names::{PluginId, TenantName};
use super::schedule::CronSchedule;
use crate::secret::Secret;

/// One tenant: a source (a Confluence instance or a third-party plugin's source) paired with a
/// Unique root scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Tenant {
    pub name: TenantName,
    /// The file the tenant was read from.
    pub file: PathBuf,
    pub status: TenantStatus,
    pub source: SourceConfig,
    pub unique: UniqueConfig,
    pub processing: ProcessingSettings,
    pub ingestion: IngestionSettings,
}

/// What the connector does with a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantStatus {
    /// Synced on schedule.
    Active,
    /// Validated, then ignored.
    Inactive,
    /// Only the Unique cleanup runs; the source is never called.
    Deleted,
}

impl TenantStatus {
    /// The status as written in tenant files, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Deleted => "deleted",
        }
    }
}

/// Where a tenant's content comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceConfig {
    /// The `confluence` section, served by a first-party Confluence plugin (or a plugin named
    /// by `source.plugin` that reads the same section).
    Confluence(ConfluenceSource),
    /// A third-party plugin configured by `source` alone.
    Plugin(PluginSource),
}

/// A Confluence instance (the `confluence` section).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfluenceSource {
    pub plugin: PluginId,
    pub instance: ConfluenceInstance,
    /// Cloud: the site URL (web links only). Data Center: the API base, maybe with a context
    /// path. Never ends with `/`.
    pub base_url: HttpUrl,
    pub api_rate_limit_per_minute: NonZeroU32,
    pub ingest_single_label: String,
    pub ingest_all_label: String,
    pub auth: SourceAuth,
}

/// Cloud or Data Center, with what only that kind has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfluenceInstance {
    Cloud {
        cloud_id: String,
        /// The API gateway, `https://api.atlassian.com/ex/confluence/{cloudId}` unless
        /// overridden by `confluence.apiBaseUrl`.
        api_base_url: HttpUrl,
        /// The origin attachment downloads redirect to, `https://api.media.atlassian.com`
        /// unless overridden by `confluence.mediaBaseUrl`.
        media_base_url: HttpUrl,
    },
    DataCenter,
}

/// The credentials the host attaches to a tenant's source requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceAuth {
    /// `oauth_2lo`: a bearer token from an OAuth 2.0 client-credentials request.
    OAuth2ClientCredentials {
        client_id: String,
        client_secret: Secret,
        token_url: HttpUrl,
    },
    /// `pat`: a static bearer token.
    PersonalAccessToken { token: Secret },
    /// `basic`: static HTTP Basic credentials.
    Basic { username: Secret, password: Secret },
}

impl SourceAuth {
    /// The mode's name as written in tenant files.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Self::OAuth2ClientCredentials { .. } => "oauth_2lo",
            Self::PersonalAccessToken { .. } => "pat",
            Self::Basic { .. } => "basic",
        }
    }
}

/// A third-party plugin's source (the `source` section without `confluence`).
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSource {
    pub plugin: PluginId,
    /// `source.config`, handed to the plugin as JSON.
    pub config: Map<String, Json>,
    /// `source.auth`; `None` when the source needs no credentials.
    pub auth: Option<SourceAuth>,
    pub api_rate_limit_per_minute: NonZeroU32,
}

/// How the connector reaches the Unique platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UniqueConfig {
    pub auth: UniqueAuth,
    /// Never ends with `/`.
    pub ingestion_service_base_url: HttpUrl,
    /// Never ends with `/`.
    pub scope_management_service_base_url: HttpUrl,
    pub api_rate_limit_per_minute: NonZeroU32,
}

/// `unique.serviceAuthMode` and its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UniqueAuth {
    /// In-cluster calls identified by headers; contains at least `x-company-id` and `x-user-id`.
    ClusterLocal {
        extra_headers: BTreeMap<String, String>,
    },
    /// Calls with a Zitadel client-credentials token.
    External {
        /// As configured; its query string is dropped when calling.
        token_url: HttpUrl,
        project_id: Secret,
        client_id: String,
        client_secret: Secret,
    },
}

/// Scheduling and limits of a tenant's cycles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessingSettings {
    /// Items in flight per tenant.
    pub concurrency: NonZeroU32,
    pub schedule: CronSchedule,
    /// Stop discovery after this many items; for tests and trials.
    pub max_items_to_scan: Option<NonZeroU32>,
}

/// How content is written into Unique.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestionSettings {
    /// The existing root scope.
    pub scope_id: String,
    pub store_internally: bool,
    pub key_format: KeyFormat,
    /// `None` when `ingestion.attachments.mode` is `disabled`.
    pub attachments: Option<AttachmentSettings>,
    /// Sent verbatim as the pages' `ingestionConfig`.
    pub page_ingestion_config: Option<Json>,
    pub image_inlining: ImageInlining,
}

/// The content key format (`ingestion.useV1KeyFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// `{spaceId}_{spaceKey}`: keys without the tenant name.
    V1,
    /// `{tenant}/{spaceId}_{spaceKey}` (the default).
    V2,
}

/// Which attachments are ingested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentSettings {
    /// Lower-case MIME types.
    pub allowed_mime_types: Vec<String>,
    /// Largest file ingested, inclusive (`maxFileSizeMb` × 1 048 576).
    pub max_file_size_bytes: u64,
    pub image_ocr: bool,
}

/// Whether page images are inlined into page bodies, derived from `pageIngestionConfig`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageInlining {
    Disabled,
    /// `htmlConfig.imageContentExtraction.enabled` is `true` with a non-blank `languageModel`.
    Enabled {
        language_model: String,
    },
}

impl Tenant {
    /// The plugin that serves this tenant's source.
    pub fn plugin_id(&self) -> &PluginId {
        match &self.source {
            SourceConfig::Confluence(confluence) => &confluence.plugin,
            SourceConfig::Plugin(plugin) => &plugin.plugin,
        }
    }

    /// The credentials for the tenant's source, if it has any.
    pub fn source_auth(&self) -> Option<&SourceAuth> {
        match &self.source {
            SourceConfig::Confluence(confluence) => Some(&confluence.auth),
            SourceConfig::Plugin(plugin) => plugin.auth.as_ref(),
        }
    }

    /// The rate limit of requests to the tenant's source, per minute.
    pub fn source_rate_limit_per_minute(&self) -> NonZeroU32 {
        match &self.source {
            SourceConfig::Confluence(confluence) => confluence.api_rate_limit_per_minute,
            SourceConfig::Plugin(plugin) => plugin.api_rate_limit_per_minute,
        }
    }

    /// The plugin's config section as a JSON object. Confluence tenants: the `confluence`
    /// section without `auth` and `apiRateLimitPerMinute`, with defaults applied (`apiBaseUrl`
    /// and `mediaBaseUrl` on Cloud). Plugin tenants: `source.config`. Contains no secrets.
    pub fn plugin_config_json(&self) -> Json {
        match &self.source {
            SourceConfig::Confluence(confluence) => Json::Object(confluence.plugin_config()),
            SourceConfig::Plugin(plugin) => Json::Object(plugin.config.clone()),
        }
    }

    /// The values plugin manifests resolve origin templates against, e.g.
    /// `{confluence.apiBaseUrl}` or `{source.config.baseUrl}`:
    /// `{"confluence": {..plugin config.., "auth": {"mode", "tokenUrl"}}, "source": {"plugin",
    /// "config", "auth"}}`. `confluence` is present for Confluence tenants only; `source.config`
    /// is always the plugin config. Contains no secrets.
    pub fn template_context(&self) -> Json {
        let auth = self.source_auth().map(auth_template_context);
        let mut source = Map::new();
        source.insert("plugin".to_owned(), json!(self.plugin_id().as_str()));
        source.insert("config".to_owned(), self.plugin_config_json());
        if let Some(auth) = &auth {
            source.insert("auth".to_owned(), auth.clone());
        }
        let mut context = Map::new();
        context.insert("source".to_owned(), Json::Object(source));
        if let SourceConfig::Confluence(confluence) = &self.source {
            let mut section = confluence.plugin_config();
            if let Some(auth) = auth {
                section.insert("auth".to_owned(), auth);
            }
            context.insert("confluence".to_owned(), Json::Object(section));
        }
        Json::Object(context)
    }

    /// The identity of the tenant's Confluence instance, `cloud:{cloudId}` or
    /// `data-center:{baseUrl}`; at most one active tenant may use each. `None` for plugin
    /// tenants, whose instance identity only their plugin knows.
    pub fn confluence_instance_key(&self) -> Option<String> {
        let SourceConfig::Confluence(confluence) = &self.source else {
            return None;
        };
        Some(match &confluence.instance {
            ConfluenceInstance::Cloud { cloud_id, .. } => format!("cloud:{cloud_id}"),
            ConfluenceInstance::DataCenter => format!("data-center:{}", confluence.base_url),
        })
    }

    /// The key prefix of one space's content in Unique: `{tenant}/{spaceId}_{spaceKey}`, or
    /// `{spaceId}_{spaceKey}` in the v1 key format.
    pub fn partial_key(&self, space_id: &str, space_key: &str) -> String {
        match self.ingestion.key_format {
            KeyFormat::V2 => format!("{}/{space_id}_{space_key}", self.name),
            KeyFormat::V1 => format!("{space_id}_{space_key}"),
        }
    }
}

impl ConfluenceSource {
    /// The section as the Confluence plugins read it (no credentials, no rate limit).
    fn plugin_config(&self) -> Map<String, Json> {
        let mut config = Map::new();
        let instance_type = match self.instance {
            ConfluenceInstance::Cloud { .. } => "cloud",
            ConfluenceInstance::DataCenter => "data-center",
        };
        config.insert("instanceType".to_owned(), json!(instance_type));
        config.insert("baseUrl".to_owned(), json!(self.base_url.as_str()));
        if let ConfluenceInstance::Cloud {
            cloud_id,
            api_base_url,
            media_base_url,
        } = &self.instance
        {
            config.insert("cloudId".to_owned(), json!(cloud_id));
            config.insert("apiBaseUrl".to_owned(), json!(api_base_url.as_str()));
            config.insert("mediaBaseUrl".to_owned(), json!(media_base_url.as_str()));
        }
        config.insert(
            "ingestSingleLabel".to_owned(),
            json!(self.ingest_single_label),
        );
        config.insert("ingestAllLabel".to_owned(), json!(self.ingest_all_label));
        config
    }
}

/// The non-secret part of an auth config: its mode and, for OAuth, the token endpoint.
fn auth_template_context(auth: &SourceAuth) -> Json {
    match auth {
        SourceAuth::OAuth2ClientCredentials { token_url, .. } => {
            json!({ "mode": auth.mode_name(), "tokenUrl": token_url.as_str() })
        }
        SourceAuth::PersonalAccessToken { .. } | SourceAuth::Basic { .. } => {
            json!({ "mode": auth.mode_name() })
        }
    }
}
