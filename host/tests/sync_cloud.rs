//! End-to-end cycles of a Confluence Cloud tenant with cluster-local Unique: the real plugin
//! runtime and Cloud plugin against the simulators over loopback HTTP.

mod sync_support;

use connector_sim::Sim;
use connector_sim::dump::StateDump;
use sync_support::*;

/// Space ENG: a labelled page with filtered attachments, a labelled subtree, a page with 28
/// attachments, a blog post, a database (dropped, its child kept); space OPS: one page; space
/// HR: nothing labelled.
fn scenario() -> String {
    let mut many = String::new();
    for i in 0..28 {
        many.push_str(&format!(
            "              - {{ id: att3{i:02}, title: \"note-{i}.txt\", mediaType: text/plain, size: {} }}\n",
            100 + i
        ));
    }
    format!(
        r#"
cloud:
  - cloudId: cloud-1
    oauthClients: [{{ clientId: cloud-client, clientSecret: cloud-secret }}]
    spaces:
      - id: 98307
        key: ENG
        name: Engineering
        contents:
          - id: "100"
            type: page
            title: Runbook
            labels: [ai-ingest, ops, alpha]
            updatedAt: "2025-03-01T10:00:00.000Z"
            body: "<p>Runbook body</p>"
            attachments:
              - {{ id: att200, title: spec.pdf, mediaType: application/pdf, size: 70000, updatedAt: "2025-03-01T09:00:00.000Z" }}
              - {{ id: att201, title: diagram.png, mediaType: image/png, size: 3000 }}
              - {{ id: att202, title: empty.txt, mediaType: text/plain, size: 0 }}
              - {{ id: att203, title: archive.zip, mediaType: application/zip, size: 500 }}
              - {{ id: att204, title: notes.txt, mediaType: "text/plain; charset=UTF-8", text: "plain notes" }}
          - {{ id: "101", type: page, title: Tree root, labels: [ai-ingest-all], body: "<p>tree</p>" }}
          - {{ id: "102", type: page, title: Tree child, parentId: "101", body: "<p>child</p>" }}
          - {{ id: "103", type: page, title: Tree grandchild, parentId: "102", labels: [beta], body: "<p>grandchild</p>" }}
          - id: "104"
            type: page
            title: Many files
            labels: [ai-ingest]
            body: "<p>many</p>"
            attachments:
{many}          - {{ id: "105", type: blogpost, title: News, labels: [ai-ingest], updatedAt: "2025-04-02T12:00:00.000Z", body: "<p>news</p>" }}
          - {{ id: "106", type: database, title: DB, labels: [ai-ingest-all] }}
          - {{ id: "107", type: page, title: Under database, parentId: "106", body: "<p>under db</p>" }}
          - {{ id: "108", type: page, title: Unlabelled, body: "<p>not ingested</p>" }}
          - {{ id: "109", type: page, title: Moving, labels: [ai-ingest], body: "<p>moving</p>" }}
      - id: 98308
        key: OPS
        name: Operations
        contents:
          - {{ id: "300", type: page, title: Ops page, labels: [ai-ingest], body: "<p>ops</p>" }}
      - id: 98309
        key: DOCS
        name: Documentation
        contents:
          - {{ id: "400", type: page, title: Docs page, labels: [ai-ingest], body: "<p>docs</p>" }}
      - id: 98310
        key: HR
        name: People
        contents:
          - {{ id: "500", type: page, title: HR page, body: "<p>hr</p>" }}
unique:
  companyId: company-1
  scopes:
    - {{ id: scope-kb, name: KB }}
    - {{ id: scope-root, name: Confluence, parentId: scope-kb }}
"#
    )
}

fn keys(state: &StateDump) -> Vec<String> {
    let mut keys: Vec<String> = state
        .unique
        .files
        .iter()
        .map(|file| file.key.clone())
        .collect();
    keys.sort();
    keys
}

fn space_scope<'s>(state: &'s StateDump, name: &str) -> &'s connector_sim::dump::ScopeDump {
    state
        .unique
        .scopes
        .iter()
        .find(|scope| scope.name == name && scope.parent_id.as_deref() == Some("scope-root"))
        .unwrap_or_else(|| panic!("scope {name} under the root"))
}

fn assert_attachment_stored(sim: &Sim, state: &StateDump, key: &str, attachment_id: &str) {
    let file = state
        .unique
        .file(key)
        .unwrap_or_else(|| panic!("{key} stored"));
    let (size, sha256) = sim
        .attachment_digest(CLOUD, attachment_id)
        .expect("attachment exists");
    assert_eq!(file.byte_size, size, "{key} byteSize");
    assert_eq!(file.stored_bytes, Some(size), "{key} stored bytes");
    assert_eq!(
        file.sha256.as_deref(),
        Some(sha256.as_str()),
        "{key} sha256"
    );
    assert_eq!(file.ingestion_state, "FINISHED", "{key}");
}

#[tokio::test]
async fn first_cycle_ingests_labelled_pages_subtrees_blogs_and_filtered_attachments() {
    let sim = start_sim(&scenario()).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;

    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");

    let state = sim.dump_state();
    let mut expected: Vec<String> = ["100", "101", "102", "103", "104", "105", "107", "109"]
        .iter()
        .map(|id| format!("acme/98307_ENG/{id}"))
        .collect();
    expected.extend(
        ["att200", "att201", "att204"]
            .iter()
            .map(|att| format!("acme/98307_ENG/100::{att}")),
    );
    expected.extend((0..28).map(|i| format!("acme/98307_ENG/104::att3{i:02}")));
    expected.push("acme/98308_OPS/300".into());
    expected.push("acme/98309_DOCS/400".into());
    expected.sort();
    assert_eq!(keys(&state), expected);

    let runbook = state.unique.file("acme/98307_ENG/100").expect("page 100");
    assert_eq!(runbook.title, "Runbook");
    assert_eq!(runbook.mime_type, "text/html");
    assert_eq!(runbook.byte_size, "<p>Runbook body</p>".len() as u64);
    assert_eq!(runbook.stored_bytes, Some(runbook.byte_size));
    assert_eq!(
        runbook.metadata,
        serde_json::json!({"confluenceLabels": ["alpha", "ops"], "spaceKey": "ENG", "spaceName": "Engineering"})
    );
    assert_eq!(runbook.ingestion_config, None);
    assert_eq!(
        runbook.source_kind.as_deref(),
        Some("ATLASSIAN_CONFLUENCE_CLOUD")
    );
    assert_eq!(
        state
            .unique
            .file("acme/98307_ENG/105")
            .expect("blog post")
            .title,
        "News"
    );

    assert_attachment_stored(&sim, &state, "acme/98307_ENG/100::att200", "att200");
    assert_attachment_stored(&sim, &state, "acme/98307_ENG/104::att327", "att327");
    let png = state
        .unique
        .file("acme/98307_ENG/100::att201")
        .expect("png");
    assert_eq!(
        png.ingestion_config,
        Some(serde_json::json!({"jpgReadMode": "DOC_INTELLIGENCE_DEFAULT"}))
    );
    assert_eq!(
        png.metadata,
        serde_json::json!({"spaceKey": "ENG", "spaceName": "Engineering"})
    );
    let notes = state
        .unique
        .file("acme/98307_ENG/100::att204")
        .expect("notes");
    assert_eq!(notes.mime_type, "text/plain; charset=UTF-8");
    assert_eq!(
        notes.upload_content_type.as_deref(),
        Some("text/plain; charset=UTF-8")
    );

    let root = state.unique.scope("scope-root").expect("root");
    assert_eq!(root.external_id.as_deref(), Some("confc:cloud:cloud-1"));
    assert_eq!(
        space_scope(&state, "ENG").external_id.as_deref(),
        Some("confc:acme:98307:ENG")
    );
    assert_eq!(
        space_scope(&state, "OPS").external_id.as_deref(),
        Some("confc:acme:98308:OPS")
    );
    assert!(state.unique.scopes.iter().all(|scope| scope.name != "HR"));
    let eng = space_scope(&state, "ENG");
    assert!(
        state
            .unique
            .files
            .iter()
            .filter(|f| f.key.starts_with("acme/98307_ENG/"))
            .all(|f| f.scope_id == eng.id)
    );

    let summary = report.summary;
    assert_eq!(summary.pages_new, 8 + 2);
    assert_eq!(summary.attachments_new, 3 + 28);
    assert_eq!(summary.attachments_skipped, 1, "the zero-byte file");
    assert_eq!(
        (
            summary.pages_failed,
            summary.attachments_failed,
            summary.deleted
        ),
        (0, 0, 0)
    );
    assert_eq!(report.discovered_spaces, 3);
    assert_eq!(
        shared.metric(
            "cfc_pages_processed_total",
            &[("tenant", "acme"), ("result", "success")]
        ),
        10.0
    );
    assert_eq!(
        shared.metric("cfc_attachments_processed_total", &[("result", "success")]),
        31.0
    );
    assert_eq!(
        shared.metric("cfc_sync_duration_seconds", &[("result", "success")]),
        1.0
    );
    assert_eq!(shared.metric("cfc_sync_phase", &[("phase", "idle")]), 1.0);
    assert_eq!(
        shared.metric("cfc_file_diff_events_total", &[("diff_result_type", "new")]),
        10.0 + 32.0
    );
}

#[tokio::test]
async fn second_cycle_without_changes_writes_nothing_to_unique() {
    let sim = start_sim(&scenario()).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    let before = sim.dump_state();

    sim.reset_request_log();
    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    let operations = unique_operations(&sim);
    for write in [
        "ContentUpsert",
        "GenerateScopesBasedOnPaths",
        "UpdateScope",
        "ContentDeleteByContentIds",
        "DeleteFolder",
        "BulkMove",
        "Upload",
    ] {
        assert!(
            !operations.iter().any(|op| op == write),
            "{write} in {operations:?}"
        );
    }
    assert_eq!(count_operation(&sim, "FileDiff"), 3, "{operations:?}");
    // The zero-byte file is never stored, so the diff reports it new each cycle; it is skipped
    // again before registration.
    let expected = connector_host::sync::CycleSummary {
        attachments_skipped: 1,
        ..Default::default()
    };
    assert_eq!(report.summary, expected);
    assert_eq!(keys(&sim.dump_state()), keys(&before));
}

#[tokio::test]
async fn changes_in_confluence_are_mirrored_by_the_next_cycle() {
    let sim = start_sim(&scenario()).await;
    let shared = Shared::new();
    let ctx = cloud_context(&sim, &shared, &TenantOptions::default()).await;
    assert_eq!(cycle(&ctx).await.result, Ok(()));
    let before = sim.dump_state();

    sim.update_page_body(CLOUD, "100", "<p>Runbook body, second edition</p>")
        .expect("edit");
    sim.put_attachment(
        CLOUD,
        "100",
        connector_sim::scenario::AttachmentSeed {
            version: 2,
            updated_at: "2025-05-01T00:00:00.000Z".into(),
            ..connector_sim::scenario::AttachmentSeed::text(
                "att204",
                "notes.txt",
                "text/plain; charset=UTF-8",
                "longer plain notes",
            )
        },
    )
    .expect("update attachment");
    sim.delete_content(CLOUD, "105").expect("delete blog post");
    sim.delete_attachment(CLOUD, "104", "att300")
        .expect("delete attachment");
    sim.remove_label(CLOUD, "300", "ai-ingest")
        .expect("unlabel the only OPS page");
    sim.move_content(CLOUD, "109", "DOCS", None)
        .expect("move page");
    sim.reset_request_log();

    let report = cycle(&ctx).await;
    assert_eq!(report.result, Ok(()), "{report:?}");
    let state = sim.dump_state();

    let runbook = state.unique.file("acme/98307_ENG/100").expect("page 100");
    assert_eq!(
        runbook.byte_size,
        "<p>Runbook body, second edition</p>".len() as u64
    );
    assert_ne!(
        runbook.sha256,
        before
            .unique
            .file("acme/98307_ENG/100")
            .expect("before")
            .sha256
    );
    let notes = state
        .unique
        .file("acme/98307_ENG/100::att204")
        .expect("notes");
    assert_eq!(notes.byte_size, "longer plain notes".len() as u64);
    assert_attachment_stored(&sim, &state, "acme/98307_ENG/100::att204", "att204");
    // The unchanged attachment next to it was not re-uploaded.
    assert_eq!(
        count_operation(&sim, "Upload"),
        3,
        "page 100, att204 and the moved page"
    );

    assert!(
        state.unique.file("acme/98307_ENG/105").is_none(),
        "deleted blog post"
    );
    assert!(
        state.unique.file("acme/98307_ENG/104::att300").is_none(),
        "deleted attachment"
    );
    assert!(state.unique.file("acme/98307_ENG/104::att301").is_some());
    assert!(
        state.unique.file("acme/98308_OPS/300").is_none(),
        "unlabelled space's content"
    );
    assert!(
        state.unique.scopes.iter().all(|scope| scope.name != "OPS"),
        "orphaned OPS scope deleted"
    );
    assert!(
        state.unique.file("acme/98307_ENG/109").is_none(),
        "moved page left ENG"
    );
    let moved = state
        .unique
        .file("acme/98309_DOCS/109")
        .expect("moved page in DOCS");
    assert_eq!(moved.scope_id, space_scope(&state, "DOCS").id);

    let summary = report.summary;
    assert_eq!((summary.pages_new, summary.pages_updated), (1, 1));
    assert_eq!(summary.attachments_updated, 1);
    assert_eq!(
        summary.deleted, 3,
        "blog post, attachment, moved page's old key"
    );
    assert_eq!(summary.orphan_scopes_deleted, 1);
    assert_eq!(summary.orphan_files_deleted, 1);
    assert_eq!(
        shared.metric(
            "cfc_file_diff_events_total",
            &[("diff_result_type", "moved")]
        ),
        1.0
    );
    assert_eq!(
        shared.metric(
            "cfc_orphaned_scopes_cleaned_total",
            &[("result", "success")]
        ),
        1.0
    );
}
