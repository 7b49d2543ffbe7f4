//! Confluence Cloud: the API gateway (`/ex/confluence/{cloudId}/wiki/...`) serving every Cloud
//! site of the scenario, the OAuth token endpoint (T1, JSON body), the site web pages, and the
//! separate media origin that attachment downloads redirect to.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ConfluenceInstance;
use super::api::{self, Params, V2Container};
use crate::lock;

/// Every Cloud site, and how media links are signed.
#[derive(Debug)]
pub struct CloudGateway {
    pub sites: HashMap<String, Arc<ConfluenceInstance>>,
    /// Origin of the media listener, e.g. `http://127.0.0.1:4711`.
    pub media_origin: String,
    /// Secret mixed into media tokens, so only links this gateway issued are served.
    pub media_secret: String,
}

type Gateway = State<Arc<CloudGateway>>;

impl CloudGateway {
    fn site(
        &self,
        cloud_id: &str,
        headers: &HeaderMap,
    ) -> Result<&Arc<ConfluenceInstance>, Response> {
        let site = self.sites.get(cloud_id).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"code": 404, "message": format!("Site {cloud_id} not found")})),
            )
                .into_response()
        })?;
        api::authenticate(site, headers)?;
        Ok(site)
    }

    fn media_token(&self, cloud_id: &str, attachment_id: &str, version: u32) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "{}:{cloud_id}:{attachment_id}:{version}",
            self.media_secret
        ));
        hex::encode(hasher.finalize())
    }
}

/// The gateway router (API, token endpoint, site pages).
pub fn gateway_router(gateway: Arc<CloudGateway>) -> Router {
    let wiki = "/ex/confluence/{cloud_id}/wiki";
    Router::new()
        .route("/", get(|| async { "Simulated api.atlassian.com" }))
        .route("/oauth/token", post(token))
        .route(&format!("{wiki}/rest/api/content/search"), get(search))
        .route(&format!("{wiki}/rest/api/content"), get(lookup))
        .route(
            &format!("{wiki}/rest/api/content/{{id}}"),
            get(content_by_id),
        )
        .route(
            &format!("{wiki}/rest/api/content/{{id}}/child/attachment"),
            get(child_attachments_gone),
        )
        .route(
            &format!("{wiki}/rest/api/content/{{id}}/child/attachment/{{attachment_id}}/download"),
            get(download),
        )
        .route(
            &format!("{wiki}/api/v2/pages/{{id}}/attachments"),
            get(page_attachments),
        )
        .route(
            &format!("{wiki}/api/v2/blogposts/{{id}}/attachments"),
            get(blogpost_attachments),
        )
        .route(
            &format!("{wiki}/download/attachments/{{*rest}}"),
            get(download_link_fails),
        )
        .route("/site/{cloud_id}", get(site_page))
        .route("/site/{cloud_id}/", get(site_page))
        .route("/site/{cloud_id}/{*rest}", get(site_page_path))
        .with_state(gateway)
}

/// T1: client credentials with a JSON body.
async fn token(State(gateway): Gateway, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    if !is_json {
        return oauth_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Content-Type must be application/json",
        );
    }
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "body is not JSON",
        );
    };
    if request["grant_type"] != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let (Some(client_id), Some(client_secret)) = (
        request["client_id"].as_str(),
        request["client_secret"].as_str(),
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    // A client may be installed on several sites; its token then works on each of them.
    let mut sites: Vec<&Arc<ConfluenceInstance>> = gateway
        .sites
        .values()
        .filter(|s| s.client_secret_matches(client_id, client_secret))
        .collect();
    sites.sort_by(|a, b| a.name.cmp(&b.name));
    let Some(site) = sites.first() else {
        return oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    };
    let token = site.tokens.issue("cloud", client_id, site.token_ttl_secs);
    for other in &sites[1..] {
        other.tokens.accept(&token, client_id, site.token_ttl_secs);
    }
    axum::Json(json!({
        "access_token": token,
        "expires_in": site.token_ttl_secs,
        "token_type": "Bearer",
        "scope": "read:confluence-content.all read:confluence-space.summary search:confluence",
    }))
    .into_response()
}

async fn search(
    State(gateway): Gateway,
    Path(cloud_id): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(site) => api::search(site, &params),
        Err(r) => r,
    }
}

async fn lookup(
    State(gateway): Gateway,
    Path(cloud_id): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(site) => api::lookup(site, &params),
        Err(r) => r,
    }
}

async fn content_by_id(
    State(gateway): Gateway,
    Path((cloud_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(site) => api::content_by_id(site, &id, &params),
        Err(r) => r,
    }
}

/// The v1 attachment children endpoint is gone on Cloud (spec §6.3).
async fn child_attachments_gone(
    State(gateway): Gateway,
    Path((cloud_id, _id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(_) => api::error(
            StatusCode::GONE,
            "This endpoint has been removed; use /wiki/api/v2/pages/{id}/attachments",
        ),
        Err(r) => r,
    }
}

async fn page_attachments(
    State(gateway): Gateway,
    Path((cloud_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(site) => api::attachments_v2(site, V2Container::Page, &id, &params),
        Err(r) => r,
    }
}

async fn blogpost_attachments(
    State(gateway): Gateway,
    Path((cloud_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match gateway.site(&cloud_id, &headers) {
        Ok(site) => api::attachments_v2(site, V2Container::BlogPost, &id, &params),
        Err(r) => r,
    }
}

/// C6: answers with a redirect to the media origin, which streams the bytes.
async fn download(
    State(gateway): Gateway,
    Path((cloud_id, id, attachment_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let site = match gateway.site(&cloud_id, &headers) {
        Ok(site) => site,
        Err(r) => return r,
    };
    let version = {
        let model = lock(&site.model);
        match model.attachment(&attachment_id) {
            Some((content, attachment)) if content.id == id => attachment.version,
            _ => {
                return api::error(
                    StatusCode::NOT_FOUND,
                    &format!("No attachment {attachment_id} on content {id}"),
                );
            }
        }
    };
    let token = gateway.media_token(&cloud_id, &attachment_id, version);
    let location = format!(
        "{}/file/{cloud_id}/{attachment_id}/binary?token={token}&client=sim&dl=true",
        gateway.media_origin
    );
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The v1 `_links.download` through the gateway answers 500 on real Cloud.
async fn download_link_fails() -> Response {
    api::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Download links are not served through the API gateway",
    )
}

async fn site_page(
    State(gateway): Gateway,
    Path(cloud_id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    match gateway.sites.get(&cloud_id) {
        Some(site) => api::web_page(site, "/", &params),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn site_page_path(
    State(gateway): Gateway,
    Path((cloud_id, rest)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Response {
    match gateway.sites.get(&cloud_id) {
        Some(site) => api::web_page(site, &rest, &params),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The media origin: streams bytes for links the gateway signed. It refuses requests that
/// carry an `Authorization` header: credentials must be stripped on the cross-origin hop.
pub fn media_router(gateway: Arc<CloudGateway>) -> Router {
    Router::new()
        .route("/file/{cloud_id}/{attachment_id}/binary", get(media_file))
        .with_state(gateway)
}

async fn media_file(
    State(gateway): Gateway,
    Path((cloud_id, attachment_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "Authorization header sent to the media origin; it must be removed on a cross-origin redirect"})),
        )
            .into_response();
    }
    let Some(site) = gateway.sites.get(&cloud_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let model = lock(&site.model);
    let Some((_, attachment)) = model.attachment(&attachment_id) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "file not found"})),
        )
            .into_response();
    };
    let expected = gateway.media_token(&cloud_id, &attachment_id, attachment.version);
    if params.get("token") != Some(&expected) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "invalid or stale media token"})),
        )
            .into_response();
    }
    api::attachment_bytes_response(attachment, &headers)
}
