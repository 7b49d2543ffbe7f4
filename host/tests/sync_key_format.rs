//! Switching the key format: the first cycle after the switch deletes the old-format copies of
//! the items it re-ingests, but only those owned by the space's own scope.

mod sync_support;

use sync_support::*;

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
unique:
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb, externalId: "confc:cloud:cloud-1" }
    - { id: scope-eng, name: ENG, parentId: scope-root, externalId: "confc:acme:98307:ENG" }
    - { id: scope-elsewhere, name: Elsewhere, parentId: scope-kb }
  files:
    - { key: "98307_ENG/100", title: One, ownerId: scope-eng, byteSize: 10, updatedAt: "2025-01-01T00:00:00.000Z" }
    - { key: "98307_ENG/101", title: Another tenant's, ownerId: scope-elsewhere, byteSize: 10, updatedAt: "2025-01-01T00:00:00.000Z" }
"#;

#[tokio::test]
async fn switching_to_v2_deletes_the_v1_copies_owned_by_the_space_scope_only() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(
        stored_keys(&sim),
        ["98307_ENG/101", "acme/98307_ENG/100", "acme/98307_ENG/101"]
    );
    assert_eq!(report.summary.deleted, 1);

    // Nothing changed since: no further deletion, no writes.
    sim.reset_request_log();
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    assert_eq!(count_operation(&sim, "ContentDeleteByContentIds"), 0);
    assert_eq!(
        count_operation(&sim, "PaginatedContentCount"),
        0,
        "no key-format check without changes"
    );
}
