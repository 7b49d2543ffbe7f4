//! `connector-sim`: serve the simulators from a scenario file or a generated corpus, write a
//! generated scenario, and read state, the request log or faults of a running simulator.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use connector_sim::generator::{self, CorpusFlavor, CorpusSpec};
use connector_sim::{FaultRule, Scenario, Sim, SimOptions};

#[derive(Parser, Debug)]
#[command(
    name = "connector-sim",
    about = "Simulators of Confluence Cloud, Confluence Data Center and Unique"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Flavor {
    Cloud,
    DataCenter,
    Both,
}

impl From<Flavor> for CorpusFlavor {
    fn from(flavor: Flavor) -> Self {
        match flavor {
            Flavor::Cloud => CorpusFlavor::Cloud,
            Flavor::DataCenter => CorpusFlavor::DataCenter,
            Flavor::Both => CorpusFlavor::Both,
        }
    }
}

#[derive(clap::Args, Debug)]
struct CorpusArgs {
    /// Corpus kind for generated scenarios.
    #[arg(long, value_enum, default_value = "both")]
    flavor: Flavor,
    /// Add one 1 GiB attachment (streamed, never held in memory).
    #[arg(long)]
    huge_attachment: bool,
    /// Percentage of pages with attachments.
    #[arg(long, default_value_t = 25)]
    attachments_percent: u64,
}

impl CorpusArgs {
    fn spec(&self, text: &str) -> anyhow::Result<CorpusSpec> {
        let mut spec = CorpusSpec::parse(text)?;
        spec.flavor = self.flavor.into();
        spec.huge_attachment = self.huge_attachment;
        spec.pages_with_attachments_percent = self.attachments_percent;
        Ok(spec)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start every simulator and print the URLs; runs until Ctrl-C.
    Serve {
        /// Scenario file (YAML or JSON).
        #[arg(
            long,
            conflicts_with = "generate",
            required_unless_present = "generate"
        )]
        scenario: Option<PathBuf>,
        /// Generate a corpus instead: SEED:SPACES:PAGES_PER_SPACE.
        #[arg(long)]
        generate: Option<String>,
        #[command(flatten)]
        corpus: CorpusArgs,
        /// Address the listeners bind to.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Host written into URLs (defaults to the bind address).
        #[arg(long)]
        advertise_host: Option<String>,
        /// First of consecutive fixed ports (cloud, media, unique, blob, admin, DC…); random if unset.
        #[arg(long)]
        first_port: Option<u16>,
        /// A fault rule as JSON, applied from start-up (repeatable).
        #[arg(long = "fault")]
        faults: Vec<String>,
    },
    /// Write a generated scenario to a file.
    Generate {
        /// SEED:SPACES:PAGES_PER_SPACE.
        spec: String,
        #[command(flatten)]
        corpus: CorpusArgs,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Print the state dump (or the request log, or the faults) of a running simulator.
    Dump {
        /// Admin URL printed by `serve`.
        #[arg(long)]
        url: String,
        #[arg(long, value_enum, default_value = "state")]
        what: DumpKind,
    },
    /// Add a fault rule to (or clear the faults of) a running simulator.
    Fault {
        #[arg(long)]
        url: String,
        /// The rule as JSON; omit with --clear.
        #[arg(long, required_unless_present = "clear")]
        rule: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DumpKind {
    State,
    Requests,
    Faults,
    Urls,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("connector-sim: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            scenario,
            generate,
            corpus,
            bind,
            advertise_host,
            first_port,
            faults,
        } => {
            let mut scenario = match (scenario, generate) {
                (Some(path), _) => Scenario::from_file(&path)?,
                (None, Some(spec)) => generator::generate(&corpus.spec(&spec)?),
                (None, None) => bail!("give --scenario FILE or --generate SEED:SPACES:PAGES"),
            };
            for text in faults {
                let rule: FaultRule = serde_json::from_str(&text)
                    .with_context(|| format!("invalid --fault {text}"))?;
                scenario.faults.push(rule);
            }
            let options = SimOptions {
                bind,
                advertise_host: advertise_host.unwrap_or_else(|| bind.to_string()),
                first_port,
            };
            let sim = Sim::start_with(scenario, options).await?;
            println!("{}", serde_json::to_string_pretty(sim.urls())?);
            eprintln!(
                "connector-sim: serving; admin API at {}/__admin/state (Ctrl-C stops)",
                sim.admin_url()
            );
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            Ok(())
        }
        Command::Generate { spec, corpus, out } => {
            let scenario = generator::generate(&corpus.spec(&spec)?);
            scenario.to_file(&out)?;
            eprintln!("connector-sim: wrote {}", out.display());
            Ok(())
        }
        Command::Dump { url, what } => {
            let path = match what {
                DumpKind::State => "state",
                DumpKind::Requests => "requests",
                DumpKind::Faults => "faults",
                DumpKind::Urls => "urls",
            };
            let endpoint = format!("{}/__admin/{path}", url.trim_end_matches('/'));
            let response = reqwest::get(&endpoint)
                .await
                .with_context(|| format!("GET {endpoint}"))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .with_context(|| format!("reading {endpoint}"))?;
            if !status.is_success() {
                bail!("GET {endpoint} answered {status}: {text}");
            }
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{endpoint} did not answer JSON"))?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
        Command::Fault { url, rule, clear } => {
            let endpoint = format!("{}/__admin/faults", url.trim_end_matches('/'));
            let client = reqwest::Client::new();
            let response = if clear {
                client.delete(&endpoint).send().await
            } else {
                let text = rule.unwrap_or_default();
                let parsed: FaultRule = serde_json::from_str(&text)
                    .with_context(|| format!("invalid --rule {text}"))?;
                client.post(&endpoint).json(&parsed).send().await
            }
            .with_context(|| format!("calling {endpoint}"))?;
            if !response.status().is_success() {
                bail!("{endpoint} answered {}", response.status());
            }
            Ok(())
        }
    }
}
