//! JSON rendering of content items and attachments (v1 and v2 shapes), honouring `expand`.

use std::collections::BTreeSet;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::Flavor;
use super::model::{Attachment, ConfluenceModel, Content, Item};
use crate::clock::epoch_millis;

/// How many attachments `children.attachment` inlines.
pub const INLINE_ATTACHMENT_LIMIT: usize = 25;

/// Characters left as they are by JavaScript's `encodeURIComponent`, the form Confluence uses.
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// The `expand` parameter as a set of dotted paths.
#[derive(Clone, Debug, Default)]
pub struct Expand {
    paths: BTreeSet<String>,
}

impl Expand {
    pub fn parse(raw: Option<&str>) -> Self {
        Expand {
            paths: raw
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// True when `path` or anything below it is expanded (`children.attachment.version`
    /// implies `children.attachment`).
    pub fn has(&self, path: &str) -> bool {
        self.paths.iter().any(|p| {
            p == path
                || p.strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    pub fn expands_body(&self) -> bool {
        self.has("body")
    }

    pub fn raw(&self) -> String {
        self.paths.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

/// What rendering needs to know about the instance.
#[derive(Clone, Debug)]
pub struct RenderContext<'a> {
    pub flavor: Flavor,
    /// `_links.base`: Cloud site + `/wiki`, DC base URL.
    pub links_base: &'a str,
    /// `_links.context`: Cloud `/wiki`, DC the context path.
    pub links_context: &'a str,
}

fn title_for_webui(title: &str) -> String {
    utf8_percent_encode(title, COMPONENT)
        .to_string()
        .replace("%20", "+")
}

/// `_links.webui` of a content item.
pub fn webui(flavor: Flavor, content: &Content) -> String {
    match flavor {
        Flavor::DataCenter => format!("/pages/viewpage.action?pageId={}", content.id),
        Flavor::Cloud => {
            let space = &content.space_key;
            let id = &content.id;
            match content.content_type.as_str() {
                "page" => format!(
                    "/spaces/{space}/pages/{id}/{}",
                    title_for_webui(&content.title)
                ),
                "blogpost" => {
                    let date = content
                        .when
                        .get(..10)
                        .unwrap_or("2025-01-01")
                        .replace('-', "/");
                    format!(
                        "/spaces/{space}/blog/{date}/{id}/{}",
                        title_for_webui(&content.title)
                    )
                }
                other => format!("/spaces/{space}/{other}/{id}"),
            }
        }
    }
}

/// `_links.download` of an attachment (relative, without the context path).
pub fn download_link(content: &Content, attachment: &Attachment) -> String {
    format!(
        "/download/attachments/{}/{}?version={}&modificationDate={}&cacheVersion=1&api=v2",
        content.id,
        encode_component(&attachment.title),
        attachment.version,
        epoch_millis(&attachment.when)
    )
}

fn attachment_webui(content: &Content, attachment: &Attachment) -> String {
    let numeric = attachment.id.trim_start_matches("att");
    format!(
        "/pages/viewpageattachments.action?pageId={}&preview={}",
        content.id,
        encode_component(&format!("/{}/{}/{}", content.id, numeric, attachment.title))
    )
}

fn version_json(number: u32, when: &str) -> Value {
    json!({
        "by": {"type": "known", "displayName": "Simulated User", "accountId": "sim-user"},
        "when": when,
        "number": number,
        "minorEdit": false,
    })
}

/// A v1 attachment. `version` appears only when asked for (`children.attachment.version`).
pub fn attachment_v1(content: &Content, attachment: &Attachment, with_version: bool) -> Value {
    let mut value = json!({
        "id": attachment.id,
        "type": "attachment",
        "status": "current",
        "title": attachment.title,
        "metadata": {"mediaType": attachment.media_type},
        "extensions": {"mediaType": attachment.media_type, "fileSize": attachment.file_size(), "comment": ""},
        "_links": {
            "webui": attachment_webui(content, attachment),
            "download": download_link(content, attachment),
        },
    });
    if with_version {
        value["version"] = version_json(attachment.version, &attachment.when);
    } else {
        value["_expandable"] = json!({"version": "", "container": ""});
    }
    value
}

/// A v2 attachment (Cloud `api/v2/{pages|blogposts}/{id}/attachments`).
pub fn attachment_v2(content: &Content, attachment: &Attachment) -> Value {
    let container_field = if content.content_type.as_str() == "blogpost" {
        "blogPostId"
    } else {
        "pageId"
    };
    let mut value = json!({
        "id": attachment.id,
        "status": "current",
        "title": attachment.title,
        "createdAt": attachment.when,
        "mediaType": attachment.media_type,
        "mediaTypeDescription": "",
        "comment": "",
        "fileId": format!("file-{}", attachment.id),
        "fileSize": attachment.file_size(),
        "webuiLink": attachment_webui(content, attachment),
        "downloadLink": download_link(content, attachment),
        "version": {"createdAt": attachment.when, "message": "", "number": attachment.version, "minorEdit": false, "authorId": "sim-user"},
        "_links": {"webui": attachment_webui(content, attachment), "download": download_link(content, attachment)},
    });
    value[container_field] = json!(content.id);
    value
}

/// A v1 content item with the requested expansions.
pub fn content_v1(
    model: &ConfluenceModel,
    content: &Content,
    expand: &Expand,
    ctx: &RenderContext<'_>,
) -> Value {
    let mut expandable = serde_json::Map::new();
    let mut value = json!({
        "id": content.id,
        "type": content.content_type.as_str(),
        "status": "current",
        "title": content.title,
        "_links": {
            "webui": webui(ctx.flavor, content),
            "self": format!("{}/rest/api/content/{}", ctx.links_base, content.id),
            "tinyui": format!("/x/{}", content.id),
        },
    });
    if expand.has("space") {
        if let Some(space) = model.space(&content.space_key) {
            value["space"] = json!({
                "id": space.id,
                "key": space.key,
                "name": space.name,
                "type": space.space_type.as_str(),
                "status": "current",
                "_links": {"webui": format!("/spaces/{}", space.key)},
            });
        }
    } else {
        expandable.insert(
            "space".into(),
            json!(format!("/rest/api/space/{}", content.space_key)),
        );
    }
    if expand.has("version") {
        value["version"] = version_json(content.version, &content.when);
    } else {
        expandable.insert("version".into(), json!(""));
    }
    if expand.has("metadata.labels") {
        let labels: Vec<Value> = content
            .labels
            .iter()
            .map(|l| json!({"prefix": "global", "name": l, "id": format!("label-{l}"), "label": l}))
            .collect();
        value["metadata"] = json!({"labels": {
            "results": labels, "start": 0, "limit": 200, "size": labels.len(), "_links": {}
        }});
    } else {
        expandable.insert("metadata".into(), json!(""));
    }
    if expand.has("body.storage") {
        let body = content.body.clone().unwrap_or_default();
        value["body"] =
            json!({"storage": {"value": body, "representation": "storage", "embeddedContent": []}});
    } else {
        expandable.insert("body".into(), json!(""));
    }
    if expand.has("ancestors") {
        let ancestors: Vec<Value> = model
            .ancestors(content)
            .iter()
            .rev()
            .filter_map(|id| model.content(id))
            .map(|a| json!({"id": a.id, "type": a.content_type.as_str(), "title": a.title}))
            .collect();
        value["ancestors"] = json!(ancestors);
    } else {
        expandable.insert("ancestors".into(), json!(""));
    }
    if expand.has("children.attachment") {
        value["children"] = json!({"attachment": inline_attachments(content, expand, ctx)});
    } else {
        expandable.insert("children".into(), json!(""));
    }
    value["_expandable"] = Value::Object(expandable);
    value
}

fn inline_attachments(content: &Content, expand: &Expand, ctx: &RenderContext<'_>) -> Value {
    let with_version = expand.has("children.attachment.version");
    let results: Vec<Value> = content
        .attachments
        .iter()
        .take(INLINE_ATTACHMENT_LIMIT)
        .map(|a| attachment_v1(content, a, with_version))
        .collect();
    let mut links = json!({});
    if content.attachments.len() > INLINE_ATTACHMENT_LIMIT {
        let version = if with_version { "&expand=version" } else { "" };
        links["next"] = json!(format!(
            "{}/rest/api/content/{}/child/attachment?limit={INLINE_ATTACHMENT_LIMIT}&start={INLINE_ATTACHMENT_LIMIT}{version}",
            ctx.links_context, content.id
        ));
    }
    json!({
        "results": results,
        "start": 0,
        "limit": INLINE_ATTACHMENT_LIMIT,
        "size": results.len(),
        "_links": links,
    })
}

/// A search result: a content item, or an attachment when the query lets them through.
pub fn item_v1(
    model: &ConfluenceModel,
    item: Item<'_>,
    expand: &Expand,
    ctx: &RenderContext<'_>,
) -> Value {
    match item {
        Item::Content(content) => content_v1(model, content, expand, ctx),
        Item::Attachment(content, attachment) => {
            let mut value = attachment_v1(content, attachment, expand.has("version"));
            value["container"] = json!({"id": content.id, "type": content.content_type.as_str(), "title": content.title});
            value
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_of_a_child_path_implies_the_parent() {
        let e = Expand::parse(Some("metadata.labels,children.attachment.version"));
        assert!(e.has("children.attachment"));
        assert!(e.has("children.attachment.version"));
        assert!(e.has("metadata.labels"));
        assert!(!e.has("metadata.properties"));
        assert!(!e.has("body"));
        assert!(!Expand::parse(Some("versions")).has("version"));
    }

    #[test]
    fn component_encoding_keeps_the_unreserved_marks() {
        assert_eq!(
            encode_component("/100/200/report (final).pdf"),
            "%2F100%2F200%2Freport%20(final).pdf"
        );
    }
}
