//! Core values turned into the WIT values the host receives: discovered items, completeness,
//! fetched pages and the source identity. A Confluence space is a WIT `container`.

use confluence_core::content::{FetchOutcome, FetchedPage};
use confluence_core::identity::SourceIdentity;
use confluence_core::model::Space;
use confluence_core::selection::{
    Completeness, DiscoveredAttachment, DiscoveredItem, DiscoveredPage,
};
use connector_plugin_sdk::Container;
use connector_plugin_sdk::source as wit;

/// MIME type of page bodies: Confluence storage format is XHTML.
const PAGE_BODY_MIME_TYPE: &str = "text/html";

/// Sent with attachment downloads, so the host counts the file's own bytes against `size`
/// (`confluence-api.md` §7).
const DOWNLOAD_HEADERS: [(&str, &str); 1] = [("Accept-Encoding", "identity")];

/// A discovered page or attachment.
pub fn item(item: DiscoveredItem) -> wit::Item {
    match item {
        DiscoveredItem::Page(page) => wit::Item::Page(self::page(page)),
        DiscoveredItem::Attachment(attachment) => {
            wit::Item::Attachment(self::attachment(attachment))
        }
    }
}

fn page(page: DiscoveredPage) -> wit::Page {
    wit::Page {
        id: page.id,
        kind: page.kind.as_str().to_owned(),
        title: page.title,
        container: container(page.space),
        labels: page.labels,
        updated_at: page.updated_at,
        url: page.url,
    }
}

fn attachment(attachment: DiscoveredAttachment) -> wit::Attachment {
    wit::Attachment {
        id: attachment.id,
        page_id: attachment.page_id,
        title: attachment.title,
        media_type: attachment.media_type,
        size: attachment.size,
        updated_at: attachment.updated_at,
        url: attachment.url,
        download: wit::Download {
            url: attachment.download_url,
            headers: DOWNLOAD_HEADERS
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        },
    }
}

fn container(space: Space) -> Container {
    Container {
        id: space.id,
        key: space.key,
        name: space.name,
    }
}

/// Whether discovery reported everything.
pub fn completeness(completeness: Completeness) -> wit::Completeness {
    match completeness {
        Completeness::Complete => wit::Completeness::Complete,
        Completeness::Truncated => wit::Completeness::Truncated,
    }
}

/// The outcome for one requested page id.
pub fn fetched_page(fetched: FetchedPage) -> wit::FetchedPage {
    let outcome = match fetched.outcome {
        FetchOutcome::Found(content) => wit::FetchOutcome::Found(wit::PageContent {
            id: content.id,
            title: content.title,
            container: container(content.space),
            labels: content.labels,
            url: content.url,
            mime_type: PAGE_BODY_MIME_TYPE.to_owned(),
            body: content.body,
        }),
        FetchOutcome::Missing(reason) => wit::FetchOutcome::Missing(reason),
    };
    wit::FetchedPage {
        id: fetched.id,
        outcome,
    }
}

/// Who the source is.
pub fn source_identity(identity: SourceIdentity) -> wit::SourceIdentity {
    wit::SourceIdentity {
        instance_id: identity.instance_id,
        kind: identity.kind.to_owned(),
        name: identity.name,
    }
}

#[cfg(test)]
mod tests {
    use confluence_core::content::PageContent;
    use confluence_core::model::ContentKind;

    use super::*;

    fn space() -> Space {
        Space {
            id: "98307".into(),
            key: "ENG".into(),
            name: "Engineering".into(),
        }
    }

    #[test]
    fn page_keeps_its_kind_and_space_as_container() {
        let wit::Item::Page(page) = item(DiscoveredItem::Page(DiscoveredPage {
            id: "100".into(),
            kind: ContentKind::BlogPost,
            title: "Runbook".into(),
            space: space(),
            labels: vec!["ops".into()],
            updated_at: "2025-03-01T10:00:00.000Z".into(),
            url: "https://acme.atlassian.net/wiki/spaces/ENG/pages/100/Runbook".into(),
        })) else {
            panic!("expected a page")
        };
        assert_eq!(page.kind, "blogpost");
        assert_eq!(
            (
                page.container.id.as_str(),
                page.container.key.as_str(),
                page.container.name.as_str()
            ),
            ("98307", "ENG", "Engineering")
        );
        assert_eq!(page.labels, vec!["ops".to_owned()]);
        assert_eq!(page.updated_at, "2025-03-01T10:00:00.000Z");
    }

    #[test]
    fn attachment_download_asks_for_identity_encoding() {
        let wit::Item::Attachment(attachment) =
            item(DiscoveredItem::Attachment(DiscoveredAttachment {
                id: "att200".into(),
                page_id: "100".into(),
                title: "report.pdf".into(),
                media_type: "application/pdf; charset=binary".into(),
                size: 5120,
                updated_at: "2025-03-01T09:00:00.000Z".into(),
                url: "https://acme.atlassian.net/wiki/pages/viewpageattachments.action?pageId=100"
                    .into(),
                download_url:
                    "https://gw/wiki/rest/api/content/100/child/attachment/att200/download".into(),
            }))
        else {
            panic!("expected an attachment")
        };
        assert_eq!(attachment.page_id, "100");
        assert_eq!(attachment.media_type, "application/pdf; charset=binary");
        assert_eq!(attachment.size, 5120);
        assert_eq!(
            attachment.download.url,
            "https://gw/wiki/rest/api/content/100/child/attachment/att200/download"
        );
        assert_eq!(
            attachment.download.headers,
            vec![("Accept-Encoding".to_owned(), "identity".to_owned())]
        );
    }

    #[test]
    fn found_page_is_html_and_missing_page_keeps_its_reason() {
        let found = fetched_page(FetchedPage {
            id: "100".into(),
            outcome: FetchOutcome::Found(PageContent {
                id: "100".into(),
                title: "Runbook".into(),
                space: space(),
                labels: vec!["a".into(), "b".into()],
                url: "https://w/pages/viewpage.action?pageId=100".into(),
                body: "<p>hi</p>".into(),
            }),
        });
        let wit::FetchOutcome::Found(content) = found.outcome else {
            panic!("expected found")
        };
        assert_eq!(content.mime_type, "text/html");
        assert_eq!(content.body, "<p>hi</p>");
        assert_eq!(content.container.key, "ENG");

        let missing = fetched_page(FetchedPage {
            id: "101".into(),
            outcome: FetchOutcome::Missing("not in the search answer".into()),
        });
        assert_eq!(missing.id, "101");
        assert!(
            matches!(missing.outcome, wit::FetchOutcome::Missing(reason) if reason == "not in the search answer")
        );
    }

    #[test]
    fn truncated_discovery_stays_truncated() {
        assert!(matches!(
            completeness(Completeness::Truncated),
            wit::Completeness::Truncated
        ));
        assert!(matches!(
            completeness(Completeness::Complete),
            wit::Completeness::Complete
        ));
    }
}
