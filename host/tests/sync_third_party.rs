//! The example third-party plugin `documents-source`, installed from a plugin directory as an
//! operator would, synced end to end into the Unique simulator by the real binary: the
//! connector is not Confluence-only.

#![allow(clippy::unwrap_used)] // tests report broken assumptions by panicking

use std::path::Path;
use std::process::Command;

use connector_sim::{Scenario, Sim};

const TOKEN: &str = "docs-token-e2e";

const SCENARIO: &str = r#"
unique:
  companyId: company-1
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-docs, name: Documents, parentId: scope-kb }
documents:
  tokens: [docs-token-e2e]
  collections:
    - { id: c1, key: OPS, name: Operations }
    - { id: c2, key: ENG, name: Engineering }
  documents:
    - { id: doc-1, title: Runbook, collection: OPS, labels: [ai-ingest], updatedAt: "2026-01-01T00:00:00Z", body: "<p>runbook</p>",
        attachments: [ { id: att-1, title: plan.pdf, mediaType: application/pdf, text: "%PDF-1.7 plan" } ] }
    - { id: doc-2, title: Onboarding, collection: ENG, labels: [ai-ingest], updatedAt: "2026-01-02T00:00:00Z", body: "<p>welcome</p>" }
    - { id: doc-3, title: Draft, collection: ENG, labels: [draft], updatedAt: "2026-01-03T00:00:00Z", body: "<p>draft</p>" }
"#;

fn tenant_yaml(sim: &Sim) -> String {
    format!(
        r#"source:
  plugin: documents-source
  config:
    baseUrl: {base}
    labels: [ai-ingest]
  auth: {{ mode: pat, token: os.environ/DOCS_TOKEN }}
unique:
  serviceAuthMode: cluster_local
  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: e2e }}
  ingestionServiceBaseUrl: {ingestion}
  scopeManagementServiceBaseUrl: {scope_management}
processing: {{}}
ingestion:
  scopeId: scope-docs
"#,
        base = sim.documents_base().unwrap(),
        ingestion = sim.unique_ingestion_base(),
        scope_management = sim.unique_scope_management_base(),
    )
}

fn sync_once(pattern: &str, plugin_dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_confluence-connector"))
        .args(["sync", "--once"])
        .env_clear()
        .env("TENANT_CONFIG_PATH_PATTERN", pattern)
        .env("PLUGIN_DIR", plugin_dir)
        .env("DOCS_TOKEN", TOKEN)
        .env("LOG_LEVEL", "info")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_third_party_plugin_syncs_into_unique() {
    let sim = Sim::start(Scenario::from_yaml_str(SCENARIO).unwrap())
        .await
        .unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("docs-tenant-config.yaml"),
        tenant_yaml(&sim),
    )
    .unwrap();
    let plugins = tempfile::tempdir().unwrap();
    let package = plugins.path().join("documents-source");
    std::fs::create_dir(&package).unwrap();
    for file in ["plugin.toml", "plugin.wasm"] {
        std::fs::copy(
            Path::new(plugin_artifacts::DOCUMENTS_SOURCE_DIR).join(file),
            package.join(file),
        )
        .unwrap();
    }
    let pattern = format!("{}/*-tenant-config.yaml", config.path().display());

    let output = sync_once(&pattern, plugins.path());
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sync --once failed:\n{log}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let state = sim.dump_state();
    let mut keys: Vec<&str> = state
        .unique
        .files
        .iter()
        .map(|file| file.key.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "docs/c1_OPS/doc-1",
            "docs/c1_OPS/doc-1::att-1",
            "docs/c2_ENG/doc-2"
        ],
        "only labelled documents and their attachment"
    );
    let root = state
        .unique
        .scopes
        .iter()
        .find(|scope| scope.id == "scope-docs")
        .unwrap();
    assert_eq!(
        root.external_id.as_deref(),
        Some(format!("confc:documents:{}", sim.documents_base().unwrap()).as_str())
    );

    // A second cycle writes nothing.
    sim.reset_request_log();
    let again = sync_once(&pattern, plugins.path());
    assert!(again.status.success());
    let writes = sim
        .request_log()
        .requests
        .iter()
        .filter(|request| {
            matches!(
                request.operation.as_deref(),
                Some("ContentUpsert" | "ContentDeleteByContentIds" | "Upload")
            )
        })
        .count();
    assert_eq!(writes, 0, "an unchanged source writes nothing");
}
