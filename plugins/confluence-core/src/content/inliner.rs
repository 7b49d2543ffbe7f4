//! Image inlining of one fetched page as a sans-IO state machine: complete the page's own
//! attachment list, look up other pages (C4/D4, with their full lists), download the images in
//! batches of [`MAX_PARALLEL_IMAGE_DOWNLOADS`], then rewrite the body. A failure of the page's
//! own list falls back to the original body; a failed lookup or download only leaves that image.

use std::collections::{BTreeMap, VecDeque};

use crate::answer::{malformed, successful_body};
use crate::attachment_list::FullAttachmentList;
use crate::config::AttachmentPolicy;
use crate::inline::{
    ImageDownload, InlinePlan, MAX_PARALLEL_IMAGE_DOWNLOADS, PageRef, ResolvedPlan,
};
use crate::model::{Attachment, ContentItem, parse_content_list};
use crate::notice::Notice;
use crate::request::{HttpGet, Reply};
use crate::urls::Api;

enum Stage {
    OwnList(FullAttachmentList),
    Lookups {
        plan: InlinePlan,
        refs: Vec<PageRef>,
    },
    LookupLists {
        plan: InlinePlan,
        found: BTreeMap<PageRef, Vec<Attachment>>,
        pending: Vec<(PageRef, FullAttachmentList)>,
    },
    Downloads {
        resolved: ResolvedPlan,
        queue: VecDeque<ImageDownload>,
        images: BTreeMap<String, Vec<u8>>,
    },
    Done(String),
}

/// Inlining of one page.
pub struct PageInliner {
    page_id: String,
    original: String,
    space_key: String,
    policy: AttachmentPolicy,
    stage: Stage,
    /// Requests handed out and not yet answered, in order.
    in_flight: Vec<HttpGet>,
    warnings: Vec<Notice>,
}

impl PageInliner {
    /// Starts inlining `item` (fetched with its attachments) whose body is `body`.
    pub fn new(item: &ContentItem, body: String, policy: &AttachmentPolicy, api: &Api) -> Self {
        let own: Vec<Attachment> = item
            .attachments
            .as_ref()
            .map(|a| a.results.clone())
            .unwrap_or_default();
        let mut inliner = Self {
            page_id: item.id.clone(),
            original: body,
            space_key: item.space.key.clone(),
            policy: policy.clone(),
            stage: Stage::Done(String::new()),
            in_flight: Vec::new(),
            warnings: Vec::new(),
        };
        inliner.stage = match FullAttachmentList::start(item, api) {
            Some(list) => Stage::OwnList(list),
            None => inliner.planned(own),
        };
        inliner
    }

    fn planned(&self, own: Vec<Attachment>) -> Stage {
        let plan = InlinePlan::new(self.original.clone(), own, &self.space_key, &self.policy);
        let refs = plan.lookups();
        Stage::Lookups { plan, refs }
    }

    /// The requests to send now (empty when inlining is done).
    pub fn next_requests(&mut self, api: &Api) -> Vec<HttpGet> {
        if self.in_flight.is_empty() {
            self.in_flight = self.advance(api);
        }
        self.in_flight.clone()
    }

    /// Moves through stages that need no request and returns the next requests.
    fn advance(&mut self, api: &Api) -> Vec<HttpGet> {
        loop {
            let stage = std::mem::replace(&mut self.stage, Stage::Done(String::new()));
            let (stage, requests) = self.step(stage, api);
            self.stage = stage;
            if let Some(requests) = requests {
                return requests;
            }
        }
    }

    /// One stage transition: the stage to be in and, if it needs them (or is done), requests.
    fn step(&mut self, stage: Stage, api: &Api) -> (Stage, Option<Vec<HttpGet>>) {
        match stage {
            Stage::OwnList(list) => match list.next_request().cloned() {
                Some(request) => (Stage::OwnList(list), Some(vec![request])),
                None => (self.planned(list.into_attachments()), None),
            },
            Stage::Lookups { plan, refs } if refs.is_empty() => (
                Stage::LookupLists {
                    plan,
                    found: BTreeMap::new(),
                    pending: Vec::new(),
                },
                None,
            ),
            Stage::Lookups { plan, refs } => {
                let requests = refs
                    .iter()
                    .map(|r| api.page_by_title(&r.space_key, &r.title))
                    .collect();
                (Stage::Lookups { plan, refs }, Some(requests))
            }
            Stage::LookupLists {
                plan,
                found,
                pending,
            } if pending.is_empty() => {
                let resolved = plan.resolve(&found);
                self.warnings.extend(
                    resolved
                        .notes()
                        .iter()
                        .map(|n| n.clone().plain("page_id", &self.page_id)),
                );
                let queue = resolved.downloads().into();
                let stage = Stage::Downloads {
                    resolved,
                    queue,
                    images: BTreeMap::new(),
                };
                (stage, None)
            }
            Stage::LookupLists {
                plan,
                found,
                pending,
            } => {
                let requests = pending
                    .iter()
                    .filter_map(|(_, list)| list.next_request().cloned())
                    .collect();
                let stage = Stage::LookupLists {
                    plan,
                    found,
                    pending,
                };
                (stage, Some(requests))
            }
            Stage::Downloads {
                resolved,
                queue,
                images,
            } => {
                if queue.is_empty() {
                    return (Stage::Done(resolved.apply(&images)), None);
                }
                let requests = queue
                    .iter()
                    .take(MAX_PARALLEL_IMAGE_DOWNLOADS)
                    .map(|d| {
                        HttpGet::download(
                            d.url.clone(),
                            api.download_endpoint(),
                            self.policy.max_file_size,
                        )
                    })
                    .collect();
                let stage = Stage::Downloads {
                    resolved,
                    queue,
                    images,
                };
                (stage, Some(requests))
            }
            Stage::Done(body) => (Stage::Done(body), Some(Vec::new())),
        }
    }

    /// Takes the replies to the last [`Self::next_requests`], in order.
    pub fn on_replies(&mut self, replies: Vec<Reply>, api: &Api) {
        let requests = std::mem::take(&mut self.in_flight);
        let stage = std::mem::replace(&mut self.stage, Stage::Done(String::new()));
        self.stage = match stage {
            Stage::OwnList(mut list) => {
                let outcome = match replies.into_iter().next() {
                    Some(Ok(response)) => {
                        list.on_response(&response, api).map_err(|e| e.to_string())
                    }
                    Some(Err(failed)) => Err(failed.to_string()),
                    None => Err("no reply".to_owned()),
                };
                match outcome {
                    Ok(()) => Stage::OwnList(list),
                    Err(reason) => {
                        self.warnings.push(
                            Notice::new("images not inlined: the page's attachment list failed")
                                .plain("page_id", &self.page_id)
                                .identifying("error", reason),
                        );
                        Stage::Done(self.original.clone())
                    }
                }
            }
            Stage::Lookups { plan, refs } => {
                let mut found = BTreeMap::new();
                let mut pending = Vec::new();
                for ((page, request), reply) in refs.into_iter().zip(&requests).zip(replies) {
                    match lookup_result(request, reply, api) {
                        Ok(Some(item)) => match FullAttachmentList::start(&item, api) {
                            Some(list) => pending.push((page, list)),
                            None => {
                                let attachments =
                                    item.attachments.map(|a| a.results).unwrap_or_default();
                                found.insert(page, attachments);
                            }
                        },
                        Ok(None) => {}
                        Err(reason) => self.warnings.push(
                            Notice::new("lookup of a page referenced by an image failed")
                                .plain("page_id", &self.page_id)
                                .identifying("page_title", &page.title)
                                .identifying("space_key", &page.space_key)
                                .identifying("error", reason),
                        ),
                    }
                }
                Stage::LookupLists {
                    plan,
                    found,
                    pending,
                }
            }
            Stage::LookupLists {
                plan,
                mut found,
                pending,
            } => {
                let mut still_pending = Vec::new();
                for ((page, mut list), reply) in pending.into_iter().zip(replies) {
                    let outcome = match reply {
                        Ok(response) => list.on_response(&response, api).map_err(|e| e.to_string()),
                        Err(failed) => Err(failed.to_string()),
                    };
                    match outcome {
                        Err(reason) => self.warnings.push(
                            Notice::new("attachment list of a page referenced by an image failed")
                                .plain("page_id", &self.page_id)
                                .identifying("page_title", &page.title)
                                .identifying("error", reason),
                        ),
                        Ok(()) if list.next_request().is_some() => {
                            still_pending.push((page, list));
                        }
                        Ok(()) => {
                            found.insert(page, list.into_attachments());
                        }
                    }
                }
                Stage::LookupLists {
                    plan,
                    found,
                    pending: still_pending,
                }
            }
            Stage::Downloads {
                resolved,
                mut queue,
                mut images,
            } => {
                let answered = replies.len().min(queue.len());
                for (download, reply) in queue.drain(..answered).zip(replies) {
                    match reply {
                        Ok(response) if response.is_success() => {
                            images.insert(download.url, response.body);
                        }
                        Ok(response) => self.warnings.push(
                            Notice::new("image left as is: its download failed")
                                .plain("page_id", &self.page_id)
                                .plain("status", response.status)
                                .identifying("url", &download.url),
                        ),
                        Err(failed) => self.warnings.push(
                            Notice::new("image left as is: its download failed")
                                .plain("page_id", &self.page_id)
                                .identifying("url", &download.url)
                                .identifying("error", failed),
                        ),
                    }
                }
                Stage::Downloads {
                    resolved,
                    queue,
                    images,
                }
            }
            Stage::Done(body) => Stage::Done(body),
        };
    }

    /// The final body and the warnings, once [`Self::next_requests`] returned nothing.
    pub fn finish(self) -> (String, Vec<Notice>) {
        match self.stage {
            Stage::Done(body) => (body, self.warnings),
            // Not finished: the original body is always a safe answer.
            _ => (self.original, self.warnings),
        }
    }
}

/// The first result of a C4/D4 answer, `None` when there is none.
fn lookup_result(
    request: &HttpGet,
    reply: Reply,
    api: &Api,
) -> Result<Option<ContentItem>, String> {
    let response = reply.map_err(|e| e.to_string())?;
    let body = successful_body(request, &response).map_err(|e| e.to_string())?;
    let list = parse_content_list(body, api).map_err(|e| malformed(request, e).to_string())?;
    Ok(list.items.into_iter().next())
}
