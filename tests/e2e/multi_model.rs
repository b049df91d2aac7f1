//! Issue 15, item 5, end to end over the in-memory store: a multi-model endpoint's capture,
//! each record attributed to its target model (by a request field or by the object key),
//! capture-ingest, and the tick's per-model reports, `multi_model.json` and `TargetModel`
//! metrics. The first monitor is the example config
//! `examples/monitors/multi-model-data-quality.json`.

use chrono::Duration;
use modelwatch_e2e::{csv_baseline, mq_constraint, report_file, spread, t, tick_one};
use monitor_core::app::ingest;
use monitor_core::app::tick::TickRequest;
use monitor_core::config::{save_monitor, MonitorConfig, MonitorKind};
use monitor_core::execution::ExecutionStatus;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::multimodel::{
    MultiModelSettings, MultiModelSummary, MULTI_MODEL_FILE, TARGET_MODEL_DIMENSION, UNATTRIBUTED,
};
use monitor_core::store::{MemoryStore, ObjectStore};

const EP: &str = "mme-endpoint";
const HOUR: &str = "2026-11-01T03:00:00Z";
/// The hour folder of [`HOUR`] in capture keys.
const HOUR_PATH: &str = "2026/11/01/03";

/// A capture line: output `score` (CSV), a JSON request `{"model"?, "x", "cat"}`; the score
/// is `x / 10` with `x` before any `shift` of the input.
fn capture_line(i: usize, model: Option<&str>, x: f64, shift: f64) -> String {
    let time = t(HOUR) + Duration::seconds((i % 3600) as i64);
    let cat = ["a", "b", "c"][i % 3];
    let request = match model {
        Some(m) => serde_json::json!({"model": m, "x": x + shift, "cat": cat}),
        None => serde_json::json!({"x": x + shift, "cat": cat}),
    };
    let line = serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                              "data": request.to_string(), "encoding": "JSON"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": format!("{:.3}", x / 10.0), "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": format!("ev-{i}"),
                          "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    });
    format!("{line}\n")
}

/// A baseline of `score, x, cat` with x ~ U[0, 10) + `shift`, written under `prefix`.
async fn write_baseline(store: &MemoryStore, prefix: &str, shift: f64) {
    let mut csv = String::from("score,x,cat\n");
    for i in 0..3000 {
        let x = spread(i, 0) + shift;
        csv.push_str(&format!(
            "{:.3},{x:.4},{}\n",
            x / 10.0,
            ["a", "b", "c"][i % 3]
        ));
    }
    let dataset = format!("datasets/{}.csv", prefix.replace('/', "-"));
    csv_baseline(store, &dataset, csv, prefix).await;
}

/// Puts the capture object `file` of [`HOUR`] and ingests it.
async fn put_capture(store: &MemoryStore, file: &str, lines: String) {
    let key = format!("data-capture/{EP}/AllTraffic/{HOUR_PATH}/{file}");
    store.put(&key, lines.into_bytes()).await.unwrap();
    ingest::run(store, std::slice::from_ref(&key))
        .await
        .unwrap();
}

/// Ticks `monitor`'s window of [`HOUR`]: the window's `multi_model.json` and the metrics.
async fn tick_window(store: &MemoryStore, monitor: &str) -> (MultiModelSummary, MemoryMetricSink) {
    let req = TickRequest {
        now: t("2026-11-01T04:05:00Z"),
        ..Default::default()
    };
    let (exec, metrics) = tick_one(store, monitor, req).await;
    let (key, bytes) = report_file(store, &exec, MULTI_MODEL_FILE).await;
    (MultiModelSummary::from_json(&key, &bytes).unwrap(), metrics)
}

/// The published value of `name` for `model` (the `TargetModel` dimension).
fn model_metric(metrics: &MemoryMetricSink, name: &str, model: &str) -> Option<f64> {
    metrics
        .data()
        .iter()
        .find(|d| {
            d.name == name
                && d.dimensions
                    .iter()
                    .any(|(k, v)| k == TARGET_MODEL_DIMENSION && v == model)
        })
        .and_then(|d| d.value.mean())
}

#[tokio::test]
async fn only_the_drifted_model_violates_and_unattributed_records_are_reported() {
    let store = MemoryStore::new();
    write_baseline(&store, "baselines/mme-dq", 0.0).await;
    let cfg = MonitorConfig::from_json(
        "multi-model-data-quality.json",
        include_bytes!("../../examples/monitors/multi-model-data-quality.json"),
    )
    .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    // m-a: the baseline's distribution; m-b: the input x shifted by +2 (the score is not);
    // both in one object, interleaved;
    // then 7 requests that name no model
    const PER_MODEL: usize = 2000;
    const UNNAMED: usize = 7;
    let mut lines = String::new();
    for i in 0..PER_MODEL {
        lines.push_str(&capture_line(2 * i, Some("m-a"), spread(i, 11), 0.0));
        lines.push_str(&capture_line(2 * i + 1, Some("m-b"), spread(i, 11), 2.0));
    }
    for i in 0..UNNAMED {
        lines.push_str(&capture_line(i, None, spread(i, 3), 0.0));
    }
    put_capture(&store, "00-00-000-x.jsonl", lines).await;
    let (s, metrics) = tick_window(&store, "mme-dq").await;

    let rows: Vec<(&str, u64, ExecutionStatus)> = s
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.records, m.status))
        .collect();
    assert_eq!(
        rows,
        [
            ("m-a", PER_MODEL as u64, ExecutionStatus::Completed),
            (
                "m-b",
                PER_MODEL as u64,
                ExecutionStatus::CompletedWithViolations
            ),
            (UNATTRIBUTED, UNNAMED as u64, ExecutionStatus::Completed),
        ]
    );
    assert_eq!(s.unattributed_records, UNNAMED as u64);
    assert_eq!((s.models_over_cap, s.records_over_cap), (0, 0));
    assert_eq!(s.over_cap_error, None);
    // m-b's own report names the drifted feature, under model={model}/ of the window's hour
    let b = &s.models[1];
    assert_eq!(
        b.report_prefix.as_deref(),
        Some("reports/mme-endpoint/mme-dq/model=m-b/2026/11/01/04/")
    );
    assert_eq!(b.baseline_prefix, "baselines/mme-dq");
    let violations = store
        .get(&format!(
            "{}constraint_violations.json",
            b.report_prefix.as_deref().unwrap()
        ))
        .await
        .unwrap();
    let violations: serde_json::Value = serde_json::from_slice(&violations).unwrap();
    let drifted: Vec<&str> = violations["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["constraint_check_type"] == "baseline_drift_check")
        .map(|v| v["feature_name"].as_str().unwrap())
        .collect();
    assert_eq!(drifted, ["x"]);
    // metrics: the totals per model with the TargetModel dimension, no per-feature ones
    assert_eq!(
        model_metric(&metrics, "records_analyzed", "m-a"),
        Some(PER_MODEL as f64)
    );
    assert_eq!(
        model_metric(&metrics, "constraint_violations_total", "m-a"),
        Some(0.0)
    );
    assert_eq!(
        model_metric(&metrics, "constraint_violations_total", "m-b"),
        Some(b.violations as f64)
    );
    assert!(metrics
        .data()
        .iter()
        .all(|d| !(d.name.starts_with("feature_")
            && d.dimensions
                .iter()
                .any(|(k, _)| k == TARGET_MODEL_DIMENSION))));
    let window_metric = |name: &str| {
        metrics
            .data()
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.value.mean())
    };
    assert_eq!(window_metric("multi_model_models"), Some(2.0));
    assert_eq!(
        window_metric("multi_model_unattributed_records"),
        Some(UNNAMED as f64)
    );
    // the monitor's own report still covers every record
    let req = TickRequest {
        now: t("2026-11-01T04:05:00Z"),
        ..Default::default()
    };
    let (whole, _) = tick_one(&store, "mme-dq", req).await;
    assert_eq!(whole.records, (2 * PER_MODEL + UNNAMED) as u64);
}

/// The key pattern's group names the model; a model with its own baseline is judged
/// against it, one without against the monitor's.
#[tokio::test]
async fn the_key_names_the_model_and_a_model_baseline_falls_back_to_the_default() {
    let store = MemoryStore::new();
    write_baseline(&store, "baselines/keyed", 0.0).await;
    // tenant-1's own baseline: its traffic is shifted by +2, and so is its baseline
    write_baseline(&store, "baselines/keyed/models/tenant-1", 2.0).await;
    let cfg = MonitorConfig {
        capture: monitor_core::config::CaptureOptions {
            output_columns: Some(1),
            ..Default::default()
        },
        multi_model: Some(MultiModelSettings {
            key_pattern: Some(r"/[0-9]{2}/(tenant-[0-9]+)\.[^/]*$".into()),
            ..MultiModelSettings::default()
        }),
        ..MonitorConfig::new("keyed", MonitorKind::DataQuality, EP, "baselines/keyed")
    };
    save_monitor(&store, &cfg).await.unwrap();
    for (tenant, shift) in [("tenant-1", 2.0), ("tenant-2", 0.0)] {
        let lines: String = (0..1500)
            .map(|i| capture_line(i, None, spread(i, 29) + shift, 0.0))
            .collect();
        put_capture(&store, &format!("{tenant}.00-00-000-x.jsonl"), lines).await;
    }
    let (s, _) = tick_window(&store, "keyed").await;
    let rows: Vec<(&str, u64, ExecutionStatus, &str)> = s
        .models
        .iter()
        .map(|m| {
            (
                m.model.as_str(),
                m.records,
                m.status,
                m.baseline_prefix.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "tenant-1",
                1500,
                ExecutionStatus::Completed,
                "baselines/keyed/models/tenant-1/"
            ),
            (
                "tenant-2",
                1500,
                ExecutionStatus::Completed,
                "baselines/keyed"
            ),
        ]
    );
    assert_eq!(s.unattributed_records, 0);
}

/// The cap: per window the `max_models` models with the most records are judged; the rest,
/// and the records ingest put past its per-object cap, are counted and named in the error.
#[tokio::test]
async fn models_past_the_cap_are_counted_with_an_error_naming_it() {
    let store = MemoryStore::new();
    write_baseline(&store, "baselines/capped", 0.0).await;
    const CAP: usize = 2;
    let cfg = MonitorConfig {
        capture: monitor_core::config::CaptureOptions {
            output_columns: Some(1),
            json_pointers: [("x", "/input/x"), ("cat", "/input/cat")]
                .map(|(f, p)| (f.to_string(), p.to_string()))
                .into(),
        },
        multi_model: Some(MultiModelSettings {
            request_field: Some("/model".into()),
            max_models: CAP,
            ..MultiModelSettings::default()
        }),
        ..MonitorConfig::new("capped", MonitorKind::DataQuality, EP, "baselines/capped")
    };
    save_monitor(&store, &cfg).await.unwrap();
    // three objects, at most two models each (within the per-object cap) …
    let objects: [&[(&str, usize)]; 3] = [
        &[("a", 30), ("b", 20)],
        &[("c", 10), ("d", 5)],
        // … but this one has three: "g" is past the per-object cap at ingest
        &[("e", 1), ("f", 1), ("g", 1)],
    ];
    for (n, models) in objects.iter().enumerate() {
        let mut lines = String::new();
        for (model, records) in models.iter() {
            for i in 0..*records {
                lines.push_str(&capture_line(i, Some(model), spread(i, 5), 0.0));
            }
        }
        put_capture(&store, &format!("00-0{n}-000-x.jsonl"), lines).await;
    }
    let (s, _) = tick_window(&store, "capped").await;
    let judged: Vec<&str> = s.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(judged, ["a", "b"]);
    assert_eq!(s.max_models, CAP);
    assert_eq!(s.over_cap_models, ["c", "d", "e", "f"]);
    assert_eq!(s.models_over_cap, 4);
    // c, d, e, f in the window, and g's record that ingest put past its cap
    assert_eq!(s.records_over_cap, 10 + 5 + 1 + 1 + 1);
    let e = s.over_cap_error.unwrap();
    assert!(
        e.contains("multi_model.max_models = 2") && e.contains("18 records"),
        "{e}"
    );
}

// ---- model quality per target model --------------------------------------------------

/// Records per model in the model-quality scenario.
const MQ_PER_MODEL: usize = 1000;
/// The model-quality scenario's unattributed records (requests that name no model).
const MQ_UNNAMED: usize = 10;
/// Of every 20 records of a model, how many it gets right: `m-a` 19 (accuracy 19/20 =
/// 0.95), `m-b` 14 (accuracy 14/20 = 0.7); unattributed records are all right.
fn right_of_20(model: Option<&str>) -> usize {
    match model {
        Some("m-a") => 19,
        Some("m-b") => 14,
        _ => 20,
    }
}

/// Record `j` of `model`: its capture line (request `{"model", "x"}`, CSV output the score)
/// and its ground-truth line. Label 1 on even `j`; the model is right on the first
/// [`right_of_20`] of every 20 records, so its score is 0.9 (predicted 1) when right about a
/// positive or wrong about a negative, else 0.1.
fn mq_record(id: &str, j: usize, model: Option<&str>) -> (String, String) {
    let positive = j.is_multiple_of(2);
    let right = j % 20 < right_of_20(model);
    let score = if right == positive { 0.9 } else { 0.1 };
    let time = t(HOUR) + Duration::seconds((j % 3600) as i64);
    let request = match model {
        Some(m) => serde_json::json!({"model": m, "x": j}),
        None => serde_json::json!({"x": j}),
    };
    let capture = serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                              "data": request.to_string(), "encoding": "JSON"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": score.to_string(), "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": id,
                          "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    });
    let label = serde_json::json!({
        "groundTruthData": {"data": u8::from(positive).to_string(), "encoding": "CSV"},
        "eventMetadata": {"eventId": id},
        "eventVersion": "0"
    });
    (format!("{capture}\n"), format!("{label}\n"))
}

/// Accuracy must stay at `floor` or above (a constraints file of our own).
fn accuracy_floor(floor: f64) -> Vec<u8> {
    use monitor_core::formats::model_quality::{ComparisonOperator, ProblemType};
    mq_constraint(
        ProblemType::BinaryClassification,
        "accuracy",
        floor,
        ComparisonOperator::LessThanThreshold,
    )
}

/// Ticks the window of [`HOUR`] of the model-quality monitor at `now`: its status and
/// records, and its `multi_model.json` when written.
async fn tick_mq(
    store: &MemoryStore,
    now: &str,
) -> (
    ExecutionStatus,
    u64,
    Option<MultiModelSummary>,
    MemoryMetricSink,
) {
    let req = TickRequest {
        now: t(now),
        window_end: Some(t(HOUR) + Duration::hours(1)),
        ..Default::default()
    };
    let (exec, metrics) = tick_one(store, "mme-mq", req).await;
    let key = format!("{}{MULTI_MODEL_FILE}", exec.report_prefix);
    let models = match store.get(&key).await {
        Ok(bytes) => Some(MultiModelSummary::from_json(&key, &bytes).unwrap()),
        Err(_) => None,
    };
    (exec.status, exec.records, models, metrics)
}

/// Two models behind one endpoint, labels two hours later: `m-b`'s accuracy (0.7) drops
/// under the monitor's floor (0.8) and only `m-b` violates, while the window, which holds
/// every record, passes; then `m-b` gets constraints of its own and is judged against them,
/// `m-a` still against the monitor's.
#[tokio::test]
async fn model_quality_per_model_only_the_degraded_model_violates() {
    let store = MemoryStore::new();
    let cfg = MonitorConfig::from_json(
        "multi-model-model-quality.json",
        include_bytes!("../../examples/monitors/multi-model-model-quality.json"),
    )
    .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    const FLOOR: f64 = 0.8;
    store
        .put("baselines/mme-mq/constraints.json", accuracy_floor(FLOOR))
        .await
        .unwrap();
    let (mut capture, mut labels) = (String::new(), String::new());
    for j in 0..MQ_PER_MODEL {
        for model in ["m-a", "m-b"] {
            let (c, l) = mq_record(&format!("{model}-{j}"), j, Some(model));
            capture.push_str(&c);
            labels.push_str(&l);
        }
    }
    for j in 0..MQ_UNNAMED {
        let (c, l) = mq_record(&format!("none-{j}"), j, None);
        capture.push_str(&c);
        labels.push_str(&l);
    }
    put_capture(&store, "00-00-000-mq.jsonl", capture).await;

    // before the labels: no joined record, no per-model report
    let (status, _, models, _) = tick_mq(&store, "2026-11-01T04:05:00Z").await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(models.is_none());

    // the labels arrive two hours later
    let key = format!("ground-truth/{EP}/2026/11/01/05/labels.jsonl");
    store.put(&key, labels.into_bytes()).await.unwrap();
    monitor_core::app::ground_truth::run(
        &store,
        std::slice::from_ref(&key),
        t("2026-11-01T05:30:00Z"),
    )
    .await
    .unwrap();
    let (status, records, models, metrics) = tick_mq(&store, "2026-11-01T05:35:00Z").await;
    let all = (2 * MQ_PER_MODEL + MQ_UNNAMED) as u64;
    // the window holds every record: (950 + 700 + 10) / 2010 right, above the floor
    let overall = (950.0 + 700.0 + 10.0) / all as f64;
    assert!(overall >= FLOOR);
    assert_eq!((status, records), (ExecutionStatus::Completed, all));
    let s = models.unwrap();
    let rows: Vec<(&str, u64, ExecutionStatus, &str)> = s
        .models
        .iter()
        .map(|m| {
            (
                m.model.as_str(),
                m.records,
                m.status,
                m.baseline_prefix.as_str(),
            )
        })
        .collect();
    let n = MQ_PER_MODEL as u64;
    assert_eq!(
        rows,
        [
            ("m-a", n, ExecutionStatus::Completed, "baselines/mme-mq"),
            (
                "m-b",
                n,
                ExecutionStatus::CompletedWithViolations,
                "baselines/mme-mq"
            ),
            (
                UNATTRIBUTED,
                MQ_UNNAMED as u64,
                ExecutionStatus::Completed,
                "baselines/mme-mq"
            ),
        ]
    );
    assert_eq!(s.unattributed_records, MQ_UNNAMED as u64);
    // m-b's own files: SageMaker's model-quality statistics and its accuracy violation
    let b = s.models[1].report_prefix.clone().unwrap();
    assert_eq!(b, "reports/mme-endpoint/mme-mq/model=m-b/2026/11/01/04/");
    let stats = store.get(&format!("{b}statistics.json")).await.unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats).unwrap();
    let accuracy = &stats["binary_classification_metrics"]["accuracy"]["value"];
    assert_eq!(accuracy.as_f64(), Some(14.0 / 20.0));
    let violations = store
        .get(&format!("{b}constraint_violations.json"))
        .await
        .unwrap();
    let violations: serde_json::Value = serde_json::from_slice(&violations).unwrap();
    let names: Vec<&str> = violations["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["metric_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["accuracy"]);
    // metrics: the model-quality metrics per model with the TargetModel dimension
    assert_eq!(model_metric(&metrics, "accuracy", "m-a"), Some(19.0 / 20.0));
    assert_eq!(model_metric(&metrics, "accuracy", "m-b"), Some(14.0 / 20.0));
    let window_metric = |name: &str| {
        metrics
            .data()
            .iter()
            .find(|d| d.name == name && d.dimensions.len() == 2)
            .map(|d| (d.namespace.clone(), d.value.mean()))
    };
    let model_ns = "aws/sagemaker/Endpoints/model-metrics".to_string();
    assert_eq!(
        window_metric("accuracy"),
        Some((model_ns.clone(), Some(overall)))
    );
    assert_eq!(
        window_metric("multi_model_models"),
        Some((model_ns, Some(2.0)))
    );

    // m-b's own constraints (a floor of 0.65): judged against them; m-a falls back
    store
        .put(
            "baselines/mme-mq/models/m-b/constraints.json",
            accuracy_floor(0.65),
        )
        .await
        .unwrap();
    let (status, _, models, _) = tick_mq(&store, "2026-11-01T05:40:00Z").await;
    assert_eq!(status, ExecutionStatus::Completed);
    let s = models.unwrap();
    let rows: Vec<(&str, ExecutionStatus, &str)> = s
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.status, m.baseline_prefix.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("m-a", ExecutionStatus::Completed, "baselines/mme-mq"),
            (
                "m-b",
                ExecutionStatus::Completed,
                "baselines/mme-mq/models/m-b/"
            ),
            (UNATTRIBUTED, ExecutionStatus::Completed, "baselines/mme-mq"),
        ]
    );
}
