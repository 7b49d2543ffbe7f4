//! Fault injection (status, Retry-After, latency, reset, truncation, malformed bodies,
//! operation faults by key) and the request log with per-endpoint counts, plus the admin API.

mod common;

use std::time::{Duration, Instant};

use common::{CLOUD, client, cloud_token, enc, get_json, graphql, start};
use connector_sim::{FaultAction, FaultRule};
use serde_json::{Value, json};

fn rule(path: &str, action: FaultAction) -> FaultRule {
    FaultRule {
        service: None,
        method: None,
        path: path.to_owned(),
        operation: None,
        key: None,
        times: None,
        action,
    }
}

fn search_url(sim: &connector_sim::Sim) -> String {
    format!(
        "{}/wiki/rest/api/content/search?cql={}",
        sim.cloud_api_base(CLOUD).expect("site"),
        enc("type = page")
    )
}

#[tokio::test]
async fn status_fault_with_retry_after_applies_the_given_number_of_times() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    sim.set_fault(FaultRule {
        times: Some(2),
        service: Some("cloud".to_owned()),
        ..rule(
            "/ex/confluence/*/search",
            FaultAction::Status {
                status: 429,
                retry_after: Some(7),
                body: None,
            },
        )
    });
    for _ in 0..2 {
        let limited = client()
            .get(search_url(&sim))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(limited.status().as_u16(), 429);
        assert_eq!(limited.headers()["retry-after"], "7");
    }
    assert_eq!(get_json(&search_url(&sim), &token).await.0, 200);
    assert!(sim.faults().is_empty(), "a used-up rule is removed");
    let log = sim.request_log();
    let faulted: Vec<_> = log.requests.iter().filter(|r| r.fault.is_some()).collect();
    assert_eq!(faulted.len(), 2);
    assert_eq!(faulted[0].status, 429);
}

#[tokio::test]
async fn latency_fault_delays_the_answer() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    sim.set_fault(rule("*/search", FaultAction::Latency { ms: 300 }));
    let started = Instant::now();
    assert_eq!(get_json(&search_url(&sim), &token).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn reset_truncate_and_malformed_faults_break_the_answer_in_their_own_way() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    sim.set_fault(FaultRule {
        times: Some(1),
        ..rule("*/search", FaultAction::Reset)
    });
    let reset = match client()
        .get(search_url(&sim))
        .bearer_auth(&token)
        .send()
        .await
    {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(reset, "a reset never yields a complete answer");

    sim.set_fault(FaultRule {
        times: Some(1),
        ..rule("*/search", FaultAction::Truncate { after_bytes: 10 })
    });
    let truncated = client()
        .get(search_url(&sim))
        .bearer_auth(&token)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(truncated.status().as_u16(), 200);
    assert!(truncated.bytes().await.is_err(), "the body stops early");

    sim.set_fault(FaultRule {
        times: Some(1),
        ..rule("*/search", FaultAction::Malformed)
    });
    let malformed = client()
        .get(search_url(&sim))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert!(malformed.json::<Value>().await.is_err());
    assert_eq!(get_json(&search_url(&sim), &token).await.0, 200);
}

#[tokio::test]
async fn media_downloads_can_be_truncated_mid_stream() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    sim.set_fault(FaultRule {
        service: Some("media".to_owned()),
        ..rule("*", FaultAction::Truncate { after_bytes: 100 })
    });
    let url = format!(
        "{}/wiki/rest/api/content/100/child/attachment/att200/download",
        sim.cloud_api_base(CLOUD).expect("site")
    );
    let location = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let response = client().get(&location).send().await.expect("headers");
    assert_eq!(response.headers()["content-length"], "5120");
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn a_named_unique_operation_fails_for_one_key_n_times() {
    let sim = start().await;
    sim.set_fault(FaultRule {
        operation: Some("ContentUpsert".to_owned()),
        key: Some("acme/1_ENG/7".to_owned()),
        times: Some(1),
        ..rule(
            "*",
            FaultAction::Status {
                status: 503,
                retry_after: None,
                body: None,
            },
        )
    });
    let doc = "mutation ContentUpsert($input: ContentCreateInput!, $scopeId: String) { contentUpsert(input: $input, scopeId: $scopeId) { id } }";
    let vars = |key: &str| json!({"input": {"key": key, "title": "t", "mimeType": "text/html", "ownerType": "SCOPE", "byteSize": 1}, "scopeId": "scope-root"});
    assert_eq!(
        graphql(&sim, "ContentUpsert", doc, vars("acme/1_ENG/8"))
            .await
            .0,
        200,
        "other keys are unaffected"
    );
    assert_eq!(
        graphql(&sim, "ContentUpsert", doc, vars("acme/1_ENG/7"))
            .await
            .0,
        503
    );
    assert_eq!(
        graphql(&sim, "ContentUpsert", doc, vars("acme/1_ENG/7"))
            .await
            .0,
        200
    );
    let log = sim.request_log();
    assert_eq!(log.count_matching("ContentUpsert"), 3);
    assert_eq!(
        log.matching("ContentUpsert")[1].fault.as_deref(),
        Some("status 503")
    );
}

#[tokio::test]
async fn request_log_counts_requests_per_endpoint_and_redacts_credentials() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    for _ in 0..3 {
        get_json(&search_url(&sim), &token).await;
    }
    let log = sim.request_log();
    assert_eq!(
        log.counts
            .get("cloud GET /ex/confluence/{cloud_id}/wiki/rest/api/content/search"),
        Some(&3)
    );
    assert_eq!(log.counts.get("cloud POST /oauth/token"), Some(&1));
    assert_eq!(sim.request_counts(), log.counts);
    let search = log.matching("/content/search")[0];
    assert_eq!(
        search.headers.get("authorization").map(String::as_str),
        Some("Bearer [redacted]")
    );
    assert!(
        search
            .query
            .as_deref()
            .is_some_and(|q| q.starts_with("cql="))
    );
    assert_eq!(search.status, 200);
    sim.reset_request_log();
    assert!(sim.request_log().requests.is_empty());
}

#[tokio::test]
async fn admin_api_serves_state_requests_faults_and_mutations() {
    let sim = start().await;
    let admin = sim.admin_url().to_owned();
    let state: Value = client()
        .get(format!("{admin}/__admin/state"))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state["unique"]["scopes"][1]["path"], "/KB/Confluence");
    assert_eq!(state["confluence"][0]["name"], "cloud-1");
    let fault =
        json!({"path": "*/search", "times": 1, "action": {"kind": "status", "status": 500}});
    let added = client()
        .post(format!("{admin}/__admin/faults"))
        .json(&fault)
        .send()
        .await
        .expect("fault");
    assert_eq!(added.status().as_u16(), 201);
    let token = cloud_token(&sim).await;
    assert_eq!(get_json(&search_url(&sim), &token).await.0, 500);
    let mutation = json!({"op": "updateBody", "id": "101", "body": "<p>edited</p>"});
    let applied = client()
        .post(format!("{admin}/__admin/confluence/{CLOUD}/mutations"))
        .json(&mutation)
        .send()
        .await
        .expect("mutation");
    assert_eq!(applied.status().as_u16(), 204);
    let page_url = format!(
        "{}/wiki/rest/api/content/101?expand=body.storage,version",
        sim.cloud_api_base(CLOUD).expect("site")
    );
    let (_, page) = get_json(&page_url, &token).await;
    assert_eq!(page["body"]["storage"]["value"], "<p>edited</p>");
    assert_eq!(page["version"]["number"], json!(2));
    let bad = client()
        .post(format!("{admin}/__admin/confluence/{CLOUD}/mutations"))
        .json(&json!({"op": "deleteContent", "id": "424242"}))
        .send()
        .await
        .expect("mutation");
    assert_eq!(bad.status().as_u16(), 400);
    let requests: Value = client()
        .get(format!("{admin}/__admin/requests"))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert!(
        requests["counts"]
            .as_object()
            .is_some_and(|c| !c.is_empty())
    );
}

#[tokio::test]
async fn mutations_between_cycles_show_up_in_search_results() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let api = sim.cloud_api_base(CLOUD).expect("site").to_owned();
    let labelled = format!(
        "{api}/wiki/rest/api/content/search?cql={}",
        enc("label = \"ai-ingest\"")
    );
    sim.add_label(CLOUD, "101", "ai-ingest").expect("label");
    sim.remove_label(CLOUD, "100", "ai-ingest")
        .expect("unlabel");
    assert_eq!(
        common::ids(&get_json(&labelled, &token).await.1),
        vec!["101", "200", "500", "600"]
    );
    sim.move_content(CLOUD, "101", "COL", None).expect("move");
    let (_, moved) = get_json(
        &format!("{api}/wiki/rest/api/content/101?expand=space"),
        &token,
    )
    .await;
    assert_eq!(moved["space"]["key"], "COL");
    sim.delete_attachment(CLOUD, "100", "att201")
        .expect("delete attachment");
    sim.put_attachment(
        CLOUD,
        "100",
        common::attachment("att200", "diagram.png", 99),
    )
    .expect("new version");
    let (_, attachments) = get_json(
        &format!("{api}/wiki/api/v2/pages/100/attachments?limit=250"),
        &token,
    )
    .await;
    let first = &attachments["results"][0];
    assert_eq!(first["id"], "att200");
    assert_eq!(first["fileSize"], json!(99));
    assert_eq!(first["version"]["number"], json!(2));
    assert_eq!(attachments["results"].as_array().map(Vec::len), Some(29));
    sim.delete_content(CLOUD, "101").expect("delete");
    assert_eq!(
        get_json(&format!("{api}/wiki/rest/api/content/101"), &token)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn upload_and_file_diff_faults_target_one_key() {
    let sim = start().await;
    let doc = "mutation ContentUpsert($input: ContentCreateInput!, $scopeId: String) { contentUpsert(input: $input, scopeId: $scopeId) { writeUrl } }";
    let vars = json!({"input": {"key": "acme/1_ENG/5::att9", "title": "t", "mimeType": "text/plain", "ownerType": "SCOPE", "byteSize": 2}, "scopeId": "scope-root"});
    let (_, registered) = graphql(&sim, "ContentUpsert", doc, vars).await;
    let write_url = registered["data"]["contentUpsert"]["writeUrl"]
        .as_str()
        .expect("writeUrl")
        .to_owned();
    sim.set_fault(FaultRule {
        operation: Some("Upload".to_owned()),
        key: Some("5::att9".to_owned()),
        times: Some(1),
        ..rule(
            "/upload",
            FaultAction::Status {
                status: 503,
                retry_after: Some(1),
                body: None,
            },
        )
    });
    sim.set_fault(FaultRule {
        operation: Some("FileDiff".to_owned()),
        key: Some("acme/2_OPS".to_owned()),
        ..rule(
            "*",
            FaultAction::Status {
                status: 500,
                retry_after: None,
                body: None,
            },
        )
    });
    let put = || {
        client()
            .put(&write_url)
            .header("x-ms-blob-type", "BlockBlob")
            .body("ok")
            .send()
    };
    assert_eq!(put().await.expect("upload").status().as_u16(), 503);
    assert_eq!(put().await.expect("upload").status().as_u16(), 201);
    let diff = |partial: &str| {
        client()
            .post(format!("{}/v2/content/file-diff", sim.unique_ingestion_base()))
            .header("x-company-id", "company-1")
            .header("x-user-id", "u")
            .header("x-service-id", "confluence-connector")
            .json(&json!({"partialKey": partial, "sourceKind": "ATLASSIAN_CONFLUENCE_CLOUD", "sourceName": "s", "fileList": []}))
            .send()
    };
    assert_eq!(
        diff("acme/1_ENG").await.expect("diff").status().as_u16(),
        200
    );
    assert_eq!(
        diff("acme/2_OPS").await.expect("diff").status().as_u16(),
        500
    );
    let log = sim.request_log();
    assert_eq!(log.count_matching("blob PUT /upload Upload"), 2);
    assert_eq!(log.count_matching("FileDiff"), 2);
}

#[tokio::test]
async fn admin_token_expiry_forces_new_tokens() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/100",
        sim.cloud_api_base(CLOUD).expect("site")
    );
    assert_eq!(get_json(&url, &token).await.0, 200);
    let expired = client()
        .post(format!("{}/__admin/tokens/expire", sim.admin_url()))
        .send()
        .await
        .expect("admin");
    assert_eq!(expired.status().as_u16(), 204);
    assert_eq!(get_json(&url, &token).await.0, 401);
    assert_eq!(get_json(&url, &cloud_token(&sim).await).await.0, 200);
}
