//! The plugin's config section (`source.config` of a tenant file), parsed and checked.

use serde::Deserialize;

/// Largest page size the document API serves.
const MAX_PAGE_SIZE: u32 = 100;

/// The JSON Schema published through `describe`.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["baseUrl", "labels"],
  "additionalProperties": false,
  "properties": {
    "baseUrl": {"type": "string", "description": "Origin of the document API, e.g. https://docs.example.com"},
    "labels": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
               "description": "Documents with any of these labels are synced"},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}
  }
}"#;

/// A checked config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsConfig {
    /// Without a trailing `/`.
    pub base_url: String,
    pub labels: Vec<String>,
    pub page_size: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    labels: Vec<String>,
    #[serde(default = "default_page_size")]
    page_size: u32,
}

fn default_page_size() -> u32 {
    50
}

impl DocumentsConfig {
    /// Parses the config JSON; the error names the field and the rule.
    pub fn parse(json: &str) -> Result<Self, String> {
        let raw: RawConfig = serde_json::from_str(json).map_err(|err| err.to_string())?;
        if !(raw.base_url.starts_with("http://") || raw.base_url.starts_with("https://")) {
            return Err(format!(
                "baseUrl: must be an http(s) URL (got `{}`)",
                raw.base_url
            ));
        }
        if raw.labels.is_empty() || raw.labels.iter().any(|label| label.trim().is_empty()) {
            return Err("labels: must list at least one non-empty label".into());
        }
        if !(1..=MAX_PAGE_SIZE).contains(&raw.page_size) {
            return Err(format!(
                "pageSize: must be 1 to {MAX_PAGE_SIZE} (got {})",
                raw.page_size
            ));
        }
        Ok(Self {
            base_url: raw.base_url.trim_end_matches('/').to_owned(),
            labels: raw.labels,
            page_size: raw.page_size,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn a_minimal_config_gets_the_default_page_size_and_loses_the_trailing_slash() {
        let config = DocumentsConfig::parse(
            r#"{"baseUrl": "http://127.0.0.1:9/", "labels": ["ai-ingest"]}"#,
        )
        .unwrap();
        assert_eq!(
            config,
            DocumentsConfig {
                base_url: "http://127.0.0.1:9".into(),
                labels: vec!["ai-ingest".into()],
                page_size: 50
            }
        );
    }

    #[test]
    fn broken_configs_name_the_field_and_the_rule() {
        let cases = [
            (
                r#"{"baseUrl": "ftp://x", "labels": ["a"]}"#,
                "baseUrl: must be an http(s) URL (got `ftp://x`)",
            ),
            (
                r#"{"baseUrl": "http://x", "labels": []}"#,
                "labels: must list at least one non-empty label",
            ),
            (
                r#"{"baseUrl": "http://x", "labels": ["a"], "pageSize": 500}"#,
                "pageSize: must be 1 to 100 (got 500)",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(DocumentsConfig::parse(json).unwrap_err(), expected);
        }
        assert!(
            DocumentsConfig::parse(r#"{"baseUrl": "http://x", "labels": ["a"], "typo": 1}"#)
                .unwrap_err()
                .contains("typo")
        );
    }

    #[test]
    fn the_published_schema_is_json() {
        let schema: serde_json::Value = serde_json::from_str(CONFIG_SCHEMA).unwrap();
        assert_eq!(schema["required"], serde_json::json!(["baseUrl", "labels"]));
    }
}
