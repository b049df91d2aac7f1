//! Issue 7 end to end over the in-memory store: the bias-drift monitor (captured predictions
//! with their facets, labels joined by ground-truth-merge, the bias tick) and the
//! feature-attribution monitor (captured inputs explained at ingest or by Kernel SHAP at the
//! tick), against baselines built by the same library calls as `modelwatch baseline`.
//!
//! Reference values: the windows that hold exactly the baseline's records must reproduce the
//! baseline's own numbers (the bias baseline is computed by `bias_baseline`, which
//! reproduces SageMaker Clarify's real analysis.json files in the monitor-core tests; the
//! attribution baseline's linear SHAP values are `w_j·(x_j − mean_j)`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use modelwatch_e2e::t;
use monitor_core::app::ground_truth;
use monitor_core::app::ingest;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::prepare::attribution_context;
use monitor_core::attribution::tick as tick_explain;
use monitor_core::attribution::{
    explainability_baseline, ExplainabilityConfig, LocalModels, ModelSpec,
};
use monitor_core::bias::{bias_baseline, read_bias_dataset, BiasDataFormat};
use monitor_core::config::{
    save_monitor, BiasSettings, ExplainabilitySettings, Explainer, MonitorConfig, MonitorKind,
};
use monitor_core::execution::{Execution, ExecutionStatus, Window};
use monitor_core::formats::clarify::{
    AnalysisConfig, AttributionViolations, BiasAnalysis, BiasViolations, ExplainabilityAnalysis,
};
use monitor_core::joined::predictions::PredictionAttributes;
use monitor_core::metrics::{namespaces, MemoryMetricSink};
use monitor_core::store::{MemoryStore, ObjectStore};

const EP: &str = "credit-endpoint";

/// A capture line with CSV input `input` and output payload `output` (`encoding` CSV or JSON).
fn capture_line(id: &str, time: DateTime<Utc>, input: &str, output: &str, json: bool) -> String {
    let (ct, enc) = if json {
        ("application/json", "JSON")
    } else {
        ("text/csv", "CSV")
    };
    serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": input, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": ct, "mode": "OUTPUT", "data": output, "encoding": enc}
        },
        "eventMetadata": {"eventId": format!("ev-{id}"), "inferenceId": id, "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    })
    .to_string()
        + "\n"
}

fn base_monitor(name: &str, kind: MonitorKind) -> MonitorConfig {
    MonitorConfig::new(name, kind, EP, format!("baselines/{name}"))
}

async fn tick_one(
    store: &MemoryStore,
    sink: &MemoryMetricSink,
    monitor: &str,
    now: &str,
) -> Execution {
    let s = tick::run(
        store,
        sink,
        &LocalModels,
        &TickRequest {
            now: t(now),
            monitor: Some(monitor.into()),
            window_end: None,
            stack: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(s.executions.len(), 1);
    s.executions.into_iter().next().unwrap()
}

// ---- bias drift ---------------------------------------------------------------------------

const BIAS: &str = "credit-bias";

/// Record `i` of a credit population: sex ∈ {0, 1}, region ∈ 0..4, income x; the label is
/// "repaid"; the model's probability. `biased` lowers the probability of sex = 0.
fn person(i: usize, biased: bool) -> (u8, u8, f64, u8, f64) {
    let sex = u8::from(i % 5 < 2); // 40 % sex = 1
    let region = ((i * 7) % 4) as u8;
    let x = ((i * 37) % 100) as f64 / 10.0; // 0.0 .. 9.9
    let repaid = u8::from(
        (x + f64::from(region) * 0.5 + if i.is_multiple_of(11) { 3.0 } else { 0.0 }) > 5.0,
    );
    let mut p = (x / 10.0 + f64::from(region) * 0.05).min(0.99);
    if biased && sex == 0 {
        p = (p - 0.35).max(0.01);
    }
    (sex, region, x, repaid, p)
}

fn bias_config() -> AnalysisConfig {
    AnalysisConfig::from_json(
        br#"{"version": "1.0",
             "headers": ["repaid", "sex", "region", "income", "probability"],
             "label": "repaid", "label_values_or_threshold": [1],
             "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
             "group_variable": "region",
             "probability_threshold": 0.5,
             "predicted_label": "probability"}"#,
    )
    .unwrap()
}

/// The bias baseline of records `0..n` (the CSV a user would give `modelwatch baseline`).
fn bias_baseline_of(n: usize) -> BiasAnalysis {
    let mut csv = String::from("repaid,sex,region,income,probability\n");
    for i in 0..n {
        let (sex, region, x, repaid, p) = person(i, false);
        csv.push_str(&format!("{repaid},{sex},{region},{x},{p}\n"));
    }
    let config = bias_config();
    let rows =
        read_bias_dataset(csv.as_bytes(), BiasDataFormat::Csv, &config, "train.csv").unwrap();
    bias_baseline(rows.into_iter(), &config).unwrap()
}

async fn bias_store(n: usize) -> MemoryStore {
    let store = MemoryStore::new();
    let mut cfg = base_monitor(BIAS, MonitorKind::ModelBias);
    cfg.bias = Some(BiasSettings {
        attributes: PredictionAttributes {
            keep_input_features: true, // FT needs them
            ..PredictionAttributes::default()
        },
        analysis_config_key: None,
        ground_truth_prefix: None,
        ground_truth_attribute: None,
        lookback_hours: 24,
        offset_minutes: 0,
        flip_sample: 10_000,
        merged_records: true,
    });
    save_monitor(&store, &cfg).await.unwrap();
    store
        .put(
            &format!("baselines/{BIAS}/analysis_config.json"),
            bias_config().to_json().into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            &format!("baselines/{BIAS}/analysis.json"),
            bias_baseline_of(n).to_json().into_bytes(),
        )
        .await
        .unwrap();
    store
}

/// Captures records `ids` in `hour` (one object) and uploads their labels an hour later.
async fn capture_and_label(
    store: &MemoryStore,
    hour: DateTime<Utc>,
    ids: std::ops::Range<usize>,
    biased: bool,
) -> (String, String) {
    let mut cap = String::new();
    let mut gt = String::new();
    for i in ids.clone() {
        let (sex, region, x, repaid, p) = person(i, biased);
        let id = format!("{}-{i}", hour.format("%H"));
        let time = hour + Duration::seconds((i % 3600) as i64);
        cap.push_str(&capture_line(
            &id,
            time,
            &format!("{sex},{region},{x}"),
            &p.to_string(),
            false,
        ));
        gt.push_str(&format!(
            "{{\"groundTruthData\":{{\"data\":\"{repaid}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{id}\"}},\"eventVersion\":\"0\"}}\n"
        ));
    }
    let ck = format!(
        "data-capture/{EP}/AllTraffic/{}/00-00-000-a.jsonl",
        hour.format("%Y/%m/%d/%H")
    );
    let gk = format!(
        "ground-truth/{EP}/{}/labels.jsonl",
        (hour + Duration::hours(1)).format("%Y/%m/%d/%H")
    );
    store.put(&ck, cap.into_bytes()).await.unwrap();
    store.put(&gk, gt.into_bytes()).await.unwrap();
    (ck, gk)
}

fn metric_values(a: &BiasAnalysis) -> BTreeMap<String, Option<f64>> {
    let mut out = BTreeMap::new();
    for (stage, block) in [
        ("post", &a.post_training_bias_metrics),
        ("pre", &a.pre_training_bias_metrics),
    ] {
        for (facet, e) in block.as_ref().unwrap().entries().unwrap() {
            for m in e.metrics {
                out.insert(
                    format!("{stage} {facet}={} {}", e.value_or_threshold, m.name),
                    m.value.as_f64(),
                );
            }
        }
    }
    out
}

// Why it is long: both windows (the baseline's own records, then a biased model) share one
// store and one baseline, and the second is only meaningful next to the first.
#[tokio::test]
async fn bias_window_of_the_baseline_records_reproduces_the_baseline_and_a_biased_model_drifts() {
    let n = 1200;
    let store = bias_store(n).await;
    let sink = MemoryMetricSink::new();
    let h3 = t("2026-11-01T03:00:00Z");
    let h5 = t("2026-11-01T05:00:00Z");

    // hour 03: the baseline's own records; hour 05: the same population, biased model
    let (c3, g3) = capture_and_label(&store, h3, 0..n, false).await;
    let (c5, g5) = capture_and_label(&store, h5, 0..n, true).await;
    for c in [&c3, &c5] {
        let s = ingest::run(&store, std::slice::from_ref(c)).await.unwrap();
        assert_eq!(s.objects[0].records, n as u64);
    }
    let m3 = ground_truth::run(&store, std::slice::from_ref(&g3), t("2026-11-01T04:10:00Z"))
        .await
        .unwrap();
    assert_eq!(
        (m3.objects[0].matched, m3.objects[0].pending),
        (n as u64, 0)
    );
    ground_truth::run(&store, std::slice::from_ref(&g5), t("2026-11-01T06:10:00Z"))
        .await
        .unwrap();

    // hour 03 evaluated at 04:05: every metric equals the baseline's → no violation
    let e3 = tick_one(&store, &sink, BIAS, "2026-11-01T04:05:00Z").await;
    assert_eq!(e3.status, ExecutionStatus::Completed, "{}", e3.exit_message);
    assert_eq!(e3.records, n as u64);
    assert_eq!(e3.label_coverage.as_ref().unwrap().matched, n as u64);
    let prefix3 = e3.report_prefix.clone();
    let a3 = BiasAnalysis::from_json(&store.get(&format!("{prefix3}analysis.json")).await.unwrap())
        .unwrap();
    let base = metric_values(&bias_baseline_of(n));
    let got = metric_values(&a3);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        base.keys().collect::<Vec<_>>()
    );
    for (k, b) in &base {
        match (b, got[k]) {
            (Some(b), Some(g)) => assert!(
                (b - g).abs() <= 1e-12 * b.abs().max(1.0) || (b.is_infinite() && b == &g),
                "{k}: window {g} vs baseline {b}"
            ),
            (None, None) => {}
            other => panic!("{k}: {other:?}"),
        }
    }
    // FT is computed from the captured inputs (all numeric) as from the baseline's columns
    assert!(base.contains_key("post sex=0 FT") && base["post sex=0 FT"].is_some());
    let v3 = BiasViolations::from_json(
        &store
            .get(&format!("{prefix3}constraint_violations.json"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(v3.violations.is_empty());

    // hour 05: the model now favours sex = 1 → DPPL and DI move away from neutral
    let e5 = tick_one(&store, &sink, BIAS, "2026-11-01T06:05:00Z").await;
    assert_eq!(e5.status, ExecutionStatus::CompletedWithViolations);
    let v5 = BiasViolations::from_json(
        &store
            .get(&format!("{}constraint_violations.json", e5.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let flagged: Vec<(&str, &str, &str)> = v5
        .violations
        .iter()
        .map(|v| {
            (
                v.metric_name.as_str(),
                v.facet.as_str(),
                v.facet_value.as_str(),
            )
        })
        .collect();
    for code in ["DPPL", "DI"] {
        assert!(
            flagged.contains(&(code, "sex", "0")),
            "{code} not in {flagged:?}"
        );
    }
    assert!(v5
        .violations
        .iter()
        .all(|v| v.constraint_check_type == "bias_drift_check"));
    // pre-training metrics depend on labels only: unchanged, never flagged
    for pre in ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"] {
        assert!(!flagged.iter().any(|(c, _, _)| *c == pre), "{pre} flagged");
    }
    assert_eq!(e5.violations, v5.violations.len());
    assert_eq!(
        e5.violations_by_check["bias_drift_check"],
        v5.violations.len() as u64
    );

    // metrics: spec §7.4 names and dimensions
    let data = sink.data();
    let dppl: Vec<_> = data
        .iter()
        .filter(|d| d.name == "bias_metric_DPPL")
        .collect();
    assert_eq!(dppl.len(), 2, "one per window");
    assert!(dppl
        .iter()
        .all(|d| d.namespace == namespaces::BIAS_ENDPOINT));
    let dims: BTreeMap<&str, &str> = dppl[0]
        .dimensions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(dims["BiasStage"], "Post-Training");
    assert_eq!(dims["Facet"], "sex");
    assert_eq!(dims["FacetValue"], "0");
    assert_eq!(dims["Label"], "repaid");
    assert_eq!(dims["LabelValue"], "1");
    assert_eq!(dims["MonitoringSchedule"], BIAS);
    // the monitor's totals, which the template's per-monitor alarm watches
    let totals: Vec<f64> = data
        .iter()
        .filter(|d| {
            d.name == "constraint_violations_total" && d.namespace == namespaces::BIAS_ENDPOINT
        })
        .filter_map(|d| d.value.mean())
        .collect();
    assert_eq!(totals, vec![0.0, e5.violations as f64]);
}

#[tokio::test]
async fn bias_reports_do_not_depend_on_event_order_or_replays() {
    let n = 300;
    let run = |order: Vec<usize>, replays: usize| async move {
        let store = bias_store(n).await;
        let sink = MemoryMetricSink::new();
        let h3 = t("2026-11-01T03:00:00Z");
        let mut keys = Vec::new();
        for (part, ids) in [(0usize, 0..100usize), (1, 100..200), (2, 200..300)] {
            let mut cap = String::new();
            let mut gt = String::new();
            for i in ids {
                let (sex, region, x, repaid, p) = person(i, i % 3 == 0);
                let id = format!("r{i}");
                cap.push_str(&capture_line(
                    &id,
                    h3 + Duration::seconds(i as i64 * 7),
                    &format!("{sex},{region},{x}"),
                    &p.to_string(),
                    false,
                ));
                gt.push_str(&format!("{{\"groundTruthData\":{{\"data\":\"{repaid}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{id}\"}},\"eventVersion\":\"0\"}}\n"));
            }
            let ck = format!("data-capture/{EP}/AllTraffic/2026/11/01/03/{part:02}-00-000-x.jsonl");
            let gk = format!("ground-truth/{EP}/2026/11/01/04/labels-{part}.jsonl");
            store.put(&ck, cap.into_bytes()).await.unwrap();
            store.put(&gk, gt.into_bytes()).await.unwrap();
            keys.push((ck, gk));
        }
        for _ in 0..replays {
            for &o in &order {
                ingest::run(&store, std::slice::from_ref(&keys[o].0))
                    .await
                    .unwrap();
            }
            for &o in &order {
                ground_truth::run(
                    &store,
                    std::slice::from_ref(&keys[o].1),
                    t("2026-11-01T04:30:00Z"),
                )
                .await
                .unwrap();
            }
        }
        let e = tick_one(&store, &sink, BIAS, "2026-11-01T04:05:00Z").await;
        let mut files = Vec::new();
        for k in store.list(&e.report_prefix).await.unwrap() {
            files.push((k.clone(), store.get(&k).await.unwrap()));
        }
        files
    };
    let once = run(vec![0, 1, 2], 1).await;
    assert_eq!(
        once.len(),
        4,
        "analysis.json, constraint_violations.json, execution.json, report.html (issue 14)"
    );
    assert_eq!(run(vec![2, 0, 1], 3).await, once);
}

#[tokio::test]
async fn bias_window_without_baseline_or_labels_fails_with_a_reason() {
    let store = MemoryStore::new();
    let mut cfg = base_monitor(BIAS, MonitorKind::ModelBias);
    cfg.bias = Some(BiasSettings {
        attributes: PredictionAttributes::default(),
        analysis_config_key: None,
        ground_truth_prefix: None,
        ground_truth_attribute: None,
        lookback_hours: 24,
        offset_minutes: 0,
        flip_sample: 100,
        merged_records: true,
    });
    save_monitor(&store, &cfg).await.unwrap();
    let sink = MemoryMetricSink::new();
    let e = tick_one(&store, &sink, BIAS, "2026-11-01T04:05:00Z").await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(
        e.exit_message.contains("analysis_config.json"),
        "{}",
        e.exit_message
    );
    // A missing analysis config is an error (issue 11 item 2): it counts in
    // failed_executions, per monitor and stack-wide; a window without labels does not.
    let failed: Vec<(String, usize)> = sink
        .take()
        .into_iter()
        .map(|d| (format!("{}/{}", d.namespace, d.name), d.dimensions.len()))
        .collect();
    assert_eq!(
        failed,
        [
            ("modelwatch/failed_executions".to_string(), 2),
            ("modelwatch/failed_executions".to_string(), 0),
        ]
    );

    let store = bias_store(10).await;
    let e = tick_one(&store, &sink, BIAS, "2026-11-01T04:05:00Z").await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(
        e.exit_message.contains("No ground truth joined"),
        "{}",
        e.exit_message
    );
    assert!(sink.data().is_empty());
}

// ---- feature attribution ------------------------------------------------------------------

const XAI: &str = "credit-xai";

fn coefficients() -> BTreeMap<String, f64> {
    [("a", 3.0), ("b", 1.0), ("c", 0.2)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Record `i`: three features; `reranked` shrinks `a` and blows `c` up, so `c` dominates.
fn features(i: usize, reranked: bool) -> [f64; 3] {
    let a = ((i * 13) % 10) as f64;
    let b = ((i * 7) % 10) as f64;
    let c = ((i * 3) % 10) as f64;
    if reranked {
        [5.0 + a * 0.01, b, c * 100.0]
    } else {
        [a, b, c]
    }
}

fn xai_config() -> ExplainabilityConfig {
    ExplainabilityConfig::from_json(
        "analysis_config.json",
        br#"{"version": "1.0", "headers": ["a", "b", "c"],
             "methods": {"shap": {"num_samples": 100, "agg_method": "mean_abs", "seed": 7}},
             "predictor": {"model_name": "credit-model", "label_headers": ["repaid"]}}"#,
    )
    .unwrap()
}

async fn xai_store(n: usize, explainer: Explainer) -> (MemoryStore, ExplainabilityAnalysis) {
    let rows: Vec<Vec<f64>> = (0..n).map(|i| features(i, false).to_vec()).collect();
    let base = explainability_baseline(
        &rows,
        &xai_config(),
        "analysis_config.json",
        &ModelSpec::Linear {
            intercept: 0.5,
            coefficients: coefficients(),
        },
        None,
    )
    .unwrap();
    let store = MemoryStore::new();
    let mut cfg = base_monitor(XAI, MonitorKind::ModelExplainability);
    cfg.explainability = Some(ExplainabilitySettings {
        explainer,
        analysis_config_key: None,
        ndcg_threshold: 0.9,
    });
    save_monitor(&store, &cfg).await.unwrap();
    store
        .put(
            &format!("baselines/{XAI}/analysis_config.json"),
            base.config.to_json().into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            &format!("baselines/{XAI}/analysis.json"),
            base.analysis.to_json().into_bytes(),
        )
        .await
        .unwrap();
    (store, base.analysis)
}

/// Captures records `ids` in `hour`; the output carries the model's own attributions
/// (exact linear SHAP against the baseline mean `mean`).
async fn capture_xai(
    store: &MemoryStore,
    hour: DateTime<Utc>,
    ids: std::ops::Range<usize>,
    reranked: bool,
    mean: [f64; 3],
) {
    let w = [3.0, 1.0, 0.2];
    let mut cap = String::new();
    for i in ids {
        let x = features(i, reranked);
        let score = 0.5 + x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>();
        let shap: serde_json::Map<String, serde_json::Value> = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(j, f)| (f.to_string(), serde_json::json!(w[j] * (x[j] - mean[j]))))
            .collect();
        let out = serde_json::json!({"score": score, "explanations": {"shap": shap}}).to_string();
        cap.push_str(&capture_line(
            &format!("{}-{i}", hour.format("%H")),
            hour + Duration::seconds((i % 3600) as i64),
            &format!("{},{},{}", x[0], x[1], x[2]),
            &out,
            true,
        ));
    }
    let key = format!(
        "data-capture/{EP}/AllTraffic/{}/00-00-000-a.jsonl",
        hour.format("%Y/%m/%d/%H")
    );
    store.put(&key, cap.into_bytes()).await.unwrap();
    let s = ingest::run(store, std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(s.objects[0].monitors, vec![XAI.to_string()]);
    assert_eq!(s.objects[0].bad_records, 0);
}

fn global_of(a: &ExplainabilityAnalysis) -> (String, Vec<(String, f64)>, f64) {
    let (label, e) = a.labels().unwrap().into_iter().next().unwrap();
    (label, e.values(), e.expected_value)
}

async fn xai_run(
    explainer: Explainer,
) -> (
    ExplainabilityAnalysis,
    Vec<Execution>,
    MemoryStore,
    MemoryMetricSink,
) {
    let n = 500;
    let (store, baseline) = xai_store(n, explainer).await;
    let mean = [4.5, 4.5, 4.5]; // every feature cycles through 0..9 over 500 records
    capture_xai(&store, t("2026-11-01T03:00:00Z"), 0..n, false, mean).await;
    capture_xai(&store, t("2026-11-01T05:00:00Z"), 0..n, true, mean).await;
    let sink = MemoryMetricSink::new();
    let e3 = tick_one(&store, &sink, XAI, "2026-11-01T04:05:00Z").await;
    let e5 = tick_one(&store, &sink, XAI, "2026-11-01T06:05:00Z").await;
    (baseline, vec![e3, e5], store, sink)
}

async fn check_xai(explainer: Explainer, tol: f64) {
    let (baseline, execs, store, sink) = xai_run(explainer).await;
    let (label, base_values, base_expected) = global_of(&baseline);
    assert_eq!(label, "repaid");
    // baseline: mean |w_j (x_j − 4.5)| = w_j · 2.5 for a feature cycling through 0..9
    // (numpy: np.mean(np.abs(np.arange(10) - 4.5)) = 2.5)
    let expected_base = [("a", 7.5), ("b", 2.5), ("c", 0.5)];
    for ((f, v), (ef, ev)) in base_values.iter().zip(expected_base) {
        assert_eq!(f, ef);
        assert!((v - ev).abs() < 1e-12, "{f}: {v} vs {ev}");
    }
    assert!((base_expected - (0.5 + 4.5 * 4.2)).abs() < 1e-12);

    // hour 03: the baseline's records → the same global values, nDCG 1, no violation
    let e3 = &execs[0];
    assert_eq!(e3.status, ExecutionStatus::Completed, "{}", e3.exit_message);
    assert_eq!(e3.records, 500);
    let a3 = ExplainabilityAnalysis::from_json(
        &store
            .get(&format!("{}analysis.json", e3.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let (l3, v3, x3) = global_of(&a3);
    assert_eq!(l3, "repaid");
    for ((f, v), (_, b)) in v3.iter().zip(&base_values) {
        assert!((v - b).abs() < tol, "{f}: window {v} vs baseline {b}");
    }
    assert!((x3 - base_expected).abs() < tol);
    assert_eq!(e3.model_metrics[0].0, "ndcg");
    assert!((e3.model_metrics[0].1 - 1.0).abs() < 1e-12);

    // hour 05: c dominates, a is nearly constant → the ranking flips, nDCG < 0.9
    let e5 = &execs[1];
    assert_eq!(
        e5.status,
        ExecutionStatus::CompletedWithViolations,
        "{}",
        e5.exit_message
    );
    let v5 = AttributionViolations::from_json(
        &store
            .get(&format!("{}constraint_violations.json", e5.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v5.violations.len(), 1);
    let v = &v5.violations[0];
    assert_eq!(
        (
            v.label.as_str(),
            v.metric_name.as_str(),
            v.constraint_check_type.as_str()
        ),
        ("repaid", "shap", "feature_attribution_drift_check")
    );
    let score = e5.model_metrics[0].1;
    assert!(score < 0.9);
    assert!(
        v.description.ends_with("exceeds threshold 0.9"),
        "{}",
        v.description
    );

    // metrics: spec §7.5
    let data = sink.data();
    let names: Vec<&str> = data.iter().map(|d| d.name.as_str()).collect();
    for n in ["feature_a", "feature_b", "feature_c", "ExpectedValue"] {
        assert_eq!(names.iter().filter(|x| **x == n).count(), 2, "{n}");
    }
    assert!(data
        .iter()
        .all(|d| d.namespace == namespaces::EXPLAINABILITY_ENDPOINT));
}

#[tokio::test]
async fn attributions_from_a_linear_explainer() {
    check_xai(
        Explainer::Linear {
            intercept: 0.5,
            coefficients: coefficients(),
        },
        1e-12,
    )
    .await;
}

#[tokio::test]
async fn attributions_captured_in_the_endpoint_output() {
    check_xai(
        Explainer::Captured {
            pointer: "/explanations/shap".into(),
        },
        1e-12,
    )
    .await;
}

#[tokio::test]
async fn attributions_by_kernel_shap_through_a_model_invoker() {
    // Kernel SHAP on a linear model equals exact SHAP (every coalition of 3 features is
    // enumerated): the window's global values match the linear baseline within 1e-6.
    check_xai(
        Explainer::Kernel {
            model: ModelSpec::Linear {
                intercept: 0.5,
                coefficients: coefficients(),
            },
            max_records: 1000,
        },
        1e-6,
    )
    .await;
}

#[tokio::test]
async fn kernel_sample_is_bounded_and_the_same_for_any_split() {
    // max_records 50 of 500: the tick explains a bottom-k sample by join-key hash, the same
    // whether the records arrive in one object or in five
    let explainer = Explainer::Kernel {
        model: ModelSpec::Logistic {
            intercept: -2.0,
            coefficients: coefficients(),
        },
        max_records: 50,
    };
    let mean = [4.5, 4.5, 4.5];
    let (store_a, _) = xai_store(500, explainer.clone()).await;
    capture_xai(&store_a, t("2026-11-01T03:00:00Z"), 0..500, false, mean).await;
    let (store_b, _) = xai_store(500, explainer).await;
    for part in 0..5 {
        let h = t("2026-11-01T03:00:00Z");
        let mut cap = String::new();
        for i in part * 100..(part + 1) * 100 {
            let x = features(i, false);
            cap.push_str(&capture_line(
                &format!("03-{i}"),
                h + Duration::seconds((i % 3600) as i64),
                &format!("{},{},{}", x[0], x[1], x[2]),
                "{}",
                true,
            ));
        }
        let key = format!("data-capture/{EP}/AllTraffic/2026/11/01/03/{part:02}-00-000-b.jsonl");
        store_b.put(&key, cap.into_bytes()).await.unwrap();
        ingest::run(&store_b, std::slice::from_ref(&key))
            .await
            .unwrap();
    }
    let cfg = monitor_core::config::load_monitors(&store_a)
        .await
        .unwrap()
        .remove(0);
    let ctx = attribution_context(&store_a, &cfg).await.unwrap();
    let window = Window::new(t("2026-11-01T03:00:00Z"), t("2026-11-01T04:00:00Z"));
    let wa = tick_explain::merge_attribution_window(&store_a, &cfg, &ctx, window)
        .await
        .unwrap();
    let wb = tick_explain::merge_attribution_window(&store_b, &cfg, &ctx, window)
        .await
        .unwrap();
    assert_eq!(wa.records, 500);
    assert_eq!(wa.sample.len(), 50);
    assert_eq!(wa.sample, wb.sample);
    // the Kernel SHAP tick through the invoker port gives the same report either way
    let sink = MemoryMetricSink::new();
    let req = TickRequest {
        now: t("2026-11-01T04:05:00Z"),
        monitor: None,
        window_end: None,
        stack: None,
    };
    let ea = tick::run(&store_a, &sink, &LocalModels, &req)
        .await
        .unwrap();
    let eb = tick::run(&store_b, &sink, &LocalModels, &req)
        .await
        .unwrap();
    let pa = &ea.executions[0].report_prefix;
    assert_eq!(&eb.executions[0].report_prefix, pa);
    assert_eq!(ea.executions[0].status, eb.executions[0].status);
    assert_eq!(
        store_a.get(&format!("{pa}analysis.json")).await.unwrap(),
        store_b.get(&format!("{pa}analysis.json")).await.unwrap()
    );
}
