//! `modelwatch report`: regenerates every window's `report.html` and the dashboard
//! (`reports/index.html`) from what a store holds, on a local directory or on the S3 bucket
//! (`--bucket`), and opens the dashboard or prints presigned URLs to read them.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::presigning::PresigningConfig;
use monitor_aws::{s3_client, sdk_config, S3Store};
use monitor_core::report::{regenerate, Regenerated, DASHBOARD_KEY};
use monitor_core::store::{LocalStore, ObjectStore};

/// Arguments of `modelwatch report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Store root (a directory laid out like the bucket).
    #[arg(long, default_value = "demo-out", conflicts_with = "bucket")]
    store: PathBuf,
    /// Regenerate on this S3 bucket instead (the stack's data bucket; AWS credentials as
    /// for the AWS CLI).
    #[arg(long)]
    bucket: Option<String>,
    /// S3 endpoint override (an emulator); implies path-style addressing.
    #[arg(long, requires = "bucket")]
    endpoint_url: Option<String>,
    /// Only the window reports of this monitor (the dashboard always lists every monitor).
    #[arg(long)]
    monitor: Option<String>,
    /// Open the dashboard in the default browser (local store).
    #[arg(long, conflicts_with = "bucket")]
    open: bool,
    /// With --bucket: print presigned GET URLs of the dashboard and of each monitor's
    /// latest window report.
    #[arg(long, requires = "bucket")]
    presign: bool,
    /// Lifetime of the presigned URLs, in seconds (at most 7 days; never longer than the
    /// credentials that sign them).
    #[arg(long, default_value_t = 3600)]
    expires_in: u64,
}

/// Each monitor's latest window report among `written` (keys sort in window order).
fn latest_per_monitor(written: &Regenerated) -> Vec<&str> {
    let mut latest: std::collections::BTreeMap<String, &str> = Default::default();
    for key in &written.reports {
        // reports/{endpoint}/{monitor}/…/report.html, oldest window first
        let monitor = key.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        latest.insert(monitor, key);
    }
    latest.into_values().collect()
}

fn print_summary(written: &Regenerated, root: &str) {
    println!(
        "{} window reports written, {} failed",
        written.reports.len(),
        written.failed.len()
    );
    for (prefix, e) in &written.failed {
        eprintln!("report of {prefix} not written: {e}");
    }
    println!("dashboard: {root}{}", written.dashboard);
}

async fn run_local(args: &Args) -> anyhow::Result<()> {
    let store = LocalStore::new(&args.store);
    let written = regenerate(&store, args.monitor.as_deref()).await?;
    let root = format!("{}/", args.store.display());
    print_summary(&written, &root);
    let path = store.path_of(DASHBOARD_KEY)?;
    if args.open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        std::process::Command::new(opener)
            .arg(&path)
            .status()
            .with_context(|| format!("cannot run {opener} {}", path.display()))?;
    }
    Ok(())
}

async fn run_s3(args: &Args, bucket: &str) -> anyhow::Result<()> {
    let conf = sdk_config(args.endpoint_url.as_deref()).await;
    let client = s3_client(&conf, args.endpoint_url.is_some());
    let store = S3Store::new(client.clone(), bucket);
    let written = regenerate(&store, args.monitor.as_deref()).await?;
    print_summary(&written, &format!("s3://{bucket}/"));
    if args.presign {
        let config = PresigningConfig::expires_in(Duration::from_secs(args.expires_in))
            .context("--expires-in")?;
        let mut keys = vec![written.dashboard.as_str()];
        keys.extend(latest_per_monitor(&written));
        for key in keys {
            // the object must exist: a typo'd bucket fails here, not in the browser
            store.get(key).await.map(|_| ())?;
            let req = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .response_content_type("text/html; charset=utf-8")
                .presigned(config.clone())
                .await
                .with_context(|| format!("presigning s3://{bucket}/{key}"))?;
            println!("{key}\n  {}", req.uri());
        }
    }
    Ok(())
}

/// `modelwatch report`.
pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.bucket.clone() {
        Some(bucket) => run_s3(&args, &bucket).await,
        None => run_local(&args).await,
    }
}
