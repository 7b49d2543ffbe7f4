//! A test plugin that breaks one rule of the source contract, chosen by the tenant config's
//! `fault`, so the conformance check's tests can show each rule is caught. With `fault = "none"`
//! it keeps the contract: three pages in one container, one attachment after the first page.

// The native build (`cargo test --workspace`) compiles the plugin without exporting it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hint::black_box;

use connector_plugin_sdk::http::Request;
use connector_plugin_sdk::source::{
    Attachment, Batch, Capabilities, Completeness, Discovery, Download, FetchOutcome, FetchedPage,
    Guest, GuestDiscovery, GuestSession, Item, Page, PageContent, PluginInfo, Session,
    SessionSettings, SourceError, SourceIdentity,
};
use connector_plugin_sdk::{Container, log};
use serde::Deserialize;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct BrokenConfig {
    base_url: String,
    fault: String,
}

struct BrokenSource;

impl Guest for BrokenSource {
    type Session = BrokenSession;
    type Discovery = BrokenDiscovery;

    fn describe() -> PluginInfo {
        PluginInfo {
            id: "broken-source".into(),
            version: "0.1.0".into(),
            description: "Breaks one rule of the source contract on request (test fixture)".into(),
            capabilities: Capabilities::ATTACHMENTS,
            config_schema: None,
        }
    }
}

struct BrokenSession {
    config: BrokenConfig,
}

impl BrokenSession {
    fn fault(&self) -> &str {
        &self.config.fault
    }
}

impl GuestSession for BrokenSession {
    fn open(settings: SessionSettings) -> Result<Session, SourceError> {
        let config: BrokenConfig = serde_json::from_str(&settings.config)
            .map_err(|err| SourceError::InvalidConfig(format!("config: {err}")))?;
        Ok(Session::new(BrokenSession { config }))
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        let instance_id = if self.fault() == "empty-instance-id" {
            String::new()
        } else {
            "broken:1".into()
        };
        Ok(SourceIdentity {
            instance_id,
            kind: "BROKEN".into(),
            name: self.config.base_url.clone(),
        })
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        match self.fault() {
            "spin" => spin(),
            "allocate" => allocate_until_refused(),
            "outside-origin" => {
                // The host refuses this; a sloppy plugin ignores the error and goes on.
                let refused = Request::get("http://127.0.0.2:9/elsewhere").send();
                log::warn(
                    "request outside the origins",
                    &[log::plain("refused", refused.is_err())],
                );
            }
            _ => {}
        }
        Ok(Discovery::new(BrokenDiscovery {
            fault: self.fault().to_owned(),
            pending: RefCell::new(items(self.fault(), &self.config.base_url)),
            batches: RefCell::new(0),
        }))
    }

    fn fetch_pages(&self, ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        let mut answers: Vec<FetchedPage> = ids
            .iter()
            .map(|id| FetchedPage {
                id: id.clone(),
                outcome: FetchOutcome::Found(content(id, &self.config.base_url)),
            })
            .collect();
        match self.fault() {
            "fetch-reordered" => answers.reverse(),
            "fetch-short" => {
                answers.pop();
            }
            "fetch-wrong-content" => {
                if let Some(FetchedPage {
                    outcome: FetchOutcome::Found(content),
                    ..
                }) = answers.first_mut()
                {
                    content.id = "someone-else".into();
                }
            }
            _ => {}
        }
        Ok(answers)
    }
}

/// The items of a discovery: sound ones, with the fault's rule broken.
fn items(fault: &str, base_url: &str) -> VecDeque<Item> {
    let mut pages: Vec<Page> = ["doc-1", "doc-2", "doc-3"]
        .iter()
        .map(|id| page(id, base_url))
        .collect();
    match fault {
        "empty-title" => pages[1].title.clear(),
        "empty-container-key" => pages[1].container.key.clear(),
        "slash-id" => pages[1].id = "doc/2".into(),
        "colon-id" => pages[1].id = "doc::2".into(),
        "duplicate-id" => pages[2].id = "doc-1".into(),
        _ => {}
    }
    let attachment = Item::Attachment(attachment("att-1", "doc-1", base_url));
    let mut items: VecDeque<Item> = pages.into_iter().map(Item::Page).collect();
    if fault == "attachment-first" {
        items.push_front(attachment);
    } else {
        items.insert(1, attachment);
    }
    items
}

fn page(id: &str, base_url: &str) -> Page {
    Page {
        id: id.into(),
        kind: "page".into(),
        title: format!("Title of {id}"),
        container: container(),
        labels: vec!["ai-ingest".into()],
        updated_at: "2026-01-01T00:00:00Z".into(),
        url: format!("{base_url}/pages/{id}"),
    }
}

fn container() -> Container {
    Container {
        id: "10".into(),
        key: "ENG".into(),
        name: "Engineering".into(),
    }
}

fn attachment(id: &str, page_id: &str, base_url: &str) -> Attachment {
    let url = format!("{base_url}/files/{id}");
    Attachment {
        id: id.into(),
        page_id: page_id.into(),
        title: "notes.txt".into(),
        media_type: "text/plain".into(),
        size: 5,
        updated_at: "2026-01-01T00:00:00Z".into(),
        url: url.clone(),
        download: Download {
            url,
            headers: Vec::new(),
        },
    }
}

fn content(id: &str, base_url: &str) -> PageContent {
    PageContent {
        id: id.into(),
        title: format!("Title of {id}"),
        container: container(),
        labels: vec!["ai-ingest".into()],
        url: format!("{base_url}/pages/{id}"),
        mime_type: "text/html".into(),
        body: format!("<p>{id}</p>"),
    }
}

struct BrokenDiscovery {
    fault: String,
    pending: RefCell<VecDeque<Item>>,
    batches: RefCell<u32>,
}

impl GuestDiscovery for BrokenDiscovery {
    fn next_batch(&self, max: u32) -> Result<Batch, SourceError> {
        *self.batches.borrow_mut() += 1;
        let mut pending = self.pending.borrow_mut();
        if self.fault == "endless" {
            let n = *self.batches.borrow();
            return Ok(Batch::Items(vec![Item::Page(page(
                &format!("doc-{n}"),
                "http://endless",
            ))]));
        }
        if pending.is_empty() {
            return Ok(Batch::Done(Completeness::Complete));
        }
        let take = match self.fault.as_str() {
            "oversized-batch" => max as usize + 1,
            "empty-batch" if *self.batches.borrow() == 2 => 0,
            "batch-dependent" if max > 1 => 1,
            _ => max as usize,
        };
        let take = take.min(pending.len());
        let batch = pending.drain(..take).collect();
        if self.fault == "batch-dependent" && max > 1 {
            // Drops the rest when asked for large batches: the item set depends on the size.
            pending.clear();
        }
        Ok(Batch::Items(batch))
    }
}

/// Burns CPU until the host interrupts it.
fn spin() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates 4 MiB blocks until the host's memory cap refuses growth.
fn allocate_until_refused() {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        blocks.push(black_box(vec![1u8; 4 * 1024 * 1024]));
    }
}

// Exported only in the Wasm build: a native build cannot carry the export names, which contain `:`.
#[cfg(target_arch = "wasm32")]
connector_plugin_sdk::export!(BrokenSource);
