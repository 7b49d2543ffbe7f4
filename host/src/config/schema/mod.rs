//! The tenant file schema (operations §1.4): reads one parsed YAML document into a checked
//! [`Tenant`], reporting every broken rule and every unknown key of the file.

mod confluence;
mod fields;
mod ingestion;
mod plugin_source;
mod processing;
mod source_auth;
mod unique;

use std::path::Path;

use serde_yaml_ng::Value;

pub use ingestion::{DEFAULT_ALLOWED_MIME_TYPES, DEFAULT_MAX_FILE_SIZE_MB};
pub use plugin_source::DEFAULT_PLUGIN_RATE_LIMIT_PER_MINUTE;
pub use unique::DEFAULT_UNIQUE_RATE_LIMIT_PER_MINUTE;

use super::diagnostics::FileReport;
use super::names::TenantName;
use super::secret_ref::EnvLookup;
use super::tenant::{
    IngestionSettings, ProcessingSettings, SourceConfig, Tenant, TenantStatus, UniqueConfig,
};
use super::yaml_reader::{Section, choice, describe};

/// What reading one file gave.
pub(super) struct FileOutcome {
    /// The tenant, when the file (and its name) had no errors.
    pub(super) tenant: Option<Tenant>,
    /// The status, read first; `None` when it was invalid or the file unusable.
    pub(super) status: Option<TenantStatus>,
}

/// Reads one tenant file's document. `name` is `None` when the file name broke the rules (that
/// error is already in `report`); the content is still validated.
pub(super) fn read_tenant(
    name: Option<TenantName>,
    path: &Path,
    document: &Value,
    env: EnvLookup<'_>,
    report: &mut FileReport,
) -> FileOutcome {
    let root = match document {
        Value::Mapping(root) => root,
        Value::Null => {
            report.invalid_file("is empty; its top level must be a mapping");
            return FileOutcome {
                tenant: None,
                status: None,
            };
        }
        other => {
            report.invalid_file(format!(
                "top level must be a mapping (got {})",
                describe(other)
            ));
            return FileOutcome {
                tenant: None,
                status: None,
            };
        }
    };
    let mut top = Section::root(root);
    let status = match top.optional(report, "status", status) {
        Some(status) => Some(status),
        None if top_level_has_value(root, "status") => None,
        None => Some(TenantStatus::Active),
    };

    let confluence_section = top.optional_section(report, "confluence");
    let source_section = top.optional_section(report, "source");
    let source = match confluence_section {
        Some(confluence) => {
            confluence::read(confluence, source_section, report, env).map(SourceConfig::Confluence)
        }
        // Present but not a mapping: already reported.
        None if top_level_has_value(root, "confluence") => None,
        None => match source_section {
            Some(source) => plugin_source::read(source, report, env).map(SourceConfig::Plugin),
            None if top_level_has_value(root, "source") => None,
            None => {
                report.invalid(
                    "confluence",
                    "is required (or `source` naming a third-party plugin)",
                );
                None
            }
        },
    };
    let unique = top
        .required_section(report, "unique")
        .and_then(|unique| unique::read(unique, report, env));
    let processing = top
        .required_section(report, "processing")
        .and_then(|processing| processing::read(processing, report));
    let ingestion = top
        .required_section(report, "ingestion")
        .and_then(|ingestion| ingestion::read(ingestion, report));
    top.finish(report);

    let tenant = if report.has_errors() {
        None
    } else {
        assemble(name, path, status, source, unique, processing, ingestion)
    };
    FileOutcome { tenant, status }
}

fn assemble(
    name: Option<TenantName>,
    path: &Path,
    status: Option<TenantStatus>,
    source: Option<SourceConfig>,
    unique: Option<UniqueConfig>,
    processing: Option<ProcessingSettings>,
    ingestion: Option<IngestionSettings>,
) -> Option<Tenant> {
    Some(Tenant {
        name: name?,
        file: path.to_owned(),
        status: status?,
        source: source?,
        unique: unique?,
        processing: processing?,
        ingestion: ingestion?,
    })
}

fn status(report: &mut FileReport, path: &str, value: &Value) -> Option<TenantStatus> {
    choice(
        report,
        path,
        value,
        &[
            ("active", TenantStatus::Active),
            ("inactive", TenantStatus::Inactive),
            ("deleted", TenantStatus::Deleted),
        ],
    )
}

/// Whether the top level holds `key` with a non-null value.
fn top_level_has_value(root: &serde_yaml_ng::Mapping, key: &str) -> bool {
    root.get(key).is_some_and(|value| !value.is_null())
}
