use std::collections::BTreeMap;

use super::*;
use crate::config::{AttachmentPolicy, InlineImages};
use crate::model::Attachment;
use crate::test_support::policy;

fn image_policy() -> AttachmentPolicy {
    policy(
        &["image/png", "image/jpeg", "application/pdf"],
        100,
        InlineImages::Enabled,
    )
}

fn attachment(id: &str, title: &str, mime: &str, size: u64, when: Option<&str>) -> Attachment {
    Attachment {
        id: id.into(),
        title: title.into(),
        media_type: mime.into(),
        file_size: size,
        version_when: when.map(Into::into),
        download_url: format!("https://dl/{id}"),
    }
}

/// Runs the three steps; every download URL listed gets `bytes_for(url)` unless it is `None`.
fn inline(
    body: &str,
    own: Vec<Attachment>,
    other_pages: BTreeMap<PageRef, Vec<Attachment>>,
    bytes_for: impl Fn(&str) -> Option<Vec<u8>>,
) -> (String, Vec<ImageDownload>) {
    let plan = InlinePlan::new(body.to_owned(), own, "ENG", &image_policy());
    let resolved = plan.resolve(&other_pages);
    let downloads = resolved.downloads();
    let images = downloads
        .iter()
        .filter_map(|d| bytes_for(&d.url).map(|b| (d.url.clone(), b)))
        .collect();
    (resolved.apply(&images), downloads)
}

fn bytes(url: &str) -> Option<Vec<u8>> {
    Some(
        url.rsplit('/')
            .next()
            .unwrap_or_default()
            .as_bytes()
            .to_vec(),
    )
}

/// base64 of the last URL segment, as produced by `bytes`.
fn b64(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(id)
}

#[test]
fn same_page_macro_is_replaced_with_exact_img_markup() {
    let body = r#"<p>a</p><ac:image ac:alt="Dia &quot;1&quot; &lt;x&gt; &amp; y" ac:title="T" ac:width="300" ac:height="200"><ri:attachment ri:filename="d.png"/></ac:image><p>b</p>"#;
    let (out, _) = inline(
        body,
        vec![attachment("att1", "d.png", "image/PNG; q=1", 5, None)],
        BTreeMap::new(),
        bytes,
    );
    assert_eq!(
        out,
        format!(
            r#"<p>a</p><img src="data:image/png;base64,{}" alt="Dia &quot;1&quot; &lt;x> &amp; y" title="T" width="300" height="200" /><p>b</p>"#,
            b64("att1")
        )
    );
}

#[test]
fn alt_falls_back_to_the_file_name_and_absent_attributes_are_omitted() {
    let body = r#"<ac:image><ri:attachment ri:filename="a&amp;b.png"/></ac:image>"#;
    let (out, _) = inline(
        body,
        vec![attachment("att1", "a&b.png", "image/png", 5, None)],
        BTreeMap::new(),
        bytes,
    );
    assert_eq!(
        out,
        format!(
            r#"<img src="data:image/png;base64,{}" alt="a&amp;b.png" />"#,
            b64("att1")
        )
    );
}

#[test]
fn several_macros_after_multibyte_text_are_all_replaced() {
    let body = "<p>Größe 😀</p><ac:image><ri:attachment ri:filename=\"a.png\"/></ac:image>—<ac:image><ri:attachment ri:filename=\"b.png\"/></ac:image>ü";
    let own = vec![
        attachment("att1", "a.png", "image/png", 5, None),
        attachment("att2", "b.png", "image/png", 5, None),
    ];
    let (out, _) = inline(body, own, BTreeMap::new(), bytes);
    assert_eq!(
        out,
        format!(
            "<p>Größe 😀</p><img src=\"data:image/png;base64,{}\" alt=\"a.png\" />—<img src=\"data:image/png;base64,{}\" alt=\"b.png\" />ü",
            b64("att1"),
            b64("att2")
        )
    );
}

#[test]
fn external_self_closed_and_unclosed_macros_stay_untouched() {
    let body = r#"<ac:image><ri:url ri:value="https://x/y.png"/></ac:image><ac:image ac:alt="s"/><p><ac:image><ri:attachment ri:filename="a.png"/></p>"#;
    let (out, downloads) = inline(
        body,
        vec![attachment("att1", "a.png", "image/png", 5, None)],
        BTreeMap::new(),
        bytes,
    );
    // a.png is referenced only by an unclosed macro, so it is appended as an orphan.
    assert_eq!(downloads.len(), 1);
    assert_eq!(
        out,
        format!(
            r#"{body}<p><img src="data:image/png;base64,{}" alt="a.png" /></p>"#,
            b64("att1")
        )
    );
}

#[test]
fn filtered_images_keep_their_macro() {
    let body = r#"<ac:image><ri:attachment ri:filename="doc.pdf"/></ac:image><ac:image><ri:attachment ri:filename="anim.gif"/></ac:image><ac:image><ri:attachment ri:filename="huge.png"/></ac:image><ac:image><ri:attachment ri:filename="missing.png"/></ac:image>"#;
    let own = vec![
        attachment("att1", "doc.pdf", "application/pdf", 5, None),
        attachment("att2", "anim.gif", "image/gif", 5, None),
        attachment("att3", "huge.png", "image/png", 101, None),
    ];
    let plan = InlinePlan::new(body.to_owned(), own, "ENG", &image_policy());
    let resolved = plan.resolve(&BTreeMap::new());
    assert!(resolved.downloads().is_empty());
    assert_eq!(resolved.notes().len(), 4, "{:?}", resolved.notes());
    assert_eq!(resolved.apply(&BTreeMap::new()), body);
}

#[test]
fn image_exactly_at_the_size_limit_is_inlined() {
    let body = r#"<ac:image><ri:attachment ri:filename="a.png"/></ac:image>"#;
    let (out, _) = inline(
        body,
        vec![attachment("att1", "a.png", "image/png", 100, None)],
        BTreeMap::new(),
        bytes,
    );
    assert!(
        out.starts_with("<img src=\"data:image/png;base64,"),
        "{out}"
    );
}

#[test]
fn other_page_images_are_looked_up_by_space_and_title() {
    let body = r#"<ac:image><ri:attachment ri:filename="x.png"><ri:page ri:content-title="Other &amp; co" ri:space-key="OPS"/></ri:attachment></ac:image><ac:image><ri:attachment ri:filename="y.png"><ri:page ri:content-title="Local"/></ri:attachment></ac:image><ac:image><ri:attachment ri:filename="z.png"><ri:page ri:content-title="Gone"/></ri:attachment></ac:image>"#;
    let plan = InlinePlan::new(body.to_owned(), vec![], "ENG", &image_policy());
    let ops = PageRef {
        space_key: "OPS".into(),
        title: "Other & co".into(),
    };
    let local = PageRef {
        space_key: "ENG".into(),
        title: "Local".into(),
    };
    let gone = PageRef {
        space_key: "ENG".into(),
        title: "Gone".into(),
    };
    assert_eq!(plan.lookups(), vec![gone, local.clone(), ops.clone()]);
    let other_pages = BTreeMap::from([
        (ops, vec![attachment("att7", "x.png", "image/png", 5, None)]),
        (
            local,
            vec![attachment("att8", "y.png", "image/jpeg", 5, None)],
        ),
    ]);
    let resolved = plan.resolve(&other_pages);
    let images = resolved
        .downloads()
        .iter()
        .filter_map(|d| bytes(&d.url).map(|b| (d.url.clone(), b)))
        .collect();
    let out = resolved.apply(&images);
    let gone_macro = r#"<ac:image><ri:attachment ri:filename="z.png"><ri:page ri:content-title="Gone"/></ri:attachment></ac:image>"#;
    assert_eq!(
        out,
        format!(
            r#"<img src="data:image/png;base64,{}" alt="x.png" /><img src="data:image/jpeg;base64,{}" alt="y.png" />{gone_macro}"#,
            b64("att7"),
            b64("att8")
        )
    );
}

#[test]
fn unreferenced_own_images_are_appended_in_list_order() {
    let body = r#"<p>x</p><ac:image><ri:attachment ri:filename="used.png"/></ac:image>"#;
    let own = vec![
        attachment("att3", "z-last.png", "image/png", 5, None),
        attachment("att1", "used.png", "image/png", 5, None),
        attachment("att4", "doc.pdf", "application/pdf", 5, None),
        attachment("att5", "big.png", "image/png", 500, None),
        attachment("att2", "a \"first\".png", "image/png", 5, None),
    ];
    let (out, _) = inline(body, own, BTreeMap::new(), bytes);
    assert_eq!(
        out,
        format!(
            r#"<p>x</p><img src="data:image/png;base64,{}" alt="used.png" /><p><img src="data:image/png;base64,{}" alt="z-last.png" /></p><p><img src="data:image/png;base64,{}" alt="a &quot;first&quot;.png" /></p>"#,
            b64("att1"),
            b64("att3"),
            b64("att2")
        )
    );
}

#[test]
fn failed_download_keeps_the_macro_and_omits_the_appended_image() {
    let body = r#"<ac:image><ri:attachment ri:filename="a.png"/></ac:image>"#;
    let own = vec![
        attachment("att1", "a.png", "image/png", 5, None),
        attachment("att2", "b.png", "image/png", 5, None),
    ];
    let (out, downloads) = inline(body, own, BTreeMap::new(), |_| None);
    assert_eq!(downloads.len(), 2);
    assert_eq!(out, body);
}

#[test]
fn duplicate_file_names_resolve_to_the_newest_version_then_lowest_id() {
    let body = r#"<ac:image><ri:attachment ri:filename="d.png"/></ac:image>"#;
    let own = vec![
        attachment(
            "att1",
            "d.png",
            "image/png",
            5,
            Some("2025-01-01T00:00:00Z"),
        ),
        attachment(
            "att2",
            "d.png",
            "image/png",
            5,
            Some("2025-01-01T02:00:00+01:00"),
        ),
        attachment(
            "att3",
            "d.png",
            "image/png",
            5,
            Some("2024-12-31T00:00:00Z"),
        ),
    ];
    let (out, downloads) = inline(body, own, BTreeMap::new(), bytes);
    // att2 is 01:00Z, the newest; duplicates of a referenced name are never appended.
    assert_eq!(downloads.len(), 1);
    assert!(out.contains(&b64("att2")), "{out}");

    let tie = vec![
        attachment(
            "att10",
            "d.png",
            "image/png",
            5,
            Some("2025-01-01T00:00:00Z"),
        ),
        attachment(
            "att9",
            "d.png",
            "image/png",
            5,
            Some("2025-01-01T00:00:00.000Z"),
        ),
    ];
    let (out, _) = inline(body, tie, BTreeMap::new(), bytes);
    assert!(out.contains(&b64("att9")), "{out}");
}

#[test]
fn the_same_image_used_twice_is_downloaded_once() {
    let body = r#"<ac:image><ri:attachment ri:filename="a.png"/></ac:image><ac:image ac:alt="again"><ri:attachment ri:filename="a.png"/></ac:image>"#;
    let (out, downloads) = inline(
        body,
        vec![attachment("att1", "a.png", "image/png", 5, None)],
        BTreeMap::new(),
        bytes,
    );
    assert_eq!(downloads.len(), 1);
    assert_eq!(out.matches("<img ").count(), 2);
}

#[test]
fn attribute_escaping_replaces_ampersand_first() {
    assert_eq!(escape_attribute(r#"&quot; "<>"#), "&amp;quot; &quot;&lt;>");
}
