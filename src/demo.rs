//! `modelwatch demo`: the whole data-quality pipeline on the local store, through the same
//! library calls the Lambdas make: baseline → capture-ingest per object → tick per hour.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use monitor_core::app::tick::{Execution, ExecutionStatus, TickRequest};
use monitor_core::app::{baseline, ingest, tick};
use monitor_core::dataset::DatasetFormat;
use monitor_core::metrics::FileMetricSink;
use monitor_core::monitor::{save_monitor, CaptureOptions, MonitorConfig, MonitorKind};
use monitor_core::store::{LocalStore, ObjectStore};

use crate::scenario::{Drift, Scenario};

/// Endpoint name of the demo.
pub const ENDPOINT: &str = "demo-endpoint";
/// Monitor (schedule) name of the demo.
pub const MONITOR: &str = "demo-data-quality";

/// Arguments of `modelwatch demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory used as the local object store (emptied first).
    #[arg(long, default_value = "demo-out")]
    out: PathBuf,
    /// Random seed of the scenario.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Hours of capture.
    #[arg(long, default_value_t = 8)]
    hours: usize,
}

/// What the demo produced, for tests and the table.
pub struct DemoOutcome {
    /// the drift injected per hour
    pub plan: Vec<Vec<Drift>>,
    /// one execution per hour
    pub executions: Vec<Execution>,
    /// capture objects ingested
    pub objects: usize,
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:<22} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(what.to_string());
    b
}

/// Runs the scenario on `store` (which should be empty).
pub async fn run_scenario(
    store: &LocalStore,
    scenario: &Scenario,
    progress: bool,
) -> anyhow::Result<DemoOutcome> {
    let hidden = |b: ProgressBar| {
        if !progress {
            b.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        b
    };
    // 1. baseline from the training set
    let mut csv = Vec::new();
    scenario.write_baseline_csv(&mut csv)?;
    store.put("datasets/train.csv", csv).await?;
    let summary = baseline::run(
        store,
        &baseline::BaselineRequest {
            dataset: "datasets/train.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: format!("baselines/{MONITOR}"),
        },
    )
    .await?;
    println!(
        "baseline: {} rows, {} features -> {}",
        summary.rows, summary.features, summary.statistics_key
    );
    save_monitor(
        store,
        &MonitorConfig {
            name: MONITOR.into(),
            kind: MonitorKind::DataQuality,
            endpoint: ENDPOINT.into(),
            variant: None,
            baseline_prefix: format!("baselines/{MONITOR}"),
            capture_prefix: "data-capture/".into(),
            window_minutes: 60,
            capture: CaptureOptions::default(),
            publish_metrics: true,
            model_quality: None,
        },
    )
    .await?;

    // 2. capture objects land one by one; each is ingested as its S3 event would be
    let plan = scenario.drift_plan();
    let mut objects = 0usize;
    let b = hidden(bar(scenario.hours as u64, "ingesting capture"));
    for hour in 0..scenario.hours {
        for (key, bytes) in scenario.capture_files(ENDPOINT, hour) {
            store.put(&key, bytes).await?;
            let s = ingest::run(store, std::slice::from_ref(&key)).await?;
            anyhow::ensure!(
                s.objects.iter().all(|o| o.ignored.is_none()),
                "capture object {key} was ignored"
            );
            objects += 1;
        }
        b.inc(1);
    }
    b.finish_and_clear();

    // 3. the hourly tick, a few minutes after each hour ends
    let metrics = FileMetricSink::new(store.clone());
    let mut executions = Vec::new();
    let b = hidden(bar(scenario.hours as u64, "monitoring windows"));
    for hour in 0..scenario.hours {
        let end = Utc
            .timestamp_opt(scenario.hour_start(hour) + 3600 + 300, 0)
            .single()
            .context("tick time out of range")?;
        let s = tick::run(
            store,
            &metrics,
            &TickRequest {
                now: end,
                monitor: Some(MONITOR.into()),
                window_end: None,
            },
        )
        .await?;
        executions.extend(s.executions);
        b.inc(1);
    }
    b.finish_and_clear();
    Ok(DemoOutcome {
        plan,
        executions,
        objects,
    })
}

fn short_check(name: &str) -> &str {
    match name {
        "data_type_check" => "type",
        "completeness_check" => "compl",
        "baseline_drift_check" => "drift",
        "categorical_values_check" => "cat",
        "missing_column_check" => "miss",
        "extra_column_check" => "extra",
        other => other,
    }
}

/// Prints the per-hour table.
pub fn print_table(outcome: &DemoOutcome) {
    let checks = [
        "data_type_check",
        "completeness_check",
        "baseline_drift_check",
        "categorical_values_check",
        "missing_column_check",
        "extra_column_check",
    ];
    print!(
        "\n{:<17} {:<24} {:>7} {:>4}",
        "window (UTC)", "status", "records", "bad"
    );
    for c in checks {
        print!(" {:>5}", short_check(c));
    }
    println!("  drifted features (distance)          injected");
    for (i, e) in outcome.executions.iter().enumerate() {
        let status = match e.status {
            ExecutionStatus::Completed => "Completed",
            ExecutionStatus::CompletedWithViolations => "CompletedWithViolations",
            ExecutionStatus::Failed => "Failed",
        };
        print!(
            "{:<17} {:<24} {:>7} {:>4}",
            fmt_window(e.window_start),
            status,
            e.records,
            e.bad_records
        );
        for c in checks {
            print!(" {:>5}", e.violations_by_check.get(c).copied().unwrap_or(0));
        }
        let drifted: Vec<String> = e
            .drift
            .iter()
            .filter(|d| d.violated)
            .map(|d| format!("{} {:.3}", d.feature, d.distance))
            .collect();
        let injected: Vec<String> = outcome
            .plan
            .get(i)
            .map(|p| {
                p.iter()
                    .filter(|d| !matches!(d, Drift::None))
                    .map(|d| d.to_string())
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "  {:<36} {}",
            if drifted.is_empty() {
                "-".to_string()
            } else {
                drifted.join(", ")
            },
            if injected.is_empty() {
                "-".to_string()
            } else {
                injected.join("; ")
            }
        );
    }
}

fn fmt_window(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Runs the command.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("cannot empty {}", args.out.display()))?;
    }
    std::fs::create_dir_all(&args.out)?;
    let store = LocalStore::new(&args.out);
    let scenario = Scenario {
        hours: args.hours,
        ..Scenario::new(args.seed)
    };
    let started = std::time::Instant::now();
    let outcome = run_scenario(&store, &scenario, true).await?;
    print_table(&outcome);
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for e in &outcome.executions {
        *by_status.entry(format!("{:?}", e.status)).or_default() += 1;
    }
    println!(
        "\n{} capture objects, {} windows {:?} in {:.2?}",
        outcome.objects,
        outcome.executions.len(),
        by_status,
        started.elapsed()
    );
    let root = args.out.display();
    println!("reports:  {root}/reports/{ENDPOINT}/{MONITOR}/yyyy/mm/dd/HH/ (statistics.json, constraint_violations.json, execution.json)");
    println!("baseline: {root}/baselines/{MONITOR}/ (statistics.json, constraints.json)");
    println!("state:    {root}/state/profiles/{MONITOR}/ (one mergeable partial profile per capture object)");
    println!("metrics:  {root}/metrics/ (CloudWatch metrics, SageMaker's container file format)");
    Ok(())
}
