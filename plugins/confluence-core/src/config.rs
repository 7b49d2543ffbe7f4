//! The plugin's config section (JSON, camelCase) and the host's generic policy, validated into
//! [`Settings`]. Code past [`Settings::new`] never re-checks these rules.

use serde::Deserialize;

/// Default Cloud API gateway; `{cloudId}` is appended.
const CLOUD_GATEWAY: &str = "https://api.atlassian.com/ex/confluence/";

/// JSON Schema (draft 2020-12) of the config section, published by the plugins' `describe`.
/// [`Settings::new`] checks the same rules (and the ones a schema cannot say, such as the
/// trailing `/`), so a config that passes the schema can still be refused with a clear message.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Confluence source config",
  "type": "object",
  "required": ["instanceType", "baseUrl", "ingestSingleLabel", "ingestAllLabel"],
  "properties": {
    "instanceType": { "enum": ["cloud", "data-center"] },
    "baseUrl": { "type": "string", "pattern": "^https?://[^/?#]+(/[^?#]*)?$", "not": { "pattern": "/$" } },
    "cloudId": { "type": "string", "minLength": 1 },
    "apiBaseUrl": { "type": "string", "pattern": "^https?://[^/?#]+(/[^?#]*)?$", "not": { "pattern": "/$" } },
    "mediaBaseUrl": { "type": "string", "pattern": "^https?://[^/?#]+(/[^?#]*)?$", "not": { "pattern": "/$" } },
    "ingestSingleLabel": { "type": "string", "pattern": "\\S" },
    "ingestAllLabel": { "type": "string", "pattern": "\\S" }
  },
  "if": { "properties": { "instanceType": { "const": "cloud" } } },
  "then": { "required": ["cloudId"] },
  "else": { "not": { "anyOf": [{ "required": ["apiBaseUrl"] }, { "required": ["mediaBaseUrl"] }] } }
}"#;

/// A config value that breaks a rule. The message names the field and the rule.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("config is not valid JSON for the Confluence plugin: {0}")]
    /// The section is not JSON of the expected shape (missing key, wrong type, unknown instance type).
    Json(String),
    #[error("config field `{field}`: {rule}")]
    /// A field breaks a rule.
    Invalid {
        /// The camelCase field name.
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
}

fn invalid(field: &'static str, rule: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        rule: rule.into(),
    }
}

/// Which Confluence product the tenant uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceType {
    /// Confluence Cloud (`cloud`).
    Cloud,
    /// Confluence Data Center (`data-center`).
    DataCenter,
}

/// The config section as written by the operator. Keys this plugin does not read (for example
/// `auth` or `apiRateLimitPerMinute`, which belong to the host) are ignored.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfluenceConfig {
    /// `cloud` or `data-center`.
    pub instance_type: InstanceType,
    /// Site URL (Cloud) or API base with optional context path (DC); no trailing `/`.
    pub base_url: String,
    /// Cloud site id; required on Cloud.
    pub cloud_id: Option<String>,
    /// Cloud only: API gateway override (tests, mirrors).
    pub api_base_url: Option<String>,
    /// Label that selects an item.
    pub ingest_single_label: String,
    /// Label that selects an item and all its descendants.
    pub ingest_all_label: String,
}

/// Where the Confluence API lives, per product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instance {
    /// `api_base` is the gateway including the cloud id, without `/wiki`.
    Cloud {
        /// The site's cloud id.
        cloud_id: String,
        /// Gateway base, e.g. `https://api.atlassian.com/ex/confluence/{cloudId}`.
        api_base: String,
    },
    /// Data Center: the API lives at `baseUrl`.
    DataCenter,
}

/// The two labels that select content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestLabels {
    /// Ingest the labelled item itself.
    pub single: String,
    /// Ingest the labelled item and all its descendants.
    pub all: String,
}

/// Attachment handling chosen by the tenant (the host's generic policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentPolicy {
    /// Normalised MIME types (lower-case, no parameters).
    pub allowed_mime_types: Vec<String>,
    /// Largest attachment in bytes (inclusive).
    pub max_file_size: u64,
    /// Images go into page bodies instead of being reported standalone.
    pub inline_images: InlineImages,
}

/// Whether images are inlined into page bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InlineImages {
    /// Images are inlined and never reported standalone.
    Enabled,
    /// Images are ordinary attachments.
    Disabled,
}

impl AttachmentPolicy {
    /// Whether a normalised MIME type is in the allow-list.
    pub fn allows_mime(&self, normalised_mime: &str) -> bool {
        self.allowed_mime_types.iter().any(|m| m == normalised_mime)
    }

    /// Whether an image with this MIME type and size would be inlined (sync-flow §7.2 step 3).
    pub fn is_inlinable_image(&self, normalised_mime: &str, size: u64) -> bool {
        self.inline_images == InlineImages::Enabled
            && normalised_mime.starts_with("image/")
            && self.allows_mime(normalised_mime)
            && size <= self.max_file_size
    }

    /// Whether an attachment is reported standalone (sync-flow §4 step 7).
    pub fn keeps_standalone(&self, normalised_mime: &str, size: u64) -> bool {
        size <= self.max_file_size
            && self.allows_mime(normalised_mime)
            && (self.inline_images == InlineImages::Disabled
                || !normalised_mime.starts_with("image/"))
    }
}

/// The generic policy the host passes beside the config section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    /// `None` when attachments are disabled.
    pub attachments: Option<AttachmentPolicy>,
    /// Stop after this many items (pages first, then their attachments).
    pub max_items: Option<u32>,
}

/// Validated settings of one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Product and API location.
    pub instance: Instance,
    /// Site URL (Cloud) or API base with optional context path (DC); never ends with `/`.
    pub base_url: String,
    /// The ingest labels.
    pub labels: IngestLabels,
    /// The host's generic policy.
    pub policy: SourcePolicy,
}

impl Settings {
    /// Parses and validates the config JSON and combines it with the host's policy.
    pub fn from_json(config_json: &str, policy: SourcePolicy) -> Result<Self, ConfigError> {
        let config: ConfluenceConfig =
            serde_json::from_str(config_json).map_err(|e| ConfigError::Json(e.to_string()))?;
        Self::new(config, policy)
    }

    /// Validates a parsed config section.
    pub fn new(config: ConfluenceConfig, policy: SourcePolicy) -> Result<Self, ConfigError> {
        check_url("baseUrl", &config.base_url)?;
        let instance = match config.instance_type {
            InstanceType::Cloud => {
                let cloud_id = config
                    .cloud_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        invalid("cloudId", "is required for cloud and must not be empty")
                    })?
                    .to_owned();
                if cloud_id.contains('/') {
                    return Err(invalid("cloudId", "must not contain `/`"));
                }
                let api_base = match config.api_base_url {
                    Some(url) => {
                        check_url("apiBaseUrl", &url)?;
                        url
                    }
                    None => format!("{CLOUD_GATEWAY}{cloud_id}"),
                };
                Instance::Cloud { cloud_id, api_base }
            }
            InstanceType::DataCenter => {
                if config.api_base_url.is_some() {
                    return Err(invalid("apiBaseUrl", "is only allowed for cloud"));
                }
                Instance::DataCenter
            }
        };
        let labels = IngestLabels {
            single: check_label("ingestSingleLabel", config.ingest_single_label)?,
            all: check_label("ingestAllLabel", config.ingest_all_label)?,
        };
        if let Some(attachments) = &policy.attachments
            && attachments
                .allowed_mime_types
                .iter()
                .any(|m| m.trim().is_empty())
        {
            return Err(invalid(
                "attachments.allowedMimeTypes",
                "entries must not be empty",
            ));
        }
        Ok(Self {
            instance,
            base_url: config.base_url,
            labels,
            policy,
        })
    }

    /// Whether pages get their images inlined.
    pub fn inlines_images(&self) -> bool {
        self.policy
            .attachments
            .as_ref()
            .is_some_and(|a| a.inline_images == InlineImages::Enabled)
    }

    /// Whether this is a Cloud tenant.
    pub fn is_cloud(&self) -> bool {
        matches!(self.instance, Instance::Cloud { .. })
    }
}

fn check_url(field: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid(field, "must be an absolute http or https URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid(
            field,
            "must be an absolute http or https URL with a host",
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(invalid(field, "must not have a query or fragment"));
    }
    if url.ends_with('/') {
        return Err(invalid(field, "must not end with `/`"));
    }
    Ok(())
}

fn check_label(field: &'static str, label: String) -> Result<String, ConfigError> {
    if label.trim().is_empty() {
        return Err(invalid(field, "must not be empty or only whitespace"));
    }
    Ok(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud_json(extra: &str) -> String {
        format!(
            r#"{{"instanceType":"cloud","baseUrl":"https://acme.atlassian.net","cloudId":"abc-123",
               "ingestSingleLabel":"ai-ingest","ingestAllLabel":"ai-ingest-all"{extra}}}"#
        )
    }

    #[test]
    fn cloud_config_defaults_api_base_to_the_gateway() {
        let settings = Settings::from_json(&cloud_json(""), SourcePolicy::default()).unwrap();
        assert_eq!(
            settings.instance,
            Instance::Cloud {
                cloud_id: "abc-123".into(),
                api_base: "https://api.atlassian.com/ex/confluence/abc-123".into()
            }
        );
    }

    #[test]
    fn cloud_config_takes_an_api_base_override() {
        let json = cloud_json(r#","apiBaseUrl":"http://127.0.0.1:9000/gw""#);
        let settings = Settings::from_json(&json, SourcePolicy::default()).unwrap();
        assert!(
            matches!(settings.instance, Instance::Cloud { api_base, .. } if api_base == "http://127.0.0.1:9000/gw")
        );
    }

    #[test]
    fn unknown_keys_of_the_section_are_ignored() {
        let json = cloud_json(r#","apiRateLimitPerMinute":100,"auth":{"mode":"oauth_2lo"}"#);
        assert!(Settings::from_json(&json, SourcePolicy::default()).is_ok());
    }

    #[test]
    fn base_url_with_trailing_slash_is_rejected_naming_the_field() {
        let json = cloud_json("").replace("atlassian.net\"", "atlassian.net/\"");
        let err = Settings::from_json(&json, SourcePolicy::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config field `baseUrl`: must not end with `/`"
        );
    }

    #[test]
    fn api_base_url_with_trailing_slash_is_rejected() {
        let json = cloud_json(r#","apiBaseUrl":"http://gw/""#);
        let err = Settings::from_json(&json, SourcePolicy::default()).unwrap_err();
        assert!(err.to_string().contains("`apiBaseUrl`"), "{err}");
    }

    #[test]
    fn relative_base_url_is_rejected() {
        let json = cloud_json("").replace("https://acme.atlassian.net", "acme.atlassian.net");
        let err = Settings::from_json(&json, SourcePolicy::default()).unwrap_err();
        assert!(err.to_string().contains("absolute http or https"), "{err}");
    }

    #[test]
    fn whitespace_label_is_rejected_naming_the_field() {
        let json = cloud_json("").replace("\"ai-ingest\"", "\"  \"");
        let err = Settings::from_json(&json, SourcePolicy::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config field `ingestSingleLabel`: must not be empty or only whitespace"
        );
    }

    #[test]
    fn cloud_without_cloud_id_is_rejected() {
        let json = cloud_json("").replace(r#""cloudId":"abc-123","#, "");
        let err = Settings::from_json(&json, SourcePolicy::default()).unwrap_err();
        assert!(err.to_string().contains("`cloudId`"), "{err}");
    }

    #[test]
    fn data_center_config_with_context_path_is_accepted() {
        let json = r#"{"instanceType":"data-center","baseUrl":"https://wiki.example.com/confluence",
                       "ingestSingleLabel":"a","ingestAllLabel":"b"}"#;
        let settings = Settings::from_json(json, SourcePolicy::default()).unwrap();
        assert_eq!(settings.instance, Instance::DataCenter);
        assert_eq!(settings.base_url, "https://wiki.example.com/confluence");
    }

    #[test]
    fn unknown_instance_type_is_a_json_error() {
        let json = cloud_json("").replace("\"cloud\"", "\"server\"");
        assert!(matches!(
            Settings::from_json(&json, SourcePolicy::default()),
            Err(ConfigError::Json(_))
        ));
    }

    #[test]
    fn config_schema_is_valid_json_naming_every_field() {
        let schema: serde_json::Value = serde_json::from_str(CONFIG_SCHEMA).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        for field in [
            "instanceType",
            "baseUrl",
            "cloudId",
            "apiBaseUrl",
            "mediaBaseUrl",
            "ingestSingleLabel",
            "ingestAllLabel",
        ] {
            assert!(properties.contains_key(field), "{field}");
        }
        assert_eq!(schema["properties"]["ingestAllLabel"]["pattern"], "\\S");
    }

    #[test]
    fn standalone_filter_excludes_images_only_when_inlining() {
        let mut policy = AttachmentPolicy {
            allowed_mime_types: vec!["image/png".into(), "application/pdf".into()],
            max_file_size: 100,
            inline_images: InlineImages::Enabled,
        };
        assert!(!policy.keeps_standalone("image/png", 10));
        assert!(policy.keeps_standalone("application/pdf", 100));
        assert!(!policy.keeps_standalone("application/pdf", 101));
        assert!(!policy.keeps_standalone("text/plain", 1));
        assert!(policy.is_inlinable_image("image/png", 100));
        policy.inline_images = InlineImages::Disabled;
        assert!(policy.keeps_standalone("image/png", 10));
        assert!(!policy.is_inlinable_image("image/png", 10));
    }
}
