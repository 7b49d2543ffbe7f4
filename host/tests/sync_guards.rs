//! The safety rules that keep a cycle from deleting what it should not: the full-deletion guard
//! (and its legitimate-replacement exception), the empty-discovery rule, and a truncated
//! discovery that ingests but never deletes.

mod sync_support;

use sync_support::*;

/// ENG has one labelled page; Unique already holds two items of ENG that Confluence no longer has,
/// and a scope OLD of this tenant for a space that is gone.
const SCENARIO: &str = r#"
cloud:
  - cloudId: cloud-1
    oauthClients: [{ clientId: cloud-client, clientSecret: cloud-secret }]
    spaces:
      - id: 98307
        key: ENG
        name: Engineering
        contents:
          - { id: "100", type: page, title: One, labels: [ai-ingest], body: "<p>one</p>" }
          - { id: "101", type: page, title: Two, labels: [ai-ingest], body: "<p>two</p>" }
          - { id: "102", type: page, title: Three, labels: [ai-ingest], body: "<p>three</p>" }
unique:
  companyId: company-1
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb, externalId: "confc:cloud:cloud-1" }
    - { id: scope-eng, name: ENG, parentId: scope-root, externalId: "confc:acme:98307:ENG" }
    - { id: scope-old, name: OLD, parentId: scope-root, externalId: "confc:acme:7:OLD" }
  files:
    - { key: "acme/98307_ENG/900", title: Stale one, ownerId: scope-eng, byteSize: 3, updatedAt: "2024-01-01T00:00:00.000Z" }
    - { key: "acme/98307_ENG/901", title: Stale two, ownerId: scope-eng, byteSize: 3, updatedAt: "2024-01-01T00:00:00.000Z" }
    - { key: "acme/7_OLD/1", title: Old, ownerId: scope-old, byteSize: 3, updatedAt: "2024-01-01T00:00:00.000Z" }
"#;

const WRITES: [&str; 6] = [
    "ContentUpsert",
    "GenerateScopesBasedOnPaths",
    "UpdateScope",
    "ContentDeleteByContentIds",
    "DeleteFolder",
    "Upload",
];

fn assert_no_writes(sim: &connector_sim::Sim) {
    let operations = unique_operations(sim);
    for write in WRITES {
        assert!(
            !operations.iter().any(|op| op == write),
            "{write} in {operations:?}"
        );
    }
}

#[tokio::test]
async fn replacing_every_stored_item_with_new_ones_is_a_legitimate_replacement() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(
        stored_keys(&sim),
        [
            "acme/98307_ENG/100",
            "acme/98307_ENG/101",
            "acme/98307_ENG/102"
        ]
    );
    assert_eq!(report.summary.deleted, 2);
    assert_eq!(report.summary.orphan_scopes_deleted, 1, "OLD");
    assert_eq!(report.summary.orphan_files_deleted, 1);
}

#[tokio::test]
async fn a_diff_deleting_every_stored_item_with_nothing_new_aborts_before_any_write() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    // A file diff that claims everything stored is gone and nothing is new.
    sim.set_fault(path_fault(
        "unique",
        "*file-diff",
        None,
        200,
        Some(r#"{"newFiles":[],"updatedFiles":[],"movedFiles":[],"deletedFiles":["900","901"]}"#),
    ));
    let report = cycle(&ctx).await;
    let reason = report.failure().expect("the cycle fails");
    assert!(reason.contains("full-deletion guard"), "{reason}");
    assert!(
        reason.contains("ENG") && reason.contains("2 stored"),
        "{reason}"
    );
    assert_no_writes(&sim);
    assert_eq!(stored_keys(&sim).len(), 3, "nothing deleted");
    assert_eq!(
        shared.metric("cfc_sync_duration_seconds", &[("result", "failure")]),
        1.0
    );
}

#[tokio::test]
async fn a_diff_deleting_a_key_that_was_just_submitted_aborts() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    sim.set_fault(path_fault(
        "unique",
        "*file-diff",
        None,
        200,
        Some(r#"{"newFiles":["101"],"deletedFiles":["100","900"]}"#),
    ));
    let report = cycle(&ctx).await;
    assert!(
        report
            .failure()
            .is_some_and(|reason| reason.contains("full-deletion guard")),
        "{report:?}"
    );
    assert_no_writes(&sim);
}

#[tokio::test]
async fn an_empty_discovery_fails_while_the_tenant_still_has_space_scopes() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    for id in ["100", "101", "102"] {
        sim.remove_label(CLOUD, id, "ai-ingest").expect("unlabel");
    }
    let report = cycle(&ctx).await;
    let reason = report.failure().expect("the cycle fails");
    assert!(
        reason.contains("discovery found no content") && reason.contains("`deleted`"),
        "{reason}"
    );
    assert_no_writes(&sim);
    assert_eq!(stored_keys(&sim).len(), 3);
}

#[tokio::test]
async fn an_empty_discovery_of_a_fresh_tenant_succeeds_with_nothing_to_do() {
    let sim = start_sim(
        r#"
cloud:
  - cloudId: cloud-1
    oauthClients: [{ clientId: cloud-client, clientSecret: cloud-secret }]
    spaces:
      - id: 98307
        key: ENG
        name: Engineering
        contents:
          - { id: "100", type: page, title: Unlabelled, body: "<p>one</p>" }
unique:
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb }
"#,
    )
    .await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(report.discovered_spaces, 0);
    assert!(stored_keys(&sim).is_empty());
}

#[tokio::test]
async fn a_truncated_discovery_ingests_what_it_found_and_deletes_nothing() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let options = TenantOptions {
        max_items: Some(2),
        ..TenantOptions::default()
    };
    let ctx = cloud_context(&sim, &shared, &options).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert!(report.truncated);
    assert_eq!(report.summary.pages_new, 2);
    assert_eq!(report.summary.deletions_skipped, 2, "900 and 901 stay");
    assert_eq!(
        stored_keys(&sim),
        [
            "acme/7_OLD/1",
            "acme/98307_ENG/100",
            "acme/98307_ENG/101",
            "acme/98307_ENG/900",
            "acme/98307_ENG/901"
        ]
    );
    assert!(
        sim.dump_state().unique.scope("scope-old").is_some(),
        "no orphan cleanup on a partial list"
    );
    assert_eq!(count_operation(&sim, "ContentDeleteByContentIds"), 0);
}

#[tokio::test]
async fn a_diff_never_deletes_a_key_that_was_just_submitted() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    sim.set_fault(path_fault(
        "unique",
        "*file-diff",
        None,
        200,
        Some(r#"{"deletedFiles":["100"]}"#),
    ));
    sim.reset_request_log();
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(report.summary.deleted, 0);
    assert_eq!(count_operation(&sim, "ContentDeleteByContentIds"), 0);
    assert_eq!(
        stored_keys(&sim),
        [
            "acme/98307_ENG/100",
            "acme/98307_ENG/101",
            "acme/98307_ENG/102"
        ]
    );
}
