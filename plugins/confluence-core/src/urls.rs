//! Request URLs (C1–C6, D1–D6), resolution of links found in answers (`confluence-api.md` §6.2)
//! and web URLs of pages and attachments (§9).

use crate::config::{Instance, Settings};
use crate::cql;
use crate::encoding::encode_query_value;
use crate::request::HttpGet;

/// Endpoint names for metrics, one per kind of call (ids replaced by `{id}`).
pub mod endpoint {
    /// C1, C2, C3, D1, D2 and the batched body search.
    pub const CONTENT_SEARCH: &str = "/rest/api/content/search";
    /// D3.
    pub const CONTENT_BY_ID: &str = "/rest/api/content/{id}";
    /// C4, D4.
    pub const CONTENT_BY_TITLE: &str = "/rest/api/content";
    /// C5.
    pub const PAGE_ATTACHMENTS_V2: &str = "/api/v2/pages/{id}/attachments";
    /// C5b.
    pub const BLOGPOST_ATTACHMENTS_V2: &str = "/api/v2/blogposts/{id}/attachments";
    /// D5.
    pub const CHILD_ATTACHMENTS: &str = "/rest/api/content/{id}/child/attachment";
    /// C6.
    pub const CLOUD_DOWNLOAD: &str = "/rest/api/content/{id}/child/attachment/{id}/download";
    /// D6.
    pub const DC_DOWNLOAD: &str = "/download/attachments";
}

/// Page size of v2 attachment lists (C5, C5b).
const V2_ATTACHMENT_PAGE_SIZE: u32 = 250;

/// Page size of discovery searches.
const SEARCH_PAGE_SIZE: u32 = 100;

/// The `_links.context` and `_links.base` of one answer, used to resolve its relative links.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkContext {
    /// `_links.context`.
    pub context: Option<String>,
    /// `_links.base`.
    pub base: Option<String>,
}

impl LinkContext {
    /// This context, with gaps filled from `outer` (an inner `_links` inherits the answer's).
    pub fn or(&self, outer: &LinkContext) -> LinkContext {
        LinkContext {
            context: self.context.clone().or_else(|| outer.context.clone()),
            base: self.base.clone().or_else(|| outer.base.clone()),
        }
    }
}

/// Whether an item is a page or a blog post, for the endpoints that differ (C5 / C5b).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachmentOwner {
    /// C5.
    Page,
    /// C5b.
    BlogPost,
}

/// Builds every URL the plugins need for one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    cloud: bool,
    /// API root with context: Cloud `{apiBase}/wiki`, DC `{baseUrl}`.
    root: String,
    /// Context path used when an answer gives none: Cloud `/wiki`, DC the path of `baseUrl`.
    default_context: String,
    /// The configured site URL (web URLs).
    base_url: String,
    attachments_enabled: bool,
}

impl Api {
    /// The URL builder for validated settings.
    pub fn new(settings: &Settings) -> Self {
        let (cloud, root, default_context) = match &settings.instance {
            Instance::Cloud { api_base, .. } => {
                (true, format!("{api_base}/wiki"), "/wiki".to_owned())
            }
            Instance::DataCenter => (
                false,
                settings.base_url.clone(),
                url_path(&settings.base_url).to_owned(),
            ),
        };
        Self {
            cloud,
            root,
            default_context,
            base_url: settings.base_url.clone(),
            attachments_enabled: settings.policy.attachments.is_some(),
        }
    }

    /// Whether this is Cloud.
    pub fn is_cloud(&self) -> bool {
        self.cloud
    }

    /// The API root with context (Cloud `{apiBase}/wiki`, DC `{baseUrl}`).
    pub fn root(&self) -> &str {
        &self.root
    }

    fn search(&self, cql: &str, expand: &str, tail: &str) -> HttpGet {
        HttpGet::json(
            format!(
                "{}/rest/api/content/search?cql={}&expand={expand}{tail}",
                self.root,
                encode_query_value(cql)
            ),
            endpoint::CONTENT_SEARCH,
        )
    }

    /// C1 / D1: the label search.
    pub fn label_search(&self, labels: &crate::config::IngestLabels) -> HttpGet {
        let cql = if self.cloud {
            cql::label_search_cloud(labels)
        } else {
            cql::label_search_data_center(labels)
        };
        self.search(
            &cql,
            cql::discovery_expand(self.attachments_enabled),
            &format!("&limit={SEARCH_PAGE_SIZE}&start=0"),
        )
    }

    /// C2 / D2: descendants of at most [`cql::MAX_DESCENDANT_ROOTS`] roots.
    pub fn descendants(&self, root_ids: &[String]) -> HttpGet {
        self.search(
            &cql::descendants(root_ids),
            cql::discovery_expand(self.attachments_enabled),
            &format!("&limit={SEARCH_PAGE_SIZE}"),
        )
    }

    /// Batched body fetch: `id in (...)` with bodies expanded, `limit` = the batch size.
    pub fn body_batch(&self, page_ids: &[String], with_attachments: bool) -> HttpGet {
        self.search(
            &cql::id_batch(page_ids),
            body_expand(with_attachments),
            &format!("&limit={}", page_ids.len()),
        )
    }

    /// C3 / D3: one page body. Cloud answers a result list, DC a single content object.
    pub fn body_single(&self, page_id: &str, with_attachments: bool) -> HttpGet {
        let expand = body_expand(with_attachments);
        if self.cloud {
            self.search(&cql::single_id(page_id), expand, "")
        } else {
            HttpGet::json(
                format!("{}/rest/api/content/{page_id}?expand={expand}", self.root),
                endpoint::CONTENT_BY_ID,
            )
        }
    }

    /// C4 / D4: a page by space key and title (image inlining).
    pub fn page_by_title(&self, space_key: &str, title: &str) -> HttpGet {
        HttpGet::json(
            format!(
                "{}/rest/api/content?spaceKey={}&title={}&type=page&expand={}",
                self.root,
                encode_query_value(space_key),
                encode_query_value(title),
                cql::discovery_expand(self.attachments_enabled)
            ),
            endpoint::CONTENT_BY_TITLE,
        )
    }

    /// C5 / C5b: the full v2 attachment list of a page or blog post (Cloud).
    pub fn v2_attachments(&self, owner_id: &str, owner: AttachmentOwner) -> HttpGet {
        let (segment, endpoint) = match owner {
            AttachmentOwner::Page => ("pages", endpoint::PAGE_ATTACHMENTS_V2),
            AttachmentOwner::BlogPost => ("blogposts", endpoint::BLOGPOST_ATTACHMENTS_V2),
        };
        HttpGet::json(
            format!(
                "{}/api/v2/{segment}/{owner_id}/attachments?limit={V2_ATTACHMENT_PAGE_SIZE}",
                self.root
            ),
            endpoint,
        )
    }

    /// The download URL of an attachment: Cloud C6 (the `_links.download` answers 500 through
    /// the gateway), DC the resolved `_links.download` (D6).
    pub fn attachment_download(
        &self,
        page_id: &str,
        attachment_id: &str,
        download_link: &str,
        links: &LinkContext,
    ) -> String {
        if self.cloud {
            format!(
                "{}/rest/api/content/{page_id}/child/attachment/{attachment_id}/download",
                self.root
            )
        } else {
            self.resolve_link(download_link, links)
        }
    }

    /// The endpoint name of attachment downloads.
    pub fn download_endpoint(&self) -> &'static str {
        if self.cloud {
            endpoint::CLOUD_DOWNLOAD
        } else {
            endpoint::DC_DOWNLOAD
        }
    }

    /// Resolves a link from an answer (`_links.next`, `children.attachment._links.next`, DC
    /// `_links.download`) against the API root, staying on the API origin (§6.2).
    pub fn resolve_link(&self, link: &str, links: &LinkContext) -> String {
        let context = match (&links.context, &links.base) {
            (Some(context), _) => context.as_str(),
            (None, Some(base)) => url_path(base),
            (None, None) => self.default_context.as_str(),
        };
        let mut rest = if is_absolute(link) {
            path_and_query(link)
        } else {
            link
        };
        if !context.is_empty()
            && let Some(stripped) = rest.strip_prefix(context)
            && stripped.starts_with('/')
        {
            rest = stripped;
        }
        if rest.starts_with('/') {
            format!("{}{rest}", self.root)
        } else {
            format!("{}/{rest}", self.root)
        }
    }

    /// Web URL of a page or blog post (§9).
    pub fn page_web_url(&self, page_id: &str, webui: &str) -> String {
        if self.cloud {
            format!("{}/wiki{webui}", self.base_url)
        } else {
            format!("{}/pages/viewpage.action?pageId={page_id}", self.base_url)
        }
    }

    /// Web URL of an attachment (§9). On Cloud the `att` prefix is removed from the id.
    pub fn attachment_web_url(&self, page_id: &str, attachment_id: &str, title: &str) -> String {
        let (prefix, shown_id) = if self.cloud {
            (
                "/wiki",
                attachment_id.strip_prefix("att").unwrap_or(attachment_id),
            )
        } else {
            ("", attachment_id)
        };
        format!(
            "{}{prefix}/pages/viewpageattachments.action?pageId={page_id}&preview={}",
            self.base_url,
            encode_query_value(&format!("/{page_id}/{shown_id}/{title}"))
        )
    }
}

fn body_expand(with_attachments: bool) -> &'static str {
    if with_attachments {
        cql::EXPAND_BODY_WITH_ATTACHMENTS
    } else {
        cql::EXPAND_BODY
    }
}

fn is_absolute(link: &str) -> bool {
    link.starts_with("https://") || link.starts_with("http://")
}

/// The part of an absolute URL after `scheme://authority`, without the fragment.
fn path_and_query(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let start = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let tail = &after_scheme[start..];
    tail.split_once('#').map_or(tail, |(before, _)| before)
}

/// The path of an absolute URL (no query, no fragment); `""` when it has none.
fn url_path(url: &str) -> &str {
    let tail = path_and_query(url);
    tail.split_once('?').map_or(tail, |(path, _)| path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AttachmentPolicy, IngestLabels, InlineImages, SourcePolicy};

    fn settings(instance: Instance, base_url: &str) -> Settings {
        Settings {
            instance,
            base_url: base_url.into(),
            labels: IngestLabels {
                single: "ai-ingest".into(),
                all: "ai-ingest-all".into(),
            },
            policy: SourcePolicy {
                attachments: Some(AttachmentPolicy {
                    allowed_mime_types: vec!["application/pdf".into()],
                    max_file_size: 1024,
                    inline_images: InlineImages::Disabled,
                }),
                max_items: None,
            },
        }
    }

    fn cloud() -> Api {
        Api::new(&settings(
            Instance::Cloud {
                cloud_id: "c1".into(),
                api_base: "https://api.atlassian.com/ex/confluence/c1".into(),
            },
            "https://acme.atlassian.net",
        ))
    }

    fn dc(base: &str) -> Api {
        Api::new(&settings(Instance::DataCenter, base))
    }

    fn ctx(context: Option<&str>, base: Option<&str>) -> LinkContext {
        LinkContext {
            context: context.map(Into::into),
            base: base.map(Into::into),
        }
    }

    const GW: &str = "https://api.atlassian.com/ex/confluence/c1/wiki";

    #[test]
    fn cloud_label_search_url_is_exact() {
        let labels = IngestLabels {
            single: "ai-ingest".into(),
            all: "ai-ingest-all".into(),
        };
        let request = cloud().label_search(&labels);
        assert_eq!(
            request.url,
            format!(
                "{GW}/rest/api/content/search?cql=((label%3D%22ai-ingest%22)%20OR%20(label%3D%22ai-ingest-all%22))%20AND%20(space.type%3Dglobal%20OR%20space.type%3Dcollaboration)%20AND%20type%20!%3D%20attachment&expand=metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions&limit=100&start=0"
            )
        );
        assert_eq!(request.endpoint, endpoint::CONTENT_SEARCH);
        assert!(
            request
                .headers
                .contains(&("Accept".into(), "application/json".into()))
        );
    }

    #[test]
    fn data_center_descendants_url_has_no_start() {
        let request =
            dc("https://wiki.example.com/confluence").descendants(&["1".into(), "2".into()]);
        assert_eq!(
            request.url,
            "https://wiki.example.com/confluence/rest/api/content/search?cql=ancestor%20IN%20(1%2C2)%20AND%20type%20!%3D%20attachment&expand=metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions&limit=100"
        );
    }

    #[test]
    fn single_body_urls_differ_per_product() {
        assert_eq!(
            cloud().body_single("42", false).url,
            format!(
                "{GW}/rest/api/content/search?cql=id%3D42&expand=body.storage,version,space,metadata.labels"
            )
        );
        assert_eq!(
            dc("https://w.example").body_single("42", false).url,
            "https://w.example/rest/api/content/42?expand=body.storage,version,space,metadata.labels"
        );
    }

    #[test]
    fn batched_body_url_uses_id_in_and_batch_limit() {
        assert_eq!(
            cloud().body_batch(&["1".into(), "2".into()], false).url,
            format!(
                "{GW}/rest/api/content/search?cql=id%20in%20(1%2C2)&expand=body.storage,version,space,metadata.labels&limit=2"
            )
        );
    }

    #[test]
    fn page_by_title_encodes_space_key_and_title() {
        assert_eq!(
            dc("https://w.example")
                .page_by_title("ENG", "Design & plans")
                .url,
            "https://w.example/rest/api/content?spaceKey=ENG&title=Design%20%26%20plans&type=page&expand=metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions"
        );
    }

    #[test]
    fn blog_posts_use_the_blogposts_attachment_endpoint() {
        assert_eq!(
            cloud().v2_attachments("7", AttachmentOwner::BlogPost).url,
            format!("{GW}/api/v2/blogposts/7/attachments?limit=250")
        );
        assert_eq!(
            cloud().v2_attachments("7", AttachmentOwner::Page).url,
            format!("{GW}/api/v2/pages/7/attachments?limit=250")
        );
    }

    #[test]
    fn cloud_download_uses_c6_with_att_prefix() {
        assert_eq!(
            cloud().attachment_download("100", "att200", "/download/x", &LinkContext::default()),
            format!("{GW}/rest/api/content/100/child/attachment/att200/download")
        );
    }

    #[test]
    fn cloud_links_with_and_without_wiki_resolve_to_the_gateway() {
        let api = cloud();
        let links = ctx(Some("/wiki"), Some("https://acme.atlassian.net/wiki"));
        assert_eq!(
            api.resolve_link("/wiki/rest/api/content/search?cursor=x", &links),
            format!("{GW}/rest/api/content/search?cursor=x")
        );
        assert_eq!(
            api.resolve_link("/rest/api/content/search?cursor=x", &links),
            format!("{GW}/rest/api/content/search?cursor=x")
        );
        assert_eq!(
            api.resolve_link(
                "/wiki/api/v2/pages/100/attachments?cursor=c&limit=250",
                &links
            ),
            format!("{GW}/api/v2/pages/100/attachments?cursor=c&limit=250")
        );
    }

    #[test]
    fn context_falls_back_to_the_path_of_base_then_the_default() {
        let api = cloud();
        let base_only = ctx(None, Some("https://acme.atlassian.net/wiki"));
        assert_eq!(
            api.resolve_link("/wiki/api/v2/x", &base_only),
            format!("{GW}/api/v2/x")
        );
        assert_eq!(
            api.resolve_link("/wiki/api/v2/x", &LinkContext::default()),
            format!("{GW}/api/v2/x")
        );
    }

    #[test]
    fn empty_context_strips_nothing() {
        assert_eq!(
            cloud().resolve_link("/wiki/api/v2/x", &ctx(Some(""), None)),
            format!("{GW}/wiki/api/v2/x")
        );
    }

    #[test]
    fn absolute_links_keep_only_path_and_query() {
        assert_eq!(
            cloud().resolve_link(
                "https://acme.atlassian.net/wiki/rest/api/content/search?cursor=y#frag",
                &ctx(Some("/wiki"), None)
            ),
            format!("{GW}/rest/api/content/search?cursor=y")
        );
    }

    #[test]
    fn data_center_context_path_is_stripped_once() {
        let api = dc("https://wiki.example.com/confluence");
        let links = ctx(
            Some("/confluence"),
            Some("https://wiki.example.com/confluence"),
        );
        for link in [
            "/confluence/rest/api/content/search?start=100",
            "/rest/api/content/search?start=100",
        ] {
            assert_eq!(
                api.resolve_link(link, &links),
                "https://wiki.example.com/confluence/rest/api/content/search?start=100"
            );
        }
        // Default context is the path of the configured base URL.
        assert_eq!(
            api.resolve_link(
                "/confluence/download/attachments/1/a.pdf?version=1",
                &LinkContext::default()
            ),
            "https://wiki.example.com/confluence/download/attachments/1/a.pdf?version=1"
        );
    }

    #[test]
    fn context_prefix_is_only_stripped_at_a_segment_boundary() {
        let api = dc("https://w.example/confluence");
        assert_eq!(
            api.resolve_link("/confluence2/x", &ctx(Some("/confluence"), None)),
            "https://w.example/confluence/confluence2/x"
        );
    }

    #[test]
    fn data_center_without_context_path_resolves_downloads_on_base() {
        let api = dc("https://w.example");
        assert_eq!(
            api.attachment_download(
                "1",
                "2",
                "/download/attachments/1/a.pdf?version=1&api=v2",
                &LinkContext::default()
            ),
            "https://w.example/download/attachments/1/a.pdf?version=1&api=v2"
        );
    }

    #[test]
    fn cloud_web_urls_follow_the_spec_example() {
        let api = cloud();
        assert_eq!(
            api.page_web_url("100", "/spaces/SP/pages/100/Title"),
            "https://acme.atlassian.net/wiki/spaces/SP/pages/100/Title"
        );
        assert_eq!(
            api.attachment_web_url("100", "att200", "report (final).pdf"),
            "https://acme.atlassian.net/wiki/pages/viewpageattachments.action?pageId=100&preview=%2F100%2F200%2Freport%20(final).pdf"
        );
    }

    #[test]
    fn data_center_web_urls_use_page_id_and_raw_attachment_id() {
        let api = dc("https://w.example/confluence");
        assert_eq!(
            api.page_web_url("100", "/display/X"),
            "https://w.example/confluence/pages/viewpage.action?pageId=100"
        );
        assert_eq!(
            api.attachment_web_url("100", "200", "a b.pdf"),
            "https://w.example/confluence/pages/viewpageattachments.action?pageId=100&preview=%2F100%2F200%2Fa%20b.pdf"
        );
    }
}
