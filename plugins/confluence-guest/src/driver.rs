//! Runs core's sans-IO tasks to completion over a transport given as a closure: the host's
//! `http` import in the plugin, canned answers in the tests below.
//!
//! Discovery and identity fail on the first failed request or unusable answer (a partial
//! discovery must never reach the host's diff); page fetch never fails as a whole, because core
//! turns a failed page into a `missing` outcome for that page only.

use confluence_core::config::Settings;
use confluence_core::content::{FetchedPage, PageFetch};
use confluence_core::discovery::Discovery;
use confluence_core::identity::{self, IdentityLookup, SourceIdentity};
use confluence_core::notice::Notice;
use confluence_core::request::{HttpGet, HttpResponse, Reply};
use confluence_core::selection::DiscoveryOutcome;
use connector_plugin_sdk::http::HttpError;
use connector_plugin_sdk::source::SourceError;

use crate::source_error;

/// Who the instance is: known from config on Cloud, the applinks manifest (D0) on Data Center.
pub fn identify(
    settings: &Settings,
    mut send: impl FnMut(&HttpGet) -> Result<HttpResponse, HttpError>,
) -> Result<SourceIdentity, SourceError> {
    match identity::identify(settings) {
        IdentityLookup::Known(identity) => Ok(identity),
        IdentityLookup::Manifest(request) => {
            let response = send(&request).map_err(SourceError::Http)?;
            identity::identity_from_manifest(settings, &request, &response)
                .map_err(|err| source_error::from_identity(&err))
        }
    }
}

/// Every item the tenant selects, one request at a time.
pub fn discover(
    settings: Settings,
    mut send: impl FnMut(&HttpGet) -> Result<HttpResponse, HttpError>,
) -> Result<DiscoveryOutcome, SourceError> {
    let mut discovery = Discovery::new(settings);
    while let Some(request) = discovery.next_request() {
        let response = send(&request).map_err(SourceError::Http)?;
        discovery
            .on_response(response)
            .map_err(|err| source_error::from_discovery(&err))?;
    }
    discovery
        .finish()
        .map_err(|err| source_error::from_discovery(&err))
}

/// The bodies of `ids`, one outcome per id in order, plus notices to log. Each round of requests
/// (the singles of a failed batch, a page's image downloads) goes to `send_all` at once, so the
/// host runs them concurrently.
pub fn fetch_pages(
    settings: Settings,
    ids: Vec<String>,
    mut send_all: impl FnMut(&[HttpGet]) -> Vec<Reply>,
) -> Result<(Vec<FetchedPage>, Vec<Notice>), SourceError> {
    let mut fetch = PageFetch::new(settings, ids);
    loop {
        let requests = fetch.next_requests();
        if requests.is_empty() {
            break;
        }
        fetch
            .on_replies(send_all(&requests))
            .map_err(|err| source_error::from_content(&err))?;
    }
    Ok(fetch.finish())
}

#[cfg(test)]
mod tests {
    use confluence_core::config::{AttachmentPolicy, InlineImages, InstanceType, SourcePolicy};
    use confluence_core::content::FetchOutcome;
    use confluence_core::request::{Credentials, RequestFailed};
    use confluence_core::selection::{Completeness, DiscoveredItem};

    use super::*;

    fn settings(instance_type: InstanceType, max_items: Option<u32>) -> Settings {
        let config = match instance_type {
            InstanceType::Cloud => {
                r#"{"instanceType":"cloud","baseUrl":"https://acme.atlassian.net","cloudId":"c-1",
                    "ingestSingleLabel":"ai-ingest","ingestAllLabel":"ai-ingest-all"}"#
            }
            InstanceType::DataCenter => {
                r#"{"instanceType":"data-center","baseUrl":"https://wiki.example.com",
                    "ingestSingleLabel":"ai-ingest","ingestAllLabel":"ai-ingest-all"}"#
            }
        };
        let policy = SourcePolicy {
            attachments: None,
            max_items,
        };
        Settings::from_json(config, policy).unwrap()
    }

    /// A v1 content item labelled `ai-ingest`, with a body when given one.
    fn item_json(id: &str, body: Option<&str>) -> String {
        let body = body.map_or(String::new(), |b| {
            format!(r#","body":{{"storage":{{"value":"{b}"}}}}"#)
        });
        format!(
            r#"{{"id":"{id}","type":"page","title":"Page {id}",
                "space":{{"id":98307,"key":"ENG","name":"Engineering"}},
                "version":{{"when":"2025-03-01T10:00:00.000Z"}},
                "metadata":{{"labels":{{"results":[{{"prefix":"global","name":"ai-ingest"}}]}}}},
                "_links":{{"webui":"/spaces/ENG/pages/{id}"}}{body}}}"#
        )
    }

    /// A v1 list answer; `next` is the relative `_links.next`, if any.
    fn list_json(items: &[String], next: Option<&str>) -> String {
        let next = next.map_or(String::new(), |n| format!(r#""next":"{n}","#));
        format!(
            r#"{{"results":[{}],"start":0,"limit":100,"size":{},
                "_links":{{{next}"base":"https://wiki.example.com","context":""}}}}"#,
            items.join(","),
            items.len()
        )
    }

    fn page_ids(outcome: &DiscoveryOutcome) -> Vec<&str> {
        outcome
            .items
            .iter()
            .map(|item| match item {
                DiscoveredItem::Page(page) => page.id.as_str(),
                DiscoveredItem::Attachment(attachment) => attachment.id.as_str(),
            })
            .collect()
    }

    #[test]
    fn cloud_identity_is_known_without_a_request() {
        let identity = identify(&settings(InstanceType::Cloud, None), |request| {
            panic!("no request expected, got {}", request.url)
        })
        .unwrap();
        assert_eq!(identity.instance_id, "cloud:c-1");
        assert_eq!(identity.kind, "ATLASSIAN_CONFLUENCE_CLOUD");
        assert_eq!(identity.name, "https://acme.atlassian.net");
    }

    #[test]
    fn data_center_identity_reads_the_manifest_sent_without_credentials() {
        let mut sent = Vec::new();
        let identity = identify(&settings(InstanceType::DataCenter, None), |request| {
            sent.push(request.clone());
            Ok(HttpResponse::new(200, r#"{"id":"8f2c-11","name":"Wiki"}"#))
        })
        .unwrap();
        assert_eq!(identity.instance_id, "data-center:8f2c-11");
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].url,
            "https://wiki.example.com/rest/applinks/1.0/manifest"
        );
        assert_eq!(sent[0].credentials, Credentials::None);
    }

    #[test]
    fn data_center_manifest_refused_with_401_is_an_unexpected_status() {
        let err = identify(&settings(InstanceType::DataCenter, None), |_| {
            Ok(HttpResponse::new(401, "login required"))
        })
        .unwrap_err();
        assert!(
            matches!(&err, SourceError::UnexpectedStatus((401, text)) if text.contains("login required")),
            "{err:?}"
        );
    }

    #[test]
    fn discovery_follows_next_links_and_reports_every_page() {
        let mut urls = Vec::new();
        let outcome = discover(settings(InstanceType::DataCenter, None), |request| {
            urls.push(request.url.clone());
            Ok(HttpResponse::new(
                200,
                if urls.len() == 1 {
                    list_json(
                        &[item_json("1", None)],
                        Some("/rest/api/content/search?cursor=two"),
                    )
                } else {
                    list_json(&[item_json("2", None)], None)
                },
            ))
        })
        .unwrap();
        assert_eq!(page_ids(&outcome), vec!["1", "2"]);
        assert_eq!(outcome.completeness, Completeness::Complete);
        assert_eq!(
            urls[1],
            "https://wiki.example.com/rest/api/content/search?cursor=two"
        );
    }

    #[test]
    fn discovery_with_a_failed_request_fails_instead_of_reporting_fewer_items() {
        let mut calls = 0;
        let err = discover(settings(InstanceType::DataCenter, None), |_| {
            calls += 1;
            if calls == 1 {
                Ok(HttpResponse::new(
                    200,
                    list_json(
                        &[item_json("1", None)],
                        Some("/rest/api/content/search?c=2"),
                    ),
                ))
            } else {
                Err(HttpError::Timeout)
            }
        })
        .unwrap_err();
        assert!(
            matches!(err, SourceError::Http(HttpError::Timeout)),
            "{err:?}"
        );
    }

    #[test]
    fn discovery_answer_without_links_is_malformed() {
        let err = discover(settings(InstanceType::DataCenter, None), |_| {
            Ok(HttpResponse::new(200, r#"{"results":[]}"#))
        })
        .unwrap_err();
        assert!(
            matches!(&err, SourceError::MalformedResponse(text) if text.contains("/rest/api/content/search")),
            "{err:?}"
        );
    }

    #[test]
    fn discovery_cut_by_max_items_is_truncated() {
        let outcome = discover(settings(InstanceType::DataCenter, Some(1)), |_| {
            Ok(HttpResponse::new(
                200,
                list_json(&[item_json("1", None), item_json("2", None)], None),
            ))
        })
        .unwrap();
        assert_eq!(page_ids(&outcome), vec!["1"]);
        assert_eq!(outcome.completeness, Completeness::Truncated);
    }

    #[test]
    fn page_fetch_answers_every_id_in_order_when_one_is_absent() {
        let mut rounds = Vec::new();
        let (pages, _) = fetch_pages(
            settings(InstanceType::DataCenter, None),
            vec!["2".into(), "1".into()],
            |requests| {
                rounds.push(requests.len());
                vec![Ok(HttpResponse::new(
                    200,
                    list_json(&[item_json("1", Some("<p>one</p>"))], None),
                ))]
            },
        )
        .unwrap();
        assert_eq!(rounds, vec![1], "one batched search for both ids");
        assert_eq!(pages[0].id, "2");
        assert!(matches!(pages[0].outcome, FetchOutcome::Missing(_)));
        assert_eq!(pages[1].id, "1");
        assert!(
            matches!(&pages[1].outcome, FetchOutcome::Found(content) if content.body == "<p>one</p>")
        );
    }

    #[test]
    fn image_downloads_of_a_page_go_to_the_host_in_one_concurrent_round() {
        let mut settings = settings(InstanceType::DataCenter, None);
        settings.policy.attachments = Some(AttachmentPolicy {
            allowed_mime_types: vec!["image/png".into()],
            max_file_size: 1024,
            inline_images: InlineImages::Enabled,
        });
        let image = |id: &str| {
            format!(
                r#"{{"id":"{id}","title":"{id}.png","extensions":{{"mediaType":"image/png","fileSize":3}},
                    "_links":{{"download":"/download/attachments/1/{id}.png"}}}}"#
            )
        };
        let page = item_json(
            "1",
            Some(r#"<ac:image><ri:attachment ri:filename=\"a.png\"/></ac:image>"#),
        )
        .replacen(
            r#""_links":{"webui""#,
            &format!(
                r#""children":{{"attachment":{{"results":[{},{}],"limit":25,"size":2,"_links":{{}}}}}},"_links":{{"webui""#,
                image("a"),
                image("b")
            ),
            1,
        );
        let mut rounds = Vec::new();
        let (pages, _) = fetch_pages(settings, vec!["1".into()], |requests| {
            rounds.push(requests.iter().map(|r| r.url.clone()).collect::<Vec<_>>());
            requests
                .iter()
                .map(|request| {
                    Ok(if request.url.contains("/download/") {
                        HttpResponse::new(200, "png")
                    } else {
                        HttpResponse::new(200, list_json(std::slice::from_ref(&page), None))
                    })
                })
                .collect()
        })
        .unwrap();
        assert_eq!(rounds.len(), 2, "{rounds:?}");
        assert_eq!(
            rounds[1],
            vec![
                "https://wiki.example.com/download/attachments/1/a.png".to_owned(),
                "https://wiki.example.com/download/attachments/1/b.png".to_owned(),
            ]
        );
        let FetchOutcome::Found(content) = &pages[0].outcome else {
            panic!("page 1 missing: {:?}", pages[0].outcome)
        };
        assert_eq!(content.body.matches("data:image/png;base64,").count(), 2);
    }

    #[test]
    fn failed_batch_is_retried_one_page_per_request_in_a_single_concurrent_round() {
        let mut rounds = Vec::new();
        let (pages, warnings) = fetch_pages(
            settings(InstanceType::DataCenter, None),
            vec!["1".into(), "2".into()],
            |requests| {
                rounds.push(requests.len());
                if rounds.len() == 1 {
                    return vec![Err(RequestFailed("timed out after retries".into()))];
                }
                requests
                    .iter()
                    .map(|request| {
                        let id = if request.url.contains("/content/1?") {
                            "1"
                        } else {
                            return Ok(HttpResponse::new(404, "no such page"));
                        };
                        Ok(HttpResponse::new(200, item_json(id, Some("<p>one</p>"))))
                    })
                    .collect()
            },
        )
        .unwrap();
        assert_eq!(rounds, vec![1, 2]);
        assert!(matches!(pages[0].outcome, FetchOutcome::Found(_)));
        assert!(
            matches!(&pages[1].outcome, FetchOutcome::Missing(reason) if reason.contains("404"))
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }
}
