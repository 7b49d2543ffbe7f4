//! Discovery through the plugin (sync-flow §4): the session settings built from the tenant, the
//! batches read to `done`, items checked (ids that could not be parsed back out of a key are
//! refused, attachments must follow their page, attachments outside the tenant's policy are
//! dropped) and grouped by container in first-seen order.

use std::collections::{HashMap, HashSet};

use crate::config::{ImageInlining, Tenant};
use crate::plugin_runtime::source::{
    Attachment, AttachmentPolicy, Batch, Completeness, Item, Page, SessionSettings,
};
use crate::plugin_runtime::{MAX_BATCH, PluginTask};
use crate::telemetry::Diagnostics;

use super::abort::CycleAbort;
use super::keys::unsafe_id_reason;

/// One container (Confluence space) and what discovery found in it.
#[derive(Debug, Clone)]
pub struct DiscoveredSpace {
    pub id: String,
    pub key: String,
    pub name: String,
    /// In discovery order.
    pub pages: Vec<Page>,
    /// In discovery order, each after its page.
    pub attachments: Vec<Attachment>,
}

/// Everything one discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub spaces: Vec<DiscoveredSpace>,
    /// The plugin stopped at `max-items`: the list is partial and must never delete.
    pub truncated: bool,
}

impl Discovery {
    pub fn page_count(&self) -> usize {
        self.spaces.iter().map(|space| space.pages.len()).sum()
    }

    pub fn attachment_count(&self) -> usize {
        self.spaces
            .iter()
            .map(|space| space.attachments.len())
            .sum()
    }
}

/// The session settings of every task of a tenant's cycle.
pub fn session_settings(tenant: &Tenant) -> SessionSettings {
    let attachments = tenant
        .ingestion
        .attachments
        .as_ref()
        .map(|settings| AttachmentPolicy {
            allowed_mime_types: settings.allowed_mime_types.clone(),
            max_file_size: settings.max_file_size_bytes,
            inline_images: matches!(
                tenant.ingestion.image_inlining,
                ImageInlining::Enabled { .. }
            ),
        });
    SessionSettings {
        tenant: tenant.name.as_str().to_owned(),
        config: tenant.plugin_config_json().to_string(),
        attachments,
        max_items: tenant.processing.max_items_to_scan.map(|cap| cap.get()),
    }
}

/// Lower-cased MIME type without parameters.
pub fn normalised_mime(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Reads the discovery to its end. Any plugin failure aborts: never diff on a partial list.
pub async fn discover(
    task: &mut PluginTask,
    policy: Option<&AttachmentPolicy>,
    diagnostics: Diagnostics,
    tenant: &str,
) -> Result<Discovery, CycleAbort> {
    let cursor = task
        .discover()
        .await
        .map_err(CycleAbort::plugin("starting discovery"))?;
    let mut grouper = Grouper::new(policy, diagnostics, tenant);
    loop {
        match task
            .next_batch(cursor, MAX_BATCH)
            .await
            .map_err(CycleAbort::plugin("reading discovery batches"))?
        {
            Batch::Items(items) => items.into_iter().for_each(|item| grouper.accept(item)),
            Batch::Done(completeness) => {
                return Ok(grouper.finish(completeness == Completeness::Truncated));
            }
        }
    }
}

/// Sorts discovered items into their spaces.
struct Grouper<'p> {
    policy: Option<&'p AttachmentPolicy>,
    diagnostics: Diagnostics,
    tenant: &'p str,
    spaces: Vec<DiscoveredSpace>,
    space_index: HashMap<String, usize>,
    /// Page id → its space's index.
    page_space: HashMap<String, usize>,
    attachment_keys: HashSet<(String, String)>,
}

impl<'p> Grouper<'p> {
    fn new(
        policy: Option<&'p AttachmentPolicy>,
        diagnostics: Diagnostics,
        tenant: &'p str,
    ) -> Self {
        Self {
            policy,
            diagnostics,
            tenant,
            spaces: Vec::new(),
            space_index: HashMap::new(),
            page_space: HashMap::new(),
            attachment_keys: HashSet::new(),
        }
    }

    fn accept(&mut self, item: Item) {
        match item {
            Item::Page(page) => self.accept_page(page),
            Item::Attachment(attachment) => self.accept_attachment(attachment),
        }
    }

    fn reject(&self, what: &str, id: &str, reason: &str) {
        tracing::warn!(tenantName = %self.tenant, item = %self.diagnostics.masked(id), reason, "{what} rejected: it cannot be keyed");
    }

    fn accept_page(&mut self, page: Page) {
        let problems = [
            ("page id", unsafe_id_reason(&page.id)),
            ("space id", unsafe_id_reason(&page.container.id)),
            ("space key", unsafe_id_reason(&page.container.key)),
        ];
        if let Some((field, Some(reason))) =
            problems.into_iter().find(|(_, reason)| reason.is_some())
        {
            self.reject("page", &page.id, &format!("its {field} {reason}"));
            return;
        }
        if self.page_space.contains_key(&page.id) {
            tracing::warn!(tenantName = %self.tenant, item = %self.diagnostics.masked(&page.id), "page reported twice; the first report wins");
            return;
        }
        let index = match self.space_index.get(&page.container.id) {
            Some(index) => *index,
            None => {
                self.spaces.push(DiscoveredSpace {
                    id: page.container.id.clone(),
                    key: page.container.key.clone(),
                    name: page.container.name.clone(),
                    pages: Vec::new(),
                    attachments: Vec::new(),
                });
                self.space_index
                    .insert(page.container.id.clone(), self.spaces.len() - 1);
                self.spaces.len() - 1
            }
        };
        self.page_space.insert(page.id.clone(), index);
        self.spaces[index].pages.push(page);
    }

    fn accept_attachment(&mut self, attachment: Attachment) {
        if let Some(reason) = unsafe_id_reason(&attachment.id) {
            self.reject("attachment", &attachment.id, &format!("its id {reason}"));
            return;
        }
        let Some(&index) = self.page_space.get(&attachment.page_id) else {
            tracing::warn!(tenantName = %self.tenant, item = %self.diagnostics.masked(&attachment.id), "attachment of a page that was not reported (or was rejected) is skipped");
            return;
        };
        let Some(policy) = self.policy else {
            tracing::warn!(tenantName = %self.tenant, item = %self.diagnostics.masked(&attachment.id), "attachment reported although attachments are disabled; skipped");
            return;
        };
        if !is_within_policy(&attachment, policy) {
            tracing::warn!(tenantName = %self.tenant, item = %self.diagnostics.masked(&attachment.id), "attachment outside the tenant's attachment filters; skipped");
            return;
        }
        if !self
            .attachment_keys
            .insert((attachment.page_id.clone(), attachment.id.clone()))
        {
            return;
        }
        self.spaces[index].attachments.push(attachment);
    }

    fn finish(self, truncated: bool) -> Discovery {
        Discovery {
            spaces: self.spaces,
            truncated,
        }
    }
}

/// The attachment filters of sync-flow §4 step 7 (the plugin applies them too).
fn is_within_policy(attachment: &Attachment, policy: &AttachmentPolicy) -> bool {
    let mime = normalised_mime(&attachment.media_type);
    attachment.size <= policy.max_file_size
        && policy
            .allowed_mime_types
            .iter()
            .any(|allowed| allowed == &mime)
        && !(policy.inline_images && mime.starts_with("image/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin_runtime::bindings::latest::types::Container;
    use crate::plugin_runtime::source::Download;

    fn page(id: &str, space_id: &str, space_key: &str) -> Item {
        Item::Page(Page {
            id: id.into(),
            kind: "page".into(),
            title: format!("Page {id}"),
            container: Container {
                id: space_id.into(),
                key: space_key.into(),
                name: "Space".into(),
            },
            labels: Vec::new(),
            updated_at: "2025-01-01T00:00:00.000Z".into(),
            url: format!("https://wiki/{id}"),
        })
    }

    fn attachment(id: &str, page_id: &str, media_type: &str, size: u64) -> Item {
        Item::Attachment(Attachment {
            id: id.into(),
            page_id: page_id.into(),
            title: format!("{id}.bin"),
            media_type: media_type.into(),
            size,
            updated_at: String::new(),
            url: format!("https://wiki/{page_id}/{id}"),
            download: Download {
                url: format!("https://wiki/download/{id}"),
                headers: Vec::new(),
            },
        })
    }

    fn policy(inline_images: bool) -> AttachmentPolicy {
        AttachmentPolicy {
            allowed_mime_types: vec!["application/pdf".into(), "image/png".into()],
            max_file_size: 1000,
            inline_images,
        }
    }

    fn group(items: Vec<Item>, policy: Option<&AttachmentPolicy>) -> Discovery {
        let mut grouper = Grouper::new(policy, Diagnostics::Disclose, "acme");
        items.into_iter().for_each(|item| grouper.accept(item));
        grouper.finish(false)
    }

    #[test]
    fn items_are_grouped_by_space_in_first_seen_order_and_duplicates_dropped() {
        let policy = policy(false);
        let discovery = group(
            vec![
                page("1", "20", "OPS"),
                page("2", "10", "ENG"),
                page("3", "20", "OPS"),
                page("1", "20", "OPS"),
            ],
            Some(&policy),
        );
        let spaces: Vec<(&str, Vec<&str>)> = discovery
            .spaces
            .iter()
            .map(|space| {
                (
                    space.key.as_str(),
                    space.pages.iter().map(|page| page.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(spaces, [("OPS", vec!["1", "3"]), ("ENG", vec!["2"])]);
    }

    #[test]
    fn ids_and_keys_that_cannot_be_keyed_are_rejected_with_their_attachments() {
        let policy = policy(false);
        let discovery = group(
            vec![
                page("1/2", "10", "ENG"),
                page("3", "10", "EN:G"),
                page("4", "1:0", "ENG"),
                page("5", "10", "ENG"),
                attachment("a6", "3", "application/pdf", 10),
                attachment("a::7", "5", "application/pdf", 10),
                attachment("a8", "5", "application/pdf", 10),
            ],
            Some(&policy),
        );
        assert_eq!(discovery.page_count(), 1);
        let attachments: Vec<&str> = discovery.spaces[0]
            .attachments
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(attachments, ["a8"]);
    }

    #[test]
    fn attachments_outside_the_policy_are_dropped() {
        let items = || {
            vec![
                page("5", "10", "ENG"),
                attachment("ok", "5", "Application/PDF; q=1", 1000),
                attachment("big", "5", "application/pdf", 1001),
                attachment("zip", "5", "application/zip", 10),
                attachment("png", "5", "image/png", 10),
            ]
        };
        let kept = |discovery: Discovery| -> Vec<String> {
            discovery.spaces[0]
                .attachments
                .iter()
                .map(|a| a.id.clone())
                .collect()
        };
        assert_eq!(kept(group(items(), Some(&policy(false)))), ["ok", "png"]);
        assert_eq!(
            kept(group(items(), Some(&policy(true)))),
            ["ok"],
            "images are inlined, not ingested"
        );
        assert!(
            kept(group(items(), None)).is_empty(),
            "attachments disabled"
        );
    }

    #[test]
    fn mime_types_are_normalised_before_filtering() {
        assert_eq!(
            normalised_mime(" Application/PDF ; charset=binary"),
            "application/pdf"
        );
        assert_eq!(normalised_mime("image/png"), "image/png");
    }
}
