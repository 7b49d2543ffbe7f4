//! The `source` section of a tenant served by a third-party plugin (a file without
//! `confluence`): the plugin id, its config, optional credentials and a rate limit.

use std::num::NonZeroU32;

use super::super::diagnostics::FileReport;
use super::super::secret_ref::EnvLookup;
use super::super::tenant::PluginSource;
use super::super::yaml_reader::{Section, json_object, positive_integer_coerced};
use super::fields::plugin_id;
use super::source_auth;

/// Requests per minute to a plugin's source when `source.apiRateLimitPerMinute` is not set:
/// the same conservative default as `unique.apiRateLimitPerMinute`.
pub const DEFAULT_PLUGIN_RATE_LIMIT_PER_MINUTE: NonZeroU32 = match NonZeroU32::new(100) {
    Some(limit) => limit,
    None => panic!("evaluated at compile time"),
};

/// Reads the `source` section of a plugin tenant.
pub(super) fn read(
    mut section: Section<'_>,
    report: &mut FileReport,
    env: EnvLookup<'_>,
) -> Option<PluginSource> {
    let plugin_path = section.key_path("plugin");
    let plugin = section.required(report, "plugin", plugin_id);
    let config = section.optional(report, "config", json_object);
    let auth = section
        .optional_section(report, "auth")
        .map(|auth| source_auth::read(auth, report, env));
    let rate_limit = section.optional(report, "apiRateLimitPerMinute", positive_integer_coerced);
    section.finish(report);

    let plugin = plugin?;
    if plugin.is_first_party_confluence() {
        report.invalid(
            &plugin_path,
            format!("plugin `{plugin}` needs the `confluence` section"),
        );
        return None;
    }
    // Plugin sources have no default token endpoint: `oauth_2lo` needs `tokenUrl`.
    let auth = match auth {
        Some(auth) => Some(auth.into_source_auth(report, None)?),
        None => None,
    };
    if report.has_errors() {
        return None;
    }
    Some(PluginSource {
        plugin,
        config: config.unwrap_or_default(),
        auth,
        api_rate_limit_per_minute: rate_limit.unwrap_or(DEFAULT_PLUGIN_RATE_LIMIT_PER_MINUTE),
    })
}
