//! The `confluence-connector` binary: parses the command line and turns errors into messages and
//! exit codes. Everything else lives in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use connector_host::service::validate::validate;

use cli::{Cli, Command};

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
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Run) {
            Command::Validate { tenants } => {
                run_validate(&tenants, cli.plugin_dir.as_deref()).await
            }
            Command::Run | Command::Sync { .. } | Command::Demo => {
                eprintln!("this command is not available yet in this build");
                ExitCode::from(EXIT_USAGE)
            }
        }
    })
}

async fn run_validate(pattern: &str, plugin_dir: Option<&std::path::Path>) -> ExitCode {
    let report = validate(pattern, plugin_dir, |name| std::env::var(name).ok()).await;
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
