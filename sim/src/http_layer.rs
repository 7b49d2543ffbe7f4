//! The layer every simulator listener shares: applies path-level faults, then records the
//! request (route template, status, selected headers) in the request log.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::faults::{FaultSet, FaultTarget};
use crate::request_log::{LOGGED_HEADERS, LoggedRequest, RequestLog};

/// Response extension: the operation a handler served (GraphQL operation name, `FileDiff`, …).
#[derive(Clone, Debug)]
pub struct OperationTag(pub String);

/// Response extension: a fault a handler applied itself (operation-level faults).
#[derive(Clone, Debug)]
pub struct FaultTag(pub String);

/// Response extension: the route template that served the request.
#[derive(Clone, Debug)]
struct RouteTag(String);

/// What the layer needs: which listener it is on, and the shared log and faults.
#[derive(Clone, Debug)]
pub struct Observer {
    pub service: String,
    pub log: Arc<RequestLog>,
    pub faults: Arc<FaultSet>,
}

async fn tag_route(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response
            .extensions_mut()
            .insert(RouteTag(matched.as_str().to_owned()));
    }
    response
}

async fn observe(State(observer): State<Observer>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let mut headers = BTreeMap::new();
    for name in LOGGED_HEADERS {
        if let Some(value) = request.headers().get(*name).and_then(|v| v.to_str().ok()) {
            let shown = if *name == "authorization" {
                let scheme = value.split_whitespace().next().unwrap_or_default();
                format!("{scheme} [redacted]")
            } else {
                value.to_owned()
            };
            headers.insert((*name).to_owned(), shown);
        }
    }
    let fault = observer.faults.take(&FaultTarget {
        service: &observer.service,
        method: &method,
        path: &path,
        operation: None,
        key: None,
    });
    let response = match &fault {
        Some(action) => {
            action.delay().await;
            match action.early_response() {
                Some(early) => early,
                None => action.rewrite(next.run(request).await).await,
            }
        }
        None => next.run(request).await,
    };
    let route = response
        .extensions()
        .get::<RouteTag>()
        .map_or_else(|| "(unmatched)".to_owned(), |r| r.0.clone());
    let operation = response
        .extensions()
        .get::<OperationTag>()
        .map(|o| o.0.clone());
    let fault_label = response
        .extensions()
        .get::<FaultTag>()
        .map(|f| f.0.clone())
        .or_else(|| fault.as_ref().map(|f| f.label()));
    let mut endpoint = format!("{} {method} {route}", observer.service);
    if let Some(op) = &operation {
        endpoint.push(' ');
        endpoint.push_str(op);
    }
    observer.log.record(LoggedRequest {
        seq: 0,
        service: observer.service.clone(),
        method,
        path,
        query,
        endpoint,
        operation,
        status: response.status().as_u16(),
        headers,
        duration_ms: started.elapsed().as_millis() as u64,
        fault: fault_label,
    });
    response
}

/// Wraps a listener's router with route tagging, faults and logging.
pub fn observed(router: Router, observer: Observer) -> Router {
    router
        .route_layer(middleware::from_fn(tag_route))
        .layer(middleware::from_fn_with_state(observer, observe))
}
