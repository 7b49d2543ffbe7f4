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
