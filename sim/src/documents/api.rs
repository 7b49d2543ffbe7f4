//! The document API's handlers over the seeded documents.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::seed::{DocumentSeed, DocumentStoreSeed};

/// Default and largest page size of the listing.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;

/// The served documents and where they are served.
#[derive(Debug)]
pub struct DocumentStore {
    seed: DocumentStoreSeed,
    /// Origin of the listener, for the web and download URLs in answers.
    origin: String,
}

impl DocumentStore {
    pub fn new(mut seed: DocumentStoreSeed, origin: String) -> Self {
        seed.documents.sort_by(|a, b| a.id.cmp(&b.id));
        Self { seed, origin }
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        if self.seed.tokens.is_empty() {
            return true;
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        presented.is_some_and(|token| self.seed.tokens.iter().any(|known| known == token))
    }

    fn document_json(&self, document: &DocumentSeed) -> Value {
        let collection = self
            .seed
            .collections
            .iter()
            .find(|collection| collection.key == document.collection)
            .map(|collection| json!({"id": collection.id, "key": collection.key, "name": collection.name}))
            .unwrap_or(Value::Null);
        let attachments: Vec<Value> = document
            .attachments
            .iter()
            .map(|attachment| {
                json!({
                    "id": attachment.id,
                    "title": attachment.title,
                    "mediaType": attachment.media_type,
                    "size": attachment.text.len(),
                    "downloadUrl": format!("{}/api/documents/{}/attachments/{}/content", self.origin, document.id, attachment.id),
                })
            })
            .collect();
        json!({
            "id": document.id,
            "title": document.title,
            "collection": collection,
            "labels": document.labels,
            "updatedAt": document.updated_at,
            "url": format!("{}/docs/{}", self.origin, document.id),
            "attachments": attachments,
        })
    }
}

/// The document API's routes.
pub fn router(store: Arc<DocumentStore>) -> Router {
    Router::new()
        .route("/api/documents", get(list))
        .route("/api/documents/{id}", get(show))
        .route(
            "/api/documents/{id}/attachments/{attachment}/content",
            get(content),
        )
        .with_state(store)
}

#[derive(Deserialize)]
struct ListQuery {
    label: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({"error": "unauthorized"})),
    )
        .into_response()
}

async fn list(
    State(store): State<Arc<DocumentStore>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    if !store.authorised(&headers) {
        return unauthorised();
    }
    // The cursor is the id of the last document of the previous page: stable under inserts.
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let mut matching = store
        .seed
        .documents
        .iter()
        .filter(|document| {
            query
                .label
                .as_ref()
                .is_none_or(|label| document.labels.contains(label))
        })
        .filter(|document| {
            query
                .cursor
                .as_ref()
                .is_none_or(|after| document.id > *after)
        })
        .peekable();
    let page: Vec<&DocumentSeed> = matching.by_ref().take(limit).collect();
    let next_cursor = match (matching.peek(), page.last()) {
        (Some(_), Some(last)) => Value::String(last.id.clone()),
        _ => Value::Null,
    };
    let results: Vec<Value> = page
        .iter()
        .map(|document| store.document_json(document))
        .collect();
    Json(json!({"results": results, "nextCursor": next_cursor})).into_response()
}

async fn show(
    State(store): State<Arc<DocumentStore>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !store.authorised(&headers) {
        return unauthorised();
    }
    match store
        .seed
        .documents
        .iter()
        .find(|document| document.id == id)
    {
        Some(document) => {
            let mut answer = store.document_json(document);
            answer["body"] = Value::String(document.body.clone());
            Json(answer).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no document {id}")})),
        )
            .into_response(),
    }
}

async fn content(
    State(store): State<Arc<DocumentStore>>,
    headers: HeaderMap,
    Path((id, attachment)): Path<(String, String)>,
) -> Response {
    if !store.authorised(&headers) {
        return unauthorised();
    }
    let found = store
        .seed
        .documents
        .iter()
        .find(|document| document.id == id)
        .and_then(|document| {
            document
                .attachments
                .iter()
                .find(|candidate| candidate.id == attachment)
        });
    match found {
        Some(attachment) => (
            [(header::CONTENT_TYPE, attachment.media_type.clone())],
            attachment.text.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
