//! A simple JSON document API (not Confluence): labelled documents in collections, listed with
//! cursor pagination behind a bearer token. It is the source of the third-party example plugin
//! `documents-source` and shows how a non-Confluence source fits the plugin contract.
//!
//! - `GET /api/documents?label=L&cursor=C&limit=N`: `{"results": [document], "nextCursor": C|null}`,
//!   ordered by id; `limit` defaults to 25 and is clamped to 1..=100.
//! - `GET /api/documents/{id}`: the document with its `body` (HTML), or 404.
//! - `GET /api/documents/{id}/attachments/{attachmentId}/content`: the attachment's bytes.
//!
//! Every route requires `Authorization: Bearer <token>` with a token of the seed (401 otherwise),
//! unless the seed lists no tokens.

mod api;
mod seed;

pub use api::{DocumentStore, router};
pub use seed::{CollectionSeed, DocumentAttachmentSeed, DocumentSeed, DocumentStoreSeed};
