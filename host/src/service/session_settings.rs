//! The settings a tenant's plugin session opens with: the plugin's own config section as JSON
//! plus the host-level policies (attachments, item cap). Never a secret.

use crate::config::{ImageInlining, Tenant};
use crate::plugin_runtime::source::{AttachmentPolicy, SessionSettings};

/// The session settings of `tenant`.
pub fn session_settings(tenant: &Tenant) -> SessionSettings {
    let inline_images = !matches!(tenant.ingestion.image_inlining, ImageInlining::Disabled);
    SessionSettings {
        tenant: tenant.name.to_string(),
        config: tenant.plugin_config_json().to_string(),
        attachments: tenant
            .ingestion
            .attachments
            .as_ref()
            .map(|attachments| AttachmentPolicy {
                allowed_mime_types: attachments.allowed_mime_types.clone(),
                max_file_size: attachments.max_file_size_bytes,
                inline_images,
            }),
        max_items: tenant.processing.max_items_to_scan.map(|cap| cap.get()),
    }
}
