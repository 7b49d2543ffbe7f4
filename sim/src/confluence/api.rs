//! Endpoint logic shared by Cloud and Data Center: content search (CQL), lookup by space and
//! title, content by id, attachment listings (v1 children, v2), attachment byte streams, and
//! Confluence-shaped error answers.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::cql::{self, ItemFacts};
use super::model::{Attachment, Content, Item};
use super::render::{self, Expand, RenderContext, encode_component};
use super::{AuthFailure, ConfluenceInstance, Flavor};
use crate::lock;

pub type Params = HashMap<String, String>;

/// A v1 error body as Confluence sends it.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "statusCode": status.as_u16(),
        "data": {"authorized": status != StatusCode::UNAUTHORIZED, "valid": false, "allowedInReadOnlyMode": true, "errors": [], "successful": false},
        "message": message,
        "reason": status.canonical_reason().unwrap_or_default(),
    });
    (status, axum::Json(body)).into_response()
}

/// A v2 error body.
pub fn error_v2(status: StatusCode, detail: &str) -> Response {
    let body = json!({"errors": [{
        "status": status.as_u16(),
        "code": status.canonical_reason().unwrap_or_default().to_uppercase().replace(' ', "_"),
        "title": status.canonical_reason().unwrap_or_default(),
        "detail": detail,
    }]});
    (status, axum::Json(body)).into_response()
}

/// The 401 answer for a failed authentication.
pub fn unauthorized(flavor: Flavor, failure: &AuthFailure) -> Response {
    match flavor {
        Flavor::Cloud => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"code": 401, "message": format!("Unauthorized; {failure}")})),
        )
            .into_response(),
        Flavor::DataCenter => {
            let mut response = error(
                StatusCode::UNAUTHORIZED,
                &format!("Unauthorized: {failure}"),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Confluence\", Bearer"),
            );
            response
        }
    }
}

/// Admits an API call: authenticated (else 401) and within the rate limit (else 429).
pub fn authenticate(instance: &ConfluenceInstance, headers: &HeaderMap) -> Result<(), Response> {
    instance
        .authenticate(headers)
        .map_err(|failure| unauthorized(instance.flavor, &failure))?;
    if let Some(limiter) = &instance.rate_limiter
        && let Err(wait) = limiter.try_acquire()
    {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    Ok(())
}

pub fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim-offset:{offset}"))
}

pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("sim-offset:")?
        .parse()
        .ok()
}

fn render_context(instance: &ConfluenceInstance) -> RenderContext<'_> {
    RenderContext {
        flavor: instance.flavor,
        links_base: &instance.urls.links_base,
        links_context: &instance.urls.links_context,
    }
}

fn parse_number(params: &Params, name: &str) -> Result<Option<usize>, Response> {
    match params.get(name) {
        None => Ok(None),
        Some(raw) => raw.parse::<usize>().map(Some).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("{name} parameter must be a non-negative integer, got {raw:?}"),
            )
        }),
    }
}

/// `limit` after the instance's caps (smaller when bodies are expanded).
fn effective_limit(
    instance: &ConfluenceInstance,
    params: &Params,
    expand: &Expand,
) -> Result<usize, Response> {
    let cap = if expand.expands_body() {
        instance.limits.max_limit_with_body
    } else {
        instance.limits.max_limit
    } as usize;
    let requested =
        parse_number(params, "limit")?.unwrap_or(instance.limits.default_limit as usize);
    Ok(requested.clamp(1, cap.max(1)))
}

/// Where a v1 list starts: Cloud cursors, else `start`.
fn start_offset(params: &Params) -> Result<usize, Response> {
    if let Some(cursor) = params.get("cursor") {
        return decode_cursor(cursor).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("invalid cursor {cursor:?}"),
            )
        });
    }
    Ok(parse_number(params, "start")?.unwrap_or(0))
}

fn list_links(instance: &ConfluenceInstance, self_path: &str, next: Option<String>) -> Value {
    let mut links = json!({
        "base": instance.urls.links_base,
        "context": instance.urls.links_context,
        "self": format!("{}{self_path}", instance.urls.links_base),
    });
    if let Some(next) = next {
        links["next"] = json!(next);
    }
    links
}

fn expand_query(expand: &Expand) -> String {
    if expand.raw().is_empty() {
        String::new()
    } else {
        format!("&expand={}", expand.raw())
    }
}

/// Content search by CQL (C1–C3, D1–D2 and the batched body fetch).
pub fn search(instance: &ConfluenceInstance, params: &Params) -> Response {
    let Some(cql_text) = params.get("cql") else {
        return error(
            StatusCode::BAD_REQUEST,
            "The CQL query parameter is required",
        );
    };
    let query = match cql::parse(cql_text) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let expand = Expand::parse(params.get("expand").map(String::as_str));
    let limit = match effective_limit(instance, params, &expand) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = match start_offset(params) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let model = lock(&instance.model);
    let with_attachments = query.may_match_attachments();
    let needs_ancestors = query.mentions(cql::Field::Ancestor);
    let mut total = 0usize;
    let mut window = Vec::new();
    for item in model.items() {
        if !with_attachments && matches!(item, Item::Attachment(..)) {
            continue;
        }
        let (content, attachment) = match item {
            Item::Content(c) => (c, None),
            Item::Attachment(c, a) => (c, Some(a)),
        };
        let space_type = model
            .space(&content.space_key)
            .map_or("global", |s| s.space_type.as_str());
        let mut ancestors = if needs_ancestors {
            model.ancestors(content)
        } else {
            Vec::new()
        };
        let no_labels: Vec<String> = Vec::new();
        let facts = match attachment {
            None => ItemFacts {
                id: &content.id,
                item_type: content.content_type.as_str(),
                title: &content.title,
                labels: &content.labels,
                space_key: &content.space_key,
                space_type,
                parent_id: content.parent_id.as_deref(),
                ancestors: &ancestors,
            },
            Some(a) => {
                ancestors.insert(0, content.id.clone());
                ItemFacts {
                    id: &a.id,
                    item_type: "attachment",
                    title: &a.title,
                    labels: &no_labels,
                    space_key: &content.space_key,
                    space_type,
                    parent_id: Some(&content.id),
                    ancestors: &ancestors,
                }
            }
        };
        if query.matches(&facts) {
            if total >= offset && window.len() < limit {
                window.push(item);
            }
            total += 1;
        }
    }
    let ctx = render_context(instance);
    let results: Vec<Value> = window
        .iter()
        .map(|item| render::item_v1(&model, *item, &expand, &ctx))
        .collect();
    let next_offset = offset + results.len();
    let encoded_cql = encode_component(cql_text);
    let next = (next_offset < total).then(|| match instance.flavor {
        Flavor::Cloud => format!(
            "/rest/api/content/search?next=true&cursor={}{}&limit={limit}&cql={encoded_cql}",
            encode_cursor(next_offset),
            expand_query(&expand)
        ),
        Flavor::DataCenter => format!(
            "/rest/api/content/search?cql={encoded_cql}{}&limit={limit}&start={next_offset}",
            expand_query(&expand)
        ),
    });
    let body = json!({
        "results": results,
        "start": offset,
        "limit": limit,
        "size": results.len(),
        "totalSize": total,
        "cqlQuery": cql_text,
        "searchDuration": 3,
        "_links": list_links(instance, "/rest/api/content/search", next),
    });
    axum::Json(body).into_response()
}

/// Content lookup by space key and title (C4, D4).
pub fn lookup(instance: &ConfluenceInstance, params: &Params) -> Response {
    let expand = Expand::parse(params.get("expand").map(String::as_str));
    let limit = match effective_limit(instance, params, &expand) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = match start_offset(params) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let wanted_type = params.get("type").map_or("page", String::as_str);
    let model = lock(&instance.model);
    let matching: Vec<&Content> = model
        .contents()
        .filter(|c| c.content_type.as_str() == wanted_type)
        .filter(|c| params.get("spaceKey").is_none_or(|k| &c.space_key == k))
        .filter(|c| params.get("title").is_none_or(|t| &c.title == t))
        .collect();
    let ctx = render_context(instance);
    let results: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|c| render::content_v1(&model, c, &expand, &ctx))
        .collect();
    let next_offset = offset + results.len();
    let next = (next_offset < matching.len()).then(|| {
        let mut link = format!("/rest/api/content?type={wanted_type}");
        for name in ["spaceKey", "title"] {
            if let Some(value) = params.get(name) {
                link.push_str(&format!("&{name}={}", encode_component(value)));
            }
        }
        link.push_str(&format!(
            "{}&limit={limit}&start={next_offset}",
            expand_query(&expand)
        ));
        link
    });
    axum::Json(json!({
        "results": results,
        "start": offset,
        "limit": limit,
        "size": results.len(),
        "_links": list_links(instance, "/rest/api/content", next),
    }))
    .into_response()
}

/// One content item by id (D3; also served on Cloud).
pub fn content_by_id(instance: &ConfluenceInstance, id: &str, params: &Params) -> Response {
    let expand = Expand::parse(params.get("expand").map(String::as_str));
    let model = lock(&instance.model);
    match model.content(id) {
        Some(content) => {
            let ctx = render_context(instance);
            axum::Json(render::content_v1(&model, content, &expand, &ctx)).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No content found with id : ContentId{{id={id}}}"),
        ),
    }
}

/// v1 attachment children of a content item (D5).
pub fn child_attachments(instance: &ConfluenceInstance, id: &str, params: &Params) -> Response {
    let expand = Expand::parse(params.get("expand").map(String::as_str));
    let limit = match effective_limit(instance, params, &expand) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = match start_offset(params) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let model = lock(&instance.model);
    let Some(content) = model.content(id) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No content found with id : ContentId{{id={id}}}"),
        );
    };
    let with_version = expand.has("version");
    let results: Vec<Value> = content
        .attachments
        .iter()
        .skip(offset)
        .take(limit)
        .map(|a| render::attachment_v1(content, a, with_version))
        .collect();
    let next_offset = offset + results.len();
    let next = (next_offset < content.attachments.len()).then(|| {
        format!(
            "{}/rest/api/content/{id}/child/attachment?limit={limit}&start={next_offset}{}",
            instance.urls.links_context,
            expand_query(&expand)
        )
    });
    let self_path = format!("/rest/api/content/{id}/child/attachment");
    axum::Json(json!({
        "results": results,
        "start": offset,
        "limit": limit,
        "size": results.len(),
        "_links": list_links(instance, &self_path, next),
    }))
    .into_response()
}

/// Which v2 listing was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V2Container {
    Page,
    BlogPost,
}

/// v2 attachments of a page or blog post, cursor-paginated (C5, C5b).
pub fn attachments_v2(
    instance: &ConfluenceInstance,
    container: V2Container,
    id: &str,
    params: &Params,
) -> Response {
    let limit = match parse_number(params, "limit") {
        Ok(l) => l
            .unwrap_or(50)
            .clamp(1, instance.limits.max_v2_limit as usize),
        Err(r) => return r,
    };
    let offset = match params.get("cursor") {
        None => 0,
        Some(cursor) => match decode_cursor(cursor) {
            Some(o) => o,
            None => {
                return error_v2(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid cursor {cursor:?}"),
                );
            }
        },
    };
    let model = lock(&instance.model);
    let expected_type = match container {
        V2Container::Page => "page",
        V2Container::BlogPost => "blogpost",
    };
    let Some(content) = model
        .content(id)
        .filter(|c| c.content_type.as_str() == expected_type)
    else {
        return error_v2(
            StatusCode::NOT_FOUND,
            &format!("no {expected_type} with id {id}"),
        );
    };
    let results: Vec<Value> = content
        .attachments
        .iter()
        .skip(offset)
        .take(limit)
        .map(|a| render::attachment_v2(content, a))
        .collect();
    let next_offset = offset + results.len();
    let segment = match container {
        V2Container::Page => "pages",
        V2Container::BlogPost => "blogposts",
    };
    let mut links = json!({"base": instance.urls.links_base});
    if next_offset < content.attachments.len() {
        links["next"] = json!(format!(
            "/wiki/api/v2/{segment}/{id}/attachments?cursor={}&limit={limit}",
            encode_cursor(next_offset)
        ));
    }
    axum::Json(json!({"results": results, "_links": links})).into_response()
}

/// Streams an attachment's bytes, honouring a single `Range: bytes=a-[b]`.
pub fn attachment_bytes_response(attachment: &Attachment, headers: &HeaderMap) -> Response {
    let len = attachment.bytes.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| {
            let start = a.parse::<u64>().ok()?;
            let end = if b.is_empty() {
                len.checked_sub(1)?
            } else {
                b.parse::<u64>().ok()?.min(len.checked_sub(1)?)
            };
            (start <= end).then_some((start, end))
        });
    let (status, start, body_len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, len),
    };
    let stream = attachment.bytes.stream_range(start, start + body_len);
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let headers_out = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&attachment.media_type) {
        headers_out.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&body_len.to_string()) {
        headers_out.insert(header::CONTENT_LENGTH, v);
    }
    headers_out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) =
            HeaderValue::from_str(&format!("bytes {start}-{}/{len}", start + body_len - 1))
    {
        headers_out.insert(header::CONTENT_RANGE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename*=UTF-8''{}",
        encode_component(&attachment.title)
    )) {
        headers_out.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A plain HTML page for web links and health pings, so a person can click through.
pub fn web_page(instance: &ConfluenceInstance, path: &str, params: &Params) -> Response {
    let model = lock(&instance.model);
    let id = params.get("pageId").cloned().or_else(|| {
        path.split('/')
            .skip_while(|s| *s != "pages" && *s != "blog")
            .find(|s| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty())
            .map(str::to_owned)
    });
    let html = match id.as_deref().and_then(|id| model.content(id)) {
        Some(content) => format!(
            "<html><head><title>{}</title></head><body><h1>{}</h1>{}</body></html>",
            content.title,
            content.title,
            content.body.clone().unwrap_or_default()
        ),
        None => format!(
            "<html><body><h1>Simulated Confluence {}</h1><p>{} spaces</p></body></html>",
            instance.name,
            model.spaces().len()
        ),
    };
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(250)), Some(250));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}
