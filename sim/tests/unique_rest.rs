//! Contract tests of the Unique REST side and auth (spec unique-api.md §2, §5, §7): file diff,
//! external and cluster-local uploads, cluster-local headers, Zitadel tokens.

mod common;

use base64::Engine;
use common::{client, graphql, start};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONTENT_UPSERT: &str = "mutation ContentUpsert($input: ContentCreateInput!, $fileUrl: String, $scopeId: String, $sourceOwnerType: String, $sourceName: String, $sourceKind: String, $storeInternally: Boolean, $baseUrl: String) { contentUpsert(input: $input, fileUrl: $fileUrl, scopeId: $scopeId, sourceOwnerType: $sourceOwnerType, sourceName: $sourceName, sourceKind: $sourceKind, storeInternally: $storeInternally, baseUrl: $baseUrl) { id key writeUrl readUrl } }";
const ZITADEL_SCOPE: &str = "openid profile email urn:zitadel:iam:user:resourceowner urn:zitadel:iam:org:projects:roles urn:zitadel:iam:org:project:id:4711:aud";

fn register_vars(key: &str, size: u64) -> Value {
    json!({"input": {"key": key, "title": "f", "mimeType": "application/pdf", "ownerType": "SCOPE", "url": "u", "byteSize": size, "metadata": {}},
           "scopeId": "scope-root", "sourceOwnerType": "COMPANY", "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD", "sourceName": "s", "storeInternally": true, "baseUrl": "s"})
}

async fn file_diff(sim: &connector_sim::Sim, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!(
            "{}/v2/content/file-diff",
            sim.unique_ingestion_base()
        ))
        .header("x-company-id", "company-1")
        .header("x-user-id", "user-1")
        .header("x-service-id", "confluence-connector")
        .json(&body)
        .send()
        .await
        .expect("file diff");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn diff_request(items: Value) -> Value {
    json!({"partialKey": "acme/98307_ENG", "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD", "sourceName": "https://acme.atlassian.net", "fileList": items})
}

async fn ingest(sim: &connector_sim::Sim, key: &str, body: &'static str) {
    let (_, registered) = graphql(
        sim,
        "ContentUpsert",
        CONTENT_UPSERT,
        register_vars(key, body.len() as u64),
    )
    .await;
    let content = &registered["data"]["contentUpsert"];
    let put = client()
        .put(content["writeUrl"].as_str().expect("writeUrl"))
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status().as_u16(), 201);
    let mut finalize = register_vars(key, body.len() as u64);
    finalize["fileUrl"] = content["readUrl"].clone();
    let (_, done) = graphql(sim, "ContentUpsert", CONTENT_UPSERT, finalize).await;
    assert!(done.get("errors").is_none(), "{done}");
}

#[tokio::test]
async fn file_diff_reports_new_unchanged_updated_and_deleted_keys() {
    let sim = start().await;
    let items = json!([
        {"key": "100", "url": "https://acme.atlassian.net/wiki/spaces/ENG/pages/100/Runbook", "updatedAt": "2025-03-01T10:00:00.000Z"},
        {"key": "100::att200", "url": "https://acme.atlassian.net/a", "updatedAt": "2025-03-01T09:00:00.000Z"}]);
    let (status, first) = file_diff(&sim, diff_request(items.clone())).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["newFiles"], json!(["100", "100::att200"]));
    assert_eq!(
        first["deletedFiles"],
        json!(["999"]),
        "the seeded file is not submitted"
    );
    assert_eq!(first["updatedFiles"], json!([]));
    ingest(&sim, "acme/98307_ENG/100", "<p>x</p>").await;
    ingest(&sim, "acme/98307_ENG/100::att200", "png").await;
    let (_, second) = file_diff(&sim, diff_request(items)).await;
    assert_eq!(second["newFiles"], json!([]));
    assert_eq!(second["updatedFiles"], json!([]));
    let file = sim
        .dump_state()
        .unique
        .file("acme/98307_ENG/100")
        .cloned()
        .expect("file");
    assert_eq!(
        file.source_updated_at.as_deref(),
        Some("2025-03-01T10:00:00.000Z")
    );
    let changed = json!([{"key": "100", "url": "u", "updatedAt": "2025-03-02T10:00:00.000Z"}]);
    let (_, third) = file_diff(&sim, diff_request(changed)).await;
    assert_eq!(third["updatedFiles"], json!(["100"]));
    assert_eq!(third["deletedFiles"], json!(["100::att200", "999"]));
    let (_, empty) = file_diff(&sim, diff_request(json!([]))).await;
    assert_eq!(empty["deletedFiles"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn file_diff_rejects_a_malformed_body_with_400() {
    let sim = start().await;
    let (status, answer) =
        file_diff(&sim, json!({"partialKey": "x", "fileList": [{"key": 1}]})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["statusCode"], json!(400));
}

#[tokio::test]
async fn cluster_local_upload_accepts_the_write_key_copied_verbatim() {
    let sim = start().await;
    let (_, registered) = graphql(
        &sim,
        "ContentUpsert",
        CONTENT_UPSERT,
        register_vars("acme/1_A/1::att1", 4),
    )
    .await;
    let write_url = registered["data"]["contentUpsert"]["writeUrl"]
        .as_str()
        .expect("writeUrl")
        .to_owned();
    let raw_key = write_url
        .split_once("key=")
        .expect("key param")
        .1
        .to_owned();
    assert!(
        raw_key.contains("%2B"),
        "the key exercises percent-encoding: {raw_key}"
    );
    let mangled = raw_key.replace("%2B", "+");
    let wrong = client()
        .put(format!(
            "{}/scoped/upload?key={mangled}",
            sim.unique_ingestion_base()
        ))
        .body("abcd")
        .send()
        .await
        .expect("upload");
    assert_eq!(
        wrong.status().as_u16(),
        404,
        "a decoded-and-raw `+` reads as a space"
    );
    let right = client()
        .put(format!(
            "{}/scoped/upload?key={raw_key}",
            sim.unique_ingestion_base()
        ))
        .header("content-type", "application/pdf")
        .body("abcd")
        .send()
        .await
        .expect("upload");
    assert_eq!(right.status().as_u16(), 201);
    let file = sim
        .dump_state()
        .unique
        .file("acme/1_A/1::att1")
        .cloned()
        .expect("file");
    assert_eq!(file.stored_bytes, Some(4));
    assert_eq!(file.upload_content_type.as_deref(), Some("application/pdf"));
}

#[tokio::test]
async fn blob_upload_requires_the_block_blob_header() {
    let sim = start().await;
    let (_, registered) = graphql(
        &sim,
        "ContentUpsert",
        CONTENT_UPSERT,
        register_vars("acme/1_A/2", 4),
    )
    .await;
    let write_url = registered["data"]["contentUpsert"]["writeUrl"]
        .as_str()
        .expect("writeUrl")
        .to_owned();
    let refused = client()
        .put(&write_url)
        .body("abcd")
        .send()
        .await
        .expect("upload");
    assert_eq!(refused.status().as_u16(), 400);
}

#[tokio::test]
async fn an_upload_body_shorter_than_its_content_length_is_not_stored() {
    let sim = start().await;
    let (_, registered) = graphql(
        &sim,
        "ContentUpsert",
        CONTENT_UPSERT,
        register_vars("acme/1_A/3", 10),
    )
    .await;
    let write_url = registered["data"]["contentUpsert"]["writeUrl"]
        .as_str()
        .expect("writeUrl")
        .to_owned();
    let url = url::Url::parse(&write_url).expect("url");
    let mut stream =
        tokio::net::TcpStream::connect((url.host_str().expect("host"), url.port().expect("port")))
            .await
            .expect("connect");
    let request = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nx-ms-blob-type: BlockBlob\r\n\r\nabc",
        url.path(),
        url.query().expect("query")
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.shutdown().await.expect("half close");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    let file = sim
        .dump_state()
        .unique
        .file("acme/1_A/3")
        .cloned()
        .expect("file");
    assert_eq!(file.stored_bytes, None);
}

#[tokio::test]
async fn cluster_local_calls_without_headers_get_401_and_a_foreign_company_gets_403() {
    let sim = start().await;
    let url = format!("{}/graphql", sim.unique_ingestion_base());
    let body = json!({"query": "{ __typename }"});
    let bare = client()
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status().as_u16(), 401);
    let foreign = client()
        .post(&url)
        .header("x-company-id", "other")
        .header("x-user-id", "u")
        .header("x-service-id", "confluence-connector")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(foreign.status().as_u16(), 403);
    let no_service = client()
        .post(format!(
            "{}/v2/content/file-diff",
            sim.unique_ingestion_base()
        ))
        .header("x-company-id", "company-1")
        .header("x-user-id", "u")
        .json(&diff_request(json!([])))
        .send()
        .await
        .expect("request");
    assert_eq!(no_service.status().as_u16(), 401);
}

async fn zitadel(sim: &connector_sim::Sim, basic: &str, body: String) -> reqwest::Response {
    client()
        .post(sim.zitadel_token_url())
        .header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(basic)
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request")
}

fn scope_form(scope: &str) -> String {
    format!(
        "scope={}&grant_type=client_credentials",
        url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn zitadel_tokens_need_basic_credentials_and_the_exact_scope_and_authorise_external_calls() {
    let sim = start().await;
    let form = scope_form(ZITADEL_SCOPE);
    assert!(
        form.starts_with("scope=openid+profile+email+urn%3Azitadel%3Aiam"),
        "{form}"
    );
    let ok: Value = zitadel(&sim, "zclient:zsecret", form.clone())
        .await
        .json()
        .await
        .expect("json");
    let token = ok["access_token"].as_str().expect("token").to_owned();
    assert!(ok["expires_in"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(
        zitadel(&sim, "zclient:wrong", form.clone())
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        zitadel(&sim, "zclient:zsecret", scope_form("openid profile"))
            .await
            .status()
            .as_u16(),
        400
    );
    let in_body = format!("{form}&client_id=zclient&client_secret=zsecret");
    assert_eq!(
        zitadel(&sim, "zclient:zsecret", in_body)
            .await
            .status()
            .as_u16(),
        400
    );

    let me = client()
        .post(format!("{}/graphql", sim.unique_scope_management_base()))
        .bearer_auth(&token)
        .json(&json!({"query": "query User { me { user { id } } }", "variables": {}, "operationName": "User"}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        me.json::<Value>().await.expect("json"),
        json!({"data": {"me": {"user": {"id": "zitadel-user"}}}})
    );
    let forged = client()
        .post(format!("{}/graphql", sim.unique_ingestion_base()))
        .bearer_auth("forged")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status().as_u16(), 401);
    sim.expire_tokens();
    let expired = client()
        .post(format!("{}/graphql", sim.unique_ingestion_base()))
        .bearer_auth(&token)
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(expired.status().as_u16(), 401);
}

#[tokio::test]
async fn external_mode_refuses_cluster_local_headers_and_anonymous_documents_need_a_name() {
    let mut scenario = common::scenario();
    scenario.unique.auth_mode = connector_sim::scenario::UniqueAuthMode::External;
    let sim = connector_sim::Sim::start(scenario).await.expect("starts");
    let url = format!("{}/graphql", sim.unique_ingestion_base());
    let (status, _) = common::graphql_at(&url, "PaginatedContentCount", "query PaginatedContentCount($where: ContentWhereInput) { paginatedContent(where: $where, skip: 0, take: 0) { totalCount } }", json!({})).await;
    assert_eq!(
        status, 401,
        "cluster-local headers are not enough in external mode"
    );
    let token: Value = zitadel(&sim, "zclient:zsecret", scope_form(ZITADEL_SCOPE))
        .await
        .json()
        .await
        .expect("json");
    let anonymous = client()
        .post(&url)
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .json(&json!({"query": "{ paginatedContent(skip: 0, take: 0) { totalCount } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status().as_u16(), 400);
}
