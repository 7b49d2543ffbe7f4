//! The benchmark's results: each run's figures, read from the process, the simulators' request
//! log and the connector's end-of-cycle log line, printed as a table and then against the
//! targets of issue 5 and the Node.js connector's figures with PASS or MISS.

use std::path::Path;

use serde_json::Value;

use super::mib;
use super::process::Usage;
use super::simulators::RequestCounts;

/// Which cycle of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleKind {
    First,
    Unchanged,
}

/// The fields of one `sync cycle finished` (or `failed`) log line.
#[derive(Debug, Clone, Default)]
pub struct CycleLog {
    pub succeeded: bool,
    pub duration_ms: u64,
    pub discovered_pages: u64,
    pub discovered_attachments: u64,
    pub pages_new: u64,
    pub pages_skipped: u64,
    pub pages_failed: u64,
    pub attachments_new: u64,
    pub attachments_failed: u64,
}

impl CycleLog {
    /// The last cycle line of a connector's JSON log.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        Ok(Self::read_all(path)?.pop().unwrap_or_default())
    }

    /// Every cycle line of a connector's JSON log, in order.
    pub fn read_all(path: &Path) -> anyhow::Result<Vec<Self>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|line| {
                let succeeded = match line["msg"].as_str()? {
                    "sync cycle finished" => true,
                    "sync cycle failed" => false,
                    _ => return None,
                };
                let field = |name: &str| line[name].as_u64().unwrap_or(0);
                Some(Self {
                    succeeded,
                    duration_ms: field("duration_ms"),
                    discovered_pages: field("discovered_pages"),
                    discovered_attachments: field("discovered_attachments"),
                    pages_new: field("pages_new"),
                    pages_skipped: field("pages_skipped"),
                    pages_failed: field("pages_failed"),
                    attachments_new: field("attachments_new"),
                    attachments_failed: field("attachments_failed"),
                })
            })
            .collect())
    }
}

/// One measured connector process.
#[derive(Debug, Clone)]
pub struct Run {
    pub scenario: String,
    pub concurrency: u32,
    pub kind: CycleKind,
    pub usage: Usage,
    pub requests: RequestCounts,
    pub cycle: CycleLog,
    /// The process exited with success.
    pub succeeded: bool,
}

impl Run {
    fn pages(&self) -> f64 {
        self.cycle.discovered_pages.max(1) as f64
    }

    pub fn confluence_per_page(&self) -> f64 {
        self.requests.confluence as f64 / self.pages()
    }

    pub fn unique_per_page(&self) -> f64 {
        self.requests.unique as f64 / self.pages()
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            CycleKind::First => "first sync",
            CycleKind::Unchanged => "no change",
        }
    }

    /// A progress line while the benchmark runs.
    pub fn one_line(&self) -> String {
        format!(
            "c={} {:<10} {:>6.1} s wall {:>6.2} s CPU {:>6.1} MiB peak  {} Confluence + {} Unique requests  {} pages skipped, {} failed, {} attachments failed  {}",
            self.concurrency,
            self.kind_name(),
            self.usage.wall.as_secs_f64(),
            self.usage.cpu_seconds,
            mib(self.usage.peak_rss_kib),
            self.requests.confluence,
            self.requests.unique,
            self.cycle.pages_skipped,
            self.cycle.pages_failed,
            self.cycle.attachments_failed,
            if self.succeeded && self.cycle.succeeded {
                "ok"
            } else {
                "FAILED"
            },
        )
    }
}

/// The Node.js connector on 10,000 pages without attachments (issue 5).
mod node {
    pub const CONFLUENCE_PER_PAGE_FIRST: f64 = 1.01;
    pub const CONFLUENCE_PER_PAGE_UNCHANGED: f64 = 0.01;
    pub const CPU_FIRST_SECONDS: f64 = 27.8;
    pub const PEAK_RSS_MIB: f64 = 346.0;
    pub const IDLE_RSS_MIB: f64 = 222.0;
}

/// Prints the runs, then every target with its verdict.
pub fn print_report(runs: &[Run], idle_rss_kib: u64, compile: &Usage) {
    println!(
        "\nRuns (each cycle is its own `confluence-connector sync --once` process, startup included)"
    );
    println!(
        "{:<4} {:>4} {:<10} {:>7} {:>7} {:>8} {:>8} {:>9} {:>8} {:>7} {:>9} {:>8} {:>10} {:>8}",
        "run",
        "conc",
        "cycle",
        "pages",
        "attach",
        "ingested",
        "wall s",
        "cycle s",
        "CPU s",
        "sys s",
        "peak MiB",
        "Conf req",
        "Conf/page",
        "Uniq/page"
    );
    for run in runs {
        println!(
            "{:<4} {:>4} {:<10} {:>7} {:>7} {:>8} {:>8.1} {:>9.1} {:>8.2} {:>7.2} {:>9.1} {:>8} {:>10.4} {:>8.2}{}",
            run.scenario,
            run.concurrency,
            run.kind_name(),
            run.cycle.discovered_pages,
            run.cycle.discovered_attachments,
            run.cycle.pages_new + run.cycle.attachments_new,
            run.usage.wall.as_secs_f64(),
            run.cycle.duration_ms as f64 / 1000.0,
            run.usage.cpu_seconds,
            run.usage.system_seconds,
            mib(run.usage.peak_rss_kib),
            run.requests.confluence,
            run.confluence_per_page(),
            run.unique_per_page(),
            if run.succeeded && run.cycle.succeeded {
                ""
            } else {
                "  FAILED"
            },
        );
    }
    println!("\nConfluence endpoints per run");
    for run in runs {
        let confluence: Vec<String> = run
            .requests
            .by_endpoint
            .iter()
            .filter(|(endpoint, _)| {
                endpoint.starts_with("cloud ") || endpoint.starts_with("media ")
            })
            .map(|(endpoint, count)| format!("{count} {endpoint}"))
            .collect();
        println!(
            "  {} c={} {}: {}",
            run.scenario,
            run.concurrency,
            run.kind_name(),
            confluence.join("; ")
        );
    }
    println!(
        "\nPlugin compilation into the cache (one-off): {:.1} s CPU",
        compile.cpu_seconds
    );

    println!("\nTargets (issue 5), Node.js connector on 10,000 pages without attachments");
    println!(
        "{:<46} {:>10} {:>10} {:>9}  verdict",
        "figure", "measured", "target", "Node.js"
    );
    for run in runs {
        let c = run.concurrency;
        match (run.scenario.as_str(), run.kind) {
            ("a", CycleKind::First) => {
                target(
                    &format!("(a) c={c} first sync: Confluence requests/page"),
                    run.confluence_per_page(),
                    0.05,
                    node::CONFLUENCE_PER_PAGE_FIRST,
                );
                target(
                    &format!("(a) c={c} first sync: CPU s"),
                    run.usage.cpu_seconds,
                    node::CPU_FIRST_SECONDS / 10.0,
                    node::CPU_FIRST_SECONDS,
                );
                target(
                    &format!("(a) c={c} first sync: peak RSS MiB"),
                    mib(run.usage.peak_rss_kib),
                    64.0,
                    node::PEAK_RSS_MIB,
                );
            }
            ("a", CycleKind::Unchanged) => {
                target(
                    &format!("(a) c={c} no change: Confluence requests/page"),
                    run.confluence_per_page(),
                    0.01,
                    node::CONFLUENCE_PER_PAGE_UNCHANGED,
                );
            }
            ("b", CycleKind::First) => {
                target(
                    &format!("(b) c={c} first sync with 1 GiB: peak RSS MiB"),
                    mib(run.usage.peak_rss_kib),
                    100.0,
                    f64::NAN,
                );
            }
            _ => {}
        }
    }
    target(
        "(c) idle RSS with 10 tenants, MiB",
        mib(idle_rss_kib),
        32.0,
        node::IDLE_RSS_MIB,
    );
}

/// One target line: `measured` must be at most `limit`.
fn target(figure: &str, measured: f64, limit: f64, node: f64) {
    let node = if node.is_nan() {
        "-".to_owned()
    } else {
        format!("{node}")
    };
    let verdict = if measured <= limit { "PASS" } else { "MISS" };
    println!(
        "{figure:<46} {measured:>10.3} {:>10} {node:>9}  {verdict}",
        format!("≤ {limit:.2}")
    );
}
