//! Readers for the field types of tenant files that build config types: URLs and plugin ids.

use serde_yaml_ng::Value;

use super::super::diagnostics::FileReport;
use super::super::http_url::HttpUrl;
use super::super::names::PluginId;
use super::super::yaml_reader::{describe, string};

/// A URL that is used as a base and so must not end with `/`.
pub(super) fn url_without_trailing_slash(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<HttpUrl> {
    let url = absolute_url(report, path, value)?;
    if url.as_str().ends_with('/') {
        report.invalid(
            path,
            format!("must not end with `/` (got {})", describe(value)),
        );
        return None;
    }
    Some(url)
}

/// An absolute `http`/`https` URL.
pub(super) fn absolute_url(report: &mut FileReport, path: &str, value: &Value) -> Option<HttpUrl> {
    let text = string(report, path, value)?;
    match HttpUrl::parse(&text) {
        Ok(url) => Some(url),
        Err(error) => {
            report.invalid(path, format!("{error} (got {})", describe(value)));
            None
        }
    }
}

/// A plugin id.
pub(super) fn plugin_id(report: &mut FileReport, path: &str, value: &Value) -> Option<PluginId> {
    let text = string(report, path, value)?;
    match PluginId::try_from(text) {
        Ok(id) => Some(id),
        Err(error) => {
            report.invalid(path, error.to_string());
            None
        }
    }
}

/// A URL built from a default template and config values; a value that makes it invalid is
/// reported at `path`.
pub(super) fn default_url(report: &mut FileReport, path: &str, text: String) -> Option<HttpUrl> {
    match HttpUrl::parse(&text) {
        Ok(url) => Some(url),
        Err(error) => {
            report.invalid(
                path,
                format!("gives an invalid default URL {text:?}: {error}"),
            );
            None
        }
    }
}
