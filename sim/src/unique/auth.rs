//! Service authentication of Unique calls: cluster-local headers (`x-company-id`, `x-user-id`,
//! `x-service-id`) or a Zitadel bearer token (external mode); and the Zitadel token endpoint
//! (T3: HTTP Basic client credentials, the exact scope string).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::UniqueService;
use crate::scenario::UniqueAuthMode;

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
}

fn rejection(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::FORBIDDEN {
        "FORBIDDEN"
    } else {
        "UNAUTHENTICATED"
    };
    (
        status,
        axum::Json(
            json!({"errors": [{"message": message, "extensions": {"code": code}}], "data": null}),
        ),
    )
        .into_response()
}

/// Checks the service auth headers of a GraphQL or file-diff request.
pub fn authenticate(service: &UniqueService, headers: &HeaderMap) -> Result<Caller, Response> {
    let header_value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header_value(header::AUTHORIZATION.as_str());
    let external = match service.auth_mode {
        UniqueAuthMode::External => true,
        UniqueAuthMode::ClusterLocal => false,
        UniqueAuthMode::Any => authorization.is_some(),
    };
    if external {
        let Some(token) = authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
        else {
            return Err(rejection(StatusCode::UNAUTHORIZED, "Missing bearer token"));
        };
        let client_id = service
            .zitadel_tokens
            .check(token.trim())
            .map_err(|e| rejection(StatusCode::UNAUTHORIZED, &format!("Unauthorized: {e}")))?;
        let user_id = service
            .zitadel_clients
            .iter()
            .find(|c| c.client_id == client_id)
            .map(|c| c.user_id.clone())
            .unwrap_or(client_id);
        return Ok(Caller { user_id });
    }
    let (Some(company), Some(user), Some(_service_id)) = (
        header_value("x-company-id"),
        header_value("x-user-id"),
        header_value("x-service-id"),
    ) else {
        return Err(rejection(
            StatusCode::UNAUTHORIZED,
            "Cluster-local calls need x-company-id, x-user-id and x-service-id",
        ));
    };
    if company != service.company_id {
        return Err(rejection(
            StatusCode::FORBIDDEN,
            &format!("Unknown company {company}"),
        ));
    }
    if user.trim().is_empty() {
        return Err(rejection(StatusCode::FORBIDDEN, "Empty x-user-id"));
    }
    Ok(Caller { user_id: user })
}

/// The exact scope string Zitadel expects for a project.
pub fn expected_scope(project_id: &str) -> String {
    format!(
        "openid profile email urn:zitadel:iam:user:resourceowner urn:zitadel:iam:org:projects:roles urn:zitadel:iam:org:project:id:{project_id}:aud"
    )
}

/// T3.
pub async fn zitadel_token(
    State(service): State<Arc<UniqueService>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let Some((client_id, client_secret)) = credentials.as_deref().and_then(|c| c.split_once(':'))
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client credentials must be sent with HTTP Basic",
        );
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.contains_key("client_id") || form.contains_key("client_secret") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client credentials must not be in the body",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let Some(client) = service
        .zitadel_clients
        .iter()
        .find(|c| c.client_id == client_id && c.client_secret == client_secret)
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };
    if form.get("scope") != Some(&expected_scope(&client.project_id)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the scope string does not match the project",
        );
    }
    let token = service
        .zitadel_tokens
        .issue("zitadel", &client.client_id, client.token_ttl_secs);
    axum::Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": client.token_ttl_secs,
        "id_token": "sim.id.token",
    }))
    .into_response()
}
