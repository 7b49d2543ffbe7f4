//! Shared fixtures of the contract tests: the contract scenario, clients and token helpers.

#![allow(dead_code)]

use std::path::Path;

use connector_sim::Sim;
use connector_sim::scenario::{AttachmentSeed, Scenario};
use serde_json::{Value, json};

pub const CLOUD: &str = "cloud-1";
pub const DC: &str = "dc-1";

/// The contract scenario, plus many attachments on page 100 (cloud), blog post 200 and DC
/// page 1000 so inline lists are capped.
pub fn scenario() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contract.yaml");
    let mut scenario = Scenario::from_file(&path).expect("contract scenario loads");
    let eng = &mut scenario.cloud[0].spaces[0];
    for content in eng.contents.iter_mut() {
        let (prefix, count) = match content.id.as_str() {
            "100" => ("att1", 28),
            "200" => ("att2", 27),
            _ => continue,
        };
        for i in 0..count {
            content.attachments.push(attachment(
                &format!("{prefix}{i:03}"),
                &format!("file-{i}.txt"),
                100 + i,
            ));
        }
    }
    let ops = &mut scenario.data_center[0].spaces[0];
    for i in 0..30 {
        ops.contents[0].attachments.push(attachment(
            &format!("{}", 4000 + i),
            &format!("dc-{i}.bin"),
            10 + i,
        ));
    }
    scenario
}

pub fn attachment(id: &str, title: &str, size: u64) -> AttachmentSeed {
    AttachmentSeed {
        id: id.to_owned(),
        title: title.to_owned(),
        media_type: "text/plain".to_owned(),
        size,
        text: None,
        declared_size: None,
        version: 1,
        updated_at: "2025-01-01T00:00:00.000Z".to_owned(),
    }
}

pub async fn start() -> Sim {
    Sim::start(scenario()).await.expect("simulators start")
}

/// A client that does not follow redirects, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

pub async fn cloud_token(sim: &Sim) -> String {
    let answer: Value = client()
        .post(sim.cloud_token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": "cloud-client", "client_secret": "cloud-secret"}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub async fn dc_token(sim: &Sim) -> String {
    let answer: Value = client()
        .post(sim.dc_token_url(DC).expect("dc token url"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=client_credentials&client_id=dc-client&client_secret=dc-secret&scope=READ",
        )
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// GET with a bearer token, returning status and JSON body.
pub async fn get_json(url: &str, token: &str) -> (u16, Value) {
    let response = client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

pub fn enc(value: &str) -> String {
    connector_sim::confluence::render::encode_component(value)
}

pub fn ids(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Cluster-local GraphQL call to the ingestion service.
pub async fn graphql(sim: &Sim, operation: &str, query: &str, variables: Value) -> (u16, Value) {
    graphql_at(
        &format!("{}/graphql", sim.unique_ingestion_base()),
        operation,
        query,
        variables,
    )
    .await
}

pub async fn graphql_at(url: &str, operation: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = client()
        .post(url)
        .header("x-company-id", "company-1")
        .header("x-user-id", "user-1")
        .header("x-service-id", "confluence-connector")
        .json(&json!({"query": query, "variables": variables, "operationName": operation}))
        .send()
        .await
        .expect("graphql request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
