//! The conformance check: loads a plugin package, runs it against a source (the simulators or
//! the settings given) under tightened sandbox limits — open, identify, discovery with a batch
//! size of 1 and of [`MAX_BATCH`], then fetch-pages of the discovered ids — and turns every
//! contract violation it sees into a finding.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::CheckError;
use super::contract::DiscoveryLedger;
use super::report::CheckReport;
use crate::auth::ConfluenceAuth;
use crate::config::Tenant;
use crate::egress::SourceEgress;
use crate::http_client::{HttpClients, ProxySettings};
use crate::plugin_runtime::source::{
    AttachmentPolicy, Batch, Completeness, FetchOutcome, SessionSettings,
};
use crate::plugin_runtime::{
    LoadedPlugin, MAX_BATCH, MAX_FETCH_IDS, PluginManifest, PluginPackage, PluginRuntime,
    PluginTask, RuntimeSettings, SandboxLimits, TaskContext,
};
use crate::rate_limit::RateLimiter;
use crate::sync::session_settings;

/// The check's own rate limit towards the source: high, so it measures the plugin, not a limiter.
const CHECK_RATE_PER_MINUTE: NonZeroU32 = match NonZeroU32::new(6_000) {
    Some(rate) => rate,
    None => NonZeroU32::MIN,
};

/// Where and how a plugin is run by [`check`].
#[derive(Debug, Clone)]
pub struct CheckTarget {
    /// The tenant name the plugin sees.
    pub tenant: String,
    /// The plugin's config section (`source.config` of a tenant file), a JSON object.
    pub config: Json,
    /// What the manifest's origin templates resolve against (`{source.config.baseUrl}`, ...).
    pub template_context: Json,
    /// Credentials the host attaches to requests for origins marked `credentials = true`.
    pub credentials: Option<ConfluenceAuth>,
    pub attachments: Option<AttachmentPolicy>,
    /// Limits of every call; tighter than a deployment's so a plugin that is near them fails here.
    pub limits: SandboxLimits,
    /// Where compiled components are cached between checks; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// A discovery that reports more items than this is stopped and reported as not ending.
    pub max_discovered: usize,
    /// At most this many of the discovered pages are fetched.
    pub max_fetched: usize,
}

impl CheckTarget {
    /// A target for a third-party plugin whose tenant's `source.config` is `config`.
    pub fn plugin_config(config: Json) -> Self {
        Self {
            tenant: "plugin-check".into(),
            template_context: json!({"source": {"config": config.clone()}}),
            config,
            credentials: None,
            attachments: None,
            limits: Self::tight_limits(),
            cache_dir: None,
            max_discovered: 100_000,
            max_fetched: 1_000,
        }
    }

    /// A target with a tenant's settings: its name, plugin config, origin templates and
    /// attachment policy (its `max-items` cap is not applied: the check wants whole discoveries).
    /// `credentials` are the tenant's, built as the service builds them.
    pub fn for_tenant(tenant: &Tenant, credentials: Option<ConfluenceAuth>) -> Self {
        let settings = session_settings(tenant);
        Self {
            tenant: settings.tenant,
            template_context: tenant.template_context(),
            credentials,
            attachments: settings.attachments,
            ..Self::plugin_config(tenant.plugin_config_json())
        }
    }

    /// Default limits of a check: a quarter of a deployment's memory, a sixth of its CPU budget.
    pub fn tight_limits() -> SandboxLimits {
        SandboxLimits {
            memory_bytes: 64 * 1024 * 1024,
            cpu_per_call: Duration::from_secs(5),
            wall_per_call: Duration::from_secs(120),
            ..SandboxLimits::default()
        }
    }
}

/// Checks the plugin package in `dir` against `target`. Everything wrong with the plugin is a
/// finding in the report; an error means the check itself could not run.
pub async fn check(dir: &Path, target: CheckTarget) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::new(dir.to_owned());
    let package = PluginPackage::read_dir(dir).map_err(|err| CheckError::Package {
        location: dir.to_owned(),
        reason: err.to_string(),
    })?;
    let manifest = match PluginManifest::parse(&package.manifest, &dir.join("plugin.toml")) {
        Ok(manifest) => manifest,
        Err(err) => {
            report.find(format!("The manifest is refused: {err}."));
            return Ok(report);
        }
    };
    report.id = Some(manifest.id.clone());
    report.version = Some(manifest.version.clone());
    report.wit = Some(manifest.wit.clone());

    let runtime = PluginRuntime::new(RuntimeSettings {
        limits: target.limits,
        cache_dir: target.cache_dir.clone(),
    })?;
    let plugin = match runtime
        .load(
            &package.manifest,
            Arc::clone(&package.wasm),
            &package.location,
        )
        .await
    {
        Ok(plugin) => plugin,
        Err(err) => {
            report.find(format!("The host refuses to load the plugin: {err}."));
            return Ok(report);
        }
    };
    let allow_list = match manifest.allow_list(&target.template_context) {
        Ok(allow_list) => allow_list,
        Err(err) => {
            report.find(format!(
                "The declared origins do not resolve against the target's settings: {err}."
            ));
            return Ok(report);
        }
    };
    let denied = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorder = Arc::clone(&denied);
    let clients = HttpClients::build(&ProxySettings::none(), None)
        .map_err(|err| CheckError::HttpClient(err.to_string()))?;
    let limiter = Arc::new(RateLimiter::per_minute(CHECK_RATE_PER_MINUTE));
    let egress = SourceEgress::new(
        allow_list,
        target.credentials.clone(),
        limiter,
        clients.direct,
    )
    .with_denial_hook(Arc::new(move |origin: &str| {
        // A poisoned lock only loses this count; the check goes on.
        if let Ok(mut origins) = recorder.lock() {
            origins.push(origin.to_owned());
        }
    }));
    let run = CheckRun {
        runtime: &runtime,
        plugin: &plugin,
        target: &target,
        egress: Arc::new(egress),
    };

    let small = run.discover(1, &mut report).await;
    let large = run.discover(MAX_BATCH, &mut report).await;
    if let (Some(small), Some(large)) = (&small, &large) {
        compare_discoveries(small, large, &mut report);
    }
    if let Some(discovered) = large.as_ref().or(small.as_ref()) {
        report.pages = discovered.page_ids().len();
        report.attachments = discovered.attachments();
        run.fetch(discovered.page_ids(), &mut report).await;
    }

    let denied = denied
        .lock()
        .map(|origins| origins.clone())
        .unwrap_or_default();
    report.denied_requests = denied.len();
    if let Some(first) = denied.first() {
        report.find(format!(
            "The plugin sent {} request(s) outside its declared origins (the first to {first}); the host refused them.",
            denied.len()
        ));
    }
    Ok(report)
}

/// One check's shared parts.
struct CheckRun<'a> {
    runtime: &'a PluginRuntime,
    plugin: &'a LoadedPlugin,
    target: &'a CheckTarget,
    egress: Arc<SourceEgress>,
}

impl CheckRun<'_> {
    /// A fresh task with an open session, or `None` with a finding.
    async fn open(&self, purpose: &str, report: &mut CheckReport) -> Option<PluginTask> {
        let context = TaskContext {
            egress: Some(Arc::clone(&self.egress)),
            ..TaskContext::offline(&self.target.tenant)
        };
        let settings = SessionSettings {
            tenant: self.target.tenant.clone(),
            config: self.target.config.to_string(),
            attachments: self.target.attachments.clone(),
            max_items: None,
        };
        let opened = match self.runtime.start_task(self.plugin, context).await {
            Ok(mut task) => task.open(settings).await.map(|()| task),
            Err(err) => Err(err),
        };
        opened
            .map_err(|err| report.find(format!("{purpose}: {err}.")))
            .ok()
    }

    /// open → identify → discover → next-batch(`batch`) until done.
    async fn discover(&self, batch: u32, report: &mut CheckReport) -> Option<DiscoveryLedger> {
        let purpose = format!("Discovery with batch size {batch} failed");
        let mut task = self.open(&purpose, report).await?;
        match task.identify().await {
            Ok(identity) if identity.instance_id.trim().is_empty() => {
                report.find("identify returned an empty instance-id.");
            }
            Ok(_) => {}
            Err(err) => report.find(format!("{purpose}: {err}.")),
        }
        let cursor = match task.discover().await {
            Ok(cursor) => cursor,
            Err(err) => {
                report.find(format!("{purpose}: {err}."));
                return None;
            }
        };
        let mut ledger = DiscoveryLedger::default();
        let mut seen = 0;
        loop {
            match task.next_batch(cursor, batch).await {
                Ok(Batch::Items(items)) => {
                    items.iter().for_each(|item| ledger.record(item));
                    seen += items.len();
                    if seen > self.target.max_discovered {
                        report.find(format!(
                            "Discovery with batch size {batch} did not end after {} items.",
                            self.target.max_discovered
                        ));
                        return None;
                    }
                }
                Ok(Batch::Done(Completeness::Complete)) => break,
                Ok(Batch::Done(Completeness::Truncated)) => {
                    report.find(format!(
                        "Discovery with batch size {batch} ended `truncated` although the session set no max-items."
                    ));
                    break;
                }
                Err(err) => {
                    report.find(format!("{purpose}: {err}."));
                    return None;
                }
            }
        }
        for finding in ledger.findings() {
            report.find(format!("Discovery broke the contract: {finding}."));
        }
        Some(ledger)
    }

    /// fetch-pages of up to `max_fetched` ids, [`MAX_FETCH_IDS`] per call, in a fresh task.
    async fn fetch(&self, page_ids: &[String], report: &mut CheckReport) {
        let purpose = "Fetching pages failed";
        let Some(mut task) = self.open(purpose, report).await else {
            return;
        };
        let wanted = &page_ids[..page_ids.len().min(self.target.max_fetched)];
        for chunk in wanted.chunks(MAX_FETCH_IDS) {
            let pages = match task.fetch_pages(chunk.to_vec()).await {
                Ok(pages) => pages,
                Err(err) => {
                    report.find(format!("{purpose}: {err}."));
                    return;
                }
            };
            for page in pages {
                if let FetchOutcome::Found(content) = &page.outcome
                    && content.id != page.id
                {
                    report.find(format!(
                        "fetch-pages answered page `{}` with the content of `{}`.",
                        page.id, content.id
                    ));
                }
                report.fetched += 1;
            }
        }
    }
}

/// The discovered pages must not depend on the batch size.
fn compare_discoveries(small: &DiscoveryLedger, large: &DiscoveryLedger, report: &mut CheckReport) {
    let mut small_ids = small.page_ids().to_vec();
    let mut large_ids = large.page_ids().to_vec();
    small_ids.sort();
    large_ids.sort();
    if small_ids != large_ids || small.attachments() != large.attachments() {
        report.find(format!(
            "Discovery with batch size 1 reported {} pages and {} attachments, with batch size {MAX_BATCH} {} pages and {} attachments: the items must not depend on the batch size.",
            small_ids.len(),
            small.attachments(),
            large_ids.len(),
            large.attachments()
        ));
    }
}
