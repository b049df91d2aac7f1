//! Issue 12 item 4 end to end over the in-memory store: SageMaker batch-transform data
//! capture (manifest + `.out` objects) through capture-ingest, ground-truth merge and the
//! tick, on the visible fixtures (tests/fixtures/sagemaker/PROVENANCE-batch.md):
//!
//! - the churn CSV transform (output manifest fixture, the notebook's input rows, the
//!   merged CSV record) for a data-quality and a model-quality monitor;
//! - the adult JSON transform (one document of 334 instances under ONE inference id, and
//!   its merged record) for a model-quality monitor joining `{id}#{i}`;
//! - the adult JSON Lines transform (5 lines with `SageMakerOutput` and `features`);
//! - the input manifest (ignored), an object in another bucket and bad lines.

use modelwatch_e2e::{put_accuracy_floor, read_fixture, t};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{baseline, ground_truth, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::batch::merged::MergedBatchRecord;
use monitor_core::data_quality::dataset::{DatasetFormat, NoProgress};
use monitor_core::execution::ExecutionStatus;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{MemoryStore, ObjectStore};
use serde_json::Value;

/// The account bucket of the churn notebook (masked account id, as in the manifest).
const BUCKET: &str = "sagemaker-us-west-2-000000000000";
/// The churn transform's output folder, as the output manifest fixture names it.
const CHURN_OUT_PREFIX: &str =
    "sagemaker/DEMO-ClarifyModelMonitor-1674106771-acb2/transform-output/";
/// The inference time of the churn `.out` lines (the transform job's start; the manifest
/// fixture lies in the hour folder 2023/01/19/05).
const CHURN_TIME: &str = "2023-01-19T05:20:36Z";

fn text(rel: &str) -> String {
    String::from_utf8(read_fixture(&format!("sagemaker/{rel}"))).unwrap()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

async fn put_json(store: &MemoryStore, key: &str, v: &Value) {
    store.put(key, v.to_string().into_bytes()).await.unwrap();
}

async fn put_monitor(store: &MemoryStore, v: Value) {
    let key = format!("config/monitors/{}.json", v["name"].as_str().unwrap());
    put_json(store, &key, &v).await;
}

/// Model-quality constraints: accuracy must not drop below 0.5.
async fn put_mq_constraints(store: &MemoryStore, monitor: &str) {
    put_accuracy_floor(store, monitor, 0.5).await;
}

/// A UUID-shaped inference id for churn row `i` (row 0 keeps the merged fixture's id).
fn churn_id(i: usize, merged: &MergedBatchRecord) -> String {
    if i == 0 {
        merged.event_id.clone()
    } else {
        format!("{i:08x}-0000-4000-8000-{i:012x}")
    }
}

/// A synthetic model score of churn row `i` (row 0 keeps the merged fixture's score):
/// (i·37 mod 100) / 100.
fn churn_score(i: usize) -> f64 {
    ((i * 37) % 100) as f64 / 100.0
}

/// A synthetic label of churn row `i`: 1 when the score is above 0.5, flipped on every
/// 5th row (so accuracy is not 1).
fn churn_label(i: usize) -> u8 {
    u8::from((churn_score(i) > 0.5) != i.is_multiple_of(5))
}

fn ticked(now: &str, end: &str) -> TickRequest {
    TickRequest {
        now: t(now),
        monitor: None,
        window_end: Some(t(end)),
        stack: None,
    }
}

/// Every datum of `monitor`: SageMaker's batch namespaces, `MonitoringSchedule` only.
fn assert_batch_metrics(sink: &MemoryMetricSink, monitor: &str, namespace: &str) {
    let mine: Vec<_> = sink
        .data()
        .into_iter()
        .filter(|d| d.dimensions.iter().any(|(_, v)| v == monitor))
        .collect();
    assert!(
        mine.iter().any(|d| d.namespace == namespace),
        "no datum in {namespace}"
    );
    for d in &mine {
        assert!(
            d.namespace.starts_with("aws/sagemaker/ModelMonitoring/"),
            "{}",
            d.namespace
        );
        assert_eq!(
            d.dimensions,
            [("MonitoringSchedule".to_string(), monitor.to_string())],
            "{}",
            d.name
        );
    }
}

// Why it is long: one store carries the churn transform through ingest (twice: a replayed
// event), merge and tick for two monitors, asserting each stage's output in turn.
#[tokio::test]
async fn churn_csv_transform_ingest_merge_tick() {
    let store = MemoryStore::new();
    // data quality: the baseline of the churn training set (Churn first, then the 69
    // features), the batch line's score first and its 69 input columns after it
    let base = baseline::build(
        read_fixture("sagemaker/datasets/ex-churn-training-dataset-with-header.csv").as_slice(),
        "train.csv",
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .unwrap();
    let dq_prefix = "baselines/churn-batch-dq";
    store
        .put(
            &format!("{dq_prefix}/statistics.json"),
            base.statistics_json().into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            &format!("{dq_prefix}/constraints.json"),
            base.constraints_json().into_bytes(),
        )
        .await
        .unwrap();
    let destination = format!("s3://{BUCKET}/batch-capture/churn");
    let batch = serde_json::json!({
        "data_captured_destination_s3_uri": destination,
        "dataset_format": {"csv": {"header": false}},
    });
    put_monitor(
        &store,
        serde_json::json!({"name": "churn-batch-dq", "baseline_prefix": dq_prefix,
            "batch_transform": batch}),
    )
    .await;
    put_monitor(
        &store,
        serde_json::json!({"name": "churn-batch-mq", "kind": "ModelQuality",
            "baseline_prefix": "baselines/churn-batch-mq",
            "batch_transform": batch,
            "model_quality": {"problem_type": "BinaryClassification", "positive_label": "1",
                "probability_attribute": "0"}}),
    )
    .await;
    put_mq_constraints(&store, "churn-batch-mq").await;

    // the .out object: each input row, its score, GenerateInferenceId's two columns; row 0
    // is the merged fixture's data exactly (the same first row, as the transform wrote it)
    let merged = MergedBatchRecord::parse(
        text("ground-truth/ex-merged-churn-batch-csv-2023-01-19.jsonl").as_bytes(),
    )
    .unwrap();
    let rows = text("datasets/ex-churn-test-dataset-input-cols.csv");
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows.len(), 334);
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let data = if i == 0 {
            merged.data.clone()
        } else {
            format!("{row},{}", churn_score(i))
        };
        out.push_str(&format!("{data},{},{CHURN_TIME}\n", churn_id(i, &merged)));
    }
    let out_key = format!("{CHURN_OUT_PREFIX}test-dataset-input-cols.csv.out");
    store.put(&out_key, out.into_bytes()).await.unwrap();
    let manifest_key = "batch-capture/churn/output/2023/01/19/05/b7d2f1a0.json";
    store
        .put(
            manifest_key,
            read_fixture("sagemaker/data-capture/ex-bias-churn-batch-capture-output-manifest-2023-01-19.json"),
        )
        .await
        .unwrap();

    // ingest: every line once per monitor, state keyed by the manifest
    let s = ingest::run(&store, &[manifest_key.to_string()])
        .await
        .unwrap();
    let obj = &s.objects[0];
    assert_eq!(obj.key, manifest_key);
    assert!(obj.failed.is_empty(), "{:?}", obj.failed);
    assert_eq!(obj.monitors, ["churn-batch-dq", "churn-batch-mq"]);
    assert_eq!((obj.records, obj.bad_records), (334, 0));
    assert_eq!(
        obj.state_keys[0],
        "state/profiles/churn-batch-dq/2023/01/19/05/BatchTransform/b7d2f1a0-0000.json"
    );
    // a re-delivered manifest rewrites the same bytes
    let before: Vec<Vec<u8>> = futures_all(&store, &obj.state_keys).await;
    let again = ingest::run(&store, &[manifest_key.to_string()])
        .await
        .unwrap();
    assert_eq!(again.objects[0].state_keys, obj.state_keys);
    assert_eq!(futures_all(&store, &obj.state_keys).await, before);

    // ground truth, collected at 07:00, keyed by SageMakerInferenceId (row 0: the fixture's)
    let mut labels = String::new();
    for i in 0..rows.len() {
        let label = if i == 0 {
            merged.ground_truth.clone()
        } else {
            churn_label(i).to_string()
        };
        labels.push_str(&format!(
            "{{\"groundTruthData\":{{\"data\":\"{label}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
            churn_id(i, &merged)
        ));
    }
    let gt_key = "ground-truth/churn-batch-mq/2023/01/19/07/labels.jsonl";
    store.put(gt_key, labels.into_bytes()).await.unwrap();
    let m = ground_truth::run(&store, &[gt_key.to_string()], t("2023-01-19T07:10:00Z"))
        .await
        .unwrap();
    assert_eq!((m.objects[0].matched, m.objects[0].pending), (334, 0));
    // the merged record of row 0 is the fixture's batchTransformOutput
    let merged_keys = store.list("state/merged/churn-batch-mq/").await.unwrap();
    assert!(merged_keys[0].starts_with("state/merged/churn-batch-mq/BatchTransform/2023/01/19/05/"));
    let body = store.get(&merged_keys[0]).await.unwrap();
    let line0 = body
        .split(|b| *b == b'\n')
        .find(|l| {
            l.windows(merged.event_id.len())
                .any(|w| w == merged.event_id.as_bytes())
        })
        .unwrap();
    let expected = json(&read_fixture(
        "sagemaker/ground-truth/ex-merged-churn-batch-csv-2023-01-19.jsonl",
    ));
    let got = json(line0);
    assert_eq!(got["captureData"], expected["captureData"]);
    assert_eq!(got["groundTruthData"], expected["groundTruthData"]);
    assert_eq!(
        got["eventMetadata"]["eventId"],
        expected["eventMetadata"]["eventId"]
    );
    assert_eq!(MergedBatchRecord::parse(line0).unwrap(), merged);

    // the tick of the window 05:00–06:00
    let sink = MemoryMetricSink::new();
    let summary = tick::run(
        &store,
        &sink,
        &LocalModels,
        &ticked("2023-01-19T07:30:00Z", "2023-01-19T06:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(summary.report_failures, 0);
    assert!(store
        .get("reports/churn-batch-dq/2023/01/19/06/report.html")
        .await
        .is_ok());
    for e in &summary.executions {
        assert_ne!(e.status, ExecutionStatus::Failed, "{e:?}");
        assert_eq!(e.records, 334, "{}", e.monitoring_schedule_name);
    }
    // SageMaker's batch layout: reports/{schedule}/yyyy/mm/dd/HH/
    let dq = json(
        &store
            .get("reports/churn-batch-dq/2023/01/19/06/statistics.json")
            .await
            .unwrap(),
    );
    assert_eq!(dq["dataset"]["item_count"], 334);
    assert!(store
        .get("reports/churn-batch-dq/2023/01/19/06/constraint_violations.json")
        .await
        .is_ok());
    let mq = json(
        &store
            .get("reports/churn-batch-mq/2023/01/19/06/statistics.json")
            .await
            .unwrap(),
    );
    // reference accuracy by direct counting: label 1 when score > 0.5 (row 0: score
    // 0.0158 → 0, fixture label 1: wrong)
    let right = (1..rows.len())
        .filter(|&i| u8::from(churn_score(i) > 0.5) == churn_label(i))
        .count();
    let accuracy = right as f64 / rows.len() as f64;
    let got = mq["binary_classification_metrics"]["accuracy"]["value"]
        .as_f64()
        .unwrap();
    assert!((got - accuracy).abs() < 1e-12, "{got} vs {accuracy}");
    assert_batch_metrics(
        &sink,
        "churn-batch-dq",
        "aws/sagemaker/ModelMonitoring/data-metrics",
    );
    assert_batch_metrics(
        &sink,
        "churn-batch-mq",
        "aws/sagemaker/ModelMonitoring/model-metrics",
    );
}

async fn futures_all(store: &MemoryStore, keys: &[String]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in keys {
        out.push(store.get(k).await.unwrap());
    }
    out
}

#[tokio::test]
async fn json_document_of_many_instances_joins_each_instance() {
    let store = MemoryStore::new();
    put_monitor(
        &store,
        serde_json::json!({"name": "adult-batch-mq", "kind": "ModelQuality",
            "baseline_prefix": "baselines/adult-batch-mq",
            "batch_transform": {"data_captured_destination_s3_uri": "batch-capture/adult/",
                "dataset_format": {"json": {"line": false}},
                "probability_attribute": "predictions[*].score",
                "inference_attribute": "predictions[*].predicted_label"},
            "model_quality": {"problem_type": "BinaryClassification", "positive_label": "1",
                "ground_truth_attribute": "instances[*].label"}}),
    )
    .await;
    put_mq_constraints(&store, "adult-batch-mq").await;
    store
        .put(
            "transform-output/validation.json.out",
            read_fixture(
                "sagemaker/data-capture/ex-bias-adult-batch-transform-output-json-2024-01-19.jsonl",
            ),
        )
        .await
        .unwrap();
    let manifest = "batch-capture/adult/output/2024/01/19/19/m.json";
    store
        .put(
            manifest,
            br#"[{"prefix": "s3://any-bucket/transform-output/"}, "validation.json.out"]"#.to_vec(),
        )
        .await
        .unwrap();
    let s = ingest::run(&store, &[manifest.to_string()]).await.unwrap();
    assert_eq!(
        (s.objects[0].records, s.objects[0].bad_records),
        (334, 0),
        "{:?}",
        s.objects[0]
    );

    // the merged fixture's ground truth: one record of 334 labels under the one id
    let expected = json(&read_fixture(
        "sagemaker/ground-truth/ex-merged-adult-batch-json-2024-01-19.jsonl",
    ));
    let gt = serde_json::json!({"groundTruthData": expected["groundTruthData"],
        "eventMetadata": {"eventId": expected["eventMetadata"]["eventId"]}, "eventVersion": "0"});
    let gt_key = "ground-truth/adult-batch-mq/2024/01/19/20/labels.jsonl";
    put_json(&store, gt_key, &gt).await;
    let m = ground_truth::run(&store, &[gt_key.to_string()], t("2024-01-19T20:10:00Z"))
        .await
        .unwrap();
    assert_eq!(m.objects[0].matched, 334, "{:?}", m.objects[0]);
    // merged once, with the fixture's batchTransformOutput to the byte
    let keys = store.list("state/merged/adult-batch-mq/").await.unwrap();
    let body = store.get(&keys[0]).await.unwrap();
    let lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 1);
    let got = json(lines[0]);
    // The one difference: SageMaker's merge job re-printed the three integral scores of the
    // .out (`"score":1`) as floats (`"score":1.0`); the merged record keeps the .out's text.
    let sagemaker = expected["captureData"]["batchTransformOutput"]["data"]
        .as_str()
        .unwrap();
    assert_eq!(sagemaker.matches("\"score\":1.0}").count(), 3);
    assert_eq!(
        got["captureData"]["batchTransformOutput"]["data"]
            .as_str()
            .unwrap(),
        sagemaker.replace("\"score\":1.0}", "\"score\":1}")
    );
    assert_eq!(
        got["captureData"]["batchTransformOutput"]["encoding"],
        expected["captureData"]["batchTransformOutput"]["encoding"]
    );
    assert_eq!(got["groundTruthData"], expected["groundTruthData"]);
    assert_eq!(
        got["eventMetadata"]["eventId"],
        expected["eventMetadata"]["eventId"]
    );

    let sink = MemoryMetricSink::new();
    tick::run(
        &store,
        &sink,
        &LocalModels,
        &ticked("2024-01-19T21:00:00Z", "2024-01-19T20:00:00Z"),
    )
    .await
    .unwrap();
    let stats = json(
        &store
            .get("reports/adult-batch-mq/2024/01/19/20/statistics.json")
            .await
            .unwrap(),
    );
    // reference: predicted_label of prediction i against label i of the fixture
    let doc = json(&read_fixture(
        "sagemaker/data-capture/ex-bias-adult-batch-transform-output-json-2024-01-19.jsonl",
    ));
    let truth = json(
        expected["groundTruthData"]["data"]
            .as_str()
            .unwrap()
            .as_bytes(),
    );
    let preds = doc["SageMakerOutput"]["predictions"].as_array().unwrap();
    let labels = truth["instances"].as_array().unwrap();
    let right = preds
        .iter()
        .zip(labels)
        .filter(|(p, l)| p["predicted_label"] == l["label"])
        .count();
    let accuracy = right as f64 / preds.len() as f64;
    let got = stats["binary_classification_metrics"]["accuracy"]["value"]
        .as_f64()
        .unwrap();
    assert!((got - accuracy).abs() < 1e-12, "{got} vs {accuracy}");
    assert_eq!(stats["dataset"]["item_count"], 334);
    assert_batch_metrics(
        &sink,
        "adult-batch-mq",
        "aws/sagemaker/ModelMonitoring/model-metrics",
    );
}

#[tokio::test]
async fn json_lines_input_manifests_other_buckets_and_bad_lines() {
    let store = MemoryStore::new();
    put_monitor(
        &store,
        serde_json::json!({"name": "adult-lines-mq", "kind": "ModelQuality",
            "baseline_prefix": "baselines/adult-lines-mq",
            "batch_transform": {"data_captured_destination_s3_uri": "s3://my-bucket/bc/",
                "dataset_format": {"json": {"line": true}},
                "features_attribute": "features",
                "probability_attribute": "SageMakerOutput.score",
                "inference_attribute": "SageMakerOutput.predicted_label"},
            "model_quality": {"problem_type": "BinaryClassification", "positive_label": "1"}}),
    )
    .await;
    let lines =
        text("data-capture/ex-bias-adult-batch-transform-output-jsonlines-2023-01-21.jsonl");
    // one broken line among the good ones
    let body = format!("{lines}{{\"SageMakerInferenceId\": \"cut\",\n");
    store
        .put("out/a.jsonl.out", body.into_bytes())
        .await
        .unwrap();
    let manifest = "bc/output/2023/01/21/01/m.json";
    store
        .put(
            manifest,
            br#"[{"prefix": "s3://my-bucket/out/"}, "a.jsonl.out", "", "b.out"]"#.to_vec(),
        )
        .await
        .unwrap();
    // b.out is named but lies in another bucket when the prefix says so
    let other = "bc/output/2023/01/21/01/other.json";
    store
        .put(
            other,
            br#"[{"prefix": "s3://their-bucket/out/"}, "a.jsonl.out"]"#.to_vec(),
        )
        .await
        .unwrap();
    let input = "bc/input/2023/01/21/01/in.json";
    store
        .put(
            input,
            read_fixture(
                "sagemaker/data-capture/ex-attr-churn-batch-capture-input-manifest-2023-01-19.json",
            ),
        )
        .await
        .unwrap();
    let s = ingest::run(&store, &[manifest.into(), other.into(), input.into()])
        .await
        .unwrap();
    // the good lines kept, the bad one counted; b.out is missing: that object fails
    assert_eq!((s.objects[0].records, s.objects[0].bad_records), (5, 1));
    assert_eq!(s.objects[0].failed.len(), 1, "{:?}", s.objects[0].failed);
    assert!(
        s.objects[0].failed[0].reason.contains("out/b.out"),
        "{:?}",
        s.objects[0].failed
    );
    assert!(
        s.objects[1].failed[0].reason.contains("\"their-bucket\""),
        "{:?}",
        s.objects[1]
    );
    assert!(s.objects[1].state_keys.is_empty());
    assert!(s.objects[2]
        .ignored
        .as_deref()
        .unwrap()
        .contains("input manifest"));

    // labels for the five ids; merged records carry the line without SageMaker's keys
    let mut gt = String::new();
    let mut expected = std::collections::BTreeMap::new();
    for line in lines.lines() {
        let mut doc: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        let id = doc.shift_remove("SageMakerInferenceId").unwrap();
        doc.shift_remove("SageMakerInferenceTime");
        gt.push_str(&format!(
            "{{\"groundTruthData\":{{\"data\":\"1\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":{id}}},\"eventVersion\":\"0\"}}\n"
        ));
        expected.insert(
            id.as_str().unwrap().to_owned(),
            Value::Object(doc).to_string(),
        );
    }
    let gt_key = "ground-truth/adult-lines-mq/2023/01/21/02/l.jsonl";
    store.put(gt_key, gt.into_bytes()).await.unwrap();
    let m = ground_truth::run(&store, &[gt_key.to_string()], t("2023-01-21T02:10:00Z"))
        .await
        .unwrap();
    assert_eq!(m.objects[0].matched, 5);
    let keys = store.list("state/merged/adult-lines-mq/").await.unwrap();
    let body = store.get(&keys[0]).await.unwrap();
    let mut seen = 0;
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let r = MergedBatchRecord::parse(line).unwrap();
        assert_eq!(r.data, expected[&r.event_id]);
        assert_eq!(r.encoding, "JSON");
        seen += 1;
    }
    assert_eq!(seen, 5);
}
