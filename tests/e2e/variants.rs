//! Issue 15, item 4, end to end over the in-memory store: an endpoint with production
//! variants, capture-ingest per object (the variant is a level of the capture key),
//! ground-truth merge, and the tick's `variant_comparison.json` and `Variant` metrics. The
//! monitors are the example configs `examples/monitors/ab-variants-*.json`.
//!
//! Reference values: the venv `/root/.cache/mw-ref-variants` (statsmodels 0.14, SciPy 1.x);
//! each call is written beside the number it produced.

use chrono::{DateTime, Duration, Utc};
use modelwatch_e2e::{
    csv_baseline, csv_capture_line, put_accuracy_floor, report_file, report_html, spread, t,
    tick_one,
};
use monitor_core::app::tick::TickRequest;
use monitor_core::app::{ground_truth, ingest};
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{MemoryStore, ObjectStore};
use monitor_core::variants::{VariantComparison, VARIANT_COMPARISON_FILE, VARIANT_DIMENSION};

const EP: &str = "ab-endpoint";
const HOUR: &str = "2026-11-01T03:00:00Z";

/// Writes the capture object of `variant` and runs capture-ingest on it.
async fn put_capture(store: &MemoryStore, variant: &str, lines: String) {
    let key = format!("data-capture/{EP}/{variant}/2026/11/01/03/{variant}-0.jsonl");
    store.put(&key, lines.into_bytes()).await.unwrap();
    ingest::run(store, std::slice::from_ref(&key))
        .await
        .unwrap();
}

/// Ticks `monitor`'s window of [`HOUR`]: its comparison, its metrics, and its `report.html`.
async fn tick_window(
    store: &MemoryStore,
    monitor: &str,
) -> (VariantComparison, MemoryMetricSink, String) {
    let req = TickRequest {
        now: t("2026-11-01T04:05:00Z"),
        ..Default::default()
    };
    let (exec, metrics) = tick_one(store, monitor, req).await;
    let (key, bytes) = report_file(store, &exec, VARIANT_COMPARISON_FILE).await;
    let html = report_html(store, &exec).await;
    (
        VariantComparison::from_json(&key, &bytes).unwrap(),
        metrics,
        html,
    )
}

#[tokio::test]
async fn a_shifted_variant_drifts_from_the_reference_and_an_identical_one_does_not() {
    let store = MemoryStore::new();
    // baseline: score, x ~ U[0, 10), cat over a/b/c
    let mut csv = String::from("score,x,cat\n");
    for i in 0..3000 {
        let x = spread(i, 0);
        csv.push_str(&format!(
            "{:.3},{x:.4},{}\n",
            x / 10.0,
            ["a", "b", "c"][i % 3]
        ));
    }
    csv_baseline(&store, "datasets/train.csv", csv, "baselines/ab-dq").await;
    let cfg = MonitorConfig::from_json(
        "ab-variants-data-quality.json",
        include_bytes!("../../examples/monitors/ab-variants-data-quality.json"),
    )
    .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    let hour = t(HOUR);
    // A and B: the baseline's distribution; C: x shifted by +2 (every other feature as A)
    const SHIFT: f64 = 2.0;
    for (variant, phase, shift) in [("A", 11, 0.0), ("B", 517, 0.0), ("C", 11, SHIFT)] {
        let lines: String = (0..2000)
            .map(|i| {
                let x = spread(i, phase);
                let time = hour + Duration::seconds((i % 3600) as i64);
                let input = format!("{:.4},{}", x + shift, ["a", "b", "c"][i % 3]);
                csv_capture_line(format!("{variant}{i}"), time, x / 10.0, &input)
            })
            .collect();
        put_capture(&store, variant, lines).await;
    }
    let (c, metrics, html) = tick_window(&store, "ab-dq").await;
    // the report's Variants section: one heading per compared variant with its verdict
    assert!(html.contains("id=\"variants\""));
    assert!(html.contains("<h3>B against A: no significant difference</h3>"));
    assert!(html.contains("<h3>C against A: differs</h3>"));
    assert_eq!(c.reference, "A");
    let names: Vec<(&str, u64)> = c
        .variants
        .iter()
        .map(|v| (v.variant.as_str(), v.records))
        .collect();
    assert_eq!(names, [("A", 2000), ("B", 2000), ("C", 2000)]);
    let b = c.comparisons.iter().find(|p| p.variant == "B").unwrap();
    assert!(
        !b.differs,
        "identical distributions flagged: {:?}",
        b.data_drift
    );
    assert!(b.data_drift.iter().all(|f| f.decision != "Drift"));
    let cc = c.comparisons.iter().find(|p| p.variant == "C").unwrap();
    assert!(cc.differs);
    let drifted: Vec<&str> = cc
        .data_drift
        .iter()
        .filter(|f| f.decision == "Drift")
        .map(|f| f.feature.as_str())
        .collect();
    assert_eq!(drifted, ["x"]);
    // the effect is the normalised Wasserstein distance: a shift of 2 over the reference's
    // standard deviation, 10/sqrt(12) for U[0, 10) (within the sketch's and the sequence's error)
    let x = cc
        .data_drift
        .iter()
        .find(|f| f.feature == "x" && f.check == "baseline_drift_check")
        .unwrap();
    let expected = SHIFT / (10.0 / 12f64.sqrt());
    assert!(
        (x.effect - expected).abs() < 0.02,
        "{} vs {expected}",
        x.effect
    );
    // metrics with the Variant dimension
    let published = metrics.data();
    let drift_c = published
        .iter()
        .find(|d| {
            d.name == "variant_feature_drift_x"
                && d.dimensions
                    .iter()
                    .any(|(k, v)| k == VARIANT_DIMENSION && v == "C")
        })
        .unwrap();
    assert_eq!(drift_c.value.mean(), Some(x.effect));
    let drifted_counts: Vec<(String, f64)> = published
        .iter()
        .filter(|d| d.name == "variant_drifted_features")
        .map(|d| (d.dimensions[2].1.clone(), d.value.mean().unwrap()))
        .collect();
    assert_eq!(
        drifted_counts,
        [("B".to_string(), 0.0), ("C".to_string(), 1.0)]
    );
}

/// Variant A: 500 positives all scored 0.9; of 500 negatives 300 at 0.1 and `fp` at 0.9.
fn binary_lines(variant: &str, fp: usize, hour: DateTime<Utc>) -> (String, String) {
    let (mut capture, mut labels) = (String::new(), String::new());
    for i in 0..1000 {
        let id = format!("{variant}{i}");
        let positive = i < 500;
        let score = if positive || i >= 1000 - fp { 0.9 } else { 0.1 };
        let time = hour + Duration::seconds((i % 3600) as i64);
        capture.push_str(&csv_capture_line(&id, time, score, "1,2"));
        labels.push_str(&format!(
            "{{\"groundTruthData\":{{\"data\":\"{}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{id}\"}},\"eventVersion\":\"0\"}}\n",
            u8::from(positive)
        ));
    }
    (capture, labels)
}

#[tokio::test]
async fn model_metrics_of_two_variants_differ_with_the_reference_tests() {
    let store = MemoryStore::new();
    let cfg = MonitorConfig::from_json(
        "ab-variants-model-quality.json",
        include_bytes!("../../examples/monitors/ab-variants-model-quality.json"),
    )
    .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    put_accuracy_floor(&store, "ab-mq", 0.5).await;
    let hour = t(HOUR);
    // A: TP 500, TN 300, FP 200 (accuracy 0.8, AUC 0.6 + 0.5·0.4 = 0.8);
    // B: TP 500, TN 350, FP 150 (accuracy 0.85, AUC 0.7 + 0.5·0.3 = 0.85); C as A.
    for (variant, fp) in [("A", 200), ("B", 150), ("C", 200)] {
        let (capture, labels) = binary_lines(variant, fp, hour);
        put_capture(&store, variant, capture).await;
        let key = format!("ground-truth/{EP}/2026/11/01/03/{variant}.jsonl");
        store.put(&key, labels.into_bytes()).await.unwrap();
        ground_truth::run(
            &store,
            std::slice::from_ref(&key),
            t("2026-11-01T03:30:00Z"),
        )
        .await
        .unwrap();
    }
    let (c, metrics, html) = tick_window(&store, "ab-mq").await;
    assert!(html.contains("<h3>B against A: differs</h3>"));
    assert!(html.contains("hanley_mcneil_z"));
    assert_eq!(c.reference, "A");
    let b = c.comparisons.iter().find(|p| p.variant == "B").unwrap();
    let m = |name: &str| b.model_metrics.iter().find(|m| m.metric == name).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    // statsmodels proportions_ztest([850, 800], [1000, 1000]) -> (2.942449431682494, 0.0032562696284121158)
    // confint_proportions_2indep(850, 1000, 800, 1000, method='wald', compare='diff')
    //   -> (0.01676719375452073, 0.08323280624547913)
    let acc = m("accuracy");
    assert_eq!((acc.reference_value, acc.value), (0.8, 0.85));
    assert!(close(acc.p_value, 0.0032562696284121158));
    assert!(close(acc.lower, 0.01676719375452073) && close(acc.upper, 0.08323280624547913));
    // proportions_ztest([500, 500], [650, 700]) -> (2.301797809412464, 0.021346577157544358)
    assert!(close(m("precision").p_value, 0.021346577157544358));
    // proportions_ztest([150, 200], [500, 500]) -> (-3.3149677206589807, 0.0009165370761145276)
    // confint_proportions_2indep(150, 500, 200, 500, method='wald', compare='diff')
    //   -> (-0.15879891953620168, -0.041201080463798403)
    let fpr = m("false_positive_rate");
    assert!(close(fpr.p_value, 0.0009165370761145276));
    assert!(close(fpr.lower, -0.15879891953620168) && close(fpr.upper, -0.041201080463798403));
    // recall is 1 on both sides: no difference to test
    assert_eq!((m("recall").difference, m("recall").p_value), (0.0, 1.0));
    // Hanley & McNeil (drift_math::compare tests for the formula), AUC 0.8 vs 0.85, 500/500:
    //   se = math.hypot(hm(0.8, 500, 500), hm(0.85, 500, 500)); 2*norm.sf(0.05/se)
    //   -> 0.00722433857281858; 0.05 ∓ norm.ppf(0.975)*se -> 0.013519566223229425, 0.08648043377677059
    let auc = m("auc");
    assert!((auc.reference_value - 0.8).abs() < 1e-6 && (auc.value - 0.85).abs() < 1e-6);
    assert!((auc.p_value - 0.00722433857281858).abs() < 1e-6);
    assert!((auc.lower - 0.013519566223229425).abs() < 1e-6);
    // scipy.stats.false_discovery_control([acc, prec, 1.0, fpr, auc], method='bh')
    //   -> [0.00814067407103029, 0.026683221446930448, 1.0, 0.004582685380572638, 0.012040564288030967]
    assert!(close(acc.adjusted_p_value, 0.00814067407103029));
    assert!(close(m("precision").adjusted_p_value, 0.026683221446930448));
    let significant: Vec<&str> = b
        .model_metrics
        .iter()
        .filter(|m| m.significant)
        .map(|m| m.metric.as_str())
        .collect();
    assert_eq!(
        significant,
        ["accuracy", "precision", "false_positive_rate", "auc"]
    );
    assert!(b.differs);
    // C is A again: nothing differs
    let same = c.comparisons.iter().find(|p| p.variant == "C").unwrap();
    assert!(!same.differs);
    assert!(same
        .model_metrics
        .iter()
        .all(|m| m.difference == 0.0 && m.p_value == 1.0));
    // every variant's own accuracy, under the Variant dimension
    let per_variant: Vec<(String, f64)> = metrics
        .data()
        .iter()
        .filter(|d| d.name == "accuracy" && d.dimensions.len() == 3)
        .map(|d| (d.dimensions[2].1.clone(), d.value.mean().unwrap()))
        .collect();
    assert_eq!(
        per_variant,
        [("A".into(), 0.8), ("B".into(), 0.85), ("C".into(), 0.8)]
    );
}

/// The demo's A/B hour: the challenger's shifted `monthly_charges` is found against the
/// champion, and nothing the shift does not touch.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_hour_finds_the_challengers_shift() {
    use modelwatch::demo::ab::{run_ab_hour, CHALLENGER, CHAMPION};
    let dir = modelwatch_e2e::temp_dir("ab-demo");
    let store = monitor_core::store::LocalStore::new(&dir);
    let scenario = modelwatch::scenario::Scenario {
        records_per_hour: 3_000,
        records_per_file: 1_000,
        ..modelwatch::scenario::Scenario::new(42)
    };
    let c = run_ab_hour(&store, &scenario).await.unwrap();
    assert_eq!(c.reference, CHAMPION);
    let records: Vec<(&str, u64)> = c
        .variants
        .iter()
        .map(|v| (v.variant.as_str(), v.records))
        .collect();
    assert_eq!(records, [(CHALLENGER, 3_000), (CHAMPION, 3_000)]);
    let pair = &c.comparisons[0];
    assert_eq!(pair.variant, CHALLENGER);
    let drifted: Vec<&str> = pair
        .data_drift
        .iter()
        .filter(|f| f.decision == "Drift")
        .map(|f| f.feature.as_str())
        .collect();
    // the model's score reads monthly_charges, so it may move with it; nothing else does
    assert!(drifted.contains(&"monthly_charges"), "{drifted:?}");
    assert!(
        drifted
            .iter()
            .all(|f| ["monthly_charges", "score"].contains(f)),
        "{drifted:?}"
    );
}
