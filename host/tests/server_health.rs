//! `GET /health` over real loopback HTTP, against loopback Confluence, Atlassian and Unique
//! stand-ins: the exact JSON shapes, the sync window, unreachable and slow targets, Unique status
//! and auth failures, and tenant reloads.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{any, post};
use chrono::{DateTime, Utc};
use connector_host::auth::{UniqueAuth, ZitadelAuth, ZitadelSettings};
use connector_host::config::{HealthSettings, TenantName, TenantStatus};
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::secret::Secret;
use connector_host::server::{
    self, ConfluenceKind, ConfluenceTarget, HealthChecker, HealthTargets, HealthTenant, Listener,
    SyncHistory, UniqueTarget,
};
use connector_host::telemetry::Outcome;
use serde_json::{Value as Json, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;

// ---- loopback stand-ins -------------------------------------------------------------------------

/// Requests a stand-in received: (path, headers, body).
type Received = Arc<Mutex<Vec<(String, HeaderMap, String)>>>;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind stand-in");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// A web server answering 404 to everything (any answer means "reachable"), counting requests.
async fn reachable_site() -> (String, Received) {
    let received = Received::default();
    let router = Router::new()
        .fallback(any(
            |State(received): State<Received>, uri: Uri, headers: HeaderMap| async move {
                lock(&received).push((uri.path().to_owned(), headers, String::new()));
                StatusCode::NOT_FOUND
            },
        ))
        .with_state(received.clone());
    (format!("http://{}", serve(router).await), received)
}

/// A Unique stand-in: `POST /{answer}/graphql` answers the status in the path (`/200/graphql`).
async fn unique_stand_in() -> (String, Received) {
    let received = Received::default();
    let router = Router::new()
        .route(
            "/{answer}/graphql",
            post(
                |State(received): State<Received>,
                 Path(answer): Path<u16>,
                 uri: Uri,
                 headers: HeaderMap,
                 body: String| async move {
                    lock(&received).push((uri.path().to_owned(), headers, body));
                    let status = StatusCode::from_u16(answer).expect("status in path");
                    (status, r#"{"data":{"__typename":"Query"}}"#)
                },
            ),
        )
        .with_state(received.clone());
    (format!("http://{}", serve(router).await), received)
}

/// A server that accepts connections and never answers.
async fn silent_site() -> String {
    let router = Router::new().fallback(any(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        StatusCode::OK
    }));
    format!("http://{}", serve(router).await)
}

/// A URL on a port nobody listens on.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- the connector under test -------------------------------------------------------------------

struct Api {
    address: SocketAddr,
    history: Arc<SyncHistory>,
    targets: watch::Sender<HealthTargets>,
    _shutdown: tokio_util::sync::DropGuard,
}

async fn start_api(tenants: Vec<HealthTenant>, atlassian_url: &str, ping_timeout: Duration) -> Api {
    let settings = HealthSettings {
        sync_history_size: NonZeroUsize::new(5).expect("non-zero"),
        tenant_failure_threshold: 0.5,
        connectivity_timeout: ping_timeout,
    };
    let history = Arc::new(SyncHistory::from_settings(&settings));
    let (targets, targets_view) = watch::channel(HealthTargets { tenants });
    let checker = HealthChecker::new(Arc::clone(&history), targets_view, clients(), &settings)
        .with_atlassian_url(Url::parse(&format!("{atlassian_url}/")).expect("URL"));
    let listener = server::bind(Listener::Api, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    tokio::spawn(server::serve_api(
        listener,
        Arc::new(checker),
        shutdown.clone(),
    ));
    Api {
        address,
        history,
        targets,
        _shutdown: shutdown.drop_guard(),
    }
}

impl Api {
    async fn health(&self) -> (u16, Json) {
        let response = reqwest::get(format!("http://{}/health", self.address))
            .await
            .expect("GET /health");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }
}

fn clients() -> HttpClients {
    HttpClients::build(&ProxySettings::none(), None).expect("clients")
}

fn name(text: &str) -> TenantName {
    TenantName::try_from(text).expect("tenant name")
}

fn cluster_local_auth() -> UniqueAuth {
    UniqueAuth::cluster_local([
        ("x-company-id".to_owned(), "company-1".to_owned()),
        ("x-user-id".to_owned(), "user-1".to_owned()),
    ])
    .expect("valid headers")
}

fn tenant(
    tenant_name: &str,
    status: TenantStatus,
    confluence: Option<(ConfluenceKind, &str)>,
    unique_base: &str,
) -> HealthTenant {
    HealthTenant {
        name: name(tenant_name),
        status,
        confluence: confluence.map(|(kind, base_url)| ConfluenceTarget {
            kind,
            base_url: base_url.to_owned(),
        }),
        unique: UniqueTarget {
            ingestion_base_url: format!("{unique_base}/200"),
            scope_management_base_url: format!("{unique_base}/200"),
            auth: cluster_local_auth(),
        },
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339 time")
        .with_timezone(&Utc)
}

/// `details` must hold every check, `info` the up ones and `error` the down ones.
fn assert_sections_consistent(body: &Json) {
    let details = body["details"].as_object().expect("details");
    assert_eq!(details.len(), 3, "{body}");
    for (check, value) in details {
        let section = if value["status"] == "up" {
            "info"
        } else {
            "error"
        };
        assert_eq!(&body[section][check], value, "{check} in {section}: {body}");
    }
}

// ---- tests --------------------------------------------------------------------------------------

#[tokio::test]
async fn no_tenants_and_no_records_is_ok_with_the_no_records_message() {
    let atlassian = closed_port_url().await;
    let api = start_api(Vec::new(), &atlassian, Duration::from_secs(2)).await;
    let (status, body) = api.health().await;
    assert_eq!(status, 200);
    let checks = json!({
        "sync": {"status": "up", "message": "No sync records yet"},
        "connectivity": {"status": "up", "confluence": []},
        "uniqueApi": {"status": "up", "ingestion": [], "scopeManagement": []},
    });
    assert_eq!(
        body,
        json!({"status": "ok", "info": checks, "error": {}, "details": checks})
    );
}

#[tokio::test]
async fn healthy_tenants_report_their_windows_and_reachable_targets() {
    let (atlassian, atlassian_hits) = reachable_site().await;
    let (cloud_site, _) = reachable_site().await;
    let (dc_site, _) = reachable_site().await;
    let (unique, _) = unique_stand_in().await;
    let api = start_api(
        vec![
            tenant(
                "acme",
                TenantStatus::Active,
                Some((ConfluenceKind::Cloud, &cloud_site)),
                &unique,
            ),
            tenant(
                "onprem",
                TenantStatus::Active,
                Some((ConfluenceKind::DataCenter, &dc_site)),
                &unique,
            ),
        ],
        &atlassian,
        Duration::from_secs(2),
    )
    .await;
    let acme = name("acme");
    api.history
        .record_at(&acme, Outcome::Failure, at("2025-03-01T10:00:00Z"));
    for minute in 1..=4 {
        let time = at(&format!("2025-03-01T10:0{minute}:00Z"));
        api.history.record_at(&acme, Outcome::Success, time);
    }
    api.history.record_at(
        &name("onprem"),
        Outcome::Success,
        at("2025-03-01T10:15:02.120Z"),
    );

    let (status, body) = api.health().await;
    assert_eq!(status, 200, "{body}");
    let checks = json!({
        "sync": {
            "status": "up",
            "lastSyncAt": "2025-03-01T10:15:02.120Z",
            "tenants": {"acme": {"failures": 1, "total": 5}, "onprem": {"failures": 0, "total": 1}},
        },
        "connectivity": {
            "status": "up",
            "atlassian": "up",
            "confluence": [{"tenant": "acme", "status": "up"}, {"tenant": "onprem", "status": "up"}],
        },
        "uniqueApi": {
            "status": "up",
            "ingestion": [{"tenant": "acme", "status": "up"}, {"tenant": "onprem", "status": "up"}],
            "scopeManagement": [{"tenant": "acme", "status": "up"}, {"tenant": "onprem", "status": "up"}],
        },
    });
    assert_eq!(
        body,
        json!({"status": "ok", "info": checks, "error": {}, "details": checks})
    );
    let hits = lock(&atlassian_hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].0, "/");
    assert!(
        hits[0].1.get("authorization").is_none(),
        "unauthenticated ping"
    );
}

#[tokio::test]
async fn a_tenant_over_the_failure_threshold_makes_health_503() {
    let atlassian = closed_port_url().await;
    let api = start_api(Vec::new(), &atlassian, Duration::from_secs(2)).await;
    let (acme, beta) = (name("acme"), name("beta"));
    // acme: 3 of the last 5 failed (0.6 > 0.5); its 6th-oldest failure has left the window.
    for (second, result) in [
        Outcome::Failure,
        Outcome::Failure,
        Outcome::Success,
        Outcome::Failure,
        Outcome::Success,
        Outcome::Failure,
    ]
    .into_iter()
    .enumerate()
    {
        api.history
            .record_at(&acme, result, at(&format!("2025-03-01T10:00:0{second}Z")));
    }
    // beta: exactly at the threshold, which is not failing.
    api.history
        .record_at(&beta, Outcome::Failure, at("2025-03-01T09:00:00Z"));
    api.history
        .record_at(&beta, Outcome::Success, at("2025-03-01T09:01:00Z"));

    let (status, body) = api.health().await;
    assert_eq!(status, 503, "{body}");
    let sync = json!({
        "status": "down",
        "lastSyncAt": "2025-03-01T10:00:05.000Z",
        "tenants": {"acme": {"failures": 3, "total": 5}, "beta": {"failures": 1, "total": 2}},
        "threshold": 0.5,
        "failingTenants": ["acme"],
    });
    let connectivity = json!({"status": "up", "confluence": []});
    let unique_api = json!({"status": "up", "ingestion": [], "scopeManagement": []});
    assert_eq!(
        body,
        json!({
            "status": "error",
            "info": {"connectivity": connectivity, "uniqueApi": unique_api},
            "error": {"sync": sync},
            "details": {"sync": sync, "connectivity": connectivity, "uniqueApi": unique_api},
        })
    );

    // A tenant removed by a reload loses its window.
    api.history.forget(&acme);
    let (status, body) = api.health().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["details"]["sync"]["tenants"],
        json!({"beta": {"failures": 1, "total": 2}})
    );
}

#[tokio::test]
async fn connectivity_reports_a_closed_port_as_econnrefused() {
    let (site, site_hits) = reachable_site().await;
    let closed = closed_port_url().await;
    let atlassian_closed = closed_port_url().await;
    let (unique, _) = unique_stand_in().await;
    let api = start_api(
        vec![
            tenant(
                "reachable",
                TenantStatus::Active,
                Some((ConfluenceKind::DataCenter, &site)),
                &unique,
            ),
            tenant(
                "closed",
                TenantStatus::Active,
                Some((ConfluenceKind::DataCenter, &closed)),
                &unique,
            ),
            // Same base URL as `reachable`: pinged once, reported for both.
            tenant(
                "sibling",
                TenantStatus::Active,
                Some((ConfluenceKind::Cloud, &site)),
                &unique,
            ),
            // Not active: no Confluence calls at all.
            tenant(
                "gone",
                TenantStatus::Deleted,
                Some((ConfluenceKind::DataCenter, &closed)),
                &unique,
            ),
            tenant(
                "idle",
                TenantStatus::Inactive,
                Some((ConfluenceKind::DataCenter, &closed)),
                &unique,
            ),
        ],
        &atlassian_closed,
        Duration::from_secs(2),
    )
    .await;
    let (status, body) = api.health().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["connectivity"],
        json!({
            "status": "down",
            "atlassian": "down",
            "atlassianError": "ECONNREFUSED",
            "confluence": [
                {"tenant": "reachable", "status": "up"},
                {"tenant": "closed", "status": "down", "error": "ECONNREFUSED"},
                {"tenant": "sibling", "status": "up"},
            ],
        })
    );
    assert_sections_consistent(&body);
    assert_eq!(body["status"], "error");
    assert_eq!(lock(&site_hits).len(), 1, "one ping per distinct base URL");
}

#[tokio::test]
async fn a_target_that_never_answers_is_down_with_timeout_within_the_budget() {
    let silent = silent_site().await;
    let (unique, _) = unique_stand_in().await;
    let api = start_api(
        vec![tenant(
            "slow",
            TenantStatus::Active,
            Some((ConfluenceKind::DataCenter, &silent)),
            &unique,
        )],
        &silent,
        Duration::from_millis(300),
    )
    .await;
    let started = std::time::Instant::now();
    let (status, body) = api.health().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 503);
    assert_eq!(
        body["details"]["connectivity"]["confluence"],
        json!([{"tenant": "slow", "status": "down", "error": "TIMEOUT"}])
    );
}

#[tokio::test]
async fn unique_api_pings_both_services_with_tenant_headers_and_reports_http_status() {
    let (unique, received) = unique_stand_in().await;
    let atlassian = closed_port_url().await;
    let mut good = tenant("good", TenantStatus::Active, None, &unique);
    good.unique.scope_management_base_url = format!("{unique}/204");
    let mut bad = tenant("bad", TenantStatus::Deleted, None, &unique);
    bad.unique.ingestion_base_url = format!("{unique}/500");
    let mut idle = tenant("idle", TenantStatus::Inactive, None, &unique);
    idle.unique.ingestion_base_url = format!("{unique}/599");
    let api = start_api(vec![good, bad, idle], &atlassian, Duration::from_secs(2)).await;

    let (status, body) = api.health().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["uniqueApi"],
        json!({
            "status": "down",
            "ingestion": [
                {"tenant": "good", "status": "up"},
                {"tenant": "bad", "status": "down", "error": "HTTP_500"},
            ],
            "scopeManagement": [
                {"tenant": "good", "status": "up"},
                {"tenant": "bad", "status": "up"},
            ],
        })
    );
    assert_sections_consistent(&body);

    let received = lock(&received);
    let mut paths: Vec<&str> = received.iter().map(|(path, _, _)| path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/200/graphql",
            "/200/graphql",
            "/204/graphql",
            "/500/graphql"
        ]
    );
    for (_, headers, request_body) in received.iter() {
        assert_eq!(request_body, r#"{"query":"{ __typename }"}"#);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["x-service-id"], "confluence-connector");
        assert_eq!(headers["x-company-id"], "company-1");
        assert_eq!(headers["x-user-id"], "user-1");
    }
}

#[tokio::test]
async fn a_unique_token_failure_is_auth_failure() {
    let (unique, received) = unique_stand_in().await;
    let token_server = reachable_site().await.0; // answers 404 to the token request
    let atlassian = closed_port_url().await;
    let zitadel = ZitadelAuth::new(
        &ZitadelSettings {
            token_url: Url::parse(&format!("{token_server}/oauth/v2/token")).expect("URL"),
            client_id: "connector".to_owned(),
            client_secret: Secret::new("client-secret"),
            project_id: Secret::new("project"),
        },
        clients().proxied,
    );
    let mut external = tenant("external", TenantStatus::Active, None, &unique);
    external.unique.auth = UniqueAuth::External(zitadel);
    let api = start_api(vec![external], &atlassian, Duration::from_secs(2)).await;

    let (status, body) = api.health().await;
    assert_eq!(status, 503);
    let down = json!([{"tenant": "external", "status": "down", "error": "AUTH_FAILURE"}]);
    assert_eq!(body["error"]["uniqueApi"]["ingestion"], down);
    assert_eq!(body["error"]["uniqueApi"]["scopeManagement"], down);
    assert!(
        lock(&received).is_empty(),
        "no GraphQL call without a token"
    );
}

#[tokio::test]
async fn a_reload_replaces_the_tenants_the_checks_look_at() {
    let (unique, _) = unique_stand_in().await;
    let atlassian = closed_port_url().await;
    let api = start_api(
        vec![tenant("old", TenantStatus::Active, None, &unique)],
        &atlassian,
        Duration::from_secs(2),
    )
    .await;
    let (_, before) = api.health().await;
    assert_eq!(
        before["details"]["uniqueApi"]["ingestion"][0]["tenant"],
        "old"
    );

    api.targets.send_replace(HealthTargets {
        tenants: vec![tenant("new", TenantStatus::Active, None, &unique)],
    });
    let (status, after) = api.health().await;
    assert_eq!(status, 200, "{after}");
    let tenants: HashMap<&str, &Json> = after["details"]["uniqueApi"]["ingestion"]
        .as_array()
        .expect("list")
        .iter()
        .map(|entry| (entry["tenant"].as_str().expect("name"), entry))
        .collect();
    assert_eq!(tenants.len(), 1);
    assert!(tenants.contains_key("new"));
}

#[test]
fn health_view_of_loaded_tenant_files_keeps_kind_and_base_urls() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config");
    let loaded = connector_host::config::load_tenant_files(
        &[
            fixtures.join("acme-tenant-config.yaml"),
            fixtures.join("onprem-tenant-config.yaml"),
        ],
        |_| Some("secret-from-env".to_owned()),
    )
    .expect("the spec's example files load");
    let views: Vec<HealthTenant> = loaded
        .tenants
        .iter()
        .map(|tenant| HealthTenant::from_tenant(tenant, cluster_local_auth()))
        .collect();

    let acme = &views[0];
    assert_eq!(acme.name.as_str(), "acme");
    assert_eq!(acme.status, TenantStatus::Active);
    let acme_confluence = acme.confluence.as_ref().expect("Confluence source");
    assert_eq!(acme_confluence.kind, ConfluenceKind::Cloud);
    assert_eq!(acme_confluence.base_url, "https://acme.atlassian.net");
    assert_eq!(acme.unique.ingestion_base_url, "http://node-ingestion:8091");
    assert_eq!(
        acme.unique.scope_management_base_url,
        "http://scope-management:8080"
    );

    let onprem = &views[1];
    let onprem_confluence = onprem.confluence.as_ref().expect("Confluence source");
    assert_eq!(onprem_confluence.kind, ConfluenceKind::DataCenter);
    assert_eq!(
        onprem_confluence.base_url,
        "https://confluence.example.com/confluence"
    );
    assert_eq!(
        onprem.unique.ingestion_base_url,
        "https://api.example.com/ingestion"
    );
}
