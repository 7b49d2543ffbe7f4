//! Graceful shutdown of `confluence-connector run` in the middle of a sync: SIGTERM while pages
//! are being ingested (uploads slowed down by the simulator) stops new items, lets the items in
//! flight finish, and exits well within the grace period, leaving no content registered in
//! Unique without its upload and finalize.

mod service_support;

use std::time::{Duration, Instant};

use connector_host::service::run::SHUTDOWN_GRACE;
use connector_sim::Scenario;
use service_support::*;

const PAGES: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_ingestion_finishes_items_in_flight_and_leaves_none_half_written() {
    let sim = start_sim(Scenario {
        cloud: Vec::new(),
        data_center: vec![data_center(
            "dc-a",
            vec![space(4001, "OPS", 200, PAGES as u32)],
        )],
        unique: unique(&["scope-root"]),
        faults: vec![slow_uploads(700)],
        documents: None,
    })
    .await;
    let tenants = Tenants::new();
    tenants.write(
        "acme",
        &TenantFile::new("scope-root").data_center(
            &sim,
            "dc-a",
            &format!("{{ mode: pat, token: {DC_PAT} }}"),
        ),
    );
    let service = Running::spawn(&mut connector(&tenants, &["run"], &[]));

    eventually("pages being ingested", || async {
        (sim.request_log().count_matching("ContentUpsert") >= 3).then_some(())
    })
    .await;
    let signalled = Instant::now();
    service.terminate();
    let finished = service.wait(SHUTDOWN_GRACE + Duration::from_secs(10)).await;
    let took = signalled.elapsed();

    assert!(finished.status.success(), "{}", finished.transcript());
    assert!(
        took < SHUTDOWN_GRACE,
        "exited {took:?} after SIGTERM, beyond the {SHUTDOWN_GRACE:?} grace period"
    );
    let lines = finished.json();
    assert_eq!(
        with_message(
            &lines,
            "shutting down: no new cycles or items; waiting for items in flight"
        )
        .len(),
        1
    );
    assert!(
        with_message(
            &lines,
            "cycles did not finish within the grace period; exiting anyway"
        )
        .is_empty(),
        "{}",
        finished.transcript()
    );

    let state = sim.dump_state();
    let files = files_under(&state, "scope-root");
    assert!(
        !files.is_empty() && files.len() < PAGES,
        "shutdown came in the middle of the sync: {} of {PAGES} pages stored",
        files.len()
    );
    for file in &state.unique.files {
        assert!(
            file.stored_bytes.is_some() && file.ingestion_state == "FINISHED",
            "{} is registered without its upload and finalize: {file:?}",
            file.key
        );
    }
}
