//! `modelwatch monitor`: a one-shot (on-demand) data-quality job over capture files or
//! folders, evaluated as one window — the same reports the scheduled tick writes.

use std::path::PathBuf;

use anyhow::Context;
use monitor_core::app::oneshot;
use monitor_core::config::CaptureOptions;
use monitor_core::execution::ExecutionStatus;

/// Arguments of `modelwatch monitor`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Baseline directory holding statistics.json and constraints.json.
    #[arg(long)]
    baseline: PathBuf,
    /// Capture files (.jsonl) or folders searched recursively.
    #[arg(long, num_args = 1.., required = true)]
    captures: Vec<PathBuf>,
    /// Output directory for statistics.json, constraint_violations.json, execution.json and
    /// cloudwatch_metrics.jsonl.
    #[arg(long)]
    out: PathBuf,
    /// How many leading baseline features come from endpointOutput (default: inferred per
    /// record from the output payload).
    #[arg(long)]
    output_columns: Option<usize>,
}

/// Runs the command. Exit status 0 when the job completed (with or without violations).
pub async fn run(args: Args) -> anyhow::Result<()> {
    let baseline = oneshot::read_baseline_dir(&args.baseline)?;
    let files = oneshot::collect_capture_files(&args.captures)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no .jsonl capture files found in {:?}",
        args.captures
    );
    let capture = CaptureOptions {
        output_columns: args.output_columns,
        ..CaptureOptions::default()
    };
    let started = std::time::Instant::now();
    let out = oneshot::run(&baseline, &files, capture).await?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for (name, bytes) in &out.files {
        let p = args.out.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let e = &out.execution;
    println!(
        "{} capture file(s), {} records, {} bad records in {:.2?}",
        files.len(),
        e.records,
        e.bad_records,
        started.elapsed()
    );
    println!("{}", e.exit_message);
    for (check, n) in e.violations_by_check.iter().filter(|(_, n)| **n > 0) {
        println!("  {check:<26} {n}");
    }
    for d in e.drift.iter().filter(|d| d.violated) {
        println!("  drift {:<20} {:.4}", d.feature, d.distance);
    }
    println!("reports in {}", args.out.display());
    anyhow::ensure!(e.status != ExecutionStatus::Failed, "{}", e.exit_message);
    Ok(())
}
