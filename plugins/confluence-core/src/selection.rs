//! Which discovered items are reported and how (sync-flow §4 steps 5–8, §5): type filter, items
//! whose ids cannot form keys, attachment filters, the item cap, labels, timestamps, web URLs.
//! Pure functions over parsed items; no requests.

use std::collections::BTreeMap;

use crate::config::Settings;
use crate::model::{Attachment, ContentItem, ContentKind, Space};
use crate::notice::Notice;
use crate::timestamp::newest;
use crate::urls::Api;

/// A page, blog post or folder as reported to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredPage {
    /// Content id.
    pub id: String,
    /// Content type.
    pub kind: ContentKind,
    /// Title.
    pub title: String,
    /// Space (container).
    pub space: Space,
    /// Labels without the two ingest labels, sorted.
    pub labels: Vec<String>,
    /// `version.when`, or the newest inlined image's (see [`page_updated_at`]).
    pub updated_at: String,
    /// Web URL.
    pub url: String,
}

/// An attachment as reported to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredAttachment {
    /// Attachment id (Cloud `att…`, DC numeric).
    pub id: String,
    /// Id of the page that holds it.
    pub page_id: String,
    /// File name.
    pub title: String,
    /// Raw media type, as Confluence sent it.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// The attachment's `version.when`, else the page's, else `""`.
    pub updated_at: String,
    /// Web URL.
    pub url: String,
    /// Cloud C6, DC the resolved `_links.download`.
    pub download_url: String,
}

/// One reported item; each page is followed by its attachments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiscoveredItem {
    /// A page, blog post or folder.
    Page(DiscoveredPage),
    /// An attachment of the page reported before it.
    Attachment(DiscoveredAttachment),
}

/// Whether discovery reported everything it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Everything selected was reported.
    Complete,
    /// The item cap cut something off: the host must delete nothing this cycle.
    Truncated,
}

/// The result of a discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryOutcome {
    /// Items in discovery order, each page followed by its kept attachments.
    pub items: Vec<DiscoveredItem>,
    /// Whether the item cap cut anything off.
    pub completeness: Completeness,
    /// Items skipped or rejected, for the plugin to log.
    pub warnings: Vec<Notice>,
    /// Full, unfiltered attachment list of every reported page, by page id.
    pub page_attachments: BTreeMap<String, Vec<Attachment>>,
}

/// Drops types that are not ingested and items whose ids would break keys, with a warning for
/// each rejected item. Runs after descendants were searched, so dropped roots still counted.
pub fn keep_ingestible(items: Vec<ContentItem>, warnings: &mut Vec<Notice>) -> Vec<ContentItem> {
    items
        .into_iter()
        .filter(|item| item.kind.is_kept())
        .filter(|item| match key_problem(item) {
            Some(problem) => {
                warnings.push(
                    Notice::new("rejected an item whose ids cannot form content keys")
                        .plain("type", item.kind.as_str())
                        .plain("id", &item.id)
                        .plain("space_id", &item.space.id)
                        .identifying("space_key", &item.space.key)
                        .plain("rule", problem),
                );
                false
            }
            None => true,
        })
        .collect()
}

fn key_problem(item: &ContentItem) -> Option<&'static str> {
    if item.id.is_empty() || item.id.contains('/') || item.id.contains("::") {
        Some("the id is empty or contains `/` or `::`")
    } else if item.space.id.is_empty() || item.space.id.contains([':', '/']) {
        Some("the space id is empty or contains `:` or `/`")
    } else if item.space.key.is_empty() || item.space.key.contains([':', '/']) {
        Some("the space key is empty or contains `:` or `/`")
    } else {
        None
    }
}

/// Labels for metadata: without the ingest labels, sorted, without duplicates.
pub fn metadata_labels(labels: &[String], settings: &Settings) -> Vec<String> {
    let mut kept: Vec<String> = labels
        .iter()
        .filter(|l| **l != settings.labels.single && **l != settings.labels.all)
        .cloned()
        .collect();
    kept.sort();
    kept.dedup();
    kept
}

/// A page's `updatedAt`: with image inlining, the newest of its `version.when` and the versions
/// of its own attachments that inlining would embed (compared as instants; the winning original
/// string is sent). Without inlining, `version.when`.
pub fn page_updated_at(item: &ContentItem, settings: &Settings) -> String {
    let Some(policy) = settings
        .policy
        .attachments
        .as_ref()
        .filter(|_| settings.inlines_images())
    else {
        return item.version_when.clone();
    };
    let images = own_attachments(item)
        .iter()
        .filter(|a| policy.is_inlinable_image(&a.normalised_mime(), a.file_size))
        .filter_map(|a| a.version_when.as_deref());
    newest(&item.version_when, images).to_owned()
}

fn own_attachments(item: &ContentItem) -> &[Attachment] {
    item.attachments
        .as_ref()
        .map_or(&[], |inline| inline.results.as_slice())
}

/// Builds the outcome from items that passed [`keep_ingestible`] and have complete attachment
/// lists, applying the attachment filters and the item cap.
pub fn assemble(
    items: Vec<ContentItem>,
    settings: &Settings,
    api: &Api,
    mut warnings: Vec<Notice>,
) -> DiscoveryOutcome {
    let cap = settings.policy.max_items.map(|n| n as usize);
    let mut completeness = Completeness::Complete;
    let mut kept_items = items;
    if let Some(cap) = cap
        && kept_items.len() > cap
    {
        kept_items.truncate(cap);
        completeness = Completeness::Truncated;
    }
    let mut attachment_capacity = cap.map(|cap| cap - kept_items.len());

    let mut outcome_items = Vec::new();
    let mut page_attachments = BTreeMap::new();
    for item in kept_items {
        outcome_items.push(DiscoveredItem::Page(DiscoveredPage {
            id: item.id.clone(),
            kind: item.kind,
            title: item.title.clone(),
            space: item.space.clone(),
            labels: metadata_labels(&item.labels, settings),
            updated_at: page_updated_at(&item, settings),
            url: api.page_web_url(&item.id, &item.webui),
        }));
        if let Some(policy) = &settings.policy.attachments {
            for attachment in own_attachments(&item) {
                if !policy.keeps_standalone(&attachment.normalised_mime(), attachment.file_size) {
                    continue;
                }
                if attachment.id.is_empty()
                    || attachment.id.contains('/')
                    || attachment.id.contains("::")
                {
                    warnings.push(
                        Notice::new("rejected an attachment whose id cannot form a content key")
                            .plain("id", &attachment.id)
                            .plain("page_id", &item.id)
                            .plain("rule", "the id is empty or contains `/` or `::`"),
                    );
                    continue;
                }
                if let Some(capacity) = attachment_capacity.as_mut() {
                    if *capacity == 0 {
                        completeness = Completeness::Truncated;
                        continue;
                    }
                    *capacity -= 1;
                }
                outcome_items.push(DiscoveredItem::Attachment(DiscoveredAttachment {
                    id: attachment.id.clone(),
                    page_id: item.id.clone(),
                    title: attachment.title.clone(),
                    media_type: attachment.media_type.clone(),
                    size: attachment.file_size,
                    updated_at: attachment
                        .version_when
                        .clone()
                        .unwrap_or_else(|| item.version_when.clone()),
                    url: api.attachment_web_url(&item.id, &attachment.id, &attachment.title),
                    download_url: attachment.download_url.clone(),
                }));
            }
        }
        page_attachments.insert(item.id.clone(), own_attachments(&item).to_vec());
    }
    DiscoveryOutcome {
        items: outcome_items,
        completeness,
        warnings,
        page_attachments,
    }
}
