use super::*;
use crate::config::InlineImages;
use crate::request::{HttpResponse, RequestFailed};
use crate::test_support::{
    GATEWAY, attachment_json, cloud_settings, dc_settings, item, list_answer, policy,
};

/// Drives a fetch; `answer` gets each URL. Returns the outcomes, warnings and request batches.
fn run(
    settings: Settings,
    ids: &[&str],
    answer: impl Fn(&str) -> Reply,
) -> (Vec<FetchedPage>, Vec<String>, Vec<Vec<String>>) {
    let mut fetch = PageFetch::new(settings, ids.iter().map(|i| (*i).to_owned()).collect());
    let mut rounds = Vec::new();
    loop {
        let requests = fetch.next_requests();
        if requests.is_empty() {
            break;
        }
        assert!(rounds.len() < 100, "fetch does not end: {rounds:?}");
        rounds.push(requests.iter().map(|r| r.url.clone()).collect());
        let replies = requests.iter().map(|r| answer(&r.url)).collect();
        fetch.on_replies(replies).unwrap();
    }
    let (pages, warnings) = fetch.finish();
    let warnings = warnings.iter().map(ToString::to_string).collect();
    (pages, warnings, rounds)
}

fn found(page: &FetchedPage) -> &PageContent {
    match &page.outcome {
        FetchOutcome::Found(content) => content,
        FetchOutcome::Missing(reason) => panic!("page {} missing: {reason}", page.id),
    }
}

fn missing(page: &FetchedPage) -> &str {
    match &page.outcome {
        FetchOutcome::Missing(reason) => reason,
        FetchOutcome::Found(_) => panic!("page {} found", page.id),
    }
}

#[test]
fn batch_answer_maps_found_and_missing_ids_in_request_order() {
    let (pages, _, rounds) = run(cloud_settings(None, None), &["3", "1", "2"], |_| {
        Ok(list_answer(
            &[
                item("1")
                    .body("<p>one</p>")
                    .labels(&["ai-ingest", "b", "a"]),
                item("3").body("<p>three</p>"),
            ],
            None,
        ))
    });
    assert_eq!(
        rounds,
        vec![vec![format!(
            "{GATEWAY}/rest/api/content/search?cql=id%20in%20(3%2C1%2C2)&expand=body.storage,version,space,metadata.labels&limit=3"
        )]]
    );
    assert_eq!(
        pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["3", "1", "2"]
    );
    assert_eq!(found(&pages[0]).body, "<p>three</p>");
    let one = found(&pages[1]);
    assert_eq!(one.labels, vec!["a", "b"]);
    assert_eq!(
        one.url,
        "https://acme.atlassian.net/wiki/spaces/ENG/pages/1"
    );
    assert_eq!(one.space.key, "ENG");
    assert!(missing(&pages[2]).contains("not in the search answer"));
}

#[test]
fn batch_follows_next_links() {
    let (pages, _, rounds) = run(cloud_settings(None, None), &["1", "2"], |url| {
        if url.contains("cursor") {
            Ok(list_answer(&[item("2").body("b")], None))
        } else {
            Ok(list_answer(
                &[item("1").body("a")],
                Some("/wiki/rest/api/content/search?cursor=n"),
            ))
        }
    });
    assert_eq!(
        rounds[1],
        vec![format!("{GATEWAY}/rest/api/content/search?cursor=n")]
    );
    assert_eq!(found(&pages[1]).body, "b");
}

#[test]
fn data_center_batches_by_fifty_ids() {
    let ids: Vec<String> = (1..=120).map(|i| i.to_string()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (pages, _, rounds) = run(
        dc_settings("https://w.example", None, None),
        &id_refs,
        |url| {
            assert!(
                url.starts_with("https://w.example/rest/api/content/search?cql=id%20in%20("),
                "{url}"
            );
            Ok(list_answer(&[], None))
        },
    );
    assert_eq!(rounds.len(), 3);
    assert!(rounds[0][0].ends_with("&limit=50"));
    assert!(rounds[2][0].ends_with("&limit=20"));
    assert_eq!(pages.len(), 120);
}

#[test]
fn failed_batch_falls_back_to_single_fetches() {
    let (pages, warnings, rounds) = run(
        dc_settings("https://w.example", None, None),
        &["1", "2", "3"],
        |url| {
            if url.contains("search") {
                Ok(HttpResponse::new(500, "oops"))
            } else if url.contains("/content/1?") {
                Ok(HttpResponse::new(200, item("1").body("<p>1</p>").json()))
            } else if url.contains("/content/2?") {
                Ok(HttpResponse::new(404, "no"))
            } else {
                Err(RequestFailed("timeout".into()))
            }
        },
    );
    assert_eq!(
        rounds[1],
        vec![
            "https://w.example/rest/api/content/1?expand=body.storage,version,space,metadata.labels",
            "https://w.example/rest/api/content/2?expand=body.storage,version,space,metadata.labels",
            "https://w.example/rest/api/content/3?expand=body.storage,version,space,metadata.labels",
        ]
    );
    assert_eq!(found(&pages[0]).body, "<p>1</p>");
    assert_eq!(
        found(&pages[0]).url,
        "https://w.example/pages/viewpage.action?pageId=1"
    );
    assert!(
        missing(&pages[1]).contains("HTTP 404"),
        "{}",
        missing(&pages[1])
    );
    assert!(missing(&pages[2]).contains("timeout"));
    assert!(
        warnings[0].contains("fetching its pages one by one"),
        "{warnings:?}"
    );
}

#[test]
fn cloud_single_fallback_uses_c3_and_the_first_result() {
    let (pages, _, rounds) = run(cloud_settings(None, None), &["7", "8"], |url| {
        if url.contains("id%20in") {
            Err(RequestFailed("reset".into()))
        } else if url.contains("id%3D7") {
            Ok(list_answer(&[item("7").body("x")], None))
        } else {
            Ok(list_answer(&[], None))
        }
    });
    assert_eq!(
        rounds[1][0],
        format!(
            "{GATEWAY}/rest/api/content/search?cql=id%3D7&expand=body.storage,version,space,metadata.labels"
        )
    );
    assert_eq!(found(&pages[0]).body, "x");
    assert!(missing(&pages[1]).contains("empty search result"));
}

#[test]
fn malformed_batch_answer_falls_back_and_later_batches_continue() {
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (pages, _, rounds) = run(cloud_settings(None, None), &id_refs, |url| {
        if url.contains("id%20in%20(1%2C") {
            Ok(HttpResponse::new(200, "{\"results\":[]}"))
        } else if url.contains("id%20in%20(101)") {
            Ok(list_answer(&[item("101").body("last")], None))
        } else {
            Ok(list_answer(&[], None))
        }
    });
    assert_eq!(
        rounds[1].len(),
        100,
        "singles of the failed batch go out together"
    );
    assert!(rounds[2][0].contains("id%20in%20(101)"));
    assert_eq!(found(&pages[100]).body, "last");
}

#[test]
fn folder_without_body_is_found_with_an_empty_body() {
    let (pages, _, _) = run(cloud_settings(None, None), &["5"], |_| {
        Ok(list_answer(&[item("5").kind("folder")], None))
    });
    assert_eq!(found(&pages[0]).body, "");
}

#[test]
fn reply_count_mismatch_is_an_error() {
    let mut fetch = PageFetch::new(cloud_settings(None, None), vec!["1".into()]);
    assert_eq!(fetch.next_requests().len(), 1);
    assert_eq!(
        fetch.on_replies(vec![]),
        Err(ContentError::ReplyCount {
            expected: 1,
            got: 0
        })
    );
}

fn inline_settings() -> Settings {
    cloud_settings(
        Some(policy(
            &["image/png", "application/pdf"],
            1000,
            InlineImages::Enabled,
        )),
        None,
    )
}

#[test]
fn inlining_fetches_bodies_with_attachments_looks_up_other_pages_and_downloads_images() {
    let body = r#"<p>é</p><ac:image><ri:attachment ri:filename="own.png"/></ac:image><ac:image><ri:attachment ri:filename="far.png"><ri:page ri:content-title="Far Away" ri:space-key="OPS"/></ri:attachment></ac:image>"#;
    let (pages, _, rounds) = run(inline_settings(), &["1"], |url| {
        if url.contains("id%20in") {
            Ok(list_answer(
                &[item("1").body(body).attachments(
                    vec![
                        attachment_json("att10", "own.png", "image/png", 3, None),
                        attachment_json("att11", "extra.png", "image/png", 3, None),
                        attachment_json("att12", "doc.pdf", "application/pdf", 3, None),
                    ],
                    3,
                    "{}",
                )],
                None,
            ))
        } else if url.contains("spaceKey=OPS") {
            Ok(list_answer(
                &[item("50").space_key("OPS").attachments(
                    vec![attachment_json("att20", "far.png", "image/png", 3, None)],
                    1,
                    "{}",
                )],
                None,
            ))
        } else if url.ends_with("/download") {
            let id = url.rsplit('/').nth(1).unwrap_or_default();
            Ok(HttpResponse::new(200, id.as_bytes().to_vec()))
        } else {
            panic!("unexpected request {url}")
        }
    });
    assert!(rounds[0][0].contains("&expand=body.storage,version,space,metadata.labels,children.attachment,children.attachment.version,children.attachment.extensions&limit=1"));
    assert_eq!(
        rounds[1],
        vec![format!(
            "{GATEWAY}/rest/api/content?spaceKey=OPS&title=Far%20Away&type=page&expand=metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions"
        )]
    );
    assert_eq!(
        rounds[2],
        vec![
            format!("{GATEWAY}/rest/api/content/1/child/attachment/att10/download"),
            format!("{GATEWAY}/rest/api/content/50/child/attachment/att20/download"),
            format!("{GATEWAY}/rest/api/content/1/child/attachment/att11/download"),
        ]
    );
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    assert_eq!(
        found(&pages[0]).body,
        format!(
            r#"<p>é</p><img src="data:image/png;base64,{}" alt="own.png" /><img src="data:image/png;base64,{}" alt="far.png" /><p><img src="data:image/png;base64,{}" alt="extra.png" /></p>"#,
            b64("att10"),
            b64("att20"),
            b64("att11")
        )
    );
}

#[test]
fn capped_own_list_is_completed_and_images_download_twenty_at_a_time() {
    let inline: Vec<String> = (0..25)
        .map(|i| {
            attachment_json(
                &format!("att{i}"),
                &format!("i{i}.png"),
                "image/png",
                1,
                None,
            )
        })
        .collect();
    let v2: Vec<String> = (0..45)
        .map(|i| {
            format!(r#"{{"id":"att{i}","title":"i{i}.png","mediaType":"image/png","fileSize":1}}"#)
        })
        .collect();
    let (pages, _, rounds) = run(inline_settings(), &["1"], |url| {
        if url.contains("id%20in") {
            Ok(list_answer(
                &[item("1").body("<p/>").attachments(inline.clone(), 25, "{}")],
                None,
            ))
        } else if url.contains("/api/v2/pages/1/attachments") {
            Ok(HttpResponse::new(
                200,
                format!(r#"{{"results":[{}],"_links":{{}}}}"#, v2.join(",")),
            ))
        } else {
            Ok(HttpResponse::new(200, b"x".to_vec()))
        }
    });
    assert_eq!(
        rounds[1],
        vec![format!("{GATEWAY}/api/v2/pages/1/attachments?limit=250")]
    );
    let sizes: Vec<usize> = rounds[2..].iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![20, 20, 5]);
    assert_eq!(found(&pages[0]).body.matches("<img ").count(), 45);
}

#[test]
fn failed_own_attachment_list_keeps_the_original_body() {
    let inline: Vec<String> = (0..25)
        .map(|i| {
            attachment_json(
                &format!("att{i}"),
                &format!("i{i}.png"),
                "image/png",
                1,
                None,
            )
        })
        .collect();
    let body = r#"<ac:image><ri:attachment ri:filename="i0.png"/></ac:image>"#;
    let (pages, warnings, _) = run(inline_settings(), &["1"], |url| {
        if url.contains("id%20in") {
            Ok(list_answer(
                &[item("1").body(body).attachments(inline.clone(), 25, "{}")],
                None,
            ))
        } else {
            Ok(HttpResponse::new(500, "broken"))
        }
    });
    assert_eq!(found(&pages[0]).body, body);
    assert!(
        warnings.iter().any(|w| w.contains("images not inlined")),
        "{warnings:?}"
    );
}

#[test]
fn failed_lookup_and_download_leave_only_those_images() {
    let body = r#"<ac:image><ri:attachment ri:filename="a.png"><ri:page ri:content-title="X"/></ri:attachment></ac:image><ac:image><ri:attachment ri:filename="b.png"/></ac:image>"#;
    let (pages, warnings, _) = run(inline_settings(), &["1"], |url| {
        if url.contains("id%20in") {
            Ok(list_answer(
                &[item("1").body(body).attachments(
                    vec![attachment_json("att2", "b.png", "image/png", 1, None)],
                    1,
                    "{}",
                )],
                None,
            ))
        } else if url.contains("title=X") {
            Ok(HttpResponse::new(503, "down"))
        } else {
            Err(RequestFailed("too large".into()))
        }
    });
    assert_eq!(found(&pages[0]).body, body);
    // The failed lookup, the macro it leaves, and the failed download.
    assert_eq!(warnings.len(), 3, "{warnings:?}");
}

#[test]
fn no_ids_need_no_requests() {
    let (pages, warnings, rounds) = run(cloud_settings(None, None), &[], |url| panic!("{url}"));
    assert!(pages.is_empty() && warnings.is_empty() && rounds.is_empty());
}

#[test]
fn duplicate_ids_are_fetched_once_and_answered_for_each_occurrence() {
    let (pages, _, rounds) = run(cloud_settings(None, None), &["4", "4"], |_| {
        Ok(list_answer(&[item("4").body("b")], None))
    });
    assert!(rounds[0][0].contains("cql=id%20in%20(4)&"), "{rounds:?}");
    assert_eq!(pages.len(), 2);
    assert_eq!(found(&pages[1]).body, "b");
}

#[test]
fn failed_later_page_with_every_id_found_moves_on_to_the_next_batch() {
    let ids: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let first_batch: Vec<_> = (1..=100).map(|i| item(&i.to_string()).body("x")).collect();
    let (pages, _, rounds) = run(cloud_settings(None, None), &id_refs, |url| {
        if url.contains("cursor=2") {
            Ok(HttpResponse::new(502, "bad gateway"))
        } else if url.contains("id%20in%20(101)") {
            Ok(list_answer(&[item("101").body("y")], None))
        } else {
            Ok(list_answer(
                &first_batch,
                Some("/rest/api/content/search?cursor=2"),
            ))
        }
    });
    assert_eq!(rounds.len(), 3, "{rounds:?}");
    assert!(rounds[2][0].contains("id%20in%20(101)"));
    assert!(
        pages
            .iter()
            .all(|p| matches!(p.outcome, FetchOutcome::Found(_)))
    );
}
