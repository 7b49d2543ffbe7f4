//! The JSON document API over loopback: cursor pagination by label, bodies, attachment bytes,
//! bearer-token auth.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use connector_sim::{Scenario, Sim};
use serde_json::Value;

const SCENARIO: &str = r#"
documents:
  tokens: [t-1]
  collections: [{ id: c1, key: OPS, name: Operations }]
  documents:
    - { id: d3, title: Three, collection: OPS, labels: [x], updatedAt: "2026-01-03T00:00:00Z", body: "<p>3</p>" }
    - { id: d1, title: One, collection: OPS, labels: [x], updatedAt: "2026-01-01T00:00:00Z", body: "<p>1</p>",
        attachments: [{ id: a1, title: a.txt, mediaType: text/plain, text: "hello" }] }
    - { id: d2, title: Two, collection: OPS, labels: [y], updatedAt: "2026-01-02T00:00:00Z" }
    - { id: d4, title: Four, collection: OPS, labels: [x, y], updatedAt: "2026-01-04T00:00:00Z" }
"#;

async fn get(url: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_listing_pages_through_a_label_with_cursors_in_id_order() {
    let sim = Sim::start(Scenario::from_yaml_str(SCENARIO).unwrap())
        .await
        .unwrap();
    let base = sim.documents_base().unwrap();
    let mut ids = Vec::new();
    let mut cursors = Vec::new();
    let mut url = format!("{base}/api/documents?label=x&limit=2");
    loop {
        let page: Value = get(&url, "t-1").await.json().await.unwrap();
        ids.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|doc| doc["id"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(cursor) => {
                cursors.push(cursor.to_owned());
                url = format!("{base}/api/documents?label=x&limit=2&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(ids, vec!["d1", "d3", "d4"]);
    assert_eq!(cursors, vec!["d3"]);
}

#[tokio::test]
async fn a_document_has_its_collection_body_and_downloadable_attachments() {
    let sim = Sim::start(Scenario::from_yaml_str(SCENARIO).unwrap())
        .await
        .unwrap();
    let base = sim.documents_base().unwrap();
    let doc: Value = get(&format!("{base}/api/documents/d1"), "t-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["collection"]["key"], "OPS");
    assert_eq!(doc["body"], "<p>1</p>");
    assert_eq!(doc["url"], format!("{base}/docs/d1"));
    assert_eq!(doc["attachments"][0]["size"], 5);
    let download = doc["attachments"][0]["downloadUrl"].as_str().unwrap();
    let bytes = get(download, "t-1").await.text().await.unwrap();
    assert_eq!(bytes, "hello");
    assert_eq!(
        get(&format!("{base}/api/documents/nope"), "t-1")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn requests_without_a_known_token_are_refused() {
    let sim = Sim::start(Scenario::from_yaml_str(SCENARIO).unwrap())
        .await
        .unwrap();
    let base = sim.documents_base().unwrap();
    assert_eq!(
        get(&format!("{base}/api/documents"), "wrong")
            .await
            .status(),
        401
    );
    let anonymous = reqwest::get(format!("{base}/api/documents/d1"))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_scenario_without_documents_serves_no_document_api() {
    let sim = Sim::start(Scenario::default()).await.unwrap();
    assert_eq!(sim.documents_base(), None);
    assert!(
        !serde_json::to_string(sim.urls())
            .unwrap()
            .contains("documents")
    );
}

#[test]
fn a_document_in_an_unknown_collection_is_refused() {
    let text = SCENARIO.replace(
        "collection: OPS, labels: [y]",
        "collection: DEV, labels: [y]",
    );
    let err = Scenario::from_yaml_str(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scenario is inconsistent: documents: document d2 names unknown collection DEV"
    );
}
