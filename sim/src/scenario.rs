//! Scenario format: the serde shape of the YAML or JSON file that seeds every simulator
//! (Confluence Cloud sites, Data Center instances, the Unique platform and start-up faults).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::documents::DocumentStoreSeed;
use crate::faults::FaultRule;

/// Everything the simulators start with. Every list may be empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Confluence Cloud sites, all served by one gateway listener and keyed by `cloudId`.
    #[serde(default)]
    pub cloud: Vec<CloudSiteSeed>,
    /// Confluence Data Center instances, each on its own listener.
    #[serde(default)]
    pub data_center: Vec<DataCenterSeed>,
    /// The Unique platform (ingestion, scope management, Zitadel, blob storage).
    #[serde(default)]
    pub unique: UniqueSeed,
    /// Faults active from start-up.
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    /// A JSON document API (not Confluence), served on its own listener when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<DocumentStoreSeed>,
}

/// One Confluence Cloud site.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudSiteSeed {
    pub cloud_id: String,
    /// OAuth 2.0 (2LO) clients accepted by the token endpoint for this site.
    #[serde(default)]
    pub oauth_clients: Vec<OAuthClientSeed>,
    /// `expires_in` of issued tokens, in seconds.
    #[serde(default = "default_token_ttl_secs")]
    pub token_ttl_secs: u64,
    #[serde(default = "PageLimits::cloud")]
    pub limits: PageLimits,
    /// Optional server-side rate limit: API calls beyond it get 429 with `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSeed>,
    #[serde(default)]
    pub spaces: Vec<SpaceSeed>,
}

/// One Confluence Data Center instance.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataCenterSeed {
    /// Name the library handle and the admin API use for this instance.
    pub name: String,
    /// Optional context path such as `/confluence` (no trailing `/`), empty for none.
    #[serde(default)]
    pub context_path: String,
    /// The applinks manifest `id` (the instance id).
    pub instance_id: String,
    #[serde(default)]
    pub oauth_clients: Vec<OAuthClientSeed>,
    #[serde(default)]
    pub personal_access_tokens: Vec<String>,
    #[serde(default)]
    pub basic_users: Vec<BasicUserSeed>,
    #[serde(default = "default_token_ttl_secs")]
    pub token_ttl_secs: u64,
    #[serde(default = "PageLimits::data_center")]
    pub limits: PageLimits,
    /// Optional server-side rate limit: API calls beyond it get 429 with `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSeed>,
    #[serde(default)]
    pub spaces: Vec<SpaceSeed>,
}

fn default_token_ttl_secs() -> u64 {
    3600
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthClientSeed {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicUserSeed {
    pub username: String,
    pub password: String,
}

/// A token bucket: `perMinute` calls per minute, bursts up to `burst` (default `perMinute`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitSeed {
    pub per_minute: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// Caps on `limit` for v1 list answers, like the real services apply.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageLimits {
    /// `limit` used when the request has none.
    pub default_limit: u32,
    /// Largest `limit` honoured without body expansion.
    pub max_limit: u32,
    /// Largest `limit` honoured when `body.*` is expanded.
    pub max_limit_with_body: u32,
    /// Largest `limit` of the v2 attachment listings.
    pub max_v2_limit: u32,
}

impl PageLimits {
    pub fn cloud() -> Self {
        PageLimits {
            default_limit: 25,
            max_limit: 100,
            max_limit_with_body: 100,
            max_v2_limit: 250,
        }
    }

    pub fn data_center() -> Self {
        PageLimits {
            default_limit: 25,
            max_limit: 100,
            max_limit_with_body: 50,
            max_v2_limit: 250,
        }
    }
}

/// A Confluence space and its content.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpaceSeed {
    pub id: u64,
    pub key: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub space_type: SpaceType,
    /// Content items of the space; parents are named by `parentId`.
    #[serde(default)]
    pub contents: Vec<ContentSeed>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SpaceType {
    #[default]
    Global,
    Collaboration,
    Personal,
}

impl SpaceType {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceType::Global => "global",
            SpaceType::Collaboration => "collaboration",
            SpaceType::Personal => "personal",
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Page,
    Blogpost,
    Folder,
    Database,
    Whiteboard,
    Embed,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Page => "page",
            ContentType::Blogpost => "blogpost",
            ContentType::Folder => "folder",
            ContentType::Database => "database",
            ContentType::Whiteboard => "whiteboard",
            ContentType::Embed => "embed",
        }
    }
}

/// A page, blog post, folder, database, whiteboard or embed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentSeed {
    /// Numeric string, unique within the instance.
    pub id: String,
    #[serde(rename = "type")]
    pub content_type: ContentType,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default = "default_version")]
    pub version: u32,
    /// `version.when`, ISO-8601.
    #[serde(default = "default_when")]
    pub updated_at: String,
    /// Storage-format body; pages and blog posts normally have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentSeed>,
}

/// An attachment. Its bytes are `text` when given, otherwise `size` generated bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentSeed {
    /// Cloud: `att…`; Data Center: numeric.
    pub id: String,
    pub title: String,
    pub media_type: String,
    /// Number of generated bytes (ignored when `text` is set).
    #[serde(default)]
    pub size: u64,
    /// Literal content served for downloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `fileSize` reported in listings when it must differ from the real size (fault scenarios).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_size: Option<u64>,
    #[serde(default = "default_version")]
    pub version: u32,
    #[serde(default = "default_when")]
    pub updated_at: String,
}

impl ContentSeed {
    /// A page with a body, version 1, no labels, no parent.
    pub fn page(id: &str, title: &str, body: &str) -> Self {
        ContentSeed {
            id: id.to_owned(),
            content_type: ContentType::Page,
            title: title.to_owned(),
            parent_id: None,
            labels: Vec::new(),
            version: default_version(),
            updated_at: default_when(),
            body: Some(body.to_owned()),
            attachments: Vec::new(),
        }
    }

    pub fn with_labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    pub fn with_parent(mut self, parent_id: &str) -> Self {
        self.parent_id = Some(parent_id.to_owned());
        self
    }

    pub fn with_attachment(mut self, attachment: AttachmentSeed) -> Self {
        self.attachments.push(attachment);
        self
    }
}

impl AttachmentSeed {
    /// An attachment of `size` generated bytes.
    pub fn generated(id: &str, title: &str, media_type: &str, size: u64) -> Self {
        AttachmentSeed {
            id: id.to_owned(),
            title: title.to_owned(),
            media_type: media_type.to_owned(),
            size,
            text: None,
            declared_size: None,
            version: default_version(),
            updated_at: default_when(),
        }
    }

    /// An attachment whose bytes are `text`.
    pub fn text(id: &str, title: &str, media_type: &str, text: &str) -> Self {
        AttachmentSeed {
            text: Some(text.to_owned()),
            size: text.len() as u64,
            ..AttachmentSeed::generated(id, title, media_type, 0)
        }
    }
}

fn default_version() -> u32 {
    1
}

fn default_when() -> String {
    "2025-01-01T00:00:00.000Z".to_owned()
}

/// The Unique platform's accounts and stored data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UniqueSeed {
    /// Required `x-company-id` in cluster-local mode.
    #[serde(default = "default_company_id")]
    pub company_id: String,
    /// Which service auth modes are accepted.
    #[serde(default)]
    pub auth_mode: UniqueAuthMode,
    #[serde(default)]
    pub zitadel_clients: Vec<ZitadelClientSeed>,
    #[serde(default)]
    pub scopes: Vec<ScopeSeed>,
    #[serde(default)]
    pub files: Vec<FileSeed>,
    /// Uploads up to this many bytes are kept in memory (bigger ones: only length and sha256).
    #[serde(default = "default_keep_bytes_up_to")]
    pub keep_bytes_up_to: u64,
}

impl Default for UniqueSeed {
    fn default() -> Self {
        UniqueSeed {
            company_id: default_company_id(),
            auth_mode: UniqueAuthMode::default(),
            zitadel_clients: Vec::new(),
            scopes: Vec::new(),
            files: Vec::new(),
            keep_bytes_up_to: default_keep_bytes_up_to(),
        }
    }
}

fn default_company_id() -> String {
    "company-1".to_owned()
}

fn default_keep_bytes_up_to() -> u64 {
    1024 * 1024
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UniqueAuthMode {
    /// A bearer token selects external mode, otherwise the cluster-local headers are checked.
    #[default]
    Any,
    ClusterLocal,
    External,
}

/// A Zitadel service account allowed to fetch tokens (T3).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ZitadelClientSeed {
    pub client_id: String,
    pub client_secret: String,
    /// The project id that must appear in the requested scope string.
    pub project_id: String,
    /// What `me` answers for this account.
    pub user_id: String,
    #[serde(default = "default_zitadel_ttl_secs")]
    pub token_ttl_secs: u64,
}

fn default_zitadel_ttl_secs() -> u64 {
    43_199
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeSeed {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Content already stored in Unique before the first sync.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileSeed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub key: String,
    #[serde(default)]
    pub title: String,
    #[serde(default = "default_mime_type")]
    pub mime_type: String,
    #[serde(default)]
    pub byte_size: u64,
    /// The owning scope id.
    pub owner_id: String,
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// The `updatedAt` the file diff compares against.
    #[serde(default)]
    pub updated_at: String,
}

fn default_mime_type() -> String {
    "text/html".to_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write scenario file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("scenario file {path} is not valid YAML/JSON for the scenario format")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("cannot serialise the scenario")]
    Serialise(#[source] serde_yaml_ng::Error),
    #[error("scenario is inconsistent: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Reads a YAML or JSON scenario (JSON is a subset of YAML).
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        })?;
        let scenario: Scenario =
            serde_yaml_ng::from_str(&text).map_err(|source| ScenarioError::Parse {
                path: path.to_owned(),
                source,
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Parses a YAML or JSON scenario held in memory (tests).
    pub fn from_yaml_str(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario =
            serde_yaml_ng::from_str(text).map_err(|source| ScenarioError::Parse {
                path: PathBuf::from("<inline scenario>"),
                source,
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Writes the scenario as YAML.
    pub fn to_file(&self, path: &Path) -> Result<(), ScenarioError> {
        let text = serde_yaml_ng::to_string(self).map_err(ScenarioError::Serialise)?;
        std::fs::write(path, text).map_err(|source| ScenarioError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Checks cross references: unique ids, known parents, one DC name each.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if let Some(documents) = &self.documents {
            documents.validate().map_err(ScenarioError::Invalid)?;
        }
        let mut seen_sites = std::collections::HashSet::new();
        for site in &self.cloud {
            if !seen_sites.insert(site.cloud_id.clone()) {
                return Err(ScenarioError::Invalid(format!(
                    "cloud site {} is defined twice",
                    site.cloud_id
                )));
            }
            validate_spaces(&format!("cloud site {}", site.cloud_id), &site.spaces)?;
        }
        let mut seen_dc = std::collections::HashSet::new();
        for dc in &self.data_center {
            if !seen_dc.insert(dc.name.clone()) {
                return Err(ScenarioError::Invalid(format!(
                    "data center instance {} is defined twice",
                    dc.name
                )));
            }
            if dc.context_path.ends_with('/')
                || (!dc.context_path.is_empty() && !dc.context_path.starts_with('/'))
            {
                return Err(ScenarioError::Invalid(format!(
                    "data center instance {}: contextPath {:?} must start with `/` and not end with `/`",
                    dc.name, dc.context_path
                )));
            }
            validate_spaces(&format!("data center instance {}", dc.name), &dc.spaces)?;
        }
        let scope_ids: std::collections::HashSet<&str> =
            self.unique.scopes.iter().map(|s| s.id.as_str()).collect();
        for scope in &self.unique.scopes {
            if let Some(parent) = &scope.parent_id
                && !scope_ids.contains(parent.as_str())
            {
                return Err(ScenarioError::Invalid(format!(
                    "unique scope {} names unknown parent {parent}",
                    scope.id
                )));
            }
        }
        for file in &self.unique.files {
            if !scope_ids.contains(file.owner_id.as_str()) {
                return Err(ScenarioError::Invalid(format!(
                    "unique file {} names unknown owner scope {}",
                    file.key, file.owner_id
                )));
            }
        }
        Ok(())
    }
}

fn validate_spaces(instance: &str, spaces: &[SpaceSeed]) -> Result<(), ScenarioError> {
    let mut ids = std::collections::HashSet::new();
    let mut attachment_ids = std::collections::HashSet::new();
    for space in spaces {
        for content in &space.contents {
            if !ids.insert(content.id.as_str()) {
                return Err(ScenarioError::Invalid(format!(
                    "{instance}: content id {} is used twice",
                    content.id
                )));
            }
            for attachment in &content.attachments {
                if !attachment_ids.insert(attachment.id.as_str()) {
                    return Err(ScenarioError::Invalid(format!(
                        "{instance}: attachment id {} is used twice",
                        attachment.id
                    )));
                }
            }
        }
    }
    for space in spaces {
        let in_space: std::collections::HashSet<&str> =
            space.contents.iter().map(|c| c.id.as_str()).collect();
        for content in &space.contents {
            if let Some(parent) = &content.parent_id
                && !in_space.contains(parent.as_str())
            {
                return Err(ScenarioError::Invalid(format!(
                    "{instance}: content {} names parent {parent}, which is not in space {}",
                    content.id, space.key
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_yaml_str(yaml)
    }

    #[test]
    fn seed_constructors_build_valid_content() {
        let page = ContentSeed::page("7", "Title", "<p>b</p>")
            .with_labels(&["ai-ingest"])
            .with_parent("6")
            .with_attachment(AttachmentSeed::text("att1", "a.txt", "text/plain", "hello"));
        assert_eq!(page.attachments[0].size, 5);
        assert_eq!(page.parent_id.as_deref(), Some("6"));
        assert_eq!(page.labels, vec!["ai-ingest".to_owned()]);
    }

    #[test]
    fn a_minimal_scenario_gets_defaults() {
        let scenario = parse("cloud: [{cloudId: c1}]").expect("valid");
        assert_eq!(scenario.cloud[0].token_ttl_secs, 3600);
        assert_eq!(scenario.cloud[0].limits, PageLimits::cloud());
        assert_eq!(scenario.unique.company_id, "company-1");
    }

    #[test]
    fn unknown_keys_and_broken_references_are_rejected_with_the_culprit() {
        assert!(matches!(
            parse("cloud: [{cloudId: c1, colour: red}]"),
            Err(ScenarioError::Parse { .. })
        ));
        let orphan = "cloud: [{cloudId: c1, spaces: [{id: 1, key: A, name: A, contents: [{id: '2', type: page, title: t, parentId: '9'}]}]}]";
        let message = parse(orphan)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("parent 9"), "{message}");
        let twice = "dataCenter: [{name: d, instanceId: i}, {name: d, instanceId: j}]";
        assert!(
            parse(twice)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("defined twice")
        );
        let bad_context = "dataCenter: [{name: d, instanceId: i, contextPath: confluence/}]";
        assert!(matches!(parse(bad_context), Err(ScenarioError::Invalid(_))));
        let unknown_owner = "unique: {files: [{key: k, ownerId: nope}]}";
        assert!(
            parse(unknown_owner)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("nope")
        );
    }
}
