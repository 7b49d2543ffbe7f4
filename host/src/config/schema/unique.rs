//! The `unique` section: how the connector reaches the Unique platform. `serviceAuthMode`
//! chooses between in-cluster headers (`cluster_local`) and a Zitadel token (`external`).

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use serde_yaml_ng::Value;

use super::super::diagnostics::FileReport;
use super::super::secret_ref::{EnvLookup, secret};
use super::super::tenant::{UniqueAuth, UniqueConfig};
use super::super::yaml_reader::{
    Section, choice, describe, mapping, non_blank_string, positive_integer_coerced, string,
};
use super::fields::{absolute_url, url_without_trailing_slash};

/// Requests per minute to Unique when `unique.apiRateLimitPerMinute` is not set.
pub const DEFAULT_UNIQUE_RATE_LIMIT_PER_MINUTE: NonZeroU32 = match NonZeroU32::new(100) {
    Some(limit) => limit,
    None => panic!("evaluated at compile time"),
};

/// Headers `serviceExtraHeaders` must contain.
const REQUIRED_HEADERS: [&str; 2] = ["x-company-id", "x-user-id"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum ServiceAuthMode {
    ClusterLocal,
    External,
}

/// Reads the `unique` section.
pub(super) fn read(
    mut section: Section<'_>,
    report: &mut FileReport,
    env: EnvLookup<'_>,
) -> Option<UniqueConfig> {
    let mode = section.required(report, "serviceAuthMode", |r, p, v| {
        choice(
            r,
            p,
            v,
            &[
                ("cluster_local", ServiceAuthMode::ClusterLocal),
                ("external", ServiceAuthMode::External),
            ],
        )
    });
    let auth = match mode {
        Some(ServiceAuthMode::ClusterLocal) => section
            .required(report, "serviceExtraHeaders", extra_headers)
            .map(|extra_headers| UniqueAuth::ClusterLocal { extra_headers }),
        Some(ServiceAuthMode::External) => {
            let token_url = section.required(report, "zitadelOauthTokenUrl", absolute_url);
            let project_id =
                section.required(report, "zitadelProjectId", |r, p, v| secret(r, p, v, env));
            let client_id = section.required(report, "zitadelClientId", string);
            let client_secret = section.required(report, "zitadelClientSecret", |r, p, v| {
                secret(r, p, v, env)
            });
            match (token_url, project_id, client_id, client_secret) {
                (Some(token_url), Some(project_id), Some(client_id), Some(client_secret)) => {
                    Some(UniqueAuth::External {
                        token_url,
                        project_id,
                        client_id,
                        client_secret,
                    })
                }
                _ => None,
            }
        }
        None => None,
    };
    let ingestion_url = section.required(
        report,
        "ingestionServiceBaseUrl",
        url_without_trailing_slash,
    );
    let scope_management_url = section.required(
        report,
        "scopeManagementServiceBaseUrl",
        url_without_trailing_slash,
    );
    let rate_limit = section.optional(report, "apiRateLimitPerMinute", positive_integer_coerced);
    let ingestion_config_path = section.key_path("ingestionConfig");
    if section
        .optional(report, "ingestionConfig", mapping)
        .is_some()
    {
        report.info(&ingestion_config_path, "accepted but has no effect");
    }
    if mode.is_some() {
        section.finish(report);
    } else {
        section.finish_without_unknown_keys();
    }
    Some(UniqueConfig {
        auth: auth?,
        ingestion_service_base_url: ingestion_url?,
        scope_management_service_base_url: scope_management_url?,
        api_rate_limit_per_minute: rate_limit.unwrap_or(DEFAULT_UNIQUE_RATE_LIMIT_PER_MINUTE),
    })
}

/// `serviceExtraHeaders`: a free-form map of header names to values that must contain the
/// headers identifying company and user (names compared case-insensitively, values non-blank).
/// Values are literal, never secret references.
fn extra_headers(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<BTreeMap<String, String>> {
    let entries = mapping(report, path, value)?;
    let mut headers = BTreeMap::new();
    let mut valid = true;
    for (name, value) in entries {
        let Value::String(name) = name else {
            report.invalid(
                path,
                format!("header names must be strings (got {})", describe(name)),
            );
            valid = false;
            continue;
        };
        let header_path = format!("{path}.{name}");
        let is_required = REQUIRED_HEADERS
            .iter()
            .any(|required| name.eq_ignore_ascii_case(required));
        let text = if is_required {
            non_blank_string(report, &header_path, value)
        } else {
            string(report, &header_path, value)
        };
        let Some(text) = text else {
            valid = false;
            continue;
        };
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            report.invalid(&header_path, "is not a valid HTTP header name");
            valid = false;
        } else if http::HeaderValue::from_str(&text).is_err() {
            report.invalid(
                &header_path,
                "is not a valid HTTP header value (control characters or non-ASCII text)",
            );
            valid = false;
        } else {
            headers.insert(name.clone(), text);
        }
    }
    for required in REQUIRED_HEADERS {
        let present = entries
            .keys()
            .filter_map(Value::as_str)
            .any(|name| name.eq_ignore_ascii_case(required));
        if !present {
            report.invalid(path, format!("must contain `{required}`"));
            valid = false;
        }
    }
    valid.then_some(headers)
}
