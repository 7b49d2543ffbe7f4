//! The state dump: a serialisable snapshot of every simulator, for tests to compare against
//! and for the admin endpoint and `connector-sim dump`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::confluence::{ConfluenceInstance, Flavor, InstanceUrls};
use crate::lock;
use crate::scenario::{ContentType, SpaceType};
use crate::unique::UniqueService;
use crate::unique::store::ScopeAccess;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDump {
    pub confluence: Vec<ConfluenceDump>,
    pub unique: UniqueDump,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfluenceDump {
    pub flavor: Flavor,
    pub name: String,
    pub instance_id: String,
    pub urls: InstanceUrls,
    pub spaces: Vec<SpaceDump>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceDump {
    pub id: u64,
    pub key: String,
    pub name: String,
    #[serde(rename = "type")]
    pub space_type: SpaceType,
    pub contents: Vec<ContentDump>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentDump {
    pub id: String,
    #[serde(rename = "type")]
    pub content_type: ContentType,
    pub title: String,
    pub parent_id: Option<String>,
    pub labels: Vec<String>,
    pub version: u32,
    pub updated_at: String,
    pub body_bytes: Option<usize>,
    pub attachments: Vec<AttachmentDump>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentDump {
    pub id: String,
    pub title: String,
    pub media_type: String,
    /// Real size of the bytes served.
    pub size: u64,
    /// `fileSize` reported in listings.
    pub file_size: u64,
    pub version: u32,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UniqueDump {
    pub scopes: Vec<ScopeDump>,
    pub files: Vec<FileDump>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ScopeDump {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub external_id: Option<String>,
    pub path: String,
    pub accesses: Vec<ScopeAccess>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileDump {
    pub id: String,
    pub key: String,
    pub title: String,
    pub mime_type: String,
    /// Declared at registration.
    pub byte_size: u64,
    pub metadata: Value,
    pub ingestion_config: Option<Value>,
    pub scope_id: String,
    pub url: Option<String>,
    pub source_kind: Option<String>,
    pub source_name: Option<String>,
    pub ingestion_state: String,
    /// The file-diff `updatedAt` recorded at the last finalize.
    pub source_updated_at: Option<String>,
    /// Length of the uploaded bytes, if any were uploaded.
    pub stored_bytes: Option<u64>,
    pub sha256: Option<String>,
    pub upload_content_type: Option<String>,
}

impl UniqueDump {
    pub fn file(&self, key: &str) -> Option<&FileDump> {
        self.files.iter().find(|f| f.key == key)
    }

    pub fn scope(&self, id: &str) -> Option<&ScopeDump> {
        self.scopes.iter().find(|s| s.id == id)
    }

    pub fn scope_by_path(&self, path: &str) -> Option<&ScopeDump> {
        self.scopes.iter().find(|s| s.path == path)
    }
}

pub fn dump_confluence(instance: &ConfluenceInstance) -> ConfluenceDump {
    let model = lock(&instance.model);
    let spaces = model
        .spaces()
        .iter()
        .map(|space| SpaceDump {
            id: space.id,
            key: space.key.clone(),
            name: space.name.clone(),
            space_type: space.space_type,
            contents: model
                .contents()
                .filter(|c| c.space_key == space.key)
                .map(|c| ContentDump {
                    id: c.id.clone(),
                    content_type: c.content_type,
                    title: c.title.clone(),
                    parent_id: c.parent_id.clone(),
                    labels: c.labels.clone(),
                    version: c.version,
                    updated_at: c.when.clone(),
                    body_bytes: c.body.as_ref().map(String::len),
                    attachments: c
                        .attachments
                        .iter()
                        .map(|a| AttachmentDump {
                            id: a.id.clone(),
                            title: a.title.clone(),
                            media_type: a.media_type.clone(),
                            size: a.bytes.len(),
                            file_size: a.file_size(),
                            version: a.version,
                            updated_at: a.when.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    ConfluenceDump {
        flavor: instance.flavor,
        name: instance.name.clone(),
        instance_id: instance.instance_id.clone(),
        urls: instance.urls.clone(),
        spaces,
    }
}

pub fn dump_unique(service: &UniqueService) -> UniqueDump {
    let store = lock(&service.store);
    UniqueDump {
        scopes: store
            .scopes()
            .map(|s| ScopeDump {
                id: s.id.clone(),
                name: s.name.clone(),
                parent_id: s.parent_id.clone(),
                external_id: s.external_id.clone(),
                path: store.scope_path(&s.id),
                accesses: s.accesses.clone(),
            })
            .collect(),
        files: store
            .contents()
            .map(|c| FileDump {
                id: c.id.clone(),
                key: c.key.clone(),
                title: c.title.clone(),
                mime_type: c.mime_type.clone(),
                byte_size: c.byte_size,
                metadata: c.metadata.clone(),
                ingestion_config: c.ingestion_config.clone(),
                scope_id: c.owner_id.clone(),
                url: c.url.clone(),
                source_kind: c.source_kind.clone(),
                source_name: c.source_name.clone(),
                ingestion_state: c.ingestion_state().to_owned(),
                source_updated_at: c.source_updated_at.clone(),
                stored_bytes: c.upload.as_ref().map(|u| u.length),
                sha256: c.upload.as_ref().map(|u| u.sha256.clone()),
                upload_content_type: c.upload.as_ref().and_then(|u| u.content_type.clone()),
            })
            .collect(),
    }
}
