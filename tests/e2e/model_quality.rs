//! Issue 5 end to end over the in-memory store: predictions captured by capture-ingest,
//! labels joined by ground-truth-merge (before their predictions, hours after, twice, never),
//! and the model-quality tick.

use chrono::{DateTime, Duration, TimeZone, Utc};
use modelwatch_e2e::{mq_constraint, put_accuracy_floor, t, tick_one};
use monitor_core::app::ground_truth;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{baseline, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::{save_monitor, ModelQualitySettings, MonitorConfig, MonitorKind};
use monitor_core::execution::ExecutionStatus;
use monitor_core::formats::model_quality::{
    ComparisonOperator, ModelQualityStatistics, ModelQualityViolations, ProblemType,
};
use monitor_core::joined::labels::LabelObjectState;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::model_quality::QualityOptions;
use monitor_core::store::{MemoryStore, ObjectStore, StateFile};

const EP: &str = "churn-endpoint";
const M: &str = "churn-mq";

fn monitor() -> MonitorConfig {
    MonitorConfig {
        model_quality: Some(ModelQualitySettings::binary("1")),
        ..MonitorConfig::new(M, MonitorKind::ModelQuality, EP, format!("baselines/{M}"))
    }
}

/// A capture line whose model output is `score`, with inferenceId `id`.
fn capture_line(id: usize, time: DateTime<Utc>, score: f64) -> String {
    format!(
        "{{\"captureData\":{{\"endpointInput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"1,2,3\",\"encoding\":\"CSV\"}},\"endpointOutput\":{{\"observedContentType\":\"text/csv; charset=utf-8\",\"mode\":\"OUTPUT\",\"data\":\"{score}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"ev-{id}\",\"inferenceId\":\"{id}\",\"inferenceTime\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
        time.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

fn label_line(id: usize, label: u8) -> String {
    format!(
        "{{\"groundTruthData\":{{\"data\":\"{label}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{id}\"}},\"eventVersion\":\"0\"}}\n"
    )
}

/// Deterministic scores and labels: record i has score (i*37 % 100)/100 and label
/// 1 when (i*37 % 100) >= 40 except every 7th record (noise).
fn score(i: usize) -> f64 {
    ((i * 37) % 100) as f64 / 100.0
}
fn truth(i: usize) -> u8 {
    let positive = (i * 37) % 100 >= 40;
    u8::from(positive != i.is_multiple_of(7))
}

async fn put_capture(
    store: &MemoryStore,
    hour: DateTime<Utc>,
    file: &str,
    ids: std::ops::Range<usize>,
) -> String {
    let key = format!(
        "data-capture/{EP}/AllTraffic/{}/{file}.jsonl",
        hour.format("%Y/%m/%d/%H")
    );
    let body: String = ids
        .map(|i| capture_line(i, hour + Duration::seconds((i % 3600) as i64), score(i)))
        .collect();
    store.put(&key, body.into_bytes()).await.unwrap();
    ingest::run(store, std::slice::from_ref(&key))
        .await
        .unwrap();
    key
}

async fn put_labels(
    store: &MemoryStore,
    hour: DateTime<Utc>,
    file: &str,
    ids: impl Iterator<Item = usize>,
    now: DateTime<Utc>,
) -> ground_truth::MergeSummary {
    let key = format!(
        "ground-truth/{EP}/{}/{file}.jsonl",
        hour.format("%Y/%m/%d/%H")
    );
    let body: String = ids.map(|i| label_line(i, truth(i))).collect();
    store.put(&key, body.into_bytes()).await.unwrap();
    ground_truth::run(store, std::slice::from_ref(&key), now)
        .await
        .unwrap()
}

async fn setup() -> MemoryStore {
    let store = MemoryStore::new();
    save_monitor(&store, &monitor()).await.unwrap();
    // Constraints: accuracy must not drop below 0.8.
    put_accuracy_floor(&store, M, 0.8).await;
    store
}

/// Reference accuracy of records `ids` by direct counting (threshold 0.5, score > t).
fn accuracy(ids: impl Iterator<Item = usize>) -> f64 {
    let (mut right, mut n) = (0, 0);
    for i in ids {
        let predicted = u8::from(score(i) > 0.5);
        right += usize::from(predicted == truth(i));
        n += 1;
    }
    right as f64 / n as f64
}

// Why it is long: the four label timings (before, after, twice, never) act on one store in
// sequence, and each step asserts the coverage the previous steps left behind.
#[tokio::test]
async fn labels_before_after_twice_and_never() {
    let store = setup().await;
    let h3 = t("2026-11-01T03:00:00Z");
    let sink = MemoryMetricSink::new();

    // Predictions 0..300 captured in hour 03 (first file now, second file later).
    put_capture(&store, h3, "00-00-000-a", 0..200).await;

    // Labels for 0..250 collected at 04: 200..250 arrive BEFORE their predictions.
    let s = put_labels(
        &store,
        h3 + Duration::hours(1),
        "labels-a",
        0..250,
        t("2026-11-01T04:10:00Z"),
    )
    .await;
    assert_eq!((s.objects[0].matched, s.objects[0].pending), (200, 50));

    // The same ground-truth event delivered twice: identical state, nothing counted twice.
    let state_key = s.objects[0].state_key.clone();
    let first = store.get(&state_key).await.unwrap();
    put_labels(
        &store,
        h3 + Duration::hours(1),
        "labels-a",
        0..250,
        t("2026-11-01T04:10:00Z"),
    )
    .await;
    assert_eq!(store.get(&state_key).await.unwrap(), first);

    // The late predictions (200..300) land; 250..300 never get labels.
    put_capture(&store, h3, "00-30-000-b", 200..300).await;

    // Labels that arrive hours after (collected at 07) for a second batch of hour-03 predictions.
    put_capture(&store, h3, "00-45-000-c", 300..400).await;
    let s = put_labels(
        &store,
        h3 + Duration::hours(4),
        "labels-late",
        300..400,
        t("2026-11-01T07:05:00Z"),
    )
    .await;
    assert_eq!(s.objects[0].matched, 100);

    // Labels whose predictions never come.
    let s = put_labels(
        &store,
        h3 + Duration::hours(1),
        "labels-orphan",
        9000..9010,
        t("2026-11-01T04:20:00Z"),
    )
    .await;
    assert_eq!(s.objects[0].pending, 10);

    // The tick (08:05, evaluating the 03:00 window via window_end) retries the pending labels.
    let exec = tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now: t("2026-11-01T08:05:00Z"),
            monitor: Some(M.into()),
            window_end: Some(h3 + Duration::hours(1)),
            stack: None,
        },
    )
    .await
    .unwrap()
    .executions
    .remove(0);
    let cov = exec.label_coverage.clone().unwrap();
    assert_eq!(cov.predictions, 400);
    assert_eq!(
        cov.matched, 350,
        "0..250 and 300..400; 250..300 never labelled"
    );
    assert_eq!(exec.records, 350);
    let stats = ModelQualityStatistics::from_json(
        &store
            .get(&format!("{}statistics.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let expected = accuracy((0..250).chain(300..400));
    let got = stats.scalar("accuracy").unwrap().value;
    assert!(
        (got - expected).abs() < 1e-12,
        "accuracy {got} vs {expected}"
    );
    assert!(stats.scalar("auc").unwrap().value > 0.5);
    let violations = ModelQualityViolations::from_json(
        &store
            .get(&format!("{}constraint_violations.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        exec.status,
        if expected < 0.8 {
            ExecutionStatus::CompletedWithViolations
        } else {
            ExecutionStatus::Completed
        }
    );
    assert_eq!(violations.violations.len(), usize::from(expected < 0.8));
    // metrics went to the model-metrics namespace with SageMaker's names
    let data = sink.data();
    assert!(data
        .iter()
        .any(|d| d.name == "accuracy" && d.namespace == "aws/sagemaker/Endpoints/model-metrics"));

    // The orphan labels expire once the look-back has passed (label hour 04 + 1 h + 24 h).
    tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now: t("2026-11-02T06:00:00Z"),
            monitor: Some(M.into()),
            window_end: Some(h3 + Duration::hours(1)),
            stack: None,
        },
    )
    .await
    .unwrap();
    let orphan_key = format!("state/mq/{M}/2026/11/01/04/labels-orphan.json");
    let orphan =
        LabelObjectState::from_json(&orphan_key, &store.get(&orphan_key).await.unwrap()).unwrap();
    assert!(orphan.expired);
    assert_eq!(orphan.pending, 10);
    // Merged records in SageMaker's layout exist for the matched labels.
    let merged = store
        .list(&format!("state/merged/{M}/{EP}/AllTraffic/2026/11/01/03/"))
        .await
        .unwrap();
    let lines: usize = {
        let mut n = 0;
        for k in &merged {
            n += store
                .get(k)
                .await
                .unwrap()
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
        }
        n
    };
    assert_eq!(lines, 350);
}

#[tokio::test]
async fn a_window_without_labels_fails_with_a_reason() {
    let store = setup().await;
    let h3 = t("2026-11-01T03:00:00Z");
    put_capture(&store, h3, "00-00-000-a", 0..10).await;
    let exec = tick_one(
        &store,
        M,
        TickRequest {
            now: t("2026-11-01T04:05:00Z"),
            ..Default::default()
        },
    )
    .await
    .0;
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(
        exec.exit_message.contains("No ground truth"),
        "{}",
        exec.exit_message
    );
    assert_eq!(exec.label_coverage.unwrap().predictions, 10);
}

#[tokio::test]
async fn merged_state_of_random_splits_equals_the_whole() {
    // The same 400 labels in 1 object vs split over 8 objects: identical metrics.
    let whole = setup().await;
    let split = setup().await;
    let h3 = t("2026-11-01T03:00:00Z");
    let now = t("2026-11-01T05:00:00Z");
    for s in [&whole, &split] {
        put_capture(s, h3, "00-00-000-a", 0..400).await;
    }
    put_labels(&whole, h3 + Duration::hours(1), "all", 0..400, now).await;
    for part in 0..8 {
        put_labels(
            &split,
            h3 + Duration::hours(1),
            &format!("part-{part}"),
            (0..400).filter(move |i| (i * 13 + part) % 8 == 0),
            now,
        )
        .await;
    }
    let run = |s: MemoryStore| async move {
        let e = tick_one(
            &s,
            M,
            TickRequest {
                now,
                window_end: Some(h3 + Duration::hours(1)),
                ..Default::default()
            },
        )
        .await
        .0;
        e.model_metrics
    };
    let (a, b) = (run(whole).await, run(split).await);
    assert!(!a.is_empty());
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        // counts and histograms merge exactly, so the values are equal (NaN = NaN here)
        assert!(
            va == vb || (va.is_nan() && vb.is_nan()),
            "{ka}: {va} vs {vb}"
        );
    }
}

#[tokio::test]
async fn quality_baseline_feeds_the_monitor() {
    // A BinaryClassification baseline from SageMaker's churn validation file
    // (probability,prediction,label; prediction = probability > 0.8 in the notebook).
    let csv = std::fs::read(modelwatch_e2e::fixture(
        "sagemaker/datasets/ex-churn-validation_with_predictions.csv",
    ))
    .unwrap();
    let out = baseline::build_model_quality(
        &csv[..],
        "validation_with_predictions.csv",
        &baseline::QualityBaselineRequest {
            quality: QualityOptions {
                problem_type: ProblemType::BinaryClassification,
                positive_label: "1".into(),
            },
            ground_truth_attribute: "label".into(),
            inference_attribute: Some("prediction".into()),
            probability_attribute: Some("probability".into()),
            probability_threshold: 0.8,
        },
    )
    .unwrap();
    assert!(out.rows > 0);
    let names: Vec<&str> = out
        .constraints
        .constraints()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    for m in [
        "recall",
        "precision",
        "accuracy",
        "auc",
        "f2",
        "false_positive_rate",
    ] {
        assert!(names.contains(&m), "{m} missing from {names:?}");
    }
    let _ = Utc.timestamp_opt(0, 0);
}

/// Issue 11 item 2: a regression ground-truth label `1e200` was stored as `null` in the
/// model-quality state and every tick of the look-back aborted. Now it (and `inf`) is counted
/// as a bad label by kind, the other labels are joined, the state reads back and the window
/// completes.
#[tokio::test]
async fn a_poison_regression_label_is_counted_and_the_window_completes() {
    let store = MemoryStore::new();
    let mut cfg = monitor();
    if let Some(mq) = cfg.model_quality.as_mut() {
        mq.quality.problem_type = ProblemType::Regression;
    }
    save_monitor(&store, &cfg).await.unwrap();
    let c = mq_constraint(
        ProblemType::Regression,
        "mae",
        1e6,
        ComparisonOperator::GreaterThanThreshold,
    );
    store
        .put(&format!("baselines/{M}/constraints.json"), c)
        .await
        .unwrap();
    let h3 = t("2026-11-01T03:00:00Z");
    put_capture(&store, h3, "00-00-000-a", 0..10).await;
    // ids 0..10 get label "0.5", except id 3 (`1e200`, beyond ±1e100) and id 4 (`inf`)
    let body: String = (0..10)
        .map(|i| {
            let label = match i {
                3 => "1e200",
                4 => "inf",
                _ => "0.5",
            };
            format!(
                "{{\"groundTruthData\":{{\"data\":\"{label}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{i}\"}},\"eventVersion\":\"0\"}}\n"
            )
        })
        .collect();
    let key = format!(
        "ground-truth/{EP}/{}/labels.jsonl",
        h3.format("%Y/%m/%d/%H")
    );
    store.put(&key, body.into_bytes()).await.unwrap();
    let merged = ground_truth::run(
        &store,
        std::slice::from_ref(&key),
        t("2026-11-01T03:30:00Z"),
    )
    .await
    .unwrap();
    let obj = &merged.objects[0];
    assert_eq!((obj.labels, obj.matched, obj.bad_records), (8, 8, 2));
    let state =
        LabelObjectState::from_json(&obj.state_key, &store.get(&obj.state_key).await.unwrap())
            .expect("the state reads back");
    assert_eq!(state.bad_records.by_kind["out_of_range"].first_lines, [4]);
    assert_eq!(state.bad_records.by_kind["non_finite"].first_lines, [5]);
    let exec = tick_one(
        &store,
        M,
        TickRequest {
            now: t("2026-11-01T04:05:00Z"),
            ..Default::default()
        },
    )
    .await
    .0;
    assert_eq!(
        exec.status,
        ExecutionStatus::Completed,
        "{}",
        exec.exit_message
    );
    assert_eq!(exec.label_coverage.unwrap().matched, 8);
}

/// Issue 11 item 8: the same labels uploaded again under another key (another file name, a
/// later hour, the lines in another order) counted twice. Each object's state now carries a
/// digest of its labels, and a window counts an object whose labels equal an earlier one's
/// once; other objects (other labels) still count.
#[tokio::test]
async fn the_same_labels_under_another_key_count_once() {
    let store = setup().await;
    let h3 = t("2026-11-01T03:00:00Z");
    let now = t("2026-11-01T06:10:00Z");
    put_capture(&store, h3, "00-00-000-a", 0..250).await;
    let a = put_labels(&store, h3 + Duration::hours(1), "labels-a", 0..200, now).await;
    let copy = put_labels(
        &store,
        h3 + Duration::hours(2),
        "labels-a-again",
        (0..200).rev(),
        now,
    )
    .await;
    let b = put_labels(&store, h3 + Duration::hours(1), "labels-b", 200..250, now).await;
    let matched: Vec<u64> = [&a, &copy, &b]
        .iter()
        .map(|s| s.objects[0].matched)
        .collect();
    assert_eq!(matched, [200, 200, 50], "each object joins on its own");
    let state = |s: &ground_truth::MergeSummary| {
        let key = s.objects[0].state_key.clone();
        let store = store.clone();
        async move { LabelObjectState::from_json(&key, &store.get(&key).await.unwrap()).unwrap() }
    };
    let (sa, scopy, sb) = (state(&a).await, state(&copy).await, state(&b).await);
    assert!(sa.labels_digest.is_some());
    assert_eq!(
        sa.labels_digest, scopy.labels_digest,
        "same labels, same digest"
    );
    assert_ne!(sa.labels_digest, sb.labels_digest);

    let exec = tick_one(
        &store,
        M,
        TickRequest {
            now,
            window_end: Some(h3 + Duration::hours(1)),
            ..Default::default()
        },
    )
    .await
    .0;
    let cov = exec.label_coverage.clone().unwrap();
    assert_eq!(cov.predictions, 250);
    assert_eq!(cov.matched, 250, "0..200 once, 200..250 once");
    assert_eq!(exec.records, 250);
}
