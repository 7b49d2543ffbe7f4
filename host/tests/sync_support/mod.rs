//! Shared setup of the sync-engine tests: the plugin runtime with the two Confluence plugins
//! (loaded once per test binary), simulator scenarios, tenant files written to a temporary
//! directory, and [`cycle_context_for`], which assembles a tenant's `CycleContext` the way the
//! service does.

#![allow(dead_code)] // each test crate uses a different part

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use connector_host::auth::{ConfluenceAuth, TokenCache, UniqueAuth, ZitadelAuth, ZitadelSettings};
use connector_host::config::{self, ConfluenceInstance, SourceAuth, SourceConfig, Tenant};
use connector_host::egress::SourceEgress;
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::plugin_runtime::{
    LoadedPlugin, PluginPackage, PluginRuntime, RuntimeSettings, TaskContext,
};
use connector_host::rate_limit::RateLimiter;
use connector_host::retry::RetryPolicy;
use connector_host::sync::{CycleContext, CycleReport};
use connector_host::telemetry::{ConnectorMetrics, Diagnostics};
use connector_host::unique::{UniqueClient, UniqueClientSettings, UniqueMetrics};
use connector_sim::Sim;
use connector_sim::scenario::Scenario;
use prometheus::Registry;
use prometheus::proto::MetricType;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

pub const CLOUD: &str = "cloud-1";
pub const DC: &str = "dc-1";
pub const TENANT: &str = "acme";

/// The runtime and the first-party plugins, loaded once per test binary.
pub struct Plugins {
    pub runtime: Arc<PluginRuntime>,
    pub cloud: Arc<LoadedPlugin>,
    pub data_center: Arc<LoadedPlugin>,
}

static PLUGINS: OnceCell<Plugins> = OnceCell::const_new();

pub async fn plugins() -> &'static Plugins {
    PLUGINS
        .get_or_init(|| async {
            let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sync-plugin-cache");
            let runtime = PluginRuntime::new(RuntimeSettings {
                cache_dir: Some(cache_dir),
                ..RuntimeSettings::default()
            })
            .expect("plugin runtime");
            let cloud = load(&runtime, plugin_artifacts::CONFLUENCE_CLOUD_DIR).await;
            let data_center = load(&runtime, plugin_artifacts::CONFLUENCE_DATA_CENTER_DIR).await;
            Plugins {
                runtime,
                cloud,
                data_center,
            }
        })
        .await
}

async fn load(runtime: &PluginRuntime, dir: &str) -> Arc<LoadedPlugin> {
    let package = PluginPackage::read_dir(Path::new(dir)).expect("plugin package");
    Arc::new(
        runtime
            .load(&package.manifest, package.wasm, &package.location)
            .await
            .expect("plugin loads"),
    )
}

/// Which Unique auth mode a tenant uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueMode {
    ClusterLocal,
    External,
}

/// Tenant options the tests vary.
#[derive(Clone, Debug)]
pub struct TenantOptions {
    pub name: String,
    pub unique: UniqueMode,
    pub status: &'static str,
    pub root_scope: String,
    pub concurrency: u32,
    pub max_items: Option<u32>,
    pub v1_keys: bool,
    /// Extra lines of the `ingestion` section (indented by two spaces).
    pub ingestion_extra: String,
    pub scan_interval: Option<String>,
}

impl Default for TenantOptions {
    fn default() -> Self {
        Self {
            name: TENANT.to_owned(),
            unique: UniqueMode::ClusterLocal,
            status: "active",
            root_scope: "scope-root".to_owned(),
            concurrency: 2,
            max_items: None,
            v1_keys: false,
            ingestion_extra: String::new(),
            scan_interval: None,
        }
    }
}

/// The `unique`, `processing` and `ingestion` sections for the simulator.
fn common_sections(sim: &Sim, options: &TenantOptions) -> String {
    let unique = match options.unique {
        UniqueMode::ClusterLocal => format!(
            "unique:\n  serviceAuthMode: cluster_local\n  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: user-1 }}\n  ingestionServiceBaseUrl: {}\n  scopeManagementServiceBaseUrl: {}\n  apiRateLimitPerMinute: 60000\n",
            sim.unique_ingestion_base(),
            sim.unique_scope_management_base()
        ),
        UniqueMode::External => format!(
            "unique:\n  serviceAuthMode: external\n  zitadelOauthTokenUrl: {}\n  zitadelProjectId: \"4711\"\n  zitadelClientId: zclient\n  zitadelClientSecret: zsecret\n  ingestionServiceBaseUrl: {}\n  scopeManagementServiceBaseUrl: {}\n  apiRateLimitPerMinute: 60000\n",
            sim.zitadel_token_url(),
            sim.unique_ingestion_base(),
            sim.unique_scope_management_base()
        ),
    };
    let mut processing = format!("processing:\n  concurrency: {}\n", options.concurrency);
    if let Some(max) = options.max_items {
        processing.push_str(&format!("  maxItemsToScan: {max}\n"));
    }
    let mut ingestion = format!("ingestion:\n  scopeId: {}\n", options.root_scope);
    if options.v1_keys {
        ingestion.push_str("  useV1KeyFormat: enabled\n");
    }
    ingestion.push_str(&options.ingestion_extra);
    format!(
        "status: {}\n{unique}{processing}{ingestion}",
        options.status
    )
}

/// A Cloud tenant file for site [`CLOUD`] of `sim`.
pub fn cloud_tenant_yaml(sim: &Sim, options: &TenantOptions) -> String {
    format!(
        "confluence:\n  instanceType: cloud\n  baseUrl: {site}\n  cloudId: {CLOUD}\n  apiBaseUrl: {api}\n  mediaBaseUrl: {media}\n  apiRateLimitPerMinute: 60000\n  ingestSingleLabel: ai-ingest\n  ingestAllLabel: ai-ingest-all\n  auth:\n    mode: oauth_2lo\n    clientId: cloud-client\n    clientSecret: cloud-secret\n    tokenUrl: {token}\n{common}",
        site = sim.cloud_site_base(CLOUD).expect("cloud site"),
        api = sim.cloud_api_base(CLOUD).expect("cloud site"),
        media = sim.cloud_media_origin(),
        token = sim.cloud_token_url(),
        common = common_sections(sim, options),
    )
}

/// A Data Center tenant file for instance [`DC`] of `sim`, with the given `auth` block lines.
pub fn data_center_tenant_yaml(sim: &Sim, options: &TenantOptions, auth: &str) -> String {
    format!(
        "confluence:\n  instanceType: data-center\n  baseUrl: {base}\n  apiRateLimitPerMinute: 60000\n  ingestSingleLabel: ai-ingest\n  ingestAllLabel: ai-ingest-all\n  auth: {auth}\n{common}",
        base = sim.dc_base_url(DC).expect("dc instance"),
        common = common_sections(sim, options),
    )
}

/// Parses a tenant file named `{name}-tenant-config.yaml` through the real loader.
pub fn tenant_from_yaml(name: &str, yaml: &str) -> Tenant {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir
        .path()
        .join(format!("{name}{}", config::TENANT_FILE_SUFFIX));
    std::fs::write(&path, yaml).expect("write tenant file");
    let loaded = config::load_tenant_files(&[path], |_| None)
        .unwrap_or_else(|errors| panic!("tenant file is valid: {errors:?}\n{yaml}"));
    loaded.tenants.into_iter().next().expect("one tenant")
}

/// Everything a tenant's cycle is built from, shared per test.
pub struct Shared {
    pub registry: Registry,
    pub metrics: ConnectorMetrics,
    pub unique_metrics: UniqueMetrics,
    pub clients: HttpClients,
}

impl Shared {
    pub fn new() -> Self {
        let registry = Registry::new();
        let metrics = ConnectorMetrics::register(&registry).expect("connector metrics");
        let unique_metrics = UniqueMetrics::register(&registry).expect("unique metrics");
        let clients = HttpClients::build(&ProxySettings::none(), None).expect("http clients");
        Self {
            registry,
            metrics,
            unique_metrics,
            clients,
        }
    }

    /// The value of a sample of metric `name` whose labels include every `labels` pair.
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut total = 0.0;
        for family in self
            .registry
            .gather()
            .iter()
            .filter(|family| family.name() == name)
        {
            for metric in family.get_metric() {
                let matches = labels.iter().all(|(key, value)| {
                    metric
                        .get_label()
                        .iter()
                        .any(|pair| pair.name() == *key && pair.value() == *value)
                });
                if matches {
                    total += match family.get_field_type() {
                        MetricType::COUNTER => metric.get_counter().get_value(),
                        MetricType::GAUGE => metric.get_gauge().get_value(),
                        _ => metric.get_histogram().get_sample_count() as f64,
                    };
                }
            }
        }
        total
    }
}

/// Assembles what one cycle of `tenant` needs, as the service does: the source egress (allow-list
/// from the plugin manifest, credentials, limiter), the plugin task context, the Unique client
/// with the tenant's auth mode, and the tenant's metrics.
pub fn cycle_context_for(
    tenant: Tenant,
    runtime: Arc<PluginRuntime>,
    plugin: Arc<LoadedPlugin>,
    shared: &Shared,
    diagnostics: Diagnostics,
) -> CycleContext {
    let tenant = Arc::new(tenant);
    let clients = &shared.clients;
    let allow_list = plugin
        .manifest
        .allow_list(&tenant.template_context())
        .expect("allow-list resolves");
    let credentials = tenant
        .source_auth()
        .map(|auth| confluence_auth(&tenant, auth, clients));
    let limiter = Arc::new(RateLimiter::per_minute(
        tenant.source_rate_limit_per_minute(),
    ));
    let egress = Arc::new(
        SourceEgress::new(allow_list, credentials, limiter, clients.proxied.clone())
            .with_retry_policy(RetryPolicy {
                max_attempts: 3,
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
            }),
    );
    let unique_auth = match &tenant.unique.auth {
        config::UniqueAuth::ClusterLocal { extra_headers } => {
            UniqueAuth::cluster_local(extra_headers.clone()).expect("valid extra headers")
        }
        config::UniqueAuth::External {
            token_url,
            project_id,
            client_id,
            client_secret,
        } => UniqueAuth::External(ZitadelAuth::new(
            &ZitadelSettings {
                token_url: token_url.as_url().clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                project_id: project_id.clone(),
            },
            clients.proxied.clone(),
        )),
    };
    let http = if unique_auth.uses_proxy() {
        clients.proxied.clone()
    } else {
        clients.direct.clone()
    };
    let unique = UniqueClient::new(
        UniqueClientSettings {
            tenant: tenant.name.as_str().to_owned(),
            ingestion_base_url: tenant.unique.ingestion_service_base_url.as_url().clone(),
            scope_management_base_url: tenant
                .unique
                .scope_management_service_base_url
                .as_url()
                .clone(),
            auth: unique_auth,
            rate_per_minute: tenant.unique.api_rate_limit_per_minute,
            http,
        },
        &shared.unique_metrics,
    )
    .expect("unique client");
    let task_context = TaskContext {
        tenant: tenant.name.as_str().to_owned(),
        egress: Some(Arc::clone(&egress)),
        mask: Arc::new(move |value: &str| diagnostics.mask(value)),
    };
    CycleContext {
        metrics: shared.metrics.tenant(&tenant.name),
        tenant,
        runtime,
        plugin,
        task_context,
        egress,
        unique: Arc::new(unique),
        diagnostics,
    }
}

fn confluence_auth(tenant: &Tenant, auth: &SourceAuth, clients: &HttpClients) -> ConfluenceAuth {
    match auth {
        SourceAuth::OAuth2ClientCredentials {
            client_id,
            client_secret,
            token_url,
        } => {
            let url = token_url.as_url().clone();
            let http = clients.proxied.clone();
            let cache = match &tenant.source {
                SourceConfig::Confluence(source)
                    if matches!(source.instance, ConfluenceInstance::Cloud { .. }) =>
                {
                    TokenCache::cloud(url, client_id.clone(), client_secret.clone(), http)
                }
                _ => TokenCache::data_center(url, client_id.clone(), client_secret.clone(), http),
            };
            ConfluenceAuth::OAuth2(cache)
        }
        SourceAuth::PersonalAccessToken { token } => ConfluenceAuth::Pat(token.clone()),
        SourceAuth::Basic { username, password } => ConfluenceAuth::Basic {
            username: username.clone(),
            password: password.clone(),
        },
    }
}

/// A simulator from a YAML scenario.
pub async fn start_sim(yaml: &str) -> Sim {
    Sim::start(Scenario::from_yaml_str(yaml).expect("scenario parses"))
        .await
        .expect("simulators start")
}

/// A Cloud tenant on `sim` with `options`, ready to run.
pub async fn cloud_context(sim: &Sim, shared: &Shared, options: &TenantOptions) -> CycleContext {
    let plugins = plugins().await;
    let tenant = tenant_from_yaml(&options.name, &cloud_tenant_yaml(sim, options));
    cycle_context_for(
        tenant,
        Arc::clone(&plugins.runtime),
        Arc::clone(&plugins.cloud),
        shared,
        Diagnostics::Disclose,
    )
}

/// A Data Center tenant on `sim` with `options` and the `auth` block, ready to run.
pub async fn data_center_context(
    sim: &Sim,
    shared: &Shared,
    options: &TenantOptions,
    auth: &str,
) -> CycleContext {
    let plugins = plugins().await;
    let tenant = tenant_from_yaml(&options.name, &data_center_tenant_yaml(sim, options, auth));
    cycle_context_for(
        tenant,
        Arc::clone(&plugins.runtime),
        Arc::clone(&plugins.data_center),
        shared,
        Diagnostics::Disclose,
    )
}

/// Runs one cycle without shutdown.
pub async fn cycle(ctx: &CycleContext) -> CycleReport {
    connector_host::sync::run_cycle(ctx, &CancellationToken::new()).await
}

/// GraphQL operations (and `FileDiff`/`Upload`) the Unique simulator saw since the last reset.
pub fn unique_operations(sim: &Sim) -> Vec<String> {
    sim.request_log()
        .requests
        .iter()
        .filter_map(|request| request.operation.clone())
        .collect()
}

/// How often `operation` appears in the log since the last reset.
pub fn count_operation(sim: &Sim, operation: &str) -> usize {
    unique_operations(sim)
        .iter()
        .filter(|seen| seen.as_str() == operation)
        .count()
}

pub fn nonzero(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).expect("non-zero")
}

/// A Unique-level fault: `operation` requests about `key` answer `status`, `times` times.
pub fn unique_fault(
    operation: &str,
    key: &str,
    times: u32,
    status: u16,
) -> connector_sim::FaultRule {
    connector_sim::FaultRule {
        service: None,
        method: None,
        path: "*".to_owned(),
        operation: Some(operation.to_owned()),
        key: Some(key.to_owned()),
        times: Some(times),
        action: connector_sim::FaultAction::Status {
            status,
            retry_after: None,
            body: None,
        },
    }
}

/// A path-level fault on `service` answering `status` (with `body`, if any).
pub fn path_fault(
    service: &str,
    path: &str,
    times: Option<u32>,
    status: u16,
    body: Option<&str>,
) -> connector_sim::FaultRule {
    connector_sim::FaultRule {
        service: Some(service.to_owned()),
        method: None,
        path: path.to_owned(),
        operation: None,
        key: None,
        times,
        action: connector_sim::FaultAction::Status {
            status,
            retry_after: None,
            body: body.map(str::to_owned),
        },
    }
}

/// Sorted keys of every stored file.
pub fn stored_keys(sim: &Sim) -> Vec<String> {
    let mut keys: Vec<String> = sim
        .dump_state()
        .unique
        .files
        .iter()
        .map(|file| file.key.clone())
        .collect();
    keys.sort();
    keys
}
