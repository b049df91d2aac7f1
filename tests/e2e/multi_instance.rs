//! Issue 12 items 2 and 5 end to end over the in-memory store: requests of several
//! instances in SageMaker's JSON layouts (`{"instances": [...]}` answered by
//! `{"predictions": [{"score", "predicted_label"}, ...]}`), their ground truth as
//! `{"instances": [{"label": ..}, ...]}`, selected by SageMaker's JMESPath-style attributes;
//! single-instance CSV requests of the same endpoint keep joining by their own key.

use chrono::{DateTime, Duration, Utc};
use modelwatch_e2e::{put_accuracy_floor, t, tick_one};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{ground_truth, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::formats::model_quality::ModelQualityStatistics;
use monitor_core::metrics::{MemoryMetricSink, MetricValue};
use monitor_core::store::{MemoryStore, ObjectStore};
use serde_json::{json, Value};

const EP: &str = "xgb-endpoint";
const M: &str = "xgb-mq";
/// Instances per JSON request.
const K: usize = 5;
/// JSON requests.
const REQUESTS: usize = 20;
/// Single-instance CSV requests, ids after the JSON ones.
const SINGLES: usize = 10;

/// The monitor as `config/monitors/xgb-mq.json` would hold it (the example config of
/// `examples/monitors/multi-instance-model-quality.json`).
fn monitor() -> MonitorConfig {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/monitors/multi-instance-model-quality.json"
    ))
    .unwrap();
    MonitorConfig::from_json("multi-instance-model-quality.json", &text).unwrap()
}

/// Score of instance `i` (global numbering) and its true label: score (i*37 % 100)/100,
/// label 1 when (i*37 % 100) >= 40 except every 7th instance (noise).
fn score(i: usize) -> f64 {
    ((i * 37) % 100) as f64 / 100.0
}
fn truth(i: usize) -> u8 {
    u8::from(((i * 37) % 100 >= 40) != i.is_multiple_of(7))
}
fn predicted(i: usize) -> u8 {
    u8::from(score(i) > 0.5)
}

fn side(content_type: &str, data: String, mode: &str) -> Value {
    json!({"observedContentType": content_type, "mode": mode, "data": data, "encoding": if content_type == "text/csv" { "CSV" } else { "JSON" }})
}

fn capture_line(id: &str, time: DateTime<Utc>, input: Value, output: Value) -> String {
    let mut line = json!({
        "captureData": {"endpointInput": input, "endpointOutput": output},
        "eventMetadata": {"eventId": format!("ev-{id}"), "inferenceId": id, "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    })
    .to_string();
    line.push('\n');
    line
}

/// Request `r` of `K` instances, the global instance numbers `r*K .. r*K + K`.
fn json_request(r: usize, time: DateTime<Utc>) -> String {
    let ids = r * K..(r + 1) * K;
    let instances: Vec<Value> = ids
        .clone()
        .map(|i| json!({"features": [i, i % 3]}))
        .collect();
    let predictions: Vec<Value> = ids
        .map(|i| json!({"score": score(i), "predicted_label": predicted(i)}))
        .collect();
    capture_line(
        &format!("req-{r}"),
        time,
        side(
            "application/json",
            json!({ "instances": instances }).to_string(),
            "INPUT",
        ),
        side(
            "application/json",
            json!({ "predictions": predictions }).to_string(),
            "OUTPUT",
        ),
    )
}

/// The ground truth of request `r`: `{"instances": [{"label": ..}, ...]}`.
fn json_labels(r: usize) -> String {
    let labels: Vec<Value> = (r * K..(r + 1) * K)
        .map(|i| json!({"label": truth(i)}))
        .collect();
    let mut line = json!({
        "groundTruthData": {"data": json!({"instances": labels}).to_string(), "encoding": "JSON"},
        "eventMetadata": {"eventId": format!("req-{r}")},
        "eventVersion": "0"
    })
    .to_string();
    line.push('\n');
    line
}

/// A single-instance CSV request `i` (global instance number) answered by one CSV row
/// `score,label` and its CSV ground truth: keys stay the request's own.
fn single_request(i: usize, time: DateTime<Utc>) -> String {
    let output = json!({"predictions": [{"score": score(i), "predicted_label": predicted(i)}]});
    capture_line(
        &format!("one-{i}"),
        time,
        side("text/csv", format!("{i},{}", i % 3), "INPUT"),
        side("application/json", output.to_string(), "OUTPUT"),
    )
}

fn single_label(i: usize) -> String {
    format!(
        "{{\"groundTruthData\":{{\"data\":\"{{\\\"instances\\\": [{{\\\"label\\\": {}}}]}}\",\"encoding\":\"JSON\"}},\"eventMetadata\":{{\"eventId\":\"one-{i}\"}},\"eventVersion\":\"0\"}}\n",
        truth(i)
    )
}

#[tokio::test]
async fn one_prediction_per_instance_joined_to_one_label_per_instance() {
    let store = MemoryStore::new();
    let cfg = monitor();
    assert_eq!(cfg.name, M);
    save_monitor(&store, &cfg).await.unwrap();
    put_accuracy_floor(&store, M, 0.0).await;

    // capture: 20 JSON requests of 5 instances and 10 single-instance requests in hour 03
    let h3 = t("2026-11-01T03:00:00Z");
    let singles = REQUESTS * K..REQUESTS * K + SINGLES;
    let body: String = (0..REQUESTS)
        .map(|r| json_request(r, h3 + Duration::seconds(r as i64)))
        .chain(
            singles
                .clone()
                .map(|i| single_request(i, h3 + Duration::minutes(30))),
        )
        .collect();
    let capture_key = format!("data-capture/{EP}/AllTraffic/2026/11/01/03/00-00-000-a.jsonl");
    store.put(&capture_key, body.into_bytes()).await.unwrap();
    ingest::run(&store, std::slice::from_ref(&capture_key))
        .await
        .unwrap();

    // ground truth collected at 04: one record per request
    let labels: String = (0..REQUESTS)
        .map(json_labels)
        .chain(singles.clone().map(single_label))
        .collect();
    let label_key = format!("ground-truth/{EP}/2026/11/01/04/labels.jsonl");
    store.put(&label_key, labels.into_bytes()).await.unwrap();
    let merged = ground_truth::run(
        &store,
        std::slice::from_ref(&label_key),
        t("2026-11-01T04:10:00Z"),
    )
    .await
    .unwrap();
    let instances = (REQUESTS * K + SINGLES) as u64;
    assert_eq!(merged.objects[0].labels, instances);
    assert_eq!(
        (merged.objects[0].matched, merged.objects[0].pending),
        (instances, 0)
    );

    // the tick of the 03:00 window
    let sink = MemoryMetricSink::new();
    let exec = tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now: t("2026-11-01T05:05:00Z"),
            monitor: Some(M.into()),
            window_end: Some(h3 + Duration::hours(1)),
            stack: None,
        },
    )
    .await
    .unwrap()
    .executions
    .remove(0);
    let coverage = exec.label_coverage.clone().unwrap();
    assert_eq!(
        (coverage.predictions, coverage.matched),
        (instances, instances)
    );
    assert_eq!(exec.records, instances);
    let stats = ModelQualityStatistics::from_json(
        &store
            .get(&format!("{}statistics.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    // accuracy by direct counting over every instance
    let all = 0..REQUESTS * K + SINGLES;
    let right = all.clone().filter(|&i| predicted(i) == truth(i)).count();
    let expected = right as f64 / all.len() as f64;
    let got = stats.scalar("accuracy").unwrap().value;
    assert!(
        (got - expected).abs() < 1e-12,
        "accuracy {got} vs {expected}"
    );
    // the label coverage is a metric beside SageMaker's
    let coverage_metric = sink
        .data()
        .into_iter()
        .find(|d| d.name == "label_coverage")
        .expect("label_coverage published");
    assert_eq!(
        coverage_metric.namespace,
        "aws/sagemaker/Endpoints/model-metrics"
    );
    assert_eq!(coverage_metric.value, MetricValue::Value(1.0));

    // merged records: one per request, in SageMaker's layout with endpointInput
    let mut lines = Vec::new();
    for key in store
        .list(&format!("state/merged/{M}/{EP}/AllTraffic/2026/11/01/03/"))
        .await
        .unwrap()
    {
        let body = store.get(&key).await.unwrap();
        for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            lines.push(serde_json::from_slice::<Value>(line).unwrap());
        }
    }
    assert_eq!(lines.len(), REQUESTS + SINGLES);
    let original_labels = std::str::from_utf8(&store.get(&label_key).await.unwrap())
        .unwrap()
        .to_string();
    for v in &lines {
        let keys: Vec<&str> = v["captureData"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["endpointInput", "endpointOutput"]);
        assert!(v["captureData"]["endpointInput"]["data"].is_string());
        let id = v["eventMetadata"]["inferenceId"].as_str().unwrap();
        let data = v["groundTruthData"]["data"].as_str().unwrap();
        if id.starts_with("req-") {
            // the whole ground-truth record of the request, as collected
            assert_eq!(v["groundTruthData"]["encoding"], "JSON");
            let written = json!({"data": data}).to_string();
            assert!(
                original_labels.contains(&written[8..written.len() - 1]),
                "{data}"
            );
            assert_eq!(
                serde_json::from_str::<Value>(data).unwrap()["instances"]
                    .as_array()
                    .unwrap()
                    .len(),
                K
            );
        } else {
            assert!(id.starts_with("one-"));
            assert!(data == "0" || data == "1", "{data}");
        }
    }
}

// ---- feature attribution: one explained record per instance ------------------------------

const XAI: &str = "xgb-xai";

/// Record `i`: three features, each cycling through 0..9.
fn xai_features(i: usize) -> [f64; 3] {
    [
        ((i * 13) % 10) as f64,
        ((i * 7) % 10) as f64,
        ((i * 3) % 10) as f64,
    ]
}

/// Requests of `K` instances in SageMaker's `{"instances": [{"features": [..]}, ..]}`
/// layout (`instances[*].features`) are explained instance by instance: a window holding the
/// baseline's rows reproduces the baseline's global SHAP values, over one record per instance.
#[tokio::test]
async fn attributions_are_one_record_per_instance() {
    use monitor_core::config::Explainer;
    let coefficients = [("a", 3.0), ("b", 1.0), ("c", 0.2)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    attributions_per_instance(Explainer::Linear {
        intercept: 0.5,
        coefficients,
    })
    .await;
}

/// The model's own attributions, one set per instance (`explanations[*].shap`).
#[tokio::test]
async fn captured_attributions_are_one_set_per_instance() {
    use monitor_core::config::Explainer;
    attributions_per_instance(Explainer::Captured {
        pointer: "explanations[*].shap".into(),
    })
    .await;
}

async fn attributions_per_instance(explainer: monitor_core::config::Explainer) {
    use monitor_core::attribution::{explainability_baseline, ExplainabilityConfig, ModelSpec};
    use monitor_core::config::{ExplainabilitySettings, MonitorKind};
    use monitor_core::execution::ExecutionStatus;
    use monitor_core::formats::clarify::ExplainabilityAnalysis;

    let w = [3.0, 1.0, 0.2];
    let coefficients: std::collections::BTreeMap<String, f64> = ["a", "b", "c"]
        .into_iter()
        .zip(w)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let n = 500;
    let config = ExplainabilityConfig::from_json(
        "analysis_config.json",
        br#"{"version": "1.0", "headers": ["a", "b", "c"],
             "methods": {"shap": {"num_samples": 100, "agg_method": "mean_abs", "seed": 7}},
             "predictor": {"model_name": "xgb", "label_headers": ["score"]}}"#,
    )
    .unwrap();
    let rows: Vec<Vec<f64>> = (0..n).map(|i| xai_features(i).to_vec()).collect();
    let base = explainability_baseline(
        &rows,
        &config,
        "analysis_config.json",
        &ModelSpec::Linear {
            intercept: 0.5,
            coefficients,
        },
        None,
    )
    .unwrap();
    let store = MemoryStore::new();
    let mut cfg = MonitorConfig::from_json(
        "xai.json",
        format!(r#"{{"name": "{XAI}", "kind": "ModelExplainability", "endpoint": "{EP}", "baseline_prefix": "baselines/{XAI}", "explainability": {{"explainer": {{"captured": {{"pointer": "/x"}}}}}}}}"#).as_bytes(),
    )
    .unwrap();
    assert_eq!(cfg.kind, MonitorKind::ModelExplainability);
    cfg.explainability = Some(ExplainabilitySettings {
        explainer,
        analysis_config_key: None,
        ndcg_threshold: 0.9,
    });
    save_monitor(&store, &cfg).await.unwrap();
    for (file, body) in [
        ("analysis_config.json", base.config.to_json()),
        ("analysis.json", base.analysis.to_json()),
    ] {
        store
            .put(&format!("baselines/{XAI}/{file}"), body.into_bytes())
            .await
            .unwrap();
    }
    // the baseline's 500 rows as 100 requests of 5 instances; the output carries each
    // instance's exact linear SHAP values w_j (x_j − 4.5) (every feature's baseline mean is 4.5)
    let h3 = t("2026-11-01T03:00:00Z");
    let body: String = (0..n / K)
        .map(|r| {
            let ids = r * K..(r + 1) * K;
            let instances: Vec<Value> = ids
                .clone()
                .map(|i| json!({ "features": xai_features(i) }))
                .collect();
            let explanations: Vec<Value> = ids
                .map(|i| {
                    let x = xai_features(i);
                    json!({"shap": {"a": w[0] * (x[0] - 4.5), "b": w[1] * (x[1] - 4.5), "c": w[2] * (x[2] - 4.5)}})
                })
                .collect();
            capture_line(
                &format!("x-{r}"),
                h3 + Duration::seconds(r as i64),
                side(
                    "application/json",
                    json!({ "instances": instances }).to_string(),
                    "INPUT",
                ),
                side(
                    "application/json",
                    json!({ "explanations": explanations }).to_string(),
                    "OUTPUT",
                ),
            )
        })
        .collect();
    let key = format!("data-capture/{EP}/AllTraffic/2026/11/01/03/00-00-000-x.jsonl");
    store.put(&key, body.into_bytes()).await.unwrap();
    let s = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(s.objects[0].bad_records, 0);
    let exec = tick_one(
        &store,
        XAI,
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
    assert_eq!(exec.records, n as u64);
    let window = ExplainabilityAnalysis::from_json(
        &store
            .get(&format!("{}analysis.json", exec.report_prefix))
            .await
            .unwrap(),
    )
    .unwrap();
    let values =
        |a: &ExplainabilityAnalysis| a.labels().unwrap().into_iter().next().unwrap().1.values();
    // linear SHAP: mean |w_j (x_j − 4.5)| = w_j · 2.5 for a feature cycling through 0..9
    // (numpy: np.mean(np.abs(np.arange(10) - 4.5)) = 2.5), as in the baseline
    let got = values(&window);
    assert_eq!(got.len(), 3);
    for ((f, v), w) in got.iter().zip(w) {
        assert!((v - w * 2.5).abs() < 1e-12, "{f}: {v}");
    }
    for ((_, v), (_, b)) in got.iter().zip(values(&base.analysis)) {
        assert!((v - b).abs() < 1e-12);
    }
}
