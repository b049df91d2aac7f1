//! `monitor_core::batch`: each visible batch-transform fixture's lines read into the right
//! records by the endpoint capture parser, after [`LineConverter`] rewrote them
//! (tests/fixtures/sagemaker/PROVENANCE-batch.md). Expected values are read off the
//! fixtures themselves.

use monitor_core::batch::manifest::{object_key, Manifest};
use monitor_core::batch::merged::MergedBatchRecord;
use monitor_core::batch::record::{LineConverter, LineOrigin};
use monitor_core::batch::{BatchTransformInput, DatasetFormat};
use monitor_core::config::MonitorConfig;
use monitor_core::formats::capture::{CaptureMapping, CaptureParser, CaptureSide, RowBatch};
use serde_json::Value;

fn fixture(rel: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    std::fs::read_to_string(format!("{dir}/../../tests/fixtures/sagemaker/{rel}")).unwrap()
}

fn input(format: DatasetFormat) -> BatchTransformInput {
    BatchTransformInput {
        data_captured_destination_s3_uri: "s3://b/capture/".into(),
        dataset_format: format,
        features_attribute: None,
        inference_attribute: None,
        probability_attribute: None,
        probability_threshold_attribute: None,
        exclude_features_attribute: None,
        start_time_offset: None,
        end_time_offset: None,
    }
}

const ORIGIN: LineOrigin<'static> = LineOrigin {
    manifest: "m",
    object: 0,
    line: 1,
    hour: "2023-01-19T05:00:00Z",
};

/// Parses one converted line with `mapping`: rows as strings, and the metadata.
fn parse(
    conv: &LineConverter,
    line: &str,
    mapping: CaptureMapping,
) -> (Vec<Vec<String>>, monitor_core::formats::capture::RecordMeta) {
    let mut record = Vec::new();
    conv.convert(line.as_bytes(), &ORIGIN, &mut record);
    let mut parser = CaptureParser::new(&mapping).unwrap();
    let mut rows = RowBatch::new();
    let meta = parser.parse_line_multi(&record, &mut rows).unwrap();
    let rows = rows
        .iter()
        .map(|r| r.iter().map(|v| v.unwrap_or("").to_owned()).collect())
        .collect();
    (rows, meta)
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn the_manifests_resolve_to_store_keys() {
    let m = Manifest::parse(
        "m.json",
        fixture("data-capture/ex-bias-churn-batch-capture-output-manifest-2023-01-19.json")
            .as_bytes(),
    )
    .unwrap();
    let uris = m.object_uris();
    assert_eq!(uris.len(), 1);
    assert_eq!(
        object_key("m.json", &uris[0], Some("sagemaker-us-west-2-000000000000")).unwrap(),
        "sagemaker/DEMO-ClarifyModelMonitor-1674106771-acb2/transform-output/test-dataset-input-cols.csv.out"
    );
    // the input manifest: an empty second element names the prefix itself
    let m = Manifest::parse(
        "i.json",
        fixture("data-capture/ex-attr-churn-batch-capture-input-manifest-2023-01-19.json")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(m.names, [""]);
    assert_eq!(
        m.object_uris(),
        ["s3://sagemaker-us-west-2-000000000000/sagemaker/DEMO-ClarifyModelMonitor-1674107124-322a/test-dataset-input-cols.csv"]
    );
}

#[test]
fn json_lines_become_one_record_each_with_sagemakers_id_and_time() {
    let conv = LineConverter::new(&input(DatasetFormat::Json { line: true }));
    let text =
        fixture("data-capture/ex-bias-adult-batch-transform-output-jsonlines-2023-01-21.jsonl");
    let mut features = vec!["predicted_label".to_string(), "score".to_string()];
    features.extend(names("f", 14));
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).unwrap();
        let (rows, meta) = parse(&conv, line, CaptureMapping::new(features.clone()));
        assert_eq!(rows.len(), 1);
        let mut expected = vec![
            doc["SageMakerOutput"]["predicted_label"].to_string(),
            doc["SageMakerOutput"]["score"].to_string(),
        ];
        expected.extend(
            doc["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(Value::to_string),
        );
        assert_eq!(rows[0], expected);
        assert_eq!(
            meta.inference_id.as_deref(),
            doc["SageMakerInferenceId"].as_str()
        );
        assert_eq!(
            meta.inference_time.as_deref(),
            doc["SageMakerInferenceTime"].as_str()
        );
    }
}

#[test]
fn a_json_document_of_many_instances_becomes_one_row_per_instance() {
    let conv = LineConverter::new(&BatchTransformInput {
        features_attribute: Some("instances[*].features".into()),
        ..input(DatasetFormat::Json { line: false })
    });
    let text = fixture("data-capture/ex-bias-adult-batch-transform-output-json-2024-01-19.jsonl");
    let doc: Value = serde_json::from_str(text.trim_end()).unwrap();
    let mut mapping = CaptureMapping::new(names("f", 14));
    mapping.sides = vec![CaptureSide::EndpointInput];
    let (rows, meta) = parse(&conv, text.trim_end(), mapping);
    let instances = doc["instances"].as_array().unwrap();
    assert_eq!(rows.len(), instances.len());
    for (row, inst) in rows.iter().zip(instances) {
        let expected: Vec<String> = inst["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(*row, expected);
    }
    assert_eq!(meta.join_key(), doc["SageMakerInferenceId"].as_str());
}

#[test]
fn merged_records_of_both_shapes_read_back_into_capture_records() {
    // CSV: the 69 churn features then the score; one output column
    let line = fixture("ground-truth/ex-merged-churn-batch-csv-2023-01-19.jsonl");
    let r = MergedBatchRecord::parse(line.trim_end().as_bytes()).unwrap();
    assert_eq!((r.ground_truth.as_str(), r.encoding.as_str()), ("1", "CSV"));
    let conv = LineConverter::new(&input(DatasetFormat::Csv {
        header: false,
        output_columns: 1,
    }));
    let record = r.capture_record(&conv, &ORIGIN);
    let mut parser = CaptureParser::new(&CaptureMapping::new(names("c", 70))).unwrap();
    let mut rows = RowBatch::new();
    let meta = parser.parse_line_multi(&record, &mut rows).unwrap();
    let fields: Vec<&str> = r.data.split(',').collect();
    let row: Vec<&str> = rows.as_slice()[0].iter().map(|v| v.unwrap()).collect();
    // output first (the score), then the 69 inputs
    assert_eq!(row[0], fields[69]);
    assert_eq!(row[1..], fields[..69]);
    assert_eq!(meta.join_key(), Some(r.event_id.as_str()));

    // JSON: SageMakerOutput and the instances; 334 labels in one ground-truth record
    let line = fixture("ground-truth/ex-merged-adult-batch-json-2024-01-19.jsonl");
    let r = MergedBatchRecord::parse(line.trim_end().as_bytes()).unwrap();
    assert_eq!(r.encoding, "JSON");
    let labels: Value = serde_json::from_str(&r.ground_truth).unwrap();
    assert_eq!(labels["instances"].as_array().unwrap().len(), 334);
    // an endpoint's merged record is not a batch one
    let err = MergedBatchRecord::parse(
        br#"{"eventMetadata":{"eventId":"e"},"groundTruthData":{"data":"1","encoding":"CSV"},"captureData":{"endpointOutput":{"data":"1","encoding":"CSV"}}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("batchTransformOutput"), "{err}");
}

#[test]
fn batch_configs_fold_into_the_settings_and_refuse_mixtures() {
    let cfg = MonitorConfig::from_json(
        "k",
        br#"{"name":"b","kind":"ModelQuality","baseline_prefix":"x",
            "batch_transform":{"data_captured_destination_s3_uri":"s3://bkt/bc/",
                "dataset_format":{"json":{"line":true}},
                "probability_attribute":"SageMakerOutput.score",
                "probability_threshold_attribute":0.7,
                "start_time_offset":"-PT2H","end_time_offset":"-PT1H"},
            "model_quality":{"problem_type":"BinaryClassification"}}"#,
    )
    .unwrap();
    let join = cfg.join().unwrap();
    assert_eq!(
        join.attributes.probability_attribute.as_deref(),
        Some("score")
    );
    assert_eq!(join.attributes.probability_threshold, 0.7);
    // -PT2H .. -PT1H: a 60-minute window ending an hour before the tick
    assert_eq!((cfg.window_minutes, join.offset_minutes), (60, 60));
    assert_eq!(cfg.ground_truth_prefix(), "ground-truth/b/");
    assert_eq!(
        cfg.batch_transform.as_ref().unwrap().destination_prefix(),
        "bc/"
    );
    for (text, needle) in [
        (
            r#"{"name":"b","endpoint":"e","baseline_prefix":"x","batch_transform":{"data_captured_destination_s3_uri":"p/","dataset_format":{"csv":{}}}}"#,
            "not both",
        ),
        (
            r#"{"name":"b","baseline_prefix":"x","batch_transform":{"data_captured_destination_s3_uri":"p/","dataset_format":{"csv":{}},"dataset_fromat":1}}"#,
            "batch_transform.dataset_fromat",
        ),
        (
            r#"{"name":"b","baseline_prefix":"x","batch_transform":{"data_captured_destination_s3_uri":"p/","dataset_format":{"csv":{}},"end_time_offset":"-PT1H"}}"#,
            "batch_transform.end_time_offset",
        ),
        (
            r#"{"name":"b","baseline_prefix":"x","batch_transform":{"data_captured_destination_s3_uri":"p/","dataset_format":{"csv":{}},"exclude_features_attribute":"a"}}"#,
            "batch_transform.exclude_features_attribute",
        ),
        (
            r#"{"name":"b","kind":"ModelQuality","baseline_prefix":"x","batch_transform":{"data_captured_destination_s3_uri":"p/","dataset_format":{"csv":{}},"probability_attribute":"1"},"model_quality":{"problem_type":"Regression","probability_attribute":"0"}}"#,
            "batch_transform.probability_attribute",
        ),
        (r#"{"name":"b","baseline_prefix":"x"}"#, "endpoint"),
    ] {
        let err = MonitorConfig::from_json("k", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

/// The README's example (`examples/monitors/batch-model-quality.json`) loads: an hourly
/// window ending an hour before the tick, labels under `ground-truth/{monitor}/`.
#[test]
fn the_readme_example_loads() {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = format!("{dir}/../../examples/monitors/batch-model-quality.json");
    let cfg = MonitorConfig::from_json(&path, &std::fs::read(&path).unwrap()).unwrap();
    assert_eq!((cfg.window_minutes, cfg.offset_minutes()), (60, 60));
    assert_eq!(cfg.ground_truth_prefix(), "ground-truth/churn-batch-mq/");
    assert_eq!(
        cfg.batch_transform.unwrap().destination_bucket(),
        Some("BUCKET")
    );
}
