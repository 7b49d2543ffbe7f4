//! The `documents:` section of a scenario: collections, documents and the accepted tokens.

use serde::{Deserialize, Serialize};

/// The document API's content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentStoreSeed {
    /// Bearer tokens the API accepts; empty means no authentication.
    #[serde(default)]
    pub tokens: Vec<String>,
    #[serde(default)]
    pub collections: Vec<CollectionSeed>,
    #[serde(default)]
    pub documents: Vec<DocumentSeed>,
}

/// A collection (the plugin's container).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionSeed {
    pub id: String,
    pub key: String,
    pub name: String,
}

/// One document.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentSeed {
    pub id: String,
    pub title: String,
    /// Key of its collection.
    pub collection: String,
    #[serde(default)]
    pub labels: Vec<String>,
    /// ISO-8601 change timestamp.
    pub updated_at: String,
    /// HTML body.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<DocumentAttachmentSeed>,
}

/// A file attached to a document; its bytes are `text`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentAttachmentSeed {
    pub id: String,
    pub title: String,
    pub media_type: String,
    pub text: String,
}

impl DocumentStoreSeed {
    /// Checks that ids are unique and every document names a known collection.
    pub fn validate(&self) -> Result<(), String> {
        let mut collections = std::collections::HashSet::new();
        for collection in &self.collections {
            if !collections.insert(collection.key.as_str()) {
                return Err(format!(
                    "documents: collection {} is defined twice",
                    collection.key
                ));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for document in &self.documents {
            if !ids.insert(document.id.as_str()) {
                return Err(format!(
                    "documents: document {} is defined twice",
                    document.id
                ));
            }
            if !collections.contains(document.collection.as_str()) {
                return Err(format!(
                    "documents: document {} names unknown collection {}",
                    document.id, document.collection
                ));
            }
        }
        Ok(())
    }
}
