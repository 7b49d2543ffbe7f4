//! Live progress of the one-shot commands (`sync --once`, `demo`) on a terminal: one status line
//! on stderr, redrawn a few times a second, with each tenant's phase and items done of the items
//! to write. It reads the tenants' metrics from the process's registry (phase gauge, file-diff
//! counts, processed-item counters), so the sync engine needs no extra reporting channel. When
//! stderr is not a terminal nothing is drawn: the JSON log lines say the same.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use prometheus::Registry;
use prometheus::proto::{Metric, MetricFamily};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const REDRAW_EVERY: Duration = Duration::from_millis(250);

/// The status line being redrawn; [`ProgressLine::finish`] clears it.
pub struct ProgressLine {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl ProgressLine {
    /// Starts redrawing the progress of `tenants` when stderr is a terminal; `None` otherwise.
    pub fn start_on_terminal(registry: Registry, tenants: Vec<String>) -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut redraw = tokio::time::interval(REDRAW_EVERY);
            loop {
                tokio::select! {
                    () = stopped.cancelled() => break,
                    _ = redraw.tick() => draw(&render(&registry, &tenants)),
                }
            }
            // Clears the line, so the summary that follows starts on a clean line.
            draw("");
        });
        Some(Self { stop, task })
    }

    /// Stops redrawing and clears the line.
    pub async fn finish(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn draw(line: &str) {
    let mut stderr = std::io::stderr().lock();
    // A progress line that cannot be drawn is not worth failing the command for.
    let _ = write!(stderr, "\r\x1b[2K{line}");
    let _ = stderr.flush();
}

/// One line with every tenant's progress, e.g. `acme: ingesting_pages 12/40 | onprem: idle 3/3`.
/// Items to write are the new and updated items of the file diffs; items done are the pages and
/// attachments processed (succeeded, failed or skipped).
pub fn render(registry: &Registry, tenants: &[String]) -> String {
    let families = registry.gather();
    tenants
        .iter()
        .map(|tenant| {
            let phase = active_phase(&families, tenant).unwrap_or("starting");
            let to_write = sum(&families, "cfc_file_diff_events_total", tenant, |metric| {
                has_label(metric, "diff_result_type", "new")
                    || has_label(metric, "diff_result_type", "updated")
            });
            let done = sum(&families, "cfc_pages_processed_total", tenant, |_| true)
                + sum(&families, "cfc_attachments_processed_total", tenant, |_| {
                    true
                });
            format!("{tenant}: {phase} {done}/{to_write}")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The `phase` label of the tenant's `cfc_sync_phase` series that is 1.
fn active_phase<'f>(families: &'f [MetricFamily], tenant: &'f str) -> Option<&'f str> {
    series(families, "cfc_sync_phase", tenant)
        .filter(|metric| metric.get_gauge().get_value() >= 1.0)
        .find_map(|metric| label(metric, "phase"))
}

/// The sum of the tenant's counter samples of `name` that `keep` accepts, as a whole number.
fn sum(families: &[MetricFamily], name: &str, tenant: &str, keep: impl Fn(&Metric) -> bool) -> u64 {
    let total: f64 = series(families, name, tenant)
        .filter(|metric| keep(metric))
        .map(|metric| metric.get_counter().get_value())
        .sum();
    // Counters of items hold whole numbers.
    total as u64
}

fn series<'f>(
    families: &'f [MetricFamily],
    name: &'f str,
    tenant: &'f str,
) -> impl Iterator<Item = &'f Metric> {
    families
        .iter()
        .filter(move |family| family.name() == name)
        .flat_map(|family| family.get_metric())
        .filter(move |metric| has_label(metric, "tenant", tenant))
}

fn label<'m>(metric: &'m Metric, name: &str) -> Option<&'m str> {
    metric
        .get_label()
        .iter()
        .find(|pair| pair.name() == name)
        .map(|pair| pair.value())
}

fn has_label(metric: &Metric, name: &str, value: &str) -> bool {
    label(metric, name) == Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TenantName;
    use crate::telemetry::{ConnectorMetrics, Outcome, PageOutcome, Phase};

    fn name(text: &str) -> TenantName {
        TenantName::try_from(text.to_owned()).expect("a valid tenant name")
    }

    #[test]
    fn each_tenant_shows_its_phase_and_items_done_of_items_to_write() {
        let registry = Registry::new();
        let metrics = ConnectorMetrics::register(&registry).expect("metrics register");
        let acme = metrics.tenant(&name("acme"));
        acme.set_phase(Phase::IngestingPages);
        acme.file_diff_events(3, 1, 5, 0);
        acme.page_processed(PageOutcome::Success);
        acme.page_processed(PageOutcome::Skipped);
        let onprem = metrics.tenant(&name("onprem"));
        onprem.set_phase(Phase::IngestingAttachments);
        onprem.file_diff_events(0, 2, 0, 0);
        onprem.attachment_processed(Outcome::Failure);

        let tenants = vec!["acme".to_owned(), "onprem".to_owned(), "fresh".to_owned()];
        assert_eq!(
            render(&registry, &tenants),
            "acme: ingesting_pages 2/4 | onprem: ingesting_attachments 1/2 | fresh: starting 0/0"
        );
        acme.set_phase(Phase::Idle);
        assert!(render(&registry, &tenants).starts_with("acme: idle 2/4 |"));
    }
}
