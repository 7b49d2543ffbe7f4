//! The WIT `discovery` resource: hands out a finished discovery's items in batches of at most
//! `max`, in discovery order (each page followed by its attachments), then `done` with the
//! completeness core determined.

use std::cell::RefCell;
use std::collections::VecDeque;

use confluence_core::selection::{Completeness, DiscoveredItem, DiscoveryOutcome};
use connector_plugin_sdk::source::{Batch, GuestDiscovery, SourceError};

use crate::wit_mapping;

/// A discovery whose items are all known, waiting to be handed out.
pub struct ConfluenceDiscovery {
    // The WIT resource takes `&self`; one instance serves one task on one thread.
    queue: RefCell<ItemQueue>,
}

impl ConfluenceDiscovery {
    /// The items of a completed core discovery.
    pub fn new(outcome: DiscoveryOutcome) -> Self {
        Self {
            queue: RefCell::new(ItemQueue::new(outcome.items, outcome.completeness)),
        }
    }
}

impl GuestDiscovery for ConfluenceDiscovery {
    fn next_batch(&self, max: u32) -> Result<Batch, SourceError> {
        let batch = self.queue.borrow_mut().next_batch(max)?;
        Ok(match batch {
            NextBatch::Items(items) => {
                Batch::Items(items.into_iter().map(wit_mapping::item).collect())
            }
            NextBatch::Done(completeness) => Batch::Done(wit_mapping::completeness(completeness)),
        })
    }
}

/// One answer of [`ItemQueue::next_batch`], in core types.
#[derive(Debug, PartialEq, Eq)]
enum NextBatch {
    Items(Vec<DiscoveredItem>),
    Done(Completeness),
}

/// Discovered items in order, and how complete they are.
struct ItemQueue {
    items: VecDeque<DiscoveredItem>,
    completeness: Completeness,
}

impl ItemQueue {
    fn new(items: Vec<DiscoveredItem>, completeness: Completeness) -> Self {
        Self {
            items: items.into(),
            completeness,
        }
    }

    /// At least one and at most `max` items, or `Done` once all were handed out.
    fn next_batch(&mut self, max: u32) -> Result<NextBatch, SourceError> {
        if self.items.is_empty() {
            return Ok(NextBatch::Done(self.completeness));
        }
        if max == 0 {
            // A batch must hold at least one item and at most `max`: no answer fits.
            return Err(SourceError::Other(
                "next-batch was called with max 0; at least 1 is needed".to_owned(),
            ));
        }
        let count = self.items.len().min(max as usize);
        Ok(NextBatch::Items(self.items.drain(..count).collect()))
    }
}

#[cfg(test)]
mod tests {
    use confluence_core::model::{ContentKind, Space};
    use confluence_core::selection::{DiscoveredAttachment, DiscoveredPage};

    use super::*;

    fn page(id: &str) -> DiscoveredItem {
        DiscoveredItem::Page(DiscoveredPage {
            id: id.into(),
            kind: ContentKind::Page,
            title: format!("Page {id}"),
            space: Space {
                id: "1".into(),
                key: "ENG".into(),
                name: "Engineering".into(),
            },
            labels: Vec::new(),
            updated_at: "2025-03-01T10:00:00.000Z".into(),
            url: format!("https://w/pages/viewpage.action?pageId={id}"),
        })
    }

    fn attachment(id: &str, page_id: &str) -> DiscoveredItem {
        DiscoveredItem::Attachment(DiscoveredAttachment {
            id: id.into(),
            page_id: page_id.into(),
            title: format!("{id}.pdf"),
            media_type: "application/pdf".into(),
            size: 10,
            updated_at: "2025-03-01T10:00:00.000Z".into(),
            url: "https://w/pages/viewpageattachments.action".into(),
            download_url: format!("https://w/download/attachments/{page_id}/{id}.pdf"),
        })
    }

    #[test]
    fn items_come_in_batches_of_at_most_max_in_discovery_order_then_done() {
        let items = vec![
            page("1"),
            attachment("10", "1"),
            attachment("11", "1"),
            page("2"),
        ];
        let mut queue = ItemQueue::new(items.clone(), Completeness::Complete);
        assert_eq!(
            queue.next_batch(3).unwrap(),
            NextBatch::Items(items[..3].to_vec())
        );
        assert_eq!(
            queue.next_batch(3).unwrap(),
            NextBatch::Items(items[3..].to_vec())
        );
        assert_eq!(
            queue.next_batch(3).unwrap(),
            NextBatch::Done(Completeness::Complete)
        );
    }

    #[test]
    fn truncated_discovery_ends_with_done_truncated() {
        let mut queue = ItemQueue::new(vec![page("1")], Completeness::Truncated);
        assert_eq!(
            queue.next_batch(100).unwrap(),
            NextBatch::Items(vec![page("1")])
        );
        assert_eq!(
            queue.next_batch(100).unwrap(),
            NextBatch::Done(Completeness::Truncated)
        );
    }

    #[test]
    fn empty_discovery_is_done_at_once() {
        let mut queue = ItemQueue::new(Vec::new(), Completeness::Complete);
        assert_eq!(
            queue.next_batch(1).unwrap(),
            NextBatch::Done(Completeness::Complete)
        );
    }

    #[test]
    fn max_zero_is_refused_while_items_remain() {
        let mut queue = ItemQueue::new(vec![page("1")], Completeness::Complete);
        assert!(matches!(queue.next_batch(0), Err(SourceError::Other(_))));
        assert_eq!(
            queue.next_batch(1).unwrap(),
            NextBatch::Items(vec![page("1")]),
            "nothing was lost"
        );
    }
}
