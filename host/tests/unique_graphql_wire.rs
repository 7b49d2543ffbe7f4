//! The exact GraphQL wire format of G1–G12 against loopback stand-ins for the Unique services:
//! routing, headers per auth mode, documents (compared with the spec's text), variables, and the
//! reading of each answer.

mod unique_support;

use std::sync::atomic::Ordering;

use connector_host::auth::UniqueAuth;
use connector_host::unique::{
    AccessType, Recursive, Registration, Scope, SourceKind, UniqueError, UniqueMetrics, UserId,
};
use prometheus::Registry;
use serde_json::{Value, json};
use unique_support::{
    EXTRA_HEADERS, FakeService, Recorded, Reply, client_with, cluster_local_auth,
    cluster_local_client, collapse_whitespace, external_auth,
};

/// The documents exactly as unique-api.md §4 prints them.
const G1: &str = "query User { me { user { id } } }";
const G2: &str =
    "mutation CreateScopeAccesses($scopeAccesses: [ScopeAccessChangeDto!]!, $scopeId: String!,
    $applyToSubScopes: Boolean, $skipFileAccessPropagation: Boolean) {
  createScopeAccesses(scopeAccesses: $scopeAccesses, scopeId: $scopeId,
    applyToSubScopes: $applyToSubScopes, skipFileAccessPropagation: $skipFileAccessPropagation)
}";
const G3: &str = "query PaginatedScope($skip: Int!, $take: Int!, $where: ScopeWhereInput!) {
  paginatedScope(skip: $skip, take: $take, where: $where) {
    totalCount
    nodes { id name parentId externalId }
  }
}";
const G4: &str = "mutation GenerateScopesBasedOnPaths($paths: [String!]!, $inheritAccess: Boolean) {
  generateScopesBasedOnPaths(paths: $paths, inheritAccess: $inheritAccess) { id name parentId externalId }
}";
const G5: &str = "mutation UpdateScope($id: String!, $input: ScopeUpdateInput!) {
  updateScope(id: $id, input: $input) { id name externalId parentId }
}";
const G6: &str = "mutation DeleteFolder($scopeId: String!, $recursive: Boolean!) {
  deleteFolder(scopeId: $scopeId, recursive: $recursive) {
    failedFolders { id name failReason path }
    successFolders { id name path }
  }
}";
const G7: &str = "mutation BulkMove($input: BulkMoveInput!) {
  bulkMove(input: $input) { scopeIds asyncMetadataRebuild jobId affectedFiles message }
}";
const G8: &str = "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) {
  paginatedContent(skip: $skip, take: $take, where: $where) {
    nodes { id fileAccess key ownerType ownerId metadata byteSize expiresAt ingestionState }
    totalCount
  }
}";
const G9: &str = "query PaginatedContentCount($where: ContentWhereInput) {
  paginatedContent(where: $where, skip: 0, take: 0) { totalCount }
}";
const G10: &str = "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) {
  paginatedContent(skip: $skip, take: $take, where: $where) { nodes { id } totalCount }
}";
const G11: &str = "mutation ContentDeleteByContentIds($contentIds: [String!]!) {
  contentDeleteByContentIds(contentIds: $contentIds) { id }
}";
const G12: &str = "mutation ContentUpsert($input: ContentCreateInput!, $fileUrl: String, $chatId: String, $scopeId: String,
    $sourceOwnerType: String, $sourceName: String, $sourceKind: String, $storeInternally: Boolean,
    $baseUrl: String) {
  contentUpsert(input: $input, fileUrl: $fileUrl, chatId: $chatId, scopeId: $scopeId,
      sourceOwnerType: $sourceOwnerType, sourceName: $sourceName, sourceKind: $sourceKind,
      storeInternally: $storeInternally, baseUrl: $baseUrl) {
    id key title byteSize mimeType ownerType ownerId writeUrl readUrl createdAt internallyStoredAt
    source { kind name }
  }
}";

fn scope_json(id: &str, name: &str, parent: Option<&str>, external: Option<&str>) -> Value {
    json!({"id": id, "name": name, "parentId": parent, "externalId": external})
}

/// Asserts the request is a GraphQL POST to `path` with `operation`, `document` and `variables`.
fn assert_graphql(
    request: &Recorded,
    path: &str,
    operation: &str,
    document: &str,
    variables: Value,
) {
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path, path,
        "{operation} routed to the wrong service"
    );
    assert_eq!(request.raw_query, None);
    assert_eq!(request.operation_name(), operation);
    assert_eq!(request.document(), collapse_whitespace(document));
    assert_eq!(
        request.json()["variables"],
        variables,
        "{operation} variables"
    );
    assert_eq!(
        request.header("accept"),
        Some("application/graphql-response+json, application/json")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
}

/// Asserts the cluster-local headers: `x-service-id` and every extra header verbatim.
fn assert_cluster_local_headers(request: &Recorded) {
    assert_eq!(request.header("x-service-id"), Some("confluence-connector"));
    for (name, value) in EXTRA_HEADERS {
        assert_eq!(request.header(name), Some(value), "{name}");
    }
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn me_goes_to_scope_management_and_everything_else_to_ingestion() {
    let scope_management =
        FakeService::start(|_| Reply::data("me", json!({"user": {"id": "user-123"}}))).await;
    let ingestion = FakeService::start(|_| Reply::data("createScopeAccesses", json!(true))).await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        ingestion.url("/ingestion"),
        scope_management.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
    );

    let user = client.me().await.expect("me");
    assert_eq!(user, UserId("user-123".into()));
    client
        .grant_access(
            "scope-root",
            &user,
            &[AccessType::Manage, AccessType::Read, AccessType::Write],
        )
        .await
        .expect("grant");

    let [me] = scope_management.requests().try_into().expect("one G1");
    assert_graphql(&me, "/scope-management/graphql", "User", G1, json!({}));
    assert_cluster_local_headers(&me);

    let [grant] = ingestion.requests().try_into().expect("one G2");
    assert_graphql(
        &grant,
        "/ingestion/graphql",
        "CreateScopeAccesses",
        G2,
        json!({
            "scopeId": "scope-root",
            "scopeAccesses": [
                {"accessType": "MANAGE", "entityId": "user-123", "entityType": "USER"},
                {"accessType": "READ", "entityId": "user-123", "entityType": "USER"},
                {"accessType": "WRITE", "entityId": "user-123", "entityType": "USER"},
            ],
            "applyToSubScopes": false,
            "skipFileAccessPropagation": true,
        }),
    );
    assert_cluster_local_headers(&grant);
}

#[tokio::test]
async fn empty_user_id_fails_me() {
    let service = FakeService::start(|_| Reply::data("me", json!({"user": {"id": ""}}))).await;
    let (client, _) = cluster_local_client(&service);
    let error = client.me().await.expect_err("empty id");
    assert!(
        matches!(error, UniqueError::InvalidResponse { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn scope_lookups_send_the_spec_filters_and_read_nodes() {
    let service = FakeService::start(|request| {
        let filter = &request.json()["variables"]["where"];
        let nodes = if filter["id"]["equals"] == "scope-root" {
            json!([scope_json(
                "scope-root",
                "Confluence",
                Some("scope-kb"),
                Some("confc:cloud:1a2b")
            )])
        } else {
            json!([])
        };
        Reply::data(
            "paginatedScope",
            json!({"totalCount": nodes.as_array().map(Vec::len), "nodes": nodes}),
        )
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let root = client.scope_by_id("scope-root").await.expect("by id");
    assert_eq!(
        root,
        Some(Scope {
            id: "scope-root".into(),
            name: "Confluence".into(),
            parent_id: Some("scope-kb".into()),
            external_id: Some("confc:cloud:1a2b".into()),
        })
    );
    let missing = client
        .scope_by_external_id("confc:cloud:1a2b")
        .await
        .expect("by external id");
    assert_eq!(missing, None, "no node means not found");

    let [by_id, by_external_id] = service.requests().try_into().expect("two G3");
    assert_graphql(
        &by_id,
        "/ingestion/graphql",
        "PaginatedScope",
        G3,
        json!({"skip": 0, "take": 1, "where": {"id": {"equals": "scope-root"}}}),
    );
    assert_graphql(
        &by_external_id,
        "/ingestion/graphql",
        "PaginatedScope",
        G3,
        json!({"skip": 0, "take": 1, "where": {"externalId": {"equals": "confc:cloud:1a2b"}}}),
    );
}

#[tokio::test]
async fn children_are_paged_by_100_while_pages_are_full() {
    let service = FakeService::start(|request| {
        let skip = request.json()["variables"]["skip"].as_u64().expect("skip");
        let count = if skip < 200 { 100 } else { 37 };
        let nodes: Vec<Value> = (skip..skip + count)
            .map(|i| scope_json(&format!("s{i}"), &format!("S{i}"), Some("root"), None))
            .collect();
        // totalCount is deliberately wrong: the loop must not use it.
        Reply::data("paginatedScope", json!({"totalCount": 1, "nodes": nodes}))
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let children = client.list_children("root").await.expect("children");
    assert_eq!(children.len(), 237);
    assert_eq!(children[236].id, "s236");

    let skips: Vec<Value> = service
        .requests()
        .iter()
        .map(|request| {
            let variables = &request.json()["variables"];
            assert_eq!(variables["take"], 100);
            assert_eq!(variables["where"], json!({"parentId": {"equals": "root"}}));
            variables["skip"].clone()
        })
        .collect();
    assert_eq!(skips, [json!(0), json!(100), json!(200)]);
}

#[tokio::test]
async fn generate_scopes_sends_paths_in_order_and_checks_the_count() {
    let service = FakeService::start(|request| {
        let paths = request.json()["variables"]["paths"]
            .as_array()
            .expect("paths")
            .clone();
        // Answers one scope fewer than asked when the last path ends with "DROP".
        let scopes: Vec<Value> = paths
            .iter()
            .filter(|path| !path.as_str().expect("path").ends_with("DROP"))
            .map(|path| {
                let name = path
                    .as_str()
                    .expect("path")
                    .rsplit('/')
                    .next()
                    .expect("name");
                scope_json(&format!("id-{name}"), name, Some("scope-root"), None)
            })
            .collect();
        Reply::data("generateScopesBasedOnPaths", json!(scopes))
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let paths = vec![
        "/KB/Confluence/ENG".to_owned(),
        "/KB/Confluence/OPS".to_owned(),
    ];
    let scopes = client.generate_scopes(&paths).await.expect("generate");
    let names: Vec<&str> = scopes.iter().map(|scope| scope.name.as_str()).collect();
    assert_eq!(names, ["ENG", "OPS"]);
    assert_graphql(
        &service.requests()[0],
        "/ingestion/graphql",
        "GenerateScopesBasedOnPaths",
        G4,
        json!({"paths": ["/KB/Confluence/ENG", "/KB/Confluence/OPS"], "inheritAccess": true}),
    );

    let error = client
        .generate_scopes(&[
            "/KB/Confluence/A".to_owned(),
            "/KB/Confluence/DROP".to_owned(),
        ])
        .await
        .expect_err("one scope missing");
    assert!(
        matches!(
            error,
            UniqueError::ScopeCountMismatch {
                requested: 2,
                returned: 1,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn more_than_100_paths_are_sent_in_calls_of_at_most_100() {
    let service = FakeService::start(|request| {
        let paths = request.json()["variables"]["paths"]
            .as_array()
            .expect("paths")
            .clone();
        let scopes: Vec<Value> = paths
            .iter()
            .map(|path| scope_json(path.as_str().expect("path"), "n", None, None))
            .collect();
        Reply::data("generateScopesBasedOnPaths", json!(scopes))
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let paths: Vec<String> = (0..250).map(|i| format!("/KB/S{i}")).collect();
    let scopes = client.generate_scopes(&paths).await.expect("generate");
    let ids: Vec<&str> = scopes.iter().map(|scope| scope.id.as_str()).collect();
    assert_eq!(ids, paths.iter().map(String::as_str).collect::<Vec<_>>());
    let sizes: Vec<usize> = service
        .requests()
        .iter()
        .map(|r| {
            r.json()["variables"]["paths"]
                .as_array()
                .expect("paths")
                .len()
        })
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[tokio::test]
async fn clearing_the_external_id_sends_an_explicit_null() {
    let service = FakeService::start(|request| {
        let variables = &request.json()["variables"];
        Reply::data(
            "updateScope",
            scope_json(
                variables["id"].as_str().expect("id"),
                "Confluence",
                None,
                variables["input"]["externalId"].as_str(),
            ),
        )
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let claimed = client
        .set_external_id("scope-root", Some("confc:cloud:1a2b"))
        .await
        .expect("claim");
    assert_eq!(claimed.external_id.as_deref(), Some("confc:cloud:1a2b"));
    let cleared = client
        .set_external_id("scope-root", None)
        .await
        .expect("clear");
    assert_eq!(cleared.external_id, None);

    let [claim, clear] = service.requests().try_into().expect("two G5");
    assert_graphql(
        &claim,
        "/ingestion/graphql",
        "UpdateScope",
        G5,
        json!({"id": "scope-root", "input": {"externalId": "confc:cloud:1a2b"}}),
    );
    assert_graphql(
        &clear,
        "/ingestion/graphql",
        "UpdateScope",
        G5,
        json!({"id": "scope-root", "input": {"externalId": null}}),
    );
    let raw_input = &clear.json()["variables"]["input"];
    assert!(
        raw_input
            .as_object()
            .expect("input")
            .contains_key("externalId")
    );
}

#[tokio::test]
async fn delete_folder_sends_recursive_and_fails_on_failed_folders() {
    let service = FakeService::start(|request| {
        let variables = &request.json()["variables"];
        if variables["scopeId"] == "scope-stuck" {
            Reply::data(
                "deleteFolder",
                json!({"failedFolders": [{"id": "scope-stuck", "name": "S", "failReason": "has files", "path": "/KB/S"}],
                       "successFolders": []}),
            )
        } else {
            Reply::data(
                "deleteFolder",
                json!({"failedFolders": [], "successFolders": [{"id": "scope-old", "name": "OLD", "path": "/KB/OLD"}]}),
            )
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    client
        .delete_folder("scope-old", Recursive::No)
        .await
        .expect("delete");
    client
        .delete_folder("scope-child", Recursive::Yes)
        .await
        .expect("delete");
    let error = client
        .delete_folder("scope-stuck", Recursive::No)
        .await
        .expect_err("failedFolders");
    assert!(
        error.to_string().contains("scope-stuck: has files"),
        "{error}"
    );

    let requests = service.requests();
    assert_graphql(
        &requests[0],
        "/ingestion/graphql",
        "DeleteFolder",
        G6,
        json!({"scopeId": "scope-old", "recursive": false}),
    );
    assert_eq!(requests[1].json()["variables"]["recursive"], true);
}

#[tokio::test]
async fn bulk_move_errors_lose_their_parenthesised_parts() {
    let service = FakeService::start(|request| {
        if request.json()["variables"]["input"]["targetScopeId"] == "scope-bad" {
            Reply::json(json!({
                "errors": [{"message": "Cannot move scopes (ids: a, b) into target (scope-bad)"}],
                "data": null
            }))
        } else {
            Reply::data(
                "bulkMove",
                json!({"scopeIds": ["a"], "asyncMetadataRebuild": false, "jobId": null,
                       "affectedFiles": 3, "message": "Moved (1 scope)"}),
            )
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let ids = vec!["a".to_owned(), "b".to_owned()];

    let moved = client.bulk_move(&ids, "scope-new").await.expect("move");
    assert_eq!(moved.message.as_deref(), Some("Moved"));
    let error = client
        .bulk_move(&ids, "scope-bad")
        .await
        .expect_err("errors");
    assert_eq!(
        error.to_string(),
        "GraphQL operation BulkMove failed: Cannot move scopes into target"
    );
    assert_graphql(
        &service.requests()[0],
        "/ingestion/graphql",
        "BulkMove",
        G7,
        json!({"input": {"scopeIds": ["a", "b"], "targetScopeId": "scope-new"}}),
    );
}

#[tokio::test]
async fn content_queries_send_the_spec_documents_and_filters() {
    let service = FakeService::start(|request| {
        let body = request.json();
        match body["operationName"].as_str().expect("name") {
            "PaginatedContentCount" => Reply::data("paginatedContent", json!({"totalCount": 42})),
            _ => {
                // Resolve keys by echoing ids for the keys that "exist".
                let keys = body["variables"]["where"]["key"]["in"].as_array().cloned();
                let nodes: Vec<Value> = match keys {
                    Some(keys) => keys
                        .iter()
                        .filter(|key| !key.as_str().expect("key").ends_with("gone"))
                        .map(|key| json!({"id": format!("id:{}", key.as_str().expect("key"))}))
                        .collect(),
                    None => vec![json!({"id": "owned-1"}), json!({"id": "owned-2"})],
                };
                Reply::data(
                    "paginatedContent",
                    json!({"totalCount": nodes.len(), "nodes": nodes}),
                )
            }
        }
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let keys = vec!["acme/1_ENG/10".to_owned(), "acme/1_ENG/11gone".to_owned()];
    let ids = client.content_ids_by_keys(&keys).await.expect("by keys");
    assert_eq!(ids, ["id:acme/1_ENG/10"]);
    let count = client
        .count_by_key_prefix("acme/1_ENG")
        .await
        .expect("count");
    assert_eq!(count, 42);
    let owned = client
        .content_ids_by_owner("scope-eng")
        .await
        .expect("by owner");
    assert_eq!(owned, ["owned-1", "owned-2"]);
    assert!(
        client
            .content_ids_by_keys(&[])
            .await
            .expect("empty")
            .is_empty(),
        "no keys, no call"
    );

    let [by_keys, count, by_owner] = service.requests().try_into().expect("three calls");
    assert_graphql(
        &by_keys,
        "/ingestion/graphql",
        "PaginatedContent",
        G8,
        json!({"skip": 0, "take": 100, "where": {"key": {"in": ["acme/1_ENG/10", "acme/1_ENG/11gone"]}}}),
    );
    assert_graphql(
        &count,
        "/ingestion/graphql",
        "PaginatedContentCount",
        G9,
        json!({"where": {"key": {"startsWith": "acme/1_ENG/"}}}),
    );
    assert_graphql(
        &by_owner,
        "/ingestion/graphql",
        "PaginatedContent",
        G10,
        json!({"skip": 0, "take": 100,
               "where": {"ownerId": {"equals": "scope-eng"}, "ownerType": {"equals": "SCOPE"}}}),
    );
}

#[tokio::test]
async fn key_resolution_pages_by_100_with_all_keys_in_one_list() {
    let service = FakeService::start(|request| {
        let variables = &request.json()["variables"];
        let skip = variables["skip"].as_u64().expect("skip") as usize;
        let keys = variables["where"]["key"]["in"]
            .as_array()
            .expect("in")
            .clone();
        let nodes: Vec<Value> = keys
            .iter()
            .skip(skip)
            .take(100)
            .map(|key| json!({"id": key}))
            .collect();
        Reply::data(
            "paginatedContent",
            json!({"totalCount": keys.len(), "nodes": nodes}),
        )
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let keys: Vec<String> = (0..200).map(|i| format!("acme/1_ENG/{i}")).collect();
    let ids = client.content_ids_by_keys(&keys).await.expect("by keys");
    assert_eq!(ids, keys);
    let skips: Vec<Value> = service
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(
                r.json()["variables"]["where"]["key"]["in"]
                    .as_array()
                    .map(Vec::len),
                Some(200)
            );
            r.json()["variables"]["skip"].clone()
        })
        .collect();
    // Exactly 100 on the second page: one more call finds the end.
    assert_eq!(skips, [json!(0), json!(100), json!(200)]);
}

fn registration(ingestion_config: Option<Value>) -> Registration {
    Registration {
        key: "acme/98307_ENG/123456".into(),
        title: "Runbook".into(),
        mime_type: "text/html".into(),
        url: "https://acme.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook".into(),
        byte_size: 1234,
        metadata: json!({"confluenceLabels": ["ops"], "spaceKey": "ENG", "spaceName": "Engineering"}),
        ingestion_config,
        scope_id: "scope-eng".into(),
        source_kind: SourceKind::ConfluenceCloud,
        confluence_base_url: "https://acme.atlassian.net".into(),
        store_internally: true,
    }
}

fn expected_upsert_variables(ingestion_config: Option<Value>, file_url: Option<&str>) -> Value {
    let mut input = json!({
        "key": "acme/98307_ENG/123456",
        "title": "Runbook",
        "mimeType": "text/html",
        "ownerType": "SCOPE",
        "url": "https://acme.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook",
        "byteSize": 1234,
        "metadata": {"confluenceLabels": ["ops"], "spaceKey": "ENG", "spaceName": "Engineering"},
    });
    if let Some(config) = ingestion_config {
        input["ingestionConfig"] = config;
    }
    let mut variables = json!({
        "input": input,
        "scopeId": "scope-eng",
        "sourceOwnerType": "COMPANY",
        "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD",
        "sourceName": "https://acme.atlassian.net",
        "storeInternally": true,
        "baseUrl": "https://acme.atlassian.net",
    });
    if let Some(url) = file_url {
        variables["fileUrl"] = json!(url);
    }
    variables
}

#[tokio::test]
async fn register_and_finalize_send_the_registration_variables() {
    let service = FakeService::start(|_| {
        Reply::data(
            "contentUpsert",
            json!({"id": "cont-1", "key": "acme/98307_ENG/123456",
                   "writeUrl": "https://blob.example/c/1?sig=w", "readUrl": "https://blob.example/c/1?sig=r"}),
        )
    })
    .await;
    let (client, _) = cluster_local_client(&service);

    let page = registration(None);
    let registered = client.upsert_content(&page).await.expect("register");
    assert_eq!(registered.id, "cont-1");
    assert_eq!(
        registered.write_url.expose(),
        "https://blob.example/c/1?sig=w"
    );
    assert!(
        !format!("{registered:?}").contains("sig="),
        "{registered:?}"
    );
    let id = client
        .finalize_content(&page, &registered.read_url)
        .await
        .expect("finalize");
    assert_eq!(id, "cont-1");
    let config = json!({"jpgReadMode": "DOC_INTELLIGENCE_DEFAULT"});
    client
        .upsert_content(&registration(Some(config.clone())))
        .await
        .expect("register with config");

    let [register, finalize, with_config] = service.requests().try_into().expect("three G12");
    assert_graphql(
        &register,
        "/ingestion/graphql",
        "ContentUpsert",
        G12,
        expected_upsert_variables(None, None),
    );
    assert_graphql(
        &finalize,
        "/ingestion/graphql",
        "ContentUpsert",
        G12,
        expected_upsert_variables(None, Some("https://blob.example/c/1?sig=r")),
    );
    assert_graphql(
        &with_config,
        "/ingestion/graphql",
        "ContentUpsert",
        G12,
        expected_upsert_variables(Some(config), None),
    );
}

#[tokio::test]
async fn registration_without_upload_urls_fails() {
    let service = FakeService::start(|_| {
        Reply::data("contentUpsert", json!({"id": "cont-1", "writeUrl": null}))
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let error = client
        .upsert_content(&registration(None))
        .await
        .expect_err("no writeUrl");
    assert!(error.to_string().contains("writeUrl"), "{error}");
}

#[tokio::test]
async fn external_mode_sends_the_zitadel_bearer_token_and_no_service_headers() {
    let service = FakeService::start(|request| match request.operation_name().as_str() {
        "User" => Reply::data("me", json!({"user": {"id": "user-9"}})),
        _ => Reply::data("paginatedScope", json!({"totalCount": 0, "nodes": []})),
    })
    .await;
    let (auth, token_calls) = external_auth("token-abc").await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        auth,
        &metrics,
    );

    client.me().await.expect("me");
    assert_eq!(client.scope_by_id("x").await.expect("by id"), None);

    for request in service.requests() {
        assert_eq!(request.header("authorization"), Some("Bearer token-abc"));
        assert_eq!(request.header("x-service-id"), None);
        assert_eq!(request.header("x-company-id"), None);
    }
    assert_eq!(token_calls.load(Ordering::SeqCst), 1, "the token is cached");
}

#[tokio::test]
async fn an_extra_x_service_id_header_replaces_the_default_one() {
    let service = FakeService::start(|_| Reply::data("me", json!({"user": {"id": "u"}}))).await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let auth = UniqueAuth::cluster_local([
        ("x-service-id".to_owned(), "custom".to_owned()),
        ("x-company-id".to_owned(), "c".to_owned()),
    ])
    .expect("headers");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/sm"),
        auth,
        &metrics,
    );
    client.me().await.expect("me");
    let [request] = service.requests().try_into().expect("one call");
    assert_eq!(request.header("x-service-id"), Some("custom"));
    assert_eq!(request.headers.get_all("x-service-id").iter().count(), 1);
}

#[tokio::test]
async fn configured_bases_with_trailing_slash_still_route_to_one_graphql_path() {
    let service = FakeService::start(|_| Reply::data("me", json!({"user": {"id": "u"}}))).await;
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion/"),
        service.url("/scope-management/"),
        cluster_local_auth(),
        &metrics,
    );
    client.me().await.expect("me");
    assert_eq!(service.requests()[0].path, "/scope-management/graphql");
}

#[tokio::test]
async fn content_deletion_sends_the_g11_document_and_ids() {
    let service = FakeService::start(|request| {
        let ids = request.json()["variables"]["contentIds"].clone();
        let deleted: Vec<Value> = ids
            .as_array()
            .expect("ids")
            .iter()
            .map(|id| json!({"id": id}))
            .collect();
        Reply::data("contentDeleteByContentIds", json!(deleted))
    })
    .await;
    let (client, _) = cluster_local_client(&service);
    let count = client
        .delete_contents(&["cont-1".to_owned(), "cont-2".to_owned()])
        .await;
    assert_eq!((count.deleted, count.failed), (2, 0));
    let [delete] = service.requests().try_into().expect("one G11");
    assert_graphql(
        &delete,
        "/ingestion/graphql",
        "ContentDeleteByContentIds",
        G11,
        json!({"contentIds": ["cont-1", "cont-2"]}),
    );
    assert_cluster_local_headers(&delete);
}
