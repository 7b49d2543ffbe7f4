//! Fetching the full attachment list of an item whose inline list Confluence capped at 25
//! (`confluence-api.md` §6.3): Cloud C5/C5b (v2, replaces the inline list), DC D5 (v1, appended).

use crate::answer::{AnswerError, malformed, successful_body};
use crate::model::{
    Attachment, ContentItem, ContentKind, parse_v1_attachment_list, parse_v2_attachment_list,
};
use crate::request::{HttpGet, HttpResponse};
use crate::urls::{Api, AttachmentOwner, endpoint};

/// How the fetched attachments combine with the inline ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    /// Cloud: the v2 list is complete and replaces the inline list.
    Replace,
    /// DC: `children.attachment._links.next` continues after the inline list.
    Append,
}

/// The pagination of one item's attachment list, driven by requests and answers.
#[derive(Clone, Debug)]
pub struct FullAttachmentList {
    page_id: String,
    merge: Merge,
    attachments: Vec<Attachment>,
    next: Option<HttpGet>,
}

impl FullAttachmentList {
    /// Starts fetching the rest of `item`'s attachments, or `None` when its inline list is
    /// complete.
    pub fn start(item: &ContentItem, api: &Api) -> Option<Self> {
        let inline = item.attachments.as_ref()?;
        if !inline.is_capped() {
            return None;
        }
        if api.is_cloud() {
            let owner = match item.kind {
                ContentKind::Page => AttachmentOwner::Page,
                ContentKind::BlogPost => AttachmentOwner::BlogPost,
                // Other kinds have no attachment endpoint; keep what was inlined.
                _ => return None,
            };
            Some(Self {
                page_id: item.id.clone(),
                merge: Merge::Replace,
                attachments: Vec::new(),
                next: Some(api.v2_attachments(&item.id, owner)),
            })
        } else {
            let next = inline.next.as_ref()?;
            Some(Self {
                page_id: item.id.clone(),
                merge: Merge::Append,
                attachments: inline.results.clone(),
                next: Some(HttpGet::json(next.clone(), endpoint::CHILD_ATTACHMENTS)),
            })
        }
    }

    /// The id of the item whose attachments are fetched.
    pub fn page_id(&self) -> &str {
        &self.page_id
    }

    /// The next request to send, if the list is not complete yet.
    pub fn next_request(&self) -> Option<&HttpGet> {
        self.next.as_ref()
    }

    /// Takes the answer to [`Self::next_request`].
    pub fn on_response(&mut self, response: &HttpResponse, api: &Api) -> Result<(), AnswerError> {
        let Some(request) = self.next.take() else {
            return Ok(());
        };
        let body = successful_body(&request, response)?;
        let page = match self.merge {
            Merge::Replace => parse_v2_attachment_list(body, &self.page_id, api),
            Merge::Append => parse_v1_attachment_list(body, &self.page_id, api),
        }
        .map_err(|e| malformed(&request, e))?;
        self.attachments.extend(page.attachments);
        self.next = page.next.map(|url| HttpGet::json(url, request.endpoint));
        Ok(())
    }

    /// The complete list, once [`Self::next_request`] is `None`.
    pub fn into_attachments(self) -> Vec<Attachment> {
        self.attachments
    }
}

/// Replaces `item`'s inline attachments with a completed list.
pub fn set_full_list(item: &mut ContentItem, attachments: Vec<Attachment>) {
    if let Some(inline) = item.attachments.as_mut() {
        inline.results = attachments;
        inline.next = None;
        inline.size = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_content_list;
    use crate::test_support::{GATEWAY, cloud_api, dc_api};

    fn item_with_attachments(kind: &str, size: u32, links: &str) -> String {
        let atts: Vec<String> = (0..size)
            .map(|i| format!(r#"{{"id":"att{i}","title":"f{i}.pdf","extensions":{{"mediaType":"application/pdf","fileSize":1}},"_links":{{"download":"/download/attachments/1/f{i}.pdf"}}}}"#))
            .collect();
        format!(
            r#"{{"results":[{{"id":"1","type":"{kind}","title":"T","space":{{"id":1,"key":"K","name":"N"}},
            "version":{{"when":"2025-01-01T00:00:00Z"}},"metadata":{{"labels":{{"results":[]}}}},"_links":{{"webui":"/x"}},
            "children":{{"attachment":{{"results":[{}],"start":0,"limit":25,"size":{size},"_links":{links}}}}}}}],"_links":{{}}}}"#,
            atts.join(",")
        )
    }

    #[test]
    fn uncapped_inline_list_needs_no_request() {
        let api = cloud_api();
        let list =
            parse_content_list(item_with_attachments("page", 3, "{}").as_bytes(), &api).unwrap();
        assert!(FullAttachmentList::start(&list.items[0], &api).is_none());
    }

    #[test]
    fn cloud_blog_post_fetches_c5b_and_replaces_the_inline_list() {
        let api = cloud_api();
        let list = parse_content_list(item_with_attachments("blogpost", 25, "{}").as_bytes(), &api)
            .unwrap();
        let mut full = FullAttachmentList::start(&list.items[0], &api).unwrap();
        assert_eq!(
            full.next_request().unwrap().url,
            format!("{GATEWAY}/api/v2/blogposts/1/attachments?limit=250")
        );
        let page1 = br#"{"results":[{"id":"att1","title":"a","mediaType":"a/b","fileSize":1}],
            "_links":{"next":"/wiki/api/v2/blogposts/1/attachments?cursor=n&limit=250"}}"#;
        full.on_response(&HttpResponse::new(200, page1.to_vec()), &api)
            .unwrap();
        assert_eq!(
            full.next_request().unwrap().url,
            format!("{GATEWAY}/api/v2/blogposts/1/attachments?cursor=n&limit=250")
        );
        let page2 = br#"{"results":[{"id":"att2","title":"b","mediaType":"a/b","fileSize":2}],"_links":{}}"#;
        full.on_response(&HttpResponse::new(200, page2.to_vec()), &api)
            .unwrap();
        assert!(full.next_request().is_none());
        let ids: Vec<String> = full.into_attachments().into_iter().map(|a| a.id).collect();
        assert_eq!(ids, vec!["att1", "att2"]);
    }

    #[test]
    fn data_center_capped_list_without_next_needs_no_request() {
        let api = dc_api("https://w.example");
        let list =
            parse_content_list(item_with_attachments("page", 25, "{}").as_bytes(), &api).unwrap();
        assert!(FullAttachmentList::start(&list.items[0], &api).is_none());
    }

    #[test]
    fn data_center_appends_d5_results_to_the_inline_list() {
        let api = dc_api("https://w.example");
        let body = item_with_attachments(
            "page",
            25,
            r#"{"next":"/rest/api/content/1/child/attachment?start=25"}"#,
        );
        let list = parse_content_list(body.as_bytes(), &api).unwrap();
        let mut full = FullAttachmentList::start(&list.items[0], &api).unwrap();
        assert_eq!(
            full.next_request().unwrap().url,
            "https://w.example/rest/api/content/1/child/attachment?start=25"
        );
        let more = br#"{"results":[{"id":"99","title":"z.pdf","extensions":{"mediaType":"application/pdf","fileSize":3},
            "_links":{"download":"/download/attachments/1/z.pdf"}}],"_links":{}}"#;
        full.on_response(&HttpResponse::new(200, more.to_vec()), &api)
            .unwrap();
        let attachments = full.into_attachments();
        assert_eq!(attachments.len(), 26);
        assert_eq!(
            attachments[25].download_url,
            "https://w.example/download/attachments/1/z.pdf"
        );
    }

    #[test]
    fn failed_attachment_page_is_an_error_naming_the_url() {
        let api = cloud_api();
        let list =
            parse_content_list(item_with_attachments("page", 25, "{}").as_bytes(), &api).unwrap();
        let mut full = FullAttachmentList::start(&list.items[0], &api).unwrap();
        let err = full
            .on_response(&HttpResponse::new(410, "gone"), &api)
            .unwrap_err();
        assert!(
            err.to_string().contains("/api/v2/pages/1/attachments"),
            "{err}"
        );
    }
}
