//! Contract tests of the Confluence Cloud simulator, endpoint by endpoint (spec
//! confluence-api.md §2, §4, §6, §7, §8), over real HTTP.

mod common;

use common::{CLOUD, client, cloud_token, enc, get_json, ids, start};
use serde_json::{Value, json};

const CQL_LABEL_CLOUD: &str = r#"((label="ai-ingest") OR (label="ai-ingest-all")) AND (space.type=global OR space.type=collaboration) AND type != attachment"#;
const EXPAND: &str = "metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions";

fn api(sim: &connector_sim::Sim) -> String {
    sim.cloud_api_base(CLOUD).expect("cloud site").to_owned()
}

/// Resolves a `_links.next` the way spec §6.2 says (Cloud: strip `/wiki`, prefix API root).
fn resolve_next(sim: &connector_sim::Sim, next: &str) -> String {
    let rest = next.strip_prefix("/wiki").unwrap_or(next);
    format!("{}/wiki{rest}", api(sim))
}

#[tokio::test]
async fn token_endpoint_issues_bearer_tokens_for_json_client_credentials_only() {
    let sim = start().await;
    let ok: Value = client()
        .post(sim.cloud_token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": "cloud-client", "client_secret": "cloud-secret"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(ok["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(ok["expires_in"], json!(3600), "expires_in is a JSON number");
    let wrong = client()
        .post(sim.cloud_token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": "cloud-client", "client_secret": "nope"}))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status().as_u16(), 401);
    let form = client()
        .post(sim.cloud_token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=cloud-client&client_secret=cloud-secret")
        .send()
        .await
        .expect("request");
    assert_eq!(form.status().as_u16(), 415);
}

#[tokio::test]
async fn api_calls_without_a_token_or_with_an_expired_one_get_401() {
    let sim = start().await;
    let url = format!("{}/wiki/rest/api/content/100", api(&sim));
    let anonymous = client().get(&url).send().await.expect("request");
    assert_eq!(anonymous.status().as_u16(), 401);
    let token = cloud_token(&sim).await;
    assert_eq!(get_json(&url, &token).await.0, 200);
    sim.expire_tokens();
    assert_eq!(get_json(&url, &token).await.0, 401);
    assert_eq!(get_json(&url, "made-up").await.0, 401);
}

#[tokio::test]
async fn label_search_returns_labelled_items_of_global_and_collaboration_spaces() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand={EXPAND}&limit=100&start=0",
        api(&sim),
        enc(CQL_LABEL_CLOUD)
    );
    let (status, answer) = get_json(&url, &token).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(ids(&answer), vec!["100", "110", "120", "200", "500"]);
    let page = &answer["results"][0];
    assert_eq!(page["type"], "page");
    assert_eq!(
        page["space"]["id"],
        json!(98307),
        "Cloud v1 space.id is a number"
    );
    assert_eq!(page["space"]["key"], "ENG");
    assert_eq!(page["version"]["when"], "2025-03-01T10:00:00.000Z");
    assert_eq!(page["_links"]["webui"], "/spaces/ENG/pages/100/Runbook");
    assert_eq!(
        page["metadata"]["labels"]["results"][0]["name"],
        "ai-ingest"
    );
    assert!(page.get("body").is_none(), "bodies only when expanded");
    assert_eq!(answer["_links"]["context"], "/wiki");
    assert!(answer["_links"].get("next").is_none());
    assert_eq!(answer["size"], json!(5));
}

#[tokio::test]
async fn search_pages_through_cursor_next_links_relative_to_the_wiki_context() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let mut url = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand={EXPAND}&limit=2&start=0",
        api(&sim),
        enc(CQL_LABEL_CLOUD)
    );
    let mut seen = Vec::new();
    for _ in 0..10 {
        let (status, answer) = get_json(&url, &token).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["limit"], json!(2));
        seen.extend(ids(&answer));
        match answer["_links"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/rest/api/content/search?"), "{next}");
                assert!(next.contains("cursor="), "{next}");
                url = resolve_next(&sim, next);
            }
            None => break,
        }
    }
    assert_eq!(seen, vec!["100", "110", "120", "200", "500"]);
}

#[tokio::test]
async fn limit_is_capped_and_reported() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/search?cql={}&limit=1000",
        api(&sim),
        enc("type = page")
    );
    let (_, answer) = get_json(&url, &token).await;
    assert_eq!(answer["limit"], json!(100));
    let (_, default) = get_json(
        &format!(
            "{}/wiki/rest/api/content/search?cql={}",
            api(&sim),
            enc("type = page")
        ),
        &token,
    )
    .await;
    assert_eq!(default["limit"], json!(25));
}

#[tokio::test]
async fn children_attachment_inlines_at_most_25_with_size_limit_and_next() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand={EXPAND}",
        api(&sim),
        enc("id=100")
    );
    let (_, answer) = get_json(&url, &token).await;
    let inline = &answer["results"][0]["children"]["attachment"];
    assert_eq!(inline["size"], json!(25));
    assert_eq!(inline["limit"], json!(25));
    assert_eq!(inline["results"].as_array().map(Vec::len), Some(25));
    assert!(inline["_links"]["next"].is_string());
    let first = &inline["results"][0];
    assert_eq!(first["id"], "att200");
    assert_eq!(first["extensions"]["mediaType"], "image/png");
    assert_eq!(first["extensions"]["fileSize"], json!(5120));
    assert_eq!(first["version"]["when"], "2025-03-01T09:00:00.000Z");
    assert!(
        first["_links"]["download"]
            .as_str()
            .is_some_and(|d| d.starts_with("/download/attachments/100/diagram.png?version=1"))
    );
    let without_version = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand=children.attachment",
        api(&sim),
        enc("id=100")
    );
    let (_, plain) = get_json(&without_version, &token).await;
    assert!(
        plain["results"][0]["children"]["attachment"]["results"][0]
            .get("version")
            .is_none()
    );
}

#[tokio::test]
async fn v2_attachment_listings_follow_cursor_links_and_blog_posts_need_their_endpoint() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let mut url = format!("{}/wiki/api/v2/pages/100/attachments?limit=12", api(&sim));
    let mut all = Vec::new();
    loop {
        let (status, answer) = get_json(&url, &token).await;
        assert_eq!(status, 200, "{answer}");
        for item in answer["results"].as_array().expect("results") {
            assert!(item["fileSize"].is_u64());
            assert!(item["mediaType"].is_string());
            all.push(item["id"].as_str().expect("id").to_owned());
        }
        match answer["_links"]["next"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with("/wiki/api/v2/pages/100/attachments?cursor="),
                    "{next}"
                );
                url = resolve_next(&sim, next);
            }
            None => break,
        }
    }
    assert_eq!(all.len(), 30);
    assert_eq!(all[0], "att200");
    let (status, _) = get_json(
        &format!("{}/wiki/api/v2/pages/200/attachments?limit=250", api(&sim)),
        &token,
    )
    .await;
    assert_eq!(status, 404, "the pages endpoint does not serve blog posts");
    let (status, blog) = get_json(
        &format!(
            "{}/wiki/api/v2/blogposts/200/attachments?limit=250",
            api(&sim)
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(blog["results"].as_array().map(Vec::len), Some(27));
    assert_eq!(blog["results"][0]["blogPostId"], "200");
}

#[tokio::test]
async fn descendants_query_finds_items_below_roots_of_any_type() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand={EXPAND}&limit=100",
        api(&sim),
        enc("ancestor IN (100,110,120) AND type != attachment")
    );
    let (_, answer) = get_json(&url, &token).await;
    assert_eq!(ids(&answer), vec!["101", "102", "111", "121", "130"]);
    assert_eq!(answer["results"][4]["type"], "whiteboard");
}

#[tokio::test]
async fn batched_body_fetch_returns_bodies_only_when_expanded_and_skips_unknown_ids() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/search?cql={}&expand=body.storage,version,space,metadata.labels",
        api(&sim),
        enc("id in (100,101,999)")
    );
    let (_, answer) = get_json(&url, &token).await;
    assert_eq!(ids(&answer), vec!["100", "101"]);
    let body = answer["results"][0]["body"]["storage"]["value"]
        .as_str()
        .expect("body");
    assert!(body.contains("<ri:attachment ri:filename=\"diagram.png\"/>"));
    let single = format!(
        "{}/wiki/rest/api/content/search?cql=id%3D101&expand=body.storage",
        api(&sim)
    );
    let (_, one) = get_json(&single, &token).await;
    assert_eq!(
        one["results"][0]["body"]["storage"]["value"],
        "<p>child</p>"
    );
}

#[tokio::test]
async fn label_with_quote_and_backslash_matches_when_escaped() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let cql = r#"label="we\"ird\\label""#;
    let (_, answer) = get_json(
        &format!(
            "{}/wiki/rest/api/content/search?cql={}",
            api(&sim),
            enc(cql)
        ),
        &token,
    )
    .await;
    assert_eq!(ids(&answer), vec!["102"]);
}

#[tokio::test]
async fn unsupported_cql_gets_400_with_a_confluence_error_body() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    for cql in ["creator = bob", "label = ", "title ~ \"x\"", "(label = a"] {
        let (status, answer) = get_json(
            &format!(
                "{}/wiki/rest/api/content/search?cql={}",
                api(&sim),
                enc(cql)
            ),
            &token,
        )
        .await;
        assert_eq!(status, 400, "{cql}");
        assert_eq!(answer["statusCode"], json!(400));
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("Could not parse cql")),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn download_redirects_to_the_media_origin_which_streams_bytes_without_credentials() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/100/child/attachment/att201/download",
        api(&sim)
    );
    let redirect = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status().as_u16(), 302);
    let location = redirect.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(sim.cloud_media_origin()), "{location}");
    let leaked = client()
        .get(&location)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(
        leaked.status().as_u16(),
        401,
        "credentials must not reach the media origin"
    );
    let file = client().get(&location).send().await.expect("request");
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.headers()["content-length"], "13");
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.text().await.expect("body"), "%PDF-1.4 tiny");
    let wrong_page = format!(
        "{}/wiki/rest/api/content/101/child/attachment/att201/download",
        api(&sim)
    );
    assert_eq!(
        client()
            .get(&wrong_page)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn generated_attachment_bytes_match_the_reported_file_size_and_digest() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content/100/child/attachment/att200/download",
        api(&sim)
    );
    let redirect = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let location = redirect.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let bytes = client()
        .get(&location)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.len(), 5120);
    let (len, digest) = sim.attachment_digest(CLOUD, "att200").expect("digest");
    assert_eq!(len, 5120);
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), digest);
    let ranged = client()
        .get(&location)
        .header("range", "bytes=5000-")
        .send()
        .await
        .expect("request");
    assert_eq!(ranged.status().as_u16(), 206);
    assert_eq!(
        ranged.bytes().await.expect("bytes").as_ref(),
        &bytes[5000..]
    );
}

#[tokio::test]
async fn lookup_by_space_key_and_title_finds_pages_only() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let url = format!(
        "{}/wiki/rest/api/content?spaceKey=ENG&title={}&type=page&expand={EXPAND}",
        api(&sim),
        enc("Runbook")
    );
    let (status, answer) = get_json(&url, &token).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&answer), vec!["100"]);
    assert!(answer["_links"].is_object());
    let blog = format!(
        "{}/wiki/rest/api/content?spaceKey=ENG&title=News&type=page",
        api(&sim)
    );
    assert!(ids(&get_json(&blog, &token).await.1).is_empty());
}

#[tokio::test]
async fn v1_child_attachment_endpoint_is_gone_and_gateway_download_links_fail() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let (status, _) = get_json(
        &format!(
            "{}/wiki/rest/api/content/100/child/attachment?limit=25&start=25",
            api(&sim)
        ),
        &token,
    )
    .await;
    assert_eq!(status, 410);
    let (status, _) = get_json(
        &format!(
            "{}/wiki/download/attachments/100/diagram.png?version=1&api=v2",
            api(&sim)
        ),
        &token,
    )
    .await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn site_base_serves_web_pages_for_links_and_health_pings() {
    let sim = start().await;
    let site = sim.cloud_site_base(CLOUD).expect("site");
    let root = client()
        .get(format!("{site}/"))
        .send()
        .await
        .expect("request");
    assert_eq!(root.status().as_u16(), 200);
    let page = client()
        .get(format!("{site}/wiki/spaces/ENG/pages/100/Runbook"))
        .send()
        .await
        .expect("request");
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("<h1>Runbook</h1>")
    );
}

#[tokio::test]
async fn a_client_installed_on_two_sites_gets_a_token_valid_on_both_and_sites_stay_apart() {
    let mut scenario = common::scenario();
    let mut second = scenario.cloud[0].clone();
    second.cloud_id = "cloud-2".to_owned();
    second.spaces.truncate(1);
    second.spaces[0].contents.truncate(1);
    scenario.cloud.push(second);
    let sim = connector_sim::Sim::start(scenario).await.expect("starts");
    let token = cloud_token(&sim).await;
    let query = format!("/wiki/rest/api/content/search?cql={}", enc("type = page"));
    let (status, one) = get_json(&format!("{}{query}", api(&sim)), &token).await;
    assert_eq!(status, 200);
    let (status, two) = get_json(
        &format!(
            "{}{query}",
            sim.cloud_api_base("cloud-2").expect("second site")
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(ids(&one).len() > 1);
    assert_eq!(ids(&two), vec!["100"]);
}

#[tokio::test]
async fn a_declared_file_size_can_differ_from_the_bytes_served() {
    let sim = start().await;
    let mut lying = common::attachment("att777", "short.bin", 10);
    lying.declared_size = Some(25);
    sim.put_attachment(CLOUD, "101", lying).expect("attachment");
    let token = cloud_token(&sim).await;
    let (_, listing) = get_json(
        &format!("{}/wiki/api/v2/pages/101/attachments", api(&sim)),
        &token,
    )
    .await;
    assert_eq!(listing["results"][0]["fileSize"], json!(25));
    let url = format!(
        "{}/wiki/rest/api/content/101/child/attachment/att777/download",
        api(&sim)
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
    let file = client().get(&location).send().await.expect("request");
    assert_eq!(file.headers()["content-length"], "10");
}

#[tokio::test]
async fn a_rate_limited_site_answers_429_with_retry_after_once_the_burst_is_spent() {
    let mut scenario = common::scenario();
    scenario.cloud[0].rate_limit = Some(connector_sim::scenario::RateLimitSeed {
        per_minute: 60,
        burst: Some(2),
    });
    let sim = connector_sim::Sim::start(scenario).await.expect("starts");
    let token = cloud_token(&sim).await;
    let url = format!("{}/wiki/rest/api/content/100", api(&sim));
    assert_eq!(get_json(&url, &token).await.0, 200);
    assert_eq!(get_json(&url, &token).await.0, 200);
    let limited = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    assert_eq!(get_json(&url, &token).await.0, 200);
}

#[tokio::test]
async fn space_parent_type_lists_and_attachment_items_are_searchable() {
    let sim = start().await;
    let token = cloud_token(&sim).await;
    let search = |cql: &str| {
        format!(
            "{}/wiki/rest/api/content/search?cql={}&limit=100",
            api(&sim),
            enc(cql)
        )
    };
    assert_eq!(
        ids(&get_json(&search("space = COL"), &token).await.1),
        vec!["500"]
    );
    assert_eq!(
        ids(
            &get_json(&search("parent = 100 AND type != attachment"), &token)
                .await
                .1
        ),
        vec!["101", "130"]
    );
    assert_eq!(
        ids(&get_json(&search("type IN (blogpost, folder)"), &token)
            .await
            .1),
        vec!["110", "200"]
    );
    let (_, attachments) = get_json(&search("type = attachment AND ancestor = 100"), &token).await;
    assert_eq!(attachments["totalSize"], json!(30));
    assert_eq!(attachments["results"][0]["type"], "attachment");
    assert_eq!(attachments["results"][0]["container"]["id"], "100");
}

#[tokio::test]
async fn media_links_with_a_wrong_token_are_refused() {
    let sim = start().await;
    let forged = format!(
        "{}/file/{CLOUD}/att201/binary?token=forged",
        sim.cloud_media_origin()
    );
    assert_eq!(
        client()
            .get(&forged)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16(),
        403
    );
}
