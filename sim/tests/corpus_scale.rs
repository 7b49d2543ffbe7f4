//! A generated corpus of 10,000+ pages serves the connector's discovery queries: every
//! labelled item and every descendant is reachable through `_links.next` pagination.

mod common;

use common::{client, enc, get_json, ids};
use connector_sim::generator::{self, CLOUD_ID, CorpusFlavor, CorpusSpec};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_over_a_ten_thousand_page_corpus_pages_through_every_result() {
    let mut spec = CorpusSpec::new(11, 20, 510);
    spec.flavor = CorpusFlavor::Cloud;
    let scenario = generator::generate(&spec);
    let labelled: usize = scenario.cloud[0]
        .spaces
        .iter()
        .filter(|s| s.space_type != connector_sim::scenario::SpaceType::Personal)
        .flat_map(|s| &s.contents)
        .filter(|c| {
            c.labels
                .iter()
                .any(|l| l == "ai-ingest" || l == "ai-ingest-all")
        })
        .count();
    let sim = connector_sim::Sim::start(scenario).await.expect("starts");
    let token: Value = client()
        .post(sim.cloud_token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": "sim-client", "client_secret": "sim-secret"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("token").to_owned();
    let api = sim.cloud_api_base(CLOUD_ID).expect("site").to_owned();
    let cql = r#"((label="ai-ingest") OR (label="ai-ingest-all")) AND (space.type=global OR space.type=collaboration) AND type != attachment"#;
    let mut url = format!(
        "{api}/wiki/rest/api/content/search?cql={}&expand=metadata.labels,version,space,children.attachment&limit=100&start=0",
        enc(cql)
    );
    let mut found = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let (status, answer) = get_json(&url, &token).await;
        assert_eq!(status, 200);
        found.extend(ids(&answer));
        match answer["_links"]["next"].as_str() {
            Some(next) => url = format!("{api}/wiki{next}"),
            None => break,
        }
    }
    assert_eq!(found.len(), labelled);
    let roots: Vec<String> = found.iter().take(100).cloned().collect();
    let (status, descendants) = get_json(
        &format!(
            "{api}/wiki/rest/api/content/search?cql={}&limit=100",
            enc(&format!(
                "ancestor IN ({}) AND type != attachment",
                roots.join(",")
            ))
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(descendants["totalSize"].as_u64().is_some_and(|n| n > 0));
    eprintln!(
        "label search over {} items took {:?}",
        found.len(),
        started.elapsed()
    );
}
