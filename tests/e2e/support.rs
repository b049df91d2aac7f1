//! Helpers shared by the end-to-end tests: the workspace's test support (fixtures, the moto
//! emulator, temporary directories), under the names the tests use, and the steps many tests
//! over the in-memory store repeat (a baseline of a CSV, one monitor's tick, a report file).

use chrono::{DateTime, Utc};
use monitor_core::app::baseline::{self, QualityBaselineOutput};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::execution::Execution;
use monitor_core::formats::model_quality::{
    ComparisonOperator, MetricConstraint, ModelQualityConstraints, ProblemType,
};
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::model_quality::QualityOptions;
use monitor_core::store::{MemoryStore, ObjectStore};
pub use test_support::{fixture, moto, read_fixture, temp_dir};

/// An RFC 3339 instant in UTC.
///
/// # Panics
/// When `s` is not RFC 3339 (a test's own constant).
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The `i`-th value of a uniform spread over [0, 10) (a low-discrepancy sequence: 0.618…·i
/// mod 1, scaled), in a different order per `phase`.
pub fn spread(i: usize, phase: usize) -> f64 {
    let golden = 0.618_033_988_749_895_f64;
    ((i + phase) as f64 * golden).fract() * 10.0
}

/// Puts `csv` at `dataset` and runs the data-quality baseline of it into `prefix`.
///
/// # Panics
/// When the baseline fails.
pub async fn csv_baseline(store: &MemoryStore, dataset: &str, csv: String, prefix: &str) {
    store.put(dataset, csv.into_bytes()).await.unwrap();
    let req = serde_json::json!({"dataset": dataset, "output_prefix": prefix});
    baseline::run(store, &serde_json::from_value(req).unwrap())
        .await
        .unwrap();
}

/// Runs `req`, limited to `monitor`, and returns the monitor's first execution (the window
/// `req` names or the last closed one) with the metrics the tick published.
///
/// # Panics
/// When the tick fails or evaluates nothing.
pub async fn tick_one(
    store: &MemoryStore,
    monitor: &str,
    req: TickRequest,
) -> (Execution, MemoryMetricSink) {
    let metrics = MemoryMetricSink::new();
    let req = TickRequest {
        monitor: Some(monitor.into()),
        ..req
    };
    let mut summary = tick::run(store, &metrics, &LocalModels, &req)
        .await
        .unwrap();
    (summary.executions.swap_remove(0), metrics)
}

/// The execution's report file `name`: its key and bytes.
///
/// # Panics
/// When the file is not in the store.
pub async fn report_file(store: &MemoryStore, exec: &Execution, name: &str) -> (String, Vec<u8>) {
    let key = format!("{}{name}", exec.report_prefix);
    let bytes = store.get(&key).await.unwrap();
    (key, bytes)
}

/// The execution's `report.html`.
///
/// # Panics
/// When it is missing or not UTF-8.
pub async fn report_html(store: &MemoryStore, exec: &Execution) -> String {
    let (_, html) = report_file(store, exec, monitor_core::report::REPORT_FILE).await;
    String::from_utf8(html).unwrap()
}

/// A capture line of a CSV endpoint: input `input`, output `score`, `eventId` `ev-{id}` and
/// `inferenceId` `id`, at `time` (whole seconds).
pub fn csv_capture_line(
    id: impl std::fmt::Display,
    time: DateTime<Utc>,
    score: f64,
    input: &str,
) -> String {
    format!(
        "{{\"captureData\":{{\"endpointInput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"{input}\",\"encoding\":\"CSV\"}},\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"{score}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"ev-{id}\",\"inferenceId\":\"{id}\",\"inferenceTime\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
        time.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Model-quality constraints of one metric (`metric` compared with `threshold` by `op`) for
/// `problem_type`, as SageMaker writes them: the bytes of `constraints.json`.
pub fn mq_constraint(
    problem_type: ProblemType,
    metric: &str,
    threshold: f64,
    op: ComparisonOperator,
) -> Vec<u8> {
    ModelQualityConstraints {
        version: Some(0.0),
        problem_type,
        constraints: vec![(metric.into(), MetricConstraint::new(threshold, op))],
        extra: Default::default(),
    }
    .to_json()
    .into_bytes()
}

/// Puts an accuracy floor (binary classification: accuracy must stay at `floor` or above)
/// at `baselines/{monitor}/constraints.json`.
///
/// # Panics
/// When the store refuses the object.
pub async fn put_accuracy_floor(store: &MemoryStore, monitor: &str, floor: f64) {
    let bytes = mq_constraint(
        ProblemType::BinaryClassification,
        "accuracy",
        floor,
        ComparisonOperator::LessThanThreshold,
    );
    let key = format!("baselines/{monitor}/constraints.json");
    store.put(&key, bytes).await.unwrap();
}

/// The model-quality baseline (binary classification, positive label `1`, threshold 0.5) of
/// labelled scores `(score, label)`, read from the `label,score` CSV they make.
///
/// # Panics
/// When the baseline fails.
pub fn binary_score_baseline(rows: &[(f64, u8)]) -> QualityBaselineOutput {
    let csv: String = std::iter::once("label,score\n".to_string())
        .chain(rows.iter().map(|(s, y)| format!("{y},{s}\n")))
        .collect();
    baseline::build_model_quality(
        csv.as_bytes(),
        "validation.csv",
        &baseline::QualityBaselineRequest {
            quality: QualityOptions {
                problem_type: ProblemType::BinaryClassification,
                positive_label: "1".into(),
            },
            ground_truth_attribute: "label".into(),
            inference_attribute: None,
            probability_attribute: Some("score".into()),
            probability_threshold: 0.5,
        },
    )
    .unwrap()
}
