//! Issue 15 item 3 for the label-free estimates, end to end over the in-memory store: a
//! binary model-quality monitor with a CBPE baseline and a `segments` block (a facet slice
//! `region` and the low-confidence band). One hour of capture in which region `eu` (one
//! prediction in ten) is under covariate shift; a tick before any label (estimates per
//! slice only), the labels, and the late re-evaluation that puts each slice's realised
//! metrics beside its estimates.
//!
//! The scenario is `tests/e2e/cbpe.rs`'s (seeded, generated here): a feature `x`, the true
//! `P(y = 1 | x) = sigmoid(2x)`, a miscalibrated model scoring `sigmoid(1.2x + 0.4)`
//! (predicted label: score > 0.5), a baseline with `x ~ N(0, 2)`. In production region `us`
//! keeps `x ~ N(0, 2)` while region `eu` has `x ~ N(0, 0.6)`: its inputs crowd around the
//! decision boundary, so its accuracy drops, while the whole window, nine tenths `us`,
//! barely moves. `P(y | x)` does not change (covariate shift), CBPE's assumption.
//!
//! The accuracy floor is derived in the test: the baseline's accuracy less 0.05. Removing
//! a tenth of the window and replacing it by a slice `d` less accurate moves the window by
//! `d / 10`, so a drop that fails the slice's floor by a wide margin leaves the window's
//! estimate above it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use modelwatch_e2e::{binary_score_baseline, t};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{ground_truth, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::formats::model_quality::{ComparisonOperator, MetricConstraint};
use monitor_core::metrics::{MemoryMetricSink, MetricValue};
use monitor_core::model_quality::cbpe::{EstimatedMetrics, CBPE_FILE};
use monitor_core::segments::{SegmentsReport, SEGMENTS_FILE, SEGMENT_DIMENSION};
use monitor_core::store::{MemoryStore, ObjectStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const EP: &str = "seg-endpoint";
const M: &str = "seg-cbpe";
const N: usize = 4000;
/// One prediction in `EU_EVERY` is from region `eu`.
const EU_EVERY: usize = 10;

fn monitor() -> MonitorConfig {
    MonitorConfig::from_json(
        "seg-cbpe.json",
        format!(
            r#"{{"name": "{M}", "kind": "ModelQuality", "endpoint": "{EP}",
                "baseline_prefix": "baselines/{M}",
                "model_quality": {{"problem_type": "BinaryClassification", "positive_label": "1",
                  "probability_attribute": "0", "probability_threshold": 0.5,
                  "facet_attributes": {{"region": "1"}}}},
                "segments": {{"slices": [{{"feature": "region"}},
                  {{"low_confidence": {{"threshold": 0.5, "delta": 0.1}}}}]}}}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A row of (model score, true label) with `x ~ N(0, sd)`.
fn row(rng: &mut StdRng, sd: f64) -> (f64, u8) {
    let x: f64 = Normal::new(0.0, sd).unwrap().sample(rng);
    let y = u8::from(rng.random::<f64>() < sigmoid(2.0 * x));
    // scores rounded to 6 digits, as the capture line writes them
    ((sigmoid(1.2 * x + 0.4) * 1e6).round() / 1e6, y)
}

fn region(i: usize) -> &'static str {
    if i.is_multiple_of(EU_EVERY) {
        "eu"
    } else {
        "us"
    }
}

fn capture_line(id: usize, time: DateTime<Utc>, score: f64) -> String {
    format!(
        "{{\"captureData\":{{\"endpointInput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"1.0,{}\",\"encoding\":\"CSV\"}},\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"{score}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"ev-{id}\",\"inferenceId\":\"{id}\",\"inferenceTime\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
        region(id),
        time.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// The store with the monitor, its baselines (the accuracy floor 0.05 under the baseline's
/// accuracy, returned) and hour 03 of capture ingested as `objects` capture objects; the
/// labels of the hour (by inference id) are returned for later.
async fn scenario(objects: usize) -> (MemoryStore, f64, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(15);
    let store = MemoryStore::new();
    save_monitor(&store, &monitor()).await.unwrap();
    let validation: Vec<(f64, u8)> = (0..5000).map(|_| row(&mut rng, 2.0)).collect();
    let out = binary_score_baseline(&validation);
    let floor = out.statistics.scalar("accuracy").unwrap().value - 0.05;
    // only the accuracy floor (the suggested constraints sit at the baseline's values, which
    // a window like the baseline crosses by chance); the label-drift block kept
    let mut constraints = out.constraints.clone();
    constraints.constraints = vec![(
        "accuracy".into(),
        MetricConstraint::new(floor, ComparisonOperator::LessThanThreshold),
    )];
    if let Some(block) = &out.label_drift {
        block.write(&mut constraints);
    }
    let prefix = format!("baselines/{M}");
    for (name, bytes) in [
        ("statistics.json", out.statistics.to_json().into_bytes()),
        ("constraints.json", constraints.to_json().into_bytes()),
        (CBPE_FILE, out.cbpe.unwrap().to_json()),
    ] {
        store.put(&format!("{prefix}/{name}"), bytes).await.unwrap();
    }
    let hour = t("2026-11-01T03:00:00Z");
    let rows: Vec<(f64, u8)> = (0..N)
        .map(|i| row(&mut rng, if region(i) == "eu" { 0.6 } else { 2.0 }))
        .collect();
    // capture objects of consecutive records
    let per = N.div_ceil(objects);
    for (o, chunk) in rows.chunks(per).enumerate() {
        let key = format!("data-capture/{EP}/AllTraffic/2026/11/01/03/part-{o}.jsonl");
        let body: String = chunk
            .iter()
            .enumerate()
            .map(|(j, (s, _))| {
                let i = o * per + j;
                capture_line(i, hour + Duration::seconds((i * 3600 / N) as i64), *s)
            })
            .collect();
        store.put(&key, body.into_bytes()).await.unwrap();
        ingest::run(&store, std::slice::from_ref(&key))
            .await
            .unwrap();
    }
    let labels: String = rows
        .iter()
        .enumerate()
        .map(|(i, (_, y))| {
            format!(
                "{{\"groundTruthData\":{{\"data\":\"{y}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{i}\"}},\"eventVersion\":\"0\"}}\n"
            )
        })
        .collect();
    (store, floor, labels.into_bytes())
}

/// Ticks at `now`: the execution of hour 03 and its `segments.json`.
async fn tick_at(
    store: &MemoryStore,
    sink: &MemoryMetricSink,
    now: &str,
) -> (Execution, SegmentsReport) {
    let summary = tick::run(
        store,
        sink,
        &LocalModels,
        &TickRequest {
            now: t(now),
            monitor: Some(M.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let exec = summary
        .executions
        .into_iter()
        .find(|e| e.window_start == t("2026-11-01T03:00:00Z"))
        .expect("hour 03 evaluated");
    let key = format!("{}{SEGMENTS_FILE}", exec.report_prefix);
    let bytes = store.get(&key).await.unwrap();
    (exec, SegmentsReport::from_json(&key, &bytes).unwrap())
}

fn estimates(r: &SegmentsReport) -> BTreeMap<String, EstimatedMetrics> {
    r.segments
        .iter()
        .filter_map(|s| Some((s.segment.clone(), s.estimated_metrics.clone()?)))
        .collect()
}

// Why it is long: one scenario in sequence (before labels, labels, after), each step
// asserting what the previous left behind.
#[tokio::test]
async fn a_shifted_slice_is_estimated_below_its_floor_while_the_window_is_not() {
    let (store, floor, labels) = scenario(1).await;
    let sink = MemoryMetricSink::new();

    // 1. before any label: the window and each slice estimated
    let (exec, before) = tick_at(&store, &sink, "2026-11-01T04:05:00Z").await;
    assert_eq!(exec.status, ExecutionStatus::Failed, "no labels yet");
    let window = exec.estimated_metrics.clone().unwrap();
    assert_eq!(window.predictions, N as u64);
    assert!(window.violations.is_empty(), "{window:?} floor {floor}");
    assert!(window.metrics["accuracy"].upper >= floor);
    let est = estimates(&before);
    assert_eq!(
        est.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "low_confidence=no",
            "low_confidence=yes",
            "region=eu",
            "region=us"
        ]
    );
    let (eu, us) = (&est["region=eu"], &est["region=us"]);
    assert_eq!(eu.predictions, (N / EU_EVERY) as u64);
    assert_eq!(us.predictions + eu.predictions, window.predictions);
    assert_eq!(
        est["low_confidence=no"].predictions + est["low_confidence=yes"].predictions,
        window.predictions
    );
    // eu's estimated accuracy is below the floor beyond its interval; the window's is not
    assert!(eu.violations.contains(&"accuracy".to_string()), "{eu:?}");
    assert!(eu.metrics["accuracy"].upper < floor);
    assert!(us.violations.is_empty(), "{us:?}");
    for s in &before.segments {
        assert_eq!(s.records, 0, "no joined record yet: {s:?}");
        assert!(s.model_metrics.is_empty());
    }
    // the slice's estimates published with the Segment dimension
    let published = sink.data();
    let eu_accuracy = published
        .iter()
        .find(|d| {
            d.name == "estimated_accuracy"
                && d.dimensions
                    .iter()
                    .any(|(k, v)| k == SEGMENT_DIMENSION && v == "region=eu")
        })
        .expect("estimated_accuracy of region=eu");
    assert_eq!(
        eu_accuracy.value,
        MetricValue::Value(eu.metrics["accuracy"].value)
    );
    assert!(published.iter().any(|d| {
        d.name == "estimated_constraint_violations"
            && d.value == MetricValue::Value(eu.violations.len() as f64)
            && d.dimensions.iter().any(|(_, v)| v == "region=eu")
    }));

    // 2. the labels, three hours later
    let key = format!("ground-truth/{EP}/2026/11/01/06/labels.jsonl");
    store.put(&key, labels).await.unwrap();
    ground_truth::run(
        &store,
        std::slice::from_ref(&key),
        t("2026-11-01T06:10:00Z"),
    )
    .await
    .unwrap();

    // 3. the re-evaluation: each slice's realised metrics beside its estimates
    let (exec, after) = tick_at(&store, &sink, "2026-11-01T07:05:00Z").await;
    assert_eq!(exec.records, N as u64);
    let realised_accuracy = |e: &Execution| {
        e.model_metrics
            .iter()
            .find(|(k, _)| k == "accuracy")
            .unwrap()
            .1
    };
    assert!(realised_accuracy(&exec) >= floor, "the window passes");
    let after_est = estimates(&after);
    for s in &after.segments {
        let e = &after_est[&s.segment];
        assert_eq!(e.predictions, s.records, "every prediction labelled");
        for (m, x) in &e.metrics {
            // the same estimate as before the labels
            assert_eq!(x.value, est[&s.segment].metrics[m].value, "{m}");
            let realised = x.realised.expect("realised beside the estimate");
            assert_eq!(realised, s.model_metrics[m], "{} {m}", s.segment);
            assert!(
                x.lower <= realised && realised <= x.upper,
                "{} {m}: realised {realised} outside [{}, {}] (estimate {})",
                s.segment,
                x.lower,
                x.upper,
                x.value
            );
        }
    }
    let eu = after
        .segments
        .iter()
        .find(|s| s.segment == "region=eu")
        .unwrap();
    assert!(eu.model_metrics["accuracy"] < floor, "{eu:?}");
    assert!(eu.violations >= 1);
    // the label shares do not move under covariate shift of a symmetric x: no label drift
    assert!(!eu.label_drift.as_ref().unwrap().violated(), "{eu:?}");
}

#[tokio::test]
async fn slice_estimates_do_not_depend_on_how_the_records_are_split_into_objects() {
    let sink = MemoryMetricSink::new();
    let (one, _, _) = scenario(1).await;
    let (three, _, _) = scenario(3).await;
    let (_, a) = tick_at(&one, &sink, "2026-11-01T04:05:00Z").await;
    let (_, b) = tick_at(&three, &sink, "2026-11-01T04:05:00Z").await;
    assert_eq!(estimates(&a).len(), 4);
    assert_eq!(estimates(&a), estimates(&b));
}
