//! Issue 12 item 5: `modelwatch monitor --config` runs one window of any monitor kind. The
//! demo's scenario (seed 42, small sizes) is run through the Lambdas' use cases; then, for
//! each of its four monitors, the one-shot job over the same capture hour (and every label
//! file) must write the report the tick writes for that hour, byte for byte.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::{Scenario, BIAS_DRIFT_HOUR, GROUND_TRUTH_ROOT};
use modelwatch_e2e::temp_dir;
use monitor_core::app::oneshot::{self, OneShotJob, OneShotOutput};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::MonitorConfig;
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::layout::monitor_config_key;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{LocalStore, ObjectStore};

fn scenario() -> Scenario {
    Scenario {
        baseline_rows: 3_000,
        validation_rows: 2_000,
        hours: 3,
        records_per_hour: 1_500,
        records_per_file: 500,
        ..Scenario::new(42)
    }
}

fn file<'a>(out: &'a OneShotOutput, name: &str) -> &'a [u8] {
    out.files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
        .unwrap_or_else(|| panic!("{name} missing from {:?}", names(out)))
}

fn names(out: &OneShotOutput) -> Vec<&str> {
    out.files.iter().map(|(n, _)| n.as_str()).collect()
}

/// The tick's execution of `monitor` for the window ending at `end` (a backfill tick over
/// the demo's store, which holds every capture and label by then).
async fn tick_window(store: &LocalStore, monitor: &str, end: DateTime<Utc>) -> Execution {
    let summary = tick::run(
        store,
        &MemoryMetricSink::new(),
        &LocalModels,
        &TickRequest {
            now: end,
            monitor: Some(monitor.into()),
            window_end: Some(end),
            stack: None,
        },
    )
    .await
    .unwrap();
    summary.executions.into_iter().next_back().unwrap()
}

async fn config(store: &LocalStore, monitor: &str) -> MonitorConfig {
    let key = monitor_config_key(monitor);
    MonitorConfig::from_json(&key, &store.get(&key).await.unwrap()).unwrap()
}

/// The one-shot job of `monitor` over capture hour `hour` of the demo's store, with every
/// label file when the monitor joins labels.
async fn one_shot(
    dir: &Path,
    store: &LocalStore,
    scenario: &Scenario,
    monitor: &str,
    hour: usize,
    baseline: bool,
) -> OneShotOutput {
    let cfg = config(store, monitor).await;
    let captures =
        oneshot::collect_capture_files(&[dir.join(scenario.hour_prefix(ENDPOINT, hour))]).unwrap();
    let labels: Vec<PathBuf> = if cfg.kind.joins_ground_truth() {
        vec![dir.join(GROUND_TRUTH_ROOT).join(ENDPOINT)]
    } else {
        Vec::new()
    };
    let baseline_dir = dir.join(format!("baselines/{monitor}"));
    let job = OneShotJob {
        config: cfg,
        baseline: baseline.then_some(baseline_dir.as_path()),
        captures: &captures,
        ground_truth: &labels,
    };
    oneshot::run_job(&job, &LocalModels).await.unwrap()
}

/// Asserts that the one-shot output holds the tick's `report` and violations, and the same
/// status and record count.
async fn assert_same_report(
    store: &LocalStore,
    tick: &Execution,
    out: &OneShotOutput,
    report: &str,
) {
    for name in [report, "constraint_violations.json"] {
        let expected = store
            .get(&format!("{}{name}", tick.report_prefix))
            .await
            .unwrap();
        assert!(
            file(out, name) == expected.as_slice(),
            "{}: {name} differs from the tick's",
            tick.monitoring_schedule_name
        );
    }
    assert_eq!(out.execution.status, tick.status);
    assert_eq!(out.execution.records, tick.records);
    assert_eq!(out.execution.window_start, tick.window_start);
    assert_eq!(out.execution.window_end, tick.window_end);
    let execution: Execution = serde_json::from_slice(file(out, "execution.json")).unwrap();
    assert_eq!(execution.violations, tick.violations);
}

// Why it is long: one scenario run serves the four kinds (each a block of the same shape);
// running the scenario once per kind would quadruple the test's time.
#[tokio::test(flavor = "multi_thread")]
async fn one_shot_jobs_of_every_kind_write_the_ticks_reports() {
    let dir = temp_dir("oneshot-kinds");
    let store = LocalStore::new(&dir);
    let scenario = scenario();
    run_scenario(&store, &scenario, false).await.unwrap();
    let hour_end = |h: usize| {
        Utc.timestamp_opt(scenario.hour_start(h) + 3600, 0)
            .single()
            .unwrap()
    };

    // data quality: the same as the baseline-only form
    let tick = tick_window(&store, MONITOR, hour_end(1)).await;
    let out = one_shot(&dir, &store, &scenario, MONITOR, 1, true).await;
    assert_same_report(&store, &tick, &out, "statistics.json").await;
    assert!(names(&out).contains(&oneshot::job::METRICS_FILE));

    // model quality: labels of every hour given, those of hour 1's predictions joined
    let tick = tick_window(&store, MQ_MONITOR, hour_end(1)).await;
    assert!(tick.records > 0, "{tick:?}");
    let out = one_shot(&dir, &store, &scenario, MQ_MONITOR, 1, true).await;
    assert_same_report(&store, &tick, &out, "statistics.json").await;
    assert_eq!(
        out.execution.label_coverage.as_ref().unwrap().matched,
        tick.label_coverage.as_ref().unwrap().matched
    );

    // bias: the hour whose facet outcomes part from the predictions
    let tick = tick_window(&store, BIAS_MONITOR, hour_end(BIAS_DRIFT_HOUR)).await;
    assert_eq!(tick.status, ExecutionStatus::CompletedWithViolations);
    let out = one_shot(&dir, &store, &scenario, BIAS_MONITOR, BIAS_DRIFT_HOUR, true).await;
    assert_same_report(&store, &tick, &out, "analysis.json").await;

    // feature attribution (linear explainer at ingest)
    let tick = tick_window(&store, XAI_MONITOR, hour_end(0)).await;
    let out = one_shot(&dir, &store, &scenario, XAI_MONITOR, 0, true).await;
    assert_same_report(&store, &tick, &out, "analysis.json").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_quality_job_without_baseline_writes_statistics_only() {
    let dir = temp_dir("oneshot-mq-stats");
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 1,
        ..scenario()
    };
    run_scenario(&store, &scenario, false).await.unwrap();
    let with = one_shot(&dir, &store, &scenario, MQ_MONITOR, 0, true).await;
    let without = one_shot(&dir, &store, &scenario, MQ_MONITOR, 0, false).await;
    assert_eq!(
        names(&without),
        [
            "execution.json",
            "statistics.json",
            "cloudwatch_metrics.jsonl"
        ]
    );
    assert_eq!(
        file(&without, "statistics.json"),
        file(&with, "statistics.json")
    );
    assert_eq!(without.execution.status, ExecutionStatus::Completed);
    assert_eq!(without.execution.violations, 0);
    assert!(without.execution.records > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_quality_job_needs_its_baseline() {
    let dir = temp_dir("oneshot-no-baseline");
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 1,
        ..scenario()
    };
    run_scenario(&store, &scenario, false).await.unwrap();
    let cfg = config(&store, MONITOR).await;
    let captures =
        oneshot::collect_capture_files(&[dir.join(scenario.hour_prefix(ENDPOINT, 0))]).unwrap();
    let job = OneShotJob {
        config: cfg,
        baseline: None,
        captures: &captures,
        ground_truth: &[],
    };
    let err = oneshot::run_job(&job, &LocalModels).await.unwrap_err();
    assert!(err.to_string().contains("--baseline"), "{err}");
}

/// A JSON capture line: nested input and output, read through the config's json_pointers.
fn json_line(id: usize, time: DateTime<Utc>, age: u32, city: &str, score: f64) -> String {
    let input = format!(r#"{{"instances": [{{"person": {{"age": {age}, "city": "{city}"}}}}]}}"#);
    let output = format!(r#"{{"predictions": [{{"score": {score}}}]}}"#);
    let side = |mode: &str, data: &str| serde_json::json!({"observedContentType": "application/json", "mode": mode, "data": data, "encoding": "JSON"});
    let record = serde_json::json!({
        "captureData": {"endpointInput": side("INPUT", &input), "endpointOutput": side("OUTPUT", &output)},
        "eventMetadata": {"eventId": format!("e-{id}"), "inferenceId": format!("{id}"),
                          "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    });
    format!("{record}\n")
}

/// Issue 12 item 6: `monitor` takes the config's `json_pointers`; one file whose records
/// span three hours is one window, and a record with an impossible time is counted.
#[tokio::test(flavor = "multi_thread")]
async fn a_json_capture_over_three_hours_is_one_window_read_through_the_configs_pointers() {
    let dir = temp_dir("oneshot-pointers");
    let store = LocalStore::new(&dir);
    let cities = ["Basel", "Bern", "Chur"];
    let mut csv = String::from("score,age,city\n");
    for i in 0..300 {
        csv += &format!(
            "{},{},{}\n",
            (i % 10) as f64 / 10.0,
            20 + i % 50,
            cities[i % 3]
        );
    }
    store
        .put("datasets/train.csv", csv.into_bytes())
        .await
        .unwrap();
    monitor_core::app::baseline::run(
        &store,
        &monitor_core::app::baseline::BaselineRequest {
            dataset: "datasets/train.csv".into(),
            format: monitor_core::data_quality::dataset::DatasetFormat::Csv { header: true },
            output_prefix: "baselines/json-dq".into(),
        },
    )
    .await
    .unwrap();

    // 60 records an hour for three hours, the same distribution as the baseline
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
    let mut lines = String::new();
    let mut ages = Vec::new();
    for i in 0..180 {
        let age = 20 + (i % 50) as u32;
        ages.push(f64::from(age));
        let t = start + chrono::Duration::minutes(i as i64);
        lines += &json_line(i, t, age, cities[i % 3], (i % 10) as f64 / 10.0);
    }
    lines += &json_line(999, start, 30, "Bern", 0.5)
        .replace("2026-11-01T10:00:00Z", "2026-02-31T10:00:00Z");
    let path = dir.join("export/captures.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, lines).unwrap();

    let config = MonitorConfig::from_json(
        "json-dq.json",
        br#"{"name": "json-dq", "endpoint": "json-endpoint", "baseline_prefix": "anywhere",
            "capture": {"json_pointers": {"score": "/output/predictions/0/score",
                "age": "/input/instances/0/person/age", "city": "/input/instances/0/person/city"}}}"#,
    )
    .unwrap();
    let captures = oneshot::collect_capture_files(&[path]).unwrap();
    let baseline = dir.join("baselines/json-dq");
    let job = OneShotJob {
        config,
        baseline: Some(&baseline),
        captures: &captures,
        ground_truth: &[],
    };
    let out = oneshot::run_job(&job, &LocalModels).await.unwrap();
    let e = &out.execution;
    assert_eq!(e.status, ExecutionStatus::Completed, "{e:?}");
    assert_eq!(e.records, 180);
    assert_eq!(e.bad_records_by_kind.get("bad_time"), Some(&1), "{e:?}");
    assert_eq!(
        (e.window_start, e.window_end),
        (start, start + chrono::Duration::minutes(180))
    );
    let stats: serde_json::Value = serde_json::from_slice(file(&out, "statistics.json")).unwrap();
    let age = stats["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "age")
        .unwrap();
    let mean = ages.iter().sum::<f64>() / ages.len() as f64;
    assert_eq!(age["numerical_statistics"]["common"]["num_present"], 180);
    assert!((age["numerical_statistics"]["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
}
