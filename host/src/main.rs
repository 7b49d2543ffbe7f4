//! The `confluence-connector` binary: parses the command line and turns errors into messages and
//! exit codes. Everything else lives in the library.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use connector_host::config::{LogLevel, ServiceSettings};
use connector_host::service::cycles::CycleOutcome;
use connector_host::service::demo::demo;
use connector_host::service::once::sync_once;
use connector_host::service::run::{ServiceOptions, run};
use connector_host::service::validate::validate;
use connector_host::telemetry::logging;

use cli::{Cli, Command, PluginCommand};

/// Exit code for invalid configuration or usage (sysexits' EX_USAGE).
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServiceOptions {
        plugin_dir: cli.plugin_dir,
        plugin_cache_dir: cli.plugin_cache_dir,
    };
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Run) {
            Command::Validate { tenants } => run_validate(&tenants, &options).await,
            Command::Run => {
                let Some(settings) = settings_or_exit() else {
                    return ExitCode::from(EXIT_USAGE);
                };
                match run(settings, options).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => {
                        tracing::error!(error = %err, "the service could not start");
                        eprintln!("{err}");
                        ExitCode::from(EXIT_USAGE)
                    }
                }
            }
            Command::Sync { once: _, tenant } => {
                let Some(settings) = settings_or_exit() else {
                    return ExitCode::from(EXIT_USAGE);
                };
                match sync_once(&settings, &options, tenant.as_deref()).await {
                    Ok(outcomes) => report_outcomes(&outcomes),
                    Err(err) => {
                        eprintln!("{err}");
                        ExitCode::from(EXIT_USAGE)
                    }
                }
            }
            Command::Plugin { command } => run_plugin_command(command).await,
            Command::Demo => {
                if let Err(err) = logging::init(LogLevel::Warn) {
                    eprintln!("cannot set up logging: {err}");
                }
                match demo(&options).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => {
                        eprintln!("demo failed: {err}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}

/// Reads the environment settings and sets up logging; prints every problem when invalid.
fn settings_or_exit() -> Option<ServiceSettings> {
    match ServiceSettings::from_process_env() {
        Ok(settings) => {
            if let Err(err) = logging::init(settings.log_level) {
                eprintln!("cannot set up logging: {err}");
            }
            Some(settings)
        }
        Err(errors) => {
            eprintln!("Invalid configuration:\n{errors}");
            None
        }
    }
}

/// The exit code of `sync --once`. On a terminal, also one summary line per tenant; otherwise
/// stdout stays pure JSON log lines (each cycle's end line already carries its result).
fn report_outcomes(outcomes: &[(String, CycleOutcome)]) -> ExitCode {
    let on_terminal = std::io::stdout().is_terminal();
    let mut all_succeeded = true;
    for (tenant, outcome) in outcomes {
        let line = match outcome {
            CycleOutcome::Synced(report) => match report.failure() {
                None => format!(
                    "{tenant}: synced in {:.1} s: {:?}",
                    report.duration.as_secs_f64(),
                    report.summary
                ),
                Some(why) => format!("{tenant}: FAILED: {why}"),
            },
            CycleOutcome::Cleaned(report) => format!("{tenant}: cleanup {:?}", report.result),
            CycleOutcome::Idle => format!("{tenant}: idle"),
        };
        all_succeeded &= outcome.succeeded();
        if on_terminal {
            println!("{line}");
        }
    }
    if all_succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run_plugin_command(command: PluginCommand) -> ExitCode {
    use connector_host::plugin_check::{CheckTarget, Verdict, check, inspect};
    match command {
        PluginCommand::Inspect { path } => match inspect(&path).await {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::FAILURE
            }
        },
        PluginCommand::Check { path, config } => {
            let config = match serde_json::from_str(&config) {
                Ok(config) => config,
                Err(err) => {
                    eprintln!("--config is not JSON: {err}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            match check(&path, CheckTarget::plugin_config(config)).await {
                Ok(report) => {
                    print!("{report}");
                    if report.verdict() == Verdict::Pass {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(err) => {
                    eprintln!("{err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run_validate(pattern: &str, options: &ServiceOptions) -> ExitCode {
    let report = validate(pattern, options, |name| std::env::var(name).ok()).await;
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    for error in &report.errors {
        println!("error: {error}");
    }
    println!(
        "{} tenant(s), plugins: {}; {} error(s), {} warning(s)",
        report.tenants,
        report.plugins.join(", "),
        report.errors.len(),
        report.warnings.len()
    );
    if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}
