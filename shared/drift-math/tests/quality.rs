//! Integration tests for `drift_math::quality` (model-quality metrics, spec §8).
//!
//! Reference numbers come from
//! * SageMaker outputs under `tests/fixtures/sagemaker/model-quality/` (compared to the bit
//!   where SageMaker's formula is known), and
//! * scikit-learn 1.9.1 / NumPy 2.4.6 (`/root/.cache/modelwatch/refvenv`), with the exact call
//!   in a comment next to each number. `import numpy as np, sklearn.metrics as M` is implied.
//!
//! scikit-learn is not available at test time, so the 1 M-record AUC reference is computed
//! here by sorting (the Mann–Whitney U statistic with ties counted ½), which is what
//! `sklearn.metrics.roc_auc_score` returns.

#[allow(dead_code)]
#[path = "dm/tol.rs"]
mod tol;

use std::collections::BTreeMap;

use drift_math::quality::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde_json::Value;
use test_support::sagemaker_fixture as fixture;
use tol::{assert_rel, assert_scaled, REL_TIGHT};

fn json_fixture(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(rel)).unwrap()).unwrap()
}

/// Same IEEE bits (or both `NaN`).
#[track_caller]
fn assert_bits(ours: f64, reference: f64, what: &str) {
    assert!(
        ours.to_bits() == reference.to_bits() || (ours.is_nan() && reference.is_nan()),
        "{what}: ours {ours:?} vs reference {reference:?}"
    );
}

/// `(probability, predicted, actual)` rows of the churn model-quality baseline dataset.
fn churn_rows() -> Vec<(f64, bool, bool)> {
    let mut rdr =
        csv::Reader::from_path(fixture("datasets/ex-churn-validation_with_predictions.csv"))
            .unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        vec!["probability", "prediction", "label"]
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), &r[1] == "1", &r[2] == "1")
        })
        .collect()
}

fn churn_quality() -> BinaryQuality {
    let mut q = BinaryQuality::new();
    for (i, (p, pred, actual)) in churn_rows().into_iter().enumerate() {
        q.update(&i.to_string(), actual, pred, Some(p)).unwrap();
    }
    q
}

// ---------------------------------------------------------------------------------------------
// binary: SageMaker fixtures
// ---------------------------------------------------------------------------------------------

/// DG example (spec §8.3): TN = 1, FP = 2, FN = 0, TP = 1 reproduces every scalar rate of
/// `dg-example-binary-classification-metrics.json` to the last bit, and with 4 < 200 records
/// every `standard_deviation` is `NaN`, as printed.
///
/// `auc` and the two curves are not compared: the example's curves step through
/// `tpr = 0.25, 0.5, 0.75` with a single positive record, so they were not computed from this
/// confusion matrix.
#[test]
fn dg_binary_example_reproduces_every_rate() {
    let fx = json_fixture("model-quality/dg-example-binary-classification-metrics.json");
    let fx = &fx["binary_classification_metrics"];
    let mut q = BinaryQuality::new();
    // (actual, predicted)
    for (i, (a, p)) in [(false, false), (false, true), (false, true), (true, true)]
        .into_iter()
        .enumerate()
    {
        q.update(&format!("r{i}"), a, p, None).unwrap();
    }
    let cm: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_value(fx["confusion_matrix"].clone()).unwrap();
    assert_eq!(q.full().confusion_matrix(), cm);
    let mut compared = 0;
    for m in BinaryMetric::ALL {
        if m == BinaryMetric::Auc {
            continue;
        }
        let reference = &fx[m.key()];
        let v = q.metric(m);
        assert_bits(v.value, reference["value"].as_f64().unwrap(), m.key());
        assert_eq!(reference["standard_deviation"], "NaN", "{}", m.key());
        assert!(v.standard_deviation.is_nan(), "{}", m.key());
        compared += 1;
    }
    assert_eq!(compared, 16);
}

/// camelCase metric names of the churn violations file → our metric.
fn churn_violation_metric(name: &str) -> BinaryMetric {
    match name {
        "precision" => BinaryMetric::Precision,
        "recall" => BinaryMetric::Recall,
        "truePositiveRate" => BinaryMetric::TruePositiveRate,
        "trueNegativeRate" => BinaryMetric::TrueNegativeRate,
        "falsePositiveRate" => BinaryMetric::FalsePositiveRate,
        "falseNegativeRate" => BinaryMetric::FalseNegativeRate,
        "accuracy" => BinaryMetric::Accuracy,
        "f1" => BinaryMetric::F1,
        "f2" => BinaryMetric::F2,
        other => panic!("unexpected metric {other}"),
    }
}

/// `(metric, observed value, threshold)` from "Metric f2 with 0.13… +/- 5.7E-4 was
/// LessThanThreshold '0.625'".
fn churn_violations() -> Vec<(BinaryMetric, f64, f64, String)> {
    let fx = json_fixture(
        "model-quality/ex-mq-churn-constraint_violations-2021-02-05.reconstructed.json",
    );
    fx["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let d = v["description"].as_str().unwrap();
            let value = d
                .split(" with ")
                .nth(1)
                .unwrap()
                .split(" +/- ")
                .next()
                .unwrap();
            let threshold = d.split('\'').nth(1).unwrap();
            (
                churn_violation_metric(v["metric_name"].as_str().unwrap()),
                value.parse().unwrap(),
                threshold.parse().unwrap(),
                v["constraint_check_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The churn monitoring schedule's baseline was `ex-churn-validation_with_predictions.csv`;
/// its suggested constraint thresholds, printed in the violations of 2021-02-05, are the
/// baseline metric values. All nine reproduce to the last bit, including
/// `falseNegativeRate = 0.4285714285714286` (= 1 − 16/28, whereas 12/28 = 0.42857142857142855).
/// The comparison operator also matches `lower_is_better`.
#[test]
fn churn_baseline_reproduces_constraint_thresholds() {
    let q = churn_quality();
    assert_eq!(q.count(), 201);
    let v = churn_violations();
    assert_eq!(v.len(), 9);
    for (m, _, threshold, op) in &v {
        assert_bits(q.metric(*m).value, *threshold, m.key());
        let expected_op = if m.lower_is_better() {
            "GreaterThanThreshold"
        } else {
            "LessThanThreshold"
        };
        assert_eq!(op, expected_op, "{}", m.key());
    }
}

/// The window metrics of the same violations file are reproduced to the last bit by
/// TP = 228, FP = 97, TN = 649, FN = 1749: the small-integer solution of the printed rates
/// (`falsePositiveRate 0.13002680965147453` = 97/746, `precision 0.7015384615384616` = 228/325,
/// `truePositiveRate 0.11532625189681335` = 228/1977). That f1, f2 and accuracy follow
/// bit-exactly confirms the F-score evaluation order and `TNR = 1 − FPR`, `FNR = 1 − TPR`.
#[test]
fn churn_window_rates_from_solved_counts() {
    let c = BinaryCounts {
        true_positives: 228,
        false_positives: 97,
        true_negatives: 649,
        false_negatives: 1749,
    };
    for (m, value, _, _) in churn_violations() {
        let ours = match m {
            BinaryMetric::Precision => c.precision(),
            BinaryMetric::Recall | BinaryMetric::TruePositiveRate => c.recall(),
            BinaryMetric::TrueNegativeRate => c.true_negative_rate(),
            BinaryMetric::FalsePositiveRate => c.false_positive_rate(),
            BinaryMetric::FalseNegativeRate => c.false_negative_rate(),
            BinaryMetric::Accuracy => c.accuracy(),
            BinaryMetric::F1 => c.f_beta(1.0),
            BinaryMetric::F2 => c.f_beta(2.0),
            other => panic!("unexpected {other:?}"),
        };
        assert_bits(ours, value, m.key());
    }
    // and the state computes the same from records
    let mut s = BinaryConfusion::new();
    for (n, a, p) in [
        (228, true, true),
        (97, false, true),
        (649, false, false),
        (1749, true, false),
    ] {
        for _ in 0..n {
            s.update(a, p, None).unwrap();
        }
    }
    assert_eq!(*s.counts(), c);
}

// ---------------------------------------------------------------------------------------------
// binary: scikit-learn
// ---------------------------------------------------------------------------------------------

/// 40 hand-written `(probability, predicted, actual)` rows (`B` below). Ties across labels at
/// 0.50 and 0.35; predictions are not a threshold of the probability.
#[rustfmt::skip]
const B40: [(f64, u8, u8); 40] = [
    (0.95, 1, 1), (0.91, 1, 1), (0.88, 1, 0), (0.85, 1, 1), (0.83, 1, 1), (0.80, 1, 0),
    (0.77, 1, 1), (0.74, 1, 1), (0.71, 1, 0), (0.69, 1, 1), (0.66, 1, 1), (0.64, 0, 0),
    (0.61, 1, 1), (0.58, 1, 0), (0.55, 1, 1), (0.52, 0, 0), (0.50, 0, 1), (0.50, 0, 0),
    (0.47, 0, 0), (0.45, 0, 1), (0.42, 0, 0), (0.40, 0, 0), (0.38, 0, 1), (0.35, 0, 0),
    (0.35, 0, 1), (0.33, 0, 0), (0.30, 0, 0), (0.28, 0, 0), (0.25, 1, 1), (0.22, 0, 0),
    (0.20, 0, 0), (0.18, 0, 0), (0.15, 0, 1), (0.12, 0, 0), (0.10, 0, 0), (0.08, 0, 0),
    (0.05, 0, 0), (0.03, 0, 0), (0.01, 0, 0), (0.00, 0, 1),
];

fn b40() -> BinaryConfusion {
    let mut s = BinaryConfusion::new();
    for (p, pred, actual) in B40 {
        s.update(actual == 1, pred == 1, Some(p)).unwrap();
    }
    s
}

/// Scalar metrics on B40 against scikit-learn, with
/// `p, yhat, y = np.array(B).T; y1 = np.ones_like(y)`.
#[test]
fn b40_scalars_match_sklearn() {
    let s = b40();
    // M.confusion_matrix(y, yhat) = [[19, 4], [6, 11]]  (rows actual 0/1, columns predicted 0/1)
    let c = s.counts();
    assert_eq!(
        (
            c.true_negatives,
            c.false_positives,
            c.false_negatives,
            c.true_positives
        ),
        (19, 4, 6, 11)
    );
    let cm = s.confusion_matrix();
    assert_eq!(
        (cm["0"]["0"], cm["0"]["1"], cm["1"]["0"], cm["1"]["1"]),
        (19, 4, 6, 11)
    );
    let refs = [
        // M.precision_score(y, yhat)
        (BinaryMetric::Precision, 0.7333333333333333),
        // M.recall_score(y, yhat)
        (BinaryMetric::Recall, 0.6470588235294118),
        (BinaryMetric::TruePositiveRate, 0.6470588235294118),
        // M.accuracy_score(y, yhat)
        (BinaryMetric::Accuracy, 0.75),
        // M.recall_score(y, yhat, pos_label=0)
        (BinaryMetric::TrueNegativeRate, 0.8260869565217391),
        // 1 - M.recall_score(y, yhat, pos_label=0)
        (BinaryMetric::FalsePositiveRate, 0.17391304347826086),
        // 1 - M.recall_score(y, yhat)
        (BinaryMetric::FalseNegativeRate, 0.3529411764705882),
        // M.fbeta_score(y, yhat, beta=0.5)
        (BinaryMetric::F0_5, 0.7142857142857143),
        // M.f1_score(y, yhat)
        (BinaryMetric::F1, 0.6875),
        // M.fbeta_score(y, yhat, beta=2)
        (BinaryMetric::F2, 0.6626506024096386),
        // M.roc_auc_score(y, p)
        (BinaryMetric::Auc, 0.7186700767263428),
        // M.precision_score(y, y1)
        (BinaryMetric::PrecisionBestConstantClassifier, 0.425),
        // M.recall_score(y, y1)
        (BinaryMetric::RecallBestConstantClassifier, 1.0),
        // M.accuracy_score(y, y1)
        (BinaryMetric::AccuracyBestConstantClassifier, 0.425),
        // M.fbeta_score(y, y1, beta=0.5)
        (BinaryMetric::F0_5BestConstantClassifier, 0.480225988700565),
        // M.f1_score(y, y1)
        (BinaryMetric::F1BestConstantClassifier, 0.5964912280701754),
        // M.fbeta_score(y, y1, beta=2)
        (BinaryMetric::F2BestConstantClassifier, 0.7870370370370371),
    ];
    assert_eq!(refs.len(), BinaryMetric::ALL.len());
    for (m, r) in refs {
        assert_rel(s.metric(m), r, REL_TIGHT, m.key());
    }
    // distinct 2-decimal probabilities are ≥ 0.01 > 2⁻¹⁶ apart, so the only same-bin
    // (positive, negative) pairs are the two exact ties (0.50 and 0.35), which both count ½:
    // the bound is 2 / (2·17·23) while the binned AUC is exact
    assert_eq!(s.scores().auc_error_bound(), 2.0 / (2.0 * 17.0 * 23.0));
}

/// ROC and PR curves on B40 (38 distinct scores, so no down-sampling) against
/// `fpr, tpr, _ = M.roc_curve(y, p, drop_intermediate=False)` and
/// `pr, rc, _ = M.precision_recall_curve(y, p, drop_intermediate=False)`.
///
/// scikit-learn's ROC starts at (0, 0) and ends at (1, 1); Spark (and we) append one more
/// (1, 1). scikit-learn's PR arrays run from the lowest threshold up and end with the point
/// (recall 0, precision 1); reversed, everything after that first point is our curve after
/// Spark's prepended `(0, p₁)` (here p₁ = 1, since the top score is a positive).
#[test]
fn b40_curves_match_sklearn() {
    #[rustfmt::skip]
    let fpr = [0.0, 0.0, 0.0, 0.043478260869565216, 0.043478260869565216, 0.043478260869565216, 0.08695652173913043, 0.08695652173913043, 0.08695652173913043, 0.13043478260869565, 0.13043478260869565, 0.13043478260869565, 0.17391304347826086, 0.17391304347826086, 0.21739130434782608, 0.21739130434782608, 0.2608695652173913, 0.30434782608695654, 0.34782608695652173, 0.34782608695652173, 0.391304347826087, 0.43478260869565216, 0.43478260869565216, 0.4782608695652174, 0.5217391304347826, 0.5652173913043478, 0.6086956521739131, 0.6086956521739131, 0.6521739130434783, 0.6956521739130435, 0.7391304347826086, 0.7391304347826086, 0.782608695652174, 0.8260869565217391, 0.8695652173913043, 0.9130434782608695, 0.9565217391304348, 1.0, 1.0];
    #[rustfmt::skip]
    let tpr = [0.0, 0.058823529411764705, 0.11764705882352941, 0.11764705882352941, 0.17647058823529413, 0.23529411764705882, 0.23529411764705882, 0.29411764705882354, 0.35294117647058826, 0.35294117647058826, 0.4117647058823529, 0.47058823529411764, 0.47058823529411764, 0.5294117647058824, 0.5294117647058824, 0.5882352941176471, 0.5882352941176471, 0.6470588235294118, 0.6470588235294118, 0.7058823529411765, 0.7058823529411765, 0.7058823529411765, 0.7647058823529411, 0.8235294117647058, 0.8235294117647058, 0.8235294117647058, 0.8235294117647058, 0.8823529411764706, 0.8823529411764706, 0.8823529411764706, 0.8823529411764706, 0.9411764705882353, 0.9411764705882353, 0.9411764705882353, 0.9411764705882353, 0.9411764705882353, 0.9411764705882353, 0.9411764705882353, 1.0];
    // pr[::-1]
    #[rustfmt::skip]
    let precisions = [1.0, 1.0, 1.0, 0.6666666666666666, 0.75, 0.8, 0.6666666666666666, 0.7142857142857143, 0.75, 0.6666666666666666, 0.7, 0.7272727272727273, 0.6666666666666666, 0.6923076923076923, 0.6428571428571429, 0.6666666666666666, 0.625, 0.6111111111111112, 0.5789473684210527, 0.6, 0.5714285714285714, 0.5454545454545454, 0.5652173913043478, 0.56, 0.5384615384615384, 0.5185185185185185, 0.5, 0.5172413793103449, 0.5, 0.4838709677419355, 0.46875, 0.48484848484848486, 0.47058823529411764, 0.45714285714285713, 0.4444444444444444, 0.43243243243243246, 0.42105263157894735, 0.41025641025641024, 0.425];
    // rc[::-1] is tpr
    let s = b40();
    let roc = s.roc_curve();
    let mut fpr_spark = fpr.to_vec();
    fpr_spark.push(1.0);
    let mut tpr_spark = tpr.to_vec();
    tpr_spark.push(1.0);
    assert_eq!(roc.false_positive_rates, fpr_spark);
    assert_eq!(roc.true_positive_rates, tpr_spark);
    let pr = s.pr_curve();
    assert_eq!(pr.recalls.len(), 39);
    assert_eq!(pr.recalls[1..], tpr[1..]);
    assert_eq!(pr.precisions[1..], precisions[1..]);
    assert_eq!((pr.recalls[0], pr.precisions[0]), (0.0, pr.precisions[1]));
}

/// Without probabilities the histogram holds the 0/1 predictions, so `auc` is that of the
/// hard predictions: `M.roc_auc_score(y, yhat) = 0.7365728900255754`.
#[test]
fn auc_from_predictions_only() {
    let mut s = BinaryConfusion::new();
    for (_, pred, actual) in B40 {
        s.update(actual == 1, pred == 1, None).unwrap();
    }
    assert_rel(s.auc(), 0.7365728900255754, REL_TIGHT, "auc from 0/1");
    assert_eq!(s.scores().len(), 2);
    // (0,0), threshold 1, threshold 0 (= everything), appended (1,1)
    assert_eq!(s.roc_curve().false_positive_rates.len(), 4);
}

/// The churn baseline dataset against scikit-learn, with
/// `d = np.loadtxt('ex-churn-validation_with_predictions.csv', delimiter=',', skiprows=1)`,
/// `p, yhat, y = d[:,0], d[:,1].astype(int), d[:,2].astype(int); y1 = np.ones_like(y)`.
#[test]
fn churn_matches_sklearn() {
    let q = churn_quality();
    let s = q.full();
    // M.confusion_matrix(y, yhat) = [[173, 0], [12, 16]]
    let cm = s.confusion_matrix();
    assert_eq!(
        (cm["0"]["0"], cm["0"]["1"], cm["1"]["0"], cm["1"]["1"]),
        (173, 0, 12, 16)
    );
    let refs = [
        // M.precision_score(y, yhat)
        (BinaryMetric::Precision, 1.0),
        // M.recall_score(y, yhat)
        (BinaryMetric::Recall, 0.5714285714285714),
        // M.accuracy_score(y, yhat)
        (BinaryMetric::Accuracy, 0.9402985074626866),
        // M.fbeta_score(y, yhat, beta=0.5)
        (BinaryMetric::F0_5, 0.8695652173913043),
        // M.f1_score(y, yhat)
        (BinaryMetric::F1, 0.7272727272727273),
        // M.fbeta_score(y, yhat, beta=2)
        (BinaryMetric::F2, 0.625),
        // M.recall_score(y, yhat, pos_label=0)
        (BinaryMetric::TrueNegativeRate, 1.0),
        // M.roc_auc_score(y, p)
        (BinaryMetric::Auc, 0.9395127993393889),
        // M.precision_score(y, y1)
        (
            BinaryMetric::PrecisionBestConstantClassifier,
            0.13930348258706468,
        ),
        // M.accuracy_score(y, y1)
        (
            BinaryMetric::AccuracyBestConstantClassifier,
            0.13930348258706468,
        ),
        // M.fbeta_score(y, y1, beta=0.5)
        (
            BinaryMetric::F0_5BestConstantClassifier,
            0.16826923076923078,
        ),
        // M.f1_score(y, y1)
        (BinaryMetric::F1BestConstantClassifier, 0.2445414847161572),
        // M.fbeta_score(y, y1, beta=2)
        (BinaryMetric::F2BestConstantClassifier, 0.4472843450479233),
    ];
    for (m, r) in refs {
        assert_rel(s.metric(m), r, REL_TIGHT, m.key());
    }
    assert_eq!(s.metric(BinaryMetric::FalsePositiveRate), 0.0);
    // two probabilities share a bin, but with the same label: the binned AUC is exact
    assert_eq!(s.scores().len(), 200);
    assert_eq!(s.scores().auc_error_bound(), 0.0);

    // 201 ≥ 200 records: standard deviations are reported; precision is 1 in every replicate
    assert_eq!(q.metric(BinaryMetric::Precision).standard_deviation, 0.0);
    for m in [BinaryMetric::Recall, BinaryMetric::Auc, BinaryMetric::F1] {
        let sd = q.metric(m).standard_deviation;
        assert!(sd > 0.0 && sd < 0.1, "{}: {sd}", m.key());
    }
}

/// Exact ROC of raw scores by sorting: `(FP/N, TP/P)` after each distinct score, descending.
fn exact_roc_points(rows: &[(f64, bool)]) -> Vec<(f64, f64)> {
    let mut v = rows.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let p = v.iter().filter(|r| r.1).count() as f64;
    let n = v.len() as f64 - p;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = Vec::new();
    for (i, &(s, pos)) in v.iter().enumerate() {
        if pos {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if i + 1 == v.len() || v[i + 1].0 != s {
            out.push((fp / n, tp / p));
        }
    }
    out
}

/// 200 non-empty bins are grouped in pairs: 100 thresholds. Every point lies on the exact
/// ROC curve of the raw scores (what `M.roc_curve(y, p, drop_intermediate=False)` lists, 202
/// points) and the curve follows Spark's layout.
#[test]
fn churn_curves_are_downsampled_exact_points() {
    let rows: Vec<(f64, bool)> = churn_rows().into_iter().map(|(p, _, a)| (p, a)).collect();
    let exact = exact_roc_points(&rows);
    assert_eq!(exact.len() + 1, 202); // sklearn adds (0, 0)
    let s = churn_quality().full().clone();
    let roc = s.roc_curve();
    let k = roc.false_positive_rates.len();
    assert_eq!(k, MAX_CURVE_THRESHOLDS + 2);
    assert_eq!(
        (roc.false_positive_rates[0], roc.true_positive_rates[0]),
        (0.0, 0.0)
    );
    for i in 1..k - 1 {
        let pt = (roc.false_positive_rates[i], roc.true_positive_rates[i]);
        assert!(
            exact.contains(&pt),
            "ROC point {pt:?} not on the exact curve"
        );
    }
    assert_eq!(
        (
            roc.false_positive_rates[k - 2],
            roc.true_positive_rates[k - 2]
        ),
        (1.0, 1.0)
    );
    assert_eq!(
        (
            roc.false_positive_rates[k - 1],
            roc.true_positive_rates[k - 1]
        ),
        (1.0, 1.0)
    );
    let pr = s.pr_curve();
    assert_eq!(pr.recalls.len(), MAX_CURVE_THRESHOLDS + 1);
    assert_eq!(pr.recalls[0], 0.0);
    assert_eq!(pr.precisions[0], pr.precisions[1]);
    assert_eq!(pr.recalls[1..], roc.true_positive_rates[1..k - 1]);
}

// ---------------------------------------------------------------------------------------------
// AUC accuracy on 1 M records
// ---------------------------------------------------------------------------------------------

/// Exact AUC of raw scores: the Mann–Whitney U statistic with ties counted ½, divided by
/// `P·N`. This is the value `sklearn.metrics.roc_auc_score(y, s)` returns (trapezoidal area
/// under the ROC through every distinct score).
fn exact_auc(rows: &mut [(f64, bool)]) -> f64 {
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut negatives_below: u128 = 0;
    let mut twice_u: u128 = 0;
    let (mut p, mut n) = (0u128, 0u128);
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        let (mut gp, mut gn) = (0u128, 0u128);
        while j < rows.len() && rows[j].0 == rows[i].0 {
            if rows[j].1 {
                gp += 1;
            } else {
                gn += 1;
            }
            j += 1;
        }
        twice_u += gp * (2 * negatives_below + gn);
        negatives_below += gn;
        p += gp;
        n += gn;
        i = j;
    }
    twice_u as f64 / (2 * p * n) as f64
}

/// Seeded synthetic scores: `sigmoid(z)`, `z ~ N(μ₁, 1)` for positives (share `prevalence`)
/// and `N(μ₀, 1)` for negatives; every fifth score rounded to 3 decimals so exact ties
/// across labels occur.
fn synthetic(seed: u64, n: usize, prevalence: f64, mu1: f64, mu0: f64) -> Vec<(f64, bool)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    (0..n)
        .map(|i| {
            let positive = rng.random::<f64>() < prevalence;
            let z = normal.sample(&mut rng) + if positive { mu1 } else { mu0 };
            let mut s = 1.0 / (1.0 + (-z).exp());
            if i % 5 == 0 {
                s = (s * 1000.0).round() / 1000.0;
            }
            (s, positive)
        })
        .collect()
}

/// On 1 M records the histogram AUC is within 1e-4 of the exact AUC (and within the
/// documented bound `auc_error_bound`), for a balanced binormal score and for a skewed,
/// fraud-like score with most mass below 0.1 (bins there hold many records of both labels).
#[test]
fn auc_one_million_records_within_1e_4() {
    for (seed, prevalence, mu1, mu0) in [(7, 0.3, 0.9, -0.9), (11, 0.05, -2.0, -4.0)] {
        let mut rows = synthetic(seed, 1_000_000, prevalence, mu1, mu0);
        let mut s = BinaryConfusion::new();
        for &(p, a) in &rows {
            s.update(a, p > 0.5, Some(p)).unwrap();
        }
        let exact = exact_auc(&mut rows);
        let ours = s.auc();
        let err = (ours - exact).abs();
        let bound = s.scores().auc_error_bound();
        assert!(err <= 1e-4, "seed {seed}: |{ours} − {exact}| = {err:e}");
        assert!(
            err <= bound + 1e-15,
            "seed {seed}: error {err:e} above bound {bound:e}"
        );
        assert!(s.scores().len() <= SCORE_BINS as usize);
    }
}

// ---------------------------------------------------------------------------------------------
// multiclass
// ---------------------------------------------------------------------------------------------

/// The DG multiclass example: its confusion matrix reproduces all 12 printed values to the
/// last bit, with the best constant classifier predicting the minority true class `"1"`.
///
/// Rules that do not reproduce it: the class maximising accuracy (or any weighted metric),
/// and the most frequent predicted class, are both `"0"`.
#[test]
fn dg_multiclass_example_reproduces_every_value() {
    let fx = json_fixture("model-quality/dg-example-multiclass-classification-metrics.json");
    let fx = &fx["multiclass_classification_metrics"];
    let cm: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_value(fx["confusion_matrix"].clone()).unwrap();
    let mut s = MulticlassConfusion::new();
    for (a, row) in &cm {
        for (p, &c) in row {
            s.add_n(a, p, c);
        }
    }
    assert_eq!(s.count(), 2096);
    assert_eq!(s.confusion_matrix(), cm);
    assert_eq!(s.best_constant_class(), Some("1"));
    for m in MulticlassMetric::ALL {
        assert_bits(s.metric(m), fx[m.key()]["value"].as_f64().unwrap(), m.key());
    }
    // rejected rules
    let acc_bcc = fx["accuracy_best_constant_classifier"]["value"]
        .as_f64()
        .unwrap();
    let acc0 = s.constant_classifier_metric("0", MulticlassMetric::Accuracy);
    let acc1 = s.constant_classifier_metric("1", MulticlassMetric::Accuracy);
    assert!(acc0 > acc1 && acc0 != acc_bcc);
    let predicted_0: u64 = cm.values().map(|r| r["0"]).sum();
    let predicted_1: u64 = cm.values().map(|r| r["1"]).sum();
    assert!(predicted_0 > predicted_1);
}

/// 40 hand-written `(actual, predicted)` rows: "fish" is never predicted (precision 0 by
/// Spark's convention), "ant" is predicted but never actual (weight 0).
#[rustfmt::skip]
const C40: [(&str, &str); 40] = [
    ("cat", "cat"), ("cat", "cat"), ("cat", "dog"), ("cat", "cat"), ("cat", "bird"),
    ("cat", "cat"), ("cat", "cat"), ("cat", "ant"), ("cat", "cat"), ("cat", "dog"),
    ("cat", "cat"), ("cat", "cat"), ("dog", "dog"), ("dog", "dog"), ("dog", "cat"),
    ("dog", "dog"), ("dog", "dog"), ("dog", "bird"), ("dog", "dog"), ("dog", "cat"),
    ("dog", "dog"), ("dog", "dog"), ("bird", "bird"), ("bird", "bird"), ("bird", "cat"),
    ("bird", "bird"), ("bird", "dog"), ("bird", "bird"), ("bird", "bird"), ("bird", "ant"),
    ("fish", "cat"), ("fish", "dog"), ("fish", "bird"), ("fish", "cat"), ("fish", "ant"),
    ("cat", "cat"), ("dog", "dog"), ("bird", "bird"), ("cat", "dog"), ("dog", "cat"),
];

/// C40 against scikit-learn, with `y, yhat = zip(*C)`, `yf = ["fish"] * 40` (the minority
/// true class, support 5) and `w = dict(average='weighted', zero_division=0)`.
#[test]
fn c40_matches_sklearn() {
    let mut s = MulticlassConfusion::new();
    for (a, p) in C40 {
        s.update(a, p);
    }
    assert_eq!(s.best_constant_class(), Some("fish"));
    let refs = [
        // M.accuracy_score(y, yhat)
        (MulticlassMetric::Accuracy, 0.575),
        // M.recall_score(y, yhat, **w)
        (MulticlassMetric::WeightedRecall, 0.575),
        // M.precision_score(y, yhat, **w)
        (MulticlassMetric::WeightedPrecision, 0.5446153846153846),
        // M.fbeta_score(y, yhat, beta=0.5, **w)
        (MulticlassMetric::WeightedF0_5, 0.5503378378378379),
        // M.f1_score(y, yhat, **w)
        (MulticlassMetric::WeightedF1, 0.5592413793103448),
        // M.fbeta_score(y, yhat, beta=2, **w)
        (MulticlassMetric::WeightedF2, 0.5685522973909028),
        // M.accuracy_score(y, yf)
        (MulticlassMetric::AccuracyBestConstantClassifier, 0.125),
        // M.recall_score(y, yf, **w)
        (
            MulticlassMetric::WeightedRecallBestConstantClassifier,
            0.125,
        ),
        // M.precision_score(y, yf, **w)
        (
            MulticlassMetric::WeightedPrecisionBestConstantClassifier,
            0.015625,
        ),
        // M.fbeta_score(y, yf, beta=0.5, **w)
        (
            MulticlassMetric::WeightedF0_5BestConstantClassifier,
            0.01893939393939394,
        ),
        // M.f1_score(y, yf, **w)
        (
            MulticlassMetric::WeightedF1BestConstantClassifier,
            0.02777777777777778,
        ),
        // M.fbeta_score(y, yf, beta=2, **w)
        (
            MulticlassMetric::WeightedF2BestConstantClassifier,
            0.052083333333333336,
        ),
    ];
    assert_eq!(refs.len(), MulticlassMetric::ALL.len());
    for (m, r) in refs {
        assert_rel(s.metric(m), r, REL_TIGHT, m.key());
    }
    // M.confusion_matrix(y, yhat, labels=['ant','bird','cat','dog','fish']) rows for the
    // actual labels (scikit-learn also lists the all-zero row of "ant", which is never actual)
    let cm = s.confusion_matrix();
    let rows: Vec<Vec<u64>> = cm.values().map(|r| r.values().copied().collect()).collect();
    assert_eq!(
        cm.keys().collect::<Vec<_>>(),
        ["bird", "cat", "dog", "fish"]
    );
    assert_eq!(
        rows,
        vec![
            vec![1, 6, 1, 1, 0],
            vec![1, 1, 9, 3, 0],
            vec![0, 1, 3, 8, 0],
            vec![1, 1, 2, 1, 0],
        ]
    );
}

/// Replicate standard deviations of best-constant metrics use the class chosen on the full
/// state, whatever the replicates' own minorities are.
#[test]
fn multiclass_replicates_use_the_full_constant_class() {
    let mut q = MulticlassQuality::new();
    let labels = ["a", "b", "c"];
    for i in 0..600usize {
        // supports 250 / 200 / 150 → "c" is the minority
        let actual = if i < 250 {
            "a"
        } else if i < 450 {
            "b"
        } else {
            "c"
        };
        q.update(&format!("k{i}"), actual, labels[i % 3]);
    }
    assert_eq!(q.full().best_constant_class(), Some("c"));
    let m = MulticlassMetric::WeightedF1BestConstantClassifier;
    let v = q.metric(m);
    let by_hand: Vec<f64> = q
        .replicates()
        .iter()
        .map(|r| r.constant_classifier_metric("c", m))
        .collect();
    assert_eq!(v.standard_deviation, population_std(&by_hand));
    assert_eq!(v.value, q.full().constant_classifier_metric("c", m));
    let same = q.metric_by(|s| s.constant_classifier_metric("c", m));
    assert_eq!(same, v);
}

// ---------------------------------------------------------------------------------------------
// regression
// ---------------------------------------------------------------------------------------------

/// 40 hand-written `(y, ŷ)` rows.
#[rustfmt::skip]
const R40: [(f64, f64); 40] = [
    (3.2, 2.9), (1.5, 1.8), (-0.7, -0.2), (4.4, 4.1), (2.0, 2.6), (0.0, 0.3), (5.1, 4.0),
    (2.8, 3.0), (1.1, 0.9), (-1.6, -1.1), (3.9, 4.4), (2.2, 2.2), (0.6, 1.4), (7.3, 6.1),
    (2.5, 2.7), (1.9, 1.2), (-0.3, 0.5), (4.8, 5.2), (3.3, 3.1), (0.9, 0.4), (6.2, 5.5),
    (2.7, 3.4), (1.4, 1.6), (-2.1, -1.4), (3.6, 3.0), (0.2, 0.0), (5.5, 5.9), (2.1, 1.7),
    (1.7, 2.3), (-0.9, -1.2), (4.0, 4.6), (2.9, 2.4), (0.4, 0.9), (8.1, 7.2), (2.3, 2.0),
    (1.2, 1.9), (-1.2, -0.4), (4.6, 4.3), (3.0, 3.5), (0.7, 0.1),
];

/// R40 against scikit-learn with `y, yhat = np.array(R).T`.
#[test]
fn r40_matches_sklearn() {
    let mut s = RegressionMoments::new();
    for (y, yhat) in R40 {
        s.update(y, yhat).unwrap();
    }
    let refs = [
        // M.mean_absolute_error(y, yhat)
        (RegressionMetric::Mae, 0.5025000000000001),
        // M.mean_squared_error(y, yhat)
        (RegressionMetric::Mse, 0.31825000000000003),
        // M.root_mean_squared_error(y, yhat)
        (RegressionMetric::Rmse, 0.5641365083027334),
        // M.r2_score(y, yhat)
        (RegressionMetric::R2, 0.9411785770806692),
    ];
    for (m, r) in refs {
        assert_rel(s.metric(m), r, REL_TIGHT, m.key());
    }
}

/// The SDK's regression baseline: `statistics.json` of `baseline_dataset.csv` with
/// `inference_attribute="Label"` and `ground_truth_attribute="Prediction"` (roles swapped
/// relative to the column names, see the fixture's provenance). One pass in file order
/// reproduces all four values to the last bit (plain sums, as Spark's summarizer within one
/// partition). 100 < 200 records, so every `standard_deviation` is `"NaN"`.
#[test]
fn sdk_regression_baseline_reproduced() {
    let fx = json_fixture("model-quality/sdk-pipeline-mq-regression-statistics.json");
    let mut rdr =
        csv::Reader::from_path(fixture("datasets/sdk-pipeline-mq-baseline_dataset.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (truth, inference) = (col("Prediction"), col("Label"));
    let mut q = RegressionQuality::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let y: f64 = r[truth].parse().unwrap();
        let yhat: f64 = r[inference].parse().unwrap();
        q.update(&i.to_string(), y, yhat).unwrap();
    }
    assert_eq!(q.count(), fx["dataset"]["item_count"].as_u64().unwrap());
    for m in RegressionMetric::ALL {
        let reference = &fx["regression_metrics"][m.key()];
        let v = q.metric(m);
        assert_bits(v.value, reference["value"].as_f64().unwrap(), m.key());
        assert_eq!(reference["standard_deviation"], "NaN");
        assert!(v.standard_deviation.is_nan());
    }
    // sklearn.metrics.r2_score(gt, inf) = -3.208758170289027 with the swapped roles; the other
    // way round r2 is far off
    let mut swapped = RegressionMoments::new();
    let mut rdr =
        csv::Reader::from_path(fixture("datasets/sdk-pipeline-mq-baseline_dataset.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        swapped
            .update(r[inference].parse().unwrap(), r[truth].parse().unwrap())
            .unwrap();
    }
    assert!((swapped.metric(RegressionMetric::R2) - -3.208758170289026).abs() > 1.0);
}

// ---------------------------------------------------------------------------------------------
// replicates, standard deviation, degenerate input
// ---------------------------------------------------------------------------------------------

/// `in_replicate` is the documented hash: values computed with an independent Python
/// implementation of FNV-1a 64 and SplitMix64 (`u = (splitmix64(fnv(key), r + 1) >> 11) / 2⁵³
/// < 0.8`). Over 100 000 keys each replicate holds 80 % ± 0.5 % and two replicates share
/// 64 % ± 0.5 % (independent draws).
#[test]
fn replicate_membership_is_stable_and_balanced() {
    assert_eq!(replicate_membership("0"), [true, true, true, false, true]);
    assert_eq!(
        replicate_membership("row-17"),
        [true, false, true, true, false]
    );
    assert_eq!(replicate_membership("abc"), [true; 5]);
    for r in 0..REPLICATES {
        assert_eq!(in_replicate("row-17", r), replicate_membership("row-17")[r]);
    }
    let n = 100_000;
    let members: Vec<[bool; REPLICATES]> = (0..n)
        .map(|i| replicate_membership(&format!("id-{i}")))
        .collect();
    for r in 0..REPLICATES {
        let share = members.iter().filter(|m| m[r]).count() as f64 / n as f64;
        assert!((share - 0.8).abs() < 0.005, "replicate {r}: {share}");
        for t in r + 1..REPLICATES {
            let both = members.iter().filter(|m| m[r] && m[t]).count() as f64 / n as f64;
            assert!((both - 0.64).abs() < 0.005, "replicates {r},{t}: {both}");
        }
    }
}

/// `standard_deviation` is `NaN` below 200 records and otherwise the population standard
/// deviation (`np.std(values)`, ddof = 0) of the metric over the 5 replicate states.
#[test]
fn standard_deviation_rule() {
    let mut q = RegressionQuality::new();
    for i in 0..199u32 {
        let y = f64::from(i % 17);
        q.update(&i.to_string(), y, y + f64::from(i % 5) - 2.0)
            .unwrap();
    }
    assert!(q.metric(RegressionMetric::Mae).standard_deviation.is_nan());
    q.update("199", 3.0, 1.0).unwrap();
    assert_eq!(q.count(), 200);
    for m in RegressionMetric::ALL {
        let v = q.metric(m);
        let values: Vec<f64> = q.replicates().iter().map(|r| r.metric(m)).collect();
        assert_eq!(v.standard_deviation, population_std(&values));
        assert!(v.standard_deviation > 0.0);
        assert_eq!(v.value, q.full().metric(m));
    }
    // every replicate holds roughly 80 % of the records
    for r in q.replicates() {
        assert!((130..=190).contains(&r.count()), "{}", r.count());
    }
    // np.std([1, 2, 3, 4, 6]) = 1.7204650534085253
    assert_eq!(
        population_std(&[1.0, 2.0, 3.0, 4.0, 6.0]),
        1.7204650534085253
    );
}

#[test]
fn invalid_input_is_rejected_without_side_effects() {
    let mut q = BinaryQuality::new();
    q.update("a", true, true, Some(0.7)).unwrap();
    let before = q.clone();
    for bad in [f64::NAN, -0.1, 1.0000001, f64::INFINITY] {
        let e = q.update("b", true, false, Some(bad)).unwrap_err();
        assert!(matches!(e, QualityError::ProbabilityOutOfRange { .. }));
        assert!(e.to_string().contains(&format!("{bad}")));
    }
    assert_eq!(q, before);
    let mut r = RegressionQuality::new();
    assert!(matches!(
        r.update("x", f64::NAN, 1.0),
        Err(QualityError::NonFinite { what: "actual", .. })
    ));
    assert!(matches!(
        r.update("x", 1.0, f64::NEG_INFINITY),
        Err(QualityError::NonFinite {
            what: "predicted",
            ..
        })
    ));
    assert_eq!(r.count(), 0);
}

/// Undefined ratios are `NaN`; curves follow Spark's conventions.
#[test]
fn degenerate_windows() {
    let empty = BinaryConfusion::new();
    for m in BinaryMetric::ALL {
        assert!(empty.metric(m).is_nan(), "{}", m.key());
    }
    let roc = empty.roc_curve();
    assert_eq!(roc.false_positive_rates, vec![0.0, 1.0]);
    assert_eq!(roc.true_positive_rates, vec![0.0, 1.0]);
    assert!(empty.pr_curve().precisions.is_empty());
    for m in MulticlassMetric::ALL {
        assert!(MulticlassConfusion::new().metric(m).is_nan());
    }
    for m in RegressionMetric::ALL {
        assert!(RegressionMoments::new().metric(m).is_nan());
    }

    // only negatives, never predicted positive
    let mut s = BinaryConfusion::new();
    for p in [0.1, 0.2, 0.3] {
        s.update(false, false, Some(p)).unwrap();
    }
    assert!(s.metric(BinaryMetric::Recall).is_nan());
    assert!(s.metric(BinaryMetric::Precision).is_nan());
    assert!(s.metric(BinaryMetric::F1).is_nan());
    assert!(s.metric(BinaryMetric::Auc).is_nan());
    assert_eq!(s.metric(BinaryMetric::FalsePositiveRate), 0.0);
    assert_eq!(s.metric(BinaryMetric::Accuracy), 1.0);
    assert_eq!(s.metric(BinaryMetric::PrecisionBestConstantClassifier), 0.0);
    assert_eq!(
        s.roc_curve().true_positive_rates,
        vec![0.0; 4].into_iter().chain([1.0]).collect::<Vec<_>>()
    );
    assert_eq!(s.pr_curve().recalls, vec![0.0; 4]);

    // predicted positive, all wrong: P = R = 0 → F = 0 (Spark's convention)
    let mut w = BinaryConfusion::new();
    w.update(false, true, None).unwrap();
    w.update(true, false, None).unwrap();
    assert_eq!(w.metric(BinaryMetric::F1), 0.0);

    // constant ground truth: SS_tot = 0 → r2 NaN
    let mut r = RegressionMoments::new();
    r.update(2.0, 1.0).unwrap();
    r.update(2.0, 3.0).unwrap();
    assert!(r.metric(RegressionMetric::R2).is_nan());
    assert_eq!(r.metric(RegressionMetric::Mse), 1.0);
}

// ---------------------------------------------------------------------------------------------
// serde
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn serde_round_trips_and_validates() {
    let q = churn_quality();
    let json = serde_json::to_string(&q).unwrap();
    let back: BinaryQuality = serde_json::from_str(&json).unwrap();
    assert_eq!(back, q);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);

    let mut m = MulticlassQuality::new();
    for (i, (a, p)) in C40.into_iter().enumerate() {
        m.update(&i.to_string(), a, p);
    }
    let back: MulticlassQuality =
        serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);

    let mut r = RegressionQuality::new();
    for (i, (y, yhat)) in R40.into_iter().enumerate() {
        r.update(&i.to_string(), y, yhat).unwrap();
    }
    let back: RegressionQuality =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);

    // histogram: compact, and malformed input is named
    let h = q.full().scores();
    let hv = serde_json::to_value(h).unwrap();
    assert_eq!(hv["bins"], 65536);
    assert!(hv["data"].as_str().unwrap().len() < 200 * 8);
    // `data` is standard base64 of the LEB128 triples (encoded with Python's base64 module)
    let bad = |bins: u32, data: &str| {
        serde_json::from_value::<ScoreHistogram>(serde_json::json!({"bins": bins, "data": data}))
            .unwrap_err()
            .to_string()
    };
    assert!(bad(1024, "").contains("1024 bins"));
    // [5, 0, 0]: bin 5 with no records
    assert!(bad(65536, "BQAA").contains("empty score bin 5"));
    // [5, 1]: the negative count is missing
    assert!(bad(65536, "BQE=").contains("truncated"));
    // [0x80, 0x80, 0x04, 1, 0]: bin 65536
    assert!(bad(65536, "gIAEAQA=").contains("out of range"));
    // [0xff; 11]: a varint longer than 64 bits
    assert!(bad(65536, "//////////////8=").contains("overflows"));
    let ok: ScoreHistogram =
        serde_json::from_value(serde_json::json!({"bins": 65536, "data": "AAEAAQAB"})).unwrap();
    // [0,1,0] [1,0,1]: bin 0 one positive, bin 2 one negative
    assert_eq!(ok.iter().collect::<Vec<_>>().len(), 2);
    assert_eq!((ok.positives(), ok.negatives()), (1, 1));

    // confusion counts must agree with the histogram
    let mut v = serde_json::to_value(q.full()).unwrap();
    v["counts"]["true_positives"] = serde_json::json!(17);
    assert!(serde_json::from_value::<BinaryConfusion>(v)
        .unwrap_err()
        .to_string()
        .contains("disagree"));
    let mut v = serde_json::to_value(m.full()).unwrap();
    v["counts"]["cat"]["cat"] = serde_json::json!(0);
    assert!(serde_json::from_value::<MulticlassConfusion>(v)
        .unwrap_err()
        .to_string()
        .contains("zero count"));
}

// ---------------------------------------------------------------------------------------------
// merge = whole
// ---------------------------------------------------------------------------------------------

/// 100 random splits (2–10 parts, random part sizes, merged in random order) of the churn
/// dataset and of the SDK regression dataset give the state of the whole: exactly for the
/// binary state with its replicates, within `REL_TIGHT` for the regression moments.
#[test]
fn hundred_random_splits_merge_to_the_whole() {
    let churn = churn_rows();
    let whole = churn_quality();
    let mut reg_rows = Vec::new();
    let mut rdr =
        csv::Reader::from_path(fixture("datasets/sdk-pipeline-mq-baseline_dataset.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        reg_rows.push((r[8].parse::<f64>().unwrap(), r[7].parse::<f64>().unwrap()));
    }
    let mut reg_whole = RegressionQuality::new();
    for (i, &(y, yhat)) in reg_rows.iter().enumerate() {
        reg_whole.update(&i.to_string(), y, yhat).unwrap();
    }
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..100 {
        let parts = rng.random_range(2..=10usize);
        let mut states = vec![BinaryQuality::new(); parts];
        for (i, &(p, pred, actual)) in churn.iter().enumerate() {
            let k = rng.random_range(0..parts);
            states[k]
                .update(&i.to_string(), actual, pred, Some(p))
                .unwrap();
        }
        let mut reg_states = vec![RegressionQuality::new(); parts];
        for (i, &(y, yhat)) in reg_rows.iter().enumerate() {
            let k = rng.random_range(0..parts);
            reg_states[k].update(&i.to_string(), y, yhat).unwrap();
        }
        let mut order: Vec<usize> = (0..parts).collect();
        for i in (1..parts).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let mut merged = BinaryQuality::new();
        let mut reg_merged = RegressionQuality::new();
        for &k in &order {
            merged.merge(&states[k]);
            reg_merged.merge(&reg_states[k]);
        }
        assert_eq!(merged, whole);
        for m in RegressionMetric::ALL {
            let (a, b) = (reg_merged.metric(m), reg_whole.metric(m));
            assert_rel(a.value, b.value, REL_TIGHT, m.key());
            // 100 < 200 records: no standard deviation on either side
            assert!(a.standard_deviation.is_nan() && b.standard_deviation.is_nan());
        }
    }
}

fn record() -> impl Strategy<Value = (bool, bool, Option<f64>)> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), (0.0..=1.0f64).prop_map(Some), Just(Some(1.0))],
    )
}

proptest! {
    /// Binary state (with replicates) merged from any split equals the whole, exactly:
    /// counts, histogram bins and every replicate.
    #[test]
    fn binary_merge_of_split_equals_whole(
        rows in prop::collection::vec((0usize..4, record()), 0..300),
    ) {
        let mut whole = BinaryQuality::new();
        let mut parts = vec![BinaryQuality::new(); 4];
        for (i, (k, (a, p, prob))) in rows.iter().enumerate() {
            let key = format!("k{i}");
            whole.update(&key, *a, *p, *prob).unwrap();
            parts[*k].update(&key, *a, *p, *prob).unwrap();
        }
        let mut forward = BinaryQuality::new();
        for s in &parts {
            forward.merge(s);
        }
        let mut backward = BinaryQuality::new();
        for s in parts.iter().rev() {
            backward.merge(s);
        }
        prop_assert_eq!(&forward, &whole);
        prop_assert_eq!(&backward, &whole);
        let auc = whole.full().auc();
        prop_assert!(auc.is_nan() || (0.0..=1.0).contains(&auc));
        let roc = whole.full().roc_curve();
        prop_assert!(roc.false_positive_rates.len() <= MAX_CURVE_THRESHOLDS + 2);
        prop_assert!(roc.false_positive_rates.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(roc.true_positive_rates.windows(2).all(|w| w[0] <= w[1]));
    }

    /// Multiclass state merged from any split equals the whole, exactly.
    #[test]
    fn multiclass_merge_of_split_equals_whole(
        rows in prop::collection::vec((0usize..3, "[a-d]", "[a-e]"), 0..300),
    ) {
        let mut whole = MulticlassQuality::new();
        let mut parts = vec![MulticlassQuality::new(); 3];
        for (i, (k, a, p)) in rows.iter().enumerate() {
            let key = i.to_string();
            whole.update(&key, a, p);
            parts[*k].update(&key, a, p);
        }
        let mut merged = MulticlassQuality::new();
        for s in parts.iter().rev() {
            merged.merge(s);
        }
        prop_assert_eq!(&merged, &whole);
        let acc = whole.full().metric(MulticlassMetric::Accuracy);
        let wr = whole.full().metric(MulticlassMetric::WeightedRecall);
        if !rows.is_empty() {
            // weighted recall equals accuracy (Spark's documentation)
            prop_assert!((acc - wr).abs() <= 1e-12);
        }
    }

    /// Regression moments merged from any split equal the whole within REL_TIGHT of the
    /// input scale (Σ|e|, Σe², and M2 scaled by Σy² + 1, since it can cancel to ~0).
    #[test]
    fn regression_merge_of_split_equals_whole(
        rows in prop::collection::vec((0usize..4, -1e3..1e3f64, -1e3..1e3f64), 1..300),
    ) {
        let mut whole = RegressionMoments::new();
        let mut parts = vec![RegressionMoments::new(); 4];
        for (k, y, yhat) in &rows {
            whole.update(*y, *yhat).unwrap();
            parts[*k].update(*y, *yhat).unwrap();
        }
        let mut merged = RegressionMoments::new();
        for s in &parts {
            merged.merge(s);
        }
        prop_assert_eq!(merged.count(), whole.count());
        let sum_y2: f64 = rows.iter().map(|r| r.1 * r.1).sum::<f64>() + 1.0;
        assert_scaled(merged.sum_abs_error(), whole.sum_abs_error(), REL_TIGHT, whole.sum_abs_error() + 1e-300, "Σ|e|");
        assert_scaled(merged.sum_squared_error(), whole.sum_squared_error(), REL_TIGHT, whole.sum_squared_error() + 1e-300, "Σe²");
        assert_scaled(merged.actual().m2(), whole.actual().m2(), REL_TIGHT, sum_y2, "M2");
        for m in [RegressionMetric::Mae, RegressionMetric::Mse, RegressionMetric::Rmse] {
            assert_scaled(merged.metric(m), whole.metric(m), REL_TIGHT, whole.metric(m) + 1e-300, m.key());
        }
    }
}
