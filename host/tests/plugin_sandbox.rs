//! Sandbox tests: hostile test plugins against real loopback HTTP servers. After each attack the
//! same runtime still runs a well-behaved plugin for another tenant correctly.

#![allow(clippy::unwrap_used)] // tests report broken assumptions by panicking

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use connector_host::auth::ConfluenceAuth;
use connector_host::egress::{AllowList, AllowedOrigin, CredentialScope, SourceEgress};
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::plugin_runtime::source::{
    Batch, Completeness, FetchOutcome, Item, SessionSettings,
};
use connector_host::plugin_runtime::{
    FailureReason, LoadError, LoadedPlugin, PluginPackage, PluginRuntime, PluginTask,
    RuntimeSettings, SandboxLimits, TaskContext,
};
use connector_host::rate_limit::RateLimiter;
use connector_host::retry::RetryPolicy;
use connector_host::secret::Secret;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::OnceCell;

const HOST_TOKEN: &str = "host-held-token-7f3a";

/// The runtime and the two test plugins, loaded once for all tests.
struct Fixture {
    runtime: Arc<PluginRuntime>,
    probe: Arc<LoadedPlugin>,
    static_source: Arc<LoadedPlugin>,
}

static FIXTURE: OnceCell<Fixture> = OnceCell::const_new();

async fn fixture() -> &'static Fixture {
    FIXTURE
        .get_or_init(|| async {
            let limits = SandboxLimits {
                memory_bytes: 48 * 1024 * 1024,
                cpu_per_call: Duration::from_millis(500),
                wall_per_call: Duration::from_secs(3),
                ..SandboxLimits::default()
            };
            let runtime = PluginRuntime::new(RuntimeSettings {
                limits,
                cache_dir: None,
            })
            .unwrap();
            let probe = load(&runtime, plugin_artifacts::SANDBOX_PROBE_DIR).await;
            let static_source = load(&runtime, plugin_artifacts::STATIC_SOURCE_DIR).await;
            Fixture {
                runtime,
                probe,
                static_source,
            }
        })
        .await
}

async fn load(runtime: &PluginRuntime, dir: &str) -> Arc<LoadedPlugin> {
    let package = PluginPackage::read_dir(Path::new(dir)).unwrap();
    Arc::new(
        runtime
            .load(&package.manifest, package.wasm, &package.location)
            .await
            .unwrap(),
    )
}

/// What the loopback server saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<HeaderMap>>>);

async fn echo(State(seen): State<Seen>, headers: HeaderMap) -> Json<Value> {
    seen.0.lock().unwrap().push(headers.clone());
    let pairs: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value.to_str().unwrap_or(""))))
        .collect();
    Json(Value::Object(pairs))
}

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A server with `/echo`, `/slow`, and redirects to `elsewhere`.
async fn source_server(seen: Seen, elsewhere: SocketAddr) -> SocketAddr {
    let router = axum::Router::new()
        .route("/echo", get(echo))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/redirect-out",
            get(move || async move {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, format!("http://{elsewhere}/echo"))],
                )
            }),
        )
        .route(
            "/redirect-in",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/echo")]) }),
        )
        .with_state(seen);
    serve(router).await
}

fn egress(allowed: &[SocketAddr], credentials: Option<ConfluenceAuth>) -> Arc<SourceEgress> {
    let origins = allowed.iter().map(|addr| {
        AllowedOrigin::new(
            &url::Url::parse(&format!("http://{addr}")).unwrap(),
            CredentialScope::Attach,
        )
        .unwrap()
    });
    let clients = HttpClients::build(&ProxySettings::none(), None).unwrap();
    let limiter = Arc::new(RateLimiter::per_minute(NonZeroU32::new(6000).unwrap()));
    Arc::new(
        SourceEgress::new(
            AllowList::new(origins),
            credentials,
            limiter,
            clients.direct,
        )
        .with_retry_policy(RetryPolicy::NONE),
    )
}

fn context(tenant: &str, egress: Option<Arc<SourceEgress>>) -> TaskContext {
    TaskContext {
        egress,
        ..TaskContext::offline(tenant)
    }
}

fn settings(tenant: &str, config: Value) -> SessionSettings {
    SessionSettings {
        tenant: tenant.into(),
        config: config.to_string(),
        attachments: None,
        max_items: None,
    }
}

async fn probe_task(
    behaviour: &str,
    url: Option<String>,
    egress: Option<Arc<SourceEgress>>,
) -> PluginTask {
    let fixture = fixture().await;
    let mut task = fixture
        .runtime
        .start_task(&fixture.probe, context("hostile", egress))
        .await
        .unwrap();
    task.open(settings(
        "hostile",
        json!({"behaviour": behaviour, "url": url}),
    ))
    .await
    .unwrap();
    task
}

/// Runs the well-behaved plugin for another tenant end to end: discovery and a page fetch.
async fn assert_well_behaved_plugin_still_works() {
    let fixture = fixture().await;
    let router = axum::Router::new()
        .route("/documents", get(|| async {
            Json(json!({"documents": [
                {"id": "1", "title": "One", "space": {"id": "10", "key": "ENG", "name": "Eng"}, "labels": ["a"], "updatedAt": "2025-01-01T00:00:00Z"},
                {"id": "2", "title": "Two", "space": {"id": "10", "key": "ENG", "name": "Eng"}, "updatedAt": "2025-01-02T00:00:00Z"}
            ]}))
        }))
        .route("/documents/1", get(|| async { Json(json!({"body": "<p>one</p>"})) }))
        .route("/documents/2", get(|| async { StatusCode::NOT_FOUND }));
    let addr = serve(router).await;
    let base_url = format!("http://{addr}");
    let mut task = fixture
        .runtime
        .start_task(
            &fixture.static_source,
            context("friendly", Some(egress(&[addr], None))),
        )
        .await
        .unwrap();
    task.open(settings("friendly", json!({"baseUrl": base_url})))
        .await
        .unwrap();
    let cursor = task.discover().await.unwrap();
    let mut ids = Vec::new();
    loop {
        match task.next_batch(cursor, 1).await.unwrap() {
            Batch::Items(items) => ids.extend(items.into_iter().map(|item| match item {
                Item::Page(page) => page.id,
                Item::Attachment(attachment) => attachment.id,
            })),
            Batch::Done(completeness) => {
                assert!(matches!(completeness, Completeness::Complete));
                break;
            }
        }
    }
    assert_eq!(ids, ["1", "2"]);
    let fetched = task.fetch_pages(ids).await.unwrap();
    match &fetched[0].outcome {
        FetchOutcome::Found(content) => assert_eq!(content.body, "<p>one</p>"),
        other => panic!("page 1: {other:?}"),
    }
    assert!(matches!(fetched[1].outcome, FetchOutcome::Missing(_)));
}

#[tokio::test]
async fn an_infinite_loop_is_interrupted_within_its_cpu_budget() {
    let mut task = probe_task("spin", None, None).await;
    let started = Instant::now();
    let error = task.identify().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(error.reason, FailureReason::CpuBudget(_)),
        "{error}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "stopped after {elapsed:?}"
    );
    assert_eq!(
        error.to_string(),
        "plugin sandbox-probe 0.1.0, tenant hostile, identify: CPU budget of 500ms spent"
    );
    let again = task.identify().await.unwrap_err();
    assert!(
        matches!(again.reason, FailureReason::Poisoned(_)),
        "a trapped task is never reused: {again}"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn allocating_past_the_memory_cap_traps_and_names_the_cap() {
    let mut task = probe_task("allocate", None, None).await;
    let error = task.identify().await.unwrap_err();
    assert!(
        matches!(error.reason, FailureReason::MemoryCap(_)),
        "{error}"
    );
    assert!(
        error.to_string().ends_with("memory cap of 48 MiB reached"),
        "{error}"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_panic_becomes_an_error_value_with_the_panic_message() {
    let mut task = probe_task("panic", None, None).await;
    let error = task.identify().await.unwrap_err();
    assert!(matches!(error.reason, FailureReason::Trap(_)), "{error}");
    let message = error.to_string();
    assert!(message.contains("the plugin crashed: wasm trap: wasm `unreachable` instruction executed after a panic: the probe panics on purpose (at tests/plugins/sandbox-probe/src/lib.rs:"), "{message}");
    assert!(
        !message.contains("backtrace"),
        "the message stays one sentence: {message}"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_request_to_an_origin_outside_the_allow_list_is_denied_and_never_sent() {
    let seen = Seen::default();
    let other_seen = Seen::default();
    let unlisted = source_server(other_seen.clone(), "127.0.0.1:9".parse().unwrap()).await;
    let listed = source_server(seen.clone(), unlisted).await;
    let mut task = probe_task(
        "fetch",
        Some(format!("http://{unlisted}/echo")),
        Some(egress(&[listed], None)),
    )
    .await;
    let observed: Value = serde_json::from_str(&task.identify().await.unwrap().name).unwrap();
    let denied = observed["denied"].as_str().expect("denied");
    assert!(
        denied.contains(&format!(
            "origin http://{unlisted} is not in the tenant's allow-list"
        )),
        "{denied}"
    );
    assert!(
        other_seen.0.lock().unwrap().is_empty(),
        "the unlisted server was reached"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_redirect_to_an_unlisted_origin_is_denied() {
    let seen = Seen::default();
    let other_seen = Seen::default();
    let unlisted = source_server(other_seen.clone(), "127.0.0.1:9".parse().unwrap()).await;
    let listed = source_server(seen.clone(), unlisted).await;
    let mut task = probe_task(
        "fetch",
        Some(format!("http://{listed}/redirect-out")),
        Some(egress(&[listed], None)),
    )
    .await;
    let observed: Value = serde_json::from_str(&task.identify().await.unwrap().name).unwrap();
    assert!(observed["denied"].as_str().is_some(), "{observed}");
    assert!(
        other_seen.0.lock().unwrap().is_empty(),
        "the redirect target was reached"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_guest_authorization_header_is_replaced_by_the_tenant_credentials() {
    let seen = Seen::default();
    let listed = source_server(seen.clone(), "127.0.0.1:9".parse().unwrap()).await;
    let credentials = ConfluenceAuth::Pat(Secret::new(HOST_TOKEN));
    let mut task = probe_task(
        "fetch",
        Some(format!("http://{listed}/redirect-in")),
        Some(egress(&[listed], Some(credentials))),
    )
    .await;
    let observed: Value = serde_json::from_str(&task.identify().await.unwrap().name).unwrap();
    assert_eq!(observed["status"], 200, "{observed}");
    let requests = seen.0.lock().unwrap().clone();
    assert_eq!(
        requests.len(),
        1,
        "one request after the same-origin redirect"
    );
    let headers = &requests[0];
    assert_eq!(
        headers.get("authorization").unwrap(),
        &format!("Bearer {HOST_TOKEN}")
    );
    assert!(headers.get("cookie").is_none());
    assert_eq!(headers.get("host").unwrap(), &listed.to_string());
    assert_eq!(headers.get("x-probe").unwrap(), "1");
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn the_environment_files_and_sockets_are_invisible_to_the_guest() {
    let mut task = probe_task("snoop", None, None).await;
    let observed: Value = serde_json::from_str(&task.identify().await.unwrap().name).unwrap();
    assert_eq!(
        observed["env"],
        json!([]),
        "no environment variable is visible"
    );
    assert!(
        observed["rootEntries"].as_str().unwrap().starts_with("Err"),
        "{observed}"
    );
    assert!(
        observed["passwd"].as_str().unwrap().starts_with("Err"),
        "{observed}"
    );
    assert!(
        observed["socket"].as_str().unwrap().starts_with("Err"),
        "{observed}"
    );
    assert!(
        std::env::var_os("PATH").is_some(),
        "the host itself has an environment"
    );
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_plugin_stuck_in_a_host_call_misses_its_wall_clock_deadline() {
    let seen = Seen::default();
    let listed = source_server(seen, "127.0.0.1:9".parse().unwrap()).await;
    let mut task = probe_task(
        "fetch",
        Some(format!("http://{listed}/slow")),
        Some(egress(&[listed], None)),
    )
    .await;
    let started = Instant::now();
    let error = task.identify().await.unwrap_err();
    assert!(
        matches!(error.reason, FailureReason::Deadline(_)),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn output_over_the_cap_is_dropped_without_failing_the_call() {
    let mut task = probe_task("shout", None, None).await;
    assert_eq!(task.identify().await.unwrap().name, "shouted");
    assert_well_behaved_plugin_still_works().await;
}

#[tokio::test]
async fn a_package_whose_wasm_does_not_match_its_hash_is_refused() {
    let fixture = fixture().await;
    let mut package =
        PluginPackage::read_dir(Path::new(plugin_artifacts::STATIC_SOURCE_DIR)).unwrap();
    let mut tampered = package.wasm.to_vec();
    tampered.push(0);
    package.wasm = tampered.into();
    let error = fixture
        .runtime
        .load(&package.manifest, package.wasm, &package.location)
        .await
        .unwrap_err();
    assert!(matches!(error, LoadError::HashMismatch { .. }), "{error}");
    assert!(
        error.to_string().contains("plugin.wasm has sha256"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&package.location.display().to_string()),
        "{error}"
    );
}

#[tokio::test]
async fn a_manifest_for_an_unsupported_wit_version_names_both_versions() {
    let fixture = fixture().await;
    let package = PluginPackage::read_dir(Path::new(plugin_artifacts::STATIC_SOURCE_DIR)).unwrap();
    let manifest = package
        .manifest
        .replace("wit = \"0.1.0\"", "wit = \"0.7.0\"");
    let error = fixture
        .runtime
        .load(&manifest, package.wasm, &package.location)
        .await
        .unwrap_err();
    assert!(
        error.to_string().ends_with(
            "the plugin is built for WIT unique:connector@0.7.0, but this host supports 0.1.0"
        ),
        "{error}"
    );
}
