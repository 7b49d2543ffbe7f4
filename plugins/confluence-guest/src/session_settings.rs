//! The WIT `session-settings` turned into core `Settings` at `session.open`: the config section
//! (JSON) must be for the plugin's own instance type, and the host's generic policy (attachments,
//! item cap) is carried over as is.

use confluence_core::config::{
    AttachmentPolicy, ConfigError, ConfluenceConfig, InlineImages, InstanceType, Settings,
    SourcePolicy,
};
use connector_plugin_sdk::source::SessionSettings;

/// Validated settings for a plugin that serves `served` configs.
pub fn settings_for(
    served: InstanceType,
    session: &SessionSettings,
) -> Result<Settings, ConfigError> {
    let config: ConfluenceConfig =
        serde_json::from_str(&session.config).map_err(|e| ConfigError::Json(e.to_string()))?;
    // Checked before the other rules: a Cloud config given to the DC plugin should be told it
    // went to the wrong plugin, not that some Cloud-only key is out of place.
    if config.instance_type != served {
        return Err(ConfigError::Invalid {
            field: "instanceType",
            rule: format!(
                "this plugin serves `{}`, not `{}`",
                instance_type_name(served),
                instance_type_name(config.instance_type)
            ),
        });
    }
    Settings::new(config, source_policy(session))
}

/// The config value naming an instance type.
fn instance_type_name(instance_type: InstanceType) -> &'static str {
    match instance_type {
        InstanceType::Cloud => "cloud",
        InstanceType::DataCenter => "data-center",
    }
}

fn source_policy(session: &SessionSettings) -> SourcePolicy {
    SourcePolicy {
        attachments: session
            .attachments
            .as_ref()
            .map(|attachments| AttachmentPolicy {
                allowed_mime_types: attachments.allowed_mime_types.clone(),
                max_file_size: attachments.max_file_size,
                inline_images: if attachments.inline_images {
                    InlineImages::Enabled
                } else {
                    InlineImages::Disabled
                },
            }),
        max_items: session.max_items,
    }
}

#[cfg(test)]
mod tests {
    use confluence_core::config::Instance;
    use connector_plugin_sdk::source::AttachmentPolicy as WitAttachmentPolicy;

    use super::*;

    const CLOUD_CONFIG: &str = r#"{"instanceType":"cloud","baseUrl":"https://acme.atlassian.net",
        "cloudId":"c-1","apiBaseUrl":"http://127.0.0.1:9/gw","mediaBaseUrl":"http://127.0.0.1:9",
        "ingestSingleLabel":"ai-ingest","ingestAllLabel":"ai-ingest-all"}"#;

    const DATA_CENTER_CONFIG: &str = r#"{"instanceType":"data-center",
        "baseUrl":"https://wiki.example.com/confluence",
        "ingestSingleLabel":"ai-ingest","ingestAllLabel":"ai-ingest-all"}"#;

    fn session(config: &str) -> SessionSettings {
        SessionSettings {
            tenant: "acme".into(),
            config: config.into(),
            attachments: None,
            max_items: None,
        }
    }

    #[test]
    fn cloud_config_with_host_defaults_opens_for_the_cloud_plugin() {
        let settings = settings_for(InstanceType::Cloud, &session(CLOUD_CONFIG)).unwrap();
        assert_eq!(
            settings.instance,
            Instance::Cloud {
                cloud_id: "c-1".into(),
                api_base: "http://127.0.0.1:9/gw".into()
            }
        );
        assert_eq!(settings.policy, SourcePolicy::default());
    }

    #[test]
    fn data_center_config_is_refused_by_the_cloud_plugin_naming_instance_type() {
        let err = settings_for(InstanceType::Cloud, &session(DATA_CENTER_CONFIG)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config field `instanceType`: this plugin serves `cloud`, not `data-center`"
        );
    }

    #[test]
    fn cloud_config_is_refused_by_the_data_center_plugin_before_its_cloud_keys_are_judged() {
        let err = settings_for(InstanceType::DataCenter, &session(CLOUD_CONFIG)).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    field: "instanceType",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn config_that_is_not_a_confluence_section_is_a_json_error() {
        let err = settings_for(InstanceType::Cloud, &session(r#"{"baseUrl":"x"}"#)).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Json(text) if text.contains("instanceType")),
            "{err}"
        );
    }

    #[test]
    fn host_policy_is_carried_into_the_settings() {
        let mut session = session(DATA_CENTER_CONFIG);
        session.attachments = Some(WitAttachmentPolicy {
            allowed_mime_types: vec!["image/png".into(), "application/pdf".into()],
            max_file_size: 2048,
            inline_images: true,
        });
        session.max_items = Some(7);
        let settings = settings_for(InstanceType::DataCenter, &session).unwrap();
        assert_eq!(
            settings.policy,
            SourcePolicy {
                attachments: Some(AttachmentPolicy {
                    allowed_mime_types: vec!["image/png".into(), "application/pdf".into()],
                    max_file_size: 2048,
                    inline_images: InlineImages::Enabled,
                }),
                max_items: Some(7),
            }
        );
        assert!(settings.inlines_images());
    }

    #[test]
    fn core_rules_still_apply_after_the_instance_type_check() {
        let config = DATA_CENTER_CONFIG.replace("\"ai-ingest\"", "\" \"");
        let err = settings_for(InstanceType::DataCenter, &session(&config)).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    field: "ingestSingleLabel",
                    ..
                }
            ),
            "{err}"
        );
    }
}
