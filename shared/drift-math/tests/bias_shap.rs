//! Clarify bias metrics, SHAP and attribution nDCG (issue 7, numerics).
//!
//! Reference values come from (a) hand-worked fractions in the comments, (b) real Clarify
//! outputs in `tests/fixtures/sagemaker/{bias,attribution}` reproduced from their input data
//! sets in `tests/fixtures/sagemaker/datasets`, (c) scikit-learn 1.9.1 / NumPy 2.4.6 calls
//! quoted next to each number, and (d) brute-force Shapley values computed in this file.
//!
//! Tolerances: [`TIGHT`] for the same formula evaluated in another order; [`FIXTURE`] for
//! numbers Clarify printed (pandas/NumPy summation order differs by a few ulps).

use drift_math::bias::{
    clarify_divide, generalized_entropy, BiasError, BiasRow, BiasState, MetricCode, SideCounts,
};
use drift_math::shap::{
    aggregate, ndcg, ndcg_by_name, AggMethod, KernelShap, KernelShapConfig, LinearShap, ShapError,
    NDCG_THRESHOLD,
};
use proptest::prelude::*;
use serde_json::Value;
use test_support::read_sagemaker_fixture as fixture;

/// Same formula, different evaluation order.
const TIGHT: f64 = 1e-12;
/// Against values printed in a Clarify analysis.json.
const FIXTURE: f64 = 1e-9;

#[track_caller]
fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:?}, want {want:?} (diff {:e} > {tol:e})",
        (got - want).abs()
    );
}

/// `(code → value or error)` of the first facet entry of one stage of an analysis.json.
fn clarify_metrics(analysis: &Value, stage: &str) -> Vec<(String, Result<f64, String>)> {
    let facets = analysis[stage]["facets"].as_object().unwrap();
    assert_eq!(facets.len(), 1, "one facet expected");
    let entry = &facets.values().next().unwrap()[0];
    entry["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = m["name"].as_str().unwrap().to_string();
            let v = &m["value"];
            let value = match v {
                Value::Number(n) => Ok(n.as_f64().unwrap()),
                Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
                Value::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => Err(m["error"].as_str().unwrap().to_string()),
            };
            (name, value)
        })
        .collect()
}

/// Checks every metric of `stage` listed in the fixture whose code is in `codes`: value within
/// [`FIXTURE`], or the same error text; also checks the description strings.
fn assert_matches_fixture(state: &BiasState, analysis: &Value, stage: &str, codes: &[MetricCode]) {
    let facets = analysis[stage]["facets"].as_object().unwrap();
    let entry = &facets.values().next().unwrap()[0];
    for m in entry["metrics"].as_array().unwrap() {
        let code: MetricCode = m["name"].as_str().unwrap().parse().unwrap();
        assert_eq!(m["description"].as_str().unwrap(), code.description());
    }
    let expected = clarify_metrics(analysis, stage);
    let mut checked = 0;
    for (name, want) in expected {
        let code: MetricCode = name.parse().unwrap();
        if !codes.contains(&code) {
            continue;
        }
        checked += 1;
        match (state.metric(code), want) {
            (Ok(got), Ok(want)) => close(got, want, FIXTURE, &name),
            (Err(got), Err(want)) => assert_eq!(got.to_string(), want, "{name}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(
        checked,
        codes.len(),
        "every requested code is in the fixture"
    );
}

// ---- bias: hand-worked table ------------------------------------------------------------

/// (sensitive, label, predicted, group)
const HAND: [(bool, bool, bool, &str); 14] = [
    // group a (complement): TP TP FN FP TN TN TN TP
    (false, true, true, "x"),
    (false, true, true, "y"),
    (false, true, false, "x"),
    (false, false, true, "y"),
    (false, false, false, "x"),
    (false, false, false, "y"),
    (false, false, false, "x"),
    (false, true, true, "x"),
    // group d (sensitive): TP FN FN TN FP FN
    (true, true, true, "x"),
    (true, true, false, "y"),
    (true, true, false, "x"),
    (true, false, false, "y"),
    (true, false, true, "x"),
    (true, true, false, "y"),
];

fn hand_state() -> BiasState {
    let mut s = BiasState::new();
    for &(sensitive, label, predicted, group) in &HAND {
        s.update(&BiasRow {
            sensitive,
            label,
            predicted: Some(predicted),
            group: Some(group),
            features: None,
        })
        .unwrap();
    }
    s
}

#[test]
fn hand_table_counts() {
    let s = hand_state();
    let a = s.complement();
    let d = s.sensitive();
    // a: TP 3, FP 1, TN 3, FN 1; d: TP 1, FP 1, TN 1, FN 3
    assert_eq!(
        (a.true_pos, a.false_pos, a.true_neg, a.false_neg),
        (3, 1, 3, 1)
    );
    assert_eq!(
        (d.true_pos, d.false_pos, d.true_neg, d.false_neg),
        (1, 1, 1, 3)
    );
    assert_eq!((a.n(), a.label_pos(), a.pred_pos()), (8, 4, 4));
    assert_eq!((d.n(), d.label_pos(), d.pred_pos()), (6, 4, 2));
    assert_eq!(s.groups().len(), 2);
    assert_eq!(s.groups()["x"].n(), 8);
    assert_eq!(s.groups()["y"].n(), 6);
}

#[test]
fn hand_table_pre_training() {
    let s = hand_state();
    // n_a = 8, n_d = 6, n_a(1) = 4, n_d(1) = 4
    // CI = (8 − 6)/14 = 1/7
    close(s.ci().unwrap(), 1.0 / 7.0, TIGHT, "CI");
    // DPL = 4/8 − 4/6 = −1/6
    close(s.dpl().unwrap(), -1.0 / 6.0, TIGHT, "DPL");
    // P_a = (neg 1/2, pos 1/2), P_d = (neg 1/3, pos 2/3)
    // KL = ½ ln(3/2) + ½ ln(3/4)
    let kl = 0.5 * (1.5f64).ln() + 0.5 * (0.75f64).ln();
    close(s.kl().unwrap(), kl, TIGHT, "KL");
    // P = (5/12, 7/12); JS = ½[½ ln(6/5) + ½ ln(6/7) + ⅓ ln(4/5) + ⅔ ln(8/7)]
    let js = 0.5
        * (0.5 * (6.0f64 / 5.0).ln()
            + 0.5 * (6.0f64 / 7.0).ln()
            + (4.0f64 / 5.0).ln() / 3.0
            + 2.0 * (8.0f64 / 7.0).ln() / 3.0);
    close(s.js().unwrap(), js, TIGHT, "JS");
    // |P_a − P_d| = (1/6, 1/6): LP = √2/6, TVD = 1/6, KS = 1/6
    close(s.lp().unwrap(), 2f64.sqrt() / 6.0, TIGHT, "LP");
    close(s.tvd().unwrap(), 1.0 / 6.0, TIGHT, "TVD");
    close(s.ks().unwrap(), 1.0 / 6.0, TIGHT, "KS");
    // group x: a rows (1,1,0,0,1 labels) d rows (1,1,0); n = 8
    //   A = pos_d/pos = 2/5, D = neg_d/neg = 1/3 → n·(D − A) = 8·(−1/15)
    // group y: a labels (1,0,0), d labels (1,0,1); n = 6
    //   A = 2/3, D = 1/3 → 6·(−1/3) = −2
    // CDDL = (−8/15 − 2)/14 = −19/105
    close(s.cddl().unwrap(), -19.0 / 105.0, TIGHT, "CDDL");
}

#[test]
fn hand_table_post_training() {
    let s = hand_state();
    // n̂_a(1) = 4, n̂_a(0) = 4, n̂_d(1) = 2, n̂_d(0) = 4
    // DPPL = 4/8 − 2/6 = 1/6
    close(s.dppl().unwrap(), 1.0 / 6.0, TIGHT, "DPPL");
    // DI = (2/6)/(4/8) = 2/3
    close(s.di().unwrap(), 2.0 / 3.0, TIGHT, "DI");
    // DCA = n_a(1)/n̂_a(1) − n_d(1)/n̂_d(1) = 4/4 − 4/2 = −1
    close(s.dca().unwrap(), -1.0, TIGHT, "DCA");
    // DCR = n_d(0)/n̂_d(0) − n_a(0)/n̂_a(0) = 2/4 − 4/4 = −1/2
    close(s.dcr().unwrap(), -0.5, TIGHT, "DCR");
    // RD = 3/(3+1) − 1/(1+3) = 1/2
    close(s.rd().unwrap(), 0.5, TIGHT, "RD");
    // SD = TN_d/(TN_d+FP_d) − TN_a/(TN_a+FP_a) = 1/2 − 3/4 = −1/4
    close(s.sd().unwrap(), -0.25, TIGHT, "SD");
    // DAR = TP_a/n̂_a(1) − TP_d/n̂_d(1) = 3/4 − 1/2 = 1/4
    close(s.dar().unwrap(), 0.25, TIGHT, "DAR");
    // DRR = TN_d/n̂_d(0) − TN_a/n̂_a(0) = 1/4 − 3/4 = −1/2
    close(s.drr().unwrap(), -0.5, TIGHT, "DRR");
    // AD = (3+3)/8 − (1+1)/6 = 5/12
    close(s.ad().unwrap(), 5.0 / 12.0, TIGHT, "AD");
    // TE = FN_d/FP_d − FN_a/FP_a = 3/1 − 1/1 = 2
    close(s.te().unwrap(), 2.0, TIGHT, "TE");
    // GE: N = 14, TP = 4, TN = 4, FP = 2, FN = 4 → S₁ = 8 + 2·2 = 12, S₂ = 8 + 4·2 = 16
    //     GE = (14·16 − 144)/(2·144) = 80/288 = 5/18
    close(s.ge().unwrap(), 5.0 / 18.0, TIGHT, "GE");
    close(
        generalized_entropy(14.0, 12.0, 16.0).unwrap(),
        5.0 / 18.0,
        TIGHT,
        "GE sums",
    );
    // predictions per group: x: a (1,0,0,0,1), d (1,0,1); y: a (1,1,0), d (0,0,0)
    //   x: A = 2/4, D = 1/4 → 8·(−1/4) = −2;  y: A = 0/2, D = 3/4 → 6·(3/4) = 9/2
    // CDDPL = (−2 + 9/2)/14 = 5/28
    close(s.cddpl().unwrap(), 5.0 / 28.0, TIGHT, "CDDPL");
    // every code dispatches to its method
    for code in MetricCode::PRE_TRAINING
        .iter()
        .chain(&MetricCode::POST_TRAINING)
    {
        if *code == MetricCode::Ft {
            assert_eq!(s.metric(*code), Err(BiasError::NoFeatures));
        } else {
            assert!(s.metric(*code).is_ok(), "{code}");
        }
    }
}

#[test]
fn infinite_ratios_and_both_infinite_rule() {
    // a: FN 2, FP 0 (τ_a = 2/0 = +∞); d: FN 1, FP 1 (τ_d = 1) → TE = 1 − ∞ = −∞
    let a = SideCounts {
        false_neg: 2,
        true_pos: 1,
        true_neg: 1,
        ..SideCounts::default()
    };
    let d = SideCounts {
        false_neg: 1,
        false_pos: 1,
        true_pos: 1,
        ..SideCounts::default()
    };
    let s = BiasState::from_counts(a, d);
    assert_eq!(s.te().unwrap(), f64::NEG_INFINITY);
    // both τ infinite → 0
    let d2 = SideCounts {
        false_neg: 1,
        true_pos: 1,
        ..SideCounts::default()
    };
    assert_eq!(BiasState::from_counts(a, d2).te().unwrap(), 0.0);
    // nobody predicted negative: r_x = n_x(0)/0 = +∞ on both sides → DCR = 0 (Clarify's
    // fraud example prints DCR 0 for this case)
    let a3 = SideCounts {
        true_pos: 3,
        false_pos: 2,
        ..SideCounts::default()
    };
    let d3 = SideCounts {
        true_pos: 1,
        false_pos: 1,
        ..SideCounts::default()
    };
    let s3 = BiasState::from_counts(a3, d3);
    assert_eq!(s3.dcr().unwrap(), 0.0);
    // DRR = 0/0 − 0/0 = 0 by divide's 0/0 rule
    assert_eq!(s3.drr().unwrap(), 0.0);
    // DI with no predicted positive in a: divide(q_d, 0) = +∞
    let a4 = SideCounts {
        true_neg: 3,
        ..SideCounts::default()
    };
    assert_eq!(BiasState::from_counts(a4, d3).di().unwrap(), f64::INFINITY);
    assert_eq!(clarify_divide(-1.0, 0.0), f64::NEG_INFINITY);
}

#[test]
fn error_texts_are_clarify_messages() {
    let mut s = BiasState::new();
    // only group a, no group variable, no predictions
    for label in [true, false, true] {
        s.update(&BiasRow {
            label,
            ..BiasRow::default()
        })
        .unwrap();
    }
    assert_eq!(s.ci().unwrap_err().to_string(), "Facet set is empty");
    assert_eq!(
        s.cddl().unwrap_err().to_string(),
        "Group variable is empty or not provided"
    );
    assert_eq!(
        s.kl().unwrap_err().to_string(),
        "No instance of common facet found, dataset may be too small"
    );
    assert_eq!(
        s.dppl().unwrap_err(),
        BiasError::MissingPredictions { rows: 3 }
    );
    assert_eq!(
        s.dppl().unwrap_err().to_string(),
        "post-training metrics need a predicted label for every row; 3 rows have none"
    );
    // only group d
    let mut d = BiasState::new();
    d.update(&BiasRow {
        sensitive: true,
        label: true,
        predicted: Some(true),
        group: Some("g"),
        ..BiasRow::default()
    })
    .unwrap();
    assert_eq!(
        d.dpl().unwrap_err().to_string(),
        "Negated Facet set is empty"
    );
    // CDD with labels all positive
    assert_eq!(
        d.cddl().unwrap_err().to_string(),
        "No negative labels in set"
    );
    // GE: every prediction a false negative
    let fn_only = SideCounts {
        false_neg: 2,
        ..SideCounts::default()
    };
    assert_eq!(
        BiasState::from_counts(fn_only, fn_only)
            .ge()
            .unwrap_err()
            .to_string(),
        "All predicted labels are false negatives. There should be at least one prediction that is not false negative."
    );
    assert_eq!(
        BiasState::with_flip_cap(0).unwrap_err(),
        BiasError::InvalidParameter {
            name: "flip_cap",
            value: 0
        }
    );
}

#[test]
fn ungrouped_rows_form_one_extra_group() {
    let mut with_none = hand_state();
    let mut with_label = hand_state();
    for &(sensitive, label, predicted) in &[(true, false, true), (false, true, false)] {
        with_none
            .update(&BiasRow {
                sensitive,
                label,
                predicted: Some(predicted),
                group: None,
                features: None,
            })
            .unwrap();
        with_label
            .update(&BiasRow {
                sensitive,
                label,
                predicted: Some(predicted),
                group: Some("missing"),
                features: None,
            })
            .unwrap();
    }
    assert_eq!(with_none.cddl(), with_label.cddl());
    assert_eq!(with_none.cddpl(), with_label.cddpl());
}

// ---- bias: flip test -------------------------------------------------------------------

/// Generated with NumPy 2.4.6 (`default_rng(7)`, normal features rounded to 3 decimals; a
/// shifted by 0.0, d by 0.4) and a linear rule for the model label; columns x0, x1, x2,
/// predicted. No exact distance ties at the k-th neighbour (checked with
/// `KNeighborsClassifier.kneighbors`).
const FT_A: [[f64; 4]; 30] = [
    [0.001, 0.299, -0.274, 1.0],
    [-0.891, -0.455, -0.992, 0.0],
    [0.06, 1.34, -0.492, 1.0],
    [-0.62, 0.49, 0.357, 0.0],
    [0.105, -0.93, -0.029, 0.0],
    [0.695, -1.344, -0.458, 0.0],
    [-1.901, -1.29, -1.842, 0.0],
    [-0.235, -1.267, 0.271, 0.0],
    [0.157, -0.187, -2.517, 1.0],
    [-0.539, -0.049, 0.113, 0.0],
    [-1.53, -0.478, -0.979, 0.0],
    [-0.809, 1.061, -0.808, 0.0],
    [-0.033, 0.884, -0.584, 1.0],
    [-0.112, 0.11, 0.064, 0.0],
    [-1.225, 0.076, 1.359, 0.0],
    [-1.547, 0.859, 0.119, 0.0],
    [-0.641, 2.0, 0.762, 0.0],
    [-1.199, 0.075, 0.577, 0.0],
    [-0.189, 0.683, -0.067, 0.0],
    [0.667, 1.439, -0.676, 1.0],
    [0.203, -0.463, 0.127, 0.0],
    [-1.187, -0.579, -0.196, 0.0],
    [0.899, 1.145, -1.324, 1.0],
    [-0.795, 0.647, -1.992, 0.0],
    [-0.463, -0.097, 1.257, 0.0],
    [0.689, -0.327, -0.369, 1.0],
    [-0.25, 1.524, -0.428, 1.0],
    [-0.304, 0.353, -0.121, 0.0],
    [-0.197, -1.114, -0.012, 0.0],
    [-0.444, 1.166, 0.653, 0.0],
];
const FT_D: [[f64; 4]; 12] = [
    [0.376, 1.068, 0.06, 1.0],
    [1.452, 0.395, 0.983, 1.0],
    [-0.891, 0.747, -1.288, 0.0],
    [-1.635, 0.096, -0.5, 0.0],
    [0.564, 2.645, -0.432, 1.0],
    [-0.224, 0.605, 0.893, 0.0],
    [0.224, 0.194, 1.102, 0.0],
    [0.92, -0.634, 0.321, 0.0],
    [0.435, -0.654, 0.66, 0.0],
    [-0.458, 1.372, 0.593, 0.0],
    [0.489, -0.191, 0.281, 0.0],
    [-1.598, -0.731, 0.763, 0.0],
];

fn ft_state(a_rows: &[[f64; 4]], cap: usize) -> BiasState {
    let mut s = BiasState::with_flip_cap(cap).unwrap();
    for (rows, sensitive) in [(a_rows, false), (&FT_D[..], true)] {
        for r in rows {
            s.update(&BiasRow {
                sensitive,
                label: r[0] > 0.0, // labels are irrelevant to FT
                predicted: Some(r[3] == 1.0),
                group: None,
                features: Some(&r[..3]),
            })
            .unwrap();
        }
    }
    s
}

#[test]
fn flip_test_matches_sklearn_knn() {
    // KNeighborsClassifier(n_neighbors=5, weights="uniform", p=2).fit(Xa, ya).predict(Xd);
    // FT = (#(yd > knn) − #(yd < knn))/12 = 0.08333333333333333
    close(
        ft_state(&FT_A, 10_000).ft().unwrap(),
        1.0 / 12.0,
        TIGHT,
        "FT k=5",
    );
    // |a| = 7 ≤ 9 → n_neighbors=1 on Xa[:7]: −0.08333333333333333
    close(
        ft_state(&FT_A[..7], 10_000).ft().unwrap(),
        -1.0 / 12.0,
        TIGHT,
        "FT k=1",
    );
    // a cap at or above both sides' sizes keeps every row: same value
    close(
        ft_state(&FT_A, 30).ft().unwrap(),
        1.0 / 12.0,
        TIGHT,
        "FT cap 30",
    );
    // a smaller cap samples: at most 8 rows per side are used
    let small = ft_state(&FT_A, 8);
    assert_eq!(small.flip_sample_complement().rows().len(), 8);
    assert_eq!(small.flip_sample_sensitive().rows().len(), 8);
    let v = small.ft().unwrap();
    assert!((-1.0..=1.0).contains(&v) && (v * 8.0).fract() == 0.0, "{v}");
}

#[test]
fn flip_test_needs_numeric_features_on_every_row() {
    let mut s = ft_state(&FT_A, 10_000);
    s.update(&BiasRow {
        sensitive: true,
        predicted: Some(true),
        features: Some(&[f64::NAN, 1.0, 2.0]),
        ..BiasRow::default()
    })
    .unwrap();
    assert_eq!(
        s.ft().unwrap_err().to_string(),
        "FlipTest does not support non-numeric columns (1 rows without finite numeric features)"
    );
}

// ---- bias: real Clarify outputs ---------------------------------------------------------

/// `datasets/sdk-pipeline-clarify-dataset.csv` → `bias/sdk-pipeline-clarify-data_bias-analysis.json`.
///
/// Config from the SDK integ test that produced it (`tests/integ/sagemaker/workflow/
/// test_clarify_check_step.py`): headers `Label, F1..F4` (label first, as PROVENANCE says),
/// `BiasConfig(label_values_or_threshold=[1], facet_name="F1", facet_values_or_threshold=[0.5],
/// group_name="F2")`. F1 is continuous, so d = `F1 ∈ (0.5, max]` (the analysis.json's
/// `value_or_threshold` "(0.5, 0.9936148802477393]"); F2 has 100 distinct values, so every
/// row is its own CDD group.
#[test]
fn sdk_pipeline_data_bias_pre_training_reproduced() {
    let analysis: Value = serde_json::from_str(&fixture(
        "bias/sdk-pipeline-clarify-data_bias-analysis.json",
    ))
    .unwrap();
    let text = fixture("datasets/sdk-pipeline-clarify-dataset.csv");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut s = BiasState::new();
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let label: f64 = rec[0].parse().unwrap();
        let f1: f64 = rec[1].parse().unwrap();
        s.update(&BiasRow {
            sensitive: f1 > 0.5,
            label: label == 1.0,
            predicted: None,
            group: Some(&rec[2]),
            features: None,
        })
        .unwrap();
        rows += 1;
    }
    assert_eq!(rows, 100);
    // n_a = 46, n_d = 54 → CI = −0.08
    assert_eq!((s.complement().n(), s.sensitive().n()), (46, 54));
    assert_eq!(s.groups().len(), 100);
    assert_matches_fixture(
        &s,
        &analysis,
        "pre_training_bias_metrics",
        &MetricCode::PRE_TRAINING,
    );
    assert_eq!(
        analysis["pre_training_bias_metrics"]["label_value_or_threshold"],
        "1"
    );
}

/// Adult JSON Lines records `{"features": [14 ints], "label": 0|1}` with the baseline config
/// of the notebooks (analysis.json: label Target = 1, facet Sex = 0, group_variable Age):
/// Sex is feature 9 and Age feature 0 in the adult column order
/// (Age, Workclass, fnlwgt, Education, Education-Num, Marital Status, Occupation,
/// Relationship, Ethnic group, Sex, Capital Gain, Capital Loss, Hours per week, Country).
fn adult_state() -> BiasState {
    let mut s = BiasState::new();
    for line in fixture("datasets/ex-adult-validation-dataset.jsonl").lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let f = v["features"].as_array().unwrap();
        let age = f[0].as_i64().unwrap().to_string();
        s.update(&BiasRow {
            sensitive: f[9].as_i64().unwrap() == 0,
            label: v["label"].as_i64().unwrap() == 1,
            predicted: None,
            group: Some(&age),
            features: None,
        })
        .unwrap();
    }
    s
}

/// Pre-training metrics of the adult bias-drift baselines, reproduced from the data set.
/// Only pre-training: the post-training half needs the linear-learner model's predictions
/// on this data set, which no fixture contains (see the reconstructed-counts test below).
#[test]
fn adult_bias_baseline_pre_training_reproduced() {
    let s = adult_state();
    // 666 records: n_a = 456, n_d = 210, n_a(1) = 143, n_d(1) = 17
    assert_eq!((s.complement().n(), s.sensitive().n()), (456, 210));
    assert_eq!(
        (s.complement().label_pos(), s.sensitive().label_pos()),
        (143, 17)
    );
    for file in [
        "bias/ex-bias-drift-adult-jsonlines-endpoint-baseline-analysis.json",
        "bias/ex-bias-drift-adult-json-batch-baseline-analysis.json",
    ] {
        let analysis: Value = serde_json::from_str(&fixture(file)).unwrap();
        assert_matches_fixture(
            &s,
            &analysis,
            "pre_training_bias_metrics",
            &MetricCode::PRE_TRAINING,
        );
    }
}

/// Post-training metrics of the same adult baseline from reconstructed confusion counts.
///
/// The predictions are not available, but the counts are determined by the printed values:
/// from DPPL and DI, `n̂_a(1)/n_a = DPPL/(1 − DI)` gives n̂_a(1) = 122 and n̂_d(1) = 10; RD and
/// DAR then give TP_a = 86, TP_d = 8 (the only integer solution), hence FP_a = 36, FP_d = 2,
/// FN_a = 143 − 86 = 57, FN_d = 17 − 8 = 9, TN_a = 313 − 36 = 277, TN_d = 193 − 2 = 191.
/// The other eight values (AD, DCA, DCR, DRR, SD, TE, GE and the pre-training ones) were
/// not used to find the counts and are reproduced independently. FT and CDDPL need the
/// per-record predictions and are not checked.
#[test]
fn adult_bias_baseline_post_training_from_reconstructed_counts() {
    let a = SideCounts {
        true_pos: 86,
        false_pos: 36,
        true_neg: 277,
        false_neg: 57,
        ..SideCounts::default()
    };
    let d = SideCounts {
        true_pos: 8,
        false_pos: 2,
        true_neg: 191,
        false_neg: 9,
        ..SideCounts::default()
    };
    let s = BiasState::from_counts(a, d);
    let analysis: Value = serde_json::from_str(&fixture(
        "bias/ex-bias-drift-adult-jsonlines-endpoint-baseline-analysis.json",
    ))
    .unwrap();
    let post: Vec<MetricCode> = MetricCode::POST_TRAINING
        .into_iter()
        .filter(|c| !matches!(c, MetricCode::Ft | MetricCode::Cddpl))
        .collect();
    assert_matches_fixture(&s, &analysis, "post_training_bias_metrics", &post);
    let pre: Vec<MetricCode> = MetricCode::PRE_TRAINING
        .into_iter()
        .filter(|c| *c != MetricCode::Cddl)
        .collect();
    assert_matches_fixture(&s, &analysis, "pre_training_bias_metrics", &pre);
}

/// Clarify's fraud example (`bias/ex-clarify-fraud-bias_1-analysis.json`, no group variable,
/// label value "0" positive, facet customer_gender_female = 1) from reconstructed counts.
///
/// CI = 0.398 and DPL, KL, LP fix the smallest consistent counts n_a = 2796, n_d = 1204,
/// n_a(1) = 2707, n_d(1) = 1187 (every metric is invariant to scaling them). DPPL = 0, DI = 1,
/// RD = 0, DCR = 0 and DCA = DAR = AD = DPL say the model predicted every record positive,
/// which exercises the "both +∞ → 0" rule (DCR: n_x(0)/0 on both sides) and `0/0 → 0` (DRR).
/// CDDL/CDDPL carry Clarify's error text. (This older run has no GE/SD; FT needs features.)
///
/// JS differs, and the difference is explained: this run's Clarify version used the label
/// distribution of the *whole* data set as the mixture `P` in
/// `JS = ½[KL(P_a, P) + KL(P_d, P)]`; current smclarify (spec §9.3, and the 2023/2024 adult
/// runs reproduced above) uses `P = ½(P_a + P_d)`. The fixture's JS equals the old
/// definition on these counts to the last digit.
#[test]
fn fraud_example_reproduced_from_reconstructed_counts() {
    let a = SideCounts {
        true_pos: 2707,
        false_pos: 2796 - 2707,
        ..SideCounts::default()
    };
    let d = SideCounts {
        true_pos: 1187,
        false_pos: 1204 - 1187,
        ..SideCounts::default()
    };
    let s = BiasState::from_counts(a, d);
    let analysis: Value =
        serde_json::from_str(&fixture("bias/ex-clarify-fraud-bias_1-analysis.json")).unwrap();
    let pre: Vec<MetricCode> = MetricCode::PRE_TRAINING
        .into_iter()
        .filter(|c| *c != MetricCode::Js)
        .collect();
    assert_matches_fixture(&s, &analysis, "pre_training_bias_metrics", &pre);
    // JS with the old mixture P = overall label distribution (n(0)/N, n(1)/N):
    let (na, nd, na1, nd1) = (2796.0f64, 1204.0f64, 2707.0f64, 1187.0f64);
    let pa = [(na - na1) / na, na1 / na];
    let pd = [(nd - nd1) / nd, nd1 / nd];
    let n = na + nd;
    let p_all = [(n - na1 - nd1) / n, (na1 + nd1) / n];
    let kl = |p: &[f64; 2], q: &[f64; 2]| p[0] * (p[0] / q[0]).ln() + p[1] * (p[1] / q[1]).ln();
    let old_js = 0.5 * (kl(&pa, &p_all) + kl(&pd, &p_all));
    let fixture_js = clarify_metrics(&analysis, "pre_training_bias_metrics")
        .into_iter()
        .find(|(name, _)| name == "JS")
        .unwrap()
        .1
        .unwrap();
    close(old_js, fixture_js, FIXTURE, "JS, old mixture");
    // ours, with P = ½(P_a + P_d); NumPy: M = 0.5*(pa+pd);
    // 0.5*(np.sum(pa*np.log(pa/M)) + np.sum(pd*np.log(pd/M))) = 0.0017918468241483521
    close(
        s.js().unwrap(),
        0.001_791_846_824_148_352_1,
        TIGHT,
        "JS, current mixture",
    );
    let post = [
        MetricCode::Ad,
        MetricCode::Cddpl,
        MetricCode::Dar,
        MetricCode::Dca,
        MetricCode::Dcr,
        MetricCode::Di,
        MetricCode::Dppl,
        MetricCode::Drr,
        MetricCode::Rd,
        MetricCode::Te,
    ];
    assert_matches_fixture(&s, &analysis, "post_training_bias_metrics", &post);
}

// ---- bias: merge property ---------------------------------------------------------------

type Row = (bool, bool, Option<bool>, Option<u8>, Option<(i8, i8, bool)>);

fn row_strategy() -> impl Strategy<Value = Row> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), any::<bool>().prop_map(Some)],
        prop_oneof![Just(None), (0u8..4).prop_map(Some)],
        prop_oneof![
            Just(None),
            (-3i8..3, -3i8..3, prop::bool::weighted(0.05)).prop_map(Some)
        ],
    )
}

fn apply(s: &mut BiasState, r: &Row) {
    let group = r.3.map(|g| format!("g{g}"));
    let feats =
        r.4.map(|(x, y, nan)| [f64::from(x), if nan { f64::NAN } else { f64::from(y) }]);
    s.update(&BiasRow {
        sensitive: r.0,
        label: r.1,
        predicted: r.2,
        group: group.as_deref(),
        features: feats.as_ref().map(|f| &f[..]),
    })
    .unwrap();
}

proptest! {
    /// Merging the states of any split equals the state of the whole input, in either merge
    /// order (counts exactly; the FT sample too, with a small cap to force truncation).
    #[test]
    fn merged_splits_equal_whole(
        rows in prop::collection::vec(row_strategy(), 0..80),
        cuts in prop::collection::vec(0usize..80, 0..5),
    ) {
        let mut whole = BiasState::with_flip_cap(4).unwrap();
        for r in &rows {
            apply(&mut whole, r);
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
        cuts.push(0);
        cuts.push(rows.len());
        cuts.sort_unstable();
        let parts: Vec<BiasState> = cuts
            .windows(2)
            .map(|w| {
                let mut s = BiasState::with_flip_cap(4).unwrap();
                for r in &rows[w[0]..w[1]] {
                    apply(&mut s, r);
                }
                s
            })
            .collect();
        let mut forward = BiasState::with_flip_cap(4).unwrap();
        for p in &parts {
            forward.merge(p).unwrap();
        }
        let mut backward = BiasState::with_flip_cap(4).unwrap();
        for p in parts.iter().rev() {
            backward.merge(p).unwrap();
        }
        prop_assert_eq!(&forward, &whole);
        prop_assert_eq!(&backward, &whole);
        prop_assert_eq!(whole.rows(), rows.len() as u64);
        for code in MetricCode::PRE_TRAINING.iter().chain(&MetricCode::POST_TRAINING) {
            prop_assert_eq!(forward.metric(*code), whole.metric(*code));
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn bias_state_serde_round_trip() {
    let s = ft_state(&FT_A, 16);
    let json = serde_json::to_string(&s).unwrap();
    let back: BiasState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.ft(), s.ft());
}

// ---- SHAP -------------------------------------------------------------------------------

fn linear_model(w: &[f64], b: f64) -> impl Fn(&[Vec<f64>]) -> Vec<f64> + '_ {
    move |rows: &[Vec<f64>]| {
        rows.iter()
            .map(|r| b + r.iter().zip(w).map(|(x, w)| x * w).sum::<f64>())
            .collect()
    }
}

/// Deterministic pseudo-random numbers in [−2, 2) for test inputs (a fixed LCG; only the
/// values matter, not their quality).
fn lcg_values(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0
        })
        .collect()
}

fn rows(seed: u64, n: usize, m: usize) -> Vec<Vec<f64>> {
    lcg_values(seed, n * m)
        .chunks(m)
        .map(<[f64]>::to_vec)
        .collect()
}

/// Exact interventional Shapley values by enumeration:
/// `φ_j = Σ_{S ⊆ N∖{j}} |S|!(M−|S|−1)!/M! · (v(S ∪ {j}) − v(S))`,
/// `v(S) = mean_bg f(x_S, bg_S̄)`.
fn brute_force_shapley(f: &dyn Fn(&[f64]) -> f64, bg: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    let m = x.len();
    let v = |mask: usize| -> f64 {
        bg.iter()
            .map(|b| {
                let z: Vec<f64> = (0..m)
                    .map(|j| if mask >> j & 1 == 1 { x[j] } else { b[j] })
                    .collect();
                f(&z)
            })
            .sum::<f64>()
            / bg.len() as f64
    };
    let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
    (0..m)
        .map(|j| {
            (0..1usize << m)
                .filter(|s| s >> j & 1 == 0)
                .map(|s| {
                    let k = s.count_ones() as usize;
                    fact(k) * fact(m - k - 1) / fact(m) * (v(s | 1 << j) - v(s))
                })
                .sum()
        })
        .collect()
}

#[test]
fn kernel_shap_equals_exact_linear_shap_with_all_coalitions() {
    // M = 5: 2⁵ − 2 = 30 coalitions ≤ default num_samples (2·5 + 2048) → all enumerated
    let w = [1.5, -2.0, 0.25, 3.0, -0.75];
    let b = 0.4;
    let bg = rows(11, 9, 5);
    let lin = LinearShap::new(w.to_vec(), b, &bg).unwrap();
    let model = linear_model(&w, b);
    let mut ks = KernelShap::new(bg.clone(), KernelShapConfig::default(), &model).unwrap();
    close(ks.expected_value(), lin.expected_value(), 1e-12, "E[f]");
    for x in rows(12, 6, 5) {
        let exact = lin.explain(&x).unwrap();
        let kernel = ks.explain(&x, &model).unwrap();
        for j in 0..5 {
            close(kernel[j], exact[j], 1e-6, "φ_j kernel vs linear");
            // in fact equal to rounding
            close(kernel[j], exact[j], 1e-12, "φ_j tight");
        }
        let fx = lin.predict(&x).unwrap();
        close(
            exact.iter().sum::<f64>(),
            fx - lin.expected_value(),
            1e-12,
            "efficiency",
        );
    }
}

fn nonlinear(x: &[f64]) -> f64 {
    x[0] * x[1] + x[2].sin() + x[3] * x[4] * x[4] + 0.5 * x[0] * x[2] * x[4] + (0.1 * x[1]).exp()
}

#[test]
fn kernel_shap_equals_brute_force_shapley_for_a_nonlinear_model() {
    let bg = rows(21, 6, 5);
    let model = |rs: &[Vec<f64>]| -> Vec<f64> { rs.iter().map(|r| nonlinear(r)).collect() };
    let mut ks = KernelShap::new(bg.clone(), KernelShapConfig::default(), model).unwrap();
    for x in rows(22, 4, 5) {
        let want = brute_force_shapley(&nonlinear, &bg, &x);
        let got = ks.explain(&x, model).unwrap();
        for j in 0..5 {
            close(got[j], want[j], 1e-9, "φ_j vs brute force");
        }
    }
}

#[test]
fn sampled_kernel_shap_is_exact_for_additive_models_and_keeps_efficiency() {
    // M = 12: 4094 coalitions > 200 → hybrid enumeration + sampling
    let m = 12;
    let w: Vec<f64> = lcg_values(31, m);
    let bg = rows(32, 5, m);
    let config = KernelShapConfig {
        num_samples: Some(200),
        seed: 5,
        ..KernelShapConfig::default()
    };
    let lin = LinearShap::new(w.clone(), -1.0, &bg).unwrap();
    let model = linear_model(&w, -1.0);
    let mut ks = KernelShap::new(bg.clone(), config, &model).unwrap();
    let x = lcg_values(33, m);
    let exact = lin.explain(&x).unwrap();
    let got = ks.explain(&x, &model).unwrap();
    // an additive model fits the coalition values with zero residual, so any full-rank
    // coalition sample recovers it exactly
    for j in 0..m {
        close(got[j], exact[j], 1e-9, "φ_j sampled, linear");
    }

    // nonlinear model on 12 features: efficiency holds exactly, and the seed decides
    let f12 =
        |r: &[f64]| nonlinear(&r[..5]) + r[5] * r[6] - (r[7] * r[8]).tanh() + r[9] * r[10] * r[11];
    let model12 = |rs: &[Vec<f64>]| -> Vec<f64> { rs.iter().map(|r| f12(r)).collect() };
    let mut a = KernelShap::new(bg.clone(), config, model12).unwrap();
    let mut b = KernelShap::new(bg.clone(), config, model12).unwrap();
    let mut c =
        KernelShap::new(bg.clone(), KernelShapConfig { seed: 6, ..config }, model12).unwrap();
    let pa = a.explain(&x, model12).unwrap();
    let pb = b.explain(&x, model12).unwrap();
    let pc = c.explain(&x, model12).unwrap();
    assert_eq!(pa, pb, "same seed, same values");
    assert_ne!(pa, pc, "another seed samples other coalitions");
    close(
        pa.iter().sum::<f64>(),
        f12(&x) - a.expected_value(),
        1e-9,
        "efficiency",
    );
}

#[test]
fn kernel_shap_batches_and_non_varying_features() {
    let w = [1.0, 2.0, 3.0, 4.0];
    let mut bg = rows(41, 4, 4);
    for r in &mut bg {
        r[2] = 7.0; // feature 2 constant in the background
    }
    let mut x = lcg_values(42, 4);
    x[2] = 7.0; // … and equal in the record: not varying, φ₂ = 0
    let lin = LinearShap::new(w.to_vec(), 0.0, &bg).unwrap();
    let mut calls = 0usize;
    let mut sizes = Vec::new();
    let mut counting = |rs: &[Vec<f64>]| -> Vec<f64> {
        calls += 1;
        sizes.push(rs.len());
        linear_model(&w, 0.0)(rs)
    };
    let config = KernelShapConfig {
        max_batch_rows: 7,
        ..KernelShapConfig::default()
    };
    let mut ks = KernelShap::new(bg.clone(), config, &mut counting).unwrap();
    let phi = ks.explain(&x, &mut counting).unwrap();
    assert_eq!(phi[2], 0.0);
    let exact = lin.explain(&x).unwrap();
    for j in 0..4 {
        close(phi[j], exact[j], 1e-12, "φ_j");
    }
    // 3 varying features → 2³ − 2 = 6 coalitions × 4 background rows + f(x) = 25 rows, plus
    // 4 background rows in `new`: batches of ≤ 7
    assert_eq!(sizes.iter().sum::<usize>(), 4 + 25);
    assert!(sizes.iter().all(|&n| n <= 7));
    assert_eq!(calls, 1 + 4);
    // batching does not change the result
    let mut big = KernelShap::new(bg, KernelShapConfig::default(), linear_model(&w, 0.0)).unwrap();
    assert_eq!(big.explain(&x, linear_model(&w, 0.0)).unwrap(), phi);
}

#[test]
fn kernel_shap_with_logit_link_on_a_logistic_model() {
    // With one background row, h(z) = σ(margin(x_z, bg_z̄)), so logit(h(z)) is the linear
    // margin and use_logit recovers the linear SHAP values of the margin exactly.
    let w = [0.8, -1.2, 0.3, 0.5];
    let b = -0.2;
    let bg = rows(51, 1, 4);
    let x = lcg_values(52, 4);
    let margin = linear_model(&w, b);
    let proba = |rs: &[Vec<f64>]| -> Vec<f64> {
        margin(rs)
            .into_iter()
            .map(|m| 1.0 / (1.0 + (-m).exp()))
            .collect()
    };
    let config = KernelShapConfig {
        use_logit: true,
        ..KernelShapConfig::default()
    };
    let mut ks = KernelShap::new(bg.clone(), config, proba).unwrap();
    let lin = LinearShap::new(w.to_vec(), b, &bg).unwrap();
    close(ks.expected_value(), lin.expected_value(), 1e-12, "E[logit]");
    let got = ks.explain(&x, proba).unwrap();
    let exact = lin.explain(&x).unwrap();
    for j in 0..4 {
        close(got[j], exact[j], 1e-9, "φ_j logit");
    }
    // outputs outside (0, 1) are refused
    let err = KernelShap::new(bg, config, |rs: &[Vec<f64>]| vec![1.5; rs.len()]).unwrap_err();
    assert_eq!(err, ShapError::NotAProbability(1.5));
}

#[test]
fn kernel_shap_errors() {
    let bg = rows(61, 3, 12);
    let model = |rs: &[Vec<f64>]| -> Vec<f64> { rs.iter().map(|r| r.iter().product()).collect() };
    // 2 coalitions cannot determine 12 attributions
    let tiny = KernelShapConfig {
        num_samples: Some(2),
        ..KernelShapConfig::default()
    };
    let mut ks = KernelShap::new(bg.clone(), tiny, model).unwrap();
    let err = ks.explain(&lcg_values(62, 12), model).unwrap_err();
    assert_eq!(
        err,
        ShapError::Singular {
            features: 12,
            coalitions: 2
        }
    );
    assert!(matches!(
        ks.explain(&[1.0, 2.0], model),
        Err(ShapError::Length {
            expected: 12,
            got: 2,
            ..
        })
    ));
    let short = |rs: &[Vec<f64>]| -> Vec<f64> { vec![0.0; rs.len().saturating_sub(1)] };
    assert_eq!(
        KernelShap::new(bg.clone(), KernelShapConfig::default(), short).unwrap_err(),
        ShapError::PredictionCount {
            expected: 3,
            got: 2
        }
    );
    let failing = |_: &[Vec<f64>]| -> Result<Vec<f64>, String> { Err("endpoint 503".into()) };
    assert_eq!(
        KernelShap::try_new(bg, KernelShapConfig::default(), failing)
            .unwrap_err()
            .to_string(),
        "model failed: endpoint 503"
    );
    assert!(matches!(
        KernelShap::new(Vec::new(), KernelShapConfig::default(), model),
        Err(ShapError::Empty("background"))
    ));
}

#[test]
fn aggregation_methods() {
    let local = vec![
        vec![0.5, -1.0, 2.0],
        vec![-1.5, 3.0, 2.0],
        vec![2.5, -2.0, -4.0],
        vec![0.0, 1.0, 0.0],
    ];
    // np.mean(np.abs(a), axis=0) → [1.125, 1.75, 2.0]
    assert_eq!(
        aggregate(&local, AggMethod::MeanAbs).unwrap(),
        vec![1.125, 1.75, 2.0]
    );
    // np.median(a, axis=0) → [0.25, 0.0, 1.0]
    assert_eq!(
        aggregate(&local, AggMethod::Median).unwrap(),
        vec![0.25, 0.0, 1.0]
    );
    // np.mean(a**2, axis=0) → [2.1875, 3.75, 6.0]
    assert_eq!(
        aggregate(&local, AggMethod::MeanSq).unwrap(),
        vec![2.1875, 3.75, 6.0]
    );
    // odd count: np.median([3, 1, 2]) → 2
    assert_eq!(
        aggregate(&[vec![3.0], vec![1.0], vec![2.0]], AggMethod::Median).unwrap(),
        vec![2.0]
    );
    assert_eq!("median".parse::<AggMethod>().unwrap(), AggMethod::Median);
    assert_eq!(AggMethod::default().as_str(), "mean_abs");
    assert_eq!(
        "mean".parse::<AggMethod>().unwrap_err().to_string(),
        "unknown agg_method \"mean\" (expected mean_abs, median or mean_sq)"
    );
    assert!(matches!(
        aggregate(&[vec![1.0], vec![1.0, 2.0]], AggMethod::MeanAbs),
        Err(ShapError::Length { .. })
    ));
    assert!(matches!(
        aggregate(&[], AggMethod::MeanAbs),
        Err(ShapError::Empty(_))
    ));
}

// ---- nDCG -------------------------------------------------------------------------------

#[test]
fn ndcg_dg_example_and_identity() {
    // DG example: baseline 0.70 / 0.50 / 0.05, live ranking reversed.
    // sklearn.metrics.ndcg_score([[0.70, 0.50, 0.05]], [[0.05, 0.50, 0.70]]) = 0.687639624122622
    // By hand: DCG = 0.05/1 + 0.50/log2(3) + 0.70/2, iDCG = 0.70 + 0.50/log2(3) + 0.05/2.
    let v = ndcg(&[0.70, 0.50, 0.05], &[0.05, 0.50, 0.70]).unwrap();
    close(v, 0.687_639_624_122_622, TIGHT, "DG example");
    let by_hand = (0.05 + 0.5 / 3f64.log2() + 0.35) / (0.7 + 0.5 / 3f64.log2() + 0.025);
    close(v, by_hand, TIGHT, "by hand");
    assert!(v < NDCG_THRESHOLD);
    assert!((0.68..0.70).contains(&v), "≈ 0.69 as the DG prints");
    // identical rankings (even with other magnitudes) → 1
    assert_eq!(ndcg(&[0.70, 0.50, 0.05], &[0.70, 0.50, 0.05]).unwrap(), 1.0);
    assert_eq!(ndcg(&[0.70, 0.50, 0.05], &[9.0, 3.0, 1.0]).unwrap(), 1.0);
}

#[test]
fn ndcg_ties_average_like_sklearn() {
    // sklearn.metrics.ndcg_score([[0.70, 0.50, 0.05, 0.2]], [[0.3, 0.3, 0.1, 0.3]])
    //   = 0.8935522166502572 (ignore_ties=False: tied items share the mean discount)
    let base = [0.70, 0.50, 0.05, 0.2];
    let cur = [0.3, 0.3, 0.1, 0.3];
    close(
        ndcg(&base, &cur).unwrap(),
        0.893_552_216_650_257_2,
        TIGHT,
        "ties",
    );
    // the order of the tied inputs does not matter
    let perm_base = [0.2, 0.05, 0.50, 0.70];
    let perm_cur = [0.3, 0.1, 0.3, 0.3];
    close(
        ndcg(&perm_base, &perm_cur).unwrap(),
        0.893_552_216_650_257_2,
        TIGHT,
        "ties permuted",
    );
}

#[test]
fn ndcg_between_two_real_clarify_baselines() {
    // The two adult attribution baselines (same model and data, 2023 JSON Lines run and 2024
    // JSON run) differ by Kernel SHAP sampling noise; Education-Num and Capital Gain swap
    // places. Reference:
    //   sklearn.metrics.ndcg_score([[jsonlines values]], [[json values]]) = 0.9999632187255911
    //   sklearn.metrics.ndcg_score([[json values]], [[jsonlines values]]) = 0.9994897871828685
    let read = |file: &str, label: &str| -> Vec<(String, f64)> {
        let v: Value = serde_json::from_str(&fixture(file)).unwrap();
        v["explanations"]["kernel_shap"][label]["global_shap_values"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .collect()
    };
    let a = read(
        "attribution/ex-attr-drift-adult-jsonlines-batch-baseline-analysis.json",
        "label0",
    );
    let b = read(
        "attribution/ex-attr-drift-adult-json-batch-baseline-analysis.json",
        "0.7956783771514893",
    );
    assert_eq!(a.len(), 14);
    close(
        ndcg_by_name(&a, &b).unwrap(),
        0.999_963_218_725_591_1,
        TIGHT,
        "a→b",
    );
    close(
        ndcg_by_name(&b, &a).unwrap(),
        0.999_489_787_182_868_5,
        TIGHT,
        "b→a",
    );
    // name order is irrelevant
    let mut b_rev = b.clone();
    b_rev.reverse();
    close(
        ndcg_by_name(&a, &b_rev).unwrap(),
        0.999_963_218_725_591_1,
        TIGHT,
        "reordered",
    );
}

#[test]
fn ndcg_errors() {
    assert_eq!(
        ndcg(&[0.0, 0.0], &[1.0, 2.0]).unwrap_err(),
        ShapError::IdealDcgNotPositive(0.0)
    );
    // negative (median-aggregated) values are used as they are while iDCG > 0
    let v = ndcg(&[0.5, -0.1], &[-1.0, 1.0]).unwrap();
    let want = (-0.1 + 0.5 / 3f64.log2()) / (0.5 - 0.1 / 3f64.log2());
    close(v, want, TIGHT, "negative values");
    assert!(matches!(
        ndcg(&[1.0], &[1.0, 2.0]),
        Err(ShapError::Length { .. })
    ));
    assert!(matches!(ndcg(&[], &[]), Err(ShapError::Empty(_))));
    assert!(matches!(
        ndcg(&[1.0, f64::NAN], &[1.0, 2.0]),
        Err(ShapError::NonFinite { index: 1, .. })
    ));
    let base = [("a", 1.0), ("b", 0.5)];
    assert_eq!(
        ndcg_by_name(&base, &[("a", 1.0), ("c", 0.5)]).unwrap_err(),
        ShapError::FeatureMismatch("b".into())
    );
    assert_eq!(
        ndcg_by_name(&base, &[("a", 1.0), ("b", 0.5), ("c", 0.1)]).unwrap_err(),
        ShapError::FeatureMismatch("c".into())
    );
    assert_eq!(
        ndcg_by_name(&base, &[("a", 1.0), ("a", 0.5)]).unwrap_err(),
        ShapError::DuplicateFeature("a".into())
    );
}
