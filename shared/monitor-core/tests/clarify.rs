//! Clarify formats (analysis_config.json, bias / explainability analysis.json,
//! constraint_violations.json), the bias baseline and the bias-drift rule, against the real
//! Clarify files in `tests/fixtures/sagemaker/{bias,attribution}` (PROVENANCE-bias.md,
//! PROVENANCE-clar.md).

use monitor_core::bias::{
    bias_baseline, bias_drift_violations, bias_metric_violates, read_bias_dataset, BiasDataFormat,
    BiasInputRow, Cell,
};
use monitor_core::formats::clarify::{
    attribution_violation_description, bias_violation_description, py_float_repr, AnalysisConfig,
    AttributionViolation, AttributionViolations, BiasAnalysis, BiasViolations,
    ExplainabilityAnalysis, FormatError, MetricValue,
};
use serde_json::Value;

fn fixture(rel: &str) -> String {
    // the manifest directory at run time: test binaries may outlive the clone they were
    // built in (a shared CARGO_TARGET_DIR across checkouts)
    let path = format!(
        "{}/../../tests/fixtures/sagemaker/{rel}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const BIAS_ANALYSES: [&str; 4] = [
    "bias/ex-bias-drift-adult-json-batch-baseline-analysis.json",
    "bias/ex-bias-drift-adult-jsonlines-endpoint-baseline-analysis.json",
    "bias/ex-clarify-fraud-bias_1-analysis.json",
    "bias/sdk-pipeline-clarify-data_bias-analysis.json",
];

const BIAS_VIOLATIONS: [&str; 3] = [
    "bias/ex-bias-drift-adult-json-batch-constraint_violations.json",
    "bias/ex-bias-drift-adult-jsonlines-batch-constraint_violations.json",
    "bias/ex-bias-drift-adult-jsonlines-endpoint-constraint_violations.json",
];

#[test]
fn python_float_repr() {
    // Python 3: repr(0.04), repr(2.0), repr(1e-05), repr(1e16), repr(1.5e-07), repr(-0.0),
    // repr(123456789.123), repr(0.0001), repr(1e15)
    assert_eq!(py_float_repr(0.04), "0.04");
    assert_eq!(py_float_repr(2.0), "2.0");
    assert_eq!(py_float_repr(1e-5), "1e-05");
    assert_eq!(py_float_repr(1e16), "1e+16");
    assert_eq!(py_float_repr(1.5e-7), "1.5e-07");
    assert_eq!(py_float_repr(-0.0), "-0.0");
    assert_eq!(py_float_repr(123_456_789.123), "123456789.123");
    assert_eq!(py_float_repr(0.0001), "0.0001");
    assert_eq!(py_float_repr(1e15), "1000000000000000.0");
    assert_eq!(py_float_repr(-36.69387755102041), "-36.69387755102041");
    assert_eq!(py_float_repr(f64::INFINITY), "Infinity");
    assert_eq!(py_float_repr(f64::NEG_INFINITY), "-Infinity");
}

#[test]
fn bias_analysis_fixtures_round_trip_byte_for_byte() {
    for file in BIAS_ANALYSES {
        let text = fixture(file);
        let a = BiasAnalysis::from_json(text.as_bytes()).unwrap();
        let out = a.to_json();
        // Notebook-printed copies end with print()'s newline; Clarify's file has none.
        assert_eq!(out, text.trim_end_matches('\n'), "{file}");
        assert_eq!(
            BiasAnalysis::from_json(out.as_bytes()).unwrap(),
            a,
            "{file}"
        );
    }
}

#[test]
fn bias_analysis_typed_access() {
    let a = BiasAnalysis::from_json(fixture(BIAS_ANALYSES[2]).as_bytes()).unwrap();
    let post = a.post_training_bias_metrics.as_ref().unwrap();
    assert_eq!(post.label, "fraud");
    assert_eq!(post.label_value_or_threshold.as_deref(), Some("0"));
    let entries = post.entries().unwrap();
    assert_eq!(entries.len(), 1);
    let (facet, e) = &entries[0];
    assert_eq!(facet, "customer_gender_female");
    assert_eq!(e.value_or_threshold, "1");
    let cddpl = e.metrics.iter().find(|m| m.name == "CDDPL").unwrap();
    assert_eq!(cddpl.value, MetricValue::Null);
    assert_eq!(
        cddpl.error.as_deref(),
        Some("Group variable is empty or not provided")
    );
    // an integer value stays an integer on the way back
    assert!(e.metrics.iter().any(|m| m.value == MetricValue::Int(0)));
}

#[test]
fn infinite_metric_values_are_strings() {
    let text = r#"{"version": "1.0", "post_training_bias_metrics": {"label": "y", "facets": {"s": [{"value_or_threshold": "1", "metrics": [{"name": "TE", "description": "Treatment Equality (TE)", "value": "Infinity"}, {"name": "DI", "description": "Disparate Impact (DI)", "value": "-Infinity"}]}]}, "label_value_or_threshold": "1"}}"#;
    let a = BiasAnalysis::from_json(text.as_bytes()).unwrap();
    let e = &a
        .post_training_bias_metrics
        .as_ref()
        .unwrap()
        .entries()
        .unwrap()[0]
        .1;
    assert_eq!(e.metrics[0].value.as_f64(), Some(f64::INFINITY));
    assert_eq!(e.metrics[1].value.as_f64(), Some(f64::NEG_INFINITY));
    let out = a.to_json();
    assert!(out.contains(r#""value": "Infinity""#), "{out}");
    assert!(out.contains(r#""value": "-Infinity""#), "{out}");
    assert_eq!(BiasAnalysis::from_json(out.as_bytes()).unwrap(), a);
    // a non-numeric string is rejected with its text
    let bad = text.replace("\"-Infinity\"", "\"big\"");
    let err = BiasAnalysis::from_json(bad.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("big"), "{err}");
}

#[test]
fn explainability_fixtures_round_trip() {
    for file in [
        "attribution/ex-attr-drift-adult-json-batch-baseline-analysis.json",
        "attribution/ex-attr-drift-adult-jsonlines-batch-baseline-analysis.json",
    ] {
        let text = fixture(file);
        let a = ExplainabilityAnalysis::from_json(text.as_bytes()).unwrap();
        assert_eq!(a.to_json(), text.trim_end_matches('\n'), "{file}");
        assert_eq!(
            ExplainabilityAnalysis::from_json(a.to_json().as_bytes()).unwrap(),
            a
        );
        let labels = a.labels().unwrap();
        assert_eq!(labels.len(), 1);
        let values = labels[0].1.values();
        assert_eq!(values.len(), 14);
        assert_eq!(values[0].0, "Age");
        assert_eq!(values[13].0, "Country");
    }
    let a = ExplainabilityAnalysis::from_json(
        fixture("attribution/ex-attr-drift-adult-jsonlines-batch-baseline-analysis.json")
            .as_bytes(),
    )
    .unwrap();
    let (label, e) = &a.labels().unwrap()[0];
    assert_eq!(label, "label0");
    assert_eq!(e.expected_value, 0.250623226165771);
    // rebuilt from typed parts → same text
    let rebuilt = ExplainabilityAnalysis::new(a.labels().unwrap());
    assert_eq!(rebuilt.to_json(), a.to_json());
}

#[test]
fn bias_violation_fixtures_round_trip_byte_for_byte() {
    for file in BIAS_VIOLATIONS {
        let text = fixture(file);
        let v = BiasViolations::from_json(text.as_bytes()).unwrap();
        assert_eq!(v.to_json(), text.trim_end_matches('\n'), "{file}");
        for x in &v.violations {
            assert_eq!(x.constraint_check_type, "bias_drift_check");
        }
    }
    // the DG example (older wording and layout) parses
    let dg = BiasViolations::from_json(
        fixture("bias/dg-example-bias-drift-constraint_violations.json").as_bytes(),
    );
    let dg = dg.unwrap();
    let names: Vec<&str> = dg
        .violations
        .iter()
        .map(|x| x.metric_name.as_str())
        .collect();
    assert_eq!(names, ["CI", "DPPL"]);
    assert_eq!(dg.violations[0].facet_value, "40");
}

#[test]
fn attribution_violations_dg_example() {
    let text = fixture("attribution/dg-example-attribution-drift-constraint_violations.json");
    let v = AttributionViolations::from_json(text.as_bytes()).unwrap();
    assert_eq!(v.violations.len(), 2);
    // the builder reproduces both descriptions
    let built = AttributionViolation::new("label0", 0.7639720923277322, 0.9);
    assert_eq!(built, v.violations[0]);
    // The DG's second number has one digit more than Python's repr of the same double
    // (0.7323763972092327 reads back as the double whose shortest text ends in ...28), so
    // the DG text was not written by repr; compare the numbers instead.
    let built = attribution_violation_description(0.7323763972092327, 0.9);
    let num = |d: &str| -> f64 {
        d.strip_prefix("Feature attribution drift ")
            .and_then(|r| r.split_once(' '))
            .map(|(n, _)| n.parse().unwrap())
            .unwrap()
    };
    assert_eq!(num(&built), num(&v.violations[1].description));
    assert!(built.ends_with(" exceeds threshold 0.9"));
    assert_eq!(
        AttributionViolations::from_json(v.to_json().as_bytes()).unwrap(),
        v
    );
}

/// Parses `Metric value {v} doesn't meet the baseline constraint requirement {b}`.
fn parse_description(d: &str) -> (f64, f64) {
    let rest = d.strip_prefix("Metric value ").unwrap();
    let (v, b) = rest
        .split_once(" doesn't meet the baseline constraint requirement ")
        .unwrap();
    let num = |s: &str| match s {
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => s.parse().unwrap(),
    };
    (num(v), num(b))
}

#[test]
fn description_builder_and_rule_on_real_violations() {
    for file in BIAS_VIOLATIONS {
        let v = BiasViolations::from_json(fixture(file).as_bytes()).unwrap();
        assert!(!v.violations.is_empty());
        for x in &v.violations {
            let (cur, base) = parse_description(&x.description);
            assert_eq!(
                bias_violation_description(cur, base),
                x.description,
                "{file}"
            );
            assert!(
                bias_metric_violates(&x.metric_name, cur, base),
                "{file}: {}",
                x.description
            );
        }
    }
}

/// The endpoint run's violations, rebuilt: baseline = the real baseline analysis.json,
/// current = the baseline with the violating values of the real violation file substituted.
/// Only those metrics (and no other) must be reported, with the file's exact text.
#[test]
fn bias_drift_violations_reproduce_the_real_file() {
    let baseline_text =
        fixture("bias/ex-bias-drift-adult-jsonlines-endpoint-baseline-analysis.json");
    let baseline = BiasAnalysis::from_json(baseline_text.as_bytes()).unwrap();
    let expected = BiasViolations::from_json(
        fixture("bias/ex-bias-drift-adult-jsonlines-endpoint-constraint_violations.json")
            .as_bytes(),
    )
    .unwrap();
    let mut current: Value = serde_json::from_str(&baseline_text).unwrap();
    for x in &expected.violations {
        let (cur, _) = parse_description(&x.description);
        let metrics = current["post_training_bias_metrics"]["facets"][&x.facet][0]["metrics"]
            .as_array_mut()
            .unwrap();
        let m = metrics
            .iter_mut()
            .find(|m| m["name"] == x.metric_name.as_str())
            .unwrap();
        m["value"] = if cur.is_infinite() {
            Value::String("Infinity".into())
        } else {
            serde_json::json!(cur)
        };
    }
    let current = BiasAnalysis::from_json(current.to_string().as_bytes()).unwrap();
    let got = bias_drift_violations(&baseline, &current);
    assert_eq!(got, expected);
    assert_eq!(got.to_json(), expected.to_json());
    // baseline against itself: nothing is worse
    assert!(bias_drift_violations(&baseline, &baseline)
        .violations
        .is_empty());
}

#[test]
fn violation_rule_edges() {
    // DG: baseline DPPL 0.2, current 0.1 → ok, −0.3 → violation
    assert!(!bias_metric_violates("DPPL", 0.1, 0.2));
    assert!(bias_metric_violates("DPPL", -0.3, 0.2));
    // DI by distance from 1: 0.8 vs 0.9 worse, 1.05 vs 0.9 not
    assert!(bias_metric_violates("DI", 0.8, 0.9));
    assert!(!bias_metric_violates("DI", 1.05, 0.9));
    // NaN never violates; ∞ vs ∞ does not
    assert!(!bias_metric_violates("TE", f64::NAN, 0.1));
    assert!(!bias_metric_violates("TE", f64::INFINITY, f64::INFINITY));
    assert!(bias_metric_violates("TE", f64::INFINITY, 2.916666666666667));
}

fn sdk_pipeline_config() -> AnalysisConfig {
    // SDK integ test config (see drift-math/tests/bias_shap.rs): headers Label, F1..F4,
    // label 1, facet F1 threshold 0.5, group F2.
    AnalysisConfig::from_json(
        br#"{"version": "1.0",
             "headers": ["Label", "F1", "F2", "F3", "F4"],
             "label": "Label",
             "label_values_or_threshold": [1],
             "facet": [{"name_or_index": "F1", "value_or_threshold": [0.5]}],
             "group_variable": "F2",
             "methods": {"pre_training_bias": {"methods": "all"}}}"#,
    )
    .unwrap()
}

fn metric_values(a: &BiasAnalysis, pre: bool) -> Vec<(String, Option<f64>, Option<String>)> {
    let block = if pre {
        a.pre_training_bias_metrics.as_ref()
    } else {
        a.post_training_bias_metrics.as_ref()
    };
    block.unwrap().entries().unwrap()[0]
        .1
        .metrics
        .iter()
        .map(|m| (m.name.clone(), m.value.as_f64(), m.error.clone()))
        .collect()
}

#[test]
fn bias_baseline_reproduces_sdk_pipeline_pre_training() {
    let config = sdk_pipeline_config();
    let rows = read_bias_dataset(
        fixture("datasets/sdk-pipeline-clarify-dataset.csv").as_bytes(),
        BiasDataFormat::Csv,
        &config,
        "sdk-pipeline-clarify-dataset.csv",
    )
    .unwrap();
    assert_eq!(rows.len(), 100);
    let got = bias_baseline(rows.into_iter(), &config).unwrap();
    let want = BiasAnalysis::from_json(
        fixture("bias/sdk-pipeline-clarify-data_bias-analysis.json").as_bytes(),
    )
    .unwrap();
    assert!(got.post_training_bias_metrics.is_none());
    let gb = got.pre_training_bias_metrics.as_ref().unwrap();
    let wb = want.pre_training_bias_metrics.as_ref().unwrap();
    assert_eq!(gb.label, wb.label);
    assert_eq!(gb.label_value_or_threshold, wb.label_value_or_threshold);
    let (gf, ge) = &gb.entries().unwrap()[0];
    let (wf, we) = &wb.entries().unwrap()[0];
    assert_eq!(gf, wf);
    assert_eq!(ge.value_or_threshold, we.value_or_threshold);
    let g = metric_values(&got, true);
    let w = metric_values(&want, true);
    assert_eq!(g.len(), w.len());
    for ((gn, gv, _), (wn, wv, _)) in g.iter().zip(&w) {
        assert_eq!(gn, wn);
        let (gv, wv) = (gv.unwrap(), wv.unwrap());
        assert!((gv - wv).abs() <= 1e-9, "{gn}: {gv} vs {wv}");
    }
    // descriptions equal too
    for (gm, wm) in ge.metrics.iter().zip(&we.metrics) {
        assert_eq!(gm.description, wm.description);
    }
}

#[test]
fn bias_baseline_reproduces_adult_pre_training_from_json_lines() {
    let config = AnalysisConfig::from_json(
        br#"{"headers": ["Age", "Workclass", "fnlwgt", "Education", "Education-Num",
                         "Marital Status", "Occupation", "Relationship", "Ethnic group", "Sex",
                         "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target"],
             "label": "Target", "label_values_or_threshold": [1],
             "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
             "group_variable": "Age", "probability_threshold": 0.5}"#,
    )
    .unwrap();
    let rows = read_bias_dataset(
        fixture("datasets/ex-adult-validation-dataset.jsonl").as_bytes(),
        BiasDataFormat::JsonLines,
        &config,
        "ex-adult-validation-dataset.jsonl",
    )
    .unwrap();
    assert_eq!(rows.len(), 666);
    let got = bias_baseline(rows.into_iter(), &config).unwrap();
    let want = BiasAnalysis::from_json(
        fixture("bias/ex-bias-drift-adult-jsonlines-endpoint-baseline-analysis.json").as_bytes(),
    )
    .unwrap();
    let gb = got.pre_training_bias_metrics.as_ref().unwrap();
    assert_eq!(gb.label, "Target");
    assert_eq!(gb.label_value_or_threshold.as_deref(), Some("1"));
    assert_eq!(gb.entries().unwrap()[0].0, "Sex");
    assert_eq!(gb.entries().unwrap()[0].1.value_or_threshold, "0");
    for ((gn, gv, _), (wn, wv, _)) in metric_values(&got, true)
        .iter()
        .zip(&metric_values(&want, true))
    {
        assert_eq!(gn, wn);
        let (gv, wv) = (gv.unwrap(), wv.unwrap());
        assert!((gv - wv).abs() <= 1e-9, "{gn}: {gv} vs {wv}");
    }
}

fn row(label: f64, facet: f64, group: &str, predicted: f64) -> BiasInputRow {
    BiasInputRow {
        label: Cell::Number(label),
        facets: vec![Cell::Number(facet)],
        group: Some(Cell::Text(group.to_owned())),
        predicted: Some(Cell::Number(predicted)),
        features: None,
    }
}

#[test]
fn bias_baseline_post_training_with_probabilities() {
    let config = AnalysisConfig::from_json(
        br#"{"label": "y", "label_values_or_threshold": [1],
             "facet": [{"name_or_index": "s", "value_or_threshold": [1]}],
             "group_variable": "g", "probability_threshold": 0.5}"#,
    )
    .unwrap();
    // a: (y, ŷ) = (1,1) (0,1) (1,0) (0,0); d: (1,1) (1,0) (0,0) (0,0)
    // probabilities 0.5 are not > 0.5 → predicted 0
    let rows = vec![
        row(1.0, 0.0, "x", 0.9),
        row(0.0, 0.0, "y", 0.7),
        row(1.0, 0.0, "x", 0.5),
        row(0.0, 0.0, "y", 0.1),
        row(1.0, 1.0, "x", 0.8),
        row(1.0, 1.0, "y", 0.2),
        row(0.0, 1.0, "x", 0.3),
        row(0.0, 1.0, "y", 0.0),
    ];
    // Clarify's column rule (issue 12): 0/1 integer columns are categorical only below 0.05
    // distinct values per row, i.e. from 41 rows; 8 rows would make `[1]` a threshold `> 1`.
    // The 8 rows are repeated 6 times (48 rows, 2/48 < 0.05): every ratio below is unchanged.
    let rows: Vec<BiasInputRow> = (0..6).flat_map(|_| rows.clone()).collect();
    let a = bias_baseline(rows.into_iter(), &config).unwrap();
    let post = metric_values(&a, false);
    let get = |n: &str| post.iter().find(|m| m.0 == n).unwrap().1.unwrap();
    // DPPL = n̂_a(1)/n_a − n̂_d(1)/n_d = 2/4 − 1/4
    assert!((get("DPPL") - 0.25).abs() < 1e-15);
    // DI = (1/4)/(2/4)
    assert!((get("DI") - 0.5).abs() < 1e-15);
    // no features → FT fails with its message
    let ft = post.iter().find(|m| m.0 == "FT").unwrap();
    assert_eq!(ft.1, None);
    assert!(ft.2.is_some());
    // 13 post-training and 8 pre-training metrics, codes sorted as Clarify lists them
    assert_eq!(post.len(), 13);
    assert_eq!(metric_values(&a, true).len(), 8);
    // written and read back
    let back = BiasAnalysis::from_json(a.to_json().as_bytes()).unwrap();
    assert_eq!(back, a);
}

#[test]
fn config_validation_names_the_field() {
    let err = AnalysisConfig::from_json(
        br#"{"headers": ["a", "b"], "label": "b", "label_values_or_threshold": [1],
             "facet": [{"name_or_index": "c", "value_or_threshold": [1]}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, FormatError::Invalid { field, .. } if field == "facet[0].name_or_index"),
        "{err}"
    );
    let err = AnalysisConfig::from_json(
        br#"{"label": "b", "label_values_or_threshold": [], "facet": [{"name_or_index": 0}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("label_values_or_threshold"),
        "{err}"
    );
    let err = AnalysisConfig::from_json(br#"{"label": "b", "facet": []}"#).unwrap_err();
    assert!(
        err.to_string().contains("label_values_or_threshold"),
        "{err}"
    );
    let err = AnalysisConfig::from_json(
        br#"{"headers": ["a", "a"], "label": "a", "label_values_or_threshold": [1],
             "facet": [{"name_or_index": 0, "value_or_threshold": [1]}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("headers[1]"), "{err}");
    // unknown keys are kept
    let c = AnalysisConfig::from_json(
        br#"{"label": 0, "label_values_or_threshold": ["yes"], "dataset_type": "text/csv",
             "facet": [{"name_or_index": 1, "value_or_threshold": ["f"]}]}"#,
    )
    .unwrap();
    assert_eq!(c.extra["dataset_type"], "text/csv");
    assert!(c.to_json().contains("\"dataset_type\": \"text/csv\""));
}

#[test]
fn dataset_reader_errors_name_the_place() {
    let config = sdk_pipeline_config();
    let err = read_bias_dataset(
        "1,0.2,0.3,0.4,0.5\n0,0.1,0.2\n".as_bytes(),
        BiasDataFormat::Csv,
        &config,
        "bad.csv",
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("bad.csv:2:"), "{err}");
    // a header row equal to the config headers is skipped
    let rows = read_bias_dataset(
        "Label,F1,F2,F3,F4\n1,0.7,a,0.4,0.5\n".as_bytes(),
        BiasDataFormat::Csv,
        &config,
        "h.csv",
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].label, Cell::Number(1.0));
    assert_eq!(rows[0].group, Some(Cell::Text("a".into())));
    // features = every numeric non-label column, or none when one is text
    assert_eq!(rows[0].features, None);
}
