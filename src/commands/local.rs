//! `modelwatch ingest` and `modelwatch tick`: the two Lambdas' use cases over a local
//! directory laid out like the bucket (what `cargo lambda` runs do with MODELWATCH_STORE=local).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use monitor_core::app::tick::TickRequest;
use monitor_core::app::{backfill, ingest, tick};
use monitor_core::attribution::LocalModels;
use monitor_core::metrics::FileMetricSink;
use monitor_core::store::LocalStore;

/// Arguments of `modelwatch ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Store root (a directory laid out like the bucket).
    #[arg(long, default_value = "demo-out")]
    store: PathBuf,
    /// Capture object keys, relative to the store root.
    #[arg(required_unless_present = "prefix", conflicts_with = "prefix")]
    keys: Vec<String>,
    /// Re-ingest every object under this key prefix instead (a backfill after a monitor's
    /// configuration or baseline changed), on every core; safe to repeat (issue 16 item 5).
    #[arg(long)]
    prefix: Option<String>,
    /// Concurrent ingest workers of a --prefix backfill (0 = every core).
    #[arg(long, default_value_t = 0, env = "MODELWATCH_THREADS")]
    threads: usize,
}

/// Arguments of `modelwatch tick`.
#[derive(clap::Args, Debug)]
pub struct TickArgs {
    /// Store root (a directory laid out like the bucket).
    #[arg(long, default_value = "demo-out")]
    store: PathBuf,
    /// Tick time (RFC 3339); the window is the one before it. Default: now.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Evaluate the window ending at this time instead (RFC 3339).
    #[arg(long)]
    window_end: Option<DateTime<Utc>>,
    /// Only this monitor.
    #[arg(long)]
    monitor: Option<String>,
}

/// `modelwatch ingest`: prints the ingest summary as JSON.
pub async fn run_ingest(args: IngestArgs) -> anyhow::Result<()> {
    let store = LocalStore::new(&args.store);
    if let Some(prefix) = &args.prefix {
        let started = std::time::Instant::now();
        let summary = backfill::run(&store, prefix, args.threads).await?;
        println!("{}", serde_json::to_string_pretty(&summary)?);
        eprintln!("backfill of {prefix}: {:.2?}", started.elapsed());
        return Ok(());
    }
    let summary = ingest::run(&store, &args.keys).await?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// `modelwatch tick`: prints the tick summary as JSON.
pub async fn run_tick(args: TickArgs) -> anyhow::Result<()> {
    let store = LocalStore::new(&args.store);
    let metrics = FileMetricSink::new(store.clone());
    let summary = tick::run(
        &store,
        &metrics,
        &LocalModels,
        &TickRequest {
            now: args.now.unwrap_or_else(Utc::now),
            monitor: args.monitor,
            window_end: args.window_end,
            stack: None,
        },
    )
    .await?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
