//! The `confluence` section: a Cloud or Data Center instance (chosen by `instanceType`), its
//! labels, rate limit and credentials, plus the endpoint overrides `apiBaseUrl`, `mediaBaseUrl`
//! (Cloud) and `auth.tokenUrl`.

use super::super::diagnostics::FileReport;
use super::super::names::PluginId;
use super::super::secret_ref::EnvLookup;
use super::super::tenant::{ConfluenceInstance, ConfluenceSource};
use super::super::yaml_reader::{
    Section, choice, non_blank_string, positive_integer_coerced, trimmed_non_blank_string,
};
use super::fields::{default_url, plugin_id, url_without_trailing_slash};
use super::source_auth::{self, AuthMode};

/// The Atlassian API gateway of a Cloud site; `{cloudId}` is appended.
const CLOUD_API_GATEWAY: &str = "https://api.atlassian.com/ex/confluence/";
/// Where Cloud attachment downloads redirect to.
const CLOUD_MEDIA_BASE_URL: &str = "https://api.media.atlassian.com";
/// The Cloud OAuth 2.0 token endpoint (T1).
const CLOUD_TOKEN_URL: &str = "https://api.atlassian.com/oauth/token";
/// The Data Center OAuth 2.0 token endpoint (T2), relative to `baseUrl`.
const DATA_CENTER_TOKEN_PATH: &str = "/rest/oauth2/latest/token";

#[derive(Clone, Copy, PartialEq, Eq)]
enum InstanceType {
    Cloud,
    DataCenter,
}

impl InstanceType {
    fn name(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::DataCenter => "data-center",
        }
    }

    fn default_plugin(self) -> &'static str {
        match self {
            Self::Cloud => PluginId::CONFLUENCE_CLOUD,
            Self::DataCenter => PluginId::CONFLUENCE_DATA_CENTER,
        }
    }
}

/// Reads the `confluence` section, and from `source` (when present beside it) only `plugin`.
pub(super) fn read(
    mut section: Section<'_>,
    source: Option<Section<'_>>,
    report: &mut FileReport,
    env: EnvLookup<'_>,
) -> Option<ConfluenceSource> {
    let instance_type = section.required(report, "instanceType", |r, p, v| {
        choice(
            r,
            p,
            v,
            &[
                ("cloud", InstanceType::Cloud),
                ("data-center", InstanceType::DataCenter),
            ],
        )
    });
    let base_url_path = section.key_path("baseUrl");
    let base_url = section.required(report, "baseUrl", url_without_trailing_slash);
    let cloud_id_path = section.key_path("cloudId");
    let media_base_url_path = section.key_path("mediaBaseUrl");
    let cloud_keys = (instance_type == Some(InstanceType::Cloud)).then(|| {
        (
            section.required(report, "cloudId", trimmed_non_blank_string),
            section.optional(report, "apiBaseUrl", url_without_trailing_slash),
            section.optional(report, "mediaBaseUrl", url_without_trailing_slash),
        )
    });
    let rate_limit = section.required(report, "apiRateLimitPerMinute", positive_integer_coerced);
    let single_label = section.required(report, "ingestSingleLabel", non_blank_string);
    let all_label = section.required(report, "ingestAllLabel", non_blank_string);
    let auth_mode_path = format!("{}.mode", section.key_path("auth"));
    let auth = section
        .required_section(report, "auth")
        .map(|auth| source_auth::read(auth, report, env));
    let (plugin, plugin_path) = match source {
        Some(mut source) => {
            let path = source.key_path("plugin");
            let plugin = source.optional(report, "plugin", plugin_id);
            source.finish(report);
            (plugin, path)
        }
        None => (None, String::new()),
    };
    if instance_type.is_some() {
        section.finish(report);
    } else {
        section.finish_without_unknown_keys();
    }

    let instance_type = instance_type?;
    if let Some(mode) = auth.as_ref().and_then(|auth| auth.mode)
        && instance_type == InstanceType::Cloud
        && mode != AuthMode::OAuth2ClientCredentials
    {
        report.invalid(
            &auth_mode_path,
            format!(
                "`{}` is not allowed for instanceType `cloud` (only `oauth_2lo`)",
                mode.name()
            ),
        );
    }
    if let Some(plugin) = &plugin
        && plugin.is_first_party_confluence()
        && plugin.as_str() != instance_type.default_plugin()
    {
        report.invalid(
            &plugin_path,
            format!(
                "plugin `{plugin}` does not serve instanceType `{}` (use `{}`)",
                instance_type.name(),
                instance_type.default_plugin()
            ),
        );
    }
    let base_url = base_url?;
    let (instance, default_token_url) = match cloud_keys {
        Some((cloud_id, api_base_url, media_base_url)) => {
            let cloud_id = cloud_id?;
            let api_base_url = match api_base_url {
                Some(url) => url,
                None => default_url(
                    report,
                    &cloud_id_path,
                    format!("{CLOUD_API_GATEWAY}{cloud_id}"),
                )?,
            };
            let media_base_url = match media_base_url {
                Some(url) => url,
                None => default_url(
                    report,
                    &media_base_url_path,
                    CLOUD_MEDIA_BASE_URL.to_owned(),
                )?,
            };
            let token_url = default_url(report, &auth_mode_path, CLOUD_TOKEN_URL.to_owned());
            let instance = ConfluenceInstance::Cloud {
                cloud_id,
                api_base_url,
                media_base_url,
            };
            (instance, token_url)
        }
        None => {
            let token_url = default_url(
                report,
                &base_url_path,
                format!("{base_url}{DATA_CENTER_TOKEN_PATH}"),
            );
            (ConfluenceInstance::DataCenter, token_url)
        }
    };
    let auth = auth?.into_source_auth(report, default_token_url)?;
    let plugin = match plugin {
        Some(plugin) => plugin,
        None => PluginId::try_from(instance_type.default_plugin()).ok()?,
    };
    if report.has_errors() {
        return None;
    }
    Some(ConfluenceSource {
        plugin,
        instance,
        base_url,
        api_rate_limit_per_minute: rate_limit?,
        ingest_single_label: single_label?,
        ingest_all_label: all_label?,
        auth,
    })
}
