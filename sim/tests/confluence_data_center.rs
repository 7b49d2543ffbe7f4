//! Contract tests of the Confluence Data Center simulator (spec confluence-api.md §2, §5, §6),
//! with a `/confluence` context path, over real HTTP.

mod common;

use base64::Engine;
use common::{DC, client, dc_token, enc, get_json, ids, start};
use serde_json::{Value, json};

const CQL_LABEL_DC: &str = r#"((label="ai-ingest") OR (label="ai-ingest-all")) AND space.type=global AND type != attachment"#;
const EXPAND: &str = "metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions";

fn base(sim: &connector_sim::Sim) -> String {
    sim.dc_base_url(DC).expect("dc instance").to_owned()
}

/// Spec §6.2 for DC: strip the context path if the link carries it, prefix the base URL.
fn resolve(sim: &connector_sim::Sim, link: &str) -> String {
    let rest = link
        .strip_prefix("/confluence")
        .filter(|r| r.starts_with('/'))
        .unwrap_or(link);
    format!("{}{rest}", base(sim))
}

#[tokio::test]
async fn base_url_carries_the_context_path_and_other_paths_are_not_served() {
    let sim = start().await;
    assert!(base(&sim).ends_with("/confluence"));
    let outside = base(&sim).replace("/confluence", "/rest/api/content/1000");
    let token = dc_token(&sim).await;
    assert_eq!(get_json(&outside, &token).await.0, 404);
    let ping = client()
        .get(format!("{}/", base(&sim)))
        .send()
        .await
        .expect("request");
    assert_eq!(ping.status().as_u16(), 200);
}

#[tokio::test]
async fn manifest_is_json_only_with_accept_json_and_needs_no_auth() {
    let sim = start().await;
    let url = format!("{}/rest/applinks/1.0/manifest", base(&sim));
    let as_json: Value = client()
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(as_json["id"], "dc-instance-1");
    let as_xml = client().get(&url).send().await.expect("request");
    assert!(
        as_xml.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("application/xml")
    );
    assert!(
        as_xml
            .text()
            .await
            .expect("text")
            .contains("<id>dc-instance-1</id>")
    );
}

#[tokio::test]
async fn token_endpoint_needs_a_form_body_with_scope_read() {
    let sim = start().await;
    let url = sim.dc_token_url(DC).expect("token url").to_owned();
    let post = |body: &'static str| {
        client()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let ok: Value = post(
        "grant_type=client_credentials&client_id=dc-client&client_secret=dc-secret&scope=READ",
    )
    .await
    .expect("request")
    .json()
    .await
    .expect("json");
    assert!(ok["access_token"].is_string());
    assert!(ok["expires_in"].is_u64());
    let no_scope =
        post("grant_type=client_credentials&client_id=dc-client&client_secret=dc-secret")
            .await
            .expect("request");
    assert_eq!(no_scope.status().as_u16(), 400);
    let wrong =
        post("grant_type=client_credentials&client_id=dc-client&client_secret=x&scope=READ")
            .await
            .expect("request");
    assert_eq!(wrong.status().as_u16(), 401);
    let json_body = client()
        .post(&url)
        .json(&json!({"grant_type": "client_credentials", "client_id": "dc-client", "client_secret": "dc-secret"}))
        .send()
        .await
        .expect("request");
    assert_eq!(json_body.status().as_u16(), 400);
}

#[tokio::test]
async fn oauth_pat_and_basic_auth_are_accepted_and_wrong_credentials_get_401() {
    let sim = start().await;
    let url = format!("{}/rest/api/content/1000", base(&sim));
    let token = dc_token(&sim).await;
    assert_eq!(get_json(&url, &token).await.0, 200);
    assert_eq!(get_json(&url, "pat-1").await.0, 200);
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:wonderland");
    let ok = client()
        .get(&url)
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status().as_u16(), 200);
    let bad = base64::engine::general_purpose::STANDARD.encode("alice:guess");
    let refused = client()
        .get(&url)
        .header("authorization", format!("Basic {bad}"))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(
        client()
            .get(&url)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16(),
        401
    );
    assert_eq!(get_json(&url, "pat-unknown").await.0, 401);
}

#[tokio::test]
async fn content_by_id_is_a_single_object_with_the_body_when_expanded() {
    let sim = start().await;
    let (status, page) = get_json(
        &format!(
            "{}/rest/api/content/1000?expand=body.storage,version,space,metadata.labels",
            base(&sim)
        ),
        "pat-1",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["id"], "1000");
    assert_eq!(page["body"]["storage"]["value"], "<p>dc</p>");
    assert_eq!(
        page["_links"]["webui"],
        "/pages/viewpage.action?pageId=1000"
    );
    let (missing, error) =
        get_json(&format!("{}/rest/api/content/9999", base(&sim)), "pat-1").await;
    assert_eq!(missing, 404);
    assert_eq!(error["statusCode"], json!(404));
}

#[tokio::test]
async fn label_search_pages_with_start_links_and_caps_expanded_bodies_at_50() {
    let sim = start().await;
    let url = format!(
        "{}/rest/api/content/search?cql={}&expand={EXPAND}&limit=100&start=0",
        base(&sim),
        enc(CQL_LABEL_DC)
    );
    let (status, answer) = get_json(&url, "pat-1").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(ids(&answer), vec!["1000"]);
    assert_eq!(answer["_links"]["context"], "/confluence");
    let bodies = format!(
        "{}/rest/api/content/search?cql={}&expand=body.storage&limit=100",
        base(&sim),
        enc("type = page")
    );
    let (_, capped) = get_json(&bodies, "pat-1").await;
    assert_eq!(capped["limit"], json!(50));
    let paged = format!(
        "{}/rest/api/content/search?cql={}&limit=1",
        base(&sim),
        enc("type = page")
    );
    let (_, first) = get_json(&paged, "pat-1").await;
    let next = first["_links"]["next"].as_str().expect("next");
    assert!(next.contains("start=1"), "{next}");
    let (_, second) = get_json(&resolve(&sim, next), "pat-1").await;
    assert_eq!(ids(&second), vec!["1001"]);
}

#[tokio::test]
async fn attachments_beyond_the_inline_cap_follow_child_links_and_download_by_link() {
    let sim = start().await;
    let url = format!(
        "{}/rest/api/content/search?cql={}&expand={EXPAND}",
        base(&sim),
        enc("id=1000")
    );
    let (_, answer) = get_json(&url, "pat-1").await;
    let inline = &answer["results"][0]["children"]["attachment"];
    assert_eq!(inline["size"], json!(25));
    let mut all: Vec<Value> = inline["results"].as_array().expect("results").clone();
    let mut next = inline["_links"]["next"].as_str().map(str::to_owned);
    assert!(
        next.as_deref()
            .is_some_and(|n| n.starts_with("/confluence/rest/api/content/1000/child/attachment"))
    );
    while let Some(link) = next {
        let (status, page) = get_json(&resolve(&sim, &link), "pat-1").await;
        assert_eq!(status, 200, "{page}");
        all.extend(page["results"].as_array().expect("results").iter().cloned());
        next = page["_links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(all.len(), 31);
    assert!(
        all[25]["version"]["when"].is_string(),
        "version stays expanded on follow-up pages"
    );
    let notes = &all[0];
    assert_eq!(notes["id"], "3000");
    assert_eq!(
        notes["extensions"]["mediaType"],
        "text/plain; charset=UTF-8"
    );
    let download = notes["_links"]["download"].as_str().expect("download");
    let file = client()
        .get(resolve(&sim, download))
        .bearer_auth("pat-1")
        .send()
        .await
        .expect("request");
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.headers()["content-length"], "8");
    assert_eq!(file.text().await.expect("text"), "dc notes");
}

#[tokio::test]
async fn descendants_are_found_by_ancestor_on_data_center_too() {
    let sim = start().await;
    let url = format!(
        "{}/rest/api/content/search?cql={}&expand={EXPAND}&limit=100",
        base(&sim),
        enc("ancestor IN (1000) AND type != attachment")
    );
    assert_eq!(ids(&get_json(&url, "pat-1").await.1), vec!["1001"]);
}

#[tokio::test]
async fn a_second_instance_without_context_path_serves_at_the_root_and_tokens_expire() {
    let mut scenario = common::scenario();
    let mut second = scenario.data_center[0].clone();
    second.name = "dc-2".to_owned();
    second.context_path = String::new();
    second.instance_id = "dc-instance-2".to_owned();
    second.token_ttl_secs = 1;
    scenario.data_center.push(second);
    let sim = connector_sim::Sim::start(scenario).await.expect("starts");
    let root = sim.dc_base_url("dc-2").expect("second instance").to_owned();
    assert_ne!(root, base(&sim), "each instance has its own listener");
    let manifest: Value = client()
        .get(format!("{root}/rest/applinks/1.0/manifest"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(manifest["id"], "dc-instance-2");
    let answer: Value = client()
        .post(sim.dc_token_url("dc-2").expect("token url"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=client_credentials&client_id=dc-client&client_secret=dc-secret&scope=READ",
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["expires_in"], json!(1));
    let token = answer["access_token"].as_str().expect("token").to_owned();
    let url = format!("{root}/rest/api/content/1000");
    assert_eq!(get_json(&url, &token).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        get_json(&url, &token).await.0,
        401,
        "an expired token is refused"
    );
    let other_token = dc_token(&sim).await;
    assert_eq!(
        get_json(&url, &other_token).await.0,
        401,
        "tokens of one instance do not open another"
    );
}
