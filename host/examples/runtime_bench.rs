//! Micro-benchmark of the plugin runtime. Prints figures; asserts nothing.
//!
//! Measures, with the real test plugins against a loopback HTTP server:
//! - cold compile vs. cached load of a plugin;
//! - instantiating a task (fresh store + instance);
//! - the round trip of a guest call that makes one host `http` call;
//! - resident memory per live instance.
//!
//! Run: `cargo run --release -p confluence-connector --example runtime_bench`

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::get;
use connector_host::egress::{AllowList, AllowedOrigin, CredentialScope, SourceEgress};
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::plugin_runtime::source::SessionSettings;
use connector_host::plugin_runtime::{PluginPackage, PluginRuntime, RuntimeSettings, TaskContext};
use connector_host::rate_limit::RateLimiter;
use serde_json::json;

const ROUND_TRIPS: u32 = 500;
const LIVE_INSTANCES: usize = 200;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cache_dir = tempfile::tempdir()?;
    let package = PluginPackage::read_dir(Path::new(plugin_artifacts::SANDBOX_PROBE_DIR))?;
    println!(
        "plugin: sandbox-probe, {} KiB of wasm",
        package.wasm.len() / 1024
    );

    let runtime = PluginRuntime::new(RuntimeSettings {
        cache_dir: Some(cache_dir.path().into()),
        ..Default::default()
    })?;
    let started = Instant::now();
    let plugin = runtime
        .load(&package.manifest, package.wasm.clone(), &package.location)
        .await?;
    let cold = started.elapsed();
    println!(
        "load, cold (compile + store in cache): {:>9.1} ms  [{:?}]",
        ms(cold),
        plugin.cache
    );

    // A second runtime (as after a restart) with the same cache directory.
    let restarted = PluginRuntime::new(RuntimeSettings {
        cache_dir: Some(cache_dir.path().into()),
        ..Default::default()
    })?;
    let started = Instant::now();
    let cached = restarted
        .load(&package.manifest, package.wasm.clone(), &package.location)
        .await?;
    println!(
        "load, cached (restart):                {:>9.1} ms  [{:?}]",
        ms(started.elapsed()),
        cached.cache
    );

    let server = loopback_server().await?;
    let egress = egress_to(&server)?;
    let context = TaskContext {
        egress: Some(egress),
        ..TaskContext::offline("bench")
    };
    let settings = SessionSettings {
        tenant: "bench".into(),
        config: json!({"behaviour": "fetch", "url": format!("http://{server}/ping")}).to_string(),
        attachments: None,
        max_items: None,
    };

    let started = Instant::now();
    for _ in 0..ROUND_TRIPS {
        let mut task = restarted.start_task(&cached, context.clone()).await?;
        drop(task.describe().await?);
    }
    println!(
        "instantiate + describe:                {:>9.1} µs per task",
        us(started.elapsed()) / f64::from(ROUND_TRIPS)
    );

    let mut task = restarted.start_task(&cached, context.clone()).await?;
    task.open(settings.clone()).await?;
    task.identify().await?; // warm the connection pool
    let started = Instant::now();
    for _ in 0..ROUND_TRIPS {
        task.identify().await?;
    }
    println!(
        "guest call with one host http call:    {:>9.1} µs per round trip",
        us(started.elapsed()) / f64::from(ROUND_TRIPS)
    );

    let before = rss_kib();
    let mut live = Vec::with_capacity(LIVE_INSTANCES);
    for _ in 0..LIVE_INSTANCES {
        let mut task = restarted.start_task(&cached, context.clone()).await?;
        task.open(settings.clone()).await?;
        live.push(task);
    }
    let after = rss_kib();
    println!(
        "memory per live instance:              {:>9.1} KiB  ({LIVE_INSTANCES} instances, RSS {} -> {} KiB)",
        (after.saturating_sub(before)) as f64 / LIVE_INSTANCES as f64,
        before,
        after
    );
    drop(live);
    Ok(())
}

async fn loopback_server() -> anyhow::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = axum::Router::new().route("/ping", get(|| async { Json(json!({"pong": true})) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(addr)
}

fn egress_to(server: &std::net::SocketAddr) -> anyhow::Result<Arc<SourceEgress>> {
    let origin = AllowedOrigin::new(
        &url::Url::parse(&format!("http://{server}"))?,
        CredentialScope::Attach,
    )?;
    let clients = HttpClients::build(&ProxySettings::none(), None)?;
    let limiter = Arc::new(RateLimiter::per_minute(
        NonZeroU32::new(6_000_000).expect("non-zero"),
    ));
    Ok(Arc::new(SourceEgress::new(
        AllowList::new([origin]),
        None,
        limiter,
        clients.direct,
    )))
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:")?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
