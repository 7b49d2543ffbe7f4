//! Re-entrancy of `confluence-connector run`: with a one-second cron and a cycle that takes
//! several seconds (uploads slowed down by the simulator), ticks during the cycle are skipped and
//! logged, and the tenant's cycles never overlap.

mod service_support;

use std::time::Duration;

use connector_sim::Scenario;
use service_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_during_a_slow_cycle_are_skipped_and_cycles_never_overlap() {
    let sim = start_sim(Scenario {
        cloud: Vec::new(),
        data_center: vec![data_center("dc-a", vec![space(4001, "OPS", 200, 5)])],
        unique: unique(&["scope-root"]),
        faults: vec![slow_uploads(600)],
        documents: None,
    })
    .await;
    let tenants = Tenants::new();
    let slow = TenantFile {
        cron: Some("*/1 * * * * *".to_owned()),
        concurrency: 1,
        ..TenantFile::new("scope-root")
    };
    tenants.write(
        "slow",
        &slow.data_center(&sim, "dc-a", &format!("{{ mode: pat, token: {DC_PAT} }}")),
    );
    let service = Running::spawn(&mut connector(&tenants, &["run"], &[]));

    // The first cycle uploads five pages at 600 ms each; the next ones change nothing and are quick.
    eventually("three finished cycles", || async {
        let lines = service.json();
        (with_message(&lines, "sync cycle finished").len() >= 3).then_some(())
    })
    .await;
    service.terminate();
    let finished = service.wait(Duration::from_secs(40)).await;
    assert!(finished.status.success(), "{}", finished.transcript());

    let lines = finished.json();
    let skipped = with_message(&lines, "tick skipped: the previous cycle is still running");
    assert!(
        skipped.len() >= 2,
        "ticks during the multi-second first cycle were skipped: {}",
        finished.transcript()
    );
    for line in &skipped {
        assert_eq!(line["tenantName"], "slow");
        assert_eq!(line["job"], "sync:slow");
    }
    // Starts and ends alternate strictly: never two cycles of the tenant at once.
    let mut running = false;
    for line in &lines {
        match line["msg"].as_str() {
            Some("sync cycle started") => {
                assert!(
                    !running,
                    "a cycle started while another ran: {}",
                    finished.transcript()
                );
                running = true;
            }
            Some("sync cycle finished" | "sync cycle failed") => {
                assert!(running, "a cycle ended that never started");
                running = false;
            }
            _ => {}
        }
    }
    // Uploads happened once per page: the skipped ticks did not queue extra cycles that re-ingest.
    assert_eq!(
        sim.request_log()
            .count_matching("PUT /ingestion/scoped/upload"),
        5
    );
}
