//! A small, well-behaved source for the host's tests: lists documents from
//! `GET {baseUrl}/documents` and fetches each body from `GET {baseUrl}/documents/{id}`.

use std::cell::RefCell;
use std::collections::VecDeque;

use connector_plugin_sdk::http::Request;
use connector_plugin_sdk::source::{
    Batch, Capabilities, Completeness, Discovery, FetchOutcome, FetchedPage, Guest, GuestDiscovery,
    GuestSession, Item, Page, PageContent, PluginInfo, Session, SessionSettings, SourceError,
    SourceIdentity,
};
use connector_plugin_sdk::{Container, log};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StaticConfig {
    base_url: String,
}

#[derive(Deserialize)]
struct Listing {
    documents: Vec<Document>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    id: String,
    title: String,
    space: Space,
    #[serde(default)]
    labels: Vec<String>,
    updated_at: String,
}

#[derive(Deserialize)]
struct Space {
    id: String,
    key: String,
    name: String,
}

#[derive(Deserialize)]
struct Body {
    body: String,
}

struct StaticSource;

impl Guest for StaticSource {
    type Session = StaticSession;
    type Discovery = StaticDiscovery;

    fn describe() -> PluginInfo {
        PluginInfo {
            id: "static-source".into(),
            version: "0.1.0".into(),
            description: "Documents from a JSON listing (test fixture)".into(),
            capabilities: Capabilities::empty(),
            config_schema: Some(
                r#"{"type":"object","required":["baseUrl"],"properties":{"baseUrl":{"type":"string"}}}"#
                    .into(),
            ),
        }
    }
}

struct StaticSession {
    base_url: String,
}

impl StaticSession {
    fn document_url(&self, id: &str) -> String {
        format!("{}/documents/{id}", self.base_url)
    }
}

impl GuestSession for StaticSession {
    fn open(settings: SessionSettings) -> Result<Session, SourceError> {
        let config: StaticConfig = serde_json::from_str(&settings.config)
            .map_err(|err| SourceError::InvalidConfig(format!("baseUrl: {err}")))?;
        Ok(Session::new(StaticSession {
            base_url: config.base_url,
        }))
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        Ok(SourceIdentity {
            instance_id: format!("static:{}", self.base_url),
            kind: "STATIC".into(),
            name: self.base_url.clone(),
        })
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        let response = Request::get(format!("{}/documents", self.base_url))
            .endpoint("/documents")
            .send()
            .map_err(SourceError::Http)?;
        if !response.is_success() {
            return Err(SourceError::UnexpectedStatus((
                response.status,
                "GET /documents".into(),
            )));
        }
        let listing: Listing = response
            .json()
            .map_err(|err| SourceError::MalformedResponse(format!("/documents: {err}")))?;
        log::info(
            "listed documents",
            &[log::plain("count", listing.documents.len())],
        );
        let pending = listing
            .documents
            .into_iter()
            .map(|doc| Item::Page(page_of(doc, &self.base_url)));
        Ok(Discovery::new(StaticDiscovery {
            pending: RefCell::new(pending.collect()),
        }))
    }

    fn fetch_pages(&self, ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        let requests: Vec<Request> = ids
            .iter()
            .map(|id| Request::get(self.document_url(id)).endpoint("/documents/{id}"))
            .collect();
        let responses = connector_plugin_sdk::http::send_all(&requests);
        ids.into_iter()
            .zip(responses)
            .map(|(id, response)| {
                let response = response.map_err(SourceError::Http)?;
                let outcome = if response.status == 404 {
                    FetchOutcome::Missing("not found".into())
                } else {
                    let body: Body = response.json().map_err(|err| {
                        SourceError::MalformedResponse(format!("document {id}: {err}"))
                    })?;
                    FetchOutcome::Found(PageContent {
                        id: id.clone(),
                        title: String::new(),
                        container: Container {
                            id: String::new(),
                            key: String::new(),
                            name: String::new(),
                        },
                        labels: Vec::new(),
                        url: self.document_url(&id),
                        mime_type: "text/html".into(),
                        body: body.body,
                    })
                };
                Ok(FetchedPage { id, outcome })
            })
            .collect()
    }
}

fn page_of(doc: Document, base_url: &str) -> Page {
    Page {
        url: format!("{base_url}/documents/{}", doc.id),
        id: doc.id,
        kind: "document".into(),
        title: doc.title,
        container: Container {
            id: doc.space.id,
            key: doc.space.key,
            name: doc.space.name,
        },
        labels: doc.labels,
        updated_at: doc.updated_at,
    }
}

struct StaticDiscovery {
    pending: RefCell<VecDeque<Item>>,
}

impl GuestDiscovery for StaticDiscovery {
    fn next_batch(&self, max: u32) -> Result<Batch, SourceError> {
        let mut pending = self.pending.borrow_mut();
        if pending.is_empty() {
            return Ok(Batch::Done(Completeness::Complete));
        }
        let take = (max as usize).min(pending.len()).max(1);
        Ok(Batch::Items(pending.drain(..take).collect()))
    }
}

connector_plugin_sdk::export!(StaticSource);
