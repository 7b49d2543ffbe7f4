//! End-to-end cycles of Confluence Data Center tenants (PAT and basic auth) and of a Cloud tenant
//! with external (Zitadel) Unique auth, plus the v1 key format.

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
          - id: "100"
            type: page
            title: Cloud page
            labels: [ai-ingest]
            body: "<p>cloud</p>"
            attachments:
              - { id: att200, title: a.pdf, mediaType: application/pdf, size: 2000 }
dataCenter:
  - name: dc-1
    contextPath: /confluence
    instanceId: dc-instance-1
    oauthClients: [{ clientId: dc-client, clientSecret: dc-secret }]
    personalAccessTokens: [pat-1]
    basicUsers: [{ username: alice, password: wonderland }]
    spaces:
      - id: 42
        key: OPS
        name: Operations
        contents:
          - id: "1000"
            type: page
            title: DC page
            labels: [ai-ingest-all, runbook]
            body: "<p>dc</p>"
            attachments:
              - { id: "3000", title: notes.txt, mediaType: "text/plain; charset=UTF-8", text: "dc notes" }
              - { id: "3001", title: big.pdf, mediaType: application/pdf, size: 90000 }
          - { id: "1001", type: page, title: DC child, parentId: "1000", body: "<p>dc child</p>" }
          - { id: "1002", type: blogpost, title: DC news, labels: [ai-ingest], body: "<p>news</p>" }
unique:
  companyId: company-1
  zitadelClients:
    - { clientId: zclient, clientSecret: zsecret, projectId: "4711", userId: zitadel-user }
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb }
"#;

const DC_KEYS: [&str; 5] = [
    "acme/42_OPS/1000",
    "acme/42_OPS/1000::3000",
    "acme/42_OPS/1000::3001",
    "acme/42_OPS/1001",
    "acme/42_OPS/1002",
];

async fn assert_data_center_cycle(auth: &str, unique: UniqueMode) {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let options = TenantOptions {
        unique,
        ..TenantOptions::default()
    };
    let ctx = data_center_context(&sim, &shared, &options, auth).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(stored_keys(&sim), DC_KEYS);
    let state = sim.dump_state();
    let root = state.unique.scope("scope-root").expect("root");
    assert_eq!(
        root.external_id.as_deref(),
        Some("confc:data-center:dc-instance-1")
    );
    let page = state.unique.file("acme/42_OPS/1000").expect("page");
    assert_eq!(
        page.source_kind.as_deref(),
        Some("ATLASSIAN_CONFLUENCE_ONPREM")
    );
    assert_eq!(
        page.metadata["confluenceLabels"],
        serde_json::json!(["runbook"])
    );
    for (key, id) in [
        ("acme/42_OPS/1000::3000", "3000"),
        ("acme/42_OPS/1000::3001", "3001"),
    ] {
        let (size, sha) = sim.attachment_digest(DC, id).expect("attachment");
        let file = state.unique.file(key).expect("stored");
        assert_eq!(
            (file.byte_size, file.stored_bytes, file.sha256.as_deref()),
            (size, Some(size), Some(sha.as_str())),
            "{key}"
        );
    }
    let ops = state
        .unique
        .scopes
        .iter()
        .find(|scope| scope.name == "OPS")
        .expect("OPS scope");
    assert_eq!(ops.external_id.as_deref(), Some("confc:acme:42:OPS"));

    sim.reset_request_log();
    let again = cycle(&ctx).await;
    assert_eq!(again.result, Ok(()));
    for write in [
        "ContentUpsert",
        "GenerateScopesBasedOnPaths",
        "UpdateScope",
        "ContentDeleteByContentIds",
        "DeleteFolder",
    ] {
        assert_eq!(count_operation(&sim, write), 0, "{write}");
    }
}

#[tokio::test]
async fn data_center_with_a_personal_access_token_and_cluster_local_unique() {
    assert_data_center_cycle("{ mode: pat, token: pat-1 }", UniqueMode::ClusterLocal).await;
}

#[tokio::test]
async fn data_center_with_oauth_client_credentials_and_cluster_local_unique() {
    assert_data_center_cycle(
        "{ mode: oauth_2lo, clientId: dc-client, clientSecret: dc-secret }",
        UniqueMode::ClusterLocal,
    )
    .await;
}

#[tokio::test]
async fn data_center_with_basic_auth_and_external_unique() {
    assert_data_center_cycle(
        "{ mode: basic, username: alice, password: wonderland }",
        UniqueMode::External,
    )
    .await;
}

#[tokio::test]
async fn cloud_with_external_unique_sends_bearer_tokens_and_uploads_to_the_write_url() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let options = TenantOptions {
        unique: UniqueMode::External,
        ..TenantOptions::default()
    };
    let ctx = cloud_context(&sim, &shared, &options).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(
        stored_keys(&sim),
        ["acme/98307_ENG/100", "acme/98307_ENG/100::att200"]
    );
    let log = sim.request_log();
    let graphql: Vec<_> = log
        .requests
        .iter()
        .filter(|r| r.service == "unique" && r.path.ends_with("/graphql"))
        .collect();
    assert!(!graphql.is_empty());
    assert!(
        graphql.iter().all(|r| r
            .headers
            .get("authorization")
            .is_some_and(|v| v.starts_with("Bearer"))),
        "bearer on every call"
    );
    assert_eq!(
        log.requests.iter().filter(|r| r.service == "blob").count(),
        2,
        "uploads go to the blob writeUrl"
    );
    assert_eq!(
        shared.metric(
            "confluence_connector_unique_api_auth_token_refresh_total",
            &[("tenant", "acme")]
        ),
        1.0
    );
}

#[tokio::test]
async fn the_v1_key_format_leaves_the_tenant_out_of_keys() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let options = TenantOptions {
        v1_keys: true,
        ..TenantOptions::default()
    };
    let ctx = cloud_context(&sim, &shared, &options).await;
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    assert_eq!(
        stored_keys(&sim),
        ["98307_ENG/100", "98307_ENG/100::att200"]
    );
    // Space scope marks keep the tenant whatever the key format.
    let state = sim.dump_state();
    assert!(
        state
            .unique
            .scopes
            .iter()
            .any(|s| s.external_id.as_deref() == Some("confc:acme:98307:ENG"))
    );
}
