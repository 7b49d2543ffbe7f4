//! Uploads (U2): the blob listener that `writeUrl`s point at, and the receiving logic shared
//! with the cluster-local `/scoped/upload`. Bodies are hashed and counted while streaming;
//! only small ones are kept, so a 1 GiB upload never sits in memory.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use futures::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::UniqueService;
use super::store::StoredUpload;
use crate::faults::FaultTarget;
use crate::http_layer::{FaultTag, OperationTag};
use crate::lock;

/// Whether the Azure `x-ms-blob-type` header is required (blob listener) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobTypeHeader {
    Required,
    Optional,
}

fn upload_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// Receives one upload for the content whose write key is `write_key`.
pub async fn receive_upload(
    service: &UniqueService,
    service_name: &str,
    path: &str,
    write_key: &str,
    headers: &HeaderMap,
    body: Body,
    blob_type: BlobTypeHeader,
) -> Response {
    let Some((content_key, keep_up_to)) = ({
        let store = lock(&service.store);
        store
            .content_for_write_key(write_key)
            .map(|c| (c.key.clone(), store.keep_bytes_up_to))
    }) else {
        return upload_error(
            StatusCode::NOT_FOUND,
            &format!("BlobNotFound: no upload is expected for key {write_key:?}"),
        );
    };
    if let Some(action) = service.faults.take(&FaultTarget {
        service: service_name,
        method: "PUT",
        path,
        operation: Some("Upload"),
        key: Some(&content_key),
    }) {
        action.delay().await;
        if let Some(mut early) = action.early_response() {
            early.extensions_mut().insert(FaultTag(action.label()));
            early
                .extensions_mut()
                .insert(OperationTag("Upload".to_owned()));
            return early;
        }
    }
    if blob_type == BlobTypeHeader::Required
        && headers.get("x-ms-blob-type").and_then(|v| v.to_str().ok()) != Some("BlockBlob")
    {
        return upload_error(
            StatusCode::BAD_REQUEST,
            "MissingRequiredHeader: x-ms-blob-type must be BlockBlob",
        );
    }
    let Some(declared) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return upload_error(StatusCode::LENGTH_REQUIRED, "Content-Length is required");
    };
    let mut hasher = Sha256::new();
    let mut length = 0u64;
    let mut kept: Option<Vec<u8>> = (declared <= keep_up_to).then(Vec::new);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                return upload_error(
                    StatusCode::BAD_REQUEST,
                    &format!("upload body ended after {length} of {declared} bytes: {e}"),
                );
            }
        };
        hasher.update(&chunk);
        length += chunk.len() as u64;
        if let Some(buffer) = kept.as_mut() {
            if length <= keep_up_to {
                buffer.extend_from_slice(&chunk);
            } else {
                kept = None;
            }
        }
    }
    if length != declared {
        return upload_error(
            StatusCode::BAD_REQUEST,
            &format!("body has {length} bytes but Content-Length is {declared}"),
        );
    }
    let upload = StoredUpload {
        length,
        sha256: hex::encode(hasher.finalize()),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        bytes: kept.map(bytes::Bytes::from),
    };
    if lock(&service.store)
        .record_upload(write_key, upload)
        .is_none()
    {
        return upload_error(
            StatusCode::NOT_FOUND,
            "the content was deleted during the upload",
        );
    }
    StatusCode::CREATED.into_response()
}

/// The blob listener: `PUT /upload?key=…` and `GET /read/{contentId}`.
pub fn router(service: Arc<UniqueService>) -> Router {
    Router::new()
        .route("/upload", put(blob_put))
        .route("/read/{content_id}", get(blob_read))
        .with_state(service)
}

async fn blob_put(
    State(service): State<Arc<UniqueService>>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(key) = params.get("key") else {
        return upload_error(
            StatusCode::BAD_REQUEST,
            "the key query parameter is required",
        );
    };
    let mut response = receive_upload(
        &service,
        "blob",
        "/upload",
        key,
        &headers,
        body,
        BlobTypeHeader::Required,
    )
    .await;
    response
        .extensions_mut()
        .insert(OperationTag("Upload".to_owned()));
    response
}

async fn blob_read(
    State(service): State<Arc<UniqueService>>,
    Path(content_id): Path<String>,
) -> Response {
    let store = lock(&service.store);
    match store
        .content_by_id(&content_id)
        .and_then(|c| c.upload.as_ref().map(|u| (c, u)))
    {
        Some((content, upload)) => match &upload.bytes {
            Some(bytes) => (
                [(header::CONTENT_TYPE, content.mime_type.clone())],
                bytes.clone(),
            )
                .into_response(),
            None => upload_error(
                StatusCode::GONE,
                "the bytes of large uploads are not kept; see the state dump for length and sha256",
            ),
        },
        None => upload_error(StatusCode::NOT_FOUND, "no uploaded file for this content"),
    }
}
