//! The typed values the Unique client takes and returns: scopes, access types, content
//! registrations, file-diff requests and answers, deletion counts.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The connector's own Unique user id (G1 `me`), the grantee of G2.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scope (knowledge-base folder) as G3, G4 and G5 return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    pub id: String,
    pub name: String,
    /// `None` for a top-level scope.
    pub parent_id: Option<String>,
    pub external_id: Option<String>,
}

/// A right granted on a scope by G2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessType {
    Manage,
    Read,
    Write,
}

/// Whether G6 deletes a folder's sub-folders too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recursive {
    Yes,
    No,
}

/// What G7 `bulkMove` answered; only the message is read (the other fields' types are not
/// specified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkMoved {
    pub message: Option<String>,
}

/// The outcome of a content deletion: `deleted` ids confirmed by the server, `failed` the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletionCount {
    pub deleted: usize,
    pub failed: usize,
}

/// `sourceKind` of G12 and U1: which kind of source the content comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SourceKind {
    #[serde(rename = "ATLASSIAN_CONFLUENCE_CLOUD")]
    ConfluenceCloud,
    #[serde(rename = "ATLASSIAN_CONFLUENCE_ONPREM")]
    ConfluenceDataCenter,
    /// A third-party plugin's own kind, sent as the plugin reports it.
    #[serde(untagged)]
    Other(String),
}

/// The variables of a G12 `ContentUpsert` (unique-api.md §8). Register and finalize send the same
/// registration; finalize adds `fileUrl`.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// The full key: `{partialKey}/{pageId}` or `{partialKey}/{pageId}::{attachmentId}`.
    pub key: String,
    pub title: String,
    /// Sent as `input.mimeType` (raw for attachments, `text/html` for pages).
    pub mime_type: String,
    /// The item's web URL (`input.url`).
    pub url: String,
    pub byte_size: u64,
    /// `input.metadata`, a JSON object.
    pub metadata: serde_json::Value,
    /// `input.ingestionConfig`; `None` omits the key (it is never sent as `null`).
    pub ingestion_config: Option<serde_json::Value>,
    /// The space scope that owns the content.
    pub scope_id: String,
    pub source_kind: SourceKind,
    /// `confluence.baseUrl`, sent as both `sourceName` and `baseUrl`.
    pub confluence_base_url: String,
    pub store_internally: bool,
}

/// A URL that may carry credentials in its query (`writeUrl`, `readUrl`). `Debug` and `Display`
/// print it without query and fragment (operations.md §8); [`Self::expose`] gives the exact text.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedUrl(String);

impl SignedUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL exactly as the server sent it, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without query and fragment, safe to log.
    pub fn redacted(&self) -> &str {
        without_query(&self.0)
    }
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedUrl({:?})", self.redacted())
    }
}

impl fmt::Display for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.redacted())
    }
}

/// `url` up to (not including) its `?` or `#`.
pub(crate) fn without_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// What a register call (G12 without `fileUrl`) returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The content id; deleted with G11 when the upload or finalize fails.
    pub id: String,
    pub write_url: SignedUrl,
    pub read_url: SignedUrl,
}

/// One U1 request: the items a space should hold, under `partialKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffRequest {
    pub partial_key: String,
    pub source_kind: SourceKind,
    /// `confluence.baseUrl`.
    pub source_name: String,
    pub file_list: Vec<FileDiffEntry>,
}

/// One item of a U1 `fileList`; `key` is relative to the partial key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffEntry {
    pub key: String,
    pub url: String,
    pub updated_at: String,
}

/// The U1 answer: relative keys per category. A missing array reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    #[serde(default)]
    pub new_files: Vec<String>,
    #[serde(default)]
    pub updated_files: Vec<String>,
    #[serde(default)]
    pub moved_files: Vec<String>,
    #[serde(default)]
    pub deleted_files: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_url_prints_without_query_or_fragment() {
        let url = SignedUrl::new("https://blob.example/c/x?sig=SECRET&key=k#frag");
        assert_eq!(url.to_string(), "https://blob.example/c/x");
        assert_eq!(
            format!("{url:?}"),
            "SignedUrl(\"https://blob.example/c/x\")"
        );
        assert_eq!(
            url.expose(),
            "https://blob.example/c/x?sig=SECRET&key=k#frag"
        );
        assert_eq!(without_query("https://a/b#f?x"), "https://a/b");
    }

    #[test]
    fn enums_serialise_to_the_spec_strings() {
        let json =
            serde_json::to_string(&[AccessType::Manage, AccessType::Read, AccessType::Write])
                .expect("serialise");
        assert_eq!(json, r#"["MANAGE","READ","WRITE"]"#);
        let json = serde_json::to_string(&[
            SourceKind::ConfluenceCloud,
            SourceKind::ConfluenceDataCenter,
        ])
        .expect("serialise");
        assert_eq!(
            json,
            r#"["ATLASSIAN_CONFLUENCE_CLOUD","ATLASSIAN_CONFLUENCE_ONPREM"]"#
        );
    }
}
