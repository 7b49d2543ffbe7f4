//! Settings and URL builders shared by the unit tests.

use crate::config::{
    AttachmentPolicy, IngestLabels, InlineImages, Instance, Settings, SourcePolicy,
};
use crate::urls::Api;

pub const GATEWAY: &str = "https://api.atlassian.com/ex/confluence/c1/wiki";

pub fn policy(allowed: &[&str], max_file_size: u64, inline: InlineImages) -> AttachmentPolicy {
    AttachmentPolicy {
        allowed_mime_types: allowed.iter().map(|m| (*m).to_owned()).collect(),
        max_file_size,
        inline_images: inline,
    }
}

pub fn cloud_settings(attachments: Option<AttachmentPolicy>, max_items: Option<u32>) -> Settings {
    Settings {
        instance: Instance::Cloud {
            cloud_id: "c1".into(),
            api_base: "https://api.atlassian.com/ex/confluence/c1".into(),
        },
        base_url: "https://acme.atlassian.net".into(),
        labels: IngestLabels {
            single: "ai-ingest".into(),
            all: "ai-ingest-all".into(),
        },
        policy: SourcePolicy {
            attachments,
            max_items,
        },
    }
}

pub fn dc_settings(
    base_url: &str,
    attachments: Option<AttachmentPolicy>,
    max_items: Option<u32>,
) -> Settings {
    Settings {
        instance: Instance::DataCenter,
        base_url: base_url.into(),
        ..cloud_settings(attachments, max_items)
    }
}

pub fn cloud_api() -> Api {
    Api::new(&cloud_settings(
        Some(policy(&["application/pdf"], 1024, InlineImages::Disabled)),
        None,
    ))
}

pub fn dc_api(base_url: &str) -> Api {
    Api::new(&dc_settings(
        base_url,
        Some(policy(&["application/pdf"], 1024, InlineImages::Disabled)),
        None,
    ))
}

/// JSON of one v1 attachment.
pub fn attachment_json(id: &str, title: &str, mime: &str, size: u64, when: Option<&str>) -> String {
    let version = when.map_or(String::new(), |w| format!(r#","version":{{"when":"{w}"}}"#));
    format!(
        r#"{{"id":"{id}","title":"{title}","extensions":{{"mediaType":"{mime}","fileSize":{size}}}{version},"_links":{{"download":"/download/attachments/x/{title}?version=1"}}}}"#
    )
}

/// Builder of one v1 content item as JSON.
#[derive(Clone)]
pub struct ItemJson {
    pub id: String,
    pub kind: String,
    pub space_key: String,
    pub labels: Vec<String>,
    pub when: String,
    pub attachments: Option<(Vec<String>, u32, String)>,
    pub body: Option<String>,
}

pub fn item(id: &str) -> ItemJson {
    ItemJson {
        id: id.into(),
        kind: "page".into(),
        space_key: "ENG".into(),
        labels: vec!["ai-ingest".into()],
        when: "2025-03-01T10:00:00.000Z".into(),
        attachments: None,
        body: None,
    }
}

impl ItemJson {
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = kind.into();
        self
    }
    pub fn space_key(mut self, key: &str) -> Self {
        self.space_key = key.into();
        self
    }
    pub fn labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|l| (*l).to_owned()).collect();
        self
    }
    pub fn when(mut self, when: &str) -> Self {
        self.when = when.into();
        self
    }
    /// Inline attachments with the given `size` field and `_links` object.
    pub fn attachments(mut self, list: Vec<String>, size: u32, links: &str) -> Self {
        self.attachments = Some((list, size, links.into()));
        self
    }
    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(body.into());
        self
    }
    pub fn json(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|l| format!(r#"{{"prefix":"global","name":"{l}"}}"#))
            .collect();
        let children = self.attachments.as_ref().map_or(String::new(), |(list, size, links)| {
            format!(
                r#","children":{{"attachment":{{"results":[{}],"start":0,"limit":25,"size":{size},"_links":{links}}}}}"#,
                list.join(",")
            )
        });
        let body = self.body.as_ref().map_or(String::new(), |b| {
            format!(
                r#","body":{{"storage":{{"value":{},"representation":"storage"}}}}"#,
                serde_json::Value::String(b.clone())
            )
        });
        format!(
            r#"{{"id":"{id}","type":"{kind}","title":"Title {id}","space":{{"id":98307,"key":"{key}","name":"Engineering"}},"version":{{"when":"{when}"}},"metadata":{{"labels":{{"results":[{labels}]}}}},"_links":{{"webui":"/spaces/{key}/pages/{id}"}}{children}{body}}}"#,
            id = self.id,
            kind = self.kind,
            key = self.space_key,
            when = self.when,
            labels = labels.join(","),
        )
    }
}

/// A v1 list answer of the given items, with an optional `next` link and no context (so the
/// default context of the product applies).
pub fn list_answer(items: &[ItemJson], next: Option<&str>) -> crate::request::HttpResponse {
    let results: Vec<String> = items.iter().map(ItemJson::json).collect();
    let next = next.map_or(String::new(), |n| format!(r#""next":"{n}""#));
    crate::request::HttpResponse::new(
        200,
        format!(
            r#"{{"results":[{}],"start":0,"limit":100,"size":{},"_links":{{{next}}}}}"#,
            results.join(","),
            items.len()
        ),
    )
}
