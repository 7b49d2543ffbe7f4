//! Fetching page bodies for ingestion (sync-flow §7.1, `confluence-api.md` §4 "batched bodies"),
//! then inlining images (§7.2) when the tenant enables it. Sans-IO: the driver calls
//! [`PageFetch::next_requests`], sends them (concurrently if there are several), passes the
//! replies in the same order to [`PageFetch::on_replies`], and repeats until no request is
//! left; then [`PageFetch::finish`] gives one outcome per requested id, in request order.
//!
//! Bodies are fetched with `id in (...)` searches (Cloud 100 ids, DC 50 per request, following
//! `next` links). When a batch fails, its remaining ids are fetched one by one (C3/D3), so one
//! bad page never costs the others. Nothing here fails the whole call: a page that cannot be
//! fetched is reported missing with the reason.

mod inliner;

use std::collections::{BTreeMap, VecDeque};

use crate::answer::{malformed, successful_body};
use crate::config::Settings;
use crate::model::{ContentItem, Space, parse_content_list, parse_content_object};
use crate::notice::Notice;
use crate::request::{HttpGet, Reply};
use crate::selection::metadata_labels;
use crate::urls::Api;
use inliner::PageInliner;

pub use crate::inline::MAX_PARALLEL_IMAGE_DOWNLOADS;

/// Ids per batched body search on Cloud.
pub const CLOUD_BODY_BATCH: usize = 100;

/// Ids per batched body search on Data Center, which caps results with expanded bodies
/// (**Assume:** at 50).
pub const DATA_CENTER_BODY_BATCH: usize = 50;

/// A misuse of the state machine by the driver.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContentError {
    #[error("page fetch expected {expected} replies, got {got}")]
    /// `on_replies` got a different number of replies than requests were handed out.
    ReplyCount {
        /// Requests handed out.
        expected: usize,
        /// Replies received.
        got: usize,
    },
}

/// A fetched page, ready for ingestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageContent {
    /// Page id.
    pub id: String,
    /// Page title.
    pub title: String,
    /// The page's space.
    pub space: Space,
    /// Labels without the ingest labels, sorted.
    pub labels: Vec<String>,
    /// Web URL.
    pub url: String,
    /// Storage-format XHTML after inlining; empty for folders and empty pages.
    pub body: String,
}

/// Outcome for one requested id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The page and its final body.
    Found(PageContent),
    /// Gone or unreadable; the text says why.
    Missing(String),
}

/// Outcome for one requested id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedPage {
    /// The requested id.
    pub id: String,
    /// What became of it.
    pub outcome: FetchOutcome,
}

/// One batch search being paginated.
struct Batch {
    ids: Vec<String>,
    found: Vec<ContentItem>,
    next: Option<HttpGet>,
}

enum Stage {
    Batches {
        queue: VecDeque<Vec<String>>,
        current: Option<Batch>,
    },
    Singles(Vec<String>),
    Inlining {
        queue: VecDeque<String>,
        current: Option<(String, Box<PageInliner>)>,
    },
    Done,
}

/// Fetching the bodies of a list of pages.
pub struct PageFetch {
    settings: Settings,
    api: Api,
    requested: Vec<String>,
    fetched: BTreeMap<String, Result<ContentItem, String>>,
    /// Final bodies after inlining, by id.
    bodies: BTreeMap<String, String>,
    /// Batches left after the singles of a failed batch.
    remaining_batches: VecDeque<Vec<String>>,
    stage: Stage,
    in_flight: Vec<HttpGet>,
    warnings: Vec<Notice>,
}

impl PageFetch {
    /// A fetch of `ids` (duplicates are fetched once and answered for each occurrence).
    pub fn new(settings: Settings, ids: Vec<String>) -> Self {
        let api = Api::new(&settings);
        let batch_size = if api.is_cloud() {
            CLOUD_BODY_BATCH
        } else {
            DATA_CENTER_BODY_BATCH
        };
        let mut seen = std::collections::HashSet::new();
        let ordered: Vec<String> = ids.iter().filter(|id| seen.insert(*id)).cloned().collect();
        let queue = ordered.chunks(batch_size).map(<[String]>::to_vec).collect();
        Self {
            settings,
            api,
            requested: ids,
            fetched: BTreeMap::new(),
            bodies: BTreeMap::new(),
            remaining_batches: VecDeque::new(),
            stage: Stage::Batches {
                queue,
                current: None,
            },
            in_flight: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn with_attachments(&self) -> bool {
        self.settings.inlines_images()
    }

    /// The requests to send now, or an empty list when the fetch is complete. Calling it again
    /// before [`Self::on_replies`] returns the same requests.
    pub fn next_requests(&mut self) -> Vec<HttpGet> {
        if self.in_flight.is_empty() {
            self.in_flight = self.advance();
        }
        self.in_flight.clone()
    }

    fn advance(&mut self) -> Vec<HttpGet> {
        loop {
            let stage = std::mem::replace(&mut self.stage, Stage::Done);
            let (stage, requests) = self.step(stage);
            self.stage = stage;
            if let Some(requests) = requests {
                return requests;
            }
        }
    }

    fn step(&mut self, stage: Stage) -> (Stage, Option<Vec<HttpGet>>) {
        match stage {
            Stage::Batches {
                queue,
                current: Some(batch),
            } => match &batch.next {
                Some(request) => {
                    let requests = vec![request.clone()];
                    let current = Some(batch);
                    (Stage::Batches { queue, current }, Some(requests))
                }
                None => {
                    self.record_batch(batch);
                    (
                        Stage::Batches {
                            queue,
                            current: None,
                        },
                        None,
                    )
                }
            },
            Stage::Batches {
                mut queue,
                current: None,
            } => match queue.pop_front() {
                Some(ids) => {
                    let request = self.api.body_batch(&ids, self.with_attachments());
                    let batch = Batch {
                        ids,
                        found: Vec::new(),
                        next: Some(request),
                    };
                    let current = Some(batch);
                    (Stage::Batches { queue, current }, None)
                }
                None => (self.inlining_stage(), None),
            },
            Stage::Singles(ids) if ids.is_empty() => {
                let queue = std::mem::take(&mut self.remaining_batches);
                let current = None;
                (Stage::Batches { queue, current }, None)
            }
            Stage::Singles(ids) => {
                let requests = ids
                    .iter()
                    .map(|id| self.api.body_single(id, self.with_attachments()))
                    .collect();
                (Stage::Singles(ids), Some(requests))
            }
            Stage::Inlining {
                queue,
                current: Some((id, mut inliner)),
            } => {
                let requests = inliner.next_requests(&self.api);
                if requests.is_empty() {
                    let (body, warnings) = inliner.finish();
                    self.warnings.extend(warnings);
                    self.bodies.insert(id, body);
                    (
                        Stage::Inlining {
                            queue,
                            current: None,
                        },
                        None,
                    )
                } else {
                    let current = Some((id, inliner));
                    (Stage::Inlining { queue, current }, Some(requests))
                }
            }
            Stage::Inlining {
                mut queue,
                current: None,
            } => {
                let current = queue.pop_front().and_then(|id| self.start_inliner(id));
                if current.is_none() && queue.is_empty() {
                    return (Stage::Done, None);
                }
                (Stage::Inlining { queue, current }, None)
            }
            Stage::Done => (Stage::Done, Some(Vec::new())),
        }
    }

    /// Records a finished batch: ids absent from its answers are missing.
    fn record_batch(&mut self, batch: Batch) {
        let mut by_id: BTreeMap<String, ContentItem> = BTreeMap::new();
        for item in batch.found {
            by_id.entry(item.id.clone()).or_insert(item);
        }
        for id in batch.ids {
            let outcome = by_id
                .remove(&id)
                .ok_or_else(|| "not in the search answer (deleted or not readable)".to_owned());
            self.fetched.insert(id, outcome);
        }
    }

    fn inlining_stage(&mut self) -> Stage {
        if !self.with_attachments() {
            return Stage::Done;
        }
        let queue = self
            .fetched
            .iter()
            .filter(|(_, item)| {
                item.as_ref()
                    .is_ok_and(|i| i.body.as_deref().is_some_and(|b| !b.is_empty()))
            })
            .map(|(id, _)| id.clone())
            .collect();
        Stage::Inlining {
            queue,
            current: None,
        }
    }

    fn start_inliner(&self, id: String) -> Option<(String, Box<PageInliner>)> {
        let policy = self.settings.policy.attachments.as_ref()?;
        let item = self.fetched.get(&id)?.as_ref().ok()?;
        let body = item.body.clone()?;
        Some((
            id,
            Box::new(PageInliner::new(item, body, policy, &self.api)),
        ))
    }

    /// Takes the replies to the last [`Self::next_requests`], in the same order.
    pub fn on_replies(&mut self, replies: Vec<Reply>) -> Result<(), ContentError> {
        if replies.len() != self.in_flight.len() {
            return Err(ContentError::ReplyCount {
                expected: self.in_flight.len(),
                got: replies.len(),
            });
        }
        let requests = std::mem::take(&mut self.in_flight);
        let stage = std::mem::replace(&mut self.stage, Stage::Done);
        self.stage = match stage {
            Stage::Batches {
                queue,
                current: Some(mut batch),
            } => {
                let request = &requests[0];
                let page = replies
                    .into_iter()
                    .next()
                    .ok_or_else(|| "no reply".to_owned())
                    .and_then(|reply| reply.map_err(|e| e.to_string()))
                    .and_then(|response| {
                        let body =
                            successful_body(request, &response).map_err(|e| e.to_string())?;
                        parse_content_list(body, &self.api)
                            .map_err(|e| malformed(request, e).to_string())
                    });
                match page {
                    Ok(page) => {
                        self.warnings.extend(page.warnings);
                        batch.found.extend(page.items);
                        batch.next = page.next.map(|url| HttpGet::json(url, request.endpoint));
                        Stage::Batches {
                            queue,
                            current: Some(batch),
                        }
                    }
                    Err(reason) => {
                        self.warnings.push(
                            Notice::new("batched page fetch failed; fetching its pages one by one")
                                .plain("pages", batch.ids.len())
                                .identifying("error", reason),
                        );
                        let found: Vec<String> = batch.found.iter().map(|i| i.id.clone()).collect();
                        let singles = batch
                            .ids
                            .iter()
                            .filter(|id| !found.contains(id))
                            .cloned()
                            .collect();
                        batch.ids.retain(|id| found.contains(id));
                        self.record_batch(batch);
                        self.remaining_batches = queue;
                        Stage::Singles(singles)
                    }
                }
            }
            Stage::Singles(ids) => {
                for ((id, request), reply) in ids.into_iter().zip(&requests).zip(replies) {
                    let outcome = self.single_outcome(&id, request, reply);
                    self.fetched.insert(id, outcome);
                }
                Stage::Batches {
                    queue: std::mem::take(&mut self.remaining_batches),
                    current: None,
                }
            }
            Stage::Inlining {
                queue,
                current: Some((id, mut inliner)),
            } => {
                // The inliner keeps its own copy of the requests it handed out.
                inliner.on_replies(replies, &self.api);
                Stage::Inlining {
                    queue,
                    current: Some((id, inliner)),
                }
            }
            other => other,
        };
        Ok(())
    }

    /// The outcome of a C3/D3 request.
    fn single_outcome(
        &self,
        id: &str,
        request: &HttpGet,
        reply: Reply,
    ) -> Result<ContentItem, String> {
        let response = reply.map_err(|e| format!("fetch failed (possibly deleted): {e}"))?;
        let body = successful_body(request, &response)
            .map_err(|e| format!("fetch failed (possibly deleted): {e}"))?;
        let item = if self.api.is_cloud() {
            parse_content_list(body, &self.api)
                .map_err(|e| malformed(request, e).to_string())?
                .items
                .into_iter()
                .next()
                .ok_or_else(|| "not found (empty search result)".to_owned())?
        } else {
            parse_content_object(body, &self.api).map_err(|e| malformed(request, e).to_string())?
        };
        if item.id != id {
            return Err(format!("the answer is page {}, not {id}", item.id));
        }
        Ok(item)
    }

    /// Lines for the plugin to log (fallbacks, skipped results, images left as they were).
    pub fn warnings(&self) -> &[Notice] {
        &self.warnings
    }

    /// One outcome per requested id, in request order. Ids never answered (the driver stopped
    /// early) are missing.
    pub fn finish(mut self) -> (Vec<FetchedPage>, Vec<Notice>) {
        let pages = self
            .requested
            .iter()
            .map(|id| {
                let outcome = match self.fetched.get(id) {
                    Some(Ok(item)) => {
                        let body = self
                            .bodies
                            .get(id)
                            .cloned()
                            .or_else(|| item.body.clone())
                            .unwrap_or_default();
                        FetchOutcome::Found(PageContent {
                            id: item.id.clone(),
                            title: item.title.clone(),
                            space: item.space.clone(),
                            labels: metadata_labels(&item.labels, &self.settings),
                            url: self.api.page_web_url(&item.id, &item.webui),
                            body,
                        })
                    }
                    Some(Err(reason)) => FetchOutcome::Missing(reason.clone()),
                    None => FetchOutcome::Missing("not fetched".to_owned()),
                };
                FetchedPage {
                    id: id.clone(),
                    outcome,
                }
            })
            .collect();
        (pages, std::mem::take(&mut self.warnings))
    }
}

#[cfg(test)]
mod tests;
