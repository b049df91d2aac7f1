//! `modelwatch`: the command line over the same `monitor_core` calls the Lambdas make, on
//! the local file store by default (no cloud, no credentials).

mod commands;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "modelwatch", version, about = "Serverless model monitor, SageMaker Model Monitor compatible")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Suggest a baseline (statistics.json + constraints.json) from a training dataset.
    Baseline(commands::baseline::Args),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Baseline(args) => commands::baseline::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
