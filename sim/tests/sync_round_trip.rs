//! One sync cycle done by hand against the simulators, as sync-flow.md describes it (discovery,
//! file diff, space scopes, register/upload/finalize with streamed attachment bytes), then a
//! second cycle that sees no change, and a third after an edit: the simulators fit together.

mod common;

use common::{CLOUD, client, cloud_token, enc, get_json, graphql};
use serde_json::{Value, json};

const CQL: &str = r#"((label="ai-ingest") OR (label="ai-ingest-all")) AND (space.type=global OR space.type=collaboration) AND type != attachment"#;
const UPSERT: &str = "mutation ContentUpsert($input: ContentCreateInput!, $fileUrl: String, $scopeId: String, $sourceOwnerType: String, $sourceName: String, $sourceKind: String, $storeInternally: Boolean, $baseUrl: String) { contentUpsert(input: $input, fileUrl: $fileUrl, scopeId: $scopeId, sourceOwnerType: $sourceOwnerType, sourceName: $sourceName, sourceKind: $sourceKind, storeInternally: $storeInternally, baseUrl: $baseUrl) { id writeUrl readUrl } }";
const GENERATE: &str = "mutation GenerateScopesBasedOnPaths($paths: [String!]!, $inheritAccess: Boolean) { generateScopesBasedOnPaths(paths: $paths, inheritAccess: $inheritAccess) { id name parentId externalId } }";

struct Item {
    key: String,
    updated_at: String,
    title: String,
    mime: String,
    size: u64,
}

/// Discovery of space ENG: pages from the label search plus their attachments (v2 full lists).
async fn discover(sim: &connector_sim::Sim, token: &str) -> Vec<Item> {
    let api = sim.cloud_api_base(CLOUD).expect("site").to_owned();
    let url = format!(
        "{api}/wiki/rest/api/content/search?cql={}&expand=metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions&limit=100&start=0",
        enc(CQL)
    );
    let (_, answer) = get_json(&url, token).await;
    let mut items = Vec::new();
    for result in answer["results"].as_array().expect("results") {
        if result["space"]["key"] != "ENG" || result["type"] != "page" {
            continue;
        }
        let id = result["id"].as_str().expect("id").to_owned();
        items.push(Item {
            key: id.clone(),
            updated_at: result["version"]["when"].as_str().expect("when").to_owned(),
            title: result["title"].as_str().expect("title").to_owned(),
            mime: "text/html".to_owned(),
            size: 0,
        });
        let (_, full) = get_json(
            &format!("{api}/wiki/api/v2/pages/{id}/attachments?limit=250"),
            token,
        )
        .await;
        for attachment in full["results"]
            .as_array()
            .expect("attachments")
            .iter()
            .take(3)
        {
            items.push(Item {
                key: format!("{id}::{}", attachment["id"].as_str().expect("id")),
                updated_at: attachment["version"]["createdAt"]
                    .as_str()
                    .expect("createdAt")
                    .to_owned(),
                title: attachment["title"].as_str().expect("title").to_owned(),
                mime: attachment["mediaType"]
                    .as_str()
                    .expect("mediaType")
                    .to_owned(),
                size: attachment["fileSize"].as_u64().expect("fileSize"),
            });
        }
    }
    items
}

async fn file_diff(sim: &connector_sim::Sim, items: &[Item]) -> Value {
    let list: Vec<Value> = items
        .iter()
        .map(|i| json!({"key": i.key, "url": "u", "updatedAt": i.updated_at}))
        .collect();
    client()
        .post(format!("{}/v2/content/file-diff", sim.unique_ingestion_base()))
        .header("x-company-id", "company-1")
        .header("x-user-id", "user-1")
        .header("x-service-id", "confluence-connector")
        .json(&json!({"partialKey": "acme/98307_ENG", "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD", "sourceName": "s", "fileList": list}))
        .send()
        .await
        .expect("diff")
        .json()
        .await
        .expect("json")
}

async fn ingest(sim: &connector_sim::Sim, token: &str, scope: &str, item: &Item) {
    let api = sim.cloud_api_base(CLOUD).expect("site").to_owned();
    let body: reqwest::Body;
    let size;
    if let Some((page, attachment)) = item.key.split_once("::") {
        let download =
            format!("{api}/wiki/rest/api/content/{page}/child/attachment/{attachment}/download");
        let redirect = client()
            .get(&download)
            .bearer_auth(token)
            .send()
            .await
            .expect("redirect");
        let location = redirect.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let stream = client().get(&location).send().await.expect("media");
        size = item.size;
        body = reqwest::Body::wrap_stream(stream.bytes_stream());
    } else {
        let (_, page) = get_json(&format!("{api}/wiki/rest/api/content/search?cql={}&expand=body.storage,version,space,metadata.labels", enc(&format!("id={}", item.key))), token).await;
        let html = page["results"][0]["body"]["storage"]["value"]
            .as_str()
            .expect("body")
            .to_owned();
        size = html.len() as u64;
        body = reqwest::Body::from(html);
    }
    let mut vars = json!({"input": {"key": format!("acme/98307_ENG/{}", item.key), "title": item.title, "mimeType": item.mime, "ownerType": "SCOPE", "url": "u", "byteSize": size, "metadata": {"spaceKey": "ENG"}},
                          "scopeId": scope, "sourceOwnerType": "COMPANY", "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD", "sourceName": "s", "storeInternally": true, "baseUrl": "s"});
    let (_, registered) = graphql(sim, "ContentUpsert", UPSERT, vars.clone()).await;
    let content = &registered["data"]["contentUpsert"];
    let put = client()
        .put(content["writeUrl"].as_str().expect("writeUrl"))
        .header("content-type", &item.mime)
        .header("content-length", size.to_string())
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status().as_u16(), 201, "{}", item.key);
    vars["fileUrl"] = content["readUrl"].clone();
    let (_, done) = graphql(sim, "ContentUpsert", UPSERT, vars).await;
    assert!(done.get("errors").is_none(), "{done}");
}

#[tokio::test]
async fn a_hand_driven_sync_ingests_then_sees_no_change_then_sees_an_edit() {
    let sim = common::start().await;
    let token = cloud_token(&sim).await;
    let items = discover(&sim, &token).await;
    assert!(items.len() >= 4, "page 100 with attachments");
    let diff = file_diff(&sim, &items).await;
    assert_eq!(diff["newFiles"].as_array().map(Vec::len), Some(items.len()));
    assert_eq!(diff["deletedFiles"], json!(["999"]));
    let (_, scopes) = graphql(
        &sim,
        "GenerateScopesBasedOnPaths",
        GENERATE,
        json!({"paths": ["/KB/Confluence/ENG"], "inheritAccess": true}),
    )
    .await;
    let scope = scopes["data"]["generateScopesBasedOnPaths"][0]["id"]
        .as_str()
        .expect("scope")
        .to_owned();
    for item in &items {
        ingest(&sim, &token, &scope, item).await;
    }
    let state = sim.dump_state().unique;
    for item in items.iter().filter(|i| i.key.contains("::")) {
        let stored = state
            .file(&format!("acme/98307_ENG/{}", item.key))
            .expect("stored");
        let attachment = item
            .key
            .split_once("::")
            .map(|(_, a)| a)
            .expect("attachment id");
        let (len, digest) = sim.attachment_digest(CLOUD, attachment).expect("digest");
        assert_eq!(stored.stored_bytes, Some(len));
        assert_eq!(stored.sha256.as_deref(), Some(digest.as_str()));
        assert_eq!(stored.byte_size, len);
    }

    let second = file_diff(&sim, &discover(&sim, &token).await).await;
    assert_eq!(second["newFiles"], json!([]));
    assert_eq!(second["updatedFiles"], json!([]));

    sim.update_page_body(CLOUD, "100", "<p>edited</p>")
        .expect("edit");
    let third = file_diff(&sim, &discover(&sim, &token).await).await;
    assert_eq!(third["updatedFiles"], json!(["100"]));
}
