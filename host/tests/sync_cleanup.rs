//! Deleted-tenant cleanup: every child scope of the root and its content go, the root stays with
//! its mark cleared; a cleanup with failures keeps the mark so the next run completes it; an
//! already-clean root is skipped without writes. No Confluence request is ever made.

mod sync_support;

use connector_host::sync::run_cleanup;
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
          - id: "100"
            type: page
            title: One
            labels: [ai-ingest]
            body: "<p>one</p>"
            attachments:
              - { id: att200, title: a.pdf, mediaType: application/pdf, size: 1000 }
      - id: 98308
        key: OPS
        name: Operations
        contents:
          - { id: "300", type: page, title: Ops, labels: [ai-ingest], body: "<p>ops</p>" }
unique:
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb }
    - { id: scope-other, name: Other, parentId: scope-kb }
  files:
    - { key: "elsewhere/1", title: Not ours, ownerId: scope-other, byteSize: 3 }
"#;

fn deleted() -> TenantOptions {
    TenantOptions {
        status: "deleted",
        ..TenantOptions::default()
    }
}

#[tokio::test]
async fn cleanup_removes_every_child_scope_and_its_content_and_clears_the_root_mark() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let active = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&active).await.result, Ok(()));
    assert_eq!(stored_keys(&sim).len(), 4);

    let ctx = cloud_context(&sim, &shared, &deleted()).await;
    sim.reset_request_log();
    let report = run_cleanup(&ctx.cleanup_context()).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert!(report.completed);
    assert_eq!((report.contents_deleted, report.scopes_deleted), (3, 2));
    let state = sim.dump_state();
    assert_eq!(stored_keys(&sim), ["elsewhere/1"]);
    let root = state.unique.scope("scope-root").expect("the root is kept");
    assert_eq!(root.external_id, None);
    assert!(
        state
            .unique
            .scopes
            .iter()
            .all(|scope| scope.parent_id.as_deref() != Some("scope-root"))
    );
    assert!(
        sim.request_log()
            .requests
            .iter()
            .all(|request| request.service == "unique"),
        "no Confluence calls"
    );
    assert_eq!(
        shared.metric("cfc_cleanup_scopes_deleted_total", &[("result", "success")]),
        2.0
    );
    assert_eq!(
        shared.metric("cfc_cleanup_duration_seconds", &[("result", "success")]),
        1.0
    );

    sim.reset_request_log();
    let again = run_cleanup(&ctx.cleanup_context()).await;
    assert_eq!(again.result, Ok(()));
    assert!(again.already_clean);
    assert_eq!(
        unique_operations(&sim),
        ["PaginatedScope"],
        "a clean root costs one read"
    );
}

#[tokio::test]
async fn a_failed_cleanup_keeps_the_root_mark_and_the_next_run_completes_it() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let active = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&active).await.result, Ok(()));

    let ctx = cloud_context(&sim, &shared, &deleted()).await;
    sim.set_fault(connector_sim::FaultRule {
        key: None,
        ..unique_fault("DeleteFolder", "", 1, 400)
    });
    let report = run_cleanup(&ctx.cleanup_context()).await;
    assert!(
        report
            .failure_reason()
            .is_some_and(|reason| reason.contains("1 scope deletion")),
        "{report:?}"
    );
    assert!(!report.completed);
    let root = sim
        .dump_state()
        .unique
        .scope("scope-root")
        .cloned()
        .expect("root");
    assert_eq!(
        root.external_id.as_deref(),
        Some("confc:cloud:cloud-1"),
        "the mark stays until a clean run"
    );

    let report = run_cleanup(&ctx.cleanup_context()).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert!(report.completed);
    assert_eq!(stored_keys(&sim), ["elsewhere/1"]);
    assert_eq!(
        sim.dump_state()
            .unique
            .scope("scope-root")
            .expect("root")
            .external_id,
        None
    );
}
