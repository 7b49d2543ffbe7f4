//! The Confluence rate limit of a tenant, seen from the outside: with
//! `apiRateLimitPerMinute: 120` (2 requests per second, a burst of 2) a `sync --once` that needs
//! more than 30 Confluence requests never exceeds that rate, and runs close to it, not far below.

mod service_support;

use std::time::{Duration, Instant};

use connector_sim::Scenario;
use connector_sim::scenario::AttachmentSeed;
use service_support::*;

const RATE_PER_SECOND: f64 = 2.0;
const BURST: f64 = 2.0;
/// Requests are logged when answered and sampled every 50 ms, so a count may lag by one.
const SLACK: f64 = 1.0;
const PAGES: u32 = 14;

/// Fourteen pages with two small attachments each: a download per attachment, plus discovery.
fn scenario() -> Scenario {
    let mut ops = space(4001, "OPS", 200, PAGES);
    for (index, page) in ops.contents.iter_mut().enumerate() {
        for copy in 0..2 {
            page.attachments.push(AttachmentSeed::text(
                &format!("{}", 9000 + index * 2 + copy),
                &format!("notes-{copy}.txt"),
                "text/plain",
                "a few words",
            ));
        }
    }
    Scenario {
        cloud: Vec::new(),
        data_center: vec![data_center("dc-rate", vec![ops])],
        unique: unique(&["scope-root"]),
        faults: Vec::new(),
        documents: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluence_requests_stay_at_the_configured_rate_and_close_to_it() {
    let sim = start_sim(scenario()).await;
    let tenants = Tenants::new();
    let limited = TenantFile {
        rate_limit_per_minute: 120,
        concurrency: 4,
        ..TenantFile::new("scope-root")
    };
    tenants.write(
        "limited",
        &limited.data_center(
            &sim,
            "dc-rate",
            &format!("{{ mode: pat, token: {DC_PAT} }}"),
        ),
    );
    let confluence_requests = || -> u64 {
        sim.request_counts()
            .iter()
            .filter(|(endpoint, _)| endpoint.starts_with("dc:dc-rate "))
            .map(|(_, count)| count)
            .sum()
    };

    let mut service = Running::spawn(&mut connector(&tenants, &["sync", "--once"], &[]));
    let started = Instant::now();
    let mut samples: Vec<(f64, u64)> = Vec::new();
    while !service.has_exited() {
        assert!(started.elapsed() < PATIENCE, "the sync did not end");
        samples.push((started.elapsed().as_secs_f64(), confluence_requests()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    samples.push((started.elapsed().as_secs_f64(), confluence_requests()));
    let finished = service.wait(PATIENCE).await;
    assert!(finished.status.success(), "{}", finished.transcript());
    assert_eq!(
        files_under(&sim.dump_state(), "scope-root").len(),
        PAGES as usize * 3
    );

    let total = samples.last().map_or(0, |(_, count)| *count);
    assert!(
        total >= 30,
        "the corpus needs at least 30 Confluence requests, took {total}"
    );

    // Never faster than the rate plus the burst, over any window.
    for (i, (start, before)) in samples.iter().enumerate() {
        for (end, after) in &samples[i + 1..] {
            let allowed = RATE_PER_SECOND * (end - start) + BURST + SLACK;
            let seen = (after - before) as f64;
            assert!(
                seen <= allowed,
                "{seen} requests in {:.2} s (allowed {allowed:.1})",
                end - start
            );
        }
    }

    // And not far below it: from the first to the last request, the time the limiter needs.
    let first = samples
        .iter()
        .find(|(_, count)| *count > 0)
        .expect("requests")
        .0;
    let last = samples
        .iter()
        .find(|(_, count)| *count == total)
        .expect("the last")
        .0;
    let needed = (total as f64 - BURST) / RATE_PER_SECOND;
    let took = last - first;
    assert!(
        took <= needed * 1.3 + 1.0,
        "{total} requests took {took:.1} s; the limiter needs about {needed:.1} s"
    );
}
