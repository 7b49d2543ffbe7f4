//! Shared setup of the service-level tests: small simulator scenarios (Cloud sites, Data Center
//! instances, Unique root scopes), tenant files in a temporary directory, and the real
//! `confluence-connector` binary run as a child process with its stdout and stderr captured line
//! by line.

#![allow(dead_code)] // each test crate uses a different part

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connector_sim::Sim;
use connector_sim::dump::{FileDump, StateDump};
use connector_sim::scenario::{
    BasicUserSeed, CloudSiteSeed, ContentSeed, DataCenterSeed, OAuthClientSeed, PageLimits,
    Scenario, ScopeSeed, SpaceSeed, SpaceType, UniqueAuthMode, UniqueSeed, ZitadelClientSeed,
};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLOUD_CLIENT_ID: &str = "svc-cloud-client";
pub const CLOUD_CLIENT_SECRET: &str = "cloud-secret-5bd1e0a7";
pub const DC_PAT: &str = "dc-pat-9f27c4d1";
pub const DC_CLIENT_ID: &str = "svc-dc-client";
pub const DC_CLIENT_SECRET: &str = "dc-secret-18e2b9f4";
pub const DC_USER: &str = "svc-user";
pub const DC_PASSWORD: &str = "basic-pass-3e8a1d55";
pub const ZITADEL_CLIENT_ID: &str = "svc-zitadel";
pub const ZITADEL_CLIENT_SECRET: &str = "zitadel-secret-c04b77e2";
pub const ZITADEL_PROJECT_ID: &str = "4711";
pub const LABEL: &str = "ai-ingest";
/// Parent of every root scope.
pub const KB_SCOPE: &str = "scope-kb";

/// Generous bound for anything a loaded 2-core machine does in a few seconds.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `pages` labelled pages in one space `key` (ids from `first_id`), each with a small body.
pub fn space(id: u64, key: &str, first_id: u32, pages: u32) -> SpaceSeed {
    SpaceSeed {
        id,
        key: key.to_owned(),
        name: format!("Space {key}"),
        space_type: SpaceType::Global,
        contents: (first_id..first_id + pages)
            .map(|page| {
                ContentSeed::page(
                    &page.to_string(),
                    &format!("Page {page}"),
                    &format!("<p>Body of page {page}</p>"),
                )
                .with_labels(&[LABEL])
            })
            .collect(),
    }
}

/// A Cloud site accepting the [`CLOUD_CLIENT_ID`] OAuth client.
pub fn cloud_site(cloud_id: &str, spaces: Vec<SpaceSeed>) -> CloudSiteSeed {
    CloudSiteSeed {
        cloud_id: cloud_id.to_owned(),
        oauth_clients: vec![OAuthClientSeed {
            client_id: CLOUD_CLIENT_ID.to_owned(),
            client_secret: CLOUD_CLIENT_SECRET.to_owned(),
        }],
        token_ttl_secs: 3600,
        limits: PageLimits::cloud(),
        rate_limit: None,
        spaces,
    }
}

/// A Data Center instance accepting [`DC_PAT`], the basic user and the OAuth client.
pub fn data_center(name: &str, spaces: Vec<SpaceSeed>) -> DataCenterSeed {
    DataCenterSeed {
        name: name.to_owned(),
        context_path: "/confluence".to_owned(),
        instance_id: format!("{name}-instance"),
        oauth_clients: vec![OAuthClientSeed {
            client_id: DC_CLIENT_ID.to_owned(),
            client_secret: DC_CLIENT_SECRET.to_owned(),
        }],
        personal_access_tokens: vec![DC_PAT.to_owned()],
        basic_users: vec![BasicUserSeed {
            username: DC_USER.to_owned(),
            password: DC_PASSWORD.to_owned(),
        }],
        token_ttl_secs: 3600,
        limits: PageLimits::data_center(),
        rate_limit: None,
        spaces,
    }
}

/// Unique with one root scope per id in `roots` (under [`KB_SCOPE`]) and the Zitadel account.
pub fn unique(roots: &[&str]) -> UniqueSeed {
    let mut scopes = vec![ScopeSeed {
        id: KB_SCOPE.to_owned(),
        name: "KB".to_owned(),
        parent_id: None,
        external_id: None,
    }];
    scopes.extend(roots.iter().map(|root| ScopeSeed {
        id: (*root).to_owned(),
        name: format!("Root {root}"),
        parent_id: Some(KB_SCOPE.to_owned()),
        external_id: None,
    }));
    UniqueSeed {
        auth_mode: UniqueAuthMode::Any,
        zitadel_clients: vec![ZitadelClientSeed {
            client_id: ZITADEL_CLIENT_ID.to_owned(),
            client_secret: ZITADEL_CLIENT_SECRET.to_owned(),
            project_id: ZITADEL_PROJECT_ID.to_owned(),
            user_id: "zitadel-user".to_owned(),
            token_ttl_secs: 3600,
        }],
        scopes,
        ..UniqueSeed::default()
    }
}

pub async fn start_sim(scenario: Scenario) -> Sim {
    Sim::start(scenario).await.expect("simulators start")
}

/// How a tenant authenticates to Unique.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueMode {
    ClusterLocal,
    /// Zitadel, with the client secret written as given (a literal or `os.environ/NAME`).
    External(&'static str),
}

/// What varies between the tenant files of these tests.
#[derive(Clone, Debug)]
pub struct TenantFile {
    pub root_scope: String,
    pub unique: UniqueMode,
    pub rate_limit_per_minute: u32,
    pub concurrency: u32,
    pub cron: Option<String>,
}

impl TenantFile {
    pub fn new(root_scope: &str) -> Self {
        Self {
            root_scope: root_scope.to_owned(),
            unique: UniqueMode::ClusterLocal,
            rate_limit_per_minute: 60_000,
            concurrency: 2,
            cron: None,
        }
    }

    /// A Cloud tenant of site `cloud_id`; `client_secret` is a literal or `os.environ/NAME`.
    pub fn cloud(&self, sim: &Sim, cloud_id: &str, client_secret: &str) -> String {
        format!(
            "confluence:\n  instanceType: cloud\n  baseUrl: {site}\n  cloudId: {cloud_id}\n  apiBaseUrl: {api}\n  mediaBaseUrl: {media}\n  apiRateLimitPerMinute: {rate}\n  ingestSingleLabel: {LABEL}\n  ingestAllLabel: ai-ingest-all\n  auth:\n    mode: oauth_2lo\n    clientId: {CLOUD_CLIENT_ID}\n    clientSecret: {client_secret}\n    tokenUrl: {token}\n{rest}",
            site = sim.cloud_site_base(cloud_id).expect("cloud site"),
            api = sim.cloud_api_base(cloud_id).expect("cloud site"),
            media = sim.cloud_media_origin(),
            rate = self.rate_limit_per_minute,
            token = sim.cloud_token_url(),
            rest = self.unique_and_processing(sim),
        )
    }

    /// A Data Center tenant of instance `name` with the `auth` flow mapping, e.g.
    /// `{ mode: pat, token: os.environ/PAT }`.
    pub fn data_center(&self, sim: &Sim, name: &str, auth: &str) -> String {
        format!(
            "confluence:\n  instanceType: data-center\n  baseUrl: {base}\n  apiRateLimitPerMinute: {rate}\n  ingestSingleLabel: {LABEL}\n  ingestAllLabel: ai-ingest-all\n  auth: {auth}\n{rest}",
            base = sim.dc_base_url(name).expect("data center instance"),
            rate = self.rate_limit_per_minute,
            rest = self.unique_and_processing(sim),
        )
    }

    fn unique_and_processing(&self, sim: &Sim) -> String {
        let unique = match self.unique {
            UniqueMode::ClusterLocal => format!(
                "unique:\n  serviceAuthMode: cluster_local\n  serviceExtraHeaders: {{ x-company-id: company-1, x-user-id: user-1 }}\n  ingestionServiceBaseUrl: {}\n  scopeManagementServiceBaseUrl: {}\n  apiRateLimitPerMinute: 60000\n",
                sim.unique_ingestion_base(),
                sim.unique_scope_management_base()
            ),
            UniqueMode::External(secret) => format!(
                "unique:\n  serviceAuthMode: external\n  zitadelOauthTokenUrl: {}\n  zitadelProjectId: \"{ZITADEL_PROJECT_ID}\"\n  zitadelClientId: {ZITADEL_CLIENT_ID}\n  zitadelClientSecret: {secret}\n  ingestionServiceBaseUrl: {}\n  scopeManagementServiceBaseUrl: {}\n  apiRateLimitPerMinute: 60000\n",
                sim.zitadel_token_url(),
                sim.unique_ingestion_base(),
                sim.unique_scope_management_base()
            ),
        };
        let mut processing = format!("processing:\n  concurrency: {}\n", self.concurrency);
        if let Some(cron) = &self.cron {
            processing.push_str(&format!("  scanIntervalCron: \"{cron}\"\n"));
        }
        format!(
            "{unique}{processing}ingestion:\n  scopeId: {}\n",
            self.root_scope
        )
    }
}

/// A directory of tenant files.
pub struct Tenants {
    dir: TempDir,
}

impl Tenants {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// Writes `{name}-tenant-config.yaml`.
    pub fn write(&self, name: &str, yaml: &str) -> &Self {
        std::fs::write(self.path(name), yaml).expect("write tenant file");
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}-tenant-config.yaml"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pattern(&self) -> String {
        format!("{}/*-tenant-config.yaml", self.dir.path().display())
    }
}

/// Compiled plugins are cached across the test binaries, so only the first start compiles.
pub fn plugin_cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("service-plugin-cache")
}

/// The binary with a clean environment: the tenant glob, the plugin cache, free ports and
/// `env` (which may override any of them).
pub fn connector(tenants: &Tenants, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluence-connector"));
    command
        .args(args)
        .env_clear()
        .env("TENANT_CONFIG_PATH_PATTERN", tenants.pattern())
        .env("PLUGIN_CACHE_DIR", plugin_cache_dir())
        .env("PORT", free_port().to_string())
        .env("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", free_port().to_string())
        .env("LOG_LEVEL", "info")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// A port that was free a moment ago (the settings refuse port 0; the service logs the address
/// it bound, which [`Running::port`] reads).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

impl Finished {
    /// stdout parsed as JSON lines; panics on a line that is not a JSON object.
    pub fn json(&self) -> Vec<Value> {
        self.stdout.iter().map(|line| json_line(line)).collect()
    }

    /// Everything written, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout.join("\n"),
            self.stderr.join("\n")
        )
    }
}

/// Runs the command to its end (at most [`PATIENCE`]).
pub async fn run_to_end(mut command: Command) -> Finished {
    let running = Running::spawn(&mut command);
    running.wait(PATIENCE).await
}

/// Parses one stdout line as a JSON object.
pub fn json_line(line: &str) -> Value {
    let value: Value = serde_json::from_str(line)
        .unwrap_or_else(|err| panic!("stdout line is not JSON ({err}): {line}"));
    assert!(
        value.is_object(),
        "stdout line is not a JSON object: {line}"
    );
    value
}

/// A running binary whose output is collected while it runs.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command.spawn().expect("the binary starts");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect_lines(child.stdout.take().expect("piped stdout"), stdout.clone()),
            collect_lines(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        Self {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("still running")
    }

    /// stdout lines so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().expect("lines lock").clone()
    }

    /// stdout JSON lines so far (lines that are not JSON are skipped; tests that require JSON
    /// check [`Finished::json`]).
    pub fn json(&self) -> Vec<Value> {
        self.stdout()
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Waits for a JSON line whose `msg` is `message`, returning it.
    pub async fn wait_for_message(&self, message: &str) -> Value {
        eventually(&format!("a log line `{message}`"), || async {
            self.json().into_iter().find(|line| line["msg"] == message)
        })
        .await
    }

    /// The port of the `listener` the service logged (`API` or `metrics`).
    pub async fn port(&self, listener_prefix: &str) -> u16 {
        eventually(&format!("the {listener_prefix} listener"), || async {
            self.json().into_iter().find_map(|line| {
                let name = line["listener"].as_str()?;
                if line["msg"] != "listening" || !name.starts_with(listener_prefix) {
                    return None;
                }
                line["address"].as_str()?.rsplit(':').next()?.parse().ok()
            })
        })
        .await
    }

    /// Whether the process has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("poll the binary").is_some()
    }

    /// Sends SIGTERM (through `kill`, as an orchestrator would).
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the exit (panics after `timeout`) and collects the rest of the output.
    pub async fn wait(mut self, timeout: Duration) -> Finished {
        let status = match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("wait for the binary"),
            Err(_) => {
                let _ = self.child.kill().await;
                panic!(
                    "the binary did not exit within {timeout:?}\n--- stdout\n{}",
                    self.stdout().join("\n")
                );
            }
        };
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        Finished {
            status,
            stdout: self.stdout(),
            stderr: self.stderr.lock().expect("lines lock").clone(),
        }
    }
}

fn collect_lines(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    lines: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.lock().expect("lines lock").push(line);
        }
    })
}

/// Polls `probe` every 100 ms until it gives a value; panics after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Files stored under root scope `root` (in any of its descendant scopes).
pub fn files_under<'s>(state: &'s StateDump, root: &str) -> Vec<&'s FileDump> {
    let parents: HashMap<&str, Option<&str>> = state
        .unique
        .scopes
        .iter()
        .map(|scope| (scope.id.as_str(), scope.parent_id.as_deref()))
        .collect();
    let under_root = |start: &'s str| {
        let mut scope = start;
        loop {
            if scope == root {
                return true;
            }
            match parents.get(scope).copied().flatten() {
                Some(parent) => scope = parent,
                None => return false,
            }
        }
    };
    state
        .unique
        .files
        .iter()
        .filter(|file| under_root(&file.scope_id))
        .collect()
}

/// JSON lines whose `msg` is `message`.
pub fn with_message<'v>(lines: &'v [Value], message: &str) -> Vec<&'v Value> {
    lines.iter().filter(|line| line["msg"] == message).collect()
}

/// The sum of the samples of metric `name` (Prometheus text format) whose labels include every
/// pair of `labels`; `None` when no sample matches.
pub fn metric(scrape: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut total = None;
    for line in scrape.lines().filter(|line| !line.starts_with('#')) {
        let (series, value) = match line.rsplit_once(' ') {
            Some(parts) => parts,
            None => continue,
        };
        let (metric_name, label_text) = match series.split_once('{') {
            Some((metric_name, rest)) => (metric_name, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric_name != name {
            continue;
        }
        let matches = labels.iter().all(|(key, wanted)| {
            label_text
                .split(',')
                .any(|pair| pair == format!("{key}=\"{wanted}\""))
        });
        if matches {
            let value: f64 = value.parse().expect("a sample value");
            total = Some(total.unwrap_or(0.0) + value);
        }
    }
    total
}

/// GET `url`: the status and the body.
pub async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("GET answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// A fault on every request to `service` (e.g. `dc:dc-a`) answering `status`.
pub fn failing_service(service: &str, status: u16) -> connector_sim::FaultRule {
    connector_sim::FaultRule {
        service: Some(service.to_owned()),
        method: None,
        path: "*".to_owned(),
        operation: None,
        key: None,
        times: None,
        action: connector_sim::FaultAction::Status {
            status,
            retry_after: None,
            body: None,
        },
    }
}

/// A fault delaying every cluster-local upload (`PUT /ingestion/scoped/upload`) by `ms`.
pub fn slow_uploads(ms: u64) -> connector_sim::FaultRule {
    connector_sim::FaultRule {
        service: Some("unique".to_owned()),
        method: Some("PUT".to_owned()),
        path: "*/scoped/upload".to_owned(),
        operation: None,
        key: None,
        times: None,
        action: connector_sim::FaultAction::Latency { ms },
    }
}
