//! Sync benchmark: the connector syncs generated corpora from the simulators, and the program
//! prints wall time, CPU time, peak RSS and requests to Confluence and Unique per page, for a
//! first sync and a cycle with no changes at each concurrency, plus the idle RSS of a service
//! with 10 tenants, each figure next to its target and the Node.js connector's. Asserts nothing.
//!
//! Runs: (a) ≥ N pages without attachments (the Node.js comparison); (b) ≥ N pages with
//! ≥ N/5 attachments, one of them 1 GiB; (c) `run` with 10 tenants, RSS once their first
//! cycles are done. The simulators run in their own process (`connector-sim`), the connector in
//! another (`confluence-connector sync --once` per cycle, `run` for (c)), so every figure is the
//! connector process's own, startup included.
//!
//! Run: `cargo run --release -p confluence-connector --example sync_bench -- [--pages 10000]
//! [--concurrency 1,8] [--skip-huge]` (it builds both binaries with the same profile first).

#[path = "sync_bench/corpus.rs"]
mod corpus;
#[path = "sync_bench/process.rs"]
mod process;
#[path = "sync_bench/report.rs"]
mod report;
#[path = "sync_bench/simulators.rs"]
mod simulators;
#[path = "sync_bench/tenants.rs"]
mod tenants;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use connector_sim::Scenario;

use process::{Usage, run_measured, status_field_kib};
use report::{CycleKind, CycleLog, Run, print_report};
use simulators::SimProcess;
use tenants::TenantSpec;

/// Tenants of the idle run.
const IDLE_TENANTS: usize = 10;
/// When the idle service's RSS is read, after its first cycles: soon, and once idle pooled
/// connections have expired (reqwest's pool idle timeout is 90 s), as between real cycles. The
/// last reading is the idle figure.
const IDLE_READINGS: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(95)];
/// The idle run gives up waiting for first cycles after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Parser)]
#[command(about = "Sync benchmark of confluence-connector against the simulators")]
struct Args {
    /// Pages each sync run must at least sync (the idle run's 10 tenants share this many).
    #[arg(long, default_value_t = 10_000)]
    pages: u64,
    /// Concurrency values (`processing.concurrency`) of the sync runs.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    concurrency: Vec<u32>,
    /// Leave out run (b), the corpus with attachments and the 1 GiB file.
    #[arg(long)]
    skip_huge: bool,
}

/// The two binaries under test, built with this program's profile.
struct Binaries {
    connector: PathBuf,
    sim: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binaries = binaries()?;
    let work = tempfile::tempdir()?;
    let cache_dir = work.path().join("plugin-cache");
    let bench = Bench {
        binaries: &binaries,
        work: work.path(),
        cache_dir: &cache_dir,
    };

    println!("Compiling the plugins into the cache (one-off; later processes load them from it)");
    let compile = bench.warm_plugin_cache()?;
    println!(
        "  {:.1} s wall, {:.1} s CPU, peak RSS {:.1} MiB\n",
        compile.wall.as_secs_f64(),
        compile.cpu_seconds,
        mib(compile.peak_rss_kib)
    );

    let mut runs = Vec::new();
    let (scenario, expected) = corpus::sized(args.pages, 0, false);
    println!("(a) {} pages expected, no attachments", expected.pages);
    let file = bench.scenario_file("a", &scenario)?;
    for &concurrency in &args.concurrency {
        runs.extend(bench.first_and_unchanged("a", &file, concurrency).await?);
    }

    if !args.skip_huge {
        let (scenario, expected) = with_attachments(args.pages);
        println!(
            "(b) {} pages, {} attachments of {:.2} GiB expected (one of 1 GiB)",
            expected.pages,
            expected.attachments,
            expected.attachment_bytes as f64 / f64::from(1 << 30)
        );
        let file = bench.scenario_file("b", &scenario)?;
        for &concurrency in &args.concurrency {
            runs.extend(bench.first_and_unchanged("b", &file, concurrency).await?);
        }
    }

    let (small, expected) = corpus::sized(args.pages / IDLE_TENANTS as u64, 0, false);
    println!(
        "(c) {IDLE_TENANTS} tenants, each on its own Cloud site of {} pages",
        expected.pages
    );
    let file = bench.scenario_file("c", &corpus::on_many_sites(small, IDLE_TENANTS))?;
    let idle_rss_kib = bench.idle_rss(&file).await?;

    print_report(&runs, idle_rss_kib, &compile);
    Ok(())
}

/// A corpus with at least `pages` pages and `pages / 5` attachments (2,000 for 10,000 pages),
/// one of them the 1 GiB file: the share of pages with attachments is raised until it is.
fn with_attachments(pages: u64) -> (Scenario, corpus::Expected) {
    let wanted = pages / 5;
    let mut percent = 4;
    loop {
        let (scenario, expected) = corpus::sized(pages, percent, true);
        if expected.attachments > wanted || percent >= 100 {
            return (scenario, expected);
        }
        percent += 1;
    }
}

struct Bench<'a> {
    binaries: &'a Binaries,
    work: &'a Path,
    cache_dir: &'a Path,
}

impl Bench<'_> {
    /// Starts the connector once with no tenant so it compiles the plugins into the cache.
    fn warm_plugin_cache(&self) -> anyhow::Result<Usage> {
        let empty = self.work.join("no-tenants");
        std::fs::create_dir_all(&empty)?;
        let mut command = self.connector(&empty);
        // It then stops for want of tenants, as intended: its complaint is not shown.
        command
            .args(["sync", "--once", "--tenant", "warm-up"])
            .stderr(std::process::Stdio::null());
        let (_, usage) = run_measured(command, File::create(self.work.join("warm-up.log"))?)?;
        Ok(usage)
    }

    fn scenario_file(&self, name: &str, scenario: &Scenario) -> anyhow::Result<PathBuf> {
        let path = self.work.join(format!("scenario-{name}.json"));
        serde_json::to_writer(std::io::BufWriter::new(File::create(&path)?), scenario)?;
        Ok(path)
    }

    /// The connector with the tenant files of `tenant_dir`, the plugin cache and info logs.
    fn connector(&self, tenant_dir: &Path) -> Command {
        let mut command = Command::new(&self.binaries.connector);
        command
            .env(
                "TENANT_CONFIG_PATH_PATTERN",
                format!("{}/*-tenant-config.yaml", tenant_dir.display()),
            )
            .env("PLUGIN_CACHE_DIR", self.cache_dir)
            .env("LOG_LEVEL", "info");
        command
    }

    /// A fresh simulator with `scenario`, one tenant at `concurrency`: the first sync, then a
    /// cycle with nothing changed.
    async fn first_and_unchanged(
        &self,
        name: &str,
        scenario: &Path,
        concurrency: u32,
    ) -> anyhow::Result<Vec<Run>> {
        let sim = SimProcess::start(&self.binaries.sim, scenario)?;
        let tenant_dir = self.work.join(format!("tenants-{name}-{concurrency}"));
        std::fs::create_dir_all(&tenant_dir)?;
        let tenant = TenantSpec {
            name: "bench",
            cloud_id: "sim-cloud",
            scope_id: "scope-root",
            concurrency,
        };
        tenants::write(&tenant_dir, &sim, &tenant)?;
        let mut runs = Vec::new();
        for kind in [CycleKind::First, CycleKind::Unchanged] {
            sim.reset_requests().await?;
            let log_path = self
                .work
                .join(format!("sync-{name}-{concurrency}-{kind:?}.log"));
            let mut command = self.connector(&tenant_dir);
            command.args(["sync", "--once"]);
            let (status, usage) = run_measured(command, File::create(&log_path)?)?;
            let requests = sim.request_counts().await?;
            let cycle = CycleLog::read(&log_path)?;
            let run = Run {
                scenario: name.to_owned(),
                concurrency,
                kind,
                usage,
                requests,
                cycle,
                succeeded: status.success(),
            };
            println!("  {}", run.one_line());
            runs.push(run);
        }
        Ok(runs)
    }

    /// `run` with 10 tenants: the RSS once every first cycle has finished and the service has
    /// been idle for a few seconds.
    async fn idle_rss(&self, scenario: &Path) -> anyhow::Result<u64> {
        let sim = SimProcess::start(&self.binaries.sim, scenario)?;
        let tenant_dir = self.work.join("tenants-idle");
        std::fs::create_dir_all(&tenant_dir)?;
        for index in 0..IDLE_TENANTS {
            let (name, cloud_id, scope_id) = (
                format!("idle-{index}"),
                format!("sim-cloud-{index}"),
                format!("scope-root-{index}"),
            );
            let tenant = TenantSpec {
                name: &name,
                cloud_id: &cloud_id,
                scope_id: &scope_id,
                concurrency: 8,
            };
            tenants::write(&tenant_dir, &sim, &tenant)?;
        }
        let log_path = self.work.join("run-idle.log");
        let mut command = self.connector(&tenant_dir);
        command
            .arg("run")
            .env("PORT", free_port()?.to_string())
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", free_port()?.to_string());
        let mut child = command
            .stdout(File::create(&log_path)?)
            .spawn()
            .context("starting confluence-connector run")?;
        let started = Instant::now();
        let finished = loop {
            let finished = CycleLog::read_all(&log_path)?.len();
            if finished >= IDLE_TENANTS
                || started.elapsed() > IDLE_TIMEOUT
                || child.try_wait()?.is_some()
            {
                break finished;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let cycles_took = started.elapsed();
        let idle_since = Instant::now();
        let mut rss = None;
        for after in IDLE_READINGS {
            tokio::time::sleep(after.saturating_sub(idle_since.elapsed())).await;
            rss = status_field_kib(child.id(), "VmRSS:");
            println!(
                "  idle {:>3} s: {}",
                after.as_secs(),
                memory_parts(child.id())
            );
        }
        let _ = child.kill(); // our own child, by its handle
        let _ = child.wait();
        drop(sim);
        let cycles = CycleLog::read_all(&log_path)?;
        let failed = cycles.iter().filter(|cycle| !cycle.succeeded).count();
        println!(
            "  {finished} of {IDLE_TENANTS} first cycles finished ({failed} failed) in {:.1} s, {} pages synced",
            cycles_took.as_secs_f64(),
            cycles.iter().map(|cycle| cycle.pages_new).sum::<u64>()
        );
        match rss {
            Some(rss) if finished >= IDLE_TENANTS => Ok(rss),
            Some(_) => bail!(
                "only {finished} of {IDLE_TENANTS} first cycles finished; see {}",
                log_path.display()
            ),
            None => bail!("the service exited early; see {}", log_path.display()),
        }
    }
}

/// The binaries next to this example (`target/<profile>/`), built first when run by cargo.
fn binaries() -> anyhow::Result<Binaries> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the example is not in target/<profile>/examples")?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "-p",
            "confluence-connector",
            "--bin",
            "confluence-connector",
            "-p",
            "connector-sim",
            "--bin",
            "connector-sim",
        ]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        if !build.status().context("running cargo build")?.success() {
            bail!("building confluence-connector and connector-sim failed");
        }
    }
    let binaries = Binaries {
        connector: profile_dir.join("confluence-connector"),
        sim: profile_dir.join("connector-sim"),
    };
    for binary in [&binaries.connector, &binaries.sim] {
        if !binary.exists() {
            bail!(
                "{} is missing: cargo build -p confluence-connector -p connector-sim with this profile",
                binary.display()
            );
        }
    }
    Ok(binaries)
}

/// `VmRSS` split into anonymous (heap, stacks) and file-backed (the binary's code) pages, whose
/// causes differ, and the thread count.
fn memory_parts(pid: u32) -> String {
    let part = |field| status_field_kib(pid, field).map_or(0.0, mib);
    let threads = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| Some(line.strip_prefix("Threads:")?.trim().to_owned()))
        })
        .unwrap_or_default();
    format!(
        "VmRSS {:.1} MiB (RssAnon {:.1}, RssFile {:.1}), {threads} threads",
        part("VmRSS:"),
        part("RssAnon:"),
        part("RssFile:")
    )
}

/// A port free right now on loopback.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
