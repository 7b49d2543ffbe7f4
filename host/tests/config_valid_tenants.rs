//! Valid tenant files load into checked values: the spec's two examples verbatim, a
//! third-party plugin tenant, endpoint overrides, and the unknown-key warnings that never stop
//! a load.

mod config_support;

use std::num::NonZeroU32;

use config_support::{
    ACME, CONFLUENCE_CLIENT_SECRET, CONFLUENCE_PAT, ONPREM, PLUGIN_CLIENT_SECRET, SECRET_VALUES,
    TenantDir, ZITADEL_CLIENT_SECRET, ZITADEL_PROJECT_ID, replaced,
};
use connector_host::config::{
    ConfluenceInstance, DEFAULT_ALLOWED_MIME_TYPES, ImageInlining, KeyFormat, LoadedTenants,
    SourceAuth, SourceConfig, Tenant, TenantStatus, UniqueAuth,
};
use serde_json::json;

fn load(files: &[(&str, &str)]) -> LoadedTenants {
    let dir = TenantDir::new();
    for (file, content) in files {
        dir.write(file, content);
    }
    match dir.load() {
        Ok(loaded) => loaded,
        Err(errors) => panic!("expected a valid set, got:\n{errors}"),
    }
}

fn only_tenant(files: &[(&str, &str)]) -> Tenant {
    let mut loaded = load(files);
    assert_eq!(loaded.tenants.len(), 1);
    loaded.tenants.remove(0)
}

fn warning_lines(loaded: &LoadedTenants) -> Vec<String> {
    loaded.warnings.iter().map(ToString::to_string).collect()
}

fn limit(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).expect("test limits are positive")
}

#[test]
fn cloud_example_loads_with_every_default() {
    let loaded = load(&[("acme-tenant-config.yaml", ACME)]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.infos.is_empty(), "{:?}", loaded.infos);
    let tenant = &loaded.tenants[0];

    assert_eq!(tenant.name.as_str(), "acme");
    assert!(tenant.file.ends_with("acme-tenant-config.yaml"));
    assert_eq!(tenant.status, TenantStatus::Active);

    let SourceConfig::Confluence(confluence) = &tenant.source else {
        panic!("a Confluence tenant")
    };
    assert_eq!(confluence.plugin.as_str(), "confluence-cloud");
    let ConfluenceInstance::Cloud {
        cloud_id,
        api_base_url,
        media_base_url,
    } = &confluence.instance
    else {
        panic!("a Cloud instance")
    };
    assert_eq!(cloud_id, "0f6a1c2e-1111-2222-3333-444455556666");
    assert_eq!(
        api_base_url.as_str(),
        "https://api.atlassian.com/ex/confluence/0f6a1c2e-1111-2222-3333-444455556666"
    );
    assert_eq!(media_base_url.as_str(), "https://api.media.atlassian.com");
    assert_eq!(confluence.base_url.as_str(), "https://acme.atlassian.net");
    assert_eq!(confluence.api_rate_limit_per_minute, limit(300));
    assert_eq!(confluence.ingest_single_label, "ai-ingest");
    assert_eq!(confluence.ingest_all_label, "ai-ingest-all");
    let SourceAuth::OAuth2ClientCredentials {
        client_id,
        client_secret,
        token_url,
    } = &confluence.auth
    else {
        panic!("oauth_2lo")
    };
    assert_eq!(client_id, "acme-service-account");
    assert_eq!(client_secret.expose(), CONFLUENCE_CLIENT_SECRET);
    assert_eq!(token_url.as_str(), "https://api.atlassian.com/oauth/token");

    let UniqueAuth::ClusterLocal { extra_headers } = &tenant.unique.auth else {
        panic!("cluster_local")
    };
    assert_eq!(
        extra_headers.iter().collect::<Vec<_>>(),
        [
            (&"x-company-id".to_owned(), &"company-1".to_owned()),
            (&"x-user-id".to_owned(), &"user-1".to_owned())
        ]
    );
    assert_eq!(
        tenant.unique.ingestion_service_base_url.as_str(),
        "http://node-ingestion:8091"
    );
    assert_eq!(
        tenant.unique.scope_management_service_base_url.as_str(),
        "http://scope-management:8080"
    );
    assert_eq!(tenant.unique.api_rate_limit_per_minute, limit(100));

    assert_eq!(tenant.processing.concurrency, limit(4));
    assert_eq!(tenant.processing.schedule.expression(), "*/15 * * * *");
    assert_eq!(tenant.processing.max_items_to_scan, None);

    assert_eq!(tenant.ingestion.scope_id, "scope_root_acme");
    assert!(tenant.ingestion.store_internally);
    assert_eq!(tenant.ingestion.key_format, KeyFormat::V2);
    let attachments = tenant
        .ingestion
        .attachments
        .as_ref()
        .expect("attachments default to enabled");
    assert_eq!(attachments.max_file_size_bytes, 50 * 1_048_576);
    assert_eq!(attachments.allowed_mime_types, DEFAULT_ALLOWED_MIME_TYPES);
    assert!(attachments.image_ocr);
    assert_eq!(tenant.ingestion.page_ingestion_config, None);
    assert_eq!(tenant.ingestion.image_inlining, ImageInlining::Disabled);

    assert_eq!(tenant.plugin_id().as_str(), "confluence-cloud");
    assert_eq!(tenant.source_rate_limit_per_minute(), limit(300));
    assert_eq!(
        tenant.confluence_instance_key().as_deref(),
        Some("cloud:0f6a1c2e-1111-2222-3333-444455556666")
    );
    assert_eq!(tenant.partial_key("98307", "ENG"), "acme/98307_ENG");
}

#[test]
fn cloud_plugin_config_has_no_credentials_and_resolved_endpoints() {
    let tenant = only_tenant(&[("acme-tenant-config.yaml", ACME)]);
    let expected_config = json!({
        "instanceType": "cloud",
        "baseUrl": "https://acme.atlassian.net",
        "cloudId": "0f6a1c2e-1111-2222-3333-444455556666",
        "apiBaseUrl": "https://api.atlassian.com/ex/confluence/0f6a1c2e-1111-2222-3333-444455556666",
        "mediaBaseUrl": "https://api.media.atlassian.com",
        "ingestSingleLabel": "ai-ingest",
        "ingestAllLabel": "ai-ingest-all",
    });
    assert_eq!(tenant.plugin_config_json(), expected_config);

    let context = tenant.template_context();
    assert_eq!(
        context["confluence"]["apiBaseUrl"],
        expected_config["apiBaseUrl"]
    );
    assert_eq!(
        context["confluence"]["auth"],
        json!({ "mode": "oauth_2lo", "tokenUrl": "https://api.atlassian.com/oauth/token" })
    );
    assert_eq!(context["source"]["plugin"], "confluence-cloud");
    assert_eq!(context["source"]["config"], expected_config);
    for secret in SECRET_VALUES {
        assert!(!context.to_string().contains(secret));
    }
}

#[test]
fn data_center_example_loads_with_every_default() {
    let loaded = load(&[("onprem-tenant-config.yaml", ONPREM)]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let tenant = &loaded.tenants[0];

    assert_eq!(tenant.name.as_str(), "onprem");
    let SourceConfig::Confluence(confluence) = &tenant.source else {
        panic!("a Confluence tenant")
    };
    assert_eq!(confluence.plugin.as_str(), "confluence-data-center");
    assert_eq!(confluence.instance, ConfluenceInstance::DataCenter);
    assert_eq!(
        confluence.base_url.as_str(),
        "https://confluence.example.com/confluence"
    );
    assert_eq!(confluence.api_rate_limit_per_minute, limit(120));
    let SourceAuth::PersonalAccessToken { token } = &confluence.auth else {
        panic!("pat")
    };
    assert_eq!(token.expose(), CONFLUENCE_PAT);

    let UniqueAuth::External {
        token_url,
        project_id,
        client_id,
        client_secret,
    } = &tenant.unique.auth
    else {
        panic!("external")
    };
    assert_eq!(token_url.as_str(), "https://id.example.com/oauth/v2/token");
    assert_eq!(project_id.expose(), ZITADEL_PROJECT_ID);
    assert_eq!(client_id, "confluence-connector");
    assert_eq!(client_secret.expose(), ZITADEL_CLIENT_SECRET);
    assert_eq!(
        tenant.unique.ingestion_service_base_url.as_str(),
        "https://api.example.com/ingestion"
    );

    assert_eq!(tenant.processing.concurrency, limit(1));
    assert_eq!(tenant.processing.schedule.expression(), "*/15 * * * *");

    let attachments = tenant.ingestion.attachments.as_ref().expect("enabled");
    assert_eq!(attachments.max_file_size_bytes, 200 * 1_048_576);
    assert_eq!(
        tenant.ingestion.page_ingestion_config,
        Some(json!({
            "htmlConfig": {
                "imageContentExtraction": { "enabled": true, "languageModel": "some-vision-model" }
            }
        }))
    );
    assert_eq!(
        tenant.ingestion.image_inlining,
        ImageInlining::Enabled {
            language_model: "some-vision-model".to_owned()
        }
    );
    assert_eq!(
        tenant.confluence_instance_key().as_deref(),
        Some("data-center:https://confluence.example.com/confluence")
    );
    assert_eq!(
        tenant.plugin_config_json(),
        json!({
            "instanceType": "data-center",
            "baseUrl": "https://confluence.example.com/confluence",
            "ingestSingleLabel": "ai-ingest",
            "ingestAllLabel": "ai-ingest-all",
        })
    );
    assert_eq!(
        tenant.template_context()["confluence"]["auth"],
        json!({ "mode": "pat" })
    );
}

#[test]
fn data_center_oauth_token_url_defaults_under_the_base_url() {
    let tenant = only_tenant(&[(
        "onprem-tenant-config.yaml",
        &replaced(
            ONPREM,
            "{ mode: pat, token: os.environ/CONFLUENCE_PAT }",
            "{ mode: oauth_2lo, clientId: dc-app, clientSecret: os.environ/CONFLUENCE_CLIENT_SECRET }",
        ),
    )]);
    let Some(SourceAuth::OAuth2ClientCredentials { token_url, .. }) = tenant.source_auth() else {
        panic!("oauth_2lo")
    };
    assert_eq!(
        token_url.as_str(),
        "https://confluence.example.com/confluence/rest/oauth2/latest/token"
    );
}

#[test]
fn basic_auth_resolves_both_secret_fields() {
    let tenant = only_tenant(&[(
        "onprem-tenant-config.yaml",
        &replaced(
            ONPREM,
            "{ mode: pat, token: os.environ/CONFLUENCE_PAT }",
            "{ mode: basic, username: \" svc-confluence \", password: os.environ/CONFLUENCE_PAT }",
        ),
    )]);
    let Some(SourceAuth::Basic { username, password }) = tenant.source_auth() else {
        panic!("basic")
    };
    assert_eq!(username.expose(), "svc-confluence");
    assert_eq!(password.expose(), CONFLUENCE_PAT);
}

#[test]
fn endpoint_overrides_replace_the_defaults() {
    let yaml = replaced(
        &replaced(
            ACME,
            "  cloudId:",
            "  apiBaseUrl: http://127.0.0.1:41001/gateway\n  mediaBaseUrl: http://127.0.0.1:41002\n  cloudId:",
        ),
        "    clientId: acme-service-account\n",
        "    clientId: acme-service-account\n    tokenUrl: http://127.0.0.1:41003/oauth/token\n",
    );
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    let config = tenant.plugin_config_json();
    assert_eq!(config["apiBaseUrl"], "http://127.0.0.1:41001/gateway");
    assert_eq!(config["mediaBaseUrl"], "http://127.0.0.1:41002");
    assert_eq!(
        tenant.template_context()["confluence"]["auth"]["tokenUrl"],
        "http://127.0.0.1:41003/oauth/token"
    );
}

#[test]
fn coerced_integers_and_optional_values_read_as_documented() {
    let yaml = replaced(
        &replaced(
            ACME,
            "apiRateLimitPerMinute: 300",
            "apiRateLimitPerMinute: \"300\"",
        ),
        "  concurrency: 4\n",
        "  concurrency: \"8\"\n  maxItemsToScan: \"\"\n  scanIntervalCron: \"30 */5 * * * *\"\n",
    );
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    assert_eq!(tenant.source_rate_limit_per_minute(), limit(300));
    assert_eq!(tenant.processing.concurrency, limit(8));
    assert_eq!(tenant.processing.max_items_to_scan, None);
    assert_eq!(tenant.processing.schedule.expression(), "30 */5 * * * *");
}

#[test]
fn ingestion_switches_and_lists_are_read() {
    let yaml = replaced(
        ACME,
        "  attachments:\n    maxFileSizeMb: 50\n",
        "  storeInternally: disabled\n  useV1KeyFormat: enabled\n  ingestionMode: flat\n  attachments:\n    mode: disabled\n    allowedMimeTypes: [\" Application/PDF \"]\n",
    );
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    assert!(!tenant.ingestion.store_internally);
    assert_eq!(tenant.ingestion.key_format, KeyFormat::V1);
    assert_eq!(tenant.partial_key("98307", "ENG"), "98307_ENG");
    assert_eq!(tenant.ingestion.attachments, None);

    let yaml = replaced(
        ACME,
        "    maxFileSizeMb: 50\n",
        "    maxFileSizeMb: 50.0\n    imageOcr: disabled\n    allowedMimeTypes: [\" Application/PDF \", text/plain]\n",
    );
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    let attachments = tenant.ingestion.attachments.expect("enabled");
    assert_eq!(
        attachments.allowed_mime_types,
        ["application/pdf", "text/plain"]
    );
    assert_eq!(attachments.max_file_size_bytes, 50 * 1_048_576);
    assert!(!attachments.image_ocr);
}

#[test]
fn image_extraction_disabled_needs_no_language_model() {
    let tenant = only_tenant(&[(
        "onprem-tenant-config.yaml",
        &replaced(
            ONPREM,
            "{ enabled: true, languageModel: some-vision-model }",
            "{ enabled: false }",
        ),
    )]);
    assert_eq!(tenant.ingestion.image_inlining, ImageInlining::Disabled);
}

const PLUGIN_SOURCE: &str = "\
source:
  plugin: wiki-example
  apiRateLimitPerMinute: \"60\"
  config:
    baseUrl: https://wiki.example.com
    spaces: [eng, ops]
  auth:
    mode: oauth_2lo
    clientId: wiki-bot
    clientSecret: os.environ/WIKI_CLIENT_SECRET
    tokenUrl: https://wiki.example.com/oauth/token
";

fn plugin_tenant_yaml() -> String {
    let (_, rest) = ACME.split_once("unique:").expect("fixture has unique");
    format!("{PLUGIN_SOURCE}unique:{rest}")
}

#[test]
fn third_party_plugin_tenant_needs_no_confluence_section() {
    let loaded = load(&[("wiki-tenant-config.yaml", &plugin_tenant_yaml())]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let tenant = &loaded.tenants[0];
    let SourceConfig::Plugin(plugin) = &tenant.source else {
        panic!("a plugin tenant")
    };
    assert_eq!(plugin.plugin.as_str(), "wiki-example");
    assert_eq!(plugin.api_rate_limit_per_minute, limit(60));
    let Some(SourceAuth::OAuth2ClientCredentials {
        client_id,
        client_secret,
        token_url,
    }) = &plugin.auth
    else {
        panic!("oauth_2lo")
    };
    assert_eq!(client_id, "wiki-bot");
    assert_eq!(client_secret.expose(), PLUGIN_CLIENT_SECRET);
    assert_eq!(token_url.as_str(), "https://wiki.example.com/oauth/token");

    let config = json!({ "baseUrl": "https://wiki.example.com", "spaces": ["eng", "ops"] });
    assert_eq!(tenant.plugin_id().as_str(), "wiki-example");
    assert_eq!(tenant.plugin_config_json(), config);
    assert_eq!(tenant.confluence_instance_key(), None);
    let context = tenant.template_context();
    assert_eq!(context["source"]["config"], config);
    assert_eq!(context.get("confluence"), None);
    assert!(!context.to_string().contains(PLUGIN_CLIENT_SECRET));
}

#[test]
fn plugin_tenant_without_auth_uses_the_default_rate_limit() {
    let yaml = plugin_tenant_yaml()
        .replace("  apiRateLimitPerMinute: \"60\"\n", "")
        .replace(
            "  auth:\n    mode: oauth_2lo\n    clientId: wiki-bot\n    clientSecret: os.environ/WIKI_CLIENT_SECRET\n    tokenUrl: https://wiki.example.com/oauth/token\n",
            "",
        );
    let tenant = only_tenant(&[("wiki-tenant-config.yaml", &yaml)]);
    assert_eq!(tenant.source_auth(), None);
    assert_eq!(tenant.source_rate_limit_per_minute(), limit(100));
}

#[test]
fn source_plugin_beside_confluence_overrides_the_plugin_id() {
    let yaml = replaced(
        ACME,
        "confluence:\n",
        "source:\n  plugin: confluence-cloud-fork\nconfluence:\n",
    );
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    assert_eq!(tenant.plugin_id().as_str(), "confluence-cloud-fork");
    assert_eq!(tenant.plugin_config_json()["instanceType"], "cloud");
}

#[test]
fn debug_output_of_tenants_never_shows_a_secret() {
    let loaded = load(&[
        ("acme-tenant-config.yaml", ACME),
        ("onprem-tenant-config.yaml", ONPREM),
        ("wiki-tenant-config.yaml", &plugin_tenant_yaml()),
    ]);
    let names: Vec<&str> = loaded.tenants.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["acme", "onprem", "wiki"],
        "tenants come in file-path order"
    );
    let debug = format!("{loaded:?}");
    for secret in SECRET_VALUES {
        assert!(!debug.contains(secret), "Debug shows {secret}");
    }
    // One secret in acme, three in onprem (token, Zitadel project id and secret), one in wiki.
    assert_eq!(debug.matches("[redacted]").count(), 5);
}

#[test]
fn unknown_keys_are_warnings_with_a_hint_and_do_not_stop_the_load() {
    let yaml = replaced(
        &replaced(ACME, "maxFileSizeMb: 50", "maxFileSizeMB: 50"),
        "  concurrency: 4\n",
        "  concurrency: 4\n  scanIntervalCorn: \"* * * * *\"\n  retries: 3\n",
    );
    let loaded = load(&[("acme-tenant-config.yaml", &yaml)]);
    assert_eq!(
        warning_lines(&loaded),
        [
            "acme-tenant-config.yaml: processing.scanIntervalCorn: unknown key (ignored); did you mean `scanIntervalCron`?",
            "acme-tenant-config.yaml: processing.retries: unknown key (ignored)",
            "acme-tenant-config.yaml: ingestion.attachments.maxFileSizeMB: unknown key (ignored); did you mean `maxFileSizeMb`?",
        ]
    );
    // The misspelt key is ignored: the default applies.
    let attachments = loaded.tenants[0]
        .ingestion
        .attachments
        .as_ref()
        .expect("enabled");
    assert_eq!(attachments.max_file_size_bytes, 200 * 1_048_576);
}

#[test]
fn keys_of_another_variant_are_unknown() {
    let onprem = replaced(
        &replaced(
            ONPREM,
            "  apiRateLimitPerMinute: 120\n",
            "  apiRateLimitPerMinute: 120\n  cloudId: leftover\n",
        ),
        "{ mode: pat, token: os.environ/CONFLUENCE_PAT }",
        "{ mode: pat, token: os.environ/CONFLUENCE_PAT, clientId: leftover }",
    );
    let acme = replaced(
        ACME,
        "  serviceAuthMode: cluster_local\n",
        "  serviceAuthMode: cluster_local\n  zitadelClientId: leftover\n",
    );
    let loaded = load(&[
        ("acme-tenant-config.yaml", &acme),
        ("onprem-tenant-config.yaml", &onprem),
    ]);
    assert_eq!(
        warning_lines(&loaded),
        [
            "acme-tenant-config.yaml: unique.zitadelClientId: unknown key (ignored)",
            // A nested section is finished before the section around it.
            "onprem-tenant-config.yaml: confluence.auth.clientId: unknown key (ignored)",
            "onprem-tenant-config.yaml: confluence.cloudId: unknown key (ignored)",
        ]
    );
}

#[test]
fn free_form_maps_accept_any_key_and_ingestion_config_is_noted() {
    let yaml = replaced(
        &replaced(
            ACME,
            "{ x-company-id: company-1, x-user-id: user-1 }",
            "{ x-company-id: company-1, x-user-id: user-1, x-trace-tag: blue }",
        ),
        "  scopeManagementServiceBaseUrl: http://scope-management:8080\n",
        "  scopeManagementServiceBaseUrl: http://scope-management:8080\n  ingestionConfig: { uniqueIngestionMode: SKIP_INGESTION }\n",
    ) + "  pageIngestionConfig: { anything: { goes: [1, 2] } }\n";
    let loaded = load(&[("acme-tenant-config.yaml", &yaml)]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(
        loaded
            .infos
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["acme-tenant-config.yaml: unique.ingestionConfig: accepted but has no effect"]
    );
    let UniqueAuth::ClusterLocal { extra_headers } = &loaded.tenants[0].unique.auth else {
        panic!("cluster_local")
    };
    assert_eq!(
        extra_headers.get("x-trace-tag").map(String::as_str),
        Some("blue")
    );
}

#[test]
fn statuses_are_read_and_a_deleted_tenant_alone_is_enough() {
    let yaml = replaced(ACME, "confluence:\n", "status: deleted\nconfluence:\n");
    let tenant = only_tenant(&[("acme-tenant-config.yaml", &yaml)]);
    assert_eq!(tenant.status, TenantStatus::Deleted);
}

#[test]
fn merge_keys_share_blocks_between_sections() {
    let yaml = "\
x-labels: &labels
  ingestSingleLabel: ai-ingest
  ingestAllLabel: ai-ingest-all
"
    .to_owned()
        + &replaced(
            ACME,
            "  ingestSingleLabel: ai-ingest\n  ingestAllLabel: ai-ingest-all\n",
            "  <<: *labels\n",
        );
    let loaded = load(&[("acme-tenant-config.yaml", &yaml)]);
    let SourceConfig::Confluence(confluence) = &loaded.tenants[0].source else {
        panic!("Confluence")
    };
    assert_eq!(confluence.ingest_all_label, "ai-ingest-all");
    // The anchor holder itself is an unknown top-level key.
    assert_eq!(
        warning_lines(&loaded),
        ["acme-tenant-config.yaml: x-labels: unknown key (ignored)"]
    );
}

#[cfg(unix)]
#[test]
fn mounted_config_map_layout_loads_each_file_once() {
    // Kubernetes mounts a ConfigMap as `..data -> ..2026_11_29_...` plus one symlink per key.
    let dir = TenantDir::new();
    dir.write(
        "tenants/..2026_11_29_10_00_00.1/acme-tenant-config.yaml",
        ACME,
    );
    let root = dir.path().join("tenants");
    std::os::unix::fs::symlink("..2026_11_29_10_00_00.1", root.join("..data"))
        .expect("symlink ..data");
    std::os::unix::fs::symlink(
        "..data/acme-tenant-config.yaml",
        root.join("acme-tenant-config.yaml"),
    )
    .expect("symlink file");
    for pattern in [
        "tenants/*-tenant-config.yaml",
        "tenants/**/*-tenant-config.yaml",
    ] {
        let loaded = connector_host::config::load_tenants(
            &dir.pattern_for(pattern),
            config_support::test_env,
        )
        .unwrap_or_else(|errors| panic!("{pattern}: {errors}"));
        assert_eq!(loaded.tenants.len(), 1, "{pattern}");
    }
}
