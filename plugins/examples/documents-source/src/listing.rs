//! The document API's answers and how they become discovered items and page contents. Pure
//! functions over parsed JSON, so they are unit-tested natively.

use connector_plugin_sdk::Container;
use connector_plugin_sdk::source::{
    Attachment, AttachmentPolicy, Download, Item, Page, PageContent,
};
use serde::Deserialize;

/// One page of `GET /api/documents`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub results: Vec<Document>,
    pub next_cursor: Option<String>,
}

/// A document as the API lists it (`GET /api/documents/{id}` adds `body`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: String,
    pub title: String,
    pub collection: Collection,
    #[serde(default)]
    pub labels: Vec<String>,
    pub updated_at: String,
    pub url: String,
    #[serde(default)]
    pub attachments: Vec<DocumentFile>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Collection {
    pub id: String,
    pub key: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFile {
    pub id: String,
    pub title: String,
    pub media_type: String,
    pub size: u64,
    pub download_url: String,
}

impl Collection {
    fn container(&self) -> Container {
        Container {
            id: self.id.clone(),
            key: self.key.clone(),
            name: self.name.clone(),
        }
    }
}

/// Why a document is skipped instead of reported.
pub fn unusable(document: &Document) -> Option<&'static str> {
    let bad_id = |id: &str| id.is_empty() || id.contains('/') || id.contains("::");
    if bad_id(&document.id) {
        Some("its id is empty or contains `/` or `::`")
    } else if document.collection.key.is_empty() || document.collection.key.contains([':', '/']) {
        Some("its collection key is empty or contains `:` or `/`")
    } else {
        None
    }
}

/// The document as a page, followed by the attachments the tenant's policy admits.
pub fn items_of(document: &Document, policy: Option<&AttachmentPolicy>) -> Vec<Item> {
    let mut items = vec![Item::Page(Page {
        id: document.id.clone(),
        kind: "document".into(),
        title: document.title.clone(),
        container: document.collection.container(),
        labels: document.labels.clone(),
        updated_at: document.updated_at.clone(),
        url: document.url.clone(),
    })];
    let Some(policy) = policy else { return items };
    items.extend(
        document
            .attachments
            .iter()
            .filter(|file| admits(policy, file))
            .map(|file| {
                Item::Attachment(Attachment {
                    id: file.id.clone(),
                    page_id: document.id.clone(),
                    title: file.title.clone(),
                    media_type: file.media_type.clone(),
                    size: file.size,
                    updated_at: document.updated_at.clone(),
                    url: file.download_url.clone(),
                    download: Download {
                        url: file.download_url.clone(),
                        headers: Vec::new(),
                    },
                })
            }),
    );
    items
}

/// Whether the policy admits the file: allowed MIME type (without parameters), size in range.
fn admits(policy: &AttachmentPolicy, file: &DocumentFile) -> bool {
    let mime = file
        .media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    file.size > 0 && file.size <= policy.max_file_size && policy.allowed_mime_types.contains(&mime)
}

/// The fetched document as page content, labels sorted.
pub fn content_of(document: Document) -> PageContent {
    let mut labels = document.labels;
    labels.sort();
    PageContent {
        container: document.collection.container(),
        id: document.id,
        title: document.title,
        labels,
        url: document.url,
        mime_type: "text/html".into(),
        body: document.body.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    const LISTING: &str = r#"{"results": [{
        "id": "doc-1", "title": "Runbook", "collection": {"id": "c1", "key": "OPS", "name": "Operations"},
        "labels": ["ai-ingest", "ops"], "updatedAt": "2026-01-01T00:00:00Z", "url": "http://docs/docs/doc-1",
        "attachments": [
            {"id": "a1", "title": "plan.pdf", "mediaType": "application/pdf; version=1.7", "size": 10, "downloadUrl": "http://docs/a1"},
            {"id": "a2", "title": "huge.pdf", "mediaType": "application/pdf", "size": 999, "downloadUrl": "http://docs/a2"},
            {"id": "a3", "title": "tool.exe", "mediaType": "application/octet-stream", "size": 5, "downloadUrl": "http://docs/a3"}
        ]}], "nextCursor": "doc-1"}"#;

    fn policy() -> AttachmentPolicy {
        AttachmentPolicy {
            allowed_mime_types: vec!["application/pdf".into()],
            max_file_size: 100,
            inline_images: false,
        }
    }

    #[test]
    fn a_document_becomes_its_page_then_the_attachments_the_policy_admits() {
        let listing: Listing = serde_json::from_str(LISTING).unwrap();
        assert_eq!(listing.next_cursor.as_deref(), Some("doc-1"));
        let items = items_of(&listing.results[0], Some(&policy()));
        let ids: Vec<String> = items
            .iter()
            .map(|item| match item {
                Item::Page(page) => format!("page {} in {}", page.id, page.container.key),
                Item::Attachment(file) => format!("attachment {} of {}", file.id, file.page_id),
            })
            .collect();
        assert_eq!(ids, vec!["page doc-1 in OPS", "attachment a1 of doc-1"]);
    }

    #[test]
    fn without_an_attachment_policy_only_the_page_is_reported() {
        let listing: Listing = serde_json::from_str(LISTING).unwrap();
        assert_eq!(items_of(&listing.results[0], None).len(), 1);
    }

    #[test]
    fn documents_whose_ids_would_break_content_keys_are_unusable() {
        let mut listing: Listing = serde_json::from_str(LISTING).unwrap();
        assert_eq!(unusable(&listing.results[0]), None);
        listing.results[0].id = "a/b".into();
        assert_eq!(
            unusable(&listing.results[0]),
            Some("its id is empty or contains `/` or `::`")
        );
    }

    #[test]
    fn fetched_content_has_sorted_labels_and_the_body() {
        let mut document: Document = serde_json::from_str::<Listing>(LISTING)
            .unwrap()
            .results
            .remove(0);
        document.labels = vec!["ops".into(), "ai-ingest".into()];
        document.body = Some("<p>hi</p>".into());
        let content = content_of(document);
        assert_eq!(content.labels, vec!["ai-ingest", "ops"]);
        assert_eq!(content.body, "<p>hi</p>");
    }
}
