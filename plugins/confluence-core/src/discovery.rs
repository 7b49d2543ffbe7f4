//! The discovery state machine (sync-flow §4): label search, descendants of `ingestAllLabel`
//! roots, merge, full attachment lists, then [`selection`](crate::selection). Sans-IO: the
//! driver asks [`Discovery::next_request`], sends it, and hands the answer to
//! [`Discovery::on_response`] until there is no request left, then calls [`Discovery::finish`].
//!
//! Any failed or malformed answer is an error: a partial discovery must never reach the diff.

use std::collections::{HashSet, VecDeque};

use crate::answer::{AnswerError, malformed, successful_body};
use crate::attachment_list::{FullAttachmentList, set_full_list};
use crate::config::Settings;
use crate::cql::MAX_DESCENDANT_ROOTS;
use crate::model::{ContentItem, parse_content_list};
use crate::notice::Notice;
use crate::request::{HttpGet, HttpResponse};
use crate::selection::{DiscoveryOutcome, assemble, keep_ingestible};
use crate::urls::Api;

/// Why a discovery failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiscoveryError {
    #[error("discovery failed: {0}")]
    /// A request failed or its answer was malformed.
    Answer(#[from] AnswerError),
    #[error("discovery received an answer while no request was outstanding")]
    /// `on_response` was called without an outstanding request.
    NoRequestOutstanding,
    #[error("discovery finished before all requests were answered")]
    /// `finish` was called before `next_request` returned `None`.
    Unfinished,
}

enum Phase {
    LabelSearch,
    Descendants {
        batches: VecDeque<Vec<String>>,
    },
    Attachments {
        items: Vec<ContentItem>,
        index: usize,
        current: Option<FullAttachmentList>,
    },
    Done {
        items: Vec<ContentItem>,
    },
}

/// One discovery run for one tenant.
pub struct Discovery {
    settings: Settings,
    api: Api,
    phase: Phase,
    /// The search request (label or descendant page) waiting to be sent or answered.
    pending_search: Option<HttpGet>,
    label_items: Vec<ContentItem>,
    descendant_items: Vec<ContentItem>,
    warnings: Vec<Notice>,
}

impl Discovery {
    /// A discovery for validated settings; the first request is the label search.
    pub fn new(settings: Settings) -> Self {
        let api = Api::new(&settings);
        let first = api.label_search(&settings.labels);
        Self {
            settings,
            api,
            phase: Phase::LabelSearch,
            pending_search: Some(first),
            label_items: Vec::new(),
            descendant_items: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The next request to send, or `None` when discovery is complete.
    pub fn next_request(&mut self) -> Option<HttpGet> {
        loop {
            match &mut self.phase {
                Phase::LabelSearch | Phase::Descendants { .. } => {
                    if let Some(request) = &self.pending_search {
                        return Some(request.clone());
                    }
                    self.advance_search();
                }
                Phase::Attachments {
                    items,
                    index,
                    current,
                } => {
                    if let Some(list) = current {
                        if let Some(request) = list.next_request() {
                            return Some(request.clone());
                        }
                        if let Some(done) = current.take() {
                            set_full_list(&mut items[*index], done.into_attachments());
                        }
                        *index += 1;
                    }
                    while *index < items.len() {
                        if let Some(list) = FullAttachmentList::start(&items[*index], &self.api) {
                            *current = Some(list);
                            break;
                        }
                        *index += 1;
                    }
                    if current.is_none() {
                        let items = std::mem::take(items);
                        self.phase = Phase::Done { items };
                    }
                }
                Phase::Done { .. } => return None,
            }
        }
    }

    /// Moves on once the current search has no more pages.
    fn advance_search(&mut self) {
        match &mut self.phase {
            Phase::LabelSearch => {
                let roots: Vec<String> = self
                    .label_items
                    .iter()
                    .filter(|item| item.labels.contains(&self.settings.labels.all))
                    .map(|item| item.id.clone())
                    .collect();
                let batches = roots
                    .chunks(MAX_DESCENDANT_ROOTS)
                    .map(<[String]>::to_vec)
                    .collect();
                self.phase = Phase::Descendants { batches };
                self.advance_search();
            }
            Phase::Descendants { batches } => match batches.pop_front() {
                Some(batch) => self.pending_search = Some(self.api.descendants(&batch)),
                None => self.start_attachments(),
            },
            Phase::Attachments { .. } | Phase::Done { .. } => {}
        }
    }

    fn start_attachments(&mut self) {
        let mut seen = HashSet::new();
        let merged: Vec<ContentItem> = std::mem::take(&mut self.label_items)
            .into_iter()
            .chain(std::mem::take(&mut self.descendant_items))
            .filter(|item| seen.insert(item.id.clone()))
            .collect();
        let items = keep_ingestible(merged, &mut self.warnings);
        self.phase = if self.settings.policy.attachments.is_some() {
            Phase::Attachments {
                items,
                index: 0,
                current: None,
            }
        } else {
            Phase::Done { items }
        };
    }

    /// Takes the answer to the request last returned by [`Self::next_request`].
    pub fn on_response(&mut self, response: HttpResponse) -> Result<(), DiscoveryError> {
        match &mut self.phase {
            Phase::LabelSearch | Phase::Descendants { .. } => {
                let request = self
                    .pending_search
                    .take()
                    .ok_or(DiscoveryError::NoRequestOutstanding)?;
                let body = successful_body(&request, &response)?;
                let list =
                    parse_content_list(body, &self.api).map_err(|e| malformed(&request, e))?;
                self.warnings.extend(list.warnings);
                let target = if matches!(self.phase, Phase::LabelSearch) {
                    &mut self.label_items
                } else {
                    &mut self.descendant_items
                };
                target.extend(list.items);
                self.pending_search = list.next.map(|url| HttpGet::json(url, request.endpoint));
                Ok(())
            }
            Phase::Attachments {
                current: Some(list),
                ..
            } if list.next_request().is_some() => {
                list.on_response(&response, &self.api)?;
                Ok(())
            }
            _ => Err(DiscoveryError::NoRequestOutstanding),
        }
    }

    /// The outcome, once [`Self::next_request`] returned `None`.
    pub fn finish(self) -> Result<DiscoveryOutcome, DiscoveryError> {
        match self.phase {
            Phase::Done { items } => Ok(assemble(items, &self.settings, &self.api, self.warnings)),
            _ => Err(DiscoveryError::Unfinished),
        }
    }
}

#[cfg(test)]
mod tests;
