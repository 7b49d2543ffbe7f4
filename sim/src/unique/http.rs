//! The Unique listener's routes: ingestion GraphQL (G2–G12), scope-management GraphQL (G1,
//! `__typename`), the REST file diff (U1), the cluster-local `/scoped/upload`, and Zitadel (T3).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::UniqueService;
use super::auth::{self, zitadel_token};
use super::blob::{BlobTypeHeader, receive_upload};
use super::graphql::{self, OperationKind};
use super::operations::{self, CallContext, GraphqlTarget};
use super::store::FileDiffItem;
use crate::faults::FaultTarget;
use crate::http_layer::{FaultTag, OperationTag};
use crate::lock;

/// Path prefixes of the two GraphQL services on the Unique listener.
pub const INGESTION_PREFIX: &str = "/ingestion";
pub const SCOPE_MANAGEMENT_PREFIX: &str = "/scope-management";
pub const ZITADEL_TOKEN_PATH: &str = "/oauth/v2/token";
const INGESTION_GRAPHQL_PATH: &str = "/ingestion/graphql";
const SCOPE_MANAGEMENT_GRAPHQL_PATH: &str = "/scope-management/graphql";
const FILE_DIFF_PATH: &str = "/ingestion/v2/content/file-diff";
pub const SCOPED_UPLOAD_PATH: &str = "/ingestion/scoped/upload";

fn graphql_path(target: GraphqlTarget) -> &'static str {
    match target {
        GraphqlTarget::Ingestion => INGESTION_GRAPHQL_PATH,
        GraphqlTarget::ScopeManagement => SCOPE_MANAGEMENT_GRAPHQL_PATH,
    }
}

type Service = State<Arc<UniqueService>>;

pub fn router(service: Arc<UniqueService>) -> Router {
    Router::new()
        .route("/", get(|| async { "Simulated Unique platform" }))
        .route(INGESTION_GRAPHQL_PATH, post(ingestion_graphql))
        .route(
            SCOPE_MANAGEMENT_GRAPHQL_PATH,
            post(scope_management_graphql),
        )
        .route(FILE_DIFF_PATH, post(file_diff))
        .route(SCOPED_UPLOAD_PATH, put(scoped_upload))
        .route(ZITADEL_TOKEN_PATH, post(zitadel_token))
        .with_state(service)
}

async fn ingestion_graphql(State(service): Service, headers: HeaderMap, body: Bytes) -> Response {
    graphql_endpoint(&service, GraphqlTarget::Ingestion, &headers, &body).await
}

async fn scope_management_graphql(
    State(service): Service,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    graphql_endpoint(&service, GraphqlTarget::ScopeManagement, &headers, &body).await
}

fn graphql_errors(status: StatusCode, message: &str, code: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"errors": [{"message": message, "extensions": {"code": code}}], "data": null}),
        ),
    )
        .into_response()
}

fn tagged(mut response: Response, operation: &str) -> Response {
    response
        .extensions_mut()
        .insert(OperationTag(operation.to_owned()));
    response
}

async fn graphql_endpoint(
    service: &UniqueService,
    target: GraphqlTarget,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return graphql_errors(
                StatusCode::BAD_REQUEST,
                &format!("Body is not JSON: {e}"),
                "BAD_REQUEST",
            );
        }
    };
    let label = request["operationName"]
        .as_str()
        .unwrap_or("(anonymous)")
        .to_owned();
    let response = run_graphql(service, target, headers, &request).await;
    tagged(response, &label)
}

async fn run_graphql(
    service: &UniqueService,
    target: GraphqlTarget,
    headers: &HeaderMap,
    request: &Value,
) -> Response {
    let caller = match auth::authenticate(service, headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(query) = request["query"].as_str() else {
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            "GraphQL operations must contain a non-empty `query`.",
            "BAD_REQUEST",
        );
    };
    let document = match graphql::parse(query) {
        Ok(d) => d,
        Err(e) => return graphql_errors(StatusCode::BAD_REQUEST, &e.0, "GRAPHQL_PARSE_FAILED"),
    };
    let requested_name = request["operationName"].as_str();
    if let (Some(requested), Some(declared)) = (requested_name, document.name.as_deref())
        && requested != declared
    {
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            &format!("Unknown operation named \"{requested}\"."),
            "OPERATION_RESOLUTION_FAILURE",
        );
    }
    if document.selection.iter().all(|s| s.name == "__typename") {
        let type_name = if document.kind == OperationKind::Query {
            "Query"
        } else {
            "Mutation"
        };
        return axum::Json(json!({"data": {"__typename": type_name}})).into_response();
    }
    let Some(name) = requested_name.or(document.name.as_deref()) else {
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            "The simulator needs a named operation (operationName).",
            "BAD_REQUEST",
        );
    };
    let Some(spec) = operations::spec(name).filter(|s| s.target == target) else {
        let field = document.selection.first().map_or("", |s| s.name.as_str());
        let type_name = if document.kind == OperationKind::Query {
            "Query"
        } else {
            "Mutation"
        };
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            &format!(
                "Cannot query field \"{field}\" on type \"{type_name}\" (operation {name} is not served by this endpoint)."
            ),
            "GRAPHQL_VALIDATION_FAILED",
        );
    };
    if document.kind != spec.kind
        || document.selection.len() != 1
        || document.selection[0].name != spec.root_field
    {
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            &format!(
                "Operation {name} must be a {:?} selecting only `{}`.",
                spec.kind, spec.root_field
            ),
            "GRAPHQL_VALIDATION_FAILED",
        );
    }
    let variables = request.get("variables").cloned().unwrap_or(Value::Null);
    if !(variables.is_object() || variables.is_null()) {
        return graphql_errors(
            StatusCode::BAD_REQUEST,
            "`variables` must be an object.",
            "BAD_USER_INPUT",
        );
    }
    if let Err(message) = check_variables(spec, &document.variables, &variables) {
        return graphql_errors(StatusCode::BAD_REQUEST, &message.0, "BAD_USER_INPUT");
    }
    let variables_text = variables.to_string();
    if let Some(action) = service.faults.take(&FaultTarget {
        service: "unique",
        method: "POST",
        path: graphql_path(target),
        operation: Some(name),
        key: Some(&variables_text),
    }) {
        action.delay().await;
        if let Some(mut early) = action.early_response() {
            early.extensions_mut().insert(FaultTag(action.label()));
            return early;
        }
    }
    let ctx = CallContext {
        user_id: &caller.user_id,
        blob_origin: &service.urls.blob_origin,
    };
    let result = {
        let mut store = lock(&service.store);
        operations::execute(spec, &variables, &mut store, &ctx)
    };
    match result {
        Ok(full) => match graphql::project(&full, &document.selection[0].children, spec.result_type) {
            Ok(projected) => axum::Json(json!({"data": {spec.root_field: projected}})).into_response(),
            Err(message) => graphql_errors(StatusCode::BAD_REQUEST, &message.0, "GRAPHQL_VALIDATION_FAILED"),
        },
        Err(e) => (
            StatusCode::OK,
            axum::Json(json!({"errors": [{"message": e.0, "path": [spec.root_field], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}], "data": null})),
        )
            .into_response(),
    }
}

/// The document must declare the operation's variables with the spec's types; the values
/// must fit those types.
fn check_variables(
    spec: &operations::OperationSpec,
    declared: &[(String, String)],
    values: &Value,
) -> Result<(), graphql::GraphqlError> {
    for (name, ty) in declared {
        match spec.variables.iter().find(|(n, _)| n == name) {
            None => {
                return Err(graphql::GraphqlError(format!(
                    "Variable \"${name}\" is not defined by operation \"{}\".",
                    spec.name
                )));
            }
            Some((_, expected)) if expected != ty => {
                return Err(graphql::GraphqlError(format!(
                    "Variable \"${name}\" of type \"{ty}\" used in position expecting type \"{expected}\"."
                )));
            }
            Some(_) => {}
        }
    }
    for (name, expected) in spec.variables {
        let is_declared = declared.iter().any(|(n, _)| n == name);
        if expected.ends_with('!') && !is_declared {
            return Err(graphql::GraphqlError(format!(
                "Field \"{}\" argument \"{name}\" of type \"{expected}\" is required, but it was not provided.",
                spec.root_field
            )));
        }
        if is_declared {
            graphql::check_value(name, expected, values.get(*name).unwrap_or(&Value::Null))?;
        }
    }
    Ok(())
}

/// U1.
async fn file_diff(State(service): Service, headers: HeaderMap, body: Bytes) -> Response {
    let response = run_file_diff(&service, &headers, &body).await;
    tagged(response, "FileDiff")
}

fn bad_request(messages: Vec<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"statusCode": 400, "message": messages, "error": "Bad Request"})),
    )
        .into_response()
}

async fn run_file_diff(service: &UniqueService, headers: &HeaderMap, body: &[u8]) -> Response {
    if let Err(r) = auth::authenticate(service, headers) {
        return r;
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return bad_request(vec![format!("body is not JSON: {e}")]),
    };
    let mut problems = Vec::new();
    for field in ["partialKey", "sourceKind", "sourceName"] {
        if !request[field].is_string() {
            problems.push(format!("{field} must be a string"));
        }
    }
    let items: Option<Vec<FileDiffItem>> = serde_json::from_value(request["fileList"].clone()).ok();
    if items.is_none() {
        problems.push("fileList must be an array of {key, url, updatedAt} strings".to_owned());
    }
    let (Some(partial_key), Some(items), true) =
        (request["partialKey"].as_str(), items, problems.is_empty())
    else {
        return bad_request(problems);
    };
    if let Some(action) = service.faults.take(&FaultTarget {
        service: "unique",
        method: "POST",
        path: FILE_DIFF_PATH,
        operation: Some("FileDiff"),
        key: Some(partial_key),
    }) {
        action.delay().await;
        if let Some(mut early) = action.early_response() {
            early.extensions_mut().insert(FaultTag(action.label()));
            return early;
        }
    }
    let result = lock(&service.store).file_diff(partial_key, &items);
    axum::Json(result).into_response()
}

/// U2 in cluster-local mode. The key is the raw query value, form-decoded once.
async fn scoped_upload(
    State(service): Service,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(key) = params.get("key") else {
        return tagged(
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "the key query parameter is required"})),
            )
                .into_response(),
            "Upload",
        );
    };
    tagged(
        receive_upload(
            &service,
            "unique",
            SCOPED_UPLOAD_PATH,
            key,
            &headers,
            body,
            BlobTypeHeader::Optional,
        )
        .await,
        "Upload",
    )
}
