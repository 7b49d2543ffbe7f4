//! `confluence-connector demo`: a newcomer's first look. Starts the simulators with a generated
//! corpus (a Confluence Cloud site, a Data Center instance and Unique), writes two tenant files
//! pointing at them (Cloud with cluster-local Unique auth, Data Center with a PAT and external
//! Zitadel auth), runs the real service code for one cycle per tenant, changes the corpus, and
//! runs the incremental cycle, printing a summary after each step.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use connector_sim::Sim;
use connector_sim::generator::{self, CorpusSpec};
use connector_sim::scenario::{AttachmentSeed, ContentType, Scenario, ScopeSeed};

use crate::config::ServiceSettings;

use super::cycles::CycleOutcome;
use super::once::sync_once;
use super::run::{ServiceError, ServiceOptions};

const SEED: u64 = 42;
const SPACES: u32 = 3;
const PAGES_PER_SPACE: u32 = 60;
const DC_ROOT_SCOPE: &str = "scope-root-dc";

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the simulators did not start: {0}")]
    Simulators(String),
    #[error("cannot write the demo's tenant files: {0}")]
    Files(#[from] std::io::Error),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the demo corpus changed unexpectedly: {0}")]
    Corpus(String),
}

/// Runs the demo, printing to stdout.
pub async fn demo(options: &ServiceOptions) -> Result<(), DemoError> {
    println!("Starting simulated Confluence Cloud, Confluence Data Center and Unique");
    println!(
        "  corpus: seed {SEED}, {SPACES} spaces x {PAGES_PER_SPACE} pages per instance, labels, page trees, attachments\n"
    );
    let scenario = demo_scenario(SEED, SPACES, PAGES_PER_SPACE);
    let changes = pick_changes(&scenario)?;
    let sim = Sim::start(scenario)
        .await
        .map_err(|err| DemoError::Simulators(err.to_string()))?;

    let dir = tempfile::tempdir()?;
    write_tenants(dir.path(), &sim)?;
    let pattern = format!("{}/*-tenant-config.yaml", dir.path().display());
    let settings = ServiceSettings::from_env(|name| match name {
        "TENANT_CONFIG_PATH_PATTERN" => Some(pattern.clone()),
        "LOG_LEVEL" => Some("warn".into()),
        other => std::env::var(other).ok(),
    })
    .map_err(|errors| DemoError::Service(ServiceError::Setup(errors.to_string())))?;

    println!("1. First sync: everything labelled is new");
    cycle(&settings, options, &sim).await?;

    println!(
        "\n2. Changing the corpus: an edited page, a deleted page, an unlabelled page, a new attachment"
    );
    changes.apply(&sim)?;
    cycle(&settings, options, &sim).await?;

    println!("\n3. Nothing changed: the cycle reads, diffs and writes nothing");
    cycle(&settings, options, &sim).await?;

    let state = sim.dump_state();
    println!(
        "\nUnique now holds {} files in {} scopes. Explore the service with `confluence-connector run` and the docs in README.md.",
        state.unique.files.len(),
        state.unique.scopes.len()
    );
    Ok(())
}

/// The generated corpus with a second root scope, so the Cloud and Data Center tenants each own
/// one.
pub fn demo_scenario(seed: u64, spaces: u32, pages_per_space: u32) -> Scenario {
    let mut scenario = generator::generate(&CorpusSpec::new(seed, spaces, pages_per_space));
    scenario.unique.scopes.push(ScopeSeed {
        id: DC_ROOT_SCOPE.into(),
        name: "Confluence DC".into(),
        parent_id: Some("scope-kb".into()),
        external_id: None,
    });
    scenario
}

async fn cycle(
    settings: &ServiceSettings,
    options: &ServiceOptions,
    sim: &Sim,
) -> Result<(), DemoError> {
    sim.reset_request_log();
    let started = Instant::now();
    let outcomes = sync_once(settings, options, None).await?;
    let counts = sim.request_counts();
    let (confluence, unique_writes) = request_totals(&counts);
    println!(
        "   {:<12} {:>7} {:>6} {:>7} {:>6} {:>8} {:>7}  result",
        "tenant", "pages+", "pages~", "attach+", "skip", "deleted", "failed"
    );
    for (tenant, outcome) in &outcomes {
        match outcome {
            CycleOutcome::Synced(report) => {
                let s = &report.summary;
                let result = report
                    .failure()
                    .map_or("ok".to_string(), |why| format!("FAILED: {why}"));
                println!(
                    "   {:<12} {:>7} {:>6} {:>7} {:>6} {:>8} {:>7}  {result}",
                    tenant,
                    s.pages_new,
                    s.pages_updated,
                    s.attachments_new + s.attachments_updated,
                    s.pages_skipped + s.attachments_skipped,
                    s.deleted,
                    s.pages_failed + s.attachments_failed + s.deletions_failed,
                );
            }
            CycleOutcome::Cleaned(report) => {
                println!("   {tenant:<12} cleanup: {:?}", report.result)
            }
            CycleOutcome::Idle => println!("   {tenant:<12} idle"),
        }
    }
    println!(
        "   {:.1} s, {confluence} Confluence requests, {unique_writes} Unique writes (registrations, uploads, deletions)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Confluence requests and Unique writes from the simulators' request log counts.
fn request_totals(counts: &BTreeMap<String, u64>) -> (u64, u64) {
    let confluence = counts
        .iter()
        .filter(|(endpoint, _)| {
            endpoint.contains("/rest/")
                || endpoint.contains("/api/v2/")
                || endpoint.contains("/download")
        })
        .map(|(_, count)| count)
        .sum();
    let writes = counts
        .iter()
        .filter(|(endpoint, _)| {
            [
                "ContentUpsert",
                "ContentDeleteByContentIds",
                "scoped/upload",
                "PUT ",
            ]
            .iter()
            .any(|op| endpoint.contains(op))
        })
        .map(|(_, count)| count)
        .sum();
    (confluence, writes)
}

/// Writes the two demo tenants, `demo-cloud` and `demo-dc`: literal secrets are fine here (they
/// are the simulators'). The corpus must come from the generator (its ids and credentials) with
/// the extra Data Center root scope the demo adds.
pub fn write_tenants(dir: &Path, sim: &Sim) -> std::io::Result<()> {
    let cloud_api = sim.cloud_api_base(generator::CLOUD_ID).unwrap_or_default();
    let cloud_site = sim.cloud_site_base(generator::CLOUD_ID).unwrap_or_default();
    let dc_base = sim
        .dc_base_url(generator::DATA_CENTER_NAME)
        .unwrap_or_default();
    let cloud = format!(
        r#"confluence:
  instanceType: cloud
  baseUrl: {cloud_site}
  cloudId: {cloud_id}
  apiBaseUrl: {cloud_api}
  mediaBaseUrl: {media}
  apiRateLimitPerMinute: 6000
  ingestSingleLabel: ai-ingest
  ingestAllLabel: ai-ingest-all
  auth:
    mode: oauth_2lo
    clientId: sim-client
    clientSecret: sim-secret
    tokenUrl: {token_url}
unique:
  serviceAuthMode: cluster_local
  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: demo-user }}
  ingestionServiceBaseUrl: {ingestion}
  scopeManagementServiceBaseUrl: {scope_management}
  apiRateLimitPerMinute: 60000
processing:
  concurrency: 8
ingestion:
  scopeId: scope-root
"#,
        cloud_id = generator::CLOUD_ID,
        media = sim.cloud_media_origin(),
        token_url = sim.cloud_token_url(),
        ingestion = sim.unique_ingestion_base(),
        scope_management = sim.unique_scope_management_base(),
    );
    let data_center = format!(
        r#"confluence:
  instanceType: data-center
  baseUrl: {dc_base}
  apiRateLimitPerMinute: 6000
  ingestSingleLabel: ai-ingest
  ingestAllLabel: ai-ingest-all
  auth: {{ mode: pat, token: sim-pat }}
unique:
  serviceAuthMode: external
  zitadelOauthTokenUrl: {zitadel}
  zitadelProjectId: sim-project
  zitadelClientId: sim-zitadel-client
  zitadelClientSecret: sim-zitadel-secret
  ingestionServiceBaseUrl: {ingestion}
  scopeManagementServiceBaseUrl: {scope_management}
  apiRateLimitPerMinute: 60000
processing:
  concurrency: 8
ingestion:
  scopeId: {DC_ROOT_SCOPE}
"#,
        zitadel = sim.zitadel_token_url(),
        ingestion = sim.unique_ingestion_base(),
        scope_management = sim.unique_scope_management_base(),
    );
    std::fs::write(dir.join("demo-cloud-tenant-config.yaml"), cloud)?;
    std::fs::write(dir.join("demo-dc-tenant-config.yaml"), data_center)
}

/// The corpus changes between the first and second cycle, chosen from labelled Cloud pages.
struct Changes {
    edited: String,
    deleted: String,
    unlabelled: (String, String),
    with_new_attachment: String,
}

fn pick_changes(scenario: &Scenario) -> Result<Changes, DemoError> {
    let site = scenario
        .cloud
        .first()
        .ok_or_else(|| DemoError::Corpus("no Cloud site".into()))?;
    let labelled: Vec<(&str, &str)> = site
        .spaces
        .iter()
        .flat_map(|space| &space.contents)
        .filter(|content| content.content_type == ContentType::Page)
        .filter_map(|content| {
            let label = content.labels.iter().find(|label| *label == "ai-ingest")?;
            Some((content.id.as_str(), label.as_str()))
        })
        .take(4)
        .collect();
    let [edited, deleted, unlabelled, with_new_attachment] = labelled.as_slice() else {
        return Err(DemoError::Corpus(
            "fewer than four pages labelled ai-ingest".into(),
        ));
    };
    Ok(Changes {
        edited: edited.0.into(),
        deleted: deleted.0.into(),
        unlabelled: (unlabelled.0.into(), unlabelled.1.into()),
        with_new_attachment: with_new_attachment.0.into(),
    })
}

impl Changes {
    fn apply(&self, sim: &Sim) -> Result<(), DemoError> {
        let cloud = generator::CLOUD_ID;
        let corpus = |err: connector_sim::server::MutationError| DemoError::Corpus(err.to_string());
        sim.update_page_body(cloud, &self.edited, "<p>Edited for the demo.</p>")
            .map_err(corpus)?;
        sim.delete_content(cloud, &self.deleted).map_err(corpus)?;
        sim.remove_label(cloud, &self.unlabelled.0, &self.unlabelled.1)
            .map_err(corpus)?;
        let attachment = AttachmentSeed::text(
            "att9000001",
            "demo-notes.txt",
            "text/plain",
            "Added by the demo.",
        );
        sim.put_attachment(cloud, &self.with_new_attachment, attachment)
            .map_err(corpus)
    }
}
