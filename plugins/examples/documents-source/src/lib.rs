//! Example third-party source plugin: syncs labelled documents from a simple JSON document API
//! (served by the simulators too, see `sim/README.md`). Written with the SDK and
//! `docs/plugins.md` only; nothing here is Confluence-specific.
//!
//! Discovery walks `GET /api/documents?label=L&cursor=C&limit=N` label by label, one API page
//! at a time as the host asks for batches, and reports each document once (a document with two
//! selected labels is listed twice by the API). Page bodies come from `GET /api/documents/{id}`.

// The native build (for `cargo test`) compiles the plugin without exporting it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod config;
pub mod listing;

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};

use connector_plugin_sdk::http::{Request, encode_component, send_all};
use connector_plugin_sdk::log;
use connector_plugin_sdk::pagination::CursorState;
use connector_plugin_sdk::source::{
    AttachmentPolicy, Batch, Capabilities, Completeness, Discovery, FetchOutcome, FetchedPage,
    Guest, GuestDiscovery, GuestSession, Item, PluginInfo, Session, SessionSettings, SourceError,
    SourceIdentity,
};

use config::{CONFIG_SCHEMA, DocumentsConfig};
use listing::{Document, Listing, content_of, items_of, unusable};

/// The plugin's id and version; they must equal `plugin.toml`.
const ID: &str = "documents-source";
const VERSION: &str = "0.1.0";

struct DocumentsSource;

impl Guest for DocumentsSource {
    type Session = DocumentsSession;
    type Discovery = DocumentsDiscovery;

    fn describe() -> PluginInfo {
        PluginInfo {
            id: ID.into(),
            version: VERSION.into(),
            description: "Labelled documents from a JSON document API (example third-party plugin)"
                .into(),
            capabilities: Capabilities::ATTACHMENTS,
            config_schema: Some(CONFIG_SCHEMA.into()),
        }
    }
}

struct DocumentsSession {
    config: DocumentsConfig,
    attachments: Option<AttachmentPolicy>,
    max_items: Option<u32>,
}

impl GuestSession for DocumentsSession {
    fn open(settings: SessionSettings) -> Result<Session, SourceError> {
        let config =
            DocumentsConfig::parse(&settings.config).map_err(SourceError::InvalidConfig)?;
        Ok(Session::new(DocumentsSession {
            config,
            attachments: settings.attachments,
            max_items: settings.max_items,
        }))
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        Ok(SourceIdentity {
            instance_id: format!("documents:{}", self.config.base_url),
            kind: "DOCUMENT_STORE".into(),
            name: self.config.base_url.clone(),
        })
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        Ok(Discovery::new(DocumentsDiscovery::new(
            self.config.clone(),
            self.attachments.clone(),
            self.max_items,
        )))
    }

    fn fetch_pages(&self, ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        let requests: Vec<Request> = ids
            .iter()
            .map(|id| {
                Request::get(format!(
                    "{}/api/documents/{}",
                    self.config.base_url,
                    encode_component(id)
                ))
                .endpoint("/api/documents/{id}")
            })
            .collect();
        ids.into_iter()
            .zip(send_all(&requests))
            .zip(&requests)
            .map(|((id, response), request)| {
                let response = response.map_err(SourceError::Http)?;
                let outcome = if response.status == 404 {
                    FetchOutcome::Missing("the document API answered 404".into())
                } else {
                    FetchOutcome::Found(content_of(
                        response.json_or_error::<Document>(&request.url)?,
                    ))
                };
                Ok(FetchedPage { id, outcome })
            })
            .collect()
    }
}

/// Where the discovery stands: labels still to list, the cursor within the current one, and
/// items fetched but not yet handed to the host.
struct Walk {
    labels: VecDeque<String>,
    cursor: CursorState,
    pending: VecDeque<Item>,
    seen: HashSet<String>,
    /// `max-items` left, when the session set one.
    items_left: Option<usize>,
}

struct DocumentsDiscovery {
    config: DocumentsConfig,
    attachments: Option<AttachmentPolicy>,
    walk: RefCell<Walk>,
}

impl DocumentsDiscovery {
    fn new(
        config: DocumentsConfig,
        attachments: Option<AttachmentPolicy>,
        max_items: Option<u32>,
    ) -> Self {
        let walk = Walk {
            labels: config.labels.iter().cloned().collect(),
            cursor: CursorState::Start,
            pending: VecDeque::new(),
            seen: HashSet::new(),
            items_left: max_items.map(|max| max as usize),
        };
        Self {
            config,
            attachments,
            walk: RefCell::new(walk),
        }
    }

    /// Fetches the next API page of the current label and queues its new documents.
    fn fetch_next_page(&self, walk: &mut Walk) -> Result<(), SourceError> {
        let Some(label) = walk.labels.front().cloned() else {
            return Ok(());
        };
        let Some(cursor) = walk.cursor.next_request() else {
            walk.labels.pop_front();
            walk.cursor = CursorState::Start;
            return Ok(());
        };
        let mut request = Request::get(format!("{}/api/documents", self.config.base_url))
            .endpoint("/api/documents")
            .query("label", &label)
            .query("limit", self.config.page_size.to_string());
        if let Some(cursor) = cursor {
            request = request.query("cursor", cursor);
        }
        let listing: Listing = request.fetch_json()?;
        for document in &listing.results {
            if let Some(why) = unusable(document) {
                log::warn(
                    "document skipped",
                    &[
                        log::identifying("document", &document.id),
                        log::plain("reason", why),
                    ],
                );
                continue;
            }
            if walk.seen.insert(document.id.clone()) {
                walk.pending
                    .extend(items_of(document, self.attachments.as_ref()));
            }
        }
        walk.cursor.advance(listing.next_cursor);
        Ok(())
    }
}

impl GuestDiscovery for DocumentsDiscovery {
    fn next_batch(&self, max: u32) -> Result<Batch, SourceError> {
        let mut walk = self.walk.borrow_mut();
        let wanted = walk
            .items_left
            .map_or(max as usize, |left| left.min(max as usize));
        while walk.pending.len() < wanted && !walk.labels.is_empty() {
            self.fetch_next_page(&mut walk)?;
        }
        if wanted == 0 && walk.items_left == Some(0) {
            let more = !walk.pending.is_empty() || !walk.labels.is_empty();
            return Ok(Batch::Done(if more {
                Completeness::Truncated
            } else {
                Completeness::Complete
            }));
        }
        if walk.pending.is_empty() {
            return Ok(Batch::Done(Completeness::Complete));
        }
        let take = wanted.min(walk.pending.len());
        if let Some(left) = walk.items_left.as_mut() {
            *left -= take;
        }
        Ok(Batch::Items(walk.pending.drain(..take).collect()))
    }
}

// Exported only in the Wasm build: a native build (for `cargo test`) cannot carry the
// component's export names, which contain `:`.
#[cfg(target_arch = "wasm32")]
connector_plugin_sdk::export!(DocumentsSource);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use std::cell::RefCell;
    use std::rc::Rc;

    use connector_plugin_sdk::http::Response;
    use connector_plugin_sdk::native::install_transport;
    use serde_json::json;

    use super::*;

    fn document(id: &str, labels: &[&str]) -> serde_json::Value {
        json!({"id": id, "title": format!("Title {id}"), "collection": {"id": "c1", "key": "OPS", "name": "Ops"},
               "labels": labels, "updatedAt": "2026-01-01T00:00:00Z", "url": format!("http://docs.test/docs/{id}")})
    }

    /// Serves label `a` as two pages (doc-1, doc-2 | doc-3) and label `b` as one (doc-2, doc-4);
    /// returns the URLs requested.
    fn serve_listing() -> Rc<RefCell<Vec<String>>> {
        let requested = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&requested);
        install_transport(move |request| {
            log.borrow_mut().push(request.url.clone());
            let body = match request.url.split_once('?').map(|(_, query)| query) {
                Some("label=a&limit=2") => {
                    json!({"results": [document("doc-1", &["a"]), document("doc-2", &["a", "b"])], "nextCursor": "doc-2"})
                }
                Some("label=a&limit=2&cursor=doc-2") => {
                    json!({"results": [document("doc-3", &["a"])], "nextCursor": null})
                }
                Some("label=b&limit=2") => {
                    json!({"results": [document("doc-2", &["a", "b"]), document("doc-4", &["b"])], "nextCursor": null})
                }
                other => panic!("unexpected request {other:?}"),
            };
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
            })
        });
        requested
    }

    fn config() -> DocumentsConfig {
        DocumentsConfig::parse(
            r#"{"baseUrl": "http://docs.test", "labels": ["a", "b"], "pageSize": 2}"#,
        )
        .unwrap()
    }

    fn page_ids(batch: Batch) -> Vec<String> {
        match batch {
            Batch::Items(items) => items
                .into_iter()
                .map(|item| match item {
                    Item::Page(page) => page.id,
                    Item::Attachment(file) => file.id,
                })
                .collect(),
            Batch::Done(completeness) => vec![format!("done {completeness:?}")],
        }
    }

    #[test]
    fn discovery_fetches_one_api_page_at_a_time_and_reports_each_document_once() {
        let requested = serve_listing();
        let discovery = DocumentsDiscovery::new(config(), None, None);
        assert_eq!(
            page_ids(discovery.next_batch(2).unwrap()),
            vec!["doc-1", "doc-2"]
        );
        assert_eq!(
            requested.borrow().len(),
            1,
            "the first batch needs only the first API page"
        );
        assert_eq!(
            page_ids(discovery.next_batch(2).unwrap()),
            vec!["doc-3", "doc-4"]
        );
        assert_eq!(
            page_ids(discovery.next_batch(2).unwrap()),
            vec!["done Completeness::Complete"]
        );
        assert_eq!(requested.borrow().len(), 3);
    }

    #[test]
    fn max_items_stops_discovery_as_truncated() {
        serve_listing();
        let discovery = DocumentsDiscovery::new(config(), None, Some(3));
        assert_eq!(
            page_ids(discovery.next_batch(10).unwrap()),
            vec!["doc-1", "doc-2", "doc-3"]
        );
        assert_eq!(
            page_ids(discovery.next_batch(10).unwrap()),
            vec!["done Completeness::Truncated"]
        );
    }

    #[test]
    fn a_failed_listing_request_fails_the_batch_instead_of_ending_discovery() {
        install_transport(|_| {
            Ok(Response {
                status: 503,
                headers: Vec::new(),
                body: b"busy".to_vec(),
            })
        });
        let discovery = DocumentsDiscovery::new(config(), None, None);
        let err = discovery.next_batch(5).unwrap_err();
        assert!(
            matches!(&err, SourceError::UnexpectedStatus((503, text)) if text == "GET http://docs.test/api/documents: busy"),
            "{err:?}"
        );
    }
}
