//! Clarify's facet and label column rule (issue 12 item 1): integer columns above and below
//! smclarify's 0.05 distinct-fraction line, thresholds and value lists, one-vs-rest facets,
//! the real churn validation set, and a window's recomputed interval.
//!
//! Reference values: smclarify 0.5 in a venv (`pip install "smclarify==0.5" "pandas<3"
//! "numpy<2.3"`), calling `smclarify.bias.report.bias_report(df,
//! FacetColumn("f", values), LabelColumn("y", df["y"], label_values),
//! StageType.PRE_TRAINING, metrics=[...])`; each test names its call. Fixture provenance:
//! `tests/fixtures/sagemaker/PROVENANCE-colrule.md`.

use std::collections::BTreeMap;

use monitor_core::bias::{
    bias_baseline, bias_drift_violations, read_bias_dataset, BiasDataFormat, BiasInputRow,
    BiasRules, Cell,
};
use monitor_core::formats::clarify::{AnalysisConfig, BiasAnalysis};
use monitor_core::joined::predictions::Prediction;

fn fixture(rel: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/sagemaker/{rel}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn config(facet_values: &str, label_values: &str) -> AnalysisConfig {
    let facet = if facet_values.is_empty() {
        r#"{"name_or_index": "f"}"#.to_owned()
    } else {
        format!(r#"{{"name_or_index": "f", "value_or_threshold": {facet_values}}}"#)
    };
    AnalysisConfig::from_json(
        format!(
            r#"{{"headers": ["f", "y"], "label": "y", "label_values_or_threshold": {label_values},
                 "facet": [{facet}], "methods": {{"pre_training_bias": {{"methods": ["CI", "DPL"]}}}}}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

#[allow(clippy::cast_precision_loss)]
fn int(x: i64) -> Cell {
    Cell::Number(x as f64)
}

fn rows(facet: &[Cell], label: &[Cell]) -> Vec<BiasInputRow> {
    facet
        .iter()
        .zip(label)
        .map(|(f, y)| BiasInputRow {
            label: y.clone(),
            facets: vec![f.clone()],
            group: None,
            predicted: None,
            features: None,
        })
        .collect()
}

/// (label text, [(facet value text, [(metric, value or None)])])
type Entries = (String, Vec<(String, Vec<(String, Option<f64>)>)>);

fn entries(a: &BiasAnalysis) -> Entries {
    let block = a.pre_training_bias_metrics.as_ref().unwrap();
    let mut out = Vec::new();
    for (_, e) in block.entries().unwrap() {
        out.push((
            e.value_or_threshold.clone(),
            e.metrics
                .iter()
                .map(|m| (m.name.clone(), m.value.as_f64()))
                .collect(),
        ));
    }
    (block.label_value_or_threshold.clone().unwrap(), out)
}

fn close(got: Option<f64>, want: f64) {
    let g = got.unwrap_or_else(|| panic!("no value, expected {want}"));
    assert!((g - want).abs() <= 1e-15, "{g} vs {want}");
}

/// Dataset A: ages 21..=40 (20 distinct integers in 20 rows: fraction 1 ≥ 0.05 →
/// continuous); label "income", integers all distinct (continuous too), positive when
/// income > 50, i.e. for ages 21..=27 and 31..=33 (income 60 + i there, 40 − i elsewhere,
/// i = row index; max 72 at age 33).
fn dataset_a() -> Vec<BiasInputRow> {
    let ages: Vec<i64> = (21..=40).collect();
    let income: Vec<Cell> = ages
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let i = i64::try_from(i).unwrap();
            int(if (21..=27).contains(&a) || (31..=33).contains(&a) {
                60 + i
            } else {
                40 - i
            })
        })
        .collect();
    rows(&ages.iter().map(|&a| int(a)).collect::<Vec<_>>(), &income)
}

#[test]
fn integer_facet_above_the_line_threshold_and_value_list() {
    // smclarify: bias_report(FacetColumn("f", [30]), LabelColumn("y", income, [50]))
    //   → label "(50, 72]", facet "(30, 40]", CI 0.0, DPL 0.39999999999999997
    // by hand: d = ages 31..=40 (10), a = 21..=30 (10): CI = (10 − 10)/20 = 0;
    //   q_a = 7/10, q_d = 3/10, DPL = 0.7 − 0.3
    let a = bias_baseline(dataset_a().into_iter(), &config("[30]", "[50]")).unwrap();
    let (label, facets) = entries(&a);
    assert_eq!(label, "(50, 72]");
    assert_eq!(facets.len(), 1);
    assert_eq!(facets[0].0, "(30, 40]");
    close(facets[0].1[0].1, 0.0);
    close(facets[0].1[1].1, 0.7 - 0.3);
    close(facets[0].1[1].1, 0.399_999_999_999_999_97);

    // a list of two values is categorical whatever the column:
    // smclarify: bias_report(FacetColumn("f", [30, 31]), ...) → "30,31", CI 0.8, DPL 0.0
    // by hand: d = {30, 31} (2 rows, 1 positive: 31), a = 18 rows with 9 positives:
    //   CI = (18 − 2)/20 = 0.8, DPL = 9/18 − 1/2 = 0
    let a = bias_baseline(dataset_a().into_iter(), &config("[30, 31]", "[50]")).unwrap();
    let (label, facets) = entries(&a);
    assert_eq!(label, "(50, 72]");
    assert_eq!(facets[0].0, "30,31");
    close(facets[0].1[0].1, 0.8);
    close(facets[0].1[1].1, 0.0);
}

/// Dataset B: 30 rows of 1 then 10 rows of 2 (2 distinct in 40 rows: 2/40 = 0.05, on the
/// line → continuous); `extra` adds rows of 1 labelled "no" (41 rows: 2/41 < 0.05 →
/// categorical). Label text "yes" (15 of the 1s, 2 of the 2s), categorical.
fn dataset_b(extra: usize) -> Vec<BiasInputRow> {
    let mut f: Vec<Cell> = (0..30)
        .map(|_| int(1))
        .chain((0..10).map(|_| int(2)))
        .collect();
    let yes = |n| (0..n).map(|_| Cell::Text("yes".into()));
    let no = |n| (0..n).map(|_| Cell::Text("no".into()));
    let mut y: Vec<Cell> = yes(15).chain(no(15)).chain(yes(2)).chain(no(8)).collect();
    f.extend((0..extra).map(|_| int(1)));
    y.extend(no(extra));
    rows(&f, &y)
}

#[test]
fn integer_facet_on_and_below_the_line() {
    // 40 rows, on the line → threshold:
    // smclarify: bias_report(FacetColumn("f", [1]), LabelColumn("y", y, ["yes"]))
    //   → "(1, 2]", CI 0.5, DPL 0.3
    // by hand: d = the 2s (10 rows, 2 yes), a = the 1s (30 rows, 15 yes):
    //   CI = (30 − 10)/40 = 0.5, DPL = 15/30 − 2/10 = 0.3
    let a = bias_baseline(dataset_b(0).into_iter(), &config("[1]", r#"["yes"]"#)).unwrap();
    let (label, facets) = entries(&a);
    assert_eq!(label, "yes");
    assert_eq!(facets[0].0, "(1, 2]");
    close(facets[0].1[0].1, 0.5);
    close(facets[0].1[1].1, 0.5 - 0.2);

    // 41 rows, below the line → the category 1:
    // smclarify: same call on 41 rows → "1", CI -0.5121951219512195, DPL -0.2838709677419355
    // by hand: d = the 1s (31 rows, 15 yes), a = the 2s (10 rows, 2 yes):
    //   CI = (10 − 31)/41 = −21/41, DPL = 2/10 − 15/31
    let a = bias_baseline(dataset_b(1).into_iter(), &config("[1]", r#"["yes"]"#)).unwrap();
    let (_, facets) = entries(&a);
    assert_eq!(facets[0].0, "1");
    close(facets[0].1[0].1, -21.0 / 41.0);
    close(facets[0].1[1].1, -0.283_870_967_741_935_5);

    // a value list on the continuous 40 rows is categorical: d = every row, a = none
    // smclarify: FacetColumn("f", [1, 2]) → "1,2", CI and DPL errors (negated facet empty)
    let a = bias_baseline(dataset_b(0).into_iter(), &config("[1, 2]", r#"["yes"]"#)).unwrap();
    let block = a.pre_training_bias_metrics.as_ref().unwrap();
    let (_, e) = &block.entries().unwrap()[0];
    assert_eq!(e.value_or_threshold, "1,2");
    assert!(e.metrics.iter().all(|m| m.value.as_f64().is_none()));
    assert!(e.metrics.iter().all(|m| m.error.is_some()));
}

#[test]
fn one_vs_rest_facets() {
    // smclarify: FacetColumn("f", None) on the 41 rows → entries "1" then "2" (pandas
    // unique() order): "1": CI −21/41, DPL 2/10 − 15/31; "2": the negations
    let a = bias_baseline(dataset_b(1).into_iter(), &config("", r#"["yes"]"#)).unwrap();
    let (_, facets) = entries(&a);
    let names: Vec<&str> = facets.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["1", "2"]);
    close(facets[0].1[0].1, -21.0 / 41.0);
    close(facets[1].1[0].1, 21.0 / 41.0);
    close(facets[0].1[1].1, -0.283_870_967_741_935_5);
    close(facets[1].1[1].1, 0.283_870_967_741_935_5);
    // on the continuous 40 rows smclarify raises
    // ValueError('Threshold values must be provided for continuous features')
    let e = bias_baseline(dataset_b(0).into_iter(), &config("", r#"["yes"]"#)).unwrap_err();
    assert!(
        e.to_string()
            .contains("Threshold values must be provided for continuous features"),
        "{e}"
    );
}

fn churn_config() -> AnalysisConfig {
    let csv = fixture("datasets/ex-churn-validation-dataset-with-header.csv");
    let header = csv.lines().next().unwrap();
    let headers: Vec<&str> = header.split(',').collect();
    AnalysisConfig::from_json(
        serde_json::json!({
            "headers": headers, "label": "Churn", "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "Account Length", "value_or_threshold": [100]},
                      {"name_or_index": "CustServ Calls"}],
            "group_variable": "VMail Plan_yes",
            "methods": {"pre_training_bias": {"methods": "all"}}
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

#[test]
fn churn_validation_set_reproduces_smclarify() {
    // smclarify on datasets/ex-churn-validation-dataset-with-header.csv (666 rows):
    //   df = pd.read_csv(...); bias_report(df, FacetColumn(facet, values),
    //     LabelColumn("Churn", df["Churn"], [1]), StageType.PRE_TRAINING,
    //     metrics=["CI","DPL","KL","JS","LP","TVD","KS","CDDL"], group_variable=df["VMail Plan_yes"])
    // "Account Length": int64, 174 distinct of 666 (0.26 ≥ 0.05) → threshold, max 225;
    // "CustServ Calls": int64, 9 distinct of 666 (0.014) → one-vs-rest, 9 values.
    let want: [(&str, &str, [f64; 8]); 3] = [
        // (facet, value, [CDDL, CI, DPL, JS, KL, KS, LP, TVD])
        (
            "Account Length",
            "(100, 225]",
            [
                -0.085_983_065_184_555_62,
                -0.012_012_012_012_012_012,
                -0.032_072_731_864_385_39,
                0.000_934_645_272_088_258_6,
                0.003_645_914_387_951_369,
                0.032_072_731_864_385_42,
                0.045_357_692_384_969_56,
                0.032_072_731_864_385_404,
            ],
        ),
        (
            "CustServ Calls",
            "1",
            [
                0.122_614_156_176_787_82,
                0.261_261_261_261_261_26,
                0.068_524_970_963_995_35,
                0.004_483_947_308_496_303_4,
                0.019_155_852_311_597_4,
                0.068_524_970_963_995_35,
                0.096_908_943_298_504_76,
                0.068_524_970_963_995_35,
            ],
        ),
        (
            "CustServ Calls",
            "5",
            [
                -0.066_352_162_944_017_87,
                0.951_951_951_951_951_9,
                -0.407_115_384_615_384_66,
                0.094_181_781_590_129_01,
                0.355_691_532_346_059_05,
                0.407_115_384_615_384_66,
                0.575_748_098_373_815_9,
                0.407_115_384_615_384_66,
            ],
        ),
    ];
    let config = churn_config();
    let rows = read_bias_dataset(
        fixture("datasets/ex-churn-validation-dataset-with-header.csv").as_bytes(),
        BiasDataFormat::Csv,
        &config,
        "ex-churn-validation-dataset-with-header.csv",
    )
    .unwrap();
    assert_eq!(rows.len(), 666);
    let a = bias_baseline(rows.into_iter(), &config).unwrap();
    let block = a.pre_training_bias_metrics.as_ref().unwrap();
    assert_eq!(block.label_value_or_threshold.as_deref(), Some("1"));
    let got = block.entries().unwrap();
    // smclarify's order of the one-vs-rest values (pandas unique())
    let order: Vec<&str> = got
        .iter()
        .filter(|(f, _)| f == "CustServ Calls")
        .map(|(_, e)| e.value_or_threshold.as_str())
        .collect();
    assert_eq!(order, ["1", "0", "4", "3", "5", "2", "6", "9", "7"]);
    for (facet, value, metrics) in want {
        let (_, e) = got
            .iter()
            .find(|(f, e)| f == facet && e.value_or_threshold == value)
            .unwrap_or_else(|| panic!("{facet} {value} missing"));
        for (m, w) in e.metrics.iter().zip(metrics) {
            let g = m.value.as_f64().unwrap();
            assert!(
                (g - w).abs() <= 1e-12,
                "{facet} {value} {}: {g} vs {w}",
                m.name
            );
        }
    }
}

fn prediction(facet: &str, label: &str) -> Prediction {
    serde_json::from_value(serde_json::json!({
        "key": "k", "event_id": "e", "inference_time": "2026-01-01T00:00:00Z", "time": 0,
        "label": label, "variant": "AllTraffic", "output": {}, "facets": {"f": facet}
    }))
    .unwrap()
}

#[test]
fn window_recomputes_the_interval_and_violations_name_it() {
    let cfg = config("[30]", "[50]");
    let baseline = bias_baseline(dataset_a().into_iter(), &cfg).unwrap();
    let rules = BiasRules::new(&cfg, &baseline, 0.5, false).unwrap();
    let mut state = rules.empty_state(10);
    // window: ages 25, 35, 45 with income 80, 45, 90 (the predictions are the labels)
    for (age, income) in [("25", "80"), ("35", "45"), ("45", "90")] {
        rules
            .add(&mut state, income, &prediction(age, income))
            .unwrap();
    }
    let window = rules.analysis(&cfg, &state).unwrap();
    let (label, facets) = entries(&window);
    // the window's own max: facet (30, 45], label (50, 90]
    assert_eq!(label, "(50, 90]");
    assert_eq!(facets[0].0, "(30, 45]");
    // d = {35, 45}, a = {25}: CI = (1 − 2)/3; baseline CI = 0 → a bias_drift_check
    close(facets[0].1[0].1, -1.0 / 3.0);
    let v = bias_drift_violations(&baseline, &window);
    let ci = v
        .violations
        .iter()
        .find(|x| x.metric_name == "CI")
        .expect("CI drifts");
    assert_eq!(ci.facet_value, "(30, 45]");
}

#[test]
fn one_vs_rest_windows_merge_exactly_and_match_the_baseline() {
    let cfg = config("", r#"["yes"]"#);
    let data = dataset_b(1);
    let baseline = bias_baseline(data.clone().into_iter(), &cfg).unwrap();
    let rules = BiasRules::new(&cfg, &baseline, 0.5, false).unwrap();
    let text = |c: &Cell| match c {
        Cell::Number(x) => format!("{x}"),
        Cell::Text(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    let mut whole = rules.empty_state(10);
    // the 2s only in the second half: the first half has never seen the value 2
    let (mut first, mut second) = (rules.empty_state(10), rules.empty_state(10));
    for (i, r) in data.iter().enumerate() {
        let p = prediction(&text(&r.facets[0]), &text(&r.label));
        let l = text(&r.label);
        rules.add(&mut whole, &l, &p).unwrap();
        rules
            .add(if i < 30 { &mut first } else { &mut second }, &l, &p)
            .unwrap();
    }
    first.merge(&second).unwrap();
    assert_eq!(first, whole);
    let window = rules.analysis(&cfg, &whole).unwrap();
    let by_value = |a: &BiasAnalysis| -> BTreeMap<String, Vec<(String, Option<f64>)>> {
        entries(a).1.into_iter().collect()
    };
    assert_eq!(by_value(&window), by_value(&baseline));
    assert_eq!(by_value(&window).len(), 2);
}
