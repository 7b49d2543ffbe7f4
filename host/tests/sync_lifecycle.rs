//! Cycle life-cycle rules: shutdown stops new items but never leaves a registered item without
//! its upload and finalize; switching image inlining on turns standalone images into page
//! content in one cycle.

mod sync_support;

use std::time::Duration;

use sync_support::*;
use tokio_util::sync::CancellationToken;

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
            title: With image
            labels: [ai-ingest]
            updatedAt: "2025-03-01T10:00:00.000Z"
            body: "<p>see the diagram</p>"
            attachments:
              - { id: att200, title: diagram.png, mediaType: image/png, size: 1500, updatedAt: "2025-02-01T10:00:00.000Z" }
              - { id: att201, title: spec.pdf, mediaType: application/pdf, size: 1500, updatedAt: "2025-02-01T10:00:00.000Z" }
          - { id: "101", type: page, title: P1, labels: [ai-ingest], body: "<p>1</p>" }
          - { id: "102", type: page, title: P2, labels: [ai-ingest], body: "<p>2</p>" }
          - { id: "103", type: page, title: P3, labels: [ai-ingest], body: "<p>3</p>" }
          - { id: "104", type: page, title: P4, labels: [ai-ingest], body: "<p>4</p>" }
          - { id: "105", type: page, title: P5, labels: [ai-ingest], body: "<p>5</p>" }
unique:
  scopes:
    - { id: scope-kb, name: KB }
    - { id: scope-root, name: Confluence, parentId: scope-kb }
"#;

#[tokio::test]
async fn shutdown_stops_new_items_and_leaves_no_half_ingested_item() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let options = TenantOptions {
        concurrency: 1,
        ..TenantOptions::default()
    };
    let ctx = cloud_context(&sim, &shared, &options).await;
    sim.set_fault(connector_sim::FaultRule {
        action: connector_sim::FaultAction::Latency { ms: 300 },
        ..unique_fault("Upload", "acme/", 100, 200)
    });
    let shutdown = CancellationToken::new();
    let trigger = async {
        while count_operation(&sim, "ContentUpsert") == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        shutdown.cancel();
    };
    let (report, ()) = tokio::join!(connector_host::sync::run_cycle(&ctx, &shutdown), trigger);
    let reason = report.failure().expect("a stopped cycle is not a success");
    assert!(reason.contains("shutdown"), "{reason}");
    let state = sim.dump_state();
    assert!(
        !state.unique.files.is_empty(),
        "the page in flight was finished"
    );
    assert!(
        state.unique.files.len() < 6,
        "no new items after the shutdown: {:?}",
        stored_keys(&sim)
    );
    for file in &state.unique.files {
        assert_eq!(file.ingestion_state, "FINISHED", "{}", file.key);
    }
    assert_eq!(report.summary.pages_new as usize, state.unique.files.len());
}

#[tokio::test]
async fn switching_image_inlining_on_moves_standalone_images_into_their_page() {
    let sim = start_sim(SCENARIO).await;
    let shared = Shared::new();
    let plain = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(plain.tenant.processing.concurrency.get(), 2);
    assert_eq!(cycle(&plain).await.result, Ok(()));
    assert!(
        sim.dump_state()
            .unique
            .file("acme/98307_ENG/100::att200")
            .is_some(),
        "standalone image first"
    );
    let before = sim
        .dump_state()
        .unique
        .file("acme/98307_ENG/100")
        .cloned()
        .expect("page");

    let options = TenantOptions {
        ingestion_extra: "  pageIngestionConfig:\n    htmlConfig:\n      imageContentExtraction: { enabled: true, languageModel: vision-model }\n".into(),
        ..TenantOptions::default()
    };
    let inlining = cloud_context(&sim, &shared, &options).await;
    let report = cycle(&inlining).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    let state = sim.dump_state();
    assert!(
        state.unique.file("acme/98307_ENG/100::att200").is_none(),
        "the standalone image is deleted"
    );
    assert!(
        state.unique.file("acme/98307_ENG/100::att201").is_some(),
        "other attachments stay"
    );
    let page = state.unique.file("acme/98307_ENG/100").expect("page");
    assert!(
        page.byte_size > before.byte_size + 1500,
        "the image is inside the page now: {} bytes",
        page.byte_size
    );
    assert_eq!(
        page.ingestion_config
            .as_ref()
            .and_then(|c| c["htmlConfig"]["imageContentExtraction"]["enabled"].as_bool()),
        Some(true)
    );
    assert_eq!(report.summary.pages_updated, 1);
}
