//! Binary classification: confusion counts, metrics and the mergeable confusion state.

use super::*;

// ---------------------------------------------------------------------------------------------
// binary classification
// ---------------------------------------------------------------------------------------------

/// Binary confusion counts for the configured positive label.
///
/// Every rate follows spec §8.3; a zero denominator gives `NaN`. Caution for constraint
/// checks: `NaN < threshold` is false, so a window where a ratio is undefined never violates a
/// `LessThanThreshold` constraint unless the caller tests for `NaN`.
///
/// ```
/// use drift_math::quality::BinaryCounts;
/// // DG example (spec §8.3): TN = 1, FP = 2, FN = 0, TP = 1
/// let c = BinaryCounts { true_positives: 1, false_positives: 2, true_negatives: 1, false_negatives: 0 };
/// assert_eq!(c.precision(), 0.3333333333333333);
/// assert_eq!(c.true_negative_rate(), 0.33333333333333337); // 1 − 2/3, as SageMaker prints
/// assert_eq!(c.f_beta_best_constant_classifier(2.0), 0.625);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BinaryCounts {
    /// actual positive, predicted positive
    pub true_positives: u64,
    /// actual negative, predicted positive
    pub false_positives: u64,
    /// actual negative, predicted negative
    pub true_negatives: u64,
    /// actual positive, predicted negative
    pub false_negatives: u64,
}

impl BinaryCounts {
    /// `N = TP + FP + TN + FN`.
    pub fn total(&self) -> u64 {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// Actual positives `P = TP + FN`.
    pub fn positives(&self) -> u64 {
        self.true_positives + self.false_negatives
    }

    /// Actual negatives `TN + FP`.
    pub fn negatives(&self) -> u64 {
        self.true_negatives + self.false_positives
    }

    /// `precision = TP / (TP + FP)`; `NaN` if nothing was predicted positive.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// `recall = TP / (TP + FN)`; `NaN` without actual positives.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.positives())
    }

    /// `accuracy = (TP + TN) / N`; `NaN` when empty.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total())
    }

    /// `true_positive_rate = TP / (TP + FN)` (= recall).
    pub fn true_positive_rate(&self) -> f64 {
        self.recall()
    }

    /// `false_positive_rate = FP / (FP + TN)`; `NaN` without actual negatives.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_positives, self.negatives())
    }

    /// `true_negative_rate = 1 − FP / (FP + TN)`, computed as SageMaker does (the DG example
    /// prints `0.33333333333333337`, which is `1 − 2/3`, not `1/3`).
    pub fn true_negative_rate(&self) -> f64 {
        1.0 - self.false_positive_rate()
    }

    /// `false_negative_rate = 1 − TP / (TP + FN)`, computed as SageMaker does (the churn
    /// baseline prints `0.4285714285714286` = `1 − 16/28`, not `12/28`).
    pub fn false_negative_rate(&self) -> f64 {
        1.0 - self.true_positive_rate()
    }

    /// `F_β` of [`precision`](Self::precision) and [`recall`](Self::recall) via [`f_beta`].
    pub fn f_beta(&self, beta: f64) -> f64 {
        f_beta(self.precision(), self.recall(), beta)
    }

    /// Precision of the best constant classifier, which always predicts the positive label
    /// (spec §8.3): `P / N`, the positive rate.
    pub fn precision_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.total())
    }

    /// Recall of the always-positive classifier: `P / P` = 1 (`NaN` without positives).
    pub fn recall_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.positives())
    }

    /// Accuracy of the always-positive classifier: `P / N`.
    pub fn accuracy_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.total())
    }

    /// `F_β` of the always-positive classifier's precision and recall.
    pub fn f_beta_best_constant_classifier(&self, beta: f64) -> f64 {
        f_beta(
            self.precision_best_constant_classifier(),
            self.recall_best_constant_classifier(),
            beta,
        )
    }

    /// `confusion_matrix` as SageMaker writes it (spec §8.2): outer key the **actual** label,
    /// inner key the predicted label, `"1"` = positive and `"0"` = negative, all four cells
    /// present (zeros included, as in the DG example).
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let row =
            |neg: u64, pos: u64| BTreeMap::from([("0".to_owned(), neg), ("1".to_owned(), pos)]);
        BTreeMap::from([
            (
                "0".to_owned(),
                row(self.true_negatives, self.false_positives),
            ),
            (
                "1".to_owned(),
                row(self.false_negatives, self.true_positives),
            ),
        ])
    }
}

/// Scalar metrics of `binary_classification_metrics` (spec §8.2), in the order SageMaker
/// writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryMetric {
    /// `recall`
    Recall,
    /// `precision`
    Precision,
    /// `accuracy`
    Accuracy,
    /// `recall_best_constant_classifier`
    RecallBestConstantClassifier,
    /// `precision_best_constant_classifier`
    PrecisionBestConstantClassifier,
    /// `accuracy_best_constant_classifier`
    AccuracyBestConstantClassifier,
    /// `true_positive_rate`
    TruePositiveRate,
    /// `true_negative_rate`
    TrueNegativeRate,
    /// `false_positive_rate`
    FalsePositiveRate,
    /// `false_negative_rate`
    FalseNegativeRate,
    /// `auc`
    Auc,
    /// `f0_5`
    F0_5,
    /// `f1`
    F1,
    /// `f2`
    F2,
    /// `f0_5_best_constant_classifier`
    F0_5BestConstantClassifier,
    /// `f1_best_constant_classifier`
    F1BestConstantClassifier,
    /// `f2_best_constant_classifier`
    F2BestConstantClassifier,
}

impl BinaryMetric {
    /// Every scalar binary metric in SageMaker's key order (spec §8.2; `confusion_matrix` and
    /// the two curves, which are not scalars, sit before `auc` in the file).
    pub const ALL: [BinaryMetric; 17] = [
        BinaryMetric::Recall,
        BinaryMetric::Precision,
        BinaryMetric::Accuracy,
        BinaryMetric::RecallBestConstantClassifier,
        BinaryMetric::PrecisionBestConstantClassifier,
        BinaryMetric::AccuracyBestConstantClassifier,
        BinaryMetric::TruePositiveRate,
        BinaryMetric::TrueNegativeRate,
        BinaryMetric::FalsePositiveRate,
        BinaryMetric::FalseNegativeRate,
        BinaryMetric::Auc,
        BinaryMetric::F0_5,
        BinaryMetric::F1,
        BinaryMetric::F2,
        BinaryMetric::F0_5BestConstantClassifier,
        BinaryMetric::F1BestConstantClassifier,
        BinaryMetric::F2BestConstantClassifier,
    ];

    /// The `statistics.json` / `constraints.json` key (spec §8.2).
    pub fn key(self) -> &'static str {
        match self {
            BinaryMetric::Recall => "recall",
            BinaryMetric::Precision => "precision",
            BinaryMetric::Accuracy => "accuracy",
            BinaryMetric::RecallBestConstantClassifier => "recall_best_constant_classifier",
            BinaryMetric::PrecisionBestConstantClassifier => "precision_best_constant_classifier",
            BinaryMetric::AccuracyBestConstantClassifier => "accuracy_best_constant_classifier",
            BinaryMetric::TruePositiveRate => "true_positive_rate",
            BinaryMetric::TrueNegativeRate => "true_negative_rate",
            BinaryMetric::FalsePositiveRate => "false_positive_rate",
            BinaryMetric::FalseNegativeRate => "false_negative_rate",
            BinaryMetric::Auc => "auc",
            BinaryMetric::F0_5 => "f0_5",
            BinaryMetric::F1 => "f1",
            BinaryMetric::F2 => "f2",
            BinaryMetric::F0_5BestConstantClassifier => "f0_5_best_constant_classifier",
            BinaryMetric::F1BestConstantClassifier => "f1_best_constant_classifier",
            BinaryMetric::F2BestConstantClassifier => "f2_best_constant_classifier",
        }
    }

    /// Whether smaller is better: `false_positive_rate` and `false_negative_rate` (the churn
    /// notebook's constraints use `GreaterThanThreshold` for exactly these, spec §4.3);
    /// every other binary metric is higher-is-better (`LessThanThreshold`).
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            BinaryMetric::FalsePositiveRate | BinaryMetric::FalseNegativeRate
        )
    }
}

/// Mergeable binary-classification state: [`BinaryCounts`] plus a [`ScoreHistogram`] of the
/// predicted probability.
///
/// Every record adds one confusion cell and one histogram entry. With a probability, the
/// histogram takes the probability; without one, it takes the 0/1 prediction as the score
/// (`1.0` if predicted positive), so `auc` and the curves are those of the hard predictions,
/// as Spark's `BinaryClassificationMetrics` computes them when fed predictions instead of
/// scores. Windows mixing both kinds merge without special handling.
///
/// ```
/// use drift_math::quality::{BinaryConfusion, BinaryMetric};
/// let mut s = BinaryConfusion::new();
/// s.update(true, true, Some(0.9)).unwrap();
/// s.update(false, true, Some(0.6)).unwrap();
/// s.update(false, false, Some(0.2)).unwrap();
/// assert_eq!(s.metric(BinaryMetric::Precision), 0.5);
/// assert_eq!(s.metric(BinaryMetric::Auc), 1.0);
/// assert!(s.update(true, true, Some(1.5)).is_err()); // rejected, state unchanged
/// assert_eq!(s.count(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "BinaryConfusionRepr")
)]
pub struct BinaryConfusion {
    pub(super) counts: BinaryCounts,
    pub(super) scores: ScoreHistogram,
}

impl BinaryConfusion {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record: `actual_positive` is whether the ground-truth label equals the
    /// configured positive label, `predicted_positive` whether the predicted label does (see
    /// [`predicted_positive`] to derive it from a probability), `probability` the predicted
    /// probability of the positive label, if any.
    ///
    /// # Errors
    ///
    /// [`QualityError::ProbabilityOutOfRange`] for a `NaN` or out-of-`[0, 1]` probability; the
    /// record is not counted.
    pub fn update(
        &mut self,
        actual_positive: bool,
        predicted_positive: bool,
        probability: Option<f64>,
    ) -> Result<(), QualityError> {
        let score = probability.unwrap_or(if predicted_positive { 1.0 } else { 0.0 });
        let bin = ScoreHistogram::bin_of(score)?;
        let c = &mut self.counts;
        match (actual_positive, predicted_positive) {
            (true, true) => c.true_positives += 1,
            (false, true) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (true, false) => c.false_negatives += 1,
        }
        self.scores.add_to_bin(bin, actual_positive);
        Ok(())
    }

    /// Adds another state (exact: counts and bins add).
    pub fn merge(&mut self, other: &BinaryConfusion) {
        let (a, b) = (&mut self.counts, &other.counts);
        a.true_positives += b.true_positives;
        a.false_positives += b.false_positives;
        a.true_negatives += b.true_negatives;
        a.false_negatives += b.false_negatives;
        self.scores.merge(&other.scores);
    }

    /// Records counted (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.counts.total()
    }

    /// The confusion counts.
    pub fn counts(&self) -> &BinaryCounts {
        &self.counts
    }

    /// The score histogram.
    pub fn scores(&self) -> &ScoreHistogram {
        &self.scores
    }

    /// `auc` ([`ScoreHistogram::auc`]).
    pub fn auc(&self) -> f64 {
        self.scores.auc()
    }

    /// `receiver_operating_characteristic_curve` ([`ScoreHistogram::roc_curve`]).
    pub fn roc_curve(&self) -> RocCurve {
        self.scores.roc_curve()
    }

    /// `precision_recall_curve` ([`ScoreHistogram::pr_curve`]).
    pub fn pr_curve(&self) -> PrCurve {
        self.scores.pr_curve()
    }

    /// `confusion_matrix` ([`BinaryCounts::confusion_matrix`]).
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.counts.confusion_matrix()
    }

    /// The value of one scalar metric (formulas on [`BinaryCounts`] and
    /// [`ScoreHistogram::auc`]).
    pub fn metric(&self, m: BinaryMetric) -> f64 {
        let c = &self.counts;
        match m {
            BinaryMetric::Recall => c.recall(),
            BinaryMetric::Precision => c.precision(),
            BinaryMetric::Accuracy => c.accuracy(),
            BinaryMetric::RecallBestConstantClassifier => c.recall_best_constant_classifier(),
            BinaryMetric::PrecisionBestConstantClassifier => c.precision_best_constant_classifier(),
            BinaryMetric::AccuracyBestConstantClassifier => c.accuracy_best_constant_classifier(),
            BinaryMetric::TruePositiveRate => c.true_positive_rate(),
            BinaryMetric::TrueNegativeRate => c.true_negative_rate(),
            BinaryMetric::FalsePositiveRate => c.false_positive_rate(),
            BinaryMetric::FalseNegativeRate => c.false_negative_rate(),
            BinaryMetric::Auc => self.scores.auc(),
            BinaryMetric::F0_5 => c.f_beta(0.5),
            BinaryMetric::F1 => c.f_beta(1.0),
            BinaryMetric::F2 => c.f_beta(2.0),
            BinaryMetric::F0_5BestConstantClassifier => c.f_beta_best_constant_classifier(0.5),
            BinaryMetric::F1BestConstantClassifier => c.f_beta_best_constant_classifier(1.0),
            BinaryMetric::F2BestConstantClassifier => c.f_beta_best_constant_classifier(2.0),
        }
    }
}
