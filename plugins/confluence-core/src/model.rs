//! Confluence answers (`confluence-api.md` §6.2, §6.3, §8) parsed into the shapes the rest of
//! the crate uses. Unknown JSON keys are ignored; an unknown content `type` skips that one result
//! with a warning; anything else malformed fails the whole answer.

use serde::Deserialize;
use serde_json::Value;

use crate::notice::Notice;
use crate::urls::{Api, LinkContext};

/// An answer that does not have the expected shape.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("answer is not the expected JSON: {0}")]
    /// The body is not JSON of the expected list shape (for example `_links` is missing).
    Json(String),
    #[error("result {index} (id {id}) is malformed: {reason}")]
    /// One result of a known type is malformed; the whole answer is refused.
    Item {
        /// Position in `results`.
        index: usize,
        /// The result's `id`, or `?`.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Kinds of content items discovery knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// `page`
    Page,
    /// `blogpost`
    BlogPost,
    /// `folder` (no body)
    Folder,
    /// `database` (dropped after discovery)
    Database,
    /// `whiteboard` (dropped after discovery)
    Whiteboard,
    /// `embed` (dropped after discovery)
    Embed,
}

impl ContentKind {
    fn from_type(kind: &str) -> Option<Self> {
        Some(match kind {
            "page" => Self::Page,
            "blogpost" => Self::BlogPost,
            "folder" => Self::Folder,
            "database" => Self::Database,
            "whiteboard" => Self::Whiteboard,
            "embed" => Self::Embed,
            _ => return None,
        })
    }

    /// The Confluence `type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::BlogPost => "blogpost",
            Self::Folder => "folder",
            Self::Database => "database",
            Self::Whiteboard => "whiteboard",
            Self::Embed => "embed",
        }
    }

    /// Whether items of this kind are ingested (sync-flow §4 step 5).
    pub fn is_kept(self) -> bool {
        matches!(self, Self::Page | Self::BlogPost | Self::Folder)
    }
}

/// The space of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    /// `space.id` as a string (Cloud v1 answers a number).
    pub id: String,
    /// `space.key`.
    pub key: String,
    /// `space.name` (empty when absent).
    pub name: String,
}

/// An attachment, v1 shape (v2 answers are mapped onto it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Cloud `att…`, DC numeric.
    pub id: String,
    /// The file name.
    pub title: String,
    /// Raw `extensions.mediaType`, possibly with parameters.
    pub media_type: String,
    /// `extensions.fileSize` in bytes.
    pub file_size: u64,
    /// `version.when` (v2: `version.createdAt`).
    pub version_when: Option<String>,
    /// Where the bytes are fetched: Cloud C6, DC the resolved `_links.download`.
    pub download_url: String,
}

impl Attachment {
    /// `mediaType` up to the first `;`, trimmed, lower-cased.
    pub fn normalised_mime(&self) -> String {
        normalise_mime(&self.media_type)
    }
}

/// Normalises a MIME type: up to the first `;`, trimmed, lower-cased.
pub fn normalise_mime(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The `children.attachment` part of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineAttachments {
    /// The attachments (after completion: the full list).
    pub results: Vec<Attachment>,
    /// `limit`, if answered.
    pub limit: Option<u64>,
    /// `size`, if answered.
    pub size: Option<u64>,
    /// The resolved `children.attachment._links.next` (DC D5).
    pub next: Option<String>,
}

impl InlineAttachments {
    /// Whether Confluence capped the inline list (§6.3): `size >= limit`.
    pub fn is_capped(&self) -> bool {
        matches!((self.size, self.limit), (Some(size), Some(limit)) if size >= limit)
    }
}

/// A v1 content item (page, blog post, folder, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentItem {
    /// Content id.
    pub id: String,
    /// Content type.
    pub kind: ContentKind,
    /// Title (empty when absent).
    pub title: String,
    /// The item's space.
    pub space: Space,
    /// `version.when`, ISO-8601, as sent.
    pub version_when: String,
    /// `_links.webui`.
    pub webui: String,
    /// `metadata.labels.results[].name`, as answered.
    pub labels: Vec<String>,
    /// `body.storage.value`, only in body fetches.
    pub body: Option<String>,
    /// `children.attachment`, when expanded.
    pub attachments: Option<InlineAttachments>,
}

/// One page of a v1 content list answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentList {
    /// Results of known types.
    pub items: Vec<ContentItem>,
    /// The resolved `_links.next`.
    pub next: Option<String>,
    /// Results skipped for an unknown `type`.
    pub warnings: Vec<Notice>,
}

/// One page of an attachment list answer (v1 D5 or v2 C5/C5b).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentList {
    /// The attachments of this page of the list.
    pub attachments: Vec<Attachment>,
    /// The resolved `_links.next`.
    pub next: Option<String>,
}

#[derive(Deserialize)]
struct RawLinks {
    next: Option<String>,
    base: Option<String>,
    context: Option<String>,
}

impl RawLinks {
    fn context(&self) -> LinkContext {
        LinkContext {
            context: self.context.clone(),
            base: self.base.clone(),
        }
    }
}

#[derive(Deserialize)]
struct RawList {
    results: Vec<Value>,
    #[serde(rename = "_links")]
    links: RawLinks,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Number(serde_json::Number),
}

impl StringOrNumber {
    fn into_string(self) -> String {
        match self {
            Self::String(s) => s,
            Self::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct RawSpace {
    id: StringOrNumber,
    key: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawVersion {
    when: String,
}

#[derive(Deserialize)]
struct RawOptionalVersion {
    when: Option<String>,
}

#[derive(Deserialize)]
struct RawWebLinks {
    webui: String,
}

#[derive(Deserialize)]
struct RawLabel {
    name: String,
}

#[derive(Deserialize)]
struct RawLabels {
    results: Vec<RawLabel>,
}

#[derive(Deserialize)]
struct RawMetadata {
    labels: RawLabels,
}

#[derive(Deserialize)]
struct RawStorage {
    value: Option<String>,
}

#[derive(Deserialize)]
struct RawBody {
    storage: Option<RawStorage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExtensions {
    media_type: String,
    file_size: u64,
}

#[derive(Deserialize)]
struct RawDownloadLinks {
    download: String,
}

#[derive(Deserialize)]
struct RawAttachment {
    id: String,
    #[serde(default)]
    title: String,
    extensions: RawExtensions,
    version: Option<RawOptionalVersion>,
    #[serde(rename = "_links")]
    links: RawDownloadLinks,
}

#[derive(Deserialize)]
struct RawChildLinks {
    next: Option<String>,
    base: Option<String>,
    context: Option<String>,
}

#[derive(Deserialize)]
struct RawAttachmentChildren {
    results: Vec<RawAttachment>,
    limit: Option<u64>,
    size: Option<u64>,
    #[serde(rename = "_links")]
    links: Option<RawChildLinks>,
}

#[derive(Deserialize)]
struct RawChildren {
    attachment: Option<RawAttachmentChildren>,
}

#[derive(Deserialize)]
struct RawContent {
    id: String,
    #[serde(default)]
    title: String,
    space: RawSpace,
    version: RawVersion,
    #[serde(rename = "_links")]
    links: RawWebLinks,
    metadata: RawMetadata,
    body: Option<RawBody>,
    children: Option<RawChildren>,
}

#[derive(Deserialize)]
struct RawV2Version {
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawV2Attachment {
    id: String,
    #[serde(default)]
    title: String,
    media_type: String,
    file_size: u64,
    version: Option<RawV2Version>,
}

fn json_error(error: serde_json::Error) -> ModelError {
    ModelError::Json(error.to_string())
}

fn item_error(index: usize, value: &Value, reason: impl ToString) -> ModelError {
    ModelError::Item {
        index,
        id: value
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        reason: reason.to_string(),
    }
}

/// Parses a v1 content list answer (C1–C4, D1, D2, D4 and the batched body search).
pub fn parse_content_list(body: &[u8], api: &Api) -> Result<ContentList, ModelError> {
    let raw: RawList = serde_json::from_slice(body).map_err(json_error)?;
    let links = raw.links.context();
    let mut items = Vec::with_capacity(raw.results.len());
    let mut warnings = Vec::new();
    for (index, value) in raw.results.into_iter().enumerate() {
        match parse_item_value(index, value, api, &links)? {
            Parsed::Item(item) => items.push(*item),
            Parsed::UnknownType(warning) => warnings.push(warning),
        }
    }
    let next = raw.links.next.map(|next| api.resolve_link(&next, &links));
    Ok(ContentList {
        items,
        next,
        warnings,
    })
}

/// Parses a single content object (D3). An unknown type is an error here: there is no list to
/// skip it from.
pub fn parse_content_object(body: &[u8], api: &Api) -> Result<ContentItem, ModelError> {
    let value: Value = serde_json::from_slice(body).map_err(json_error)?;
    let links = value
        .get("_links")
        .map(|l| LinkContext {
            context: l.get("context").and_then(Value::as_str).map(str::to_owned),
            base: l.get("base").and_then(Value::as_str).map(str::to_owned),
        })
        .unwrap_or_default();
    match parse_item_value(0, value, api, &links)? {
        Parsed::Item(item) => Ok(*item),
        Parsed::UnknownType(notice) => Err(ModelError::Json(notice.to_string())),
    }
}

enum Parsed {
    Item(Box<ContentItem>),
    UnknownType(Notice),
}

fn parse_item_value(
    index: usize,
    value: Value,
    api: &Api,
    links: &LinkContext,
) -> Result<Parsed, ModelError> {
    let type_name = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| item_error(index, &value, "missing string field `type`"))?;
    let Some(kind) = ContentKind::from_type(type_name) else {
        let id = value.get("id").and_then(Value::as_str).unwrap_or("?");
        return Ok(Parsed::UnknownType(
            Notice::new("skipped a search result of unknown content type")
                .plain("id", id)
                .plain("type", type_name),
        ));
    };
    let raw: RawContent =
        serde_json::from_value(value.clone()).map_err(|e| item_error(index, &value, e))?;
    let attachments = raw
        .children
        .and_then(|children| children.attachment)
        .map(|children| {
            let child_links = children.links;
            let child_context = child_links
                .as_ref()
                .map(|l| LinkContext {
                    context: l.context.clone(),
                    base: l.base.clone(),
                })
                .unwrap_or_default()
                .or(links);
            InlineAttachments {
                results: children
                    .results
                    .into_iter()
                    .map(|a| v1_attachment(a, &raw.id, api, &child_context))
                    .collect(),
                limit: children.limit,
                size: children.size,
                next: child_links
                    .and_then(|l| l.next)
                    .map(|next| api.resolve_link(&next, &child_context)),
            }
        });
    Ok(Parsed::Item(Box::new(ContentItem {
        kind,
        title: raw.title,
        space: Space {
            id: raw.space.id.into_string(),
            key: raw.space.key,
            name: raw.space.name,
        },
        version_when: raw.version.when,
        webui: raw.links.webui,
        labels: raw
            .metadata
            .labels
            .results
            .into_iter()
            .map(|l| l.name)
            .collect(),
        body: raw.body.and_then(|b| b.storage).and_then(|s| s.value),
        attachments,
        id: raw.id,
    })))
}

fn v1_attachment(raw: RawAttachment, page_id: &str, api: &Api, links: &LinkContext) -> Attachment {
    Attachment {
        download_url: api.attachment_download(page_id, &raw.id, &raw.links.download, links),
        id: raw.id,
        title: raw.title,
        media_type: raw.extensions.media_type,
        file_size: raw.extensions.file_size,
        version_when: raw.version.and_then(|v| v.when),
    }
}

fn parse_attachment_values<T: for<'de> Deserialize<'de>>(
    results: Vec<Value>,
) -> Result<Vec<T>, ModelError> {
    results
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            serde_json::from_value(value.clone()).map_err(|e| item_error(index, &value, e))
        })
        .collect()
}

/// Parses a v1 attachment list answer (D5) of the attachments of `page_id`.
pub fn parse_v1_attachment_list(
    body: &[u8],
    page_id: &str,
    api: &Api,
) -> Result<AttachmentList, ModelError> {
    let raw: RawList = serde_json::from_slice(body).map_err(json_error)?;
    let links = raw.links.context();
    let attachments = parse_attachment_values::<RawAttachment>(raw.results)?
        .into_iter()
        .map(|a| v1_attachment(a, page_id, api, &links))
        .collect();
    Ok(AttachmentList {
        attachments,
        next: raw.links.next.map(|next| api.resolve_link(&next, &links)),
    })
}

/// Parses a v2 attachment list answer (C5, C5b) of the attachments of `page_id`, mapped to v1.
pub fn parse_v2_attachment_list(
    body: &[u8],
    page_id: &str,
    api: &Api,
) -> Result<AttachmentList, ModelError> {
    let raw: RawList = serde_json::from_slice(body).map_err(json_error)?;
    let links = raw.links.context();
    let attachments = parse_attachment_values::<RawV2Attachment>(raw.results)?
        .into_iter()
        .map(|a| Attachment {
            download_url: api.attachment_download(page_id, &a.id, "", &links),
            id: a.id,
            title: a.title,
            media_type: a.media_type,
            file_size: a.file_size,
            version_when: a.version.and_then(|v| v.created_at),
        })
        .collect();
    Ok(AttachmentList {
        attachments,
        next: raw.links.next.map(|next| api.resolve_link(&next, &links)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{cloud_api, dc_api};

    const SPEC_ITEM: &str = r#"{"id":"100","type":"page","title":"Runbook",
 "space":{"id":98307,"key":"ENG","name":"Engineering"},
 "version":{"when":"2025-03-01T10:00:00.000Z"},
 "metadata":{"labels":{"results":[{"prefix":"global","name":"ai-ingest"}]}},
 "_links":{"webui":"/spaces/ENG/pages/100/Runbook"},
 "children":{"attachment":{"results":[
   {"id":"att200","title":"diagram.png","extensions":{"mediaType":"image/png","fileSize":5120},
    "version":{"when":"2025-03-01T09:00:00.000Z"},
    "_links":{"download":"/download/attachments/100/diagram.png?version=1&api=v2"}}],
   "start":0,"limit":25,"size":1,"_links":{}}}}"#;

    fn list(items: &str, links: &str) -> Vec<u8> {
        format!(r#"{{"results":[{items}],"start":0,"limit":100,"size":1,"_links":{links}}}"#)
            .into_bytes()
    }

    #[test]
    fn spec_example_item_parses_with_numeric_space_id_as_string() {
        let answer = parse_content_list(&list(SPEC_ITEM, "{}"), &cloud_api()).unwrap();
        let item = &answer.items[0];
        assert_eq!(item.space.id, "98307");
        assert_eq!(item.kind, ContentKind::Page);
        assert_eq!(item.labels, vec!["ai-ingest"]);
        let attachments = item.attachments.as_ref().unwrap();
        assert!(!attachments.is_capped());
        assert_eq!(attachments.results[0].file_size, 5120);
        assert_eq!(
            attachments.results[0].download_url,
            "https://api.atlassian.com/ex/confluence/c1/wiki/rest/api/content/100/child/attachment/att200/download"
        );
        assert_eq!(answer.next, None);
    }

    #[test]
    fn string_space_id_is_kept() {
        let item = SPEC_ITEM.replace("\"id\":98307", "\"id\":\"98307\"");
        let answer = parse_content_list(&list(&item, "{}"), &cloud_api()).unwrap();
        assert_eq!(answer.items[0].space.id, "98307");
    }

    #[test]
    fn answer_without_links_fails() {
        let body = format!(r#"{{"results":[{SPEC_ITEM}]}}"#);
        let err = parse_content_list(body.as_bytes(), &cloud_api()).unwrap_err();
        assert!(err.to_string().contains("_links"), "{err}");
    }

    #[test]
    fn unknown_type_is_skipped_with_a_warning() {
        let other = SPEC_ITEM
            .replace("\"type\":\"page\"", "\"type\":\"comment\"")
            .replace("\"100\"", "\"101\"");
        let answer =
            parse_content_list(&list(&format!("{SPEC_ITEM},{other}"), "{}"), &cloud_api()).unwrap();
        assert_eq!(answer.items.len(), 1);
        assert_eq!(
            answer.warnings[0].to_string(),
            "skipped a search result of unknown content type (id=101, type=comment)"
        );
    }

    #[test]
    fn known_item_missing_a_required_field_fails_the_answer() {
        let broken = SPEC_ITEM.replace(r#""version":{"when":"2025-03-01T10:00:00.000Z"},"#, "");
        let err = parse_content_list(&list(&broken, "{}"), &cloud_api()).unwrap_err();
        assert!(
            matches!(&err, ModelError::Item { index: 0, id, reason } if id == "100" && reason.contains("version")),
            "{err}"
        );
    }

    #[test]
    fn attachment_without_media_type_fails_the_answer() {
        let broken = SPEC_ITEM.replace(r#""mediaType":"image/png","#, "");
        assert!(parse_content_list(&list(&broken, "{}"), &cloud_api()).is_err());
    }

    #[test]
    fn missing_labels_fail_the_answer() {
        let broken = SPEC_ITEM.replace(
            r#""metadata":{"labels":{"results":[{"prefix":"global","name":"ai-ingest"}]}},"#,
            "",
        );
        assert!(parse_content_list(&list(&broken, "{}"), &cloud_api()).is_err());
    }

    #[test]
    fn next_link_is_resolved_with_the_answer_context() {
        let answer = parse_content_list(
            &list(SPEC_ITEM, r#"{"next":"/rest/api/content/search?cursor=abc","base":"https://acme.atlassian.net/wiki","context":"/wiki"}"#),
            &cloud_api(),
        )
        .unwrap();
        assert_eq!(
            answer.next.as_deref(),
            Some(
                "https://api.atlassian.com/ex/confluence/c1/wiki/rest/api/content/search?cursor=abc"
            )
        );
    }

    #[test]
    fn data_center_download_and_child_next_are_resolved() {
        let item = SPEC_ITEM
            .replace("\"limit\":25,\"size\":1,\"_links\":{}", "\"limit\":25,\"size\":25,\"_links\":{\"next\":\"/confluence/rest/api/content/100/child/attachment?start=25\"}")
            .replace("/download/attachments", "/confluence/download/attachments");
        let api = dc_api("https://w.example/confluence");
        let answer =
            parse_content_list(&list(&item, r#"{"context":"/confluence"}"#), &api).unwrap();
        let attachments = answer.items[0].attachments.as_ref().unwrap();
        assert!(attachments.is_capped());
        assert_eq!(
            attachments.next.as_deref(),
            Some("https://w.example/confluence/rest/api/content/100/child/attachment?start=25")
        );
        assert_eq!(
            attachments.results[0].download_url,
            "https://w.example/confluence/download/attachments/100/diagram.png?version=1&api=v2"
        );
    }

    #[test]
    fn v2_attachments_map_to_v1_fields() {
        let body = br#"{"results":[{"id":"att5","title":"a.pdf","mediaType":"application/pdf; x=y","fileSize":12,
            "downloadLink":"/download/x","version":{"createdAt":"2025-01-01T00:00:00Z"}},
            {"id":"att6","title":"b.pdf","mediaType":"application/pdf","fileSize":0}],
            "_links":{"next":"/wiki/api/v2/pages/100/attachments?cursor=z&limit=250","base":"https://acme.atlassian.net/wiki"}}"#;
        let list = parse_v2_attachment_list(body, "100", &cloud_api()).unwrap();
        assert_eq!(
            list.attachments[0].version_when.as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(list.attachments[0].normalised_mime(), "application/pdf");
        assert_eq!(list.attachments[1].version_when, None);
        assert_eq!(
            list.next.as_deref(),
            Some(
                "https://api.atlassian.com/ex/confluence/c1/wiki/api/v2/pages/100/attachments?cursor=z&limit=250"
            )
        );
    }

    #[test]
    fn v2_file_size_as_string_fails() {
        let body = br#"{"results":[{"id":"att5","title":"a","mediaType":"a/b","fileSize":"12"}],"_links":{}}"#;
        assert!(parse_v2_attachment_list(body, "100", &cloud_api()).is_err());
    }

    #[test]
    fn mime_is_normalised() {
        assert_eq!(normalise_mime(" Text/Plain ; charset=UTF-8"), "text/plain");
    }

    #[test]
    fn single_content_object_parses_body() {
        let item = SPEC_ITEM.replace(
            "\"title\":\"Runbook\",",
            "\"title\":\"Runbook\",\"body\":{\"storage\":{\"value\":\"<p>x</p>\"}},",
        );
        let parsed = parse_content_object(item.as_bytes(), &dc_api("https://w.example")).unwrap();
        assert_eq!(parsed.body.as_deref(), Some("<p>x</p>"));
    }
}
