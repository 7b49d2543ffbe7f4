//! `confluence-connector sync --once`: one cycle per tenant this replica owns (or one named
//! tenant), all tenants at once, then exit. The exit code says whether every cycle succeeded.
//! On a terminal, a live progress line shows each tenant's phase and items.

use tokio_util::sync::CancellationToken;

use crate::config::ServiceSettings;

use super::cycles::{CycleOutcome, run_once};
use super::progress::ProgressLine;
use super::run::{ServiceError, ServiceOptions, start};

/// Runs one cycle of every owned tenant (or only `only`) and returns each outcome by tenant.
/// SIGINT stops new items; items in flight finish.
pub async fn sync_once(
    settings: &ServiceSettings,
    options: &ServiceOptions,
    only: Option<&str>,
) -> Result<Vec<(String, CycleOutcome)>, ServiceError> {
    let started = start(settings, options).await?;
    let tenants: Vec<_> = started
        .tenants
        .into_iter()
        .filter(|resources| only.is_none_or(|name| resources.tenant.name.as_str() == name))
        .collect();
    if let Some(name) = only
        && tenants.is_empty()
    {
        return Err(ServiceError::Setup(format!(
            "no active or deleted tenant named `{name}` (inactive tenants and other shards' tenants do not run)"
        )));
    }
    let shutdown = CancellationToken::new();
    let interrupt = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::warn!("interrupted: finishing items in flight");
            interrupt.cancel();
        }
    });
    let names = tenants
        .iter()
        .map(|resources| resources.tenant.name.to_string());
    let progress = ProgressLine::start_on_terminal(started.registry, names.collect());
    let runs = tenants.iter().map(|resources| async {
        let outcome = run_once(resources, &shutdown).await;
        (resources.tenant.name.to_string(), outcome)
    });
    let outcomes = futures::future::join_all(runs).await;
    if let Some(progress) = progress {
        progress.finish().await;
    }
    Ok(outcomes)
}
