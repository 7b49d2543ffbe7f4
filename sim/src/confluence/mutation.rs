//! Changes tests apply to a Confluence instance between sync cycles, as data, so the library
//! handle and the admin HTTP endpoint share one definition.

use serde::{Deserialize, Serialize};

use super::model::{ConfluenceModel, ModelError};
use crate::scenario::{AttachmentSeed, ContentSeed};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum ConfluenceMutation {
    /// New body, version + 1, `when` = now.
    #[serde(rename_all = "camelCase")]
    UpdateBody { id: String, body: String },
    #[serde(rename_all = "camelCase")]
    UpdateTitle { id: String, title: String },
    #[serde(rename_all = "camelCase")]
    AddLabel { id: String, label: String },
    #[serde(rename_all = "camelCase")]
    RemoveLabel { id: String, label: String },
    /// Children move up to the deleted item's parent.
    #[serde(rename_all = "camelCase")]
    DeleteContent { id: String },
    /// Moves the item and its descendants.
    #[serde(rename_all = "camelCase")]
    MoveContent {
        id: String,
        space_key: String,
        #[serde(default)]
        parent_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    AddContent {
        space_key: String,
        content: ContentSeed,
    },
    /// Adds an attachment, or a new version of the one with the same id.
    #[serde(rename_all = "camelCase")]
    PutAttachment {
        content_id: String,
        attachment: AttachmentSeed,
    },
    #[serde(rename_all = "camelCase")]
    DeleteAttachment {
        content_id: String,
        attachment_id: String,
    },
}

impl ConfluenceMutation {
    pub fn apply(&self, model: &mut ConfluenceModel) -> Result<(), ModelError> {
        match self {
            ConfluenceMutation::UpdateBody { id, body } => model.update_body(id, body),
            ConfluenceMutation::UpdateTitle { id, title } => model.update_title(id, title),
            ConfluenceMutation::AddLabel { id, label } => model.add_label(id, label),
            ConfluenceMutation::RemoveLabel { id, label } => model.remove_label(id, label),
            ConfluenceMutation::DeleteContent { id } => model.delete_content(id),
            ConfluenceMutation::MoveContent {
                id,
                space_key,
                parent_id,
            } => model.move_content(id, space_key, parent_id.as_deref()),
            ConfluenceMutation::AddContent { space_key, content } => {
                model.insert_content(space_key, content)
            }
            ConfluenceMutation::PutAttachment {
                content_id,
                attachment,
            } => model.put_attachment(content_id, attachment),
            ConfluenceMutation::DeleteAttachment {
                content_id,
                attachment_id,
            } => model.delete_attachment(content_id, attachment_id),
        }
    }
}
