//! A small loopback stand-in for the Unique services: records every request (method, path, raw
//! query, headers, body, whether the body arrived whole) and answers with a scripted reply. Also
//! builds `UniqueClient`s pointed at such servers.

#![allow(dead_code)] // each test crate uses a different part

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use connector_host::auth::{UniqueAuth, ZitadelAuth, ZitadelSettings};
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::secret::Secret;
use connector_host::unique::{UniqueClient, UniqueClientSettings, UniqueMetrics};
use futures::StreamExt;
use prometheus::Registry;
use serde_json::{Value, json};
use url::Url;

/// Bodies larger than this are counted, not kept.
const MAX_KEPT_BODY: usize = 1024 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The query exactly as sent (still percent-encoded).
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    /// The body, or its first chunks up to 1 MiB when it is larger.
    pub body: Vec<u8>,
    pub body_len: u64,
    /// False when the connection broke before the body was complete.
    pub body_complete: bool,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// For GraphQL requests: `operationName`.
    pub fn operation_name(&self) -> String {
        self.json()["operationName"]
            .as_str()
            .expect("operationName")
            .to_owned()
    }

    /// For GraphQL requests: the document with whitespace collapsed.
    pub fn document(&self) -> String {
        collapse_whitespace(self.json()["query"].as_str().expect("query"))
    }
}

/// `text` with runs of whitespace turned into one space, and no space next to braces, so
/// documents compare by content and not by formatting.
pub fn collapse_whitespace(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    words
        .replace("{ ", "{")
        .replace(" {", "{")
        .replace(" }", "}")
        .replace("} ", "}")
}

/// The answer the server gives.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// How long to wait before answering.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn json(body: Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// `{"data":{root: value}}`.
    pub fn data(root: &str, value: Value) -> Self {
        Self::json(serde_json::json!({ "data": { root: value } }))
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: std::time::Duration::ZERO,
        }
    }
}

type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct ServerState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    respond: Responder,
    bytes_received: Arc<AtomicU64>,
}

/// A loopback server on 127.0.0.1:0.
pub struct FakeService {
    pub origin: Url,
    requests: Arc<Mutex<Vec<Recorded>>>,
    bytes_received: Arc<AtomicU64>,
}

impl FakeService {
    pub async fn start(respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let bytes_received = Arc::new(AtomicU64::new(0));
        let state = ServerState {
            requests: Arc::clone(&requests),
            respond: Arc::new(respond),
            bytes_received: Arc::clone(&bytes_received),
        };
        let app = Router::new().fallback(record_and_reply).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            origin: Url::parse(&format!("http://{addr}")).expect("origin"),
            requests,
            bytes_received,
        }
    }

    /// `origin` + `path` (e.g. `/ingestion`), for a base URL with a path prefix.
    pub fn url(&self, path: &str) -> Url {
        self.origin.join(path).expect("url")
    }

    /// Body bytes received so far over all requests, counted as they arrive.
    pub fn live_bytes_received(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bytes_received)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    /// Waits until `count` requests were recorded (the recording of a broken body finishes after
    /// the client gave up).
    pub async fn wait_for_requests(&self, count: usize) -> Vec<Recorded> {
        for _ in 0..200 {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "expected {count} requests, got {:?}",
            self.requests()
                .iter()
                .map(|r| (&r.method, &r.path))
                .collect::<Vec<_>>()
        );
    }
}

async fn record_and_reply(State(state): State<ServerState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut kept = Vec::new();
    let mut body_len = 0u64;
    let mut body_complete = true;
    let mut keeping = true;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(chunk) => {
                body_len += chunk.len() as u64;
                state
                    .bytes_received
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                // Keep a contiguous prefix only: stop at the first chunk that does not fit.
                keeping &= kept.len() + chunk.len() <= MAX_KEPT_BODY;
                if keeping {
                    kept.extend_from_slice(&chunk);
                }
            }
            Err(_) => {
                body_complete = false;
                break;
            }
        }
    }
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: kept,
        body_len,
        body_complete,
    };
    let reply = (state.respond)(&recorded);
    state.requests.lock().expect("lock").push(recorded);
    tokio::time::sleep(reply.delay).await;
    let mut response =
        Response::builder().status(StatusCode::from_u16(reply.status).expect("status"));
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.body))
        .map(IntoResponse::into_response)
        .expect("response")
}

/// The extra headers the cluster-local test clients send.
pub const EXTRA_HEADERS: [(&str, &str); 2] =
    [("x-company-id", "company-1"), ("x-user-id", "user-1")];

pub fn cluster_local_auth() -> UniqueAuth {
    UniqueAuth::cluster_local(
        EXTRA_HEADERS
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    )
    .expect("valid extra headers")
}

pub fn http_clients() -> HttpClients {
    HttpClients::build(&ProxySettings::none(), None).expect("clients")
}

/// A client for tenant `acme` with both services on the given base URLs, 6000 requests/min.
pub fn client_with(
    ingestion_base: Url,
    scope_management_base: Url,
    auth: UniqueAuth,
    metrics: &UniqueMetrics,
) -> UniqueClient {
    client_with_rate(ingestion_base, scope_management_base, auth, metrics, 6_000)
}

/// [`client_with`] at `rate_per_minute` for each of the three Unique limiters.
pub fn client_with_rate(
    ingestion_base: Url,
    scope_management_base: Url,
    auth: UniqueAuth,
    metrics: &UniqueMetrics,
    rate_per_minute: u32,
) -> UniqueClient {
    let http = http_clients();
    let http = if auth.uses_proxy() {
        http.proxied
    } else {
        http.direct
    };
    UniqueClient::new(
        UniqueClientSettings {
            tenant: "acme".into(),
            ingestion_base_url: ingestion_base,
            scope_management_base_url: scope_management_base,
            auth,
            rate_per_minute: NonZeroU32::new(rate_per_minute).expect("positive rate"),
            http,
        },
        metrics,
    )
    .expect("client")
}

/// A cluster-local client whose both services are `service` (ingestion under `/ingestion`).
pub fn cluster_local_client(service: &FakeService) -> (UniqueClient, Registry) {
    let registry = Registry::new();
    let metrics = UniqueMetrics::register(&registry).expect("metrics");
    let client = client_with(
        service.url("/ingestion"),
        service.url("/scope-management"),
        cluster_local_auth(),
        &metrics,
    );
    (client, registry)
}

/// A loopback Zitadel token endpoint answering `token` and counting requests.
async fn start_token_server(token: &'static str) -> (Url, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app = axum::Router::new().route(
        "/oauth/v2/token",
        post(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { Json(json!({"access_token": token, "expires_in": 3600})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (
        Url::parse(&format!("http://{addr}/oauth/v2/token")).expect("url"),
        calls,
    )
}

/// `external` auth with a Zitadel token source on a loopback token server; also returns the
/// number of token requests that server answered.
pub async fn external_auth(token: &'static str) -> (UniqueAuth, Arc<AtomicUsize>) {
    let (token_url, calls) = start_token_server(token).await;
    let zitadel = ZitadelAuth::new(
        &ZitadelSettings {
            token_url,
            client_id: "connector".into(),
            client_secret: Secret::new("client-secret"),
            project_id: Secret::new("project-1"),
        },
        http_clients().proxied,
    );
    (UniqueAuth::External(zitadel), calls)
}
