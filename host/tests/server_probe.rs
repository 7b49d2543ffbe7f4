//! The API listener over real loopback HTTP: `/probe`, CORS origin reflection and shutdown on the
//! cancellation token.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connector_host::config::HealthSettings;
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::server::{self, HealthChecker, HealthTargets, Listener, SyncHistory};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct ApiServer {
    address: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), server::ServerError>>,
}

async fn start_api() -> ApiServer {
    let settings = HealthSettings {
        sync_history_size: std::num::NonZeroUsize::new(5).expect("non-zero"),
        tenant_failure_threshold: 0.5,
        connectivity_timeout: Duration::from_secs(2),
    };
    let clients = HttpClients::build(&ProxySettings::none(), None).expect("clients");
    let (_targets, targets_view) = watch::channel(HealthTargets::default());
    let checker = HealthChecker::new(
        Arc::new(SyncHistory::from_settings(&settings)),
        targets_view,
        clients,
        &settings,
    );
    let listener = server::bind(Listener::Api, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("local address");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server::serve_api(
        listener,
        Arc::new(checker),
        shutdown.clone(),
    ));
    ApiServer {
        address,
        shutdown,
        task,
    }
}

#[tokio::test]
async fn probe_answers_the_connector_version() {
    let api = start_api().await;
    let response = reqwest::get(format!("http://{}/probe", api.address))
        .await
        .expect("probe");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })
    );
}

#[tokio::test]
async fn cors_reflects_the_request_origin() {
    let api = start_api().await;
    let client = reqwest::Client::new();
    for path in ["/probe", "/health"] {
        let response = client
            .get(format!("http://{}{path}", api.address))
            .header("Origin", "https://dashboard.example.com")
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://dashboard.example.com",
            "{path}"
        );
        assert!(
            response
                .headers()
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.contains("Origin"))),
            "{path}: Vary: Origin"
        );
    }

    let without_origin = client
        .get(format!("http://{}/probe", api.address))
        .send()
        .await
        .expect("request");
    assert!(
        without_origin
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{}/health", api.address),
        )
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-trace")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "x-trace"
    );
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .expect("ascii")
            .contains("GET")
    );
}

#[tokio::test]
async fn listener_stops_when_the_token_is_cancelled() {
    let api = start_api().await;
    api.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), api.task)
        .await
        .expect("server stops within 5 s")
        .expect("task not panicked");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        reqwest::get(format!("http://{}/probe", api.address))
            .await
            .is_err(),
        "port closed after shutdown"
    );
}

#[tokio::test]
async fn binding_a_taken_port_names_the_listener_and_address() {
    let taken = server::bind(Listener::Metrics, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("bind");
    let address = taken.local_addr().expect("address");
    let error = server::bind(Listener::Metrics, address)
        .await
        .expect_err("port in use");
    let message = error.to_string();
    assert!(message.contains("metrics"), "{message}");
    assert!(message.contains(&address.to_string()), "{message}");
}

#[test]
fn listener_addresses_follow_the_service_settings() {
    let env = |name: &str| match name {
        "TENANT_CONFIG_PATH_PATTERN" => Some("/config/*-tenant-config.yaml".to_owned()),
        "PORT" => Some("8080".to_owned()),
        "OTEL_EXPORTER_PROMETHEUS_HOST" => Some("127.0.0.1".to_owned()),
        _ => None,
    };
    let settings = connector_host::config::ServiceSettings::from_env(env).expect("settings");
    assert_eq!(server::api_address(&settings).to_string(), "0.0.0.0:8080");
    assert_eq!(
        server::metrics_address(&settings).to_string(),
        "127.0.0.1:51350"
    );
}
