//! One space's part of a cycle after the diff: what discovery found in it, its partial key, what
//! the diff said, and (once §6 ran) its scope id.

use std::collections::{HashMap, HashSet};

use crate::plugin_runtime::source::{Attachment, Page};
use crate::unique::FileDiff;

use super::discovery::DiscoveredSpace;
use super::keys::{attachment_key, is_attachment_key};

/// A space ready for ingestion and deletion.
#[derive(Debug)]
pub struct SpacePlan {
    pub space: DiscoveredSpace,
    pub partial_key: String,
    pub diff: FileDiff,
    /// Set by the space-scope step for spaces with new or updated items.
    pub scope_id: Option<String>,
    /// Unchanged pages re-ingested anyway (see [`Self::pages_losing_attachments`]).
    pub reingest: Vec<String>,
}

impl SpacePlan {
    /// New and updated relative keys, each once, in diff order.
    fn changed_keys(&self) -> impl Iterator<Item = &String> {
        let mut seen = HashSet::new();
        self.diff
            .new_files
            .iter()
            .chain(&self.diff.updated_files)
            .filter(move |key| seen.insert(key.as_str()))
    }

    /// Whether `relative_key` is new (as opposed to updated).
    pub fn is_new(&self, relative_key: &str) -> bool {
        self.diff.new_files.iter().any(|key| key == relative_key)
    }

    /// The pages to ingest: new or updated page keys, then the pages to re-ingest, looked up in
    /// discovery. Keys the diff invented (not submitted) are ignored.
    pub fn changed_pages(&self) -> Vec<&Page> {
        let pages: HashMap<&str, &Page> = self
            .space
            .pages
            .iter()
            .map(|page| (page.id.as_str(), page))
            .collect();
        let mut seen = HashSet::new();
        self.changed_keys()
            .filter(|key| !is_attachment_key(key))
            .chain(&self.reingest)
            .filter(|key| seen.insert(key.as_str()))
            .filter_map(|key| pages.get(key.as_str()).copied())
            .collect()
    }

    /// The attachments to ingest, like [`Self::changed_pages`].
    pub fn changed_attachments(&self) -> Vec<&Attachment> {
        let attachments: HashMap<String, &Attachment> = self
            .space
            .attachments
            .iter()
            .map(|attachment| {
                (
                    attachment_key(&attachment.page_id, &attachment.id),
                    attachment,
                )
            })
            .collect();
        self.changed_keys()
            .filter(|key| is_attachment_key(key))
            .filter_map(|key| attachments.get(key.as_str()).copied())
            .collect()
    }

    /// Whether the space needs its scope: something storable is new or updated (zero-byte
    /// attachments are never stored, so they alone do not count).
    pub fn needs_scope(&self) -> bool {
        !self.changed_pages().is_empty()
            || self
                .changed_attachments()
                .iter()
                .any(|attachment| attachment.size > 0)
    }
}

impl SpacePlan {
    /// Submitted pages that lose a stored attachment in this diff (image inlining switched on:
    /// their images are now part of the page, so the page is re-ingested).
    pub fn pages_losing_attachments(&self) -> Vec<String> {
        let pages: HashSet<&str> = self
            .space
            .pages
            .iter()
            .map(|page| page.id.as_str())
            .collect();
        let mut losing: Vec<String> = Vec::new();
        for key in self
            .diff
            .deleted_files
            .iter()
            .filter(|key| is_attachment_key(key))
        {
            let page_id = key
                .split(super::keys::ATTACHMENT_SEPARATOR)
                .next()
                .unwrap_or_default();
            if pages.contains(page_id) && !losing.iter().any(|known| known == page_id) {
                losing.push(page_id.to_owned());
            }
        }
        losing
    }
}
