//! The conformance check against deliberately broken plugins: one test plugin (`broken-source`)
//! breaks the rule its config names, and `check` must report exactly that rule, in words.

// A failed unwrap is a failed test, with the error printed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use axum::Json;
use axum::routing::get;
use connector_host::plugin_check::{CheckReport, CheckTarget, Verdict, check, inspect};
use connector_host::plugin_runtime::SandboxLimits;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// Compiled components are cached here for all tests of this file.
static CACHE_DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());
/// Checks run one at a time: they share the cache and each keeps a core busy.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const PLUGIN: &str = "plugin broken-source 0.1.0, tenant plugin-check";

fn target(fault: &str) -> CheckTarget {
    CheckTarget {
        limits: SandboxLimits {
            memory_bytes: 32 * 1024 * 1024,
            cpu_per_call: Duration::from_millis(300),
            wall_per_call: Duration::from_secs(10),
            ..SandboxLimits::default()
        },
        cache_dir: Some(CACHE_DIR.path().to_owned()),
        max_discovered: 50,
        // The base URL is never contacted: the broken plugin makes its items up.
        ..CheckTarget::plugin_config(json!({"baseUrl": "http://127.0.0.1:9", "fault": fault}))
    }
}

async fn check_with(dir: &Path, target: CheckTarget) -> CheckReport {
    let _turn = ONE_AT_A_TIME.lock().await;
    check(dir, target).await.unwrap()
}

async fn findings_for(fault: &str) -> Vec<String> {
    let report = check_with(
        Path::new(plugin_artifacts::BROKEN_SOURCE_DIR),
        target(fault),
    )
    .await;
    assert_eq!(
        report.verdict(),
        Verdict::Fail,
        "fault {fault} passed:\n{report}"
    );
    assert!(
        report
            .to_string()
            .ends_with(&format!("FAIL ({} findings)", report.findings.len()))
    );
    report.findings
}

#[tokio::test]
async fn a_plugin_that_keeps_the_contract_passes() {
    let report = check_with(
        Path::new(plugin_artifacts::BROKEN_SOURCE_DIR),
        target("none"),
    )
    .await;
    assert_eq!(report.verdict(), Verdict::Pass, "{report}");
    assert_eq!(report.id.as_deref(), Some("broken-source"));
    assert_eq!(report.version.as_deref(), Some("0.1.0"));
    assert_eq!(report.wit.as_deref(), Some("0.1.0"));
    assert_eq!(
        (
            report.pages,
            report.attachments,
            report.fetched,
            report.denied_requests
        ),
        (3, 1, 3, 0)
    );
    assert!(report.to_string().ends_with("PASS"), "{report}");
}

#[tokio::test]
async fn a_real_source_over_loopback_passes_with_the_static_source_plugin() {
    let router = axum::Router::new()
        .route("/documents", get(|| async {
            Json(json!({"documents": [
                {"id": "1", "title": "One", "space": {"id": "10", "key": "ENG", "name": "Eng"}, "updatedAt": "2026-01-01T00:00:00Z"},
                {"id": "2", "title": "Two", "space": {"id": "10", "key": "ENG", "name": "Eng"}, "updatedAt": "2026-01-02T00:00:00Z"}
            ]}))
        }))
        .route("/documents/{id}", get(|| async { Json(json!({"body": "<p>text</p>"})) }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let target = CheckTarget {
        cache_dir: Some(CACHE_DIR.path().to_owned()),
        ..CheckTarget::plugin_config(json!({"baseUrl": format!("http://{addr}")}))
    };
    let report = check_with(Path::new(plugin_artifacts::STATIC_SOURCE_DIR), target).await;
    assert_eq!(report.verdict(), Verdict::Pass, "{report}");
    assert_eq!((report.pages, report.fetched), (2, 2));
}

#[tokio::test]
async fn a_batch_larger_than_asked_is_reported() {
    assert_eq!(
        findings_for("oversized-batch").await,
        vec![format!(
            "Discovery with batch size 1 failed: {PLUGIN}, next-batch: the plugin broke the contract: returned 2 items; a batch must hold 1 to 1."
        )]
    );
}

#[tokio::test]
async fn an_empty_batch_is_reported() {
    assert_eq!(
        findings_for("empty-batch").await,
        vec![format!(
            "Discovery with batch size 1 failed: {PLUGIN}, next-batch: the plugin broke the contract: returned 0 items; a batch must hold 1 to 1."
        )]
    );
}

#[tokio::test]
async fn items_without_keys_are_reported() {
    assert_eq!(
        findings_for("empty-title").await,
        vec!["Discovery broke the contract: page with an empty title: `doc-2`."]
    );
    assert_eq!(
        findings_for("empty-container-key").await,
        vec!["Discovery broke the contract: page whose container has an empty key: `doc-2`."]
    );
}

#[tokio::test]
async fn ids_with_key_separators_are_reported() {
    assert_eq!(
        findings_for("slash-id").await,
        vec!["Discovery broke the contract: page id containing `/` or `::`: `doc/2`."]
    );
    assert_eq!(
        findings_for("colon-id").await,
        vec!["Discovery broke the contract: page id containing `/` or `::`: `doc::2`."]
    );
}

#[tokio::test]
async fn a_page_reported_twice_is_reported() {
    assert_eq!(
        findings_for("duplicate-id").await,
        vec!["Discovery broke the contract: page reported more than once: `doc-1`."]
    );
}

#[tokio::test]
async fn an_attachment_before_its_page_is_reported() {
    assert_eq!(
        findings_for("attachment-first").await,
        vec![
            "Discovery broke the contract: attachment reported before its page (or for a page never reported): `att-1` of page `doc-1`."
        ]
    );
}

#[tokio::test]
async fn items_that_depend_on_the_batch_size_are_reported() {
    assert_eq!(
        findings_for("batch-dependent").await,
        vec![
            "Discovery with batch size 1 reported 3 pages and 1 attachments, with batch size 500 1 pages and 0 attachments: the items must not depend on the batch size."
        ]
    );
}

#[tokio::test]
async fn a_discovery_that_never_ends_is_reported() {
    assert_eq!(
        findings_for("endless").await,
        vec![
            "Discovery with batch size 1 did not end after 50 items.",
            "Discovery with batch size 500 did not end after 50 items.",
        ]
    );
}

#[tokio::test]
async fn an_empty_instance_id_is_reported() {
    assert_eq!(
        findings_for("empty-instance-id").await,
        vec!["identify returned an empty instance-id."]
    );
}

#[tokio::test]
async fn fetch_answers_that_do_not_match_the_ids_are_reported() {
    let mismatch = |answered: usize| {
        vec![format!(
            "Fetching pages failed: {PLUGIN}, fetch-pages: the plugin broke the contract: answered {answered} entries that do not match the 3 requested ids in order."
        )]
    };
    assert_eq!(findings_for("fetch-reordered").await, mismatch(3));
    assert_eq!(findings_for("fetch-short").await, mismatch(2));
    assert_eq!(
        findings_for("fetch-wrong-content").await,
        vec!["fetch-pages answered page `doc-1` with the content of `someone-else`."]
    );
}

#[tokio::test]
async fn requests_outside_the_declared_origins_are_counted_even_when_the_plugin_ignores_the_denial()
{
    let report = check_with(
        Path::new(plugin_artifacts::BROKEN_SOURCE_DIR),
        target("outside-origin"),
    )
    .await;
    assert_eq!(report.denied_requests, 2, "one per discovery run");
    assert_eq!(
        report.findings,
        vec![
            "The plugin sent 2 request(s) outside its declared origins (the first to http://127.0.0.2:9); the host refused them."
        ]
    );
}

#[tokio::test]
async fn cpu_over_the_budget_is_reported() {
    let findings = findings_for("spin").await;
    assert_eq!(
        findings,
        [1, 500]
            .map(|batch| format!("Discovery with batch size {batch} failed: {PLUGIN}, discover: CPU budget of 300ms spent."))
            .to_vec()
    );
}

#[tokio::test]
async fn memory_over_the_cap_is_reported() {
    let findings = findings_for("allocate").await;
    assert_eq!(
        findings,
        [1, 500]
            .map(|batch| format!("Discovery with batch size {batch} failed: {PLUGIN}, discover: memory cap of 32 MiB reached."))
            .to_vec()
    );
}

/// A copy of the broken-source package in a temporary directory, for tampering.
fn package_copy() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("broken-source");
    std::fs::create_dir(&dir).unwrap();
    for file in ["plugin.toml", "plugin.wasm"] {
        std::fs::copy(
            Path::new(plugin_artifacts::BROKEN_SOURCE_DIR).join(file),
            dir.join(file),
        )
        .unwrap();
    }
    (temp, dir)
}

#[tokio::test]
async fn a_component_that_does_not_match_its_hash_is_reported() {
    let (_temp, dir) = package_copy();
    let mut wasm = std::fs::read(dir.join("plugin.wasm")).unwrap();
    let declared = hex::encode(Sha256::digest(&wasm));
    wasm.push(0);
    std::fs::write(dir.join("plugin.wasm"), &wasm).unwrap();
    let actual = hex::encode(Sha256::digest(&wasm));
    let report = check_with(&dir, target("none")).await;
    assert_eq!(
        report.findings,
        vec![format!(
            "The host refuses to load the plugin: {}: plugin.wasm has sha256 {actual}, but plugin.toml declares {declared}.",
            dir.display()
        )]
    );
}

#[tokio::test]
async fn a_manifest_without_origins_is_reported() {
    let (_temp, dir) = package_copy();
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    let without_origins = manifest.split("[[origins]]").next().unwrap().to_owned();
    std::fs::write(dir.join("plugin.toml"), without_origins).unwrap();
    let report = check_with(&dir, target("none")).await;
    assert_eq!(
        report.findings,
        vec![format!(
            "The manifest is refused: {}: `origins`: must list at least one origin.",
            dir.join("plugin.toml").display()
        )]
    );
    assert_eq!(report.id, None);
}

#[tokio::test]
async fn inspect_reports_the_manifest_the_exports_the_imports_and_describe() {
    let report = inspect(Path::new(plugin_artifacts::BROKEN_SOURCE_DIR))
        .await
        .unwrap();
    let manifest = report.manifest.as_ref().unwrap();
    assert_eq!(
        (manifest.id.as_str(), manifest.wit.as_str()),
        ("broken-source", "0.1.0")
    );
    assert_eq!(report.exported_wit.as_deref(), Some("0.1.0"));
    for import in ["unique:connector/http@0.1.0", "unique:connector/log@0.1.0"] {
        assert!(
            report.imports.iter().any(|name| name == import),
            "{import} missing in {:?}",
            report.imports
        );
    }
    let described = report.described.as_ref().unwrap();
    assert_eq!(described.id, "broken-source");
    assert_eq!(described.capabilities, vec!["attachments"]);
    assert_eq!(described.config_schema, None);
    let text = report.to_string();
    assert!(
        text.contains("origin: {source.config.baseUrl} (without credentials)"),
        "{text}"
    );
}
