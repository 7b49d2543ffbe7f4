//! `confluence-connector validate` as a process: every problem of a bad set is printed and the
//! exit code is 64; the shipped examples in `tenant-configs/` validate with dummy secrets.

mod service_support;

use std::path::Path;

use service_support::*;

/// The unique and processing sections every file here shares.
const UNIQUE_AND_PROCESSING: &str = "unique:\n  serviceAuthMode: cluster_local\n  serviceExtraHeaders: { x-company-id: company-1, x-user-id: user-1 }\n  ingestionServiceBaseUrl: http://ingestion:8091\n  scopeManagementServiceBaseUrl: http://scope-management:8094\nprocessing: {}\n";

fn source_tenant(plugin: &str, auth: &str, root: &str) -> String {
    format!(
        "source:\n  plugin: {plugin}\n  config:\n    baseUrl: https://documents.example.com\n  auth: {auth}\n{UNIQUE_AND_PROCESSING}ingestion:\n  scopeId: {root}\n"
    )
}

/// A plugin directory with the `static-source` test plugin (auth modes `pat` and `none`) and the
/// `documents-source` example plugin (which the shipped example tenant names).
fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, package) in [
        ("static-source", plugin_artifacts::STATIC_SOURCE_DIR),
        ("documents-source", plugin_artifacts::DOCUMENTS_SOURCE_DIR),
    ] {
        let target = dir.path().join(name);
        std::fs::create_dir(&target).expect("plugin directory");
        for file in ["plugin.toml", "plugin.wasm"] {
            std::fs::copy(Path::new(package).join(file), target.join(file))
                .expect("copy the plugin");
        }
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_prints_every_problem_of_a_bad_set_and_exits_64() {
    let tenants = Tenants::new();
    tenants.write(
        "missing-plugin",
        &source_tenant("no-such-plugin", "{ mode: pat, token: t }", "scope-a"),
    );
    tenants.write(
        "wrong-auth",
        &source_tenant(
            "static-source",
            "{ mode: basic, username: u, password: p }",
            "scope-b",
        ),
    );
    tenants.write(
        "bad-value",
        &source_tenant("static-source", "{ mode: pat, token: t }", "scope-c")
            .replace("processing: {}", "processing: { concurrency: 0 }"),
    );
    let plugins = plugin_dir();
    let plugin_dir_arg = plugins.path().display().to_string();

    let finished = run_to_end(connector(
        &tenants,
        &["validate", "--plugin-dir", &plugin_dir_arg],
        &[],
    ))
    .await;

    assert_eq!(
        finished.status.code(),
        Some(64),
        "{}",
        finished.transcript()
    );
    let errors: Vec<&String> = finished
        .stdout
        .iter()
        .filter(|line| line.starts_with("error: "))
        .collect();
    let expected = [
        "bad-value-tenant-config.yaml: processing.concurrency: ",
        "missing-plugin-tenant-config.yaml: source plugin `no-such-plugin` is not installed",
        "wrong-auth-tenant-config.yaml: plugin static-source 0.1.0 does not support auth mode `basic`",
    ];
    for problem in expected {
        assert!(
            errors.iter().any(|line| line.contains(problem)),
            "`{problem}` reported: {}",
            finished.transcript()
        );
    }
    assert_eq!(errors.len(), expected.len(), "{}", finished.transcript());
    let summary = finished.stdout.last().expect("a summary line");
    assert!(summary.contains("3 error(s)"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_examples_validate_with_dummy_secrets() {
    let examples =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tenant-configs/*-tenant-config.yaml");
    let pattern = examples.display().to_string();
    let plugins = plugin_dir();
    let plugin_dir_arg = plugins.path().display().to_string();
    let dummy_secrets: Vec<(&str, &str)> = [
        "CONFLUENCE_CLIENT_SECRET_CLOUD",
        "CONFLUENCE_CLIENT_SECRET_DC",
        "CONFLUENCE_CLIENT_SECRET_OLD",
        "CONFLUENCE_PAT",
        "CONFLUENCE_PASSWORD",
        "ZITADEL_CLIENT_SECRET",
        "ZITADEL_CLIENT_SECRET_DOCS",
        "ZITADEL_PROJECT_ID",
        "DOCUMENTS_TOKEN",
    ]
    .into_iter()
    .map(|name| (name, "dummy"))
    .collect();
    let tenants = Tenants::new();
    let args = [
        "validate",
        "--tenants",
        &pattern,
        "--plugin-dir",
        &plugin_dir_arg,
    ];

    let finished = run_to_end(connector(&tenants, &args, &dummy_secrets)).await;
    assert_eq!(finished.status.code(), Some(0), "{}", finished.transcript());
    let summary = finished.stdout.last().expect("a summary line");
    assert!(summary.starts_with("7 tenant(s)"), "{summary}");
    assert!(summary.ends_with("0 error(s), 0 warning(s)"), "{summary}");

    // Without the secrets, the references resolve to nothing: errors, exit 64.
    let finished = run_to_end(connector(&tenants, &args, &[])).await;
    assert_eq!(
        finished.status.code(),
        Some(64),
        "{}",
        finished.transcript()
    );
    assert!(
        finished
            .stdout
            .iter()
            .any(|line| line.contains("CONFLUENCE_PAT")),
        "the unset variable is named: {}",
        finished.transcript()
    );
}
