//! Contract tests of the Unique GraphQL services (spec unique-api.md §3, §4, §6, §8): every
//! operation the connector sends, with the spec's documents, over real HTTP.

mod common;

use common::{client, graphql, graphql_at, start};
use serde_json::{Value, json};

const USER: &str = "query User { me { user { id } } }";
const CREATE_SCOPE_ACCESSES: &str = "mutation CreateScopeAccesses($scopeAccesses: [ScopeAccessChangeDto!]!, $scopeId: String!, $applyToSubScopes: Boolean, $skipFileAccessPropagation: Boolean) { createScopeAccesses(scopeAccesses: $scopeAccesses, scopeId: $scopeId, applyToSubScopes: $applyToSubScopes, skipFileAccessPropagation: $skipFileAccessPropagation) }";
const PAGINATED_SCOPE: &str = "query PaginatedScope($skip: Int!, $take: Int!, $where: ScopeWhereInput!) { paginatedScope(skip: $skip, take: $take, where: $where) { totalCount nodes { id name parentId externalId } } }";
const GENERATE: &str = "mutation GenerateScopesBasedOnPaths($paths: [String!]!, $inheritAccess: Boolean) { generateScopesBasedOnPaths(paths: $paths, inheritAccess: $inheritAccess) { id name parentId externalId } }";
const UPDATE_SCOPE: &str = "mutation UpdateScope($id: String!, $input: ScopeUpdateInput!) { updateScope(id: $id, input: $input) { id name externalId parentId } }";
const DELETE_FOLDER: &str = "mutation DeleteFolder($scopeId: String!, $recursive: Boolean!) { deleteFolder(scopeId: $scopeId, recursive: $recursive) { failedFolders { id name failReason path } successFolders { id name path } } }";
const BULK_MOVE: &str = "mutation BulkMove($input: BulkMoveInput!) { bulkMove(input: $input) { scopeIds asyncMetadataRebuild jobId affectedFiles message } }";
const PAGINATED_CONTENT: &str = "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) { paginatedContent(skip: $skip, take: $take, where: $where) { nodes { id fileAccess key ownerType ownerId metadata byteSize expiresAt ingestionState } totalCount } }";
const PAGINATED_CONTENT_IDS: &str = "query PaginatedContent($skip: Int!, $take: Int!, $where: ContentWhereInput) { paginatedContent(skip: $skip, take: $take, where: $where) { nodes { id } totalCount } }";
const CONTENT_COUNT: &str = "query PaginatedContentCount($where: ContentWhereInput) { paginatedContent(where: $where, skip: 0, take: 0) { totalCount } }";
const DELETE_BY_IDS: &str = "mutation ContentDeleteByContentIds($contentIds: [String!]!) { contentDeleteByContentIds(contentIds: $contentIds) { id } }";
const CONTENT_UPSERT: &str = "mutation ContentUpsert($input: ContentCreateInput!, $fileUrl: String, $chatId: String, $scopeId: String, $sourceOwnerType: String, $sourceName: String, $sourceKind: String, $storeInternally: Boolean, $baseUrl: String) { contentUpsert(input: $input, fileUrl: $fileUrl, chatId: $chatId, scopeId: $scopeId, sourceOwnerType: $sourceOwnerType, sourceName: $sourceName, sourceKind: $sourceKind, storeInternally: $storeInternally, baseUrl: $baseUrl) { id key title byteSize mimeType ownerType ownerId writeUrl readUrl createdAt internallyStoredAt source { kind name } } }";

fn registration(key: &str, byte_size: u64) -> Value {
    json!({
        "input": {"key": key, "title": "Runbook", "mimeType": "text/html", "ownerType": "SCOPE",
                  "url": "https://acme.atlassian.net/wiki/spaces/ENG/pages/100/Runbook", "byteSize": byte_size,
                  "metadata": {"confluenceLabels": [], "spaceKey": "ENG", "spaceName": "Engineering"}},
        "scopeId": "scope-root", "sourceOwnerType": "COMPANY", "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD",
        "sourceName": "https://acme.atlassian.net", "storeInternally": true, "baseUrl": "https://acme.atlassian.net"
    })
}

async fn upsert(sim: &connector_sim::Sim, variables: Value) -> Value {
    let (status, answer) = graphql(sim, "ContentUpsert", CONTENT_UPSERT, variables).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"]["contentUpsert"].clone()
}

#[tokio::test]
async fn me_is_served_by_scope_management_only() {
    let sim = start().await;
    let scope_management = format!("{}/graphql", sim.unique_scope_management_base());
    let (status, answer) = graphql_at(&scope_management, "User", USER, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"data": {"me": {"user": {"id": "user-1"}}}}));
    let (status, wrong) = graphql(&sim, "User", USER, json!({})).await;
    assert_eq!(status, 400);
    assert!(wrong["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn typename_ping_is_answered_by_both_services() {
    let sim = start().await;
    for base in [
        sim.unique_ingestion_base(),
        sim.unique_scope_management_base(),
    ] {
        let response = client()
            .post(format!("{base}/graphql"))
            .header("x-company-id", "company-1")
            .header("x-user-id", "u")
            .header("x-service-id", "confluence-connector")
            .json(&json!({"query": "{ __typename }"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.json::<Value>().await.expect("json"),
            json!({"data": {"__typename": "Query"}})
        );
    }
}

#[tokio::test]
async fn paginated_scope_finds_by_id_external_id_and_parent() {
    let sim = start().await;
    let (_, by_id) = graphql(
        &sim,
        "PaginatedScope",
        PAGINATED_SCOPE,
        json!({"skip": 0, "take": 1, "where": {"id": {"equals": "scope-root"}}}),
    )
    .await;
    assert_eq!(
        by_id["data"]["paginatedScope"],
        json!({"totalCount": 1, "nodes": [{"id": "scope-root", "name": "Confluence", "parentId": "scope-kb", "externalId": null}]})
    );
    let (_, by_external) = graphql(
        &sim,
        "PaginatedScope",
        PAGINATED_SCOPE,
        json!({"skip": 0, "take": 1, "where": {"externalId": {"equals": "confc:cloud:x"}}}),
    )
    .await;
    assert_eq!(by_external["data"]["paginatedScope"]["nodes"], json!([]));
    let (_, children) = graphql(
        &sim,
        "PaginatedScope",
        PAGINATED_SCOPE,
        json!({"skip": 0, "take": 100, "where": {"parentId": {"equals": "scope-kb"}}}),
    )
    .await;
    assert_eq!(
        children["data"]["paginatedScope"]["nodes"][0]["id"],
        "scope-root"
    );
    let (_, top) = graphql(
        &sim,
        "PaginatedScope",
        PAGINATED_SCOPE,
        json!({"skip": 0, "take": 100, "where": {"parentId": {"equals": null}}}),
    )
    .await;
    assert_eq!(top["data"]["paginatedScope"]["nodes"][0]["id"], "scope-kb");
}

#[tokio::test]
async fn create_scope_accesses_records_grants_and_rejects_unknown_scopes() {
    let sim = start().await;
    let grants = json!([{"accessType": "MANAGE", "entityId": "user-1", "entityType": "USER"},
                        {"accessType": "READ", "entityId": "user-1", "entityType": "USER"}]);
    let (_, ok) = graphql(&sim, "CreateScopeAccesses", CREATE_SCOPE_ACCESSES,
        json!({"scopeId": "scope-root", "scopeAccesses": grants, "applyToSubScopes": false, "skipFileAccessPropagation": true})).await;
    assert_eq!(ok, json!({"data": {"createScopeAccesses": true}}));
    let root = sim
        .dump_state()
        .unique
        .scope("scope-root")
        .cloned()
        .expect("root");
    assert_eq!(root.accesses.len(), 2);
    let (status, missing) = graphql(
        &sim,
        "CreateScopeAccesses",
        CREATE_SCOPE_ACCESSES,
        json!({"scopeId": "nope", "scopeAccesses": grants}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Scope not found"))
    );
    assert_eq!(missing["data"], Value::Null);
}

#[tokio::test]
async fn generate_scopes_from_paths_answers_in_input_order_and_reuses_existing_scopes() {
    let sim = start().await;
    let vars =
        json!({"paths": ["/KB/Confluence/OPS", "/KB/Confluence/ENG"], "inheritAccess": true});
    let (_, first) = graphql(&sim, "GenerateScopesBasedOnPaths", GENERATE, vars.clone()).await;
    let scopes = first["data"]["generateScopesBasedOnPaths"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[0]["name"], "OPS");
    assert_eq!(scopes[1]["name"], "ENG");
    assert_eq!(scopes[0]["parentId"], "scope-root");
    assert_eq!(scopes[0]["externalId"], Value::Null);
    let (_, again) = graphql(&sim, "GenerateScopesBasedOnPaths", GENERATE, vars).await;
    assert_eq!(again["data"]["generateScopesBasedOnPaths"], json!(scopes));
    assert!(
        sim.dump_state()
            .unique
            .scope_by_path("/KB/Confluence/ENG")
            .is_some()
    );
}

#[tokio::test]
async fn update_scope_sets_and_clears_the_external_id() {
    let sim = start().await;
    let (_, set) = graphql(
        &sim,
        "UpdateScope",
        UPDATE_SCOPE,
        json!({"id": "scope-root", "input": {"externalId": "confc:cloud:1a2b"}}),
    )
    .await;
    assert_eq!(set["data"]["updateScope"]["externalId"], "confc:cloud:1a2b");
    let (_, cleared) = graphql(
        &sim,
        "UpdateScope",
        UPDATE_SCOPE,
        json!({"id": "scope-root", "input": {"externalId": null}}),
    )
    .await;
    assert_eq!(cleared["data"]["updateScope"]["externalId"], Value::Null);
    let (_, unknown) = graphql(
        &sim,
        "UpdateScope",
        UPDATE_SCOPE,
        json!({"id": "scope-root", "input": {"owner": "x"}}),
    )
    .await;
    assert!(unknown["errors"].is_array());
}

#[tokio::test]
async fn delete_folder_refuses_sub_folders_unless_recursive_which_cascades_to_files() {
    let sim = start().await;
    let (_, made) = graphql(
        &sim,
        "GenerateScopesBasedOnPaths",
        GENERATE,
        json!({"paths": ["/KB/Confluence/ENG/Deep"]}),
    )
    .await;
    let deep = made["data"]["generateScopesBasedOnPaths"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut vars = registration("acme/1_ENG/1", 1);
    vars["scopeId"] = json!(deep);
    upsert(&sim, vars).await;
    let eng = sim
        .dump_state()
        .unique
        .scope_by_path("/KB/Confluence/ENG")
        .expect("eng")
        .id
        .clone();
    let (_, refused) = graphql(
        &sim,
        "DeleteFolder",
        DELETE_FOLDER,
        json!({"scopeId": eng, "recursive": false}),
    )
    .await;
    let result = &refused["data"]["deleteFolder"];
    assert_eq!(result["failedFolders"][0]["id"], json!(eng));
    assert_eq!(result["failedFolders"][0]["path"], "/KB/Confluence/ENG");
    assert_eq!(result["successFolders"], json!([]));
    let (_, done) = graphql(
        &sim,
        "DeleteFolder",
        DELETE_FOLDER,
        json!({"scopeId": eng, "recursive": true}),
    )
    .await;
    assert_eq!(
        done["data"]["deleteFolder"]["successFolders"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let state = sim.dump_state().unique;
    assert!(state.file("acme/1_ENG/1").is_none());
    assert!(state.scope(&deep).is_none());
    assert!(state.scope("scope-root").is_some());
}

#[tokio::test]
async fn bulk_move_moves_scopes_under_the_target() {
    let sim = start().await;
    let (_, made) = graphql(
        &sim,
        "GenerateScopesBasedOnPaths",
        GENERATE,
        json!({"paths": ["/Old/ENG", "/Old/OPS"]}),
    )
    .await;
    let moved: Vec<String> = made["data"]["generateScopesBasedOnPaths"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    let (_, answer) = graphql(
        &sim,
        "BulkMove",
        BULK_MOVE,
        json!({"input": {"scopeIds": moved, "targetScopeId": "scope-root"}}),
    )
    .await;
    assert_eq!(answer["data"]["bulkMove"]["scopeIds"], json!(moved));
    assert_eq!(answer["data"]["bulkMove"]["affectedFiles"], json!(0));
    let state = sim.dump_state().unique;
    assert_eq!(
        state
            .scope(&moved[0])
            .and_then(|s| s.parent_id.clone())
            .as_deref(),
        Some("scope-root")
    );
    let (_, cycle) = graphql(
        &sim,
        "BulkMove",
        BULK_MOVE,
        json!({"input": {"scopeIds": ["scope-kb"], "targetScopeId": "scope-root"}}),
    )
    .await;
    assert!(cycle["errors"].is_array());
}

#[tokio::test]
async fn register_upload_finalize_stores_the_bytes_and_content_queries_find_them() {
    let sim = start().await;
    let key = "acme/98307_ENG/100";
    let body = "<p>Hello</p>";
    let registered = upsert(&sim, registration(key, body.len() as u64)).await;
    let write_url = registered["writeUrl"].as_str().expect("writeUrl");
    let read_url = registered["readUrl"].as_str().expect("readUrl");
    assert!(write_url.starts_with(sim.blob_origin()), "{write_url}");
    assert!(write_url.contains("?key="));
    assert_eq!(
        registered["source"],
        json!({"kind": "ATLASSIAN_CONFLUENCE_CLOUD", "name": "https://acme.atlassian.net"})
    );
    let put = client()
        .put(write_url)
        .header("content-type", "text/html")
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status().as_u16(), 201);
    let mut finalize = registration(key, body.len() as u64);
    finalize["fileUrl"] = json!(read_url);
    let finalized = upsert(&sim, finalize).await;
    assert_eq!(finalized["id"], registered["id"]);
    let state = sim.dump_state().unique;
    let file = state.file(key).expect("stored");
    assert_eq!(file.stored_bytes, Some(body.len() as u64));
    use sha2::Digest;
    assert_eq!(
        file.sha256.as_deref(),
        Some(hex::encode(sha2::Sha256::digest(body)).as_str())
    );
    assert_eq!(file.ingestion_state, "FINISHED");
    assert_eq!(file.metadata["spaceKey"], "ENG");
    assert_eq!(
        client()
            .get(read_url)
            .send()
            .await
            .expect("read")
            .text()
            .await
            .expect("text"),
        body
    );

    let (_, by_key) = graphql(
        &sim,
        "PaginatedContent",
        PAGINATED_CONTENT,
        json!({"skip": 0, "take": 100, "where": {"key": {"in": [key, "missing"]}}}),
    )
    .await;
    let node = &by_key["data"]["paginatedContent"]["nodes"][0];
    assert_eq!(node["key"], key);
    assert_eq!(node["ownerId"], "scope-root");
    assert_eq!(node["byteSize"], json!(body.len()));
    let (_, count) = graphql(
        &sim,
        "PaginatedContentCount",
        CONTENT_COUNT,
        json!({"where": {"key": {"startsWith": "acme/98307_ENG/"}}}),
    )
    .await;
    assert_eq!(
        count,
        json!({"data": {"paginatedContent": {"totalCount": 2}}})
    );
    let (_, owned) = graphql(&sim, "PaginatedContent", PAGINATED_CONTENT_IDS, json!({"skip": 0, "take": 100, "where": {"ownerId": {"equals": "scope-root"}, "ownerType": {"equals": "SCOPE"}}})).await;
    let nodes = owned["data"]["paginatedContent"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        nodes[0].as_object().map(|o| o.len()),
        Some(1),
        "only the selected field"
    );
    let id = registered["id"].as_str().expect("id");
    let (_, deleted) = graphql(
        &sim,
        "ContentDeleteByContentIds",
        DELETE_BY_IDS,
        json!({"contentIds": [id, "cont-missing"]}),
    )
    .await;
    assert_eq!(
        deleted,
        json!({"data": {"contentDeleteByContentIds": [{"id": id}]}})
    );
    assert!(sim.dump_state().unique.file(key).is_none());
}

#[tokio::test]
async fn finalize_without_an_upload_is_an_error() {
    let sim = start().await;
    let registered = upsert(&sim, registration("acme/1_X/1", 5)).await;
    let mut finalize = registration("acme/1_X/1", 5);
    finalize["fileUrl"] = registered["readUrl"].clone();
    let (status, answer) = graphql(&sim, "ContentUpsert", CONTENT_UPSERT, finalize).await;
    assert_eq!(status, 200);
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("No file was uploaded")),
        "{answer}"
    );
}

#[tokio::test]
async fn variables_are_checked_against_their_declared_types() {
    let sim = start().await;
    let (status, wrong_type) = graphql(
        &sim,
        "PaginatedScope",
        PAGINATED_SCOPE,
        json!({"skip": "0", "take": 1, "where": {}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        wrong_type["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("$skip")),
        "{wrong_type}"
    );
    let (status, missing) = graphql(
        &sim,
        "DeleteFolder",
        DELETE_FOLDER,
        json!({"scopeId": "scope-root"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("$recursive")),
        "{missing}"
    );
    let redeclared = PAGINATED_SCOPE.replace("$skip: Int!", "$skip: Int");
    let (status, _) = graphql(
        &sim,
        "PaginatedScope",
        &redeclared,
        json!({"skip": 0, "take": 1, "where": {}}),
    )
    .await;
    assert_eq!(status, 400);
    let unknown_field = PAGINATED_SCOPE.replace("externalId }", "externalId owner }");
    let (status, _) = graphql(
        &sim,
        "PaginatedScope",
        &unknown_field,
        json!({"skip": 0, "take": 1, "where": {}}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, unknown_op) = graphql(
        &sim,
        "ContentUpdate",
        "mutation ContentUpdate { contentUpdate { id } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(unknown_op["errors"].is_array());
}
