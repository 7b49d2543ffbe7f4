use super::*;
use crate::config::InlineImages;
use crate::model::ContentKind;
use crate::request::HttpResponse;
use crate::selection::{Completeness, DiscoveredItem};
use crate::test_support::{
    GATEWAY, attachment_json, cloud_settings, dc_settings, item, list_answer, policy,
};

/// Drives a discovery with canned answers; returns the outcome and every URL requested.
fn run(
    settings: Settings,
    mut answer: impl FnMut(&str) -> HttpResponse,
) -> (Result<DiscoveryOutcome, DiscoveryError>, Vec<String>) {
    let mut discovery = Discovery::new(settings);
    let mut urls = Vec::new();
    while let Some(request) = discovery.next_request() {
        urls.push(request.url.clone());
        assert!(urls.len() < 100, "discovery does not end: {urls:?}");
        if let Err(e) = discovery.on_response(answer(&request.url)) {
            return (Err(e), urls);
        }
    }
    (discovery.finish(), urls)
}

fn is_label_search(url: &str) -> bool {
    url.contains("cql=((label")
}

fn page_ids(outcome: &DiscoveryOutcome) -> Vec<String> {
    outcome
        .items
        .iter()
        .map(|i| match i {
            DiscoveredItem::Page(p) => p.id.clone(),
            DiscoveredItem::Attachment(a) => format!("{}::{}", a.page_id, a.id),
        })
        .collect()
}

fn pdf_policy() -> Option<crate::config::AttachmentPolicy> {
    Some(policy(
        &["application/pdf", "image/png"],
        100,
        InlineImages::Disabled,
    ))
}

#[test]
fn label_search_follows_every_next_link() {
    let (outcome, urls) = run(cloud_settings(None, None), |url| {
        if url.contains("cursor=2") {
            list_answer(&[item("2")], None)
        } else {
            list_answer(
                &[item("1")],
                Some("/rest/api/content/search?cql=x&cursor=2"),
            )
        }
    });
    assert_eq!(page_ids(&outcome.unwrap()), vec!["1", "2"]);
    assert_eq!(
        urls[1],
        format!("{GATEWAY}/rest/api/content/search?cql=x&cursor=2")
    );
    assert_eq!(urls.len(), 2);
}

#[test]
fn attachments_disabled_uses_the_short_expand_and_reports_no_attachments() {
    let (outcome, urls) = run(cloud_settings(None, None), |_| {
        list_answer(
            &[item("1").attachments(
                vec![attachment_json("att1", "a.pdf", "application/pdf", 1, None)],
                1,
                "{}",
            )],
            None,
        )
    });
    assert!(urls[0].ends_with("&expand=metadata.labels,version,space&limit=100&start=0"));
    assert_eq!(page_ids(&outcome.unwrap()), vec!["1"]);
}

#[test]
fn descendants_are_searched_in_batches_of_100_roots_and_merged_first_wins() {
    let roots: Vec<_> = (1..=101)
        .map(|i| item(&i.to_string()).labels(&["ai-ingest-all"]))
        .collect();
    let (outcome, urls) = run(cloud_settings(None, None), |url| {
        if is_label_search(url) {
            list_answer(&roots, None)
        } else if url.contains("ancestor%20IN%20(101)") {
            // A duplicate of a root (first occurrence wins) and a new item.
            list_answer(&[item("5").when("2030-01-01T00:00:00Z"), item("500")], None)
        } else if url.contains("cursor=d2") {
            list_answer(&[item("201")], None)
        } else {
            list_answer(
                &[item("200")],
                Some("/wiki/rest/api/content/search?cursor=d2"),
            )
        }
    });
    let outcome = outcome.unwrap();
    let ids = page_ids(&outcome);
    assert_eq!(ids.len(), 104);
    assert_eq!(&ids[101..], &["200", "201", "500"]);
    let DiscoveredItem::Page(five) = &outcome.items[4] else {
        panic!()
    };
    assert_eq!(five.updated_at, "2025-03-01T10:00:00.000Z");
    assert_eq!(urls.len(), 4);
    let first_batch = (1..=100)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("%2C");
    assert!(
        urls[1].contains(&format!("cql=ancestor%20IN%20({first_batch})%20AND")),
        "{}",
        urls[1]
    );
    assert!(urls[1].ends_with("&limit=100"));
    assert!(urls[3].contains("ancestor%20IN%20(101)"));
}

#[test]
fn dropped_types_still_act_as_roots_and_folders_are_kept() {
    let (outcome, urls) = run(cloud_settings(None, None), |url| {
        if is_label_search(url) {
            list_answer(
                &[
                    item("1").kind("database").labels(&["ai-ingest-all"]),
                    item("2").kind("whiteboard"),
                    item("3").kind("folder"),
                    item("4").kind("blogpost"),
                ],
                None,
            )
        } else {
            list_answer(&[item("10").kind("embed"), item("11")], None)
        }
    });
    assert!(urls[1].contains("ancestor%20IN%20(1)"));
    let outcome = outcome.unwrap();
    assert_eq!(page_ids(&outcome), vec!["3", "4", "11"]);
    let DiscoveredItem::Page(folder) = &outcome.items[0] else {
        panic!()
    };
    assert_eq!(folder.kind, ContentKind::Folder);
}

#[test]
fn unknown_type_is_skipped_with_a_warning_and_the_rest_is_used() {
    let (outcome, _) = run(cloud_settings(None, None), |_| {
        list_answer(&[item("1").kind("comment"), item("2")], None)
    });
    let outcome = outcome.unwrap();
    assert_eq!(page_ids(&outcome), vec!["2"]);
    assert_eq!(
        outcome.warnings[0].to_string(),
        "skipped a search result of unknown content type (id=1, type=comment)"
    );
}

#[test]
fn failed_search_aborts_discovery_with_url_and_status() {
    let (outcome, _) = run(cloud_settings(None, None), |_| {
        HttpResponse::new(500, "boom")
    });
    let err = outcome.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "discovery failed: GET {GATEWAY}/rest/api/content/search (/rest/api/content/search) answered HTTP 500: boom"
        )
    );
}

#[test]
fn answer_without_links_aborts_discovery() {
    let (outcome, _) = run(cloud_settings(None, None), |_| {
        HttpResponse::new(200, format!(r#"{{"results":[{}]}}"#, item("1").json()))
    });
    assert!(matches!(
        outcome,
        Err(DiscoveryError::Answer(AnswerError::Malformed { .. }))
    ));
}

#[test]
fn failed_descendant_page_aborts_discovery() {
    let (outcome, _) = run(cloud_settings(None, None), |url| {
        if is_label_search(url) {
            list_answer(&[item("1").labels(&["ai-ingest-all"])], None)
        } else {
            HttpResponse::new(429, "slow down")
        }
    });
    assert!(outcome.unwrap_err().to_string().contains("HTTP 429"));
}

#[test]
fn response_without_outstanding_request_is_an_error() {
    let mut discovery = Discovery::new(cloud_settings(None, None));
    while discovery.next_request().is_some() {
        discovery.on_response(list_answer(&[], None)).unwrap();
    }
    assert_eq!(
        discovery.on_response(list_answer(&[], None)),
        Err(DiscoveryError::NoRequestOutstanding)
    );
}

#[test]
fn cloud_capped_attachment_lists_are_replaced_by_v2_lists() {
    let inline: Vec<String> = (0..25)
        .map(|i| attachment_json(&format!("att{i}"), "x.pdf", "application/pdf", 1, None))
        .collect();
    let (outcome, urls) = run(cloud_settings(pdf_policy(), None), |url| {
        if is_label_search(url) {
            list_answer(
                &[
                    item("1").attachments(inline.clone(), 25, "{}"),
                    item("2")
                        .kind("blogpost")
                        .attachments(inline.clone(), 25, "{}"),
                ],
                None,
            )
        } else {
            HttpResponse::new(
                200,
                r#"{"results":[{"id":"att900","title":"all.pdf","mediaType":"application/pdf","fileSize":5,
                   "version":{"createdAt":"2025-04-01T00:00:00Z"}}],"_links":{}}"#,
            )
        }
    });
    assert_eq!(
        urls[1],
        format!("{GATEWAY}/api/v2/pages/1/attachments?limit=250")
    );
    assert_eq!(
        urls[2],
        format!("{GATEWAY}/api/v2/blogposts/2/attachments?limit=250")
    );
    let outcome = outcome.unwrap();
    assert_eq!(page_ids(&outcome), vec!["1", "1::att900", "2", "2::att900"]);
    assert_eq!(outcome.page_attachments["1"].len(), 1);
}

#[test]
fn data_center_capped_lists_append_following_next_links() {
    let inline: Vec<String> = (0..25)
        .map(|i| attachment_json(&i.to_string(), "x.pdf", "application/pdf", 1, None))
        .collect();
    let settings = dc_settings("https://w.example/confluence", pdf_policy(), None);
    let (outcome, urls) = run(settings, |url| {
        if is_label_search(url) {
            list_answer(
                &[item("1").attachments(
                    inline.clone(),
                    25,
                    r#"{"next":"/confluence/rest/api/content/1/child/attachment?start=25"}"#,
                )],
                None,
            )
        } else if url.contains("start=25") {
            HttpResponse::new(
                200,
                format!(
                    r#"{{"results":[{}],"_links":{{"next":"/rest/api/content/1/child/attachment?start=26","context":"/confluence"}}}}"#,
                    attachment_json("25", "y.pdf", "application/pdf", 1, None)
                ),
            )
        } else {
            HttpResponse::new(
                200,
                format!(
                    r#"{{"results":[{}],"_links":{{"context":"/confluence"}}}}"#,
                    attachment_json("26", "z.pdf", "application/pdf", 1, None)
                ),
            )
        }
    });
    assert_eq!(
        urls[1],
        "https://w.example/confluence/rest/api/content/1/child/attachment?start=25"
    );
    assert_eq!(
        urls[2],
        "https://w.example/confluence/rest/api/content/1/child/attachment?start=26"
    );
    let outcome = outcome.unwrap();
    assert_eq!(outcome.items.len(), 28);
    let DiscoveredItem::Attachment(last) = &outcome.items[27] else {
        panic!()
    };
    assert_eq!(last.id, "26");
    assert_eq!(
        last.download_url,
        "https://w.example/confluence/download/attachments/x/z.pdf?version=1"
    );
    assert_eq!(
        last.url,
        "https://w.example/confluence/pages/viewpageattachments.action?pageId=1&preview=%2F1%2F26%2Fz.pdf"
    );
}

fn attachments_answer(settings: Settings, attachments: Vec<String>) -> DiscoveryOutcome {
    let count = attachments.len() as u32;
    let (outcome, _) = run(settings, |_| {
        list_answer(
            &[item("1").attachments(attachments.clone(), count, "{}")],
            None,
        )
    });
    outcome.unwrap()
}

#[test]
fn attachment_filters_apply_mime_allow_list_and_inclusive_size_limit() {
    let outcome = attachments_answer(
        cloud_settings(pdf_policy(), None),
        vec![
            attachment_json("att1", "ok.pdf", "Application/PDF; q=1", 100, None),
            attachment_json("att2", "big.pdf", "application/pdf", 101, None),
            attachment_json("att3", "doc.txt", "text/plain", 1, None),
            attachment_json("att4", "pic.png", "image/png", 1, None),
        ],
    );
    assert_eq!(page_ids(&outcome), vec!["1", "1::att1", "1::att4"]);
    let DiscoveredItem::Attachment(ok) = &outcome.items[1] else {
        panic!()
    };
    assert_eq!(ok.media_type, "Application/PDF; q=1");
    assert_eq!(
        ok.download_url,
        format!("{GATEWAY}/rest/api/content/1/child/attachment/att1/download")
    );
    assert_eq!(
        ok.url,
        "https://acme.atlassian.net/wiki/pages/viewpageattachments.action?pageId=1&preview=%2F1%2F1%2Fok.pdf"
    );
    // The full list is kept unfiltered for inlining.
    assert_eq!(outcome.page_attachments["1"].len(), 4);
}

#[test]
fn images_are_not_standalone_when_inlining_and_bump_the_page_timestamp() {
    let settings = cloud_settings(
        Some(policy(
            &["application/pdf", "image/png"],
            100,
            InlineImages::Enabled,
        )),
        None,
    );
    let outcome = attachments_answer(
        settings,
        vec![
            attachment_json(
                "att1",
                "a.png",
                "image/png",
                10,
                Some("2025-03-02T00:00:00.000+01:00"),
            ),
            // Newer, but too large to inline: does not count.
            attachment_json(
                "att2",
                "b.png",
                "image/png",
                101,
                Some("2026-01-01T00:00:00Z"),
            ),
            // Newer, but not an image: does not count.
            attachment_json(
                "att3",
                "c.pdf",
                "application/pdf",
                1,
                Some("2026-01-01T00:00:00Z"),
            ),
        ],
    );
    assert_eq!(page_ids(&outcome), vec!["1", "1::att3"]);
    let DiscoveredItem::Page(page) = &outcome.items[0] else {
        panic!()
    };
    assert_eq!(page.updated_at, "2025-03-02T00:00:00.000+01:00");
}

#[test]
fn page_without_inlinable_images_sends_its_own_version() {
    let settings = cloud_settings(
        Some(policy(&["image/png"], 100, InlineImages::Enabled)),
        None,
    );
    let outcome = attachments_answer(
        settings,
        vec![attachment_json(
            "att1",
            "a.png",
            "image/png",
            10,
            Some("2020-01-01T00:00:00Z"),
        )],
    );
    let DiscoveredItem::Page(page) = &outcome.items[0] else {
        panic!()
    };
    assert_eq!(page.updated_at, "2025-03-01T10:00:00.000Z");
}

#[test]
fn attachment_without_version_uses_the_page_version() {
    let outcome = attachments_answer(
        cloud_settings(pdf_policy(), None),
        vec![
            attachment_json("att1", "a.pdf", "application/pdf", 1, None),
            attachment_json(
                "att2",
                "b.pdf",
                "application/pdf",
                1,
                Some("2025-01-01T00:00:00Z"),
            ),
        ],
    );
    let updated: Vec<_> = outcome
        .items
        .iter()
        .filter_map(|i| match i {
            DiscoveredItem::Attachment(a) => Some(a.updated_at.clone()),
            DiscoveredItem::Page(_) => None,
        })
        .collect();
    assert_eq!(
        updated,
        vec!["2025-03-01T10:00:00.000Z", "2025-01-01T00:00:00Z"]
    );
}

#[test]
fn item_cap_keeps_pages_first_then_attachments_and_reports_truncation() {
    let pdfs = |prefix: &str| {
        (1..=2)
            .map(|i| attachment_json(&format!("{prefix}{i}"), "a.pdf", "application/pdf", 1, None))
            .collect::<Vec<_>>()
    };
    let answer = |_: &str| {
        list_answer(
            &[
                item("1").attachments(pdfs("att1"), 2, "{}"),
                item("2").attachments(pdfs("att2"), 2, "{}"),
                item("3"),
            ],
            None,
        )
    };
    let (outcome, _) = run(cloud_settings(pdf_policy(), Some(3)), answer);
    let outcome = outcome.unwrap();
    assert_eq!(page_ids(&outcome), vec!["1", "2", "3"]);
    assert_eq!(outcome.completeness, Completeness::Truncated);

    let (outcome, _) = run(cloud_settings(pdf_policy(), Some(5)), answer);
    let outcome = outcome.unwrap();
    assert_eq!(
        page_ids(&outcome),
        vec!["1", "1::att11", "1::att12", "2", "3"]
    );
    assert_eq!(outcome.completeness, Completeness::Truncated);

    let (outcome, _) = run(cloud_settings(pdf_policy(), Some(2)), answer);
    assert_eq!(page_ids(&outcome.unwrap()), vec!["1", "2"]);

    let (outcome, _) = run(cloud_settings(pdf_policy(), Some(7)), answer);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.items.len(), 7);
    assert_eq!(outcome.completeness, Completeness::Complete);
}

#[test]
fn labels_drop_ingest_labels_and_are_sorted() {
    let (outcome, _) = run(cloud_settings(None, None), |url| {
        if is_label_search(url) {
            list_answer(
                &[item("1").labels(&["zeta", "ai-ingest-all", "alpha", "ai-ingest"])],
                None,
            )
        } else {
            list_answer(&[], None)
        }
    });
    let outcome = outcome.unwrap();
    let DiscoveredItem::Page(page) = &outcome.items[0] else {
        panic!()
    };
    assert_eq!(page.labels, vec!["alpha", "zeta"]);
    assert_eq!(
        page.url,
        "https://acme.atlassian.net/wiki/spaces/ENG/pages/1"
    );
    assert_eq!(page.space.id, "98307");
    assert_eq!(page.space.name, "Engineering");
}

#[test]
fn items_whose_ids_break_keys_are_rejected_with_a_warning() {
    let (outcome, _) = run(cloud_settings(pdf_policy(), None), |_| {
        list_answer(
            &[
                item("1/2"),
                item("3::4"),
                item("5").space_key("A:B"),
                item("6").space_key("A/B"),
                item("7").attachments(
                    vec![
                        attachment_json("att::1", "a.pdf", "application/pdf", 1, None),
                        attachment_json("att2", "b.pdf", "application/pdf", 1, None),
                    ],
                    2,
                    "{}",
                ),
            ],
            None,
        )
    });
    let outcome = outcome.unwrap();
    assert_eq!(page_ids(&outcome), vec!["7", "7::att2"]);
    assert_eq!(outcome.warnings.len(), 5, "{:?}", outcome.warnings);
    let rejected_space = &outcome.warnings[2];
    assert_eq!(rejected_space.field("id"), Some("5"));
    assert_eq!(rejected_space.field("space_key"), Some("A:B"));
    assert_eq!(
        outcome.warnings[4].message,
        "rejected an attachment whose id cannot form a content key"
    );
}

#[test]
fn data_center_pages_use_viewpage_urls_and_dc_label_cql() {
    let (outcome, urls) = run(dc_settings("https://w.example", None, None), |_| {
        list_answer(&[item("9")], None)
    });
    assert!(urls[0].starts_with("https://w.example/rest/api/content/search?cql=((label%3D%22ai-ingest%22)%20OR%20(label%3D%22ai-ingest-all%22))%20AND%20space.type%3Dglobal%20AND"));
    let outcome = outcome.unwrap();
    let DiscoveredItem::Page(page) = &outcome.items[0] else {
        panic!()
    };
    assert_eq!(page.url, "https://w.example/pages/viewpage.action?pageId=9");
}

#[test]
fn data_center_next_links_with_context_path_stay_on_the_configured_base() {
    let settings = dc_settings("https://w.example/confluence", None, None);
    let (outcome, urls) = run(settings, |url| {
        if url.contains("start=100") {
            list_answer(&[item("2")], None)
        } else {
            let mut answer = list_answer(&[item("1")], None);
            answer.body = format!(
                r#"{{"results":[{}],"_links":{{"next":"/confluence/rest/api/content/search?cql=x&start=100","base":"https://w.example/confluence","context":"/confluence"}}}}"#,
                item("1").json()
            )
            .into_bytes();
            answer
        }
    });
    assert_eq!(
        urls[1],
        "https://w.example/confluence/rest/api/content/search?cql=x&start=100"
    );
    assert_eq!(page_ids(&outcome.unwrap()), vec!["1", "2"]);
}
