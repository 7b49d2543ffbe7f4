//! The admin listener: state dump, request log, faults, token expiry and Confluence mutations
//! over HTTP, for the CLI, for tests in other processes, and for people with curl.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::confluence::mutation::ConfluenceMutation;
use crate::faults::FaultRule;
use crate::server::SimCore;

type Core = State<Arc<SimCore>>;

pub fn router(core: Arc<SimCore>) -> Router {
    Router::new()
        .route("/__admin/urls", get(urls))
        .route("/__admin/state", get(state))
        .route("/__admin/requests", get(requests).delete(reset_requests))
        .route(
            "/__admin/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/__admin/tokens/expire", post(expire_tokens))
        .route("/__admin/confluence/{instance}/mutations", post(mutate))
        .with_state(core)
}

async fn urls(State(core): Core) -> Response {
    axum::Json(core.urls.clone()).into_response()
}

async fn state(State(core): Core) -> Response {
    axum::Json(core.dump_state()).into_response()
}

async fn requests(State(core): Core) -> Response {
    axum::Json(core.log.snapshot()).into_response()
}

async fn reset_requests(State(core): Core) -> StatusCode {
    core.log.reset();
    StatusCode::NO_CONTENT
}

async fn faults(State(core): Core) -> Response {
    axum::Json(core.faults.list()).into_response()
}

async fn add_fault(State(core): Core, axum::Json(rule): axum::Json<FaultRule>) -> StatusCode {
    core.faults.add(rule);
    StatusCode::CREATED
}

async fn clear_faults(State(core): Core) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(core): Core) -> StatusCode {
    core.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn mutate(
    State(core): Core,
    Path(instance): Path<String>,
    axum::Json(mutation): axum::Json<ConfluenceMutation>,
) -> Response {
    match core.mutate(&instance, &mutation) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            let detail = std::error::Error::source(&error).map(ToString::to_string);
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": error.to_string(), "detail": detail})),
            )
                .into_response()
        }
    }
}
