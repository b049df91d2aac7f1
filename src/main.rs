//! `modelwatch`: the command line over the same `monitor_core` calls the Lambdas make, on
//! the local file store by default (no cloud, no credentials).

mod commands;

/// The CLI's allocator (issue 16 item 3): jemalloc, built with one arena for every thread
/// and to return dirty pages after 1 s and muzzy ones at once (`.cargo/config.toml`), where
/// glibc's per-thread arenas kept what the runtime's threads freed. `_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0` makes a
/// one-shot job's peak RSS follow its live data, at a wall-time cost (README "Peak memory of
/// every monitor kind"). The CLI only: the Lambda crates keep the system allocator (their
/// binary size budget).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "modelwatch",
    version,
    about = "Serverless model monitor, SageMaker Model Monitor compatible"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Suggest a baseline (statistics.json + constraints.json) from a training dataset.
    Baseline(commands::baseline::Args),
    /// One-shot job of any monitor kind over capture (and label) files, as one window.
    Monitor(commands::monitor::Args),
    /// Run the whole pipeline on a generated scenario, on the local store.
    Demo(modelwatch::demo::Args),
    /// Ingest capture objects of a local store (what the capture-ingest Lambda does).
    Ingest(commands::local::IngestArgs),
    /// Evaluate monitors of a local store for their window (what the monitor-tick Lambda does).
    Tick(commands::local::TickArgs),
    /// Turn SageMaker monitoring schedules and job definitions (describe-* JSON) into monitor configs.
    ImportSagemaker(commands::import_sagemaker::Args),
    /// Regenerate the HTML window reports and the dashboard of a store, and open them.
    Report(commands::report::Args),
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
        Command::Monitor(args) => commands::monitor::run(args).await,
        Command::Demo(args) => modelwatch::demo::run(args).await,
        Command::Ingest(args) => commands::local::run_ingest(args).await,
        Command::Tick(args) => commands::local::run_tick(args).await,
        Command::ImportSagemaker(args) => commands::import_sagemaker::run(args).await,
        Command::Report(args) => commands::report::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
