//! Root scope initialisation: the claim, the check against another instance's mark, the
//! migration of an old root of the same instance, a failed claim, and a missing root, which all
//! fail before any Confluence traffic or content write.

mod sync_support;

use sync_support::*;

fn scenario(unique_scopes: &str, files: &str) -> String {
    format!(
        r#"
cloud:
  - cloudId: cloud-1
    oauthClients: [{{ clientId: cloud-client, clientSecret: cloud-secret }}]
    spaces:
      - id: 98307
        key: ENG
        name: Engineering
        contents:
          - {{ id: "100", type: page, title: One, labels: [ai-ingest], body: "<p>one</p>" }}
unique:
  scopes:
{unique_scopes}
  files:
{files}
"#
    )
}

const PLAIN_ROOT: &str = "    - { id: scope-kb, name: KB }\n    - { id: scope-root, name: Confluence, parentId: scope-kb }\n";

fn confluence_requests(sim: &connector_sim::Sim) -> usize {
    sim.request_log()
        .requests
        .iter()
        .filter(|request| request.service == "cloud" || request.service == "media")
        .count()
}

#[tokio::test]
async fn a_root_marked_by_another_instance_fails_the_cycle_naming_both_marks() {
    let scopes = "    - { id: scope-kb, name: KB }\n    - { id: scope-root, name: Confluence, parentId: scope-kb, externalId: \"confc:cloud:someone-else\" }\n";
    let sim = start_sim(&scenario(scopes, "    []")).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    let report = cycle(&ctx).await;
    let reason = report.failure().expect("the cycle fails");
    assert!(
        reason.contains("confc:cloud:someone-else") && reason.contains("confc:cloud:cloud-1"),
        "{reason}"
    );
    assert_eq!(confluence_requests(&sim), 0, "no discovery");
    assert_eq!(count_operation(&sim, "UpdateScope"), 0);
    assert!(stored_keys(&sim).is_empty());
}

#[tokio::test]
async fn a_missing_root_fails_before_any_confluence_request() {
    let sim = start_sim(&scenario(PLAIN_ROOT, "    []")).await;
    let shared = Shared::new();
    let options = TenantOptions {
        root_scope: "scope-nowhere".into(),
        ..TenantOptions::default()
    };
    let ctx = cloud_context(&sim, &shared, &options).await;
    let report = cycle(&ctx).await;
    let reason = report.failure().expect("the cycle fails");
    // The grant on the root (G2) is the first call that finds it missing.
    assert!(
        reason.contains("scope-nowhere") && reason.contains("root scope"),
        "{reason}"
    );
    assert_eq!(confluence_requests(&sim), 0);
    assert_eq!(count_operation(&sim, "UpdateScope"), 0);
}

#[tokio::test]
async fn an_old_root_of_the_same_instance_is_migrated_under_the_new_root() {
    let scopes = "    - { id: scope-kb, name: KB }\n    - { id: scope-root, name: Confluence, parentId: scope-kb }\n    - { id: scope-old, name: Old, parentId: scope-kb, externalId: \"confc:cloud:cloud-1\" }\n    - { id: scope-eng, name: ENG, parentId: scope-old, externalId: \"confc:acme:98307:ENG\" }\n";
    let files = "    - { key: \"acme/98307_ENG/100\", title: One, ownerId: scope-eng, byteSize: 10, updatedAt: \"2025-01-01T00:00:00.000Z\" }\n";
    let sim = start_sim(&scenario(scopes, files)).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    let state = sim.dump_state();
    assert!(
        state.unique.scope("scope-old").is_none(),
        "old root deleted"
    );
    assert_eq!(
        state
            .unique
            .scope("scope-eng")
            .and_then(|s| s.parent_id.as_deref()),
        Some("scope-root")
    );
    assert_eq!(
        state
            .unique
            .scope("scope-root")
            .and_then(|s| s.external_id.as_deref()),
        Some("confc:cloud:cloud-1")
    );
    assert_eq!(count_operation(&sim, "BulkMove"), 1);
    assert_eq!(
        stored_keys(&sim),
        ["acme/98307_ENG/100"],
        "the moved content is kept, not re-ingested"
    );
    assert_eq!(count_operation(&sim, "ContentUpsert"), 0);
}

#[tokio::test]
async fn a_failed_claim_fails_the_cycle_and_names_the_instance() {
    let sim = start_sim(&scenario(PLAIN_ROOT, "    []")).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    sim.set_fault(unique_fault("UpdateScope", "scope-root", 1, 400));
    let report = cycle(&ctx).await;
    let reason = report.failure().expect("the cycle fails");
    assert!(
        reason.contains("confc:cloud:cloud-1") && reason.contains("connected twice"),
        "{reason}"
    );
    assert!(stored_keys(&sim).is_empty());
    // The next cycle claims and ingests.
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    assert_eq!(stored_keys(&sim), ["acme/98307_ENG/100"]);
}

#[tokio::test]
async fn the_root_path_includes_every_ancestor_and_each_gets_read_access() {
    let scopes = "    - { id: scope-top, name: Top }\n    - { id: scope-kb, name: KB, parentId: scope-top }\n    - { id: scope-root, name: Confluence, parentId: scope-kb }\n";
    let sim = start_sim(&scenario(scopes, "    []")).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    let state = sim.dump_state();
    let eng = state
        .unique
        .scopes
        .iter()
        .find(|scope| scope.name == "ENG")
        .expect("ENG scope");
    assert_eq!(eng.path, "/Top/KB/Confluence/ENG");
    assert_eq!(eng.parent_id.as_deref(), Some("scope-root"));
    assert_eq!(
        count_operation(&sim, "CreateScopeAccesses"),
        3,
        "root and two ancestors"
    );
}
