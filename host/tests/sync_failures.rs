//! Item failures do not fail the cycle: a page that vanished before its fetch, an empty body, a
//! failed registration, a failed upload, a failed download and a size mismatch each affect only
//! their item, registrations of failed items are rolled back, and the next cycle retries.

mod sync_support;

use std::time::Duration;

use sync_support::*;

const SCENARIO: &str = r#"
cloud:
  - cloudId: cloud-1
    oauthClients: [{ clientId: cloud-client, clientSecret: cloud-secret }]
    spaces:
      - id: 98307
        key: ENG
        name: Engineering
        contents:
          - id: "100"
            type: page
            title: Runbook
            labels: [ai-ingest]
            body: "<p>one</p>"
            attachments:
              - { id: att200, title: a.pdf, mediaType: application/pdf, size: 4000 }
              - { id: att201, title: b.pdf, mediaType: application/pdf, size: 5000 }
              - { id: att202, title: c.pdf, mediaType: application/pdf, size: 6000 }
              - { id: att203, title: d.pdf, mediaType: application/pdf, size: 300, declaredSize: 200 }
          - { id: "101", type: page, title: Two, labels: [ai-ingest], body: "<p>two</p>" }
          - { id: "102", type: page, title: Three, labels: [ai-ingest], body: "<p>three</p>" }
          - { id: "103", type: page, title: Empty, labels: [ai-ingest], body: "" }
          - { id: "104", type: page, title: Vanishing, labels: [ai-ingest], body: "<p>gone soon</p>" }
          - { id: "105", type: folder, title: Folder, labels: [ai-ingest] }
unique:
  companyId: company-1
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb }
"#;

#[tokio::test]
async fn failed_items_are_counted_rolled_back_and_retried_by_the_next_cycle() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    // Registration of page 101 fails (not retried: a 400), the upload of att201 fails (after
    // registration: rolled back), the download of att202 is refused by Confluence.
    sim.set_fault(unique_fault("ContentUpsert", "acme/98307_ENG/101", 1, 400));
    sim.set_fault(unique_fault("Upload", "acme/98307_ENG/100::att201", 1, 400));
    sim.set_fault(path_fault(
        "cloud",
        "*/child/attachment/att202/download",
        Some(1),
        404,
        None,
    ));
    // Page 104 disappears after the file diff, while the space scope is being created.
    sim.set_fault(connector_sim::FaultRule {
        action: connector_sim::FaultAction::Latency { ms: 800 },
        ..unique_fault("GenerateScopesBasedOnPaths", "ENG", 1, 200)
    });
    let deleter = async {
        while count_operation(&sim, "FileDiff") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sim.delete_content(CLOUD, "104").expect("delete page 104");
    };
    let (report, ()) = tokio::join!(cycle(&ctx), deleter);

    assert_eq!(
        report.result,
        Ok(()),
        "item failures never fail the cycle: {report:?}"
    );
    let summary = report.summary;
    assert_eq!(summary.pages_new, 2, "pages 100 and 102");
    assert_eq!(summary.pages_failed, 1, "page 101's registration");
    assert_eq!(
        summary.pages_skipped, 3,
        "empty body, folder, vanished page"
    );
    assert_eq!(summary.attachments_new, 1, "att200");
    assert_eq!(
        summary.attachments_failed, 3,
        "upload, download, size mismatch"
    );
    assert_eq!(
        stored_keys(&sim),
        [
            "acme/98307_ENG/100",
            "acme/98307_ENG/100::att200",
            "acme/98307_ENG/102"
        ],
        "failed registrations were deleted again"
    );
    assert_eq!(
        count_operation(&sim, "ContentDeleteByContentIds"),
        3,
        "one rollback per failure after registration"
    );
    assert_eq!(
        shared.metric("cfc_pages_processed_total", &[("result", "skipped")]),
        3.0
    );
    assert_eq!(
        shared.metric("cfc_attachments_processed_total", &[("result", "failure")]),
        3.0
    );

    // The faults are used up: the next cycle ingests what failed (except the lying file size).
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()));
    assert_eq!(
        (report.summary.pages_new, report.summary.attachments_new),
        (1, 2)
    );
    assert_eq!(report.summary.attachments_failed, 1);
    let state = sim.dump_state();
    for key in [
        "acme/98307_ENG/101",
        "acme/98307_ENG/100::att201",
        "acme/98307_ENG/100::att202",
    ] {
        assert_eq!(
            state.unique.file(key).map(|f| f.ingestion_state.as_str()),
            Some("FINISHED"),
            "{key}"
        );
    }
    let (size, sha) = sim.attachment_digest(CLOUD, "att202").expect("att202");
    let stored = state
        .unique
        .file("acme/98307_ENG/100::att202")
        .expect("att202 stored");
    assert_eq!(
        (stored.stored_bytes, stored.sha256.as_deref()),
        (Some(size), Some(sha.as_str()))
    );
    assert!(
        state.unique.file("acme/98307_ENG/100::att203").is_none(),
        "a size mismatch is never stored"
    );
}

#[tokio::test]
async fn transient_download_failures_are_retried_with_a_new_download() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    // The media origin breaks the body of att200 once: the upload retry opens a new download.
    sim.set_fault(connector_sim::FaultRule {
        service: Some("media".into()),
        method: None,
        path: "*att200*".into(),
        operation: None,
        key: None,
        times: Some(1),
        action: connector_sim::FaultAction::Truncate { after_bytes: 1000 },
    });
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()));
    let state = sim.dump_state();
    let (size, sha) = sim.attachment_digest(CLOUD, "att200").expect("att200");
    let stored = state
        .unique
        .file("acme/98307_ENG/100::att200")
        .expect("att200 stored");
    assert_eq!(
        (stored.stored_bytes, stored.sha256.as_deref()),
        (Some(size), Some(sha.as_str()))
    );
    assert!(
        sim.request_log().requests.iter().any(|r| r.fault.is_some()),
        "the fault was applied"
    );
}
