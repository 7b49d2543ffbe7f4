//! Confluence Data Center: one listener per instance, every route under its optional context
//! path. Serves the applinks manifest (D0, no auth), the OAuth token endpoint (T2, form body,
//! `scope=READ`), the REST API (D1–D5) with OAuth, PAT or basic auth, downloads (D6) and pages.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::ConfluenceInstance;
use super::api::{self, Params};
use crate::lock;

type Instance = State<Arc<ConfluenceInstance>>;

/// The router of one instance; every route sits under the context path.
pub fn router(instance: Arc<ConfluenceInstance>, context_path: &str) -> Router {
    let at = |path: &str| format!("{context_path}{path}");
    Router::new()
        .route(&at("/rest/applinks/1.0/manifest"), get(manifest))
        .route(&at("/rest/oauth2/latest/token"), post(token))
        .route(&at("/rest/api/content/search"), get(search))
        .route(&at("/rest/api/content"), get(lookup))
        .route(&at("/rest/api/content/{id}"), get(content_by_id))
        .route(
            &at("/rest/api/content/{id}/child/attachment"),
            get(child_attachments),
        )
        .route(&at("/download/attachments/{id}/{file_name}"), get(download))
        .fallback(get(web_page))
        .with_state(instance)
}

/// D0: JSON only with `Accept: application/json`, XML otherwise; no auth.
async fn manifest(State(instance): Instance, headers: HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let base = &instance.urls.api_base;
    if wants_json {
        axum::Json(json!({
            "id": instance.instance_id,
            "name": format!("Confluence ({})", instance.name),
            "typeId": "confluence",
            "version": "9.2.0",
            "buildNumber": 9012,
            "applinksVersion": "10.0.3",
            "url": base,
            "publicSignup": false,
        }))
        .into_response()
    } else {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><manifest><id>{}</id><name>Confluence ({})</name><typeId>confluence</typeId><version>9.2.0</version><buildNumber>9012</buildNumber><applinksVersion>10.0.3</applinksVersion><url>{base}</url><publicSignup>false</publicSignup></manifest>",
            instance.instance_id, instance.name
        );
        (
            [(header::CONTENT_TYPE, "application/xml;charset=UTF-8")],
            xml,
        )
            .into_response()
    }
}

/// T2: client credentials, form body, `scope=READ`.
async fn token(State(instance): Instance, headers: HeaderMap, body: Bytes) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let form: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if form.get("scope").map(String::as_str) != Some("READ") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must be READ",
        );
    }
    let (Some(client_id), Some(client_secret)) = (form.get("client_id"), form.get("client_secret"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    if !instance.client_secret_matches(client_id, client_secret) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let token = instance
        .tokens
        .issue("dc", client_id, instance.token_ttl_secs);
    axum::Json(json!({
        "access_token": token,
        "expires_in": instance.token_ttl_secs,
        "token_type": "bearer",
        "scope": "READ",
    }))
    .into_response()
}

async fn search(
    State(instance): Instance,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match api::authenticate(&instance, &headers) {
        Ok(()) => api::search(&instance, &params),
        Err(r) => r,
    }
}

async fn lookup(
    State(instance): Instance,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match api::authenticate(&instance, &headers) {
        Ok(()) => api::lookup(&instance, &params),
        Err(r) => r,
    }
}

async fn content_by_id(
    State(instance): Instance,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match api::authenticate(&instance, &headers) {
        Ok(()) => api::content_by_id(&instance, &id, &params),
        Err(r) => r,
    }
}

async fn child_attachments(
    State(instance): Instance,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match api::authenticate(&instance, &headers) {
        Ok(()) => api::child_attachments(&instance, &id, &params),
        Err(r) => r,
    }
}

/// D6: serves the bytes directly.
async fn download(
    State(instance): Instance,
    Path((id, file_name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = api::authenticate(&instance, &headers) {
        return r;
    }
    let model = lock(&instance.model);
    match model
        .content(&id)
        .and_then(|c| c.attachments.iter().find(|a| a.title == file_name))
    {
        Some(attachment) => api::attachment_bytes_response(attachment, &headers),
        None => api::error(
            StatusCode::NOT_FOUND,
            &format!("No attachment {file_name:?} on content {id}"),
        ),
    }
}

/// Any other GET under the context path: web pages, and the health ping on `{baseUrl}/`.
async fn web_page(State(instance): Instance, uri: Uri, Query(params): Query<Params>) -> Response {
    let context = instance.urls.links_context.as_str();
    let path = uri.path();
    let under_context = context.is_empty()
        || path == context
        || path
            .strip_prefix(context)
            .is_some_and(|rest| rest.starts_with('/'));
    if !under_context {
        return api::error(
            StatusCode::NOT_FOUND,
            &format!("{path} is outside the context path {context}"),
        );
    }
    api::web_page(&instance, path, &params)
}
