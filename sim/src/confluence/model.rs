//! The Confluence content model of one instance: spaces, content items in parent trees, labels,
//! versions and attachments, with the mutations tests apply between sync cycles.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::Serialize;

use crate::attachment_bytes::AttachmentBytes;
use crate::clock::now_iso;
use crate::scenario::{AttachmentSeed, ContentSeed, ContentType, SpaceSeed, SpaceType};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Space {
    pub id: u64,
    pub key: String,
    pub name: String,
    #[serde(rename = "type")]
    pub space_type: SpaceType,
}

#[derive(Clone, Debug)]
pub struct Content {
    pub id: String,
    pub content_type: ContentType,
    pub title: String,
    pub space_key: String,
    pub parent_id: Option<String>,
    pub labels: Vec<String>,
    pub version: u32,
    pub when: String,
    pub body: Option<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: String,
    pub title: String,
    pub media_type: String,
    pub bytes: AttachmentBytes,
    pub declared_size: Option<u64>,
    pub version: u32,
    pub when: String,
}

impl Attachment {
    fn from_seed(seed: &AttachmentSeed) -> Self {
        let bytes = match &seed.text {
            Some(text) => AttachmentBytes::Literal(Bytes::from(text.clone())),
            None => AttachmentBytes::generated(&seed.id, seed.version, seed.size),
        };
        Attachment {
            id: seed.id.clone(),
            title: seed.title.clone(),
            media_type: seed.media_type.clone(),
            bytes,
            declared_size: seed.declared_size,
            version: seed.version,
            when: seed.updated_at.clone(),
        }
    }

    /// The `fileSize` listings report.
    pub fn file_size(&self) -> u64 {
        self.declared_size.unwrap_or_else(|| self.bytes.len())
    }
}

/// Errors of model mutations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("content {0} does not exist")]
    NoContent(String),
    #[error("space {0} does not exist")]
    NoSpace(String),
    #[error("attachment {attachment} does not exist on content {content}")]
    NoAttachment { content: String, attachment: String },
    #[error("content id {0} is not numeric")]
    NonNumericId(String),
    #[error("content id {0} already exists")]
    DuplicateId(String),
}

/// A content item or one of its attachments: the things CQL ranges over.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    Content(&'a Content),
    Attachment(&'a Content, &'a Attachment),
}

/// All state of one Confluence instance.
#[derive(Clone, Debug, Default)]
pub struct ConfluenceModel {
    spaces: Vec<Space>,
    /// Content by numeric id, so iteration order is id order (stable search results).
    contents: BTreeMap<u64, Content>,
    /// Attachment id → numeric id of its container.
    attachment_owner: HashMap<String, u64>,
}

fn numeric_id(id: &str) -> Result<u64, ModelError> {
    id.parse::<u64>()
        .map_err(|_| ModelError::NonNumericId(id.to_owned()))
}

impl ConfluenceModel {
    pub fn from_spaces(seeds: &[SpaceSeed]) -> Result<Self, ModelError> {
        let mut model = ConfluenceModel::default();
        for seed in seeds {
            model.spaces.push(Space {
                id: seed.id,
                key: seed.key.clone(),
                name: seed.name.clone(),
                space_type: seed.space_type,
            });
            for content in &seed.contents {
                model.insert_content(&seed.key, content)?;
            }
        }
        Ok(model)
    }

    /// Adds a new content item to a space.
    pub fn insert_content(
        &mut self,
        space_key: &str,
        seed: &ContentSeed,
    ) -> Result<(), ModelError> {
        if self.space(space_key).is_none() {
            return Err(ModelError::NoSpace(space_key.to_owned()));
        }
        let numeric = numeric_id(&seed.id)?;
        if self.contents.contains_key(&numeric) {
            return Err(ModelError::DuplicateId(seed.id.clone()));
        }
        let attachments: Vec<Attachment> =
            seed.attachments.iter().map(Attachment::from_seed).collect();
        for attachment in &attachments {
            self.attachment_owner.insert(attachment.id.clone(), numeric);
        }
        self.contents.insert(
            numeric,
            Content {
                id: seed.id.clone(),
                content_type: seed.content_type,
                title: seed.title.clone(),
                space_key: space_key.to_owned(),
                parent_id: seed.parent_id.clone(),
                labels: seed.labels.clone(),
                version: seed.version,
                when: seed.updated_at.clone(),
                body: seed.body.clone(),
                attachments,
            },
        );
        Ok(())
    }

    pub fn spaces(&self) -> &[Space] {
        &self.spaces
    }

    pub fn space(&self, key: &str) -> Option<&Space> {
        self.spaces.iter().find(|s| s.key == key)
    }

    pub fn contents(&self) -> impl Iterator<Item = &Content> {
        self.contents.values()
    }

    pub fn content(&self, id: &str) -> Option<&Content> {
        id.parse::<u64>().ok().and_then(|n| self.contents.get(&n))
    }

    fn content_mut(&mut self, id: &str) -> Result<&mut Content, ModelError> {
        id.parse::<u64>()
            .ok()
            .and_then(|n| self.contents.get_mut(&n))
            .ok_or_else(|| ModelError::NoContent(id.to_owned()))
    }

    /// Every content item followed by its attachments, in id order.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> {
        self.contents.values().flat_map(|content| {
            std::iter::once(Item::Content(content)).chain(
                content
                    .attachments
                    .iter()
                    .map(move |a| Item::Attachment(content, a)),
            )
        })
    }

    /// Ids of the parent chain, nearest first. Stops on a cycle or a missing parent.
    pub fn ancestors(&self, content: &Content) -> Vec<String> {
        let mut chain = Vec::new();
        let mut next = content.parent_id.clone();
        while let Some(id) = next {
            if chain.contains(&id) || id == content.id {
                break;
            }
            next = self.content(&id).and_then(|c| c.parent_id.clone());
            chain.push(id);
        }
        chain
    }

    pub fn attachment(&self, attachment_id: &str) -> Option<(&Content, &Attachment)> {
        let owner = self
            .contents
            .get(self.attachment_owner.get(attachment_id)?)?;
        let attachment = owner.attachments.iter().find(|a| a.id == attachment_id)?;
        Some((owner, attachment))
    }

    /// Replaces a body and bumps the version, like an edit in the editor.
    pub fn update_body(&mut self, id: &str, body: &str) -> Result<(), ModelError> {
        let content = self.content_mut(id)?;
        content.body = Some(body.to_owned());
        content.version += 1;
        content.when = now_iso();
        Ok(())
    }

    /// Renames a page and bumps the version.
    pub fn update_title(&mut self, id: &str, title: &str) -> Result<(), ModelError> {
        let content = self.content_mut(id)?;
        content.title = title.to_owned();
        content.version += 1;
        content.when = now_iso();
        Ok(())
    }

    /// Adds a label; labels do not change the version in Confluence.
    pub fn add_label(&mut self, id: &str, label: &str) -> Result<(), ModelError> {
        let content = self.content_mut(id)?;
        if !content.labels.iter().any(|l| l == label) {
            content.labels.push(label.to_owned());
        }
        Ok(())
    }

    pub fn remove_label(&mut self, id: &str, label: &str) -> Result<(), ModelError> {
        let content = self.content_mut(id)?;
        content.labels.retain(|l| l != label);
        Ok(())
    }

    /// Deletes an item. Its children move up to its parent, as Confluence does on trash.
    pub fn delete_content(&mut self, id: &str) -> Result<(), ModelError> {
        let numeric = numeric_id(id)?;
        let removed = self
            .contents
            .remove(&numeric)
            .ok_or_else(|| ModelError::NoContent(id.to_owned()))?;
        for attachment in &removed.attachments {
            self.attachment_owner.remove(&attachment.id);
        }
        for content in self.contents.values_mut() {
            if content.parent_id.as_deref() == Some(id) {
                content.parent_id = removed.parent_id.clone();
            }
        }
        Ok(())
    }

    /// Moves an item and its descendants to another space, under `new_parent` (top level if none).
    pub fn move_content(
        &mut self,
        id: &str,
        space_key: &str,
        new_parent: Option<&str>,
    ) -> Result<(), ModelError> {
        if self.space(space_key).is_none() {
            return Err(ModelError::NoSpace(space_key.to_owned()));
        }
        if let Some(parent) = new_parent
            && self.content(parent).is_none()
        {
            return Err(ModelError::NoContent(parent.to_owned()));
        }
        self.content_mut(id)?;
        let subtree: Vec<u64> = self
            .contents
            .iter()
            .filter(|(_, c)| c.id == id || self.ancestors(c).iter().any(|a| a == id))
            .map(|(n, _)| *n)
            .collect();
        for numeric in subtree {
            if let Some(content) = self.contents.get_mut(&numeric) {
                content.space_key = space_key.to_owned();
                if content.id == id {
                    content.parent_id = new_parent.map(str::to_owned);
                }
            }
        }
        Ok(())
    }

    /// Adds an attachment, or replaces the one with the same id as a new version.
    pub fn put_attachment(
        &mut self,
        content_id: &str,
        seed: &AttachmentSeed,
    ) -> Result<(), ModelError> {
        let numeric = numeric_id(content_id)?;
        let content = self.content_mut(content_id)?;
        let mut attachment = Attachment::from_seed(seed);
        match content.attachments.iter_mut().find(|a| a.id == seed.id) {
            Some(existing) => {
                attachment.version = existing.version.max(seed.version) + 1;
                attachment.when = now_iso();
                if seed.text.is_none() {
                    attachment.bytes =
                        AttachmentBytes::generated(&seed.id, attachment.version, seed.size);
                }
                *existing = attachment;
            }
            None => content.attachments.push(attachment),
        }
        self.attachment_owner.insert(seed.id.clone(), numeric);
        Ok(())
    }

    pub fn delete_attachment(
        &mut self,
        content_id: &str,
        attachment_id: &str,
    ) -> Result<(), ModelError> {
        let content = self.content_mut(content_id)?;
        let before = content.attachments.len();
        content.attachments.retain(|a| a.id != attachment_id);
        if content.attachments.len() == before {
            return Err(ModelError::NoAttachment {
                content: content_id.to_owned(),
                attachment: attachment_id.to_owned(),
            });
        }
        self.attachment_owner.remove(attachment_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str, parent: Option<&str>) -> ContentSeed {
        ContentSeed {
            id: id.to_owned(),
            content_type: ContentType::Page,
            title: format!("Page {id}"),
            parent_id: parent.map(str::to_owned),
            labels: vec![],
            version: 1,
            updated_at: "2025-01-01T00:00:00.000Z".to_owned(),
            body: Some("<p>x</p>".to_owned()),
            attachments: vec![],
        }
    }

    fn model() -> ConfluenceModel {
        ConfluenceModel::from_spaces(&[
            SpaceSeed {
                id: 1,
                key: "A".to_owned(),
                name: "A".to_owned(),
                space_type: SpaceType::Global,
                contents: vec![page("1", None), page("2", Some("1")), page("3", Some("2"))],
            },
            SpaceSeed {
                id: 2,
                key: "B".to_owned(),
                name: "B".to_owned(),
                space_type: SpaceType::Global,
                contents: vec![],
            },
        ])
        .expect("valid model")
    }

    #[test]
    fn ancestors_are_listed_nearest_first() {
        let m = model();
        let third = m.content("3").expect("page 3");
        assert_eq!(m.ancestors(third), vec!["2".to_owned(), "1".to_owned()]);
    }

    #[test]
    fn moving_a_page_moves_its_descendants() {
        let mut m = model();
        m.move_content("2", "B", None).expect("move");
        assert_eq!(m.content("2").map(|c| c.space_key.as_str()), Some("B"));
        assert_eq!(m.content("3").map(|c| c.space_key.as_str()), Some("B"));
        assert_eq!(m.content("1").map(|c| c.space_key.as_str()), Some("A"));
        assert_eq!(m.content("2").and_then(|c| c.parent_id.clone()), None);
    }

    #[test]
    fn deleting_a_page_moves_children_to_its_parent() {
        let mut m = model();
        m.delete_content("2").expect("delete");
        assert_eq!(
            m.content("3").and_then(|c| c.parent_id.clone()),
            Some("1".to_owned())
        );
        assert_eq!(
            m.delete_content("2"),
            Err(ModelError::NoContent("2".to_owned()))
        );
    }

    #[test]
    fn editing_a_body_bumps_the_version() {
        let mut m = model();
        m.update_body("1", "<p>new</p>").expect("edit");
        let page = m.content("1").expect("page");
        assert_eq!(page.version, 2);
        assert_ne!(page.when, "2025-01-01T00:00:00.000Z");
    }
}
