//! The example third-party plugin `documents-source`, packaged as a deployment would install
//! it, loaded in the real runtime and run against the simulators' JSON document API over
//! loopback: discovery in several batch sizes, attachments after their page, page bodies, the
//! bearer token attached by the host, and the conformance check passing.

// A failed unwrap is a failed test, with the error printed.
#![allow(clippy::unwrap_used)]

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use connector_host::auth::ConfluenceAuth;
use connector_host::egress::SourceEgress;
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::plugin_check::{CheckTarget, Verdict, check};
use connector_host::plugin_runtime::source::{
    AttachmentPolicy, Batch, Completeness, FetchOutcome, Item, SessionSettings, SourceError,
};
use connector_host::plugin_runtime::{
    FailureReason, LoadedPlugin, PluginPackage, PluginRuntime, PluginTask, RuntimeSettings,
    TaskContext,
};
use connector_host::rate_limit::RateLimiter;
use connector_host::retry::RetryPolicy;
use connector_host::secret::Secret;
use connector_sim::{Scenario, Sim};
use serde_json::{Value, json};

const TOKEN: &str = "docs-token-5b1c";

/// Seven documents in two collections; five carry `ai-ingest`, one of them also `handbook`.
const SCENARIO: &str = r#"
documents:
  tokens: [docs-token-5b1c]
  collections:
    - { id: c1, key: OPS, name: Operations }
    - { id: c2, key: ENG, name: Engineering }
  documents:
    - { id: doc-1, title: Runbook, collection: OPS, labels: [ai-ingest], updatedAt: "2026-01-01T00:00:00Z", body: "<p>runbook</p>",
        attachments: [ { id: att-1, title: plan.pdf, mediaType: application/pdf, text: "%PDF-1.7 plan" },
                       { id: att-2, title: tool.bin, mediaType: application/octet-stream, text: "binary" } ] }
    - { id: doc-2, title: Onboarding, collection: ENG, labels: [ai-ingest, handbook], updatedAt: "2026-01-02T00:00:00Z", body: "<p>welcome</p>" }
    - { id: doc-3, title: Draft, collection: ENG, labels: [draft], updatedAt: "2026-01-03T00:00:00Z", body: "<p>draft</p>" }
    - { id: doc-4, title: Incidents, collection: OPS, labels: [ai-ingest], updatedAt: "2026-01-04T00:00:00Z", body: "<p>incidents</p>" }
    - { id: doc-5, title: Style, collection: ENG, labels: [handbook], updatedAt: "2026-01-05T00:00:00Z", body: "<p>style</p>" }
    - { id: doc-6, title: Releases, collection: ENG, labels: [ai-ingest], updatedAt: "2026-01-06T00:00:00Z", body: "<p>releases</p>" }
    - { id: doc-7, title: Oncall, collection: OPS, labels: [ai-ingest], updatedAt: "2026-01-07T00:00:00Z", body: "<p>oncall</p>" }
"#;

async fn start_sim() -> (Sim, String) {
    let sim = Sim::start(Scenario::from_yaml_str(SCENARIO).unwrap())
        .await
        .unwrap();
    let base = sim.documents_base().unwrap().to_owned();
    (sim, base)
}

async fn load(runtime: &PluginRuntime) -> LoadedPlugin {
    let package =
        PluginPackage::read_dir(Path::new(plugin_artifacts::DOCUMENTS_SOURCE_DIR)).unwrap();
    runtime
        .load(&package.manifest, package.wasm, &package.location)
        .await
        .unwrap()
}

fn config(base: &str) -> Value {
    json!({"baseUrl": base, "labels": ["ai-ingest", "handbook"], "pageSize": 2})
}

/// The tenant's egress as the service builds it: the manifest's origins resolved against the
/// tenant config, and the tenant's token.
fn egress(plugin: &LoadedPlugin, config: &Value, token: &str) -> Arc<SourceEgress> {
    let allow_list = plugin
        .manifest
        .allow_list(&json!({"source": {"config": config}}))
        .unwrap();
    let clients = HttpClients::build(&ProxySettings::none(), None).unwrap();
    let limiter = Arc::new(RateLimiter::per_minute(NonZeroU32::new(6000).unwrap()));
    Arc::new(
        SourceEgress::new(
            allow_list,
            Some(ConfluenceAuth::Pat(Secret::new(token))),
            limiter,
            clients.direct,
        )
        .with_retry_policy(RetryPolicy::NONE),
    )
}

async fn task(
    runtime: &PluginRuntime,
    plugin: &LoadedPlugin,
    config: &Value,
    token: &str,
) -> PluginTask {
    let context = TaskContext {
        egress: Some(egress(plugin, config, token)),
        ..TaskContext::offline("docs")
    };
    let mut task = runtime.start_task(plugin, context).await.unwrap();
    let attachments = AttachmentPolicy {
        allowed_mime_types: vec!["application/pdf".into()],
        max_file_size: 1024,
        inline_images: false,
    };
    let settings = SessionSettings {
        tenant: "docs".into(),
        config: config.to_string(),
        attachments: Some(attachments),
        max_items: None,
    };
    task.open(settings).await.unwrap();
    task
}

/// Every item of a discovery in `batch`-sized batches, as `page ID` / `attachment ID of PAGE`.
async fn discover_all(task: &mut PluginTask, batch: u32) -> Vec<String> {
    let cursor = task.discover().await.unwrap();
    let mut seen = Vec::new();
    loop {
        match task.next_batch(cursor, batch).await.unwrap() {
            Batch::Items(items) => seen.extend(items.into_iter().map(|item| match item {
                Item::Page(page) => format!("page {} in {}", page.id, page.container.key),
                Item::Attachment(file) => format!(
                    "attachment {} of {} ({} bytes)",
                    file.id, file.page_id, file.size
                ),
            })),
            Batch::Done(completeness) => {
                assert_eq!(completeness, Completeness::Complete);
                return seen;
            }
        }
    }
}

#[tokio::test]
async fn discovery_reports_each_labelled_document_once_with_admitted_attachments_after_it() {
    let (_sim, base) = start_sim().await;
    let runtime = PluginRuntime::new(RuntimeSettings::default()).unwrap();
    let plugin = load(&runtime).await;
    let config = config(&base);
    let expected = vec![
        "page doc-1 in OPS",
        "attachment att-1 of doc-1 (13 bytes)",
        "page doc-2 in ENG",
        "page doc-4 in OPS",
        "page doc-6 in ENG",
        "page doc-7 in OPS",
        "page doc-5 in ENG",
    ];
    for batch in [1, 3, 500] {
        let mut task = task(&runtime, &plugin, &config, TOKEN).await;
        assert_eq!(
            discover_all(&mut task, batch).await,
            expected,
            "batch size {batch}"
        );
    }
    let mut task = task(&runtime, &plugin, &config, TOKEN).await;
    let identity = task.identify().await.unwrap();
    assert_eq!(identity.instance_id, format!("documents:{base}"));
}

#[tokio::test]
async fn fetch_pages_returns_bodies_in_request_order_and_missing_for_unknown_ids() {
    let (_sim, base) = start_sim().await;
    let runtime = PluginRuntime::new(RuntimeSettings::default()).unwrap();
    let plugin = load(&runtime).await;
    let mut task = task(&runtime, &plugin, &config(&base), TOKEN).await;
    let ids = vec!["doc-4".to_owned(), "nope".to_owned(), "doc-2".to_owned()];
    let pages = task.fetch_pages(ids).await.unwrap();
    let summary: Vec<String> = pages
        .into_iter()
        .map(|page| match page.outcome {
            FetchOutcome::Found(content) => {
                format!(
                    "{} {} {:?} {} {}",
                    content.id,
                    content.container.key,
                    content.labels,
                    content.mime_type,
                    content.body
                )
            }
            FetchOutcome::Missing(why) => format!("{} missing: {why}", page.id),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "doc-4 OPS [\"ai-ingest\"] text/html <p>incidents</p>",
            "nope missing: the document API answered 404",
            "doc-2 ENG [\"ai-ingest\", \"handbook\"] text/html <p>welcome</p>",
        ]
    );
}

#[tokio::test]
async fn a_wrong_token_fails_discovery_instead_of_reporting_nothing() {
    let (_sim, base) = start_sim().await;
    let runtime = PluginRuntime::new(RuntimeSettings::default()).unwrap();
    let plugin = load(&runtime).await;
    let mut task = task(&runtime, &plugin, &config(&base), "wrong-token").await;
    let cursor = task.discover().await.unwrap();
    let err = task.next_batch(cursor, 10).await.unwrap_err();
    match &err.reason {
        FailureReason::Guest(SourceError::UnexpectedStatus((status, text))) => {
            assert_eq!(*status, 401);
            assert!(
                text.starts_with(&format!("GET {base}/api/documents: ")),
                "{text}"
            );
        }
        other => panic!("expected a 401 from the plugin, got {other:?}"),
    }
}

#[tokio::test]
async fn the_example_plugin_passes_the_conformance_check_against_the_simulator() {
    let (_sim, base) = start_sim().await;
    let target = CheckTarget {
        credentials: Some(ConfluenceAuth::Pat(Secret::new(TOKEN))),
        ..CheckTarget::plugin_config(config(&base))
    };
    let report = check(Path::new(plugin_artifacts::DOCUMENTS_SOURCE_DIR), target)
        .await
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Pass, "{report}");
    assert_eq!(
        (report.pages, report.attachments, report.fetched),
        (6, 0, 6)
    );
}

#[tokio::test]
async fn a_tenant_file_for_the_example_plugin_checks_against_the_simulator() {
    let (_sim, base) = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docs-tenant-config.yaml");
    std::fs::write(
        &file,
        format!(
            r#"
source:
  plugin: documents-source
  config: {{ baseUrl: "{base}", labels: [handbook], pageSize: 1 }}
  auth: {{ mode: pat, token: os.environ/DOCS_TOKEN }}
unique:
  serviceAuthMode: cluster_local
  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: user-1 }}
  ingestionServiceBaseUrl: http://127.0.0.1:9/ingestion
  scopeManagementServiceBaseUrl: http://127.0.0.1:9/scope-management
processing: {{}}
ingestion:
  scopeId: scope_root_docs
"#
        ),
    )
    .unwrap();
    let loaded = connector_host::config::load_tenant_files(&[file], |name| {
        (name == "DOCS_TOKEN").then(|| TOKEN.to_owned())
    })
    .unwrap();
    let tenant = &loaded.tenants[0];
    let target = CheckTarget::for_tenant(tenant, Some(ConfluenceAuth::Pat(Secret::new(TOKEN))));
    assert_eq!(target.tenant, "docs");
    let report = check(Path::new(plugin_artifacts::DOCUMENTS_SOURCE_DIR), target)
        .await
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Pass, "{report}");
    assert_eq!(
        (report.pages, report.fetched),
        (2, 2),
        "doc-2 and doc-5 carry `handbook`"
    );
}
