//! Resolution, filtering and replacement of image macros (sync-flow §7.2 steps 2–7), in three
//! sans-IO steps: [`InlinePlan::new`] scans the body and lists the other pages to look up,
//! [`InlinePlan::resolve`] takes their attachment lists and lists the images to download, and
//! [`ResolvedPlan::apply`] takes the downloaded bytes and returns the final body.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::scan::{ImageMacro, ImageSource, find_image_macros};
use crate::config::AttachmentPolicy;
use crate::model::Attachment;
use crate::notice::Notice;

/// Another page referenced by an image macro, looked up with C4/D4.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageRef {
    /// Space key of the page (the macro's, else the referring page's).
    pub space_key: String,
    /// Exact page title.
    pub title: String,
}

/// One image to download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDownload {
    /// Download URL (Cloud C6, DC D6); also the key of the downloaded bytes.
    pub url: String,
    /// Normalised MIME type, used in the data URL.
    pub mime: String,
}

/// A page body with its macros located, waiting for other-page lookups.
#[derive(Clone, Debug)]
pub struct InlinePlan {
    body: String,
    macros: Vec<ImageMacro>,
    own: Vec<Attachment>,
    space_key: String,
    policy: AttachmentPolicy,
    /// Why macros were left untouched, for the plugin to log.
    notes: Vec<Notice>,
}

/// What a macro turned into once resolved.
#[derive(Clone, Debug)]
struct Replacement {
    span: Range<usize>,
    image: ImageDownload,
    alt: String,
    title: Option<String>,
    width: Option<String>,
    height: Option<String>,
}

/// A plan whose images are known, waiting for their bytes.
#[derive(Clone, Debug)]
pub struct ResolvedPlan {
    body: String,
    replacements: Vec<Replacement>,
    appended: Vec<(ImageDownload, String)>,
    notes: Vec<Notice>,
}

impl InlinePlan {
    /// Scans `body` of a page in space `space_key` whose own (full, unfiltered) attachment list
    /// is `own`.
    pub fn new(
        body: String,
        own: Vec<Attachment>,
        space_key: &str,
        policy: &AttachmentPolicy,
    ) -> Self {
        let macros = find_image_macros(&body);
        Self {
            body,
            macros,
            own,
            space_key: space_key.to_owned(),
            policy: policy.clone(),
            notes: Vec::new(),
        }
    }

    /// The other pages whose attachment lists are needed, without duplicates.
    pub fn lookups(&self) -> Vec<PageRef> {
        let mut refs: Vec<PageRef> = self
            .macros
            .iter()
            .filter_map(|m| match &m.source {
                ImageSource::OtherPage {
                    title, space_key, ..
                } => Some(PageRef {
                    space_key: space_key.clone().unwrap_or_else(|| self.space_key.clone()),
                    title: title.clone(),
                }),
                _ => None,
            })
            .collect();
        refs.sort();
        refs.dedup();
        refs
    }

    /// Resolves every macro given the attachment lists of the looked-up pages (a page missing
    /// from `other_pages` was not found), and lists the images to download.
    pub fn resolve(self, other_pages: &BTreeMap<PageRef, Vec<Attachment>>) -> ResolvedPlan {
        let mut notes = self.notes;
        let mut replacements = Vec::new();
        let mut referenced: HashSet<&str> = HashSet::new();
        for image_macro in &self.macros {
            let (filename, candidates, origin) = match &image_macro.source {
                ImageSource::External => continue,
                ImageSource::Unresolvable(reason) => {
                    notes.push(
                        Notice::new("image macro left as is: it cannot be resolved")
                            .plain("reason", reason),
                    );
                    continue;
                }
                ImageSource::SamePage { filename } => {
                    referenced.insert(filename.as_str());
                    (filename, Some(self.own.as_slice()), None)
                }
                ImageSource::OtherPage {
                    filename,
                    title,
                    space_key,
                } => {
                    let page = PageRef {
                        space_key: space_key.clone().unwrap_or_else(|| self.space_key.clone()),
                        title: title.clone(),
                    };
                    let candidates = other_pages.get(&page).map(Vec::as_slice);
                    (filename, candidates, Some(page))
                }
            };
            let Some(candidates) = candidates else {
                notes.push(with_origin(
                    Notice::new("image left as is: the referenced page was not found")
                        .identifying("file", filename),
                    origin.as_ref(),
                ));
                continue;
            };
            let Some(attachment) = newest_named(candidates, filename) else {
                notes.push(with_origin(
                    Notice::new("image left as is: no attachment has that file name")
                        .identifying("file", filename),
                    origin.as_ref(),
                ));
                continue;
            };
            let mime = attachment.normalised_mime();
            if !self.policy.is_inlinable_image(&mime, attachment.file_size) {
                notes.push(
                    Notice::new("image left as is: not an allowed image within the size limit")
                        .identifying("file", filename)
                        .plain("mime", &mime)
                        .plain("size", attachment.file_size),
                );
                continue;
            }
            replacements.push(Replacement {
                span: image_macro.span.clone(),
                image: ImageDownload {
                    url: attachment.download_url.clone(),
                    mime,
                },
                alt: image_macro.alt.clone().unwrap_or_else(|| filename.clone()),
                title: image_macro.title.clone(),
                width: image_macro.width.clone(),
                height: image_macro.height.clone(),
            });
        }
        let appended = self
            .own
            .iter()
            .filter(|a| !referenced.contains(a.title.as_str()))
            .filter(|a| {
                self.policy
                    .is_inlinable_image(&a.normalised_mime(), a.file_size)
            })
            .map(|a| {
                (
                    ImageDownload {
                        url: a.download_url.clone(),
                        mime: a.normalised_mime(),
                    },
                    a.title.clone(),
                )
            })
            .collect();
        ResolvedPlan {
            body: self.body,
            replacements,
            appended,
            notes,
        }
    }
}

/// Adds the other page a macro points to, if any.
fn with_origin(notice: Notice, origin: Option<&PageRef>) -> Notice {
    match origin {
        Some(page) => notice
            .identifying("page_title", &page.title)
            .identifying("space_key", &page.space_key),
        None => notice,
    }
}

/// Among attachments named `filename`, the one with the newest version; ties (and missing or
/// unreadable versions, which count as oldest) go to the lowest id.
fn newest_named<'a>(attachments: &'a [Attachment], filename: &str) -> Option<&'a Attachment> {
    let version = |a: &Attachment| {
        a.version_when
            .as_deref()
            .and_then(|w| OffsetDateTime::parse(w, &Rfc3339).ok())
    };
    attachments
        .iter()
        .filter(|a| a.title == filename)
        .max_by(|a, b| version(a).cmp(&version(b)).then_with(|| compare_ids(b, a)))
}

/// Orders ids by their number (Cloud `att123`, DC `123`), falling back to text.
fn compare_ids(a: &Attachment, b: &Attachment) -> Ordering {
    let number = |id: &str| id.trim_start_matches("att").parse::<u64>().ok();
    match (number(&a.id), number(&b.id)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.id.cmp(&b.id),
    }
}

impl ResolvedPlan {
    /// Every image to download, without duplicates, in body order then appended order.
    pub fn downloads(&self) -> Vec<ImageDownload> {
        let mut seen = HashSet::new();
        self.replacements
            .iter()
            .map(|r| &r.image)
            .chain(self.appended.iter().map(|(image, _)| image))
            .filter(|image| seen.insert(image.url.clone()))
            .cloned()
            .collect()
    }

    /// Why macros were left untouched.
    pub fn notes(&self) -> &[Notice] {
        &self.notes
    }

    /// The final body given the downloaded bytes by URL. A macro whose image is missing stays;
    /// a missing appended image is omitted. Falls back to the original body if a span does not
    /// fit the body (which would mean a scanner bug).
    pub fn apply(self, images: &BTreeMap<String, Vec<u8>>) -> String {
        let mut body = self.body.clone();
        let mut replacements = self.replacements;
        replacements.sort_by_key(|r| std::cmp::Reverse(r.span.start));
        for replacement in &replacements {
            let Some(bytes) = images.get(&replacement.image.url) else {
                continue;
            };
            if body.get(replacement.span.clone()).is_none() {
                return self.body;
            }
            body.replace_range(replacement.span.clone(), &render_img(replacement, bytes));
        }
        for (image, filename) in &self.appended {
            if let Some(bytes) = images.get(&image.url) {
                body.push_str(&format!(
                    "<p><img src=\"{}\" alt=\"{}\" /></p>",
                    data_url(&image.mime, bytes),
                    escape_attribute(filename)
                ));
            }
        }
        body
    }
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", STANDARD.encode(bytes))
}

fn render_img(replacement: &Replacement, bytes: &[u8]) -> String {
    let mut img = format!(
        "<img src=\"{}\" alt=\"{}\"",
        data_url(&replacement.image.mime, bytes),
        escape_attribute(&replacement.alt)
    );
    for (name, value) in [
        ("title", &replacement.title),
        ("width", &replacement.width),
        ("height", &replacement.height),
    ] {
        if let Some(value) = value {
            img.push_str(&format!(" {name}=\"{}\"", escape_attribute(value)));
        }
    }
    img.push_str(" />");
    img
}

/// `&` first, then `"` and `<`.
pub fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
