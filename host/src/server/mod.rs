//! The two HTTP listeners (operations §6, §7, §9): the API listener on `PORT` serving `/probe` and
//! `/health`, and the metrics listener serving `/metrics` from the shared Prometheus registry.
//! Callers bind the addresses (tests bind `127.0.0.1:0`) and stop both with a
//! [`CancellationToken`]. Every answer reflects the request's `Origin` (CORS, [`cors`]).

mod cors;
pub mod health;
mod metrics_endpoint;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::ServiceSettings;

pub use health::{
    CheckOutcome, ConfluenceKind, ConfluenceTarget, HealthChecker, HealthReport, HealthTargets,
    HealthTenant, SyncHistory, UniqueTarget,
};

/// Which listener an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// `PORT`: `/probe` and `/health`.
    Api,
    /// `OTEL_EXPORTER_PROMETHEUS_PORT`: `/metrics`.
    Metrics,
}

impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Api => "API (/probe, /health)",
            Self::Metrics => "metrics (/metrics)",
        })
    }
}

/// Why a listener could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot bind the {listener} listener to {address}")]
    Bind {
        listener: Listener,
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the {listener} listener failed")]
    Serve {
        listener: Listener,
        #[source]
        source: std::io::Error,
    },
}

/// The API listener's address: every interface, port `PORT`.
pub fn api_address(settings: &ServiceSettings) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), settings.port)
}

/// The metrics listener's address: `OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT`.
pub fn metrics_address(settings: &ServiceSettings) -> SocketAddr {
    SocketAddr::new(settings.metrics.host, settings.metrics.port)
}

/// Binds a listener's address (port 0 picks a free port; read it with `local_addr`).
pub async fn bind(listener: Listener, address: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Bind {
            listener,
            address,
            source,
        })
}

/// Serves `/probe` and `/health` on `listener` until `shutdown` is cancelled; requests in flight
/// then finish.
pub async fn serve_api(
    listener: TcpListener,
    health: Arc<HealthChecker>,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let router = Router::new()
        .route("/probe", get(probe))
        .route("/health", get(health_check))
        .with_state(health);
    serve(Listener::Api, listener, router, shutdown).await
}

/// Serves `/metrics` (Prometheus text format of everything in `registry`) on `listener` until
/// `shutdown` is cancelled.
pub async fn serve_metrics(
    listener: TcpListener,
    registry: Registry,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let router = Router::new()
        .route("/metrics", get(metrics_endpoint::scrape))
        .with_state(registry);
    serve(Listener::Metrics, listener, router, shutdown).await
}

async fn serve(
    which: Listener,
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let router = router.layer(axum::middleware::from_fn(cors::reflect_origin));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|source| ServerError::Serve {
            listener: which,
            source,
        })
}

/// `GET /probe`: liveness and readiness; always 200 with the connector's version.
async fn probe() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }))
}

/// `GET /health`: 200 when every check is up, 503 otherwise.
async fn health_check(State(health): State<Arc<HealthChecker>>) -> Response {
    let report = health.check().await;
    let status = if report.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report.body)).into_response()
}
