//! `confluence-connector sync --once` as a process against the simulators: a Confluence Cloud
//! tenant with cluster-local Unique and a Data Center tenant with external (Zitadel) Unique sync
//! in one run; a failing tenant makes the exit code non-zero without stopping the other.

mod service_support;

use connector_sim::Scenario;
use service_support::*;

const CLOUD_ID: &str = "site-a";
const DC_NAME: &str = "dc-a";

fn scenario() -> Scenario {
    Scenario {
        cloud: vec![cloud_site(CLOUD_ID, vec![space(98307, "ENG", 100, 3)])],
        data_center: vec![data_center(DC_NAME, vec![space(4001, "OPS", 200, 4)])],
        unique: unique(&["scope-cloud", "scope-dc"]),
        faults: Vec::new(),
        documents: None,
    }
}

fn write_tenants(sim: &connector_sim::Sim, tenants: &Tenants, dc_root: &str) {
    tenants.write(
        "acme",
        &TenantFile::new("scope-cloud").cloud(sim, CLOUD_ID, CLOUD_CLIENT_SECRET),
    );
    let onprem = TenantFile {
        unique: UniqueMode::External(ZITADEL_CLIENT_SECRET),
        ..TenantFile::new(dc_root)
    };
    tenants.write(
        "onprem",
        &onprem.data_center(sim, DC_NAME, &format!("{{ mode: pat, token: {DC_PAT} }}")),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_once_syncs_a_cloud_and_a_data_center_tenant_and_exits_zero() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    write_tenants(&sim, &tenants, "scope-dc");

    let finished = run_to_end(connector(&tenants, &["sync", "--once"], &[])).await;

    assert!(finished.status.success(), "{}", finished.transcript());
    let state = sim.dump_state();
    for (root, pages) in [("scope-cloud", 3), ("scope-dc", 4)] {
        let files = files_under(&state, root);
        assert_eq!(files.len(), pages, "files under {root}: {files:?}");
        for file in files {
            assert!(file.stored_bytes.is_some(), "{} uploaded", file.key);
            assert_eq!(file.ingestion_state, "FINISHED", "{}", file.key);
        }
    }
    assert_eq!(
        state
            .unique
            .scope("scope-dc")
            .and_then(|s| s.external_id.as_deref()),
        Some("confc:data-center:dc-a-instance")
    );
    let lines = finished.json();
    for tenant in ["acme", "onprem"] {
        let ends: Vec<_> = with_message(&lines, "sync cycle finished")
            .into_iter()
            .filter(|line| line["tenantName"] == tenant)
            .collect();
        assert_eq!(ends.len(), 1, "{tenant}: {}", finished.transcript());
        assert_eq!(ends[0]["result"], "success");
    }
    assert!(
        sim.request_log()
            .count_matching("unique POST /oauth/v2/token")
            >= 1,
        "the Data Center tenant fetched a Zitadel token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_tenant_makes_the_exit_code_non_zero_while_the_other_still_syncs() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    write_tenants(&sim, &tenants, "scope-that-does-not-exist");

    let finished = run_to_end(connector(&tenants, &["sync", "--once"], &[])).await;

    assert_eq!(finished.status.code(), Some(1), "{}", finished.transcript());
    let state = sim.dump_state();
    assert_eq!(files_under(&state, "scope-cloud").len(), 3);
    assert!(files_under(&state, "scope-dc").is_empty());
    let lines = finished.json();
    let failed = with_message(&lines, "sync cycle failed");
    assert_eq!(failed.len(), 1, "{}", finished.transcript());
    assert_eq!(failed[0]["tenantName"], "onprem");
    assert!(
        failed[0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("scope-that-does-not-exist")),
        "the reason names the missing root: {}",
        failed[0]
    );
    let finished_ok = with_message(&lines, "sync cycle finished");
    assert_eq!(finished_ok.len(), 1);
    assert_eq!(finished_ok[0]["tenantName"], "acme");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_once_with_a_tenant_runs_only_that_tenant_and_refuses_an_unknown_one() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    write_tenants(&sim, &tenants, "scope-dc");

    let finished = run_to_end(connector(
        &tenants,
        &["sync", "--once", "--tenant", "onprem"],
        &[],
    ))
    .await;
    assert!(finished.status.success(), "{}", finished.transcript());
    let state = sim.dump_state();
    assert!(
        files_under(&state, "scope-cloud").is_empty(),
        "acme did not run"
    );
    assert_eq!(files_under(&state, "scope-dc").len(), 4);

    let finished = run_to_end(connector(
        &tenants,
        &["sync", "--once", "--tenant", "nobody"],
        &[],
    ))
    .await;
    assert_eq!(
        finished.status.code(),
        Some(64),
        "{}",
        finished.transcript()
    );
    assert!(
        finished
            .stderr
            .iter()
            .any(|line| line.contains("no active or deleted tenant named `nobody`")),
        "{}",
        finished.transcript()
    );
}
