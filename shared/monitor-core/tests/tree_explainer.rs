//! The `tree` attribution explainer (exact path-dependent TreeSHAP of an XGBoost JSON
//! model, issue 12 item 7): the attribution baseline and a monitoring window over the same
//! records, through ingest and the tick on the in-memory store.
//!
//! Model: `tests/fixtures/models/xgb-binary-logistic.json` (see its README); the reference
//! SHAP values are the `shap` package's, from the script quoted in
//! `shared/drift-math/tests/tree_shap.rs`
//! (`shap.TreeExplainer(bst).shap_values(Q)`, `expected_value`).

use chrono::{DateTime, Utc};
use monitor_core::app::ingest;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::{
    is_xgboost_json, parse_tree_model, tree_explainability_baseline, ExplainabilityConfig,
    LocalModels,
};
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::ExecutionStatus;
use monitor_core::formats::clarify::ExplainabilityAnalysis;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{MemoryStore, ObjectStore};

/// Values computed in `float32` by XGBoost's TreeSHAP (through `shap`): ~7 digits.
const F32: f64 = 2e-6;

const Q: [[f64; 4]; 5] = [
    [0.5, -1.2, 0.3, 0.8],
    [-0.4, 0.9, f64::NAN, -0.2],
    [1.5, 1.5, -1.0, 1.0],
    [0.0, 0.0, 0.0, 0.0],
    [-2.0, 0.3, 1.1, -0.7],
];

/// `shap.TreeExplainer(bst).shap_values(Q)`
const SHAP: [[f64; 4]; 5] = [
    [
        2.272679328918457,
        -0.37775087356567383,
        -0.0035860110074281693,
        0.0649397000670433,
    ],
    [
        -1.0295931100845337,
        0.6987352967262268,
        0.04147852584719658,
        0.14077894389629364,
    ],
    [
        1.8242872953414917,
        0.12939542531967163,
        0.15571841597557068,
        -0.3547162115573883,
    ],
    [
        -0.8804091811180115,
        0.26410558819770813,
        -0.28282177448272705,
        -0.0006679100915789604,
    ],
    [
        -2.214775323867798,
        0.22986413538455963,
        -0.40765392780303955,
        0.006670440547168255,
    ],
];

/// `shap.TreeExplainer(bst).expected_value`
const EXPECTED_VALUE: f64 = -0.2124670147895813;

fn model_json() -> Vec<u8> {
    test_support::read_fixture("models/xgb-binary-logistic.json")
}

fn config() -> ExplainabilityConfig {
    ExplainabilityConfig::from_json(
        "analysis_config.json",
        br#"{"version": "1.0", "headers": ["f0", "f1", "f2", "f3"],
             "methods": {"shap": {"agg_method": "mean_abs"}},
             "predictor": {"model_name": "xgb", "label_headers": ["churn"]}}"#,
    )
    .unwrap()
}

/// mean_i |φ_ij| of the reference values
fn reference_global() -> Vec<f64> {
    (0..4)
        .map(|j| SHAP.iter().map(|r| r[j].abs()).sum::<f64>() / SHAP.len() as f64)
        .collect()
}

fn global_of(a: &ExplainabilityAnalysis) -> (String, Vec<(String, f64)>, f64) {
    let (label, e) = a.labels().unwrap().into_iter().next().unwrap();
    (label, e.values(), e.expected_value)
}

#[test]
fn tree_baseline_reproduces_the_shap_package() {
    assert!(is_xgboost_json(&model_json()));
    assert!(!is_xgboost_json(
        br#"{"linear": {"intercept": 0, "coefficients": {}}}"#
    ));
    let model = parse_tree_model("xgb.json", &model_json(), 0).unwrap();
    let rows: Vec<Vec<f64>> = Q.iter().map(|r| r.to_vec()).collect();
    let base = tree_explainability_baseline(&rows, &config(), "analysis_config.json", &model, None)
        .unwrap();
    let (label, values, expected) = global_of(&base.analysis);
    assert_eq!(label, "churn");
    assert!((expected - EXPECTED_VALUE).abs() < F32);
    for ((f, v), want) in values.iter().zip(reference_global()) {
        assert!((v - want).abs() < F32, "{f}: {v} vs {want}");
    }
    // features_to_explain would hide inputs the trees read
    let narrowed = ExplainabilityConfig::from_json(
        "k",
        br#"{"headers": ["f0", "f1", "f2", "f3"],
             "methods": {"shap": {"features_to_explain": ["f0"]}}}"#,
    )
    .unwrap();
    let e = tree_explainability_baseline(&rows, &narrowed, "k", &model, None).unwrap_err();
    assert!(
        e.to_string().contains("TreeSHAP explains every input"),
        "{e}"
    );
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn tree_explainer_window_of_the_baseline_records_matches_the_baseline() {
    let store = MemoryStore::new();
    let model = parse_tree_model("xgb.json", &model_json(), 0).unwrap();
    let rows: Vec<Vec<f64>> = Q.iter().map(|r| r.to_vec()).collect();
    let base = tree_explainability_baseline(&rows, &config(), "analysis_config.json", &model, None)
        .unwrap();
    store.put("models/xgb.json", model_json()).await.unwrap();
    store
        .put(
            "baselines/xgb-xai/analysis_config.json",
            base.config.to_json().into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            "baselines/xgb-xai/analysis.json",
            base.analysis.to_json().into_bytes(),
        )
        .await
        .unwrap();
    let cfg = MonitorConfig::from_json(
        "config/monitors/xgb-xai.json",
        br#"{"name": "xgb-xai", "kind": "ModelExplainability", "endpoint": "xgb-endpoint",
             "baseline_prefix": "baselines/xgb-xai",
             "explainability": {"explainer": {"tree": {"model_key": "s3://bucket/models/xgb.json"}}}}"#,
    )
    .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    // the five records, captured as CSV; the missing value is an empty field
    let mut cap = String::new();
    for (i, x) in Q.iter().enumerate() {
        let csv: Vec<String> = x
            .iter()
            .map(|v| {
                if v.is_nan() {
                    String::new()
                } else {
                    v.to_string()
                }
            })
            .collect();
        cap.push_str(
            &serde_json::json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                      "data": csv.join(","), "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                       "data": "0.5", "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("ev-{i}"), "inferenceId": format!("{i}"),
                                  "inferenceTime": format!("2026-11-01T03:0{i}:00Z")},
                "eventVersion": "0"
            })
            .to_string(),
        );
        cap.push('\n');
    }
    let key = "data-capture/xgb-endpoint/AllTraffic/2026/11/01/03/00-00-000-a.jsonl";
    store.put(key, cap.into_bytes()).await.unwrap();
    let s = ingest::run(&store, &[key.to_owned()]).await.unwrap();
    assert_eq!(s.objects[0].bad_records, 0, "{s:?}");
    let sink = MemoryMetricSink::new();
    let out = tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now: t("2026-11-01T04:05:00Z"),
            monitor: Some("xgb-xai".into()),
            window_end: None,
            stack: None,
        },
    )
    .await
    .unwrap();
    let e = &out.executions[0];
    assert_eq!(e.status, ExecutionStatus::Completed, "{}", e.exit_message);
    assert_eq!(e.records, 5);
    let window = ExplainabilityAnalysis::from_json(
        &store
            .get(&format!("{}analysis.json", e.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let (_, values, expected) = global_of(&window);
    assert!((expected - EXPECTED_VALUE).abs() < F32);
    for ((f, v), want) in values.iter().zip(reference_global()) {
        assert!((v - want).abs() < F32, "{f}: {v} vs {want}");
    }
    // the same records as the baseline: nDCG 1
    assert_eq!(e.model_metrics[0].0, "ndcg");
    assert!((e.model_metrics[0].1 - 1.0).abs() < 1e-12);
}
