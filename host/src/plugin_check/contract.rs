//! The rules a discovery must keep (WIT `source.page`, `source.attachment`, `types.container`),
//! checked item by item: keys present, ids free of `/` and `::`, container keys free of `:` and
//! `/`, every page once, every attachment after its page.

use std::collections::{BTreeMap, HashSet};

use crate::plugin_runtime::source::{Attachment, Item, Page};

/// A broken rule; its text starts the finding, an example item completes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Violation {
    EmptyPageId,
    EmptyTitle,
    EmptyContainerKey,
    EmptyContainerId,
    PageIdSeparator,
    ContainerKeySeparator,
    DuplicatePage,
    EmptyAttachmentId,
    AttachmentIdSeparator,
    AttachmentBeforePage,
    DuplicateAttachment,
}

impl Violation {
    fn describe(self) -> &'static str {
        match self {
            Self::EmptyPageId => "page with an empty id",
            Self::EmptyTitle => "page with an empty title",
            Self::EmptyContainerKey => "page whose container has an empty key",
            Self::EmptyContainerId => "page whose container has an empty id",
            Self::PageIdSeparator => "page id containing `/` or `::`",
            Self::ContainerKeySeparator => "page whose container id or key contains `:` or `/`",
            Self::DuplicatePage => "page reported more than once",
            Self::EmptyAttachmentId => "attachment with an empty id",
            Self::AttachmentIdSeparator => "attachment id containing `/` or `::`",
            Self::AttachmentBeforePage => {
                "attachment reported before its page (or for a page never reported)"
            }
            Self::DuplicateAttachment => "attachment reported more than once for its page",
        }
    }
}

/// Collects one discovery's items and the rules they break.
#[derive(Debug, Default)]
pub struct DiscoveryLedger {
    page_ids: Vec<String>,
    seen_pages: HashSet<String>,
    seen_attachments: HashSet<(String, String)>,
    attachments: usize,
    /// Per rule: how many items broke it, and the first of them.
    violations: BTreeMap<Violation, (usize, String)>,
}

impl DiscoveryLedger {
    /// Records one discovered item, in discovery order.
    pub fn record(&mut self, item: &Item) {
        match item {
            Item::Page(page) => self.record_page(page),
            Item::Attachment(attachment) => self.record_attachment(attachment),
        }
    }

    /// Ids of the pages reported, in order, each once.
    pub fn page_ids(&self) -> &[String] {
        &self.page_ids
    }

    /// How many attachments were reported.
    pub fn attachments(&self) -> usize {
        self.attachments
    }

    /// One sentence per broken rule: `rule: first example` and how many more items broke it.
    pub fn findings(&self) -> Vec<String> {
        self.violations
            .iter()
            .map(|(violation, (count, example))| match count {
                1 => format!("{}: {example}", violation.describe()),
                _ => format!("{}: {example} and {} more", violation.describe(), count - 1),
            })
            .collect()
    }

    fn record_page(&mut self, page: &Page) {
        let name = format!("`{}`", page.id);
        if page.id.is_empty() {
            self.violate(Violation::EmptyPageId, format!("titled `{}`", page.title));
        }
        if page.title.trim().is_empty() {
            self.violate(Violation::EmptyTitle, name.clone());
        }
        if page.container.key.is_empty() {
            self.violate(Violation::EmptyContainerKey, name.clone());
        }
        if page.container.id.is_empty() {
            self.violate(Violation::EmptyContainerId, name.clone());
        }
        if has_key_separator(&page.id) {
            self.violate(Violation::PageIdSeparator, name.clone());
        }
        if [&page.container.id, &page.container.key]
            .iter()
            .any(|part| part.contains([':', '/']))
        {
            self.violate(
                Violation::ContainerKeySeparator,
                format!("{name} in `{}`", page.container.key),
            );
        }
        if self.seen_pages.insert(page.id.clone()) {
            self.page_ids.push(page.id.clone());
        } else {
            self.violate(Violation::DuplicatePage, name);
        }
    }

    fn record_attachment(&mut self, attachment: &Attachment) {
        self.attachments += 1;
        let name = format!("`{}` of page `{}`", attachment.id, attachment.page_id);
        if attachment.id.is_empty() {
            self.violate(Violation::EmptyAttachmentId, name.clone());
        }
        if has_key_separator(&attachment.id) {
            self.violate(Violation::AttachmentIdSeparator, name.clone());
        }
        if !self.seen_pages.contains(&attachment.page_id) {
            self.violate(Violation::AttachmentBeforePage, name.clone());
        }
        if !self
            .seen_attachments
            .insert((attachment.page_id.clone(), attachment.id.clone()))
        {
            self.violate(Violation::DuplicateAttachment, name);
        }
    }

    fn violate(&mut self, violation: Violation, example: String) {
        self.violations.entry(violation).or_insert((0, example)).0 += 1;
    }
}

/// Whether an id contains a separator the host uses in content keys.
fn has_key_separator(id: &str) -> bool {
    id.contains('/') || id.contains("::")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;
    use crate::plugin_runtime::bindings::latest::types::Container;
    use crate::plugin_runtime::source::Download;

    fn page(id: &str, title: &str, key: &str) -> Item {
        Item::Page(Page {
            id: id.into(),
            kind: "page".into(),
            title: title.into(),
            container: Container {
                id: "1".into(),
                key: key.into(),
                name: "Space".into(),
            },
            labels: Vec::new(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            url: format!("https://example.test/{id}"),
        })
    }

    fn attachment(id: &str, page_id: &str) -> Item {
        Item::Attachment(Attachment {
            id: id.into(),
            page_id: page_id.into(),
            title: "file.pdf".into(),
            media_type: "application/pdf".into(),
            size: 10,
            updated_at: "2026-01-01T00:00:00Z".into(),
            url: "https://example.test/file.pdf".into(),
            download: Download {
                url: "https://example.test/file.pdf".into(),
                headers: Vec::new(),
            },
        })
    }

    fn findings(items: &[Item]) -> Vec<String> {
        let mut ledger = DiscoveryLedger::default();
        items.iter().for_each(|item| ledger.record(item));
        ledger.findings()
    }

    #[test]
    fn a_sound_discovery_has_no_findings() {
        assert!(
            findings(&[
                page("1", "One", "ENG"),
                attachment("a", "1"),
                page("2", "Two", "ENG")
            ])
            .is_empty()
        );
    }

    #[test]
    fn each_broken_rule_is_one_sentence_with_the_first_example_and_a_count() {
        let found = findings(&[
            page("a/b", "One", "ENG"),
            page("c::d", "Two", "ENG"),
            page("3", "", "ENG"),
            page("3", "Three", ""),
            attachment("x", "9"),
        ]);
        assert_eq!(
            found,
            vec![
                "page with an empty title: `3`",
                "page whose container has an empty key: `3`",
                "page id containing `/` or `::`: `a/b` and 1 more",
                "page reported more than once: `3`",
                "attachment reported before its page (or for a page never reported): `x` of page `9`",
            ]
        );
    }

    #[test]
    fn a_container_key_with_a_colon_is_reported() {
        assert_eq!(
            findings(&[page("1", "One", "EN:G")]),
            vec!["page whose container id or key contains `:` or `/`: `1` in `EN:G`"]
        );
    }
}
