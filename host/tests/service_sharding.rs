//! Sharding (SHARD_INDEX / SHARD_COUNT): three `sync --once` processes over the same nine tenant
//! files (each tenant its own Cloud site and root scope) sync every tenant exactly once between
//! them, each process exactly the tenants its shard owns.

mod service_support;

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use connector_host::config::{ShardAssignment, TenantName};
use connector_sim::Scenario;
use service_support::*;

const TENANTS: usize = 9;
const SHARDS: u32 = 3;

fn tenant(index: usize) -> String {
    format!("tenant-{index}")
}

fn root(index: usize) -> String {
    format!("scope-{index}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_sync_every_tenant_exactly_once_between_them() {
    let roots: Vec<String> = (0..TENANTS).map(root).collect();
    let root_refs: Vec<&str> = roots.iter().map(String::as_str).collect();
    let sim = start_sim(Scenario {
        cloud: (0..TENANTS)
            .map(|index| cloud_site(&format!("site-{index}"), vec![space(98307, "ENG", 100, 2)]))
            .collect(),
        data_center: Vec::new(),
        unique: unique(&root_refs),
        faults: Vec::new(),
        documents: None,
    })
    .await;
    let tenants = Tenants::new();
    for index in 0..TENANTS {
        tenants.write(
            &tenant(index),
            &TenantFile::new(&root(index)).cloud(
                &sim,
                &format!("site-{index}"),
                CLOUD_CLIENT_SECRET,
            ),
        );
    }

    let runs = (0..SHARDS).map(|index| {
        let shard_index = index.to_string();
        let command = connector(
            &tenants,
            &["sync", "--once"],
            &[("SHARD_COUNT", "3"), ("SHARD_INDEX", shard_index.as_str())],
        );
        run_to_end(command)
    });
    let finished = futures::future::join_all(runs).await;

    let count = NonZeroU32::new(SHARDS).expect("three shards");
    let mut synced_by_any = BTreeSet::new();
    for (index, run) in (0..SHARDS).zip(&finished) {
        assert!(run.status.success(), "shard {index}: {}", run.transcript());
        let lines = run.json();
        let synced: BTreeSet<String> = with_message(&lines, "sync cycle finished")
            .iter()
            .map(|line| line["tenantName"].as_str().expect("tenantName").to_owned())
            .collect();
        let shard = ShardAssignment { index, count };
        let owned: BTreeSet<String> = (0..TENANTS)
            .map(tenant)
            .filter(|name| shard.owns(&TenantName::try_from(name.clone()).expect("valid name")))
            .collect();
        assert_eq!(
            synced, owned,
            "shard {index} synced exactly its own tenants"
        );
        let skipped = with_message(&lines, "tenant belongs to another shard").len();
        assert_eq!(
            skipped,
            TENANTS - owned.len(),
            "shard {index} names the others"
        );
        for name in synced {
            assert!(
                synced_by_any.insert(name.clone()),
                "{name} synced by two shards"
            );
        }
    }
    let all: BTreeSet<String> = (0..TENANTS).map(tenant).collect();
    assert_eq!(synced_by_any, all, "every tenant synced by some shard");

    let state = sim.dump_state();
    for index in 0..TENANTS {
        assert_eq!(
            state
                .unique
                .scope(&root(index))
                .and_then(|scope| scope.external_id.as_deref()),
            Some(format!("confc:cloud:site-{index}").as_str()),
            "root {index} claimed for its own site"
        );
        assert_eq!(
            files_under(&state, &root(index)).len(),
            2,
            "tenant {index} synced its pages"
        );
    }
    let claims: usize = finished
        .iter()
        .map(|run| with_message(&run.json(), "claimed the root scope").len())
        .sum();
    assert_eq!(claims, TENANTS, "each root claimed once");
}
