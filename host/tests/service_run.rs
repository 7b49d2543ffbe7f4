//! `confluence-connector run` as a process: `/probe` answers, `/health` reports the tenants'
//! sync windows and turns 503 once a tenant fails most of its recent cycles, `/metrics` shows
//! what the first cycle did, and SIGTERM stops the service cleanly.

mod service_support;

use std::time::Duration;

use connector_sim::Scenario;
use serde_json::Value;
use service_support::*;

fn scenario() -> Scenario {
    Scenario {
        cloud: Vec::new(),
        data_center: vec![
            data_center("dc-good", vec![space(4001, "OPS", 200, 3)]),
            data_center("dc-flaky", vec![space(4002, "DEV", 300, 2)]),
        ],
        unique: unique(&["scope-good", "scope-flaky"]),
        faults: Vec::new(),
        documents: None,
    }
}

async fn health(port: u16) -> (u16, Value) {
    let (status, body) = get(&format!("http://127.0.0.1:{port}/health")).await;
    let body = serde_json::from_str(&body).expect("the health body is JSON");
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_probe_health_and_metrics_and_health_fails_with_a_failing_tenant() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    let pat = format!("{{ mode: pat, token: {DC_PAT} }}");
    // `good` syncs at start, then on the default 15-minute schedule: idle for the rest of the test.
    tenants.write(
        "good",
        &TenantFile::new("scope-good").data_center(&sim, "dc-good", &pat),
    );
    let flaky = TenantFile {
        cron: Some("*/1 * * * * *".to_owned()),
        ..TenantFile::new("scope-flaky")
    };
    tenants.write("flaky", &flaky.data_center(&sim, "dc-flaky", &pat));
    let service = Running::spawn(&mut connector(
        &tenants,
        &["run"],
        &[("HEALTH_SYNC_HISTORY_SIZE", "4")],
    ));
    let api = service.port("API").await;
    let metrics_port = service.port("metrics").await;

    let (status, probe) = get(&format!("http://127.0.0.1:{api}/probe")).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&probe).expect("JSON")["version"],
        env!("CARGO_PKG_VERSION")
    );

    // Both tenants recorded at least one cycle, all successful: healthy.
    let body = eventually("both tenants in the health window", || async {
        let (status, body) = health(api).await;
        let tenants = &body["details"]["sync"]["tenants"];
        (status == 200
            && tenants["good"]["total"].as_u64() >= Some(1)
            && tenants["flaky"]["total"].as_u64() >= Some(2))
        .then_some(body)
    })
    .await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["info"]["sync"]["tenants"]["good"]["failures"], 0);
    assert_eq!(body["info"]["sync"]["tenants"]["flaky"]["failures"], 0);
    assert_eq!(body["info"]["uniqueApi"]["status"], "up");
    assert_eq!(body["info"]["connectivity"]["status"], "up");

    let (status, scrape) = get(&format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    assert_eq!(status, 200);
    let good = ("tenant", "good");
    assert_eq!(
        metric(
            &scrape,
            "cfc_pages_processed_total",
            &[good, ("result", "success")]
        ),
        Some(3.0),
        "{scrape}"
    );
    assert_eq!(
        metric(
            &scrape,
            "cfc_sync_duration_seconds_count",
            &[good, ("result", "success")]
        ),
        Some(1.0)
    );
    assert!(
        metric(
            &scrape,
            "confluence_connector_unique_api_requests_total",
            &[good]
        )
        .is_some_and(|requests| requests > 0.0),
        "Unique requests counted under the real tenant name"
    );
    assert_eq!(
        metric(&scrape, "cfc_sync_phase", &[good, ("phase", "idle")]),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &scrape,
            "cfc_sync_phase",
            &[good, ("phase", "ingesting_pages")]
        ),
        Some(0.0)
    );

    // From now on every cycle of `flaky` fails (its Confluence answers 403): once more than half
    // of its last four cycles failed, /health is 503 and names it.
    sim.set_fault(failing_service("dc:dc-flaky", 403));
    let body = eventually("the flaky tenant failing in /health", || async {
        let (status, body) = health(api).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["status"], "error");
    let sync = &body["error"]["sync"];
    assert_eq!(sync["status"], "down");
    assert_eq!(sync["failingTenants"], serde_json::json!(["flaky"]));
    let flaky_window = &sync["tenants"]["flaky"];
    let failures = flaky_window["failures"].as_u64().expect("failures");
    let total = flaky_window["total"].as_u64().expect("total");
    assert!(failures >= 3 && total == 4, "{flaky_window}");
    assert_eq!(sync["tenants"]["good"]["failures"], 0);
    assert_eq!(
        body["info"]["connectivity"]["status"], "up",
        "only the sync check is down"
    );

    service.terminate();
    let finished = service.wait(Duration::from_secs(40)).await;
    assert!(finished.status.success(), "{}", finished.transcript());
    let lines = finished.json();
    assert!(
        !with_message(&lines, "stopped").is_empty(),
        "{}",
        finished.transcript()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_without_a_metrics_exporter_opens_no_metrics_listener() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    tenants.write(
        "good",
        &TenantFile::new("scope-good").data_center(
            &sim,
            "dc-good",
            &format!("{{ mode: pat, token: {DC_PAT} }}"),
        ),
    );
    let service = Running::spawn(&mut connector(
        &tenants,
        &["run"],
        &[("OTEL_METRICS_EXPORTER", "none")],
    ));
    service.wait_for_message("service started").await;
    let api = service.port("API").await;
    assert_eq!(get(&format!("http://127.0.0.1:{api}/probe")).await.0, 200);
    service.terminate();
    let finished = service.wait(Duration::from_secs(40)).await;
    assert!(finished.status.success(), "{}", finished.transcript());
    let listeners: Vec<String> = with_message(&finished.json(), "listening")
        .iter()
        .map(|line| line["listener"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(listeners, ["API (/probe, /health)"]);
}
