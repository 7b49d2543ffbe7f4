//! The `ingestion` section: the root scope, storage and key format, attachment filters and the
//! pages' ingestion config (from which image inlining is derived).

use serde_json::Value as Json;
use serde_yaml_ng::Value;

use super::super::diagnostics::FileReport;
use super::super::tenant::{AttachmentSettings, ImageInlining, IngestionSettings, KeyFormat};
use super::super::yaml_reader::{
    Section, choice, describe, json_object, non_blank_string, positive_integer_number, switch,
};

/// Attachment MIME types ingested when `allowedMimeTypes` is not set.
pub const DEFAULT_ALLOWED_MIME_TYPES: [&str; 9] = [
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/plain",
    "text/csv",
    "text/html",
    "image/png",
    "image/jpeg",
];

/// `maxFileSizeMb` when not set.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 200;

const BYTES_PER_MB: u64 = 1_048_576;

/// Reads the `ingestion` section.
pub(super) fn read(mut section: Section<'_>, report: &mut FileReport) -> Option<IngestionSettings> {
    section.optional(report, "ingestionMode", |r, p, v| {
        choice(r, p, v, &[("flat", ())])
    });
    let scope_id = section.required(report, "scopeId", non_blank_string);
    let store_internally = section.optional(report, "storeInternally", switch);
    let use_v1_key_format = section.optional(report, "useV1KeyFormat", switch);
    let attachments = match section.optional_section(report, "attachments") {
        Some(attachments) => attachment_settings(attachments, report),
        None => Some(Some(default_attachment_settings())),
    };
    let page_config_path = section.key_path("pageIngestionConfig");
    let page_ingestion_config = section.optional(report, "pageIngestionConfig", json_object);
    section.finish(report);

    let page_ingestion_config = page_ingestion_config.map(Json::Object);
    let image_inlining = image_inlining(report, &page_config_path, page_ingestion_config.as_ref())?;
    Some(IngestionSettings {
        scope_id: scope_id?,
        store_internally: store_internally.unwrap_or(true),
        key_format: if use_v1_key_format.unwrap_or(false) {
            KeyFormat::V1
        } else {
            KeyFormat::V2
        },
        attachments: attachments?,
        page_ingestion_config,
        image_inlining,
    })
}

fn default_attachment_settings() -> AttachmentSettings {
    AttachmentSettings {
        allowed_mime_types: DEFAULT_ALLOWED_MIME_TYPES.map(str::to_owned).to_vec(),
        max_file_size_bytes: DEFAULT_MAX_FILE_SIZE_MB * BYTES_PER_MB,
        image_ocr: true,
    }
}

/// `ingestion.attachments`: `Some(None)` when attachments are disabled, `None` when invalid.
/// The other keys are validated even when `mode` is `disabled`.
fn attachment_settings(
    mut section: Section<'_>,
    report: &mut FileReport,
) -> Option<Option<AttachmentSettings>> {
    let errors_before = report.error_count();
    let enabled = section.optional(report, "mode", switch);
    let allowed_mime_types = section.optional(report, "allowedMimeTypes", mime_types);
    let max_file_size_mb = section.optional(report, "maxFileSizeMb", positive_integer_number);
    let image_ocr = section.optional(report, "imageOcr", switch);
    section.finish(report);
    if report.error_count() > errors_before {
        return None;
    }
    if !enabled.unwrap_or(true) {
        return Some(None);
    }
    let defaults = default_attachment_settings();
    Some(Some(AttachmentSettings {
        allowed_mime_types: allowed_mime_types.unwrap_or(defaults.allowed_mime_types),
        max_file_size_bytes: max_file_size_mb.map_or(defaults.max_file_size_bytes, |mb| {
            u64::from(mb.get()) * BYTES_PER_MB
        }),
        image_ocr: image_ocr.unwrap_or(defaults.image_ocr),
    }))
}

/// A list of non-blank MIME types, trimmed and lower-cased.
fn mime_types(report: &mut FileReport, path: &str, value: &Value) -> Option<Vec<String>> {
    let Value::Sequence(items) = value else {
        report.invalid(
            path,
            format!("must be a list of strings (got {})", describe(value)),
        );
        return None;
    };
    let mut types = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        if let Some(text) = non_blank_string(report, &item_path, item) {
            types.push(text.trim().to_ascii_lowercase());
        }
    }
    (types.len() == items.len()).then_some(types)
}

/// Image inlining is on iff `htmlConfig.imageContentExtraction.enabled` is `true` and
/// `languageModel` is non-blank; `enabled: true` without a model is an error.
fn image_inlining(
    report: &mut FileReport,
    page_config_path: &str,
    page_config: Option<&Json>,
) -> Option<ImageInlining> {
    let extraction = page_config
        .and_then(|config| config.get("htmlConfig"))
        .and_then(|html| html.get("imageContentExtraction"));
    let enabled = extraction.and_then(|e| e.get("enabled")) == Some(&Json::Bool(true));
    if !enabled {
        return Some(ImageInlining::Disabled);
    }
    let language_model = extraction
        .and_then(|e| e.get("languageModel"))
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|model| !model.is_empty());
    match language_model {
        Some(model) => Some(ImageInlining::Enabled {
            language_model: model.to_owned(),
        }),
        None => {
            report.invalid(
                &format!("{page_config_path}.htmlConfig.imageContentExtraction.languageModel"),
                "is required (a non-blank string) when `imageContentExtraction.enabled` is true",
            );
            None
        }
    }
}
