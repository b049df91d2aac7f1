//! `monitor_core::formats::capture`: SageMaker endpoint data-capture lines → feature rows.
//!
//! Real capture files come from `tests/fixtures/sagemaker/data-capture/` (provenance in
//! `tests/fixtures/sagemaker/PROVENANCE-cap.md`); expected values are read off those files. Synthetic
//! lines cover the encodings and failure kinds the fixtures do not contain.

use base64::Engine as _;
use monitor_core::formats::capture::{
    BadRecord, BadRecordKind, CaptureError, CaptureMapping, CaptureParser, CaptureSide,
    InferenceWindow, RecordMeta, Row, RowBatch, TimeError,
};
use proptest::prelude::*;
use serde_json::json;

/// The capture fixtures, found through the manifest directory at run time (test binaries may
/// outlive the clone they were built in, with a shared CARGO_TARGET_DIR).
fn fixtures_dir() -> String {
    format!(
        "{}/../../tests/fixtures/sagemaker/data-capture/",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    )
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}{name}", fixtures_dir())).unwrap()
}

/// `_c0`, `_c1`, ... (Spark's names for headerless CSV columns, spec §3.7).
fn spark_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("_c{i}")).collect()
}

fn parser(features: Vec<String>) -> CaptureParser {
    CaptureParser::new(&CaptureMapping::new(features)).unwrap()
}

fn values(row: &Row) -> Vec<Option<&str>> {
    row.iter().collect()
}

fn parse_all(parser: &mut CaptureParser, text: &str) -> Vec<(RecordMeta, Row)> {
    text.lines()
        .map(|line| {
            let mut row = Row::new();
            let meta = parser.parse_line(line.as_bytes(), &mut row).unwrap();
            (meta, row)
        })
        .collect()
}

/// A capture line with the given sides, serialised by serde_json (so escaping is right).
fn line(sides: serde_json::Value, metadata: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "captureData": sides,
        "eventMetadata": metadata,
        "eventVersion": "0",
    }))
    .unwrap()
}

fn side(content_type: &str, data: &str, encoding: &str) -> serde_json::Value {
    json!({"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding})
}

fn input_only(features: Vec<String>) -> CaptureParser {
    let mut mapping = CaptureMapping::new(features);
    mapping.sides = vec![CaptureSide::EndpointInput];
    CaptureParser::new(&mapping).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real capture files
// ---------------------------------------------------------------------------------------------

#[test]
fn intro_churn_csv_capture() {
    // 1 output column (XGBoost churn score) + 69 input columns.
    let text = fixture("ex-intro-churn-endpoint-capture-csv-2022-03-24.jsonl");
    let mut p = parser(spark_names(70));
    let rows = parse_all(&mut p, &text);
    assert_eq!(rows.len(), 3);

    let (meta, row) = &rows[0];
    assert_eq!(row.len(), 70);
    assert_eq!(row.column_count(), 70);
    assert_eq!(row.get(0), Some("0.3791300654411316"));
    assert_eq!(row.get(1), Some("130"));
    assert_eq!(row.get(3), Some("263.7"));
    assert_eq!(row.get(69), Some("0"));
    assert_eq!(row.get(70), None);
    assert_eq!(
        meta.event_id.as_deref(),
        Some("1eb12989-4b21-488f-85cd-76c31ee4570f")
    );
    assert_eq!(meta.inference_id, None);
    assert_eq!(meta.inference_time.as_deref(), Some("2022-03-24T00:23:04Z"));
    assert_eq!(
        meta.join_key(),
        Some("1eb12989-4b21-488f-85cd-76c31ee4570f")
    );
    assert!(!meta.skipped_shadow);

    let (meta, row) = &rows[2];
    assert_eq!(row.get(0), Some("0.13224346935749054"));
    assert_eq!(row.get(1), Some("146"));
    assert_eq!(row.get(68), Some("1"));
    assert_eq!(row.get(69), Some("0"));
    assert_eq!(meta.inference_time.as_deref(), Some("2022-03-24T00:23:06Z"));
}

#[test]
fn intro_churn_with_explicit_output_columns() {
    let text = fixture("ex-intro-churn-endpoint-capture-csv-2022-03-24.jsonl");
    let first = text.lines().next().unwrap().as_bytes();
    let mut mapping = CaptureMapping::new(spark_names(70));
    mapping.output_columns = Some(1);
    let mut row = Row::new();
    CaptureParser::new(&mapping)
        .unwrap()
        .parse_line(first, &mut row)
        .unwrap();
    assert_eq!(row.get(0), Some("0.3791300654411316"));
    assert_eq!(row.get(69), Some("0"));

    // Declaring 2 output columns contradicts the one-value output payload.
    mapping.output_columns = Some(2);
    let err = CaptureParser::new(&mapping)
        .unwrap()
        .parse_line(first, &mut row)
        .unwrap_err();
    assert_eq!(
        err,
        BadRecord::WrongColumnCount {
            expected: 2,
            found: 1
        }
    );
    assert!(row.is_empty());
}

#[test]
fn model_quality_churn_capture_with_inference_ids() {
    let text = fixture("ex-mq-churn-endpoint-capture-csv-inferenceid-2021-02-05.jsonl");
    let mut p = parser(spark_names(70));
    let rows = parse_all(&mut p, &text);
    assert_eq!(rows.len(), 2);
    let (meta, row) = &rows[0];
    assert_eq!(meta.inference_id.as_deref(), Some("57"));
    assert_eq!(
        meta.event_id.as_deref(),
        Some("44029db5-953e-48ec-a803-8c2d386487fa")
    );
    assert_eq!(meta.join_key(), Some("57"));
    assert_eq!(meta.inference_time.as_deref(), Some("2021-02-05T04:15:00Z"));
    assert_eq!(row.get(0), Some("0.5217539072036743"));
    assert_eq!(row.get(1), Some("61"));
    assert_eq!(row.get(69), Some("0"));
    let (meta, row) = &rows[1];
    assert_eq!(meta.join_key(), Some("58"));
    assert_eq!(row.get(0), Some("0.01216088142246008"));
    assert_eq!(row.get(1), Some("41"));
}

#[test]
fn sdk_csv_capture_template() {
    // The SDK integ test fills "{%s}" with a timestamp before upload (PROVENANCE.md).
    let text =
        fixture("sdk-monitor-capture-csv-template.jsonl").replace("{%s}", "2019-11-24T07:30:50Z");
    let mut p = parser(spark_names(8));
    let rows = parse_all(&mut p, &text);
    assert_eq!(rows.len(), 44);
    assert!(rows.iter().all(|(_, r)| r.column_count() == 8));
    let (meta, row) = &rows[0];
    assert_eq!(
        values(row),
        ["0.302709460258", "9", "45", "45", "42", "7", "5", "0"].map(Some)
    );
    assert_eq!(
        meta.event_id.as_deref(),
        Some("74b0dd56-e7c8-368e-94b1-14a138a96000")
    );
    assert_eq!(meta.inference_time.as_deref(), Some("2019-11-24T07:30:50Z"));
    let (meta, row) = &rows[43];
    assert_eq!(
        values(row),
        ["0.704846322536", "0", "0", "7", "47", "2", "48", "18"].map(Some)
    );
    assert_eq!(
        meta.join_key(),
        Some("79f96714-0136-39c8-a221-38faf8a5f96f")
    );
}

#[test]
fn sdk_json_capture_is_a_batch_of_three() {
    // {"instances": [1.0, 2.0, 5.0]} → {"predictions": [3.5, 4.0, 5.5]}: the half-plus-three model
    // answered x/2 + 3 for each of three instances, so each line holds three records.
    let text = fixture("sdk-monitor-captured-data-json.jsonl");
    let mut p = parser(vec!["prediction".into(), "x".into()]);
    let mut batch = RowBatch::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let expected_ids = [
        "12b73486-e916-45de-9d82-7fa23d4a39a6",
        "f9305ead-ba10-401d-953c-8bfb981da274",
    ];
    for (l, id) in lines.iter().zip(expected_ids) {
        let meta = p.parse_line_multi(l.as_bytes(), &mut batch).unwrap();
        assert_eq!(meta.event_id.as_deref(), Some(id));
        let got: Vec<Vec<Option<&str>>> = batch.iter().map(values).collect();
        assert_eq!(
            got,
            [
                [Some("3.5"), Some("1.0")],
                [Some("4.0"), Some("2.0")],
                [Some("5.5"), Some("5.0")]
            ]
        );
    }
    // The one-record API refuses the batch instead of dropping records.
    let mut row = Row::new();
    let err = p.parse_line(lines[0].as_bytes(), &mut row).unwrap_err();
    assert_eq!(err.kind(), BadRecordKind::BadPayload);
    assert!(err.to_string().contains("3 records"), "{err}");
    assert!(
        err.to_string().contains("captureData.endpointOutput.data"),
        "{err}"
    );
    assert_eq!(
        p.last_error_meta().and_then(|m| m.event_id.as_deref()),
        Some(expected_ids[0])
    );
}

const ADULT: [&str; 14] = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "ethnic_group",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "country",
];

#[test]
fn adult_jsonlines_capture() {
    // Output {"predicted_label":..,"score":..} is read by name; input {"features":[..]} by position
    // after the two output values.
    let mut names = vec!["predicted_label".to_owned(), "score".to_owned()];
    names.extend(ADULT.iter().map(|s| s.to_string()));
    let mut p = parser(names);
    let text = fixture("ex-bias-adult-endpoint-capture-jsonlines-2023-01-19.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let mut batch = RowBatch::new();

    let meta = p.parse_line_multi(lines[0].as_bytes(), &mut batch).unwrap();
    assert_eq!(
        meta.join_key(),
        Some("50ef5ec7-4d6b-4606-b13d-803c7416f853")
    );
    assert_eq!(batch.len(), 1);
    let row = batch.get(0).unwrap();
    assert_eq!(row.column_count(), 16);
    assert_eq!(row.get(0), Some("1"));
    assert_eq!(row.get(1), Some("0.989977359771728"));
    assert_eq!(row.get(2), Some("28"));
    assert_eq!(row.get(4), Some("133937"));
    assert_eq!(row.get(15), Some("37"));

    let meta = p.parse_line_multi(lines[1].as_bytes(), &mut batch).unwrap();
    assert_eq!(
        meta.event_id.as_deref(),
        Some("74e40c99-2d94-4a6d-a21e-f0222769012e")
    );
    assert_eq!(meta.inference_time.as_deref(), Some("2023-01-19T05:28:32Z"));
    assert_eq!(batch.len(), 2);
    let second = batch.get(1).unwrap();
    assert_eq!(second.get(0), Some("1"));
    assert_eq!(second.get(1), Some("0.504138827323913"));
    assert_eq!(second.get(2), Some("43"));
    assert_eq!(second.get(8), Some("12"));
    assert_eq!(second.get(15), Some("37"));

    // One-record lines also go through parse_line; the two-record line does not.
    let mut row = Row::new();
    p.parse_line(lines[0].as_bytes(), &mut row).unwrap();
    assert_eq!(row.get(1), Some("0.989977359771728"));
    assert_eq!(
        p.parse_line(lines[1].as_bytes(), &mut row)
            .unwrap_err()
            .kind(),
        BadRecordKind::BadPayload
    );
}

#[test]
fn ids_can_be_switched_off() {
    let text = fixture("ex-mq-churn-endpoint-capture-csv-inferenceid-2021-02-05.jsonl");
    let mut p = parser(spark_names(70)).collect_ids(false);
    let (meta, row) = parse_all(&mut p, &text).remove(0);
    // No id strings are copied; the inference minute is always parsed (no allocation).
    assert_eq!(
        meta,
        RecordMeta {
            inference_minute: meta.inference_minute,
            ..RecordMeta::default()
        }
    );
    assert!(meta.inference_minute.is_some());
    assert_eq!(row.get(0), Some("0.5217539072036743"));
}

// ---------------------------------------------------------------------------------------------
// Synthetic lines: encodings and shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn base64_csv_payload() {
    let data = base64::engine::general_purpose::STANDARD.encode("1,2.5,abc\n");
    assert_eq!(data, "MSwyLjUsYWJjCg==");
    let l = line(
        json!({"endpointInput": side("text/csv", &data, "BASE64")}),
        json!({"eventId": "e1"}),
    );
    let mut row = Row::new();
    input_only(spark_names(3)).parse_line(&l, &mut row).unwrap();
    assert_eq!(values(&row), [Some("1"), Some("2.5"), Some("abc")]);
}

#[test]
fn base64_json_payload() {
    // {"b": "x", "a": 1.50, "c": null, "extra": true} read by name; unknown keys only counted.
    let data = base64::engine::general_purpose::STANDARD
        .encode(r#"{"b": "x", "a": 1.50, "c": null, "extra": true}"#);
    let l = line(
        json!({"endpointInput": side("application/json; charset=utf-8", &data, "BASE64")}),
        json!({"eventId": "e1"}),
    );
    let mut row = Row::new();
    input_only(vec!["a".into(), "b".into(), "c".into()])
        .parse_line(&l, &mut row)
        .unwrap();
    assert_eq!(values(&row), [Some("1.50"), Some("x"), None]);
    assert_eq!(row.column_count(), 4);
}

#[test]
fn base64_with_unreadable_content_type() {
    let l = line(
        json!({"endpointInput": side("image/png", "iVBORw0KGgo=", "BASE64")}),
        json!({}),
    );
    let err = input_only(spark_names(1))
        .parse_line(&l, &mut Row::new())
        .unwrap_err();
    assert_eq!(err.kind(), BadRecordKind::BadPayload);
    assert_eq!(
        err.to_string(),
        "field captureData.endpointInput.observedContentType: content type \"image/png\" cannot be read as features (expected CSV, JSON or JSON Lines)"
    );
}

#[test]
fn nested_json_with_pointers() {
    let mut mapping = CaptureMapping::new(["score", "age", "city", "tags", "flag"]);
    mapping.json_pointers = [
        ("score", "/output/predictions/0/score"),
        ("age", "/input/instances/0/person/age"),
        ("city", "/input/instances/0/person/address/city"),
        ("tags", "/input/instances/0/tags"),
        ("flag", "/input/instances/0/missing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let input = r#"{"instances": [{"person": {"age": 42, "address": {"city": "Z\u00fcrich"}}, "tags": ["a", "b"]}]}"#;
    let output = r#"{"predictions": [{"score": 0.25, "label": 0}]}"#;
    let l = line(
        json!({
            "endpointInput": side("application/json", input, "JSON"),
            "endpointOutput": side("application/json", output, "JSON"),
        }),
        json!({"eventId": "e", "inferenceId": "i-7"}),
    );
    let mut p = CaptureParser::new(&mapping).unwrap();
    let mut row = Row::new();
    let meta = p.parse_line(&l, &mut row).unwrap();
    assert_eq!(meta.join_key(), Some("i-7"));
    assert_eq!(
        values(&row),
        [
            Some("0.25"),
            Some("42"),
            Some("Zürich"),
            Some(r#"["a", "b"]"#),
            None
        ]
    );
    assert_eq!(row.column_count(), 5);
}

#[test]
fn json_shapes() {
    let mut batch = RowBatch::new();
    let mut run = |input: &str, content_type: &str, n: usize| -> Vec<Vec<Option<String>>> {
        let l = line(
            json!({"endpointInput": side(content_type, input, "JSON")}),
            json!({}),
        );
        input_only(vec!["a".into(), "b".into(), "c".into()][..n].to_vec())
            .parse_line_multi(&l, &mut batch)
            .unwrap();
        batch
            .iter()
            .map(|r| r.iter().map(|v| v.map(str::to_owned)).collect())
            .collect()
    };
    let s = |v: &str| Some(v.to_owned());
    // top-level array of scalars: one positional record
    assert_eq!(
        run("[1, \"x\", null]", "application/json", 3),
        [vec![s("1"), s("x"), None]]
    );
    // {"instances": [[...]]}: one record per inner array
    assert_eq!(
        run(
            r#"{"instances": [[1, 2, 3], [4, 5, 6]]}"#,
            "application/json",
            3
        ),
        [vec![s("1"), s("2"), s("3")], vec![s("4"), s("5"), s("6")]]
    );
    // {"instances": [{...}]}: records by name
    assert_eq!(
        run(
            r#"{"instances": [{"c": true, "a": -1e-3}]}"#,
            "application/json",
            3
        ),
        [vec![s("-1e-3"), None, s("true")]]
    );
    // linear-learner {"instances": [{"features": [...]}]}
    assert_eq!(
        run(
            r#"{"instances": [{"features": [7, 8]}]}"#,
            "application/json",
            2
        ),
        [vec![s("7"), s("8")]]
    );
    // top-level array of arrays: one record per element
    assert_eq!(
        run("[[1, 2], [3, 4]]", "application/json", 2),
        [vec![s("1"), s("2")], vec![s("3"), s("4")]]
    );
    // JSON Lines: one record per document
    assert_eq!(
        run(
            "{\"features\": [1, 2]}\n{\"features\": [3, 4]}\n",
            "application/jsonlines",
            2
        ),
        [vec![s("1"), s("2")], vec![s("3"), s("4")]]
    );
    // a bare scalar document is one value
    assert_eq!(run("0.5", "application/json", 1), [vec![s("0.5")]]);
}

#[test]
fn quoted_csv_values() {
    let data = "\"a,b\",\"say \"\"hi\"\"\",,\"\",plain\r\n";
    let l = line(
        json!({"endpointInput": side("text/csv", data, "CSV")}),
        json!({}),
    );
    let mut row = Row::new();
    input_only(spark_names(5)).parse_line(&l, &mut row).unwrap();
    assert_eq!(
        values(&row),
        [
            Some("a,b"),
            Some("say \"hi\""),
            None,
            Some(""),
            Some("plain")
        ]
    );
}

#[test]
fn quoted_csv_value_may_span_lines() {
    let data = "\"line1\nline2\",2";
    let l = line(
        json!({"endpointInput": side("text/csv", data, "CSV")}),
        json!({}),
    );
    let mut row = Row::new();
    input_only(spark_names(2)).parse_line(&l, &mut row).unwrap();
    assert_eq!(values(&row), [Some("line1\nline2"), Some("2")]);
}

#[test]
fn trailing_newline_and_multi_row_csv() {
    let mut row = Row::new();
    let l = line(
        json!({"endpointInput": side("text/csv", "1,2,3\n", "CSV")}),
        json!({}),
    );
    let mut p = input_only(spark_names(3));
    p.parse_line(&l, &mut row).unwrap();
    assert_eq!(values(&row), [Some("1"), Some("2"), Some("3")]);

    // A multi-row CSV request (and its multi-row response) is one record per line.
    let l = line(
        json!({
            "endpointInput": side("text/csv", "1,2\n3,4\n", "CSV"),
            "endpointOutput": side("text/csv", "0.1\n0.2", "CSV"),
        }),
        json!({}),
    );
    let mut batch = RowBatch::new();
    parser(spark_names(3))
        .parse_line_multi(&l, &mut batch)
        .unwrap();
    let got: Vec<Vec<Option<&str>>> = batch.iter().map(values).collect();
    assert_eq!(
        got,
        [
            [Some("0.1"), Some("1"), Some("2")],
            [Some("0.2"), Some("3"), Some("4")]
        ]
    );

    // Sides disagreeing on the number of records.
    let l = line(
        json!({
            "endpointInput": side("text/csv", "1,2\n3,4\n", "CSV"),
            "endpointOutput": side("text/csv", "0.1", "CSV"),
        }),
        json!({}),
    );
    let err = parser(spark_names(3))
        .parse_line_multi(&l, &mut batch)
        .unwrap_err();
    assert_eq!(err.kind(), BadRecordKind::BadPayload);
    assert!(batch.is_empty());
}

#[test]
fn shadow_experiment_records_are_skipped() {
    let l = line(
        json!({"endpointInput": side("text/csv", "1,2,3", "CSV")}),
        json!({"eventId": "s-1", "invocationSource": "ShadowExperiment"}),
    );
    let mut row = Row::new();
    let mut p = parser(spark_names(4));
    let meta = p.parse_line(&l, &mut row).unwrap();
    assert!(meta.skipped_shadow);
    assert_eq!(meta.event_id.as_deref(), Some("s-1"));
    assert!(row.is_empty());
    assert_eq!(row.len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Synthetic lines: one of each bad kind
// ---------------------------------------------------------------------------------------------

fn churn_line() -> Vec<u8> {
    let text = fixture("ex-mq-churn-endpoint-capture-csv-inferenceid-2021-02-05.jsonl");
    text.lines().next().unwrap().as_bytes().to_vec()
}

#[test]
fn invalid_json() {
    let mut l = churn_line();
    l.truncate(40);
    let err = parser(spark_names(70))
        .parse_line(&l, &mut Row::new())
        .unwrap_err();
    assert_eq!(err.kind(), BadRecordKind::InvalidJson);
    assert_eq!(
        err.to_string(),
        "capture line is not valid JSON: unterminated string at byte 40"
    );
    let err = parser(spark_names(70))
        .parse_line(b"[1]", &mut Row::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "capture line is not valid JSON: a capture record must be a JSON object, found an array"
    );
}

#[test]
fn non_utf8() {
    let mut l = churn_line();
    l[100] = 0xff;
    let err = parser(spark_names(70))
        .parse_line(&l, &mut Row::new())
        .unwrap_err();
    assert_eq!(err, BadRecord::NonUtf8 { byte_offset: 100 });
    assert_eq!(err.kind().as_str(), "non_utf8");
}

#[test]
fn bad_base64() {
    let l = line(
        json!({"endpointInput": side("text/csv", "not*base64!", "BASE64")}),
        json!({"eventId": "b-1"}),
    );
    let mut p = input_only(spark_names(1));
    let err = p.parse_line(&l, &mut Row::new()).unwrap_err();
    assert_eq!(
        err,
        BadRecord::BadBase64 {
            field: "captureData.endpointInput.data"
        }
    );
    assert_eq!(
        err.to_string(),
        "field captureData.endpointInput.data is not valid base64"
    );
    assert_eq!(
        p.last_error_meta().and_then(|m| m.event_id.as_deref()),
        Some("b-1")
    );
}

#[test]
fn wrong_column_count_keeps_meta() {
    let mut p = parser(spark_names(71));
    let mut row = Row::new();
    let err = p.parse_line(&churn_line(), &mut row).unwrap_err();
    assert_eq!(
        err,
        BadRecord::WrongColumnCount {
            expected: 71,
            found: 70
        }
    );
    assert_eq!(err.kind(), BadRecordKind::WrongColumnCount);
    assert!(row.is_empty());
    assert_eq!(
        p.last_error_meta().and_then(RecordMeta::join_key),
        Some("57")
    );
    // A good line afterwards clears it.
    let mut ok = parser(spark_names(70));
    ok.parse_line(&churn_line(), &mut row).unwrap();
    assert_eq!(ok.last_error_meta(), None);
}

#[test]
fn unknown_encoding() {
    let l = line(
        json!({"endpointInput": side("text/csv", "1", "XML")}),
        json!({}),
    );
    let err = input_only(spark_names(1))
        .parse_line(&l, &mut Row::new())
        .unwrap_err();
    assert_eq!(
        err,
        BadRecord::UnsupportedEncoding {
            field: "captureData.endpointInput.encoding",
            encoding: "XML".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "field captureData.endpointInput.encoding has unsupported encoding \"XML\" (expected CSV, JSON or BASE64)"
    );
}

#[test]
fn missing_fields_and_wrong_types() {
    let mut p = parser(spark_names(2));
    let cases = [
        (json!({"eventMetadata": {}}), "capture record has no field captureData"),
        (
            json!({"captureData": {"endpointInput": side("text/csv", "1", "CSV")}}),
            "capture record has no field captureData.endpointOutput",
        ),
        (
            json!({"captureData": {"endpointOutput": {"encoding": "CSV"}, "endpointInput": side("text/csv", "1", "CSV")}}),
            "capture record has no field captureData.endpointOutput.data",
        ),
        (
            json!({"captureData": {"endpointOutput": {"data": 0.5, "encoding": "CSV"}, "endpointInput": side("text/csv", "1", "CSV")}}),
            "field captureData.endpointOutput.data: expected a string, found a number",
        ),
        (
            json!({"captureData": {"endpointOutput": side("text/csv", "", "CSV"), "endpointInput": side("text/csv", "1", "CSV")}}),
            "field captureData.endpointOutput.data: the payload holds no record",
        ),
        (
            json!({"captureData": {"endpointOutput": side("application/json", "{\"a\": }", "JSON"), "endpointInput": side("text/csv", "1", "CSV")}}),
            "field captureData.endpointOutput.data: invalid JSON payload: unexpected character at byte 6",
        ),
    ];
    for (value, message) in cases {
        let err = p
            .parse_line(&serde_json::to_vec(&value).unwrap(), &mut Row::new())
            .unwrap_err();
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn kinds_have_snake_case_names() {
    let names: Vec<&str> = BadRecordKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "non_utf8",
            "invalid_json",
            "missing_field",
            "bad_base64",
            "wrong_column_count",
            "unsupported_encoding",
            "bad_payload",
            "line_too_long",
            "unparsable_number",
            "non_finite",
            "out_of_range",
            "bad_time"
        ]
    );
    assert_eq!(
        serde_json::to_string(&BadRecordKind::WrongColumnCount).unwrap(),
        "\"wrong_column_count\""
    );
}

// ---------------------------------------------------------------------------------------------
// Mapping config
// ---------------------------------------------------------------------------------------------

#[test]
fn mapping_serde_defaults() {
    let m: CaptureMapping = serde_json::from_str(r#"{"features": ["y", "x"]}"#).unwrap();
    assert_eq!(m, CaptureMapping::new(["y", "x"]));
    assert_eq!(
        m.sides,
        [CaptureSide::EndpointOutput, CaptureSide::EndpointInput]
    );
    let m: CaptureMapping = serde_json::from_str(
        r#"{"features": ["y"], "output_columns": 1, "sides": ["endpointOutput"],
            "json_pointers": {"y": "/output/score"}}"#,
    )
    .unwrap();
    assert_eq!(m.output_columns, Some(1));
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"features": ["y"], "output_columns": 1, "json_pointers": {"y": "/output/score"}, "sides": ["endpointOutput"]})
    );
}

#[test]
fn mapping_validation() {
    let err = |m: CaptureMapping| CaptureParser::new(&m).unwrap_err();
    assert_eq!(
        err(CaptureMapping::new(Vec::<String>::new())),
        CaptureError::NoFeatures
    );
    assert_eq!(
        err(CaptureMapping::new(["a", "a"])),
        CaptureError::DuplicateFeature { name: "a".into() }
    );
    let mut m = CaptureMapping::new(["a"]);
    m.output_columns = Some(2);
    assert_eq!(
        err(m.clone()),
        CaptureError::OutputColumnsOutOfRange {
            output_columns: 2,
            features: 1
        }
    );
    m.output_columns = Some(1);
    m.sides = vec![CaptureSide::EndpointInput];
    assert_eq!(
        err(m.clone()),
        CaptureError::OutputColumnsWithoutOutputSide { output_columns: 1 }
    );
    m.output_columns = None;
    m.json_pointers.insert("b".into(), "/input/b".into());
    assert_eq!(
        err(m.clone()),
        CaptureError::UnknownPointerFeature {
            feature: "b".into()
        }
    );
    m.json_pointers.clear();
    m.json_pointers.insert("a".into(), "/output/a".into());
    assert_eq!(
        err(m).to_string(),
        "json pointer \"/output/a\" for feature \"a\": addresses endpointOutput, which the mapping does not read"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn csv_quote(v: &Option<String>) -> String {
    match v {
        None => String::new(),
        Some(s) if s.is_empty() || s.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Some(s) => s.clone(),
    }
}

proptest! {
    #[test]
    fn parse_line_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut p = parser(spark_names(3));
        let mut row = Row::new();
        let mut batch = RowBatch::new();
        let _ = p.parse_line(&bytes, &mut row);
        let _ = p.parse_line_multi(&bytes, &mut batch);
    }

    #[test]
    fn parse_line_never_panics_on_mutated_capture_lines(
        pick in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let sources = [
            fixture("ex-bias-adult-endpoint-capture-jsonlines-2023-01-19.jsonl"),
            fixture("sdk-monitor-captured-data-json.jsonl"),
            fixture("ex-mq-churn-endpoint-capture-csv-inferenceid-2021-02-05.jsonl"),
            String::from_utf8(line(json!({"endpointInput": side("text/csv", "IiwiLCIiIg==", "BASE64"), "endpointOutput": side("application/jsonlines", "[1]\n[2]", "JSON")}), json!({}))).unwrap(),
        ];
        let mut bytes = sources[pick].lines().last().unwrap().as_bytes().to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let mut p = parser(spark_names(16));
        let _ = p.parse_line_multi(&bytes, &mut RowBatch::new());
        let _ = p.parse_line(&bytes, &mut Row::new());
    }

    /// Any values written as RFC 4180 CSV inside a capture line come back unchanged.
    #[test]
    fn csv_values_round_trip(
        vals in proptest::collection::vec(proptest::option::of("[a-z0-9 ,\"\r\n.é-]{0,8}"), 2..8),
        crlf in any::<bool>(),
    ) {
        let mut data = vals.iter().map(csv_quote).collect::<Vec<_>>().join(",");
        if crlf { data.push_str("\r\n"); }
        let l = line(json!({"endpointInput": side("text/csv", &data, "CSV")}), json!({}));
        let mut row = Row::new();
        input_only(spark_names(vals.len())).parse_line(&l, &mut row).unwrap();
        let expected: Vec<Option<&str>> = vals.iter().map(|v| v.as_deref()).collect();
        prop_assert_eq!(values(&row), expected);
    }

    /// Flat JSON objects come back by name, whatever the key order and string content.
    #[test]
    fn json_object_values_round_trip(
        vals in proptest::collection::vec(proptest::option::of(any::<String>()), 1..6),
        reverse in any::<bool>(),
    ) {
        let names = spark_names(vals.len());
        let mut members: Vec<(String, serde_json::Value)> = names.iter().cloned().zip(vals.iter().map(|v| json!(v))).collect();
        if reverse { members.reverse(); }
        let object: serde_json::Map<String, serde_json::Value> = members.into_iter().collect();
        let payload = serde_json::to_string(&object).unwrap();
        let l = line(json!({"endpointInput": side("application/json", &payload, "JSON")}), json!({}));
        let mut row = Row::new();
        input_only(names).parse_line(&l, &mut row).unwrap();
        let expected: Vec<Option<&str>> = vals.iter().map(|v| v.as_deref()).collect();
        prop_assert_eq!(values(&row), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// inferenceTime (issue 11 item 5)
// ---------------------------------------------------------------------------------------------

/// A parser for a capture object in hour folder 2026-11-01/10: it accepts 09:00 to 11:59 UTC.
fn ten_oclock_parser() -> CaptureParser {
    let hour = chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
        .unwrap()
        .to_utc();
    input_only(spark_names(1)).inference_window(InferenceWindow::around_object_hour(hour))
}

fn minute_of(raw: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(raw)
        .unwrap()
        .timestamp()
        .div_euclid(60)
}

#[test]
fn inference_times_are_read_in_utc_and_kept_near_their_hour() {
    let mut p = ten_oclock_parser();
    let sides = json!({"endpointInput": side("text/csv", "1", "CSV")});
    let mut row = Row::new();
    for (time, utc) in [
        ("2026-11-01T12:15:00+02:00", "2026-11-01T10:15:00Z"),
        ("2026-11-01T09:59:58Z", "2026-11-01T09:59:00Z"),
        ("2026-11-01T11:59:59.999Z", "2026-11-01T11:59:00Z"),
    ] {
        let meta = p
            .parse_line(
                &line(sides.clone(), json!({"inferenceTime": time})),
                &mut row,
            )
            .unwrap();
        assert_eq!(meta.inference_minute, Some(minute_of(utc)), "{time}");
        assert_eq!(row.get(0), Some("1"));
    }
}

#[test]
fn unusable_inference_times_are_bad_time_naming_field_and_value() {
    let mut p = ten_oclock_parser();
    let sides = json!({"endpointInput": side("text/csv", "1", "CSV")});
    type IsKind = fn(&TimeError) -> bool;
    let cases: [(serde_json::Value, IsKind, &str); 6] = [
        (
            json!({"inferenceTime": "2026-11-02T10:15:00Z"}),
            |e| matches!(e, TimeError::OutsideObjectHours { .. }),
            "\"2026-11-02T10:15:00Z\"",
        ),
        (
            json!({"inferenceTime": "2026-11-01T10:15:00-05:00"}),
            |e| matches!(e, TimeError::OutsideObjectHours { .. }),
            "\"2026-11-01T10:15:00-05:00\" (2026-11-01 15:15:00 UTC)",
        ),
        (
            json!({"inferenceTime": "2026-02-31T10:15:00Z"}),
            |e| matches!(e, TimeError::InvalidDate { .. }),
            "\"2026-02-31T10:15:00Z\"",
        ),
        (
            json!({"eventId": "e1"}),
            |e| matches!(e, TimeError::Missing),
            "eventMetadata.inferenceTime is missing",
        ),
        (
            json!({"inferenceTime": "1 Nov 2026 10:15"}),
            |e| matches!(e, TimeError::Malformed { .. }),
            "\"1 Nov 2026 10:15\"",
        ),
        (
            json!({"inferenceTime": 1_793_527_200}),
            |e| matches!(e, TimeError::Malformed { .. }),
            "\"1793527200\" is not an RFC 3339 time (expected a string, found a number)",
        ),
    ];
    for (metadata, is_kind, names) in cases {
        let err = p
            .parse_line(&line(sides.clone(), metadata.clone()), &mut Row::new())
            .unwrap_err();
        assert_eq!(err.kind(), BadRecordKind::BadTime, "{metadata}");
        let BadRecord::BadTime(e) = &err else {
            panic!("{err:?}")
        };
        assert!(is_kind(e), "{metadata}: {e:?}");
        let message = err.to_string();
        assert!(
            message.contains("eventMetadata.inferenceTime") && message.contains(names),
            "{message}"
        );
    }
    // A record without eventMetadata at all, and one whose payload is also bad: the
    // structural fault is the one counted.
    let no_meta = serde_json::to_vec(&json!({"captureData": sides})).unwrap();
    assert_eq!(
        p.parse_line(&no_meta, &mut Row::new()).unwrap_err().kind(),
        BadRecordKind::BadTime
    );
    let both = line(
        json!({"endpointInput": side("text/csv", "1", "XML")}),
        json!({}),
    );
    assert_eq!(
        p.parse_line(&both, &mut Row::new()).unwrap_err().kind(),
        BadRecordKind::UnsupportedEncoding
    );
    // Without a window (a parser outside ingest) the record parses, with no minute.
    let mut open = input_only(spark_names(1));
    let meta = open
        .parse_line(
            &line(sides, json!({"inferenceTime": "2026-02-31T10:15:00Z"})),
            &mut Row::new(),
        )
        .unwrap();
    assert_eq!(meta.inference_minute, None);
}
