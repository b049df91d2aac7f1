//! `modelwatch monitor`: a one-shot (on-demand) job over capture files or folders,
//! evaluated as one window — the same reports the scheduled tick writes. With `--config` the
//! monitor may be of any kind (data quality, model quality with `--ground-truth`, bias,
//! attribution); without it, a data-quality job against `--baseline`.

use std::path::PathBuf;

use anyhow::Context;
use monitor_core::app::oneshot;
use monitor_core::attribution::LocalModels;
use monitor_core::config::{CaptureOptions, MonitorConfig};
use monitor_core::execution::ExecutionStatus;

/// Arguments of `modelwatch monitor`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Monitor configuration (the JSON of config/monitors/*.json), of any kind.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Baseline directory: statistics.json and constraints.json (data and model quality),
    /// analysis_config.json and analysis.json (bias, attribution). Required except for a
    /// model-quality --config, which then writes statistics only.
    #[arg(long, required_unless_present = "config")]
    baseline: Option<PathBuf>,
    /// Capture files (.jsonl) or folders searched recursively.
    #[arg(long, num_args = 1.., required = true)]
    captures: Vec<PathBuf>,
    /// Ground-truth files (.jsonl) or folders of a model-quality or bias --config.
    #[arg(long, num_args = 1.., requires = "config")]
    ground_truth: Vec<PathBuf>,
    /// Output directory for statistics.json, constraint_violations.json, execution.json and
    /// cloudwatch_metrics.jsonl.
    #[arg(long)]
    out: PathBuf,
    /// How many leading baseline features come from endpointOutput (default: inferred per
    /// record from the output payload).
    #[arg(long)]
    output_columns: Option<usize>,
    /// Worker threads profiling capture files (0 = every core: one per core and one more, as
    /// the calling thread merges between results). The output is the same for
    /// every value: files are merged in order.
    #[arg(long, default_value_t = 0, env = "MODELWATCH_THREADS")]
    threads: usize,
}

/// Runs the command. Exit status 0 when the job completed (with or without violations).
pub async fn run(args: Args) -> anyhow::Result<()> {
    let files = oneshot::collect_capture_files(&args.captures)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no .jsonl capture files found in {:?}",
        args.captures
    );
    let started = std::time::Instant::now();
    let out = match (&args.config, &args.baseline) {
        (Some(path), baseline) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let mut config = MonitorConfig::from_json(&path.display().to_string(), &bytes)?;
            if args.output_columns.is_some() {
                config.capture.output_columns = args.output_columns;
            }
            let job = oneshot::OneShotJob {
                config,
                baseline: baseline.as_deref(),
                captures: &files,
                ground_truth: &args.ground_truth,
            };
            oneshot::run_job(&job, &LocalModels).await?
        }
        (None, Some(dir)) => {
            let baseline = oneshot::read_baseline_dir(dir)?;
            let capture = CaptureOptions {
                output_columns: args.output_columns,
                ..CaptureOptions::default()
            };
            oneshot::run_with_threads(&baseline, &files, capture, args.threads).await?
        }
        (None, None) => anyhow::bail!("--baseline or --config is required"),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for (name, bytes) in &out.files {
        let p = args.out.join(name);
        // a multi-model job's per-model reports are in model={model}/ folders
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
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
    if let Some(c) = &e.label_coverage {
        println!(
            "  labels: {} of {} predictions matched, {} pending, {} expired",
            c.matched, c.predictions, c.pending_labels, c.expired_labels
        );
    }
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
